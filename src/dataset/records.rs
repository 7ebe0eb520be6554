//! The records of a dataset, one type per row type, as the JSON format has them: rows
//! name each other by natural key, and every fact carries its citations.

use entity::enums::*;
use serde::{Deserialize, Serialize};

pub use crate::domain::provenance::{Notes, ProvenanceRec, ShareRec, ValueRefRec};
pub use crate::domain::{AmountRec, DateRec, PeriodRec};

/// Declares a record of the format, one field a line, with the derives and serde
/// attributes every record has: camelCase names, unknown fields refused, a missing
/// `Option` field read as null. `notes,` stands for the row's `provenance` notes, and
/// `citations,` for its citations.
///
/// ```ignore
/// record! {
///     PersonRec {
///         name: String,
///         title: Option<String>,
///         #[serde(default)]
///         citations,
///     }
/// }
/// ```
macro_rules! record {
    ($(#[$doc:meta])* $name:ident { $($fields:tt)* }) => {
        record!(@munch [$(#[$doc])* $name] [] $($fields)*);
    };
    // The records of [`dataset_rows!`], one after the other (their CSV lines are made in
    // `transfer::rows`).
    ($(#[$doc:meta])* $name:ident: $row:ident in $file:literal as $part:ident {
        $($fields:tt)*
    } $($more:tt)*) => {
        record!(@munch [$(#[$doc])* $name] [] $($fields)*);
        record!($($more)*);
    };
    ($(#[$doc:meta])* $name:ident: $row:ident under $parent:ident {
        $($fields:tt)*
    } $($more:tt)*) => {
        record!(@munch [$(#[$doc])* $name] [] $($fields)*);
        record!($($more)*);
    };
    () => {};
    (@munch $head:tt [$($f:tt)*] $(#[$m:meta])* citations, $($rest:tt)*) => {
        record!(@munch $head [$($f)* $(#[$m])* pub citations: Vec<CitationRec>,] $($rest)*);
    };
    (@munch $head:tt [$($f:tt)*] notes, $($rest:tt)*) => {
        record!(@munch $head [$($f)*
            /// How each structured value is known, by field ("stated", "period.start"); a
            /// value not here is stated by the record's citations. Absent: the row keeps the
            /// notes it has (older documents, CSV lines); present, even empty: they replace
            /// the row's.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub provenance: Option<Notes>,
        ] $($rest)*);
    };
    (@munch $head:tt [$($f:tt)*] $(#[$m:meta])* $field:ident: $ty:ty $(as $($csv:ident)+)?,
        $($rest:tt)*
    ) => {
        record!(@munch $head [$($f)* $(#[$m])* pub $field: $ty,] $($rest)*);
    };
    (@munch [$(#[$doc:meta])* $name:ident] [$($f:tt)*]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name { $($f)* }
    };
}

/// A sentence of a source, by the source's key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CitationRec {
    pub source: String,
    pub quote: String,
}

/// The records that have a CSV file, one field a line, in the order of the JSON record and
/// of the CSV columns: `dataset_rows!(record)` makes them records here, and
/// `dataset_rows!(csv_row)` their CSV lines in `transfer::rows`. A record with its own
/// file is written `Rec: Row in "file" as dataset_field`; one whose lines belong to
/// another row's (backers, challenges) `Rec: Row under parent_column`. A field is one CSV
/// column of the same name unless its `as` says otherwise:
/// - `as date precision_column`: a date and its precision column;
/// - `as money currency_column`: an amount and its currency column;
/// - `as period`, `as expectation`: a figure's period and expectation, flattened;
/// - `as later`: a column added later, so that files without it load;
/// - `as skip`: no column (left at its default on import).
///
/// `citations,` is the record's citations (`#[serde(default)]`: none needed): a CSV line
/// holds one, in its last two columns, `source` and `quote`. `notes,` is the record's
/// provenance notes: no column holds them, they are in `provenance.csv`.
/// Attributes and docs are the record's; the CSV line has none of them.
macro_rules! dataset_rows {
    ($then:ident) => {
        $then! {
            SourceRec: SourceRow in "sources" as sources {
                key: String,
                title: String,
                publisher: Option<String>,
                published: Option<DateRec> as date published_precision,
                address: Option<String>,
                /// A text file beside the dataset holding the source's text.
                content_file: Option<String> as skip,
                /// The source's text inline.
                content: Option<String>,
                notes,
            }
            CompanyRec: CompanyRow in "companies" as companies {
                name: String,
                ticker: Option<String>,
                kind: CompanyKind,
                country: Option<String>,
                headquarters: Option<String>,
                parent: Option<String>,
                founded_by_alumni_of: Option<String>,
                description: Option<String>,
                #[serde(default)]
                citations,
            }
            PersonRec: PersonRow in "people" as people {
                name: String,
                title: Option<String>,
                company: Option<String>,
                description: Option<String>,
                #[serde(default)]
                citations,
            }
            ModelRec: ModelRow in "models" as models {
                name: String,
                kind: ModelKind,
                developer: String,
                announced: Option<DateRec> as date announced_precision,
                expected: Option<DateRec> as date expected_precision,
                description: Option<String>,
                notes,
                #[serde(default)]
                citations,
            }
            InvestmentRec: InvestmentRow in "investments" as investments {
                r#ref: String,
                investor: String,
                investee: String,
                amount: Option<AmountRec> as money currency,
                made: Option<DateRec> as date made_precision,
                description: Option<String>,
                notes,
                citations,
            }
            ProjectRec: ProjectRow in "projects" as projects {
                name: String,
                lead: Option<String>,
                planned_amount: Option<AmountRec> as money currency,
                horizon_years: Option<i32>,
                announced: Option<DateRec> as date announced_precision,
                #[serde(default)]
                has_unnamed_backers: bool,
                description: Option<String>,
                notes,
                citations,
                /// In `project_backers.csv`.
                #[serde(default)]
                backers: Vec<BackerRec> as skip,
            }
            BackerRec: BackerRow under project {
                company: String,
                role: BackerRole,
                citations,
            }
            FigureRec: FigureRow in "spending_figures" as spending_figures {
                r#ref: String,
                company: Option<String>,
                project: Option<String>,
                model: Option<String>,
                category: SpendingCategory,
                status: SpendingStatus,
                bound: AmountBound,
                low: Option<String>,
                high: Option<String>,
                currency: String,
                period: PeriodRec as period,
                focus: Option<String>,
                remarks: Option<String>,
                stated: Option<DateRec> as date stated_precision,
                /// The person who stated the figure, by name, when the source names one.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                stated_by: Option<String> as later,
                derived_from: Option<String>,
                /// What the figure was expected to be, as the source compares them.
                expectation: Option<ExpectationRec> as expectation,
                notes,
                /// Shares of the figure's amount the source states ("more than half ... in
                /// the U.S."); absent: the figure keeps its shares; present: they replace
                /// them. In `figure_shares.csv`.
                #[serde(default, skip_serializing_if = "Option::is_none")]
                shares: Option<Vec<ShareRec>> as skip,
                citations,
            }
            ClaimRec: ClaimRow in "claims" as claims {
                r#ref: String,
                statement: String,
                kind: ClaimKind,
                status: ClaimStatus,
                claimant_person: Option<String>,
                claimant_company: Option<String>,
                subject_company: Option<String>,
                subject_model: Option<String>,
                spending_figure: Option<String>,
                amount: Option<AmountRec> as money currency,
                made: Option<DateRec> as date made_precision,
                notes,
                citations,
                /// In `claim_challenges.csv`.
                #[serde(default)]
                challenges: Vec<ChallengeRec> as skip,
            }
            ChallengeRec: ChallengeRow under claim {
                challenger_company: Option<String>,
                challenger_person: Option<String>,
                kind: ChallengeKind,
                description: String,
                citations,
            }
            EventRec: EventRow in "events" as events {
                r#ref: String,
                name: String,
                kind: EventKind,
                occurred: Option<DateRec> as date occurred_precision,
                company: Option<String>,
                trigger_claim: Option<String>,
                description: Option<String>,
                notes,
                citations,
            }
        }
    };
}
pub(crate) use dataset_rows;

dataset_rows!(record);

record! {
    /// "29% greater than Wall Street had expected": who expected, and the percentage.
    ExpectationRec {
        holder: String,
        /// How far the figure lies above the expectation, in percent ("29", "-3.5"); at most two decimals.
        percent_above: String,
    }
}

record! {
    /// Another name of a company, person, model or project: the row it names (exactly one of
    /// `company`, `person`, `model`, `project`, by name), the name, its kind, and the source
    /// and sentence that use it, when there are. The same record is a line of `aliases.csv`.
    AliasRec {
        company: Option<String>,
        person: Option<String>,
        model: Option<String>,
        project: Option<String>,
        name: String,
        kind: AliasKind,
        source: Option<String>,
        quote: Option<String>,
    }
}
