//! Schema migrations for the capex-graph database.
//!
//! The same migrations run on SQLite and PostgreSQL. They are applied by the server at
//! start, by `capex-graph migrate`, and by this crate's own binary (`cargo run -p migration`).

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_tables;
mod m20261126_000002_add_spending_expectation;
mod m20261129_000001_cover_investment_keys;
mod m20261129_000002_create_alias_and_search;
mod m20261129_000003_create_value_provenance;
mod m20261129_000004_add_figure_stated_by;
mod m20261129_000005_order_nested_pages;
mod m20261129_000006_index_company_names_bytewise;

/// Every migration of the project, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_tables::Migration),
            Box::new(m20261126_000002_add_spending_expectation::Migration),
            Box::new(m20261129_000001_cover_investment_keys::Migration),
            Box::new(m20261129_000002_create_alias_and_search::Migration),
            Box::new(m20261129_000003_create_value_provenance::Migration),
            Box::new(m20261129_000004_add_figure_stated_by::Migration),
            Box::new(m20261129_000005_order_nested_pages::Migration),
            Box::new(m20261129_000006_index_company_names_bytewise::Migration),
        ]
    }
}
