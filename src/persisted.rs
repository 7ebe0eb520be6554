//! Persisted documents, two ways:
//!
//! - **Automatic persisted queries**, Apollo's protocol: a client sends the SHA-256 of its
//!   document in `extensions.persistedQuery`; the server answers from the document it
//!   keeps under that hash, or asks for the document once (`PERSISTED_QUERY_NOT_FOUND`),
//!   checks that it hashes to the hash, and keeps it. A GET request can then name a
//!   document by its hash alone, so a CDN can cache it by URL. The store is bounded:
//!   documents are kept up to a total size, the oldest dropped first.
//! - **Trusted documents**: a manifest of the operations a deployment's own frontends send,
//!   loaded at start (`TRUSTED_DOCUMENTS`), in the format graphql-codegen's client preset
//!   writes (`persisted-documents.json`: `{"<sha256>": "<document>"}`) or Apollo's
//!   persisted query manifest. A client names one by `documentId` (`"sha256:<hex>"` or the
//!   bare id) or by its APQ hash. With `TRUSTED_DOCUMENTS_ONLY`, any other document is
//!   refused (`UNTRUSTED_DOCUMENT`), except from a caller holding a write token (operators
//!   and their tools), and nothing is added to the automatic store.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// Total size of the documents kept by default, in bytes.
pub const DEFAULT_STORE_BYTES: usize = 8 * 1024 * 1024;

/// Why a persisted query could not be resolved.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The APQ hash names no document kept here: the client sends the document with it.
    NotFound,
    /// The `documentId` names no trusted document (400 `PERSISTED_DOCUMENT_NOT_FOUND`).
    DocumentNotFound,
    /// Only trusted documents are run, and this is not one (403 `UNTRUSTED_DOCUMENT`).
    Untrusted,
    /// The request is malformed (a GraphQL-over-HTTP request error, 400).
    Invalid(String),
}

/// What a request gives to name its document.
#[derive(Debug, Default)]
pub struct Named<'a> {
    /// The document's text (`query`).
    pub query: Option<String>,
    /// `documentId`: a trusted document's id, `sha256:<hex>` or as the manifest has it.
    pub document_id: Option<String>,
    /// `extensions`, where `persistedQuery` may give an APQ hash.
    pub extensions: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// The documents kept by hash, and the trusted documents of the deployment.
#[derive(Clone)]
pub struct PersistedQueries {
    inner: Arc<Mutex<Store>>,
    max_bytes: usize,
    trusted: Option<Arc<TrustedDocuments>>,
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
    /// A store keeping documents up to `max_bytes` in all, with no trusted documents.
    pub fn new(max_bytes: usize) -> Self {
        PersistedQueries {
            inner: Arc::new(Mutex::new(Store::default())),
            max_bytes,
            trusted: None,
        }
    }

    /// The same store with the deployment's trusted documents.
    pub fn with_trusted(mut self, trusted: TrustedDocuments) -> Self {
        self.trusted = Some(Arc::new(trusted));
        self
    }

    /// Whether only trusted documents are run (for callers without a write token).
    pub fn trusted_only(&self) -> bool {
        self.trusted.as_ref().is_some_and(|t| t.only)
    }

