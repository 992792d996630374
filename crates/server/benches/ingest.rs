//! Load generator: ingest throughput through the HTTP API with many
//! concurrent clients, bulk-import throughput, and metrics latency over
//! everything loaded. Runs the real server in-process on a temp SQLite file.
//!
//! cargo bench -p cxloop-server --bench ingest -- [--backend sqlite|postgres] [--http N] [--clients C] [--bulk N]
//!
//! PostgreSQL runs on a fresh database created on `CXLOOP_TEST_POSTGRES`
//! (default postgres://postgres@127.0.0.1:5432/postgres) and dropped after.

// A harness, not product code: any failure should stop it loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use cxloop_server::{Application, Config};
use cxloop_store::NewResponse;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod support;
use support::arg;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

const COMMENTS: [&str; 4] = [
    "Support answered within the hour and solved it.",
    "The dashboard takes ages to load in the mornings.",
    "Fair price, no surprises at renewal.",
    "Getting started was confusing; the docs skip steps.",
];

fn main() {
    let http_n = arg("--http", 20_000);
    let clients = arg("--clients", 32);
    let bulk_n = arg("--bulk", 200_000);
    let backend = support::backend();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(run(backend, http_n, clients, bulk_n));
}

async fn run(backend: cxloop_store::testing::Backend, http_n: usize, clients: usize, bulk_n: usize) {
    let db = cxloop_store::testing::TempDatabase::new(backend).await.expect("PostgreSQL is unreachable");
    let store = cxloop_store::open(&db.url).await.expect("store");
    println!("backend: {}", store.backend());
    let token = support::admin_token(store.as_ref()).await;
    let app = Application::build(store.clone(), Config::new("127.0.0.1:0".parse().expect("addr"))).await.expect("app");
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build().expect("client");
    let survey: serde_json::Value = client
        .post(format!("{base}/api/v1/surveys"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "Bench", "status": "active", "questions": [
            {"key": "nps", "type": "nps", "text": "Recommend?", "required": true},
            {"key": "why", "type": "text", "text": "Why?"}]}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = survey["id"].as_str().expect("id").to_string();
    let url = Arc::new(format!("{base}/api/v1/surveys/{id}/responses"));

    // 1. HTTP ingest with concurrent clients.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        let url = url.clone();
        let per = http_n / clients + usize::from(c < http_n % clients);
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per);
            for i in 0..per {
                let body = serde_json::json!({"answers": {"nps": (c + i) % 11, "why": COMMENTS[i % 4]}});
                let t = Instant::now();
                let r = client.post(url.as_str()).json(&body).send().await.expect("post");
                assert_eq!(r.status(), 201);
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await.expect("task"));
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_unstable();
    println!(
        "http ingest: {} responses, {clients} clients, {:.0} responses/s, latency p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
        lat.len(),
        lat.len() as f64 / secs,
        percentile(&lat, 0.5),
        percentile(&lat, 0.95),
        percentile(&lat, 0.99)
    );

    // 2. Bulk import through the store, spread over a year.
    let survey = store.get_survey(id.parse().expect("uuid")).await.expect("survey");
    let now = time::OffsetDateTime::now_utc();
    let started = Instant::now();
    let mut done = 0;
    while done < bulk_n {
        let batch: Vec<NewResponse> = (done..(done + 10_000).min(bulk_n))
            .map(|i| {
                let mut answers = cxloop_core::Answers::new();
                answers.insert("nps".into(), cxloop_core::AnswerValue::Score((i * 7 % 11) as i32));
                if i % 2 == 0 {
                    answers.insert("why".into(), cxloop_core::AnswerValue::Text(COMMENTS[i % 4].into()));
                }
                NewResponse {
                    id: cxloop_core::ids::ResponseId::new(),
                    survey: survey.clone(),
                    customer: None,
                    submitted_at: now - time::Duration::seconds((i as i64 * 31_536_000) / bulk_n.max(1) as i64),
                    channel: "import".into(),
                    answers,
                    touchpoint: None,
                    context: None,
                }
            })
            .collect();
        done += store.insert_responses(&batch).await.expect("bulk") as usize;
    }
    let secs = started.elapsed().as_secs_f64();
    println!("bulk import: {done} responses, {:.0} responses/s", done as f64 / secs);

    // 3. Metrics over everything: a year by month, and 90 days by week.
    for (label, query) in [
        (
            "year by month",
            "interval=month&from=".to_string() + &cxloop_core::period::fmt_date(now.date() - time::Duration::days(364)),
        ),
        ("90 days by week", "interval=week".to_string()),
    ] {
        let mut lat = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            let r = client
                .get(format!("{base}/api/v1/surveys/{id}/metrics?{query}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("metrics");
            assert_eq!(r.status(), 200);
            let _ = r.bytes().await;
            lat.push(t.elapsed());
        }
        lat.sort_unstable();
        println!(
            "metrics ({label}) over {} responses: p50 {:.2} ms, p95 {:.2} ms",
            done + http_n,
            percentile(&lat, 0.5),
            percentile(&lat, 0.95)
        );
    }
    let total = done + http_n;
    if let Some(path) = db.url.strip_prefix("sqlite:") {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        println!(
            "database file: {:.1} MB, {:.0} bytes per response",
            size as f64 / 1e6,
            size as f64 / total.max(1) as f64
        );
    } else {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        let size: i64 =
            sqlx::query_scalar("SELECT pg_database_size(current_database())").fetch_one(&mut conn).await.expect("size");
        println!(
            "database size: {:.1} MB, {:.0} bytes per response",
            size as f64 / 1e6,
            size as f64 / total.max(1) as f64
        );
    }
}
