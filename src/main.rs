//! The server binary: reads settings, sets up tracing, connects, migrates, and serves or
//! runs one of the other commands (migrate, seed, generate, print-schema).

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use capex_graph::auth::WriteAccess;
use capex_graph::config::{Cli, Command, Settings};
use capex_graph::dataset::{self, Dataset};
use capex_graph::generate::{self, GenerateOptions};
use capex_graph::graphql::{self, SchemaOptions};
use capex_graph::http::{self, AppState};
use capex_graph::live::{self, Live};
use capex_graph::monitoring;
use capex_graph::persisted::{PersistedQueries, TrustedDocuments};
use capex_graph::{db, store, telemetry, transfer};

/// mimalloc instead of the system allocator: a GraphQL response allocates per field, and
/// profiles of the server spent about a third of its CPU in glibc's malloc and free, part
/// of it waiting on the allocator's locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = cli.settings;
    capex_graph::replicas::check_urls(&settings.database_url, &settings.read_urls())
        .map_err(anyhow::Error::msg)?;
    settings.check_pooler().map_err(anyhow::Error::msg)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::PrintSchema => {
            print!("{}", graphql::sdl());
            Ok(())
        }
        Command::Migrate => {
            telemetry::init(settings.log_sql, settings.log_format);
            open(&settings).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Seed { file } => {
            telemetry::init(settings.log_sql, settings.log_format);
            let db = open(&settings).await?;
            let data = match file {
                Some(path) => Dataset::from_file(&path)?,
                None => Dataset::builtin()?,
            };
            let report = dataset::load(&db, &data).await?;
            println!(
                "inserted {} rows, matched {} existing rows",
                report.inserted, report.matched
            );
            Ok(())
        }
        Command::Generate {
            companies,
            investments,
            models,
            claims,
            seed,
        } => {
            telemetry::init(settings.log_sql, settings.log_format);
            let db = open(&settings).await?;
            let options = GenerateOptions {
                companies,
                investments,
                models,
                claims,
                seed,
                progress: std::io::stderr().is_terminal(),
            };
            let report = generate::generate(&db, &options).await?;
            println!("{report}");
            Ok(())
        }
        Command::Import { files } => {
            telemetry::init(settings.log_sql, settings.log_format);
            let db = open(&settings).await?;
            let progress = std::io::stderr().is_terminal();
            let report = transfer::import::import(&db, &files, progress).await?;
            println!("{report}; peak memory {}", peak_memory());
            Ok(())
        }
        Command::Export { target } => {
            telemetry::init(settings.log_sql, settings.log_format);
            let db = open(&settings).await?;
            let pools = read_pools(&settings, db, &pool_options(&settings), false).await?;
            // An export is a long read: a replica takes it when there is one.
            let reader = pools.reader(pools.pick_replica().await);
            let started = std::time::Instant::now();
            let report = transfer::export::export(reader, &target).await?;
            println!(
                "exported {} records to {} in {:.2} s",
                report.records,
                target.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Serve => serve(settings).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let exporting = telemetry::init_serving(settings.log_sql, settings.log_format);
    // Read in session 23 only; one setting now says it (a deployment that set it must hear).
    if std::env::var_os("LIVE_FANOUT_IDLE").is_some() {
        tracing::warn!(
            fanout = %settings.live_fanout_nice,
            "LIVE_FANOUT_IDLE is no longer read: LIVE_FANOUT_NICE=idle puts the fan-out threads under SCHED_IDLE"
        );
    }
    // Bad token settings stop the server before it touches the database.
    let access = WriteAccess::from_config(
        settings.write_tokens.as_ref(),
        settings.write_tokens_file.as_deref(),
    )?;
    let get_cache_control = axum::http::HeaderValue::from_str(&settings.get_cache_control)
        .with_context(|| {
            format!(
                "GET_CACHE_CONTROL {:?} is not a header value",
                settings.get_cache_control
            )
        })?;
    let persisted = trusted_documents(&settings)?;
    // Instances started together take turns: the first migrates and seeds, the others
    // find the work done.
    let (db, lock) = open_locked(&settings).await?;
    if !settings.no_seed && store::is_empty(&db).await? {
        let report = dataset::load(&db, &Dataset::builtin()?).await?;
        tracing::info!(
            rows = report.inserted,
            "empty database: loaded the built-in dataset"
        );
    }
    lock.release().await.context("releasing the setup lock")?;
    // Requests get a pool whose statements PostgreSQL cancels at the request timeout: a
    // request dropped at its timeout does not leave its statement running. (Migrations
    // and seeding above ran without that bound, on the direct URL.) Behind a transaction
    // pooler, this is the pooler's URL.
    let mut db = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.close().await?;
        db::connect_pool(&settings.database_url, &request_pool_options(&settings))
            .await
            .with_context(|| format!("connecting to {}", db::redact(&settings.database_url)))?
    } else {
        db
    };
    let metrics = settings.metrics != monitoring::Exposure::Off;
    let metered = metrics && monitoring::install().is_some();
    if metered {
        db.set_metric_callback(monitoring::statement);
        monitoring::spawn_upkeep();
    }
    let options = request_pool_options(&settings);
    let pools = read_pools(&settings, db.clone(), &options, metered).await?;
    let options = SchemaOptions {
        max_depth: settings.max_depth,
        max_complexity: settings.max_complexity,
        max_input_depth: settings.max_input_depth,
        trace_fields: settings.trace_fields,
        search: capex_graph::search::SearchLimits {
            max_text: settings.search_max_text,
            max_words: settings.search_max_words,
            max_candidates: settings.search_max_candidates,
        },
    };
    let live = Live::new(settings.subscription_buffer)
        .with_coalesce(Duration::from_millis(settings.live_coalesce_ms))
        .with_coalesce_max(Duration::from_millis(settings.live_coalesce_max_ms));
    // Every instance on a PostgreSQL database hears the changes committed by any of them.
    let _listening = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        Some(
            live::listen(settings.direct_url(), &live)
                .await
                .context("listening for changes (LISTEN)")?,
        )
    } else {
        None
    };
    let schema = graphql::build_schema_with(pools.clone(), options, live.clone());
    match access.token_count() {
        0 => tracing::info!("no write token configured: mutations are refused"),
        n => tracing::info!(tokens = n, "mutations enabled for bearer tokens"),
    }
    let drain = http::Drain::default();
    let app = http::router(AppState {
        drain: drain.clone(),
        http: http::HttpOptions {
            request_timeout: Duration::from_secs(settings.request_timeout_secs),
            max_response_bytes: settings.max_response_bytes,
            cors: settings.cors_origins.clone(),
            get_cache_control,
            max_batch: settings.max_batch_operations,
            metrics: settings.metrics == monitoring::Exposure::WithApi,
            live: http::LiveOptions {
                max_connections: settings.ws_max_connections,
                max_subscriptions: settings.ws_max_subscriptions,
                keepalive: Duration::from_secs(settings.ws_keepalive_secs),
                init_timeout: Duration::from_secs(settings.ws_init_timeout_secs),
                fanout: settings.live_fanout_nice,
                max_queued_bytes: settings.ws_max_queued_bytes,
            },
        },
        persisted,
        pools: pools.clone(),
        ..AppState::new(schema, db.clone(), access)
    });
    let addr: SocketAddr = format!("{}:{}", settings.host, settings.port)
        .parse()
        .with_context(|| {
            format!(
                "{}:{} is not an address to listen on",
                settings.host, settings.port
            )
        })?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    tracing::info!(
        "listening on http://{}/graphql (database {})",
        listener.local_addr()?,
        db::redact(&settings.database_url)
    );
    if let monitoring::Exposure::Separate(address) = settings.metrics {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("binding the metrics address {address}"))?;
        tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
        let metrics = http::metrics_router(db.clone(), live.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, metrics).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    let stopping = drain.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            stopping.close();
        })
        .await?;
    // Subscribers get a close frame (1001) rather than a dropped connection.
    let open = drain.open();
    if !drain.wait(Duration::from_secs(5)).await {
        tracing::warn!(
            open = drain.open(),
            "WebSocket connections still open after 5 s: closing them"
        );
    } else if open > 0 {
        tracing::info!(closed = open, "WebSocket connections closed");
    }
    pools.close().await;
    exporting.shutdown();
    tracing::info!("stopped");
    Ok(())
}

