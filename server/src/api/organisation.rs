//! The advisor's side of the organisation's recipients (issue 12): the
//! list of current recipients (to confirm their fingerprints and seal to
//! them), figures reports for management, and forwards of a report to one
//! forward recipient with its attachments.
//!
//! The server cannot tell whether a reporter approved a forward (the
//! approval is sealed in the thread); the advisor's console checks that
//! before it seals. What the server enforces is who an item may be sealed
//! to: a figures report only to current management recipients and the
//! tenant's active advisors (never the recovery key, nobody else), from
//! the logged-in advisor; a forward and its attachments to exactly one
//! current forward recipient, from the logged-in advisor, of a report the
//! advisor may see.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use axum::Json;
use meldkluis_crypto_core::{ItemHeader, ItemKind};
use serde_json::{json, Value};

use super::recipient::octets;
use super::thread::{
    put_attachment_object, read_attachment_header, settle_upload, store_attachment_file,
};
use super::{created, require_active_advisor, require_visible_report, PathIds};
use crate::auth::AdvisorSession;
use crate::error::{AppError, ErrorCode};
use crate::org::{self, NewOrgItem, OrgKind, Period};
use crate::store;
use crate::wire;
use crate::AppState;

/// Most attachments one forward names.
pub const MAX_FORWARD_ATTACHMENTS: usize = 64;

/// A query parameter's value, percent-decoded (`,` may come as `%2C`),
/// if present.
fn query_param(uri: &Uri, name: &str) -> Result<Option<String>, AppError> {
    let Query(mut params) = Query::<std::collections::HashMap<String, String>>::try_from_uri(uri)
        .map_err(|_| AppError::bad_request("query string"))?;
    Ok(params.remove(name))
}

/// A whole item from a raw body: within `max_item_bytes`, structurally
/// sound, version 2, this tenant, kind message, sent by this advisor.
fn checked_message(
    state: &AppState,
    session: &AdvisorSession,
    body: Bytes,
) -> Result<wire::CheckedItem, AppError> {
    if body.len() as u64 > state.config().max_item_bytes {
        return Err(AppError::new(
            ErrorCode::PayloadTooLarge,
            "item over max_item_bytes",
        ));
    }
    let checked = wire::check_item(body.to_vec(), session.tenant.id(), ItemKind::Message)?;
    if checked.header.sender != session.public_key {
        return Err(AppError::invalid_item(
            "sender is not the logged-in advisor's key",
        ));
    }
    Ok(checked)
}

/// `GET /api/v1/t/{tenant}/advisor/recipients`: the tenant's current
/// management and forward recipients.
pub async fn advisor_recipients(session: AdvisorSession) -> Result<Json<Value>, AppError> {
    let advisor_id = session.advisor_id;
    session
        .tenant
        .db
        .call(move |conn| {
            require_active_advisor(conn, advisor_id)?;
            Ok(Json(json!({ "recipients": org::recipients(conn, true)? })))
        })
        .await
}

/// `POST /api/v1/t/{tenant}/advisor/figures?period=YYYY-Qn|YYYY`: stores a
/// figures report (the body is the sealed item). A message whose report id
/// is its own id, from this advisor, sealed to at least one current
/// management recipient and otherwise only to active advisors of the
/// tenant; the period must have ended.
pub async fn advisor_post_figures(
    State(state): State<AppState>,
    session: AdvisorSession,
    uri: Uri,
    body: Bytes,
) -> Result<Response, AppError> {
    let period = query_param(&uri, "period")?
        .as_deref()
        .and_then(Period::parse)
        .ok_or_else(|| AppError::new(ErrorCode::InvalidPeriod, "period is not YYYY-Qn or YYYY"))?;
    if !period.ended(state.clock().today()) {
        return Err(AppError::new(
            ErrorCode::InvalidPeriod,
            "the period has not ended",
        ));
    }
    let wire::CheckedItem { header, bytes } = checked_message(&state, &session, body)?;
    if header.report_id != header.item_id {
        return Err(AppError::invalid_item(
            "a figures report's report id is its own item id",
        ));
    }
    let advisor_id = session.advisor_id;
    let day = state.today();
    let item_id = header.item_id.0;
    session
        .tenant
        .db
        .call(move |conn| {
            require_active_advisor(conn, advisor_id)?;
            let mut management = 0;
            for key in &header.recipients {
                if org::current_with_role(conn, key, "management")?.is_some() {
                    management += 1;
                } else if store::active_advisor_id(conn, key)?.is_none() {
                    return Err(AppError::invalid_item(format!(
                        "recipient {} is neither a current management recipient nor an active advisor",
                        key.to_hex()
                    )));
                }
            }
            if management == 0 {
                return Err(AppError::invalid_item(
                    "a figures report is sealed to at least one management recipient",
                ));
            }
            if org::item_id_in_use(conn, &item_id)? {
                return Err(AppError::new(ErrorCode::Conflict, "item id in use"));
            }
            org::insert_item(
                conn,
                &NewOrgItem {
                    item_id,
                    kind: OrgKind::Figures,
                    report_id: None,
                    period: Some(period.to_string()),
                    sender: header.sender,
                    size: bytes.len() as u64,
                    padded_len: header.padded_len,
                    recipients: header.recipients.clone(),
                    item: Some(bytes),
                },
                &day,
            )
        })
        .await?;
    Ok(created(json!({ "item_id": hex::encode(item_id) })))
}

