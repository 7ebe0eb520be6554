//! A connection's shared subscriptions: their `subscribe` and `complete` messages taken
//! before async-graphql's protocol handler, one receiver (a `Group`) per execution they
//! follow, and the frames of each response for each of them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use async_graphql::futures_util::StreamExt;
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::http::WebSocketProtocols;
use async_graphql::{Data, Request, Response};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::sync::{Semaphore, broadcast, broadcast::error::RecvError, mpsc};
use tokio::task::AbortHandle;

use super::{
    EXECUTIONS, Execution, Latest, Members, Membership, Sent, Shareable, Sharing, lock, relay,
};
use crate::graphql::live::{Session, Slot, slow_consumer};
use crate::http::frame::Frames;
use crate::http::socket::{SocketExecutor, response_json, server_error};
use crate::live::hub::{Hub, Left};
use crate::live::{Attachment, Live};

/// Batches of frames that may wait for a connection's socket before its groups wait too
/// (and then fall behind the execution, up to its buffer), however few bytes they hold
/// (see [`Waiting`] for the bound in bytes).
const WAITING_BATCHES: usize = 64;

/// Bytes of frames sent without waiting ([`Connection::send`]: a `complete`, an error, a
/// live result's current value) that may be queued beyond a connection's full bound, so
/// that a subscriber's subscriptions waiting for the socket do not get it closed for a
/// `complete`.
const OVERDRAFT_BYTES: usize = 64 * 1024;

/// The bytes of frames waiting for one connection's socket, against its bound
/// (`LiveOptions::max_queued_bytes`): a batch takes room for its bytes before it is laid
/// out and queued ([`Room`]), and gives it back once written. A batch larger than the whole
/// bound takes it all: it waits for an empty queue.
pub(in crate::http) struct Waiting {
    room: Semaphore,
    max: usize,
    /// Bytes queued beyond the bound, at most [`OVERDRAFT_BYTES`].
    overdrawn: AtomicUsize,
    /// The instance's count of bytes waiting for sockets.
    live: Live,
}

/// The room a batch of frames holds in its connection's queue until it is written.
pub(in crate::http) struct Room {
    waiting: Arc<Waiting>,
    permits: u32,
    /// Of the overdraft.
    overdrawn: usize,
    bytes: usize,
}

impl Room {
    /// The bytes it holds are `bytes` (the frames laid out in it), not those it was taken
    /// for: the instance's count follows; the room taken stays.
    fn holds(&mut self, bytes: usize) {
        self.waiting.live.count_queued(self.bytes, bytes);
        self.bytes = bytes;
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        self.waiting.room.add_permits(self.permits as usize);
        self.waiting
            .overdrawn
            .fetch_sub(self.overdrawn, Ordering::SeqCst);
        self.waiting.live.count_queued(self.bytes, 0);
    }
}

impl Waiting {
    fn new(max: usize, live: Live) -> Arc<Waiting> {
        // A semaphore's permits are counted in `u32` when taken: the bound stays below.
        let max = max.clamp(1, u32::MAX as usize);
        Arc::new(Waiting {
            room: Semaphore::new(max),
            max,
            overdrawn: AtomicUsize::new(0),
            live,
        })
    }

    /// The bytes of the batches a group lays out at once: a quarter of the bound, so that
    /// one batch is written while the next waits (and at least one frame).
    fn batch_limit(&self) -> usize {
        self.max / 4
    }

    fn permits(&self, bytes: usize) -> u32 {
        bytes.min(self.max) as u32
    }

    fn room(self: &Arc<Self>, permits: u32, overdrawn: usize, bytes: usize) -> Room {
        self.live.count_queued(0, bytes);
        Room {
            waiting: self.clone(),
            permits,
            overdrawn,
            bytes,
        }
    }

