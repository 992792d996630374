//! The JSON API, versioned under `/api/v1` and described by the OpenAPI
//! document at `/api/openapi.json`. Paths are constants so the document's
//! drift test can compare them.

pub mod customers;
pub(crate) mod responses;
pub mod surveys;
pub mod text;

use crate::platform::error::AppError;
use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};

pub const SURVEYS: &str = "/api/v1/surveys";
pub const SURVEY: &str = "/api/v1/surveys/{id}";
pub const SURVEY_LINKS: &str = "/api/v1/surveys/{id}/links";
pub const SURVEY_QR: &str = "/api/v1/surveys/{id}/qr";
pub const RESPONSES: &str = "/api/v1/surveys/{id}/responses";
pub const RESPONSES_CSV: &str = "/api/v1/surveys/{id}/responses.csv";
pub const METRICS: &str = "/api/v1/surveys/{id}/metrics";
pub const THEMES: &str = "/api/v1/surveys/{id}/themes";
pub const EMERGING: &str = "/api/v1/surveys/{id}/emerging";
pub const TAXONOMY: &str = "/api/v1/taxonomy";
pub const TAXONOMY_THEMES: &str = "/api/v1/taxonomy/themes";
pub const COMMENTS: &str = "/api/v1/comments";
pub const ATTRIBUTES: &str = "/api/v1/customer-attributes";
pub const ATTRIBUTE: &str = "/api/v1/customer-attributes/{key}";
pub const CUSTOMERS: &str = "/api/v1/customers";
pub const CUSTOMERS_BULK: &str = "/api/v1/customers/bulk";
pub const CUSTOMERS_IMPORT: &str = "/api/v1/customers/import";
pub const CUSTOMERS_CSV: &str = "/api/v1/customers.csv";
pub const CUSTOMER: &str = "/api/v1/customers/{external_id}";
pub const CUSTOMER_EVENTS: &str = "/api/v1/customers/{external_id}/events";
pub const SEGMENTS: &str = "/api/v1/segments";
pub const SEGMENT: &str = "/api/v1/segments/{id}";
pub const SEGMENT_PREVIEW: &str = "/api/v1/segments/preview";
pub const COMPARE: &str = "/api/v1/surveys/{id}/compare";
pub const HEALTHZ: &str = "/healthz";
pub const OPENAPI: &str = "/api/openapi.json";

/// Every documented path, for the drift check.
pub const PATHS: &[&str] = &[
    SURVEYS,
    SURVEY,
    SURVEY_LINKS,
    SURVEY_QR,
    RESPONSES,
    RESPONSES_CSV,
    METRICS,
    THEMES,
    EMERGING,
    TAXONOMY,
    TAXONOMY_THEMES,
    COMMENTS,
    ATTRIBUTES,
    ATTRIBUTE,
    CUSTOMERS,
    CUSTOMERS_BULK,
    CUSTOMERS_IMPORT,
    CUSTOMERS_CSV,
    CUSTOMER,
    CUSTOMER_EVENTS,
    SEGMENTS,
    SEGMENT,
    SEGMENT_PREVIEW,
    COMPARE,
    HEALTHZ,
    OPENAPI,
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(SURVEYS, post(surveys::create_survey).get(surveys::list_surveys))
        .route(SURVEY, get(surveys::get_survey).patch(surveys::update_survey))
        .route(SURVEY_LINKS, post(surveys::create_link))
        .route(SURVEY_QR, get(surveys::survey_qr))
        .route(RESPONSES, post(responses::create_response).get(responses::list_responses))
        .route(RESPONSES_CSV, get(responses::export_csv))
        .route(METRICS, get(responses::get_metrics))
        .route(THEMES, get(responses::get_themes))
        .route(EMERGING, get(text::get_emerging))
        .route(TAXONOMY, get(text::get_taxonomy).put(text::put_taxonomy))
        .route(TAXONOMY_THEMES, post(text::post_theme))
        .route(COMMENTS, get(text::get_comments))
        .route(ATTRIBUTES, get(customers::list_attributes))
        .route(ATTRIBUTE, axum::routing::put(customers::put_attribute))
        .route(CUSTOMERS, get(customers::list_customers))
        .route(CUSTOMERS_BULK, post(customers::bulk_customers))
        .route(CUSTOMERS_IMPORT, post(customers::import_customers))
        .route(CUSTOMERS_CSV, get(customers::export_customers))
        .route(CUSTOMER, get(customers::get_customer).put(customers::put_customer))
        .route(CUSTOMER_EVENTS, post(customers::add_event))
        .route(SEGMENTS, get(customers::list_segments).post(customers::create_segment))
        .route(SEGMENT_PREVIEW, post(customers::preview_segment))
        .route(COMPARE, get(responses::compare_segments))
        .route(SEGMENT, get(customers::get_segment).put(customers::update_segment).delete(customers::delete_segment))
        .route(HEALTHZ, get(health))
}

/// The fallback: JSON 404 under `/api/`, an HTML page elsewhere.
pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if uri.path().starts_with("/api/") {
        AppError::NotFound("endpoint").into_response()
    } else {
        crate::platform::error::PageError(AppError::NotFound("page")).into_response()
    }
}

/// Ready when the storage takes a write: a probe write commits (or the
/// store says why not, with 503 and the reason).
async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let backend = state.store.backend();
    let version = env!("CARGO_PKG_VERSION");
    // At most one probe a second. The answer is the store's state after it:
    // a probe that fits does not outweigh a response batch refused just now.
    let probe = if state.store.health().probe_due(std::time::Duration::from_secs(1)) {
        state.store.probe_write().await
    } else {
        Ok(())
    };
    let outcome = match (probe, state.store.health().failing()) {
        (Err(e), _) => Err(e),
        (Ok(()), Some(reason)) => Err(cxloop_store::StoreError::Unavailable(reason)),
        (Ok(()), None) => Ok(()),
    };
    match outcome {
        Ok(()) => axum::Json(Health { status: HealthStatus::Ok, reason: None, backend, version }).into_response(),
        Err(e) => {
            let reason = match e {
                cxloop_store::StoreError::Unavailable(r) => r,
                other => {
                    tracing::error!(error = %other, "health probe failed");
                    "the health probe failed; the cause has been logged".into()
                }
            };
            let body = Health { status: HealthStatus::Unavailable, reason: Some(reason), backend, version };
            let mut resp = (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
            resp
        }
    }
}

/// Whether the storage takes writes.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    Ok,
    Unavailable,
}

/// The health check's answer, ready or not.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    pub status: HealthStatus,
    /// Why the storage cannot take writes (only when unavailable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// `sqlite` or `postgres`.
    pub backend: &'static str,
    pub version: &'static str,
}
