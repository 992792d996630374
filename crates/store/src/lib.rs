//! cxloop-store: persistence behind per-aggregate traits.
//!
//! The server and CLI see only the traits here ([`SurveyStore`],
//! [`ResponseStore`], [`AccountStore`], [`CustomerStore`]) through
//! [`Store`]; each backend (today [`sqlite`], PostgreSQL next) implements
//! them with its own SQL and migrations. [`open`] picks the backend from a
//! database URL.

pub mod health;
pub mod migrations;
pub mod postgres;
pub mod schema;
pub mod sqlite;
pub mod testing;
pub mod transfer;
pub mod ts;
mod types;

pub use types::*;

use async_trait::async_trait;
use cxloop_core::Survey;
use cxloop_core::metrics::DayCount;
use cxloop_core::period::DateRange;
use cxloop_core::stats::Histogram;
use std::sync::Arc;
use uuid::Uuid;

/// Storage failures, in the kinds callers act on.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; `what` names the field.
    #[error("{what} already exists")]
    Conflict { what: &'static str },
    /// The storage itself cannot serve now (disk full, I/O error, database
    /// unreachable): nothing was written, and the same request may succeed later.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    #[error("storage error: {0}")]
    Other(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(reason) = health::classify(&e) {
            return StoreError::Unavailable(reason);
        }
        match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            other => StoreError::Other(other.to_string()),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError::Other(format!("stored JSON is invalid: {e}"))
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Turns a unique-constraint violation into `Conflict { what }`.
pub(crate) fn unique(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict { what },
        _ => e.into(),
    }
}

/// Parses an id read back from the database.
pub(crate) fn uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s).map_err(|e| StoreError::Other(format!("bad stored id {s:?}: {e}")))
}

/// Surveys: definitions and lifecycle.
#[async_trait]
pub trait SurveyStore: Send + Sync {
    /// Fails with `Conflict { what: "slug" }` when the slug is taken.
    async fn create_survey(&self, survey: &Survey) -> Result<()>;
    async fn update_survey(&self, survey: &Survey) -> Result<()>;
    async fn get_survey(&self, id: Uuid) -> Result<Survey>;
    async fn get_survey_by_slug(&self, slug: &str) -> Result<Survey>;
    /// All surveys, newest first, with their response counts.
    async fn list_surveys(&self) -> Result<Vec<SurveySummary>>;
    /// How many responses a survey has (a counter kept on ingest).
    async fn response_count(&self, id: Uuid) -> Result<u64>;
}

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
        survey_id: Uuid,
        channel: &str,
        refs: &[String],
    ) -> Result<std::collections::HashSet<String>>;
    async fn get_response(&self, id: Uuid) -> Result<StoredResponse>;
    /// A page of responses in `submitted_at` order, after an optional cursor.
    async fn list_responses(&self, q: &ResponseQuery) -> Result<Vec<StoredResponse>>;
    /// Per-day score counts of one question inside `range` (from the rollup).
    async fn daily_scores(&self, survey_id: Uuid, key: &str, range: DateRange) -> Result<Vec<DayCount>>;
    /// The score histogram of one question over `range`.
    async fn score_histogram(&self, survey_id: Uuid, key: &str, range: DateRange) -> Result<Histogram> {
        let mut h = Histogram::new();
        for dc in self.daily_scores(survey_id, key, range).await? {
            h.add(dc.score, dc.count);
        }
        Ok(h)
    }
    /// One customer's responses, newest first.
    async fn customer_responses(&self, customer_id: Uuid, limit: u32) -> Result<Vec<StoredResponse>>;
    /// How many responses a customer has given.
    async fn customer_response_count(&self, customer_id: Uuid) -> Result<u64>;
    /// Per-day score counts of one question inside `range`, split by
    /// customer (`None` for anonymous responses): the raw material of
    /// segment-filtered metrics.
    async fn daily_scores_by_customer(
        &self,
        survey_id: Uuid,
        key: &str,
        range: DateRange,
    ) -> Result<Vec<(Option<Uuid>, DayCount)>>;
    /// Newest free-text answers, optionally of one survey, inside `window`.
    async fn latest_comments(&self, survey_id: Option<Uuid>, window: &TimeWindow, limit: u32) -> Result<Vec<Comment>>;
}

