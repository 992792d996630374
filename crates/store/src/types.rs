//! Records passed to and from the storage traits.

use cxloop_core::answer::Answers;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

/// A survey in a listing, with its response count.
#[derive(Debug, Clone, Serialize)]
pub struct SurveySummary {
    pub survey: cxloop_core::Survey,
    pub responses: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_response_at: Option<OffsetDateTime>,
}

/// Who answered, as the caller knows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerRef {
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// Attributes to set (merged over existing ones).
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub id: Uuid,
    pub external_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub attributes: serde_json::Map<String, serde_json::Value>,
}

/// A validated response ready to store.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub id: Uuid,
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

#[derive(Debug, Clone, Serialize)]
pub struct StoredResponse {
    pub id: Uuid,
    pub survey_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_external_id: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub touchpoint: Option<String>,
    pub answers: Answers,
    #[serde(skip_serializing_if = "Option::is_none")]
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
    pub survey_id: Uuid,
    pub window: TimeWindow,
    /// Continue after this `(submitted_at, id)`, in the chosen order.
    pub after: Option<(OffsetDateTime, Uuid)>,
    pub newest_first: bool,
    pub limit: u32,
}

/// A free-text answer with the headline score of its response.
#[derive(Debug, Clone, Serialize)]
pub struct Comment {
    pub response_id: Uuid,
    pub survey_id: Uuid,
    pub survey_title: String,
    pub question_key: String,
    pub body: String,
    pub score: Option<i32>,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
}

pub use cxloop_core::access::{Permissions, Role};

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// False once an admin has deactivated the account: it can neither log
    /// in nor use its tokens, and its sessions are gone.
    pub active: bool,
}

/// One change to a staff account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChange {
    Role(Role),
    Active(bool),
}

/// An API token as listed (never its secret, which is shown once).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_email: String,
    pub name: String,
    #[serde(serialize_with = "scopes_text")]
    pub scopes: Permissions,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn scopes_text<S: serde::Serializer>(p: &Permissions, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(p.iter().map(|p| p.scope()))
}

#[derive(Debug, Clone)]
pub struct UserWithPassword {
    pub user: User,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id_hash: String,
    pub user_id: Uuid,
    pub csrf: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub csrf: String,
    pub expires_at: OffsetDateTime,
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: OffsetDateTime,
    pub max_attempts: u32,
}

/// A claimed job.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Including this one.
    pub attempts: u32,
    pub max_attempts: u32,
}

/// A job's state, for inspection.
#[derive(Debug, Clone, Serialize)]
pub struct JobRecord {
    pub id: Uuid,
    pub kind: String,
    /// `queued`, `done` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The worker holding (or that last held) the lease.
    pub locked_by: Option<String>,
    pub finished_by: Option<String>,
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
    pub response_id: Uuid,
    pub question_key: String,
    pub survey_id: Uuid,
    pub submitted_at: OffsetDateTime,
    pub body: String,
}

/// What text analytics found in one free-text answer.
#[derive(Debug, Clone)]
pub struct TextAnalysis {
    pub response_id: Uuid,
    pub question_key: String,
    pub survey_id: Uuid,
    pub submitted_at: OffsetDateTime,
    pub language: String,
    pub label: String,
    pub sentiment: f64,
    pub reasons: serde_json::Value,
    /// Theme keys under the taxonomy version being saved with it.
    pub themes: Vec<String>,
}

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
    pub response_id: Uuid,
    pub question_key: String,
    pub customer_id: Option<Uuid>,
    /// The response's headline score.
    pub score: Option<i32>,
    pub submitted_at: OffsetDateTime,
    pub sentiment: f64,
}

/// A comment that mentions a theme, with its sentiment and score.
#[derive(Debug, Clone, Serialize)]
pub struct ThemeExample {
    pub response_id: Uuid,
    pub body: String,
    pub sentiment: f64,
    pub score: Option<i32>,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
}

/// Filters of the comment explorer; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct CommentFilter {
    pub survey_id: Option<Uuid>,
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
#[derive(Debug, Clone, Serialize)]
pub struct AnalysedComment {
    pub response_id: Uuid,
    pub question_key: String,
    pub survey_id: Uuid,
    pub survey_title: String,
    /// Where it came from: `link`, `email`, `widget`, an import's source …
    pub channel: String,
    pub body: String,
    pub score: Option<i32>,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    pub label: Option<String>,
    pub sentiment: Option<f64>,
    pub language: Option<String>,
    pub reasons: serde_json::Value,
    pub themes: Vec<String>,
}

/// A customer with the facts segments can filter on.
#[derive(Debug, Clone, Serialize)]
pub struct CustomerFacts {
    #[serde(flatten)]
    pub customer: Customer,
    /// The latest lifecycle event's kind.
    pub stage: Option<String>,
    pub responses: u64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_response_at: Option<OffsetDateTime>,
    pub last_nps: Option<i32>,
    pub last_csat: Option<i32>,
    pub last_ces: Option<i32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerEvent {
    pub id: Uuid,
    pub kind: String,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    pub note: Option<String>,
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

/// A persona: who the organisation designs for.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Persona {
    #[serde(default)]
    pub id: Uuid,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// One goal per line.
    #[serde(default)]
    pub goals: String,
    /// One pain point per line.
    #[serde(default)]
    pub pain_points: String,
    /// Shown as the persona's picture when there is no uploaded one.
    #[serde(default)]
    pub initials: String,
    #[serde(default)]
    pub segment_id: Option<Uuid>,
    /// An uploaded picture exists (served at `/personas/{id}/picture`).
    #[serde(default, skip_deserializing)]
    pub has_picture: bool,
}

/// One invitation to ask for (the caller makes the id and the token).
#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub id: Uuid,
    pub token: String,
    pub email: String,
    pub customer_id: Option<Uuid>,
    /// Carried onto the response (a helpdesk ticket and agent, say).
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
    pub max_reminders: u32,
    pub reminder_days: u32,
}

/// What became of an invitation that was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InviteOutcome {
    Queued,
    /// The address asked not to be surveyed.
    Unsubscribed,
    /// The address was asked something within the contact-frequency window.
    RecentlyContacted,
}

/// An invitation and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct Invitation {
    pub id: Uuid,
    pub survey_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_external_id: Option<String>,
    pub email: String,
    #[serde(skip)]
    pub token: String,
    /// queued, sent, opened, answered, bounced, failed or unsubscribed.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<serde_json::Map<String, serde_json::Value>>,
    pub max_reminders: u32,
    pub reminder_days: u32,
    pub reminders: u32,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub next_reminder_at: Option<OffsetDateTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_id: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<OffsetDateTime>,
}

/// An inbound webhook: its secret signs each request; `events` maps an
/// event name (e.g. `ticket.solved`) to the survey to send.
#[derive(Debug, Clone, Serialize)]
pub struct Hook {
    pub id: Uuid,
    pub name: String,
    #[serde(skip)]
    pub secret: String,
    pub events: std::collections::BTreeMap<String, Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A survey's website widget settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Widget {
    pub survey_id: Uuid,
    /// Origins allowed to show it, like `https://app.example.com`.
    pub origins: Vec<String>,
    /// One visitor is asked at most once in this many days.
    pub every_days: u32,
}
