//! SeaORM entities of the capex-graph database (see the `migration` crate for the schema).

pub mod ai_model;
pub mod alias;
pub mod citation;
pub mod claim;
pub mod claim_challenge;
pub mod company;
pub mod enums;
pub mod event;
pub mod figure_share;
pub mod investment;
pub mod person;
pub mod project;
pub mod project_backer;
pub mod source;
pub mod spending_figure;
pub mod value_provenance;
