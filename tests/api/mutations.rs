//! Mutations: every write in one transaction, every refusal with BAD_USER_INPUT and the
//! path of the offending input, and nothing changed after a refusal.

use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_engines;

on_both_engines!(
    a_figure_keeps_its_expectation_and_refuses_a_malformed_percentage,
    import_dataset_adds_rows_and_reimporting_changes_nothing,
    import_dataset_with_a_bad_quote_names_the_record_and_writes_nothing,
    import_dataset_refuses_a_content_file,
    a_company_is_created_updated_and_deleted,
    an_investment_is_created_with_its_citation_and_returned_as_the_read_type,
    upsert_company_matches_by_name_then_by_ticker,
    upsert_ai_model_matches_by_name_and_developer,
    upsert_source_matches_by_address_then_by_key,
    a_batch_creates_all_rows,
    a_batch_with_one_bad_row_writes_none_and_names_it,
    a_spending_figure_range_is_created,
    a_project_with_a_backer_is_deleted_with_its_backers,
    deleting_a_claim_takes_its_challenges_and_citations_once_nothing_else_points_at_it,
    a_citation_is_added_to_a_fact_and_removed_again,
    refused_a_negative_amount,
    refused_a_range_with_low_above_high,
    refused_an_unknown_currency,
    refused_a_period_ending_before_it_starts,
    refused_an_unknown_id,
    refused_an_id_of_another_type,
    refused_a_duplicate_company_name,
    refused_a_duplicate_ticker,
    refused_a_duplicate_model_name_for_the_same_developer,
    refused_an_empty_name,
    refused_a_name_over_the_limit,
    refused_a_date_that_contradicts_its_precision,
    refused_a_fact_without_a_citation,
    refused_a_quote_not_in_its_source,
    refused_deleting_a_company_others_reference,
    refused_deleting_the_last_citation_of_a_fact,
    refused_updating_an_unknown_row,
    refused_a_company_as_its_own_parent,
    refused_a_source_text_that_drops_a_cited_quote,
    refused_a_blank_ref,
    an_update_keeps_citations_when_omitted_and_replaces_them_when_given,
);

use capex_graph::graphql::companies::Company;
use capex_graph::graphql::node::global_id;

const QUOTE: &str = "Amazon has introduced a number of new AI-based products and invested heavily in Anthropic, a startup founded by ex-OpenAI staffers.";

