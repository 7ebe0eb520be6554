//! `capex-graph export DIR-or-FILE.json`: the whole database in the import formats, read
//! table by table in pages of rows (with their citations), so memory holds one page and
//! the names that rows use to point at each other, never a whole large table.
//!
//! Here the export's order and its paging; [`sink`] writes the formats, [`names`] holds
//! the names rows point at each other by, [`convert`] turns rows into records.

mod convert;
mod names;
mod sink;

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
    // The sections in the order import reads them.
    let sink = sink.as_mut();
    let mut records = 0;
    records += export_table::<source::Entity>(db, &names, sink).await?;
    records += export_table::<company::Entity>(db, &names, sink).await?;
    records += export_table::<person::Entity>(db, &names, sink).await?;
    records += export_table::<ai_model::Entity>(db, &names, sink).await?;
    records += export_table::<investment::Entity>(db, &names, sink).await?;
    records += export_table::<project::Entity>(db, &names, sink).await?;
    records += export_table::<spending_figure::Entity>(db, &names, sink).await?;
    records += export_table::<claim::Entity>(db, &names, sink).await?;
    records += export_table::<event::Entity>(db, &names, sink).await?;
    records += export_table::<alias::Entity>(db, &names, sink).await?;
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
    /// Sets what was read beside row `id`: its provenance notes, and a figure's shares, a
    /// project's backers or a claim's challenges.
    fn annotate(&mut self, beside: &mut Beside, id: i32) {
        let notes = beside.notes.remove(&id).filter(|n| !n.is_empty());
        match self {
            Record::Source(r) => r.provenance = notes,
            Record::Model(r) => r.provenance = notes,
            Record::Investment(r) => r.provenance = notes,
            Record::Project(r) => {
                r.provenance = notes;
                r.backers = beside.backers.remove(&id).unwrap_or_default();
            }
            Record::Figure(r) => {
                r.provenance = notes;
                r.shares = beside.shares.remove(&id).filter(|s| !s.is_empty());
            }
            Record::Claim(r) => {
                r.provenance = notes;
                r.challenges = beside.challenges.remove(&id).unwrap_or_default();
            }
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
        let source = names.sources.of(Some(c.source_id))?.unwrap_or_default();
        by_subject.entry(subject).or_default().push(CitationRec {
            source,
            quote: c.quote,
        });
    }
    Ok(by_subject)
}

/// A table the export writes as a section of records: the section's name, the column of
/// `citation` that points at its rows (`None` for a table that sources do not cite), and a
/// row as its record, without what [`Record::annotate`] sets.
trait Exported: EntityTrait<Model: Row> {
    const SECTION: &'static str;
    const CITED: Option<citation::Column>;
    fn record(names: &Names, row: Self::Model, citations: Vec<CitationRec>) -> Result<Record>;
}

/// A table whose rows the export nests in their parent's record: a project's backers, a
/// claim's challenges.
trait Nested: EntityTrait<Model: Row> {
    type Rec;
    /// The column that points at the parent row.
    const PARENT: Self::Column;
    /// The column of `citation` that points at a row.
    const CITED: citation::Column;
    /// The row's parent id and its record.
    fn record(
        names: &Names,
        row: Self::Model,
        citations: Vec<CitationRec>,
    ) -> Result<(i32, Self::Rec)>;
}

/// The rows of table `N` under the parents `ids`, as records by parent id, in id order.
async fn nested<N: Nested>(
    db: &DatabaseConnection,
    names: &Names,
    ids: &[i32],
) -> Result<HashMap<i32, Vec<N::Rec>>> {
    use sea_orm::ColumnTrait;
    let rows = N::find()
        .filter(N::PARENT.is_in(ids.to_vec()))
        .order_by_asc(Expr::col(Alias::new("id")))
        .all(db)
        .await?;
    let ids = rows.iter().map(Row::row_id).collect();
    let mut cited = citations(db, names, Some(N::CITED), ids).await?;
    let mut by_parent: HashMap<i32, Vec<N::Rec>> = HashMap::new();
    for row in rows {
        let citations = cited.remove(&row.row_id()).unwrap_or_default();
        let (parent, record) = N::record(names, row, citations)?;
        by_parent.entry(parent).or_default().push(record);
    }
    Ok(by_parent)
}

/// What a page of rows has beside it in other tables, by row id.
#[derive(Default)]
struct Beside {
    notes: HashMap<i32, Notes>,
    shares: HashMap<i32, Vec<ShareRec>>,
    backers: HashMap<i32, Vec<BackerRec>>,
    challenges: HashMap<i32, Vec<ChallengeRec>>,
}

impl Beside {
    /// The provenance notes of the rows `ids` of `section`, and the figures' shares, the
    /// projects' backers or the claims' challenges when `section` has them.
    async fn read(
        db: &DatabaseConnection,
        names: &Names,
        section: &str,
        ids: &[i32],
    ) -> Result<Beside> {
        let mut beside = Beside {
            notes: notes::notes_of(db, section, ids).await?,
            ..Beside::default()
        };
        match section {
            "projects" => beside.backers = nested::<project_backer::Entity>(db, names, ids).await?,
            "spendingFigures" => beside.shares = notes::shares_of(db, ids).await?,
            "claims" => {
                beside.challenges = nested::<claim_challenge::Entity>(db, names, ids).await?;
            }
            _ => {}
        }
        Ok(beside)
    }
}

/// Writes table `E` as its section, page by page; returns the records written.
async fn export_table<E: Exported>(
    db: &DatabaseConnection,
    names: &Names,
    sink: &mut (dyn Sink + Send),
) -> Result<u64> {
    sink.section(E::SECTION)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let mut count = 0;
    let mut pages = Pages::<E>::new();
    while let Some(rows) = pages.next(db).await? {
        let ids: Vec<i32> = rows.iter().map(Row::row_id).collect();
        let mut cited = citations(db, names, E::CITED, ids.clone()).await?;
        let mut beside = Beside::read(db, names, E::SECTION, &ids).await?;
        for row in rows {
            let id = row.row_id();
            let mut record = E::record(names, row, cited.remove(&id).unwrap_or_default())?;
            record.annotate(&mut beside, id);
            sink.write(&record)?;
            count += 1;
        }
    }
    Ok(count)
}
