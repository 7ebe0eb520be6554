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

/// The foreign keys of this table, as the migrations create them: the one declaration of
/// each relation that the rest of the code reads (see [`crate::foreign_keys`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::ai_model::Entity",
        from = "Column::AiModelId",
        to = "super::ai_model::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    AiModel,
    #[sea_orm(
        belongs_to = "super::claim_challenge::Entity",
        from = "Column::ClaimChallengeId",
        to = "super::claim_challenge::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    ClaimChallenge,
    #[sea_orm(
        belongs_to = "super::claim::Entity",
        from = "Column::ClaimId",
        to = "super::claim::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Claim,
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::CompanyId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Company,
    #[sea_orm(
        belongs_to = "super::event::Entity",
        from = "Column::EventId",
        to = "super::event::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Event,
    #[sea_orm(
        belongs_to = "super::investment::Entity",
        from = "Column::InvestmentId",
        to = "super::investment::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Investment,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Person,
    #[sea_orm(
        belongs_to = "super::project_backer::Entity",
        from = "Column::ProjectBackerId",
        to = "super::project_backer::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    ProjectBacker,
    #[sea_orm(
        belongs_to = "super::project::Entity",
        from = "Column::ProjectId",
        to = "super::project::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Project,
    #[sea_orm(
        belongs_to = "super::source::Entity",
        from = "Column::SourceId",
        to = "super::source::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    Source,
    #[sea_orm(
        belongs_to = "super::spending_figure::Entity",
        from = "Column::SpendingFigureId",
        to = "super::spending_figure::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    SpendingFigure,
}

impl ActiveModelBehavior for ActiveModel {}
