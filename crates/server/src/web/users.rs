//! Staff accounts (admins only: the `users` permission): add an account,
//! change its role, deactivate, reactivate or remove it (never leaving no
//! admin, never one's own), and see and revoke everyone's API tokens.

use crate::platform::auth::{Staff, WebUser, can, check_new_password, hash_password};
use crate::platform::error::{AppError, PageError};
use crate::platform::form::StaffForm;
use crate::state::AppState;
use crate::ui::components::error_summary;
use crate::ui::layout::{Confirm, Confirmation, page};
use crate::ui::paths;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_store::{NewUser, Role, StoreError, User, UserChange};
use maud::{Markup, html};
use serde::Deserialize;

/// The "add an account" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewAccountForm {
    email: String,
    name: String,
    role: String,
    password: String,
}

/// A role change.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

/// Deactivating (`false`) or reactivating (`true`) an account.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ActiveForm {
    active: String,
}

/// What a page shows above its content after an action.
enum Note<'a> {
    Error(&'a AppError),
    Done(String),
}

async fn render(
    state: &AppState,
    user: &WebUser,
    form: Option<&NewAccountForm>,
    note: Option<Note<'_>>,
) -> Result<Markup, PageError> {
    let users = state.store.list_users().await?;
    let tokens = state.store.list_tokens(None).await?;
    let empty = NewAccountForm::default();
    let form = form.unwrap_or(&empty);
    let chosen = Role::parse(&form.role).unwrap_or(Role::Agent);
    Ok(page(
        "Staff",
        user,
        "/users",
        html! {
            h1 { "Staff accounts" }
            p { a href=(paths::AUDIT_PAGE) { "Audit log" } " of account, token and privacy changes." }
            @match &note {
                Some(Note::Error(e)) => (error_summary(e.public_message())),
                Some(Note::Done(msg)) => p.note role="status" { (msg) },
                None => {},
            }
            table {
                thead { tr { th { "Email" } th { "Name" } th { "Role" } th { "Status" } th { "" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.email) }
                            td { (u.name) }
                            td {
                                form.inline method="post" action=(paths::user_role(u.id)) {
                                    input type="hidden" name="_csrf" value=(user.csrf);
                                    label.visually-hidden for=(format!("role-{}", u.id)) { "Role of " (u.email) }
                                    select id=(format!("role-{}", u.id)) name="role" {
                                        @for r in Role::ALL {
                                            option value=(r.as_str()) selected[r == u.role] { (r.as_str()) }
                                        }
                                    }
                                    " "
                                    button.btn.secondary type="submit" { "Change" }
                                }
                            }
                            td { @if u.active { "active" } @else { strong { "deactivated" } } }
                            td {
                                @if u.id != user.user.id {
                                    form.inline method="post" action=(paths::user_active(u.id)) {
                                        input type="hidden" name="_csrf" value=(user.csrf);
                                        input type="hidden" name="active" value=(if u.active { "false" } else { "true" });
                                        button.btn.secondary type="submit" { @if u.active { "Deactivate" } @else { "Reactivate" } }
                                    }
                                    " "
                                    form.inline method="post" action=(paths::user_remove(u.id)) {
                                        input type="hidden" name="_csrf" value=(user.csrf);
                                        button.btn.secondary type="submit" { "Remove" }
                                    }
                                } @else {
                                    span.muted { "you" }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "Roles" }
            ul { @for r in Role::ALL { li { (r.describe()) } } }
            h2 { "Add an account" }
            form.stack method="post" action=(paths::USER_LIST) {
                input type="hidden" name="_csrf" value=(user.csrf);
                div { label for="email" { "Email" } input #email type="email" name="email" value=(form.email) required; }
                div { label for="name" { "Name" } input #name type="text" name="name" value=(form.name); }
                div { label for="role" { "Role" }
                    select #role name="role" {
                        @for r in Role::ALL { option value=(r.as_str()) selected[r == chosen] { (r.describe()) } }
                    }
                }
                div { label for="password" { "Initial password (at least 10 characters)" } input #password type="password" name="password" autocomplete="new-password" required; }
                button.btn type="submit" { "Add account" }
            }
            h2 { "API tokens" }
            p { "Every account's tokens. Each person makes their own on " a href=(paths::ACCOUNT_PAGE) { "their account page" } "." }
            (super::account::token_table(user, &tokens, "/users/tokens", true))
        },
    ))
}

pub async fn list_users(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ManageUsers>,
) -> Result<Markup, PageError> {
    render(&state, &user, None, None).await
}

/// Shows the page again with what went wrong (422 for a mistake to fix,
/// 409 for a refused change), or fails as an error page.
async fn with_error(
    state: &AppState,
    user: &WebUser,
    form: Option<&NewAccountForm>,
    e: AppError,
) -> Result<Response, PageError> {
    let status = match &e {
        AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        // A taken email is a field to fix; a refused change is a conflict.
        AppError::Conflict { field: Some(_), .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        _ => return Err(PageError(e)),
    };
    Ok((status, render(state, user, form, Some(Note::Error(&e))).await?).into_response())
}

pub async fn add_user(
    State(state): State<AppState>,
    StaffForm(user, form, _): StaffForm<can::ManageUsers, NewAccountForm>,
) -> Result<Response, PageError> {
    let email = form.email.trim().to_lowercase();
    let result = async {
        if !email.contains('@') || email.len() > 320 || email.starts_with('@') || email.ends_with('@') {
            return Err(AppError::invalid("email", "enter an email address"));
        }
        let role = parse_role(&form.role)?;
        check_new_password(&form.password)?;
        let name = match form.name.trim() {
            "" => email.split('@').next().unwrap_or("user").to_string(),
            n if n.chars().count() > 200 => {
                return Err(AppError::invalid("name", "name must be at most 200 characters"));
            }
            n => n.to_string(),
        };
        let password_hash = Some(hash_password(&form.password)?);
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
        Ok(added) => {
            let detail = serde_json::json!({ "email": added.email, "role": added.role.as_str() });
            state.store.audit(&user.user.email, "user.add", &added.id.to_string(), &detail).await?;
            Ok(Redirect::to(paths::USER_LIST).into_response())
        }
        Err(e) => with_error(&state, &user, Some(&form), e).await,
    }
}

fn parse_role(s: &str) -> Result<Role, AppError> {
    Role::parse(s).ok_or_else(|| AppError::invalid("role", "role must be admin, analyst, agent or viewer"))
}

/// The account a form is about, named in the path (malformed or unknown
/// ids are 404).
async fn account_form(state: &AppState, id: &str) -> Result<User, AppError> {
    let id: cxloop_core::ids::UserId = id.parse().map_err(|_| AppError::NotFound("account"))?;
    let target = state.store.user(id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound("account"),
        other => other.into(),
    })?;
    Ok(target)
}

fn last_admin(e: StoreError) -> AppError {
    match e {
        StoreError::Conflict { what: "last_admin" } => AppError::Conflict {
            field: None,
            message: "cxloop needs at least one active admin: make another account admin first".into(),
        },
        StoreError::NotFound => AppError::NotFound("account"),
        other => other.into(),
    }
}

async fn change(state: &AppState, user: &WebUser, target: &User, change: UserChange) -> Result<Response, PageError> {
    let done = match state.store.update_user(target.id, change, &user.user.email).await {
        Ok(u) => u,
        Err(e) => return with_error(state, user, None, last_admin(e)).await,
    };
    let msg = match change {
        UserChange::Role(r) => format!("{} is now {}.", done.email, r.as_str()),
        UserChange::Active(true) => format!("{} can log in again.", done.email),
        UserChange::Active(false) => {
            format!("{} is deactivated: logged out, and their API tokens no longer work.", done.email)
        }
    };
    Ok(render(state, user, None, Some(Note::Done(msg))).await?.into_response())
}

pub async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManageUsers, RoleForm>,
) -> Result<Response, PageError> {
    let target = account_form(&state, &id).await?;
    let role = match parse_role(&form.role) {
        Ok(r) => r,
        Err(e) => return with_error(&state, &user, None, e).await,
    };
    change(&state, &user, &target, UserChange::Role(role)).await
}

pub async fn set_active(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManageUsers, ActiveForm>,
) -> Result<Response, PageError> {
    let target = account_form(&state, &id).await?;
    let active = match form.active.as_str() {
        "true" => true,
        "false" => false,
        _ => return with_error(&state, &user, None, AppError::invalid("active", "active must be true or false")).await,
    };
    if !active && target.id == user.user.id {
        let e = AppError::Conflict { field: None, message: "you cannot deactivate your own account".into() };
        return with_error(&state, &user, None, e).await;
    }
    change(&state, &user, &target, UserChange::Active(active)).await
}

pub async fn remove_user(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManageUsers, Confirmation>,
) -> Result<Response, PageError> {
    let target = account_form(&state, &id).await?;
    if target.id == user.user.id {
        let e = AppError::Conflict { field: None, message: "you cannot remove your own account".into() };
        return with_error(&state, &user, None, e).await;
    }
    if !form.confirmed() {
        let tokens = state.store.list_tokens(Some(target.id)).await?.len();
        let consequence = html! {
            p { "This removes " strong { (target.email) } " (" (target.role.as_str()) "), ends their sessions and revokes their "
                (tokens) " API token" @if tokens != 1 { "s" } ". It cannot be undone." }
            p { "To keep the record but stop access, deactivate the account instead." }
        };
        let action = paths::user_remove(target.id);
        let question = format!("Remove {}?", target.email);
        let ask = Confirm { question: &question, consequence, action: &action, fields: &[] };
        return Ok(ask.page(&user, "/users", "Remove account", "/users").into_response());
    }
    if let Err(e) = state.store.delete_user(target.id, &user.user.email).await {
        return with_error(&state, &user, None, last_admin(e)).await;
    }
    let msg = format!("{} was removed.", target.email);
    Ok(render(&state, &user, None, Some(Note::Done(msg))).await?.into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, _, _): StaffForm<can::ManageUsers, crate::platform::form::NoFields>,
) -> Result<Response, PageError> {
    let id: cxloop_core::ids::TokenId = id.parse().map_err(|_| AppError::NotFound("token"))?;
    state.store.delete_token(id, None).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound("token"),
        other => other.into(),
    })?;
    state.store.audit(&user.user.email, "token.revoke", &id.to_string(), &serde_json::json!({})).await?;
    Ok(Redirect::to(paths::USER_LIST).into_response())
}
