//! Provenance of structured values: every value of the built-in dataset says how it is
//! known, the notes are checked against the article, and the shares of a whole are values.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_engines;

on_both_engines!(
    every_value_of_the_builtin_dataset_has_provenance_its_citations_support,
    the_articles_qualifiers_and_relative_dates_are_fields,
    inferred_values_say_they_are_inferred_and_why,
    shares_of_a_whole_are_values_with_bounds_only_where_the_article_gives_one,
    provenance_can_be_asked_for_some_fields_only,
    every_rule_of_a_note_is_enforced_and_a_refused_write_changes_nothing,
    provenance_of_a_whole_list_loads_in_a_fixed_number_of_statements,
    notes_and_shares_go_with_their_row_when_it_is_deleted,
    a_figure_created_with_provenance_and_shares_shows_them,
    a_mutation_refuses_a_bad_note_by_its_field_path_and_changes_nothing,
    an_update_that_would_leave_a_note_that_no_longer_holds_is_refused,
    a_citation_whose_words_a_note_uses_cannot_be_deleted_alone,
    a_note_derived_from_a_value_that_does_not_exist_is_refused_on_every_path,
);

const P: &str = "fragment P on Provenance { field basis qualifier words citation { quote } \
                 derivation derivedFrom { type key field } reason }";

const ALL: &str = r#"{
  sources { nodes { key published { date precision } provenance { ...P } } }
  aiModels { nodes { name announced { date precision } expected { date precision }
    citations { nodes { quote } } provenance { ...P } } }
  investments { nodes { ref amount { amount } made { date precision }
    citations { nodes { quote } } provenance { ...P } } }
  projects { nodes { name plannedAmount { amount } horizonYears announced { date precision }
    citations { nodes { quote } } provenance { ...P } } }
  spendingFigures { nodes { ref amount { bound low { amount } high { amount } }
    period { kind year quarter start end years } stated { date precision }
    expectation { percentAbove } citations { nodes { quote } } provenance { ...P }
    shares { part fractionLow lowExclusive fractionHigh highExclusive qualifier provenance { ...P } } } }
  claims { nodes { ref amount { amount } made { date precision }
    citations { nodes { quote } } provenance { ...P } } }
  events { nodes { ref occurred { date precision } citations { nodes { quote } } provenance { ...P } } }
}"#;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const NUMBERS: [&str; 10] = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
];

/// "26300000000.00" as the article writes it: "$26.3 billion".
fn dollars(amount: &str) -> String {
    let whole: u64 = amount
        .split('.')
        .next()
        .and_then(|w| w.parse().ok())
        .expect("amount");
    let (unit, name) = if whole >= 1_000_000_000 {
        (1_000_000_000, "billion")
    } else {
        (1_000_000, "million")
    };
    let digits = if unit == 1_000_000_000 { 9 } else { 6 };
    let fraction = format!("{:0digits$}", whole % unit);
    let fraction = fraction.trim_end_matches('0');
    let sep = if fraction.is_empty() { "" } else { "." };
    format!("${}{sep}{fraction} {name}", whole / unit)
}

/// The texts a source must contain to state `value` of field `field`.
fn must_contain(field: &str, value: &Value) -> Vec<String> {
    let date_parts = |date: &str, month: bool| {
        let mut parts = vec![date[..4].to_owned()];
        if month {
            let m: usize = date[5..7].parse().expect("month");
            parts.push(MONTHS[m - 1].to_owned());
        }
        parts
    };
    match field {
        "period.start" | "period.end" => date_parts(value.as_str().expect("date"), true),
        "horizonYears" => vec![NUMBERS[value.as_u64().expect("years") as usize - 1].to_owned()],
        "expectation" => {
            let percent = value["percentAbove"].as_str().expect("percent");
            vec![format!(
                "{}%",
                percent.trim_end_matches('0').trim_end_matches('.')
            )]
        }
        "period" => match value["kind"].as_str() {
            Some("MULTI_YEAR") => {
                vec![NUMBERS[value["years"].as_u64().expect("years") as usize - 1].to_owned()]
            }
            _ => vec![value["year"].to_string()],
        },
        _ if value.get("precision").is_some() => date_parts(
            value["date"].as_str().expect("date"),
            value["precision"] != "YEAR",
        ),
        _ if value.get("bound").is_some() => ["low", "high"]
            .iter()
            .filter_map(|end| value[end]["amount"].as_str().map(dollars))
            .collect(),
        _ => vec![dollars(value["amount"].as_str().expect("amount"))],
    }
}

