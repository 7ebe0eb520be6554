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

use std::fmt;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use entity::enums::*;
use entity::{ai_model, citation, claim, claim_challenge, company, investment, person, source};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, EntityTrait, IntoActiveModel, Iterable, QueryFilter, Statement,
};

use crate::error::{Error, Result};
use crate::money;

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
    let txn = crate::db::begin_write(db).await?;
    let tables = Generator::new(&txn, options).await?.run().await?;
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

/// SplitMix64 (Steele, Lea and Flood): tiny, fast, and its output depends on nothing but
/// the seed, which is what determinism across engines and machines needs.
#[derive(Debug, Clone)]
struct Rng {
    state: u64,
}

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    /// An independent stream per table, so that asking for more claims does not change the
    /// investments drawn from the same seed.
    fn stream(seed: u64, stream: u64) -> Rng {
        let mut mixer = Rng::new(stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        Rng::new(seed ^ mixer.next_u64())
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0). The multiply-shift's bias is below 2^-32 for
    /// every `n` used here, far too small to matter for synthetic data.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    fn index(&mut self, n: usize) -> usize {
        self.below(n as u64) as usize
    }

    fn between(&mut self, low: i32, high: i32) -> i32 {
        low + self.below((high - low + 1) as u64) as i32
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn choose<T: Copy>(&mut self, items: &[(T, u64)]) -> T {
        let total: u64 = items.iter().map(|(_, w)| w).sum();
        let mut r = self.below(total);
        for (item, weight) in items {
            if r < *weight {
                return *item;
            }
            r -= weight;
        }
        // Only reached with an empty or all-zero table, which the constants below never are.
        items[0].0
    }

    /// A heavy-tailed weight in 1..=1000 with P(w > x) about 1/x: a few companies attract
    /// most deals, as in the real market, while most get one or two.
    fn popularity(&mut self) -> u64 {
        1000 / (1 + self.below(1000))
    }
}

/// Draws indices in proportion to their weights (an index with weight 0 is never drawn,
/// unless all are 0, when all are equally likely).
struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    fn new(weights: impl Iterator<Item = u64>) -> Weighted {
        let mut total = 0;
        let mut cumulative: Vec<u64> = weights
            .map(|w| {
                total += w;
                total
            })
            .collect();
        if total == 0 {
            cumulative = (1..=cumulative.len() as u64).collect();
        }
        Weighted { cumulative }
    }

    fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0);
        let r = rng.below(total);
        self.cumulative.partition_point(|&c| c <= r)
    }

    /// A pick other than `not`, for edges that must join two distinct rows.
    fn pick_other(&self, rng: &mut Rng, not: usize) -> usize {
        for _ in 0..16 {
            let i = self.pick(rng);
            if i != not {
                return i;
            }
        }
        // `not` holds nearly all the weight: take a uniform other row instead.
        let n = self.cumulative.len();
        (not + 1 + rng.index(n - 1)) % n
    }
}

// ---------------------------------------------------------------------------------------
// What rows look like

const KINDS: &[(CompanyKind, u64)] = &[
    (CompanyKind::Startup, 60),
    (CompanyKind::Investor, 14),
    (CompanyKind::Subsidiary, 8),
    (CompanyKind::Other, 8),
    (CompanyKind::BigTech, 5),
    (CompanyKind::Chipmaker, 5),
];

/// (country, headquarters, weight); `None` is a company whose country no source gives.
const PLACES: &[(Option<(&str, &str)>, u64)] = &[
    (Some(("US", "San Francisco")), 22),
    (Some(("US", "New York")), 8),
    (Some(("US", "Seattle")), 6),
    (Some(("CN", "Beijing")), 8),
    (Some(("CN", "Shenzhen")), 4),
    (Some(("GB", "London")), 7),
    (Some(("FR", "Paris")), 5),
    (Some(("DE", "Berlin")), 4),
    (Some(("JP", "Tokyo")), 4),
    (Some(("KR", "Seoul")), 3),
    (Some(("IL", "Tel Aviv")), 3),
    (Some(("CA", "Toronto")), 3),
    (Some(("IN", "Bengaluru")), 3),
    (Some(("SE", "Stockholm")), 2),
    (Some(("NL", "Amsterdam")), 2),
    (None, 16),
];

