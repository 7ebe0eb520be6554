//! Search over every searchable text: names, tickers, aliases, descriptions, claims'
//! statements, citations' quotes and the other free texts (see the migration that creates
//! `search_entry` for the full list).
//!
//! The engine only fetches candidates, a bounded set of texts that may match: texts where
//! each query word is found, on SQLite by the FTS5 `trigram` index (any trigram of the
//! word) or `LIKE` for words shorter than three characters; on PostgreSQL by `ILIKE` or
//! `pg_trgm`'s word similarity (a GIN trigram index) or full-text search (a GIN index on
//! the `simple` configuration's `tsvector`; its whole words are also found by `ILIKE`). Each candidate is then scored by one Rust
//! function ([`score::score_text`]) and the rows are ranked by it, so that both engines rank
//! the same rows the same way. Every query word reaches SQL as a bound value, never as
//! query syntax.

pub mod score;

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait, Value};

use crate::error::{Error, Result};
use score::{TextMatch, Word};

/// Limits of a search, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct SearchLimits {
    /// Longest text, in characters.
    pub max_text: usize,
    /// Most words in a text.
    pub max_words: usize,
    /// Most candidate texts the engine may return before ranking; past it the search is
    /// refused (more specific words, or `types`, narrow it).
    pub max_candidates: usize,
}

/// Default of [`SearchLimits::max_text`].
pub const DEFAULT_MAX_TEXT: usize = 200;
/// Default of [`SearchLimits::max_words`].
pub const DEFAULT_MAX_WORDS: usize = 12;
/// Default of [`SearchLimits::max_candidates`].
pub const DEFAULT_MAX_CANDIDATES: usize = 5000;

impl Default for SearchLimits {
    fn default() -> Self {
        SearchLimits {
            max_text: DEFAULT_MAX_TEXT,
            max_words: DEFAULT_MAX_WORDS,
            max_candidates: DEFAULT_MAX_CANDIDATES,
        }
    }
}

/// Most matched texts shown per hit (the best ones).
pub const MAX_MATCHES: usize = 5;

/// The row types a search returns, in the order that breaks ties between equal scores.
pub const NODE_TYPES: &[&str] = &[
    "Company",
    "Person",
    "AiModel",
    "Project",
    "Event",
    "Claim",
    "ClaimChallenge",
    "SpendingFigure",
    "Investment",
    "Source",
    "Citation",
];

fn type_rank(node_type: &str) -> usize {
    NODE_TYPES
        .iter()
        .position(|t| *t == node_type)
        .unwrap_or(NODE_TYPES.len())
}

/// A matched text of a hit.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMatch {
    /// The field the text is in (`name`, `alias`, `statement`, `quote`...).
    pub field: String,
    /// The whole text.
    pub text: String,
    /// Its points.
    pub points: u32,
    /// Matched character ranges, end exclusive.
    pub ranges: Vec<(usize, usize)>,
}

/// A row that matched, with its score and matched texts (best first).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub node_type: String,
    pub node_id: i32,
    pub score: u32,
    pub matches: Vec<FieldMatch>,
}

impl Hit {
    /// The key the ranked list is sorted by: higher score, then type, then id.
    pub fn key(&self) -> (std::cmp::Reverse<u32>, usize, i32) {
        (
            std::cmp::Reverse(self.score),
            type_rank(&self.node_type),
            self.node_id,
        )
    }
}

/// The words of a search text, checked against the limits.
pub fn query_words(text: &str, limits: &SearchLimits) -> Result<Vec<Word>> {
    if text.trim().is_empty() {
        return Err(Error::invalid("text", "the search text is empty"));
    }
    if text.contains('\0') {
        return Err(Error::invalid("text", "the search text contains U+0000"));
    }
    let length = text.chars().count();
    if length > limits.max_text {
        return Err(Error::invalid(
            "text",
            format!(
                "the search text has {length} characters; at most {} are allowed",
                limits.max_text
            ),
        ));
    }
    let mut words = score::words(text);
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.text.clone()));
    if words.len() > limits.max_words {
        return Err(Error::invalid(
            "text",
            format!(
                "the search text has {} distinct words; at most {} are allowed",
                words.len(),
                limits.max_words
            ),
        ));
    }
    Ok(words)
}

/// One candidate text.
struct Candidate {
    field: String,
    node_type: String,
    node_id: i32,
    body: String,
}

/// Every row matching `text` (only of `types` when given), ranked.
#[tracing::instrument(skip(db, limits))]
pub async fn search(
    db: &DatabaseConnection,
    text: &str,
    types: Option<&[&str]>,
    limits: &SearchLimits,
) -> Result<Vec<Hit>> {
    let words = query_words(text, limits)?;
    if words.is_empty() {
        // Only punctuation: there is no word to look for.
        return Ok(Vec::new());
    }
    let candidates = fetch(db, &words, types, limits.max_candidates).await?;
    Ok(rank(&words, candidates))
}

