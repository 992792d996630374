//! Surveys: definitions and lifecycle.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::Survey;
use cxloop_core::ids::SurveyId;
use serde::Serialize;
use time::OffsetDateTime;

/// Surveys: definitions and lifecycle.
#[async_trait]
pub trait SurveyStore: Send + Sync {
    /// Fails with `Conflict { what: "slug" }` when the slug is taken.
    async fn create_survey(&self, survey: &Survey) -> Result<()>;
    async fn update_survey(&self, survey: &Survey) -> Result<()>;
    async fn get_survey(&self, id: SurveyId) -> Result<Survey>;
    async fn get_survey_by_slug(&self, slug: &str) -> Result<Survey>;
    /// All surveys, newest first, with their response counts.
    async fn list_surveys(&self) -> Result<Vec<SurveySummary>>;
    /// How many responses a survey has (a counter kept on ingest).
    async fn response_count(&self, id: SurveyId) -> Result<u64>;
}

/// A survey in a listing, with its response count.
#[derive(Debug, Clone, Serialize)]
pub struct SurveySummary {
    pub survey: cxloop_core::Survey,
    pub responses: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_response_at: Option<OffsetDateTime>,
}
