//! Hand-written reference SQL for the analytics queries and the first two Relay queries: what a database engineer would
//! send for the same answer, knowing the schema (a company's name is unique and
//! `investment.investor_id` is never null, so grouping by the investor's name is grouping
//! by `investor_id`; a currency filter is an aggregate's `FILTER`). Each reference comes
//! with the code that builds the GraphQL answer from its rows, and the benchmark checks that
//! answer equal to the server's before timing either: a floor that answers something else
//! would prove nothing.
//!
//! The floor times the statement and the reading of its rows, not the building of the
//! answer (microseconds for at most 100 rows).

use std::collections::BTreeMap;

use capex_graph::{analytics, money};
use sea_orm::{DbBackend, QueryResult};
use serde_json::{Value, json};

/// A reference statement and how its rows become the query's answer.
pub struct Reference {
    pub sql: String,
    pub answer: fn(&[QueryResult]) -> Value,
}

/// The reference of the query `name` (by its prefix: "A1".."A5", and "1 " and "2 " on
/// PostgreSQL), if it has one.
pub fn reference(name: &str, backend: DbBackend) -> Option<Reference> {
    let pg = backend == DbBackend::Postgres;
    // Text in byte order on both engines, as the server orders group keys.
    let bytewise = if pg { " COLLATE \"C\"" } else { "" };
    let year = if pg {
        "to_char(made_on, 'YYYY')"
    } else {
        "substr(made_on, 1, 4)"
    };
    let quarter = if pg {
        "to_char(made_on, 'YYYY-\"Q\"Q')"
    } else {
        "(substr(made_on, 1, 4) || '-Q' || ((CAST(substr(made_on, 6, 2) AS INTEGER) + 2) / 3))"
    };
    let (sql, answer): (String, fn(&[QueryResult]) -> Value) = match name.get(..2)? {
        // One scan grouped by currency; the totals are the currencies' added up.
        "A1" => (
            "SELECT currency, COUNT(*) AS n, COUNT(amount_minor) AS c, \
             CAST(SUM(amount_minor) AS BIGINT) AS s, MIN(amount_minor) AS mn, MAX(amount_minor) AS mx, \
             COUNT(made_on) AS dc, CAST(MIN(made_on) AS TEXT) AS dmn, CAST(MAX(made_on) AS TEXT) AS dmx \
             FROM investment GROUP BY currency"
                .to_string(),
            a1,
        ),
        // Sums per investor id (an integer hash key), names joined to the groups only.
        "A2" => (
            format!(
                "SELECT c.name, g.n FROM (SELECT investor_id, COUNT(*) AS n, \
                 SUM(amount_minor) FILTER (WHERE currency = 'USD') AS usd \
                 FROM investment GROUP BY investor_id) AS g \
                 JOIN company AS c ON c.id = g.investor_id \
                 ORDER BY g.usd DESC NULLS LAST, c.name{bytewise} LIMIT 20"
            ),
            a2,
        ),
        // The groups' count by a window over the grouped rows, before the limit.
        "A3" => (
            format!(
                "SELECT y, currency, COUNT(*) AS n, COUNT(amount_minor) AS c, \
                 CAST(SUM(amount_minor) AS BIGINT) AS s, COUNT(*) OVER () AS total \
                 FROM (SELECT {year} AS y, currency, amount_minor FROM investment) AS t \
                 GROUP BY y, currency \
                 ORDER BY y{bytewise} NULLS LAST, currency{bytewise} NULLS LAST LIMIT 100"
            ),
            a3,
        ),
        // A date known only to its year is labelled by its year.
        "A4" => (
            format!(
                "SELECT q, COUNT(*) AS n, COUNT(made_on) AS dc, \
                 CAST(MIN(made_on) AS TEXT) AS dmn, CAST(MAX(made_on) AS TEXT) AS dmx \
                 FROM (SELECT CASE WHEN made_precision = 'YEAR' THEN {year} ELSE {quarter} END AS q, \
                 made_on FROM investment) AS t \
                 GROUP BY q HAVING COUNT(*) >= 100 \
                 ORDER BY COUNT(*) DESC, q{bytewise} NULLS LAST LIMIT 100"
            ),
            a4,
        ),
        // The 50 investors, then their investments by the foreign key's index, per currency.
        "A5" => (
            "SELECT c.id, c.name, i.currency, COUNT(i.id) AS n, COUNT(i.amount_minor) AS c, \
             CAST(SUM(i.amount_minor) AS BIGINT) AS s \
             FROM (SELECT CAST(id AS BIGINT) AS id, name FROM company WHERE kind = 'INVESTOR' ORDER BY id LIMIT 50) AS c \
             LEFT JOIN investment AS i ON i.investor_id = c.id \
             GROUP BY c.id, c.name, i.currency ORDER BY c.id, i.currency"
                .to_string(),
            a5,
        ),
        // The Relay queries, on PostgreSQL: the whole answer built as JSON in the database
        // (`json_agg` over lateral joins, each level limited before it is joined), the way
        // PostGraphile answers; the client only parses it.
        "1 " if pg => (
            format!(
                "SELECT CAST(json_build_object('companies', json_build_object(\
                 'totalCount', (SELECT COUNT(*) FROM company), \
                 'nodes', COALESCE(json_agg(json_build_object('id', {company_id}, 'name', c.name, \
                 'ticker', c.ticker, 'kind', c.kind, 'country', c.country) ORDER BY c.id), '[]'))) AS TEXT) AS doc \
                 FROM (SELECT * FROM company ORDER BY id LIMIT 50) AS c",
                company_id = relay_id("Company", "c.id"),
            ),
            document,
        ),
        "2 " if pg => (
            "SELECT CAST(json_build_object('companies', json_build_object('nodes', \
             COALESCE(json_agg(json_build_object('name', c.name, 'investmentsMade', \
             json_build_object('nodes', i.nodes)) ORDER BY c.id), '[]'))) AS TEXT) AS doc \
             FROM (SELECT id, name FROM company WHERE kind = 'INVESTOR' ORDER BY id LIMIT 50) AS c \
             CROSS JOIN LATERAL (SELECT COALESCE(json_agg(json_build_object(\
             'amount', CASE WHEN v.amount_minor IS NULL THEN NULL ELSE json_build_object(\
             'amount', CAST(v.amount_minor / 100 AS TEXT) || '.' || lpad(CAST(v.amount_minor % 100 AS TEXT), 2, '0'), \
             'currency', v.currency) END, \
             'investee', json_build_object('name', e.name, 'models', json_build_object('nodes', m.nodes))) \
             ORDER BY v.id), '[]') AS nodes \
             FROM (SELECT * FROM investment WHERE investor_id = c.id ORDER BY id LIMIT 10) AS v \
             JOIN company AS e ON e.id = v.investee_id \
             CROSS JOIN LATERAL (SELECT COALESCE(json_agg(json_build_object('name', a.name, 'kind', a.kind) \
             ORDER BY a.id), '[]') AS nodes \
             FROM (SELECT id, name, kind FROM ai_model WHERE developer_id = e.id ORDER BY id LIMIT 5) AS a) AS m) AS i"
                .to_string(),
            document,
        ),
        _ => return None,
    };
    Some(Reference { sql, answer })
}

