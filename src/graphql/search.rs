//! `search(text:, types:, first:, after:)`: ranked hits over every searchable text, each
//! with its row and the matched texts highlighted. The ranking is [`crate::search`]'s.

use std::collections::HashMap;

use async_graphql::{Context, Enum, Object, SimpleObject};

use super::node::{NodeInterface, load_kind};
use super::{Result, db};
use crate::data::paging::{
    DEFAULT_PAGE_SIZE, EndCursor, MAX_PAGE_SIZE, PageInfo, base64url_decode, base64url_encode,
};
use crate::error::Error;
use crate::search::{self, FieldMatch, Hit, SearchLimits};

/// The row types a search can return.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum SearchType {
    /// Companies: name, ticker, aliases, description.
    Company,
    /// People: name, title, aliases, description.
    Person,
    /// AI models and products: name, aliases, description.
    AiModel,
    /// Projects: name, aliases, description.
    Project,
    /// Events: reference, name, description.
    Event,
    /// Claims: reference and statement.
    Claim,
    /// Challenges to claims: description.
    ClaimChallenge,
    /// Spending figures: reference, focus, remarks.
    SpendingFigure,
    /// Investments: reference, description.
    Investment,
    /// Sources: key, title, publisher.
    Source,
    /// Citations: the quoted sentence.
    Citation,
}

impl SearchType {
    fn node_type(self) -> &'static str {
        match self {
            SearchType::Company => "Company",
            SearchType::Person => "Person",
            SearchType::AiModel => "AiModel",
            SearchType::Project => "Project",
            SearchType::Event => "Event",
            SearchType::Claim => "Claim",
            SearchType::ClaimChallenge => "ClaimChallenge",
            SearchType::SpendingFigure => "SpendingFigure",
            SearchType::Investment => "Investment",
            SearchType::Source => "Source",
            SearchType::Citation => "Citation",
        }
    }
}

/// A range of characters of a matched text: `start` inclusive, `end` exclusive, counted in
/// Unicode characters (code points) from 0.
#[derive(SimpleObject, Clone, Copy, Debug)]
pub struct TextRange {
    /// First matched character.
    pub start: i32,
    /// The character after the last matched one.
    pub end: i32,
}

/// A text of the row that matched the search, and where.
#[derive(Clone, Debug)]
pub struct SearchMatch(FieldMatch);

/// A text of the row that matched the search, and where.
#[Object]
impl SearchMatch {
    /// The field the text is in: `name`, `alias`, `ticker`, `title`, `description`, `ref`,
    /// `key`, `statement`, `quote`, `remarks`, `focus` or `publisher`.
    async fn field(&self) -> &str {
        &self.0.field
    }
    /// The whole text (an alias's hit shows the alias).
    async fn text(&self) -> &str {
        &self.0.text
    }
    /// The matched parts of `text`, in order, not overlapping.
    async fn ranges(&self) -> Vec<TextRange> {
        self.0
            .ranges
            .iter()
            .map(|&(start, end)| TextRange {
                start: start as i32,
                end: end as i32,
            })
            .collect()
    }
    /// `text` with each matched part between « and », for display.
    async fn highlighted(&self) -> String {
        search::score::highlight(&self.0.text, &self.0.ranges)
    }
    /// How well this text matched (the hit's score is its best text's, plus one per other
    /// matching text).
    async fn score(&self) -> i32 {
        self.0.points as i32
    }
}

/// A row that matched a search.
pub struct SearchHit {
    hit: Hit,
    node: NodeInterface,
    cursor: String,
}

/// A row that matched a search: the row, its score, and the texts that matched.
#[Object]
impl SearchHit {
    /// The row, as `node(id:)` returns it.
    async fn node(&self) -> &NodeInterface {
        &self.node
    }
    /// Cursor of this hit in the ranked list: pass it as `after` for the hits that follow.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    /// The score, higher first: 1000 a name, alias or ticker equal to the text (700 another
    /// field), 900 a name that starts with it (600 another field), up to 500 (400) by the
    /// words found (whole words over word starts over parts of words over misspellings),
    /// plus one for each other text of the row that matched. Equal scores are ordered by
    /// type (as in `SearchType`), then by creation (database id).
    async fn score(&self) -> i32 {
        self.hit.score as i32
    }
    /// The texts of the row that matched, best first.
    async fn matches(&self) -> Vec<SearchMatch> {
        self.hit.matches.iter().cloned().map(SearchMatch).collect()
    }
}

/// A page of search hits, in rank order.
pub struct SearchConnection {
    hits: Vec<SearchHit>,
    info: PageInfo,
    total: usize,
}

