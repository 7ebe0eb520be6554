//! Companies and the people who speak for them.

use async_graphql::{Context, Object};

use entity::enums::CompanyKind;
use entity::{
    ai_model, alias, citation, claim, claim_challenge, company, event, investment, person, project,
    project_backer, spending_figure,
};

use super::aliases::{Alias, aliases_of};
use super::claims::{Claim, ClaimChallenge};
use super::connections::with_connections;
use super::entity_filters::*;
use super::events::Event;
use super::fields::*;
use super::investments::Investment;
use super::lists::{gql_node, order_fields};
use super::loaders::wrap_one;
use super::models::AiModel;
use super::projects::{Project, ProjectBacker};
use super::sources::Citation;
use super::spending::SpendingFigure;
use super::{Result, db};

gql_node! {
    /// A company: a big-tech firm, a startup, an investor, a chipmaker, or a division of another company.
    Company for company
}

with_connections! {
    /// A company: a big-tech firm, a startup, an investor, a chipmaker, or a division of another company.
    #[Object(serial)]
    impl Company {}

    fields |row, ctx| {
        /// The company's name, unique, e.g. "Meta Platforms".
        name: &str = &row.name,
        /// Stock ticker, unique, e.g. "AMZN"; null for companies that are not listed.
        ticker: Option<&str> = row.ticker.as_deref(),
        /// What kind of company it is.
        kind: CompanyKind = row.kind,
        /// ISO 3166 two-letter country code; null when the sources do not say.
        country: Option<&str> = row.country.as_deref(),
        /// City of the headquarters; null when the sources do not say.
        headquarters: Option<&str> = row.headquarters.as_deref(),
        /// A short description.
        description: Option<&str> = row.description.as_deref(),
        /// Other names of the company in the sources ("Meta" for Meta Platforms), each with
        /// the sentence that uses it.
        aliases: Result<Vec<Alias>> = aliases_of(ctx, row, alias::Column::CompanyId).await,
    }

    ids of "the company";

    to_one {
        /// The company this one is part of (Amazon for AWS, Alphabet for Google).
        parent: Company = one(company, parent_id),
        /// The company whose former staff founded this one (OpenAI for Anthropic).
        founded_by_alumni_of: Company = one(company, founded_by_alumni_of_id),
    }

    connections {
        /// Companies that are part of this one.
        subsidiaries: Company(company, CompanyFilter, CompanyOrderField) by company::Column::ParentId,
        /// Companies founded by former staff of this one.
        founded_by_alumni: Company(company, CompanyFilter, CompanyOrderField) by company::Column::FoundedByAlumniOfId,
        /// People who work for the company.
        people: Person(person, PersonFilter, PersonOrderField) by person::Column::CompanyId,
        /// AI models, chips and products the company develops.
        models: AiModel(ai_model, AiModelFilter, AiModelOrderField) by ai_model::Column::DeveloperId,
        /// Investments this company made in others.
        investments_made: Investment(investment, InvestmentFilter, InvestmentOrderField) by investment::Column::InvestorId,
        /// Investments other companies made in this one.
        investments_received: Investment(investment, InvestmentFilter, InvestmentOrderField) by investment::Column::InvesteeId,
        /// Projects this company leads.
        projects_led: Project(project, ProjectFilter, ProjectOrderField) by project::Column::LeadCompanyId,
        /// This company's parts in projects (as lead or backer).
        project_roles: ProjectBacker(project_backer, ProjectBackerFilter, ProjectBackerOrderField) by project_backer::Column::CompanyId,
        /// Spending figures of this company.
        spending_figures: SpendingFigure(spending_figure, SpendingFigureFilter, SpendingFigureOrderField) by spending_figure::Column::CompanyId,
        /// Claims made by the company.
        claims_made: Claim(claim, ClaimFilter, ClaimOrderField) by claim::Column::ClaimantCompanyId,
        /// Claims about the company.
        claims_about: Claim(claim, ClaimFilter, ClaimOrderField) by claim::Column::SubjectCompanyId,
        /// Challenges this company raised against claims.
        challenges_made: ClaimChallenge(claim_challenge, ClaimChallengeFilter, ClaimChallengeOrderField) by claim_challenge::Column::ChallengerCompanyId,
        /// Events concerning the company.
        events: Event(event, EventFilter, EventOrderField) by event::Column::CompanyId,
        /// The source sentences that state facts about this company.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::CompanyId,
    }
}

