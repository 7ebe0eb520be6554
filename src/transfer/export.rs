//! `capex-graph export DIR-or-FILE.json`: the whole database in the import formats, read
//! table by table in pages of rows (with their citations), so memory holds one page and
//! the names that rows use to point at each other, never a whole large table.

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
}

trait Sink: Send {
    fn section(&mut self, name: &str) -> std::io::Result<()>;
    fn write(&mut self, record: &Record) -> Result<()>;
    fn finish(&mut self) -> std::io::Result<()>;
}

/// The dataset format, one record per line.
struct JsonSink {
    out: BufWriter<File>,
    sections: usize,
    in_section: usize,
}

impl JsonSink {
    fn new(file: File) -> Self {
        JsonSink {
            out: BufWriter::new(file),
            sections: 0,
            in_section: 0,
        }
    }

    fn record<T: Serialize>(&mut self, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))?;
        let sep = if self.in_section == 0 { "\n" } else { ",\n" };
        self.in_section += 1;
        write!(self.out, "{sep}    {text}").map_err(|e| Error::Internal(e.to_string()))
    }
}

impl Sink for JsonSink {
    fn section(&mut self, name: &str) -> std::io::Result<()> {
        let open = if self.sections == 0 {
            "{\n"
        } else if self.in_section == 0 {
            "],\n"
        } else {
            "\n  ],\n"
        };
        self.sections += 1;
        self.in_section = 0;
        write!(self.out, "{open}  \"{name}\": [")
    }

    fn write(&mut self, record: &Record) -> Result<()> {
        match record {
            Record::Source(r) => self.record(r),
            Record::Company(r) => self.record(r),
            Record::Person(r) => self.record(r),
            Record::Model(r) => self.record(r),
            Record::Investment(r) => self.record(r),
            Record::Project(r) => self.record(r),
            Record::Figure(r) => self.record(r),
            Record::Claim(r) => self.record(r),
            Record::Event(r) => self.record(r),
            Record::Alias(r) => self.record(r),
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        let close = match (self.sections, self.in_section) {
            (0, _) => "{",
            (_, 0) => "]",
            _ => "\n  ]",
        };
        writeln!(self.out, "{close}\n}}")?;
        self.out.flush()
    }
}

/// One CSV file per row type.
struct CsvSink {
    writers: HashMap<&'static str, csv::Writer<BufWriter<File>>>,
}

impl CsvSink {
    fn new(dir: &Path) -> Result<Self> {
        let mut writers = HashMap::new();
        for kind in CsvKind::ALL {
            let path = dir.join(format!("{}.csv", kind.file_stem()));
            let file = File::create(&path).map_err(|e| {
                Error::invalid(path.display().to_string(), format!("cannot write: {e}"))
            })?;
            writers.insert(
                kind.file_stem(),
                csv::Writer::from_writer(BufWriter::new(file)),
            );
        }
        Ok(CsvSink { writers })
    }

    fn rows<T: Serialize>(&mut self, file: &'static str, rows: Vec<T>) -> Result<()> {
        let writer = self
            .writers
            .get_mut(file)
            .ok_or_else(|| Error::Internal(format!("no writer for {file}")))?;
        for row in rows {
            writer
                .serialize(row)
                .map_err(|e| Error::Internal(format!("{file}.csv: {e}")))?;
        }
        Ok(())
    }
}

impl Sink for CsvSink {
    fn section(&mut self, _name: &str) -> std::io::Result<()> {
        Ok(())
    }

