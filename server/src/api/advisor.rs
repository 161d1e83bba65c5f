//! The advisor's surface: the challenge log-in (the key in the hardware
//! token is the credential), the reports sealed to the advisor, and
//! messages, attachments, key grants, status and category on them. Every
//! handler after the log-in checks that the report is sealed to this
//! advisor before anything else.

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use meldkluis_crypto_core::format::{MAX_GRANT_LEN, MAX_HEADER_LEN};
use meldkluis_crypto_core::{ItemHeader, KeyGrant};
use serde::Deserialize;
use serde_json::{json, Value};

use super::thread::{
    download_attachment, post_message, queue_reporter_notice, upload_attachment, PostMessage,
    Writer,
};
use super::{require_visible_report, ApiJson, PathIds};
use crate::auth::{AdvisorSession, Principal, Tenant};
use crate::error::{AppError, ErrorCode};
use crate::store;
use crate::tenants::OpenTenant;
use crate::wire;
use crate::AppState;

/// `GET /api/v1/t/{tenant}/advisor/challenge`: a fresh log-in challenge.
///
/// Stores nothing (see [`crate::auth::Challenges`]) and takes nothing from
/// the mailbox log-in limits, so a flood of challenges turns no advisor
/// away.
pub async fn advisor_challenge(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Json<Value> {
    let (id, message) = state.challenges().issue(tenant.id());
    Json(json!({ "challenge_id": hex::encode(id), "challenge": wire::encode_base64(&message) }))
}

/// The body of an advisor log-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvisorLogin {
    challenge_id: String,
    public_key: String,
    response: String,
}

/// `POST /api/v1/t/{tenant}/advisor/login`: the answer to a challenge,
/// computed with the advisor's key (in the hardware token). The challenge
/// id is checked (tag, tenant, expiry) before any key agreement, and
/// marked used only when the log-in succeeds.
pub async fn advisor_login(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ApiJson(body): ApiJson<AdvisorLogin>,
) -> Result<Json<Value>, AppError> {
    let failed = || AppError::new(ErrorCode::LoginFailed, "advisor log-in failed");
    if body.challenge_id.len() > 128 || body.response.len() > 128 {
        return Err(failed());
    }
    let id_bytes = hex::decode(&body.challenge_id).map_err(|_| failed())?;
    let public_key = wire::decode_public_key(&body.public_key, "public key")?;
    let response = wire::decode_base64(&body.response, "response")?;
    let challenges = state.challenges();
    let Some(challenge_id) = challenges.check_id(tenant.id(), &id_bytes) else {
        return Err(failed());
    };
    // Checking the response costs a key agreement: limited server-wide.
    state.advisor_logins().check_global()?;
    if !challenges.verify(tenant.id(), challenge_id, &public_key, &response) {
        return Err(failed());
    }
    let advisor_id = tenant
        .db
        .call(move |conn| Ok(store::active_advisor_id(conn, &public_key)?))
        .await?
        .ok_or_else(failed)?;
    if !challenges.consume(tenant.id(), challenge_id) {
        return Err(AppError::new(
            ErrorCode::LoginFailed,
            "advisor log-in failed: challenge already used",
        ));
    }
    let lifetime = std::time::Duration::from_secs(state.config().advisor_session_secs);
    let token = state.sessions().create(
        tenant.id(),
        Principal::Advisor {
            advisor_id,
            public_key,
        },
        lifetime,
    )?;
    Ok(Json(
        json!({ "token": token, "expires_in_seconds": lifetime.as_secs(), "advisor_id": advisor_id }),
    ))
}

/// `GET /api/v1/t/{tenant}/advisor/reports`: the reports sealed to this
/// advisor, metadata only.
pub async fn advisor_reports(
    State(state): State<AppState>,
    session: AdvisorSession,
) -> Result<Json<Value>, AppError> {
    let advisor_id = session.advisor_id;
    let today = state.clock().today();
    let (reports, terms) = session
        .tenant
        .db
        .call(move |conn| {
            Ok((
                store::reports_for_advisor(conn, advisor_id, today)?,
                store::terms(conn)?,
            ))
        })
        .await?;
    let reports: Vec<store::ReportSummary> = reports
        .into_iter()
        .map(|report| report.with_deadlines(today, terms))
        .collect();
    Ok(Json(
        json!({ "today": today.to_string(), "reports": reports }),
    ))
}

