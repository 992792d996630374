//! A data set of any size, for benchmarks and for trying cxloop at the
//! scale of a large organisation (`cxloop demo --scale N`): N responses
//! spread over two years (seven in ten to the relationship NPS survey, the
//! rest to post-support CSAT, both with comments), a directory of N/10
//! customers with attributes and lifecycle events, and the demo's segments
//! and personas. The same score and comment model as the demo (plan and
//! region effects, the billing incident, topic sentences whose tone follows
//! the score), so themes, segments and changes mean something. Written
//! through the bulk paths in batches, so memory stays flat at any N.

use super::*;
use std::time::Instant;

/// Responses per batch handed to the store.
const BATCH: usize = 20_000;

/// What was built, and how long it took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Built {
    pub responses: u64,
    pub customers: u64,
    pub events: u64,
    pub seconds: f64,
    /// Of which writing the responses (the rest: making them up, the directory).
    pub writing_seconds: f64,
}

/// A discrete distribution sampled by binary search over its cumulative
/// weights (the demo's linear `weighted` would cost 730 steps a draw).
struct Cdf<T> {
    items: Vec<T>,
    cumulative: Vec<f64>,
}

impl<T: Copy> Cdf<T> {
    fn new(weights: &[(T, f64)]) -> Self {
        let mut total = 0.0;
        let cumulative = weights
            .iter()
            .map(|(_, w)| {
                total += w;
                total
            })
            .collect();
        Cdf { items: weights.iter().map(|(t, _)| *t).collect(), cumulative }
    }

    fn sample(&self, rng: &mut SmallRng) -> T {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.random::<f64>() * total;
        let i = self.cumulative.partition_point(|c| *c <= x).min(self.items.len() - 1);
        self.items[i]
    }
}

