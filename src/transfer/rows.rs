//! The CSV format: one file per row type, one line per citation. A row with several
//! citations takes several lines that repeat its fields (import matches them by natural
//! key); a row without citation takes one line with `source` and `quote` empty. Columns
//! are the dataset format's fields in snake_case, dates split into a date and a
//! precision column, amounts into an amount and a currency column. The provenance notes
//! of rows' values and the shares of figures have their own files, `provenance.csv` and
//! `figure_shares.csv` (see `provenance_csv`).

use chrono::NaiveDate;
use entity::enums::*;
use serde::{Deserialize, Serialize};

use crate::dataset::*;
use crate::error::{Error, Result};

/// A row type's CSV file: its name and the conversion of its lines.
pub trait CsvRow: Serialize + for<'de> Deserialize<'de> + Sized {
    /// The file's name without `.csv`.
    const FILE: &'static str;
    /// The dataset record of this line, with its one citation, if any.
    fn into_part(self, part: &mut Dataset, line: usize) -> Result<()>;
}

fn date(
    date: Option<NaiveDate>,
    precision: Option<DatePrecision>,
    column: &str,
) -> Result<Option<DateRec>> {
    match (date, precision) {
        (None, None) => Ok(None),
        (Some(date), Some(precision)) => Ok(Some(DateRec { date, precision })),
        (Some(date), None) => Ok(Some(DateRec {
            date,
            precision: DatePrecision::Day,
        })),
        (None, Some(_)) => Err(Error::invalid(
            format!("{column}_precision"),
            format!("a precision without a date in {column}"),
        )),
    }
}

fn split(d: &Option<DateRec>) -> (Option<NaiveDate>, Option<DatePrecision>) {
    match d {
        Some(d) => (Some(d.date), Some(d.precision)),
        None => (None, None),
    }
}

fn money(amount: Option<String>, currency: Option<String>) -> Result<Option<AmountRec>> {
    match (amount, currency) {
        (None, None) => Ok(None),
        (Some(amount), Some(currency)) => Ok(Some(AmountRec { amount, currency })),
        (Some(_), None) => Err(Error::invalid("currency", "an amount needs its currency")),
        (None, Some(_)) => Err(Error::invalid("amount", "a currency without an amount")),
    }
}

fn unmoney(m: &Option<AmountRec>) -> (Option<String>, Option<String>) {
    match m {
        Some(m) => (Some(m.amount.clone()), Some(m.currency.clone())),
        None => (None, None),
    }
}

/// The citation of a line's `source` and `quote` columns: both or neither.
pub fn citation(source: Option<String>, quote: Option<String>) -> Result<Vec<CitationRec>> {
    match (source, quote) {
        (None, None) => Ok(Vec::new()),
        (Some(source), Some(quote)) => Ok(vec![CitationRec { source, quote }]),
        (Some(_), None) => Err(Error::invalid(
            "quote",
            "a source needs the quote it is cited for",
        )),
        (None, Some(_)) => Err(Error::invalid("source", "a quote needs its source")),
    }
}

/// One CSV line per citation (one line with no citation when there is none).
pub fn per_citation<T>(
    citations: &[CitationRec],
    row: impl Fn(Option<String>, Option<String>) -> T,
) -> Vec<T> {
    if citations.is_empty() {
        return vec![row(None, None)];
    }
    citations
        .iter()
        .map(|c| row(Some(c.source.clone()), Some(c.quote.clone())))
        .collect()
}

/// `sources.csv`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRow {
    pub key: String,
    pub title: String,
    pub publisher: Option<String>,
    pub published: Option<NaiveDate>,
    pub published_precision: Option<DatePrecision>,
    pub address: Option<String>,
    pub content: Option<String>,
}

impl CsvRow for SourceRow {
    const FILE: &'static str = "sources";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.sources.push(SourceRec {
            provenance: None,
            key: self.key,
            title: self.title,
            publisher: self.publisher,
            published: date(self.published, self.published_precision, "published")?,
            address: self.address,
            content_file: None,
            content: self.content,
        });
        Ok(())
    }
}

impl SourceRow {
    pub fn from_rec(r: &SourceRec) -> Vec<SourceRow> {
        let (published, published_precision) = split(&r.published);
        vec![SourceRow {
            key: r.key.clone(),
            title: r.title.clone(),
            publisher: r.publisher.clone(),
            published,
            published_precision,
            address: r.address.clone(),
            content: r.content.clone(),
        }]
    }
}

/// `companies.csv`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompanyRow {
    pub name: String,
    pub ticker: Option<String>,
    pub kind: CompanyKind,
    pub country: Option<String>,
    pub headquarters: Option<String>,
    pub parent: Option<String>,
    pub founded_by_alumni_of: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub quote: Option<String>,
}

