//! What anyone may ask: a tenant's public configuration (what a reporter's
//! browser needs to seal a report) and the health check.

use axum::Json;
use serde_json::{json, Value};

use crate::auth::Tenant;
use crate::error::AppError;
use crate::store;

/// `GET /api/v1/t/{tenant}/config`: what a reporter's browser needs.
pub async fn public_config(Tenant(tenant): Tenant) -> Result<Json<Value>, AppError> {
    let record = tenant.record.clone();
    tenant
        .db
        .call(move |conn| {
            let languages: Vec<&str> = store::languages(conn)?.iter().map(|l| l.tag()).collect();
            let questionnaire = store::questionnaire(conn)?;
            let advisors: Vec<Value> = store::advisors(conn, true)?
                .into_iter()
                .map(|a| {
                    json!({
                        "id": a.id,
                        "display_name": a.display_name,
                        "public_key": a.public_key.to_hex(),
                        "fingerprint": a.public_key.fingerprint(),
                    })
                })
                .collect();
            let recovery = store::recovery_key(conn)?
                .map(|key| json!({ "public_key": key.to_hex(), "fingerprint": key.fingerprint() }));
            let accepting = recovery.is_some() && !advisors.is_empty();
            let voice = store::voice(conn)?;
            Ok(Json(json!({
                "tenant": record.id.as_str(),
                "name": record.name,
                "languages": languages,
                "questionnaire": questionnaire,
                "advisors": advisors,
                "recovery_key": recovery,
                "max_attachment_bytes": record.max_attachment_bytes,
                "accepting_reports": accepting,
                "voice": voice,
            })))
        })
        .await
}

/// `GET /healthz`.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
