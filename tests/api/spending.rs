use serde_json::json;

use crate::helpers::{TestApp, strings};
use crate::on_both_engines;

on_both_engines!(
    big_four_2025_capex_each_and_together_keeps_ranges_and_bounds,
    calendar_year_view_leaves_out_microsofts_fiscal_year,
    every_figure_of_the_article_is_stored_exactly,
    amazons_2025_projection_derives_from_its_last_quarter,
    deepseeks_claimed_cost_compared_with_each_2025_capex,
    an_unknown_ticker_is_a_bad_user_input,
);

const BIG_FOUR: &str = r#"["AMZN", "MSFT", "META", "GOOGL"]"#;

/// Domain question 3: how much do the big four plan to spend on AI capex in 2025, each and
/// together, with the range Meta's figure implies?
async fn big_four_2025_capex_each_and_together_keeps_ranges_and_bounds(app: TestApp) {
    let query = format!(
        r#"{{ spendingSummary(year: 2025, tickers: {BIG_FOUR}) {{
            figures {{ ref status company {{ ticker }} period {{ kind label end }}
                       amount {{ bound low {{ amount }} high {{ amount }} currency }} }}
            totals {{ currency low {{ amount }} lowExclusive high {{ amount }} figureCount }}
            mixesFiscalAndCalendarYears notes citations {{ quote }} }} }}"#
    );
    let data = app.data(&query).await;
    let s = &data["spendingSummary"];
    assert_eq!(strings(&s["figures"], "ref"), ["F2", "F3", "F4", "F5"]);
    let meta = &s["figures"][2];
    assert_eq!(meta["amount"]["bound"], "RANGE");
    assert_eq!(meta["amount"]["low"]["amount"], "60000000000.00");
    assert_eq!(meta["amount"]["high"]["amount"], "65000000000.00");
    let amazon = &s["figures"][0];
    assert_eq!(amazon["status"], "PROJECTED");
    assert_eq!(amazon["amount"]["bound"], "MORE_THAN");
    assert_eq!(
        amazon["amount"]["high"],
        json!(null),
        "more than $100 billion has no upper end"
    );
    let microsoft = &s["figures"][1];
    assert_eq!(microsoft["period"]["kind"], "FISCAL_YEAR");
    assert_eq!(microsoft["period"]["end"], "2025-06-30");
    assert_eq!(
        s["totals"],
        json!([{ "currency": "USD", "low": { "amount": "315000000000.00" }, "lowExclusive": true, "high": null, "figureCount": 4 }])
    );
    assert_eq!(s["mixesFiscalAndCalendarYears"], true);
    let notes = s["notes"].as_array().cloned().unwrap_or_default();
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .is_some_and(|n| n.contains("F3") && n.contains("fiscal year"))),
        "{notes:?}"
    );
    assert!(s["citations"].as_array().is_some_and(|c| c.len() >= 4));
}

async fn calendar_year_view_leaves_out_microsofts_fiscal_year(app: TestApp) {
    let query = format!(
        r#"{{ spendingSummary(year: 2025, tickers: {BIG_FOUR}, periodKinds: [CALENDAR_YEAR], statuses: [PLANNED]) {{
            figures {{ ref }} totals {{ low {{ amount }} high {{ amount }} lowExclusive }} mixesFiscalAndCalendarYears }} }}"#
    );
    let data = app.data(&query).await;
    let s = &data["spendingSummary"];
    assert_eq!(strings(&s["figures"], "ref"), ["F4", "F5"]);
    assert_eq!(
        s["totals"],
        json!([{ "low": { "amount": "135000000000.00" }, "high": { "amount": "140000000000.00" }, "lowExclusive": false }])
    );
    assert_eq!(s["mixesFiscalAndCalendarYears"], false);
}

