//! The synthetic graph generator: exact counts, every constraint held, the same rows from
//! the same seed on every engine, a realistic shape, and GraphQL over the generated rows.

use std::collections::{HashMap, HashSet};

use capex_graph::dataset::{self, Dataset};
use capex_graph::generate::{GenerateOptions, GenerateReport, generate};
use chrono::Datelike;
use entity::enums::{ClaimStatus, CompanyKind, DatePrecision};
use entity::{ai_model, citation, claim, claim_challenge, company, investment, person, source};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, Statement,
};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_engines;

on_both_engines!(
    a_small_graph_has_exactly_the_rows_asked_for_and_keeps_every_rule,
    the_same_seed_gives_the_same_rows_on_every_engine,
    generated_rows_answer_graphql_queries,
    a_second_run_is_refused_and_changes_nothing,
    rows_inserted_after_a_run_get_fresh_ids,
    a_larger_graph_has_a_realistic_shape,
);

fn small(seed: u64) -> GenerateOptions {
    GenerateOptions {
        companies: 60,
        investments: 300,
        models: 80,
        claims: 120,
        seed,
        progress: false,
    }
}

async fn run(db: &DatabaseConnection, options: &GenerateOptions) -> GenerateReport {
    generate(db, options).await.expect("generate")
}

/// A fresh in-memory SQLite database holding the built-in dataset, like the test's own.
async fn fresh_sqlite() -> DatabaseConnection {
    let db = capex_graph::db::connect("sqlite::memory:", false)
        .await
        .expect("connect");
    capex_graph::db::migrate(&db).await.expect("migrate");
    dataset::load(&db, &Dataset::builtin().expect("built-in dataset"))
        .await
        .expect("load the built-in dataset");
    db
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("one row");
    row.try_get("", "n").expect("count")
}

/// Every row of the tables the generator writes, in id order, all columns.
#[derive(Debug, PartialEq)]
struct Snapshot {
    sources: Vec<source::Model>,
    companies: Vec<company::Model>,
    people: Vec<person::Model>,
    models: Vec<ai_model::Model>,
    investments: Vec<investment::Model>,
    claims: Vec<claim::Model>,
    challenges: Vec<claim_challenge::Model>,
    citations: Vec<citation::Model>,
}

async fn snapshot(db: &DatabaseConnection) -> Snapshot {
    Snapshot {
        sources: source::Entity::find()
            .order_by_asc(source::Column::Id)
            .all(db)
            .await
            .expect("sources"),
        companies: company::Entity::find()
            .order_by_asc(company::Column::Id)
            .all(db)
            .await
            .expect("companies"),
        people: person::Entity::find()
            .order_by_asc(person::Column::Id)
            .all(db)
            .await
            .expect("people"),
        models: ai_model::Entity::find()
            .order_by_asc(ai_model::Column::Id)
            .all(db)
            .await
            .expect("models"),
        investments: investment::Entity::find()
            .order_by_asc(investment::Column::Id)
            .all(db)
            .await
            .expect("investments"),
        claims: claim::Entity::find()
            .order_by_asc(claim::Column::Id)
            .all(db)
            .await
            .expect("claims"),
        challenges: claim_challenge::Entity::find()
            .order_by_asc(claim_challenge::Column::Id)
            .all(db)
            .await
            .expect("challenges"),
        citations: citation::Entity::find()
            .order_by_asc(citation::Column::Id)
            .all(db)
            .await
            .expect("citations"),
    }
}

fn generated_companies(s: &Snapshot) -> Vec<&company::Model> {
    s.companies
        .iter()
        .filter(|c| c.name.starts_with("Gen "))
        .collect()
}

fn generated_investments(s: &Snapshot) -> Vec<&investment::Model> {
    s.investments
        .iter()
        .filter(|i| i.reference.as_deref().is_some_and(|r| r.starts_with("GI")))
        .collect()
}

fn generated_claims(s: &Snapshot) -> Vec<&claim::Model> {
    s.claims
        .iter()
        .filter(|c| c.reference.as_deref().is_some_and(|r| r.starts_with("GC")))
        .collect()
}

/// The rule of the dataset loader that the schema cannot state: a date known to the month,
/// quarter or year is the first day of that span.
fn starts_its_span(date: chrono::NaiveDate, precision: DatePrecision) -> bool {
    match precision {
        DatePrecision::Day => true,
        DatePrecision::Month => date.day() == 1,
        DatePrecision::Quarter => date.day() == 1 && date.month0().is_multiple_of(3),
        DatePrecision::Year => date.day() == 1 && date.month() == 1,
    }
}