/// The (field, value) pairs a row holds, in its type's field order.
fn values_of(typename: &str, row: &Value) -> Vec<(&'static str, Value)> {
    let fields: &[(&str, &str)] = match typename {
        "Source" => &[("published", "published")],
        "AiModel" => &[("announced", "announced"), ("expected", "expected")],
        "Investment" | "Claim" => &[("amount", "amount"), ("made", "made")],
        "Project" => &[
            ("plannedAmount", "plannedAmount"),
            ("horizonYears", "horizonYears"),
            ("announced", "announced"),
        ],
        "Event" => &[("occurred", "occurred")],
        _ => &[("amount", "amount")],
    };
    let mut out: Vec<(&'static str, Value)> = fields
        .iter()
        .filter(|(_, key)| !row[*key].is_null())
        .map(|(field, key)| (*field, row[*key].clone()))
        .collect();
    if typename == "SpendingFigure" {
        let period = &row["period"];
        if period["kind"] != "UNSPECIFIED" {
            out.push(("period", period.clone()));
        }
        for (field, key) in [("period.start", "start"), ("period.end", "end")] {
            if !period[key].is_null() {
                out.push((field, period[key].clone()));
            }
        }
        for field in ["stated", "expectation"] {
            if !row[field].is_null() {
                out.push((
                    if field == "stated" {
                        "stated"
                    } else {
                        "expectation"
                    },
                    row[field].clone(),
                ));
            }
        }
    }
    out
}

/// A qualifier's marker in the source's words, lower case.
fn marker(qualifier: &str) -> &'static [&'static str] {
    match qualifier {
        "EARLY" => &["early"],
        "LATE" => &["late"],
        "MORE_THAN" => &["more than"],
        "MOST" => &["most", "majority"],
        other => panic!("the built-in dataset uses no {other}"),
    }
}

/// Checks one provenance against the row's quotes; `value` is what STATED must support.
fn check(at: &str, p: &Value, quotes: &[String], needed: &[String], known: &HashSet<String>) {
    let words = p["words"].as_str();
    if let Some(words) = words {
        let quote = p["citation"]["quote"]
            .as_str()
            .unwrap_or_else(|| panic!("{at}: no citation {p}"));
        assert!(quote.contains(words), "{at}: {words:?} not in {quote:?}");
        assert!(
            quotes.iter().any(|q| q == quote),
            "{at}: the citation is not the row's"
        );
    } else {
        assert!(p["citation"].is_null(), "{at}: {p}");
    }
    if let Some(q) = p["qualifier"].as_str() {
        let lower = words
            .unwrap_or_else(|| panic!("{at}: a qualifier without words"))
            .to_lowercase();
        assert!(
            marker(q).iter().any(|m| lower.contains(m)),
            "{at}: {q} not in {lower:?}"
        );
    }
    match p["basis"].as_str() {
        Some("STATED") => {
            // The words, or else one of the row's quotes, write the value itself.
            let texts: Vec<&str> = match words {
                Some(w) => vec![w],
                None => quotes.iter().map(String::as_str).collect(),
            };
            for part in needed {
                assert!(
                    texts.iter().any(|t| t.contains(part.as_str())),
                    "{at}: {part:?} is not stated in {texts:?}"
                );
            }
            assert!(
                p["derivation"].is_null() && p["reason"].is_null(),
                "{at}: {p}"
            );
        }
        Some("DERIVED") => {
            assert!(
                p["derivation"].as_str().is_some_and(|d| d.len() > 20),
                "{at}: {p}"
            );
            let from = p["derivedFrom"].as_array().expect("derivedFrom");
            assert!(!from.is_empty(), "{at}: derived from nothing");
            for r in from {
                let key = format!(
                    "{}/{}/{}",
                    r["type"].as_str().unwrap_or(""),
                    r["key"].as_str().unwrap_or(""),
                    r["field"].as_str().unwrap_or("")
                );
                assert!(
                    known.contains(&key),
                    "{at}: derived from {key}, which is no value"
                );
            }
        }
        Some("INFERRED") => {
            assert!(
                p["reason"].as_str().is_some_and(|r| r.len() > 20),
                "{at}: {p}"
            );
        }
        other => panic!("{at}: basis {other:?}"),
    }
}

