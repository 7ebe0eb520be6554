//! Filters: operators, combinations, conditions through relations, and text matching that
//! ignores case the same way on both engines, non-ASCII letters included.

use capex_graph::dataset;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::loading::chain;
use crate::on_both_engines;
use crate::paging::awkward_companies;

on_both_engines!(
    text_operators_ignore_case_for_non_ascii_names_too,
    and_or_not_combine_conditions,
    filters_follow_relations_in_both_directions,
    money_filters_compare_exactly_within_one_currency,
    nested_lists_and_counts_take_filters,
    abusive_or_malformed_filters_are_bad_user_input,
);

async fn names(app: &TestApp, filter: &str) -> Vec<String> {
    let data = app
        .data(&format!("{{ companies(first: 100, orderBy: [{{ field: NAME }}], filter: {filter}) {{ totalCount nodes {{ name }} }} }}"))
        .await;
    let names: Vec<String> = data["companies"]["nodes"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|c| c["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        data["companies"]["totalCount"],
        json!(names.len()),
        "totalCount counts the filtered rows"
    );
    names
}

async fn text_operators_ignore_case_for_non_ascii_names_too(app: TestApp) {
    dataset::load(&app.db, &awkward_companies())
        .await
        .expect("load");
    assert_eq!(
        names(&app, r#"{ name: { contains: "ÉLAN" } }"#).await,
        ["Élan Capital", "élan robotics"]
    );
    assert_eq!(
        names(&app, r#"{ name: { startsWith: "äp" } }"#).await,
        ["Äpfel AI"]
    );
    assert_eq!(
        names(&app, r#"{ name: { endsWith: "COMPUTE" } }"#).await,
        ["Ωmega Compute"]
    );
    assert_eq!(
        names(&app, r#"{ name: { contains: "ωMEGA" } }"#).await,
        ["Ωmega Compute"]
    );
    assert_eq!(
        names(&app, r#"{ name: { startsWith: "ZETA" } }"#).await,
        ["Zeta Labs Two", "zeta labs"]
    );
    // LIKE wildcards in the text are literal.
    assert_eq!(
        names(&app, r#"{ name: { contains: "%" } }"#).await,
        Vec::<String>::new()
    );
    assert_eq!(
        names(&app, r#"{ name: { contains: "_" } }"#).await,
        Vec::<String>::new()
    );
    // eq is exact.
    assert_eq!(
        names(&app, r#"{ name: { eq: "beta" } }"#).await,
        Vec::<String>::new()
    );
    assert_eq!(names(&app, r#"{ name: { eq: "Beta" } }"#).await, ["Beta"]);
    assert_eq!(
        names(&app, r#"{ name: { in: ["Beta", "Nvidia", "nobody"] } }"#).await,
        ["Beta", "Nvidia"]
    );
    assert_eq!(
        names(&app, r#"{ name: { between: ["Alphabet", "Amazon"] } }"#).await,
        ["Alphabet", "Amazon"]
    );
    assert_eq!(
        names(&app, r#"{ country: { eq: "FR" }, name: { gt: "a" } }"#).await,
        ["Élan Capital", "élan robotics"],
        "bytes: É and é sort after every ASCII letter"
    );
    assert_eq!(
        names(&app, r#"{ country: { eq: "FR" }, name: { gte: "élan" } }"#).await,
        ["élan robotics"]
    );
}

async fn and_or_not_combine_conditions(app: TestApp) {
    assert_eq!(
        names(
            &app,
            r#"{ or: [{ kind: { eq: CHIPMAKER } }, { ticker: { eq: "ORCL" } }] }"#
        )
        .await,
        ["Nvidia", "Oracle"]
    );
    assert_eq!(
        names(&app, r#"{ not: { ticker: { isNull: true } } }"#).await,
        [
            "Alphabet",
            "Amazon",
            "Meta Platforms",
            "Microsoft",
            "Nvidia",
            "Oracle",
            "SoftBank"
        ]
    );
    assert_eq!(
        names(&app, r#"{ and: [{ kind: { in: [BIG_TECH, INVESTOR] } }, { ticker: { notIn: ["AMZN", "MSFT", "META"] } }] }"#).await,
        ["Alphabet", "Oracle", "SoftBank"]
    );
    assert_eq!(
        names(&app, r#"{ country: { isNull: false } }"#).await,
        ["Amazon", "DeepSeek"]
    );
    assert_eq!(
        names(
            &app,
            r#"{ kind: { ne: BIG_TECH }, ticker: { isNull: false } }"#
        )
        .await,
        ["Nvidia", "SoftBank"]
    );
}

async fn filters_follow_relations_in_both_directions(app: TestApp) {
    // Companies that invested in a company whose models match a name.
    dataset::load(&app.db, &chain(0, 6)).await.expect("load");
    assert_eq!(
        names(&app, r#"{ investmentsMade: { some: { investee: { models: { some: { name: { contains: "model 03" } } } } } } }"#).await,
        ["Synthetic 02"]
    );
    // Claims challenged by Meta.
    let data = app
        .data(r#"{ claims(filter: { challenges: { some: { challengerCompany: { name: { eq: "Meta Platforms" } } } } }) { nodes { ref } } }"#)
        .await;
    assert_eq!(data["claims"]["nodes"], json!([{ "ref": "C1" }]));
    // Backers of projects planned above $100 billion.
    assert_eq!(
        names(&app, r#"{ projectRoles: { some: { project: { plannedAmount: { currency: "USD", gt: "100000000000" } } } } }"#).await,
        ["OpenAI", "Oracle", "SoftBank"]
    );
    // Companies that invested in nothing, and those whose every model is a chip.
    let none = names(&app, "{ investmentsMade: { none: {} } }").await;
    assert!(
        !none.contains(&"Amazon".to_string()) && none.contains(&"Nvidia".to_string()),
        "{none:?}"
    );
    assert_eq!(none.len(), 18 - 6, "{none:?}");
    assert_eq!(
        names(
            &app,
            "{ models: { some: {}, every: { kind: { eq: CHIP } } } }"
        )
        .await,
        ["Amazon"]
    );
    // To-one relations: people of big-tech companies, models of Meta.
    let data = app
        .data(r#"{ people(filter: { company: { ticker: { in: ["MSFT", "GOOGL"] } } }) { nodes { name } } aiModels(filter: { developer: { name: { startsWith: "meta" } } }) { nodes { name } } }"#)
        .await;
    assert_eq!(
        data["people"]["nodes"],
        json!([{ "name": "Brad Smith" }, { "name": "Sundar Pichai" }])
    );
    assert_eq!(
        data["aiModels"]["nodes"],
        json!([{ "name": "Llama 4" }, { "name": "Meta AI engineer" }])
    );
}

async fn money_filters_compare_exactly_within_one_currency(app: TestApp) {
    let refs = |data: &Value| -> Vec<String> {
        data["spendingFigures"]["nodes"]
            .as_array()
            .map(|n| {
                n.iter()
                    .filter_map(|f| f["ref"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let data = app
        .data(r#"{ spendingFigures(filter: { amountLow: { currency: "USD", between: ["60000000000", "80000000000.00"] } }) { nodes { ref } } }"#)
        .await;
    assert_eq!(refs(&data), ["F3", "F4", "F5"]);
    let data = app
        .data(r#"{ spendingFigures(filter: { amountHigh: { isNull: true } }) { nodes { ref } } }"#)
        .await;
    assert_eq!(refs(&data), ["F2"]);
    let data = app
        .data(r#"{ spendingFigures(filter: { amountLow: { currency: "EUR", gt: "0" } }) { nodes { ref } } }"#)
        .await;
    assert_eq!(refs(&data), Vec::<String>::new(), "no figure is in EUR");
    let data = app
        .data(r#"{ spendingFigures(filter: { status: { in: [PLANNED, PROJECTED] }, periodYear: { eq: 2025 }, periodKind: { ne: FISCAL_YEAR } }) { nodes { ref } } }"#)
        .await;
    assert_eq!(refs(&data), ["F2", "F4", "F5"]);
    let data = app
        .data(r#"{ investments(filter: { amount: { isNull: true } }) { totalCount } }"#)
        .await;
    assert_eq!(
        data["investments"]["totalCount"], 1,
        "Amazon's investment in Anthropic has no amount"
    );
}

async fn nested_lists_and_counts_take_filters(app: TestApp) {
    dataset::load(&app.db, &chain(0, 4)).await.expect("load");
    let data = app
        .data(
            r#"{ companyByName(name: "Amazon") {
                 anthropic: investmentsMade(filter: { investee: { name: { eq: "Anthropic" } } }) { totalCount nodes { investee { name } } }
                 other: investmentsMade(filter: { investee: { name: { ne: "Anthropic" } } }) { totalCount nodes { investee { name } } } }
               meta: companyByTicker(ticker: "META") { models(filter: { kind: { eq: AGENT } }) { totalCount nodes { name } } } }"#,
        )
        .await;
    let amazon = &data["companyByName"];
    assert_eq!(amazon["anthropic"]["totalCount"], 1);
    assert_eq!(
        amazon["anthropic"]["nodes"],
        json!([{ "investee": { "name": "Anthropic" } }])
    );
    assert_eq!(amazon["other"], json!({ "totalCount": 0, "nodes": [] }));
    assert_eq!(
        data["meta"]["models"],
        json!({ "totalCount": 1, "nodes": [{ "name": "Meta AI engineer" }] })
    );
}

async fn abusive_or_malformed_filters_are_bad_user_input(app: TestApp) {
    let before = app.row_counts().await;
    let check = |errors: Vec<Value>, field: &str| {
        assert_eq!(
            errors[0]["extensions"]["code"], "BAD_USER_INPUT",
            "{errors:?}"
        );
        assert_eq!(errors[0]["extensions"]["field"], field, "{errors:?}");
    };
    let errors = app
        .errors(json!({ "query": r#"{ spendingFigures(filter: { amountLow: { gt: "5" } }) { totalCount } }"# }))
        .await;
    check(errors, "amountLow.currency");
    let errors = app
        .errors(json!({ "query": r#"{ spendingFigures(filter: { amountLow: { currency: "USD", gt: "5.123" } }) { totalCount } }"# }))
        .await;
    check(errors, "amountLow.gt");
    let errors = app
        .errors(json!({ "query": r#"{ companies(filter: { name: { between: ["a"] } }) { totalCount } }"# }))
        .await;
    check(errors, "name.between");
    let many: Vec<String> = (0..250).map(|i| format!("\"n{i}\"")).collect();
    let errors = app
        .errors(json!({ "query": format!("{{ companies(filter: {{ name: {{ in: [{}] }} }}) {{ totalCount }} }}", many.join(",")) }))
        .await;
    check(errors, "filter");
    let errors = app
        .errors(
            json!({ "query": r#"{ companies(filter: { revenue: { gt: 1 } }) { totalCount } }"# }),
        )
        .await;
    assert_eq!(
        errors[0]["extensions"]["code"], "BAD_USER_INPUT",
        "{errors:?}"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("revenue")),
        "{errors:?}"
    );
    assert_eq!(app.row_counts().await, before);
}
