//! Group-by as a Relay connection: planning, paging with signed offset cursors, and
//! loading the groups of one parent or of a whole batch of siblings at once.

use std::borrow::Cow;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::{Object, TypeName};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, JoinType, Order, Query, SelectStatement, WindowStatement,
};
use sea_orm::{DbBackend, ExprTrait, QueryResult};

use super::by_currency::{Merged, combines, page_of_parts};
use super::frame::{
    Extra, Frame, KeySql, MoneyByCurrency, StatValues, add_summary_measures, frame, key_sql,
    read_stat,
};
use super::inputs::GroupArgs;
use super::stats::{GroupKeyValue, Summary};
use super::terms::{HavingSql, OrderSql, having_sql, order_sql};
use super::{
    Aggregated, DEFAULT_GROUPS, MAX_GROUP_KEYS, MAX_GROUP_TERMS, MAX_GROUPS, Scope, StatKind,
};
use crate::data::lists::Counter;
use crate::data::paging::{EndCursor, KeyValue, PageInfo, base64url_decode, base64url_encode};
use crate::data::sql::bytewise;
use crate::error::{Error, Result};

/// A position in a list of groups: an offset, and a signature of the grouping it belongs to.
pub(super) fn group_cursor(signature: u64, offset: usize) -> String {
    base64url_encode(format!("groups:{signature:x}:{offset}").as_bytes())
}

pub(super) fn decode_group_cursor(text: &str, signature: u64) -> Result<usize> {
    let bad = || {
        Error::invalid(
            "after",
            "not a cursor of this grouping: cursors come from `edges.cursor` or `pageInfo.endCursor` of the same groupBy",
        )
    };
    let bytes = base64url_decode(text).ok_or_else(bad)?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut parts = text.split(':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("groups"), Some(sig), Some(offset), None) if sig == format!("{signature:x}") => {
            offset.parse().map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

/// One group: its key values and its aggregates.
pub struct Group<T> {
    keys: Vec<GroupKeyValue>,
    summary: Summary,
    _type: PhantomData<fn() -> T>,
}

impl<T: Aggregated> TypeName for Group<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Group", T::NAME).into()
    }
}

/// One group: its key values and its aggregates.
#[Object(name_type)]
impl<T: Aggregated> Group<T> {
    /// The values of the group's keys, in the order of `by`.
    async fn keys(&self) -> &[GroupKeyValue] {
        &self.keys
    }
    /// The aggregates over the group's rows.
    async fn aggregate(&self) -> T::Aggregate {
        T::Aggregate::from(self.summary.clone())
    }
}

/// A group with its cursor.
pub struct GroupEdge<T> {
    cursor: String,
    node: Group<T>,
}

impl<T: Aggregated> TypeName for GroupEdge<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}GroupEdge", T::NAME).into()
    }
}

/// A group with its cursor.
#[Object(name_type)]
impl<T: Aggregated> GroupEdge<T> {
    /// Opaque cursor of this group: pass it as `after` to page from here.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    /// The group.
    async fn node(&self) -> &Group<T> {
        &self.node
    }
}

/// A page of groups.
pub struct GroupConnection<T> {
    groups: Vec<(String, Vec<GroupKeyValue>, Summary)>,
    info: PageInfo,
    count: Counter,
    _type: PhantomData<fn() -> T>,
}

impl<T: Aggregated> TypeName for GroupConnection<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}GroupConnection", T::NAME).into()
    }
}

impl<T> GroupConnection<T> {
    fn group(&self, i: usize) -> Group<T> {
        let (_, keys, summary) = &self.groups[i];
        Group {
            keys: keys.clone(),
            summary: summary.clone(),
            _type: PhantomData,
        }
    }
}

/// A page of groups.
#[Object(name_type)]
impl<T: Aggregated> GroupConnection<T> {
    /// The groups of the page, each with its cursor.
    async fn edges(&self) -> Vec<GroupEdge<T>> {
        (0..self.groups.len())
            .map(|i| GroupEdge {
                cursor: self.groups[i].0.clone(),
                node: self.group(i),
            })
            .collect()
    }
    /// The groups of the page.
    async fn nodes(&self) -> Vec<Group<T>> {
        (0..self.groups.len()).map(|i| self.group(i)).collect()
    }
    /// Whether more groups follow, and the cursors of the page's ends.
    async fn page_info(&self) -> &PageInfo {
        &self.info
    }
    /// Number of groups in all pages together (after `having`); counted only when selected.
    async fn total_count(&self) -> crate::graphql::Result<i64> {
        Ok((self.count)().await?)
    }
}

