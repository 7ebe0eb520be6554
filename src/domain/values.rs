//! The domain's rules on single values: required and bounded texts, dates and their
//! precision, amounts and their bounds, periods, percentages, citations' quotes. Every
//! write path (seed, dataset import, CSV import and its bulk path, mutations) reaches them
//! through [`super::rows`].

use chrono::{Datelike, NaiveDate};
use entity::enums::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money;

/// The longest texts the schema stores, in characters.
pub mod limits {
    /// Names of companies, people, models and projects; a source's publisher.
    pub const NAME: usize = 200;
    /// A fact's `ref` and a source's `key`.
    pub const REF: usize = 100;
    /// A stock ticker.
    pub const TICKER: usize = 16;
    /// A source's title.
    pub const TITLE: usize = 500;
    /// A source's address (URL).
    pub const ADDRESS: usize = 2000;
    /// An event's name.
    pub const EVENT_NAME: usize = 300;
    /// A spending figure's focus; a person's title; a headquarters city; an expectation's holder.
    pub const SHORT: usize = 200;
    /// Descriptions, remarks, a claim's statement, a challenge's description.
    pub const DESCRIPTION: usize = 5000;
    /// A citation's quote.
    pub const QUOTE: usize = 2000;
    /// A source's whole text.
    pub const CONTENT: usize = 200_000;
    /// Rows in one batch mutation.
    pub const BATCH: usize = 1000;
}

/// A date and how precisely it is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRec {
    pub date: NaiveDate,
    pub precision: DatePrecision,
}

/// An amount in major units as a decimal string, with its ISO 4217 currency.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountRec {
    pub amount: String,
    pub currency: String,
}

/// The period a spending figure covers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PeriodRec {
    pub kind: PeriodKind,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub quarter: Option<i32>,
    #[serde(default)]
    pub start: Option<NaiveDate>,
    #[serde(default)]
    pub end: Option<NaiveDate>,
    #[serde(default)]
    pub years: Option<i32>,
}

/// The whole and decimal digits of an unsigned decimal number ("29", "3.5") with at most
/// `max_decimals` decimals; `None` for anything else ("", ".5", "5.", "1e3").
pub fn decimal(text: &str, max_decimals: usize) -> Option<(&str, &str)> {
    let (whole, decimals) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let valid = !whole.is_empty()
        && decimals.len() <= max_decimals
        && !(text.contains('.') && decimals.is_empty())
        && digits(whole)
        && digits(decimals);
    valid.then_some((whole, decimals))
}

/// A percentage with at most two decimals ("29", "-3.5") in basis points, above -100%.
pub fn percent_to_bp(field: &str, text: &str) -> Result<i32> {
    let bad = || {
        Error::invalid(
            field,
            format!(
                "{text:?} is not a percentage above -100 with at most two decimals, such as \"29\""
            ),
        )
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = decimal(digits, 2).ok_or_else(bad)?;
    let whole: i32 = whole.parse().map_err(|_| bad())?;
    let fraction: i32 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let bp = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(bad)?;
    let bp = if negative { -bp } else { bp };
    if bp <= -10_000 {
        return Err(bad());
    }
    Ok(bp)
}

/// A required text: not blank, at most `max` characters.
pub fn text(at: &str, value: &str, max: usize) -> Result<String> {
    if value.trim().is_empty() {
        return Err(Error::invalid(at, "must not be empty"));
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(Error::invalid(
            at,
            format!("{chars} characters: at most {max}"),
        ));
    }
    Ok(value.to_string())
}

/// An optional text: absent, or as [`text`] (a blank text is refused: leave it out).
pub fn opt_text(at: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    value.map(|v| text(at, v, max)).transpose()
}

/// A currency code: one of the ISO 4217 codes the service knows.
pub fn currency(at: &str, code: &str) -> Result<String> {
    money::minor_digits(code).map_err(|_| {
        Error::invalid(
            at,
            format!("{code:?} is not a supported ISO 4217 currency code"),
        )
    })?;
    Ok(code.to_string())
}

/// Money as minor units and its currency; errors name `{at}.amount` or `{at}.currency`.
pub fn amount(at: &str, value: Option<&AmountRec>) -> Result<(Option<i64>, Option<String>)> {
    let Some(a) = value else {
        return Ok((None, None));
    };
    let code = currency(&format!("{at}.currency"), &a.currency)?;
    let minor = money::parse_amount(&a.amount, &code, &format!("{at}.amount"))?;
    Ok((Some(minor), Some(code)))
}

/// An ISO 3166 country code of two capital letters.
pub fn country(at: &str, value: Option<&str>) -> Result<Option<String>> {
    match value {
        Some(c) if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) => Err(
            Error::invalid(at, "must be an ISO 3166 code of two capital letters"),
        ),
        other => Ok(other.map(str::to_string)),
    }
}

