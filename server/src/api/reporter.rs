//! The reporter's surface: a new report with its mailbox, the mailbox
//! log-in, and the mailbox's thread, messages and attachments. Nothing here
//! needs more than the mailbox's own session; a session reaches only its
//! own report.

use std::collections::HashSet;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Json;
use meldkluis_crypto_core::{ItemKind, PublicKey};
use serde::Deserialize;
use serde_json::{json, Value};
use subtle::ConstantTimeEq as _;

use super::thread::{download_attachment, post_message, upload_attachment, PostMessage, Writer};
use super::{
    created, decode_item, notice_address, notice_language, request_lang, ApiJson, PathIds,
};
use crate::auth::{MailboxSession, Principal, Tenant};
use crate::error::{AppError, ErrorCode};
use crate::store::{self, NewReport};
use crate::tenants::OpenTenant;
use crate::wire::{self, CheckedItem};
use crate::AppState;

/// The body of a report submission. Its `Debug` leaves out the auth secret
/// and the address, so no log line can carry them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateReport {
    item: String,
    mailbox_id: String,
    mailbox_public_key: String,
    auth_secret: String,
    /// An address for "a new message is waiting" notices (optional; an
    /// empty string is none). Kept in the e-mail store, never in the
    /// tenant database.
    #[serde(default)]
    notice_email: Option<String>,
    /// The language of those notices (`nl`, `en`); default: the request's.
    #[serde(default)]
    language: Option<String>,
}

impl std::fmt::Debug for CreateReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateReport")
            .field("mailbox_id", &self.mailbox_id)
            .field("item_len", &self.item.len())
            .finish_non_exhaustive()
    }
}

/// Checks a report submission as far as possible without the database.
fn prepare_report(
    state: &AppState,
    tenant: &OpenTenant,
    body: &CreateReport,
) -> Result<NewReport, AppError> {
    let mailbox_id = wire::decode_hex::<16>(&body.mailbox_id, "mailbox id")?;
    let mailbox_key = wire::decode_public_key(&body.mailbox_public_key, "mailbox public key")?;
    let auth_secret =
        zeroize::Zeroizing::new(wire::decode_hex::<32>(&body.auth_secret, "auth secret")?);
    let CheckedItem { header, bytes } = wire::check_item(
        decode_item(state, &body.item)?,
        tenant.id(),
        ItemKind::Report,
    )?;
    if header.sender != mailbox_key {
        return Err(AppError::invalid_item(
            "report sender is not the mailbox key",
        ));
    }
    Ok(NewReport {
        id: header.item_id.0,
        mailbox_id,
        mailbox_key,
        auth_hash: state.server_secret().keyed_hash(auth_secret.as_slice()),
        padded_len: header.padded_len,
        recipients: header.recipients,
        item: bytes,
    })
}

/// Checks a report's recipients against the tenant's keys: the mailbox key
/// and the recovery key must be there, at least one active advisor, and
/// nobody else.
fn check_report_recipients(
    conn: &rusqlite::Connection,
    report: &NewReport,
) -> Result<(), AppError> {
    let recovery = store::recovery_key(conn)?
        .ok_or_else(|| AppError::new(ErrorCode::TenantNotReady, "no recovery key enrolled"))?;
    let advisors: HashSet<PublicKey> = store::advisors(conn, true)?
        .into_iter()
        .map(|a| a.public_key)
        .collect();
    if advisors.is_empty() {
        return Err(AppError::new(
            ErrorCode::TenantNotReady,
            "no active advisor",
        ));
    }
    for required in [report.mailbox_key, recovery] {
        if !report.recipients.contains(&required) {
            return Err(AppError::invalid_item(
                "report not sealed to the mailbox and recovery keys",
            ));
        }
    }
    if !report.recipients.iter().any(|key| advisors.contains(key)) {
        return Err(AppError::invalid_item("report sealed to no active advisor"));
    }
    if report
        .recipients
        .iter()
        .any(|key| *key != report.mailbox_key && *key != recovery && !advisors.contains(key))
    {
        return Err(AppError::invalid_item("report sealed to an unknown key"));
    }
    Ok(())
}

/// `POST /api/v1/t/{tenant}/reports`: a new report and its mailbox.
///
/// With `notice_email`, the address is stored in the e-mail store after the
/// report is durable, and the answer says whether that worked
/// (`notice_email_saved`): if not, the report stands and the reporter can
/// add the address from the mailbox.
pub async fn create_report(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    uri: Uri,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateReport>,
) -> Result<Response, AppError> {
    let address = notice_address(body.notice_email.as_deref())?;
    let language = notice_language(body.language.as_deref(), request_lang(&uri, &headers))?;
    let report = prepare_report(&state, &tenant, &body)?;
    drop(body);
    let day = state.today();
    let report_id = hex::encode(report.id);
    let mailbox_id = report.mailbox_id;
    let answer_day = day.clone();
    let per_day = tenant.record.quotas.reports_per_day;
    tenant
        .db
        .call(move |conn| {
            check_report_recipients(conn, &report)?;
            // Over the quota, the error undoes this job's insert.
            if store::insert_report(conn, &report, &day)? > per_day {
                return Err(AppError::new(
                    ErrorCode::ReportLimit,
                    "reports per day at the tenant's quota",
                ));
            }
            Ok(())
        })
        .await?;
    let mut answer = json!({ "report_id": report_id, "created_day": answer_day, "status": "new" });
    if let Some(address) = address {
        let saved = state
            .notices()
            .set_reporter_address(tenant.id(), &mailbox_id, &address, language)
            .await
            .inspect_err(|e| tracing::error!(error = %e, "notice address not stored"))
            .is_ok();
        answer["notice_email_saved"] = json!(saved);
    }
    Ok(created(answer))
}

