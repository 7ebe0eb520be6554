//! Companies and the people who speak for them.

use async_graphql::{Context, Object};

use entity::enums::CompanyKind;
use entity::{
    ai_model, citation, claim, claim_challenge, company, event, investment, person, project,
    project_backer, spending_figure,
};
use sea_orm::{ColumnTrait, Condition};

use super::claims::{Claim, ClaimChallenge};
use super::events::Event;
use super::investments::Investment;
use super::loaders::{Node, many, one, wrap, wrap_one};
use super::models::AiModel;
use super::projects::{Project, ProjectBacker};
use super::sources::{Citation, citations_of};
use super::spending::SpendingFigure;
use super::{Result, db};
use crate::store;

/// A company: a big-tech firm, a startup, an investor, a chipmaker, or a division of another company.
pub struct Company(pub Node<company::Model>);

impl From<Node<company::Model>> for Company {
    fn from(m: Node<company::Model>) -> Self {
        Company(m)
    }
}

/// A company: a big-tech firm, a startup, an investor, a chipmaker, or a division of another company.
#[Object]
impl Company {
    /// Database id of the company.
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// The company's name, unique, e.g. "Meta Platforms".
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Stock ticker, unique, e.g. "AMZN"; null for companies that are not listed.
    async fn ticker(&self) -> Option<&str> {
        self.0.ticker.as_deref()
    }
    /// What kind of company it is.
    async fn kind(&self) -> CompanyKind {
        self.0.kind
    }
    /// ISO 3166 two-letter country code; null when the sources do not say.
    async fn country(&self) -> Option<&str> {
        self.0.country.as_deref()
    }
    /// City of the headquarters; null when the sources do not say.
    async fn headquarters(&self) -> Option<&str> {
        self.0.headquarters.as_deref()
    }
    /// A short description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The company this one is part of (Amazon for AWS, Alphabet for Google).
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        Ok(one::<_, company::Entity, _>(ctx, &self.0, "parent_id", |m| m.parent_id).await?)
    }
    /// Companies that are part of this one.
    async fn subsidiaries(&self, ctx: &Context<'_>) -> Result<Vec<Company>> {
        Ok(many::<_, company::Entity, _>(ctx, &self.0, company::Column::ParentId).await?)
    }
    /// The company whose former staff founded this one (OpenAI for Anthropic).
    async fn founded_by_alumni_of(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        Ok(
            one::<_, company::Entity, _>(ctx, &self.0, "founded_by_alumni_of_id", |m| {
                m.founded_by_alumni_of_id
            })
            .await?,
        )
    }
    /// Companies founded by former staff of this one.
    async fn founded_by_alumni(&self, ctx: &Context<'_>) -> Result<Vec<Company>> {
        Ok(
            many::<_, company::Entity, _>(ctx, &self.0, company::Column::FoundedByAlumniOfId)
                .await?,
        )
    }
    /// People who work for the company.
    async fn people(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        Ok(many::<_, person::Entity, _>(ctx, &self.0, person::Column::CompanyId).await?)
    }
    /// AI models, chips and products the company develops.
    async fn models(&self, ctx: &Context<'_>) -> Result<Vec<AiModel>> {
        Ok(many::<_, ai_model::Entity, _>(ctx, &self.0, ai_model::Column::DeveloperId).await?)
    }
    /// Investments this company made in others.
    async fn investments_made(&self, ctx: &Context<'_>) -> Result<Vec<Investment>> {
        Ok(many::<_, investment::Entity, _>(ctx, &self.0, investment::Column::InvestorId).await?)
    }
    /// Investments other companies made in this one.
    async fn investments_received(&self, ctx: &Context<'_>) -> Result<Vec<Investment>> {
        Ok(many::<_, investment::Entity, _>(ctx, &self.0, investment::Column::InvesteeId).await?)
    }
    /// Projects this company leads.
    async fn projects_led(&self, ctx: &Context<'_>) -> Result<Vec<Project>> {
        Ok(many::<_, project::Entity, _>(ctx, &self.0, project::Column::LeadCompanyId).await?)
    }
    /// This company's parts in projects (as lead or backer).
    async fn project_roles(&self, ctx: &Context<'_>) -> Result<Vec<ProjectBacker>> {
        Ok(
            many::<_, project_backer::Entity, _>(ctx, &self.0, project_backer::Column::CompanyId)
                .await?,
        )
    }
    /// Spending figures of this company.
    async fn spending_figures(&self, ctx: &Context<'_>) -> Result<Vec<SpendingFigure>> {
        Ok(
            many::<_, spending_figure::Entity, _>(ctx, &self.0, spending_figure::Column::CompanyId)
                .await?,
        )
    }
    /// Claims made by the company.
    async fn claims_made(&self, ctx: &Context<'_>) -> Result<Vec<Claim>> {
        Ok(many::<_, claim::Entity, _>(ctx, &self.0, claim::Column::ClaimantCompanyId).await?)
    }
    /// Claims about the company.
    async fn claims_about(&self, ctx: &Context<'_>) -> Result<Vec<Claim>> {
        Ok(many::<_, claim::Entity, _>(ctx, &self.0, claim::Column::SubjectCompanyId).await?)
    }
    /// Challenges this company raised against claims.
    async fn challenges_made(&self, ctx: &Context<'_>) -> Result<Vec<ClaimChallenge>> {
        Ok(many::<_, claim_challenge::Entity, _>(
            ctx,
            &self.0,
            claim_challenge::Column::ChallengerCompanyId,
        )
        .await?)
    }
    /// Events concerning the company.
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<Event>> {
        Ok(many::<_, event::Entity, _>(ctx, &self.0, event::Column::CompanyId).await?)
    }
    /// The source sentences that state facts about this company.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, &self.0, citation::Column::CompanyId).await
    }
}

