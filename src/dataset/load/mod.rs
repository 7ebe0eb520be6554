//! Loading a dataset into the database inside one transaction: each record upserted by
//! its natural key, with its citations, after the domain's checks.
//!
//! Here the load's order, citations and the lookups of rows by natural key; the rows are
//! written by [`named`] (companies, people, models, aliases) and [`facts`] (investments,
//! projects, figures, claims, events).

mod facts;
mod named;

use std::collections::HashMap;

use entity::{ai_model, citation, claim, company, person, project, source, spending_figure};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    Set,
};

use super::notes::DerivedRefs;
use super::records::{CitationRec, Notes, SourceRec};
use super::{Dataset, LoadReport, refuse_nul};
use crate::data::loaders::Row;
use crate::domain::At;
use crate::domain::provenance::Values;
use crate::domain::rows::{Keyed, SourceDraft};
use crate::domain::values::{cited, quote};
use crate::error::{Error, Result};

/// The model of active model `A`'s entity.
type ModelOf<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

impl Load<'_> {
    /// Inserts the row of `columns`, or updates the one their natural key finds; the report
    /// counts it as created or updated.
    pub(super) async fn upsert<C: Keyed>(&mut self, columns: C) -> Result<ModelOf<C::ActiveModel>>
    where
        ModelOf<C::ActiveModel>: IntoActiveModel<C::ActiveModel>,
    {
        type EntityOf<C> = <<C as Keyed>::ActiveModel as ActiveModelTrait>::Entity;
        let existing = EntityOf::<C>::find()
            .filter(columns.natural())
            .one(self.txn)
            .await?;
        let table = sea_orm::EntityName::table_name(&EntityOf::<C>::default());
        self.report.count(table, existing.is_none());
        crate::store::persist(self.txn, existing, |a| columns.fill(a)).await
    }

    /// Upserts the row of `columns` ([`upsert`](Self::upsert)), then attaches its
    /// citations ([`cite`](Self::cite)) and saves its provenance notes; returns its id.
    pub(super) async fn upsert_cited<C: Keyed>(
        &mut self,
        at: &str,
        columns: C,
        subject: fn(i32) -> Subject,
        citations: &[CitationRec],
        notes: &Option<Notes>,
    ) -> Result<i32>
    where
        ModelOf<C::ActiveModel>: IntoActiveModel<C::ActiveModel> + Row + Values,
    {
        let row = self.upsert(columns).await?;
        let id = row.row_id();
        self.cite(at, subject(id), citations).await?;
        self.save_notes(at, id, &row, citations, notes).await?;
        Ok(id)
    }
}

/// Where a citation points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Subject {
    Company(i32),
    Person(i32),
    Model(i32),
    Investment(i32),
    Project(i32),
    Backer(i32),
    Figure(i32),
    Claim(i32),
    Challenge(i32),
    Event(i32),
}

impl Subject {
    /// A fact needs a citation; the rows others point at by name (companies, people,
    /// models) do not.
    fn is_fact(self) -> bool {
        !matches!(
            self,
            Subject::Company(_) | Subject::Person(_) | Subject::Model(_)
        )
    }

    pub(crate) fn column_and_id(self) -> (citation::Column, i32) {
        use citation::Column as C;
        match self {
            Subject::Company(id) => (C::CompanyId, id),
            Subject::Person(id) => (C::PersonId, id),
            Subject::Model(id) => (C::AiModelId, id),
            Subject::Investment(id) => (C::InvestmentId, id),
            Subject::Project(id) => (C::ProjectId, id),
            Subject::Backer(id) => (C::ProjectBackerId, id),
            Subject::Figure(id) => (C::SpendingFigureId, id),
            Subject::Claim(id) => (C::ClaimId, id),
            Subject::Challenge(id) => (C::ClaimChallengeId, id),
            Subject::Event(id) => (C::EventId, id),
        }
    }

    /// A new citation of this subject: the sentence `quote` of source `source_id`.
    pub(crate) fn citation(self, source_id: i32, quote: &str) -> citation::ActiveModel {
        let mut active = citation::ActiveModel {
            source_id: Set(source_id),
            quote: Set(quote.to_string()),
            ..Default::default()
        };
        self.set_on(&mut active);
        active
    }

