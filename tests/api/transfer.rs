//! Import and export: all or nothing, idempotent, and export -> import reproduces the
//! database exactly.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use capex_graph::transfer::{
    export::export,
    import::{import, import_with},
};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{TABLES, TestApp};
use crate::on_both_engines;

on_both_engines!(
    an_exported_database_imported_into_an_empty_one_is_reproduced_exactly,
    importing_an_export_again_changes_nothing,
    a_bad_csv_line_names_file_line_and_column_and_changes_nothing,
    a_bad_json_record_names_file_and_record_and_changes_nothing,
    an_investment_on_several_lines_gets_each_citation_once,
    a_csv_text_over_its_limit_or_a_duplicate_key_is_named,
    a_json_file_read_as_a_stream_reproduces_the_database_exactly,
    a_streamed_json_file_names_a_bad_record_by_its_index_in_the_whole_file,
    a_streamed_json_file_must_follow_the_export_order,
    a_nul_character_in_a_csv_field_is_refused_by_file_line_and_column,
    a_nul_character_in_a_json_record_is_refused_by_file_and_record,
    a_nul_character_in_a_loaded_dataset_is_refused_and_changes_nothing,
    every_write_path_refuses_what_the_others_refuse,
    a_bad_note_or_share_line_names_file_line_and_column_and_changes_nothing,
);

/// A scratch directory of one test, removed when the test ends (even by a panic).
struct Scratch(PathBuf);

impl Scratch {
    fn new(app: &TestApp) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "capex-transfer-{}-{}-{:?}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            app.engine
        ));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn csv_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files
}

fn read_all(dir: &Path) -> Vec<(PathBuf, String)> {
    csv_files(dir)
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read");
            (PathBuf::from(p.file_name().expect("name")), text)
        })
        .collect()
}

async fn wipe(app: &TestApp) {
    for table in TABLES.iter().rev() {
        app.db
            .execute_unprepared(&format!("DELETE FROM \"{table}\""))
            .await
            .expect("delete");
    }
    assert!(app.row_counts().await.iter().all(|(_, n)| *n == 0));
}

/// Rows written by mutations that point forward (a child company created before its
/// parent), so that import has to link after loading.
async fn add_forward_links(app: &TestApp) {
    let data = app
        .write(
            "mutation($c: CompanyInput!) { createCompany(input: $c) { id } }",
            json!({ "c": { "name": "Child Co", "kind": "SUBSIDIARY" } }),
        )
        .await;
    let child = data["createCompany"]["id"].clone();
    let data = app
        .write(
            "mutation($c: CompanyInput!) { createCompany(input: $c) { id } }",
            json!({ "c": { "name": "Parent Co", "kind": "OTHER" } }),
        )
        .await;
    let parent = data["createCompany"]["id"].clone();
    app.write(
        "mutation($id: ID!, $c: CompanyInput!) { updateCompany(id: $id, input: $c) { id } }",
        json!({ "id": child, "c": { "name": "Child Co", "kind": "SUBSIDIARY", "parentId": parent } }),
    )
    .await;
}

async fn an_exported_database_imported_into_an_empty_one_is_reproduced_exactly(app: TestApp) {
    let tmp = Scratch::new(&app);
    add_forward_links(&app).await;
    let counts = app.row_counts().await;
    let dir = tmp.path("csv");
    let file = tmp.path("all.json");
    export(&app.db, &dir).await.expect("export csv");
    export(&app.db, &file).await.expect("export json");

    let notes_of_figures = || async {
        app.data("{ spendingFigures { nodes { ref provenance { field basis qualifier words derivation derivedFrom { type key field } reason } shares { part fractionLow lowExclusive qualifier provenance { basis words } } } } }")
            .await
    };
    let notes = notes_of_figures().await;
    assert!(
        notes.to_string().contains("more than $100 billion"),
        "{notes}"
    );
    wipe(&app).await;
    import(&app.db, &csv_files(&dir), false)
        .await
        .expect("import csv");
    // The CSV files carry the provenance notes and the shares too: all comes back.
    assert_eq!(app.row_counts().await, counts);
    assert_eq!(notes_of_figures().await, notes, "CSV provenance differs");
    let provenance = std::fs::read_to_string(dir.join("provenance.csv")).expect("notes");
    assert!(
        provenance.contains("SpendingFigure,F2,amount,DERIVED,MORE_THAN,more than $100 billion"),
        "{provenance}"
    );
    let shares = std::fs::read_to_string(dir.join("figure_shares.csv")).expect("shares");
    assert!(shares.lines().count() > 1, "{shares}");
    let again = tmp.path("csv-again");
    export(&app.db, &again).await.expect("export again");
    assert_eq!(read_all(&again), read_all(&dir), "CSV round trip differs");

    import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect("import json over the CSV import");
    let notes = notes_of_figures().await;
    assert!(
        notes.to_string().contains("more than $100 billion"),
        "{notes}"
    );
    wipe(&app).await;
    import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect("import json");
    assert_eq!(app.row_counts().await, counts);
    assert_eq!(
        notes_of_figures().await,
        notes,
        "provenance round trip differs"
    );
    let file_again = tmp.path("again.json");
    export(&app.db, &file_again)
        .await
        .expect("export json again");
    assert_eq!(
        std::fs::read_to_string(&file_again).expect("json"),
        std::fs::read_to_string(&file).expect("json"),
        "JSON round trip differs"
    );
    let data = app
        .data("{ companyByName(name: \"Child Co\") { parent { name } } }")
        .await;
    assert_eq!(data["companyByName"]["parent"]["name"], "Parent Co");
}