async fn every_value_of_the_builtin_dataset_has_provenance_its_citations_support(app: TestApp) {
    let app = app.without_cost_limit();
    let data = app.data(&format!("{ALL} {P}")).await;
    let lists = [
        ("Source", "sources", "key"),
        ("AiModel", "aiModels", "name"),
        ("Investment", "investments", "ref"),
        ("Project", "projects", "name"),
        ("SpendingFigure", "spendingFigures", "ref"),
        ("Claim", "claims", "ref"),
        ("Event", "events", "ref"),
    ];
    let mut known = HashSet::new();
    for (typename, list, key) in lists {
        for row in data[list]["nodes"].as_array().expect("rows") {
            for (field, _) in values_of(typename, row) {
                known.insert(format!(
                    "{typename}/{}/{field}",
                    row[key].as_str().expect("key")
                ));
            }
        }
    }
    let (mut checked, mut bases) = (0, HashSet::new());
    for (typename, list, key) in lists {
        for row in data[list]["nodes"].as_array().expect("rows") {
            let at = format!("{typename} {}", row[key]);
            let quotes: Vec<String> = row["citations"]["nodes"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .map(|c| c["quote"].as_str().expect("quote").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            let values = values_of(typename, row);
            let provenance = row["provenance"].as_array().expect("provenance");
            let fields: Vec<&str> = provenance
                .iter()
                .map(|p| p["field"].as_str().expect("field"))
                .collect();
            let expected: Vec<&str> = values.iter().map(|(f, _)| *f).collect();
            assert_eq!(fields, expected, "{at}: every value has one provenance");
            for ((field, value), p) in values.iter().zip(provenance) {
                check(
                    &format!("{at}.{field}"),
                    p,
                    &quotes,
                    &must_contain(field, value),
                    &known,
                );
                bases.insert(p["basis"].as_str().unwrap_or("").to_owned());
                checked += 1;
            }
            for (i, share) in row["shares"].as_array().into_iter().flatten().enumerate() {
                check(
                    &format!("{at}.shares[{i}]"),
                    &share["provenance"],
                    &quotes,
                    &[],
                    &known,
                );
                assert_eq!(share["qualifier"], share["provenance"]["qualifier"]);
            }
        }
    }
    assert!(checked >= 40, "{checked} values");
    assert_eq!(bases.len(), 3, "{bases:?}");
}

async fn provenance_of(app: &TestApp, query: &str) -> Value {
    app.data(&format!("{query} {P}")).await
}

fn field<'a>(provenance: &'a Value, name: &str) -> &'a Value {
    provenance
        .as_array()
        .and_then(|all| all.iter().find(|p| p["field"] == name))
        .unwrap_or_else(|| panic!("no {name} in {provenance}"))
}

async fn the_articles_qualifiers_and_relative_dates_are_fields(app: TestApp) {
    let data = provenance_of(
        &app,
        r#"{ t: aiModelByName(name: "Trainium3") { expected { text } provenance { ...P } }
             f1: spendingFigureByRef(ref: "F1") { id }
             f2: spendingFigureByRef(ref: "F2") { amount { bound } provenance { ...P } derivedFrom { ref } }
             f3: spendingFigureByRef(ref: "F3") { stated { text } provenance { ...P } }
             f4: spendingFigureByRef(ref: "F4") { stated { text } provenance { ...P } }
             s: projectByName(name: "Stargate") { announced { text } provenance { ...P } }
             src: sourceByKey(key: "ai-capex-spending-spree") { published { text } } }"#,
    )
    .await;
    let late = field(&data["t"]["provenance"], "expected");
    assert_eq!(
        (
            late["basis"].as_str(),
            late["qualifier"].as_str(),
            late["words"].as_str()
        ),
        (Some("STATED"), Some("LATE"), Some("late 2025"))
    );
    assert_eq!(
        data["t"]["expected"]["text"], "2025",
        "the year stays the value; LATE qualifies it"
    );
    let early = field(&data["f3"]["provenance"], "stated");
    assert_eq!(
        (early["qualifier"].as_str(), early["words"].as_str()),
        (Some("EARLY"), Some("in early January"))
    );
    assert_eq!(data["f3"]["stated"]["text"], "2025-01");
    let later = field(&data["f4"]["provenance"], "stated");
    assert_eq!(
        (later["qualifier"].as_str(), later["words"].as_str()),
        (Some("LATE"), Some("Later in January"))
    );
    // "last month" is January only because the article is of February 2025.
    let announced = field(&data["s"]["provenance"], "announced");
    assert_eq!(
        (announced["basis"].as_str(), announced["words"].as_str()),
        (Some("DERIVED"), Some("last month"))
    );
    assert_eq!(
        announced["derivedFrom"],
        json!([{ "type": "Source", "key": "ai-capex-spending-spree", "field": "published" }])
    );
    assert_eq!(data["src"]["published"]["text"], "2025-02");
    assert_eq!(data["s"]["announced"]["text"], "2025-01");
    assert!(
        announced["derivation"]
            .as_str()
            .is_some_and(|d| d.contains("February 2025")),
        "{announced}"
    );
    // "more than $100 billion" is the article's projection from F1.
    let amount = field(&data["f2"]["provenance"], "amount");
    assert_eq!(
        (
            amount["basis"].as_str(),
            amount["qualifier"].as_str(),
            amount["words"].as_str()
        ),
        (
            Some("DERIVED"),
            Some("MORE_THAN"),
            Some("more than $100 billion")
        )
    );
    assert_eq!(
        data["f2"]["amount"]["bound"], amount["qualifier"],
        "the bound and the qualifier agree"
    );
    assert_eq!(
        amount["derivedFrom"],
        json!([{ "type": "SpendingFigure", "key": "F1", "field": "amount" }])
    );
    assert_eq!(data["f2"]["derivedFrom"]["ref"], "F1");
    assert!(
        amount["citation"]["quote"]
            .as_str()
            .is_some_and(|q| q.contains("If continued")),
        "{amount}"
    );
}

