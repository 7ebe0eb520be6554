//! Aggregates and group-by on connections: exact values from the built-in dataset, the
//! statements they cost, paging over groups, generated data against plain SQL, and refusals.

use std::collections::{BTreeMap, BTreeSet};

use capex_graph::dataset;
use capex_graph::generate::{GenerateOptions, generate};
use chrono::Datelike;
use entity::enums::DatePrecision;
use entity::{company, investment};
use sea_orm::{ConnectionTrait, EntityTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::loading::chain;
use crate::on_both_engines;

on_both_engines!(
    spending_aggregates_are_exact_and_per_currency,
    a_filter_narrows_the_aggregate_and_paging_does_not,
    groups_of_figures_by_company_order_by_their_usd_sum_and_keep_only_those_passing_having,
    averages_compare_exactly_in_having,
    dates_group_by_buckets_at_their_own_precision,
    nested_aggregates_cost_the_same_statements_for_5_or_50_parents,
    paging_through_groups_visits_every_group_once,
    a_page_of_groups_counts_all_groups_in_its_own_statement,
    generated_investments_group_as_plain_sql_groups_them,
    money_of_a_page_of_groups_comes_in_the_page_statement,
    relation_names_with_null_keys_group_order_and_page_alike,
    malformed_group_by_arguments_are_bad_user_input,
    fewer_statistics_selected_give_the_same_answers,
    statistics_not_selected_are_not_computed,
    a_later_page_keyed_by_a_nullable_relation_counts_its_group_without_one,
    groups_by_a_related_name_ordered_by_sums_page_as_one_page_does,
    a_filter_fixing_the_currency_reads_money_per_currency_with_the_page,
);

async fn spending_aggregates_are_exact_and_per_currency(app: TestApp) {
    let data = app
        .data(
            r#"{ spendingFigures { aggregate {
                count
                countDistinct(field: COMPANY_NAME)
                amountLow { count missing byCurrency { currency count missing sum { amount } avg { amount } min { amount } max { amount } } }
                amountHigh { count missing byCurrency { currency count missing sum { amount } } }
                periodYears { count missing sum avg min max }
                statedOn { count missing min max }
            } } }"#,
        )
        .await;
    // F1-F7: 26.3B, >100B, 80B, 60-65B, 75B, 500B, 5.6M; only F2 has no high end. The
    // article dates four of the statements (F1, F3, F4, F6), to the month.
    assert_eq!(
        data["spendingFigures"]["aggregate"],
        json!({
            "count": 7,
            "countDistinct": 6,
            "amountLow": { "count": 7, "missing": 0, "byCurrency": [{
                "currency": "USD", "count": 7, "missing": 0,
                "sum": { "amount": "841305600000.00" },
                "avg": { "amount": "120186514285.71" },
                "min": { "amount": "5600000.00" },
                "max": { "amount": "500000000000.00" }
            }] },
            "amountHigh": { "count": 6, "missing": 1, "byCurrency": [{
                "currency": "USD", "count": 6, "missing": 1,
                "sum": { "amount": "746305600000.00" }
            }] },
            "periodYears": { "count": 1, "missing": 6, "sum": "4", "avg": "4.000000", "min": "4", "max": "4" },
            "statedOn": { "count": 4, "missing": 3, "min": "2025-01-01", "max": "2025-02-01" }
        })
    );
}

async fn a_filter_narrows_the_aggregate_and_paging_does_not(app: TestApp) {
    let data = app
        .data(
            r#"{ spendingFigures(first: 1, filter: { status: { eq: PLANNED } }) {
                totalCount nodes { ref }
                aggregate { count amountLow { byCurrency { sum { amount } } } }
            } }"#,
        )
        .await;
    let figures = &data["spendingFigures"];
    assert_eq!(figures["nodes"].as_array().map(Vec::len), Some(1));
    // F3, F4, F5, F6: 80 + 60 + 75 + 500 billion.
    assert_eq!(figures["totalCount"], 4);
    assert_eq!(
        figures["aggregate"],
        json!({ "count": 4, "amountLow": { "byCurrency": [{ "sum": { "amount": "715000000000.00" } }] } })
    );

    // Asking only for aggregates loads no page of rows: one GROUP BY statement.
    app.take_statement_count();
    let data = app
        .data(r#"{ spendingFigures { aggregate { count statedOn { max } } } }"#)
        .await;
    assert_eq!(data["spendingFigures"]["aggregate"]["count"], 7);
    assert_eq!(app.take_statement_count(), 1);

    // Money per currency comes from the same statement, grouped by currency, whatever
    // else is asked beside it.
    let data = app
        .data(
            r#"{ spendingFigures { aggregate { count statedOn { min max }
                amountLow { count missing byCurrency { currency count sum { amount } max { amount } } }
                amountHigh { missing byCurrency { sum { amount } } } } } }"#,
        )
        .await;
    assert_eq!(app.take_statement_count(), 1);
    assert_eq!(
        data["spendingFigures"]["aggregate"],
        json!({
            "count": 7,
            "statedOn": { "min": "2025-01-01", "max": "2025-02-01" },
            "amountLow": { "count": 7, "missing": 0, "byCurrency": [{
                "currency": "USD", "count": 7,
                "sum": { "amount": "841305600000.00" },
                "max": { "amount": "500000000000.00" }
            }] },
            "amountHigh": { "missing": 1, "byCurrency": [{ "sum": { "amount": "746305600000.00" } }] }
        })
    );
}

async fn groups_of_figures_by_company_order_by_their_usd_sum_and_keep_only_those_passing_having(
    app: TestApp,
) {
    let data = app
        .data(
            r#"{ spendingFigures { groupBy(
                by: [{ field: COMPANY_NAME }],
                having: [{ function: SUM, field: AMOUNT_LOW, currency: "USD", gte: "75000000000" }],
                orderBy: [{ function: SUM, field: AMOUNT_LOW, currency: "USD", direction: DESC }]
            ) {
                totalCount
                nodes { keys { field bucket value } aggregate { count amountLow { byCurrency { currency sum { amount } } } } }
            } } }"#,
        )
        .await;
    let groups = &data["spendingFigures"]["groupBy"];
    assert_eq!(groups["totalCount"], 4);
    let rows: Vec<(String, i64, String)> = groups["nodes"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            assert_eq!(g["keys"][0]["field"], "COMPANY_NAME");
            assert_eq!(g["keys"][0]["bucket"], Value::Null);
            assert_eq!(
                g["aggregate"]["amountLow"]["byCurrency"][0]["currency"],
                "USD"
            );
            (
                g["keys"][0]["value"].as_str().unwrap_or("?").to_string(),
                g["aggregate"]["count"].as_i64().unwrap_or(-1),
                g["aggregate"]["amountLow"]["byCurrency"][0]["sum"]["amount"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string(),
            )
        })
        .collect();
    let expected = [
        ("OpenAI", 1, "500000000000.00"),
        ("Amazon", 2, "126300000000.00"),
        ("Microsoft", 1, "80000000000.00"),
        ("Alphabet", 1, "75000000000.00"),
    ];
    assert_eq!(
        rows,
        expected
            .iter()
            .map(|(n, c, s)| (n.to_string(), *c, s.to_string()))
            .collect::<Vec<_>>()
    );
}