/// The rows of a connection grouped, one page of groups.
pub async fn group_by<T: Aggregated>(
    scope: &Scope,
    args: GroupArgs<T::Field>,
) -> Result<GroupConnection<T>> {
    let backend = scope.db.get_database_backend();
    if args.by.is_empty() || args.by.len() > MAX_GROUP_KEYS {
        return Err(Error::invalid(
            "by",
            format!("group by 1 to {MAX_GROUP_KEYS} keys"),
        ));
    }
    if args.having.len() + args.order_by.len() > MAX_GROUP_TERMS {
        return Err(Error::invalid(
            "having",
            format!("at most {MAX_GROUP_TERMS} `having` and `orderBy` terms together"),
        ));
    }
    let limit = match args.first {
        None => DEFAULT_GROUPS,
        Some(n) if n < 0 => return Err(Error::invalid("first", "must not be negative")),
        Some(n) if n as usize > MAX_GROUPS => {
            return Err(Error::invalid(
                "first",
                format!(
                    "{n} is more than the maximum of {MAX_GROUPS} groups a page: page with `after`"
                ),
            ));
        }
        Some(n) => n as usize,
    };
    let keys = args
        .by
        .iter()
        .enumerate()
        .map(|(i, k)| key_sql::<T>(k, i, scope.table, backend))
        .collect::<Result<Vec<_>>>()?;
    let mut extra = Vec::new();
    let having = having_sql::<T>(&args.having, &mut extra, scope.table, backend)?;
    let order = order_sql::<T>(&args.order_by, &keys, &mut extra, scope.table, backend)?;
    // The first 64 bits of a SHA-256: the same in every build, unlike `DefaultHasher`,
    // so a cursor stays valid across a server upgrade.
    let signature = {
        let grouping = format!("{:?}|{:?}|{:?}", args.by, args.having, args.order_by);
        let digest = crate::persisted::sha256_hex(&grouping);
        u64::from_str_radix(&digest[..16], 16).unwrap_or(0)
    };
    let offset = args
        .after
        .as_deref()
        .map(|c| decode_group_cursor(c, signature))
        .transpose()?
        .map_or(0, |o| o + 1);
    let plan = Arc::new(GroupPlan {
        keys,
        extra,
        having,
        order,
        limit,
        offset,
        signature,
        count: args.count,
    });
    match &scope.parent {
        None => {
            let frame = Arc::new(frame::<T>(scope, None, plan.keys.clone(), args.measures));
            let page = load_groups(&frame, &plan).await?;
            let (groups, info) = page.for_parent(None, &plan);
            let known = page.total(None, &plan);
            let count_frame = frame.clone();
            let count_plan = plan.clone();
            let count: Counter = Arc::new(move || {
                let (frame, plan) = (count_frame.clone(), count_plan.clone());
                Box::pin(async move {
                    if let Some(total) = known {
                        return Ok(total);
                    }
                    let counts = count_groups(&frame, &plan).await?;
                    Ok(counts.get(&None).copied().unwrap_or(0))
                })
            });
            Ok(GroupConnection {
                groups,
                info,
                count,
                _type: PhantomData,
            })
        }
        Some(parent) => {
            let key = format!(
                "groups:{}|{signature:x}|{}|{}|{}",
                parent.key,
                plan.limit,
                plan.offset,
                args.measures.key()
            );
            let loaded = parent
                .siblings
                .cache()
                .get_or_init(&key, || async {
                    let frame = Arc::new(frame::<T>(
                        scope,
                        Some(parent),
                        plan.keys.clone(),
                        args.measures,
                    ));
                    let page = load_groups(&frame, &plan).await?;
                    Ok((frame, page))
                })
                .await?;
            let (frame, page) = loaded.as_ref();
            let (groups, info) = page.for_parent(Some(parent.id), &plan);
            let known = page.total(Some(parent.id), &plan);
            let (count_frame, count_plan, id) = (frame.clone(), plan.clone(), parent.id);
            let count: Counter = Arc::new(move || {
                let (frame, plan) = (count_frame.clone(), count_plan.clone());
                Box::pin(async move {
                    if let Some(total) = known {
                        return Ok(total);
                    }
                    let counts = frame
                        .cached("group-count", || count_groups(&frame, &plan))
                        .await?;
                    Ok(counts.get(&Some(id)).copied().unwrap_or(0))
                })
            });
            Ok(GroupConnection {
                groups,
                info,
                count,
                _type: PhantomData,
            })
        }
    }
}

