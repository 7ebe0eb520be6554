//! End-to-end benchmark: the generated graph in SQLite and PostgreSQL, canonical queries
//! over real HTTP with concurrent connections, and a floor measured in the same run: the
//! same SQL statements executed directly through the driver, without GraphQL and HTTP,
//! and, for the analytics queries, a hand-written reference statement that gives the same
//! answer (checked equal before timing; see `reference.rs`): our SQL against an expert's.
//!
//! ```sh
//! cargo run --release --example bench                      # both engines, default graph
//! cargo run --release --example bench -- --engine sqlite --requests 500
//! cargo run --example bench -- --tiny                      # a smoke run, as CI does
//! cargo run --release --example bench -- --suite analytics --investments 1000000 --requests 20 --concurrency 4
//! cargo run --release --example bench -- --suite http --requests 500 --rounds 3
//! cargo run --release --example bench -- --suite live --subscribers 1000 --writes 50 --burst 200
//! LIVE_COALESCE_MS=5 cargo run --release --example bench -- --suite live   # or --coalesce-ms 5
//! LIVE_COALESCE_MAX_MS=0 cargo run --release --example bench -- --suite live   # a burst's live results once per window
//! ```
//!
//! Suites: `relay` (connections, relations, filters, node lookups), `analytics` (aggregates
//! and group-by), `search` (`search` by names, misspelled or not), `hostile` (the worst requests the guard refuses: time to refuse, peak
//! memory, and ordinary latency while attackers send them), or `all` (the default: these
//! four). `http` (query 2 with and without compression, and a persisted GET answered in
//! full or 304 from its ETag; see `http.rs`) runs only when asked for, and in `--tiny` runs.
//! `peers` (PostgreSQL only) asks PostGraphile the same questions over the same database
//! (see `peers.rs`).
//! `live` (`--subscribers` WebSocket subscribers (a) to row changes and (b) to one live
//! aggregate, and across two instances on PostgreSQL; `--writes` writes one at a time:
//! commit-to-last-subscriber latency, statements per change, memory per idle subscription;
//! `--burst` writes as fast as answered, `--burst-rounds` times (5) with the subscribers and
//! as often with none, interleaved: write throughput with and without subscribers; see
//! `live.rs`) runs only when asked for; `--tiny` makes it 200 subscribers, 5 writes and
//! bursts of 20 in 2 rounds. `--fanout-nice N|idle` sets the server's fan-out threads'
//! priority (as `LIVE_FANOUT_NICE`); `--query-load N` adds (a) beside a query load of N
//! connections. (`--live-server URL` is the child process it starts to measure a server's
//! memory without its clients.)
//! `--only 2,A5,H7` runs only the queries (and hostile requests) whose names start with one
//! of the prefixes; `--sends 50` is how often each hostile request is timed.
//!
//! PostgreSQL comes from `BENCH_DATABASE_URL` (default postgres://postgres@127.0.0.1:5432/postgres);
//! a fresh database is created for the run and dropped after it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use capex_graph::generate::{GenerateOptions, generate};
use capex_graph::graphql::{self, SchemaOptions};
use capex_graph::http::{self as app_http, AppState, FanoutPriority};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod http;
mod live;
mod peers;
mod reference;

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
    /// How often each hostile request is timed.
    sends: usize,
    /// Rounds of the HTTP suite's variants.
    rounds: usize,
    /// Whether the HTTP suite runs (`--suite http`, or a `--tiny` run of `all`).
    http: bool,
    /// Live suite: WebSocket subscribers, and writes made one at a time while they follow
    /// (each waiting for every subscriber).
    subscribers: usize,
    writes: usize,
    /// Live suite: writes made as fast as they are answered, for the write throughput.
    burst: usize,
    /// Live suite: rounds of bursts, each one with the subscribers and one with none.
    burst_rounds: usize,
    /// Live suite: the coalescing window of live results, in ms (else `LIVE_COALESCE_MS`).
    coalesce: Option<u64>,
    /// Nice value of the live suite's WebSocket clients' threads (`--clients-nice`, 19 by
    /// default: the clients stand for other machines, and take only the CPU the server
    /// leaves; 0 runs them at the server's priority).
    clients_nice: u8,
    /// Priority of the server's fan-out threads (`--fanout-nice N|idle`, as
    /// `LIVE_FANOUT_NICE`; its default, nice 10, unless given; 0 serves WebSockets on the
    /// request threads).
    fanout: FanoutPriority,
    /// Live suite: the server's threads on CPU 0 and everything else (writer, subscribers,
    /// the bench) on CPU 1 (`--pin`), as if the clients ran on another machine.
    pin: bool,
    /// Live suite: run as the server alone, on this database (the child process that the
    /// suite starts to measure a server's memory without its clients).
    live_server: Option<String>,
    /// Live suite: the WebSocket clients in a process of their own (`--clients process`,
    /// the default: its own session, so its own autogroup, at nice `--clients-nice`, the
    /// closest one host comes to clients on other machines), or in this process
    /// (`--clients here`).
    clients_process: bool,
    /// Live suite: run as the clients' process of a server at this address
    /// (`--live-clients ADDR`), following `--watch`.
    live_clients: Option<String>,
    /// What the clients' process follows: `changes` or `aggregate`.
    watch: String,
    /// Live suite: connections of a query load beside (a)'s subscribers (`--query-load N`,
    /// 0 by default: none): each sends query 2 of the relay suite again as soon as it is
    /// answered, while writes go out at a steady pace.
    query_load: usize,
    /// Live suite: the clients read nothing during a burst's writes, and catch up after it
    /// (`--hold-reads`): the writes' throughput without the clients' own CPU, which on one
    /// host shares the CPUs with the writer and the database. The sockets' buffers must
    /// hold a burst's events (the default burst of 200, about 1.4 MB per connection, fits);
    /// a server that has to wait longer closes the subscribers as slow consumers.
    hold_reads: bool,
}

