//! Connecting to SQLite or PostgreSQL and bringing the schema up to date.

use std::ops::Deref;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, MutexGuard};

use crate::error::{Error, Result};

/// How long a request waits for a pool connection by default before it is answered
/// `SERVICE_UNAVAILABLE` (setting `DB_ACQUIRE_TIMEOUT_SECS`).
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a SQLite statement waits for another process's lock on the file before it
/// fails with SQLITE_BUSY (answered `SERVICE_UNAVAILABLE`).
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How a pool connects; the defaults are those of [`connect`].
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    /// Log every statement at DEBUG.
    pub log_sql: bool,
    /// Most connections (see [`connect_pool`] for the default).
    pub max_connections: Option<u32>,
    /// How long a request waits for a connection.
    pub acquire_timeout: Duration,
    /// PostgreSQL only: the server cancels a statement running longer (`statement_timeout`),
    /// so that a request dropped at its timeout does not leave its statement running.
    pub statement_timeout: Option<Duration>,
    /// Open connections only when a request needs one: the pool is made even while its
    /// server is down (read replicas, which are checked before each use).
    pub lazy: bool,
    /// PostgreSQL behind a pooler in transaction mode (PgBouncer's `pool_mode =
    /// transaction`): see [`POOLER_BEGIN`].
    pub behind_pooler: bool,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            log_sql: false,
            max_connections: None,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
            statement_timeout: None,
            lazy: false,
            behind_pooler: false,
        }
    }
}

/// Connects to `url` with the default pool size and wait. A SQLite file's folder is
/// created if missing, and the file is put in WAL mode so readers do not block the writer.
pub async fn connect(url: &str, log_sql: bool) -> Result<DatabaseConnection> {
    let options = PoolOptions {
        log_sql,
        ..PoolOptions::default()
    };
    connect_pool(url, &options).await
}

/// The default size of a SQLite file's pool: twice the cores, 2 to 8. SeaORM's own default
/// for SQLite is one connection, which runs every statement of every request in turn on
/// one thread and leaves the other cores idle.
pub fn default_sqlite_pool() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    (cores * 2).clamp(2, 8) as u32
}

/// Connects to `url` with a pool of at most `max_connections` (default: SQLite files get
/// [`default_sqlite_pool`], PostgreSQL the driver's default of 10; an in-memory SQLite
/// database always has exactly one). A request waits at most `acquire_timeout` for a
/// connection: when the database is down, it is answered `SERVICE_UNAVAILABLE` then
/// instead of holding its client; the pool reconnects by itself once the database is back.
pub async fn connect_pool(url: &str, pool: &PoolOptions) -> Result<DatabaseConnection> {
    create_sqlite_folder(url)?;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(pool.log_sql)
        .sqlx_logging_level(log::LevelFilter::Debug)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(pool.acquire_timeout.max(Duration::from_millis(100)))
        // Explicit, though it is sqlx's default: another process's write waits this long.
        .map_sqlx_sqlite_opts(|o| o.busy_timeout(SQLITE_BUSY_TIMEOUT));
    // One closure: SeaORM keeps only the last one given.
    let statement_timeout = pool
        .statement_timeout
        .map(|limit| limit.as_millis().max(1).to_string());
    if pool.behind_pooler {
        behind_pooler(&mut options, statement_timeout.as_deref());
        return finish_connect(url, pool, options).await;
    }
    options.map_sqlx_postgres_opts(move |mut o| {
        if let Some(millis) = &statement_timeout {
            o = o.options([("statement_timeout", millis.as_str())]);
        }
        postgres_jit_off(o)
    });
    finish_connect(url, pool, options).await
}

/// Sizes the pool and connects.
async fn finish_connect(
    url: &str,
    pool: &PoolOptions,
    mut options: ConnectOptions,
) -> Result<DatabaseConnection> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        // Each connection to an in-memory database is a database of its own.
        options.max_connections(1).min_connections(1);
    } else if let Some(max) = pool.max_connections {
        options.max_connections(max.max(1));
    } else if sqlite_file_path(url).is_some() {
        options.max_connections(default_sqlite_pool());
    }
    options.connect_lazy(pool.lazy);
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite && sqlite_file_path(url).is_some() {
        db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
    }
    Ok(db)
}

