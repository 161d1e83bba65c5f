//! What happens to every response on its way out: error bodies in the
//! client's language, security headers, and counters by audience and
//! status class. No log line per request: its time would tell when a
//! report, log-in or message happened, finer than the creation day the
//! server keeps. Only with `debug_log_requests` (an operator's debugging
//! setting) one line per request: method, route template, status and
//! latency. Never an address, a user agent, a full URL or a body.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

use crate::error::{error_body, negotiate_lang, ErrorCode, ErrorMarker};
use crate::AppState;

/// The Content-Security-Policy of every response: no inline script, no
/// third-party origin, no framing.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// Requests answered since the start, by audience and status class: what
/// the log says about traffic instead of a line per request.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// `[audience][class]`: audience reporter, advisor, other; class 2xx
    /// (and 1xx, 3xx), 4xx, 5xx.
    counts: [[std::sync::atomic::AtomicU64; 3]; 3],
}

impl Counters {
    fn count(&self, route: &str, status: axum::http::StatusCode) {
        let audience = if route.starts_with("/api/v1/t/{tenant}/advisor") {
            1
        } else if route.starts_with("/api/v1/t/{tenant}/") {
            0
        } else {
            2
        };
        let class = if status.is_server_error() {
            2
        } else if status.is_client_error() {
            1
        } else {
            0
        };
        self.counts[audience][class].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Writes the counts to the log (one line, no time finer than the
    /// log's day).
    pub(crate) fn log(&self) {
        let get = |a: usize, c: usize| self.counts[a][c].load(std::sync::atomic::Ordering::Relaxed);
        tracing::info!(
            reporter_ok = get(0, 0),
            reporter_4xx = get(0, 1),
            reporter_5xx = get(0, 2),
            advisor_ok = get(1, 0),
            advisor_4xx = get(1, 1),
            advisor_5xx = get(1, 2),
            other_ok = get(2, 0),
            other_4xx = get(2, 1),
            other_5xx = get(2, 2),
            "requests since start"
        );
    }
}

/// The response middleware (outermost layer).
pub(crate) async fn finish_response(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let lang = negotiate_lang(
        request.uri().query(),
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let method = request.method().clone();
    // The API and probes answer errors in JSON; everything else is a page
    // a person reads.
    let path = request.uri().path();
    let is_page =
        !(path.starts_with("/api/") || path == "/healthz" || path.starts_with("/assets/"));
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "-".to_owned(), |p| p.as_str().to_owned());

    let mut response = next.run(request).await;
    let status = response.status();
    // An answer passed through from a tenant's owner node is finished
    // there (its error body in the client's language, its headers).
    if response
        .extensions()
        .get::<crate::cluster::Forwarded>()
        .is_some()
    {
        state.counters().count(&route, status);
        return response;
    }
    if status.is_client_error() || status.is_server_error() {
        let code = response
            .extensions()
            .get::<ErrorMarker>()
            .map_or_else(|| ErrorCode::for_status(status), |m| m.0);
        let (mut parts, _) = response.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_ENCODING);
        let body = if is_page {
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            crate::pages::error_page(code, lang).into_bytes()
        } else {
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            serde_json::to_vec(&error_body(code, lang)).unwrap_or_default()
        };
        response = Response::from_parts(parts, Body::from(body));
    }

    let headers = response.headers_mut();
    // Pages set their own (slightly wider) policy; everything else gets
    // the strictest one.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-origin"),
    );
    // The report and mailbox pages allow this origin the microphone (a
    // voice message) when the tenant offers voice messages; everything
    // else denies it.
    if !headers.contains_key("permissions-policy") {
        headers.insert(
            "permissions-policy",
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        );
    }
    // Never cache: API data and sealed items must not linger, and neither
    // should a trace of the pages on a shared or employer's device.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if state.config().tls.is_some() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    state.counters().count(&route, status);
    if state.config().debug_log_requests {
        tracing::info!(
            method = %method,
            route = %route,
            status = status.as_u16(),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "request"
        );
    }
    response
}
