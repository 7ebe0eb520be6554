//! Spending figures (capital expenditure reported, planned, projected or claimed), their
//! totals and comparisons.

use async_graphql::{Context, ID, MergedObject, Object, SimpleObject};

use entity::enums::{PeriodKind, SpendingCategory, SpendingStatus};
use entity::{citation, claim, company, project, spending_figure};

use super::claims::Claim;
use super::common::{Date, DateValue, Decimal, Money, MoneyRange, date_value};
use super::companies::{Company, Person};
use super::connections::with_connections;
use super::entity_filters::*;
use super::fields::*;
use super::lists::{gql_node, order_fields};
use super::loaders::{Node, nodes_of};
use super::models::AiModel;
use super::node::database_id;
use super::projects::Project;
use super::provenance::{Share, shares_of};
use super::sources::{Citation, citations_of};
use super::{Result, db};
use crate::analytics;
use crate::error::Error;
use crate::store;

mod compare;
mod summary;

pub use compare::{RatioRange, SkipReason, SkippedFigure, SpendingComparison, SpendingComparisons};
pub use summary::{CalendarOverlap, CurrencyTotal, SpendingSummary};
use summary::{YearFilter, figures_for_year};

gql_node! {
    /// A spending figure: an amount (a point, a range or a bound) that a company or project
    /// spent, plans, is projected or claims to spend over a period.
    SpendingFigure for spending_figure
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

impl SpendingPeriod {
    /// The period of figure `f`.
    fn of(f: &spending_figure::Model) -> Self {
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
}

/// What a figure was expected to be: derived from the percentage by which the source says
/// the figure exceeds the expectation, never stated as an amount by the source.
pub struct Expectation(Node<spending_figure::Model>);

/// What a figure was expected to be: derived from the percentage by which the source says
/// the figure exceeds the expectation, never stated as an amount by the source.
#[Object]
impl Expectation {
    /// Who expected it, e.g. "Wall Street".
    async fn holder(&self) -> Option<&str> {
        self.0.expectation_holder.as_deref()
    }
    /// How far the figure lies above the expectation, in percent, e.g. "29.00".
    async fn percent_above(&self) -> Option<Decimal> {
        self.0
            .above_expectation_bp
            .map(|bp| Decimal(crate::money::format_scaled(i128::from(bp), 2)))
    }
    /// The expected amount implied: the figure divided by (1 + percentAbove / 100), rounded
    /// half-up to the minor unit ($58,139,534,883.72 for Alphabet). Null unless the figure
    /// is a single exact amount.
    async fn implied(&self) -> Option<Money> {
        let (amount, bp) = self.exact_and_bp()?;
        analytics::implied_expectation(amount, bp).map(|m| Money::new(m, &self.0.currency))
    }
    /// The lowest expectation consistent with the percentage as rounded in the source (29%
    /// may be anything from 28.5% to 29.5%).
    async fn implied_low(&self) -> Option<Money> {
        let (amount, bp) = self.exact_and_bp()?;
        analytics::implied_expectation_range(amount, bp)
            .map(|(low, _)| Money::new(low, &self.0.currency))
    }
    /// The highest expectation consistent with the percentage as rounded in the source.
    async fn implied_high(&self) -> Option<Money> {
        let (amount, bp) = self.exact_and_bp()?;
        analytics::implied_expectation_range(amount, bp)
            .map(|(_, high)| Money::new(high, &self.0.currency))
    }
    /// The gap in money: the figure minus the implied expectation ($16,860,465,116.28 for
    /// Alphabet). Derived like `implied`; null unless the figure is a single exact amount.
    async fn gap(&self) -> Option<Money> {
        let (amount, bp) = self.exact_and_bp()?;
        analytics::implied_expectation(amount, bp)
            .map(|m| Money::new(i128::from(amount) - m, &self.0.currency))
    }
    /// The smallest gap consistent with the percentage as rounded in the source: the figure
    /// minus `impliedHigh`.
    async fn gap_low(&self) -> Option<Money> {
        let (amount, bp) = self.exact_and_bp()?;
        analytics::implied_expectation_range(amount, bp)
            .map(|(_, high)| Money::new(i128::from(amount) - high, &self.0.currency))
    }
    /// The largest gap consistent with the percentage as rounded in the source: the figure
    /// minus `impliedLow`.
    async fn gap_high(&self) -> Option<Money> {
        let (amount, bp) = self.exact_and_bp()?;
        analytics::implied_expectation_range(amount, bp)
            .map(|(low, _)| Money::new(i128::from(amount) - low, &self.0.currency))
    }
    /// How the implied values are computed, in words.
    async fn derivation(&self) -> String {
        format!(
            "implied = amount / (1 + percentAbove / 100), gap = amount - implied, each rounded \
             half-up to the minor unit; the source states the percentage ({}), not the \
             expected amount, and a whole percentage stands for anything within half a point",
            self.0
                .above_expectation_bp
                .map(|bp| format!("{}%", crate::money::format_scaled(i128::from(bp), 2)))
                .unwrap_or_default()
        )
    }
    /// The source sentences the derivation rests on: the figure's citations.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, &self.0, citation::Column::SpendingFigureId).await
    }
}

impl Expectation {
    fn exact_and_bp(&self) -> Option<(i64, i32)> {
        let f = &self.0;
        match (
            f.amount_low_minor,
            f.amount_high_minor,
            f.above_expectation_bp,
        ) {
            (Some(low), Some(high), Some(bp)) if low == high => Some((low, bp)),
            _ => None,
        }
    }
}

/// An amount over several years spread evenly over them: an average the API derives, not a
/// schedule the source gives.
pub struct AnnualAverage {
    years: i32,
    total: MoneyRange,
    of: AverageOf,
}

/// What an average is taken of: its citations are that row's.
enum AverageOf {
    Figure(Node<spending_figure::Model>),
    Project(Node<project::Model>),
}

impl AnnualAverage {
    /// The average of a multi-year figure; `None` for other periods.
    pub fn of_figure(f: &Node<spending_figure::Model>) -> Option<Self> {
        match (f.period_kind, f.period_years) {
            (PeriodKind::MultiYear, Some(years)) if years > 0 => Some(AnnualAverage {
                years,
                total: MoneyRange::of_figure(f),
                of: AverageOf::Figure(f.clone()),
            }),
            _ => None,
        }
    }

    /// The average of a project's planned amount over its horizon; `None` unless both are stated.
    pub fn of_project(p: &Node<project::Model>) -> Option<Self> {
        let (amount, currency, years) = (
            p.planned_amount_minor?,
            p.currency.clone()?,
            p.horizon_years?,
        );
        (years > 0).then(|| AnnualAverage {
            years,
            total: MoneyRange {
                bound: entity::enums::AmountBound::Exact,
                low: Some(amount),
                high: Some(amount),
                currency,
            },
            of: AverageOf::Project(p.clone()),
        })
    }
}

/// An amount over several years spread evenly over them: an average the API derives, not a
/// schedule the source gives.
#[Object]
impl AnnualAverage {
    /// The number of years the amount covers.
    async fn years(&self) -> i32 {
        self.years
    }
    /// The amount per year: each end of the total divided by the years, rounded half-up to
    /// the minor unit; a bound stays a bound.
    async fn amount(&self) -> MoneyRange {
        let years = i128::from(self.years);
        let per_year = |v: Option<i64>| {
            v.and_then(|v| analytics::div_round(i128::from(v), years))
                .and_then(|v| i64::try_from(v).ok())
        };
        MoneyRange {
            bound: self.total.bound,
            low: per_year(self.total.low),
            high: per_year(self.total.high),
            currency: self.total.currency.clone(),
        }
    }
    /// The amount the average is taken of, over all the years.
    async fn total(&self) -> MoneyRange {
        self.total.clone()
    }
    /// How the average is computed, in words.
    async fn derivation(&self) -> String {
        format!(
            "{} spread evenly over {} years: each end divided by {}, rounded half-up to the \
             minor unit; the source gives no yearly schedule",
            self.total.words(),
            self.years,
            self.years
        )
    }
    /// The source sentences of the amount and the years the average is derived from.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        match &self.of {
            AverageOf::Figure(f) => citations_of(ctx, f, citation::Column::SpendingFigureId).await,
            AverageOf::Project(p) => citations_of(ctx, p, citation::Column::ProjectId).await,
        }
    }
}

