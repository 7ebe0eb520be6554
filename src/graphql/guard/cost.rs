//! The cost of an operation: fields counted through fragments (each costed once) and
//! multiplied by the page sizes above them, and the root fields and lists that each run
//! statements of their own.

use std::collections::HashMap;
use std::sync::OnceLock;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, Selection, SelectionSet, TypeKind, TypeSystemDefinition,
};
use async_graphql::parser::{Positioned, parse_schema};
use async_graphql::{Name, ServerResult, Value, Variables};

use super::{DEFAULT_PAGE, Limits, MAX_FRAGMENT_CHAIN, MAX_INTROSPECTION_LISTS, refuse};

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
    /// A list whose length has a known bound (a search hit's matched texts).
    bound: Option<u64>,
}

/// Lists whose length is bounded by the server, by owner type and field.
const BOUNDED_LISTS: &[(&str, &str, u64)] = &[
    ("SearchHit", "matches", crate::search::MAX_MATCHES as u64),
    (
        "SearchMatch",
        "ranges",
        crate::search::DEFAULT_MAX_WORDS as u64,
    ),
];

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
        for sdl in [crate::graphql::sdl(), INTROSPECTION_SDL.to_string()] {
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
                let entry = types.entry(owner.clone()).or_default();
                for field in fields {
                    let (target, list) = named(&field.node.ty.node.base);
                    let list_args = field
                        .node
                        .arguments
                        .iter()
                        .filter(|a| named(&a.node.ty.node.base).1)
                        .map(|a| a.node.name.node.to_string())
                        .collect();
                    let name = field.node.name.node.to_string();
                    let bound = BOUNDED_LISTS
                        .iter()
                        .find(|(o, f, _)| *o == owner && *f == name)
                        .map(|(_, _, n)| *n);
                    entry.insert(
                        name,
                        FieldShape {
                            bound,
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
pub(super) struct Walk {
    pub(super) cost: u64,
    pub(super) depth: usize,
    pub(super) lists: u64,
}

/// Where a selection stands with respect to introspection: outside it, or inside it under
/// this many list fields. Introspection reads the fixed schema; its lists are counted once
/// but their nesting is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Intro {
    No,
    Lists(usize),
}

/// Where a selection set stands: its field depth, how many fragments deep it is, whether
/// it is inside introspection, and the page size of the connection whose fields these are
/// (1 elsewhere).
#[derive(Debug, Clone, Copy)]
pub(super) struct At {
    depth: usize,
    chain: usize,
    intro: Intro,
    page: u64,
}

impl At {
    pub(super) const ROOT: At = At {
        depth: 0,
        chain: 0,
        intro: Intro::No,
        page: 1,
    };
}

/// The cost of operations, fragments costed once each.
#[derive(Clone)]
pub(super) struct Costing<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    limits: Limits,
    model: &'static Model,
    fragments: HashMap<(String, Intro, u64), Walk>,
    open: Vec<String>,
}

impl<'a> Costing<'a> {
    pub(super) fn new(
        document: &'a ExecutableDocument,
        variables: &'a Variables,
        limits: &Limits,
    ) -> Self {
        Costing {
            document,
            variables,
            limits: *limits,
            model: model(),
            fragments: HashMap::new(),
            open: Vec::new(),
        }
    }

    pub(super) fn selection_set(
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
        if let Some(bound) = shape.bound {
            return bound;
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
