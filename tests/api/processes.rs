//! Server processes through the real binary: instances started together set the database
//! up once, writers of two processes on one SQLite file wait for each other instead of
//! failing, and a caller's trace is continued in the logs and exported over OTLP.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{WRITE_TOKEN, drop_postgres_database, fresh_postgres_database};

/// A running server process, killed when dropped (also when the test fails).
struct Instance {
    child: Child,
    addr: SocketAddr,
    /// Everything it has written so far, stdout and stderr.
    output: Arc<Mutex<String>>,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What [`spawn`] started: the process, news of its address, and its output.
type Spawned = (
    Child,
    mpsc::Receiver<Result<SocketAddr, String>>,
    Arc<Mutex<String>>,
);

/// Starts the binary on `database_url` with a free port. Does not wait for it to listen.
fn spawn(database_url: &str) -> Spawned {
    spawn_with(database_url, &[])
}

/// [`spawn`] with more environment variables.
fn spawn_with(database_url: &str, env: &[(&str, &str)]) -> Spawned {
    let mut child = Command::new(env!("CARGO_BIN_EXE_capex-graph"))
        .envs(env.iter().copied())
        .env("DATABASE_URL", database_url)
        .env("HOST", "127.0.0.1")
        .env("PORT", "0")
        .env("WRITE_TOKENS", WRITE_TOKEN)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env_remove("NO_SEED")
        .env_remove("WRITE_TOKENS_FILE")
        .env_remove("DB_MAX_CONNECTIONS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the server binary");
    let (tx, rx) = mpsc::channel();
    let all = Arc::new(Mutex::new(String::new()));
    for output in [
        child
            .stdout
            .take()
            .map(|o| Box::new(o) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|e| Box::new(e) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        let all = all.clone();
        std::thread::spawn(move || {
            let mut seen = String::new();
            for line in BufReader::new(output).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut all) = all.lock() {
                    all.push_str(&line);
                    all.push('\n');
                }
                if let Some(rest) = line.split("listening on http://").nth(1)
                    && let Some(addr) = rest.split('/').next()
                    && let Ok(addr) = addr.parse()
                {
                    let _ = tx.send(Ok(addr));
                }
                seen.push_str(&line);
                seen.push('\n');
            }
            // The output ended: the process is gone (or closed its output).
            let _ = tx.send(Err(seen));
        });
    }
    (child, rx, all)
}

/// Waits until the process listens; panics with its output if it ends first.
fn listening((child, rx, output): Spawned) -> Instance {
    let mut instance = Instance {
        child,
        addr: "127.0.0.1:0".parse().expect("addr"),
        output,
    };
    let mut outputs = Vec::new();
    while outputs.len() < 2 {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(Ok(addr)) => {
                instance.addr = addr;
                return instance;
            }
            Ok(Err(output)) => outputs.push(output),
            Err(_) => panic!("the server did not listen within 2 minutes"),
        }
    }
    let status = instance.child.wait().ok();
    panic!(
        "the server ended ({status:?}) before listening:\n{}",
        outputs.join("\n")
    );
}

/// Starts `n` instances at once on `database_url` and waits for all of them.
fn start_together(database_url: &str, n: usize) -> Vec<Instance> {
    let spawned: Vec<_> = (0..n).map(|_| spawn(database_url)).collect();
    spawned.into_iter().map(listening).collect()
}

/// A minimal HTTP/1.1 request; returns the status and the body.
async fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&Value>) -> (u16, String) {
    http_with(addr, method, path, body, "").await
}

/// [`http`] with more header lines (each ending in CRLF).
async fn http_with(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
    headers: &str,
) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect to server");
    let body = body.map(Value::to_string).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nAuthorization: Bearer {WRITE_TOKEN}\r\n\
         {headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut response = Vec::new();
    stream
        .read_to_end(&mut response)
        .await
        .expect("read response");
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP response: {response}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head}"));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    (status, body)
}

/// The body of a chunked response.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

async fn graphql(addr: SocketAddr, query: &str, variables: Value) -> Value {
    let (status, body) = http(
        addr,
        "POST",
        "/graphql",
        Some(&json!({ "query": query, "variables": variables })),
    )
    .await;
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("HTTP {status}: {body}"))
}

