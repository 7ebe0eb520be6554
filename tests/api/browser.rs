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

#[tokio::test]
async fn the_playground_renders_graphiql_from_local_assets_in_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("REQUIRE_BROWSER").is_none(),
            "REQUIRE_BROWSER is set but chromium is missing"
        );
        eprintln!("chromium not installed: browser test skipped");
        return;
    };
    run(Engine::Sqlite, move |app: TestApp| async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = tokio::spawn(axum::serve(listener, app.router.clone()).into_future());
        let profile = std::env::temp_dir().join(format!("capex-chromium-{}", std::process::id()));
        let url = format!("http://{addr}/graphql");
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
        server.abort();
        let dom = String::from_utf8_lossy(&output.stdout);
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
