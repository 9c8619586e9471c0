//! `reprint serve`: one index shared over HTTP by a newsroom's ingestion workers.
//!
//! Handlers are thin: each parses and checks its JSON, runs one [`Backend`] call on the blocking
//! pool (an LMDB transaction must not hold an async worker), and answers in JSON. Everything
//! around them is middleware: authentication (a bearer token compared in constant time) on every
//! route but `/healthz`, a body limit (413), a per-request timeout (503), and the metrics that
//! `/metrics` serves in Prometheus' text format. Logs name route, status and latency, and never
//! carry article text.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /v1/check` | one document | `{"id", "matches": [...]}`; nothing stored |
//! | `POST /v1/documents` | one document or an array | the same with a `status`, one per document, in order; durable when `2xx`; one document that cannot be stored is a 409 |
//! | `GET /v1/documents/{id}` | | `{"id", "meta", "cluster"}` |
//! | `DELETE /v1/documents/{id}` | | `{"id", "removed": true}` |
//! | `GET /v1/stats` | | the index's statistics |
//! | `GET /metrics` | | Prometheus text |
//! | `GET /healthz` | | `ok`, without a token |

mod backend;
mod metrics;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::corpus::Document;

pub use metrics::Metrics;

/// What the server asks of an index. [`Index`](crate::Index) is the one implementation; the trait
/// keeps the HTTP layer independent of the store behind it.
pub trait Backend: Send + Sync + 'static {
    /// The matches of a document against what is held, storing nothing.
    fn check(&self, doc: &Document) -> Result<Value, String>;
    /// Adds documents in one durable transaction; one answer per document, in order.
    fn add(&self, docs: Vec<Document>) -> Result<Vec<Value>, String>;
    /// Removes a document; `false` if it was not held.
    fn remove(&self, id: &str) -> Result<bool, String>;
    /// A held document's metadata and cluster, if it is held.
    fn get(&self, id: &str) -> Result<Option<Value>, String>;
    /// Counts and sizes, as a JSON object.
    fn stats(&self) -> Result<Value, String>;
}

/// Limits and identity of a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address to listen on. Default `127.0.0.1:8750`: loopback unless told otherwise.
    pub listen: SocketAddr,
    /// The bearer token every route but `/healthz` requires.
    pub token: String,
    /// Largest request body accepted, in bytes (413 beyond). Default 10 MB.
    pub max_body: usize,
    /// Longest a request may take before it is answered 503. Default 30 s.
    pub timeout: Duration,
    /// Most documents in one `POST /v1/documents`. Default 1,000.
    pub max_batch: usize,
}

impl ServerConfig {
    /// A configuration with the defaults and this token.
    pub fn new(token: impl Into<String>) -> ServerConfig {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8750)),
            token: token.into(),
            max_body: 10 * 1024 * 1024,
            timeout: Duration::from_secs(30),
            max_batch: 1000,
        }
    }
}

struct AppState {
    backend: Arc<dyn Backend>,
    config: ServerConfig,
    metrics: Metrics,
}

type Shared = Arc<AppState>;

/// The service's routes with their middleware, ready to serve.
pub fn router(backend: Arc<dyn Backend>, config: ServerConfig) -> Router {
    let state = Arc::new(AppState {
        backend,
        metrics: Metrics::default(),
        config,
    });
    let authenticated = Router::new()
        .route("/v1/check", post(check))
        .route("/v1/documents", post(add))
        .route("/v1/documents/{id}", get(get_document).delete(remove))
        .route("/v1/stats", get(stats))
        .route("/metrics", get(metrics_text))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new()
        .merge(authenticated)
        .route("/healthz", get(|| async { "ok\n" }))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such route") })
        .layer(DefaultBodyLimit::max(state.config.max_body))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Serves until `shutdown` completes, then lets requests in flight finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    backend: Arc<dyn Backend>,
    config: ServerConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(backend, config);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// A JSON error answer: `{"error": message}`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

/// Equal tokens, compared in time that depends on their lengths only, not on where they differ.
fn same_token(given: &[u8], expected: &[u8]) -> bool {
    let mut differ = given.len() ^ expected.len();
    for (i, &e) in expected.iter().enumerate() {
        differ |= usize::from(given.get(i).copied().unwrap_or(!e) ^ e);
    }
    differ == 0
}

async fn authenticate(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    match given {
        Some(token) if same_token(token, state.config.token.as_bytes()) => next.run(request).await,
        _ => {
            let mut response = error(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("static"));
            response
        }
    }
}

/// Times every request, bounds it by the timeout, counts it, and logs one line without content.
async fn observe(State(state): State<Shared>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "other".to_string(), |p| p.as_str().to_string());
    let response = match tokio::time::timeout(state.config.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => error(StatusCode::SERVICE_UNAVAILABLE, "the request timed out"),
    };
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    state
        .metrics
        .record(method.as_str(), &route, status, elapsed);
    if status >= 500 || std::env::var_os("REPRINT_LOG").is_some() {
        eprintln!(
            "reprint serve: {method} {route:?} {status} {:.1} ms",
            elapsed.as_secs_f64() * 1e3
        );
    }
    response
}