/// Names outside ASCII, for every 97th company, with the place that goes with them: clients
/// and both engines must round-trip them unchanged.
const FOREIGN_NAMES: &[(&str, &str, &str)] = &[
    ("Société d'Intelligence", "FR", "Paris"),
    ("Ökonomie Rechenwerk", "DE", "München"),
    ("Ærøskøbing Robotik", "DK", "Århus"),
    ("Zürcher Lernmaschinen", "CH", "Zürich"),
    ("北京智能科技", "CN", "北京"),
    ("Łódź Sieci Neuronowe", "PL", "Łódź"),
    ("São Paulo Inteligência", "BR", "São Paulo"),
    ("Reykjavík Gervigreind", "IS", "Reykjavík"),
];

const TITLES: &[(&str, u64)] = &[
    ("Chief Executive Officer", 20),
    ("Chief Technology Officer", 15),
    ("Chief Financial Officer", 10),
    ("Chief Scientist", 8),
    ("Co-founder", 15),
    ("Head of Research", 12),
    ("Analyst", 20),
];

const PRECISIONS: &[(DatePrecision, u64)] = &[
    (DatePrecision::Day, 50),
    (DatePrecision::Month, 25),
    (DatePrecision::Quarter, 15),
    (DatePrecision::Year, 10),
];

const CLAIM_KINDS: &[(ClaimKind, u64)] = &[
    (ClaimKind::CostClaim, 35),
    (ClaimKind::ForwardLooking, 30),
    (ClaimKind::Opinion, 20),
    (ClaimKind::Guidance, 15),
];

const CLAIM_STATUSES: &[(ClaimStatus, u64)] = &[
    (ClaimStatus::Asserted, 55),
    (ClaimStatus::Disputed, 25),
    (ClaimStatus::Verified, 12),
    (ClaimStatus::Refuted, 8),
];

const CHALLENGE_KINDS: &[(ChallengeKind, u64)] = &[
    (ChallengeKind::PublicDoubt, 50),
    (ChallengeKind::Investigation, 30),
    (ChallengeKind::CounterEvidence, 20),
];

const CURRENCIES: &[(&str, u64)] = &[("USD", 85), ("EUR", 15)];

fn company_name(i: usize) -> String {
    let number = i + 1;
    if number.is_multiple_of(97) {
        let (word, _, _) = FOREIGN_NAMES[(number / 97) % FOREIGN_NAMES.len()];
        format!("Gen {word} {number:05}")
    } else {
        format!("Gen Company {number:05}")
    }
}

fn person_name(i: usize) -> String {
    format!("Gen Person {:05}", i + 1)
}

fn model_name(kind: ModelKind, i: usize) -> String {
    let word = match kind {
        ModelKind::Model => "Model",
        ModelKind::Chip => "Chip",
        ModelKind::Agent => "Agent",
        ModelKind::Product => "Product",
    };
    format!("Gen {word} {:05}", i + 1)
}

fn investment_ref(i: usize) -> String {
    format!("GI{:06}", i + 1)
}

fn claim_ref(i: usize) -> String {
    format!("GC{:06}", i + 1)
}

/// How likely a company of each kind is to invest (relative), to receive money, to develop
/// a model, and to be listed (percent).
fn kind_profile(kind: CompanyKind) -> (u64, u64, u64, u64) {
    match kind {
        CompanyKind::Investor => (12, 1, 0, 30),
        CompanyKind::BigTech => (8, 1, 8, 90),
        CompanyKind::Chipmaker => (3, 3, 4, 70),
        CompanyKind::Startup => (1, 10, 4, 8),
        CompanyKind::Subsidiary => (1, 1, 2, 0),
        CompanyKind::Other => (2, 2, 1, 20),
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn ymd(year: i32, month: u32, day: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        Error::Internal(format!("generated an impossible date {year}-{month}-{day}"))
    })
}

/// A date in `years` known to a random precision, stored as the first day of its span like
/// every date of the schema (see `check_date` in the dataset loader).
fn random_date(rng: &mut Rng, first: i32, last: i32) -> Result<(NaiveDate, DatePrecision)> {
    let year = rng.between(first, last);
    let precision = rng.choose(PRECISIONS);
    let date = match precision {
        DatePrecision::Day => {
            let days = if is_leap(year) { 366 } else { 365 };
            let ordinal = 1 + rng.below(days) as u32;
            NaiveDate::from_yo_opt(year, ordinal).ok_or_else(|| {
                Error::Internal(format!("generated an impossible day {ordinal} of {year}"))
            })?
        }
        DatePrecision::Month => ymd(year, 1 + rng.below(12) as u32, 1)?,
        DatePrecision::Quarter => ymd(year, 1 + 3 * rng.below(4) as u32, 1)?,
        DatePrecision::Year => ymd(year, 1, 1)?,
    };
    Ok((date, precision))
}

