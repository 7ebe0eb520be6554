use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use capex_graph::http::AppState;

use crate::helpers::TestApp;
use crate::on_both_engines;

on_both_engines!(
    health_answers_with_the_database_status,
    a_browser_get_shows_the_playground_with_only_local_assets,
    get_with_a_query_parameter_answers_graphql,
    a_malformed_body_gets_a_graphql_error_with_a_code,
    a_syntax_error_gets_a_parse_code,
    an_unknown_field_gets_a_validation_code,
    a_variable_of_the_wrong_type_is_bad_user_input,
    a_query_nested_too_deep_is_refused,
    a_real_port_serves_graphql,
    response_fields_follow_the_query_order,
    graphql_response_json_answers_400_without_data_for_requests_that_never_ran,
    malformed_request_parameters_are_400,
    answers_are_compressed_by_accept_encoding,
    a_preflight_allows_authorization_and_is_cached_for_a_day,
    a_request_id_is_kept_or_made_and_echoed,
    reads_over_get_carry_an_etag_and_revalidate_with_304,
    a_batch_is_answered_in_order_each_operation_under_the_limits,
    persisted_queries_are_asked_for_once_then_named_by_hash_over_post_and_get,
    trusted_documents_run_by_id_and_nothing_else_runs_in_trusted_only_mode,
    metrics_count_requests_operations_statements_pool_and_memory,
);

async fn health_answers_with_the_database_status(app: TestApp) {
    let (status, body) = app
        .send(Request::get("/health").body(Body::empty()).expect("req"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!({ "status": "ok", "database": "ok" }));
}

async fn a_browser_get_shows_the_playground_with_only_local_assets(app: TestApp) {
    assert!(
        capex_graph::playground::bundled(),
        "the build did not bundle GraphiQL (npm unavailable?)"
    );
    let request = Request::get("/graphql")
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .body(Body::empty())
        .expect("req");
    let (status, content_type, body) = app.send_raw(request).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with("text/html"), "{content_type}");
    let html = String::from_utf8(body).expect("utf-8");
    assert!(html.contains("/playground/graphiql.min."), "{html}");
    assert!(
        html.contains("investmentsMade") && html.contains("models"),
        "default query follows investor -> startup -> model"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//unpkg"),
        "the page loads something from elsewhere"
    );
    let assets: Vec<&str> = html
        .split(['"', '\''])
        .filter(|s| s.starts_with("/playground/"))
        .collect();
    assert_eq!(assets.len(), 5, "{assets:?}");
    for asset in assets {
        let (status, content_type, bytes) = app
            .send_raw(Request::get(asset).body(Body::empty()).expect("req"))
            .await;
        assert_eq!(status, StatusCode::OK, "{asset}");
        let smallest = if asset.contains("/init.") { 100 } else { 1000 };
        assert!(bytes.len() > smallest, "{asset} is {} bytes", bytes.len());
        let expected = if asset.ends_with(".css") {
            "text/css"
        } else {
            "text/javascript"
        };
        assert!(
            content_type.starts_with(expected),
            "{asset}: {content_type}"
        );
    }
    // The page links content-hashed names, cached for good.
    let response = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::get(assets_of(&html)[0].as_str())
            .body(Body::empty())
            .expect("req"),
    )
    .await
    .expect("answer");
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let (status, _, _) = app
        .send_raw(
            Request::get("/playground/../Cargo.toml")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    assert_ne!(status, StatusCode::OK);
}

/// The playground assets a page links.
fn assets_of(html: &str) -> Vec<String> {
    html.split(['"', '\''])
        .filter(|s| s.starts_with("/playground/"))
        .map(str::to_string)
        .collect()
}

async fn get_with_a_query_parameter_answers_graphql(app: TestApp) {
    let request =
        Request::get("/graphql?query=%7BcompanyByTicker(ticker%3A%22NVDA%22)%7Bname%7D%7D")
            .header(header::ACCEPT, "text/html,application/json")
            .body(Body::empty())
            .expect("req");
    let (status, body) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "data": { "companyByTicker": { "name": "Nvidia" } } })
    );
}

