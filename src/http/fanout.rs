//! The threads that serve WebSocket connections: subscriptions' fan-out runs on its own
//! runtime whose threads run at a lower priority than the request threads (a higher nice
//! value, or `SCHED_IDLE`: `LIVE_FANOUT_NICE`). With CPU to spare the fan-out runs at full
//! speed; when writes and queries need the CPU, they get it first and events wait in their
//! bounded buffers (a subscriber that falls further behind than the buffer is closed as a
//! slow consumer, as always). So 1,000 subscribers do not slow the writes they follow.
//!
//! The runtime is one per process, made on first use with the priority of that use, and
//! never dropped. Sockets accepted on the request runtime are served from its threads
//! (Tokio's I/O resources may be polled from any runtime while theirs runs).

use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

/// Where WebSocket connections are served, and at which priority (`LIVE_FANOUT_NICE`:
/// `0`, `1` to `19`, or `idle`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanoutPriority {
    /// On the request threads (`0`).
    Requests,
    /// On threads of their own at this nice value: 1 to 19, as [`FromStr`] makes it
    /// (`Nice(0)` reads back as `Requests`; `renice` takes a value above 19 as 19).
    Nice(u8),
    /// On threads of their own under `SCHED_IDLE` (`idle`): a request thread that wakes
    /// does not wait for their time slice, but under a CPU saturated by requests they get
    /// almost none.
    Idle,
}

/// Default priority of the fan-out threads: nice 10.
pub const DEFAULT_FANOUT_PRIORITY: FanoutPriority = FanoutPriority::Nice(10);

impl FromStr for FanoutPriority {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, String> {
        match value.trim() {
            "idle" => Ok(FanoutPriority::Idle),
            number => match number.parse::<u8>() {
                Ok(0) => Ok(FanoutPriority::Requests),
                Ok(nice @ 1..=19) => Ok(FanoutPriority::Nice(nice)),
                _ => Err("a nice value from 0 to 19, or `idle`".into()),
            },
        }
    }
}

impl fmt::Display for FanoutPriority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FanoutPriority::Requests => f.write_str("0"),
            FanoutPriority::Nice(nice) => write!(f, "{nice}"),
            FanoutPriority::Idle => f.write_str("idle"),
        }
    }
}

static FANOUT: OnceLock<Option<Runtime>> = OnceLock::new();

/// Runs `serving` (one WebSocket connection) on the fan-out threads, made with `priority`,
/// or here for [`FanoutPriority::Requests`]; returns when it ends.
pub(super) async fn serve_with(
    priority: FanoutPriority,
    serving: impl Future<Output = ()> + Send + 'static,
) {
    match runtime(priority) {
        Some(runtime) => {
            // The connection's task ends with its socket; a join error (a panic in it, or
            // the process stopping) ends it too.
            let _ = runtime.spawn(serving).await;
        }
        None => serving.await,
    }
}

fn runtime(priority: FanoutPriority) -> Option<&'static Runtime> {
    if priority == FanoutPriority::Requests {
        return None;
    }
    FANOUT
        .get_or_init(|| {
            let threads = std::thread::available_parallelism().map_or(2, usize::from);
            Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("capex-fanout")
                .on_thread_start(move || match priority {
                    FanoutPriority::Nice(nice) => lower_thread_priority(nice),
                    FanoutPriority::Idle => idle_thread_policy(),
                    FanoutPriority::Requests => {}
                })
                .enable_all()
                .build()
                .inspect_err(|error| {
                    tracing::warn!(%error, "no fan-out threads: WebSockets run on the request threads");
                })
                .ok()
        })
        .as_ref()
}

/// Gives the calling thread nice value `nice` (Linux: the nice value is per thread), with
/// `renice` on its thread id; logs and goes on where that is not possible.
pub fn lower_thread_priority(nice: u8) {
    on_this_thread("renice", &["-n", &nice.to_string(), "-p"]);
}

/// Puts the calling thread under `SCHED_IDLE` (Linux: the policy is per thread), with
/// `chrt --idle` on its thread id: a normal thread that wakes on its CPU does not wait for
/// its time slice. Logs and goes on where that is not possible.
pub fn idle_thread_policy() {
    on_this_thread("chrt", &["--idle", "-p", "0"]);
}

/// Runs `program` with `args` and the calling thread's id (a command of util-linux that
/// changes a thread's scheduling); logs and goes on when that fails.
fn on_this_thread(program: &str, args: &[&str]) {
    let Some(tid) = thread_id() else {
        tracing::warn!("the thread keeps its priority: no /proc/thread-self");
        return;
    };
    let changed = std::process::Command::new(program)
        .args(args)
        .arg(tid.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !changed {
        tracing::warn!(
            tid,
            program,
            ?args,
            "the thread keeps its priority: the command failed"
        );
    }
}

/// The calling thread's id (Linux: the name of `/proc/thread-self`), or `None` elsewhere.
pub fn thread_id() -> Option<u32> {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|path| path.file_name()?.to_str()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The calling thread's nice value and scheduling policy (fields 19 and 41 of
    /// `/proc/thread-self/stat`, counted after the command's name in parentheses).
    fn nice_and_policy() -> Option<(String, String)> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        Some((fields.get(16)?.to_string(), fields.get(38)?.to_string()))
    }

    #[test]
    fn the_priority_reads_as_it_is_written() {
        for (text, priority) in [
            ("0", FanoutPriority::Requests),
            ("1", FanoutPriority::Nice(1)),
            ("19", FanoutPriority::Nice(19)),
            ("idle", FanoutPriority::Idle),
        ] {
            assert_eq!(text.parse(), Ok(priority));
            assert_eq!(priority.to_string(), text);
        }
        for wrong in ["20", "-1", "", "IDLE", "nice"] {
            let error = wrong.parse::<FanoutPriority>().expect_err("refused");
            assert!(error.contains("0 to 19, or `idle`"), "{error}");
        }
        assert_eq!(DEFAULT_FANOUT_PRIORITY.to_string(), "10");
    }

    #[test]
    fn a_thread_gets_its_nice_value_or_the_idle_policy() {
        // Not Linux, or a test run already at a lower priority (lowering the nice value
        // back needs a privilege): nothing to see.
        let Some(before) = nice_and_policy() else {
            return;
        };
        if before != ("0".into(), "0".into()) {
            return;
        }
        let after = |change: fn()| {
            std::thread::spawn(move || {
                change();
                nice_and_policy()
            })
            .join()
            .expect("thread")
        };
        // SCHED_OTHER is policy 0, SCHED_IDLE 5.
        assert_eq!(
            after(|| lower_thread_priority(7)),
            Some(("7".into(), "0".into()))
        );
        assert_eq!(after(idle_thread_policy), Some(("0".into(), "5".into())));
    }
}
