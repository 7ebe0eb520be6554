//! Who stated a spending figure: "CEO Andy Jassy said on an earnings call ... that the
//! company's $26.3 billion ...", "Mark Zuckerberg said in a blog post that ... will spend
//! between $60 billion and $65 billion". A nullable key to the person; deleting the person
//! leaves the figure, unattributed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The same SQL on both engines: SQLite adds a foreign key only with its column, in
        // the column's definition, which sea-query's `alter_table` does not write.
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE spending_figure ADD COLUMN stated_by_person_id INTEGER \
             REFERENCES person (id) ON DELETE SET NULL ON UPDATE CASCADE",
        )
        .await?;
        // Deleting a person looks up the figures it stated.
        manager
            .create_index(
                Index::create()
                    .name("idx_spending_figure_stated_by_person_id")
                    .table(Alias::new("spending_figure"))
                    .col(Alias::new("stated_by_person_id"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            // SQLite drops no column that a foreign key uses; only rebuilding the table would.
            return Err(DbErr::Migration(
                "SQLite cannot drop spending_figure.stated_by_person_id (a foreign key): \
                 restore a copy of the database file taken before the upgrade"
                    .into(),
            ));
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_spending_figure_stated_by_person_id")
                    .table(Alias::new("spending_figure"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("spending_figure"))
                    .drop_column(Alias::new("stated_by_person_id"))
                    .to_owned(),
            )
            .await
    }
}
