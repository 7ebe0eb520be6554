//! The facts the sources report: investments, projects and their backers, spending
//! figures (and the figure each derives from), claims and their challenges, events.

use entity::enums::*;
use sea_orm::Set;

use super::{Date, description, not_itself};
use crate::domain::At;
use crate::domain::values::{
    self, AmountRec, DateRec, PeriodRec, amount, check_bound, check_period, date, limits, opt_text,
    percent_to_bp, text,
};
use crate::error::{Error, Result};
use crate::money;

/// An investment.
pub struct InvestmentDraft<'a> {
    pub reference: &'a str,
    pub investor_id: i32,
    pub investee_id: i32,
    pub amount: Option<&'a AmountRec>,
    pub made: Option<&'a DateRec>,
    pub description: Option<&'a str>,
}

columns!(
    /// An investment's columns.
    InvestmentColumns => investment by Reference(reference) {
        reference: Option<String>,
        investor_id: i32,
        investee_id: i32,
        amount_minor: Option<i64>,
        currency: Option<String>,
        made_on: Option<Date>,
        made_precision: Option<DatePrecision>,
        description: Option<String>,
    }
);

impl InvestmentDraft<'_> {
    pub fn check(self, at: At) -> Result<InvestmentColumns> {
        let reference = text(&at.field("ref"), self.reference, limits::REF)?;
        if self.investor_id == self.investee_id {
            return Err(Error::invalid(
                at.field("investee"),
                "a company cannot invest in itself",
            ));
        }
        let (amount_minor, currency) = amount(&at.field("amount"), self.amount)?;
        let (made_on, made_precision) = date(&at.field("made"), self.made)?;
        Ok(InvestmentColumns {
            reference: Some(reference),
            investor_id: self.investor_id,
            investee_id: self.investee_id,
            amount_minor,
            currency,
            made_on,
            made_precision,
            description: description(&at, self.description)?,
        })
    }
}

/// A project.
pub struct ProjectDraft<'a> {
    pub name: &'a str,
    pub lead_company_id: Option<i32>,
    pub planned_amount: Option<&'a AmountRec>,
    pub horizon_years: Option<i32>,
    pub announced: Option<&'a DateRec>,
    pub has_unnamed_backers: bool,
    pub description: Option<&'a str>,
}

columns!(
    /// A project's columns.
    ProjectColumns => project by Name(name) {
        name: String,
        lead_company_id: Option<i32>,
        planned_amount_minor: Option<i64>,
        currency: Option<String>,
        horizon_years: Option<i32>,
        announced_on: Option<Date>,
        announced_precision: Option<DatePrecision>,
        has_unnamed_backers: bool,
        description: Option<String>,
    }
);

impl ProjectDraft<'_> {
    pub fn check(self, at: At) -> Result<ProjectColumns> {
        let name = text(&at.field("name"), self.name, limits::NAME)?;
        let (planned_amount_minor, currency) =
            amount(&at.field("plannedAmount"), self.planned_amount)?;
        if self.horizon_years.is_some_and(|y| y <= 0) {
            return Err(Error::invalid(at.field("horizonYears"), "must be positive"));
        }
        let (announced_on, announced_precision) = date(&at.field("announced"), self.announced)?;
        Ok(ProjectColumns {
            name,
            lead_company_id: self.lead_company_id,
            planned_amount_minor,
            currency,
            horizon_years: self.horizon_years,
            announced_on,
            announced_precision,
            has_unnamed_backers: self.has_unnamed_backers,
            description: description(&at, self.description)?,
        })
    }
}

columns!(
    /// A project's backer: its references are all it has, and the paths resolve them.
    BackerColumns => project_backer by ProjectId(project_id), CompanyId(company_id) {
        project_id: i32,
        company_id: i32,
        role: BackerRole,
    }
);

/// How a spending figure compares with an expectation.
pub struct ExpectationDraft<'a> {
    pub holder: &'a str,
    pub percent_above: &'a str,
}

/// A spending figure: the figure it derives from is checked by [`figure_link`].
pub struct FigureDraft<'a> {
    pub reference: &'a str,
    pub company_id: Option<i32>,
    pub project_id: Option<i32>,
    pub ai_model_id: Option<i32>,
    pub category: SpendingCategory,
    pub status: SpendingStatus,
    pub bound: AmountBound,
    pub low: Option<&'a str>,
    pub high: Option<&'a str>,
    pub currency: &'a str,
    pub period: &'a PeriodRec,
    pub focus: Option<&'a str>,
    pub remarks: Option<&'a str>,
    pub stated: Option<&'a DateRec>,
    pub stated_by_person_id: Option<i32>,
    pub expectation: Option<ExpectationDraft<'a>>,
}

