//! Filters: one input type per row type, with operators on every scalar field, `and`, `or`
//! and `not`, and conditions through relations (`investee: {...}`, `models: { some: ... }`),
//! all turned into one SQL `WHERE` with `IN (SELECT ...)` subqueries.
//!
//! Text operators `contains`, `startsWith` and `endsWith` ignore case, and they do so the
//! same way on SQLite and PostgreSQL: both sides are folded by one table of letter pairs
//! (ASCII, Latin-1, Latin Extended-A/B, Greek, Cyrillic), applied with `lower()` plus
//! `replace()` on SQLite and `translate()` on PostgreSQL, because SQLite's `lower()` knows
//! ASCII only and PostgreSQL's knows all of Unicode.

use std::sync::OnceLock;

use async_graphql::{InputObject, InputType};
use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, Query, SimpleExpr};
use sea_orm::{Condition, DbBackend, EntityTrait, ExprTrait, IdenStatic};

use super::common::{Date, Decimal};
use super::sql::{bytewise, custom};
use crate::error::{Error, Result};
use crate::money;

/// Most terms a filter may contain (operators, nested filters and list items together; a
/// text pattern counts one more for each letter outside ASCII that it folds).
pub const MAX_FILTER_TERMS: usize = 200;
/// Deepest nesting of relations in a filter (`parent: { parent: ... }`, `models: { some:
/// ... }`): each is a subquery, and SQLite refuses expressions nested too deep.
pub const MAX_FILTER_RELATIONS: usize = 12;
/// Most distinct letters outside ASCII in one `contains`/`startsWith`/`endsWith` text: each
/// is one more nested `replace()` on SQLite (see [`pairs_for`]), and SQLite counts that
/// chain's depth again for each relation around it. Measured on the bundled SQLite, 12
/// relations deep: 69 letters pass, 70 exceed its expression depth of 1,000.
pub const MAX_FOLDED_LETTERS: usize = 48;
/// Longest text a filter compares with, in characters: the longest text column but a
/// source's content, and well within SQLite's limit on LIKE patterns (50,000 bytes).
pub const MAX_FILTER_TEXT: usize = 5_000;

/// Conditions on a text field.
#[derive(InputObject, Default, Clone)]
pub struct StringFilter {
    /// Equal to this text, exactly (case-sensitive).
    pub eq: Option<String>,
    /// Not equal to this text (case-sensitive); rows where the field is null do not match.
    pub ne: Option<String>,
    /// After this text in byte (code point) order.
    pub gt: Option<String>,
    /// This text or after it.
    pub gte: Option<String>,
    /// Before this text in byte (code point) order.
    pub lt: Option<String>,
    /// This text or before it.
    pub lte: Option<String>,
    /// One of these texts, exactly.
    #[graphql(name = "in")]
    pub in_list: Option<Vec<String>>,
    /// None of these texts.
    pub not_in: Option<Vec<String>>,
    /// True: the field is null; false: it is not.
    pub is_null: Option<bool>,
    /// Contains this text, ignoring case.
    pub contains: Option<String>,
    /// Starts with this text, ignoring case.
    pub starts_with: Option<String>,
    /// Ends with this text, ignoring case.
    pub ends_with: Option<String>,
    /// Between the two texts given, both included.
    pub between: Option<Vec<String>>,
}

/// Conditions on an integer field.
#[derive(InputObject, Default, Clone)]
pub struct IntFilter {
    /// Equal to.
    pub eq: Option<i32>,
    /// Not equal to; rows where the field is null do not match.
    pub ne: Option<i32>,
    /// Greater than.
    pub gt: Option<i32>,
    /// Greater than or equal to.
    pub gte: Option<i32>,
    /// Less than.
    pub lt: Option<i32>,
    /// Less than or equal to.
    pub lte: Option<i32>,
    /// One of these values.
    #[graphql(name = "in")]
    pub in_list: Option<Vec<i32>>,
    /// None of these values.
    pub not_in: Option<Vec<i32>>,
    /// True: the field is null; false: it is not.
    pub is_null: Option<bool>,
    /// Between the two values given, both included.
    pub between: Option<Vec<i32>>,
}