impl CsvRow for CompanyRow {
    const FILE: &'static str = "companies";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.companies.push(CompanyRec {
            citations: citation(self.source, self.quote)?,
            name: self.name,
            ticker: self.ticker,
            kind: self.kind,
            country: self.country,
            headquarters: self.headquarters,
            parent: self.parent,
            founded_by_alumni_of: self.founded_by_alumni_of,
            description: self.description,
        });
        Ok(())
    }
}

impl CompanyRow {
    pub fn from_rec(r: &CompanyRec) -> Vec<CompanyRow> {
        per_citation(&r.citations, |source, quote| CompanyRow {
            name: r.name.clone(),
            ticker: r.ticker.clone(),
            kind: r.kind,
            country: r.country.clone(),
            headquarters: r.headquarters.clone(),
            parent: r.parent.clone(),
            founded_by_alumni_of: r.founded_by_alumni_of.clone(),
            description: r.description.clone(),
            source,
            quote,
        })
    }
}

/// `people.csv`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonRow {
    pub name: String,
    pub title: Option<String>,
    pub company: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub quote: Option<String>,
}

impl CsvRow for PersonRow {
    const FILE: &'static str = "people";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.people.push(PersonRec {
            citations: citation(self.source, self.quote)?,
            name: self.name,
            title: self.title,
            company: self.company,
            description: self.description,
        });
        Ok(())
    }
}

impl PersonRow {
    pub fn from_rec(r: &PersonRec) -> Vec<PersonRow> {
        per_citation(&r.citations, |source, quote| PersonRow {
            name: r.name.clone(),
            title: r.title.clone(),
            company: r.company.clone(),
            description: r.description.clone(),
            source,
            quote,
        })
    }
}

/// `models.csv`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRow {
    pub name: String,
    pub kind: ModelKind,
    pub developer: String,
    pub announced: Option<NaiveDate>,
    pub announced_precision: Option<DatePrecision>,
    pub expected: Option<NaiveDate>,
    pub expected_precision: Option<DatePrecision>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub quote: Option<String>,
}

impl CsvRow for ModelRow {
    const FILE: &'static str = "models";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.models.push(ModelRec {
            provenance: None,
            citations: citation(self.source, self.quote)?,
            announced: date(self.announced, self.announced_precision, "announced")?,
            expected: date(self.expected, self.expected_precision, "expected")?,
            name: self.name,
            kind: self.kind,
            developer: self.developer,
            description: self.description,
        });
        Ok(())
    }
}

impl ModelRow {
    pub fn from_rec(r: &ModelRec) -> Vec<ModelRow> {
        let (announced, announced_precision) = split(&r.announced);
        let (expected, expected_precision) = split(&r.expected);
        per_citation(&r.citations, |source, quote| ModelRow {
            name: r.name.clone(),
            kind: r.kind,
            developer: r.developer.clone(),
            announced,
            announced_precision,
            expected,
            expected_precision,
            description: r.description.clone(),
            source,
            quote,
        })
    }
}

/// `investments.csv`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvestmentRow {
    pub r#ref: String,
    pub investor: String,
    pub investee: String,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub made: Option<NaiveDate>,
    pub made_precision: Option<DatePrecision>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub quote: Option<String>,
}

impl CsvRow for InvestmentRow {
    const FILE: &'static str = "investments";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.investments.push(InvestmentRec {
            provenance: None,
            citations: citation(self.source, self.quote)?,
            amount: money(self.amount, self.currency)?,
            made: date(self.made, self.made_precision, "made")?,
            r#ref: self.r#ref,
            investor: self.investor,
            investee: self.investee,
            description: self.description,
        });
        Ok(())
    }
}

impl InvestmentRow {
    pub fn from_rec(r: &InvestmentRec) -> Vec<InvestmentRow> {
        let (amount, currency) = unmoney(&r.amount);
        let (made, made_precision) = split(&r.made);
        per_citation(&r.citations, |source, quote| InvestmentRow {
            r#ref: r.r#ref.clone(),
            investor: r.investor.clone(),
            investee: r.investee.clone(),
            amount: amount.clone(),
            currency: currency.clone(),
            made,
            made_precision,
            description: r.description.clone(),
            source,
            quote,
        })
    }
}

/// `projects.csv` (backers are in `project_backers.csv`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectRow {
    pub name: String,
    pub lead: Option<String>,
    pub planned_amount: Option<String>,
    pub currency: Option<String>,
    pub horizon_years: Option<i32>,
    pub announced: Option<NaiveDate>,
    pub announced_precision: Option<DatePrecision>,
    pub has_unnamed_backers: bool,
    pub description: Option<String>,
    pub source: Option<String>,
    pub quote: Option<String>,
}

