//! Money (or an unknown amount) that one company put into another.

use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "investment")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    #[sea_orm(column_name = "ref")]
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub investor_id: i32,
    pub investee_id: i32,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub made_on: Option<Date>,
    pub made_precision: Option<DatePrecision>,
    pub description: Option<String>,
}

/// The foreign keys of this table, as the migrations create them: the one declaration of
/// each relation that the rest of the code reads (see [`crate::foreign_keys`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::InvesteeId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    Investee,
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::InvestorId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    Investor,
}

impl ActiveModelBehavior for ActiveModel {}
