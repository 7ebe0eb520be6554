//! capex-graph: a GraphQL analytics backend for the AI-investment landscape.
//!
//! `main` only reads settings, sets up tracing, connects, migrates and serves; everything
//! else lives here so tests use the same code: [`graphql::build_schema`] builds the schema,
//! [`http::router`] the axum router around it.

pub mod analytics;
pub mod auth;
pub mod config;
pub mod data;
pub mod dataset;
pub mod db;
pub mod domain;
pub mod error;
pub mod generate;
pub mod graphql;
pub mod http;
pub mod live;
pub mod money;
pub mod monitoring;
pub mod persisted;
pub mod playground;
pub mod replicas;
pub mod search;
pub mod store;
pub mod telemetry;
pub mod trace_context;
pub mod transfer;
