//! Connecting to SQLite or PostgreSQL and bringing the schema up to date.

use std::ops::Deref;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    TransactionTrait,
};
use tokio::sync::{Mutex, MutexGuard};

use crate::error::{Error, Result};

/// How long a request waits for a pool connection by default before it is answered
/// `SERVICE_UNAVAILABLE` (setting `DB_ACQUIRE_TIMEOUT_SECS`).
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Connects to `url` with the default pool size and wait. A SQLite file's folder is
/// created if missing, and the file is put in WAL mode so readers do not block the writer.
pub async fn connect(url: &str, log_sql: bool) -> Result<DatabaseConnection> {
    connect_pool(url, log_sql, None, DEFAULT_ACQUIRE_TIMEOUT).await
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
pub async fn connect_pool(
    url: &str,
    log_sql: bool,
    max_connections: Option<u32>,
    acquire_timeout: Duration,
) -> Result<DatabaseConnection> {
    create_sqlite_folder(url)?;
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(log_sql)
        .sqlx_logging_level(log::LevelFilter::Debug)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(acquire_timeout.max(Duration::from_millis(100)));
    if url.contains(":memory:") || url.contains("mode=memory") {
        // Each connection to an in-memory database is a database of its own.
        options.max_connections(1).min_connections(1);
    } else if let Some(max) = max_connections {
        options.max_connections(max.max(1));
    } else if sqlite_file_path(url).is_some() {
        options.max_connections(default_sqlite_pool());
    }
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite && sqlite_file_path(url).is_some() {
        db.execute_unprepared("PRAGMA journal_mode = WAL").await?;
    }
    Ok(db)
}

/// A write transaction. On SQLite, write transactions of this process take turns: WAL lets
/// any number of readers run beside one writer, but two transactions that both read and then
/// write would fail with SQLITE_BUSY (the second one's snapshot is stale once the first
/// commits). PostgreSQL transactions run side by side as usual.
pub struct WriteTxn {
    // Field order matters: the transaction ends (commit or rollback) before the turn passes.
    txn: DatabaseTransaction,
    _turn: Option<MutexGuard<'static, ()>>,
}

impl Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    /// Commits, then passes the turn to the next writer.
    pub async fn commit(self) -> Result<()> {
        let WriteTxn { txn, _turn } = self;
        txn.commit().await?;
        Ok(())
    }
}

/// The turn of SQLite writers: one write transaction at a time in this process.
static SQLITE_WRITER: Mutex<()> = Mutex::const_new(());

/// Begins a write transaction (see [`WriteTxn`]); on SQLite it first waits for its turn.
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTxn> {
    let turn = if db.get_database_backend() == DbBackend::Sqlite {
        Some(SQLITE_WRITER.lock().await)
    } else {
        None
    };
    Ok(WriteTxn {
        txn: db.begin().await?,
        _turn: turn,
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
}
