//! One's own account: role and what it allows, and one's API tokens. A new
//! token gets the scopes ticked (reading by default, never more than the
//! role allows) and is shown once; revoking takes effect at once.

use crate::platform::auth::WebUser;
use crate::platform::crypto::{new_token, sha256_hex};
use crate::platform::error::{AppError, PageError};
use crate::platform::form::FormData;
use crate::state::AppState;
use crate::ui::components::error_summary;
use crate::ui::layout::{datetime, page};
use crate::ui::paths;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_core::access::{Permission, Permissions};
use cxloop_store::StoreError;
use maud::{Markup, html};

enum Note<'a> {
    Error(&'a AppError),
    /// A token just made: its name and secret, shown this once.
    Created(&'a str, &'a str),
}

async fn render(
    state: &AppState,
    user: &WebUser,
    form: Option<&FormData>,
    note: Option<Note<'_>>,
) -> Result<Markup, PageError> {
    let tokens = state.store.list_tokens(Some(user.user.id)).await?;
    let role = user.user.role;
    let allowed = role.permissions();
    let ticked = |p: Permission| match form {
        Some(f) => f.0.get("scope").is_some_and(|v| v.iter().any(|s| s == p.scope())),
        None => p == Permission::ViewReports,
    };
    Ok(page(
        "Your account",
        user,
        "/account",
        html! {
            h1 { "Your account" }
            p { (user.user.name) " · " (user.user.email) }
            p { "Role: " strong { (role.describe()) } }
            @match &note {
                Some(Note::Error(e)) => (error_summary(e.public_message())),
                Some(Note::Created(name, secret)) => div.note role="status" {
                    p { "Token " strong { (name) } " was created. Copy it now: it is not shown again." }
                    p.token-secret { (secret) }
                },
                None => {},
            }
            h2 { "API tokens" }
            p { "Send a token as " code { "Authorization: Bearer <token>" } ". It acts as you, limited to its scopes." }
            (token_table(user, &tokens, "/account/tokens", false))
            h2 { "New token" }
            form.stack method="post" action=(paths::ACCOUNT_TOKENS) {
                input type="hidden" name="_csrf" value=(user.csrf);
                div {
                    label for="token-name" { "What it is for" }
                    input #token-name type="text" name="name" required maxlength="100" placeholder="Helpdesk integration"
                        value=(form.map_or("", |f| f.get("name")));
                }
                fieldset.scopes {
                    legend { "Scopes" }
                    @for p in allowed.iter() {
                        label {
                            input type="checkbox" name="scope" value=(p.scope()) checked[ticked(p)];
                            " " code { (p.scope()) } " — " (p.describe())
                        }
                    }
                }
                button.btn type="submit" { "Create token" }
            }
        },
    ))
}

/// A table of tokens with a Revoke button each (posting to
/// `{revoke_base}/{id}/revoke`); `owners` adds the account column.
pub(super) fn token_table(
    user: &WebUser,
    tokens: &[cxloop_store::TokenInfo],
    revoke_base: &str,
    owners: bool,
) -> Markup {
    html! {
        table {
            thead { tr { th { "Name" } @if owners { th { "Account" } } th { "Scopes" } th { "Created" } th { "" } } }
            tbody {
                @for t in tokens {
                    tr {
                        td { (t.name) }
                        @if owners { td { (t.user_email) } }
                        td { (t.scopes.to_scopes()) }
                        td { (datetime(t.created_at)) }
                        td {
                            form.inline method="post" action=(format!("{revoke_base}/{}/revoke", t.id)) {
                                input type="hidden" name="_csrf" value=(user.csrf);
                                button.btn.secondary type="submit" { "Revoke" }
                            }
                        }
                    }
                }
                @if tokens.is_empty() { tr { td colspan=(if owners { "5" } else { "4" }) { "No API tokens." } } }
            }
        }
    }
}

pub async fn account_page(State(state): State<AppState>, user: WebUser) -> Result<Markup, PageError> {
    render(&state, &user, None, None).await
}

pub async fn create_token(
    State(state): State<AppState>,
    // Untyped: `scope` is one field per ticked box.
    crate::platform::form::SessionForm(user, form): crate::platform::form::SessionForm,
) -> Result<Response, PageError> {
    let result = async {
        let name = form.get("name").trim();
        if name.is_empty() {
            return Err(AppError::invalid("name", "say what the token is for"));
        }
        if name.chars().count() > 100 {
            return Err(AppError::invalid("name", "the name must be at most 100 characters"));
        }
        let picked = form.0.get("scope").map(|v| v.join(" ")).unwrap_or_default();
        let scopes = Permissions::parse_scopes(&picked)
            .map_err(|bad| AppError::invalid("scope", format!("unknown scope {bad:?}")))?;
        if scopes.is_empty() {
            return Err(AppError::invalid("scope", "tick at least one scope"));
        }
        let allowed = user.user.role.permissions();
        if let Some(p) = scopes.iter().find(|p| !allowed.contains(*p)) {
            return Err(AppError::invalid(
                "scope",
                format!("the {} role does not allow the {} scope", user.user.role.as_str(), p.scope()),
            ));
        }
        let secret = new_token();
        let id = state.store.create_token(user.user.id, name, &sha256_hex(&secret), scopes).await?;
        let detail = serde_json::json!({ "name": name, "scopes": scopes.to_scopes() });
        state.store.audit(&user.user.email, "token.create", &id.to_string(), &detail).await?;
        Ok((name.to_string(), secret))
    }
    .await;
    match result {
        Ok((name, secret)) => {
            let body = render(&state, &user, None, Some(Note::Created(&name, &secret))).await?;
            Ok((StatusCode::CREATED, body).into_response())
        }
        Err(e @ AppError::Invalid { .. }) => {
            let body = render(&state, &user, Some(&form), Some(Note::Error(&e))).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::platform::form::SessionForm(user, _): crate::platform::form::SessionForm<crate::platform::form::NoFields>,
) -> Result<Response, PageError> {
    let id: cxloop_core::ids::TokenId = id.parse().map_err(|_| AppError::NotFound("token"))?;
    // Only one's own: someone else's token is "not found", not "forbidden".
    state.store.delete_token(id, Some(user.user.id)).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound("token"),
        other => other.into(),
    })?;
    state.store.audit(&user.user.email, "token.revoke", &id.to_string(), &serde_json::json!({})).await?;
    Ok(Redirect::to(paths::ACCOUNT_PAGE).into_response())
}
