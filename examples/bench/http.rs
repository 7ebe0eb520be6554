//! The HTTP suite: query 2 of the relay suite (the nested one, the largest answer) as the
//! HTTP layer serves it.
//!
//! - **Compression**: the same POST asking for `identity`, `gzip`, `br` and `zstd` in
//!   `Accept-Encoding`, to the same server: what compressing the answer costs in throughput
//!   and latency, and what it saves in bytes.
//! - **Conditional GETs**: the query as an automatic persisted query (its hash alone in the
//!   URL, registered before), answered in full, and answered 304 Not Modified to a client
//!   that sends the answer's `ETag` in `If-None-Match`.
//!
//! Each variant is checked once before it is timed (status, `Content-Encoding`, `ETag`, the
//! same answer as the POST, an empty 304), and every answer of the load must have the
//! expected status. The variants run in `--rounds` rounds, one after the other, in reverse
//! order every other round; the table gives each figure's median over the rounds. Besides
//! rate and latency, the process's CPU time per request (server and client share the
//! process): on a shared machine it moves much less than the rate.

use std::fmt::Write as _;
use std::sync::Arc;

use serde_json::{Value, json};

use super::{Answer, Args, exchange, load, percentile};

/// One way of asking for query 2, and what its answer must be.
struct Variant {
    name: &'static str,
    /// The request's head; a POST's body follows.
    head: String,
    body: Vec<u8>,
    status: u16,
    /// The answer's `Content-Encoding`, if any.
    encoding: Option<&'static str>,
}

/// Runs the suite against the server at `addr`; returns its table.
pub async fn suite(addr: &str, engine: &str, args: &Args) -> String {
    let query = super::relay_query_2(addr).await;
    let post_body = json!({ "query": query }).to_string().into_bytes();
    let post = |name, encoding: &'static str| Variant {
        name,
        head: super::post_head(
            addr,
            &format!("Accept-Encoding: {encoding}\r\n"),
            post_body.len(),
        ),
        body: post_body.clone(),
        status: 200,
        encoding: (encoding != "identity").then_some(encoding),
    };

    // The persisted query: registered by a POST of the document with its hash, then named
    // by its hash alone in a GET's URL.
    let extensions = json!({ "persistedQuery": {
        "version": 1,
        "sha256Hash": capex_graph::persisted::sha256_hex(&query),
    } });
    let registered = super::post(
        addr,
        &json!({ "query": query, "extensions": extensions }).to_string(),
    )
    .await;
    assert_no_errors("registering the persisted query", registered.as_bytes());
    let target = format!(
        "/graphql?extensions={}",
        url_encode(&extensions.to_string())
    );
    let get = |encoding: &str, if_none_match: Option<&str>| {
        format!(
            "GET {target} HTTP/1.1\r\nHost: {addr}\r\nAccept-Encoding: {encoding}\r\n{}\r\n",
            if_none_match.map_or(String::new(), |tag| format!("If-None-Match: {tag}\r\n"))
        )
    };
    let first = exchange(addr, get("identity", None).as_bytes(), &[])
        .await
        .expect("the persisted GET");
    assert_eq!(first.status, 200, "the persisted GET: {}", first.text());
    let etag = first
        .header("etag")
        .unwrap_or_else(|| panic!("the persisted GET has no ETag: {}", first.head))
        .to_string();

    let variants = vec![
        post("POST, identity", "identity"),
        post("POST, gzip", "gzip"),
        post("POST, br", "br"),
        post("POST, zstd", "zstd"),
        Variant {
            name: "GET by hash, identity",
            head: get("identity", None),
            body: Vec::new(),
            status: 200,
            encoding: None,
        },
        Variant {
            name: "GET by hash, gzip",
            head: get("gzip", None),
            body: Vec::new(),
            status: 200,
            encoding: Some("gzip"),
        },
        Variant {
            name: "GET by hash, gzip, If-None-Match",
            head: get("gzip", Some(etag.as_str())),
            body: Vec::new(),
            status: 304,
            encoding: None,
        },
    ];

    // Each variant once, checked; the uncompressed POST's body is the reference.
    let mut checked: Vec<Answer> = Vec::new();
    for variant in &variants {
        let answer = exchange(addr, variant.head.as_bytes(), &variant.body)
            .await
            .unwrap_or_else(|e| panic!("{}: no answer: {e}", variant.name));
        check(variant, &answer, checked.first(), &etag);
        checked.push(answer);
    }

    let variants: Vec<Arc<Variant>> = variants.into_iter().map(Arc::new).collect();
    // Per variant, one entry per round.
    let mut rounds: Vec<Vec<Round>> = (0..variants.len()).map(|_| Vec::new()).collect();
    // The load sends a warm-up request per connection before it starts the clock.
    let calls = (args.requests + args.concurrency.min(args.requests)) as f64;
    for round in 0..args.rounds {
        let mut order: Vec<usize> = (0..variants.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (addr, variant) = (addr.to_string(), variants[i].clone());
            let cpu_before = cpu_seconds();
            let run = load(args, move |_| {
                let (addr, variant) = (addr.clone(), variant.clone());
                async move {
                    let answer = exchange(&addr, variant.head.as_bytes(), &variant.body)
                        .await
                        .unwrap_or_else(|e| panic!("{}: no answer: {e}", variant.name));
                    assert_eq!(answer.status, variant.status, "{}", variant.name);
                }
            })
            .await;
            let cpu = cpu_before.zip(cpu_seconds()).map(|(a, b)| (b - a) / calls);
            rounds[i].push(Round {
                rate: run.throughput,
                p50: run.percentile(0.5),
                p99: run.percentile(0.99),
                cpu: cpu.unwrap_or(f64::NAN),
            });
        }
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n## {engine}: query 2 over HTTP, {} requests per variant and round from {} connections, median of {} round(s)\n\n\
         | engine | request | answer | body B | answer B on the wire | req/s | req/s min-max | p50 ms | p99 ms | CPU ms/req | req/s / POST identity |\n\
         |---|---|---|---|---|---|---|---|---|---|---|",
        args.requests, args.concurrency, args.rounds
    );
    let median = |runs: &[Round], figure: fn(&Round) -> f64| {
        percentile(&runs.iter().map(figure).collect::<Vec<_>>(), 0.5)
    };
    let reference_bytes = checked[0].body.len() as f64;
    let reference_rate = median(&rounds[0], |r| r.rate);
    for ((variant, answer), runs) in variants.iter().zip(&checked).zip(&rounds) {
        let rates: Vec<f64> = runs.iter().map(|r| r.rate).collect();
        let rate = median(runs, |r| r.rate);
        let _ = writeln!(
            out,
            "| {engine} | {} | {} {} | {} ({:.0}%) | {} | {:.0} | {:.0}-{:.0} | {:.2} | {:.2} | {:.2} | {:.2}x |",
            variant.name,
            answer.status,
            variant.encoding.unwrap_or(if answer.status == 304 {
                "empty"
            } else {
                "identity"
            }),
            answer.body.len(),
            answer.body.len() as f64 / reference_bytes * 100.0,
            answer.wire,
            rate,
            percentile(&rates, 0.0),
            percentile(&rates, 1.0),
            median(runs, |r| r.p50) * 1e3,
            median(runs, |r| r.p99) * 1e3,
            median(runs, |r| r.cpu) * 1e3,
            rate / reference_rate
        );
    }
    out
}

