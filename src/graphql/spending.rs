//! Spending figures (capital expenditure reported, planned, projected or claimed), their
//! totals and comparisons.

use async_graphql::{Context, ID, Object, SimpleObject};

use entity::enums::{PeriodKind, SpendingCategory, SpendingStatus};
use entity::{ai_model, citation, claim, company, project, spending_figure};
use sea_orm::{ColumnTrait, Condition};

use super::claims::Claim;
use super::common::{Date, DateValue, Decimal, Money, MoneyRange, date_value};
use super::companies::Company;
use super::entity_filters::*;
use super::fields::*;
use super::filters::filter_condition;
use super::lists::{
    Connection, OrderBy, gql_node, nested, order_fields, page_args, sort_keys, top,
};
use super::loaders::{Node, nodes_of, one, wrap_one};
use super::models::AiModel;
use super::node::{database_id, global_id};
use super::projects::Project;
use super::sources::{Citation, citations_of};
use super::{Result, db};
use crate::analytics;
use crate::error::Error;
use crate::store;

/// Decimals of the ratios in comparisons.
const RATIO_DIGITS: u32 = 10;

/// A spending figure: an amount (a point, a range or a bound) that a company or project
/// spent, plans, is projected or claims to spend over a period.
#[derive(Clone)]
pub struct SpendingFigure(pub Node<spending_figure::Model>);

impl From<Node<spending_figure::Model>> for SpendingFigure {
    fn from(m: Node<spending_figure::Model>) -> Self {
        SpendingFigure(m)
    }
}

/// The period a spending figure covers.
#[derive(SimpleObject)]
pub struct SpendingPeriod {
    /// The kind of period.
    pub kind: PeriodKind,
    /// The calendar year, or the year a fiscal year ends in (FY2025); null for several or unspecified years.
    pub year: Option<i32>,
    /// The quarter (1 to 4) when the period is a quarter.
    pub quarter: Option<i32>,
    /// First day of the period, when known.
    pub start: Option<Date>,
    /// Last day of the period, when known (June 30, 2025 for Microsoft's FY2025).
    pub end: Option<Date>,
    /// Number of years when the period spans several.
    pub years: Option<i32>,
    /// The period in words: "Q4 2024", "2025", "FY2025 (2024-07-01 to 2025-06-30)", "4 years".
    pub label: String,
}