/// A round amount in minor units between `10^low` and `10^(high+1)` major units, with three
/// significant digits, as deal sizes are reported ("$12.5 million").
fn random_amount(rng: &mut Rng, low: u32, high: u32) -> i64 {
    let exponent = low + rng.below(u64::from(high - low + 1)) as u32;
    let mantissa = 100 + rng.below(900) as i64;
    // Both currencies used here have two minor digits.
    mantissa * 10_i64.pow(exponent - 2) * 100
}

// ---------------------------------------------------------------------------------------
// Writing

/// SQLite's default SQLITE_MAX_VARIABLE_NUMBER (since 3.32).
const SQLITE_MAX_BINDS: usize = 32_766;
/// PostgreSQL's wire protocol counts bind parameters in 16 bits.
const POSTGRES_MAX_BINDS: usize = 65_535;
/// More rows per statement gain little and cost memory.
const MAX_ROWS_PER_INSERT: usize = 5_000;

/// Buffers rows of one table and writes them with multi-row inserts no larger than the
/// engine's bind-parameter limit allows.
struct Batch<'a, E: EntityTrait> {
    txn: &'a DatabaseTransaction,
    rows: Vec<E::ActiveModel>,
    capacity: usize,
    written: usize,
    bar: ProgressBar,
}

impl<'a, E> Batch<'a, E>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    fn new(txn: &'a DatabaseTransaction, bar: ProgressBar) -> Self {
        let limit = match txn.get_database_backend() {
            DbBackend::Sqlite => SQLITE_MAX_BINDS,
            _ => POSTGRES_MAX_BINDS,
        };
        let columns = E::Column::iter().count().max(1);
        let capacity = (limit / columns).clamp(1, MAX_ROWS_PER_INSERT);
        Batch {
            txn,
            rows: Vec::with_capacity(capacity),
            capacity,
            written: 0,
            bar,
        }
    }

    async fn push(&mut self, row: E::Model) -> Result<()> {
        self.rows.push(row.into_active_model());
        if self.rows.len() >= self.capacity {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(self.capacity));
        let n = rows.len();
        E::insert_many(rows)
            .exec_without_returning(self.txn)
            .await?;
        self.written += n;
        self.bar.inc(n as u64);
        Ok(())
    }

    async fn finish(mut self) -> Result<usize> {
        self.flush().await?;
        self.bar.finish();
        Ok(self.written)
    }
}

/// The largest id of `table`, 0 when it is empty.
async fn max_id(txn: &DatabaseTransaction, table: &str) -> Result<i32> {
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT MAX(\"id\") AS m FROM \"{table}\""),
        ))
        .await?;
    let max: Option<i32> = match row {
        Some(row) => row.try_get("", "m")?,
        None => None,
    };
    Ok(max.unwrap_or(0))
}

/// Ids for `count` new rows after the largest existing one.
#[derive(Debug, Clone, Copy)]
struct Ids {
    base: i32,
}

impl Ids {
    async fn after_max(txn: &DatabaseTransaction, table: &str, count: usize) -> Result<Ids> {
        let base = max_id(txn, table).await?;
        let fits = i32::try_from(count)
            .ok()
            .and_then(|n| base.checked_add(n))
            .is_some();
        if !fits {
            return Err(Error::invalid(
                table,
                format!("{count} more rows after id {base} would overflow the 32-bit ids"),
            ));
        }
        Ok(Ids { base })
    }

    /// The id of the `i`th new row; in range by the check in `after_max`.
    fn of(self, i: usize) -> i32 {
        self.base + 1 + i as i32
    }
}

/// What later tables need to know about a generated company.
struct CompanyFacts {
    kind: CompanyKind,
    /// Weight as an investor.
    activity: u64,
    /// Weight as an investee, claimant or challenger.
    prominence: u64,
    /// Weight as a model developer.
    development: u64,
}

struct Generator<'a> {
    txn: &'a DatabaseTransaction,
    options: &'a GenerateOptions,
    people: usize,
    tables: Vec<(&'static str, usize)>,
    source_id: i32,
    companies: Ids,
    persons: Ids,
    models: Ids,
    investments: Ids,
    claims: Ids,
    challenges: Ids,
    citations: Ids,
    facts: Vec<CompanyFacts>,
    person_company: Vec<Option<usize>>,
    /// Per model: its developer and kind.
    model_facts: Vec<(usize, ModelKind)>,
    /// Per claim: its claimant company and how many challenges it has.
    claim_challenges: Vec<(usize, u8)>,
}

