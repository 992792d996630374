//! The audit log.

use crate::Result;
use async_trait::async_trait;

/// The audit log: who did what to which subject, newest first.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn audit(&self, actor: &str, action: &str, subject: &str, detail: &serde_json::Value) -> Result<()>;
    /// The audit log, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<serde_json::Value>>;
}
