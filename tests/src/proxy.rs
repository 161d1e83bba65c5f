//! A recording, and on request tampering, reverse proxy: the browser talks
//! to it, it forwards every request to the real server and keeps a copy of
//! what was sent. So a test can prove what the server received from a real
//! browser, without any hook inside the server.
//!
//! It can also play a breached server ([`RecordingProxy::tamper`]): answer a
//! path with crafted bytes, rewrite the real server's answer (e.g. put one
//! of the reporter's own items in the report's place), or answer one path
//! with what the server holds under another (swap two attachments). The
//! browser cannot tell: the server's own key material is not involved in
//! anything it checks.

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};

/// One request as the proxy forwarded it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// The headers, as sent (`name: value`, names in lower case).
    pub headers: Vec<(String, String)>,
    /// The body, as sent.
    pub body: Bytes,
}

/// Rewrites an answer's body (the real server's bytes in, the served ones out).
pub type Rewrite = Arc<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

/// What the proxy does, as a breached server, with requests for one path.
#[derive(Clone)]
pub enum Tampering {
    /// Answer with these bytes and status, without asking the server.
    Answer {
        /// The HTTP status.
        status: StatusCode,
        /// The `Content-Type`.
        content_type: &'static str,
        /// The body.
        body: Bytes,
    },
    /// Ask the server, then serve its answer's body rewritten.
    Rewrite(Rewrite),
    /// Ask the server for this other path (same method, headers and body)
    /// and serve that answer.
    ForwardTo(String),
}

impl Tampering {
    /// Ask the server, then serve its JSON answer as `change` leaves it.
    pub fn rewrite_json(change: impl Fn(&mut serde_json::Value) + Send + Sync + 'static) -> Self {
        Self::Rewrite(Arc::new(move |body| {
            let mut value: serde_json::Value =
                serde_json::from_slice(body).expect("the server's answer is JSON");
            change(&mut value);
            serde_json::to_vec(&value).expect("json")
        }))
    }
}

impl std::fmt::Debug for Tampering {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Answer { status, .. } => write!(f, "Answer({status})"),
            Self::Rewrite(_) => f.write_str("Rewrite(..)"),
            Self::ForwardTo(path) => write!(f, "ForwardTo({path})"),
        }
    }
}

/// Path → what to do instead of forwarding unchanged.
type Rules = Arc<Mutex<Vec<(String, Tampering)>>>;

#[derive(Debug, Clone)]
struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    log: Arc<Mutex<Vec<Recorded>>>,
    rules: Rules,
}

/// A running proxy on `127.0.0.1:0`.
#[derive(Debug)]
pub struct RecordingProxy {
    /// `http://127.0.0.1:PORT`: point the browser here.
    pub base: String,
    log: Arc<Mutex<Vec<Recorded>>>,
    rules: Rules,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingProxy {
    /// Starts a proxy in front of `upstream` (e.g. `http://127.0.0.1:1234`).
    pub async fn start(upstream: &str) -> Self {
        Self::start_replacing(upstream, None).await
    }

    /// Like [`RecordingProxy::start`], but answers requests for `path` with
    /// other bytes, as a server that tampers with what it serves would.
    pub async fn start_replacing(upstream: &str, replace: Option<(&str, Vec<u8>)>) -> Self {
        let log = Arc::new(Mutex::new(Vec::new()));
        let rules: Rules = Arc::new(Mutex::new(Vec::new()));
        let state = ProxyState {
            upstream: upstream.to_owned(),
            client: crate::client(),
            log: log.clone(),
            rules: rules.clone(),
        };
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(state)
            .layer(axum::extract::DefaultBodyLimit::disable());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the proxy runs");
        });
        let proxy = Self {
            base,
            log,
            rules,
            task,
        };
        if let Some((path, bytes)) = replace {
            let content_type = if path.ends_with(".wasm") {
                "application/wasm"
            } else {
                "text/javascript; charset=utf-8"
            };
            proxy.tamper(
                path,
                Tampering::Answer {
                    status: StatusCode::OK,
                    content_type,
                    body: Bytes::from(bytes),
                },
            );
        }
        proxy
    }

    /// From now on, treats requests for `path` (exactly, without the query)
    /// as `tampering` says, in place of any earlier rule for that path.
    pub fn tamper(&self, path: &str, tampering: Tampering) {
        let mut rules = self.rules.lock().expect("proxy rules");
        rules.retain(|(p, _)| p != path);
        rules.push((path.to_owned(), tampering));
    }

    /// From now on, forwards everything unchanged again.
    pub fn stop_tampering(&self) {
        self.rules.lock().expect("proxy rules").clear();
    }

    /// Everything forwarded so far.
    pub fn recorded(&self) -> Vec<Recorded> {
        self.log.lock().expect("proxy log").clone()
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Hop-by-hop headers a proxy must not pass on (RFC 9110 §7.6.1).
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "transfer-encoding"
            | "te"
            | "trailer"
            | "upgrade"
            | "host"
            | "content-length"
    )
}

async fn forward(State(state): State<ProxyState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let mut uri = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    state.log.lock().expect("proxy log").push(Recorded {
        method: parts.method.to_string(),
        uri: uri.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_owned(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.clone(),
    });
    let rule = state
        .rules
        .lock()
        .expect("proxy rules")
        .iter()
        .find(|(path, _)| path == parts.uri.path())
        .map(|(_, tampering)| tampering.clone());
    let mut rewrite = None;
    match rule {
        Some(Tampering::Answer {
            status,
            content_type,
            body,
        }) => {
            return (
                status,
                [(axum::http::header::CONTENT_TYPE, content_type)],
                body,
            )
                .into_response();
        }
        Some(Tampering::Rewrite(f)) => rewrite = Some(f),
        Some(Tampering::ForwardTo(path)) => {
            uri = match parts.uri.query() {
                Some(query) => format!("{path}?{query}"),
                None => path,
            };
        }
        None => {}
    }
    let mut upstream = state
        .client
        .request(parts.method.clone(), format!("{}{uri}", state.upstream))
        .body(body);
    for (name, value) in &parts.headers {
        if !hop_by_hop(name) {
            upstream = upstream.header(name, value);
        }
    }
    let Ok(answer) = upstream.send().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let status = answer.status();
    let headers = answer.headers().clone();
    let Ok(bytes) = answer.bytes().await else {
        return StatusCode::BAD_GATEWAY.into_response();
    };
    let bytes = match rewrite {
        Some(f) => Bytes::from(f(&bytes)),
        None => bytes,
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !hop_by_hop(name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}
