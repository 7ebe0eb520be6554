//! The GraphiQL playground, served entirely by this server: its scripts and styles come
//! from the npm registry at build time (see `build.rs`), never from a CDN, so it works on a
//! machine without internet access.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

macro_rules! asset {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/playground/", $name))
    };
}

/// (file name, content type, bytes) of every asset.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        asset!("graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        asset!("graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        asset!("react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        asset!("react-dom.production.min.js"),
    ),
];

/// Whether the build bundled the assets (it needs npm and its registry).
pub fn bundled() -> bool {
    cfg!(playground_bundled)
}

/// The query the playground opens with: investor -> startup -> model.
pub const DEFAULT_QUERY: &str = r#"# The domain: Company, Person, AiModel, Investment, Project (with its
# ProjectBackers), SpendingFigure, Claim (with its ClaimChallenges), Event, Source and
# Citation; each is a Node with a global id and the citations of its facts. The Docs
# panel lists them under Query, with a lookup and a list for each.
#
# Follow the money: investor -> startup -> its models, with sources.
query InvestorStartupModels {
  companyByName(name: "Amazon") {
    name
    ticker
    investmentsMade(first: 10) {
      totalCount
      nodes {
        amount { amount currency }
        description
        investee {
          name
          kind
          foundedByAlumniOf { name }
          models(first: 5) { nodes { name kind } }
          investmentsReceived { nodes { investor { name } } }
        }
        citations { nodes { quote source { title } } }
      }
    }
    models { nodes { name kind expected { text precision } } }
  }
}
"#;

/// The script that starts GraphiQL: a file of its own, so that the page's Content Security
/// Policy allows scripts from this server only, never inline ones.
const INIT_JS: &str = r#"const fetcher = GraphiQL.createFetcher({ url: '/graphql' });
const defaultQuery = JSON.parse(document.getElementById('default-query').textContent);
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultQuery, defaultEditorToolsVisibility: true })
);
"#;

/// Security headers of the playground page: scripts, styles, fonts and requests from this
/// server only (GraphiQL sets inline styles), no framing, no referrer, no sniffing.
pub const PAGE_HEADERS: [(&str, &str); 4] = [
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("x-frame-options", "DENY"),
];

/// The playground page.
pub fn page() -> Html<String> {
    if !bundled() {
        return Html(
            "<!doctype html><title>capex-graph</title><h1>GraphiQL is not bundled</h1>\
             <p>This binary was built without npm access, so the playground assets are missing. \
             POST GraphQL queries to <code>/graphql</code>, or rebuild with npm available.</p>"
                .to_string(),
        );
    }
    // JSON inside a data block: `<` is escaped so that no text can close the element.
    let query = serde_json::to_string(DEFAULT_QUERY)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('<', "\\u003c");
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>capex-graph playground</title>
  <link rel="stylesheet" href="{css}">
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading the playground…</div>
  <script type="application/json" id="default-query">{query}</script>
  <script src="{react}"></script>
  <script src="{react_dom}"></script>
  <script src="{graphiql}"></script>
  <script src="{init}"></script>
</body>
</html>"#,
        css = path_of("graphiql.min.css"),
        react = path_of("react.production.min.js"),
        react_dom = path_of("react-dom.production.min.js"),
        graphiql = path_of("graphiql.min.js"),
        init = path_of("init.js"),
    ))
}

/// An asset under its name and under a content-hashed name: `graphiql.min.<hash>.js`.
struct Asset {
    name: &'static str,
    hashed: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

/// Every asset, the init script included, with its content-hashed name.
fn assets() -> &'static [Asset] {
    static ALL: std::sync::OnceLock<Vec<Asset>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let init: (&'static str, &'static str, &'static [u8]) = (
            "init.js",
            "text/javascript; charset=utf-8",
            INIT_JS.as_bytes(),
        );
        ASSETS
            .iter()
            .copied()
            .chain(std::iter::once(init))
            .map(|(name, content_type, bytes)| {
                let hash = crate::persisted::sha256_hex_bytes(bytes);
                let hashed = match name.rsplit_once('.') {
                    Some((stem, extension)) => format!("{stem}.{}.{extension}", &hash[..16]),
                    None => format!("{name}.{}", &hash[..16]),
                };
                Asset {
                    name,
                    hashed,
                    content_type,
                    bytes,
                }
            })
            .collect()
    })
}

/// The path the page uses for an asset: its content-hashed name, cached for good.
fn path_of(name: &str) -> String {
    let hashed = assets()
        .iter()
        .find(|a| a.name == name)
        .map_or(name, |a| a.hashed.as_str());
    format!("/playground/{hashed}")
}

/// Serves one playground asset: under its content-hashed name (as the page links it) with
/// immutable caching for a year; under its plain name with caching for a day.
pub async fn asset(Path(file): Path<String>) -> Response {
    let found = assets().iter().find_map(|a| {
        if a.hashed == file {
            Some((a, "public, max-age=31536000, immutable"))
        } else if a.name == file {
            Some((a, "public, max-age=86400"))
        } else {
            None
        }
    });
    match found {
        Some((asset, cache)) if !asset.bytes.is_empty() => (
            [
                (header::CONTENT_TYPE, asset.content_type),
                (header::CACHE_CONTROL, cache),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            asset.bytes,
        )
            .into_response(),
        _ => crate::http::error_response(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no such playground asset",
        ),
    }
}
