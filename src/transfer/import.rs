//! `capex-graph import FILE...`: JSON datasets and CSV files, all in one transaction.
//!
//! CSV files are read one line at a time and each line is loaded before the next is read,
//! so memory stays flat however large the file. JSON files up to 32 MiB are parsed whole
//! (the hand-written, article-sized kind, whose sections may come in any order); larger ones
//! are read as a stream ([`super::stream`]), a thousand records at a time. An error names the file, the line (CSV) or the record
//! (JSON) and the column or field, and leaves the database as it was. Rows are matched by
//! natural key, so importing the same files twice changes nothing.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde::de::DeserializeOwned;

use super::bulk::{BulkInvestments, BulkReport};
use super::rows::*;
use crate::dataset::{AliasRec, BackerRec, ChallengeRec, Dataset, Loader};
use crate::error::{Error, Result};

/// The row types of the CSV format, in the order their files are loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CsvKind {
    Sources,
    Companies,
    People,
    Models,
    Investments,
    Projects,
    ProjectBackers,
    SpendingFigures,
    Claims,
    ClaimChallenges,
    Events,
    Aliases,
    Provenance,
    FigureShares,
}

impl CsvKind {
    /// Every kind, in load order.
    pub const ALL: [CsvKind; 14] = [
        CsvKind::Sources,
        CsvKind::Companies,
        CsvKind::People,
        CsvKind::Models,
        CsvKind::Investments,
        CsvKind::Projects,
        CsvKind::ProjectBackers,
        CsvKind::SpendingFigures,
        CsvKind::Claims,
        CsvKind::ClaimChallenges,
        CsvKind::Events,
        CsvKind::Aliases,
        CsvKind::Provenance,
        CsvKind::FigureShares,
    ];

    /// The file name without `.csv`.
    pub fn file_stem(self) -> &'static str {
        match self {
            CsvKind::Sources => "sources",
            CsvKind::Companies => "companies",
            CsvKind::People => "people",
            CsvKind::Models => "models",
            CsvKind::Investments => "investments",
            CsvKind::Projects => "projects",
            CsvKind::ProjectBackers => "project_backers",
            CsvKind::SpendingFigures => "spending_figures",
            CsvKind::Claims => "claims",
            CsvKind::ClaimChallenges => "claim_challenges",
            CsvKind::Events => "events",
            CsvKind::Aliases => "aliases",
            CsvKind::Provenance => "provenance",
            CsvKind::FigureShares => "figure_shares",
        }
    }

    /// The kind a file's name ends with: `investments.csv`, `2025-02-investments.csv`.
    fn of(path: &Path) -> Option<CsvKind> {
        let stem = path.file_stem()?.to_str()?;
        // Longest names first: "claim_challenges" before "challenges" would matter.
        let mut kinds = CsvKind::ALL;
        kinds.sort_by_key(|k| std::cmp::Reverse(k.file_stem().len()));
        kinds.into_iter().find(|k| {
            stem == k.file_stem()
                || stem
                    .strip_suffix(k.file_stem())
                    .is_some_and(|rest| rest.ends_with(['-', '_', '.']))
        })
    }
}

/// What `import` did.
#[derive(Debug, Clone)]
pub struct ImportReport {
    /// Files read.
    pub files: usize,
    /// CSV lines and JSON records read.
    pub records: u64,
    /// Rows created (citations included).
    pub inserted: usize,
    /// Rows that existed already, matched by natural key.
    pub matched: usize,
    /// Time taken.
    pub elapsed: Duration,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let rows = self.inserted + self.matched;
        write!(
            f,
            "imported {} records from {} files: {} rows inserted, {} matched, in {:.2} s ({:.0} records/s, {:.0} rows/s)",
            self.records,
            self.files,
            self.inserted,
            self.matched,
            secs,
            self.records as f64 / secs,
            rows as f64 / secs
        )
    }
}

enum Input {
    Json(PathBuf),
    Csv(CsvKind, PathBuf),
}

/// Imports `files` into `db` in one transaction: all of them or, on any error, nothing.
/// JSON files load first, in the order given, then CSV files in dependency order
/// (sources, companies, people, models, investments, projects, project backers, spending
/// figures, claims, claim challenges, events, aliases, then the provenance notes and the
/// figures' shares, see [`super::provenance_csv`]). `progress` draws a progress bar on stderr.
pub async fn import(
    db: &DatabaseConnection,
    files: &[PathBuf],
    progress: bool,
) -> Result<ImportReport> {
    import_with(db, files, progress, STREAM_JSON_ABOVE).await
}

