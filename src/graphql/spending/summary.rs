//! A year's spending in the domain's terms: the figures of a year, their totals per
//! currency, the overlap of fiscal and calendar years, and one figure compared with others.

use async_graphql::{Context, Object, SimpleObject};

use entity::enums::{PeriodKind, SpendingCategory, SpendingStatus};
use entity::{citation, spending_figure};
use sea_orm::{ColumnTrait, Condition};

use super::SpendingFigure;
use crate::analytics;
use crate::graphql::Result;
use crate::graphql::common::{Decimal, Money};
use crate::graphql::loaders::Node;
use crate::graphql::sources::{Citation, citations_of};
use crate::store;

/// The total of several figures in one currency.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CurrencyTotal {
    #[graphql(skip)]
    pub figures: Vec<Node<spending_figure::Model>>,
    /// The statuses of the figures added: one unless the client asked to combine them.
    pub statuses: Vec<SpendingStatus>,
    /// The references of the figures added, e.g. ["F3", "F4", "F5"].
    pub figure_refs: Vec<String>,
    /// ISO 4217 code of the total.
    pub currency: String,
    /// Sum of the lower ends.
    pub low: Money,
    /// True when the low end is exclusive: at least one figure is "more than" its amount.
    pub low_exclusive: bool,
    /// Sum of the upper ends; null when at least one figure has no upper end.
    pub high: Option<Money>,
    /// Number of figures added.
    pub figure_count: i32,
}

#[async_graphql::ComplexObject]
impl CurrencyTotal {
    /// The source sentences of every figure added.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        let mut all = Vec::new();
        for f in &self.figures {
            all.extend(citations_of(ctx, f, citation::Column::SpendingFigureId).await?);
        }
        Ok(all)
    }
}

/// How much of a figure's period falls in the calendar year of a summary.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct CalendarOverlap {
    #[graphql(skip)]
    pub figure: Node<spending_figure::Model>,
    /// The figure's reference.
    pub figure_ref: Option<String>,
    /// The figure's period in words.
    pub period_label: String,
    /// Days of the period inside the calendar year.
    pub days_in_year: i64,
    /// Days of the whole period.
    pub period_days: i64,
    /// `daysInYear / periodDays`, rounded half-up to 4 decimals. A share of time, not of
    /// money: the source does not say how spending is spread over the period.
    pub share: Decimal,
}

#[async_graphql::ComplexObject]
impl CalendarOverlap {
    /// The source sentences that state the figure's period.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, &self.figure, citation::Column::SpendingFigureId).await
    }
}

/// Spending figures for one year, each and together.
pub struct SpendingSummary {
    pub(super) year: i32,
    pub(super) figures: Vec<Node<spending_figure::Model>>,
}

/// Spending figures for one year, each and together.
#[Object]
impl SpendingSummary {
    /// The year asked for.
    async fn year(&self) -> i32 {
        self.year
    }
    /// The figures included, in id order.
    async fn figures(&self) -> Vec<SpendingFigure> {
        self.figures.iter().cloned().map(SpendingFigure).collect()
    }
    /// The totals: ranges stay ranges and lower bounds stay bounds, and two currencies are
    /// never added. Reported, planned, projected and claimed figures are totalled apart (one
    /// total per currency and status) unless `combineStatuses` is true.
    async fn totals(
        &self,
        #[graphql(
            desc = "Add figures of different statuses together (a plan and a projection, say) into one total per currency.",
            default = false
        )]
        combine_statuses: bool,
    ) -> Vec<CurrencyTotal> {
        let mut groups: Vec<(Option<SpendingStatus>, Vec<Node<spending_figure::Model>>)> =
            Vec::new();
        for f in &self.figures {
            let key = (!combine_statuses).then_some(f.status);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, figures)) => figures.push(f.clone()),
                None => groups.push((key, vec![f.clone()])),
            }
        }
        let mut out = Vec::new();
        for (_, figures) in groups {
            for t in analytics::totals(figures.iter().map(|f| &**f)) {
                let in_total: Vec<_> = figures
                    .iter()
                    .filter(|f| f.currency == t.currency)
                    .cloned()
                    .collect();
                // In the enum's order: reported, planned, projected, claimed.
                let statuses: Vec<SpendingStatus> = [
                    SpendingStatus::Reported,
                    SpendingStatus::Planned,
                    SpendingStatus::Projected,
                    SpendingStatus::Claimed,
                ]
                .into_iter()
                .filter(|s| in_total.iter().any(|f| f.status == *s))
                .collect();
                out.push(CurrencyTotal {
                    low: Money::new(t.low, &t.currency),
                    high: t.high.map(|h| Money::new(h, &t.currency)),
                    low_exclusive: t.low_exclusive,
                    figure_count: t.figures as i32,
                    figure_refs: in_total
                        .iter()
                        .filter_map(|f| f.reference.clone())
                        .collect(),
                    statuses,
                    figures: in_total,
                    currency: t.currency,
                });
            }
        }
        out.sort_by_key(|t| (t.currency.clone(), format!("{:?}", t.statuses)));
        out
    }
    /// For each figure whose period is not exactly calendar `year`, how much of the period
    /// falls in it (Microsoft's FY2025: 181 of 365 days in 2025). Nothing is prorated.
    async fn calendar_overlaps(&self) -> Vec<CalendarOverlap> {
        self.figures
            .iter()
            .filter(|f| {
                f.period_kind != PeriodKind::CalendarYear || f.period_year != Some(self.year)
            })
            .filter_map(|f| {
                let (start, end) = (f.period_start?, f.period_end?);
                let (days_in_year, period_days) =
                    analytics::calendar_overlap(start, end, self.year)?;
                Some(CalendarOverlap {
                    figure: f.clone(),
                    figure_ref: f.reference.clone(),
                    period_label: analytics::period_label(f),
                    days_in_year,
                    period_days,
                    share: Decimal(crate::money::ratio(days_in_year, period_days, 4)?),
                })
            })
            .collect()
    }
    /// True when fiscal-year figures were added to calendar-year ones: their periods overlap but differ.
    async fn mixes_fiscal_and_calendar_years(&self) -> bool {
        self.has(PeriodKind::FiscalYear) && self.has(PeriodKind::CalendarYear)
    }
    /// What a reader must know about the totals, in sentences.
    async fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        for f in self
            .figures
            .iter()
            .filter(|f| f.period_kind == PeriodKind::FiscalYear)
        {
            let overlap = match (f.period_start, f.period_end) {
                (Some(start), Some(end)) => analytics::calendar_overlap(start, end, self.year)
                    .map(|(days, of)| format!(": {days} of its {of} days fall in {}", self.year))
                    .unwrap_or_default(),
                _ => String::new(),
            };
            notes.push(format!(
                "Figure {} covers {}, a fiscal year, not calendar year {}{overlap}.",
                f.reference.as_deref().unwrap_or("?"),
                analytics::period_label(f),
                self.year
            ));
        }
        for f in self
            .figures
            .iter()
            .filter(|f| f.amount_high_minor.is_none())
        {
            notes.push(format!(
                "Figure {} has no upper bound, so the total has none either.",
                f.reference.as_deref().unwrap_or("?")
            ));
        }
        if let Some(note) = self.status_note() {
            notes.push(note);
        }
        notes
    }
    /// The source sentences of every figure included.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        let mut all = Vec::new();
        for f in &self.figures {
            all.extend(citations_of(ctx, f, citation::Column::SpendingFigureId).await?);
        }
        Ok(all)
    }
}

