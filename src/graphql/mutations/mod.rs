//! The mutation root: create, update and delete for every row type, upserts by natural
//! key, batch creation, and `importDataset`. Every mutation runs in one transaction and is
//! refused unless the request carries a write token (see [`crate::auth`]).

use async_graphql::{Context, MergedObject};

use crate::auth::Caller;

/// Declares a row type writable once: its input, the subject a citation of it names (for a
/// cited type), the rows that block its deletion, and its mutations with their
/// descriptions: create, create-many, update and delete, and optionally upsert. Each
/// mutation authorizes first, then runs [`write`]'s generic operation in one transaction;
/// the checks and the write are the type's [`write::Save`].
///
/// ```ignore
/// crud!(
///     PersonMutation: Person from PersonInput, cited as Subject::Person,
///     blocked by [("claim", "claimant_person_id", "claims made")];
///     create_person "Creates a person.",
///     create_people "Creates several people in one transaction: all of them or none.",
///     update_person "Replaces every field of a person.",
///     delete_person "Deletes a person with their citations."
/// );
/// ```
macro_rules! crud {
    (
        $root:ident: $node:ident from $input:ident
        $(, cited as $subject:path)?
        $(, blocked by [$($blocker:tt)*])?;
        $create:ident $create_doc:tt,
        $many:ident $many_doc:tt,
        $update:ident $update_doc:tt,
        $delete:ident $delete_doc:tt
        $(, $upsert:ident $upsert_doc:tt)?
    ) => {
        impl $crate::graphql::mutations::write::Writable for $node {
            type Entity =
                <<$node as $crate::graphql::lists::GqlNode>::Model as sea_orm::ModelTrait>::Entity;
            type Input = $input;
            const BLOCKERS: $crate::graphql::mutations::write::Blockers = &[$($($blocker)*)?];
        }

        $(impl $crate::graphql::mutations::write::Cites for $node {
            const SUBJECT: fn(i32) -> $crate::dataset::Subject = $subject;
        })?

        // One line a mutation: its name, description, arguments (each with its
        // description), result, and the operation of `write` it runs.
        crud!(@root $root $node [
            $create $create_doc
                (input: $input = "The new row; other rows are named by their global `id`.")
                -> $node = create(input);
            $many $many_doc
                (inputs: Vec<$input> = "The new rows, at most 1,000; errors name them as `inputs[i]`.")
                -> Vec<$node> = create_many(inputs);
            $update $update_doc
                (id: async_graphql::ID = "Global id of the row to replace.",
                 input: $input = "Every field of the row; `citations` omitted keeps them, given replaces them.")
                -> $node = update(&id, input);
            $delete $delete_doc
                (id: async_graphql::ID = "Global id of the row to delete.")
                -> $crate::graphql::mutations::write::Deletion = delete(&id);
            $($upsert $upsert_doc
                (input: $input = "The row; matched by its natural key, updated when found, created otherwise.")
                -> $node = upsert(input);)?
        ]);
    };
    (@root $root:ident $node:ident [$(
        $name:ident $doc:tt ($($arg:ident: $ty:ty = $desc:literal),*) -> $out:ty = $op:ident($($pass:expr),*);
    )*]) => {
        /// Writes of one row type.
        #[derive(Default)]
        pub struct $root;

        #[async_graphql::Object]
        impl $root {$(
            #[doc = $doc]
            async fn $name(
                &self,
                ctx: &async_graphql::Context<'_>,
                $(#[graphql(desc = $desc)] $arg: $ty,)*
            ) -> $crate::graphql::Result<$out> {
                $crate::graphql::mutations::authorize(ctx, stringify!($name))?;
                let (db, live) = ($crate::graphql::db(ctx)?, $crate::graphql::live(ctx)?);
                Ok($crate::graphql::mutations::write::$op::<$node>(db, live, $($pass),*).await?)
            }
        )*}
    };
}

/// Declares a mutation's input once, one field a line with its description, and generates
/// the `InputObject`, the struct of the database ids its references resolve to, and its
/// [`write::MutationInput`]: the references resolved, the sources given, and `NAMES`, how
/// it spells the fields the dataset format names differently (a reference `companyId` is
/// the dataset's `company`, a date `made` is `made.date`). A field is:
/// - `name: Type`, as it is (attributes such as `#[graphql(default)]` kept);
/// - `name: ID => Target as "field"` or `name: Option<ID> => Target as "field"`, the global
///   id of a `Target` row, which the dataset format calls `field`;
/// - `name: Option<DateInput>`, a date, which errors name `name.date`;
/// - `citations: Option<Vec<CitationInput>>` and `provenance: Option<Vec<ProvenanceInput>>`,
///   spelled exactly so: they are the sources [`write::MutationInput`] gives. Spelled
///   otherwise, they are a compile error, never a field silently left out;
/// - `citations of a fact,` and `provenance notes,`: those two fields with the description
///   every fact's input gives them.
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
/// // in `save`: ... w.refs.company_id ...
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
    // The sources of a row: the field, and the method of `MutationInput` that gives it.
    (@munch $head:tt $names:tt $s:tt $r:tt $i:tt $n:tt $o:tt
        $(#[$m:meta])* citations: Option<Vec<CitationInput>>, $($rest:tt)*
    ) => {
        input!(@sources [citations citations $crate::graphql::mutations::write::CitationInput]
            $head $names $s $r $i $n $o [$(#[$m])*] $($rest)*);
    };
    (@munch $head:tt $names:tt $s:tt $r:tt $i:tt $n:tt $o:tt
        $(#[$m:meta])* provenance: Option<Vec<ProvenanceInput>>, $($rest:tt)*
    ) => {
        input!(@sources [provenance notes $crate::graphql::mutations::provenance::ProvenanceInput]
            $head $names $s $r $i $n $o [$(#[$m])*] $($rest)*);
    };
    (@sources [$field:ident $method:ident $item:ty] $head:tt [$me:ident $txn:ident $at:ident]
        [$($s:tt)*] $r:tt $i:tt $n:tt [$($o:tt)*] [$($doc:tt)*] $($rest:tt)*
    ) => {
        input!(@munch $head [$me $txn $at] [$($s)* $($doc)* pub $field: Option<Vec<$item>>,] $r $i $n
            [$($o)* fn $method(&$me) -> Option<&[$item]> { $me.$field.as_deref() }]
            $($rest)*);
    };
    // The citations of a fact and the provenance notes, in the words every input uses.
    (@munch $head:tt $names:tt $s:tt $r:tt $i:tt $n:tt $o:tt citations of a fact, $($rest:tt)*) => {
        input!(@munch $head $names $s $r $i $n $o
            /// The sentences of sources that state it: at least one.
            citations: Option<Vec<CitationInput>>,
            $($rest)*);
    };
    (@munch $head:tt $names:tt $s:tt $r:tt $i:tt $n:tt $o:tt provenance notes, $($rest:tt)*) => {
        input!(@munch $head $names $s $r $i $n $o
            /// How the row's values are known (see `ProvenanceInput`): given, the list replaces
            /// the row's notes; left out, the notes are kept if they still hold.
            provenance: Option<Vec<ProvenanceInput>>,
            $($rest)*);
    };
    // `citations` or `provenance` spelled otherwise would fall to the plain arm below and
    // be silently left out of `MutationInput`: refused instead.
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
        #[derive(Clone, Copy)]
        pub struct $refs { $($r)* }

        impl $crate::graphql::mutations::write::MutationInput for $input {
            type Refs = $refs;
            const NAMES: &'static [(&'static str, &'static str)] = &[$($n)*];

            #[allow(unused_variables)]
            async fn refs(
                &$me,
                $txn: &sea_orm::DatabaseTransaction,
                $at: $crate::domain::At<'_>,
            ) -> $crate::error::Result<$refs> {
                Ok($refs { $($i)* })
            }

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
pub mod saving;
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