    /// Room for `bytes` bytes, once the queue has it.
    async fn enter(self: &Arc<Self>, bytes: usize) -> Room {
        let permits = self.permits(bytes);
        match self.room.try_acquire_many(permits) {
            Ok(taken) => taken.forget(),
            Err(_) => match self.room.acquire_many(permits).await {
                Ok(taken) => taken.forget(),
                // Never closed: the semaphore is the connection's own.
                Err(_) => return self.room(0, 0, bytes),
            },
        }
        self.room(permits, 0, bytes)
    }

    /// Room for `bytes` bytes if the queue has it now, or else the overdraft (while the
    /// bound is full, or others wait for room).
    fn try_enter(self: &Arc<Self>, bytes: usize) -> Option<Room> {
        let permits = self.permits(bytes);
        if let Ok(taken) = self.room.try_acquire_many(permits) {
            taken.forget();
            return Some(self.room(permits, 0, bytes));
        }
        self.overdrawn
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |overdrawn| {
                (overdrawn + bytes <= OVERDRAFT_BYTES).then_some(overdrawn + bytes)
            })
            .ok()?;
        Some(self.room(0, bytes, bytes))
    }
}

/// A client message as far as this module reads it (async-graphql reads the rest).
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    #[serde(default)]
    id: Option<String>,
    #[serde(default, borrow)]
    payload: Option<&'a RawValue>,
}

/// What a connection knows once `connection_init` is accepted.
struct Ready {
    privileged: bool,
    /// The connection's data for a subscriber that runs alone.
    data: Arc<Data>,
}

/// How a connection follows one of its shared subscriptions.
enum Following {
    /// In the group of this execution.
    Group(u64),
    /// Alone, after its execution ended before it received anything.
    Alone(AbortHandle),
}

/// One subscription of a group.
struct Member {
    id: String,
    /// `{"type":"next","id":"…","payload":` (`data` in the legacy protocol).
    prefix: String,
    /// The number of the last response sent before it joined.
    after: u64,
    received: bool,
    _slot: Slot,
    _membership: Membership,
}

/// The members of the next batch of `sent` with `most` bytes, each with its frame's size:
/// those that joined before it and have not had it, while their frames fit (at least one).
fn batch<'a, M: std::borrow::Borrow<Member> + 'a>(
    members: impl Iterator<Item = M> + 'a,
    sent: &'a Sent,
    most: usize,
) -> impl Iterator<Item = (M, usize)> + 'a {
    members
        .filter(|member| sent.seq > member.borrow().after)
        .scan(0, move |bytes, member| {
            let size = frame_size(&member.borrow().prefix, &sent.json);
            if *bytes > 0 && *bytes + size > most {
                return None;
            }
            *bytes += size;
            Some((member, size))
        })
}

/// A connection's subscriptions that share one execution, and its one receiver.
struct Group {
    members: Mutex<Vec<Member>>,
    request: Shareable,
    sharing: Sharing,
    /// The execution's last response, for a live result's group that fell behind.
    latest: Latest,
    task: OnceLock<AbortHandle>,
}

impl Group {
    /// The bytes of the next batch of [`Group::queue`] with `most`: 0 when every member
    /// has had `sent`.
    fn batch_bytes(&self, sent: &Sent, most: usize) -> usize {
        let members = lock(&self.members);
        batch(members.iter(), sent, most)
            .map(|(_, size)| size)
            .sum()
    }

    /// Queues in `slot` the frames of `sent` for the members that joined before it and
    /// have not had it, up to `most` bytes (at least one frame), holding `room`; false when
    /// none is left. Under the members' lock: a member completed meanwhile is either in
    /// these frames, which then go out before its `complete`, or not.
    fn queue(
        &self,
        sent: &Sent,
        most: usize,
        mut room: Room,
        slot: mpsc::Permit<'_, (Frames, Room)>,
    ) -> bool {
        let mut members = lock(&self.members);
        let mut frames = Frames::with_capacity(0, most);
        for (member, _) in batch(members.iter_mut(), sent, most) {
            member.received = true;
            member.after = sent.seq;
            push_frame(&mut frames, &member.prefix, &sent.json);
        }
        if frames.is_empty() {
            return false;
        }
        room.holds(frames.bytes().len());
        slot.send((frames, room));
        true
    }
}

