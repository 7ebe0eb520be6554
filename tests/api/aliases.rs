//! Aliases as data, and the lookups by name that forgive case and accept them.

use std::path::PathBuf;

use capex_graph::transfer::{export::export, import::import};
use serde_json::{Value, json};

use crate::helpers::{TABLES, TestApp};
use crate::on_both_engines;
use crate::search::search;

on_both_engines!(
    the_articles_other_names_are_aliases_citing_the_sentence_that_uses_them,
    lookups_by_name_ignore_case_and_accept_tickers_and_aliases,
    lookups_by_natural_key_cover_people_models_and_events,
    challenges_have_a_root_list,
    search_ranks_a_company_first_by_its_alias,
    an_alias_added_by_a_mutation_is_found_by_search_and_lookup_and_removed_with_it,
    an_alias_imported_from_csv_is_found_by_search_and_lookup,
    every_write_path_refuses_an_alias_its_quote_does_not_use,
    export_and_import_round_trip_aliases,
    aliases_of_a_whole_list_load_in_one_statement,
);

async fn the_articles_other_names_are_aliases_citing_the_sentence_that_uses_them(app: TestApp) {
    let data = app
        .data(
            r#"{ meta: companyByTicker(ticker: "META") { aliases { name kind quote source { key } } }
                 aws: companyByName(name: "Amazon Web Services") { aliases { name kind quote } }
                 amazon: companyByTicker(ticker: "AMZN") { aliases { name } } }"#,
        )
        .await;
    let meta = &data["meta"]["aliases"];
    assert_eq!(meta.as_array().map(Vec::len), Some(1), "{meta}");
    assert_eq!(meta[0]["name"], "Meta");
    assert_eq!(meta[0]["kind"], "SHORT_NAME");
    assert_eq!(meta[0]["source"]["key"], "ai-capex-spending-spree");
    assert!(
        meta[0]["quote"]
            .as_str()
            .is_some_and(|q| q.contains("Meta’s Llama 4")),
        "{meta}"
    );
    assert_eq!(data["aws"]["aliases"][0]["name"], "AWS");
    assert_eq!(data["aws"]["aliases"][0]["kind"], "ABBREVIATION");
    // Nothing is invented: Amazon has no other name in the article.
    assert_eq!(data["amazon"]["aliases"], json!([]));
}

async fn lookups_by_name_ignore_case_and_accept_tickers_and_aliases(app: TestApp) {
    for (text, expected) in [
        ("Meta", "Meta Platforms"),
        ("meta", "Meta Platforms"),
        ("amazon", "Amazon"),
        ("AMAZON", "Amazon"),
        ("amzn", "Amazon"),
        ("  Microsoft  ", "Microsoft"),
        ("aws", "Amazon Web Services"),
        ("Amazon Web Services", "Amazon Web Services"),
    ] {
        let data = app
            .data_with(
                "query($n: String!) { companyByName(name: $n) { name } }",
                json!({ "n": text }),
            )
            .await;
        assert_eq!(data["companyByName"]["name"], expected, "{text:?}");
    }
    let data = app
        .data(r#"{ a: companyByName(name: "Metaverse") { name } b: projectByName(name: "stargate") { name } c: projectByName(name: "Stargat") { name } }"#)
        .await;
    assert_eq!(data["a"], Value::Null);
    assert_eq!(data["b"]["name"], "Stargate");
    assert_eq!(data["c"], Value::Null, "a lookup is not a search");
}

async fn lookups_by_natural_key_cover_people_models_and_events(app: TestApp) {
    let data = app
        .data(
            r#"{ p: personByName(name: "andy jassy") { name title }
                 s: personByName(name: "Smith") { name }
                 m: aiModelByName(name: "llama 4") { name developer { name } }
                 d: aiModelByName(name: "Trainium3", developer: "amzn") { name }
                 x: aiModelByName(name: "Trainium3", developer: "Nvidia") { name }
                 e: eventByRef(ref: "E1") { name }
                 n: personByName(name: "Nobody") { name } }"#,
        )
        .await;
    assert_eq!(data["p"]["name"], "Andy Jassy");
    assert_eq!(data["s"]["name"], "Brad Smith");
    assert_eq!(data["m"]["developer"]["name"], "Meta Platforms");
    assert_eq!(data["d"]["name"], "Trainium3");
    assert_eq!(data["x"], Value::Null);
    assert!(
        data["e"]["name"]
            .as_str()
            .is_some_and(|n| n.contains("Nvidia")),
        "{data}"
    );
    assert_eq!(data["n"], Value::Null);
}

