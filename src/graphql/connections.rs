//! Relation fields, one line each: to-one relations and nested connections.
//!
//! Every to-many relation of a row type is a Relay connection with the same arguments
//! (`first`, `after`, `last`, `before`, `orderBy`, `filter`), the same descriptions, and
//! the same resolver: the batch loader of [`super::lists::nested`], paged per parent.
//! [`with_connections!`] writes them: a type's `#[Object]` impl is given to it together with
//! one line per relation,
//!
//! ```text
//! /// Companies that are part of this one.
//! subsidiaries: Company(company, CompanyFilter, CompanyOrderField) by company::Column::ParentId,
//! ```
//!
//! naming the field, the target type, its entity module, filter and order-field types, and
//! the foreign key of the target's table that points to this row. A query root's plain
//! lists (all rows of a type, with the same arguments) are listed under `roots` the same
//! way, without the foreign key, and with the arguments of their own that compare a column
//! with a value after `where`:
//!
//! ```text
//! claims: Claim(claim, ClaimFilter, ClaimOrderField) where {
//!     status: ClaimStatus = claim::Column::Status => "Only claims with this status.",
//! },
//! ```
//!
//! A to-one relation (the row a foreign key of this row points to) is one line under
//! `to_one`, naming the field, the target type, the loader (`one` for a nullable key,
//! giving a nullable field; `required` for a NOT NULL key) with the target's entity module
//! and the foreign-key column of this row:
//!
//! ```text
//! /// The company that invested.
//! investor: Company = required(company, investor_id),
//! ```
//!
//! The SDL is the same as when each field was written by
//! hand. (The macro writes the whole `#[Object]` impl because async-graphql's attribute
//! sees the impl before any macro inside it would expand. Code inside the macro call is
//! not reformatted by rustfmt.)

/// An `#[Object]` impl (its attributes, header and hand-written fields as they are) with a
/// connection field for each relation listed after `connections`.
macro_rules! with_connections {
    (
        $(#[$attr:meta])*
        impl $type:ident { $($body:tt)* }
        $(to_one {
            $(
                $(#[doc = $odoc:expr])*
                $ofield:ident : $otarget:ident = $okind:ident ($oentity:ident, $ofk:ident),
            )*
        })?
        $(connections {
            $(
                $(#[doc = $doc:expr])*
                $field:ident : $target:ident ($entity:ident, $filter:ident, $order:ident) by $column:path,
            )*
        })?
        $(roots {
            $(
                $(#[doc = $rdoc:expr])*
                $rfield:ident : $rtarget:ident ($rentity:ident, $rfilter:ident, $rorder:ident)
                $(where {
                    $($arg:ident : $argty:ty = $argcol:path => $argdesc:literal),* $(,)?
                })?,
            )*
        })?
    ) => {
        $(#[$attr])*
        impl $type {
            $($body)*
            $($(
                $(#[doc = $odoc])*
                async fn $ofield(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                ) -> $crate::graphql::Result<$crate::graphql::connections::to_one::$okind<$otarget>> {
                    Ok($crate::data::loaders::$okind::<_, entity::$oentity::Entity, _>(
                        $crate::graphql::db(ctx)?,
                        &self.0,
                        stringify!($ofk),
                        |m| m.$ofk.into(),
                    )
                    .await?)
                }
            )*)?
            $($(
                $(#[doc = $doc])*
                #[allow(clippy::too_many_arguments)]
                async fn $field(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    #[graphql(
                        desc = "Returns the first N rows (at most 100; 20 when neither `first` nor `last` is given)."
                    )]
                    first: Option<i32>,
                    #[graphql(desc = "Returns the rows after this cursor (use with `first`).")]
                    after: Option<String>,
                    #[graphql(desc = "Returns the last N rows (at most 100).")]
                    last: Option<i32>,
                    #[graphql(desc = "Returns the rows before this cursor (use with `last`).")]
                    before: Option<String>,
                    #[graphql(
                        desc = "Order terms, applied in the order given; the id breaks any remaining tie.",
                        default
                    )]
                    order_by: Vec<$crate::graphql::lists::OrderBy<$order>>,
                    #[graphql(desc = "Only rows matching this filter.")]
                    filter: Option<Box<$filter>>,
                ) -> $crate::graphql::Result<$crate::graphql::lists::Connection<$target>> {
                    Ok($crate::graphql::lists::nested::<_, entity::$entity::Entity, _, _, _>(
                        ctx,
                        &self.0,
                        $column,
                        $crate::graphql::lists::page_args(first, after, last, before),
                        order_by,
                        filter,
                    )
                    .await?)
                }
            )*)?
            $($(
                $(#[doc = $rdoc])*
                #[allow(clippy::too_many_arguments)]
                async fn $rfield(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    $($(
                        #[graphql(desc = $argdesc)]
                        $arg: Option<$argty>,
                    )*)?
                    #[graphql(
                        desc = "Returns the first N rows (at most 100; 20 when neither `first` nor `last` is given)."
                    )]
                    first: Option<i32>,
                    #[graphql(desc = "Returns the rows after this cursor (use with `first`).")]
                    after: Option<String>,
                    #[graphql(desc = "Returns the last N rows (at most 100).")]
                    last: Option<i32>,
                    #[graphql(desc = "Returns the rows before this cursor (use with `last`).")]
                    before: Option<String>,
                    #[graphql(
                        desc = "Order terms, applied in the order given; the id breaks any remaining tie.",
                        default
                    )]
                    order_by: Vec<$crate::graphql::lists::OrderBy<$rorder>>,
                    #[graphql(desc = "Only rows matching this filter.")]
                    filter: Option<Box<$rfilter>>,
                ) -> $crate::graphql::Result<$crate::graphql::lists::Connection<$rtarget>> {
                    let backend = $crate::graphql::db(ctx)?.get_database_backend();
                    #[allow(unused_mut)]
                    let mut condition = sea_orm::Condition::all()
                        .add($crate::graphql::filters::filter_condition(backend, &filter)?);
                    $($(
                        if let Some(value) = $arg {
                            condition = condition.add(sea_orm::ColumnTrait::eq(&$argcol, value));
                        }
                    )*)?
                    let keys = $crate::graphql::lists::sort_keys::<entity::$rentity::Entity, _>(&order_by);
                    let page = $crate::graphql::lists::page_args(first, after, last, before);
                    Ok($crate::graphql::lists::Connection(
                        $crate::graphql::lists::top::<entity::$rentity::Entity>(ctx, condition, keys, &page)
                            .await?,
                    ))
                }
            )*)?
        }
    };
}
pub(crate) use with_connections;

/// The GraphQL type of a to-one field by the loader that reads it (the name the field's
/// line gives): `one` follows a nullable foreign key and is null when the key is;
/// `required` follows a NOT NULL key and is never null.
#[allow(non_camel_case_types)]
pub mod to_one {
    /// A relation through a nullable foreign key.
    pub type one<T> = Option<T>;
    /// A relation through a NOT NULL foreign key.
    pub type required<T> = T;
}
