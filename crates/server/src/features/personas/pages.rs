//! The personas page: a card per persona (picture or initials, description,
//! goals, pain points) with its segment's live KPIs and top themes, and a
//! form to add one; each persona's page edits, re-pictures or deletes it.

use super::service::{self, cards, find};
use crate::platform::auth::{Staff, WebUser, can};
use crate::platform::error::{AppError, PageError};
use crate::platform::form::StaffForm;
use crate::state::AppState;
use crate::ui::components::error_summary;
use crate::ui::layout::{Confirm, Confirmation, page};
use crate::ui::paths;
use crate::web::dashboard::tile;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_store::Persona;
use maud::{Markup, html};

/// The new-persona and edit-persona form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct PersonaForm {
    name: String,
    initials: String,
    description: String,
    goals: String,
    pain_points: String,
    segment_id: String,
}

impl PersonaForm {
    fn of(p: &Persona) -> PersonaForm {
        PersonaForm {
            name: p.name.clone(),
            initials: p.initials.clone(),
            description: p.description.clone(),
            goals: p.goals.clone(),
            pain_points: p.pain_points.clone(),
            segment_id: p.segment_id.map(|s| s.to_string()).unwrap_or_default(),
        }
    }
}

async fn render(
    state: &AppState,
    user: &WebUser,
    form: Option<&PersonaForm>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let list = cards(state).await?;
    let segments = state.store.segments().await?;
    let empty = PersonaForm::default();
    let form = form.unwrap_or(&empty);
    Ok(page(
        "Personas",
        user,
        "/personas",
        html! {
            h1 { "Personas" }
            p.muted { "Who we design for. A persona linked to a segment shows that segment's headline KPIs over the last 90 days and what its customers talk about most." }
            @for c in &list {
                article.card.stack.spaced {
                    div.actions {
                        (avatar(&c.persona))
                        div.grow {
                            h2.flush { (c.persona.name) }
                            @if let Some(s) = &c.segment {
                                div.muted { "Segment: " a href=(paths::customers_in(s.id)) { (s.name) } " · " (s.customers) " customers" }
                            } @else { div.muted { "No segment linked" } }
                        }
                        @if user.can(cxloop_core::access::Permission::ManageSegments) { a.btn.secondary href=(paths::persona(c.persona.id)) { "Edit" } }
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
                        div { strong { "They talk about: " } @for t in &c.top_themes { span.badge { (t.name) " (" (t.mentions) ")" } } }
                    }
                }
            }
            @if user.can(cxloop_core::access::Permission::ManageSegments) {
                h2 { "New persona" }
                @if let Some(e) = error { (error_summary(e)) }
                (persona_form("/personas", user, form, &segments, "Save persona"))
            }
        },
    ))
}

/// The picture, or the initials in a circle.
fn avatar(p: &Persona) -> Markup {
    html! {
        @if p.has_picture {
            img src=(paths::persona_picture(p.id)) alt=(format!("Picture of {}", p.name)) width="56" height="56" class="avatar";
        } @else {
            span.avatar.initials aria-hidden="true" { (p.initials) }
        }
    }
}