columns!(
    /// A spending figure's own columns.
    FigureColumns => spending_figure by Reference(reference) {
        reference: Option<String>,
        company_id: Option<i32>,
        project_id: Option<i32>,
        ai_model_id: Option<i32>,
        category: SpendingCategory,
        status: SpendingStatus,
        bound: AmountBound,
        amount_low_minor: Option<i64>,
        amount_high_minor: Option<i64>,
        currency: String,
        period_kind: PeriodKind,
        period_year: Option<i32>,
        period_quarter: Option<i32>,
        period_start: Option<Date>,
        period_end: Option<Date>,
        period_years: Option<i32>,
        focus: Option<String>,
        remarks: Option<String>,
        stated_on: Option<Date>,
        stated_precision: Option<DatePrecision>,
        expectation_holder: Option<String>,
        above_expectation_bp: Option<i32>,
        stated_by_person_id: Option<i32>,
    }
);

impl FigureDraft<'_> {
    pub fn check(self, at: At) -> Result<FigureColumns> {
        let reference = text(&at.field("ref"), self.reference, limits::REF)?;
        if self.company_id.is_none() && self.project_id.is_none() {
            return Err(Error::invalid(
                at.field("company"),
                "a figure belongs to a company, a project or both",
            ));
        }
        let code = values::currency(&at.field("currency"), self.currency)?;
        let parse = |field: &str, v: Option<&str>| -> Result<Option<i64>> {
            v.map(|text| money::parse_amount(text, &code, &at.field(field)))
                .transpose()
        };
        let low = parse("low", self.low)?;
        let high = parse("high", self.high)?;
        if let (Some(l), Some(h)) = (low, high)
            && l > h
        {
            return Err(Error::invalid(
                at.field("low"),
                format!(
                    "{} is above the high end {}",
                    money::format_amount(l, &code),
                    money::format_amount(h, &code)
                ),
            ));
        }
        check_bound(&at.field("bound"), self.bound, low, high)?;
        check_period(&at.field("period"), self.period)?;
        let (stated_on, stated_precision) = date(&at.field("stated"), self.stated)?;
        let (expectation_holder, above_expectation_bp) = match self.expectation {
            None => (None, None),
            Some(e) => (
                Some(text(
                    &at.field("expectation.holder"),
                    e.holder,
                    limits::SHORT,
                )?),
                Some(percent_to_bp(
                    &at.field("expectation.percentAbove"),
                    e.percent_above,
                )?),
            ),
        };
        let p = self.period;
        Ok(FigureColumns {
            reference: Some(reference),
            company_id: self.company_id,
            project_id: self.project_id,
            ai_model_id: self.ai_model_id,
            category: self.category,
            status: self.status,
            bound: self.bound,
            amount_low_minor: low,
            amount_high_minor: high,
            currency: code,
            period_kind: p.kind,
            period_year: p.year,
            period_quarter: p.quarter,
            period_start: p.start,
            period_end: p.end,
            period_years: p.years,
            focus: opt_text(&at.field("focus"), self.focus, limits::SHORT)?,
            remarks: opt_text(&at.field("remarks"), self.remarks, limits::DESCRIPTION)?,
            stated_on,
            stated_precision,
            expectation_holder,
            above_expectation_bp,
            stated_by_person_id: self.stated_by_person_id,
        })
    }
}

/// The figure a spending figure derives from: never itself.
pub fn figure_link(at: At, figure: Option<i32>, derived_from: Option<i32>) -> Result<()> {
    not_itself(
        &at,
        "derivedFrom",
        figure,
        derived_from,
        "a figure cannot derive from itself",
    )
}

/// A claim.
pub struct ClaimDraft<'a> {
    pub reference: &'a str,
    pub statement: &'a str,
    pub kind: ClaimKind,
    pub status: ClaimStatus,
    pub claimant_person_id: Option<i32>,
    pub claimant_company_id: Option<i32>,
    pub subject_company_id: Option<i32>,
    pub subject_model_id: Option<i32>,
    pub spending_figure_id: Option<i32>,
    pub amount: Option<&'a AmountRec>,
    pub made: Option<&'a DateRec>,
}

columns!(
    /// A claim's columns.
    ClaimColumns => claim by Reference(reference) {
        reference: Option<String>,
        statement: String,
        kind: ClaimKind,
        status: ClaimStatus,
        claimant_person_id: Option<i32>,
        claimant_company_id: Option<i32>,
        subject_company_id: Option<i32>,
        subject_model_id: Option<i32>,
        spending_figure_id: Option<i32>,
        amount_minor: Option<i64>,
        currency: Option<String>,
        made_on: Option<Date>,
        made_precision: Option<DatePrecision>,
    }
);

