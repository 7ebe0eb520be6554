//! Read replicas: queries go to a PostgreSQL replica, everything else to the primary.
//!
//! The schema holds [`Pools`]: the primary and the replicas of `DATABASE_READ_URLS`. A
//! `query` operation reads a replica, chosen in turn among those that answer; a mutation
//! (with the payload it returns: read-your-writes), a subscription, and any read inside a
//! write transaction use the primary. The choice is made once per operation, so one
//! response never mixes two replicas that replayed to different points.
//!
//! A replica that does not answer a ping is skipped for [`RETRY_AFTER`] (logged, and the
//! gauge `db_replica_up` drops to 0): its queries are answered from the primary instead of
//! failing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;

/// How long a replica that did not answer is left out before it is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);

/// How long the ping that checks a replica before an operation may take.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The pools of the schema: the primary and its read replicas (possibly none).
#[derive(Clone)]
pub struct Pools(Arc<Inner>);

struct Inner {
    primary: DatabaseConnection,
    replicas: Vec<Replica>,
    next: AtomicUsize,
}

/// One read replica.
struct Replica {
    db: DatabaseConnection,
    /// Its URL without the password, for logs, `/health` and `/metrics`.
    name: String,
    /// Until when it is left out after failing a ping.
    down_until: Mutex<Option<Instant>>,
}

impl Pools {
    /// The primary alone: every operation uses it.
    pub fn primary_only(primary: DatabaseConnection) -> Pools {
        Pools::new(primary, Vec::new())
    }

    /// The primary and the replicas, each given with the name it is reported under.
    pub fn new(primary: DatabaseConnection, replicas: Vec<(String, DatabaseConnection)>) -> Pools {
        let replicas = replicas
            .into_iter()
            .map(|(name, db)| Replica {
                db,
                name,
                down_until: Mutex::new(None),
            })
            .collect();
        Pools(Arc::new(Inner {
            primary,
            replicas,
            next: AtomicUsize::new(0),
        }))
    }

    /// The primary: writes, and reads that must see them.
    pub fn primary(&self) -> &DatabaseConnection {
        &self.0.primary
    }

    /// Whether there is any replica.
    pub fn has_replicas(&self) -> bool {
        !self.0.replicas.is_empty()
    }

    /// The replicas with their names.
    pub fn replicas(&self) -> impl Iterator<Item = (&str, &DatabaseConnection)> {
        self.0.replicas.iter().map(|r| (r.name.as_str(), &r.db))
    }

    /// The pool an operation reads from: the replica `index` or, for `None`, the primary.
    pub fn reader(&self, index: Option<usize>) -> &DatabaseConnection {
        index
            .and_then(|i| self.0.replicas.get(i))
            .map_or(&self.0.primary, |r| &r.db)
    }

    /// Picks the replica for the next query: the next one in turn that is not left out and
    /// answers a ping within [`PROBE_TIMEOUT`]; `None` (the primary) when none does.
    pub async fn pick_replica(&self) -> Option<usize> {
        let count = self.0.replicas.len();
        if count == 0 {
            return None;
        }
        let start = self.0.next.fetch_add(1, Ordering::Relaxed);
        for step in 0..count {
            let index = (start + step) % count;
            if self.answers(index).await {
                return Some(index);
            }
        }
        None
    }

    /// Whether replica `index` is in use: not left out, and answering a ping now. A failed
    /// ping leaves it out for [`RETRY_AFTER`].
    async fn answers(&self, index: usize) -> bool {
        let replica = &self.0.replicas[index];
        let left_out = lock(&replica.down_until).is_some_and(|until| Instant::now() < until);
        if left_out {
            return false;
        }
        let ping = match tokio::time::timeout(PROBE_TIMEOUT, replica.db.ping()).await {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(_) => Err(format!("no answer within {PROBE_TIMEOUT:?}")),
        };
        let was_down = lock(&replica.down_until).is_some();
        match ping {
            Ok(()) => {
                if was_down {
                    *lock(&replica.down_until) = None;
                    tracing::info!(replica = %replica.name, "read replica answers again");
                }
                replica_gauge(&replica.name, true);
                true
            }
            Err(error) => {
                *lock(&replica.down_until) = Some(Instant::now() + RETRY_AFTER);
                if !was_down {
                    tracing::warn!(
                        replica = %replica.name,
                        %error,
                        "read replica unreachable: its queries go to the primary"
                    );
                }
                replica_gauge(&replica.name, false);
                false
            }
        }
    }

    /// Each replica's name and whether it answers a ping now (for `/health`).
    pub async fn replica_health(&self) -> Vec<(String, bool)> {
        let mut health = Vec::with_capacity(self.0.replicas.len());
        for replica in &self.0.replicas {
            let ping = tokio::time::timeout(PROBE_TIMEOUT, replica.db.ping()).await;
            health.push((replica.name.clone(), matches!(ping, Ok(Ok(())))));
        }
        health
    }

    /// Closes every pool.
    pub async fn close(&self) {
        for replica in &self.0.replicas {
            let _ = replica.db.close_by_ref().await;
        }
        let _ = self.0.primary.close_by_ref().await;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn replica_gauge(name: &str, up: bool) {
    metrics::gauge!("db_replica_up", "replica" => name.to_owned()).set(if up { 1.0 } else { 0.0 });
}

/// The replica an operation reads from, decided once per request, before the schema runs
/// (see [`crate::graphql::served`]).
#[derive(Default)]
pub(crate) struct ReadRoute(Option<usize>);

impl ReadRoute {
    /// The route of a request: `replica`, or the primary.
    pub(crate) fn chosen(replica: Option<usize>) -> Self {
        ReadRoute(replica)
    }

    /// The replica chosen for this request, if any.
    pub(crate) fn replica(&self) -> Option<usize> {
        self.0
    }
}

/// Checks `DATABASE_READ_URLS` against `DATABASE_URL`: replicas need a PostgreSQL primary,
/// and each must be a PostgreSQL URL.
pub fn check_urls(primary: &str, replicas: &[String]) -> Result<(), String> {
    if replicas.is_empty() {
        return Ok(());
    }
    if !is_postgres(primary) {
        return Err(
            "DATABASE_READ_URLS needs a PostgreSQL DATABASE_URL: a SQLite database has no read \
             replicas (unset DATABASE_READ_URLS)"
                .into(),
        );
    }
    match replicas.iter().find(|url| !is_postgres(url)) {
        Some(url) => Err(format!(
            "DATABASE_READ_URLS: {:?} is not a PostgreSQL URL (postgres://USER@HOST:PORT/DB)",
            crate::db::redact(url)
        )),
        None => Ok(()),
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

#[cfg(test)]
mod tests {
    use super::check_urls;

    #[test]
    fn read_urls_need_postgres_on_both_sides() {
        let pg = "postgres://u@h:5432/d";
        assert!(check_urls("sqlite://x.db", &[]).is_ok());
        assert!(check_urls(pg, &[pg.into()]).is_ok());
        let refused = check_urls("sqlite://x.db", &[pg.into()]).expect_err("SQLite primary");
        assert!(refused.contains("SQLite"), "{refused}");
        let refused =
            check_urls(pg, &[pg.into(), "sqlite://r.db".into()]).expect_err("SQLite replica");
        assert!(refused.contains("sqlite://r.db"), "{refused}");
    }
}
