//! Relay connections over any table: top-level lists and nested lists, both paged in SQL
//! with keyset cursors, and a `totalCount` computed only when selected.
//!
//! A nested list (a company's investments, a project's backers) is paged per parent in one
//! statement for the whole batch of parents, with `ROW_NUMBER() OVER (PARTITION BY fk ...)`,
//! so no parent's rows are loaded beyond its page.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use async_graphql::{Context, InputObject, InputType, Object, OutputType, TypeName};
use sea_orm::sea_query::{Alias, Asterisk, Expr, Order, Query, SelectStatement, WindowStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    IdenStatic, QueryFilter, QueryTrait,
};

use super::aggregates::{
    Aggregated, GroupArgs, GroupConnection, GroupKey, GroupOrder, Having, Parent, Scope, aggregate,
    group_by,
};
use super::filters::{RowFilter, filter_condition};
use super::loaders::{Node, Row, nodes_of};
use super::paging::{
    Cursor, KeyKind, KeyValue, NullsOrder, OrderDirection, PageArgs, PageInfo, PagePlan, SortKey,
    after, finish,
};
use super::{Result as GqlResult, db};
use crate::data::decode::ReadRow;
use crate::data::sql::{Relation, join_relations};
use crate::error::Result;

type CountFuture = Pin<Box<dyn Future<Output = Result<i64>> + Send>>;

/// Computes the size of the whole list when `totalCount` is selected.
pub type Counter = Arc<dyn Fn() -> CountFuture + Send + Sync>;

/// One page of rows of model `M`.
pub struct Page<M> {
    pub nodes: Vec<Node<M>>,
    pub cursors: Vec<Cursor>,
    pub info: PageInfo,
    /// The rows of the whole list, for `totalCount` and aggregates.
    pub scope: Scope,
}

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
    async fn aggregate(&self) -> GqlResult<T::Aggregate> {
        // Boxed: the future of every field of a connection is as large as its largest.
        Ok(Box::pin(aggregate::<T>(&self.0.scope)).await?)
    }

    /// The rows the list's filter selects (all pages together) grouped by one or more keys,
    /// with aggregates per group; computed in the database with GROUP BY. Groups are ordered
    /// by `orderBy`, then by their keys (nulls last), and paged with `first` and `after`.
    #[allow(clippy::too_many_arguments)]
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

/// The SQL of an order field, also a group key and a measured column of aggregates.
#[derive(Debug, Clone)]
pub struct Term {
    /// Stable name of the term (a column name), part of cursors' signatures.
    pub name: &'static str,
    /// The SQL over the listed table; where `join` is given, valid only in a statement
    /// that joins it (see [`join_relations`]).
    pub expr: Expr,
    pub kind: KeyKind,
    pub nullable: bool,
    /// The related row `expr` reads, when it is a column of another table.
    pub join: Option<Relation>,
}

/// One term of an ordering.
#[derive(InputObject)]
#[graphql(concrete(name = "CompanyOrder", params(super::companies::CompanyOrderField)))]
#[graphql(concrete(name = "PersonOrder", params(super::companies::PersonOrderField)))]
#[graphql(concrete(name = "AiModelOrder", params(super::models::AiModelOrderField)))]
#[graphql(concrete(
    name = "InvestmentOrder",
    params(super::investments::InvestmentOrderField)
))]
#[graphql(concrete(name = "ProjectOrder", params(super::projects::ProjectOrderField)))]
#[graphql(concrete(
    name = "ProjectBackerOrder",
    params(super::projects::ProjectBackerOrderField)
))]
#[graphql(concrete(
    name = "SpendingFigureOrder",
    params(super::spending::SpendingFigureOrderField)
))]
#[graphql(concrete(name = "ClaimOrder", params(super::claims::ClaimOrderField)))]
#[graphql(concrete(
    name = "ClaimChallengeOrder",
    params(super::claims::ClaimChallengeOrderField)
))]
#[graphql(concrete(name = "EventOrder", params(super::events::EventOrderField)))]
#[graphql(concrete(name = "SourceOrder", params(super::sources::SourceOrderField)))]
#[graphql(concrete(name = "CitationOrder", params(super::sources::CitationOrderField)))]
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
                direction: term.direction,
                nulls: term.nulls,
            }
        })
        .collect();
    keys.push(SortKey {
        name: "id",
        expr: Expr::col((E::default(), Alias::new("id"))),
        kind: KeyKind::Int,
        nullable: false,
        join: None,
        direction: OrderDirection::Asc,
        nulls: NullsOrder::Last,
    });
    keys
}

/// A column of `E` as a sort term.
pub fn column_term<E: EntityTrait>(column: E::Column, kind: KeyKind, nullable: bool) -> Term {
    Term {
        name: column.as_str(),
        expr: Expr::col((E::default(), column)),
        kind,
        nullable,
        join: None,
    }
}

