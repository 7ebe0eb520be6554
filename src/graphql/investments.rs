//! Investments: who put money into whom.

use async_graphql::{Context, Object};

use entity::{citation, company, investment};
use sea_orm::Condition;

use super::common::{DateValue, Money, date_value};
use super::companies::Company;
use super::loaders::{Node, one, wrap, wrap_one};
use super::sources::{Citation, citations_of};
use super::{Result, db};
use crate::store;

/// Money (or an amount the sources do not give) that one company put into another.
pub struct Investment(pub Node<investment::Model>);

impl From<Node<investment::Model>> for Investment {
    fn from(m: Node<investment::Model>) -> Self {
        Investment(m)
    }
}

/// Money (or an amount the sources do not give) that one company put into another.
#[Object]
impl Investment {
    /// Database id of the investment.
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// Stable external reference, e.g. "I1" in the built-in dataset.
    async fn r#ref(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
    /// The company that invested.
    async fn investor(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        Ok(
            one::<_, company::Entity, _>(ctx, &self.0, "investor_id", |m| Some(m.investor_id))
                .await?,
        )
    }
    /// The company invested in.
    async fn investee(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        Ok(
            one::<_, company::Entity, _>(ctx, &self.0, "investee_id", |m| Some(m.investee_id))
                .await?,
        )
    }
    /// How much was invested; null when the sources do not give an amount ("invested heavily").
    async fn amount(&self) -> Option<Money> {
        Money::from_parts(self.0.amount_minor, self.0.currency.as_deref())
    }
    /// When the investment was made, at the precision known.
    async fn made(&self) -> Option<DateValue> {
        date_value(self.0.made_on, self.0.made_precision)
    }
    /// A short description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The source sentences that state this investment.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, &self.0, citation::Column::InvestmentId).await
    }
}

/// Queries on investments.
#[derive(Default)]
pub struct InvestmentQuery;

/// Queries on investments.
#[Object]
impl InvestmentQuery {
    /// The investment with this id, or null.
    async fn investment(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Database id of the investment.")] id: i32,
    ) -> Result<Option<Investment>> {
        Ok(wrap_one(
            store::by_id::<investment::Entity>(db(ctx)?, id).await?,
        ))
    }
    /// The investment with this external reference, or null.
    async fn investment_by_ref(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The reference, e.g. \"I1\".")] r#ref: String,
    ) -> Result<Option<Investment>> {
        Ok(wrap_one(
            store::by_text::<investment::Entity>(db(ctx)?, investment::Column::Reference, &r#ref)
                .await?,
        ))
    }
    /// All investments, in id order.
    async fn investments(&self, ctx: &Context<'_>) -> Result<Vec<Investment>> {
        Ok(wrap(
            store::list::<investment::Entity>(db(ctx)?, Condition::all()).await?,
        ))
    }
}