/// Staff accounts, login sessions, API tokens and instance settings.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Fails with `Conflict { what: "email" }` when the email is taken.
    async fn create_user(&self, user: &NewUser) -> Result<User>;
    async fn user_by_email(&self, email: &str) -> Result<UserWithPassword>;
    async fn user(&self, id: Uuid) -> Result<User>;
    async fn count_users(&self) -> Result<u64>;
    async fn list_users(&self) -> Result<Vec<User>>;
    async fn create_session(&self, s: &NewSession) -> Result<()>;
    /// The live (unexpired) session with this id hash, and its user.
    async fn session(&self, id_hash: &str, now: time::OffsetDateTime) -> Result<(User, SessionInfo)>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    async fn purge_sessions(&self, now: time::OffsetDateTime) -> Result<u64>;
    /// Changes an account's role or whether it is active, recording it in
    /// the audit log as done by `actor` in the same transaction.
    /// Deactivating ends its sessions. Fails with
    /// `Conflict { what: "last_admin" }` when the change would leave no
    /// active admin.
    async fn update_user(&self, id: Uuid, change: UserChange, actor: &str) -> Result<User>;
    /// Removes an account with its sessions and tokens, audited likewise;
    /// the same `last_admin` conflict as [`AccountStore::update_user`].
    async fn delete_user(&self, id: Uuid, actor: &str) -> Result<()>;
    async fn create_token(&self, user_id: Uuid, name: &str, token_hash: &str, scopes: Permissions) -> Result<Uuid>;
    /// The active account a token belongs to, and the token's scopes.
    async fn user_by_token(&self, token_hash: &str) -> Result<(User, Permissions)>;
    /// Tokens, newest first: one account's, or everyone's.
    async fn list_tokens(&self, user_id: Option<Uuid>) -> Result<Vec<TokenInfo>>;
    /// Revokes a token; with `owner`, only if it is that account's.
    async fn delete_token(&self, id: Uuid, owner: Option<Uuid>) -> Result<()>;
    /// Reads a setting, or stores `init` under `key` if there is none yet and
    /// returns it (first writer wins, so processes agree).
    async fn setting_or_init(&self, key: &str, init: &str) -> Result<String>;
    /// Commits a small write that needs fresh pages (a row of a few
    /// kilobytes, written and removed in one transaction), to learn whether
    /// the storage takes writes now. Updates [`Store::health`].
    async fn probe_write(&self) -> Result<()>;
}

/// The customer directory: customers, the attributes the organisation
/// defines, lifecycle events and saved segments.
#[async_trait]
pub trait CustomerStore: Send + Sync {
    async fn upsert_customer(&self, c: &CustomerRef) -> Result<Uuid>;
    /// Upserts many customers in one transaction: all of them or none.
    async fn upsert_customers(&self, cs: &[CustomerRef]) -> Result<u64>;
    async fn customer_by_external_id(&self, external_id: &str) -> Result<Customer>;
    async fn count_customers(&self) -> Result<u64>;
    /// Customers with their facts, by external id, after a cursor.
    async fn customer_facts(&self, after: Option<&str>, limit: u32) -> Result<Vec<CustomerFacts>>;
    /// One customer's facts.
    async fn customer_fact(&self, external_id: &str) -> Result<CustomerFacts>;
    async fn attribute_defs(&self) -> Result<Vec<cxloop_core::customer::AttributeDef>>;
    async fn put_attribute_def(&self, def: &cxloop_core::customer::AttributeDef) -> Result<()>;
    async fn add_customer_event(
        &self,
        customer_id: Uuid,
        kind: &str,
        at: time::OffsetDateTime,
        note: Option<&str>,
    ) -> Result<Uuid>;
    async fn customer_events(&self, customer_id: Uuid) -> Result<Vec<CustomerEvent>>;
    /// Removes a customer's identity and free text everywhere, keeping the
    /// scores (aggregates stay right), and records it in the audit log, in
    /// one transaction. Returns how many comments were erased.
    async fn erase_customer(&self, customer_id: Uuid, actor: &str) -> Result<u64>;
    /// Theme mentions per customer under a taxonomy version: (customer, theme, responses).
    async fn customer_theme_counts(&self, version: u32) -> Result<Vec<(Uuid, String, u64)>>;
}

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

