//! The invitations API: send a survey's invitations, list them with the
//! response rate, report a bounce.

use super::service::{SendRequest, recipients};
use crate::kernel::invite::{InviteReport, Reminders, invite, summary};
use crate::kernel::surveys::load_survey;
use crate::platform::auth::{Api, can};
use crate::platform::error::AppError;
use crate::platform::json::ApiJson;
use crate::platform::query::{ApiQuery, Limit};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

pub const INVITATIONS: &str = "/api/v1/surveys/{id}/invitations";
pub const BOUNCES: &str = "/api/v1/invitations/bounces";

/// The API paths, for the OpenAPI drift test.
pub const PATHS: &[&str] = &[INVITATIONS, BOUNCES];

pub async fn send_invitations(
    State(state): State<AppState>,
    _u: Api<can::SendInvitations>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SendRequest>,
) -> Result<(StatusCode, Json<InviteReport>), AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    if req.segment.is_none() && req.segment_id.is_none() && req.customers.is_empty() && req.emails.is_empty() {
        return Err(AppError::invalid("segment_id", "say whom to invite: segment_id, segment, customers or emails"));
    }
    let to = recipients(&state, &req).await?;
    let reminders = Reminders { after_days: req.reminder_after_days.unwrap_or(3), max: req.max_reminders.unwrap_or(1) };
    let report = invite(&state, &survey, to, reminders, req.context.clone()).await?;
    Ok((StatusCode::ACCEPTED, Json(report)))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub limit: Limit,
}

pub async fn list_invitations(
    State(state): State<AppState>,
    _u: Api<can::ViewReports>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<InvitationList>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let list = state.store.invitations(survey.id, q.limit.get()).await?;
    Ok(Json(InvitationList { summary: summary(state.store.as_ref(), survey.id).await?, invitations: list }))
}

/// A survey's invitations (newest first) with the counts by status.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct InvitationList {
    pub summary: crate::kernel::invite::InviteSummary,
    pub invitations: Vec<cxloop_store::Invitation>,
}

/// A reported bounce: how many open invitations to the address it closed.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Bounced {
    pub email: String,
    pub invitations: u64,
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
) -> Result<Json<Bounced>, AppError> {
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
    Ok(Json(Bounced { email, invitations: n }))
}
