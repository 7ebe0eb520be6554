//! Relay connections: keyset paging that neither loses nor repeats rows, whatever the
//! ordering, nested lists paged in SQL, page-size limits, and global ids.

use std::cmp::Ordering;
use std::collections::HashMap;

use capex_graph::dataset::{self, Dataset};
use capex_graph::generate::{GenerateOptions, generate};
use entity::{company, investment};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::loading::chain;
use crate::on_both_engines;

on_both_engines!(
    paging_by_3_returns_exactly_the_rows_of_one_large_page_for_every_ordering,
    paging_backwards_returns_the_same_rows_in_the_same_order,
    text_orders_the_same_on_both_engines_with_mixed_case_and_non_ascii_names,
    nested_lists_page_per_parent_with_their_own_counts,
    nested_pages_of_every_parent_follow_one_cursor_forward_and_backward,
    investments_order_by_the_investee_name,
    pages_ordered_by_a_related_name_are_the_sorted_list_whatever_the_filter,
    page_size_limits_and_bad_cursors_are_clear_errors,
    global_ids_fetch_every_kind_of_row,
    statement_count_is_the_same_for_page_sizes_1_and_100,
);

/// Companies with repeated and missing tickers and countries, in mixed case and non-ASCII.
pub fn awkward_companies() -> Dataset {
    let names = [
        ("zeta labs", None, Some("DE")),
        ("Zeta Labs Two", Some("ZT"), None),
        ("Élan Capital", None, Some("FR")),
        ("élan robotics", Some("ELR"), Some("FR")),
        ("Äpfel AI", None, None),
        ("alpha one", Some("A1"), Some("US")),
        ("Alpha Two", None, Some("US")),
        ("Ωmega Compute", None, Some("GR")),
        ("ōkami", Some("OK"), None),
        ("Beta", None, Some("DE")),
    ];
    let mut data = Dataset::default();
    for (name, ticker, country) in names {
        data.companies.push(
            serde_json::from_value(
                json!({ "name": name, "ticker": ticker, "country": country, "kind": "STARTUP" }),
            )
            .expect("company"),
        );
    }
    data
}

