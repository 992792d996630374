//! Integrations: the ways feedback reaches cxloop besides the survey link
//! and email. Inbound webhooks ([`hooks`]: a helpdesk or CRM posts an
//! event, signed with the hook's secret, and its customer is invited), the
//! website widget ([`widget`]: cxloop's own script, an origin allow-list,
//! a display frequency) and the Channels page that manages both
//! ([`pages`]). `hooks` and `widget` each hold their rules (`check_hook`,
//! `save_hook`, `check_widget`, `normalise_origin`) beside their API
//! handlers; the page calls those rules, never the store around them.

pub mod hooks;
pub mod pages;
pub mod service;
pub mod widget;

use crate::state::AppState;
use crate::ui::paths;
use axum::Router;
use axum::routing::{delete, get, post};

pub const HOOKS: &str = "/api/v1/hooks";
pub const HOOK: &str = "/api/v1/hooks/{id}";
pub const HOOK_RECEIVE: &str = "/hooks/{id}";
pub const SURVEY_WIDGET: &str = "/api/v1/surveys/{id}/widget";
pub const WIDGET_CONFIG: &str = "/api/v1/widget/{id}";
pub const WIDGET_RESPONSES: &str = "/api/v1/widget/{id}/responses";
pub const WIDGET_SCRIPT: &str = "/widget.js";

/// The API paths, for the OpenAPI drift test.
pub const PATHS: &[&str] = &[HOOKS, HOOK, HOOK_RECEIVE, SURVEY_WIDGET, WIDGET_CONFIG, WIDGET_RESPONSES, WIDGET_SCRIPT];

/// What the application takes from the feature.
pub const FEATURE: super::Feature = super::Feature {
    name: "integrations",
    routes,
    nav: Some(super::Nav { href: paths::CHANNELS_PAGE, label: "Channels", after: "/surveys" }),
    api_paths: PATHS,
    openapi: include_str!("openapi.json"),
};

/// Every route of the feature, API and pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HOOKS, post(hooks::create_hook).get(hooks::list_hooks))
        .route(HOOK, delete(hooks::delete_hook))
        .route(HOOK_RECEIVE, post(hooks::receive))
        .route(SURVEY_WIDGET, get(widget::get_widget).put(widget::put_widget))
        .route(WIDGET_CONFIG, get(widget::config))
        .route(WIDGET_RESPONSES, post(widget::submit_response).options(widget::preflight))
        .route(WIDGET_SCRIPT, get(widget::script))
        .route(paths::CHANNELS_PAGE, get(pages::channels_page))
        .route(paths::CHANNEL_HOOKS, post(pages::create_hook))
        .route(paths::CHANNEL_HOOK_DELETE, post(pages::delete_hook))
        .route(paths::CHANNEL_WIDGET, post(pages::save_widget))
}