/// Personas, each perhaps linked to a segment, with an optional picture.
#[async_trait]
pub trait PersonaStore: Send + Sync {
    /// Creates (id nil) or updates a persona; `Conflict { what: "name" }` on a taken name.
    async fn save_persona(&self, p: &Persona) -> Result<Persona>;
    async fn personas(&self) -> Result<Vec<Persona>>;
    async fn delete_persona(&self, id: Uuid) -> Result<()>;
    /// Sets (or with `None` removes) a persona's picture: its content type and base64 data.
    async fn set_persona_picture(&self, id: Uuid, picture: Option<(&str, &str)>) -> Result<()>;
    /// A persona's picture as (content type, base64 data), if it has one.
    async fn persona_picture(&self, id: Uuid) -> Result<Option<(String, String)>>;
}

/// The audit log: who did what to which subject, newest first.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn audit(&self, actor: &str, action: &str, subject: &str, detail: &serde_json::Value) -> Result<()>;
    /// The audit log, newest first.
    async fn audit_log(&self, limit: u32) -> Result<Vec<serde_json::Value>>;
}

/// The background job queue. A claim is a lease: a worker that dies lets it
/// expire and the job is claimed again; failures retry with backoff.
#[async_trait]
pub trait JobStore: Send + Sync {
    async fn enqueue(&self, job: &NewJob) -> Result<Uuid>;
    /// Claims the next due job for `worker` until `now + lease`; no two
    /// workers (in any process) ever hold the same job at once.
    async fn claim_job(&self, worker: &str, now: time::OffsetDateTime, lease: time::Duration) -> Result<Option<Job>>;
    /// Marks a job done, if `worker` still holds it.
    async fn complete_job(&self, id: Uuid, worker: &str, now: time::OffsetDateTime) -> Result<bool>;
    /// Records a failure: the job runs again at `retry_at`, or is marked
    /// failed when its attempts are used up.
    async fn fail_job(&self, id: Uuid, worker: &str, error: &str, retry_at: time::OffsetDateTime) -> Result<()>;
    async fn job(&self, id: Uuid) -> Result<JobRecord>;
}

