//! Writing projects and their backers.

use async_graphql::{ID, InputObject};
use entity::enums::BackerRole;
use entity::{project, project_backer};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use super::write::{
    CitationInput, DateInput, MoneyInput, Writable, amount, cite, date, limits, opt_reference,
    opt_text, persist, reference, text, unique,
};
use crate::dataset::Subject;
use crate::error::{Error, Result};
use crate::graphql::companies::Company;
use crate::graphql::projects::{Project, ProjectBacker};

/// A project to create or replace.
#[derive(InputObject)]
pub struct ProjectInput {
    /// Unique name, at most 200 characters, e.g. "Stargate".
    pub name: String,
    /// The company that leads it (global id).
    pub lead_id: Option<ID>,
    /// The money planned for it.
    pub planned_amount: Option<MoneyInput>,
    /// Over how many years the money is spent; positive.
    pub horizon_years: Option<i32>,
    /// When it was announced.
    pub announced: Option<DateInput>,
    /// Whether the sources say there are backers they do not name ("among others").
    #[graphql(default)]
    pub has_unnamed_backers: bool,
    /// A short description, at most 5,000 characters.
    pub description: Option<String>,
    /// The sentences of sources that state it: at least one.
    pub citations: Option<Vec<CitationInput>>,
}

crud!(
    ProjectMutation,
    Project,
    ProjectInput,
    create_project "Creates a project with at least one citation (backers are added with `createProjectBacker`). Refused for an empty, too long or existing name, an unknown lead, a bad amount or currency, a horizon that is not positive, or a date contradicting its precision.",
    create_projects "Creates several projects in one transaction: all of them or none.",
    update_project "Replaces every field of a project.",
    delete_project "Deletes a project with its citations and its backers (and theirs). Refused while spending figures belong to it."
);

impl Writable for Project {
    type Entity = project::Entity;
    type Input = ProjectInput;
    const BLOCKERS: &'static [(&'static str, &'static str, &'static str)] =
        &[("spending_figure", "project_id", "spending figures")];

    async fn save(
        txn: &DatabaseTransaction,
        existing: Option<project::Model>,
        input: ProjectInput,
        at: &str,
    ) -> Result<project::Model> {
        let id = existing.as_ref().map(|m| m.id);
        let name_at = format!("{at}.name");
        let name = text(&name_at, &input.name, limits::NAME)?;
        unique::<project::Entity>(
            txn,
            project::Column::Name,
            &name,
            id,
            &name_at,
            "a project named",
        )
        .await?;
        let lead =
            opt_reference::<Company>(txn, input.lead_id.as_ref(), &format!("{at}.leadId")).await?;
        let (planned, currency) = amount(
            &format!("{at}.plannedAmount"),
            input.planned_amount.as_ref(),
        )?;
        if input.horizon_years.is_some_and(|y| y <= 0) {
            return Err(Error::invalid(
                format!("{at}.horizonYears"),
                "must be positive",
            ));
        }
        let (announced_on, announced_precision) =
            date(&format!("{at}.announced"), input.announced.as_ref())?;
        let description = opt_text(
            &format!("{at}.description"),
            input.description.as_ref(),
            limits::DESCRIPTION,
        )?;
        let creating = existing.is_none();
        let row = persist::<project::ActiveModel>(txn, existing, |a| {
            a.name = Set(name);
            a.lead_company_id = Set(lead);
            a.planned_amount_minor = Set(planned);
            a.currency = Set(currency);
            a.horizon_years = Set(input.horizon_years);
            a.announced_on = Set(announced_on);
            a.announced_precision = Set(announced_precision);
            a.has_unnamed_backers = Set(input.has_unnamed_backers);
            a.description = Set(description);
        })
        .await?;
        cite(
            txn,
            at,
            Subject::Project(row.id),
            input.citations.as_deref(),
            creating,
        )
        .await?;
        Ok(row)
    }
}

/// A company's part in a project, to create or replace.
#[derive(InputObject)]
pub struct ProjectBackerInput {
    /// The project (global id).
    pub project_id: ID,
    /// The backing company (global id); a company backs a project once.
    pub company_id: ID,
    /// Whether it leads or backs.
    pub role: BackerRole,
    /// The sentences of sources that state it: at least one.
    pub citations: Option<Vec<CitationInput>>,
}

crud!(
    ProjectBackerMutation,
    ProjectBacker,
    ProjectBackerInput,
    create_project_backer "Adds a backer to a project, with at least one citation. Refused for an unknown project or company, or a company that backs the project already.",
    create_project_backers "Adds several backers in one transaction: all of them or none.",
    update_project_backer "Replaces every field of a backer.",
    delete_project_backer "Removes a backer from its project, with its citations."
);

impl Writable for ProjectBacker {
    type Entity = project_backer::Entity;
    type Input = ProjectBackerInput;
    const BLOCKERS: &'static [(&'static str, &'static str, &'static str)] = &[];

    async fn save(
        txn: &DatabaseTransaction,
        existing: Option<project_backer::Model>,
        input: ProjectBackerInput,
        at: &str,
    ) -> Result<project_backer::Model> {
        let id = existing.as_ref().map(|m| m.id);
        let project =
            reference::<Project>(txn, &input.project_id, &format!("{at}.projectId")).await?;
        let company_at = format!("{at}.companyId");
        let company = reference::<Company>(txn, &input.company_id, &company_at).await?;
        let clash = project_backer::Entity::find()
            .filter(project_backer::Column::ProjectId.eq(project))
            .filter(project_backer::Column::CompanyId.eq(company))
            .one(txn)
            .await?;
        if let Some(other) = clash
            && Some(other.id) != id
        {
            return Err(Error::invalid(
                company_at,
                format!(
                    "the company backs this project already (database id {})",
                    other.id
                ),
            ));
        }
        let creating = existing.is_none();
        let row = persist::<project_backer::ActiveModel>(txn, existing, |a| {
            a.project_id = Set(project);
            a.company_id = Set(company);
            a.role = Set(input.role);
        })
        .await?;
        cite(
            txn,
            at,
            Subject::Backer(row.id),
            input.citations.as_deref(),
            creating,
        )
        .await?;
        Ok(row)
    }
}