impl<'a> Generator<'a> {
    async fn new(txn: &'a DatabaseTransaction, options: &'a GenerateOptions) -> Result<Self> {
        let existing = source::Entity::find()
            .filter(source::Column::Key.eq(SOURCE_KEY))
            .one(txn)
            .await?;
        if existing.is_some() {
            return Err(Error::invalid(
                "database",
                "it already holds a generated graph (source \"generated\" exists): generate into a fresh database",
            ));
        }
        if txn.get_database_backend() == DbBackend::Postgres {
            // Ids are assigned from the current maxima, so nobody else may insert until we
            // commit; readers are not blocked.
            txn.execute_unprepared(
                "LOCK TABLE source, company, person, ai_model, investment, claim, \
                 claim_challenge, citation IN SHARE ROW EXCLUSIVE MODE",
            )
            .await?;
        }
        let o = options;
        let people = o.companies / 5;
        // Challenges and citations are counted later; a generous bound checks the id range.
        let challenges_bound = o.claims.saturating_mul(3);
        let citations_bound = o
            .investments
            .saturating_add(o.claims)
            .saturating_add(challenges_bound);
        Ok(Generator {
            txn,
            options,
            people,
            tables: Vec::new(),
            source_id: Ids::after_max(txn, "source", 1).await?.of(0),
            companies: Ids::after_max(txn, "company", o.companies).await?,
            persons: Ids::after_max(txn, "person", people).await?,
            models: Ids::after_max(txn, "ai_model", o.models).await?,
            investments: Ids::after_max(txn, "investment", o.investments).await?,
            claims: Ids::after_max(txn, "claim", o.claims).await?,
            challenges: Ids::after_max(txn, "claim_challenge", challenges_bound).await?,
            citations: Ids::after_max(txn, "citation", citations_bound).await?,
            facts: Vec::with_capacity(o.companies),
            person_company: Vec::with_capacity(people),
            model_facts: Vec::with_capacity(o.models),
            claim_challenges: Vec::with_capacity(o.claims),
        })
    }

    async fn run(mut self) -> Result<Vec<(&'static str, usize)>> {
        self.source().await?;
        self.companies().await?;
        self.people().await?;
        self.models().await?;
        self.investments().await?;
        self.claims().await?;
        self.challenges().await?;
        self.citations().await?;
        self.advance_sequences().await?;
        Ok(self.tables)
    }

    fn seed(&self, stream: u64) -> Rng {
        Rng::stream(self.options.seed, stream)
    }

    fn bar(&self, table: &'static str, len: usize) -> ProgressBar {
        if !self.options.progress {
            return ProgressBar::hidden();
        }
        let style = ProgressStyle::with_template(
            "{prefix:>16} [{bar:32}] {pos:>7}/{len:7} {rate:>14} {elapsed:>4}",
        )
        .map(|s| {
            s.progress_chars("=> ")
                // indicatif's own {per_sec} prints every digit of the float.
                .with_key("rate", |state: &ProgressState, w: &mut dyn fmt::Write| {
                    let _ = write!(w, "{:.0} rows/s", state.per_sec());
                })
        })
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_prefix(table);
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    }

    fn done(&mut self, table: &'static str, rows: usize, started: Instant) {
        if !self.options.progress {
            tracing::info!(
                table,
                rows,
                seconds = started.elapsed().as_secs_f64(),
                "generated"
            );
        }
        self.tables.push((table, rows));
    }

    async fn source(&mut self) -> Result<()> {
        let started = Instant::now();
        let mut batch = Batch::<source::Entity>::new(self.txn, self.bar("source", 1));
        batch
            .push(source::Model {
                id: self.source_id,
                key: SOURCE_KEY.to_string(),
                title: "Synthetic data".to_string(),
                publisher: Some("capex-graph generate".to_string()),
                published_on: None,
                published_precision: None,
                address: None,
                // No text, so the loader's verbatim-quote rule has nothing to check against.
                content: None,
            })
            .await?;
        let n = batch.finish().await?;
        self.done("source", n, started);
        Ok(())
    }

