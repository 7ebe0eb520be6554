//! Subscriptions over WebSocket on `GET /graphql`: the `graphql-transport-ws` protocol and
//! the legacy `graphql-ws` one, as async-graphql speaks them, with the deployment's limits
//! around them: connections per instance, subscriptions per connection, a deadline for
//! `connection_init`, keep-alive pings, and slow consumers closed.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_graphql::futures_util::stream::{self, BoxStream};
use async_graphql::futures_util::{self, FutureExt, SinkExt, StreamExt};
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response, ServerError};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::AppState;
use super::shared::{Connection, Frames};
use crate::auth::{Caller, WriteAccess};
use crate::graphql::AppSchema;
use crate::graphql::GqlError;
use crate::graphql::guard::{OperationType, operation_type};
use crate::graphql::live::Session;
use crate::live::Live;
use crate::persisted::{self, PersistedQueries};

/// Close code when the instance has as many WebSocket connections as it may.
pub const CLOSE_TOO_MANY_CONNECTIONS: u16 = 1013;
/// Close code when no `connection_init` came in time (the `graphql-transport-ws` code).
pub const CLOSE_INIT_TIMEOUT: u16 = 4408;
/// Close code when a subscriber fell further behind than the buffer allows.
pub const CLOSE_SLOW_CONSUMER: u16 = 4008;
/// Close code when the server stops (RFC 6455 "going away"): clients reconnect to another
/// instance or after the restart.
pub const CLOSE_GOING_AWAY: u16 = 1001;

/// The WebSocket settings of a deployment (see the README's limits and configuration).
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Most WebSocket connections this instance serves at once.
    pub max_connections: usize,
    /// Most subscriptions one connection runs at once.
    pub max_subscriptions: usize,
    /// How often the server pings an idle connection; a socket that accepts nothing for
    /// this long is dropped.
    pub keepalive: Duration,
    /// How long a new connection may take to send `connection_init`.
    pub init_timeout: Duration,
    /// Nice value of the threads that serve WebSocket connections (see `http::fanout`);
    /// 0 serves them on the request threads.
    pub fanout_nice: u8,
}

/// Defaults of [`LiveOptions`].
pub const DEFAULT_MAX_WS_CONNECTIONS: usize = 1000;
pub const DEFAULT_MAX_SUBSCRIPTIONS: usize = 20;
pub const DEFAULT_KEEPALIVE_SECS: u64 = 15;
pub const DEFAULT_INIT_TIMEOUT_SECS: u64 = 10;

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            max_connections: DEFAULT_MAX_WS_CONNECTIONS,
            max_subscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
            keepalive: Duration::from_secs(DEFAULT_KEEPALIVE_SECS),
            init_timeout: Duration::from_secs(DEFAULT_INIT_TIMEOUT_SECS),
            fanout_nice: super::fanout::DEFAULT_FANOUT_NICE,
        }
    }
}

/// The open WebSocket connections of an instance, against its limit.
#[derive(Clone, Debug)]
pub struct Sockets(Arc<Semaphore>);

impl Sockets {
    /// Room for `max` connections.
    pub fn new(max: usize) -> Self {
        Sockets(Arc::new(Semaphore::new(max)))
    }
}

/// Tells the open WebSocket connections that the server is stopping, and waits for them
/// to close. A stopping server's HTTP requests finish by themselves (axum's graceful
/// shutdown), but an upgraded connection is no longer axum's: without this, the process
/// would exit under its subscribers, who would see the TCP connection drop (1006) instead
/// of a close frame.
#[derive(Clone, Debug)]
pub struct Drain(Arc<DrainState>);

#[derive(Debug)]
struct DrainState {
    closing: tokio::sync::watch::Sender<bool>,
    open: std::sync::atomic::AtomicUsize,
    closed: tokio::sync::Notify,
}

impl Default for Drain {
    fn default() -> Self {
        Drain(Arc::new(DrainState {
            closing: tokio::sync::watch::Sender::new(false),
            open: std::sync::atomic::AtomicUsize::new(0),
            closed: tokio::sync::Notify::new(),
        }))
    }
}

impl Drain {
    /// Asks every open connection to close with [`CLOSE_GOING_AWAY`]; connections that
    /// open afterwards are closed at once.
    pub fn close(&self) {
        self.0.closing.send_replace(true);
    }