async fn ids(app: &TestApp, args: &str) -> (Vec<i64>, Value) {
    let data = app
        .data(&format!(
            "{{ companies({args}) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }} edges {{ cursor node {{ databaseId }} }} }} }}"
        ))
        .await;
    let conn = data["companies"].clone();
    let ids = conn["edges"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|e| e["node"]["databaseId"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    (ids, conn)
}

const ORDERINGS: &[&str] = &[
    "",
    "orderBy: [{ field: TICKER }]",
    "orderBy: [{ field: TICKER, direction: DESC }]",
    "orderBy: [{ field: TICKER, nulls: FIRST }]",
    "orderBy: [{ field: TICKER, direction: DESC, nulls: FIRST }]",
    "orderBy: [{ field: COUNTRY }, { field: NAME, direction: DESC }]",
    "orderBy: [{ field: COUNTRY, nulls: FIRST }, { field: TICKER }]",
    "orderBy: [{ field: KIND, direction: DESC }, { field: COUNTRY, direction: DESC, nulls: LAST }]",
];

async fn paging_by_3_returns_exactly_the_rows_of_one_large_page_for_every_ordering(app: TestApp) {
    dataset::load(&app.db, &awkward_companies())
        .await
        .expect("load");
    for ordering in ORDERINGS {
        let (all, conn) = ids(&app, &format!("first: 100 {ordering}")).await;
        assert_eq!(all.len(), 22, "{ordering}");
        assert_eq!(conn["totalCount"], 22);
        assert_eq!(conn["pageInfo"]["hasNextPage"], false);
        let mut paged = Vec::new();
        let mut after = String::new();
        loop {
            let (page, conn) = ids(&app, &format!("first: 3 {after} {ordering}")).await;
            assert!(page.len() <= 3);
            paged.extend(page);
            if conn["pageInfo"]["hasNextPage"] != true {
                break;
            }
            assert_eq!(conn["pageInfo"]["hasPreviousPage"], !after.is_empty());
            after = format!("after: {}", conn["pageInfo"]["endCursor"]);
            assert!(paged.len() <= 22, "paging does not end for {ordering}");
        }
        assert_eq!(
            paged, all,
            "pages of 3 differ from one page for ordering {ordering:?}"
        );
    }
}

async fn paging_backwards_returns_the_same_rows_in_the_same_order(app: TestApp) {
    dataset::load(&app.db, &awkward_companies())
        .await
        .expect("load");
    for ordering in ORDERINGS {
        let (all, _) = ids(&app, &format!("first: 100 {ordering}")).await;
        let mut pages: Vec<Vec<i64>> = Vec::new();
        let mut before = String::new();
        loop {
            let (page, conn) = ids(&app, &format!("last: 4 {before} {ordering}")).await;
            pages.insert(0, page);
            if conn["pageInfo"]["hasPreviousPage"] != true {
                break;
            }
            before = format!("before: {}", conn["pageInfo"]["startCursor"]);
        }
        let paged: Vec<i64> = pages.concat();
        assert_eq!(
            paged, all,
            "backward pages differ for ordering {ordering:?}"
        );
    }
}

async fn text_orders_the_same_on_both_engines_with_mixed_case_and_non_ascii_names(app: TestApp) {
    dataset::load(&app.db, &awkward_companies())
        .await
        .expect("load");
    let data = app
        .data("{ companies(first: 100, orderBy: [{ field: NAME }]) { nodes { name } } }")
        .await;
    let names: Vec<String> = data["companies"]["nodes"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|c| c["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    let mut expected = names.clone();
    // Byte order of UTF-8, which is code point order: the same rule on both engines.
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(names.first().map(String::as_str), Some("Alpha Two"));
    assert_eq!(names.last().map(String::as_str), Some("Ωmega Compute"));
}

async fn nested_lists_page_per_parent_with_their_own_counts(app: TestApp) {
    // A fan: Synthetic 00 invests in 01..=09 (chain gives 00->01, then more edges below).
    let mut data = chain(0, 10);
    for i in 2..10 {
        data.investments.push(
            serde_json::from_value(json!({
                "ref": format!("F{i}"), "investor": "Synthetic 00", "investee": format!("Synthetic {i:02}"),
                "citations": [{ "source": "ai-capex-spending-spree", "quote": "OpenAI last month announced Stargate" }]
            }))
            .expect("investment"),
        );
    }
    dataset::load(&app.db, &data).await.expect("load");
    let query = r#"{ companies(first: 100, orderBy: [{ field: NAME }]) { nodes { name
        investmentsMade(first: 2, orderBy: [{ field: INVESTEE_NAME, direction: DESC }]) {
          totalCount pageInfo { hasNextPage endCursor } nodes { investee { name } } } } } }"#;
    let data = app.data(query).await;
    let companies = data["companies"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let by_name = |name: &str| {
        companies
            .iter()
            .find(|c| c["name"] == name)
            .cloned()
            .unwrap_or_default()
    };
    let s00 = by_name("Synthetic 00");
    assert_eq!(s00["investmentsMade"]["totalCount"], 9);
    assert_eq!(s00["investmentsMade"]["pageInfo"]["hasNextPage"], true);
    let investees: Vec<_> = s00["investmentsMade"]["nodes"]
        .as_array()
        .map(|n| n.iter().map(|i| i["investee"]["name"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(investees, [json!("Synthetic 09"), json!("Synthetic 08")]);
    let s05 = by_name("Synthetic 05");
    assert_eq!(s05["investmentsMade"]["totalCount"], 1);
    assert_eq!(s05["investmentsMade"]["pageInfo"]["hasNextPage"], false);
    let amazon = by_name("Amazon");
    assert_eq!(amazon["investmentsMade"]["totalCount"], 1);
    let nvidia = by_name("Nvidia");
    assert_eq!(
        nvidia["investmentsMade"],
        json!({ "totalCount": 0, "pageInfo": { "hasNextPage": false, "endCursor": null }, "nodes": [] })
    );

    // Walking one parent's nested list page by page gives all of it.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = app
            .data(&format!(
                r#"{{ companyByName(name: "Synthetic 00") {{ investmentsMade(first: 2 {after}, orderBy: [{{ field: INVESTEE_NAME, direction: DESC }}]) {{
                    pageInfo {{ hasNextPage endCursor }} nodes {{ investee {{ name }} }} }} }} }}"#
            ))
            .await;
        let conn = &page["companyByName"]["investmentsMade"];
        for n in conn["nodes"].as_array().cloned().unwrap_or_default() {
            seen.push(
                n["investee"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = format!(", after: {}", conn["pageInfo"]["endCursor"]);
    }
    let expected: Vec<String> = (1..10).rev().map(|i| format!("Synthetic {i:02}")).collect();
    assert_eq!(seen, expected);
}

/// Investors 0 to 4 with 0, 1, 3, 5 and 8 investments whose amounts repeat and are
/// sometimes missing: ties and NULLs in the order key, parents with no rows, a full page,
/// and lists longer than a page.
fn tied_investments() -> Dataset {
    let quote = "OpenAI last month announced Stargate";
    let mut data = chain(0, 5);
    data.investments.clear();
    let amounts = [Some("7"), None, Some("5"), Some("7"), Some("5"), None];
    let mut n = 0;
    for (investor, made) in [0, 1, 3, 5, 8].into_iter().enumerate() {
        for _ in 0..made {
            let amount = amounts[n % amounts.len()]
                .map(|amount| json!({ "amount": amount, "currency": "USD" }));
            data.investments.push(
                serde_json::from_value(json!({
                    "ref": format!("T{n}"), "investor": format!("Synthetic {investor:02}"),
                    "investee": format!("Synthetic {:02}", (investor + 1 + n % 4) % 5), "amount": amount,
                    "citations": [{ "source": "ai-capex-spending-spree", "quote": quote }]
                }))
                .expect("investment"),
            );
            n += 1;
        }
    }
    data
}

/// `a` before `b` by amount (`desc`, `nulls_first`), then by id.
fn by_amount(
    desc: bool,
    nulls_first: bool,
) -> impl Fn(&investment::Model, &investment::Model) -> Ordering {
    move |a, b| {
        let amount = match (a.amount_minor, b.amount_minor) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) if nulls_first => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) if nulls_first => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) if desc => y.cmp(&x),
            (Some(x), Some(y)) => x.cmp(&y),
        };
        amount.then(a.id.cmp(&b.id))
    }
}

