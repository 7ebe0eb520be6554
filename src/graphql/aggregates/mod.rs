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
//! thus written once, and PostgreSQL never has to match a repeated expression in `GROUP BY`.
//! A related company's name is read through a join of the inner statement (`INNER` for a
//! required key, `LEFT` otherwise), one per relation used by the keys and terms (see
//! `data::sql::Relation`), not a subquery per row.
//!
//! Sums are exact: SQLite's integer `SUM` fails on overflow, so every sum is taken in two
//! parts (the value divided by 10^9, and the remainder) that fit 64 bits for a billion rows,
//! and the parts are recombined in 128 bits.
//!
//! The parts: `inputs` (the `groupBy` arguments), `frame` (the inner statement and the
//! measures over it), `stats` (what is read back and the output objects), `terms`
//! (`having` and `orderBy` as SQL), `groups` (group-by as a paged connection),
//! `by_currency` (statistics grouped by currency too and merged per group); here, the
//! scope, the [`Aggregated`] trait, `aggregate` and the `aggregates!` macro that gives a
//! type its aggregate object.

mod by_currency;
mod frame;
mod groups;
mod inputs;
mod measures;
mod stats;
mod terms;

pub use crate::data::lists::{Parent, Scope};
pub use groups::{Group, GroupConnection, GroupEdge, group_by};
pub use inputs::{AggregateFunction, GroupArgs, GroupKey, GroupOrder, Having, TimeBucket};
pub use measures::{Measures, aggregate_measures, group_measures};
pub use stats::{
    DateStats, GroupKeyValue, MoneyAggregate, MoneyStats, NumberStats, StatOutput, Summary,
};

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::OutputType;

use self::by_currency::{Merged, add_part_measures};
use self::frame::{Frame, add_summary_measures, frame};
use super::lists::{GqlNode, OrderField};
use crate::data::paging::KeyValue;
use crate::error::Result;

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
    /// The field's name as declared (snake case: `made_on` for `madeOn`).
    pub name: &'static str,
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

/// Aggregates over the rows of a connection (top-level or nested), computing the
/// statistics in `measures` (and the row count).
pub async fn aggregate<T: Aggregated>(scope: &Scope, measures: Measures) -> Result<T::Aggregate> {
    let summary = match &scope.parent {
        None => {
            let frame = Arc::new(frame::<T>(scope, None, Vec::new(), measures));
            summaries(&frame)
                .await?
                .into_iter()
                .next()
                .unwrap_or_else(|| Summary::empty(&frame, Vec::new()))
        }
        Some(parent) => {
            // The connection field's key: every sibling aggregates the same field (an
            // aggregate under another alias may select other statistics).
            let key = format!("aggregate:{}:{}", parent.key, measures.key());
            let by_parent = parent
                .siblings
                .cache()
                .get_or_init(&key, || async {
                    let frame = Arc::new(frame::<T>(scope, Some(parent), Vec::new(), measures));
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
    if frame.has_currency() && frame.measures.per_currency(frame.stats) {
        return summaries_by_currency(frame).await;
    }
    let rows = frame
        .run(|ids| {
            let mut outer = frame.outer(frame.inner(ids, &[]), &[]);
            add_summary_measures(&mut outer, frame);
            outer
        })
        .await?;
    rows.iter().map(|row| Summary::read(row, frame)).collect()
}

/// The summaries of every group of `frame`, and their money per currency, from one
/// statement grouped by the parent and the currency: a group's statistics are those of its
/// currencies merged (counts and sums add up, minimums and maximums compare), so that
/// `byCurrency` costs no second scan. (Grouping by a handful of currencies costs about what
/// the plain aggregate does: see "byCurrency in the aggregate's statement" in BENCHMARKS.md.)
async fn summaries_by_currency(frame: &Arc<Frame>) -> Result<Vec<Summary>> {
    let rows = frame
        .run(|ids| {
            let mut outer = frame.outer(frame.inner(ids, &[]), &["cur"]);
            add_part_measures(&mut outer, frame);
            outer
        })
        .await?;
    let mut merged = Merged::default();
    for row in &rows {
        merged.add(frame, row)?;
    }
    merged.finish(frame).await
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

        impl $crate::graphql::live_analytics::Unchanged for $name {
            fn unchanged<'a>(
                &'a self,
                previous: &'a Self,
            ) -> async_graphql::futures_util::future::BoxFuture<'a, bool> {
                Box::pin(async move { self.0.same_as(&previous.0).await.unwrap_or(false) })
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
                    name: stringify!($field),
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
