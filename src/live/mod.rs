//! Live data: every committed write becomes a [`Change`], delivered to the subscribers of
//! every instance that serves the same database.
//!
//! - SQLite (one process): a write transaction publishes its changes on the in-process
//!   [`Live`] bus right after it commits.
//! - PostgreSQL: the write transaction runs `pg_notify` for each change before it commits,
//!   so a rolled-back write sends nothing and a committed one reaches every instance; each
//!   instance `LISTEN`s on one dedicated connection ([`Live::listen`]) and feeds its bus.
//!   When that connection is lost and comes back, subscribers receive [`Event::Resync`]:
//!   they may have missed changes.
//! - A write carries the row it wrote with its change (see `payload.rs`), so subscribers
//!   selecting `node` do not read it again.
//!
//! Nothing here knows GraphQL: the subscription types live in `graphql::live`.

pub mod hub;
mod listener;
mod payload;

pub use payload::{Carried, MAX_PAYLOAD, row_from_json};

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::broadcast;

use crate::error::Result;

/// The PostgreSQL channel that carries changes between instances.
pub const CHANNEL: &str = "capex_graph_changes";

/// Events a subscriber may fall behind by before it is cut off, unless configured otherwise.
pub const DEFAULT_BUFFER: usize = 256;

/// The shortest time between two computations of a live result, unless configured
/// otherwise (`LIVE_COALESCE_MS`).
pub const DEFAULT_COALESCE: std::time::Duration = std::time::Duration::from_millis(50);

/// The longest a change waits for the computation of a live result while changes keep
/// coming less than a window apart, unless configured otherwise (`LIVE_COALESCE_MAX_MS`).
pub const DEFAULT_COALESCE_MAX: std::time::Duration = std::time::Duration::from_millis(250);

/// What happened to a row, or to many rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// A row was created.
    Created,
    /// A row was changed.
    Updated,
    /// A row was deleted.
    Deleted,
    /// Many rows of one type were written at once (an import, a batch): one summary.
    Bulk,
}

impl ChangeKind {
    fn letter(self) -> char {
        match self {
            ChangeKind::Created => 'C',
            ChangeKind::Updated => 'U',
            ChangeKind::Deleted => 'D',
            ChangeKind::Bulk => 'B',
        }
    }

    fn from_letter(letter: &str) -> Option<Self> {
        Some(match letter {
            "C" => ChangeKind::Created,
            "U" => ChangeKind::Updated,
            "D" => ChangeKind::Deleted,
            "B" => ChangeKind::Bulk,
            _ => return None,
        })
    }
}

/// The row types with a global id, once for the whole crate: each GraphQL type name with
/// its entity's module. `with_row_types!(m)` calls `m! { Company => company, ... }`; it
/// makes [`TYPENAMES`], [`row_from_json`]'s decoders and `graphql::node`'s loaders, so a new
/// row type is one line here (and its `Node` variant).
macro_rules! with_row_types {
    ($m:ident) => {
        $m! {
            Company => company,
            Person => person,
            AiModel => ai_model,
            Investment => investment,
            Project => project,
            ProjectBacker => project_backer,
            SpendingFigure => spending_figure,
            Claim => claim,
            ClaimChallenge => claim_challenge,
            Event => event,
            Source => source,
            Citation => citation,
        }
    };
}
pub(crate) use with_row_types;

macro_rules! typenames {
    ($($name:ident => $entity:ident,)*) => {
        /// The row types that changes name (the GraphQL type names of rows with a global id).
        pub const TYPENAMES: &[&str] = &[$(stringify!($name)),*];
    };
}
with_row_types!(typenames);

/// The static name of a known row type.
pub fn typename(name: &str) -> Option<&'static str> {
    TYPENAMES.iter().copied().find(|t| *t == name)
}

/// The row type stored in `table` (`ai_model`: `AiModel`).
pub fn typename_of_table(table: &str) -> Option<&'static str> {
    let camel: String = table
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect();
    typename(&camel)
}

/// The rows a delete takes with it: the `ON DELETE CASCADE` foreign keys of the entities'
/// `Relation` enums ([`entity::foreign_keys`]) whose rows have a type with events. A delete
/// sends a DELETED event for each row it took (a claim's challenges, their citations...).
/// A test compares the entities' keys with each database's catalog.
pub static CASCADES: std::sync::LazyLock<Vec<entity::ForeignKey>> =
    std::sync::LazyLock::new(|| {
        entity::foreign_keys()
            .into_iter()
            .filter(|key| {
                key.on_delete == entity::OnDelete::Cascade
                    && typename_of_table(&key.table).is_some()
            })
            .collect()
    });

