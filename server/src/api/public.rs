//! What anyone may ask: a tenant's public configuration (what a reporter's
//! browser needs to seal a report) and the health check.

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, State};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::Json;
use meldkluis_crypto_core::TenantId;
use serde_json::{json, Value};

use crate::error::{AppError, ErrorCode};
use crate::AppState;

/// `GET /api/v1/t/{tenant}/config`: what a reporter's browser needs. Served
/// from the server database without opening the tenant's own (see
/// [`crate::tenants::public_config`]); the bytes are those the tenant
/// database gives.
pub async fn public_config(
    State(state): State<AppState>,
    params: Result<RawPathParams, RawPathParamsRejection>,
) -> Result<impl IntoResponse, AppError> {
    let params = params.map_err(|e| AppError::bad_request(format!("path: {e}")))?;
    let raw = params
        .iter()
        .find_map(|(name, value)| (name == "tenant").then_some(value))
        .ok_or_else(|| AppError::internal("route without a tenant parameter"))?;
    let id = TenantId::new(raw)
        .map_err(|_| AppError::new(ErrorCode::InvalidTenantId, "invalid tenant id"))?;
    let answer = state.tenants().public_config(&id).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        answer,
    ))
}

/// `GET /healthz`.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}
