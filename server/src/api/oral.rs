//! Oral reports and follow-up mailboxes (issue 13), both sides:
//!
//! - the reporter makes a follow-up mailbox (`POST follow-ups`, no
//!   session), like a report with its mailbox but with no report behind it
//!   yet, and reads its mailbox reference aloud;
//! - an advisor registers a report they heard (`POST advisor/reports`),
//!   fetches a follow-up mailbox by its reference and joins it to the oral
//!   report.
//!
//! The server computes a follow-up's reference itself from its mailbox key;
//! the advisor's console checks it again against the reference the
//! reporter read out, so a key the server substituted is refused there.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Json;
use meldkluis_crypto_core::{mailbox_reference, parse_mailbox_reference, ItemKind, PublicKey};
use serde::Deserialize;
use serde_json::{json, Value};

use super::reporter::{check_report_recipients, prepare_report, CreateReport, NoticeRequest};
use super::{
    created, decode_item, require_active_advisor, require_visible_report, ApiJson, PathIds,
};
use crate::auth::{AdvisorSession, Tenant};
use crate::error::{AppError, ErrorCode};
use crate::follow_up;
use crate::store::{self, NewReport};
use crate::wire::{self, CheckedItem};
use crate::AppState;

/// `POST /api/v1/t/{tenant}/follow-ups`: a follow-up mailbox. The body is
/// a report's (`item` of kind report, sealed by the mailbox key to itself,
/// the recovery key and at least one active advisor, nobody else); the
/// answer is the mailbox reference the server computed from the key.
pub async fn create_follow_up(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    uri: Uri,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateReport>,
) -> Result<Response, AppError> {
    let notice = NoticeRequest::of(&body, &uri, &headers)?;
    let report = prepare_report(&state, &tenant, &body)?;
    drop(body);
    let reference = mailbox_reference(&report.mailbox_key);
    let mailbox_id = report.mailbox_id;
    let today = state.clock().today();
    let per_day = tenant.record.quotas.reports_per_day;
    let answer_reference = reference.clone();
    let (created_day, expires_day) = tenant
        .db
        .call(move |conn| {
            check_report_recipients(conn, &report)?;
            // The same follow-up again (a retry): answered as the first was.
            if let Some(days) = follow_up::replay(conn, &report)? {
                crate::db::replayed_write();
                return Ok(days);
            }
            let made_today: i64 = conn
                .prepare_cached("SELECT count(*) FROM follow_ups WHERE created_day = ?1")?
                .query_row([today.to_string()], |r| r.get(0))?;
            if u64::try_from(made_today).unwrap_or(u64::MAX) >= per_day {
                return Err(AppError::new(
                    ErrorCode::ReportLimit,
                    "follow-up mailboxes per day at the tenant's quota",
                ));
            }
            let expires_day = follow_up::insert(conn, &reference, &report, today)?;
            Ok((today.to_string(), expires_day))
        })
        .await?;
    let mut answer = json!({
        "reference": answer_reference,
        "created_day": created_day,
        "expires_day": expires_day,
    });
    notice.save(&state, &tenant, &mailbox_id, &mut answer).await;
    Ok(created(answer))
}

/// The body of an oral report's registration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterOralReport {
    item: String,
    channel: String,
}

/// `POST /api/v1/t/{tenant}/advisor/reports`: registers a report an advisor
/// heard. The item is kind report, sealed by the session's advisor key to
/// the recovery key and active advisors (this one included), nobody else.
/// The report has no mailbox until one is joined.
pub async fn advisor_register_oral_report(
    State(state): State<AppState>,
    session: AdvisorSession,
    ApiJson(body): ApiJson<RegisterOralReport>,
) -> Result<Response, AppError> {
    let channel = match body.channel.as_str() {
        "oral" => "oral",
        "meeting" => "meeting",
        _ => return Err(AppError::bad_request("channel: not oral or meeting")),
    };
    let CheckedItem { header, bytes } = wire::check_item(
        decode_item(&state, &body.item)?,
        session.tenant.id(),
        ItemKind::Report,
    )?;
    drop(body);
    if header.sender != session.public_key {
        return Err(AppError::invalid_item(
            "oral report sender is not the advisor's key",
        ));
    }
    // A mailbox nobody holds: random id and key; no auth hash.
    let mut mailbox_id = [0u8; 16];
    let mut mailbox_key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut mailbox_id);
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut mailbox_key);
    let report = NewReport {
        id: header.item_id.0,
        mailbox_id,
        mailbox_key: PublicKey::from_bytes(mailbox_key),
        auth_hash: follow_up::no_auth_hash(),
        padded_len: header.padded_len,
        recipients: header.recipients,
        item: bytes,
    };
    let day = state.today();
    let report_id = hex::encode(report.id);
    let per_day = session.tenant.record.quotas.reports_per_day;
    let (advisor_id, advisor_key) = (session.advisor_id, session.public_key);
    let created_day = session
        .tenant
        .db
        .call(move |conn| {
            require_active_advisor(conn, advisor_id)?;
            check_oral_recipients(conn, &report, &advisor_key)?;
            // The same registration again (a retry): answered as the first was.
            if let Some(created_day) =
                store::oral_report_replay(conn, &report.id, &report.item, channel)?
            {
                crate::db::replayed_write();
                return Ok(created_day);
            }
            if follow_up::insert_oral_report(conn, &report, channel, &day)? > per_day {
                return Err(AppError::new(
                    ErrorCode::ReportLimit,
                    "reports per day at the tenant's quota",
                ));
            }
            Ok(day)
        })
        .await?;
    Ok(created(
        json!({ "report_id": report_id, "created_day": created_day, "status": "new" }),
    ))
}

