//! How one structured value of a row is known: stated (with the source's words), derived
//! (how, from which values) or inferred (why). Values without a row here are stated by
//! their row's citations.

use crate::enums::{Basis, Qualifier};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "value_provenance")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub source_id: Option<i32>,
    pub ai_model_id: Option<i32>,
    pub investment_id: Option<i32>,
    pub project_id: Option<i32>,
    pub spending_figure_id: Option<i32>,
    pub claim_id: Option<i32>,
    pub event_id: Option<i32>,
    /// The value's field as the GraphQL type names it: "stated", "period.start", "amount".
    pub field: String,
    pub basis: Basis,
    pub qualifier: Option<Qualifier>,
    pub words: Option<String>,
    pub derivation: Option<String>,
    /// The values it is derived from, one per line: type, key and field, tab-separated.
    pub derived_from: Option<String>,
    pub reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
