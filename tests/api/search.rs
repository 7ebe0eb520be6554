use serde_json::{Value, json};

use crate::helpers::{Engine, TestApp, drop_postgres_database, fresh_postgres_database};
use crate::on_both_engines;

on_both_engines!(
    a_misspelled_name_finds_the_company_first,
    case_does_not_matter_and_a_ticker_ranks_its_company_first,
    words_of_a_quote_find_the_citation_and_the_challenge,
    words_of_a_claims_statement_find_the_claim,
    matches_are_highlighted_with_character_ranges,
    types_restrict_the_hits,
    hostile_texts_are_only_text,
    blank_long_and_wordy_texts_and_large_pages_are_refused,
    too_many_candidates_are_refused_with_a_stable_code,
    pages_follow_each_other_without_gaps_or_repeats,
    a_cursor_of_another_list_is_refused,
    the_index_follows_updates_and_deletes,
    the_index_follows_the_batched_investment_import,
    the_readme_example_finds_the_company_and_the_investment,
);

const HIT: &str = "edges { cursor score node { __typename id ... on Company { name } ... on Person { name } ... on AiModel { name } ... on Claim { ref } ... on Citation { quote } ... on ClaimChallenge { description } ... on Event { name } ... on Project { name } } matches { field text highlighted score ranges { start end } } }";