async fn importing_an_export_again_changes_nothing(app: TestApp) {
    let tmp = Scratch::new(&app);
    let dir = tmp.path("csv");
    let file = tmp.path("all.json");
    export(&app.db, &dir).await.expect("export");
    export(&app.db, &file).await.expect("export");
    let before = app.snapshot().await;
    let report = import(&app.db, &csv_files(&dir), false)
        .await
        .expect("import");
    assert_eq!(report.inserted, 0, "{report}");
    let report = import(&app.db, &[file], false).await.expect("import");
    assert_eq!(report.inserted, 0, "{report}");
    assert!(app.snapshot().await == before, "re-import changed rows");
}

async fn a_bad_csv_line_names_file_line_and_column_and_changes_nothing(app: TestApp) {
    let tmp = Scratch::new(&app);
    let dir = tmp.path("bad");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("companies.csv"),
        "name,ticker,kind,country,headquarters,parent,founded_by_alumni_of,description,source,quote\n\
         Newco,,STARTUP,,,,,,,\n",
    )
    .expect("write");
    let investments = dir.join("investments.csv");
    std::fs::write(
        &investments,
        "ref,investor,investee,amount,currency,made,made_precision,description,source,quote\n\
         X1,Amazon,Newco,5.00,USD,,,,ai-capex-spending-spree,\"Amazon has introduced a number of new AI-based products and invested heavily in Anthropic, a startup founded by ex-OpenAI staffers.\"\n\
         X2,Amazon,Newco,5.00,XYZ,,,,ai-capex-spending-spree,\"Amazon has introduced a number of new AI-based products and invested heavily in Anthropic, a startup founded by ex-OpenAI staffers.\"\n",
    )
    .expect("write");
    let before = app.snapshot().await;
    let err = import(&app.db, &csv_files(&dir), false)
        .await
        .expect_err("XYZ is no currency");
    assert_eq!(err.code(), "BAD_USER_INPUT");
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "{}: line 3, column currency",
            investments.display()
        )),
        "{text}"
    );
    assert!(app.snapshot().await == before, "a refused import left rows");

    std::fs::write(
        &investments,
        "ref,investor,investee,amount,currency,made,made_precision,description,source,quote\n\
         X1,Amazon,Newco,5.00,USD,2025-01-15,MONTH,,ai-capex-spending-spree,\"Amazon has introduced a number of new AI-based products and invested heavily in Anthropic, a startup founded by ex-OpenAI staffers.\"\n",
    )
    .expect("write");
    let err = import(&app.db, &csv_files(&dir), false)
        .await
        .expect_err("a MONTH date on the 15th");
    assert!(err.to_string().contains("line 2, column made"), "{err}");
    assert!(app.snapshot().await == before);
}

async fn a_bad_json_record_names_file_and_record_and_changes_nothing(app: TestApp) {
    let tmp = Scratch::new(&app);
    let file = tmp.path("bad.json");
    std::fs::write(
        &file,
        json!({
            "companies": [{ "name": "Newco", "kind": "STARTUP" }],
            "investments": [{ "ref": "X1", "investor": "Amazon", "investee": "Newco",
                              "citations": [{ "source": "ai-capex-spending-spree", "quote": "Not in the article." }] }]
        })
        .to_string(),
    )
    .expect("write");
    let before = app.snapshot().await;
    let err = import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect_err("the quote is not in the article");
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "{}: investments[0].citations[0].quote",
            file.display()
        )),
        "{text}"
    );
    assert!(app.snapshot().await == before);
}

