//! The threads that serve WebSocket connections: subscriptions' fan-out runs on its own
//! runtime whose threads run at a lower priority than the request threads (a higher nice
//! value, `LIVE_FANOUT_NICE`). With CPU to spare the fan-out runs at full speed; when
//! writes and queries need the CPU, they get it first and events wait in their bounded
//! buffers (a subscriber that falls further behind than the buffer is closed as a slow
//! consumer, as always). So 1,000 subscribers do not slow the writes they follow.
//!
//! The runtime is one per process, made on first use with the nice value of that use, and
//! never dropped. Sockets accepted on the request runtime are served from its threads
//! (Tokio's I/O resources may be polled from any runtime while theirs runs).

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

/// Default nice value of the fan-out threads (0 to 19; 0 serves WebSockets on the request
/// threads).
pub const DEFAULT_FANOUT_NICE: u8 = 10;

static FANOUT: OnceLock<Option<Runtime>> = OnceLock::new();

/// Runs `serving` (one WebSocket connection) on the fan-out threads when `nice` is above 0,
/// else here; returns when it ends.
pub(super) async fn serve_with(nice: u8, serving: impl Future<Output = ()> + Send + 'static) {
    match runtime(nice) {
        Some(runtime) => {
            // The connection's task ends with its socket; a join error (a panic in it, or
            // the process stopping) ends it too.
            let _ = runtime.spawn(serving).await;
        }
        None => serving.await,
    }
}

fn runtime(nice: u8) -> Option<&'static Runtime> {
    if nice == 0 {
        return None;
    }
    FANOUT
        .get_or_init(|| {
            let threads = std::thread::available_parallelism().map_or(2, usize::from);
            Builder::new_multi_thread()
                .worker_threads(threads)
                .thread_name("capex-fanout")
                .on_thread_start(move || lower_thread_priority(nice))
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
    let Some(tid) = thread_id() else {
        tracing::warn!("fan-out threads keep their priority: no /proc/thread-self");
        return;
    };
    let changed = std::process::Command::new("renice")
        .args(["-n", &nice.to_string(), "-p", &tid.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !changed {
        tracing::warn!(
            tid,
            nice,
            "fan-out thread keeps its priority: renice failed"
        );
    }
}

/// The calling thread's id (Linux: the name of `/proc/thread-self`), or `None` elsewhere.
pub fn thread_id() -> Option<u32> {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|path| path.file_name()?.to_str()?.parse().ok())
}
