//! `schema.graphql` in sections a reader can skim: the entry points and the domain's row
//! types first, then their values, then the generated helper types (paging, filters,
//! ordering, aggregates, write inputs), each section under a comment header saying what it
//! holds. Clients see the same schema; only the order of the definitions and the comments
//! differ from async-graphql's alphabetical SDL.

/// The sections, in the order they appear in the file, with their headers.
const SECTIONS: [(Section, &str); 10] = [
    (
        Section::Entry,
        "Entry points: what a client can ask (Query), change (Mutation, with a write token) and follow live (Subscription).",
    ),
    (
        Section::Domain,
        "The domain: one type per kind of row, each a Node with a global id, its facts, its relations and its citations.",
    ),
    (
        Section::Values,
        "Values and derived values: money, ranges and bounds, dates at their precision, periods, comparisons, totals, events.",
    ),
    (
        Section::Enums,
        "Enumerations of the domain: kinds, statuses, roles, precisions.",
    ),
    (
        Section::Scalars,
        "Scalars, each with its exact format (@specifiedBy), and the directives.",
    ),
    (
        Section::Paging,
        "Paging, generated for every list: Relay connections, edges and page info.",
    ),
    (
        Section::Filters,
        "Filters, generated for every list: the `filter:` argument, with operators per field and conditions through relations.",
    ),
    (
        Section::Ordering,
        "Ordering, generated for every list: the `orderBy:` argument.",
    ),
    (
        Section::Analytics,
        "Aggregates and group-by, generated for every list: `aggregate` and `groupBy` and their statistics.",
    ),
    (
        Section::Writes,
        "Writes: the inputs of mutations and what they answer.",
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Entry,
    Domain,
    Values,
    Enums,
    Scalars,
    Paging,
    Filters,
    Ordering,
    Analytics,
    Writes,
}

/// One top-level definition: its description lines and its body, as printed.
struct Definition {
    kind: String,
    name: String,
    text: String,
    implements_node: bool,
}

/// Reorders async-graphql's SDL into [`SECTIONS`]; the `schema { ... }` block (with the
/// comment lines above it) stays last. Definitions keep their alphabetical order inside a
/// section.
pub fn sectioned(sdl: &str) -> String {
    let (definitions, tail) = split(sdl);
    let mut out = String::from(
        "# The schema in sections: entry points, the domain's row types, their values and\n\
         # enumerations, scalars; then the helper types generated for every list (paging,\n\
         # filters, ordering, aggregates) and the inputs of writes.\n",
    );
    for (section, header) in SECTIONS {
        let members: Vec<&Definition> = definitions
            .iter()
            .filter(|d| classify(d) == section)
            .collect();
        if members.is_empty() {
            continue;
        }
        out.push_str(&format!("\n# {}\n# {header}\n", "-".repeat(78)));
        for d in members {
            out.push('\n');
            out.push_str(&d.text);
        }
    }
    out.push('\n');
    out.push_str(&tail);
    out
}

/// The top-level definitions, and everything from the first line that is not part of one
/// (the comment lines and `schema { ... }` at the end).
fn split(sdl: &str) -> (Vec<Definition>, String) {
    let lines: Vec<&str> = sdl.lines().collect();
    let mut definitions = Vec::new();
    let mut i = 0;
    let mut pending = String::new();
    let mut comments = String::new();
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("\"\"\"") {
            // A description: up to its closing quotes (the same line when it is one line).
            pending.push_str(line);
            pending.push('\n');
            let one_line = line.len() > 3 && line.ends_with("\"\"\"");
            if !one_line {
                i += 1;
                push_through(&mut pending, &lines, &mut i, "\"\"\"");
            }
            i += 1;
            continue;
        }
        if line.is_empty() {
            i += 1;
            continue;
        }
        if line.starts_with('#') {
            // Comments: section headers (dropped, they are made again) or the schema's
            // description above `schema { ... }` (kept with it).
            comments.push_str(line);
            comments.push('\n');
            i += 1;
            continue;
        }
        let mut words = line.split_whitespace();
        let kind = words.next().unwrap_or_default();
        if kind == "schema" || !is_definition(kind) {
            // The end: the comments above `schema { ... }` and the block itself.
            let mut tail = std::mem::take(&mut comments);
            tail.push_str(&pending);
            tail.push_str(&lines[i..].join("\n"));
            tail.push('\n');
            return (definitions, tail);
        }
        comments.clear();
        let name = words
            .next()
            .unwrap_or_default()
            .trim_end_matches(['{', '('])
            .to_owned();
        let mut text = std::mem::take(&mut pending);
        let implements_node = line.contains("implements Node");
        text.push_str(line);
        text.push('\n');
        if line.ends_with('{') {
            i += 1;
            push_through(&mut text, &lines, &mut i, "}");
        }
        definitions.push(Definition {
            kind: kind.to_owned(),
            name,
            text,
            implements_node,
        });
        i += 1;
    }
    (definitions, pending)
}

