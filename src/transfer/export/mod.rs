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
    records +=
        export_table::<source::Entity>(db, &names, sink.as_mut(), "sources", None, source_rec)
            .await?;
    records += export_table::<company::Entity>(
        db,
        &names,
        sink.as_mut(),
        "companies",
        Some(citation::Column::CompanyId),
        company_rec,
    )
    .await?;
    records += export_table::<person::Entity>(
        db,
        &names,
        sink.as_mut(),
        "people",
        Some(citation::Column::PersonId),
        person_rec,
    )
    .await?;
    records += export_table::<ai_model::Entity>(
        db,
        &names,
        sink.as_mut(),
        "models",
        Some(citation::Column::AiModelId),
        model_rec,
    )
    .await?;
    records += export_table::<investment::Entity>(
        db,
        &names,
        sink.as_mut(),
        "investments",
        Some(citation::Column::InvestmentId),
        investment_rec,
    )
    .await?;
    records += export_projects(db, &names, sink.as_mut()).await?;
    records += export_table::<spending_figure::Entity>(
        db,
        &names,
        sink.as_mut(),
        "spendingFigures",
        Some(citation::Column::SpendingFigureId),
        figure_rec,
    )
    .await?;
    records += export_claims(db, &names, sink.as_mut()).await?;
    records += export_table::<event::Entity>(
        db,
        &names,
        sink.as_mut(),
        "events",
        Some(citation::Column::EventId),
        event_rec,
    )
    .await?;
    records += export_table::<alias::Entity>(db, &names, sink.as_mut(), "aliases", None, alias_rec)
        .await?;
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

/// A table read page by page in id order: `while let Some(rows) = pages.next(db).await?`.
struct Pages<E> {
    after: i32,
    table: std::marker::PhantomData<E>,
}

impl<E> Pages<E>
where
    E: EntityTrait,
    E::Model: Row,
{
    fn new() -> Self {
        Pages {
            after: 0,
            table: std::marker::PhantomData,
        }
    }

    /// The next page, or `None` after the last row.
    async fn next(&mut self, db: &DatabaseConnection) -> Result<Option<Vec<E::Model>>> {
        let rows = page::<E>(db, self.after).await?;
        let Some(last) = rows.last() else {
            return Ok(None);
        };
        self.after = last.row_id();
        Ok(Some(rows))
    }
}

async fn for_pages<E>(db: &DatabaseConnection, mut f: impl FnMut(&[E::Model])) -> Result<()>
where
    E: EntityTrait,
    E::Model: Row,
{
    let mut pages = Pages::<E>::new();
    while let Some(rows) = pages.next(db).await? {
        f(&rows);
    }
    Ok(())
}

/// The citations of rows `ids` through subject column `column`, by row id, in id order
/// (none for a table that sources do not cite, `column` `None`).
async fn citations(
    db: &DatabaseConnection,
    names: &Names,
    column: Option<citation::Column>,
    ids: Vec<i32>,
) -> Result<HashMap<i32, Vec<CitationRec>>> {
    use sea_orm::ColumnTrait;
    let Some(column) = column else {
        return Ok(HashMap::new());
    };
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
    column: Option<citation::Column>,
    convert: Convert<E::Model>,
) -> Result<u64>
where
    E: EntityTrait,
    E::Model: Row,
{
    sink.section(section)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut count = 0;
    let mut pages = Pages::<E>::new();
    while let Some(rows) = pages.next(db).await? {
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
    Ok(count)
}

async fn export_projects(
    db: &DatabaseConnection,
    names: &Names,
    sink: &mut (dyn Sink + Send),
) -> Result<u64> {
    use sea_orm::ColumnTrait;
    sink.section("projects")
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut count = 0;
    let mut pages = Pages::<project::Entity>::new();
    while let Some(rows) = pages.next(db).await? {
        let ids: Vec<i32> = rows.iter().map(|p| p.id).collect();
        let mut cited =
            citations(db, names, Some(citation::Column::ProjectId), ids.clone()).await?;
        let mut notes = notes::notes_of(db, "projects", &ids).await?;
        let backers = project_backer::Entity::find()
            .filter(project_backer::Column::ProjectId.is_in(ids))
            .order_by_asc(project_backer::Column::Id)
            .all(db)
            .await?;
        let mut backer_cited = citations(
            db,
            names,
            Some(citation::Column::ProjectBackerId),
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
    Ok(count)
}

async fn export_claims(
    db: &DatabaseConnection,
    names: &Names,
    sink: &mut (dyn Sink + Send),
) -> Result<u64> {
    use sea_orm::ColumnTrait;
    sink.section("claims")
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut count = 0;
    let mut pages = Pages::<claim::Entity>::new();
    while let Some(rows) = pages.next(db).await? {
        let ids: Vec<i32> = rows.iter().map(|c| c.id).collect();
        let mut cited = citations(db, names, Some(citation::Column::ClaimId), ids.clone()).await?;
        let mut notes = notes::notes_of(db, "claims", &ids).await?;
        let challenges = claim_challenge::Entity::find()
            .filter(claim_challenge::Column::ClaimId.is_in(ids))
            .order_by_asc(claim_challenge::Column::Id)
            .all(db)
            .await?;
        let mut challenge_cited = citations(
            db,
            names,
            Some(citation::Column::ClaimChallengeId),
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
    Ok(count)
}