with_connections! {
    /// A spending figure: an amount (a point, a range or a bound) that a company or project
    /// spent, plans, is projected or claims to spend over a period.
    #[Object]
    impl SpendingFigure {
        /// This figure set against others of the same currency, both ways: `fraction` (this
        /// amount as a fraction of the other's) and `times` (how many times this amount fits
        /// into the other's). The others are the figures labelled with `year` (by default
        /// planned or projected capital expenditure, calendar or fiscal), the figures named in
        /// `figures`, or both; `skipped` and `notes` say what was left out and why. Works from
        /// either side: DeepSeek's claimed $5.6 million against each company's 2025 capital
        /// expenditure, or Meta's 2025 plan against DeepSeek's claim (whose period no year
        /// includes, so it is named in `figures`).
        async fn comparison(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "Compare with the figures labelled with this calendar or fiscal year.")]
            year: Option<i32>,
            #[graphql(desc = "Compare with these figures (global ids, at most 100), whatever their period, category or status.")]
            figures: Option<Vec<ID>>,
            #[graphql(desc = "With `year`: only figures of these categories.", default_with = "capex()")]
            categories: Vec<SpendingCategory>,
            #[graphql(desc = "With `year`: only figures with these statuses.", default_with = "planned()")]
            statuses: Vec<SpendingStatus>,
        ) -> Result<SpendingComparisons> {
            let figures = figures.unwrap_or_default();
            if figures.len() > compare::MAX_NAMED_FIGURES {
                return Err(Error::invalid(
                    "figures",
                    format!("at most {} figures, not {}", compare::MAX_NAMED_FIGURES, figures.len()),
                )
                .into());
            }
            let named = figures
                .iter()
                .map(|id| database_id::<SpendingFigure>(id, "figures"))
                .collect::<crate::error::Result<Vec<_>>>()?;
            let others = compare::Others {
                year: year.map(|year| year_filter(year, categories, statuses)),
                named,
            };
            Ok(compare::compare(db(ctx)?, &self.0, others).await?)
        }
        /// This figure as a fraction of each other figure of the same currency labelled with a
        /// year: `ratioLow` and `ratioHigh` are this amount divided by the other's (DeepSeek's
        /// claimed $5.6 million is 0.00007 of Microsoft's $80 billion).
        #[graphql(
            deprecation = "Use `comparison`: it gives both directions (`fraction` and `times`), takes figures by id, and says what it left out."
        )]
        async fn compared_with(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "The calendar or fiscal year of the figures to compare with.")] year: i32,
            #[graphql(desc = "Only figures of these categories.", default_with = "capex()")]
            categories: Vec<SpendingCategory>,
            #[graphql(desc = "Only figures with these statuses.", default_with = "planned()")]
            statuses: Vec<SpendingStatus>,
        ) -> Result<Vec<SpendingComparison>> {
            let others = compare::Others {
                year: Some(year_filter(year, categories, statuses)),
                named: Vec::new(),
            };
            Ok(compare::compare(db(ctx)?, &self.0, others).await?.items)
        }
    }

    fields |row, ctx| {
        /// Stable external reference, e.g. "F1" in the built-in dataset.
        r#ref: Option<&str> = row.reference.as_deref(),
        /// What the figure measures.
        category: SpendingCategory = row.category,
        /// Reported, planned, projected or claimed.
        status: SpendingStatus = row.status,
        /// The amount: a point, a range or a bound, always with its currency.
        amount: MoneyRange = MoneyRange::of_figure(row),
        /// The period the figure covers.
        period: SpendingPeriod = SpendingPeriod::of(row),
        /// What the money goes to, e.g. "AI data centers".
        focus: Option<&str> = row.focus.as_deref(),
        /// Qualifications stated with the figure, e.g. "More than half of the investment will be focused in the U.S."
        remarks: Option<&str> = row.remarks.as_deref(),
        /// When the figure was stated, at the precision known.
        stated: Option<DateValue> = date_value(row.stated_on, row.stated_precision),
        /// Shares of the amount the source states ("more than half of the investment will be
        /// focused in the U.S."), in id order; empty when it states none.
        shares: Result<Vec<Share>> = shares_of(ctx, row).await,
        /// What the figure was expected to be, when the source compares the two (Alphabet's
        /// $75 billion is "29% greater than Wall Street had expected"); null otherwise.
        expectation: Option<Expectation> = row.above_expectation_bp.map(|_| Expectation(row.clone())),
        /// For a figure over several years, the amount per year if spread evenly (Stargate's
        /// $500 billion over four years: $125 billion a year); null for other periods.
        annual_average: Option<AnnualAverage> = AnnualAverage::of_figure(row),
    }

    ids of "the figure";
    provenance of "figure": SpendingFigureId, cited by Some(citation::Column::SpendingFigureId);

    to_one {
        /// The company whose spending this is.
        company: Company = one(company, company_id),
        /// The project the money goes to, if any (Stargate).
        project: Project = one(project, project_id),
        /// The AI model the money was spent on, if any (DeepSeek's model).
        model: AiModel = one(ai_model, ai_model_id),
        /// The figure this one was derived from (Amazon's 2025 projection from its last quarter).
        derived_from: SpendingFigure = one(spending_figure, derived_from_id),
        /// The person who stated the figure, when the source names one (Andy Jassy, on an earnings call).
        stated_by: Person = one(person, stated_by_person_id),
    }

    connections {
        /// Figures derived from this one.
        derived_figures: SpendingFigure(spending_figure, SpendingFigureFilter, SpendingFigureOrderField) by spending_figure::Column::DerivedFromId,
        /// Claims that state or qualify this figure.
        claims: Claim(claim, ClaimFilter, ClaimOrderField) by claim::Column::SpendingFigureId,
        /// The source sentences that state this figure.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::SpendingFigureId,
    }
}