async fn a_malformed_body_gets_a_graphql_error_with_a_code(app: TestApp) {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{\"query\": "))
        .expect("req");
    let (status, body) = app.send(request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_REQUEST",
        "{body}"
    );
}

async fn a_syntax_error_gets_a_parse_code(app: TestApp) {
    let errors = app.errors(json!({ "query": "{ companies { name " })).await;
    assert_eq!(
        errors[0]["extensions"]["code"], "GRAPHQL_PARSE_FAILED",
        "{errors:?}"
    );
}

async fn an_unknown_field_gets_a_validation_code(app: TestApp) {
    let errors = app
        .errors(json!({ "query": "{ companies { revenue } }" }))
        .await;
    assert_eq!(
        errors[0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{errors:?}"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("revenue"))
    );
}

async fn a_variable_of_the_wrong_type_is_bad_user_input(app: TestApp) {
    let errors = app
        .errors(json!({ "query": "query($n: Int) { companies(first: $n) { totalCount } }", "variables": { "n": "seven" } }))
        .await;
    assert_eq!(
        errors[0]["extensions"]["code"], "BAD_USER_INPUT",
        "{errors:?}"
    );
}

async fn a_query_nested_too_deep_is_refused(app: TestApp) {
    let mut query = String::from("name");
    for _ in 0..20 {
        query = format!("parent {{ {query} }}");
    }
    let errors = app
        .errors(json!({ "query": format!("{{ companies {{ {query} }} }}") }))
        .await;
    assert_eq!(
        errors[0]["extensions"]["code"], "QUERY_TOO_DEEP",
        "{errors:?}"
    );
}

async fn a_real_port_serves_graphql(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(axum::serve(listener, app.router.clone()).into_future());
    let body =
        json!({ "query": "{ projectByName(name: \"Stargate\") { lead { name } } }" }).to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    server.abort();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains(r#"{"data":{"projectByName":{"lead":{"name":"OpenAI"}}}}"#),
        "{response}"
    );
}

async fn response_fields_follow_the_query_order(app: TestApp) {
    // Relations finish after scalars; the response must still list fields as asked.
    let query = r#"{ companyByName(name: "Amazon") { investmentsMade { nodes { investee { models { nodes { name } } name } } } citations { nodes { quote } } name models { nodes { name } } ticker } }"#;
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({ "query": query }).to_string()))
        .expect("req");
    let (status, _, bytes) = app.send_raw(request).await;
    assert_eq!(status, StatusCode::OK);
    let body = String::from_utf8(bytes).expect("utf-8");
    let at = |key: &str| {
        body.find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} missing in {body}"))
    };
    let order = [
        "investmentsMade",
        "citations",
        "\"name\":\"Amazon",
        "ticker",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|k| {
            if k.starts_with('"') {
                body.find(k).unwrap_or(usize::MAX)
            } else {
                at(k)
            }
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "fields out of query order: {body}"
    );
    assert!(
        at("models") < body.find("\"name\":\"Anthropic").unwrap_or(0),
        "{body}"
    );
}

/// POSTs `body` with `Accept: accept`; returns status, content type and JSON.
async fn post_accepting(app: &TestApp, accept: &str, body: &str) -> (StatusCode, String, Value) {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, accept)
        .body(Body::from(body.to_string()))
        .expect("request");
    let (status, content_type, bytes) = app.send_raw(request).await;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, content_type, json)
}

