//! Spending arithmetic in the domain's own terms: ranges stay ranges, lower bounds stay
//! bounds, and totals are kept per currency. Pure functions over rows, exact in integers.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::enums::{AmountBound, PeriodKind};
use entity::spending_figure::Model as Figure;

/// The total of several figures in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Total {
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of the figures' lower ends (a figure without a lower end adds nothing).
    pub low: i128,
    /// True when at least one figure's lower end is exclusive ("more than"), so the total is too.
    pub low_exclusive: bool,
    /// Sum of the upper ends, or `None` when any figure has no upper end.
    pub high: Option<i128>,
    /// How many figures were added.
    pub figures: usize,
}

/// Totals per currency, in currency order: two currencies are never added together.
pub fn totals<'a>(figures: impl IntoIterator<Item = &'a Figure>) -> Vec<Total> {
    let mut by_currency: BTreeMap<&str, Total> = BTreeMap::new();
    for f in figures {
        let total = by_currency.entry(&f.currency).or_insert_with(|| Total {
            currency: f.currency.clone(),
            low: 0,
            low_exclusive: false,
            high: Some(0),
            figures: 0,
        });
        total.low += i128::from(f.amount_low_minor.unwrap_or(0));
        total.low_exclusive |= f.bound == AmountBound::MoreThan;
        total.high = match (total.high, f.amount_high_minor) {
            (Some(sum), Some(high)) => Some(sum + i128::from(high)),
            _ => None,
        };
        total.figures += 1;
    }
    by_currency.into_values().collect()
}

/// A human label for a figure's period: "Q4 2024", "2025", "FY2025 (2024-07-01 to 2025-06-30)".
pub fn period_label(f: &Figure) -> String {
    let year = f
        .period_year
        .map(|y| y.to_string())
        .unwrap_or_else(|| "?".into());
    match f.period_kind {
        PeriodKind::Quarter => format!("Q{} {year}", f.period_quarter.unwrap_or(0)),
        PeriodKind::CalendarYear => year,
        PeriodKind::FiscalYear => match (f.period_start, f.period_end) {
            (Some(start), Some(end)) => format!("FY{year} ({start} to {end})"),
            (None, Some(end)) => format!("FY{year} (ends {end})"),
            _ => format!("FY{year}"),
        },
        PeriodKind::MultiYear => {
            let years = f
                .period_years
                .map(|y| y.to_string())
                .unwrap_or_else(|| "several".into());
            match f.period_start {
                Some(start) => format!("{years} years from {start}"),
                None => format!("{years} years"),
            }
        }
        PeriodKind::Unspecified => "unspecified".into(),
    }
}

/// The ratio of two figures' amounts as the range of values consistent with both: the low
/// end divides the numerator's lower end by the denominator's upper end, the high end its
/// upper end by the denominator's lower end, each rounded half-up to `digits` decimals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatioBounds {
    /// `None` when an end it needs is missing or the divisor is zero: the ratio has no known
    /// lower end above zero (the denominator has no upper end, say).
    pub low: Option<String>,
    /// True when the ratio is strictly above `low` ("more than" in the numerator, "less
    /// than" in the denominator).
    pub low_exclusive: bool,
    /// `None` when the ratio has no known upper end.
    pub high: Option<String>,
    /// True when the ratio is strictly below `high`.
    pub high_exclusive: bool,
}

/// `numerator / denominator` as [`RatioBounds`].
pub fn ratio_bounds(numerator: &Figure, denominator: &Figure, digits: u32) -> RatioBounds {
    let ratio = |n: Option<i64>, d: Option<i64>| crate::money::ratio(n?, d?, digits);
    let low_open = |f: &Figure| f.bound == AmountBound::MoreThan;
    let high_open = |f: &Figure| f.bound == AmountBound::LessThan;
    let low = ratio(numerator.amount_low_minor, denominator.amount_high_minor);
    let high = ratio(numerator.amount_high_minor, denominator.amount_low_minor);
    RatioBounds {
        low_exclusive: low.is_some() && (low_open(numerator) || high_open(denominator)),
        low,
        high_exclusive: high.is_some() && (high_open(numerator) || low_open(denominator)),
        high,
    }
}

/// `n / d` rounded half away from zero; `None` when `d` is zero.
pub fn div_round(n: i128, d: i128) -> Option<i128> {
    if d == 0 {
        return None;
    }
    let (q, r) = (n / d, n % d);
    let away = if (n < 0) != (d < 0) { -1 } else { 1 };
    Some(if 2 * r.abs() >= d.abs() { q + away } else { q })
}

/// The amount an expectation implies when `amount` lies `bp` basis points above it:
/// `amount / (1 + bp / 10000)`, rounded half-up to the minor unit.
pub fn implied_expectation(amount: i64, bp: i32) -> Option<i128> {
    div_round(i128::from(amount) * 10_000, 10_000 + i128::from(bp))
}

/// The lowest and highest expectation consistent with a percentage rounded as stated: a
/// whole percentage ("29") stands for 28.5 to 29.5, one with a decimal for +/- 0.05.
pub fn implied_expectation_range(amount: i64, bp: i32) -> Option<(i128, i128)> {
    let step = if bp % 100 == 0 {
        50
    } else if bp % 10 == 0 {
        5
    } else {
        0
    };
    Some((
        implied_expectation(amount, bp + step)?,
        implied_expectation(amount, bp - step)?,
    ))
}

