//! The HTTP API, one module per audience so each surface and its checks
//! read on their own:
//!
//! - [`public`]: what anyone may ask (a tenant's public configuration,
//!   health);
//! - [`reporter`]: the reporter's report and mailbox;
//! - [`notices`]: the reporter's notice address and language;
//! - [`oral`]: oral reports an advisor registers, the follow-up mailbox a
//!   reporter makes to follow one online, and joining the two (issue 13);
//! - [`advisor`]: the advisor's challenge log-in, reports, messages,
//!   grants, status and category;
//! - [`recipient`]: the organisation's management and forward
//!   recipients: enrolment, challenge log-in, the items sealed to them;
//! - [`organisation`]: the advisor's side of those recipients: the list,
//!   figures reports and forwards;
//! - `thread`: the rules for writing into a report's thread (messages and
//!   attachments), shared by reporter and advisor.
//!
//! Every handler only moves ciphertext and metadata; the only checks on
//! items are structural (see [`crate::wire`]).

pub mod advisor;
pub mod notices;
pub mod oral;
pub mod organisation;
pub mod public;
pub mod recipient;
pub mod register;
pub mod reporter;
mod thread;

use axum::extract::rejection::JsonRejection;
use axum::extract::{
    DefaultBodyLimit, FromRequest, FromRequestParts, RawPathParams, Request, State,
};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::time::Duration;
use tower_http::timeout::TimeoutLayer;

use crate::auth::Tenant;
use crate::error::{negotiate_lang, AppError, ErrorCode, Lang};
use crate::notices::EmailAddress;
use crate::wire;
use crate::AppState;

pub use thread::PostMessage;

/// JSON body extractor whose rejections are [`AppError`]s.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            // The rejection texts can quote the body: only the kind of
            // failure goes to the log, never request content.
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::new(
                ErrorCode::UnsupportedMediaType,
                "json: content type",
            )),
            Err(JsonRejection::BytesRejection(e)) if is_body_timeout(&e) => Err(AppError::new(
                ErrorCode::RequestTimeout,
                "json: body stalled",
            )),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(AppError::new(
                    ErrorCode::PayloadTooLarge,
                    "json: body over the limit",
                ))
            }
            Err(JsonRejection::JsonSyntaxError(_)) => {
                Err(AppError::new(ErrorCode::InvalidJson, "json: syntax"))
            }
            Err(JsonRejection::JsonDataError(_)) => {
                Err(AppError::new(ErrorCode::InvalidJson, "json: shape"))
            }
            Err(_) => Err(AppError::new(ErrorCode::InvalidJson, "json: body")),
        }
    }
}

/// True if an error (or what caused it) is the body's idle time-out.
pub(crate) fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// The item ids named in the path (`report_id`, `attachment_id`,
/// `item_id`).
#[derive(Debug)]
pub struct PathIds {
    report_id: Option<[u8; 16]>,
    attachment_id: Option<[u8; 16]>,
    item_id: Option<[u8; 16]>,
}

impl PathIds {
    fn report(&self) -> Result<[u8; 16], AppError> {
        self.report_id
            .ok_or_else(|| AppError::internal("route without report_id"))
    }

    fn attachment(&self) -> Result<[u8; 16], AppError> {
        self.attachment_id
            .ok_or_else(|| AppError::internal("route without attachment_id"))
    }

