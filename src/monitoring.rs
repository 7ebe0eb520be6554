//! Metrics in the Prometheus text format, recorded with the `metrics` crate and rendered by
//! `metrics-exporter-prometheus` at `/metrics` (or on an address of its own, or not at all:
//! the `METRICS` setting).
//!
//! What is measured:
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `http_requests_total` | `method`, `route`, `status` | HTTP requests answered |
//! | `http_request_duration_seconds` | `method`, `route` | histogram, until the answer's head |
//! | `http_requests_in_flight` | | requests being answered |
//! | `graphql_operations_total` | `operation`, `code` | operations run (`code` is `OK` or the first error's code) |
//! | `graphql_operation_duration_seconds` | `operation` | histogram of parsing, checks and execution |
//! | `db_statements_total` | `result` (`ok`, `error`) | SQL statements run |
//! | `db_statement_duration_seconds` | | histogram |
//! | `db_pool_connections` | `state` (`idle`, `in_use`) | connections of the pool |
//! | `db_pool_max_connections` | | the pool's size limit |
//! | `db_replica_up` | `replica` | 1 while a read replica answers, 0 while its queries go to the primary |
//! | `process_resident_memory_bytes` | | resident memory now (Linux) |
//! | `process_peak_resident_memory_bytes` | | its peak since start (Linux) |
//!
//! Labels never carry what a client can vary without bound: routes are the router's
//! templates (`other` for any unknown path), codes come from the server's own set, and
//! operation names are kept for the first [`MAX_OPERATION_LABELS`] distinct names (each at
//! most [`MAX_OPERATION_NAME_BYTES`]); later or longer names count as `_other`, anonymous
//! operations as `_anonymous`.
//!
//! The pool does not tell how many requests wait for a connection (sqlx keeps that
//! private): saturation shows as `in_use` at `db_pool_max_connections`, as a rising
//! `db_statement_duration_seconds`, and as operations answered `SERVICE_UNAVAILABLE`.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::DatabaseConnection;

/// Distinct operation names kept as label values; later names count as `_other`.
pub const MAX_OPERATION_LABELS: usize = 200;

/// Longest operation name kept as a label value, in bytes.
pub const MAX_OPERATION_NAME_BYTES: usize = 100;

/// Buckets of request and operation latencies, in seconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Buckets of SQL statement latencies, in seconds.
const STATEMENT_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Where the metrics are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exposure {
    /// At `/metrics` on the API's own address (the default).
    WithApi,
    /// At `/metrics` on an address of their own (`HOST:PORT`), for example one only the
    /// monitoring network reaches; the API's address then has no `/metrics`.
    Separate(std::net::SocketAddr),
    /// Not served, and not recorded.
    Off,
}

impl std::str::FromStr for Exposure {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "" | "on" | "api" => Ok(Exposure::WithApi),
            "off" | "none" => Ok(Exposure::Off),
            address => address.parse().map(Exposure::Separate).map_err(|_| {
                format!(
                    "METRICS is `on`, `off` or an address such as 127.0.0.1:9100, not {address:?}"
                )
            }),
        }
    }
}

/// The process's recorder, installed on first use; `None` if another recorder was
/// installed first (then nothing of ours is recorded).
pub fn install() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("request_duration_seconds".into()),
                    LATENCY_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("graphql_operation_duration_seconds".into()),
                        LATENCY_BUCKETS,
                    )
                })
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("db_statement_duration_seconds".into()),
                        STATEMENT_BUCKETS,
                    )
                });
            match builder.map(PrometheusBuilder::install_recorder) {
                Ok(Ok(handle)) => {
                    describe();
                    Some(handle)
                }
                Ok(Err(e)) | Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed");
                    None
                }
            }
        })
        .as_ref()
}

/// The `# HELP` lines.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "http_requests_total",
        "HTTP requests answered, by route template and status"
    );
    describe_histogram!(
        "http_request_duration_seconds",
        Unit::Seconds,
        "Time from a request's arrival to its answer's head"
    );
    describe_gauge!("http_requests_in_flight", "HTTP requests being answered");
    describe_counter!(
        "graphql_operations_total",
        "GraphQL operations run, by operation name and result code (OK or the first error's code)"
    );
    describe_histogram!(
        "graphql_operation_duration_seconds",
        Unit::Seconds,
        "Time to check and run a GraphQL operation"
    );
    describe_counter!("db_statements_total", "SQL statements run, by result");
    describe_histogram!(
        "db_statement_duration_seconds",
        Unit::Seconds,
        "Time of one SQL statement, as the driver saw it"
    );
    describe_gauge!(
        "db_pool_connections",
        "Connections of the database pool, idle or in use"
    );
    describe_gauge!(
        "db_pool_max_connections",
        "Most connections the database pool opens"
    );
    describe_gauge!(
        "db_replica_up",
        "1 while the read replica answers; 0 while its queries go to the primary"
    );
    describe_gauge!(
        "live_subscribers",
        "Subscribers that will see the next change delivered in this instance"
    );
    describe_gauge!(
        "websocket_queued_bytes",
        Unit::Bytes,
        "Bytes of frames waiting in the server for WebSocket sockets (each connection's bounded by WS_MAX_QUEUED_BYTES)"
    );
    describe_gauge!(
        "process_resident_memory_bytes",
        Unit::Bytes,
        "Resident memory of the process"
    );
    describe_gauge!(
        "process_peak_resident_memory_bytes",
        Unit::Bytes,
        "Peak resident memory of the process since it started"
    );
}

