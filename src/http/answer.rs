//! Running an operation (or a batch) and sending its answer: status by media type, the
//! response size limit, caching headers and 304s, error codes.

use async_graphql::{ServerError, Value};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::request::{Media, Unusable, privileged, request_parameters};
use super::{AppState, error_response};
use crate::auth::Caller;
use crate::graphql::{guard, order};
use crate::monitoring;
use crate::persisted;

/// One operation's answer, serialized, with what the HTTP answer needs to know of it.
pub(super) struct Answered {
    status: StatusCode,
    body: serde_json::Result<Vec<u8>>,
    /// It has no errors (a read over GET may then be cached).
    clean: bool,
}

/// Runs one operation for the caller of `headers`.
pub(super) async fn run(
    state: &AppState,
    headers: &HeaderMap,
    request: async_graphql::Request,
    may_write: bool,
    media: Media,
) -> Answered {
    // Who is calling, for the mutations to check; the token itself goes no further.
    let caller = if may_write {
        state.access.authenticate(
            headers
                .get(header::AUTHORIZATION)
                .map(|value| value.as_bytes()),
        )
    } else {
        Caller::ReadOnlyRequest
    };
    let started = std::time::Instant::now();
    let seen = guard::OperationSeen::default();
    let request = request.data(caller).data(seen.clone());
    let (query, operation) = (request.query.clone(), request.operation_name.clone());
    let mut response = state.schema.execute(request).await;
    // Refused before execution: parsing, validation, the guard, variables. (An error in
    // execution has a path, or leaves some data.)
    let refused = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    if response.data == Value::Null {
        // Every field skipped: the answer is `{}`.
        if response.errors.is_empty() {
            response.data = Value::Object(Default::default());
        }
    } else {
        // Only after the guard let the query through: its fragment expansion is bounded.
        order::restore_query_order(&query, operation.as_deref(), &mut response.data);
    }
    classify_all(&mut response);
    let code = response
        .errors
        .first()
        .map_or("OK", |e| error_code(e).unwrap_or("INTERNAL"));
    monitoring::operation(seen.0.get().map(String::as_str), code, started);
    let unavailable = has_code(&response, "SERVICE_UNAVAILABLE");
    let (status, body) = if unavailable {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::to_vec(&response),
        )
    } else if refused && media == Media::GraphqlResponse {
        // A request that never ran has no `data` entry at all.
        let errors = json!({ "errors": &response.errors });
        (StatusCode::BAD_REQUEST, serde_json::to_vec(&errors))
    } else {
        (StatusCode::OK, serde_json::to_vec(&response))
    };
    Answered {
        status,
        body,
        clean: response.errors.is_empty(),
    }
}

/// The HTTP answer to one operation (or a batch's array): the size limit, then caching
/// headers for a clean read over GET.
pub(super) async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    request: async_graphql::Request,
    may_write: bool,
    media: Media,
) -> Response {
    let answered = run(state, headers, request, may_write, media).await;
    let cacheable = !may_write && answered.status == StatusCode::OK && answered.clean;
    send(
        state,
        headers,
        answered.status,
        answered.body,
        media,
        cacheable,
    )
}

/// The message of a `RESPONSE_TOO_LARGE` error: an answer of `bytes` bytes over `max`.
pub(super) fn too_large(bytes: usize, max: usize) -> String {
    format!(
        "the answer would be {bytes} bytes, above the limit of {max} bytes: ask for smaller \
         pages or fewer fields"
    )
}

/// Sends a serialized answer: refused when over the size limit; an `ETag` and
/// `Cache-Control` (or a 304) when `cacheable`; `Retry-After` with a 503.
pub(super) fn send(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    serialized: serde_json::Result<Vec<u8>>,
    media: Media,
    cacheable: bool,
) -> Response {
    let body = match serialized {
        Ok(body) if body.len() <= state.http.max_response_bytes => body,
        Ok(body) => {
            tracing::warn!(bytes = body.len(), "response over the size limit refused");
            return error_response(
                StatusCode::OK,
                "RESPONSE_TOO_LARGE",
                too_large(body.len(), state.http.max_response_bytes),
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "response could not be serialized");
            return error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal server error",
            );
        }
    };
    // A read over GET that succeeded can be cached: a strong ETag of the answer, the
    // configured Cache-Control, and 304 when the client holds it already.
    let etag = cacheable.then(|| entity_tag(&body));
    if let Some(etag) = &etag
        && if_none_match(headers, etag)
    {
        let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
        cache_headers(
            not_modified.headers_mut(),
            etag,
            &state.http.get_cache_control,
        );
        return not_modified;
    }
    let mut answer = (status, [(header::CONTENT_TYPE, media.content_type())], body).into_response();
    if let Some(etag) = &etag {
        cache_headers(answer.headers_mut(), etag, &state.http.get_cache_control);
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    answer
}

