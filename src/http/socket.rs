//! Subscriptions over WebSocket on `GET /graphql`: the `graphql-transport-ws` protocol and
//! the legacy `graphql-ws` one, as async-graphql speaks them, with the deployment's limits
//! around them: connections per instance, subscriptions per connection, a deadline for
//! `connection_init`, keep-alive pings, and slow consumers closed.

use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use async_graphql::futures_util::stream::{self, BoxStream};
use async_graphql::futures_util::{self, FutureExt, Sink, Stream, StreamExt};
use async_graphql::http::{WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response, ServerError};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, Method, StatusCode, Version, header};
use axum::response::Response as HttpResponse;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use tokio::io::AsyncWrite;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};

use super::AppState;
use super::documents::{Kind, documents};
use super::frame::Frames;
use super::shared::Connection;
use crate::auth::{Caller, WriteAccess};
use crate::graphql::AppSchema;
use crate::graphql::GqlError;
use crate::graphql::guard::OperationType;
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
    /// Where WebSocket connections are served, and at which priority (see `http::fanout`).
    pub fanout: super::FanoutPriority,
    /// Most bytes of frames that wait in the server for one connection's socket; past it
    /// the connection's subscriptions wait (and fall behind, up to the buffer of changes).
    /// Frames sent without waiting (a `complete`, an error) may go a little beyond it, then
    /// close the connection as a slow consumer. One message larger than this waits for an
    /// empty queue.
    pub max_queued_bytes: usize,
}

/// Defaults of [`LiveOptions`].
pub const DEFAULT_MAX_WS_CONNECTIONS: usize = 1000;
pub const DEFAULT_MAX_SUBSCRIPTIONS: usize = 20;
pub const DEFAULT_KEEPALIVE_SECS: u64 = 15;
pub const DEFAULT_INIT_TIMEOUT_SECS: u64 = 10;
pub const DEFAULT_MAX_QUEUED_BYTES: usize = 1024 * 1024;

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            max_connections: DEFAULT_MAX_WS_CONNECTIONS,
            max_subscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
            keepalive: Duration::from_secs(DEFAULT_KEEPALIVE_SECS),
            init_timeout: Duration::from_secs(DEFAULT_INIT_TIMEOUT_SECS),
            fanout: super::DEFAULT_FANOUT_PRIORITY,
            max_queued_bytes: DEFAULT_MAX_QUEUED_BYTES,
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

/// How much of a client's frames one read takes in. tungstenite's default, 128 KiB, is
/// zeroed before every read, also before the reads that find nothing, and a connection
/// polls its socket at least once per event it sends: with 20 connections that was 5 MiB
/// of zeroing per write. Clients send short messages; a longer one takes several reads.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// An upgraded connection.
type Socket = WebSocketStream<TokioIo<Upgraded>>;

/// Checks the upgrade request (RFC 6455, section 4.2.1), answers `101 Switching Protocols`
/// and serves the connection once the upgrade is through.
pub(super) fn accept(
    parts: &mut Parts,
    protocol: WebSocketProtocols,
    state: AppState,
) -> HttpResponse {
    let (on_upgrade, accept_key) = match handshake(parts) {
        Ok(upgrade) => upgrade,
        Err((status, message)) => return super::error_response(status, "BAD_REQUEST", message),
    };
    let permit = state.sockets.0.clone().try_acquire_owned().ok();
    tokio::spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => {
                tracing::debug!(%error, "a WebSocket upgrade did not go through");
                return;
            }
        };
        // A message is bounded like a request body (the library's default is 64 MiB).
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER_BYTES)
            .max_message_size(Some(super::MAX_BODY_BYTES))
            .max_frame_size(Some(super::MAX_BODY_BYTES));
        let socket =
            WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config))
                .await;
        let socket = Shared(Arc::new(Mutex::new(socket)));
        super::fanout::serve_with(state.http.live.fanout, async move {
            match permit {
                Some(permit) => serve(socket, protocol, state, permit).await,
                None => refuse(socket, state.http.live.max_connections).await,
            }
        })
        .await;
    });
    let mut response = HttpResponse::new(Body::empty());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        header::CONNECTION,
        header::HeaderValue::from_static("upgrade"),
    );
    headers.insert(
        header::UPGRADE,
        header::HeaderValue::from_static("websocket"),
    );
    if let Ok(accept) = header::HeaderValue::from_str(&accept_key) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    headers.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        header::HeaderValue::from_static(protocol.sec_websocket_protocol()),
    );
    response
}

