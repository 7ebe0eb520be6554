//! A challenge to a claim: who doubts or probes it, and how.

use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "claim_challenge")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub claim_id: i32,
    pub challenger_company_id: Option<i32>,
    pub challenger_person_id: Option<i32>,
    pub kind: ChallengeKind,
    pub description: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
