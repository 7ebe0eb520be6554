//! Lists paged in SQL with keyset cursors (see [`super::paging`]): a top-level list, and
//! nested lists (a company's investments, a project's backers) paged per parent in one
//! statement for the whole batch of parents, so no parent's rows are loaded beyond its
//! page: a `LATERAL` top-N per parent on PostgreSQL, `ROW_NUMBER() OVER (PARTITION BY fk
//! ...)` on SQLite (see [`lateral_pages`]). The size of a whole list is counted only
//! when asked; a nested list's for all siblings of its parent at once.
//!
//! The caller works out what the query selects: whether the rows are wanted at all (asking
//! only for `totalCount`, `aggregate` or `groupBy` costs no page query), and the key under
//! which the siblings of a batch share a nested field's pages (see [`nested`]).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sea_orm::sea_query::{
    Alias, Asterisk, Expr, Func, IntoIden, JoinType, Order, Query, QueryStatementBuilder,
    SelectStatement, WindowStatement,
};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, ExprTrait,
    IdenStatic, QueryFilter, QueryTrait,
};

use super::decode::ReadRow;
use super::loaders::{CHUNK, Node, Row, Siblings, nodes_of};
use super::paging::{
    Cursor, KeyKind, KeyValue, NullsOrder, OrderDirection, PageArgs, PageInfo, PagePlan, SortKey,
    after, finish,
};
use super::sql::{Relation, join_relations};
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

/// The rows a list selects, all pages together: what `totalCount`, aggregates and
/// group-by work on.
#[derive(Clone)]
pub struct Scope {
    pub db: DatabaseConnection,
    pub table: &'static str,
    /// Shared by the siblings of a nested list.
    pub condition: Arc<Condition>,
    pub parent: Option<Parent>,
    /// The one currency of every row, when the filter fixes it (`RowFilter::currency`).
    pub currency: Option<String>,
}

impl Scope {
    /// The rows of `E` that `condition` selects, in no parent: a root list's.
    pub fn top<E: EntityTrait>(db: DatabaseConnection, condition: Arc<Condition>) -> Self {
        Scope {
            db,
            table: E::default().table_name(),
            condition,
            parent: None,
            currency: None,
        }
    }
}

/// The parent of a nested list, and its siblings, counted and aggregated together.
#[derive(Clone)]
pub struct Parent {
    /// Identifies the nested connection field among the batch's cached values.
    pub key: String,
    pub column: &'static str,
    pub id: i32,
    pub siblings: Arc<dyn Siblings>,
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

/// The primary key of `E` ascending: the last sort key of every list, which makes every
/// row's position unique.
pub fn id_key<E: EntityTrait>() -> SortKey {
    SortKey {
        name: "id",
        expr: Expr::col((E::default(), Alias::new("id"))),
        kind: KeyKind::Int,
        nullable: false,
        join: None,
        direction: OrderDirection::Asc,
        nulls: NullsOrder::Last,
    }
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
        required: !fk.def().is_null(),
    };
    Term {
        name,
        expr: relation.expr(),
        kind: KeyKind::Text,
        nullable: true,
        join: Some(relation),
    }
}

