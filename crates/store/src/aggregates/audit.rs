//! The audit log.

use crate::Result;
use async_trait::async_trait;

/// The audit log: who did what to which subject, newest first.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn audit(&self, actor: &str, action: &str, subject: &str, detail: &serde_json::Value) -> Result<()>;
    /// The audit log, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>>;
}

/// One line of the audit log.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// When, in UTC, as stored.
    pub at: String,
    /// The staff account's email (or `cli`).
    pub actor: String,
    /// What was done, like `customer.erase` or `token.revoke`.
    pub action: String,
    /// Whom or what it was done to (an id).
    pub subject: String,
    /// What the action recorded about itself.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}
