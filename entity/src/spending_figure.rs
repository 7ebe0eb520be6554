//! A spending figure: an amount (point, range or bound) for a company or project over a period.

use crate::enums::*;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "spending_figure")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    #[sea_orm(column_name = "ref")]
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub company_id: Option<i32>,
    pub project_id: Option<i32>,
    pub ai_model_id: Option<i32>,
    pub category: SpendingCategory,
    pub status: SpendingStatus,
    pub bound: AmountBound,
    pub amount_low_minor: Option<i64>,
    pub amount_high_minor: Option<i64>,
    pub currency: String,
    pub period_kind: PeriodKind,
    pub period_year: Option<i32>,
    pub period_quarter: Option<i32>,
    pub period_start: Option<Date>,
    pub period_end: Option<Date>,
    pub period_years: Option<i32>,
    pub focus: Option<String>,
    pub remarks: Option<String>,
    pub stated_on: Option<Date>,
    pub stated_precision: Option<DatePrecision>,
    pub derived_from_id: Option<i32>,
    /// Who expected a different amount ("Wall Street"), when the source compares the two.
    pub expectation_holder: Option<String>,
    /// How far the figure lies above that expectation, in basis points (2900 for 29%).
    pub above_expectation_bp: Option<i32>,
    /// The person who stated the figure, when the source names one.
    pub stated_by_person_id: Option<i32>,
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
        on_delete = "SetNull"
    )]
    AiModel,
    #[sea_orm(
        belongs_to = "super::company::Entity",
        from = "Column::CompanyId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    Company,
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::DerivedFromId",
        to = "Column::Id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    DerivedFrom,
    #[sea_orm(
        belongs_to = "super::project::Entity",
        from = "Column::ProjectId",
        to = "super::project::Column::Id",
        on_update = "Cascade",
        on_delete = "Restrict"
    )]
    Project,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::StatedByPersonId",
        to = "super::person::Column::Id",
        on_update = "Cascade",
        on_delete = "SetNull"
    )]
    StatedBy,
}

impl ActiveModelBehavior for ActiveModel {}
