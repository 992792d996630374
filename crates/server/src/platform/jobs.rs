//! The background worker and its registry: every `serve` process runs one
//! worker. It claims due jobs from the shared queue (a lease, so a process
//! that dies mid-job gives the job back when the lease runs out), runs the
//! handler registered for the job's kind, and completes it or schedules a
//! retry with exponential backoff. When no job is due it runs the periodic
//! sweepers whose time has come (sending invitations, analysing comments,
//! purging expired sessions).
//!
//! A feature adds background work by implementing [`JobKind`] (a kind name,
//! a typed payload, a handler) or [`Sweeper`] (a name, an interval, a sweep)
//! and registering it in one line of [`registry`]. Jobs are queued with
//! [`enqueue`], which takes the typed payload, so a kind cannot be misspelt
//! and a payload cannot be malformed.

use async_trait::async_trait;
use cxloop_store::{Job, NewJob, Store, StoreError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long an idle worker waits before looking for due jobs again.
const IDLE_POLL: Duration = Duration::from_millis(250);

/// What handlers and sweepers work with.
#[derive(Clone)]
pub struct JobContext {
    pub store: Arc<dyn Store>,
}

/// A kind of queued job: its name in the queue, its payload, its work.
#[async_trait]
pub trait JobKind: Send + Sync + 'static {
    /// The `jobs.kind` value; unique in the registry.
    const KIND: &'static str;
    type Payload: Serialize + DeserializeOwned + Send;
    /// Does the work; an error is retried with backoff until the job's
    /// attempts run out. `attempt` counts from 1.
    async fn run(&self, ctx: &JobContext, payload: Self::Payload, attempt: u32) -> Result<(), String>;
}

/// Periodic work done when no job is due. `sweep` returns how much it did:
/// more than nothing and it runs again at once (there may be more), nothing
/// and it rests for its interval.
#[async_trait]
pub trait Sweeper: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn interval(&self) -> Duration;
    async fn sweep(&self, ctx: &JobContext) -> Result<usize, String>;
}

/// A job kind with its payload type erased, for the registry.
#[async_trait]
trait Handler: Send + Sync {
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), String>;
}

struct Typed<K>(K);

#[async_trait]
impl<K: JobKind> Handler for Typed<K> {
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), String> {
        let payload: K::Payload =
            serde_json::from_value(job.payload.clone()).map_err(|e| format!("bad {} payload: {e}", K::KIND))?;
        self.0.run(ctx, payload, job.attempts).await
    }
}

/// Every job kind and sweeper this process runs.
#[derive(Default)]
pub struct Registry {
    handlers: BTreeMap<&'static str, Box<dyn Handler>>,
    sweepers: Vec<Box<dyn Sweeper>>,
}

impl Registry {
    /// Registers a job kind. Two handlers for one kind are a programming
    /// error, caught by the registry test.
    pub fn job<K: JobKind>(mut self, kind: K) -> Self {
        let previous = self.handlers.insert(K::KIND, Box::new(Typed(kind)));
        assert!(previous.is_none(), "job kind {:?} registered twice", K::KIND);
        self
    }

    pub fn sweeper(mut self, sweeper: impl Sweeper) -> Self {
        assert!(
            self.sweepers.iter().all(|s| s.name() != sweeper.name()),
            "sweeper {:?} registered twice",
            sweeper.name()
        );
        self.sweepers.push(Box::new(sweeper));
        self
    }

    pub fn kinds(&self) -> Vec<&'static str> {
        self.handlers.keys().copied().collect()
    }

    pub fn sweeper_names(&self) -> Vec<&'static str> {
        self.sweepers.iter().map(|s| s.name()).collect()
    }

    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), String> {
        match self.handlers.get(job.kind.as_str()) {
            Some(h) => h.run(ctx, job).await,
            None => Err(format!("no handler for job kind {:?}", job.kind)),
        }
    }
}

/// Queues a job of kind `K` with its typed payload.
pub async fn enqueue<K: JobKind>(
    store: &dyn Store,
    payload: &K::Payload,
    run_at: OffsetDateTime,
    max_attempts: u32,
) -> Result<cxloop_core::ids::JobId, StoreError> {
    let payload = serde_json::to_value(payload).map_err(StoreError::from)?;
    store.enqueue(&NewJob { kind: K::KIND.into(), payload, run_at, max_attempts }).await
}

/// A name for this process's worker: host, pid and a random suffix.
pub fn worker_id() -> String {
    let host = std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "cxloop".into());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        crate::platform::crypto::hex(&crate::platform::crypto::random_bytes::<2>())
    )
}

/// Seconds until the next try after `attempts` failures: 2, 4, 8 … capped at an hour.
pub fn backoff(attempts: u32) -> time::Duration {
    time::Duration::seconds(2i64.saturating_pow(attempts.clamp(1, 12)).min(3600))
}

/// A diagnostic job that proves the queue works across processes (`cxloop
/// jobs probe`): optionally wait, optionally fail its first attempts.
pub struct Probe;

#[derive(Debug, Default, Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProbePayload {
    /// Milliseconds to work on every attempt.
    pub sleep_ms: u64,
    /// Milliseconds to work on the first attempt only (to test a crash mid-job).
    pub first_attempt_sleep_ms: u64,
    /// Fail this many attempts before succeeding.
    pub fail_attempts: u32,
}

#[async_trait]
impl JobKind for Probe {
    const KIND: &'static str = "probe";
    type Payload = ProbePayload;