/// Companies (those `filter` selects, all for `None`).
async fn company_count(addr: SocketAddr, filter: Option<&str>) -> i64 {
    let args = filter.map(|f| format!("(filter: {f})")).unwrap_or_default();
    let body = graphql(
        addr,
        &format!("{{ companies{args} {{ totalCount }} }}"),
        json!({}),
    )
    .await;
    body["data"]["companies"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("no count: {body}"))
}

/// A scratch folder for SQLite files, removed at the end.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(what: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "capex-{what}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch folder");
        Scratch(dir)
    }

    fn sqlite_url(&self) -> String {
        format!("sqlite://{}/capex.db?mode=rwc", self.0.display())
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every instance answers `/health`, and the built-in dataset is there exactly once.
async fn all_up_with_one_dataset(instances: &[Instance]) {
    let builtin = capex_graph::dataset::Dataset::builtin()
        .expect("built-in dataset")
        .companies
        .len() as i64;
    for instance in instances {
        let (status, body) = http(instance.addr, "GET", "/health", None).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(company_count(instance.addr, None).await, builtin);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_together_on_a_fresh_sqlite_file_all_come_up_and_seed_once() {
    let scratch = Scratch::new("together");
    let instances = start_together(&scratch.sqlite_url(), 4);
    all_up_with_one_dataset(&instances).await;
    drop(instances);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_together_on_a_fresh_postgres_database_all_come_up_and_seed_once() {
    let Some(admin_url) = crate::helpers::postgres_admin_url() else {
        return;
    };
    let (url, name) = fresh_postgres_database(&admin_url).await;
    let outcome = tokio::spawn(async move {
        let instances = start_together(&url, 4);
        all_up_with_one_dataset(&instances).await;
    })
    .await;
    drop_postgres_database(&admin_url, &name).await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

/// Two processes on one SQLite file: each one's writers take turns within it, and across
/// the two, each write transaction waits for the other process's at `BEGIN IMMEDIATE`.
/// A write either succeeds or, if it waited too long, is answered SERVICE_UNAVAILABLE
/// (to retry); never INTERNAL, and nothing is half written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_from_two_processes_on_one_sqlite_file_wait_for_each_other() {
    let scratch = Scratch::new("two-writers");
    let instances = start_together(&scratch.sqlite_url(), 2);
    let addrs: Vec<SocketAddr> = instances.iter().map(|i| i.addr).collect();
    let mut tasks = Vec::new();
    for i in 0..100 {
        let addr = addrs[i % addrs.len()];
        tasks.push(tokio::spawn(async move {
            graphql(
                addr,
                "mutation($input: CompanyInput!) { createCompany(input: $input) { id } }",
                json!({ "input": { "name": format!("Process Co {i}"), "kind": "STARTUP" } }),
            )
            .await
        }));
    }
    let (mut created, mut unavailable) = (0, 0);
    for task in tasks {
        let body = task.await.expect("a request task panicked");
        match body["errors"].as_array() {
            None => created += 1,
            Some(errors) => {
                assert_eq!(
                    errors[0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
                    "{body}"
                );
                unavailable += 1;
            }
        }
    }
    eprintln!("{created} writes succeeded, {unavailable} were answered SERVICE_UNAVAILABLE");
    // Deferred transactions failed about half of these at once (their snapshot was stale
    // when they came to write); waiting at BEGIN IMMEDIATE, all of them normally succeed.
    assert!(created >= 90, "{unavailable} of 100 writes were refused");
    let rows = company_count(addrs[0], Some(r#"{ name: { startsWith: "Process Co " } }"#)).await;
    assert_eq!(rows, created);
    drop(instances);
}

/// A request's `traceparent` continues the caller's trace: its trace id is on the request's
/// log lines, and with `OTEL_EXPORTER_OTLP_ENDPOINT` set the request's span is exported, in
/// that trace, as a child of the caller's span, to an OTLP/HTTP collector (faked here).
/// Without a `traceparent`, a request still gets a trace id of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traceparent_is_continued_in_the_logs_and_exported_over_otlp() {
    type Received = Arc<Mutex<Vec<(String, Vec<u8>)>>>;
    let received: Received = Arc::default();
    let kept = received.clone();
    let collector =
        axum::Router::new().fallback(move |uri: axum::http::Uri, body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                if let Ok(mut kept) = kept.lock() {
                    kept.push((uri.path().to_string(), body.to_vec()));
                }
                axum::http::StatusCode::OK
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("collector port");
    let endpoint = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, collector).await });

    let scratch = Scratch::new("trace");
    let instance = listening(spawn_with(
        &scratch.sqlite_url(),
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("LOG_FORMAT", "json"),
        ],
    ));
    let (trace, parent) = ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7");
    let query = json!({ "query": "query Traced { companies { totalCount } }" });
    let (status, _) = http_with(
        instance.addr,
        "POST",
        "/graphql",
        Some(&query),
        &format!("traceparent: 00-{trace}-{parent}-01\r\nx-request-id: traced-1\r\n"),
    )
    .await;
    assert_eq!(status, 200);
    let untraced = json!({ "query": "query Untraced { companies { totalCount } }" });
    let (status, _) = http_with(instance.addr, "POST", "/graphql", Some(&untraced), "").await;
    assert_eq!(status, 200);

    let hex = |text: &str| -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
            .collect()
    };
    let contains =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    let mut exported = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let received = received.lock().expect("collector").clone();
        exported = received.iter().any(|(path, body)| {
            path == "/v1/traces" && contains(body, &hex(trace)) && contains(body, &hex(parent))
        });
        if exported {
            break;
        }
    }
    let output = instance.output.lock().expect("output").clone();
    assert!(
        exported,
        "no span of trace {trace} with parent {parent} reached the collector; server said:\n{output}"
    );
    // The access lines, as JSON: the caller's trace id on its request's line, and a trace
    // id of its own (32 hex digits, another) on the other's.
    let access: Vec<Value> = output
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["fields"]["message"] == "finished processing request")
        .collect();
    let traced = access
        .iter()
        .find(|l| l["span"]["operation"] == "Traced")
        .unwrap_or_else(|| panic!("no access line of Traced in:\n{output}"));
    assert_eq!(traced["span"]["trace_id"], trace);
    assert_eq!(traced["span"]["request_id"], "traced-1");
    let other = access
        .iter()
        .find(|l| l["span"]["operation"] == "Untraced")
        .unwrap_or_else(|| panic!("no access line of Untraced in:\n{output}"));
    let own = other["span"]["trace_id"].as_str().unwrap_or_default();
    assert!(own.len() == 32 && own != trace, "{other}");
    drop(instance);
}

