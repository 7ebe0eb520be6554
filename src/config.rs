//! Typed settings: defaults that run as they are, overridden by environment variables,
//! overridden by command-line flags.

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};

use crate::auth::Secret;
use crate::graphql::guard;

/// The default database: a SQLite file under ./data, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/capex.db?mode=rwc";

/// GraphQL analytics backend for the AI-investment landscape.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; `serve` when none is given.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, load the built-in dataset into an empty database, and serve GraphQL (default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Load the built-in dataset (or FILE, in the same format); loading twice changes nothing.
    Seed {
        /// A dataset file in the built-in JSON format instead of the built-in dataset.
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
    /// Import files in one transaction, all or nothing: JSON datasets (the built-in
    /// format) and CSV files named after their row type (investments.csv...; columns in
    /// the README). Rows are matched by natural key: importing twice changes nothing.
    Import {
        /// The files: *.json and *.csv.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Export the whole database in the import formats: TARGET.json is one JSON dataset;
    /// any other TARGET is a directory that receives one CSV file per row type.
    Export {
        /// A .json file, or a directory for CSV files.
        target: std::path::PathBuf,
    },
    /// Print the GraphQL schema (sorted SDL) to stdout; needs no database.
    PrintSchema,
    /// Fill the database with a synthetic, deterministic AI-investment graph (names start
    /// with "Gen "), for load tests and demos. Refused when the database already has one.
    Generate {
        /// Companies to create (people are a fifth of this).
        #[arg(long, default_value_t = 10_000)]
        companies: usize,
        /// Investments between generated companies.
        #[arg(long, default_value_t = 100_000)]
        investments: usize,
        /// AI models, chips, agents and products.
        #[arg(long, default_value_t = 20_000)]
        models: usize,
        /// Claims, each with up to three challenges.
        #[arg(long, default_value_t = 50_000)]
        claims: usize,
        /// Seed of the generator: the same seed gives the same rows on an empty database.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

/// Settings shared by all commands.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database to use: sqlite://PATH?mode=rwc or postgres://USER@HOST:PORT/DB.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Read replicas of the PostgreSQL DATABASE_URL, comma-separated: queries go to one of
    /// them in turn (to the primary while none answers); mutations, subscriptions, imports
    /// and migrations use the primary. Refused on SQLite.
    #[arg(
        long,
        env = "DATABASE_READ_URLS",
        value_delimiter = ',',
        hide_env_values = true,
        global = true
    )]
    pub database_read_urls: Vec<String>,
    /// How requests reach PostgreSQL: `none` (directly) or `transaction` (through a pooler
    /// such as PgBouncer in transaction mode: each pooled statement runs in a transaction
    /// of its own with the connection's settings, without cached prepared statements).
    #[arg(long, env = "DATABASE_POOLER", value_enum, default_value_t = Pooler::None, global = true)]
    pub database_pooler: Pooler,
    /// A direct URL of the primary (not through a pooler) for what a transaction pooler
    /// cannot carry: migrations and seeding under the setup lock (a session advisory lock),
    /// the subscriptions' LISTEN connection, and the commands (migrate, seed, import,
    /// export, generate). Default: DATABASE_URL.
    #[arg(
        long,
        env = "DATABASE_DIRECT_URL",
        hide_env_values = true,
        global = true
    )]
    pub database_direct_url: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1", global = true)]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "PORT", default_value_t = 8000, global = true)]
    pub port: u16,
    /// Deepest nesting of fields a query may have.
    #[arg(long, env = "MAX_QUERY_DEPTH", default_value_t = guard::DEFAULT_MAX_DEPTH, global = true)]
    pub max_depth: usize,
    /// Largest cost a query may have: its fields counted through fragments, each once per
    /// item of the pages above it (`first`/`last`, or 20 when absent).
    #[arg(
        long,
        env = "MAX_QUERY_COMPLEXITY",
        default_value_t = guard::DEFAULT_MAX_COST,
        global = true
    )]
    pub max_complexity: usize,
    /// Deepest nesting of input objects and lists (filters, lists) in an argument or variable.
    #[arg(long, env = "MAX_INPUT_DEPTH", default_value_t = guard::DEFAULT_MAX_INPUT_DEPTH, global = true)]
    pub max_input_depth: usize,
    /// Seconds after which a request is answered with 408 and its work dropped.
    #[arg(
        long,
        env = "REQUEST_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub request_timeout_secs: u64,
    /// Largest response body in bytes; a larger answer is refused with RESPONSE_TOO_LARGE.
    #[arg(long, env = "MAX_RESPONSE_BYTES", default_value_t = crate::http::DEFAULT_MAX_RESPONSE_BYTES, global = true)]
    pub max_response_bytes: usize,
    /// Browser origins allowed to call the API: `*` (any, the default for a public read
    /// API), `none`, or origins separated by commas (`https://app.example.com`).
    #[arg(long, env = "CORS_ORIGINS", default_value = "*", global = true)]
    pub cors_origins: crate::http::Cors,
    /// `Cache-Control` of successful reads over GET (they also carry an `ETag`, and a
    /// request with a matching `If-None-Match` gets 304).
    #[arg(long, env = "GET_CACHE_CONTROL", default_value = crate::http::DEFAULT_GET_CACHE_CONTROL, global = true)]
    pub get_cache_control: String,
    /// Most operations in one batch (a JSON array of operations in one POST).
    #[arg(long, env = "MAX_BATCH_OPERATIONS", default_value_t = crate::http::DEFAULT_MAX_BATCH, global = true)]
    pub max_batch_operations: usize,
    /// Trace every resolved GraphQL field as a span (costs CPU on large responses).
    #[arg(long, env = "TRACE_FIELDS", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new(), global = true)]
    pub trace_fields: bool,
    /// How log lines are written: `text`, or `json` (one object per line, for collectors).
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = crate::telemetry::LogFormat::Text, global = true)]
    pub log_format: crate::telemetry::LogFormat,
    /// Log every SQL statement (at DEBUG level of the `sqlx` target).
    #[arg(long, env = "LOG_SQL", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new(), global = true)]
    pub log_sql: bool,
    /// Most connections in the database pool (default: for a SQLite file twice the cores,
    /// 2 to 8; for PostgreSQL 10). An in-memory SQLite database always has one.
    #[arg(long, env = "DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,
    /// Do not load the built-in dataset into an empty database at start.
    #[arg(long, env = "NO_SEED", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new(), global = true)]
    pub no_seed: bool,
    /// Write tokens, comma-separated (each at least 16 characters): a mutation needs
    /// `Authorization: Bearer <one of them>`. Without any token, mutations are refused.
    /// Prefer the environment or a file to the command line, which other users can see.
    #[arg(long, env = "WRITE_TOKENS", hide_env_values = true, global = true)]
    pub write_tokens: Option<Secret>,
    /// A file of write tokens, one per line (`#` starts a comment), added to WRITE_TOKENS.
    #[arg(long, env = "WRITE_TOKENS_FILE", global = true)]
    pub write_tokens_file: Option<std::path::PathBuf>,
    /// Seconds a request waits for a database connection; when the database is down or
    /// every connection stays busy that long, it is answered SERVICE_UNAVAILABLE (HTTP 503).
    #[arg(
        long,
        env = "DB_ACQUIRE_TIMEOUT_SECS",
        default_value_t = 3,
        global = true
    )]
    pub db_acquire_timeout_secs: u64,
    /// A manifest of trusted documents, loaded at start: graphql-codegen's
    /// `persisted-documents.json` (`{"<sha256>": "<document>"}`) or Apollo's persisted query
    /// manifest. Clients then name a document by `documentId` (or its APQ hash).
    #[arg(long, env = "TRUSTED_DOCUMENTS", global = true)]
    pub trusted_documents: Option<std::path::PathBuf>,
    /// Run only the documents of TRUSTED_DOCUMENTS; any other is refused with
    /// UNTRUSTED_DOCUMENT (403), except from a caller with a write token.
    #[arg(long, env = "TRUSTED_DOCUMENTS_ONLY", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new(), global = true)]
    pub trusted_documents_only: bool,
    /// Prometheus metrics: `on` (at /metrics on the API's address, the default), `off`
    /// (neither recorded nor served), or HOST:PORT (at /metrics on that address only).
    #[arg(long, env = "METRICS", default_value = "on", global = true)]
    pub metrics: crate::monitoring::Exposure,
    /// Most WebSocket connections (subscriptions) this instance serves at once; past it a
    /// new connection is closed with code 1013 (try again later).
    #[arg(long, env = "WS_MAX_CONNECTIONS", default_value_t = crate::http::DEFAULT_MAX_WS_CONNECTIONS, global = true)]
    pub ws_max_connections: usize,
    /// Most subscriptions one WebSocket connection runs at once; past it a subscription is
    /// refused with TOO_MANY_SUBSCRIPTIONS.
    #[arg(long, env = "WS_MAX_SUBSCRIPTIONS", default_value_t = crate::http::DEFAULT_MAX_SUBSCRIPTIONS, global = true)]
    pub ws_max_subscriptions: usize,
    /// Seconds between keep-alive pings on a WebSocket; a socket that accepts nothing for
    /// this long is dropped.
    #[arg(long, env = "WS_KEEPALIVE_SECS", default_value_t = crate::http::DEFAULT_KEEPALIVE_SECS, value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub ws_keepalive_secs: u64,
    /// Seconds a new WebSocket connection may take to send `connection_init`; it is closed
    /// with code 4408 after that.
    #[arg(long, env = "WS_INIT_TIMEOUT_SECS", default_value_t = crate::http::DEFAULT_INIT_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..), global = true)]
    pub ws_init_timeout_secs: u64,
    /// Priority of the threads that serve WebSocket connections and push events: a nice
    /// value from 1 to 19 (they leave the CPU to requests first, so fan-out does not slow
    /// writes), `idle` (Linux's `SCHED_IDLE`: a request thread that wakes does not wait
    /// for their time slice, as it may behind a nice value; under a CPU saturated by
    /// requests they get almost none, and subscribers fall behind sooner), or 0 (served on
    /// the request threads).
    #[arg(long, env = "LIVE_FANOUT_NICE", default_value_t = crate::http::DEFAULT_FANOUT_PRIORITY, value_parser = clap::builder::ValueParser::new(str::parse::<crate::http::FanoutPriority>), global = true)]
    pub live_fanout_nice: crate::http::FanoutPriority,
    /// Changes a subscriber may fall behind before its connection is closed (code 4008,
    /// SLOW_CONSUMER); the buffer is shared by all subscribers of the instance.
    #[arg(long, env = "SUBSCRIPTION_BUFFER", default_value_t = crate::live::DEFAULT_BUFFER, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000), global = true)]
    pub subscription_buffer: usize,
    /// Most bytes of frames waiting in the server for one WebSocket connection's socket:
    /// past it the connection's subscriptions wait (and fall behind, up to
    /// SUBSCRIPTION_BUFFER); one message larger than this waits for an empty queue.
    #[arg(long, env = "WS_MAX_QUEUED_BYTES", default_value_t = crate::http::DEFAULT_MAX_QUEUED_BYTES, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(4096..=1 << 30), global = true)]
    pub ws_max_queued_bytes: usize,
    /// Milliseconds between two computations of a live result (a live aggregate, groupBy
    /// or spendingSummary): a change after a quiet window is computed at once, and the
    /// changes of a burst are computed together once a window passes without any (0:
    /// recompute on every change).
    #[arg(long, env = "LIVE_COALESCE_MS", default_value_t = crate::live::DEFAULT_COALESCE.as_millis() as u64, value_parser = clap::value_parser!(u64).range(0..=60_000), global = true)]
    pub live_coalesce_ms: u64,
    /// Longest milliseconds the computation of a live result waits after the first change
    /// it has not computed, while changes keep coming less than a window apart (never
    /// before the window's end: 0 computes a burst once per window).
    #[arg(long, env = "LIVE_COALESCE_MAX_MS", default_value_t = crate::live::DEFAULT_COALESCE_MAX.as_millis() as u64, value_parser = clap::value_parser!(u64).range(0..=60_000), global = true)]
    pub live_coalesce_max_ms: u64,
    /// Longest `search` text, in characters.
    #[arg(long, env = "SEARCH_MAX_TEXT", default_value_t = crate::search::DEFAULT_MAX_TEXT, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000), global = true)]
    pub search_max_text: usize,
    /// Most distinct words in a `search` text.
    #[arg(long, env = "SEARCH_MAX_WORDS", default_value_t = crate::search::DEFAULT_MAX_WORDS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=100), global = true)]
    pub search_max_words: usize,
    /// Most candidate texts a `search` may rank; a text matching more is refused.
    #[arg(long, env = "SEARCH_MAX_CANDIDATES", default_value_t = crate::search::DEFAULT_MAX_CANDIDATES, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000), global = true)]
    pub search_max_candidates: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: DEFAULT_DATABASE_URL.into(),
            database_read_urls: Vec::new(),
            database_pooler: Pooler::None,
            database_direct_url: None,
            host: "127.0.0.1".into(),
            port: 8000,
            max_depth: guard::DEFAULT_MAX_DEPTH,
            max_complexity: guard::DEFAULT_MAX_COST,
            max_input_depth: guard::DEFAULT_MAX_INPUT_DEPTH,
            request_timeout_secs: 30,
            max_response_bytes: crate::http::DEFAULT_MAX_RESPONSE_BYTES,
            cors_origins: crate::http::Cors::AnyOrigin,
            get_cache_control: crate::http::DEFAULT_GET_CACHE_CONTROL.into(),
            max_batch_operations: crate::http::DEFAULT_MAX_BATCH,
            trace_fields: false,
            log_sql: false,
            log_format: crate::telemetry::LogFormat::Text,
            db_max_connections: None,
            no_seed: false,
            write_tokens: None,
            write_tokens_file: None,
            db_acquire_timeout_secs: 3,
            trusted_documents: None,
            trusted_documents_only: false,
            metrics: crate::monitoring::Exposure::WithApi,
            ws_max_connections: crate::http::DEFAULT_MAX_WS_CONNECTIONS,
            ws_max_subscriptions: crate::http::DEFAULT_MAX_SUBSCRIPTIONS,
            ws_keepalive_secs: crate::http::DEFAULT_KEEPALIVE_SECS,
            ws_init_timeout_secs: crate::http::DEFAULT_INIT_TIMEOUT_SECS,
            subscription_buffer: crate::live::DEFAULT_BUFFER,
            ws_max_queued_bytes: crate::http::DEFAULT_MAX_QUEUED_BYTES,
            live_fanout_nice: crate::http::DEFAULT_FANOUT_PRIORITY,
            live_coalesce_ms: crate::live::DEFAULT_COALESCE.as_millis() as u64,
            live_coalesce_max_ms: crate::live::DEFAULT_COALESCE_MAX.as_millis() as u64,
            search_max_text: crate::search::DEFAULT_MAX_TEXT,
            search_max_words: crate::search::DEFAULT_MAX_WORDS,
            search_max_candidates: crate::search::DEFAULT_MAX_CANDIDATES,
        }
    }
}

