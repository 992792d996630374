// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Email invitations: queueing under the contact-frequency rule and the
// unsubscribes (`suppressions`), delivery and reminders, opens and answers.

use super::{Backend, Db, uuid};
use crate::codec::{Id, Json, Ts, count, narrow};
use crate::{
    DeliveryFailure, Invitation, InvitationStatus, InvitationStore, InviteOutcome, NewInvitation, Result, StoreError,
};
use async_trait::async_trait;
use cxloop_core::ids::SurveyId;
use sqlx::{QueryBuilder, Row};
use std::collections::HashSet;
use time::OffsetDateTime;

const SELECT: &str = "SELECT i.id, i.survey_id, c.external_id, i.email, i.token, i.status, i.context, i.max_reminders,
    i.reminder_days, i.reminders, i.next_reminder_at, i.error, i.response_id, i.created_at, i.sent_at, i.opened_at, i.answered_at
    FROM invitations i LEFT JOIN customers c ON c.id = i.customer_id";

fn status(s: &str) -> Result<InvitationStatus> {
    InvitationStatus::parse(s).ok_or_else(|| StoreError::Other(format!("bad stored invitation status {s:?}")))
}

fn decode(row: &super::DbRow) -> Result<Invitation> {
    let when = |col: &str| -> Result<Option<OffsetDateTime>> { Ok(row.try_get::<Option<Ts>, _>(col)?.map(|t| t.0)) };
    let count = |col: &str| -> Result<u32> { narrow(row.try_get::<i64, _>(col)?) };
    Ok(Invitation {
        id: row.try_get::<Id<_>, _>("id")?.0,
        survey_id: row.try_get::<Id<_>, _>("survey_id")?.0,
        customer_external_id: row.try_get("external_id")?,
        email: row.try_get("email")?,
        token: row.try_get("token")?,
        status: status(row.try_get("status")?)?,
        context: row.try_get::<Option<Json<_>>, _>("context")?.map(|j| j.0),
        max_reminders: count("max_reminders")?,
        reminder_days: count("reminder_days")?,
        reminders: count("reminders")?,
        next_reminder_at: when("next_reminder_at")?,
        error: row.try_get("error")?,
        response_id: row.try_get::<Option<String>, _>("response_id")?.as_deref().map(uuid).transpose()?,
        created_at: row.try_get::<Ts, _>("created_at")?.0,
        sent_at: when("sent_at")?,
        opened_at: when("opened_at")?,
        answered_at: when("answered_at")?,
    })
}

pub(super) fn normal(email: &str) -> String {
    email.trim().to_lowercase()
}

#[async_trait]
impl InvitationStore for Backend {
    async fn create_invitations(
        &self,
        survey_id: SurveyId,
        batch: &[NewInvitation],
        contacted_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<Vec<InviteOutcome>> {
        let mut tx = self.write.begin().await?;
        let (now_s, cutoff) = (Ts(now), Ts(contacted_before));
        let emails: Vec<String> = batch.iter().map(|i| normal(&i.email)).collect();
        let mut out = vec![InviteOutcome::RecentlyContacted; batch.len()];
        // A statement per step for a chunk of addresses, not per address.
        for (c, chunk) in emails.chunks(300).enumerate() {
            let base = c * 300;
            let mut qb = QueryBuilder::<Db>::new("SELECT email FROM unsubscribes WHERE email IN (");
            let mut sep = qb.separated(", ");
            for e in chunk {
                sep.push_bind(e.clone());
            }
            qb.push(")");
            let unsubscribed: HashSet<String> = qb
                .build()
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get("email"))
                .collect::<std::result::Result<_, _>>()?;
            // Each address once per statement (a repeat in the batch counts as just contacted).
            let mut seen = HashSet::new();
            let mut ask: Vec<(usize, &String)> = Vec::new();
            for (i, e) in chunk.iter().enumerate() {
                if unsubscribed.contains(e) {
                    out[base + i] = InviteOutcome::Unsubscribed;
                } else if seen.insert(e.as_str()) {
                    ask.push((base + i, e));
                }
            }
            if ask.is_empty() {
                continue;
            }
            // Claim the contacts: insert, or move the date only where the last one is old
            // enough; the rows written are the addresses claimed.
            let mut qb = QueryBuilder::<Db>::new("INSERT INTO contact_log (email, last_contact_at) ");
            qb.push_values(&ask, |mut b, (_, e)| {
                b.push_bind((*e).clone()).push_bind(now_s);
            });
            qb.push(
                " ON CONFLICT (email) DO UPDATE SET last_contact_at = excluded.last_contact_at
                  WHERE contact_log.last_contact_at < ",
            )
            .push_bind(cutoff)
            .push(" RETURNING email");
            let claimed: HashSet<String> = qb
                .build()
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.try_get("email"))
                .collect::<std::result::Result<_, _>>()?;
            let new: Vec<usize> = ask.iter().filter(|(_, e)| claimed.contains(*e)).map(|(i, _)| *i).collect();
            if new.is_empty() {
                continue;
            }
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO invitations (id, survey_id, customer_id, email, token, status, context, max_reminders, reminder_days, created_at) ",
            );
            qb.push_values(&new, |mut b, i| {
                let inv = &batch[*i];
                b.push_bind(Id(inv.id))
                    .push_bind(Id(survey_id))
                    .push_bind(inv.customer_id.map(Id))
                    .push_bind(emails[*i].clone())
                    .push_bind(inv.token.clone())
                    .push_bind("queued")
                    .push_bind(inv.context.as_ref().map(Json))
                    .push_bind(i64::from(inv.max_reminders))
                    .push_bind(i64::from(inv.reminder_days))
                    .push_bind(now_s);
            });
            qb.build().execute(&mut *tx).await.map_err(|e| crate::unique(e, "invitation"))?;
            for i in new {
                out[i] = InviteOutcome::Queued;
            }
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn queued_invitations(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<Invitation>> {
        let stale = Ts(now - time::Duration::minutes(15));
        let rows = sqlx::query(super::qs(format!(
            "{SELECT} WHERE i.status = 'queued' OR (i.status = 'sending' AND i.sent_at < $1) ORDER BY i.created_at, i.id LIMIT $2"
        )))
        .bind(stale)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode).collect()
    }

