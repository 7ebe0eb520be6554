use serde_json::{Value, json};

use crate::helpers::{TestApp, strings};
use crate::mutations::{figure, refused};
use crate::on_both_engines;

on_both_engines!(
    big_four_2025_capex_each_and_together_keeps_ranges_and_bounds,
    calendar_year_view_leaves_out_microsofts_fiscal_year,
    every_figure_of_the_article_is_stored_exactly,
    amazons_2025_projection_derives_from_its_last_quarter,
    deepseeks_claimed_cost_compared_with_each_2025_capex,
    a_comparison_gives_both_directions_with_open_ends_and_notes,
    a_comparison_works_from_the_other_side_and_explains_an_empty_answer,
    a_comparison_without_figures_to_compare_with_is_a_bad_user_input,
    an_unknown_ticker_is_a_bad_user_input,
    statuses_are_totalled_apart_unless_the_client_combines_them,
    alphabets_75_billion_implies_wall_streets_expectation_of_about_58_1_billion,
    stargates_500_billion_is_125_billion_a_year_over_its_four_years,
    a_calendar_view_states_how_much_of_microsofts_fiscal_year_falls_in_2025,
    who_stated_a_figure_is_the_person_the_source_quotes,
    a_figure_stated_by_something_other_than_a_person_is_refused,
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
    assert!(
        notes.iter().any(|n| n.as_str().is_some_and(|n| n.contains(
            "different statuses (F2 PROJECTED; F3, F4, F5 PLANNED): `totals` gives one total per status"
        ))),
        "a summary says when a projection and plans are in it: {notes:?}"
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

/// `comparison` gives the fraction the old `comparedWith` gave, the other direction (`times`),
/// open ends where a bound is exclusive, and says that a claimed model cost is not capex.
async fn a_comparison_gives_both_directions_with_open_ends_and_notes(app: TestApp) {
    let data = app
        .data(
            r#"{ spendingFigureByRef(ref: "F7") {
                   comparedWith(year: 2025) { other { ref } ratioLow ratioHigh }
                   comparison(year: 2025) {
                     items { other { ref } derivation
                       fraction { low lowExclusive high highExclusive }
                       times { low lowExclusive high highExclusive } }
                     skipped { figure { ref } }
                     notes } } }"#,
        )
        .await;
    let figure = &data["spendingFigureByRef"];
    let c = &figure["comparison"];
    let items = c["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        items
            .iter()
            .map(|i| i["other"]["ref"].clone())
            .collect::<Vec<_>>(),
        [json!("F2"), json!("F3"), json!("F4"), json!("F5")]
    );
    // The deprecated field is the fraction, end for end.
    for (old, new) in figure["comparedWith"]
        .as_array()
        .into_iter()
        .flatten()
        .zip(&items)
    {
        assert_eq!(old["ratioLow"], new["fraction"]["low"]);
        assert_eq!(old["ratioHigh"], new["fraction"]["high"]);
    }
    // Amazon's "more than $100 billion": DeepSeek's $5.6M is less than 0.000056 of it, and
    // it is more than 17,857 times DeepSeek's, with no upper end.
    assert_eq!(
        items[0]["fraction"],
        json!({ "low": null, "lowExclusive": false, "high": "0.0000560000", "highExclusive": true })
    );
    assert_eq!(
        items[0]["times"],
        json!({ "low": "17857.1428571429", "lowExclusive": true, "high": null, "highExclusive": false })
    );
    // Microsoft's $80 billion: exactly 14,285.71... times, both ends equal.
    assert_eq!(items[1]["times"]["low"], "14285.7142857143");
    assert_eq!(items[1]["times"]["high"], "14285.7142857143");
    // Meta's range gives a range both ways.
    assert_eq!(items[2]["times"]["low"], "10714.2857142857");
    assert_eq!(items[2]["times"]["high"], "11607.1428571429");
    let derivation = items[2]["derivation"].as_str().unwrap_or_default();
    assert!(
        derivation.contains("F7 5600000.00 USD")
            && derivation.contains("F4 between 60000000000.00 and 65000000000.00 USD"),
        "{derivation}"
    );
    assert_eq!(c["skipped"], json!([]));
    let notes = c["notes"].to_string();
    assert!(
        notes.contains("F7 measures MODEL_DEVELOPMENT_COST, unlike F2, F3, F4, F5"),
        "{notes}"
    );
    assert!(notes.contains("F7 is CLAIMED"), "{notes}");
    assert!(
        notes.contains("F7's period is unspecified, unlike the periods of F2, F3, F4, F5"),
        "{notes}"
    );
}