impl CsvRow for ProjectRow {
    const FILE: &'static str = "projects";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.projects.push(ProjectRec {
            provenance: None,
            citations: citation(self.source, self.quote)?,
            planned_amount: money(self.planned_amount, self.currency)?,
            announced: date(self.announced, self.announced_precision, "announced")?,
            name: self.name,
            lead: self.lead,
            horizon_years: self.horizon_years,
            has_unnamed_backers: self.has_unnamed_backers,
            description: self.description,
            backers: Vec::new(),
        });
        Ok(())
    }
}

impl ProjectRow {
    pub fn from_rec(r: &ProjectRec) -> Vec<ProjectRow> {
        let (planned_amount, currency) = unmoney(&r.planned_amount);
        let (announced, announced_precision) = split(&r.announced);
        per_citation(&r.citations, |source, quote| ProjectRow {
            name: r.name.clone(),
            lead: r.lead.clone(),
            planned_amount: planned_amount.clone(),
            currency: currency.clone(),
            horizon_years: r.horizon_years,
            announced,
            announced_precision,
            has_unnamed_backers: r.has_unnamed_backers,
            description: r.description.clone(),
            source,
            quote,
        })
    }
}

/// `project_backers.csv`: a backer row belongs to the project named in `project`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackerRow {
    pub project: String,
    pub company: String,
    pub role: BackerRole,
    pub source: Option<String>,
    pub quote: Option<String>,
}

impl BackerRow {
    pub fn from_rec(project: &str, r: &BackerRec) -> Vec<BackerRow> {
        per_citation(&r.citations, |source, quote| BackerRow {
            project: project.to_string(),
            company: r.company.clone(),
            role: r.role,
            source,
            quote,
        })
    }
}

/// `spending_figures.csv`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureRow {
    pub r#ref: String,
    pub company: Option<String>,
    pub project: Option<String>,
    pub model: Option<String>,
    pub category: SpendingCategory,
    pub status: SpendingStatus,
    pub bound: AmountBound,
    pub low: Option<String>,
    pub high: Option<String>,
    pub currency: String,
    pub period_kind: PeriodKind,
    pub period_year: Option<i32>,
    pub period_quarter: Option<i32>,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub period_years: Option<i32>,
    pub focus: Option<String>,
    pub remarks: Option<String>,
    pub stated: Option<NaiveDate>,
    pub stated_precision: Option<DatePrecision>,
    /// The person who stated the figure, by name (a later column: files without it load).
    #[serde(default)]
    pub stated_by: Option<String>,
    pub derived_from: Option<String>,
    pub expectation_holder: Option<String>,
    pub expectation_percent_above: Option<String>,
    pub source: Option<String>,
    pub quote: Option<String>,
}

impl CsvRow for FigureRow {
    const FILE: &'static str = "spending_figures";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.spending_figures.push(FigureRec {
            provenance: None,
            shares: None,
            citations: citation(self.source, self.quote)?,
            stated: date(self.stated, self.stated_precision, "stated")?,
            r#ref: self.r#ref,
            company: self.company,
            project: self.project,
            model: self.model,
            category: self.category,
            status: self.status,
            bound: self.bound,
            low: self.low,
            high: self.high,
            currency: self.currency,
            period: PeriodRec {
                kind: self.period_kind,
                year: self.period_year,
                quarter: self.period_quarter,
                start: self.period_start,
                end: self.period_end,
                years: self.period_years,
            },
            focus: self.focus,
            remarks: self.remarks,
            stated_by: self.stated_by,
            derived_from: self.derived_from,
            expectation: match (self.expectation_holder, self.expectation_percent_above) {
                (None, None) => None,
                (Some(holder), Some(percent_above)) => Some(ExpectationRec {
                    holder,
                    percent_above,
                }),
                (Some(_), None) => {
                    return Err(Error::invalid(
                        "expectation_percent_above",
                        "an expectation holder needs the percentage above the expectation",
                    ));
                }
                (None, Some(_)) => {
                    return Err(Error::invalid(
                        "expectation_holder",
                        "a percentage above an expectation needs whose expectation it was",
                    ));
                }
            },
        });
        Ok(())
    }
}

impl FigureRow {
    pub fn from_rec(r: &FigureRec) -> Vec<FigureRow> {
        let (stated, stated_precision) = split(&r.stated);
        per_citation(&r.citations, |source, quote| FigureRow {
            r#ref: r.r#ref.clone(),
            company: r.company.clone(),
            project: r.project.clone(),
            model: r.model.clone(),
            category: r.category,
            status: r.status,
            bound: r.bound,
            low: r.low.clone(),
            high: r.high.clone(),
            currency: r.currency.clone(),
            period_kind: r.period.kind,
            period_year: r.period.year,
            period_quarter: r.period.quarter,
            period_start: r.period.start,
            period_end: r.period.end,
            period_years: r.period.years,
            focus: r.focus.clone(),
            remarks: r.remarks.clone(),
            stated,
            stated_precision,
            stated_by: r.stated_by.clone(),
            derived_from: r.derived_from.clone(),
            expectation_holder: r.expectation.as_ref().map(|e| e.holder.clone()),
            expectation_percent_above: r.expectation.as_ref().map(|e| e.percent_above.clone()),
            source,
            quote,
        })
    }
}

