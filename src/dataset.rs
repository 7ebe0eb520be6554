//! The dataset file format and its loader.
//!
//! A dataset is one JSON document (`dataset/builtin.json` is the built-in one) that names
//! rows by their natural keys: companies and people by name, models by name, sources by
//! key, facts by their `ref`. Loading runs in one transaction and upserts by those keys, so
//! loading the same file twice changes nothing, and a file with an error changes nothing.
//! Every quote must appear verbatim in its source's text when the source has one.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use entity::enums::*;
use entity::{
    ai_model, citation, claim, claim_challenge, company, event, investment, person, project,
    project_backer, source, spending_figure,
};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::money;

/// The built-in dataset, compiled into the binary.
const BUILTIN_JSON: &str = include_str!("../dataset/builtin.json");
/// The texts of the built-in dataset's sources, by their `contentFile`.
const BUILTIN_CONTENT: &[(&str, &str)] = &[(
    "sources/ai-capex-spending-spree.txt",
    include_str!("../dataset/sources/ai-capex-spending-spree.txt"),
)];

/// A whole dataset.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Dataset {
    #[serde(default)]
    pub sources: Vec<SourceRec>,
    #[serde(default)]
    pub companies: Vec<CompanyRec>,
    #[serde(default)]
    pub people: Vec<PersonRec>,
    #[serde(default)]
    pub models: Vec<ModelRec>,
    #[serde(default)]
    pub investments: Vec<InvestmentRec>,
    #[serde(default)]
    pub projects: Vec<ProjectRec>,
    #[serde(default)]
    pub spending_figures: Vec<FigureRec>,
    #[serde(default)]
    pub claims: Vec<ClaimRec>,
    #[serde(default)]
    pub events: Vec<EventRec>,
}

/// A date and how precisely it is known.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateRec {
    pub date: NaiveDate,
    pub precision: DatePrecision,
}

/// An amount in major units as a decimal string, with its ISO 4217 currency.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmountRec {
    pub amount: String,
    pub currency: String,
}

