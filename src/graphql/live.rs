//! The subscription root: committed changes as they happen (see [`crate::live`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::futures_util::Stream;
use async_graphql::futures_util::stream;
use async_graphql::{Context, Enum, ID, MergedSubscription, Object, Subscription};
use tokio::sync::Notify;
use tokio::sync::broadcast::error::RecvError;

use super::node::{NodeInterface, load_kind, parse_global_id};
use super::{Result, db};
use crate::error::Error;
use crate::live::{self, Change, Delivery, Event, Live, SharedRow, TYPENAMES};

/// Most ids one `changes` subscription may follow.
pub const MAX_WATCHED_IDS: usize = 100;

/// The `extensions.code` of a subscription refused because its connection has as many as
/// it may have.
pub const TOO_MANY_SUBSCRIPTIONS: &str = "TOO_MANY_SUBSCRIPTIONS";

/// The `extensions.code` of the last message to a subscriber that fell too far behind.
pub const SLOW_CONSUMER: &str = "SLOW_CONSUMER";

/// The bus of the schema.
pub(crate) fn live<'a>(ctx: &'a Context<'_>) -> std::result::Result<&'a Live, Error> {
    ctx.data::<Live>()
        .map_err(|_| Error::Internal("no live bus on the schema".into()))
}

/// One WebSocket connection's share of the limits, in its connection data.
#[derive(Clone, Debug)]
pub struct Session {
    active: Arc<AtomicUsize>,
    max_subscriptions: usize,
    lagged: Arc<Notify>,
}

impl Session {
    /// A connection that may run `max_subscriptions` subscriptions at once.
    pub fn new(max_subscriptions: usize) -> Self {
        Session {
            active: Arc::new(AtomicUsize::new(0)),
            max_subscriptions,
            lagged: Arc::new(Notify::new()),
        }
    }

    /// Completes when one of the connection's subscribers fell too far behind: the
    /// connection is then closed.
    pub async fn lagged(&self) {
        self.lagged.notified().await;
    }

    /// Closes the connection: one of its subscribers fell too far behind.
    pub(crate) fn fell_behind(&self) {
        self.lagged.notify_one();
    }

    /// A place for one more subscription, or the error that refuses it.
    pub(crate) fn claim(&self) -> std::result::Result<Slot, Error> {
        let before = self.active.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(self.active.clone());
        if before >= self.max_subscriptions {
            return Err(Error::Limit {
                code: TOO_MANY_SUBSCRIPTIONS,
                message: format!(
                    "this connection runs {} subscriptions, the most it may: complete one first",
                    self.max_subscriptions
                ),
            });
        }
        Ok(slot)
    }
}

/// A running subscription's place in its connection's count; freed when dropped.
pub(crate) struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The last message to a subscriber that fell `missed` events behind (of at most `buffer`):
/// its connection is closed.
pub(crate) fn slow_consumer(
    session: Option<&Session>,
    missed: u64,
    buffer: usize,
) -> super::GqlError {
    if let Some(session) = session {
        session.fell_behind();
    }
    Error::Limit {
        code: SLOW_CONSUMER,
        message: format!(
            "this subscriber fell {missed} events behind (at most {buffer} may wait): \
             it is closed; subscribe again and re-read what you show"
        ),
    }
    .into()
}

/// What happened.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// A row was created.
    Created,
    /// A row was changed.
    Updated,
    /// A row was deleted (`node` is null).
    Deleted,
    /// Many rows of `typename` were written at once (an import, a batch mutation, a
    /// dataset): `count` says how many when known; re-read what you show of that type.
    Bulk,
    /// Changes may have been missed (this server lost its connection to the database's
    /// notifications and has it back): re-read what you show.
    Resync,
}

/// A committed change, or a call to resync.
pub struct ChangeEvent {
    kind: ChangeKind,
    change: Option<Change>,
    /// The row, read once for every subscriber of this event.
    row: SharedRow,
}

/// A committed change to a row or to many rows, or a call to resync.
#[Object]
impl ChangeEvent {
    /// What happened.
    async fn kind(&self) -> ChangeKind {
        self.kind
    }

    /// The type of the row(s) (`Company`, `Investment`...); null for RESYNC.
    async fn typename(&self) -> Option<&'static str> {
        self.change.map(|c| c.typename)
    }

    /// The global id of the row; null for BULK and RESYNC.
    async fn id(&self) -> Option<ID> {
        let change = self.change?;
        Some(ID(global_id_of(change.typename, change.id?)))
    }

    /// For BULK: how many rows were written, when known.
    async fn count(&self) -> Option<u64> {
        self.change.and_then(|c| c.count)
    }

    /// The row after the change: as the write left it (or, for a row too long to travel
    /// with its change, as read when the event arrives). Null on DELETED, for BULK and
    /// RESYNC, and when the row is gone by the time it is read.
    async fn node(&self, ctx: &Context<'_>) -> Result<Option<NodeInterface>> {
        let Some(change) = self.change else {
            return Ok(None);
        };
        let (Some(id), false) = (change.id, self.kind == ChangeKind::Deleted) else {
            return Ok(None);
        };
        Ok(
            load_kind(db(ctx)?, change.typename, vec![id], Some(&self.row))
                .await?
                .remove(&id),
        )
    }
}

/// The global id of row `id` of the type named `typename`.
pub(crate) fn global_id_of(typename: &str, id: i32) -> String {
    // The encoding of `node::global_id`, for a type known by name only.
    crate::data::paging::base64url_encode(format!("{typename}:{id}").as_bytes())
}