async fn inferred_values_say_they_are_inferred_and_why(app: TestApp) {
    let data = provenance_of(
        &app,
        r#"{ f3: spendingFigureByRef(ref: "F3") { period { start end } provenance { ...P } }
             e1: eventByRef(ref: "E1") { occurred { text } citations { nodes { quote } } provenance { ...P } } }"#,
    )
    .await;
    assert_eq!(data["f3"]["period"]["start"], "2024-07-01");
    let start = field(&data["f3"]["provenance"], "period.start");
    assert_eq!(start["basis"], "INFERRED", "{start}");
    assert!(
        start["reason"]
            .as_str()
            .is_some_and(|r| r.contains("June 30")),
        "{start}"
    );
    let end = field(&data["f3"]["provenance"], "period.end");
    assert_eq!(
        (end["basis"].as_str(), end["words"].as_str()),
        (
            Some("STATED"),
            Some("fiscal year 2025, which ends on June 30")
        )
    );
    // The event's quote has no month: the month is inferred, and says so.
    let quotes = data["e1"]["citations"]["nodes"].to_string();
    assert!(!quotes.contains("January"), "{quotes}");
    assert_eq!(data["e1"]["occurred"]["text"], "2025-01");
    let occurred = field(&data["e1"]["provenance"], "occurred");
    assert_eq!(occurred["basis"], "INFERRED", "{occurred}");
    assert!(
        occurred["words"].is_null() && occurred["reason"].as_str().is_some(),
        "{occurred}"
    );
}

async fn shares_of_a_whole_are_values_with_bounds_only_where_the_article_gives_one(app: TestApp) {
    let data = provenance_of(
        &app,
        r#"{ f3: spendingFigureByRef(ref: "F3") { shares { part fractionLow lowExclusive fractionHigh highExclusive qualifier provenance { ...P } } }
             f2: spendingFigureByRef(ref: "F2") { shares { part fractionLow fractionHigh qualifier provenance { ...P } } }
             f4: spendingFigureByRef(ref: "F4") { shares { part } } }"#,
    )
    .await;
    let us = &data["f3"]["shares"][0];
    assert_eq!(
        (
            us["part"].as_str(),
            us["fractionLow"].as_str(),
            &us["lowExclusive"],
            &us["fractionHigh"],
            us["qualifier"].as_str()
        ),
        (
            Some("in the U.S."),
            Some("0.5"),
            &json!(true),
            &Value::Null,
            Some("MORE_THAN")
        ),
        "{us}"
    );
    assert_eq!(
        us["provenance"]["words"],
        "More than half of the investment will be focused in the U.S."
    );
    let shares = data["f2"]["shares"].as_array().expect("shares");
    assert_eq!(shares.len(), 2, "{shares:?}");
    let aws = shares
        .iter()
        .find(|s| s["part"] == "on AI for Amazon Web Services")
        .expect("AWS share");
    assert_eq!(aws["qualifier"], "MOST");
    assert!(
        aws["fractionLow"].is_null() && aws["fractionHigh"].is_null(),
        "no number is invented: {aws}"
    );
    assert!(
        aws["provenance"]["words"]
            .as_str()
            .is_some_and(|w| w.contains("vast majority")),
        "{aws}"
    );
    assert_eq!(data["f4"]["shares"], json!([]));
}

