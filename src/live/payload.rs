//! The row a write carries with its change, so that no subscriber reads it again.
//!
//! - SQLite (one process): the change is delivered in process with the row itself.
//! - PostgreSQL: the `NOTIFY` payload carries the row as JSON, and every instance's
//!   listener decodes it, the writer's own and the others alike. A row whose payload would
//!   reach PostgreSQL's limit ([`MAX_PAYLOAD`]) is not carried: its subscribers read it,
//!   once per event, as for a change that carries nothing.

use sea_orm::DbBackend;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{Carried, RowSnapshot, rows};

/// The longest `NOTIFY` payload that carries its row: PostgreSQL refuses payloads of 8,000
/// bytes or more.
pub const MAX_PAYLOAD: usize = 7_999;

/// Room in a payload for the change before the row (`U ClaimChallenge 2147483647 `).
const CHANGE_ROOM: usize = 40;

impl Carried {
    /// What a write on `backend` carries of `row`: the row in process (SQLite), its JSON
    /// when it fits in a payload (PostgreSQL), else nothing.
    pub fn of<M: Serialize + Send + Sync + 'static>(backend: DbBackend, row: M) -> Option<Self> {
        if backend != DbBackend::Postgres {
            return Some(Carried::Row(rows(vec![row])));
        }
        let json = serde_json::to_string(&row).ok()?;
        (json.len() + CHANGE_ROOM <= MAX_PAYLOAD).then_some(Carried::Json(json))
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