/// The categories a year's figures are of unless the query names others: capital expenditure.
pub fn capex() -> Vec<SpendingCategory> {
    vec![SpendingCategory::CapitalExpenditure]
}

/// The statuses a year's figures have unless the query names others: planned or projected.
pub fn planned() -> Vec<SpendingStatus> {
    vec![SpendingStatus::Planned, SpendingStatus::Projected]
}

/// The figures labelled with `year` of these categories and statuses, calendar or fiscal.
fn year_filter(
    year: i32,
    categories: Vec<SpendingCategory>,
    statuses: Vec<SpendingStatus>,
) -> YearFilter {
    YearFilter {
        year,
        categories,
        statuses,
        period_kinds: vec![PeriodKind::CalendarYear, PeriodKind::FiscalYear],
        company_ids: None,
        calendar_view: false,
    }
}

/// The arguments of `spendingSummary` (see its descriptions).
#[derive(Clone, Debug)]
pub struct SummaryArgs {
    pub year: i32,
    pub tickers: Option<Vec<String>>,
    pub categories: Vec<SpendingCategory>,
    pub statuses: Vec<SpendingStatus>,
    pub period_kinds: Vec<PeriodKind>,
    pub calendar_view: bool,
}

/// The result of `spendingSummary` (the query's, and the live subscription's).
pub async fn spending_summary(
    db: &sea_orm::DatabaseConnection,
    args: SummaryArgs,
) -> crate::error::Result<SpendingSummary> {
    let company_ids = match &args.tickers {
        None => None,
        Some(tickers) => {
            let mut ids = Vec::with_capacity(tickers.len());
            for ticker in tickers {
                let company =
                    store::by_text::<company::Entity>(db, company::Column::Ticker, ticker).await?;
                let company = company.ok_or_else(|| {
                    Error::invalid("tickers", format!("no company has the ticker {ticker:?}"))
                })?;
                ids.push(company.id);
            }
            Some(ids)
        }
    };
    let filter = YearFilter {
        year: args.year,
        categories: args.categories,
        statuses: args.statuses,
        period_kinds: args.period_kinds,
        company_ids,
        calendar_view: args.calendar_view,
    };
    let figures = figures_for_year(db, &filter).await?;
    Ok(SpendingSummary {
        year: args.year,
        figures: nodes_of(figures),
    })
}

