//! The HTTP face of the service: `/graphql` (POST and GET, GraphiQL for browsers),
//! `/health`, and the playground's assets.

use std::time::Duration;

use async_graphql::{ServerError, Value};
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{Caller, WriteAccess};
use crate::graphql::{AppSchema, guard, order};
use crate::monitoring;
use crate::persisted::{self, PersistedQueries};
use crate::playground;
use crate::trace_context::TraceParent;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;
/// Longest request target (path and query string) accepted, in bytes. Below the `http`
/// crate's own limit (64 KiB), whose refusal has no body; longer queries go in a POST.
pub const MAX_URI_BYTES: usize = 32 * 1024;
/// Largest total size of the request headers, in bytes.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Largest response body, in bytes, unless configured otherwise.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    /// The write tokens: who may run mutations.
    pub access: WriteAccess,
    /// The HTTP settings of the deployment.
    pub http: HttpOptions,
    /// Documents kept by hash for automatic persisted queries.
    pub persisted: PersistedQueries,
}

impl AppState {
    /// The state with the default HTTP settings.
    pub fn new(schema: AppSchema, db: DatabaseConnection, access: WriteAccess) -> Self {
        AppState {
            schema,
            db,
            access,
            http: HttpOptions::default(),
            persisted: PersistedQueries::default(),
        }
    }
}

/// The HTTP settings of a deployment (see the README's limits and configuration).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// A request running longer is answered 408 and its work dropped.
    pub request_timeout: Duration,
    /// Largest response body; a larger answer is replaced by a `RESPONSE_TOO_LARGE` error.
    pub max_response_bytes: usize,
    /// Which browser origins may call the API.
    pub cors: Cors,
    /// `Cache-Control` of successful reads over GET (which also carry an `ETag`).
    pub get_cache_control: header::HeaderValue,
    /// Most operations in one batch (a JSON array of operations).
    pub max_batch: usize,
    /// Serve the Prometheus metrics at `/metrics` on this router.
    pub metrics: bool,
}

/// Most operations in a batch unless configured otherwise.
pub const DEFAULT_MAX_BATCH: usize = 10;

/// `Cache-Control` of successful reads over GET by default: caches keep the answer but
/// ask every time whether it changed (a 304 when it did not): data changes with writes.
pub const DEFAULT_GET_CACHE_CONTROL: &str = "no-cache";

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            request_timeout: Duration::from_secs(30),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            cors: Cors::default(),
            get_cache_control: header::HeaderValue::from_static(DEFAULT_GET_CACHE_CONTROL),
            max_batch: DEFAULT_MAX_BATCH,
            metrics: true,
        }
    }
}

/// Which other origins a browser lets call the API (CORS).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Cors {
    /// Any origin: a public read API. No cookies are involved (writes carry their token in
    /// `Authorization`), so this lends a page nothing it does not have.
    #[default]
    AnyOrigin,
    /// Only these origins (`https://app.example.com`, exactly as browsers send them).
    Origins(Vec<String>),
    /// No cross-origin calls: browsers refuse them.
    Off,
}

impl std::str::FromStr for Cors {
    type Err = String;

    /// `*` (any origin), `none`, or origins separated by commas.
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text {
            "*" => return Ok(Cors::AnyOrigin),
            "" | "none" => return Ok(Cors::Off),
            _ => {}
        }
        let mut origins = Vec::new();
        for origin in text.split(',').map(str::trim).filter(|o| !o.is_empty()) {
            let (scheme, rest) = origin.split_once("://").ok_or_else(|| {
                format!("{origin:?} is not an origin such as https://app.example.com")
            })?;
            if !matches!(scheme, "http" | "https") || rest.is_empty() || rest.contains('/') {
                return Err(format!(
                    "{origin:?} is not an origin such as https://app.example.com (a scheme and a host, no path)"
                ));
            }
            if header::HeaderValue::from_str(origin).is_err() {
                return Err(format!("{origin:?} is not a valid header value"));
            }
            origins.push(origin.to_string());
        }
        Ok(Cors::Origins(origins))
    }
}

