//! The SQL frame of an aggregate or a group-by: the inner statement that selects group
//! keys, currency and measured columns under plain aliases, and the measures over it.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, Query, SelectStatement};
use sea_orm::{Condition, ConnectionTrait, DatabaseConnection, DbBackend, ExprTrait, QueryResult};

use super::inputs::{GroupKey, TimeBucket};
use super::measures::{Measure, Measures};
use super::{Aggregated, Parent, SPLIT, Scope, Stat, StatKind};
use crate::data::lists::Term;
use crate::data::loaders::{CHUNK, Cache};
use crate::data::paging::{KeyKind, KeyValue, read_date, read_value};
use crate::data::sql::{Relation, custom, join_relations};
use crate::error::{Error, Result};
use crate::graphql::lists::OrderField;

mod lazy;

/// A group key as SQL.
#[derive(Debug, Clone)]
pub(super) struct KeySql {
    /// The field's GraphQL name, e.g. "INVESTOR_NAME".
    pub(super) field: String,
    pub(super) bucket: Option<TimeBucket>,
    expr: Expr,
    pub(super) kind: KeyKind,
    /// The relation `expr` reads, joined by the inner statement.
    join: Option<Relation>,
}

/// A further column of the inner statement (a `having` or `orderBy` term's, or the one of a
/// distinct count): its alias, its SQL and the relation it reads, if any.
#[derive(Debug, Clone)]
pub(super) struct Extra {
    pub(super) alias: String,
    pub(super) expr: Expr,
    pub(super) join: Option<Relation>,
}

/// One value of a statistic: an integer or a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Scalar {
    Int(i64),
    Day(NaiveDate),
}

/// The statistics of one column over one group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct StatValues {
    pub(super) count: i64,
    pub(super) sum: Option<i128>,
    pub(super) min: Option<Scalar>,
    pub(super) max: Option<Scalar>,
}

impl StatValues {
    /// Adds the statistics of more rows of the same column (another currency's rows of the
    /// same group): counts and sums add up, minimums and maximums compare.
    pub(super) fn merge(&mut self, other: &StatValues) {
        self.count += other.count;
        self.sum = match (self.sum, other.sum) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.min = match (self.min, other.min) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.max = self.max.max(other.max);
    }
}

/// Money statistics of one group: per currency (in code order), one entry per stat.
pub(super) type MoneyByCurrency = Vec<(String, i64, Vec<StatValues>)>;

/// What one aggregation groups, over which rows; shared by the groups it produced, which
/// compute their lazy statistics (per currency, distinct counts) together through it.
pub(super) struct Frame {
    db: DatabaseConnection,
    table: &'static str,
    condition: Condition,
    /// The foreign key of a nested list and the parents of the batch.
    pub(super) parent: Option<(&'static str, Vec<i32>)>,
    keys: Vec<KeySql>,
    pub(super) stats: &'static [Stat],
    /// The measures of the stats that the selection asks for; the others are not computed
    /// and read back as defaults.
    pub(super) measures: Measures,
    currency: Option<&'static str>,
    /// The one currency of every row, when the list's filter fixes it: the money per
    /// currency of a page of groups is then read with the page (see [`Frame::page_kind`]).
    fixed_currency: Option<String>,
    cells: Cache,
    /// The key values of the groups a page showed (without the parent), once the page is
    /// loaded: the lazy statistics (money per currency, distinct counts) are computed for
    /// those groups only, not for every group of the frame.
    page: OnceLock<Vec<Vec<KeyValue>>>,
    /// For a page keyed by foreign keys (see [`Frame::late_key`]): each group's key with
    /// the foreign key in place of the related value, to the key the page shows. The lazy
    /// statistics then read the page's rows by foreign key (an index) and group by it,
    /// without joining the related table to every row.
    late_page: OnceLock<HashMap<Vec<KeyValue>, Vec<KeyValue>>>,
    /// The terms whose distinct counts were asked for (by name, once each): a live result
    /// compares them with the previous result's (see [`Summary::same_as`]).
    ///
    /// [`Summary::same_as`]: super::Summary::same_as
    distinct_terms: std::sync::Mutex<Vec<Term>>,
}

impl Frame {
    fn column(&self, name: &str) -> Expr {
        Expr::col((Alias::new(self.table), Alias::new(name)))
    }

