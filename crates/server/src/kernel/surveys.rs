//! Surveys, the kernel's first aggregate: creating and editing one (the
//! rules behind the API and the survey builder alike), loading one by the
//! id a path gives, and a customer's signed personal link.

use crate::platform::error::AppError;
use crate::state::AppState;
use cxloop_core::survey::{check_edit, slugify};
use cxloop_core::{Question, Survey, SurveySpec, SurveyStatus};
use cxloop_store::{ResponseStore, StoreError, SurveyStore};
use serde::Deserialize;
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
        id: cxloop_core::ids::SurveyId::new(),
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
                let suffix = crate::platform::crypto::hex(&crate::platform::crypto::random_bytes::<2>());
                survey.slug = if attempt < 8 { format!("{base}-{}", attempt + 2) } else { format!("{base}-{suffix}") };
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::Conflict { field: Some("slug".into()), message: "could not find a free slug; give one".into() })
}

/// Applies an edit: validates the new definition and refuses changes that
/// would orphan stored answers once the survey has responses.
pub async fn apply_update(
    store: &(impl SurveyStore + ResponseStore + ?Sized),
    mut survey: Survey,
    req: UpdateSurveyRequest,
) -> Result<Survey, AppError> {
    let responses = store.response_count(survey.id).await?;
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
    store.update_survey(&survey).await?;
    Ok(survey)
}

/// Loads a survey by the id in a path; malformed and unknown ids are 404.
pub async fn load_survey(store: &dyn SurveyStore, id: &str) -> Result<Survey, AppError> {
    let id: cxloop_core::ids::SurveyId = id.parse().map_err(|_| AppError::NotFound("survey"))?;
    store.get_survey(id).await.map_err(|e| match e {
        cxloop_store::StoreError::NotFound => AppError::NotFound("survey"),
        other => other.into(),
    })
}

/// A personal survey link that identifies the customer who opens it, and
/// its signature.
pub fn signed_link(state: &AppState, survey: &Survey, external_id: &str) -> (String, String) {
    let sig = crate::platform::crypto::sign_customer(&state.link_key, &survey.slug, external_id);
    let c: String = form_urlencoded::byte_serialize(external_id.as_bytes()).collect();
    (format!("{}/s/{}?c={c}&sig={sig}", state.base_url, survey.slug), sig)
}

/// A signed personal link to a survey for one customer.
pub fn surveys_link(state: &AppState, survey: &Survey, external_id: &str) -> String {
    signed_link(state, survey, external_id).0
}
