//! The live suite (issue 14): WebSocket subscribers (`--subscribers`, 1,000 by default, 50
//! per connection, `graphql-transport-ws`) on one instance, and one write at a time.
//!
//! Scenarios, each with its own table:
//! - (a) row changes: every subscriber runs
//!   `changes(types: ["Company"]) { kind id node { ... on Company { name } } }` (the generic
//!   stream; not coalesced, so this is the pure fan-out);
//! - (b) one live aggregate, `companiesAggregate { count countDistinct(field: KIND) }`,
//!   shared by all subscribers, computed at most once per coalescing window (`--coalesce-ms`,
//!   else `LIVE_COALESCE_MS`, else 50 ms): at once for a write after a quiet window, so
//!   each measured write comes a window after the previous one; in the burst, once per
//!   longest wait (`LIVE_COALESCE_MAX_MS`, else 250 ms; 0 for once per window) and once a
//!   window after its end;
//! - (a) and (b) across two instances on one PostgreSQL database (not on SQLite, which is
//!   one process): two routers in this process, each with its own pool, bus and `LISTEN`
//!   connection, the subscribers on the first, the writes through the second;
//! - with `--query-load N` (none by default), (a) beside a query load on one instance: N
//!   connections send query 2 of the relay suite without pause while `--writes` writes go
//!   out every 100 ms, not waiting for the subscribers (how far the fan-out falls behind
//!   when requests take the CPU, per `--fanout-nice`; see `under_load`).
//!
//! Measured in each: the time from a mutation's answer (its transaction has committed), and
//! from its sending (the commit is in between), to the last subscriber's event (p50 and p99
//! over `--writes` writes, each waiting for all subscribers; on SQLite the events leave
//! before the answer, so the answer itself waits for part of the fan-out); the statements
//! the subscribers' instance runs per write beyond the write's own; memory (below); and
//! write throughput: bursts of `--burst` writes one after the other, each sent when the
//! previous one is answered, with the subscribers and with none (writes per second, their
//! ratio, when the last subscriber had the last write, and for the aggregate the results
//! sent again unchanged: a recomputation after a change that the previous one had seen).
//! The bursts with and without subscribers are interleaved, `--burst-rounds` of each, with
//! first and none first in turn: for "none", every subscription is completed and the
//! connections stay open. A single pair of bursts half a second long each, minutes apart,
//! gave ratios from 0.49 to 1.01 on one build: the machine's speed drifts more than that
//! between them (the same build's bursts with no subscriber, before and after the
//! scenarios, ran at 280 and 465 writes/s).
//!
//! The clients (the subscribers' connections and their readers) stand for other machines.
//! By default (`--clients process`) they run in a process of their own, this binary with
//! `--live-clients`, in its own session and so its own autogroup at nice 19 (see
//! `live/clients.rs`): they take the CPU that the server, the writer and the database
//! leave. With `--clients here` they run in this process, on threads at nice 19, which
//! yield to this process's other threads but not to PostgreSQL's backends (each is in an
//! autogroup of its own). A client that gets less CPU reads its events later, so the ratio
//! is also given to the last delivery: each burst with the subscribers counted until its
//! last subscriber had the last write.
//!
//! CPU: the time each thread ran (`/proc/self/task/*/schedstat`, and the clients'
//! process's), per write, split into the server's threads (its own runtime,
//! `bench-server`; the fan-out runtime's; SQLite's workers) and the rest (writer,
//! subscribers, bench); and the time of this machine's PostgreSQL processes
//! (`/proc/*/schedstat`). With `--pin` the server's threads run on CPU 0 and everything
//! else of the bench (the clients' process too) on CPU 1, as if the clients were other
//! machines; a database server's processes (PostgreSQL's) are not moved.
//!
//! Memory is anonymous resident memory (`RssAnon`: the heap and stacks, not the pages of
//! the binary, whose code pages come and go with what runs), with the connections open and
//! no subscription, then with every subscription started and idle after one event: the
//! difference over the subscribers is the memory per idle subscription. Twice:
//! - in this process, where the server runs, and the clients with `--clients here` (they
//!   keep nothing per subscription: one task and one socket per 50 subscriptions), with
//!   allocator slack either way (memory that earlier phases freed may be reused without
//!   growing the figure);
//! - for the server alone: the same binary started as a child process with
//!   `--live-server URL` serves one instance, the clients stay here, and the child's memory
//!   is read from `/proc`. Its mimalloc gives freed pages back at once
//!   (`MIMALLOC_PURGE_DELAY=0`), so its figure is the memory it holds.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use capex_graph::graphql::{self, SchemaOptions};
use capex_graph::http::{self as app_http, AppState, FanoutPriority, LiveOptions};
use capex_graph::live::Live;
use futures_util::{FutureExt, SinkExt, StreamExt};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{Args, memory, mib, percentile};

mod clients;
pub use clients::serve as clients_alone;

const TOKEN: &str = "bench-live-write-token-0123456789";
const PER_CONNECTION: usize = 50;
/// The name of the companies the suite creates: `Live Bench 12` for its 12th write.
const NAME: &str = "Live Bench ";
/// Longest wait for subscribers to start, end, or receive an event.
const PATIENCE: Duration = Duration::from_secs(120);

/// What the subscribers follow.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Watch {
    /// (a) row changes.
    Changes,
    /// (b) a live aggregate.
    Aggregate,
}

impl Watch {
    fn query(self) -> &'static str {
        match self {
            Watch::Changes => {
                r#"subscription { changes(types: ["Company"]) { kind id node { ... on Company { name } } } }"#
            }
            Watch::Aggregate => {
                "subscription { companiesAggregate { count countDistinct(field: KIND) } }"
            }
        }
    }

    /// Its name on the clients' process's command line (`--watch`).
    fn name(self) -> &'static str {
        match self {
            Watch::Changes => "changes",
            Watch::Aggregate => "aggregate",
        }
    }

    fn named(name: &str) -> Watch {
        [Watch::Changes, Watch::Aggregate]
            .into_iter()
            .find(|watch| watch.name() == name)
            .unwrap_or_else(|| panic!("--watch {name}: changes or aggregate"))
    }

    fn label(self) -> &'static str {
        match self {
            Watch::Changes => "(a) row changes",
            Watch::Aggregate => "(b) live aggregate",
        }
    }

    /// What an event says: for a row change, the number of the write that created the
    /// company it shows (checked to be a CREATED event with its node); for the aggregate,
    /// the count of companies.
    fn marker(self, data: &Data) -> Result<i64, String> {
        let marker = match self {
            Watch::Changes => {
                let Some(change) = data.changes.as_ref() else {
                    return Err("a `changes` event".into());
                };
                if change.kind != "CREATED" || change.id.is_none() {
                    return Err(format!("a CREATED event with its id: {}", change.kind));
                }
                change
                    .node
                    .as_ref()
                    .and_then(|node| node.name.strip_prefix(NAME))
                    .and_then(|n| n.parse().ok())
            }
            Watch::Aggregate => data.aggregate.as_ref().map(|aggregate| aggregate.count),
        };
        marker.ok_or_else(|| format!("not what {} sends", self.label()))
    }
}

/// One server instance: its router on a port, its own pool (whose statements are
/// counted), bus and, on PostgreSQL, `LISTEN` connection.
struct Instance {
    addr: String,
    live: Live,
    db: DatabaseConnection,
    statements: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _listening: Option<capex_graph::live::Listening>,
}

/// The last statements of every instance in this process: when each ended, how long it
/// took, its SQL's start; printed for a timed write slower than [`SLOW_WRITE`].
static STATEMENT_LOG: Mutex<VecDeque<(Instant, Duration, String)>> = Mutex::new(VecDeque::new());

/// A timed write slower than this has its statements printed on the standard error.
const SLOW_WRITE: Duration = Duration::from_millis(40);

impl Instance {
    /// Starts an instance on the [`servers`] runtime: its pool, `LISTEN` task and router
    /// run there, and so do the threads they start.
    async fn start(engine: &str, url: &str, coalesce: u64, connections: usize) -> Instance {
        let (engine, url) = (engine.to_string(), url.to_string());
        servers()
            .spawn(async move { Self::start_here(&engine, &url, coalesce, connections).await })
            .await
            .expect("the instance starts")
    }