/// Conditions on a date field (the stored date: the first day of its span when only a
/// month, quarter or year is known).
#[derive(InputObject, Default, Clone)]
pub struct DateFilter {
    /// On this date.
    pub eq: Option<Date>,
    /// Not on this date; rows where the field is null do not match.
    pub ne: Option<Date>,
    /// After this date.
    pub gt: Option<Date>,
    /// On or after this date.
    pub gte: Option<Date>,
    /// Before this date.
    pub lt: Option<Date>,
    /// On or before this date.
    pub lte: Option<Date>,
    /// On one of these dates.
    #[graphql(name = "in")]
    pub in_list: Option<Vec<Date>>,
    /// On none of these dates.
    pub not_in: Option<Vec<Date>>,
    /// True: the field is null; false: it is not.
    pub is_null: Option<bool>,
    /// Between the two dates given, both included.
    pub between: Option<Vec<Date>>,
}

/// Conditions on an amount of money. Amounts compare exactly, in one currency: `currency`
/// is required, and rows in another currency never match.
#[derive(InputObject, Clone)]
pub struct MoneyFilter {
    /// ISO 4217 code the amounts below are in; only rows in this currency match. Required
    /// with every comparison.
    pub currency: Option<String>,
    /// True: the amount is unknown (null); false: it is known.
    pub is_null: Option<bool>,
    /// Equal to.
    pub eq: Option<Decimal>,
    /// Not equal to.
    pub ne: Option<Decimal>,
    /// Greater than.
    pub gt: Option<Decimal>,
    /// Greater than or equal to.
    pub gte: Option<Decimal>,
    /// Less than.
    pub lt: Option<Decimal>,
    /// Less than or equal to.
    pub lte: Option<Decimal>,
    /// Between the two amounts given, both included.
    pub between: Option<Vec<Decimal>>,
}

/// Conditions on a true/false field.
#[derive(InputObject, Default, Clone)]
pub struct BooleanFilter {
    /// Equal to.
    pub eq: Option<bool>,
}

/// Conditions on an enumeration field.
#[derive(InputObject, Clone)]
#[graphql(concrete(name = "CompanyKindFilter", params(entity::enums::CompanyKind)))]
#[graphql(concrete(name = "ModelKindFilter", params(entity::enums::ModelKind)))]
#[graphql(concrete(name = "BackerRoleFilter", params(entity::enums::BackerRole)))]
#[graphql(concrete(
    name = "SpendingCategoryFilter",
    params(entity::enums::SpendingCategory)
))]
#[graphql(concrete(name = "SpendingStatusFilter", params(entity::enums::SpendingStatus)))]
#[graphql(concrete(name = "AmountBoundFilter", params(entity::enums::AmountBound)))]
#[graphql(concrete(name = "PeriodKindFilter", params(entity::enums::PeriodKind)))]
#[graphql(concrete(name = "ClaimKindFilter", params(entity::enums::ClaimKind)))]
#[graphql(concrete(name = "ClaimStatusFilter", params(entity::enums::ClaimStatus)))]
#[graphql(concrete(name = "ChallengeKindFilter", params(entity::enums::ChallengeKind)))]
#[graphql(concrete(name = "EventKindFilter", params(entity::enums::EventKind)))]
pub struct EnumFilter<T: InputType + sea_orm::ActiveEnum> {
    /// Equal to.
    pub eq: Option<T>,
    /// Not equal to.
    pub ne: Option<T>,
    /// One of these values.
    #[graphql(name = "in")]
    pub in_list: Option<Vec<T>>,
    /// None of these values.
    pub not_in: Option<Vec<T>>,
}

/// A row type's filter input.
pub trait RowFilter {
    /// The SQL condition of the filter on its table.
    fn condition(&self, b: &mut Builder) -> Result<Condition>;
}

/// Filter arguments arrive boxed: a resolver's future holds its arguments, and async-graphql
/// allocates and copies that future, sized for the largest field of its type, for every
/// field it resolves (even a plain `name`).
impl<F: RowFilter> RowFilter for Box<F> {
    fn condition(&self, b: &mut Builder) -> Result<Condition> {
        F::condition(self, b)
    }
}

/// The condition of an optional filter argument (everything when absent).
pub fn filter_condition<F: RowFilter>(backend: DbBackend, filter: &Option<F>) -> Result<Condition> {
    match filter {
        Some(f) => f.condition(&mut Builder::new(backend)),
        None => Ok(Condition::all()),
    }
}

/// Builds conditions, counting terms to refuse abusive filters.
pub struct Builder {
    pub backend: DbBackend,
    terms: usize,
    relations: usize,
}

impl Builder {
    pub fn new(backend: DbBackend) -> Self {
        Builder {
            backend,
            terms: 0,
            relations: 0,
        }
    }

