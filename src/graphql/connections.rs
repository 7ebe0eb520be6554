//! Nested connection fields, one line each.
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
//! the foreign key of the target's table that points to this row. The SDL is the same as
//! when each field was written by hand.

/// An `#[Object]` impl (its attributes, header and hand-written fields as they are) with a
/// connection field for each relation listed after `connections`.
macro_rules! with_connections {
    (
        $(#[$attr:meta])*
        impl $type:ident { $($body:tt)* }
        connections {
            $(
                $(#[doc = $doc:expr])*
                $field:ident : $target:ident ($entity:ident, $filter:ident, $order:ident) by $column:path,
            )*
        }
    ) => {
        $(#[$attr])*
        impl $type {
            $($body)*
            $(
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
            )*
        }
    };
}
pub(crate) use with_connections;