/// From Meta's side, the claim has no year: the empty answer says so and names it; named by
/// id, it is compared; Meta's own figure is reported as skipped when the year includes it.
async fn a_comparison_works_from_the_other_side_and_explains_an_empty_answer(app: TestApp) {
    let ids = app
        .data(r#"{ f7: spendingFigureByRef(ref: "F7") { id } }"#)
        .await;
    let f7 = ids["f7"]["id"].as_str().unwrap_or_default().to_owned();
    let data = app
        .data_with(
            r#"query($f7: ID!) { spendingFigureByRef(ref: "F4") {
                 byYear: comparison(year: 2025, statuses: [CLAIMED], categories: [MODEL_DEVELOPMENT_COST]) {
                   items { other { ref } } skipped { figure { ref } reason explanation } notes }
                 named: comparison(figures: [$f7]) {
                   items { other { ref } fraction { low high } times { low high } } skipped { figure { ref } } }
                 capex: comparison(year: 2025) { items { other { ref } } skipped { figure { ref } reason } } } }"#,
            json!({ "f7": f7 }),
        )
        .await;
    let meta = &data["spendingFigureByRef"];
    assert_eq!(meta["byYear"]["items"], json!([]));
    let notes = meta["byYear"]["notes"].to_string();
    assert!(
        notes.contains("No other figure is labelled with year 2025 among categories [MODEL_DEVELOPMENT_COST] and statuses [CLAIMED]"),
        "{notes}"
    );
    assert!(
        notes.contains(
            "Figure F7 matches the categories and statuses, but its period is unspecified"
        ),
        "{notes}"
    );
    assert_eq!(
        meta["named"]["items"],
        json!([{ "other": { "ref": "F7" },
                 "fraction": { "low": "10714.2857142857", "high": "11607.1428571429" },
                 "times": { "low": "0.0000861538", "high": "0.0000933333" } }])
    );
    assert_eq!(meta["named"]["skipped"], json!([]));
    assert_eq!(
        meta["capex"]["items"],
        json!([{ "other": { "ref": "F2" } }, { "other": { "ref": "F3" } }, { "other": { "ref": "F5" } }])
    );
    assert_eq!(
        meta["capex"]["skipped"],
        json!([{ "figure": { "ref": "F4" }, "reason": "SAME_FIGURE" }])
    );
}

