//! Reading a GraphQL request: a POST body or GET parameters, content negotiation, and
//! persisted or trusted documents named instead of sent.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::answer::{execute, execute_batch};
use super::edge::payload_too_large;
use super::{AppState, MAX_BODY_BYTES, error_response};
use crate::graphql::guard;
use crate::persisted::{self, PersistedQueries};
use crate::playground;

/// Whether a `Content-Type` is JSON (`application/json`, with any parameters).
pub(super) fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

pub(super) async fn graphql_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let media = match negotiate(&headers) {
        Ok(media) => media,
        Err(refusal) => return *refusal,
    };
    // Only JSON: a cross-site form can send text/plain or multipart without a preflight.
    if !is_json(&headers) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "POST bodies must be JSON: send `Content-Type: application/json`",
        );
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return payload_too_large();
    }
    // Read at most the limit: a body without a length stops being read past it.
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(err) => {
            let too_large = std::error::Error::source(&err)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            return if too_large {
                payload_too_large()
            } else {
                error_response(
                    StatusCode::BAD_REQUEST,
                    "BAD_REQUEST",
                    "the request body could not be read",
                )
            };
        }
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return match serde_json::from_slice::<Vec<serde_json::Value>>(&bytes) {
            Ok(operations) => execute_batch(&state, &headers, operations, media).await,
            Err(e) => error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("invalid request body: {e}"),
            ),
        };
    }
    let parsed = serde_json::from_slice::<serde_json::Value>(&bytes)
        .map_err(|e| Unusable::Invalid(format!("invalid request body: {e}")))
        .and_then(|body| request_parameters(body, &state.persisted, privileged(&state, &headers)));
    match parsed {
        Ok(request) => execute(&state, &headers, request, true, media).await,
        Err(unusable) => unusable.into_response(),
    }
}

/// Why the parameters of a request do not make a GraphQL request.
pub(super) enum Unusable {
    /// Malformed: 400 `BAD_REQUEST`.
    Invalid(String),
    /// The persisted document it names cannot be used (see [`persisted::Refusal`]).
    Refused(persisted::Refusal),
}

impl Unusable {
    pub(super) fn into_response(self) -> Response {
        match self {
            Unusable::Invalid(message)
            | Unusable::Refused(persisted::Refusal::Invalid(message)) => {
                error_response(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
            }
            // Apollo's clients look for this message and code, in a 200 answer.
            Unusable::Refused(persisted::Refusal::NotFound) => error_response(
                StatusCode::OK,
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound",
            ),
            Unusable::Refused(persisted::Refusal::DocumentNotFound) => error_response(
                StatusCode::BAD_REQUEST,
                "PERSISTED_DOCUMENT_NOT_FOUND",
                "no trusted document has this `documentId`",
            ),
            Unusable::Refused(persisted::Refusal::Untrusted) => error_response(
                StatusCode::FORBIDDEN,
                "UNTRUSTED_DOCUMENT",
                "this server runs only its trusted documents: send a `documentId` from its \
                 manifest",
            ),
        }
    }
}

/// Whether the caller may send documents outside the trusted ones: it holds a write token.
/// Worked out only when the server runs trusted documents alone.
pub(super) fn privileged(state: &AppState, headers: &HeaderMap) -> bool {
    state.persisted.trusted_only()
        && state
            .access
            .authenticate(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()))
            .writer()
            .is_ok()
}

/// The GraphQL-over-HTTP parameters of a JSON body (or of a GET's URL, made into one):
/// `query` a string, `operationName` a string or null, `variables` and `extensions` objects
/// or null. `query` may be left out when `documentId` or `extensions.persistedQuery` names
/// a trusted or kept document.
pub(super) fn request_parameters(
    body: serde_json::Value,
    persisted: &PersistedQueries,
    privileged: bool,
) -> Result<async_graphql::Request, Unusable> {
    let serde_json::Value::Object(mut fields) = body else {
        return Err(Unusable::Invalid(
            "the body must be a JSON object: {\"query\": \"...\"}".into(),
        ));
    };
    let query = match fields.remove("query") {
        Some(serde_json::Value::String(query)) => Some(query),
        None | Some(serde_json::Value::Null) => None,
        Some(_) => return Err(Unusable::Invalid("`query` must be a string".into())),
    };
    let extensions = match fields.remove("extensions") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Object(extensions)) => Some(extensions),
        Some(_) => {
            return Err(Unusable::Invalid(
                "`extensions` must be an object or null".into(),
            ));
        }
    };
    let document_id = match fields.remove("documentId") {
        Some(serde_json::Value::String(id)) => Some(id),
        None | Some(serde_json::Value::Null) => None,
        Some(_) => return Err(Unusable::Invalid("`documentId` must be a string".into())),
    };
    let named = persisted::Named {
        query,
        document_id,
        extensions: extensions.as_ref(),
    };
    let query = persisted
        .resolve(named, privileged)
        .map_err(Unusable::Refused)?;
    let mut request = async_graphql::Request::new(query);
    match fields.remove("operationName") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(name)) => request = request.operation_name(name),
        Some(_) => {
            return Err(Unusable::Invalid(
                "`operationName` must be a string or null".into(),
            ));
        }
    }
    match fields.remove("variables") {
        None | Some(serde_json::Value::Null) => {}
        Some(variables @ serde_json::Value::Object(_)) => {
            request = request.variables(async_graphql::Variables::from_json(variables));
        }
        Some(_) => {
            return Err(Unusable::Invalid(
                "`variables` must be an object or null".into(),
            ));
        }
    }
    Ok(request)
}