/// Rows per page in [`nested_pages_of_every_parent_follow_one_cursor_forward_and_backward`].
const PAGE: usize = 3;

/// One company's page of a nested list.
struct NestedPage {
    parent: i64,
    ids: Vec<i64>,
    has_previous: Value,
    has_next: Value,
    start: Value,
    end: Value,
}

/// Every company's page of `investmentsMade(<args>)`.
async fn nested_pages(app: &TestApp, args: &str) -> Vec<NestedPage> {
    let data = app
        .data(&format!(
            "{{ companies(first: 100) {{ nodes {{ databaseId investmentsMade({args}) {{
                pageInfo {{ hasPreviousPage hasNextPage startCursor endCursor }} nodes {{ databaseId }} }} }} }} }}"
        ))
        .await;
    let companies = data["companies"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    companies
        .iter()
        .map(|c| {
            let conn = &c["investmentsMade"];
            let info = &conn["pageInfo"];
            NestedPage {
                parent: c["databaseId"].as_i64().unwrap_or_default(),
                ids: conn["nodes"]
                    .as_array()
                    .map(|n| n.iter().filter_map(|i| i["databaseId"].as_i64()).collect())
                    .unwrap_or_default(),
                has_previous: info["hasPreviousPage"].clone(),
                has_next: info["hasNextPage"].clone(),
                start: info["startCursor"].clone(),
                end: info["endCursor"].clone(),
            }
        })
        .collect()
}

