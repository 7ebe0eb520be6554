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
    statuses_are_totalled_apart_unless_the_client_combines_them,
    alphabets_75_billion_implies_wall_streets_expectation_of_about_58_1_billion,
    stargates_500_billion_is_125_billion_a_year_over_its_four_years,
    a_calendar_view_states_how_much_of_microsofts_fiscal_year_falls_in_2025,
);

const BIG_FOUR: &str = r#"["AMZN", "MSFT", "META", "GOOGL"]"#;

/// Domain question 3: how much do the big four plan to spend on AI capex in 2025, each and
/// together, with the range Meta's figure implies?
async fn big_four_2025_capex_each_and_together_keeps_ranges_and_bounds(app: TestApp) {
    let query = format!(
        r#"{{ spendingSummary(year: 2025, tickers: {BIG_FOUR}) {{
            figures {{ ref status company {{ ticker }} period {{ kind label end }}
                       amount {{ bound low {{ amount }} high {{ amount }} currency }} }}
            totals(combineStatuses: true) {{ currency low {{ amount }} lowExclusive high {{ amount }} figureCount }}
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
        notes
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("F3")
                && n.contains("fiscal year")
                && n.contains("181 of its 365 days fall in 2025"))),
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
                   other { ref company { name } } ratioLow ratioHigh citations { quote } } } }"#,
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
    // Each ratio carries the source sentences of both figures it divides.
    for r in &rows {
        let quotes = strings(&r["citations"], "quote");
        assert!(
            quotes.iter().any(|q| q.contains("$5.6 million")),
            "{quotes:?}"
        );
        assert!(quotes.len() >= 2, "{quotes:?}");
    }
    let alphabet = strings(&rows[3]["citations"], "quote");
    assert!(
        alphabet.iter().any(|q| q.contains("$75 billion")),
        "{alphabet:?}"
    );
}

async fn statuses_are_totalled_apart_unless_the_client_combines_them(app: TestApp) {
    let query = format!(
        r#"{{ spendingSummary(year: 2025, tickers: {BIG_FOUR}) {{
            apart: totals {{ statuses figureRefs low {{ amount }} high {{ amount }} lowExclusive citations {{ quote }} }}
            together: totals(combineStatuses: true) {{ statuses figureRefs low {{ amount }} high {{ amount }} }} }} }}"#
    );
    let data = app.data(&query).await;
    let s = &data["spendingSummary"];
    // Microsoft, Meta and Alphabet plan 80 + 60..65 + 75; the article projects Amazon's > 100.
    assert_eq!(
        s["apart"][0]["statuses"],
        json!(["PLANNED"]),
        "{}",
        s["apart"]
    );
    assert_eq!(s["apart"][0]["figureRefs"], json!(["F3", "F4", "F5"]));
    assert_eq!(s["apart"][0]["low"]["amount"], "215000000000.00");
    assert_eq!(s["apart"][0]["high"]["amount"], "220000000000.00");
    assert_eq!(s["apart"][1]["statuses"], json!(["PROJECTED"]));
    assert_eq!(s["apart"][1]["low"]["amount"], "100000000000.00");
    assert_eq!(s["apart"][1]["high"], json!(null));
    assert_eq!(s["apart"][1]["lowExclusive"], true);
    assert_eq!(s["apart"].as_array().map(Vec::len), Some(2));
    let planned_quotes = strings(&s["apart"][0]["citations"], "quote");
    assert!(
        planned_quotes
            .iter()
            .any(|q| q.contains("$60 billion and $65 billion"))
    );
    assert!(
        !planned_quotes
            .iter()
            .any(|q| q.contains("more than $100 billion"))
    );
    assert_eq!(
        s["together"],
        json!([{ "statuses": ["PLANNED", "PROJECTED"], "figureRefs": ["F2", "F3", "F4", "F5"],
                 "low": { "amount": "315000000000.00" }, "high": null }])
    );
}