impl SpendingSummary {
    fn has(&self, kind: PeriodKind) -> bool {
        self.figures.iter().any(|f| f.period_kind == kind)
    }

    /// When figures of several statuses are included: which are which, and how `totals`
    /// treats them.
    fn status_note(&self) -> Option<String> {
        let mut by_status: Vec<(SpendingStatus, Vec<&str>)> = Vec::new();
        for f in &self.figures {
            let name = f.reference.as_deref().unwrap_or("?");
            match by_status.iter_mut().find(|(s, _)| *s == f.status) {
                Some((_, names)) => names.push(name),
                None => by_status.push((f.status, vec![name])),
            }
        }
        if by_status.len() < 2 {
            return None;
        }
        let groups: Vec<String> = by_status
            .iter()
            .map(|(status, names)| {
                format!(
                    "{} {}",
                    names.join(", "),
                    sea_orm::ActiveEnum::to_value(status)
                )
            })
            .collect();
        Some(format!(
            "The figures have different statuses ({}): `totals` gives one total per status, \
             unless `combineStatuses: true` adds them together, a projection to a plan.",
            groups.join("; ")
        ))
    }
}

/// Which figures of a year to take.
pub(super) struct YearFilter {
    pub(super) year: i32,
    pub(super) categories: Vec<SpendingCategory>,
    pub(super) statuses: Vec<SpendingStatus>,
    pub(super) period_kinds: Vec<PeriodKind>,
    pub(super) company_ids: Option<Vec<i32>>,
    /// Select by overlap with the calendar year instead of by the period's year label.
    pub(super) calendar_view: bool,
}

pub(super) async fn figures_for_year(
    db: &sea_orm::DatabaseConnection,
    filter: &YearFilter,
) -> crate::error::Result<Vec<spending_figure::Model>> {
    use spending_figure::Column as C;
    let in_year = if filter.calendar_view {
        let first = chrono::NaiveDate::from_ymd_opt(filter.year, 1, 1);
        let last = chrono::NaiveDate::from_ymd_opt(filter.year, 12, 31);
        let (Some(first), Some(last)) = (first, last) else {
            return Err(crate::error::Error::invalid("year", "not a calendar year"));
        };
        Condition::all()
            .add(C::PeriodStart.lte(last))
            .add(C::PeriodEnd.gte(first))
    } else {
        Condition::all().add(C::PeriodYear.eq(filter.year))
    };
    let mut condition = Condition::all()
        .add(in_year)
        .add(C::Category.is_in(filter.categories.clone()))
        .add(C::Status.is_in(filter.statuses.clone()))
        .add(C::PeriodKind.is_in(filter.period_kinds.clone()));
    if let Some(ids) = &filter.company_ids {
        condition = condition.add(C::CompanyId.is_in(ids.clone()));
    }
    store::list::<spending_figure::Entity>(db, condition).await
}
