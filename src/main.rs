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
            let started = std::time::Instant::now();
            let report = transfer::export::export(&db, &target).await?;
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
    // and seeding above ran without that bound.)
    let mut db = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.close().await?;
        let options = db::PoolOptions {
            statement_timeout: Some(Duration::from_secs(settings.request_timeout_secs)),
            ..pool_options(&settings)
        };
        db::connect_pool(&settings.database_url, &options)
            .await
            .with_context(|| format!("connecting to {}", redact(&settings.database_url)))?
    } else {
        db
    };
    let metrics = settings.metrics != monitoring::Exposure::Off;
    if metrics && monitoring::install().is_some() {
        db.set_metric_callback(monitoring::statement);
        monitoring::spawn_upkeep();
    }
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
    let live = Live::new(settings.subscription_buffer);
    // Every instance on a PostgreSQL database hears the changes committed by any of them.
    let _listening = if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        Some(
            live::listen(&settings.database_url, &live)
                .await
                .context("listening for changes (LISTEN)")?,
        )
    } else {
        None
    };
    let schema = graphql::build_schema_live(db.clone(), options, live);
    match access.token_count() {
        0 => tracing::info!("no write token configured: mutations are refused"),
        n => tracing::info!(tokens = n, "mutations enabled for bearer tokens"),
    }
    let app = http::router(AppState {
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
            },
        },
        persisted,
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
        redact(&settings.database_url)
    );
    if let monitoring::Exposure::Separate(address) = settings.metrics {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("binding the metrics address {address}"))?;
        tracing::info!("metrics on http://{}/metrics", listener.local_addr()?);
        let metrics = http::metrics_router(db.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, metrics).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
    }
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    db.close().await?;
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
    let url = &settings.database_url;
    let lock = db::SetupLock::acquire(url)
        .await
        .with_context(|| format!("taking the setup lock of {}", redact(url)))?;
    let db = db::connect_pool(url, &pool_options(settings))
        .await
        .with_context(|| format!("connecting to {}", redact(url)))?;
    db::migrate(&db).await.context("applying migrations")?;
    Ok((db, lock))
}

/// The pool of the settings; commands other than `serve` run without a statement timeout.
fn pool_options(settings: &Settings) -> db::PoolOptions {
    db::PoolOptions {
        log_sql: settings.log_sql,
        max_connections: settings.db_max_connections,
        acquire_timeout: Duration::from_secs(settings.db_acquire_timeout_secs),
        statement_timeout: None,
    }
}

/// The process's peak resident memory, or "unknown".
fn peak_memory() -> String {
    telemetry::peak_rss_bytes().map_or_else(|| "unknown".into(), |b| format!("{} MB", b >> 20))
}

/// A database URL without its password, for logs.
fn redact(url: &str) -> String {
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