/// `GET /api/v1/t/{tenant}/advisor/reports/{report_id}`: a whole thread.
pub async fn advisor_thread(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
) -> Result<Json<store::Thread>, AppError> {
    let (report_id, advisor_id) = (ids.report()?, session.advisor_id);
    let today = state.clock().today();
    let public_key = session.public_key;
    let thread = session
        .tenant
        .db
        .call(move |conn| {
            if !store::advisor_may_see(conn, advisor_id, &report_id)? {
                return Ok(None);
            }
            let Some(thread) = store::thread(conn, &report_id, today)? else {
                return Ok(None);
            };
            let mut thread = thread.for_advisor(conn, &report_id, today)?;
            // The grants to this advisor's key: how a key that was not a
            // recipient (a replacement, a rotation) reaches content keys.
            thread.grants = store::grants_for(conn, &report_id, &public_key)?;
            if let Some(recovery) = store::recovery_key(conn)? {
                thread.recovery_grants = store::grants_for(conn, &report_id, &recovery)?;
            }
            Ok(Some(thread))
        })
        .await?;
    thread
        .map(Json)
        .ok_or_else(|| AppError::not_found("no such report for this advisor"))
}

fn advisor_writer(session: &AdvisorSession) -> Writer {
    Writer::Advisor {
        advisor_id: session.advisor_id,
        public_key: session.public_key,
    }
}

/// `POST /api/v1/t/{tenant}/advisor/reports/{report_id}/messages`.
pub async fn advisor_post_message(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    ApiJson(body): ApiJson<PostMessage>,
) -> Result<Response, AppError> {
    post_message(
        &state,
        &session.tenant,
        advisor_writer(&session),
        ids.report()?,
        body,
    )
    .await
}

/// `POST /api/v1/t/{tenant}/advisor/reports/{report_id}/attachments`.
pub async fn advisor_upload_attachment(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    body: Body,
) -> Result<Response, AppError> {
    upload_attachment(
        &state,
        &session.tenant,
        advisor_writer(&session),
        ids.report()?,
        body,
    )
    .await
}

/// `GET /api/v1/t/{tenant}/advisor/reports/{report_id}/attachments/{attachment_id}`.
pub async fn advisor_download_attachment(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
) -> Result<Response, AppError> {
    let (report_id, advisor_id) = (ids.report()?, session.advisor_id);
    session
        .tenant
        .db
        .call(move |conn| require_visible_report(conn, advisor_id, &report_id))
        .await?;
    download_attachment(&state, &session.tenant, report_id, ids.attachment()?).await
}

/// Most key grants in one request (a report's items for one new key).
const MAX_GRANTS_PER_REQUEST: usize = 1024;

/// The body of a key grant upload.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostGrants {
    grants: Vec<String>,
}