/// A document from a request's JSON object: `id` (string or number) and `text` (string); every
/// other field is metadata. The error names the field.
fn document(value: Value, at: Option<usize>) -> Result<Document, String> {
    let place = at.map_or(String::new(), |i| format!("document {i}: "));
    let Value::Object(mut fields) = value else {
        return Err(format!(
            "{place}expected a JSON object with \"id\" and \"text\""
        ));
    };
    let id = match fields.remove("id") {
        Some(Value::String(s)) if !s.is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            return Err(format!(
                "{place}field \"id\" must be a non-empty string or a number"
            ))
        }
        None => return Err(format!("{place}missing field \"id\"")),
    };
    let text = match fields.remove("text") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(format!("{place}field \"text\" must be a string")),
        None => return Err(format!("{place}missing field \"text\"")),
    };
    let mut doc = Document::new(id, text);
    doc.meta = fields;
    Ok(doc)
}

fn parse(body: &Bytes) -> Result<Value, Response> {
    serde_json::from_slice(body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("malformed JSON: {e}")))
}

/// Runs a backend call on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &Shared,
    call: impl FnOnce(&dyn Backend) -> Result<T, String> + Send + 'static,
) -> Result<T, Response> {
    let backend = state.backend.clone();
    match tokio::task::spawn_blocking(move || call(backend.as_ref())).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(message)) => Err(error(StatusCode::INTERNAL_SERVER_ERROR, message)),
        Err(_) => Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the index call failed",
        )),
    }
}

async fn check(State(state): State<Shared>, body: Bytes) -> Response {
    let doc = match parse(&body).map(|v| document(v, None)) {
        Ok(Ok(doc)) => doc,
        Ok(Err(message)) => return error(StatusCode::BAD_REQUEST, message),
        Err(response) => return response,
    };
    match blocking(&state, move |b| b.check(&doc)).await {
        Ok(answer) => Json(answer).into_response(),
        Err(response) => response,
    }
}

async fn add(State(state): State<Shared>, body: Bytes) -> Response {
    let value = match parse(&body) {
        Ok(value) => value,
        Err(response) => return response,
    };
    let (values, single) = match value {
        Value::Array(values) => (values, false),
        value => (vec![value], true),
    };
    if values.is_empty() {
        return error(StatusCode::BAD_REQUEST, "an empty array adds nothing");
    }
    if values.len() > state.config.max_batch {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("at most {} documents a request", state.config.max_batch),
        );
    }
    let mut docs = Vec::with_capacity(values.len());
    for (i, value) in values.into_iter().enumerate() {
        match document(value, (!single).then_some(i)) {
            Ok(doc) => docs.push(doc),
            Err(message) => return error(StatusCode::BAD_REQUEST, message),
        }
    }
    match blocking(&state, move |b| b.add(docs)).await {
        Ok(mut answers) if single => {
            let answer = answers.swap_remove(0);
            if answer["status"] == "skipped" {
                // Nothing was stored: not a 2xx. The reason (an id held with another text, an
                // empty text) is in the answer.
                let reason = answer["reason"].as_str().unwrap_or("skipped").to_string();
                return error(StatusCode::CONFLICT, reason);
            }
            Json(answer).into_response()
        }
        Ok(answers) => Json(Value::Array(answers)).into_response(),
        Err(response) => response,
    }
}

async fn get_document(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let key = id.clone();
    match blocking(&state, move |b| b.get(&key)).await {
        Ok(Some(answer)) => Json(answer).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, format!("no document {id:?}")),
        Err(response) => response,
    }
}

async fn remove(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let key = id.clone();
    match blocking(&state, move |b| b.remove(&key)).await {
        Ok(true) => Json(json!({ "id": id, "removed": true })).into_response(),
        Ok(false) => error(StatusCode::NOT_FOUND, format!("no document {id:?}")),
        Err(response) => response,
    }
}

async fn stats(State(state): State<Shared>) -> Response {
    match blocking(&state, |b| b.stats()).await {
        Ok(answer) => Json(answer).into_response(),
        Err(response) => response,
    }
}

async fn metrics_text(State(state): State<Shared>) -> Response {
    let index = blocking(&state, |b| b.stats()).await.unwrap_or(Value::Null);
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "text/plain; version=0.0.4".parse().expect("static"),
    );
    let gauges: Map<String, Value> = match index {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    (headers, state.metrics.render(&gauges)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_equal_only_when_identical() {
        assert!(same_token(b"s3cret", b"s3cret"));
        assert!(!same_token(b"s3creT", b"s3cret"));
        assert!(!same_token(b"s3cre", b"s3cret"));
        assert!(!same_token(b"s3crett", b"s3cret"));
        assert!(!same_token(b"", b"s3cret"));
    }

    #[test]
    fn documents_name_the_missing_or_mistyped_field() {
        let err = |v: Value| document(v, Some(2)).unwrap_err();
        assert_eq!(
            err(json!({"text": "x"})),
            "document 2: missing field \"id\""
        );
        assert_eq!(
            err(json!({"id": "a"})),
            "document 2: missing field \"text\""
        );
        assert!(err(json!({"id": "a", "text": 3})).contains("\"text\" must be a string"));
        assert!(err(json!([1])).contains("expected a JSON object"));
        let doc = document(json!({"id": 7, "text": "t", "source": "s"}), None).unwrap();
        assert_eq!((doc.id.as_str(), doc.meta_str("source")), ("7", Some("s")));
    }
}
