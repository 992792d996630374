// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// The job queue, on either backend: a claim is one UPDATE of the oldest
// due, unleased job. SQLite's single writer serialises claims; PostgreSQL
// adds `FOR UPDATE SKIP LOCKED` so that workers in many processes never
// take the same job nor wait on each other.

use super::Backend;
use crate::codec::{Id, Json, Ts, narrow};
use crate::{Job, JobRecord, JobStore, NewJob, Result, StoreError};
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
        .bind(Id(id))
        .bind(&job.kind)
        .bind(Json(&job.payload))
        .bind(Ts(job.run_at))
        .bind(i64::from(job.max_attempts.max(1)))
        .bind(Ts(OffsetDateTime::now_utc()))
        .execute(&self.write)
        .await?;
        Ok(id)
    }

    async fn claim_job(&self, worker: &str, now: OffsetDateTime, lease: Duration) -> Result<Option<Job>> {
        let now_s = Ts(now);
        let row = sqlx::query(super::qs(format!(
            "UPDATE jobs SET locked_by = $1, locked_until = $2, attempts = attempts + 1
             WHERE id = (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= $3
                         AND (locked_until IS NULL OR locked_until < $4) ORDER BY run_at, id LIMIT 1{lock})
             RETURNING id, kind, payload, attempts, max_attempts",
            lock = super::SKIP_LOCKED
        )))
        .bind(worker)
        .bind(Ts(now + lease))
        .bind(now_s)
        .bind(now_s)
        .fetch_optional(&self.write)
        .await?;
        row.map(|row| {
            Ok(Job {
                id: row.try_get::<Id<_>, _>("id")?.0,
                kind: row.try_get("kind")?,
                payload: row.try_get::<Json<_>, _>("payload")?.0,
                attempts: narrow(row.try_get::<i64, _>("attempts")?)?,
                max_attempts: narrow(row.try_get::<i64, _>("max_attempts")?)?,
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
        .bind(Ts(now))
        .bind(Id(id))
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
        .bind(Ts(retry_at))
        .bind(Ts(OffsetDateTime::now_utc()))
        .bind(Id(id))
        .bind(worker)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn job(&self, id: cxloop_core::ids::JobId) -> Result<JobRecord> {
        let row =
            sqlx::query("SELECT id, kind, state, attempts, last_error, locked_by, finished_by FROM jobs WHERE id = $1")
                .bind(Id(id))
                .fetch_one(&self.read)
                .await?;
        Ok(JobRecord {
            id: row.try_get::<Id<_>, _>("id")?.0,
            kind: row.try_get("kind")?,
            state: row.try_get("state")?,
            attempts: narrow(row.try_get::<i64, _>("attempts")?)?,
            last_error: row.try_get("last_error")?,
            locked_by: row.try_get("locked_by")?,
            finished_by: row.try_get("finished_by")?,
        })
        .map_err(|e: StoreError| e)
    }
}