impl Args {
    /// Whether `--only` lets the query or hostile request `name` run.
    fn selected(&self, name: &str) -> bool {
        self.only.is_empty()
            || self
                .only
                .iter()
                .any(|prefix| name.starts_with(prefix.as_str()))
    }
}

fn parse_args() -> Args {
    let mut args = Args {
        engines: vec!["sqlite".into(), "postgres".into()],
        suite: "all".into(),
        only: Vec::new(),
        options: GenerateOptions::default(),
        requests: 2000,
        concurrency: 16,
        sends: 50,
        rounds: 3,
        http: false,
        subscribers: 1000,
        writes: 20,
        burst: 200,
        burst_rounds: 5,
        coalesce: None,
        clients_nice: 19,
        fanout: capex_graph::http::DEFAULT_FANOUT_PRIORITY,
        pin: false,
        live_server: None,
        clients_process: true,
        live_clients: None,
        watch: "changes".into(),
        query_load: 0,
        hold_reads: false,
    };
    let mut tiny = false;
    // The live suite's sizes, when given: a `--tiny` run has smaller defaults.
    let (mut subscribers, mut writes, mut burst) = (None, None, None);
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
            "--sends" => args.sends = number(),
            "--rounds" => args.rounds = number(),
            "--subscribers" => subscribers = Some(number()),
            "--writes" => writes = Some(number()),
            "--burst" => burst = Some(number()),
            "--burst-rounds" => args.burst_rounds = number().max(1),
            "--query-load" => args.query_load = number(),
            "--coalesce-ms" => args.coalesce = Some(number() as u64),
            "--clients-nice" => args.clients_nice = number().min(19) as u8,
            "--fanout-nice" => {
                args.fanout = value
                    .parse()
                    .unwrap_or_else(|error| panic!("--fanout-nice {value}: {error}"))
            }
            "--live-server" => args.live_server = Some(value.clone()),
            "--live-clients" => args.live_clients = Some(value.clone()),
            "--watch" => args.watch = value.clone(),
            "--clients" => {
                args.clients_process = match value.as_str() {
                    "process" => true,
                    "here" => false,
                    other => panic!("--clients {other}: process or here"),
                }
            }
            "--pin" => {
                args.pin = true;
                i += 1;
                continue;
            }
            "--hold-reads" => {
                args.hold_reads = true;
                i += 1;
                continue;
            }
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
                args.sends = 3;
                args.rounds = 1;
                args.burst_rounds = 2;
                tiny = true;
                i += 1;
                continue;
            }
            other => panic!("unknown argument {other}"),
        }
        i += 2;
    }
    assert!(
        [
            "relay",
            "analytics",
            "search",
            "hostile",
            "http",
            "peers",
            "live",
            "all"
        ]
        .contains(&args.suite.as_str()),
        "unknown suite {}: relay, analytics, search, hostile, http, peers, live or all",
        args.suite
    );
    args.http = args.suite == "http" || (tiny && args.suite == "all");
    args.subscribers = subscribers.unwrap_or(if tiny { 200 } else { args.subscribers });
    args.writes = writes.unwrap_or(if tiny { 5 } else { args.writes });
    args.burst = burst.unwrap_or(if tiny { 20 } else { args.burst });
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
    if let Some(url) = &args.live_server {
        live::serve_alone(url, &args).await;
        return;
    }
    if let Some(addr) = &args.live_clients {
        live::clients_alone(addr, &args).await;
        return;
    }
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
    if ["relay", "analytics", "search", "all"].contains(&args.suite.as_str()) {
        println!(
            "| engine | query | req/s | p50 ms | p99 ms | SQL/req | floor req/s | floor p50 ms | p50 ratio | ref req/s | ref p50 ms | p50 vs ref |"
        );
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    }
    // The hostile and HTTP suites print their own tables, after the table of queries.
    let mut reports = Vec::new();
    for engine in &args.engines {
        reports.push(run_engine(engine, &args).await);
    }
    for report in reports {
        print!("{report}");
    }
}