/// The parameters of a GET request's URL as the JSON object a POST would send:
/// `variables` and `extensions` are JSON texts there.
pub(super) fn url_parameters(pairs: Vec<(String, String)>) -> Result<serde_json::Value, String> {
    let mut object = serde_json::Map::new();
    for (name, value) in pairs {
        let value = match name.as_str() {
            "query" | "operationName" | "documentId" => serde_json::Value::String(value),
            "variables" | "extensions" => {
                serde_json::from_str(&value).map_err(|e| format!("`{name}` is not JSON: {e}"))?
            }
            _ => continue,
        };
        object.insert(name, value);
    }
    Ok(serde_json::Value::Object(object))
}

/// The media type of a GraphQL answer, chosen by the request's `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Media {
    /// `application/json`: every GraphQL answer is 200, as older clients expect.
    Json,
    /// `application/graphql-response+json`: a request refused before execution is 400
    /// and has no `data`.
    GraphqlResponse,
}

impl Media {
    pub(super) fn content_type(self) -> &'static str {
        match self {
            Media::Json => "application/json",
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
        }
    }
}

/// Content negotiation of the GraphQL-over-HTTP specification: the acceptable media type
/// of the highest quality, `application/graphql-response+json` on a tie; `application/json`
/// for a missing `Accept` or one that takes anything; a 406 answer when neither is
/// acceptable.
pub(super) fn negotiate(headers: &HeaderMap) -> Result<Media, Box<Response>> {
    let accept: Vec<&str> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if accept.is_empty() {
        return Ok(Media::Json);
    }
    let mut best: Option<(f32, Media)> = None;
    for range in accept.iter().flat_map(|v| v.split(',')) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let candidate = match media.as_str() {
            "application/graphql-response+json" => Media::GraphqlResponse,
            "application/json" | "application/*" | "*/*" => Media::Json,
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((q, m)) => {
                quality > q
                    || (quality == q
                        && candidate == Media::GraphqlResponse
                        && m != Media::GraphqlResponse)
            }
        };
        if quality > 0.0 && better {
            best = Some((quality, candidate));
        }
    }
    best.map(|(_, media)| media).ok_or_else(|| {
        Box::new(error_response(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            "answers are application/graphql-response+json or application/json: accept one",
        ))
    })
}

pub(super) async fn graphql_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    parameters: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let pairs = match parameters {
        Ok(Query(pairs)) => pairs,
        Err(e) => {
            return error_response(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                format!("invalid URL parameters: {e}"),
            );
        }
    };
    let asks = pairs
        .iter()
        .any(|(name, _)| ["query", "extensions", "documentId"].contains(&name.as_str()));
    if !asks && wants_html(&headers) {
        let mut page = playground::page().into_response();
        for (name, value) in playground::PAGE_HEADERS {
            page.headers_mut()
                .insert(name, header::HeaderValue::from_static(value));
        }
        return page;
    }
    let media = match negotiate(&headers) {
        Ok(media) => media,
        Err(refusal) => return *refusal,
    };
    let request = match url_parameters(pairs)
        .map_err(Unusable::Invalid)
        .and_then(|object| {
            request_parameters(object, &state.persisted, privileged(&state, &headers))
        }) {
        Ok(request) => request,
        Err(unusable) => return unusable.into_response(),
    };
    if guard::is_mutation(&request.query, request.operation_name.as_deref()) {
        let mut refusal = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            "mutations are sent with POST: a GET request only reads",
        );
        refusal
            .headers_mut()
            .insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return refusal;
    }
    execute(&state, &headers, request, false, media).await
}

pub(super) fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