impl From<Delivery> for ChangeEvent {
    fn from(Delivery { event, row }: Delivery) -> Self {
        match event {
            Event::Resync => ChangeEvent {
                kind: ChangeKind::Resync,
                change: None,
                row,
            },
            Event::Change(change) => ChangeEvent {
                kind: match change.kind {
                    live::ChangeKind::Created => ChangeKind::Created,
                    live::ChangeKind::Updated => ChangeKind::Updated,
                    live::ChangeKind::Deleted => ChangeKind::Deleted,
                    live::ChangeKind::Bulk => ChangeKind::Bulk,
                },
                change: Some(change),
                row,
            },
        }
    }
}

/// Which changes a subscriber wants.
struct Wanted {
    types: Option<HashSet<&'static str>>,
    ids: Option<HashSet<(&'static str, i32)>>,
}

impl Wanted {
    fn new(types: Option<Vec<String>>, ids: Option<Vec<ID>>) -> std::result::Result<Self, Error> {
        let types = types
            .map(|names| {
                names
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        live::typename(name).ok_or_else(|| {
                            Error::invalid(
                                format!("types[{i}]"),
                                format!(
                                    "{name:?} is not a row type; one of {}",
                                    TYPENAMES.join(", ")
                                ),
                            )
                        })
                    })
                    .collect::<std::result::Result<HashSet<_>, _>>()
            })
            .transpose()?;
        let ids = match ids {
            Some(ids) if ids.len() > MAX_WATCHED_IDS => {
                return Err(Error::invalid(
                    "ids",
                    format!("{} ids: at most {MAX_WATCHED_IDS}", ids.len()),
                ));
            }
            Some(ids) => Some(
                ids.iter()
                    .enumerate()
                    .map(|(i, id)| {
                        let at = format!("ids[{i}]");
                        let (kind, number) = parse_global_id(id, &at)?;
                        let kind = live::typename(&kind).ok_or_else(|| {
                            Error::invalid(&at, format!("{:?} is not an id of a row", id.as_str()))
                        })?;
                        Ok((kind, number))
                    })
                    .collect::<std::result::Result<HashSet<_>, Error>>()?,
            ),
            None => None,
        };
        Ok(Wanted { types, ids })
    }

    fn matches(&self, event: &Event) -> bool {
        let Event::Change(change) = event else {
            return true;
        };
        if let Some(types) = &self.types
            && !types.contains(change.typename)
        {
            return false;
        }
        match (&self.ids, change.id) {
            (None, _) => true,
            // A summary may cover any of the rows followed.
            (Some(ids), None) => ids.iter().any(|(t, _)| *t == change.typename),
            (Some(ids), Some(id)) => ids.contains(&(change.typename, id)),
        }
    }
}

/// The root of every subscription: `changes`, and per row type its filtered changes, live
/// aggregate and live groups (see `live_fields`).
#[derive(MergedSubscription, Default)]
pub struct Subscription(ChangeSubscription, super::live_fields::LiveSubscription);

/// Every committed change.
#[derive(Default)]
pub struct ChangeSubscription;

/// Live data over WebSocket (`graphql-transport-ws` or the legacy `graphql-ws`).
#[Subscription]
impl ChangeSubscription {
    /// Every committed change to rows of the given types and/or ids, as it happens, on
    /// whichever server instance it was made. Bulk writes (imports, batch mutations,
    /// datasets) come as one BULK event per type; a RESYNC event says changes may have been
    /// missed.
    async fn changes(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only rows of these types (`Company`, `Investment`...); all when absent."
        )]
        types: Option<Vec<String>>,
        #[graphql(desc = "Only these rows (global ids, at most 100); all when absent.")]
        ids: Option<Vec<ID>>,
    ) -> Result<impl Stream<Item = Result<ChangeEvent>> + use<>> {
        let wanted = Wanted::new(types, ids)?;
        let session = ctx.data_opt::<Session>().cloned();
        let slot = session.as_ref().map(Session::claim).transpose()?;
        let bus = live(ctx)?;
        // In a shared execution, its subscribers are counted instead of this receiver.
        let attachment = ctx.data_opt::<live::Attachment>();
        let held = attachment.map(|_| bus.shared_receiver());
        let receiver = bus.subscribe();
        if let Some(attachment) = attachment {
            attachment.attached();
        }
        let buffer = bus.buffer();
        let state = Following {
            receiver,
            _held: held,
            wanted,
            session,
            buffer,
            _slot: slot,
            done: false,
        };
        Ok(stream::unfold(state, |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        }))
    }
}

/// A running `changes` subscription.
struct Following {
    receiver: tokio::sync::broadcast::Receiver<Delivery>,
    /// Dropped after the receiver (fields drop in order).
    _held: Option<live::SharedReceiver>,
    wanted: Wanted,
    session: Option<Session>,
    buffer: usize,
    _slot: Option<Slot>,
    done: bool,
}

impl Following {
    async fn next(&mut self) -> Option<Result<ChangeEvent>> {
        if self.done {
            return None;
        }
        loop {
            match self.receiver.recv().await {
                Ok(delivery) if self.wanted.matches(&delivery.event) => {
                    return Some(Ok(delivery.into()));
                }
                Ok(_) => continue,
                Err(RecvError::Lagged(missed)) => {
                    self.done = true;
                    return Some(Err(slow_consumer(
                        self.session.as_ref(),
                        missed,
                        self.buffer,
                    )));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}
