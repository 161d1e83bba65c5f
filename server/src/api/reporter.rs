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
use crate::auth::{AnyMailboxSession, MailboxSession, Principal, SessionMailbox, Tenant};
use crate::error::{AppError, ErrorCode, Lang};
use crate::notices::EmailAddress;
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
    pub(super) notice_email: Option<String>,
    /// The language of those notices (`nl`, `en`); default: the request's.
    #[serde(default)]
    pub(super) language: Option<String>,
}

impl std::fmt::Debug for CreateReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateReport")
            .field("mailbox_id", &self.mailbox_id)
            .field("item_len", &self.item.len())
            .finish_non_exhaustive()
    }
}

/// The notice address and language asked for with a new report or a new
/// follow-up mailbox: checked before anything is stored, saved in the
/// e-mail store only once the mailbox is durable.
pub(super) struct NoticeRequest {
    address: Option<EmailAddress>,
    language: Lang,
}

impl NoticeRequest {
    /// The body's `notice_email` and `language` (default: the request's).
    pub(super) fn of(
        body: &CreateReport,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<Self, AppError> {
        Ok(Self {
            address: notice_address(body.notice_email.as_deref())?,
            language: notice_language(body.language.as_deref(), request_lang(uri, headers))?,
        })
    }

    /// Stores the address, if one was asked for, for the durable mailbox
    /// `mailbox_id`, and says in `answer` whether that worked
    /// (`notice_email_saved`): if not, the mailbox stands and the reporter
    /// can add the address from it.
    pub(super) async fn save(
        self,
        state: &AppState,
        tenant: &OpenTenant,
        mailbox_id: &[u8; 16],
        answer: &mut Value,
    ) {
        if let Some(address) = self.address {
            let saved = state
                .notices()
                .set_reporter_address(tenant.id(), mailbox_id, &address, self.language)
                .await
                .inspect_err(|e| tracing::error!(error = %e, "notice address not stored"))
                .is_ok();
            answer["notice_email_saved"] = json!(saved);
        }
    }
}

/// Checks a report submission as far as possible without the database.
pub(super) fn prepare_report(
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
pub(super) fn check_report_recipients(
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
    let notice = NoticeRequest::of(&body, &uri, &headers)?;
    let report = prepare_report(&state, &tenant, &body)?;
    drop(body);
    let day = state.today();
    let report_id = hex::encode(report.id);
    let mailbox_id = report.mailbox_id;
    let per_day = tenant.record.quotas.reports_per_day;
    let created_day = tenant
        .db
        .call(move |conn| {
            check_report_recipients(conn, &report)?;
            match store::insert_report(conn, &report, &day) {
                // Over the quota, the error undoes this job's insert.
                Ok(count) if count > per_day => Err(AppError::new(
                    ErrorCode::ReportLimit,
                    "reports per day at the tenant's quota",
                )),
                Ok(_) => Ok(day),
                // The same report again (a retry whose first answer was
                // lost or refused): answered as the first was.
                Err(e) if e.code() == ErrorCode::Conflict => {
                    let Some(created_day) = store::report_replay(conn, &report)? else {
                        return Err(e);
                    };
                    crate::db::replayed_write();
                    Ok(created_day)
                }
                Err(e) => Err(e),
            }
        })
        .await?;
    let mut answer = json!({ "report_id": report_id, "created_day": created_day, "status": "new" });
    notice.save(&state, &tenant, &mailbox_id, &mut answer).await;
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
    let today = state.clock().today();
    // A report's mailbox (its own, or a joined follow-up), else a follow-up
    // mailbox waiting to be joined. A report without a mailbox has no
    // credentials.
    let found = tenant
        .db
        .call(move |conn| {
            if let Some((report_id, hash)) = store::mailbox_credentials(conn, &mailbox_id)? {
                return Ok(Some((LoggedIn::Report(report_id), hash)));
            }
            Ok(crate::follow_up::credentials(conn, &mailbox_id, today)?
                .map(|(reference, hash)| (LoggedIn::FollowUp(reference), hash)))
        })
        .await?;
    let presented = state.server_secret().keyed_hash(auth_secret.as_slice());
    // Compare against a dummy when the id is unknown, so both failures take
    // the same path.
    let stored = found.as_ref().map_or([0xff; 32], |(_, hash)| *hash);
    let matches: bool = presented.ct_eq(&stored).into();
    let Some((logged_in, _)) = found.filter(|_| matches) else {
        return Err(AppError::new(
            ErrorCode::LoginFailed,
            "mailbox log-in failed",
        ));
    };
    let lifetime = std::time::Duration::from_secs(state.config().mailbox_session_secs);
    let (principal, answer) = match logged_in {
        LoggedIn::Report(report_id) => (
            Principal::Mailbox { report_id },
            json!({ "report_id": hex::encode(report_id) }),
        ),
        LoggedIn::FollowUp(reference) => (
            Principal::FollowUp { mailbox_id },
            json!({ "report_id": null, "reference": reference }),
        ),
    };
    let token = state.sessions().create(tenant.id(), principal, lifetime)?;
    let mut answer = answer;
    answer["token"] = json!(token);
    answer["expires_in_seconds"] = json!(lifetime.as_secs());
    Ok(Json(answer))
}

/// What a mailbox log-in found.
enum LoggedIn {
    /// A report's mailbox.
    Report([u8; 16]),
    /// A follow-up mailbox waiting to be joined, by its reference.
    FollowUp(String),
}

/// `GET /api/v1/t/{tenant}/mailbox`: the reporter's thread; for a
/// follow-up mailbox not joined yet, the same shape with no report and the
/// follow-up (its reference, days and item).
pub async fn mailbox_thread(
    State(state): State<AppState>,
    session: AnyMailboxSession,
) -> Result<Json<Value>, AppError> {
    let today = state.clock().today();
    match session.mailbox {
        SessionMailbox::Report(report_id) => {
            let thread = session
                .tenant
                .db
                .call(move |conn| {
                    Ok(store::thread(conn, &report_id, today)?.map(|t| t.for_mailbox(today)))
                })
                .await?
                .ok_or_else(|| AppError::not_found("mailbox report is gone"))?;
            Ok(Json(serde_json::to_value(thread).map_err(|e| {
                AppError::internal(format!("thread as JSON: {e}"))
            })?))
        }
        SessionMailbox::FollowUp { mailbox_id } => {
            let follow_up = session
                .tenant
                .db
                .call(move |conn| Ok(crate::follow_up::by_mailbox(conn, &mailbox_id, today)?))
                .await?
                .ok_or_else(|| AppError::unauthorized("follow-up mailbox is gone"))?;
            Ok(Json(json!({
                "report_id": null,
                "follow_up": {
                    "reference": follow_up.reference,
                    "created_day": follow_up.created_day,
                    "expires_day": follow_up.expires_day,
                    "item": wire::encode_base64(&follow_up.item),
                },
                "created_day": null,
                "status": null,
                "agreed_update_date": null,
                "acknowledged_day": null,
                "feedback_day": null,
                "deadlines": [],
                "report": null,
                "messages": [],
                "attachments": [],
                "forwards": [],
                "closing_reason": null,
                "closed_day": null,
                "deletion_day": null,
                "silence_warning": null,
            })))
        }
    }
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

/// `GET /api/v1/t/{tenant}/mailbox/attachments/{attachment_id}`. A joined
/// follow-up mailbox reaches only the attachments from the join on.
pub async fn mailbox_download_attachment(
    State(state): State<AppState>,
    session: MailboxSession,
    ids: PathIds,
) -> Result<Response, AppError> {
    let (report_id, attachment_id) = (session.report_id, ids.attachment()?);
    let visible = session
        .tenant
        .db
        .call(move |conn| {
            let after = store::mailbox_facts(conn, &report_id)?
                .and_then(|f| f.joined_attachment_seq)
                .unwrap_or(i64::MIN);
            Ok(conn
                .prepare_cached(
                    "SELECT 1 FROM attachments WHERE id = ?1 AND report_id = ?2 AND seq > ?3",
                )?
                .exists(rusqlite::params![attachment_id, report_id, after])?)
        })
        .await?;
    if !visible {
        return Err(AppError::not_found("no such attachment"));
    }
    download_attachment(&state, &session.tenant, report_id, attachment_id).await
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
