//! The reporter's notice settings: the address for "a new message is
//! waiting" e-mails and their language. The address lives in the e-mail
//! store (see [`crate::notices`]), never in the tenant database; only the
//! mailbox's own session reads or changes it.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{notice_address, notice_language, request_lang, ApiJson};
use crate::auth::{AnyMailboxSession as MailboxSession, SessionMailbox};
use crate::error::AppError;
use crate::store;
use crate::AppState;

/// The body of `PUT .../mailbox/notice-email`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetNoticeEmail {
    address: String,
    #[serde(default)]
    language: Option<String>,
}

/// Leaves the address out, so no log line can carry it.
impl std::fmt::Debug for SetNoticeEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetNoticeEmail")
            .field("language", &self.language)
            .finish_non_exhaustive()
    }
}

/// The mailbox id behind a mailbox session.
async fn session_mailbox_id(session: &MailboxSession) -> Result<[u8; 16], AppError> {
    let report_id = match session.mailbox {
        // A follow-up mailbox not joined yet keeps its address under its own
        // mailbox id; the join moves the id, and so the address, to the
        // report.
        SessionMailbox::FollowUp { mailbox_id } => return Ok(mailbox_id),
        SessionMailbox::Report(report_id) => report_id,
    };
    session
        .tenant
        .db
        .call(move |conn| Ok(store::report_mailbox_id(conn, &report_id)?))
        .await?
        .ok_or_else(|| AppError::not_found("mailbox report is gone"))
}

/// `GET /api/v1/t/{tenant}/mailbox/notice-email`: the reporter's own
/// notice address (`null` if none) and language.
pub async fn notice_email_get(
    State(state): State<AppState>,
    session: MailboxSession,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let mailbox_id = session_mailbox_id(&session).await?;
    let stored = state
        .notices()
        .reporter_address(session.tenant.id(), &mailbox_id)
        .await?;
    Ok(Json(match stored {
        Some(stored) => {
            json!({ "address": stored.address.expose_address(), "language": stored.language.tag() })
        }
        None => json!({ "address": null, "language": request_lang(&uri, &headers).tag() }),
    }))
}

/// `PUT /api/v1/t/{tenant}/mailbox/notice-email`: adds or changes the
/// reporter's notice address and language.
pub async fn notice_email_put(
    State(state): State<AppState>,
    session: MailboxSession,
    uri: Uri,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SetNoticeEmail>,
) -> Result<Json<Value>, AppError> {
    let address = notice_address(Some(&body.address))?
        .ok_or_else(|| crate::notices::address_error(crate::notices::AddressError::Shape))?;
    let language = notice_language(body.language.as_deref(), request_lang(&uri, &headers))?;
    drop(body);
    let mailbox_id = session_mailbox_id(&session).await?;
    state
        .notice_changes()
        .check_mailbox_only(session.tenant.id(), mailbox_id)?;
    state
        .notices()
        .set_reporter_address(session.tenant.id(), &mailbox_id, &address, language)
        .await?;
    Ok(Json(
        json!({ "address": address.expose_address(), "language": language.tag() }),
    ))
}

/// `DELETE /api/v1/t/{tenant}/mailbox/notice-email`: removes the
/// reporter's notice address and any notice still waiting for it.
pub async fn notice_email_delete(
    State(state): State<AppState>,
    session: MailboxSession,
) -> Result<StatusCode, AppError> {
    let mailbox_id = session_mailbox_id(&session).await?;
    state
        .notice_changes()
        .check_mailbox_only(session.tenant.id(), mailbox_id)?;
    state
        .notices()
        .delete_reporter_address(session.tenant.id(), &mailbox_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