    async fn start_here(engine: &str, url: &str, coalesce: u64, connections: usize) -> Instance {
        let mut db = capex_graph::db::connect(url, false).await.expect("connect");
        let statements = Arc::new(AtomicUsize::new(0));
        let counter = statements.clone();
        db.set_metric_callback(move |info| {
            counter.fetch_add(1, Ordering::SeqCst);
            let sql: String = info.statement.sql.chars().take(60).collect();
            let mut log = STATEMENT_LOG.lock().expect("statement log");
            if log.len() >= 64 {
                log.pop_front();
            }
            log.push_back((Instant::now(), info.elapsed, sql));
        });
        let live = Live::default()
            .with_coalesce(Duration::from_millis(coalesce))
            .with_coalesce_max(Duration::from_millis(coalesce_max()));
        let listening = if engine == "postgres" {
            Some(capex_graph::live::listen(url, &live).await.expect("LISTEN"))
        } else {
            None
        };
        let schema = graphql::build_schema_live(db.clone(), SchemaOptions::default(), live.clone());
        let router = app_http::router(AppState {
            http: app_http::HttpOptions {
                request_timeout: Duration::from_secs(60),
                live: LiveOptions {
                    max_connections: connections + 10,
                    max_subscriptions: PER_CONNECTION,
                    fanout: *FANOUT_PRIORITY.lock().expect("fan-out priority"),
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
        Instance {
            addr,
            live,
            db,
            statements,
            server,
            _listening: listening,
        }
    }

    async fn stop(self) {
        self.server.abort();
        let _ = self.db.close().await;
    }
}

/// The suite's writes: `createCompany` over HTTP, one at a time, numbered.
struct Writer {
    /// Companies before the suite's first write.
    base: i64,
    /// Writes made so far.
    done: i64,
    /// A kept-alive connection per instance written to.
    streams: Vec<(String, TcpStream)>,
}

impl Writer {
    /// Creates the next company through `instance`; returns the write's number once the
    /// mutation has answered (its transaction has committed).
    async fn write(&mut self, addr: &str) -> i64 {
        let number = self.done + 1;
        let body = json!({
            "query": "mutation($input: CompanyInput!) { createCompany(input: $input) { id } }",
            "variables": { "input": { "name": format!("{NAME}{number}"), "kind": "STARTUP" } }
        })
        .to_string();
        let answer = self.post(addr, &body, true).await;
        assert!(answer.get("errors").is_none(), "{answer}");
        self.done = number;
        number
    }

    /// The companies now, read through `instance`.
    async fn count(&mut self, addr: &str) -> i64 {
        let body = json!({ "query": "{ companies { totalCount } }" }).to_string();
        let answer = self.post(addr, &body, false).await;
        answer["data"]["companies"]["totalCount"]
            .as_i64()
            .unwrap_or_else(|| panic!("a count: {answer}"))
    }

    /// What a subscriber of `watch` receives after write `number`.
    fn expected(&self, watch: Watch, number: i64) -> i64 {
        match watch {
            Watch::Changes => number,
            Watch::Aggregate => self.base + number,
        }
    }

    /// One POST /graphql over this writer's kept-alive connection to `addr` (the bench's
    /// shared idle connections do not say which server they reach).
    async fn post(&mut self, addr: &str, body: &str, token: bool) -> Value {
        let at = match self.streams.iter().position(|(a, _)| a == addr) {
            Some(at) => at,
            None => {
                let stream = TcpStream::connect(addr).await.expect("connect");
                stream.set_nodelay(true).ok();
                self.streams.push((addr.to_string(), stream));
                self.streams.len() - 1
            }
        };
        let authorization = if token {
            format!("Authorization: Bearer {TOKEN}\r\n")
        } else {
            String::new()
        };
        let mut request = super::post_head(addr, &authorization, body.len()).into_bytes();
        request.extend_from_slice(body.as_bytes());
        let stream = &mut self.streams[at].1;
        stream.write_all(&request).await.expect("send");
        let (answer, keep_alive) = super::read_answer(stream).await.expect("an answer");
        if !keep_alive {
            self.streams.remove(at);
        }
        assert_eq!(answer.status, 200, "{}", answer.text());
        serde_json::from_str(&answer.text()).expect("JSON answer")
    }
}

/// What one fan-out run measured.
struct FanOut {
    connections: usize,
    /// Shared computations on the subscribers' instance while they ran.
    tasks: usize,
    /// Statements of the subscribers' instance per write, beyond the write's own.
    per_change: Vec<usize>,
    /// Mutation's answer to the last subscriber's event, in seconds.
    latencies: Vec<f64>,
    /// Mutation sent to the last subscriber's event, in seconds (the commit is between).
    from_sent: Vec<f64>,
    /// Anonymous RSS in KiB: with the connections open, with every subscription started and
    /// idle, after the timed writes, after the bursts.
    rss: [Option<u64>; 4],
    throughput: Option<Throughput>,
    /// (a) beside a query load (`--query-load`), on one instance.
    under_load: Option<UnderLoad>,
}

/// Bursts with the subscribers and with none, interleaved (`--burst-rounds` of each).
#[derive(Default)]
struct Throughput {
    with: Vec<Burst>,
    none: Vec<Burst>,
    /// Each time the subscriptions started again for a burst with them.
    restarts: Vec<Restart>,
}

impl Throughput {
    /// Writes per second over all bursts of one kind.
    fn rate(bursts: &[Burst]) -> f64 {
        Self::rate_over(bursts, Burst::answered)
    }

    /// Writes per second over all bursts of one kind, each until its last subscriber had
    /// its last write (until its last answer when that came later, or with no subscriber).
    fn rate_delivered(bursts: &[Burst]) -> f64 {
        Self::rate_over(bursts, |burst| burst.answered().max(burst.delivered))
    }

    /// All the writes of `bursts` over the sum of their `seconds`.
    fn rate_over(bursts: &[Burst], seconds: impl Fn(&Burst) -> f64) -> f64 {
        let writes: usize = bursts.iter().map(|burst| burst.writes).sum();
        writes as f64 / bursts.iter().map(seconds).sum::<f64>()
    }

    /// The mean over bursts of one kind.
    fn mean(bursts: &[Burst], of: impl Fn(&Burst) -> f64) -> f64 {
        mean(bursts.iter().map(of))
    }

    /// Each round's ratio: with the subscribers against none.
    fn ratios(&self) -> Vec<f64> {
        self.with
            .iter()
            .zip(&self.none)
            .map(|(with, none)| with.rate / none.rate)
            .collect()
    }
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0), |(sum, n), value| (sum + value, n + 1));
    sum / f64::from(n.max(1))
}

/// The growth from `before` to `after` (KiB) per one of `n`, in KB (1,000 bytes).
fn growth(before: Option<u64>, after: Option<u64>, n: usize) -> String {
    match (before, after) {
        (Some(before), Some(after)) if n > 0 => format!(
            "{:.1}",
            (after as f64 - before as f64) * 1024.0 / 1000.0 / n as f64
        ),
        _ => "?".into(),
    }
}

/// Writes one after the other as fast as they are answered.
struct Burst {
    writes: usize,
    /// Writes per second.
    rate: f64,
    /// At the last answer, bytes in the TCP sockets of the server's port
    /// ([`waiting_bytes`]): sent by the server and not yet acknowledged, and received by
    /// its clients and not yet read; and bytes of frames in the server's own queues, not
    /// yet written to a socket (`Live::queued_bytes`).
    waiting: [u64; 3],
    /// From the first write to the last subscriber's last event, in seconds.
    delivered: f64,
    /// Statements of the subscribers' instance during the burst, beyond the writes' own.
    statements: usize,
    /// Results sent again unchanged during the burst (to all subscribers together).
    repeats: usize,
    /// CPU time per write of the server's threads ([`Times`]), of the rest (writer, bench
    /// and the clients, here or in their process) and of PostgreSQL's processes, in ms, from the
    /// first write until the last subscriber had the last one (until the last answer with
    /// no subscriber).
    cpu: [f64; 3],
    /// Time runnable but waiting for a CPU (the run queue's delay, [`Times`]) per write, in
    /// ms, from the first write to the last answer: of the server's request threads, of its
    /// fan-out threads, of the rest of this process (the writer, the bench; not the
    /// clients') and of PostgreSQL's processes.
    waited: [f64; 4],
    /// The share of this machine's CPU time that its hypervisor gave to others while the
    /// burst ran (`steal` in `/proc/stat`), in percent.
    steal: f64,
}

impl Burst {
    /// From the first write to the last answer, in seconds.
    fn answered(&self) -> f64 {
        self.writes as f64 / self.rate
    }
}

/// Runs the suite on the database at `url` (migrated and generated); returns its tables.
pub async fn suite(engine: &str, url: &str, args: &Args) -> String {
    CLIENTS_NICE.store(args.clients_nice, Ordering::SeqCst);
    *FANOUT_PRIORITY.lock().expect("fan-out priority") = args.fanout;
    if args.pin {
        pin_process();
    }
    let coalesce = coalesce(args);
    let connections = args.subscribers.div_ceil(PER_CONNECTION);
    let first = Instance::start(engine, url, coalesce, connections).await;
    assert!(
        args.burst < first.live.buffer(),
        "--burst {} must stay under the bus's buffer of {} events: a subscriber further \
         behind is closed as a slow consumer",
        args.burst,
        first.live.buffer()
    );
    assert!(
        args.query_load == 0 || (1..first.live.buffer()).contains(&args.writes),
        "--query-load needs --writes from 1 to under the bus's buffer of {} events: they go \
         out without waiting for the subscribers",
        first.live.buffer()
    );
    let mut writer = Writer {
        base: 0,
        done: 0,
        streams: Vec::new(),
    };
    writer.base = writer.count(&first.addr).await;

    // The write's own statements, with no subscriber.
    first.statements.store(0, Ordering::SeqCst);
    writer.write(&first.addr).await;
    tokio::time::sleep(Duration::from_millis(coalesce + 200)).await;
    let own = first.statements.swap(0, Ordering::SeqCst);
    // A first burst warms the server and the database up (on PostgreSQL the first one ran
    // at half the speed of later ones); not counted.
    burst(&first, &first, &mut writer, args.burst, own, None, false).await;

    let mut runs = Vec::new();
    for watch in [Watch::Changes, Watch::Aggregate] {
        let run = fan_out(watch, (&first, &first), &mut writer, args, args.burst, own).await;
        runs.push((watch, run));
    }

    let mut across = Vec::new();
    if engine == "postgres" {
        let second = Instance::start(engine, url, coalesce, connections).await;
        for watch in [Watch::Changes, Watch::Aggregate] {
            // No burst: the throughput is measured on one instance.
            let run = fan_out(watch, (&first, &second), &mut writer, args, 0, 0).await;
            across.push((watch, run));
        }
        second.stop().await;
    }
    // All the suite's subscribers are gone, and so are their shared computations.
    assert_eq!(first.live.hub().computations(), 0, "shared tasks left");
    assert_eq!(
        first.live.streams().computations(),
        0,
        "shared executions left"
    );
    first.stop().await;

    let mut alone_server = Vec::new();
    for watch in [Watch::Changes, Watch::Aggregate] {
        alone_server.push((watch, server_memory(watch, url, &mut writer, args).await));
    }

    let window = |watch: Watch| match watch {
        Watch::Aggregate => coalesce.to_string(),
        Watch::Changes => "-".into(),
    };
    let placement = format!(
        "{} The server's fan-out threads {}.",
        if args.pin {
            "Pinned (`--pin`): the server's threads on CPU 0, the writer, subscribers and \
             bench on CPU 1."
        } else {
            "Not pinned: server and clients share the CPUs."
        },
        match args.fanout {
            FanoutPriority::Requests => "are its request threads (`--fanout-nice 0`)".to_string(),
            FanoutPriority::Idle => "run under `SCHED_IDLE` (`--fanout-nice idle`)".to_string(),
            FanoutPriority::Nice(nice) => format!("run at nice {nice}"),
        }
    );
    let mut report = String::new();
    let _ = writeln!(
        report,
        "\n## {engine}: live data, {} subscribers on {connections} connections, {} writes one at a time\n\n\
         Coalescing window of live results {coalesce} ms, longest wait in a burst {} ms. The write's own statements: {own}. Latency: \
         from the mutation's answer (committed), and from its sending (the commit is between), \
         to the last subscriber's event; over {} writes p99 is {}. Writes/s: bursts of {} writes one \
         after the other, each sent when the previous one is answered, after bursts that warm \
         up and are not counted (one before the scenarios, and one with the subscribers after \
         each scenario's timed writes); {} rounds, each a burst with the subscribers and one with none (every subscription \
         completed, the connections open), with first and none first in turn; the writes/s \
         are over all bursts of a kind, and the ratio is theirs (each round's ratio in a later \
         column); the ratio to the last delivery counts each burst with the subscribers until \
         the last subscriber had its last write. CPU: of the server's threads, of the rest \
         (writer, bench and clients), and of this machine's PostgreSQL processes, per write, \
         from the first write until the last subscriber had the last one, the mean over the \
         bursts. Started again: after each pause, from the first `subscribe` sent until every \
         subscription had started (for a live result: had its first result), and the server's \
         CPU meanwhile (a reconnect storm's subscribes). At a burst's last answer: the bytes in \
         the TCP sockets of the server's port (`/proc/net/tcp`), in the server's (sent, not yet \
         acknowledged) and in its clients' (received, not yet read). Waiting for a CPU: the time \
         runnable but not running (the run queue's delay, `schedstat`) per write, from the first \
         write to the last answer, of the server's request threads, of its fan-out threads, of the \
         rest of the bench's process (the writer; not the clients') and of PostgreSQL's \
         processes. {} {}{}",
        args.subscribers,
        args.writes,
        coalesce_max(),
        args.writes,
        if args.writes <= 50 {
            "the slowest"
        } else {
            "the 99th percentile"
        },
        args.burst,
        args.burst_rounds,
        placement,
        if args.clients_process {
            format!(
                "Clients: in a process of their own (`--clients process`), in its own session, \
                 so its own autogroup, at nice {}.",
                args.clients_nice
            )
        } else {
            format!(
                "Clients: in this process (`--clients here`), their threads at nice {}.",
                args.clients_nice
            )
        },
        if args.hold_reads {
            " Clients' reads held during each burst's writes (`--hold-reads`): the events \
             wait in the sockets' buffers and are read after the burst's last answer, so the \
             clients' own CPU is not in the writes' time (the kernel's TCP work of both ends \
             still is); the ratio to the last delivery then counts that catch-up."
        } else {
            ""
        }
    );
    for (watch, run) in &runs {
        let throughput = run.throughput.as_ref().expect("bursts");
        let (with, none) = (&throughput.with, &throughput.none);
        let (rate_with, rate_none) = (Throughput::rate(with), Throughput::rate(none));
        let ratios = throughput
            .ratios()
            .iter()
            .map(|ratio| format!("{ratio:.2}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            report,
            "\n### {engine}: {}, one instance: `{}`\n\n\
             | engine | subscribers | connections | writes | coalesce ms | shared tasks | statements per write beyond its own | answer to last subscriber p50 ms | p99 ms | sent to last p50 ms | p99 ms | process anon RSS, connections open MiB | subscribed, idle MiB | growth per idle subscription KB | after writes MiB | after burst MiB | burst writes | writes/s, none | writes/s, subscribers | ratio | ratio to the last delivery | server CPU ms per write, none | with subscribers | clients' CPU ms per write | PostgreSQL's CPU ms per write, none | with subscribers | burst delivered to all after s, mean | statements in the bursts beyond their writes' | results resent unchanged in the bursts | ratio in each round | hypervisor's steal %, none | with subscribers | all subscriptions started again in ms, mean | server CPU meanwhile ms, mean | at a burst's last answer: KB in the server's sockets, mean | in its queues, not yet written | in its clients' sockets, unread | waiting for a CPU ms per write: request threads, none | with subscribers | fan-out threads, with subscribers | writer's process, none | with subscribers | PostgreSQL's, none | with subscribers |\n\
             |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n\
             | {engine} | {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2} | {} | {} | {ratios} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            watch.label(),
            watch.query(),
            args.subscribers,
            run.connections,
            args.writes,
            window(*watch),
            run.tasks,
            statements(&run.per_change),
            percentile(&run.latencies, 0.5) * 1e3,
            percentile(&run.latencies, 0.99) * 1e3,
            percentile(&run.from_sent, 0.5) * 1e3,
            percentile(&run.from_sent, 0.99) * 1e3,
            mib(run.rss[0]),
            mib(run.rss[1]),
            growth(run.rss[0], run.rss[1], args.subscribers),
            mib(run.rss[2]),
            mib(run.rss[3]),
            args.burst,
            rate_none,
            rate_with,
            rate_with / rate_none,
            Throughput::rate_delivered(with) / rate_none,
            Throughput::mean(none, |burst| burst.cpu[0]),
            Throughput::mean(with, |burst| burst.cpu[0]),
            Throughput::mean(with, |burst| burst.cpu[1]),
            Throughput::mean(none, |burst| burst.cpu[2]),
            Throughput::mean(with, |burst| burst.cpu[2]),
            Throughput::mean(with, |burst| burst.delivered),
            with.iter().map(|burst| burst.statements).sum::<usize>(),
            with.iter().map(|burst| burst.repeats).sum::<usize>(),
            Throughput::mean(none, |burst| burst.steal),
            Throughput::mean(with, |burst| burst.steal),
            mean(throughput.restarts.iter().map(|restart| restart.took)),
            mean(throughput.restarts.iter().map(|restart| restart.server_cpu)),
            Throughput::mean(with, |burst| burst.waiting[0] as f64 / 1024.0),
            Throughput::mean(with, |burst| burst.waiting[2] as f64 / 1024.0),
            Throughput::mean(with, |burst| burst.waiting[1] as f64 / 1024.0),
            Throughput::mean(none, |burst| burst.waited[0]),
            Throughput::mean(with, |burst| burst.waited[0]),
            Throughput::mean(with, |burst| burst.waited[1]),
            Throughput::mean(none, |burst| burst.waited[2]),
            Throughput::mean(with, |burst| burst.waited[2]),
            Throughput::mean(none, |burst| burst.waited[3]),
            Throughput::mean(with, |burst| burst.waited[3]),
        );
    }
    for (_, run) in &runs {
        let Some(load) = &run.under_load else {
            continue;
        };
        let _ = writeln!(
            report,
            "\n### {engine}: (a) beside a query load: {} connections sending query 2 of the relay \
             suite without pause, {} writes one every {} ms (not waiting for the subscribers), \
             the load stopped after the last\n\n\
             Queries/s from the load's start to its last answer; the writes' answers from their \
             sending; the subscribers' events from the write's answer (committed; 0 when they \
             came first), and from its sending, to its last subscriber. CPU and time waiting \
             for a CPU per write, from the first write until the load stopped (its queries in \
             flight answered).\n\n\
             | engine | fan-out (`--fanout-nice`) | subscribers | queries/s | query p50 ms | p99 ms | write answered p50 ms | p99 ms | answer to last subscriber p50 ms | p99 ms | slowest ms | sent to last subscriber p50 ms | p99 ms | writes delivered only after the load stopped | CPU ms per write: request threads | fan-out threads | waiting for a CPU ms per write: request threads | fan-out threads |\n\
             |---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n\
             | {engine} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {} of {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            args.query_load,
            args.writes,
            LOAD_PACE.as_millis(),
            args.fanout,
            args.subscribers,
            load.queries.took.len() as f64 / load.queries.seconds,
            percentile(&load.queries.took, 0.5) * 1e3,
            percentile(&load.queries.took, 0.99) * 1e3,
            percentile(&load.answered, 0.5) * 1e3,
            percentile(&load.answered, 0.99) * 1e3,
            percentile(&load.lags, 0.5) * 1e3,
            percentile(&load.lags, 0.99) * 1e3,
            percentile(&load.lags, 1.0) * 1e3,
            percentile(&load.from_sent, 0.5) * 1e3,
            percentile(&load.from_sent, 0.99) * 1e3,
            load.after_load,
            load.lags.len(),
            load.cpu[REQUESTS],
            load.cpu[FANOUT],
            load.waited[REQUESTS],
            load.waited[FANOUT],
        );
    }
    let _ = writeln!(
        report,
        "\nProcess memory: anonymous RSS of this process, where the server runs, {} (memory \
         freed by earlier phases may be reused, so a growth can read low).\n\n\
         ### {engine}: memory of the server alone: one instance in a child process (this binary, \
         `--live-server`), the clients here\n\n\
         | engine | scenario | subscribers | connections | server anon RSS before MiB | connections open MiB | per connection KB | subscribed, idle MiB | per idle subscription KB | after {} more writes MiB |\n\
         |---|---|---|---|---|---|---|---|---|---|",
        if args.clients_process {
            "the clients in their own process"
        } else {
            "the clients too (they hold nothing per subscription)"
        },
        args.writes
    );
    for (watch, memory) in &alone_server {
        let _ = writeln!(
            report,
            "| {engine} | {} | {} | {connections} | {} | {} | {} | {} | {} | {} |",
            watch.label(),
            args.subscribers,
            mib(memory[0]),
            mib(memory[1]),
            growth(memory[0], memory[1], connections),
            mib(memory[2]),
            growth(memory[1], memory[2], args.subscribers),
            mib(memory[3]),
        );
    }
    let _ = writeln!(
        report,
        "\nIdle: every subscriber has had one event (the aggregate's first result, or the \
         change of one write) and waits."
    );
    if across.is_empty() {
        let _ = writeln!(
            report,
            "\n{engine}: no run across two instances (SQLite is one process: its bus is in-process)."
        );
    } else {
        let _ = writeln!(
            report,
            "\n### {engine}: two instances on one database, each with its pool, bus and LISTEN connection: subscribers on the first, writes through the second\n\n\
             | engine | scenario | subscribers | connections | writes | coalesce ms | shared tasks | statements per write on the subscribers' instance | answer to last subscriber p50 ms | p99 ms | sent to last p50 ms | p99 ms |\n\
             |---|---|---|---|---|---|---|---|---|---|---|---|"
        );
        for (watch, run) in &across {
            let _ = writeln!(
                report,
                "| {engine} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
                watch.label(),
                args.subscribers,
                run.connections,
                args.writes,
                window(*watch),
                run.tasks,
                statements(&run.per_change),
                percentile(&run.latencies, 0.5) * 1e3,
                percentile(&run.latencies, 0.99) * 1e3,
                percentile(&run.from_sent, 0.5) * 1e3,
                percentile(&run.from_sent, 0.99) * 1e3,
            );
        }
    }
    report
}

/// The coalescing window in ms: `--coalesce-ms`, else `LIVE_COALESCE_MS`, else the default.
fn coalesce(args: &Args) -> u64 {
    args.coalesce
        .unwrap_or_else(|| env_ms("LIVE_COALESCE_MS", capex_graph::live::DEFAULT_COALESCE))
}

/// The longest wait of a change in a burst, in ms: `LIVE_COALESCE_MAX_MS`, else the
/// default (a child process inherits it).
fn coalesce_max() -> u64 {
    env_ms(
        "LIVE_COALESCE_MAX_MS",
        capex_graph::live::DEFAULT_COALESCE_MAX,
    )
}

/// Milliseconds from the environment variable `name`, else `default`.
fn env_ms(name: &str, default: Duration) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default.as_millis() as u64)
}

/// The child process of [`server_memory`] (`--live-server URL`): one instance on the
/// database at `url`; prints its address, then serves until its standard input closes.
pub async fn serve_alone(url: &str, args: &Args) {
    *FANOUT_PRIORITY.lock().expect("fan-out priority") = args.fanout;
    let engine = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let connections = args.subscribers.div_ceil(PER_CONNECTION);
    let instance = Instance::start(engine, url, coalesce(args), connections).await;
    println!("{}", instance.addr);
    let _ = tokio::task::spawn_blocking(|| {
        use std::io::Read;
        let _ = std::io::stdin().read_to_end(&mut Vec::new());
    })
    .await;
    instance.stop().await;
}

/// The anonymous RSS (KiB) of a server alone, in a child process, serving subscribers of
/// `watch` from here: before any connection, with the connections open, with every
/// subscription idle after one event, and after `args.writes` more writes.
async fn server_memory(
    watch: Watch,
    url: &str,
    writer: &mut Writer,
    args: &Args,
) -> [Option<u64>; 4] {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().expect("this binary"))
        .args([
            "--live-server",
            url,
            "--subscribers",
            &args.subscribers.to_string(),
            "--coalesce-ms",
            &coalesce(args).to_string(),
            "--fanout-nice",
            &args.fanout.to_string(),
        ])
        // mimalloc gives freed pages back to the system at once, so that the server's
        // resident memory is what it holds (by default, it keeps them a moment, and gives
        // them back only when the thread that freed them allocates again).
        .env("MIMALLOC_PURGE_DELAY", "0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the server process");
    let pid = child.id();
    let stdout = child.stdout.take().expect("its output");
    let addr = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("its address");
        line.trim().to_string()
    })
    .await
    .expect("its address");
    assert!(
        !addr.is_empty(),
        "the server process stopped before serving"
    );
    let of_server = || async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        memory_of(pid, "RssAnon")
    };
    // A first round warms what a server sets up once (its pools, caches, the first
    // connection and subscription), and frees what starting it left behind.
    let warm = [open(&addr, None).await];
    let mut subscribers = follow_all(watch, warm.into(), PER_CONNECTION);
    idle(watch, &addr, writer, &mut subscribers).await;
    subscribers.stop().await;
    let before = of_server().await;
    let sockets = open_all(&addr, args.subscribers.div_ceil(PER_CONNECTION), false).await;
    let open = of_server().await;
    let mut subscribers = follow_all(watch, sockets, args.subscribers);
    idle(watch, &addr, writer, &mut subscribers).await;
    let subscribed = of_server().await;
    for _ in 0..args.writes {
        let number = writer.write(&addr).await;
        let wanted = writer.expected(watch, number);
        subscribers
            .until(|sub, marker, _, _| {
                assert_eq!(marker, wanted, "subscriber {sub}: the event of the write");
                true
            })
            .await;
    }
    let after = of_server().await;
    subscribers.stop().await;
    drop(child.stdin.take());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("the server process")
        .expect("the server process");
    assert!(status.success(), "the server process: {status}");
    [before, open, subscribed, after]
}

