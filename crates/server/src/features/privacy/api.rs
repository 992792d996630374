//! The privacy API: export or erase one customer, read the audit log.

use super::service::{customer_data, erase};
use crate::platform::auth::{Api, can};
use crate::platform::error::AppError;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};

pub const CUSTOMER_EXPORT: &str = "/api/v1/customers/{external_id}/export";
pub const CUSTOMER_ERASE: &str = "/api/v1/customers/{external_id}/erase";
pub const AUDIT: &str = "/api/v1/audit";

/// The API paths, for the OpenAPI drift test.
pub const PATHS: &[&str] = &[CUSTOMER_EXPORT, CUSTOMER_ERASE, AUDIT];

/// Everything cxloop holds about one customer, as JSON (logged in the audit trail).
pub async fn export_customer(
    State(state): State<AppState>,
    Api(user, _): Api<can::ManagePrivacy>,
    Path(external_id): Path<String>,
) -> Result<Json<super::service::CustomerData>, AppError> {
    Ok(Json(customer_data(state.store.as_ref(), &user.email, &external_id).await?))
}

/// Erases a customer's identity and free text everywhere; scores stay so aggregates stay right.
pub async fn erase_customer(
    State(state): State<AppState>,
    Api(user, _): Api<can::ManagePrivacy>,
    Path(external_id): Path<String>,
) -> Result<Json<Erased>, AppError> {
    let comments = erase(state.store.as_ref(), &user.email, &external_id).await?;
    Ok(Json(Erased { erased: true, comments_erased: comments }))
}

/// A customer erased: identity gone, comments blanked.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Erased {
    pub erased: bool,
    pub comments_erased: u64,
}

/// The last 500 lines of the audit log, newest first.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditLog {
    pub entries: Vec<cxloop_store::AuditEntry>,
}

pub async fn get_audit(State(state): State<AppState>, _u: Api<can::ManagePrivacy>) -> Result<Json<AuditLog>, AppError> {
    Ok(Json(AuditLog { entries: state.store.audit_log(500).await? }))
}
