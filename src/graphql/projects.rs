//! Projects such as Stargate and the companies behind them.

use async_graphql::Object;

use entity::enums::BackerRole;
use entity::{alias, citation, project_backer, spending_figure};

use super::Result;
use super::aliases::{Alias, aliases_of};
use super::common::{DateValue, Money, date_value};
use super::companies::Company;
use super::connections::with_connections;
use super::entity_filters::*;
use super::fields::*;
use super::lists::{gql_node, order_fields};
use super::sources::Citation;
use super::spending::{AnnualAverage, SpendingFigure};

gql_node! {
    /// A project such as Stargate: who leads it, who backs it, how much is planned over how long.
    Project for project
}

with_connections! {
    /// A project such as Stargate: who leads it, who backs it, how much is planned over how long.
    #[Object]
    impl Project {}

    fields |row, ctx| {
        /// Name, unique, e.g. "Stargate".
        name: &str = &row.name,
        /// A short description.
        description: Option<&str> = row.description.as_deref(),
        /// Other names of the project in the sources, each with the sentence that uses it.
        aliases: Result<Vec<Alias>> = aliases_of(ctx, row, alias::Column::ProjectId).await,
        /// The planned total amount; null when not stated.
        planned_amount: Option<Money> = Money::from_parts(row.planned_amount_minor, row.currency.as_deref()),
        /// Over how many years the amount is to be spent; null when not stated.
        horizon_years: Option<i32> = row.horizon_years,
        /// The planned amount per year if spread evenly over the horizon (Stargate's $500
        /// billion over four years: $125 billion a year); derived, with the project's
        /// citations. Null unless the amount and the horizon are both stated.
        annual_average: Option<AnnualAverage> = AnnualAverage::of_project(row),
        /// When the project was announced, at the precision known.
        announced: Option<DateValue> = date_value(row.announced_on, row.announced_precision),
        /// True when the sources say there are backers they do not name ("among others").
        has_unnamed_backers: bool = row.has_unnamed_backers,
    }

    ids of "the project";
    provenance of "project": ProjectId, cited by Some(citation::Column::ProjectId);

    to_one {
        /// The company that leads the project.
        lead: Company = one(company, lead_company_id),
    }

    connections {
        /// The named companies behind the project, with their role; the lead first unless
        /// ordered otherwise. `role: BACKER` leaves the lead out.
        backers: ProjectBacker(project_backer, ProjectBackerFilter, ProjectBackerOrderField) by project_backer::Column::ProjectId where {
            role: BackerRole = project_backer::Column::Role => "Only companies in this role: LEAD or BACKER. Both when omitted.",
        } [default order Role Desc => "Order terms, applied in the order given; the id breaks any remaining tie. By default the lead comes first."],
        /// Spending figures of the project.
        spending_figures: SpendingFigure(spending_figure, SpendingFigureFilter, SpendingFigureOrderField) by spending_figure::Column::ProjectId,
        /// The source sentences that state facts about this project.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::ProjectId,
    }
}

gql_node! {
    /// A company's part in a project.
    ProjectBacker for project_backer
}

with_connections! {
    /// A company's part in a project.
    #[Object]
    impl ProjectBacker {}

    fields |row, ctx| {
        /// Whether the company leads or backs the project.
        role: BackerRole = row.role,
    }

    ids of "this role";

    to_one {
        /// The project.
        project: Project = required(project, project_id),
        /// The company.
        company: Company = required(company, company_id),
    }

    connections {
        /// The source sentences that state this role.
        citations: Citation(citation, CitationFilter, CitationOrderField) by citation::Column::ProjectBackerId,
    }
}

/// Queries on projects.
#[derive(Default)]
pub struct ProjectQuery;

with_connections! {
    /// Queries on projects.
    #[Object]
    impl ProjectQuery {}

    by_name {
        /// The project a reader means by this name, or null: the exact name first, then the
        /// name ignoring case, then an alias ignoring case.
        project_by_name: Project(project, alias ProjectId) "The project's name, e.g. \"Stargate\".",
    }

    by_id {
        /// The project with this id, or null.
        project: Project(project) "Global id of the project.",
    }

    connections {
        /// All projects, in id order.
        projects: Project(project, ProjectFilter, ProjectOrderField),
    }
}

order_fields! {
    /// Fields projects can be ordered by.
    ProjectOrderField for project {
        /// The project's name.
        Name => column_term::<E>(C::Name, Text, false),
        /// The planned amount in minor units.
        PlannedAmount => column_term::<E>(C::PlannedAmountMinor, Int, true),
        /// The number of years.
        HorizonYears => column_term::<E>(C::HorizonYears, Int, true),
        /// The announcement date.
        AnnouncedOn => column_term::<E>(C::AnnouncedOn, Date, true),
        /// The lead company's name.
        LeadName => company_name_term::<E>("lead_name", C::LeadCompanyId),
    }
}

order_fields! {
    /// Fields project roles can be ordered by.
    ProjectBackerOrderField for project_backer {
        /// The role (BACKER before LEAD ascending).
        Role => column_term::<E>(C::Role, Text, false),
        /// The company's name.
        CompanyName => company_name_term::<E>("company_name", C::CompanyId),
    }
}

super::aggregates::aggregates! {
    /// Aggregates over projects.
    ProjectAggregate for Project (ProjectOrderField, currency: Some("currency")) {
        /// The planned amounts: how many are known, and per currency their sum, average, smallest and largest.
        planned_amount: MoneyAggregate("planned_amount_minor"),
        /// The horizons in years: count, sum, average, smallest and largest.
        horizon_years: NumberStats("horizon_years"),
        /// When the projects were announced: count, earliest and latest.
        announced_on: DateStats("announced_on", precision = "announced_precision"),
    }
}
super::aggregates::aggregates! {
    /// Aggregates over the backers of projects.
    ProjectBackerAggregate for ProjectBacker (ProjectBackerOrderField, currency: None) {
    }
}
