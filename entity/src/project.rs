//! A project such as Stargate, with its lead and planned amount.

use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "project")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub name: String,
    pub lead_company_id: Option<i32>,
    pub planned_amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub horizon_years: Option<i32>,
    pub announced_on: Option<Date>,
    pub announced_precision: Option<DatePrecision>,
    pub has_unnamed_backers: bool,
    pub description: Option<String>,
}

/// The foreign keys of this table, as the migrations create them: the one declaration of
/// each relation that the rest of the code reads (see [`crate::foreign_keys`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::LeadCompanyId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    LeadCompany,
}

impl ActiveModelBehavior for ActiveModel {}