/// The page of `list` (ids in list order) beyond the row `cursor` in the walking
/// direction: its ids in list order, hasPreviousPage and hasNextPage.
fn expected_page<'a>(
    list: &[i64],
    cursor: Option<&'a investment::Model>,
    row: impl Fn(i64) -> &'a investment::Model,
    order: &impl Fn(&investment::Model, &investment::Model) -> Ordering,
    backward: bool,
) -> (Vec<i64>, bool, bool) {
    let side = if backward {
        Ordering::Less
    } else {
        Ordering::Greater
    };
    let mut beyond: Vec<i64> = list
        .iter()
        .copied()
        .filter(|&id| cursor.is_none_or(|at| order(row(id), at) == side))
        .collect();
    if backward {
        beyond.reverse();
    }
    let more = beyond.len() > PAGE;
    beyond.truncate(PAGE);
    if backward {
        beyond.reverse();
        (beyond, more, cursor.is_some())
    } else {
        (beyond, cursor.is_some(), more)
    }
}

async fn nested_pages_of_every_parent_follow_one_cursor_forward_and_backward(app: TestApp) {
    let app = app.without_cost_limit();
    dataset::load(&app.db, &tied_investments())
        .await
        .expect("load");
    let all = investment::Entity::find()
        .all(&app.db)
        .await
        .expect("investments");
    let companies = company::Entity::find()
        .all(&app.db)
        .await
        .expect("companies");
    let row = |id: i64| all.iter().find(|i| i64::from(i.id) == id).expect("row");
    for (order_by, desc, nulls_first) in [
        ("[{ field: AMOUNT, direction: DESC }]", true, false),
        ("[{ field: AMOUNT, nulls: FIRST }]", false, true),
    ] {
        let order = by_amount(desc, nulls_first);
        // Each parent's whole list, read from the table and sorted here.
        let list_of = |parent: i64| {
            let mut rows: Vec<_> = all
                .iter()
                .filter(|i| i64::from(i.investor_id) == parent)
                .collect();
            rows.sort_by(|a, b| order(a, b));
            rows.into_iter()
                .map(|r| i64::from(r.id))
                .collect::<Vec<_>>()
        };
        // Each investor with more than a page of rows leads a walk through its own list, once each
        // way; at every step, every other parent's page follows the same cursor.
        for leader in ["Synthetic 03", "Synthetic 04"] {
            let leader = companies
                .iter()
                .find(|c| c.name == leader)
                .map(|c| i64::from(c.id))
                .expect("leader");
            for backward in [false, true] {
                let mut cursor: Option<(String, i64)> = None;
                let mut walked: Vec<Vec<i64>> = Vec::new();
                loop {
                    let (size, at) = match (backward, &cursor) {
                        (false, None) => ("first", String::new()),
                        (true, None) => ("last", String::new()),
                        (false, Some((c, _))) => ("first", format!(", after: \"{c}\"")),
                        (true, Some((c, _))) => ("last", format!(", before: \"{c}\"")),
                    };
                    let args = format!("{size}: {PAGE}{at}, orderBy: {order_by}");
                    let pages = nested_pages(&app, &args).await;
                    assert_eq!(pages.len(), companies.len(), "every company is a parent");
                    for page in &pages {
                        let context = format!("{args}: parent {}", page.parent);
                        let expected = expected_page(
                            &list_of(page.parent),
                            cursor.as_ref().map(|(_, id)| row(*id)),
                            |id| row(id),
                            &order,
                            backward,
                        );
                        assert_eq!(
                            (&page.ids, &page.has_previous, &page.has_next),
                            (&expected.0, &json!(expected.1), &json!(expected.2)),
                            "{context}"
                        );
                    }
                    let Some(page) = pages.into_iter().find(|p| p.parent == leader) else {
                        unreachable!("the leader is listed");
                    };
                    let (more, edge, edge_id) = if backward {
                        (page.has_previous, page.start, page.ids.first().copied())
                    } else {
                        (page.has_next, page.end, page.ids.last().copied())
                    };
                    walked.push(page.ids);
                    if more != true {
                        break;
                    }
                    let (Some(edge), Some(edge_id)) = (edge.as_str(), edge_id) else {
                        panic!("a page with more rows beyond it has an edge cursor");
                    };
                    cursor = Some((edge.to_string(), edge_id));
                }
                if backward {
                    walked.reverse();
                }
                assert_eq!(
                    walked.concat(),
                    list_of(leader),
                    "{order_by} walked by {leader}"
                );
                assert!(walked.len() > 1, "the leader's list is longer than a page");
            }
        }
    }
}

