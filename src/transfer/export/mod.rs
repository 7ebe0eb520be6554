//! `capex-graph export DIR-or-FILE.json`: the whole database in the import formats, read
//! table by table in pages of rows (with their citations), so memory holds one page and
//! the names that rows use to point at each other, never a whole large table.
//!
//! Here the export's order and its paging; [`sink`] writes the formats, [`names`] holds
//! the names rows point at each other by, [`convert`] turns rows into records.

mod convert;
mod names;
mod sink;

use self::convert::*;
use self::names::Names;
use self::sink::{CsvSink, JsonSink, Sink};

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use chrono::NaiveDate;
use entity::enums::DatePrecision;
use entity::*;
use sea_orm::sea_query::{Alias, Expr};
use sea_orm::{DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use super::import::CsvKind;
use super::notes;
use super::provenance_csv;
use super::rows::*;
use crate::data::loaders::Row;
use crate::dataset::*;
use crate::error::{Error, Result};
use crate::money;

/// Rows read per statement.
const PAGE: u64 = 5000;

/// What `export` wrote.
#[derive(Debug, Clone, Default)]
pub struct ExportReport {
    /// Records written (JSON records, or CSV lines without headers).
    pub records: u64,
}

/// Writes the whole database to `target`: a `.json` file in the dataset format, or else a
/// directory (created if missing) of CSV files, one per row type.
pub async fn export(db: &DatabaseConnection, target: &Path) -> Result<ExportReport> {
    let io = |e: std::io::Error| {
        Error::invalid(target.display().to_string(), format!("cannot write: {e}"))
    };
    let mut sink: Box<dyn Sink + Send> = if target.extension().is_some_and(|e| e == "json") {
        Box::new(JsonSink::new(File::create(target).map_err(io)?))
    } else {
        std::fs::create_dir_all(target).map_err(io)?;
        Box::new(CsvSink::new(target)?)
    };
    let names = Names::load(db).await?;
    let mut records = 0;
    records += export_sources(db, sink.as_mut()).await?;
    records += export_table::<company::Entity>(
        db,
        &names,
        sink.as_mut(),
        "companies",
        citation::Column::CompanyId,
        company_rec,
    )
    .await?;
    records += export_table::<person::Entity>(
        db,
        &names,
        sink.as_mut(),
        "people",
        citation::Column::PersonId,
        person_rec,
    )
    .await?;
    records += export_table::<ai_model::Entity>(
        db,
        &names,
        sink.as_mut(),
        "models",
        citation::Column::AiModelId,
        model_rec,
    )
    .await?;
    records += export_table::<investment::Entity>(
        db,
        &names,
        sink.as_mut(),
        "investments",
        citation::Column::InvestmentId,
        investment_rec,
    )
    .await?;
    records += export_projects(db, &names, sink.as_mut()).await?;
    records += export_table::<spending_figure::Entity>(
        db,
        &names,
        sink.as_mut(),
        "spendingFigures",
        citation::Column::SpendingFigureId,
        figure_rec,
    )
    .await?;
    records += export_claims(db, &names, sink.as_mut()).await?;
    records += export_table::<event::Entity>(
        db,
        &names,
        sink.as_mut(),
        "events",
        citation::Column::EventId,
        event_rec,
    )
    .await?;
    records += export_aliases(db, &names, sink.as_mut()).await?;
    sink.finish().map_err(io)?;
    Ok(ExportReport { records })
}

/// One exported record.
enum Record {
    Source(SourceRec),
    Company(CompanyRec),
    Person(PersonRec),
    Model(ModelRec),
    Investment(InvestmentRec),
    Project(ProjectRec),
    Figure(FigureRec),
    Claim(ClaimRec),
    Event(EventRec),
    Alias(AliasRec),
}

impl Record {
    /// Sets the provenance notes (and a figure's shares) read beside the row.
    fn annotate(&mut self, notes: Option<Notes>, shares: Option<Vec<ShareRec>>) {
        let notes = notes.filter(|n| !n.is_empty());
        match self {
            Record::Source(r) => r.provenance = notes,
            Record::Model(r) => r.provenance = notes,
            Record::Investment(r) => r.provenance = notes,
            Record::Project(r) => r.provenance = notes,
            Record::Figure(r) => {
                r.provenance = notes;
                r.shares = shares.filter(|s| !s.is_empty());
            }
            Record::Claim(r) => r.provenance = notes,
            Record::Event(r) => r.provenance = notes,
            Record::Company(_) | Record::Person(_) | Record::Alias(_) => {}
        }
    }

    /// The row's notes, with its type and natural key, as `provenance.csv` names them.
    fn notes(&self) -> Option<(&'static str, &str, &Notes)> {
        let (typename, key, notes) = match self {
            Record::Source(r) => ("Source", &r.key, &r.provenance),
            Record::Model(r) => ("AiModel", &r.name, &r.provenance),
            Record::Investment(r) => ("Investment", &r.r#ref, &r.provenance),
            Record::Project(r) => ("Project", &r.name, &r.provenance),
            Record::Figure(r) => ("SpendingFigure", &r.r#ref, &r.provenance),
            Record::Claim(r) => ("Claim", &r.r#ref, &r.provenance),
            Record::Event(r) => ("Event", &r.r#ref, &r.provenance),
            Record::Company(_) | Record::Person(_) | Record::Alias(_) => return None,
        };
        Some((typename, key.as_str(), notes.as_ref()?))
    }
}

async fn page<E: EntityTrait>(db: &DatabaseConnection, after: i32) -> Result<Vec<E::Model>> {
    Ok(E::find()
        .filter(Expr::col(Alias::new("id")).gt(after))
        .order_by_asc(Expr::col(Alias::new("id")))
        .limit(PAGE)
        .all(db)
        .await?)
}

async fn for_pages<E>(db: &DatabaseConnection, mut f: impl FnMut(&[E::Model])) -> Result<()>
where
    E: EntityTrait,
    E::Model: Row,
{
    let mut after = 0;
    loop {
        let rows = page::<E>(db, after).await?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.row_id();
        f(&rows);
    }
}

/// The citations of rows `ids` through subject column `column`, by row id, in id order.
async fn citations(
    db: &DatabaseConnection,
    names: &Names,
    column: citation::Column,
    ids: Vec<i32>,
) -> Result<HashMap<i32, Vec<CitationRec>>> {
    use sea_orm::ColumnTrait;
    let rows = citation::Entity::find()
        .filter(column.is_in(ids))
        .order_by_asc(citation::Column::Id)
        .all(db)
        .await?;
    let mut by_subject: HashMap<i32, Vec<CitationRec>> = HashMap::new();
    for c in rows {
        let subject = match column {
            citation::Column::CompanyId => c.company_id,
            citation::Column::PersonId => c.person_id,
            citation::Column::AiModelId => c.ai_model_id,
            citation::Column::InvestmentId => c.investment_id,
            citation::Column::ProjectId => c.project_id,
            citation::Column::ProjectBackerId => c.project_backer_id,
            citation::Column::SpendingFigureId => c.spending_figure_id,
            citation::Column::ClaimId => c.claim_id,
            citation::Column::ClaimChallengeId => c.claim_challenge_id,
            citation::Column::EventId => c.event_id,
            _ => None,
        };
        let Some(subject) = subject else { continue };
        let source = Names::get(&names.sources, Some(c.source_id), "source")?.unwrap_or_default();
        by_subject.entry(subject).or_default().push(CitationRec {
            source,
            quote: c.quote,
        });
    }
    Ok(by_subject)
}

type Convert<M> = fn(&Names, M, Vec<CitationRec>) -> Result<Record>;

async fn export_table<E>(
    db: &DatabaseConnection,
    names: &Names,
    sink: &mut (dyn Sink + Send),
    section: &str,
    column: citation::Column,
    convert: Convert<E::Model>,
) -> Result<u64>
where
    E: EntityTrait,
    E::Model: Row,
{
    sink.section(section)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut after = 0;
    let mut count = 0;
    loop {
        let rows = page::<E>(db, after).await?;
        let Some(last) = rows.last() else {
            return Ok(count);
        };
        after = last.row_id();
        let ids: Vec<i32> = rows.iter().map(Row::row_id).collect();
        let mut cited = citations(db, names, column, ids.clone()).await?;
        let mut notes = notes::notes_of(db, section, &ids).await?;
        let mut shares = if section == "spendingFigures" {
            notes::shares_of(db, &ids).await?
        } else {
            HashMap::new()
        };
        for row in rows {
            let id = row.row_id();
            let mut record = convert(names, row, cited.remove(&id).unwrap_or_default())?;
            record.annotate(notes.remove(&id), shares.remove(&id));
            sink.write(&record)?;
            count += 1;
        }
    }
}

async fn export_sources(db: &DatabaseConnection, sink: &mut (dyn Sink + Send)) -> Result<u64> {
    sink.section("sources")
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut after = 0;
    let mut count = 0;
    loop {
        let rows = page::<source::Entity>(db, after).await?;
        let Some(last) = rows.last() else {
            return Ok(count);
        };
        after = last.id;
        let ids: Vec<i32> = rows.iter().map(|s| s.id).collect();
        let mut notes = notes::notes_of(db, "sources", &ids).await?;
        for s in rows {
            let provenance = notes.remove(&s.id);
            sink.write(&Record::Source(SourceRec {
                provenance,
                key: s.key,
                title: s.title,
                publisher: s.publisher,
                published: date(s.published_on, s.published_precision),
                address: s.address,
                content_file: None,
                content: s.content,
            }))?;
            count += 1;
        }
    }
}
async fn export_projects(
    db: &DatabaseConnection,
    names: &Names,
    sink: &mut (dyn Sink + Send),
) -> Result<u64> {
    use sea_orm::ColumnTrait;
    sink.section("projects")
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut after = 0;
    let mut count = 0;
    loop {
        let rows = page::<project::Entity>(db, after).await?;
        let Some(last) = rows.last() else {
            return Ok(count);
        };
        after = last.id;
        let ids: Vec<i32> = rows.iter().map(|p| p.id).collect();
        let mut cited = citations(db, names, citation::Column::ProjectId, ids.clone()).await?;
        let mut notes = notes::notes_of(db, "projects", &ids).await?;
        let backers = project_backer::Entity::find()
            .filter(project_backer::Column::ProjectId.is_in(ids))
            .order_by_asc(project_backer::Column::Id)
            .all(db)
            .await?;
        let mut backer_cited = citations(
            db,
            names,
            citation::Column::ProjectBackerId,
            backers.iter().map(|b| b.id).collect(),
        )
        .await?;
        let mut by_project: HashMap<i32, Vec<BackerRec>> = HashMap::new();
        for b in backers {
            by_project.entry(b.project_id).or_default().push(BackerRec {
                company: names.company(Some(b.company_id))?.unwrap_or_default(),
                role: b.role,
                citations: backer_cited.remove(&b.id).unwrap_or_default(),
            });
        }
        for p in rows {
            sink.write(&Record::Project(ProjectRec {
                provenance: notes.remove(&p.id),
                lead: names.company(p.lead_company_id)?,
                planned_amount: amount(p.planned_amount_minor, &p.currency),
                announced: date(p.announced_on, p.announced_precision),
                horizon_years: p.horizon_years,
                has_unnamed_backers: p.has_unnamed_backers,
                description: p.description,
                citations: cited.remove(&p.id).unwrap_or_default(),
                backers: by_project.remove(&p.id).unwrap_or_default(),
                name: p.name,
            }))?;
            count += 1;
        }
    }
}

async fn export_claims(
    db: &DatabaseConnection,
    names: &Names,
    sink: &mut (dyn Sink + Send),
) -> Result<u64> {
    use sea_orm::ColumnTrait;
    sink.section("claims")
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut after = 0;
    let mut count = 0;
    loop {
        let rows = page::<claim::Entity>(db, after).await?;
        let Some(last) = rows.last() else {
            return Ok(count);
        };
        after = last.id;
        let ids: Vec<i32> = rows.iter().map(|c| c.id).collect();
        let mut cited = citations(db, names, citation::Column::ClaimId, ids.clone()).await?;
        let mut notes = notes::notes_of(db, "claims", &ids).await?;
        let challenges = claim_challenge::Entity::find()
            .filter(claim_challenge::Column::ClaimId.is_in(ids))
            .order_by_asc(claim_challenge::Column::Id)
            .all(db)
            .await?;
        let mut challenge_cited = citations(
            db,
            names,
            citation::Column::ClaimChallengeId,
            challenges.iter().map(|c| c.id).collect(),
        )
        .await?;
        let mut by_claim: HashMap<i32, Vec<ChallengeRec>> = HashMap::new();
        for ch in challenges {
            by_claim.entry(ch.claim_id).or_default().push(ChallengeRec {
                challenger_company: names.company(ch.challenger_company_id)?,
                challenger_person: Names::get(&names.people, ch.challenger_person_id, "person")?,
                kind: ch.kind,
                description: ch.description,
                citations: challenge_cited.remove(&ch.id).unwrap_or_default(),
            });
        }
        for c in rows {
            sink.write(&Record::Claim(ClaimRec {
                provenance: notes.remove(&c.id),
                r#ref: reference(c.reference, "claim", c.id)?,
                statement: c.statement,
                kind: c.kind,
                status: c.status,
                claimant_person: Names::get(&names.people, c.claimant_person_id, "person")?,
                claimant_company: names.company(c.claimant_company_id)?,
                subject_company: names.company(c.subject_company_id)?,
                subject_model: Names::get(&names.models, c.subject_model_id, "model")?,
                spending_figure: Names::get(
                    &names.figures,
                    c.spending_figure_id,
                    "spending figure",
                )?,
                amount: amount(c.amount_minor, &c.currency),
                made: date(c.made_on, c.made_precision),
                citations: cited.remove(&c.id).unwrap_or_default(),
                challenges: by_claim.remove(&c.id).unwrap_or_default(),
            }))?;
            count += 1;
        }
    }
}

async fn export_aliases(
    db: &DatabaseConnection,
    names: &Names,
    sink: &mut (dyn Sink + Send),
) -> Result<u64> {
    sink.section("aliases")
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut after = 0;
    let mut count = 0;
    loop {
        let rows = page::<entity::alias::Entity>(db, after).await?;
        let Some(last) = rows.last() else {
            return Ok(count);
        };
        after = last.id;
        for a in rows {
            sink.write(&Record::Alias(AliasRec {
                company: names.company(a.company_id)?,
                person: Names::get(&names.people, a.person_id, "person")?,
                model: Names::get(&names.models, a.ai_model_id, "model")?,
                project: Names::get(&names.projects, a.project_id, "project")?,
                name: a.name,
                kind: a.kind,
                source: Names::get(&names.sources, a.source_id, "source")?,
                quote: a.quote,
            }))?;
            count += 1;
        }
    }
}
