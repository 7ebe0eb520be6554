//! Logging: `tracing` with an env filter (`RUST_LOG`), `info` by default and SQL quiet;
//! text for people or JSON for collectors; colours only on a terminal. And, for the server,
//! optional OpenTelemetry export of request spans over OTLP (HTTP, protobuf): off unless
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::trace::{
    SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, TracerProvider as _,
};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, fmt, layer::Layered, prelude::*};

use crate::trace_context::{TraceParent, new_trace_id};

/// How log lines are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per event (colours only when the output is a terminal).
    #[default]
    Text,
    /// One JSON object per event, with the fields of its spans (request id, operation).
    Json,
}

/// Whether spans are exported to OpenTelemetry (set once, at start).
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// The span exporter while it runs; [`Exporting::shutdown`] sends what is left.
pub struct Exporting(Option<SdkTracerProvider>);

impl Exporting {
    /// Sends the spans not yet exported and stops the exporter.
    pub fn shutdown(self) {
        if let Some(provider) = self.0
            && let Err(e) = provider.shutdown()
        {
            tracing::warn!(error = %e, "OpenTelemetry: spans lost at shutdown");
        }
    }
}

/// Installs the global subscriber. `RUST_LOG` overrides the default filter.
pub fn init(log_sql: bool, format: LogFormat) {
    install(log_sql, format, None);
}

/// [`init`] for the server: also exports spans over OTLP when the standard
/// `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (and
/// `OTEL_SDK_DISABLED` is not `true`). `OTEL_SERVICE_NAME` names the service (default
/// `capex-graph`).
pub fn init_serving(log_sql: bool, format: LogFormat) -> Exporting {
    let wanted = [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty()))
        && !std::env::var("OTEL_SDK_DISABLED").is_ok_and(|v| v.trim() == "true");
    if !wanted {
        install(log_sql, format, None);
        return Exporting(None);
    }
    match exporter() {
        Ok(provider) => {
            install(log_sql, format, Some(provider.tracer("capex-graph")));
            EXPORTING.store(true, Ordering::Relaxed);
            tracing::info!("OpenTelemetry: exporting request spans over OTLP/HTTP");
            Exporting(Some(provider))
        }
        Err(e) => {
            install(log_sql, format, None);
            tracing::warn!(error = %e, "OpenTelemetry export not started");
            Exporting(None)
        }
    }
}

fn exporter() -> Result<SdkTracerProvider, String> {
    use opentelemetry_otlp::WithExportConfig as _;
    if std::env::var("OTEL_EXPORTER_OTLP_PROTOCOL").is_ok_and(|p| p.trim() != "http/protobuf") {
        return Err("only OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf is built in".into());
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_timeout(std::time::Duration::from_secs(5))
        .build()
        .map_err(|e| e.to_string())?;
    let mut resource = opentelemetry_sdk::Resource::builder();
    if std::env::var("OTEL_SERVICE_NAME").is_err() {
        resource = resource.with_service_name("capex-graph");
    }
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build())
}

type Base = Layered<EnvFilter, Registry>;

fn install(log_sql: bool, format: LogFormat, tracer: Option<opentelemetry_sdk::trace::Tracer>) {
    let default = if log_sql {
        "info,sqlx=debug,sea_orm=info"
    } else {
        "info,sqlx=warn,sea_orm=warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let mut layers: Vec<Box<dyn Layer<Base> + Send + Sync>> = Vec::new();
    layers.push(match format {
        LogFormat::Text => fmt::layer()
            .with_target(true)
            .with_ansi(std::io::stdout().is_terminal())
            .boxed(),
        LogFormat::Json => fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .boxed(),
    });
    if let Some(tracer) = tracer {
        layers.push(tracing_opentelemetry::layer().with_tracer(tracer).boxed());
    }
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(layers)
        .try_init();
}

/// Makes `span` (a request's) continue the caller's trace, and returns the request's trace
/// id: the caller's, from a valid `traceparent`; else the exported span's own; else new.
pub fn continue_trace(span: &tracing::Span, parent: Option<&TraceParent>) -> [u8; 16] {
    if !EXPORTING.load(Ordering::Relaxed) {
        return parent.map_or_else(new_trace_id, |p| p.trace_id);
    }
    if let Some(parent) = parent {
        let remote = SpanContext::new(
            TraceId::from_bytes(parent.trace_id),
            SpanId::from_bytes(parent.parent_id),
            TraceFlags::new(parent.flags),
            true,
            TraceState::default(),
        );
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
        return parent.trace_id;
    }
    let own = span.context().span().span_context().trace_id();
    if own == TraceId::INVALID {
        new_trace_id()
    } else {
        own.to_bytes()
    }
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