/// A spending figure: an amount (a point, a range or a bound) that a company or project
/// spent, plans, is projected or claims to spend over a period.
#[Object]
impl SpendingFigure {
    /// Globally unique, opaque id (Relay): the same on every engine; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global_id::<Self>(self.0.id)
    }
    /// Database id of the figure.
    async fn database_id(&self) -> i32 {
        self.0.id
    }
    /// Stable external reference, e.g. "F1" in the built-in dataset.
    async fn r#ref(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    /// The company whose spending this is.
    async fn company(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        Ok(one::<_, company::Entity, _>(ctx, &self.0, "company_id", |m| m.company_id).await?)
    }
    /// The project the money goes to, if any (Stargate).
    async fn project(&self, ctx: &Context<'_>) -> Result<Option<Project>> {
        Ok(one::<_, project::Entity, _>(ctx, &self.0, "project_id", |m| m.project_id).await?)
    }
    /// The AI model the money was spent on, if any (DeepSeek's model).
    async fn model(&self, ctx: &Context<'_>) -> Result<Option<AiModel>> {
        Ok(one::<_, ai_model::Entity, _>(ctx, &self.0, "ai_model_id", |m| m.ai_model_id).await?)
    }
    /// What the figure measures.
    async fn category(&self) -> SpendingCategory {
        self.0.category
    }
    /// Reported, planned, projected or claimed.
    async fn status(&self) -> SpendingStatus {
        self.0.status
    }
    /// The amount: a point, a range or a bound, always with its currency.
    async fn amount(&self) -> MoneyRange {
        MoneyRange {
            bound: self.0.bound,
            low: self.0.amount_low_minor,
            high: self.0.amount_high_minor,
            currency: self.0.currency.clone(),
        }
    }
    /// The period the figure covers.
    async fn period(&self) -> SpendingPeriod {
        let f = &self.0;
        SpendingPeriod {
            kind: f.period_kind,
            year: f.period_year,
            quarter: f.period_quarter,
            start: f.period_start.map(Date),
            end: f.period_end.map(Date),
            years: f.period_years,
            label: analytics::period_label(f),
        }
    }
    /// What the money goes to, e.g. "AI data centers".
    async fn focus(&self) -> Option<&str> {
        self.0.focus.as_deref()
    }
    /// Qualifications stated with the figure, e.g. "More than half of the investment will be focused in the U.S."
    async fn remarks(&self) -> Option<&str> {
        self.0.remarks.as_deref()
    }
    /// When the figure was stated, at the precision known.
    async fn stated(&self) -> Option<DateValue> {
        date_value(self.0.stated_on, self.0.stated_precision)
    }
    /// The figure this one was derived from (Amazon's 2025 projection from its last quarter).
    async fn derived_from(&self, ctx: &Context<'_>) -> Result<Option<SpendingFigure>> {
        Ok(
            one::<_, spending_figure::Entity, _>(ctx, &self.0, "derived_from_id", |m| {
                m.derived_from_id
            })
            .await?,
        )
    }
    /// Figures derived from this one.
    #[allow(clippy::too_many_arguments)]
    async fn derived_figures(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first N rows (at most 100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the rows after this cursor (use with `first`).")] after: Option<
            String,
        >,
        #[graphql(desc = "Returns the last N rows (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Returns the rows before this cursor (use with `last`).")] before: Option<
            String,
        >,
        #[graphql(
            desc = "Order terms, applied in the order given; the id breaks any remaining tie.",
            default
        )]
        order_by: Vec<OrderBy<SpendingFigureOrderField>>,
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<SpendingFigureFilter>,
    ) -> Result<Connection<SpendingFigure>> {
        let keys = sort_keys::<spending_figure::Entity, _>(&order_by);
        let args = page_args(first, after, last, before);
        Ok(nested::<_, spending_figure::Entity, _>(
            ctx,
            &self.0,
            spending_figure::Column::DerivedFromId,
            filter_condition(db(ctx)?.get_database_backend(), &filter)?,
            keys,
            &args,
        )
        .await?)
    }
    /// Claims that state or qualify this figure.
    #[allow(clippy::too_many_arguments)]
    async fn claims(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first N rows (at most 100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the rows after this cursor (use with `first`).")] after: Option<
            String,
        >,
        #[graphql(desc = "Returns the last N rows (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Returns the rows before this cursor (use with `last`).")] before: Option<
            String,
        >,
        #[graphql(
            desc = "Order terms, applied in the order given; the id breaks any remaining tie.",
            default
        )]
        order_by: Vec<OrderBy<ClaimOrderField>>,
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<ClaimFilter>,
    ) -> Result<Connection<Claim>> {
        let keys = sort_keys::<claim::Entity, _>(&order_by);
        let args = page_args(first, after, last, before);
        Ok(nested::<_, claim::Entity, _>(
            ctx,
            &self.0,
            claim::Column::SpendingFigureId,
            filter_condition(db(ctx)?.get_database_backend(), &filter)?,
            keys,
            &args,
        )
        .await?)
    }
    /// The source sentences that state this figure.
    #[allow(clippy::too_many_arguments)]
    async fn citations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first N rows (at most 100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the rows after this cursor (use with `first`).")] after: Option<
            String,
        >,
        #[graphql(desc = "Returns the last N rows (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Returns the rows before this cursor (use with `last`).")] before: Option<
            String,
        >,
        #[graphql(
            desc = "Order terms, applied in the order given; the id breaks any remaining tie.",
            default
        )]
        order_by: Vec<OrderBy<CitationOrderField>>,
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<CitationFilter>,
    ) -> Result<Connection<Citation>> {
        let keys = sort_keys::<citation::Entity, _>(&order_by);
        let args = page_args(first, after, last, before);
        Ok(nested::<_, citation::Entity, _>(
            ctx,
            &self.0,
            citation::Column::SpendingFigureId,
            filter_condition(db(ctx)?.get_database_backend(), &filter)?,
            keys,
            &args,
        )
        .await?)
    }
    /// This figure compared with other figures of the same currency for a year: how many
    /// times this amount fits into each (DeepSeek's claimed $5.6 million against each
    /// company's 2025 capital expenditure).
    async fn compared_with(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The calendar or fiscal year of the figures to compare with.")] year: i32,
        #[graphql(
            desc = "Only figures of these categories.",
            default_with = "vec![SpendingCategory::CapitalExpenditure]"
        )]
        categories: Vec<SpendingCategory>,
        #[graphql(
            desc = "Only figures with these statuses.",
            default_with = "vec![SpendingStatus::Planned, SpendingStatus::Projected]"
        )]
        statuses: Vec<SpendingStatus>,
    ) -> Result<Vec<SpendingComparison>> {
        let filter = YearFilter {
            year,
            categories,
            statuses,
            period_kinds: vec![PeriodKind::CalendarYear, PeriodKind::FiscalYear],
            company_ids: None,
        };
        let others = nodes_of(figures_for_year(db(ctx)?, &filter).await?);
        Ok(others
            .into_iter()
            .filter(|other| other.id != self.0.id && other.currency == self.0.currency)
            .map(|other| {
                let (ratio_low, ratio_high) = analytics::ratio_range(&self.0, &other, RATIO_DIGITS);
                SpendingComparison {
                    other: SpendingFigure(other),
                    ratio_low: ratio_low.map(Decimal),
                    ratio_high: ratio_high.map(Decimal),
                }
            })
            .collect())
    }
}

