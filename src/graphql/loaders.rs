//! Batch loading as resolvers call it: the relation loaders of [`crate::data::loaders`]
//! (which explains the design: one statement per relation field, however many rows), over
//! the connection the operation reads (see [`super::db`]). Only that choice is made here.

use async_graphql::Context;
use sea_orm::EntityTrait;

pub use crate::data::loaders::{Node, Row, nodes_of, wrap, wrap_one};

use super::db;
use crate::data::loaders;
use crate::error::Result;

/// The row of `E` that `node` points to through the foreign key `fk` (named `relation`).
pub async fn one<P, E, T>(
    ctx: &Context<'_>,
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
    loaders::one::<P, E, T>(db(ctx)?, node, relation, fk).await
}

/// The row of `E` that `node` points to through a NOT NULL foreign key (non-null in the
/// schema).
pub async fn required<P, E, T>(
    ctx: &Context<'_>,
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
    loaders::required::<P, E, T>(db(ctx)?, node, relation, fk).await
}

/// The rows of `E` whose foreign key `column` points to `node`, in id order.
pub async fn many<P, E, T>(ctx: &Context<'_>, node: &Node<P>, column: E::Column) -> Result<Vec<T>>
where
    P: Row,
    E: EntityTrait,
    E::Model: Row,
    T: From<Node<E::Model>>,
{
    loaders::many::<P, E, T>(db(ctx)?, node, column).await
}
