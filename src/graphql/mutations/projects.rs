//! Writing projects and their backers.

use entity::enums::BackerRole;
use entity::{project, project_backer};
use sea_orm::{ColumnTrait, Condition};

use super::write::{DateInput, MoneyInput, Save, Saving};
use crate::dataset::Subject;
use crate::domain::rows::{BackerColumns, ProjectDraft};
use crate::error::Result;
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
        citations of a fact,
        provenance notes,
    }
}

crud!(
    ProjectMutation: Project from ProjectInput, cited as Subject::Project,
    blocked by [("spending_figure", "project_id", "spending figures")];
    create_project "Creates a project with at least one citation (backers are added with `createProjectBacker`). Refused for an empty, too long or existing name, an unknown lead, a bad amount or currency, a horizon that is not positive, or a date contradicting its precision.",
    create_projects "Creates several projects in one transaction: all of them or none.",
    update_project "Replaces every field of a project.",
    delete_project "Deletes a project with its citations and its backers (and theirs). Refused while spending figures belong to it."
);

impl Save for Project {
    async fn save(w: Saving<'_, Self>) -> Result<project::Model> {
        let input = &w.input;
        let planned = input.planned_amount.as_ref().map(MoneyInput::rec);
        let announced = input.announced.as_ref().map(DateInput::rec);
        let columns = ProjectDraft {
            name: &input.name,
            lead_company_id: w.refs.lead_id,
            planned_amount: planned.as_ref(),
            horizon_years: input.horizon_years,
            announced: announced.as_ref(),
            has_unnamed_backers: input.has_unnamed_backers,
            description: input.description.as_deref(),
        }
        .check(w.at)?;
        w.unique(project::Column::Name, &columns.name, "a project named")
            .await?;
        w.persist_noted(|a| columns.set_on(a)).await
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
        citations of a fact,
    }
}

crud!(
    ProjectBackerMutation: ProjectBacker from ProjectBackerInput, cited as Subject::Backer;
    create_project_backer "Adds a backer to a project, with at least one citation. Refused for an unknown project or company, or a company that backs the project already.",
    create_project_backers "Adds several backers in one transaction: all of them or none.",
    update_project_backer "Replaces every field of a backer.",
    delete_project_backer "Removes a backer from its project, with its citations."
);

impl Save for ProjectBacker {
    async fn save(w: Saving<'_, Self>) -> Result<project_backer::Model> {
        let ProjectBackerRefs {
            project_id: project,
            company_id: company,
        } = w.refs;
        let key = Condition::all()
            .add(project_backer::Column::ProjectId.eq(project))
            .add(project_backer::Column::CompanyId.eq(company));
        w.unique_key(key, "company", |id| {
            format!("the company backs this project already (database id {id})")
        })
        .await?;
        let columns = BackerColumns {
            project_id: project,
            company_id: company,
            role: w.input.role,
        };
        w.persist_cited(|a| columns.set_on(a)).await
    }
}
