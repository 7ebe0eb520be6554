//! The dataset file format and its loader.
//!
//! A dataset is one JSON document (`dataset/builtin.json` is the built-in one) that names
//! rows by their natural keys: companies and people by name, models by name, sources by
//! key, facts by their `ref`. Loading runs in one transaction and upserts by those keys, so
//! loading the same file twice changes nothing, and a file with an error changes nothing.
//! Every quote must appear verbatim in its source's text when the source has one.
//!
//! The parts: `records` (the record types of the format), `load` (the transactional
//! upsert, which checks every row by [`crate::domain`]'s rules, as every write path does);
//! here, the dataset itself, NUL refusal, and the entry points.

mod load;
pub(crate) mod notes;
mod records;

pub(crate) use load::Subject;
pub(crate) use records::dataset_rows;
pub use records::{
    AliasRec, AmountRec, BackerRec, ChallengeRec, CitationRec, ClaimRec, CompanyRec, DateRec,
    EventRec, ExpectationRec, FigureRec, InvestmentRec, ModelRec, PeriodRec, PersonRec, ProjectRec,
    SourceRec,
};
pub use records::{Notes, ProvenanceRec, ShareRec, ValueRefRec};

use std::path::Path;

use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde::{Deserialize, Serialize};

use self::load::Load;
use crate::error::{Error, Result};

/// The built-in dataset, compiled into the binary.
const BUILTIN_JSON: &str = include_str!("../../dataset/builtin.json");

/// The texts of the built-in dataset's sources, by their `contentFile`.
const BUILTIN_CONTENT: &[(&str, &str)] = &[(
    "sources/ai-capex-spending-spree.txt",
    include_str!("../../dataset/sources/ai-capex-spending-spree.txt"),
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
    /// Other names of companies, people, models and projects.
    #[serde(default)]
    pub aliases: Vec<AliasRec>,
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
    /// Records per row type (GraphQL type name), for the types that have any.
    pub fn type_counts(&self) -> Vec<(&'static str, u64)> {
        fn n(len: usize) -> u64 {
            len as u64
        }
        fn sum<T>(rows: &[T], each: impl Fn(&T) -> u64) -> u64 {
            rows.iter().map(each).sum()
        }
        let citations = sum(&self.companies, |c| n(c.citations.len()))
            + sum(&self.people, |p| n(p.citations.len()))
            + sum(&self.models, |m| n(m.citations.len()))
            + sum(&self.investments, |i| n(i.citations.len()))
            + sum(&self.projects, |p| {
                n(p.citations.len()) + sum(&p.backers, |b| n(b.citations.len()))
            })
            + sum(&self.spending_figures, |f| n(f.citations.len()))
            + sum(&self.claims, |c| {
                n(c.citations.len()) + sum(&c.challenges, |ch| n(ch.citations.len()))
            })
            + sum(&self.events, |e| n(e.citations.len()));
        let counts = [
            ("Source", n(self.sources.len())),
            ("Company", n(self.companies.len())),
            ("Person", n(self.people.len())),
            ("AiModel", n(self.models.len())),
            ("Investment", n(self.investments.len())),
            ("Project", n(self.projects.len())),
            ("ProjectBacker", sum(&self.projects, |p| n(p.backers.len()))),
            ("SpendingFigure", n(self.spending_figures.len())),
            ("Claim", n(self.claims.len())),
            (
                "ClaimChallenge",
                sum(&self.claims, |c| n(c.challenges.len())),
            ),
            ("Event", n(self.events.len())),
            ("Citation", citations),
        ];
        counts.into_iter().filter(|(_, count)| *count > 0).collect()
    }

    /// Records in the dataset, citations included.
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
            + self.aliases.len()
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
    /// Rows created or brought up to date, per table: the counts of the summary events.
    #[serde(skip)]
    pub by_table: std::collections::BTreeMap<&'static str, u64>,
}

impl LoadReport {
    /// Counts one row of `table`, created or matched.
    pub(crate) fn count(&mut self, table: &'static str, created: bool) {
        if created {
            self.inserted += 1;
        } else {
            self.matched += 1;
        }
        *self.by_table.entry(table).or_default() += 1;
    }
}

/// Loads `dataset` into `db` in one transaction: all of it or, on any error, nothing.
pub async fn load(db: &DatabaseConnection, dataset: &Dataset) -> Result<LoadReport> {
    load_live(db, dataset, None).await
}

/// [`load`], with one summary change per row type for the subscribers of `live` (and, on
/// PostgreSQL, of every instance).
pub async fn load_live(
    db: &DatabaseConnection,
    dataset: &Dataset,
    live: Option<&crate::live::Live>,
) -> Result<LoadReport> {
    let mut txn = crate::db::begin_write(db).await?;
    if let Some(live) = live {
        txn.deliver_to(live);
    }
    let report = Load::new(&txn).run(dataset).await?;
    for (typename, count) in dataset.type_counts() {
        txn.record(crate::live::Change::bulk(typename, Some(count)));
    }
    txn.commit().await?;
    tracing::info!(
        inserted = report.inserted,
        matched = report.matched,
        "dataset loaded"
    );
    Ok(report)
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
    live: &crate::live::Live,
    dataset: &Dataset,
    prefix: &str,
) -> Result<LoadReport> {
    load_live(db, dataset, Some(live))
        .await
        .map_err(|err| match err {
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

    /// Refuses a note loaded so far whose `derivedFrom` names a value that does not exist
    /// (yet): called once the rows it may name are loaded. Errors name the note's path in
    /// its part (`spendingFigures[1].provenance.amount.derivedFrom[0].key`).
    pub async fn check_derived(&mut self) -> Result<()> {
        self.0.check_derived().await
    }

    /// Loads a backer of the project named `project`, loaded before; errors name `at`.
    pub async fn add_backer(&mut self, at: &str, project: &str, b: &BackerRec) -> Result<()> {
        let project_id = self.0.project_id(at, "project", project).await?;
        self.0.backer(at, project_id, b).await
    }

    /// Loads a challenge of the claim with ref `claim`, loaded before; errors name `at`.
    pub async fn add_challenge(&mut self, at: &str, claim: &str, ch: &ChallengeRec) -> Result<()> {
        let claim_id = self
            .0
            .claim_id(at, "claim", &Some(claim.to_string()))
            .await?
            .ok_or_else(|| Error::Internal("a claim without id".into()))?;
        self.0.challenge(at, claim_id, ch).await
    }

    /// What was loaded so far.
    pub fn report(&self) -> LoadReport {
        self.0.report.clone()
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
}