/// [`import`], streaming JSON files larger than `stream_json_above` bytes.
pub async fn import_with(
    db: &DatabaseConnection,
    files: &[PathBuf],
    progress: bool,
    stream_json_above: u64,
) -> Result<ImportReport> {
    let started = Instant::now();
    let mut inputs = Vec::new();
    let mut total_bytes = 0;
    for path in files {
        let name = path.display().to_string();
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::invalid(&name, format!("cannot read: {e}")))?;
        total_bytes += meta.len();
        match path.extension().and_then(|e| e.to_str()) {
            Some("json") => inputs.push(Input::Json(path.clone())),
            Some("csv") => {
                let kind = CsvKind::of(path).ok_or_else(|| {
                    Error::invalid(
                        &name,
                        format!(
                            "a CSV file's name must end with its row type: one of {}",
                            CsvKind::ALL
                                .map(|k| format!("{}.csv", k.file_stem()))
                                .join(", ")
                        ),
                    )
                })?;
                inputs.push(Input::Csv(kind, path.clone()));
            }
            _ => {
                return Err(Error::invalid(
                    &name,
                    "only .json and .csv files can be imported",
                ));
            }
        }
    }
    inputs.sort_by_key(|input| match input {
        Input::Json(_) => None,
        Input::Csv(kind, _) => Some(*kind),
    });
    let bar = progress_bar(progress, total_bytes);
    let mut txn = crate::db::begin_write(db).await?;
    let mut loader = Loader::new(&txn);
    let mut records = 0u64;
    let mut done_bytes = 0u64;
    let mut bulk_report = BulkReport::default();
    for input in &inputs {
        match input {
            Input::Json(path) => {
                records +=
                    load_json(&mut loader, path, stream_json_above, &bar, done_bytes).await?;
            }
            Input::Csv(CsvKind::Investments, path) => {
                let (lines, report) = load_investments(&txn, path, &bar, done_bytes).await?;
                records += lines;
                bulk_report.inserted += report.inserted;
                bulk_report.matched += report.matched;
                bulk_report.investments += report.investments;
                bulk_report.citations += report.citations;
            }
            Input::Csv(kind @ (CsvKind::Provenance | CsvKind::FigureShares), path) => {
                records += super::provenance_csv::load(&txn, *kind, path).await?;
            }
            Input::Csv(kind, path) => {
                records += load_csv(&mut loader, *kind, path, &bar, done_bytes).await?;
            }
        }
        let path = match input {
            Input::Json(p) | Input::Csv(_, p) => p,
        };
        done_bytes += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        bar.set_position(done_bytes);
    }
    loader.check_derived().await?;
    let report = loader.report();
    drop(loader);
    // One summary per type the files wrote, with the rows written (created or matched).
    let mut written = report.by_table.clone();
    for (table, rows) in [
        ("investment", bulk_report.investments),
        ("citation", bulk_report.citations),
    ] {
        if rows > 0 {
            *written.entry(table).or_default() += rows;
        }
    }
    for (table, rows) in written {
        if let Some(typename) = crate::live::typename_of_table(table) {
            txn.record(crate::live::Change::bulk(typename, Some(rows)));
        }
    }
    txn.commit().await?;
    bar.finish_and_clear();
    Ok(ImportReport {
        files: inputs.len(),
        records,
        inserted: report.inserted + bulk_report.inserted,
        matched: report.matched + bulk_report.matched,
        elapsed: started.elapsed(),
    })
}

fn progress_bar(visible: bool, total: u64) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta}) {msg}",
    ) {
        bar.set_style(style);
    }
    bar
}

/// JSON files larger than this are read as a stream.
pub const STREAM_JSON_ABOVE: u64 = 32 * 1024 * 1024;

async fn load_json(
    loader: &mut Loader<'_>,
    path: &Path,
    stream_above: u64,
    bar: &ProgressBar,
    done_bytes: u64,
) -> Result<u64> {
    let name = path.display().to_string();
    let in_file = |err: Error| match err {
        Error::InvalidInput { field, message } if !field.starts_with(&name) => {
            Error::InvalidInput {
                field: format!("{name}: {field}"),
                message,
            }
        }
        other => other,
    };
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if size > stream_above {
        return load_json_stream(loader, path, bar, done_bytes)
            .await
            .map_err(in_file);
    }
    let dataset = Dataset::from_file(path).map_err(in_file)?;
    loader.add(&dataset).await.map_err(in_file)?;
    loader.link_companies(&dataset).await.map_err(in_file)?;
    loader.link_figures(&dataset).await.map_err(in_file)?;
    loader.check_derived().await.map_err(in_file)?;
    Ok(dataset.record_count() as u64)
}