    /// The inner statement for the parents in `ids`: keys, currency and the columns to
    /// aggregate under their aliases, plus `extra` columns. The relations that keys and
    /// extra columns read (a related company's name) are joined once each.
    pub(super) fn inner(&self, ids: Option<&[i32]>, extra: &[Extra]) -> SelectStatement {
        self.inner_keyed(ids, extra, false)
    }

    /// An integer column (a foreign key) as 64 bits, as both engines read it back:
    /// PostgreSQL's INTEGER is cast to BIGINT; SQLite's integers are 64 bits already, and a
    /// cast there would hide the column from its index (a grouping by
    /// `CAST(investor_id AS BIGINT)` sorts every row in a temporary B-tree; by `investor_id`
    /// it walks the index: A2's statement 52 -> 31 ms).
    fn int64(&self, expr: Expr) -> Expr {
        match self.backend() {
            DbBackend::Sqlite => expr,
            _ => Func::cast_as(expr, Alias::new("BIGINT")).into(),
        }
    }

    /// The relation key `i` reads, when a top-level grouping may group by its foreign key
    /// and join the related value to the groups afterwards: the value is unique in its
    /// table (a company's name), so the groups are the same, and the join reads one row
    /// per group instead of one per grouped row.
    pub(super) fn late_key(&self, i: usize) -> Option<Relation> {
        if self.parent.is_some() {
            return None;
        }
        let key = self.keys.get(i)?;
        key.join.filter(|r| r.unique && key.bucket.is_none())
    }

    /// The engine the frame's statements run on.
    pub(super) fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// The number of group keys.
    pub(super) fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// Whether some key is grouped by its foreign key (see [`Frame::late_key`]).
    pub(super) fn has_late_keys(&self) -> bool {
        (0..self.keys.len()).any(|i| self.late_key(i).is_some())
    }

    /// The inner statement; with `late`, a key that [`Frame::late_key`] allows is selected
    /// as its foreign key `f{i}`, without joining its relation.
    pub(super) fn inner_keyed(
        &self,
        ids: Option<&[i32]>,
        extra: &[Extra],
        late: bool,
    ) -> SelectStatement {
        let mut select = Query::select();
        select.from(Alias::new(self.table));
        join_relations(
            &mut select,
            self.keys
                .iter()
                .enumerate()
                .filter(|(i, _)| !late || self.late_key(*i).is_none())
                .filter_map(|(_, key)| key.join)
                .chain(extra.iter().filter_map(|e| e.join)),
        );
        select.cond_where(self.condition.clone());
        if let (Some((column, _)), Some(ids)) = (&self.parent, ids) {
            select.expr_as(self.int64(self.column(column)), Alias::new("p"));
            select.and_where(self.column(column).is_in(ids.iter().copied()));
        }
        for (i, key) in self.keys.iter().enumerate() {
            if let Some(relation) = self.late_key(i).filter(|_| late) {
                let fk = Expr::col((Alias::new(relation.table), Alias::new(relation.fk)));
                select.expr_as(self.int64(fk), Alias::new(format!("f{i}")));
                continue;
            }
            // Integers read back as 64 bits on both engines (a key's expression may give
            // SQLite text, which the cast makes an integer).
            let expr = if key.kind == KeyKind::Int {
                Func::cast_as(key.expr.clone(), Alias::new("BIGINT")).into()
            } else {
                key.expr.clone()
            };
            select.expr_as(expr, Alias::new(format!("g{i}")));
        }
        if let Some(currency) = self.currency {
            select.expr_as(self.column(currency), Alias::new("cur"));
        }
        for (i, stat) in self.stats.iter().enumerate() {
            if self.measures.any(i) {
                select.expr_as(self.column(stat.column), Alias::new(format!("v{i}")));
            }
        }
        for e in extra {
            select.expr_as(e.expr.clone(), Alias::new(&e.alias));
        }
        if self.parent.is_none() && self.keys.is_empty() && extra.is_empty() {
            // Keep the statement valid for a type without stats or currency.
            select.expr_as(Expr::val(1), Alias::new("one"));
        }
        select
    }

