//! The Channels page: every way feedback reaches cxloop besides the survey
//! link. Email (whether SMTP is set up, the contact rule, each survey's
//! invitations), inbound webhooks (create, with the secret shown once, and
//! delete), the website widget per survey (allowed origins, frequency, the
//! tag to paste) and feedback imports.

use super::service::{self, HookRequest, WidgetRequest, check_hook, save_hook};
use crate::platform::auth::{Staff, WebUser, can};
use crate::platform::error::{AppError, PageError};
use crate::platform::form::StaffForm;
use crate::state::AppState;
use crate::ui::components::error_summary;
use crate::ui::layout::{Confirm, Confirmation, page};
use crate::ui::paths;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_core::{Survey, SurveyStatus};
use cxloop_store::Hook;
use maud::{Markup, html};

/// What the page says after a form: a hook just made (its secret), or an error.
enum Note<'a> {
    Created(&'a Hook),
    Error(String),
}

async fn render(state: &AppState, user: &WebUser, note: Option<Note<'_>>) -> Result<Markup, PageError> {
    let surveys: Vec<Survey> = state.store.list_surveys().await?.into_iter().map(|s| s.survey).collect();
    let hooks = state.store.hooks().await?;
    let title_of = |id: &cxloop_core::ids::SurveyId| {
        surveys.iter().find(|s| &s.id == id).map_or("(deleted survey)", |s| s.title.as_str())
    };
    let live: Vec<&Survey> = surveys
        .iter()
        .filter(|s| s.status == SurveyStatus::Active && s.questions.iter().any(|q| q.kind.is_scored()))
        .collect();
    let mut widgets = Vec::new();
    for s in &live {
        widgets.push((*s, state.store.widget(s.id).await.ok()));
    }
    Ok(page(
        "Channels",
        user,
        "/channels",
        html! {
            h1 { "Channels" }
            p.muted { "Besides each survey's link and QR code: email invitations, events from your helpdesk or CRM, a widget on your website, and feedback gathered elsewhere." }
            @match &note {
                Some(Note::Created(h)) => div.note role="status" {
                    p { "Webhook " strong { (h.name) } " created. Its secret is shown this once; keep it in your helpdesk's settings:" }
                    p { code.mono { (h.secret) } }
                    p { "Post events to " code { (state.base_url) "/hooks/" (h.id) } " with the header " code { "X-Cxloop-Signature: sha256=" } "followed by the hex HMAC-SHA256 of the body under the secret." }
                },
                Some(Note::Error(e)) => (error_summary(e)),
                None => {},
            }
            h2 { "Email invitations" }
            @if state.delivery.is_some() {
                p { "Email is set up. Nobody is invited twice within " (state.config.contact_frequency_days) " days, across all surveys; unsubscribes are honoured for good." }
            } @else {
                p.note { "Email is not set up: start cxloop serve with " code { "--smtp-url" } " and " code { "--mail-from" } "." }
            }
            ul { @for s in &surveys { li { a href=(paths::survey_invitations(s.id)) { (s.title) } } } }

            h2 { "Inbound webhooks" }
            table {
                thead { tr { th { "Name" } th { "Events → survey" } th { "URL" } th { "" } } }
                tbody {
                    @for h in &hooks {
                        tr {
                            td { strong { (h.name) } }
                            td { @for (e, s) in &h.events { div { code { (e) } " → " (title_of(s)) } } }
                            td.mono { (state.base_url) "/hooks/" (h.id) }
                            td {
                                @if user.can(cxloop_core::access::Permission::ManageIntegrations) {
                                form method="post" action=(paths::channel_hook_delete(h.id)) {
                                    input type="hidden" name="_csrf" value=(user.csrf);
                                    button.btn.secondary type="submit" { "Delete" }
                                }
                                }
                            }
                        }
                    }
                    @if hooks.is_empty() { tr { td colspan="4" { "No webhooks yet." } } }
                }
            }
            @if user.can(cxloop_core::access::Permission::ManageIntegrations) {
            form.filters method="post" action=(paths::CHANNEL_HOOKS) aria-label="New webhook" {
                input type="hidden" name="_csrf" value=(user.csrf);
                label { "Name" input type="text" name="name" required placeholder="Helpdesk"; }
                label { "Event" input type="text" name="event" required placeholder="ticket.solved"; }
                label { "Sends survey"
                    select name="survey_id" required { @for s in &surveys { option value=(s.id) { (s.title) } } }
                }
                button.btn type="submit" { "Create webhook" }
            }
            }
            p.muted { "An event is JSON: " code { "{\"id\": \"evt-1\", \"event\": \"ticket.solved\", \"customer\": {\"external_id\": \"acme\", \"email\": \"help@acme.example\"}, \"ticket\": {\"id\": \"T-1\"}, \"agent\": {\"name\": \"…\"}}" } ". The customer gets the survey by email; the ticket and agent travel with the answer. A redelivered id surveys nobody twice." }

            h2 { "Website widget" }
            @if live.is_empty() { p.muted { "Activate a survey with an NPS, CSAT, CES or rating question to put it on your site." } }
            @for (s, w) in &widgets {
                section.card.stack.spaced {
                    strong { (s.title) }
                    @if user.can(cxloop_core::access::Permission::ManageIntegrations) {
                    form.stack method="post" action=(paths::channel_widget(s.id)) {
                        input type="hidden" name="_csrf" value=(user.csrf);
                        label { "Allowed origins, one per line (e.g. https://app.example.com)"
                            textarea name="origins" rows="2" { @if let Some(w) = w { (w.origins.join("\n")) } }
                        }
                        label { "Ask one visitor at most once every (days) "
                            input type="number" name="every_days" min="0" max="365" value=(w.as_ref().map_or(30, |w| w.every_days));
                        }
                        button.btn.secondary type="submit" { "Save widget" }
                    }
                    }
                    @if w.is_some() {
                        div { "Paste into your pages:" }
                        code.mono { "<script src=\"" (state.base_url) "/widget.js\" data-survey=\"" (s.id) "\" async></script>" }
                        div.muted { "To say who the visitor is, add data-customer=\"ID\" and data-signature=\"…\" from POST /api/v1/surveys/" (s.id) "/links on your server." }
                    }
                }
            }

            h2 { "Feedback from elsewhere" }
            p { "Reviews, interview and focus-group notes, social posts: " a href=(paths::FEEDBACK_IMPORT) { "import a CSV or JSON file" } " into a survey, or use " code { "cxloop import feedback" } "." }
        },
    ))
}

