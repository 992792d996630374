//! cxloop-store: persistence behind per-aggregate traits.
//!
//! One trait per aggregate ([`SurveyStore`], [`ResponseStore`],
//! [`CustomerStore`], …), each in its own module of `aggregates` with the
//! records it takes and returns; [`Store`] is their union, for wiring and
//! the contract suite. Both backends ([`sqlite`], [`postgres`]) implement
//! every trait with the SQL in `shared/<aggregate>.rs`, written once.
//! [`open`] picks the backend from a database URL.

mod aggregates;
pub mod codec;
pub mod health;
pub mod migrations;
pub mod postgres;
pub mod schema;
pub mod sqlite;
pub mod testing;
pub mod transfer;
pub mod ts;

pub use aggregates::*;

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

/// Parses an id read back from the database, as the id type the caller
/// asks for (a `Uuid`, or a typed id such as `SurveyId`).
pub(crate) fn uuid<T: From<Uuid>>(s: &str) -> Result<T> {
    Uuid::parse_str(s).map(T::from).map_err(|e| StoreError::Other(format!("bad stored id {s:?}: {e}")))
}

/// Surveys: definitions and lifecycle.
/// Everything the application needs from storage.
pub trait Store:
    SurveyStore
    + ResponseStore
    + AccountStore
    + CredentialStore
    + CustomerStore
    + CustomerReadStore
    + SegmentStore
    + PersonaStore
    + AuditStore
    + JobStore
    + TextStore
    + ThemeReportStore
    + InvitationStore
    + SuppressionStore
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
