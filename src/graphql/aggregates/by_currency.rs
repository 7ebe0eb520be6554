//! Statistics grouped by the currency as well as the keys, merged per group in Rust: money
//! per currency comes from the same statement as the groups, with no second scan.
//!
//! A plain aggregate groups its rows by the parent and the currency (`summaries_by_currency`
//! in the parent module). A page of groups whose selection asks for `byCurrency` does the
//! same, in one statement of four levels:
//!
//! 1. `s`: the rows grouped by the keys and the currency (the *parts* of each group), with
//!    their statistics and the parts of every `having` and `orderBy` aggregate (`qh{j}`,
//!    `qo{j}`);
//! 2. `c`: each part with its group's values of those aggregates, combined over the group's
//!    parts by window functions (`wh{j}`, `wo{j}`: counts and sums add up, minimums and
//!    maximums compare);
//! 3. `r`: the parts of the groups that pass `having`, each with its group's rank in the
//!    order asked for (`DENSE_RANK`, so all parts of a group share it) and the number of
//!    groups (`group_total`, from the first part of each group);
//! 4. the parts of the page's groups, by rank.
//!
//! Paging is by groups, not by parts, and the expensive part (the scan) happens once; the
//! levels above it read one row per group and currency (A3 at the default size, EXPLAIN
//! ANALYZE medians on a loaded machine: 59 to 75 ms, against 121 ms for the page and its
//! money as two statements, and 59 ms for the hand-written reference).
//!
//! Two kinds of grouping keep the page statement of their own, and read their money lazily
//! for the page's groups (`Frame::money`):
//! - a distinct count or an average in `having` or `orderBy`: it does not combine from parts;
//! - keys grouped by foreign key (`Frame::late_key`, an investor's name): their page
//!   statement groups by the foreign key alone and joins the names of the page's groups
//!   only, and the money statement reads the page's groups only. Parts would join a name to
//!   every part and sort them all: A2 with `byCurrency` measured 82 ms in one statement of
//!   parts, against 72 ms for its two statements (EXPLAIN ANALYZE, medians of 21).

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::ExprTrait;
use sea_orm::QueryResult;
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, Func, Order, OverStatement, Query, SelectStatement, WindowStatement,
};

use super::StatKind;
use super::frame::{Frame, MoneyByCurrency, StatValues, add_stat_measures, read_stat};
use super::groups::GroupPlan;
use super::stats::Summary;
use crate::data::paging::KeyValue;
use crate::error::Result;

/// What is measured of a stat in a statement grouped by currency: money as a number.
pub(super) fn measured(kind: StatKind) -> StatKind {
    if kind == StatKind::Money {
        StatKind::Number
    } else {
        kind
    }
}

/// Adds the measures of rows grouped by currency: the row count `n` and the measures of
/// the stats that the frame's selection asks for, money measured as a number.
pub(super) fn add_part_measures(select: &mut SelectStatement, frame: &Frame) {
    select.expr_as(Expr::col(Asterisk).count(), Alias::new("n"));
    for (i, stat) in frame.stats.iter().enumerate() {
        add_stat_measures(select, i, measured(stat.kind), frame);
    }
}

/// Groups merged from their parts (rows grouped by the keys and the currency), in the order
/// their first parts came.
#[derive(Default)]
pub(super) struct Merged {
    order: Vec<Vec<KeyValue>>,
    groups: HashMap<Vec<KeyValue>, (i64, Vec<StatValues>)>,
    money: HashMap<Vec<KeyValue>, MoneyByCurrency>,
}

impl Merged {
    /// Adds one part: its count and statistics to its group's, and its money to the
    /// group's money per currency. Returns the group's key (parent first).
    pub(super) fn add(&mut self, frame: &Frame, row: &QueryResult) -> Result<Vec<KeyValue>> {
        let key = frame.read_key(row)?;
        let currency: Option<String> = row.try_get("", "cur")?;
        let n: i64 = row.try_get("", "n")?;
        let values = frame
            .stats
            .iter()
            .enumerate()
            .map(|(i, stat)| read_stat(row, i, measured(stat.kind), frame))
            .collect::<Result<Vec<_>>>()?;
        let group = self.groups.entry(key.clone()).or_insert_with(|| {
            self.order.push(key.clone());
            (0, vec![StatValues::default(); frame.stats.len()])
        });
        group.0 += n;
        for ((total, part), stat) in group.1.iter_mut().zip(&values).zip(frame.stats) {
            if stat.kind == StatKind::Money {
                // Amounts in different currencies are never added: only their count.
                total.count += part.count;
            } else {
                total.merge(part);
            }
        }
        if let Some(currency) = currency {
            let per_currency = frame
                .stats
                .iter()
                .zip(values)
                .map(|(stat, v)| {
                    if stat.kind == StatKind::Money {
                        v
                    } else {
                        StatValues::default()
                    }
                })
                .collect();
            self.money
                .entry(key.clone())
                .or_default()
                .push((currency, n, per_currency));
        }
        Ok(key)
    }