/// Text analytics: taxonomy versions, per-text sentiment and themes, and
/// the aggregates behind wows & woes. Reads take the taxonomy version, so a
/// report always says which version it used.
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
    async fn texts_after(&self, after: Option<(Uuid, String)>, limit: u32) -> Result<Vec<TextRow>>;
    /// Saves analyses and their themes under `version`; a text analysed
    /// twice (by two processes) keeps the first result.
    async fn save_analyses(&self, version: u32, rows: &[TextAnalysis]) -> Result<()>;
    /// Writes the themes of texts under `version` (re-tagging). A version's
    /// tags of a text are fixed by its rules, so writing them twice is a no-op.
    async fn save_themes(&self, version: u32, rows: &[(TextRow, Vec<String>)]) -> Result<()>;
    /// For each theme and headline score: responses that mention the theme.
    async fn theme_score_counts(
        &self,
        version: u32,
        survey_id: Uuid,
        window: &TimeWindow,
    ) -> Result<Vec<(String, Option<i32>, u64)>>;
    /// Headline score counts of all responses (the baseline for impact).
    async fn headline_counts(&self, survey_id: Uuid, window: &TimeWindow) -> Result<Vec<(Option<i32>, u64)>>;
    async fn theme_volumes(&self, version: u32, survey_id: Uuid, window: &TimeWindow) -> Result<Vec<ThemeVolume>>;
    /// Mentions per theme per UTC day (`YYYY-MM-DD`).
    async fn theme_days(
        &self,
        version: u32,
        survey_id: Uuid,
        window: &TimeWindow,
    ) -> Result<Vec<(String, String, u64)>>;
    async fn theme_examples(
        &self,
        version: u32,
        survey_id: Uuid,
        window: &TimeWindow,
        theme: &str,
        most_negative: bool,
        limit: u32,
    ) -> Result<Vec<ThemeExample>>;
    /// Every tagged, analysed text of a survey in the window, one row per
    /// (theme, text): what a report cut by a segment filters and counts.
    async fn theme_mentions(&self, version: u32, survey_id: Uuid, window: &TimeWindow) -> Result<Vec<ThemeMention>>;
    /// Headline score counts per customer (`None`: anonymous responses).
    async fn headline_counts_by_customer(
        &self,
        survey_id: Uuid,
        window: &TimeWindow,
    ) -> Result<Vec<(Option<Uuid>, Option<i32>, u64)>>;
    /// Headline score counts per channel (`link`, `email`, `widget`, an import's source …).
    async fn headline_counts_by_channel(
        &self,
        survey_id: Uuid,
        window: &TimeWindow,
    ) -> Result<Vec<(String, Option<i32>, u64)>>;
    /// The bodies of the given free-text answers, as `(response_id, question_key, body)`.
    async fn text_bodies(&self, ids: &[(Uuid, String)]) -> Result<Vec<(Uuid, String, String)>>;
    /// (free-text answers, analysed ones).
    async fn analysis_progress(&self) -> Result<(u64, u64)>;
    /// All taxonomy versions, newest first (without their themes).
    async fn taxonomy_versions(&self) -> Result<Vec<TaxonomyVersion>>;
    /// Analysed English comments in the window that no theme of `version`
    /// covers, newest first (the raw material of emerging themes).
    async fn uncovered_texts(
        &self,
        version: u32,
        survey_id: Option<Uuid>,
        window: &TimeWindow,
        limit: u32,
    ) -> Result<Vec<TextRow>>;
    /// Comments with their analysis, newest first, filtered.
    async fn search_comments(&self, f: &CommentFilter) -> Result<Vec<AnalysedComment>>;
}

