//! Keyset paging: opaque cursors, sort keys that may be NULL or repeat, and the SQL
//! predicate that selects the rows after a cursor.
//!
//! A list is ordered by the client's terms and then by the primary key, so every row has a
//! unique position. A cursor holds the values of all sort keys of its row (NULL included)
//! and a signature of the ordering; the next page is `WHERE (k1, k2, ..., id) > cursor`
//! spelled out term by term with the direction and the NULL placement of each term, so
//! that paging in pages of 3 returns exactly the rows of one large page, on SQLite and
//! PostgreSQL alike (text keys compare as bytes on both: PostgreSQL's `COLLATE "C"`).

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, Func, NullOrdering, Order};
use sea_orm::{DbBackend, ExprTrait, QueryResult};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Rows in a page when the client gives neither `first` nor `last`.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Most rows a client may ask for in one page.
pub const MAX_PAGE_SIZE: usize = 100;

/// Sort direction (`graphql::paging::OrderDirection` is its GraphQL enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderDirection {
    /// Smallest first (A to Z, oldest first).
    #[default]
    Asc,
    /// Largest first.
    Desc,
}

/// Where rows whose sort key is null go (`graphql::paging::NullsOrder` is its GraphQL enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NullsOrder {
    /// Before every non-null value.
    First,
    /// After every non-null value (the default, in both directions).
    #[default]
    Last,
}

/// The type of a sort key's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Int,
    Text,
    Date,
    Bool,
}

/// One value of a sort key, as kept in a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyValue {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
}

/// One term of an ordering: an SQL expression over the listed table, its kind and direction.
#[derive(Debug, Clone)]
pub struct SortKey {
    /// Stable name of the term, part of the cursor's signature.
    pub name: &'static str,
    pub expr: Expr,
    pub kind: KeyKind,
    /// False for keys that are never null (the primary key): no NULL checks are written.
    pub nullable: bool,
    /// The relation `expr` reads, which the statement must join.
    pub join: Option<super::sql::Relation>,
    pub direction: OrderDirection,
    pub nulls: NullsOrder,
}

impl SortKey {
    /// The expression as compared and ordered: text compares byte-wise on both engines.
    pub fn sql(&self, backend: DbBackend) -> Expr {
        if self.kind == KeyKind::Text {
            super::sql::bytewise(self.expr.clone(), backend)
        } else {
            self.expr.clone()
        }
    }

    /// The expression as selected for reading back into a cursor: integers are widened to
    /// BIGINT so that PostgreSQL's INTEGER columns read as `i64` like SQLite's.
    pub fn selected(&self, backend: DbBackend) -> Expr {
        if self.kind == KeyKind::Int {
            Func::cast_as(self.expr.clone(), Alias::new("BIGINT")).into()
        } else {
            self.sql(backend)
        }
    }

    /// The same term walked the other way (for `last`/`before`).
    pub fn reversed(&self) -> SortKey {
        SortKey {
            direction: match self.direction {
                OrderDirection::Asc => OrderDirection::Desc,
                OrderDirection::Desc => OrderDirection::Asc,
            },
            nulls: match self.nulls {
                NullsOrder::First => NullsOrder::Last,
                NullsOrder::Last => NullsOrder::First,
            },
            ..self.clone()
        }
    }

    pub fn order(&self) -> Order {
        match self.direction {
            OrderDirection::Asc => Order::Asc,
            OrderDirection::Desc => Order::Desc,
        }
    }

    pub fn null_ordering(&self) -> NullOrdering {
        match self.nulls {
            NullsOrder::First => NullOrdering::First,
            NullsOrder::Last => NullOrdering::Last,
        }
    }

    /// Reads this key's value from a row where it was selected as `alias`.
    pub fn read(&self, row: &QueryResult, alias: &str) -> Result<KeyValue> {
        read_value(self.kind, row, alias)
    }

    /// The value as an SQL value of the key's type.
    pub(crate) fn bind(&self, value: &KeyValue) -> Result<sea_orm::Value> {
        let bad = || Error::invalid("after", "the cursor does not fit this list's ordering");
        Ok(match (self.kind, value) {
            (KeyKind::Int, KeyValue::Int(v)) => (*v).into(),
            (KeyKind::Bool, KeyValue::Bool(v)) => (*v).into(),
            (KeyKind::Text, KeyValue::Text(v)) => v.clone().into(),
            (KeyKind::Date, KeyValue::Text(v)) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| bad())?
                .into(),
            _ => return Err(bad()),
        })
    }
}

