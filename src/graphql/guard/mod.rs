//! The request guard: bounds what a GraphQL document may ask before anything parses,
//! validates or runs it.
//!
//! Every check here is linear in the size of the request and recursion-free where the
//! input decides how deep it goes, so a hostile document is refused within milliseconds
//! and can neither overflow a stack nor pin a core:
//!
//! 1. A lexical scan of the raw text (before the parser sees it) bounds the nesting of
//!    input values (objects and lists inside arguments and variable defaults:
//!    `BAD_USER_INPUT`, naming the argument path) and of selection sets
//!    (`QUERY_TOO_DEEP`). The parser, the validation rules and the conversion of input
//!    values into filters all recurse, so nothing deeper may reach them.
//! 2. Variables are walked with an explicit stack: the same nesting limit, and no U+0000
//!    (which PostgreSQL cannot store and SQLite would: refused on both alike).
//! 3. After parsing, the cost of the operation is computed over the fragment expansion,
//!    each fragment costed once and multiplied where it is spread, with every field
//!    multiplied by the page sizes above it (`first`/`last`, 20 when absent, the length of
//!    a list argument such as `ids`). A fan-out of fragments or nested pages that would
//!    expand to millions of fields is refused with `QUERY_TOO_COMPLEX`, the cost and the
//!    limit, before validation (whose own traversal of fragments is not memoized).

use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, VariableDefinition,
};
use async_graphql::parser::{Pos, Positioned, parse_query};
use async_graphql::{ErrorExtensionValues, Request, ServerError, ServerResult, Value, Variables};

mod cost;
mod scan;

pub use cost::warm_up;
use cost::{At, Costing};
use scan::{check_document_strings, check_variables, scan_text};

/// Page size assumed for a connection without `first`/`last`, and for a list field without
/// a list argument: the default page size of every connection.
pub const DEFAULT_PAGE: u64 = 20;
/// Most root fields and connections in one operation (aliases and fragment spreads
/// included): each runs database statements of its own, whatever its page size.
pub const MAX_LISTS: u64 = 100;
/// Most names in the top selection set of an operation, counted before parsing: a field
/// and its alias are two, and some room is left for directives; the exact count of root
/// fields ([`MAX_LISTS`]) follows on the parsed document.
pub(super) const MAX_ROOT_NAMES: usize = 2 * MAX_LISTS as usize + 20;
/// Deepest chain of fragments spreading fragments.
pub const MAX_FRAGMENT_CHAIN: usize = 32;
/// Deepest nesting of list fields inside an introspection query (`types { fields { args
/// } }` is three, what GraphiQL and code generators ask).
pub const MAX_INTROSPECTION_LISTS: usize = 3;

/// Deepest nesting of fields unless configured otherwise.
pub const DEFAULT_MAX_DEPTH: usize = 16;
/// Largest cost unless configured otherwise.
pub const DEFAULT_MAX_COST: usize = 50_000;
/// Deepest nesting of input values unless configured otherwise.
pub const DEFAULT_MAX_INPUT_DEPTH: usize = 16;

/// What a request may ask.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Deepest nesting of fields (through fragments).
    pub max_depth: usize,
    /// Largest cost: fields counted with the page sizes above them.
    pub max_cost: u64,
    /// Deepest nesting of input objects and lists in an argument or a variable.
    pub max_input_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: DEFAULT_MAX_DEPTH,
            max_cost: DEFAULT_MAX_COST as u64,
            max_input_depth: DEFAULT_MAX_INPUT_DEPTH,
        }
    }
}

/// Where the guard writes the name of the operation a request runs, for whoever put it in
/// the request's data (the HTTP layer, for its metrics).
#[derive(Clone, Default)]
pub struct OperationSeen(pub Arc<std::sync::OnceLock<String>>);

