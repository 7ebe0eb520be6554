//! The lexical scan of a document's text, and the checks of variables and strings: what
//! must hold before the parser, the validation rules or the filters recurse on any of it.

use async_graphql::parser::Pos;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, ServerError, ServerResult, Value, Variables};

use super::{Limits, MAX_LISTS, MAX_ROOT_NAMES, refuse};

pub(super) fn too_deep_input(path: String, limit: usize, pos: Option<Pos>) -> ServerError {
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
pub(super) fn scan_text(query: &str, limits: &Limits) -> ServerResult<()> {
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
pub(super) fn check_variables(variables: &Variables, limits: &Limits) -> ServerResult<()> {
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
pub(super) fn check_text(text: &str, path: &str) -> ServerResult<()> {
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
pub(super) fn check_document_strings(document: &ExecutableDocument) -> ServerResult<()> {
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
