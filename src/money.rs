//! Exact money: amounts are integers counted in a currency's minor unit (cents for USD),
//! parsed from and printed as decimal strings. No floating point anywhere.

use crate::error::{Error, Result};

/// Digits after the decimal point for the ISO 4217 codes we accept.
const CURRENCIES: &[(&str, u32)] = &[
    ("USD", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("CNY", 2),
    ("CHF", 2),
    ("CAD", 2),
    ("AUD", 2),
    ("INR", 2),
    ("HKD", 2),
    ("SGD", 2),
    ("KRW", 0),
    ("JPY", 0),
];

/// The number of minor-unit digits of an ISO 4217 currency, or an error for an unknown code.
pub fn minor_digits(currency: &str) -> Result<u32> {
    CURRENCIES
        .iter()
        .find(|(code, _)| *code == currency)
        .map(|(_, digits)| *digits)
        .ok_or_else(|| {
            Error::invalid(
                "currency",
                format!("{currency:?} is not a supported ISO 4217 currency code"),
            )
        })
}

/// Parses a plain decimal string ("26300000000", "5.6", "60000000000.00") in major units
/// into minor units. Rejects signs, exponents, grouping and more decimals than the currency has.
pub fn parse_amount(text: &str, currency: &str, field: &str) -> Result<i64> {
    let digits = minor_digits(currency)?;
    let bad = |why: &str| Error::invalid(field, format!("{text:?} {why}"));
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad(
            "is not a non-negative decimal number such as \"26300000000.00\"",
        ));
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) || (text.contains('.') && fraction.is_empty())
    {
        return Err(bad(
            "is not a non-negative decimal number such as \"26300000000.00\"",
        ));
    }
    if fraction.len() > digits as usize {
        return Err(bad(&format!(
            "has more than {digits} decimals for {currency}"
        )));
    }
    let scale = 10i64.pow(digits);
    let whole: i64 = whole.parse().map_err(|_| bad("is too large"))?;
    let padded = format!("{fraction:0<width$}", width = digits as usize);
    let fraction: i64 = if padded.is_empty() {
        0
    } else {
        padded.parse().map_err(|_| bad("is not a number"))?
    };
    whole
        .checked_mul(scale)
        .and_then(|v| v.checked_add(fraction))
        .ok_or_else(|| bad("is too large"))
}

/// Parses `{at}.amount` in `{at}.currency`: an unknown currency is reported at
/// `{at}.currency`, a bad amount at `{at}.amount`.
pub fn parse_amount_at(text: &str, currency: &str, at: &str) -> Result<i64> {
    minor_digits(currency).map_err(|e| match e {
        Error::InvalidInput { message, .. } => Error::invalid(format!("{at}.currency"), message),
        other => other,
    })?;
    parse_amount(text, currency, &format!("{at}.amount"))
}

/// Prints minor units as a decimal string with exactly the currency's minor digits.
pub fn format_amount(minor: i64, currency: &str) -> String {
    let digits = minor_digits(currency).unwrap_or(2);
    format_scaled(i128::from(minor), digits)
}

/// Prints `value / 10^digits` as a decimal string with exactly `digits` decimals.
pub fn format_scaled(value: i128, digits: u32) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let value = value.unsigned_abs();
    if digits == 0 {
        return format!("{sign}{value}");
    }
    let scale = 10u128.pow(digits);
    format!(
        "{sign}{}.{:0width$}",
        value / scale,
        value % scale,
        width = digits as usize
    )
}

/// `numerator / denominator` as a decimal string rounded half-up to `digits` decimals,
/// computed exactly in integers. `None` when the denominator is zero.
pub fn ratio(numerator: i64, denominator: i64, digits: u32) -> Option<String> {
    if denominator == 0 {
        return None;
    }
    let scale = 10i128.pow(digits);
    let (n, d) = (i128::from(numerator) * scale, i128::from(denominator));
    let negative = (n < 0) != (d < 0);
    let (n, d) = (n.abs(), d.abs());
    let mut q = n / d;
    if (n % d) * 2 >= d {
        q += 1;
    }
    Some(format_scaled(if negative { -q } else { q }, digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_whole_and_fractional_amounts_exactly() {
        assert_eq!(
            parse_amount("26300000000", "USD", "a").ok(),
            Some(2_630_000_000_000)
        );
        assert_eq!(parse_amount("5.6", "USD", "a").ok(), Some(560));
        assert_eq!(parse_amount("0.07", "USD", "a").ok(), Some(7));
        assert_eq!(parse_amount("500", "JPY", "a").ok(), Some(500));
    }

    #[test]
    fn rejects_signs_exponents_excess_decimals_and_unknown_currencies() {
        for bad in ["-1", "1e9", "1,000", "", ".5", "5.", "1.234", "abc"] {
            assert!(
                parse_amount(bad, "USD", "amount").is_err(),
                "{bad} accepted"
            );
        }
        assert!(parse_amount("1.5", "JPY", "amount").is_err());
        assert!(parse_amount("1", "XXX", "amount").is_err());
        assert!(parse_amount("99999999999999999999", "USD", "amount").is_err());
    }

    #[test]
    fn formats_with_the_currency_minor_digits() {
        assert_eq!(format_amount(2_630_000_000_000, "USD"), "26300000000.00");
        assert_eq!(format_amount(7, "USD"), "0.07");
        assert_eq!(format_amount(500, "JPY"), "500");
    }

    #[test]
    fn ratios_round_half_up_exactly() {
        assert_eq!(
            ratio(5_600_000, 100_000_000_000, 10).as_deref(),
            Some("0.0000560000")
        );
        assert_eq!(
            ratio(5_600_000, 65_000_000_000, 10).as_deref(),
            Some("0.0000861538")
        );
        assert_eq!(ratio(2, 3, 2).as_deref(), Some("0.67"));
        assert_eq!(ratio(1, 0, 2), None);
    }
}
