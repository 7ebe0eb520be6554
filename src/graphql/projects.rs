//! Projects such as Stargate and the companies behind them.

use async_graphql::{Context, Object};

use entity::enums::BackerRole;
use entity::{citation, company, project, project_backer, spending_figure};
use sea_orm::Condition;

use super::common::{DateValue, Money, date_value};
use super::companies::Company;
use super::loaders::{Node, many, one, wrap, wrap_one};
use super::sources::{Citation, citations_of};
use super::spending::SpendingFigure;
use super::{Result, db};
use crate::store;

/// A project such as Stargate: who leads it, who backs it, how much is planned over how long.
pub struct Project(pub Node<project::Model>);

impl From<Node<project::Model>> for Project {
    fn from(m: Node<project::Model>) -> Self {
        Project(m)
    }
}

/// A project such as Stargate: who leads it, who backs it, how much is planned over how long.
#[Object]
impl Project {
    /// Database id of the project.
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// Name, unique, e.g. "Stargate".
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// A short description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The company that leads the project.
    async fn lead(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        Ok(
            one::<_, company::Entity, _>(ctx, &self.0, "lead_company_id", |m| m.lead_company_id)
                .await?,
        )
    }
    /// The planned total amount; null when not stated.
    async fn planned_amount(&self) -> Option<Money> {
        Money::from_parts(self.0.planned_amount_minor, self.0.currency.as_deref())
    }
    /// Over how many years the amount is to be spent; null when not stated.
    async fn horizon_years(&self) -> Option<i32> {
        self.0.horizon_years
    }
    /// When the project was announced, at the precision known.
    async fn announced(&self) -> Option<DateValue> {
        date_value(self.0.announced_on, self.0.announced_precision)
    }
    /// True when the sources say there are backers they do not name ("among others").
    async fn has_unnamed_backers(&self) -> bool {
        self.0.has_unnamed_backers
    }
    /// The named companies behind the project, with their role, lead first.
    async fn backers(&self, ctx: &Context<'_>) -> Result<Vec<ProjectBacker>> {
        let mut backers: Vec<ProjectBacker> =
            many::<_, project_backer::Entity, _>(ctx, &self.0, project_backer::Column::ProjectId)
                .await?;
        backers.sort_by_key(|b| (b.0.role != BackerRole::Lead, b.0.id));
        Ok(backers)
    }
    /// Spending figures of the project.
    async fn spending_figures(&self, ctx: &Context<'_>) -> Result<Vec<SpendingFigure>> {
        Ok(
            many::<_, spending_figure::Entity, _>(ctx, &self.0, spending_figure::Column::ProjectId)
                .await?,
        )
    }
    /// The source sentences that state facts about this project.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, &self.0, citation::Column::ProjectId).await
    }
}

/// A company's part in a project.
pub struct ProjectBacker(pub Node<project_backer::Model>);

impl From<Node<project_backer::Model>> for ProjectBacker {
    fn from(m: Node<project_backer::Model>) -> Self {
        ProjectBacker(m)
    }
}

/// A company's part in a project.
#[Object]
impl ProjectBacker {
    /// Database id of this role.
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// Whether the company leads or backs the project.
    async fn role(&self) -> BackerRole {
        self.0.role
    }
    /// The project.
    async fn project(&self, ctx: &Context<'_>) -> Result<Option<Project>> {
        Ok(
            one::<_, project::Entity, _>(ctx, &self.0, "project_id", |m| Some(m.project_id))
                .await?,
        )
    }
    /// The company.
    async fn company(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        Ok(
            one::<_, company::Entity, _>(ctx, &self.0, "company_id", |m| Some(m.company_id))
                .await?,
        )
    }
    /// The source sentences that state this role.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, &self.0, citation::Column::ProjectBackerId).await
    }
}

/// Queries on projects.
#[derive(Default)]
pub struct ProjectQuery;

/// Queries on projects.
#[Object]
impl ProjectQuery {
    /// The project with this id, or null.
    async fn project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Database id of the project.")] id: i32,
    ) -> Result<Option<Project>> {
        Ok(wrap_one(
            store::by_id::<project::Entity>(db(ctx)?, id).await?,
        ))
    }
    /// The project with exactly this name (case-sensitive), or null.
    async fn project_by_name(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The project's name, e.g. \"Stargate\".")] name: String,
    ) -> Result<Option<Project>> {
        Ok(wrap_one(
            store::by_text::<project::Entity>(db(ctx)?, project::Column::Name, &name).await?,
        ))
    }
    /// All projects, in id order.
    async fn projects(&self, ctx: &Context<'_>) -> Result<Vec<Project>> {
        Ok(wrap(
            store::list::<project::Entity>(db(ctx)?, Condition::all()).await?,
        ))
    }
}