async fn averages_compare_exactly_in_having(app: TestApp) {
    // Amazon's two figures average exactly 63.15 billion: `gt` excludes it, `gte` keeps it.
    let names = |data: Value| -> Vec<String> {
        data["spendingFigures"]["groupBy"]["nodes"]
            .as_array()
            .expect("groups")
            .iter()
            .map(|g| g["keys"][0]["value"].as_str().unwrap_or("?").to_string())
            .collect()
    };
    let query = |op: &str| {
        format!(
            r#"{{ spendingFigures(filter: {{ company: {{ name: {{ eq: "Amazon" }} }} }}) {{ groupBy(
                by: [{{ field: COMPANY_NAME }}],
                having: [{{ function: AVG, field: AMOUNT_LOW, currency: "USD", {op}: "63150000000" }}]
            ) {{ nodes {{ keys {{ value }} }} }} }} }}"#
        )
    };
    assert_eq!(names(app.data(&query("gte")).await), vec!["Amazon"]);
    assert!(names(app.data(&query("gt")).await).is_empty());
    assert!(names(app.data(&query("lt")).await).is_empty());
}

async fn dates_group_by_buckets_at_their_own_precision(app: TestApp) {
    let data = app
        .data(
            r#"{
                aiModels { groupBy(by: [{ field: EXPECTED_ON, bucket: MONTH }]) { nodes { keys { value } aggregate { count } } } }
                claims { groupBy(by: [{ field: MADE_ON, bucket: QUARTER }, { field: CLAIMANT_COMPANY_NAME }]) {
                    nodes { keys { value } aggregate { count } } } }
            }"#,
        )
        .await;
    // Llama 4 and Trainium3 are expected in 2025, known only to the year: not "2025-01".
    assert_eq!(
        data["aiModels"]["groupBy"]["nodes"],
        json!([
            { "keys": [{ "value": "2025" }], "aggregate": { "count": 2 } },
            { "keys": [{ "value": null }], "aggregate": { "count": 2 } }
        ])
    );
    let claims: Vec<(Value, Value, Value)> = data["claims"]["groupBy"]["nodes"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["keys"][0]["value"].clone(),
                g["keys"][1]["value"].clone(),
                g["aggregate"]["count"].clone(),
            )
        })
        .collect();
    assert_eq!(
        claims,
        vec![
            (json!("2025-Q1"), json!("Amazon"), json!(2)),
            (json!("2025-Q1"), json!("Meta Platforms"), json!(2)),
            (Value::Null, json!("Alphabet"), json!(1)),
            (Value::Null, json!("DeepSeek"), json!(1)),
            (Value::Null, json!("Microsoft"), json!(1)),
        ]
    );
}

const NESTED: &str = r#"{ companies(first: 100) { nodes { name investmentsMade {
    aggregate { count countDistinct(field: INVESTEE_NAME) amount { count byCurrency { currency sum { amount } } } }
    groupBy(by: [{ field: CURRENCY }]) { totalCount nodes { keys { value } aggregate { count amount { byCurrency { sum { amount } } } } } }
} } } }"#;

/// One statement for the companies, then per connection field: aggregate with its money
/// per currency (1), its distinct count (1); the groups with their count and money (1).
const STATEMENTS_FOR_NESTED: usize = 4;

async fn nested_aggregates_cost_the_same_statements_for_5_or_50_parents(app: TestApp) {
    // Deliberately wide (every page at its largest): above the default cost limit.
    let app = app.without_cost_limit();
    dataset::load(&app.db, &chain(0, 5)).await.expect("load");
    app.take_statement_count();
    let small = app.data(NESTED).await;
    let statements_small = app.take_statement_count();
    assert_eq!(
        small["companies"]["nodes"].as_array().map(Vec::len),
        Some(17)
    );
    dataset::load(&app.db, &chain(4, 50)).await.expect("load");
    app.take_statement_count();
    let large = app.data(NESTED).await;
    let statements_large = app.take_statement_count();
    assert_eq!(statements_small, STATEMENTS_FOR_NESTED);
    assert_eq!(statements_large, STATEMENTS_FOR_NESTED);

    let companies = large["companies"]["nodes"].as_array().expect("companies");
    let synthetic: Vec<&Value> = companies
        .iter()
        .filter(|c| {
            c["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("Synthetic"))
        })
        .collect();
    assert_eq!(synthetic.len(), 50);
    for c in &synthetic[..49] {
        // Each synthetic company invested 1,000,000.50 USD in the next one.
        assert_eq!(
            c["investmentsMade"]["aggregate"],
            json!({ "count": 1, "countDistinct": 1, "amount": { "count": 1, "byCurrency": [
                { "currency": "USD", "sum": { "amount": "1000000.50" } }] } }),
            "{}",
            c["name"]
        );
        assert_eq!(
            c["investmentsMade"]["groupBy"],
            json!({ "totalCount": 1, "nodes": [{ "keys": [{ "value": "USD" }],
                "aggregate": { "count": 1, "amount": { "byCurrency": [{ "sum": { "amount": "1000000.50" } }] } } }] })
        );
    }
    assert_eq!(
        synthetic[49]["investmentsMade"]["aggregate"]["count"], 0,
        "the last of the chain invested in nobody"
    );
    let amazon = companies
        .iter()
        .find(|c| c["name"] == "Amazon")
        .expect("Amazon");
    // Amazon's investment in Anthropic has no known amount.
    assert_eq!(
        amazon["investmentsMade"]["aggregate"],
        json!({ "count": 1, "countDistinct": 1, "amount": { "count": 0, "byCurrency": [] } })
    );
}

async fn paging_through_groups_visits_every_group_once(app: TestApp) {
    dataset::load(&app.db, &chain(0, 30)).await.expect("load");
    let page = |after: Option<String>, first: usize| {
        let after = after
            .map(|a| format!(", after: \"{a}\""))
            .unwrap_or_default();
        format!(
            r#"{{ investments {{ groupBy(by: [{{ field: INVESTOR_NAME }}, {{ field: CURRENCY }}],
                orderBy: [{{ function: COUNT, direction: DESC }}], first: {first}{after}) {{
                totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }}
                edges {{ cursor node {{ keys {{ value }} aggregate {{ count }} }} }} }} }} }}"#
        )
    };
    let all = app.data(&page(None, 100)).await;
    let everything = all["investments"]["groupBy"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect::<Vec<_>>();
    assert_eq!(everything.len(), 30, "29 chain investors and Amazon");
    assert_eq!(all["investments"]["groupBy"]["totalCount"], 30);
    let mut walked = Vec::new();
    let mut after = None;
    let mut pages = 0;
    loop {
        let data = app.data(&page(after.clone(), 4)).await;
        let groups = &data["investments"]["groupBy"];
        assert_eq!(groups["pageInfo"]["hasPreviousPage"], after.is_some());
        walked.extend(
            groups["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| e["node"].clone()),
        );
        pages += 1;
        if groups["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = groups["pageInfo"]["endCursor"].as_str().map(str::to_string);
    }
    assert_eq!(pages, 8);
    assert_eq!(walked, everything);
}

/// `totalCount` comes from the page's statement (a window over the groups), not from a
/// statement of its own; only a page past the end needs one. The same on nested lists.
async fn a_page_of_groups_counts_all_groups_in_its_own_statement(app: TestApp) {
    dataset::load(&app.db, &chain(0, 30)).await.expect("load");
    let query = |first: usize, after: &str| {
        format!(
            r#"{{ investments {{ groupBy(by: [{{ field: INVESTOR_NAME }}, {{ field: CURRENCY }}],
                orderBy: [{{ function: COUNT, direction: DESC }}], first: {first}{after}) {{
                totalCount pageInfo {{ endCursor }} nodes {{ aggregate {{ count }} }} }} }} }}"#
        )
    };
    app.take_statement_count();
    let first = app.data(&query(4, "")).await;
    assert_eq!(
        app.take_statement_count(),
        1,
        "the page and its count in one statement"
    );
    assert_eq!(first["investments"]["groupBy"]["totalCount"], 30);
    assert_eq!(
        first["investments"]["groupBy"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(4)
    );
    // The last page ends the list; after its end cursor no group is left to count beside.
    let all = app.data(&query(100, "")).await;
    let end = all["investments"]["groupBy"]["pageInfo"]["endCursor"].clone();
    app.take_statement_count();
    let past = app.data(&query(4, &format!(", after: {end}"))).await;
    assert_eq!(past["investments"]["groupBy"]["nodes"], json!([]));
    assert_eq!(past["investments"]["groupBy"]["totalCount"], 30);
    assert_eq!(
        app.take_statement_count(),
        2,
        "past the end, a count of its own"
    );
    // A filter that leaves no group: zero, without a second statement.
    app.take_statement_count();
    let none = app
        .data(
            r#"{ investments(filter: { description: { eq: "no such" } }) {
            groupBy(by: [{ field: CURRENCY }]) { totalCount nodes { aggregate { count } } } } }"#,
        )
        .await;
    assert_eq!(
        none["investments"]["groupBy"],
        json!({ "totalCount": 0, "nodes": [] })
    );
    assert_eq!(app.take_statement_count(), 1);
    // Nested: each investor's groups counted in the batch's one statement.
    app.take_statement_count();
    let nested = app
        .data(r#"{ companies(first: 100, filter: { name: { startsWith: "Synthetic" } }) { nodes {
            investmentsMade { groupBy(by: [{ field: CURRENCY }, { field: INVESTEE_NAME }], first: 1) { totalCount } } } } }"#)
        .await;
    let statements = app.take_statement_count();
    let counts: Vec<_> = nested["companies"]["nodes"]
        .as_array()
        .expect("companies")
        .iter()
        .map(|c| c["investmentsMade"]["groupBy"]["totalCount"].clone())
        .collect();
    assert!(counts.iter().any(|c| c == &json!(1)), "{counts:?}");
    assert!(counts.iter().any(|c| c == &json!(0)), "{counts:?}");
    assert_eq!(
        statements, 2,
        "the companies, then every company's groups and counts"
    );
}

