//! Text analytics: taxonomy versions and per-text analyses.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::ResponseId;
use cxloop_core::ids::SurveyId;
use serde::Serialize;
use time::OffsetDateTime;

/// Text analytics: taxonomy versions and, per free-text answer, its
/// sentiment and themes under a version (the reports over them are
/// [`crate::ThemeReportStore`]).
#[async_trait]
pub trait TextStore: Send + Sync {
    async fn current_taxonomy(&self) -> Result<Option<TaxonomyVersion>>;
    async fn taxonomy(&self, version: u32) -> Result<TaxonomyVersion>;
    /// Stores `taxonomy` as version 1 if there is no version yet; returns the current one.
    async fn init_taxonomy(&self, taxonomy: &serde_json::Value) -> Result<TaxonomyVersion>;
    /// Stores `taxonomy` as the next version.
    async fn save_taxonomy(
        &self,
        taxonomy: &serde_json::Value,
        note: Option<&str>,
        by: Option<&str>,
    ) -> Result<TaxonomyVersion>;
    /// Free-text answers without an analysis yet, oldest first.
    async fn unanalysed_texts(&self, limit: u32) -> Result<Vec<TextRow>>;
    /// Free-text answers in `(response_id, question_key)` order after a cursor.
    async fn texts_after(&self, after: Option<(ResponseId, String)>, limit: u32) -> Result<Vec<TextRow>>;
    /// Saves analyses and their themes under `version`; a text analysed
    /// twice (by two processes) keeps the first result.
    async fn save_analyses(&self, version: u32, rows: &[TextAnalysis]) -> Result<()>;
    /// Writes the themes of texts under `version` (re-tagging). A version's
    /// tags of a text are fixed by its rules, so writing them twice is a no-op.
    async fn save_themes(&self, version: u32, rows: &[(TextRow, Vec<String>)]) -> Result<()>;
    /// The bodies of the given free-text answers, as `(response_id, question_key, body)`.
    async fn text_bodies(&self, ids: &[(ResponseId, String)]) -> Result<Vec<(ResponseId, String, String)>>;
    /// (free-text answers, analysed ones).
    async fn analysis_progress(&self) -> Result<(u64, u64)>;
    /// All taxonomy versions, newest first (without their themes).
    async fn taxonomy_versions(&self) -> Result<Vec<TaxonomyVersion>>;
}

/// One saved version of the theme taxonomy (the taxonomy itself as JSON).
#[derive(Debug, Clone, Serialize)]
pub struct TaxonomyVersion {
    pub version: u32,
    pub taxonomy: serde_json::Value,
    pub note: Option<String>,
    pub created_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A free-text answer to analyse.
#[derive(Debug, Clone)]
pub struct TextRow {
    pub response_id: ResponseId,
    pub question_key: String,
    pub survey_id: SurveyId,
    pub submitted_at: OffsetDateTime,
    pub body: String,
}

/// What text analytics found in one free-text answer.
#[derive(Debug, Clone)]
pub struct TextAnalysis {
    pub response_id: ResponseId,
    pub question_key: String,
    pub survey_id: SurveyId,
    pub submitted_at: OffsetDateTime,
    pub language: String,
    pub label: String,
    pub sentiment: f64,
    pub reasons: serde_json::Value,
    /// Theme keys under the taxonomy version being saved with it.
    pub themes: Vec<String>,
}
