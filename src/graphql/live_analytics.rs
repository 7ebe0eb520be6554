//! Live analytics: subscriptions to a connection's `aggregate` and `groupBy` and to
//! `spendingSummary`, with the same arguments as the queries. Each sends its result at
//! once, then a new result after every burst of committed changes to the tables it reads.
//!
//! - Shared: subscribers with the same field and arguments join one task (see
//!   [`crate::live::hub`]) that computes each new result once and hands the same value
//!   to all of them; each subscriber resolves only its own selection over that value.
//!   Values computed lazily (`countDistinct`, money per currency, a page's related rows)
//!   are cached in the value, so they too are read once for all subscribers.
//! - Coalesced: at most one computation per `LIVE_COALESCE_MS` window (see
//!   [`crate::live::Live::with_coalesce`]). The first change after a quiet window is computed
//!   at once. A change that comes within the window, or during a computation, waits for the
//!   window's end. Changes that keep coming less than a window apart (each less than a
//!   window after the previous one) are a burst: its computation waits for a window without
//!   any, but not longer than `LIVE_COALESCE_MAX_MS` after the first change it has not
//!   computed ([`crate::live::Live::with_coalesce_max`]), or the window's end if later. So
//!   a single write is seen in the time of one computation; a batch, an import or a burst
//!   of writes costs one computation at its start, at most one per `LIVE_COALESCE_MAX_MS`
//!   plus a computation while it lasts, and one once it ends: not one per change nor one
//!   per window.
//! - Bounded: a subscriber only ever holds the latest result (a `watch` channel), so a slow
//!   one skips results instead of queueing them.
//! - Only changed results: a recomputation whose result reads the same as the one sent
//!   before ([`Unchanged`]) sends nothing, so subscribers do not get the same result twice
//!   (a write that does not touch it, or a recomputation after a change that the previous
//!   computation had already seen). Live aggregates compare their statistics and the
//!   lazily computed ones subscribers asked for; `groupBy` and `spendingSummary` are
//!   always sent.
//! - RESYNC (changes may have been missed) recomputes and always sends.
//!
//! Which changes recompute (a table list per subscription, see [`Watched`]): a type's
//! `aggregate` without a filter, its own type; `groupBy` without a filter, its own type and
//! companies (keys and terms may name a company); `spendingSummary`, spending figures and
//! companies; with a `filter` (which may go through any relation), every change.

use std::sync::Arc;

use async_graphql::Context;
use async_graphql::futures_util::Stream;
use async_graphql::futures_util::future::BoxFuture;
use async_graphql::futures_util::stream;
use sea_orm::DatabaseConnection;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::watch;

use super::live::{Session, Slot, live};
use super::{GqlError, Result, db};
use crate::live::Event;
use crate::live::hub::Departure;

/// The changes that make a live result stale.
#[derive(Clone, Debug)]
pub enum Watched {
    /// Changes to rows of these types.
    Types(Vec<&'static str>),
    /// Every change.
    All,
}

impl Watched {
    fn covers(&self, event: &Event) -> bool {
        match (self, event) {
            (_, Event::Resync) | (Watched::All, _) => true,
            (Watched::Types(types), Event::Change(change)) => types.contains(&change.typename),
        }
    }
}

/// A live result that can tell whether it reads the same as the previous one: a
/// computation whose new result is unchanged sends nothing (a recomputation after a
/// change that the previous computation had already seen, or after a write that does not
/// touch the result). The default says "changed", so the result is always sent.
pub trait Unchanged: Send + Sync + 'static {
    /// Whether `self` reads the same as `previous` for every subscriber (lazily computed
    /// parts included).
    fn unchanged<'a>(&'a self, _previous: &'a Self) -> BoxFuture<'a, bool> {
        Box::pin(async { false })
    }
}

/// What the task of a live result publishes: nothing yet, or the latest result.
type Latest<V> = Option<std::result::Result<Arc<V>, GqlError>>;

/// Computes a live result from the primary.
pub type Compute<V> =
    Arc<dyn Fn(DatabaseConnection) -> BoxFuture<'static, crate::error::Result<V>> + Send + Sync>;

