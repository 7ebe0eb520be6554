//! An AI model, chip, agent or product and the company that develops it.

use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "ai_model")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub kind: ModelKind,
    pub developer_id: i32,
    pub announced_on: Option<Date>,
    pub announced_precision: Option<DatePrecision>,
    pub expected_on: Option<Date>,
    pub expected_precision: Option<DatePrecision>,
    pub description: Option<String>,
}

/// The foreign keys of this table, as the migrations create them: the one declaration of
/// each relation that the rest of the code reads (see [`crate::foreign_keys`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::DeveloperId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    Developer,
}

impl ActiveModelBehavior for ActiveModel {}