pub async fn channels_page(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
) -> Result<Markup, PageError> {
    render(&state, &user, None).await
}

async fn with_error(state: &AppState, user: &WebUser, e: AppError) -> Result<Response, PageError> {
    match e {
        AppError::Invalid { .. } | AppError::Conflict { .. } => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(state, user, Some(Note::Error(e.public_message()))).await?)
                .into_response())
        }
        other => Err(PageError(other)),
    }
}

/// A new webhook: its name and the one event it starts with.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct HookForm {
    name: String,
    event: String,
    survey_id: String,
}

pub async fn create_hook(
    State(state): State<AppState>,
    StaffForm(user, form, _): StaffForm<can::ManageIntegrations, HookForm>,
) -> Result<Response, PageError> {
    let req = HookRequest {
        name: form.name,
        events: [(form.event.trim().to_string(), form.survey_id)].into_iter().collect(),
    };
    let result = async {
        let hook = check_hook(state.store.as_ref(), &req).await?;
        save_hook(state.store.as_ref(), &hook).await?;
        Ok::<Hook, AppError>(hook)
    }
    .await;
    match result {
        Ok(hook) => Ok(render(&state, &user, Some(Note::Created(&hook))).await?.into_response()),
        Err(e) => with_error(&state, &user, e).await,
    }
}

pub async fn delete_hook(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManageIntegrations, Confirmation>,
) -> Result<Response, PageError> {
    if !form.confirmed() {
        let hook = service::find_hook(state.store.as_ref(), &id).await?;
        let consequence = html! {
            p { "Events sent to " code { (state.base_url) "/hooks/" (hook.id) } " will be refused from now on, so the system that sends them must be told. Responses it brought in stay." }
        };
        let question = format!("Delete the webhook {}?", hook.name);
        let action = paths::channel_hook_delete(hook.id);
        let ask = Confirm { question: &question, consequence, action: &action, fields: &[] };
        return Ok(ask.page(&user, "/channels", "Delete webhook", "/channels").into_response());
    }
    service::delete_hook(state.store.as_ref(), &id).await?;
    Ok(Redirect::to(paths::CHANNELS_PAGE).into_response())
}

/// A survey's widget settings: allowed origins, one per line, and how
/// often (days) a visitor may be asked.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct WidgetForm {
    origins: String,
    every_days: String,
}

pub async fn save_widget(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManageIntegrations, WidgetForm>,
) -> Result<Response, PageError> {
    let survey = crate::kernel::surveys::load_survey(state.store.as_ref(), &id).await?;
    let result = async {
        let every_days = match form.every_days.trim() {
            "" => None,
            v => Some(v.parse().map_err(|_| AppError::invalid("every_days", "every_days must be a whole number"))?),
        };
        let origins = form.origins.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
        service::save_widget(state.store.as_ref(), &survey, &WidgetRequest { origins, every_days }).await.map(|_| ())
    }
    .await;
    match result {
        Ok(()) => Ok(Redirect::to(paths::CHANNELS_PAGE).into_response()),
        Err(e) => with_error(&state, &user, e).await,
    }
}
