//! Writing claims and the challenges to them.

use async_graphql::{ID, InputObject};
use entity::enums::{ChallengeKind, ClaimKind, ClaimStatus};
use entity::{claim, claim_challenge};
use sea_orm::{DatabaseTransaction, Set};

use super::write::{
    CitationInput, DateInput, MoneyInput, Writable, amount, cite, date, limits, opt_reference,
    persist, reference, text, unique,
};
use crate::dataset::Subject;
use crate::error::{Error, Result};
use crate::graphql::claims::{Claim, ClaimChallenge};
use crate::graphql::companies::{Company, Person};
use crate::graphql::models::AiModel;
use crate::graphql::spending::SpendingFigure;

/// A claim to create or replace.
#[derive(InputObject)]
pub struct ClaimInput {
    /// Unique reference (the natural key that imports match), at most 100 characters, e.g. "C1".
    pub r#ref: String,
    /// What is claimed, at most 5,000 characters.
    pub statement: String,
    /// What kind of claim.
    pub kind: ClaimKind,
    /// Whether it stands, is disputed, verified or refuted.
    pub status: ClaimStatus,
    /// The person who makes it (global id); a claim needs a person or a company.
    pub claimant_person_id: Option<ID>,
    /// The company that makes it (global id); a claim needs a person or a company.
    pub claimant_company_id: Option<ID>,
    /// The company it is about (global id).
    pub subject_company_id: Option<ID>,
    /// The model it is about (global id).
    pub subject_model_id: Option<ID>,
    /// The spending figure it states (global id).
    pub spending_figure_id: Option<ID>,
    /// The amount it names.
    pub amount: Option<MoneyInput>,
    /// When it was made.
    pub made: Option<DateInput>,
    /// The sentences of sources that state it: at least one.
    pub citations: Option<Vec<CitationInput>>,
}

crud!(
    ClaimMutation,
    Claim,
    ClaimInput,
    create_claim "Creates a claim with at least one citation. Refused for an empty or too long statement, no claimant, unknown ids, an existing ref, a bad amount or currency, or a date contradicting its precision.",
    create_claims "Creates several claims in one transaction: all of them or none.",
    update_claim "Replaces every field of a claim.",
    delete_claim "Deletes a claim with its citations and its challenges (and theirs). Refused while events name it as their trigger."
);

impl Writable for Claim {
    type Entity = claim::Entity;
    type Input = ClaimInput;
    const BLOCKERS: &'static [(&'static str, &'static str, &'static str)] =
        &[("event", "trigger_claim_id", "events it triggered")];

    async fn save(
        txn: &DatabaseTransaction,
        existing: Option<claim::Model>,
        input: ClaimInput,
        at: &str,
    ) -> Result<claim::Model> {
        let id = existing.as_ref().map(|m| m.id);
        let ref_at = format!("{at}.ref");
        let reference_text = text(&ref_at, &input.r#ref, limits::REF)?;
        {
            unique::<claim::Entity>(
                txn,
                claim::Column::Reference,
                &reference_text,
                id,
                &ref_at,
                "a claim with the ref",
            )
            .await?;
        }
        let statement = text(
            &format!("{at}.statement"),
            &input.statement,
            limits::DESCRIPTION,
        )?;
        let person = opt_reference::<Person>(
            txn,
            input.claimant_person_id.as_ref(),
            &format!("{at}.claimantPersonId"),
        )
        .await?;
        let company_at = format!("{at}.claimantCompanyId");
        let company =
            opt_reference::<Company>(txn, input.claimant_company_id.as_ref(), &company_at).await?;
        if person.is_none() && company.is_none() {
            return Err(Error::invalid(
                company_at,
                "a claim needs a claimant person or company",
            ));
        }
        let subject_company = opt_reference::<Company>(
            txn,
            input.subject_company_id.as_ref(),
            &format!("{at}.subjectCompanyId"),
        )
        .await?;
        let subject_model = opt_reference::<AiModel>(
            txn,
            input.subject_model_id.as_ref(),
            &format!("{at}.subjectModelId"),
        )
        .await?;
        let figure = opt_reference::<SpendingFigure>(
            txn,
            input.spending_figure_id.as_ref(),
            &format!("{at}.spendingFigureId"),
        )
        .await?;
        let (amount_minor, currency) = amount(&format!("{at}.amount"), input.amount.as_ref())?;
        let (made_on, made_precision) = date(&format!("{at}.made"), input.made.as_ref())?;
        let creating = existing.is_none();
        let row = persist::<claim::ActiveModel>(txn, existing, |a| {
            a.reference = Set(Some(reference_text));
            a.statement = Set(statement);
            a.kind = Set(input.kind);
            a.status = Set(input.status);
            a.claimant_person_id = Set(person);
            a.claimant_company_id = Set(company);
            a.subject_company_id = Set(subject_company);
            a.subject_model_id = Set(subject_model);
            a.spending_figure_id = Set(figure);
            a.amount_minor = Set(amount_minor);
            a.currency = Set(currency);
            a.made_on = Set(made_on);
            a.made_precision = Set(made_precision);
        })
        .await?;
        cite(
            txn,
            at,
            Subject::Claim(row.id),
            input.citations.as_deref(),
            creating,
        )
        .await?;
        Ok(row)
    }
}

