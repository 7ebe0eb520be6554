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
    Database(#[from] DbErr),
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
        }
    }
}

impl From<Arc<DbErr>> for Error {
    fn from(err: Arc<DbErr>) -> Self {
        Error::Internal(format!("database error: {err}"))
    }
}

impl ErrorExtensions for Error {
    fn extend(&self) -> async_graphql::Error {
        let message = match self {
            Error::Database(_) | Error::Internal(_) => {
                tracing::error!(error = %self, "request failed");
                "internal server error".to_string()
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
