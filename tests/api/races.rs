//! Writes that race each other: a unique key taken by a concurrent request is the
//! client's input error, named by its input field, never by the database's constraint.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::helpers::{TestApp, WRITE_TOKEN};
use crate::on_both_engines;

on_both_engines!(concurrent_creates_of_one_key_leave_one_row_and_name_the_input_field);

const CREATE_COMPANY: &str =
    "mutation($input: CompanyInput!) { createCompany(input: $input) { id } }";
const CREATE_COMPANIES: &str =
    "mutation($inputs: [CompanyInput!]!) { createCompanies(inputs: $inputs) { id } }";

/// Sends `requests` mutations at once; returns each one's response body.
async fn all_at_once(app: &Arc<TestApp>, requests: Vec<(&'static str, Value)>) -> Vec<Value> {
    let mut tasks = Vec::new();
    for (query, variables) in requests {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let (_, body) = app
                .post_as(
                    Some(WRITE_TOKEN),
                    json!({ "query": query, "variables": variables }),
                )
                .await;
            body
        }));
    }
    let mut bodies = Vec::new();
    for task in tasks {
        bodies.push(task.await.expect("a request task panicked"));
    }
    bodies
}

/// Asserts that exactly one body succeeded and every other one is a BAD_USER_INPUT naming
/// `field`, without the database's words for it.
fn one_wins(app: &TestApp, bodies: &[Value], field: &str) {
    let mut wins = 0;
    for body in bodies {
        let Some(errors) = body["errors"].as_array() else {
            wins += 1;
            continue;
        };
        let error = &errors[0];
        let message = error["message"].as_str().unwrap_or("");
        assert_eq!(
            error["extensions"]["code"], "BAD_USER_INPUT",
            "{:?}: {body}",
            app.engine
        );
        assert_eq!(
            error["extensions"]["field"], field,
            "{:?}: {body}",
            app.engine
        );
        assert!(
            !message.contains("constraint") && !message.contains("_key"),
            "{:?}: the database's constraint leaks: {body}",
            app.engine
        );
    }
    assert_eq!(wins, 1, "{:?}: {bodies:?}", app.engine);
}

async fn concurrent_creates_of_one_key_leave_one_row_and_name_the_input_field(app: TestApp) {
    let app = Arc::new(app);
    let same_name = (0..20)
        .map(|_| {
            let input = json!({ "name": "Racing Co", "kind": "STARTUP" });
            (CREATE_COMPANY, json!({ "input": input }))
        })
        .collect();
    one_wins(&app, &all_at_once(&app, same_name).await, "input.name");

    let same_ticker = (0..20)
        .map(|i| {
            let input =
                json!({ "name": format!("Ticker Co {i}"), "ticker": "RACE", "kind": "STARTUP" });
            (CREATE_COMPANY, json!({ "input": input }))
        })
        .collect();
    one_wins(&app, &all_at_once(&app, same_ticker).await, "input.ticker");

    // In a batch, the field is that of the row that collided.
    let batches = (0..20)
        .map(|i| {
            let inputs = json!([
                { "name": format!("Batch Co {i}"), "kind": "STARTUP" },
                { "name": "Racing Batch Co", "kind": "STARTUP" }
            ]);
            (CREATE_COMPANIES, json!({ "inputs": inputs }))
        })
        .collect();
    one_wins(&app, &all_at_once(&app, batches).await, "inputs[1].name");

    let data = app
        .data("{ companies(filter: { name: { in: [\"Racing Co\", \"Racing Batch Co\"] } }) { totalCount } }")
        .await;
    assert_eq!(data["companies"]["totalCount"], 2, "{data}");
}
