//! Inbound webhooks and website widgets.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::HookId;
use cxloop_core::ids::SurveyId;
use serde::Serialize;
use time::OffsetDateTime;

/// Inbound webhooks and website widgets: how outside systems reach a survey.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    async fn create_hook(&self, hook: &Hook) -> Result<()>;
    async fn hooks(&self) -> Result<Vec<Hook>>;
    async fn hook(&self, id: HookId) -> Result<Hook>;
    async fn delete_hook(&self, id: HookId) -> Result<()>;
    /// Records an event id once; false when it was handled before.
    async fn record_hook_event(&self, hook_id: HookId, event_id: &str, outcome: &str) -> Result<bool>;
    /// Forgets an event whose handling failed, so that its redelivery is handled.
    async fn forget_hook_event(&self, hook_id: HookId, event_id: &str) -> Result<()>;
    async fn put_widget(&self, w: &Widget) -> Result<()>;
    async fn widget(&self, survey_id: SurveyId) -> Result<Widget>;
}

/// An inbound webhook: its secret signs each request; `events` maps an
/// event name (e.g. `ticket.solved`) to the survey to send.
#[derive(Debug, Clone, Serialize)]
pub struct Hook {
    pub id: HookId,
    pub name: String,
    #[serde(skip)]
    pub secret: String,
    pub events: std::collections::BTreeMap<String, cxloop_core::ids::SurveyId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A survey's website widget settings.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Widget {
    pub survey_id: SurveyId,
    /// Origins allowed to show it, like `https://app.example.com`.
    pub origins: Vec<String>,
    /// One visitor is asked at most once in this many days.
    pub every_days: u32,
}
