//! Writing claims and the challenges to them.

use async_graphql::{ID, InputObject};
use entity::enums::{ChallengeKind, ClaimKind, ClaimStatus};
use entity::value_provenance;
use entity::{claim, claim_challenge};
use sea_orm::DatabaseTransaction;

use super::provenance::ProvenanceInput;
use super::write::{
    CitationInput, Cited, DateInput, MoneyInput, Noted, Writable, opt_reference, persist_cited,
    persist_noted, reference, unique_ref,
};
use crate::dataset::Subject;
use crate::domain::At;
use crate::domain::rows::{ChallengeDraft, ClaimDraft};
use crate::error::Result;
use crate::graphql::claims::{Claim, ClaimChallenge};
use crate::graphql::companies::{Company, Person};
use crate::graphql::models::AiModel;
use crate::graphql::spending::SpendingFigure;

/// How a claim input spells the fields the dataset format names differently.
const CLAIM_NAMES: &[(&str, &str)] = &[
    ("claimantPerson", "claimantPersonId"),
    ("claimantCompany", "claimantCompanyId"),
    ("subjectCompany", "subjectCompanyId"),
    ("subjectModel", "subjectModelId"),
    ("spendingFigure", "spendingFigureId"),
    ("made", "made.date"),
];

/// How a challenge input spells the fields the dataset format names differently.
const CHALLENGE_NAMES: &[(&str, &str)] = &[
    ("claim", "claimId"),
    ("challengerCompany", "challengerCompanyId"),
    ("challengerPerson", "challengerPersonId"),
];

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
    /// How the row's values are known (see `ProvenanceInput`): given, the list replaces
    /// the row's notes; left out, the notes are kept if they still hold.
    pub provenance: Option<Vec<ProvenanceInput>>,
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
        let at = At::spelled(at, CLAIM_NAMES);
        let person = opt_reference::<Person>(
            txn,
            input.claimant_person_id.as_ref(),
            &at.field("claimantPerson"),
        )
        .await?;
        let company = opt_reference::<Company>(
            txn,
            input.claimant_company_id.as_ref(),
            &at.field("claimantCompany"),
        )
        .await?;
        let subject_company = opt_reference::<Company>(
            txn,
            input.subject_company_id.as_ref(),
            &at.field("subjectCompany"),
        )
        .await?;
        let subject_model = opt_reference::<AiModel>(
            txn,
            input.subject_model_id.as_ref(),
            &at.field("subjectModel"),
        )
        .await?;
        let figure = opt_reference::<SpendingFigure>(
            txn,
            input.spending_figure_id.as_ref(),
            &at.field("spendingFigure"),
        )
        .await?;
        let amount = input.amount.as_ref().map(MoneyInput::rec);
        let made = input.made.as_ref().map(DateInput::rec);
        let columns = ClaimDraft {
            reference: &input.r#ref,
            statement: &input.statement,
            kind: input.kind,
            status: input.status,
            claimant_person_id: person,
            claimant_company_id: company,
            subject_company_id: subject_company,
            subject_model_id: subject_model,
            spending_figure_id: figure,
            amount: amount.as_ref(),
            made: made.as_ref(),
        }
        .check(at)?;
        unique_ref::<claim::Entity>(
            txn,
            columns.reference.as_deref(),
            id,
            at,
            "a claim with the ref",
        )
        .await?;
        persist_noted::<claim::ActiveModel>(
            txn,
            at.row(),
            existing,
            |a| columns.set_on(a),
            Cited::by(Subject::Claim, input.citations.as_deref()),
            Noted::by(
                value_provenance::Column::ClaimId,
                input.provenance.as_deref(),
            ),
        )
        .await
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
        let at = At::spelled(at, CHALLENGE_NAMES);
        let claim = reference::<Claim>(txn, &input.claim_id, &at.field("claim")).await?;
        let company = opt_reference::<Company>(
            txn,
            input.challenger_company_id.as_ref(),
            &at.field("challengerCompany"),
        )
        .await?;
        let person = opt_reference::<Person>(
            txn,
            input.challenger_person_id.as_ref(),
            &at.field("challengerPerson"),
        )
        .await?;
        let columns = ChallengeDraft {
            claim_id: claim,
            challenger_company_id: company,
            challenger_person_id: person,
            kind: input.kind,
            description: &input.description,
        }
        .check(at)?;
        persist_cited::<claim_challenge::ActiveModel>(
            txn,
            at.row(),
            existing,
            |a| columns.set_on(a),
            Cited::by(Subject::Challenge, input.citations.as_deref()),
        )
        .await
    }
}