async fn an_investment_on_several_lines_gets_each_citation_once(app: TestApp) {
    let tmp = Scratch::new(&app);
    let dir = tmp.path("multi");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("investments.csv");
    let header =
        "ref,investor,investee,amount,currency,made,made_precision,description,source,quote\n";
    let first = "X1,Amazon,Anthropic,5.00,USD,2025-01-01,MONTH,,ai-capex-spending-spree,\"Amazon has introduced a number of new AI-based products and invested heavily in Anthropic, a startup founded by ex-OpenAI staffers.\"\n";
    let second = "X1,Amazon,Anthropic,5.00,USD,2025-01-01,MONTH,,ai-capex-spending-spree,That cash would be doled out over the next four years.\n";
    std::fs::write(&file, format!("{header}{first}{second}")).expect("write");
    let report = import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect("import");
    assert_eq!((report.inserted, report.matched), (3, 1), "{report}");
    let after = app.snapshot().await;
    let report = import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect("import");
    assert_eq!(report.inserted, 0, "{report}");
    assert!(app.snapshot().await == after);
    let data = app
        .data("{ companyByName(name: \"Anthropic\") { investmentsReceived { nodes { ref amount { amount } citations { totalCount } } } } }")
        .await;
    let nodes = &data["companyByName"]["investmentsReceived"]["nodes"];
    assert_eq!(nodes[1]["ref"], "X1", "{data}");
    assert_eq!(nodes[1]["citations"]["totalCount"], 2, "{data}");

    let third = "X2,Amazon,Anthropic,,,,,,,\n";
    std::fs::write(&file, format!("{header}{third}")).expect("write");
    let err = import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect_err("a fact without citation");
    assert!(err.to_string().contains("line 2, column source"), "{err}");
    assert!(app.snapshot().await == after);
}

async fn a_csv_text_over_its_limit_or_a_duplicate_key_is_named(app: TestApp) {
    let tmp = Scratch::new(&app);
    let dir = tmp.path("limits");
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("companies.csv");
    let header = "name,ticker,kind,country,headquarters,parent,founded_by_alumni_of,description,source,quote\n";
    let before = app.snapshot().await;
    std::fs::write(
        &file,
        format!(
            "{header}Newco,,STARTUP,,,,,,,\n{},,STARTUP,,,,,,,\n",
            "x".repeat(201)
        ),
    )
    .expect("write");
    let err = import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect_err("a name of 201 characters");
    assert_eq!(err.code(), "BAD_USER_INPUT");
    assert!(err.to_string().contains("line 3, column name"), "{err}");
    assert!(app.snapshot().await == before);

    std::fs::write(&file, format!("{header}Newco,AMZN,STARTUP,,,,,,,\n")).expect("write");
    let err = import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect_err("Amazon has the ticker AMZN");
    assert_eq!(err.code(), "BAD_USER_INPUT", "{err}");
    assert!(err.to_string().contains("line 2"), "{err}");
    assert!(app.snapshot().await == before);
}

async fn a_json_file_read_as_a_stream_reproduces_the_database_exactly(app: TestApp) {
    let tmp = Scratch::new(&app);
    add_forward_links(&app).await;
    let counts = app.row_counts().await;
    let file = tmp.path("all.json");
    export(&app.db, &file).await.expect("export json");
    wipe(&app).await;
    // Threshold 0: every JSON file is streamed, a thousand records at a time.
    let report = import_with(&app.db, std::slice::from_ref(&file), false, 0)
        .await
        .expect("streamed import");
    assert!(report.records > 0);
    assert_eq!(app.row_counts().await, counts);
    let again = tmp.path("again.json");
    export(&app.db, &again).await.expect("export again");
    assert_eq!(
        std::fs::read_to_string(&again).expect("json"),
        std::fs::read_to_string(&file).expect("json"),
        "streamed JSON round trip differs"
    );
    let data = app
        .data("{ companyByName(name: \"Child Co\") { parent { name } } }")
        .await;
    assert_eq!(data["companyByName"]["parent"]["name"], "Parent Co");
    // Streaming the same file again matches every row and changes nothing.
    let before = app.snapshot().await;
    let report = import_with(&app.db, std::slice::from_ref(&file), false, 0)
        .await
        .expect("streamed import again");
    assert_eq!(report.inserted, 0);
    assert!(app.snapshot().await == before);
}