/// A global id (`base64url("Type:id")`, unpadded) computed in PostgreSQL.
fn relay_id(type_name: &str, column: &str) -> String {
    format!(
        "rtrim(translate(encode(convert_to('{type_name}:' || {column}, 'UTF8'), 'base64'), '+/', '-_'), '=')"
    )
}

/// The answer PostgreSQL built as one JSON document (the amounts it formats are those of
/// two-decimal currencies, as in the generated graph; the check against the server's
/// answer would catch any other).
fn document(rows: &[QueryResult]) -> Value {
    rows.first()
        .and_then(|row| text(row, "doc"))
        .and_then(|doc| serde_json::from_str(&doc).ok())
        .unwrap_or(Value::Null)
}

fn int(row: &QueryResult, column: &str) -> i64 {
    row.try_get::<Option<i64>>("", column)
        .ok()
        .flatten()
        .unwrap_or(0)
}

fn text(row: &QueryResult, column: &str) -> Option<String> {
    row.try_get::<Option<String>>("", column).ok().flatten()
}

fn amount(minor: i128, currency: &str) -> Value {
    json!({ "amount": money::format_scaled(minor, money::minor_digits(currency).unwrap_or(2)) })
}

fn a1(rows: &[QueryResult]) -> Value {
    let (mut n, mut c, mut dc) = (0, 0, 0);
    let (mut first, mut last): (Option<String>, Option<String>) = (None, None);
    let mut currencies = BTreeMap::new();
    for row in rows {
        n += int(row, "n");
        c += int(row, "c");
        dc += int(row, "dc");
        if let Some(d) = text(row, "dmn") {
            first = Some(first.map_or(d.clone(), |f| f.min(d)));
        }
        if let Some(d) = text(row, "dmx") {
            last = Some(last.map_or(d.clone(), |l| l.max(d)));
        }
        let Some(currency) = text(row, "currency") else {
            continue;
        };
        let count = int(row, "c");
        if count == 0 {
            continue;
        }
        let sum = i128::from(int(row, "s"));
        let avg = analytics::div_round(sum, i128::from(count)).unwrap_or(0);
        let value = json!({
            "currency": currency,
            "count": count,
            "sum": amount(sum, &currency),
            "avg": amount(avg, &currency),
            "min": amount(int(row, "mn").into(), &currency),
            "max": amount(int(row, "mx").into(), &currency),
        });
        currencies.insert(currency, value);
    }
    json!({ "investments": { "aggregate": {
        "count": n,
        "amount": { "count": c, "missing": n - c, "byCurrency": currencies.into_values().collect::<Vec<_>>() },
        "madeOn": { "count": dc, "min": first, "max": last },
    } } })
}

