//! A share of a spending figure's amount that the source states ("more than half of the
//! investment will be focused in the U.S."), with its bounds when the source gives any.

use crate::enums::{Basis, Qualifier};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "figure_share")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub spending_figure_id: i32,
    /// What part of the whole: "in the U.S.".
    pub part: String,
    /// Lower bound of the fraction in basis points of the whole (5000 = half).
    pub low_bp: Option<i32>,
    pub low_exclusive: bool,
    pub high_bp: Option<i32>,
    pub high_exclusive: bool,
    pub basis: Basis,
    pub qualifier: Option<Qualifier>,
    pub words: Option<String>,
    pub derivation: Option<String>,
    pub derived_from: Option<String>,
    pub reason: Option<String>,
}

/// The foreign keys of this table, as the migrations create them: the one declaration of
/// each relation that the rest of the code reads (see [`crate::foreign_keys`]).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
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