/// One figure set against another.
#[derive(SimpleObject)]
pub struct SpendingComparison {
    /// The figure compared with.
    pub other: SpendingFigure,
    /// Lowest possible ratio of this figure to the other (this low end over the other's
    /// high end), rounded half-up to 10 decimals; null when the other has no upper end.
    pub ratio_low: Option<Decimal>,
    /// Highest possible ratio (this high end over the other's low end), rounded half-up to
    /// 10 decimals; null when a bound is missing. Equal to `ratioLow` for two exact figures.
    pub ratio_high: Option<Decimal>,
}

/// The total of several figures in one currency.
#[derive(SimpleObject)]
pub struct CurrencyTotal {
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

/// Spending figures for one year, each and together.
pub struct SpendingSummary {
    year: i32,
    figures: Vec<Node<spending_figure::Model>>,
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
    /// The totals, one per currency: ranges stay ranges and lower bounds stay bounds.
    async fn totals(&self) -> Vec<CurrencyTotal> {
        analytics::totals(self.figures.iter().map(|f| &**f))
            .into_iter()
            .map(|t| CurrencyTotal {
                low: Money::new(t.low, &t.currency),
                high: t.high.map(|h| Money::new(h, &t.currency)),
                low_exclusive: t.low_exclusive,
                figure_count: t.figures as i32,
                currency: t.currency,
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
            notes.push(format!(
                "Figure {} covers {}, a fiscal year, not calendar year {}.",
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
}

/// Which figures of a year to take.
struct YearFilter {
    year: i32,
    categories: Vec<SpendingCategory>,
    statuses: Vec<SpendingStatus>,
    period_kinds: Vec<PeriodKind>,
    company_ids: Option<Vec<i32>>,
}

async fn figures_for_year(
    db: &sea_orm::DatabaseConnection,
    filter: &YearFilter,
) -> crate::error::Result<Vec<spending_figure::Model>> {
    use spending_figure::Column as C;
    let mut condition = Condition::all()
        .add(C::PeriodYear.eq(filter.year))
        .add(C::Category.is_in(filter.categories.clone()))
        .add(C::Status.is_in(filter.statuses.clone()))
        .add(C::PeriodKind.is_in(filter.period_kinds.clone()));
    if let Some(ids) = &filter.company_ids {
        condition = condition.add(C::CompanyId.is_in(ids.clone()));
    }
    store::list::<spending_figure::Entity>(db, condition).await
}

/// Queries on spending.
#[derive(Default)]
pub struct SpendingQuery;

/// Queries on spending.
#[Object]
impl SpendingQuery {
    /// The spending figure with this id, or null.
    async fn spending_figure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global id of the figure.")] id: ID,
    ) -> Result<Option<SpendingFigure>> {
        Ok(wrap_one(
            store::by_id::<spending_figure::Entity>(
                db(ctx)?,
                database_id::<SpendingFigure>(&id, "id")?,
            )
            .await?,
        ))
    }
    /// The spending figure with this external reference, or null.
    async fn spending_figure_by_ref(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reference, e.g. \"F4\".")] r#ref: String,
    ) -> Result<Option<SpendingFigure>> {
        Ok(wrap_one(
            store::by_text::<spending_figure::Entity>(
                db(ctx)?,
                spending_figure::Column::Reference,
                &r#ref,
            )
            .await?,
        ))
    }
    /// Spending figures in id order, optionally only those with a status, of a category, or for a year.
    #[allow(clippy::too_many_arguments)]
    async fn spending_figures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only figures with this status.")] status: Option<SpendingStatus>,
        #[graphql(desc = "Only figures of this category.")] category: Option<SpendingCategory>,
        #[graphql(
            desc = "Only figures whose period is labelled with this calendar or fiscal year."
        )]
        year: Option<i32>,
        #[graphql(
            desc = "Returns the first N rows (at most 100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the rows after this cursor (use with `first`).")] after: Option<
            String,
        >,
        #[graphql(desc = "Returns the last N rows (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Returns the rows before this cursor (use with `last`).")] before: Option<
            String,
        >,
        #[graphql(
            desc = "Order terms, applied in the order given; the id breaks any remaining tie.",
            default
        )]
        order_by: Vec<OrderBy<SpendingFigureOrderField>>,
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<SpendingFigureFilter>,
    ) -> Result<Connection<SpendingFigure>> {
        use spending_figure::Column as C;
        let mut condition = Condition::all();
        if let Some(status) = status {
            condition = condition.add(C::Status.eq(status));
        }
        if let Some(category) = category {
            condition = condition.add(C::Category.eq(category));
        }
        if let Some(year) = year {
            condition = condition.add(C::PeriodYear.eq(year));
        }
        let keys = sort_keys::<spending_figure::Entity, _>(&order_by);
        let args = page_args(first, after, last, before);
        Ok(Connection(
            top::<spending_figure::Entity>(
                ctx,
                condition.add(filter_condition(db(ctx)?.get_database_backend(), &filter)?),
                keys,
                &args,
            )
            .await?,
        ))
    }
    /// Spending for one year, each figure and the totals per currency. By default: capital
    /// expenditure that is planned or projected, for calendar and fiscal years labelled with
    /// that year (`mixesFiscalAndCalendarYears` and `notes` say when both are present).
    async fn spending_summary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The calendar year, or the year a fiscal year ends in.")] year: i32,
        #[graphql(
            desc = "Only these companies, by stock ticker, e.g. [\"AMZN\", \"MSFT\", \"META\", \"GOOGL\"]. All companies when omitted."
        )]
        tickers: Option<Vec<String>>,
        #[graphql(
            desc = "Only figures of these categories.",
            default_with = "vec![SpendingCategory::CapitalExpenditure]"
        )]
        categories: Vec<SpendingCategory>,
        #[graphql(
            desc = "Only figures with these statuses; reported, planned, projected and claimed figures are never mixed unless listed here.",
            default_with = "vec![SpendingStatus::Planned, SpendingStatus::Projected]"
        )]
        statuses: Vec<SpendingStatus>,
        #[graphql(
            desc = "Which kinds of period count as the year.",
            default_with = "vec![PeriodKind::CalendarYear, PeriodKind::FiscalYear]"
        )]
        period_kinds: Vec<PeriodKind>,
    ) -> Result<SpendingSummary> {
        let db = db(ctx)?;
        let company_ids = match tickers {
            None => None,
            Some(tickers) => {
                let mut ids = Vec::with_capacity(tickers.len());
                for ticker in &tickers {
                    let company =
                        store::by_text::<company::Entity>(db, company::Column::Ticker, ticker)
                            .await?;
                    let company = company.ok_or_else(|| {
                        Error::invalid("tickers", format!("no company has the ticker {ticker:?}"))
                    })?;
                    ids.push(company.id);
                }
                Some(ids)
            }
        };
        let filter = YearFilter {
            year,
            categories,
            statuses,
            period_kinds,
            company_ids,
        };
        let figures = figures_for_year(db, &filter).await?;
        Ok(SpendingSummary {
            year,
            figures: nodes_of(figures),
        })
    }
}

