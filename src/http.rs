//! The HTTP face of the service: `/graphql` (POST and GET, GraphiQL for browsers),
//! `/health`, and the playground's assets.

use std::time::Duration;

use async_graphql::{ParseRequestError, ServerError};
use async_graphql_axum::{GraphQLRequest, GraphQLResponse};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{Caller, WriteAccess};
use crate::graphql::{AppSchema, order};
use crate::playground;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub schema: AppSchema,
    pub db: DatabaseConnection,
    /// The write tokens: who may run mutations.
    pub access: WriteAccess,
}

/// The service's router, with tracing, a request timeout and a body size limit.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/health", get(health))
        .route("/playground/{file}", get(playground::asset))
        .with_state(state)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ))
        .layer(TraceLayer::new_for_http())
}

/// A request that is not valid GraphQL-over-HTTP, answered as a GraphQL error.
pub struct BadRequest(ParseRequestError);

impl From<ParseRequestError> for BadRequest {
    fn from(err: ParseRequestError) -> Self {
        BadRequest(err)
    }
}

impl IntoResponse for BadRequest {
    fn into_response(self) -> Response {
        let (status, message) = match &self.0 {
            ParseRequestError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("request body larger than {MAX_BODY_BYTES} bytes"),
            ),
            ParseRequestError::InvalidRequest(e) => (
                StatusCode::BAD_REQUEST,
                format!("invalid request body: {e}"),
            ),
            ParseRequestError::UnsupportedBatch => (
                StatusCode::BAD_REQUEST,
                "batch requests are not supported".into(),
            ),
            other => (StatusCode::BAD_REQUEST, format!("invalid request: {other}")),
        };
        let body =
            json!({ "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }] });
        (status, Json(body)).into_response()
    }
}

async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Result<GraphQLRequest<BadRequest>, BadRequest>,
) -> Response {
    match request {
        Ok(request) => execute(&state, &headers, request, true).await,
        Err(rejection) => rejection.into_response(),
    }
}

async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    request: Result<GraphQLRequest<BadRequest>, BadRequest>,
) -> Response {
    let has_query = uri
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv.starts_with("query=")));
    if !has_query && wants_html(&headers) {
        return playground::page().into_response();
    }
    match request {
        Ok(request) => execute(&state, &headers, request, false).await,
        Err(rejection) => rejection.into_response(),
    }
}

async fn execute(
    state: &AppState,
    headers: &HeaderMap,
    request: GraphQLRequest<BadRequest>,
    may_write: bool,
) -> Response {
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
    let request = request.into_inner().data(caller);
    let (query, operation) = (request.query.clone(), request.operation_name.clone());
    let mut response = state.schema.execute(request).await;
    order::restore_query_order(&query, operation.as_deref(), &mut response.data);
    for error in &mut response.errors {
        classify(error);
    }
    GraphQLResponse::from(response).into_response()
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
    let code = if message.contains("nested too deep") {
        "QUERY_TOO_DEEP"
    } else if message.contains("too complex") {
        "QUERY_TOO_COMPLEX"
    } else if message.contains("Parse error") || message.starts_with(" -->") {
        "GRAPHQL_PARSE_FAILED"
    } else if message.contains("variable")
        || message.contains("Invalid value for argument")
        || message.starts_with("Failed to parse")
    {
        // "Failed to parse": an input value that its scalar or input type rejected while
        // the field was resolved, e.g. a malformed Decimal inside a mutation's input.
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
