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
//! lists (all rows of a type, with the same arguments) are lines of its `connections` too,
//! without the foreign key. Either kind can take arguments of its own, after `where`, that
//! each compare a column with their value (optional arguments: absent, they select all);
//! `as` converts the value first, e.g. a global id to the database id:
//!
//! ```text
//! claims: Claim(claim, ClaimFilter, ClaimOrderField) where {
//!     status: ClaimStatus = claim::Column::Status => "Only claims with this status.",
//! },
//! citations: Citation(citation, CitationFilter, CitationOrderField) where {
//!     source_id: ID = citation::Column::SourceId as database_id::<Source>(&source_id, "sourceId")?
//!         => "Only citations of this source (its global id).",
//! },
//! ```
//!
//! A list whose rows come in an order of their own when `orderBy` is empty names it last,
//! with the whole description of `orderBy` (an attribute takes one literal, so it is not
//! composed from the usual one):
//!
//! ```text
//! backers: ProjectBacker(project_backer, ProjectBackerFilter, ProjectBackerOrderField)
//!     by project_backer::Column::ProjectId where { role: BackerRole = ... => "..." }
//!     [default order Role Desc => "Order terms, ...; the id breaks any remaining tie. By default the lead comes first."],
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
//! A type's plain fields, those that read the row (or load a little for it) without
//! arguments, are one line each under `fields`, with their doc, name, GraphQL type and value.
//! The section names the row (`row`, a `&Node<Model>`) and the request's context (`ctx`) for
//! the values; its fields come first in the type, before the impl's hand-written resolvers:
//!
//! ```text
//! fields |row, ctx| {
//!     /// The company's name, unique, e.g. "Meta Platforms".
//!     name: &str = &row.name,
//!     /// Stock ticker, unique, e.g. "AMZN"; null for companies that are not listed.
//!     ticker: Option<&str> = row.ticker.as_deref(),
//!     /// Other names of the company in the sources ...
//!     aliases: Result<Vec<Alias>> = aliases_of(ctx, row, alias::Column::CompanyId).await,
//! }
//! ```
//!
//! The fields every row type has in the same words are one line each too: `ids` gives the
//! Relay `id` and `databaseId` ("Database id of the event."), and `provenance` the type's
//! `provenance` field, with the noun of its description and its column in
//! `value_provenance` and in `citation`:
//!
//! ```text
//! ids of "the event";
//! provenance of "event": EventId, cited by Some(citation::Column::EventId);
//! ```
//!
//! A query root's lookups of one row are one line each: by global id under `by_id`, by a
//! unique text column under `by_text` (the column and the argument's name), and by the name
//! a reader means under `by_name` (the exact name, then the name or an alias ignoring case;
//! the alias column names the row's aliases), which comes before the impl's own resolvers:
//!
//! ```text
//! by_name {
//!     /// The project a reader means by this name, or null.
//!     project_by_name: Project(project, alias ProjectId) "The project's name, e.g. \"Stargate\".",
//! }
//! by_id {
//!     /// The claim with this id, or null.
//!     claim: Claim(claim) "Global id of the claim.",
//! }
//! by_text {
//!     /// The claim with this external reference, or null.
//!     claim_by_ref: Claim(claim, Reference) r#ref "The reference, e.g. \"C1\".",
//! }
//! ```
//!
//! The SDL is the same as when each field was written by
//! hand. (The macro writes the whole `#[Object]` impl because async-graphql's attribute
//! sees the impl before any macro inside it would expand. Code inside the macro call is
//! not reformatted by rustfmt.)

