//! How a request finds its tenant's owner: served here if this node owns
//! the tenant, else forwarded (a reverse proxy, bodies streamed both ways)
//! to the owner's advertised URL; a tenant nobody owns is acquired by the
//! node the request reached.
//!
//! A forwarded request carries [`FORWARDED_HEADER`] and is never forwarded
//! again: a node that receives one for a tenant it does not serve answers
//! 421 (Misdirected Request), and the forwarding node looks the owner up
//! afresh and tries once more.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, request::Parts, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt as _;
use meldkluis_crypto_core::TenantId;
use std::time::Duration;

use super::owner::Acquired;
use super::{Cluster, OwnerInfo};
use crate::error::{AppError, ErrorCode};
use crate::AppState;

/// The node that served a tenant's request (set by the owner).
pub const NODE_HEADER: &str = "meldkluis-node";
/// The ownership epoch under which the owner served it.
pub const EPOCH_HEADER: &str = "meldkluis-epoch";
/// Marks a request one node forwarded to another (the forwarding node's id).
pub const FORWARDED_HEADER: &str = "meldkluis-forwarded";

/// Bodies up to this size are held, so that a forward refused as
/// misdirected can be sent again; larger ones (attachments) are streamed
/// after a fresh owner look-up.
const REPLAYABLE_BODY: usize = 1 << 20;

/// Marks a response passed through from the owner: it is finished already
/// (error body in the client's language, security headers).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Forwarded;