impl Cors {
    /// The layer that answers preflights and marks answers for browsers; preflights are
    /// cached for a day.
    fn layer(&self) -> CorsLayer {
        let layer = CorsLayer::new()
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
            .max_age(Duration::from_secs(24 * 60 * 60));
        match self {
            Cors::AnyOrigin => layer.allow_origin(AllowOrigin::any()),
            Cors::Origins(origins) => layer.allow_origin(AllowOrigin::list(
                origins
                    .iter()
                    .filter_map(|o| header::HeaderValue::from_str(o).ok()),
            )),
            Cors::Off => CorsLayer::new(),
        }
    }
}

/// The service's router, with tracing, a request timeout, size limits, and a JSON body with
/// an error code on every error answer.
pub fn router(state: AppState) -> Router {
    let cors = state.http.cors.layer();
    let request_timeout = state.http.request_timeout;
    let mut routes = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(health))
        .route("/playground/{file}", get(playground::asset))
        .route("/scalars/{name}", get(scalar_spec));
    if state.http.metrics {
        routes = routes.route("/metrics", get(metrics));
    }
    routes
        .with_state(state)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(middleware::from_fn(bound_request_head))
        .layer(middleware::map_response(json_error_body))
        .layer(compression())
        .layer(cors)
        .layer(middleware::from_fn(monitoring::track))
        .layer(access_log())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::from_fn(drop_unsafe_request_id))
}

/// Smallest answer worth compressing, in bytes.
pub const COMPRESS_ABOVE_BYTES: u64 = 1024;

/// Compression of answers and assets by `Accept-Encoding` (zstd, br or gzip), above
/// [`COMPRESS_ABOVE_BYTES`]. Level 4: close to the default levels' ratio on JSON at a
/// fraction of their CPU (brotli's default, 11, takes seconds on the playground's 3.5 MB).
fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(4))
        .compress_when(DefaultPredicate::new().and(SizeAbove::new(COMPRESS_ABOVE_BYTES)))
}

/// Longest `X-Request-Id` kept from a client, in bytes.
pub const MAX_REQUEST_ID_BYTES: usize = 128;

/// A client's `X-Request-Id` is kept (and echoed) when it is short and printable; anything
/// else is dropped, so that a fresh one is made: a log line never carries a client's
/// control characters.
async fn drop_unsafe_request_id(mut request: Request, next: Next) -> Response {
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
type AccessLog = TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    fn(&Request) -> tracing::Span,
    (),
    tower_http::trace::DefaultOnResponse,
>;

/// One span per request (method, path, request id, trace id, GraphQL operation), which
/// continues the caller's trace (W3C `traceparent`), and one access line
/// at INFO when its answer is sent, with status and latency. Never variables or tokens.
fn access_log() -> AccessLog {
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

/// A JSON error answer: `{"errors":[{"message":..., "extensions":{"code":...}}]}`.
pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!({ "errors": [{ "message": message.into(), "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
}

/// Refuses request targets and headers above their limits, with a JSON answer (hyper's own,
/// much larger, limits answer without a body).
async fn bound_request_head(request: Request, next: Next) -> Response {
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
async fn json_error_body(response: Response) -> Response {
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
fn payload_too_large() -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("request body larger than {MAX_BODY_BYTES} bytes"),
    )
}

/// Whether a `Content-Type` is JSON (`application/json`, with any parameters).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

async fn graphql_post(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let media = match negotiate(&headers) {
        Ok(media) => media,
        Err(refusal) => return *refusal,
    };
    // Only JSON: a cross-site form can send text/plain or multipart without a preflight.
    if !is_json(&headers) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "POST bodies must be JSON: send `Content-Type: application/json`",
        );
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return payload_too_large();
    }
    // Read at most the limit: a body without a length stops being read past it.
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            let too_large = std::error::Error::source(&err)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            return if too_large {
                payload_too_large()
            } else {
                error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the request body could not be read",
                )
            };
        }
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return match serde_json::from_slice::<Vec<serde_json::Value>>(&bytes) {
            Ok(operations) => execute_batch(&state, &headers, operations, media).await,
            Err(e) => error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("invalid request body: {e}"),
            ),
        };
    }
    let parsed = serde_json::from_slice::<serde_json::Value>(&bytes)
        .map_err(|e| Unusable::Invalid(format!("invalid request body: {e}")))
        .and_then(|body| request_parameters(body, &state.persisted, privileged(&state, &headers)));
    match parsed {
        Ok(request) => execute(&state, &headers, request, true, media).await,
        Err(unusable) => unusable.into_response(),
    }
}

