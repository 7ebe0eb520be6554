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

/// The foreign keys of this table, as the migrations create them: the one declaration of
/// each relation that the rest of the code reads (see [`crate::foreign_keys`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::ChallengerCompanyId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    ChallengerCompany,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::ChallengerPersonId",
        to = "super::person::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    ChallengerPerson,
    #[sea_orm(
        belongs_to = "super::claim::Entity",
        from = "Column::ClaimId",
        to = "super::claim::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Claim,
}

impl ActiveModelBehavior for ActiveModel {}