/// Builds the data set into an empty store. `progress` is told after every
/// batch (responses written so far).
pub async fn generate(
    store: &dyn Store,
    now: OffsetDateTime,
    n: u64,
    seed: u64,
    progress: &mut dyn FnMut(u64),
) -> Result<Built> {
    anyhow::ensure!(store.list_surveys().await?.is_empty(), "the scale data set goes into an empty installation");
    let started = Instant::now();
    let mut rng = SmallRng::seed_from_u64(seed);
    let today = now.date();
    let created = now - Duration::days(740);
    let nps = make_survey(store, "relationship-nps", relationship_nps(), SurveyStatus::Active, created).await?;
    let csat = make_survey(store, "support-csat", support_csat(), SurveyStatus::Active, created).await?;
    attribute_defs(store).await?;

    let custs = customers(&mut rng, today, (n / 10).max(1));
    for chunk in custs.chunks(BATCH) {
        let refs: Vec<CustomerRef> = chunk.iter().map(customer_ref).collect();
        store.upsert_customers(&refs).await?;
    }
    let mut events = 0;
    for chunk in custs.chunks(BATCH) {
        events += store.add_customer_events(&lifecycle(chunk, &mut rng, today)).await?;
    }

    let days = Cdf::new(&(0..730).map(|ago| (ago, volume(today - Duration::days(ago)))).collect::<Vec<_>>());
    let mut written = 0;
    let mut writing = std::time::Duration::ZERO;
    while written < n {
        let size = (n - written).min(BATCH as u64);
        let mut batch: Vec<NewResponse> = (0..size)
            .map(|_| {
                let ago = days.sample(&mut rng);
                let c = pick(&mut rng, &custs);
                let at = moment(&mut rng, now, ago);
                let (survey, answers, channel) = if rng.random_bool(0.7) {
                    (&nps, nps_answers(&mut rng, c, ago), "email")
                } else {
                    (&csat, csat_answers(&mut rng, c, ago), "helpdesk")
                };
                NewResponse {
                    id: cxloop_core::ids::ResponseId::new(),
                    survey: survey.clone(),
                    // The customer is in the directory already: its reference alone.
                    customer: Some(CustomerRef {
                        external_id: c.external_id.clone(),
                        name: None,
                        email: None,
                        attributes: serde_json::Map::new(),
                    }),
                    submitted_at: at,
                    channel: channel.into(),
                    answers,
                    touchpoint: None,
                    context: None,
                }
            })
            .collect();
        batch.sort_by_key(|r| r.submitted_at);
        let t = Instant::now();
        written += store.insert_responses(&batch).await?;
        writing += t.elapsed();
        progress(written);
    }
    segments_and_personas(store, today).await?;
    Ok(Built {
        responses: written,
        customers: custs.len() as u64,
        events,
        seconds: started.elapsed().as_secs_f64(),
        writing_seconds: writing.as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use cxloop_core::period::DateRange;

    #[test]
    fn the_cdf_draws_each_item_in_proportion_to_its_weight() {
        let cdf = Cdf::new(&[("a", 1.0), ("b", 0.0), ("c", 3.0)]);
        let mut rng = SmallRng::seed_from_u64(1);
        let mut counts = std::collections::HashMap::new();
        for _ in 0..40_000 {
            *counts.entry(cdf.sample(&mut rng)).or_insert(0u32) += 1;
        }
        assert_eq!(counts.get("b"), None, "a zero weight is never drawn");
        let share = f64::from(counts["a"]) / 40_000.0;
        // 0.25 with a standard error of 0.0022: five of them either way.
        assert!((share - 0.25).abs() < 0.011, "{share}");
    }

    #[tokio::test]
    async fn a_scale_data_set_has_what_it_promises() {
        let dir = std::env::temp_dir().join(format!("cxloop-scale-test-{}", uuid::Uuid::now_v7()));
        let store = cxloop_store::open(&format!("sqlite:{}", dir.join("d.db").display())).await.unwrap();
        let now = time::macros::datetime!(2026-11-24 12:00 UTC);
        let mut reported = Vec::new();
        let built = generate(store.as_ref(), now, 45_000, 3, &mut |w| reported.push(w)).await.unwrap();
        assert_eq!((built.responses, built.customers), (45_000, 4_500));
        assert_eq!(reported, vec![20_000, 40_000, 45_000]);
        assert_eq!(store.count_customers().await.unwrap(), 4_500);
        assert!(built.events >= 4_500, "every customer signed up: {}", built.events);
        let surveys = store.list_surveys().await.unwrap();
        assert_eq!(surveys.iter().map(|s| s.responses).sum::<u64>(), 45_000);
        let nps = surveys.iter().find(|s| s.survey.slug == "relationship-nps").unwrap();
        // Seven in ten to the NPS survey: 31,500 expected, sd 97.
        assert!((nps.responses as f64 - 31_500.0).abs() < 500.0, "{}", nps.responses);
        // Two years of answers, none in the future.
        let first_year = DateRange::new(now.date() - Duration::days(729), now.date() - Duration::days(365)).unwrap();
        let second_year = DateRange::new(now.date() - Duration::days(364), now.date()).unwrap();
        let (a, b) = (
            store.score_histogram(nps.survey.id, "nps", first_year).await.unwrap().n(),
            store.score_histogram(nps.survey.id, "nps", second_year).await.unwrap().n(),
        );
        assert_eq!(a + b, nps.responses);
        assert!(a > 10_000 && b > 10_000, "{a} / {b}");
        let comments = store.latest_comments(None, &Default::default(), 3).await.unwrap();
        assert!(comments.iter().all(|c| c.submitted_at <= now && !c.body.is_empty()));
        assert_eq!(store.segments().await.unwrap().len(), 6);
        assert_eq!(store.personas().await.unwrap().len(), 2);
        let facts = store.customer_facts(None, 1000).await.unwrap();
        assert!(facts.iter().all(|f| f.stage.is_some()), "every customer has a lifecycle stage");
        assert!(facts.iter().any(|f| f.stage.as_deref() == Some("churned")));
        assert!(generate(store.as_ref(), now, 10, 3, &mut |_| {}).await.is_err(), "only into an empty installation");
        let _ = std::fs::remove_dir_all(dir);
    }
}