/// A person named in a source, such as a company's CEO.
pub struct Person(pub Node<person::Model>);

impl From<Node<person::Model>> for Person {
    fn from(m: Node<person::Model>) -> Self {
        Person(m)
    }
}

/// A person named in a source, such as a company's CEO.
#[Object]
impl Person {
    /// Database id of the person.
    async fn id(&self) -> i32 {
        self.0.id
    }
    /// Full name, unique.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Job title, e.g. "CEO".
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    /// A short description.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// The company the person works for.
    async fn company(&self, ctx: &Context<'_>) -> Result<Option<Company>> {
        Ok(one::<_, company::Entity, _>(ctx, &self.0, "company_id", |m| m.company_id).await?)
    }
    /// Claims the person made.
    async fn claims(&self, ctx: &Context<'_>) -> Result<Vec<Claim>> {
        Ok(many::<_, claim::Entity, _>(ctx, &self.0, claim::Column::ClaimantPersonId).await?)
    }
    /// Challenges the person raised against claims.
    async fn challenges(&self, ctx: &Context<'_>) -> Result<Vec<ClaimChallenge>> {
        Ok(many::<_, claim_challenge::Entity, _>(
            ctx,
            &self.0,
            claim_challenge::Column::ChallengerPersonId,
        )
        .await?)
    }
    /// The source sentences that state facts about this person.
    async fn citations(&self, ctx: &Context<'_>) -> Result<Vec<Citation>> {
        citations_of(ctx, &self.0, citation::Column::PersonId).await
    }
}

/// Queries on companies and people.
#[derive(Default)]
pub struct CompanyQuery;

/// Queries on companies and people.
#[Object]
impl CompanyQuery {
    /// The company with this id, or null.
    async fn company(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Database id of the company.")] id: i32,
    ) -> Result<Option<Company>> {
        Ok(wrap_one(
            store::by_id::<company::Entity>(db(ctx)?, id).await?,
        ))
    }
    /// The company with exactly this name (case-sensitive), or null.
    async fn company_by_name(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The company's name, e.g. \"Amazon\".")] name: String,
    ) -> Result<Option<Company>> {
        Ok(wrap_one(
            store::by_text::<company::Entity>(db(ctx)?, company::Column::Name, &name).await?,
        ))
    }
    /// The company with this stock ticker, or null.
    async fn company_by_ticker(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The ticker, e.g. \"MSFT\".")] ticker: String,
    ) -> Result<Option<Company>> {
        Ok(wrap_one(
            store::by_text::<company::Entity>(db(ctx)?, company::Column::Ticker, &ticker).await?,
        ))
    }
    /// All companies in id order, or only those of one kind.
    async fn companies(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only companies of this kind.")] kind: Option<CompanyKind>,
    ) -> Result<Vec<Company>> {
        let mut condition = Condition::all();
        if let Some(kind) = kind {
            condition = condition.add(company::Column::Kind.eq(kind));
        }
        Ok(wrap(
            store::list::<company::Entity>(db(ctx)?, condition).await?,
        ))
    }
    /// The person with this id, or null.
    async fn person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Database id of the person.")] id: i32,
    ) -> Result<Option<Person>> {
        Ok(wrap_one(
            store::by_id::<person::Entity>(db(ctx)?, id).await?,
        ))
    }
    /// All people, in id order.
    async fn people(&self, ctx: &Context<'_>) -> Result<Vec<Person>> {
        Ok(wrap(
            store::list::<person::Entity>(db(ctx)?, Condition::all()).await?,
        ))
    }
}
