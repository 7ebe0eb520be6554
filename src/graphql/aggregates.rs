//! Aggregates and group-by on every connection, computed in the database.
//!
//! Every connection knows the rows its filter selects (its [`Scope`]): the table, the
//! condition and, for a nested list, the parent's foreign key. `aggregate` and `groupBy`
//! turn that scope into one `GROUP BY` statement. A nested list is aggregated for all the
//! parents of its batch at once, grouped by the foreign key, so the number of statements
//! never depends on the number of rows.
//!
//! Statements have two levels: the inner one selects the group keys, the currency and the
//! columns to aggregate under plain aliases (`p`, `g0`, `cur`, `v0`, `t0`...); the outer one
//! groups by the aliases. Key expressions (a related company's name, a quarter label) are
//! thus written once, and PostgreSQL never has to match a repeated subquery in `GROUP BY`.
//!
//! Sums are exact: SQLite's integer `SUM` fails on overflow, so every sum is taken in two
//! parts (the value divided by 10^9, and the remainder) that fit 64 bits for a billion rows,
//! and the parts are recombined in 128 bits.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::{Enum, InputObject, Object, OutputType, SimpleObject, TypeName};
use chrono::NaiveDate;
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, Func, NullOrdering, Order, Query, SelectStatement, WindowStatement,
};
use sea_orm::{Condition, ConnectionTrait, DatabaseConnection, DbBackend, ExprTrait, QueryResult};

use super::common::{Date, Decimal, Money};
use super::lists::{Counter, GqlNode, OrderField};
use super::loaders::{CHUNK, Cache, Siblings};
use super::paging::{
    EndCursor, KeyKind, KeyValue, NullsOrder, OrderDirection, PageInfo, base64url_decode,
    base64url_encode, read_date, read_value,
};
use super::sql::{bytewise, custom};
use crate::error::{Error, Result};
use crate::{analytics, money};

/// Most keys a `groupBy` takes.
pub const MAX_GROUP_KEYS: usize = 5;
/// Most `having` plus `orderBy` terms a `groupBy` takes.
pub const MAX_GROUP_TERMS: usize = 20;
/// Groups per page when `first` is not given, and the most a page holds.
const DEFAULT_GROUPS: usize = 20;
const MAX_GROUPS: usize = 100;
/// Sums are taken in two parts split at this power of ten (see the module's comment).
const SPLIT: i128 = 1_000_000_000;

/// What kind of column a statistic is computed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatKind {
    /// An integer: count, sum, average, minimum and maximum.
    Number,
    /// Minor units of the row's currency: the same, per currency.
    Money,
    /// A date: count, earliest and latest.
    Date,
}

/// A column of a type that `aggregate` reports on.
#[derive(Debug, Clone, Copy)]
pub struct Stat {
    pub column: &'static str,
    pub kind: StatKind,
    /// The column that says how precisely a date is known, used by time buckets.
    pub precision: Option<&'static str>,
}

/// A GraphQL type whose connections offer aggregates and group-by.
pub trait Aggregated: GqlNode {
    /// The fields the type's lists are ordered by; they are also its group keys.
    type Field: OrderField + std::fmt::Debug;
    /// The type's aggregate object, e.g. `InvestmentAggregate`.
    type Aggregate: OutputType + From<Summary>;
    /// The columns `aggregate` reports on.
    const STATS: &'static [Stat];
    /// The currency column of the type's money columns.
    const CURRENCY: Option<&'static str>;
}

/// The rows a connection selects, all pages together.
#[derive(Clone)]
pub struct Scope {
    pub db: DatabaseConnection,
    pub table: &'static str,
    /// Shared by the siblings of a nested list.
    pub condition: Arc<Condition>,
    pub parent: Option<Parent>,
}

/// The parent of a nested list, and its siblings, aggregated together.
#[derive(Clone)]
pub struct Parent {
    /// Identifies the nested connection field among the batch's cached values.
    pub key: String,
    pub column: &'static str,
    pub id: i32,
    pub siblings: Arc<dyn Siblings>,
}

/// How group keys of dates are bucketed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Hash)]
pub enum TimeBucket {
    /// The calendar year: "2025".
    Year,
    /// The calendar quarter: "2025-Q1".
    Quarter,
    /// The calendar month: "2025-01".
    Month,
}

/// An aggregate function.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Hash)]
pub enum AggregateFunction {
    /// Number of rows, or of rows where `field` is not null.
    Count,
    /// Number of distinct non-null values of `field`.
    CountDistinct,
    /// Sum of a number or money field (money needs `currency`).
    Sum,
    /// Average of a number or money field (money needs `currency`).
    Avg,
    /// Smallest value of a number, money or date field.
    Min,
    /// Largest value of a number, money or date field.
    Max,
}

/// A group key: a field, and for a date field optionally a time bucket.
#[derive(InputObject, Debug, Clone)]
#[graphql(concrete(name = "CompanyGroupKey", params(super::companies::CompanyOrderField)))]
#[graphql(concrete(name = "PersonGroupKey", params(super::companies::PersonOrderField)))]
#[graphql(concrete(name = "AiModelGroupKey", params(super::models::AiModelOrderField)))]
#[graphql(concrete(
    name = "InvestmentGroupKey",
    params(super::investments::InvestmentOrderField)
))]
#[graphql(concrete(name = "ProjectGroupKey", params(super::projects::ProjectOrderField)))]
#[graphql(concrete(
    name = "ProjectBackerGroupKey",
    params(super::projects::ProjectBackerOrderField)
))]
#[graphql(concrete(
    name = "SpendingFigureGroupKey",
    params(super::spending::SpendingFigureOrderField)
))]
#[graphql(concrete(name = "ClaimGroupKey", params(super::claims::ClaimOrderField)))]
#[graphql(concrete(
    name = "ClaimChallengeGroupKey",
    params(super::claims::ClaimChallengeOrderField)
))]
#[graphql(concrete(name = "EventGroupKey", params(super::events::EventOrderField)))]
#[graphql(concrete(name = "SourceGroupKey", params(super::sources::SourceOrderField)))]
#[graphql(concrete(name = "CitationGroupKey", params(super::sources::CitationOrderField)))]
pub struct GroupKey<F: OrderField> {
    /// The field to group by: any field the list can be ordered by, including the name of
    /// a related company.
    pub field: F,
    /// For a date field, the calendar span to group by. A date known less precisely than
    /// the bucket (only its year, for a MONTH bucket) falls in a group of its own precision
    /// ("2025"), never silently in the span's first month.
    pub bucket: Option<TimeBucket>,
}