/// The routing middleware: only in a cluster, only for a tenant's routes.
pub(crate) async fn route(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(cluster) = state.cluster().cloned() else {
        return next.run(request).await;
    };
    let Some(tenant) = tenant_of(request.uri().path()) else {
        return next.run(request).await;
    };
    match cluster.route(&state, &tenant, request, next).await {
        Ok(response) => response,
        Err(e) => {
            let retry = e.code() == ErrorCode::Unavailable;
            let mut response = e.into_response();
            if retry {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            response
        }
    }
}

/// The tenant a path belongs to: `/api/v1/t/{tenant}/…` or `/t/{tenant}/…`.
/// The segment is percent-decoded as the router decodes `{tenant}` for the
/// handlers: `/t/%61cme/…` is acme's, routed to acme's owner, never served
/// from this node's copies.
fn tenant_of(path: &str) -> Option<TenantId> {
    let rest = path
        .strip_prefix("/api/v1/t/")
        .or_else(|| path.strip_prefix("/t/"))?;
    let segment = rest.split('/').next()?;
    let id = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()?;
    TenantId::new(&id).ok()
}

/// A request body, held (replayable) or still streaming.
enum Held {
    Bytes(bytes::Bytes),
    Stream(Body),
}

impl Cluster {
    async fn route(
        &self,
        state: &AppState,
        tenant: &TenantId,
        request: Request,
        next: Next,
    ) -> Result<Response, AppError> {
        if let Some(epoch) = self.serving_epoch(tenant) {
            return Ok(self.serve_here(epoch, request, next).await);
        }
        if request.headers().contains_key(FORWARDED_HEADER) {
            // Sent here because etcd names this node: an acquisition under
            // way here is waited for.
            drop(self.busy_lock(tenant).lock().await);
            if let Some(epoch) = self.serving_epoch(tenant) {
                return Ok(self.serve_here(epoch, request, next).await);
            }
            // Never forwarded twice: the node that sent it looks again.
            return Ok(StatusCode::MISDIRECTED_REQUEST.into_response());
        }
        let (parts, body) = request.into_parts();
        let mut held = hold(&parts, body).await?;
        for attempt in 0..2 {
            let replayable = matches!(held, Held::Bytes(_));
            let fresh = attempt > 0 || !replayable;
            let owner = match self.owner(tenant, fresh).await? {
                Some(owner) if owner.node != self.config.node_id => owner,
                // Nobody, or this node in etcd but not serving here (an
                // acquisition under way, or a lease from before a restart).
                _ => match self.acquire(state, tenant).await? {
                    Acquired::Serving(epoch) => {
                        let body = match held {
                            Held::Bytes(bytes) => Body::from(bytes),
                            Held::Stream(body) => body,
                        };
                        let request = Request::from_parts(parts, body);
                        return Ok(self.serve_here(epoch, request, next).await);
                    }
                    Acquired::OwnedBy(owner) => owner,
                },
            };
            // A held body is sent as a copy (it may be sent again); a
            // stream only once (then `held` is left empty).
            let body = match std::mem::replace(&mut held, Held::Bytes(bytes::Bytes::new())) {
                Held::Bytes(bytes) => {
                    held = Held::Bytes(bytes.clone());
                    Body::from(bytes)
                }
                Held::Stream(body) => body,
            };
            // A small request's answer head comes within the owner's
            // replica wait; an owner that says nothing for longer is
            // stalled (a paused process): give up, so the client's retry
            // finds the tenant's next owner once the lease has lapsed. A
            // streamed upload's head follows its whole body: no bound.
            let head_within = replayable.then(|| self.answer_head_bound());
            let response = self.forward(&owner, &parts, body, head_within).await?;
            if response.status() == StatusCode::MISDIRECTED_REQUEST && attempt == 0 && replayable {
                tracing::debug!(%tenant, owner = %owner.node, "forward refused as misdirected; looking again");
                self.forget_owner(tenant);
                continue;
            }
            if response.status() == StatusCode::MISDIRECTED_REQUEST {
                // Refused by the owner etcd names twice: the tenant is
                // changing hands (an owner whose lease lapses); soon over.
                break;
            }
            return Ok(response);
        }
        Err(AppError::new(
            ErrorCode::Unavailable,
            format!("tenant {tenant}: owner changed while forwarding"),
        ))
    }

    /// Serves on this node and says so in the answer.
    async fn serve_here(&self, epoch: i64, request: Request, next: Next) -> Response {
        let mut response = next.run(request).await;
        let headers = response.headers_mut();
        if let Ok(node) = HeaderValue::from_str(&self.config.node_id) {
            headers.insert(NODE_HEADER, node);
        }
        headers.insert(EPOCH_HEADER, HeaderValue::from(epoch));
        response
    }

    /// Sends the request to `owner` and streams its answer back.
    async fn forward(
        &self,
        owner: &OwnerInfo,
        parts: &Parts,
        body: Body,
        head_within: Option<Duration>,
    ) -> Result<Response, AppError> {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let url = format!("{}{path}", owner.url.trim_end_matches('/'));
        let mut outgoing = self.forward.request(parts.method.clone(), &url);
        let dropped = connection_listed(&parts.headers);
        for (name, value) in &parts.headers {
            if !hop_by_hop(name) && name != header::HOST && !dropped.contains(name) {
                outgoing = outgoing.header(name, value);
            }
        }
        let stream = body.into_data_stream();
        let sending = outgoing
            .header(FORWARDED_HEADER, self.config.node_id.as_str())
            .body(reqwest::Body::wrap_stream(stream))
            .send();
        let unavailable = |why: String| {
            AppError::new(
                ErrorCode::Unavailable,
                format!("forwarding to {} ({}): {why}", owner.node, owner.url),
            )
        };
        let answer = match head_within {
            Some(bound) => tokio::time::timeout(bound, sending)
                .await
                .map_err(|_| unavailable(format!("no answer within {} ms", bound.as_millis())))?,
            None => sending.await,
        }
        .map_err(|e| unavailable(e.to_string()))?;
        let mut response = Response::builder().status(answer.status());
        let dropped = connection_listed(answer.headers());
        if let Some(headers) = response.headers_mut() {
            for (name, value) in answer.headers() {
                if !hop_by_hop(name) && !dropped.contains(name) {
                    headers.append(name, value.clone());
                }
            }
        }
        let body = Body::from_stream(answer.bytes_stream().map_err(std::io::Error::other));
        let mut response = response
            .body(body)
            .map_err(|e| AppError::internal(format!("forwarded answer: {e}")))?;
        response.extensions_mut().insert(Forwarded);
        Ok(response)
    }
}

/// Holds a small body in memory (replayable); a large or unknown-length
/// one stays a stream.
async fn hold(parts: &Parts, body: Body) -> Result<Held, AppError> {
    let length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let chunked = parts.headers.contains_key(header::TRANSFER_ENCODING);
    let small = match length {
        Some(length) => length <= REPLAYABLE_BODY,
        None => !chunked,
    };
    if !small {
        return Ok(Held::Stream(body));
    }
    axum::body::to_bytes(body, REPLAYABLE_BODY)
        .await
        .map(Held::Bytes)
        .map_err(|e| AppError::bad_request(format!("request body: {e}")))
}

/// Headers that describe one connection, not the message (RFC 9110
/// section 7.6.1): never passed on.
fn hop_by_hop(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "proxy-connection"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

/// The further hop-by-hop headers a `Connection` header names.
fn connection_listed(headers: &axum::http::HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tenant_routes_are_routed() {
        let id = |p: &str| tenant_of(p).map(|t| t.as_str().to_owned());
        assert_eq!(id("/api/v1/t/acme/reports").as_deref(), Some("acme"));
        assert_eq!(id("/api/v1/t/acme").as_deref(), Some("acme"));
        assert_eq!(id("/t/acme/report").as_deref(), Some("acme"));
        assert_eq!(id("/t/acme").as_deref(), Some("acme"));
        assert_eq!(id("/t/%61cme/report").as_deref(), Some("acme"));
        assert_eq!(id("/api/v1/t/ac%6De/config").as_deref(), Some("acme"));
        assert_eq!(id("/t/ac%2Fme/report"), None);
        assert_eq!(id("/t/ACME/report"), None);
        assert_eq!(id("/t/../x"), None);
        assert_eq!(id("/assets/app.js"), None);
        assert_eq!(id("/healthz"), None);
    }

    #[test]
    fn hop_by_hop_headers_stay_behind() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-private"),
        );
        let listed = connection_listed(&headers);
        assert!(listed.contains(&HeaderName::from_static("x-private")));
        assert!(hop_by_hop(&header::TRANSFER_ENCODING));
        assert!(!hop_by_hop(&header::CONTENT_TYPE));
    }
}