/// `GET /api/v1/t/{tenant}/advisor/figures`: every figures report of the
/// tenant (the console reads earlier ones for secondary suppression).
pub async fn advisor_figures(session: AdvisorSession) -> Result<Json<Value>, AppError> {
    let advisor_id = session.advisor_id;
    session
        .tenant
        .db
        .call(move |conn| {
            require_active_advisor(conn, advisor_id)?;
            Ok(Json(json!({ "figures": org::figures(conn)? })))
        })
        .await
}

/// `GET /api/v1/t/{tenant}/advisor/figures/{item_id}`: a figures report's
/// sealed bytes.
pub async fn advisor_figures_item(
    session: AdvisorSession,
    ids: PathIds,
) -> Result<Response, AppError> {
    let (advisor_id, item_id) = (session.advisor_id, ids.item()?);
    let bytes = session
        .tenant
        .db
        .call(move |conn| {
            require_active_advisor(conn, advisor_id)?;
            Ok(org::figures_item(conn, &item_id)?)
        })
        .await?
        .ok_or_else(|| AppError::not_found("no such figures report"))?;
    Ok(octets(bytes.len() as u64, Body::from(bytes)))
}

/// The one forward recipient an item of a forward is sealed to: exactly
/// one recipient, a current forward recipient.
fn forward_recipient(
    conn: &rusqlite::Connection,
    header: &ItemHeader,
) -> Result<org::Recipient, AppError> {
    let [key] = header.recipients.as_slice() else {
        return Err(AppError::invalid_item(
            "a forward is sealed to exactly one recipient",
        ));
    };
    org::current_with_role(conn, key, "forward")?
        .ok_or_else(|| AppError::invalid_item("the recipient is not a current forward recipient"))
}

/// Checks, inside a job, that the advisor may see the report and that an
/// item of a forward belongs to it and goes to one current forward
/// recipient.
fn check_forward_item(
    conn: &rusqlite::Connection,
    advisor_id: i64,
    report_id: &[u8; 16],
    header: &ItemHeader,
) -> Result<org::Recipient, AppError> {
    require_visible_report(conn, advisor_id, report_id)?;
    if header.report_id.0 != *report_id {
        return Err(AppError::invalid_item("item belongs to another report"));
    }
    forward_recipient(conn, header)
}

/// `POST /api/v1/t/{tenant}/advisor/reports/{report_id}/forwards/attachments`:
/// a forward's attachment, streamed like a thread's (kind attachment, this
/// report, from this advisor, sealed to exactly one current forward
/// recipient). It waits, unseen by anyone, until a forward names it.
pub async fn advisor_upload_forward_attachment(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    body: Body,
) -> Result<Response, AppError> {
    let (report_id, advisor_id) = (ids.report()?, session.advisor_id);
    let tenant = &session.tenant;
    tenant
        .db
        .call(move |conn| require_visible_report(conn, advisor_id, &report_id))
        .await?;
    let mut stream = body.into_data_stream();
    let (header, head) = read_attachment_header(tenant, &mut stream).await?;
    if header.sender != session.public_key {
        return Err(AppError::invalid_item(
            "sender is not the logged-in advisor's key",
        ));
    }
    let (item_id, item_len) = (header.item_id.0, header.item_len());
    let quotas = tenant.record.quotas;
    let check = move |conn: &rusqlite::Connection, header: &ItemHeader| {
        check_forward_item(conn, advisor_id, &report_id, header)?;
        let (count, bytes) = org::forward_attachment_usage(conn, &report_id)?;
        if count >= quotas.attachments_per_report {
            return Err(AppError::new(
                ErrorCode::ThreadLimit,
                "forward attachments at the report's quota",
            ));
        }
        if bytes.saturating_add(item_len) > quotas.attachment_bytes_per_report {
            return Err(AppError::new(
                ErrorCode::StorageLimit,
                "forward attachment bytes over the report's quota",
            ));
        }
        Ok(())
    };
    let _claim = state.claim_upload(tenant.id(), item_id)?;
    let checked = header.clone();
    tenant
        .db
        .call(move |conn| {
            check(conn, &checked)?;
            if org::item_id_in_use(conn, &item_id)? {
                return Err(AppError::new(ErrorCode::Conflict, "item id in use"));
            }
            Ok(())
        })
        .await?;
    let guard = store_attachment_file(tenant, head, stream, item_id, item_len).await?;
    put_attachment_object(&state, tenant, item_id).await?;
    let day = state.today();
    let registered = tenant
        .db
        .call(move |conn| {
            check(conn, &header)?;
            org::insert_item(
                conn,
                &NewOrgItem {
                    item_id,
                    kind: OrgKind::ForwardAttachment,
                    report_id: Some(report_id),
                    period: None,
                    sender: header.sender,
                    size: item_len,
                    padded_len: header.padded_len,
                    item: None,
                    recipients: header.recipients.clone(),
                },
                &day,
            )
        })
        .await;
    settle_upload(&state, tenant, item_id, guard, registered).await?;
    Ok(created(json!({ "item_id": hex::encode(item_id) })))
}