    /// The group-by aliases: the parent, then the keys (`f{i}` for a key grouped by its
    /// foreign key, with `late`).
    pub(super) fn group_aliases(&self, late: bool) -> Vec<String> {
        let mut aliases: Vec<String> = self.parent.iter().map(|_| "p".to_string()).collect();
        aliases.extend((0..self.keys.len()).map(|i| {
            if late && self.late_key(i).is_some() {
                format!("f{i}")
            } else {
                format!("g{i}")
            }
        }));
        aliases
    }

    /// The outer statement over `inner`, grouped by the parent and the keys (and `more`).
    pub(super) fn outer(&self, inner: SelectStatement, more: &[&str]) -> SelectStatement {
        self.outer_keyed(inner, more, false)
    }

    /// The outer statement over an inner one made with the same `late`.
    pub(super) fn outer_keyed(
        &self,
        inner: SelectStatement,
        more: &[&str],
        late: bool,
    ) -> SelectStatement {
        let mut select = Query::select();
        select.from_subquery(inner, Alias::new("r"));
        for alias in self
            .group_aliases(late)
            .iter()
            .map(String::as_str)
            .chain(more.iter().copied())
        {
            select.expr(Expr::col(Alias::new(alias)));
            select.add_group_by([Expr::col(Alias::new(alias))]);
        }
        select
    }

    /// Runs `build` for each chunk of parent ids (once without parents), concatenating rows.
    pub(super) async fn run(
        &self,
        build: impl Fn(Option<&[i32]>) -> SelectStatement,
    ) -> Result<Vec<QueryResult>> {
        match &self.parent {
            None => Ok(self.db.query_all(&build(None)).await?),
            Some((_, ids)) => {
                let mut rows = Vec::new();
                for chunk in ids.chunks(CHUNK) {
                    rows.extend(self.db.query_all(&build(Some(chunk))).await?);
                }
                Ok(rows)
            }
        }
    }

    /// Reads the parent and key values of a row, in group-alias order.
    pub(super) fn read_key(&self, row: &QueryResult) -> Result<Vec<KeyValue>> {
        self.read_key_keyed(row, false)
    }

    /// Reads a row's key; with `late`, a key grouped by its foreign key is read as that
    /// key (`f{i}`).
    pub(super) fn read_key_keyed(&self, row: &QueryResult, late: bool) -> Result<Vec<KeyValue>> {
        let mut key = Vec::with_capacity(self.keys.len() + 1);
        if self.parent.is_some() {
            key.push(read_value(KeyKind::Int, row, "p")?);
        }
        for (i, k) in self.keys.iter().enumerate() {
            key.push(if late && self.late_key(i).is_some() {
                read_value(KeyKind::Int, row, &format!("f{i}"))?
            } else {
                read_value(k.kind, row, &format!("g{i}"))?
            });
        }
        Ok(key)
    }

    /// A value computed once per frame under `key`.
    pub(super) async fn cached<V, Fut>(
        &self,
        key: &str,
        init: impl FnOnce() -> Fut,
    ) -> Result<Arc<V>>
    where
        V: Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<V>>,
    {
        self.cells.get_or_init(key, init).await
    }

    /// The currency the list's filter fixes, when the selection asks for money per
    /// currency (`byCurrency`).
    pub(super) fn fixed_currency(&self) -> Option<&str> {
        self.per_currency()
            .next()
            .and(self.fixed_currency.as_deref())
    }

    /// How stat `i` is measured in a statement of groups: money whose currency the filter
    /// fixes is measured as a number (its sum, minimum and maximum are then the group's
    /// money in that one currency); the rest as its kind.
    pub(super) fn page_kind(&self, i: usize) -> StatKind {
        let kind = self.stats[i].kind;
        if kind == StatKind::Money && self.fixed_currency().is_some() {
            StatKind::Number
        } else {
            kind
        }
    }