/// An `#[Object]` impl (its attributes, header and hand-written fields as they are) with
/// the fields its sections list: plain fields, lookups by name, ids, provenance, lookups,
/// to-one relations, connections (nested or root lists).
macro_rules! with_connections {
    // The sections up to `connections`, one token tree at a time; then its entries.
    (@sections [$($before:tt)*] connections { $($entries:tt)* }) => {
        $crate::graphql::connections::with_connections!(@entries [$($before)*] [] $($entries)*);
    };
    (@sections [$($before:tt)*] $next:tt $($rest:tt)*) => {
        $crate::graphql::connections::with_connections!(@sections [$($before)* $next] $($rest)*);
    };
    (@sections [$($before:tt)*]) => {
        $crate::graphql::connections::with_connections!(@emit $($before)*);
    };
    // Each connection with the description of its `orderBy` and its default order, if any
    // (an attribute takes a literal only: the usual description is chosen here).
    (@entries [$($before:tt)*] [$($done:tt)*]) => {
        $crate::graphql::connections::with_connections!(@emit $($before)* connections { $($done)* });
    };
    (@entries [$($before:tt)*] [$($done:tt)*]
        $(#[doc = $doc:expr])*
        $field:ident : $target:ident $types:tt $(by $column:path)? $(where $args:tt)?
        [default order $ofield:ident $odir:ident => $odesc:literal],
        $($rest:tt)*
    ) => {
        $crate::graphql::connections::with_connections!(@entries [$($before)*] [$($done)*
            $(#[doc = $doc])*
            $field: $target $types $(by $column)? $(where $args)? [$odesc $ofield $odir],
        ] $($rest)*);
    };
    (@entries [$($before:tt)*] [$($done:tt)*]
        $(#[doc = $doc:expr])*
        $field:ident : $target:ident $types:tt $(by $column:path)? $(where $args:tt)?,
        $($rest:tt)*
    ) => {
        $crate::graphql::connections::with_connections!(@entries [$($before)*] [$($done)*
            $(#[doc = $doc])*
            $field: $target $types $(by $column)? $(where $args)?
            ["Order terms, applied in the order given; the id breaks any remaining tie."],
        ] $($rest)*);
    };
    (@emit
        $(#[$attr:meta])*
        impl $type:ident { $($body:tt)* }
        $(fields |$row:ident, $ctx:ident| {
            $(
                $(#[doc = $fdoc:expr])*
                $fname:ident : $fty:ty = $fvalue:expr,
            )*
        })?
        $(by_name {
            $(
                $(#[doc = $ndoc:expr])*
                $nfield:ident : $ntarget:ident ($nentity:ident, alias $nalias:ident) $ndesc:literal,
            )*
        })?
        $(ids of $idnoun:literal;)?
        $(provenance of $pnoun:literal: $pcolumn:ident, cited by $pcited:expr;)?
        $(by_id {
            $(
                $(#[doc = $bdoc:expr])*
                $bfield:ident : $btarget:ident ($bentity:ident) $bdesc:literal,
            )*
        })?
        $(by_text {
            $(
                $(#[doc = $tdoc:expr])*
                $tfield:ident : $ttarget:ident ($tentity:ident, $tcolumn:ident) $targ:ident $tdesc:literal,
            )*
        })?
        $(to_one {
            $(
                $(#[doc = $odoc:expr])*
                $ofield:ident : $otarget:ident = $okind:ident ($oentity:ident, $ofk:ident),
            )*
        })?
        $(connections {
            $(
                $(#[doc = $doc:expr])*
                $field:ident : $target:ident ($entity:ident, $filter:ident, $order:ident)
                $(by $column:path)?
                $(where {
                    $($arg:ident : $argty:ty = $argcol:path $(as $argvalue:expr)? => $argdesc:literal),* $(,)?
                })?
                [$orderdesc:literal $($dfield:ident $ddir:ident)?],
            )*
        })?
    ) => {
        $(#[$attr])*
        impl $type {
            $($(
                $(#[doc = $fdoc])*
                #[allow(unused_variables)]
                async fn $fname(&self, $ctx: &async_graphql::Context<'_>) -> $fty {
                    let $row = &self.0;
                    $fvalue
                }
            )*)?
            $($(
                $(#[doc = $ndoc])*
                async fn $nfield(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    #[graphql(desc = $ndesc)] name: String,
                ) -> $crate::graphql::Result<Option<$ntarget>> {
                    use entity::$nentity::{Column, Entity};
                    let db = $crate::graphql::db(ctx)?;
                    let alias = entity::alias::Column::$nalias;
                    let row = $crate::store::by_name_forgiving::<Entity>(db, Column::Name, &[], alias, &name);
                    Ok($crate::data::loaders::wrap_one(row.await?))
                }
            )*)?
            $($body)*
            $(
                /// Globally unique, opaque id (Relay): the same on every engine; pass it to `node(id:)`.
                pub async fn id(&self) -> async_graphql::ID {
                    $crate::graphql::node::global_id::<Self>(self.0.id)
                }
                #[doc = concat!("Database id of ", $idnoun, ".")]
                async fn database_id(&self) -> i32 {
                    self.0.id
                }
            )?
            $(
                #[doc = concat!(
                    "How each structured value of the ", $pnoun, " is known (stated with the source's words,\n",
                    "derived or inferred), in field order; a value with no note is STATED by the\n",
                    $pnoun, "'s citations."
                )]
                async fn provenance(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    #[graphql(desc = "Only the values of these fields (e.g. [\"stated\"]); every value by default.")]
                    fields: Option<Vec<String>>,
                ) -> $crate::graphql::Result<Vec<$crate::graphql::provenance::Provenance>> {
                    $crate::graphql::provenance::provenance_of(
                        ctx,
                        &self.0,
                        entity::value_provenance::Column::$pcolumn,
                        $pcited,
                        fields,
                    )
                    .await
                }
            )?
            $($(
                $(#[doc = $bdoc])*
                async fn $bfield(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    #[graphql(desc = $bdesc)] id: async_graphql::ID,
                ) -> $crate::graphql::Result<Option<$btarget>> {
                    let id = $crate::graphql::node::database_id::<$btarget>(&id, "id")?;
                    let row = $crate::store::by_id::<entity::$bentity::Entity>($crate::graphql::db(ctx)?, id);
                    Ok($crate::data::loaders::wrap_one(row.await?))
                }
            )*)?
            $($(
                $(#[doc = $tdoc])*
                async fn $tfield(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    #[graphql(desc = $tdesc)] $targ: String,
                ) -> $crate::graphql::Result<Option<$ttarget>> {
                    let row = $crate::store::by_text::<entity::$tentity::Entity>(
                        $crate::graphql::db(ctx)?,
                        entity::$tentity::Column::$tcolumn,
                        &$targ,
                    );
                    Ok($crate::data::loaders::wrap_one(row.await?))
                }
            )*)?
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
                    #[graphql(desc = $orderdesc, default)]
                    order_by: Vec<$crate::graphql::lists::OrderBy<$order>>,
                    #[graphql(desc = "Only rows matching this filter.")]
                    filter: Option<Box<$filter>>,
                ) -> $crate::graphql::Result<$crate::graphql::lists::Connection<$target>> {
                    let page = $crate::graphql::lists::page_args(first, after, last, before);
                    $(
                        let order_by = if order_by.is_empty() {
                            vec![$crate::graphql::lists::OrderBy {
                                field: $order::$dfield,
                                direction: $crate::graphql::paging::OrderDirection::$ddir,
                                nulls: $crate::graphql::paging::NullsOrder::Last,
                            }]
                        } else {
                            order_by
                        };
                    )?
                    #[allow(unused_mut)]
                    let mut arguments = sea_orm::Condition::all();
                    $($(
                        if let Some($arg) = $arg {
                            $(let $arg = $argvalue;)?
                            arguments = arguments.add(sea_orm::ColumnTrait::eq(&$argcol, $arg));
                        }
                    )*)?
                    $crate::graphql::connections::connection_page!(
                        ctx, self, $entity, page, order_by, filter, arguments $(, by $column)?
                    )
                }
            )*)?
        }
    };
    ($($input:tt)*) => {
        $crate::graphql::connections::with_connections!(@sections [] $($input)*);
    };
}
pub(crate) use with_connections;

/// The page of a connection field of [`with_connections!`]: a nested list (`by` the foreign
/// key of the target's table that points to this row), or a root list of all rows; either
/// way only the rows that match `arguments` too (the condition of the field's own arguments).
macro_rules! connection_page {
    ($ctx:ident, $self:ident, $entity:ident, $page:ident, $order_by:ident, $filter:ident, $arguments:ident, by $column:path) => {
        Ok(
            $crate::graphql::lists::nested::<_, entity::$entity::Entity, _, _, _>(
                $ctx, &$self.0, $column, $page, $order_by, $filter, $arguments,
            )
            .await?,
        )
    };
    ($ctx:ident, $self:ident, $entity:ident, $page:ident, $order_by:ident, $filter:ident, $arguments:ident) => {{
        let backend = $crate::graphql::db($ctx)?.get_database_backend();
        let condition = $crate::graphql::lists::and_arguments(
            sea_orm::Condition::all().add($crate::graphql::filters::filter_condition(
                backend, &$filter,
            )?),
            $arguments,
        );
        let keys = $crate::graphql::lists::sort_keys::<entity::$entity::Entity, _>(&$order_by);
        let mut page =
            $crate::graphql::lists::top::<entity::$entity::Entity>($ctx, condition, keys, &$page)
                .await?;
        page.scope.currency = $crate::graphql::filters::filter_currency(&$filter);
        Ok($crate::graphql::lists::Connection(page))
    }};
}
pub(crate) use connection_page;

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
