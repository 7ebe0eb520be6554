//! The one error type of the service, and how it reaches a GraphQL client.
//!
//! Every error a client sees carries a stable `extensions.code`. Database and internal
//! causes are logged here and replaced by a generic message: they never reach the client.

use std::sync::Arc;

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

/// Result with the service's error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while serving a request or loading data.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing asked for does not exist.
    #[error("{what} not found")]
    NotFound { what: String },
    /// The input is wrong; `field` names the offending input.
    #[error("invalid {field}: {message}")]
    InvalidInput { field: String, message: String },
    /// The request needs credentials it does not carry.
    #[error("{0}")]
    Unauthenticated(String),
    /// The credentials do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(DbErr),
    /// The database cannot be reached or is busy (no connection within the pool's wait,
    /// a connection lost, SQLite locked by another process): the client may retry. The
    /// text is the cause, for the log; clients see [`UNAVAILABLE_MESSAGE`].
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A limit of the deployment refuses this (its stable `code` names the limit).
    #[error("{message}")]
    Limit { code: &'static str, message: String },
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A `BAD_USER_INPUT` error about `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The stable code clients see in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "NOT_FOUND",
            Error::InvalidInput { .. } => "BAD_USER_INPUT",
            Error::Unauthenticated(_) => "UNAUTHENTICATED",
            Error::Forbidden(_) => "FORBIDDEN",
            Error::Database(_) | Error::Internal(_) => "INTERNAL",
            Error::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Error::Limit { code, .. } => code,
        }
    }
}

/// What a client reads when the database cannot be reached or is busy.
pub const UNAVAILABLE_MESSAGE: &str =
    "the database is unreachable or busy right now: nothing was done; retry in a few seconds";

impl From<DbErr> for Error {
    fn from(err: DbErr) -> Self {
        if is_unavailable(&err) {
            Error::Unavailable(err.to_string())
        } else {
            Error::Database(err)
        }
    }
}

impl From<Arc<DbErr>> for Error {
    fn from(err: Arc<DbErr>) -> Self {
        if is_unavailable(&err) {
            Error::Unavailable(err.to_string())
        } else {
            Error::Internal(format!("database error: {err}"))
        }
    }
}

/// Whether `err` means that no connection could be had or kept, or that the database is
/// busy (SQLite locked by another process): worth retrying, not a fault of the request.
pub fn is_unavailable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            sqlx_unavailable(e)
        }
        _ => false,
    }
}

/// The table and columns of the unique key that `err` violates, on either engine, read
/// from the driver's error: SQLite names them ("UNIQUE constraint failed: company.name"),
/// PostgreSQL names the table and the constraint (`company_name_key` for a UNIQUE column,
/// the index's name for a unique index).
pub fn violated_unique_key(err: &DbErr) -> Option<(String, Vec<String>)> {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::error::ErrorKind;
    let sqlx = match err {
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return None,
    };
    let db = sqlx.as_database_error()?;
    if db.kind() != ErrorKind::UniqueViolation {
        return None;
    }
    if let Some(list) = db.message().strip_prefix("UNIQUE constraint failed: ") {
        let pairs: Vec<(&str, &str)> = list
            .split(", ")
            .filter_map(|column| column.trim().split_once('.'))
            .collect();
        let table = pairs.first()?.0.to_string();
        let columns = pairs.iter().map(|(_, c)| c.to_string()).collect();
        return Some((table, columns));
    }
    let table = db.table()?;
    let columns = match db.constraint()? {
        "uq_ai_model_name_developer" => vec!["name", "developer_id"],
        "uq_project_backer_project_company" => vec!["project_id", "company_id"],
        constraint => vec![
            constraint
                .strip_prefix(table)?
                .strip_prefix('_')?
                .strip_suffix("_key")?,
        ],
    };
    Some((
        table.to_string(),
        columns.into_iter().map(str::to_string).collect(),
    ))
}

fn sqlx_unavailable(err: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error as E;
    match err {
        E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => true,
        E::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            match code.parse::<i32>() {
                // SQLite (extended) result codes: SQLITE_BUSY (5) and SQLITE_LOCKED (6).
                Ok(n) => matches!(n & 0xff, 5 | 6),
                // PostgreSQL SQLSTATE: connection exceptions (08...), the server shutting
                // down or starting (57P01-57P03), too many connections (53300).
                Err(_) => {
                    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03" | "53300")
                }
            }
        }
        _ => false,
    }
}

impl ErrorExtensions for Error {
    fn extend(&self) -> async_graphql::Error {
        let message = match self {
            Error::Database(_) | Error::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                "internal server error".to_string()
            }
            Error::Unavailable(cause) => {
                tracing::warn!(cause = %cause, "database unavailable");
                UNAVAILABLE_MESSAGE.to_string()
            }
            other => other.to_string(),
        };
        let code = self.code();
        let field = match self {
            Error::InvalidInput { field, .. } => Some(field.clone()),
            _ => None,
        };
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(field) = &field {
                ext.set("field", field.as_str());
            }
        })
    }
}
