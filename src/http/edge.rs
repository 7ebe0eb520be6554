//! The layers every request passes: limits on its head, JSON bodies on every error
//! answer, request ids, the access log (with the trace context) and compression.

use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::trace::TraceLayer;

use super::{MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_URI_BYTES, error_response};
use crate::trace_context::TraceParent;

/// Smallest answer worth compressing, in bytes.
pub const COMPRESS_ABOVE_BYTES: u64 = 1024;

/// Compression of answers and assets by `Accept-Encoding` (zstd, br or gzip), above
/// [`COMPRESS_ABOVE_BYTES`]. Level 4: close to the default levels' ratio on JSON at a
/// fraction of their CPU (brotli's default, 11, takes seconds on the playground's 3.5 MB).
pub(super) fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(COMPRESS_ABOVE_BYTES)))
}

/// Makes the `ETag` of a compressed answer weak (`W/"..."`), as nginx does: the tag is a
/// hash of the uncompressed answer, and a strong tag must differ between encodings (RFC
/// 9110, 8.8.3). Uncompressed answers keep their strong tag; `If-None-Match` compares
/// weakly, so either form revalidates.
pub(super) async fn weaken_etag_when_encoded(mut response: Response) -> Response {
    if response.headers().contains_key(header::CONTENT_ENCODING)
        && let Some(tag) = response.headers().get(header::ETAG)
        && !tag.as_bytes().starts_with(b"W/")
    {
        let mut weak = b"W/".to_vec();
        weak.extend_from_slice(tag.as_bytes());
        if let Ok(weak) = header::HeaderValue::from_bytes(&weak) {
            response.headers_mut().insert(header::ETAG, weak);
        }
    }
    response
}

/// Longest `X-Request-Id` kept from a client, in bytes.
pub const MAX_REQUEST_ID_BYTES: usize = 128;

/// A client's `X-Request-Id` is kept (and echoed) when it is short and printable; anything
/// else is dropped, so that a fresh one is made: a log line never carries a client's
/// control characters.
pub(super) async fn drop_unsafe_request_id(mut request: Request, next: Next) -> Response {
    let unsafe_id = request.headers().get("x-request-id").is_some_and(|id| {
        id.len() > MAX_REQUEST_ID_BYTES
            || id.is_empty()
            || !id.as_bytes().iter().all(|b| b.is_ascii_graphic())
    });
    if unsafe_id {
        request.headers_mut().remove("x-request-id");
    }
    next.run(request).await
}

/// The tracing layer of [`access_log`].
pub(super) type AccessLog = TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    fn(&Request) -> tracing::Span,
    (),
    tower_http::trace::DefaultOnResponse,
>;

/// One span per request (method, path, request id, trace id, GraphQL operation), which
/// continues the caller's trace (W3C `traceparent`), and one access line
/// at INFO when its answer is sent, with status and latency. Never variables or tokens.
pub(super) fn access_log() -> AccessLog {
    fn span(request: &Request) -> tracing::Span {
        let id = request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let span = tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.uri().path(),
            request_id = %id,
            trace_id = tracing::field::Empty,
            operation = tracing::field::Empty,
        );
        let parent = request
            .headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(TraceParent::parse);
        let trace_id = crate::telemetry::continue_trace(&span, parent.as_ref());
        span.record("trace_id", crate::trace_context::hex(&trace_id).as_str());
        span
    }
    TraceLayer::new_for_http()
        .make_span_with(span as fn(&Request) -> tracing::Span)
        .on_request(())
        .on_response(
            tower_http::trace::DefaultOnResponse::new()
                .level(tracing::Level::INFO)
                .latency_unit(tower_http::LatencyUnit::Micros),
        )
}

/// Refuses request targets and headers above their limits, with a JSON answer (hyper's own,
/// much larger, limits answer without a body).
pub(super) async fn bound_request_head(request: Request, next: Next) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if target > MAX_URI_BYTES {
        return error_response(
            StatusCode::URI_TOO_LONG,
            "URI_TOO_LONG",
            format!(
                "request target longer than {MAX_URI_BYTES} bytes: send the query in a POST body"
            ),
        );
    }
    let headers: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if headers > MAX_HEADER_BYTES {
        return error_response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "REQUEST_HEADER_FIELDS_TOO_LARGE",
            format!("request headers larger than {MAX_HEADER_BYTES} bytes"),
        );
    }
    next.run(request).await
}

/// Gives every error answer that has no body (a wrong method, an unknown path, a timeout)
/// a JSON body with a code, keeping its status and headers (`Allow`).
pub(super) async fn json_error_body(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error())
        || response.headers().contains_key(header::CONTENT_TYPE)
    {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("NOT_FOUND", "no such path: GraphQL is served at /graphql"),
        StatusCode::METHOD_NOT_ALLOWED => ("METHOD_NOT_ALLOWED", "method not allowed here"),
        StatusCode::REQUEST_TIMEOUT => (
            "REQUEST_TIMEOUT",
            "the request took longer than the server's request timeout",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => ("PAYLOAD_TOO_LARGE", "request body too large"),
        s if s.is_server_error() => ("INTERNAL", "internal server error"),
        _ => ("BAD_REQUEST", "bad request"),
    };
    let (parts, _) = response.into_parts();
    let mut answer = error_response(status, code, message);
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_LENGTH {
            answer.headers_mut().insert(name.clone(), value.clone());
        }
    }
    answer
}

/// The answer to a body over [`MAX_BODY_BYTES`].
pub(super) fn payload_too_large() -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("request body larger than {MAX_BODY_BYTES} bytes"),
    )
}