/// The persisted-documents store, with the trusted documents of TRUSTED_DOCUMENTS. A
/// manifest that cannot be read, or TRUSTED_DOCUMENTS_ONLY without one, stops the server.
fn trusted_documents(settings: &Settings) -> anyhow::Result<PersistedQueries> {
    let store = PersistedQueries::default();
    match &settings.trusted_documents {
        None if settings.trusted_documents_only => anyhow::bail!(
            "TRUSTED_DOCUMENTS_ONLY needs TRUSTED_DOCUMENTS: the manifest of the documents to run"
        ),
        None => Ok(store),
        Some(path) => {
            let trusted = TrustedDocuments::load(path, settings.trusted_documents_only)
                .map_err(|e| anyhow::anyhow!("TRUSTED_DOCUMENTS: {e}"))?;
            tracing::info!(
                documents = trusted.len(),
                only = settings.trusted_documents_only,
                "trusted documents loaded"
            );
            Ok(store.with_trusted(trusted))
        }
    }
}

/// Connects to the configured database and applies pending migrations; the error names
/// the step and the database (without its password).
async fn open(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let (db, lock) = open_locked(settings).await?;
    lock.release().await.context("releasing the setup lock")?;
    Ok(db)
}

/// [`open`], still holding the lock that keeps other processes from setting up the same
/// database at the same time (see [`db::SetupLock`]).
async fn open_locked(
    settings: &Settings,
) -> anyhow::Result<(sea_orm::DatabaseConnection, db::SetupLock)> {
    // Through a transaction pooler neither the session lock nor migrations would hold.
    let url = settings.direct_url();
    let lock = db::SetupLock::acquire(url)
        .await
        .with_context(|| format!("taking the setup lock of {}", db::redact(url)))?;
    let db = db::connect_pool(url, &pool_options(settings))
        .await
        .with_context(|| format!("connecting to {}", db::redact(url)))?;
    db::migrate(&db).await.context("applying migrations")?;
    Ok((db, lock))
}

