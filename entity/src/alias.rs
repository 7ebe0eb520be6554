//! Another name a source uses for a company, person, model or project ("Meta" for Meta
//! Platforms, "AWS" for Amazon Web Services), with the sentence that uses it when there is
//! one.

use crate::enums::AliasKind;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "alias")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub name: String,
    pub kind: AliasKind,
    pub company_id: Option<i32>,
    pub person_id: Option<i32>,
    pub ai_model_id: Option<i32>,
    pub project_id: Option<i32>,
    pub source_id: Option<i32>,
    pub quote: Option<String>,
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
        belongs_to = "super::company::Entity",
        from = "Column::CompanyId",
        to = "super::company::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Company,
    #[sea_orm(
        belongs_to = "super::person::Entity",
        from = "Column::PersonId",
        to = "super::person::Column::Id",
        on_update = "Cascade",
        on_delete = "Cascade"
    )]
    Person,
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
        on_delete = "SetNull"
    )]
    Source,
}

impl ActiveModelBehavior for ActiveModel {}
