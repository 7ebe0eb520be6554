//! Writing spending figures.

use async_graphql::InputObject;
use entity::enums::{AmountBound, PeriodKind, SpendingCategory, SpendingStatus};
use entity::spending_figure;
use sea_orm::Set;

use super::provenance::{ShareInput, share};
use super::write::{DateInput, Save, Saving};
use crate::dataset::Subject;
use crate::domain::PeriodRec;
use crate::domain::rows::{ExpectationDraft, FigureDraft, figure_link};
use crate::error::Result;
use crate::graphql::common::{Date, Decimal};
use crate::graphql::companies::{Company, Person};
use crate::graphql::models::AiModel;
use crate::graphql::projects::Project;
use crate::graphql::spending::SpendingFigure;

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

input! {
    /// A spending figure to create or replace.
    SpendingFigureInput resolving SpendingFigureRefs
    spelled {
        "low" => "amount.low",
        "high" => "amount.high",
        "currency" => "amount.currency",
        "bound" => "amount.bound",
    } {
        /// Unique reference (the natural key that imports match), at most 100 characters, e.g. "F1".
        r#ref: String,
        /// The company that spends (global id); a figure needs a company, a project or both.
        company_id: Option<ID> => Company as "company",
        /// The project it is spent on (global id).
        project_id: Option<ID> => Project as "project",
        /// The model it is spent on (global id).
        model_id: Option<ID> => AiModel as "model",
        /// What kind of spending.
        category: SpendingCategory,
        /// Reported, planned, projected or claimed.
        status: SpendingStatus,
        /// How much.
        amount: MoneyRangeInput,
        /// Over which period.
        period: PeriodInput,
        /// What the money goes to, at most 200 characters.
        focus: Option<String>,
        /// Remarks, at most 5,000 characters.
        remarks: Option<String>,
        /// When the figure was stated.
        stated: Option<DateInput>,
        /// The person who stated it (global id), when the source names one.
        stated_by_id: Option<ID> => Person as "statedBy",
        /// The figure this one is derived from (global id).
        derived_from_id: Option<ID> => SpendingFigure as "derivedFrom",
        /// What the figure was expected to be, as the source compares them ("29% greater than
        /// Wall Street had expected").
        expectation: Option<ExpectationInput>,
        citations of a fact,
        provenance notes,
        /// Shares of the amount the source states ("more than half ... in the U.S."): given,
        /// the list replaces the figure's shares; left out, they are kept if they still hold.
        shares: Option<Vec<ShareInput>>,
    }
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
    SpendingFigureMutation: SpendingFigure from SpendingFigureInput, cited as Subject::Figure,
    blocked by [
        ("spending_figure", "derived_from_id", "figures derived from it"),
        ("claim", "spending_figure_id", "claims stating it"),
    ];
    create_spending_figure "Creates a spending figure with at least one citation. Refused for a negative or malformed amount, low above high, a bound without the ends it needs, an unknown currency, a period ending before it starts or missing what its kind needs, unknown ids, an existing ref, or a date contradicting its precision.",
    create_spending_figures "Creates several spending figures in one transaction: all of them or none.",
    update_spending_figure "Replaces every field of a spending figure.",
    delete_spending_figure "Deletes a spending figure with its citations. Refused while claims state it or other figures derive from it."
);

impl PeriodInput {
    /// The period as the domain's rules take it.
    fn rec(&self) -> PeriodRec {
        PeriodRec {
            kind: self.kind,
            year: self.year,
            quarter: self.quarter,
            start: self.start.map(|d| d.0),
            end: self.end.map(|d| d.0),
            years: self.years,
        }
    }
}

impl Save for SpendingFigure {
    async fn save(mut w: Saving<'_, Self>) -> Result<spending_figure::Model> {
        let (input, refs, at) = (&w.input, w.refs, w.at);
        let period = input.period.rec();
        let stated = input.stated.as_ref().map(DateInput::rec);
        let columns = FigureDraft {
            reference: &input.r#ref,
            company_id: refs.company_id,
            project_id: refs.project_id,
            ai_model_id: refs.model_id,
            category: input.category,
            status: input.status,
            bound: input.amount.bound,
            low: input.amount.low.as_ref().map(|d| d.0.as_str()),
            high: input.amount.high.as_ref().map(|d| d.0.as_str()),
            currency: &input.amount.currency,
            period: &period,
            focus: input.focus.as_deref(),
            remarks: input.remarks.as_deref(),
            stated: stated.as_ref(),
            stated_by_person_id: refs.stated_by_id,
            expectation: input.expectation.as_ref().map(|e| ExpectationDraft {
                holder: &e.holder,
                percent_above: &e.percent_above.0,
            }),
        }
        .check(at)?;
        figure_link(at, w.id(), refs.derived_from_id)?;
        w.unique_ref(
            columns.reference.as_deref(),
            "a spending figure with the ref",
        )
        .await?;
        let (txn, shares) = (w.txn, w.input.shares.take());
        let row = w
            .persist_noted(|a| {
                columns.set_on(a);
                a.derived_from_id = Set(refs.derived_from_id);
            })
            .await?;
        share(txn, at.row(), row.id, shares.as_deref()).await?;
        Ok(row)
    }
}
