//! A survey's email invitations: the response rate and every status, the
//! latest invitations, and a form to send to a saved segment or a list of
//! addresses with a reminder policy.

use super::service::{Address, SendRequest, recipients};
use crate::kernel::invite::{InviteReport, Reminders, invite, summary};
use crate::kernel::surveys::load_survey;
use crate::platform::auth::{Staff, WebUser, can};
use crate::platform::error::{AppError, PageError};
use crate::platform::form::StaffForm;
use crate::state::AppState;
use crate::ui::components::error_summary;
use crate::ui::layout::{datetime, num, page};
use crate::ui::paths;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cxloop_core::Survey;
use cxloop_store::InvitationStatus;
use maud::{Markup, html};

/// A send: a segment and/or addresses, and the reminder rule. Numbers stay
/// text as typed, so a mistake shows the form again with what was typed.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SendForm {
    segment_id: String,
    emails: String,
    reminder_after_days: String,
    max_reminders: String,
}

async fn render(
    state: &AppState,
    user: &WebUser,
    survey: &Survey,
    form: Option<&SendForm>,
    note: Option<Result<&InviteReport, String>>,
) -> Result<Markup, PageError> {
    let sum = summary(state.store.as_ref(), survey.id).await?;
    let list = state.store.invitations(survey.id, 50).await?;
    let segments = state.store.segments().await?;
    let empty = SendForm::default();
    let form = form.unwrap_or(&empty);
    let days = |v: &str, d: &str| if v.is_empty() { d.to_string() } else { v.to_string() };
    Ok(page(
        &format!("Invitations: {}", survey.title),
        user,
        "/surveys",
        html! {
            div.actions {
                h1.grow { "Invitations: " (survey.title) }
                a.btn.secondary href=(paths::survey(survey.id)) { "Back to the survey" }
            }
            @match &note {
                Some(Ok(r)) => p.note role="status" {
                    (r.queued) " invitations queued; they go out in the next minute. Skipped: "
                    (r.recently_contacted) " asked something in the last " (r.contact_frequency_days) " days, "
                    (r.unsubscribed) " unsubscribed, " (r.no_email) " without an email, " (r.invalid_email) " with an invalid one, "
                    (r.duplicates) " listed twice."
                },
                Some(Err(e)) => (error_summary(e)),
                None => {},
            }
            @if state.delivery.is_none() {
                p.note { "Email is not set up on this server: start it with " code { "--smtp-url" } " and " code { "--mail-from" } " to send invitations. Statuses of earlier sends are below." }
            }
            div.grid {
                div.card { div.muted { "Response rate" } div.figure { @match sum.response_rate { Some(r) => { (num(Some(r), 1)) "%" }, None => "—" } }
                    div.muted { (sum.answered) " answered of " (sum.delivered) " delivered" } }
                @for s in InvitationStatus::ALL {
                    @let n = sum.counts.get(&s).copied().unwrap_or(0);
                    @if n > 0 { div.card { div.muted { (s.as_str()) } div.figure { (n) } } }
                }
            }
            @if user.can(cxloop_core::access::Permission::SendInvitations) {
            h2 { "Send" }
            form.stack method="post" action=(paths::survey_invitations(survey.id)) {
                input type="hidden" name="_csrf" value=(user.csrf);
                div { label for="segment_id" { "To a saved segment (its customers with an email)" }
                    select #segment_id name="segment_id" {
                        option value="" { "None" }
                        @for sg in &segments { option value=(sg.id) selected[form.segment_id == sg.id.to_string()] { (sg.name) } }
                    }
                }
                div { label for="emails" { "And/or these addresses, one per line" } textarea #emails name="emails" rows="4" { (form.emails) } }
                div.actions {
                    label { "Remind after (days) " input type="number" name="reminder_after_days" min="1" max="60" value=(days(&form.reminder_after_days, "3")); }
                    label { "Reminders at most " input type="number" name="max_reminders" min="0" max="5" value=(days(&form.max_reminders, "1")); }
                }
                p.muted { "Nobody is asked twice: unsubscribed addresses and anyone invited to any survey in the last " (state.config.contact_frequency_days) " days are skipped." }
                button.btn type="submit" disabled[state.delivery.is_none() || survey.status != cxloop_core::SurveyStatus::Active] { "Send invitations" }
            }
            }
            h2 { "Latest invitations" }
            table {
                thead { tr { th { "Email" } th { "Customer" } th { "Status" } th { "Sent" } th { "Opened" } th { "Answered" } th.num { "Reminders" } } }
                tbody {
                    @for i in &list {
                        tr {
                            td { (i.email) }
                            td.mono { (i.customer_external_id.as_deref().unwrap_or("")) }
                            td { span.badge { (i.status.as_str()) } @if let Some(e) = &i.error { div.muted { (e) } } }
                            td { (i.sent_at.map(datetime).unwrap_or_default()) }
                            td { (i.opened_at.map(datetime).unwrap_or_default()) }
                            td { (i.answered_at.map(datetime).unwrap_or_default()) }
                            td.num { (i.reminders) " / " (i.max_reminders) }
                        }
                    }
                    @if list.is_empty() { tr { td colspan="7" { "No invitations yet." } } }
                }
            }
        },
    ))
}

pub async fn invitations_page(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    render(&state, &user, &survey, None, None).await
}

pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::SendInvitations, SendForm>,
) -> Result<Response, PageError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let number = |k: &str, v: &str, d: u32| -> Result<u32, AppError> {
        let v = v.trim();
        if v.is_empty() {
            Ok(d)
        } else {
            v.parse().map_err(|_| AppError::invalid(k, format!("{k} must be a whole number")))
        }
    };
    let result = async {
        let mut emails = Vec::new();
        for (n, line) in form.emails.lines().enumerate() {
            let e = line.trim();
            if e.is_empty() {
                continue;
            }
            if cxloop_core::customer::check_email(e).is_err() {
                return Err(AppError::invalid(
                    "emails",
                    format!("line {} of the addresses: {e:?} is not an email address", n + 1),
                ));
            }
            emails.push(Address { email: e.to_string(), external_id: None, name: None });
        }
        let req = SendRequest {
            segment_id: Some(form.segment_id.clone()).filter(|s| !s.is_empty()),
            emails,
            ..Default::default()
        };
        if req.segment_id.is_none() && req.emails.is_empty() {
            return Err(AppError::invalid("segment_id", "choose a segment or list addresses"));
        }
        let to = recipients(&state, &req).await?;
        let reminders = Reminders {
            after_days: number("reminder_after_days", &form.reminder_after_days, 3)?,
            max: number("max_reminders", &form.max_reminders, 1)?,
        };
        invite(&state, &survey, to, reminders, None).await
    }
    .await;
    match result {
        Ok(report) => Ok(render(&state, &user, &survey, None, Some(Ok(&report))).await?.into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&state, &user, &survey, Some(&form), Some(Err(e.public_message()))).await?,
        )
            .into_response()),
        Err(e) => Err(PageError(e)),
    }
}