/// The Prometheus text of every metric, with the gauges read now (pool, subscribers,
/// memory).
pub fn render(db: &DatabaseConnection, live: &crate::live::Live) -> Option<String> {
    let handle = install()?;
    pool_gauges(db);
    gauge!("live_subscribers").set(live.subscriber_count() as f64);
    gauge!("websocket_queued_bytes").set(live.queued_bytes() as f64);
    if let Some(bytes) = crate::telemetry::resident_bytes() {
        gauge!("process_resident_memory_bytes").set(bytes as f64);
    }
    if let Some(bytes) = crate::telemetry::peak_rss_bytes() {
        gauge!("process_peak_resident_memory_bytes").set(bytes as f64);
    }
    handle.run_upkeep();
    Some(handle.render())
}

/// The `/metrics` answer.
pub fn answer(db: &DatabaseConnection, live: &crate::live::Live) -> Response {
    match render(db, live) {
        Some(text) => (
            [
                (
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        None => crate::http::error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "no metrics recorder in this process",
        ),
    }
}

/// Keeps the recorder's histograms drained between scrapes (the exporter asks for it).
pub fn spawn_upkeep() {
    if let Some(handle) = install() {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
            loop {
                every.tick().await;
                handle.run_upkeep();
            }
        });
    }
}

fn pool_gauges(db: &DatabaseConnection) {
    let (size, idle, max) = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => return,
    };
    let idle = idle.min(size as usize) as f64;
    gauge!("db_pool_connections", "state" => "idle").set(idle);
    gauge!("db_pool_connections", "state" => "in_use").set(f64::from(size) - idle);
    gauge!("db_pool_max_connections").set(f64::from(max));
}

/// Counts and times one SQL statement (SeaORM's metric callback).
pub fn statement(info: &sea_orm::metric::Info<'_>) {
    let result = if info.failed { "error" } else { "ok" };
    counter!("db_statements_total", "result" => result).increment(1);
    histogram!("db_statement_duration_seconds").record(info.elapsed.as_secs_f64());
}

/// Counts and times every HTTP request (a middleware around the whole router).
pub async fn track(request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_string();
    let route = route(request.uri().path());
    let started = Instant::now();
    let in_flight = InFlight::enter();
    let response = next.run(request).await;
    drop(in_flight);
    let status = response.status().as_str().to_string();
    counter!("http_requests_total", "method" => method.clone(), "route" => route, "status" => status)
        .increment(1);
    histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// One request in `http_requests_in_flight`, left when dropped: also when the client goes
/// away and the request's future is dropped before it answers.
struct InFlight;

impl InFlight {
    fn enter() -> InFlight {
        gauge!("http_requests_in_flight").increment(1.0);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        gauge!("http_requests_in_flight").decrement(1.0);
    }
}

/// The route template of `path`: a bounded set of label values.
fn route(path: &str) -> &'static str {
    match path {
        "/graphql" => "/graphql",
        "/health" => "/health",
        "/metrics" => "/metrics",
        p if p.starts_with("/playground/") => "/playground/{file}",
        p if p.starts_with("/scalars/") => "/scalars/{name}",
        _ => "other",
    }
}

/// Counts and times one GraphQL operation, named by `operation` (if it has a name) and
/// its result `code` (`OK`, or the first error's `extensions.code`).
pub fn operation(operation: Option<&str>, code: &str, started: Instant) {
    let operation = operation_label(operation);
    let code = if !code.is_empty()
        && code.len() <= 40
        && code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
    {
        code.to_string()
    } else {
        "OTHER".to_string()
    };
    counter!("graphql_operations_total", "operation" => operation.clone(), "code" => code)
        .increment(1);
    histogram!("graphql_operation_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
}

/// The label value of an operation name: itself while the set of names is small.
fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) = name else {
        return "_anonymous".into();
    };
    if name.len() > MAX_OPERATION_NAME_BYTES {
        return "_other".into();
    }
    let Ok(mut seen) = SEEN.get_or_init(Default::default).lock() else {
        return "_other".into();
    };
    if !seen.contains(name) {
        if seen.len() >= MAX_OPERATION_LABELS {
            return "_other".into();
        }
        seen.insert(name.to_string());
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_labels_stay_a_bounded_set() {
        assert_eq!(operation_label(None), "_anonymous");
        assert_eq!(operation_label(Some(&"A".repeat(101))), "_other");
        assert_eq!(operation_label(Some("KeptName")), "KeptName");
        for i in 0..MAX_OPERATION_LABELS + 10 {
            operation_label(Some(&format!("Flood{i}")));
        }
        assert_eq!(operation_label(Some("LateComer")), "_other");
        assert_eq!(operation_label(Some("KeptName")), "KeptName");
    }

    #[test]
    fn routes_are_templates_and_anything_else_is_other() {
        assert_eq!(route("/graphql"), "/graphql");
        assert_eq!(route("/playground/app.0123.js"), "/playground/{file}");
        assert_eq!(route("/scalars/decimal"), "/scalars/{name}");
        assert_eq!(route("/wp-admin/x"), "other");
    }

    #[test]
    fn the_setting_reads_on_off_and_addresses() {
        assert_eq!("on".parse(), Ok(Exposure::WithApi));
        assert_eq!("off".parse(), Ok(Exposure::Off));
        assert_eq!(
            "127.0.0.1:9100".parse(),
            Ok(Exposure::Separate(([127, 0, 0, 1], 9100).into()))
        );
        assert!("nowhere".parse::<Exposure>().is_err());
    }
}