/// Waits until every subscriber of `subscribers` has had its first event: the aggregate's
/// first result, or the change of one write through `addr`.
async fn idle(watch: Watch, addr: &str, writer: &mut Writer, subscribers: &mut Subscribers) {
    if watch == Watch::Aggregate {
        subscribers
            .first_results(writer.expected(watch, writer.done))
            .await;
        return;
    }
    // A `changes` subscription sends nothing before a change: the first event is that of
    // one write, once they have all started. One that had not started yet misses the
    // write: then write again.
    let done = writer.done;
    subscribers.seen.fill(done);
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..10 {
        let number = writer.write(addr).await;
        let wanted = writer.expected(watch, number);
        let all = subscribers.until(|_, marker, _, _| marker == wanted);
        if tokio::time::timeout(Duration::from_secs(5), all)
            .await
            .is_ok()
        {
            return;
        }
    }
    panic!("the subscriptions did not all start in 10 writes");
}

/// A field of /proc/PID/status, in KiB.
fn memory_of(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        line.strip_prefix(field)?
            .strip_prefix(':')?
            .trim()
            .trim_end_matches(" kB")
            .parse()
            .ok()
    })
}

/// Statement counts, shortened when they are all the same.
fn statements(counts: &[usize]) -> String {
    match counts {
        [] => "-".into(),
        [first, rest @ ..] if rest.iter().all(|n| n == first) => {
            format!("{first} for each write")
        }
        _ => counts
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// `writes` writes through `to`, one after the other as fast as they are answered. With
/// `subscribers` (on `at`), waits until each has the last write, checking what arrives.
/// Counts the statements of `at` beyond the writes' own (`own` each).
async fn burst(
    at: &Instance,
    to: &Instance,
    writer: &mut Writer,
    writes: usize,
    own: usize,
    mut subscribers: Option<(Watch, &mut Subscribers)>,
    hold: bool,
) -> Burst {
    at.statements.store(0, Ordering::SeqCst);
    let before = Times::now();
    let steal_before = machine_times();
    let started = Instant::now();
    let mut last = 0;
    if hold && let Some((_, subscribers)) = &mut subscribers {
        subscribers.clients.send(Control::Hold);
    }
    for _ in 0..writes {
        last = writer.write(&to.addr).await;
    }
    let rate = writes as f64 / started.elapsed().as_secs_f64();
    let queued = at.live.queued_bytes() as u64;
    let [sent, unread] = waiting_bytes(&at.addr);
    let waiting = [sent, unread, queued];
    let (_, waited) = before.per_write(&Times::now(), writes);
    if hold && let Some((_, subscribers)) = &mut subscribers {
        subscribers.clients.send(Control::Release);
    }
    let mut delivered = started;
    let mut repeats = 0;
    if let Some((watch, subscribers)) = subscribers
        && writes > 0
    {
        let wanted = writer.expected(watch, last);
        delivered = subscribers
            .until(|sub, marker, _, seen| {
                match watch {
                    // Every write, in order, none missed.
                    Watch::Changes => assert_eq!(marker, seen[sub] + 1, "subscriber {sub}"),
                    // Coalesced: some counts may be skipped, never one from the past (a
                    // repeat of the last one is skipped before).
                    Watch::Aggregate => assert!(marker > seen[sub], "subscriber {sub}"),
                }
                marker == wanted
            })
            .await;
        repeats = subscribers.repeats.replace(0).unwrap_or(0);
    }
    let (cpu, _) = before.per_write(&Times::now(), writes);
    let steal_after = machine_times();
    Burst {
        cpu: [server(cpu), cpu[REST] + cpu[CLIENTS], cpu[POSTGRES]],
        waited: [
            waited[REQUESTS],
            waited[FANOUT],
            waited[REST],
            waited[POSTGRES],
        ],
        steal: match (steal_before, steal_after) {
            (Some((steal, all)), Some((steal_after, all_after))) if all_after > all => {
                (steal_after - steal) as f64 * 100.0 / (all_after - all) as f64
            }
            _ => f64::NAN,
        },
        writes,
        rate,
        waiting,
        delivered: delivered.saturating_duration_since(started).as_secs_f64(),
        statements: at
            .statements
            .load(Ordering::SeqCst)
            .saturating_sub(own * writes),
        repeats,
    }
}

/// What a connection's reader sends: (subscriber, marker, arrival) for each event, or what
/// was wrong with a message.
type Received = Result<(usize, i64, Instant), String>;

/// The events the subscribers receive.
struct Subscribers {
    received: mpsc::UnboundedReceiver<Received>,
    /// The last marker each subscriber received.
    seen: Vec<i64>,
    /// Whether a subscriber may receive the same marker again (a live result recomputed
    /// after a change that the previous computation had already seen), and how often one
    /// did: such repeats are skipped.
    repeats: Option<usize>,
    /// Where the connections' readers run.
    clients: Clients,
}

/// The subscribers' connections' readers: tasks of this process, or a process of their own.
enum Clients {
    Here {
        /// One per connection's reader.
        controls: Vec<mpsc::UnboundedSender<Control>>,
        readers: Vec<tokio::task::JoinHandle<()>>,
    },
    Process(clients::Process),
}

impl Clients {
    /// Tells every connection's reader.
    fn send(&mut self, control: Control) {
        match self {
            Clients::Here { controls, .. } => {
                for reader in controls {
                    reader.send(control).expect("a reader");
                }
            }
            Clients::Process(process) => process.send(control),
        }
    }
}

impl Subscribers {
    fn new(
        watch: Watch,
        subscribers: usize,
        received: mpsc::UnboundedReceiver<Received>,
        clients: Clients,
    ) -> Subscribers {
        Subscribers {
            received,
            seen: vec![0; subscribers],
            repeats: (watch == Watch::Aggregate).then_some(0),
            clients,
        }
    }

    /// Closes the connections (the server ends their subscriptions).
    async fn stop(self) {
        match self.clients {
            Clients::Here { readers, .. } => {
                for reader in readers {
                    reader.abort();
                }
            }
            Clients::Process(process) => process.stop().await,
        }
    }

    /// Waits until every subscriber of a live result has had its first one, `now`.
    async fn first_results(&mut self, now: i64) {
        self.until(|_, marker, _, _| {
            assert_eq!(marker, now, "first results");
            true
        })
        .await;
    }

    /// Receives events until every subscriber has had one for which `done(subscriber,
    /// marker, arrival, seen)` holds (it checks the event against the subscriber's last
    /// marker, in `seen`); returns the last arrival.
    async fn until(
        &mut self,
        mut done: impl FnMut(usize, i64, Instant, &[i64]) -> bool,
    ) -> Instant {
        let mut left = self.seen.len();
        let mut finished = vec![false; self.seen.len()];
        let mut last: Option<Instant> = None;
        while left > 0 {
            let (sub, marker, at) = tokio::time::timeout(PATIENCE, self.received.recv())
                .await
                .unwrap_or_else(|_| panic!("{left} subscribers had no event in {PATIENCE:?}"))
                .expect("the subscribers' connections are open (the clients run)")
                .unwrap_or_else(|wrong| panic!("{wrong}"));
            if let Some(repeats) = &mut self.repeats
                && marker == self.seen[sub]
            {
                *repeats += 1;
                continue;
            }
            assert!(
                !finished[sub],
                "subscriber {sub}: one event too many ({marker})"
            );
            if done(sub, marker, at, &self.seen) {
                finished[sub] = true;
                left -= 1;
                last = Some(last.map_or(at, |last| last.max(at)));
            }
            self.seen[sub] = marker;
        }
        last.unwrap_or_else(Instant::now)
    }
}

/// `args.subscribers` subscribers of `watch` on `at`, `args.writes` writes through `to`,
/// each waiting for all subscribers, then a burst of `burst_writes` writes, then for (a) on
/// one instance with `--query-load`, [`under_load`]. `own` is the statements of one write
/// on `at` (0 when `to` is another instance).
async fn fan_out(
    watch: Watch,
    (at, to): (&Instance, &Instance),
    writer: &mut Writer,
    args: &Args,
    burst_writes: usize,
    own: usize,
) -> FanOut {
    let receivers = at.live.subscriber_count();
    let connections = args.subscribers.div_ceil(PER_CONNECTION);
    let connected = Connected::open(watch, &at.addr, args).await;
    let rss_open = settled_memory().await;

    let mut subscribers = connected.start(watch, args.subscribers);
    started(watch, at, receivers, writer, &mut subscribers).await;
    let tasks = at.live.hub().computations();
    let rss_subscribed = settled_memory().await;

    let mut latencies = Vec::new();
    let mut from_sent = Vec::new();
    let mut per_change = Vec::new();
    // A live result is computed at once after a quiet window, and a burst's changes wait:
    // each measured write comes a window after the previous one.
    let quiet = match watch {
        Watch::Aggregate => Duration::from_millis(coalesce(args)),
        Watch::Changes => Duration::ZERO,
    };
    for _ in 0..args.writes {
        tokio::time::sleep(quiet).await;
        at.statements.store(0, Ordering::SeqCst);
        let sent = Instant::now();
        let number = writer.write(&to.addr).await;
        let committed = Instant::now();
        let wanted = writer.expected(watch, number);
        let mut first: Option<Instant> = None;
        let last = subscribers
            .until(|sub, marker, at, _| {
                assert_eq!(marker, wanted, "subscriber {sub}: the event of the write");
                first = Some(first.map_or(at, |first| first.min(at)));
                true
            })
            .await;
        if last.saturating_duration_since(committed) > SLOW_WRITE {
            // Signed: before the answer is negative.
            let ms = |at: Instant| {
                (at.saturating_duration_since(committed).as_secs_f64()
                    - committed.saturating_duration_since(at).as_secs_f64())
                    * 1e3
            };
            eprintln!(
                "slow write: sent {:.1} ms, first subscriber {:.1}, last {:.1} (ms from the answer)",
                ms(sent),
                first.map_or(f64::NAN, ms),
                ms(last)
            );
            for (ended, took, sql) in STATEMENT_LOG.lock().expect("statement log").iter() {
                if *ended >= sent {
                    eprintln!(
                        "  statement ended {:.1} ms, took {:.1}: {sql}",
                        ms(*ended),
                        took.as_secs_f64() * 1e3
                    );
                }
            }
        }
        latencies.push(last.saturating_duration_since(committed).as_secs_f64());
        from_sent.push(last.saturating_duration_since(sent).as_secs_f64());
        per_change.push(at.statements.load(Ordering::SeqCst).saturating_sub(own));
    }
    // Each timed write's time, in order, on the standard error: where a slow one falls.
    eprintln!(
        "{}: answer to last subscriber, ms, each timed write: {:?}",
        watch.label(),
        latencies
            .iter()
            .map(|s| (s * 1e4).round() / 10.0)
            .collect::<Vec<_>>()
    );
    let rss_writes = settled_memory().await;
    let throughput = if burst_writes > 0 {
        let mut throughput = Throughput::default();
        let mut subscribed = true;
        // The first burst after the timed writes runs slow (on PostgreSQL, (b)'s at 0.5-0.7
        // of the later ones with subscribers, and with more of the database's CPU per
        // write); it always fell to the first round's subscribers. Not counted.
        let hold = args.hold_reads;
        let following = Some((watch, &mut subscribers));
        burst(at, to, writer, burst_writes, own, following, hold).await;
        for round in 0..args.burst_rounds {
            // With, then none, then none, then with: neither comes first more often.
            let order = if round % 2 == 0 {
                [true, false]
            } else {
                [false, true]
            };
            for with in order {
                if with && !subscribed {
                    let restart =
                        resume(watch, at, receivers, writer, &mut subscribers, round).await;
                    throughput.restarts.push(restart);
                } else if !with && subscribed {
                    pause(at, receivers, &mut subscribers).await;
                }
                subscribed = with;
                let following = with.then_some((watch, &mut subscribers));
                let run = burst(at, to, writer, burst_writes, own, following, hold).await;
                match with {
                    true => throughput.with.push(run),
                    false => throughput.none.push(run),
                }
            }
        }
        if !subscribed {
            let epoch = args.burst_rounds;
            let restart = resume(watch, at, receivers, writer, &mut subscribers, epoch).await;
            throughput.restarts.push(restart);
        }
        Some(throughput)
    } else {
        None
    };
    let rss_burst = settled_memory().await;
    // On one instance only; after the memory figures, which it would change.
    let under_load = if args.query_load > 0 && watch == Watch::Changes && std::ptr::eq(at, to) {
        Some(under_load(at, writer, &mut subscribers, args).await)
    } else {
        None
    };

    subscribers.stop().await;
    // Their connections dropped, the subscriptions end, and so does the shared task.
    ended(at, receivers, "the subscriptions end").await;
    FanOut {
        connections,
        tasks,
        per_change,
        latencies,
        from_sent,
        rss: [rss_open, rss_subscribed, rss_writes, rss_burst],
        throughput,
        under_load,
    }
}

/// Waits until `subscribers` have started on `at` (where `receivers` followed the bus
/// before them): a live aggregate sends its first result at once; a `changes`
/// subscription sends nothing until a change, but holds a receiver of the bus from its
/// start.
async fn started(
    watch: Watch,
    at: &Instance,
    receivers: usize,
    writer: &Writer,
    subscribers: &mut Subscribers,
) {
    match watch {
        Watch::Aggregate => {
            subscribers
                .first_results(writer.expected(watch, writer.done))
                .await;
        }
        Watch::Changes => {
            let count = subscribers.seen.len();
            until(
                || at.live.subscriber_count() >= receivers + count,
                "the subscriptions start",
            )
            .await;
            let done = writer.done;
            subscribers.seen.fill(done);
        }
    }
}

/// The pace of the writes beside a query load: one every 100 ms.
const LOAD_PACE: Duration = Duration::from_millis(100);

/// (a) beside a query load (`--query-load N`): N connections send query 2 of the relay
/// suite, each again as soon as it is answered, while `args.writes` writes go out one every
/// [`LOAD_PACE`], not waiting for the subscribers. The load stops after the last write;
/// then every subscriber must have had every write, in order. Shows how far the fan-out
/// falls behind when requests take the server's CPU, and what the fan-out costs them.
async fn under_load(
    at: &Instance,
    writer: &mut Writer,
    subscribers: &mut Subscribers,
    args: &Args,
) -> UnderLoad {
    let load = QueryLoad::start(&at.addr, args.query_load).await;
    // The load's connections all busy before the first write.
    tokio::time::sleep(LOAD_PACE).await;
    let before = Times::now();
    let began = tokio::time::Instant::now();
    let mut writes = Vec::new();
    for n in 1..=args.writes {
        let sent = Instant::now();
        let number = writer.write(&at.addr).await;
        let committed = Instant::now();
        writes.push((writer.expected(Watch::Changes, number), sent, committed));
        tokio::time::sleep_until(began + LOAD_PACE * n as u32).await;
    }
    let queries = load.stop().await;
    let stopped = Instant::now();
    let (cpu, waited) = before.per_write(&Times::now(), args.writes);
    let first = writes.first().map_or(0, |write| write.0);
    let wanted = writes.last().map_or(0, |write| write.0);
    let mut last_arrival: Vec<Option<Instant>> = vec![None; writes.len()];
    subscribers
        .until(|sub, marker, arrival, seen| {
            // Every write, in order, none missed.
            assert_eq!(marker, seen[sub] + 1, "subscriber {sub}");
            let slot = &mut last_arrival[(marker - first) as usize];
            *slot = Some(slot.map_or(arrival, |last| last.max(arrival)));
            marker == wanted
        })
        .await;
    let arrivals: Vec<Instant> = last_arrival
        .into_iter()
        .map(|arrival| arrival.expect("every write reached every subscriber"))
        .collect();
    UnderLoad {
        queries,
        answered: writes
            .iter()
            .map(|(_, sent, committed)| committed.duration_since(*sent).as_secs_f64())
            .collect(),
        lags: writes
            .iter()
            .zip(&arrivals)
            .map(|((_, _, committed), arrival)| {
                arrival.saturating_duration_since(*committed).as_secs_f64()
            })
            .collect(),
        from_sent: writes
            .iter()
            .zip(&arrivals)
            .map(|((_, sent, _), arrival)| arrival.saturating_duration_since(*sent).as_secs_f64())
            .collect(),
        after_load: arrivals
            .iter()
            .filter(|arrival| **arrival > stopped)
            .count(),
        cpu,
        waited,
    }
}

/// What [`under_load`] measured.
struct UnderLoad {
    queries: Queries,
    /// Each write's answer, from its sending, in s.
    answered: Vec<f64>,
    /// From each write's answer (committed) to its last subscriber's event, in s; 0 when
    /// the events came first (on SQLite they may leave before the answer).
    lags: Vec<f64>,
    /// From each write's sending to its last subscriber's event, in s.
    from_sent: Vec<f64>,
    /// Writes whose last subscriber had its event only after the load stopped.
    after_load: usize,
    /// CPU time and time waiting for a CPU per write ([`Times`]), from the first write
    /// until the load stopped, in ms.
    cpu: [f64; 5],
    waited: [f64; 5],
}

/// Connections that each send query 2 of the relay suite again as soon as it is answered,
/// from the bench's own runtime, until stopped.
struct QueryLoad {
    stop: Arc<std::sync::atomic::AtomicBool>,
    connections: Vec<tokio::task::JoinHandle<Vec<f64>>>,
    began: Instant,
}

/// The queries a [`QueryLoad`] had answered when it stopped.
struct Queries {
    /// Each one's time, from its sending to its answer, in s.
    took: Vec<f64>,
    /// From the load's start to its last answer, in s.
    seconds: f64,
}

impl QueryLoad {
    async fn start(addr: &str, connections: usize) -> QueryLoad {
        let body = json!({ "query": super::relay_query_2(addr).await }).to_string();
        let request: Arc<[u8]> = (super::post_head(addr, "", body.len()) + &body)
            .into_bytes()
            .into();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut tasks = Vec::new();
        for _ in 0..connections {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).ok();
            let (request, stop) = (request.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                let mut took = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let sent = Instant::now();
                    stream.write_all(&request).await.expect("send");
                    let (answer, keep_alive) =
                        super::read_answer(&mut stream).await.expect("an answer");
                    assert!(answer.status == 200 && keep_alive, "{}", answer.head);
                    if took.is_empty() {
                        super::http::assert_no_errors("query 2 under load", &answer.body);
                    }
                    took.push(sent.elapsed().as_secs_f64());
                }
                took
            }));
        }
        QueryLoad {
            stop,
            connections: tasks,
            began: Instant::now(),
        }
    }

    /// Stops the load (each connection after its answer in flight).
    async fn stop(self) -> Queries {
        self.stop.store(true, Ordering::SeqCst);
        let mut took = Vec::new();
        for connection in self.connections {
            took.extend(connection.await.expect("a load connection"));
        }
        // Until the last answer, which the queries counted include.
        let seconds = self.began.elapsed().as_secs_f64();
        Queries { took, seconds }
    }
}