/// Runs the suites on one engine; returns the hostile and HTTP suites' reports, when they
/// ran.
async fn run_engine(engine: &str, args: &Args) -> String {
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
    let router = app_http::router(AppState {
        http: app_http::HttpOptions {
            request_timeout: Duration::from_secs(60),
            ..Default::default()
        },
        ..AppState::new(
            schema,
            db.clone(),
            capex_graph::auth::WriteAccess::disabled(),
        )
    });
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
        if !args.selected(name) {
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
            move |_| {
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
            move |_| {
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
        let expert = match reference::reference(name, direct.get_database_backend()) {
            Some(reference) => {
                let statement =
                    Statement::from_string(direct.get_database_backend(), reference.sql.clone());
                let rows = direct
                    .query_all_raw(statement.clone())
                    .await
                    .expect("reference statement");
                // A floor that answered something else would prove nothing.
                assert_eq!(
                    (reference.answer)(&rows),
                    answer["data"],
                    "{engine}: the reference SQL of {name} answers otherwise than the server"
                );
                let measured = load(args, {
                    let direct = direct.clone();
                    move |_| {
                        let (direct, statement) = (direct.clone(), statement.clone());
                        async move {
                            direct
                                .query_all_raw(statement)
                                .await
                                .expect("reference statement");
                        }
                    }
                })
                .await;
                format!(
                    "{:.0} | {:.2} | {:.2}x",
                    measured.throughput,
                    measured.percentile(0.5) * 1e3,
                    e2e.percentile(0.5) / measured.percentile(0.5)
                )
            }
            None => "- | - | -".to_string(),
        };
        println!(
            "| {engine} | {name} | {:.0} | {:.2} | {:.2} | {:.1} | {:.0} | {:.2} | {:.2}x | {expert} |",
            e2e.throughput,
            e2e.percentile(0.5) * 1e3,
            e2e.percentile(0.99) * 1e3,
            per_request,
            floor.throughput,
            floor.percentile(0.5) * 1e3,
            e2e.percentile(0.5) / floor.percentile(0.5)
        );
    }
    let mut report = String::new();
    if args.suite == "hostile" || args.suite == "all" {
        report += &hostile(&addr, engine, args).await;
    }
    if args.http {
        report += &http::suite(&addr, engine, args).await;
    }
    if args.suite == "peers" && engine == "postgres" {
        report += &peers::suite(&addr, &url, args).await;
    }
    if args.suite == "live" {
        report += &live::suite(engine, &url, args).await;
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
    report
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
    if suite == "search" || suite == "all" {
        all.extend(search_queries());
    }
    all
}

/// `search` over the generated graph: words chosen to be rare in it (the generated texts
/// repeat a few templates; a common word would be refused as too many candidates).
fn search_queries() -> Vec<(&'static str, String)> {
    let query = |text: &str, extra: &str| {
        format!(
            "{{ search(text: {text:?}, first: 20{extra}) {{ totalCount edges {{ score node {{ id }} matches {{ field highlighted ranges {{ start end }} }} }} }} }}"
        )
    };
    vec![
        (
            "S1 search: two words of company names",
            query("Zürcher Lernmaschinen", ""),
        ),
        (
            "S2 search: the same, misspelled",
            query("Zurcher Lernmashinen", ""),
        ),
        (
            "S3 search: one word without its accent",
            query("reykjavik", ""),
        ),
        (
            "S4 search: companies only",
            query("Łódź Sieci", ", types: [COMPANY]"),
        ),
    ]
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
/// Query 2 of the relay suite (the nested one, with the largest answer), for the server
/// at `addr`.
async fn relay_query_2(addr: &str) -> String {
    relay_queries(addr)
        .await
        .into_iter()
        .find_map(|(name, query)| name.starts_with("2 ").then_some(query))
        .expect("query 2 of the relay suite")
}

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

/// The worst requests of each kind the guard must refuse (issue: hostile requests).
struct Hostile {
    name: &'static str,
    /// The JSON body of the POST.
    body: Vec<u8>,
    /// Refused by the HTTP layer, which may close the connection before reading the body:
    /// a reset after sending counts as refused.
    may_reset: bool,
    /// Sent in a loop by the attackers while the ordinary load runs.
    attacker: bool,
}

fn hostile_requests() -> Vec<Hostile> {
    let query = |name, query: String| Hostile {
        name,
        body: json!({ "query": query }).to_string().into_bytes(),
        may_reset: false,
        attacker: true,
    };
    let fragments: String = (0..22)
        .map(|i| format!(" fragment F{i} on Query {{ ...F{0} ...F{0} }}", i + 1))
        .collect();
    let aliases: String = (0..3000)
        .map(|i| format!("a{i}: companies(first: 100) {{ totalCount }} "))
        .collect();
    vec![
        query(
            "H1 filter `not` nested 250 deep",
            format!(
                "{{ companies(filter: {}{{ name: {{ eq: \"x\" }} }}{}) {{ totalCount }} }}",
                "{ not: ".repeat(250),
                " }".repeat(250)
            ),
        ),
        query(
            "H2 list value nested 1,600 deep",
            format!(
                "{{ companies(filter: {{ name: {{ in: {}\"x\"{} }} }}) {{ totalCount }} }}",
                "[".repeat(1600),
                "]".repeat(1600)
            ),
        ),
        query(
            "H3 fragment fan-out 2^22",
            format!(
                "query {{ ...F0 }}{fragments} fragment F22 on Query {{ companies {{ totalCount }} }}"
            ),
        ),
        query(
            "H4 nested pages 100 x 100 x 100",
            "{ companies(first: 100) { nodes { investmentsMade(first: 100) { nodes { investee { investmentsReceived(first: 100) { nodes { investor { name } } } } } } } } }".to_string(),
        ),
        query("H5 3,000 aliases", format!("{{ {aliases}}}")),
        query(
            "H6 selection nested 5,000 deep",
            format!(
                "{{ companies {{ nodes {{ {}name{} }} }} }}",
                "parent { ".repeat(5000),
                " }".repeat(5000)
            ),
        ),
        Hostile {
            name: "H7 body of 10 MiB",
            body: format!(
                "{{\"query\":\"{{ companies {{ totalCount }} }}\",\"variables\":{{\"pad\":\"{}\"}}}}",
                "x".repeat(10 << 20)
            )
            .into_bytes(),
            may_reset: true,
            attacker: false,
        },
        query(
            "H8 `contains` text of 50,000 characters",
            format!(
                "{{ companies(filter: {{ name: {{ contains: \"{}\" }} }}) {{ totalCount }} }}",
                "a".repeat(50_000)
            ),
        ),
    ]
}

/// Sends `request` and checks it is refused; returns how: the HTTP status and the error
/// code, or `reset`. Panics when the request is answered with data.
async fn refused(addr: &str, request: &Hostile) -> String {
    let answer = match send(addr, &request.body).await {
        Ok(answer) => answer,
        Err(e)
            if request.may_reset
                && matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::BrokenPipe
                        | std::io::ErrorKind::UnexpectedEof
                ) =>
        {
            return "reset".to_string();
        }
        Err(e) => panic!("{}: no answer: {e}", request.name),
    };
    let text = answer.text();
    let shown: String = text.chars().take(300).collect();
    let json: Value = match serde_json::from_str(&text) {
        Ok(json) => json,
        Err(_) if answer.status == 413 => return "413".to_string(),
        Err(_) => panic!(
            "{}: HTTP {}, not JSON: {shown}",
            request.name, answer.status
        ),
    };
    assert!(
        json.get("data").is_none_or(Value::is_null),
        "{} was answered with data (HTTP {}): {shown}",
        request.name,
        answer.status
    );
    let code = json["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| {
            panic!(
                "{}: HTTP {} without an error code: {shown}",
                request.name, answer.status
            )
        });
    format!("{} {code}", answer.status)
}

/// A field of /proc/self/status, in KiB.
fn memory(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix(field)?
            .strip_prefix(':')?
            .trim()
            .trim_end_matches(" kB")
            .parse()
            .ok()
    })
}

