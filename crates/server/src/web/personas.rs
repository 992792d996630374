//! The personas page: a card per persona (initials, description, goals,
//! pain points) with its segment's live KPIs and top themes, and a form to
//! add one.

use super::FormData;
use super::dashboard::tile;
use super::layout::page;
use crate::AppState;
use crate::api::personas::{cards, check};
use crate::auth::WebUser;
use crate::error::{AppError, PageError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_store::{Persona, StoreError};
use maud::{Markup, html};

async fn render(
    state: &AppState,
    user: &WebUser,
    form: Option<&FormData>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let list = cards(state).await?;
    let segments = state.store.segments().await?;
    let get = |k: &str| form.map_or("", |f| f.get(k)).to_string();
    Ok(page(
        "Personas",
        user,
        "/personas",
        html! {
            h1 { "Personas" }
            p.muted { "Who we design for. A persona linked to a segment shows that segment's headline KPIs over the last 90 days and what its customers talk about most." }
            @for c in &list {
                article.card.stack style="margin-bottom:16px" {
                    div.actions {
                        span aria-hidden="true" style="display:inline-flex;width:56px;height:56px;border-radius:50%;background:#0b5cad;color:#fff;align-items:center;justify-content:center;font-weight:700;font-size:20px" { (c.persona.initials) }
                        div style="margin-right:auto" {
                            h2 style="margin:0" { (c.persona.name) }
                            @if let Some(s) = &c.segment {
                                div.muted { "Segment: " a href=(format!("/customers?segment_id={}", s["id"].as_str().unwrap_or(""))) { (s["name"].as_str().unwrap_or("")) } " · " (s["customers"]) " customers" }
                            } @else { div.muted { "No segment linked" } }
                        }
                    }
                    @if !c.persona.description.is_empty() { p { (c.persona.description) } }
                    div.grid {
                        div { strong { "Goals" } ul { @for g in c.persona.goals.lines().filter(|l| !l.trim().is_empty()) { li { (g) } } } }
                        div { strong { "Pain points" } ul { @for g in c.persona.pain_points.lines().filter(|l| !l.trim().is_empty()) { li { (g) } } } }
                    }
                    @if !c.kpis.is_empty() {
                        div.grid { @for k in &c.kpis { div { div.muted { (k.survey) } (tile(&k.measure, 90)) } } }
                    }
                    @if !c.top_themes.is_empty() {
                        div { strong { "They talk about: " } @for t in &c.top_themes { span.badge style="margin-right:6px" { (t["name"].as_str().unwrap_or("")) " (" (t["mentions"]) ")" } } }
                    }
                }
            }
            h2 { "New persona" }
            @if let Some(e) = error { div.error-summary role="alert" { p.field-error { (e) } } }
            form.stack method="post" action="/personas" {
                input type="hidden" name="_csrf" value=(user.csrf);
                div { label for="name" { "Name (a role, e.g. Enterprise operations lead)" } input #name type="text" name="name" value=(get("name")) required; }
                div { label for="initials" { "Initials (optional)" } input #initials type="text" name="initials" maxlength="3" value=(get("initials")); }
                div { label for="description" { "Description" } textarea #description name="description" rows="2" { (get("description")) } }
                div { label for="goals" { "Goals, one per line" } textarea #goals name="goals" rows="3" { (get("goals")) } }
                div { label for="pain_points" { "Pain points, one per line" } textarea #pain_points name="pain_points" rows="3" { (get("pain_points")) } }
                div { label for="segment_id" { "Segment" }
                    select #segment_id name="segment_id" {
                        option value="" { "None" }
                        @for s in &segments { option value=(s.id) selected[get("segment_id") == s.id.to_string()] { (s.name) } }
                    }
                }
                button.btn type="submit" { "Save persona" }
            }
        },
    ))
}

pub async fn personas_page(State(state): State<AppState>, user: WebUser) -> Result<Markup, PageError> {
    render(&state, &user, None, None).await
}

pub async fn create_persona(State(state): State<AppState>, user: WebUser, body: Bytes) -> Result<Response, PageError> {
    let form = FormData::parse(&body);
    user.check_csrf(Some(form.get("_csrf")))?;
    let mut p = Persona {
        id: uuid::Uuid::nil(),
        name: form.get("name").to_string(),
        description: form.get("description").trim().to_string(),
        goals: form.get("goals").trim().to_string(),
        pain_points: form.get("pain_points").trim().to_string(),
        initials: form.get("initials").to_string(),
        segment_id: uuid::Uuid::parse_str(form.get("segment_id")).ok(),
    };
    let result = match check(&mut p) {
        Ok(()) => state.store.save_persona(&p).await.map_err(|e| match e {
            StoreError::Conflict { .. } => AppError::Conflict {
                field: Some("name".into()),
                message: format!("a persona named {:?} exists", p.name),
            },
            other => other.into(),
        }),
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/personas").into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&state, &user, Some(&form), Some(&e.public_message())).await?)
                .into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}
