//! Filters as GraphQL input: the operator inputs of scalar fields (text, numbers, dates,
//! money, booleans, enums) here, the filter of each row type in `entity_filters`. Each
//! becomes SQL through the data layer's [`crate::data::filters::Builder`] (its module
//! explains how text matching ignores case the same way on both engines).

mod inputs;

pub use crate::data::filters::{RowFilter, filter_condition, filter_currency};
pub use inputs::{BooleanFilter, DateFilter, EnumFilter, IntFilter, MoneyFilter, StringFilter};