    /// The merged groups in order; their money per currency (in code order) is stored in
    /// the frame, where `byCurrency` finds it without a statement of its own.
    pub(super) async fn finish(mut self, frame: &Arc<Frame>) -> Result<Vec<Summary>> {
        for currencies in self.money.values_mut() {
            currencies.sort_by(|a, b| a.0.cmp(&b.0));
        }
        frame.seed_money(self.money).await?;
        let mut groups = self.groups;
        Ok(self
            .order
            .into_iter()
            .filter_map(|key| {
                let (n, stats) = groups.remove(&key)?;
                Some(Summary::new(frame, key, n, stats))
            })
            .collect())
    }
}

/// Whether every `having` and `orderBy` aggregate of `plan` combines from parts, so that
/// the page can be read grouped by currency as well.
pub(super) fn combines(plan: &GroupPlan) -> bool {
    plan.having.iter().all(|h| h.part.is_some())
        && plan
            .order
            .iter()
            .all(|o| o.key.is_some() || o.combine.is_some())
}

/// The page's statement over the parts of its groups (see the module's comment), for a
/// frame without keys grouped by foreign key.
pub(super) fn page_of_parts(
    frame: &Frame,
    plan: &GroupPlan,
    ids: Option<&[i32]>,
) -> SelectStatement {
    let groups = frame.group_aliases(false);
    let col = |table: &str, column: &str| Expr::col((Alias::new(table), Alias::new(column)));
    let by_group = || {
        let mut window = WindowStatement::new();
        for alias in &groups {
            window.add_partition_by(col("s", alias));
        }
        window
    };
    let by_parent = || {
        let mut window = WindowStatement::new();
        if frame.parent.is_some() {
            window.add_partition_by(Expr::col(Alias::new("p")));
        }
        window
    };

    // 1. The parts, with the parts of the aggregates of `having` (`qh{j}`) and `orderBy`
    // (`qo{j}`).
    let mut parts = frame.outer(frame.inner(ids, &plan.extra), &["cur"]);
    add_part_measures(&mut parts, frame);
    for (j, h) in plan.having.iter().enumerate() {
        if let Some((part, _)) = &h.part {
            parts.expr_as(part.clone(), Alias::new(format!("qh{j}")));
        }
    }
    for (j, o) in plan.order.iter().enumerate() {
        if o.key.is_none() {
            parts.expr_as(o.expr.clone(), Alias::new(format!("qo{j}")));
        }
    }

    // 2. Each part with its group's combined aggregates (`wh{j}`, `wo{j}`).
    let mut combined = Query::select();
    combined
        .from_subquery(parts, Alias::new("s"))
        .column((Alias::new("s"), Asterisk));
    for (j, h) in plan.having.iter().enumerate() {
        if let Some((_, combine)) = &h.part {
            combined.expr_window_as(
                combine.over(col("s", &format!("qh{j}"))),
                by_group(),
                Alias::new(format!("wh{j}")),
            );
        }
    }
    for (j, o) in plan.order.iter().enumerate() {
        if let (None, Some(combine)) = (o.key, o.combine) {
            combined.expr_window_as(
                combine.over(col("s", &format!("qo{j}"))),
                by_group(),
                Alias::new(format!("wo{j}")),
            );
        }
    }
    if plan.count {
        combined.expr_window_as(
            Expr::cust("ROW_NUMBER()"),
            by_group(),
            Alias::new("part_row"),
        );
    }

    // 3. The parts of the groups that pass `having`, ranked by group.
    let mut ranked = Query::select();
    ranked
        .from_subquery(combined, Alias::new("c"))
        .column(Asterisk);
    for (j, h) in plan.having.iter().enumerate() {
        ranked.and_where(h.over(Expr::col(Alias::new(format!("wh{j}")))));
    }
    let mut order = by_parent();
    for (j, term) in plan.order.iter().enumerate() {
        let expr = match term.key {
            Some(_) => term.expr.clone(),
            None => Expr::col(Alias::new(format!("wo{j}"))),
        };
        order.order_by_expr_with_nulls(expr, term.order.clone(), term.nulls);
    }
    ranked.expr_window_as(Expr::cust("DENSE_RANK()"), order, Alias::new("grp"));
    if plan.count {
        ranked.expr_window_as(
            Func::sum(Expr::cust("CASE WHEN \"part_row\" = 1 THEN 1 ELSE 0 END")),
            by_parent(),
            Alias::new("group_total"),
        );
    }

    // 4. The page's groups.
    let rank = Expr::col(Alias::new("grp"));
    let mut page = Query::select();
    page.column(Asterisk)
        .from_subquery(ranked, Alias::new("r"))
        .and_where(rank.clone().gt(plan.offset as i64))
        .and_where(rank.lte((plan.offset + plan.limit + 1) as i64));
    if frame.parent.is_some() {
        page.order_by(Alias::new("p"), Order::Asc);
    }
    page.order_by(Alias::new("grp"), Order::Asc)
        .order_by(Alias::new("cur"), Order::Asc);
    page
}
