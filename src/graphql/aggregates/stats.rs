//! What an aggregate reports: the statistics read from the database (`Summary`) and the
//! output objects built from them (numbers, dates, money per currency, group keys).

use std::sync::Arc;

use async_graphql::{Object, SimpleObject};
use sea_orm::QueryResult;

use super::StatKind;
use super::frame::{Frame, Scalar, StatValues, read_stat};
use super::inputs::TimeBucket;
use crate::data::paging::KeyValue;
use crate::error::Result;
use crate::graphql::common::{Date, Decimal, Money};
use crate::graphql::lists::OrderField;
use crate::{analytics, money};

/// The aggregates of one group (or of a whole list): computed with the group, or lazily
/// for all groups of its frame at once.
#[derive(Clone)]
pub struct Summary {
    count: i64,
    stats: Vec<StatValues>,
    pub(super) key: Vec<KeyValue>,
    frame: Arc<Frame>,
}

impl Summary {
    pub(super) fn read(row: &QueryResult, frame: &Arc<Frame>) -> Result<Summary> {
        let mut stats = Vec::with_capacity(frame.stats.len());
        for (i, stat) in frame.stats.iter().enumerate() {
            stats.push(read_stat(row, i, stat.kind, frame)?);
        }
        Ok(Summary {
            count: row.try_get("", "n")?,
            stats,
            key: frame.read_key(row)?,
            frame: frame.clone(),
        })
    }

    pub(super) fn new(
        frame: &Arc<Frame>,
        key: Vec<KeyValue>,
        count: i64,
        stats: Vec<StatValues>,
    ) -> Summary {
        Summary {
            count,
            stats,
            key,
            frame: frame.clone(),
        }
    }

    pub(super) fn empty(frame: &Arc<Frame>, key: Vec<KeyValue>) -> Summary {
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

    /// Whether this summary reads the same as `previous` (a live result computed again):
    /// the same count and statistics, the same money per currency, and the same distinct
    /// counts for every field whose distinct count was asked of `previous` (those are
    /// computed lazily, when a subscriber selects them: they are computed here for this
    /// summary too, in its frame's cache, where its subscribers would find them).
    pub async fn same_as(&self, previous: &Summary) -> Result<bool> {
        if self.count != previous.count || self.stats != previous.stats || self.key != previous.key
        {
            return Ok(false);
        }
        if self.frame.has_currency()
            && self.frame.money().await?.get(&self.key)
                != previous.frame.money().await?.get(&previous.key)
        {
            return Ok(false);
        }
        for term in previous.frame.distinct_terms() {
            let now = self.frame.distinct(term.clone()).await?;
            let before = previous.frame.distinct(term).await?;
            if now.get(&self.key) != before.get(&previous.key) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Number of distinct non-null values of a field.
    pub async fn count_distinct<F: OrderField>(&self, field: F) -> Result<i64> {
        let counts = self.frame.distinct(field.term()).await?;
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
pub(super) fn average(sum: i128, count: i64, digits: u32) -> Option<String> {
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
    async fn by_currency(&self) -> crate::graphql::Result<Vec<MoneyStats>> {
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
