// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Unsubscribes and reported bounces, on either backend.

use super::Backend;
use super::invitations::normal;
use crate::codec::Ts;
use crate::{Result, SuppressionStore};
use async_trait::async_trait;
use time::OffsetDateTime;

#[async_trait]
impl SuppressionStore for Backend {
    async fn unsubscribe(&self, email: &str, via: &str, at: OffsetDateTime) -> Result<()> {
        let email = normal(email);
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO unsubscribes (email, created_at, via) VALUES ($1, $2, $3) ON CONFLICT (email) DO NOTHING",
        )
        .bind(&email)
        .bind(Ts(at))
        .bind(via)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE invitations SET status = 'unsubscribed', next_reminder_at = NULL
             WHERE email = $1 AND status IN ('queued', 'sending', 'sent', 'opened')",
        )
        .bind(&email)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn is_unsubscribed(&self, email: &str) -> Result<bool> {
        let found: Option<String> = sqlx::query_scalar("SELECT email FROM unsubscribes WHERE email = $1")
            .bind(normal(email))
            .fetch_optional(&self.read)
            .await?;
        Ok(found.is_some())
    }

    async fn report_bounce(&self, email: &str, reason: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE invitations SET status = 'bounced', error = $1, next_reminder_at = NULL
             WHERE email = $2 AND status IN ('sending', 'sent', 'opened')",
        )
        .bind(reason.chars().take(500).collect::<String>())
        .bind(normal(email))
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected())
    }
}