/// A checked `groupBy`: its keys, terms, and the page asked for.
pub(super) struct GroupPlan {
    keys: Vec<KeySql>,
    pub(super) extra: Vec<Extra>,
    pub(super) having: Vec<HavingSql>,
    pub(super) order: Vec<OrderSql>,
    pub(super) limit: usize,
    pub(super) offset: usize,
    signature: u64,
    /// Count the groups in the page's statement (`totalCount` was asked for).
    pub(super) count: bool,
}

/// Groups loaded for a page, per parent (one entry, `None`, for a top-level list).
pub(super) struct GroupPage {
    by_parent: HashMap<Option<i32>, Vec<Summary>>,
    /// The number of groups of each parent whose page has any, counted by the page's
    /// statement when the plan asked for it.
    totals: HashMap<Option<i32>, i64>,
}

impl GroupPage {
    /// The number of all groups of `parent`, when the page's statement tells it: counted
    /// beside a page that has groups, or zero for a first page without any. `None` when a
    /// statement of its own must count them (a page past the end, or no count asked for).
    fn total(&self, parent: Option<i32>, plan: &GroupPlan) -> Option<i64> {
        if !plan.count {
            return None;
        }
        match self.totals.get(&parent) {
            Some(total) => Some(*total),
            None if plan.offset == 0 => Some(0),
            None => None,
        }
    }

    fn for_parent(
        &self,
        parent: Option<i32>,
        plan: &GroupPlan,
    ) -> (Vec<(String, Vec<GroupKeyValue>, Summary)>, PageInfo) {
        let summaries = self
            .by_parent
            .get(&parent)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let more = summaries.len() > plan.limit;
        let skip = usize::from(parent.is_some());
        let groups: Vec<_> = summaries
            .iter()
            .take(plan.limit)
            .enumerate()
            .map(|(i, summary)| {
                let keys = plan
                    .keys
                    .iter()
                    .zip(summary.key.iter().skip(skip))
                    .map(|(k, v)| GroupKeyValue {
                        field: k.field.clone(),
                        bucket: k.bucket,
                        value: match v {
                            KeyValue::Null => None,
                            KeyValue::Int(i) => Some(i.to_string()),
                            KeyValue::Bool(b) => Some(b.to_string()),
                            KeyValue::Text(t) => Some(t.clone()),
                        },
                    })
                    .collect();
                (
                    group_cursor(plan.signature, plan.offset + i),
                    keys,
                    summary.clone(),
                )
            })
            .collect();
        let info = PageInfo {
            has_next_page: more,
            has_previous_page: plan.offset > 0,
            start_cursor: groups.first().map(|g| EndCursor::Text(g.0.clone())),
            end_cursor: groups.last().map(|g| EndCursor::Text(g.0.clone())),
        };
        (groups, info)
    }
}

/// The grouped statement, before ordering and paging; with `late`, grouped by the foreign
/// keys of the keys that [`Frame::late_key`] allows.
pub(super) fn grouped(
    frame: &Frame,
    plan: &GroupPlan,
    ids: Option<&[i32]>,
    late: bool,
) -> SelectStatement {
    let mut outer = frame.outer_keyed(frame.inner_keyed(ids, &plan.extra, late), &[], late);
    add_summary_measures(&mut outer, frame);
    for h in &plan.having {
        outer.and_having(h.condition.clone());
    }
    outer
}