gql_node! {
    /// A person named in a source, such as a company's CEO.
    Person for person
}

with_connections! {
    /// A person named in a source, such as a company's CEO.
    #[Object]
    impl Person {}

    fields |row, ctx| {
        /// Full name, unique.
        name: &str = &row.name,
        /// Job title, e.g. "CEO".
        title: Option<&str> = row.title.as_deref(),
        /// A short description.
        description: Option<&str> = row.description.as_deref(),
        /// Other names of the person in the sources ("Jassy" for Andy Jassy), each with the
        /// sentence that uses it.
        aliases: Result<Vec<Alias>> = aliases_of(ctx, row, alias::Column::PersonId).await,
    }

    ids of "the person";

    to_one {
        /// The company the person works for.
        company: Company = one(company, company_id),
    }

    connections {
        /// Claims the person made.
        claims: Claim(claim, ClaimFilter, ClaimOrderField) by claim::Column::ClaimantPersonId,
        /// Challenges the person raised against claims.
        challenges: ClaimChallenge(claim_challenge, ClaimChallengeFilter, ClaimChallengeOrderField) by claim_challenge::Column::ChallengerPersonId,
        /// Spending figures the person stated, in id order.
        figures_stated: SpendingFigure(spending_figure, SpendingFigureFilter, SpendingFigureOrderField) by spending_figure::Column::StatedByPersonId,
        /// The source sentences that state facts about this person.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::PersonId,
    }
}

/// Queries on companies and people.
#[derive(Default)]
pub struct CompanyQuery;

with_connections! {
    /// Queries on companies and people.
    #[Object]
    impl CompanyQuery {
        /// The company a reader means by this name, or null. Matches the exact name first,
        /// then ignoring case the name, the ticker, and the aliases ("meta" finds Meta
        /// Platforms, "amzn" Amazon, "AWS" Amazon Web Services). Surrounding spaces are
        /// ignored; of several matches the first created wins.
        async fn company_by_name(
            &self,
            ctx: &Context<'_>,
            #[graphql(desc = "The company's name, ticker or alias, e.g. \"Amazon\" or \"Meta\".")]
            name: String,
        ) -> Result<Option<Company>> {
            Ok(wrap_one(
                super::aliases::company_forgiving(db(ctx)?, &name).await?,
            ))
        }
    }

    by_id {
        /// The company with this id, or null.
        company: Company(company) "Global id of the company.",
        /// The person with this id, or null.
        person: Person(person) "Global id of the person.",
    }

    by_text {
        /// The company with this stock ticker, or null.
        company_by_ticker: Company(company, Ticker) ticker "The ticker, e.g. \"MSFT\".",
    }

    connections {
        /// All companies in id order, or only those of one kind.
        companies: Company(company, CompanyFilter, CompanyOrderField) where {
            kind: CompanyKind = company::Column::Kind => "Only companies of this kind.",
        },
        /// All people, in id order.
        people: Person(person, PersonFilter, PersonOrderField),
    }
}

order_fields! {
    /// Fields companies can be ordered by.
    CompanyOrderField for company {
        /// The company's name.
        Name => column_term::<E>(C::Name, Text, false),
        /// The stock ticker (null for unlisted companies).
        Ticker => column_term::<E>(C::Ticker, Text, true),
        /// The kind of company.
        Kind => column_term::<E>(C::Kind, Text, false),
        /// The country code.
        Country => column_term::<E>(C::Country, Text, true),
        /// The city of the headquarters.
        Headquarters => column_term::<E>(C::Headquarters, Text, true),
    }
}

order_fields! {
    /// Fields people can be ordered by.
    PersonOrderField for person {
        /// The person's name.
        Name => column_term::<E>(C::Name, Text, false),
        /// The job title.
        Title => column_term::<E>(C::Title, Text, true),
        /// The name of the person's company.
        CompanyName => company_name_term::<E>("company_name", C::CompanyId),
    }
}

super::aggregates::aggregates! {
    /// Aggregates over companies.
    CompanyAggregate for Company (CompanyOrderField, currency: None) {
    }
}
super::aggregates::aggregates! {
    /// Aggregates over people.
    PersonAggregate for Person (PersonOrderField, currency: None) {
    }
}
