//! The domain's rules on single values, shared by the loader, the CSV import and the
//! mutations: required and bounded texts, dates and their precision, amounts and their
//! bounds, periods, percentages.

use chrono::{Datelike, NaiveDate};
use entity::enums::*;

use super::records::{AmountRec, DateRec, PeriodRec};
use crate::error::{Error, Result};
use crate::money;

/// A percentage with at most two decimals ("29", "-3.5") in basis points, above -100%.
pub(crate) fn percent_to_bp(field: &str, text: &str) -> Result<i32> {
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
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || (digits.contains('.') && fraction.is_empty())
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
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

pub(crate) fn required(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    Ok(())
}

/// A text that must fit its column: at most `max` characters (the schema's limit).
pub(super) fn within(field: &str, value: &str, max: usize) -> Result<()> {
    let chars = value.chars().count();
    if chars > max {
        return Err(Error::invalid(
            field,
            format!("{chars} characters: at most {max}"),
        ));
    }
    Ok(())
}

/// A required text that must fit its column.
pub(super) fn required_within(field: &str, value: &str, max: usize) -> Result<()> {
    required(field, value)?;
    within(field, value, max)
}

/// An optional text that must fit its column.
pub(super) fn opt_within(field: &str, value: &Option<String>, max: usize) -> Result<()> {
    value.as_deref().map_or(Ok(()), |v| within(field, v, max))
}

pub(crate) fn check_date(field: &str, date: &DateRec) -> Result<()> {
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

pub(super) fn split_date(
    field: &str,
    date: &Option<DateRec>,
) -> Result<(Option<NaiveDate>, Option<DatePrecision>)> {
    match date {
        None => Ok((None, None)),
        Some(d) => {
            check_date(field, d)?;
            Ok((Some(d.date), Some(d.precision)))
        }
    }
}

pub(super) fn amount(
    field: &str,
    amount: &Option<AmountRec>,
) -> Result<(Option<i64>, Option<String>)> {
    match amount {
        None => Ok((None, None)),
        Some(a) => Ok((
            Some(money::parse_amount_at(&a.amount, &a.currency, field)?),
            Some(a.currency.clone()),
        )),
    }
}

pub(crate) fn check_bound(
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

pub(crate) fn check_period(field: &str, p: &PeriodRec) -> Result<()> {
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
            field,
            format!("starts {start}, after its end {end}"),
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
