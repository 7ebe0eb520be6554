//! Writing events.

use async_graphql::{ID, InputObject};
use entity::enums::EventKind;
use entity::event;
use entity::value_provenance;
use sea_orm::DatabaseTransaction;

use super::provenance::ProvenanceInput;
use super::write::{
    CitationInput, Cited, DateInput, Noted, Writable, opt_reference, persist_noted, unique_ref,
};
use crate::dataset::Subject;
use crate::domain::At;
use crate::domain::rows::EventDraft;
use crate::error::Result;
use crate::graphql::claims::Claim;
use crate::graphql::companies::Company;
use crate::graphql::events::Event;

/// How an event input spells the fields the dataset format names differently.
const NAMES: &[(&str, &str)] = &[
    ("company", "companyId"),
    ("triggerClaim", "triggerClaimId"),
    ("occurred", "occurred.date"),
];

/// An event to create or replace.
#[derive(InputObject)]
pub struct EventInput {
    /// Unique reference (the natural key that imports match), at most 100 characters, e.g. "E1".
    pub r#ref: String,
    /// Name, at most 300 characters.
    pub name: String,
    /// What kind of event.
    pub kind: EventKind,
    /// When it happened.
    pub occurred: Option<DateInput>,
    /// The company it concerns (global id).
    pub company_id: Option<ID>,
    /// The claim that set it off (global id).
    pub trigger_claim_id: Option<ID>,
    /// A short description, at most 5,000 characters.
    pub description: Option<String>,
    /// The sentences of sources that state it: at least one.
    pub citations: Option<Vec<CitationInput>>,
    /// How the row's values are known (see `ProvenanceInput`): given, the list replaces
    /// the row's notes; left out, the notes are kept if they still hold.
    pub provenance: Option<Vec<ProvenanceInput>>,
}

crud!(
    EventMutation,
    Event,
    EventInput,
    create_event "Creates an event with at least one citation. Refused for an empty or too long name, an existing ref, unknown company or claim, or a date contradicting its precision.",
    create_events "Creates several events in one transaction: all of them or none.",
    update_event "Replaces every field of an event.",
    delete_event "Deletes an event with its citations."
);

impl Writable for Event {
    type Entity = event::Entity;
    type Input = EventInput;
    const BLOCKERS: &'static [(&'static str, &'static str, &'static str)] = &[];

    async fn save(
        txn: &DatabaseTransaction,
        existing: Option<event::Model>,
        input: EventInput,
        at: &str,
    ) -> Result<event::Model> {
        let id = existing.as_ref().map(|m| m.id);
        let at = At::spelled(at, NAMES);
        let company =
            opt_reference::<Company>(txn, input.company_id.as_ref(), &at.field("company")).await?;
        let trigger = opt_reference::<Claim>(
            txn,
            input.trigger_claim_id.as_ref(),
            &at.field("triggerClaim"),
        )
        .await?;
        let occurred = input.occurred.as_ref().map(DateInput::rec);
        let columns = EventDraft {
            reference: &input.r#ref,
            name: &input.name,
            kind: input.kind,
            occurred: occurred.as_ref(),
            company_id: company,
            trigger_claim_id: trigger,
            description: input.description.as_deref(),
        }
        .check(at)?;
        unique_ref::<event::Entity>(
            txn,
            columns.reference.as_deref(),
            id,
            at,
            "an event with the ref",
        )
        .await?;
        persist_noted::<event::ActiveModel>(
            txn,
            at.row(),
            existing,
            |a| columns.set_on(a),
            Cited::by(Subject::Event, input.citations.as_deref()),
            Noted::by(
                value_provenance::Column::EventId,
                input.provenance.as_deref(),
            ),
        )
        .await
    }
}