async fn a_small_graph_has_exactly_the_rows_asked_for_and_keeps_every_rule(app: TestApp) {
    let before: HashMap<String, i64> = app.row_counts().await.into_iter().collect();
    let report = run(&app.db, &small(7)).await;
    let after: HashMap<String, i64> = app.row_counts().await.into_iter().collect();
    let challenges = report.count("claim_challenge");
    assert!(
        challenges > 0,
        "120 claims and not one challenged: {report:?}"
    );
    let expected: HashMap<&str, usize> = [
        ("source", 1),
        ("company", 60),
        ("person", 12),
        ("ai_model", 80),
        ("investment", 300),
        ("claim", 120),
        ("claim_challenge", challenges),
        ("citation", 300 + 120 + challenges),
    ]
    .into_iter()
    .collect();
    for (table, n) in &after {
        let added = (n - before[table]) as usize;
        assert_eq!(
            added,
            expected.get(table.as_str()).copied().unwrap_or(0),
            "rows added to {table}"
        );
        assert_eq!(report.count(table), added, "report for {table}");
    }
    assert_eq!(report.rows, expected.values().sum::<usize>());

    if app.engine == crate::helpers::Engine::Sqlite {
        // The inserts only prove the foreign keys when SQLite enforces them.
        assert_eq!(
            count(&app.db, "SELECT foreign_keys AS n FROM pragma_foreign_keys").await,
            1
        );
        assert_eq!(
            count(
                &app.db,
                "SELECT COUNT(*) AS n FROM pragma_foreign_key_check"
            )
            .await,
            0
        );
    }
    // Exactly one citation of the generated source for every generated fact, and no other.
    let generated_source = "(SELECT id FROM source WHERE key = 'generated')";
    for (table, column) in [
        ("investment", "investment_id"),
        ("claim", "claim_id"),
        ("claim_challenge", "claim_challenge_id"),
    ] {
        let cited_once = count(
            &app.db,
            &format!(
                "SELECT COUNT(*) AS n FROM \"{table}\" t WHERE (SELECT COUNT(*) FROM citation c \
                 WHERE c.{column} = t.id AND c.source_id = {generated_source}) = 1"
            ),
        )
        .await;
        assert_eq!(cited_once as usize, report.count(table), "{table}");
    }
    assert_eq!(
        count(
            &app.db,
            &format!("SELECT COUNT(*) AS n FROM citation WHERE source_id = {generated_source}")
        )
        .await as usize,
        expected["citation"]
    );

    let s = snapshot(&app.db).await;
    let generated = generated_companies(&s);
    assert_eq!(generated.len(), 60);
    let names: HashSet<&str> = generated.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), 60);
    for c in &generated {
        if let Some(t) = &c.ticker {
            assert!(
                t.len() == 6 && t.starts_with('G') && t[1..].bytes().all(|b| b.is_ascii_digit()),
                "{t}"
            );
        }
        assert_eq!(
            c.kind == CompanyKind::Subsidiary,
            c.parent_id.is_some(),
            "{c:?}"
        );
    }
    for i in generated_investments(&s) {
        assert_ne!(i.investor_id, i.investee_id);
        assert_eq!(i.amount_minor.is_some(), i.currency.is_some(), "{i:?}");
        if let (Some(d), Some(p)) = (i.made_on, i.made_precision) {
            assert!(starts_its_span(d, p), "{i:?}");
        }
    }
    for m in &s.models {
        for (d, p) in [
            (m.announced_on, m.announced_precision),
            (m.expected_on, m.expected_precision),
        ] {
            assert_eq!(d.is_some(), p.is_some(), "{m:?}");
            if let (Some(d), Some(p)) = (d, p) {
                assert!(starts_its_span(d, p), "{m:?}");
            }
        }
    }
    for c in generated_claims(&s) {
        if let (Some(d), Some(p)) = (c.made_on, c.made_precision) {
            assert!(starts_its_span(d, p), "{c:?}");
        }
        let challenged = s.challenges.iter().filter(|x| x.claim_id == c.id).count();
        let allowed = match c.status {
            ClaimStatus::Asserted => 0..=0,
            ClaimStatus::Verified => 0..=1,
            ClaimStatus::Disputed | ClaimStatus::Refuted => 1..=3,
        };
        assert!(allowed.contains(&challenged), "{c:?} has {challenged}");
    }
}