/// Why the parameters of a request do not make a GraphQL request.
enum Unusable {
    /// Malformed: 400 `BAD_REQUEST`.
    Invalid(String),
    /// The persisted document it names cannot be used (see [`persisted::Refusal`]).
    Refused(persisted::Refusal),
}

impl Unusable {
    fn into_response(self) -> Response {
        match self {
            Unusable::Invalid(message)
            | Unusable::Refused(persisted::Refusal::Invalid(message)) => {
                error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
            }
            // Apollo's clients look for this message and code, in a 200 answer.
            Unusable::Refused(persisted::Refusal::NotFound) => error_response(
                StatusCode::OK,
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound",
            ),
            Unusable::Refused(persisted::Refusal::DocumentNotFound) => error_response(
                StatusCode::BAD_REQUEST,
                "PERSISTED_DOCUMENT_NOT_FOUND",
                "no trusted document has this `documentId`",
            ),
            Unusable::Refused(persisted::Refusal::Untrusted) => error_response(
                StatusCode::FORBIDDEN,
                "UNTRUSTED_DOCUMENT",
                "this server runs only its trusted documents: send a `documentId` from its \
                 manifest",
            ),
        }
    }
}

/// Whether the caller may send documents outside the trusted ones: it holds a write token.
/// Worked out only when the server runs trusted documents alone.
fn privileged(state: &AppState, headers: &HeaderMap) -> bool {
    state.persisted.trusted_only()
        && state
            .access
            .authenticate(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()))
            .writer()
            .is_ok()
}

/// The GraphQL-over-HTTP parameters of a JSON body (or of a GET's URL, made into one):
/// `query` a string, `operationName` a string or null, `variables` and `extensions` objects
/// or null. `query` may be left out when `documentId` or `extensions.persistedQuery` names
/// a trusted or kept document.
fn request_parameters(
    body: serde_json::Value,
    persisted: &PersistedQueries,
    privileged: bool,
) -> Result<async_graphql::Request, Unusable> {
    let serde_json::Value::Object(mut fields) = body else {
        return Err(Unusable::Invalid(
            "the body must be a JSON object: {\"query\": \"...\"}".into(),
        ));
    };
    let query = match fields.remove("query") {
        Some(serde_json::Value::String(query)) => Some(query),
        None | Some(serde_json::Value::Null) => None,
        Some(_) => return Err(Unusable::Invalid("`query` must be a string".into())),
    };
    let extensions = match fields.remove("extensions") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Object(extensions)) => Some(extensions),
        Some(_) => {
            return Err(Unusable::Invalid(
                "`extensions` must be an object or null".into(),
            ));
        }
    };
    let document_id = match fields.remove("documentId") {
        Some(serde_json::Value::String(id)) => Some(id),
        None | Some(serde_json::Value::Null) => None,
        Some(_) => return Err(Unusable::Invalid("`documentId` must be a string".into())),
    };
    let named = persisted::Named {
        query,
        document_id,
        extensions: extensions.as_ref(),
    };
    let query = persisted
        .resolve(named, privileged)
        .map_err(Unusable::Refused)?;
    let mut request = async_graphql::Request::new(query);
    match fields.remove("operationName") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(name)) => request = request.operation_name(name),
        Some(_) => {
            return Err(Unusable::Invalid(
                "`operationName` must be a string or null".into(),
            ));
        }
    }
    match fields.remove("variables") {
        None | Some(serde_json::Value::Null) => {}
        Some(variables @ serde_json::Value::Object(_)) => {
            request = request.variables(async_graphql::Variables::from_json(variables));
        }
        Some(_) => {
            return Err(Unusable::Invalid(
                "`variables` must be an object or null".into(),
            ));
        }
    }
    Ok(request)
}

