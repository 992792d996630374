//! Login and logout. The login form carries a CSRF token bound to a
//! short-lived cookie (there is no session yet); logout uses the session's.

use crate::platform::auth::{LOGIN_CSRF_COOKIE, SESSION_COOKIE, SESSION_DAYS, cookie, log_in, set_cookie};
use crate::platform::crypto::{ct_eq, new_token};
use crate::platform::error::{AppError, PageError};
use crate::platform::query::PageQuery;
use crate::state::AppState;
use crate::ui::components::error_summary;
use crate::ui::paths;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct NextParam {
    pub next: Option<String>,
}

/// Only local paths, so the login page cannot bounce anyone elsewhere.
/// Where to go after signing in: only a path on this site. Every character
/// must be printable ASCII (browsers drop tabs and newlines, so `/\t/evil`
/// would become `//evil`), the path must start with one `/` and no
/// backslash may appear (browsers read it as `/`).
fn safe_next(next: &str) -> &str {
    let printable = next.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if printable && next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/dashboard"
    }
}

fn login_page(csrf: &str, next: &str, email: &str, error: Option<&str>, no_users: bool) -> Markup {
    let body = html! {
                main.login.card {
                    h1 { "Sign in to cxloop" }
                    @if no_users {
                        p.error-summary {
                            "There is no account yet. Create the first admin on the server with "
                            code { "cxloop user add --email you@example.com --role admin" }
                            ", then sign in here."
                        }
                    }
                    @if let Some(e) = error {
                        (error_summary(e))
                    }
                    form.stack method="post" action=(paths::LOGIN) {
                        input type="hidden" name="_csrf" value=(csrf);
                        input type="hidden" name="next" value=(next);
                        div {
                            label for="email" { "Email" }
                            input #email type="email" name="email" value=(email) autocomplete="username" required autofocus;
                        }
                        div {
                            label for="password" { "Password" }
                            input #password type="password" name="password" autocomplete="current-password" required;
                        }
                        button.btn type="submit" { "Sign in" }
                    }
                }
    };
    crate::ui::layout::shell("Sign in · cxloop", crate::ui::layout::Sheet::Staff, body)
}

fn with_login_cookie(state: &AppState, body: Markup, token: &str, status: StatusCode) -> Response {
    let mut resp = (status, body).into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, token, 3600, state.config.secure_cookies));
    resp
}

pub async fn show_login(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageQuery(q): PageQuery<NextParam>,
) -> Result<Response, PageError> {
    let token = cookie(&headers, LOGIN_CSRF_COOKIE).filter(|t| t.len() == 64).unwrap_or_else(new_token);
    let no_users = state.store.count_users().await? == 0;
    let next = safe_next(q.next.as_deref().unwrap_or("/dashboard"));
    Ok(with_login_cookie(&state, login_page(&token, next, "", None, no_users), &token, StatusCode::OK))
}

/// The sign-in form (its token is the login cookie's, not a session's).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct LoginForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    next: String,
    email: String,
    password: String,
}

pub async fn submit_login(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(addr): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    let form: LoginForm =
        crate::platform::query::from_pairs(&crate::platform::form::form_pairs(&body)?, "invalid form field")?;
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let next = safe_next(&form.next).to_string();
    if expected.is_empty() || !ct_eq(&expected, &form.csrf) {
        let token = new_token();
        let page = login_page(&token, &next, &form.email, Some("The form expired. Please sign in again."), false);
        return Ok(with_login_cookie(&state, page, &token, StatusCode::FORBIDDEN));
    }
    match log_in(&state, &form.email, &form.password, Some(addr.ip())).await {
        Ok(session) => {
            let mut resp = Redirect::to(&next).into_response();
            let h = resp.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &session, SESSION_DAYS * 86400, state.config.secure_cookies),
            );
            h.append(header::SET_COOKIE, set_cookie(LOGIN_CSRF_COOKIE, "", 0, state.config.secure_cookies));
            Ok(resp)
        }
        Err(AppError::Invalid { message, .. }) => {
            let page = login_page(&expected, &next, &form.email, Some(&message), false);
            Ok(with_login_cookie(&state, page, &expected, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(AppError::TooMany { retry_after }) => {
            let message = format!("Too many wrong passwords. Wait {retry_after} seconds, then try again.");
            let page = login_page(&expected, &next, &form.email, Some(&message), false);
            let mut resp = with_login_cookie(&state, page, &expected, StatusCode::TOO_MANY_REQUESTS);
            resp.headers_mut().insert(header::RETRY_AFTER, axum::http::HeaderValue::from(retry_after));
            Ok(resp)
        }
        Err(e) => Err(PageError(e)),
    }
}

pub async fn logout(
    State(state): State<AppState>,
    crate::platform::form::SessionForm(user, _): crate::platform::form::SessionForm<crate::platform::form::NoFields>,
) -> Result<Response, PageError> {
    state.store.delete_session(&user.session_hash).await?;
    let mut resp = Redirect::to(paths::LOGIN).into_response();
    resp.headers_mut().append(header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_never_leaves_the_site() {
        assert_eq!(safe_next("/surveys/1"), "/surveys/1");
        assert_eq!(safe_next("//evil.example"), "/dashboard");
        assert_eq!(safe_next("https://evil.example"), "/dashboard");
        assert_eq!(safe_next("/\\evil.example"), "/dashboard");
        assert_eq!(safe_next("/\t/evil.example"), "/dashboard");
        assert_eq!(safe_next("/\n/evil.example"), "/dashboard");
        assert_eq!(safe_next("/ /evil.example"), "/dashboard");
        assert_eq!(safe_next("/surveys?from=2026-01-01&to=2026-02-01"), "/surveys?from=2026-01-01&to=2026-02-01");
    }
}