async fn a_streamed_json_file_names_a_bad_record_by_its_index_in_the_whole_file(app: TestApp) {
    let tmp = Scratch::new(&app);
    let companies: Vec<_> = (0..2500)
        .map(|i| {
            let name = if i == 2345 {
                String::new()
            } else {
                format!("Streamed {i:04}")
            };
            json!({ "name": name, "kind": "STARTUP" })
        })
        .collect();
    let file = tmp.path("many.json");
    std::fs::write(&file, json!({ "companies": companies }).to_string()).expect("write");
    let before = app.snapshot().await;
    let err = import_with(&app.db, std::slice::from_ref(&file), false, 0)
        .await
        .expect_err("an empty name");
    let text = err.to_string();
    assert!(
        text.contains(&format!("{}: companies[2345].name", file.display())),
        "{text}"
    );
    assert!(
        app.snapshot().await == before,
        "the first 2,000 were rolled back"
    );

    // A syntax error deep in the file names its line and column.
    std::fs::write(
        &file,
        "{\"companies\": [\n{\"name\": \"A\", \"kind\": \"STARTUP\"},\n{\"name\": }]}",
    )
    .expect("write");
    let err = import_with(&app.db, std::slice::from_ref(&file), false, 0)
        .await
        .expect_err("bad JSON");
    assert!(err.to_string().contains("line 3"), "{err}");
    assert!(app.snapshot().await == before);
}

async fn a_streamed_json_file_must_follow_the_export_order(app: TestApp) {
    let tmp = Scratch::new(&app);
    let file = tmp.path("unordered.json");
    // Written by hand: serde_json's maps would sort the keys.
    std::fs::write(
        &file,
        r#"{ "investments": [], "companies": [{ "name": "Late Co", "kind": "STARTUP" }] }"#,
    )
    .expect("write");
    let before = app.snapshot().await;
    let err = import_with(&app.db, std::slice::from_ref(&file), false, 0)
        .await
        .expect_err("sections out of order");
    assert!(err.to_string().contains("must be in the order"), "{err}");
    assert!(app.snapshot().await == before);
    // Below the threshold, the same file is read whole and any order is fine.
    import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect("a small file in any order");
    let data = app
        .data("{ companyByName(name: \"Late Co\") { name } }")
        .await;
    assert_eq!(data["companyByName"]["name"], "Late Co");
}

/// PostgreSQL cannot store U+0000 in text and SQLite can: both engines refuse it alike,
/// naming where it is, before anything is written.
async fn a_nul_character_in_a_csv_field_is_refused_by_file_line_and_column(app: TestApp) {
    let tmp = Scratch::new(&app);
    let dir = tmp.path("nul");
    std::fs::create_dir_all(&dir).expect("dir");
    let companies = dir.join("companies.csv");
    std::fs::write(
        &companies,
        "name,ticker,kind,country,headquarters,parent,founded_by_alumni_of,description,source,quote\n\
         Newco,,STARTUP,,,,,,,\n\
         Nulco,,STARTUP,,,,,bad\0text,,\n",
    )
    .expect("write");
    let before = app.snapshot().await;
    let err = import(&app.db, &csv_files(&dir), false)
        .await
        .expect_err("a NUL in a field");
    assert_eq!(err.code(), "BAD_USER_INPUT");
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "{}: line 3, column description",
            companies.display()
        )) && text.contains("U+0000"),
        "{text}"
    );
    assert!(app.snapshot().await == before, "a refused import left rows");

    // Investments take the batched path: refused the same way.
    std::fs::remove_file(&companies).expect("remove");
    let investments = dir.join("investments.csv");
    std::fs::write(
        &investments,
        "ref,investor,investee,amount,currency,made,made_precision,description,source,quote\n\
         X\0-1,Amazon,Anthropic,5.00,USD,,,,,\n",
    )
    .expect("write");
    let err = import(&app.db, &csv_files(&dir), false)
        .await
        .expect_err("a NUL in a ref");
    let text = err.to_string();
    assert!(
        text.contains(&format!("{}: line 2, column ref", investments.display())),
        "{text}"
    );
    assert!(app.snapshot().await == before, "a refused import left rows");
}