/// A condition on an aggregate of each group; a group is kept when every comparison given holds.
#[derive(InputObject, Debug, Clone)]
#[graphql(concrete(name = "CompanyHaving", params(super::companies::CompanyOrderField)))]
#[graphql(concrete(name = "PersonHaving", params(super::companies::PersonOrderField)))]
#[graphql(concrete(name = "AiModelHaving", params(super::models::AiModelOrderField)))]
#[graphql(concrete(
    name = "InvestmentHaving",
    params(super::investments::InvestmentOrderField)
))]
#[graphql(concrete(name = "ProjectHaving", params(super::projects::ProjectOrderField)))]
#[graphql(concrete(
    name = "ProjectBackerHaving",
    params(super::projects::ProjectBackerOrderField)
))]
#[graphql(concrete(
    name = "SpendingFigureHaving",
    params(super::spending::SpendingFigureOrderField)
))]
#[graphql(concrete(name = "ClaimHaving", params(super::claims::ClaimOrderField)))]
#[graphql(concrete(
    name = "ClaimChallengeHaving",
    params(super::claims::ClaimChallengeOrderField)
))]
#[graphql(concrete(name = "EventHaving", params(super::events::EventOrderField)))]
#[graphql(concrete(name = "SourceHaving", params(super::sources::SourceOrderField)))]
#[graphql(concrete(name = "CitationHaving", params(super::sources::CitationOrderField)))]
pub struct Having<F: OrderField> {
    /// The aggregate function.
    pub function: AggregateFunction,
    /// The field it applies to; omit it for COUNT of rows.
    pub field: Option<F>,
    /// The currency of a money field: sums and averages never mix currencies.
    pub currency: Option<String>,
    /// Equal to: a whole number for counts and number fields, a decimal in major units for
    /// money ("1000000.50"), a date ("2025-06-30") for date fields.
    pub eq: Option<String>,
    /// Not equal to (same form as `eq`).
    pub ne: Option<String>,
    /// Greater than (same form as `eq`).
    pub gt: Option<String>,
    /// Greater than or equal to (same form as `eq`).
    pub gte: Option<String>,
    /// Less than (same form as `eq`).
    pub lt: Option<String>,
    /// Less than or equal to (same form as `eq`).
    pub lte: Option<String>,
}

/// One term of the ordering of groups: one of their keys, or an aggregate.
#[derive(InputObject, Debug, Clone)]
#[graphql(concrete(
    name = "CompanyGroupOrder",
    params(super::companies::CompanyOrderField)
))]
#[graphql(concrete(name = "PersonGroupOrder", params(super::companies::PersonOrderField)))]
#[graphql(concrete(name = "AiModelGroupOrder", params(super::models::AiModelOrderField)))]
#[graphql(concrete(
    name = "InvestmentGroupOrder",
    params(super::investments::InvestmentOrderField)
))]
#[graphql(concrete(name = "ProjectGroupOrder", params(super::projects::ProjectOrderField)))]
#[graphql(concrete(
    name = "ProjectBackerGroupOrder",
    params(super::projects::ProjectBackerOrderField)
))]
#[graphql(concrete(
    name = "SpendingFigureGroupOrder",
    params(super::spending::SpendingFigureOrderField)
))]
#[graphql(concrete(name = "ClaimGroupOrder", params(super::claims::ClaimOrderField)))]
#[graphql(concrete(
    name = "ClaimChallengeGroupOrder",
    params(super::claims::ClaimChallengeOrderField)
))]
#[graphql(concrete(name = "EventGroupOrder", params(super::events::EventOrderField)))]
#[graphql(concrete(name = "SourceGroupOrder", params(super::sources::SourceOrderField)))]
#[graphql(concrete(
    name = "CitationGroupOrder",
    params(super::sources::CitationOrderField)
))]
pub struct GroupOrder<F: OrderField> {
    /// Order by the key at this position of `by` (0 is the first key).
    pub key: Option<i32>,
    /// Or order by this aggregate function...
    pub function: Option<AggregateFunction>,
    /// ...of this field (omit it for COUNT of rows)...
    pub field: Option<F>,
    /// ...in this currency, for a money field.
    pub currency: Option<String>,
    /// Ascending (the default) or descending.
    #[graphql(default)]
    pub direction: OrderDirection,
    /// Where groups whose value is null go: LAST (the default) or FIRST.
    #[graphql(default)]
    pub nulls: NullsOrder,
}

/// The arguments of `groupBy`.
pub struct GroupArgs<F: OrderField> {
    pub by: Vec<GroupKey<F>>,
    pub having: Vec<Having<F>>,
    pub order_by: Vec<GroupOrder<F>>,
    pub first: Option<i32>,
    pub after: Option<String>,
}

/// A group key as SQL.
#[derive(Debug, Clone)]
struct KeySql {
    /// The field's GraphQL name, e.g. "INVESTOR_NAME".
    field: String,
    bucket: Option<TimeBucket>,
    expr: Expr,
    kind: KeyKind,
}

/// One value of a statistic: an integer or a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Int(i64),
    Day(NaiveDate),
}

/// The statistics of one column over one group.
#[derive(Debug, Clone, Default)]
struct StatValues {
    count: i64,
    sum: Option<i128>,
    min: Option<Scalar>,
    max: Option<Scalar>,
}

/// Money statistics of one group: per currency (in code order), one entry per stat.
type MoneyByCurrency = Vec<(String, i64, Vec<StatValues>)>;

/// What one aggregation groups, over which rows; shared by the groups it produced, which
/// compute their lazy statistics (per currency, distinct counts) together through it.
struct Frame {
    db: DatabaseConnection,
    table: &'static str,
    condition: Condition,
    /// The foreign key of a nested list and the parents of the batch.
    parent: Option<(&'static str, Vec<i32>)>,
    keys: Vec<KeySql>,
    stats: &'static [Stat],
    currency: Option<&'static str>,
    cells: Cache,
}

impl Frame {
    fn column(&self, name: &str) -> Expr {
        Expr::col((Alias::new(self.table), Alias::new(name)))
    }

    /// The inner statement for the parents in `ids`: keys, currency and the columns to
    /// aggregate under their aliases, plus `extra` columns.
    fn inner(&self, ids: Option<&[i32]>, extra: &[(String, Expr)]) -> SelectStatement {
        let mut select = Query::select();
        select.from(Alias::new(self.table));
        select.cond_where(self.condition.clone());
        if let (Some((column, _)), Some(ids)) = (&self.parent, ids) {
            select.expr_as(
                Func::cast_as(self.column(column), Alias::new("BIGINT")),
                Alias::new("p"),
            );
            select.and_where(self.column(column).is_in(ids.iter().copied()));
        }
        for (i, key) in self.keys.iter().enumerate() {
            // Integers read back as 64 bits on both engines.
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
            select.expr_as(self.column(stat.column), Alias::new(format!("v{i}")));
        }
        for (alias, expr) in extra {
            select.expr_as(expr.clone(), Alias::new(alias));
        }
        if self.parent.is_none() && self.keys.is_empty() && extra.is_empty() {
            // Keep the statement valid for a type without stats or currency.
            select.expr_as(Expr::val(1), Alias::new("one"));
        }
        select
    }

