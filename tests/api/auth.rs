//! Write access: reads are public, mutations need a configured bearer token.

use capex_graph::auth::WriteAccess;
use serde_json::{Value, json};

use crate::helpers::{TestApp, WRITE_TOKEN};
use crate::on_both_engines;

on_both_engines!(
    reads_need_no_token,
    a_mutation_without_a_token_is_unauthenticated_and_writes_nothing,
    a_mutation_with_a_wrong_token_is_unauthenticated_and_writes_nothing,
    a_malformed_authorization_header_is_unauthenticated,
    a_mutation_with_a_configured_token_writes,
    any_of_several_configured_tokens_writes,
    without_a_configured_token_mutations_are_refused_with_how_to_enable_them,
    a_mutation_sent_with_get_is_refused_even_with_a_token,
    a_get_with_a_mutation_and_a_query_and_no_operation_name_runs_neither,
);

const IMPORT: &str =
    "mutation($data: DatasetDocument!) { importDataset(data: $data) { inserted matched } }";

fn newco() -> Value {
    json!({ "query": IMPORT, "variables": { "data": { "companies": [{ "name": "Newco", "kind": "STARTUP" }] } } })
}

async fn refused(app: &TestApp, token: Option<&str>, code: &str) -> Value {
    let before = app.snapshot().await;
    let (_, body) = app.post_as(token, newco()).await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], code, "{body}");
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(app.snapshot().await, before, "a refused write changed rows");
    error.clone()
}

async fn reads_need_no_token(app: TestApp) {
    let (_, body) = app
        .post_as(
            None,
            json!({ "query": "{ companyByName(name: \"Amazon\") { name } }" }),
        )
        .await;
    assert_eq!(
        body,
        json!({ "data": { "companyByName": { "name": "Amazon" } } })
    );
}

async fn a_mutation_without_a_token_is_unauthenticated_and_writes_nothing(app: TestApp) {
    let error = refused(&app, None, "UNAUTHENTICATED").await;
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("Bearer")),
        "{error}"
    );
}

async fn a_mutation_with_a_wrong_token_is_unauthenticated_and_writes_nothing(app: TestApp) {
    refused(&app, Some("not-the-test-write-token"), "UNAUTHENTICATED").await;
    // A prefix of the right token is as wrong as any other.
    refused(
        &app,
        Some(&WRITE_TOKEN[..WRITE_TOKEN.len() - 1]),
        "UNAUTHENTICATED",
    )
    .await;
}

async fn a_malformed_authorization_header_is_unauthenticated(app: TestApp) {
    use axum::body::Body;
    use axum::http::{Request, header};
    let before = app.snapshot().await;
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Basic {WRITE_TOKEN}"))
        .body(Body::from(newco().to_string()))
        .expect("request");
    let (_, body) = app.send(request).await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{body}"
    );
    assert_eq!(app.snapshot().await, before);
}

async fn a_mutation_with_a_configured_token_writes(app: TestApp) {
    let (_, body) = app.post_as(Some(WRITE_TOKEN), newco()).await;
    assert_eq!(
        body,
        json!({ "data": { "importDataset": { "inserted": 1, "matched": 0 } } })
    );
    let data = app
        .data("{ companyByName(name: \"Newco\") { kind } }")
        .await;
    assert_eq!(data, json!({ "companyByName": { "kind": "STARTUP" } }));
}

async fn any_of_several_configured_tokens_writes(app: TestApp) {
    let first = "first-writer-token-000000";
    let second = "second-writer-token-00000";
    let app = app.with_access(WriteAccess::with_tokens([first, second]).expect("tokens"));
    let (_, body) = app.post_as(Some(second), newco()).await;
    assert_eq!(body["data"]["importDataset"]["inserted"], 1, "{body}");
    let (_, body) = app.post_as(Some(first), newco()).await;
    assert_eq!(body["data"]["importDataset"]["matched"], 1, "{body}");
    refused(&app, Some(WRITE_TOKEN), "UNAUTHENTICATED").await;
}

async fn without_a_configured_token_mutations_are_refused_with_how_to_enable_them(app: TestApp) {
    let app = app.with_access(WriteAccess::disabled());
    for token in [None, Some(WRITE_TOKEN)] {
        let error = refused(&app, token, "FORBIDDEN").await;
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("WRITE_TOKENS=") && message.contains("WRITE_TOKENS_FILE="),
            "{message}"
        );
    }
    // Reads still work.
    let data = app
        .data("{ companyByName(name: \"Amazon\") { name } }")
        .await;
    assert_eq!(data["companyByName"]["name"], "Amazon");
}

async fn a_mutation_sent_with_get_is_refused_even_with_a_token(app: TestApp) {
    use axum::body::Body;
    use axum::http::{Request, header};
    let query = r#"mutation { importDataset(data: "{\"companies\":[{\"name\":\"Newco\",\"kind\":\"STARTUP\"}]}") { inserted } }"#;
    let encoded = crate::helpers::url_encode(query);
    let before = app.snapshot().await;
    let request = Request::get(format!("/graphql?query={encoded}"))
        .header(header::AUTHORIZATION, format!("Bearer {WRITE_TOKEN}"))
        .body(Body::empty())
        .expect("request");
    let (status, body) = app.send(request).await;
    // The GraphQL-over-HTTP answer: 405, before anything runs.
    assert_eq!(status, axum::http::StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "METHOD_NOT_ALLOWED",
        "{body}"
    );
    assert_eq!(app.snapshot().await, before);
}

/// A GET whose document holds several operations, without `operationName`: none runs
/// (async-graphql needs the name), so it is refused for the missing name (the code it has
/// over POST), not as a mutation, whatever its operations are, and nothing changes; with a
/// mutation's name, 405; with the query's, the query runs.
async fn a_get_with_a_mutation_and_a_query_and_no_operation_name_runs_neither(app: TestApp) {
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    const ADD: &str = r#"importDataset(data: "{\"companies\":[{\"name\":\"Newco\",\"kind\":\"STARTUP\"}]}") { inserted }"#;
    let mixed = format!("mutation Add {{ {ADD} }} query Count {{ companies {{ totalCount }} }}");
    let mutations = format!("mutation Add {{ {ADD} }} mutation Again {{ {ADD} }}");
    let before = app.snapshot().await;
    let get = |document: &str, name: Option<&str>| {
        let mut uri = format!("/graphql?query={}", crate::helpers::url_encode(document));
        if let Some(name) = name {
            uri.push_str(&format!("&operationName={name}"));
        }
        Request::get(uri)
            .header(header::AUTHORIZATION, format!("Bearer {WRITE_TOKEN}"))
            .header(header::ACCEPT, "application/graphql-response+json")
            .body(Body::empty())
            .expect("request")
    };
    for document in [&mixed, &mutations] {
        let (_, body) = app.send(get(document, None)).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
            "{document}: {body}"
        );
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("Operation name required"), "{body}");
    }
    let (status, body) = app.send(get(&mixed, Some("Add"))).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    let (status, body) = app.send(get(&mixed, Some("Count"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body["data"]["companies"]["totalCount"].is_number(),
        "{body}"
    );
    assert_eq!(app.snapshot().await, before, "a GET changed rows");
}