/// The connection's upgrade and the `Sec-WebSocket-Accept` value, or why the request is
/// not a WebSocket handshake.
fn handshake(parts: &mut Parts) -> Result<(OnUpgrade, String), (StatusCode, &'static str)> {
    let bad = |message| Err((StatusCode::BAD_REQUEST, message));
    if parts.method != Method::GET || parts.version != Version::HTTP_11 {
        return bad("a WebSocket opens with an HTTP/1.1 GET request");
    }
    if !has_token(&parts.headers, header::CONNECTION, "upgrade") {
        return bad("a WebSocket handshake has `Connection: upgrade`");
    }
    if parts
        .headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_none_or(|version| version.as_bytes() != b"13")
    {
        return bad("this server speaks WebSocket version 13: send `Sec-WebSocket-Version: 13`");
    }
    let Some(key) = parts.headers.get(header::SEC_WEBSOCKET_KEY) else {
        return bad("a WebSocket handshake has a `Sec-WebSocket-Key` header");
    };
    let accept_key = derive_accept_key(key.as_bytes());
    let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
        return Err((
            StatusCode::UPGRADE_REQUIRED,
            "this connection cannot be upgraded to a WebSocket",
        ));
    };
    Ok((on_upgrade, accept_key))
}

/// Whether header `name` lists `token` (comma-separated, any case).
fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|value| value.trim().eq_ignore_ascii_case(token))
}

/// A connection's socket, shared by its reader (the client's messages, which async-graphql
/// takes as a stream) and its writer (the loop in [`serve`]), both in the connection's one
/// task: the lock is never waited for.
#[derive(Clone)]
struct Shared(Arc<Mutex<Socket>>);

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Socket> {
        super::shared::lock(&self.0)
    }

    /// Writes `frames` to the socket: the library's own frames first (the answer to a
    /// client's ping or close, which it may still hold), then these in one write.
    async fn write(&self, frames: &Frames) -> Result<(), tungstenite::Error> {
        if frames.is_empty() {
            return Ok(());
        }
        std::future::poll_fn(|cx| Pin::new(&mut *self.lock()).poll_flush(cx)).await?;
        let mut bytes = frames.bytes();
        while !bytes.is_empty() {
            let written =
                std::future::poll_fn(|cx| Pin::new(self.lock().get_mut()).poll_write(cx, bytes))
                    .await?;
            if written == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::WriteZero).into());
            }
            bytes = &bytes[written..];
        }
        std::future::poll_fn(|cx| Pin::new(self.lock().get_mut()).poll_flush(cx)).await?;
        Ok(())
    }
}

impl Stream for Shared {
    type Item = Result<Message, tungstenite::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut *self.lock()).poll_next(cx)
    }
}

/// Closes a connection past the limit, with a code clients retry later on.
async fn refuse(socket: Shared, max: usize) {
    tracing::warn!(
        max,
        "WebSocket connection refused: the instance has as many as it may"
    );
    let reason =
        format!("this server has {max} WebSocket connections, the most it may: retry later");
    let frames = Frames::close(CLOSE_TOO_MANY_CONNECTIONS, &reason);
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.write(&frames)).await;
}

async fn serve(
    socket: Shared,
    protocol: WebSocketProtocols,
    state: AppState,
    _permit: OwnedSemaphorePermit,
) {
    let options = state.http.live.clone();
    let (_open, mut stopping) = state.drain.enter();
    let session = Session::new(options.max_subscriptions);
    let max_response_bytes = state.http.max_response_bytes;
    let executor = SocketExecutor {
        live: state.live(),
        schema: state.schema.clone(),
        persisted: state.persisted.clone(),
        max_response_bytes,
    };
    // Shared subscriptions are served by `shared`, the others by async-graphql.
    let (shared, mut frames) = Connection::new(
        executor.clone(),
        protocol,
        session.clone(),
        options.max_queued_bytes,
    );
    let input = socket
        .clone()
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
    // The room in the connection's queue of the frames being written, given back once
    // they are.
    let mut held = Vec::new();
    loop {
        let mut next: Frames = tokio::select! {
            biased;
            _ = stopping.wait_for(|stop| *stop) => Frames::close(CLOSE_GOING_AWAY, "the server is stopping: reconnect"),
            () = session.lagged() => Frames::close(CLOSE_SLOW_CONSUMER, "slow consumer: a subscription fell too far behind; reconnect and re-read"),
            () = &mut init_deadline, if !shared.is_initialized() => Frames::close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout"),
            _ = keepalive.tick(), if shared.is_initialized() => Frames::text(&[ping]),
            Some((batch, room)) = frames.recv() => {
                held.push(room);
                batch
            }
            message = messages.next() => match message {
                Some(message) => outgoing(message, &shared, max_response_bytes),
                None => break,
            },
        };
        // The messages ready now (one event for many subscriptions of this connection)
        // go out in the same write: one system call, not one per message.
        let mut ended = false;
        while !next.closes() && next.count() < MAX_BATCH && next.bytes().len() < MAX_BATCH_BYTES {
            if let Ok((batch, room)) = frames.try_recv() {
                held.push(room);
                next.append(batch);
                continue;
            }
            let Some(ready) = messages.next().now_or_never() else {
                break;
            };
            match ready {
                Some(message) => next.append(outgoing(message, &shared, max_response_bytes)),
                None => {
                    ended = true;
                    break;
                }
            }
        }
        // A socket that accepts nothing for a whole keep-alive interval is gone or too
        // slow: dropping it frees its memory. Most writes go through at once, without
        // the timer.
        let write = socket.write(&next);
        tokio::pin!(write);
        let sent = match write.as_mut().now_or_never() {
            Some(written) => Ok(written),
            None => tokio::time::timeout(options.keepalive, write).await,
        };
        held.clear();
        match sent {
            Ok(Ok(())) if !next.closes() && !ended => {}
            _ => break,
        }
    }
}

