//! Subscriptions over WebSocket on `GET /graphql`: the `graphql-transport-ws` protocol and
//! the legacy `graphql-ws` one, as async-graphql speaks them, with the deployment's limits
//! around them: connections per instance, subscriptions per connection, a deadline for
//! `connection_init`, keep-alive pings, and slow consumers closed.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_graphql::futures_util::stream::{self, BoxStream};
use async_graphql::futures_util::{self, FutureExt, SinkExt, StreamExt};
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response, ServerError};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response as HttpResponse};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::AppState;
use crate::auth::{Caller, WriteAccess};
use crate::graphql::AppSchema;
use crate::graphql::GqlError;
use crate::graphql::guard::{OperationType, operation_type};
use crate::graphql::live::{SLOW_CONSUMER, Session, Slot, slow_consumer};
use crate::live::hub::{Departure, Hub, Left, Shared};
use crate::live::{Attachment, Live};
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
        .on_upgrade(move |socket| async move {
            match permit {
                Some(permit) => serve(socket, protocol, state, permit).await,
                None => refuse(socket, state.http.live.max_connections).await,
            }
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
    let input = incoming
        .take_while(|message| std::future::ready(message.is_ok()))
        .filter_map(|message| {
            std::future::ready(match message {
                Ok(message @ (Message::Text(_) | Message::Binary(_))) => Some(message.into_data()),
                _ => None,
            })
        });
    let session = Session::new(options.max_subscriptions);
    let initialized = Arc::new(AtomicBool::new(false));
    let mut data = Data::default();
    data.insert(session.clone());
    let executor = SocketExecutor {
        live: state.schema.data::<Live>().cloned().unwrap_or_default(),
        schema: state.schema.clone(),
        persisted: state.persisted.clone(),
    };
    let access = state.access.clone();
    let on_init = {
        let initialized = initialized.clone();
        move |payload: serde_json::Value| async move {
            initialized.store(true, Ordering::SeqCst);
            let mut data = Data::default();
            data.insert(caller(&access, &payload));
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
        let next = tokio::select! {
            biased;
            _ = stopping.wait_for(|stop| *stop) => close(CLOSE_GOING_AWAY, "the server is stopping: reconnect"),
            () = session.lagged() => close(CLOSE_SLOW_CONSUMER, "slow consumer: a subscription fell too far behind; reconnect and re-read"),
            () = &mut init_deadline, if !initialized.load(Ordering::SeqCst) => close(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout"),
            _ = keepalive.tick(), if initialized.load(Ordering::SeqCst) => Message::Text(ping.into()),
            message = messages.next() => match message {
                Some(message) => outgoing(message),
                None => break,
            },
        };
        let mut closing = matches!(next, Message::Close(_));
        let mut ended = false;
        // A socket that accepts nothing for a whole keep-alive interval is gone or too
        // slow: dropping it frees its memory.
        let sent = tokio::time::timeout(options.keepalive, async {
            sink.feed(next).await?;
            // The messages ready now (one event for many subscriptions of this connection)
            // go out in the same write: one flush, not one system call per message.
            let mut batched = 1;
            while !closing && batched < MAX_BATCH {
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
struct SocketExecutor {
    schema: AppSchema,
    persisted: PersistedQueries,
    live: Live,
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
            Ok(request) => match shared_fields(&request) {
                Some(fields) => self.share(request, fields, session_data),
                None => Executor::execute_stream(&self.schema, request, session_data),
            },
            Err(error) => stream::once(async move { Response::from_errors(vec![error]) }).boxed(),
        }
    }
}

impl SocketExecutor {
    fn admit(&self, mut request: Request, privileged: bool) -> Result<Request, ServerError> {
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

impl SocketExecutor {
    /// Joins the one execution of `request` that its identical subscriptions share, or
    /// starts it. Each subscriber keeps its own place in its connection's count and its own
    /// buffer; the execution sees no connection's data (no resolver of a shared field reads
    /// any: `Session` is claimed here, `Caller` is read by mutations only).
    fn share(
        &self,
        request: Request,
        fields: usize,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let session = connection_value::<Session>(&session_data).cloned();
        let slot = match session.as_ref().map(Session::claim).transpose() {
            Ok(slot) => slot,
            Err(refused) => {
                let refused = server_error(refused.into());
                return stream::once(async move { Response::from_errors(vec![refused]) }).boxed();
            }
        };
        let request = Shareable {
            query: request.query,
            operation_name: request.operation_name,
            variables: request.variables,
        };
        let key = request.key();
        let hub = self.live.streams().clone();
        let mut started = None;
        let (receiver, departure) = hub.join(
            &key,
            |left| {
                let (sender, _) = broadcast::channel(self.live.buffer());
                let attachment = Attachment::default();
                let responses = self
                    .schema
                    .execute_stream(request.to_request().data(attachment.clone()), None);
                let (start, gate) = tokio::sync::oneshot::channel();
                started = Some(start);
                let relay = relay(hub.clone(), key.clone(), sender.clone(), left, responses);
                tokio::spawn(async move {
                    // Its first subscriber receives from its first response on.
                    let _ = gate.await;
                    relay.await;
                });
                Execution {
                    sender,
                    attachment,
                    fields,
                }
            },
            |execution| execution.sender.subscribe(),
        );
        if let Some(start) = started {
            let _ = start.send(());
        }
        let follower = Follower {
            receiver,
            _departure: departure,
            session,
            buffer: self.live.buffer(),
            slot,
            received: false,
            done: false,
            alone: Some((self.schema.clone(), request, session_data)),
            rest: None,
        };
        stream::unfold(follower, |mut follower| async move {
            let response = follower.next().await?;
            Some((response, follower))
        })
        .boxed()
    }
}

/// How many root fields `request` has when identical subscribers can share its execution:
/// every root field is `changes` or a per-type filtered change subscription (event streams
/// without an initial result, which a late joiner would miss), without directives.
fn shared_fields(request: &Request) -> Option<usize> {
    use async_graphql::parser::types::{DocumentOperations, Selection};
    let document = async_graphql::parser::parse_query(&request.query).ok()?;
    let operation = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(operation), _) => operation,
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name)?,
        (DocumentOperations::Multiple(_), None) => return None,
    };
    if operation.node.ty != async_graphql::parser::types::OperationType::Subscription {
        return None;
    }
    let items = &operation.node.selection_set.node.items;
    let shareable = items.iter().all(|item| match &item.node {
        Selection::Field(field) => {
            let name = field.node.name.node.as_str();
            field.node.directives.is_empty()
                && (name == "changes" || crate::graphql::live_fields::is_row_subscription(name))
        }
        _ => false,
    });
    (shareable && !items.is_empty()).then_some(items.len())
}

/// What identifies a shared execution: the document, the operation and the variables.
struct Shareable {
    query: String,
    operation_name: Option<String>,
    variables: async_graphql::Variables,
}

impl Shareable {
    /// The key of its execution; the variables with their objects' keys sorted, so that
    /// the same values in another order share too.
    fn key(&self) -> String {
        let variables = sorted(self.variables.clone().into_value());
        let variables = serde_json::to_string(&variables).unwrap_or_default();
        format!(
            "{}\n{variables}\n{}",
            self.operation_name.as_deref().unwrap_or_default(),
            self.query
        )
    }

    fn to_request(&self) -> Request {
        let request = Request::new(self.query.clone()).variables(self.variables.clone());
        match &self.operation_name {
            Some(name) => request.operation_name(name.clone()),
            None => request,
        }
    }
}

fn sorted(value: async_graphql::Value) -> async_graphql::Value {
    use async_graphql::Value;
    match value {
        Value::Object(object) => {
            let mut object: async_graphql::indexmap::IndexMap<_, _> = object
                .into_iter()
                .map(|(name, value)| (name, sorted(value)))
                .collect();
            object.sort_keys();
            Value::Object(object)
        }
        Value::List(list) => Value::List(list.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The state that the subscribers of one shared execution join.
struct Execution {
    sender: broadcast::Sender<Arc<Response>>,
    attachment: Attachment,
    fields: usize,
}

impl Shared for Execution {
    fn subscribers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// None before every root field follows the bus: until then a write would not reach them.
    fn counted(&self) -> usize {
        if self.attachment.fields() >= self.fields {
            self.subscribers()
        } else {
            0
        }
    }
}

/// The task of a shared execution: sends each response to every subscriber, and ends with
/// the execution or when no subscriber is left.
async fn relay(
    hub: Hub,
    key: String,
    sender: broadcast::Sender<Arc<Response>>,
    left: Left,
    mut responses: BoxStream<'static, Response>,
) {
    loop {
        tokio::select! {
            response = responses.next() => {
                let Some(response) = response else {
                    hub.end(&key);
                    return;
                };
                // No receiver left is fine: the check below ends the task.
                let _ = sender.send(Arc::new(response));
                if sender.receiver_count() == 0 && hub.end_if_idle(&key, &sender) {
                    return;
                }
            }
            _ = left.notified() => {
                if hub.end_if_idle(&key, &sender) {
                    return;
                }
            }
        }
    }
}

/// One subscriber of a shared execution. The receiver drops before the departure.
struct Follower {
    receiver: broadcast::Receiver<Arc<Response>>,
    _departure: Departure,
    session: Option<Session>,
    buffer: usize,
    slot: Option<Slot>,
    received: bool,
    done: bool,
    /// To run alone when the execution ended before sending this subscriber anything (it
    /// joined as the execution's last response, an error, left).
    alone: Option<(AppSchema, Shareable, Option<Arc<Data>>)>,
    rest: Option<BoxStream<'static, Response>>,
}

impl Follower {
    async fn next(&mut self) -> Option<Response> {
        if let Some(rest) = &mut self.rest {
            return rest.next().await;
        }
        if self.done {
            return None;
        }
        match self.receiver.recv().await {
            Ok(response) => {
                self.received = true;
                if has_code(&response, SLOW_CONSUMER) {
                    // The execution itself fell behind the bus: so did its subscribers.
                    self.done = true;
                    if let Some(session) = &self.session {
                        session.fell_behind();
                    }
                }
                Some(copy(&response))
            }
            Err(RecvError::Lagged(missed)) => {
                self.done = true;
                let error = slow_consumer(self.session.as_ref(), missed, self.buffer);
                Some(Response::from_errors(vec![server_error(error)]))
            }
            Err(RecvError::Closed) => {
                self.done = true;
                let (schema, request, session_data) =
                    self.alone.take().filter(|_| !self.received)?;
                // Its own execution claims its own place.
                self.slot = None;
                let rest = self.rest.insert(Executor::execute_stream(
                    &schema,
                    request.to_request(),
                    session_data,
                ));
                rest.next().await
            }
        }
    }
}

/// A subscriber's copy of a shared response.
fn copy(shared: &Response) -> Response {
    let mut response = Response::new(shared.data.clone());
    response.errors = shared.errors.clone();
    response.extensions = shared.extensions.clone();
    response
}

fn has_code(response: &Response, code: &str) -> bool {
    response.errors.iter().any(|error| {
        error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .is_some_and(|value| *value == async_graphql::Value::from(code))
    })
}

/// A resolver's error, sent from outside any field.
fn server_error(error: GqlError) -> ServerError {
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
