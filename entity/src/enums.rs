//! Enumerations stored as short strings (guarded by CHECK constraints in the migration)
//! and exposed as GraphQL enums. The string in the database is the GraphQL name.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// How exactly a date is known. The stored date is the first day of the span it names:
/// "early January 2025" is 2025-01-01 with precision MONTH, never an invented day.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(8))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DatePrecision {
    /// The exact day is known.
    Day,
    /// Only the month is known; the date is the first day of that month.
    Month,
    /// Only the quarter is known; the date is the first day of that quarter.
    Quarter,
    /// Only the year is known; the date is January 1 of that year.
    Year,
}

/// What kind of organisation a company is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(24))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompanyKind {
    /// A large listed technology company (Amazon, Microsoft, Meta, Alphabet, Oracle).
    BigTech,
    /// A young, privately held company (Anthropic, OpenAI, DeepSeek).
    Startup,
    /// A company known here mainly as an investor (SoftBank).
    Investor,
    /// A maker of chips (Nvidia).
    Chipmaker,
    /// A division or subsidiary of another company (AWS, Google).
    Subsidiary,
    /// Anything else.
    Other,
}

/// What an AI model or product is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ModelKind {
    /// A machine-learning model (Llama 4).
    Model,
    /// A chip built for AI training or inference (Trainium3).
    Chip,
    /// An autonomous AI agent (Meta's planned "AI engineer").
    Agent,
    /// Another AI-based product.
    Product,
}

/// The part a company plays in a project.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BackerRole {
    /// The company that leads and announced the project.
    Lead,
    /// A company that backs the project.
    Backer,
}

/// What a spending figure measures.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(32))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SpendingCategory {
    /// Capital expenditure: data centers, servers, chips.
    CapitalExpenditure,
    /// Money committed to an infrastructure project (Stargate).
    InfrastructureInvestment,
    /// The cost of training and developing a model.
    ModelDevelopmentCost,
}

/// How a figure is known: these are never mixed unless a client asks for it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SpendingStatus {
    /// Spent and reported, e.g. in quarterly results.
    Reported,
    /// Announced as a plan or budget by the company.
    Planned,
    /// Projected by someone else (here: the article) from reported figures.
    Projected,
    /// Claimed by the spender and not verified.
    Claimed,
}

/// How an amount is bounded.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AmountBound {
    /// A single value: low and high are equal.
    Exact,
    /// A range from low to high, both included ("between $60 billion and $65 billion").
    Range,
    /// Strictly more than low; no upper bound ("more than $100 billion").
    MoreThan,
    /// At least low; no upper bound.
    AtLeast,
    /// Strictly less than high; no lower bound.
    LessThan,
    /// At most high; no lower bound.
    AtMost,
}

/// The kind of period a spending figure covers.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PeriodKind {
    /// A calendar quarter (year and quarter are set).
    Quarter,
    /// A calendar year, January to December.
    CalendarYear,
    /// A company's fiscal year, labelled by the calendar year it ends in, with its own start and end.
    FiscalYear,
    /// Several years (the number of years is set).
    MultiYear,
    /// No period stated (a one-off cost).
    Unspecified,
}

/// The kind of a claim.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClaimKind {
    /// A statement about what something cost.
    CostClaim,
    /// A statement about what will happen.
    ForwardLooking,
    /// A view or judgement.
    Opinion,
    /// Guidance on future figures given by a company to investors.
    Guidance,
}

/// Where a claim stands.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ClaimStatus {
    /// Made and not (yet) challenged.
    Asserted,
    /// Called into question by others.
    Disputed,
    /// Confirmed by independent evidence.
    Verified,
    /// Shown to be false.
    Refuted,
}

/// How a claim is challenged.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChallengeKind {
    /// Doubt voiced in public.
    PublicDoubt,
    /// An investigation or probe.
    Investigation,
    /// Evidence against the claim.
    CounterEvidence,
}

/// The kind of an event.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(24))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    /// A move in share prices or market value.
    MarketMove,
    /// An announcement.
    Announcement,
    /// A company's earnings call.
    EarningsCall,
    /// Anything else.
    Other,
}

/// What kind of other name an alias is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(16))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AliasKind {
    /// A shorter form of the name ("Meta" for Meta Platforms, "Smith" for Brad Smith).
    ShortName,
    /// A name in common use that is not a shortening of the stored one.
    CommonName,
    /// A name the subject had before.
    FormerName,
    /// An abbreviation or acronym ("AWS" for Amazon Web Services).
    Abbreviation,
}

/// How a value is known from its sources.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(8))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Basis {
    /// A citation of the row states the value in so many words ("late 2025", "$80 billion").
    Stated,
    /// Computed from other values by a stated rule ("last month" in an article of February
    /// 2025 is January 2025); `derivation` says how and `derivedFrom` from which values.
    Derived,
    /// Not in the source: filled in by judgement (a fiscal year's start when the source gives
    /// only its end); `reason` says why.
    Inferred,
}

/// The source's qualifier of a value, kept as a field: where in a span a date lies, or how
/// an amount or share relates to the number given. The source's `words` contain it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    async_graphql::Enum,
)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::N(12))",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Qualifier {
    /// In the first part of the span the date names ("early January").
    Early,
    /// In the middle of the span ("mid-2025").
    Mid,
    /// In the last part of the span ("late 2025", "Later in January").
    Late,
    /// Approximately the number given ("about", "around", "roughly", "nearly").
    About,
    /// Strictly above the number given ("more than $100 billion", "more than half").
    MoreThan,
    /// Strictly below the number given ("less than", "under").
    LessThan,
    /// The number given or above ("at least").
    AtLeast,
    /// The number given or below ("at most", "no more than").
    AtMost,
    /// Anything up to the number given ("up to").
    UpTo,
    /// Most of the whole, with no number ("the vast majority", "most of the cash").
    Most,
}
