//! Identical subscriptions share one execution, and a connection serves its shared
//! subscriptions itself.
//!
//! A subscription whose root fields are all event streams (`changes`, or a per-type filtered
//! change subscription), or whose one root field is a live result (a live `aggregate`,
//! `groupBy` or `spendingSummary`), is shared by every subscriber with the same document,
//! operation and variables ([`Shareable::key`]): one execution in the process ([`Execution`]), whose
//! relay task resolves each response once and **serializes it once** ([`Sent`]). Each
//! connection follows an execution with one receiver (a `Group`) however many of its
//! subscriptions share it, and frames each response for each of them by splicing its
//! subscription id around the shared JSON. So the cost of one event for 1,000 subscribers is
//! one resolution, one serialization and 1,000 copies of a string, not 1,000 of each.
//!
//! These subscriptions never reach async-graphql's protocol handler: `Connection::intercept`
//! takes their `subscribe` (or legacy `start`) and `complete` (or `stop`) messages from the
//! socket's input before it, and the frames go out through the connection's channel. What is
//! not shared, not admitted, or sent before `connection_init`, goes on to async-graphql as it
//! came.
//!
//! A subscriber keeps its own place in its connection's count (`Slot`) and counts as one
//! subscriber of the execution; it receives the responses sent after it joined, and for a
//! live result first the last one sent (the current result), at once. A group that
//! falls further behind than the buffer is closed as a slow consumer, and with it the
//! connection. When an execution ends before a subscriber received anything (it joined as
//! the execution sent its last response, an error, say), that subscriber runs alone.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::futures_util::StreamExt;
use async_graphql::futures_util::stream::BoxStream;
use async_graphql::{Request, Response};
use tokio::sync::broadcast;

mod connection;

pub(super) use connection::Connection;

use super::answer::has_code;
use super::socket::response_json;
use crate::graphql::live::SLOW_CONSUMER;
use crate::live::Attachment;
use crate::live::hub::{Departure, Hub, Left, Shared as _};

/// A response of a shared execution, serialized once.
pub(super) struct Sent {
    /// Its number in the execution, from 1.
    seq: u64,
    /// The response's JSON: the `payload` of every subscriber's message.
    json: Box<str>,
    /// The execution itself fell behind the bus: its subscribers are closed.
    slow: bool,
}

/// The state that the subscribers of one shared execution join.
pub(super) struct Execution {
    /// Tells one execution from another that replaced it under the same key.
    id: u64,
    sender: broadcast::Sender<Arc<Sent>>,
    attachment: Attachment,
    sharing: Sharing,
    members: Arc<AtomicUsize>,
    /// The last response sent.
    latest: Latest,
}

/// The last response of an execution.
type Latest = Arc<Mutex<Option<Arc<Sent>>>>;

impl crate::live::hub::Shared for Execution {
    fn subscribers(&self) -> usize {
        self.members.load(Ordering::SeqCst)
    }

    /// None before every root field follows the bus (a live result's, before its first
    /// result): until then a write would not reach them.
    fn counted(&self) -> usize {
        let following = match self.sharing {
            Sharing::Events(fields) => self.attachment.fields() >= fields,
            Sharing::Result => lock(&self.latest).is_some(),
        };
        if following { self.subscribers() } else { 0 }
    }
}

/// The subscribers of an execution, as its relay checks whether any is left.
struct Members(Arc<AtomicUsize>);

impl crate::live::hub::Shared for Members {
    fn subscribers(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A subscriber's membership of an execution: counted until dropped, then its relay checks
/// whether anyone is left.
struct Membership {
    members: Arc<AtomicUsize>,
    _departure: Departure,
}

impl Drop for Membership {
    fn drop(&mut self) {
        // Before the departure (a field dropped after this body) tells the relay to look.
        self.members.fetch_sub(1, Ordering::SeqCst);
    }
}

static EXECUTIONS: AtomicU64 = AtomicU64::new(1);

/// How identical subscriptions share one execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sharing {
    /// Every root field (this many) is `changes` or a per-type filtered change subscription:
    /// streams of events without an initial result; a subscriber joining late receives the
    /// events after it joined.
    Events(usize),
    /// The one root field is a live result (an `aggregate`, a `groupBy`, `spendingSummary`):
    /// a subscriber joining late receives the last result sent first.
    Result,
}

/// Whether, and how, identical subscribers of the operation `operation_name` of `document`
/// can share its execution (root fields without directives only).
pub(in crate::http) fn sharing(
    document: &async_graphql::parser::types::ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<Sharing> {
    use crate::graphql::live_fields::{is_live_result, is_row_subscription};
    use async_graphql::parser::types::Selection;
    // The operation async-graphql runs; none where it refuses the request.
    let operation = crate::graphql::guard::chosen_operation(document, operation_name)?;
    if operation.node.ty != async_graphql::parser::types::OperationType::Subscription {
        return None;
    }
    let items = &operation.node.selection_set.node.items;
    let names: Option<Vec<&str>> = items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) if field.node.directives.is_empty() => {
                Some(field.node.name.node.as_str())
            }
            _ => None,
        })
        .collect();
    match names?.as_slice() {
        [] => None,
        [name] if is_live_result(name) => Some(Sharing::Result),
        names => names
            .iter()
            .all(|name| *name == "changes" || is_row_subscription(name))
            .then_some(Sharing::Events(names.len())),
    }
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

/// The task of a shared execution: serializes each response once and sends it to every
/// group; ends with the execution or when no subscriber is left.
async fn relay(
    hub: Hub,
    key: String,
    (sender, latest): (broadcast::Sender<Arc<Sent>>, Latest),
    (members, left): (Members, Left),
    (mut responses, max_response_bytes): (BoxStream<'static, Response>, usize),
) {
    let mut seq = 0;
    loop {
        tokio::select! {
            response = responses.next() => {
                let Some(response) = response else {
                    hub.end(&key);
                    return;
                };
                seq += 1;
                let sent = Arc::new(Sent {
                    seq,
                    json: response_json(&response, max_response_bytes).into(),
                    slow: has_code(&response, SLOW_CONSUMER),
                });
                // The latest before it leaves: a subscriber joining now receives it from
                // one or the other, never from both.
                *lock(&latest) = Some(sent.clone());
                // No receiver left is fine: the check below ends the task.
                let _ = sender.send(sent);
                if members.subscribers() == 0 && hub.end_if_idle(&key, &members) {
                    return;
                }
            }
            _ = left.notified() => {
                if hub.end_if_idle(&key, &members) {
                    return;
                }
            }
        }
    }
}

/// Locks `mutex`, through a panic of an earlier holder: every change under the shared
/// subscriptions' locks is one insert or remove, which a panic cannot leave half done; a
/// socket's lock is taken only by its connection's one task, which a panic ends.
pub(in crate::http) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