/// The parameters of a GET request's URL as the JSON object a POST would send:
/// `variables` and `extensions` are JSON texts there.
fn url_parameters(pairs: Vec<(String, String)>) -> Result<serde_json::Value, String> {
    let mut object = serde_json::Map::new();
    for (name, value) in pairs {
        let value = match name.as_str() {
            "query" | "operationName" | "documentId" => serde_json::Value::String(value),
            "variables" | "extensions" => {
                serde_json::from_str(&value).map_err(|e| format!("`{name}` is not JSON: {e}"))?
            }
            _ => continue,
        };
        object.insert(name, value);
    }
    Ok(serde_json::Value::Object(object))
}

/// The media type of a GraphQL answer, chosen by the request's `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    /// `application/json`: every GraphQL answer is 200, as older clients expect.
    Json,
    /// `application/graphql-response+json`: a request refused before execution is 400
    /// and has no `data`.
    GraphqlResponse,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::Json => "application/json",
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// Content negotiation of the GraphQL-over-HTTP specification: the acceptable media type
/// of the highest quality, `application/graphql-response+json` on a tie; `application/json`
/// for a missing `Accept` or one that takes anything; a 406 answer when neither is
/// acceptable.
fn negotiate(headers: &HeaderMap) -> Result<Media, Box<Response>> {
    let accept: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if accept.is_empty() {
        return Ok(Media::Json);
    }
    let mut best: Option<(f32, Media)> = None;
    for range in accept.iter().flat_map(|v| v.split(',')) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let candidate = match media.as_str() {
            "application/graphql-response+json" => Media::GraphqlResponse,
            "application/json" | "application/*" | "*/*" => Media::Json,
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((q, m)) => {
                quality > q
                    || (quality == q
                        && candidate == Media::GraphqlResponse
                        && m != Media::GraphqlResponse)
            }
        };
        if quality > 0.0 && better {
            best = Some((quality, candidate));
        }
    }
    best.map(|(_, media)| media).ok_or_else(|| {
        Box::new(error_response(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            "answers are application/graphql-response+json or application/json: accept one",
        ))
    })
}

async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    parameters: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let pairs = match parameters {
        Ok(Query(pairs)) => pairs,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("invalid URL parameters: {e}"),
            );
        }
    };
    let asks = pairs
        .iter()
        .any(|(name, _)| ["query", "extensions", "documentId"].contains(&name.as_str()));
    if !asks && wants_html(&headers) {
        let mut page = playground::page().into_response();
        for (name, value) in playground::PAGE_HEADERS {
            page.headers_mut()
                .insert(name, header::HeaderValue::from_static(value));
        }
        return page;
    }
    let media = match negotiate(&headers) {
        Ok(media) => media,
        Err(refusal) => return *refusal,
    };
    let request = match url_parameters(pairs)
        .map_err(Unusable::Invalid)
        .and_then(|object| {
            request_parameters(object, &state.persisted, privileged(&state, &headers))
        }) {
        Ok(request) => request,
        Err(unusable) => return unusable.into_response(),
    };
    if guard::is_mutation(&request.query, request.operation_name.as_deref()) {
        let mut refusal = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations are sent with POST: a GET request only reads",
        );
        refusal
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return refusal;
    }
    execute(&state, &headers, request, false, media).await
}

/// One operation's answer, serialized, with what the HTTP answer needs to know of it.
struct Answered {
    status: StatusCode,
    body: serde_json::Result<Vec<u8>>,
    /// It has no errors (a read over GET may then be cached).
    clean: bool,
}

