//! Feedback gathered elsewhere (interview and focus-group notes, social
//! posts, app-store and product reviews) imported from CSV or JSON into a
//! survey, from the CLI, the API or the browser.
//!
//! [`service`] plans an import (every bad row by line or item and column,
//! nothing written) and applies it; [`api`] and [`pages`] ask for it.

pub mod api;
pub mod pages;
pub mod service;

use crate::state::AppState;
use crate::ui::paths;
use axum::Router;
use axum::routing::{get, post};

/// What the application takes from the feature (no navigation entry of its own).
pub const FEATURE: super::Feature = super::Feature {
    name: "feedback",
    routes,
    nav: None,
    api_paths: api::PATHS,
    openapi: include_str!("openapi.json"),
};

/// Every route of the feature. (Its page is reached from Channels.)
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(api::FEEDBACK_IMPORT, post(api::import_feedback))
        .route(paths::FEEDBACK_IMPORT, get(pages::import_page).post(pages::upload))
        .route(paths::FEEDBACK_IMPORT_CONFIRM, post(pages::confirm))
}
