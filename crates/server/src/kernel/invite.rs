//! Email invitations: choosing who to ask (a segment, customers or plain
//! addresses) under the unsubscribes and the contact-frequency rule, and
//! delivering them — first sends and reminders — from the job worker of
//! whichever process is idle, each delivery claimed so nobody gets one twice.

use crate::platform::error::AppError;
use crate::platform::mail::{Invite, Mailer, SendError};
use crate::state::AppState;
use cxloop_core::{Survey, SurveyStatus};
use cxloop_store::{DeliveryFailure, Invitation, InvitationStatus, InviteOutcome, NewInvitation, Store};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use time::OffsetDateTime;

/// What delivery needs: the SMTP transport and the base of the links.
pub struct Delivery {
    pub mailer: Mailer,
    pub base_url: String,
}

pub fn survey_link(base: &str, slug: &str, token: &str) -> String {
    format!("{base}/s/{slug}?i={token}")
}

pub fn unsubscribe_link(base: &str, token: &str) -> String {
    format!("{base}/u/{token}")
}

/// Someone to invite.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: Option<String>,
    pub customer_id: Option<cxloop_core::ids::CustomerId>,
    /// For the report: who this is.
    pub label: String,
}

/// Reminder policy of a send.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
pub struct Reminders {
    pub after_days: u32,
    pub max: u32,
}

/// How a send went, by outcome.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct InviteReport {
    pub queued: u64,
    pub unsubscribed: u64,
    pub recently_contacted: u64,
    pub no_email: u64,
    pub invalid_email: u64,
    pub duplicates: u64,
    /// The contact-frequency window that applied, in days.
    pub contact_frequency_days: u32,
}

/// Queues invitations to `survey` for `recipients`. Refused when email is
/// not set up or the survey does not accept answers.
pub async fn invite(
    state: &AppState,
    survey: &Survey,
    recipients: Vec<Recipient>,
    reminders: Reminders,
    context: Option<serde_json::Map<String, serde_json::Value>>,
) -> Result<InviteReport, AppError> {
    if state.delivery.is_none() {
        return Err(AppError::Conflict {
            field: Some("smtp".into()),
            message: "email is not set up: start cxloop serve with --smtp-url and --mail-from".into(),
        });
    }
    if survey.status != SurveyStatus::Active {
        return Err(AppError::Conflict {
            field: Some("status".into()),
            message: "only an active survey can be sent; activate it first".into(),
        });
    }
    if reminders.after_days == 0 && reminders.max > 0 || reminders.after_days > 60 || reminders.max > 5 {
        return Err(AppError::invalid("reminders", "reminders: after_days must be 1–60 and max 0–5"));
    }
    let days = state.config.contact_frequency_days;
    let mut report = InviteReport { contact_frequency_days: days, ..Default::default() };
    let mut seen = HashSet::new();
    let mut batch = Vec::new();
    for r in recipients {
        let Some(email) = r.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) else {
            report.no_email += 1;
            continue;
        };
        if cxloop_core::customer::check_email(email).is_err() {
            report.invalid_email += 1;
            continue;
        }
        if !seen.insert(email.to_lowercase()) {
            report.duplicates += 1;
            continue;
        }
        batch.push(NewInvitation {
            id: cxloop_core::ids::InvitationId::new(),
            token: crate::platform::crypto::new_token(),
            email: email.to_string(),
            customer_id: r.customer_id,
            context: context.clone(),
            max_reminders: reminders.max,
            reminder_days: reminders.after_days,
        });
    }
    let now = OffsetDateTime::now_utc();
    let before = now - time::Duration::days(i64::from(days));
    for chunk in batch.chunks(1000) {
        for outcome in state.store.create_invitations(survey.id, chunk, before, now).await? {
            match outcome {
                InviteOutcome::Queued => report.queued += 1,
                InviteOutcome::Unsubscribed => report.unsubscribed += 1,
                InviteOutcome::RecentlyContacted => report.recently_contacted += 1,
            }
        }
    }
    Ok(report)
}

/// Sends what is due: queued invitations, then reminders, up to `limit` of
/// each. Returns how many messages went out. A server that is down stops
/// the round (the claimed invitation is retried after 15 minutes).
/// The sweeper that sends queued invitations and due reminders, 50 at a
/// time, looking once a second when there is nothing to send.
pub struct DeliverInvitations(pub Arc<Delivery>);

