//! Automatic persisted queries, Apollo's protocol: a client sends the SHA-256 of its
//! document in `extensions.persistedQuery`; the server answers from the document it keeps
//! under that hash, or asks for the document once (`PERSISTED_QUERY_NOT_FOUND`), checks
//! that it hashes to the hash, and keeps it. A GET request can then name a document by its
//! hash alone, so a CDN can cache it by URL.
//!
//! The store is bounded: documents are kept up to a total size, the oldest dropped first.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// Total size of the documents kept by default, in bytes.
pub const DEFAULT_STORE_BYTES: usize = 8 * 1024 * 1024;

/// Why a persisted query could not be resolved.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The hash names no document kept here: the client sends the document with it.
    NotFound,
    /// The request is malformed (a GraphQL-over-HTTP request error, 400).
    Invalid(String),
}

/// The documents kept by hash.
#[derive(Clone)]
pub struct PersistedQueries {
    inner: Arc<Mutex<Store>>,
    max_bytes: usize,
}

#[derive(Default)]
struct Store {
    documents: HashMap<String, Arc<str>>,
    order: VecDeque<String>,
    bytes: usize,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        PersistedQueries::new(DEFAULT_STORE_BYTES)
    }
}

impl PersistedQueries {
    /// A store keeping documents up to `max_bytes` in all.
    pub fn new(max_bytes: usize) -> Self {
        PersistedQueries {
            inner: Arc::new(Mutex::new(Store::default())),
            max_bytes,
        }
    }

    /// The document of a request: `query` itself when the request persists nothing; the
    /// kept document when it names one by hash; `query` checked against its hash and kept
    /// when it gives both.
    pub fn resolve(
        &self,
        query: Option<String>,
        extensions: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Result<String, Refusal> {
        let Some(persisted) = extensions.and_then(|e| e.get("persistedQuery")) else {
            return query.ok_or_else(|| Refusal::Invalid("the request has no `query`".into()));
        };
        let version = persisted.get("version").and_then(serde_json::Value::as_i64);
        if version != Some(1) {
            return Err(Refusal::Invalid(
                "`extensions.persistedQuery.version` must be 1".into(),
            ));
        }
        let hash = persisted
            .get("sha256Hash")
            .and_then(serde_json::Value::as_str)
            .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| {
                Refusal::Invalid(
                    "`extensions.persistedQuery.sha256Hash` must be 64 hexadecimal digits".into(),
                )
            })?
            .to_ascii_lowercase();
        match query {
            Some(query) => {
                if sha256_hex(&query) != hash {
                    return Err(Refusal::Invalid("provided sha does not match query".into()));
                }
                self.keep(hash, &query);
                Ok(query)
            }
            None => self
                .get(&hash)
                .map(|q| q.to_string())
                .ok_or(Refusal::NotFound),
        }
    }

    fn get(&self, hash: &str) -> Option<Arc<str>> {
        let store = self.inner.lock().ok()?;
        store.documents.get(hash).cloned()
    }

    fn keep(&self, hash: String, query: &str) {
        if query.len() > self.max_bytes {
            return;
        }
        let Ok(mut store) = self.inner.lock() else {
            return;
        };
        if store.documents.contains_key(&hash) {
            return;
        }
        while store.bytes + query.len() > self.max_bytes {
            let Some(oldest) = store.order.pop_front() else {
                break;
            };
            if let Some(dropped) = store.documents.remove(&oldest) {
                store.bytes -= dropped.len();
            }
        }
        store.bytes += query.len();
        store.order.push_back(hash.clone());
        store.documents.insert(hash, Arc::from(query));
    }
}

/// The SHA-256 of `text`, in lower-case hexadecimal.
pub fn sha256_hex(text: &str) -> String {
    sha256_hex_bytes(text.as_bytes())
}

/// The SHA-256 of `bytes`, in lower-case hexadecimal.
pub fn sha256_hex_bytes(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn persisted(hash: &str) -> serde_json::Map<String, serde_json::Value> {
        let value = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_document_is_kept_by_its_hash_and_found_by_it_alone() {
        let store = PersistedQueries::default();
        let query = "{ companies { totalCount } }";
        let hash = sha256_hex(query);
        let ext = persisted(&hash);
        assert_eq!(store.resolve(None, Some(&ext)), Err(Refusal::NotFound));
        assert_eq!(
            store.resolve(Some(query.into()), Some(&ext)).as_deref(),
            Ok(query)
        );
        assert_eq!(store.resolve(None, Some(&ext)).as_deref(), Ok(query));
        let other = persisted(&sha256_hex("{ x }"));
        assert!(matches!(
            store.resolve(Some(query.into()), Some(&other)),
            Err(Refusal::Invalid(_))
        ));
    }

    #[test]
    fn the_store_drops_its_oldest_documents_past_its_size() {
        let store = PersistedQueries::new(40);
        let first = "{ a0: companies { totalCount } }";
        let second = "{ a1: companies { totalCount } }";
        for query in [first, second] {
            store
                .resolve(Some(query.into()), Some(&persisted(&sha256_hex(query))))
                .expect("kept");
        }
        let find = |q: &str| store.resolve(None, Some(&persisted(&sha256_hex(q))));
        assert_eq!(find(first), Err(Refusal::NotFound));
        assert_eq!(find(second).as_deref(), Ok(second));
    }
}