async fn provenance_can_be_asked_for_some_fields_only(app: TestApp) {
    let data = app
        .data(r#"{ spendingFigureByRef(ref: "F3") { provenance(fields: ["stated", "amount"]) { field basis } } }"#)
        .await;
    assert_eq!(
        data["spendingFigureByRef"]["provenance"],
        json!([{ "field": "amount", "basis": "STATED" }, { "field": "stated", "basis": "DERIVED" }])
    );
    let errors = app
        .errors(json!({ "query": r#"{ spendingFigureByRef(ref: "F3") { provenance(fields: ["made"]) { field } } }"# }))
        .await;
    assert_eq!(
        errors[0]["extensions"]["code"], "BAD_USER_INPUT",
        "{errors:?}"
    );
    assert_eq!(errors[0]["extensions"]["field"], "fields", "{errors:?}");
}

/// A figure in the dataset format with the given notes and shares.
fn figure(provenance: Value, shares: Value) -> Value {
    json!({ "spendingFigures": [{
        "ref": "F3", "company": "Microsoft", "category": "CAPITAL_EXPENDITURE", "status": "PLANNED",
        "bound": "EXACT", "low": "80000000000", "high": "80000000000", "currency": "USD",
        "period": { "kind": "FISCAL_YEAR", "year": 2025, "start": "2024-07-01", "end": "2025-06-30" },
        "stated": { "date": "2025-01-01", "precision": "MONTH" },
        "provenance": provenance, "shares": shares,
        "citations": [{ "source": "ai-capex-spending-spree",
            "quote": "Microsoft (MSFT) in early January said it plans to spend $80 billion on AI data centers in its fiscal year 2025, which ends on June 30." }]
    }]})
}

async fn every_rule_of_a_note_is_enforced_and_a_refused_write_changes_nothing(app: TestApp) {
    let at = "data.spendingFigures[0]";
    let cases = [
        (
            json!({ "amount": { "basis": "STATED", "words": "$90 billion" } }),
            json!([]),
            format!("{at}.provenance.amount.words"),
        ),
        (
            json!({ "stated": { "basis": "STATED", "qualifier": "LATE", "words": "in early January" } }),
            json!([]),
            format!("{at}.provenance.stated.qualifier"),
        ),
        (
            json!({ "stated": { "basis": "DERIVED", "words": "in early January", "derivedFrom": [{ "type": "Source", "key": "ai-capex-spending-spree", "field": "published" }] } }),
            json!([]),
            format!("{at}.provenance.stated.derivation"),
        ),
        (
            json!({ "stated": { "basis": "DERIVED", "derivation": "From the article's date, February 2025." } }),
            json!([]),
            format!("{at}.provenance.stated.derivedFrom"),
        ),
        (
            json!({ "period.start": { "basis": "INFERRED" } }),
            json!([]),
            format!("{at}.provenance.period.start.reason"),
        ),
        (
            json!({ "amount": { "basis": "STATED", "reason": "none needed" } }),
            json!([]),
            format!("{at}.provenance.amount.basis"),
        ),
        (
            json!({ "made": { "basis": "STATED" } }),
            json!([]),
            format!("{at}.provenance.made"),
        ),
        (
            json!({ "expectation": { "basis": "STATED" } }),
            json!([]),
            format!("{at}.provenance.expectation"),
        ),
        (
            json!({ "stated": { "basis": "DERIVED", "derivation": "From the article's date, February 2025.", "derivedFrom": [{ "type": "Source", "key": "ai-capex-spending-spree", "field": "amount" }] } }),
            json!([]),
            format!("{at}.provenance.stated.derivedFrom[0].field"),
        ),
        (
            json!({}),
            json!([{ "part": "in the U.S.", "fractionLow": "1.5", "provenance": { "basis": "STATED" } }]),
            format!("{at}.shares[0].fractionLow"),
        ),
        (
            json!({}),
            json!([{ "part": "in the U.S.", "lowExclusive": true, "provenance": { "basis": "STATED" } }]),
            format!("{at}.shares[0]"),
        ),
        (
            json!({}),
            json!([{ "part": "in the U.S.", "fractionLow": "0.5", "provenance": { "basis": "STATED", "words": "Less than half" } }]),
            format!("{at}.shares[0].provenance.words"),
        ),
    ];
    let before = app.snapshot().await;
    for (provenance, shares, path) in cases {
        let error = app
            .write_error(
                "mutation($d: DatasetDocument!) { importDataset(data: $d) { inserted } }",
                json!({ "d": figure(provenance.clone(), shares) }),
            )
            .await;
        assert_eq!(
            error["extensions"]["code"], "BAD_USER_INPUT",
            "{provenance}: {error}"
        );
        assert_eq!(
            error["extensions"]["field"],
            path.as_str(),
            "{provenance}: {error}"
        );
        assert!(
            app.snapshot().await == before,
            "a refused write changed rows: {provenance}"
        );
    }
    // The same document with good notes is accepted and replaces the figure's notes.
    app.write(
        "mutation($d: DatasetDocument!) { importDataset(data: $d) { inserted } }",
        json!({ "d": figure(json!({ "amount": { "basis": "STATED", "words": "$80 billion" } }), json!([])) }),
    )
    .await;
    let data = app.data(r#"{ spendingFigureByRef(ref: "F3") { provenance { field basis words } shares { part } } }"#).await;
    let notes = &data["spendingFigureByRef"];
    assert_eq!(notes["shares"], json!([]));
    assert_eq!(
        field(&notes["provenance"], "amount")["words"],
        "$80 billion"
    );
    assert_eq!(
        field(&notes["provenance"], "period.start")["basis"],
        "STATED",
        "no note: STATED by default"
    );
}

async fn provenance_of_a_whole_list_loads_in_a_fixed_number_of_statements(app: TestApp) {
    let app = app.without_cost_limit();
    let query = |filter: &str| {
        format!(
            "{{ spendingFigures({filter}) {{ nodes {{ ref provenance {{ ...P }} shares {{ part provenance {{ ...P }} }} }} }} }} {P}"
        )
    };
    app.take_statement_count();
    let one = app.data(&query(r#"filter: { ref: { eq: "F3" } }"#)).await;
    let single = app.take_statement_count();
    let all = app.data(&query("first: 10")).await;
    let many = app.take_statement_count();
    assert_eq!(
        one["spendingFigures"]["nodes"].as_array().map(Vec::len),
        Some(1),
        "{one}"
    );
    assert_eq!(
        all["spendingFigures"]["nodes"].as_array().map(Vec::len),
        Some(7),
        "{all}"
    );
    // Figures, their notes, their citations, their shares: one statement each.
    assert_eq!(
        single, many,
        "as many statements for seven figures as for one"
    );
    assert!(many <= 5, "{many} statements");
}

async fn notes_and_shares_go_with_their_row_when_it_is_deleted(app: TestApp) {
    use sea_orm::ConnectionTrait;
    let count = |sql: String| {
        let app = &app;
        async move {
            let row = app
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    app.db.get_database_backend(),
                    sql,
                ))
                .await
                .expect("count")
                .expect("row");
            row.try_get::<i64>("", "n").expect("n")
        }
    };
    let data = app
        .data(r#"{ spendingFigureByRef(ref: "F3") { id databaseId } }"#)
        .await;
    let f3 = &data["spendingFigureByRef"];
    let of_f3 = |table: &str| {
        format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE spending_figure_id = {}",
            f3["databaseId"]
        )
    };
    let all = |table: &str| format!("SELECT COUNT(*) AS n FROM {table}");
    let (notes, shares) = (
        count(all("value_provenance")).await,
        count(all("figure_share")).await,
    );
    let (own_notes, own_shares) = (
        count(of_f3("value_provenance")).await,
        count(of_f3("figure_share")).await,
    );
    assert!(own_notes > 0 && own_shares > 0, "F3 has notes and shares");
    app.write(
        "mutation($id: ID!) { deleteSpendingFigure(id: $id) { id } }",
        json!({ "id": f3["id"] }),
    )
    .await;
    assert_eq!(count(all("value_provenance")).await, notes - own_notes);
    assert_eq!(count(all("figure_share")).await, shares - own_shares);
}

const QUOTE_F3: &str = "Microsoft (MSFT) in early January said it plans to spend $80 billion on AI data centers in its fiscal year 2025, which ends on June 30.";
const QUOTE_US: &str = "More than half of the investment will be focused in the U.S., Microsoft President Brad Smith said at the time.";

/// A new figure for Microsoft, citing the article's sentences on F3.
async fn new_figure(app: &TestApp, extra: Value) -> Value {
    let data = app
        .data(r#"{ companyByName(name: "Microsoft") { id } sourceByKey(key: "ai-capex-spending-spree") { id } }"#)
        .await;
    let source = data["sourceByKey"]["id"].clone();
    let mut input = json!({
        "ref": "F-prov",
        "companyId": data["companyByName"]["id"],
        "category": "CAPITAL_EXPENDITURE",
        "status": "PLANNED",
        "amount": { "bound": "EXACT", "low": "80000000000", "high": "80000000000", "currency": "USD" },
        "period": { "kind": "FISCAL_YEAR", "year": 2025, "end": "2025-06-30" },
        "stated": { "date": "2025-01-01", "precision": "MONTH" },
        "citations": [{ "sourceId": source, "quote": QUOTE_F3 }, { "sourceId": source, "quote": QUOTE_US }],
    });
    for (k, v) in extra.as_object().expect("object") {
        input[k] = v.clone();
    }
    input
}

const CREATE: &str = "mutation($input: SpendingFigureInput!) { createSpendingFigure(input: $input) { id provenance { ...P } shares { part fractionLow lowExclusive qualifier provenance { ...P } } } }";

async fn a_figure_created_with_provenance_and_shares_shows_them(app: TestApp) {
    let input = new_figure(&app, json!({
        "provenance": [
            { "field": "stated", "basis": "DERIVED", "qualifier": "EARLY", "words": "in early January",
              "derivation": "January of the article's year, 2025.",
              "derivedFrom": [{ "type": "Source", "key": "ai-capex-spending-spree", "field": "published" }] },
            { "field": "amount", "basis": "STATED", "words": "$80 billion" },
        ],
        "shares": [{ "part": "in the U.S.", "fractionLow": "0.5", "lowExclusive": true,
                     "provenance": { "basis": "STATED", "qualifier": "MORE_THAN", "words": "More than half" } }],
    })).await;
    let data = app
        .write(&format!("{CREATE} {P}"), json!({ "input": input }))
        .await;
    let f = &data["createSpendingFigure"];
    let stated = field(&f["provenance"], "stated");
    assert_eq!(
        (stated["basis"].as_str(), stated["qualifier"].as_str()),
        (Some("DERIVED"), Some("EARLY")),
        "{stated}"
    );
    assert_eq!(stated["citation"]["quote"], QUOTE_F3);
    assert_eq!(
        field(&f["provenance"], "period")["basis"],
        "STATED",
        "no note: stated by the citations"
    );
    assert_eq!(f["shares"][0]["fractionLow"], "0.5");
    assert_eq!(f["shares"][0]["provenance"]["citation"]["quote"], QUOTE_US);
}

async fn a_mutation_refuses_a_bad_note_by_its_field_path_and_changes_nothing(app: TestApp) {
    let cases = [
        (
            json!({ "provenance": [{ "field": "amount", "basis": "STATED", "words": "$81 billion" }] }),
            "input.provenance[0].words",
        ),
        (
            json!({ "provenance": [{ "field": "amount", "basis": "DERIVED", "derivedFrom": [{ "type": "SpendingFigure", "key": "F1", "field": "amount" }] }] }),
            "input.provenance[0].derivation",
        ),
        (
            json!({ "provenance": [{ "field": "period.start", "basis": "INFERRED" }] }),
            "input.provenance[0]",
        ),
        (
            json!({ "provenance": [{ "field": "stated", "basis": "INFERRED", "reason": "Not dated." }] }),
            "",
        ),
        (
            json!({ "provenance": [{ "field": "stated", "basis": "STATED", "qualifier": "MORE_THAN", "words": "in early January" }] }),
            "input.provenance[0].qualifier",
        ),
        (
            json!({ "provenance": [{ "field": "amount", "basis": "STATED" }, { "field": "amount", "basis": "STATED" }] }),
            "input.provenance[1]",
        ),
        (
            json!({ "shares": [{ "part": "in the U.S.", "fractionHigh": "2", "provenance": { "basis": "STATED" } }] }),
            "input.shares[0].fractionHigh",
        ),
        (
            json!({ "shares": [{ "part": "in the U.S.", "provenance": { "basis": "INFERRED" } }] }),
            "input.shares[0].provenance.reason",
        ),
    ];
    let before = app.snapshot().await;
    for (extra, path) in cases {
        let input = new_figure(&app, extra.clone()).await;
        if path.is_empty() {
            // A good note: accepted, then removed again so the next cases start alike.
            let data = app.write("mutation($input: SpendingFigureInput!) { createSpendingFigure(input: $input) { id } }", json!({ "input": input })).await;
            app.write(
                "mutation($id: ID!) { deleteSpendingFigure(id: $id) { id } }",
                json!({ "id": data["createSpendingFigure"]["id"] }),
            )
            .await;
            continue;
        }
        let error = app
            .write_error(&format!("{CREATE} {P}"), json!({ "input": input }))
            .await;
        assert_eq!(
            error["extensions"]["code"], "BAD_USER_INPUT",
            "{extra}: {error}"
        );
        assert_eq!(error["extensions"]["field"], path, "{extra}: {error}");
    }
    assert_eq!(
        app.row_counts()
            .await
            .iter()
            .map(|(t, n)| (t.clone(), *n))
            .collect::<Vec<_>>(),
        before
            .iter()
            .map(|(t, rows)| (t.clone(), rows.len() as i64))
            .collect::<Vec<_>>()
    );
}

async fn an_update_that_would_leave_a_note_that_no_longer_holds_is_refused(app: TestApp) {
    let input = new_figure(
        &app,
        json!({
            "provenance": [{ "field": "amount", "basis": "STATED", "words": "$80 billion" }],
        }),
    )
    .await;
    let data = app
        .write(
            "mutation($input: SpendingFigureInput!) { createSpendingFigure(input: $input) { id } }",
            json!({ "input": input.clone() }),
        )
        .await;
    let id = data["createSpendingFigure"]["id"].clone();
    const UPDATE: &str = "mutation($id: ID!, $input: SpendingFigureInput!) { updateSpendingFigure(id: $id, input: $input) { provenance(fields: [\"amount\"]) { basis words } } }";
    // Without the sentence that has "$80 billion", the kept note would not hold.
    let mut without = input.clone();
    without["provenance"] = Value::Null;
    without["citations"] = json!([input["citations"][1]]);
    let before = app.snapshot().await;
    let error = app
        .write_error(UPDATE, json!({ "id": id, "input": without }))
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["field"], "input.provenance", "{error}");
    assert!(
        app.snapshot().await == before,
        "the refused update changed rows"
    );
    // Kept when it still holds; replaced when given.
    let mut same = input.clone();
    same["provenance"] = Value::Null;
    let data = app.write(UPDATE, json!({ "id": id, "input": same })).await;
    assert_eq!(
        data["updateSpendingFigure"]["provenance"],
        json!([{ "basis": "STATED", "words": "$80 billion" }])
    );
    without["provenance"] = json!([]);
    let data = app
        .write(UPDATE, json!({ "id": id, "input": without }))
        .await;
    assert_eq!(
        data["updateSpendingFigure"]["provenance"],
        json!([{ "basis": "STATED", "words": null }])
    );
}

async fn a_citation_whose_words_a_note_uses_cannot_be_deleted_alone(app: TestApp) {
    let data = app
        .data(r#"{ aiModelByName(name: "Trainium3") { citations { nodes { id quote } } } }"#)
        .await;
    let citation = &data["aiModelByName"]["citations"]["nodes"][0];
    assert!(
        citation["quote"]
            .as_str()
            .is_some_and(|q| q.contains("late 2025")),
        "{data}"
    );
    let before = app.snapshot().await;
    let error = app
        .write_error(
            "mutation($id: ID!) { deleteCitation(id: $id) { id } }",
            json!({ "id": citation["id"] }),
        )
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["field"], "id", "{error}");
    // The citation holds the words of two notes ("in December", "late 2025"): the
    // refusal names one of them.
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("late 2025") || m.contains("in December")),
        "{error}"
    );
    assert!(
        app.snapshot().await == before,
        "the refused delete changed rows"
    );
}

async fn a_note_derived_from_a_value_that_does_not_exist_is_refused_on_every_path(app: TestApp) {
    let derived = |r: Value| {
        json!({ "basis": "DERIVED", "derivation": "January of the article's year, 2025.",
                "derivedFrom": [{ "type": "Source", "key": "ai-capex-spending-spree", "field": "published" }, r] })
    };
    // A row that does not exist, a row that holds no such value, and (mutation only) a
    // value of the row being written, which exists once it is written.
    let cases = [
        (
            json!({ "type": "SpendingFigure", "key": "F-none", "field": "amount" }),
            "derivedFrom[1].key",
        ),
        (
            json!({ "type": "AiModel", "key": "Llama 5", "field": "announced" }),
            "derivedFrom[1].key",
        ),
        (
            json!({ "type": "SpendingFigure", "key": "F1", "field": "expectation" }),
            "derivedFrom[1].field",
        ),
    ];
    let before = app.snapshot().await;
    for (r, path) in &cases {
        let mut note = derived(r.clone());
        note["field"] = json!("stated");
        let input = new_figure(&app, json!({ "provenance": [note] })).await;
        let by_mutation = app
            .write_error(&format!("{CREATE} {P}"), json!({ "input": input }))
            .await;
        let by_dataset = app
            .write_error(
                "mutation($d: DatasetDocument!) { importDataset(data: $d) { inserted } }",
                json!({ "d": figure(json!({ "stated": derived(r.clone()) }), json!([])) }),
            )
            .await;
        for (error, at) in [
            (by_mutation, "input.provenance[0]"),
            (by_dataset, "data.spendingFigures[0].provenance.stated"),
        ] {
            assert_eq!(
                error["extensions"]["code"], "BAD_USER_INPUT",
                "{r}: {error}"
            );
            assert_eq!(
                error["extensions"]["field"],
                format!("{at}.{path}"),
                "{r}: {error}"
            );
            assert!(
                error["message"]
                    .as_str()
                    .is_some_and(|m| m.contains(r["key"].as_str().expect("key"))),
                "the message names the value: {error}"
            );
        }
        assert!(
            app.snapshot().await == before,
            "a refused write changed rows: {r}"
        );
    }
    // Values that exist are accepted, the row's own included.
    let mut note = derived(json!({ "type": "SpendingFigure", "key": "F-prov", "field": "amount" }));
    note["field"] = json!("stated");
    let input = new_figure(&app, json!({ "provenance": [note] })).await;
    let data = app
        .write(&format!("{CREATE} {P}"), json!({ "input": input }))
        .await;
    let stated = field(&data["createSpendingFigure"]["provenance"], "stated");
    assert_eq!(stated["derivedFrom"][1]["key"], "F-prov", "{stated}");
    app.write(
        "mutation($d: DatasetDocument!) { importDataset(data: $d) { inserted } }",
        json!({ "d": figure(json!({ "stated": derived(json!({ "type": "SpendingFigure", "key": "F1", "field": "amount" })) }), json!([])) }),
    )
    .await;
}
