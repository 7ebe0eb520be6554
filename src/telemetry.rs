//! Logging: `tracing` with an env filter (`RUST_LOG`), `info` by default and SQL quiet;
//! text for people or JSON for collectors; colours only on a terminal.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per event (colours only when the output is a terminal).
    #[default]
    Text,
    /// One JSON object per event, with the fields of its spans (request id, operation).
    Json,
}

/// Installs the global subscriber. `RUST_LOG` overrides the default filter.
pub fn init(log_sql: bool, format: LogFormat) {
    let default = if log_sql {
        "info,sqlx=debug,sea_orm=info"
    } else {
        "info,sqlx=warn,sea_orm=warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_target(true)
                    .with_ansi(std::io::stdout().is_terminal()),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
    };
}

/// For tests: warnings and errors only, written through the test harness so that each
/// test's logs show with its failure and nowhere else.
pub fn init_for_tests() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_test_writer())
        .try_init();
}

/// The process's peak resident memory (Linux `VmHWM`) in bytes, where the system says.
pub fn peak_rss_bytes() -> Option<u64> {
    proc_status_bytes("VmHWM:")
}

/// The process's resident memory now, in bytes (Linux; `None` elsewhere).
pub fn resident_bytes() -> Option<u64> {
    proc_status_bytes("VmRSS:")
}

/// A size line of `/proc/self/status` (`VmHWM:    1234 kB`), in bytes.
fn proc_status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line
        .trim_start_matches(key)
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}
