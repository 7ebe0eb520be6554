//! Relations load in batches: the number of SQL statements depends on the query's shape,
//! not on how many rows it returns.

use capex_graph::dataset::{self, Dataset};
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_engines;

on_both_engines!(nested_queries_run_the_same_statements_for_17_or_62_companies);

const DEEP: &str = r#"{ companies(first: 100) { nodes { name parent { name } models { nodes { name developer { name } } }
    investmentsMade { nodes { amount { amount } investee { name models { nodes { name claims { nodes { ref } } } } } citations { nodes { quote source { key } } } } }
    investmentsReceived { nodes { investor { name } } } citations { nodes { quote } } } } }"#;

/// The relation fields of `DEEP`: one statement for the root list and one per relation.
const RELATIONS_IN_DEEP: usize = 12;

/// Synthetic companies `from..to`, each investing in the next, with a model and citations.
pub fn chain(from: usize, to: usize) -> Dataset {
    let mut extra = Dataset::default();
    let quote = "OpenAI last month announced Stargate";
    for i in from..to {
        extra.companies.push(
            serde_json::from_value(json!({
                "name": format!("Synthetic {i:02}"), "kind": "STARTUP",
                "citations": [{ "source": "ai-capex-spending-spree", "quote": quote }]
            }))
            .expect("company"),
        );
        extra.models.push(serde_json::from_value(json!({
            "name": format!("Model {i:02}"), "kind": "MODEL", "developer": format!("Synthetic {i:02}")
        })).expect("model"));
        if i > 0 {
            extra.investments.push(serde_json::from_value(json!({
                "ref": format!("S{i}"), "investor": format!("Synthetic {:02}", i - 1), "investee": format!("Synthetic {i:02}"),
                "amount": { "amount": "1000000.50", "currency": "USD" },
                "citations": [{ "source": "ai-capex-spending-spree", "quote": quote }]
            })).expect("investment"));
        }
    }
    extra
}

async fn statements_for_deep_query(app: &TestApp) -> (usize, usize) {
    app.take_statement_count();
    let data = app.data(DEEP).await;
    let statements = app.take_statement_count();
    (
        data["companies"]["nodes"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0),
        statements,
    )
}

async fn nested_queries_run_the_same_statements_for_17_or_62_companies(app: TestApp) {
    // Deliberately wide (every page at its largest): above the default cost limit.
    let app = app.without_cost_limit();
    dataset::load(&app.db, &chain(0, 5))
        .await
        .expect("load 5 synthetic companies");
    let (companies_small, statements_small) = statements_for_deep_query(&app).await;
    assert_eq!(companies_small, 17);

    dataset::load(&app.db, &chain(4, 50))
        .await
        .expect("load 45 more");
    let (companies_large, statements_large) = statements_for_deep_query(&app).await;
    assert_eq!(companies_large, 62);
    assert_eq!(
        statements_small, statements_large,
        "statement count grew with the rows: {statements_small} for 17 companies, {statements_large} for 62"
    );
    assert_eq!(statements_large, 1 + RELATIONS_IN_DEEP);
}
