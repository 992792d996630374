//! Email invitations and the contact-frequency rule.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::SurveyId;
use cxloop_core::ids::{InvitationId, ResponseId};
use serde::Serialize;
use time::OffsetDateTime;

/// Email invitations and the contact-frequency rule (checked against [`crate::SuppressionStore`]).
#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Queues invitations to a survey in one transaction. Each address is
    /// checked against the unsubscribes, then claims its contact (refused
    /// when it was last contacted after `contacted_before`), so two sends at
    /// once never reach one person twice.
    async fn create_invitations(
        &self,
        survey_id: SurveyId,
        batch: &[NewInvitation],
        contacted_before: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Result<Vec<InviteOutcome>>;
    /// Queued invitations, oldest first, and those left `sending` by a
    /// process that stopped more than 15 minutes before `now`.
    async fn queued_invitations(&self, now: time::OffsetDateTime, limit: u32) -> Result<Vec<Invitation>>;
    /// Takes one delivery for this process: the first send of a queued
    /// invitation (`reminder_due` = None, it becomes `sending`), or the
    /// reminder due at `reminder_due`. False when another process took it.
    async fn claim_delivery(
        &self,
        id: InvitationId,
        reminder_due: Option<time::OffsetDateTime>,
        now: time::OffsetDateTime,
    ) -> Result<bool>;
    /// Sent or opened, unanswered invitations whose reminder is due.
    async fn due_reminders(&self, now: time::OffsetDateTime, limit: u32) -> Result<Vec<Invitation>>;
    /// Records a delivery (first send or reminder): `reminders` counts reminders sent.
    async fn mark_invitation_sent(
        &self,
        id: InvitationId,
        at: time::OffsetDateTime,
        reminders: u32,
        next_reminder_at: Option<time::OffsetDateTime>,
    ) -> Result<()>;
    /// Records a permanent failure: `bounced` (the server refused the
    /// address) or `failed`, with the reason.
    async fn mark_invitation_failed(&self, id: InvitationId, failure: DeliveryFailure, error: &str) -> Result<()>;
    async fn invitation_by_token(&self, token: &str) -> Result<Invitation>;
    /// The recipient opened the survey page (only moves queued or sent).
    async fn mark_invitation_opened(&self, id: InvitationId, at: time::OffsetDateTime) -> Result<()>;
    /// Takes the right to answer an invitation before the answer is stored:
    /// false when it was answered (or is being answered) already.
    async fn claim_invitation_answer(&self, id: InvitationId, at: time::OffsetDateTime) -> Result<bool>;
    /// Gives the right back when storing the answer failed.
    async fn release_invitation_answer(&self, id: InvitationId) -> Result<()>;
    /// The recipient answered; no reminders follow.
    async fn mark_invitation_answered(
        &self,
        id: InvitationId,
        response_id: ResponseId,
        at: time::OffsetDateTime,
    ) -> Result<()>;
    /// A survey's invitations, newest first.
    async fn invitations(&self, survey_id: SurveyId, limit: u32) -> Result<Vec<Invitation>>;
    /// A survey's invitations counted by status.
    async fn invitation_counts(&self, survey_id: SurveyId) -> Result<Vec<(InvitationStatus, u64)>>;
}

/// One invitation to ask for (the caller makes the id and the token).
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: InvitationId,
    pub token: String,
    pub email: String,
    pub customer_id: Option<cxloop_core::ids::CustomerId>,
    /// Carried onto the response (a helpdesk ticket and agent, say).
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
    pub max_reminders: u32,
    pub reminder_days: u32,
}

/// What became of an invitation that was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteOutcome {
    Queued,
    /// The address asked not to be surveyed.
    Unsubscribed,
    /// The address was asked something within the contact-frequency window.
    RecentlyContacted,
}

/// Where an invitation stands: `queued → sending → sent → opened →
/// answered`, or it ends `bounced`, `failed` or `unsubscribed`. The
/// database holds the same set (a CHECK constraint on `invitations.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvitationStatus {
    Queued,
    Sending,
    Sent,
    Opened,
    Answered,
    Bounced,
    Failed,
    Unsubscribed,
}

impl InvitationStatus {
    /// Every status, in the order an invitation moves through them.
    pub const ALL: [InvitationStatus; 8] = [
        InvitationStatus::Queued,
        InvitationStatus::Sending,
        InvitationStatus::Sent,
        InvitationStatus::Opened,
        InvitationStatus::Answered,
        InvitationStatus::Bounced,
        InvitationStatus::Failed,
        InvitationStatus::Unsubscribed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Queued => "queued",
            InvitationStatus::Sending => "sending",
            InvitationStatus::Sent => "sent",
            InvitationStatus::Opened => "opened",
            InvitationStatus::Answered => "answered",
            InvitationStatus::Bounced => "bounced",
            InvitationStatus::Failed => "failed",
            InvitationStatus::Unsubscribed => "unsubscribed",
        }
    }

    pub fn parse(s: &str) -> Option<InvitationStatus> {
        InvitationStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// How a delivery failed for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryFailure {
    /// The mail server refused the address.
    Bounced,
    /// Anything else that will not get better by retrying.
    Failed,
}

impl DeliveryFailure {
    pub fn status(self) -> InvitationStatus {
        match self {
            DeliveryFailure::Bounced => InvitationStatus::Bounced,
            DeliveryFailure::Failed => InvitationStatus::Failed,
        }
    }
}

/// An invitation and where it stands.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Invitation {
    pub id: InvitationId,
    pub survey_id: SurveyId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_external_id: Option<String>,
    pub email: String,
    #[serde(skip)]
    pub token: String,
    pub status: InvitationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
    pub max_reminders: u32,
    pub reminder_days: u32,
    pub reminders: u32,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub next_reminder_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_id: Option<ResponseId>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub opened_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<OffsetDateTime>,
}