/// `spendingSummary` in an impl of its own, for the query (`query`, an `#[Object]` that
/// answers once) and for the live subscription (`live`, a `#[Subscription]` that answers
/// again after changes). Its six arguments, with their descriptions and defaults, are
/// written once here and reach the body as one `SummaryArgs`; the two differ only in their
/// docs, the description of `calendarView` and their bodies.
macro_rules! spending_summary_field {
    (query $($rest:tt)*) => {
        $crate::graphql::spending::spending_summary_field!(@impl Object
            [$crate::graphql::Result<$crate::graphql::spending::SpendingSummary>] $($rest)*);
    };
    (live $($rest:tt)*) => {
        $crate::graphql::spending::spending_summary_field!(@impl Subscription
            [$crate::graphql::Result<
                impl async_graphql::futures_util::Stream<
                    Item = $crate::graphql::Result<std::sync::Arc<$crate::graphql::spending::SpendingSummary>>,
                > + use<>,
            >] $($rest)*);
    };
    (
        @impl $attr:ident [$($answer:tt)*]
        $(#[doc = $tdoc:expr])*
        impl $type:ident {
            $(#[doc = $doc:expr])*
            |$ctx:ident, $args:ident| $body:block
        }
        calendar_view: $calendar_view:literal
    ) => {
        $(#[doc = $tdoc])*
        #[derive(Default)]
        pub struct $type;

        $(#[doc = $tdoc])*
        #[async_graphql::$attr]
        impl $type {
            $(#[doc = $doc])*
            #[allow(clippy::too_many_arguments)]
            async fn spending_summary(
                &self,
                $ctx: &async_graphql::Context<'_>,
                #[graphql(desc = "The calendar year, or the year a fiscal year ends in.")] year: i32,
                #[graphql(
                    desc = "Only these companies, by stock ticker, e.g. [\"AMZN\", \"MSFT\", \"META\", \"GOOGL\"]. All companies when omitted."
                )]
                tickers: Option<Vec<String>>,
                #[graphql(
                    desc = "Only figures of these categories.",
                    default_with = "crate::graphql::spending::capex()"
                )]
                categories: Vec<entity::enums::SpendingCategory>,
                #[graphql(
                    desc = "Only figures with these statuses; reported, planned, projected and claimed figures are never mixed unless listed here.",
                    default_with = "crate::graphql::spending::planned()"
                )]
                statuses: Vec<entity::enums::SpendingStatus>,
                #[graphql(
                    desc = "Which kinds of period count as the year.",
                    default_with = "vec![entity::enums::PeriodKind::CalendarYear, entity::enums::PeriodKind::FiscalYear]"
                )]
                period_kinds: Vec<entity::enums::PeriodKind>,
                #[graphql(desc = $calendar_view, default = false)]
                calendar_view: bool,
            ) -> $($answer)* {
                let $args = $crate::graphql::spending::SummaryArgs {
                    year,
                    tickers,
                    categories,
                    statuses,
                    period_kinds,
                    calendar_view,
                };
                $body
            }
        }
    };
}
pub(crate) use spending_summary_field;

