//! The PostgreSQL side of the bus: one dedicated connection that `LISTEN`s, re-established
//! with backoff when it drops, after which subscribers get [`Event::Resync`].

use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use super::{CHANNEL, Change, Event, Live};
use crate::error::{Error, Result};

/// The `application_name` of the listening connection, as `pg_stat_activity` shows it.
pub const APPLICATION_NAME: &str = "capex-graph live";

/// First wait before reconnecting; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The listening task; dropping this stops it.
#[derive(Debug)]
pub struct Listening(tokio::task::AbortHandle);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts feeding `live` with the changes committed on the PostgreSQL database at `url`,
/// by any instance. Returns once the first `LISTEN` runs, so a write made afterwards is seen.
pub async fn listen(url: &str, live: &Live) -> Result<Listening> {
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| Error::Internal(format!("the database URL: {e}")))?
        .application_name(APPLICATION_NAME);
    let listener = connect(&options)
        .await
        .map_err(|e| Error::Unavailable(format!("LISTEN {CHANNEL}: {e}")))?;
    let live = live.clone();
    let task = tokio::spawn(run(options, listener, live));
    Ok(Listening(task.abort_handle()))
}

async fn connect(
    options: &PgConnectOptions,
) -> std::result::Result<PgListener, sea_orm::sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options.clone());
    let mut listener = PgListener::connect_with(&pool).await?;
    // A lost connection is re-established here, explicitly, to tell subscribers.
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

async fn run(options: PgConnectOptions, mut listener: PgListener, live: Live) {
    loop {
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => match Change::decode(notification.payload()) {
                    Some((change, row)) => {
                        let row = row.and_then(|json| super::row_from_json(change.typename, json));
                        live.deliver_with(Event::Change(change), row);
                    }
                    None => tracing::warn!(
                        payload = notification.payload(),
                        "ignored a notification that is not a change"
                    ),
                },
                Ok(None) => {
                    tracing::warn!("the LISTEN connection was lost");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the LISTEN connection failed");
                    break;
                }
            }
        }
        let mut backoff = FIRST_BACKOFF;
        listener = loop {
            tokio::time::sleep(backoff).await;
            match connect(&options).await {
                Ok(listener) => break listener,
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "LISTEN: reconnecting failed");
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        };
        tracing::info!("the LISTEN connection is back: subscribers are told to resync");
        live.deliver(Event::Resync);
    }
}
