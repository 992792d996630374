//! Staff accounts page: admins see everyone and add accounts; members may
//! not (roles mean something: only admins manage who has access).

use super::FormData;
use super::layout::page;
use crate::AppState;
use crate::auth::{WebUser, check_new_password, hash_password};
use crate::error::{AppError, PageError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_store::{NewUser, Role, StoreError};
use maud::{Markup, html};

fn require_admin(user: &WebUser) -> Result<(), PageError> {
    if user.user.role == Role::Admin {
        Ok(())
    } else {
        Err(PageError(AppError::Forbidden("only admins manage staff accounts".into())))
    }
}

async fn render(
    state: &AppState,
    user: &WebUser,
    form: Option<&FormData>,
    error: Option<&AppError>,
) -> Result<Markup, PageError> {
    let users = state.store.list_users().await?;
    let get = |k: &str| form.map_or("", |f| f.get(k)).to_string();
    Ok(page(
        "Staff",
        user,
        "/users",
        html! {
            h1 { "Staff accounts" }
            table {
                thead { tr { th { "Email" } th { "Name" } th { "Role" } } }
                tbody { @for u in &users { tr { td { (u.email) } td { (u.name) } td { (u.role.as_str()) } } } }
            }
            h2 { "Add an account" }
            @if let Some(e) = error {
                div.error-summary role="alert" { p.field-error { (e.public_message()) } }
            }
            form.stack method="post" action="/users" {
                input type="hidden" name="_csrf" value=(user.csrf);
                div { label for="email" { "Email" } input #email type="email" name="email" value=(get("email")) required; }
                div { label for="name" { "Name" } input #name type="text" name="name" value=(get("name")); }
                div { label for="role" { "Role" }
                    select #role name="role" {
                        option value="member" selected[get("role") != "admin"] { "Member: surveys, dashboards, exports" }
                        option value="admin" selected[get("role") == "admin"] { "Admin: also manages staff accounts" }
                    }
                }
                div { label for="password" { "Initial password (at least 10 characters)" } input #password type="password" name="password" autocomplete="new-password" required; }
                button.btn type="submit" { "Add account" }
            }
        },
    ))
}

pub async fn list_users(State(state): State<AppState>, user: WebUser) -> Result<Markup, PageError> {
    require_admin(&user)?;
    render(&state, &user, None, None).await
}

pub async fn add_user(State(state): State<AppState>, user: WebUser, body: Bytes) -> Result<Response, PageError> {
    let form = FormData::parse(&body)?;
    user.check_csrf(Some(form.get("_csrf")))?;
    require_admin(&user)?;
    let email = form.get("email").trim().to_lowercase();
    let result = async {
        if !email.contains('@') || email.len() > 320 || email.starts_with('@') || email.ends_with('@') {
            return Err(AppError::invalid("email", "enter an email address"));
        }
        let role =
            Role::parse(form.get("role")).ok_or_else(|| AppError::invalid("role", "role must be admin or member"))?;
        check_new_password(form.get("password"))?;
        let name = match form.get("name").trim() {
            "" => email.split('@').next().unwrap_or("user").to_string(),
            n => n.to_string(),
        };
        let password_hash = Some(hash_password(form.get("password"))?);
        state.store.create_user(&NewUser { email: email.clone(), name, role, password_hash }).await.map_err(|e| match e
        {
            StoreError::Conflict { .. } => {
                AppError::Conflict { field: Some("email".into()), message: format!("{email} already has an account") }
            }
            other => other.into(),
        })
    }
    .await;
    match result {
        Ok(_) => Ok(Redirect::to("/users").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&state, &user, Some(&form), Some(&e)).await?).into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}