/// Messages ready at once that are written together before the connection's other duties
/// (closing, keep-alive) are looked at again: at most this many, and no more once they
/// hold [`MAX_BATCH_BYTES`].
const MAX_BATCH: usize = 64;
const MAX_BATCH_BYTES: usize = 256 * 1024;

/// The frame of a protocol message of async-graphql's; a result over the response size
/// limit is replaced by a `RESPONSE_TOO_LARGE` error, as over HTTP.
fn outgoing(message: WsMessage, connection: &Connection, max_response_bytes: usize) -> Frames {
    match message {
        WsMessage::Text(text) if text.len() > max_response_bytes => {
            #[derive(serde::Deserialize)]
            struct Message<'a> {
                id: Option<String>,
                #[serde(borrow)]
                payload: Option<&'a serde_json::value::RawValue>,
            }
            match serde_json::from_str::<Message>(&text) {
                Ok(Message {
                    id: Some(id),
                    payload: Some(payload),
                }) if payload.get().len() > max_response_bytes => {
                    let error = too_large(payload.get().len(), max_response_bytes);
                    connection.result_frame(&id, &error)
                }
                _ => Frames::text(&[&text]),
            }
        }
        WsMessage::Text(text) => Frames::text(&[&text]),
        WsMessage::Close(code, reason) => Frames::close(code, &reason),
    }
}

/// The JSON of `response`, or of a `RESPONSE_TOO_LARGE` error in its place when it is
/// longer than `max` bytes (as over HTTP).
pub(super) fn response_json(response: &Response, max: usize) -> String {
    let json = serde_json::to_string(response).unwrap_or_default();
    if json.len() > max {
        too_large(json.len(), max)
    } else {
        json
    }
}

/// The JSON of the response that replaces one of `bytes` bytes, over the limit of `max`.
fn too_large(bytes: usize, max: usize) -> String {
    tracing::warn!(bytes, "subscription response over the size limit refused");
    let message = super::answer::too_large(bytes, max);
    let response = Response::from_errors(vec![error("RESPONSE_TOO_LARGE", &message)]);
    serde_json::to_string(&response).unwrap_or_default()
}

/// A value of type `T` in a connection's data, if it has one.
fn connection_value<T: std::any::Any + Send + Sync>(data: &Option<Arc<Data>>) -> Option<&T> {
    data.as_ref()?
        .get(&std::any::TypeId::of::<T>())?
        .downcast_ref::<T>()
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
    /// Longest response JSON sent (see [`response_json`]).
    pub(super) max_response_bytes: usize,
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
            Ok((request, _)) => self.responses(request, session_data),
            Err(error) => stream::once(async move { Response::from_errors(vec![error]) }).boxed(),
        }
    }
}

impl SocketExecutor {
    /// The responses of an admitted `request`, each error with its `extensions.code` as over
    /// HTTP (async-graphql's own errors, from parsing and validation, come without one).
    pub(super) fn responses(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        Executor::execute_stream(&self.schema, request, session_data)
            .map(|mut response| {
                super::answer::classify_all(&mut response);
                response
            })
            .boxed()
    }

    /// The request to run (its document resolved when it is persisted), and what its
    /// document says; refused when its operation is a query or a mutation.
    pub(super) fn admit(
        &self,
        mut request: Request,
        privileged: bool,
    ) -> Result<(Request, Kind), ServerError> {
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
        let kind = documents().kind(&request.query, request.operation_name.as_deref());
        match kind.operation {
            Some(OperationType::Subscription) | None => Ok((request, kind)),
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
