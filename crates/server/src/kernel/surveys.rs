//! Surveys as the kernel serves them to every feature: one by its id (as a
//! path gives it), and a customer's signed personal link.

use crate::AppState;
use crate::error::AppError;
use cxloop_core::Survey;

/// Loads a survey by the id in a path; malformed and unknown ids are 404.
pub async fn load_survey(state: &AppState, id: &str) -> Result<Survey, AppError> {
    let id = uuid::Uuid::parse_str(id).map_err(|_| AppError::NotFound("survey"))?;
    state.store.get_survey(id).await.map_err(|e| match e {
        cxloop_store::StoreError::NotFound => AppError::NotFound("survey"),
        other => other.into(),
    })
}

/// A personal survey link that identifies the customer who opens it, and
/// its signature.
pub fn signed_link(state: &AppState, survey: &Survey, external_id: &str) -> (String, String) {
    let sig = crate::crypto::sign_customer(&state.link_key, &survey.slug, external_id);
    let c: String = form_urlencoded::byte_serialize(external_id.as_bytes()).collect();
    (format!("{}/s/{}?c={c}&sig={sig}", state.base_url, survey.slug), sig)
}

/// A signed personal link to a survey for one customer.
pub fn surveys_link(state: &AppState, survey: &Survey, external_id: &str) -> String {
    signed_link(state, survey, external_id).0
}
