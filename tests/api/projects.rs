use serde_json::json;

use crate::helpers::{TestApp, strings};
use crate::on_both_engines;

on_both_engines!(
    stargate_lists_softbank_and_oracle_as_backers_and_what_else_they_invested_in,
    backers_lead_back_to_their_projects,
);

/// Domain question 1: which companies back Stargate, and what else has each invested in?
async fn stargate_lists_softbank_and_oracle_as_backers_and_what_else_they_invested_in(
    app: TestApp,
) {
    let data = app
        .data(
            r#"{ projectByName(name: "Stargate") {
                   name horizonYears hasUnnamedBackers
                   plannedAmount { amount currency minorUnits }
                   announced { text precision }
                   lead { name }
                   backers { nodes { role company { name ticker investmentsMade { nodes { investee { name } } } } citations { nodes { quote } } } }
                   citations { nodes { quote } } } }"#,
        )
        .await;
    let p = &data["projectByName"];
    assert_eq!(
        p["plannedAmount"],
        json!({"amount": "500000000000.00", "currency": "USD", "minorUnits": "50000000000000"})
    );
    assert_eq!(p["horizonYears"], 4);
    assert_eq!(
        p["hasUnnamedBackers"], true,
        "\"among others\": more backers than named"
    );
    assert_eq!(
        p["announced"],
        json!({"text": "2025-01", "precision": "MONTH"})
    );
    assert_eq!(p["lead"]["name"], "OpenAI");
    let backers = p["backers"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: Vec<_> = backers
        .iter()
        .map(|b| (b["role"].as_str(), b["company"]["name"].as_str()))
        .collect();
    assert_eq!(
        names,
        [
            (Some("LEAD"), Some("OpenAI")),
            (Some("BACKER"), Some("SoftBank")),
            (Some("BACKER"), Some("Oracle"))
        ]
    );
    assert_eq!(backers[1]["company"]["ticker"], "SFTBY");
    assert_eq!(backers[2]["company"]["ticker"], "ORCL");
    for backer in &backers {
        // The article names no other investment of theirs.
        assert_eq!(backer["company"]["investmentsMade"]["nodes"], json!([]));
        assert!(
            backer["citations"]["nodes"][0]["quote"]
                .as_str()
                .is_some_and(|q| q.contains("backed by SoftBank"))
        );
    }
    let quotes = strings(&p["citations"]["nodes"], "quote");
    assert!(
        quotes
            .iter()
            .any(|q| q.contains("over the next four years")),
        "{quotes:?}"
    );
}

async fn backers_lead_back_to_their_projects(app: TestApp) {
    let data = app
        .data(r#"{ companyByTicker(ticker: "ORCL") { projectRoles { nodes { role project { name lead { name } } } } } }"#)
        .await;
    let roles = &data["companyByTicker"]["projectRoles"]["nodes"];
    assert_eq!(
        roles,
        &json!([{ "role": "BACKER", "project": { "name": "Stargate", "lead": { "name": "OpenAI" } } }])
    );
}
