//! Survey endpoints: create, list, read, edit (including status), and
//! signed personal links.

use crate::AppState;
use crate::auth::{Api, can};
use crate::error::AppError;
use crate::json::ApiJson;
use crate::kernel::surveys::load_survey;
use crate::query::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cxloop_core::survey::{check_edit, slugify};
use cxloop_core::{Question, Survey, SurveySpec, SurveyStatus};
use cxloop_store::StoreError;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSurveyRequest {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub touchpoint: Option<String>,
    #[serde(default)]
    pub thank_you: Option<String>,
    #[serde(default)]
    pub status: Option<SurveyStatus>,
    #[serde(default)]
    pub slug: Option<String>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateSurveyRequest {
    pub title: Option<String>,
    pub description: Option<String>,
    pub touchpoint: Option<String>,
    pub thank_you: Option<String>,
    pub status: Option<SurveyStatus>,
    pub questions: Option<Vec<Question>>,
}

/// A survey as the API returns it.
#[derive(Debug, Serialize)]
pub struct SurveyResponse {
    #[serde(flatten)]
    pub survey: Survey,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responses: Option<u64>,
}

pub fn to_response(state: &AppState, survey: Survey, responses: Option<u64>) -> SurveyResponse {
    SurveyResponse { url: format!("{}/s/{}", state.base_url, survey.slug), survey, responses }
}

fn spec_error(e: cxloop_core::SurveyError) -> AppError {
    AppError::invalid(e.field(), e.to_string())
}

fn check_slug(slug: &str) -> Result<(), AppError> {
    let ok = !slug.is_empty()
        && slug.len() <= 60
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-');
    if ok { Ok(()) } else { Err(AppError::invalid("slug", "slug must be 1–60 characters of a-z, 0-9 and -")) }
}

/// Creates a survey, choosing a free slug from the title when none is given.
pub async fn create(
    state: &AppState,
    spec: SurveySpec,
    status: SurveyStatus,
    slug: Option<String>,
) -> Result<Survey, AppError> {
    let spec = spec.validate().map_err(spec_error)?;
    let now = OffsetDateTime::now_utc();
    let explicit = slug.is_some();
    let base = match slug {
        Some(s) => {
            check_slug(&s)?;
            s
        }
        None => slugify(&spec.title),
    };
    let mut survey = Survey {
        id: uuid::Uuid::now_v7(),
        slug: base.clone(),
        title: spec.title,
        description: spec.description,
        touchpoint: spec.touchpoint,
        thank_you: spec.thank_you,
        status,
        questions: spec.questions,
        created_at: now,
        updated_at: now,
    };
    for attempt in 0..20 {
        match state.store.create_survey(&survey).await {
            Ok(()) => return Ok(survey),
            Err(StoreError::Conflict { .. }) if explicit => {
                return Err(AppError::Conflict {
                    field: Some("slug".into()),
                    message: format!("slug {base:?} is taken"),
                });
            }
            Err(StoreError::Conflict { .. }) => {
                let suffix = crate::crypto::hex(&crate::crypto::random_bytes::<2>());
                survey.slug = if attempt < 8 { format!("{base}-{}", attempt + 2) } else { format!("{base}-{suffix}") };
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict { field: Some("slug".into()), message: "could not find a free slug; give one".into() })
}

/// Applies an edit: validates the new definition and refuses changes that
/// would orphan stored answers once the survey has responses.
pub async fn apply_update(state: &AppState, mut survey: Survey, req: UpdateSurveyRequest) -> Result<Survey, AppError> {
    let responses = state.store.response_count(survey.id).await?;
    let spec = SurveySpec {
        title: req.title.unwrap_or_else(|| survey.title.clone()),
        description: req.description.or_else(|| survey.description.clone()),
        touchpoint: req.touchpoint.or_else(|| survey.touchpoint.clone()),
        thank_you: req.thank_you.or_else(|| survey.thank_you.clone()),
        questions: req.questions.unwrap_or_else(|| survey.questions.clone()),
    }
    .validate()
    .map_err(spec_error)?;
    if responses > 0 {
        check_edit(&survey.questions, &spec.questions).map_err(spec_error)?;
        if req.status == Some(SurveyStatus::Draft) {
            return Err(AppError::invalid(
                "status",
                "a survey with responses cannot go back to draft; close it instead",
            ));
        }
    }
    survey.title = spec.title;
    survey.description = spec.description;
    survey.touchpoint = spec.touchpoint;
    survey.thank_you = spec.thank_you;
    survey.questions = spec.questions;
    if let Some(s) = req.status {
        survey.status = s;
    }
    survey.updated_at = OffsetDateTime::now_utc();
    state.store.update_survey(&survey).await?;
    Ok(survey)
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
) -> Result<Json<serde_json::Value>, AppError> {
    let surveys: Vec<SurveyResponse> = state
        .store
        .list_surveys()
        .await?
        .into_iter()
        .map(|s| to_response(&state, s.survey, Some(s.responses)))
        .collect();
    Ok(Json(serde_json::json!({ "surveys": surveys })))
}

pub async fn get_survey(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    Path(id): Path<String>,
) -> Result<Json<SurveyResponse>, AppError> {
    let survey = load_survey(&state, &id).await?;
    Ok(Json(to_response(&state, survey, None)))
}

pub async fn update_survey(
    State(state): State<AppState>,
    _user: Api<can::ManageSurveys>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateSurveyRequest>,
) -> Result<Json<SurveyResponse>, AppError> {
    let survey = load_survey(&state, &id).await?;
    let survey = apply_update(&state, survey, req).await?;
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
) -> Result<Json<serde_json::Value>, AppError> {
    let survey = load_survey(&state, &id).await?;
    let external_id = req.external_id.trim();
    if external_id.is_empty() || external_id.chars().count() > 200 {
        return Err(AppError::invalid("external_id", "external_id must be 1–200 characters"));
    }
    let (url, signature) = crate::kernel::surveys::signed_link(&state, &survey, external_id);
    Ok(Json(serde_json::json!({ "url": url, "external_id": external_id, "signature": signature })))
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
    let survey = load_survey(&state, &id).await?;
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
            crate::qr::svg(&url)?,
        )
            .into_response()),
        "png" => Ok((
            [
                (header::CONTENT_TYPE, "image/png".to_string()),
                (header::CONTENT_DISPOSITION, format!("inline; filename=\"{name}.png\"")),
            ],
            crate::qr::png(&url, scale)?,
        )
            .into_response()),
        _ => Err(AppError::invalid("format", "format must be svg or png")),
    }
}