/// Rows of one section whose links to other rows of the section are set once the whole
/// section is loaded (a parent company named after its subsidiary), with their indices.
#[derive(Default)]
struct Pending {
    part: Dataset,
    indices: Vec<usize>,
}

impl Pending {
    /// The error of the `j`-th pending row, named by its index in the file.
    fn rename(&self, err: Error, section: &str) -> Error {
        super::stream::reindex(err, section, |j| self.indices.get(j).copied())
    }
}

async fn load_json_stream(
    loader: &mut Loader<'_>,
    path: &Path,
    bar: &ProgressBar,
    done_bytes: u64,
) -> Result<u64> {
    use super::stream::{at_offset, pieces};
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut rx = pieces(path, read.clone());
    let mut records = 0u64;
    let (mut companies, mut figures) = (Pending::default(), Pending::default());
    let mut companies_linked = false;
    while let Some(piece) = rx.recv().await {
        let mut piece = piece?;
        let (section, offset) = (piece.section, piece.offset);
        if !companies_linked && section != "sources" && section != "companies" {
            loader
                .link_companies(&companies.part)
                .await
                .map_err(|e| companies.rename(e, "companies"))?;
            companies_linked = true;
        }
        piece
            .part
            .resolve_content(|file| {
                std::fs::read_to_string(dir.join(file))
                    .map_err(|e| format!("cannot read {file}: {e}"))
            })
            .map_err(|e| at_offset(e, section, offset))?;
        loader
            .add(&piece.part)
            .await
            .map_err(|e| at_offset(e, section, offset))?;
        // A streamed record names rows already read: so do the values notes derive from.
        loader
            .check_derived()
            .await
            .map_err(|e| at_offset(e, section, offset))?;
        records += piece.part.record_count() as u64;
        for (i, c) in piece.part.companies.into_iter().enumerate() {
            if c.parent.is_some() || c.founded_by_alumni_of.is_some() {
                companies.indices.push(offset + i);
                companies.part.companies.push(c);
            }
        }
        for (i, f) in piece.part.spending_figures.into_iter().enumerate() {
            if f.derived_from.is_some() {
                figures.indices.push(offset + i);
                figures.part.spending_figures.push(f);
            }
        }
        bar.set_position(done_bytes + read.load(std::sync::atomic::Ordering::Relaxed));
    }
    if !companies_linked {
        loader
            .link_companies(&companies.part)
            .await
            .map_err(|e| companies.rename(e, "companies"))?;
    }
    loader
        .link_figures(&figures.part)
        .await
        .map_err(|e| figures.rename(e, "spendingFigures"))?;
    Ok(records)
}

/// A CSV line, read and checked against its columns.
enum Line {
    Part(Dataset),
    Backer(String, BackerRec),
    Challenge(String, ChallengeRec),
}

fn part<T: CsvRow>(row: T) -> Result<Line> {
    let mut part = Dataset::default();
    row.into_part(&mut part, 0)?;
    Ok(Line::Part(part))
}

fn line_of(
    kind: CsvKind,
    record: &csv::StringRecord,
    headers: &csv::StringRecord,
) -> Result<Line, LineError> {
    fn de<T: DeserializeOwned>(
        record: &csv::StringRecord,
        headers: &csv::StringRecord,
    ) -> Result<T, LineError> {
        record
            .deserialize(Some(headers))
            .map_err(|e| LineError::Csv(csv_column(headers, &e), e.to_string()))
    }
    let checked = |r: Result<Line>| r.map_err(LineError::Row);
    match kind {
        CsvKind::Sources => checked(part(de::<SourceRow>(record, headers)?)),
        CsvKind::Companies => checked(part(de::<CompanyRow>(record, headers)?)),
        CsvKind::People => checked(part(de::<PersonRow>(record, headers)?)),
        CsvKind::Models => checked(part(de::<ModelRow>(record, headers)?)),
        CsvKind::Investments => checked(part(de::<InvestmentRow>(record, headers)?)),
        CsvKind::Projects => checked(part(de::<ProjectRow>(record, headers)?)),
        CsvKind::SpendingFigures => checked(part(de::<FigureRow>(record, headers)?)),
        CsvKind::Claims => checked(part(de::<ClaimRow>(record, headers)?)),
        CsvKind::Events => checked(part(de::<EventRow>(record, headers)?)),
        CsvKind::Aliases => checked(part(de::<AliasRec>(record, headers)?)),
        CsvKind::Provenance | CsvKind::FigureShares => Err(LineError::Row(Error::Internal(
            "notes files are read by transfer::provenance_csv".into(),
        ))),
        CsvKind::ProjectBackers => {
            let (project, backer) = de::<BackerRow>(record, headers)?
                .into_rec()
                .map_err(LineError::Row)?;
            Ok(Line::Backer(project, backer))
        }
        CsvKind::ClaimChallenges => {
            let (claim, challenge) = de::<ChallengeRow>(record, headers)?
                .into_rec()
                .map_err(LineError::Row)?;
            Ok(Line::Challenge(claim, challenge))
        }
    }
}