/// A sentence of a source, by the source's key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitationRec {
    pub source: String,
    pub quote: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SourceRec {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub publisher: Option<String>,
    #[serde(default)]
    pub published: Option<DateRec>,
    #[serde(default)]
    pub address: Option<String>,
    /// A text file beside the dataset holding the source's text.
    #[serde(default)]
    pub content_file: Option<String>,
    /// The source's text inline.
    #[serde(default)]
    pub content: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CompanyRec {
    pub name: String,
    #[serde(default)]
    pub ticker: Option<String>,
    pub kind: CompanyKind,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub headquarters: Option<String>,
    #[serde(default)]
    pub parent: Option<String>,
    #[serde(default)]
    pub founded_by_alumni_of: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub citations: Vec<CitationRec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersonRec {
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub citations: Vec<CitationRec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ModelRec {
    pub name: String,
    pub kind: ModelKind,
    pub developer: String,
    #[serde(default)]
    pub announced: Option<DateRec>,
    #[serde(default)]
    pub expected: Option<DateRec>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub citations: Vec<CitationRec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InvestmentRec {
    pub r#ref: String,
    pub investor: String,
    pub investee: String,
    #[serde(default)]
    pub amount: Option<AmountRec>,
    #[serde(default)]
    pub made: Option<DateRec>,
    #[serde(default)]
    pub description: Option<String>,
    pub citations: Vec<CitationRec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProjectRec {
    pub name: String,
    #[serde(default)]
    pub lead: Option<String>,
    #[serde(default)]
    pub planned_amount: Option<AmountRec>,
    #[serde(default)]
    pub horizon_years: Option<i32>,
    #[serde(default)]
    pub announced: Option<DateRec>,
    #[serde(default)]
    pub has_unnamed_backers: bool,
    #[serde(default)]
    pub description: Option<String>,
    pub citations: Vec<CitationRec>,
    #[serde(default)]
    pub backers: Vec<BackerRec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackerRec {
    pub company: String,
    pub role: BackerRole,
    pub citations: Vec<CitationRec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PeriodRec {
    pub kind: PeriodKind,
    #[serde(default)]
    pub year: Option<i32>,
    #[serde(default)]
    pub quarter: Option<i32>,
    #[serde(default)]
    pub start: Option<NaiveDate>,
    #[serde(default)]
    pub end: Option<NaiveDate>,
    #[serde(default)]
    pub years: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FigureRec {
    pub r#ref: String,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    pub category: SpendingCategory,
    pub status: SpendingStatus,
    pub bound: AmountBound,
    #[serde(default)]
    pub low: Option<String>,
    #[serde(default)]
    pub high: Option<String>,
    pub currency: String,
    pub period: PeriodRec,
    #[serde(default)]
    pub focus: Option<String>,
    #[serde(default)]
    pub remarks: Option<String>,
    #[serde(default)]
    pub stated: Option<DateRec>,
    #[serde(default)]
    pub derived_from: Option<String>,
    /// What the figure was expected to be, as the source compares them.
    #[serde(default)]
    pub expectation: Option<ExpectationRec>,
    pub citations: Vec<CitationRec>,
}

/// "29% greater than Wall Street had expected": who expected, and the percentage.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExpectationRec {
    pub holder: String,
    /// How far the figure lies above the expectation, in percent ("29", "-3.5"); at most two decimals.
    pub percent_above: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimRec {
    pub r#ref: String,
    pub statement: String,
    pub kind: ClaimKind,
    pub status: ClaimStatus,
    #[serde(default)]
    pub claimant_person: Option<String>,
    #[serde(default)]
    pub claimant_company: Option<String>,
    #[serde(default)]
    pub subject_company: Option<String>,
    #[serde(default)]
    pub subject_model: Option<String>,
    #[serde(default)]
    pub spending_figure: Option<String>,
    #[serde(default)]
    pub amount: Option<AmountRec>,
    #[serde(default)]
    pub made: Option<DateRec>,
    pub citations: Vec<CitationRec>,
    #[serde(default)]
    pub challenges: Vec<ChallengeRec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChallengeRec {
    #[serde(default)]
    pub challenger_company: Option<String>,
    #[serde(default)]
    pub challenger_person: Option<String>,
    pub kind: ChallengeKind,
    pub description: String,
    pub citations: Vec<CitationRec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventRec {
    pub r#ref: String,
    pub name: String,
    pub kind: EventKind,
    #[serde(default)]
    pub occurred: Option<DateRec>,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub trigger_claim: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub citations: Vec<CitationRec>,
}

impl Dataset {
    /// The built-in dataset, with its sources' texts.
    pub fn builtin() -> Result<Dataset> {
        let mut dataset = Dataset::parse(BUILTIN_JSON, "builtin.json")?;
        dataset.resolve_content(|file| {
            BUILTIN_CONTENT
                .iter()
                .find(|(name, _)| *name == file)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| format!("{file} is not part of the built-in dataset"))
        })?;
        Ok(dataset)
    }

    /// A dataset file; `contentFile`s are read relative to its folder.
    pub fn from_file(path: &Path) -> Result<Dataset> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::invalid(name.clone(), format!("cannot read: {e}")))?;
        let mut dataset = Dataset::parse(&text, &name)?;
        let dir = path.parent().unwrap_or(Path::new("."));
        dataset.resolve_content(|file| {
            std::fs::read_to_string(dir.join(file)).map_err(|e| format!("cannot read {file}: {e}"))
        })?;
        Ok(dataset)
    }

    /// Parses JSON text; errors name the file, line and column.
    pub fn parse(text: &str, name: &str) -> Result<Dataset> {
        serde_json::from_str(text).map_err(|e| {
            Error::invalid(
                name,
                format!("line {}, column {}: {e}", e.line(), e.column()),
            )
        })
    }

    /// Rows and citations in the dataset.
    pub fn record_count(&self) -> usize {
        fn cited<T>(rows: &[T], citations: impl Fn(&T) -> usize) -> usize {
            rows.iter().map(|r| 1 + citations(r)).sum()
        }
        self.sources.len()
            + cited(&self.companies, |c| c.citations.len())
            + cited(&self.people, |p| p.citations.len())
            + cited(&self.models, |m| m.citations.len())
            + cited(&self.investments, |i| i.citations.len())
            + cited(&self.projects, |p| {
                p.citations.len() + cited(&p.backers, |b| b.citations.len())
            })
            + cited(&self.spending_figures, |f| f.citations.len())
            + cited(&self.claims, |c| {
                c.citations.len() + cited(&c.challenges, |ch| ch.citations.len())
            })
            + cited(&self.events, |e| e.citations.len())
    }

    pub(crate) fn resolve_content(
        &mut self,
        read: impl Fn(&str) -> Result<String, String>,
    ) -> Result<()> {
        for (i, source) in self.sources.iter_mut().enumerate() {
            if let Some(file) = &source.content_file {
                let text = read(file)
                    .map_err(|e| Error::invalid(format!("sources[{i}].contentFile"), e))?;
                source.content = Some(text);
            }
        }
        Ok(())
    }
}

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    /// Rows created.
    pub inserted: usize,
    /// Rows that existed already (matched by natural key) and were brought up to date.
    pub matched: usize,
}

/// Loads `dataset` into `db` in one transaction: all of it or, on any error, nothing.
pub async fn load(db: &DatabaseConnection, dataset: &Dataset) -> Result<LoadReport> {
    let txn = crate::db::begin_write(db).await?;
    let report = Load::new(&txn).run(dataset).await?;
    txn.commit().await?;
    tracing::info!(
        inserted = report.inserted,
        matched = report.matched,
        "dataset loaded"
    );
    Ok(report)
}

/// A percentage with at most two decimals ("29", "-3.5") in basis points, above -100%.
pub(crate) fn percent_to_bp(field: &str, text: &str) -> Result<i32> {
    let bad = || {
        Error::invalid(
            field,
            format!(
                "{text:?} is not a percentage above -100 with at most two decimals, such as \"29\""
            ),
        )
    };
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || (digits.contains('.') && fraction.is_empty())
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let whole: i32 = whole.parse().map_err(|_| bad())?;
    let fraction: i32 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let bp = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(bad)?;
    let bp = if negative { -bp } else { bp };
    if bp <= -10_000 {
        return Err(bad());
    }
    Ok(bp)
}

/// Why a text holding U+0000 is refused: PostgreSQL cannot store it, and SQLite would, so
/// the same file would load on one engine and not on the other.
pub(crate) const NUL_MESSAGE: &str =
    "must not contain the NUL character (U+0000), which PostgreSQL cannot store";

/// Refuses a dataset with U+0000 in any text, before anything of it is written; the error
/// names the first such text by its record path (`companies[3].name`).
fn refuse_nul(d: &Dataset) -> Result<()> {
    // serde_json escapes U+0000 as \u0000: one scan of the text finds most datasets clean.
    let text = serde_json::to_string(d).map_err(|e| Error::Internal(e.to_string()))?;
    if !text.contains("\\u0000") {
        return Ok(());
    }
    let value = serde_json::to_value(d).map_err(|e| Error::Internal(e.to_string()))?;
    match nul_path(&value) {
        Some(path) => Err(Error::invalid(path, NUL_MESSAGE)),
        None => Ok(()),
    }
}

/// The path (`projects[0].backers[1].company`) of the first string under `value` that
/// holds U+0000.
fn nul_path(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0').then(String::new),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item).map(|rest| format!("[{i}]{}", dotted(&rest)))),
        Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            nul_path(item).map(|rest| {
                let rest = dotted(&rest);
                format!("{key}{rest}")
            })
        }),
        _ => None,
    }
    .map(|path| path.trim_start_matches('.').to_string())
}

/// The rest of a path after a key or index: `.name`, `[2]`, or nothing.
fn dotted(rest: &str) -> String {
    if rest.is_empty() || rest.starts_with('[') {
        rest.to_string()
    } else {
        format!(".{rest}")
    }
}

/// Like [`load`], with every error's field path under `prefix` (`data.claims[0].ref`).
pub async fn load_at(
    db: &DatabaseConnection,
    dataset: &Dataset,
    prefix: &str,
) -> Result<LoadReport> {
    load(db, dataset).await.map_err(|err| match err {
        Error::InvalidInput { field, message } => Error::InvalidInput {
            field: format!("{prefix}.{field}"),
            message,
        },
        other => other,
    })
}

/// Loads datasets part by part into one transaction, for files read in pieces. Rows may
/// name rows of earlier parts; links between companies (parent, alumni) and between
/// figures (derived from) may point forward when loaded afterwards with
/// [`Loader::link_companies`] and [`Loader::link_figures`].
pub struct Loader<'a>(Load<'a>);

impl<'a> Loader<'a> {
    /// A loader writing into `txn`.
    pub fn new(txn: &'a DatabaseTransaction) -> Self {
        Loader(Load::new(txn))
    }

    /// Loads `part`, without the links between companies and between figures.
    pub async fn add(&mut self, part: &Dataset) -> Result<()> {
        self.0.run_part(part, false).await
    }

    /// Sets the parent and alumni links of `part`'s companies, loaded before.
    pub async fn link_companies(&mut self, part: &Dataset) -> Result<()> {
        self.0.link_companies(part).await
    }

    /// Sets the `derivedFrom` links of `part`'s figures, loaded before.
    pub async fn link_figures(&mut self, part: &Dataset) -> Result<()> {
        self.0.link_figures(part).await
    }

    /// Loads a backer of the project named `project`, loaded before; errors name `at`.
    pub async fn add_backer(&mut self, at: &str, project: &str, b: &BackerRec) -> Result<()> {
        let project_id = project::Entity::find()
            .filter(project::Column::Name.eq(project))
            .one(self.0.txn)
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    format!("{at}.project"),
                    format!("unknown project {project:?}"),
                )
            })?
            .id;
        self.0.backer(at, project_id, b).await
    }

    /// Loads a challenge of the claim with ref `claim`, loaded before; errors name `at`.
    pub async fn add_challenge(&mut self, at: &str, claim: &str, ch: &ChallengeRec) -> Result<()> {
        let claim_id = self
            .0
            .claim_id(&format!("{at}.claim"), &Some(claim.to_string()))
            .await?
            .ok_or_else(|| Error::Internal("a claim without id".into()))?;
        self.0.challenge(at, claim_id, ch).await
    }

    /// What was loaded so far.
    pub fn report(&self) -> LoadReport {
        self.0.report.clone()
    }
}

