//! The GraphQL schema: one module per domain, merged into one query root.

use async_graphql::extensions::Tracing;
use async_graphql::parser::types::OperationType;
use async_graphql::{Context, MergedObject, SDLExportOptions, Schema};
use sea_orm::DatabaseConnection;

use crate::error::Error;
use crate::replicas::{Pools, ReadRoute};

pub mod aggregates;
pub mod aliases;
pub mod claims;
pub mod common;
pub mod companies;
pub mod connections;
pub mod entity_filters;
pub mod events;
pub mod filters;
pub mod guard;
pub mod investments;
pub mod lists;
pub mod live;
pub mod live_analytics;
pub mod live_fields;
pub mod live_rows;

pub use self::live::Subscription;
pub(crate) use self::live::live;

/// Every order-field enum, for the modules' resolvers.
pub mod fields {
    pub use super::claims::{ClaimChallengeOrderField, ClaimOrderField};
    pub use super::companies::{CompanyOrderField, PersonOrderField};
    pub use super::events::EventOrderField;
    pub use super::investments::InvestmentOrderField;
    pub use super::models::AiModelOrderField;
    pub use super::projects::{ProjectBackerOrderField, ProjectOrderField};
    pub use super::sources::{CitationOrderField, SourceOrderField};
    pub use super::spending::SpendingFigureOrderField;
}
pub mod loaders;
pub mod models;
pub mod mutations;
pub mod node;
pub mod order;
pub mod paging;
pub mod projects;
pub mod provenance;
pub mod scalars;
pub mod sdl;
pub mod search;
pub mod served;
pub mod sources;
pub mod spending;

/// The root of every query.
#[derive(MergedObject, Default)]
pub struct Query(
    companies::CompanyQuery,
    investments::InvestmentQuery,
    models::ModelQuery,
    projects::ProjectQuery,
    spending::SpendingQuery,
    claims::ClaimQuery,
    events::EventQuery,
    sources::SourceQuery,
    node::NodeQuery,
    search::SearchQuery,
    aliases::LookupQuery,
);

pub use served::{AppSchema, GqlSchema};

pub use mutations::Mutation;

/// How the schema runs: limits that protect the server from abusive queries, and tracing.
#[derive(Debug, Clone, Copy)]
pub struct SchemaOptions {
    /// Deepest nesting of fields.
    pub max_depth: usize,
    /// Largest cost: fields counted once per item of the pages above them (see [`guard`]).
    pub max_complexity: usize,
    /// Deepest nesting of input objects and lists in an argument or variable.
    pub max_input_depth: usize,
    /// A tracing span for every resolved field (async-graphql's `Tracing` extension). Off by
    /// default: it formats every field's path and costs measurable CPU on large responses;
    /// requests are traced either way by the HTTP layer.
    pub trace_fields: bool,
    /// Limits of `search`.
    pub search: crate::search::SearchLimits,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        SchemaOptions {
            max_depth: guard::Limits::default().max_depth,
            max_complexity: guard::Limits::default().max_cost as usize,
            max_input_depth: guard::Limits::default().max_input_depth,
            trace_fields: false,
            search: crate::search::SearchLimits::default(),
        }
    }
}

/// Builds the schema over `db`, with a bus of its own for subscriptions (see
/// [`build_schema_live`]). Does no I/O: the database is only used by requests.
pub fn build_schema(db: DatabaseConnection, options: SchemaOptions) -> AppSchema {
    build_schema_live(db, options, crate::live::Live::default())
}

/// Builds the schema over `db` whose mutations publish and whose subscriptions follow
/// `live` (fed on PostgreSQL by [`crate::live::listen`]). Does no I/O.
pub fn build_schema_live(
    db: DatabaseConnection,
    options: SchemaOptions,
    live: crate::live::Live,
) -> AppSchema {
    build_schema_with(Pools::primary_only(db), options, live)
}

