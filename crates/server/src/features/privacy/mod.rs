//! Privacy requests (the `privacy` permission): everything held about a
//! customer as a download, erasure of their identity and free text (scores
//! stay, so aggregates stay right), and the audit log that records both.
//!
//! [`service`] does the work; [`api`] and [`pages`] ask for it.

pub mod api;
pub mod pages;
pub mod service;

use crate::state::AppState;
use crate::ui::paths;
use axum::Router;
use axum::routing::{get, post};

/// What the application takes from the feature (no navigation entry of its own).
pub const FEATURE: super::Feature =
    super::Feature { name: "privacy", routes, nav: None, api_paths: api::PATHS, openapi: include_str!("openapi.json") };

/// Every route of the feature. (No navigation entry: a privacy request
/// starts on the customer's page; the audit log is linked from there.)
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(api::CUSTOMER_EXPORT, get(api::export_customer))
        .route(api::CUSTOMER_ERASE, post(api::erase_customer))
        .route(api::AUDIT, get(api::get_audit))
        .route(paths::CUSTOMER_PRIVACY, get(pages::privacy_page))
        .route(paths::CUSTOMER_ERASE, post(pages::erase_customer))
        .route(paths::AUDIT_PAGE, get(pages::audit_page))
}