/// What sits between the server and PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Pooler {
    /// Nothing: the server's own pool talks to PostgreSQL.
    None,
    /// A pooler in transaction mode (PgBouncer `pool_mode = transaction`).
    Transaction,
}

impl Settings {
    /// The URL for migrations, the setup lock, LISTEN and the commands: DATABASE_DIRECT_URL,
    /// else DATABASE_URL.
    pub fn direct_url(&self) -> &str {
        self.database_direct_url
            .as_deref()
            .filter(|url| !url.is_empty())
            .unwrap_or(&self.database_url)
    }

    /// Whether requests go through a transaction pooler.
    pub fn behind_pooler(&self) -> bool {
        self.database_pooler == Pooler::Transaction
    }

    /// Refuses a pooler or a direct URL on SQLite, where they mean nothing.
    pub fn check_pooler(&self) -> Result<(), String> {
        let postgres =
            |url: &str| url.starts_with("postgres://") || url.starts_with("postgresql://");
        if self.behind_pooler() && !postgres(&self.database_url) {
            return Err("DATABASE_POOLER=transaction needs a PostgreSQL DATABASE_URL".into());
        }
        if self.database_direct_url.is_some() && !postgres(self.direct_url()) {
            return Err(
                "DATABASE_DIRECT_URL must be a PostgreSQL URL (postgres://USER@HOST:PORT/DB)"
                    .into(),
            );
        }
        Ok(())
    }

    /// The replica URLs given, without empty items (`DATABASE_READ_URLS=` means none).
    pub fn read_urls(&self) -> Vec<String> {
        self.database_read_urls
            .iter()
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty())
            .collect()
    }
}