/// What a connection runs when the pool hands it out behind a transaction pooler: one
/// simple-query round trip that opens the transaction the statement runs in, with the
/// connection's settings (`SET LOCAL`: session settings would stay on a server connection
/// that the pooler hands to others, or be missing on the next one), and drops the prepared
/// statements left on this server connection by earlier transactions (of any client).
///
/// Why: sqlx runs a statement as Parse/Describe/Sync, then Bind/Execute/Sync. Outside a
/// transaction, PgBouncer (1.18 has no prepared-statement support) hands the server
/// connection back after the first Sync, so the Bind may land on another server connection:
/// "prepared statement \"sqlx_s_1\" does not exist". Inside a transaction both go to the
/// same one. The statement cache is off (a cached statement names a statement of an earlier
/// transaction's server connection), so sqlx prepares every statement under a new name in
/// the transaction that runs it; `DEALLOCATE ALL` keeps those names from clashing with the
/// statements other clients left on the same server connection ("already exists").
///
/// A write transaction's own `BEGIN` then finds this one open (its warning is silenced by
/// `client_min_messages`); its `COMMIT` commits at once, as without a pooler, and
/// [`POOLER_END`] finds nothing left to commit.
pub const POOLER_BEGIN: &str =
    "BEGIN; SET LOCAL client_min_messages = error; SET LOCAL jit = off; DEALLOCATE ALL";

/// What a connection runs when it goes back to the pool behind a transaction pooler: ends
/// the transaction of [`POOLER_BEGIN`] (a read's; a write committed its own), silently
/// whether one is open or not. A connection on which it fails is closed.
pub const POOLER_END: &str = "SET LOCAL client_min_messages = error; COMMIT";

/// Sets `options` up for a PostgreSQL pooler in transaction mode (see [`POOLER_BEGIN`]):
/// no startup parameters a pooler refuses (`options`, `extra_float_digits`; the settings
/// they carried are set per transaction instead), no statement cache, and every
/// connection handed out inside a transaction.
fn behind_pooler(options: &mut ConnectOptions, statement_timeout_millis: Option<&str>) {
    options.map_sqlx_postgres_opts(|o| o.statement_cache_capacity(0).extra_float_digits(None));
    let begin = match statement_timeout_millis {
        Some(millis) => format!("{POOLER_BEGIN}; SET LOCAL statement_timeout = {millis}"),
        None => POOLER_BEGIN.to_owned(),
    };
    let begin: std::sync::Arc<str> = begin.into();
    options.map_sqlx_postgres_pool_opts(move |o| {
        let (on_connect, on_acquire) = (begin.clone(), begin.clone());
        // A new connection goes to its first user without `before_acquire`.
        o.after_connect(move |conn, _| {
            let begin = on_connect.clone();
            Box::pin(async move {
                sea_orm::sqlx::Executor::execute(&mut *conn, sea_orm::sqlx::AssertSqlSafe(&*begin))
                    .await
                    .map(|_| ())
            })
        })
        .before_acquire(move |conn, _| {
            let begin = on_acquire.clone();
            Box::pin(async move {
                sea_orm::sqlx::Executor::execute(&mut *conn, sea_orm::sqlx::AssertSqlSafe(&*begin))
                    .await?;
                Ok(true)
            })
        })
        .after_release(|conn, _| {
            Box::pin(async move {
                let ended = sea_orm::sqlx::Executor::execute(
                    &mut *conn,
                    sea_orm::sqlx::AssertSqlSafe(POOLER_END),
                )
                .await;
                Ok(ended.is_ok())
            })
        })
    });
}

/// Turns PostgreSQL's JIT off for the pool's connections, unless the URL sets `jit` itself
/// (`?options[jit]=on`). The analytics statements scan and group 10^5 to 10^6 rows in tens
/// to hundreds of milliseconds; when a plan's estimated cost passed `jit_above_cost`
/// (100,000 by default; reached by a subquery per row, or by tables several times the
/// generated one), compiling it took 250 to 460 ms, as long as the statement itself, and
/// again on every execution: JIT pays off only for statements running for many seconds,
/// which the request timeout does not allow anyway. See "JIT off for the pool" in BENCHMARKS.md.
fn postgres_jit_off(options: PgConnectOptions) -> PgConnectOptions {
    if options.get_options().is_some_and(|o| o.contains("jit")) {
        return options;
    }
    options.options([("jit", "off")])
}