enum LineError {
    /// The line does not fit the columns (column name, if known).
    Csv(Option<String>, String),
    /// The row breaks a rule.
    Row(Error),
}

/// The CSV column a loader field path names: `investments[0].amount.currency` -> `currency`.
pub(super) fn column_of(field: &str) -> String {
    let rest = field.split_once("].").map(|(_, r)| r).unwrap_or(field);
    let last = rest.rsplit('.').next().unwrap_or(rest);
    let last = last.split('[').next().unwrap_or(last);
    let column = match rest {
        r if r.starts_with("citations[") => last.to_string(),
        "amount.amount" => "amount".into(),
        "plannedAmount.amount" => "planned_amount".into(),
        "period" => "period_kind".into(),
        "citations" => "source".into(),
        _ => last.to_string(),
    };
    let mut snake = String::new();
    for c in column.chars() {
        if c.is_ascii_uppercase() {
            snake.push('_');
            snake.push(c.to_ascii_lowercase());
        } else {
            snake.push(c);
        }
    }
    snake
}

/// `investments.csv` through the batched path: the same rules, fewer statements.
async fn load_investments(
    txn: &DatabaseTransaction,
    path: &Path,
    bar: &ProgressBar,
    base_bytes: u64,
) -> Result<(u64, BulkReport)> {
    let name = path.display().to_string();
    let (mut reader, headers) = open_csv(path, &name)?;
    let mut bulk = BulkInvestments::new(txn, &name);
    let mut record = csv::StringRecord::new();
    let mut lines = 0u64;
    while next_record(&mut reader, &mut record, &name)? {
        lines += 1;
        let line = record.position().map(|p| p.line()).unwrap_or(lines + 1);
        refuse_nul(&record, &headers, &name, line)?;
        let row: InvestmentRow = record
            .deserialize(Some(&headers))
            .map_err(|e| csv_error(&name, line, &headers, e))?;
        bulk.push(line, row).await?;
        if lines.is_multiple_of(1000) {
            bar.set_position(base_bytes + record.position().map(|p| p.byte()).unwrap_or(0));
        }
    }
    bulk.flush().await?;
    Ok((lines, bulk.report))
}