/// An oral report's recipients: the current recovery key, the registering
/// advisor, any other active advisors, and nobody else.
fn check_oral_recipients(
    conn: &rusqlite::Connection,
    report: &NewReport,
    advisor: &PublicKey,
) -> Result<(), AppError> {
    let recovery = store::recovery_key(conn)?
        .ok_or_else(|| AppError::new(ErrorCode::TenantNotReady, "no recovery key enrolled"))?;
    let advisors: std::collections::HashSet<PublicKey> = store::advisors(conn, true)?
        .into_iter()
        .map(|a| a.public_key)
        .collect();
    for required in [recovery, *advisor] {
        if !report.recipients.contains(&required) {
            return Err(AppError::invalid_item(
                "oral report not sealed to the recovery key and the registering advisor",
            ));
        }
    }
    if report
        .recipients
        .iter()
        .any(|key| *key != recovery && !advisors.contains(key))
    {
        return Err(AppError::invalid_item(
            "oral report sealed to a key that is no active advisor",
        ));
    }
    Ok(())
}

/// `GET /api/v1/t/{tenant}/advisor/follow-ups/{reference}`: a follow-up
/// mailbox not joined yet, by its reference (any spelling the parser
/// accepts).
pub async fn advisor_follow_up(
    State(state): State<AppState>,
    session: AdvisorSession,
    Path((_, reference)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
    let reference = parse_mailbox_reference(&reference)
        .map_err(|e| AppError::bad_request(format!("reference: {e}")))?;
    let today = state.clock().today();
    let advisor_id = session.advisor_id;
    let found = session
        .tenant
        .db
        .call(move |conn| {
            require_active_advisor(conn, advisor_id)?;
            Ok(follow_up::by_reference(conn, &reference, today)?)
        })
        .await?
        .ok_or_else(|| AppError::not_found("no such follow-up mailbox"))?;
    Ok(Json(json!({
        "reference": found.reference,
        "mailbox_public_key": found.mailbox_key.to_hex(),
        "item": wire::encode_base64(&found.item),
        "created_day": found.created_day,
        "expires_day": found.expires_day,
    })))
}

/// The body of a join.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinFollowUp {
    reference: String,
    mailbox_public_key: String,
}

/// `POST /api/v1/t/{tenant}/advisor/reports/{report_id}/join`: joins a
/// follow-up mailbox to an oral report this advisor may see that has no
/// mailbox yet.
pub async fn advisor_join(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    ApiJson(body): ApiJson<JoinFollowUp>,
) -> Result<Json<Value>, AppError> {
    let report_id = ids.report()?;
    let reference = parse_mailbox_reference(&body.reference)
        .map_err(|e| AppError::bad_request(format!("reference: {e}")))?;
    let mailbox_key = wire::decode_public_key(&body.mailbox_public_key, "mailbox public key")?;
    let today = state.clock().today();
    let advisor_id = session.advisor_id;
    session
        .tenant
        .db
        .call(move |conn| {
            require_visible_report(conn, advisor_id, &report_id)?;
            follow_up::join(
                conn,
                &report_id,
                advisor_id,
                &reference,
                &mailbox_key,
                today,
            )
        })
        .await?;
    Ok(Json(
        json!({ "report_id": hex::encode(report_id), "joined_day": today.to_string() }),
    ))
}