/// Relation names are read through a join: a NULL foreign key gives a NULL name, which
/// groups as one group, sorts where `nulls` puts it, and pages by keyset cursors.
async fn relation_names_with_null_keys_group_order_and_page_alike(app: TestApp) {
    let mut extra = chain(0, 2);
    let quote = "OpenAI last month announced Stargate";
    // Besides Stargate (led by OpenAI, 4 years): leads None, S00, None, S01, S00, None.
    let leads = [None, Some(0), None, Some(1), Some(0), None];
    for (i, lead) in leads.iter().enumerate() {
        extra.projects.push(
            serde_json::from_value(json!({
                "name": format!("P{i}"),
                "lead": lead.map(|l| format!("Synthetic {l:02}")),
                "horizonYears": i + 1,
                "citations": [{ "source": "ai-capex-spending-spree", "quote": quote }]
            }))
            .expect("project"),
        );
    }
    dataset::load(&app.db, &extra).await.expect("load");

    // Groups by the lead's name, descending with the NULL group first, one group a page.
    let mut groups = Vec::new();
    let mut after = String::new();
    loop {
        let data = app
            .data(&format!(
                r#"{{ projects {{ aggregate {{ countDistinct(field: LEAD_NAME) }}
                    groupBy(by: [{{ field: LEAD_NAME }}], orderBy: [{{ key: 0, direction: DESC, nulls: FIRST }}], first: 1{after}) {{
                    totalCount pageInfo {{ hasNextPage endCursor }}
                    nodes {{ keys {{ value }} aggregate {{ count horizonYears {{ sum }} }} }} }} }} }}"#
            ))
            .await;
        assert_eq!(data["projects"]["aggregate"]["countDistinct"], 3);
        let page = &data["projects"]["groupBy"];
        assert_eq!(page["totalCount"], 4);
        for g in page["nodes"].as_array().expect("groups") {
            groups.push(json!([
                g["keys"][0]["value"],
                g["aggregate"]["count"],
                g["aggregate"]["horizonYears"]["sum"]
            ]));
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = format!(
            ", after: \"{}\"",
            page["pageInfo"]["endCursor"].as_str().expect("cursor")
        );
    }
    assert_eq!(
        groups,
        vec![
            json!([null, 3, "10"]),
            json!(["Synthetic 01", 1, "4"]),
            json!(["Synthetic 00", 2, "7"]),
            json!(["OpenAI", 1, "4"]),
        ]
    );

    // Groups passing a `having` over the relation name (the NULL group has no name to
    // count), ordered by an aggregate; the tie of 4 years is broken by the key.
    let data = app
        .data(
            r#"{ projects { groupBy(by: [{ field: LEAD_NAME }],
                having: [{ function: COUNT, field: LEAD_NAME, gte: "1" }],
                orderBy: [{ function: MAX, field: HORIZON_YEARS, direction: DESC }]) {
                nodes { keys { value } aggregate { count } } } } }"#,
        )
        .await;
    assert_eq!(
        data["projects"]["groupBy"]["nodes"],
        json!([
            { "keys": [{ "value": "Synthetic 00" }], "aggregate": { "count": 2 } },
            { "keys": [{ "value": "OpenAI" }], "aggregate": { "count": 1 } },
            { "keys": [{ "value": "Synthetic 01" }], "aggregate": { "count": 1 } },
        ])
    );

    // The list ordered by the lead's name, both ways, in pages of 2 by keyset cursors: the
    // same rows as one page, NULL names where `nulls` puts them, ties broken by id.
    for (order, expected) in [
        (
            "{ field: LEAD_NAME, nulls: FIRST }",
            ["P0", "P2", "P5", "Stargate", "P1", "P4", "P3"],
        ),
        (
            "{ field: LEAD_NAME, direction: DESC }",
            ["P3", "P1", "P4", "Stargate", "P0", "P2", "P5"],
        ),
    ] {
        let whole = app
            .data(&format!(
                r#"{{ projects(orderBy: [{order}]) {{ nodes {{ name }} }} }}"#
            ))
            .await;
        let names = |nodes: &Value| {
            nodes
                .as_array()
                .expect("nodes")
                .iter()
                .map(|n| n["name"].as_str().expect("name").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&whole["projects"]["nodes"]), expected, "{order}");
        let mut walked = Vec::new();
        let mut after = String::new();
        loop {
            let data = app
                .data(&format!(
                    r#"{{ projects(first: 2{after}, orderBy: [{order}]) {{
                        pageInfo {{ hasNextPage endCursor }} nodes {{ name }} }} }}"#
                ))
                .await;
            walked.extend(names(&data["projects"]["nodes"]));
            let info = &data["projects"]["pageInfo"];
            if info["hasNextPage"] != true {
                break;
            }
            after = format!(
                ", after: \"{}\"",
                info["endCursor"].as_str().expect("cursor")
            );
        }
        assert_eq!(walked, expected, "{order} in pages of 2");
    }
}

