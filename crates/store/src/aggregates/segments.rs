//! Saved segments.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::{CustomerId, SegmentId};
use serde::Serialize;
use std::collections::HashMap;
use time::OffsetDateTime;

/// Saved segments: a name, an expression and a description, and their members,
/// kept current by [`SegmentStore::refresh_members`] (the server's segment
/// sweeper) and read exactly: customers whose facts changed since the last
/// refresh are evaluated at read time. Expressions are checked against the
/// attributes by the server's `kernel::segments`.
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
    /// One step of membership upkeep: evaluates up to `limit` customers whose
    /// facts changed, or, when none did, the next `limit` customers of a
    /// segment whose members are being built (new or edited). Returns how
    /// many customers it evaluated: 0 when there is nothing to do.
    async fn refresh_members(&self, limit: u32) -> Result<u64>;
    /// A saved segment's members, exact; `None` while its members are being
    /// built or more than [`PENDING_LIMIT`] customers wait for evaluation
    /// (the caller then evaluates the expression itself).
    async fn segment_members(&self, id: SegmentId) -> Result<Option<Vec<CustomerId>>>;
    /// How many members each saved segment has, for those whose members are
    /// built (exact, as `segment_members`); empty when too many customers wait.
    async fn segment_sizes(&self) -> Result<HashMap<SegmentId, u64>>;
    /// Per day and score, how many of a saved segment's members' responses
    /// gave one question of a survey that score over `range`, from its rollup
    /// (exact, as `segment_members`); `None` as there.
    async fn segment_day_counts(
        &self,
        id: SegmentId,
        survey_id: cxloop_core::ids::SurveyId,
        question_key: &str,
        range: cxloop_core::period::DateRange,
    ) -> Result<Option<Vec<cxloop_core::metrics::DayCount>>>;
    /// Per theme, how many of a saved segment's members' responses mention it
    /// under a taxonomy version (what `theme_counts_of` answers for the
    /// members), from its rollup: exact, as `segment_members`; `None` as there.
    /// Themes nobody mentions are left out; sorted by theme key.
    async fn segment_theme_counts(&self, id: SegmentId, version: u32) -> Result<Option<Vec<(String, u64)>>>;
}

/// Customers waiting for membership upkeep beyond which reads of members give
/// up (`None`) rather than evaluate them all at read time (after a bulk import).
pub const PENDING_LIMIT: u64 = 20_000;

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