async fn the_same_seed_gives_the_same_rows_on_every_engine(app: TestApp) {
    run(&app.db, &small(7)).await;
    let here = snapshot(&app.db).await;

    // A second, independent database on SQLite: on a PostgreSQL run this compares engines.
    let other = fresh_sqlite().await;
    run(&other, &small(7)).await;
    let there = snapshot(&other).await;
    assert_eq!(here.investments.len(), there.investments.len());
    for (a, b) in here.investments.iter().zip(&there.investments) {
        assert_eq!(a, b);
    }
    assert!(here == there, "the same seed gave different rows");

    let third = fresh_sqlite().await;
    run(&third, &small(8)).await;
    let different = snapshot(&third).await;
    assert_eq!(different.investments.len(), here.investments.len());
    assert_ne!(
        generated_investments(&different),
        generated_investments(&here),
        "another seed gave the same investments"
    );
    // Names and ids follow the counts, not the seed.
    assert_eq!(
        generated_companies(&different)
            .iter()
            .map(|c| (c.id, c.name.as_str()))
            .collect::<Vec<_>>(),
        generated_companies(&here)
            .iter()
            .map(|c| (c.id, c.name.as_str()))
            .collect::<Vec<_>>()
    );
}

/// The largest page a connection gives.
const PAGE: usize = 100;

/// `name { selection }` as a connection's first (largest) page of nodes.
fn page(name: &str, selection: &str) -> String {
    format!("{name}(first: {PAGE}) {{ nodes {{ {selection} }} }}")
}

