//! What anyone may ask: a tenant's public configuration (what a reporter's
//! browser needs to seal a report) and the health check.

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{RawPathParams, State};
use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::{json, Value};

use crate::error::AppError;
use crate::AppState;

/// `GET /api/v1/t/{tenant}/config`: what a reporter's browser needs. Served
/// from the server database without opening the tenant's own (see
/// [`crate::tenants::public_config`]); the bytes are those the tenant
/// database gives.
pub async fn public_config(
    State(state): State<AppState>,
    params: Result<RawPathParams, RawPathParamsRejection>,
) -> Result<impl IntoResponse, AppError> {
    let id = crate::auth::path_tenant_id(params)?;
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
