//! `investments.csv` in batches: the loader's rules for investments (see
//! `dataset::Load::investment`), applied thousands of lines at a time with a few statements
//! per batch instead of a few per line. Import switches to it for the largest table.

use std::collections::{HashMap, HashSet};

use entity::{citation, company, investment, source};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    Set,
};

use super::import::column_of;
use super::rows::InvestmentRow;
use crate::domain::rows::{InvestmentColumns, InvestmentDraft};
use crate::domain::{AmountRec, At, DateRec, values};
use crate::error::{Error, Result};

/// Lines per batch: 4,000 investments are 32,000 parameters, under SQLite's limit of
/// 32,766 (PostgreSQL takes 65,535). Fewer, larger statements also mean fewer round trips.
/// (sqlx 0.9.0's delayed-ACK stalls over TCP, transact-rs/sqlx#4335, are gone with the
/// patched sqlx-core in `vendor/`.)
pub const BATCH: usize = 4000;

/// The columns a stored investment has, to compare with a line's.
fn columns_of(m: &investment::Model) -> InvestmentColumns {
    InvestmentColumns {
        reference: m.reference.clone(),
        investor_id: m.investor_id,
        investee_id: m.investee_id,
        amount_minor: m.amount_minor,
        currency: m.currency.clone(),
        made_on: m.made_on,
        made_precision: m.made_precision,
        description: m.description.clone(),
    }
}

/// A line checked against every rule, its names resolved to ids.
struct Valid {
    row: InvestmentColumns,
    reference: String,
    citation: (i32, String),
}

/// What the bulk path did.
#[derive(Debug, Default, Clone, Copy)]
pub struct BulkReport {
    pub inserted: usize,
    pub matched: usize,
    /// Investments written (created or matched), each counted once per batch.
    pub investments: u64,
    /// Citations written (created or matched).
    pub citations: u64,
}

/// Investments read from one CSV file, written in batches.
pub struct BulkInvestments<'a> {
    txn: &'a DatabaseTransaction,
    file: String,
    companies: HashMap<String, i32>,
    sources: HashMap<String, (i32, Option<String>)>,
    pending: Vec<(u64, InvestmentRow)>,
    pub report: BulkReport,
}

impl<'a> BulkInvestments<'a> {
    pub fn new(txn: &'a DatabaseTransaction, file: &str) -> Self {
        BulkInvestments {
            txn,
            file: file.to_string(),
            companies: HashMap::new(),
            sources: HashMap::new(),
            pending: Vec::with_capacity(BATCH),
            report: BulkReport::default(),
        }
    }

