//! The records of a dataset, one type per row type, as the JSON format has them: rows
//! name each other by natural key, and every fact carries its citations.

use entity::enums::*;
use serde::{Deserialize, Serialize};

pub use crate::domain::provenance::{Notes, ProvenanceRec, ShareRec, ValueRefRec};
pub use crate::domain::{AmountRec, DateRec, PeriodRec};

/// Declares a record of the format, one field a line, with the derives and serde
/// attributes every record has: camelCase names, unknown fields refused, a missing
/// `Option` field read as null. `notes,` stands for the row's `provenance` notes.
///
/// ```ignore
/// record! {
///     PersonRec {
///         name: String,
///         title: Option<String>,
///         #[serde(default)]
///         citations: Vec<CitationRec>,
///     }
/// }
/// ```
macro_rules! record {
    ($(#[$doc:meta])* $name:ident { $($fields:tt)* }) => {
        record!(@munch [$(#[$doc])* $name] [] $($fields)*);
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
    (@munch $head:tt [$($f:tt)*] $(#[$m:meta])* $field:ident: $ty:ty, $($rest:tt)*) => {
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

record! {
    SourceRec {
        key: String,
        title: String,
        publisher: Option<String>,
        published: Option<DateRec>,
        address: Option<String>,
        /// A text file beside the dataset holding the source's text.
        content_file: Option<String>,
        /// The source's text inline.
        content: Option<String>,
        notes,
    }
}

record! {
    CompanyRec {
        name: String,
        ticker: Option<String>,
        kind: CompanyKind,
        country: Option<String>,
        headquarters: Option<String>,
        parent: Option<String>,
        founded_by_alumni_of: Option<String>,
        description: Option<String>,
        #[serde(default)]
        citations: Vec<CitationRec>,
    }
}

record! {
    PersonRec {
        name: String,
        title: Option<String>,
        company: Option<String>,
        description: Option<String>,
        #[serde(default)]
        citations: Vec<CitationRec>,
    }
}

record! {
    ModelRec {
        name: String,
        kind: ModelKind,
        developer: String,
        announced: Option<DateRec>,
        expected: Option<DateRec>,
        description: Option<String>,
        notes,
        #[serde(default)]
        citations: Vec<CitationRec>,
    }
}

record! {
    InvestmentRec {
        r#ref: String,
        investor: String,
        investee: String,
        amount: Option<AmountRec>,
        made: Option<DateRec>,
        description: Option<String>,
        notes,
        citations: Vec<CitationRec>,
    }
}

record! {
    ProjectRec {
        name: String,
        lead: Option<String>,
        planned_amount: Option<AmountRec>,
        horizon_years: Option<i32>,
        announced: Option<DateRec>,
        #[serde(default)]
        has_unnamed_backers: bool,
        description: Option<String>,
        notes,
        citations: Vec<CitationRec>,
        #[serde(default)]
        backers: Vec<BackerRec>,
    }
}

record! {
    BackerRec {
        company: String,
        role: BackerRole,
        citations: Vec<CitationRec>,
    }
}

record! {
    FigureRec {
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
        period: PeriodRec,
        focus: Option<String>,
        remarks: Option<String>,
        stated: Option<DateRec>,
        /// The person who stated the figure, by name, when the source names one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stated_by: Option<String>,
        derived_from: Option<String>,
        /// What the figure was expected to be, as the source compares them.
        expectation: Option<ExpectationRec>,
        notes,
        /// Shares of the figure's amount the source states ("more than half ... in the U.S.");
        /// absent: the figure keeps its shares; present: they replace them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shares: Option<Vec<ShareRec>>,
        citations: Vec<CitationRec>,
    }
}

record! {
    /// "29% greater than Wall Street had expected": who expected, and the percentage.
    ExpectationRec {
        holder: String,
        /// How far the figure lies above the expectation, in percent ("29", "-3.5"); at most two decimals.
        percent_above: String,
    }
}

record! {
    ClaimRec {
        r#ref: String,
        statement: String,
        kind: ClaimKind,
        status: ClaimStatus,
        claimant_person: Option<String>,
        claimant_company: Option<String>,
        subject_company: Option<String>,
        subject_model: Option<String>,
        spending_figure: Option<String>,
        amount: Option<AmountRec>,
        made: Option<DateRec>,
        notes,
        citations: Vec<CitationRec>,
        #[serde(default)]
        challenges: Vec<ChallengeRec>,
    }
}

record! {
    ChallengeRec {
        challenger_company: Option<String>,
        challenger_person: Option<String>,
        kind: ChallengeKind,
        description: String,
        citations: Vec<CitationRec>,
    }
}

record! {
    EventRec {
        r#ref: String,
        name: String,
        kind: EventKind,
        occurred: Option<DateRec>,
        company: Option<String>,
        trigger_claim: Option<String>,
        description: Option<String>,
        notes,
        citations: Vec<CitationRec>,
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
