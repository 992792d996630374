//! The background worker: every `serve` process runs one. It claims due
//! jobs from the shared queue (a lease, so a process that dies mid-job
//! gives the job back when the lease runs out), runs the handler for the
//! job's kind, and completes it or schedules a retry with exponential
//! backoff. Kinds today: `probe`, a diagnostic job that proves the queue
//! works across processes (`cxloop jobs probe`), and `retag` (themes under a
//! new taxonomy version). When no job is due, the worker analyses comments
//! that are waiting for sentiment and themes (`textwork`).

use cxloop_store::{Job, Store};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// How often an idle worker looks for due jobs.
const IDLE_POLL: Duration = Duration::from_millis(250);
/// How often an idle worker looks for invitations to send.
const DELIVERY_POLL: Duration = Duration::from_secs(1);

/// A name for this process's worker: host, pid and a random suffix.
pub fn worker_id() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "cxloop".into());
    format!("{host}-{}-{}", std::process::id(), crate::crypto::hex(&crate::crypto::random_bytes::<2>()))
}

/// Seconds until the next try after `attempts` failures: 2, 4, 8 … capped at an hour.
pub fn backoff(attempts: u32) -> time::Duration {
    time::Duration::seconds(2i64.saturating_pow(attempts.clamp(1, 12)).min(3600))
}

/// What a `probe` job does: optionally wait, optionally fail its first attempts.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Probe {
    /// Milliseconds to work on every attempt.
    pub sleep_ms: u64,
    /// Milliseconds to work on the first attempt only (to test a crash mid-job).
    pub first_attempt_sleep_ms: u64,
    /// Fail this many attempts before succeeding.
    pub fail_attempts: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Retag {
    version: u32,
}

async fn handle(store: &Arc<dyn Store>, job: &Job) -> Result<(), String> {
    match job.kind.as_str() {
        "retag" => {
            let r: Retag =
                serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad retag payload: {e}"))?;
            let started = std::time::Instant::now();
            let n = crate::textwork::retag(store.as_ref(), r.version).await.map_err(|e| e.to_string())?;
            tracing::info!(
                version = r.version,
                comments = n,
                secs = started.elapsed().as_secs_f64(),
                "re-tagged comments"
            );
            Ok(())
        }
        "probe" => {
            let p: Probe =
                serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad probe payload: {e}"))?;
            let ms = p.sleep_ms + if job.attempts == 1 { p.first_attempt_sleep_ms } else { 0 };
            tokio::time::sleep(Duration::from_millis(ms.min(3_600_000))).await;
            if job.attempts <= p.fail_attempts {
                return Err(format!("probe failure requested (attempt {})", job.attempts));
            }
            Ok(())
        }
        other => Err(format!("no handler for job kind {other:?}")),
    }
}

/// Runs jobs until `stop` turns true. `lease` bounds how long a job may run
/// before another process may take it over.
pub async fn run_worker(
    store: Arc<dyn Store>,
    worker: String,
    lease: Duration,
    delivery: Option<Arc<crate::invite::Delivery>>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let lease_t = time::Duration::try_from(lease).unwrap_or(time::Duration::minutes(5));
    let analyzer = cxloop_text::Analyzer::default();
    let mut tagger = None;
    // Invitations are looked for at most once a second when there is nothing to send.
    let mut next_delivery = std::time::Instant::now();
    tracing::info!(%worker, "job worker started");
    loop {
        if *stop.borrow() {
            break;
        }
        let claimed = store.claim_job(&worker, OffsetDateTime::now_utc(), lease_t).await;
        let job = match claimed {
            Ok(Some(job)) => job,
            Ok(None) => {
                // Nothing queued: send due invitations, analyse waiting comments, or rest.
                if let Some(d) = delivery.as_ref().filter(|_| std::time::Instant::now() >= next_delivery) {
                    match crate::invite::deliver(&store, d, 50).await {
                        Ok(0) => next_delivery = std::time::Instant::now() + DELIVERY_POLL,
                        Ok(n) => {
                            tracing::info!(messages = n, "sent invitations");
                            continue;
                        }
                        Err(e) => {
                            next_delivery = std::time::Instant::now() + DELIVERY_POLL;
                            tracing::warn!(error = %e, "could not send invitations");
                        }
                    }
                }
                match crate::textwork::analyse_pending(&store, &analyzer, &mut tagger, 500).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::debug!(texts = n, "analysed comments");
                        continue;
                    }
                    Err(e) => tracing::warn!(error = %e, "could not analyse comments"),
                }
                let _ = tokio::time::timeout(IDLE_POLL, stop.changed()).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not claim a job");
                let _ = tokio::time::timeout(IDLE_POLL * 4, stop.changed()).await;
                continue;
            }
        };
        // A job that outlives its lease is abandoned here: another process may have it now.
        let outcome =
            match tokio::time::timeout(lease.saturating_sub(Duration::from_secs(1)), handle(&store, &job)).await {
                Ok(r) => r,
                Err(_) => Err("timed out before its lease ran out".to_string()),
            };
        let now = OffsetDateTime::now_utc();
        let recorded = match &outcome {
            Ok(()) => store.complete_job(job.id, &worker, now).await.map(|_| ()),
            Err(e) => {
                tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                store.fail_job(job.id, &worker, e, now + backoff(job.attempts)).await
            }
        };
        if let Err(e) = recorded {
            tracing::warn!(job = %job.id, error = %e, "could not record a job's outcome");
        }
    }
    tracing::info!(%worker, "job worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), time::Duration::seconds(2));
        assert_eq!(backoff(3), time::Duration::seconds(8));
        assert_eq!(backoff(40), time::Duration::seconds(3600));
    }
}