    fn item(&self) -> Result<[u8; 16], AppError> {
        self.item_id
            .ok_or_else(|| AppError::internal("route without item_id"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PathIds {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad_request(format!("path: {e}")))?;
        let mut ids = Self {
            report_id: None,
            attachment_id: None,
            item_id: None,
        };
        for (name, value) in &params {
            match name {
                "report_id" => ids.report_id = Some(wire::decode_hex(value, "report id")?),
                "attachment_id" => {
                    ids.attachment_id = Some(wire::decode_hex(value, "attachment id")?)
                }
                "item_id" => ids.item_id = Some(wire::decode_hex(value, "item id")?),
                _ => {}
            }
        }
        Ok(ids)
    }
}

fn created(value: Value) -> Response {
    (StatusCode::CREATED, Json(value)).into_response()
}

/// Decodes a base64 item and refuses it when over the item limit.
fn decode_item(state: &AppState, text: &str) -> Result<Vec<u8>, AppError> {
    // base64 is 4/3 of the bytes: refuse before decoding anything too long.
    if text.len() as u64 > state.config().max_item_bytes.div_ceil(3) * 4 {
        return Err(AppError::new(
            ErrorCode::PayloadTooLarge,
            "item over max_item_bytes",
        ));
    }
    wire::decode_base64(text, "item")
}

/// The language a request asks for: `?lang=` or `Accept-Language`.
fn request_lang(uri: &Uri, headers: &HeaderMap) -> Lang {
    negotiate_lang(
        uri.query(),
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// A notice language named in a body, else `fallback`.
fn notice_language(tag: Option<&str>, fallback: Lang) -> Result<Lang, AppError> {
    match tag {
        None => Ok(fallback),
        Some(tag) => meldkluis_i18n::catalog()
            .lang(tag)
            .filter(|_| tag.len() <= 16)
            .ok_or_else(|| AppError::bad_request("language: not offered")),
    }
}

/// A notice address from a body: absent, `null` and `""` are none.
fn notice_address(text: Option<&str>) -> Result<Option<EmailAddress>, AppError> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => EmailAddress::parse(text)
            .map(Some)
            .map_err(crate::notices::address_error),
    }
}

/// `POST .../mailbox/logout`, `.../advisor/logout` and
/// `.../recipient/logout`: ends the session.
pub async fn logout(
    State(state): State<AppState>,
    Tenant(_): Tenant,
    headers: axum::http::HeaderMap,
) -> StatusCode {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        state.sessions().end(token.trim());
    }
    StatusCode::NO_CONTENT
}

/// The whole HTTP API (without the outer layers, which [`crate::router`]
/// adds).
pub(crate) fn routes(state: &AppState) -> Router<AppState> {
    use advisor::*;
    use notices::*;
    use oral::*;
    use organisation::*;
    use public::*;
    use recipient::*;
    use register::*;
    use reporter::*;
    let mut tenant_routes = Router::new()
        .route("/config", get(public_config))
        .route("/reports", post(create_report))
        .route("/follow-ups", post(create_follow_up))
        .route("/mailbox/login", post(mailbox_login))
        .route("/mailbox/logout", post(logout))
        .route("/mailbox", get(mailbox_thread))
        .route("/mailbox/messages", post(mailbox_post_message))
        .route(
            "/mailbox/notice-email",
            get(notice_email_get)
                .put(notice_email_put)
                .delete(notice_email_delete),
        )
        .route("/advisor/challenge", get(advisor_challenge))
        .route("/advisor/login", post(advisor_login))
        .route("/advisor/logout", post(logout))
        .route(
            "/advisor/reports",
            get(advisor_reports).post(advisor_register_oral_report),
        )
        .route("/advisor/follow-ups/{reference}", get(advisor_follow_up))
        .route("/advisor/reports/{report_id}/join", post(advisor_join))
        .route("/advisor/reports/{report_id}", get(advisor_thread))
        .route(
            "/advisor/reports/{report_id}/messages",
            post(advisor_post_message),
        )
        .route(
            "/advisor/reports/{report_id}/grants",
            post(advisor_post_grants),
        )
        .route(
            "/advisor/reports/{report_id}/status",
            put(advisor_set_status),
        )
        .route(
            "/advisor/reports/{report_id}/category",
            put(advisor_set_category),
        )
        .route("/advisor/reports/{report_id}/hold", put(advisor_set_hold))
        .route("/advisor/register", get(advisor_register))
        .route("/advisor/register.csv", get(advisor_register_csv))
        .route("/advisor/deletions", get(advisor_deletions))
        .route("/advisor/recipients", get(advisor_recipients))
        .route(
            "/advisor/figures",
            get(advisor_figures).post(advisor_post_figures),
        )
        .route("/advisor/figures/{item_id}", get(advisor_figures_item))
        .route(
            "/advisor/reports/{report_id}/forwards",
            get(advisor_forwards).post(advisor_post_forward),
        )
        .route("/recipient/enrol", post(recipient_enrol))
        .route("/recipient/challenge", get(recipient_challenge))
        .route("/recipient/login", post(recipient_login))
        .route("/recipient/logout", post(logout))
        .route("/recipient/items", get(recipient_items));
    if state.config().bench_baseline_endpoint {
        tenant_routes =
            tenant_routes.route("/bench/reports-no-store", post(create_report_baseline));
    }
    // Every route but the attachment streams must finish within the
    // request time-out; a stream is bounded by the tenant's size limit
    // and the body's idle time-out instead (see `crate::router`).
    let request_timeout = TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        Duration::from_secs(state.config().request_timeout_secs),
    );
    let streams = Router::new()
        .route(
            "/mailbox/attachments",
            post(mailbox_upload_attachment).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/mailbox/attachments/{attachment_id}",
            get(mailbox_download_attachment),
        )
        .route(
            "/advisor/reports/{report_id}/attachments",
            post(advisor_upload_attachment).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/advisor/reports/{report_id}/attachments/{attachment_id}",
            get(advisor_download_attachment),
        )
        .route(
            "/advisor/reports/{report_id}/forwards/attachments",
            post(advisor_upload_forward_attachment).layer(DefaultBodyLimit::disable()),
        )
        .route("/recipient/items/{item_id}", get(recipient_item));
    Router::new()
        .nest(
            "/api/v1/t/{tenant}",
            tenant_routes.layer(request_timeout).merge(streams),
        )
        .route("/healthz", get(health))
}

/// Refuses, as `not_found`, a report the advisor may not see (sealed to
/// none of their keys, nor inherited by one): to them it is a report that
/// does not exist. The check of every advisor route on one report.
pub(crate) fn require_visible_report(
    conn: &rusqlite::Connection,
    advisor_id: i64,
    report_id: &[u8; 16],
) -> Result<(), AppError> {
    if crate::store::advisor_may_see(conn, advisor_id, report_id)? {
        Ok(())
    } else {
        Err(AppError::not_found("no such report for this advisor"))
    }
}

/// Refuses an advisor whom the operator deactivated since the session
/// began (`unauthorized`): the one check of every advisor route that reads
/// the tenant's register or the organisation's items.
pub(crate) fn require_active_advisor(
    conn: &rusqlite::Connection,
    advisor_id: i64,
) -> Result<(), AppError> {
    if crate::store::is_active_advisor(conn, advisor_id)? {
        Ok(())
    } else {
        Err(AppError::new(
            ErrorCode::Unauthorized,
            "not an active advisor of this tenant",
        ))
    }
}