    fn write(&mut self, record: &Record) -> Result<()> {
        match record {
            Record::Source(r) => self.rows("sources", SourceRow::from_rec(r)),
            Record::Company(r) => self.rows("companies", CompanyRow::from_rec(r)),
            Record::Person(r) => self.rows("people", PersonRow::from_rec(r)),
            Record::Model(r) => self.rows("models", ModelRow::from_rec(r)),
            Record::Investment(r) => self.rows("investments", InvestmentRow::from_rec(r)),
            Record::Project(r) => {
                self.rows("projects", ProjectRow::from_rec(r))?;
                for b in &r.backers {
                    self.rows("project_backers", BackerRow::from_rec(&r.name, b))?;
                }
                Ok(())
            }
            Record::Figure(r) => self.rows("spending_figures", FigureRow::from_rec(r)),
            Record::Claim(r) => {
                self.rows("claims", ClaimRow::from_rec(r))?;
                for ch in &r.challenges {
                    self.rows("claim_challenges", ChallengeRow::from_rec(&r.r#ref, ch))?;
                }
                Ok(())
            }
            Record::Event(r) => self.rows("events", EventRow::from_rec(r)),
            Record::Alias(r) => self.rows("aliases", vec![r.clone()]),
        }
    }

    fn finish(&mut self) -> std::io::Result<()> {
        for writer in self.writers.values_mut() {
            writer.flush()?;
        }
        Ok(())
    }
}

/// How rows name each other in the formats: companies, people, models and projects by
/// name, sources by key, facts by ref.
#[derive(Default)]
struct Names {
    companies: HashMap<i32, String>,
    people: HashMap<i32, String>,
    models: HashMap<i32, String>,
    projects: HashMap<i32, String>,
    sources: HashMap<i32, String>,
    figures: HashMap<i32, String>,
    claims: HashMap<i32, String>,
}

impl Names {
    async fn load(db: &DatabaseConnection) -> Result<Names> {
        let mut names = Names::default();
        for_pages::<company::Entity>(db, |rows| {
            names
                .companies
                .extend(rows.iter().map(|r| (r.id, r.name.clone())));
        })
        .await?;
        for_pages::<person::Entity>(db, |rows| {
            names
                .people
                .extend(rows.iter().map(|r| (r.id, r.name.clone())));
        })
        .await?;
        for_pages::<ai_model::Entity>(db, |rows| {
            names
                .models
                .extend(rows.iter().map(|r| (r.id, r.name.clone())));
        })
        .await?;
        for_pages::<project::Entity>(db, |rows| {
            names
                .projects
                .extend(rows.iter().map(|r| (r.id, r.name.clone())));
        })
        .await?;
        for_pages::<source::Entity>(db, |rows| {
            names
                .sources
                .extend(rows.iter().map(|r| (r.id, r.key.clone())));
        })
        .await?;
        for_pages::<spending_figure::Entity>(db, |rows| {
            names.figures.extend(
                rows.iter()
                    .filter_map(|r| Some((r.id, r.reference.clone()?))),
            );
        })
        .await?;
        for_pages::<claim::Entity>(db, |rows| {
            names.claims.extend(
                rows.iter()
                    .filter_map(|r| Some((r.id, r.reference.clone()?))),
            );
        })
        .await?;
        Ok(names)
    }

    fn get(map: &HashMap<i32, String>, id: Option<i32>, what: &str) -> Result<Option<String>> {
        match id {
            None => Ok(None),
            Some(id) => map
                .get(&id)
                .cloned()
                .map(Some)
                .ok_or_else(|| Error::Internal(format!("{what} {id} has no name to export"))),
        }
    }

    fn company(&self, id: Option<i32>) -> Result<Option<String>> {
        Names::get(&self.companies, id, "company")
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

fn date(on: Option<NaiveDate>, precision: Option<DatePrecision>) -> Option<DateRec> {
    Some(DateRec {
        date: on?,
        precision: precision.unwrap_or(DatePrecision::Day),
    })
}

fn amount(minor: Option<i64>, currency: &Option<String>) -> Option<AmountRec> {
    let (minor, currency) = (minor?, currency.clone()?);
    Some(AmountRec {
        amount: money::format_amount(minor, &currency),
        currency,
    })
}

fn reference(r: Option<String>, what: &str, id: i32) -> Result<String> {
    r.ok_or_else(|| {
        Error::invalid(
            format!("{what} {id}"),
            "has no ref: the export formats name facts by their ref",
        )
    })
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

fn company_rec(names: &Names, c: company::Model, citations: Vec<CitationRec>) -> Result<Record> {
    Ok(Record::Company(CompanyRec {
        parent: names.company(c.parent_id)?,
        founded_by_alumni_of: names.company(c.founded_by_alumni_of_id)?,
        name: c.name,
        ticker: c.ticker,
        kind: c.kind,
        country: c.country,
        headquarters: c.headquarters,
        description: c.description,
        citations,
    }))
}

fn person_rec(names: &Names, p: person::Model, citations: Vec<CitationRec>) -> Result<Record> {
    Ok(Record::Person(PersonRec {
        company: names.company(p.company_id)?,
        name: p.name,
        title: p.title,
        description: p.description,
        citations,
    }))
}

fn model_rec(names: &Names, m: ai_model::Model, citations: Vec<CitationRec>) -> Result<Record> {
    Ok(Record::Model(ModelRec {
        provenance: None,
        developer: names.company(Some(m.developer_id))?.unwrap_or_default(),
        announced: date(m.announced_on, m.announced_precision),
        expected: date(m.expected_on, m.expected_precision),
        name: m.name,
        kind: m.kind,
        description: m.description,
        citations,
    }))
}

fn investment_rec(
    names: &Names,
    i: investment::Model,
    citations: Vec<CitationRec>,
) -> Result<Record> {
    Ok(Record::Investment(InvestmentRec {
        provenance: None,
        r#ref: reference(i.reference, "investment", i.id)?,
        investor: names.company(Some(i.investor_id))?.unwrap_or_default(),
        investee: names.company(Some(i.investee_id))?.unwrap_or_default(),
        amount: amount(i.amount_minor, &i.currency),
        made: date(i.made_on, i.made_precision),
        description: i.description,
        citations,
    }))
}

fn figure_rec(
    names: &Names,
    f: spending_figure::Model,
    citations: Vec<CitationRec>,
) -> Result<Record> {
    let format = |v: Option<i64>| v.map(|m| money::format_amount(m, &f.currency));
    Ok(Record::Figure(FigureRec {
        provenance: None,
        shares: None,
        r#ref: reference(f.reference.clone(), "spending figure", f.id)?,
        company: names.company(f.company_id)?,
        project: Names::get(&names.projects, f.project_id, "project")?,
        model: Names::get(&names.models, f.ai_model_id, "model")?,
        category: f.category,
        status: f.status,
        bound: f.bound,
        low: format(f.amount_low_minor),
        high: format(f.amount_high_minor),
        currency: f.currency.clone(),
        period: PeriodRec {
            kind: f.period_kind,
            year: f.period_year,
            quarter: f.period_quarter,
            start: f.period_start,
            end: f.period_end,
            years: f.period_years,
        },
        focus: f.focus,
        remarks: f.remarks,
        stated: date(f.stated_on, f.stated_precision),
        derived_from: Names::get(&names.figures, f.derived_from_id, "spending figure")?,
        expectation: match (f.expectation_holder, f.above_expectation_bp) {
            (Some(holder), Some(bp)) => Some(ExpectationRec {
                holder,
                percent_above: money::format_scaled(i128::from(bp), 2),
            }),
            _ => None,
        },
        citations,
    }))
}

fn event_rec(names: &Names, e: event::Model, citations: Vec<CitationRec>) -> Result<Record> {
    Ok(Record::Event(EventRec {
        provenance: None,
        r#ref: reference(e.reference, "event", e.id)?,
        name: e.name,
        kind: e.kind,
        occurred: date(e.occurred_on, e.occurred_precision),
        company: names.company(e.company_id)?,
        trigger_claim: Names::get(&names.claims, e.trigger_claim_id, "claim")?,
        description: e.description,
        citations,
    }))
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
