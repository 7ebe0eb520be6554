use serde_json::json;

use crate::helpers::{TestApp, strings};
use crate::on_both_engines;

on_both_engines!(
    deepseeks_claim_is_5_6_million_disputed_and_challenged_by_meta_and_microsoft,
    every_claim_names_its_claimant_and_source_sentence,
    nvidias_drop_was_set_off_by_deepseeks_claim,
);

/// Domain question 4: which claims are disputed, by whom, and what is the source sentence?
async fn deepseeks_claim_is_5_6_million_disputed_and_challenged_by_meta_and_microsoft(
    app: TestApp,
) {
    let data = app
        .data(
            r#"{ claims(status: DISPUTED) { nodes { ref statement kind claimantCompany { name }
                   amount { amount currency } subjectModel { name }
                   spendingFigure { ref status }
                   challenges { nodes { kind description challengerCompany { name } citations { nodes { quote } } } }
                   citations { nodes { quote source { title } } } } } }"#,
        )
        .await;
    let claims = data["claims"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(claims.len(), 1, "{claims:?}");
    let c1 = &claims[0];
    assert_eq!(c1["ref"], "C1");
    assert_eq!(c1["kind"], "COST_CLAIM");
    assert_eq!(c1["claimantCompany"]["name"], "DeepSeek");
    assert_eq!(
        c1["amount"],
        json!({ "amount": "5600000.00", "currency": "USD" })
    );
    assert_eq!(
        c1["spendingFigure"],
        json!({ "ref": "F7", "status": "CLAIMED" })
    );
    assert_eq!(c1["subjectModel"]["name"], "DeepSeek rival model");
    let challengers: Vec<_> = c1["challenges"]["nodes"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| c["challengerCompany"]["name"].clone())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        challengers,
        [json!(null), json!("Meta Platforms"), json!("Microsoft")]
    );
    assert_eq!(c1["challenges"]["nodes"][1]["kind"], "INVESTIGATION");
    assert!(
        c1["challenges"]["nodes"][1]["citations"]["nodes"][0]["quote"]
            .as_str()
            .is_some_and(|q| q.contains("war rooms"))
    );
    assert!(
        c1["challenges"]["nodes"][0]["citations"]["nodes"][0]["quote"]
            .as_str()
            .is_some_and(|q| q.contains("calling into question"))
    );
    let quote = c1["citations"]["nodes"][0]["quote"]
        .as_str()
        .unwrap_or_default();
    assert!(quote.contains("$5.6 million"), "{quote}");
    assert_eq!(
        c1["citations"]["nodes"][0]["source"]["title"],
        "Amazon plans an AI spending spree, joining Meta, Microsoft, and Google"
    );
}

async fn every_claim_names_its_claimant_and_source_sentence(app: TestApp) {
    let data = app
        .data(r#"{ claims { nodes { ref kind status claimantPerson { name } claimantCompany { name } citations { nodes { quote } } } } }"#)
        .await;
    let claims = data["claims"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        strings(&data["claims"]["nodes"], "ref"),
        ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    );
    let expected = [
        ("COST_CLAIM", None, "DeepSeek"),
        ("FORWARD_LOOKING", Some("Mark Zuckerberg"), "Meta Platforms"),
        ("FORWARD_LOOKING", Some("Mark Zuckerberg"), "Meta Platforms"),
        ("OPINION", Some("Andy Jassy"), "Amazon"),
        ("OPINION", Some("Brad Smith"), "Microsoft"),
        ("OPINION", Some("Sundar Pichai"), "Alphabet"),
        ("GUIDANCE", Some("Andy Jassy"), "Amazon"),
    ];
    for (claim, (kind, person, company)) in claims.iter().zip(expected) {
        assert_eq!(claim["kind"], kind, "{claim}");
        assert_eq!(claim["claimantPerson"]["name"].as_str(), person, "{claim}");
        assert_eq!(claim["claimantCompany"]["name"], company, "{claim}");
        assert!(
            !claim["citations"]["nodes"]
                .as_array()
                .map(Vec::is_empty)
                .unwrap_or(true),
            "{claim}"
        );
    }
    let c5 = claims[4]["citations"]["nodes"][0]["quote"]
        .as_str()
        .unwrap_or_default();
    assert!(c5.contains("world-changing GPT"), "{c5}");
}

async fn nvidias_drop_was_set_off_by_deepseeks_claim(app: TestApp) {
    let data = app
        .data(r#"{ events { nodes { ref kind name occurred { text precision } company { name ticker } triggerClaim { ref triggeredEvents { nodes { ref } } } citations { nodes { quote } } } } }"#)
        .await;
    let e = &data["events"]["nodes"][0];
    assert_eq!(e["ref"], "E1");
    assert_eq!(e["kind"], "MARKET_MOVE");
    assert_eq!(e["company"], json!({ "name": "Nvidia", "ticker": "NVDA" }));
    assert_eq!(
        e["occurred"],
        json!({ "text": "2025-01", "precision": "MONTH" })
    );
    assert_eq!(e["triggerClaim"]["ref"], "C1");
    assert_eq!(
        e["triggerClaim"]["triggeredEvents"]["nodes"],
        json!([{ "ref": "E1" }])
    );
    assert!(
        e["citations"]["nodes"][0]["quote"]
            .as_str()
            .is_some_and(|q| q.contains("biggest one-day drop in market value"))
    );
}
