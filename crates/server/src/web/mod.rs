//! HTML pages: the public survey pages ([`public`]) and the staff pages:
//! login ([`login`]), dashboards ([`dashboard`]) and the survey builder
//! ([`builder`]), staff accounts ([`users`]) and one's own account and API
//! tokens ([`account`]). The frame and charts come from [`crate::ui`], the
//! form extractors from [`crate::platform::form`].

pub mod account;
pub mod builder;
pub mod comments;
pub mod customers;
pub mod dashboard;
pub mod ideal;
pub mod import;
pub mod login;
pub mod public;
pub mod themes;
pub mod users;

use crate::state::AppState;
use crate::ui::paths;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(paths::HOME, get(|| async { Redirect::to(paths::DASHBOARD) }))
        .route(paths::APP_CSS, get(css))
        .route(paths::LOGIN, get(login::show_login).post(login::submit_login))
        .route(paths::LOGOUT, post(login::logout))
        .route(paths::DASHBOARD, get(dashboard::overview))
        .route(paths::SURVEY_LIST, get(dashboard::list_surveys))
        .route(paths::SURVEY_NEW, get(builder::new_survey).post(builder::create_survey))
        .route(paths::SURVEY_PAGE, get(dashboard::survey_dashboard))
        .route(paths::SURVEY_EDIT, get(builder::edit_survey).post(builder::update_survey))
        .route(paths::SURVEY_STATUS, post(builder::set_status))
        .route(paths::SURVEY_THEMES, get(themes::survey_themes))
        .route(paths::SURVEY_THEMES_ADD, post(themes::add_theme))
        .route(paths::COMMENT_EXPLORER, get(comments::explorer))
        .route(paths::CUSTOMER_DIRECTORY, get(customers::directory))
        .route(paths::CUSTOMER_IMPORT, get(import::import_page).post(import::upload))
        .route(paths::CUSTOMER_IMPORT_CONFIRM, post(import::confirm))
        .route(paths::CUSTOMER_PAGE, get(customers::customer_page))
        .route(paths::SEGMENT_LIST, get(customers::segments_page).post(customers::create_segment))
        .route(paths::SEGMENT_PAGE, get(customers::edit_segment).post(customers::update_segment))
        .route(paths::SEGMENT_DELETE, post(customers::delete_segment))
        .route(paths::SURVEY_COMPARE, get(dashboard::compare_page))
        .route(paths::IDEAL_PAGE, get(ideal::ideal))
        .route(paths::TAXONOMY_PAGE, get(comments::taxonomy_page).post(comments::save_taxonomy))
        .route(paths::USER_LIST, get(users::list_users).post(users::add_user))
        .route(paths::USER_ROLE, post(users::set_role))
        .route(paths::USER_ACTIVE, post(users::set_active))
        .route(paths::USER_REMOVE, post(users::remove_user))
        .route(paths::USER_TOKEN_REVOKE, post(users::revoke_token))
        .route(paths::ACCOUNT_PAGE, get(account::account_page))
        .route(paths::ACCOUNT_TOKENS, post(account::create_token))
        .route(paths::ACCOUNT_TOKEN_REVOKE, post(account::revoke_token))
        .route(paths::PUBLIC_SURVEY, get(public::show_survey).post(public::submit_survey))
        .route(paths::PUBLIC_THANKS, get(public::thanks))
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        crate::ui::layout::CSS,
    )
}
