//! The threads that serve WebSocket connections: subscriptions' fan-out runs on its own
//! runtime whose threads run at a lower priority than the request threads (a higher nice
//! value, `LIVE_FANOUT_NICE`). With CPU to spare the fan-out runs at full speed; when
//! writes and queries need the CPU, they get it first and events wait in their bounded
//! buffers (a subscriber that falls further behind than the buffer is closed as a slow
//! consumer, as always). So 1,000 subscribers do not slow the writes they follow.
//!
//! With `LIVE_FANOUT_IDLE` the threads also get the idle scheduling policy (`SCHED_IDLE`):
//! a request thread that wakes up takes the CPU from them at once, where a nice value only
//! weighs their shares. Writes then keep their speed however many subscribers follow them,
//! and the fan-out runs on the CPU that requests leave; under a load that leaves none, the
//! subscribers fall behind (and, past their buffers, are closed as slow consumers, or skip
//! to the latest result).
//!
//! The runtime is one per process, made on first use with the settings of that use, and
//! never dropped. Sockets accepted on the request runtime are served from its threads
//! (Tokio's I/O resources may be polled from any runtime while theirs runs).

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

/// Default nice value of the fan-out threads (0 to 19; 0 serves WebSockets on the request
/// threads).
pub const DEFAULT_FANOUT_NICE: u8 = 10;

static FANOUT: OnceLock<Option<Runtime>> = OnceLock::new();

/// Runs `serving` (one WebSocket connection) on the fan-out threads when `nice` is above 0
/// (with the idle scheduling policy too when `idle`), else here; returns when it ends.
pub(super) async fn serve_with(
    nice: u8,
    idle: bool,
    serving: impl Future<Output = ()> + Send + 'static,
) {
    match runtime(nice, idle) {
        Some(runtime) => {
            // The connection's task ends with its socket; a join error (a panic in it, or
            // the process stopping) ends it too.
            let _ = runtime.spawn(serving).await;
        }
        None => serving.await,
    }
}

fn runtime(nice: u8, idle: bool) -> Option<&'static Runtime> {
    if nice == 0 {
        return None;
    }
    FANOUT
        .get_or_init(|| {
            let threads = std::thread::available_parallelism().map_or(2, usize::from);
            Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("capex-fanout")
                .on_thread_start(move || {
                    lower_thread_priority(nice);
                    if idle {
                        idle_thread_policy();
                    }
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

/// Gives the calling thread the idle scheduling policy (`SCHED_IDLE`, Linux, per thread),
/// with `chrt -i` on its thread id; logs and goes on where that is not possible.
pub fn idle_thread_policy() {
    let Some(tid) = thread_id() else {
        tracing::warn!("fan-out threads keep their policy: no /proc/thread-self");
        return;
    };
    if !run_quietly("chrt", &["-i", "-p", "0", &tid.to_string()]) {
        tracing::warn!(tid, "fan-out thread keeps its policy: chrt -i failed");
    }
}

/// The calling thread's id (Linux).
fn thread_id() -> Option<u32> {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|path| path.file_name()?.to_str()?.parse::<u32>().ok())
}

/// Whether `program` with `args` ran and succeeded (its output dropped).
fn run_quietly(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Gives the calling thread nice value `nice` (Linux: the nice value is per thread), with
/// `renice` on its thread id; logs and goes on where that is not possible.
pub fn lower_thread_priority(nice: u8) {
    let Some(tid) = thread_id() else {
        tracing::warn!("fan-out threads keep their priority: no /proc/thread-self");
        return;
    };
    if !run_quietly("renice", &["-n", &nice.to_string(), "-p", &tid.to_string()]) {
        tracing::warn!(
            tid,
            nice,
            "fan-out thread keeps its priority: renice failed"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Field `n` (1-based, as in proc(5)) of the calling thread's `/proc/thread-self/stat`.
    fn stat_field(n: usize) -> i64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("Linux");
        // The name (field 2) is in parentheses and may hold spaces: count after it.
        let rest = &stat[stat.rfind(')').expect("the name") + 2..];
        rest.split_whitespace()
            .nth(n - 3)
            .expect("the field")
            .parse()
            .expect("a number")
    }

    #[test]
    fn a_fan_out_thread_gets_its_nice_value_and_the_idle_policy() {
        if !run_quietly("chrt", &["--version"]) || !run_quietly("renice", &["--version"]) {
            eprintln!("skipped: no chrt or renice here");
            return;
        }
        let (before, nice, policy) = std::thread::spawn(|| {
            // A new thread has its parent's nice value (the tests may run niced).
            let before = stat_field(19);
            assert_eq!(stat_field(41), 0, "a new thread runs SCHED_OTHER (0)");
            lower_thread_priority((before + 1).min(19) as u8);
            let niced = stat_field(19);
            idle_thread_policy();
            (before, niced, stat_field(41))
        })
        .join()
        .expect("the thread");
        assert_eq!(nice, (before + 1).min(19), "renice on the thread's id");
        assert_eq!(policy, 5, "SCHED_IDLE (5) with chrt -i");
        // Only that thread changed: this one keeps its policy.
        assert_eq!(stat_field(41), 0);
    }
}
