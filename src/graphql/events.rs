//! Events such as market moves.

use async_graphql::{Context, Object};

use entity::enums::EventKind;
use entity::{citation, claim, company, event};
use sea_orm::Condition;

use super::claims::Claim;
use super::common::{DateValue, date_value};
use super::companies::Company;
use super::loaders::{Node, one, wrap, wrap_one};
use super::sources::{Citation, citations_of};
use super::{Result, db};
use crate::store;

/// Something that happened, such as Nvidia's record one-day drop in market value.
pub struct Event(pub Node<event::Model>);

impl From<Node<event::Model>> for Event {
    fn from(m: Node<event::Model>) -> Self {
        Event(m)
    }
}

/// Something that happened, such as Nvidia's record one-day drop in market value.
#[Object]
impl Event {
    /// Database id of the event.
    async fn id(&self) -> i32 {
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
    /// The source sentences that state this event.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, &self.0, citation::Column::EventId).await
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
        #[graphql(desc = "Database id of the event.")] id: i32,
    ) -> Result<Option<Event>> {
        Ok(wrap_one(store::by_id::<event::Entity>(db(ctx)?, id).await?))
    }
    /// All events, in id order.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<Event>> {
        Ok(wrap(
            store::list::<event::Entity>(db(ctx)?, Condition::all()).await?,
        ))
    }
}
