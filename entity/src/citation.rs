//! The exact sentence of a source that states a fact about exactly one row.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "citation")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub source_id: i32,
    pub quote: String,
    pub company_id: Option<i32>,
    pub person_id: Option<i32>,
    pub ai_model_id: Option<i32>,
    pub investment_id: Option<i32>,
    pub project_id: Option<i32>,
    pub project_backer_id: Option<i32>,
    pub spending_figure_id: Option<i32>,
    pub claim_id: Option<i32>,
    pub claim_challenge_id: Option<i32>,
    pub event_id: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