async fn a_nul_character_in_a_json_record_is_refused_by_file_and_record(app: TestApp) {
    let tmp = Scratch::new(&app);
    let file = tmp.path("nul.json");
    std::fs::write(
        &file,
        json!({
            "companies": [
                { "name": "Newco", "kind": "STARTUP" },
                { "name": "Nul\u{0}co", "kind": "STARTUP" }
            ]
        })
        .to_string(),
    )
    .expect("write");
    let before = app.snapshot().await;
    for stream_above in [u64::MAX, 0] {
        let err = import_with(&app.db, std::slice::from_ref(&file), false, stream_above)
            .await
            .expect_err("a NUL in a name");
        assert_eq!(err.code(), "BAD_USER_INPUT");
        let text = err.to_string();
        assert!(
            text.contains(&format!("{}: companies[1].name", file.display()))
                && text.contains("U+0000"),
            "streamed above {stream_above}: {text}"
        );
        assert!(app.snapshot().await == before, "a refused import left rows");
    }
}

/// The loader behind `seed` and `importDataset`.
async fn a_nul_character_in_a_loaded_dataset_is_refused_and_changes_nothing(app: TestApp) {
    let dataset = capex_graph::dataset::Dataset::parse(
        &json!({
            "sources": [{ "key": "nul-source", "title": "A title", "content": "Text\u{0}more." }],
            "companies": [{ "name": "Newco", "kind": "STARTUP" }]
        })
        .to_string(),
        "inline",
    )
    .expect("parses");
    let before = app.snapshot().await;
    let err = capex_graph::dataset::load(&app.db, &dataset)
        .await
        .expect_err("a NUL in a source's text");
    assert_eq!(err.code(), "BAD_USER_INPUT");
    let text = err.to_string();
    assert!(text.contains("sources[0].content"), "{text}");
    assert!(app.snapshot().await == before, "a refused load left rows");
}

/// The domain's rules are one module: a rule that once held for mutations alone (a
/// description of at most 5,000 characters; a low end not above the high end) holds for a
/// dataset, a CSV file and a mutation alike, each naming the field as its client wrote it.
async fn every_write_path_refuses_what_the_others_refuse(app: TestApp) {
    const QUOTE: &str = "Amazon has introduced a number of new AI-based products and invested heavily in Anthropic, a startup founded by ex-OpenAI staffers.";
    let long = "d".repeat(5001);
    let too_long = "5001 characters: at most 5000";
    let before = app.snapshot().await;

    // A dataset (seed, importDataset, JSON import).
    let mut data = capex_graph::dataset::Dataset::default();
    data.investments.push(capex_graph::dataset::InvestmentRec {
        r#ref: "X1".into(),
        investor: "Amazon".into(),
        investee: "Anthropic".into(),
        amount: None,
        made: None,
        description: Some(long.clone()),
        provenance: None,
        citations: vec![capex_graph::dataset::CitationRec {
            source: "ai-capex-spending-spree".into(),
            quote: QUOTE.into(),
        }],
    });
    let err = capex_graph::dataset::load(&app.db, &data)
        .await
        .expect_err("a description of 5001 characters in a dataset");
    assert_eq!(err.code(), "BAD_USER_INPUT");
    let text = err.to_string();
    assert!(
        text.contains("investments[0].description") && text.contains(too_long),
        "{text}"
    );

    // A CSV file, through the batched path for investments.
    let tmp = Scratch::new(&app);
    let file = tmp.path("investments.csv");
    std::fs::write(
        &file,
        format!(
            "ref,investor,investee,amount,currency,made,made_precision,description,source,quote\n\
             X1,Amazon,Anthropic,,,,,{long},ai-capex-spending-spree,\"{QUOTE}\"\n"
        ),
    )
    .expect("write");
    let err = import(&app.db, std::slice::from_ref(&file), false)
        .await
        .expect_err("a description of 5001 characters in a CSV line");
    let text = err.to_string();
    assert!(
        text.contains("line 2, column description") && text.contains(too_long),
        "{text}"
    );

    // A mutation.
    let ids = app
        .data("{ a: companyByName(name: \"Amazon\") { id } b: companyByName(name: \"Anthropic\") { id } s: sources { nodes { id } } }")
        .await;
    let error = app
        .write_error(
            "mutation($input: InvestmentInput!) { createInvestment(input: $input) { id } }",
            json!({ "input": {
                "ref": "X1",
                "investorId": ids["a"]["id"],
                "investeeId": ids["b"]["id"],
                "description": long,
                "citations": [{ "sourceId": ids["s"]["nodes"][0]["id"], "quote": QUOTE }],
            } }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["field"], "input.description", "{error}");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains(too_long)),
        "{error}"
    );
    assert!(app.snapshot().await == before, "a refused write left rows");
}

