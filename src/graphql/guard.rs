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

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest,
};
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, Selection, SelectionSet, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{Pos, Positioned, parse_query, parse_schema};
use async_graphql::{
    ErrorExtensionValues, Name, Request, ServerError, ServerResult, Value, Variables,
};

/// Page size assumed for a connection without `first`/`last`, and for a list field without
/// a list argument: the default page size of every connection.
pub const DEFAULT_PAGE: u64 = 20;
/// Most root fields and connections in one operation (aliases and fragment spreads
/// included): each runs database statements of its own, whatever its page size.
pub const MAX_LISTS: u64 = 100;
/// Most names in the top selection set of an operation, counted before parsing: a field
/// and its alias are two, and some room is left for directives; the exact count of root
/// fields ([`MAX_LISTS`]) follows on the parsed document.
const MAX_ROOT_NAMES: usize = 2 * MAX_LISTS as usize + 20;
/// Deepest chain of fragments spreading fragments.
pub const MAX_FRAGMENT_CHAIN: usize = 32;
/// Deepest nesting of list fields inside an introspection query (`types { fields { args
/// } }` is three, what GraphiQL and code generators ask).
pub const MAX_INTROSPECTION_LISTS: usize = 3;

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
            max_depth: 16,
            max_cost: 50_000,
            max_input_depth: 16,
        }
    }
}

/// The guard as an async-graphql extension, run before parsing.
pub struct Guard(pub Limits);

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExtension(self.0))
    }
}

struct GuardExtension(Limits);

#[async_graphql::async_trait::async_trait]
impl Extension for GuardExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let document = check(&request, &self.0)?;
        // The document is parsed once: async-graphql uses this one instead of parsing again.
        request.set_parsed_query(document);
        next.run(ctx, request).await
    }
}

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
    definitions: &[Positioned<async_graphql::parser::types::VariableDefinition>],
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
    if scan_text(query, &Limits::default()).is_err() {
        return false;
    }
    let Ok(document) = parse_query(query) else {
        return false;
    };
    let mut operations = document.operations.iter();
    let chosen = match operation_name {
        Some(wanted) => operations.find(|(name, _)| name.is_some_and(|n| n.as_str() == wanted)),
        None => operations.next(),
    };
    chosen.is_some_and(|(_, operation)| {
        operation.node.ty == async_graphql::parser::types::OperationType::Mutation
    })
}

/// A GraphQL error with a code (and the offending input, when there is one).
fn refuse(code: &str, message: String, field: Option<String>, pos: Option<Pos>) -> ServerError {
    let mut error = ServerError::new(message, pos);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    if let Some(field) = field {
        extensions.set("field", field);
    }
    error.extensions = Some(extensions);
    error
}

fn too_deep_input(path: String, limit: usize, pos: Option<Pos>) -> ServerError {
    refuse(
        "BAD_USER_INPUT",
        format!(
            "invalid {path}: input values nest deeper than {limit} levels of objects and lists"
        ),
        Some(path),
        pos,
    )
}

/// Shows at most the first segments of a deep path.
fn short_path(segments: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut path = segments
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(".");
    if segments.len() > SHOWN {
        path.push_str(".…");
    }
    path
}

