//! Personas: who the organisation designs for. Each may link a segment;
//! its card shows that segment's live headline KPIs (last 90 days) and the
//! themes its customers talk about most.
//!
//! A feature folder: [`service`] holds the rules (transport-free), [`api`]
//! the JSON handlers, [`pages`] the HTML pages; both only extract, call the
//! service and render. The application takes [`FEATURE`].

pub mod api;
pub mod pages;
pub mod service;

use crate::platform::error::AppError;
use crate::state::AppState;
use crate::ui::paths;
use axum::Router;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};

/// What the application takes from the feature.
pub const FEATURE: super::Feature = super::Feature {
    name: "personas",
    routes,
    nav: Some(super::Nav { href: paths::PERSONA_LIST, label: "Personas", after: "/customers" }),
    api_paths: api::PATHS,
    openapi: include_str!("openapi.json"),
};

/// Every route of the feature, API and pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(api::PERSONAS, get(api::list_personas).post(api::create_persona))
        .route(api::PERSONA, put(api::update_persona).delete(api::delete_persona))
        .route(api::PERSONA_PICTURE, get(api::get_picture).put(api::put_picture).delete(api::delete_picture))
        .route(paths::PERSONA_LIST, get(pages::personas_page).post(pages::create_persona))
        .route(paths::PERSONA_PAGE, get(pages::edit_persona).post(pages::update_persona))
        .route(paths::PERSONA_DELETE, post(pages::delete_persona))
        .route(paths::PERSONA_PICTURE, get(pages::picture).post(pages::upload_picture))
}

/// The picture as an HTTP answer, for the API and the page alike: its
/// checked type, no sniffing, private caching.
async fn picture_reply(state: &AppState, id: cxloop_core::ids::PersonaId) -> Result<Response, AppError> {
    use axum::http::header;
    let (kind, bytes) = service::picture(state.store.as_ref(), id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, max-age=300".to_string()),
        ],
        bytes,
    )
        .into_response())
}