spending_summary_field! {
    query
    /// Queries on spending: the summary of a year.
    impl SummaryQuery {
        /// Spending for one year, each figure and the totals per currency. By default: capital
        /// expenditure that is planned or projected, for calendar and fiscal years labelled with
        /// that year (`mixesFiscalAndCalendarYears` and `notes` say when both are present).
        |ctx, args| {
            Ok(spending_summary(db(ctx)?, args).await?)
        }
    }
    calendar_view: "A calendar-year view: take the figures whose periods overlap calendar `year` (a fiscal year ending in June, say) instead of those labelled with it; `calendarOverlaps` states each overlap."
}

/// Queries on spending: the summary first, then the figures.
#[derive(MergedObject, Default)]
pub struct SpendingQuery(SummaryQuery, FigureQuery);

/// Queries on spending figures.
#[derive(Default)]
pub struct FigureQuery;

with_connections! {
    /// Queries on spending figures.
    #[Object]
    impl FigureQuery {}

    by_id {
        /// The spending figure with this id, or null.
        spending_figure: SpendingFigure(spending_figure) "Global id of the figure.",
    }

    by_text {
        /// The spending figure with this external reference, or null.
        spending_figure_by_ref: SpendingFigure(spending_figure, Reference) r#ref "The reference, e.g. \"F4\".",
    }

    connections {
        /// Spending figures in id order, optionally only those with a status, of a category, or for a year.
        spending_figures: SpendingFigure(spending_figure, SpendingFigureFilter, SpendingFigureOrderField) where {
            status: SpendingStatus = spending_figure::Column::Status => "Only figures with this status.",
            category: SpendingCategory = spending_figure::Column::Category => "Only figures of this category.",
            year: i32 = spending_figure::Column::PeriodYear => "Only figures whose period is labelled with this calendar or fiscal year.",
        },
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