    /// The group-by aliases: the parent, then the keys.
    fn group_aliases(&self) -> Vec<String> {
        let mut aliases: Vec<String> = self.parent.iter().map(|_| "p".to_string()).collect();
        aliases.extend((0..self.keys.len()).map(|i| format!("g{i}")));
        aliases
    }

    /// The outer statement over `inner`, grouped by the parent and the keys (and `more`).
    fn outer(&self, inner: SelectStatement, more: &[&str]) -> SelectStatement {
        let mut select = Query::select();
        select.from_subquery(inner, Alias::new("r"));
        for alias in self
            .group_aliases()
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
    async fn run(
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
    fn read_key(&self, row: &QueryResult) -> Result<Vec<KeyValue>> {
        let mut key = Vec::with_capacity(self.keys.len() + 1);
        if self.parent.is_some() {
            key.push(read_value(KeyKind::Int, row, "p")?);
        }
        for (i, k) in self.keys.iter().enumerate() {
            key.push(read_value(k.kind, row, &format!("g{i}"))?);
        }
        Ok(key)
    }

    /// A value computed once per frame under `key`.
    async fn cached<V, Fut>(&self, key: &str, init: impl FnOnce() -> Fut) -> Result<Arc<V>>
    where
        V: Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<V>>,
    {
        self.cells.get_or_init(key, init).await
    }

    /// Money statistics per group and currency, for every group of the frame.
    async fn money(&self) -> Result<Arc<HashMap<Vec<KeyValue>, MoneyByCurrency>>> {
        self.cached("money", || async {
            let mut by_key: HashMap<Vec<KeyValue>, MoneyByCurrency> = HashMap::new();
            if self.currency.is_none() {
                return Ok(by_key);
            }
            let rows = self
                .run(|ids| {
                    let mut inner = self.inner(ids, &[]);
                    if let Some(currency) = self.currency {
                        inner.and_where(self.column(currency).is_not_null());
                    }
                    let mut outer = self.outer(inner, &["cur"]);
                    outer.expr_as(Expr::col(Asterisk).count(), Alias::new("n"));
                    for (i, stat) in self.stats.iter().enumerate() {
                        if stat.kind == StatKind::Money {
                            add_stat_measures(&mut outer, i, StatKind::Number);
                        }
                    }
                    outer.order_by(Alias::new("cur"), Order::Asc);
                    outer
                })
                .await?;
            for row in rows {
                let key = self.read_key(&row)?;
                let currency: String = row.try_get("", "cur")?;
                let n: i64 = row.try_get("", "n")?;
                let mut values = Vec::with_capacity(self.stats.len());
                for (i, stat) in self.stats.iter().enumerate() {
                    values.push(if stat.kind == StatKind::Money {
                        read_stat(&row, i, StatKind::Number)?
                    } else {
                        StatValues::default()
                    });
                }
                by_key.entry(key).or_default().push((currency, n, values));
            }
            Ok(by_key)
        })
        .await
    }

    /// The number of distinct values of `expr` per group, for every group of the frame.
    async fn distinct(&self, label: &str, expr: Expr) -> Result<Arc<HashMap<Vec<KeyValue>, i64>>> {
        self.cached(&format!("distinct:{label}"), || async {
            let rows = self
                .run(|ids| {
                    let inner = self.inner(ids, &[("d".to_string(), expr.clone())]);
                    let mut outer = self.outer(inner, &[]);
                    outer.expr_as(
                        Func::count_distinct(Expr::col(Alias::new("d"))),
                        Alias::new("n"),
                    );
                    outer
                })
                .await?;
            let mut counts = HashMap::new();
            for row in rows {
                counts.insert(self.read_key(&row)?, row.try_get::<i64>("", "n")?);
            }
            Ok(counts)
        })
        .await
    }
}

/// Adds the measures of stat `i` (over inner column `v{i}`) to an outer statement.
fn add_stat_measures(select: &mut SelectStatement, i: usize, kind: StatKind) {
    let v = Expr::col(Alias::new(format!("v{i}")));
    let bigint = |e: Expr| -> Expr { Func::cast_as(e, Alias::new("BIGINT")).into() };
    select.expr_as(Func::count(v.clone()), Alias::new(format!("c{i}")));
    match kind {
        StatKind::Money => {}
        StatKind::Number => {
            let split = || Expr::cust(SPLIT.to_string());
            select.expr_as(
                bigint(Func::sum(v.clone().div(split())).into()),
                Alias::new(format!("sh{i}")),
            );
            select.expr_as(
                bigint(Func::sum(v.clone().modulo(split())).into()),
                Alias::new(format!("sl{i}")),
            );
            select.expr_as(
                bigint(Func::min(v.clone()).into()),
                Alias::new(format!("mn{i}")),
            );
            select.expr_as(bigint(Func::max(v).into()), Alias::new(format!("mx{i}")));
        }
        StatKind::Date => {
            select.expr_as(Func::min(v.clone()), Alias::new(format!("mn{i}")));
            select.expr_as(Func::max(v), Alias::new(format!("mx{i}")));
        }
    }
}

fn read_stat(row: &QueryResult, i: usize, kind: StatKind) -> Result<StatValues> {
    let count: i64 = row.try_get("", &format!("c{i}"))?;
    let mut values = StatValues {
        count,
        ..StatValues::default()
    };
    match kind {
        StatKind::Money => {}
        StatKind::Number => {
            let high: Option<i64> = row.try_get("", &format!("sh{i}"))?;
            let low: Option<i64> = row.try_get("", &format!("sl{i}"))?;
            values.sum = match (high, low) {
                (Some(h), Some(l)) => Some(i128::from(h) * SPLIT + i128::from(l)),
                _ => None,
            };
            values.min = row
                .try_get::<Option<i64>>("", &format!("mn{i}"))?
                .map(Scalar::Int);
            values.max = row
                .try_get::<Option<i64>>("", &format!("mx{i}"))?
                .map(Scalar::Int);
        }
        StatKind::Date => {
            values.min = read_date(row, &format!("mn{i}"))?.map(Scalar::Day);
            values.max = read_date(row, &format!("mx{i}"))?.map(Scalar::Day);
        }
    }
    Ok(values)
}

/// Adds the summary measures (row count and every stat) to an outer statement.
fn add_summary_measures(select: &mut SelectStatement, stats: &[Stat]) {
    select.expr_as(Expr::col(Asterisk).count(), Alias::new("n"));
    for (i, stat) in stats.iter().enumerate() {
        add_stat_measures(select, i, stat.kind);
    }
}

/// The aggregates of one group (or of a whole list): computed with the group, or lazily
/// for all groups of its frame at once.
#[derive(Clone)]
pub struct Summary {
    count: i64,
    stats: Vec<StatValues>,
    key: Vec<KeyValue>,
    frame: Arc<Frame>,
}

impl Summary {
    fn read(row: &QueryResult, frame: &Arc<Frame>) -> Result<Summary> {
        let mut stats = Vec::with_capacity(frame.stats.len());
        for (i, stat) in frame.stats.iter().enumerate() {
            stats.push(read_stat(row, i, stat.kind)?);
        }
        Ok(Summary {
            count: row.try_get("", "n")?,
            stats,
            key: frame.read_key(row)?,
            frame: frame.clone(),
        })
    }

    fn empty(frame: &Arc<Frame>, key: Vec<KeyValue>) -> Summary {
        Summary {
            count: 0,
            stats: vec![StatValues::default(); frame.stats.len()],
            key,
            frame: frame.clone(),
        }
    }

    /// Number of rows.
    pub fn count(&self) -> i64 {
        self.count
    }

    /// The position of `column` among the type's stats; the `aggregates!` macro only asks
    /// for declared columns, so `None` would be a bug, answered with empty statistics.
    fn index(&self, column: &str) -> Option<usize> {
        self.frame.stats.iter().position(|s| s.column == column)
    }

    fn values(&self, column: &str) -> StatValues {
        self.index(column)
            .and_then(|i| self.stats.get(i))
            .cloned()
            .unwrap_or_default()
    }

    /// Number of distinct non-null values of a field.
    pub async fn count_distinct<F: OrderField>(&self, field: F) -> Result<i64> {
        let (name, expr, _, _) = field.term();
        let counts = self.frame.distinct(name, expr).await?;
        Ok(counts.get(&self.key).copied().unwrap_or(0))
    }
}

/// Built from one stat of a summary: the output type of a stat field.
pub trait StatOutput: Sized {
    const KIND: StatKind;
    fn from_summary(summary: &Summary, column: &'static str) -> Self;
}

/// Statistics of a number field.
#[derive(SimpleObject)]
pub struct NumberStats {
    /// Rows with a value.
    pub count: i64,
    /// Rows without a value.
    pub missing: i64,
    /// Sum of the values; null when no row has one.
    pub sum: Option<Decimal>,
    /// Average of the values, rounded half-up to 6 decimals; null when no row has one.
    pub avg: Option<Decimal>,
    /// Smallest value.
    pub min: Option<Decimal>,
    /// Largest value.
    pub max: Option<Decimal>,
}

impl StatOutput for NumberStats {
    const KIND: StatKind = StatKind::Number;
    fn from_summary(summary: &Summary, column: &'static str) -> Self {
        let v = summary.values(column);
        let int = |s: Option<Scalar>| match s {
            Some(Scalar::Int(i)) => Some(Decimal(i.to_string())),
            _ => None,
        };
        NumberStats {
            count: v.count,
            missing: summary.count - v.count,
            sum: v.sum.map(|s| Decimal(s.to_string())),
            avg: v.sum.and_then(|s| average(s, v.count, 6)).map(Decimal),
            min: int(v.min),
            max: int(v.max),
        }
    }
}

/// `sum / count` rounded half away from zero to `digits` decimals; `None` without rows.
fn average(sum: i128, count: i64, digits: u32) -> Option<String> {
    let scaled = analytics::div_round(sum * 10i128.pow(digits), i128::from(count))?;
    Some(money::format_scaled(scaled, digits))
}

/// Statistics of a date field.
#[derive(SimpleObject)]
pub struct DateStats {
    /// Rows with a date.
    pub count: i64,
    /// Rows without a date.
    pub missing: i64,
    /// The earliest date.
    pub min: Option<Date>,
    /// The latest date.
    pub max: Option<Date>,
}

impl StatOutput for DateStats {
    const KIND: StatKind = StatKind::Date;
    fn from_summary(summary: &Summary, column: &'static str) -> Self {
        let v = summary.values(column);
        let day = |s: Option<Scalar>| match s {
            Some(Scalar::Day(d)) => Some(Date(d)),
            _ => None,
        };
        DateStats {
            count: v.count,
            missing: summary.count - v.count,
            min: day(v.min),
            max: day(v.max),
        }
    }
}

/// Statistics of a money field: how many rows have an amount, and per currency the sum,
/// average, smallest and largest. Amounts in different currencies are never added.
pub struct MoneyAggregate {
    summary: Summary,
    column: &'static str,
}

impl StatOutput for MoneyAggregate {
    const KIND: StatKind = StatKind::Money;
    fn from_summary(summary: &Summary, column: &'static str) -> Self {
        MoneyAggregate {
            summary: summary.clone(),
            column,
        }
    }
}

/// Statistics of a money field: how many rows have an amount, and per currency the sum,
/// average, smallest and largest. Amounts in different currencies are never added.
#[Object]
impl MoneyAggregate {
    /// Rows with an amount.
    async fn count(&self) -> i64 {
        self.summary.values(self.column).count
    }
    /// Rows without an amount (unknown amounts): sums leave them out.
    async fn missing(&self) -> i64 {
        self.summary.count - self.summary.values(self.column).count
    }
    /// The statistics per currency, in currency-code order.
    async fn by_currency(&self) -> super::Result<Vec<MoneyStats>> {
        let money = self.summary.frame.money().await?;
        let (Some(index), Some(currencies)) = (
            self.summary.index(self.column),
            money.get(&self.summary.key),
        ) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (currency, rows, values) in currencies {
            let Some(v) = values.get(index) else { continue };
            if v.count == 0 {
                continue;
            }
            let digits = money::minor_digits(currency)?;
            let int = |s: Option<Scalar>| match s {
                Some(Scalar::Int(i)) => Some(Money::new(i, currency)),
                _ => None,
            };
            out.push(MoneyStats {
                currency: currency.clone(),
                count: v.count,
                missing: rows - v.count,
                sum: v.sum.map(|s| Money::new(s, currency)),
                avg: v
                    .sum
                    .and_then(|s| analytics::div_round(s, i128::from(v.count)))
                    .map(|minor| Money::new(minor, currency)),
                min: int(v.min),
                max: int(v.max),
                minor_digits: digits as i32,
            });
        }
        Ok(out)
    }
}

/// Statistics of a money field in one currency.
#[derive(SimpleObject)]
pub struct MoneyStats {
    /// ISO 4217 code of every figure here.
    pub currency: String,
    /// Rows in this currency with an amount.
    pub count: i64,
    /// Rows in this currency without an amount.
    pub missing: i64,
    /// Exact sum.
    pub sum: Option<Money>,
    /// Average, rounded half-up to the currency's minor unit.
    pub avg: Option<Money>,
    /// Smallest amount.
    pub min: Option<Money>,
    /// Largest amount.
    pub max: Option<Money>,
    /// Decimal digits of the currency's minor unit (2 for USD).
    pub minor_digits: i32,
}

/// The value of one key of a group.
#[derive(SimpleObject, Clone)]
pub struct GroupKeyValue {
    /// The field grouped by, e.g. "INVESTOR_NAME".
    pub field: String,
    /// The time bucket of a date field, if one was asked for.
    pub bucket: Option<TimeBucket>,
    /// The value as text: a name, an enum value, a number, a date ("2025-06-30") or a
    /// bucket label ("2025", "2025-Q1", "2025-01"); null for rows without a value.
    pub value: Option<String>,
}

/// Aggregates over the rows of a connection (top-level or nested).
pub async fn aggregate<T: Aggregated>(scope: &Scope) -> Result<T::Aggregate> {
    let summary = match &scope.parent {
        None => {
            let frame = Arc::new(frame::<T>(scope, None, Vec::new()));
            summaries(&frame)
                .await?
                .into_iter()
                .next()
                .unwrap_or_else(|| Summary::empty(&frame, Vec::new()))
        }
        Some(parent) => {
            // The connection field's key: every sibling aggregates the same field.
            let key = format!("aggregate:{}", parent.key);
            let by_parent = parent
                .siblings
                .cache()
                .get_or_init(&key, || async {
                    let frame = Arc::new(frame::<T>(scope, Some(parent), Vec::new()));
                    let mut by_parent = HashMap::new();
                    for summary in summaries(&frame).await? {
                        if let Some(KeyValue::Int(p)) = summary.key.first() {
                            by_parent.insert(*p as i32, summary);
                        }
                    }
                    Ok((frame, by_parent))
                })
                .await?;
            let (frame, by_parent) = by_parent.as_ref();
            by_parent
                .get(&parent.id)
                .cloned()
                .unwrap_or_else(|| Summary::empty(frame, vec![KeyValue::Int(i64::from(parent.id))]))
        }
    };
    Ok(T::Aggregate::from(summary))
}

/// The summaries of every group of `frame` (one row without keys or parents).
async fn summaries(frame: &Arc<Frame>) -> Result<Vec<Summary>> {
    let rows = frame
        .run(|ids| {
            let mut outer = frame.outer(frame.inner(ids, &[]), &[]);
            add_summary_measures(&mut outer, frame.stats);
            outer
        })
        .await?;
    rows.iter().map(|row| Summary::read(row, frame)).collect()
}

fn frame<T: Aggregated>(scope: &Scope, parent: Option<&Parent>, keys: Vec<KeySql>) -> Frame {
    Frame {
        db: scope.db.clone(),
        table: scope.table,
        condition: Condition::clone(&scope.condition),
        parent: parent.map(|p| (p.column, p.siblings.ids())),
        keys,
        stats: T::STATS,
        currency: T::CURRENCY,
        cells: Cache::default(),
    }
}

/// The GraphQL name of any enum value.
fn gql_name<E: async_graphql::InputType>(value: E) -> String {
    match value.to_value() {
        async_graphql::Value::Enum(name) => name.to_string(),
        other => other.to_string(),
    }
}

/// The SQL of a group key, with its time bucket.
fn key_sql<T: Aggregated>(
    key: &GroupKey<T::Field>,
    index: usize,
    table: &'static str,
    backend: DbBackend,
) -> Result<KeySql> {
    let (name, expr, kind, _) = key.field.term();
    let field = gql_name(key.field);
    let Some(bucket) = key.bucket else {
        return Ok(KeySql {
            field,
            bucket: None,
            expr,
            kind,
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
    })
}

/// The label of a date's time bucket, the same text on both engines. A date known only to
/// a coarser precision than the bucket is labelled at its own precision.
fn bucket_expr(
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

/// An aggregate term of `having` or `orderBy`, as an inner column and an outer expression.
struct Term {
    inner: Option<Expr>,
    outer: Expr,
    /// How a compared value is read: a count, an integer, minor units of a currency, a date.
    value: TermValue,
}

#[derive(Clone)]
enum TermValue {
    Count,
    Int,
    Minor(String),
    Day,
    /// An average: `SUM(t) op v * COUNT(t)`, compared exactly.
    Average(Option<String>),
}

/// Checks an aggregate term and writes its SQL over inner column `alias`.
fn term_sql<T: Aggregated>(
    function: AggregateFunction,
    field: Option<T::Field>,
    currency: Option<&str>,
    alias: &str,
    path: &str,
    table: &'static str,
    backend: DbBackend,
) -> Result<Term> {
    let t = || Expr::col(Alias::new(alias));
    let Some(field) = field else {
        return match function {
            AggregateFunction::Count => Ok(Term {
                inner: None,
                outer: Expr::col(Asterisk).count(),
                value: TermValue::Count,
            }),
            _ => Err(Error::invalid(
                format!("{path}.field"),
                format!(
                    "{} needs a field; only COUNT counts rows without one",
                    gql_name(function)
                ),
            )),
        };
    };
    let (name, expr, kind, _) = field.term();
    let label = gql_name(field);
    let is_money = T::STATS
        .iter()
        .any(|s| s.column == name && s.kind == StatKind::Money);
    let inner = match (is_money, currency) {
        (true, Some(code)) => {
            money::minor_digits(code)
                .map_err(|e| Error::invalid(format!("{path}.currency"), e.to_string()))?;
            let currency_column = T::CURRENCY.unwrap_or("currency");
            // The code was checked against the ISO list, so it is safe to write inline:
            // a bound parameter here would differ between the inner and outer statements.
            custom(
                backend,
                &format!("CASE WHEN $1 = '{code}' THEN $2 END"),
                &[
                    Expr::col((Alias::new(table), Alias::new(currency_column))),
                    expr,
                ],
            )
        }
        (false, Some(_)) => {
            return Err(Error::invalid(
                format!("{path}.currency"),
                format!("{label} is not money: leave out the currency"),
            ));
        }
        (true, None)
            if !matches!(
                function,
                AggregateFunction::Count | AggregateFunction::CountDistinct
            ) =>
        {
            return Err(Error::invalid(
                format!("{path}.currency"),
                format!(
                    "{label} is money: give the currency, amounts in different currencies are never added or compared"
                ),
            ));
        }
        _ => expr,
    };
    let outer_of = |f: &str| custom(backend, f, &[t()]);
    let numeric = kind == KeyKind::Int;
    let value = |money_value: TermValue| {
        if is_money {
            money_value
        } else {
            TermValue::Int
        }
    };
    let minor = TermValue::Minor(currency.unwrap_or_default().to_string());
    let (outer, value) = match function {
        AggregateFunction::Count => (Func::count(t()).into(), TermValue::Count),
        AggregateFunction::CountDistinct => (Func::count_distinct(t()).into(), TermValue::Count),
        AggregateFunction::Sum if numeric => (outer_of("SUM($1)"), value(minor)),
        AggregateFunction::Avg if numeric => (
            outer_of("AVG($1)"),
            TermValue::Average(currency.map(str::to_string)),
        ),
        AggregateFunction::Min | AggregateFunction::Max if numeric || kind == KeyKind::Date => {
            let f = if function == AggregateFunction::Min {
                "MIN($1)"
            } else {
                "MAX($1)"
            };
            let value = if kind == KeyKind::Date {
                TermValue::Day
            } else {
                value(minor)
            };
            (outer_of(f), value)
        }
        _ => {
            return Err(Error::invalid(
                format!("{path}.function"),
                format!(
                    "{} does not apply to {label}: SUM and AVG need a number or money field, MIN and MAX a number, money or date field",
                    gql_name(function)
                ),
            ));
        }
    };
    Ok(Term {
        inner: Some(inner),
        outer,
        value,
    })
}

/// A compared value that must be a whole number.
fn whole_number(text: &str, path: &str) -> Result<i64> {
    text.parse::<i64>()
        .map_err(|_| Error::invalid(path, format!("{text:?} is not a whole number")))
}

impl TermValue {
    /// Reads a compared value given as text.
    fn parse(&self, text: &str, path: &str) -> Result<Expr> {
        let int = |text: &str| whole_number(text, path);
        Ok(match self {
            TermValue::Count | TermValue::Int => Expr::val(int(text)?),
            TermValue::Minor(currency) => Expr::val(money::parse_amount(text, currency, path)?),
            TermValue::Day => {
                Expr::val(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                    Error::invalid(
                        path,
                        format!("{text:?} is not a date such as \"2025-06-30\""),
                    )
                })?)
            }
            TermValue::Average(_) => {
                return Err(Error::Internal(
                    "averages are compared through their sums".into(),
                ));
            }
        })
    }
}

/// The `having` conditions as SQL over the outer statement, with the inner columns they need.
fn having_sql<T: Aggregated>(
    having: &[Having<T::Field>],
    inner: &mut Vec<(String, Expr)>,
    table: &'static str,
    backend: DbBackend,
) -> Result<Vec<Expr>> {
    let mut conditions = Vec::new();
    for (i, h) in having.iter().enumerate() {
        let path = format!("having[{i}]");
        let alias = format!("t{}", inner.len());
        let term = term_sql::<T>(
            h.function,
            h.field,
            h.currency.as_deref(),
            &alias,
            &path,
            table,
            backend,
        )?;
        if let Some(expr) = term.inner.clone() {
            inner.push((alias.clone(), expr));
        }
        let comparisons = [
            ("eq", &h.eq),
            ("ne", &h.ne),
            ("gt", &h.gt),
            ("gte", &h.gte),
            ("lt", &h.lt),
            ("lte", &h.lte),
        ];
        let mut any = false;
        for (op, value) in comparisons {
            let Some(text) = value else { continue };
            any = true;
            let value_path = format!("{path}.{op}");
            let (left, right) = match &term.value {
                TermValue::Average(currency) => {
                    // avg op v  <=>  SUM(t) op v * COUNT(t), exact in integers.
                    let v = match currency {
                        Some(code) => money::parse_amount(text, code, &value_path)?,
                        None => whole_number(text, &value_path)?,
                    };
                    let t = Expr::col(Alias::new(&alias));
                    (
                        Func::sum(t.clone()).into(),
                        Expr::cust(v.to_string()).mul(Func::count(t)),
                    )
                }
                value => (term.outer.clone(), value.parse(text, &value_path)?),
            };
            conditions.push(match op {
                "eq" => left.eq(right),
                "ne" => left.ne(right),
                "gt" => left.gt(right),
                "gte" => left.gte(right),
                "lt" => left.lt(right),
                _ => left.lte(right),
            });
        }
        if !any {
            return Err(Error::invalid(
                path,
                "give at least one comparison: eq, ne, gt, gte, lt or lte",
            ));
        }
    }
    Ok(conditions)
}

/// One term of the groups' ordering, over the outer statement.
struct OrderSql {
    expr: Expr,
    order: Order,
    nulls: NullOrdering,
}

fn order_sql<T: Aggregated>(
    order_by: &[GroupOrder<T::Field>],
    keys: &[KeySql],
    inner: &mut Vec<(String, Expr)>,
    table: &'static str,
    backend: DbBackend,
) -> Result<Vec<OrderSql>> {
    let key_expr = |i: usize| {
        let g = Expr::col(Alias::new(format!("g{i}")));
        if keys[i].kind == KeyKind::Text {
            bytewise(g, backend)
        } else {
            g
        }
    };
    let mut terms = Vec::new();
    for (i, o) in order_by.iter().enumerate() {
        let path = format!("orderBy[{i}]");
        let expr = match (o.key, o.function) {
            (Some(k), None) => {
                if o.field.is_some() || o.currency.is_some() {
                    return Err(Error::invalid(
                        path,
                        "order by a key or by an aggregate: `key` goes without `field` and `currency`",
                    ));
                }
                let k = usize::try_from(k)
                    .ok()
                    .filter(|k| *k < keys.len())
                    .ok_or_else(|| {
                        Error::invalid(
                            format!("{path}.key"),
                            format!("{k} is not a position in `by` (0 to {})", keys.len() - 1),
                        )
                    })?;
                key_expr(k)
            }
            (None, Some(function)) => {
                let alias = format!("t{}", inner.len());
                let term = term_sql::<T>(
                    function,
                    o.field,
                    o.currency.as_deref(),
                    &alias,
                    &path,
                    table,
                    backend,
                )?;
                if let Some(expr) = term.inner {
                    inner.push((alias, expr));
                }
                term.outer
            }
            _ => {
                return Err(Error::invalid(
                    path,
                    "give exactly one of `key` and `function`",
                ));
            }
        };
        terms.push(OrderSql {
            expr,
            order: match o.direction {
                OrderDirection::Asc => Order::Asc,
                OrderDirection::Desc => Order::Desc,
            },
            nulls: match o.nulls {
                NullsOrder::First => NullOrdering::First,
                NullsOrder::Last => NullOrdering::Last,
            },
        });
    }
    // The keys break every tie, so pages never overlap.
    for i in 0..keys.len() {
        terms.push(OrderSql {
            expr: key_expr(i),
            order: Order::Asc,
            nulls: NullOrdering::Last,
        });
    }
    Ok(terms)
}

/// A position in a list of groups: an offset, and a signature of the grouping it belongs to.
fn group_cursor(signature: u64, offset: usize) -> String {
    base64url_encode(format!("groups:{signature:x}:{offset}").as_bytes())
}

fn decode_group_cursor(text: &str, signature: u64) -> Result<usize> {
    let bad = || {
        Error::invalid(
            "after",
            "not a cursor of this grouping: cursors come from `edges.cursor` or `pageInfo.endCursor` of the same groupBy",
        )
    };
    let bytes = base64url_decode(text).ok_or_else(bad)?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = text.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("groups"), Some(sig), Some(offset), None) if sig == format!("{signature:x}") => {
            offset.parse().map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

/// One group: its key values and its aggregates.
pub struct Group<T> {
    keys: Vec<GroupKeyValue>,
    summary: Summary,
    _type: PhantomData<fn() -> T>,
}

impl<T: Aggregated> TypeName for Group<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Group", T::NAME).into()
    }
}

/// One group: its key values and its aggregates.
#[Object(name_type)]
impl<T: Aggregated> Group<T> {
    /// The values of the group's keys, in the order of `by`.
    async fn keys(&self) -> &[GroupKeyValue] {
        &self.keys
    }
    /// The aggregates over the group's rows.
    async fn aggregate(&self) -> T::Aggregate {
        T::Aggregate::from(self.summary.clone())
    }
}

/// A group with its cursor.
pub struct GroupEdge<T> {
    cursor: String,
    node: Group<T>,
}

impl<T: Aggregated> TypeName for GroupEdge<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}GroupEdge", T::NAME).into()
    }
}

