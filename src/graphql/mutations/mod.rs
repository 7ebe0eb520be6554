//! The mutation root: every write of the API, each in one transaction, each refused unless
//! the request carries a write token (see [`crate::auth`]).

use async_graphql::{Context, MergedObject};

use crate::auth::Caller;

pub mod import;

/// The root of every mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(import::ImportMutation);

/// The number of the write token the request carries, or the error that refuses the write.
/// Called first by every mutation, before it reads its input or touches the database.
pub(crate) fn authorize(ctx: &Context<'_>, mutation: &'static str) -> super::Result<usize> {
    let caller = ctx.data_opt::<Caller>().unwrap_or(&Caller::Anonymous);
    match caller.writer() {
        Ok(token) => {
            tracing::info!(token, mutation, "write");
            Ok(token)
        }
        Err(err) => {
            tracing::info!(?caller, mutation, "write refused");
            Err(err.into())
        }
    }
}