async fn scalar(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    app.db
        .query_all_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect("plain SQL")
}

/// The generated graph at the small size these tests compare with plain SQL: 40
/// companies, 400 investments.
async fn generate_small(app: &TestApp) {
    let options = GenerateOptions {
        companies: 40,
        investments: 400,
        models: 20,
        claims: 20,
        seed: 11,
        progress: false,
    };
    generate(&app.db, &options).await.expect("generate");
}

async fn generated_investments_group_as_plain_sql_groups_them(app: TestApp) {
    generate_small(&app).await;

    // By investor name and currency: count and exact sum, against a plain GROUP BY.
    let rows = scalar(
        &app,
        "SELECT c.name AS name, i.currency AS currency, COUNT(*) AS n, \
         CAST(SUM(i.amount_minor) AS BIGINT) AS s \
         FROM investment i JOIN company c ON c.id = i.investor_id \
         WHERE i.currency IS NOT NULL GROUP BY c.name, i.currency",
    )
    .await;
    let mut expected = BTreeMap::new();
    for row in rows {
        let name: String = row.try_get("", "name").expect("name");
        let currency: String = row.try_get("", "currency").expect("currency");
        let n: i64 = row.try_get("", "n").expect("n");
        let s: Option<i64> = row.try_get("", "s").expect("s");
        expected.insert((name, currency), (n, s.unwrap_or(0)));
    }
    assert!(expected.len() > 20, "too few groups to prove anything");
    // In one page, and in pages of 7 (the money of a page is read for its groups only).
    for first in [100, 7] {
        let mut got = BTreeMap::new();
        let mut after = String::new();
        loop {
            let data = app
            .data(&format!(
                r#"{{ investments {{ groupBy(by: [{{ field: INVESTOR_NAME }}, {{ field: CURRENCY }}], first: {first}{after}) {{
                    pageInfo {{ hasNextPage endCursor }}
                    nodes {{ keys {{ value }} aggregate {{ count amount {{ byCurrency {{ currency minorDigits sum {{ minorUnits }} }} }} }} }} }} }} }}"#
            ))
            .await;
            let groups = &data["investments"]["groupBy"];
            for g in groups["nodes"].as_array().expect("groups") {
                let name = g["keys"][0]["value"].as_str().expect("name").to_string();
                let Some(currency) = g["keys"][1]["value"].as_str().map(str::to_string) else {
                    // Investments of unknown amount have no currency either.
                    assert_eq!(g["aggregate"]["amount"]["byCurrency"], json!([]));
                    continue;
                };
                let by_currency = g["aggregate"]["amount"]["byCurrency"]
                    .as_array()
                    .expect("byCurrency");
                assert_eq!(by_currency.len(), 1, "one currency per group");
                assert_eq!(by_currency[0]["currency"], currency.as_str());
                let sum: i64 = by_currency[0]["sum"]["minorUnits"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .expect("sum");
                let count = g["aggregate"]["count"].as_i64().expect("count");
                got.insert((name, currency), (count, sum));
            }
            if groups["pageInfo"]["hasNextPage"] != true {
                break;
            }
            after = format!(
                ", after: \"{}\"",
                groups["pageInfo"]["endCursor"].as_str().expect("cursor")
            );
        }
        assert_eq!(got, expected, "pages of {first}");
    }

    // The whole table: counts, money per currency and dates, from one statement grouped by
    // currency whose rows are merged, against plain SQL over the rows.
    let int = |row: &sea_orm::QueryResult, column: &str| -> i64 {
        row.try_get::<Option<i64>>("", column)
            .expect(column)
            .unwrap_or(0)
    };
    let mut by_currency = Vec::new();
    for row in scalar(
        &app,
        "SELECT currency, COUNT(*) AS n, COUNT(amount_minor) AS c, \
         CAST(SUM(amount_minor) AS BIGINT) AS s, MIN(amount_minor) AS mn, MAX(amount_minor) AS mx \
         FROM investment WHERE currency IS NOT NULL GROUP BY currency ORDER BY currency",
    )
    .await
    {
        let currency: String = row.try_get("", "currency").expect("currency");
        let units = |column: &str| json!({ "minorUnits": int(&row, column).to_string() });
        by_currency.push(json!({
            "currency": currency, "count": int(&row, "c"), "missing": int(&row, "n") - int(&row, "c"),
            "sum": units("s"), "min": units("mn"), "max": units("mx"),
        }));
    }
    assert!(
        by_currency.len() > 1,
        "too few currencies to prove anything"
    );
    let totals = &scalar(
        &app,
        "SELECT COUNT(*) AS n, COUNT(amount_minor) AS c, COUNT(made_on) AS dc, \
         CAST(MIN(made_on) AS TEXT) AS dmn, CAST(MAX(made_on) AS TEXT) AS dmx FROM investment",
    )
    .await[0];
    let day = |column: &str| totals.try_get::<Option<String>>("", column).expect(column);
    app.take_statement_count();
    let data = app
        .data(
            r#"{ investments { aggregate { count
                amount { count missing byCurrency { currency count missing sum { minorUnits } min { minorUnits } max { minorUnits } } }
                madeOn { count min max } } } }"#,
        )
        .await;
    assert_eq!(app.take_statement_count(), 1);
    assert_eq!(
        data["investments"]["aggregate"],
        json!({
            "count": int(totals, "n"),
            "amount": { "count": int(totals, "c"), "missing": int(totals, "n") - int(totals, "c"), "byCurrency": by_currency },
            "madeOn": { "count": int(totals, "dc"), "min": day("dmn"), "max": day("dmx") },
        })
    );

    // By year of investment, against the rows themselves: a date known to the year only
    // still falls in its year, and counts per year add up to every dated investment.
    let investments = investment::Entity::find()
        .all(&app.db)
        .await
        .expect("investments");
    let mut per_quarter: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for i in &investments {
        let label = i.made_on.map(|d| match i.made_precision {
            Some(DatePrecision::Year) => d.year().to_string(),
            _ => format!("{}-Q{}", d.year(), d.month0() / 3 + 1),
        });
        *per_quarter.entry(label).or_default() += 1;
    }
    let data = app
        .data(
            r#"{ investments { groupBy(by: [{ field: MADE_ON, bucket: QUARTER }], first: 100) {
                totalCount nodes { keys { value } aggregate { count } } } } }"#,
        )
        .await;
    let got: BTreeMap<Option<String>, i64> = data["investments"]["groupBy"]["nodes"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| {
            (
                g["keys"][0]["value"].as_str().map(str::to_string),
                g["aggregate"]["count"].as_i64().expect("count"),
            )
        })
        .collect();
    assert_eq!(got, per_quarter);
    let names: BTreeSet<String> = company::Entity::find()
        .all(&app.db)
        .await
        .expect("companies")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert!(names.len() >= 40);
}

/// Sums per currency as plain SQL gives them: rows, rows with an amount, sum, min, max.
#[derive(Debug, Default, Clone, PartialEq)]
struct Part {
    n: i64,
    c: i64,
    s: i64,
    mn: Option<i64>,
    mx: Option<i64>,
}

impl Part {
    fn add(&mut self, other: &Part) {
        self.n += other.n;
        self.c += other.c;
        self.s += other.s;
        self.mn = match (self.mn, other.mn) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.mx = self.mx.max(other.mx);
    }

