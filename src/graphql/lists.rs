//! Relay connections over any table: top-level lists and nested lists, both paged in SQL
//! with keyset cursors, and a `totalCount` computed only when selected.
//!
//! The paging and loading are [`crate::data::lists`]'s (a nested list is paged per parent
//! in one statement for the whole batch of parents). Here: the GraphQL types (`Connection`,
//! `Edge`, `OrderBy`), and what only the GraphQL layer knows and passes down: the
//! connection the operation reads, whether the query selects rows (look-ahead), and the
//! key of a nested field.

use std::borrow::Cow;

use async_graphql::{Context, InputObject, InputType, Object, OutputType, TypeName};
use sea_orm::{Condition, EntityTrait, IdenStatic};

use super::aggregates::{
    Aggregated, GroupArgs, GroupConnection, GroupKey, GroupOrder, Having, aggregate,
    aggregate_measures, group_by, group_measures,
};
use super::claims::{ClaimChallengeOrderField, ClaimOrderField};
use super::companies::{CompanyOrderField, PersonOrderField};
use super::events::EventOrderField;
use super::filters::{RowFilter, filter_condition, filter_currency};
use super::investments::InvestmentOrderField;
use super::loaders::{Node, Row};
use super::models::AiModelOrderField;
use super::paging::{NullsOrder, OrderDirection};
use super::projects::{ProjectBackerOrderField, ProjectOrderField};
use super::sources::{CitationOrderField, SourceOrderField};
use super::spending::SpendingFigureOrderField;
use super::{Result as GqlResult, db};
use crate::data::lists::{self, NestedQuery, Page, Term, count};
use crate::data::paging::{Cursor, PageArgs, PageInfo, SortKey};
use crate::error::Result;

/// A GraphQL object type that wraps a row.
pub trait GqlNode: OutputType + From<Node<Self::Model>> {
    type Model: Send + Sync + 'static;
    /// The GraphQL type name, e.g. "Company".
    const NAME: &'static str;
}

/// A page of a list, Relay-style: edges with cursors, the nodes alone, where the page lies,
/// and the size of the whole list.
pub struct Connection<T: GqlNode>(pub Page<T::Model>);

impl<T: GqlNode> TypeName for Connection<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::NAME).into()
    }
}

/// A page of a list, Relay-style: edges with cursors, the nodes alone, where the page lies,
/// and the size of the whole list.
#[Object(name_type, serial)]
impl<T: Aggregated> Connection<T>
where
    GroupKey<T::Field>: InputType,
    Having<T::Field>: InputType,
    GroupOrder<T::Field>: InputType,
{
    /// The rows of the page, each with its cursor.
    async fn edges(&self) -> Vec<Edge<T>> {
        self.0
            .nodes
            .iter()
            .zip(&self.0.cursors)
            .map(|(node, cursor)| Edge {
                cursor: cursor.clone(),
                node: T::from(node.clone()),
            })
            .collect()
    }

    /// The rows of the page.
    async fn nodes(&self) -> Vec<T> {
        self.0.nodes.iter().cloned().map(T::from).collect()
    }

    /// Whether more rows lie before or after this page, and the cursors of its ends.
    async fn page_info(&self) -> &PageInfo {
        &self.0.info
    }

    /// Number of rows in the whole list, all pages together; counted only when selected.
    async fn total_count(&self) -> GqlResult<i64> {
        Ok(Box::pin(count(&self.0.scope)).await?)
    }

    /// Aggregates over every row the list's filter selects (all pages together), computed
    /// in the database: counts, sums, averages, smallest and largest values, money per currency.
    async fn aggregate(&self, ctx: &Context<'_>) -> GqlResult<T::Aggregate> {
        let measures = aggregate_measures(ctx, T::STATS);
        // Boxed: the future of every field of a connection is as large as its largest.
        Ok(Box::pin(aggregate::<T>(&self.0.scope, measures)).await?)
    }

    /// The rows the list's filter selects (all pages together) grouped by one or more keys,
    /// with aggregates per group; computed in the database with GROUP BY. Groups are ordered
    /// by `orderBy`, then by their keys (nulls last), and paged with `first` and `after`.
    async fn group_by(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The keys to group by, 1 to 5: fields, or time buckets of date fields.")]
        by: Vec<GroupKey<T::Field>>,
        #[graphql(
            desc = "Only groups whose aggregates pass every one of these conditions.",
            default
        )]
        having: Vec<Having<T::Field>>,
        #[graphql(
            desc = "Order terms for the groups, applied in the order given; the keys break any remaining tie.",
            default
        )]
        order_by: Vec<GroupOrder<T::Field>>,
        #[graphql(desc = "Returns the first N groups (at most 100; 20 when not given).")]
        first: Option<i32>,
        #[graphql(desc = "Returns the groups after this cursor.")] after: Option<String>,
    ) -> GqlResult<GroupConnection<T>> {
        let args = GroupArgs {
            by,
            having,
            order_by,
            first,
            after,
            count: ctx.look_ahead().field("totalCount").exists(),
            measures: group_measures(ctx, T::STATS),
        };
        Ok(Box::pin(group_by::<T>(&self.0.scope, args)).await?)
    }
}

