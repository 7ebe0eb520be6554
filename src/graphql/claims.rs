//! Claims, who made them, and who challenges them.

use async_graphql::Object;

use entity::enums::{ChallengeKind, ClaimKind, ClaimStatus};
use entity::{citation, claim, claim_challenge, event};

use super::common::{DateValue, Money, date_value};
use super::companies::{Company, Person};
use super::connections::with_connections;
use super::entity_filters::*;
use super::events::Event;
use super::fields::*;
use super::lists::{gql_node, order_fields};
use super::models::AiModel;
use super::sources::Citation;
use super::spending::SpendingFigure;

gql_node! {
    /// A claim someone made: a cost, a forecast, an opinion or guidance.
    Claim for claim
}

with_connections! {
    /// A claim someone made: a cost, a forecast, an opinion or guidance.
    #[Object]
    impl Claim {}

    fields |row, ctx| {
        /// Stable external reference, e.g. "C1" in the built-in dataset.
        r#ref: Option<&str> = row.reference.as_deref(),
        /// What is claimed, in one sentence.
        statement: &str = &row.statement,
        /// The kind of claim.
        kind: ClaimKind = row.kind,
        /// Where the claim stands: asserted, disputed, verified or refuted.
        status: ClaimStatus = row.status,
        /// The amount stated in the claim, if any.
        amount: Option<Money> = Money::from_parts(row.amount_minor, row.currency.as_deref()),
        /// When the claim was made, at the precision known.
        made: Option<DateValue> = date_value(row.made_on, row.made_precision),
    }

    ids of "the claim";
    provenance of "claim": ClaimId, cited by Some(citation::Column::ClaimId);

    to_one {
        /// The person who made the claim, if known.
        claimant_person: Person = one(person, claimant_person_id),
        /// The company that made the claim (or that its claimant speaks for).
        claimant_company: Company = one(company, claimant_company_id),
        /// The company the claim is about.
        subject_company: Company = one(company, subject_company_id),
        /// The AI model or product the claim is about.
        subject_model: AiModel = one(ai_model, subject_model_id),
        /// The spending figure the claim states or qualifies.
        spending_figure: SpendingFigure = one(spending_figure, spending_figure_id),
    }

    connections {
        /// Challenges to the claim, in id order.
        challenges: ClaimChallenge(claim_challenge, ClaimChallengeFilter, ClaimChallengeOrderField) by claim_challenge::Column::ClaimId,
        /// Events the claim set off.
        triggered_events: Event(event, EventFilter, EventOrderField) by event::Column::TriggerClaimId,
        /// The source sentences that state the claim.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::ClaimId,
    }
}

gql_node! {
    /// A challenge to a claim: who doubts or probes it, and how.
    ClaimChallenge for claim_challenge
}

with_connections! {
    /// A challenge to a claim: who doubts or probes it, and how.
    #[Object]
    impl ClaimChallenge {}

    fields |row, ctx| {
        /// How the claim is challenged.
        kind: ChallengeKind = row.kind,
        /// What the challenger does or says.
        description: &str = &row.description,
    }

    ids of "the challenge";

    to_one {
        /// The claim challenged.
        claim: Claim = required(claim, claim_id),
        /// The company that challenges it; null when the sources do not name one ("some tech leaders").
        challenger_company: Company = one(company, challenger_company_id),
        /// The person who challenges it, if named.
        challenger_person: Person = one(person, challenger_person_id),
    }

    connections {
        /// The source sentences that state the challenge.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::ClaimChallengeId,
    }
}

/// Queries on claims.
#[derive(Default)]
pub struct ClaimQuery;

with_connections! {
    /// Queries on claims.
    #[Object]
    impl ClaimQuery {}

    by_id {
        /// The claim with this id, or null.
        claim: Claim(claim) "Global id of the claim.",
    }

    by_text {
        /// The claim with this external reference, or null.
        claim_by_ref: Claim(claim, Reference) r#ref "The reference, e.g. \"C1\".",
    }

    connections {
        /// Claims in id order, optionally only those with a status and of a kind.
        claims: Claim(claim, ClaimFilter, ClaimOrderField) where {
            status: ClaimStatus = claim::Column::Status => "Only claims with this status, e.g. DISPUTED.",
            kind: ClaimKind = claim::Column::Kind => "Only claims of this kind.",
        },
        /// Challenges to claims (disputes, investigations, doubts), in id order, optionally only those of a kind.
        challenges: ClaimChallenge(claim_challenge, ClaimChallengeFilter, ClaimChallengeOrderField) where {
            kind: ChallengeKind = claim_challenge::Column::Kind => "Only challenges of this kind.",
        },
}
}

order_fields! {
    /// Fields claims can be ordered by.
    ClaimOrderField for claim {
        /// The external reference.
        Ref => column_term::<E>(C::Reference, Text, true),
        /// The status.
        Status => column_term::<E>(C::Status, Text, false),
        /// The kind of claim.
        Kind => column_term::<E>(C::Kind, Text, false),
        /// When the claim was made.
        MadeOn => column_term::<E>(C::MadeOn, Date, true),
        /// The stated amount in minor units.
        Amount => column_term::<E>(C::AmountMinor, Int, true),
        /// The claimant company's name.
        ClaimantCompanyName => company_name_term::<E>("claimant_company_name", C::ClaimantCompanyId),
    }
}

order_fields! {
    /// Fields challenges can be ordered by.
    ClaimChallengeOrderField for claim_challenge {
        /// The kind of challenge.
        Kind => column_term::<E>(C::Kind, Text, false),
        /// The challenger company's name.
        ChallengerCompanyName => company_name_term::<E>("challenger_company_name", C::ChallengerCompanyId),
    }
}

super::aggregates::aggregates! {
    /// Aggregates over claims.
    ClaimAggregate for Claim (ClaimOrderField, currency: Some("currency")) {
        /// The amounts claimed, per currency.
        amount: MoneyAggregate("amount_minor"),
        /// When the claims were made: count, earliest and latest.
        made_on: DateStats("made_on", precision = "made_precision"),
    }
}
super::aggregates::aggregates! {
    /// Aggregates over challenges to claims.
    ClaimChallengeAggregate for ClaimChallenge (ClaimChallengeOrderField, currency: None) {
    }
}
