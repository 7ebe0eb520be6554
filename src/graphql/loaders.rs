//! Batch loading as resolvers call it: the relation loaders of [`crate::data::loaders`]
//! (which explains the design: one statement per relation field, however many rows), called
//! with the connection the operation reads (see [`super::db`]). To-one relation fields are
//! written by [`super::connections::with_connections!`]; the few resolvers that load by
//! hand call `crate::data::loaders` with `db(ctx)?`.

pub use crate::data::loaders::{Node, Row, nodes_of, wrap, wrap_one};