/// Inserts or updates one row: `existing` is the row matched by natural key, if any.
async fn save<A>(
    txn: &DatabaseTransaction,
    report: &mut LoadReport,
    existing: Option<<A::Entity as EntityTrait>::Model>,
    fill: impl FnOnce(&mut A),
) -> Result<<A::Entity as EntityTrait>::Model>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send,
    <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
{
    match existing {
        Some(model) => {
            let mut active = model.into_active_model();
            fill(&mut active);
            report.matched += 1;
            Ok(active.update(txn).await?)
        }
        None => {
            let mut active = A::default();
            fill(&mut active);
            report.inserted += 1;
            Ok(active.insert(txn).await?)
        }
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

struct Load<'a> {
    txn: &'a DatabaseTransaction,
    report: LoadReport,
    /// Source key -> (id, text).
    sources: HashMap<String, (i32, Option<String>)>,
    /// Company name -> id: most rows name one or two companies.
    companies: HashMap<String, i32>,
}

pub(crate) fn required(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    Ok(())
}

/// A text that must fit its column: at most `max` characters (the schema's limit).
fn within(field: &str, value: &str, max: usize) -> Result<()> {
    let chars = value.chars().count();
    if chars > max {
        return Err(Error::invalid(
            field,
            format!("{chars} characters: at most {max}"),
        ));
    }
    Ok(())
}

/// A required text that must fit its column.
fn required_within(field: &str, value: &str, max: usize) -> Result<()> {
    required(field, value)?;
    within(field, value, max)
}

/// An optional text that must fit its column.
fn opt_within(field: &str, value: &Option<String>, max: usize) -> Result<()> {
    value.as_deref().map_or(Ok(()), |v| within(field, v, max))
}

pub(crate) fn check_date(field: &str, date: &DateRec) -> Result<()> {
    let d = date.date;
    let ok = match date.precision {
        DatePrecision::Day => true,
        DatePrecision::Month => d.day() == 1,
        DatePrecision::Quarter => d.day() == 1 && d.month0().is_multiple_of(3),
        DatePrecision::Year => d.day() == 1 && d.month() == 1,
    };
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "{d} is not the first day of its {:?}: a date known to the {:?} starts that span",
                date.precision, date.precision
            ),
        ));
    }
    Ok(())
}

