//! Writing spending figures.

use async_graphql::{ID, InputObject};
use entity::enums::{AmountBound, PeriodKind, SpendingCategory, SpendingStatus};
use entity::spending_figure;
use sea_orm::{DatabaseTransaction, Set};

use super::write::{
    CitationInput, DateInput, Writable, cite, currency, date, limits, opt_reference, opt_text,
    persist, text, unique,
};
use crate::dataset::{PeriodRec, Subject, check_bound, check_period, percent_to_bp};
use crate::error::{Error, Result};
use crate::graphql::common::{Date, Decimal};
use crate::graphql::companies::Company;
use crate::graphql::models::AiModel;
use crate::graphql::projects::Project;
use crate::graphql::spending::SpendingFigure;
use crate::money;

/// An amount that may be a point, a range or a bound, in one currency.
#[derive(InputObject)]
pub struct MoneyRangeInput {
    /// EXACT needs low = high; RANGE low <= high; MORE_THAN and AT_LEAST only low; LESS_THAN and AT_MOST only high.
    pub bound: AmountBound,
    /// Lower end, a non-negative decimal in major units.
    pub low: Option<Decimal>,
    /// Upper end, a non-negative decimal in major units.
    pub high: Option<Decimal>,
    /// ISO 4217 code, e.g. "USD".
    pub currency: String,
}

/// The span of time a figure covers.
#[derive(InputObject)]
pub struct PeriodInput {
    /// QUARTER needs year and quarter 1-4; CALENDAR_YEAR a year; FISCAL_YEAR a year and its end; MULTI_YEAR a positive number of years.
    pub kind: PeriodKind,
    /// The (fiscal) year.
    pub year: Option<i32>,
    /// The quarter, 1 to 4.
    pub quarter: Option<i32>,
    /// First day, when known.
    pub start: Option<Date>,
    /// Last day, when known; not before `start`.
    pub end: Option<Date>,
    /// Number of years of a MULTI_YEAR period.
    pub years: Option<i32>,
}

/// A spending figure to create or replace.
#[derive(InputObject)]
pub struct SpendingFigureInput {
    /// Unique reference (the natural key that imports match), at most 100 characters, e.g. "F1".
    pub r#ref: String,
    /// The company that spends (global id); a figure needs a company, a project or both.
    pub company_id: Option<ID>,
    /// The project it is spent on (global id).
    pub project_id: Option<ID>,
    /// The model it is spent on (global id).
    pub model_id: Option<ID>,
    /// What kind of spending.
    pub category: SpendingCategory,
    /// Reported, planned, projected or claimed.
    pub status: SpendingStatus,
    /// How much.
    pub amount: MoneyRangeInput,
    /// Over which period.
    pub period: PeriodInput,
    /// What the money goes to, at most 200 characters.
    pub focus: Option<String>,
    /// Remarks, at most 5,000 characters.
    pub remarks: Option<String>,
    /// When the figure was stated.
    pub stated: Option<DateInput>,
    /// The figure this one is derived from (global id).
    pub derived_from_id: Option<ID>,
    /// What the figure was expected to be, as the source compares them ("29% greater than
    /// Wall Street had expected").
    pub expectation: Option<ExpectationInput>,
    /// The sentences of sources that state it: at least one.
    pub citations: Option<Vec<CitationInput>>,
}

/// Who expected a figure, and by how much the figure lies above the expectation.
#[derive(InputObject)]
pub struct ExpectationInput {
    /// Who expected it, e.g. "Wall Street"; at most 200 characters.
    pub holder: String,
    /// How far the figure lies above the expectation, in percent with at most two decimals
    /// (e.g. "29", "-3.5"); above -100.
    pub percent_above: Decimal,
}

crud!(
    SpendingFigureMutation,
    SpendingFigure,
    SpendingFigureInput,
    create_spending_figure "Creates a spending figure with at least one citation. Refused for a negative or malformed amount, low above high, a bound without the ends it needs, an unknown currency, a period ending before it starts or missing what its kind needs, unknown ids, an existing ref, or a date contradicting its precision.",
    create_spending_figures "Creates several spending figures in one transaction: all of them or none.",
    update_spending_figure "Replaces every field of a spending figure.",
    delete_spending_figure "Deletes a spending figure with its citations. Refused while claims state it or other figures derive from it."
);

fn range(at: &str, m: &MoneyRangeInput) -> Result<(Option<i64>, Option<i64>, String)> {
    let code = currency(&format!("{at}.currency"), &m.currency)?;
    let parse = |field: &str, v: &Option<Decimal>| -> Result<Option<i64>> {
        v.as_ref()
            .map(|d| money::parse_amount(&d.0, &code, &format!("{at}.{field}")))
            .transpose()
    };
    let low = parse("low", &m.low)?;
    let high = parse("high", &m.high)?;
    if let (Some(l), Some(h)) = (low, high)
        && l > h
    {
        return Err(Error::invalid(
            format!("{at}.low"),
            format!(
                "{} is above the high end {}",
                money::format_amount(l, &code),
                money::format_amount(h, &code)
            ),
        ));
    }
    check_bound(&format!("{at}.bound"), m.bound, low, high)?;
    Ok((low, high, code))
}