/// `POST /api/v1/t/{tenant}/advisor/reports/{report_id}/grants`: key grants
/// (crypto-core `KeyGrant`) for items of a report the advisor may see.
///
/// Checked for structure only, like items: each grant parses, names this
/// tenant, is for an item of this report whose stored header hashes to the
/// grant's header hash, and gives the key to an enrolled, active advisor
/// key or, from the posting advisor's own key, to the tenant's current
/// recovery key. Only the grantor's or the grantee's own session may post a grant.
/// Whether the grantor is to be trusted is the reader's decision (the
/// server could not check it, and must not be trusted to). A grant already
/// stored for the same item, grantee and grantor is kept; another
/// grantor's stands beside it.
pub async fn advisor_post_grants(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    ApiJson(body): ApiJson<PostGrants>,
) -> Result<Json<Value>, AppError> {
    let report_id = ids.report()?;
    if body.grants.is_empty() || body.grants.len() > MAX_GRANTS_PER_REQUEST {
        return Err(AppError::bad_request(format!(
            "between 1 and {MAX_GRANTS_PER_REQUEST} grants per request"
        )));
    }
    let mut grants = Vec::with_capacity(body.grants.len());
    for text in &body.grants {
        if text.len() > MAX_GRANT_LEN.div_ceil(3) * 4 {
            return Err(AppError::invalid_item("grant too long"));
        }
        let bytes = wire::decode_base64(text, "grant")?;
        let grant =
            KeyGrant::parse(&bytes).map_err(|e| AppError::invalid_item(format!("grant: {e}")))?;
        if grant.tenant != *session.tenant.id() {
            return Err(AppError::invalid_item("grant is for another tenant"));
        }
        // Only the two keys a grant is between may post it: a co-advisor
        // cannot put grants, broken or not, in front of another advisor.
        if grant.grantor != session.public_key && grant.grantee != session.public_key {
            return Err(AppError::invalid_item(
                "a grant is posted by its grantor or its grantee",
            ));
        }
        grants.push((grant, bytes));
    }
    drop(body);

    // Where each grant's item is: a blob in the database is hashed there;
    // an attachment's header is read from its file below.
    let advisor_id = session.advisor_id;
    let item_ids: Vec<[u8; 16]> = grants.iter().map(|(g, _)| g.item_id.0).collect();
    let stored = session
        .tenant
        .db
        .call(move |conn| {
            require_visible_report(conn, advisor_id, &report_id)?;
            let mut hashes = Vec::with_capacity(item_ids.len());
            for item_id in &item_ids {
                let hash = match store::stored_item(conn, &report_id, item_id)? {
                    None => return Err(AppError::invalid_item("grant for an unknown item")),
                    Some(store::StoredItem::Blob(item)) => Some(stored_header_hash(&item)?),
                    Some(store::StoredItem::Attachment) => None,
                };
                hashes.push(hash);
            }
            Ok(hashes)
        })
        .await?;
    let mut hashes = Vec::with_capacity(stored.len());
    for ((grant, _), hash) in grants.iter().zip(stored) {
        let hash = match hash {
            Some(hash) => hash,
            None => attachment_header_hash(&state, &session.tenant, grant.item_id.0).await?,
        };
        hashes.push(hash);
    }
    for ((grant, _), hash) in grants.iter().zip(&hashes) {
        if grant.header_hash != *hash {
            return Err(AppError::invalid_item(
                "grant does not match the stored item's header",
            ));
        }
    }

    let day = state.today();
    let grantor_session = session.public_key;
    let new_grants: Vec<store::NewGrant> = grants
        .into_iter()
        .map(|(grant, bytes)| store::NewGrant {
            item_id: grant.item_id.0,
            report_id,
            grantor: grant.grantor,
            grantee: grant.grantee,
            bytes,
        })
        .collect();
    session
        .tenant
        .db
        .call(move |conn| {
            // Checked again inside the transaction that stores them.
            require_visible_report(conn, advisor_id, &report_id)?;
            let recovery = store::recovery_key(conn)?;
            let mut stored = 0u64;
            for grant in &new_grants {
                // To an enrolled advisor key, or to the tenant's current
                // recovery key from the advisor posting it (an active
                // advisor who may see the report: replacing the recovery
                // key, `meldkluis-advisor replace-recovery-key`).
                let to_recovery = recovery.as_ref() == Some(&grant.grantee)
                    && grant.grantor == grantor_session;
                if !to_recovery && store::active_advisor_id(conn, &grant.grantee)?.is_none() {
                    return Err(AppError::invalid_item(
                        "grantee is not an enrolled advisor key nor, from this advisor, the recovery key",
                    ));
                }
                if store::insert_grant(conn, grant, &day)? {
                    stored += 1;
                }
            }
            let kept = new_grants.len() as u64 - stored;
            Ok(Json(json!({ "stored": stored, "already_present": kept })))
        })
        .await
}

/// The header hash of a stored item blob.
fn stored_header_hash(item: &[u8]) -> Result<[u8; 32], AppError> {
    let (header, _) =
        ItemHeader::parse(item).map_err(|_| AppError::internal("a stored item does not parse"))?;
    Ok(header.hash())
}

