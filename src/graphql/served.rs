//! The schema as served: async-graphql's schema without extensions, with the guard and the
//! choice of a read replica run in front of it.
//!
//! Why not as extensions: as soon as a schema has one extension, async-graphql resolves
//! every field and every list item through the extension chain, whatever hooks the
//! extensions override: a lookup of the field's type in the registry, the type's name
//! formatted (`[Company!]!`), and a boxed future per extension, for each of the thousands of
//! values of a large answer. Without extensions it takes its direct path. So the guard
//! (once `prepare_request`) and the replica choice (once `parse_query`) run here, before the
//! schema, with the same effect. The one hook that must run per field, the answer to
//! `__schema { description }` (which async-graphql fixes to a generic text), runs on a
//! second schema, used only for documents that ask for `__schema`.

use std::ops::Deref;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Data, Executor, Request, Response, Schema, ServerError, ServerResult, Value};

use super::{Mutation, Query, Subscription, guard};
use crate::replicas::{Pools, ReadRoute};

/// async-graphql's schema of this server.
pub type GqlSchema = Schema<Query, Mutation, Subscription>;

/// The schema served over HTTP and WebSocket: every request passes the guard first (see the
/// module's documentation). Derefs to async-graphql's schema for everything else (SDL,
/// introspection of the registry).
#[derive(Clone)]
pub struct AppSchema {
    schema: GqlSchema,
    /// The same schema with the one per-field hook, for documents that ask for `__schema`.
    introspection: GqlSchema,
    limits: guard::Limits,
    pools: Pools,
}

impl Deref for AppSchema {
    type Target = GqlSchema;

    fn deref(&self) -> &GqlSchema {
        &self.schema
    }
}

impl AppSchema {
    pub(super) fn new(
        schema: GqlSchema,
        introspection: GqlSchema,
        limits: guard::Limits,
        pools: Pools,
    ) -> Self {
        AppSchema {
            schema,
            introspection,
            limits,
            pools,
        }
    }

    /// Runs one operation: refused by the guard, or executed.
    pub async fn execute(&self, request: impl Into<Request>) -> Response {
        match self.prepare(request.into()).await {
            Ok((schema, request)) => schema.execute(request).await,
            Err(refused) => Response::from_errors(vec![refused]),
        }
    }

    /// Runs a subscription (or any operation) as a stream of responses.
    pub fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let this = self.clone();
        stream::once(async move {
            match this.prepare(request).await {
                Ok((schema, request)) => Executor::execute_stream(schema, request, session_data),
                Err(refused) => {
                    stream::once(async move { Response::from_errors(vec![refused]) }).boxed()
                }
            }
        })
        .flatten()
        .boxed()
    }

    /// The guard's checks, the parsed document handed to async-graphql (it parses once),
    /// the replica for a document that holds a query, and the schema to run it on.
    async fn prepare(&self, mut request: Request) -> Result<(&GqlSchema, Request), ServerError> {
        let document = guard::check(&request, &self.limits)?;
        let reads = document
            .operations
            .iter()
            .any(|(_, operation)| operation.node.ty == OperationType::Query);
        let schema = if asks_for_schema(&document) {
            &self.introspection
        } else {
            &self.schema
        };
        request.set_parsed_query(document);
        if self.pools.has_replicas() {
            let replica = if reads {
                self.pools.pick_replica().await
            } else {
                None
            };
            request = request.data(ReadRoute::chosen(replica));
        }
        Ok((schema, request))
    }
}

impl Executor for AppSchema {
    fn execute(&self, request: Request) -> impl std::future::Future<Output = Response> + Send {
        let this = self.clone();
        async move { AppSchema::execute(&this, request).await }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        AppSchema::execute_stream(self, request, session_data)
    }
}

/// Whether a root selection of the document (of an operation or a fragment, through inline
/// fragments) is `__schema`: the only place that field is valid.
fn asks_for_schema(document: &ExecutableDocument) -> bool {
    let mut sets: Vec<&SelectionSet> = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| &fragment.node.selection_set.node),
        )
        .collect();
    while let Some(set) = sets.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) if field.node.name.node == "__schema" => return true,
                Selection::Field(_) | Selection::FragmentSpread(_) => {}
                Selection::InlineFragment(inline) => sets.push(&inline.node.selection_set.node),
            }
        }
    }
    false
}

/// The one per-field hook, on the copy of the schema for documents that ask for `__schema`:
/// answers `__schema { description }` with the
/// schema's own description, which async-graphql 7 fixes to a generic text.
pub(super) struct Describe;

impl ExtensionFactory for Describe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Describe)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Describe {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.parent_type == "__Schema" && info.name == "description" {
            return Ok(Some(Value::String(super::SCHEMA_DESCRIPTION.to_string())));
        }
        next.run(ctx, info).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asks(query: &str) -> bool {
        asks_for_schema(&async_graphql::parser::parse_query(query).expect("a valid document"))
    }

    #[test]
    fn documents_asking_for_the_schema_are_told_apart_from_the_rest() {
        assert!(asks("{ __schema { description } }"));
        assert!(asks(
            "query A { companies { totalCount } } query B { s: __schema { description } }"
        ));
        assert!(asks("{ ... on Query { __schema { description } } }"));
        assert!(asks(
            "{ ...F } fragment F on Query { __schema { description } }"
        ));
        assert!(!asks(
            "{ __type(name: \"Company\") { name } companies { totalCount } }"
        ));
        assert!(!asks("{ companies { nodes { name } } }"));
    }
}
