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

/// Declares a mutation's input once, one field a line with its description, and generates
/// the `InputObject`, the struct of the database ids its references resolve to, and
/// `NAMES`, how it spells the fields the dataset format names differently (a reference
/// `companyId` is the dataset's `company`, a date `made` is `made.date`). A field is:
/// - `name: Type`, as it is (attributes such as `#[graphql(default)]` kept);
/// - `name: ID => Target as "field"` or `name: Option<ID> => Target as "field"`, the global
///   id of a `Target` row, which the dataset format calls `field`;
/// - `name: Option<DateInput>`, a date, which errors name `name.date`;
/// - `citations: Option<Vec<CitationInput>>` and `provenance: Option<Vec<ProvenanceInput>>`,
///   spelled exactly so: they implement [`write::Sourced`]. Spelled otherwise, they are a
///   compile error, never a field silently left out.
///
/// ```ignore
/// input! {
///     /// A person to create or replace.
///     PersonInput resolving PersonRefs {
///         /// Unique name, at most 200 characters.
///         name: String,
///         /// The company the person works for (global id).
///         company_id: Option<ID> => Company as "company",
///     }
/// }
/// // in `save`: let refs = input.refs(txn, at).await?; ... refs.company_id ...
/// ```
/// Names the dataset spells otherwise still (a figure's `amount.low`) go in an optional
/// `spelled { "low" => "amount.low" }` before the fields.
macro_rules! input {
    // `self`, `txn` and `at` are written once here and passed down, so that the code each
    // field adds names the same bindings as the generated function (macro hygiene).
    (
        $(#[$doc:meta])*
        $input:ident resolving $refs:ident
        $(spelled { $($from:literal => $to:literal),* $(,)? })?
        { $($fields:tt)* }
    ) => {
        input!(@munch [[$(#[$doc])*] $input $refs] [self txn at]
            [] [] [] [$($(($from, $to),)*)?] [] $($fields)*);
    };
    (@munch $head:tt [$me:ident $txn:ident $at:ident] [$($s:tt)*] [$($r:tt)*] [$($i:tt)*] [$($n:tt)*] [$($o:tt)*]
        $(#[$m:meta])* $name:ident: ID => $target:ty as $spelled:literal, $($rest:tt)*
    ) => {
        input!(@munch $head [$me $txn $at]
            [$($s)* $(#[$m])* pub $name: async_graphql::ID,]
            [$($r)* pub $name: i32,]
            [$($i)* $name: $crate::graphql::mutations::write::reference::<$target>(
                $txn, &$me.$name, &$at.field($spelled)).await?,]
            [$($n)* ($spelled, concat!($spelled, "Id")),] [$($o)*]
            $($rest)*);
    };
    (@munch $head:tt [$me:ident $txn:ident $at:ident] [$($s:tt)*] [$($r:tt)*] [$($i:tt)*] [$($n:tt)*] [$($o:tt)*]
        $(#[$m:meta])* $name:ident: Option<ID> => $target:ty as $spelled:literal, $($rest:tt)*
    ) => {
        input!(@munch $head [$me $txn $at]
            [$($s)* $(#[$m])* pub $name: Option<async_graphql::ID>,]
            [$($r)* pub $name: Option<i32>,]
            [$($i)* $name: $crate::graphql::mutations::write::opt_reference::<$target>(
                $txn, $me.$name.as_ref(), &$at.field($spelled)).await?,]
            [$($n)* ($spelled, concat!($spelled, "Id")),] [$($o)*]
            $($rest)*);
    };
    (@munch $head:tt [$me:ident $txn:ident $at:ident] [$($s:tt)*] [$($r:tt)*] [$($i:tt)*] [$($n:tt)*] [$($o:tt)*]
        $(#[$m:meta])* $name:ident: Option<DateInput>, $($rest:tt)*
    ) => {
        input!(@munch $head [$me $txn $at]
            [$($s)* $(#[$m])* pub $name: Option<$crate::graphql::mutations::write::DateInput>,]
            [$($r)*] [$($i)*]
            [$($n)* (stringify!($name), concat!(stringify!($name), ".date")),] [$($o)*]
            $($rest)*);
    };
    (@munch $head:tt [$me:ident $txn:ident $at:ident] [$($s:tt)*] [$($r:tt)*] [$($i:tt)*] [$($n:tt)*] [$($o:tt)*]
        $(#[$m:meta])* citations: Option<Vec<CitationInput>>, $($rest:tt)*
    ) => {
        input!(@munch $head [$me $txn $at]
            [$($s)* $(#[$m])*
                pub citations: Option<Vec<$crate::graphql::mutations::write::CitationInput>>,]
            [$($r)*] [$($i)*] [$($n)*]
            [$($o)* fn citations(&$me) -> Option<&[$crate::graphql::mutations::write::CitationInput]> {
                $me.citations.as_deref()
            }]
            $($rest)*);
    };
    (@munch $head:tt [$me:ident $txn:ident $at:ident] [$($s:tt)*] [$($r:tt)*] [$($i:tt)*] [$($n:tt)*] [$($o:tt)*]
        $(#[$m:meta])* provenance: Option<Vec<ProvenanceInput>>, $($rest:tt)*
    ) => {
        input!(@munch $head [$me $txn $at]
            [$($s)* $(#[$m])*
                pub provenance: Option<Vec<$crate::graphql::mutations::provenance::ProvenanceInput>>,]
            [$($r)*] [$($i)*] [$($n)*]
            [$($o)* fn notes(&$me) -> Option<&[$crate::graphql::mutations::provenance::ProvenanceInput]> {
                $me.provenance.as_deref()
            }]
            $($rest)*);
    };
    // `citations` or `provenance` spelled otherwise would fall to the plain arm below and
    // be silently left out of `Sourced`: refused instead.
    (@munch $head:tt $names:tt $s:tt $r:tt $i:tt $n:tt $o:tt
        $(#[$m:meta])* citations: $ty:ty, $($rest:tt)*
    ) => {
        compile_error!("input!: write the field as `citations: Option<Vec<CitationInput>>`");
    };
    (@munch $head:tt $names:tt $s:tt $r:tt $i:tt $n:tt $o:tt
        $(#[$m:meta])* provenance: $ty:ty, $($rest:tt)*
    ) => {
        compile_error!("input!: write the field as `provenance: Option<Vec<ProvenanceInput>>`");
    };
    (@munch $head:tt [$me:ident $txn:ident $at:ident] [$($s:tt)*] [$($r:tt)*] [$($i:tt)*] [$($n:tt)*] [$($o:tt)*]
        $(#[$m:meta])* $name:ident: $ty:ty, $($rest:tt)*
    ) => {
        input!(@munch $head [$me $txn $at] [$($s)* $(#[$m])* pub $name: $ty,] [$($r)*] [$($i)*]
            [$($n)*] [$($o)*] $($rest)*);
    };
    (@munch [[$($doc:tt)*] $input:ident $refs:ident] [$me:ident $txn:ident $at:ident]
        [$($s:tt)*] [$($r:tt)*] [$($i:tt)*] [$($n:tt)*] [$($o:tt)*]
    ) => {
        $($doc)*
        #[derive(async_graphql::InputObject)]
        pub struct $input { $($s)* }

        #[doc = concat!("The database ids of the rows a `", stringify!($input), "` names.")]
        pub struct $refs { $($r)* }

        impl $input {
            /// How the input spells the fields the dataset format names differently.
            pub const NAMES: &'static [(&'static str, &'static str)] = &[$($n)*];

            /// The input's references resolved to database ids; an error names the field
            /// of a reference to nothing.
            #[allow(unused_variables)]
            pub async fn refs(
                &$me,
                $txn: &sea_orm::DatabaseTransaction,
                $at: $crate::domain::At<'_>,
            ) -> $crate::error::Result<$refs> {
                Ok($refs { $($i)* })
            }
        }

        impl $crate::graphql::mutations::write::Sourced for $input {
            $($o)*
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