    /// Builds the condition of a related row's filter, one relation deeper.
    pub fn relation<T>(
        &mut self,
        field: &str,
        build: impl FnOnce(&mut Builder) -> Result<T>,
    ) -> Result<T> {
        if self.relations >= MAX_FILTER_RELATIONS {
            return Err(Error::invalid(
                field,
                format!(
                    "filters follow at most {MAX_FILTER_RELATIONS} relations, one inside another"
                ),
            ));
        }
        self.relations += 1;
        let built = build(self);
        self.relations -= 1;
        built
    }

    fn count(&mut self, n: usize) -> Result<()> {
        self.terms += n;
        if self.terms > MAX_FILTER_TERMS {
            return Err(Error::invalid(
                "filter",
                format!("more than {MAX_FILTER_TERMS} terms: split the query"),
            ));
        }
        Ok(())
    }
}

/// Joins conditions with AND (with OR when `any`) as a balanced tree in explicit
/// parentheses. SQLite parses a flat chain left-deep, one level per term, and counts that
/// depth again for every subquery around it: 200 terms under a few relations exceeded its
/// limit of 1,000. Balanced, the chain is 8 levels deep for 200 terms.
pub fn balanced(backend: DbBackend, mut parts: Vec<Condition>, any: bool) -> Condition {
    let join = || {
        if any {
            Condition::any()
        } else {
            Condition::all()
        }
    };
    if parts.len() <= 1 {
        return parts.into_iter().fold(join(), Condition::add);
    }
    let right = parts.split_off(parts.len() / 2);
    let template = if any { "($1 OR $2)" } else { "($1 AND $2)" };
    let halves = [
        Expr::from(balanced(backend, parts, any)),
        Expr::from(balanced(backend, right, any)),
    ];
    Condition::all().add(custom(backend, template, &halves))
}

fn pair<T: Clone>(values: &[T], field: &str) -> Result<(T, T)> {
    match values {
        [low, high] => Ok((low.clone(), high.clone())),
        _ => Err(Error::invalid(
            field,
            "`between` takes exactly two values: [low, high]",
        )),
    }
}

/// An SQL comparison of an expression with a value.
type Comparison<V> = fn(Expr, V) -> Expr;

/// The operators of an ordered filter, borrowed from its input.
struct Ops<'a, V> {
    eq: &'a Option<V>,
    ne: &'a Option<V>,
    gt: &'a Option<V>,
    gte: &'a Option<V>,
    lt: &'a Option<V>,
    lte: &'a Option<V>,
    in_list: &'a Option<Vec<V>>,
    not_in: &'a Option<Vec<V>>,
    between: &'a Option<Vec<V>>,
    is_null: Option<bool>,
}

/// The comparison operators shared by every ordered filter, applied to `column`.
fn compare<V: Into<sea_orm::Value> + Clone>(
    b: &mut Builder,
    column: &Expr,
    ops: Ops<'_, V>,
    field: &str,
) -> Result<Condition> {
    let mut c = Condition::all();
    let singles: [(&Option<V>, Comparison<V>); 6] = [
        (ops.eq, |e, v| e.eq(v)),
        (ops.ne, |e, v| e.ne(v)),
        (ops.gt, |e, v| e.gt(v)),
        (ops.gte, |e, v| e.gte(v)),
        (ops.lt, |e, v| e.lt(v)),
        (ops.lte, |e, v| e.lte(v)),
    ];
    for (value, op) in singles {
        if let Some(v) = value {
            b.count(1)?;
            c = c.add(op(column.clone(), v.clone()));
        }
    }
    if let Some(list) = ops.in_list {
        b.count(list.len().max(1))?;
        c = c.add(
            column.clone().is_in(
                list.iter()
                    .cloned()
                    .map(Into::into)
                    .collect::<Vec<sea_orm::Value>>(),
            ),
        );
    }
    if let Some(list) = ops.not_in {
        b.count(list.len().max(1))?;
        c = c.add(
            column.clone().is_not_in(
                list.iter()
                    .cloned()
                    .map(Into::into)
                    .collect::<Vec<sea_orm::Value>>(),
            ),
        );
    }
    if let Some(values) = ops.between {
        b.count(2)?;
        let (low, high) = pair(values, &format!("{field}.between"))?;
        c = c.add(column.clone().between(low, high));
    }
    if let Some(null) = ops.is_null {
        b.count(1)?;
        c = c.add(if null {
            column.clone().is_null()
        } else {
            column.clone().is_not_null()
        });
    }
    Ok(c)
}