/// The hits of a search, as `(type, label)`.
pub async fn search(app: &TestApp, text: &str, extra: &str) -> Vec<Value> {
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!(", {extra}")
    };
    let data = app
        .data_with(
            &format!(
                "query($text: String!) {{ search(text: $text{extra}) {{ totalCount pageInfo {{ hasNextPage endCursor }} {HIT} }} }}"
            ),
            json!({ "text": text }),
        )
        .await;
    data["search"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn label(hit: &Value) -> String {
    let node = &hit["node"];
    let name = ["name", "ref", "quote", "description"]
        .iter()
        .find_map(|f| node[*f].as_str())
        .unwrap_or("");
    format!("{}:{name}", node["__typename"].as_str().unwrap_or(""))
}

fn labels(hits: &[Value]) -> Vec<String> {
    hits.iter().map(label).collect()
}

async fn a_misspelled_name_finds_the_company_first(app: TestApp) {
    let hits = search(&app, "Antropic", "").await;
    assert_eq!(label(&hits[0]), "Company:Anthropic", "{:?}", labels(&hits));
    let hits = search(&app, "Zuckerburg", "").await;
    assert_eq!(
        label(&hits[0]),
        "Person:Mark Zuckerberg",
        "{:?}",
        labels(&hits)
    );
    let hits = search(&app, "Trainium 3", "").await;
    assert!(
        labels(&hits).contains(&"AiModel:Trainium3".to_string()),
        "{:?}",
        labels(&hits)
    );
}

async fn case_does_not_matter_and_a_ticker_ranks_its_company_first(app: TestApp) {
    for text in ["nvidia", "NVIDIA", "nVidia"] {
        let hits = search(&app, text, "").await;
        assert_eq!(
            label(&hits[0]),
            "Company:Nvidia",
            "{text}: {:?}",
            labels(&hits)
        );
        assert_eq!(
            hits[0]["score"],
            1000 + (hits[0]["matches"].as_array().expect("present").len() as i64 - 1)
        );
    }
    let hits = search(&app, "msft", "").await;
    assert_eq!(label(&hits[0]), "Company:Microsoft", "{:?}", labels(&hits));
    assert_eq!(hits[0]["matches"][0]["field"], "ticker");
}

async fn words_of_a_quote_find_the_citation_and_the_challenge(app: TestApp) {
    let hits = search(&app, "war rooms", "").await;
    let found = labels(&hits);
    assert!(
        found
            .iter()
            .any(|l| l.starts_with("ClaimChallenge:Meta has reportedly")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|l| l.starts_with("Citation:Meta has reportedly set up “war rooms”")),
        "{found:?}"
    );
    let quote = hits
        .iter()
        .find(|h| h["node"]["__typename"] == "Citation")
        .expect("present");
    assert_eq!(quote["matches"][0]["field"], "quote");
}

async fn words_of_a_claims_statement_find_the_claim(app: TestApp) {
    let hits = search(&app, "rivaled models", "").await;
    let found = labels(&hits);
    assert!(found.contains(&"Claim:C1".to_string()), "{found:?}");
    let claim = hits
        .iter()
        .find(|h| label(h) == "Claim:C1")
        .expect("present");
    assert_eq!(claim["matches"][0]["field"], "statement");
}

async fn matches_are_highlighted_with_character_ranges(app: TestApp) {
    let hits = search(&app, "state of the art", "types: [AI_MODEL]").await;
    assert_eq!(label(&hits[0]), "AiModel:Llama 4", "{:?}", labels(&hits));
    let m = &hits[0]["matches"][0];
    assert_eq!(m["field"], "description");
    let text: Vec<char> = m["text"].as_str().expect("present").chars().collect();
    for range in m["ranges"].as_array().expect("present") {
        let (start, end) = (
            range["start"].as_u64().expect("present") as usize,
            range["end"].as_u64().expect("present") as usize,
        );
        let part: String = text[start..end].iter().collect();
        assert!(
            ["state", "of", "the", "art", "state of the art"]
                .contains(&part.to_lowercase().as_str()),
            "{part:?} in {m}"
        );
    }
    assert!(
        m["highlighted"]
            .as_str()
            .expect("present")
            .contains("«state» «of» «the» «art»"),
        "{m}"
    );
}

async fn types_restrict_the_hits(app: TestApp) {
    let hits = search(&app, "DeepSeek", "types: [CLAIM, EVENT]").await;
    assert!(!hits.is_empty());
    for hit in &hits {
        let t = hit["node"]["__typename"].as_str().expect("present");
        assert!(t == "Claim" || t == "Event", "{t}");
    }
}

async fn hostile_texts_are_only_text(app: TestApp) {
    for text in [
        "%",
        "_",
        "%%",
        "'",
        "\"",
        "''; DROP TABLE company; --",
        "\"Meta",
        "NEAR(Meta Amazon)",
        "Meta*",
        "-Amazon",
        "Meta OR Amazon",
        "Meta AND NOT Amazon",
        "body:Meta",
        "^Meta",
        "{Meta}",
        "a\\b",
        "\\%",
        "Me\"ta",
        ")(",
        "NEAR(\"a\" \"b\", 2)",
    ] {
        let (status, body) = app
            .post(json!({
                "query": "query($text: String!) { search(text: $text) { totalCount edges { node { id } } } }",
                "variables": { "text": text },
            }))
            .await;
        assert!(status.is_success(), "{text:?}: {status} {body}");
        assert!(body.get("errors").is_none(), "{text:?}: {body}");
    }
    // `%` and `_` match nothing (no word), not everything.
    assert!(search(&app, "%", "").await.is_empty());
    assert!(search(&app, "_", "").await.is_empty());
    // Operators are words like any other: `-Amazon` finds Amazon, `Meta*` finds Meta.
    assert_eq!(
        label(&search(&app, "-Amazon", "").await[0]),
        "Company:Amazon"
    );
    assert_eq!(
        label(&search(&app, "Meta*", "").await[0]),
        "Company:Meta Platforms"
    );
    // The company table is still there.
    assert_eq!(
        app.data("{ companies { totalCount } }").await["companies"]["totalCount"],
        12
    );
}

async fn blank_long_and_wordy_texts_and_large_pages_are_refused(app: TestApp) {
    let long = "a".repeat(201);
    let wordy = (0..13)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    for (text, first) in [
        ("", 10),
        ("   ", 10),
        (long.as_str(), 10),
        (wordy.as_str(), 10),
        ("Amazon", 101),
        ("Amazon", -1),
    ] {
        let errors = app
            .errors(json!({
                "query": "query($text: String!, $first: Int) { search(text: $text, first: $first) { totalCount } }",
                "variables": { "text": text, "first": first },
            }))
            .await;
        assert_eq!(errors.len(), 1, "{text:?}: {errors:?}");
        assert_eq!(
            errors[0]["extensions"]["code"], "BAD_USER_INPUT",
            "{errors:?}"
        );
    }
}

async fn too_many_candidates_are_refused_with_a_stable_code(app: TestApp) {
    let options = capex_graph::graphql::SchemaOptions {
        search: capex_graph::search::SearchLimits {
            max_candidates: 3,
            ..Default::default()
        },
        ..Default::default()
    };
    let app = app.with_options(options);
    let errors = app
        .errors(json!({ "query": r#"{ search(text: "AI") { totalCount } }"# }))
        .await;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        errors[0]["extensions"]["code"], "BAD_USER_INPUT",
        "{errors:?}"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .expect("present")
            .contains("more than 3"),
        "{errors:?}"
    );
    // A narrower text still works.
    assert_eq!(
        labels(&search(&app, "Zuckerberg", "types: [PERSON]").await),
        ["Person:Mark Zuckerberg"]
    );
}

async fn pages_follow_each_other_without_gaps_or_repeats(app: TestApp) {
    let all = search(&app, "AI", "first: 100").await;
    assert!(all.len() > 6, "{}", all.len());
    let mut paged = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .data_with(
                &format!("query($after: String) {{ search(text: \"AI\", first: 4, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }} {HIT} }} }}"),
                json!({ "after": after }),
            )
            .await;
        let s = &data["search"];
        assert_eq!(s["totalCount"].as_u64(), Some(all.len() as u64));
        paged.extend(s["edges"].as_array().expect("present").iter().cloned());
        if s["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = s["pageInfo"]["endCursor"].clone();
    }
    let ids = |hits: &[Value]| {
        hits.iter()
            .map(|h| h["node"]["id"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&paged), ids(&all));
    let scores: Vec<i64> = all
        .iter()
        .map(|h| h["score"].as_i64().expect("present"))
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

async fn a_cursor_of_another_list_is_refused(app: TestApp) {
    let cursor = app
        .data("{ companies(first: 1) { pageInfo { endCursor } } }")
        .await["companies"]["pageInfo"]["endCursor"]
        .clone();
    let errors = app
        .errors(json!({
            "query": "query($after: String) { search(text: \"Amazon\", after: $after) { totalCount } }",
            "variables": { "after": cursor },
        }))
        .await;
    assert_eq!(
        errors[0]["extensions"]["code"], "BAD_USER_INPUT",
        "{errors:?}"
    );
}

async fn the_index_follows_updates_and_deletes(app: TestApp) {
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let row = entity::company::Entity::find()
        .all(&app.db)
        .await
        .expect("present")
        .into_iter()
        .find(|c| c.name == "Oracle")
        .expect("present");
    let mut active = row.into_active_model();
    active.name = Set("Oracle Corporation Zeta".into());
    active.update(&app.db).await.expect("present");
    let hits = search(&app, "zeta", "types: [COMPANY]").await;
    assert_eq!(labels(&hits), ["Company:Oracle Corporation Zeta"]);
    let hits = search(&app, "Oracle", "types: [COMPANY]").await;
    assert_eq!(hits[0]["matches"][0]["field"], "name");
    assert_eq!(
        hits[0]["score"].as_i64().expect("present") / 100,
        9,
        "now a prefix: {hits:?}"
    );
    // A row without citations or references can be deleted: its entries go with it.
    let lone = entity::company::ActiveModel {
        name: Set("Lonely Quokka Labs".into()),
        kind: Set(entity::enums::CompanyKind::Startup),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("present");
    assert_eq!(search(&app, "quokka", "").await.len(), 1);
    entity::company::Entity::delete_by_id(lone.id)
        .exec(&app.db)
        .await
        .expect("present");
    assert!(search(&app, "quokka", "").await.is_empty());
}

/// Texts whose ranking the two engines must agree on.
const FIXED_QUERIES: &[&str] = &[
    "Amazon",
    "amazon web",
    "Antropic",
    "microsfot",
    "Zuckerburg",
    "war rooms",
    "state of the art",
    "DeepSeek",
    "Stargate",
    "AI engineer",
    "capital expenditures",
    "Nvidia drop",
    "GPT",
    "5.6 million",
    "C1",
    "Meta",
    "AWS",
    "reasonably representative",
    "Smith",
    "Pichai cost",
];

async fn rankings(app: &TestApp) -> Vec<Vec<(String, i64)>> {
    let mut out = Vec::new();
    for text in FIXED_QUERIES {
        let hits = search(app, text, "first: 10").await;
        out.push(
            hits.iter()
                .map(|h| (label(h), h["score"].as_i64().unwrap_or(-1)))
                .collect(),
        );
    }
    out
}

#[tokio::test]
async fn both_engines_rank_a_fixed_list_of_texts_the_same() {
    let sqlite = TestApp::start(Engine::Sqlite, "sqlite::memory:").await;
    let expected = rankings(&sqlite).await;
    for (text, hits) in FIXED_QUERIES.iter().zip(&expected) {
        assert!(!hits.is_empty(), "{text}: no hit on SQLite");
    }
    let Some(admin) = crate::helpers::postgres_admin_url() else {
        return;
    };
    let (url, name) = fresh_postgres_database(&admin).await;
    let pg = TestApp::start(Engine::Postgres, &url).await;
    let got = rankings(&pg).await;
    let _ = pg.db.close().await;
    drop_postgres_database(&admin, &name).await;
    for ((text, a), b) in FIXED_QUERIES.iter().zip(&expected).zip(&got) {
        assert_eq!(a, b, "{text}: SQLite and PostgreSQL disagree");
    }
}

async fn the_index_follows_the_batched_investment_import(app: TestApp) {
    let dir = std::env::temp_dir().join(format!(
        "capex-search-bulk-{}-{:?}",
        std::process::id(),
        app.engine
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("investments.csv");
    let quote = "Amazon has introduced a number of new AI-based products and invested heavily in Anthropic, a startup founded by ex-OpenAI staffers.";
    std::fs::write(
        &file,
        format!(
            "ref,investor,investee,amount,currency,made,made_precision,description,source,quote\n\
             X9,Amazon,Anthropic,,,,,A quixotic follow-on round,ai-capex-spending-spree,\"{quote}\"\n"
        ),
    )
    .expect("write");
    let imported =
        capex_graph::transfer::import::import(&app.db, std::slice::from_ref(&file), false).await;
    let _ = std::fs::remove_dir_all(&dir);
    imported.expect("import");
    let data = app
        .data(r#"{ search(text: "quixotc") { edges { node { __typename ... on Investment { ref } } matches { field } } } }"#)
        .await;
    let edges = &data["search"]["edges"];
    assert_eq!(edges[0]["node"]["ref"], "X9", "{edges}");
    assert_eq!(edges[0]["matches"][0]["field"], "description");
}

async fn the_readme_example_finds_the_company_and_the_investment(app: TestApp) {
    let data = app
        .data(r#"{ search(text: "antropic investd", first: 3) { edges { node { __typename ... on Company { name } ... on Investment { ref } } } } }"#)
        .await;
    let found: Vec<String> = data["search"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            format!(
                "{}{}{}",
                e["node"]["__typename"].as_str().unwrap_or(""),
                e["node"]["name"].as_str().unwrap_or(""),
                e["node"]["ref"].as_str().unwrap_or("")
            )
        })
        .collect();
    // Both misspelled words are in the investment's description.
    assert_eq!(found[0], "InvestmentI1", "{found:?}");
    let hits = search(&app, "antropic", "").await;
    assert_eq!(label(&hits[0]), "Company:Anthropic", "{:?}", labels(&hits));
}