async fn challenges_have_a_root_list(app: TestApp) {
    let data = app
        .data(
            r#"{ all: challenges { totalCount nodes { id claim { ref } } }
                 inv: challenges(kind: INVESTIGATION) { totalCount nodes { challengerCompany { name } } } }"#,
        )
        .await;
    assert_eq!(data["all"]["totalCount"], 3);
    assert_eq!(data["all"]["nodes"][0]["claim"]["ref"], "C1");
    assert_eq!(data["inv"]["totalCount"], 2);
    let id = data["all"]["nodes"][0]["id"].clone();
    let node = app
        .data_with(
            "query($id: ID!) { node(id: $id) { __typename } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(node["node"]["__typename"], "ClaimChallenge");
}

async fn search_ranks_a_company_first_by_its_alias(app: TestApp) {
    let hits = search(&app, "meta", "").await;
    assert_eq!(hits[0]["node"]["name"], "Meta Platforms", "{hits:?}");
    assert_eq!(hits[0]["matches"][0]["field"], "alias");
    assert_eq!(hits[0]["matches"][0]["highlighted"], "«Meta»");
    let hits = search(&app, "AWS", "").await;
    assert_eq!(hits[0]["node"]["name"], "Amazon Web Services", "{hits:?}");
    let hits = search(&app, "jassy", "types: [PERSON]").await;
    assert_eq!(hits[0]["node"]["name"], "Andy Jassy", "{hits:?}");
}

const ADD: &str =
    "mutation($input: AliasInput!) { addAlias(input: $input) { name kind quote source { key } } }";