fn split_date(
    field: &str,
    date: &Option<DateRec>,
) -> Result<(Option<NaiveDate>, Option<DatePrecision>)> {
    match date {
        None => Ok((None, None)),
        Some(d) => {
            check_date(field, d)?;
            Ok((Some(d.date), Some(d.precision)))
        }
    }
}

fn amount(field: &str, amount: &Option<AmountRec>) -> Result<(Option<i64>, Option<String>)> {
    match amount {
        None => Ok((None, None)),
        Some(a) => Ok((
            Some(money::parse_amount_at(&a.amount, &a.currency, field)?),
            Some(a.currency.clone()),
        )),
    }
}

pub(crate) fn check_bound(
    field: &str,
    bound: AmountBound,
    low: Option<i64>,
    high: Option<i64>,
) -> Result<()> {
    let ok = match bound {
        AmountBound::Exact => low.is_some() && low == high,
        AmountBound::Range => matches!((low, high), (Some(l), Some(h)) if l <= h),
        AmountBound::MoreThan | AmountBound::AtLeast => low.is_some() && high.is_none(),
        AmountBound::LessThan | AmountBound::AtMost => low.is_none() && high.is_some(),
    };
    if !ok {
        return Err(Error::invalid(
            field,
            format!(
                "{bound:?} needs: EXACT low = high; RANGE low <= high; MORE_THAN/AT_LEAST low only; LESS_THAN/AT_MOST high only"
            ),
        ));
    }
    Ok(())
}

pub(crate) fn check_period(field: &str, p: &PeriodRec) -> Result<()> {
    let ok = match p.kind {
        PeriodKind::Quarter => p.year.is_some() && matches!(p.quarter, Some(1..=4)),
        PeriodKind::CalendarYear => p.year.is_some(),
        PeriodKind::FiscalYear => p.year.is_some() && p.end.is_some(),
        PeriodKind::MultiYear => matches!(p.years, Some(y) if y > 0),
        PeriodKind::Unspecified => true,
    };
    if !ok {
        return Err(Error::invalid(
            field,
            "QUARTER needs year and quarter 1-4; CALENDAR_YEAR a year; FISCAL_YEAR a year and its end; MULTI_YEAR a positive number of years",
        ));
    }
    if let (Some(start), Some(end)) = (p.start, p.end)
        && start > end
    {
        return Err(Error::invalid(
            field,
            format!("starts {start}, after its end {end}"),
        ));
    }
    Ok(())
}

impl<'a> Load<'a> {
    fn new(txn: &'a DatabaseTransaction) -> Self {
        Load {
            txn,
            report: LoadReport::default(),
            sources: HashMap::new(),
            companies: HashMap::new(),
        }
    }

