//! The background job queue.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::JobId;
use serde::Serialize;
use time::OffsetDateTime;

/// The background job queue. A claim is a lease: a worker that dies lets it
/// expire and the job is claimed again; failures retry with backoff.
#[async_trait]
pub trait JobStore: Send + Sync {
    async fn enqueue(&self, job: &NewJob) -> Result<JobId>;
    /// Claims the next due job for `worker` until `now + lease`; no two
    /// workers (in any process) ever hold the same job at once.
    async fn claim_job(&self, worker: &str, now: time::OffsetDateTime, lease: time::Duration) -> Result<Option<Job>>;
    /// Marks a job done, if `worker` still holds it.
    async fn complete_job(&self, id: JobId, worker: &str, now: time::OffsetDateTime) -> Result<bool>;
    /// Records a failure: the job runs again at `retry_at`, or is marked
    /// failed when its attempts are used up.
    async fn fail_job(&self, id: JobId, worker: &str, error: &str, retry_at: time::OffsetDateTime) -> Result<()>;
    async fn job(&self, id: JobId) -> Result<JobRecord>;
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
    pub id: JobId,
    pub kind: String,
    pub payload: serde_json::Value,
    /// Including this one.
    pub attempts: u32,
    pub max_attempts: u32,
}

/// A job's state, for inspection.
#[derive(Debug, Clone, Serialize)]
pub struct JobRecord {
    pub id: JobId,
    pub kind: String,
    /// `queued`, `done` or `failed`.
    pub state: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    /// The worker holding (or that last held) the lease.
    pub locked_by: Option<String>,
    pub finished_by: Option<String>,
}