/// The stream of a live result under `key` (the field and its normalized arguments):
/// joins the task computing it, or starts one. The first result is awaited here, so
/// arguments the computation refuses refuse the subscription with their error.
pub async fn subscribe<V: Unchanged>(
    ctx: &Context<'_>,
    key: String,
    watched: Watched,
    compute: Compute<V>,
) -> Result<impl Stream<Item = Result<Arc<V>>> + use<V>> {
    let db = db(ctx)?.clone();
    let session = ctx.data_opt::<Session>().cloned();
    let slot = session.as_ref().map(Session::claim).transpose()?;
    let live = live(ctx)?.clone();
    let hub = live.hub().clone();
    let (receiver, departure) = hub.join(
        &key,
        |left| {
            let (sender, _) = watch::channel::<Latest<V>>(None);
            let mut bus = live.subscribe();
            let sender_task = sender.clone();
            let hub = hub.clone();
            let key = key.clone();
            let coalesce = live.coalesce();
            let coalesce_max = live.coalesce_max();
            tokio::spawn(async move {
                // The result last sent, and whether the next one is sent even when it is
                // unchanged (the first one, and after a RESYNC: subscribers are told).
                let mut previous: Option<Arc<V>> = None;
                let mut resend = true;
                // When the last change that made the result stale came: a change less than a
                // window after it continues a burst.
                let mut last_change: Option<tokio::time::Instant> = None;
                loop {
                    let started = tokio::time::Instant::now();
                    let result = compute(db.clone())
                        .await
                        .map(Arc::new)
                        .map_err(GqlError::from);
                    let unchanged = match (&result, &previous) {
                        (Ok(now), Some(before)) if !resend => now.unchanged(before).await,
                        _ => false,
                    };
                    if !unchanged {
                        previous = result.as_ref().ok().cloned();
                        sender_task.send_replace(Some(result));
                    }
                    resend = false;
                    // Wait for a change that makes the result stale (or for everyone to go),
                    // then coalesce. A change after a quiet window is computed at once. One
                    // within the window (or during the computation) waits for the window's
                    // end; and while changes keep coming less than a window apart (this one
                    // after the previous, or the next ones), for a window without any; but
                    // never longer than `coalesce_max` after the first (or the window's end).
                    let earliest = started + coalesce;
                    // The deliveries that came during the computation: they count from its
                    // start.
                    let mut during = bus.len();
                    // When the first stale-making change came, and when to compute.
                    let mut pending: Option<tokio::time::Instant> = None;
                    let mut due = earliest;
                    loop {
                        if let Some(first) = pending
                            && tokio::time::Instant::now() >= earliest.max(first + coalesce_max)
                        {
                            break;
                        }
                        tokio::select! {
                            // Deliveries already here first, so that a burst that came during
                            // the computation is seen as one.
                            biased;
                            delivery = bus.recv() => {
                                let came = if during > 0 {
                                    during -= 1;
                                    started
                                } else {
                                    tokio::time::Instant::now()
                                };
                                let stale = match delivery {
                                    Ok(delivery) => {
                                        resend |= delivery.event == Event::Resync;
                                        watched.covers(&delivery.event)
                                    }
                                    Err(RecvError::Lagged(_)) => {
                                        resend = true;
                                        true
                                    }
                                    Err(RecvError::Closed) if pending.is_some() => break,
                                    Err(RecvError::Closed) => {
                                        hub.end_if_idle(&key, &sender_task);
                                        return;
                                    }
                                };
                                if !stale {
                                    continue;
                                }
                                let burst = last_change.is_some_and(|last| came < last + coalesce);
                                last_change = Some(came);
                                // A window without changes from `from`, at most `coalesce_max`
                                // after `first`, never before the window's end.
                                let quiet = |from: tokio::time::Instant, first| {
                                    earliest.max((from + coalesce).min(first + coalesce_max))
                                };
                                match pending {
                                    None if came >= earliest => break,
                                    None => {
                                        pending = Some(came);
                                        if burst {
                                            due = quiet(came, came);
                                        }
                                    }
                                    Some(first) => due = quiet(tokio::time::Instant::now(), first),
                                }
                            }
                            () = tokio::time::sleep_until(due), if pending.is_some() => break,
                            _ = left.notified() => {
                                if hub.end_if_idle(&key, &sender_task) {
                                    return;
                                }
                            }
                        }
                    }
                    // The changes that came meanwhile are in the computation that follows.
                    loop {
                        match bus.try_recv() {
                            Ok(delivery) => resend |= delivery.event == Event::Resync,
                            Err(TryRecvError::Lagged(_)) => resend = true,
                            Err(TryRecvError::Empty | TryRecvError::Closed) => break,
                        }
                    }
                    if hub.end_if_idle(&key, &sender_task) {
                        return;
                    }
                }
            });
            sender
        },
        |sender| sender.subscribe(),
    );
    let mut state = Following {
        receiver,
        _departure: departure,
        _slot: slot,
        first: true,
    };
    // The first result: refused arguments refuse the subscription.
    let first = match state.next().await {
        Some(Ok(value)) => value,
        Some(Err(e)) => return Err(e),
        None => return Err(crate::error::Error::Internal("a live result ended".into()).into()),
    };
    Ok(stream::unfold(
        (state, Some(first)),
        |(mut state, first)| async move {
            let item = match first {
                Some(value) => Ok(value),
                None => state.next().await?,
            };
            Some((item, (state, None)))
        },
    ))
}

/// One subscriber of a live result. The receiver is dropped before the departure.
struct Following<V> {
    receiver: watch::Receiver<Latest<V>>,
    _departure: Departure,
    _slot: Option<Slot>,
    first: bool,
}

impl<V> Following<V> {
    /// The next result: the current one first (when there is one), then each new one.
    async fn next(&mut self) -> Option<Result<Arc<V>>> {
        loop {
            if !self.first && self.receiver.changed().await.is_err() {
                return None;
            }
            self.first = false;
            if let Some(latest) = self.receiver.borrow_and_update().clone() {
                return Some(latest);
            }
        }
    }
}

/// Always sent: a page of groups holds lazily read related rows that are not compared.
impl<T: Send + Sync + 'static> Unchanged for super::aggregates::GroupConnection<T> {}

/// Always sent.
impl Unchanged for super::spending::SpendingSummary {}