/// A write transaction. On SQLite, write transactions of this process take turns: WAL lets
/// any number of readers run beside one writer, but two transactions that both read and then
/// write would fail with SQLITE_BUSY (the second one's snapshot is stale once the first
/// commits). Across processes sharing the file, each begins with `BEGIN IMMEDIATE`: it takes
/// the write lock at once, waiting up to [`SQLITE_BUSY_TIMEOUT`] for another process's
/// writer, instead of failing when its first write finds its read snapshot stale.
/// PostgreSQL transactions run side by side as usual.
///
/// Its changes (see [`crate::live`]) leave only when it commits: on PostgreSQL by
/// `pg_notify` inside the transaction, on SQLite to the bus given to [`WriteTxn::deliver_to`]
/// after the commit.
pub struct WriteTxn {
    // Field order matters: the transaction ends (commit or rollback) before the turn passes.
    txn: DatabaseTransaction,
    outbox: crate::live::Outbox,
    _turn: Option<MutexGuard<'static, ()>>,
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    /// Commits (with the notifications of its changes, on PostgreSQL), delivers its changes
    /// (SQLite), then passes the turn to the next writer.
    pub async fn commit(self) -> Result<()> {
        let WriteTxn { txn, outbox, _turn } = self;
        outbox.notify_in(&txn).await?;
        let backend = txn.get_database_backend();
        txn.commit().await?;
        outbox.committed(backend);
        Ok(())
    }

    /// Records a change this transaction makes, sent when it commits.
    pub fn record(&mut self, change: crate::live::Change) {
        self.outbox.record(change);
    }

    /// Records a change with the row as this transaction wrote it: the subscribers of
    /// every instance get it without reading it (see [`crate::live::Carried::of`]).
    pub fn record_row<M>(&mut self, change: crate::live::Change, row: M)
    where
        M: serde::Serialize + Send + Sync + 'static,
    {
        match crate::live::Carried::of(self.txn.get_database_backend(), row) {
            Some(row) => self.outbox.record_row(change, row),
            None => self.outbox.record(change),
        }
    }

    /// Delivers the changes to this process's subscribers on `live` (see [`crate::live`]).
    pub fn deliver_to(&mut self, live: &crate::live::Live) {
        self.outbox.deliver_to(live);
    }
}

/// The turn of SQLite writers: one write transaction at a time in this process.
static SQLITE_WRITER: Mutex<()> = Mutex::const_new(());

/// Begins a write transaction (see [`WriteTxn`]); on SQLite it first waits for its turn.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return Ok(WriteTxn {
            txn: db.begin().await?,
            outbox: Default::default(),
            _turn: None,
        });
    }
    let turn = SQLITE_WRITER.lock().await;
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    };
    Ok(WriteTxn {
        txn: db.begin_with_options(options).await?,
        outbox: Default::default(),
        _turn: Some(turn),
    })
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Creates the folder of a SQLite file, if missing.
fn create_sqlite_folder(url: &str) -> Result<()> {
    if let Some(path) = sqlite_file_path(url)
        && let Some(dir) = std::path::Path::new(&path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Internal(format!("cannot create {}: {e}", dir.display())))?;
    }
    Ok(())
}

/// The key of the PostgreSQL advisory lock that instances hold while they migrate and
/// seed ("capex" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x63_6170_6578;

/// Held while one process migrates (and seeds) a database, so that instances started
/// together on a fresh database take turns instead of creating the same tables at once.
/// PostgreSQL: a session advisory lock on a connection of its own (session locks belong
/// to a connection, and a pool would hand the connection on); SQLite file: an exclusive
/// lock on the file `<database>.lock` beside it. In-memory databases need none. The lock
/// is released on [`SetupLock::release`], on drop, or when the process ends.
pub struct SetupLock {
    held: Held,
}

