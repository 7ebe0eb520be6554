//! Filters as SQL: the [`Builder`] that turns a row type's filter into one `WHERE`, with
//! the operators shared by every scalar field, `and`, `or` and `not` as balanced trees, and
//! conditions through relations (`investee: {...}`, `models: { some: ... }`) as `IN (SELECT
//! ...)` subqueries. The filter input types themselves (GraphQL inputs) live in
//! `graphql::filters` and `graphql::entity_filters`; they implement [`RowFilter`] with the
//! pieces here.
//!
//! Text operators `contains`, `startsWith` and `endsWith` ignore case, and they do so the
//! same way on SQLite and PostgreSQL: both sides are folded by one table of letter pairs
//! (ASCII, Latin-1, Latin Extended-A/B, Greek, Cyrillic), applied with `lower()` plus
//! `replace()` on SQLite and `translate()` on PostgreSQL, because SQLite's `lower()` knows
//! ASCII only and PostgreSQL's knows all of Unicode.

mod fold;

pub use fold::fold_text;
pub(crate) use fold::{fold_sql, like_literal, pairs_for};

use sea_orm::sea_query::{Alias, Expr, Query, SimpleExpr};
use sea_orm::{Condition, DbBackend, EntityTrait, ExprTrait, IdenStatic};

use super::sql::custom;
use crate::error::{Error, Result};

/// Most terms a filter may contain (operators, nested filters and list items together; a
/// text pattern counts one more for each letter outside ASCII that it folds).
pub const MAX_FILTER_TERMS: usize = 200;

/// Deepest nesting of relations in a filter (`parent: { parent: ... }`, `models: { some:
/// ... }`): each is a subquery, and SQLite refuses expressions nested too deep.
pub const MAX_FILTER_RELATIONS: usize = 12;

/// Most distinct letters outside ASCII in one `contains`/`startsWith`/`endsWith` text: each
/// is one more nested `replace()` on SQLite (see `fold::pairs_for`), and SQLite counts that
/// chain's depth again for each relation around it. Measured on the bundled SQLite, 12
/// relations deep: 69 letters pass, 70 exceed its expression depth of 1,000.
pub const MAX_FOLDED_LETTERS: usize = 48;

/// Longest text a filter compares with, in characters: the longest text column but a
/// source's content, and well within SQLite's limit on LIKE patterns (50,000 bytes).
pub const MAX_FILTER_TEXT: usize = 5_000;

/// A row type's filter input.
pub trait RowFilter {
    /// The SQL condition of the filter on its table.
    fn condition(&self, b: &mut Builder) -> Result<Condition>;

    /// The one currency of every row the filter selects, when the filter fixes it: an
    /// amount's `currency` at the filter's top level or inside its `and` (the condition
    /// then holds `currency = code`). Aggregates read money per currency from it.
    fn currency(&self) -> Option<&str> {
        None
    }
}

/// Filter arguments arrive boxed: a resolver's future holds its arguments, and async-graphql
/// allocates and copies that future, sized for the largest field of its type, for every
/// field it resolves (even a plain `name`).
impl<F: RowFilter> RowFilter for Box<F> {
    fn condition(&self, b: &mut Builder) -> Result<Condition> {
        F::condition(self, b)
    }

    fn currency(&self) -> Option<&str> {
        F::currency(self)
    }
}

/// The currency an optional filter argument fixes (see [`RowFilter::currency`]).
pub fn filter_currency<F: RowFilter>(filter: &Option<F>) -> Option<String> {
    filter
        .as_ref()
        .and_then(|f| f.currency())
        .map(str::to_string)
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

    /// Counts `n` more terms; an error past [`MAX_FILTER_TERMS`].
    pub(crate) fn count(&mut self, n: usize) -> Result<()> {
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

/// The two values of a `between`.
pub(crate) fn pair<T: Clone>(values: &[T], field: &str) -> Result<(T, T)> {
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

/// An SQL comparison of an expression with a list of values.
type ListComparison = Comparison<Vec<sea_orm::Value>>;

/// The operators of an ordered filter, borrowed from its input.
pub(crate) struct Ops<'a, V> {
    pub(crate) eq: &'a Option<V>,
    pub(crate) ne: &'a Option<V>,
    pub(crate) gt: &'a Option<V>,
    pub(crate) gte: &'a Option<V>,
    pub(crate) lt: &'a Option<V>,
    pub(crate) lte: &'a Option<V>,
    pub(crate) in_list: &'a Option<Vec<V>>,
    pub(crate) not_in: &'a Option<Vec<V>>,
    pub(crate) between: &'a Option<Vec<V>>,
    pub(crate) is_null: Option<bool>,
}

/// The comparison operators shared by every ordered filter, applied to `column`.
pub(crate) fn compare<V: Into<sea_orm::Value> + Clone>(
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
    let lists: [(&Option<Vec<V>>, ListComparison); 2] = [
        (ops.in_list, |e, l| e.is_in(l)),
        (ops.not_in, |e, l| e.is_not_in(l)),
    ];
    for (list, op) in lists {
        if let Some(list) = list {
            b.count(list.len().max(1))?;
            c = c.add(op(
                column.clone(),
                list.iter().cloned().map(Into::into).collect(),
            ));
        }
    }
    if let Some(values) = ops.between {
        b.count(2)?;
        let (low, high) = pair(values, &format!("{field}.between"))?;
        c = c.add(column.clone().between(low, high));
    }
    if let Some(null) = ops.is_null {
        c = c.add(null_check(b, column, null)?);
    }
    Ok(c)
}

/// `column IS NULL` when `null`, else `column IS NOT NULL`: one term.
pub(crate) fn null_check(b: &mut Builder, column: &Expr, null: bool) -> Result<Expr> {
    b.count(1)?;
    Ok(if null {
        column.clone().is_null()
    } else {
        column.clone().is_not_null()
    })
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