/// Completes every subscription, the connections staying open; returns once `at` has
/// ended them (and their shared computations).
async fn pause(at: &Instance, receivers: usize, subscribers: &mut Subscribers) {
    subscribers.clients.send(Control::Pause);
    ended(at, receivers, "the subscriptions pause").await;
}

/// Waits until `at` follows the bus with `receivers` subscribers at most (`what` ended the
/// others) and has no shared computation left.
async fn ended(at: &Instance, receivers: usize, what: &str) {
    until(
        || {
            at.live.subscriber_count() <= receivers
                && at.live.hub().computations() == 0
                && at.live.streams().computations() == 0
        },
        what,
    )
    .await;
}

/// Starts every subscription again (ids of `epoch`), and waits until they have started.
/// Returns how long that took, and the CPU time of the server's threads meanwhile (ms).
async fn resume(
    watch: Watch,
    at: &Instance,
    receivers: usize,
    writer: &Writer,
    subscribers: &mut Subscribers,
    epoch: usize,
) -> Restart {
    let cpu = server(Times::now().cpu);
    let began = Instant::now();
    subscribers.clients.send(Control::Resume(epoch as u32));
    started(watch, at, receivers, writer, subscribers).await;
    Restart {
        took: began.elapsed().as_secs_f64() * 1e3,
        server_cpu: server(Times::now().cpu).saturating_sub(cpu) as f64 / 1e6,
    }
}

