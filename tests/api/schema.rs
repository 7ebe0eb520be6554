use serde_json::Value;

use crate::helpers::TestApp;
use crate::on_both_engines;

#[test]
fn committed_schema_graphql_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql is committed at the top of the repository");
    let printed = capex_graph::graphql::sdl();
    assert!(
        committed == printed,
        "schema.graphql differs from the schema in the code; regenerate it with:\n\
         cargo run -- print-schema > schema.graphql"
    );
}

on_both_engines!(every_type_field_argument_and_enum_value_has_a_description);

const INTROSPECTION: &str = r#"{ __schema { types { name kind description
    fields { name description args { name description } }
    inputFields { name description }
    enumValues { name description } } } }"#;

async fn every_type_field_argument_and_enum_value_has_a_description(app: TestApp) {
    let data = app.data(INTROSPECTION).await;
    let mut missing = Vec::new();
    let described = |v: &Value| {
        v["description"]
            .as_str()
            .is_some_and(|d| !d.trim().is_empty())
    };
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let types = data["__schema"]["types"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(types.len() > 30);
    for t in &types {
        let name = t["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || builtin.contains(&name) {
            continue;
        }
        if !described(t) {
            missing.push(name.to_string());
        }
        for f in t["fields"].as_array().into_iter().flatten() {
            if !described(f) {
                missing.push(format!("{name}.{}", f["name"]));
            }
            for a in f["args"].as_array().into_iter().flatten() {
                if !described(a) {
                    missing.push(format!("{name}.{}({})", f["name"], a["name"]));
                }
            }
        }
        for key in ["inputFields", "enumValues"] {
            for v in t[key].as_array().into_iter().flatten() {
                if !described(v) {
                    missing.push(format!("{name}.{}", v["name"]));
                }
            }
        }
    }
    assert!(missing.is_empty(), "without a description: {missing:?}");
}
