//! Loading the facts: investments, projects and their backers, spending figures (and, in a
//! second pass, the figure each derives from), claims and their challenges, events; each
//! with its citations and provenance notes.

use entity::spending_figure;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};

use super::{Load, Subject};
use crate::dataset::records::*;
use crate::domain::At;
use crate::domain::rows::*;
use crate::error::{Error, Result};

impl Load<'_> {
    pub(super) async fn investment(&mut self, at: &str, inv: &InvestmentRec) -> Result<()> {
        let investor_id = self.company_id(at, "investor", &inv.investor).await?;
        let investee_id = self.company_id(at, "investee", &inv.investee).await?;
        let columns = InvestmentDraft {
            reference: &inv.r#ref,
            investor_id,
            investee_id,
            amount: inv.amount.as_ref(),
            made: inv.made.as_ref(),
            description: inv.description.as_deref(),
        }
        .check(At::dataset(at))?;
        self.upsert_cited(
            at,
            columns,
            Subject::Investment,
            &inv.citations,
            &inv.provenance,
        )
        .await?;
        Ok(())
    }

    pub(super) async fn project(&mut self, at: &str, p: &ProjectRec) -> Result<()> {
        let lead_id = self.opt_company_id(at, "lead", &p.lead).await?;
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
        let id = self
            .upsert_cited(at, columns, Subject::Project, &p.citations, &p.provenance)
            .await?;
        for (i, b) in p.backers.iter().enumerate() {
            self.backer(&format!("{at}.backers[{i}]"), id, b).await?;
        }
        Ok(())
    }

    pub(in crate::dataset) async fn backer(
        &mut self,
        at: &str,
        project_id: i32,
        b: &BackerRec,
    ) -> Result<()> {
        let company_id = self.company_id(at, "company", &b.company).await?;
        let backer = self
            .upsert(BackerColumns {
                project_id,
                company_id,
                role: b.role,
            })
            .await?;
        self.cite(at, Subject::Backer(backer.id), &b.citations)
            .await
    }

    pub(super) async fn figure(&mut self, at: &str, f: &FigureRec) -> Result<()> {
        let company_id = self.opt_company_id(at, "company", &f.company).await?;
        let project_id = match &f.project {
            Some(name) => Some(self.project_id(at, "project", name).await?),
            None => None,
        };
        let model_id = self.model_id(at, "model", &f.model).await?;
        let stated_by = self.person_id(at, "statedBy", &f.stated_by).await?;
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
            stated_by_person_id: stated_by,
            expectation: f.expectation.as_ref().map(|e| ExpectationDraft {
                holder: &e.holder,
                percent_above: &e.percent_above,
            }),
        }
        .check(At::dataset(at))?;
        let id = self
            .upsert_cited(at, columns, Subject::Figure, &f.citations, &f.provenance)
            .await?;
        self.save_shares(at, id, &f.citations, &f.shares).await
    }

    pub(super) async fn figure_link(&mut self, at: &str, f: &FigureRec) -> Result<()> {
        let derived_from = self.figure_id(at, "derivedFrom", &f.derived_from).await?;
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

    pub(super) async fn claim(&mut self, at: &str, c: &ClaimRec) -> Result<()> {
        let person_id = self
            .person_id(at, "claimantPerson", &c.claimant_person)
            .await?;
        let company_id = self
            .opt_company_id(at, "claimantCompany", &c.claimant_company)
            .await?;
        let subject_company = self
            .opt_company_id(at, "subjectCompany", &c.subject_company)
            .await?;
        let subject_model = self.model_id(at, "subjectModel", &c.subject_model).await?;
        let figure = self
            .figure_id(at, "spendingFigure", &c.spending_figure)
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
        let id = self
            .upsert_cited(at, columns, Subject::Claim, &c.citations, &c.provenance)
            .await?;
        for (i, ch) in c.challenges.iter().enumerate() {
            self.challenge(&format!("{at}.challenges[{i}]"), id, ch)
                .await?;
        }
        Ok(())
    }

    pub(in crate::dataset) async fn challenge(
        &mut self,
        at: &str,
        claim_id: i32,
        ch: &ChallengeRec,
    ) -> Result<()> {
        let challenger_company = self
            .opt_company_id(at, "challengerCompany", &ch.challenger_company)
            .await?;
        let challenger_person = self
            .person_id(at, "challengerPerson", &ch.challenger_person)
            .await?;
        let columns = ChallengeDraft {
            claim_id,
            challenger_company_id: challenger_company,
            challenger_person_id: challenger_person,
            kind: ch.kind,
            description: &ch.description,
        }
        .check(At::dataset(at))?;
        let challenge = self.upsert(columns).await?;
        self.cite(at, Subject::Challenge(challenge.id), &ch.citations)
            .await
    }

    pub(super) async fn event(&mut self, at: &str, e: &EventRec) -> Result<()> {
        let company_id = self.opt_company_id(at, "company", &e.company).await?;
        let trigger = self.claim_id(at, "triggerClaim", &e.trigger_claim).await?;
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
        self.upsert_cited(at, columns, Subject::Event, &e.citations, &e.provenance)
            .await?;
        Ok(())
    }
}
