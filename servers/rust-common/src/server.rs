//! The HTTP contract (identical to servers/pycommon/embedserver/app.py) around any [`Engine`].
//!
//! Concurrency: the tokio runtime only parses, validates and serialises; `Engine::embed` runs on
//! tokio's blocking pool (`spawn_blocking`), so requests never queue behind one global lock. How
//! many forward passes run at once is the engine's choice (see each server's README).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Result;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::Router;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::config::{cpu_count, ServingConfig, Settings};
use crate::metrics::Metrics;
use crate::text::{Embeddings, TooManyTokens};

/// A loaded model that turns texts into sentence vectors. `embed` is called from many threads at once.
pub trait Engine: Send + Sync + 'static {
    /// Version of the inference library, for /info.
    fn framework_version(&self) -> String;
    fn embed(&self, texts: &[String], normalize: bool) -> Result<Embeddings>;
    /// Extra /info fields (runtime, model file, pool size …).
    fn info(&self) -> Map<String, Value>;
}

/// What a server binary tells the shared code about itself.
pub struct ServerSpec {
    pub framework: &'static str,
    pub language: &'static str,
}

pub type Loader = Box<dyn FnOnce(&Settings, &ServingConfig) -> Result<Arc<dyn Engine>> + Send>;

struct Loaded {
    engine: Arc<dyn Engine>,
    serving: ServingConfig,
    load_ms: f64,
}

struct AppState {
    framework: &'static str,
    language: &'static str,
    settings: Settings,
    metrics: Metrics,
    /// Unset while loading; the error text when loading failed.
    loaded: OnceLock<Result<Loaded, String>>,
}

impl AppState {
    fn ready(&self) -> Option<&Loaded> {
        self.loaded.get().and_then(|r| r.as_ref().ok())
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).expect("serialising a JSON value cannot fail");
    (status, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], bytes).into_response()
}

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(status, &json!({ "error": message.into() }))
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn health(State(state): State<Arc<AppState>>) -> Response {
    match state.loaded.get() {
        Some(Ok(_)) => json_response(StatusCode::OK, &json!({ "status": "healthy" })),
        Some(Err(e)) => json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({ "status": "failed", "error": e })),
        None => json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({ "status": "loading" })),
    }
}

async fn info(State(state): State<Arc<AppState>>) -> Response {
    let loaded = state.ready();
    let serving = loaded.map(|l| &l.serving);
    let s = &state.settings;
    let mut body = json!({
        "framework": state.framework,
        "framework_version": loaded.map(|l| l.engine.framework_version()),
        "language": state.language,
        "model_name": serving.map(|c| c.model_key.clone()),
        "model_load_time_ms": loaded.map(|l| l.load_ms),
        "embedding_dim": serving.map(|c| c.embedding_dim),
        "max_seq_length": serving.map(|c| c.max_seq_length),
        "pooling": serving.map(|c| c.pooling.as_str()),
        "synthetic_weights": serving.map(|c| c.synthetic),
        "threads": s.threads,
        "workers": s.workers,
        "max_texts": s.max_texts,
        "max_body_bytes": s.max_body_bytes,
        "max_batch_tokens": s.max_batch_tokens,
        "cpu_count": cpu_count(),
        "memory_rss_mb": (rss_mb() * 10.0).round() / 10.0,
        "pid": std::process::id(),
    });
    if let (Some(l), Value::Object(map)) = (loaded, &mut body) {
        map.extend(l.engine.info());
    }
    json_response(StatusCode::OK, &body)
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    ([(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)], state.metrics.render()).into_response()
}

#[derive(Serialize)]
struct EmbedBody<'a> {
    embeddings: Vec<&'a [f32]>,
    inference_time_ms: f64,
    model: &'a str,
    dim: usize,
    num_embeddings: usize,
}

async fn embed(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let _in_flight = state.metrics.in_flight();
    let response = match embed_inner(&state, &headers, body).await {
        Ok(response) => response,
        Err(Refused(status, message)) => error(status, message),
    };
    state.metrics.observe_request(response.status() == StatusCode::OK);
    response
}