    /// The document of a request:
    /// - its `query` when it persists nothing (when only trusted documents run, and the
    ///   caller is not `privileged`, the text must be one of them);
    /// - the trusted or kept document its `documentId` or APQ hash names;
    /// - `query` checked against its hash, and kept, when it gives both.
    pub fn resolve(&self, named: Named<'_>, privileged: bool) -> Result<String, Refusal> {
        let apq = apq_hash(named.extensions)?;
        let id = named.document_id.as_deref().map(document_id).transpose()?;
        if let (Some(apq), Some(id)) = (&apq, &id)
            && apq != id
        {
            return Err(Refusal::Invalid(
                "`documentId` and `extensions.persistedQuery.sha256Hash` name different \
                 documents"
                    .into(),
            ));
        }
        let only = self.trusted_only() && !privileged;
        match named.query {
            // Nothing to check, look up or keep: the text is not hashed.
            Some(query) if apq.is_none() && id.is_none() && !only => Ok(query),
            Some(query) => {
                let hash = sha256_hex(&query);
                if let Some(named) = apq.as_ref().or(id.as_ref())
                    && named.len() == 64
                    && *named != hash
                {
                    return Err(Refusal::Invalid("provided sha does not match query".into()));
                }
                if only && self.trusted_document(&hash).is_none() {
                    return Err(Refusal::Untrusted);
                }
                if apq.is_some() && !self.trusted_only() {
                    self.keep(hash, &query);
                }
                Ok(query)
            }
            None => {
                let Some(name) = id.as_ref().or(apq.as_ref()) else {
                    return Err(Refusal::Invalid(
                        "the request has no `query` (nor a `documentId`)".into(),
                    ));
                };
                if let Some(document) = self.trusted_document(name) {
                    return Ok(document.to_string());
                }
                if !self.trusted_only()
                    && let Some(document) = self.get(name)
                {
                    return Ok(document.to_string());
                }
                Err(if id.is_some() {
                    Refusal::DocumentNotFound
                } else {
                    Refusal::NotFound
                })
            }
        }
    }

