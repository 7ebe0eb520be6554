//! The HTTP face of the service: `/graphql` (POST and GET, GraphiQL for browsers),
//! `/health`, `/metrics`, the scalars' specifications and the playground's assets.

mod answer;
mod cors;
mod documents;
mod edge;
mod fanout;
mod frame;
mod request;
mod shared;
mod socket;

pub use cors::Cors;
pub use documents::{MAX_KEPT_DOCUMENT_BYTES, MAX_KEPT_DOCUMENTS};
pub use edge::{COMPRESS_ABOVE_BYTES, MAX_REQUEST_ID_BYTES};
pub use fanout::{DEFAULT_FANOUT_PRIORITY, FanoutPriority, lower_thread_priority, thread_id};
pub use socket::{
    CLOSE_GOING_AWAY, CLOSE_INIT_TIMEOUT, CLOSE_SLOW_CONSUMER, CLOSE_TOO_MANY_CONNECTIONS,
    DEFAULT_INIT_TIMEOUT_SECS, DEFAULT_KEEPALIVE_SECS, DEFAULT_MAX_QUEUED_BYTES,
    DEFAULT_MAX_SUBSCRIPTIONS, DEFAULT_MAX_WS_CONNECTIONS, Drain, LiveOptions, Sockets,
};

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sea_orm::DatabaseConnection;
use serde_json::json;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;

use self::edge::{
    access_log, bound_request_head, compression, drop_unsafe_request_id, json_error_body,
    weaken_etag_when_encoded,
};
use self::request::{graphql_get, graphql_post};
use crate::auth::WriteAccess;
use crate::graphql::AppSchema;
use crate::live::Live;
use crate::monitoring;
use crate::persisted::PersistedQueries;
use crate::playground;
use crate::replicas::Pools;

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
    /// The primary (`db`) and the read replicas, which `/health` reports on.
    pub pools: Pools,
    /// The write tokens: who may run mutations.
    pub access: WriteAccess,
    /// The HTTP settings of the deployment.
    pub http: HttpOptions,
    /// Documents kept by hash for automatic persisted queries.
    pub persisted: PersistedQueries,
    /// The open WebSocket connections; [`router`] sizes it from `http.live`.
    pub sockets: Sockets,
    /// Closes the WebSocket connections when the server stops.
    pub drain: Drain,
}

impl AppState {
    /// The bus of the schema's subscriptions (a fresh one, with no subscriber, if it has
    /// none).
    pub fn live(&self) -> Live {
        self.schema.data::<Live>().cloned().unwrap_or_default()
    }

    /// The state with the default HTTP settings.
    pub fn new(schema: AppSchema, db: DatabaseConnection, access: WriteAccess) -> Self {
        AppState {
            schema,
            pools: Pools::primary_only(db.clone()),
            db,
            access,
            http: HttpOptions::default(),
            persisted: PersistedQueries::default(),
            sockets: Sockets::new(DEFAULT_MAX_WS_CONNECTIONS),
            drain: Drain::default(),
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
    /// Subscriptions over WebSocket.
    pub live: LiveOptions,
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
            live: LiveOptions::default(),
        }
    }
}

/// The service's router, with tracing, a request timeout, size limits, and a JSON body with
/// an error code on every error answer.
pub fn router(state: AppState) -> Router {
    let state = AppState {
        sockets: Sockets::new(state.http.live.max_connections),
        ..state
    };
    let cors = state.http.cors.layer();
    let request_timeout = state.http.request_timeout;
    let mut routes = Router::new()
        .route("/graphql", get(graphql_get_or_socket).post(graphql_post))
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
        .layer(middleware::map_response(weaken_etag_when_encoded))
        .layer(cors)
        .layer(middleware::from_fn(monitoring::track))
        .layer(access_log())
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(middleware::from_fn(drop_unsafe_request_id))
}

/// `GET /graphql`: a WebSocket for subscriptions when the request asks for an upgrade, a
/// query over GET (or the playground) otherwise.
async fn graphql_get_or_socket(State(state): State<AppState>, request: Request) -> Response {
    if !socket::is_upgrade(request.headers()) {
        return axum::handler::Handler::call(graphql_get, request, state).await;
    }
    let Some(protocol) = socket::protocol(request.headers()) else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "a WebSocket on /graphql speaks `graphql-transport-ws` or the legacy `graphql-ws`: \
             offer one in Sec-WebSocket-Protocol",
        );
    };
    let (mut parts, _) = request.into_parts();
    socket::accept(&mut parts, protocol, state)
}

/// A JSON error answer: `{"errors":[{"message":..., "extensions":{"code":...}}]}`.
pub fn error_response(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!({ "errors": [{ "message": message.into(), "extensions": { "code": code } }] });
    (status, Json(body)).into_response()
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
    monitoring::answer(&state.db, &state.live())
}

/// The metrics alone, for `METRICS=HOST:PORT`: an address of their own.
pub fn metrics_router(db: DatabaseConnection, live: Live) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let (db, live) = (db.clone(), live.clone());
            async move { monitoring::answer(&db, &live) }
        }),
    )
}

/// How long `/health` waits for the database: a probe must get its answer quickly, also
/// while the pool would wait longer for a connection.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(1);

/// `/health`: 200 when the primary answers a ping, 503 when it does not. With read
/// replicas, `replicas` lists each one's state; a replica that does not answer does not
/// make the instance unhealthy (its queries go to the primary).
async fn health(State(state): State<AppState>) -> Response {
    let ping = match tokio::time::timeout(HEALTH_TIMEOUT, state.db.ping()).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {HEALTH_TIMEOUT:?}")),
    };
    let mut body = match &ping {
        Ok(()) => json!({ "status": "ok", "database": "ok" }),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            json!({ "status": "unavailable", "database": "unreachable" })
        }
    };
    if state.pools.has_replicas() {
        let replicas: Vec<_> = state
            .pools
            .replica_health()
            .await
            .into_iter()
            .map(|(name, up)| json!({ "replica": name, "database": if up { "ok" } else { "unreachable" } }))
            .collect();
        body["replicas"] = json!(replicas);
    }
    let status = if ping.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
