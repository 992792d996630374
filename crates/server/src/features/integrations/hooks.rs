//! Inbound webhooks. An admin registers a hook (a name and a map from event
//! names to surveys) and gets a secret; the helpdesk or CRM then posts
//! events to `/hooks/{id}` signed with it (`X-Cxloop-Signature:
//! sha256=HMAC-SHA256(secret, body)`). A mapped event invites its customer
//! to the survey by email, carrying the ticket and agent onto the response.

use super::service::{self, HookRequest, check_hook, save_hook};
use crate::kernel::invite::{Recipient, Reminders, invite};
use crate::platform::auth::{Api, can};
use crate::platform::error::AppError;
use crate::platform::json::ApiJson;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use cxloop_store::{CustomerRef, Hook};
use serde::Deserialize;
use serde_json::{Map, Value};

/// An inbound webhook as the API shows it: the secret only once, when it
/// is created.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct HookView {
    pub id: cxloop_core::ids::HookId,
    pub name: String,
    /// Event name → the survey it sends.
    pub events: std::collections::BTreeMap<String, cxloop_core::ids::SurveyId>,
    /// Where the sender posts its events.
    pub url: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
    /// Signs each request (HMAC-SHA256 of the body); shown only on creation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// `GET /api/v1/hooks`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct HookList {
    pub hooks: Vec<HookView>,
}

/// What became of a delivered event.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EventOutcome {
    pub event: String,
    /// The survey sent (absent for a duplicate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survey_id: Option<cxloop_core::ids::SurveyId>,
    pub outcome: Outcome,
}

/// `invited`, or why nobody was: already handled, unsubscribed, asked
/// recently, or no email address known.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Duplicate,
    Invited,
    Unsubscribed,
    RecentlyContacted,
    NoEmail,
}

fn view(state: &AppState, h: &Hook, with_secret: bool) -> HookView {
    HookView {
        id: h.id,
        name: h.name.clone(),
        events: h.events.clone(),
        url: format!("{}/hooks/{}", state.base_url, h.id),
        created_at: h.created_at,
        secret: with_secret.then(|| h.secret.clone()),
    }
}

pub async fn create_hook(
    State(state): State<AppState>,
    _u: Api<can::ManageIntegrations>,
    ApiJson(req): ApiJson<HookRequest>,
) -> Result<(StatusCode, Json<HookView>), AppError> {
    let hook = check_hook(state.store.as_ref(), &req).await?;
    save_hook(state.store.as_ref(), &hook).await?;
    Ok((StatusCode::CREATED, Json(view(&state, &hook, true))))
}

pub async fn list_hooks(State(state): State<AppState>, _u: Api<can::ViewReports>) -> Result<Json<HookList>, AppError> {
    let hooks = state.store.hooks().await?.iter().map(|h| view(&state, h, false)).collect();
    Ok(Json(HookList { hooks }))
}

