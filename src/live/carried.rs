//! Rows carried by this instance's own writes on PostgreSQL, from the write to the
//! `NOTIFY` that comes back to this instance's listener.
//!
//! A write holds the row it wrote. On SQLite its event is delivered in process with that
//! row; on PostgreSQL the event comes back through `LISTEN`, so the write leaves the row
//! here under a [`Token`] that its `NOTIFY` payload names, and the listener takes it back
//! with the event. Either way the subscribers selecting `node` do not read the row again:
//! the event costs no statement beyond the write's own. A payload from another instance,
//! or one whose row is no longer here, is read as before.
//!
//! Memory is bounded: a row is left only while the listener is connected, and at most
//! [`MAX_CARRIED`] wait; past that the oldest go, and their events read their row.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// A row an event carries, in the form the `node` of that event reads it: the rows of its
/// entity, as `Arc<Vec<Model>>` (see [`super::rows`]).
pub type RowSnapshot = Arc<dyn std::any::Any + Send + Sync>;

/// Rows waiting for their `NOTIFY` at most.
pub const MAX_CARRIED: usize = 1024;

/// Names a carried row in a `NOTIFY` payload: the instance that wrote it, and a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub origin: u64,
    pub number: u64,
}

impl Token {
    /// `3f2a…c1.17`: the origin in hexadecimal, a dot, the number.
    pub fn encode(&self) -> String {
        format!("{:x}.{}", self.origin, self.number)
    }

    /// A token written by [`Token::encode`]; `None` for anything else.
    pub fn decode(text: &str) -> Option<Self> {
        let (origin, number) = text.split_once('.')?;
        Some(Token {
            origin: u64::from_str_radix(origin, 16).ok()?,
            number: number.parse().ok()?,
        })
    }
}

#[derive(Default)]
struct Waiting {
    next: u64,
    rows: HashMap<u64, RowSnapshot>,
    order: VecDeque<u64>,
}

/// The rows of this instance's writes waiting for their `NOTIFY`.
#[derive(Clone)]
pub struct Carried {
    origin: u64,
    listening: Arc<AtomicBool>,
    waiting: Arc<Mutex<Waiting>>,
}

impl Default for Carried {
    fn default() -> Self {
        // A random origin per bus: two instances, even in one process, never take each
        // other's rows.
        let origin = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        Carried {
            origin,
            listening: Arc::default(),
            waiting: Arc::default(),
        }
    }
}

impl Carried {
    /// Whether the listener is connected: rows are left only then.
    pub fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::SeqCst);
        if !listening {
            // Their notifications may never come.
            self.lock().rows.clear();
        }
    }

    /// Leaves `row` for the `NOTIFY` that will name the returned token; `None` (nothing
    /// left) while no listener is connected.
    pub fn leave(&self, row: RowSnapshot) -> Option<Token> {
        if !self.listening.load(Ordering::SeqCst) {
            return None;
        }
        let mut waiting = self.lock();
        let number = waiting.next;
        waiting.next += 1;
        waiting.rows.insert(number, row);
        waiting.order.push_back(number);
        while waiting.rows.len() > MAX_CARRIED || waiting.order.len() > 2 * MAX_CARRIED {
            let Some(oldest) = waiting.order.pop_front() else {
                break;
            };
            waiting.rows.remove(&oldest);
        }
        Some(Token {
            origin: self.origin,
            number,
        })
    }

    /// The row left under `token`, if this instance left it and it is still here.
    pub fn take(&self, token: Token) -> Option<RowSnapshot> {
        if token.origin != self.origin {
            return None;
        }
        self.lock().rows.remove(&token.number)
    }

    /// Rows waiting, for tests.
    pub fn waiting(&self) -> usize {
        self.lock().rows.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        // A panic while holding the lock leaves a consistent map: keep using it.
        self.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: i32) -> RowSnapshot {
        Arc::new(vec![n])
    }

    #[test]
    fn tokens_survive_their_text() {
        let token = Token {
            origin: u64::MAX - 5,
            number: 17,
        };
        assert_eq!(Token::decode(&token.encode()), Some(token));
        for text in ["", "1", "x.1", "1.x", "1.2.3", ".1", "1."] {
            assert_eq!(Token::decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn a_row_is_taken_once_by_its_own_instance_only() {
        let (mine, other) = (Carried::default(), Carried::default());
        mine.set_listening(true);
        other.set_listening(true);
        let token = mine.leave(row(1)).expect("listening");
        assert!(other.take(token).is_none(), "another instance's row");
        let taken = mine.take(token).expect("its own row");
        assert_eq!(taken.downcast_ref::<Vec<i32>>(), Some(&vec![1]));
        assert!(mine.take(token).is_none(), "taken once");
    }

    #[test]
    fn nothing_is_left_without_a_listener_and_at_most_the_bound_waits() {
        let carried = Carried::default();
        assert!(carried.leave(row(0)).is_none(), "no listener");
        carried.set_listening(true);
        let first = carried.leave(row(0)).expect("listening");
        for n in 1..=MAX_CARRIED as i32 + 10 {
            carried.leave(row(n));
        }
        assert_eq!(carried.waiting(), MAX_CARRIED);
        assert!(carried.take(first).is_none(), "the oldest went first");
        carried.set_listening(false);
        assert_eq!(carried.waiting(), 0, "a lost listener drops what waits");
    }
}
