//! Multi-row inserts within the engines' bind limits, and the ids they will take.

use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use entity::enums::*;
use indicatif::ProgressBar;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel, Iterable, Statement,
};

use crate::error::{Error, Result};
use crate::money;

/// SQLite's default SQLITE_MAX_VARIABLE_NUMBER (since 3.32).
pub(super) const SQLITE_MAX_BINDS: usize = 32_766;

/// PostgreSQL's wire protocol counts bind parameters in 16 bits.
pub(super) const POSTGRES_MAX_BINDS: usize = 65_535;

/// More rows per statement gain little and cost memory.
pub(super) const MAX_ROWS_PER_INSERT: usize = 5_000;

/// Buffers rows of one table and writes them with multi-row inserts no larger than the
/// engine's bind-parameter limit allows.
pub(super) struct Batch<'a, E: EntityTrait> {
    txn: &'a DatabaseTransaction,
    rows: Vec<E::ActiveModel>,
    capacity: usize,
    written: usize,
    bar: ProgressBar,
    started: Instant,
}

impl<'a, E> Batch<'a, E>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    pub(super) fn new(txn: &'a DatabaseTransaction, bar: ProgressBar) -> Self {
        let limit = match txn.get_database_backend() {
            DbBackend::Sqlite => SQLITE_MAX_BINDS,
            _ => POSTGRES_MAX_BINDS,
        };
        let columns = E::Column::iter().count().max(1);
        let capacity = (limit / columns).clamp(1, MAX_ROWS_PER_INSERT);
        Batch {
            txn,
            rows: Vec::with_capacity(capacity),
            capacity,
            written: 0,
            bar,
            started: Instant::now(),
        }
    }

    pub(super) async fn push(&mut self, row: E::Model) -> Result<()> {
        self.rows.push(row.into_active_model());
        if self.rows.len() >= self.capacity {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(self.capacity));
        let n = rows.len();
        E::insert_many(rows)
            .exec_without_returning(self.txn)
            .await?;
        self.written += n;
        self.bar.inc(n as u64);
        Ok(())
    }

    /// When the batch was made.
    pub(super) fn started(&self) -> Instant {
        self.started
    }

    pub(super) async fn finish(mut self) -> Result<usize> {
        self.flush().await?;
        self.bar.finish();
        Ok(self.written)
    }
}

/// The largest id of `table`, 0 when it is empty.
pub(super) async fn max_id(txn: &DatabaseTransaction, table: &str) -> Result<i32> {
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT MAX(\"id\") AS m FROM \"{table}\""),
        ))
        .await?;
    let max: Option<i32> = match row {
        Some(row) => row.try_get("", "m")?,
        None => None,
    };
    Ok(max.unwrap_or(0))
}

/// Ids for `count` new rows after the largest existing one.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ids {
    base: i32,
}

impl Ids {
    pub(super) async fn after_max(
        txn: &DatabaseTransaction,
        table: &str,
        count: usize,
    ) -> Result<Ids> {
        let base = max_id(txn, table).await?;
        let fits = i32::try_from(count)
            .ok()
            .and_then(|n| base.checked_add(n))
            .is_some();
        if !fits {
            return Err(Error::invalid(
                table,
                format!("{count} more rows after id {base} would overflow the 32-bit ids"),
            ));
        }
        Ok(Ids { base })
    }

    /// The id of the `i`th new row; in range by the check in `after_max`.
    pub(super) fn of(self, i: usize) -> i32 {
        self.base + 1 + i as i32
    }
}

/// A claim's sentence, built from its parts so that it reads like the claim it is.
pub(super) fn statement(
    kind: ClaimKind,
    speaker: &str,
    subject: Option<&str>,
    amount: Option<(i64, &str)>,
    made: Option<NaiveDate>,
) -> String {
    let money = amount
        .map(|(minor, currency)| format!("{} {currency}", money::format_amount(minor, currency)));
    // Forward-looking claims and guidance are about the year after they were made.
    let year = made.map_or(2026, |d| d.year() + 1);
    match (kind, money) {
        (ClaimKind::CostClaim, Some(m)) => format!(
            "{speaker} says {} cost {m} to build.",
            subject.unwrap_or("its latest model")
        ),
        (ClaimKind::CostClaim, None) => format!(
            "{speaker} says {} cost a fraction of what its rivals spend.",
            subject.unwrap_or("its latest model")
        ),
        (ClaimKind::ForwardLooking, Some(m)) => format!(
            "{speaker} expects {} to reach {m} in revenue by {year}.",
            subject.unwrap_or("AI services")
        ),
        (ClaimKind::ForwardLooking, None) => format!(
            "{speaker} expects {} to keep growing through {year}.",
            subject.unwrap_or("demand for AI computing")
        ),
        (ClaimKind::Opinion, Some(m)) => format!(
            "{speaker} thinks {} is worth more than {m}.",
            subject.unwrap_or("the AI market")
        ),
        (ClaimKind::Opinion, None) => format!(
            "{speaker} thinks {} is overvalued.",
            subject.unwrap_or("the AI market")
        ),
        (ClaimKind::Guidance, Some(m)) => {
            format!("{speaker} guides capital expenditure of {m} for {year}.")
        }
        (ClaimKind::Guidance, None) => {
            format!("{speaker} guides higher capital expenditure for {year}.")
        }
    }
}