pub async fn delete_hook(
    State(state): State<AppState>,
    _u: Api<can::ManageIntegrations>,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    service::delete_hook(state.store.as_ref(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a helpdesk or CRM posts.
#[derive(Debug, Deserialize)]
pub struct Event {
    /// Unique per event in the sender's system: a redelivery is recognised.
    pub id: String,
    /// e.g. `ticket.solved`.
    pub event: String,
    pub customer: EventCustomer,
    /// Carried onto the response as they are (an id or an object).
    #[serde(default)]
    pub ticket: Option<Value>,
    #[serde(default)]
    pub agent: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct EventCustomer {
    pub external_id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

fn small(v: &Option<Value>, field: &'static str) -> Result<(), AppError> {
    if v.as_ref().is_some_and(|v| v.to_string().len() > 2000) {
        return Err(AppError::invalid(field, format!("{field} is larger than 2000 bytes")));
    }
    Ok(())
}

/// `POST /hooks/{id}`: verifies the signature, then invites the event's
/// customer to the mapped survey.
pub async fn receive(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<EventOutcome>), AppError> {
    let hook = service::find_hook(state.store.as_ref(), &id).await?;
    let signature = headers.get("x-cxloop-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !crate::platform::crypto::verify_body(&hook.secret, &body, signature) {
        return Err(AppError::Forbidden(
            "bad or missing X-Cxloop-Signature: send sha256=HMAC-SHA256(secret, body) in hex".into(),
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(&body);
    let ev: Event = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| AppError::invalid(e.path().to_string(), e.inner().to_string()))?;
    if ev.id.trim().is_empty() || ev.id.len() > 200 {
        return Err(AppError::invalid("id", "id must be 1–200 characters"));
    }
    let ext = ev.customer.external_id.trim();
    if ext.is_empty() || ext.chars().count() > 200 {
        return Err(AppError::invalid("customer.external_id", "external_id must be 1–200 characters"));
    }
    crate::kernel::customers::optional_name("customer.name", ev.customer.name.as_deref())?;
    small(&ev.ticket, "ticket")?;
    small(&ev.agent, "agent")?;
    let Some(survey_id) = hook.events.get(&ev.event) else {
        let known: Vec<&str> = hook.events.keys().map(String::as_str).collect();
        return Err(AppError::invalid(
            "event",
            format!("no survey is mapped to event {:?} (mapped: {})", ev.event, known.join(", ")),
        ));
    };
    // Claim the event id first: a redelivery while this one is handled is a duplicate.
    if !state.store.record_hook_event(hook.id, &ev.id, "received").await? {
        let duplicate = EventOutcome { event: ev.event.clone(), survey_id: None, outcome: Outcome::Duplicate };
        return Ok((StatusCode::OK, Json(duplicate)));
    }
    match handle(&state, &hook, &ev, *survey_id).await {
        Ok(v) => Ok((StatusCode::ACCEPTED, Json(v))),
        Err(e) => {
            state.store.forget_hook_event(hook.id, &ev.id).await?;
            Err(e)
        }
    }
}

async fn handle(
    state: &AppState,
    hook: &Hook,
    ev: &Event,
    survey_id: cxloop_core::ids::SurveyId,
) -> Result<EventOutcome, AppError> {
    let ext = ev.customer.external_id.trim();
    let email = crate::kernel::customers::optional_email("customer.email", ev.customer.email.as_deref())?;
    let name = crate::kernel::customers::optional_name("customer.name", ev.customer.name.as_deref())?;
    let survey = state.store.get_survey(survey_id).await?;
    let customer_id = state
        .store
        .upsert_customer(&CustomerRef {
            external_id: ext.to_string(),
            name,
            email: email.clone(),
            attributes: Default::default(),
        })
        .await?;
    let email = match email {
        Some(e) => Some(e),
        None => state.store.customer_by_external_id(ext).await?.email,
    };
    let mut context = Map::new();
    context.insert("source".into(), hook.name.clone().into());
    context.insert("event".into(), ev.event.clone().into());
    context.insert("event_id".into(), ev.id.clone().into());
    if let Some(t) = &ev.ticket {
        context.insert("ticket".into(), t.clone());
    }
    if let Some(a) = &ev.agent {
        context.insert("agent".into(), a.clone());
    }
    let to = vec![Recipient { email, customer_id: Some(customer_id), label: ext.to_string() }];
    let report = invite(state, &survey, to, Reminders { after_days: 3, max: 1 }, Some(context)).await?;
    let outcome = if report.queued == 1 {
        Outcome::Invited
    } else if report.unsubscribed == 1 {
        Outcome::Unsubscribed
    } else if report.recently_contacted == 1 {
        Outcome::RecentlyContacted
    } else {
        Outcome::NoEmail
    };
    Ok(EventOutcome { event: ev.event.clone(), survey_id: Some(survey.id), outcome })
}
