// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// The job queue, on either backend: a claim is one UPDATE of the oldest
// due, unleased job. SQLite's single writer serialises claims; PostgreSQL
// adds `FOR UPDATE SKIP LOCKED` so that workers in many processes never
// take the same job nor wait on each other.

use super::{Backend, uuid};
use crate::{Job, JobRecord, JobStore, NewJob, Result, StoreError, ts};
use async_trait::async_trait;
use sqlx::Row;
use time::{Duration, OffsetDateTime};

#[async_trait]
impl JobStore for Backend {
    async fn enqueue(&self, job: &NewJob) -> Result<cxloop_core::ids::JobId> {
        let id = cxloop_core::ids::JobId::new();
        sqlx::query(
            "INSERT INTO jobs (id, kind, payload, run_at, max_attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(&job.kind)
        .bind(job.payload.to_string())
        .bind(ts::fmt(job.run_at))
        .bind(i64::from(job.max_attempts.max(1)))
        .bind(ts::fmt(OffsetDateTime::now_utc()))
        .execute(&self.write)
        .await?;
        Ok(id)
    }

    async fn claim_job(&self, worker: &str, now: OffsetDateTime, lease: Duration) -> Result<Option<Job>> {
        let now_s = ts::fmt(now);
        let row = sqlx::query(super::qs(format!(
            "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3
                         AND (locked_until IS NULL OR locked_until < $4) ORDER BY run_at, id LIMIT 1{lock})
             RETURNING id, kind, payload, attempts, max_attempts",
            lock = super::SKIP_LOCKED
        )))
        .bind(worker)
        .bind(ts::fmt(now + lease))
        .bind(&now_s)
        .bind(&now_s)
        .fetch_optional(&self.write)
        .await?;
        row.map(|row| {
            Ok(Job {
                id: uuid(row.try_get("id")?)?,
                kind: row.try_get("kind")?,
                payload: serde_json::from_str(row.try_get("payload")?)?,
                attempts: row.try_get::<i64, _>("attempts")?.max(0) as u32,
                max_attempts: row.try_get::<i64, _>("max_attempts")?.max(0) as u32,
            })
        })
        .transpose()
    }

    async fn complete_job(&self, id: cxloop_core::ids::JobId, worker: &str, now: OffsetDateTime) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'done', finished_by = $1, finished_at = $2, locked_until = NULL
             WHERE id = $3 AND locked_by = $4 AND state = 'queued'",
        )
        .bind(worker)
        .bind(ts::fmt(now))
        .bind(id.to_string())
        .bind(worker)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail_job(
        &self,
        id: cxloop_core::ids::JobId,
        worker: &str,
        error: &str,
        retry_at: OffsetDateTime,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET last_error = $1, locked_until = NULL, run_at = $2,
             state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END,
             finished_at = CASE WHEN attempts >= max_attempts THEN $3 ELSE NULL END
             WHERE id = $4 AND locked_by = $5 AND state = 'queued'",
        )
        .bind(error)
        .bind(ts::fmt(retry_at))
        .bind(ts::fmt(OffsetDateTime::now_utc()))
        .bind(id.to_string())
        .bind(worker)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn job(&self, id: cxloop_core::ids::JobId) -> Result<JobRecord> {
        let row =
            sqlx::query("SELECT id, kind, state, attempts, last_error, locked_by, finished_by FROM jobs WHERE id = $1")
                .bind(id.to_string())
                .fetch_one(&self.read)
                .await?;
        Ok(JobRecord {
            id: uuid(row.try_get("id")?)?,
            kind: row.try_get("kind")?,
            state: row.try_get("state")?,
            attempts: row.try_get::<i64, _>("attempts")?.max(0) as u32,
            last_error: row.try_get("last_error")?,
            locked_by: row.try_get("locked_by")?,
            finished_by: row.try_get("finished_by")?,
        })
        .map_err(|e: StoreError| e)
    }
}
