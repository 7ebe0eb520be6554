//! Writing spending figures.

use async_graphql::{ID, InputObject};
use entity::enums::{AmountBound, PeriodKind, SpendingCategory, SpendingStatus};
use entity::spending_figure;
use entity::value_provenance;
use sea_orm::{DatabaseTransaction, Set};

use super::provenance::{ProvenanceInput, ShareInput, share};
use super::write::{
    CitationInput, Cited, DateInput, Noted, Writable, opt_reference, persist_noted, unique_ref,
};
use crate::dataset::Subject;
use crate::domain::rows::{ExpectationDraft, FigureDraft, figure_link};
use crate::domain::{At, PeriodRec};
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

/// How a spending figure input spells the fields the dataset format names differently.
const NAMES: &[(&str, &str)] = &[
    ("company", "companyId"),
    ("project", "projectId"),
    ("model", "modelId"),
    ("derivedFrom", "derivedFromId"),
    ("statedBy", "statedById"),
    ("low", "amount.low"),
    ("high", "amount.high"),
    ("currency", "amount.currency"),
    ("bound", "amount.bound"),
    ("stated", "stated.date"),
];

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
    /// The person who stated it (global id), when the source names one.
    pub stated_by_id: Option<ID>,
    /// The figure this one is derived from (global id).
    pub derived_from_id: Option<ID>,
    /// What the figure was expected to be, as the source compares them ("29% greater than
    /// Wall Street had expected").
    pub expectation: Option<ExpectationInput>,
    /// The sentences of sources that state it: at least one.
    pub citations: Option<Vec<CitationInput>>,
    /// How the row's values are known (see `ProvenanceInput`): given, the list replaces
    /// the row's notes; left out, the notes are kept if they still hold.
    pub provenance: Option<Vec<ProvenanceInput>>,
    /// Shares of the amount the source states ("more than half ... in the U.S."): given,
    /// the list replaces the figure's shares; left out, they are kept if they still hold.
    pub shares: Option<Vec<ShareInput>>,
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
        let at = At::spelled(at, NAMES);
        let company =
            opt_reference::<Company>(txn, input.company_id.as_ref(), &at.field("company")).await?;
        let project =
            opt_reference::<Project>(txn, input.project_id.as_ref(), &at.field("project")).await?;
        let model =
            opt_reference::<AiModel>(txn, input.model_id.as_ref(), &at.field("model")).await?;
        let stated_by =
            opt_reference::<Person>(txn, input.stated_by_id.as_ref(), &at.field("statedBy"))
                .await?;
        let derived = opt_reference::<SpendingFigure>(
            txn,
            input.derived_from_id.as_ref(),
            &at.field("derivedFrom"),
        )
        .await?;
        let period = input.period.rec();
        let stated = input.stated.as_ref().map(DateInput::rec);
        let columns = FigureDraft {
            reference: &input.r#ref,
            company_id: company,
            project_id: project,
            ai_model_id: model,
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
            stated_by_person_id: stated_by,
            expectation: input.expectation.as_ref().map(|e| ExpectationDraft {
                holder: &e.holder,
                percent_above: &e.percent_above.0,
            }),
        }
        .check(at)?;
        figure_link(at, id, derived)?;
        unique_ref::<spending_figure::Entity>(
            txn,
            columns.reference.as_deref(),
            id,
            at,
            "a spending figure with the ref",
        )
        .await?;
        let row = persist_noted::<spending_figure::ActiveModel>(
            txn,
            at.row(),
            existing,
            |a| {
                columns.set_on(a);
                a.derived_from_id = Set(derived);
            },
            Cited::by(Subject::Figure, input.citations.as_deref()),
            Noted::by(
                value_provenance::Column::SpendingFigureId,
                input.provenance.as_deref(),
            ),
        )
        .await?;
        share(txn, at.row(), row.id, input.shares.as_deref()).await?;
        Ok(row)
    }
}