/// A row of a page with its cursor.
pub struct Edge<T: GqlNode> {
    cursor: Cursor,
    node: T,
}

impl<T: GqlNode> TypeName for Edge<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", T::NAME).into()
    }
}

/// A row of a page with its cursor.
#[Object(name_type, serial)]
impl<T: GqlNode> Edge<T> {
    /// Opaque cursor of this row: pass it as `after` (or `before`) to page from here.
    async fn cursor(&self) -> String {
        self.cursor.encode()
    }

    /// The row.
    async fn node(&self) -> &T {
        &self.node
    }
}

/// A field a list can be ordered by.
pub trait OrderField: InputType + Copy + Send + Sync {
    /// The term for this field: what lists are ordered by and groups keyed by.
    fn term(self) -> Term;
}

/// One term of an ordering.
#[derive(InputObject)]
#[graphql(concrete(name = "CompanyOrder", params(CompanyOrderField)))]
#[graphql(concrete(name = "PersonOrder", params(PersonOrderField)))]
#[graphql(concrete(name = "AiModelOrder", params(AiModelOrderField)))]
#[graphql(concrete(name = "InvestmentOrder", params(InvestmentOrderField)))]
#[graphql(concrete(name = "ProjectOrder", params(ProjectOrderField)))]
#[graphql(concrete(name = "ProjectBackerOrder", params(ProjectBackerOrderField)))]
#[graphql(concrete(name = "SpendingFigureOrder", params(SpendingFigureOrderField)))]
#[graphql(concrete(name = "ClaimOrder", params(ClaimOrderField)))]
#[graphql(concrete(name = "ClaimChallengeOrder", params(ClaimChallengeOrderField)))]
#[graphql(concrete(name = "EventOrder", params(EventOrderField)))]
#[graphql(concrete(name = "SourceOrder", params(SourceOrderField)))]
#[graphql(concrete(name = "CitationOrder", params(CitationOrderField)))]
pub struct OrderBy<F: OrderField> {
    /// The field to order by.
    pub field: F,
    /// Ascending (the default) or descending.
    #[graphql(default)]
    pub direction: OrderDirection,
    /// Where rows with a null value go: LAST (the default) or FIRST.
    #[graphql(default)]
    pub nulls: NullsOrder,
}

/// The sort keys of `order`, then the primary key as the final tie-break.
pub fn sort_keys<E: EntityTrait, F: OrderField>(order: &[OrderBy<F>]) -> Vec<SortKey> {
    let mut keys: Vec<SortKey> = order
        .iter()
        .map(|term| {
            let Term {
                name,
                expr,
                kind,
                nullable,
                join,
            } = term.field.term();
            SortKey {
                name,
                expr,
                kind,
                nullable,
                join,
                direction: term.direction.into(),
                nulls: term.nulls.into(),
            }
        })
        .collect();
    keys.push(lists::id_key::<E>());
    keys
}

/// True when the connection being resolved selects its rows (or where they lie): a client
/// asking only for `totalCount`, `aggregate` or `groupBy` costs no page query.
fn wants_rows(ctx: &Context<'_>) -> bool {
    let selection = ctx.look_ahead();
    ["edges", "nodes", "pageInfo"]
        .iter()
        .any(|field| selection.field(field).exists())
}