fn rank(words: &[Word], candidates: Vec<Candidate>) -> Vec<Hit> {
    let mut by_node: HashMap<(String, i32), Vec<FieldMatch>> = HashMap::new();
    for c in candidates {
        if let Some(TextMatch { points, ranges }) = score::score_text(words, &c.field, &c.body) {
            by_node
                .entry((c.node_type, c.node_id))
                .or_default()
                .push(FieldMatch {
                    field: c.field,
                    text: c.body,
                    points,
                    ranges,
                });
        }
    }
    let mut hits: Vec<Hit> = by_node
        .into_iter()
        .map(|((node_type, node_id), mut matches)| {
            matches.sort_by(|a, b| {
                b.points
                    .cmp(&a.points)
                    .then_with(|| a.field.cmp(&b.field))
                    .then_with(|| a.text.cmp(&b.text))
            });
            let extra = (matches.len() as u32 - 1).min(9);
            matches.truncate(MAX_MATCHES);
            Hit {
                node_type,
                node_id,
                score: matches[0].points + extra,
                matches,
            }
        })
        .collect();
    hits.sort_by_key(Hit::key);
    hits
}

/// `LIKE` pattern for `word` anywhere, with `\` escaping `%`, `_` and itself.
fn contains_pattern(word: &str) -> String {
    let mut out = String::from("%");
    for c in word.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A quoted FTS5 string: the text inside is never query syntax.
fn fts5_string(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Least word similarity for PostgreSQL to fetch a text: below [`score::FUZZY_THRESHOLD`],
/// so that every misspelling the ranking accepts is fetched.
const PG_WORD_SIMILARITY: &str = "0.3";

async fn fetch(
    db: &DatabaseConnection,
    words: &[Word],
    types: Option<&[&str]>,
    max: usize,
) -> Result<Vec<Candidate>> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = Vec::new();
    let param = |values: &mut Vec<Value>, v: Value| {
        values.push(v);
        match backend {
            DbBackend::Postgres => format!("${}", values.len()),
            _ => "?".to_string(),
        }
    };
    // One condition per query word, all required: the word is part of the text, or (three
    // characters or more) close to a word of it.
    let mut each: Vec<String> = Vec::new();
    for w in words {
        let long = w.text.chars().count() >= 3;
        if backend == DbBackend::Postgres {
            let p = param(&mut values, contains_pattern(&w.text).into());
            let mut any = format!("e.body ILIKE {p} ESCAPE '\\'");
            if long {
                let p = param(&mut values, w.text.clone().into());
                any.push_str(&format!(
                    " OR {p} <% e.body OR to_tsvector('simple', e.body) @@ plainto_tsquery('simple', {p})"
                ));
            }
            each.push(format!("({any})"));
        } else if long {
            let expr: Vec<String> = score::inner_trigrams(&w.text)
                .iter()
                .map(|t| fts5_string(t))
                .collect();
            let p = param(&mut values, expr.join(" OR ").into());
            each.push(format!(
                "e.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH {p})"
            ));
        } else {
            let p = param(&mut values, contains_pattern(&w.text).into());
            each.push(format!("e.body LIKE {p} ESCAPE '\\'"));
        }
    }
    let mut sql = format!(
        "SELECT e.field, e.node_type, e.node_id, e.body FROM search_entry e WHERE {}",
        each.join(" AND ")
    );
    if let Some(types) = types {
        let list: Vec<String> = types
            .iter()
            .map(|t| param(&mut values, (*t).to_string().into()))
            .collect();
        sql.push_str(&format!(" AND e.node_type IN ({})", list.join(", ")));
    }
    let p = param(&mut values, ((max + 1) as i64).into());
    sql.push_str(&format!(" ORDER BY e.id LIMIT {p}"));
    let statement = Statement::from_sql_and_values(backend, sql, values);
    let rows = if backend == DbBackend::Postgres {
        let txn = db.begin().await?;
        txn.execute_unprepared(&format!(
            "SELECT set_config('pg_trgm.word_similarity_threshold', '{PG_WORD_SIMILARITY}', true)"
        ))
        .await?;
        let rows = txn.query_all_raw(statement).await?;
        txn.commit().await?;
        rows
    } else {
        db.query_all_raw(statement).await?
    };
    if rows.len() > max {
        return Err(Error::invalid(
            "text",
            format!(
                "the search text matches more than {max} texts; use more specific words or `types`"
            ),
        ));
    }
    rows.iter()
        .map(|row| {
            Ok(Candidate {
                field: row.try_get("", "field")?,
                node_type: row.try_get("", "node_type")?,
                node_id: row.try_get("", "node_id")?,
                body: row.try_get("", "body")?,
            })
        })
        .collect::<std::result::Result<Vec<_>, sea_orm::DbErr>>()
        .map_err(Error::from)
}
