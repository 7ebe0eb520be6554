//! The playground in a real browser with no network but this server: headless Chromium
//! loads GET /graphql and must render GraphiQL with the default query.
//!
//! Needs Debian's `chromium` (`CHROMIUM` names another binary). Without one the test is
//! skipped, unless `REQUIRE_BROWSER` is set, as CI does: then a missing browser fails.

use std::process::Command;

use crate::helpers::{Engine, TestApp, run};

fn chromium() -> Option<String> {
    let candidates = [
        std::env::var("CHROMIUM").ok(),
        Some("/usr/bin/chromium".into()),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|path| std::path::Path::new(path).exists())
}

/// The browser, or `None` (the test is skipped) when it is missing and not required.
fn browser() -> Option<String> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("REQUIRE_BROWSER").is_none(),
            "REQUIRE_BROWSER is set but chromium is missing"
        );
        eprintln!("chromium not installed: browser test skipped");
    }
    found
}

/// The DOM of `url` after its scripts ran, as headless Chromium renders it.
async fn dump_dom(browser: String, url: String) -> String {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let profile = std::env::temp_dir().join(format!(
        "capex-chromium-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=10000",
                "--dump-dom",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .output()
    })
    .await
    .expect("join")
    .expect("run chromium");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Serves `router` on a free port of 127.0.0.1; returns its address and the server task.
async fn serve(router: axum::Router) -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (addr, server)
}

#[tokio::test]
async fn the_playground_renders_graphiql_from_local_assets_in_chromium() {
    let Some(browser) = browser() else {
        return;
    };
    run(Engine::Sqlite, move |app: TestApp| async move {
        let (addr, server) = serve(app.router.clone()).await;
        let url = format!("http://{addr}/graphql");
        let dom = dump_dom(browser, url).await;
        server.abort();
        assert!(
            dom.contains("graphiql-container"),
            "GraphiQL did not render:\n{dom}"
        );
        assert!(
            dom.contains("InvestorStartupModels"),
            "the default query is not in the editor:\n{dom}"
        );
        assert!(!dom.contains("not bundled"));
    })
    .await;
}

/// A page on another origin that calls the API with `fetch` (a JSON POST with a bearer
/// token: the browser sends a preflight first) and writes what it got into the page.
fn calling_page(api: std::net::SocketAddr) -> String {
    format!(
        r#"<!doctype html><html><body><pre id="out">waiting</pre><script>
fetch('http://{api}/graphql', {{
  method: 'POST',
  headers: {{ 'Content-Type': 'application/json', 'Authorization': 'Bearer not-a-token' }},
  body: JSON.stringify({{ query: '{{ companies {{ totalCount }} }}' }})
}}).then(r => r.json())
  .then(j => {{ document.getElementById('out').textContent = 'answer:' + JSON.stringify(j); }})
  .catch(e => {{ document.getElementById('out').textContent = 'blocked:' + e; }});
</script></body></html>"#
    )
}

#[tokio::test]
async fn a_page_on_another_origin_reads_the_api_only_when_its_origin_is_allowed() {
    let Some(browser) = browser() else {
        return;
    };
    run(Engine::Sqlite, move |app: TestApp| async move {
        use capex_graph::http::Cors;
        // One page server for every round; the page it serves names the round's API.
        let html = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let shown = html.clone();
        let page = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                let html = shown.lock().map(|h| h.clone()).unwrap_or_default();
                async move { axum::response::Html(html) }
            }),
        );
        let (page_addr, page_server) = serve(page).await;
        let page_origin = format!("http://{page_addr}");
        for (cors, allowed) in [
            (Cors::AnyOrigin, true),
            (Cors::Origins(vec![page_origin.clone()]), true),
            (
                Cors::Origins(vec!["https://elsewhere.example".into()]),
                false,
            ),
            (Cors::Off, false),
        ] {
            let (api, api_server) = serve(app.with_cors(cors.clone()).router).await;
            if let Ok(mut current) = html.lock() {
                *current = calling_page(api);
            }
            let dom = dump_dom(browser.clone(), format!("{page_origin}/")).await;
            api_server.abort();
            if allowed {
                assert!(
                    dom.contains(r#"answer:{"data":{"companies":{"totalCount":12}}}"#),
                    "{cors:?}: {dom}"
                );
            } else {
                assert!(dom.contains("blocked:"), "{cors:?}: {dom}");
            }
        }
        page_server.abort();
    })
    .await;
}
