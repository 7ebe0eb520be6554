//! Batched loading of relations: one SQL statement per relation field of the query, however
//! many rows each level returns.
//!
//! Every row handed to the GraphQL layer is a [`Node`]: a row inside the [`Batch`] of rows it was
//! loaded with (a root list, or all children of one relation across all parents). When a
//! relation of one node is resolved, it is loaded for the whole batch in a single statement,
//! and the result is cached on the batch, so its siblings find it there. The rows loaded
//! become the next batch. Unlike a timer-based DataLoader, nothing depends on scheduling:
//! a query of depth d runs the same statements for 1 row or 10,000 (beyond 10,000 parents
//! the ids are sent in chunks), and no level waits for a batching delay.

use std::any::Any;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use sea_orm::sea_query::Expr;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, IdenStatic, ModelTrait,
    QueryFilter, QueryOrder, QueryTrait, Value,
};
use tokio::sync::OnceCell;

use super::decode::ReadRow;
use crate::error::{Error, Result};

/// Most ids sent in one `IN (...)` list; both engines accept far more parameters.
pub const CHUNK: usize = 10_000;

type Shared = Arc<dyn Any + Send + Sync>;

/// Values computed once per key and shared by everyone who holds the cache: the relations
/// of a batch, the lazy statistics of an aggregation.
#[derive(Default)]
pub struct Cache(Mutex<HashMap<String, Arc<OnceCell<Shared>>>>);

impl Cache {
    /// The value under `key`: `init` runs for the first caller; the others wait for it and
    /// share the result.
    pub async fn get_or_init<V, F, Fut>(&self, key: &str, init: F) -> Result<Arc<V>>
    where
        V: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V>>,
    {
        let cell = {
            let mut cells = match self.0.lock() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            // Looked up by reference: most keys are already cached (every sibling asks).
            match cells.get(key) {
                Some(cell) => cell.clone(),
                None => cells.entry(key.to_owned()).or_default().clone(),
            }
        };
        let shared = cell
            // Boxed, so the futures of the fields that wait here stay small (see
            // `data::filters::RowFilter for Box`).
            .get_or_try_init(|| Box::pin(async { Ok::<Shared, Error>(Arc::new(init().await?)) }))
            .await?;
        shared
            .clone()
            .downcast::<V>()
            .map_err(|_| Error::Internal("cache holds another type under this key".into()))
    }
}

/// Rows loaded together, and the relations already loaded for all of them.
pub struct Batch<M> {
    rows: Vec<M>,
    relations: Cache,
}

impl<M> Batch<M> {
    fn new(rows: Vec<M>) -> Arc<Self> {
        Arc::new(Batch {
            rows,
            relations: Cache::default(),
        })
    }
}

/// One row of a batch.
pub struct Node<M> {
    batch: Arc<Batch<M>>,
    index: usize,
}

impl<M> Clone for Node<M> {
    fn clone(&self) -> Self {
        Node {
            batch: self.batch.clone(),
            index: self.index,
        }
    }
}

impl<M> Deref for Node<M> {
    type Target = M;
    fn deref(&self) -> &M {
        &self.batch.rows[self.index]
    }
}

impl<M: Row> Node<M> {
    /// The ids of every row of this node's batch.
    pub fn sibling_ids(&self) -> Vec<i32> {
        self.batch.ids()
    }

    /// A value computed once for the whole batch under `key` (`init` runs for the first
    /// node that asks; its siblings wait for it and share the result).
    pub async fn cached<V, F, Fut>(&self, key: &str, init: F) -> Result<Arc<V>>
    where
        V: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<V>>,
    {
        self.batch.relations.get_or_init(key, init).await
    }
}

/// A node's batch seen without its row type: the ids of the rows loaded together, and the
/// cache they share. Connections keep it to aggregate over all siblings at once.
pub trait Siblings: Send + Sync {
    /// The ids of every row of the batch.
    fn ids(&self) -> Vec<i32>;
    /// The values cached for the whole batch.
    fn cache(&self) -> &Cache;
}

impl<M: Row> Siblings for Batch<M> {
    fn ids(&self) -> Vec<i32> {
        self.rows.iter().map(Row::row_id).collect()
    }
    fn cache(&self) -> &Cache {
        &self.relations
    }
}

impl<M: Row> Node<M> {
    /// This node's batch, shared (no copy).
    pub fn siblings(&self) -> Arc<dyn Siblings> {
        self.batch.clone()
    }
}

/// Rows as nodes of one batch, in order.
pub fn nodes_of<M>(rows: Vec<M>) -> Vec<Node<M>> {
    let batch = Batch::new(rows);
    (0..batch.rows.len())
        .map(|index| Node {
            batch: batch.clone(),
            index,
        })
        .collect()
}

/// Rows as objects of one batch (a GraphQL type wraps a [`Node`]).
pub fn wrap<M, T: From<Node<M>>>(rows: Vec<M>) -> Vec<T> {
    nodes_of(rows).into_iter().map(T::from).collect()
}

/// One row as an object (a batch of one).
pub fn wrap_one<M, T: From<Node<M>>>(row: Option<M>) -> Option<T> {
    row.and_then(|r| wrap(vec![r]).pop())
}

/// A table row with an integer id, read by position.
pub trait Row: ReadRow + Send + Sync + 'static {
    fn row_id(&self) -> i32;
}