    async fn claim_delivery(
        &self,
        id: cxloop_core::ids::InvitationId,
        reminder_due: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> Result<bool> {
        let done = match reminder_due {
            None => {
                let stale = Ts(now - time::Duration::minutes(15));
                sqlx::query(
                    "UPDATE invitations SET status = 'sending', sent_at = $1
                     WHERE id = $2 AND (status = 'queued' OR (status = 'sending' AND sent_at < $3))",
                )
                .bind(Ts(now))
                .bind(Id(id))
                .bind(stale)
                .execute(&self.write)
                .await?
            }
            Some(due) => {
                sqlx::query(
                    "UPDATE invitations SET next_reminder_at = NULL
                     WHERE id = $1 AND next_reminder_at = $2 AND status IN ('sent', 'opened')",
                )
                .bind(Id(id))
                .bind(Ts(due))
                .execute(&self.write)
                .await?
            }
        };
        Ok(done.rows_affected() == 1)
    }

    async fn due_reminders(&self, now: OffsetDateTime, limit: u32) -> Result<Vec<Invitation>> {
        let rows = sqlx::query(super::qs(format!(
            "{SELECT} WHERE i.status IN ('sent', 'opened') AND i.next_reminder_at IS NOT NULL AND i.next_reminder_at <= $1
             AND i.reminders < i.max_reminders ORDER BY i.next_reminder_at LIMIT $2"
        )))
        .bind(Ts(now))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode).collect()
    }

    async fn mark_invitation_sent(
        &self,
        id: cxloop_core::ids::InvitationId,
        at: OffsetDateTime,
        reminders: u32,
        next_reminder_at: Option<OffsetDateTime>,
    ) -> Result<()> {
        // An invitation answered or unsubscribed meanwhile keeps its status.
        sqlx::query(
            "UPDATE invitations SET status = CASE WHEN status IN ('queued', 'sending') THEN 'sent' ELSE status END,
             sent_at = CASE WHEN status IN ('queued', 'sending') THEN $1 ELSE sent_at END, reminders = $2,
             next_reminder_at = $3, error = NULL
             WHERE id = $4 AND status IN ('queued', 'sending', 'sent', 'opened')",
        )
        .bind(Ts(at))
        .bind(i64::from(reminders))
        .bind(next_reminder_at.map(Ts))
        .bind(Id(id))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn mark_invitation_failed(
        &self,
        id: cxloop_core::ids::InvitationId,
        failure: DeliveryFailure,
        error: &str,
    ) -> Result<()> {
        let done = sqlx::query("UPDATE invitations SET status = $1, error = $2, next_reminder_at = NULL WHERE id = $3 AND status <> 'answered'")
        .bind(failure.status().as_str())
        .bind(error.chars().take(500).collect::<String>())
        .bind(Id(id))
        .execute(&self.write)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn invitation_by_token(&self, token: &str) -> Result<Invitation> {
        let row =
            sqlx::query(super::qs(format!("{SELECT} WHERE i.token = $1"))).bind(token).fetch_one(&self.read).await?;
        decode(&row)
    }

    async fn mark_invitation_opened(&self, id: cxloop_core::ids::InvitationId, at: OffsetDateTime) -> Result<()> {
        sqlx::query("UPDATE invitations SET status = 'opened', opened_at = $1 WHERE id = $2 AND status IN ('queued', 'sending', 'sent')")
        .bind(Ts(at))
        .bind(Id(id))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn claim_invitation_answer(&self, id: cxloop_core::ids::InvitationId, at: OffsetDateTime) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE invitations SET status = 'answered', answered_at = $1, next_reminder_at = NULL,
             opened_at = COALESCE(opened_at, $2) WHERE id = $3 AND status <> 'answered'",
        )
        .bind(Ts(at))
        .bind(Ts(at))
        .bind(Id(id))
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_invitation_answer(&self, id: cxloop_core::ids::InvitationId) -> Result<()> {
        sqlx::query("UPDATE invitations SET status = 'opened', answered_at = NULL WHERE id = $1 AND status = 'answered' AND response_id IS NULL")
        .bind(Id(id))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn mark_invitation_answered(
        &self,
        id: cxloop_core::ids::InvitationId,
        response_id: cxloop_core::ids::ResponseId,
        at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE invitations SET status = 'answered', answered_at = $1, response_id = $2, next_reminder_at = NULL,
             opened_at = COALESCE(opened_at, $3) WHERE id = $4",
        )
        .bind(Ts(at))
        .bind(Id(response_id))
        .bind(Ts(at))
        .bind(Id(id))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn invitations(&self, survey_id: SurveyId, limit: u32) -> Result<Vec<Invitation>> {
        let rows = sqlx::query(super::qs(format!(
            "{SELECT} WHERE i.survey_id = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT $2"
        )))
        .bind(Id(survey_id))
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode).collect()
    }

    async fn invitation_counts(&self, survey_id: SurveyId) -> Result<Vec<(InvitationStatus, u64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT status, COUNT(*) FROM invitations WHERE survey_id = $1 GROUP BY status ORDER BY status",
        )
        .bind(Id(survey_id))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(|(s, n)| Ok((status(&s)?, count(n)?))).collect()
    }
}