/// A committed change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// What happened.
    pub kind: ChangeKind,
    /// The GraphQL type of the row(s), one of [`TYPENAMES`].
    pub typename: &'static str,
    /// The database id of the row; `None` for [`ChangeKind::Bulk`].
    pub id: Option<i32>,
    /// For [`ChangeKind::Bulk`]: how many rows were written, when known.
    pub count: Option<u64>,
}

impl Change {
    /// A change to one row.
    pub fn row(kind: ChangeKind, typename: &'static str, id: i32) -> Self {
        Change {
            kind,
            typename,
            id: Some(id),
            count: None,
        }
    }

    /// A summary of many rows of one type (`count` when known).
    pub fn bulk(typename: &'static str, count: Option<u64>) -> Self {
        Change {
            kind: ChangeKind::Bulk,
            typename,
            id: None,
            count,
        }
    }

    /// The NOTIFY payload: `C Company 12`, `B Investment 340` or `B Investment -`, then
    /// the row as JSON when the write carries it (`U Company 12 {"id":12,...}`).
    pub fn encode(&self, row: Option<&str>) -> String {
        let number = match (self.id, self.count) {
            (Some(id), _) => id.to_string(),
            (None, Some(count)) => count.to_string(),
            (None, None) => "-".into(),
        };
        let mut payload = format!("{} {} {number}", self.kind.letter(), self.typename);
        if let Some(row) = row {
            payload.push(' ');
            payload.push_str(row);
        }
        payload
    }

    /// A payload written by [`Change::encode`], with the JSON of its row if it carries one;
    /// `None` for anything else.
    pub fn decode(payload: &str) -> Option<(Self, Option<&str>)> {
        let mut parts = payload.splitn(4, ' ');
        let kind = ChangeKind::from_letter(parts.next()?)?;
        let typename = typename(parts.next()?)?;
        let number = parts.next()?;
        let row = match parts.next() {
            None => None,
            Some(row) if row.starts_with('{') => Some(row),
            Some(_) => return None,
        };
        let change = match kind {
            ChangeKind::Bulk => Change::bulk(typename, number.parse().ok()),
            _ => Change::row(kind, typename, number.parse().ok()?),
        };
        Some((change, row))
    }
}

/// What a subscriber receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A committed change.
    Change(Change),
    /// Changes may have been missed (the listening connection was lost and is back):
    /// re-read what matters.
    Resync,
}

/// The row of an event, read once for all its subscribers: the first that asks for it
/// reads it, the others wait for that read and share its result (the decoded row of the
/// event's type, or `None` when the row is gone). 1,000 subscribers selecting `node` cost
/// one statement per change, not 1,000; none when the event carries the row its write
/// wrote (see [`rows`] and [`row_from_json`]).
pub type SharedRow = Arc<tokio::sync::OnceCell<RowSnapshot>>;

/// Rows of one entity, as a [`SharedRow`] holds them: `Vec<Model>` (see [`rows`]).
pub type RowSnapshot = Arc<dyn std::any::Any + Send + Sync>;

/// Rows of one entity in the form a [`SharedRow`] holds them (`Arc<Vec<Model>>`): what a
/// write carries with its change, and what `node` reads when it carries nothing.
pub fn rows<M: Send + Sync + 'static>(rows: Vec<M>) -> RowSnapshot {
    Arc::new(rows)
}

/// An event as the bus carries it, with the row its subscribers share.
#[derive(Clone)]
pub struct Delivery {
    pub event: Event,
    pub row: SharedRow,
}

/// The bus of one database in this process: cheap to clone, shared by the schema (which
/// publishes and subscribes) and the PostgreSQL listener (which feeds it).
#[derive(Clone)]
pub struct Live {
    sender: broadcast::Sender<Delivery>,
    buffer: usize,
    coalesce: std::time::Duration,
    coalesce_max: std::time::Duration,
    hub: hub::Hub,
    streams: hub::Hub,
    /// Receivers of the bus held for shared executions (see [`Attachment`]): their
    /// subscribers are counted instead.
    shared_receivers: Arc<AtomicUsize>,
    /// Bytes of frames waiting in this instance for its WebSocket sockets.
    queued: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Live(buffer {})", self.buffer)
    }
}