/// Every subscription started again after a pause (a reconnect storm's subscribes).
struct Restart {
    /// From the first `subscribe` sent until all had started, in ms.
    took: f64,
    /// CPU time of the server's threads meanwhile, in ms.
    server_cpu: f64,
}

/// The process's anonymous resident memory in KiB, once the allocator has returned what
/// earlier phases freed: mimalloc gives freed pages back to the system a moment later, and
/// only when the thread that freed them allocates again, so the runtime's threads are made
/// to allocate a little after a pause. Without this, a phase's growth was hidden by the
/// release of an earlier phase's garbage (negative figures per subscription).
async fn settled_memory() -> Option<u64> {
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        churn().await;
    }
    memory("RssAnon")
}

/// A little allocation on the runtime's threads, so that mimalloc returns the pages freed
/// on them (see [`settled_memory`]).
async fn churn() {
    let tasks: Vec<_> = (0..64)
        .map(|_| {
            tokio::spawn(async {
                for _ in 0..64 {
                    std::hint::black_box(vec![1u8; 4096]);
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("churn");
    }
}

/// The priority of the server's fan-out threads (`--fanout-nice`, `LIVE_FANOUT_NICE`'s
/// default unless given).
static FANOUT_PRIORITY: std::sync::Mutex<FanoutPriority> =
    std::sync::Mutex::new(capex_graph::http::DEFAULT_FANOUT_PRIORITY);

/// The nice value of the clients' threads (`--clients-nice`), set before their runtime is made.
static CLIENTS_NICE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(19);

/// The runtime of the subscribers' readers: its own threads, at `--clients-nice` (the
/// clients stand for other machines: at 19 they take the CPU the server leaves).
fn clients() -> &'static tokio::runtime::Handle {
    static CLIENTS: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    CLIENTS
        .get_or_init(|| {
            let nice = CLIENTS_NICE.load(Ordering::SeqCst);
            // One thread per CPU the process may use, at most 2: pinned to one CPU, a
            // second only adds wake-ups and switches between the two.
            let threads = std::thread::available_parallelism().map_or(2, usize::from);
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(threads.min(2))
                .thread_name("bench-clients")
                .on_thread_start(move || {
                    if nice > 0 {
                        capex_graph::http::lower_thread_priority(nice);
                    }
                })
                .enable_all()
                .build()
                .expect("the clients' runtime")
        })
        .handle()
}

/// Whether `--pin` put the server's threads on CPU 0 and the rest on CPU 1.
static PIN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The runtime of the suite's server instances: its own threads (`bench-server`), on CPU 0
/// with `--pin`. The threads an instance starts from them (the fan-out runtime's, SQLite's
/// workers) inherit their CPU.
fn servers() -> &'static tokio::runtime::Handle {
    static SERVERS: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    SERVERS
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(std::thread::available_parallelism().map_or(2, usize::from))
                .thread_name("bench-server")
                .on_thread_start(|| {
                    if PIN.load(Ordering::SeqCst) {
                        let tid = capex_graph::http::thread_id().expect("/proc/thread-self");
                        taskset(&["-p", "-c", "0", &tid.to_string()]);
                    }
                })
                .enable_all()
                .build()
                .expect("the servers' runtime")
        })
        .handle()
}

