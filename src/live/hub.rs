//! Shared computations: identical live subscriptions (the same field with the same
//! arguments and selection) join one task that computes for all of them.
//!
//! A [`Hub`] maps a key (the subscription's normalized field) to the state its subscribers
//! share, usually the sending end of a channel whose task does the work. The first
//! subscriber of a key starts the task; later ones only subscribe to its channel. A task
//! ends when its last subscriber has gone: it checks with [`Hub::end_if_idle`] whenever a
//! subscriber leaves (its [`Departure`] is dropped) or after its work, under the hub's lock,
//! so a subscriber joining at that moment either finds the task still there or starts a new
//! one, never a task that is about to end.

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, broadcast, watch};

/// State shared by the subscribers of one key.
pub trait Shared: Send + Sync + 'static {
    /// How many subscribers are still there.
    fn subscribers(&self) -> usize;

    /// How many of them see the next event (all, unless the computation is still starting).
    fn counted(&self) -> usize {
        self.subscribers()
    }
}

impl<T: Send + 'static> Shared for broadcast::Sender<T> {
    fn subscribers(&self) -> usize {
        self.receiver_count()
    }
}

impl<T: Send + Sync + 'static> Shared for watch::Sender<T> {
    fn subscribers(&self) -> usize {
        self.receiver_count()
    }
}

/// One running computation.
struct Entry {
    state: Arc<dyn Any + Send + Sync>,
    subscribers: Arc<dyn Fn() -> usize + Send + Sync>,
    counted: Arc<dyn Fn() -> usize + Send + Sync>,
    left: Arc<Notify>,
}

/// The shared computations of one process (cheap to clone).
#[derive(Clone, Default)]
pub struct Hub {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Hub({} computations)", self.computations())
    }
}

/// A subscriber's membership: when dropped, the task of its key checks whether anyone is
/// left. Drop it after the subscriber's receiver.
pub struct Departure(Arc<Notify>);

impl Drop for Departure {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

/// Told to a task when one of its subscribers left: it then calls [`Hub::end_if_idle`].
pub type Left = Arc<Notify>;

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        // A panic while the lock was held cannot leave the map inconsistent (every change
        // is one insert or remove): go on with it.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Joins the computation of `key`: `subscribe` is given its shared state; when none runs,
    /// `start` is called first (with the notification of departures) to create the state and
    /// spawn the task. Call from within a Tokio runtime.
    pub fn join<S: Shared, R>(
        &self,
        key: &str,
        start: impl FnOnce(Left) -> S,
        subscribe: impl FnOnce(&S) -> R,
    ) -> (R, Departure) {
        let mut entries = self.lock();
        if let Some(entry) = entries.get(key)
            && let Some(state) = entry.state.downcast_ref::<S>()
        {
            return (subscribe(state), Departure(entry.left.clone()));
        }
        let left = Left::default();
        let state = Arc::new(start(left.clone()));
        let joined = subscribe(&state);
        let (of, ready) = (state.clone(), state.clone());
        entries.insert(
            key.to_string(),
            Entry {
                state,
                subscribers: Arc::new(move || of.subscribers()),
                counted: Arc::new(move || ready.counted()),
                left: left.clone(),
            },
        );
        (joined, Departure(left))
    }

    /// Called by the task of `key`: when no subscriber is left, removes it and returns true
    /// (the task then ends); otherwise false.
    pub fn end_if_idle(&self, key: &str, state: &impl Shared) -> bool {
        let mut entries = self.lock();
        if state.subscribers() > 0 {
            return false;
        }
        entries.remove(key);
        true
    }

    /// Called by the task of `key` when its work is over (its subscribers then see their
    /// channel close): a subscriber joining afterwards starts a new one.
    pub fn end(&self, key: &str) {
        self.lock().remove(key);
    }

    /// Computations running.
    pub fn computations(&self) -> usize {
        self.lock().len()
    }

    /// Subscribers of all computations together.
    pub fn subscribers(&self) -> usize {
        self.lock().values().map(|e| (e.subscribers)()).sum()
    }

    /// Subscribers of all computations together that see the next event ([`Shared::counted`]).
    pub fn counted(&self) -> usize {
        self.lock().values().map(|e| (e.counted)()).sum()
    }
}