/// A top-level list: rows of `E` matching `condition`, one page of them.
pub async fn top<E>(
    ctx: &Context<'_>,
    condition: Condition,
    keys: Vec<SortKey>,
    args: &PageArgs,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Row,
{
    lists::top::<E>(db(ctx)?, condition, keys, args, wants_rows(ctx)).await
}

/// `condition`, and `arguments` (the condition of a connection field's own arguments, such
/// as `role`) too when it has any: the statement stays as it was for a field without any.
pub fn and_arguments(condition: Condition, arguments: Condition) -> Condition {
    if arguments.is_empty() {
        condition
    } else {
        condition.add(arguments)
    }
}

/// A nested list: the rows of `E` whose foreign key `column` points to `node`, filtered by
/// `filter` and by `arguments` (the condition of the field's own arguments), ordered by
/// `order_by`, one page of them; loaded for all of `node`'s siblings in one statement.
pub async fn nested<P, E, T, F, R>(
    ctx: &Context<'_>,
    node: &Node<P>,
    column: E::Column,
    page: PageArgs,
    order_by: Vec<OrderBy<F>>,
    filter: Option<Box<R>>,
    arguments: Condition,
) -> Result<Connection<T>>
where
    P: Row,
    E: EntityTrait,
    E::Model: Row,
    T: GqlNode<Model = E::Model>,
    F: OrderField,
    R: RowFilter,
{
    // Boxed: this future is part of the one async-graphql allocates for every field of the
    // parent's type.
    Box::pin(async move {
        let db = db(ctx)?;
        // The field of the query being resolved identifies the relation, its arguments and
        // its filter: every sibling resolves the same field with the same arguments. Its
        // address is a cheaper key than formatting the arguments for every node.
        let relation = format!(
            "{}.{}@{:p}",
            E::default().as_str(),
            column.as_str(),
            ctx.item
        );
        // Worked out by the first sibling only.
        let query = || {
            Ok(NestedQuery {
                condition: and_arguments(
                    filter_condition(db.get_database_backend(), &filter)?,
                    arguments,
                ),
                currency: filter_currency(&filter),
                plan: page.plan(sort_keys::<E, F>(&order_by))?,
                // A client asking only for `totalCount`, `aggregate` or `groupBy` costs no
                // page query.
                wants_rows: wants_rows(ctx),
            })
        };
        Ok(Connection(
            lists::nested::<P, E>(db, node, column, relation, query).await?,
        ))
    })
    .await
}

/// Paging arguments from a resolver's arguments.
pub fn page_args(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
) -> PageArgs {
    PageArgs {
        first,
        after,
        last,
        before,
    }
}

/// Declares the GraphQL enum of the fields a type can be ordered by, and their SQL terms.
macro_rules! order_fields {
    ($(#[$meta:meta])* $name:ident for $entity:ident { $($(#[$vmeta:meta])* $variant:ident => $term:expr,)* }) => {
        $(#[$meta])*
        #[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $crate::graphql::lists::OrderField for $name {
            fn term(self) -> $crate::data::lists::Term {
                #[allow(unused_imports)]
                use $crate::data::lists::{column_term, company_name_term};
                #[allow(unused_imports)]
                use $crate::data::paging::KeyKind::{Bool, Date, Int, Text};
                #[allow(unused_imports)]
                use entity::$entity::{Column as C, Entity as E};
                match self {
                    $($name::$variant => $term,)*
                }
            }
        }
    };
}
pub(crate) use order_fields;

/// A GraphQL object type over one row type: the type (a row with its batch-loading slot),
/// its conversion from a loaded row, and its link to the row type and its name.
macro_rules! gql_node {
    ($(#[doc = $doc:expr])* $type:ident for $entity:ident) => {
        $(#[doc = $doc])*
        #[derive(Clone)]
        pub struct $type(pub $crate::graphql::loaders::Node<entity::$entity::Model>);

        impl From<$crate::graphql::loaders::Node<entity::$entity::Model>> for $type {
            fn from(m: $crate::graphql::loaders::Node<entity::$entity::Model>) -> Self {
                $type(m)
            }
        }

        impl $crate::graphql::lists::GqlNode for $type {
            type Model = entity::$entity::Model;
            const NAME: &'static str = stringify!($type);
        }
    };
}
pub(crate) use gql_node;
