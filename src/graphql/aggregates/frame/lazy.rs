//! The lazy statistics of a frame: money per currency and distinct counts, computed once
//! per frame for the groups a page showed (by foreign key for a page keyed by foreign
//! keys), and cached on the frame for every group of the page.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::sea_query::{Alias, Asterisk, Expr, Func, Order, SelectStatement};
use sea_orm::{Condition, ExprTrait, QueryResult};

use super::{Extra, Frame, KeySql, MoneyByCurrency, StatValues, add_stat_measures, read_stat};
use crate::data::lists::Term;
use crate::data::paging::{KeyKind, KeyValue};
use crate::error::Result;
use crate::graphql::aggregates::StatKind;
use crate::graphql::aggregates::measures::Measure;

/// Most groups whose keys restrict the lazy statistics' statement; past it (a large batch
/// of nested pages) they are computed for all groups.
const MAX_RESTRICTED_GROUPS: usize = 500;

impl Frame {
    /// Remembers the groups a page showed (their key values, parent first for a nested
    /// list), so that the lazy statistics read only their rows.
    pub(in crate::graphql::aggregates) fn set_page(
        &self,
        keys: impl Iterator<Item = Vec<KeyValue>>,
    ) {
        let skip = usize::from(self.parent.is_some());
        let _ = self
            .page
            .set(keys.map(|k| k.into_iter().skip(skip).collect()).collect());
    }

    /// Remembers, for a page keyed by foreign keys, each group's key by foreign key (read
    /// with [`Frame::read_key_keyed`]) and the key the page shows.
    pub(in crate::graphql::aggregates) fn set_late_page(
        &self,
        keys: impl Iterator<Item = (Vec<KeyValue>, Vec<KeyValue>)>,
    ) {
        let _ = self.late_page.set(keys.collect());
    }

    /// Whether the lazy statistics read the page's groups by foreign key: a page keyed by
    /// foreign keys was loaded, and it does not hold every group.
    fn reads_page_late(&self) -> bool {
        self.page.get().is_some() && self.late_page.get().is_some()
    }

    /// Restricts `inner` to the rows of the page's groups, when a page was loaded that does
    /// not hold every group, and its keys are plain columns: dates are left alone (their
    /// text would not compare with a date column on PostgreSQL), and so are time buckets,
    /// whose expression the condition would compute once per group for every row (A3 at
    /// the default size: 476 ms with the condition, 58 ms for grouping every row).
    /// With `late`, `inner` was made by [`Frame::inner_keyed`] with `late`, and the groups
    /// are found by their foreign keys (`investor_id IN (...)` for one key).
    fn restrict_to_page(&self, inner: &mut SelectStatement, late: bool) {
        let Some(page) = self.page.get() else { return };
        if late {
            let Some(by_fk) = self.late_page.get() else {
                return;
            };
            let expr = |i: usize, key: &KeySql| match self.late_key(i) {
                Some(relation) => Expr::col((Alias::new(relation.table), Alias::new(relation.fk))),
                None => key.expr.clone(),
            };
            // One key and no group of rows without one (a nullable foreign key): an IN list.
            let ids: Option<Vec<i64>> = by_fk
                .keys()
                .map(|k| match k.as_slice() {
                    [KeyValue::Int(i)] => Some(*i),
                    _ => None,
                })
                .collect();
            match ids {
                Some(ids) => inner.and_where(expr(0, &self.keys[0]).is_in(ids)),
                None => inner.cond_where(self.any_of(by_fk.keys(), expr)),
            };
            return;
        }
        if page.is_empty()
            || page.len() > MAX_RESTRICTED_GROUPS
            || self
                .keys
                .iter()
                .any(|k| k.kind == KeyKind::Date || k.bucket.is_some())
        {
            return;
        }
        inner.cond_where(self.any_of(page.iter(), |_, key| key.expr.clone()));
    }