/// The binary run to completion with `env`: its exit status and its output.
fn run_to_end(env: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_capex-graph"))
        .arg("migrate")
        .env_remove("DATABASE_READ_URLS")
        .env_remove("DATABASE_POOLER")
        .env_remove("DATABASE_DIRECT_URL")
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .output()
        .expect("run the binary");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status, text)
}

#[test]
fn a_pooler_is_refused_on_sqlite() {
    let (status, output) = run_to_end(&[
        ("DATABASE_URL", "sqlite::memory:"),
        ("DATABASE_POOLER", "transaction"),
    ]);
    assert!(!status.success(), "{output}");
    assert!(
        output.contains("DATABASE_POOLER=transaction needs a PostgreSQL DATABASE_URL"),
        "{output}"
    );
}

#[test]
fn read_replicas_are_refused_on_sqlite_and_when_they_are_not_postgres() {
    let (status, output) = run_to_end(&[
        ("DATABASE_URL", "sqlite::memory:"),
        (
            "DATABASE_READ_URLS",
            "postgres://postgres@127.0.0.1:1/replica",
        ),
    ]);
    assert!(!status.success(), "{output}");
    assert!(
        output.contains("DATABASE_READ_URLS needs a PostgreSQL DATABASE_URL"),
        "{output}"
    );
    let (status, output) = run_to_end(&[
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/primary"),
        (
            "DATABASE_READ_URLS",
            "postgres://postgres@127.0.0.1:1/replica,sqlite://replica.db",
        ),
    ]);
    assert!(!status.success(), "{output}");
    assert!(
        output.contains("\"sqlite://replica.db\" is not a PostgreSQL URL"),
        "{output}"
    );
}