macro_rules! rows_with_ids {
    ($($module:ident),*) => {
        $(impl Row for entity::$module::Model {
            fn row_id(&self) -> i32 {
                self.id
            }
        })*
    };
}
rows_with_ids!(
    alias,
    company,
    person,
    ai_model,
    investment,
    project,
    project_backer,
    spending_figure,
    claim,
    claim_challenge,
    event,
    source,
    citation,
    value_provenance,
    figure_share
);

fn as_id(value: Value) -> Option<i32> {
    match value {
        Value::Int(Some(v)) => Some(v),
        Value::BigInt(Some(v)) => i32::try_from(v).ok(),
        _ => None,
    }
}

/// Rows of `E` whose `column` is one of `ids`, in id order.
async fn rows_where<E>(
    db: &DatabaseConnection,
    column: E::Column,
    mut ids: Vec<i32>,
) -> Result<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: ReadRow,
{
    ids.sort_unstable();
    ids.dedup();
    let mut rows = Vec::new();
    for chunk in ids.chunks(CHUNK) {
        let select = E::find()
            .filter(Expr::col(column).is_in(chunk.to_vec()))
            .order_by_asc(Expr::col("id"))
            .into_query();
        for row in db.query_all(&select).await? {
            rows.push(E::Model::read_row(&row)?);
        }
    }
    Ok(rows)
}

/// Rows of `E` loaded for a batch, with each parent's positions in them.
struct Loaded<M> {
    batch: Arc<Batch<M>>,
    by_parent: HashMap<i32, Vec<usize>>,
}

impl<M> Loaded<M> {
    fn nodes_for<T: From<Node<M>>>(&self, parent: Option<i32>) -> Vec<T> {
        parent
            .and_then(|p| self.by_parent.get(&p))
            .map(|indexes| {
                indexes
                    .iter()
                    .map(|&index| {
                        T::from(Node {
                            batch: self.batch.clone(),
                            index,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Loads, once per batch, the rows of `E` whose `column` holds a value that `key_of` takes
/// from the batch's rows; then returns the ones matching `node`.
async fn related<P, E, T>(
    db: &DatabaseConnection,
    node: &Node<P>,
    relation: &str,
    column: E::Column,
    key_of: impl Fn(&P) -> Option<i32>,
) -> Result<Vec<T>>
where
    P: Row,
    E: EntityTrait,
    E::Model: Row,
    T: From<Node<E::Model>>,
{
    let loaded = node
        .cached(relation, || async {
            let keys: Vec<i32> = node.batch.rows.iter().filter_map(&key_of).collect();
            let rows = rows_where::<E>(db, column, keys).await?;
            let mut by_parent: HashMap<i32, Vec<usize>> = HashMap::new();
            for (index, row) in rows.iter().enumerate() {
                if let Some(key) = as_id(row.get(column)) {
                    by_parent.entry(key).or_default().push(index);
                }
            }
            Ok(Loaded {
                batch: Batch::new(rows),
                by_parent,
            })
        })
        .await?;
    Ok(loaded.nodes_for(key_of(node)))
}

fn id_column<E: EntityTrait>() -> Result<E::Column> {
    use std::str::FromStr;
    E::Column::from_str("id")
        .map_err(|_| Error::Internal(format!("{} has no id column", E::default().as_str())))
}

/// The row of `E` that `node` points to through the foreign key `fk` (named `relation`).
pub async fn one<P, E, T>(
    db: &DatabaseConnection,
    node: &Node<P>,
    relation: &'static str,
    fk: fn(&P) -> Option<i32>,
) -> Result<Option<T>>
where
    P: Row,
    E: EntityTrait,
    E::Model: Row,
    T: From<Node<E::Model>>,
{
    if fk(node).is_none() {
        return Ok(None);
    }
    // The foreign key column names the relation (a column points at one table), and the
    // batch's cache holds it under that name: no key is formatted for each node.
    // The target rows are keyed by their own id, which the parent's foreign key holds.
    let rows = related::<P, E, T>(db, node, relation, id_column::<E>()?, fk).await?;
    Ok(rows.into_iter().next())
}

/// The row of `E` that `node` points to through a NOT NULL foreign key: the database
/// guarantees it exists, so the field is non-null in the schema.
pub async fn required<P, E, T>(
    db: &DatabaseConnection,
    node: &Node<P>,
    relation: &'static str,
    fk: fn(&P) -> Option<i32>,
) -> Result<T>
where
    P: Row,
    E: EntityTrait,
    E::Model: Row,
    T: From<Node<E::Model>>,
{
    one::<P, E, T>(db, node, relation, fk)
        .await?
        .ok_or_else(|| {
            Error::Internal(format!(
                "{relation} of a {} names no row",
                E::default().as_str()
            ))
        })
}

/// The rows of `E` whose foreign key `column` points to `node`, in id order.
pub async fn many<P, E, T>(
    db: &DatabaseConnection,
    node: &Node<P>,
    column: E::Column,
) -> Result<Vec<T>>
where
    P: Row,
    E: EntityTrait,
    E::Model: Row,
    T: From<Node<E::Model>>,
{
    let key = format!("{}.{}", E::default().as_str(), column.as_str());
    related::<P, E, T>(db, node, &key, column, |p: &P| Some(p.row_id())).await
}