    fn read(row: &sea_orm::QueryResult) -> Part {
        let int = |column: &str| row.try_get::<Option<i64>>("", column).expect(column);
        Part {
            n: int("n").unwrap_or(0),
            c: int("c").unwrap_or(0),
            s: int("s").unwrap_or(0),
            mn: int("mn"),
            mx: int("mx"),
        }
    }
}

/// A year and a currency, ordered as group keys are: ascending, nulls last.
type YearKey = (bool, Option<String>, bool, Option<String>);

/// Groups by one key: their row count and their sums per currency.
type Groups = BTreeMap<Option<String>, (i64, BTreeMap<String, Part>)>;

/// Walks a groupBy page by page (`{after}` in `query` is replaced by the cursor argument),
/// returning every page's groups and the statements each page cost.
async fn walk_groups(app: &TestApp, query: &str, total: usize) -> (Vec<Value>, Vec<usize>) {
    let mut groups = Vec::new();
    let mut statements = Vec::new();
    let mut after = String::new();
    loop {
        app.take_statement_count();
        let data = app.data(&query.replace("{after}", &after)).await;
        statements.push(app.take_statement_count());
        let page = &data["investments"]["groupBy"];
        assert_eq!(page["totalCount"], total, "{page}");
        groups.extend(page["nodes"].as_array().expect("groups").iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = format!(
            ", after: \"{}\"",
            page["pageInfo"]["endCursor"].as_str().expect("cursor")
        );
    }
    (groups, statements)
}

/// A groupBy that asks for `byCurrency` reads its groups' money in the page's statement
/// (grouped by currency too, merged per group), with its `totalCount`: one statement a
/// page, paged by groups, with `having` and `orderBy` over money sums; the answers are those
/// of plain SQL on the generated graph.
async fn money_of_a_page_of_groups_comes_in_the_page_statement(app: TestApp) {
    generate_small(&app).await;
    let sums = "COUNT(*) AS n, COUNT(amount_minor) AS c, CAST(SUM(amount_minor) AS BIGINT) AS s, \
                MIN(amount_minor) AS mn, MAX(amount_minor) AS mx";
    let money = |parts: &BTreeMap<String, Part>| -> Value {
        parts
            .iter()
            .filter(|(_, p)| p.c > 0)
            .map(|(currency, p)| {
                let units = |v: Option<i64>| json!({ "minorUnits": v.map(|v| v.to_string()) });
                json!({ "currency": currency, "count": p.c, "sum": units(Some(p.s)),
                    "min": units(p.mn), "max": units(p.mx) })
            })
            .collect()
    };
    let by_currency =
        "byCurrency { currency count sum { minorUnits } min { minorUnits } max { minorUnits } }";

    // A3's shape: by year and currency, in pages of 2, against plain SQL by day and
    // currency, added up per year.
    let mut expected: BTreeMap<YearKey, BTreeMap<String, Part>> = BTreeMap::new();
    let mut whole: BTreeMap<YearKey, Part> = BTreeMap::new();
    for row in scalar(
        &app,
        &format!(
            "SELECT CAST(made_on AS TEXT) AS d, currency, {sums} FROM investment GROUP BY made_on, currency"
        ),
    )
    .await
    {
        let year = row
            .try_get::<Option<String>>("", "d")
            .expect("d")
            .map(|d| d[..4].to_string());
        let currency: Option<String> = row.try_get("", "currency").expect("currency");
        // Keys ascending, nulls last.
        let key = (year.is_none(), year, currency.is_none(), currency.clone());
        let part = Part::read(&row);
        whole.entry(key.clone()).or_default().add(&part);
        let per_currency = expected.entry(key).or_default();
        if let Some(currency) = currency {
            per_currency.entry(currency).or_default().add(&part);
        }
    }
    assert!(expected.len() > 5, "too few groups to prove anything");
    let query = format!(
        r#"{{ investments {{ groupBy(by: [{{ field: MADE_ON, bucket: YEAR }}, {{ field: CURRENCY }}], first: 2{{after}}) {{
            totalCount pageInfo {{ hasNextPage endCursor }}
            nodes {{ keys {{ value }} aggregate {{ count amount {{ count {by_currency} }} }} }} }} }} }}"#
    );
    let (groups, statements) = walk_groups(&app, &query, expected.len()).await;
    let want: Vec<Value> = expected
        .iter()
        .map(|((_, year, _, currency), parts)| {
            let p = &whole[&(year.is_none(), year.clone(), currency.is_none(), currency.clone())];
            json!({ "keys": [{ "value": year }, { "value": currency }],
                "aggregate": { "count": p.n, "amount": { "count": p.c, "byCurrency": money(parts) } } })
        })
        .collect();
    assert_eq!(groups, want);
    assert_eq!(statements.len(), expected.len().div_ceil(2));
    assert!(
        statements.iter().all(|n| *n == 1),
        "the page, its count and its money in one statement: {statements:?}"
    );

    // By year, and by investor: the groups with at least the median USD sum, by USD sum
    // descending, in pages of 2, with their money in every currency. A year's page is one
    // statement; keys grouped by foreign key (an investor's name) keep the page statement
    // of their own and read the money of the page's groups with a second one.
    let mut years: Groups = BTreeMap::new();
    for (key, parts) in &expected {
        let year = years.entry(key.1.clone()).or_default();
        year.0 += whole[key].n;
        for (currency, part) in parts {
            year.1.entry(currency.clone()).or_default().add(part);
        }
    }
    let mut investors: Groups = BTreeMap::new();
    for row in scalar(
        &app,
        &format!(
            "SELECT c.name AS name, i.currency AS currency, {} \
             FROM investment i LEFT JOIN company c ON c.id = i.investor_id GROUP BY c.name, i.currency",
            sums.replace("amount_minor", "i.amount_minor")
        ),
    )
    .await
    {
        let name: Option<String> = row.try_get("", "name").expect("name");
        let currency: Option<String> = row.try_get("", "currency").expect("currency");
        let part = Part::read(&row);
        let investor = investors.entry(name).or_default();
        investor.0 += part.n;
        if let Some(currency) = currency {
            investor.1.entry(currency).or_default().add(&part);
        }
    }
    for (by, groups, statements_a_page) in [
        ("{ field: MADE_ON, bucket: YEAR }", &years, 1),
        ("{ field: INVESTOR_NAME }", &investors, 2),
    ] {
        let usd =
            |parts: &BTreeMap<String, Part>| parts.get("USD").filter(|p| p.c > 0).map(|p| p.s);
        let mut sums_usd: Vec<i64> = groups.values().filter_map(|g| usd(&g.1)).collect();
        sums_usd.sort();
        assert!(sums_usd.len() >= 4, "too few USD groups to prove anything");
        let threshold = sums_usd[sums_usd.len() / 2];
        let mut passing: Vec<(&Option<String>, i64)> = groups
            .iter()
            .filter_map(|(key, g)| usd(&g.1).filter(|s| *s >= threshold).map(|s| (key, s)))
            .collect();
        // By the sum descending; ties by the key, bytewise, nulls last.
        passing.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then((a.0.is_none(), a.0).cmp(&(b.0.is_none(), b.0)))
        });
        let query = format!(
            r#"{{ investments {{ groupBy(by: [{by}],
                having: [{{ function: SUM, field: AMOUNT, currency: "USD", gte: "{}.{:02}" }}],
                orderBy: [{{ function: SUM, field: AMOUNT, currency: "USD", direction: DESC }}], first: 2{{after}}) {{
                totalCount pageInfo {{ hasNextPage endCursor }}
                nodes {{ keys {{ value }} aggregate {{ count amount {{ {by_currency} }} }} }} }} }} }}"#,
            threshold / 100,
            threshold % 100
        );
        let (got, statements) = walk_groups(&app, &query, passing.len()).await;
        let want: Vec<Value> = passing
            .iter()
            .map(|(key, _)| {
                let (n, parts) = &groups[*key];
                json!({ "keys": [{ "value": key }],
                    "aggregate": { "count": n, "amount": { "byCurrency": money(parts) } } })
            })
            .collect();
        assert_eq!(got, want, "{by}");
        assert!(statements.len() > 1, "{by}: more than one page");
        assert!(
            statements.iter().all(|n| *n == statements_a_page),
            "{by}: {statements:?}"
        );
    }

    // An average does not add up from the parts: its page is a statement of its own, and
    // the money of its groups a second one.
    app.take_statement_count();
    let data = app
        .data(&format!(
            r#"{{ investments {{ groupBy(by: [{{ field: INVESTOR_NAME }}],
                orderBy: [{{ function: AVG, field: AMOUNT, currency: "USD", direction: DESC }}], first: 2) {{
                nodes {{ aggregate {{ amount {{ {by_currency} }} }} }} }} }} }}"#
        ))
        .await;
    assert_eq!(app.take_statement_count(), 2);
    assert_eq!(
        data["investments"]["groupBy"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

async fn malformed_group_by_arguments_are_bad_user_input(app: TestApp) {
    let before = app.row_counts().await;
    let cases = [
        (
            r#"{ investments { groupBy(by: [{ field: INVESTOR_NAME }], orderBy: [{ function: SUM, field: AMOUNT }]) { totalCount } } }"#,
            "orderBy[0].currency",
        ),
        (
            r#"{ investments { groupBy(by: [{ field: INVESTOR_NAME, bucket: YEAR }]) { totalCount } } }"#,
            "by[0].bucket",
        ),
        (
            r#"{ investments { groupBy(by: []) { totalCount } } }"#,
            "by",
        ),
        (
            r#"{ investments { groupBy(by: [{ field: CURRENCY }], first: 101) { totalCount } } }"#,
            "first",
        ),
        (
            r#"{ investments { groupBy(by: [{ field: CURRENCY }], after: "bm9wZQ") { totalCount } } }"#,
            "after",
        ),
        (
            r#"{ investments { groupBy(by: [{ field: CURRENCY }], having: [{ function: SUM, field: INVESTOR_NAME, gt: "1" }]) { totalCount } } }"#,
            "having[0].function",
        ),
        (
            r#"{ investments { groupBy(by: [{ field: CURRENCY }], having: [{ function: COUNT }]) { totalCount } } }"#,
            "having[0]",
        ),
        (
            r#"{ investments { groupBy(by: [{ field: CURRENCY }], having: [{ function: SUM, field: AMOUNT, currency: "XYZ", gt: "1" }]) { totalCount } } }"#,
            "having[0].currency",
        ),
        (
            r#"{ investments { groupBy(by: [{ field: CURRENCY }], having: [{ function: SUM, field: AMOUNT, currency: "USD", gt: "1.001" }]) { totalCount } } }"#,
            "having[0].gt",
        ),
        (
            r#"{ investments { groupBy(by: [{ field: CURRENCY }], orderBy: [{ key: 3 }]) { totalCount } } }"#,
            "orderBy[0].key",
        ),
        (
            r#"{ investments { groupBy(by: [{ field: CURRENCY }], orderBy: [{ key: 0, function: COUNT }]) { totalCount } } }"#,
            "orderBy[0]",
        ),
    ];
    for (query, field) in cases {
        let errors = app.errors(json!({ "query": query })).await;
        assert_eq!(
            errors[0]["extensions"]["code"], "BAD_USER_INPUT",
            "{query}: {errors:?}"
        );
        assert_eq!(
            errors[0]["extensions"]["field"], field,
            "{query}: {errors:?}"
        );
        assert!(
            errors[0]["message"].as_str().is_some_and(|m| m.len() > 20),
            "{errors:?}"
        );
    }
    // A cursor of one grouping does not page another.
    let data = app
        .data(r#"{ investments { groupBy(by: [{ field: CURRENCY }], first: 1) { pageInfo { endCursor } } } }"#)
        .await;
    let cursor = data["investments"]["groupBy"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor")
        .to_string();
    let errors = app
        .errors(json!({ "query": format!(
            r#"{{ investments {{ groupBy(by: [{{ field: INVESTOR_NAME }}], after: "{cursor}") {{ totalCount }} }} }}"#
        ) }))
        .await;
    assert_eq!(errors[0]["extensions"]["field"], "after");
    assert_eq!(app.row_counts().await, before);
}

/// PostgreSQL's JIT compiled large analytics plans for longer than they ran: the pool's
/// connections run without it, unless the URL turns it on, and the statement timeout
/// given beside it still applies.
#[tokio::test]
async fn postgres_pools_run_without_jit_unless_the_url_asks_for_it() {
    let Some(admin) = crate::helpers::postgres_admin_url() else {
        return;
    };
    let jit = |url: String, timeout: Option<std::time::Duration>| async move {
        let options = capex_graph::db::PoolOptions {
            statement_timeout: timeout,
            ..Default::default()
        };
        let db = capex_graph::db::connect_pool(&url, &options)
            .await
            .expect("connect");
        let show = |name: &'static str| {
            let db = db.clone();
            async move {
                let row = db
                    .query_one_raw(Statement::from_string(
                        db.get_database_backend(),
                        format!("SHOW {name}"),
                    ))
                    .await
                    .expect("SHOW")
                    .expect("a row");
                row.try_get::<String>("", name).expect("a setting")
            }
        };
        let settings = (show("jit").await, show("statement_timeout").await);
        let _ = db.close().await;
        settings
    };
    assert_eq!(jit(admin.clone(), None).await.0, "off");
    assert_eq!(
        jit(admin.clone(), Some(std::time::Duration::from_secs(7))).await,
        ("off".to_string(), "7s".to_string())
    );
    let separator = if admin.contains('?') { '&' } else { '?' };
    assert_eq!(
        jit(format!("{admin}{separator}options[jit]=on"), None)
            .await
            .0,
        "on"
    );
}

/// Every statistic of an investment aggregate.
const EVERY_STAT: &str = "count amount { count missing byCurrency { currency count missing sum { minorUnits } avg { minorUnits } min { minorUnits } max { minorUnits } } } madeOn { count missing min max }";

/// A query over the investments' aggregate with `selection` in every place an aggregate
/// can be: the whole list, groups keyed by a related name (their money read lazily), by a
/// date bucket (their money read with the page), and nested under companies, twice under
/// different aliases (with the whole selection and with `count` alone).
fn aggregate_places(selection: &str, fragments: &str) -> String {
    format!(
        r#"{{ investments {{
            aggregate {{ {selection} }}
            byInvestor: groupBy(by: [{{ field: INVESTOR_NAME }}], orderBy: [{{ function: SUM, field: AMOUNT, currency: "USD", direction: DESC }}], first: 6) {{ nodes {{ keys {{ value }} aggregate {{ {selection} }} }} }}
            byYear: groupBy(by: [{{ field: MADE_ON, bucket: YEAR }}], first: 4) {{ nodes {{ keys {{ value }} aggregate {{ {selection} }} }} }}
        }}
        companies(first: 8, orderBy: [{{ field: NAME }}]) {{ nodes {{ name investmentsMade {{ aggregate {{ {selection} }} counted: aggregate {{ count }} }} }} }}
        }}
        {fragments}"#
    )
}

