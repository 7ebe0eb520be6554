//! Puts response fields in the order the query asked for them.
//!
//! The GraphQL specification orders a response map like the selection set. async-graphql
//! 7.2 resolves sibling fields concurrently and writes them in the order they finish, so a
//! slow relation can end up after a later scalar. This module restores the query's order
//! after execution: it walks the operation's selection sets (fragments included) and sorts
//! each object of the response by the position of its keys there.

use std::collections::HashSet;

use async_graphql::Value;
use async_graphql::parser::parse_query;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};

/// The response keys of a selection set, in order, each with its own sub-selection.
#[derive(Default, Debug)]
struct Shape {
    keys: Vec<(String, Shape)>,
}

impl Shape {
    fn position(&self, key: &str) -> usize {
        self.keys
            .iter()
            .position(|(k, _)| k == key)
            .unwrap_or(usize::MAX)
    }

    fn child(&self, key: &str) -> Option<&Shape> {
        self.keys.iter().find(|(k, _)| k == key).map(|(_, s)| s)
    }

    fn add(&mut self, doc: &ExecutableDocument, set: &SelectionSet, seen: &mut HashSet<String>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.alias.as_ref().unwrap_or(&field.name).node.to_string();
                    let index = match self.keys.iter().position(|(k, _)| *k == key) {
                        Some(i) => i,
                        None => {
                            self.keys.push((key, Shape::default()));
                            self.keys.len() - 1
                        }
                    };
                    self.keys[index].1.add(doc, &field.selection_set.node, seen);
                }
                Selection::InlineFragment(fragment) => {
                    self.add(doc, &fragment.node.selection_set.node, seen);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.to_string();
                    if let Some(fragment) =
                        doc.fragments.get(spread.node.fragment_name.node.as_str())
                    {
                        // A fragment cycle is a validation error; never loop on one here.
                        if seen.insert(name.clone()) {
                            self.add(doc, &fragment.node.selection_set.node, seen);
                            seen.remove(&name);
                        }
                    }
                }
            }
        }
    }
}

fn sort(value: &mut Value, shape: &Shape) {
    match value {
        Value::Object(map) => {
            // Objects of serially resolved types are in order already: walk their keys and
            // the shape's together. Sorting would rebuild the map's hash index.
            let mut at = 0;
            let in_order = map.keys().all(|key| {
                match shape.keys[at..].iter().position(|(k, _)| k == key.as_str()) {
                    Some(step) => {
                        at += step;
                        true
                    }
                    None => false,
                }
            });
            if !in_order {
                map.sort_by(|a, _, b, _| {
                    shape.position(a.as_str()).cmp(&shape.position(b.as_str()))
                });
            }
            for (key, child) in map.iter_mut() {
                if matches!(child, Value::Object(_) | Value::List(_))
                    && let Some(sub) = shape.child(key.as_str())
                {
                    sort(child, sub);
                }
            }
        }
        Value::List(items) => {
            for item in items {
                sort(item, shape);
            }
        }
        _ => {}
    }
}

/// Sorts `data` like the selection sets of the operation `operation_name` of `query`.
/// Leaves `data` as it is when the query cannot be parsed or the operation is not found.
pub fn restore_query_order(query: &str, operation_name: Option<&str>, data: &mut Value) {
    let Ok(doc) = parse_query(query) else { return };
    let operation = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    };
    let Some(operation) = operation else { return };
    let mut shape = Shape::default();
    shape.add(
        &doc,
        &operation.node.selection_set.node,
        &mut HashSet::new(),
    );
    sort(data, &shape);
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Name;

    fn object(entries: &[(&str, Value)]) -> Value {
        Value::Object(
            entries
                .iter()
                .map(|(k, v)| (Name::new(k), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn fields_aliases_and_fragments_come_back_in_query_order() {
        let mut data = object(&[(
            "c",
            Value::List(vec![object(&[
                ("models", Value::List(vec![])),
                ("ticker", Value::Null),
                ("n", Value::Null),
            ])]),
        )]);
        let query = "query Q { c: companies { n: name ...F models { name } } } fragment F on Company { ticker }";
        restore_query_order(query, None, &mut data);
        let Value::Object(root) = &data else {
            panic!("object")
        };
        let Some(Value::List(items)) = root.get("c") else {
            panic!("list")
        };
        let Value::Object(first) = &items[0] else {
            panic!("object")
        };
        let keys: Vec<&str> = first.keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, ["n", "ticker", "models"]);
    }
}
