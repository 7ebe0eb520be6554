//! Loading the rows others point at by name: companies (and, in a second pass, their
//! links), people, AI models and aliases.

use entity::company;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};

use super::{Load, Subject};
use crate::dataset::records::*;
use crate::domain::At;
use crate::domain::lookups::no_parent_cycle;
use crate::domain::rows::*;
use crate::error::{Error, Result};

impl Load<'_> {
    pub(super) async fn company(&mut self, at: &str, c: &CompanyRec) -> Result<()> {
        let columns = CompanyDraft {
            name: &c.name,
            ticker: c.ticker.as_deref(),
            kind: c.kind,
            country: c.country.as_deref(),
            headquarters: c.headquarters.as_deref(),
            description: c.description.as_deref(),
        }
        .check(At::dataset(at))?;
        let row = self.upsert(columns).await?;
        self.cite(at, Subject::Company(row.id), &c.citations).await
    }

    pub(super) async fn company_links(&mut self, at: &str, c: &CompanyRec) -> Result<()> {
        let parent = self.opt_company_id(at, "parent", &c.parent).await?;
        let alumni_of = self
            .opt_company_id(at, "foundedByAlumniOf", &c.founded_by_alumni_of)
            .await?;
        let row = company::Entity::find()
            .filter(company::Column::Name.eq(&c.name))
            .one(self.txn)
            .await?
            .ok_or_else(|| {
                Error::Internal(format!("company {} vanished during the load", c.name))
            })?;
        company_links(At::dataset(at), Some(row.id), parent, alumni_of)?;
        no_parent_cycle(self.txn, At::dataset(at), row.id, parent).await?;
        if row.parent_id != parent || row.founded_by_alumni_of_id != alumni_of {
            let mut active = row.into_active_model();
            active.parent_id = Set(parent);
            active.founded_by_alumni_of_id = Set(alumni_of);
            active.update(self.txn).await?;
        }
        Ok(())
    }

    pub(super) async fn person(&mut self, at: &str, p: &PersonRec) -> Result<()> {
        let company_id = self.opt_company_id(at, "company", &p.company).await?;
        let columns = PersonDraft {
            name: &p.name,
            title: p.title.as_deref(),
            company_id,
            description: p.description.as_deref(),
        }
        .check(At::dataset(at))?;
        let row = self.upsert(columns).await?;
        self.cite(at, Subject::Person(row.id), &p.citations).await
    }

    pub(super) async fn model(&mut self, at: &str, m: &ModelRec) -> Result<()> {
        let developer_id = self.company_id(at, "developer", &m.developer).await?;
        let columns = ModelDraft {
            name: &m.name,
            kind: m.kind,
            developer_id,
            announced: m.announced.as_ref(),
            expected: m.expected.as_ref(),
            description: m.description.as_deref(),
        }
        .check(At::dataset(at))?;
        self.upsert_cited(at, columns, Subject::Model, &m.citations, &m.provenance)
            .await?;
        Ok(())
    }

    /// An alias, upserted by its subject and name.
    pub(super) async fn alias(&mut self, at: &str, a: &AliasRec) -> Result<()> {
        let given = [&a.company, &a.person, &a.model, &a.project]
            .iter()
            .filter(|s| s.is_some())
            .count();
        if given != 1 {
            return Err(Error::invalid(
                at,
                "an alias names exactly one of company, person, model or project",
            ));
        }
        let subject = if let Some(name) = &a.company {
            AliasSubject::Company(self.company_id(at, "company", name).await?)
        } else if a.person.is_some() {
            let id = self.person_id(at, "person", &a.person).await?;
            AliasSubject::Person(id.ok_or_else(|| Error::Internal("person".into()))?)
        } else if a.model.is_some() {
            let id = self.model_id(at, "model", &a.model).await?;
            AliasSubject::Model(id.ok_or_else(|| Error::Internal("model".into()))?)
        } else {
            let name = a.project.as_deref().unwrap_or_default();
            AliasSubject::Project(self.project_id(at, "project", name).await?)
        };
        let source = match &a.source {
            Some(key) => Some((key, self.source_of(at, "source", key).await?)),
            None => None,
        };
        let columns = AliasDraft {
            subject,
            name: &a.name,
            kind: a.kind,
            source: source.as_ref().map(|(key, (id, content))| AliasSource {
                id: *id,
                key,
                content: content.as_deref(),
            }),
            quote: a.quote.as_deref(),
        }
        .check(At::dataset(at))?;
        self.upsert(columns).await?;
        Ok(())
    }
}
