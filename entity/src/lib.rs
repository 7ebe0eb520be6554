//! SeaORM entities of the capex-graph database (see the `migration` crate for the schema).

pub mod ai_model;
pub mod alias;
pub mod citation;
pub mod claim;
pub mod claim_challenge;
pub mod company;
pub mod enums;
pub mod event;
pub mod figure_share;
pub mod investment;
pub mod person;
pub mod project;
pub mod project_backer;
pub mod source;
pub mod spending_figure;
pub mod value_provenance;

use sea_orm::sea_query::ForeignKeyAction;
use sea_orm::{Identity, Iterable, RelationDef, RelationTrait};

/// A foreign key as an entity's `Relation` declares it: `column` of `table` points to the
/// `id` of `target`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    /// The table that holds the key.
    pub table: String,
    /// The key's column.
    pub column: String,
    /// The table it points to.
    pub target: String,
    /// What deleting the target does to this row.
    pub on_delete: OnDelete,
}

/// What deleting a row does to the rows whose foreign key points to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OnDelete {
    /// The rows are deleted with it.
    Cascade,
    /// Their key is set to NULL.
    SetNull,
    /// The delete is refused while they exist.
    Restrict,
}

/// Every foreign key of the database, from the entities' `Relation` enums: the one place a
/// relation is declared. Tests compare it with each engine's catalog, and the code that
/// must know the keys (which deletes cascade to which rows) reads it from here.
pub fn foreign_keys() -> Vec<ForeignKey> {
    fn of<R: RelationTrait + Iterable>() -> impl Iterator<Item = RelationDef> {
        R::iter().map(|r| r.def())
    }
    let defs = of::<ai_model::Relation>()
        .chain(of::<alias::Relation>())
        .chain(of::<citation::Relation>())
        .chain(of::<claim::Relation>())
        .chain(of::<claim_challenge::Relation>())
        .chain(of::<company::Relation>())
        .chain(of::<event::Relation>())
        .chain(of::<figure_share::Relation>())
        .chain(of::<investment::Relation>())
        .chain(of::<person::Relation>())
        .chain(of::<project::Relation>())
        .chain(of::<project_backer::Relation>())
        .chain(of::<source::Relation>())
        .chain(of::<spending_figure::Relation>())
        .chain(of::<value_provenance::Relation>());
    defs.map(|def| {
        let column = match &def.from_col {
            Identity::Unary(column) => column.to_string(),
            other => panic!("a foreign key of one column, not {other:?}"),
        };
        ForeignKey {
            table: def.from_tbl.sea_orm_table().to_string(),
            column,
            target: def.to_tbl.sea_orm_table().to_string(),
            on_delete: match def.on_delete {
                Some(ForeignKeyAction::Cascade) => OnDelete::Cascade,
                Some(ForeignKeyAction::SetNull) => OnDelete::SetNull,
                _ => OnDelete::Restrict,
            },
        }
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_foreign_key_is_read_with_its_tables_and_action() {
        let keys = foreign_keys();
        assert!(keys.contains(&ForeignKey {
            table: "investment".into(),
            column: "investor_id".into(),
            target: "company".into(),
            on_delete: OnDelete::Restrict,
        }));
        assert!(keys.contains(&ForeignKey {
            table: "company".into(),
            column: "parent_id".into(),
            target: "company".into(),
            on_delete: OnDelete::SetNull,
        }));
        assert_eq!(keys.len(), 48);
    }
}