/// The header hash of a stored attachment, read from the start of its file.
async fn attachment_header_hash(
    state: &AppState,
    tenant: &OpenTenant,
    attachment_id: [u8; 16],
) -> Result<[u8; 32], AppError> {
    let file = super::thread::open_stored_attachment(state, tenant, attachment_id)
        .await?
        .into_std()
        .await;
    crate::db::blocking(move || {
        use std::io::Read as _;
        let mut head = Vec::with_capacity(MAX_HEADER_LEN);
        file.take(MAX_HEADER_LEN as u64).read_to_end(&mut head)?;
        stored_header_hash(&head)
    })
    .await
}

/// Why a report was closed (stable codes; no free text).
const CLOSING_REASONS: [&str; 6] = [
    "resolved",
    "agreed_with_reporter",
    "no_response_from_reporter",
    "withdrawn",
    "not_a_report",
    "other",
];

/// The body of a status change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetStatus {
    status: String,
    /// Absent: unchanged; `null`: removed; a day: set.
    #[serde(default, deserialize_with = "present")]
    agreed_update_date: Option<Option<String>>,
    #[serde(default)]
    closing_reason: Option<String>,
}

/// A field that is present, even as `null`, so a change of status without
/// an agreed date keeps the date and only an explicit `null` removes it.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `PUT /api/v1/t/{tenant}/advisor/reports/{report_id}/status`.
pub async fn advisor_set_status(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    ApiJson(body): ApiJson<SetStatus>,
) -> Result<Json<Value>, AppError> {
    let report_id = ids.report()?;
    if !store::STATUSES.contains(&body.status.as_str()) {
        return Err(AppError::bad_request("unknown status"));
    }
    if body
        .agreed_update_date
        .as_ref()
        .and_then(Option::as_deref)
        .is_some_and(|d| !store::is_valid_date(d))
    {
        return Err(AppError::bad_request(
            "agreed_update_date is not a YYYY-MM-DD date",
        ));
    }
    if body
        .closing_reason
        .as_deref()
        .is_some_and(|reason| !CLOSING_REASONS.contains(&reason))
    {
        return Err(AppError::new(
            ErrorCode::ClosingReasonRequired,
            "unknown closing reason",
        ));
    }
    let advisor_id = session.advisor_id;
    let day = state.today();
    // The reporter sees every change of status: tell them one is waiting.
    // The change is checked first, so a refused one queues nothing.
    let (status, reason) = (body.status.clone(), body.closing_reason.clone());
    let (mailbox_id, change) = session
        .tenant
        .db
        .call(move |conn| {
            require_visible_report(conn, advisor_id, &report_id)?;
            let change = store::check_status_change(conn, &report_id, &status, reason.as_deref())?
                .ok_or_else(|| AppError::not_found("no such report for this advisor"))?;
            Ok((store::report_mailbox_id(conn, &report_id)?, change))
        })
        .await?;
    if change == store::StatusChange::Closes {
        // Closing deletes the reporter's notice address: the closure
        // notice takes it along, sealed in its outbox row, and nothing of
        // it remains once that is sent (reopening does not bring it back).
        let mailbox_id = mailbox_id.ok_or_else(|| AppError::not_found("no such report"))?;
        state
            .notices()
            .queue_closure_notice(
                &session.tenant.record,
                &mailbox_id,
                state.clock().now_unix_ms(),
            )
            .await?;
    } else {
        queue_reporter_notice(&state, &session.tenant, mailbox_id).await?;
    }
    session
        .tenant
        .db
        .call(move |conn| {
            require_visible_report(conn, advisor_id, &report_id)?;
            if body.status != "new" {
                store::record_acknowledgement(conn, &report_id, &day)?;
            }
            let agreed = match &body.agreed_update_date {
                None => store::AgreedUpdate::Keep,
                Some(None) => store::AgreedUpdate::Remove,
                Some(Some(date)) => store::AgreedUpdate::Set(date),
            };
            store::set_status(
                conn,
                &report_id,
                advisor_id,
                &body.status,
                agreed,
                body.closing_reason.as_deref(),
                &day,
            )?;
            let agreed_update_date = store::agreed_update_date(conn, &report_id)?;
            let facts = store::life_facts(conn, &report_id)?;
            Ok(Json(json!({
                "status": body.status,
                "agreed_update_date": agreed_update_date,
                "closing_reason": facts.closing_reason,
                "closed_day": facts.closed_day,
            })))
        })
        .await
}