async fn a_comparison_without_figures_to_compare_with_is_a_bad_user_input(app: TestApp) {
    let ids = app
        .data(r#"{ spendingFigureByRef(ref: "F7") { id company { id } } }"#)
        .await;
    let company = ids["spendingFigureByRef"]["company"]["id"].clone();
    let too_many: Vec<Value> = (0..101)
        .map(|_| ids["spendingFigureByRef"]["id"].clone())
        .collect();
    let cases = [
        ("{ spendingFigureByRef(ref: \"F7\") { comparison { notes } } }".to_owned(), "year"),
        (
            format!("{{ spendingFigureByRef(ref: \"F7\") {{ comparison(figures: [{company}]) {{ notes }} }} }}"),
            "figures",
        ),
        (
            format!(
                "{{ spendingFigureByRef(ref: \"F7\") {{ comparison(figures: {}) {{ notes }} }} }}",
                Value::Array(too_many)
            ),
            "figures",
        ),
        (
            "{ spendingFigureByRef(ref: \"F7\") { comparison(figures: [\"U3BlbmRpbmdGaWd1cmU6OTk5OTk\"]) { notes } } }".to_owned(),
            "figures",
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
    }
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
                gap { amount } gapLow { amount } gapHigh { amount } derivation
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
    // The gap in money: 75 billion minus each implied expectation.
    assert_eq!(e["gap"]["amount"], "16860465116.28");
    assert_eq!(e["gapLow"]["amount"], "16634241245.14");
    assert_eq!(e["gapHigh"]["amount"], "17084942084.94");
    assert!(
        e["derivation"]
            .as_str()
            .is_some_and(|d| d.contains("29.00%") && d.contains("gap = amount - implied")),
        "{e}"
    );
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
    // The same average where a reader looks for it: on the project, with its derivation.
    let project = app
        .data(
            r#"{ projectByName(name: "Stargate") {
                 annualAverage { years amount { low { amount } } total { text } derivation citations { quote } }
                 backers(role: BACKER) { nodes { role company { name } } }
                 lead: backers(role: LEAD) { nodes { company { name } } }
                 both: backers(role: BACKER, filter: { company: { name: { eq: "Oracle" } } }) { nodes { company { name } } } } }"#,
        )
        .await;
    let p = &project["projectByName"];
    let a = &p["annualAverage"];
    assert_eq!(a["years"], 4);
    assert_eq!(a["amount"]["low"]["amount"], "125000000000.00");
    assert_eq!(a["total"]["text"], "500000000000.00 USD");
    assert!(
        a["derivation"]
            .as_str()
            .is_some_and(|d| d.contains("spread evenly over 4 years")),
        "{a}"
    );
    assert!(
        strings(&a["citations"], "quote")
            .iter()
            .any(|q| q.contains("$500 billion")),
        "{a}"
    );
    let backers = p["backers"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(backers.iter().all(|b| b["role"] == "BACKER"), "{backers:?}");
    let names: Vec<_> = backers
        .iter()
        .map(|b| b["company"]["name"].clone())
        .collect();
    assert!(
        names.contains(&json!("SoftBank")) && names.contains(&json!("Oracle")),
        "{names:?}"
    );
    assert_eq!(
        p["lead"]["nodes"],
        json!([{ "company": { "name": "OpenAI" } }])
    );
    assert_eq!(
        p["both"]["nodes"],
        json!([{ "company": { "name": "Oracle" } }])
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

/// The article quotes Jassy stating Amazon's $26.3 billion (on an earnings call) and
/// Zuckerberg stating Meta's range (in a blog post); it gives Microsoft's $80 billion as the
/// company's ("Microsoft ... said"), so F3 names no person. The relation is followed both
/// ways and filtered through.
async fn who_stated_a_figure_is_the_person_the_source_quotes(app: TestApp) {
    let data = app
        .data(
            r#"{ spendingFigures(orderBy: [{ field: REF }]) { nodes { ref statedBy { name title } } }
                 jassy: people(filter: { name: { eq: "Andy Jassy" } }) { nodes { figuresStated { nodes { ref } } } }
                 byZuckerberg: spendingFigures(filter: { statedBy: { name: { eq: "Mark Zuckerberg" } } }) { nodes { ref } }
                 stated: people(filter: { figuresStated: { some: {} } }, orderBy: [{ field: NAME }]) { nodes { name } } }"#,
        )
        .await;
    let by_ref: Vec<(String, Value)> = data["spendingFigures"]["nodes"]
        .as_array()
        .expect("figures")
        .iter()
        .map(|f| {
            (
                f["ref"].as_str().unwrap_or_default().to_owned(),
                f["statedBy"]["name"].clone(),
            )
        })
        .collect();
    assert_eq!(
        by_ref,
        [
            ("F1".to_owned(), json!("Andy Jassy")),
            ("F2".to_owned(), json!(null)),
            ("F3".to_owned(), json!(null)),
            ("F4".to_owned(), json!("Mark Zuckerberg")),
            ("F5".to_owned(), json!(null)),
            ("F6".to_owned(), json!(null)),
            ("F7".to_owned(), json!(null)),
        ]
    );
    assert_eq!(
        data["jassy"]["nodes"][0]["figuresStated"]["nodes"],
        json!([{ "ref": "F1" }])
    );
    assert_eq!(data["byZuckerberg"]["nodes"], json!([{ "ref": "F4" }]));
    assert_eq!(
        strings(&data["stated"]["nodes"], "name"),
        ["Andy Jassy", "Mark Zuckerberg"]
    );
}

/// `statedById` must be a person's id: a company's is the client's mistake, named by its
/// field, and nothing is written.
async fn a_figure_stated_by_something_other_than_a_person_is_refused(app: TestApp) {
    let mut input = figure(&app).await;
    input["statedById"] = input["companyId"].clone();
    refused(
        &app,
        "mutation($input: SpendingFigureInput!) { createSpendingFigure(input: $input) { ref } }",
        json!({ "input": input }),
        "input.statedById",
    )
    .await;
}
