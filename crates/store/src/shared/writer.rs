// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Group commit for single responses. Every `insert_response` becomes a job
// on a channel; one task owns the writes, takes whatever jobs are waiting
// (up to `MAX_BATCH`), and commits them in one short transaction, so that
// one fsync covers many responses. Each caller is answered only after the
// commit: an acknowledged response is on disk. If a batch fails, its jobs
// are retried one by one so that one bad response cannot sink the others;
// a batch the storage itself refused (disk full) fails as a whole, and the
// connection it failed on is closed, so the next batch starts clean.

use super::responses::{fetch_response, insert_batch, stored};
use super::{Conn, Pool};
use crate::codec::Id;
use crate::health::Health;
use crate::{Idempotency, Inserted, NewResponse, Result, StoreError};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

const MAX_BATCH: usize = 512;

pub(super) struct Job {
    response: NewResponse,
    idem: Option<Idempotency>,
    reply: oneshot::Sender<Result<Inserted>>,
}

/// Starts the writer task on the write pool and returns its queue.
pub(super) fn spawn(pool: Pool, health: Arc<Health>) -> mpsc::Sender<Job> {
    let (tx, mut rx) = mpsc::channel::<Job>(8192);
    tokio::spawn(async move {
        let mut carry: VecDeque<Job> = VecDeque::new();
        loop {
            let first = match carry.pop_front() {
                Some(j) => j,
                None => match rx.recv().await {
                    Some(j) => j,
                    None => break,
                },
            };
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match carry.pop_front().map(Ok).unwrap_or_else(|| rx.try_recv()) {
                    Ok(j) => jobs.push(j),
                    Err(_) => break,
                }
            }
            // Two jobs with one idempotency key must not share a batch: the
            // second waits for the next one and then sees the first's result.
            let mut keys = HashSet::new();
            let mut batch = Vec::with_capacity(jobs.len());
            for j in jobs {
                match &j.idem {
                    Some(k) if !keys.insert((j.response.survey.id, k.key.clone())) => carry.push_back(j),
                    _ => batch.push(j),
                }
            }
            run(&pool, &health, batch).await;
        }
    });
    tx
}

/// Queues one response and waits for its commit.
pub(super) async fn submit(
    queue: &mpsc::Sender<Job>,
    response: NewResponse,
    idem: Option<Idempotency>,
) -> Result<Inserted> {
    let (reply, answer) = oneshot::channel();
    queue
        .send(Job { response, idem, reply })
        .await
        .map_err(|_| StoreError::Other("the database writer has stopped".into()))?;
    answer.await.map_err(|_| StoreError::Other("the database writer dropped a response".into()))?
}

async fn run(pool: &Pool, health: &Health, jobs: Vec<Job>) {
    let refs: Vec<(&NewResponse, Option<&Idempotency>)> = jobs.iter().map(|j| (&j.response, j.idem.as_ref())).collect();
    let e = match commit_on_fresh_state(pool, health, &refs).await {
        Ok(outcomes) => {
            for (j, o) in jobs.into_iter().zip(outcomes) {
                let _ = j.reply.send(o);
            }
            return;
        }
        Err(e) => e,
    };
    // The storage itself refused (disk full, database gone): every response
    // of the batch would meet the same refusal, so none is retried now.
    if jobs.len() == 1 || matches!(e, StoreError::Unavailable(_)) {
        for j in jobs {
            let _ = j.reply.send(Err(e.clone()));
        }
        return;
    }
    tracing::warn!(error = %e, jobs = jobs.len(), "batch failed; retrying its responses one by one");
    for j in jobs {
        let outcome = match commit_on_fresh_state(pool, health, &[(&j.response, j.idem.as_ref())]).await {
            Ok(mut o) => o.pop().unwrap_or_else(|| Err(StoreError::Other("no outcome".into()))),
            Err(e) => Err(e),
        };
        let _ = j.reply.send(outcome);
    }
}

/// Commits one batch and records the outcome in `health`. A connection
/// whose commit failed is closed, never reused: SQLite may have rolled the
/// transaction back itself while sqlx still counts it open (so its next
/// `begin` would become a savepoint inside a transaction that is never
/// committed), and a PostgreSQL connection may be broken. The pool opens a
/// fresh one for the next batch.
async fn commit_on_fresh_state(
    pool: &Pool,
    health: &Health,
    jobs: &[(&NewResponse, Option<&Idempotency>)],
) -> Result<Vec<Result<Inserted>>> {
    let mut conn = pool.acquire().await.map_err(StoreError::from).inspect_err(|e| note_failure(health, e))?;
    match commit(&mut conn, jobs).await {
        Ok(outcomes) => {
            health.succeeded();
            Ok(outcomes)
        }
        Err(e) => {
            note_failure(health, &e);
            conn.close_on_drop();
            Err(e)
        }
    }
}

fn note_failure(health: &Health, e: &StoreError) {
    if let StoreError::Unavailable(reason) = e {
        health.failed(reason);
    }
}

/// One transaction. Each idempotency key is claimed first (`ON CONFLICT DO
/// NOTHING` waits for a concurrent holder in another process to finish);
/// a key already taken turns into a replay or a conflict, the rest are
/// written together.
async fn commit(conn: &mut Conn, jobs: &[(&NewResponse, Option<&Idempotency>)]) -> Result<Vec<Result<Inserted>>> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let mut outcomes: Vec<Option<Result<Inserted>>> = (0..jobs.len()).map(|_| None).collect();
    let mut fresh = Vec::with_capacity(jobs.len());
    for (i, (r, idem)) in jobs.iter().enumerate() {
        if let Some(k) = idem {
            let claimed = sqlx::query("INSERT INTO idempotency (survey_id, key, request_hash, response_id, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (survey_id, key) DO NOTHING")
            .bind(Id(r.survey.id))
            .bind(&k.key)
            .bind(&k.request_hash)
            .bind(Id(r.id))
            .bind(crate::codec::Ts(time::OffsetDateTime::now_utc()))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if claimed == 0 {
                let (hash, response_id): (String, String) = sqlx::query_as(
                    "SELECT request_hash, response_id FROM idempotency WHERE survey_id = $1 AND key = $2",
                )
                .bind(Id(r.survey.id))
                .bind(&k.key)
                .fetch_one(&mut *tx)
                .await?;
                outcomes[i] = Some(if hash == k.request_hash {
                    fetch_response(&mut tx, &response_id).await.map(Inserted::Replayed)
                } else {
                    Err(StoreError::Conflict { what: "Idempotency-Key" })
                });
                continue;
            }
        }
        fresh.push(i);
    }
    let new: Vec<&NewResponse> = fresh.iter().map(|&i| jobs[i].0).collect();
    insert_batch(&mut tx, &new).await?;
    tx.commit().await?;
    for &i in &fresh {
        outcomes[i] = Some(Ok(Inserted::Created(stored(jobs[i].0))));
    }
    Ok(outcomes.into_iter().map(|o| o.unwrap_or_else(|| Err(StoreError::Other("no outcome".into())))).collect())
}
