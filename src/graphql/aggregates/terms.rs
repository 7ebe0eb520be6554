//! The `having` and `orderBy` terms of a group-by, as SQL over the frame.

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, NullOrdering, Order};
use sea_orm::{DbBackend, ExprTrait};

use super::frame::{Extra, KeySql, gql_name};
use super::inputs::{AggregateFunction, GroupOrder, Having};
use super::{Aggregated, StatKind};
use crate::data::lists::Term as FieldTerm;
use crate::data::paging::KeyKind;
use crate::data::sql::{bytewise, custom};
use crate::error::{Error, Result};
use crate::graphql::lists::OrderField;
use crate::graphql::paging::{NullsOrder, OrderDirection};
use crate::money;

/// An aggregate term of `having` or `orderBy`, as an inner column and an outer expression.
pub(super) struct Term {
    inner: Option<Extra>,
    outer: Expr,
    /// How a compared value is read: a count, an integer, minor units of a currency, a date.
    value: TermValue,
    /// How the term's values over parts of a group (one per currency) combine into the
    /// group's; `None` when they do not (a distinct count, an average).
    combine: Option<Combine>,
}

/// How an aggregate computed over parts of a group combines into the group's: counts and
/// sums add up, minimums and maximums compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Combine {
    Sum,
    Min,
    Max,
}

impl Combine {
    /// The combining aggregate over `part`, a column of the parts' statement.
    pub(super) fn over(self, part: Expr) -> Expr {
        match self {
            Combine::Sum => Func::sum(part).into(),
            Combine::Min => Func::min(part).into(),
            Combine::Max => Func::max(part).into(),
        }
    }
}

#[derive(Clone)]
pub(super) enum TermValue {
    Count,
    Int,
    Minor(String),
    Day,
    /// An average: `SUM(t) op v * COUNT(t)`, compared exactly.
    Average(Option<String>),
}

/// Checks an aggregate term and writes its SQL over inner column `alias`.
pub(super) fn term_sql<T: Aggregated>(
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
                combine: Some(Combine::Sum),
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
    let FieldTerm {
        name,
        expr,
        kind,
        join,
        ..
    } = field.term();
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
    let (outer, value, combine) = match function {
        AggregateFunction::Count => (
            Func::count(t()).into(),
            TermValue::Count,
            Some(Combine::Sum),
        ),
        AggregateFunction::CountDistinct => {
            (Func::count_distinct(t()).into(), TermValue::Count, None)
        }
        AggregateFunction::Sum if numeric => {
            (outer_of("SUM($1)"), value(minor), Some(Combine::Sum))
        }
        AggregateFunction::Avg if numeric => (
            outer_of("AVG($1)"),
            TermValue::Average(currency.map(str::to_string)),
            None,
        ),
        AggregateFunction::Min | AggregateFunction::Max if numeric || kind == KeyKind::Date => {
            let (f, combine) = if function == AggregateFunction::Min {
                ("MIN($1)", Combine::Min)
            } else {
                ("MAX($1)", Combine::Max)
            };
            let value = if kind == KeyKind::Date {
                TermValue::Day
            } else {
                value(minor)
            };
            (outer_of(f), value, Some(combine))
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
        inner: Some(Extra {
            alias: alias.to_string(),
            expr: inner,
            join,
        }),
        outer,
        value,
        combine,
    })
}

/// A compared value that must be a whole number.
pub(super) fn whole_number(text: &str, path: &str) -> Result<i64> {
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

/// One `having` comparison: over the grouped statement, and, when its term combines over
/// parts of groups (see [`Combine`]), as a comparison of the combined parts.
pub(super) struct HavingSql {
    /// The condition over the grouped statement.
    pub(super) condition: Expr,
    /// The term's aggregate over one part of a group, and how the parts combine.
    pub(super) part: Option<(Expr, Combine)>,
    op: &'static str,
    right: Expr,
}

impl HavingSql {
    /// The comparison over the group's value combined from its parts.
    pub(super) fn over(&self, combined: Expr) -> Expr {
        compare(self.op, combined, self.right.clone())
    }
}

fn compare(op: &str, left: Expr, right: Expr) -> Expr {
    match op {
        "eq" => left.eq(right),
        "ne" => left.ne(right),
        "gt" => left.gt(right),
        "gte" => left.gte(right),
        "lt" => left.lt(right),
        _ => left.lte(right),
    }
}

/// The `having` conditions as SQL over the outer statement, with the inner columns they need.
pub(super) fn having_sql<T: Aggregated>(
    having: &[Having<T::Field>],
    inner: &mut Vec<Extra>,
    table: &'static str,
    backend: DbBackend,
) -> Result<Vec<HavingSql>> {
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
        if let Some(extra) = term.inner.clone() {
            inner.push(extra);
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
            conditions.push(HavingSql {
                condition: compare(op, left, right.clone()),
                part: term.combine.map(|c| (term.outer.clone(), c)),
                op,
                right,
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
pub(super) struct OrderSql {
    pub(super) expr: Expr,
    /// The position in `by` of the key this term orders by; `None` for an aggregate.
    pub(super) key: Option<usize>,
    /// For an aggregate, how its values over parts of a group combine (see [`Combine`]).
    pub(super) combine: Option<Combine>,
    pub(super) order: Order,
    pub(super) nulls: NullOrdering,
}

pub(super) fn order_sql<T: Aggregated>(
    order_by: &[GroupOrder<T::Field>],
    keys: &[KeySql],
    inner: &mut Vec<Extra>,
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
        let mut key = None;
        let mut combine = None;
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
                key = Some(k);
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
                if let Some(extra) = term.inner {
                    inner.push(extra);
                }
                combine = term.combine;
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
            key,
            combine,
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
            key: Some(i),
            combine: None,
            order: Order::Asc,
            nulls: NullOrdering::Last,
        });
    }
    Ok(terms)
}
