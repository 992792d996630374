//! Load generator: what a flood of password guesses does to ingest. Runs
//! the real server in-process on a temp database; 8 clients post responses
//! through the API while C clients post wrong passwords to `/login`, first
//! from one address, then each from its own loopback address (127.0.0.N),
//! as a distributed guesser would. Prints ingest latency and the process's
//! resident memory for each phase, and how the guesses were answered.
//!
//! cargo bench -p cxloop-server --bench login_flood -- [--clients C] [--secs S] [postgres]

// A harness, not product code: any failure should stop it loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use cxloop_server::{Application, Config};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

mod support;
use support::arg;

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
}

fn main() {
    let clients = arg("--clients", 64);
    let secs = arg("--secs", 8) as u64;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(run(support::backend(), clients, Duration::from_secs(secs)));
}

async fn run(backend: cxloop_store::testing::Backend, clients: usize, length: Duration) {
    let db = cxloop_store::testing::TempDatabase::new(backend).await.expect("PostgreSQL is unreachable");
    let store = cxloop_store::open(&db.url).await.expect("store");
    println!("backend: {}, {clients} guessing clients, {} s per phase", store.backend(), length.as_secs());
    let token = support::admin_token(store.as_ref()).await;
    let app = Application::build(store.clone(), Config::new("127.0.0.1:0".parse().expect("addr"))).await.expect("app");
    let base = Arc::new(format!("http://{}", app.addr()));
    tokio::spawn(app.run_until(std::future::pending()));
    let survey = support::active_survey(store.as_ref(), "flood", "Flood", vec![nps()]).await;
    let url = Arc::new(format!("{base}/api/v1/surveys/{}/responses", survey.id));
    let token = Arc::new(token);

    for phase in ["no flood", "flood from one address", "flood from many addresses"] {
        let stop = Arc::new(AtomicBool::new(false));
        let mut guessers = Vec::new();
        if phase != "no flood" {
            for c in 0..clients {
                let local = if phase == "flood from many addresses" {
                    IpAddr::V4(Ipv4Addr::new(127, 0, 1 + (c / 250) as u8, 1 + (c % 250) as u8))
                } else {
                    IpAddr::V4(Ipv4Addr::LOCALHOST)
                };
                guessers.push(tokio::spawn(guess(base.clone(), local, c, stop.clone())));
            }
        }
        let started = Instant::now();
        let peak = Arc::new(std::sync::Mutex::new(rss_mb()));
        let sampler = {
            let (peak, stop) = (peak.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    {
                        let now = rss_mb();
                        let mut p = peak.lock().unwrap();
                        *p = p.max(now);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        let mut writers = Vec::new();
        for w in 0..8 {
            let (url, token, stop) = (url.clone(), token.clone(), stop.clone());
            writers.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut lat = Vec::new();
                let mut i = w;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    let body = serde_json::json!({"answers": {"nps": i % 11}});
                    let r = client.post(url.as_str()).bearer_auth(token.as_str()).json(&body).send().await.unwrap();
                    assert_eq!(r.status(), 201);
                    lat.push(t.elapsed());
                    i += 8;
                }
                lat
            }));
        }
        tokio::time::sleep(length).await;
        stop.store(true, Ordering::Relaxed);
        let mut lat: Vec<Duration> = Vec::new();
        for w in writers {
            lat.extend(w.await.unwrap());
        }
        let mut answers: BTreeMap<u16, usize> = BTreeMap::new();
        for g in guessers {
            for (k, v) in g.await.unwrap() {
                *answers.entry(k).or_default() += v;
            }
        }
        let _ = sampler.await;
        lat.sort();
        let elapsed = started.elapsed().as_secs_f64();
        println!(
            "{phase:>26}: ingest {:>6.0}/s  p50 {:>5.1} ms  p99 {:>6.1} ms  peak RSS {:>6.1} MB  login answers {answers:?}",
            lat.len() as f64 / elapsed,
            ms(&lat, 0.50),
            ms(&lat, 0.99),
            *peak.lock().unwrap(),
        );
    }
}

fn nps() -> cxloop_core::Question {
    cxloop_core::Question {
        required: true,
        ..cxloop_core::Question::new("nps", cxloop_core::QuestionType::Nps, "Recommend?")
    }
}

/// One guesser: fetches the login form once, then posts wrong passwords
/// for ever-new accounts until told to stop. Returns statuses by count.
async fn guess(base: Arc<String>, local: IpAddr, c: usize, stop: Arc<AtomicBool>) -> BTreeMap<u16, usize> {
    let client =
        reqwest::Client::builder().local_address(local).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{base}/login")).send().await.unwrap();
    let cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("cxloop_login=").map(|r| r.split(';').next().unwrap_or("").to_string()))
        .unwrap();
    let html = page.text().await.unwrap();
    let at = html.find("name=\"_csrf\" value=\"").unwrap() + 20;
    let csrf = html[at..at + html[at..].find('"').unwrap()].to_string();
    let mut answers = BTreeMap::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let email = format!("guess-{c}-{n}@example.com");
        let r = client
            .post(format!("{base}/login"))
            .header("cookie", format!("cxloop_login={cookie}"))
            .form(&[("_csrf", csrf.as_str()), ("email", &email), ("password", "hunter2 hunter2"), ("next", "/")])
            .send()
            .await;
        let status = r.map_or(0, |r| r.status().as_u16());
        *answers.entry(status).or_insert(0) += 1;
    }
    answers
}