/// Days of `start..=end` that fall in calendar `year`, and the days of the whole period.
pub fn calendar_overlap(start: NaiveDate, end: NaiveDate, year: i32) -> Option<(i64, i64)> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1)?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31)?;
    let days = |a: NaiveDate, b: NaiveDate| (b - a).num_days() + 1;
    let (from, to) = (start.max(first), end.min(last));
    let overlap = if from > to { 0 } else { days(from, to) };
    Some((overlap, days(start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use entity::enums::{SpendingCategory, SpendingStatus};

    fn figure(bound: AmountBound, low: Option<i64>, high: Option<i64>, currency: &str) -> Figure {
        Figure {
            id: 1,
            reference: None,
            company_id: Some(1),
            project_id: None,
            ai_model_id: None,
            category: SpendingCategory::CapitalExpenditure,
            status: SpendingStatus::Planned,
            bound,
            amount_low_minor: low,
            amount_high_minor: high,
            currency: currency.into(),
            period_kind: PeriodKind::CalendarYear,
            period_year: Some(2025),
            period_quarter: None,
            period_start: None,
            period_end: None,
            period_years: None,
            focus: None,
            remarks: None,
            stated_on: None,
            stated_precision: None,
            derived_from_id: None,
            expectation_holder: None,
            above_expectation_bp: None,
            stated_by_person_id: None,
        }
    }

    #[test]
    fn a_lower_bound_leaves_the_total_without_a_high_end() {
        let figures = [
            figure(AmountBound::MoreThan, Some(100), None, "USD"),
            figure(AmountBound::Range, Some(60), Some(65), "USD"),
        ];
        let t = &totals(&figures)[0];
        assert_eq!(
            (t.low, t.high, t.low_exclusive, t.figures),
            (160, None, true, 2)
        );
    }

    #[test]
    fn ranges_add_up_as_ranges_and_currencies_stay_apart() {
        let figures = [
            figure(AmountBound::Range, Some(60), Some(65), "USD"),
            figure(AmountBound::Exact, Some(75), Some(75), "USD"),
            figure(AmountBound::Exact, Some(5), Some(5), "EUR"),
        ];
        let t = totals(&figures);
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[0].currency.as_str(), t[0].low, t[0].high),
            ("EUR", 5, Some(5))
        );
        assert_eq!(
            (t[1].currency.as_str(), t[1].low, t[1].high),
            ("USD", 135, Some(140))
        );
        assert!(!t[1].low_exclusive);
    }

    #[test]
    fn ratios_of_a_point_to_a_range_give_a_range() {
        let deepseek = figure(
            AmountBound::Exact,
            Some(560_000_000),
            Some(560_000_000),
            "USD",
        );
        let meta = figure(
            AmountBound::Range,
            Some(6_000_000_000_000),
            Some(6_500_000_000_000),
            "USD",
        );
        let fraction = ratio_bounds(&deepseek, &meta, 8);
        assert_eq!(fraction.low.as_deref(), Some("0.00008615"));
        assert_eq!(fraction.high.as_deref(), Some("0.00009333"));
        assert!(!fraction.low_exclusive && !fraction.high_exclusive);
        let times = ratio_bounds(&meta, &deepseek, 2);
        assert_eq!(times.low.as_deref(), Some("10714.29"));
        assert_eq!(times.high.as_deref(), Some("11607.14"));
    }

    #[test]
    fn a_ratio_to_more_than_an_amount_has_an_open_end_and_no_other() {
        let deepseek = figure(
            AmountBound::Exact,
            Some(560_000_000),
            Some(560_000_000),
            "USD",
        );
        let amazon = figure(AmountBound::MoreThan, Some(10_000_000_000_000), None, "USD");
        let fraction = ratio_bounds(&deepseek, &amazon, 10);
        assert_eq!(fraction.low, None);
        assert_eq!(fraction.high.as_deref(), Some("0.0000560000"));
        assert!(
            fraction.high_exclusive,
            "more than $100B makes the fraction less than its bound"
        );
        let times = ratio_bounds(&amazon, &deepseek, 2);
        assert_eq!(times.low.as_deref(), Some("17857.14"));
        assert!(times.low_exclusive);
        assert_eq!(times.high, None);
    }

    #[test]
    fn alphabets_75_billion_at_29_percent_above_implies_about_58_1_billion() {
        let amount = 7_500_000_000_000; // $75B in cents
        assert_eq!(implied_expectation(amount, 2900), Some(5_813_953_488_372));
        let (low, high) = implied_expectation_range(amount, 2900).expect("range");
        assert_eq!((low, high), (5_791_505_791_506, 5_836_575_875_486));
        assert_eq!(implied_expectation(100, -10_000), None);
    }

    #[test]
    fn microsofts_fiscal_2025_overlaps_calendar_2025_by_181_days() {
        let start = NaiveDate::from_ymd_opt(2024, 7, 1).expect("date");
        let end = NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
        assert_eq!(calendar_overlap(start, end, 2025), Some((181, 365)));
        assert_eq!(calendar_overlap(start, end, 2024), Some((184, 365)));
        assert_eq!(calendar_overlap(start, end, 2026), Some((0, 365)));
    }

    #[test]
    fn division_rounds_half_away_from_zero() {
        assert_eq!(div_round(5, 2), Some(3));
        assert_eq!(div_round(-5, 2), Some(-3));
        assert_eq!(div_round(4, 3), Some(1));
        assert_eq!(div_round(1, 0), None);
    }
}