    pub(crate) fn set_on(self, active: &mut citation::ActiveModel) {
        match self {
            Subject::Company(id) => active.company_id = Set(Some(id)),
            Subject::Person(id) => active.person_id = Set(Some(id)),
            Subject::Model(id) => active.ai_model_id = Set(Some(id)),
            Subject::Investment(id) => active.investment_id = Set(Some(id)),
            Subject::Project(id) => active.project_id = Set(Some(id)),
            Subject::Backer(id) => active.project_backer_id = Set(Some(id)),
            Subject::Figure(id) => active.spending_figure_id = Set(Some(id)),
            Subject::Claim(id) => active.claim_id = Set(Some(id)),
            Subject::Challenge(id) => active.claim_challenge_id = Set(Some(id)),
            Subject::Event(id) => active.event_id = Set(Some(id)),
        }
    }
}

pub(super) struct Load<'a> {
    pub(super) txn: &'a DatabaseTransaction,
    pub(super) report: LoadReport,
    /// Source key -> (id, text).
    sources: HashMap<String, (i32, Option<String>)>,
    /// Company name -> id: most rows name one or two companies.
    companies: HashMap<String, i32>,
    /// The values the notes loaded so far are derived from, checked by `check_derived`.
    pub(super) refs: DerivedRefs,
}

/// `load.method(rows, "section")`: calls `load.method(at, row)` for every record of `rows`,
/// in order, each at its path in the dataset (`companies[3]`); the first error stops it.
macro_rules! each {
    ($load:ident.$method:ident($rows:expr, $section:literal)) => {
        for (i, row) in $rows.iter().enumerate() {
            $load
                .$method(&format!(concat!($section, "[{}]"), i), row)
                .await?;
        }
    };
}

impl<'a> Load<'a> {
    pub(super) fn new(txn: &'a DatabaseTransaction) -> Self {
        Load {
            txn,
            report: LoadReport::default(),
            sources: HashMap::new(),
            companies: HashMap::new(),
            refs: DerivedRefs::default(),
        }
    }

    pub(super) async fn run(mut self, d: &Dataset) -> Result<LoadReport> {
        self.run_part(d, true).await?;
        self.check_derived().await?;
        Ok(self.report)
    }

    /// Loads `d`; with `links`, also the links between companies and between figures that
    /// may point at rows later in `d`.
    pub(super) async fn run_part(&mut self, d: &Dataset, links: bool) -> Result<()> {
        refuse_nul(d)?;
        each!(self.source(d.sources, "sources"));
        each!(self.company(d.companies, "companies"));
        // Links between companies once all of them exist.
        if links {
            self.link_companies(d).await?;
        }
        each!(self.person(d.people, "people"));
        each!(self.model(d.models, "models"));
        each!(self.investment(d.investments, "investments"));
        each!(self.project(d.projects, "projects"));
        each!(self.figure(d.spending_figures, "spendingFigures"));
        if links {
            self.link_figures(d).await?;
        }
        each!(self.claim(d.claims, "claims"));
        each!(self.event(d.events, "events"));
        each!(self.alias(d.aliases, "aliases"));
        Ok(())
    }

    pub(super) async fn link_companies(&mut self, d: &Dataset) -> Result<()> {
        each!(self.company_links(d.companies, "companies"));
        Ok(())
    }

    pub(super) async fn link_figures(&mut self, d: &Dataset) -> Result<()> {
        each!(self.figure_link(d.spending_figures, "spendingFigures"));
        Ok(())
    }

    async fn source(&mut self, at: &str, s: &SourceRec) -> Result<()> {
        let columns = SourceDraft {
            key: &s.key,
            title: &s.title,
            publisher: s.publisher.as_deref(),
            published: s.published.as_ref(),
            address: s.address.as_deref(),
            content: s.content.as_deref(),
        }
        .check(At::dataset(at))?;
        let row = self.upsert(columns).await?;
        self.save_notes(at, row.id, &row, &[], &s.provenance)
            .await?;
        self.sources.insert(row.key.clone(), (row.id, row.content));
        Ok(())
    }

    async fn source_of(
        &mut self,
        at: &str,
        field: &str,
        key: &str,
    ) -> Result<(i32, Option<String>)> {
        if let Some(found) = self.sources.get(key) {
            return Ok(found.clone());
        }
        let row = source::Entity::find()
            .filter(source::Column::Key.eq(key))
            .one(self.txn)
            .await?
            .ok_or_else(|| {
                Error::invalid(format!("{at}.{field}"), format!("unknown source {key:?}"))
            })?;
        self.sources
            .insert(row.key.clone(), (row.id, row.content.clone()));
        Ok((row.id, row.content))
    }