/// The nodes of a connection's page.
fn nodes(connection: &Value) -> Vec<Value> {
    connection["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("not a connection: {connection}"))
}

async fn generated_rows_answer_graphql_queries(app: TestApp) {
    run(&app.db, &small(7)).await;
    let s = snapshot(&app.db).await;
    let name_of: HashMap<i32, &str> = s
        .companies
        .iter()
        .map(|c| (c.id, c.name.as_str()))
        .collect();

    // The first investment, field by field against its row.
    let row = generated_investments(&s)[0].clone();
    assert_eq!(row.reference.as_deref(), Some("GI000001"));
    let data = app
        .data(&format!(
            r#"{{ investmentByRef(ref: "GI000001") {{ ref investor {{ name }} investee {{ name }}
                   amount {{ amount currency }} made {{ date precision }} {} }} }}"#,
            page("citations", "quote source { key title content }")
        ))
        .await;
    let inv = &data["investmentByRef"];
    assert_eq!(inv["investor"]["name"], name_of[&row.investor_id]);
    assert_eq!(inv["investee"]["name"], name_of[&row.investee_id]);
    match (row.amount_minor, &row.currency) {
        (Some(minor), Some(currency)) => {
            let text = capex_graph::money::format_amount(minor, currency);
            assert_eq!(
                inv["amount"],
                json!({ "amount": text, "currency": currency })
            );
        }
        _ => assert_eq!(inv["amount"], Value::Null),
    }
    match row.made_on {
        Some(d) => assert_eq!(inv["made"]["date"], d.to_string()),
        None => assert_eq!(inv["made"], Value::Null),
    }
    assert_eq!(
        nodes(&inv["citations"]),
        [json!({ "quote": "Synthetic fact GI000001.",
                 "source": { "key": "generated", "title": "Synthetic data", "content": null } })]
    );

    // The busiest generated investor (that fits one page): every investee it has, no other.
    let investments = generated_investments(&s);
    let mut made: HashMap<i32, Vec<&str>> = HashMap::new();
    for i in &investments {
        made.entry(i.investor_id)
            .or_default()
            .push(name_of[&i.investee_id]);
    }
    let (busiest, mut expected) = made
        .into_iter()
        .filter(|(_, names)| names.len() <= PAGE)
        .max_by_key(|(id, names)| (names.len(), -id))
        .expect("some investor");
    expected.sort_unstable();
    assert!(expected.len() > 1, "{expected:?}");
    let data = app
        .data_with(
            &format!(
                r#"query($name: String!) {{ companyByName(name: $name) {{ name {} }} }}"#,
                page("investmentsMade", "investee { name }")
            ),
            json!({ "name": name_of[&busiest] }),
        )
        .await;
    let mut got: Vec<String> = nodes(&data["companyByName"]["investmentsMade"])
        .iter()
        .map(|i| {
            i["investee"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    got.sort_unstable();
    assert_eq!(got, expected);

    // The first company by name, whatever it did: its default page and the full count.
    let first = s
        .companies
        .iter()
        .find(|c| c.name == "Gen Company 00001")
        .expect("first company");
    let data = app
        .data(
            r#"{ companyByName(name: "Gen Company 00001") {
                   name investmentsMade { totalCount nodes { investee { name } } } } }"#,
        )
        .await;
    let company = &data["companyByName"];
    assert_eq!(company["name"], "Gen Company 00001");
    let made_by_first = investments
        .iter()
        .filter(|i| i.investor_id == first.id)
        .count();
    assert_eq!(company["investmentsMade"]["totalCount"], made_by_first);
    assert_eq!(
        nodes(&company["investmentsMade"]).len(),
        made_by_first.min(20),
        "a default page holds 20"
    );

    // Non-ASCII names round-trip unchanged.
    let foreign = s
        .companies
        .iter()
        .find(|c| c.name.starts_with("Gen ") && !c.name.is_ascii());
    if let Some(foreign) = foreign {
        let data = app
            .data_with(
                r#"query($name: String!) { companyByName(name: $name) { name } }"#,
                json!({ "name": foreign.name }),
            )
            .await;
        assert_eq!(data["companyByName"]["name"], foreign.name.as_str());
    }

    // A challenged claim with its challenges' citations.
    let generated: HashSet<i32> = generated_claims(&s).iter().map(|c| c.id).collect();
    let challenged = s
        .challenges
        .iter()
        .find(|c| generated.contains(&c.claim_id))
        .expect("a generated challenge")
        .claim_id;
    let claim = s.claims.iter().find(|c| c.id == challenged).expect("claim");
    let reference = claim.reference.clone().expect("ref");
    let data = app
        .data_with(
            &format!(
                r#"query($ref: String!) {{ claimByRef(ref: $ref) {{ statement {} {} }} }}"#,
                page(
                    "challenges",
                    &format!("description {}", page("citations", "quote"))
                ),
                page("citations", "quote")
            ),
            json!({ "ref": reference }),
        )
        .await;
    let c = &data["claimByRef"];
    assert_eq!(c["statement"], claim.statement.as_str());
    let quotes = |v: &Value| -> Vec<String> {
        nodes(v)
            .iter()
            .map(|x| x["quote"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        quotes(&c["citations"]),
        [format!("Synthetic fact {reference}.")]
    );
    let challenges = nodes(&c["challenges"]);
    let in_db = s
        .challenges
        .iter()
        .filter(|x| x.claim_id == challenged)
        .count();
    assert_eq!(challenges.len(), in_db);
    for (k, ch) in challenges.iter().enumerate() {
        assert!(
            ch["description"]
                .as_str()
                .is_some_and(|d| d.ends_with(&format!("claim {reference}."))),
            "{ch}"
        );
        assert_eq!(
            quotes(&ch["citations"]),
            [format!("Synthetic fact {reference}, challenge {}.", k + 1)]
        );
    }
}

async fn a_second_run_is_refused_and_changes_nothing(app: TestApp) {
    run(&app.db, &small(7)).await;
    let before = app.row_counts().await;
    let err = generate(&app.db, &small(9))
        .await
        .expect_err("a second graph must be refused");
    assert_eq!(err.code(), "BAD_USER_INPUT", "{err}");
    assert!(err.to_string().contains("generated"), "{err}");
    assert_eq!(app.row_counts().await, before);

    // Options the graph cannot satisfy are refused before anything is written.
    let lonely = GenerateOptions {
        companies: 1,
        investments: 5,
        ..small(1)
    };
    let fresh = fresh_sqlite().await;
    let err = generate(&fresh, &lonely)
        .await
        .expect_err("one company cannot invest in another");
    assert_eq!(err.code(), "BAD_USER_INPUT", "{err}");
    assert_eq!(
        count(
            &fresh,
            "SELECT COUNT(*) AS n FROM source WHERE key = 'generated'"
        )
        .await,
        0
    );
}

async fn rows_inserted_after_a_run_get_fresh_ids(app: TestApp) {
    run(&app.db, &small(7)).await;
    let max = count(&app.db, "SELECT CAST(MAX(id) AS BIGINT) AS n FROM company").await;
    // On PostgreSQL this needs the identity sequence moved past the explicit ids.
    let row = company::ActiveModel {
        name: Set("Inserted Afterwards".into()),
        kind: Set(CompanyKind::Other),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .expect("an ordinary insert after generate");
    assert_eq!(i64::from(row.id), max + 1);
    let found = company::Entity::find()
        .filter(company::Column::Name.eq("Inserted Afterwards"))
        .one(&app.db)
        .await
        .expect("query");
    assert_eq!(found.map(|c| c.id), Some(row.id));
    // And the built-in dataset loads again over a generated graph without touching it.
    let report = dataset::load(&app.db, &Dataset::builtin().expect("dataset"))
        .await
        .expect("reload");
    assert_eq!(report.inserted, 0);
}

async fn a_larger_graph_has_a_realistic_shape(app: TestApp) {
    let options = GenerateOptions {
        companies: 1_000,
        investments: 5_000,
        models: 1_000,
        claims: 2_000,
        seed: 42,
        progress: false,
    };
    let report = run(&app.db, &options).await;
    assert_eq!(report.count("person"), 200);
    let s = snapshot(&app.db).await;
    let companies = generated_companies(&s);
    let kind_of: HashMap<i32, CompanyKind> = companies.iter().map(|c| (c.id, c.kind)).collect();
    let share = |n: usize, of: usize| n as f64 / of as f64;

    let startups = companies
        .iter()
        .filter(|c| c.kind == CompanyKind::Startup)
        .count();
    for kind in [
        CompanyKind::BigTech,
        CompanyKind::Investor,
        CompanyKind::Chipmaker,
        CompanyKind::Subsidiary,
    ] {
        let n = companies.iter().filter(|c| c.kind == kind).count();
        assert!(n > 0 && n < startups, "{kind:?}: {n}, startups: {startups}");
    }
    assert!(share(startups, companies.len()) > 0.4, "{startups}");
    let tickers = companies.iter().filter(|c| c.ticker.is_some()).count();
    assert!(
        (0.12..0.30).contains(&share(tickers, companies.len())),
        "{tickers}"
    );
    let foreign = companies.iter().filter(|c| !c.name.is_ascii()).count();
    assert_eq!(foreign, 1_000 / 97);
    assert!(companies.iter().any(|c| c.country.is_none()));
    assert!(
        companies
            .iter()
            .any(|c| c.founded_by_alumni_of_id.is_some())
    );

    let investments = generated_investments(&s);
    let undisclosed = investments
        .iter()
        .filter(|i| i.amount_minor.is_none())
        .count();
    assert!(
        (0.06..0.14).contains(&share(undisclosed, investments.len())),
        "{undisclosed}"
    );
    let usd = investments
        .iter()
        .filter(|i| i.currency.as_deref() == Some("USD"))
        .count();
    let eur = investments
        .iter()
        .filter(|i| i.currency.as_deref() == Some("EUR"))
        .count();
    assert!(usd > 3 * eur && eur > 0, "USD {usd}, EUR {eur}");
    let precisions: HashSet<_> = investments
        .iter()
        .filter_map(|i| i.made_precision)
        .collect();
    assert_eq!(precisions.len(), 4, "{precisions:?}");

    // Investors lean to investor and big-tech kinds, far beyond their share of companies.
    let backers = |i: &&&investment::Model| {
        matches!(
            kind_of[&i.investor_id],
            CompanyKind::Investor | CompanyKind::BigTech
        )
    };
    let by_backers = investments.iter().filter(backers).count();
    let backer_companies = companies
        .iter()
        .filter(|c| matches!(c.kind, CompanyKind::Investor | CompanyKind::BigTech))
        .count();
    assert!(
        share(by_backers, investments.len()) > 2.0 * share(backer_companies, companies.len()),
        "{by_backers} of {} investments by {backer_companies} of {} companies",
        investments.len(),
        companies.len()
    );
    // A few investees draw many deals: power-law-ish popularity.
    let mut received: HashMap<i32, usize> = HashMap::new();
    for i in &investments {
        *received.entry(i.investee_id).or_default() += 1;
    }
    let top = received.values().copied().max().unwrap_or(0);
    let mean = share(investments.len(), companies.len());
    assert!(top as f64 > 8.0 * mean, "top {top}, mean {mean}");

    let claims = generated_claims(&s);
    assert!(claims.iter().any(|c| c.claimant_person_id.is_some()));
    assert!(claims.iter().all(|c| c.claimant_company_id.is_some()));
    assert!(claims.iter().any(|c| c.subject_model_id.is_some()));
    assert!(claims.iter().any(|c| c.amount_minor.is_some()));
    let statuses: HashSet<_> = claims.iter().map(|c| c.status).collect();
    assert_eq!(statuses.len(), 4);
    assert!(
        s.challenges
            .iter()
            .any(|c| c.challenger_company_id.is_none())
    );
}
