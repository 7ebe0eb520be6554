use serde_json::json;

use crate::helpers::{TestApp, strings};
use crate::on_both_engines;

on_both_engines!(
    amazon_invested_in_anthropic_and_the_amount_stays_unknown,
    aws_is_part_of_amazon_and_google_of_alphabet,
    anthropic_was_founded_by_former_openai_staff,
    people_and_companies_link_both_ways,
    unknown_ids_and_names_give_null,
    investor_startup_model_path_reaches_the_models_of_each_company,
);

async fn amazon_invested_in_anthropic_and_the_amount_stays_unknown(app: TestApp) {
    let data = app
        .data(
            r#"{ companyByTicker(ticker: "AMZN") { name investmentsMade { nodes {
                   ref amount { amount } description
                   investee { name kind investmentsReceived { nodes { investor { name } } } }
                   citations { nodes { quote source { key } } } } } } }"#,
        )
        .await;
    let made = &data["companyByTicker"]["investmentsMade"]["nodes"];
    assert_eq!(made.as_array().map(Vec::len), Some(1), "{made}");
    let inv = &made[0];
    assert_eq!(inv["ref"], "I1");
    assert_eq!(
        inv["amount"],
        json!(null),
        "the article gives no amount: it must stay null"
    );
    assert_eq!(inv["investee"]["name"], "Anthropic");
    assert_eq!(inv["investee"]["kind"], "STARTUP");
    assert_eq!(
        inv["investee"]["investmentsReceived"]["nodes"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        inv["investee"]["investmentsReceived"]["nodes"][0]["investor"]["name"],
        "Amazon"
    );
    let quote = inv["citations"]["nodes"][0]["quote"]
        .as_str()
        .unwrap_or_default();
    assert!(quote.contains("invested heavily in Anthropic"), "{quote}");
    assert_eq!(
        inv["citations"]["nodes"][0]["source"]["key"],
        "ai-capex-spending-spree"
    );
}

async fn aws_is_part_of_amazon_and_google_of_alphabet(app: TestApp) {
    let data = app
        .data(
            r#"{ aws: companyByName(name: "Amazon Web Services") { kind parent { name } }
                 alphabet: companyByTicker(ticker: "GOOGL") { name subsidiaries { nodes { name } } } }"#,
        )
        .await;
    assert_eq!(data["aws"]["kind"], "SUBSIDIARY");
    assert_eq!(data["aws"]["parent"]["name"], "Amazon");
    assert_eq!(data["alphabet"]["name"], "Alphabet");
    assert_eq!(
        strings(&data["alphabet"]["subsidiaries"]["nodes"], "name"),
        ["Google"]
    );
}

async fn anthropic_was_founded_by_former_openai_staff(app: TestApp) {
    let data = app
        .data(
            r#"{ anthropic: companyByName(name: "Anthropic") { foundedByAlumniOf { name } }
                 openai: companyByName(name: "OpenAI") { foundedByAlumni { nodes { name } } } }"#,
        )
        .await;
    assert_eq!(data["anthropic"]["foundedByAlumniOf"]["name"], "OpenAI");
    assert_eq!(
        strings(&data["openai"]["foundedByAlumni"]["nodes"], "name"),
        ["Anthropic"]
    );
}

async fn people_and_companies_link_both_ways(app: TestApp) {
    let data = app
        .data(r#"{ people { nodes { name title company { name people { nodes { name } } } } } }"#)
        .await;
    let people = data["people"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let expected = [
        ("Andy Jassy", "CEO", "Amazon"),
        ("Brad Smith", "President", "Microsoft"),
        ("Mark Zuckerberg", "CEO", "Meta Platforms"),
        ("Sundar Pichai", "CEO", "Alphabet"),
    ];
    assert_eq!(people.len(), expected.len());
    for (person, (name, title, company)) in people.iter().zip(expected) {
        assert_eq!(person["name"], name);
        assert_eq!(person["title"], title);
        assert_eq!(person["company"]["name"], company);
        assert!(strings(&person["company"]["people"]["nodes"], "name").contains(&name.to_string()));
    }
}

async fn unknown_ids_and_names_give_null(app: TestApp) {
    let data = app
        .data(
            r#"{ company(id: "Q29tcGFueTo5OTk5OTk") { name } companyByName(name: "Nobody Inc") { name }
                 project(id: "UHJvamVjdDotMQ") { name } claimByRef(ref: "C999") { ref } source(id: "U291cmNlOjA") { title } }"#,
        )
        .await;
    for field in [
        "company",
        "companyByName",
        "project",
        "claimByRef",
        "source",
    ] {
        assert_eq!(data[field], json!(null), "{field}");
    }
}

async fn investor_startup_model_path_reaches_the_models_of_each_company(app: TestApp) {
    let data = app
        .data(
            r#"{ companies { nodes { name models { nodes { name kind developer { name } expected { text precision } announced { text } } } } } }"#,
        )
        .await;
    let companies = data["companies"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(companies.len(), 12);
    let models_of = |name: &str| {
        companies
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["models"]["nodes"].clone())
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert_eq!(
        strings(&models_of("Meta Platforms"), "name"),
        ["Llama 4", "Meta AI engineer"]
    );
    assert_eq!(
        strings(&models_of("DeepSeek"), "name"),
        ["DeepSeek rival model"]
    );
    let amazon = models_of("Amazon");
    assert_eq!(strings(&amazon, "name"), ["Trainium3"]);
    assert_eq!(amazon[0]["kind"], "CHIP");
    assert_eq!(
        amazon[0]["announced"]["text"], "2024-12",
        "unveiled in December: month precision"
    );
    assert_eq!(amazon[0]["expected"]["precision"], "YEAR");
    assert_eq!(amazon[0]["developer"]["name"], "Amazon");
    // The article names no Anthropic model: the path exists and is honestly empty.
    assert_eq!(models_of("Anthropic"), json!([]));
}
