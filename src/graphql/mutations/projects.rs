//! Writing projects and their backers.

use entity::enums::BackerRole;
use entity::{project, project_backer};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::write::{Cites, DateInput, MoneyInput, Writable, persist_cited, persist_noted, unique};
use crate::dataset::Subject;
use crate::domain::At;
use crate::domain::rows::{BackerColumns, ProjectDraft};
use crate::error::{Error, Result};
use crate::graphql::companies::Company;
use crate::graphql::projects::{Project, ProjectBacker};

input! {
    /// A project to create or replace.
    ProjectInput resolving ProjectRefs {
        /// Unique name, at most 200 characters, e.g. "Stargate".
        name: String,
        /// The company that leads it (global id).
        lead_id: Option<ID> => Company as "lead",
        /// The money planned for it.
        planned_amount: Option<MoneyInput>,
        /// Over how many years the money is spent; positive.
        horizon_years: Option<i32>,
        /// When it was announced.
        announced: Option<DateInput>,
        /// Whether the sources say there are backers they do not name ("among others").
        #[graphql(default)]
        has_unnamed_backers: bool,
        /// A short description, at most 5,000 characters.
        description: Option<String>,
        /// The sentences of sources that state it: at least one.
        citations: Option<Vec<CitationInput>>,
        /// How the row's values are known (see `ProvenanceInput`): given, the list replaces
        /// the row's notes; left out, the notes are kept if they still hold.
        provenance: Option<Vec<ProvenanceInput>>,
    }
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

impl Cites for Project {
    const SUBJECT: fn(i32) -> Subject = Subject::Project;
}

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
        let at = At::spelled(at, ProjectInput::NAMES);
        let lead = input.refs(txn, at).await?.lead_id;
        let planned = input.planned_amount.as_ref().map(MoneyInput::rec);
        let announced = input.announced.as_ref().map(DateInput::rec);
        let columns = ProjectDraft {
            name: &input.name,
            lead_company_id: lead,
            planned_amount: planned.as_ref(),
            horizon_years: input.horizon_years,
            announced: announced.as_ref(),
            has_unnamed_backers: input.has_unnamed_backers,
            description: input.description.as_deref(),
        }
        .check(at)?;
        unique::<project::Entity>(
            txn,
            project::Column::Name,
            &columns.name,
            id,
            &at.field("name"),
            "a project named",
        )
        .await?;
        persist_noted::<Self>(txn, at, existing, |a| columns.set_on(a), &input).await
    }
}

input! {
    /// A company's part in a project, to create or replace.
    ProjectBackerInput resolving ProjectBackerRefs {
        /// The project (global id).
        project_id: ID => Project as "project",
        /// The backing company (global id); a company backs a project once.
        company_id: ID => Company as "company",
        /// Whether it leads or backs.
        role: BackerRole,
        /// The sentences of sources that state it: at least one.
        citations: Option<Vec<CitationInput>>,
    }
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

impl Cites for ProjectBacker {
    const SUBJECT: fn(i32) -> Subject = Subject::Backer;
}

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
        let at = At::spelled(at, ProjectBackerInput::NAMES);
        let ProjectBackerRefs {
            project_id: project,
            company_id: company,
        } = input.refs(txn, at).await?;
        let clash = project_backer::Entity::find()
            .filter(project_backer::Column::ProjectId.eq(project))
            .filter(project_backer::Column::CompanyId.eq(company))
            .one(txn)
            .await?;
        if let Some(other) = clash
            && Some(other.id) != id
        {
            return Err(Error::invalid(
                at.field("company"),
                format!(
                    "the company backs this project already (database id {})",
                    other.id
                ),
            ));
        }
        let columns = BackerColumns {
            project_id: project,
            company_id: company,
            role: input.role,
        };
        persist_cited::<Self>(txn, at, existing, |a| columns.set_on(a), &input).await
    }
}