async fn openai_embeddings(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Body) -> Response {
    let _in_flight = state.metrics.in_flight();
    let response = match openai_inner(&state, &headers, body).await {
        Ok(response) => response,
        Err(Refused(status, message)) => openai_error(status, message),
    };
    state.metrics.observe_request(response.status() == StatusCode::OK);
    response
}

/// A request answered with an error status; each route writes it in its API's error shape.
struct Refused(StatusCode, String);

fn refused(status: StatusCode, message: impl Into<String>) -> Refused {
    Refused(status, message.into())
}

/// OpenAI's error object, which its clients read the message from.
fn openai_error(status: StatusCode, message: String) -> Response {
    let kind = if status.is_server_error() { "server_error" } else { "invalid_request_error" };
    json_response(status, &json!({ "error": { "message": message, "type": kind, "param": null, "code": null } }))
}

/// The body as a JSON object; the same checks, order, status codes and messages as the Python servers.
async fn json_object(state: &AppState, headers: &HeaderMap, body: Body, shape: &str) -> Result<Map<String, Value>, Refused> {
    let limit = state.settings.max_body_bytes;
    let too_large = || refused(StatusCode::PAYLOAD_TOO_LARGE, format!("body larger than {limit} bytes"));
    // A client that declares more body than it sends would otherwise hold the request (and its
    // connection) forever: hyper sets no deadline on a body.
    let timeout_s = state.settings.body_timeout_s;
    let read = |max: usize| tokio::time::timeout(Duration::from_secs(timeout_s), axum::body::to_bytes(body, max));
    let timed_out = || refused(StatusCode::REQUEST_TIMEOUT, format!("request body not received within {timeout_s} s"));
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        // Read (and drop) a moderately oversized body before answering: closing the socket with
        // unread data makes the client see a connection reset instead of the 413.
        return Err(match read(limit.saturating_mul(4)).await {
            Err(_) => timed_out(),
            Ok(_) => too_large(),
        });
    }
    let raw = match read(limit).await {
        Err(_) => return Err(timed_out()),
        Ok(Err(_)) => return Err(too_large()),
        Ok(Ok(raw)) => raw,
    };
    match serde_json::from_slice(&raw) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Err(refused(StatusCode::BAD_REQUEST, format!("body must be a JSON object {shape}"))),
        Err(e) => Err(refused(StatusCode::BAD_REQUEST, format!("body is not valid JSON: {e}"))),
    }
}

/// A non-empty list of at most MAX_TEXTS strings, from the request field `field`.
fn texts_of(state: &AppState, value: Option<Value>, field: &str) -> Result<Vec<String>, Refused> {
    let items = match value {
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => return Err(refused(StatusCode::BAD_REQUEST, format!("'{field}' must be a non-empty list of strings"))),
    };
    if items.len() > state.settings.max_texts {
        return Err(refused(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("too many texts: {} > {}", items.len(), state.settings.max_texts),
        ));
    }
    items
        .into_iter()
        .map(|item| match item {
            Value::String(s) => Ok(s),
            _ => Err(refused(StatusCode::BAD_REQUEST, format!("every item of '{field}' must be a string"))),
        })
        .collect()
}

/// What one model call gave a request, with its timing.
struct Answer<'a> {
    loaded: &'a Loaded,
    vectors: Embeddings,
    inference_ms: f64,
    queue_ms: f64,
}

impl Answer<'_> {
    fn timing_headers(&self) -> [(header::HeaderName, HeaderValue); 3] {
        let number = |v: String| HeaderValue::from_str(&v).expect("a number is a valid header value");
        [
            (header::HeaderName::from_static("x-inference-time"), number(format!("{:.3}", self.inference_ms))),
            (header::HeaderName::from_static("x-queue-time"), number(format!("{:.3}", self.queue_ms))),
            (header::HeaderName::from_static("x-batch-size"), number(self.vectors.rows.to_string())),
        ]
    }
}

