//! The CSV format: one file per row type, one line per citation. A row with several
//! citations takes several lines that repeat its fields (import matches them by natural
//! key); a row without citation takes one line with `source` and `quote` empty. Columns
//! are the dataset format's fields in snake_case, dates split into a date and a
//! precision column, amounts into an amount and a currency column. The provenance notes
//! of rows' values and the shares of figures have their own files, `provenance.csv` and
//! `figure_shares.csv` (see `provenance_csv`).

use chrono::NaiveDate;
use entity::enums::*;
use serde::{Deserialize, Serialize};

use crate::dataset::*;
use crate::error::{Error, Result};

/// A row type's CSV file: its name and the conversion of its lines.
pub trait CsvRow: Serialize + for<'de> Deserialize<'de> + Sized {
    /// The file's name without `.csv`.
    const FILE: &'static str;
    /// The dataset record of this line, with its one citation, if any.
    fn into_part(self, part: &mut Dataset, line: usize) -> Result<()>;
}

fn date(
    date: Option<NaiveDate>,
    precision: Option<DatePrecision>,
    column: &str,
) -> Result<Option<DateRec>> {
    match (date, precision) {
        (None, None) => Ok(None),
        (Some(date), Some(precision)) => Ok(Some(DateRec { date, precision })),
        (Some(date), None) => Ok(Some(DateRec {
            date,
            precision: DatePrecision::Day,
        })),
        (None, Some(_)) => Err(Error::invalid(
            format!("{column}_precision"),
            format!("a precision without a date in {column}"),
        )),
    }
}

fn money(amount: Option<String>, currency: Option<String>) -> Result<Option<AmountRec>> {
    match (amount, currency) {
        (None, None) => Ok(None),
        (Some(amount), Some(currency)) => Ok(Some(AmountRec { amount, currency })),
        (Some(_), None) => Err(Error::invalid("currency", "an amount needs its currency")),
        (None, Some(_)) => Err(Error::invalid("amount", "a currency without an amount")),
    }
}

/// The citation of a line's `source` and `quote` columns: both or neither.
pub fn citation(source: Option<String>, quote: Option<String>) -> Result<Vec<CitationRec>> {
    match (source, quote) {
        (None, None) => Ok(Vec::new()),
        (Some(source), Some(quote)) => Ok(vec![CitationRec { source, quote }]),
        (Some(_), None) => Err(Error::invalid(
            "quote",
            "a source needs the quote it is cited for",
        )),
        (None, Some(_)) => Err(Error::invalid("source", "a quote needs its source")),
    }
}

/// One CSV line per citation (one line with no citation when there is none).
pub fn per_citation<T>(
    citations: &[CitationRec],
    row: impl Fn(Option<String>, Option<String>) -> T,
) -> Vec<T> {
    if citations.is_empty() {
        return vec![row(None, None)];
    }
    citations
        .iter()
        .map(|c| row(Some(c.source.clone()), Some(c.quote.clone())))
        .collect()
}

