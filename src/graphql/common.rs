//! Scalars and value types shared by every domain: exact decimals, money, and dates that
//! carry their precision.

use async_graphql::{
    InputValueError, InputValueResult, Object, Scalar, ScalarType, SimpleObject, Value,
};
use chrono::{Datelike, NaiveDate};
use entity::enums::{AmountBound, DatePrecision};

use crate::money;

/// An exact decimal number, written as a JSON string so that no client parses it into a
/// floating-point number: an optional `-`, one or more digits, and optionally `.` followed
/// by one or more digits. No exponent, no grouping. Money amounts always have exactly as
/// many decimals as their currency's minor unit (two for USD): "26300000000.00".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(pub String);

fn is_decimal(text: &str) -> bool {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (body, None),
    };
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// An exact decimal number, written as a JSON string so that no client parses it into a
/// floating-point number: an optional `-`, one or more digits, and optionally `.` followed
/// by one or more digits. No exponent, no grouping. Money amounts always have exactly as
/// many decimals as their currency's minor unit (two for USD): "26300000000.00".
#[Scalar(name = "Decimal", specified_by_url = "/scalars/decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) if is_decimal(&text) => Ok(Decimal(text)),
            Value::String(text) => Err(InputValueError::custom(format!(
                "{text:?} is not a decimal such as \"26300000000.00\""
            ))),
            _ => Err(InputValueError::custom(
                "decimals are written as strings, such as \"26300000000.00\", never as numbers",
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

/// A calendar date in ISO 8601 form, "2025-06-30". Where only the month, quarter or year
/// is known, the date is the first day of that span and a `DatePrecision` says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar date in ISO 8601 form, "2025-06-30". Where only the month, quarter or year
/// is known, the date is the first day of that span and a `DatePrecision` says so.
#[Scalar(name = "Date", specified_by_url = "/scalars/date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| {
                    InputValueError::custom(format!(
                        "{text:?} is not a date such as \"2025-06-30\""
                    ))
                }),
            _ => Err(InputValueError::custom(
                "dates are strings such as \"2025-06-30\"",
            )),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// A date is stored, and compares in a filter, as the calendar date it holds.
impl From<Date> for sea_orm::Value {
    fn from(date: Date) -> Self {
        date.0.into()
    }
}

/// An exact amount of money in one currency.
#[derive(Debug, Clone)]
pub struct Money {
    pub minor: i128,
    pub currency: String,
}

impl Money {
    pub fn new(minor: impl Into<i128>, currency: &str) -> Self {
        Money {
            minor: minor.into(),
            currency: currency.to_owned(),
        }
    }

    /// Money from a nullable amount and currency pair; null when either is missing.
    pub fn from_parts(minor: Option<i64>, currency: Option<&str>) -> Option<Self> {
        Some(Money::new(minor?, currency?))
    }
}

/// An exact amount of money in one currency.
#[Object(serial)]
impl Money {
    /// The amount in major units (dollars for USD) with exactly the currency's minor digits, e.g. "26300000000.00".
    async fn amount(&self) -> Decimal {
        Decimal(money::format_scaled(
            self.minor,
            money::minor_digits(&self.currency).unwrap_or(2),
        ))
    }

    /// The ISO 4217 currency code, e.g. "USD".
    async fn currency(&self) -> &str {
        &self.currency
    }

    /// The amount as an integer count of the currency's minor unit (cents for USD), e.g. "2630000000000".
    async fn minor_units(&self) -> Decimal {
        Decimal(self.minor.to_string())
    }
}

/// An amount known as a point, a range, or a bound ("more than $100 billion").
#[derive(Debug, Clone)]
pub struct MoneyRange {
    pub bound: AmountBound,
    pub low: Option<i64>,
    pub high: Option<i64>,
    pub currency: String,
}

