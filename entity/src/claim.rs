//! A claim someone made, with its kind and status.

use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "claim")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    #[sea_orm(column_name = "ref")]
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub statement: String,
    pub kind: ClaimKind,
    pub status: ClaimStatus,
    pub claimant_person_id: Option<i32>,
    pub claimant_company_id: Option<i32>,
    pub subject_company_id: Option<i32>,
    pub subject_model_id: Option<i32>,
    pub spending_figure_id: Option<i32>,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub made_on: Option<Date>,
    pub made_precision: Option<DatePrecision>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