async fn run_engine(state: &AppState, texts: Vec<String>, normalize: bool) -> Result<Answer<'_>, Refused> {
    let Some(loaded) = state.ready() else {
        return Err(refused(StatusCode::SERVICE_UNAVAILABLE, "model not loaded yet"));
    };
    let engine = Arc::clone(&loaded.engine);
    let arrived = Instant::now();
    let text_bytes: usize = texts.iter().map(String::len).sum();
    // Queued until a blocking thread takes the call (then, inside the engine, until a session is free).
    let queued = state.metrics.queued();
    let result = tokio::task::spawn_blocking(move || {
        drop(queued);
        let started = Instant::now();
        let vectors = engine.embed(&texts, normalize);
        let took = started.elapsed();
        if text_bytes > TRIM_AFTER_TEXT_BYTES {
            release_free_memory();
        }
        (started, took, vectors)
    })
    .await;
    let (started, took, vectors) = match result {
        Ok((started, took, Ok(v))) => (started, took, v),
        Ok((_, _, Err(e))) => {
            return Err(match e.downcast_ref::<TooManyTokens>() {
                Some(over) => refused(StatusCode::PAYLOAD_TOO_LARGE, over.to_string()),
                None => refused(StatusCode::INTERNAL_SERVER_ERROR, format!("inference failed: {e:#}")),
            })
        }
        Err(e) => return Err(refused(StatusCode::INTERNAL_SERVER_ERROR, format!("inference task failed: {e}"))),
    };
    // Queue: waiting for a blocking thread, then for a session or slot inside the engine.
    let queue_ms = ((started - arrived) + vectors.waited).as_secs_f64() * 1000.0;
    let inference_ms = took.saturating_sub(vectors.waited).as_secs_f64() * 1000.0;
    state.metrics.observe_embedded(inference_ms, queue_ms, vectors.rows);
    Ok(Answer { loaded, vectors, inference_ms, queue_ms })
}

fn json_bytes_response(answer: &Answer, bytes: Vec<u8>) -> Response {
    let [a, b, c] = answer.timing_headers();
    (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static("application/json")), a, b, c], bytes).into_response()
}

async fn embed_inner(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Response, Refused> {
    let mut fields = json_object(state, headers, body, "{\"texts\": [...]}").await?;
    let texts = texts_of(state, fields.remove("texts"), "texts")?;
    let normalize = match fields.get("normalize") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(refused(StatusCode::BAD_REQUEST, "'normalize' must be a boolean")),
    };
    let answer = run_engine(state, texts, normalize).await?;
    let v = &answer.vectors;
    let body = EmbedBody {
        embeddings: (0..v.rows).map(|i| v.row(i)).collect(),
        inference_time_ms: answer.inference_ms,
        model: &answer.loaded.serving.model_key,
        dim: v.dim,
        num_embeddings: v.rows,
    };
    let bytes = serde_json::to_vec(&body).expect("serialising embeddings cannot fail");
    Ok(json_bytes_response(&answer, bytes))
}

#[derive(Serialize)]
#[serde(untagged)]
enum Vector<'a> {
    Float(&'a [f32]),
    Base64(String),
}

#[derive(Serialize)]
struct OpenAIItem<'a> {
    object: &'static str,
    index: usize,
    embedding: Vector<'a>,
}

#[derive(Serialize)]
struct OpenAIBody<'a> {
    object: &'static str,
    data: Vec<OpenAIItem<'a>>,
    model: &'a str,
    usage: Value,
}

/// encoding_format base64: the little-endian float32 bytes, as OpenAI's clients decode them.
fn base64_floats(v: &[f32]) -> String {
    base64::encode(v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>())
}

