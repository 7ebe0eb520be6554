//! What the WebSocket endpoint learns from a `subscribe`'s document, kept by its text.
//!
//! Before a subscription starts, the server needs two facts from its document: the type of
//! the operation that would run (only subscriptions run over WebSocket) and whether
//! identical subscribers can share its execution ([`Sharing`]). Each took a parse: in a
//! benchmark where 1,000 clients subscribed again after each pause, the GraphQL parser took
//! about a third of the fan-out threads' CPU, while the clients sent one document between
//! them. A reconnect storm (every client of an instance after a restart or a deploy) looks
//! the same. So a document is parsed once for both facts, and the facts are kept by its
//! text and operation name: the next `subscribe` with the same document parses nothing
//! until its execution starts (a shared one that is already running, not even then).
//!
//! Bounded: documents longer than [`MAX_KEPT_DOCUMENT_BYTES`] are not kept (they are
//! parsed each time, once), and when [`MAX_KEPT_DOCUMENTS`] are kept, the next new one
//! empties the store first. So the store holds at most about 4 MiB, and a client that
//! sends a new document each time only makes itself parse, as it would without the store.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, Mutex};

use super::shared::{Sharing, lock, sharing};
use crate::graphql::guard::{OperationType, chosen_operation_type, parse_scanned};

/// Most documents kept.
pub const MAX_KEPT_DOCUMENTS: usize = 512;
/// Longest document kept, in bytes (8 KiB), its operation name counted.
pub const MAX_KEPT_DOCUMENT_BYTES: usize = 8 * 1024;

/// What a document says, for one operation name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Kind {
    /// The type of the operation that would run; `None` when the document does not pass
    /// the lexical scan, does not parse, or none would run (see `chosen_operation`).
    pub(super) operation: Option<OperationType>,
    /// How identical subscribers share its execution, when they can.
    pub(super) sharing: Option<Sharing>,
}

impl Kind {
    /// Parses `query` (after the guard's lexical scan).
    fn of(query: &str, operation_name: Option<&str>) -> Kind {
        let Some(document) = parse_scanned(query) else {
            return Kind::default();
        };
        Kind {
            operation: chosen_operation_type(&document, operation_name),
            sharing: sharing(&document, operation_name),
        }
    }
}

/// The kinds of documents seen, by text and operation name.
pub(super) struct Documents {
    kept: Mutex<HashMap<(String, Option<String>), Kind>>,
    max: usize,
    /// Documents parsed so far.
    parsed: AtomicUsize,
}

impl Documents {
    pub(super) fn new(max: usize) -> Documents {
        Documents {
            kept: Mutex::default(),
            max,
            parsed: AtomicUsize::new(0),
        }
    }

    /// The kind of `query`'s operation `operation_name`: kept, or parsed (and kept when it
    /// is short enough).
    pub(super) fn kind(&self, query: &str, operation_name: Option<&str>) -> Kind {
        if query.len() + operation_name.map_or(0, str::len) > MAX_KEPT_DOCUMENT_BYTES {
            return self.parse(query, operation_name);
        }
        let key = (query.to_string(), operation_name.map(str::to_string));
        if let Some(kind) = lock(&self.kept).get(&key) {
            return *kind;
        }
        // Parsed without the lock: another connection may parse the same document
        // meanwhile, and keep the same kind.
        let kind = self.parse(query, operation_name);
        let mut kept = lock(&self.kept);
        if kept.len() >= self.max {
            kept.clear();
        }
        kept.insert(key, kind);
        kind
    }

    fn parse(&self, query: &str, operation_name: Option<&str>) -> Kind {
        self.parsed.fetch_add(1, Ordering::Relaxed);
        Kind::of(query, operation_name)
    }

    /// How many documents are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        lock(&self.kept).len()
    }
}

/// The process's documents (a document's kind does not depend on the instance).
pub(super) fn documents() -> &'static Documents {
    static DOCUMENTS: LazyLock<Documents> = LazyLock::new(|| Documents::new(MAX_KEPT_DOCUMENTS));
    &DOCUMENTS
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHANGES: &str = r#"subscription { changes(types: ["Company"]) { kind id } }"#;
    const AGGREGATE: &str = "subscription { companiesAggregate { count } }";

    #[test]
    fn a_kept_kind_is_the_kind_parsed() {
        let documents = Documents::new(16);
        let two =
            "subscription A { companiesAggregate { count } } query B { companies { totalCount } }";
        let cases = [
            (CHANGES, None),
            (AGGREGATE, None),
            ("{ companies { totalCount } }", None),
            ("mutation { deleteCompany(id: \"x\") }", None),
            (two, Some("A")),
            (two, Some("B")),
            (two, Some("C")),
            ("subscription {", None),
        ];
        for (n, (query, name)) in cases.into_iter().enumerate() {
            let parsed = Kind::of(query, name);
            assert_eq!(documents.kind(query, name), parsed, "{query} {name:?}");
            assert_eq!(
                documents.kind(query, name),
                parsed,
                "{query} {name:?}, kept"
            );
            assert_eq!(
                documents.parsed.load(Ordering::Relaxed),
                n + 1,
                "{query} {name:?}: parsed once"
            );
        }
        assert_eq!(documents.len(), cases.len());
        assert_eq!(
            documents.kind(CHANGES, None),
            Kind {
                operation: Some(OperationType::Subscription),
                sharing: Some(Sharing::Events(1)),
            }
        );
        assert_eq!(
            documents.kind(AGGREGATE, None).sharing,
            Some(Sharing::Result)
        );
        // The operation name tells them apart; a missing one does not exist.
        assert_eq!(
            documents.kind(two, Some("A")).sharing,
            Some(Sharing::Result)
        );
        assert_eq!(
            documents.kind(two, Some("B")).operation,
            Some(OperationType::Query)
        );
        assert_eq!(documents.kind(two, Some("C")), Kind::default());
        assert_eq!(documents.kind("subscription {", None), Kind::default());
    }

    #[test]
    fn the_documents_kept_stay_bounded() {
        let documents = Documents::new(4);
        for n in 0..50 {
            let query = format!("subscription S{n} {{ companiesAggregate {{ count }} }}");
            assert_eq!(
                documents.kind(&query, None).sharing,
                Some(Sharing::Result),
                "{query}"
            );
            assert!(documents.len() <= 4, "{} kept", documents.len());
        }
        // Too long to keep, and still classified.
        let long = format!(
            "subscription {{ companiesAggregate {{ count }} }}{}",
            " ".repeat(MAX_KEPT_DOCUMENT_BYTES)
        );
        let before = documents.len();
        assert_eq!(documents.kind(&long, None).sharing, Some(Sharing::Result));
        assert_eq!(documents.len(), before);
        let parsed = documents.parsed.load(Ordering::Relaxed);
        documents.kind(&long, None);
        assert_eq!(
            documents.parsed.load(Ordering::Relaxed),
            parsed + 1,
            "parsed again"
        );
    }
}