/// `full` restricted to the fields of `part` (object keys, array items in order).
fn restrict(full: &Value, part: &Value) -> Value {
    match (full, part) {
        (Value::Object(full), Value::Object(part)) => part
            .keys()
            .map(|k| {
                (
                    k.clone(),
                    restrict(full.get(k).unwrap_or(&Value::Null), &part[k]),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into(),
        (Value::Array(full), Value::Array(part)) => full
            .iter()
            .enumerate()
            .map(|(i, f)| restrict(f, part.get(i).unwrap_or(&Value::Null)))
            .collect(),
        (full, _) => full.clone(),
    }
}

/// Aggregates that select some statistics only (count alone, one date bound, money per
/// currency in part, through fragments and aliases) answer what an aggregate selecting
/// every statistic answers, on the whole list, on groups of both kinds and nested.
async fn fewer_statistics_selected_give_the_same_answers(app: TestApp) {
    let options = GenerateOptions {
        companies: 30,
        investments: 300,
        models: 10,
        claims: 10,
        seed: 5,
        progress: false,
    };
    generate(&app.db, &options).await.expect("generate");
    let app = app.without_cost_limit();
    let full = app.data(&aggregate_places(EVERY_STAT, "")).await;
    // Not vacuous: the groups have money in several currencies, and dates.
    let first = &full["investments"]["byInvestor"]["nodes"][0]["aggregate"];
    assert!(first["count"].as_i64().unwrap_or(0) > 1, "{first}");
    assert!(first["madeOn"]["max"].is_string(), "{first}");
    assert!(
        full["investments"]["aggregate"]["amount"]["byCurrency"]
            .as_array()
            .is_some_and(|c| c.len() > 1),
        "{full}"
    );
    for selection in [
        "count",
        "madeOn { min }",
        "madeOn { missing }",
        "amount { missing }",
        "amount { byCurrency { currency max { minorUnits } } }",
        "amount { byCurrency { avg { minorUnits } } } madeOn { max }",
        "countDistinct(field: INVESTEE_NAME) amount { count }",
        "... on InvestmentAggregate { madeOn { max } }",
        "...Latest",
    ] {
        let fragments = match selection {
            "...Latest" => {
                "fragment Latest on InvestmentAggregate { madeOn { max } amount { byCurrency { currency sum { minorUnits } } } }"
            }
            _ => "",
        };
        let part = app.data(&aggregate_places(selection, fragments)).await;
        let full = if selection.contains("countDistinct") {
            // Not part of EVERY_STAT: compared with the same selection and every statistic.
            app.data(&aggregate_places(&format!("{EVERY_STAT} {selection}"), ""))
                .await
        } else {
            full.clone()
        };
        assert_eq!(part, restrict(&full, &part), "{selection}");
    }

    // Aliases: the same field twice with different statistics, and the groups' aggregate
    // under `edges { node }`.
    let aliased = app
        .data(
            r#"{ investments {
                aggregate { earliest: madeOn { min } latest: madeOn { max } money: amount { byCurrency { currency sum { minorUnits } } } }
                byYear: groupBy(by: [{ field: MADE_ON, bucket: YEAR }], first: 4) { edges { node { keys { value } aggregate { n: count first: madeOn { min } } } } }
            } }"#,
        )
        .await["investments"]
        .clone();
    let whole = &full["investments"]["aggregate"];
    assert_eq!(
        aliased["aggregate"]["earliest"]["min"],
        whole["madeOn"]["min"]
    );
    assert_eq!(
        aliased["aggregate"]["latest"]["max"],
        whole["madeOn"]["max"]
    );
    assert_eq!(
        aliased["aggregate"]["money"],
        restrict(&whole["amount"], &aliased["aggregate"]["money"])
    );
    let edges = aliased["byYear"]["edges"].as_array().expect("edges");
    let nodes = full["investments"]["byYear"]["nodes"]
        .as_array()
        .expect("nodes");
    assert_eq!(edges.len(), nodes.len());
    for (edge, node) in edges.iter().zip(nodes) {
        assert_eq!(edge["node"]["keys"], node["keys"]);
        assert_eq!(edge["node"]["aggregate"]["n"], node["aggregate"]["count"]);
        assert_eq!(
            edge["node"]["aggregate"]["first"]["min"],
            node["aggregate"]["madeOn"]["min"]
        );
    }
}

/// How many times each aggregate function is called in `statements`.
fn functions(statements: &[String]) -> BTreeMap<&'static str, usize> {
    ["SUM(", "MIN(", "MAX(", "COUNT(\""]
        .into_iter()
        .map(|f| (f, statements.iter().map(|s| s.matches(f).count()).sum()))
        .collect()
}

