//! Responses: durable ingest and the aggregate reads the KPIs need.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::ResponseId;
use cxloop_core::ids::SurveyId;
use serde::Serialize;
use time::OffsetDateTime;

use crate::CustomerRef;
use cxloop_core::answer::Answers;
use cxloop_core::metrics::DayCount;
use cxloop_core::period::DateRange;
use cxloop_core::stats::Histogram;

/// Responses: durable ingest and the aggregate reads the KPIs need.
#[async_trait]
pub trait ResponseStore: Send + Sync {
    /// Stores one response and its rollups in one transaction. With an
    /// idempotency key already used for the same request, returns the first
    /// response as `Replayed`; for a different request, `Conflict`.
    async fn insert_response(&self, r: &NewResponse, idem: Option<&Idempotency>) -> Result<Inserted>;
    /// Stores many responses in one transaction (demo, imports): all or none.
    async fn insert_responses(&self, rs: &[NewResponse]) -> Result<u64>;
    /// Which of these imported-item ids (`context.source_id`) a survey
    /// already holds for a source (its channel).
    async fn existing_source_refs(
        &self,
        survey_id: SurveyId,
        channel: &str,
        refs: &[String],
    ) -> Result<std::collections::HashSet<String>>;
    async fn get_response(&self, id: ResponseId) -> Result<StoredResponse>;
    /// A page of responses in `submitted_at` order, after an optional cursor.
    async fn list_responses(&self, q: &ResponseQuery) -> Result<Vec<StoredResponse>>;
    /// Per-day score counts of one question inside `range` (from the rollup).
    async fn daily_scores(&self, survey_id: SurveyId, key: &str, range: DateRange) -> Result<Vec<DayCount>>;
    /// The score histogram of one question over `range`.
    async fn score_histogram(&self, survey_id: SurveyId, key: &str, range: DateRange) -> Result<Histogram> {
        let mut h = Histogram::new();
        for dc in self.daily_scores(survey_id, key, range).await? {
            h.add(dc.score, dc.count);
        }
        Ok(h)
    }
    /// One customer's responses, newest first.
    async fn customer_responses(
        &self,
        customer_id: cxloop_core::ids::CustomerId,
        limit: u32,
    ) -> Result<Vec<StoredResponse>>;
    /// How many responses a customer has given.
    async fn customer_response_count(&self, customer_id: cxloop_core::ids::CustomerId) -> Result<u64>;
    /// Per-day score counts of one question inside `range`, split by
    /// customer (`None` for anonymous responses): the raw material of
    /// segment-filtered metrics.
    async fn daily_scores_by_customer(
        &self,
        survey_id: SurveyId,
        key: &str,
        range: DateRange,
    ) -> Result<Vec<(Option<cxloop_core::ids::CustomerId>, DayCount)>>;
    /// Newest free-text answers, optionally of one survey, inside `window`.
    async fn latest_comments(
        &self,
        survey_id: Option<SurveyId>,
        window: &TimeWindow,
        limit: u32,
    ) -> Result<Vec<Comment>>;
}

/// A validated response ready to store.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub id: ResponseId,
    pub survey: cxloop_core::Survey,
    pub customer: Option<CustomerRef>,
    pub submitted_at: OffsetDateTime,
    pub channel: String,
    pub answers: Answers,
    /// Overrides the survey's touchpoint (an imported review's, say).
    pub touchpoint: Option<String>,
    /// Where it came from beyond the channel: an import's source and author,
    /// a helpdesk ticket and agent.
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An idempotency key with a hash of the request it guards.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

#[derive(Debug, Clone)]
pub enum Inserted {
    Created(StoredResponse),
    Replayed(StoredResponse),
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Response)]
pub struct StoredResponse {
    pub id: ResponseId,
    pub survey_id: SurveyId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_external_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: OffsetDateTime,
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touchpoint: Option<String>,
    #[schema(value_type = Object)]
    pub answers: Answers,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A half-open time window `[from, to)`; either end may be open.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimeWindow {
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
}

/// A page request over one survey's responses.
#[derive(Debug, Clone)]
pub struct ResponseQuery {
    pub survey_id: SurveyId,
    pub window: TimeWindow,
    /// Continue after this `(submitted_at, id)`, in the chosen order.
    pub after: Option<(OffsetDateTime, ResponseId)>,
    pub newest_first: bool,
    pub limit: u32,
}

/// A free-text answer with the headline score of its response.
#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub response_id: ResponseId,
    pub survey_id: SurveyId,
    pub survey_title: String,
    pub question_key: String,
    pub body: String,
    pub score: Option<i32>,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
}