/// `claims.csv` (challenges are in `claim_challenges.csv`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRow {
    pub r#ref: String,
    pub statement: String,
    pub kind: ClaimKind,
    pub status: ClaimStatus,
    pub claimant_person: Option<String>,
    pub claimant_company: Option<String>,
    pub subject_company: Option<String>,
    pub subject_model: Option<String>,
    pub spending_figure: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub made: Option<NaiveDate>,
    pub made_precision: Option<DatePrecision>,
    pub source: Option<String>,
    pub quote: Option<String>,
}

impl CsvRow for ClaimRow {
    const FILE: &'static str = "claims";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.claims.push(ClaimRec {
            provenance: None,
            citations: citation(self.source, self.quote)?,
            amount: money(self.amount, self.currency)?,
            made: date(self.made, self.made_precision, "made")?,
            r#ref: self.r#ref,
            statement: self.statement,
            kind: self.kind,
            status: self.status,
            claimant_person: self.claimant_person,
            claimant_company: self.claimant_company,
            subject_company: self.subject_company,
            subject_model: self.subject_model,
            spending_figure: self.spending_figure,
            challenges: Vec::new(),
        });
        Ok(())
    }
}

impl ClaimRow {
    pub fn from_rec(r: &ClaimRec) -> Vec<ClaimRow> {
        let (amount, currency) = unmoney(&r.amount);
        let (made, made_precision) = split(&r.made);
        per_citation(&r.citations, |source, quote| ClaimRow {
            r#ref: r.r#ref.clone(),
            statement: r.statement.clone(),
            kind: r.kind,
            status: r.status,
            claimant_person: r.claimant_person.clone(),
            claimant_company: r.claimant_company.clone(),
            subject_company: r.subject_company.clone(),
            subject_model: r.subject_model.clone(),
            spending_figure: r.spending_figure.clone(),
            amount: amount.clone(),
            currency: currency.clone(),
            made,
            made_precision,
            source,
            quote,
        })
    }
}

/// `claim_challenges.csv`: a challenge belongs to the claim whose ref is in `claim`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeRow {
    pub claim: String,
    pub challenger_company: Option<String>,
    pub challenger_person: Option<String>,
    pub kind: ChallengeKind,
    pub description: String,
    pub source: Option<String>,
    pub quote: Option<String>,
}

impl ChallengeRow {
    pub fn from_rec(claim: &str, r: &ChallengeRec) -> Vec<ChallengeRow> {
        per_citation(&r.citations, |source, quote| ChallengeRow {
            claim: claim.to_string(),
            challenger_company: r.challenger_company.clone(),
            challenger_person: r.challenger_person.clone(),
            kind: r.kind,
            description: r.description.clone(),
            source,
            quote,
        })
    }
}

/// `events.csv`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRow {
    pub r#ref: String,
    pub name: String,
    pub kind: EventKind,
    pub occurred: Option<NaiveDate>,
    pub occurred_precision: Option<DatePrecision>,
    pub company: Option<String>,
    pub trigger_claim: Option<String>,
    pub description: Option<String>,
    pub source: Option<String>,
    pub quote: Option<String>,
}

impl CsvRow for EventRow {
    const FILE: &'static str = "events";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.events.push(EventRec {
            provenance: None,
            citations: citation(self.source, self.quote)?,
            occurred: date(self.occurred, self.occurred_precision, "occurred")?,
            r#ref: self.r#ref,
            name: self.name,
            kind: self.kind,
            company: self.company,
            trigger_claim: self.trigger_claim,
            description: self.description,
        });
        Ok(())
    }
}

impl EventRow {
    pub fn from_rec(r: &EventRec) -> Vec<EventRow> {
        let (occurred, occurred_precision) = split(&r.occurred);
        per_citation(&r.citations, |source, quote| EventRow {
            r#ref: r.r#ref.clone(),
            name: r.name.clone(),
            kind: r.kind,
            occurred,
            occurred_precision,
            company: r.company.clone(),
            trigger_claim: r.trigger_claim.clone(),
            description: r.description.clone(),
            source,
            quote,
        })
    }
}

/// `aliases.csv`: the dataset's alias record as it is.
impl CsvRow for AliasRec {
    const FILE: &'static str = "aliases";
    fn into_part(self, part: &mut Dataset, _line: usize) -> Result<()> {
        part.aliases.push(self);
        Ok(())
    }
}