fn a2(rows: &[QueryResult]) -> Value {
    let nodes: Vec<Value> = rows
        .iter()
        .map(|row| json!({ "keys": [{ "value": text(row, "name") }], "aggregate": { "count": int(row, "n") } }))
        .collect();
    json!({ "investments": { "groupBy": { "nodes": nodes } } })
}

fn a3(rows: &[QueryResult]) -> Value {
    let nodes: Vec<Value> = rows
        .iter()
        .map(|row| {
            let currency = text(row, "currency");
            let by_currency: Vec<Value> = match &currency {
                Some(code) if int(row, "c") > 0 => {
                    vec![json!({ "sum": amount(int(row, "s").into(), code) })]
                }
                _ => Vec::new(),
            };
            json!({
                "keys": [{ "value": text(row, "y") }, { "value": currency }],
                "aggregate": { "count": int(row, "n"), "amount": { "byCurrency": by_currency } },
            })
        })
        .collect();
    let total = rows.first().map_or(0, |row| int(row, "total"));
    json!({ "investments": { "groupBy": { "totalCount": total, "nodes": nodes } } })
}

fn a4(rows: &[QueryResult]) -> Value {
    let nodes: Vec<Value> = rows
        .iter()
        .map(|row| {
            json!({
                "keys": [{ "value": text(row, "q") }],
                "aggregate": { "count": int(row, "n"), "madeOn": { "min": text(row, "dmn"), "max": text(row, "dmx") } },
            })
        })
        .collect();
    json!({ "investments": { "groupBy": { "nodes": nodes } } })
}

fn a5(rows: &[QueryResult]) -> Value {
    let mut companies: Vec<(i64, Value, i64, Vec<Value>)> = Vec::new();
    for row in rows {
        let id = int(row, "id");
        if companies.last().is_none_or(|c| c.0 != id) {
            companies.push((id, json!(text(row, "name")), 0, Vec::new()));
        }
        let Some(company) = companies.last_mut() else {
            continue;
        };
        company.2 += int(row, "n");
        if let Some(currency) = text(row, "currency")
            && int(row, "c") > 0
        {
            let sum = amount(int(row, "s").into(), &currency);
            company.3.push(json!({ "currency": currency, "sum": sum }));
        }
    }
    let nodes: Vec<Value> = companies
        .into_iter()
        .map(|(_, name, count, by_currency)| {
            json!({ "name": name, "investmentsMade": { "aggregate": {
                "count": count, "amount": { "byCurrency": by_currency } } } })
        })
        .collect();
    json!({ "companies": { "nodes": nodes } })
}