/// The lexical scan: nesting of brackets, told apart by where they stand. Inside
/// parentheses (arguments, variable definitions) `{` and `[` open input values; elsewhere
/// `{` opens a selection set. Strings, block strings and comments are skipped.
fn scan_text(query: &str, limits: &Limits) -> ServerResult<()> {
    // A selection depth this far above the field limit is refused before parsing; the exact
    // field depth (through fragments) is checked on the parsed document.
    let max_braces = limits.max_depth * 2 + 8;
    let bytes = query.as_bytes();
    let mut stack: Vec<u8> = Vec::new();
    let mut parens = 0usize;
    let mut braces = 0usize;
    // The path of input values: the field and argument, then object keys and list items.
    let mut path: Vec<String> = Vec::new();
    let mut value_depth = 0usize;
    let mut last_name: &str = "";
    let mut field_name: &str = "";
    let mut after_colon = false;
    // Names in the top selection set of operations (fields, aliases, directives): a flood of
    // root fields is refused here, before the parser spends time on it.
    let mut root_names = 0usize;
    let mut in_fragment = false;
    let (mut line, mut column) = (1usize, 1usize);
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let pos = Pos { line, column };
        match c {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                let end = skip_string(bytes, i);
                for &b in &bytes[i..end] {
                    if b == b'\n' {
                        line += 1;
                        column = 1;
                    } else {
                        column += 1;
                    }
                }
                i = end;
                after_colon = false;
                continue;
            }
            b'(' => {
                parens += 1;
                stack.push(c);
                if parens == 1 {
                    field_name = last_name;
                }
            }
            b')' if stack.last() == Some(&b'(') => {
                stack.pop();
                parens = parens.saturating_sub(1);
            }
            b'{' | b'[' if parens > 0 => {
                value_depth += 1;
                stack.push(c);
                let segment = if after_colon {
                    last_name.to_string()
                } else {
                    "[]".to_string()
                };
                if path.is_empty() {
                    path.push(format!("{field_name}({segment}:)"));
                } else {
                    path.push(segment);
                }
                if value_depth > limits.max_input_depth {
                    return Err(too_deep_input(
                        short_path(&path),
                        limits.max_input_depth,
                        Some(pos),
                    ));
                }
            }
            b'}' | b']' if parens > 0 => {
                if matches!(stack.last(), Some(b'{') | Some(b'[')) {
                    stack.pop();
                    value_depth = value_depth.saturating_sub(1);
                    path.pop();
                }
            }
            b'{' => {
                braces += 1;
                stack.push(c);
                if braces > max_braces {
                    return Err(refuse(
                        "QUERY_TOO_DEEP",
                        format!(
                            "query is nested too deep: at most {} levels of fields",
                            limits.max_depth
                        ),
                        None,
                        Some(pos),
                    ));
                }
            }
            b'}' if stack.last() == Some(&b'{') => {
                stack.pop();
                braces = braces.saturating_sub(1);
                if braces == 0 {
                    in_fragment = false;
                }
            }
            _ => {}
        }
        if c == b'_' || c.is_ascii_alphabetic() {
            let start = i;
            while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                i += 1;
            }
            last_name = &query[start..i];
            column += i - start;
            after_colon = false;
            if braces == 0 && parens == 0 {
                match last_name {
                    "fragment" => in_fragment = true,
                    "query" | "mutation" | "subscription" => in_fragment = false,
                    _ => {}
                }
            } else if braces == 1 && parens == 0 && !in_fragment {
                root_names += 1;
                if root_names > MAX_ROOT_NAMES {
                    return Err(refuse(
                        "QUERY_TOO_COMPLEX",
                        format!(
                            "query is too complex: more than {MAX_LISTS} root fields (counted \
                             before parsing, with their aliases)"
                        ),
                        None,
                        Some(pos),
                    ));
                }
            }
            continue;
        }
        if !c.is_ascii_whitespace() && c != b',' {
            after_colon = c == b':';
        }
        if c == b'\n' {
            line += 1;
            column = 1;
        } else if c & 0xC0 != 0x80 {
            column += 1;
        }
        i += 1;
    }
    Ok(())
}

/// The index just past the string (or block string) that starts at `start`.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return bytes.len();
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' | b'\n' => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Variables: nesting and NUL, with an explicit stack.
fn check_variables(variables: &Variables, limits: &Limits) -> ServerResult<()> {
    let mut stack: Vec<(&Value, usize, String)> = variables
        .iter()
        .map(|(name, value)| (value, 0, format!("${name}")))
        .collect();
    while let Some((value, depth, path)) = stack.pop() {
        match value {
            Value::List(items) => {
                if depth + 1 > limits.max_input_depth {
                    return Err(too_deep_input(path, limits.max_input_depth, None));
                }
                for (index, item) in items.iter().enumerate() {
                    stack.push((item, depth + 1, format!("{path}[{index}]")));
                }
            }
            Value::Object(fields) => {
                if depth + 1 > limits.max_input_depth {
                    return Err(too_deep_input(path, limits.max_input_depth, None));
                }
                for (key, item) in fields {
                    check_text(key, &path)?;
                    stack.push((item, depth + 1, format!("{path}.{key}")));
                }
            }
            Value::String(text) => check_text(text, &path)?,
            Value::Enum(name) => check_text(name, &path)?,
            _ => {}
        }
    }
    Ok(())
}

