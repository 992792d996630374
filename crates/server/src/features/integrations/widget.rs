//! The website widget: the script (`/widget.js`), its public configuration
//! and submission endpoints (CORS, only for the origins a survey allows),
//! and the staff endpoint that sets those origins and the display frequency.

use super::service::{self, WidgetRequest, normalise_origin};
use crate::kernel::ingest::{Submission, Trust, submit};
use crate::kernel::surveys::load_survey;
use crate::platform::auth::{Api, can};
use crate::platform::error::AppError;
use crate::platform::json::ApiJson;
use crate::platform::query::ApiQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cxloop_core::{QuestionType, Survey, SurveyStatus};
use cxloop_store::{StoreError, Widget};
use serde::{Deserialize, Serialize};

/// The script, served as is: cxloop's own code.
pub const SCRIPT: &str = include_str!("../../../assets/widget.js");

pub async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        SCRIPT,
    )
}

pub async fn put_widget(
    State(state): State<AppState>,
    _u: Api<can::ManageIntegrations>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<WidgetRequest>,
) -> Result<Json<Widget>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    Ok(Json(service::save_widget(state.store.as_ref(), &survey, &req).await?))
}

/// A widget's settings with the script tag that shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WidgetSettings {
    pub widget: Widget,
    /// The `<script>` tag to paste into the site.
    pub snippet: String,
}

pub async fn get_widget(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
    Path(id): Path<String>,
) -> Result<Json<WidgetSettings>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let widget = widget_of(&state, survey.id).await?;
    let snippet = format!("<script src=\"{}/widget.js\" data-survey=\"{}\" async></script>", state.base_url, survey.id);
    Ok(Json(WidgetSettings { widget, snippet }))
}

async fn widget_of(state: &AppState, survey_id: cxloop_core::ids::SurveyId) -> Result<Widget, AppError> {
    state.store.widget(survey_id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound("widget"),
        other => other.into(),
    })
}

/// The survey, its widget and the request's origin, if `Origin` is one the
/// widget allows; the error says which origin was refused.
async fn allowed(state: &AppState, id: &str, headers: &HeaderMap) -> Result<(Survey, Widget, String), AppError> {
    let survey = load_survey(state.store.as_ref(), id).await?;
    let w = state.store.widget(survey.id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::Forbidden("this survey has no website widget".into()),
        other => other.into(),
    })?;
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()).unwrap_or("");
    match normalise_origin(origin) {
        Some(o) if w.origins.contains(&o) => Ok((survey, w, origin.to_string())),
        _ => Err(AppError::Forbidden(format!("origin {origin:?} is not allowed to show this survey's widget"))),
    }
}

fn cors(mut r: Response, origin: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(origin) {
        let h = r.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    r
}

#[derive(Debug, Default, Deserialize)]
pub struct VisitorQuery {
    /// The visitor's external id and its link signature, when the page knows who it is.
    pub customer: Option<String>,
    pub signature: Option<String>,
}

/// True when a signed visitor answered this survey within `days`: then the
/// widget stays away on every device, not only in the browser that answered.
async fn answered_recently(state: &AppState, survey: &Survey, q: &VisitorQuery, days: u32) -> Result<bool, AppError> {
    let (Some(c), Some(sig)) = (q.customer.as_deref(), q.signature.as_deref()) else { return Ok(false) };
    if !crate::platform::crypto::verify_customer(&state.link_key, &survey.slug, c, sig) {
        return Ok(false);
    }
    let customer = match state.store.customer_by_external_id(c).await {
        Ok(c) => c,
        Err(StoreError::NotFound) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let since = time::OffsetDateTime::now_utc() - time::Duration::days(i64::from(days));
    let recent = state.store.customer_responses(customer.id, 200).await?;
    Ok(recent.iter().any(|r| r.survey_id == survey.id && r.submitted_at >= since))
}

/// What the widget script shows. When a signed visitor answered within the
/// display frequency only `survey_id` and `show: false` are sent.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WidgetConfig {
    pub survey_id: cxloop_core::ids::SurveyId,
    pub show: bool,
    #[serde(flatten)]
    pub shown: Option<WidgetShown>,
}

/// The survey as the widget shows it: sent only with `show: true`, so the
/// document marks none of it required.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WidgetShown {
    #[schema(required = false)]
    pub title: String,
    #[schema(required = false)]
    pub question: WidgetQuestion,
    /// The survey's first text question, asked after the score (null when it has none).
    pub follow_up: Option<WidgetFollowUp>,
    #[schema(required = false)]
    pub every_days: u32,
    #[schema(required = false)]
    pub thank_you: String,
}

