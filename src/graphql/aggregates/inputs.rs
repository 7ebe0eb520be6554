//! The input types of `groupBy`: keys (with time buckets), `having` and `orderBy` terms,
//! and the arguments together.

use std::hash::Hash;

use async_graphql::{Enum, InputObject};

use crate::graphql::lists::OrderField;
use crate::graphql::paging::{NullsOrder, OrderDirection};

/// How group keys of dates are bucketed.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Hash)]
pub enum TimeBucket {
    /// The calendar year: "2025".
    Year,
    /// The calendar quarter: "2025-Q1".
    Quarter,
    /// The calendar month: "2025-01".
    Month,
}

/// An aggregate function.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug, Hash)]
pub enum AggregateFunction {
    /// Number of rows, or of rows where `field` is not null.
    Count,
    /// Number of distinct non-null values of `field`.
    CountDistinct,
    /// Sum of a number or money field (money needs `currency`).
    Sum,
    /// Average of a number or money field (money needs `currency`).
    Avg,
    /// Smallest value of a number, money or date field.
    Min,
    /// Largest value of a number, money or date field.
    Max,
}

/// A group key: a field, and for a date field optionally a time bucket.
#[derive(InputObject, Debug, Clone)]
#[graphql(concrete(
    name = "CompanyGroupKey",
    params(crate::graphql::companies::CompanyOrderField)
))]
#[graphql(concrete(
    name = "PersonGroupKey",
    params(crate::graphql::companies::PersonOrderField)
))]
#[graphql(concrete(
    name = "AiModelGroupKey",
    params(crate::graphql::models::AiModelOrderField)
))]
#[graphql(concrete(
    name = "InvestmentGroupKey",
    params(crate::graphql::investments::InvestmentOrderField)
))]
#[graphql(concrete(
    name = "ProjectGroupKey",
    params(crate::graphql::projects::ProjectOrderField)
))]
#[graphql(concrete(
    name = "ProjectBackerGroupKey",
    params(crate::graphql::projects::ProjectBackerOrderField)
))]
#[graphql(concrete(
    name = "SpendingFigureGroupKey",
    params(crate::graphql::spending::SpendingFigureOrderField)
))]
#[graphql(concrete(
    name = "ClaimGroupKey",
    params(crate::graphql::claims::ClaimOrderField)
))]
#[graphql(concrete(
    name = "ClaimChallengeGroupKey",
    params(crate::graphql::claims::ClaimChallengeOrderField)
))]
#[graphql(concrete(
    name = "EventGroupKey",
    params(crate::graphql::events::EventOrderField)
))]
#[graphql(concrete(
    name = "SourceGroupKey",
    params(crate::graphql::sources::SourceOrderField)
))]
#[graphql(concrete(
    name = "CitationGroupKey",
    params(crate::graphql::sources::CitationOrderField)
))]
pub struct GroupKey<F: OrderField> {
    /// The field to group by: any field the list can be ordered by, including the name of
    /// a related company.
    pub field: F,
    /// For a date field, the calendar span to group by. A date known less precisely than
    /// the bucket (only its year, for a MONTH bucket) falls in a group of its own precision
    /// ("2025"), never silently in the span's first month.
    pub bucket: Option<TimeBucket>,
}

