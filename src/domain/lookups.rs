//! The domain's rules that read the database, run inside the write path's transaction.

use entity::company;
use sea_orm::{DatabaseTransaction, EntityTrait};

use super::At;
use crate::error::{Error, Result};

/// Refuses `parent` for `company` when following parents from it leads back to the
/// company (a parent of its own, or of an ancestor).
pub async fn no_parent_cycle(
    txn: &DatabaseTransaction,
    at: At<'_>,
    company: i32,
    parent: Option<i32>,
) -> Result<()> {
    let Some(mut next) = parent else {
        return Ok(());
    };
    for _ in 0..1000 {
        if next == company {
            return Err(Error::invalid(
                at.field("parent"),
                "a company cannot be its own parent or ancestor",
            ));
        }
        let found = company::Entity::find_by_id(next).one(txn).await?;
        match found.and_then(|c| c.parent_id) {
            Some(p) => next = p,
            None => return Ok(()),
        }
    }
    Err(Error::invalid(
        at.field("parent"),
        "the chain of parents is too long",
    ))
}