enum Held {
    Nothing,
    File(std::fs::File),
    Postgres(DatabaseConnection),
}

impl SetupLock {
    /// Waits until no other process sets up the database at `url`, and takes the lock.
    pub async fn acquire(url: &str) -> Result<SetupLock> {
        if let Some(path) = sqlite_file_path(url) {
            create_sqlite_folder(url)?;
            let lock_path = format!("{path}.lock");
            let file = tokio::task::spawn_blocking(move || {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true)
                    .open(&lock_path)
                    .map_err(|e| Error::Internal(format!("cannot open {lock_path}: {e}")))?;
                file.lock()
                    .map_err(|e| Error::Internal(format!("cannot lock {lock_path}: {e}")))?;
                Ok::<_, Error>(file)
            })
            .await
            .map_err(|e| Error::Internal(format!("waiting for the setup lock: {e}")))??;
            return Ok(SetupLock {
                held: Held::File(file),
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut options = ConnectOptions::new(url.to_owned());
            options
                .sqlx_logging(false)
                .max_connections(1)
                .min_connections(1)
                .connect_timeout(Duration::from_secs(10));
            let conn = Database::connect(options).await?;
            conn.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .await?;
            return Ok(SetupLock {
                held: Held::Postgres(conn),
            });
        }
        Ok(SetupLock {
            held: Held::Nothing,
        })
    }

    /// Releases the lock: the next waiting process goes on.
    pub async fn release(self) -> Result<()> {
        match self.held {
            Held::Nothing => Ok(()),
            Held::File(file) => file
                .unlock()
                .map_err(|e| Error::Internal(format!("cannot unlock the setup lock: {e}"))),
            Held::Postgres(conn) => {
                // Closing the session releases its advisory locks as well.
                let unlocked = conn
                    .execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                    .await;
                let _ = conn.close().await;
                unlocked.map(|_| ())?;
                Ok(())
            }
        }
    }
}

/// A database URL without its password, for logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The file behind a `sqlite:` URL, or `None` for other engines and in-memory databases.
fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path.contains(":memory:") || url.contains("mode=memory") {
        None
    } else {
        Some(path.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_file_path;

    #[test]
    fn finds_the_file_behind_sqlite_urls_only() {
        assert_eq!(
            sqlite_file_path("sqlite://data/capex.db?mode=rwc").as_deref(),
            Some("data/capex.db")
        );
        assert_eq!(
            sqlite_file_path("sqlite:///tmp/x.db").as_deref(),
            Some("/tmp/x.db")
        );
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://root@127.0.0.1/test"), None);
    }

    /// sqlx-core 0.9.0 leaves `TCP_NODELAY` off, which costs a PostgreSQL query over TCP a
    /// delayed ACK now and then (`vendor/README.md`). The lock file must resolve it to the
    /// patched copy in `vendor/` or to a release from 0.9.1 on, which has the fix.
    #[test]
    fn sqlx_core_sets_tcp_nodelay() {
        let lock = include_str!("../Cargo.lock");
        let entry = lock
            .split("[[package]]")
            .find(|package| package.contains("\nname = \"sqlx-core\"\n"))
            .expect("Cargo.lock has sqlx-core");
        let version: Vec<u32> = entry
            .lines()
            .find_map(|line| line.strip_prefix("version = \""))
            .and_then(|version| version.strip_suffix('"'))
            .expect("sqlx-core's version")
            .split(['.', '-', '+'])
            .take(3)
            .map(|part| part.parse().expect("a numeric version"))
            .collect();
        if entry.contains("source = ") {
            assert!(
                version > vec![0, 9, 0],
                "sqlx-core {version:?} from crates.io lacks TCP_NODELAY: keep the vendor/ patch"
            );
        } else {
            let socket = std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/vendor/sqlx-core/src/net/socket/mod.rs"
            ))
            .expect("the patched sqlx-core in vendor/");
            assert_eq!(
                socket.matches("set_nodelay(true)").count(),
                3,
                "the vendored sqlx-core sets TCP_NODELAY on each TCP socket it opens"
            );
        }
    }
}
