//! The domain's rules, in one place for every write path.
//!
//! Four paths write rows: the seed and `importDataset` (the dataset loader), the CSV import
//! (the loader for most files, a batched path for `investments.csv`) and the mutations.
//! Each resolves references its own way (names, keys, global ids) and stores rows its own
//! way (upsert by natural key, batches, insert or update by id), but what a row may hold is
//! decided here, once:
//!
//! - [`values`]: rules on single values (texts and their limits, dates and their precision,
//!   money, bounds, periods, percentages, quotes) and the value types they check;
//! - [`rows`]: one draft per row type, its references already resolved to database ids,
//!   checked into the columns the row stores;
//! - [`lookups`]: the few rules that must read the database (a chain of parents without a
//!   cycle), run inside the write path's transaction.
//!
//! Errors name the field where the caller's client wrote it: an [`At`] holds the row's
//! path (`input`, `investments[3]`) and how the caller spells the fields that its format
//! names differently from the dataset format (a mutation's `investorId` is the dataset's
//! `investor`). Unique keys and references stay with the paths, which look them up by
//! their own keys (names, refs, global ids).
//!
//! This module depends on `entity`, `money` and `error` only (and the database in
//! `lookups`): no GraphQL.

pub mod lookups;
pub mod provenance;
pub mod rows;
pub mod values;

pub use values::{AmountRec, DateRec, PeriodRec, limits};

/// Where a row's errors are reported, and how the caller spells its fields.
#[derive(Debug, Clone, Copy)]
pub struct At<'a> {
    row: &'a str,
    /// Dataset name -> the caller's name, for the fields spelled differently.
    names: &'a [(&'a str, &'a str)],
}

impl<'a> At<'a> {
    /// A row at `row` whose fields are named as in the dataset format.
    pub fn dataset(row: &'a str) -> Self {
        At { row, names: &[] }
    }

    /// A row at `row` whose fields are spelled as `names` says where it differs from the
    /// dataset format (`("investor", "investorId")`).
    pub fn spelled(row: &'a str, names: &'a [(&'a str, &'a str)]) -> Self {
        At { row, names }
    }

    /// The path of the row itself.
    pub fn row(&self) -> &'a str {
        self.row
    }

    /// The path of field `name` (a dataset name) as the caller spells it.
    pub fn field(&self, name: &str) -> String {
        let spelled = self
            .names
            .iter()
            .find(|(dataset, _)| *dataset == name)
            .map_or(name, |(_, theirs)| *theirs);
        format!("{}.{spelled}", self.row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_spelled_as_the_caller_spells_them() {
        let mutation = At::spelled("input", &[("investor", "investorId")]);
        assert_eq!(mutation.field("investor"), "input.investorId");
        assert_eq!(mutation.field("amount"), "input.amount");
        assert_eq!(
            At::dataset("investments[2]").field("investor"),
            "investments[2].investor"
        );
    }
}