/// The name of the company a foreign key of `E` points to, as a sort term: read through a
/// join (NULL where the key is NULL).
pub fn company_name_term<E: EntityTrait>(name: &'static str, fk: E::Column) -> Term {
    let relation = Relation {
        table: E::default().table_name(),
        fk: fk.as_str(),
        target: "company",
        column: "name",
        // `company.name` is unique (migration `create_tables`).
        unique: true,
    };
    Term {
        name,
        expr: relation.expr(),
        kind: KeyKind::Text,
        nullable: true,
        join: Some(relation),
    }
}

/// Selects the sort keys of `plan` as `k0`, `k1`..., and joins the relations they read.
fn add_sort_columns(select: &mut SelectStatement, plan: &PagePlan, backend: sea_orm::DbBackend) {
    join_relations(select, plan.keys.iter().filter_map(|key| key.join));
    for (i, key) in plan.keys.iter().enumerate() {
        select.expr_as(key.selected(backend), Alias::new(format!("k{i}")));
    }
}

fn read_row<M: ReadRow>(row: &sea_orm::QueryResult, plan: &PagePlan) -> Result<(M, Vec<KeyValue>)> {
    const ALIASES: [&str; 8] = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"];
    let model = M::read_row(row)?;
    let values = plan
        .keys
        .iter()
        .enumerate()
        .map(|(i, key)| match ALIASES.get(i) {
            Some(alias) => key.read(row, alias),
            None => key.read(row, &format!("k{i}")),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((model, values))
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
    let db = db(ctx)?;
    let plan = args.plan(keys)?;
    let backend = db.get_database_backend();
    let mut select = E::find().filter(condition.clone()).into_query();
    if let Some(cursor) = &plan.cursor {
        select.and_where(after(&plan.keys, cursor, backend)?);
    }
    add_sort_columns(&mut select, &plan, backend);
    for key in &plan.keys {
        select.order_by_expr_with_nulls(key.sql(backend), key.order(), key.null_ordering());
    }
    select.limit(plan.limit as u64 + 1);
    let rows = if wants_rows(ctx) {
        Box::pin(db.query_all(&select)).await?
    } else {
        Vec::new()
    };
    let rows = rows
        .iter()
        .map(|row| read_row(row, &plan))
        .collect::<Result<Vec<_>>>()?;
    let (models, cursors, info) = finish(&plan, rows);
    let scope = Scope {
        db: db.clone(),
        table: E::default().table_name(),
        condition: Arc::new(condition),
        parent: None,
    };
    Ok(Page {
        nodes: nodes_of(models),
        cursors,
        info,
        scope,
    })
}

/// A row with the values of its sort keys.
type Keyed<M> = (M, Vec<KeyValue>);

/// Pages of the children of each parent of a batch, loaded together.
struct NestedPages<M> {
    nodes: Vec<Node<M>>,
    /// Parent id -> (positions in `nodes`, cursors, page info).
    by_parent: HashMap<i32, (Vec<usize>, Vec<Cursor>, PageInfo)>,
}

/// What the siblings resolving one nested connection field share: its filter's condition,
/// its page plan, and (when rows are selected) the pages of all parents. Built by the first
/// sibling; the others only look up their page.
struct NestedField<M> {
    condition: Arc<Condition>,
    plan: PagePlan,
    pages: Option<NestedPages<M>>,
}

/// A nested list: the rows of `E` whose foreign key `column` points to `node`, filtered by
/// `filter`, ordered by `order_by`, one page of them; loaded for all of `node`'s siblings in
/// one statement.
pub async fn nested<P, E, T, F, R>(
    ctx: &Context<'_>,
    node: &Node<P>,
    column: E::Column,
    page: PageArgs,
    order_by: Vec<OrderBy<F>>,
    filter: Option<Box<R>>,
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
        let field = node
            .cached(&relation, || async {
                let condition = filter_condition(db.get_database_backend(), &filter)?;
                let plan = page.plan(sort_keys::<E, F>(&order_by))?;
                // A client asking only for `totalCount`, `aggregate` or `groupBy` costs no page query.
                let pages = if wants_rows(ctx) {
                    let parents = node.sibling_ids();
                    Some(load_nested::<E>(db, column, parents, condition.clone(), &plan).await?)
                } else {
                    None
                };
                Ok(NestedField {
                    condition: Arc::new(condition),
                    plan,
                    pages,
                })
            })
            .await?;
        let parent = node.row_id();
        let (nodes, cursors, info) = match &field.pages {
            Some(pages) => match pages.by_parent.get(&parent) {
                Some((positions, cursors, info)) => (
                    positions.iter().map(|&i| pages.nodes[i].clone()).collect(),
                    cursors.clone(),
                    info.clone(),
                ),
                None => (
                    Vec::new(),
                    Vec::new(),
                    PageInfo {
                        has_previous_page: field.plan.cursor.is_some() && !field.plan.backward,
                        has_next_page: field.plan.cursor.is_some() && field.plan.backward,
                        ..PageInfo::default()
                    },
                ),
            },
            None => (Vec::new(), Vec::new(), PageInfo::default()),
        };
        Ok(Connection(Page {
            nodes,
            cursors,
            info,
            scope: Scope {
                db: db.clone(),
                table: E::default().table_name(),
                condition: field.condition.clone(),
                parent: Some(Parent {
                    key: relation,
                    column: column.as_str(),
                    id: parent,
                    siblings: node.siblings(),
                }),
            },
        }))
    })
    .await
}