/// Upper/lower-case letter pairs folded by the text operators, the same on both engines.
fn fold_pairs() -> &'static [(char, char)] {
    static PAIRS: OnceLock<Vec<(char, char)>> = OnceLock::new();
    PAIRS.get_or_init(|| {
        let ranges = [0x41..=0x5A, 0xC0..=0x17F, 0x386..=0x3AB, 0x400..=0x42F];
        let pairs: Vec<(char, char)> = ranges
            .into_iter()
            .flatten()
            .filter_map(char::from_u32)
            .filter_map(|upper| {
                let mut lower = upper.to_lowercase();
                match (lower.next(), lower.next()) {
                    (Some(l), None) if l != upper => Some((upper, l)),
                    _ => None,
                }
            })
            .collect();
        // No chains (a lower letter that is itself folded): replace() applied in sequence
        // on SQLite must give what translate() gives on PostgreSQL in one pass.
        let uppers: Vec<char> = pairs.iter().map(|(u, _)| *u).collect();
        pairs
            .into_iter()
            .filter(|(_, l)| !uppers.contains(l))
            .collect()
    })
}

/// `text` folded exactly as the SQL expression from [`fold_sql`] folds a column.
pub fn fold_text(text: &str) -> String {
    let pairs = fold_pairs();
    text.chars()
        .map(|c| {
            pairs
                .iter()
                .find(|(u, _)| *u == c)
                .map(|(_, l)| *l)
                .unwrap_or(c)
        })
        .collect()
}

/// The letter pairs outside ASCII whose lower-case letter occurs in `folded`: the only
/// ones that can change whether a column matches a pattern made of `folded` (a letter that
/// does not occur in the pattern matches nothing in it, folded or not).
fn pairs_for(folded: &str) -> Vec<(char, char)> {
    fold_pairs()
        .iter()
        .filter(|(upper, lower)| !upper.is_ascii() && folded.contains(*lower))
        .copied()
        .collect()
}

/// The SQL that folds `column` for a comparison with `pattern` (a text already folded by
/// [`fold_text`]). PostgreSQL translates every pair in one call; SQLite has no translate(),
/// so it replaces, one nested call each, only the pairs that matter for this pattern: a
/// chain of every pair would be some 200 calls deep, and a few of them in nested
/// subqueries exceed SQLite's expression depth and variable limits.
fn fold_sql(column: Expr, backend: DbBackend, pattern: &str) -> Expr {
    let pairs = fold_pairs();
    match backend {
        DbBackend::Postgres => {
            let (upper, lower): (String, String) = pairs.iter().copied().unzip();
            custom(
                backend,
                "translate($1, $2, $3)",
                &[column, Expr::val(upper), Expr::val(lower)],
            )
        }
        _ => {
            // lower() folds ASCII; replace() every other pair.
            let mut folded = custom(backend, "lower($1)", &[column]);
            for (upper, lower) in pairs_for(pattern) {
                folded = custom(
                    backend,
                    "replace($1, $2, $3)",
                    &[
                        folded,
                        Expr::val(upper.to_string()),
                        Expr::val(lower.to_string()),
                    ],
                );
            }
            folded
        }
    }
}

