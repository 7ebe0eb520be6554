//! Writing claims and the challenges to them.

use entity::enums::{ChallengeKind, ClaimKind, ClaimStatus};
use entity::{claim, claim_challenge};

use super::write::{DateInput, MoneyInput, Save, Saving};
use crate::dataset::Subject;
use crate::domain::rows::{ChallengeDraft, ClaimDraft};
use crate::error::Result;
use crate::graphql::claims::{Claim, ClaimChallenge};
use crate::graphql::companies::{Company, Person};
use crate::graphql::models::AiModel;
use crate::graphql::spending::SpendingFigure;

input! {
    /// A claim to create or replace.
    ClaimInput resolving ClaimRefs {
        /// Unique reference (the natural key that imports match), at most 100 characters, e.g. "C1".
        r#ref: String,
        /// What is claimed, at most 5,000 characters.
        statement: String,
        /// What kind of claim.
        kind: ClaimKind,
        /// Whether it stands, is disputed, verified or refuted.
        status: ClaimStatus,
        /// The person who makes it (global id); a claim needs a person or a company.
        claimant_person_id: Option<ID> => Person as "claimantPerson",
        /// The company that makes it (global id); a claim needs a person or a company.
        claimant_company_id: Option<ID> => Company as "claimantCompany",
        /// The company it is about (global id).
        subject_company_id: Option<ID> => Company as "subjectCompany",
        /// The model it is about (global id).
        subject_model_id: Option<ID> => AiModel as "subjectModel",
        /// The spending figure it states (global id).
        spending_figure_id: Option<ID> => SpendingFigure as "spendingFigure",
        /// The amount it names.
        amount: Option<MoneyInput>,
        /// When it was made.
        made: Option<DateInput>,
        citations of a fact,
        provenance notes,
    }
}

crud!(
    ClaimMutation: Claim from ClaimInput, cited as Subject::Claim,
    blocked by [("event", "trigger_claim_id", "events it triggered")];
    create_claim "Creates a claim with at least one citation. Refused for an empty or too long statement, no claimant, unknown ids, an existing ref, a bad amount or currency, or a date contradicting its precision.",
    create_claims "Creates several claims in one transaction: all of them or none.",
    update_claim "Replaces every field of a claim.",
    delete_claim "Deletes a claim with its citations and its challenges (and theirs). Refused while events name it as their trigger."
);

impl Save for Claim {
    async fn save(w: Saving<'_, Self>) -> Result<claim::Model> {
        let (input, refs) = (&w.input, w.refs);
        let amount = input.amount.as_ref().map(MoneyInput::rec);
        let made = input.made.as_ref().map(DateInput::rec);
        let columns = ClaimDraft {
            reference: &input.r#ref,
            statement: &input.statement,
            kind: input.kind,
            status: input.status,
            claimant_person_id: refs.claimant_person_id,
            claimant_company_id: refs.claimant_company_id,
            subject_company_id: refs.subject_company_id,
            subject_model_id: refs.subject_model_id,
            spending_figure_id: refs.spending_figure_id,
            amount: amount.as_ref(),
            made: made.as_ref(),
        }
        .check(w.at)?;
        w.unique_ref(columns.reference.as_deref(), "a claim with the ref")
            .await?;
        w.persist_noted(|a| columns.set_on(a)).await
    }
}

input! {
    /// A challenge to a claim, to create or replace.
    ClaimChallengeInput resolving ClaimChallengeRefs {
        /// The claim challenged (global id).
        claim_id: ID => Claim as "claim",
        /// The company that challenges it (global id); both challengers may be null ("some tech leaders").
        challenger_company_id: Option<ID> => Company as "challengerCompany",
        /// The person who challenges it (global id).
        challenger_person_id: Option<ID> => Person as "challengerPerson",
        /// How it is challenged.
        kind: ChallengeKind,
        /// What the challenge says, at most 5,000 characters.
        description: String,
        citations of a fact,
    }
}

crud!(
    ClaimChallengeMutation: ClaimChallenge from ClaimChallengeInput, cited as Subject::Challenge;
    create_claim_challenge "Adds a challenge to a claim, with at least one citation. Refused for an unknown claim or challenger, or an empty or too long description.",
    create_claim_challenges "Adds several challenges in one transaction: all of them or none.",
    update_claim_challenge "Replaces every field of a challenge.",
    delete_claim_challenge "Deletes a challenge with its citations."
);

impl Save for ClaimChallenge {
    async fn save(w: Saving<'_, Self>) -> Result<claim_challenge::Model> {
        let columns = ChallengeDraft {
            claim_id: w.refs.claim_id,
            challenger_company_id: w.refs.challenger_company_id,
            challenger_person_id: w.refs.challenger_person_id,
            kind: w.input.kind,
            description: &w.input.description,
        }
        .check(w.at)?;
        w.persist_cited(|a| columns.set_on(a)).await
    }
}