/// An amount known as a point, a range, or a bound ("more than $100 billion").
#[Object]
impl MoneyRange {
    /// How the amount is bounded: EXACT (low = high), RANGE, MORE_THAN, AT_LEAST, LESS_THAN or AT_MOST.
    async fn bound(&self) -> AmountBound {
        self.bound
    }

    /// The lower end (the value itself when EXACT, the bound when MORE_THAN or AT_LEAST); null when there is none.
    async fn low(&self) -> Option<Money> {
        self.low.map(|v| Money::new(v, &self.currency))
    }

    /// The upper end (the value itself when EXACT); null when the amount has no upper bound.
    async fn high(&self) -> Option<Money> {
        self.high.map(|v| Money::new(v, &self.currency))
    }

    /// The ISO 4217 currency code of both ends.
    async fn currency(&self) -> &str {
        &self.currency
    }

    /// The amount in words, e.g. "between 60000000000.00 and 65000000000.00 USD".
    async fn text(&self) -> String {
        self.words()
    }
}

impl MoneyRange {
    /// The amount in words, e.g. "more than 100000000000.00 USD".
    pub fn words(&self) -> String {
        let fmt = |v: Option<i64>| {
            v.map(|v| money::format_amount(v, &self.currency))
                .unwrap_or_else(|| "?".into())
        };
        let (low, high, cur) = (fmt(self.low), fmt(self.high), &self.currency);
        match self.bound {
            AmountBound::Exact => format!("{low} {cur}"),
            AmountBound::Range => format!("between {low} and {high} {cur}"),
            AmountBound::MoreThan => format!("more than {low} {cur}"),
            AmountBound::AtLeast => format!("at least {low} {cur}"),
            AmountBound::LessThan => format!("less than {high} {cur}"),
            AmountBound::AtMost => format!("at most {high} {cur}"),
        }
    }

    /// The amount of a spending figure.
    pub fn of_figure(f: &entity::spending_figure::Model) -> Self {
        MoneyRange {
            bound: f.bound,
            low: f.amount_low_minor,
            high: f.amount_high_minor,
            currency: f.currency.clone(),
        }
    }
}

/// A date together with how precisely it is known.
#[derive(Debug, Clone, SimpleObject)]
pub struct DateValue {
    /// The date; the first day of the span when only a month, quarter or year is known.
    pub date: Date,
    /// How precisely the date is known.
    pub precision: DatePrecision,
    /// The date written at its precision: "2025-01-15", "2025-01", "2025-Q1" or "2025".
    pub text: String,
}

/// A `DateValue` from a nullable date and precision (DAY when the precision is missing).
pub fn date_value(date: Option<NaiveDate>, precision: Option<DatePrecision>) -> Option<DateValue> {
    let date = date?;
    let precision = precision.unwrap_or(DatePrecision::Day);
    let text = match precision {
        DatePrecision::Day => date.format("%Y-%m-%d").to_string(),
        DatePrecision::Month => date.format("%Y-%m").to_string(),
        DatePrecision::Quarter => format!("{}-Q{}", date.year(), date.month0() / 3 + 1),
        DatePrecision::Year => date.year().to_string(),
    };
    Some(DateValue {
        date: Date(date),
        precision,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_plain_decimals() {
        for good in ["0", "26300000000.00", "-5.6", "5"] {
            assert!(is_decimal(good), "{good}");
        }
        for bad in ["", "-", "1e9", "1,000", ".5", "5.", "+1", "1.2.3"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn writes_dates_at_their_precision() {
        let d = NaiveDate::from_ymd_opt(2025, 4, 1);
        let text = |p| date_value(d, Some(p)).map(|v| v.text);
        assert_eq!(text(DatePrecision::Day).as_deref(), Some("2025-04-01"));
        assert_eq!(text(DatePrecision::Month).as_deref(), Some("2025-04"));
        assert_eq!(text(DatePrecision::Quarter).as_deref(), Some("2025-Q2"));
        assert_eq!(text(DatePrecision::Year).as_deref(), Some("2025"));
    }
}
