//! What a spending figure was expected to be: "29% greater than Wall Street had expected".
//!
//! The article states the relation, not the expected amount, so the figure keeps who
//! expected and by how much the figure differs, in basis points; the expected amount is
//! derived when asked for, with the rounding the percentage implies.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SpendingFigure {
    Table,
    ExpectationHolder,
    AboveExpectationBp,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(SpendingFigure::Table)
                    .add_column(
                        ColumnDef::new(SpendingFigure::ExpectationHolder)
                            .string_len(200)
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(SpendingFigure::Table)
                    .add_column(
                        ColumnDef::new(SpendingFigure::AboveExpectationBp)
                            .integer()
                            .null()
                            // Above -100%: an expectation of zero or less is no expectation.
                            .check(Expr::col(SpendingFigure::AboveExpectationBp).gt(-10_000)),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            SpendingFigure::AboveExpectationBp,
            SpendingFigure::ExpectationHolder,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SpendingFigure::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