/// A condition on an aggregate of each group; a group is kept when every comparison given holds.
#[derive(InputObject, Debug, Clone)]
#[graphql(concrete(
    name = "CompanyHaving",
    params(crate::graphql::companies::CompanyOrderField)
))]
#[graphql(concrete(
    name = "PersonHaving",
    params(crate::graphql::companies::PersonOrderField)
))]
#[graphql(concrete(
    name = "AiModelHaving",
    params(crate::graphql::models::AiModelOrderField)
))]
#[graphql(concrete(
    name = "InvestmentHaving",
    params(crate::graphql::investments::InvestmentOrderField)
))]
#[graphql(concrete(
    name = "ProjectHaving",
    params(crate::graphql::projects::ProjectOrderField)
))]
#[graphql(concrete(
    name = "ProjectBackerHaving",
    params(crate::graphql::projects::ProjectBackerOrderField)
))]
#[graphql(concrete(
    name = "SpendingFigureHaving",
    params(crate::graphql::spending::SpendingFigureOrderField)
))]
#[graphql(concrete(name = "ClaimHaving", params(crate::graphql::claims::ClaimOrderField)))]
#[graphql(concrete(
    name = "ClaimChallengeHaving",
    params(crate::graphql::claims::ClaimChallengeOrderField)
))]
#[graphql(concrete(name = "EventHaving", params(crate::graphql::events::EventOrderField)))]
#[graphql(concrete(
    name = "SourceHaving",
    params(crate::graphql::sources::SourceOrderField)
))]
#[graphql(concrete(
    name = "CitationHaving",
    params(crate::graphql::sources::CitationOrderField)
))]
pub struct Having<F: OrderField> {
    /// The aggregate function.
    pub function: AggregateFunction,
    /// The field it applies to; omit it for COUNT of rows.
    pub field: Option<F>,
    /// The currency of a money field: sums and averages never mix currencies.
    pub currency: Option<String>,
    /// Equal to: a whole number for counts and number fields, a decimal in major units for
    /// money ("1000000.50"), a date ("2025-06-30") for date fields.
    pub eq: Option<String>,
    /// Not equal to (same form as `eq`).
    pub ne: Option<String>,
    /// Greater than (same form as `eq`).
    pub gt: Option<String>,
    /// Greater than or equal to (same form as `eq`).
    pub gte: Option<String>,
    /// Less than (same form as `eq`).
    pub lt: Option<String>,
    /// Less than or equal to (same form as `eq`).
    pub lte: Option<String>,
}

/// One term of the ordering of groups: one of their keys, or an aggregate.
#[derive(InputObject, Debug, Clone)]
#[graphql(concrete(
    name = "CompanyGroupOrder",
    params(crate::graphql::companies::CompanyOrderField)
))]
#[graphql(concrete(
    name = "PersonGroupOrder",
    params(crate::graphql::companies::PersonOrderField)
))]
#[graphql(concrete(
    name = "AiModelGroupOrder",
    params(crate::graphql::models::AiModelOrderField)
))]
#[graphql(concrete(
    name = "InvestmentGroupOrder",
    params(crate::graphql::investments::InvestmentOrderField)
))]
#[graphql(concrete(
    name = "ProjectGroupOrder",
    params(crate::graphql::projects::ProjectOrderField)
))]
#[graphql(concrete(
    name = "ProjectBackerGroupOrder",
    params(crate::graphql::projects::ProjectBackerOrderField)
))]
#[graphql(concrete(
    name = "SpendingFigureGroupOrder",
    params(crate::graphql::spending::SpendingFigureOrderField)
))]
#[graphql(concrete(
    name = "ClaimGroupOrder",
    params(crate::graphql::claims::ClaimOrderField)
))]
#[graphql(concrete(
    name = "ClaimChallengeGroupOrder",
    params(crate::graphql::claims::ClaimChallengeOrderField)
))]
#[graphql(concrete(
    name = "EventGroupOrder",
    params(crate::graphql::events::EventOrderField)
))]
#[graphql(concrete(
    name = "SourceGroupOrder",
    params(crate::graphql::sources::SourceOrderField)
))]
#[graphql(concrete(
    name = "CitationGroupOrder",
    params(crate::graphql::sources::CitationOrderField)
))]
pub struct GroupOrder<F: OrderField> {
    /// Order by the key at this position of `by` (0 is the first key).
    pub key: Option<i32>,
    /// Or order by this aggregate function...
    pub function: Option<AggregateFunction>,
    /// ...of this field (omit it for COUNT of rows)...
    pub field: Option<F>,
    /// ...in this currency, for a money field.
    pub currency: Option<String>,
    /// Ascending (the default) or descending.
    #[graphql(default)]
    pub direction: OrderDirection,
    /// Where groups whose value is null go: LAST (the default) or FIRST.
    #[graphql(default)]
    pub nulls: NullsOrder,
}

/// The arguments of `groupBy`.
pub struct GroupArgs<F: OrderField> {
    pub by: Vec<GroupKey<F>>,
    pub having: Vec<Having<F>>,
    pub order_by: Vec<GroupOrder<F>>,
    pub first: Option<i32>,
    pub after: Option<String>,
    /// Whether the client asked for `totalCount`: the page's statement then counts the
    /// groups too (a window over the grouped rows), with no statement of its own.
    pub count: bool,
    /// The statistics the selection asks for under the groups' `aggregate`: the others are
    /// not computed. Money per currency (`byCurrency`) among them makes the page's
    /// statement group by currency too, with no statement of its own for it.
    pub measures: super::Measures,
}