/// Runs one operation for the caller of `headers`.
async fn run(
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
    for error in &mut response.errors {
        classify(error);
    }
    let code = match response.errors.first() {
        None => "OK".to_string(),
        Some(error) => match error.extensions.as_ref().and_then(|x| x.get("code")) {
            Some(Value::String(code)) => code.clone(),
            _ => "INTERNAL".to_string(),
        },
    };
    monitoring::operation(seen.0.get().map(String::as_str), &code, started);
    let unavailable = response.errors.iter().any(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == Value::from("SERVICE_UNAVAILABLE"))
    });
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
async fn execute(
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

/// Sends a serialized answer: refused when over the size limit; an `ETag` and
/// `Cache-Control` (or a 304) when `cacheable`; `Retry-After` with a 503.
fn send(
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
                format!(
                    "the answer would be {} bytes, above the limit of {} bytes: ask for smaller \
                     pages or fewer fields",
                    body.len(),
                    state.http.max_response_bytes
                ),
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
async fn execute_batch(
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
fn entity_tag(body: &[u8]) -> header::HeaderValue {
    let hex = persisted::sha256_hex_bytes(body);
    header::HeaderValue::from_str(&format!("\"{}\"", &hex[..32]))
        .unwrap_or(header::HeaderValue::from_static("\"\""))
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks) or is `*`.
fn if_none_match(headers: &HeaderMap, etag: &header::HeaderValue) -> bool {
    let etag = etag.as_bytes();
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim())
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").as_bytes() == etag)
}

/// The validator and caching headers of a cacheable answer. The answer depends on the
/// `Accept` header (its media type); compression adds `Accept-Encoding`.
fn cache_headers(
    headers: &mut HeaderMap,
    etag: &header::HeaderValue,
    cache_control: &header::HeaderValue,
) {
    headers.insert(header::ETAG, etag.clone());
    headers.insert(header::CACHE_CONTROL, cache_control.clone());
    headers.append(header::VARY, header::HeaderValue::from_static("accept"));
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

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The specification of a custom scalar, which the schema's `@specifiedBy` points at.
async fn scalar_spec(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match crate::graphql::scalars::spec(&name) {
        Some(text) => (
            [
                (header::CONTENT_TYPE, "text/markdown; charset=utf-8"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            text,
        )
            .into_response(),
        None => error_response(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no such scalar specification",
        ),
    }
}

/// The Prometheus metrics (see [`monitoring`]).
async fn metrics(State(state): State<AppState>) -> Response {
    monitoring::answer(&state.db)
}

/// The metrics alone, for `METRICS=HOST:PORT`: an address of their own.
pub fn metrics_router(db: DatabaseConnection) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let db = db.clone();
            async move { monitoring::answer(&db) }
        }),
    )
}

/// How long `/health` waits for the database: a probe must get its answer quickly, also
/// while the pool would wait longer for a connection.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(1);

async fn health(State(state): State<AppState>) -> Response {
    let ping = match tokio::time::timeout(HEALTH_TIMEOUT, state.db.ping()).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {HEALTH_TIMEOUT:?}")),
    };
    match ping {
        Ok(()) => Json(json!({ "status": "ok", "database": "ok" })).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cors;

    #[test]
    fn cors_settings_read_any_none_or_a_list_of_origins() {
        assert_eq!("*".parse::<Cors>(), Ok(Cors::AnyOrigin));
        assert_eq!("none".parse::<Cors>(), Ok(Cors::Off));
        assert_eq!(
            "https://a.example, http://localhost:3000".parse::<Cors>(),
            Ok(Cors::Origins(vec![
                "https://a.example".into(),
                "http://localhost:3000".into()
            ]))
        );
        for bad in [
            "a.example",
            "https://a.example/app",
            "ftp://a.example",
            "https://",
        ] {
            assert!(bad.parse::<Cors>().is_err(), "{bad}");
        }
    }
}