async fn alphabets_75_billion_implies_wall_streets_expectation_of_about_58_1_billion(app: TestApp) {
    let data = app
        .data(
            r#"{ spendingFigureByRef(ref: "F5") { expectation {
                holder percentAbove implied { amount currency } impliedLow { amount } impliedHigh { amount }
                citations { quote } } } }"#,
        )
        .await;
    let e = &data["spendingFigureByRef"]["expectation"];
    assert_eq!(e["holder"], "Wall Street");
    assert_eq!(e["percentAbove"], "29.00");
    // 75 / 1.29; and 75 / 1.295 to 75 / 1.285 for a percentage rounded to the unit.
    assert_eq!(
        e["implied"],
        json!({ "amount": "58139534883.72", "currency": "USD" })
    );
    assert_eq!(e["impliedLow"]["amount"], "57915057915.06");
    assert_eq!(e["impliedHigh"]["amount"], "58365758754.86");
    let quotes = strings(&e["citations"], "quote");
    assert!(
        quotes
            .iter()
            .any(|q| q.contains("29% greater than Wall Street had expected"))
    );
    let others = app
        .data(r#"{ spendingFigureByRef(ref: "F4") { expectation { holder } } }"#)
        .await;
    assert_eq!(others["spendingFigureByRef"]["expectation"], json!(null));
}

async fn stargates_500_billion_is_125_billion_a_year_over_its_four_years(app: TestApp) {
    let data = app
        .data(
            r#"{ f6: spendingFigureByRef(ref: "F6") { annualAverage { years amount { bound low { amount } high { amount } currency } citations { quote } } }
                 f5: spendingFigureByRef(ref: "F5") { annualAverage { years } } }"#,
        )
        .await;
    let a = &data["f6"]["annualAverage"];
    assert_eq!(a["years"], 4);
    assert_eq!(
        a["amount"],
        json!({ "bound": "EXACT", "low": { "amount": "125000000000.00" }, "high": { "amount": "125000000000.00" }, "currency": "USD" })
    );
    let quotes = strings(&a["citations"], "quote");
    assert!(
        quotes
            .iter()
            .any(|q| q.contains("over the next four years")),
        "{quotes:?}"
    );
    assert!(
        quotes.iter().any(|q| q.contains("$500 billion")),
        "{quotes:?}"
    );
    assert_eq!(
        data["f5"]["annualAverage"],
        json!(null),
        "a single year has no average"
    );
}

async fn a_calendar_view_states_how_much_of_microsofts_fiscal_year_falls_in_2025(app: TestApp) {
    let query = format!(
        r#"{{ spendingSummary(year: 2025, tickers: {BIG_FOUR}, calendarView: true) {{
            figures {{ ref }} calendarOverlaps {{ figureRef periodLabel daysInYear periodDays share }}
            cited: calendarOverlaps {{ citations {{ quote }} }} }}
            y2024: spendingSummary(year: 2024, tickers: {BIG_FOUR}, calendarView: true, statuses: [PLANNED]) {{
            figures {{ ref }} calendarOverlaps {{ figureRef daysInYear periodDays share }} }} }}"#
    );
    let data = app.data(&query).await;
    let s = &data["spendingSummary"];
    assert_eq!(strings(&s["figures"], "ref"), ["F2", "F3", "F4", "F5"]);
    assert_eq!(
        s["calendarOverlaps"],
        json!([{ "figureRef": "F3", "periodLabel": "FY2025 (2024-07-01 to 2025-06-30)",
                 "daysInYear": 181, "periodDays": 365, "share": "0.4959" }])
    );
    let quotes = strings(&s["cited"][0]["citations"], "quote");
    assert!(
        quotes
            .iter()
            .any(|q| q.contains("fiscal year 2025, which ends on June 30")),
        "{quotes:?}"
    );
    // Microsoft's FY2025 began in July 2024: a calendar view of 2024 finds it too.
    assert_eq!(strings(&data["y2024"]["figures"], "ref"), ["F3"]);
    assert_eq!(
        data["y2024"]["calendarOverlaps"],
        json!([{ "figureRef": "F3", "daysInYear": 184, "periodDays": 365, "share": "0.5041" }])
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
