//! The per-type subscriptions, one line per row type with a root connection: its filtered
//! changes ([`super::live_rows`]), its live `aggregate` and its live `groupBy`
//! ([`super::live_analytics`]), and the live `spendingSummary`.
//!
//! [`live_types!`] writes the whole `#[Subscription]` impl (async-graphql's attribute sees
//! the impl before a macro inside it would expand), as `with_connections!` does for
//! connections.

use std::sync::Arc;

use async_graphql::futures_util::Stream;
use async_graphql::{Context, InputType, MergedSubscription, Subscription};

use super::aggregates::{
    Aggregated, GroupArgs, GroupConnection, GroupKey, GroupOrder, Having, Scope, aggregate,
    aggregate_measures, group_by, group_measures,
};
use super::claims::{Claim, ClaimChallenge};
use super::companies::{Company, Person};
use super::entity_filters::*;
use super::events::Event;
use super::fields::*;
use super::filters::filter_condition;
use super::investments::Investment;
use super::lists::GqlNode;
use super::live_analytics::{Compute, Watched};
use super::live_rows::RowChange;
use super::models::AiModel;
use super::projects::Project;
use super::sources::Source;
use super::spending::{SpendingFigure, spending_summary, spending_summary_field};
use super::{Result, db};

/// The normalized value of an argument, for the key of a shared computation.
fn normalized<T: InputType>(value: &T) -> String {
    value.to_value().to_string()
}

/// The tables a live aggregate or group-by reads: its type's (and companies', whose names
/// group keys and terms may use) without a filter; any with one (a filter may go through
/// any relation).
fn watched<F>(typename: &'static str, filter: &Option<F>, companies: bool) -> Watched {
    match (filter, companies) {
        (Some(_), _) => Watched::All,
        (None, false) => Watched::Types(vec![typename]),
        (None, true) => Watched::Types(vec![typename, "Company"]),
    }
}

macro_rules! live_types {
    (
        $(
            $rows:ident, $agg:ident, $group:ident :
                $target:ident ($entity:ident, $filter:ident, $order:ident);
        )*
    ) => {
        /// Live data per row type: filtered changes, live aggregates and live groups.
        #[derive(Default)]
        pub struct TypeSubscription;

        /// The per-type filtered change subscriptions (`companies`, `aiModels`...): streams
        /// of events without an initial result, which identical subscribers can share.
        pub const ROW_SUBSCRIPTIONS: &[&str] = &[$(stringify!($rows)),*];

        /// The per-type live results (`companiesAggregate`, `companiesGroupBy`...): a result
        /// at once, then a new one after changes.
        const LIVE_RESULTS: &[&str] = &[$(stringify!($agg), stringify!($group),)* "spending_summary"];

        /// Live data per row type: filtered changes, live aggregates and live groups.
        #[Subscription]
        impl TypeSubscription {
            $(
                /// Committed changes to rows of this type that match `filter` after the write
                /// (CREATED, UPDATED), rows updated that do not match it now (LEFT), rows
                /// deleted (DELETED), bulk writes (BULK) and calls to re-read (RESYNC). Only
                /// writes to rows of this type are followed: a filter through a relation is
                /// evaluated when the row itself is written.
                async fn $rows(
                    &self,
                    ctx: &Context<'_>,
                    #[graphql(desc = "Only rows matching this filter (the same input as the type's connection); all when absent.")]
                    filter: Option<Box<$filter>>,
                ) -> Result<impl Stream<Item = Result<RowChange<$target>>> + use<>> {
                    super::live_rows::subscribe::<$target, entity::$entity::Entity, _>(ctx, filter)
                        .await
                }

                /// The `aggregate` of this type's connection with `filter`: sent at once, then
                /// again after each burst of committed changes that may touch it (coalesced,
                /// computed once for all subscribers with the same filter).
                async fn $agg(
                    &self,
                    ctx: &Context<'_>,
                    #[graphql(desc = "Only rows matching this filter (the same input as the type's connection); all when absent.")]
                    filter: Option<Box<$filter>>,
                ) -> Result<impl Stream<Item = Result<Arc<<$target as Aggregated>::Aggregate>>> + use<>> {
                    let backend = db(ctx)?.get_database_backend();
                    let condition = Arc::new(filter_condition(backend, &filter)?);
                    // Subscribers selecting other statistics compute apart.
                    let measures = aggregate_measures(ctx, <$target as Aggregated>::STATS);
                    let key = format!(
                        "aggregate:{}:{}:{}",
                        <$target as GqlNode>::NAME,
                        normalized(&filter),
                        measures.key(),
                    );
                    let watched = watched(<$target as GqlNode>::NAME, &filter, false);
                    let compute: Compute<_> = Arc::new(move |db| {
                        let condition = condition.clone();
                        Box::pin(async move {
                            let scope = Scope::top::<entity::$entity::Entity>(db, condition);
                            aggregate::<$target>(&scope, measures).await
                        })
                    });
                    super::live_analytics::subscribe(ctx, key, watched, compute).await
                }

                /// The `groupBy` of this type's connection with `filter` and the same arguments
                /// as the query: sent at once, then again after each burst of committed changes
                /// that may touch it (coalesced, computed once for all subscribers with the same
                /// arguments).
                #[allow(clippy::too_many_arguments)]
                async fn $group(
                    &self,
                    ctx: &Context<'_>,
                    #[graphql(desc = "Only rows matching this filter (the same input as the type's connection); all when absent.")]
                    filter: Option<Box<$filter>>,
                    #[graphql(desc = "The keys to group by, 1 to 5: fields, or time buckets of date fields.")]
                    by: Vec<GroupKey<$order>>,
                    #[graphql(desc = "Only groups whose aggregates pass every one of these conditions.", default)]
                    having: Vec<Having<$order>>,
                    #[graphql(desc = "Order terms for the groups, applied in the order given; the keys break any remaining tie.", default)]
                    order_by: Vec<GroupOrder<$order>>,
                    #[graphql(desc = "Returns the first N groups (at most 100; 20 when not given).")]
                    first: Option<i32>,
                    #[graphql(desc = "Returns the groups after this cursor.")]
                    after: Option<String>,
                ) -> Result<impl Stream<Item = Result<Arc<GroupConnection<$target>>>> + use<>> {
                    let backend = db(ctx)?.get_database_backend();
                    let condition = Arc::new(filter_condition(backend, &filter)?);
                    let count = ctx.look_ahead().field("totalCount").exists();
                    let measures = group_measures(ctx, <$target as Aggregated>::STATS);
                    let key = format!(
                        "groupBy:{}:{}:{}:{}:{}:{first:?}:{after:?}:{count}:{}",
                        <$target as GqlNode>::NAME,
                        normalized(&filter),
                        normalized(&by),
                        normalized(&having),
                        normalized(&order_by),
                        measures.key(),
                    );
                    let watched = watched(<$target as GqlNode>::NAME, &filter, true);
                    let compute: Compute<_> = Arc::new(move |db| {
                        let condition = condition.clone();
                        let args = GroupArgs {
                            by: by.clone(),
                            having: having.clone(),
                            order_by: order_by.clone(),
                            first,
                            after: after.clone(),
                            count,
                            measures,
                        };
                        Box::pin(async move {
                            let scope = Scope::top::<entity::$entity::Entity>(db, condition);
                            group_by::<$target>(&scope, args).await
                        })
                    });
                    super::live_analytics::subscribe(ctx, key, watched, compute).await
                }
            )*
        }
    };
}

