//! Email invitations of a survey: send to a segment, to customers of the
//! directory or to plain addresses, and see each invitation's status and
//! the response rate.

use crate::AppState;
use crate::auth::{Api, can};
use crate::error::AppError;
use crate::invite::{Recipient, Reminders, invite, summary};
use crate::json::ApiJson;
use crate::kernel::surveys::load_survey;
use crate::query::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cxloop_store::CustomerRef;
use serde::Deserialize;
use serde_json::{Value, json};

/// An address to invite, optionally tied to a customer of the directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub email: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    /// A saved segment's id, or an expression: its customers with an email.
    #[serde(default)]
    pub segment_id: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
    /// Customers by external id.
    #[serde(default)]
    pub customers: Vec<String>,
    /// Plain addresses.
    #[serde(default)]
    pub emails: Vec<Address>,
    /// Days before a reminder to those who did not answer (default 3).
    #[serde(default)]
    pub reminder_after_days: Option<u32>,
    /// How many reminders at most (default 1; 0 for none).
    #[serde(default)]
    pub max_reminders: Option<u32>,
    /// Carried onto each response (a campaign name, a ticket …).
    #[serde(default)]
    pub context: Option<serde_json::Map<String, Value>>,
}

/// Resolves the request's recipients: segment members, named customers and
/// addresses (an address with an external id is saved to the directory).
pub async fn recipients(state: &AppState, req: &SendRequest) -> Result<Vec<Recipient>, AppError> {
    let mut out = Vec::new();
    if let Some((_, facts)) =
        crate::kernel::segments::segment_facts(state, req.segment.as_deref(), req.segment_id.as_deref()).await?
    {
        out.extend(facts.into_iter().map(|f| Recipient {
            email: f.customer.email.clone(),
            customer_id: Some(f.customer.id),
            label: f.customer.external_id,
        }));
    }
    for (i, id) in req.customers.iter().enumerate() {
        let c = state.store.customer_by_external_id(id.trim()).await.map_err(|e| match e {
            cxloop_store::StoreError::NotFound => {
                AppError::invalid(format!("customers[{i}]"), format!("there is no customer {id:?}"))
            }
            other => other.into(),
        })?;
        out.push(Recipient { email: c.email.clone(), customer_id: Some(c.id), label: c.external_id });
    }
    for (i, a) in req.emails.iter().enumerate() {
        let email = cxloop_core::customer::check_email(a.email.trim())
            .map_err(|e| AppError::invalid(format!("emails[{i}].email"), e.to_string()))?;
        if a.name.as_deref().is_some_and(|n| n.trim().chars().count() > 200) {
            return Err(AppError::invalid(format!("emails[{i}].name"), "name is longer than 200 characters"));
        }
        let customer_id = match a.external_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(ext) if ext.chars().count() > 200 => {
                return Err(AppError::invalid(
                    format!("emails[{i}].external_id"),
                    "external_id must be 1–200 characters",
                ));
            }
            Some(ext) => Some(
                state
                    .store
                    .upsert_customer(&CustomerRef {
                        external_id: ext.to_string(),
                        name: a.name.clone(),
                        email: Some(email.clone()),
                        attributes: Default::default(),
                    })
                    .await?,
            ),
            None => None,
        };
        out.push(Recipient { email: Some(email.clone()), customer_id, label: email });
    }
    Ok(out)
}

pub async fn send_invitations(
    State(state): State<AppState>,
    _u: Api<can::SendInvitations>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SendRequest>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let survey = load_survey(&state, &id).await?;
    if req.segment.is_none() && req.segment_id.is_none() && req.customers.is_empty() && req.emails.is_empty() {
        return Err(AppError::invalid("segment_id", "say whom to invite: segment_id, segment, customers or emails"));
    }
    let to = recipients(&state, &req).await?;
    let reminders = Reminders { after_days: req.reminder_after_days.unwrap_or(3), max: req.max_reminders.unwrap_or(1) };
    let report = invite(&state, &survey, to, reminders, req.context.clone()).await?;
    Ok((StatusCode::ACCEPTED, Json(json!(report))))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub limit: Option<u32>,
}

pub async fn list_invitations(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, AppError> {
    let survey = load_survey(&state, &id).await?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("limit", "limit must be 1–1000"));
    }
    let list = state.store.invitations(survey.id, limit).await?;
    Ok(Json(json!({ "summary": summary(&state, survey.id).await?, "invitations": list })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounce {
    pub email: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/invitations/bounces`: a bounce the mail provider reports
/// after delivery; that address's open invitations become `bounced`.
pub async fn report_bounce(
    State(state): State<AppState>,
    _u: Api<can::SendInvitations>,
    ApiJson(b): ApiJson<Bounce>,
) -> Result<Json<Value>, AppError> {
    let email =
        cxloop_core::customer::check_email(b.email.trim()).map_err(|e| AppError::invalid("email", e.to_string()))?;
    let reason = b
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .unwrap_or("bounced (reported by the mail provider)");
    if reason.chars().count() > 500 {
        return Err(AppError::invalid("reason", "reason is longer than 500 characters"));
    }
    let n = state.store.report_bounce(&email, reason).await?;
    Ok(Json(json!({ "email": email, "invitations": n })))
}