    async fn run(mut self, d: &Dataset) -> Result<LoadReport> {
        self.run_part(d, true).await?;
        Ok(self.report)
    }

    /// Loads `d`; with `links`, also the links between companies and between figures that
    /// may point at rows later in `d`.
    async fn run_part(&mut self, d: &Dataset, links: bool) -> Result<()> {
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
        Ok(())
    }

    async fn link_companies(&mut self, d: &Dataset) -> Result<()> {
        for (i, c) in d.companies.iter().enumerate() {
            self.company_links(&format!("companies[{i}]"), c).await?;
        }
        Ok(())
    }

    async fn link_figures(&mut self, d: &Dataset) -> Result<()> {
        for (i, f) in d.spending_figures.iter().enumerate() {
            self.figure_link(&format!("spendingFigures[{i}]"), f)
                .await?;
        }
        Ok(())
    }

    async fn source(&mut self, at: &str, s: &SourceRec) -> Result<()> {
        required_within(&format!("{at}.key"), &s.key, 100)?;
        required_within(&format!("{at}.title"), &s.title, 500)?;
        opt_within(&format!("{at}.publisher"), &s.publisher, 200)?;
        opt_within(&format!("{at}.address"), &s.address, 2000)?;
        let (published_on, published_precision) =
            split_date(&format!("{at}.published"), &s.published)?;
        let existing = source::Entity::find()
            .filter(source::Column::Key.eq(&s.key))
            .one(self.txn)
            .await?;
        let row = save::<source::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            a.key = Set(s.key.clone());
            a.title = Set(s.title.clone());
            a.publisher = Set(s.publisher.clone());
            a.published_on = Set(published_on);
            a.published_precision = Set(published_precision);
            a.address = Set(s.address.clone());
            a.content = Set(s.content.clone());
        })
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
        if needed && citations.is_empty() {
            return Err(Error::invalid(
                format!("{at}.citations"),
                "a fact needs at least one citation of a source",
            ));
        }
        let (column, id) = subject.column_and_id();
        for (i, c) in citations.iter().enumerate() {
            let field = format!("{at}.citations[{i}]");
            required(&format!("{field}.quote"), &c.quote)?;
            let (source_id, content) = self
                .source_of(&format!("{field}.source"), &c.source)
                .await?;
            if let Some(text) = &content
                && !text.contains(c.quote.as_str())
            {
                return Err(Error::invalid(
                    format!("{field}.quote"),
                    format!("does not appear verbatim in source {:?}", c.source),
                ));
            }
            let existing = citation::Entity::find()
                .filter(column.eq(id))
                .filter(citation::Column::SourceId.eq(source_id))
                .filter(citation::Column::Quote.eq(c.quote.as_str()))
                .one(self.txn)
                .await?;
            if existing.is_some() {
                self.report.matched += 1;
                continue;
            }
            let mut active = citation::ActiveModel {
                source_id: Set(source_id),
                quote: Set(c.quote.clone()),
                ..Default::default()
            };
            subject.set_on(&mut active);
            active.insert(self.txn).await?;
            self.report.inserted += 1;
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

    async fn claim_id(&self, at: &str, r: &Option<String>) -> Result<Option<i32>> {
        let Some(r) = r else { return Ok(None) };
        claim::Entity::find()
            .filter(claim::Column::Reference.eq(r))
            .one(self.txn)
            .await?
            .map(|c| Some(c.id))
            .ok_or_else(|| Error::invalid(at, format!("unknown claim {r:?}")))
    }

    async fn company(&mut self, at: &str, c: &CompanyRec) -> Result<()> {
        required_within(&format!("{at}.name"), &c.name, 200)?;
        opt_within(&format!("{at}.ticker"), &c.ticker, 16)?;
        opt_within(&format!("{at}.headquarters"), &c.headquarters, 200)?;
        if let Some(country) = &c.country
            && (country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(Error::invalid(
                format!("{at}.country"),
                "must be an ISO 3166 code of two capital letters",
            ));
        }
        let existing = company::Entity::find()
            .filter(company::Column::Name.eq(&c.name))
            .one(self.txn)
            .await?;
        let row = save::<company::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            a.name = Set(c.name.clone());
            a.ticker = Set(c.ticker.clone());
            a.kind = Set(c.kind);
            a.country = Set(c.country.clone());
            a.headquarters = Set(c.headquarters.clone());
            a.description = Set(c.description.clone());
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
        if row.parent_id != parent || row.founded_by_alumni_of_id != alumni_of {
            let mut active = row.into_active_model();
            active.parent_id = Set(parent);
            active.founded_by_alumni_of_id = Set(alumni_of);
            active.update(self.txn).await?;
        }
        Ok(())
    }

    async fn person(&mut self, at: &str, p: &PersonRec) -> Result<()> {
        required_within(&format!("{at}.name"), &p.name, 200)?;
        opt_within(&format!("{at}.title"), &p.title, 200)?;
        let company_id = self
            .opt_company_id(&format!("{at}.company"), &p.company)
            .await?;
        let existing = person::Entity::find()
            .filter(person::Column::Name.eq(&p.name))
            .one(self.txn)
            .await?;
        let row = save::<person::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            a.name = Set(p.name.clone());
            a.title = Set(p.title.clone());
            a.company_id = Set(company_id);
            a.description = Set(p.description.clone());
        })
        .await?;
        self.cite(at, Subject::Person(row.id), &p.citations, false)
            .await
    }

    async fn model(&mut self, at: &str, m: &ModelRec) -> Result<()> {
        required_within(&format!("{at}.name"), &m.name, 200)?;
        let developer_id = self
            .company_id(&format!("{at}.developer"), &m.developer)
            .await?;
        let (announced_on, announced_precision) =
            split_date(&format!("{at}.announced"), &m.announced)?;
        let (expected_on, expected_precision) = split_date(&format!("{at}.expected"), &m.expected)?;
        let existing = ai_model::Entity::find()
            .filter(ai_model::Column::Name.eq(&m.name))
            .filter(ai_model::Column::DeveloperId.eq(developer_id))
            .one(self.txn)
            .await?;
        let row = save::<ai_model::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            a.name = Set(m.name.clone());
            a.kind = Set(m.kind);
            a.developer_id = Set(developer_id);
            a.announced_on = Set(announced_on);
            a.announced_precision = Set(announced_precision);
            a.expected_on = Set(expected_on);
            a.expected_precision = Set(expected_precision);
            a.description = Set(m.description.clone());
        })
        .await?;
        self.cite(at, Subject::Model(row.id), &m.citations, false)
            .await
    }

    async fn investment(&mut self, at: &str, inv: &InvestmentRec) -> Result<()> {
        required_within(&format!("{at}.ref"), &inv.r#ref, 100)?;
        let investor_id = self
            .company_id(&format!("{at}.investor"), &inv.investor)
            .await?;
        let investee_id = self
            .company_id(&format!("{at}.investee"), &inv.investee)
            .await?;
        if investor_id == investee_id {
            return Err(Error::invalid(
                format!("{at}.investee"),
                "a company cannot invest in itself",
            ));
        }
        let (amount_minor, currency) = amount(&format!("{at}.amount"), &inv.amount)?;
        let (made_on, made_precision) = split_date(&format!("{at}.made"), &inv.made)?;
        let existing = investment::Entity::find()
            .filter(investment::Column::Reference.eq(&inv.r#ref))
            .one(self.txn)
            .await?;
        let row = save::<investment::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            a.reference = Set(Some(inv.r#ref.clone()));
            a.investor_id = Set(investor_id);
            a.investee_id = Set(investee_id);
            a.amount_minor = Set(amount_minor);
            a.currency = Set(currency);
            a.made_on = Set(made_on);
            a.made_precision = Set(made_precision);
            a.description = Set(inv.description.clone());
        })
        .await?;
        self.cite(at, Subject::Investment(row.id), &inv.citations, true)
            .await
    }

    async fn project(&mut self, at: &str, p: &ProjectRec) -> Result<()> {
        required_within(&format!("{at}.name"), &p.name, 200)?;
        let lead_id = self.opt_company_id(&format!("{at}.lead"), &p.lead).await?;
        let (planned, currency) = amount(&format!("{at}.plannedAmount"), &p.planned_amount)?;
        let (announced_on, announced_precision) =
            split_date(&format!("{at}.announced"), &p.announced)?;
        if p.horizon_years.is_some_and(|y| y <= 0) {
            return Err(Error::invalid(
                format!("{at}.horizonYears"),
                "must be positive",
            ));
        }
        let existing = project::Entity::find()
            .filter(project::Column::Name.eq(&p.name))
            .one(self.txn)
            .await?;
        let row = save::<project::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            a.name = Set(p.name.clone());
            a.lead_company_id = Set(lead_id);
            a.planned_amount_minor = Set(planned);
            a.currency = Set(currency);
            a.horizon_years = Set(p.horizon_years);
            a.announced_on = Set(announced_on);
            a.announced_precision = Set(announced_precision);
            a.has_unnamed_backers = Set(p.has_unnamed_backers);
            a.description = Set(p.description.clone());
        })
        .await?;
        self.cite(at, Subject::Project(row.id), &p.citations, true)
            .await?;
        for (i, b) in p.backers.iter().enumerate() {
            self.backer(&format!("{at}.backers[{i}]"), row.id, b)
                .await?;
        }
        Ok(())
    }

    async fn backer(&mut self, at: &str, project_id: i32, b: &BackerRec) -> Result<()> {
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
                a.project_id = Set(project_id);
                a.company_id = Set(company_id);
                a.role = Set(b.role);
            })
            .await?;
        self.cite(at, Subject::Backer(backer.id), &b.citations, true)
            .await
    }

    async fn figure(&mut self, at: &str, f: &FigureRec) -> Result<()> {
        required_within(&format!("{at}.ref"), &f.r#ref, 100)?;
        opt_within(&format!("{at}.focus"), &f.focus, 200)?;
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
        if company_id.is_none() && project_id.is_none() {
            return Err(Error::invalid(
                format!("{at}.company"),
                "a figure belongs to a company, a project or both",
            ));
        }
        let model_id = self.model_id(&format!("{at}.model"), &f.model).await?;
        money::minor_digits(&f.currency).map_err(|e| match e {
            Error::InvalidInput { message, .. } => {
                Error::invalid(format!("{at}.currency"), message)
            }
            other => other,
        })?;
        let parse = |field: &str, v: &Option<String>| -> Result<Option<i64>> {
            v.as_ref()
                .map(|text| money::parse_amount(text, &f.currency, &format!("{at}.{field}")))
                .transpose()
        };
        let low = parse("low", &f.low)?;
        let high = parse("high", &f.high)?;
        check_bound(&format!("{at}.bound"), f.bound, low, high)?;
        check_period(&format!("{at}.period"), &f.period)?;
        let (stated_on, stated_precision) = split_date(&format!("{at}.stated"), &f.stated)?;
        let (expectation_holder, above_expectation_bp) = match &f.expectation {
            None => (None, None),
            Some(e) => {
                required(&format!("{at}.expectation.holder"), &e.holder)?;
                let bp =
                    percent_to_bp(&format!("{at}.expectation.percentAbove"), &e.percent_above)?;
                (Some(e.holder.clone()), Some(bp))
            }
        };
        let existing = spending_figure::Entity::find()
            .filter(spending_figure::Column::Reference.eq(&f.r#ref))
            .one(self.txn)
            .await?;
        let row = save::<spending_figure::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            a.reference = Set(Some(f.r#ref.clone()));
            a.company_id = Set(company_id);
            a.project_id = Set(project_id);
            a.ai_model_id = Set(model_id);
            a.category = Set(f.category);
            a.status = Set(f.status);
            a.bound = Set(f.bound);
            a.amount_low_minor = Set(low);
            a.amount_high_minor = Set(high);
            a.currency = Set(f.currency.clone());
            a.period_kind = Set(f.period.kind);
            a.period_year = Set(f.period.year);
            a.period_quarter = Set(f.period.quarter);
            a.period_start = Set(f.period.start);
            a.period_end = Set(f.period.end);
            a.period_years = Set(f.period.years);
            a.focus = Set(f.focus.clone());
            a.remarks = Set(f.remarks.clone());
            a.stated_on = Set(stated_on);
            a.stated_precision = Set(stated_precision);
            a.expectation_holder = Set(expectation_holder.clone());
            a.above_expectation_bp = Set(above_expectation_bp);
        })
        .await?;
        self.cite(at, Subject::Figure(row.id), &f.citations, true)
            .await
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
        if derived_from == Some(row.id) {
            return Err(Error::invalid(
                format!("{at}.derivedFrom"),
                "a figure cannot derive from itself",
            ));
        }
        if row.derived_from_id != derived_from {
            let mut active = row.into_active_model();
            active.derived_from_id = Set(derived_from);
            active.update(self.txn).await?;
        }
        Ok(())
    }

    async fn claim(&mut self, at: &str, c: &ClaimRec) -> Result<()> {
        required_within(&format!("{at}.ref"), &c.r#ref, 100)?;
        required(&format!("{at}.statement"), &c.statement)?;
        let person_id = self
            .person_id(&format!("{at}.claimantPerson"), &c.claimant_person)
            .await?;
        let company_id = self
            .opt_company_id(&format!("{at}.claimantCompany"), &c.claimant_company)
            .await?;
        if person_id.is_none() && company_id.is_none() {
            return Err(Error::invalid(
                format!("{at}.claimantCompany"),
                "a claim needs a claimant person or company",
            ));
        }
        let subject_company = self
            .opt_company_id(&format!("{at}.subjectCompany"), &c.subject_company)
            .await?;
        let subject_model = self
            .model_id(&format!("{at}.subjectModel"), &c.subject_model)
            .await?;
        let figure = self
            .figure_id(&format!("{at}.spendingFigure"), &c.spending_figure)
            .await?;
        let (amount_minor, currency) = amount(&format!("{at}.amount"), &c.amount)?;
        let (made_on, made_precision) = split_date(&format!("{at}.made"), &c.made)?;
        let existing = claim::Entity::find()
            .filter(claim::Column::Reference.eq(&c.r#ref))
            .one(self.txn)
            .await?;
        let row = save::<claim::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            a.reference = Set(Some(c.r#ref.clone()));
            a.statement = Set(c.statement.clone());
            a.kind = Set(c.kind);
            a.status = Set(c.status);
            a.claimant_person_id = Set(person_id);
            a.claimant_company_id = Set(company_id);
            a.subject_company_id = Set(subject_company);
            a.subject_model_id = Set(subject_model);
            a.spending_figure_id = Set(figure);
            a.amount_minor = Set(amount_minor);
            a.currency = Set(currency);
            a.made_on = Set(made_on);
            a.made_precision = Set(made_precision);
        })
        .await?;
        self.cite(at, Subject::Claim(row.id), &c.citations, true)
            .await?;
        for (i, ch) in c.challenges.iter().enumerate() {
            self.challenge(&format!("{at}.challenges[{i}]"), row.id, ch)
                .await?;
        }
        Ok(())
    }

    async fn challenge(&mut self, at: &str, claim_id: i32, ch: &ChallengeRec) -> Result<()> {
        required(&format!("{at}.description"), &ch.description)?;
        let challenger_company = self
            .opt_company_id(&format!("{at}.challengerCompany"), &ch.challenger_company)
            .await?;
        let challenger_person = self
            .person_id(&format!("{at}.challengerPerson"), &ch.challenger_person)
            .await?;
        // A challenge is the same challenge when it is to the same claim with the same description.
        let existing = claim_challenge::Entity::find()
            .filter(claim_challenge::Column::ClaimId.eq(claim_id))
            .filter(claim_challenge::Column::Description.eq(ch.description.as_str()))
            .one(self.txn)
            .await?;
        let challenge =
            save::<claim_challenge::ActiveModel>(self.txn, &mut self.report, existing, |a| {
                a.claim_id = Set(claim_id);
                a.challenger_company_id = Set(challenger_company);
                a.challenger_person_id = Set(challenger_person);
                a.kind = Set(ch.kind);
                a.description = Set(ch.description.clone());
            })
            .await?;
        self.cite(at, Subject::Challenge(challenge.id), &ch.citations, true)
            .await
    }

    async fn event(&mut self, at: &str, e: &EventRec) -> Result<()> {
        required_within(&format!("{at}.ref"), &e.r#ref, 100)?;
        required_within(&format!("{at}.name"), &e.name, 300)?;
        let company_id = self
            .opt_company_id(&format!("{at}.company"), &e.company)
            .await?;
        let trigger = self
            .claim_id(&format!("{at}.triggerClaim"), &e.trigger_claim)
            .await?;
        let (occurred_on, occurred_precision) = split_date(&format!("{at}.occurred"), &e.occurred)?;
        let existing = event::Entity::find()
            .filter(event::Column::Reference.eq(&e.r#ref))
            .one(self.txn)
            .await?;
        let row = save::<event::ActiveModel>(self.txn, &mut self.report, existing, |a| {
            a.reference = Set(Some(e.r#ref.clone()));
            a.name = Set(e.name.clone());
            a.kind = Set(e.kind);
            a.occurred_on = Set(occurred_on);
            a.occurred_precision = Set(occurred_precision);
            a.company_id = Set(company_id);
            a.trigger_claim_id = Set(trigger);
            a.description = Set(e.description.clone());
        })
        .await?;
        self.cite(at, Subject::Event(row.id), &e.citations, true)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_dataset_parses_with_its_source_text() {
        let d = Dataset::builtin().expect("built-in dataset");
        assert_eq!(d.sources.len(), 1);
        assert!(
            d.sources[0]
                .content
                .as_deref()
                .is_some_and(|t| t.contains("Stargate"))
        );
        assert_eq!(d.spending_figures.len(), 7);
        assert_eq!(d.claims.len(), 7);
    }

    #[test]
    fn parse_errors_name_the_file_line_and_column() {
        let err =
            Dataset::parse("{\n  \"companies\": [{\"name\": 1}]\n}", "x.json").expect_err("bad");
        let text = err.to_string();
        assert!(text.contains("x.json") && text.contains("line 2"), "{text}");
    }

    #[test]
    fn a_date_at_month_precision_must_be_the_first_of_the_month() {
        let d = |s: &str, p| DateRec {
            date: NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date"),
            precision: p,
        };
        assert!(check_date("f", &d("2025-01-01", DatePrecision::Month)).is_ok());
        assert!(check_date("f", &d("2025-01-15", DatePrecision::Month)).is_err());
        assert!(check_date("f", &d("2025-04-01", DatePrecision::Quarter)).is_ok());
        assert!(check_date("f", &d("2025-05-01", DatePrecision::Quarter)).is_err());
        assert!(check_date("f", &d("2025-02-01", DatePrecision::Year)).is_err());
    }

    #[test]
    fn bounds_must_match_their_kind() {
        assert!(check_bound("b", AmountBound::Exact, Some(1), Some(1)).is_ok());
        assert!(check_bound("b", AmountBound::Exact, Some(1), Some(2)).is_err());
        assert!(check_bound("b", AmountBound::Range, Some(65), Some(60)).is_err());
        assert!(check_bound("b", AmountBound::MoreThan, Some(100), None).is_ok());
        assert!(check_bound("b", AmountBound::MoreThan, Some(100), Some(200)).is_err());
    }
}
