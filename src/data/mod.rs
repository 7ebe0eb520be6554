//! The data layer: everything between a request and SQL that is not GraphQL. It reads rows
//! over a plain [`sea_orm::DatabaseConnection`] handed to it, and knows nothing of the
//! schema, the request or the operation: the GraphQL layer picks the connection (primary or
//! replica), works out what the query selects (look-ahead) and the cache keys of its
//! fields, and passes them down.
//!
//! **No async-graphql here.** Dependencies point one way: `graphql -> data -> entity`. A
//! test below reads every file of this directory and fails naming the one that mentions
//! async-graphql's crate.
//!
//! The parts:
//! - `sql`: SQL fragments written the same way for SQLite and PostgreSQL, and joins of
//!   related rows.
//! - `decode`: rows read by position (much cheaper than by column name).
//! - `names`: snake-case names in camel case, as GraphQL and SeaORM spell them.
//! - `filters`: the SQL builder that turns a filter into one `WHERE`.
//! - `loaders`: batch loading of relations. Every row is a [`loaders::Node`] of the batch
//!   it was loaded with; a relation asked of one node is loaded for its whole batch in one
//!   statement (`WHERE fk IN (...)`) and cached on the batch, where its siblings find it.
//!   So a query costs one statement per relation field, not one per row (no N+1), and
//!   nothing waits on a timer as a DataLoader would.
//! - `paging`: keyset paging (cursors, the SQL after a cursor, page plans).
//! - `lists`: pages of a top-level list, and of a nested list for a whole batch of parents
//!   in one statement; counts of whole lists.

pub mod decode;
pub mod filters;
pub mod lists;
pub mod loaders;
pub mod names;
pub mod paging;
pub mod sql;

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    /// Every `.rs` file under `dir`, recursively.
    fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                rust_files(&path, found);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                found.push(path);
            }
        }
    }

    #[test]
    fn the_data_layer_imports_nothing_of_graphql() {
        // Spelled in two halves, so that this file does not name what it looks for.
        let forbidden = [concat!("async", "_graphql"), concat!("crate::", "graphql")];
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join("data");
        let mut files = Vec::new();
        rust_files(&dir, &mut files);
        assert!(
            files.len() >= 3,
            "only {} files under {}",
            files.len(),
            dir.display()
        );
        let offending: Vec<String> = files
            .iter()
            .flat_map(|file| {
                let text = std::fs::read_to_string(file).expect("readable source");
                forbidden
                    .iter()
                    .filter(|needle| text.contains(**needle))
                    .map(|needle| format!("{} uses {needle}", file.display()))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(offending.is_empty(), "{}", offending.join("\n"));
    }
}