/// U+0000 is refused in every text, the same on both engines.
fn check_text(text: &str, path: &str) -> ServerResult<()> {
    if text.contains('\0') {
        return Err(refuse(
            "BAD_USER_INPUT",
            format!("invalid {path}: text contains U+0000 (NUL), which is not accepted"),
            Some(path.to_string()),
            None,
        ));
    }
    Ok(())
}

/// Strings written in the document itself (arguments, directives, variable defaults):
/// no NUL. Their nesting was bounded by the lexical scan, so recursion is safe here.
fn check_document_strings(document: &ExecutableDocument) -> ServerResult<()> {
    fn raw(v: &RawValue, path: &str) -> ServerResult<()> {
        match v {
            RawValue::String(s) => check_text(s, path),
            RawValue::List(items) => items.iter().try_for_each(|i| raw(i, path)),
            RawValue::Object(fields) => fields.values().try_for_each(|i| raw(i, path)),
            _ => Ok(()),
        }
    }
    fn arguments(
        owner: &str,
        args: &[(Positioned<Name>, Positioned<RawValue>)],
    ) -> ServerResult<()> {
        args.iter()
            .try_for_each(|(name, v)| raw(&v.node, &format!("{owner}({}:)", name.node)))
    }
    fn set(s: &SelectionSet) -> ServerResult<()> {
        for item in &s.items {
            for d in item.node.directives() {
                arguments(&format!("@{}", d.node.name.node), &d.node.arguments)?;
            }
            match &item.node {
                Selection::Field(f) => {
                    arguments(&f.node.name.node, &f.node.arguments)?;
                    set(&f.node.selection_set.node)?;
                }
                Selection::InlineFragment(f) => set(&f.node.selection_set.node)?,
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            if let Some(default) = &definition.node.default_value {
                raw(
                    &default.node.clone().into_value(),
                    &format!("${}", definition.node.name.node),
                )?;
            }
        }
        set(&operation.node.selection_set.node)?;
    }
    for fragment in document.fragments.values() {
        set(&fragment.node.selection_set.node)?;
    }
    Ok(())
}

/// The parser's value type: input values as written, with variables.
type RawValue = async_graphql_value::Value;

/// A field's type, as far as the cost needs it.
struct FieldShape {
    /// The named type it returns (lists and non-null unwrapped).
    target: String,
    /// It returns a list.
    list: bool,
    /// It returns a connection (a page of `first`/`last` items).
    connection: bool,
    /// It is a connection's `nodes` or `edges`: as many as the connection's page.
    page: bool,
    /// Its arguments that take lists (`ids`, `inputs`): a list field returns as many.
    list_args: Vec<String>,
}

/// Fields of every type: the schema's SDL, plus the introspection types.
struct Model(HashMap<String, HashMap<String, FieldShape>>);

/// The introspection types of the GraphQL specification, which the SDL leaves out.
const INTROSPECTION_SDL: &str = "
type __Schema { description: String types: [__Type!]! queryType: __Type! mutationType: __Type
  subscriptionType: __Type directives: [__Directive!]! }
type __Type { kind: __TypeKind! name: String description: String specifiedByURL: String
  fields(includeDeprecated: Boolean): [__Field!] interfaces: [__Type!] possibleTypes: [__Type!]
  enumValues(includeDeprecated: Boolean): [__EnumValue!]
  inputFields(includeDeprecated: Boolean): [__InputValue!] ofType: __Type isOneOf: Boolean }
type __Field { name: String! description: String args(includeDeprecated: Boolean): [__InputValue!]!
  type: __Type! isDeprecated: Boolean! deprecationReason: String }
type __InputValue { name: String! description: String type: __Type! defaultValue: String
  isDeprecated: Boolean! deprecationReason: String }
type __EnumValue { name: String! description: String isDeprecated: Boolean! deprecationReason: String }
type __Directive { name: String! description: String locations: [String!]!
  args(includeDeprecated: Boolean): [__InputValue!]! isRepeatable: Boolean! }
type Query { __schema: __Schema! __type(name: String!): __Type }
";

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let mut types: HashMap<String, HashMap<String, FieldShape>> = HashMap::new();
        for sdl in [super::sdl(), INTROSPECTION_SDL.to_string()] {
            let Ok(document) = parse_schema(&sdl) else {
                tracing::error!("the request guard could not read the schema's SDL");
                continue;
            };
            for definition in document.definitions {
                let TypeSystemDefinition::Type(ty) = definition else {
                    continue;
                };
                let fields = match ty.node.kind {
                    TypeKind::Object(o) => o.fields,
                    TypeKind::Interface(i) => i.fields,
                    _ => continue,
                };
                let owner = ty.node.name.node.to_string();
                // A connection's `nodes` and `edges` are its page: the field returning the
                // connection counted their number already.
                let page_of_connection = owner.ends_with("Connection");
                let entry = types.entry(owner).or_default();
                for field in fields {
                    let (target, list) = named(&field.node.ty.node.base);
                    let list_args = field
                        .node
                        .arguments
                        .iter()
                        .filter(|a| named(&a.node.ty.node.base).1)
                        .map(|a| a.node.name.node.to_string())
                        .collect();
                    entry.insert(
                        field.node.name.node.to_string(),
                        FieldShape {
                            connection: !list && target.ends_with("Connection"),
                            page: list && page_of_connection,
                            target,
                            list,
                            list_args,
                        },
                    );
                }
            }
        }
        Model(types)
    })
}