/// OpenAI's embeddings API over the same engine: unit vectors, `usage.prompt_tokens` as MAX_BATCH_TOKENS counts.
async fn openai_inner(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Response, Refused> {
    let mut fields = json_object(state, headers, body, "{\"input\": [...], \"model\": \"...\"}").await?;
    let input = match fields.remove("input") {
        Some(Value::String(text)) => Some(Value::Array(vec![Value::String(text)])),
        other => other,
    };
    let texts = texts_of(state, input, "input")?;
    for field in ["model", "user"] {
        if fields.get(field).is_some_and(|v| !v.is_string()) {
            return Err(refused(StatusCode::BAD_REQUEST, format!("'{field}' must be a string")));
        }
    }
    let base64 = match fields.get("encoding_format") {
        None => false,
        Some(Value::String(f)) if f == "float" => false,
        Some(Value::String(f)) if f == "base64" => true,
        Some(_) => return Err(refused(StatusCode::BAD_REQUEST, "'encoding_format' must be 'float' or 'base64'")),
    };
    if let (Some(dimensions), Some(loaded)) = (fields.get("dimensions"), state.ready()) {
        let dim = loaded.serving.embedding_dim;
        if dimensions.as_u64() != Some(dim as u64) {
            return Err(refused(
                StatusCode::BAD_REQUEST,
                format!("'dimensions' must be {dim} (this model's) or absent: vectors are not shortened"),
            ));
        }
    }
    // OpenAI's vectors are unit length; there is no parameter for it.
    let answer = run_engine(state, texts, true).await?;
    let v = &answer.vectors;
    let body = OpenAIBody {
        object: "list",
        data: (0..v.rows)
            .map(|i| OpenAIItem {
                object: "embedding",
                index: i,
                embedding: if base64 { Vector::Base64(base64_floats(v.row(i))) } else { Vector::Float(v.row(i)) },
            })
            .collect(),
        model: &answer.loaded.serving.model_key,
        usage: json!({ "prompt_tokens": v.tokens, "total_tokens": v.tokens }),
    };
    let bytes = serde_json::to_vec(&body).expect("serialising embeddings cannot fail");
    Ok(json_bytes_response(&answer, bytes))
}

/// Requests with more text than this are followed by a trim, as in the Python servers: small
/// benchmark requests do not pay for it.
const TRIM_AFTER_TEXT_BYTES: usize = 64 * 1024;

/// glibc keeps freed buffers in the malloc arena of the thread that used them (up to 8 arenas per
/// core, spread over tokio's blocking threads and ONNX Runtime's): RSS after 20 requests of 16384
/// tokens grew from 187 to 361 MB. Trimming after a large request gives the pages back; the cost is
/// page faults when the next large request allocates them again.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only hands free pages back to the kernel; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "Not Found")
}

async fn method_not_allowed() -> Response {
    error(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

/// Loads the model (framework-specific `loader`) with the shared timing and logging.
pub fn load_engine(framework: &str, settings: &Settings, loader: Loader) -> Result<(Arc<dyn Engine>, ServingConfig, f64)> {
    let started = Instant::now();
    let serving = ServingConfig::load(&settings.model_dir)?;
    let engine = loader(settings, &serving)?;
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "[{framework}] model loaded in {load_ms:.0} ms (threads={}, workers={})",
        settings.threads, settings.workers
    );
    Ok((engine, serving, load_ms))
}

/// Binds, answers /health with 503 while the model loads on its own thread, then serves.
pub async fn serve(spec: &ServerSpec, settings: Settings, loader: Loader) -> Result<()> {
    let state = Arc::new(AppState {
        framework: spec.framework,
        language: spec.language,
        settings: settings.clone(),
        metrics: Metrics::new(spec.framework),
        loaded: OnceLock::new(),
    });
    let loading = Arc::clone(&state);
    let framework = spec.framework;
    std::thread::Builder::new().name("model-loader".into()).spawn(move || {
        let outcome = load_engine(framework, &loading.settings, loader)
            .map(|(engine, serving, load_ms)| Loaded { engine, serving, load_ms })
            .map_err(|e| {
                // Reported by /health; the process stays up so the cause is visible.
                let message = format!("{e:#}");
                eprintln!("[{framework}] model load failed: {message}");
                message
            });
        let _ = loading.loaded.set(outcome);
    })?;

    let app = Router::new()
        .route("/embed", post(embed))
        .route("/v1/embeddings", post(openai_embeddings))
        .route("/health", get(health))
        .route("/info", get(info))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state);
    let listener = tokio::net::TcpListener::bind((settings.host.as_str(), settings.port)).await?;
    eprintln!("[{framework}] listening on http://{}", listener.local_addr()?);
    // axum 0.8 leaves Nagle's algorithm on; small responses must not wait for the client's ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
    // Nothing to flush: exit at once rather than wait for idle keep-alive connections to close.
    std::process::exit(0);
}