impl Default for Live {
    fn default() -> Self {
        Live::new(DEFAULT_BUFFER)
    }
}

impl Live {
    /// A bus whose subscribers may fall `buffer` events behind (at least 1) before they are
    /// cut off. Does no I/O.
    pub fn new(buffer: usize) -> Self {
        let buffer = buffer.max(1);
        let (sender, _) = broadcast::channel(buffer);
        Live {
            sender,
            buffer,
            coalesce: DEFAULT_COALESCE,
            coalesce_max: DEFAULT_COALESCE_MAX,
            hub: hub::Hub::default(),
            streams: hub::Hub::default(),
            shared_receivers: Arc::default(),
            queued: Arc::default(),
        }
    }

    /// The same bus whose live results are computed at most once per `window`: a change
    /// after a quiet window is computed at once, one within the window waits for its end,
    /// and the changes of a burst are computed together once a window passes without any
    /// (see [`Live::with_coalesce_max`]).
    pub fn with_coalesce(mut self, window: std::time::Duration) -> Self {
        self.coalesce = window;
        self
    }

    /// The same bus on which, while changes keep coming less than a window apart, the
    /// computation of a live result waits at most `longest` after the first change it has
    /// not computed (or until the window's end, if later): a burst's results are computed at
    /// most once per `longest` plus a computation, then once a window after its last change.
    pub fn with_coalesce_max(mut self, longest: std::time::Duration) -> Self {
        self.coalesce_max = longest;
        self
    }

    /// The shortest time between two computations of a live result.
    pub fn coalesce(&self) -> std::time::Duration {
        self.coalesce
    }

    /// The longest a change waits for a computation while changes keep coming (at least
    /// the window).
    pub fn coalesce_max(&self) -> std::time::Duration {
        self.coalesce_max
    }

    /// The shared computations of the subscriptions on this bus.
    pub fn hub(&self) -> &hub::Hub {
        &self.hub
    }

    /// The shared executions of identical subscriptions (one per document, operation and
    /// variables: see `http::socket`), apart from the computations of [`Live::hub`].
    pub fn streams(&self) -> &hub::Hub {
        &self.streams
    }

    /// Counts a receiver of the bus as held for a shared execution until the guard drops:
    /// take it before subscribing, and drop it after the receiver.
    pub fn shared_receiver(&self) -> SharedReceiver {
        self.shared_receivers.fetch_add(1, Ordering::SeqCst);
        SharedReceiver(self.shared_receivers.clone())
    }

    /// The events from now on. Memory is bounded by the bus's buffer, shared by all
    /// receivers: a receiver that falls further behind gets `RecvError::Lagged`.
    pub fn subscribe(&self) -> broadcast::Receiver<Delivery> {
        self.sender.subscribe()
    }

    /// How many events a subscriber may fall behind.
    pub fn buffer(&self) -> usize {
        self.buffer
    }

    /// Delivers `event` to this process's subscribers (none listening is fine).
    pub fn deliver(&self, event: Event) {
        self.deliver_with(event, None);
    }

    /// Delivers `event` with the row its write wrote, when known: its subscribers' `node`
    /// is that row, not read again.
    pub fn deliver_with(&self, event: Event, row: Option<RowSnapshot>) {
        let _ = self.sender.send(Delivery {
            event,
            row: Arc::new(tokio::sync::OnceCell::new_with(row)),
        });
    }