/// A CSV file's reader and header line.
pub(super) fn open_csv(
    path: &Path,
    name: &str,
) -> Result<(csv::Reader<std::fs::File>, csv::StringRecord)> {
    let mut reader = csv::ReaderBuilder::new()
        .from_path(path)
        .map_err(|e| Error::invalid(name, format!("cannot read: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| Error::invalid(name, format!("line 1: {e}")))?
        .clone();
    Ok((reader, headers))
}

pub(super) fn next_record(
    reader: &mut csv::Reader<std::fs::File>,
    record: &mut csv::StringRecord,
    name: &str,
) -> Result<bool> {
    reader.read_record(record).map_err(|e| {
        let line = e.position().map(|p| p.line()).unwrap_or(0);
        Error::invalid(format!("{name}: line {line}"), e.to_string())
    })
}

/// Refuses a CSV line with U+0000 in any field, naming its column (see
/// [`crate::dataset::NUL_MESSAGE`]).
pub(super) fn refuse_nul(
    record: &csv::StringRecord,
    headers: &csv::StringRecord,
    name: &str,
    line: u64,
) -> Result<()> {
    match record.iter().position(|field| field.contains('\0')) {
        Some(i) => Err(Error::invalid(
            format!(
                "{name}: line {line}, column {}",
                headers.get(i).unwrap_or("?")
            ),
            crate::dataset::NUL_MESSAGE,
        )),
        None => Ok(()),
    }
}

/// The column a line's value did not fit, when the error names one.
fn csv_column(headers: &csv::StringRecord, e: &csv::Error) -> Option<String> {
    match e.kind() {
        csv::ErrorKind::Deserialize { err, .. } => err
            .field()
            .and_then(|i| headers.get(i as usize))
            .map(str::to_string),
        _ => None,
    }
}

/// A line that does not fit the file's columns, named by file, line and column.
fn csv_error(name: &str, line: u64, headers: &csv::StringRecord, e: csv::Error) -> Error {
    match csv_column(headers, &e) {
        Some(c) => Error::invalid(format!("{name}: line {line}, column {c}"), e.to_string()),
        None => Error::invalid(format!("{name}: line {line}"), e.to_string()),
    }
}

async fn load_csv(
    loader: &mut Loader<'_>,
    kind: CsvKind,
    path: &Path,
    bar: &ProgressBar,
    base_bytes: u64,
) -> Result<u64> {
    let lines = read_csv(loader, kind, path, bar, base_bytes, false).await?;
    // Links that may point forward: a second pass once every row exists.
    if matches!(kind, CsvKind::Companies | CsvKind::SpendingFigures) {
        read_csv(loader, kind, path, bar, base_bytes, true).await?;
    }
    Ok(lines)
}

/// Reads one CSV file, line by line, into the loader: its rows, or (with `links`) the links
/// between rows that may point forward.
async fn read_csv(
    loader: &mut Loader<'_>,
    kind: CsvKind,
    path: &Path,
    bar: &ProgressBar,
    base_bytes: u64,
    links: bool,
) -> Result<u64> {
    let name = path.display().to_string();
    let name = name.as_str();
    let (mut reader, headers) = open_csv(path, name)?;
    let mut record = csv::StringRecord::new();
    let mut lines = 0u64;
    while next_record(&mut reader, &mut record, name)? {
        lines += 1;
        let line = record.position().map(|p| p.line()).unwrap_or(lines + 1);
        let at = |column: &str| format!("{name}: line {line}, column {column}");
        refuse_nul(&record, &headers, name, line)?;
        let parsed = line_of(kind, &record, &headers).map_err(|e| match e {
            LineError::Csv(column, message) => match column {
                Some(c) => Error::invalid(at(&c), message),
                None => Error::invalid(format!("{name}: line {line}"), message),
            },
            LineError::Row(Error::InvalidInput { field, message }) => {
                Error::invalid(at(&column_of(&field)), message)
            }
            LineError::Row(other) => other,
        })?;
        let loaded = match (&parsed, links) {
            (Line::Part(part), false) => loader.add(part).await,
            (Line::Part(part), true) if kind == CsvKind::Companies => {
                loader.link_companies(part).await
            }
            (Line::Part(part), true) => loader.link_figures(part).await,
            (Line::Backer(project, backer), _) => loader.add_backer("x[0]", project, backer).await,
            (Line::Challenge(claim, challenge), _) => {
                loader.add_challenge("x[0]", claim, challenge).await
            }
        };
        loaded.map_err(|e| match e {
            Error::InvalidInput { field, message } => {
                Error::invalid(at(&column_of(&field)), message)
            }
            Error::Database(db) => match crate::error::violated_unique_key(&db) {
                Some((_, columns)) => Error::invalid(
                    format!("{name}: line {line}"),
                    format!("duplicates the {} of another row", columns.join(" and ")),
                ),
                None => match db.sql_err() {
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Error::invalid(
                        format!("{name}: line {line}"),
                        "duplicates a key of another row",
                    ),
                    _ => Error::Database(db),
                },
            },
            other => other,
        })?;
        if lines.is_multiple_of(1000) {
            bar.set_position(base_bytes + record.position().map(|p| p.byte()).unwrap_or(0));
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_files_are_known_by_the_end_of_their_name() {
        assert_eq!(
            CsvKind::of(Path::new("a/investments.csv")),
            Some(CsvKind::Investments)
        );
        assert_eq!(
            CsvKind::of(Path::new("2025-claim_challenges.csv")),
            Some(CsvKind::ClaimChallenges)
        );
        assert_eq!(CsvKind::of(Path::new("claims.csv")), Some(CsvKind::Claims));
        assert_eq!(CsvKind::of(Path::new("notes.csv")), None);
    }

    #[test]
    fn loader_fields_become_csv_columns() {
        assert_eq!(column_of("investments[0].amount.currency"), "currency");
        assert_eq!(column_of("investments[0].amount.amount"), "amount");
        assert_eq!(column_of("claims[0].citations[0].quote"), "quote");
        assert_eq!(
            column_of("companies[0].foundedByAlumniOf"),
            "founded_by_alumni_of"
        );
        assert_eq!(column_of("x[0].company"), "company");
    }
}