    fn trusted_document(&self, id: &str) -> Option<&Arc<str>> {
        self.trusted.as_ref()?.documents.get(id)
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

/// The APQ hash of `extensions.persistedQuery`, lower-cased, if there is one.
fn apq_hash(
    extensions: Option<&serde_json::Map<String, serde_json::Value>>,
) -> Result<Option<String>, Refusal> {
    let Some(persisted) = extensions.and_then(|e| e.get("persistedQuery")) else {
        return Ok(None);
    };
    let version = persisted.get("version").and_then(serde_json::Value::as_i64);
    if version != Some(1) {
        return Err(Refusal::Invalid(
            "`extensions.persistedQuery.version` must be 1".into(),
        ));
    }
    persisted
        .get("sha256Hash")
        .and_then(serde_json::Value::as_str)
        .filter(|h| is_sha256_hex(h))
        .map(|h| Some(h.to_ascii_lowercase()))
        .ok_or_else(|| {
            Refusal::Invalid(
                "`extensions.persistedQuery.sha256Hash` must be 64 hexadecimal digits".into(),
            )
        })
}

/// Longest `documentId` accepted, in bytes.
const MAX_DOCUMENT_ID_BYTES: usize = 256;

/// A `documentId` as the manifest keys it: `sha256:<hex>` becomes the lower-case hex.
fn document_id(id: &str) -> Result<String, Refusal> {
    if id.is_empty() || id.len() > MAX_DOCUMENT_ID_BYTES || id.chars().any(char::is_control) {
        return Err(Refusal::Invalid(format!(
            "`documentId` must be a non-empty id of at most {MAX_DOCUMENT_ID_BYTES} bytes, \
             such as \"sha256:<64 hexadecimal digits>\""
        )));
    }
    match id.strip_prefix("sha256:") {
        Some(hex) if is_sha256_hex(hex) => Ok(hex.to_ascii_lowercase()),
        Some(_) => Err(Refusal::Invalid(
            "a `documentId` of the form sha256:... needs 64 hexadecimal digits".into(),
        )),
        None if is_sha256_hex(id) => Ok(id.to_ascii_lowercase()),
        None => Ok(id.to_string()),
    }
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The trusted documents of a deployment, by id and by the SHA-256 of their text.
#[derive(Debug)]
pub struct TrustedDocuments {
    documents: HashMap<String, Arc<str>>,
    count: usize,
    only: bool,
}

impl TrustedDocuments {
    /// Reads a manifest: graphql-codegen's `persisted-documents.json` (`{"<id>": "<document>"}`)
    /// or Apollo's persisted query manifest (`{"format": "apollo-persisted-query-manifest",
    /// "operations": [{"id", "body", ...}]}`). Every document must parse. `only`: refuse any
    /// other document.
    pub fn from_json(text: &str, only: bool) -> Result<Self, String> {
        let manifest: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let entries: Vec<(String, String)> = match &manifest {
            serde_json::Value::Object(map)
                if map.get("format").and_then(|f| f.as_str())
                    == Some("apollo-persisted-query-manifest") =>
            {
                let operations = map
                    .get("operations")
                    .and_then(|o| o.as_array())
                    .ok_or("an Apollo manifest needs an `operations` array")?;
                operations
                    .iter()
                    .enumerate()
                    .map(|(i, op)| {
                        let field = |name: &str| {
                            op.get(name)
                                .and_then(|v| v.as_str())
                                .map(str::to_string)
                                .ok_or(format!("operations[{i}] has no string `{name}`"))
                        };
                        Ok((field("id")?, field("body")?))
                    })
                    .collect::<Result<_, String>>()?
            }
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(id, document)| match document.as_str() {
                    Some(document) => Ok((id.clone(), document.to_string())),
                    None => Err(format!("the document of {id:?} is not a string")),
                })
                .collect::<Result<_, String>>()?,
            _ => return Err("a manifest is a JSON object".into()),
        };
        if entries.is_empty() {
            return Err("the manifest holds no documents".into());
        }
        let mut documents = HashMap::new();
        for (id, document) in &entries {
            async_graphql::parser::parse_query(document)
                .map_err(|e| format!("the document of {id:?} does not parse: {e}"))?;
            let id = document_id(id).map_err(|_| format!("{id:?} is not a usable id"))?;
            let document: Arc<str> = Arc::from(document.as_str());
            documents.insert(sha256_hex(&document), document.clone());
            documents.insert(id, document);
        }
        Ok(TrustedDocuments {
            documents,
            count: entries.len(),
            only,
        })
    }

    /// Reads the manifest at `path` (see [`TrustedDocuments::from_json`]).
    pub fn load(path: &std::path::Path, only: bool) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::from_json(&text, only).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// How many documents the manifest holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether the manifest is empty (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// The SHA-256 of `text`, in lower-case hexadecimal.
pub fn sha256_hex(text: &str) -> String {
    sha256_hex_bytes(text.as_bytes())
}

/// The SHA-256 of `bytes`, in lower-case hexadecimal.
pub fn sha256_hex_bytes(bytes: &[u8]) -> String {
    crate::trace_context::hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn persisted(hash: &str) -> serde_json::Map<String, serde_json::Value> {
        let value = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });
        value.as_object().cloned().unwrap_or_default()
    }

    fn apq<'a>(
        query: Option<&str>,
        extensions: &'a serde_json::Map<String, serde_json::Value>,
    ) -> Named<'a> {
        Named {
            query: query.map(str::to_string),
            document_id: None,
            extensions: Some(extensions),
        }
    }

    fn text(query: &str) -> Named<'static> {
        Named {
            query: Some(query.to_string()),
            ..Named::default()
        }
    }

    fn id(id: &str) -> Named<'static> {
        Named {
            document_id: Some(id.to_string()),
            ..Named::default()
        }
    }

    #[test]
    fn a_document_is_kept_by_its_hash_and_found_by_it_alone() {
        let store = PersistedQueries::default();
        let query = "{ companies { totalCount } }";
        let hash = sha256_hex(query);
        let ext = persisted(&hash);
        assert_eq!(
            store.resolve(apq(None, &ext), false),
            Err(Refusal::NotFound)
        );
        assert_eq!(
            store.resolve(apq(Some(query), &ext), false).as_deref(),
            Ok(query)
        );
        assert_eq!(store.resolve(apq(None, &ext), false).as_deref(), Ok(query));
        let other = persisted(&sha256_hex("{ x }"));
        assert!(matches!(
            store.resolve(apq(Some(query), &other), false),
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
                .resolve(apq(Some(query), &persisted(&sha256_hex(query))), false)
                .expect("kept");
        }
        let find = |q: &str| store.resolve(apq(None, &persisted(&sha256_hex(q))), false);
        assert_eq!(find(first), Err(Refusal::NotFound));
        assert_eq!(find(second).as_deref(), Ok(second));
    }

    const TRUSTED: &str = "query Count { companies { totalCount } }";

    fn manifest(only: bool) -> PersistedQueries {
        let manifest = json!({ sha256_hex(TRUSTED): TRUSTED, "custom-id-7": "{ __typename }" });
        let trusted = TrustedDocuments::from_json(&manifest.to_string(), only).expect("loads");
        assert_eq!(trusted.len(), 2);
        PersistedQueries::default().with_trusted(trusted)
    }

    #[test]
    fn trusted_documents_are_found_by_document_id_apq_hash_or_text() {
        let store = manifest(true);
        let hash = sha256_hex(TRUSTED);
        for named in [
            id(&format!("sha256:{hash}")),
            id(&hash.to_uppercase()),
            text(TRUSTED),
        ] {
            assert_eq!(store.resolve(named, false).as_deref(), Ok(TRUSTED));
        }
        let ext = persisted(&hash);
        assert_eq!(
            store.resolve(apq(None, &ext), false).as_deref(),
            Ok(TRUSTED)
        );
        assert_eq!(
            store.resolve(id("custom-id-7"), false).as_deref(),
            Ok("{ __typename }")
        );
        assert_eq!(
            store.resolve(id(&format!("sha256:{}", sha256_hex("{ x }"))), false),
            Err(Refusal::DocumentNotFound)
        );
        assert!(matches!(
            store.resolve(id("sha256:abc"), false),
            Err(Refusal::Invalid(_))
        ));
    }

    #[test]
    fn only_trusted_documents_run_unless_the_caller_is_privileged() {
        let store = manifest(true);
        let other = "{ companies { totalCount } }";
        assert_eq!(store.resolve(text(other), false), Err(Refusal::Untrusted));
        assert_eq!(store.resolve(text(other), true).as_deref(), Ok(other));
        // Nothing is registered by APQ: the hash alone still finds nothing.
        let ext = persisted(&sha256_hex(other));
        assert_eq!(
            store.resolve(apq(Some(other), &ext), false),
            Err(Refusal::Untrusted)
        );
        assert_eq!(
            store.resolve(apq(Some(other), &ext), true).as_deref(),
            Ok(other)
        );
        assert_eq!(
            store.resolve(apq(None, &ext), false),
            Err(Refusal::NotFound)
        );
        // Without `only`, trusted documents are a head start and anything else runs.
        let open = manifest(false);
        assert_eq!(open.resolve(text(other), false).as_deref(), Ok(other));
    }

    #[test]
    fn manifests_in_both_formats_load_and_bad_ones_say_why() {
        let apollo = json!({
            "format": "apollo-persisted-query-manifest", "version": 1,
            "operations": [{ "id": sha256_hex(TRUSTED), "name": "Count", "type": "query", "body": TRUSTED }]
        });
        let loaded = TrustedDocuments::from_json(&apollo.to_string(), true).expect("loads");
        assert_eq!(loaded.len(), 1);
        for (bad, why) in [
            ("[]", "a manifest is a JSON object"),
            ("{}", "holds no documents"),
            (r#"{"a": 1}"#, "is not a string"),
            (r#"{"a": "{ x"}"#, "does not parse"),
            ("{", "not JSON"),
        ] {
            let error = TrustedDocuments::from_json(bad, true).expect_err(bad);
            assert!(error.contains(why), "{bad}: {error}");
        }
    }
}