    /// Bytes of frames waiting in this instance for the sockets of its WebSocket
    /// connections (each connection's bounded by `WS_MAX_QUEUED_BYTES`).
    pub fn queued_bytes(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Counts the bytes of one batch of frames waiting for its connection's socket (see
    /// [`Live::queued_bytes`]) going from `before` to `after` (from 0 when queued, to 0
    /// when written).
    pub(crate) fn count_queued(&self, before: usize, after: usize) {
        if after >= before {
            self.queued.fetch_add(after - before, Ordering::Relaxed);
        } else {
            self.queued.fetch_sub(before - after, Ordering::Relaxed);
        }
    }

    /// Receivers of the bus in this process: each unshared `changes` subscription, each
    /// shared computation and each shared execution of `changes`.
    pub fn receivers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Subscribers that will see the next event delivered in this process: each `changes`
    /// subscription and shared computation holding a receiver of the bus (see [`Live::hub`]
    /// for their subscribers), and each subscriber of a shared execution (see
    /// [`Live::streams`]) once that execution holds its receivers.
    pub fn subscriber_count(&self) -> usize {
        // The guard is taken before its receiver and dropped after it: a moment's
        // difference counts one too few, never a subscriber not yet there.
        let shared = self.shared_receivers.load(Ordering::SeqCst);
        self.sender.receiver_count().saturating_sub(shared) + self.streams.counted()
    }
}

/// A receiver of the bus held for a shared execution (see [`Live::shared_receiver`]).
#[derive(Debug)]
pub struct SharedReceiver(Arc<AtomicUsize>);

impl Drop for SharedReceiver {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// In the request data of a shared execution: each root field of the subscription tells
/// it once it follows the bus, after which the execution's subscribers count as
/// subscribers (they will see the next event).
#[derive(Clone, Debug, Default)]
pub struct Attachment(Arc<AtomicUsize>);

impl Attachment {
    /// Called by a root field once it follows the bus.
    pub fn attached(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    /// How many root fields follow the bus.
    pub fn fields(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Where a write transaction's changes go after it commits, with the rows they carry.
#[derive(Debug, Default)]
pub struct Outbox {
    changes: Vec<(Change, Option<Carried>)>,
    local: Option<Live>,
}

impl Outbox {
    /// Records a change of the transaction.
    pub fn record(&mut self, change: Change) {
        self.changes.push((change, None));
    }

    /// Records a change with the row its write wrote: its subscribers get that row
    /// without reading it again.
    pub fn record_row(&mut self, change: Change, row: Carried) {
        self.changes.push((change, Some(row)));
    }

    /// Delivers the changes to `live` after the commit (SQLite); on PostgreSQL they reach
    /// every instance, this one included, through NOTIFY.
    pub fn deliver_to(&mut self, live: &Live) {
        self.local = Some(live.clone());
    }

    /// Sends the changes with `pg_notify` inside `txn`, each with the JSON of its row when
    /// it carries one and the payload stays within [`MAX_PAYLOAD`] (PostgreSQL; nothing on
    /// other engines): they leave when, and only if, the transaction commits.
    pub async fn notify_in(&self, txn: &DatabaseTransaction) -> Result<()> {
        if txn.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (change, row) in &self.changes {
            let json = match row {
                Some(Carried::Json(json)) => Some(json.as_str()),
                _ => None,
            };
            let mut payload = change.encode(json);
            if payload.len() > MAX_PAYLOAD {
                // Too long to travel: its subscribers read the row instead.
                payload = change.encode(None);
            }
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), payload.into()],
            ))
            .await?;
        }
        Ok(())
    }

    /// After the commit of a transaction on `backend`.
    pub fn committed(self, backend: DbBackend) {
        if backend == DbBackend::Postgres {
            return;
        }
        if let Some(live) = self.local {
            for (change, row) in self.changes {
                let row = match row {
                    Some(Carried::Row(row)) => Some(row),
                    _ => None,
                };
                live.deliver_with(Event::Change(change), row);
            }
        }
    }
}

pub use listener::{APPLICATION_NAME, Listening, listen};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_survive_their_notify_payload() {
        for change in [
            Change::row(ChangeKind::Created, "Company", 12),
            Change::row(ChangeKind::Updated, "AiModel", 1),
            Change::row(ChangeKind::Deleted, "Citation", 7),
            Change::bulk("Investment", Some(340)),
            Change::bulk("Source", None),
        ] {
            assert_eq!(Change::decode(&change.encode(None)), Some((change, None)));
            let row = r#"{"id": 12, "name": "A B C"}"#;
            assert_eq!(
                Change::decode(&change.encode(Some(row))),
                Some((change, Some(row)))
            );
        }
    }

    #[test]
    fn foreign_payloads_are_ignored() {
        for payload in [
            "",
            "C",
            "C Company",
            "X Company 1",
            "C Nope 1",
            "C Company x",
            "C Company 1 2",
            "C Company 1 a.2 3",
        ] {
            assert_eq!(Change::decode(payload), None, "{payload:?}");
        }
    }

    #[tokio::test]
    async fn a_receiver_that_falls_behind_the_buffer_is_told_it_lagged() {
        let live = Live::new(2);
        let mut rx = live.subscribe();
        for id in 0..5 {
            live.deliver(Event::Change(Change::row(
                ChangeKind::Created,
                "Company",
                id,
            )));
        }
        assert!(matches!(
            rx.recv().await,
            Err(broadcast::error::RecvError::Lagged(3))
        ));
    }
}