/// Selects `keys` as `k0`, `k1`..., and joins the relations they read (but `joined`, which
/// the statement reaches already).
fn add_sort_columns(
    select: &mut SelectStatement,
    keys: &[SortKey],
    backend: DbBackend,
    joined: Option<Relation>,
) {
    join_relations(
        select,
        keys.iter()
            .filter_map(|key| key.join)
            .filter(|relation| Some(relation.alias()) != joined.map(|j| j.alias())),
    );
    for (i, key) in keys.iter().enumerate() {
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

/// A top-level list: rows of `E` matching `condition`, one page of them.
///
/// `wants_rows` is false when the caller needs no rows (only the count or aggregates of the
/// whole list): then no page query runs and the page is empty.
pub async fn top<E>(
    db: &DatabaseConnection,
    condition: Condition,
    keys: Vec<SortKey>,
    args: &PageArgs,
    wants_rows: bool,
) -> Result<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Row,
{
    let plan = args.plan(keys)?;
    let backend = db.get_database_backend();
    let rows = if !wants_rows {
        Vec::new()
    } else if let Some(walk) = walk_related::<E>(&condition, &plan, backend)? {
        // The walk is complete when it found more rows than the page: then they are the
        // first rows of the whole list. Otherwise the plain statement answers.
        let rows = Box::pin(db.query_all(&walk)).await?;
        if rows.len() > plan.limit {
            rows
        } else {
            let select = page_select::<E>(&condition, &plan, backend)?;
            Box::pin(db.query_all(&select)).await?
        }
    } else {
        let select = page_select::<E>(&condition, &plan, backend)?;
        Box::pin(db.query_all(&select)).await?
    };
    let rows = rows
        .iter()
        .map(|row| read_row(row, &plan))
        .collect::<Result<Vec<_>>>()?;
    let (models, cursors, info) = finish(&plan, rows);
    Ok(Page {
        nodes: nodes_of(models),
        cursors,
        info,
        scope: Scope::top::<E>(db.clone(), Arc::new(condition)),
    })
}

/// The statement of a top-level page: the rows of `E` matching `condition` after the
/// cursor, with their sort keys, in walking order, one more than the page.
fn page_select<E: EntityTrait>(
    condition: &Condition,
    plan: &PagePlan,
    backend: DbBackend,
) -> Result<SelectStatement> {
    let mut select = E::find().filter(condition.clone()).into_query();
    if let Some(cursor) = &plan.cursor {
        select.and_where(after(&plan.keys, cursor, backend)?);
    }
    add_sort_columns(&mut select, &plan.keys, backend, None);
    order_by_keys(&mut select, plan, backend);
    select.limit(plan.limit as u64 + 1);
    Ok(select)
}

/// How many related rows (investees, say) [`walk_related`] walks before it gives up.
pub const WALK: u64 = 64;

/// On SQLite, a page ordered first by a column of a required relation (investments by
/// investee name) as a walk of the related rows in that column's order: `FROM company
/// CROSS JOIN investment`, over the first [`WALK`] companies after the cursor only.
///
/// SQLite chooses its join order without regard to `LIMIT`: for relay query 3 (USD
/// investments over a million, filtered through the investor, by investee name) it reads
/// all 34,000 matching investments and sorts them (about 250 ms at the generated size),
/// where walking companies by name through the unique index on `name` and probing each
/// one's investments through the `investee_id` index stops after the page (about 5 ms).
/// Forcing the walk always would be as wrong the other way: under a selective filter (one
/// investor's investments) it would probe every company (about 380 ms, against 0.02 ms).
/// So the walk is bounded to the range of the index between the cursor and the
/// [`WALK`]-th value after it (the last value, when fewer are left), and its answer is the
/// page only when it holds more rows than the page: every row it leaves out sorts after
/// every row it holds. Otherwise the caller runs the plain statement, having spent at most
/// [`WALK`] probes (about 2.6 ms for the selective filter above). Timings: SQLite 3.51.3,
/// the version bundled here; see BENCHMARKS.md.
///
/// `None` where it does not apply: other engines (PostgreSQL plans this itself; see
/// migration `index_company_names_bytewise`), a first key that is not a relation's, a
/// relation whose foreign key may be NULL (a LEFT JOIN cannot be turned around) or whose
/// column is not unique (its index order is what the walk follows).
fn walk_related<E: EntityTrait>(
    condition: &Condition,
    plan: &PagePlan,
    backend: DbBackend,
) -> Result<Option<SelectStatement>> {
    let Some(first) = plan.keys.first() else {
        return Ok(None);
    };
    let Some(relation) = first.join else {
        return Ok(None);
    };
    if backend != DbBackend::Sqlite || !relation.required || !relation.unique {
        return Ok(None);
    }
    let ascending = first.direction == OrderDirection::Asc;
    // The value of the WALK-th related row after the cursor's, in walking order.
    let column = Expr::col(Alias::new(relation.column));
    let mut ahead = Query::select();
    ahead
        .expr(column.clone())
        .from(Alias::new(relation.target))
        .order_by(
            Alias::new(relation.column),
            if ascending { Order::Asc } else { Order::Desc },
        )
        .limit(1)
        .offset(WALK);
    // Where the walk starts: at the cursor's value (rows after the cursor cannot sort
    // before it), which SQLite then uses as the start of its range on the index.
    let start = match plan.cursor.as_ref().and_then(|cursor| cursor.first()) {
        None => None,
        // A required relation's column has no NULL to start from.
        Some(KeyValue::Null) => return Ok(None),
        Some(value) => Some(first.bind(value)?),
    };
    if let Some(start) = &start {
        ahead.and_where(if ascending {
            column.clone().gte(start.clone())
        } else {
            column.clone().lte(start.clone())
        });
    }
    // Fewer than WALK left: the walk covers them all, up to the last value. Both bounds
    // are subqueries that do not depend on the row, so SQLite reads them once and walks
    // only the range of the index between them.
    let mut last = Query::select();
    last.expr(if ascending {
        Func::max(column)
    } else {
        Func::min(column)
    })
    .from(Alias::new(relation.target));
    let bound: Expr = Func::coalesce([
        Expr::SubQuery(None, Box::new(ahead.into_sub_query_statement())),
        Expr::SubQuery(None, Box::new(last.into_sub_query_statement())),
    ])
    .into();
    let mut within = if ascending {
        relation.expr().lte(bound)
    } else {
        relation.expr().gte(bound)
    };
    if let Some(start) = start {
        within = within.and(if ascending {
            relation.expr().gte(start)
        } else {
            relation.expr().lte(start)
        });
    }
    let mut select = E::find().filter(condition.clone()).into_query();
    select
        .from_clear()
        .from_as(Alias::new(relation.target), Alias::new(relation.alias()))
        // SQLite's CROSS JOIN keeps its left table outside: the walk's order.
        .cross_join(E::default())
        .and_where(
            Expr::col((Alias::new(relation.alias()), Alias::new("id")))
                .equals((Alias::new(relation.table), Alias::new(relation.fk))),
        )
        .and_where(within);
    if let Some(cursor) = &plan.cursor {
        select.and_where(after(&plan.keys, cursor, backend)?);
    }
    add_sort_columns(&mut select, &plan.keys, backend, Some(relation));
    order_by_keys(&mut select, plan, backend);
    select.limit(plan.limit as u64 + 1);
    Ok(Some(select))
}

/// A row with the values of its sort keys.
type Keyed<M> = (M, Vec<KeyValue>);

/// Pages of the children of each parent of a batch, loaded together.
struct NestedPages<M> {
    nodes: Vec<Node<M>>,
    /// Parent id -> (positions in `nodes`, cursors, page info).
    by_parent: HashMap<i32, (Vec<usize>, Vec<Cursor>, PageInfo)>,
}

/// What a nested connection field asks: its filter's condition, its page plan, and
/// whether its rows are selected at all. Worked out by the caller for the first sibling only
/// (see [`nested`]).
pub struct NestedQuery {
    pub condition: Condition,
    /// The currency the filter fixes (see [`Scope::currency`]).
    pub currency: Option<String>,
    pub plan: PagePlan,
    /// False when only the count or aggregates of the lists are selected: no page query.
    pub wants_rows: bool,
}

/// What the siblings resolving one nested connection field share: its filter's condition,
/// its page plan, and (when rows are selected) the pages of all parents. Built by the first
/// sibling; the others only look up their page.
struct NestedField<M> {
    condition: Arc<Condition>,
    currency: Option<String>,
    plan: PagePlan,
    pages: Option<NestedPages<M>>,
}

/// A nested list: the rows of `E` whose foreign key `column` points to `node`, one page of
/// them; loaded for all of `node`'s siblings in one statement.
///
/// `key` identifies the field among the values cached on `node`'s batch: every sibling that
/// resolves the same field with the same arguments passes the same key, and the first one
/// runs `query` and loads the pages of all; the others only look up their page.
pub async fn nested<P, E>(
    db: &DatabaseConnection,
    node: &Node<P>,
    column: E::Column,
    key: String,
    query: impl FnOnce() -> Result<NestedQuery>,
) -> Result<Page<E::Model>>
where
    P: Row,
    E: EntityTrait,
    E::Model: Row,
{
    let field = node
        .cached(&key, || async {
            let NestedQuery {
                condition,
                currency,
                plan,
                wants_rows,
            } = query()?;
            let pages = if wants_rows {
                let parents = node.sibling_ids();
                Some(load_nested::<E>(db, column, parents, condition.clone(), &plan).await?)
            } else {
                None
            };
            Ok(NestedField {
                condition: Arc::new(condition),
                currency,
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
    Ok(Page {
        nodes,
        cursors,
        info,
        scope: Scope {
            db: db.clone(),
            table: E::default().table_name(),
            condition: field.condition.clone(),
            parent: Some(Parent {
                key,
                column: column.as_str(),
                id: parent,
                siblings: node.siblings(),
            }),
            currency: field.currency.clone(),
        },
    })
}

/// Number of rows of the whole list of `scope`; a nested list is counted for all siblings
/// of its parent at once, in one statement.
pub async fn count(scope: &Scope) -> Result<i64> {
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
    mut parents: Vec<i32>,
    condition: Condition,
    plan: &PagePlan,
) -> Result<NestedPages<E::Model>>
where
    E: EntityTrait,
    E::Model: Row,
{
    let backend = db.get_database_backend();
    // Each parent once: the LATERAL statement would page a repeated parent twice.
    parents.sort_unstable();
    parents.dedup();
    let mut fetched: Vec<(i32, E::Model, Vec<KeyValue>)> = Vec::new();
    for chunk in parents.chunks(CHUNK) {
        let mut inner = E::find().filter(condition.clone()).into_query();
        if let Some(cursor) = &plan.cursor {
            inner.and_where(after(&plan.keys, cursor, backend)?);
        }
        add_sort_columns(&mut inner, &plan.keys, backend, None);
        let fk = (E::default(), column);
        let pages = match backend {
            DbBackend::Postgres => lateral_pages(inner, fk, chunk, plan),
            _ => window_pages(inner, fk, chunk, plan, backend),
        };
        for row in db.query_all(&pages).await? {
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

/// Orders `select` by the keys of `plan`, in its walking direction.
fn order_by_keys(select: &mut SelectStatement, plan: &PagePlan, backend: DbBackend) {
    for key in &plan.keys {
        select.order_by_expr_with_nulls(key.sql(backend), key.order(), key.null_ordering());
    }
}

/// The pages of `parents` (values of the foreign key `fk`) as one statement over `inner`,
/// which selects the rows and their sort keys: each parent's first `limit + 1` rows after
/// the cursor, ordered by parent, then in walking order.
///
/// On PostgreSQL, a top-N per parent: `FROM (VALUES ...) AS parents JOIN LATERAL
/// (... WHERE fk = parents.column1 ORDER BY keys LIMIT n) AS paged ON TRUE`, so each
/// parent reads only its page through the foreign key's index, rather than all its rows
/// numbered by a window. The outer `ORDER BY` repeats the keys over their selected copies
/// (`k0`...), which order the same (text ones carry their `COLLATE "C"`).
fn lateral_pages<T: IntoIden + Copy, C: IntoIden + Copy>(
    mut inner: SelectStatement,
    fk: (T, C),
    parents: &[i32],
    plan: &PagePlan,
) -> SelectStatement {
    let (parent_table, paged) = (Alias::new("parents"), Alias::new("paged"));
    inner
        .and_where(Expr::col(fk).equals((parent_table.clone(), Alias::new("column1"))))
        .limit(plan.limit as u64 + 1);
    order_by_keys(&mut inner, plan, DbBackend::Postgres);
    let mut outer = Query::select();
    outer
        .column((paged.clone(), Asterisk))
        .from_values(parents.iter().copied(), parent_table)
        .join_lateral(
            JoinType::InnerJoin,
            inner,
            paged.clone(),
            Expr::cust("TRUE"),
        )
        .order_by((paged.clone(), fk.1), Order::Asc);
    for (i, key) in plan.keys.iter().enumerate() {
        let k = Expr::col((paged.clone(), Alias::new(format!("k{i}"))));
        outer.order_by_expr_with_nulls(k, key.order(), key.null_ordering());
    }
    outer
}

/// The pages of `parents` with `ROW_NUMBER() OVER (PARTITION BY fk ORDER BY keys)`, for
/// SQLite, which has no LATERAL: the same rows in the same order as [`lateral_pages`].
fn window_pages<T: IntoIden + Copy, C: IntoIden + Copy>(
    mut inner: SelectStatement,
    fk: (T, C),
    parents: &[i32],
    plan: &PagePlan,
    backend: DbBackend,
) -> SelectStatement {
    inner.and_where(Expr::col(fk).is_in(parents.iter().copied()));
    let mut window = WindowStatement::partition_by(fk);
    for key in &plan.keys {
        window.order_by_expr_with_nulls(key.sql(backend), key.order(), key.null_ordering());
    }
    inner.expr_window_as(Expr::cust("ROW_NUMBER()"), window, Alias::new("page_row"));
    Query::select()
        .column(Asterisk)
        .from_subquery(inner, Alias::new("paged"))
        .and_where(Expr::col(Alias::new("page_row")).lte(plan.limit as i64 + 1))
        .order_by(fk.1, Order::Asc)
        .order_by(Alias::new("page_row"), Order::Asc)
        .to_owned()
}

async fn count_nested(
    scope: &Scope,
    column: &'static str,
    parents: Vec<i32>,
) -> Result<HashMap<i32, i64>> {
    let mut counts = HashMap::new();
    let key = Expr::col((Alias::new(scope.table), Alias::new(column)));
    for chunk in parents.chunks(CHUNK) {
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
