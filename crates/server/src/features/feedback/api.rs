//! `POST /api/v1/surveys/{id}/feedback`: feedback gathered elsewhere
//! (reviews, interview notes, social posts) imported into a survey from a
//! CSV or JSON body, every bad row reported by line or item and column.

use super::service::{FeedbackPlan, Format, apply, plan};
use crate::kernel::customer_import::{MappedColumn, RowError, mapped, parse_map};
use crate::kernel::surveys::load_survey;
use crate::platform::auth::{Api, can};
use crate::platform::error::AppError;
use crate::platform::query::ApiQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use serde::{Deserialize, Serialize};

pub const FEEDBACK_IMPORT: &str = "/api/v1/surveys/{id}/feedback";

/// The API paths, for the OpenAPI drift test.
pub const PATHS: &[&str] = &[FEEDBACK_IMPORT];

#[derive(Debug, Default, Deserialize)]
pub struct FeedbackQuery {
    /// Where the feedback comes from: app-store, interview, focus-group …
    pub source: Option<String>,
    pub all_or_nothing: Option<bool>,
    pub dry_run: Option<bool>,
    /// `HEADER:TARGET` pairs separated by `;`.
    pub map: Option<String>,
}

/// The report of a feedback import (or a dry run).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FeedbackImport {
    /// Items read (CSV data rows or JSON array items).
    pub rows: u64,
    pub valid: u64,
    /// Items written as responses: 0 on a dry run, or with all_or_nothing and any error.
    pub imported: u64,
    /// Items left out because the survey already holds their source id.
    pub already_imported: u64,
    pub errors: Vec<RowError>,
    pub mapping: Vec<MappedColumn>,
}

/// The report of an import (or a dry run).
pub fn report(p: &FeedbackPlan, imported: usize) -> FeedbackImport {
    FeedbackImport {
        rows: p.rows,
        valid: p.items.len() as u64,
        imported: imported as u64,
        already_imported: p.already_imported.len() as u64,
        errors: p.errors.clone(),
        mapping: mapped(&p.mapping),
    }
}

pub async fn import_feedback(
    State(state): State<AppState>,
    _u: Api<can::ManageSurveys>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<FeedbackQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<FeedbackImport>), AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let format = if ct.starts_with("text/csv") {
        Format::Csv
    } else if ct.starts_with("application/json") {
        Format::Json
    } else {
        return Err(AppError::UnsupportedMediaType("send the file as text/csv or application/json".into()));
    };
    let source = q.source.as_deref().ok_or_else(|| AppError::invalid("source", "give source, e.g. app-store"))?;
    super::service::check_source(source).map_err(|e| AppError::invalid("source", e.0))?;
    let explicit = parse_map(q.map.as_deref())?;
    let mut p = plan(&body, format, &survey, source, &explicit, time::OffsetDateTime::now_utc())
        .map_err(|e| AppError::invalid("file", e.0))?;
    super::service::skip_imported(state.store.as_ref(), &survey, &mut p).await?;
    let imported = apply(&state, &p, q.all_or_nothing.unwrap_or(false), q.dry_run.unwrap_or(false)).await?;
    let status = if p.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Json(report(&p, imported))))
}