/// Email invitations, the contact-frequency rule and unsubscribes.
#[async_trait]
pub trait InvitationStore: Send + Sync {
    /// Queues invitations to a survey in one transaction. Each address is
    /// checked against the unsubscribes, then claims its contact (refused
    /// when it was last contacted after `contacted_before`), so two sends at
    /// once never reach one person twice.
    async fn create_invitations(
        &self,
        survey_id: Uuid,
        batch: &[NewInvitation],
        contacted_before: time::OffsetDateTime,
        now: time::OffsetDateTime,
    ) -> Result<Vec<InviteOutcome>>;
    /// Queued invitations, oldest first, and those left `sending` by a
    /// process that stopped more than 15 minutes before `now`.
    async fn queued_invitations(&self, now: time::OffsetDateTime, limit: u32) -> Result<Vec<Invitation>>;
    /// Takes one delivery for this process: the first send of a queued
    /// invitation (`reminder_due` = None, it becomes `sending`), or the
    /// reminder due at `reminder_due`. False when another process took it.
    async fn claim_delivery(
        &self,
        id: Uuid,
        reminder_due: Option<time::OffsetDateTime>,
        now: time::OffsetDateTime,
    ) -> Result<bool>;
    /// Sent or opened, unanswered invitations whose reminder is due.
    async fn due_reminders(&self, now: time::OffsetDateTime, limit: u32) -> Result<Vec<Invitation>>;
    /// Records a delivery (first send or reminder): `reminders` counts reminders sent.
    async fn mark_invitation_sent(
        &self,
        id: Uuid,
        at: time::OffsetDateTime,
        reminders: u32,
        next_reminder_at: Option<time::OffsetDateTime>,
    ) -> Result<()>;
    /// Records a permanent failure: `bounced` (the server refused the
    /// address) or `failed`, with the reason.
    async fn mark_invitation_failed(&self, id: Uuid, status: &str, error: &str) -> Result<()>;
    async fn invitation_by_token(&self, token: &str) -> Result<Invitation>;
    /// The recipient opened the survey page (only moves queued or sent).
    async fn mark_invitation_opened(&self, id: Uuid, at: time::OffsetDateTime) -> Result<()>;
    /// Takes the right to answer an invitation before the answer is stored:
    /// false when it was answered (or is being answered) already.
    async fn claim_invitation_answer(&self, id: Uuid, at: time::OffsetDateTime) -> Result<bool>;
    /// Gives the right back when storing the answer failed.
    async fn release_invitation_answer(&self, id: Uuid) -> Result<()>;
    /// The recipient answered; no reminders follow.
    async fn mark_invitation_answered(&self, id: Uuid, response_id: Uuid, at: time::OffsetDateTime) -> Result<()>;
    /// Records an unsubscribe and stops every unanswered invitation to the address.
    async fn unsubscribe(&self, email: &str, via: &str, at: time::OffsetDateTime) -> Result<()>;
    async fn is_unsubscribed(&self, email: &str) -> Result<bool>;
    /// A bounce reported later by the mail provider: the address's sent or
    /// opened, unanswered invitations become `bounced`. Returns how many.
    async fn report_bounce(&self, email: &str, reason: &str) -> Result<u64>;
    /// A survey's invitations, newest first.
    async fn invitations(&self, survey_id: Uuid, limit: u32) -> Result<Vec<Invitation>>;
    /// A survey's invitations counted by status.
    async fn invitation_counts(&self, survey_id: Uuid) -> Result<Vec<(String, u64)>>;
}

/// Inbound webhooks and website widgets: how outside systems reach a survey.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    async fn create_hook(&self, hook: &Hook) -> Result<()>;
    async fn hooks(&self) -> Result<Vec<Hook>>;
    async fn hook(&self, id: Uuid) -> Result<Hook>;
    async fn delete_hook(&self, id: Uuid) -> Result<()>;
    /// Records an event id once; false when it was handled before.
    async fn record_hook_event(&self, hook_id: Uuid, event_id: &str, outcome: &str) -> Result<bool>;
    /// Forgets an event whose handling failed, so that its redelivery is handled.
    async fn forget_hook_event(&self, hook_id: Uuid, event_id: &str) -> Result<()>;
    async fn put_widget(&self, w: &Widget) -> Result<()>;
    async fn widget(&self, survey_id: Uuid) -> Result<Widget>;
}

/// Everything the application needs from storage.
pub trait Store:
    SurveyStore
    + ResponseStore
    + AccountStore
    + CustomerStore
    + SegmentStore
    + PersonaStore
    + AuditStore
    + JobStore
    + TextStore
    + InvitationStore
    + ChannelStore
{
    /// The backend's name, for logs and `/healthz`.
    fn backend(&self) -> &'static str;
    /// The write state: failing since the last failed commit, until a write commits.
    fn health(&self) -> &health::Health;
}

/// Opens (creating if needed) and migrates the database a URL names:
/// `sqlite:PATH` (or a bare path) for SQLite, `postgres://…` or
/// `postgresql://…` for PostgreSQL. Other schemes are refused.
pub async fn open(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Arc::new(postgres::PgStore::connect(url).await?));
    }
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        return Ok(Arc::new(sqlite::SqliteStore::open(std::path::Path::new(path)).await?));
    }
    if url.contains("://") {
        let scheme = url.split("://").next().unwrap_or_default();
        return Err(StoreError::Other(format!(
            "unsupported database URL scheme {scheme:?}; use sqlite:PATH or postgres://USER@HOST:PORT/DB"
        )));
    }
    Ok(Arc::new(sqlite::SqliteStore::open(std::path::Path::new(url)).await?))
}