/// Runs every check on a request and returns its parsed document.
pub fn check(request: &Request, limits: &Limits) -> ServerResult<ExecutableDocument> {
    scan_text(&request.query, limits)?;
    check_variables(&request.variables, limits)?;
    let document = parse_query(&request.query)?;
    check_document_strings(&document)?;
    let costs = Costing::new(&document, &request.variables, limits);
    for (name, operation) in document.operations.iter() {
        if let Some(wanted) = &request.operation_name
            && name.map(|n| n.as_str()) != Some(wanted.as_str())
        {
            continue;
        }
        let root = match operation.node.ty {
            async_graphql::parser::types::OperationType::Mutation => "Mutation",
            async_graphql::parser::types::OperationType::Subscription => "Subscription",
            async_graphql::parser::types::OperationType::Query => "Query",
        };
        if let Some(name) = name {
            // The request's span (see `http::access_log`) names the operation it ran.
            tracing::Span::current().record("operation", name.as_str());
            if let Some(seen) = request
                .data
                .get(&std::any::TypeId::of::<OperationSeen>())
                .and_then(|d| d.downcast_ref::<OperationSeen>())
            {
                let _ = seen.0.set(name.to_string());
            }
        }
        required_variables(&operation.node.variable_definitions, &request.variables)?;
        let mut costing = costs.clone();
        let walk = costing.selection_set(&operation.node.selection_set, root, At::ROOT)?;
        if walk.cost > limits.max_cost {
            let shown = if walk.cost == u64::MAX {
                "more than 18446744073709551615".to_string()
            } else {
                walk.cost.to_string()
            };
            return Err(refuse(
                "QUERY_TOO_COMPLEX",
                format!(
                    "query is too complex: it may resolve {shown} fields (each field counted \
                     once per item of the pages above it: `first`/`last`, or {DEFAULT_PAGE} when \
                     absent), above the limit of {}; ask for smaller pages or fewer fields",
                    limits.max_cost
                ),
                None,
                Some(operation.pos),
            ));
        }
        if walk.lists > MAX_LISTS {
            return Err(refuse(
                "QUERY_TOO_COMPLEX",
                format!(
                    "query is too complex: it asks for {} root fields and lists (counted through \
                     fragments), each a database query of its own; at most {MAX_LISTS}",
                    walk.lists
                ),
                None,
                Some(operation.pos),
            ));
        }
    }
    Ok(document)
}

/// Every variable of a non-null type without a default has a value (async-graphql would
/// only notice while resolving, as an error of the field).
fn required_variables(
    definitions: &[Positioned<VariableDefinition>],
    variables: &Variables,
) -> ServerResult<()> {
    for definition in definitions {
        let definition = &definition.node;
        let name = &definition.name.node;
        let given = variables.get(name).is_some_and(|v| *v != Value::Null);
        if !definition.var_type.node.nullable && definition.default_value.is_none() && !given {
            return Err(refuse(
                "BAD_USER_INPUT",
                format!(
                    "invalid ${name}: the variable is required (type {}) and has no value",
                    definition.var_type.node
                ),
                Some(format!("${name}")),
                Some(definition.name.pos),
            ));
        }
    }
    Ok(())
}

/// Whether the operation of `query` that would run is a mutation. Only the lexical scan
/// protects the parser here: a document it refuses is no mutation, and the guard refuses
/// it again when it runs.
pub fn is_mutation(query: &str, operation_name: Option<&str>) -> bool {
    operation_type(query, operation_name) == Some(OperationType::Mutation)
}

/// The type of the operation of `query` that would run; `None` when the document does not
/// pass the lexical scan, does not parse, or none would run ([`chosen_operation`]; the
/// guard or async-graphql refuses it again when it runs).
pub fn operation_type(query: &str, operation_name: Option<&str>) -> Option<OperationType> {
    chosen_operation_type(&parse_scanned(query)?, operation_name)
}

/// The document of `query`, when it passes the lexical scan (with the default limits) and
/// parses; `None` otherwise (the guard refuses it again when it runs).
pub fn parse_scanned(query: &str) -> Option<ExecutableDocument> {
    scan_text(query, &Limits::default()).ok()?;
    parse_query(query).ok()
}

/// The operation of `document` that would run, chosen as async-graphql 7.2 chooses it
/// (`prepare_request` in its `schema.rs`): the one named `operation_name` (none when the
/// document's only operation is anonymous), else the document's only operation. `None`
/// where async-graphql refuses the request (no such name; several operations and no name).
pub fn chosen_operation<'a>(
    document: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    match (&document.operations, operation_name) {
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Single(operation), None) => Some(operation),
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The type of the operation of `document` that would run ([`chosen_operation`]).
pub fn chosen_operation_type(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<OperationType> {
    chosen_operation(document, operation_name).map(|operation| operation.node.ty)
}

pub use async_graphql::parser::types::OperationType;

/// A GraphQL error with a code (and the offending input, when there is one).
pub(super) fn refuse(
    code: &str,
    message: String,
    field: Option<String>,
    pos: Option<Pos>,
) -> ServerError {
    let mut error = ServerError::new(message, pos);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    if let Some(field) = field {
        extensions.set("field", field);
    }
    error.extensions = Some(extensions);
    error
}
