//! Batched loading of relations: one SQL statement per relation and nesting level, however
//! many parent rows there are.
//!
//! Two generic keys cover every relation: [`ById`] (a to-one relation: the row whose `id`
//! is the key) and [`ChildrenOf`] (a to-many relation: the rows whose foreign-key column
//! equals the parent's id). Both are served by the one [`DbLoader`].

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::ExprTrait;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IdenStatic, ModelTrait, QueryFilter,
    QueryOrder, Value,
};

use crate::error::{Error, Result};

/// Loads rows for the batched keys below. Registered once per schema, without a cache: each
/// request sees the current data.
pub struct DbLoader {
    db: DatabaseConnection,
}

impl DbLoader {
    /// A loader over `db`, wrapped for use as schema data.
    pub fn new(db: DatabaseConnection) -> DataLoader<DbLoader> {
        DataLoader::new(DbLoader { db }, tokio::spawn)
    }
}

/// The row of entity `E` whose id is the key.
pub struct ById<E>(pub i32, PhantomData<fn() -> E>);

/// The rows of entity `E` whose `column` holds the parent's id, in id order.
pub struct ChildrenOf<E> {
    column: &'static str,
    parent: i32,
    entity: PhantomData<fn() -> E>,
}

impl<E> ById<E> {
    pub fn new(id: i32) -> Self {
        ById(id, PhantomData)
    }
}

impl<E: EntityTrait> ChildrenOf<E> {
    pub fn new(column: E::Column, parent: i32) -> Self {
        ChildrenOf {
            column: column.as_str(),
            parent,
            entity: PhantomData,
        }
    }
}

// Manual impls: a derive would demand the same traits of `E`, which entities do not have.
impl<E> Clone for ById<E> {
    fn clone(&self) -> Self {
        ById(self.0, PhantomData)
    }
}
impl<E> PartialEq for ById<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<E> Eq for ById<E> {}
impl<E> Hash for ById<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}
impl<E> Clone for ChildrenOf<E> {
    fn clone(&self) -> Self {
        ChildrenOf {
            column: self.column,
            parent: self.parent,
            entity: PhantomData,
        }
    }
}
impl<E> PartialEq for ChildrenOf<E> {
    fn eq(&self, other: &Self) -> bool {
        self.column == other.column && self.parent == other.parent
    }
}
impl<E> Eq for ChildrenOf<E> {}
impl<E> Hash for ChildrenOf<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.column.hash(state);
        self.parent.hash(state);
    }
}

fn column_of<E: EntityTrait>(name: &str) -> Result<E::Column, Arc<DbErr>> {
    E::Column::from_str(name).map_err(|_| {
        Arc::new(DbErr::Custom(format!(
            "no column {name} on {}",
            E::default().as_str()
        )))
    })
}

fn as_id(value: Value) -> Option<i32> {
    match value {
        Value::Int(Some(v)) => Some(v),
        Value::BigInt(Some(v)) => i32::try_from(v).ok(),
        _ => None,
    }
}

impl<E> Loader<ById<E>> for DbLoader
where
    E: EntityTrait,
    E::Model: Send + Sync + Clone,
{
    type Value = E::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[ById<E>]) -> Result<HashMap<ById<E>, E::Model>, Arc<DbErr>> {
        let id = column_of::<E>("id")?;
        let ids: Vec<i32> = keys.iter().map(|k| k.0).collect();
        let rows = E::find()
            .filter(id.is_in(ids))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        Ok(rows
            .into_iter()
            .filter_map(|row| as_id(row.get(id)).map(|key| (ById::new(key), row)))
            .collect())
    }
}

impl<E> Loader<ChildrenOf<E>> for DbLoader
where
    E: EntityTrait,
    E::Model: Send + Sync + Clone,
{
    type Value = Vec<E::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[ChildrenOf<E>],
    ) -> Result<HashMap<ChildrenOf<E>, Vec<E::Model>>, Arc<DbErr>> {
        let id = column_of::<E>("id")?;
        let mut by_column: HashMap<&'static str, Vec<i32>> = HashMap::new();
        for key in keys {
            by_column.entry(key.column).or_default().push(key.parent);
        }
        let mut out: HashMap<ChildrenOf<E>, Vec<E::Model>> =
            keys.iter().map(|key| (key.clone(), Vec::new())).collect();
        for (name, parents) in by_column {
            let column = column_of::<E>(name)?;
            let rows = E::find()
                .filter(Expr::col(column).is_in(parents))
                .order_by_asc(id)
                .all(&self.db)
                .await
                .map_err(Arc::new)?;
            for row in rows {
                if let Some(parent) = as_id(row.get(column)) {
                    out.entry(ChildrenOf {
                        column: name,
                        parent,
                        entity: PhantomData,
                    })
                    .or_default()
                    .push(row);
                }
            }
        }
        Ok(out)
    }
}

fn loader<'a>(ctx: &'a Context<'_>) -> Result<&'a DataLoader<DbLoader>> {
    ctx.data::<DataLoader<DbLoader>>()
        .map_err(|_| Error::Internal("the data loader is not registered on the schema".into()))
}

/// The row of `E` with id `id` (None for a null foreign key), as GraphQL type `T`.
pub async fn one<E, T>(ctx: &Context<'_>, id: Option<i32>) -> Result<Option<T>>
where
    E: EntityTrait,
    E::Model: Send + Sync + Clone,
    T: From<E::Model>,
{
    let Some(id) = id else { return Ok(None) };
    Ok(loader(ctx)?
        .load_one(ById::<E>::new(id))
        .await?
        .map(T::from))
}

/// The rows of `E` whose `column` equals `parent`, in id order, as GraphQL type `T`.
pub async fn many<E, T>(ctx: &Context<'_>, column: E::Column, parent: i32) -> Result<Vec<T>>
where
    E: EntityTrait,
    E::Model: Send + Sync + Clone,
    T: From<E::Model>,
{
    let rows = loader(ctx)?
        .load_one(ChildrenOf::<E>::new(column, parent))
        .await?;
    Ok(rows.unwrap_or_default().into_iter().map(T::from).collect())
}