/// A LIKE pattern matching `text` literally (escaping %, _ and the escape character).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl StringFilter {
    /// Refuses texts longer than [`MAX_FILTER_TEXT`], naming the operator.
    fn check_lengths(&self, field: &str) -> Result<()> {
        let singles = [
            ("eq", &self.eq),
            ("ne", &self.ne),
            ("gt", &self.gt),
            ("gte", &self.gte),
            ("lt", &self.lt),
            ("lte", &self.lte),
            ("contains", &self.contains),
            ("startsWith", &self.starts_with),
            ("endsWith", &self.ends_with),
        ];
        let lists = [
            ("in", &self.in_list),
            ("notIn", &self.not_in),
            ("between", &self.between),
        ];
        let texts = singles
            .iter()
            .filter_map(|(op, v)| v.as_ref().map(|t| (*op, t)))
            .chain(
                lists
                    .iter()
                    .flat_map(|(op, v)| v.iter().flatten().map(move |t| (*op, t))),
            );
        for (op, text) in texts {
            if text.chars().count() > MAX_FILTER_TEXT {
                return Err(Error::invalid(
                    format!("{field}.{op}"),
                    format!("texts to compare with are at most {MAX_FILTER_TEXT} characters"),
                ));
            }
        }
        Ok(())
    }

    pub fn condition(&self, b: &mut Builder, column: Expr, field: &str) -> Result<Condition> {
        self.check_lengths(field)?;
        // Order comparisons by bytes on both engines, like the ordering of lists.
        let ordered = bytewise(column.clone(), b.backend);
        let mut c = compare(
            b,
            &ordered,
            Ops {
                eq: &self.eq,
                ne: &self.ne,
                gt: &self.gt,
                gte: &self.gte,
                lt: &self.lt,
                lte: &self.lte,
                in_list: &self.in_list,
                not_in: &self.not_in,
                between: &self.between,
                is_null: self.is_null,
            },
            field,
        )?;
        let patterns = [
            (&self.contains, "%{}%"),
            (&self.starts_with, "{}%"),
            (&self.ends_with, "%{}"),
        ];
        for (value, shape) in patterns {
            if let Some(text) = value {
                let folded_text = fold_text(text);
                let letters = pairs_for(&folded_text).len();
                if letters > MAX_FOLDED_LETTERS {
                    return Err(Error::invalid(
                        field,
                        format!(
                            "a text pattern may hold at most {MAX_FOLDED_LETTERS} distinct \
                             letters outside ASCII"
                        ),
                    ));
                }
                // The same count on both engines, so that both refuse the same filters.
                b.count(1 + letters)?;
                let pattern = shape.replace("{}", &like_literal(&folded_text));
                let folded = fold_sql(column.clone(), b.backend, &folded_text);
                c = c.add(custom(
                    b.backend,
                    "$1 LIKE $2 ESCAPE '\\'",
                    &[folded, Expr::val(pattern)],
                ));
            }
        }
        Ok(c)
    }
}

impl IntFilter {
    pub fn condition(&self, b: &mut Builder, column: Expr, field: &str) -> Result<Condition> {
        compare(
            b,
            &column,
            Ops {
                eq: &self.eq,
                ne: &self.ne,
                gt: &self.gt,
                gte: &self.gte,
                lt: &self.lt,
                lte: &self.lte,
                in_list: &self.in_list,
                not_in: &self.not_in,
                between: &self.between,
                is_null: self.is_null,
            },
            field,
        )
    }
}

impl DateFilter {
    pub fn condition(&self, b: &mut Builder, column: Expr, field: &str) -> Result<Condition> {
        let d = |v: &Option<Date>| v.map(|d| d.0);
        let list = |v: &Option<Vec<Date>>| {
            v.as_ref()
                .map(|l| l.iter().map(|d| d.0).collect::<Vec<NaiveDate>>())
        };
        let (in_list, not_in, between) =
            (list(&self.in_list), list(&self.not_in), list(&self.between));
        compare(
            b,
            &column,
            Ops {
                eq: &d(&self.eq),
                ne: &d(&self.ne),
                gt: &d(&self.gt),
                gte: &d(&self.gte),
                lt: &d(&self.lt),
                lte: &d(&self.lte),
                in_list: &in_list,
                not_in: &not_in,
                between: &between,
                is_null: self.is_null,
            },
            field,
        )
    }
}

impl MoneyFilter {
    fn compares(&self) -> bool {
        self.eq.is_some()
            || self.ne.is_some()
            || self.gt.is_some()
            || self.gte.is_some()
            || self.lt.is_some()
            || self.lte.is_some()
            || self.between.is_some()
    }

    /// Conditions on the minor-unit `amount` column beside its `currency` column.
    pub fn condition(
        &self,
        b: &mut Builder,
        amount: Expr,
        currency: Expr,
        field: &str,
    ) -> Result<Condition> {
        let mut c = Condition::all();
        if let Some(null) = self.is_null {
            b.count(1)?;
            c = c.add(if null {
                amount.clone().is_null()
            } else {
                amount.clone().is_not_null()
            });
        }
        let Some(code) = &self.currency else {
            if self.compares() {
                return Err(Error::invalid(
                    format!("{field}.currency"),
                    "amounts compare within one currency: give `currency`",
                ));
            }
            return Ok(c);
        };
        money::minor_digits(code).map_err(|_| {
            Error::invalid(
                format!("{field}.currency"),
                format!("{code:?} is not a supported ISO 4217 code"),
            )
        })?;
        let parse = |v: &Option<Decimal>, op: &str| -> Result<Option<i64>> {
            v.as_ref()
                .map(|d| money::parse_amount(&d.0, code, &format!("{field}.{op}")))
                .transpose()
        };
        let between = match &self.between {
            None => None,
            Some(values) => {
                let (low, high) = pair(values, &format!("{field}.between"))?;
                Some(vec![
                    money::parse_amount(&low.0, code, &format!("{field}.between"))?,
                    money::parse_amount(&high.0, code, &format!("{field}.between"))?,
                ])
            }
        };
        b.count(1)?;
        let compared = compare(
            b,
            &amount,
            Ops {
                eq: &parse(&self.eq, "eq")?,
                ne: &parse(&self.ne, "ne")?,
                gt: &parse(&self.gt, "gt")?,
                gte: &parse(&self.gte, "gte")?,
                lt: &parse(&self.lt, "lt")?,
                lte: &parse(&self.lte, "lte")?,
                in_list: &None,
                not_in: &None,
                between: &between,
                is_null: None,
            },
            field,
        )?;
        Ok(c.add(compared).add(currency.eq(code.clone())))
    }
}