/// The primary `db` with the replicas of DATABASE_READ_URLS, each a pool of `options` that
/// connects lazily: a replica that is down at start is left out until it answers.
async fn read_pools(
    settings: &Settings,
    db: sea_orm::DatabaseConnection,
    options: &db::PoolOptions,
    metered: bool,
) -> anyhow::Result<capex_graph::replicas::Pools> {
    let options = db::PoolOptions {
        lazy: true,
        ..*options
    };
    let mut replicas = Vec::new();
    for url in settings.read_urls() {
        let name = db::redact(&url);
        let mut replica = db::connect_pool(&url, &options)
            .await
            .with_context(|| format!("setting up the read replica {name}"))?;
        if metered {
            replica.set_metric_callback(monitoring::statement);
        }
        replicas.push((name, replica));
    }
    if !replicas.is_empty() {
        tracing::info!(replicas = replicas.len(), "queries go to the read replicas");
    }
    Ok(capex_graph::replicas::Pools::new(db, replicas))
}

/// The pool of requests: PostgreSQL cancels a statement at the request timeout.
fn request_pool_options(settings: &Settings) -> db::PoolOptions {
    db::PoolOptions {
        statement_timeout: Some(Duration::from_secs(settings.request_timeout_secs)),
        behind_pooler: settings.behind_pooler(),
        ..pool_options(settings)
    }
}

/// The pool of the settings; commands other than `serve` run without a statement timeout.
fn pool_options(settings: &Settings) -> db::PoolOptions {
    db::PoolOptions {
        log_sql: settings.log_sql,
        max_connections: settings.db_max_connections,
        acquire_timeout: Duration::from_secs(settings.db_acquire_timeout_secs),
        statement_timeout: None,
        lazy: false,
        behind_pooler: false,
    }
}

/// The process's peak resident memory, or "unknown".
fn peak_memory() -> String {
    telemetry::peak_rss_bytes().map_or_else(|| "unknown".into(), |b| format!("{} MB", b >> 20))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