async fn graphql_response_json_answers_400_without_data_for_requests_that_never_ran(app: TestApp) {
    let graphql_json = "application/graphql-response+json";
    for query in [
        "{ companies { ",                                          // does not parse
        "{ companies { nope } }",                                  // does not validate
        "query($n: Int!) { companies(first: $n) { totalCount } }", // variable missing
    ] {
        let body = json!({ "query": query }).to_string();
        let (status, content_type, answer) = post_accepting(&app, graphql_json, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {answer}");
        assert!(content_type.starts_with(graphql_json), "{content_type}");
        assert!(answer.get("data").is_none(), "{answer}");
        assert!(answer["errors"][0]["extensions"]["code"].is_string());
        // The older media type keeps 200 for the same request, as its clients expect.
        let (status, content_type, answer) = post_accepting(&app, "application/json", &body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert!(
            content_type.starts_with("application/json"),
            "{content_type}"
        );
    }
    let body = json!({ "query": "{ companies { totalCount } }" }).to_string();
    let (status, content_type, answer) = post_accepting(&app, graphql_json, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type.starts_with(graphql_json));
    assert_eq!(answer["data"]["companies"]["totalCount"], 12);
    // Equal quality prefers the newer media type; a lower one does not.
    let (_, content_type, _) = post_accepting(
        &app,
        "application/json, application/graphql-response+json",
        &body,
    )
    .await;
    assert!(content_type.starts_with(graphql_json), "{content_type}");
    let (_, content_type, _) = post_accepting(
        &app,
        "application/json, application/graphql-response+json;q=0.5",
        &body,
    )
    .await;
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let (status, _, answer) = post_accepting(&app, "application/xml", &body).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(answer["errors"][0]["extensions"]["code"], "NOT_ACCEPTABLE");
}

async fn malformed_request_parameters_are_400(app: TestApp) {
    for body in [
        r#"{}"#,
        r#"{"query": 1}"#,
        r#"{"query": "{ companies { totalCount } }", "variables": "x"}"#,
        r#"{"query": "{ companies { totalCount } }", "operationName": 3}"#,
        r#"{"query": "{ companies { totalCount } }", "extensions": []}"#,
        r#""{ companies { totalCount } }""#,
    ] {
        let (status, _, answer) = post_accepting(&app, "application/json", body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

async fn answers_are_compressed_by_accept_encoding(app: TestApp) {
    let query = json!({ "query": "{ companies(first: 100) { nodes { id name ticker kind country description citations { nodes { quote source { title } } } } } sources { nodes { content } } }" }).to_string();
    let send = |encoding: Option<&'static str>| {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(encoding) = encoding {
            request = request.header(header::ACCEPT_ENCODING, encoding);
        }
        let request = request.body(Body::from(query.clone())).expect("request");
        let router = app.router.clone();
        async move {
            let response = tower::ServiceExt::oneshot(router, request)
                .await
                .expect("answer");
            let encoding = response
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap_or("").to_string());
            let vary = response
                .headers()
                .get(header::VARY)
                .map(|v| v.to_str().unwrap_or("").to_string());
            let bytes = http_body_util::BodyExt::collect(response.into_body())
                .await
                .expect("body")
                .to_bytes();
            (encoding, vary, bytes.len())
        }
    };
    let (encoding, _, plain) = send(None).await;
    assert_eq!(encoding, None);
    assert!(plain > 5_000, "{plain} bytes");
    for wanted in ["gzip", "br", "zstd"] {
        let (encoding, vary, size) = send(Some(wanted)).await;
        assert_eq!(encoding.as_deref(), Some(wanted));
        assert!(vary.is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")));
        assert!(size * 2 < plain, "{wanted}: {size} of {plain} bytes");
    }
    // Small answers are sent as they are.
    let small = json!({ "query": "{ companies { totalCount } }" }).to_string();
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_ENCODING, "gzip")
        .body(Body::from(small))
        .expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .expect("answer");
    assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
}

async fn a_preflight_allows_authorization_and_is_cached_for_a_day(app: TestApp) {
    let preflight = Request::builder()
        .method("OPTIONS")
        .uri("/graphql")
        .header(header::ORIGIN, "http://localhost:5173")
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(
            header::ACCESS_CONTROL_REQUEST_HEADERS,
            "authorization,content-type",
        )
        .body(Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), preflight)
        .await
        .expect("answer");
    assert!(response.status().is_success(), "{}", response.status());
    let headers = response.headers();
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
    let allowed = headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"));
    assert_eq!(headers[header::ACCESS_CONTROL_MAX_AGE], "86400");
    // Only the allowed origins, when the server names them.
    let strict = app.with_cors("https://app.example".parse().expect("origins"));
    for (origin, allowed) in [
        ("https://app.example", true),
        ("https://evil.example", false),
    ] {
        let request = Request::post("/graphql")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"query":"{ companies { totalCount } }"}"#))
            .expect("request");
        let response = tower::ServiceExt::oneshot(strict.router.clone(), request)
            .await
            .expect("answer");
        let echoed = response.headers().get(header::ACCESS_CONTROL_ALLOW_ORIGIN);
        assert_eq!(echoed.is_some_and(|o| o == origin), allowed, "{origin}");
    }
}