order_fields! {
    /// Fields spending figures can be ordered by.
    SpendingFigureOrderField for spending_figure {
        /// The external reference.
        Ref => column_term::<E>(C::Reference, Text, true),
        /// The status.
        Status => column_term::<E>(C::Status, Text, false),
        /// The category.
        Category => column_term::<E>(C::Category, Text, false),
        /// The calendar or fiscal year of the period.
        PeriodYear => column_term::<E>(C::PeriodYear, Int, true),
        /// The first day of the period.
        PeriodStart => column_term::<E>(C::PeriodStart, Date, true),
        /// The low end of the amount in minor units.
        AmountLow => column_term::<E>(C::AmountLowMinor, Int, true),
        /// The high end of the amount in minor units.
        AmountHigh => column_term::<E>(C::AmountHighMinor, Int, true),
        /// When the figure was stated.
        StatedOn => column_term::<E>(C::StatedOn, Date, true),
        /// The company's name.
        CompanyName => company_name_term::<E>("company_name", C::CompanyId),
    }
}

gql_node!(SpendingFigure, spending_figure);

super::aggregates::aggregates! {
    /// Aggregates over spending figures. Low and high ends are aggregated separately; for totals that keep ranges and bounds in the domain's terms use `spendingSummary`.
    SpendingFigureAggregate for SpendingFigure (SpendingFigureOrderField, currency: Some("currency")) {
        /// The low ends of the amounts, per currency.
        amount_low: MoneyAggregate("amount_low_minor"),
        /// The high ends of the amounts, per currency; a figure with only a lower bound has none (it counts as missing).
        amount_high: MoneyAggregate("amount_high_minor"),
        /// The lengths in years of multi-year periods.
        period_years: NumberStats("period_years"),
        /// The first days of the periods.
        period_start: DateStats("period_start"),
        /// The last days of the periods.
        period_end: DateStats("period_end"),
        /// When the figures were stated.
        stated_on: DateStats("stated_on", precision = "stated_precision"),
    }
}