#[async_trait::async_trait]
impl crate::platform::jobs::Sweeper for DeliverInvitations {
    fn name(&self) -> &'static str {
        "send invitations"
    }

    fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }

    async fn sweep(&self, ctx: &crate::platform::jobs::JobContext) -> Result<usize, String> {
        let n = deliver(&ctx.store, &self.0, 50).await?;
        if n > 0 {
            tracing::info!(messages = n, "sent invitations");
        }
        Ok(n)
    }
}

pub async fn deliver(store: &Arc<dyn Store>, d: &Delivery, limit: u32) -> Result<usize, String> {
    let now = OffsetDateTime::now_utc();
    let mut surveys: HashMap<cxloop_core::ids::SurveyId, Survey> = HashMap::new();
    let mut sent = 0;
    let queued = store.queued_invitations(now, limit).await.map_err(|e| e.to_string())?;
    let reminders = store.due_reminders(now, limit).await.map_err(|e| e.to_string())?;
    let work = queued.into_iter().map(|i| (i, false)).chain(reminders.into_iter().map(|i| (i, true)));
    for (inv, reminder) in work {
        let due = if reminder { inv.next_reminder_at } else { None };
        if !store.claim_delivery(inv.id, due, now).await.map_err(|e| e.to_string())? {
            continue;
        }
        let survey = match surveys.entry(inv.survey_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(store.get_survey(inv.survey_id).await.map_err(|e| e.to_string())?)
            }
        };
        match send_one(store, d, survey, &inv, reminder).await {
            Ok(()) => sent += 1,
            Err(SendError::Transient(e)) => {
                if reminder {
                    let retry = OffsetDateTime::now_utc() + time::Duration::hours(1);
                    let _ = store.mark_invitation_sent(inv.id, now, inv.reminders, Some(retry)).await;
                }
                return Err(format!("mail server: {e}"));
            }
            Err(e) => {
                let failure = if matches!(e, SendError::Permanent(_)) {
                    DeliveryFailure::Bounced
                } else {
                    DeliveryFailure::Failed
                };
                store.mark_invitation_failed(inv.id, failure, &e.to_string()).await.map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(sent)
}

async fn send_one(
    store: &Arc<dyn Store>,
    d: &Delivery,
    survey: &Survey,
    inv: &Invitation,
    reminder: bool,
) -> Result<(), SendError> {
    if survey.status != SurveyStatus::Active {
        return Err(SendError::Invalid("the survey was closed before this was sent".into()));
    }
    let link = survey_link(&d.base_url, &survey.slug, &inv.token);
    let unsubscribe = unsubscribe_link(&d.base_url, &inv.token);
    d.mailer
        .send_invite(&Invite {
            to: &inv.email,
            survey_title: &survey.title,
            survey_description: survey.description.as_deref(),
            link: &link,
            unsubscribe: &unsubscribe,
            reminder,
        })
        .await?;
    let at = OffsetDateTime::now_utc();
    let reminders = if reminder { inv.reminders + 1 } else { inv.reminders };
    let next = (reminders < inv.max_reminders).then(|| at + time::Duration::days(i64::from(inv.reminder_days)));
    store.mark_invitation_sent(inv.id, at, reminders, next).await.map_err(|e| SendError::Transient(e.to_string()))
}

/// Counts by status and the response rate: answered over delivered
/// (everything that reached an inbox: sent, opened, answered).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct InviteSummary {
    /// Invitations by status.
    #[schema(value_type = std::collections::BTreeMap<String, u64>)]
    pub counts: std::collections::BTreeMap<InvitationStatus, u64>,
    pub delivered: u64,
    pub answered: u64,
    /// Percentage of delivered invitations that were answered.
    pub response_rate: Option<f64>,
}

pub async fn summary(
    store: &dyn cxloop_store::InvitationStore,
    survey_id: cxloop_core::ids::SurveyId,
) -> Result<InviteSummary, AppError> {
    let counts: std::collections::BTreeMap<InvitationStatus, u64> =
        store.invitation_counts(survey_id).await?.into_iter().collect();
    let get = |k: InvitationStatus| counts.get(&k).copied().unwrap_or(0);
    let answered = get(InvitationStatus::Answered);
    let delivered = get(InvitationStatus::Sent) + get(InvitationStatus::Opened) + answered;
    Ok(InviteSummary {
        response_rate: (delivered > 0).then(|| answered as f64 * 100.0 / delivered as f64),
        counts,
        delivered,
        answered,
    })
}