impl ClaimDraft<'_> {
    pub fn check(self, at: At) -> Result<ClaimColumns> {
        let reference = text(&at.field("ref"), self.reference, limits::REF)?;
        let statement = text(&at.field("statement"), self.statement, limits::DESCRIPTION)?;
        if self.claimant_person_id.is_none() && self.claimant_company_id.is_none() {
            return Err(Error::invalid(
                at.field("claimantCompany"),
                "a claim needs a claimant person or company",
            ));
        }
        let (amount_minor, currency) = amount(&at.field("amount"), self.amount)?;
        let (made_on, made_precision) = date(&at.field("made"), self.made)?;
        Ok(ClaimColumns {
            reference: Some(reference),
            statement,
            kind: self.kind,
            status: self.status,
            claimant_person_id: self.claimant_person_id,
            claimant_company_id: self.claimant_company_id,
            subject_company_id: self.subject_company_id,
            subject_model_id: self.subject_model_id,
            spending_figure_id: self.spending_figure_id,
            amount_minor,
            currency,
            made_on,
            made_precision,
        })
    }
}

/// A challenge to a claim.
pub struct ChallengeDraft<'a> {
    pub claim_id: i32,
    pub challenger_company_id: Option<i32>,
    pub challenger_person_id: Option<i32>,
    pub kind: ChallengeKind,
    pub description: &'a str,
}

columns!(
    /// A challenge's columns: a challenge is the same challenge when it is to the same claim
    /// with the same description.
    ChallengeColumns => claim_challenge by ClaimId(claim_id), Description(description) {
        claim_id: i32,
        challenger_company_id: Option<i32>,
        challenger_person_id: Option<i32>,
        kind: ChallengeKind,
        description: String,
    }
);

impl ChallengeDraft<'_> {
    pub fn check(self, at: At) -> Result<ChallengeColumns> {
        Ok(ChallengeColumns {
            claim_id: self.claim_id,
            challenger_company_id: self.challenger_company_id,
            challenger_person_id: self.challenger_person_id,
            kind: self.kind,
            description: text(
                &at.field("description"),
                self.description,
                limits::DESCRIPTION,
            )?,
        })
    }
}

/// An event.
pub struct EventDraft<'a> {
    pub reference: &'a str,
    pub name: &'a str,
    pub kind: EventKind,
    pub occurred: Option<&'a DateRec>,
    pub company_id: Option<i32>,
    pub trigger_claim_id: Option<i32>,
    pub description: Option<&'a str>,
}

columns!(
    /// An event's columns.
    EventColumns => event by Reference(reference) {
        reference: Option<String>,
        name: String,
        kind: EventKind,
        occurred_on: Option<Date>,
        occurred_precision: Option<DatePrecision>,
        company_id: Option<i32>,
        trigger_claim_id: Option<i32>,
        description: Option<String>,
    }
);

impl EventDraft<'_> {
    pub fn check(self, at: At) -> Result<EventColumns> {
        let reference = text(&at.field("ref"), self.reference, limits::REF)?;
        let name = text(&at.field("name"), self.name, limits::EVENT_NAME)?;
        let (occurred_on, occurred_precision) = date(&at.field("occurred"), self.occurred)?;
        Ok(EventColumns {
            reference: Some(reference),
            name,
            kind: self.kind,
            occurred_on,
            occurred_precision,
            company_id: self.company_id,
            trigger_claim_id: self.trigger_claim_id,
            description: description(&at, self.description)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn investment<'a>(amount: Option<&'a AmountRec>) -> InvestmentDraft<'a> {
        InvestmentDraft {
            reference: "I1",
            investor_id: 1,
            investee_id: 2,
            amount,
            made: None,
            description: None,
        }
    }

    #[test]
    fn an_investment_is_checked_once_for_every_path() {
        let usd = AmountRec {
            amount: "1.50".into(),
            currency: "USD".into(),
        };
        let row = investment(Some(&usd))
            .check(At::dataset("i"))
            .expect("valid");
        assert_eq!(row.amount_minor, Some(150));
        let mut itself = investment(None);
        itself.investee_id = 1;
        let err = itself
            .check(At::spelled("input", &[("investee", "investeeId")]))
            .expect_err("self-investment");
        assert!(
            matches!(&err, Error::InvalidInput { field, .. } if field == "input.investeeId"),
            "{err:?}"
        );
        let long = "x".repeat(limits::DESCRIPTION + 1);
        let mut described = investment(None);
        described.description = Some(&long);
        assert!(described.check(At::dataset("i")).is_err());
    }

    #[test]
    fn a_range_with_low_above_high_is_refused_whatever_its_bound() {
        let period = PeriodRec {
            kind: PeriodKind::CalendarYear,
            year: Some(2025),
            quarter: None,
            start: None,
            end: None,
            years: None,
        };
        let figure = FigureDraft {
            reference: "F1",
            company_id: Some(1),
            project_id: None,
            ai_model_id: None,
            category: SpendingCategory::CapitalExpenditure,
            status: SpendingStatus::Reported,
            bound: AmountBound::Range,
            low: Some("70"),
            high: Some("60"),
            currency: "USD",
            period: &period,
            focus: None,
            remarks: None,
            stated: None,
            stated_by_person_id: None,
            expectation: None,
        };
        let err = figure.check(At::dataset("f")).expect_err("low above high");
        assert!(
            matches!(&err, Error::InvalidInput { field, .. } if field == "f.low"),
            "{err:?}"
        );
    }
}