/// The shared subscriptions of one WebSocket connection.
pub(in crate::http) struct Connection {
    executor: SocketExecutor,
    protocol: WebSocketProtocols,
    session: Session,
    out: mpsc::Sender<(Frames, Room)>,
    waiting: Arc<Waiting>,
    ready: OnceLock<Ready>,
    groups: Mutex<HashMap<u64, Arc<Group>>>,
    following: Mutex<HashMap<String, Following>>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        for group in lock(&self.groups).values() {
            if let Some(task) = group.task.get() {
                task.abort();
            }
        }
        for following in lock(&self.following).values() {
            if let Following::Alone(task) = following {
                task.abort();
            }
        }
    }
}

impl Connection {
    /// The shared subscriptions of a new connection, and the frames they send, each with
    /// its room in the queue of at most `max_queued_bytes` (given back when it drops).
    pub(in crate::http) fn new(
        executor: SocketExecutor,
        protocol: WebSocketProtocols,
        session: Session,
        max_queued_bytes: usize,
    ) -> (Arc<Connection>, mpsc::Receiver<(Frames, Room)>) {
        let (out, frames) = mpsc::channel(WAITING_BATCHES);
        let waiting = Waiting::new(max_queued_bytes, executor.live.clone());
        let connection = Connection {
            executor,
            protocol,
            session,
            out,
            waiting,
            ready: OnceLock::new(),
            groups: Mutex::default(),
            following: Mutex::default(),
        };
        (Arc::new(connection), frames)
    }

    /// Called when `connection_init` is accepted.
    pub(in crate::http) fn initialized(&self, privileged: bool, data: Data) {
        let _ = self.ready.set(Ready {
            privileged,
            data: Arc::new(data),
        });
    }

    /// Whether `connection_init` was accepted.
    pub(in crate::http) fn is_initialized(&self) -> bool {
        self.ready.get().is_some()
    }

    /// Takes a client message that starts or stops a shared subscription; gives back every
    /// other one, for async-graphql.
    pub(in crate::http) fn intercept<B: AsRef<[u8]>>(self: &Arc<Self>, message: B) -> Option<B> {
        let taken = match serde_json::from_slice::<Incoming>(message.as_ref()) {
            Ok(Incoming {
                kind: "subscribe" | "start",
                id: Some(id),
                payload: Some(payload),
            }) => {
                // The same id again replaces the subscription, as async-graphql does.
                self.complete(&id);
                match self.shareable(payload) {
                    Some((request, sharing)) => {
                        self.subscribe(id, request, sharing);
                        true
                    }
                    None => false,
                }
            }
            Ok(Incoming {
                kind: "complete" | "stop",
                id: Some(id),
                ..
            }) if self.complete(&id) => {
                self.send(completed(&id));
                true
            }
            _ => false,
        };
        (!taken).then_some(message)
    }

    /// The request of a `subscribe` message and how it is shared, when it is admitted and
    /// can be shared (after `connection_init` only).
    fn shareable(&self, payload: &RawValue) -> Option<(Request, Sharing)> {
        let ready = self.ready.get()?;
        let request = serde_json::from_str::<Request>(payload.get()).ok()?;
        let (admitted, kind) = self.executor.admit(request, ready.privileged).ok()?;
        let sharing = kind.sharing?;
        Some((admitted, sharing))
    }

