//! Runs the five example operations against a server with the generated, typed code and
//! checks each typed answer, serialized back to JSON, against the answer checked in next to
//! its operation (`examples/queries/*.json`, compared on `data`):
//!
//! ```sh
//! capex-graph-client http://127.0.0.1:8000/graphql
//! ```
//!
//! Prints one line per operation and exits non-zero when any of them fails.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use capex_graph_client::{
    AmazonInvestmentsAndModels, BigFourCapex2025, DeepSeekVersusCapex, DisputedClaims,
    StargateBackers, amazon_investments_and_models, big_four_capex2025, deep_seek_versus_capex,
    disputed_claims, execute, stargate_backers,
};
use graphql_client::GraphQLQuery;
use serde::Serialize;
use serde_json::Value;

fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: capex-graph-client URL   (for example http://127.0.0.1:8000/graphql)");
        return ExitCode::from(2);
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        // A GraphQL answer with a 4xx status still has a body worth showing.
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();

    let outcomes = [
        (
            "q1-stargate-backers",
            stargate_backers::OPERATION_NAME,
            check::<StargateBackers>(
                &agent,
                &url,
                stargate_backers::Variables,
                include_str!("../../../queries/q1-stargate-backers.json"),
            )
            .map(|data| describe_stargate(&data)),
        ),
        (
            "q2-amazon-investments-models",
            amazon_investments_and_models::OPERATION_NAME,
            check::<AmazonInvestmentsAndModels>(
                &agent,
                &url,
                amazon_investments_and_models::Variables,
                include_str!("../../../queries/q2-amazon-investments-models.json"),
            )
            .map(|_| None),
        ),
        (
            "q3-big-four-capex-2025",
            big_four_capex2025::OPERATION_NAME,
            check::<BigFourCapex2025>(
                &agent,
                &url,
                big_four_capex2025::Variables,
                include_str!("../../../queries/q3-big-four-capex-2025.json"),
            )
            .map(|_| None),
        ),
        (
            "q4-disputed-claims",
            disputed_claims::OPERATION_NAME,
            check::<DisputedClaims>(
                &agent,
                &url,
                disputed_claims::Variables,
                include_str!("../../../queries/q4-disputed-claims.json"),
            )
            .map(|_| None),
        ),
        (
            "q5-deepseek-vs-capex",
            deep_seek_versus_capex::OPERATION_NAME,
            check::<DeepSeekVersusCapex>(
                &agent,
                &url,
                deep_seek_versus_capex::Variables,
                include_str!("../../../queries/q5-deepseek-vs-capex.json"),
            )
            .map(|_| None),
        ),
    ];

    let mut failed = 0;
    for (name, operation, outcome) in &outcomes {
        match outcome {
            Ok(description) => {
                println!("ok    {operation}: matches examples/queries/{name}.json");
                if let Some(description) = description {
                    println!("      {description}");
                }
            }
            Err(error) => {
                failed += 1;
                println!("FAIL  {operation} (examples/queries/{name}.graphql): {error:#}");
            }
        }
    }
    if failed > 0 {
        eprintln!("{failed} of {} operations failed", outcomes.len());
        return ExitCode::FAILURE;
    }
    println!(
        "all {} operations match their expected answers",
        outcomes.len()
    );
    ExitCode::SUCCESS
}

/// Runs one operation and compares its typed answer, serialized back to JSON, with the
/// expected answer's `data`.
fn check<Q>(
    agent: &ureq::Agent,
    url: &str,
    variables: Q::Variables,
    expected: &str,
) -> Result<Q::ResponseData>
where
    Q: GraphQLQuery,
    Q::ResponseData: Serialize,
{
    let data = execute::<Q>(agent, url, variables)?;
    let expected: Value = serde_json::from_str(expected).context("the expected answer")?;
    let expected = expected
        .get("data")
        .context("the expected answer has no `data`")?;
    let actual = serde_json::to_value(&data).context("serializing the typed answer")?;
    if let Some(difference) = first_difference(expected, &actual, "data") {
        bail!("the answer differs from the expected one: {difference}");
    }
    Ok(data)
}

/// A human line from the typed answer: relations the schema declares non-null (`backers`,
/// each backer's `company`) are plain fields, nullable ones are `Option`s.
fn describe_stargate(data: &stargate_backers::ResponseData) -> Option<String> {
    let project = data.project_by_name.as_ref()?;
    let amount = project.planned_amount.as_ref().map_or_else(
        || "no planned amount".to_owned(),
        |money| format!("{} {}", money.amount, money.currency),
    );
    let backers: Vec<String> = project
        .backers
        .nodes
        .iter()
        .map(|backer| format!("{} ({:?})", backer.company.name, backer.role))
        .collect();
    Some(format!(
        "{}: {amount}; backers {}",
        project.name,
        backers.join(", ")
    ))
}

/// Where `actual` first differs from `expected`, as a path (`data.a.b[2].c`) and both values.
fn first_difference(expected: &Value, actual: &Value, path: &str) -> Option<String> {
    match (expected, actual) {
        (Value::Object(expected), Value::Object(actual)) => {
            for (key, expected) in expected {
                let path = format!("{path}.{key}");
                match actual.get(key) {
                    Some(actual) => {
                        if let Some(difference) = first_difference(expected, actual, &path) {
                            return Some(difference);
                        }
                    }
                    None => return Some(format!("{path}: expected {expected}, missing")),
                }
            }
            actual
                .keys()
                .find(|key| !expected.contains_key(*key))
                .map(|key| format!("{path}.{key}: present but not expected"))
        }
        (Value::Array(expected), Value::Array(actual)) if expected.len() != actual.len() => {
            Some(format!(
                "{path}: expected {} items, got {}",
                expected.len(),
                actual.len()
            ))
        }
        (Value::Array(expected), Value::Array(actual)) => expected
            .iter()
            .zip(actual)
            .enumerate()
            .find_map(|(index, (expected, actual))| {
                first_difference(expected, actual, &format!("{path}[{index}]"))
            }),
        _ if expected == actual => None,
        _ => Some(format!("{path}: expected {expected}, got {actual}")),
    }
}
