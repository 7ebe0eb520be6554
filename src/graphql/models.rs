//! AI models, chips, agents and products.

use async_graphql::{Context, Object};

use entity::enums::ModelKind;
use entity::{ai_model, citation, claim, company, spending_figure};
use sea_orm::{ColumnTrait, Condition};

use super::claims::Claim;
use super::common::{DateValue, date_value};
use super::companies::Company;
use super::loaders::{Node, many, one, wrap, wrap_one};
use super::sources::{Citation, citations_of};
use super::spending::SpendingFigure;
use super::{Result, db};
use crate::store;

/// An AI model, chip, agent or product, and the company that develops it.
pub struct AiModel(pub Node<ai_model::Model>);

impl From<Node<ai_model::Model>> for AiModel {
    fn from(m: Node<ai_model::Model>) -> Self {
        AiModel(m)
    }
}

/// An AI model, chip, agent or product, and the company that develops it.
#[Object]
impl AiModel {
    /// Database id of the model.
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// Name, unique per developer, e.g. "Llama 4".
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What it is: a model, a chip, an agent or another product.
    async fn kind(&self) -> ModelKind {
        self.0.kind
    }
    /// A short description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// When it was announced or unveiled, at the precision known.
    async fn announced(&self) -> Option<DateValue> {
        date_value(self.0.announced_on, self.0.announced_precision)
    }
    /// When it is expected to be released or available, at the precision known.
    async fn expected(&self) -> Option<DateValue> {
        date_value(self.0.expected_on, self.0.expected_precision)
    }
    /// The company that develops it.
    async fn developer(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        Ok(
            one::<_, company::Entity, _>(ctx, &self.0, "developer_id", |m| Some(m.developer_id))
                .await?,
        )
    }
    /// Claims about this model.
    async fn claims(&self, ctx: &Context<'_>) -> Result<Vec<Claim>> {
        Ok(many::<_, claim::Entity, _>(ctx, &self.0, claim::Column::SubjectModelId).await?)
    }
    /// Spending figures about this model, such as its training cost.
    async fn spending_figures(&self, ctx: &Context<'_>) -> Result<Vec<SpendingFigure>> {
        Ok(
            many::<_, spending_figure::Entity, _>(ctx, &self.0, spending_figure::Column::AiModelId)
                .await?,
        )
    }
    /// The source sentences that state facts about this model.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, &self.0, citation::Column::AiModelId).await
    }
}

/// Queries on AI models and products.
#[derive(Default)]
pub struct ModelQuery;

/// Queries on AI models and products.
#[Object]
impl ModelQuery {
    /// The AI model with this id, or null.
    async fn ai_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Database id of the model.")] id: i32,
    ) -> Result<Option<AiModel>> {
        Ok(wrap_one(
            store::by_id::<ai_model::Entity>(db(ctx)?, id).await?,
        ))
    }
    /// All AI models in id order, or only those of one kind.
    async fn ai_models(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only models of this kind.")] kind: Option<ModelKind>,
    ) -> Result<Vec<AiModel>> {
        let mut condition = Condition::all();
        if let Some(kind) = kind {
            condition = condition.add(ai_model::Column::Kind.eq(kind));
        }
        Ok(wrap(
            store::list::<ai_model::Entity>(db(ctx)?, condition).await?,
        ))
    }
}