/// Reads the schema once, so that the first request does not pay for it.
pub fn warm_up() {
    model();
}

/// The named type under lists and non-null, and whether there was a list.
fn named(base: &BaseType) -> (String, bool) {
    match base {
        BaseType::Named(name) => (name.to_string(), false),
        BaseType::List(inner) => (named(&inner.base).0, true),
    }
}

/// What a selection set costs, how deep its fields go, and how many of its fields run
/// database statements of their own (root fields and connections, counted where they are
/// written and through every fragment spread, not per item: nested lists load in batches).
#[derive(Debug, Clone, Copy, Default)]
struct Walk {
    cost: u64,
    depth: usize,
    lists: u64,
}

/// Where a selection stands with respect to introspection: outside it, or inside it under
/// this many list fields. Introspection reads the fixed schema; its lists are counted once
/// but their nesting is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Intro {
    No,
    Lists(usize),
}

/// Where a selection set stands: its field depth, how many fragments deep it is, whether
/// it is inside introspection, and the page size of the connection whose fields these are
/// (1 elsewhere).
#[derive(Debug, Clone, Copy)]
struct At {
    depth: usize,
    chain: usize,
    intro: Intro,
    page: u64,
}

impl At {
    const ROOT: At = At {
        depth: 0,
        chain: 0,
        intro: Intro::No,
        page: 1,
    };
}

/// The cost of operations, fragments costed once each.
#[derive(Clone)]
struct Costing<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    limits: Limits,
    model: &'static Model,
    fragments: HashMap<(String, Intro, u64), Walk>,
    open: Vec<String>,
}

impl<'a> Costing<'a> {
    fn new(document: &'a ExecutableDocument, variables: &'a Variables, limits: &Limits) -> Self {
        Costing {
            document,
            variables,
            limits: *limits,
            model: model(),
            fragments: HashMap::new(),
            open: Vec::new(),
        }
    }

    fn selection_set(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        ty: &str,
        at: At,
    ) -> ServerResult<Walk> {
        let mut walk = Walk::default();
        for item in &set.node.items {
            let part = match &item.node {
                Selection::Field(field) => self.field(field, ty, at)?,
                Selection::InlineFragment(fragment) => {
                    let ty = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(ty.to_string(), |c| c.node.on.node.to_string());
                    self.selection_set(&fragment.node.selection_set, &ty, at)?
                }
                Selection::FragmentSpread(spread) => self.spread(&spread.node.fragment_name, at)?,
            };
            walk.cost = walk.cost.saturating_add(part.cost);
            walk.depth = walk.depth.max(part.depth);
            walk.lists = walk.lists.saturating_add(part.lists);
        }
        if at.depth + walk.depth > self.limits.max_depth {
            return Err(refuse(
                "QUERY_TOO_DEEP",
                format!(
                    "query is nested too deep: at most {} levels of fields",
                    self.limits.max_depth
                ),
                None,
                Some(set.pos),
            ));
        }
        Ok(walk)
    }

