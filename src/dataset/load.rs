//! Loading a dataset into the database inside one transaction: each record upserted by
//! its natural key, with its citations, after the domain's checks.

use std::collections::HashMap;

use entity::{
    ai_model, alias, citation, claim, claim_challenge, company, event, investment, person, project,
    project_backer, source, spending_figure,
};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};

use super::records::{
    AliasRec, BackerRec, ChallengeRec, CitationRec, ClaimRec, CompanyRec, EventRec, FigureRec,
    InvestmentRec, ModelRec, PersonRec, ProjectRec, SourceRec,
};
use super::{Dataset, LoadReport, refuse_nul};
use crate::domain::At;
use crate::domain::lookups::no_parent_cycle;
use crate::domain::rows::{
    AliasDraft, AliasSource, AliasSubject, BackerColumns, ChallengeDraft, ClaimDraft, CompanyDraft,
    EventDraft, ExpectationDraft, FigureDraft, InvestmentDraft, ModelDraft, PersonDraft,
    ProjectDraft, SourceDraft, company_links, figure_link,
};
use crate::domain::values::{cited, quote};
use crate::error::{Error, Result};

/// Inserts or updates one row: `existing` is the row matched by natural key, if any.
pub(super) async fn save<A>(
    txn: &DatabaseTransaction,
    report: &mut LoadReport,
    existing: Option<<A::Entity as EntityTrait>::Model>,
    fill: impl FnOnce(&mut A),
) -> Result<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    let table = sea_orm::EntityName::table_name(&A::Entity::default());
    report.count(table, existing.is_none());
    crate::store::persist(txn, existing, fill).await
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
}

impl<'a> Load<'a> {
    pub(super) fn new(txn: &'a DatabaseTransaction) -> Self {
        Load {
            txn,
            report: LoadReport::default(),
            sources: HashMap::new(),
            companies: HashMap::new(),
        }
    }

    pub(super) async fn run(mut self, d: &Dataset) -> Result<LoadReport> {
        self.run_part(d, true).await?;
        Ok(self.report)
    }

    /// Loads `d`; with `links`, also the links between companies and between figures that
    /// may point at rows later in `d`.
    pub(super) async fn run_part(&mut self, d: &Dataset, links: bool) -> Result<()> {
        refuse_nul(d)?;
        for (i, s) in d.sources.iter().enumerate() {
            self.source(&format!("sources[{i}]"), s).await?;
        }
        for (i, c) in d.companies.iter().enumerate() {
            self.company(&format!("companies[{i}]"), c).await?;
        }
        // Links between companies once all of them exist.
        if links {
            self.link_companies(d).await?;
        }
        for (i, p) in d.people.iter().enumerate() {
            self.person(&format!("people[{i}]"), p).await?;
        }
        for (i, m) in d.models.iter().enumerate() {
            self.model(&format!("models[{i}]"), m).await?;
        }
        for (i, inv) in d.investments.iter().enumerate() {
            self.investment(&format!("investments[{i}]"), inv).await?;
        }
        for (i, p) in d.projects.iter().enumerate() {
            self.project(&format!("projects[{i}]"), p).await?;
        }
        for (i, f) in d.spending_figures.iter().enumerate() {
            self.figure(&format!("spendingFigures[{i}]"), f).await?;
        }
        if links {
            self.link_figures(d).await?;
        }
        for (i, c) in d.claims.iter().enumerate() {
            self.claim(&format!("claims[{i}]"), c).await?;
        }
        for (i, e) in d.events.iter().enumerate() {
            self.event(&format!("events[{i}]"), e).await?;
        }
        for (i, a) in d.aliases.iter().enumerate() {
            self.alias(&format!("aliases[{i}]"), a).await?;
        }
        Ok(())
    }

    pub(super) async fn link_companies(&mut self, d: &Dataset) -> Result<()> {
        for (i, c) in d.companies.iter().enumerate() {
            self.company_links(&format!("companies[{i}]"), c).await?;
        }
        Ok(())
    }