async fn an_alias_added_by_a_mutation_is_found_by_search_and_lookup_and_removed_with_it(
    app: TestApp,
) {
    let ids = app
        .data(r#"{ c: companyByName(name: "Alphabet") { id } s: sources { nodes { id } } }"#)
        .await;
    let quote = "Google-parent (GOOGL) Alphabet said it would spend $75 billion on AI this year, 29% greater than Wall Street had expected.";
    let data = app
        .write(
            ADD,
            json!({ "input": {
                "subjectId": ids["c"]["id"], "name": "Google-parent", "kind": "COMMON_NAME",
                "sourceId": ids["s"]["nodes"][0]["id"], "quote": quote,
            } }),
        )
        .await;
    assert_eq!(data["addAlias"]["source"]["key"], "ai-capex-spending-spree");
    let found = app
        .data(r#"{ companyByName(name: "google-PARENT") { name } }"#)
        .await;
    assert_eq!(found["companyByName"]["name"], "Alphabet");
    let hits = search(&app, "Google-parent", "").await;
    assert_eq!(hits[0]["node"]["name"], "Alphabet", "{hits:?}");
    assert_eq!(hits[0]["matches"][0]["field"], "alias");

    let removed = app
        .write(
            "mutation($id: ID!) { removeAlias(subjectId: $id, name: \"Google-parent\") }",
            json!({ "id": ids["c"]["id"] }),
        )
        .await;
    assert_eq!(removed["removeAlias"], true);
    let found = app
        .data(r#"{ companyByName(name: "google-parent") { name } }"#)
        .await;
    assert_eq!(found["companyByName"], Value::Null);
    let hits = search(&app, "Google-parent", "types: [COMPANY]").await;
    assert!(
        hits.iter().all(|h| h["matches"]
            .as_array()
            .is_some_and(|m| m.iter().all(|m| m["field"] != "alias"))),
        "{hits:?}"
    );
}

/// A scratch directory removed when the test ends.
struct Scratch(PathBuf);

impl Scratch {
    fn new(app: &TestApp, what: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "capex-aliases-{what}-{}-{:?}",
            std::process::id(),
            app.engine
        ));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn an_alias_imported_from_csv_is_found_by_search_and_lookup(app: TestApp) {
    let tmp = Scratch::new(&app, "csv");
    let file = tmp.0.join("aliases.csv");
    std::fs::write(
        &file,
        "company,person,model,project,name,kind,source,quote\n\
         Nvidia,,,,Team Green,COMMON_NAME,,\n",
    )
    .expect("write");
    import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect("import");
    let found = app
        .data(r#"{ companyByName(name: "team green") { name aliases { name kind quote } } }"#)
        .await;
    assert_eq!(found["companyByName"]["name"], "Nvidia");
    assert_eq!(found["companyByName"]["aliases"][0]["quote"], Value::Null);
    let hits = search(&app, "team gren", "").await;
    assert_eq!(hits[0]["node"]["name"], "Nvidia", "{hits:?}");
}

async fn every_write_path_refuses_an_alias_its_quote_does_not_use(app: TestApp) {
    let quote = "Tech stocks entered a freefall after Wall Street caught wind, giving chipmaker Nvidia (NVDA) the biggest one-day drop in market value in history.";
    let message = "the quote does not use the alias \\\"Jensen Co\\\"";
    let plain = "the quote does not use the alias \"Jensen Co\"";
    let before = app.row_counts().await;

    // A dataset (seed, importDataset, JSON import).
    let mut data = capex_graph::dataset::Dataset::default();
    data.aliases.push(
        serde_json::from_value(json!({
            "company": "Nvidia", "name": "Jensen Co", "kind": "COMMON_NAME",
            "source": "ai-capex-spending-spree", "quote": quote,
        }))
        .expect("alias"),
    );
    let err = capex_graph::dataset::load(&app.db, &data)
        .await
        .expect_err("a quote without the alias");
    assert_eq!(err.code(), "BAD_USER_INPUT");
    let text = err.to_string();
    assert!(
        text.contains("aliases[0].quote") && text.contains(plain),
        "{text}"
    );

    // A CSV file.
    let tmp = Scratch::new(&app, "refuse");
    let file = tmp.0.join("aliases.csv");
    std::fs::write(
        &file,
        format!(
            "company,person,model,project,name,kind,source,quote\n\
             Nvidia,,,,Jensen Co,COMMON_NAME,ai-capex-spending-spree,\"{quote}\"\n"
        ),
    )
    .expect("write");
    let err = import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect_err("a CSV alias whose quote does not use it");
    let text = err.to_string();
    assert!(text.contains("line 2") && text.contains(plain), "{text}");

    // A mutation.
    let ids = app
        .data(r#"{ c: companyByName(name: "Nvidia") { id } s: sources { nodes { id } } }"#)
        .await;
    let error = app
        .write_error(
            ADD,
            json!({ "input": {
                "subjectId": ids["c"]["id"], "name": "Jensen Co", "kind": "COMMON_NAME",
                "sourceId": ids["s"]["nodes"][0]["id"], "quote": quote,
            } }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["field"], "input.quote", "{error}");
    assert!(error.to_string().contains(message), "{error}");

    // A quote without its source, and a row type without aliases.
    let error = app
        .write_error(
            ADD,
            json!({ "input": { "subjectId": ids["c"]["id"], "name": "Nvidia", "kind": "SHORT_NAME", "quote": quote } }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    let claim = app.data(r#"{ claimByRef(ref: "C1") { id } }"#).await;
    let error = app
        .write_error(
            ADD,
            json!({ "input": { "subjectId": claim["claimByRef"]["id"], "name": "X", "kind": "SHORT_NAME" } }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(app.row_counts().await, before, "a refused write left rows");
}

async fn export_and_import_round_trip_aliases(app: TestApp) {
    let tmp = Scratch::new(&app, "roundtrip");
    let dir = tmp.0.join("csv");
    let file = tmp.0.join("all.json");
    export(&app.db, &dir).await.expect("export csv");
    export(&app.db, &file).await.expect("export json");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(&file).expect("read")).expect("json");
    assert_eq!(
        json["aliases"].as_array().map(Vec::len),
        Some(4),
        "{}",
        json["aliases"]
    );
    let aliases = || async {
        app.data("{ companies { nodes { name aliases { name kind quote source { key } } } } people { nodes { name aliases { name kind quote } } } }")
            .await
    };
    let expected = aliases().await;
    for files in [vec![file.clone()], {
        let mut f: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("dir")
            .map(|e| e.expect("entry").path())
            .collect();
        f.sort();
        f
    }] {
        for table in TABLES.iter().rev() {
            sea_orm::ConnectionTrait::execute_unprepared(
                &app.db,
                &format!("DELETE FROM \"{table}\""),
            )
            .await
            .expect("delete");
        }
        assert!(
            search(&app, "Meta", "").await.is_empty(),
            "the index follows deletes"
        );
        import(&app.db, &files, false).await.expect("import");
        assert_eq!(aliases().await, expected);
        let hits = search(&app, "AWS", "").await;
        assert_eq!(hits[0]["node"]["name"], "Amazon Web Services");
    }
}

/// The aliases of every company of a page, and their sources, are loaded for the whole
/// page at once: the same statements for all companies as for one.
async fn aliases_of_a_whole_list_load_in_one_statement(app: TestApp) {
    let statements = |query: &'static str| {
        let app = &app;
        async move {
            app.take_statement_count();
            let data = app.data(query).await;
            (app.take_statement_count(), data)
        }
    };
    let (one, single) = statements(
        r#"{ companies(first: 1, filter: { ticker: { eq: "META" } }) { nodes { aliases { name source { key } } } } }"#,
    )
    .await;
    let (all, page) = statements(
        r#"{ companies(first: 100) { nodes { name aliases { name source { key } } } }
             people(first: 100) { nodes { aliases { name } } } }"#,
    )
    .await;
    assert_eq!(
        single["companies"]["nodes"][0]["aliases"][0]["name"], "Meta",
        "{single}"
    );
    let with_aliases = page["companies"]["nodes"]
        .as_array()
        .expect("companies")
        .iter()
        .filter(|c| c["aliases"].as_array().is_some_and(|a| !a.is_empty()))
        .count();
    assert_eq!(
        with_aliases, 2,
        "Meta Platforms and Amazon Web Services: {page}"
    );
    // Companies, their aliases, the aliases' sources; then people and their aliases.
    assert_eq!(one, 3, "one company");
    assert_eq!(all, 5, "every company and person");
}