/// One variant's figures in one round.
struct Round {
    /// Requests per second.
    rate: f64,
    /// Latencies, in seconds.
    p50: f64,
    p99: f64,
    /// CPU time of the process (server, client, and SQLite; not PostgreSQL's own processes)
    /// per request, in seconds: unlike the rate, hardly moved by other work on the machine.
    cpu: f64,
}

/// The CPU time the process has used so far (user and system, all threads), in seconds,
/// from `/proc/self/stat` (in clock ticks of 1/100 s, Linux's `USER_HZ`).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name, in parentheses: state, then utime and stime as the 12th and
    // 13th fields.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Checks one answer of `variant`: its status and encoding; the uncompressed answers are the
/// `reference`'s bytes, the compressed ones smaller; a GET carries `etag`, a 304 no body.
fn check(variant: &Variant, answer: &Answer, reference: Option<&Answer>, etag: &str) {
    let name = variant.name;
    assert_eq!(
        answer.status,
        variant.status,
        "{name}: {}\n{}",
        answer.head,
        answer.text()
    );
    assert_eq!(
        answer.header("content-encoding"),
        variant.encoding,
        "{name}: {}",
        answer.head
    );
    if variant.head.starts_with("GET") {
        // A compressed answer's tag is the weak form of the uncompressed one's.
        let expected = match variant.encoding {
            Some(_) => format!("W/{etag}"),
            None => etag.to_string(),
        };
        assert_eq!(
            answer.header("etag"),
            Some(expected.as_str()),
            "{name}: {}",
            answer.head
        );
    }
    if answer.status == 304 {
        assert!(answer.body.is_empty(), "{name}: a 304 with a body");
        return;
    }
    match (variant.encoding, reference) {
        (None, None) => assert_no_errors(name, &answer.body),
        (None, Some(reference)) => assert!(
            answer.body == reference.body,
            "{name}: not the POST's answer"
        ),
        (Some(_), Some(reference)) => assert!(
            !answer.body.is_empty() && answer.body.len() < reference.body.len(),
            "{name}: {} bytes compressed, {} plain",
            answer.body.len(),
            reference.body.len()
        ),
        (Some(_), None) => unreachable!("the first variant is uncompressed"),
    }
}

pub(super) fn assert_no_errors(name: &str, body: &[u8]) {
    let answer: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {}", String::from_utf8_lossy(body)));
    assert!(
        answer.get("errors").is_none() && answer["data"].is_object(),
        "{name}: {answer}"
    );
}

/// Percent-encodes all but letters and digits, for a URL's query string.
fn url_encode(text: &str) -> String {
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
