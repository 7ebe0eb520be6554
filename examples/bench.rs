//! End-to-end benchmark: the generated graph in SQLite and PostgreSQL, canonical queries
//! over real HTTP with concurrent connections, and a floor measured in the same run: the
//! same SQL statements executed directly through the driver, without GraphQL and HTTP.
//!
//! ```sh
//! cargo run --release --example bench                      # both engines, default graph
//! cargo run --release --example bench -- --engine sqlite --requests 500
//! cargo run --example bench -- --tiny                      # a smoke run, as CI does
//! cargo run --release --example bench -- --suite analytics --investments 1000000 --requests 20 --concurrency 4
//! ```
//!
//! Suites: `relay` (connections, relations, filters, node lookups), `analytics` (aggregates
//! and group-by), or `all` (the default). `--only 2,A5` runs only the queries whose names
//! start with one of the prefixes.
//!
//! PostgreSQL comes from `BENCH_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres);
//! a fresh database is created for the run and dropped after it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use capex_graph::generate::{GenerateOptions, generate};
use capex_graph::graphql::{self, SchemaOptions};
use capex_graph::http::{self as app_http, AppState};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// mimalloc instead of the system allocator: a GraphQL response allocates per field, and
/// profiles of the server spent about a third of its CPU in glibc's malloc and free, part
/// of it waiting on the allocator's locks.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