    pub(super) async fn link_figures(&mut self, d: &Dataset) -> Result<()> {
        for (i, f) in d.spending_figures.iter().enumerate() {
            self.figure_link(&format!("spendingFigures[{i}]"), f)
                .await?;
        }
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
        let existing = source::Entity::find()
            .filter(source::Column::Key.eq(&s.key))
            .one(self.txn)
            .await?;
        let row = save::<source::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            columns.set_on(a)
        })
        .await?;
        self.save_notes(
            at,
            entity::value_provenance::Column::SourceId,
            row.id,
            &row,
            &[],
            &s.provenance,
        )
        .await?;
        self.sources.insert(row.key.clone(), (row.id, row.content));
        Ok(())
    }

    async fn source_of(&mut self, at: &str, key: &str) -> Result<(i32, Option<String>)> {
        if let Some(found) = self.sources.get(key) {
            return Ok(found.clone());
        }
        let row = source::Entity::find()
            .filter(source::Column::Key.eq(key))
            .one(self.txn)
            .await?
            .ok_or_else(|| Error::invalid(at, format!("unknown source {key:?}")))?;
        self.sources
            .insert(row.key.clone(), (row.id, row.content.clone()));
        Ok((row.id, row.content))
    }

    /// Attaches citations to a row; a fact must have at least one when `needed`.
    async fn cite(
        &mut self,
        at: &str,
        subject: Subject,
        citations: &[CitationRec],
        needed: bool,
    ) -> Result<()> {
        cited(&format!("{at}.citations"), needed, citations.len())?;
        let (column, id) = subject.column_and_id();
        for (i, c) in citations.iter().enumerate() {
            let field = format!("{at}.citations[{i}]");
            let (source_id, content) = self
                .source_of(&format!("{field}.source"), &c.source)
                .await?;
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
            let mut active = citation::ActiveModel {
                source_id: Set(source_id),
                quote: Set(c.quote.clone()),
                ..Default::default()
            };
            subject.set_on(&mut active);
            active.insert(self.txn).await?;
            self.report.count("citation", true);
        }
        Ok(())
    }

    async fn company_id(&mut self, at: &str, name: &str) -> Result<i32> {
        if let Some(id) = self.companies.get(name) {
            return Ok(*id);
        }
        let id = company::Entity::find()
            .filter(company::Column::Name.eq(name))
            .one(self.txn)
            .await?
            .map(|c| c.id)
            .ok_or_else(|| Error::invalid(at, format!("unknown company {name:?}")))?;
        self.companies.insert(name.to_string(), id);
        Ok(id)
    }

    async fn opt_company_id(&mut self, at: &str, name: &Option<String>) -> Result<Option<i32>> {
        match name {
            Some(name) => Ok(Some(self.company_id(at, name).await?)),
            None => Ok(None),
        }
    }

    async fn person_id(&self, at: &str, name: &Option<String>) -> Result<Option<i32>> {
        let Some(name) = name else { return Ok(None) };
        person::Entity::find()
            .filter(person::Column::Name.eq(name))
            .one(self.txn)
            .await?
            .map(|p| Some(p.id))
            .ok_or_else(|| Error::invalid(at, format!("unknown person {name:?}")))
    }

    async fn model_id(&self, at: &str, name: &Option<String>) -> Result<Option<i32>> {
        let Some(name) = name else { return Ok(None) };
        let found = ai_model::Entity::find()
            .filter(ai_model::Column::Name.eq(name))
            .all(self.txn)
            .await?;
        match found.as_slice() {
            [one] => Ok(Some(one.id)),
            [] => Err(Error::invalid(at, format!("unknown model {name:?}"))),
            _ => Err(Error::invalid(
                at,
                format!("model name {name:?} is ambiguous: several developers use it"),
            )),
        }
    }

    async fn figure_id(&self, at: &str, r: &Option<String>) -> Result<Option<i32>> {
        let Some(r) = r else { return Ok(None) };
        spending_figure::Entity::find()
            .filter(spending_figure::Column::Reference.eq(r))
            .one(self.txn)
            .await?
            .map(|f| Some(f.id))
            .ok_or_else(|| Error::invalid(at, format!("unknown spending figure {r:?}")))
    }

    pub(super) async fn claim_id(&self, at: &str, r: &Option<String>) -> Result<Option<i32>> {
        let Some(r) = r else { return Ok(None) };
        claim::Entity::find()
            .filter(claim::Column::Reference.eq(r))
            .one(self.txn)
            .await?
            .map(|c| Some(c.id))
            .ok_or_else(|| Error::invalid(at, format!("unknown claim {r:?}")))
    }

    async fn company(&mut self, at: &str, c: &CompanyRec) -> Result<()> {
        let columns = CompanyDraft {
            name: &c.name,
            ticker: c.ticker.as_deref(),
            kind: c.kind,
            country: c.country.as_deref(),
            headquarters: c.headquarters.as_deref(),
            description: c.description.as_deref(),
        }
        .check(At::dataset(at))?;
        let existing = company::Entity::find()
            .filter(company::Column::Name.eq(&c.name))
            .one(self.txn)
            .await?;
        let row = save::<company::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            columns.set_on(a)
        })
        .await?;
        self.cite(at, Subject::Company(row.id), &c.citations, false)
            .await
    }

    async fn company_links(&mut self, at: &str, c: &CompanyRec) -> Result<()> {
        let parent = self
            .opt_company_id(&format!("{at}.parent"), &c.parent)
            .await?;
        let alumni_of = self
            .opt_company_id(&format!("{at}.foundedByAlumniOf"), &c.founded_by_alumni_of)
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

    async fn person(&mut self, at: &str, p: &PersonRec) -> Result<()> {
        let company_id = self
            .opt_company_id(&format!("{at}.company"), &p.company)
            .await?;
        let columns = PersonDraft {
            name: &p.name,
            title: p.title.as_deref(),
            company_id,
            description: p.description.as_deref(),
        }
        .check(At::dataset(at))?;
        let existing = person::Entity::find()
            .filter(person::Column::Name.eq(&p.name))
            .one(self.txn)
            .await?;
        let row = save::<person::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            columns.set_on(a)
        })
        .await?;
        self.cite(at, Subject::Person(row.id), &p.citations, false)
            .await
    }

    async fn model(&mut self, at: &str, m: &ModelRec) -> Result<()> {
        let developer_id = self
            .company_id(&format!("{at}.developer"), &m.developer)
            .await?;
        let columns = ModelDraft {
            name: &m.name,
            kind: m.kind,
            developer_id,
            announced: m.announced.as_ref(),
            expected: m.expected.as_ref(),
            description: m.description.as_deref(),
        }
        .check(At::dataset(at))?;
        let existing = ai_model::Entity::find()
            .filter(ai_model::Column::Name.eq(&m.name))
            .filter(ai_model::Column::DeveloperId.eq(developer_id))
            .one(self.txn)
            .await?;
        let row = save::<ai_model::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            columns.set_on(a)
        })
        .await?;
        self.cite(at, Subject::Model(row.id), &m.citations, false)
            .await?;
        self.save_notes(
            at,
            entity::value_provenance::Column::AiModelId,
            row.id,
            &row,
            &m.citations,
            &m.provenance,
        )
        .await
    }

    async fn investment(&mut self, at: &str, inv: &InvestmentRec) -> Result<()> {
        let investor_id = self
            .company_id(&format!("{at}.investor"), &inv.investor)
            .await?;
        let investee_id = self
            .company_id(&format!("{at}.investee"), &inv.investee)
            .await?;
        let columns = InvestmentDraft {
            reference: &inv.r#ref,
            investor_id,
            investee_id,
            amount: inv.amount.as_ref(),
            made: inv.made.as_ref(),
            description: inv.description.as_deref(),
        }
        .check(At::dataset(at))?;
        let existing = investment::Entity::find()
            .filter(investment::Column::Reference.eq(&inv.r#ref))
            .one(self.txn)
            .await?;
        let row = save::<investment::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            columns.set_on(a)
        })
        .await?;
        self.cite(at, Subject::Investment(row.id), &inv.citations, true)
            .await?;
        let (column, notes) = (
            entity::value_provenance::Column::InvestmentId,
            &inv.provenance,
        );
        self.save_notes(at, column, row.id, &row, &inv.citations, notes)
            .await
    }

    async fn project(&mut self, at: &str, p: &ProjectRec) -> Result<()> {
        let lead_id = self.opt_company_id(&format!("{at}.lead"), &p.lead).await?;
        let columns = ProjectDraft {
            name: &p.name,
            lead_company_id: lead_id,
            planned_amount: p.planned_amount.as_ref(),
            horizon_years: p.horizon_years,
            announced: p.announced.as_ref(),
            has_unnamed_backers: p.has_unnamed_backers,
            description: p.description.as_deref(),
        }
        .check(At::dataset(at))?;
        let existing = project::Entity::find()
            .filter(project::Column::Name.eq(&p.name))
            .one(self.txn)
            .await?;
        let row = save::<project::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            columns.set_on(a)
        })
        .await?;
        self.cite(at, Subject::Project(row.id), &p.citations, true)
            .await?;
        self.save_notes(
            at,
            entity::value_provenance::Column::ProjectId,
            row.id,
            &row,
            &p.citations,
            &p.provenance,
        )
        .await?;
        for (i, b) in p.backers.iter().enumerate() {
            self.backer(&format!("{at}.backers[{i}]"), row.id, b)
                .await?;
        }
        Ok(())
    }

    pub(super) async fn backer(&mut self, at: &str, project_id: i32, b: &BackerRec) -> Result<()> {
        let company_id = self
            .company_id(&format!("{at}.company"), &b.company)
            .await?;
        let existing = project_backer::Entity::find()
            .filter(project_backer::Column::ProjectId.eq(project_id))
            .filter(project_backer::Column::CompanyId.eq(company_id))
            .one(self.txn)
            .await?;
        let backer =
            save::<project_backer::ActiveModel>(self.txn, &mut self.report, existing, |a| {
                BackerColumns {
                    project_id,
                    company_id,
                    role: b.role,
                }
                .set_on(a)
            })
            .await?;
        self.cite(at, Subject::Backer(backer.id), &b.citations, true)
            .await
    }

    async fn figure(&mut self, at: &str, f: &FigureRec) -> Result<()> {
        let company_id = self
            .opt_company_id(&format!("{at}.company"), &f.company)
            .await?;
        let project_id = match &f.project {
            None => None,
            Some(name) => Some(
                project::Entity::find()
                    .filter(project::Column::Name.eq(name))
                    .one(self.txn)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid(format!("{at}.project"), format!("unknown project {name:?}"))
                    })?
                    .id,
            ),
        };
        let model_id = self.model_id(&format!("{at}.model"), &f.model).await?;
        let columns = FigureDraft {
            reference: &f.r#ref,
            company_id,
            project_id,
            ai_model_id: model_id,
            category: f.category,
            status: f.status,
            bound: f.bound,
            low: f.low.as_deref(),
            high: f.high.as_deref(),
            currency: &f.currency,
            period: &f.period,
            focus: f.focus.as_deref(),
            remarks: f.remarks.as_deref(),
            stated: f.stated.as_ref(),
            expectation: f.expectation.as_ref().map(|e| ExpectationDraft {
                holder: &e.holder,
                percent_above: &e.percent_above,
            }),
        }
        .check(At::dataset(at))?;
        let existing = spending_figure::Entity::find()
            .filter(spending_figure::Column::Reference.eq(&f.r#ref))
            .one(self.txn)
            .await?;
        let row = save::<spending_figure::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            columns.set_on(a)
        })
        .await?;
        self.cite(at, Subject::Figure(row.id), &f.citations, true)
            .await?;
        let column = entity::value_provenance::Column::SpendingFigureId;
        self.save_notes(at, column, row.id, &row, &f.citations, &f.provenance)
            .await?;
        self.save_shares(at, row.id, &f.citations, &f.shares).await
    }

    async fn figure_link(&mut self, at: &str, f: &FigureRec) -> Result<()> {
        let derived_from = self
            .figure_id(&format!("{at}.derivedFrom"), &f.derived_from)
            .await?;
        let row = spending_figure::Entity::find()
            .filter(spending_figure::Column::Reference.eq(&f.r#ref))
            .one(self.txn)
            .await?
            .ok_or_else(|| {
                Error::Internal(format!("figure {} vanished during the load", f.r#ref))
            })?;
        figure_link(At::dataset(at), Some(row.id), derived_from)?;
        if row.derived_from_id != derived_from {
            let mut active = row.into_active_model();
            active.derived_from_id = Set(derived_from);
            active.update(self.txn).await?;
        }
        Ok(())
    }

    async fn claim(&mut self, at: &str, c: &ClaimRec) -> Result<()> {
        let person_id = self
            .person_id(&format!("{at}.claimantPerson"), &c.claimant_person)
            .await?;
        let company_id = self
            .opt_company_id(&format!("{at}.claimantCompany"), &c.claimant_company)
            .await?;
        let subject_company = self
            .opt_company_id(&format!("{at}.subjectCompany"), &c.subject_company)
            .await?;
        let subject_model = self
            .model_id(&format!("{at}.subjectModel"), &c.subject_model)
            .await?;
        let figure = self
            .figure_id(&format!("{at}.spendingFigure"), &c.spending_figure)
            .await?;
        let columns = ClaimDraft {
            reference: &c.r#ref,
            statement: &c.statement,
            kind: c.kind,
            status: c.status,
            claimant_person_id: person_id,
            claimant_company_id: company_id,
            subject_company_id: subject_company,
            subject_model_id: subject_model,
            spending_figure_id: figure,
            amount: c.amount.as_ref(),
            made: c.made.as_ref(),
        }
        .check(At::dataset(at))?;
        let existing = claim::Entity::find()
            .filter(claim::Column::Reference.eq(&c.r#ref))
            .one(self.txn)
            .await?;
        let row =
            save::<claim::ActiveModel>(self.txn, &mut self.report, existing, |a| columns.set_on(a))
                .await?;
        self.cite(at, Subject::Claim(row.id), &c.citations, true)
            .await?;
        self.save_notes(
            at,
            entity::value_provenance::Column::ClaimId,
            row.id,
            &row,
            &c.citations,
            &c.provenance,
        )
        .await?;
        for (i, ch) in c.challenges.iter().enumerate() {
            self.challenge(&format!("{at}.challenges[{i}]"), row.id, ch)
                .await?;
        }
        Ok(())
    }

    pub(super) async fn challenge(
        &mut self,
        at: &str,
        claim_id: i32,
        ch: &ChallengeRec,
    ) -> Result<()> {
        let challenger_company = self
            .opt_company_id(&format!("{at}.challengerCompany"), &ch.challenger_company)
            .await?;
        let challenger_person = self
            .person_id(&format!("{at}.challengerPerson"), &ch.challenger_person)
            .await?;
        let columns = ChallengeDraft {
            claim_id,
            challenger_company_id: challenger_company,
            challenger_person_id: challenger_person,
            kind: ch.kind,
            description: &ch.description,
        }
        .check(At::dataset(at))?;
        // A challenge is the same challenge when it is to the same claim with the same description.
        let existing = claim_challenge::Entity::find()
            .filter(claim_challenge::Column::ClaimId.eq(claim_id))
            .filter(claim_challenge::Column::Description.eq(ch.description.as_str()))
            .one(self.txn)
            .await?;
        let challenge =
            save::<claim_challenge::ActiveModel>(self.txn, &mut self.report, existing, |a| {
                columns.set_on(a)
            })
            .await?;
        self.cite(at, Subject::Challenge(challenge.id), &ch.citations, true)
            .await
    }

    async fn event(&mut self, at: &str, e: &EventRec) -> Result<()> {
        let company_id = self
            .opt_company_id(&format!("{at}.company"), &e.company)
            .await?;
        let trigger = self
            .claim_id(&format!("{at}.triggerClaim"), &e.trigger_claim)
            .await?;
        let columns = EventDraft {
            reference: &e.r#ref,
            name: &e.name,
            kind: e.kind,
            occurred: e.occurred.as_ref(),
            company_id,
            trigger_claim_id: trigger,
            description: e.description.as_deref(),
        }
        .check(At::dataset(at))?;
        let existing = event::Entity::find()
            .filter(event::Column::Reference.eq(&e.r#ref))
            .one(self.txn)
            .await?;
        let row =
            save::<event::ActiveModel>(self.txn, &mut self.report, existing, |a| columns.set_on(a))
                .await?;
        self.cite(at, Subject::Event(row.id), &e.citations, true)
            .await?;
        self.save_notes(
            at,
            entity::value_provenance::Column::EventId,
            row.id,
            &row,
            &e.citations,
            &e.provenance,
        )
        .await
    }
}

impl Load<'_> {
    /// An alias, upserted by its subject and name.
    async fn alias(&mut self, at: &str, a: &AliasRec) -> Result<()> {
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
            AliasSubject::Company(self.company_id(&format!("{at}.company"), name).await?)
        } else if a.person.is_some() {
            let id = self.person_id(&format!("{at}.person"), &a.person).await?;
            AliasSubject::Person(id.ok_or_else(|| Error::Internal("person".into()))?)
        } else if a.model.is_some() {
            let id = self.model_id(&format!("{at}.model"), &a.model).await?;
            AliasSubject::Model(id.ok_or_else(|| Error::Internal("model".into()))?)
        } else {
            let name = a.project.as_deref().unwrap_or_default();
            let row = project::Entity::find()
                .filter(project::Column::Name.eq(name))
                .one(self.txn)
                .await?
                .ok_or_else(|| {
                    Error::invalid(format!("{at}.project"), format!("unknown project {name:?}"))
                })?;
            AliasSubject::Project(row.id)
        };
        let source = match &a.source {
            Some(key) => Some((key, self.source_of(&format!("{at}.source"), key).await?)),
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
        let (column, id) = subject.column_and_id();
        let existing = alias::Entity::find()
            .filter(column.eq(id))
            .filter(alias::Column::Name.eq(columns.name.as_str()))
            .one(self.txn)
            .await?;
        save::<alias::ActiveModel>(self.txn, &mut self.report, existing, |m| columns.set_on(m))
            .await?;
        Ok(())
    }
}
