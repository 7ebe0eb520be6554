//! Events such as market moves.

use async_graphql::{Context, ID, Object};

use entity::enums::EventKind;
use entity::{citation, claim, company, event};
use sea_orm::Condition;

use super::claims::Claim;
use super::common::{DateValue, date_value};
use super::companies::Company;
use super::connections::with_connections;
use super::entity_filters::*;
use super::fields::*;
use super::filters::filter_condition;
use super::lists::{Connection, OrderBy, gql_node, order_fields, page_args, sort_keys, top};
use super::loaders::{Node, one, wrap_one};
use super::node::{database_id, global_id};
use super::sources::Citation;
use super::{Result, db};
use crate::store;

/// Something that happened, such as Nvidia's record one-day drop in market value.
#[derive(Clone)]
pub struct Event(pub Node<event::Model>);

impl From<Node<event::Model>> for Event {
    fn from(m: Node<event::Model>) -> Self {
        Event(m)
    }
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
        /// A longer description.
        async fn description(&self) -> Option<&str> {
            self.0.description.as_deref()
        }
        /// The company the event concerns.
        async fn company(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
            Ok(one::<_, company::Entity, _>(ctx, &self.0, "company_id", |m| m.company_id).await?)
        }
        /// The claim that set the event off, if any (DeepSeek's cost claim for Nvidia's drop).
        async fn trigger_claim(&self, ctx: &Context<'_>) -> Result<Option<Claim>> {
            Ok(
                one::<_, claim::Entity, _>(ctx, &self.0, "trigger_claim_id", |m| m.trigger_claim_id)
                    .await?,
            )
        }
    }

    connections {
        /// The source sentences that state this event.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::EventId,
    }
}

/// Queries on events.
#[derive(Default)]
pub struct EventQuery;

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
    /// All events, in id order.
    #[allow(clippy::too_many_arguments)]
    async fn events(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first N rows (at most 100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the rows after this cursor (use with `first`).")] after: Option<
            String,
        >,
        #[graphql(desc = "Returns the last N rows (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Returns the rows before this cursor (use with `last`).")] before: Option<
            String,
        >,
        #[graphql(
            desc = "Order terms, applied in the order given; the id breaks any remaining tie.",
            default
        )]
        order_by: Vec<OrderBy<EventOrderField>>,
        #[graphql(desc = "Only rows matching this filter.")] filter: Option<Box<EventFilter>>,
    ) -> Result<Connection<Event>> {
        let keys = sort_keys::<event::Entity, _>(&order_by);
        let args = page_args(first, after, last, before);
        Ok(Connection(
            top::<event::Entity>(
                ctx,
                Condition::all().add(filter_condition(db(ctx)?.get_database_backend(), &filter)?),
                keys,
                &args,
            )
            .await?,
        ))
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

gql_node!(Event, event);

super::aggregates::aggregates! {
    /// Aggregates over events.
    EventAggregate for Event (EventOrderField, currency: None) {
        /// When the events occurred: count, earliest and latest.
        occurred_on: DateStats("occurred_on", precision = "occurred_precision"),
    }
}
