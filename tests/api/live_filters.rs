//! Per-type subscriptions with a filter (`Subscription.companies(filter:)`), over real
//! WebSocket connections: rows that match after the write, LEFT for an updated row that
//! does not match now, nothing for a rolled-back write, and one shared statement per
//! change for identical subscribers.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::live::{CREATE_COMPANY, Client, Protocol, create_company, listening, serve, until};
use crate::on_both_engines;

on_both_engines!(
    a_filtered_subscription_sends_matching_rows_and_left,
    a_rolled_back_write_sends_nothing_to_a_filtered_subscription,
    identical_filtered_subscribers_share_one_statement_per_change,
    filtered_subscriptions_count_against_the_connection_limit,
);

const LIVE_COMPANIES: &str = "subscription { companies(filter: { name: { startsWith: \"Live\" } }) { kind id count node { name } } }";

const UPDATE_COMPANY: &str =
    "mutation($id: ID!, $input: CompanyInput!) { updateCompany(id: $id, input: $input) { id } }";

/// Waits until `n` subscribers follow shared computations (a live aggregate's), or shared
/// executions (identical filtered subscriptions share one, whose computation then has one
/// subscriber).
pub(crate) async fn shared_subscribers(app: &TestApp, n: usize) {
    let hub = app.live.hub().clone();
    let streams = app.live.streams().clone();
    until(
        move || hub.subscribers() >= n || streams.counted() >= n,
        "the subscriptions run in time",
    )
    .await;
}

/// Waits until no shared computation is left.
pub(crate) async fn no_computations(app: &TestApp) {
    let hub = app.live.hub().clone();
    until(
        move || hub.computations() == 0,
        "the computations end in time",
    )
    .await;
}

/// The payloads of the next `n` results of `client`, whichever subscriptions they are for
/// (a connection's subscriptions send in no set order).
pub(crate) async fn results(client: &mut Client, n: usize) -> Vec<Value> {
    let mut payloads = Vec::with_capacity(n);
    while payloads.len() < n {
        let message = client.receive().await.expect("a result, not a close");
        assert_ne!(message["type"], "error", "{message}");
        if message["type"] == "next" {
            payloads.push(message["payload"].clone());
        }
    }
    payloads
}

async fn rename(app: &TestApp, id: &str, name: &str) {
    app.write(
        UPDATE_COMPANY,
        json!({ "id": id, "input": { "name": name, "kind": "STARTUP" } }),
    )
    .await;
}

fn event(payload: &Value) -> Value {
    payload["data"]["companies"].clone()
}

async fn a_filtered_subscription_sends_matching_rows_and_left(app: TestApp) {
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client.subscribe("1", LIVE_COMPANIES).await;
    shared_subscribers(&app, 1).await;
    // Not matching: nothing. Events leave in commit order, so the next one proves it.
    let other = create_company(&app, "Other Co").await;
    let id = create_company(&app, "Live Alpha").await;
    assert_eq!(
        event(&client.next("1").await),
        json!({ "kind": "CREATED", "id": id, "count": null, "node": { "name": "Live Alpha" } })
    );
    rename(&app, &id, "Live Beta").await;
    assert_eq!(
        event(&client.next("1").await),
        json!({ "kind": "UPDATED", "id": id, "count": null, "node": { "name": "Live Beta" } })
    );
    rename(&app, &id, "Gone Gamma").await;
    assert_eq!(
        event(&client.next("1").await),
        json!({ "kind": "LEFT", "id": id, "count": null, "node": null })
    );
    // An updated row that matches now comes back as UPDATED.
    rename(&app, &other, "Live Other").await;
    assert_eq!(
        event(&client.next("1").await),
        json!({ "kind": "UPDATED", "id": other, "count": null, "node": { "name": "Live Other" } })
    );
    app.write(
        "mutation($id: ID!) { deleteCompany(id: $id) { id } }",
        json!({ "id": other }),
    )
    .await;
    assert_eq!(
        event(&client.next("1").await),
        json!({ "kind": "DELETED", "id": other, "count": null, "node": null })
    );
    // A batch: one BULK with its count.
    app.write(
        "mutation($inputs: [CompanyInput!]!) { createCompanies(inputs: $inputs) { id } }",
        json!({ "inputs": [
            { "name": "Live One", "kind": "STARTUP" },
            { "name": "Live Two", "kind": "STARTUP" }
        ] }),
    )
    .await;
    assert_eq!(
        event(&client.next("1").await),
        json!({ "kind": "BULK", "id": null, "count": 2, "node": null })
    );
}

async fn a_rolled_back_write_sends_nothing_to_a_filtered_subscription(app: TestApp) {
    let _listening = listening(&app).await;
    let mut client = Client::ready(app.router.clone(), Protocol::TransportWs).await;
    client.subscribe("1", LIVE_COMPANIES).await;
    shared_subscribers(&app, 1).await;
    // A batch whose second row is refused: the first row was written, then rolled back.
    let error = app
        .write_error(
            "mutation($inputs: [CompanyInput!]!) { createCompanies(inputs: $inputs) { id } }",
            json!({ "inputs": [
                { "name": "Live Rolled Back", "kind": "STARTUP" },
                { "name": "", "kind": "STARTUP" }
            ] }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    let (_, body) = app
        .post_as(
            None,
            json!({ "query": CREATE_COMPANY, "variables": { "input": { "name": "Live Anon", "kind": "STARTUP" } } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    create_company(&app, "Live Committed").await;
    let payload = client.next("1").await;
    assert_eq!(event(&payload)["kind"], "CREATED", "{payload}");
    assert_eq!(
        event(&payload)["node"]["name"],
        "Live Committed",
        "{payload}"
    );
}

/// 1 and then 30 subscribers (over 3 connections) with the same filter cost the same
/// statements per change: the write's own and one shared read of the matching rows.
async fn identical_filtered_subscribers_share_one_statement_per_change(app: TestApp) {
    let _listening = listening(&app).await;
    let addr = serve(app.router.clone()).await;
    let mut statements = Vec::new();
    for (round, (connections, each)) in [(1usize, 1usize), (3, 10)].into_iter().enumerate() {
        let mut clients = Vec::new();
        for _ in 0..connections {
            let mut client = Client::connect(addr, Protocol::TransportWs).await;
            client.init(json!({})).await;
            for i in 0..each {
                client.subscribe(&i.to_string(), LIVE_COMPANIES).await;
            }
            clients.push(client);
        }
        shared_subscribers(&app, connections * each).await;
        assert_eq!(app.live.hub().computations(), 1);
        app.take_statement_count();
        let name = format!("Live Shared {round}");
        create_company(&app, &name).await;
        for client in &mut clients {
            for payload in results(client, each).await {
                assert_eq!(event(&payload)["node"]["name"], name.as_str(), "{payload}");
            }
        }
        statements.push(app.take_statement_count());
        drop(clients);
        no_computations(&app).await;
    }
    assert_eq!(statements[0], statements[1], "{statements:?}");
}

async fn filtered_subscriptions_count_against_the_connection_limit(app: TestApp) {
    let router = crate::live::with_live_options(
        &app,
        capex_graph::http::LiveOptions {
            max_subscriptions: 2,
            ..Default::default()
        },
    );
    let mut client = Client::ready(router, Protocol::TransportWs).await;
    client.subscribe("1", LIVE_COMPANIES).await;
    client
        .subscribe("2", "subscription { companiesAggregate { count } }")
        .await;
    client.next("2").await;
    client.subscribe("3", LIVE_COMPANIES).await;
    assert_eq!(client.refused("3").await, "TOO_MANY_SUBSCRIPTIONS");
}