    /// Takes one line; writes a batch when one is full.
    pub async fn push(&mut self, line: u64, row: InvestmentRow) -> Result<()> {
        self.pending.push((line, row));
        if self.pending.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    fn at(&self, line: u64, column: &str) -> String {
        format!("{}: line {line}, column {column}", self.file)
    }

    /// Writes the pending lines.
    pub async fn flush(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        self.resolve_names(&pending).await?;
        let mut valid = Vec::with_capacity(pending.len());
        for (line, row) in pending {
            valid.push(self.check(line, row)?);
        }
        self.write(valid).await
    }

    async fn resolve_names(&mut self, rows: &[(u64, InvestmentRow)]) -> Result<()> {
        let names: HashSet<&str> = rows
            .iter()
            .flat_map(|(_, r)| [r.investor.as_str(), r.investee.as_str()])
            .filter(|n| !self.companies.contains_key(*n))
            .collect();
        if !names.is_empty() {
            let found = company::Entity::find()
                .filter(company::Column::Name.is_in(names))
                .all(self.txn)
                .await?;
            self.companies
                .extend(found.into_iter().map(|c| (c.name, c.id)));
        }
        let keys: HashSet<&str> = rows
            .iter()
            .filter_map(|(_, r)| r.source.as_deref())
            .filter(|k| !self.sources.contains_key(*k))
            .collect();
        if !keys.is_empty() {
            let found = source::Entity::find()
                .filter(source::Column::Key.is_in(keys))
                .all(self.txn)
                .await?;
            self.sources
                .extend(found.into_iter().map(|s| (s.key, (s.id, s.content))));
        }
        Ok(())
    }

    fn company(&self, line: u64, column: &str, name: &str) -> Result<i32> {
        self.companies.get(name).copied().ok_or_else(|| {
            Error::invalid(self.at(line, column), format!("unknown company {name:?}"))
        })
    }

    fn check(&self, line: u64, r: InvestmentRow) -> Result<Valid> {
        // The rules are the domain's; errors name the CSV column.
        let bad = |e: Error| match e {
            Error::InvalidInput { field, message } => {
                Error::invalid(self.at(line, &column_of(&field)), message)
            }
            other => other,
        };
        let investor = self.company(line, "investor", &r.investor)?;
        let investee = self.company(line, "investee", &r.investee)?;
        let amount = match (&r.amount, &r.currency) {
            (None, None) => None,
            (Some(amount), Some(currency)) => Some(AmountRec {
                amount: amount.clone(),
                currency: currency.clone(),
            }),
            (Some(_), None) => {
                return Err(Error::invalid(
                    self.at(line, "currency"),
                    "an amount needs its currency",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid(
                    self.at(line, "amount"),
                    "a currency without an amount",
                ));
            }
        };
        let made = match (r.made, r.made_precision) {
            (None, None) => None,
            (Some(date), precision) => Some(DateRec {
                date,
                precision: precision.unwrap_or(entity::enums::DatePrecision::Day),
            }),
            (None, Some(_)) => {
                return Err(Error::invalid(
                    self.at(line, "made_precision"),
                    "a precision without a date in made",
                ));
            }
        };
        let row = InvestmentDraft {
            reference: &r.r#ref,
            investor_id: investor,
            investee_id: investee,
            amount: amount.as_ref(),
            made: made.as_ref(),
            description: r.description.as_deref(),
        }
        .check(At::dataset("x[0]"))
        .map_err(bad)?;
        let citation = match (&r.source, &r.quote) {
            (Some(key), Some(quote)) => {
                let (source_id, content) = self.sources.get(key).ok_or_else(|| {
                    Error::invalid(self.at(line, "source"), format!("unknown source {key:?}"))
                })?;
                let quote = values::quote(&self.at(line, "quote"), quote, key, content.as_deref())?;
                (*source_id, quote)
            }
            (None, None) => {
                return Err(Error::invalid(
                    self.at(line, "source"),
                    "a fact needs at least one citation of a source",
                ));
            }
            (Some(_), None) => {
                return Err(Error::invalid(
                    self.at(line, "quote"),
                    "a source needs the quote it is cited for",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::invalid(
                    self.at(line, "source"),
                    "a quote needs its source",
                ));
            }
        };
        Ok(Valid {
            row,
            reference: r.r#ref,
            citation,
        })
    }

    async fn write(&mut self, lines: Vec<Valid>) -> Result<()> {
        // Lines of the same investment (one per citation): the last one's fields win, as
        // when the loader updates a matched row.
        let mut order: Vec<String> = Vec::new();
        let mut rows: HashMap<String, InvestmentColumns> = HashMap::new();
        let mut cited: Vec<(String, i32, String)> = Vec::new();
        for v in lines {
            if !rows.contains_key(&v.reference) {
                order.push(v.reference.clone());
            } else {
                self.report.matched += 1;
            }
            let (source, quote) = v.citation;
            cited.push((v.reference.clone(), source, quote));
            rows.insert(v.reference, v.row);
        }
        self.report.investments += order.len() as u64;
        self.report.citations += cited.len() as u64;
        let existing: HashMap<String, investment::Model> = investment::Entity::find()
            .filter(investment::Column::Reference.is_in(order.iter().map(String::as_str)))
            .all(self.txn)
            .await?
            .into_iter()
            .filter_map(|m| Some((m.reference.clone()?, m)))
            .collect();
        let mut ids: HashMap<String, i32> = HashMap::new();
        let mut new_rows = Vec::new();
        for reference in &order {
            let Some(row) = rows.remove(reference) else {
                continue;
            };
            match existing.get(reference) {
                Some(old) => {
                    self.report.matched += 1;
                    ids.insert(reference.clone(), old.id);
                    if columns_of(old) != row {
                        let mut active = old.clone().into_active_model();
                        row.set_on(&mut active);
                        active.update(self.txn).await?;
                    }
                }
                None => {
                    let mut active = <investment::ActiveModel as Default>::default();
                    row.set_on(&mut active);
                    new_rows.push(active);
                }
            }
        }
        if !new_rows.is_empty() {
            self.report.inserted += new_rows.len();
            let inserted = investment::Entity::insert_many(new_rows)
                .exec_with_returning(self.txn)
                .await?;
            ids.extend(
                inserted
                    .into_iter()
                    .filter_map(|m| Some((m.reference?, m.id))),
            );
        }
        let old_ids: Vec<i32> = existing.values().map(|m| m.id).collect();
        let mut have: HashSet<(i32, i32, String)> = HashSet::new();
        if !old_ids.is_empty() {
            for c in citation::Entity::find()
                .filter(citation::Column::InvestmentId.is_in(old_ids))
                .all(self.txn)
                .await?
            {
                if let Some(inv) = c.investment_id {
                    have.insert((inv, c.source_id, c.quote));
                }
            }
        }
        let mut new_citations = Vec::new();
        for (reference, source_id, quote) in &cited {
            let Some(id) = ids.get(reference) else {
                continue;
            };
            if have.insert((*id, *source_id, quote.clone())) {
                new_citations.push(citation::ActiveModel {
                    source_id: Set(*source_id),
                    quote: Set(quote.clone()),
                    investment_id: Set(Some(*id)),
                    ..Default::default()
                });
            } else {
                self.report.matched += 1;
            }
        }
        if !new_citations.is_empty() {
            self.report.inserted += new_citations.len();
            citation::Entity::insert_many(new_citations)
                .exec(self.txn)
                .await?;
        }
        Ok(())
    }
}
