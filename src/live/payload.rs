//! The row a write carries with its change, so that no subscriber reads it again.
//!
//! - SQLite (one process): the change is delivered in process with the row itself.
//! - PostgreSQL: the `NOTIFY` payload carries the row as JSON, and every instance's
//!   listener decodes it, the writer's own and the others alike. A change whose payload
//!   would pass PostgreSQL's limit ([`MAX_PAYLOAD`]) with its row is sent without it
//!   (`Outbox::notify_in`): its subscribers read the row, once per event, as for a change
//!   that carries nothing.

use sea_orm::DbBackend;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{RowSnapshot, rows};

/// The longest `NOTIFY` payload: PostgreSQL refuses payloads of 8,000 bytes or more.
pub const MAX_PAYLOAD: usize = 7_999;

/// What a write carries of the row it wrote: the row (delivered in process) or its JSON
/// (sent in the `NOTIFY` payload when it fits).
#[derive(Debug)]
pub enum Carried {
    /// The row, as [`rows`] holds it.
    Row(RowSnapshot),
    /// The row as JSON.
    Json(String),
}

impl Carried {
    /// What a write on `backend` carries of `row`: the row in process (SQLite), its JSON
    /// (PostgreSQL); nothing when it does not serialize.
    pub fn of<M: Serialize + Send + Sync + 'static>(backend: DbBackend, row: M) -> Option<Self> {
        if backend != DbBackend::Postgres {
            return Some(Carried::Row(rows(vec![row])));
        }
        serde_json::to_string(&row).ok().map(Carried::Json)
    }
}

/// The row of type `typename` in `json` (as [`Carried::of`] wrote it), in the form `node`
/// reads it; `None` when it does not decode.
pub fn row_from_json(typename: &str, json: &str) -> Option<RowSnapshot> {
    fn one<M: DeserializeOwned + Send + Sync + 'static>(json: &str) -> Option<RowSnapshot> {
        match serde_json::from_str::<M>(json) {
            Ok(row) => Some(rows(vec![row])),
            Err(e) => {
                tracing::warn!(error = %e, "a change's row did not decode: it is read instead");
                None
            }
        }
    }
    macro_rules! decoders {
        ($($name:ident => $entity:ident,)*) => {
            match typename {
                $(stringify!($name) => one::<entity::$entity::Model>(json),)*
                _ => None,
            }
        };
    }
    super::with_row_types!(decoders)
}