async fn investments_order_by_the_investee_name(app: TestApp) {
    dataset::load(&app.db, &chain(0, 6)).await.expect("load");
    let data = app
        .data(r#"{ investments(orderBy: [{ field: INVESTEE_NAME, direction: DESC }]) { nodes { investee { name } } } }"#)
        .await;
    let names: Vec<String> = data["investments"]["nodes"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|i| i["investee"]["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        names,
        [
            "Synthetic 05",
            "Synthetic 04",
            "Synthetic 03",
            "Synthetic 02",
            "Synthetic 01",
            "Anthropic"
        ]
    );
}

/// The investments of a generated graph ordered by their investee's name, paged both ways
/// under filters that keep most rows and very few. On SQLite a page is first tried as a
/// bounded walk of the investees by name (`data::lists::WALK`: 64 of the 600 companies);
/// whether that walk fills the page, falls short (the one investor's investments) or
/// starts from a cursor, the pages must be the list sorted here.
async fn pages_ordered_by_a_related_name_are_the_sorted_list_whatever_the_filter(app: TestApp) {
    let app = app.without_cost_limit();
    let options = GenerateOptions {
        companies: 600,
        investments: 3000,
        models: 10,
        claims: 10,
        seed: 5,
        progress: false,
    };
    generate(&app.db, &options).await.expect("generate");
    let all = investment::Entity::find()
        .all(&app.db)
        .await
        .expect("investments");
    let names: HashMap<i32, String> = company::Entity::find()
        .all(&app.db)
        .await
        .expect("companies")
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    // The investor with the fewest investments, two at least: a selective filter.
    let mut made: HashMap<i32, usize> = HashMap::new();
    for i in &all {
        *made.entry(i.investor_id).or_default() += 1;
    }
    let few = made
        .iter()
        .filter(|(_, n)| **n >= 2)
        .min_by_key(|(id, n)| (**n, **id))
        .map(|(id, _)| *id)
        .expect("an investor with two investments");
    type Keep = Box<dyn Fn(&investment::Model) -> bool + Send + Sync>;
    let cases: Vec<(String, Keep)> = vec![
        (String::new(), Box::new(|_| true)),
        (
            r#", filter: { amount: { currency: "USD" } }"#.into(),
            Box::new(|i| i.currency.as_deref() == Some("USD")),
        ),
        (
            format!(
                r#", filter: {{ investor: {{ name: {{ eq: "{}" }} }} }}"#,
                names[&few]
            ),
            Box::new(move |i| i.investor_id == few),
        ),
    ];
    for (filter, keep) in &cases {
        for desc in [false, true] {
            let mut sorted: Vec<(&str, i32)> = all
                .iter()
                .filter(|i| keep(i))
                .map(|i| (names[&i.investee_id].as_str(), i.id))
                .collect();
            sorted.sort_by(|a, b| {
                let by_name = if desc { b.0.cmp(a.0) } else { a.0.cmp(b.0) };
                by_name.then(a.1.cmp(&b.1))
            });
            let expected: Vec<i64> = sorted.iter().map(|(_, id)| i64::from(*id)).collect();
            let direction = if desc { "DESC" } else { "ASC" };
            for backward in [false, true] {
                let (size, toward, more, edge) = if backward {
                    ("last", "before", "hasPreviousPage", "startCursor")
                } else {
                    ("first", "after", "hasNextPage", "endCursor")
                };
                let mut pages: Vec<Vec<i64>> = Vec::new();
                let mut at = String::new();
                loop {
                    let data = app
                        .data(&format!(
                            r#"{{ investments({size}: 40{at}, orderBy: [{{ field: INVESTEE_NAME, direction: {direction} }}]{filter}) {{
                                pageInfo {{ {more} {edge} }} nodes {{ databaseId }} }} }}"#
                        ))
                        .await;
                    let connection = &data["investments"];
                    let ids = connection["nodes"]
                        .as_array()
                        .map(|n| n.iter().filter_map(|n| n["databaseId"].as_i64()).collect())
                        .unwrap_or_default();
                    pages.push(ids);
                    if connection["pageInfo"][more] != true {
                        break;
                    }
                    at = format!(", {toward}: {}", connection["pageInfo"][edge]);
                    assert!(
                        pages.len() <= expected.len() / 40 + 1,
                        "paging does not end: {filter} {direction} {size}"
                    );
                }
                if backward {
                    pages.reverse();
                }
                assert!(!expected.is_empty());
                assert_eq!(
                    pages.concat(),
                    expected,
                    "{filter} {direction}, pages of {size} 40"
                );
            }
        }
    }
}

