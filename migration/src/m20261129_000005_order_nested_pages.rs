//! Indexes that hand a nested page its rows in order: `(foreign key, id)`.
//!
//! On PostgreSQL a nested list is paged per parent with a `LATERAL` top-N (`WHERE fk =
//! parent ORDER BY id LIMIT n`, see `data::lists`). With an index on the foreign key alone,
//! each probe reads all the parent's rows and sorts them (relay query 2: 50 investors'
//! 1,190 investments, 1,238 buffers); with `id` after the key in the index, it reads the
//! first `n + 1` in order and stops (`Index Scan`, 533 buffers). See "Issue 13: nested
//! pages with LATERAL" in BENCHMARKS.md for the plans.
//!
//! Each new index replaces the one on the foreign key alone, whose lookups it serves (the
//! covering columns of `investment` stay `INCLUDE`d, so its aggregates still read the index
//! only). SQLite needs none: its indexes end with the rowid, which is `id`, and it pages
//! with a window, not `LATERAL`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (old index, new index, its definition), on PostgreSQL.
const INDEXES: [(&str, &str, &str); 2] = [
    (
        "idx_investment_investor_id_covering",
        "idx_investment_investor_id_id_covering",
        "investment (investor_id, id) INCLUDE (currency, amount_minor, made_on)",
    ),
    (
        "idx_ai_model_developer_id",
        "idx_ai_model_developer_id_id",
        "ai_model (developer_id, id)",
    ),
];

/// The index definitions before this migration, for `down`.
const PREVIOUS: [&str; 2] = [
    "investment (investor_id) INCLUDE (currency, amount_minor, made_on)",
    "ai_model (developer_id)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for (old, new, definition) in INDEXES {
            db.execute_unprepared(&format!("CREATE INDEX {new} ON {definition}"))
                .await?;
            db.execute_unprepared(&format!("DROP INDEX {old}")).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for ((old, new, _), definition) in INDEXES.into_iter().zip(PREVIOUS) {
            db.execute_unprepared(&format!("CREATE INDEX {old} ON {definition}"))
                .await?;
            db.execute_unprepared(&format!("DROP INDEX {new}")).await?;
        }
        Ok(())
    }
}