    async fn companies(&mut self) -> Result<()> {
        let started = Instant::now();
        let n = self.options.companies;
        let mut rng = self.seed(1);
        let mut batch = Batch::<company::Entity>::new(self.txn, self.bar("company", n));
        // Earlier companies that can own a subsidiary, and big techs whose alumni found startups.
        let mut owners: Vec<usize> = Vec::new();
        let mut big_techs: Vec<usize> = Vec::new();
        let mut places: Vec<Option<(&str, &str)>> = Vec::with_capacity(n);
        for i in 0..n {
            let mut kind = rng.choose(KINDS);
            let mut parent = None;
            if kind == CompanyKind::Subsidiary {
                if owners.is_empty() {
                    kind = CompanyKind::Startup;
                } else {
                    parent = Some(owners[rng.index(owners.len())]);
                }
            }
            let (invests, receives, develops, listed) = kind_profile(kind);
            let ticker = rng.percent(listed).then(|| format!("G{:05}", i + 1));
            let number = i + 1;
            let place = if number.is_multiple_of(97) {
                let (_, country, city) = FOREIGN_NAMES[(number / 97) % FOREIGN_NAMES.len()];
                Some((country, city))
            } else if let Some(p) = parent {
                // A subsidiary sits where its parent does.
                places[p]
            } else {
                rng.choose(PLACES)
            };
            let alumni_of =
                if kind == CompanyKind::Startup && !big_techs.is_empty() && rng.percent(6) {
                    Some(big_techs[rng.index(big_techs.len())])
                } else {
                    None
                };
            let activity = invests * rng.popularity();
            let prominence = receives * rng.popularity();
            let development = develops * rng.popularity();
            batch
                .push(company::Model {
                    id: self.companies.of(i),
                    name: company_name(i),
                    ticker,
                    kind,
                    country: place.map(|(c, _)| c.to_string()),
                    headquarters: place.map(|(_, h)| h.to_string()),
                    parent_id: parent.map(|p| self.companies.of(p)),
                    founded_by_alumni_of_id: alumni_of.map(|a| self.companies.of(a)),
                    description: None,
                })
                .await?;
            if matches!(
                kind,
                CompanyKind::BigTech | CompanyKind::Investor | CompanyKind::Chipmaker
            ) {
                owners.push(i);
            }
            if kind == CompanyKind::BigTech {
                big_techs.push(i);
            }
            places.push(place);
            self.facts.push(CompanyFacts {
                kind,
                activity,
                prominence,
                development,
            });
        }
        let n = batch.finish().await?;
        self.done("company", n, started);
        Ok(())
    }

    async fn people(&mut self) -> Result<()> {
        let started = Instant::now();
        let n = self.people;
        let mut rng = self.seed(2);
        let employers = Weighted::new(self.facts.iter().map(|f| f.prominence));
        let mut batch = Batch::<person::Entity>::new(self.txn, self.bar("person", n));
        for i in 0..n {
            let company = rng.percent(85).then(|| employers.pick(&mut rng));
            let title = rng.choose(TITLES);
            batch
                .push(person::Model {
                    id: self.persons.of(i),
                    name: person_name(i),
                    title: Some(title.to_string()),
                    company_id: company.map(|c| self.companies.of(c)),
                    description: None,
                })
                .await?;
            self.person_company.push(company);
        }
        let n = batch.finish().await?;
        self.done("person", n, started);
        Ok(())
    }

    async fn models(&mut self) -> Result<()> {
        let started = Instant::now();
        let n = self.options.models;
        let mut rng = self.seed(3);
        let developers = Weighted::new(self.facts.iter().map(|f| f.development));
        let mut batch = Batch::<ai_model::Entity>::new(self.txn, self.bar("ai_model", n));
        for i in 0..n {
            let developer = developers.pick(&mut rng);
            let kind = if self.facts[developer].kind == CompanyKind::Chipmaker {
                rng.choose(&[(ModelKind::Chip, 85), (ModelKind::Product, 15)])
            } else {
                rng.choose(&[
                    (ModelKind::Model, 60),
                    (ModelKind::Product, 20),
                    (ModelKind::Agent, 15),
                    (ModelKind::Chip, 5),
                ])
            };
            let announced = if rng.percent(75) {
                Some(random_date(&mut rng, 2018, 2025)?)
            } else {
                None
            };
            let expected = if rng.percent(30) {
                let from = announced.map_or(2025, |(d, _)| d.year() + 1);
                Some(random_date(&mut rng, from, from + 2)?)
            } else {
                None
            };
            batch
                .push(ai_model::Model {
                    id: self.models.of(i),
                    name: model_name(kind, i),
                    kind,
                    developer_id: self.companies.of(developer),
                    announced_on: announced.map(|(d, _)| d),
                    announced_precision: announced.map(|(_, p)| p),
                    expected_on: expected.map(|(d, _)| d),
                    expected_precision: expected.map(|(_, p)| p),
                    description: None,
                })
                .await?;
            self.model_facts.push((developer, kind));
        }
        let n = batch.finish().await?;
        self.done("ai_model", n, started);
        Ok(())
    }