    /// The rows of any of the groups `keys`, the key `i` read by `expr(i, key)`.
    fn any_of<'a>(
        &self,
        keys: impl Iterator<Item = &'a Vec<KeyValue>>,
        expr: impl Fn(usize, &KeySql) -> Expr,
    ) -> Condition {
        let mut any = Condition::any();
        for values in keys {
            let mut all = Condition::all();
            for (i, (key, value)) in self.keys.iter().zip(values).enumerate() {
                let expr = expr(i, key);
                all = all.add(match value {
                    KeyValue::Null => expr.is_null(),
                    KeyValue::Int(i) => expr.eq(*i),
                    KeyValue::Bool(b) => expr.eq(*b),
                    KeyValue::Text(t) => expr.eq(t.as_str()),
                });
            }
            any = any.add(all);
        }
        any
    }

    /// The key a lazy statistics row belongs to, as the page shows it; `None` for a row of
    /// no group of the page.
    fn page_key(&self, row: &QueryResult, late: bool) -> Result<Option<Vec<KeyValue>>> {
        if !late {
            return self.read_key(row).map(Some);
        }
        let key = self.read_key_keyed(row, true)?;
        Ok(self.late_page.get().and_then(|m| m.get(&key)).cloned())
    }

    /// The terms whose distinct counts were asked for so far.
    pub(in crate::graphql::aggregates) fn distinct_terms(&self) -> Vec<Term> {
        self.distinct_terms
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The money stats whose statistics per currency the selection asks for.
    pub(in crate::graphql::aggregates) fn per_currency(&self) -> impl Iterator<Item = usize> + '_ {
        self.stats.iter().enumerate().filter_map(|(i, stat)| {
            (stat.kind == StatKind::Money && self.measures.wants(i, Measure::PerCurrency))
                .then_some(i)
        })
    }

    /// Stores the money statistics of every group, computed with the groups themselves.
    pub(in crate::graphql::aggregates) async fn seed_money(
        &self,
        money: HashMap<Vec<KeyValue>, MoneyByCurrency>,
    ) -> Result<()> {
        self.cached("money", || async move { Ok(money) }).await?;
        Ok(())
    }

    /// Money statistics per group and currency, for every group of the frame.
    pub(in crate::graphql::aggregates) async fn money(
        &self,
    ) -> Result<Arc<HashMap<Vec<KeyValue>, MoneyByCurrency>>> {
        self.cached("money", || async {
            let mut by_key: HashMap<Vec<KeyValue>, MoneyByCurrency> = HashMap::new();
            if self.currency.is_none() {
                return Ok(by_key);
            }
            let late = self.reads_page_late();
            let rows = self
                .run(|ids| {
                    let mut inner = self.inner_keyed(ids, &[], late);
                    self.restrict_to_page(&mut inner, late);
                    if let Some(currency) = self.currency {
                        inner.and_where(self.column(currency).is_not_null());
                    }
                    let mut outer = self.outer_keyed(inner, &["cur"], late);
                    outer.expr_as(Expr::col(Asterisk).count(), Alias::new("n"));
                    for i in self.per_currency() {
                        add_stat_measures(&mut outer, i, StatKind::Number, self);
                    }
                    outer.order_by(Alias::new("cur"), Order::Asc);
                    outer
                })
                .await?;
            for row in rows {
                let Some(key) = self.page_key(&row, late)? else {
                    continue;
                };
                let currency: String = row.try_get("", "cur")?;
                let n: i64 = row.try_get("", "n")?;
                let mut values = vec![StatValues::default(); self.stats.len()];
                for i in self.per_currency() {
                    values[i] = read_stat(&row, i, StatKind::Number, self)?;
                }
                by_key.entry(key).or_default().push((currency, n, values));
            }
            Ok(by_key)
        })
        .await
    }

    /// The number of distinct values of `term` per group, for every group of the frame.
    pub(in crate::graphql::aggregates) async fn distinct(
        &self,
        term: Term,
    ) -> Result<Arc<HashMap<Vec<KeyValue>, i64>>> {
        {
            let mut asked = self
                .distinct_terms
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if !asked.iter().any(|t| t.name == term.name) {
                asked.push(term.clone());
            }
        }
        self.cached(&format!("distinct:{}", term.name), || async {
            let extra = [Extra {
                alias: "d".to_string(),
                expr: term.expr,
                join: term.join,
            }];
            let late = self.reads_page_late();
            let rows = self
                .run(|ids| {
                    let mut inner = self.inner_keyed(ids, &extra, late);
                    self.restrict_to_page(&mut inner, late);
                    let mut outer = self.outer_keyed(inner, &[], late);
                    outer.expr_as(
                        Func::count_distinct(Expr::col(Alias::new("d"))),
                        Alias::new("n"),
                    );
                    outer
                })
                .await?;
            let mut counts = HashMap::new();
            for row in rows {
                if let Some(key) = self.page_key(&row, late)? {
                    counts.insert(key, row.try_get::<i64>("", "n")?);
                }
            }
            Ok(counts)
        })
        .await
    }
}
