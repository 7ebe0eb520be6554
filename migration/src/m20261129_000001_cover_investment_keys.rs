//! Covering indexes for the aggregates over a company's investments.
//!
//! A nested aggregate (`companies { investmentsMade { aggregate { ... } } }`) reads, for the
//! parents of a batch, each investment's foreign key, currency, amount and date. With the
//! plain foreign-key index, PostgreSQL finds the rows by a bitmap index scan and then reads
//! each one from the table (704 heap blocks for 50 investors' 1,190 investments); SQLite
//! looks each row up in the table. With the other columns in the index, both answer from
//! the index alone (PostgreSQL `Index Only Scan ... Heap Fetches: 0`, SQLite `SEARCH
//! investment USING COVERING INDEX`). See "Covering indexes on the investment foreign keys" in
//! BENCHMARKS.md for the plans.
//!
//! The covering index starts with the foreign key, so it serves every lookup the plain one
//! served (foreign-key checks, nested lists): it replaces it rather than adding a second.
//! PostgreSQL keeps the extra columns out of the key (`INCLUDE`); SQLite has no `INCLUDE`,
//! so they are trailing key columns there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The foreign keys of `investment` whose aggregates read these columns.
const KEYS: [&str; 2] = ["investor_id", "investee_id"];
const COVERED: &str = "currency, amount_minor, made_on";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for key in KEYS {
            let create = match db.get_database_backend() {
                DbBackend::Postgres => format!(
                    "CREATE INDEX idx_investment_{key}_covering ON investment ({key}) INCLUDE ({COVERED})"
                ),
                _ => format!(
                    "CREATE INDEX idx_investment_{key}_covering ON investment ({key}, {COVERED})"
                ),
            };
            db.execute_unprepared(&create).await?;
            db.execute_unprepared(&format!("DROP INDEX idx_investment_{key}"))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for key in KEYS {
            db.execute_unprepared(&format!(
                "CREATE INDEX idx_investment_{key} ON investment ({key})"
            ))
            .await?;
            db.execute_unprepared(&format!("DROP INDEX idx_investment_{key}_covering"))
                .await?;
        }
        Ok(())
    }
}