fn persona_form(
    action: &str,
    user: &WebUser,
    form: &PersonaForm,
    segments: &[cxloop_store::Segment],
    button: &str,
) -> Markup {
    html! {
        form.stack method="post" action=(action) {
            input type="hidden" name="_csrf" value=(user.csrf);
            div { label for="name" { "Name (a role, e.g. Enterprise operations lead)" } input #name type="text" name="name" value=(form.name) required; }
            div { label for="initials" { "Initials (optional; shown when there is no picture)" } input #initials type="text" name="initials" maxlength="3" value=(form.initials); }
            div { label for="description" { "Description" } textarea #description name="description" rows="2" { (form.description) } }
            div { label for="goals" { "Goals, one per line" } textarea #goals name="goals" rows="3" { (form.goals) } }
            div { label for="pain_points" { "Pain points, one per line" } textarea #pain_points name="pain_points" rows="3" { (form.pain_points) } }
            div { label for="segment_id" { "Segment" }
                select #segment_id name="segment_id" {
                    option value="" { "None" }
                    @for s in segments { option value=(s.id) selected[form.segment_id == s.id.to_string()] { (s.name) } }
                }
            }
            button.btn type="submit" { (button) }
        }
    }
}

fn from_form(form: &PersonaForm, id: cxloop_core::ids::PersonaId) -> Result<Persona, AppError> {
    let segment_id = match form.segment_id.trim() {
        "" => None,
        s => Some(s.parse().map_err(|_| AppError::invalid("segment_id", "there is no such segment"))?),
    };
    Ok(Persona {
        id,
        name: form.name.clone(),
        description: form.description.trim().to_string(),
        goals: form.goals.trim().to_string(),
        pain_points: form.pain_points.trim().to_string(),
        initials: form.initials.clone(),
        segment_id,
        has_picture: false,
    })
}

async fn render_edit(
    state: &AppState,
    user: &WebUser,
    p: &Persona,
    form: Option<&PersonaForm>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let segments = state.store.segments().await?;
    let form = form.cloned().unwrap_or_else(|| PersonaForm::of(p));
    Ok(page(
        &format!("Persona: {}", p.name),
        user,
        "/personas",
        html! {
            div.actions { (avatar(p)) h1.grow { (p.name) } a.btn.secondary href=(paths::PERSONA_LIST) { "All personas" } }
            @if let Some(e) = error { (error_summary(e)) }
            (persona_form(&paths::persona(p.id), user, &form, &segments, "Save changes"))
            h2 { "Picture" }
            form.stack method="post" action=(paths::persona_picture(p.id)) enctype="multipart/form-data" {
                input type="hidden" name="_csrf" value=(user.csrf);
                div {
                    label for="picture" { "PNG, JPEG, GIF or WebP, up to 200 KB" }
                    input #picture type="file" name="picture" accept="image/png,image/jpeg,image/gif,image/webp" required;
                }
                button.btn.secondary type="submit" { "Upload picture" }
            }
            @if p.has_picture {
                form method="post" action=(paths::persona_picture(p.id)) enctype="multipart/form-data" {
                    input type="hidden" name="_csrf" value=(user.csrf);
                    input type="hidden" name="remove" value="1";
                    button.btn.secondary type="submit" { "Remove picture (show initials)" }
                }
            }
            h2 { "Delete" }
            form method="post" action=(paths::persona_delete(p.id)) {
                input type="hidden" name="_csrf" value=(user.csrf);
                button.btn.danger type="submit" { "Delete this persona" }
            }
        },
    ))
}

pub async fn edit_persona(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ManageSegments>,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let p = find(state.store.as_ref(), &id).await?;
    render_edit(&state, &user, &p, None, None).await
}

pub async fn update_persona(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManageSegments, PersonaForm>,
) -> Result<Response, PageError> {
    let current = find(state.store.as_ref(), &id).await?;
    let result = match from_form(&form, current.id) {
        Ok(p) => service::save(state.store.as_ref(), p).await,
        Err(e) => Err(e),
    };
    crate::platform::form::form_outcome(result, "/personas", |m| async move {
        render_edit(&state, &user, &current, Some(&form), Some(&m)).await
    })
    .await
}

pub async fn delete_persona(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManageSegments, Confirmation>,
) -> Result<Response, PageError> {
    let p = find(state.store.as_ref(), &id).await?;
    if !form.confirmed() {
        let consequence = html! { p { "Its description, goals, pain points and picture go; the customers and segment it describes stay." } };
        let question = format!("Delete the persona {}?", p.name);
        let action = paths::persona_delete(p.id);
        let back = paths::persona(p.id);
        let ask = Confirm { question: &question, consequence, action: &action, fields: &[] };
        return Ok(ask.page(&user, "/personas", "Delete persona", &back).into_response());
    }
    service::delete(state.store.as_ref(), p.id).await?;
    Ok(Redirect::to(paths::PERSONA_LIST).into_response())
}

/// Upload (or with `remove`, take away) the picture; a bad file shows the
/// edit page with the reason.
pub async fn upload_picture(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ManageSegments>,
    Path(id): Path<String>,
    form: Multipart,
) -> Result<Response, PageError> {
    let up = crate::platform::form::read_upload(&user, form, "picture").await?;
    let p = find(state.store.as_ref(), &id).await?;
    let remove = up.fields.contains_key("remove");
    let file = up.file.map(|(_, b)| b.to_vec()).unwrap_or_default();
    let result = if remove {
        service::remove_picture(state.store.as_ref(), p.id).await
    } else {
        service::store_picture(state.store.as_ref(), p.id, &file).await
    };
    match result {
        Ok(()) => Ok(Redirect::to(&paths::persona(p.id)).into_response()),
        Err(e @ AppError::Invalid { .. }) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render_edit(&state, &user, &p, None, Some(&e.public_message())).await?,
        )
            .into_response()),
        Err(e) => Err(PageError(e)),
    }
}

pub async fn picture(
    State(state): State<AppState>,
    Staff(_user, _): Staff<can::ViewReports>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id: cxloop_core::ids::PersonaId = id.parse().map_err(|_| AppError::NotFound("persona"))?;
    Ok(super::picture_reply(&state, id).await?)
}

pub async fn personas_page(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
) -> Result<Markup, PageError> {
    render(&state, &user, None, None).await
}

pub async fn create_persona(
    State(state): State<AppState>,
    StaffForm(user, form, _): StaffForm<can::ManageSegments, PersonaForm>,
) -> Result<Response, PageError> {
    let result = match from_form(&form, cxloop_core::ids::PersonaId::nil()) {
        Ok(p) => service::save(state.store.as_ref(), p).await,
        Err(e) => Err(e),
    };
    crate::platform::form::form_outcome(result, "/personas", |m| async move {
        render(&state, &user, Some(&form), Some(&m)).await
    })
    .await
}