/// `--pin`: every thread of this process so far on CPU 1 (the bench, its writer, and the
/// subscribers' runtime made from them later); the [`servers`] runtime's threads move to
/// CPU 0 as they start. Panics on a machine with one CPU or without `taskset`.
fn pin_process() {
    assert!(
        std::thread::available_parallelism().map_or(1, usize::from) >= 2,
        "--pin needs two CPUs"
    );
    PIN.store(true, Ordering::SeqCst);
    taskset(&["-a", "-p", "-c", "1", &std::process::id().to_string()]);
}

fn taskset(args: &[&str]) {
    let status = std::process::Command::new("taskset")
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("taskset (util-linux)");
    assert!(status.success(), "taskset {args:?}: {status}");
}

/// Bytes in this machine's IPv4 TCP sockets (`/proc/net/tcp`) of the server at `addr`:
/// in the server's own sockets, sent and not yet acknowledged (or not yet sent), and in
/// its clients' sockets, received and not yet read. Zeros where the table cannot be read.
fn waiting_bytes(addr: &str) -> [u64; 2] {
    let mut waiting = [0; 2];
    let Some(port) = addr.rsplit(':').next().and_then(|port| port.parse().ok()) else {
        return waiting;
    };
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let port_of = |address: &str| {
        let port = address.rsplit(':').next()?;
        u16::from_str_radix(port, 16).ok()
    };
    // `sl local_address rem_address st tx_queue:rx_queue ...`, in hexadecimal.
    for line in table.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(local), Some(remote), Some(queues)) =
            (fields.get(1), fields.get(2), fields.get(4))
        else {
            continue;
        };
        let Some((sent, received)) = queues.split_once(':') else {
            continue;
        };
        let hex = |field: &str| u64::from_str_radix(field, 16).unwrap_or(0);
        if port_of(local) == Some(port) {
            waiting[0] += hex(sent);
        } else if port_of(remote) == Some(port) {
            waiting[1] += hex(received);
        }
    }
    waiting
}