async fn page_size_limits_and_bad_cursors_are_clear_errors(app: TestApp) {
    let code_and_field = |errors: Vec<Value>| {
        (
            errors[0]["extensions"]["code"].clone(),
            errors[0]["extensions"]["field"].clone(),
        )
    };
    let errors = app
        .errors(json!({ "query": "{ companies(first: 101) { totalCount } }" }))
        .await;
    assert_eq!(
        code_and_field(errors.clone()),
        (json!("BAD_USER_INPUT"), json!("first"))
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("100")),
        "{errors:?}"
    );
    let errors = app
        .errors(json!({ "query": "{ companies(first: 2, last: 2) { totalCount } }" }))
        .await;
    assert_eq!(code_and_field(errors).0, json!("BAD_USER_INPUT"));
    let errors = app
        .errors(json!({ "query": r#"{ companies(after: "garbage!") { totalCount } }"# }))
        .await;
    assert_eq!(
        code_and_field(errors),
        (json!("BAD_USER_INPUT"), json!("after"))
    );
    let errors = app
        .errors(json!({ "query": "{ companyByName(name: \"Amazon\") { investmentsMade(first: 1000) { totalCount } } }" }))
        .await;
    assert_eq!(code_and_field(errors).1, json!("first"));
    // A cursor of one ordering is refused by another.
    let (_, conn) = ids(&app, "first: 2, orderBy: [{ field: NAME }]").await;
    let cursor = conn["pageInfo"]["endCursor"].clone();
    let errors = app
        .errors(json!({ "query": format!("{{ companies(first: 2, after: {cursor}) {{ totalCount }} }}") }))
        .await;
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("another ordering")),
        "{errors:?}"
    );
}