/// Appends `lines[*i]` and the lines after it to `out`, each with its newline, up to and
/// including the first line equal to `last`; leaves `*i` on that line.
fn push_through(out: &mut String, lines: &[&str], i: &mut usize, last: &str) {
    while *i < lines.len() {
        out.push_str(lines[*i]);
        out.push('\n');
        if lines[*i] == last {
            break;
        }
        *i += 1;
    }
}

fn is_definition(word: &str) -> bool {
    matches!(
        word,
        "type" | "input" | "enum" | "scalar" | "interface" | "union" | "directive" | "schema"
    )
}

fn classify(d: &Definition) -> Section {
    let name = d.name.as_str();
    let ends = |suffixes: &[&str]| suffixes.iter().any(|s| name.ends_with(s));
    match d.kind.as_str() {
        "scalar" | "directive" => Section::Scalars,
        _ if matches!(name, "Query" | "Mutation" | "Subscription") => Section::Entry,
        _ if d.implements_node || matches!(name, "Node" | "CitedFact") => Section::Domain,
        _ if ends(&[
            "Aggregate",
            "Group",
            "GroupConnection",
            "GroupEdge",
            "GroupKey",
            "GroupOrder",
            "Having",
            "Stats",
        ]) || matches!(name, "AggregateFunction" | "TimeBucket" | "GroupKeyValue") =>
        {
            Section::Analytics
        }
        _ if ends(&["Connection", "Edge"]) || name == "PageInfo" => Section::Paging,
        "input" if ends(&["Filter"]) => Section::Filters,
        _ if ends(&["OrderField"])
            || (d.kind == "input" && ends(&["Order"]))
            || matches!(name, "OrderDirection" | "NullsOrder") =>
        {
            Section::Ordering
        }
        "input" => Section::Writes,
        _ if matches!(name, "Deletion" | "ImportReport") => Section::Writes,
        "enum" => Section::Enums,
        _ => Section::Values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sdl: &str) -> Vec<(String, String)> {
        let (defs, _) = split(sdl);
        let mut names: Vec<_> = defs.into_iter().map(|d| (d.kind, d.name)).collect();
        names.sort();
        names
    }

    #[test]
    fn sections_keep_every_definition_once_and_the_schema_block_last() {
        let plain = crate::graphql::plain_sdl();
        let sectioned = sectioned(&plain);
        assert_eq!(names(&plain), names(&sectioned));
        assert!(names(&plain).len() > 200, "{}", names(&plain).len());
        assert!(sectioned.trim_end().ends_with('}'));
        assert!(sectioned.contains("\nschema {\n"));
        // It is still a schema a parser takes, with the same definitions.
        async_graphql::parser::parse_schema(&sectioned).expect("the sectioned SDL parses");
    }

    #[test]
    fn the_domain_comes_before_the_generated_helpers() {
        let sdl = sectioned(&crate::graphql::plain_sdl());
        let at = |needle: &str| {
            sdl.find(needle)
                .unwrap_or_else(|| panic!("{needle} is missing"))
        };
        assert!(at("type Query {") < at("type Company implements Node"));
        assert!(at("type Company implements Node") < at("type MoneyRange {"));
        assert!(at("type MoneyRange {") < at("type CompanyConnection {"));
        assert!(at("type CompanyConnection {") < at("input CompanyFilter {"));
        assert!(at("input CompanyFilter {") < at("enum CompanyOrderField {"));
        assert!(at("enum CompanyOrderField {") < at("type CompanyAggregate {"));
        assert!(at("type CompanyAggregate {") < at("input CompanyInput {"));
        let (defs, _) = split(&sdl);
        let domain: Vec<_> = defs
            .iter()
            .filter(|d| classify(d) == Section::Domain)
            .map(|d| d.name.as_str())
            .collect();
        for row in [
            "Company",
            "Investment",
            "SpendingFigure",
            "Claim",
            "Citation",
            "Node",
        ] {
            assert!(domain.contains(&row), "{row} not in {domain:?}");
        }
        assert!(!domain.contains(&"CompanyConnection"));
    }
}
