use serde_json::Value;

use crate::helpers::{Engine, TestApp};
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

on_both_engines!(
    every_type_field_argument_and_enum_value_has_a_description,
    the_entities_declare_every_foreign_key_of_the_database,
);

/// Every foreign key of `app`'s database, read from its engine's catalog: (table, column,
/// target table, what deleting the target does).
pub(crate) async fn foreign_keys_of(app: &TestApp) -> Vec<entity::ForeignKey> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let on_delete = |action: &str| match action {
        "CASCADE" | "c" => entity::OnDelete::Cascade,
        "SET NULL" | "n" => entity::OnDelete::SetNull,
        _ => entity::OnDelete::Restrict,
    };
    let mut keys = Vec::new();
    match app.engine {
        Engine::Sqlite => {
            let tables = app
                .db
                .query_all_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    "SELECT name FROM sqlite_master WHERE type = 'table'",
                ))
                .await
                .expect("tables");
            for row in tables {
                let table: String = row.try_get("", "name").expect("name");
                let rows = app
                    .db
                    .query_all_raw(Statement::from_string(
                        DbBackend::Sqlite,
                        format!("PRAGMA foreign_key_list({table})"),
                    ))
                    .await
                    .expect("foreign keys");
                for row in rows {
                    let action: String = row.try_get("", "on_delete").expect("on_delete");
                    keys.push(entity::ForeignKey {
                        table: table.clone(),
                        column: row.try_get("", "from").expect("from"),
                        target: row.try_get("", "table").expect("table"),
                        on_delete: on_delete(&action),
                    });
                }
            }
        }
        Engine::Postgres => {
            let rows = app
                .db
                .query_all_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT ct.relname AS child, a.attname AS col, pt.relname AS parent,
                            c.confdeltype::text AS action
                     FROM pg_constraint c
                     JOIN pg_class ct ON ct.oid = c.conrelid
                     JOIN pg_class pt ON pt.oid = c.confrelid
                     JOIN pg_namespace n ON n.oid = ct.relnamespace
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                     WHERE c.contype = 'f' AND n.nspname = current_schema()",
                ))
                .await
                .expect("foreign keys");
            for row in rows {
                let action: String = row.try_get("", "action").expect("action");
                keys.push(entity::ForeignKey {
                    table: row.try_get("", "child").expect("child"),
                    column: row.try_get("", "col").expect("col"),
                    target: row.try_get("", "parent").expect("parent"),
                    on_delete: on_delete(&action),
                });
            }
        }
    }
    keys
}

/// The entities' `Relation` enums are the one declaration of the relations the code reads
/// (the cascades of a delete, among others): they hold exactly the foreign keys the
/// migrations create, with the same action on delete, on both engines.
async fn the_entities_declare_every_foreign_key_of_the_database(app: TestApp) {
    let mut found = foreign_keys_of(&app).await;
    let mut declared = entity::foreign_keys();
    found.sort();
    declared.sort();
    assert!(found.len() > 40, "{found:?}");
    assert_eq!(declared, found);
}

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

/// Relations whose foreign key is NOT NULL in the database are non-null in the schema, so
/// generated clients carry no null checks that can never fire.
#[test]
fn not_null_relations_are_non_null_fields() {
    let sdl = capex_graph::graphql::sdl();
    let field = |ty: &str, field: &str| -> String {
        let start = sdl
            .find(&format!("type {ty} "))
            .unwrap_or_else(|| panic!("no type {ty}"));
        let body = &sdl[start..];
        let body = &body[..body.find("\n}").unwrap_or(body.len())];
        body.lines()
            .map(str::trim)
            .find(|l| l.starts_with(&format!("{field}:")))
            .unwrap_or_else(|| panic!("no {ty}.{field}"))
            .to_string()
    };
    for (ty, name, target) in [
        ("Investment", "investor", "Company!"),
        ("Investment", "investee", "Company!"),
        ("Citation", "source", "Source!"),
        ("ProjectBacker", "company", "Company!"),
        ("ProjectBacker", "project", "Project!"),
        ("ClaimChallenge", "claim", "Claim!"),
        ("AiModel", "developer", "Company!"),
    ] {
        assert_eq!(field(ty, name), format!("{name}: {target}"));
    }
}

on_both_engines!(citations_of_a_source_are_asked_for_by_its_global_id);

async fn citations_of_a_source_are_asked_for_by_its_global_id(app: TestApp) {
    let data = app
        .data("{ sources(first: 1) { nodes { id citations { totalCount } } } }")
        .await;
    let source = &data["sources"]["nodes"][0];
    let data = app
        .data_with(
            "query($s: ID) { citations(sourceId: $s) { totalCount } }",
            serde_json::json!({ "s": source["id"] }),
        )
        .await;
    assert_eq!(
        data["citations"]["totalCount"],
        source["citations"]["totalCount"]
    );
    assert!(
        data["citations"]["totalCount"]
            .as_i64()
            .is_some_and(|n| n > 0)
    );
    let errors = app
        .errors(serde_json::json!({ "query": "{ citations(sourceId: \"Q29tcGFueTox\") { totalCount } }" }))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");
}

on_both_engines!(every_custom_scalar_points_at_its_served_specification);

/// Each custom scalar says where its exact format is written (`@specifiedBy`), and the
/// server serves that text there; introspection gives the schema's own description.
async fn every_custom_scalar_points_at_its_served_specification(app: TestApp) {
    let data = app
        .data(r#"{ __schema { description types { name kind specifiedByURL } } }"#)
        .await;
    let description = data["__schema"]["description"].as_str().unwrap_or_default();
    assert!(
        description.starts_with("capex-graph: the AI-investment landscape"),
        "{description}"
    );
    let builtin = ["String", "Int", "Float", "Boolean", "ID"];
    let scalars: Vec<&Value> = data["__schema"]["types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["kind"] == "SCALAR" && !builtin.contains(&t["name"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(scalars.len(), 3, "{scalars:?}");
    for scalar in scalars {
        let name = scalar["name"].as_str().unwrap_or_default();
        let url = scalar["specifiedByURL"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no @specifiedBy"));
        let request = axum::http::Request::get(url)
            .body(axum::body::Body::empty())
            .expect("request");
        let (status, content_type, body) = app.send_raw(request).await;
        assert_eq!(status, 200, "{name}: {url}");
        assert_eq!(content_type, "text/markdown; charset=utf-8");
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.starts_with(&format!("# {name} ")),
            "{url} does not specify {name}: {text}"
        );
    }
    let missing = axum::http::Request::get("/scalars/money")
        .body(axum::body::Body::empty())
        .expect("request");
    let (status, body) = app.send(missing).await;
    assert_eq!(status, 404);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{body}"
    );
}

#[test]
fn the_sdl_carries_the_schema_description_and_scalar_specifications() {
    let sdl = capex_graph::graphql::sdl();
    let comment: String = capex_graph::graphql::SCHEMA_DESCRIPTION
        .lines()
        .map(|line| format!("# {line}\n"))
        .collect();
    assert!(sdl.contains(&format!("\n{comment}schema {{")), "{sdl}");
    for scalar in ["Date", "Decimal", "DatasetDocument"] {
        assert!(
            sdl.lines()
                .any(|l| l.starts_with(&format!("scalar {scalar} @specifiedBy(url: \"/scalars/"))),
            "scalar {scalar} has no @specifiedBy"
        );
    }
}
