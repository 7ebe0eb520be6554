//! Test harness: every test gets a fresh, migrated database with the built-in dataset,
//! on SQLite always and on PostgreSQL when `TEST_DATABASE_URL` names a server.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use capex_graph::dataset::{self, Dataset};
use capex_graph::graphql::{self, SchemaOptions};
use capex_graph::http::{self as app_http, AppState};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use tower::ServiceExt;

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// One test's application: its own database, schema and router.
pub struct TestApp {
    pub engine: Engine,
    pub db: DatabaseConnection,
    pub router: Router,
    /// The bus of the app's schema (subscriptions).
    pub live: capex_graph::live::Live,
    /// The database URL.
    pub url: String,
    statements: Arc<AtomicUsize>,
    /// The text of the statements run since the last [`TestApp::take_statements`].
    sql: Arc<std::sync::Mutex<Vec<String>>>,
}

/// Runs `test` once on SQLite and once on PostgreSQL (when configured).
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    $crate::helpers::run($crate::helpers::Engine::Sqlite, super::$name).await;
                }
                #[tokio::test]
                async fn postgres() {
                    $crate::helpers::run($crate::helpers::Engine::Postgres, super::$name).await;
                }
            }
        )*
    };
}

/// Sets up a fresh database on `engine`, runs `test` against it, and drops the database
/// afterwards, even when the test fails.
pub async fn run<F, Fut>(engine: Engine, test: F)
where
    F: FnOnce(TestApp) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    match engine {
        Engine::Sqlite => {
            let app = TestApp::start(engine, "sqlite::memory:").await;
            test(app).await;
        }
        Engine::Postgres => {
            let Some(admin_url) = postgres_admin_url() else {
                return;
            };
            let (url, name) = fresh_postgres_database(&admin_url).await;
            let app = TestApp::start(engine, &url).await;
            let db = app.db.clone();
            let outcome = tokio::spawn(test(app)).await;
            let _ = db.close().await;
            drop_postgres_database(&admin_url, &name).await;
            if let Err(err) = outcome {
                std::panic::resume_unwind(err.into_panic());
            }
        }
    }
}

/// Creates an empty PostgreSQL database next to `admin_url`'s; returns its URL and name.
/// The PostgreSQL server of the tests (`TEST_DATABASE_URL`); `None`, said once per test,
/// when it is not set.
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("TEST_DATABASE_URL is not set: PostgreSQL run skipped");
    }
    url
}

pub async fn fresh_postgres_database(admin_url: &str) -> (String, String) {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = format!(
        "capex_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        nanos
    );
    let admin = capex_graph::db::connect(admin_url, false)
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL={admin_url} is not reachable: {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create test database");
    let _ = admin.close().await;
    (with_database(admin_url, &name), name)
}

/// Drops the database `name`, even while connections to it are open.
pub async fn drop_postgres_database(admin_url: &str, name: &str) {
    if let Ok(admin) = capex_graph::db::connect(admin_url, false).await {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
        let _ = admin.close().await;
    }
}

/// `url` with its database name replaced by `name`.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestApp {
    pub async fn start(engine: Engine, url: &str) -> TestApp {
        TestApp::start_with(engine, url, capex_graph::db::DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// An app on the database at `url` (migrated and loaded here) whose requests wait at
    /// most `acquire_timeout` for a pool connection.
    pub async fn start_with(engine: Engine, url: &str, acquire_timeout: Duration) -> TestApp {
        // Errors the server logs (never sent to clients) show in a failing test's output.
        capex_graph::telemetry::init_for_tests();
        let options = capex_graph::db::PoolOptions {
            acquire_timeout,
            ..Default::default()
        };
        let mut db = capex_graph::db::connect_pool(url, &options)
            .await
            .expect("connect");
        capex_graph::db::migrate(&db).await.expect("migrate");
        dataset::load(&db, &Dataset::builtin().expect("built-in dataset"))
            .await
            .expect("load the built-in dataset");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        let sql = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = sql.clone();
        db.set_metric_callback(move |info| {
            if let Ok(mut log) = log.lock() {
                log.push(info.statement.to_string());
            }
            if std::env::var_os("TRACE_SQL").is_some() {
                eprintln!("SQL: {}", info.statement);
            }
            counter.fetch_add(1, Ordering::SeqCst);
            capex_graph::monitoring::statement(info);
        });
        let live = capex_graph::live::Live::default();
        let schema = graphql::build_schema_live(db.clone(), SchemaOptions::default(), live.clone());
        let router = app_http::router(AppState::new(
            schema,
            db.clone(),
            capex_graph::auth::WriteAccess::with_tokens([WRITE_TOKEN]).expect("test token"),
        ));
        TestApp {
            engine,
            db,
            router,
            live,
            url: url.to_string(),
            statements,
            sql,
        }
    }

    /// SQL statements run since the last call.
    pub fn take_statement_count(&self) -> usize {
        self.statements.swap(0, Ordering::SeqCst)
    }

    /// The text of the SQL statements run since the last call.
    pub fn take_statements(&self) -> Vec<String> {
        self.sql
            .lock()
            .map(|mut log| std::mem::take(&mut *log))
            .unwrap_or_default()
    }

    /// POSTs a GraphQL request through the real router; returns status and JSON body.
    pub async fn post(&self, body: Value) -> (StatusCode, Value) {
        let request = Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        self.send(request).await
    }

    /// Sends any request through the router; returns status and body parsed as JSON (or a string).
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let (status, _, bytes) = self.send_raw(request).await;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, body)
    }

    /// Sends a request; returns status, content type and body bytes.
    pub async fn send_raw(&self, request: Request<Body>) -> (StatusCode, String, Vec<u8>) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        (status, content_type, bytes)
    }

    /// Runs a query that must succeed and returns its `data`.
    pub async fn data(&self, query: &str) -> Value {
        self.data_with(query, json!({})).await
    }

    /// Runs a query with variables that must succeed and returns its `data`.
    pub async fn data_with(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post(json!({ "query": query, "variables": variables }))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body.get("errors").is_none(),
            "query failed on {:?}: {body}",
            self.engine
        );
        body["data"].clone()
    }

    /// Runs a query that must fail and returns its errors.
    pub async fn errors(&self, body: Value) -> Vec<Value> {
        let (_, body) = self.post(body).await;
        body["errors"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("expected errors: {body}"))
    }

    /// Number of rows in each table, to prove that something changed nothing.
    pub async fn row_counts(&self) -> Vec<(String, i64)> {
        let mut counts = Vec::new();
        for table in TABLES {
            let row = self
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    self.db.get_database_backend(),
                    format!("SELECT COUNT(*) AS n FROM \"{table}\""),
                ))
                .await
                .expect("count")
                .expect("one row");
            let n: i64 = row.try_get("", "n").expect("count value");
            counts.push((table.to_string(), n));
        }
        counts
    }
}

