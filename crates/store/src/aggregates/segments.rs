//! Saved segments.

use crate::Result;
use async_trait::async_trait;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// Saved segments: a name, an expression and a description. Membership is the server's `kernel::segments`.
#[async_trait]
pub trait SegmentStore: Send + Sync {
    /// Fails with `Conflict { what: "name" }` when the name is taken.
    async fn create_segment(&self, name: &str, expression: &str, description: Option<&str>) -> Result<Segment>;
    async fn update_segment(
        &self,
        id: Uuid,
        name: &str,
        expression: &str,
        description: Option<&str>,
    ) -> Result<Segment>;
    async fn delete_segment(&self, id: Uuid) -> Result<()>;
    async fn segment(&self, id: Uuid) -> Result<Segment>;
    async fn segments(&self) -> Result<Vec<Segment>>;
}

#[derive(Debug, Clone, Serialize)]
pub struct Segment {
    pub id: Uuid,
    pub name: String,
    pub expression: String,
    pub description: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}
