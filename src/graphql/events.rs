//! Events such as market moves.

use async_graphql::Object;

use entity::citation;
use entity::enums::EventKind;

use super::claims::Claim;
use super::common::{DateValue, date_value};
use super::companies::Company;
use super::connections::with_connections;
use super::entity_filters::*;
use super::fields::*;
use super::lists::{gql_node, order_fields};
use super::sources::Citation;

gql_node! {
    /// Something that happened, such as Nvidia's record one-day drop in market value.
    Event for event
}

with_connections! {
    /// Something that happened, such as Nvidia's record one-day drop in market value.
    #[Object]
    impl Event {}

    fields |row, ctx| {
        /// Stable external reference, e.g. "E1" in the built-in dataset.
        r#ref: Option<&str> = row.reference.as_deref(),
        /// What happened, in a few words.
        name: &str = &row.name,
        /// The kind of event.
        kind: EventKind = row.kind,
        /// When it happened, at the precision known.
        occurred: Option<DateValue> = date_value(row.occurred_on, row.occurred_precision),
        /// A longer description.
        description: Option<&str> = row.description.as_deref(),
    }

    ids of "the event";
    provenance of "event": EventId, cited by Some(citation::Column::EventId);

    to_one {
        /// The company the event concerns.
        company: Company = one(company, company_id),
        /// The claim that set the event off, if any (DeepSeek's cost claim for Nvidia's drop).
        trigger_claim: Claim = one(claim, trigger_claim_id),
    }

    connections {
        /// The source sentences that state this event.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::EventId,
    }
}

/// Queries on events.
#[derive(Default)]
pub struct EventQuery;

with_connections! {
    /// Queries on events.
    #[Object]
    impl EventQuery {}

    by_id {
        /// The event with this id, or null.
        event: Event(event) "Global id of the event.",
    }

    connections {
        /// All events, in id order.
        events: Event(event, EventFilter, EventOrderField),
    }
}

order_fields! {
    /// Fields events can be ordered by.
    EventOrderField for event {
        /// The external reference.
        Ref => column_term::<E>(C::Reference, Text, true),
        /// The event's name.
        Name => column_term::<E>(C::Name, Text, false),
        /// The kind of event.
        Kind => column_term::<E>(C::Kind, Text, false),
        /// When it happened.
        OccurredOn => column_term::<E>(C::OccurredOn, Date, true),
        /// The company's name.
        CompanyName => company_name_term::<E>("company_name", C::CompanyId),
    }
}

super::aggregates::aggregates! {
    /// Aggregates over events.
    EventAggregate for Event (EventOrderField, currency: None) {
        /// When the events occurred: count, earliest and latest.
        occurred_on: DateStats("occurred_on", precision = "occurred_precision"),
    }
}
