//! Per-type subscriptions with a filter: `Subscription.investments(filter:)` sends the
//! committed changes to investments that match the filter after the write.
//!
//! Subscribers of the same type with the same filter share one task (see
//! [`crate::live::hub`]): it takes the changes of a batch (every event waiting on the bus
//! when it wakes: on SQLite all the changes of a transaction, on PostgreSQL those whose
//! notifications have arrived) and reads, in one statement on the primary, the rows of the
//! batch that were created or updated and match the filter now. That statement also reads
//! the rows sent as `node`, so 1,000 subscribers to one filter cost one statement per batch.
//!
//! What each kind means (the server does not keep the rows' previous values, so it cannot
//! know whether a row matched before a write):
//! - CREATED: a row created that matches the filter; a created row that does not match
//!   sends nothing.
//! - UPDATED: a row updated that matches the filter now (whether it matched before or not).
//! - LEFT: a row updated that does not match the filter now. It may not have matched
//!   before either: LEFT says "not (or no longer) in your set", so a client removes the row
//!   if it shows it and otherwise ignores it.
//! - DELETED: a row of the type deleted, whether or not it matched (it is gone, so it cannot
//!   be matched any more).
//! - BULK: many rows of the type were written at once (an import, a batch): re-read.
//! - RESYNC: changes may have been missed: re-read.
//!
//! Only writes to rows of the type itself are followed: a filter through a relation
//! (`investee: { name: ... }`) is evaluated when an investment is written, not when the
//! company it names is renamed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::marker::PhantomData;

use async_graphql::futures_util::Stream;
use async_graphql::futures_util::stream;
use async_graphql::{Context, Enum, ID, InputType, Object, TypeName};
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{Condition, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use super::filters::{RowFilter, filter_condition};
use super::lists::GqlNode;
use super::live::{Session, Slot, global_id_of, live, slow_consumer};
use super::loaders::{Node, Row, nodes_of};
use super::{Result, db};
use crate::live::hub::{Departure, Hub, Left};
use crate::live::{self, Delivery, Event};

/// What happened to a row, as a filtered subscription sees it.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum RowChangeKind {
    /// A row was created that matches the filter.
    Created,
    /// A row was updated and matches the filter now (it may or may not have before).
    Updated,
    /// A row was updated and does not match the filter now: remove it if you show it (it
    /// may not have matched before either; the server does not keep previous values).
    Left,
    /// A row of the type was deleted (whether or not it matched the filter; `node` is null).
    Deleted,
    /// Many rows of the type were written at once (an import, a batch): `count` says how
    /// many when known; re-read what you show.
    Bulk,
    /// Changes may have been missed: re-read what you show.
    Resync,
}

/// One event of a filtered subscription, as its task sends it to every subscriber.
pub struct RowEvent<M> {
    kind: RowChangeKind,
    id: Option<i32>,
    count: Option<u64>,
    node: Option<Node<M>>,
}

impl<M> Clone for RowEvent<M> {
    fn clone(&self) -> Self {
        RowEvent {
            kind: self.kind,
            id: self.id,
            count: self.count,
            node: self.node.clone(),
        }
    }
}

impl<M> RowEvent<M> {
    fn bare(kind: RowChangeKind, id: Option<i32>, count: Option<u64>) -> Self {
        RowEvent {
            kind,
            id,
            count,
            node: None,
        }
    }
}

/// A change to a row of type `T` that a filtered subscription follows.
pub struct RowChange<T: GqlNode>(RowEvent<T::Model>, PhantomData<fn() -> T>);

impl<T: GqlNode> TypeName for RowChange<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Change", T::NAME).into()
    }
}

/// A committed change to a row that a filtered subscription follows, or a call to re-read.
#[Object(name_type)]
impl<T: GqlNode> RowChange<T> {
    /// What happened (see the kinds for what LEFT and DELETED can and cannot tell).
    async fn kind(&self) -> RowChangeKind {
        self.0.kind
    }