async fn a_request_id_is_kept_or_made_and_echoed(app: TestApp) {
    let send = |id: Option<&str>| {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        let request = request
            .body(Body::from(r#"{"query":"{ companies { totalCount } }"}"#))
            .expect("request");
        let router = app.router.clone();
        async move {
            let response = tower::ServiceExt::oneshot(router, request)
                .await
                .expect("answer");
            response
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        }
    };
    assert_eq!(send(Some("trace-42")).await.as_deref(), Some("trace-42"));
    let made = send(None).await.expect("an id is made");
    assert_eq!(made.len(), 36, "{made}");
    assert_ne!(send(None).await, Some(made));
    // An id too long or with spaces is replaced, never logged as it came.
    for unsafe_id in ["a b", &"x".repeat(200)] {
        let echoed = send(Some(unsafe_id)).await.expect("an id");
        assert_ne!(echoed, unsafe_id);
        assert_eq!(echoed.len(), 36);
    }
}

async fn reads_over_get_carry_an_etag_and_revalidate_with_304(app: TestApp) {
    let get = |if_none_match: Option<String>| {
        let mut request =
            Request::get("/graphql?query=%7B%20companies%20%7B%20totalCount%20%7D%20%7D");
        if let Some(tag) = if_none_match {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        let request = request.body(Body::empty()).expect("request");
        let router = app.router.clone();
        async move {
            let response = tower::ServiceExt::oneshot(router, request)
                .await
                .expect("answer");
            let status = response.status();
            let text = |v: Option<&header::HeaderValue>| {
                v.and_then(|v| v.to_str().ok()).map(str::to_string)
            };
            let etag = text(response.headers().get(header::ETAG));
            let cache = text(response.headers().get(header::CACHE_CONTROL));
            let bytes = http_body_util::BodyExt::collect(response.into_body())
                .await
                .expect("body")
                .to_bytes();
            (status, etag, cache, bytes.len())
        }
    };
    let (status, etag, cache, size) = get(None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(size > 0);
    let etag = etag.expect("an ETag");
    assert!(etag.starts_with('"') && !etag.starts_with("W/"), "{etag}");
    assert_eq!(cache.as_deref(), Some("no-cache"));
    let (status, again, _, size) = get(Some(etag.clone())).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(size, 0);
    assert_eq!(again.as_deref(), Some(etag.as_str()));
    // After a write the answer differs: a full answer with another tag.
    app.write(
        r#"mutation { createCompany(input: { name: "Etagco", kind: STARTUP }) { id } }"#,
        json!({}),
    )
    .await;
    let (status, changed, _, _) = get(Some(etag.clone())).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(changed, Some(etag));
    // Compressed, the same answer has a weak tag (a strong one must differ between
    // encodings), which revalidates too; a 304 varies as its 200 does.
    let gzip = |tag: Option<&str>| {
        let mut request = Request::get("/graphql?query=%7B%20companies%20%7B%20nodes%20%7B%20name%20description%20%7D%20%7D%20%7D")
            .header(header::ACCEPT_ENCODING, "gzip");
        if let Some(tag) = tag {
            request = request.header(header::IF_NONE_MATCH, tag);
        }
        let request = request.body(Body::empty()).expect("request");
        let router = app.router.clone();
        async move {
            tower::ServiceExt::oneshot(router, request)
                .await
                .expect("answer")
        }
    };
    let compressed = gzip(None).await;
    assert_eq!(compressed.headers()[header::CONTENT_ENCODING], "gzip");
    let weak = compressed.headers()[header::ETAG]
        .to_str()
        .expect("tag")
        .to_string();
    assert!(weak.starts_with("W/\""), "{weak}");
    let vary = |response: &axum::response::Response| -> String {
        response
            .headers()
            .get_all(header::VARY)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert!(
        vary(&compressed).contains("accept-encoding"),
        "{}",
        vary(&compressed)
    );
    let revalidated = gzip(Some(&weak)).await;
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    assert!(
        vary(&revalidated).contains("accept-encoding"),
        "{}",
        vary(&revalidated)
    );
    assert!(vary(&revalidated).contains("accept,") || vary(&revalidated).starts_with("accept"));
    // POST answers are not cached.
    let (status, _, bytes) = app
        .send_raw(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"query":"{ companies { totalCount } }"}"#))
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(!bytes.is_empty());
}

async fn a_batch_is_answered_in_order_each_operation_under_the_limits(app: TestApp) {
    let batch = json!([
        { "query": "{ companies { totalCount } }" },
        { "query": "query($n: String!) { companyByName(name: $n) { name } }", "variables": { "n": "Amazon" } },
        { "query": "{ companies(first: 100) { nodes { investmentsMade(first: 100) { nodes { investee { investmentsReceived(first: 100) { nodes { id } } } } } } } }" },
        { "query": "{ nope }" },
    ]);
    let (status, body) = app.post(batch).await;
    assert_eq!(status, StatusCode::OK);
    let answers = body
        .as_array()
        .unwrap_or_else(|| panic!("an array: {body}"));
    assert_eq!(answers.len(), 4);
    assert_eq!(answers[0]["data"]["companies"]["totalCount"], 12);
    assert_eq!(answers[1]["data"]["companyByName"]["name"], "Amazon");
    assert_eq!(
        answers[2]["errors"][0]["extensions"]["code"],
        "QUERY_TOO_COMPLEX"
    );
    assert_eq!(
        answers[3]["errors"][0]["extensions"]["code"],
        "GRAPHQL_VALIDATION_FAILED"
    );
    // At most 10 operations, at least one; every one well-formed.
    let eleven: Vec<Value> = (0..11)
        .map(|_| json!({ "query": "{ companies { totalCount } }" }))
        .collect();
    for bad in [json!(eleven), json!([]), json!([{ "query": 1 }])] {
        let (status, body) = app.post(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
    }
}

async fn persisted_queries_are_asked_for_once_then_named_by_hash_over_post_and_get(app: TestApp) {
    let query = "query Count { companies { totalCount } }";
    let hash = capex_graph::persisted::sha256_hex(query);
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
    // Unknown hash: the client is asked for the document.
    let (status, body) = app.post(json!({ "extensions": extensions })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");
    // Document and hash together: checked, run and kept.
    let (_, body) = app
        .post(json!({ "query": query, "extensions": extensions }))
        .await;
    assert_eq!(body["data"]["companies"]["totalCount"], 12);
    // Then the hash alone, over POST and over GET (which a CDN can cache by URL).
    let (_, body) = app.post(json!({ "extensions": extensions })).await;
    assert_eq!(body["data"]["companies"]["totalCount"], 12);
    let encoded = crate::helpers::url_encode(&extensions.to_string());
    let (status, body) = app
        .send(
            Request::get(format!("/graphql?extensions={encoded}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["companies"]["totalCount"], 12);
    // A document that does not hash to its hash is refused.
    let (status, body) = app
        .post(json!({ "query": "{ companies { nodes { name } } }", "extensions": extensions }))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_REQUEST");
}

/// The manifest graphql-codegen's client preset writes (`persisted-documents.json`).
fn codegen_manifest(documents: &[&str]) -> String {
    let map: serde_json::Map<String, Value> = documents
        .iter()
        .map(|d| (capex_graph::persisted::sha256_hex(d), json!(d)))
        .collect();
    Value::Object(map).to_string()
}

async fn trusted_documents_run_by_id_and_nothing_else_runs_in_trusted_only_mode(app: TestApp) {
    use capex_graph::persisted::{PersistedQueries, TrustedDocuments};
    let trusted = "query Count { companies { totalCount } }";
    let other = "{ companies(first: 1) { nodes { name } } }";
    let manifest = codegen_manifest(&[trusted]);
    let hash = capex_graph::persisted::sha256_hex(trusted);
    let only = app.with_state(|state| AppState {
        persisted: PersistedQueries::default()
            .with_trusted(TrustedDocuments::from_json(&manifest, true).expect("manifest")),
        ..state
    });
    let code = |body: &Value| body["errors"][0]["extensions"]["code"].clone();
    // By documentId over POST and GET, by its text, by its APQ hash.
    for body in [
        json!({ "documentId": format!("sha256:{hash}") }),
        json!({ "documentId": hash }),
        json!({ "query": trusted }),
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }),
    ] {
        let (status, answer) = only.post(body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}: {answer}");
        assert_eq!(answer["data"]["companies"]["totalCount"], 12, "{body}");
    }
    let (status, answer) = only
        .send(
            Request::get(format!("/graphql?documentId=sha256:{hash}"))
                .header(header::ACCEPT, "text/html, application/json")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["data"]["companies"]["totalCount"], 12);
    // Anything else is refused, over POST, GET and in a batch, and APQ registers nothing.
    let (status, answer) = only.post(json!({ "query": other })).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(code(&answer), "UNTRUSTED_DOCUMENT");
    let other_hash = capex_graph::persisted::sha256_hex(other);
    let apq = json!({ "persistedQuery": { "version": 1, "sha256Hash": other_hash } });
    let (status, answer) = only
        .post(json!({ "query": other, "extensions": apq }))
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::FORBIDDEN, json!("UNTRUSTED_DOCUMENT"))
    );
    let (_, answer) = only.post(json!({ "extensions": apq })).await;
    assert_eq!(code(&answer), "PERSISTED_QUERY_NOT_FOUND");
    let (status, answer) = only
        .send(
            Request::get(format!(
                "/graphql?query={}",
                crate::helpers::url_encode(other)
            ))
            .body(Body::empty())
            .expect("request"),
        )
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::FORBIDDEN, json!("UNTRUSTED_DOCUMENT"))
    );
    let batch = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!([{ "query": trusted }, { "query": other }]).to_string(),
        ))
        .expect("request");
    let (status, answer) = only.send(batch).await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::FORBIDDEN, json!("UNTRUSTED_DOCUMENT"))
    );
    // An unknown id is 400; a write token lets an operator run any document.
    let (status, answer) = only
        .post(json!({ "documentId": format!("sha256:{other_hash}") }))
        .await;
    assert_eq!(
        (status, code(&answer)),
        (
            StatusCode::BAD_REQUEST,
            json!("PERSISTED_DOCUMENT_NOT_FOUND")
        )
    );
    let (status, answer) = only
        .post_as(Some(crate::helpers::WRITE_TOKEN), json!({ "query": other }))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["data"]["companies"]["nodes"][0]["name"].is_string());
    let (status, answer) = only
        .post_as(Some("not-the-token-0123456789"), json!({ "query": other }))
        .await;
    assert_eq!(
        (status, code(&answer)),
        (StatusCode::FORBIDDEN, json!("UNTRUSTED_DOCUMENT"))
    );
    // Without `only`, the manifest names documents and anything else still runs.
    let open = app.with_state(|state| AppState {
        persisted: PersistedQueries::default()
            .with_trusted(TrustedDocuments::from_json(&manifest, false).expect("manifest")),
        ..state
    });
    let (_, answer) = open.post(json!({ "documentId": hash })).await;
    assert_eq!(answer["data"]["companies"]["totalCount"], 12);
    let (status, _) = open.post(json!({ "query": other })).await;
    assert_eq!(status, StatusCode::OK);
}