/// A group with its cursor.
#[Object(name_type)]
impl<T: Aggregated> GroupEdge<T> {
    /// Opaque cursor of this group: pass it as `after` to page from here.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    /// The group.
    async fn node(&self) -> &Group<T> {
        &self.node
    }
}

/// A page of groups.
pub struct GroupConnection<T> {
    groups: Vec<(String, Vec<GroupKeyValue>, Summary)>,
    info: PageInfo,
    count: Counter,
    _type: PhantomData<fn() -> T>,
}

impl<T: Aggregated> TypeName for GroupConnection<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}GroupConnection", T::NAME).into()
    }
}

impl<T> GroupConnection<T> {
    fn group(&self, i: usize) -> Group<T> {
        let (_, keys, summary) = &self.groups[i];
        Group {
            keys: keys.clone(),
            summary: summary.clone(),
            _type: PhantomData,
        }
    }
}

/// A page of groups.
#[Object(name_type)]
impl<T: Aggregated> GroupConnection<T> {
    /// The groups of the page, each with its cursor.
    async fn edges(&self) -> Vec<GroupEdge<T>> {
        (0..self.groups.len())
            .map(|i| GroupEdge {
                cursor: self.groups[i].0.clone(),
                node: self.group(i),
            })
            .collect()
    }
    /// The groups of the page.
    async fn nodes(&self) -> Vec<Group<T>> {
        (0..self.groups.len()).map(|i| self.group(i)).collect()
    }
    /// Whether more groups follow, and the cursors of the page's ends.
    async fn page_info(&self) -> &PageInfo {
        &self.info
    }
    /// Number of groups in all pages together (after `having`); counted only when selected.
    async fn total_count(&self) -> super::Result<i64> {
        Ok((self.count)().await?)
    }
}