live_types! {
    companies, companies_aggregate, companies_group_by: Company(company, CompanyFilter, CompanyOrderField);
    people, people_aggregate, people_group_by: Person(person, PersonFilter, PersonOrderField);
    ai_models, ai_models_aggregate, ai_models_group_by: AiModel(ai_model, AiModelFilter, AiModelOrderField);
    investments, investments_aggregate, investments_group_by: Investment(investment, InvestmentFilter, InvestmentOrderField);
    projects, projects_aggregate, projects_group_by: Project(project, ProjectFilter, ProjectOrderField);
    spending_figures, spending_figures_aggregate, spending_figures_group_by: SpendingFigure(spending_figure, SpendingFigureFilter, SpendingFigureOrderField);
    claims, claims_aggregate, claims_group_by: Claim(claim, ClaimFilter, ClaimOrderField);
    challenges, challenges_aggregate, challenges_group_by: ClaimChallenge(claim_challenge, ClaimChallengeFilter, ClaimChallengeOrderField);
    events, events_aggregate, events_group_by: Event(event, EventFilter, EventOrderField);
    sources, sources_aggregate, sources_group_by: Source(source, SourceFilter, SourceOrderField);
}

spending_summary_field! {
    live
    /// The live `spendingSummary`.
    impl SummarySubscription {
        /// `spendingSummary` with the same arguments as the query: sent at once, then again
        /// after each burst of committed changes to spending figures or companies
        /// (coalesced, computed once for all subscribers with the same arguments).
        |ctx, args| {
            let key = format!("spendingSummary:{args:?}");
            let watched = Watched::Types(vec!["SpendingFigure", "Company"]);
            let compute: Compute<_> = Arc::new(move |db| {
                let args = args.clone();
                Box::pin(async move { spending_summary(&db, args).await })
            });
            super::live_analytics::subscribe(ctx, key, watched, compute).await
        }
    }
    calendar_view: "A calendar-year view: take the figures whose periods overlap calendar `year` instead of those labelled with it."
}

/// Live data per row type (filtered changes, live aggregates and live groups), then the
/// live `spendingSummary`.
#[derive(MergedSubscription, Default)]
pub struct LiveSubscription(TypeSubscription, SummarySubscription);

/// Whether root field `name` (as the schema spells it) is a per-type filtered change
/// subscription.
pub fn is_row_subscription(name: &str) -> bool {
    ROW_SUBSCRIPTIONS.iter().any(|rows| is_spelled(rows, name))
}

/// Whether root field `name` (as the schema spells it) is a live result: a live
/// `aggregate`, `groupBy` or `spendingSummary`.
pub fn is_live_result(name: &str) -> bool {
    LIVE_RESULTS.iter().any(|field| is_spelled(field, name))
}

/// Whether `name` is how the schema spells `field` (`ai_models` as `aiModels`).
fn is_spelled(field: &str, name: &str) -> bool {
    crate::data::names::camel_chars(field, false).eq(name.chars())
}