    async fn investments(&mut self) -> Result<()> {
        let started = Instant::now();
        let n = self.options.investments;
        let mut rng = self.seed(4);
        let investors = Weighted::new(self.facts.iter().map(|f| f.activity));
        let investees = Weighted::new(self.facts.iter().map(|f| f.prominence));
        let mut batch = Batch::<investment::Entity>::new(self.txn, self.bar("investment", n));
        for i in 0..n {
            let investor = investors.pick(&mut rng);
            let investee = investees.pick_other(&mut rng, investor);
            let (amount, currency) = if rng.percent(10) {
                // Undisclosed: unknown stays null, never zero.
                (None, None)
            } else {
                let currency = rng.choose(CURRENCIES);
                (Some(random_amount(&mut rng, 5, 9)), Some(currency))
            };
            let made = if rng.percent(92) {
                Some(random_date(&mut rng, 2015, 2025)?)
            } else {
                None
            };
            batch
                .push(investment::Model {
                    id: self.investments.of(i),
                    reference: Some(investment_ref(i)),
                    investor_id: self.companies.of(investor),
                    investee_id: self.companies.of(investee),
                    amount_minor: amount,
                    currency: currency.map(str::to_string),
                    made_on: made.map(|(d, _)| d),
                    made_precision: made.map(|(_, p)| p),
                    description: None,
                })
                .await?;
        }
        let n = batch.finish().await?;
        self.done("investment", n, started);
        Ok(())
    }

    async fn claims(&mut self) -> Result<()> {
        let started = Instant::now();
        let n = self.options.claims;
        let mut rng = self.seed(5);
        let voices = Weighted::new(self.facts.iter().map(|f| f.prominence + f.activity));
        let mut batch = Batch::<claim::Entity>::new(self.txn, self.bar("claim", n));
        for i in 0..n {
            // Sometimes a person speaks, for their company when they have one.
            let person = (self.people > 0 && rng.percent(30)).then(|| rng.index(self.people));
            let claimant = match person.and_then(|p| self.person_company[p]) {
                Some(company) => company,
                None => voices.pick(&mut rng),
            };
            let kind = rng.choose(CLAIM_KINDS);
            let status = rng.choose(CLAIM_STATUSES);
            let (subject_model, subject_company) =
                if !self.model_facts.is_empty() && rng.percent(30) {
                    let m = rng.index(self.model_facts.len());
                    (Some(m), Some(self.model_facts[m].0))
                } else if self.facts.len() > 1 && rng.percent(40) {
                    (None, Some(voices.pick_other(&mut rng, claimant)))
                } else {
                    (None, None)
                };
            let amount_percent = match kind {
                ClaimKind::CostClaim => 80,
                ClaimKind::Guidance => 60,
                ClaimKind::ForwardLooking | ClaimKind::Opinion => 10,
            };
            let amount = if rng.percent(amount_percent) {
                let (low, high) = match kind {
                    ClaimKind::Guidance => (8, 11),
                    _ => (5, 9),
                };
                Some((random_amount(&mut rng, low, high), rng.choose(CURRENCIES)))
            } else {
                None
            };
            let made = if rng.percent(85) {
                Some(random_date(&mut rng, 2019, 2025)?)
            } else {
                None
            };
            let challenges = match status {
                ClaimStatus::Disputed | ClaimStatus::Refuted => 1 + rng.below(3) as u8,
                ClaimStatus::Verified => rng.below(2) as u8,
                ClaimStatus::Asserted => 0,
            };
            let speaker = match person {
                Some(p) => person_name(p),
                None => company_name(claimant),
            };
            let subject = match (subject_model, subject_company) {
                (Some(m), _) => Some(model_name(self.model_facts[m].1, m)),
                (None, Some(c)) => Some(company_name(c)),
                (None, None) => None,
            };
            let statement = statement(
                kind,
                &speaker,
                subject.as_deref(),
                amount,
                made.map(|(d, _)| d),
            );
            batch
                .push(claim::Model {
                    id: self.claims.of(i),
                    reference: Some(claim_ref(i)),
                    statement,
                    kind,
                    status,
                    claimant_person_id: person.map(|p| self.persons.of(p)),
                    claimant_company_id: Some(self.companies.of(claimant)),
                    subject_company_id: subject_company.map(|c| self.companies.of(c)),
                    subject_model_id: subject_model.map(|m| self.models.of(m)),
                    spending_figure_id: None,
                    amount_minor: amount.map(|(a, _)| a),
                    currency: amount.map(|(_, c)| c.to_string()),
                    made_on: made.map(|(d, _)| d),
                    made_precision: made.map(|(_, p)| p),
                })
                .await?;
            self.claim_challenges.push((claimant, challenges));
        }
        let n = batch.finish().await?;
        self.done("claim", n, started);
        Ok(())
    }