/// Number of rows of the whole list of `scope`; a nested list is counted for all siblings
/// of its parent at once, in one statement.
async fn count(scope: &Scope) -> Result<i64> {
    let Some(parent) = &scope.parent else {
        let select = Query::select()
            .expr_as(Expr::col(Asterisk).count(), Alias::new("n"))
            .from(Alias::new(scope.table))
            .cond_where(Condition::clone(&scope.condition))
            .to_owned();
        return match scope.db.query_one(&select).await? {
            Some(row) => Ok(row.try_get("", "n")?),
            None => Ok(0),
        };
    };
    let counts = parent
        .siblings
        .cache()
        .get_or_init(&format!("count:{}", parent.key), || {
            count_nested(scope, parent.column, parent.siblings.ids())
        })
        .await?;
    Ok(counts.get(&parent.id).copied().unwrap_or(0))
}

async fn load_nested<E>(
    db: &DatabaseConnection,
    column: E::Column,
    parents: Vec<i32>,
    condition: Condition,
    plan: &PagePlan,
) -> Result<NestedPages<E::Model>>
where
    E: EntityTrait,
    E::Model: Row,
{
    let backend = db.get_database_backend();
    let mut fetched: Vec<(i32, E::Model, Vec<KeyValue>)> = Vec::new();
    for chunk in parents.chunks(crate::data::loaders::CHUNK) {
        let mut inner = E::find()
            .filter(column.is_in(chunk.to_vec()))
            .filter(condition.clone())
            .into_query();
        if let Some(cursor) = &plan.cursor {
            inner.and_where(after(&plan.keys, cursor, backend)?);
        }
        add_sort_columns(&mut inner, plan, backend);
        let mut window = WindowStatement::partition_by((E::default(), column));
        for key in &plan.keys {
            window.order_by_expr_with_nulls(key.sql(backend), key.order(), key.null_ordering());
        }
        inner.expr_window_as(Expr::cust("ROW_NUMBER()"), window, Alias::new("page_row"));
        let outer = Query::select()
            .column(Asterisk)
            .from_subquery(inner, Alias::new("paged"))
            .and_where(Expr::col(Alias::new("page_row")).lte(plan.limit as i64 + 1))
            .order_by(Alias::new(column.as_str()), Order::Asc)
            .order_by(Alias::new("page_row"), Order::Asc)
            .to_owned();
        for row in db.query_all(&outer).await? {
            let parent: i32 = row.try_get("", column.as_str())?;
            let (model, values) = read_row::<E::Model>(&row, plan)?;
            fetched.push((parent, model, values));
        }
    }
    // Group per parent, keeping the SQL order, then finish each parent's page.
    let mut grouped: Vec<(i32, Vec<Keyed<E::Model>>)> = Vec::new();
    for (parent, model, values) in fetched {
        match grouped.last_mut() {
            Some((p, rows)) if *p == parent => rows.push((model, values)),
            _ => grouped.push((parent, vec![(model, values)])),
        }
    }
    let mut models = Vec::new();
    let mut by_parent = HashMap::new();
    for (parent, rows) in grouped {
        let (page_models, cursors, info) = finish(plan, rows);
        let start = models.len();
        models.extend(page_models);
        by_parent.insert(parent, ((start..models.len()).collect(), cursors, info));
    }
    Ok(NestedPages {
        nodes: nodes_of(models),
        by_parent,
    })
}

async fn count_nested(
    scope: &Scope,
    column: &'static str,
    parents: Vec<i32>,
) -> Result<HashMap<i32, i64>> {
    let mut counts = HashMap::new();
    let key = Expr::col((Alias::new(scope.table), Alias::new(column)));
    for chunk in parents.chunks(crate::data::loaders::CHUNK) {
        let select = Query::select()
            .expr_as(key.clone(), Alias::new("p"))
            .expr_as(Expr::col(Asterisk).count(), Alias::new("n"))
            .from(Alias::new(scope.table))
            .and_where(key.clone().is_in(chunk.to_vec()))
            .cond_where(Condition::clone(&scope.condition))
            .group_by_col((Alias::new(scope.table), Alias::new(column)))
            .to_owned();
        for row in scope.db.query_all(&select).await? {
            let parent: i32 = row.try_get("", "p")?;
            let n: i64 = row.try_get("", "n")?;
            counts.insert(parent, n);
        }
    }
    Ok(counts)
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
            fn term(self) -> $crate::graphql::lists::Term {
                #[allow(unused_imports)]
                use $crate::graphql::lists::{column_term, company_name_term};
                #[allow(unused_imports)]
                use $crate::graphql::paging::KeyKind::{Bool, Date, Int, Text};
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