/// The rows of a connection grouped, one page of groups.
pub async fn group_by<T: Aggregated>(
    scope: &Scope,
    args: GroupArgs<T::Field>,
) -> Result<GroupConnection<T>> {
    let backend = scope.db.get_database_backend();
    if args.by.is_empty() || args.by.len() > MAX_GROUP_KEYS {
        return Err(Error::invalid(
            "by",
            format!("group by 1 to {MAX_GROUP_KEYS} keys"),
        ));
    }
    if args.having.len() + args.order_by.len() > MAX_GROUP_TERMS {
        return Err(Error::invalid(
            "having",
            format!("at most {MAX_GROUP_TERMS} `having` and `orderBy` terms together"),
        ));
    }
    let limit = match args.first {
        None => DEFAULT_GROUPS,
        Some(n) if n < 0 => return Err(Error::invalid("first", "must not be negative")),
        Some(n) if n as usize > MAX_GROUPS => {
            return Err(Error::invalid(
                "first",
                format!(
                    "{n} is more than the maximum of {MAX_GROUPS} groups a page: page with `after`"
                ),
            ));
        }
        Some(n) => n as usize,
    };
    let keys = args
        .by
        .iter()
        .enumerate()
        .map(|(i, k)| key_sql::<T>(k, i, scope.table, backend))
        .collect::<Result<Vec<_>>>()?;
    let mut extra = Vec::new();
    let having = having_sql::<T>(&args.having, &mut extra, scope.table, backend)?;
    let order = order_sql::<T>(&args.order_by, &keys, &mut extra, scope.table, backend)?;
    let signature = {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        format!("{:?}|{:?}|{:?}", args.by, args.having, args.order_by).hash(&mut hasher);
        hasher.finish()
    };
    let offset = args
        .after
        .as_deref()
        .map(|c| decode_group_cursor(c, signature))
        .transpose()?
        .map_or(0, |o| o + 1);
    let plan = Arc::new(GroupPlan {
        keys,
        extra,
        having,
        order,
        limit,
        offset,
        signature,
    });
    match &scope.parent {
        None => {
            let frame = Arc::new(frame::<T>(scope, None, plan.keys.clone()));
            let page = load_groups(&frame, &plan).await?;
            let (groups, info) = page.for_parent(None, &plan);
            let count_frame = frame.clone();
            let count_plan = plan.clone();
            let count: Counter = Arc::new(move || {
                let (frame, plan) = (count_frame.clone(), count_plan.clone());
                Box::pin(async move {
                    let counts = count_groups(&frame, &plan).await?;
                    Ok(counts.get(&None).copied().unwrap_or(0))
                })
            });
            Ok(GroupConnection {
                groups,
                info,
                count,
                _type: PhantomData,
            })
        }
        Some(parent) => {
            let key = format!(
                "groups:{}|{signature:x}|{}|{}",
                parent.key, plan.limit, plan.offset
            );
            let loaded = parent
                .siblings
                .cache()
                .get_or_init(&key, || async {
                    let frame = Arc::new(frame::<T>(scope, Some(parent), plan.keys.clone()));
                    let page = load_groups(&frame, &plan).await?;
                    Ok((frame, page))
                })
                .await?;
            let (frame, page) = loaded.as_ref();
            let (groups, info) = page.for_parent(Some(parent.id), &plan);
            let (count_frame, count_plan, id) = (frame.clone(), plan.clone(), parent.id);
            let count: Counter = Arc::new(move || {
                let (frame, plan) = (count_frame.clone(), count_plan.clone());
                Box::pin(async move {
                    let counts = frame
                        .cached("group-count", || count_groups(&frame, &plan))
                        .await?;
                    Ok(counts.get(&Some(id)).copied().unwrap_or(0))
                })
            });
            Ok(GroupConnection {
                groups,
                info,
                count,
                _type: PhantomData,
            })
        }
    }
}