    async fn challenges(&mut self) -> Result<()> {
        let started = Instant::now();
        let total: usize = self
            .claim_challenges
            .iter()
            .map(|&(_, k)| usize::from(k))
            .sum();
        let mut rng = self.seed(6);
        let critics = Weighted::new(self.facts.iter().map(|f| f.prominence + f.activity));
        let mut batch =
            Batch::<claim_challenge::Entity>::new(self.txn, self.bar("claim_challenge", total));
        let mut next = 0;
        for (c, &(claimant, count)) in self.claim_challenges.iter().enumerate() {
            for _ in 0..count {
                let company = (self.facts.len() > 1 && rng.percent(75))
                    .then(|| critics.pick_other(&mut rng, claimant));
                let person = (self.people > 0 && rng.percent(15)).then(|| rng.index(self.people));
                let kind = rng.choose(CHALLENGE_KINDS);
                let who = match (company, person) {
                    (_, Some(p)) => person_name(p),
                    (Some(c), None) => company_name(c),
                    // Like the built-in "some tech leaders": a challenge with no named challenger.
                    (None, None) => "An unnamed critic".to_string(),
                };
                let what = match kind {
                    ChallengeKind::PublicDoubt => "publicly doubts",
                    ChallengeKind::Investigation => "is investigating",
                    ChallengeKind::CounterEvidence => "presents evidence against",
                };
                batch
                    .push(claim_challenge::Model {
                        id: self.challenges.of(next),
                        claim_id: self.claims.of(c),
                        challenger_company_id: company.map(|x| self.companies.of(x)),
                        challenger_person_id: person.map(|p| self.persons.of(p)),
                        kind,
                        description: format!("{who} {what} claim {}.", claim_ref(c)),
                    })
                    .await?;
                next += 1;
            }
        }
        let n = batch.finish().await?;
        self.done("claim_challenge", n, started);
        Ok(())
    }

    async fn citations(&mut self) -> Result<()> {
        let started = Instant::now();
        let challenges = self.count("claim_challenge");
        let total = self.options.investments + self.options.claims + challenges;
        let mut batch = Batch::<citation::Entity>::new(self.txn, self.bar("citation", total));
        let blank = citation::Model {
            id: 0,
            source_id: self.source_id,
            quote: String::new(),
            company_id: None,
            person_id: None,
            ai_model_id: None,
            investment_id: None,
            project_id: None,
            project_backer_id: None,
            spending_figure_id: None,
            claim_id: None,
            claim_challenge_id: None,
            event_id: None,
        };
        let mut next = 0;
        for i in 0..self.options.investments {
            batch
                .push(citation::Model {
                    id: self.citations.of(next),
                    quote: format!("Synthetic fact {}.", investment_ref(i)),
                    investment_id: Some(self.investments.of(i)),
                    ..blank.clone()
                })
                .await?;
            next += 1;
        }
        for c in 0..self.options.claims {
            batch
                .push(citation::Model {
                    id: self.citations.of(next),
                    quote: format!("Synthetic fact {}.", claim_ref(c)),
                    claim_id: Some(self.claims.of(c)),
                    ..blank.clone()
                })
                .await?;
            next += 1;
        }
        let mut challenge = 0;
        for (c, &(_, count)) in self.claim_challenges.iter().enumerate() {
            for k in 1..=count {
                batch
                    .push(citation::Model {
                        id: self.citations.of(next),
                        quote: format!("Synthetic fact {}, challenge {k}.", claim_ref(c)),
                        claim_challenge_id: Some(self.challenges.of(challenge)),
                        ..blank.clone()
                    })
                    .await?;
                next += 1;
                challenge += 1;
            }
        }
        let n = batch.finish().await?;
        self.done("citation", n, started);
        Ok(())
    }

    fn count(&self, table: &str) -> usize {
        self.tables
            .iter()
            .find(|(name, _)| *name == table)
            .map_or(0, |(_, n)| *n)
    }

    /// PostgreSQL's identity sequences do not see explicit ids: move each past the new rows
    /// so that the next ordinary insert (the dataset loader's) does not collide. SQLite's
    /// AUTOINCREMENT follows explicit ids by itself.
    async fn advance_sequences(&self) -> Result<()> {
        if self.txn.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (table, rows) in &self.tables {
            if *rows == 0 {
                continue;
            }
            self.txn
                .execute_unprepared(&format!(
                    "SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), \
                     (SELECT MAX(\"id\") FROM \"{table}\"))"
                ))
                .await?;
        }
        Ok(())
    }
}

