//! A recording reverse proxy: the browser talks to it, it forwards every
//! request unchanged to the real server and keeps a copy of what was sent.
//! So a test can prove what the server received from a real browser,
//! without any hook inside the server.

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
    /// The body, as sent.
    pub body: Bytes,
}

#[derive(Debug, Clone)]
struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    log: Arc<Mutex<Vec<Recorded>>>,
    /// Answer this path with these bytes instead (a tampering server).
    replace: Option<(String, Bytes)>,
}

/// A running proxy on `127.0.0.1:0`.
#[derive(Debug)]
pub struct RecordingProxy {
    /// `http://127.0.0.1:PORT`: point the browser here.
    pub base: String,
    log: Arc<Mutex<Vec<Recorded>>>,
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
        let state = ProxyState {
            upstream: upstream.to_owned(),
            client: crate::client(),
            log: log.clone(),
            replace: replace.map(|(path, bytes)| (path.to_owned(), Bytes::from(bytes))),
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
        Self { base, log, task }
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
    let uri = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    state.log.lock().expect("proxy log").push(Recorded {
        method: parts.method.to_string(),
        uri: uri.clone(),
        body: body.clone(),
    });
    if let Some((path, bytes)) = &state.replace {
        if parts.uri.path() == path {
            let content_type = if path.ends_with(".wasm") {
                "application/wasm"
            } else {
                "text/javascript; charset=utf-8"
            };
            return (
                [(axum::http::header::CONTENT_TYPE, content_type)],
                bytes.clone(),
            )
                .into_response();
        }
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
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !hop_by_hop(name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}
