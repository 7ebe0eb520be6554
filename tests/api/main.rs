//! Integration tests: every request goes through the real router, on SQLite and, when
//! `TEST_DATABASE_URL` is set, on PostgreSQL too, with the same assertions.

mod helpers;

mod aggregates;
mod aliases;
mod auth;
mod browser;
mod claims;
mod cluster;
mod companies;
mod data;
mod dataset;
mod examples;
mod filters;
mod generate;
mod hostile;
mod http;
mod live;
mod live_analytics;
mod live_filters;
mod loading;
mod mutations;
mod outage;
mod paging;
mod pooler;
mod processes;
mod projects;
mod provenance;
mod races;
mod replicas;
mod schema;
mod search;
mod spending;
mod transfer;
