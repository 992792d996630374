//! Addresses that must not be mailed: unsubscribes and bounces.

use crate::Result;
use async_trait::async_trait;
/// Unsubscribes and reported bounces: who must not be mailed again.
#[async_trait]
pub trait SuppressionStore: Send + Sync {
    /// Records an unsubscribe and stops every unanswered invitation to the address.
    async fn unsubscribe(&self, email: &str, via: &str, at: time::OffsetDateTime) -> Result<()>;
    async fn is_unsubscribed(&self, email: &str) -> Result<bool>;
    /// A bounce reported later by the mail provider: the address's sent or
    /// opened, unanswered invitations become `bounced`. Returns how many.
    async fn report_bounce(&self, email: &str, reason: &str) -> Result<u64>;
}