    fn spread(&mut self, name: &'a Positioned<Name>, at: At) -> ServerResult<Walk> {
        let key = (name.node.to_string(), at.intro, at.page);
        if let Some(walk) = self.fragments.get(&key) {
            return Ok(*walk);
        }
        let Some(fragment) = self.document.fragments.get(&name.node) else {
            // Unknown fragments are left to validation, which names them.
            return Ok(Walk::default());
        };
        if self.open.contains(&key.0) {
            return Err(refuse(
                "GRAPHQL_VALIDATION_FAILED",
                format!("fragment \"{}\" spreads itself", name.node),
                None,
                Some(name.pos),
            ));
        }
        if at.chain + 1 > MAX_FRAGMENT_CHAIN {
            return Err(refuse(
                "QUERY_TOO_DEEP",
                format!("fragments spread fragments more than {MAX_FRAGMENT_CHAIN} deep"),
                None,
                Some(name.pos),
            ));
        }
        self.open.push(key.0.clone());
        let ty = fragment.node.type_condition.node.on.node.to_string();
        let inside = At {
            chain: at.chain + 1,
            ..at
        };
        let walk = self.selection_set(&fragment.node.selection_set, &ty, inside);
        self.open.pop();
        let walk = walk?;
        self.fragments.insert(key, walk);
        Ok(walk)
    }

    fn field(&mut self, field: &'a Positioned<Field>, ty: &str, at: At) -> ServerResult<Walk> {
        let name = field.node.name.node.as_str();
        let shape = self.model.0.get(ty).and_then(|fields| fields.get(name));
        let queries = at.intro == Intro::No
            && !name.starts_with("__")
            && (at.depth == 0 || shape.is_some_and(|s| s.connection));
        let lists = u64::from(queries);
        if field.node.selection_set.node.items.is_empty() {
            return Ok(Walk {
                cost: 1,
                depth: 1,
                lists,
            });
        }
        let target = shape.map_or("", |s| s.target.as_str());
        // A connection passes its page size to its `nodes` and `edges`; its other fields
        // (`totalCount`, `aggregate`, `groupBy`, `pageInfo`) are computed once.
        let mut child_page = 1;
        let (multiplier, intro) = match (at.intro, shape) {
            (Intro::No, _) if name.starts_with("__") => (1, Intro::Lists(0)),
            (Intro::No, Some(s)) if s.connection => {
                child_page = self.multiplier(&field.node, s);
                (1, Intro::No)
            }
            (Intro::No, Some(s)) if s.page => (at.page, Intro::No),
            (Intro::No, s) => (s.map_or(1, |s| self.multiplier(&field.node, s)), Intro::No),
            (Intro::Lists(n), Some(s)) if s.list => {
                if n + 1 > MAX_INTROSPECTION_LISTS {
                    return Err(refuse(
                        "QUERY_TOO_COMPLEX",
                        format!(
                            "introspection nests lists more than {MAX_INTROSPECTION_LISTS} deep"
                        ),
                        None,
                        Some(field.pos),
                    ));
                }
                (1, Intro::Lists(n + 1))
            }
            (inside, _) => (1, inside),
        };
        let below = At {
            depth: at.depth + 1,
            intro,
            page: child_page,
            ..at
        };
        let children = self.selection_set(&field.node.selection_set, target, below)?;
        Ok(Walk {
            cost: multiplier.saturating_mul(children.cost).saturating_add(1),
            depth: children.depth + 1,
            lists: children.lists.saturating_add(lists),
        })
    }

    /// How many items a field returns at most: a connection's page, a list's length.
    fn multiplier(&self, field: &Field, shape: &FieldShape) -> u64 {
        if shape.connection {
            let sizes = ["first", "last"]
                .into_iter()
                .filter_map(|arg| self.argument(field, arg))
                .filter_map(|v| match v {
                    Value::Number(n) => n.as_u64(),
                    _ => None,
                });
            return sizes.max().unwrap_or(DEFAULT_PAGE);
        }
        if shape.list {
            let lengths = shape
                .list_args
                .iter()
                .filter_map(|arg| self.argument(field, arg))
                .filter_map(|v| match v {
                    Value::List(items) => Some(items.len() as u64),
                    _ => None,
                });
            return lengths.max().unwrap_or(DEFAULT_PAGE);
        }
        1
    }

    /// An argument's value with variables put in (absent or unresolvable: `None`).
    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let value = field.get_argument(name)?;
        value
            .node
            .clone()
            .into_const_with(|var| self.variables.get(&var).cloned().ok_or(()))
            .ok()
    }
}