/// The write token every test app accepts.
pub const WRITE_TOKEN: &str = "test-write-token-0123456789";

impl TestApp {
    /// This app's database behind a router with other write tokens.
    pub fn with_access(&self, access: capex_graph::auth::WriteAccess) -> TestApp {
        self.rebuilt(access, SchemaOptions::default(), app_http::Cors::default())
    }

    /// This app's database behind a router with other schema options (limits): for tests
    /// whose queries are deliberately wider than the default cost limit allows.
    pub fn with_options(&self, options: SchemaOptions) -> TestApp {
        let access =
            capex_graph::auth::WriteAccess::with_tokens([WRITE_TOKEN]).expect("test token");
        self.rebuilt(access, options, app_http::Cors::default())
    }

    /// This app's database behind a router that allows other browser origins.
    pub fn with_cors(&self, cors: app_http::Cors) -> TestApp {
        let access =
            capex_graph::auth::WriteAccess::with_tokens([WRITE_TOKEN]).expect("test token");
        self.rebuilt(access, SchemaOptions::default(), cors)
    }

    fn rebuilt(
        &self,
        access: capex_graph::auth::WriteAccess,
        options: SchemaOptions,
        cors: app_http::Cors,
    ) -> TestApp {
        self.rebuilt_with(access, options, |state| AppState {
            http: app_http::HttpOptions {
                cors,
                ..Default::default()
            },
            ..state
        })
    }

    /// This app's database behind a router whose state `change` adjusts (trusted
    /// documents, HTTP options...), with the test write token.
    pub fn with_state(&self, change: impl FnOnce(AppState) -> AppState) -> TestApp {
        let access =
            capex_graph::auth::WriteAccess::with_tokens([WRITE_TOKEN]).expect("test token");
        self.rebuilt_with(access, SchemaOptions::default(), change)
    }

    fn rebuilt_with(
        &self,
        access: capex_graph::auth::WriteAccess,
        options: SchemaOptions,
        change: impl FnOnce(AppState) -> AppState,
    ) -> TestApp {
        let schema = graphql::build_schema_live(self.db.clone(), options, self.live.clone());
        let state = AppState::new(schema, self.db.clone(), access);
        TestApp {
            engine: self.engine,
            db: self.db.clone(),
            router: app_http::router(change(state)),
            live: self.live.clone(),
            url: self.url.clone(),
            statements: self.statements.clone(),
            sql: self.sql.clone(),
        }
    }