/// A challenge to a claim, to create or replace.
#[derive(InputObject)]
pub struct ClaimChallengeInput {
    /// The claim challenged (global id).
    pub claim_id: ID,
    /// The company that challenges it (global id); both challengers may be null ("some tech leaders").
    pub challenger_company_id: Option<ID>,
    /// The person who challenges it (global id).
    pub challenger_person_id: Option<ID>,
    /// How it is challenged.
    pub kind: ChallengeKind,
    /// What the challenge says, at most 5,000 characters.
    pub description: String,
    /// The sentences of sources that state it: at least one.
    pub citations: Option<Vec<CitationInput>>,
}

crud!(
    ClaimChallengeMutation,
    ClaimChallenge,
    ClaimChallengeInput,
    create_claim_challenge "Adds a challenge to a claim, with at least one citation. Refused for an unknown claim or challenger, or an empty or too long description.",
    create_claim_challenges "Adds several challenges in one transaction: all of them or none.",
    update_claim_challenge "Replaces every field of a challenge.",
    delete_claim_challenge "Deletes a challenge with its citations."
);

impl Writable for ClaimChallenge {
    type Entity = claim_challenge::Entity;
    type Input = ClaimChallengeInput;
    const BLOCKERS: &'static [(&'static str, &'static str, &'static str)] = &[];

    async fn save(
        txn: &DatabaseTransaction,
        existing: Option<claim_challenge::Model>,
        input: ClaimChallengeInput,
        at: &str,
    ) -> Result<claim_challenge::Model> {
        let claim = reference::<Claim>(txn, &input.claim_id, &format!("{at}.claimId")).await?;
        let company = opt_reference::<Company>(
            txn,
            input.challenger_company_id.as_ref(),
            &format!("{at}.challengerCompanyId"),
        )
        .await?;
        let person = opt_reference::<Person>(
            txn,
            input.challenger_person_id.as_ref(),
            &format!("{at}.challengerPersonId"),
        )
        .await?;
        let description = text(
            &format!("{at}.description"),
            &input.description,
            limits::DESCRIPTION,
        )?;
        let creating = existing.is_none();
        let row = persist::<claim_challenge::ActiveModel>(txn, existing, |a| {
            a.claim_id = Set(claim);
            a.challenger_company_id = Set(company);
            a.challenger_person_id = Set(person);
            a.kind = Set(input.kind);
            a.description = Set(description);
        })
        .await?;
        cite(
            txn,
            at,
            Subject::Challenge(row.id),
            input.citations.as_deref(),
            creating,
        )
        .await?;
        Ok(row)
    }
}
