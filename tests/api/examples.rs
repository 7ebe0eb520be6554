//! The domain questions of the README: each query in `examples/queries/*.graphql` must
//! answer exactly the `.json` committed beside it, on both engines.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_engines;

on_both_engines!(every_readme_example_answers_as_committed);

async fn every_readme_example_answers_as_committed(app: TestApp) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/queries");
    let mut queries: Vec<_> = std::fs::read_dir(dir)
        .expect("examples/queries")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    queries.sort();
    assert_eq!(queries.len(), 6, "one query per domain question");
    for path in queries {
        let query = std::fs::read_to_string(&path).expect("query");
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(path.with_extension("json"))
                .expect("the answer is committed beside the query"),
        )
        .expect("answer is JSON");
        let (_, body) = app.post(json!({ "query": query })).await;
        assert_eq!(
            body,
            expected,
            "{} answers differently on {:?}; if the change is intended, regenerate the .json",
            path.display(),
            app.engine
        );
    }
}

/// Client generators (graphql-codegen, graphql_client) refuse anonymous operations.
#[test]
fn every_example_operation_is_named() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/queries");
    for entry in std::fs::read_dir(dir).expect("examples/queries") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|x| x != "graphql") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("query");
        let document = async_graphql::parser::parse_query(&text).expect("parses");
        for (name, _) in document.operations.iter() {
            assert!(
                name.is_some(),
                "{} has an anonymous operation",
                path.display()
            );
        }
    }
}