/// The body of a hold: a day and a reason code, or `{"until": null}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetHold {
    until: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

fn invalid_hold(detail: impl Into<std::borrow::Cow<'static, str>>) -> AppError {
    AppError::new(ErrorCode::InvalidHold, detail)
}

/// `PUT /api/v1/t/{tenant}/advisor/reports/{report_id}/hold`: keeps one
/// report longer than the tenant's retention period (legal proceedings,
/// an investigation, ...), with a reason code, until a day after today and
/// at most `retention::MAX_HOLD_MONTHS` ahead; `{"until": null}` removes
/// it. Recorded as an event and on the register line, which every
/// advisor of the tenant reads.
pub async fn advisor_set_hold(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    ApiJson(body): ApiJson<SetHold>,
) -> Result<Json<Value>, AppError> {
    let report_id = ids.report()?;
    let today = state.clock().today();
    let hold = match (body.until.as_deref(), body.reason) {
        (None, None) => None,
        (None, Some(_)) => return Err(invalid_hold("a hold's reason goes with its until day")),
        (Some(_), None) => return Err(invalid_hold("a hold needs a reason")),
        (Some(until), Some(reason)) => {
            let day = crate::dates::Day::parse(until)
                .ok_or_else(|| invalid_hold("until is not a YYYY-MM-DD date"))?;
            if day <= today {
                return Err(invalid_hold("a hold lasts until a day after today"));
            }
            if day > today.add_months(crate::retention::MAX_HOLD_MONTHS) {
                return Err(invalid_hold(format!(
                    "a hold reaches at most {} months ahead",
                    crate::retention::MAX_HOLD_MONTHS
                )));
            }
            if !crate::retention::HOLD_REASONS.contains(&reason.as_str()) {
                return Err(invalid_hold("unknown hold reason"));
            }
            Some(store::Hold {
                until: day.to_string(),
                reason,
            })
        }
    };
    let advisor_id = session.advisor_id;
    let day = today.to_string();
    session
        .tenant
        .db
        .call(move |conn| {
            require_visible_report(conn, advisor_id, &report_id)?;
            let hold = store::set_hold(conn, &report_id, advisor_id, hold.as_ref(), &day)?;
            let life = store::life_facts(conn, &report_id)?;
            let status: String = conn.query_row(
                "SELECT status FROM reports WHERE id = ?1",
                [report_id],
                |r| r.get(0),
            )?;
            let view = life.view(&status, today, &crate::retention::lifecycle(conn)?);
            Ok(Json(
                json!({ "hold": hold, "deletion_day": view.deletion_day }),
            ))
        })
        .await
}

/// The body of a category disclosure.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetCategory {
    category: Option<String>,
}

/// `PUT /api/v1/t/{tenant}/advisor/reports/{report_id}/category`: the
/// category the advisor chooses to disclose for aggregate figures.
pub async fn advisor_set_category(
    session: AdvisorSession,
    ids: PathIds,
    ApiJson(body): ApiJson<SetCategory>,
) -> Result<Json<Value>, AppError> {
    let report_id = ids.report()?;
    if let Some(category) = &body.category {
        let valid = (1..=64).contains(&category.len())
            && category
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !valid {
            return Err(AppError::bad_request("category is not a category id"));
        }
    }
    let advisor_id = session.advisor_id;
    session
        .tenant
        .db
        .call(move |conn| {
            require_visible_report(conn, advisor_id, &report_id)?;
            if let Some(category) = &body.category {
                let questionnaire = store::questionnaire(conn)?;
                let listed = questionnaire.categories.is_empty()
                    || questionnaire.category_ids().any(|id| id == category);
                if !listed {
                    return Err(AppError::bad_request("category not in the questionnaire"));
                }
            }
            store::set_category(conn, &report_id, advisor_id, body.category.as_deref())?;
            Ok(Json(json!({ "category": body.category })))
        })
        .await
}