pub(super) async fn load_groups(frame: &Arc<Frame>, plan: &GroupPlan) -> Result<GroupPage> {
    let late = frame.has_late_keys();
    // Money per currency (`byCurrency`) asked for: read with the page.
    let money = frame.measures.per_currency(frame.stats);
    // With the currency fixed by the filter, each group is its one part: the page itself
    // holds its money (measured as numbers, see `Frame::page_kind`).
    let fixed = frame.fixed_currency();
    if money && frame.has_currency() && !late && combines(plan) && fixed.is_none() {
        return load_parts(frame, plan).await;
    }
    let rows = frame
        .run(|ids| {
            let mut outer = grouped(frame, plan, ids, late);
            if plan.count {
                // Evaluated over the grouped rows, before the LIMIT: every group counts.
                let over = if frame.parent.is_none() {
                    "COUNT(*) OVER ()"
                } else {
                    "COUNT(*) OVER (PARTITION BY \"p\")"
                };
                outer.expr_as(Expr::cust(over), Alias::new("group_total"));
            }
            if late {
                return late_page(frame, plan, outer);
            }
            if frame.parent.is_none() {
                for term in &plan.order {
                    outer.order_by_expr_with_nulls(
                        term.expr.clone(),
                        term.order.clone(),
                        term.nulls,
                    );
                }
                outer.limit(plan.limit as u64 + 1);
                outer.offset(plan.offset as u64);
                return outer;
            }
            let mut window = WindowStatement::partition_by(Alias::new("p"));
            for term in &plan.order {
                window.order_by_expr_with_nulls(term.expr.clone(), term.order.clone(), term.nulls);
            }
            outer.expr_window_as(Expr::cust("ROW_NUMBER()"), window, Alias::new("group_row"));
            let row = Expr::col(Alias::new("group_row"));
            Query::select()
                .column(Asterisk)
                .from_subquery(outer, Alias::new("paged"))
                .and_where(row.clone().gt(plan.offset as i64))
                .and_where(row.lte((plan.offset + plan.limit + 1) as i64))
                .order_by(Alias::new("p"), Order::Asc)
                .order_by(Alias::new("group_row"), Order::Asc)
                .to_owned()
        })
        .await?;
    if late {
        // The page's groups by foreign key, for the lazy statistics (see `Frame::late_page`).
        let mut keys = Vec::with_capacity(plan.limit);
        for row in rows.iter().take(plan.limit) {
            keys.push((frame.read_key_keyed(row, true)?, frame.read_key(row)?));
        }
        frame.set_late_page(keys.into_iter());
    }
    if let Some(code) = fixed {
        frame.seed_money(money_in_page(frame, &rows, code)?).await?;
    }
    let mut by_parent: HashMap<Option<i32>, Vec<Summary>> = HashMap::new();
    let mut totals = HashMap::new();
    for row in &rows {
        let summary = Summary::read(row, frame)?;
        let parent = parent_of(frame, &summary.key);
        if plan.count {
            totals.insert(parent, row.try_get::<i64>("", "group_total")?);
        }
        by_parent.entry(parent).or_default().push(summary);
    }
    Ok(page_loaded(frame, plan, by_parent, totals))
}

/// The money of each group of a page whose rows are all in `currency` (the filter fixes
/// it): the group's row count, and its money stats measured as numbers in the page.
fn money_in_page(
    frame: &Frame,
    rows: &[QueryResult],
    currency: &str,
) -> Result<HashMap<Vec<KeyValue>, MoneyByCurrency>> {
    let mut money = HashMap::with_capacity(rows.len());
    for row in rows {
        let mut values = vec![StatValues::default(); frame.stats.len()];
        for i in frame.per_currency() {
            values[i] = read_stat(row, i, StatKind::Number, frame)?;
        }
        let n: i64 = row.try_get("", "n")?;
        money.insert(
            frame.read_key(row)?,
            vec![(currency.to_string(), n, values)],
        );
    }
    Ok(money)
}

/// The page of groups, read with their money per currency from one statement over their
/// parts (see `by_currency`); the money is stored in the frame for `byCurrency`.
async fn load_parts(frame: &Arc<Frame>, plan: &GroupPlan) -> Result<GroupPage> {
    let rows = frame.run(|ids| page_of_parts(frame, plan, ids)).await?;
    let mut merged = Merged::default();
    let mut totals = HashMap::new();
    for row in &rows {
        let key = merged.add(frame, row)?;
        if plan.count {
            totals.insert(
                parent_of(frame, &key),
                row.try_get::<i64>("", "group_total")?,
            );
        }
    }
    let mut by_parent: HashMap<Option<i32>, Vec<Summary>> = HashMap::new();
    for summary in merged.finish(frame).await? {
        by_parent
            .entry(parent_of(frame, &summary.key))
            .or_default()
            .push(summary);
    }
    Ok(page_loaded(frame, plan, by_parent, totals))
}

/// The parent of a group's key (`None` for a top-level list).
fn parent_of(frame: &Frame, key: &[KeyValue]) -> Option<i32> {
    match (frame.parent.is_some(), key.first()) {
        (true, Some(KeyValue::Int(p))) => Some(*p as i32),
        _ => None,
    }
}

/// The loaded page; its groups are remembered for the lazy statistics, unless it is a first
/// page that holds every group of every parent and leaves nothing to restrict to.
fn page_loaded(
    frame: &Frame,
    plan: &GroupPlan,
    by_parent: HashMap<Option<i32>, Vec<Summary>>,
    totals: HashMap<Option<i32>, i64>,
) -> GroupPage {
    let complete = plan.offset == 0 && by_parent.values().all(|s| s.len() <= plan.limit);
    if !complete {
        frame.set_page(
            by_parent
                .values()
                .flat_map(|summaries| summaries.iter().take(plan.limit))
                .map(|summary| summary.key.clone()),
        );
    }
    GroupPage { by_parent, totals }
}

