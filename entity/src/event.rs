//! Something that happened, such as a market move.

use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    #[sea_orm(column_name = "ref")]
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub name: String,
    pub kind: EventKind,
    pub occurred_on: Option<Date>,
    pub occurred_precision: Option<DatePrecision>,
    pub company_id: Option<i32>,
    pub trigger_claim_id: Option<i32>,
    pub description: Option<String>,
}

/// The foreign keys of this table, as the migrations create them: the one declaration of
/// each relation that the rest of the code reads (see [`crate::foreign_keys`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::CompanyId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    Company,
    #[sea_orm(
        belongs_to = "super::claim::Entity",
        from = "Column::TriggerClaimId",
        to = "super::claim::Column::Id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    TriggerClaim,
}

impl ActiveModelBehavior for ActiveModel {}
