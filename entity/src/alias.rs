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

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