/// A checked `groupBy`: its keys, terms, and the page asked for.
struct GroupPlan {
    keys: Vec<KeySql>,
    extra: Vec<(String, Expr)>,
    having: Vec<Expr>,
    order: Vec<OrderSql>,
    limit: usize,
    offset: usize,
    signature: u64,
}

/// Groups loaded for a page, per parent (one entry, `None`, for a top-level list).
struct GroupPage {
    by_parent: HashMap<Option<i32>, Vec<Summary>>,
}

impl GroupPage {
    fn for_parent(
        &self,
        parent: Option<i32>,
        plan: &GroupPlan,
    ) -> (Vec<(String, Vec<GroupKeyValue>, Summary)>, PageInfo) {
        let summaries = self
            .by_parent
            .get(&parent)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let more = summaries.len() > plan.limit;
        let skip = usize::from(parent.is_some());
        let groups: Vec<_> = summaries
            .iter()
            .take(plan.limit)
            .enumerate()
            .map(|(i, summary)| {
                let keys = plan
                    .keys
                    .iter()
                    .zip(summary.key.iter().skip(skip))
                    .map(|(k, v)| GroupKeyValue {
                        field: k.field.clone(),
                        bucket: k.bucket,
                        value: match v {
                            KeyValue::Null => None,
                            KeyValue::Int(i) => Some(i.to_string()),
                            KeyValue::Bool(b) => Some(b.to_string()),
                            KeyValue::Text(t) => Some(t.clone()),
                        },
                    })
                    .collect();
                (
                    group_cursor(plan.signature, plan.offset + i),
                    keys,
                    summary.clone(),
                )
            })
            .collect();
        let info = PageInfo {
            has_next_page: more,
            has_previous_page: plan.offset > 0,
            start_cursor: groups.first().map(|g| EndCursor::Text(g.0.clone())),
            end_cursor: groups.last().map(|g| EndCursor::Text(g.0.clone())),
        };
        (groups, info)
    }
}

