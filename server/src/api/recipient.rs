//! The surface of the organisation's recipients (issue 12): management
//! (directie / OR-rapportage) and forward recipients (HR /
//! klachtencommissie). A recipient enrols once with an operator's
//! single-use invitation and the public key its enrolment code (or
//! hardware token) gives, logs in by answering a challenge with that key
//! (like an advisor, bound to another context), and then reads only the
//! items sealed to its key: figures reports and forwards with their
//! attachments. Nothing here reaches a report's thread.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};

use super::{created, ApiJson, PathIds};
use crate::auth::{ChallengeFor, Principal, RecipientSession, Tenant};
use crate::error::{AppError, ErrorCode};
use crate::org;
use crate::wire;
use crate::AppState;

/// The body of an enrolment.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enrol {
    invitation: String,
    public_key: String,
}

/// Never prints the invitation's secret (whoever holds it can enrol a key).
impl std::fmt::Debug for Enrol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrol")
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

fn invalid_invitation() -> AppError {
    AppError::new(
        ErrorCode::InvalidInvitation,
        "invitation unknown, used or expired",
    )
}

/// `POST /api/v1/t/{tenant}/recipient/enrol`: enrols the public key of a
/// recipient with an invitation the operator made (`meldkluis-server
/// recipient invite`). The invitation is single use and expires; the key
/// must not be in use in the tenant yet (`already_enrolled`).
pub async fn recipient_enrol(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ApiJson(body): ApiJson<Enrol>,
) -> Result<Response, AppError> {
    let secret = wire::decode_hex::<32>(&body.invitation, "invitation")?;
    let public_key = wire::decode_public_key(&body.public_key, "public key")?;
    state.recipient_logins().check_global()?;
    let secret_hash: [u8; 32] = Sha256::digest(secret).into();
    let today = state.clock().today();
    let recipient = tenant
        .db
        .call(move |conn| {
            let (role, label) =
                org::take_invitation(conn, &secret_hash, today)?.ok_or_else(invalid_invitation)?;
            // A failure below undoes the invitation's use with this job.
            org::add_recipient(conn, &role, &label, &public_key, "code", &today.to_string())?;
            Ok((role, label))
        })
        .await?;
    Ok(created(json!({
        "role": recipient.0,
        "label": recipient.1,
        "fingerprint": public_key.fingerprint(),
    })))
}

/// `GET /api/v1/t/{tenant}/recipient/challenge`: a fresh log-in challenge
/// for a recipient (stateless, like the advisor's).
pub async fn recipient_challenge(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
) -> Json<Value> {
    let (id, message) = state
        .challenges()
        .issue_for(tenant.id(), ChallengeFor::Recipient);
    Json(json!({ "challenge": hex::encode(id), "message": hex::encode(message) }))
}

/// The body of a recipient's log-in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecipientLogin {
    public_key: String,
    challenge: String,
    answer: String,
}

/// `POST /api/v1/t/{tenant}/recipient/login`: the answer to a recipient
/// challenge, computed with the recipient's key over
/// `recipient_login_context(tenant, server origin)`. Every failure is the
/// same `login_failed`.
pub async fn recipient_login(
    State(state): State<AppState>,
    Tenant(tenant): Tenant,
    ApiJson(body): ApiJson<RecipientLogin>,
) -> Result<Json<Value>, AppError> {
    let failed = || AppError::new(ErrorCode::LoginFailed, "recipient log-in failed");
    if body.challenge.len() > 128 || body.answer.len() > 128 {
        return Err(failed());
    }
    let public_key = wire::decode_public_key(&body.public_key, "public key")?;
    let id_bytes = hex::decode(&body.challenge).map_err(|_| failed())?;
    let answer = hex::decode(&body.answer).map_err(|_| failed())?;
    let challenges = state.challenges();
    let challenge_id = challenges
        .check_id_for(tenant.id(), &id_bytes, ChallengeFor::Recipient)
        .ok_or_else(failed)?;
    state.recipient_logins().check_global()?;
    if !challenges.verify(tenant.id(), challenge_id, &public_key, &answer) {
        return Err(failed());
    }
    let recipient = tenant
        .db
        .call(move |conn| Ok(org::recipient_by_key(conn, &public_key)?))
        .await?
        .filter(|r| r.removed_day.is_none())
        .ok_or_else(failed)?;
    if !challenges.consume(tenant.id(), challenge_id) {
        return Err(AppError::new(
            ErrorCode::LoginFailed,
            "recipient log-in failed: challenge already used",
        ));
    }
    let lifetime = std::time::Duration::from_secs(state.config().advisor_session_secs);
    let token = state.sessions().create(
        tenant.id(),
        Principal::Recipient {
            recipient_id: recipient.id,
            public_key,
        },
        lifetime,
    )?;
    Ok(Json(json!({
        "token": token,
        "role": recipient.role,
        "label": recipient.label,
        "expires_in": lifetime.as_secs(),
    })))
}

fn removed() -> AppError {
    AppError::unauthorized("recipient removed")
}

/// `GET /api/v1/t/{tenant}/recipient/items`: the figures reports and
/// forwards sealed to this recipient's key, with a forward's attachments.
pub async fn recipient_items(session: RecipientSession) -> Result<Json<Value>, AppError> {
    let (id, key) = (session.recipient_id, session.public_key);
    session
        .tenant
        .db
        .call(move |conn| {
            let recipient = org::current_recipient(conn, id, &key)?.ok_or_else(removed)?;
            let items = org::items_for_recipient(conn, &key)?;
            Ok(Json(json!({
                "role": recipient.role,
                "label": recipient.label,
                "items": items,
            })))
        })
        .await
}

/// `GET /api/v1/t/{tenant}/recipient/items/{item_id}`: one item's bytes
/// (a figures report, a forward, or a forward's attachment), only if it is
/// sealed to this recipient's key; `not_found` for any other item id.
pub async fn recipient_item(
    State(state): State<AppState>,
    session: RecipientSession,
    ids: PathIds,
) -> Result<Response, AppError> {
    let item_id = ids.item()?;
    let (id, key) = (session.recipient_id, session.public_key);
    let found = session
        .tenant
        .db
        .call(move |conn| {
            org::current_recipient(conn, id, &key)?.ok_or_else(removed)?;
            Ok(org::item_for_recipient(conn, &key, &item_id)?)
        })
        .await?
        .ok_or_else(|| AppError::not_found("no such item for this recipient"))?;
    match found {
        org::RecipientItemBytes::Blob(bytes) => Ok(octets(bytes.len() as u64, Body::from(bytes))),
        org::RecipientItemBytes::File(len) => {
            let file =
                super::thread::open_stored_attachment(&state, &session.tenant, item_id).await?;
            let stream = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
            Ok(octets(len, Body::from_stream(stream)))
        }
    }
}

/// An item as `application/octet-stream` of `len` bytes.
pub(super) fn octets(len: u64, body: Body) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (header::CONTENT_LENGTH, len.to_string()),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_enrolment_body_never_debug_prints_the_invitation() {
        let enrol: Enrol = serde_json::from_value(serde_json::json!({
            "invitation": "INVITATION-CANARY", "public_key": "ab"
        }))
        .unwrap();
        let printed = format!("{enrol:?}");
        assert!(!printed.contains("CANARY"), "{printed}");
        assert!(printed.contains("ab"), "{printed}");
    }
}