async fn a_bad_note_or_share_line_names_file_line_and_column_and_changes_nothing(app: TestApp) {
    let tmp = Scratch::new(&app);
    let notes = tmp.path("provenance.csv");
    let shares = tmp.path("figure_shares.csv");
    let note_header = "type,key,field,basis,qualifier,words,derivation,reason,derived_from_type,derived_from_key,derived_from_field";
    let share_header = "spending_figure,part,fraction_low,low_exclusive,fraction_high,high_exclusive,basis,qualifier,words,derivation,reason,derived_from_type,derived_from_key,derived_from_field";
    let derived = "SpendingFigure,F1,stated,DERIVED,,,From the article's date.,,Source,ai-capex-spending-spree,published";
    let cases = [
        (&notes, "SpendingFigure,F1,amount,STATED,,$99 billion,,,,,".to_string(), "line 2, column words"),
        (&notes, "SpendingFigure,F9,amount,STATED,,,,,,,".to_string(), "line 2, column key"),
        (&notes, "Company,Amazon,amount,STATED,,,,,,,".to_string(), "line 2, column type"),
        (&notes, "SpendingFigure,F1,made,STATED,,,,,,,".to_string(), "line 2, column field"),
        (&notes, "SpendingFigure,F1,amount,SAID,,,,,,,".to_string(), "line 2, column basis"),
        (&notes, "SpendingFigure,F1,amount,STATED,LATE,$26.3 billion,,,,,".to_string(), "line 2, column qualifier"),
        (
            &notes,
            format!("{derived}\nSpendingFigure,F1,stated,DERIVED,,,From the article's date.,,SpendingFigure,F-none,amount"),
            "line 3, column derived_from_key",
        ),
        (
            &notes,
            format!("{derived}\nSpendingFigure,F1,stated,DERIVED,,,Another derivation.,,SpendingFigure,F1,amount"),
            "line 3, column derivation",
        ),
        (
            &notes,
            format!("{derived}\nSpendingFigure,F1,stated,DERIVED,,,From the article's date.,,SpendingFigure,F1,expectation"),
            "line 3, column derived_from_field",
        ),
        (
            &notes,
            "SpendingFigure,F1,amount,STATED,,$26.3 billion,,,,,\nSpendingFigure,F2,amount,STATED,,,,,,,\nSpendingFigure,F1,period,STATED,,,,,,,".to_string(),
            "line 4",
        ),
        (&shares, "F3,in the U.S.,1.5,false,,false,STATED,,,,,,,".to_string(), "line 2, column fraction_low"),
        (&shares, "F3,in the U.S.,0.5,true,,false,STATED,,Less than half,,,,,".to_string(), "line 2, column words"),
        (&shares, "F9,in the U.S.,0.5,true,,false,STATED,,,,,,,".to_string(), "line 2, column spending_figure"),
    ];
    let before = app.snapshot().await;
    for (file, lines, place) in cases {
        let header = if *file == notes {
            note_header
        } else {
            share_header
        };
        std::fs::write(file, format!("{header}\n{lines}\n")).expect("write");
        let err = import(&app.db, std::slice::from_ref(file), false)
            .await
            .expect_err(&lines);
        assert_eq!(err.code(), "BAD_USER_INPUT", "{lines}: {err}");
        let text = err.to_string();
        assert!(
            text.contains(&format!("{}: {place}", file.display())),
            "{lines}: {text}"
        );
        assert!(
            app.snapshot().await == before,
            "a refused import changed rows: {lines}"
        );
        std::fs::remove_file(file).expect("remove");
    }
    // A good line replaces the row's notes, and only that row's.
    std::fs::write(
        &notes,
        format!("{note_header}\nSpendingFigure,F1,amount,STATED,,$26.3 billion,,,,,\n"),
    )
    .expect("write");
    import(&app.db, std::slice::from_ref(&notes), false)
        .await
        .expect("a good line");
    let data = app
        .data(r#"{ f1: spendingFigureByRef(ref: "F1") { provenance { field basis } } f2: spendingFigureByRef(ref: "F2") { provenance { field basis } } }"#)
        .await;
    let basis = |f: &str, field: &str| {
        data[f]["provenance"]
            .as_array()
            .expect("notes")
            .iter()
            .find(|n| n["field"] == field)
            .map(|n| n["basis"].clone())
    };
    assert_eq!(
        basis("f1", "period.start"),
        Some(json!("STATED")),
        "F1's other notes are replaced"
    );
    assert_eq!(
        basis("f2", "amount"),
        Some(json!("DERIVED")),
        "F2 keeps its notes"
    );
}
