//! Writing events.

use entity::enums::EventKind;
use entity::event;

use super::write::{DateInput, Save, Saving};
use crate::dataset::Subject;
use crate::domain::rows::EventDraft;
use crate::error::Result;
use crate::graphql::claims::Claim;
use crate::graphql::companies::Company;
use crate::graphql::events::Event;

input! {
    /// An event to create or replace.
    EventInput resolving EventRefs {
        /// Unique reference (the natural key that imports match), at most 100 characters, e.g. "E1".
        r#ref: String,
        /// Name, at most 300 characters.
        name: String,
        /// What kind of event.
        kind: EventKind,
        /// When it happened.
        occurred: Option<DateInput>,
        /// The company it concerns (global id).
        company_id: Option<ID> => Company as "company",
        /// The claim that set it off (global id).
        trigger_claim_id: Option<ID> => Claim as "triggerClaim",
        /// A short description, at most 5,000 characters.
        description: Option<String>,
        citations of a fact,
        provenance notes,
    }
}

crud!(
    EventMutation: Event from EventInput, cited as Subject::Event;
    create_event "Creates an event with at least one citation. Refused for an empty or too long name, an existing ref, unknown company or claim, or a date contradicting its precision.",
    create_events "Creates several events in one transaction: all of them or none.",
    update_event "Replaces every field of an event.",
    delete_event "Deletes an event with its citations."
);

impl Save for Event {
    async fn save(w: Saving<'_, Self>) -> Result<event::Model> {
        let input = &w.input;
        let occurred = input.occurred.as_ref().map(DateInput::rec);
        let columns = EventDraft {
            reference: &input.r#ref,
            name: &input.name,
            kind: input.kind,
            occurred: occurred.as_ref(),
            company_id: w.refs.company_id,
            trigger_claim_id: w.refs.trigger_claim_id,
            description: input.description.as_deref(),
        }
        .check(w.at)?;
        w.unique_ref(columns.reference.as_deref(), "an event with the ref")
            .await?;
        w.persist_noted(|a| columns.set_on(a)).await
    }
}