/// The headline scored question with its scale.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WidgetQuestion {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub text: String,
    pub min: i32,
    pub max: i32,
    pub min_label: String,
    pub max_label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WidgetFollowUp {
    pub key: String,
    pub text: String,
}

/// `GET /api/v1/widget/{survey_id}`: what the script shows (`"show": false`
/// when a signed visitor answered within the display frequency).
pub async fn config(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(visitor): ApiQuery<VisitorQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (survey, w, origin) = allowed(&state, &id, &headers).await?;
    if survey.status != SurveyStatus::Active {
        return Err(AppError::Conflict { field: Some("status".into()), message: "this survey is not open".into() });
    }
    if answered_recently(&state, &survey, &visitor, w.every_days).await? {
        let hidden = WidgetConfig { survey_id: survey.id, show: false, shown: None };
        return Ok(cors(Json(hidden).into_response(), &origin));
    }
    let q = survey.headline_question().ok_or(AppError::NotFound("widget"))?;
    let (min, max) = q.range().unwrap_or((0, 10));
    let follow = survey.questions.iter().find(|x| x.kind == QuestionType::Text);
    let shown = WidgetShown {
        title: survey.title.clone(),
        question: WidgetQuestion {
            key: q.key.clone(),
            kind: q.kind,
            text: q.text.clone(),
            min,
            max,
            min_label: q.low_label().to_string(),
            max_label: q.high_label().to_string(),
        },
        follow_up: follow.map(|f| WidgetFollowUp { key: f.key.clone(), text: f.text.clone() }),
        every_days: w.every_days,
        thank_you: survey.thank_you.clone().unwrap_or_else(|| "Thank you! We read every answer.".into()),
    };
    let body = WidgetConfig { survey_id: survey.id, show: true, shown: Some(shown) };
    Ok(cors(Json(body).into_response(), &origin))
}

/// The CORS preflight of a widget submission.
pub async fn preflight(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let (_, _, origin) = allowed(&state, &id, &headers).await?;
    let mut r = StatusCode::NO_CONTENT.into_response();
    let h = r.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("POST"));
    h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
    h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    Ok(cors(r, &origin))
}

/// `POST /api/v1/widget/{survey_id}/responses`: an answer from the widget;
/// a named visitor needs a valid signature, as on a personal link.
pub async fn submit_response(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(mut sub): ApiJson<Submission>,
) -> Result<Response, AppError> {
    let (survey, _, origin) = allowed(&state, &id, &headers).await?;
    sub.submitted_at = None;
    sub.invitation = None;
    // The widget is the channel; a visitor cannot name another one.
    sub.channel = None;
    let stored = submit(&state, &survey, &sub, None, Trust::Public, "widget").await?;
    let r = match stored {
        cxloop_store::Inserted::Created(r) | cxloop_store::Inserted::Replayed(r) => r,
    };
    Ok(cors((StatusCode::CREATED, Json(WidgetStored { id: r.id })).into_response(), &origin))
}

/// A widget answer as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WidgetStored {
    pub id: cxloop_core::ids::ResponseId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        assert_eq!(normalise_origin("HTTPS://App.Example.com/").as_deref(), Some("https://app.example.com"));
        assert_eq!(normalise_origin("http://127.0.0.1:8080").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(normalise_origin("http://[::1]:3000").as_deref(), Some("http://[::1]:3000"));
        assert_eq!(normalise_origin("https://my-shop.example").as_deref(), Some("https://my-shop.example"));
        for bad in [
            "http://[",
            "http://[]",
            "http://[::1",
            "http://[::1]x",
            "http://[1d22a3.:bc2]",
            "http://a..b",
            "http://-a.com",
            "http://a.com:",
            "http://a.com:0",
            "http://a.com:65536",
            "http://a.com:80:80",
            "http://a_b.com",
            "app.example.com",
            "https://x.com/path",
            "ftp://x.com",
            "https://",
            "https://x.com?q=1",
            "javascript:alert(1)",
        ] {
            assert_eq!(normalise_origin(bad), None, "{bad}");
        }
    }
}