impl BooleanFilter {
    pub fn condition(&self, b: &mut Builder, column: Expr, _field: &str) -> Result<Condition> {
        let mut c = Condition::all();
        if let Some(v) = self.eq {
            b.count(1)?;
            c = c.add(column.eq(v));
        }
        Ok(c)
    }
}

impl<T: InputType + sea_orm::ActiveEnum + Clone> EnumFilter<T> {
    pub fn condition(&self, b: &mut Builder, column: Expr, _field: &str) -> Result<Condition> {
        let value = |v: &T| -> sea_orm::Value { v.clone().into_value().into() };
        let mut c = Condition::all();
        if let Some(v) = &self.eq {
            b.count(1)?;
            c = c.add(column.clone().eq(value(v)));
        }
        if let Some(v) = &self.ne {
            b.count(1)?;
            c = c.add(column.clone().ne(value(v)));
        }
        if let Some(list) = &self.in_list {
            b.count(list.len().max(1))?;
            c = c.add(
                column
                    .clone()
                    .is_in(list.iter().map(value).collect::<Vec<_>>()),
            );
        }
        if let Some(list) = &self.not_in {
            b.count(list.len().max(1))?;
            c = c.add(
                column
                    .clone()
                    .is_not_in(list.iter().map(value).collect::<Vec<_>>()),
            );
        }
        Ok(c)
    }
}

/// A column of `E`, qualified with its table (subqueries may list the same table again).
pub fn col<E: EntityTrait>(column: E::Column) -> Expr {
    Expr::col((E::default(), column))
}

/// `fk IN (SELECT id FROM target WHERE condition)`: a to-one relation matching.
pub fn to_one<T: EntityTrait>(fk: Expr, condition: Condition) -> SimpleExpr {
    let sub = Query::select()
        .expr(Expr::col((T::default(), Alias::new("id"))))
        .from(T::default())
        .cond_where(condition)
        .to_owned();
    fk.in_subquery(sub)
}

/// Which children a to-many filter asks for.
pub enum Quantifier {
    Some,
    None,
    Every,
}

/// `id IN / NOT IN (SELECT fk FROM child WHERE ...)`: a to-many relation matching.
pub fn to_many<P: EntityTrait, C: EntityTrait>(
    fk: C::Column,
    quantifier: Quantifier,
    condition: Condition,
) -> SimpleExpr {
    let fk_expr = Expr::col((C::default(), fk));
    let mut sub = Query::select();
    sub.expr(fk_expr.clone())
        .from(C::default())
        .and_where(fk_expr.is_not_null());
    let parent_id = Expr::col((P::default(), Alias::new("id")));
    match quantifier {
        Quantifier::Some => parent_id.in_subquery(sub.cond_where(condition).to_owned()),
        Quantifier::None => parent_id.not_in_subquery(sub.cond_where(condition).to_owned()),
        Quantifier::Every => parent_id.not_in_subquery(sub.cond_where(condition.not()).to_owned()),
    }
}

/// The name of a column, for error paths.
pub fn name_of<C: IdenStatic>(column: C) -> &'static str {
    column.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_covers_ascii_latin_greek_and_cyrillic_letters() {
        assert_eq!(
            fold_text("Élan ÄPFEL Ωmega ПРИВЕТ Zeta"),
            "élan äpfel ωmega привет zeta"
        );
        assert_eq!(fold_text("already lower 123 ß"), "already lower 123 ß");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_literal("50%_off\\"), "50\\%\\_off\\\\");
    }
}