async fn company_id(app: &TestApp, name: &str) -> String {
    let data = app
        .data_with(
            "query($n: String!) { companyByName(name: $n) { id } }",
            json!({ "n": name }),
        )
        .await;
    data["companyByName"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no company {name}"))
        .to_string()
}

async fn source_id(app: &TestApp) -> String {
    let data = app
        .data("{ sourceByKey(key: \"ai-capex-spending-spree\") { id } }")
        .await;
    data["sourceByKey"]["id"]
        .as_str()
        .expect("source id")
        .to_string()
}

async fn citation(app: &TestApp) -> Value {
    json!([{ "sourceId": source_id(app).await, "quote": QUOTE }])
}

const CREATE_COMPANY: &str = "mutation($input: CompanyInput!) { createCompany(input: $input) { id name ticker kind parent { name } } }";
const CREATE_INVESTMENT: &str = "mutation($input: InvestmentInput!) { createInvestment(input: $input) { id ref amount { amount currency } investor { name } investee { name } citations { nodes { quote } } } }";
const CREATE_FIGURE: &str = "mutation($input: SpendingFigureInput!) { createSpendingFigure(input: $input) { ref amount { bound low { amount } high { amount } currency } period { kind label } } }";
const CREATE_MODEL: &str =
    "mutation($input: AiModelInput!) { createAiModel(input: $input) { id name } }";

async fn investment(app: &TestApp) -> Value {
    json!({
        "ref": "I-new",
        "investorId": company_id(app, "Microsoft").await,
        "investeeId": company_id(app, "Anthropic").await,
        "amount": { "amount": "1000000.00", "currency": "USD" },
        "made": { "date": "2025-01-01", "precision": "MONTH" },
        "citations": citation(app).await,
    })
}

/// A valid spending figure input (Oracle, a range for 2025).
pub async fn figure(app: &TestApp) -> Value {
    json!({
        "ref": "F-new",
        "companyId": company_id(app, "Oracle").await,
        "category": "CAPITAL_EXPENDITURE",
        "status": "PLANNED",
        "amount": { "bound": "RANGE", "low": "10", "high": "12.50", "currency": "USD" },
        "period": { "kind": "CALENDAR_YEAR", "year": 2025, "start": "2025-01-01", "end": "2025-12-31" },
        "citations": citation(app).await,
    })
}

const IMPORT: &str =
    "mutation($data: DatasetDocument!) { importDataset(data: $data) { inserted matched } }";

/// Asserts that `error` is BAD_USER_INPUT about `field`, and returns its message.
pub fn assert_bad_input(error: &Value, field: &str) -> String {
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(error["extensions"]["field"], field, "{error}");
    error["message"].as_str().unwrap_or_default().to_string()
}

/// Runs a mutation that must be refused about `field`; checks that no row changed.
pub async fn refused(app: &TestApp, query: &str, variables: Value, field: &str) -> String {
    let counts = app.row_counts().await;
    let before = app.snapshot().await;
    let error = app.write_error(query, variables).await;
    let message = assert_bad_input(&error, field);
    assert_eq!(app.row_counts().await, counts, "row counts changed");
    assert!(
        app.snapshot().await == before,
        "rows changed after a refusal"
    );
    message
}

fn small_dataset() -> Value {
    json!({
        "sources": [{ "key": "memo", "title": "A memo", "content": "Newco raised money from Amazon." }],
        "companies": [{ "name": "Newco", "kind": "STARTUP" }],
        "investments": [{
            "ref": "I-newco", "investor": "Amazon", "investee": "Newco",
            "amount": { "amount": "10.50", "currency": "USD" },
            "citations": [{ "source": "memo", "quote": "Newco raised money from Amazon." }]
        }]
    })
}

async fn import_dataset_adds_rows_and_reimporting_changes_nothing(app: TestApp) {
    let data = app.write(IMPORT, json!({ "data": small_dataset() })).await;
    assert_eq!(
        data,
        json!({ "importDataset": { "inserted": 4, "matched": 0 } })
    );
    let after = app.snapshot().await;
    let data = app
        .write(IMPORT, json!({ "data": small_dataset().to_string() }))
        .await;
    assert_eq!(
        data,
        json!({ "importDataset": { "inserted": 0, "matched": 4 } })
    );
    assert!(app.snapshot().await == after, "re-import changed rows");
    let data = app
        .data("{ companyByName(name: \"Newco\") { investmentsReceived { nodes { amount { amount } } } } }")
        .await;
    assert_eq!(
        data["companyByName"]["investmentsReceived"]["nodes"][0]["amount"]["amount"],
        "10.50"
    );
}

async fn import_dataset_with_a_bad_quote_names_the_record_and_writes_nothing(app: TestApp) {
    let mut dataset = small_dataset();
    dataset["investments"][0]["citations"][0]["quote"] = json!("Never written.");
    refused(
        &app,
        IMPORT,
        json!({ "data": dataset }),
        "data.investments[0].citations[0].quote",
    )
    .await;
}

async fn import_dataset_refuses_a_content_file(app: TestApp) {
    let dataset =
        json!({ "sources": [{ "key": "x", "title": "X", "contentFile": "/etc/passwd" }] });
    refused(
        &app,
        IMPORT,
        json!({ "data": dataset }),
        "data.sources[0].contentFile",
    )
    .await;
}

async fn a_company_is_created_updated_and_deleted(app: TestApp) {
    let amazon = company_id(&app, "Amazon").await;
    let data = app
        .write(
            CREATE_COMPANY,
            json!({ "input": { "name": "Newco", "ticker": "NEWC", "kind": "STARTUP", "parentId": amazon } }),
        )
        .await;
    let created = &data["createCompany"];
    assert_eq!(created["name"], "Newco");
    assert_eq!(created["parent"]["name"], "Amazon");
    let id = created["id"].as_str().expect("id").to_string();
    let data = app
        .write(
            "mutation($id: ID!, $input: CompanyInput!) { updateCompany(id: $id, input: $input) { id name ticker parent { name } } }",
            json!({ "id": id, "input": { "name": "Newco Labs", "kind": "STARTUP" } }),
        )
        .await;
    assert_eq!(
        data["updateCompany"],
        json!({ "id": id, "name": "Newco Labs", "ticker": null, "parent": null })
    );
    let before = app.row_counts().await;
    let data = app
        .write(
            "mutation($id: ID!) { deleteCompany(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(data["deleteCompany"]["id"], id.as_str());
    let after = app.row_counts().await;
    assert_eq!(after[1].1, before[1].1 - 1, "{after:?}");
    let data = app
        .data("{ companyByName(name: \"Newco Labs\") { id } }")
        .await;
    assert!(data["companyByName"].is_null());
}

async fn an_investment_is_created_with_its_citation_and_returned_as_the_read_type(app: TestApp) {
    let input = investment(&app).await;
    let data = app
        .write(CREATE_INVESTMENT, json!({ "input": input }))
        .await;
    let created = &data["createInvestment"];
    assert_eq!(created["ref"], "I-new");
    assert_eq!(
        created["amount"],
        json!({ "amount": "1000000.00", "currency": "USD" })
    );
    assert_eq!(created["investor"]["name"], "Microsoft");
    assert_eq!(created["citations"]["nodes"][0]["quote"], QUOTE);
    // And it reads back the same way through the query API.
    let data = app
        .data("{ companyByName(name: \"Microsoft\") { investmentsMade { nodes { investee { name } } } } }")
        .await;
    assert_eq!(
        data["companyByName"]["investmentsMade"]["nodes"][0]["investee"]["name"],
        "Anthropic"
    );
}

const UPSERT_COMPANY: &str =
    "mutation($input: CompanyInput!) { upsertCompany(input: $input) { id name ticker kind } }";

async fn upsert_company_matches_by_name_then_by_ticker(app: TestApp) {
    let amazon = company_id(&app, "Amazon").await;
    let counts = app.row_counts().await;
    let data = app
        .write(
            UPSERT_COMPANY,
            json!({ "input": { "name": "Amazon", "ticker": "AMZN", "kind": "BIG_TECH", "country": "US" } }),
        )
        .await;
    assert_eq!(data["upsertCompany"]["id"], amazon.as_str());
    let data = app
        .write(
            UPSERT_COMPANY,
            json!({ "input": { "name": "Amazon.com", "ticker": "AMZN", "kind": "BIG_TECH" } }),
        )
        .await;
    assert_eq!(data["upsertCompany"]["id"], amazon.as_str());
    assert_eq!(data["upsertCompany"]["name"], "Amazon.com");
    assert_eq!(
        app.row_counts().await,
        counts,
        "an upsert of a known company added rows"
    );
    let data = app
        .write(
            UPSERT_COMPANY,
            json!({ "input": { "name": "Newco", "kind": "STARTUP" } }),
        )
        .await;
    assert_ne!(data["upsertCompany"]["id"], amazon.as_str());
    assert_eq!(app.row_counts().await[1].1, counts[1].1 + 1);
}

async fn upsert_ai_model_matches_by_name_and_developer(app: TestApp) {
    let amazon = company_id(&app, "Amazon").await;
    let meta = company_id(&app, "Meta Platforms").await;
    let query = "mutation($input: AiModelInput!) { upsertAiModel(input: $input) { id name kind developer { name } } }";
    // The notes of the values an upsert leaves out (it replaces the row: Trainium3's
    // `announced` and `expected` become null) go with them; no other row is added.
    let rows = |counts: Vec<(String, i64)>| -> Vec<(String, i64)> {
        counts
            .into_iter()
            .filter(|(table, _)| table != "value_provenance")
            .collect()
    };
    let notes = |counts: &[(String, i64)]| {
        counts
            .iter()
            .find(|(table, _)| table == "value_provenance")
            .map(|(_, n)| *n)
    };
    let counts = app.row_counts().await;
    let first = app
        .write(
            query,
            json!({ "input": { "name": "Trainium3", "kind": "CHIP", "developerId": amazon } }),
        )
        .await;
    let after = app.row_counts().await;
    assert_eq!(notes(&after), notes(&counts).map(|n| n - 2));
    assert_eq!(
        rows(after),
        rows(counts),
        "Trainium3 by Amazon exists already"
    );
    let second = app
        .write(
            query,
            json!({ "input": { "name": "Trainium3", "kind": "CHIP", "developerId": meta } }),
        )
        .await;
    assert_ne!(first["upsertAiModel"]["id"], second["upsertAiModel"]["id"]);
    assert_eq!(
        second["upsertAiModel"]["developer"]["name"],
        "Meta Platforms"
    );
}

async fn upsert_source_matches_by_address_then_by_key(app: TestApp) {
    let query =
        "mutation($input: SourceInput!) { upsertSource(input: $input) { id key title address } }";
    let first = app
        .write(query, json!({ "input": { "key": "memo", "title": "Memo", "address": "https://example.com/memo" } }))
        .await;
    let id = first["upsertSource"]["id"].clone();
    let by_address = app
        .write(query, json!({ "input": { "key": "memo-2", "title": "Memo, revised", "address": "https://example.com/memo" } }))
        .await;
    assert_eq!(by_address["upsertSource"]["id"], id);
    assert_eq!(by_address["upsertSource"]["key"], "memo-2");
    let by_key = app
        .write(
            query,
            json!({ "input": { "key": "memo-2", "title": "Memo, third" } }),
        )
        .await;
    assert_eq!(by_key["upsertSource"]["id"], id);
}

const CREATE_COMPANIES: &str =
    "mutation($inputs: [CompanyInput!]!) { createCompanies(inputs: $inputs) { name } }";

async fn a_batch_creates_all_rows(app: TestApp) {
    let data = app
        .write(
            CREATE_COMPANIES,
            json!({ "inputs": [
                { "name": "Newco A", "kind": "STARTUP" },
                { "name": "Newco B", "kind": "INVESTOR" },
            ] }),
        )
        .await;
    assert_eq!(
        data["createCompanies"],
        json!([{ "name": "Newco A" }, { "name": "Newco B" }])
    );
}

async fn a_batch_with_one_bad_row_writes_none_and_names_it(app: TestApp) {
    refused(
        &app,
        CREATE_COMPANIES,
        json!({ "inputs": [
            { "name": "Newco A", "kind": "STARTUP" },
            { "name": "Newco A", "kind": "STARTUP" },
        ] }),
        "inputs[1].name",
    )
    .await;
}

async fn a_spending_figure_range_is_created(app: TestApp) {
    let input = figure(&app).await;
    let data = app.write(CREATE_FIGURE, json!({ "input": input })).await;
    assert_eq!(
        data["createSpendingFigure"]["amount"],
        json!({ "bound": "RANGE", "low": { "amount": "10.00" }, "high": { "amount": "12.50" }, "currency": "USD" })
    );
    assert_eq!(
        data["createSpendingFigure"]["period"]["kind"],
        "CALENDAR_YEAR"
    );
}

async fn a_project_with_a_backer_is_deleted_with_its_backers(app: TestApp) {
    let cite = citation(&app).await;
    let data = app
        .write(
            "mutation($input: ProjectInput!) { createProject(input: $input) { id name } }",
            json!({ "input": { "name": "Project X", "plannedAmount": { "amount": "5", "currency": "EUR" }, "citations": cite } }),
        )
        .await;
    let project = data["createProject"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let oracle = company_id(&app, "Oracle").await;
    let data = app
        .write(
            "mutation($input: ProjectBackerInput!) { createProjectBacker(input: $input) { role company { name } project { name } } }",
            json!({ "input": { "projectId": project, "companyId": oracle, "role": "BACKER", "citations": cite } }),
        )
        .await;
    assert_eq!(data["createProjectBacker"]["project"]["name"], "Project X");
    let again = app
        .write_error(
            "mutation($input: ProjectBackerInput!) { createProjectBacker(input: $input) { role } }",
            json!({ "input": { "projectId": project, "companyId": oracle, "role": "LEAD", "citations": cite } }),
        )
        .await;
    assert_bad_input(&again, "input.companyId");
    let before = app.row_counts().await;
    app.write(
        "mutation($id: ID!) { deleteProject(id: $id) { databaseId } }",
        json!({ "id": project }),
    )
    .await;
    let after = app.row_counts().await;
    let count = |rows: &[(String, i64)], table: &str| {
        rows.iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| *n)
            .unwrap_or(-1)
    };
    assert_eq!(count(&after, "project"), count(&before, "project") - 1);
    assert_eq!(
        count(&after, "project_backer"),
        count(&before, "project_backer") - 1
    );
    assert_eq!(count(&after, "citation"), count(&before, "citation") - 2);
}

async fn deleting_a_claim_takes_its_challenges_and_citations_once_nothing_else_points_at_it(
    app: TestApp,
) {
    let data = app
        .data("{ claims(status: DISPUTED) { nodes { id ref triggeredEvents { nodes { id } } } } }")
        .await;
    let claim = data["claims"]["nodes"][0]["id"]
        .as_str()
        .expect("C1")
        .to_string();
    let event = data["claims"]["nodes"][0]["triggeredEvents"]["nodes"][0]["id"]
        .as_str()
        .expect("E1")
        .to_string();
    let message = refused(
        &app,
        "mutation($id: ID!) { deleteClaim(id: $id) { id } }",
        json!({ "id": claim }),
        "id",
    )
    .await;
    assert!(message.contains("1 events it triggered"), "{message}");
    app.write(
        "mutation($id: ID!) { deleteEvent(id: $id) { id } }",
        json!({ "id": event }),
    )
    .await;
    let before = app.row_counts().await;
    app.write(
        "mutation($id: ID!) { deleteClaim(id: $id) { id } }",
        json!({ "id": claim }),
    )
    .await;
    let after = app.row_counts().await;
    let count = |rows: &[(String, i64)], table: &str| {
        rows.iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| *n)
            .unwrap_or(-1)
    };
    assert_eq!(count(&after, "claim"), count(&before, "claim") - 1);
    assert_eq!(
        count(&after, "claim_challenge"),
        count(&before, "claim_challenge") - 3
    );
    assert!(count(&after, "citation") < count(&before, "citation") - 3);
}

async fn a_citation_is_added_to_a_fact_and_removed_again(app: TestApp) {
    let data = app
        .data("{ companyByName(name: \"Amazon\") { investmentsMade { nodes { id } } } }")
        .await;
    let investment = data["companyByName"]["investmentsMade"]["nodes"][0]["id"].clone();
    let source = source_id(&app).await;
    let quote = "That cash would be doled out over the next four years.";
    let data = app
        .write(
            "mutation($input: SubjectCitationInput!) { createCitation(input: $input) { id quote subject { __typename } } }",
            json!({ "input": { "subjectId": investment, "sourceId": source, "quote": quote } }),
        )
        .await;
    assert_eq!(
        data["createCitation"]["subject"]["__typename"],
        "Investment"
    );
    let id = data["createCitation"]["id"].clone();
    app.write(
        "mutation($id: ID!) { deleteCitation(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
}

async fn refused_a_negative_amount(app: TestApp) {
    let mut input = investment(&app).await;
    input["amount"]["amount"] = json!("-5.00");
    refused(
        &app,
        CREATE_INVESTMENT,
        json!({ "input": input }),
        "input.amount.amount",
    )
    .await;
}

async fn refused_a_range_with_low_above_high(app: TestApp) {
    let mut input = figure(&app).await;
    input["amount"]["low"] = json!("13");
    let message = refused(
        &app,
        CREATE_FIGURE,
        json!({ "input": input }),
        "input.amount.low",
    )
    .await;
    assert!(message.contains("above"), "{message}");
}

async fn refused_an_unknown_currency(app: TestApp) {
    let mut input = investment(&app).await;
    input["amount"]["currency"] = json!("XYZ");
    refused(
        &app,
        CREATE_INVESTMENT,
        json!({ "input": input }),
        "input.amount.currency",
    )
    .await;
}

async fn refused_a_period_ending_before_it_starts(app: TestApp) {
    let mut input = figure(&app).await;
    input["period"]["end"] = json!("2024-12-31");
    refused(
        &app,
        CREATE_FIGURE,
        json!({ "input": input }),
        "input.period.end",
    )
    .await;
}

async fn refused_an_unknown_id(app: TestApp) {
    let mut input = investment(&app).await;
    input["investorId"] = json!(global_id::<Company>(999_999).to_string());
    let message = refused(
        &app,
        CREATE_INVESTMENT,
        json!({ "input": input }),
        "input.investorId",
    )
    .await;
    assert!(message.contains("no Company"), "{message}");
}

async fn refused_an_id_of_another_type(app: TestApp) {
    let mut input = investment(&app).await;
    input["investeeId"] = json!(source_id(&app).await);
    refused(
        &app,
        CREATE_INVESTMENT,
        json!({ "input": input }),
        "input.investeeId",
    )
    .await;
}

async fn refused_a_duplicate_company_name(app: TestApp) {
    let message = refused(
        &app,
        CREATE_COMPANY,
        json!({ "input": { "name": "Amazon", "kind": "BIG_TECH" } }),
        "input.name",
    )
    .await;
    assert!(message.contains("exists already"), "{message}");
}

async fn refused_a_duplicate_ticker(app: TestApp) {
    refused(
        &app,
        CREATE_COMPANY,
        json!({ "input": { "name": "Amazon Two", "ticker": "AMZN", "kind": "BIG_TECH" } }),
        "input.ticker",
    )
    .await;
}

async fn refused_a_duplicate_model_name_for_the_same_developer(app: TestApp) {
    let amazon = company_id(&app, "Amazon").await;
    refused(
        &app,
        CREATE_MODEL,
        json!({ "input": { "name": "Trainium3", "kind": "CHIP", "developerId": amazon } }),
        "input.name",
    )
    .await;
}

async fn refused_an_empty_name(app: TestApp) {
    refused(
        &app,
        CREATE_COMPANY,
        json!({ "input": { "name": "   ", "kind": "STARTUP" } }),
        "input.name",
    )
    .await;
}

async fn refused_a_name_over_the_limit(app: TestApp) {
    let message = refused(
        &app,
        CREATE_COMPANY,
        json!({ "input": { "name": "x".repeat(201), "kind": "STARTUP" } }),
        "input.name",
    )
    .await;
    assert!(message.contains("at most 200"), "{message}");
}

async fn refused_a_date_that_contradicts_its_precision(app: TestApp) {
    let amazon = company_id(&app, "Amazon").await;
    refused(
        &app,
        CREATE_MODEL,
        json!({ "input": { "name": "Nova", "kind": "MODEL", "developerId": amazon,
                           "announced": { "date": "2025-01-15", "precision": "MONTH" } } }),
        "input.announced.date",
    )
    .await;
}

async fn refused_a_fact_without_a_citation(app: TestApp) {
    let mut input = investment(&app).await;
    input["citations"] = json!([]);
    refused(
        &app,
        CREATE_INVESTMENT,
        json!({ "input": input.clone() }),
        "input.citations",
    )
    .await;
    input.as_object_mut().map(|o| o.remove("citations"));
    let message = refused(
        &app,
        CREATE_INVESTMENT,
        json!({ "input": input }),
        "input.citations",
    )
    .await;
    assert!(message.contains("at least one citation"), "{message}");
}

async fn refused_a_quote_not_in_its_source(app: TestApp) {
    let mut input = investment(&app).await;
    input["citations"][0]["quote"] = json!("A sentence the article never wrote.");
    refused(
        &app,
        CREATE_INVESTMENT,
        json!({ "input": input }),
        "input.citations[0].quote",
    )
    .await;
}

async fn refused_deleting_a_company_others_reference(app: TestApp) {
    let amazon = company_id(&app, "Amazon").await;
    let message = refused(
        &app,
        "mutation($id: ID!) { deleteCompany(id: $id) { id } }",
        json!({ "id": amazon }),
        "id",
    )
    .await;
    assert!(
        message.contains("investments made") && message.contains("AI models"),
        "{message}"
    );
}

async fn refused_deleting_the_last_citation_of_a_fact(app: TestApp) {
    let data = app
        .data("{ companyByName(name: \"Amazon\") { investmentsMade { nodes { citations { nodes { id } } } } } }")
        .await;
    let citation =
        data["companyByName"]["investmentsMade"]["nodes"][0]["citations"]["nodes"][0]["id"].clone();
    refused(
        &app,
        "mutation($id: ID!) { deleteCitation(id: $id) { id } }",
        json!({ "id": citation }),
        "id",
    )
    .await;
}

async fn refused_updating_an_unknown_row(app: TestApp) {
    refused(
        &app,
        "mutation($id: ID!, $input: CompanyInput!) { updateCompany(id: $id, input: $input) { id } }",
        json!({ "id": global_id::<Company>(999_999).to_string(), "input": { "name": "X", "kind": "OTHER" } }),
        "id",
    )
    .await;
}

async fn refused_a_company_as_its_own_parent(app: TestApp) {
    let alphabet = company_id(&app, "Alphabet").await;
    let google = app
        .data("{ companyByName(name: \"Alphabet\") { subsidiaries { nodes { id name } } } }")
        .await;
    let child = google["companyByName"]["subsidiaries"]["nodes"][0]["id"].clone();
    refused(
        &app,
        "mutation($id: ID!, $input: CompanyInput!) { updateCompany(id: $id, input: $input) { id } }",
        json!({ "id": alphabet, "input": { "name": "Alphabet", "kind": "BIG_TECH", "parentId": child } }),
        "input.parentId",
    )
    .await;
}

async fn refused_a_source_text_that_drops_a_cited_quote(app: TestApp) {
    let source = source_id(&app).await;
    refused(
        &app,
        "mutation($id: ID!, $input: SourceInput!) { updateSource(id: $id, input: $input) { id } }",
        json!({ "id": source, "input": { "key": "ai-capex-spending-spree", "title": "T", "content": "Nothing." } }),
        "input.content",
    )
    .await;
}

async fn refused_a_blank_ref(app: TestApp) {
    let mut input = investment(&app).await;
    input["ref"] = json!(" ");
    refused(
        &app,
        CREATE_INVESTMENT,
        json!({ "input": input }),
        "input.ref",
    )
    .await;
}

async fn an_update_keeps_citations_when_omitted_and_replaces_them_when_given(app: TestApp) {
    let input = investment(&app).await;
    let data = app
        .write(CREATE_INVESTMENT, json!({ "input": input.clone() }))
        .await;
    let id = data["createInvestment"]["id"].clone();
    const UPDATE: &str = "mutation($id: ID!, $input: InvestmentInput!) { updateInvestment(id: $id, input: $input) { amount { amount } citations { nodes { quote } } } }";
    let mut changed = input.clone();
    changed.as_object_mut().map(|o| o.remove("citations"));
    changed["amount"]["amount"] = json!("2.00");
    let data = app
        .write(UPDATE, json!({ "id": id, "input": changed }))
        .await;
    assert_eq!(data["updateInvestment"]["amount"]["amount"], "2.00");
    assert_eq!(
        data["updateInvestment"]["citations"]["nodes"][0]["quote"],
        QUOTE
    );
    let other = "That cash would be doled out over the next four years.";
    changed["citations"] = json!([{ "sourceId": source_id(&app).await, "quote": other }]);
    let data = app
        .write(UPDATE, json!({ "id": id, "input": changed.clone() }))
        .await;
    assert_eq!(
        data["updateInvestment"]["citations"]["nodes"],
        json!([{ "quote": other }])
    );
    changed["citations"] = json!([]);
    refused(
        &app,
        UPDATE,
        json!({ "id": id, "input": changed }),
        "input.citations",
    )
    .await;
}

async fn a_figure_keeps_its_expectation_and_refuses_a_malformed_percentage(app: TestApp) {
    let mut input = figure(&app).await;
    input["amount"] = json!({ "bound": "EXACT", "low": "129", "high": "129", "currency": "USD" });
    input["expectation"] = json!({ "holder": "Analysts", "percentAbove": "-3.5" });
    for bad in ["-100", "12.345"] {
        let mut wrong = input.clone();
        wrong["expectation"]["percentAbove"] = json!(bad);
        refused(
            &app,
            CREATE_FIGURE,
            json!({ "input": wrong }),
            "input.expectation.percentAbove",
        )
        .await;
    }
    // Not a decimal at all: refused by the scalar, before the resolver runs.
    let before = app.snapshot().await;
    let mut wrong = input.clone();
    wrong["expectation"]["percentAbove"] = json!("abc");
    let error = app
        .write_error(CREATE_FIGURE, json!({ "input": wrong }))
        .await;
    assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{error}");
    assert_eq!(app.snapshot().await, before);
    input["expectation"]["percentAbove"] = json!("29");
    app.write(CREATE_FIGURE, json!({ "input": input })).await;
    let data = app
        .data(r#"{ spendingFigureByRef(ref: "F-new") { expectation { holder percentAbove implied { amount } } } }"#)
        .await;
    // 129 / 1.29 = 100.
    assert_eq!(
        data["spendingFigureByRef"]["expectation"],
        json!({ "holder": "Analysts", "percentAbove": "29.00", "implied": { "amount": "100.00" } })
    );
}

/// On a SQLite file the pool holds several connections, so requests run side by side.
/// Write transactions that read and then write (every mutation checks what it points at)
/// would fail with SQLITE_BUSY if two ran at once; they take turns, and reads run beside
/// them. Every one of many concurrent writes succeeds, and every concurrent read answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writes_on_a_sqlite_file_all_succeed() {
    use std::sync::Arc;

    use crate::helpers::Engine;

    let dir = std::env::temp_dir().join(format!("capex-concurrent-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let url = format!("sqlite://{}/writes.db?mode=rwc", dir.display());
    let app = Arc::new(TestApp::start(Engine::Sqlite, &url).await);
    let amazon = company_id(&app, "Amazon").await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let (app, amazon) = (app.clone(), amazon.clone());
        tasks.push(tokio::spawn(async move {
            let input =
                json!({ "name": format!("Concurrent {i}"), "kind": "STARTUP", "parentId": amazon });
            let data = app.write(CREATE_COMPANY, json!({ "input": input })).await;
            assert_eq!(data["createCompany"]["parent"]["name"], "Amazon");
            let read = app
                .data("{ companies(first: 100) { totalCount nodes { name } } }")
                .await;
            assert!(read["companies"]["totalCount"].as_i64().unwrap_or(0) > 0);
        }));
    }
    for task in tasks {
        task.await.expect("a concurrent request failed");
    }
    let data = app
        .data("{ companies(filter: { name: { startsWith: \"Concurrent \" } }) { totalCount } }")
        .await;
    assert_eq!(data["companies"]["totalCount"], 24);
    app.db.clone().close().await.expect("close");
    let _ = std::fs::remove_dir_all(&dir);
}