    /// Waits until every connection has closed, at most `limit`; true when none is left.
    pub async fn wait(&self, limit: Duration) -> bool {
        let all_closed = async {
            loop {
                let notified = self.0.closed.notified();
                if self.open() == 0 {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, all_closed).await.is_ok()
    }

    /// How many connections are open.
    pub fn open(&self) -> usize {
        self.0.open.load(Ordering::SeqCst)
    }

    /// Counts a connection until the guard drops, and the signal to close it.
    fn enter(&self) -> (DrainGuard, tokio::sync::watch::Receiver<bool>) {
        self.0.open.fetch_add(1, Ordering::SeqCst);
        (DrainGuard(self.clone()), self.0.closing.subscribe())
    }
}

struct DrainGuard(Drain);

impl Drop for DrainGuard {
    fn drop(&mut self) {
        self.0.0.open.fetch_sub(1, Ordering::SeqCst);
        self.0.0.closed.notify_waiters();
    }
}

/// Whether the request asks for a WebSocket.
pub(super) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The GraphQL protocol the client offers in `Sec-WebSocket-Protocol`.
pub(super) fn protocol(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())?
        .split(',')
        .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
}

/// Accepts the upgrade and serves the connection.
pub(super) fn accept(
    upgrade: WebSocketUpgrade,
    protocol: WebSocketProtocols,
    state: AppState,
) -> HttpResponse {
    let permit = state.sockets.0.clone().try_acquire_owned().ok();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // A message is bounded like a request body (axum's default is 64 MiB).
        .max_message_size(super::MAX_BODY_BYTES)
        .max_frame_size(super::MAX_BODY_BYTES)
        .on_upgrade(move |socket| {
            let nice = state.http.live.fanout_nice;
            super::fanout::serve_with(nice, async move {
                match permit {
                    Some(permit) => serve(socket, protocol, state, permit).await,
                    None => refuse(socket, state.http.live.max_connections).await,
                }
            })
        })
        .into_response()
}

/// Closes a connection past the limit, with a code clients retry later on.
async fn refuse(mut socket: WebSocket, max: usize) {
    tracing::warn!(
        max,
        "WebSocket connection refused: the instance has as many as it may"
    );
    let frame = CloseFrame {
        code: CLOSE_TOO_MANY_CONNECTIONS,
        reason: format!(
            "this server has {max} WebSocket connections, the most it may: retry later"
        )
        .into(),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(5),
        socket.send(Message::Close(Some(frame))),
    )
    .await;
}

async fn serve(
    socket: WebSocket,
    protocol: WebSocketProtocols,
    state: AppState,
    _permit: OwnedSemaphorePermit,
) {
    let options = state.http.live.clone();
    let (_open, mut stopping) = state.drain.enter();
    let (mut sink, incoming) = socket.split();
    let session = Session::new(options.max_subscriptions);
    let executor = SocketExecutor {
        live: state.schema.data::<Live>().cloned().unwrap_or_default(),
        schema: state.schema.clone(),
        persisted: state.persisted.clone(),
    };
    // Shared subscriptions are served by `shared`, the others by async-graphql.
    let (shared, mut frames) = Connection::new(executor.clone(), protocol, session.clone());
    let input = incoming
        .take_while(|message| std::future::ready(message.is_ok()))
        .filter_map({
            let shared = shared.clone();
            move |message| {
                std::future::ready(match message {
                    Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                        shared.intercept(message.into_data())
                    }
                    _ => None,
                })
            }
        });
    let mut data = Data::default();
    data.insert(session.clone());
    let access = state.access.clone();
    let on_init = {
        let shared = shared.clone();
        let session = session.clone();
        move |payload: serde_json::Value| async move {
            let caller = caller(&access, &payload);
            let mut own = Data::default();
            own.insert(session.clone());
            own.insert(caller.clone());
            shared.initialized(caller.writer().is_ok(), own);
            let mut data = Data::default();
            data.insert(caller);
            Ok(data)
        }
    };
    let messages = async_graphql::http::WebSocket::new(executor, input, protocol)
        .connection_data(data)
        .on_connection_init(on_init);
    futures_util::pin_mut!(messages);
    let init_deadline = tokio::time::sleep(options.init_timeout);
    tokio::pin!(init_deadline);
    let mut keepalive = tokio::time::interval(options.keepalive);
    keepalive.reset();
    let ping = match protocol {
        WebSocketProtocols::GraphQLWS => r#"{"type":"ping"}"#,
        WebSocketProtocols::SubscriptionsTransportWS => r#"{"type":"ka"}"#,
    };
    loop {
        let next: Frames = tokio::select! {
            biased;
            _ = stopping.wait_for(|stop| *stop) => vec![close(CLOSE_GOING_AWAY, "the server is stopping: reconnect")],
            () = session.lagged() => vec![close(CLOSE_SLOW_CONSUMER, "slow consumer: a subscription fell too far behind; reconnect and re-read")],
            () = &mut init_deadline, if !shared.is_initialized() => vec![close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout")],
            _ = keepalive.tick(), if shared.is_initialized() => vec![Message::Text(ping.into())],
            Some(batch) = frames.recv() => batch,
            message = messages.next() => match message {
                Some(message) => vec![outgoing(message)],
                None => break,
            },
        };
        let mut closing = false;
        let mut ended = false;
        // A socket that accepts nothing for a whole keep-alive interval is gone or too
        // slow: dropping it frees its memory.
        let sent = tokio::time::timeout(options.keepalive, async {
            let mut batched = 0;
            for message in next {
                closing |= matches!(message, Message::Close(_));
                sink.feed(message).await?;
                batched += 1;
            }
            // The messages ready now (one event for many subscriptions of this connection)
            // go out in the same write: one flush, not one system call per message.
            while !closing && batched < MAX_BATCH {
                if let Ok(batch) = frames.try_recv() {
                    batched += batch.len();
                    for message in batch {
                        sink.feed(message).await?;
                    }
                    continue;
                }
                let Some(ready) = messages.next().now_or_never() else {
                    break;
                };
                let Some(message) = ready.map(outgoing) else {
                    ended = true;
                    break;
                };
                closing = matches!(message, Message::Close(_));
                sink.feed(message).await?;
                batched += 1;
            }
            sink.flush().await
        })
        .await;
        match sent {
            Ok(Ok(())) if !closing && !ended => {}
            _ => break,
        }
    }
}

/// Messages ready at once that are written together before the connection's other duties
/// (closing, keep-alive) are looked at again.
const MAX_BATCH: usize = 64;

/// The frame of a protocol message.
fn outgoing(message: WsMessage) -> Message {
    match message {
        WsMessage::Text(text) => Message::Text(text.into()),
        WsMessage::Close(code, reason) => close(code, &reason),
    }
}

/// A value of type `T` in a connection's data, if it has one.
fn connection_value<T: std::any::Any + Send + Sync>(data: &Option<Arc<Data>>) -> Option<&T> {
    data.as_ref()?
        .get(&std::any::TypeId::of::<T>())?
        .downcast_ref::<T>()
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// Who the `connection_init` payload names: its `Authorization` (or `authorization`, or
/// either under `headers`) is checked like the HTTP header.
fn caller(access: &WriteAccess, payload: &serde_json::Value) -> Caller {
    let find = |value: &serde_json::Value| {
        ["Authorization", "authorization"]
            .iter()
            .find_map(|key| value.get(key).and_then(|v| v.as_str()).map(str::to_string))
    };
    let authorization = find(payload).or_else(|| payload.get("headers").and_then(find));
    access.authenticate(authorization.as_deref().map(str::as_bytes))
}

/// Runs what comes over a WebSocket: subscriptions only (queries and mutations go over
/// HTTP, under its timeout, size and batch limits), and only trusted documents when the
/// server runs those alone.
#[derive(Clone)]
pub(super) struct SocketExecutor {
    pub(super) schema: AppSchema,
    persisted: PersistedQueries,
    pub(super) live: Live,
}

impl Executor for SocketExecutor {
    fn execute(&self, request: Request) -> impl std::future::Future<Output = Response> + Send {
        let schema = self.schema.clone();
        async move { schema.execute(request).await }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let privileged =
            connection_value::<Caller>(&session_data).is_some_and(|caller| caller.writer().is_ok());
        match self.admit(request, privileged) {
            Ok(request) => Executor::execute_stream(&self.schema, request, session_data),
            Err(error) => stream::once(async move { Response::from_errors(vec![error]) }).boxed(),
        }
    }
}

impl SocketExecutor {
    pub(super) fn admit(
        &self,
        mut request: Request,
        privileged: bool,
    ) -> Result<Request, ServerError> {
        if self.persisted.trusted_only() || request.extensions.contains_key("persistedQuery") {
            let extensions = serde_json::to_value(&request.extensions)
                .ok()
                .and_then(|v| v.as_object().cloned());
            let named = persisted::Named {
                query: Some(std::mem::take(&mut request.query)).filter(|q| !q.is_empty()),
                document_id: None,
                extensions: extensions.as_ref(),
            };
            request.query = self.persisted.resolve(named, privileged).map_err(refusal)?;
        }
        match operation_type(&request.query, request.operation_name.as_deref()) {
            Some(OperationType::Subscription) | None => Ok(request),
            Some(_) => Err(error(
                "BAD_REQUEST",
                "over WebSocket this server runs subscriptions only: send queries and \
                 mutations over HTTP (POST /graphql)",
            )),
        }
    }
}

/// A resolver's error, sent from outside any field.
pub(super) fn server_error(error: GqlError) -> ServerError {
    let error = async_graphql::Error::from(error);
    let mut server = ServerError::new(error.message, None);
    server.extensions = error.extensions;
    server
}

fn refusal(refusal: persisted::Refusal) -> ServerError {
    match refusal {
        persisted::Refusal::Invalid(message) => error("BAD_REQUEST", &message),
        persisted::Refusal::NotFound => {
            error("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")
        }
        persisted::Refusal::DocumentNotFound => error(
            "PERSISTED_DOCUMENT_NOT_FOUND",
            "no trusted document has this `documentId`",
        ),
        persisted::Refusal::Untrusted => error(
            "UNTRUSTED_DOCUMENT",
            "this server runs only its trusted documents: send a `documentId` from its manifest",
        ),
    }
}

fn error(code: &str, message: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code);
    error.extensions = Some(extensions);
    error
}
