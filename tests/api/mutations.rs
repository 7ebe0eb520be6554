//! Mutations: every write in one transaction, every refusal with BAD_USER_INPUT and the
//! path of the offending input, and nothing changed after a refusal.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_engines;

on_both_engines!(
    import_dataset_adds_rows_and_reimporting_changes_nothing,
    import_dataset_with_a_bad_quote_names_the_record_and_writes_nothing,
    import_dataset_refuses_a_content_file,
);

const IMPORT: &str =
    "mutation($data: DatasetDocument!) { importDataset(data: $data) { inserted matched } }";

/// Asserts that `error` is BAD_USER_INPUT about `field`, and returns its message.
pub fn assert_bad_input(error: &Value, field: &str) -> String {
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["field"], field, "{error}");
    error["message"].as_str().unwrap_or_default().to_string()
}

/// Runs a mutation that must be refused about `field`; checks that no row changed.
pub async fn refused(app: &TestApp, query: &str, variables: Value, field: &str) -> String {
    let counts = app.row_counts().await;
    let before = app.snapshot().await;
    let error = app.write_error(query, variables).await;
    let message = assert_bad_input(&error, field);
    assert_eq!(app.row_counts().await, counts, "row counts changed");
    assert!(
        app.snapshot().await == before,
        "rows changed after a refusal"
    );
    message
}

fn small_dataset() -> Value {
    json!({
        "sources": [{ "key": "memo", "title": "A memo", "content": "Newco raised money from Amazon." }],
        "companies": [{ "name": "Newco", "kind": "STARTUP" }],
        "investments": [{
            "ref": "I-newco", "investor": "Amazon", "investee": "Newco",
            "amount": { "amount": "10.50", "currency": "USD" },
            "citations": [{ "source": "memo", "quote": "Newco raised money from Amazon." }]
        }]
    })
}

async fn import_dataset_adds_rows_and_reimporting_changes_nothing(app: TestApp) {
    let data = app.write(IMPORT, json!({ "data": small_dataset() })).await;
    assert_eq!(
        data,
        json!({ "importDataset": { "inserted": 4, "matched": 0 } })
    );
    let after = app.snapshot().await;
    let data = app
        .write(IMPORT, json!({ "data": small_dataset().to_string() }))
        .await;
    assert_eq!(
        data,
        json!({ "importDataset": { "inserted": 0, "matched": 4 } })
    );
    assert!(app.snapshot().await == after, "re-import changed rows");
    let data = app
        .data("{ companyByName(name: \"Newco\") { investmentsReceived { nodes { amount { amount } } } } }")
        .await;
    assert_eq!(
        data["companyByName"]["investmentsReceived"]["nodes"][0]["amount"]["amount"],
        "10.50"
    );
}

async fn import_dataset_with_a_bad_quote_names_the_record_and_writes_nothing(app: TestApp) {
    let mut dataset = small_dataset();
    dataset["investments"][0]["citations"][0]["quote"] = json!("Never written.");
    refused(
        &app,
        IMPORT,
        json!({ "data": dataset }),
        "data.investments[0].citations[0].quote",
    )
    .await;
}

async fn import_dataset_refuses_a_content_file(app: TestApp) {
    let dataset =
        json!({ "sources": [{ "key": "x", "title": "X", "contentFile": "/etc/passwd" }] });
    refused(
        &app,
        IMPORT,
        json!({ "data": dataset }),
        "data.sources[0].contentFile",
    )
    .await;
}