/// A claim's sentence, built from its parts so that it reads like the claim it is.
fn statement(
    kind: ClaimKind,
    speaker: &str,
    subject: Option<&str>,
    amount: Option<(i64, &str)>,
    made: Option<NaiveDate>,
) -> String {
    let money = amount
        .map(|(minor, currency)| format!("{} {currency}", money::format_amount(minor, currency)));
    // Forward-looking claims and guidance are about the year after they were made.
    let year = made.map_or(2026, |d| d.year() + 1);
    match (kind, money) {
        (ClaimKind::CostClaim, Some(m)) => format!(
            "{speaker} says {} cost {m} to build.",
            subject.unwrap_or("its latest model")
        ),
        (ClaimKind::CostClaim, None) => format!(
            "{speaker} says {} cost a fraction of what its rivals spend.",
            subject.unwrap_or("its latest model")
        ),
        (ClaimKind::ForwardLooking, Some(m)) => format!(
            "{speaker} expects {} to reach {m} in revenue by {year}.",
            subject.unwrap_or("AI services")
        ),
        (ClaimKind::ForwardLooking, None) => format!(
            "{speaker} expects {} to keep growing through {year}.",
            subject.unwrap_or("demand for AI computing")
        ),
        (ClaimKind::Opinion, Some(m)) => format!(
            "{speaker} thinks {} is worth more than {m}.",
            subject.unwrap_or("the AI market")
        ),
        (ClaimKind::Opinion, None) => format!(
            "{speaker} thinks {} is overvalued.",
            subject.unwrap_or("the AI market")
        ),
        (ClaimKind::Guidance, Some(m)) => {
            format!("{speaker} guides capital expenditure of {m} for {year}.")
        }
        (ClaimKind::Guidance, None) => {
            format!("{speaker} guides higher capital expenditure for {year}.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_output() {
        // Reference values of Vigna's splitmix64.c seeded with 1234567.
        let mut rng = Rng::new(1_234_567);
        let first: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn streams_differ_and_repeat() {
        let draw = |seed, stream| {
            let mut rng = Rng::stream(seed, stream);
            (0..4).map(|_| rng.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(42, 1), draw(42, 1));
        assert_ne!(draw(42, 1), draw(42, 2));
        assert_ne!(draw(42, 1), draw(43, 1));
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut rng = Rng::new(7);
        let mut seen = [0usize; 10];
        for _ in 0..10_000 {
            let x = rng.below(10);
            seen[x as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert_eq!(rng.below(0), 0);
    }

    #[test]
    fn weighted_picks_follow_their_weights_and_avoid_the_excluded() {
        let mut rng = Rng::new(1);
        let w = Weighted::new([0, 1, 9].into_iter());
        let mut seen = [0usize; 3];
        for _ in 0..10_000 {
            seen[w.pick(&mut rng)] += 1;
        }
        assert_eq!(seen[0], 0);
        assert!((800..1200).contains(&seen[1]), "{seen:?}");
        for _ in 0..1_000 {
            assert_ne!(w.pick_other(&mut rng, 2), 2);
        }
        let zeros = Weighted::new([0, 0].into_iter());
        assert!(zeros.pick(&mut rng) < 2);
    }

    #[test]
    fn dates_start_the_span_their_precision_names() {
        let mut rng = Rng::new(3);
        for _ in 0..5_000 {
            let (d, p) = random_date(&mut rng, 2015, 2025).expect("date");
            assert!((2015..=2025).contains(&d.year()));
            match p {
                DatePrecision::Day => {}
                DatePrecision::Month => assert_eq!(d.day(), 1),
                DatePrecision::Quarter => {
                    assert!(d.day() == 1 && d.month0().is_multiple_of(3), "{d}")
                }
                DatePrecision::Year => assert!(d.day() == 1 && d.month() == 1, "{d}"),
            }
        }
    }

    #[test]
    fn amounts_are_round_positive_and_in_range() {
        let mut rng = Rng::new(5);
        for _ in 0..5_000 {
            let a = random_amount(&mut rng, 5, 9);
            assert!((100_000 * 100..10_000_000_000 * 100).contains(&a), "{a}");
            assert_eq!(a % (1_000 * 100), 0, "three significant digits: {a}");
        }
    }

    #[test]
    fn names_are_unique_and_some_are_not_ascii() {
        let names: Vec<String> = (0..2_000).map(company_name).collect();
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert_eq!(names[0], "Gen Company 00001");
        assert!(names.iter().all(|n| n.starts_with("Gen ")));
        assert_eq!(names.iter().filter(|n| !n.is_ascii()).count(), 2_000 / 97);
    }

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