/// Reads a value of `kind` from a row where it was selected as `alias`.
pub fn read_value(kind: KeyKind, row: &QueryResult, alias: &str) -> Result<KeyValue> {
    let value = match kind {
        KeyKind::Int => row.try_get::<Option<i64>>("", alias)?.map(KeyValue::Int),
        KeyKind::Text => row
            .try_get::<Option<String>>("", alias)?
            .map(KeyValue::Text),
        KeyKind::Date => {
            read_date(row, alias)?.map(|d| KeyValue::Text(d.format("%Y-%m-%d").to_string()))
        }
        KeyKind::Bool => row.try_get::<Option<bool>>("", alias)?.map(KeyValue::Bool),
    };
    Ok(value.unwrap_or(KeyValue::Null))
}

/// Reads a date, also where SQLite computed it (`MIN(date)` is untyped text there).
pub fn read_date(row: &QueryResult, alias: &str) -> Result<Option<NaiveDate>> {
    match row.try_get::<Option<NaiveDate>>("", alias) {
        Ok(date) => Ok(date),
        Err(first) => match row.try_get::<Option<String>>("", alias) {
            Ok(None) => Ok(None),
            Ok(Some(text)) => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| Error::Internal(format!("{alias} holds {text:?}, not a date"))),
            Err(_) => Err(first.into()),
        },
    }
}