struct Args {
    engines: Vec<String>,
    suite: String,
    /// Only the queries whose names start with one of these.
    only: Vec<String>,
    options: GenerateOptions,
    requests: usize,
    concurrency: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        engines: vec!["sqlite".into(), "postgres".into()],
        suite: "all".into(),
        only: Vec::new(),
        options: GenerateOptions::default(),
        requests: 2000,
        concurrency: 16,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let value = argv.get(i + 1).cloned().unwrap_or_default();
        let number = || {
            value
                .parse::<usize>()
                .unwrap_or_else(|_| panic!("{} needs a number", argv[i]))
        };
        match argv[i].as_str() {
            "--engine" => {
                args.engines = if value == "both" {
                    args.engines.clone()
                } else {
                    vec![value.clone()]
                }
            }
            "--suite" => args.suite = value.clone(),
            "--only" => args.only = value.split(',').map(str::to_string).collect(),
            "--companies" => args.options.companies = number(),
            "--investments" => args.options.investments = number(),
            "--models" => args.options.models = number(),
            "--claims" => args.options.claims = number(),
            "--requests" => args.requests = number(),
            "--concurrency" => args.concurrency = number(),
            "--tiny" => {
                args.options = GenerateOptions {
                    companies: 200,
                    investments: 1000,
                    models: 300,
                    claims: 200,
                    ..GenerateOptions::default()
                };
                args.requests = 40;
                args.concurrency = 4;
                i += 1;
                continue;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    args
}

/// Records, when asked, the statements the server runs.
#[derive(Default)]
struct Recorder {
    capture: AtomicBool,
    captured: Mutex<Vec<Statement>>,
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    println!(
        "# graph: {} companies, {} investments, {} models, {} claims; {} requests per query, {} connections; {} cores",
        args.options.companies,
        args.options.investments,
        args.options.models,
        args.options.claims,
        args.requests,
        args.concurrency,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    println!(
        "| engine | query | req/s | p50 ms | p99 ms | SQL/req | floor req/s | floor p50 ms | p50 ratio |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for engine in &args.engines {
        run_engine(engine, &args).await;
    }
}

async fn run_engine(engine: &str, args: &Args) {
    let dir = std::env::temp_dir().join(format!("capex-bench-{}", std::process::id()));
    let (url, admin) = match engine {
        "sqlite" => {
            std::fs::create_dir_all(&dir).expect("temp dir");
            (
                format!("sqlite://{}/bench.db?mode=rwc", dir.display()),
                None,
            )
        }
        "postgres" => {
            let admin_url = std::env::var("BENCH_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("capex_bench_{}", std::process::id());
            let admin = capex_graph::db::connect(&admin_url, false)
                .await
                .expect("PostgreSQL for the benchmark");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\""))
                .await
                .expect("drop");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_string())
                .unwrap_or(admin_url.clone());
            (format!("{base}/{name}"), Some((admin, name)))
        }
        other => panic!("unknown engine {other}"),
    };
    let mut db = capex_graph::db::connect(&url, false)
        .await
        .expect("connect");
    capex_graph::db::migrate(&db).await.expect("migrate");
    let started = Instant::now();
    generate(&db, &args.options).await.expect("generate");
    eprintln!(
        "{engine}: generated in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if engine == "postgres" {
        db.execute_unprepared("ANALYZE").await.expect("analyze");
    }

    let recorder = Arc::new(Recorder::default());
    let hook = recorder.clone();
    db.set_metric_callback(move |info| {
        if hook.capture.load(Ordering::Relaxed)
            && let Ok(mut captured) = hook.captured.lock()
        {
            captured.push(info.statement.clone());
        }
    });
    let schema = graphql::build_schema(db.clone(), SchemaOptions::default());
    let router = app_http::router(
        AppState {
            access: capex_graph::auth::WriteAccess::disabled(),
            schema,
            db: db.clone(),
            max_response_bytes: app_http::DEFAULT_MAX_RESPONSE_BYTES,
        },
        Duration::from_secs(60),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = tokio::spawn(axum::serve(listener, router).into_future());
    // The floor runs on a connection without the recording hook.
    let direct = capex_graph::db::connect(&url, false)
        .await
        .expect("direct connection");

    for (name, query) in queries(&addr, &args.suite).await {
        if !args.only.is_empty()
            && !args
                .only
                .iter()
                .any(|prefix| name.starts_with(prefix.as_str()))
        {
            continue;
        }
        let body = json!({ "query": query }).to_string();
        // Record one request's statements, and check it answers without errors.
        recorder.captured.lock().map(|mut c| c.clear()).ok();
        recorder.capture.store(true, Ordering::SeqCst);
        let answer = post(&addr, &body).await;
        recorder.capture.store(false, Ordering::SeqCst);
        let answer: Value = serde_json::from_str(&answer).expect("JSON answer");
        assert!(answer.get("errors").is_none(), "{name} failed: {answer}");
        let statements: Vec<Statement> = recorder
            .captured
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default();

        let e2e = load(args, {
            let (addr, body) = (addr.clone(), body.clone());
            move || {
                let (addr, body) = (addr.clone(), body.clone());
                async move {
                    post(&addr, &body).await;
                }
            }
        })
        .await;
        let per_request = statements.len() as f64;
        let floor = load(args, {
            let (direct, statements) = (direct.clone(), statements.clone());
            move || {
                let (direct, statements) = (direct.clone(), statements.clone());
                async move {
                    for statement in statements {
                        direct
                            .query_all_raw(statement)
                            .await
                            .expect("floor statement");
                    }
                }
            }
        })
        .await;
        println!(
            "| {engine} | {name} | {:.0} | {:.2} | {:.2} | {:.1} | {:.0} | {:.2} | {:.2}x |",
            e2e.throughput,
            e2e.p50 * 1e3,
            e2e.p99 * 1e3,
            per_request,
            floor.throughput,
            floor.p50 * 1e3,
            e2e.p50 / floor.p50
        );
    }
    // The next engine's server listens elsewhere: drop the connections to this one.
    if let Ok(mut idle) = IDLE.lock() {
        idle.clear();
    }
    server.abort();
    let _ = direct.close().await;
    let _ = db.close().await;
    if let Some((admin, name)) = admin {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await;
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The canonical queries of `suite`, with ids of real rows for the lookups.
async fn queries(addr: &str, suite: &str) -> Vec<(&'static str, String)> {
    let mut all = Vec::new();
    if suite == "relay" || suite == "all" {
        all.extend(relay_queries(addr).await);
    }
    if suite == "analytics" || suite == "all" {
        all.extend(analytics_queries());
    }
    assert!(
        !all.is_empty(),
        "unknown suite {suite}: relay, analytics or all"
    );
    all
}

/// Aggregates and group-by over the whole investment table.
fn analytics_queries() -> Vec<(&'static str, String)> {
    vec![
        (
            "A1 aggregate: count, money per currency, dates",
            "{ investments { aggregate { count amount { count missing byCurrency { currency count sum { amount } avg { amount } min { amount } max { amount } } } madeOn { count min max } } } }".to_string(),
        ),
        (
            "A2 group by investor name, top 20 by USD sum",
            "{ investments { groupBy(by: [{ field: INVESTOR_NAME }], orderBy: [{ function: SUM, field: AMOUNT, currency: \"USD\", direction: DESC }], first: 20) { nodes { keys { value } aggregate { count } } } } }".to_string(),
        ),
        (
            "A3 group by year and currency, sums, totalCount",
            "{ investments { groupBy(by: [{ field: MADE_ON, bucket: YEAR }, { field: CURRENCY }], first: 100) { totalCount nodes { keys { value } aggregate { count amount { byCurrency { sum { amount } } } } } } } }".to_string(),
        ),
        (
            "A4 group by quarter, having count >= 100",
            "{ investments { groupBy(by: [{ field: MADE_ON, bucket: QUARTER }], having: [{ function: COUNT, gte: \"100\" }], orderBy: [{ function: COUNT, direction: DESC }], first: 100) { nodes { keys { value } aggregate { count madeOn { min max } } } } } }".to_string(),
        ),
        (
            "A5 50 investors > aggregate of their investments",
            "{ companies(first: 50, filter: { kind: { eq: INVESTOR } }) { nodes { name investmentsMade { aggregate { count amount { byCurrency { currency sum { amount } } } } } } } }".to_string(),
        ),
    ]
}

/// The Relay queries of issue 3.
async fn relay_queries(addr: &str) -> Vec<(&'static str, String)> {
    let ids: Value = serde_json::from_str(&post(addr, &json!({ "query": "{ companies(first: 20, orderBy: [{ field: NAME }]) { nodes { id } } }" }).to_string()).await)
        .expect("ids");
    let ids: Vec<String> = ids["data"]["companies"]["nodes"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|c| c["id"].as_str().map(|s| format!("\"{s}\"")))
                .collect()
        })
        .unwrap_or_default();
    vec![
        ("1 companies(first: 50) + totalCount", "{ companies(first: 50) { totalCount nodes { id name ticker kind country } } }".to_string()),
        (
            "2 50 investors > 10 investments > investee > 5 models",
            "{ companies(first: 50, filter: { kind: { eq: INVESTOR } }) { nodes { name investmentsMade(first: 10) { nodes { amount { amount currency } investee { name models(first: 5) { nodes { name kind } } } } } } } }".to_string(),
        ),
        (
            "3 filtered, ordered through relations",
            "{ investments(first: 50, orderBy: [{ field: INVESTEE_NAME }], filter: { investor: { kind: { eq: INVESTOR } }, amount: { currency: \"USD\", gt: \"1000000\" } }) { nodes { amount { amount } investor { name } investee { name } } } }".to_string(),
        ),
        ("4 nodes(ids: 20 companies)", format!("{{ nodes(ids: [{}]) {{ id ... on Company {{ name ticker }} }} }}", ids.join(", "))),
    ]
}

struct Measured {
    throughput: f64,
    p50: f64,
    p99: f64,
}

/// Runs `requests` calls of `call` over `concurrency` workers; latency percentiles and rate.
async fn load<F, Fut>(args: &Args, call: F) -> Measured
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    for _ in 0..args.concurrency.min(args.requests) {
        call().await;
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (next, call, total) = (next.clone(), call.clone(), args.requests);
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t = Instant::now();
                call().await;
                latencies.push(t.elapsed().as_secs_f64());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    Measured {
        throughput: latencies.len() as f64 / elapsed,
        p50: at(0.5),
        p99: at(0.99),
    }
}

/// Idle keep-alive connections to the server, shared by the workers.
static IDLE: Mutex<Vec<TcpStream>> = Mutex::new(Vec::new());

/// One POST /graphql over a kept-alive connection (as HTTP clients and load tools use
/// them); returns the body.
async fn post(addr: &str, body: &str) -> String {
    let idle = IDLE.lock().ok().and_then(|mut idle| idle.pop());
    let mut stream = match idle {
        Some(stream) => stream,
        None => {
            let stream = TcpStream::connect(addr)
                .await
                .expect("connect to the server");
            stream.set_nodelay(true).ok();
            stream
        }
    };
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    // Read the head, then exactly Content-Length bytes of body.
    let mut buffer = Vec::with_capacity(16 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "server closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let length: usize = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())
                .flatten()
        })
        .expect("a Content-Length header");
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "server closed the connection mid-body");
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buffer[head_end..head_end + length]).to_string();
    if let Ok(mut idle) = IDLE.lock() {
        idle.push(stream);
    }
    body
}
