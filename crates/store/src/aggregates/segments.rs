//! Saved segments.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::SegmentId;
use serde::Serialize;
use time::OffsetDateTime;

/// Saved segments: a name, an expression and a description. Membership is the server's `kernel::segments`.
#[async_trait]
pub trait SegmentStore: Send + Sync {
    /// Fails with `Conflict { what: "name" }` when the name is taken.
    async fn create_segment(&self, name: &str, expression: &str, description: Option<&str>) -> Result<Segment>;
    async fn update_segment(
        &self,
        id: SegmentId,
        name: &str,
        expression: &str,
        description: Option<&str>,
    ) -> Result<Segment>;
    async fn delete_segment(&self, id: SegmentId) -> Result<()>;
    async fn segment(&self, id: SegmentId) -> Result<Segment>;
    async fn segments(&self) -> Result<Vec<Segment>>;
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Segment {
    pub id: SegmentId,
    pub name: String,
    pub expression: String,
    pub description: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}