async fn global_ids_fetch_every_kind_of_row(app: TestApp) {
    let data = app
        .data(
            r#"{ companies(first: 1) { nodes { id databaseId } } people(first: 1) { nodes { id } } aiModels(first: 1) { nodes { id } }
                 investments(first: 1) { nodes { id } } projects(first: 1) { nodes { id backers(first: 1) { nodes { id } } } }
                 spendingFigures(first: 1) { nodes { id } } claims(first: 1) { nodes { id challenges(first: 1) { nodes { id } } } }
                 events(first: 1) { nodes { id } } sources(first: 1) { nodes { id citations(first: 1) { nodes { id } } } } }"#,
        )
        .await;
    // Amazon is row 1 on both engines, so its id is the same everywhere.
    assert_eq!(data["companies"]["nodes"][0]["id"], "Q29tcGFueTox");
    assert_eq!(data["companies"]["nodes"][0]["databaseId"], 1);
    let mut ids = Vec::new();
    let collect =
        |v: &Value, ids: &mut Vec<String>| ids.push(v.as_str().unwrap_or_default().to_string());
    for list in [
        "companies",
        "people",
        "aiModels",
        "investments",
        "projects",
        "spendingFigures",
        "claims",
        "events",
        "sources",
    ] {
        collect(&data[list]["nodes"][0]["id"], &mut ids);
    }
    collect(
        &data["projects"]["nodes"][0]["backers"]["nodes"][0]["id"],
        &mut ids,
    );
    collect(
        &data["claims"]["nodes"][0]["challenges"]["nodes"][0]["id"],
        &mut ids,
    );
    collect(
        &data["sources"]["nodes"][0]["citations"]["nodes"][0]["id"],
        &mut ids,
    );
    assert_eq!(ids.len(), 12);
    let nodes = app
        .data_with(
            "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }",
            json!({ "ids": ids.iter().chain([&"Q29tcGFueTo5OTk5".to_string()]).collect::<Vec<_>>() }),
        )
        .await;
    let got = nodes["nodes"].as_array().cloned().unwrap_or_default();
    let kinds: Vec<_> = got.iter().map(|n| n["__typename"].clone()).collect();
    assert_eq!(
        kinds,
        [
            "Company",
            "Person",
            "AiModel",
            "Investment",
            "Project",
            "SpendingFigure",
            "Claim",
            "Event",
            "Source",
            "ProjectBacker",
            "ClaimChallenge",
            "Citation"
        ]
        .iter()
        .map(|k| json!(k))
        .chain([Value::Null])
        .collect::<Vec<_>>()
    );
    for (node, id) in got.iter().zip(&ids) {
        assert_eq!(node["id"], json!(id));
    }
    let one = app
        .data(r#"{ node(id: "Q29tcGFueTox") { __typename ... on Company { name } } }"#)
        .await;
    assert_eq!(
        one["node"],
        json!({ "__typename": "Company", "name": "Amazon" })
    );
    let errors = app
        .errors(json!({ "query": r#"{ node(id: "%%%") { id } }"# }))
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "BAD_USER_INPUT");
}

async fn statement_count_is_the_same_for_page_sizes_1_and_100(app: TestApp) {
    // Deliberately wide (every page at its largest): above the default cost limit.
    let app = app.without_cost_limit();
    dataset::load(&app.db, &chain(0, 40)).await.expect("load");
    let query = |n: usize| {
        format!(
            "{{ companies(first: {n}) {{ totalCount nodes {{ name investmentsMade(first: {n}) {{ totalCount nodes {{ investee {{ name models(first: {n}) {{ nodes {{ name }} }} }} citations(first: {n}) {{ nodes {{ quote }} }} }} }} }} }} }}"
        )
    };
    let mut counts = Vec::new();
    for n in [1, 100] {
        app.take_statement_count();
        let data = app.data(&query(n)).await;
        counts.push(app.take_statement_count());
        assert_eq!(
            data["companies"]["nodes"].as_array().map(Vec::len),
            Some(n.min(52))
        );
    }
    // companies, its count, investmentsMade, their counts, investee, models, citations.
    assert_eq!(counts, [7, 7], "statements for page sizes 1 and 100");
}