fn period(at: &str, p: &PeriodInput) -> Result<PeriodRec> {
    if let (Some(start), Some(end)) = (&p.start, &p.end)
        && end.0 < start.0
    {
        return Err(Error::invalid(
            format!("{at}.end"),
            format!("{} is before the start {}", end.0, start.0),
        ));
    }
    let rec = PeriodRec {
        kind: p.kind,
        year: p.year,
        quarter: p.quarter,
        start: p.start.map(|d| d.0),
        end: p.end.map(|d| d.0),
        years: p.years,
    };
    check_period(at, &rec)?;
    Ok(rec)
}

impl Writable for SpendingFigure {
    type Entity = spending_figure::Entity;
    type Input = SpendingFigureInput;
    const BLOCKERS: &'static [(&'static str, &'static str, &'static str)] = &[
        (
            "spending_figure",
            "derived_from_id",
            "figures derived from it",
        ),
        ("claim", "spending_figure_id", "claims stating it"),
    ];

    async fn save(
        txn: &DatabaseTransaction,
        existing: Option<spending_figure::Model>,
        input: SpendingFigureInput,
        at: &str,
    ) -> Result<spending_figure::Model> {
        let id = existing.as_ref().map(|m| m.id);
        let ref_at = format!("{at}.ref");
        let reference_text = text(&ref_at, &input.r#ref, limits::REF)?;
        {
            unique::<spending_figure::Entity>(
                txn,
                spending_figure::Column::Reference,
                &reference_text,
                id,
                &ref_at,
                "a spending figure with the ref",
            )
            .await?;
        }
        let company_at = format!("{at}.companyId");
        let company = opt_reference::<Company>(txn, input.company_id.as_ref(), &company_at).await?;
        let project =
            opt_reference::<Project>(txn, input.project_id.as_ref(), &format!("{at}.projectId"))
                .await?;
        if company.is_none() && project.is_none() {
            return Err(Error::invalid(
                company_at,
                "a figure belongs to a company, a project or both",
            ));
        }
        let model =
            opt_reference::<AiModel>(txn, input.model_id.as_ref(), &format!("{at}.modelId"))
                .await?;
        let (low, high, code) = range(&format!("{at}.amount"), &input.amount)?;
        let p = period(&format!("{at}.period"), &input.period)?;
        let focus = opt_text(&format!("{at}.focus"), input.focus.as_ref(), limits::SHORT)?;
        let remarks = opt_text(
            &format!("{at}.remarks"),
            input.remarks.as_ref(),
            limits::DESCRIPTION,
        )?;
        let (stated_on, stated_precision) = date(&format!("{at}.stated"), input.stated.as_ref())?;
        let derived_at = format!("{at}.derivedFromId");
        let derived =
            opt_reference::<SpendingFigure>(txn, input.derived_from_id.as_ref(), &derived_at)
                .await?;
        if derived.is_some() && derived == id {
            return Err(Error::invalid(
                derived_at,
                "a figure cannot derive from itself",
            ));
        }
        let (expectation_holder, above_expectation_bp) = match &input.expectation {
            None => (None, None),
            Some(e) => {
                let holder_at = format!("{at}.expectation.holder");
                let holder = text(&holder_at, &e.holder, limits::SHORT)?;
                let bp = percent_to_bp(
                    &format!("{at}.expectation.percentAbove"),
                    &e.percent_above.0,
                )?;
                (Some(holder), Some(bp))
            }
        };
        let creating = existing.is_none();
        let row = persist::<spending_figure::ActiveModel>(txn, existing, |a| {
            a.expectation_holder = Set(expectation_holder);
            a.above_expectation_bp = Set(above_expectation_bp);
            a.reference = Set(Some(reference_text));
            a.company_id = Set(company);
            a.project_id = Set(project);
            a.ai_model_id = Set(model);
            a.category = Set(input.category);
            a.status = Set(input.status);
            a.bound = Set(input.amount.bound);
            a.amount_low_minor = Set(low);
            a.amount_high_minor = Set(high);
            a.currency = Set(code);
            a.period_kind = Set(p.kind);
            a.period_year = Set(p.year);
            a.period_quarter = Set(p.quarter);
            a.period_start = Set(p.start);
            a.period_end = Set(p.end);
            a.period_years = Set(p.years);
            a.focus = Set(focus);
            a.remarks = Set(remarks);
            a.stated_on = Set(stated_on);
            a.stated_precision = Set(stated_precision);
            a.derived_from_id = Set(derived);
        })
        .await?;
        cite(
            txn,
            at,
            Subject::Figure(row.id),
            input.citations.as_deref(),
            creating,
        )
        .await?;
        Ok(row)
    }
}