/// This machine's CPU time taken by its hypervisor for others (steal) so far, and all its
/// CPU time, in ticks (the first line of `/proc/stat`).
fn machine_times() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let times: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|field| field.parse().ok())
        .collect::<Option<_>>()?;
    Some((*times.get(7)?, times.iter().sum()))
}

/// CPU time (ns) used so far, and time spent runnable but waiting for a CPU (ns, the
/// run queue's delay), by this process's living threads, this machine's living `postgres`
/// processes (the database server, when it runs here) and the clients' process when they
/// run in one. From `schedstat` in `/proc/self/task/*`, `/proc/PID/task/*` and `/proc/*`.
#[derive(Clone, Copy, Default)]
struct Times {
    /// Indexed by [`REQUESTS`], [`FANOUT`], [`REST`], [`POSTGRES`] and [`CLIENTS`].
    cpu: [u64; 5],
    waited: [u64; 5],
}

/// The server's request threads (the [`servers`] runtime's, and SQLite's workers:
/// `bench-server`, `sqlx-sqlite-*`).
const REQUESTS: usize = 0;
/// The server's fan-out threads (`capex-fanout`).
const FANOUT: usize = 1;
/// The rest of this process: the writer and the bench.
const REST: usize = 2;
/// This machine's PostgreSQL processes.
const POSTGRES: usize = 3;
/// The clients: their process's threads, or their threads here (`bench-clients`, and
/// `bench-clients-in`, which reads their process's records).
const CLIENTS: usize = 4;

/// The server's share of a [`Times`] array: its request and fan-out threads.
fn server<T: std::ops::Add<Output = T> + Copy>(of: [T; 5]) -> T {
    of[REQUESTS] + of[FANOUT]
}

impl Times {
    fn now() -> Times {
        let mut times = Times::default();
        let mut add = |group: usize, (cpu, waited): (u64, u64)| {
            times.cpu[group] += cpu;
            times.waited[group] += waited;
        };
        for (name, stat) in threads("/proc/self/task") {
            let group = if name.starts_with("capex-fanout") {
                FANOUT
            } else if name.starts_with("bench-clients") {
                CLIENTS
            } else if ["bench-server", "sqlx-sqlite"]
                .iter()
                .any(|prefix| name.starts_with(prefix))
            {
                REQUESTS
            } else {
                REST
            };
            add(group, stat);
        }
        if let Some(pid) = clients::pid() {
            for (_, stat) in threads(&format!("/proc/{pid}/task")) {
                add(CLIENTS, stat);
            }
        }
        for (name, stat) in threads("/proc") {
            if name == "postgres" {
                add(POSTGRES, stat);
            }
        }
        times
    }

    /// From `self` to `after`, per write, in ms: CPU time, and time waiting for a CPU.
    fn per_write(&self, after: &Times, writes: usize) -> ([f64; 5], [f64; 5]) {
        let per = |before: &[u64; 5], after: &[u64; 5]| {
            std::array::from_fn(|i| {
                after[i].saturating_sub(before[i]) as f64 / 1e6 / writes.max(1) as f64
            })
        };
        (per(&self.cpu, &after.cpu), per(&self.waited, &after.waited))
    }
}

/// The name, CPU time and run-queue delay (ns) of each task (or process) in `dir`
/// (`/proc/self/task`, `/proc`): its numbered entries with a `comm` and a `schedstat`.
fn threads(dir: &str) -> impl Iterator<Item = (String, (u64, u64))> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|entry| {
            let path = entry.path();
            let name = std::fs::read_to_string(path.join("comm")).ok()?;
            let stat = std::fs::read_to_string(path.join("schedstat")).ok()?;
            let mut fields = stat.split_whitespace();
            let cpu = fields.next()?.parse().ok()?;
            let waited = fields.next()?.parse().ok()?;
            Some((name.trim_end().to_string(), (cpu, waited)))
        })
}

/// Runs `subscribers` subscriptions of `watch`, [`PER_CONNECTION`] on each of `sockets`,
/// here.
fn follow_all(watch: Watch, sockets: Vec<Socket>, subscribers: usize) -> Subscribers {
    let (results, received) = mpsc::unbounded_channel();
    let (controls, readers) = readers(watch, sockets, subscribers, results);
    Subscribers::new(
        watch,
        subscribers,
        received,
        Clients::Here { controls, readers },
    )
}

/// Starts a reader for each of `sockets` on the [`clients`] runtime, running its share of
/// `subscribers` subscriptions of `watch` and sending their events to `results`; returns
/// their controls and tasks.
fn readers(
    watch: Watch,
    sockets: Vec<Socket>,
    subscribers: usize,
    results: mpsc::UnboundedSender<Received>,
) -> (
    Vec<mpsc::UnboundedSender<Control>>,
    Vec<tokio::task::JoinHandle<()>>,
) {
    let mut readers = Vec::new();
    let mut controls = Vec::new();
    let mut from = 0;
    for socket in sockets {
        let to = (from + PER_CONNECTION).min(subscribers);
        let (control, commands) = mpsc::unbounded_channel();
        controls.push(control);
        readers.push(clients().spawn(follow(socket, watch, from..to, results.clone(), commands)));
        from = to;
    }
    (controls, readers)
}

/// The subscribers' connections, open and initialized, before any subscription.
enum Connected {
    Here(Vec<Socket>),
    Process(clients::Process),
}

impl Connected {
    /// Opens the connections for `args.subscribers` to `addr`: here, or in a process of
    /// their own (`--clients`).
    async fn open(watch: Watch, addr: &str, args: &Args) -> Connected {
        if args.clients_process {
            return Connected::Process(clients::Process::open(watch, addr, args).await);
        }
        let connections = args.subscribers.div_ceil(PER_CONNECTION);
        Connected::Here(open_all(addr, connections, args.hold_reads).await)
    }

