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

/// The foreign keys of this table, as the migrations create them: the one declaration of
/// each relation that the rest of the code reads (see [`crate::foreign_keys`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::ClaimantCompanyId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    ClaimantCompany,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::ClaimantPersonId",
        to = "super::person::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    ClaimantPerson,
    #[sea_orm(
        belongs_to = "super::spending_figure::Entity",
        from = "Column::SpendingFigureId",
        to = "super::spending_figure::Column::Id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    SpendingFigure,
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::SubjectCompanyId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    SubjectCompany,
    #[sea_orm(
        belongs_to = "super::ai_model::Entity",
        from = "Column::SubjectModelId",
        to = "super::ai_model::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    SubjectModel,
}

impl ActiveModelBehavior for ActiveModel {}
