//! `/u/{token}`: the unsubscribe link of every invitation. The GET shows a
//! button; the POST (the button, or a mail client's one-click RFC 8058
//! request) records it. The token is the only credential needed.

use crate::platform::error::{AppError, PageError};
use crate::state::AppState;
use crate::ui::paths;
use crate::web::public::shell;
use axum::extract::{Path, State};
use maud::{Markup, html};

async fn email_of(state: &AppState, token: &str) -> Result<String, PageError> {
    if token.len() > 100 {
        return Err(PageError(AppError::NotFound("invitation")));
    }
    let inv = state.store.invitation_by_token(token).await.map_err(|e| match e {
        cxloop_store::StoreError::NotFound => AppError::NotFound("invitation"),
        other => other.into(),
    })?;
    Ok(inv.email)
}

pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Result<Markup, PageError> {
    let email = email_of(&state, &token).await?;
    let done = state.store.is_unsubscribed(&email).await?;
    Ok(shell(
        "Unsubscribe",
        html! {
            h1 { "No more surveys" }
            @if done {
                p { "You will not get surveys from us at " strong { (email) } " any more." }
            } @else {
                p { "Stop all survey invitations to " strong { (email) } "?" }
                form method="post" action=(paths::unsubscribe(&token)) { button type="submit" { "Unsubscribe" } }
            }
        },
    ))
}

pub async fn confirm(State(state): State<AppState>, Path(token): Path<String>) -> Result<Markup, PageError> {
    let email = email_of(&state, &token).await?;
    state.store.unsubscribe(&email, "link", time::OffsetDateTime::now_utc()).await?;
    Ok(shell(
        "Unsubscribed",
        html! {
            h1 { "You are unsubscribed" }
            p { "We will not send surveys to " strong { (email) } " again. Thank you for telling us." }
        },
    ))
}
