//! The mutation root: create, update and delete for every row type, upserts by natural
//! key, batch creation, and `importDataset`. Every mutation runs in one transaction and is
//! refused unless the request carries a write token (see [`crate::auth`]).

use async_graphql::{Context, MergedObject};

use crate::auth::Caller;

/// Create, create-many, update and delete (and optionally upsert) for one row type: each
/// authorizes first, then runs [`write`]'s generic operation in one transaction.
macro_rules! crud {
    (
        $root:ident, $node:ty, $input:ty,
        $create:ident $create_doc:tt,
        $many:ident $many_doc:tt,
        $update:ident $update_doc:tt,
        $delete:ident $delete_doc:tt
        $(, $upsert:ident $upsert_doc:tt)?
    ) => {
        /// Writes of one row type.
        #[derive(Default)]
        pub struct $root;

        #[async_graphql::Object]
        impl $root {
            #[doc = $create_doc]
            async fn $create(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "The new row; other rows are named by their global `id`.")]
                input: $input,
            ) -> $crate::graphql::Result<$node> {
                $crate::graphql::mutations::authorize(ctx, stringify!($create))?;
                Ok($crate::graphql::mutations::write::create::<$node>(
                    $crate::graphql::db(ctx)?,
                    $crate::graphql::live(ctx)?,
                    input,
                )
                .await?)
            }

            #[doc = $many_doc]
            async fn $many(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "The new rows, at most 1,000; errors name them as `inputs[i]`.")]
                inputs: Vec<$input>,
            ) -> $crate::graphql::Result<Vec<$node>> {
                $crate::graphql::mutations::authorize(ctx, stringify!($many))?;
                Ok($crate::graphql::mutations::write::create_many::<$node>(
                    $crate::graphql::db(ctx)?,
                    $crate::graphql::live(ctx)?,
                    inputs,
                )
                .await?)
            }

            #[doc = $update_doc]
            async fn $update(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "Global id of the row to replace.")] id: async_graphql::ID,
                #[graphql(desc = "Every field of the row; `citations` omitted keeps them, given replaces them.")]
                input: $input,
            ) -> $crate::graphql::Result<$node> {
                $crate::graphql::mutations::authorize(ctx, stringify!($update))?;
                Ok($crate::graphql::mutations::write::update::<$node>(
                    $crate::graphql::db(ctx)?,
                    $crate::graphql::live(ctx)?,
                    &id,
                    input,
                )
                .await?)
            }

            #[doc = $delete_doc]
            async fn $delete(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "Global id of the row to delete.")] id: async_graphql::ID,
            ) -> $crate::graphql::Result<$crate::graphql::mutations::write::Deletion> {
                $crate::graphql::mutations::authorize(ctx, stringify!($delete))?;
                Ok($crate::graphql::mutations::write::delete::<$node>(
                    $crate::graphql::db(ctx)?,
                    $crate::graphql::live(ctx)?,
                    &id,
                )
                .await?)
            }

            $(
            #[doc = $upsert_doc]
            async fn $upsert(
                &self,
                ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "The row; matched by its natural key, updated when found, created otherwise.")]
                input: $input,
            ) -> $crate::graphql::Result<$node> {
                $crate::graphql::mutations::authorize(ctx, stringify!($upsert))?;
                Ok($crate::graphql::mutations::write::upsert::<$node>(
                    $crate::graphql::db(ctx)?,
                    $crate::graphql::live(ctx)?,
                    input,
                )
                .await?)
            }
            )?
        }
    };
}

pub mod aliases;
pub mod claims;
pub mod companies;
pub mod events;
pub mod import;
pub mod investments;
pub mod models;
pub mod projects;
pub mod provenance;
pub mod sources;
pub mod spending;
pub mod write;

/// The root of every mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(
    companies::CompanyMutation,
    companies::PersonMutation,
    models::AiModelMutation,
    investments::InvestmentMutation,
    projects::ProjectMutation,
    projects::ProjectBackerMutation,
    spending::SpendingFigureMutation,
    claims::ClaimMutation,
    claims::ClaimChallengeMutation,
    events::EventMutation,
    sources::SourceMutation,
    sources::CitationMutation,
    import::ImportMutation,
    aliases::AliasMutation,
);

/// The number of the write token the request carries, or the error that refuses the write.
/// Called first by every mutation, before it touches the database.
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