/// A page of search hits, in rank order.
#[Object]
impl SearchConnection {
    /// The hits of the page, best first, each with its cursor.
    async fn edges(&self) -> &[SearchHit] {
        &self.hits
    }
    /// The rows of the page, best first.
    async fn nodes(&self) -> Vec<&NodeInterface> {
        self.hits.iter().map(|h| &h.node).collect()
    }
    /// Whether more hits follow, and the cursors of the page's ends.
    async fn page_info(&self) -> &PageInfo {
        &self.info
    }
    /// Number of hits, all pages together.
    async fn total_count(&self) -> i32 {
        self.total as i32
    }
}

fn cursor_of(hit: &Hit) -> String {
    base64url_encode(format!("search:{}:{}:{}", hit.score, hit.node_type, hit.node_id).as_bytes())
}

/// The ranking key of a cursor.
fn decode_cursor(text: &str) -> crate::error::Result<Hit> {
    let invalid = || Error::invalid("after", "invalid cursor: not a cursor of `search`");
    let bytes = base64url_decode(text).ok_or_else(invalid)?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let mut parts = text.split(':');
    let (Some("search"), Some(score), Some(node_type), Some(id), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(invalid());
    };
    Ok(Hit {
        node_type: node_type.to_string(),
        node_id: id.parse().map_err(|_| invalid())?,
        score: score.parse().map_err(|_| invalid())?,
        matches: Vec::new(),
    })
}

/// The search root.
#[derive(Default)]
pub struct SearchQuery;

#[Object]
impl SearchQuery {
    /// Rows whose names, tickers, aliases, descriptions, claims' statements, citations'
    /// quotes or other texts match `text`, best first: every word of `text` must be found. Case and punctuation do not matter;
    /// a misspelled word is found by trigram similarity. The text is only text: `%`, `_`,
    /// quotes, `*`, `-`, `OR` or `NEAR(` have no special meaning. Ranked the same on SQLite
    /// and PostgreSQL. Refused (BAD_USER_INPUT) when blank, too long, with too many words,
    /// or when it matches too many texts to rank (see the README's limits).
    async fn search(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The words to look for (at most 200 characters by default).")]
        text: String,
        #[graphql(desc = "Only rows of these types (all types when not given).")] types: Option<
            Vec<SearchType>,
        >,
        #[graphql(desc = "Returns the first N hits (at most 100; 20 when not given).")]
        first: Option<i32>,
        #[graphql(desc = "Returns the hits after this cursor (a hit's `cursor`).")] after: Option<
            String,
        >,
    ) -> Result<SearchConnection> {
        let limits = ctx.data_opt::<SearchLimits>().copied().unwrap_or_default();
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(Error::invalid("first", "must not be negative").into()),
            Some(n) if n as usize > MAX_PAGE_SIZE => {
                return Err(Error::invalid(
                    "first",
                    format!(
                        "{n} is more than the maximum page size of {MAX_PAGE_SIZE}: page with `after`"
                    ),
                )
                .into());
            }
            Some(n) => n as usize,
        };
        let after = after.as_deref().map(decode_cursor).transpose()?;
        let types: Option<Vec<&str>> =
            types.map(|t| t.into_iter().map(SearchType::node_type).collect());
        let hits = search::search(db(ctx)?, &text, types.as_deref(), &limits).await?;
        let total = hits.len();
        let start = match &after {
            Some(cursor) => hits.partition_point(|h| h.key() <= cursor.key()),
            None => 0,
        };
        let end = (start + first).min(total);
        let page: Vec<Hit> = hits[start..end].to_vec();
        let mut by_type: HashMap<&str, Vec<i32>> = HashMap::new();
        for hit in &page {
            by_type
                .entry(hit.node_type.as_str())
                .or_default()
                .push(hit.node_id);
        }
        let mut rows = HashMap::new();
        for (node_type, ids) in by_type {
            for (id, node) in load_kind(db(ctx)?, node_type, ids, None).await? {
                rows.insert((node_type.to_string(), id), node);
            }
        }
        let hits: Vec<SearchHit> = page
            .into_iter()
            .filter_map(|hit| {
                let node = rows.remove(&(hit.node_type.clone(), hit.node_id))?;
                Some(SearchHit {
                    cursor: cursor_of(&hit),
                    hit,
                    node,
                })
            })
            .collect();
        let info = PageInfo {
            has_next_page: end < total,
            has_previous_page: start > 0,
            start_cursor: hits.first().map(|h| EndCursor::Text(h.cursor.clone())),
            end_cursor: hits.last().map(|h| EndCursor::Text(h.cursor.clone())),
        };
        Ok(SearchConnection { hits, info, total })
    }
}
