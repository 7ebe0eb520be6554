//! A synthetic AI-investment graph for load tests and demos: companies, people, models,
//! investments, claims with their challenges, and one citation for every fact.
//!
//! Everything is drawn from one seed by a SplitMix64 generator written here (no `rand`), so
//! the same options give the same rows, ids included, on an empty database on SQLite and on
//! PostgreSQL. Every generated name starts with "Gen " and every ref with "G", so the rows
//! never clash with the built-in dataset, which may already be loaded.
//!
//! Rows are written with multi-row inserts in one transaction: a failed run leaves nothing
//! behind, and a second run into the same database is refused before it writes anything.
//! Ids are assigned here (after the largest id of each table) rather than read back, so that
//! foreign keys can be filled in without a round trip per row.

mod batch;
mod generator;
mod random;

use std::fmt;
use std::time::Instant;

use sea_orm::DatabaseConnection;

use self::generator::Generator;
use crate::error::{Error, Result};

/// The key of the one source every generated citation points to.
pub const SOURCE_KEY: &str = "generated";

/// How big a graph to generate, from which seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Companies to create; people are a fifth of this.
    pub companies: usize,
    /// Investments between two distinct generated companies.
    pub investments: usize,
    /// AI models, chips, agents and products, each with a generated developer.
    pub models: usize,
    /// Claims; each has zero to three challenges depending on its status.
    pub claims: usize,
    /// Everything generated follows from this.
    pub seed: u64,
    /// Show a progress bar per table on stderr instead of logging each table.
    pub progress: bool,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            companies: 10_000,
            investments: 100_000,
            models: 20_000,
            claims: 50_000,
            seed: 42,
            progress: false,
        }
    }
}

/// What a run wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateReport {
    /// Rows written to all tables together.
    pub rows: usize,
    /// Wall-clock time of the whole run, commit included.
    pub seconds: f64,
    /// Rows written per table, in the order they were written.
    pub tables: Vec<(&'static str, usize)>,
}

impl GenerateReport {
    /// Rows written to `table` (0 for a table the run did not touch).
    pub fn count(&self, table: &str) -> usize {
        self.tables
            .iter()
            .find(|(name, _)| *name == table)
            .map_or(0, |(_, n)| *n)
    }

    /// Rows per second over the whole run.
    pub fn rows_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.rows as f64 / self.seconds
        } else {
            0.0
        }
    }
}

impl fmt::Display for GenerateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (table, rows) in &self.tables {
            writeln!(f, "{table:>16} {rows:>9} rows")?;
        }
        write!(
            f,
            "{:>16} {:>9} rows in {:.2} s ({:.0} rows/s)",
            "total",
            self.rows,
            self.seconds,
            self.rows_per_second()
        )
    }
}

/// Generates the graph `options` describes into `db`, in one transaction.
///
/// Fails without writing anything when the database already holds a generated graph (the
/// source [`SOURCE_KEY`] exists), or when the options ask for investments, models or claims
/// without the companies they need.
pub async fn generate(
    db: &DatabaseConnection,
    options: &GenerateOptions,
) -> Result<GenerateReport> {
    check_options(options)?;
    let started = Instant::now();
    let mut txn = crate::db::begin_write(db).await?;
    let tables = Generator::new(&txn, options).await?.run().await?;
    for (table, rows) in &tables {
        if let Some(typename) = crate::live::typename_of_table(table) {
            txn.record(crate::live::Change::bulk(typename, Some(*rows as u64)));
        }
    }
    txn.commit().await?;
    let report = GenerateReport {
        rows: tables.iter().map(|(_, n)| n).sum(),
        seconds: started.elapsed().as_secs_f64(),
        tables,
    };
    if !options.progress {
        tracing::info!(
            rows = report.rows,
            seconds = report.seconds,
            rows_per_second = report.rows_per_second() as u64,
            "synthetic graph generated"
        );
    }
    Ok(report)
}

fn check_options(o: &GenerateOptions) -> Result<()> {
    if o.companies == 0 && (o.models > 0 || o.claims > 0) {
        return Err(Error::invalid(
            "companies",
            "models and claims need at least one company",
        ));
    }
    if o.companies < 2 && o.investments > 0 {
        return Err(Error::invalid(
            "companies",
            "investments need at least two companies: nobody invests in itself",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Randomness

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_without_the_companies_they_need_are_refused() {
        let o = |companies, investments, models| GenerateOptions {
            companies,
            investments,
            models,
            claims: 0,
            ..GenerateOptions::default()
        };
        assert!(check_options(&o(1, 1, 0)).is_err());
        assert!(check_options(&o(0, 0, 1)).is_err());
        assert!(check_options(&o(2, 1, 1)).is_ok());
        assert!(check_options(&o(0, 0, 0)).is_ok());
    }
}
