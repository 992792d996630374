//! Whether the store can write right now, and which failures mean it cannot.
//!
//! A failure of the storage itself (disk full, an I/O error, a database that
//! went away) is not a bug in one request: it is a state the whole process
//! is in until it passes. [`classify`] tells those failures apart from the
//! others, so they become `StoreError::Unavailable` (HTTP 503, retry later)
//! rather than an opaque 500. [`Health`] remembers the state, fed by every
//! group commit of the response writer and by the write probe `/healthz`
//! runs, and logs it once per change of state, not once per request. A
//! probe that commits ends the state only after [`HOLD`] without a failed
//! write, so a node a load balancer took out of rotation comes back by itself.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The write state of one store.
#[derive(Debug, Default)]
pub struct Health {
    failing: Mutex<Option<(String, Instant)>>,
    last_probe: Mutex<Option<Instant>>,
}

/// How long a failed write keeps the store "failing" against a probe that
/// succeeds: a small probe can fit where a batch of responses cannot (a
/// failed commit leaves room in the WAL file), so only a real write, or
/// this long without a failure, ends the state.
pub const HOLD: Duration = Duration::from_secs(3);

impl Health {
    /// Records a write that failed because of the storage (`reason` says how).
    pub fn failed(&self, reason: &str) {
        let Ok(mut state) = self.failing.lock() else { return };
        if state.is_none() {
            tracing::error!(reason, "storage writes are failing; writes are refused until they succeed again");
        }
        *state = Some((reason.to_string(), Instant::now()));
    }

    /// Records a committed write of real data.
    pub fn succeeded(&self) {
        let Ok(mut state) = self.failing.lock() else { return };
        if let Some((reason, _)) = state.take() {
            tracing::info!(was = %reason, "storage writes succeed again");
        }
    }

    /// Records a committed probe: ends the state only when no write has
    /// failed for [`HOLD`].
    pub fn probe_succeeded(&self) {
        let quiet = self.failing.lock().ok().is_some_and(|s| s.as_ref().is_none_or(|(_, at)| at.elapsed() >= HOLD));
        if quiet {
            self.succeeded();
        }
    }

    /// True at most once per `every`: whether a caller should run the write
    /// probe now (so that a flood of health checks is not a flood of writes).
    pub fn probe_due(&self, every: Duration) -> bool {
        let Ok(mut last) = self.last_probe.lock() else { return false };
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < every) {
            return false;
        }
        *last = Some(now);
        true
    }

    /// Why writes are failing, or `None` when the last write committed.
    pub fn failing(&self) -> Option<String> {
        self.failing.lock().ok().and_then(|s| s.as_ref().map(|(r, _)| r.clone()))
    }
}

/// The reason, when `e` is a failure of the storage rather than of the
/// request: SQLite's full, I/O, read-only, cannot-open and corruption codes;
/// PostgreSQL's connection, resource and shutdown classes; a lost connection
/// or an exhausted pool on either.
pub fn classify(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Io(io) => Some(format!("database connection failed: {io}")),
        sqlx::Error::PoolTimedOut => Some("no database connection became free in time".into()),
        sqlx::Error::PoolClosed => Some("the database connection pool is closed".into()),
        sqlx::Error::WorkerCrashed => Some("the database connection worker stopped".into()),
        sqlx::Error::Tls(t) => Some(format!("database TLS failed: {t}")),
        sqlx::Error::Database(db) => {
            let code = db.code()?;
            let code = code.as_ref();
            let storage = match code.parse::<u32>() {
                // SQLite primary codes (extended codes keep them in the low byte).
                Ok(n) => matches!(
                    n & 0xff,
                    8 /* READONLY */ | 10 /* IOERR */ | 11 /* CORRUPT */
                    | 13 /* FULL */ | 14 /* CANTOPEN */ | 26 /* NOTADB */
                ),
                // PostgreSQL SQLSTATEs: connection exceptions, insufficient
                // resources (disk full, out of memory), shutdown and crash.
                Err(_) => {
                    code.starts_with("08")
                        || code.starts_with("53")
                        || matches!(code, "57P01" | "57P02" | "57P03" | "58030")
                }
            };
            storage.then(|| db.message().to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_remembered_until_a_write_succeeds() {
        let h = Health::default();
        assert_eq!(h.failing(), None);
        h.failed("database or disk is full");
        h.failed("database or disk is full");
        assert_eq!(h.failing().as_deref(), Some("database or disk is full"));
        h.probe_succeeded();
        assert_eq!(h.failing().as_deref(), Some("database or disk is full"), "a probe alone does not end it at once");
        h.succeeded();
        assert_eq!(h.failing(), None);
        h.probe_succeeded();
        assert_eq!(h.failing(), None);
    }

    #[test]
    fn a_probe_is_due_once_per_interval() {
        let h = Health::default();
        assert!(h.probe_due(Duration::from_secs(60)));
        assert!(!h.probe_due(Duration::from_secs(60)));
        assert!(h.probe_due(Duration::ZERO));
    }

    #[test]
    fn a_missing_row_is_not_a_storage_failure() {
        assert_eq!(classify(&sqlx::Error::RowNotFound), None);
        assert!(classify(&sqlx::Error::PoolTimedOut).is_some());
    }
}