async fn every_figure_of_the_article_is_stored_exactly(app: TestApp) {
    let data = app
        .data(
            r#"{ spendingFigures { nodes { ref category status company { name } project { name } model { name }
                 amount { bound text low { minorUnits } high { minorUnits } } period { label } focus remarks } } }"#,
        )
        .await;
    let figures = data["spendingFigures"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let got: Vec<(String, String, String)> = figures
        .iter()
        .map(|f| {
            (
                f["ref"].as_str().unwrap_or_default().to_string(),
                f["amount"]["text"].as_str().unwrap_or_default().to_string(),
                f["period"]["label"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    let expected = [
        ("F1", "26300000000.00 USD", "Q4 2024"),
        ("F2", "more than 100000000000.00 USD", "2025"),
        (
            "F3",
            "80000000000.00 USD",
            "FY2025 (2024-07-01 to 2025-06-30)",
        ),
        (
            "F4",
            "between 60000000000.00 and 65000000000.00 USD",
            "2025",
        ),
        ("F5", "75000000000.00 USD", "2025"),
        ("F6", "500000000000.00 USD", "4 years"),
        ("F7", "5600000.00 USD", "unspecified"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, expected);
    assert_eq!(figures[0]["status"], "REPORTED");
    assert_eq!(figures[2]["focus"], "AI data centers");
    assert!(
        figures[2]["remarks"]
            .as_str()
            .is_some_and(|r| r.contains("More than half"))
    );
    assert_eq!(figures[5]["project"]["name"], "Stargate");
    assert_eq!(figures[6]["status"], "CLAIMED");
    assert_eq!(figures[6]["category"], "MODEL_DEVELOPMENT_COST");
    assert_eq!(figures[6]["model"]["name"], "DeepSeek rival model");
    assert_eq!(figures[6]["amount"]["low"]["minorUnits"], "560000000");
}

async fn amazons_2025_projection_derives_from_its_last_quarter(app: TestApp) {
    let data = app
        .data(r#"{ spendingFigureByRef(ref: "F2") { derivedFrom { ref status amount { low { amount } } derivedFigures { nodes { ref } } claims { nodes { ref kind } } } } }"#)
        .await;
    let from = &data["spendingFigureByRef"]["derivedFrom"];
    assert_eq!(from["ref"], "F1");
    assert_eq!(from["status"], "REPORTED");
    assert_eq!(from["amount"]["low"]["amount"], "26300000000.00");
    assert_eq!(strings(&from["derivedFigures"]["nodes"], "ref"), ["F2"]);
    assert_eq!(
        from["claims"]["nodes"],
        json!([{ "ref": "C7", "kind": "GUIDANCE" }])
    );
}

/// Domain question 5: how does DeepSeek's claimed cost compare with each company's 2025 capex?
async fn deepseeks_claimed_cost_compared_with_each_2025_capex(app: TestApp) {
    let data = app
        .data(
            r#"{ spendingFigureByRef(ref: "F7") { amount { text } comparedWith(year: 2025) {
                   other { ref company { name } } ratioLow ratioHigh } } }"#,
        )
        .await;
    let rows = data["spendingFigureByRef"]["comparedWith"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r["other"]["ref"].clone(),
                r["ratioLow"].clone(),
                r["ratioHigh"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (json!("F2"), json!(null), json!("0.0000560000")),
            (json!("F3"), json!("0.0000700000"), json!("0.0000700000")),
            (json!("F4"), json!("0.0000861538"), json!("0.0000933333")),
            (json!("F5"), json!("0.0000746667"), json!("0.0000746667")),
        ]
    );
}

async fn an_unknown_ticker_is_a_bad_user_input(app: TestApp) {
    let before = app.row_counts().await;
    let errors = app
        .errors(
            json!({ "query": r#"{ spendingSummary(year: 2025, tickers: ["NOPE"]) { year } }"# }),
        )
        .await;
    assert_eq!(
        errors[0]["extensions"]["code"], "BAD_USER_INPUT",
        "{errors:?}"
    );
    assert_eq!(errors[0]["extensions"]["field"], "tickers");
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("NOPE"))
    );
    assert_eq!(app.row_counts().await, before);
}