/// A top-level page over groups keyed by foreign keys: the grouped statement names its
/// aggregate order terms `o{j}`; around it, the related values are joined to the groups
/// (one row per group), selected under the keys' usual aliases `g{i}`, and the page is
/// ordered (ties broken by those values, as always) and cut.
fn late_page(frame: &Frame, plan: &GroupPlan, mut grouped: SelectStatement) -> SelectStatement {
    let backend = frame.backend();
    for (j, term) in plan.order.iter().enumerate() {
        if term.key.is_none() {
            grouped.expr_as(term.expr.clone(), Alias::new(format!("o{j}")));
        }
    }
    let grouped = ranked(frame, plan, grouped);
    let mut page = Query::select();
    page.from_subquery(grouped, Alias::new("x"))
        .column((Alias::new("x"), Asterisk));
    for i in 0..frame.key_count() {
        if let Some(relation) = frame.late_key(i) {
            page.join_as(
                JoinType::LeftJoin,
                Alias::new(relation.target),
                Alias::new(relation.alias()),
                Expr::col((Alias::new(relation.alias()), Alias::new("id")))
                    .equals((Alias::new("x"), Alias::new(format!("f{i}")))),
            );
            page.expr_as(relation.expr(), Alias::new(format!("g{i}")));
        }
    }
    for (j, term) in plan.order.iter().enumerate() {
        let expr = match term.key.map(|i| (i, frame.late_key(i))) {
            // An output alias cannot be used inside an expression of ORDER BY: the value.
            Some((_, Some(relation))) => bytewise(relation.expr(), backend),
            Some((_, None)) => term.expr.clone(),
            None => Expr::col((Alias::new("x"), Alias::new(format!("o{j}")))),
        };
        page.order_by_expr_with_nulls(expr, term.order.clone(), term.nulls);
    }
    page.limit(plan.limit as u64 + 1);
    page.offset(plan.offset as u64);
    page
}

/// The groups that can reach the page, when the order starts with aggregates: ranked by
/// those leading aggregates alone (`RANK()`, ties sharing a rank), only groups ranked within
/// the page's end are kept, so related values are joined to those few groups, not to every
/// group. A group on the page has fewer groups before it in the full order than the page's
/// end, and so fewer before it in the leading aggregates: its rank is within the end.
/// PostgreSQL only, where it stops the window at the last rank kept (the bench's A2, by
/// investor name: 59 -> 69 req/s); SQLite sorts every group for the window first, which
/// cost more than the names it saves (A2: 139 -> 116 req/s).
fn ranked(frame: &Frame, plan: &GroupPlan, mut grouped: SelectStatement) -> SelectStatement {
    let leading: Vec<_> = plan.order.iter().take_while(|t| t.key.is_none()).collect();
    if leading.is_empty() || frame.backend() != DbBackend::Postgres {
        return grouped;
    }
    let mut window = WindowStatement::new();
    for term in leading {
        window.order_by_expr_with_nulls(term.expr.clone(), term.order.clone(), term.nulls);
    }
    grouped.expr_window_as(Expr::cust("RANK()"), window, Alias::new("group_rank"));
    let end = (plan.offset + plan.limit + 1) as i64;
    Query::select()
        .column(Asterisk)
        .from_subquery(grouped, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("group_rank")).lte(end))
        .to_owned()
}

pub(super) async fn count_groups(
    frame: &Frame,
    plan: &GroupPlan,
) -> Result<HashMap<Option<i32>, i64>> {
    let rows = frame
        .run(|ids| {
            // Counting needs no related values: group by the foreign keys where allowed.
            let grouped = grouped(frame, plan, ids, frame.has_late_keys());
            let mut count = Query::select();
            count.from_subquery(grouped, Alias::new("groups"));
            if frame.parent.is_some() {
                count.column(Alias::new("p")).group_by_col(Alias::new("p"));
            }
            count.expr_as(Expr::col(Asterisk).count(), Alias::new("n"));
            count
        })
        .await?;
    let mut counts = HashMap::new();
    for row in rows {
        let parent = if frame.parent.is_some() {
            Some(row.try_get::<i64>("", "p")? as i32)
        } else {
            None
        };
        counts.insert(parent, row.try_get::<i64>("", "n")?);
    }
    Ok(counts)
}
