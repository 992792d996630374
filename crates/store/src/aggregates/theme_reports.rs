//! The aggregates behind wows & woes and the comment explorer.

use crate::Result;
use crate::{TextRow, TimeWindow};
use async_trait::async_trait;
use cxloop_core::ids::ResponseId;
use cxloop_core::ids::SurveyId;
use serde::Serialize;
use time::OffsetDateTime;

/// Per theme: how many responses mention it, and their average sentiment.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeVolume {
    pub theme: String,
    pub mentions: u64,
    pub avg_sentiment: f64,
}

/// One tagged free-text answer: the raw rows a segment-cut wows & woes
/// report aggregates after keeping only the segment's customers.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeMention {
    pub theme: String,
    pub response_id: ResponseId,
    pub question_key: String,
    pub customer_id: Option<cxloop_core::ids::CustomerId>,
    /// The response's headline score.
    pub score: Option<i32>,
    pub submitted_at: OffsetDateTime,
    pub sentiment: f64,
}

/// A comment that mentions a theme, with its sentiment and score.
#[derive(Debug, Clone, Serialize)]
pub struct ThemeExample {
    pub response_id: ResponseId,
    pub body: String,
    pub sentiment: f64,
    pub score: Option<i32>,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
}

/// Filters of the comment explorer; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct CommentFilter {
    pub survey_id: Option<SurveyId>,
    pub window: TimeWindow,
    /// A theme key under `version`.
    pub theme: Option<String>,
    pub version: u32,
    /// `positive`, `neutral`, `negative` or `not_analysed`.
    pub label: Option<String>,
    pub min_score: Option<i32>,
    pub max_score: Option<i32>,
    /// Case-insensitive text search.
    pub contains: Option<String>,
    /// Only this channel (`email`, `widget`, an import's source …).
    pub channel: Option<String>,
    pub limit: u32,
}

/// A comment with its sentiment, reasons and themes.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnalysedComment {
    pub response_id: ResponseId,
    pub question_key: String,
    pub survey_id: SurveyId,
    pub survey_title: String,
    /// Where it came from: `link`, `email`, `widget`, an import's source …
    pub channel: String,
    pub body: String,
    pub score: Option<i32>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub submitted_at: OffsetDateTime,
    pub label: Option<String>,
    pub sentiment: Option<f64>,
    pub language: Option<String>,
    /// What moved the sentiment score: the words and rules that fired,
    /// each with its kind and weight.
    /// Null while the comment waits for its analysis.
    #[schema(value_type = Option<Vec<Object>>)]
    pub reasons: serde_json::Value,
    pub themes: Vec<String>,
}

/// The reads behind wows & woes and the comment explorer. Each takes the
/// taxonomy version it reports under, so a report says which one it used.
#[async_trait]
pub trait ThemeReportStore: Send + Sync {
    /// For each theme and headline score: responses that mention the theme.
    async fn theme_score_counts(
        &self,
        version: u32,
        survey_id: SurveyId,
        window: &TimeWindow,
    ) -> Result<Vec<(String, Option<i32>, u64)>>;
    /// Headline score counts of all responses (the baseline for impact).
    async fn headline_counts(&self, survey_id: SurveyId, window: &TimeWindow) -> Result<Vec<(Option<i32>, u64)>>;
    async fn theme_volumes(&self, version: u32, survey_id: SurveyId, window: &TimeWindow) -> Result<Vec<ThemeVolume>>;
    /// Mentions per theme per UTC day (`YYYY-MM-DD`).
    async fn theme_days(
        &self,
        version: u32,
        survey_id: SurveyId,
        window: &TimeWindow,
    ) -> Result<Vec<(String, String, u64)>>;
    async fn theme_examples(
        &self,
        version: u32,
        survey_id: SurveyId,
        window: &TimeWindow,
        theme: &str,
        most_negative: bool,
        limit: u32,
    ) -> Result<Vec<ThemeExample>>;
    /// Every tagged, analysed text of a survey in the window, one row per
    /// (theme, text): what a report cut by a segment filters and counts.
    async fn theme_mentions(&self, version: u32, survey_id: SurveyId, window: &TimeWindow)
    -> Result<Vec<ThemeMention>>;
    /// Headline score counts per customer (`None`: anonymous responses).
    async fn headline_counts_by_customer(
        &self,
        survey_id: SurveyId,
        window: &TimeWindow,
    ) -> Result<Vec<(Option<cxloop_core::ids::CustomerId>, Option<i32>, u64)>>;
    /// Headline score counts per channel (`link`, `email`, `widget`, an import's source …).
    async fn headline_counts_by_channel(
        &self,
        survey_id: SurveyId,
        window: &TimeWindow,
    ) -> Result<Vec<(String, Option<i32>, u64)>>;
    /// Analysed English comments in the window that no theme of `version`
    /// covers, newest first (the raw material of emerging themes).
    async fn uncovered_texts(
        &self,
        version: u32,
        survey_id: Option<SurveyId>,
        window: &TimeWindow,
        limit: u32,
    ) -> Result<Vec<TextRow>>;
    /// Comments with their analysis, newest first, filtered.
    async fn search_comments(&self, f: &CommentFilter) -> Result<Vec<AnalysedComment>>;
}