    /// Whether the frame's type has money columns (and so a currency column).
    pub(super) fn has_currency(&self) -> bool {
        self.currency.is_some()
    }
}

/// Adds the measures of stat `i` (over inner column `v{i}`) that the frame's selection asks
/// for to an outer statement: money (per row) has only its count, numbers and dates their minimum
/// and maximum too, numbers their exact sum: PostgreSQL's `SUM` of integers is an exact
/// `numeric`, read as text (`s{i}`); SQLite's is taken in two parts (`sh{i}`, `sl{i}`; see
/// the parent module's comment).
pub(super) fn add_stat_measures(
    select: &mut SelectStatement,
    i: usize,
    kind: StatKind,
    frame: &Frame,
) {
    let v = Expr::col(Alias::new(format!("v{i}")));
    let cast = |e: Expr, to: &str| -> Expr { Func::cast_as(e, Alias::new(to)).into() };
    let wants = |m: Measure| frame.measures.wants(i, m);
    if wants(Measure::Count) {
        select.expr_as(Func::count(v.clone()), Alias::new(format!("c{i}")));
    }
    let number = kind == StatKind::Number;
    if number && wants(Measure::Sum) {
        if frame.backend() == DbBackend::Postgres {
            select.expr_as(
                cast(Func::sum(v.clone()).into(), "TEXT"),
                Alias::new(format!("s{i}")),
            );
        } else {
            let split = || Expr::cust(SPLIT.to_string());
            select.expr_as(
                cast(Func::sum(v.clone().div(split())).into(), "BIGINT"),
                Alias::new(format!("sh{i}")),
            );
            select.expr_as(
                cast(Func::sum(v.clone().modulo(split())).into(), "BIGINT"),
                Alias::new(format!("sl{i}")),
            );
        }
    }
    if kind == StatKind::Money {
        return;
    }
    let extreme = |f: Expr| if number { cast(f, "BIGINT") } else { f };
    if wants(Measure::Min) {
        select.expr_as(
            extreme(Func::min(v.clone()).into()),
            Alias::new(format!("mn{i}")),
        );
    }
    if wants(Measure::Max) {
        select.expr_as(extreme(Func::max(v).into()), Alias::new(format!("mx{i}")));
    }
}

/// Reads the measures of stat `i` that [`add_stat_measures`] added with the same
/// `measures`; the others keep their defaults.
pub(super) fn read_stat(
    row: &QueryResult,
    i: usize,
    kind: StatKind,
    frame: &Frame,
) -> Result<StatValues> {
    let wants = |m: Measure| frame.measures.wants(i, m);
    let mut values = StatValues::default();
    if wants(Measure::Count) {
        values.count = row.try_get("", &format!("c{i}"))?;
    }
    match kind {
        StatKind::Money => {}
        StatKind::Number => {
            if wants(Measure::Sum) {
                values.sum = read_sum(row, i, frame.backend())?;
            }
            if wants(Measure::Min) {
                values.min = row
                    .try_get::<Option<i64>>("", &format!("mn{i}"))?
                    .map(Scalar::Int);
            }
            if wants(Measure::Max) {
                values.max = row
                    .try_get::<Option<i64>>("", &format!("mx{i}"))?
                    .map(Scalar::Int);
            }
        }
        StatKind::Date => {
            if wants(Measure::Min) {
                values.min = read_date(row, &format!("mn{i}"))?.map(Scalar::Day);
            }
            if wants(Measure::Max) {
                values.max = read_date(row, &format!("mx{i}"))?.map(Scalar::Day);
            }
        }
    }
    Ok(values)
}

/// Reads the exact sum of stat `i` as [`add_stat_measures`] took it on `backend`.
fn read_sum(row: &QueryResult, i: usize, backend: DbBackend) -> Result<Option<i128>> {
    if backend == DbBackend::Postgres {
        let text: Option<String> = row.try_get("", &format!("s{i}"))?;
        return text
            .map(|t| {
                t.parse::<i128>()
                    .map_err(|_| Error::Internal(format!("a sum read as {t:?}")))
            })
            .transpose();
    }
    let high: Option<i64> = row.try_get("", &format!("sh{i}"))?;
    let low: Option<i64> = row.try_get("", &format!("sl{i}"))?;
    Ok(match (high, low) {
        (Some(h), Some(l)) => Some(i128::from(h) * SPLIT + i128::from(l)),
        _ => None,
    })
}

/// Adds the summary measures (the row count, and the measures of the stats that the
/// frame's selection asks for) to an outer statement.
pub(super) fn add_summary_measures(select: &mut SelectStatement, frame: &Frame) {
    select.expr_as(Expr::col(Asterisk).count(), Alias::new("n"));
    for i in 0..frame.stats.len() {
        add_stat_measures(select, i, frame.page_kind(i), frame);
    }
}

pub(super) fn frame<T: Aggregated>(
    scope: &Scope,
    parent: Option<&Parent>,
    keys: Vec<KeySql>,
    measures: Measures,
) -> Frame {
    Frame {
        db: scope.db.clone(),
        table: scope.table,
        condition: Condition::clone(&scope.condition),
        parent: parent.map(|p| (p.column, p.siblings.ids())),
        keys,
        stats: T::STATS,
        measures,
        currency: T::CURRENCY,
        fixed_currency: T::CURRENCY.and(scope.currency.clone()),
        cells: Cache::default(),
        page: OnceLock::new(),
        late_page: OnceLock::new(),
        distinct_terms: std::sync::Mutex::default(),
    }
}

/// The GraphQL name of any enum value.
pub(super) fn gql_name<E: async_graphql::InputType>(value: E) -> String {
    match value.to_value() {
        async_graphql::Value::Enum(name) => name.to_string(),
        other => other.to_string(),
    }
}

/// The SQL of a group key, with its time bucket.
pub(super) fn key_sql<T: Aggregated>(
    key: &GroupKey<T::Field>,
    index: usize,
    table: &'static str,
    backend: DbBackend,
) -> Result<KeySql> {
    let Term {
        name,
        expr,
        kind,
        join,
        ..
    } = key.field.term();
    let field = gql_name(key.field);
    let Some(bucket) = key.bucket else {
        return Ok(KeySql {
            field,
            bucket: None,
            expr,
            kind,
            join,
        });
    };
    if kind != KeyKind::Date {
        return Err(Error::invalid(
            format!("by[{index}].bucket"),
            format!("{field} is not a date: only dates group by time buckets"),
        ));
    }
    let precision = T::STATS
        .iter()
        .find(|s| s.column == name)
        .and_then(|s| s.precision)
        .map(|p| Expr::col((Alias::new(table), Alias::new(p))));
    Ok(KeySql {
        field,
        bucket: Some(bucket),
        expr: bucket_expr(expr, precision, bucket, backend),
        kind: KeyKind::Text,
        join,
    })
}

/// The label of a date's time bucket, the same text on both engines. A date known only to
/// a coarser precision than the bucket is labelled at its own precision.
pub(super) fn bucket_expr(
    date: Expr,
    precision: Option<Expr>,
    bucket: TimeBucket,
    backend: DbBackend,
) -> Expr {
    let (year, quarter, month) = match backend {
        DbBackend::Postgres => (
            "to_char($1, 'YYYY')",
            "to_char($1, 'YYYY-\"Q\"Q')",
            "to_char($1, 'YYYY-MM')",
        ),
        _ => (
            "substr($1, 1, 4)",
            "(substr($1, 1, 4) || '-Q' || ((CAST(substr($1, 6, 2) AS INTEGER) + 2) / 3))",
            "substr($1, 1, 7)",
        ),
    };
    let label = |template: &str| custom(backend, template, std::slice::from_ref(&date));
    let Some(precision) = precision else {
        return label(match bucket {
            TimeBucket::Year => year,
            TimeBucket::Quarter => quarter,
            TimeBucket::Month => month,
        });
    };
    match bucket {
        TimeBucket::Year => label(year),
        TimeBucket::Quarter => custom(
            backend,
            "CASE WHEN $1 = 'YEAR' THEN $2 ELSE $3 END",
            &[precision, label(year), label(quarter)],
        ),
        TimeBucket::Month => custom(
            backend,
            "CASE WHEN $1 = 'YEAR' THEN $2 WHEN $1 = 'QUARTER' THEN $3 ELSE $4 END",
            &[precision, label(year), label(quarter), label(month)],
        ),
    }
}
