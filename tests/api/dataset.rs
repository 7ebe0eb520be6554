use capex_graph::dataset::{self, Dataset};
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_engines;

on_both_engines!(
    loading_the_builtin_dataset_twice_duplicates_nothing,
    a_dataset_with_an_error_changes_nothing,
    every_citation_quotes_its_source_verbatim,
    every_fact_carries_at_least_one_citation,
);

async fn loading_the_builtin_dataset_twice_duplicates_nothing(app: TestApp) {
    let before = app.row_counts().await;
    let report = dataset::load(&app.db, &Dataset::builtin().expect("dataset"))
        .await
        .expect("second load");
    assert_eq!(report.inserted, 0, "{report:?}");
    assert!(report.matched > 0);
    assert_eq!(app.row_counts().await, before);
}

async fn a_dataset_with_an_error_changes_nothing(app: TestApp) {
    let before = app.row_counts().await;
    let mut data = Dataset::builtin().expect("dataset");
    // A new, valid company first, then a claim whose quote is not in the article.
    data.companies.push(
        serde_json::from_value(json!({ "name": "Newco", "kind": "STARTUP" })).expect("company"),
    );
    data.claims[6].citations[0].quote = "A sentence the article never wrote.".into();
    let err = dataset::load(&app.db, &data)
        .await
        .expect_err("a bad quote must be refused");
    let message = err.to_string();
    assert!(
        message.contains("claims[6].citations[0].quote"),
        "{message}"
    );
    assert_eq!(err.code(), "BAD_USER_INPUT");
    assert_eq!(
        app.row_counts().await,
        before,
        "the refused load left rows behind"
    );

    let mut data = Dataset::builtin().expect("dataset");
    data.spending_figures[3].low = Some("70000000000".into()); // Meta: low above high
    let err = dataset::load(&app.db, &data)
        .await
        .expect_err("low above high must be refused");
    // The same rule and the same field as a mutation's: the low end is the one at fault.
    assert!(
        err.to_string().contains("spendingFigures[3].low")
            && err.to_string().contains("above the high end"),
        "{err}"
    );
    assert_eq!(app.row_counts().await, before);

    let mut data = Dataset::builtin().expect("dataset");
    let (first, second) = (
        data.companies[0].name.clone(),
        data.companies[1].name.clone(),
    );
    data.companies[0].parent = Some(second);
    data.companies[1].parent = Some(first);
    let err = dataset::load(&app.db, &data)
        .await
        .expect_err("two companies each the other's parent");
    assert!(
        err.to_string().contains("].parent") && err.to_string().contains("own parent or ancestor"),
        "{err}"
    );
    assert_eq!(app.row_counts().await, before);
}

async fn every_citation_quotes_its_source_verbatim(app: TestApp) {
    let data = app
        .data(r#"{ sources { nodes { key content citations(first: 100) { totalCount nodes { quote } } } } }"#)
        .await;
    let sources = data["sources"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sources.len(), 1);
    let content = sources[0]["content"].as_str().unwrap_or_default();
    let citations = sources[0]["citations"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(citations.len(), 51, "the README counts 51 citations");
    for c in &citations {
        let quote = c["quote"].as_str().unwrap_or_default();
        assert!(
            !quote.is_empty() && content.contains(quote),
            "not in the article: {quote}"
        );
    }
}

async fn every_fact_carries_at_least_one_citation(app: TestApp) {
    let data = app
        .data(
            r#"{ companies { nodes { name citations { nodes { id } } } } people { nodes { name citations { nodes { id } } } } aiModels { nodes { name citations { nodes { id } } } }
                 investments { nodes { ref citations { nodes { id } } } } projects { nodes { name citations { nodes { id } } backers { nodes { id citations { nodes { id } } } } } }
                 spendingFigures { nodes { ref citations { nodes { id } } } } claims { nodes { ref citations { nodes { id } } challenges { nodes { id citations { nodes { id } } } } } }
                 events { nodes { ref citations { nodes { id } } } } }"#,
        )
        .await;
    let mut rows = Vec::new();
    for list in [
        "companies",
        "people",
        "aiModels",
        "investments",
        "projects",
        "spendingFigures",
        "claims",
        "events",
    ] {
        for row in data[list]["nodes"].as_array().cloned().unwrap_or_default() {
            for nested in ["backers", "challenges"] {
                rows.extend(
                    row[nested]["nodes"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|r| (nested, r)),
                );
            }
            rows.push((list, row));
        }
    }
    // 12 companies, 4 people, 4 models, 1 investment, 1 project with 3 backers, 7 figures,
    // 7 claims with 3 challenges, 1 event.
    assert_eq!(rows.len(), 43);
    for (list, row) in rows {
        let cited = row["citations"]["nodes"]
            .as_array()
            .map(Vec::len)
            .unwrap_or(0);
        assert!(cited > 0, "{list} row without a citation: {row}");
    }
}