    /// Starts the subscriptions.
    fn start(self, watch: Watch, subscribers: usize) -> Subscribers {
        match self {
            Connected::Here(sockets) => follow_all(watch, sockets, subscribers),
            Connected::Process(mut process) => {
                let received = process.start();
                Subscribers::new(watch, subscribers, received, Clients::Process(process))
            }
        }
    }
}

/// Polls `done` until it holds, at most [`PATIENCE`].
async fn until(done: impl Fn() -> bool, what: &str) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < PATIENCE, "{what}: not in {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

fn outgoing(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

/// A WebSocket connection to `addr`, initialized (`connection_ack` received), with a
/// receive buffer of `receive_buffer` bytes when given (else the kernel's, autotuned).
async fn open(addr: &str, receive_buffer: Option<u32>) -> Socket {
    let mut request = format!("ws://{addr}/graphql")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let to: std::net::SocketAddr = addr.parse().expect("an IP address and port");
    let tcp = if to.is_ipv4() {
        tokio::net::TcpSocket::new_v4()
    } else {
        tokio::net::TcpSocket::new_v6()
    }
    .expect("a socket");
    if let Some(size) = receive_buffer {
        // Before connecting: the window scale is agreed in the handshake.
        tcp.set_recv_buffer_size(size).expect("SO_RCVBUF");
    }
    let stream = tcp.connect(to).await.expect("connect");
    let (mut socket, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .expect("WebSocket");
    socket
        .send(outgoing(
            json!({ "type": "connection_init", "payload": {} }),
        ))
        .await
        .expect("init");
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("connection_ack in time")
            .expect("connection_ack")
            .expect("connection_ack");
        if let Message::Text(text) = message {
            let value: Value = serde_json::from_str(&text).expect("JSON message");
            assert_eq!(value["type"], "connection_ack", "{value}");
            return socket;
        }
    }
}

/// `connections` WebSocket connections to `addr`, one after the other, initialized.
async fn open_all(addr: &str, connections: usize, hold: bool) -> Vec<Socket> {
    let mut sockets = Vec::new();
    for _ in 0..connections {
        sockets.push(open(addr, hold.then_some(HELD_RECEIVE_BUFFER)).await);
    }
    sockets
}

/// The receive buffer of a client's socket when its reads are held during a burst
/// (`--hold-reads`; the kernel doubles it): room for a whole burst's events, so that the
/// server sends them all during the burst, as to clients on other machines, instead of
/// keeping half in its own sockets until the clients read (a socket that has never been
/// read from keeps the 128 KiB it started with; the window closes at about 700 KB).
const HELD_RECEIVE_BUFFER: u32 = 4 << 20;

/// What the bench tells a connection's reader.
#[derive(Clone, Copy)]
enum Control {
    /// Complete every subscription (the throughput with no subscriber, connections open).
    Pause,
    /// Subscribe again, with ids of this epoch.
    Resume(u32),
    /// Stop reading the sockets (`--hold-reads`): the events wait in the sockets' buffers.
    Hold,
    /// Read them again.
    Release,
}

/// Subscribes `ids` on `socket`, as `SUB:EPOCH` (a late message of an earlier epoch's
/// subscription is told apart and skipped).
async fn subscribe(socket: &mut Socket, watch: Watch, ids: std::ops::Range<usize>, epoch: u32) {
    for id in ids {
        socket
            .send(outgoing(json!({ "id": format!("{id}:{epoch}"), "type": "subscribe", "payload": { "query": watch.query() } })))
            .await
            .expect("subscribe");
    }
}

/// Runs subscriptions `ids` (numbered across connections) on `socket`; sends each event's
/// subscriber, marker and arrival time. Completes them all, or starts them again, when
/// `control` says.
async fn follow(
    mut socket: Socket,
    watch: Watch,
    ids: std::ops::Range<usize>,
    results: mpsc::UnboundedSender<Received>,
    mut control: mpsc::UnboundedReceiver<Control>,
) {
    let mut epoch = 0;
    let mut active = true;
    let mut held = false;
    subscribe(&mut socket, watch, ids.clone(), epoch).await;
    loop {
        let message = tokio::select! {
            command = control.recv() => {
                match command {
                    Some(Control::Pause) if active => {
                        for id in ids.clone() {
                            let complete = json!({ "id": format!("{id}:{epoch}"), "type": "complete" });
                            socket.send(outgoing(complete)).await.expect("complete");
                        }
                        active = false;
                    }
                    Some(Control::Resume(next)) if !active => {
                        (epoch, active) = (next, true);
                        subscribe(&mut socket, watch, ids.clone(), epoch).await;
                    }
                    Some(Control::Hold) => held = true,
                    Some(Control::Release) => held = false,
                    Some(_) => {}
                    None => return,
                }
                continue;
            }
            message = socket.next(), if !held => message,
        };
        let Some(Ok(message)) = message else {
            return;
        };
        let mut next = Some(message);
        let mut drained = 0;
        while let Some(message) = next.take() {
            if let Message::Text(text) = message {
                let at = Instant::now();
                match read(&text, watch, active.then_some(epoch), at) {
                    Read::Skip => {}
                    Read::Event(event) => {
                        if results.send(event).is_err() {
                            return;
                        }
                    }
                    Read::Ping => {
                        let _ = socket.send(outgoing(json!({ "type": "pong" }))).await;
                    }
                    Read::Ended(why) => {
                        let _ = results.send(Err(why));
                        return;
                    }
                }
            }
            // The messages already here, without going back to `select!` (which registers
            // the control's waker again for each one); a command waits for at most
            // [`DRAINED`] of them.
            drained += 1;
            if drained == DRAINED {
                break;
            }
            next = match socket.next().now_or_never() {
                None => None,
                Some(Some(Ok(message))) => Some(message),
                Some(_) => return,
            };
        }
    }
}

/// Messages a reader reads one after the other before it looks at its commands again.
const DRAINED: usize = 64;

/// What a subscriber's reader does with a message.
enum Read {
    /// Nothing: a message of a subscription of an earlier epoch, or of one completed, or
    /// one it does not follow.
    Skip,
    Event(Received),
    Ping,
    /// The subscription ended (`error` or `complete`), or the message is not what the
    /// server sends: why.
    Ended(String),
}

/// Reads `text`, which arrived `at`, as a typed client does: in one pass, only what it
/// uses, borrowed from the text. `epoch` is the current subscriptions' (none while they
/// are completed).
fn read(text: &str, watch: Watch, epoch: Option<u32>, at: Instant) -> Read {
    let message = match serde_json::from_str::<Incoming>(text) {
        Ok(message) => message,
        // A payload that does not read as a `next` one (an `error` message's list of
        // errors, say): the message without it, to be told apart by its type and id.
        Err(_) => match serde_json::from_str::<Head>(text) {
            Ok(Head { kind, id }) => Incoming {
                kind,
                id,
                payload: None,
            },
            Err(_) => return Read::Ended(format!("not a message of the protocol: {text}")),
        },
    };
    // A subscription of an earlier epoch, or one completed, may still have a message on
    // its way.
    let current = message.id.map(|id| {
        id.split_once(':')
            .filter(|(_, of)| epoch.is_some_and(|epoch| of.parse() == Ok(epoch)))
            .and_then(|(sub, _)| sub.parse::<usize>().ok())
    });
    if matches!(current, Some(None)) {
        return Read::Skip;
    }
    match message.kind {
        "next" => Read::Event(match (current.flatten(), message.payload) {
            (
                Some(sub),
                Some(Payload {
                    data: Some(data),
                    errors: None,
                }),
            ) => watch.marker(&data).map(|marker| (sub, marker, at)),
            _ => Err(format!("an event without errors: {text}")),
        }),
        "ping" => Read::Ping,
        "error" | "complete" => Read::Ended(format!("a subscription ended: {text}")),
        _ => Read::Skip,
    }
}

/// A server message, as far as the subscribers read it.
#[derive(serde::Deserialize)]
struct Incoming<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(default)]
    id: Option<&'a str>,
    #[serde(default, borrow)]
    payload: Option<Payload<'a>>,
}

/// A server message without its payload: for one whose payload does not read as
/// [`Payload`].
#[derive(serde::Deserialize)]
struct Head<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(default)]
    id: Option<&'a str>,
}

/// The payload of a `next` message, as far as the subscribers read it (a `ping`'s reads
/// as one too, and so may a short list, as serde reads a struct from an array).
#[derive(serde::Deserialize)]
struct Payload<'a> {
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
    #[serde(default, borrow)]
    errors: Option<&'a serde_json::value::RawValue>,
}

/// What the two scenarios' events hold.
#[derive(serde::Deserialize)]
struct Data<'a> {
    #[serde(default, borrow)]
    changes: Option<ChangeData<'a>>,
    #[serde(default, rename = "companiesAggregate")]
    aggregate: Option<AggregateData>,
}

#[derive(serde::Deserialize)]
struct ChangeData<'a> {
    #[serde(borrow)]
    kind: std::borrow::Cow<'a, str>,
    #[serde(default, borrow)]
    id: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, borrow)]
    node: Option<NodeData<'a>>,
}

#[derive(serde::Deserialize)]
struct NodeData<'a> {
    #[serde(borrow)]
    name: std::borrow::Cow<'a, str>,
}

#[derive(serde::Deserialize)]
struct AggregateData {
    count: i64,
}