async fn scrape(app: &TestApp) -> (StatusCode, String) {
    let (status, content_type, body) = app
        .send_raw(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    if status == StatusCode::OK {
        assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    }
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// The value of the sample `name{labels}` in a Prometheus text, 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn metrics_count_requests_operations_statements_pool_and_memory(app: TestApp) {
    assert!(capex_graph::monitoring::install().is_some());
    // Tests run side by side in one process, sharing the recorder: this test's operation
    // has a name of its own, and shared series are compared before and after.
    let name = format!("MetricsProbe{:?}", app.engine);
    let (_, before) = scrape(&app).await;
    let statements = r#"db_statements_total{result="ok"}"#;
    let (status, _) = app
        .post(json!({ "query": format!("query {name} {{ companies {{ totalCount }} }}") }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _) = app
        .post(json!({ "query": format!("query {name} {{ nope }}") }))
        .await;
    let (status, after) = scrape(&app).await;
    assert_eq!(status, StatusCode::OK);
    let ok = format!(r#"graphql_operations_total{{operation="{name}",code="OK"}}"#);
    let failed = format!(
        r#"graphql_operations_total{{operation="{name}",code="GRAPHQL_VALIDATION_FAILED"}}"#
    );
    assert_eq!(sample(&after, &ok), 1.0, "{after}");
    assert_eq!(sample(&after, &failed), 1.0, "{after}");
    let count = format!(r#"graphql_operation_duration_seconds_count{{operation="{name}"}}"#);
    assert_eq!(sample(&after, &count), 2.0);
    assert!(
        sample(&after, statements) > sample(&before, statements),
        "{after}"
    );
    let posts = r#"http_requests_total{method="POST",route="/graphql",status="200"}"#;
    assert!(sample(&after, posts) >= sample(&before, posts) + 2.0);
    for series in [
        "db_statement_duration_seconds_count",
        "db_pool_max_connections",
        "process_resident_memory_bytes",
        "process_peak_resident_memory_bytes",
    ] {
        assert!(sample(&after, series) > 0.0, "{series} in {after}");
    }
    assert!(after.contains(r#"db_pool_connections{state="in_use"}"#));
    // The instance's subscribers and the bytes waiting for its WebSocket sockets (values
    // of whichever app scraped last: tests share the recorder).
    for series in ["live_subscribers", "websocket_queued_bytes"] {
        assert!(
            after.contains(&format!("\n{series} ")),
            "{series} in {after}"
        );
    }
    assert!(after.contains("# HELP graphql_operations_total"));
    // Turned off on the API's router, and served alone on another.
    let off = app.with_state(|state| AppState {
        http: capex_graph::http::HttpOptions {
            metrics: false,
            ..Default::default()
        },
        ..state
    });
    let (status, _) = scrape(&off).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let alone = capex_graph::http::metrics_router(app.db.clone(), app.live.clone());
    let response = tower::ServiceExt::oneshot(
        alone,
        Request::get("/metrics")
            .body(Body::empty())
            .expect("request"),
    )
    .await
    .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
}
