//! An index on `company (name COLLATE "C")` on PostgreSQL: lists ordered by a company's
//! name (an investment's investee or investor, a company's own) order byte-wise, the same
//! on both engines (`data::sql::bytewise`), which the unique index on `name` (in the
//! database's collation) cannot serve. With it, relay query 3 (investments ordered by the
//! investee's name, a page of 50) walks the companies in that order and stops at the page:
//! about 200 ms -> 1.1 ms (see "Issue 13: nested pages with LATERAL" in BENCHMARKS.md). SQLite
//! compares text byte-wise already, so its unique index on `name` serves that order.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared(
                "CREATE INDEX idx_company_name_bytewise ON company (name COLLATE \"C\")",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP INDEX idx_company_name_bytewise")
                .await?;
        }
        Ok(())
    }
}