/// A citation's quote: not blank, within [`limits::QUOTE`], and verbatim in the source's
/// text when the source has one (`key` names the source in the message).
pub fn quote(at: &str, quote: &str, key: &str, content: Option<&str>) -> Result<String> {
    let quote = text(at, quote, limits::QUOTE)?;
    if let Some(content) = content
        && !content.contains(quote.as_str())
    {
        return Err(Error::invalid(
            at,
            format!("does not appear verbatim in source {key:?}"),
        ));
    }
    Ok(quote)
}

/// A fact needs at least one citation; `at` is the row's citations field.
pub fn cited(at: &str, fact: bool, citations: usize) -> Result<()> {
    if fact && citations == 0 {
        return Err(Error::invalid(
            at,
            "a fact needs at least one citation of a source",
        ));
    }
    Ok(())
}

pub fn check_date(field: &str, date: &DateRec) -> Result<()> {
    let d = date.date;
    let ok = match date.precision {
        DatePrecision::Day => true,
        DatePrecision::Month => d.day() == 1,
        DatePrecision::Quarter => d.day() == 1 && d.month0().is_multiple_of(3),
        DatePrecision::Year => d.day() == 1 && d.month() == 1,
    };
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "{d} is not the first day of its {:?}: a date known to the {:?} starts that span",
                date.precision, date.precision
            ),
        ));
    }
    Ok(())
}

/// A date and its precision, the date agreeing with the precision.
pub fn date(
    at: &str,
    value: Option<&DateRec>,
) -> Result<(Option<NaiveDate>, Option<DatePrecision>)> {
    match value {
        None => Ok((None, None)),
        Some(d) => {
            check_date(at, d)?;
            Ok((Some(d.date), Some(d.precision)))
        }
    }
}

pub fn check_bound(
    field: &str,
    bound: AmountBound,
    low: Option<i64>,
    high: Option<i64>,
) -> Result<()> {
    let ok = match bound {
        AmountBound::Exact => low.is_some() && low == high,
        AmountBound::Range => matches!((low, high), (Some(l), Some(h)) if l <= h),
        AmountBound::MoreThan | AmountBound::AtLeast => low.is_some() && high.is_none(),
        AmountBound::LessThan | AmountBound::AtMost => low.is_none() && high.is_some(),
    };
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "{bound:?} needs: EXACT low = high; RANGE low <= high; MORE_THAN/AT_LEAST low only; LESS_THAN/AT_MOST high only"
            ),
        ));
    }
    Ok(())
}

pub fn check_period(field: &str, p: &PeriodRec) -> Result<()> {
    let ok = match p.kind {
        PeriodKind::Quarter => p.year.is_some() && matches!(p.quarter, Some(1..=4)),
        PeriodKind::CalendarYear => p.year.is_some(),
        PeriodKind::FiscalYear => p.year.is_some() && p.end.is_some(),
        PeriodKind::MultiYear => matches!(p.years, Some(y) if y > 0),
        PeriodKind::Unspecified => true,
    };
    if !ok {
        return Err(Error::invalid(
            field,
            "QUARTER needs year and quarter 1-4; CALENDAR_YEAR a year; FISCAL_YEAR a year and its end; MULTI_YEAR a positive number of years",
        ));
    }
    if let (Some(start), Some(end)) = (p.start, p.end)
        && start > end
    {
        return Err(Error::invalid(
            format!("{field}.end"),
            format!("{end} is before the start {start}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_date_at_month_precision_must_be_the_first_of_the_month() {
        let d = |s: &str, p| DateRec {
            date: NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date"),
            precision: p,
        };
        assert!(check_date("f", &d("2025-01-01", DatePrecision::Month)).is_ok());
        assert!(check_date("f", &d("2025-01-15", DatePrecision::Month)).is_err());
        assert!(check_date("f", &d("2025-04-01", DatePrecision::Quarter)).is_ok());
        assert!(check_date("f", &d("2025-05-01", DatePrecision::Quarter)).is_err());
        assert!(check_date("f", &d("2025-02-01", DatePrecision::Year)).is_err());
    }

    #[test]
    fn bounds_must_match_their_kind() {
        assert!(check_bound("b", AmountBound::Exact, Some(1), Some(1)).is_ok());
        assert!(check_bound("b", AmountBound::Exact, Some(1), Some(2)).is_err());
        assert!(check_bound("b", AmountBound::Range, Some(65), Some(60)).is_err());
        assert!(check_bound("b", AmountBound::MoreThan, Some(100), None).is_ok());
        assert!(check_bound("b", AmountBound::MoreThan, Some(100), Some(200)).is_err());
    }
}