    /// Joins (or starts) the execution of `request` for subscription `id`.
    fn subscribe(self: &Arc<Self>, id: String, request: Request, sharing: Sharing) {
        let slot = match self.session.claim() {
            Ok(slot) => slot,
            Err(refused) => {
                let response = Response::from_errors(vec![server_error(refused.into())]);
                let mut frames = frame(&self.prefix(&id), &self.json(&response));
                frames.append(completed(&id));
                self.send(frames);
                return;
            }
        };
        let request = Shareable {
            query: request.query,
            operation_name: request.operation_name,
            variables: request.variables,
        };
        let key = request.key();
        let live = &self.executor.live;
        let hub = live.streams().clone();
        let mut groups = lock(&self.groups);
        let mut started = None;
        let ((execution, (latest, current), membership, receiver), departure) = hub.join(
            &key,
            |left| self.start(&request, sharing, (&hub, &key, left), &mut started),
            |execution: &Execution| {
                execution.members.fetch_add(1, Ordering::SeqCst);
                let receiver =
                    (!groups.contains_key(&execution.id)).then(|| execution.sender.subscribe());
                let current = lock(&execution.latest).clone();
                (
                    execution.id,
                    (execution.latest.clone(), current),
                    execution.members.clone(),
                    receiver,
                )
            },
        );
        if let Some(start) = started {
            let _ = start.send(());
        }
        let prefix = self.prefix(&id);
        // A live result's current value at once; the events before it joined, never.
        let replayed = match (sharing, &current) {
            (Sharing::Result, Some(current)) => {
                self.send(frame(&prefix, &current.json));
                true
            }
            _ => false,
        };
        let member = Member {
            prefix,
            id: id.clone(),
            after: current.map_or(0, |current| current.seq),
            received: replayed,
            _slot: slot,
            _membership: Membership {
                members: membership,
                _departure: departure,
            },
        };
        let group = groups.entry(execution).or_insert_with(|| {
            Arc::new(Group {
                members: Mutex::default(),
                request,
                sharing,
                latest,
                task: OnceLock::new(),
            })
        });
        lock(&group.members).push(member);
        if let Some(receiver) = receiver {
            let task = tokio::spawn(follow(
                Arc::downgrade(self),
                execution,
                group.clone(),
                receiver,
            ));
            let _ = group.task.set(task.abort_handle());
        }
        drop(groups);
        lock(&self.following).insert(id, Following::Group(execution));
    }

    /// A new execution of `request`: its relay starts once `started` is sent.
    fn start(
        &self,
        request: &Shareable,
        sharing: Sharing,
        (hub, key, left): (&Hub, &str, Left),
        started: &mut Option<tokio::sync::oneshot::Sender<()>>,
    ) -> Execution {
        let live: &Live = &self.executor.live;
        let (sender, _) = broadcast::channel(live.buffer());
        let attachment = Attachment::default();
        let responses = self
            .executor
            .responses(request.to_request().data(attachment.clone()), None);
        let (start, gate) = tokio::sync::oneshot::channel();
        *started = Some(start);
        let members = Arc::new(AtomicUsize::new(0));
        let latest = Latest::default();
        let relay = relay(
            hub.clone(),
            key.to_string(),
            (sender.clone(), latest.clone()),
            (Members(members.clone()), left),
            (responses, self.executor.max_response_bytes),
        );
        tokio::spawn(async move {
            // Its first subscriber receives from its first response on.
            let _ = gate.await;
            relay.await;
        });
        Execution {
            id: EXECUTIONS.fetch_add(1, Ordering::Relaxed),
            sender,
            attachment,
            sharing,
            members,
            latest,
        }
    }

    /// Ends subscription `id` if it is one of the shared ones; true when it was.
    fn complete(&self, id: &str) -> bool {
        let Some(following) = lock(&self.following).remove(id) else {
            return false;
        };
        match following {
            Following::Alone(task) => task.abort(),
            Following::Group(execution) => {
                let mut groups = lock(&self.groups);
                if let Some(group) = groups.get(&execution) {
                    let mut members = lock(&group.members);
                    members.retain(|member| member.id != id);
                    if members.is_empty() {
                        drop(members);
                        if let Some(task) = group.task.get() {
                            task.abort();
                        }
                        groups.remove(&execution);
                    }
                }
            }
        }
        true
    }