/// The signature of an ordering, kept in cursors so that a cursor is never applied to a
/// list ordered differently.
pub fn signature(keys: &[SortKey]) -> String {
    keys.iter()
        .map(|k| {
            format!(
                "{}:{}:{}",
                k.name,
                if k.direction == OrderDirection::Asc {
                    "a"
                } else {
                    "d"
                },
                if k.nulls == NullsOrder::First {
                    "f"
                } else {
                    "l"
                }
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Serialize, Deserialize)]
struct CursorBody {
    /// Ordering signature.
    o: String,
    /// Key values, one per sort key.
    v: Vec<KeyValue>,
}

/// Encodes a row's position as an opaque cursor.
pub fn encode_cursor(keys: &[SortKey], values: Vec<KeyValue>) -> String {
    Cursor {
        signature: signature(keys).into(),
        values: values.into(),
    }
    .encode()
}

/// A row's position, encoded only when a client selects it: most queries never ask for
/// cursors, and encoding one per row was measurable work on large responses.
#[derive(Debug, Clone)]
pub struct Cursor {
    signature: std::sync::Arc<str>,
    /// Shared: a page's cursors are handed to each of its parent's siblings without copies.
    values: std::sync::Arc<[KeyValue]>,
}

impl Cursor {
    /// The opaque text of the cursor.
    pub fn encode(&self) -> String {
        let body = CursorBody {
            o: self.signature.to_string(),
            v: self.values.to_vec(),
        };
        base64url_encode(serde_json::to_string(&body).unwrap_or_default().as_bytes())
    }
}

/// Decodes a cursor made for the ordering `keys`; `field` names the argument for errors.
pub fn decode_cursor(keys: &[SortKey], cursor: &str, field: &str) -> Result<Vec<KeyValue>> {
    let invalid = |why: &str| Error::invalid(field, format!("invalid cursor: {why}"));
    let bytes = base64url_decode(cursor).ok_or_else(|| invalid("not a cursor of this API"))?;
    let body: CursorBody =
        serde_json::from_slice(&bytes).map_err(|_| invalid("not a cursor of this API"))?;
    if body.o != signature(keys) || body.v.len() != keys.len() {
        return Err(invalid("it was made for a list with another ordering"));
    }
    Ok(body.v)
}

/// `WHERE` condition of the rows after `values` in the order of `keys`.
pub fn after(keys: &[SortKey], values: &[KeyValue], backend: DbBackend) -> Result<Expr> {
    let mut any: Option<Expr> = None;
    for (i, key) in keys.iter().enumerate() {
        let Some(beyond) = beyond(key, &values[i], backend)? else {
            // Nothing lies beyond this value in this key; rows tied on it may follow.
            continue;
        };
        let mut term = beyond;
        for (prev, value) in keys[..i].iter().zip(values) {
            term = equal(prev, value, backend)?.and(term);
        }
        any = Some(match any {
            Some(acc) => acc.or(term),
            None => term,
        });
    }
    Ok(any.unwrap_or_else(|| Expr::cust("1 = 0")))
}

fn equal(key: &SortKey, value: &KeyValue, backend: DbBackend) -> Result<Expr> {
    Ok(match value {
        KeyValue::Null => key.sql(backend).is_null(),
        v => key.sql(backend).eq(key.bind(v)?),
    })
}

/// Rows strictly after `value` in this key alone, or `None` when there are none.
fn beyond(key: &SortKey, value: &KeyValue, backend: DbBackend) -> Result<Option<Expr>> {
    let expr = key.sql(backend);
    Ok(match (value, key.nulls) {
        (KeyValue::Null, NullsOrder::Last) => None,
        (KeyValue::Null, NullsOrder::First) => Some(expr.is_not_null()),
        (v, nulls) => {
            let bound = key.bind(v)?;
            let cmp = match key.direction {
                OrderDirection::Asc => expr.clone().gt(bound),
                OrderDirection::Desc => expr.clone().lt(bound),
            };
            Some(match nulls {
                NullsOrder::Last if key.nullable => cmp.or(expr.is_null()),
                _ => cmp,
            })
        }
    })
}

/// Paging arguments as the client gave them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// What to fetch: how many rows, which way, from where.
#[derive(Debug, Clone)]
pub struct PagePlan {
    /// True when walking backwards (`last`/`before`).
    pub backward: bool,
    pub limit: usize,
    /// Key values of the cursor to start after (in the walking direction).
    pub cursor: Option<Vec<KeyValue>>,
    /// The keys in the walking direction.
    pub keys: Vec<SortKey>,
    /// The keys in the list's own direction, for cursors.
    pub forward_keys: Vec<SortKey>,
}

impl PageArgs {
    /// Checks the arguments and plans the page over `keys` (the final id key included).
    pub fn plan(&self, keys: Vec<SortKey>) -> Result<PagePlan> {
        let size = |value: i32, field: &str| -> Result<usize> {
            if value < 0 {
                return Err(Error::invalid(field, "must not be negative"));
            }
            let value = value as usize;
            if value > MAX_PAGE_SIZE {
                return Err(Error::invalid(
                    field,
                    format!(
                        "{value} is more than the maximum page size of {MAX_PAGE_SIZE}: page with `after`"
                    ),
                ));
            }
            Ok(value)
        };
        let (backward, limit) = match (self.first, self.last) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid("last", "give `first` or `last`, not both"));
            }
            (Some(first), None) => (false, size(first, "first")?),
            (None, Some(last)) => (true, size(last, "last")?),
            (None, None) => (
                self.before.is_some() && self.after.is_none(),
                DEFAULT_PAGE_SIZE,
            ),
        };
        let (cursor_text, field) = match (backward, &self.after, &self.before) {
            (_, Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "before",
                    "give `after` or `before`, not both",
                ));
            }
            (false, _, Some(_)) => {
                return Err(Error::invalid(
                    "before",
                    "`before` pages backwards: use it with `last`",
                ));
            }
            (true, Some(_), _) => {
                return Err(Error::invalid(
                    "after",
                    "`after` pages forwards: use it with `first`",
                ));
            }
            (false, after, None) => (after.as_deref(), "after"),
            (true, None, before) => (before.as_deref(), "before"),
        };
        let cursor = cursor_text
            .map(|c| decode_cursor(&keys, c, field))
            .transpose()?;
        let walking = if backward {
            keys.iter().map(SortKey::reversed).collect()
        } else {
            keys.clone()
        };
        Ok(PagePlan {
            backward,
            limit,
            cursor,
            keys: walking,
            forward_keys: keys,
        })
    }
}

/// The cursor of a page's end: text already, or a row's cursor encoded when selected.
#[derive(Debug, Clone)]
pub enum EndCursor {
    Text(String),
    Row(Cursor),
}

impl EndCursor {
    /// The cursor's text.
    pub fn text(&self) -> String {
        match self {
            EndCursor::Text(text) => text.clone(),
            EndCursor::Row(cursor) => cursor.encode(),
        }
    }
}

/// Relay's page information (a GraphQL object: see `graphql::paging`).
#[derive(Debug, Clone, Default)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<EndCursor>,
    pub end_cursor: Option<EndCursor>,
}

