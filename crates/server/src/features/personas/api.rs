//! The personas API: extract, call the service, answer JSON.

use super::service;
use crate::platform::auth::{Api, can};
use crate::platform::error::AppError;
use crate::platform::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cxloop_store::Persona;

pub const PERSONAS: &str = "/api/v1/personas";
pub const PERSONA: &str = "/api/v1/personas/{id}";
pub const PERSONA_PICTURE: &str = "/api/v1/personas/{id}/picture";

/// The API paths, for the OpenAPI drift test.
pub const PATHS: &[&str] = &[PERSONAS, PERSONA, PERSONA_PICTURE];

fn persona_id(id: &str) -> Result<cxloop_core::ids::PersonaId, AppError> {
    id.parse().map_err(|_| AppError::NotFound("persona"))
}

/// Every persona with its live figures.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PersonaCards {
    pub personas: Vec<service::PersonaCard>,
}

pub async fn list_personas(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
) -> Result<Json<PersonaCards>, AppError> {
    Ok(Json(PersonaCards { personas: service::cards(&state).await? }))
}

pub async fn create_persona(
    State(state): State<AppState>,
    _u: Api<can::ManageSegments>,
    ApiJson(mut p): ApiJson<Persona>,
) -> Result<(StatusCode, Json<Persona>), AppError> {
    p.id = cxloop_core::ids::PersonaId::nil();
    Ok((StatusCode::CREATED, Json(service::save(state.store.as_ref(), p).await?)))
}

pub async fn update_persona(
    State(state): State<AppState>,
    _u: Api<can::ManageSegments>,
    Path(id): Path<String>,
    ApiJson(mut p): ApiJson<Persona>,
) -> Result<Json<Persona>, AppError> {
    p.id =
        id.parse::<cxloop_core::ids::PersonaId>().ok().filter(|u| !u.is_nil()).ok_or(AppError::NotFound("persona"))?;
    Ok(Json(service::save(state.store.as_ref(), p).await?))
}

pub async fn delete_persona(
    State(state): State<AppState>,
    _u: Api<can::ManageSegments>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    service::delete(state.store.as_ref(), persona_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /api/v1/personas/{id}/picture` with the image as the body.
pub async fn put_picture(
    State(state): State<AppState>,
    _u: Api<can::ManageSegments>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<StatusCode, AppError> {
    service::store_picture(state.store.as_ref(), persona_id(&id)?, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get_picture(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
    Path(id): Path<String>,
) -> Result<axum::response::Response, AppError> {
    super::picture_reply(&state, persona_id(&id)?).await
}

pub async fn delete_picture(
    State(state): State<AppState>,
    _u: Api<can::ManageSegments>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    service::remove_picture(state.store.as_ref(), persona_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