/// The grouped statement, before ordering and paging.
fn grouped(frame: &Frame, plan: &GroupPlan, ids: Option<&[i32]>) -> SelectStatement {
    let mut outer = frame.outer(frame.inner(ids, &plan.extra), &[]);
    add_summary_measures(&mut outer, frame.stats);
    for condition in &plan.having {
        outer.and_having(condition.clone());
    }
    outer
}

async fn load_groups(frame: &Arc<Frame>, plan: &GroupPlan) -> Result<GroupPage> {
    let rows = frame
        .run(|ids| {
            let mut outer = grouped(frame, plan, ids);
            if frame.parent.is_none() {
                for term in &plan.order {
                    outer.order_by_expr_with_nulls(
                        term.expr.clone(),
                        term.order.clone(),
                        term.nulls,
                    );
                }
                outer.limit(plan.limit as u64 + 1);
                outer.offset(plan.offset as u64);
                return outer;
            }
            let mut window = WindowStatement::partition_by(Alias::new("p"));
            for term in &plan.order {
                window.order_by_expr_with_nulls(term.expr.clone(), term.order.clone(), term.nulls);
            }
            outer.expr_window_as(Expr::cust("ROW_NUMBER()"), window, Alias::new("group_row"));
            let row = Expr::col(Alias::new("group_row"));
            Query::select()
                .column(Asterisk)
                .from_subquery(outer, Alias::new("paged"))
                .and_where(row.clone().gt(plan.offset as i64))
                .and_where(row.lte((plan.offset + plan.limit + 1) as i64))
                .order_by(Alias::new("p"), Order::Asc)
                .order_by(Alias::new("group_row"), Order::Asc)
                .to_owned()
        })
        .await?;
    let mut by_parent: HashMap<Option<i32>, Vec<Summary>> = HashMap::new();
    for row in &rows {
        let summary = Summary::read(row, frame)?;
        let parent = match (frame.parent.is_some(), summary.key.first()) {
            (true, Some(KeyValue::Int(p))) => Some(*p as i32),
            _ => None,
        };
        by_parent.entry(parent).or_default().push(summary);
    }
    Ok(GroupPage { by_parent })
}

