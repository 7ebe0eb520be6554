//! Typed operations for the example queries in `examples/queries`, generated at compile time
//! by `graphql_client` from the committed `schema.graphql`. A field that the schema no longer
//! has, or whose type changed, fails the build of this crate.

use graphql_client::GraphQLQuery;

/// The schema's custom scalars, as Rust types. The generated code names them through
/// `custom_scalars_module`, so this is the one place that says what each one is. The schema's
/// `@specifiedBy` URLs point at the full specifications, which the server serves
/// (`/scalars/decimal`, `/scalars/date`, `/scalars/dataset-document`).
pub mod scalars {
    /// An exact decimal, sent as a JSON string so that nothing parses it into a float: an
    /// optional `-`, digits, optionally `.` and digits; no exponent, no grouping. Money has
    /// as many decimals as its currency's minor unit: `"500000000000.00"`.
    pub type Decimal = String;
    /// A calendar date, ISO 8601 `YYYY-MM-DD` (`"2025-06-30"`); a date known only to the
    /// month, quarter or year is the first day of that span.
    pub type Date = String;
    /// A dataset in the JSON format of `dataset/builtin.json`: a JSON object.
    pub type DatasetDocument = serde_json::Map<String, serde_json::Value>;
}

/// Rebuilds this crate when the schema changes: `graphql_client` tracks the operation files
/// (through `include_str!`) but not the schema, so without this an incremental build would
/// keep code generated from an older schema.
const _SCHEMA: &str = include_str!("../../../../schema.graphql");

/// Which companies back Stargate, and what else has each of them invested in?
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../../../schema.graphql",
    query_path = "../../queries/q1-stargate-backers.graphql",
    custom_scalars_module = "crate::scalars",
    response_derives = "Debug, PartialEq, Serialize"
)]
pub struct StargateBackers;

/// What did Amazon invest in, and which models came out of those companies?
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../../../schema.graphql",
    query_path = "../../queries/q2-amazon-investments-models.graphql",
    custom_scalars_module = "crate::scalars",
    response_derives = "Debug, PartialEq, Serialize"
)]
pub struct AmazonInvestmentsAndModels;

/// The big four's 2025 AI capex, each and together.
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../../../schema.graphql",
    query_path = "../../queries/q3-big-four-capex-2025.graphql",
    custom_scalars_module = "crate::scalars",
    response_derives = "Debug, PartialEq, Serialize"
)]
pub struct BigFourCapex2025;

/// Which claims are disputed, by whom, and what is the source sentence for each?
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../../../schema.graphql",
    query_path = "../../queries/q4-disputed-claims.graphql",
    custom_scalars_module = "crate::scalars",
    response_derives = "Debug, PartialEq, Serialize"
)]
pub struct DisputedClaims;

/// How does DeepSeek's claimed cost compare with each company's 2025 capex?
#[derive(GraphQLQuery)]
#[graphql(
    schema_path = "../../../schema.graphql",
    query_path = "../../queries/q5-deepseek-vs-capex.graphql",
    custom_scalars_module = "crate::scalars",
    response_derives = "Debug, PartialEq, Serialize"
)]
pub struct DeepSeekVersusCapex;

/// Sends one operation as a GraphQL-over-HTTP POST and returns its typed `data`. Fails, with
/// the server's words where it has some, on a transport error, an HTTP status other than
/// 200, an answer that does not have the operation's shape, or any GraphQL `errors`.
pub fn execute<Q: GraphQLQuery>(
    agent: &ureq::Agent,
    url: &str,
    variables: Q::Variables,
) -> anyhow::Result<Q::ResponseData> {
    use anyhow::{Context, bail};

    let body = serde_json::to_vec(&Q::build_query(variables)).context("encoding the request")?;
    let mut response = agent
        .post(url)
        .header("Accept", "application/graphql-response+json")
        .content_type("application/json")
        .send(&body[..])
        .with_context(|| format!("POST {url}"))?;
    let status = response.status();
    let text = response
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the answer of POST {url}"))?;
    if status != ureq::http::StatusCode::OK {
        bail!("the server answered HTTP {status}: {}", excerpt(&text));
    }
    let answer: graphql_client::Response<Q::ResponseData> = serde_json::from_str(&text)
        .with_context(|| {
            format!(
                "the answer does not have the operation's shape: {}",
                excerpt(&text)
            )
        })?;
    if let Some(errors) = answer.errors.filter(|errors| !errors.is_empty()) {
        let messages: Vec<String> = errors.iter().map(describe_error).collect();
        bail!(
            "the server answered GraphQL errors: {}",
            messages.join("; ")
        );
    }
    answer
        .data
        .context("the answer has neither data nor errors")
}

/// One GraphQL error as its message, its path in the answer and its `extensions.code`, if any:
/// `boom (at projectByName.backers, code INTERNAL)`.
fn describe_error(error: &graphql_client::Error) -> String {
    let mut context = Vec::new();
    if let Some(path) = error.path.as_ref().filter(|path| !path.is_empty()) {
        let path: Vec<String> = path.iter().map(ToString::to_string).collect();
        context.push(format!("at {}", path.join(".")));
    }
    if let Some(code) = error.extensions.as_ref().and_then(|e| e.get("code")) {
        let code = code
            .as_str()
            .map_or_else(|| code.to_string(), str::to_owned);
        context.push(format!("code {code}"));
    }
    if context.is_empty() {
        error.message.clone()
    } else {
        format!("{} ({})", error.message, context.join(", "))
    }
}

/// The start of a long answer, for an error message.
fn excerpt(text: &str) -> &str {
    match text.char_indices().nth(500) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}