/// Builds the schema over `pools`: queries read a replica when there is one, everything
/// else uses the primary (see [`crate::replicas`]). Does no I/O.
pub fn build_schema_with(
    pools: Pools,
    options: SchemaOptions,
    live: crate::live::Live,
) -> AppSchema {
    guard::warm_up();
    let limits = guard::Limits {
        max_depth: options.max_depth,
        max_cost: options.max_complexity as u64,
        max_input_depth: options.max_input_depth,
    };
    // The guard refuses abusive documents before parsing and validation, in front of the
    // schema (see [`served`]); async-graphql's own depth limit stays as a second line. Its
    // complexity limit is not used: it counts a field once whatever the page size, and not
    // through fragments.
    let build = |describe: bool| {
        let mut builder = Schema::build(
            Query::default(),
            Mutation::default(),
            Subscription::default(),
        )
        .data(pools.clone())
        .data(live.clone())
        .data(options.search)
        .limit_depth(options.max_depth);
        if describe {
            builder = builder.extension(served::Describe);
        }
        if options.trace_fields {
            builder = builder.extension(Tracing);
        }
        builder.finish()
    };
    AppSchema::new(build(false), build(true), limits, pools.clone())
}

/// The schema's description: in the SDL and in introspection (`__schema { description }`).
pub const SCHEMA_DESCRIPTION: &str = "\
capex-graph: the AI-investment landscape as a graph. Who spends how much on AI
infrastructure (capital expenditure, reported or planned), who backs whom, which models
come out of which startups, which projects have which backers, and which claims are made
and who disputes them. Every fact cites the sentence of its source (`citations`); a value
the source does not give is null, never guessed. Reads are public; writes need a bearer
token. Custom scalars state their exact format with `@specifiedBy`.";

/// The schema as SDL, as committed in `schema.graphql`: in sections (see [`sdl`]), with its description as
/// comment lines above `schema { ... }`. Not as a `"""` description there, which the
/// October 2021 spec allows but graphql_client's parser (graphql-parser 0.4) refuses; the
/// description reaches clients through introspection either way.
pub fn sdl() -> String {
    sdl::sectioned(&plain_sdl())
}

/// The schema as async-graphql prints it (sorted alphabetically), with the description
/// comment above `schema { ... }`.
pub(crate) fn plain_sdl() -> String {
    let schema = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish();
    let sdl = schema.sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items()
            .include_specified_by(),
    );
    match sdl.rfind("\nschema {") {
        Some(at) => {
            let comment: String = SCHEMA_DESCRIPTION
                .lines()
                .map(|line| format!("# {line}\n"))
                .collect();
            format!("{}\n{comment}{}", &sdl[..at], &sdl[at + 1..])
        }
        None => sdl,
    }
}

/// The database connection an operation uses: for a `query`, the replica picked for its
/// request (if any); for a mutation (its payload included: it must see its own writes) and
/// a subscription, the primary. (`query_env` is public but hidden from async-graphql's
/// docs; it is the only place a resolver finds its operation's type.)
pub(crate) fn db<'a>(ctx: &'a Context<'_>) -> Result<&'a DatabaseConnection, Error> {
    let pools = ctx
        .data::<Pools>()
        .map_err(|_| Error::Internal("no database connection on the schema".into()))?;
    let replica = match ctx.query_env.operation.node.ty {
        OperationType::Query => ctx.data_opt::<ReadRoute>().and_then(ReadRoute::replica),
        OperationType::Mutation | OperationType::Subscription => None,
    };
    Ok(pools.reader(replica))
}

/// An error on its way to a GraphQL client, already carrying its `extensions.code`.
///
/// It deliberately does not implement `Display`: async-graphql converts any `Display` type
/// into an error without a code, so `?` on our [`Error`] inside a resolver goes through
/// `From<Error>` here instead, which keeps the code.
#[derive(Clone)]
pub struct GqlError(async_graphql::Error);

impl From<Error> for GqlError {
    fn from(err: Error) -> Self {
        use async_graphql::ErrorExtensions;
        GqlError(err.extend())
    }
}

impl From<async_graphql::Error> for GqlError {
    fn from(err: async_graphql::Error) -> Self {
        GqlError(err)
    }
}

impl From<GqlError> for async_graphql::Error {
    fn from(err: GqlError) -> Self {
        err.0
    }
}

/// The result type of every resolver.
pub type Result<T, E = GqlError> = std::result::Result<T, E>;