/// `POST /api/v1/t/{tenant}/bench/reports-no-store` (only with
/// `bench_baseline_endpoint`): all the work of [`create_report`] but SQLite.
pub async fn create_report_baseline(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ApiJson(body): ApiJson<CreateReport>,
) -> Result<Response, AppError> {
    let report = prepare_report(&state, &tenant, &body)?;
    Ok(created(
        json!({ "report_id": hex::encode(report.id), "created_day": state.today(), "status": "new" }),
    ))
}

/// The body of a mailbox log-in. Its `Debug` leaves out the auth secret.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxLogin {
    mailbox_id: String,
    auth_secret: String,
}

impl std::fmt::Debug for MailboxLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxLogin")
            .field("mailbox_id", &self.mailbox_id)
            .finish_non_exhaustive()
    }
}

/// `POST /api/v1/t/{tenant}/mailbox/login`: one uniform failure answer for
/// an unknown mailbox id and a wrong secret; rate-limited per mailbox id and
/// over the whole server.
pub async fn mailbox_login(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ApiJson(body): ApiJson<MailboxLogin>,
) -> Result<Json<Value>, AppError> {
    let mailbox_id = wire::decode_hex::<16>(&body.mailbox_id, "mailbox id")?;
    let auth_secret =
        zeroize::Zeroizing::new(wire::decode_hex::<32>(&body.auth_secret, "auth secret")?);
    state.limiter().check_mailbox(tenant.id(), mailbox_id)?;
    let found = tenant
        .db
        .call(move |conn| Ok(store::mailbox_credentials(conn, &mailbox_id)?))
        .await?;
    let presented = state.server_secret().keyed_hash(auth_secret.as_slice());
    // Compare against a dummy when the id is unknown, so both failures take
    // the same path.
    let (report_id, stored) = found.unwrap_or(([0; 16], [0xff; 32]));
    let matches: bool = presented.ct_eq(&stored).into();
    if !(matches && found.is_some()) {
        return Err(AppError::new(
            ErrorCode::LoginFailed,
            "mailbox log-in failed",
        ));
    }
    let lifetime = std::time::Duration::from_secs(state.config().mailbox_session_secs);
    let token = state
        .sessions()
        .create(tenant.id(), Principal::Mailbox { report_id }, lifetime)?;
    Ok(Json(
        json!({ "token": token, "expires_in_seconds": lifetime.as_secs(), "report_id": hex::encode(report_id) }),
    ))
}

/// `GET /api/v1/t/{tenant}/mailbox`: the reporter's thread.
pub async fn mailbox_thread(
    State(state): State<AppState>,
    session: MailboxSession,
) -> Result<Json<store::Thread>, AppError> {
    let report_id = session.report_id;
    let today = state.clock().today();
    let thread = session
        .tenant
        .db
        .call(move |conn| Ok(store::thread(conn, &report_id, today)?.map(|t| t.for_mailbox(today))))
        .await?;
    thread
        .map(Json)
        .ok_or_else(|| AppError::not_found("mailbox report is gone"))
}

/// `POST /api/v1/t/{tenant}/mailbox/messages`: the reporter writes.
pub async fn mailbox_post_message(
    State(state): State<AppState>,
    session: MailboxSession,
    ApiJson(body): ApiJson<PostMessage>,
) -> Result<Response, AppError> {
    post_message(
        &state,
        &session.tenant,
        Writer::Reporter,
        session.report_id,
        body,
    )
    .await
}

/// `POST /api/v1/t/{tenant}/mailbox/attachments`: the reporter uploads a
/// sealed attachment as a raw stream.
pub async fn mailbox_upload_attachment(
    State(state): State<AppState>,
    session: MailboxSession,
    body: Body,
) -> Result<Response, AppError> {
    upload_attachment(
        &state,
        &session.tenant,
        Writer::Reporter,
        session.report_id,
        body,
    )
    .await
}

/// `GET /api/v1/t/{tenant}/mailbox/attachments/{attachment_id}`.
pub async fn mailbox_download_attachment(
    session: MailboxSession,
    ids: PathIds,
) -> Result<Response, AppError> {
    download_attachment(&session.tenant, session.report_id, ids.attachment()?).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn request_bodies_never_debug_print_the_auth_secret_or_the_address() {
        let report: CreateReport = serde_json::from_value(json!({
            "item": "AAAA", "mailbox_id": "m", "mailbox_public_key": "k",
            "auth_secret": "SECRET-CANARY", "notice_email": "canary@example.org"
        }))
        .unwrap();
        let login: MailboxLogin =
            serde_json::from_value(json!({ "mailbox_id": "m", "auth_secret": "SECRET-CANARY" }))
                .unwrap();
        let address: crate::api::notices::SetNoticeEmail =
            serde_json::from_value(json!({ "address": "canary@example.org" })).unwrap();
        for printed in [
            format!("{report:?}"),
            format!("{login:?}"),
            format!("{address:?}"),
        ] {
            assert!(!printed.contains("CANARY"), "{printed}");
            assert!(!printed.contains("canary@"), "{printed}");
        }
    }
}
