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

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