/// An aggregate or a page of groups computes the statistics its selection asks for only:
/// `count` costs `COUNT(*)` alone, one date bound one `MIN`, whatever the type's columns.
async fn statistics_not_selected_are_not_computed(app: TestApp) {
    let ask = |selection: &str| {
        format!(
            "{{ investments {{ aggregate {{ {selection} }} groupBy(by: [{{ field: CURRENCY }}]) {{ nodes {{ aggregate {{ {selection} }} }} }} }} }}"
        )
    };
    app.take_statements();
    app.data(&ask(EVERY_STAT)).await;
    let every = functions(&app.take_statements());
    assert!(every.values().all(|n| *n > 0), "{every:?}");

    app.data(&ask("count")).await;
    let statements = app.take_statements();
    assert_eq!(statements.len(), 2, "{statements:#?}");
    assert!(
        functions(&statements).values().all(|n| *n == 0),
        "{statements:#?}"
    );

    app.data(&ask("madeOn { min }")).await;
    let statements = app.take_statements();
    let counts = functions(&statements);
    assert_eq!(counts["MIN("], 2, "{statements:#?}");
    assert_eq!(
        counts["MAX("] + counts["SUM("] + counts["COUNT(\""],
        0,
        "{statements:#?}"
    );
}

/// Challenges grouped by the challenger's name: "some tech leaders" challenge C1 without a
/// company, so one group has no key. Its page is the second (the page before it holds two
/// groups), where the distinct counts are read for the page's groups by foreign key: the
/// group without one is found too, and counted like the others.
async fn a_later_page_keyed_by_a_nullable_relation_counts_its_group_without_one(app: TestApp) {
    let rows = app
        .data("{ challenges { nodes { kind challengerCompany { name } } } }")
        .await;
    let mut expected: BTreeMap<Option<String>, BTreeSet<String>> = BTreeMap::new();
    for c in rows["challenges"]["nodes"].as_array().expect("challenges") {
        let name = c["challengerCompany"]["name"].as_str().map(str::to_owned);
        let kind = c["kind"].as_str().expect("kind").to_owned();
        expected.entry(name).or_default().insert(kind);
    }
    assert!(
        expected.contains_key(&None) && expected.len() > 2,
        "{expected:?}"
    );
    let page = |after: &str| {
        format!(
            r#"{{ challenges {{ groupBy(by: [{{ field: CHALLENGER_COMPANY_NAME }}], first: 2{after}) {{
                pageInfo {{ endCursor }} edges {{ cursor node {{ keys {{ value }} aggregate {{ count countDistinct(field: KIND) }} }} }} }} }} }}"#
        )
    };
    let mut got = BTreeMap::new();
    let mut after = String::new();
    loop {
        let data = app.data(&page(&after)).await;
        let groups = &data["challenges"]["groupBy"];
        let edges = groups["edges"].as_array().expect("edges").clone();
        for edge in &edges {
            let node = &edge["node"];
            let name = node["keys"][0]["value"].as_str().map(str::to_owned);
            got.insert(
                name,
                node["aggregate"]["countDistinct"]
                    .as_i64()
                    .expect("distinct"),
            );
        }
        match groups["pageInfo"]["endCursor"].as_str() {
            Some(cursor) if !edges.is_empty() => after = format!(", after: \"{cursor}\""),
            _ => break,
        }
    }
    let expected: BTreeMap<Option<String>, i64> = expected
        .into_iter()
        .map(|(name, kinds)| (name, kinds.len() as i64))
        .collect();
    assert_eq!(got, expected);
}