/// A batch: a JSON array of operations, answered by an array in the same order. Each
/// operation passes the guard on its own; the batch is at most `max_batch` long, and its
/// answer is under the response size limit as a whole.
pub(super) async fn execute_batch(
    state: &AppState,
    headers: &HeaderMap,
    operations: Vec<serde_json::Value>,
    media: Media,
) -> Response {
    let max = state.http.max_batch;
    if operations.is_empty() || operations.len() > max {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!(
                "a batch holds 1 to {max} operations; this one holds {}",
                operations.len()
            ),
        );
    }
    let mut requests = Vec::with_capacity(operations.len());
    let privileged = privileged(state, headers);
    for (index, operation) in operations.into_iter().enumerate() {
        match request_parameters(operation, &state.persisted, privileged) {
            Ok(request) => requests.push(request),
            Err(Unusable::Invalid(message)) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    format!("operation {index} of the batch: {message}"),
                );
            }
            Err(refused) => return refused.into_response(),
        }
    }
    let mut body = b"[".to_vec();
    let mut status = StatusCode::OK;
    // One after the other: a batch costs one client's turn, not ten.
    for (index, request) in requests.into_iter().enumerate() {
        let answered = run(state, headers, request, true, Media::Json).await;
        if answered.status == StatusCode::SERVICE_UNAVAILABLE {
            status = StatusCode::SERVICE_UNAVAILABLE;
        }
        match answered.body {
            Ok(answer) => {
                if index > 0 {
                    body.push(b',');
                }
                body.extend_from_slice(&answer);
            }
            Err(e) => return send(state, headers, status, Err(e), media, false),
        }
    }
    body.push(b']');
    send(state, headers, status, Ok(body), media, false)
}

/// A strong entity tag of an answer: the first 128 bits of its SHA-256, in hex.
pub(super) fn entity_tag(body: &[u8]) -> header::HeaderValue {
    let hex = persisted::sha256_hex_bytes(body);
    header::HeaderValue::from_str(&format!("\"{}\"", &hex[..32]))
        .unwrap_or(header::HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks) or is `*`.
pub(super) fn if_none_match(headers: &HeaderMap, etag: &header::HeaderValue) -> bool {
    let etag = etag.as_bytes();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").as_bytes() == etag)
}

/// The validator and caching headers of a cacheable answer, a 304 as a 200 (RFC 9110
/// asks for the same `Vary` on both). The answer depends on `Accept` (its media type) and
/// `Accept-Encoding` (compressed or not, whether or not this answer was).
pub(super) fn cache_headers(
    headers: &mut HeaderMap,
    etag: &header::HeaderValue,
    cache_control: &header::HeaderValue,
) {
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, cache_control.clone());
    headers.append(
        header::VARY,
        header::HeaderValue::from_static("accept, accept-encoding"),
    );
}

/// Whether an error of `response` has `extensions.code` `code`.
pub(super) fn has_code(response: &async_graphql::Response, code: &str) -> bool {
    response.errors.iter().any(|e| error_code(e) == Some(code))
}

/// The `extensions.code` of an error, once [`classify`] has given it one.
fn error_code(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        Value::String(code) => Some(code),
        _ => None,
    }
}

/// Gives each error of `response` its stable `extensions.code` ([`classify`]).
pub(super) fn classify_all(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        classify(error);
    }
}

/// Gives every error a stable `extensions.code`: errors raised by our resolvers carry one
/// already; those raised by async-graphql itself (parsing, validation, limits) get one here.
fn classify(error: &mut ServerError) {
    if error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some())
    {
        return;
    }
    let message = error.message.as_str();
    let code = if message.contains("nested too deep") || message.contains("recursion depth") {
        "QUERY_TOO_DEEP"
    } else if message.contains("too complex") {
        "QUERY_TOO_COMPLEX"
    } else if message.contains("Parse error") || message.starts_with(" -->") {
        "GRAPHQL_PARSE_FAILED"
    } else if message.contains("variable")
        || message.contains("Variable ")
        || message.contains("Invalid value for argument")
        || message.starts_with("Failed to parse")
        || message.starts_with("Expected input type")
    {
        // "Failed to parse": an input value that its scalar or input type rejected while
        // the field was resolved, e.g. a malformed Decimal inside a mutation's input.
        // "Expected input type": a variable of the wrong shape for an input object.
        "BAD_USER_INPUT"
    } else if error.path.is_empty() {
        "GRAPHQL_VALIDATION_FAILED"
    } else {
        "INTERNAL"
    };
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}