/// Resets the process's peak resident memory (VmHWM) to the current one (Linux >= 4.0).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The peak resident memory since the last reset, in KiB; resets it.
fn take_peak() -> Option<u64> {
    let peak = memory("VmHWM");
    reset_peak();
    peak
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("?".to_string(), |k| format!("{:.1}", k as f64 / 1024.0))
}

/// The hostile suite: each worst request timed `--sends` times, the process's peak memory
/// over the suite, and the ordinary queries' latency with and without two attackers.
async fn hostile(addr: &str, engine: &str, args: &Args) -> String {
    let requests = Arc::new(hostile_requests());
    let mut out = String::new();
    // The peak so far is the data generation's: start counting from here.
    let peak_reset = reset_peak();
    let rss_before = memory("VmRSS");

    let _ = writeln!(
        out,
        "\n## {engine}: hostile requests refused ({} sends each, one at a time)\n\n\
         | engine | request | body KiB | answer (count) | median ms | max ms |\n\
         |---|---|---|---|---|---|",
        args.sends
    );
    for request in requests.iter() {
        if !args.selected(request.name) {
            continue;
        }
        let mut answers = BTreeMap::<String, usize>::new();
        let mut times = Vec::new();
        for _ in 0..args.sends {
            let started = Instant::now();
            let answer = refused(addr, request).await;
            times.push(started.elapsed().as_secs_f64());
            *answers.entry(answer).or_default() += 1;
        }
        let answers: Vec<String> = answers
            .iter()
            .map(|(answer, n)| format!("{answer} ({n})"))
            .collect();
        let _ = writeln!(
            out,
            "| {engine} | {} | {:.0} | {} | {:.2} | {:.2} |",
            request.name,
            request.body.len() as f64 / 1024.0,
            answers.join(", "),
            percentile(&times, 0.5) * 1e3,
            percentile(&times, 1.0) * 1e3
        );
    }

    // Ordinary queries: the small and the nested relay queries (3 is bound by its SQL at a
    // few requests per second; it would only queue the others).
    let mix: Arc<Vec<(&'static str, String)>> = Arc::new(
        relay_queries(addr)
            .await
            .into_iter()
            .filter(|(name, _)| ["1 ", "2 ", "4 "].iter().any(|p| name.starts_with(p)))
            .map(|(name, query)| (name, json!({ "query": query }).to_string()))
            .collect(),
    );
    let ordinary = |addr: String, mix: Arc<Vec<(&'static str, String)>>| {
        move |i: usize| {
            let (addr, mix) = (addr.clone(), mix.clone());
            async move {
                post(&addr, &mix[i % mix.len()].1).await;
            }
        }
    };
    let peak_refusals = take_peak();
    let quiet = load(args, ordinary(addr.to_string(), mix.clone())).await;
    let peak_quiet = take_peak();
    let stop = Arc::new(AtomicBool::new(false));
    let attacks = Arc::new(AtomicUsize::new(0));
    // The attackers send the selected requests that get an answer (not the body over the
    // limit, whose connection the server closes), each in turn, until the load is done.
    let sent: Arc<Vec<usize>> = Arc::new(
        (0..requests.len())
            .filter(|&i| requests[i].attacker && args.selected(requests[i].name))
            .collect(),
    );
    let attackers: Vec<_> = (0..if sent.is_empty() { 0 } else { 2 })
        .map(|_| {
            let (addr, requests, sent) = (addr.to_string(), requests.clone(), sent.clone());
            let (stop, attacks) = (stop.clone(), attacks.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    for request in sent.iter().map(|&i| &requests[i]) {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        refused(&addr, request).await;
                        attacks.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let attackers_count = attackers.len();
    let started = Instant::now();
    let attacked = load(args, ordinary(addr.to_string(), mix.clone())).await;
    stop.store(true, Ordering::Relaxed);
    let attack_seconds = started.elapsed().as_secs_f64();
    for attacker in attackers {
        attacker.await.expect("an attacker failed");
    }
    let attacks = attacks.load(Ordering::Relaxed);
    let peak_attacked = take_peak();
    let quiet_again = load(args, ordinary(addr.to_string(), mix.clone())).await;
    let (peak_again, rss_after) = (take_peak(), memory("VmRSS"));

    let _ = writeln!(
        out,
        "\n## {engine}: memory of the process (server and client)\n\n\
         | engine | VmRSS before MiB | peak: refusals | peak: load alone | peak: load with attackers | peak: load alone again | VmRSS after MiB |\n\
         |---|---|---|---|---|---|---|\n\
         | {engine} | {} | {} | {} | {} | {} | {} |{}",
        mib(rss_before),
        mib(peak_refusals),
        mib(peak_quiet),
        mib(peak_attacked),
        mib(peak_again),
        mib(rss_after),
        if peak_reset {
            ""
        } else {
            "\n\n(clear_refs failed: each peak is the whole run's so far)"
        }
    );
    let names: Vec<String> = mix
        .iter()
        .map(|(name, _)| format!("q{} p99 ms", name.split(' ').next().unwrap_or("?")))
        .collect();
    let _ = writeln!(
        out,
        "\n## {engine}: ordinary queries {} in turn, {} requests from {} connections\n\n\
         | engine | load | req/s | p50 ms | p99 ms | {} |\n\
         |---|---|---|---|---|{}",
        mix.iter()
            .map(|(name, _)| name.split(' ').next().unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(", "),
        args.requests,
        args.concurrency,
        names.join(" | "),
        "---|".repeat(names.len())
    );
    for (label, run) in [
        ("alone".to_string(), &quiet),
        (
            format!(
                "with {} attackers ({attacks} hostile requests of {}, {:.0}/s)",
                attackers_count,
                sent.iter()
                    .map(|&i| requests[i].name.split(' ').next().unwrap_or("?"))
                    .collect::<Vec<_>>()
                    .join(", "),
                attacks as f64 / attack_seconds
            ),
            &attacked,
        ),
        ("alone, again".to_string(), &quiet_again),
    ] {
        let per_query: Vec<String> = (0..mix.len())
            .map(|q| {
                format!(
                    "{:.2}",
                    run.percentile_of(0.99, |i| i % mix.len() == q) * 1e3
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "| {engine} | {label} | {:.0} | {:.2} | {:.2} | {} |",
            run.throughput,
            run.percentile(0.5) * 1e3,
            run.percentile(0.99) * 1e3,
            per_query.join(" | ")
        );
    }
    let _ = writeln!(
        out,
        "\n{engine}: p99 with attackers / alone = {:.2}x (against the second run alone: {:.2}x)",
        attacked.percentile(0.99) / quiet.percentile(0.99),
        attacked.percentile(0.99) / quiet_again.percentile(0.99)
    );
    out
}

struct Measured {
    throughput: f64,
    /// Each request's index and latency in seconds.
    samples: Vec<(usize, f64)>,
}

impl Measured {
    fn percentile(&self, q: f64) -> f64 {
        self.percentile_of(q, |_| true)
    }

    /// The percentile of the requests whose index `keep` accepts.
    fn percentile_of(&self, q: f64, keep: impl Fn(usize) -> bool) -> f64 {
        let kept: Vec<f64> = self
            .samples
            .iter()
            .filter(|(i, _)| keep(*i))
            .map(|(_, latency)| *latency)
            .collect();
        percentile(&kept, q)
    }
}

/// The `q` quantile of `values` (nearest rank); NaN when there are none.
fn percentile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

/// Runs `requests` calls of `call` over `concurrency` workers, each call given the
/// request's index; latency samples and rate.
async fn load<F, Fut>(args: &Args, call: F) -> Measured
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    for i in 0..args.concurrency.min(args.requests) {
        call(i).await;
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (next, call, total) = (next.clone(), call.clone(), args.requests);
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let t = Instant::now();
                call(i).await;
                samples.push((i, t.elapsed().as_secs_f64()));
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for worker in workers {
        samples.extend(worker.await.expect("worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    Measured {
        throughput: samples.len() as f64 / elapsed,
        samples,
    }
}

/// Idle keep-alive connections to the server, shared by the workers.
static IDLE: Mutex<Vec<TcpStream>> = Mutex::new(Vec::new());

/// One POST /graphql that must succeed (HTTP 200); returns the body.
async fn post(addr: &str, body: &str) -> String {
    let answer = send(addr, body.as_bytes())
        .await
        .unwrap_or_else(|e| panic!("no answer from the server: {e}"));
    assert!(
        answer.status == 200,
        "HTTP {}: {}",
        answer.status,
        answer.text()
    );
    answer.text()
}

struct Answer {
    status: u16,
    /// The status line and the headers, as sent.
    head: String,
    /// The body as sent (compressed when the answer has a `Content-Encoding`), without the
    /// chunked framing.
    body: Vec<u8>,
    /// Bytes read for this answer: head, body and any chunk framing.
    wire: usize,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The value of the first header called `name`.
    fn header(&self, name: &str) -> Option<&str> {
        header(&self.head, name)
    }
}

/// The value of the first header called `wanted` in an HTTP head.
fn header<'a>(head: &'a str, wanted: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case(wanted).then(|| value.trim())
    })
}

/// One POST /graphql of a JSON body over a kept-alive connection.
async fn send(addr: &str, body: &[u8]) -> std::io::Result<Answer> {
    exchange(addr, post_head(addr, "", body.len()).as_bytes(), body).await
}

/// The head of a POST /graphql to `addr` of a JSON body of `length` bytes, with `headers`
/// (whole lines, each ending in CRLF) besides the usual ones.
fn post_head(addr: &str, headers: &str, length: usize) -> String {
    format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         {headers}Content-Length: {length}\r\n\r\n"
    )
}

/// One request (its head, then its body) over a kept-alive connection (as HTTP clients and
/// load tools use them). The answer is read while the body is still being written: a server
/// may refuse a large body before reading it, and close the connection; then the connection
/// is not kept, and a later request opens a fresh one.
async fn exchange(addr: &str, head: &[u8], body: &[u8]) -> std::io::Result<Answer> {
    let idle = IDLE.lock().ok().and_then(|mut idle| idle.pop());
    let mut stream = match idle {
        Some(stream) => stream,
        None => {
            let stream = TcpStream::connect(addr).await?;
            stream.set_nodelay(true).ok();
            stream
        }
    };
    let (answer, reusable) = {
        let (mut reader, mut writer) = stream.split();
        let write = async {
            if body.len() <= 64 * 1024 {
                // One write, one segment for a small request.
                let mut request = head.to_vec();
                request.extend_from_slice(body);
                writer.write_all(&request).await
            } else {
                writer.write_all(head).await?;
                writer.write_all(body).await
            }
        };
        let read = read_answer(&mut reader);
        tokio::pin!(write, read);
        let mut written = None;
        let (answer, keep_alive) = loop {
            tokio::select! {
                result = &mut write, if written.is_none() => written = Some(result.is_ok()),
                answer = &mut read => break answer?,
            }
        };
        (answer, keep_alive && written == Some(true))
    };
    if reusable && let Ok(mut idle) = IDLE.lock() {
        idle.push(stream);
    }
    Ok(answer)
}

/// Reads one HTTP/1.1 response: a body of `Content-Length` bytes, a chunked body, or none
/// (204, 304); also says whether the server keeps the connection open.
async fn read_answer(stream: &mut (impl AsyncRead + Unpin)) -> std::io::Result<(Answer, bool)> {
    let mut reader = Reader {
        stream,
        buffer: Vec::with_capacity(16 * 1024),
        at: 0,
    };
    let head_end = reader.until(b"\r\n\r\n").await?;
    let head = String::from_utf8_lossy(&reader.buffer[..head_end - 2]).to_string();
    reader.at = head_end;
    let invalid = |what: &str| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{what}: {head}"))
    };
    let status: u16 = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status"))?;
    let keep_alive = !header(&head, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    let body = if status == 204 || status == 304 {
        Vec::new()
    } else if header(&head, "transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        // Chunks: a size in hex (and maybe extensions), CRLF, the data, CRLF; a chunk of
        // size 0 ends the body, after any trailers and an empty line.
        let mut body = Vec::new();
        loop {
            let line_end = reader.until(b"\r\n").await?;
            let line = String::from_utf8_lossy(&reader.buffer[reader.at..line_end - 2]);
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| invalid("bad chunk size"))?;
            reader.at = line_end;
            if size == 0 {
                loop {
                    let end = reader.until(b"\r\n").await?;
                    let empty = end - reader.at == 2;
                    reader.at = end;
                    if empty {
                        break;
                    }
                }
                break body;
            }
            reader.fill(size + 2).await?;
            body.extend_from_slice(&reader.buffer[reader.at..reader.at + size]);
            reader.at += size + 2;
        }
    } else {
        let length: usize = header(&head, "content-length")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| invalid("no Content-Length"))?;
        reader.fill(length).await?;
        reader.at += length;
        reader.buffer[reader.at - length..reader.at].to_vec()
    };
    let answer = Answer {
        status,
        head,
        body,
        wire: reader.at,
    };
    Ok((answer, keep_alive))
}

/// Bytes of one response read so far, and how far they are used.
struct Reader<'a, S> {
    stream: &'a mut S,
    buffer: Vec<u8>,
    at: usize,
}

impl<S: AsyncRead + Unpin> Reader<'_, S> {
    /// Reads until the buffer holds `n` bytes past `at`.
    async fn fill(&mut self, n: usize) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        while self.buffer.len() < self.at + n {
            let read = self.stream.read(&mut chunk).await?;
            if read == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    if self.buffer.is_empty() {
                        "server closed the connection before answering"
                    } else {
                        "server closed the connection mid-answer"
                    },
                ));
            }
            self.buffer.extend_from_slice(&chunk[..read]);
        }
        Ok(())
    }

    /// Reads until `marker` appears past `at`; the offset just after it.
    async fn until(&mut self, marker: &[u8]) -> std::io::Result<usize> {
        let mut searched = self.at;
        loop {
            if let Some(found) = self.buffer[searched..]
                .windows(marker.len())
                .position(|w| w == marker)
            {
                return Ok(searched + found + marker.len());
            }
            searched = self
                .buffer
                .len()
                .saturating_sub(marker.len() - 1)
                .max(self.at);
            let have = self.buffer.len() - self.at;
            self.fill(have + 1).await?;
        }
    }
}