/// `POST /api/v1/t/{tenant}/advisor/reports/{report_id}/forwards?attachments=<hex>,<hex>`:
/// a forward (the body is the sealed item: kind message, this report,
/// from this advisor, sealed to exactly one current forward recipient).
/// Every attachment named must be one of this report's forward attachments
/// not yet part of a forward, sealed to the same recipient. Records the
/// report event `forwarded` with the recipient's label.
pub async fn advisor_post_forward(
    State(state): State<AppState>,
    session: AdvisorSession,
    ids: PathIds,
    uri: Uri,
    body: Bytes,
) -> Result<Response, AppError> {
    let report_id = ids.report()?;
    let mut attachments: Vec<[u8; 16]> = Vec::new();
    if let Some(list) = query_param(&uri, "attachments")?.filter(|l| !l.is_empty()) {
        for hex_id in list.split(',') {
            if attachments.len() == MAX_FORWARD_ATTACHMENTS {
                return Err(AppError::bad_request("too many attachments"));
            }
            let id = wire::decode_hex::<16>(hex_id, "attachment id")?;
            if attachments.contains(&id) {
                return Err(AppError::bad_request("an attachment named twice"));
            }
            attachments.push(id);
        }
    }
    let wire::CheckedItem { header, bytes } = checked_message(&state, &session, body)?;
    let advisor_id = session.advisor_id;
    let day = state.today();
    let answer_day = day.clone();
    let item_id = header.item_id.0;
    session
        .tenant
        .db
        .call(move |conn| {
            let recipient = check_forward_item(conn, advisor_id, &report_id, &header)?;
            for attachment in &attachments {
                match org::pending_attachment(conn, attachment)? {
                    Some((of_report, key))
                        if of_report == report_id && key == recipient.public_key => {}
                    _ => {
                        return Err(AppError::invalid_item(format!(
                            "attachment {} is not a waiting forward attachment of this report to this recipient",
                            hex::encode(attachment)
                        )))
                    }
                }
            }
            if org::item_id_in_use(conn, &item_id)? {
                return Err(AppError::new(ErrorCode::Conflict, "item id in use"));
            }
            org::insert_item(
                conn,
                &NewOrgItem {
                    item_id,
                    kind: OrgKind::Forward,
                    report_id: Some(report_id),
                    period: None,
                    sender: header.sender,
                    size: bytes.len() as u64,
                    padded_len: header.padded_len,
                    recipients: vec![recipient.public_key],
                    item: Some(bytes),
                },
                &day,
            )?;
            for attachment in &attachments {
                if !org::tie_attachment(conn, attachment, &item_id)? {
                    return Err(AppError::new(ErrorCode::Conflict, "attachment already tied"));
                }
            }
            store::insert_event(
                conn,
                &report_id,
                &day,
                "forwarded",
                Some(advisor_id),
                Some(&recipient.label),
            )?;
            Ok(())
        })
        .await?;
    Ok(created(
        json!({ "item_id": hex::encode(item_id), "day": answer_day }),
    ))
}

/// `GET /api/v1/t/{tenant}/advisor/reports/{report_id}/forwards`: the
/// forwards made of a report.
pub async fn advisor_forwards(
    session: AdvisorSession,
    ids: PathIds,
) -> Result<Json<Value>, AppError> {
    let (report_id, advisor_id) = (ids.report()?, session.advisor_id);
    session
        .tenant
        .db
        .call(move |conn| {
            require_visible_report(conn, advisor_id, &report_id)?;
            Ok(Json(
                json!({ "forwards": org::forwards_of_report(conn, &report_id)? }),
            ))
        })
        .await
}