    /// Attaches citations to a row; a fact must have at least one.
    async fn cite(&mut self, at: &str, subject: Subject, citations: &[CitationRec]) -> Result<()> {
        cited(
            &format!("{at}.citations"),
            subject.is_fact(),
            citations.len(),
        )?;
        let (column, id) = subject.column_and_id();
        for (i, c) in citations.iter().enumerate() {
            let field = format!("{at}.citations[{i}]");
            let (source_id, content) = self.source_of(&field, "source", &c.source).await?;
            quote(
                &format!("{field}.quote"),
                &c.quote,
                &c.source,
                content.as_deref(),
            )?;
            let existing = citation::Entity::find()
                .filter(column.eq(id))
                .filter(citation::Column::SourceId.eq(source_id))
                .filter(citation::Column::Quote.eq(c.quote.as_str()))
                .one(self.txn)
                .await?;
            if existing.is_some() {
                self.report.count("citation", false);
                continue;
            }
            subject
                .citation(source_id, &c.quote)
                .insert(self.txn)
                .await?;
            self.report.count("citation", true);
        }
        Ok(())
    }

    async fn company_id(&mut self, at: &str, field: &str, name: &str) -> Result<i32> {
        if let Some(id) = self.companies.get(name) {
            return Ok(*id);
        }
        let id = company::Entity::find()
            .filter(company::Column::Name.eq(name))
            .one(self.txn)
            .await?
            .map(|c| c.id)
            .ok_or_else(|| {
                Error::invalid(format!("{at}.{field}"), format!("unknown company {name:?}"))
            })?;
        self.companies.insert(name.to_string(), id);
        Ok(id)
    }

    async fn opt_company_id(
        &mut self,
        at: &str,
        field: &str,
        name: &Option<String>,
    ) -> Result<Option<i32>> {
        match name {
            Some(name) => Ok(Some(self.company_id(at, field, name).await?)),
            None => Ok(None),
        }
    }

    /// The project named `name`; errors name `{at}.{field}`.
    pub(super) async fn project_id(&self, at: &str, field: &str, name: &str) -> Result<i32> {
        project::Entity::find()
            .filter(project::Column::Name.eq(name))
            .one(self.txn)
            .await?
            .map(|p| p.id)
            .ok_or_else(|| {
                Error::invalid(format!("{at}.{field}"), format!("unknown project {name:?}"))
            })
    }

    /// The id of the row of `E` whose `column` is `value`, when `value` is given; errors
    /// name `{at}.{field}` and call it an unknown `what`.
    async fn id_by<E: EntityTrait<Model: Row>>(
        &self,
        at: &str,
        field: &str,
        what: &str,
        column: E::Column,
        value: &Option<String>,
    ) -> Result<Option<i32>> {
        let Some(value) = value else { return Ok(None) };
        E::find()
            .filter(column.eq(value))
            .one(self.txn)
            .await?
            .map(|row| Some(row.row_id()))
            .ok_or_else(|| {
                Error::invalid(format!("{at}.{field}"), format!("unknown {what} {value:?}"))
            })
    }

    async fn person_id(&self, at: &str, field: &str, name: &Option<String>) -> Result<Option<i32>> {
        self.id_by::<person::Entity>(at, field, "person", person::Column::Name, name)
            .await
    }

    async fn model_id(&self, at: &str, field: &str, name: &Option<String>) -> Result<Option<i32>> {
        let Some(name) = name else { return Ok(None) };
        let found = ai_model::Entity::find()
            .filter(ai_model::Column::Name.eq(name))
            .all(self.txn)
            .await?;
        match found.as_slice() {
            [one] => Ok(Some(one.id)),
            [] => Err(Error::invalid(
                format!("{at}.{field}"),
                format!("unknown model {name:?}"),
            )),
            _ => Err(Error::invalid(
                format!("{at}.{field}"),
                format!("model name {name:?} is ambiguous: several developers use it"),
            )),
        }
    }

    async fn figure_id(&self, at: &str, field: &str, r: &Option<String>) -> Result<Option<i32>> {
        use spending_figure::{Column, Entity};
        self.id_by::<Entity>(at, field, "spending figure", Column::Reference, r)
            .await
    }

    pub(super) async fn claim_id(
        &self,
        at: &str,
        field: &str,
        r: &Option<String>,
    ) -> Result<Option<i32>> {
        self.id_by::<claim::Entity>(at, field, "claim", claim::Column::Reference, r)
            .await
    }
}