/// Turns `limit + 1` fetched rows (in walking order) into a page in list order.
pub fn finish<M>(
    plan: &PagePlan,
    mut rows: Vec<(M, Vec<KeyValue>)>,
) -> (Vec<M>, Vec<Cursor>, PageInfo) {
    let more = rows.len() > plan.limit;
    rows.truncate(plan.limit);
    if plan.backward {
        rows.reverse();
    }
    let signature: std::sync::Arc<str> = signature(&plan.forward_keys).into();
    let (models, cursors): (Vec<M>, Vec<Cursor>) = rows
        .into_iter()
        .map(|(model, values)| {
            let cursor = Cursor {
                signature: signature.clone(),
                values: values.into(),
            };
            (model, cursor)
        })
        .unzip();
    let info = PageInfo {
        has_next_page: if plan.backward {
            plan.cursor.is_some()
        } else {
            more
        },
        has_previous_page: if plan.backward {
            more
        } else {
            plan.cursor.is_some()
        },
        // Encoded only if the client selects them (most nested pages are not asked).
        start_cursor: cursors.first().cloned().map(EndCursor::Row),
        end_cursor: cursors.last().cloned().map(EndCursor::Row),
    };
    (models, cursors, info)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// URL-safe base64 without padding.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes URL-safe base64 without padding; `None` for anything else.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            let v = ALPHABET.iter().position(|a| a == c)? as u32;
            n |= v << (18 - 6 * i);
        }
        for i in 0..chunk.len() - 1 {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{Query, SqliteQueryBuilder};

    fn key(name: &'static str, direction: OrderDirection, nulls: NullsOrder) -> SortKey {
        SortKey {
            name,
            expr: Expr::col(name),
            kind: KeyKind::Int,
            nullable: name != "id",
            join: None,
            direction,
            nulls,
        }
    }

    fn sql(expr: Expr) -> String {
        Query::select()
            .expr(Expr::val(1))
            .and_where(expr)
            .to_string(SqliteQueryBuilder)
    }

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let text = base64url_encode(&bytes);
            assert!(text.bytes().all(|b| ALPHABET.contains(&b)));
            assert_eq!(base64url_decode(&text), Some(bytes));
        }
        assert_eq!(base64url_decode("a"), None);
        assert_eq!(base64url_decode("ab=c"), None);
    }

    #[test]
    fn cursors_are_refused_for_another_ordering() {
        let keys = vec![
            key("a", OrderDirection::Asc, NullsOrder::Last),
            key("id", OrderDirection::Asc, NullsOrder::Last),
        ];
        let cursor = encode_cursor(&keys, vec![KeyValue::Null, KeyValue::Int(7)]);
        assert_eq!(
            decode_cursor(&keys, &cursor, "after").ok(),
            Some(vec![KeyValue::Null, KeyValue::Int(7)])
        );
        let other = vec![
            key("a", OrderDirection::Desc, NullsOrder::Last),
            key("id", OrderDirection::Asc, NullsOrder::Last),
        ];
        assert!(decode_cursor(&other, &cursor, "after").is_err());
        assert!(decode_cursor(&keys, "not-a-cursor!", "after").is_err());
    }

    #[test]
    fn after_a_null_with_nulls_last_only_ties_can_follow() {
        let keys = vec![
            key("a", OrderDirection::Asc, NullsOrder::Last),
            key("id", OrderDirection::Asc, NullsOrder::Last),
        ];
        let expr = after(
            &keys,
            &[KeyValue::Null, KeyValue::Int(7)],
            DbBackend::Sqlite,
        )
        .expect("predicate");
        assert_eq!(sql(expr), r#"SELECT 1 WHERE "a" IS NULL AND "id" > 7"#);
    }

    #[test]
    fn after_a_value_with_nulls_last_includes_the_nulls() {
        let keys = vec![
            key("a", OrderDirection::Desc, NullsOrder::Last),
            key("id", OrderDirection::Asc, NullsOrder::Last),
        ];
        let expr = after(
            &keys,
            &[KeyValue::Int(5), KeyValue::Int(7)],
            DbBackend::Sqlite,
        )
        .expect("predicate");
        assert_eq!(
            sql(expr),
            r#"SELECT 1 WHERE "a" < 5 OR "a" IS NULL OR ("a" = 5 AND "id" > 7)"#
        );
    }

    #[test]
    fn page_arguments_are_checked() {
        let keys = vec![key("id", OrderDirection::Asc, NullsOrder::Last)];
        let plan = |args: PageArgs| args.plan(keys.clone());
        assert_eq!(
            plan(PageArgs::default()).map(|p| p.limit).ok(),
            Some(DEFAULT_PAGE_SIZE)
        );
        assert!(
            plan(PageArgs {
                first: Some(101),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            plan(PageArgs {
                first: Some(-1),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            plan(PageArgs {
                first: Some(1),
                last: Some(1),
                ..Default::default()
            })
            .is_err()
        );
        let back = plan(PageArgs {
            last: Some(3),
            ..Default::default()
        })
        .expect("plan");
        assert!(back.backward);
        assert_eq!(back.keys[0].direction, OrderDirection::Desc);
    }
}
