//! The live suite (issue 14): `--subscribers` WebSocket subscribers (1,000 by default, 50
//! per connection) to one live aggregate, then `--writes` mutations, one after the other,
//! each waiting until every subscriber has its new result.
//!
//! Reported: the statements the server runs per write beyond the write's own (measured
//! first with no subscriber), the time from the mutation's answer (its transaction has
//! committed) to the last subscriber's new result (p50 and p99 over the writes; it includes
//! the `LIVE_COALESCE_MS` window, read from the environment, 50 ms by default), and the
//! process's resident memory (server and clients share it) before the subscribers connect
//! and after the writes.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use capex_graph::graphql::{self, SchemaOptions};
use capex_graph::http::{self as app_http, AppState, LiveOptions};
use capex_graph::live::Live;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{Args, memory, mib, percentile};

const TOKEN: &str = "bench-live-write-token-0123456789";
const PER_CONNECTION: usize = 50;
const SUBSCRIPTION: &str =
    "subscription { companiesAggregate { count countDistinct(field: KIND) } }";

/// Runs the suite on the database at `url` (migrated and generated); returns its table.
pub async fn suite(engine: &str, url: &str, args: &Args) -> String {
    let coalesce = std::env::var("LIVE_COALESCE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(capex_graph::live::DEFAULT_COALESCE.as_millis() as u64);
    let mut db = capex_graph::db::connect(url, false).await.expect("connect");
    let statements = Arc::new(AtomicUsize::new(0));
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let live = Live::default().with_coalesce(Duration::from_millis(coalesce));
    let _listening = if engine == "postgres" {
        Some(capex_graph::live::listen(url, &live).await.expect("LISTEN"))
    } else {
        None
    };
    let schema = graphql::build_schema_live(db.clone(), SchemaOptions::default(), live.clone());
    let connections = args.subscribers.div_ceil(PER_CONNECTION);
    let router = app_http::router(AppState {
        http: app_http::HttpOptions {
            request_timeout: Duration::from_secs(60),
            live: LiveOptions {
                max_connections: connections + 10,
                max_subscriptions: PER_CONNECTION,
                ..Default::default()
            },
            ..Default::default()
        },
        ..AppState::new(
            schema,
            db.clone(),
            capex_graph::auth::WriteAccess::with_tokens([TOKEN]).expect("token"),
        )
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let server = tokio::spawn(axum::serve(listener, router).into_future());

    // The write's own statements, with no subscriber.
    let base = count_of(&addr).await;
    statements.store(0, Ordering::SeqCst);
    write(&addr, "Live Bench Alone").await;
    tokio::time::sleep(Duration::from_millis(coalesce + 200)).await;
    let own = statements.swap(0, Ordering::SeqCst);

    let rss_before = memory("VmRSS");
    // Every result a subscriber receives: (count, when).
    let (results, mut received) = mpsc::unbounded_channel::<(i64, Instant)>();
    let mut readers = Vec::new();
    let mut left = args.subscribers;
    for _ in 0..connections {
        let n = left.min(PER_CONNECTION);
        left -= n;
        readers.push(tokio::spawn(subscriber(addr.clone(), n, results.clone())));
    }
    drop(results);
    let mut expected = base + 1;
    let mut first = 0;
    while first < args.subscribers {
        let (count, _) = received.recv().await.expect("a first result");
        assert_eq!(count, expected, "first results");
        first += 1;
    }
    let subscribed = memory("VmRSS");

    let mut latencies = Vec::new();
    let mut per_change = Vec::new();
    for k in 0..args.writes {
        statements.store(0, Ordering::SeqCst);
        write(&addr, &format!("Live Bench {k}")).await;
        let committed = Instant::now();
        expected += 1;
        let mut last = committed;
        let mut got = 0;
        while got < args.subscribers {
            let (count, at) = received.recv().await.expect("a result");
            if count == expected {
                got += 1;
                last = last.max(at);
            }
        }
        latencies.push(last.saturating_duration_since(committed).as_secs_f64());
        per_change.push(statements.load(Ordering::SeqCst).saturating_sub(own));
    }
    let rss_after = memory("VmRSS");
    let tasks = live.hub().computations();
    for reader in readers {
        reader.abort();
    }
    server.abort();
    let _ = db.close().await;

    let mut report = String::new();
    let _ = writeln!(
        report,
        "\n| engine | subscribers | connections | writes | coalesce ms | shared tasks | statements per change (beyond the write's {own}) | commit to last subscriber p50 ms | p99 ms | RSS before MiB | with subscribers MiB | after writes MiB |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        report,
        "| {engine} | {} | {connections} | {} | {coalesce} | {} | {} | {:.1} | {:.1} | {} | {} | {} |",
        args.subscribers,
        args.writes,
        tasks,
        per_change
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        percentile(&latencies, 0.5) * 1e3,
        percentile(&latencies, 0.99) * 1e3,
        mib(rss_before),
        mib(subscribed),
        mib(rss_after),
    );
    report
}

/// The companies now, over HTTP.
async fn count_of(addr: &str) -> i64 {
    let body = json!({ "query": "{ companies { totalCount } }" }).to_string();
    let answer: Value = serde_json::from_str(&super::post(addr, &body).await).expect("JSON");
    answer["data"]["companies"]["totalCount"]
        .as_i64()
        .expect("count")
}

/// Creates a company through the API; returns when the mutation has answered.
async fn write(addr: &str, name: &str) {
    let body = json!({
        "query": "mutation($input: CompanyInput!) { createCompany(input: $input) { id } }",
        "variables": { "input": { "name": name, "kind": "STARTUP" } }
    })
    .to_string();
    let head = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Authorization: Bearer {TOKEN}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let answer = super::exchange(addr, head.as_bytes(), body.as_bytes())
        .await
        .expect("mutation");
    let answer: Value = serde_json::from_str(&answer.text()).expect("JSON answer");
    assert!(answer.get("errors").is_none(), "{answer}");
}

/// One connection with `n` subscriptions; sends every result's count and arrival time.
async fn subscriber(addr: String, n: usize, results: mpsc::UnboundedSender<(i64, Instant)>) {
    let mut request = format!("ws://{addr}/graphql")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("WebSocket");
    let send = |value: Value| Message::Text(value.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init", "payload": {} })))
        .await
        .expect("init");
    for i in 0..n {
        socket
            .send(send(json!({ "id": i.to_string(), "type": "subscribe", "payload": { "query": SUBSCRIPTION } })))
            .await
            .expect("subscribe");
    }
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let at = Instant::now();
        let value: Value = serde_json::from_str(&text).expect("JSON message");
        match value["type"].as_str() {
            Some("next") => {
                let count = value["payload"]["data"]["companiesAggregate"]["count"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("a count: {value}"));
                if results.send((count, at)).is_err() {
                    return;
                }
            }
            Some("ping") => {
                let _ = socket.send(send(json!({ "type": "pong" }))).await;
            }
            Some("error") => panic!("{value}"),
            _ => {}
        }
    }
}
