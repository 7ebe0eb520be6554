//! The database going away and coming back: requests are answered quickly with
//! SERVICE_UNAVAILABLE, `/health` says 503 within a second, and the service recovers by
//! itself. PostgreSQL only, reached through a proxy that the test cuts.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::{
    Engine, TestApp, drop_postgres_database, fresh_postgres_database, with_database,
};

/// What the proxy does with connections.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    /// Passes bytes both ways.
    Open,
    /// Closes every connection and refuses new ones (the server is down).
    Refuse,
    /// Closes every connection; new ones are accepted and never answered (the network
    /// drops packets): only a timeout ends a wait.
    Hang,
}

/// A TCP proxy to PostgreSQL that can be cut.
struct Proxy {
    addr: SocketAddr,
    mode: watch::Sender<Mode>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (mode, _) = watch::channel(Mode::Open);
        let state = mode.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut mode = state.subscribe();
                let now = *mode.borrow();
                match now {
                    Mode::Refuse => drop(client),
                    Mode::Hang => {
                        tokio::spawn(async move {
                            let _ = mode.wait_for(|m| *m != Mode::Hang).await;
                            drop(client);
                        });
                    }
                    Mode::Open => {
                        tokio::spawn(async move {
                            let Ok(mut server) = TcpStream::connect(upstream).await else {
                                return;
                            };
                            tokio::select! {
                                _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                                _ = mode.wait_for(|m| *m != Mode::Open) => {}
                            }
                        });
                    }
                }
            }
        });
        Proxy { addr, mode, task }
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `url` pointed at `addr` instead of its host and port.
fn through(url: &str, addr: SocketAddr) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let host_start = rest.find('@').map_or(0, |i| i + 1);
    let host_end = rest[host_start..]
        .find(['/', '?'])
        .map_or(rest.len(), |i| host_start + i);
    format!(
        "{}{}{addr}{}",
        &url[..start],
        &rest[..host_start],
        &rest[host_end..]
    )
}

/// The address `url` names (`host:port`, port 5432 by default).
fn upstream_of(url: &str) -> SocketAddr {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let rest = &rest[rest.find('@').map_or(0, |i| i + 1)..];
    let host = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let host = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    };
    let host = host.replace("localhost", "127.0.0.1");
    host.parse().expect("TEST_DATABASE_URL names host:port")
}

const QUERY: &str = "{ companies(first: 1) { totalCount } }";

async fn query(app: &TestApp) -> Value {
    app.post(json!({ "query": QUERY })).await.1
}

async fn health(app: &TestApp) -> StatusCode {
    app.send(
        Request::get("/health")
            .body(Body::empty())
            .expect("request"),
    )
    .await
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_is_answered_quickly_as_unavailable_and_recovers_without_restart() {
    let Some(admin_url) = crate::helpers::postgres_admin_url() else {
        return;
    };
    let (_, name) = fresh_postgres_database(&admin_url).await;
    let proxy = Proxy::start(upstream_of(&admin_url)).await;
    let url = through(&with_database(&admin_url, &name), proxy.addr);
    let app = TestApp::start_with(Engine::Postgres, &url, Duration::from_secs(2)).await;
    let outcome = tokio::spawn(async move {
        let body = query(&app).await;
        assert!(body.get("errors").is_none(), "before the outage: {body}");
        assert_eq!(health(&app).await, StatusCode::OK);

        for outage in [Mode::Refuse, Mode::Hang] {
            proxy.set(outage);
            let started = Instant::now();
            let body = query(&app).await;
            let took = started.elapsed();
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "SERVICE_UNAVAILABLE",
                "{outage:?}: {body}"
            );
            let message = body["errors"][0]["message"].as_str().unwrap_or("");
            assert!(message.contains("retry"), "{body}");
            // The pool's wait is 2 s here: the request ends then, whatever the network does.
            assert!(
                took < Duration::from_secs(5),
                "{outage:?}: answered after {took:?}"
            );

            let started = Instant::now();
            assert_eq!(health(&app).await, StatusCode::SERVICE_UNAVAILABLE);
            let took = started.elapsed();
            assert!(
                took < Duration::from_millis(1500),
                "{outage:?}: /health took {took:?}"
            );

            proxy.set(Mode::Open);
            // The pool reconnects by itself: within a few tries, without a restart.
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let body = query(&app).await;
                if body.get("errors").is_none() {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "{outage:?}: not recovered: {body}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            assert_eq!(health(&app).await, StatusCode::OK);
        }
        let _ = app.db.close().await;
    })
    .await;
    drop_postgres_database(&admin_url, &name).await;
    if let Err(err) = outcome {
        std::panic::resume_unwind(err.into_panic());
    }
}

#[test]
fn urls_are_pointed_through_the_proxy() {
    let addr: SocketAddr = "127.0.0.1:4000".parse().expect("addr");
    assert_eq!(
        through("postgres://postgres@127.0.0.1:5432/x", addr),
        "postgres://postgres@127.0.0.1:4000/x"
    );
    assert_eq!(
        through("postgres://u:p@db/x?sslmode=disable", addr),
        "postgres://u:p@127.0.0.1:4000/x?sslmode=disable"
    );
    assert_eq!(
        upstream_of("postgres://postgres@127.0.0.1:5432/postgres"),
        "127.0.0.1:5432".parse().expect("addr")
    );
}