    /// Queues frames for the socket without waiting (answers to the client's own messages,
    /// and last words). A full queue means the client sends faster than it reads: it is
    /// closed as a slow consumer rather than losing a frame or growing the queue.
    fn send(&self, frames: Frames) {
        if frames.is_empty() {
            return;
        }
        let queued = match self.waiting.try_enter(frames.bytes().len()) {
            Some(room) => self.out.try_send((frames, room)).is_ok(),
            None => false,
        };
        if !queued {
            self.session.fell_behind();
        }
    }

    /// The JSON of a response, within the response size limit.
    fn json(&self, response: &Response) -> String {
        response_json(response, self.executor.max_response_bytes)
    }

    /// The message of a response (its JSON) to subscription `id` in this connection's
    /// protocol.
    pub(in crate::http) fn result_frame(&self, id: &str, json: &str) -> Frames {
        frame(&self.prefix(id), json)
    }

    /// The start of a response's message to subscription `id` in this connection's
    /// protocol, up to its payload (see [`frame`]).
    fn prefix(&self, id: &str) -> String {
        let kind = match self.protocol {
            WebSocketProtocols::GraphQLWS => "next",
            WebSocketProtocols::SubscriptionsTransportWS => "data",
        };
        let id = serde_json::to_string(id).unwrap_or_default();
        format!(r#"{{"type":"{kind}","id":{id},"payload":"#)
    }

    /// Runs subscription `id` alone (its execution ended before sending it anything), in
    /// its own place in the connection's count; not when it no longer follows `execution`
    /// (the client completed it meanwhile, and perhaps reused its id).
    fn alone(self: &Arc<Self>, id: String, request: Request, execution: u64) {
        let Some(ready) = self.ready.get() else {
            return;
        };
        let responses = self.executor.responses(request, Some(ready.data.clone()));
        let connection = Arc::downgrade(self);
        let mut following = lock(&self.following);
        if !follows(following.get(&id), execution) {
            return;
        }
        let task = tokio::spawn(run_alone(connection, id.clone(), responses));
        following.insert(id, Following::Alone(task.abort_handle()));
    }
}

/// The frames of one subscription running alone, then its `complete`.
async fn run_alone(
    connection: Weak<Connection>,
    id: String,
    mut responses: BoxStream<'static, Response>,
) {
    let Some(prefix) = connection
        .upgrade()
        .map(|connection| connection.prefix(&id))
    else {
        return;
    };
    while let Some(response) = responses.next().await {
        let Some((json, out, waiting)) = connection.upgrade().map(|connection| {
            let json = connection.json(&response);
            (json, connection.out.clone(), connection.waiting.clone())
        }) else {
            return;
        };
        drop(response);
        // Its room before its frame: a socket that takes nothing holds the response here,
        // not a copy of it too.
        let room = waiting.enter(frame_size(&prefix, &json)).await;
        let Ok(slot) = out.reserve().await else {
            return;
        };
        let frames = frame(&prefix, &json);
        let Some(alive) = connection.upgrade() else {
            return;
        };
        // Queued under the lock that `complete` takes: a subscription the client completed
        // while this task waited (its abort acts only at an await) sends nothing after.
        let following = lock(&alive.following);
        if !is_this_task(following.get(&id)) {
            return;
        }
        slot.send((frames, room));
    }
    if let Some(alive) = connection.upgrade() {
        let mut following = lock(&alive.following);
        // Not when the client completed it, nor when the id now names a new subscription.
        if is_this_task(following.get(&id)) {
            following.remove(&id);
            drop(following);
            alive.send(completed(&id));
        }
    }
}

/// Whether `following` is a member of the group of `execution`.
fn follows(following: Option<&Following>, execution: u64) -> bool {
    matches!(following, Some(Following::Group(of)) if *of == execution)
}

/// Whether `following` is the subscription that runs alone in the calling task.
fn is_this_task(following: Option<&Following>) -> bool {
    matches!(following, Some(Following::Alone(task)) if Some(task.id()) == tokio::task::try_id())
}

/// The task of a group: frames each response of its execution for each of its members.
async fn follow(
    connection: Weak<Connection>,
    execution: u64,
    group: Arc<Group>,
    mut receiver: broadcast::Receiver<Arc<Sent>>,
) {
    loop {
        let received = receiver.recv().await;
        let Some(connection) = connection.upgrade() else {
            return;
        };
        let received = match (received, group.sharing) {
            // A live result's group that fell behind skips to the latest result: it is
            // never cut off for it.
            (Err(RecvError::Lagged(_)), Sharing::Result) => match lock(&group.latest).clone() {
                Some(latest) => Ok(latest),
                None => continue,
            },
            (received, _) => received,
        };
        match received {
            Ok(sent) => {
                if sent.slow {
                    // The execution itself fell behind the bus: so did its subscribers.
                    connection.session.fell_behind();
                }
                let (out, waiting) = (connection.out.clone(), connection.waiting.clone());
                drop(connection);
                // In batches that fit the queue, each laid out once it has its room: a
                // socket that takes nothing holds the group here, not its frames in memory.
                loop {
                    let most = group.batch_bytes(&sent, waiting.batch_limit());
                    if most == 0 {
                        break;
                    }
                    let room = waiting.enter(most).await;
                    let Ok(slot) = out.reserve().await else {
                        return;
                    };
                    // Members that left meanwhile make it smaller; none joins to have it.
                    if !group.queue(&sent, most, room, slot) {
                        break;
                    }
                }
                if sent.slow {
                    return;
                }
            }
            Err(RecvError::Lagged(missed)) => {
                let buffer = connection.executor.live.buffer();
                let error = slow_consumer(Some(&connection.session), missed, buffer);
                let json = connection.json(&Response::from_errors(vec![server_error(error)]));
                let mut frames = Frames::default();
                for member in lock(&group.members).iter() {
                    push_frame(&mut frames, &member.prefix, &json);
                }
                connection.send(frames);
                return;
            }
            Err(RecvError::Closed) => {
                // The execution ended: its subscribers complete, or run alone when it sent
                // them nothing.
                lock(&connection.groups).remove(&execution);
                let members = std::mem::take(&mut *lock(&group.members));
                let mut done = Frames::default();
                for member in members {
                    let (id, received) = (member.id.clone(), member.received);
                    // Its place in the count is free before it runs alone.
                    drop(member);
                    if !received {
                        connection.alone(id, group.request.to_request(), execution);
                        continue;
                    }
                    let mut following = lock(&connection.following);
                    // Unless the client completed it meanwhile (and perhaps reused its id).
                    if follows(following.get(&id), execution) {
                        following.remove(&id);
                        done.append(completed(&id));
                    }
                }
                connection.send(done);
                return;
            }
        }
    }
}

/// The message of one response: its subscription's [`Connection::prefix`], the response's
/// JSON, and the closing brace.
fn frame(prefix: &str, json: &str) -> Frames {
    let mut frames = Frames::default();
    push_frame(&mut frames, prefix, json);
    frames
}

/// Adds the message of one response (see [`frame`]) to `frames`.
fn push_frame(frames: &mut Frames, prefix: &str, json: &str) {
    frames.push_text(&[prefix, json, "}"]);
}

/// The bytes of the message of one response (see [`frame`]), before it is laid out.
fn frame_size(prefix: &str, json: &str) -> usize {
    Frames::text_size(&[prefix, json, "}"])
}

/// The message that ends subscription `id` (the same in both protocols).
fn completed(id: &str) -> Frames {
    let id = serde_json::to_string(id).unwrap_or_default();
    Frames::text(&[r#"{"type":"complete","id":"#, &id, "}"])
}
