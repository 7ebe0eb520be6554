//! The records of a dataset, one type per row type, as the JSON format has them: rows
//! name each other by natural key, and every fact carries its citations.

use entity::enums::*;
use serde::{Deserialize, Serialize};

pub use crate::domain::provenance::{Notes, ProvenanceRec, ShareRec, ValueRefRec};
pub use crate::domain::{AmountRec, DateRec, PeriodRec};

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
    /// How each structured value is known, by field ("stated", "period.start"); a value
    /// not here is stated by the record's citations. Absent: the row keeps the notes it
    /// has (older documents, CSV lines); present, even empty: they replace the row's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Notes>,
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
    /// How each structured value is known, by field ("stated", "period.start"); a value
    /// not here is stated by the record's citations. Absent: the row keeps the notes it
    /// has (older documents, CSV lines); present, even empty: they replace the row's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Notes>,
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
    /// How each structured value is known, by field ("stated", "period.start"); a value
    /// not here is stated by the record's citations. Absent: the row keeps the notes it
    /// has (older documents, CSV lines); present, even empty: they replace the row's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Notes>,
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
    /// How each structured value is known, by field ("stated", "period.start"); a value
    /// not here is stated by the record's citations. Absent: the row keeps the notes it
    /// has (older documents, CSV lines); present, even empty: they replace the row's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Notes>,
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
    /// The person who stated the figure, by name, when the source names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stated_by: Option<String>,
    #[serde(default)]
    pub derived_from: Option<String>,
    /// What the figure was expected to be, as the source compares them.
    #[serde(default)]
    pub expectation: Option<ExpectationRec>,
    /// How each structured value is known, by field ("stated", "period.start"); a value
    /// not here is stated by the record's citations. Absent: the row keeps the notes it
    /// has (older documents, CSV lines); present, even empty: they replace the row's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Notes>,
    /// Shares of the figure's amount the source states ("more than half ... in the U.S.");
    /// absent: the figure keeps its shares; present: they replace them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<Vec<ShareRec>>,
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
    /// How each structured value is known, by field ("stated", "period.start"); a value
    /// not here is stated by the record's citations. Absent: the row keeps the notes it
    /// has (older documents, CSV lines); present, even empty: they replace the row's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Notes>,
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
    /// How each structured value is known, by field ("stated", "period.start"); a value
    /// not here is stated by the record's citations. Absent: the row keeps the notes it
    /// has (older documents, CSV lines); present, even empty: they replace the row's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Notes>,
    pub citations: Vec<CitationRec>,
}

/// Another name of a company, person, model or project: the row it names (exactly one of
/// `company`, `person`, `model`, `project`, by name), the name, its kind, and the source
/// and sentence that use it, when there are. The same record is a line of `aliases.csv`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AliasRec {
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub person: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    #[serde(default)]
    pub project: Option<String>,
    pub name: String,
    pub kind: AliasKind,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub quote: Option<String>,
}
