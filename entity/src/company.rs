//! A company: a big-tech firm, a startup, an investor, a chipmaker or a division of another.

use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "company")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    #[sea_orm(unique)]
    pub ticker: Option<String>,
    pub kind: CompanyKind,
    pub country: Option<String>,
    pub headquarters: Option<String>,
    pub parent_id: Option<i32>,
    pub founded_by_alumni_of_id: Option<i32>,
    pub description: Option<String>,
}

/// The foreign keys of this table, as the migrations create them: the one declaration of
/// each relation that the rest of the code reads (see [`crate::foreign_keys`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::FoundedByAlumniOfId",
        to = "Column::Id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    FoundedByAlumniOf,
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::ParentId",
        to = "Column::Id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    Parent,
}

impl ActiveModelBehavior for ActiveModel {}