async fn count_groups(frame: &Frame, plan: &GroupPlan) -> Result<HashMap<Option<i32>, i64>> {
    let rows = frame
        .run(|ids| {
            let grouped = grouped(frame, plan, ids);
            let mut count = Query::select();
            count.from_subquery(grouped, Alias::new("groups"));
            if frame.parent.is_some() {
                count.column(Alias::new("p")).group_by_col(Alias::new("p"));
            }
            count.expr_as(Expr::col(Asterisk).count(), Alias::new("n"));
            count
        })
        .await?;
    let mut counts = HashMap::new();
    for row in rows {
        let parent = if frame.parent.is_some() {
            Some(row.try_get::<i64>("", "p")? as i32)
        } else {
            None
        };
        counts.insert(parent, row.try_get::<i64>("", "n")?);
    }
    Ok(counts)
}

/// `Some(x)` when given an expression, `None` when not: for optional macro arguments.
#[macro_export]
#[doc(hidden)]
macro_rules! __optional {
    () => {
        None
    };
    ($x:expr) => {
        Some($x)
    };
}

/// Declares a type's aggregate object and the columns it reports on.
macro_rules! aggregates {
    (
        $(#[$meta:meta])*
        $name:ident for $node:ident ($field_enum:ty, currency: $currency:expr) {
            $( $(#[$fmeta:meta])* $field:ident: $out:ident($column:literal $(, precision = $precision:literal)?), )*
        }
    ) => {
        $(#[$meta])*
        pub struct $name($crate::graphql::aggregates::Summary);

        impl From<$crate::graphql::aggregates::Summary> for $name {
            fn from(summary: $crate::graphql::aggregates::Summary) -> Self {
                $name(summary)
            }
        }

        $(#[$meta])*
        #[async_graphql::Object]
        impl $name {
            /// Number of rows.
            async fn count(&self) -> i64 {
                self.0.count()
            }
            /// Number of distinct non-null values of a field.
            async fn count_distinct(
                &self,
                #[graphql(desc = "The field whose distinct values are counted.")] field: $field_enum,
            ) -> $crate::graphql::Result<i64> {
                Ok(self.0.count_distinct(field).await?)
            }
            $(
                $(#[$fmeta])*
                async fn $field(&self) -> $crate::graphql::aggregates::$out {
                    <$crate::graphql::aggregates::$out as $crate::graphql::aggregates::StatOutput>::from_summary(&self.0, $column)
                }
            )*
        }

        impl $crate::graphql::aggregates::Aggregated for $node {
            type Field = $field_enum;
            type Aggregate = $name;
            const STATS: &'static [$crate::graphql::aggregates::Stat] = &[
                $($crate::graphql::aggregates::Stat {
                    column: $column,
                    kind: <$crate::graphql::aggregates::$out as $crate::graphql::aggregates::StatOutput>::KIND,
                    precision: $crate::__optional!($($precision)?),
                },)*
            ];
            const CURRENCY: Option<&'static str> = $currency;
        }
    };
}
pub(crate) use aggregates;