    /// The global id of the row; null for BULK and RESYNC.
    async fn id(&self) -> Option<ID> {
        self.0.id.map(|id| ID(global_id_of(T::NAME, id)))
    }

    /// For BULK: how many rows were written, when known.
    async fn count(&self) -> Option<u64> {
        self.0.count
    }

    /// The row as it is after the write, for CREATED and UPDATED; null otherwise. Read once
    /// for all subscribers of the same filter.
    async fn node(&self) -> Option<T> {
        self.0.node.clone().map(T::from)
    }
}

/// The key of a filtered subscription: its type and its filter's normalized value.
fn key<F: InputType>(typename: &str, filter: &Option<Box<F>>) -> String {
    let filter = filter
        .as_ref()
        .map(|f| f.to_value().to_string())
        .unwrap_or_default();
    format!("rows:{typename}:{filter}")
}

/// The stream of `Subscription.<rows>(filter:)` for type `T` stored by entity `E`.
pub async fn subscribe<T, E, F>(
    ctx: &Context<'_>,
    filter: Option<Box<F>>,
) -> Result<impl Stream<Item = Result<RowChange<T>>> + use<T, E, F>>
where
    T: GqlNode,
    T::Model: Row + sea_orm::FromQueryResult,
    E: EntityTrait<Model = T::Model>,
    F: RowFilter + InputType,
{
    let db = db(ctx)?.clone();
    let condition = filter_condition(db.get_database_backend(), &filter)?;
    let session = ctx.data_opt::<Session>().cloned();
    let slot = session.as_ref().map(Session::claim).transpose()?;
    let live = live(ctx)?.clone();
    let key = key(T::NAME, &filter);
    let hub = live.hub().clone();
    let attachment = ctx.data_opt::<live::Attachment>();
    let (receiver, departure) = hub.join(
        &key,
        |left| {
            let (sender, _) = broadcast::channel(live.buffer());
            // Started by a shared execution: its subscribers are counted instead.
            let held = attachment.map(|_| live.shared_receiver());
            let task = Task::<E> {
                hub: hub.clone(),
                key: key.clone(),
                sender: sender.clone(),
                left,
                bus: live.subscribe(),
                _held: held,
                db,
                condition,
                typename: T::NAME,
            };
            tokio::spawn(task.run());
            sender
        },
        |sender| sender.subscribe(),
    );
    // The task follows the bus from its start.
    if let Some(attachment) = attachment {
        attachment.attached();
    }
    let state = Subscriber::<T> {
        receiver,
        _departure: departure,
        session,
        buffer: live.buffer(),
        _slot: slot,
        done: false,
    };
    Ok(stream::unfold(state, |mut state| async move {
        let item = state.next().await?;
        Some((item, state))
    }))
}

/// One subscriber of a filtered subscription. The receiver is dropped before the
/// departure, which tells the task to check whether anyone is left.
struct Subscriber<T: GqlNode> {
    receiver: broadcast::Receiver<RowEvent<T::Model>>,
    _departure: Departure,
    session: Option<Session>,
    buffer: usize,
    _slot: Option<Slot>,
    done: bool,
}

impl<T: GqlNode> Subscriber<T> {
    async fn next(&mut self) -> Option<Result<RowChange<T>>> {
        if self.done {
            return None;
        }
        match self.receiver.recv().await {
            Ok(event) => Some(Ok(RowChange(event, PhantomData))),
            Err(RecvError::Lagged(missed)) => {
                self.done = true;
                Some(Err(slow_consumer(
                    self.session.as_ref(),
                    missed,
                    self.buffer,
                )))
            }
            Err(RecvError::Closed) => None,
        }
    }
}