/// Makes a record of [`dataset_rows!`] a CSV line: the line's struct, its columns in the
/// record's field order (the `as` of a field says which), and its conversions to and from
/// the record.
macro_rules! csv_row {
    // `self`, `r`, `source` and `quote` are written once here and passed down, so that the
    // code each column adds names the same bindings as the functions (macro hygiene).
    ($rec:ident: $row:ident in $file:literal as $part:ident { $($fields:tt)* } $($more:tt)*) => {
        csv_row!(@munch [file $row $rec $file $part] [self r source quote]
            [] [] [] [&[]] $($fields)*);
        csv_row!($($more)*);
    };
    ($rec:ident: $row:ident under $parent:ident { $($fields:tt)* } $($more:tt)*) => {
        csv_row!(@munch [under $row $rec $parent] [self r source quote]
            [pub $parent: String,] [] [$parent: $parent.to_string(),] [&[]] $($fields)*);
        csv_row!($($more)*);
    };
    () => {};

    // One field at a time: the struct's fields, the record's fields on import, the line's
    // fields on export, and the citations a record spreads over its lines. The record's
    // attributes are not the line's.
    // The provenance notes are in `provenance.csv`.
    (@munch $head:tt $names:tt $s:tt $i:tt $f:tt $c:tt notes, $($rest:tt)*) => {
        csv_row!(@munch $head $names $s $i $f $c provenance: Option<Notes> as skip, $($rest)*);
    };
    (@munch $head:tt [$me:ident $r:ident $source:ident $quote:ident] [$($s:tt)*] [$($i:tt)*] [$($f:tt)*] $c:tt
        $(#[$meta:meta])* $name:ident: $ty:ty as date $precision:ident, $($rest:tt)*
    ) => {
        csv_row!(@munch $head [$me $r $source $quote]
            [$($s)* pub $name: Option<NaiveDate>, pub $precision: Option<DatePrecision>,]
            [$($i)* $name: date($me.$name, $me.$precision, stringify!($name))?,]
            [$($f)* $name: $r.$name.as_ref().map(|d| d.date),
                $precision: $r.$name.as_ref().map(|d| d.precision),]
            $c $($rest)*);
    };
    (@munch $head:tt [$me:ident $r:ident $source:ident $quote:ident] [$($s:tt)*] [$($i:tt)*] [$($f:tt)*] $c:tt
        $(#[$meta:meta])* $name:ident: $ty:ty as money $currency:ident, $($rest:tt)*
    ) => {
        csv_row!(@munch $head [$me $r $source $quote]
            [$($s)* pub $name: Option<String>, pub $currency: Option<String>,]
            [$($i)* $name: money($me.$name, $me.$currency)?,]
            [$($f)* $name: $r.$name.as_ref().map(|m| m.amount.clone()),
                $currency: $r.$name.as_ref().map(|m| m.currency.clone()),]
            $c $($rest)*);
    };
    (@munch $head:tt [$me:ident $r:ident $source:ident $quote:ident] [$($s:tt)*] [$($i:tt)*] [$($f:tt)*] $c:tt
        $(#[$meta:meta])* period: $ty:ty as period, $($rest:tt)*
    ) => {
        csv_row!(@munch $head [$me $r $source $quote]
            [$($s)*
                pub period_kind: PeriodKind,
                pub period_year: Option<i32>,
                pub period_quarter: Option<i32>,
                pub period_start: Option<NaiveDate>,
                pub period_end: Option<NaiveDate>,
                pub period_years: Option<i32>,]
            [$($i)* period: PeriodRec {
                kind: $me.period_kind,
                year: $me.period_year,
                quarter: $me.period_quarter,
                start: $me.period_start,
                end: $me.period_end,
                years: $me.period_years,
            },]
            [$($f)*
                period_kind: $r.period.kind,
                period_year: $r.period.year,
                period_quarter: $r.period.quarter,
                period_start: $r.period.start,
                period_end: $r.period.end,
                period_years: $r.period.years,]
            $c $($rest)*);
    };
    (@munch $head:tt [$me:ident $r:ident $source:ident $quote:ident] [$($s:tt)*] [$($i:tt)*] [$($f:tt)*] $c:tt
        $(#[$meta:meta])* expectation: $ty:ty as expectation, $($rest:tt)*
    ) => {
        csv_row!(@munch $head [$me $r $source $quote]
            [$($s)* pub expectation_holder: Option<String>, pub expectation_percent_above: Option<String>,]
            [$($i)* expectation: expectation($me.expectation_holder, $me.expectation_percent_above)?,]
            [$($f)* expectation_holder: $r.expectation.as_ref().map(|e| e.holder.clone()),
                expectation_percent_above: $r.expectation.as_ref().map(|e| e.percent_above.clone()),]
            $c $($rest)*);
    };
    // The citation is read first, as a record's other fields may fail after it.
    (@munch $head:tt [$me:ident $r:ident $source:ident $quote:ident] [$($s:tt)*] [$($i:tt)*] [$($f:tt)*] $c:tt
        $(#[$meta:meta])* citations, $($rest:tt)*
    ) => {
        csv_row!(@munch $head [$me $r $source $quote]
            [$($s)* pub source: Option<String>, pub quote: Option<String>,]
            [citations: citation($me.source, $me.quote)?, $($i)*]
            [$($f)* source: $source, quote: $quote,]
            [&$r.citations] $($rest)*);
    };
    (@munch $head:tt [$me:ident $r:ident $source:ident $quote:ident] [$($s:tt)*] [$($i:tt)*] [$($f:tt)*] $c:tt
        $(#[$meta:meta])* $name:ident: $ty:ty as skip, $($rest:tt)*
    ) => {
        csv_row!(@munch $head [$me $r $source $quote]
            [$($s)*]
            [$($i)* $name: Default::default(),]
            [$($f)*]
            $c $($rest)*);
    };
    // A column added later: a file without it loads, as if every line left it empty.
    (@munch $head:tt [$me:ident $r:ident $source:ident $quote:ident] [$($s:tt)*] [$($i:tt)*] [$($f:tt)*] $c:tt
        $(#[$meta:meta])* $name:ident: $ty:ty as later, $($rest:tt)*
    ) => {
        csv_row!(@munch $head [$me $r $source $quote]
            [$($s)* #[serde(default)] pub $name: $ty,]
            [$($i)* $name: $me.$name,]
            [$($f)* $name: $r.$name.clone(),]
            $c $($rest)*);
    };
    (@munch $head:tt [$me:ident $r:ident $source:ident $quote:ident] [$($s:tt)*] [$($i:tt)*] [$($f:tt)*] $c:tt
        $(#[$meta:meta])* $name:ident: $ty:ty, $($rest:tt)*
    ) => {
        csv_row!(@munch $head [$me $r $source $quote]
            [$($s)* pub $name: $ty,]
            [$($i)* $name: $me.$name,]
            [$($f)* $name: $r.$name.clone(),]
            $c $($rest)*);
    };

    // Every field read: the struct and its conversions.
    (@munch [$kind:ident $row:ident $rec:ident $($x:tt)*] [$me:ident $r:ident $source:ident $quote:ident]
        [$($s:tt)*] [$($i:tt)*] [$($f:tt)*] [$($c:tt)*]
    ) => {
        csv_row!(@emit [$kind $row $rec $($x)*]
            [#[derive(Debug, Serialize, Deserialize)]
            #[serde(deny_unknown_fields)]
            pub struct $row { $($s)* }]
            [$($c)*]
            [$me $r $source $quote] [$($i)*] [$($f)*]);
    };
    (@emit [file $row:ident $rec:ident $file:literal $part:ident] [$($item:tt)*] [$($c:tt)*]
        [$me:ident $r:ident $source:ident $quote:ident] [$($i:tt)*] [$($f:tt)*]
    ) => {
        #[doc = concat!("A line of `", $file, ".csv`: a [`", stringify!($rec), "`] and one of its citations.")]
        $($item)*

        impl CsvRow for $row {
            const FILE: &'static str = $file;
            fn into_part($me, part: &mut Dataset, _line: usize) -> Result<()> {
                part.$part.push($rec { $($i)* });
                Ok(())
            }
        }

        impl $row {
            /// The lines of a record, as `lines` makes them.
            #[allow(unused_variables, clippy::clone_on_copy)]
            pub fn from_rec($r: &$rec) -> Vec<$row> {
                per_citation($($c)*, |$source, $quote| $row { $($f)* })
            }
        }
    };
    (@emit [under $row:ident $rec:ident $parent:ident] [$($item:tt)*] [$($c:tt)*]
        [$me:ident $r:ident $source:ident $quote:ident] [$($i:tt)*] [$($f:tt)*]
    ) => {
        #[doc = concat!("A line of a [`", stringify!($rec), "`] and one of its citations, under the row named in `", stringify!($parent), "`.")]
        $($item)*

        impl $row {
            /// The record of this line, with the key of the row it belongs to.
            pub fn into_rec($me) -> Result<(String, $rec)> {
                Ok(($me.$parent, $rec { $($i)* }))
            }

            /// The lines of a record that belongs to the row keyed `parent`.
            #[allow(clippy::clone_on_copy)]
            pub fn from_rec($parent: &str, $r: &$rec) -> Vec<$row> {
                per_citation($($c)*, |$source, $quote| $row { $($f)* })
            }
        }
    };
}

fn expectation(
    holder: Option<String>,
    percent_above: Option<String>,
) -> Result<Option<ExpectationRec>> {
    match (holder, percent_above) {
        (None, None) => Ok(None),
        (Some(holder), Some(percent_above)) => Ok(Some(ExpectationRec {
            holder,
            percent_above,
        })),
        (Some(_), None) => Err(Error::invalid(
            "expectation_percent_above",
            "an expectation holder needs the percentage above the expectation",
        )),
        (None, Some(_)) => Err(Error::invalid(
            "expectation_holder",
            "a percentage above an expectation needs whose expectation it was",
        )),
    }
}

crate::dataset::dataset_rows!(csv_row);

/// `aliases.csv`: the dataset's alias record as it is.
impl CsvRow for AliasRec {
    const FILE: &'static str = "aliases";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.aliases.push(self);
        Ok(())
    }
}
