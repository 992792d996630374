//! Survey endpoints: create, list, read, edit (including status), and
//! signed personal links.

use crate::kernel::surveys::{CreateSurveyRequest, UpdateSurveyRequest, apply_update, create, load_survey};
use crate::platform::auth::{Api, can};
use crate::platform::error::AppError;
use crate::platform::json::ApiJson;
use crate::platform::query::ApiQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cxloop_core::{Survey, SurveySpec, SurveyStatus};
use serde::{Deserialize, Serialize};

/// A survey as the API returns it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyResponse {
    #[serde(flatten)]
    pub survey: Survey,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responses: Option<u64>,
}

/// `GET /api/v1/surveys`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyList {
    pub surveys: Vec<SurveyResponse>,
}

/// A signed personal link to a survey.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedLink {
    pub url: String,
    pub external_id: String,
    pub signature: String,
}

pub fn to_response(state: &AppState, survey: Survey, responses: Option<u64>) -> SurveyResponse {
    SurveyResponse { url: format!("{}/s/{}", state.base_url, survey.slug), survey, responses }
}

pub async fn create_survey(
    State(state): State<AppState>,
    _user: Api<can::ManageSurveys>,
    ApiJson(req): ApiJson<CreateSurveyRequest>,
) -> Result<(StatusCode, Json<SurveyResponse>), AppError> {
    let spec = SurveySpec {
        title: req.title,
        description: req.description,
        touchpoint: req.touchpoint,
        thank_you: req.thank_you,
        questions: req.questions,
    };
    let survey = create(&state, spec, req.status.unwrap_or(SurveyStatus::Draft), req.slug).await?;
    Ok((StatusCode::CREATED, Json(to_response(&state, survey, Some(0)))))
}

pub async fn list_surveys(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
) -> Result<Json<SurveyList>, AppError> {
    let surveys: Vec<SurveyResponse> = state
        .store
        .list_surveys()
        .await?
        .into_iter()
        .map(|s| to_response(&state, s.survey, Some(s.responses)))
        .collect();
    Ok(Json(SurveyList { surveys }))
}

pub async fn get_survey(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    Path(id): Path<String>,
) -> Result<Json<SurveyResponse>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    Ok(Json(to_response(&state, survey, None)))
}

pub async fn update_survey(
    State(state): State<AppState>,
    _user: Api<can::ManageSurveys>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateSurveyRequest>,
) -> Result<Json<SurveyResponse>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let survey = apply_update(state.store.as_ref(), survey, req).await?;
    Ok(Json(to_response(&state, survey, None)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    pub external_id: String,
}

pub async fn create_link(
    State(state): State<AppState>,
    _user: Api<can::SendInvitations>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LinkRequest>,
) -> Result<Json<SignedLink>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let external_id = req.external_id.trim();
    if external_id.is_empty() || external_id.chars().count() > 200 {
        return Err(AppError::invalid("external_id", "external_id must be 1–200 characters"));
    }
    let (url, signature) = crate::kernel::surveys::signed_link(&state, &survey, external_id);
    Ok(Json(SignedLink { url, external_id: external_id.to_string(), signature }))
}

#[derive(Debug, Default, Deserialize)]
pub struct QrQuery {
    /// `svg` (default) or `png`.
    pub format: Option<String>,
    /// Encode this customer's personal link instead of the public one.
    pub customer: Option<String>,
    /// PNG pixels per module (default 8).
    pub scale: Option<String>,
}

/// `GET /api/v1/surveys/{id}/qr`: a QR code of the survey's public link (or
/// a customer's personal link) as SVG or PNG, ready to print.
pub async fn survey_qr(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<QrQuery>,
) -> Result<axum::response::Response, AppError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let url = match q.customer.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) if c.chars().count() > 200 => {
            return Err(AppError::invalid("customer", "customer must be 1–200 characters"));
        }
        Some(c) => crate::kernel::surveys::signed_link(&state, &survey, c).0,
        None => format!("{}/s/{}", state.base_url, survey.slug),
    };
    let name = format!("{}-qr", survey.slug);
    let scale = match q.scale.as_deref() {
        None => 8,
        Some(s) => s
            .parse()
            .ok()
            .filter(|n| (1..=40).contains(n))
            .ok_or_else(|| AppError::invalid("scale", "scale must be 1–40 pixels per module"))?,
    };
    match q.format.as_deref().unwrap_or("svg") {
        "svg" => Ok((
            [
                (header::CONTENT_TYPE, "image/svg+xml".to_string()),
                (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}.svg\"")),
            ],
            crate::platform::qr::svg(&url)?,
        )
            .into_response()),
        "png" => Ok((
            [
                (header::CONTENT_TYPE, "image/png".to_string()),
                (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}.png\"")),
            ],
            crate::platform::qr::png(&url, scale)?,
        )
            .into_response()),
        _ => Err(AppError::invalid("format", "format must be svg or png")),
    }
}