    /// This app on a bus of its own, `live` (a coalescing window of its own, say).
    pub fn with_live(&self, live: capex_graph::live::Live) -> TestApp {
        let access =
            capex_graph::auth::WriteAccess::with_tokens([WRITE_TOKEN]).expect("test token");
        let schema =
            graphql::build_schema_live(self.db.clone(), SchemaOptions::default(), live.clone());
        TestApp {
            engine: self.engine,
            db: self.db.clone(),
            router: app_http::router(AppState::new(schema, self.db.clone(), access)),
            live,
            url: self.url.clone(),
            statements: self.statements.clone(),
            sql: self.sql.clone(),
        }
    }

    /// This app's database as the primary of `pools`: queries read its replicas.
    pub fn with_pools(&self, pools: capex_graph::replicas::Pools) -> TestApp {
        let access =
            capex_graph::auth::WriteAccess::with_tokens([WRITE_TOKEN]).expect("test token");
        let schema =
            graphql::build_schema_with(pools.clone(), SchemaOptions::default(), self.live.clone());
        let state = AppState {
            pools,
            ..AppState::new(schema, self.db.clone(), access)
        };
        TestApp {
            engine: self.engine,
            db: self.db.clone(),
            router: app_http::router(state),
            live: self.live.clone(),
            url: self.url.clone(),
            statements: self.statements.clone(),
            sql: self.sql.clone(),
        }
    }

    /// This app with no practical cost limit.
    pub fn without_cost_limit(&self) -> TestApp {
        self.with_options(SchemaOptions {
            max_complexity: usize::MAX / 2,
            ..SchemaOptions::default()
        })
    }

    /// POSTs a GraphQL request with `Authorization: Bearer <token>` (no header for `None`).
    pub async fn post_as(&self, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body.to_string())).expect("request"))
            .await
    }

    /// Runs a mutation with the test write token; it must succeed; returns its `data`.
    pub async fn write(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post_as(
                Some(WRITE_TOKEN),
                json!({ "query": query, "variables": variables }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            body.get("errors").is_none(),
            "mutation failed on {:?}: {body}",
            self.engine
        );
        body["data"].clone()
    }

    /// Runs a mutation with the test write token that must fail; returns its one error.
    pub async fn write_error(&self, query: &str, variables: Value) -> Value {
        let (_, body) = self
            .post_as(
                Some(WRITE_TOKEN),
                json!({ "query": query, "variables": variables }),
            )
            .await;
        let errors = body["errors"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("expected an error on {:?}: {body}", self.engine));
        assert_eq!(errors.len(), 1, "{body}");
        errors[0].clone()
    }

    /// Every row of every table, in id order, as JSON: to prove that nothing changed.
    pub async fn snapshot(&self) -> Vec<(String, Vec<Value>)> {
        let mut tables = Vec::new();
        for table in TABLES {
            let rows = self
                .db
                .query_all_raw(sea_orm::Statement::from_string(
                    self.db.get_database_backend(),
                    format!("SELECT * FROM \"{table}\" ORDER BY id"),
                ))
                .await
                .expect("rows");
            let rows = rows.iter().map(row_json).collect();
            tables.push((table.to_string(), rows));
        }
        tables
    }
}

/// A row as JSON text values, the same way on both engines.
fn row_json(row: &sea_orm::QueryResult) -> Value {
    let mut object = serde_json::Map::new();
    for column in row.column_names() {
        let value = row
            .try_get::<Option<i64>>("", &column)
            .map(|v| json!(v))
            .or_else(|_| row.try_get::<Option<i32>>("", &column).map(|v| json!(v)))
            .or_else(|_| row.try_get::<Option<bool>>("", &column).map(|v| json!(v)))
            .or_else(|_| {
                row.try_get::<Option<chrono::NaiveDate>>("", &column)
                    .map(|v| json!(v))
            })
            .or_else(|_| row.try_get::<Option<String>>("", &column).map(|v| json!(v)))
            .unwrap_or_else(|e| panic!("column {column}: {e}"));
        object.insert(column, value);
    }
    Value::Object(object)
}

/// Every table of the schema.
pub const TABLES: &[&str] = &[
    "source",
    "company",
    "person",
    "ai_model",
    "investment",
    "project",
    "project_backer",
    "spending_figure",
    "claim",
    "claim_challenge",
    "event",
    "citation",
    "alias",
    "value_provenance",
    "figure_share",
];

/// `text` percent-encoded for a URL's query string (every byte but ASCII letters and digits).
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The strings at `key` of each object in a JSON array.
pub fn strings(array: &Value, key: &str) -> Vec<String> {
    array
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {array}"))
        .iter()
        .map(|item| {
            item[key]
                .as_str()
                .unwrap_or_else(|| panic!("no {key} in {item}"))
                .to_string()
        })
        .collect()
}

#[test]
fn database_names_are_replaced_in_postgres_urls() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://root@localhost", "x"),
        "postgres://root@localhost/x"
    );
    assert_eq!(
        with_database("postgres://u@h/db?sslmode=disable", "x"),
        "postgres://u@h/x?sslmode=disable"
    );
}