/// The shared task of one type and filter.
struct Task<E: EntityTrait> {
    hub: Hub,
    key: String,
    sender: broadcast::Sender<RowEvent<E::Model>>,
    left: Left,
    bus: broadcast::Receiver<Delivery>,
    /// Dropped after the receiver (fields drop in order).
    _held: Option<live::SharedReceiver>,
    db: DatabaseConnection,
    condition: Condition,
    typename: &'static str,
}

impl<E> Task<E>
where
    E: EntityTrait,
    E::Model: Row,
{
    async fn run(mut self) {
        loop {
            let first = tokio::select! {
                delivery = self.bus.recv() => delivery,
                _ = self.left.notified() => {
                    if self.hub.end_if_idle(&self.key, &self.sender) {
                        return;
                    }
                    continue;
                }
            };
            let mut batch = Vec::new();
            match first {
                Ok(delivery) => batch.push(delivery.event),
                Err(RecvError::Lagged(_)) => batch.push(Event::Resync),
                Err(RecvError::Closed) => {
                    self.hub.end_if_idle(&self.key, &self.sender);
                    return;
                }
            }
            loop {
                match self.bus.try_recv() {
                    Ok(delivery) => batch.push(delivery.event),
                    Err(TryRecvError::Lagged(_)) => batch.push(Event::Resync),
                    Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                }
            }
            for event in self.events(batch).await {
                // No receiver left is fine: the check below ends the task.
                let _ = self.sender.send(event);
            }
            if self.sender.receiver_count() == 0 && self.hub.end_if_idle(&self.key, &self.sender) {
                return;
            }
        }
    }

    /// The events of a batch for this type and filter, in the batch's order.
    async fn events(&self, batch: Vec<Event>) -> Vec<RowEvent<E::Model>> {
        let ids: Vec<i32> = batch
            .iter()
            .filter_map(|event| match event {
                Event::Change(c)
                    if c.typename == self.typename
                        && matches!(
                            c.kind,
                            live::ChangeKind::Created | live::ChangeKind::Updated
                        ) =>
                {
                    c.id
                }
                _ => None,
            })
            .collect();
        let matching = match self.matching(ids).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, typename = self.typename, "reading the rows of live changes failed");
                return vec![RowEvent::bare(RowChangeKind::Resync, None, None)];
            }
        };
        let mut events = Vec::new();
        for event in batch {
            let change = match event {
                Event::Resync => {
                    events.push(RowEvent::bare(RowChangeKind::Resync, None, None));
                    continue;
                }
                Event::Change(change) if change.typename == self.typename => change,
                Event::Change(_) => continue,
            };
            let node = change.id.and_then(|id| matching.get(&id).cloned());
            let (kind, node) = match (change.kind, node) {
                (live::ChangeKind::Created, Some(node)) => (RowChangeKind::Created, Some(node)),
                (live::ChangeKind::Created, None) => continue,
                (live::ChangeKind::Updated, Some(node)) => (RowChangeKind::Updated, Some(node)),
                (live::ChangeKind::Updated, None) => (RowChangeKind::Left, None),
                (live::ChangeKind::Deleted, _) => (RowChangeKind::Deleted, None),
                (live::ChangeKind::Bulk, _) => (RowChangeKind::Bulk, None),
            };
            events.push(RowEvent {
                kind,
                id: change.id,
                count: change.count,
                node,
            });
        }
        events
    }

    /// The rows among `ids` that match the filter now, in one statement.
    async fn matching(
        &self,
        mut ids: Vec<i32>,
    ) -> crate::error::Result<HashMap<i32, Node<E::Model>>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        ids.sort_unstable();
        ids.dedup();
        let table = Alias::new(E::default().table_name());
        let rows = E::find()
            .filter(Expr::col((table, Alias::new("id"))).is_in(ids))
            .filter(self.condition.clone())
            .all(&self.db)
            .await?;
        Ok(nodes_of(rows)
            .into_iter()
            .map(|node| (node.row_id(), node))
            .collect())
    }
}
