//! Events such as market moves.

use async_graphql::{Context, ID, Object};

use entity::enums::EventKind;
use entity::{citation, event};

use super::claims::Claim;
use super::common::{DateValue, date_value};
use super::companies::Company;
use super::connections::with_connections;
use super::entity_filters::*;
use super::fields::*;
use super::lists::{gql_node, order_fields};
use super::loaders::wrap_one;
use super::node::{database_id, global_id};
use super::provenance::{Provenance, provenance_of};
use super::sources::Citation;
use super::{Result, db};
use crate::store;

gql_node! {
    /// Something that happened, such as Nvidia's record one-day drop in market value.
    Event for event
}

with_connections! {
    /// Something that happened, such as Nvidia's record one-day drop in market value.
    #[Object]
    impl Event {
        /// Globally unique, opaque id (Relay): the same on every engine; pass it to `node(id:)`.
        pub async fn id(&self) -> ID {
            global_id::<Self>(self.0.id)
        }
        /// Database id of the event.
        async fn database_id(&self) -> i32 {
            self.0.id
        }
        /// Stable external reference, e.g. "E1" in the built-in dataset.
        async fn r#ref(&self) -> Option<&str> {
            self.0.reference.as_deref()
        }
        /// What happened, in a few words.
        async fn name(&self) -> &str {
            &self.0.name
        }
        /// The kind of event.
        async fn kind(&self) -> EventKind {
            self.0.kind
        }
        /// When it happened, at the precision known.
        async fn occurred(&self) -> Option<DateValue> {
            date_value(self.0.occurred_on, self.0.occurred_precision)
        }
        /// How each structured value of the event is known (stated with the source's words,
        /// derived or inferred), in field order; a value with no note is STATED by the
        /// event's citations.
        async fn provenance(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "Only the values of these fields (e.g. [\"stated\"]); every value by default.")]
            fields: Option<Vec<String>>,
        ) -> Result<Vec<Provenance>> {
            let column = entity::value_provenance::Column::EventId;
            provenance_of(ctx, &self.0, column, Some(citation::Column::EventId), fields).await
        }
        /// A longer description.
        async fn description(&self) -> Option<&str> {
            self.0.description.as_deref()
        }
    }

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
    impl EventQuery {
        /// The event with this id, or null.
        async fn event(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "Global id of the event.")] id: ID,
        ) -> Result<Option<Event>> {
            Ok(wrap_one(
                store::by_id::<event::Entity>(db(ctx)?, database_id::<Event>(&id, "id")?).await?,
            ))
        }
    }

    roots {
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