/// Groups keyed by a related name and ordered by aggregates (their page statement ranks
/// the groups by those aggregates before joining names, on PostgreSQL): walked in pages of
/// 3, they are the groups of one page of 100, in the same order, ties and all.
async fn groups_by_a_related_name_ordered_by_sums_page_as_one_page_does(app: TestApp) {
    generate_small(&app).await;
    let query = |first: usize| {
        format!(
            r#"{{ investments {{ groupBy(by: [{{ field: INVESTOR_NAME }}],
                orderBy: [{{ function: SUM, field: AMOUNT, currency: "USD", direction: DESC }}, {{ function: COUNT, direction: ASC }}],
                first: {first}{{after}}) {{ totalCount pageInfo {{ hasNextPage endCursor }}
                nodes {{ keys {{ value }} aggregate {{ count amount {{ byCurrency {{ currency sum {{ minorUnits }} }} }} }} }} }} }} }}"#
        )
    };
    let first = app.data(&query(100).replace("{after}", "")).await;
    let total = first["investments"]["groupBy"]["totalCount"]
        .as_u64()
        .expect("totalCount") as usize;
    assert!(total > 9, "enough groups for several pages: {total}");
    let (whole, _) = walk_groups(&app, &query(100), total).await;
    let (walked, statements) = walk_groups(&app, &query(3), total).await;
    assert_eq!(whole.len(), total);
    assert!(statements.len() > 3, "{statements:?}");
    assert_eq!(walked, whole);
    let sums: Vec<i128> = whole
        .iter()
        .map(|g| {
            g["aggregate"]["amount"]["byCurrency"]
                .as_array()
                .expect("byCurrency")
                .iter()
                .find(|m| m["currency"] == "USD")
                .map(|m| {
                    m["sum"]["minorUnits"]
                        .as_str()
                        .expect("sum")
                        .parse()
                        .expect("int")
                })
                .unwrap_or(i128::MIN)
        })
        .collect();
    assert!(sums.windows(2).all(|w| w[0] >= w[1]), "{sums:?}");
    assert!(
        sums.windows(2).filter(|w| w[0] > w[1]).count() > 5,
        "distinct sums: {sums:?}"
    );
}

/// A filter that fixes the currency (`amount: { currency }` at its top level or in `and`)
/// lets a page of groups read its money per currency with the groups, in one statement of
/// plain groups. The same rows selected through `or` (which fixes nothing) cost a second
/// statement for groups by a related name, and a statement over the groups' parts by
/// currency for a date bucket. The answers are the same, nested too.
async fn a_filter_fixing_the_currency_reads_money_per_currency_with_the_page(app: TestApp) {
    generate_small(&app).await;
    let money = "count amount { count byCurrency { currency count missing sum { minorUnits } min { minorUnits } max { minorUnits } avg { minorUnits } } }";
    let shapes = [
        (
            2,
            format!(
                r#"investments(filter: FILTER) {{ groupBy(by: [{{ field: INVESTOR_NAME }}], orderBy: [{{ function: SUM, field: AMOUNT, currency: "USD", direction: DESC }}], first: 5) {{ totalCount nodes {{ keys {{ value }} aggregate {{ {money} }} }} }} }}"#
            ),
        ),
        (
            1,
            format!(
                r#"investments(filter: FILTER) {{ groupBy(by: [{{ field: MADE_ON, bucket: YEAR }}], orderBy: [{{ function: COUNT, direction: DESC }}], first: 3) {{ nodes {{ keys {{ value }} aggregate {{ {money} }} }} }} }}"#
            ),
        ),
    ];
    for (unfixed_expected, shape) in &shapes {
        let fixed = format!(
            "{{ {} }}",
            shape.replace("FILTER", r#"{ and: [{ amount: { currency: "USD" } }] }"#)
        );
        let unfixed = format!(
            "{{ {} }}",
            shape.replace("FILTER", r#"{ or: [{ amount: { currency: "USD" } }] }"#)
        );
        app.take_statement_count();
        let fixed_data = app.data(&fixed).await;
        let fixed_statements = app.take_statement_count();
        let unfixed_data = app.data(&unfixed).await;
        let unfixed_statements = app.take_statement_count();
        assert_eq!(fixed_data, unfixed_data, "{shape}");
        assert_eq!(fixed_statements, 1, "{shape}");
        assert_eq!(unfixed_statements, *unfixed_expected, "{shape}");
        if *unfixed_expected == 1 {
            // The parts' statement groups by the currency too; the fixed one does not.
            app.take_statements();
            app.data(&fixed).await;
            let statements = app.take_statements();
            assert_eq!(statements.len(), 1);
            assert!(!statements[0].contains(", \"cur\""), "{statements:?}");
            app.data(&unfixed).await;
            let statements = app.take_statements();
            assert!(statements[0].contains(", \"cur\""), "{statements:?}");
        }
        let groups = fixed_data["investments"]["groupBy"]["nodes"]
            .as_array()
            .expect("groups");
        assert!(!groups.is_empty());
        for group in groups {
            let per_currency = group["aggregate"]["amount"]["byCurrency"]
                .as_array()
                .expect("byCurrency");
            assert_eq!(per_currency.len(), 1, "{group}");
            assert_eq!(per_currency[0]["currency"], "USD");
            assert!(per_currency[0]["sum"]["minorUnits"].is_string(), "{group}");
        }
    }
    // Nested under companies: the same answers with the currency fixed or not.
    let nested = |filter: &str| {
        format!(
            r#"{{ companies(first: 6, orderBy: [{{ field: NAME }}]) {{ nodes {{ name investmentsMade(filter: {filter}) {{ groupBy(by: [{{ field: MADE_ON, bucket: YEAR }}], first: 2) {{ nodes {{ keys {{ value }} aggregate {{ {money} }} }} }} }} }} }} }}"#
        )
    };
    assert_eq!(
        app.data(&nested(r#"{ amount: { currency: "USD" } }"#))
            .await,
        app.data(&nested(r#"{ or: [{ amount: { currency: "USD" } }] }"#))
            .await
    );
}
