// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// The audit log, on either backend.

use super::Backend;
use crate::codec::Json;
use crate::{AuditEntry, AuditStore, Result};
use async_trait::async_trait;

#[async_trait]
impl AuditStore for Backend {
    async fn audit(&self, actor: &str, action: &str, subject: &str, detail: &serde_json::Value) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        super::accounts::audit_in(&mut conn, actor, action, subject, detail).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows: Vec<(String, String, String, String, Json<serde_json::Value>)> =
            sqlx::query_as("SELECT at, actor, action, subject, detail FROM audit_log ORDER BY at DESC LIMIT $1")
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(at, actor, action, subject, Json(detail))| AuditEntry { at, actor, action, subject, detail })
            .collect())
    }
}
