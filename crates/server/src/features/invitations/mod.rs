//! Email invitations: send a survey to a segment, to customers of the
//! directory or to plain addresses with a reminder policy, see every
//! invitation's status and the response rate, take bounces from the mail
//! provider, and honour the unsubscribe link every message carries.
//!
//! [`service`] holds the rules, [`api`] the JSON handlers, [`pages`] the
//! survey's invitations page, [`unsubscribe`] the public `/u/{token}` page.

pub mod api;
pub mod pages;
pub mod service;
pub mod unsubscribe;

use crate::state::AppState;
use crate::ui::paths;
use axum::Router;
use axum::routing::{get, post};

/// What the application takes from the feature (no navigation entry of its own).
pub const FEATURE: super::Feature = super::Feature {
    name: "invitations",
    routes,
    nav: None,
    api_paths: api::PATHS,
    openapi: include_str!("openapi.json"),
};

/// Every route of the feature, API and pages. (No navigation entry: a
/// survey's invitations are reached from the survey.)
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(api::INVITATIONS, post(api::send_invitations).get(api::list_invitations))
        .route(api::BOUNCES, post(api::report_bounce))
        .route(paths::SURVEY_INVITATIONS, get(pages::invitations_page).post(pages::send))
        .route(paths::UNSUBSCRIBE_PAGE, get(unsubscribe::show).post(unsubscribe::confirm))
}