    async fn run(&self, _: &JobContext, p: ProbePayload, attempt: u32) -> Result<(), String> {
        let ms = p.sleep_ms + if attempt == 1 { p.first_attempt_sleep_ms } else { 0 };
        tokio::time::sleep(Duration::from_millis(ms.min(3_600_000))).await;
        if attempt <= p.fail_attempts {
            return Err(format!("probe failure requested (attempt {attempt})"));
        }
        Ok(())
    }
}

/// Runs jobs until `stop` turns true. `lease` bounds how long a job may run
/// before another process may take it over.
pub async fn run_worker(
    store: Arc<dyn Store>,
    registry: Registry,
    worker: String,
    lease: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let ctx = JobContext { store: store.clone() };
    let lease_t = time::Duration::try_from(lease).unwrap_or(time::Duration::minutes(5));
    // When each sweeper may run next; all may run at once on start.
    let mut due: Vec<Instant> = vec![Instant::now(); registry.sweepers.len()];
    let mut turn = 0;
    tracing::info!(%worker, kinds = ?registry.kinds(), sweepers = ?registry.sweeper_names(), "job worker started");
    loop {
        if *stop.borrow() {
            break;
        }
        let claimed = store.claim_job(&worker, OffsetDateTime::now_utc(), lease_t).await;
        let job = match claimed {
            Ok(Some(job)) => job,
            Ok(None) => {
                if !sweep(&registry, &ctx, &mut due, &mut turn).await {
                    let _ = tokio::time::timeout(IDLE_POLL, stop.changed()).await;
                }
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
            match tokio::time::timeout(lease.saturating_sub(Duration::from_secs(1)), registry.run(&ctx, &job)).await {
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

/// Runs each sweeper whose time has come, starting at `turn`, the one after
/// the last that did some work: a sweeper that always finds work (comments
/// to analyse after a large import) cannot starve those after it. True when
/// one did some work (the worker then looks for jobs again at once).
async fn sweep(registry: &Registry, ctx: &JobContext, due: &mut [Instant], turn: &mut usize) -> bool {
    let mut worked = false;
    let n = registry.sweepers.len();
    for i in (0..n).map(|k| (*turn + k) % n) {
        let (s, next) = (&registry.sweepers[i], &mut due[i]);
        if Instant::now() < *next {
            continue;
        }
        match s.sweep(ctx).await {
            Ok(0) => *next = Instant::now() + s.interval(),
            Ok(n) => {
                tracing::debug!(sweeper = s.name(), items = n, "swept");
                worked = true;
            }
            Err(e) => {
                *next = Instant::now() + s.interval();
                tracing::warn!(sweeper = s.name(), error = %e, "sweep failed");
            }
        }
        if worked {
            // One productive sweep per round, so queued jobs are not kept waiting.
            *turn = i + 1;
            break;
        }
    }
    worked
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

    #[test]
    fn the_registry_knows_every_kind_once() {
        let r = crate::job_registry(None);
        assert_eq!(r.kinds(), vec!["probe", "retag"]);
        assert_eq!(r.sweeper_names(), vec!["analyse comments", "refresh segments", "purge sessions"]);
    }

    #[test]
    #[should_panic(expected = "registered twice")]
    fn a_kind_registered_twice_is_refused() {
        let _ = Registry::default().job(Probe).job(Probe);
    }

    /// Counts its runs; finds work in the first `.1` of them.
    struct Count(std::sync::Arc<std::sync::atomic::AtomicUsize>, usize, &'static str);

    #[async_trait]
    impl Sweeper for Count {
        fn name(&self) -> &'static str {
            self.2
        }
        fn interval(&self) -> Duration {
            Duration::from_secs(3600)
        }
        async fn sweep(&self, _: &JobContext) -> Result<usize, String> {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(usize::from(n < self.1))
        }
    }

    /// A sweeper that finds work runs again at once; one that finds none
    /// rests for its interval.
    #[tokio::test]
    async fn a_sweeper_runs_while_it_finds_work_then_rests() {
        let db = cxloop_store::testing::TempDatabase::sqlite();
        let store = cxloop_store::open(&db.url).await.unwrap();
        let ctx = JobContext { store };
        let r = Registry::default().sweeper(Count(Default::default(), 3, "count"));
        let mut due = vec![Instant::now()];
        let (mut rounds, mut turn) = (0, 0);
        while sweep(&r, &ctx, &mut due, &mut turn).await {
            rounds += 1;
            assert!(rounds < 10, "it stops when there is nothing to do");
        }
        assert_eq!(rounds, 3, "three rounds found work");
        assert!(due[0] > Instant::now() + Duration::from_secs(3000), "then it rests for its interval");
        assert!(!sweep(&r, &ctx, &mut due, &mut turn).await, "and is not run again before that");
    }

    /// Sweepers that always find work take turns: the first (comments to
    /// analyse after a large import) does not starve the second (segments).
    #[tokio::test]
    async fn busy_sweepers_take_turns() {
        let db = cxloop_store::testing::TempDatabase::sqlite();
        let store = cxloop_store::open(&db.url).await.unwrap();
        let ctx = JobContext { store };
        let (first, second) = (std::sync::Arc::default(), std::sync::Arc::default());
        let r = Registry::default().sweeper(Count(std::sync::Arc::clone(&first), 1000, "first")).sweeper(Count(
            std::sync::Arc::clone(&second),
            1000,
            "second",
        ));
        let mut due = vec![Instant::now(); 2];
        let mut turn = 0;
        for _ in 0..10 {
            assert!(sweep(&r, &ctx, &mut due, &mut turn).await);
        }
        let runs = |c: &std::sync::Arc<std::sync::atomic::AtomicUsize>| c.load(std::sync::atomic::Ordering::SeqCst);
        assert_eq!((runs(&first), runs(&second)), (5, 5), "each ran every other round");
    }
}
