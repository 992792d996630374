//! Scale-out: two `cxloop serve` processes on one PostgreSQL database, as
//! behind a load balancer. They start together on an empty database (one
//! migrates, under a lock), share sessions and idempotency keys, split the
//! job queue so that each job runs once, and a job whose process is killed
//! mid-way is taken over by the other when its lease runs out.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cxloop_store::testing::TempDatabase;
use cxloop_store::{NewJob, NewUser, Role};
use serde_json::{Value, json};
use sqlx::Connection;
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(url: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_cxloop"))
        .args(["serve", "--database-url", url, "--listen", &format!("127.0.0.1:{port}"), "--job-lease-secs", "5"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Server { child, base: format!("http://127.0.0.1:{port}") }
}

async fn wait_healthy(http: &reqwest::Client, s: &mut Server) {
    for _ in 0..200 {
        if let Ok(r) = http.get(format!("{}/healthz", s.base)).send().await
            && r.status() == 200
        {
            let v: Value = r.json().await.unwrap();
            assert_eq!(v["backend"], "postgres");
            return;
        }
        assert!(s.child.try_wait().unwrap().is_none(), "a server exited during start-up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server at {} never became healthy", s.base);
}

fn cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_string()))
}

fn hidden(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap();
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

#[test]
fn two_processes_share_one_postgres_database() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    rt.block_on(async {
        let Some(db) = TempDatabase::postgres().await else { return };
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

        // Both start at once on an empty database.
        let mut a = start(&db.url);
        let mut b = start(&db.url);
        wait_healthy(&http, &mut a).await;
        wait_healthy(&http, &mut b).await;
        let mut pg = sqlx::PgConnection::connect(&db.url).await.unwrap();
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cxloop_migrations").fetch_one(&mut pg).await.unwrap();
        assert_eq!(applied as usize, cxloop_store::migrations::MIGRATIONS.len(), "each migration applied once");

        let store = cxloop_store::open(&db.url).await.unwrap();
        let password = "two processes, one database";
        let user = store
            .create_user(&NewUser {
                email: "ops@example.com".into(),
                name: "Ops".into(),
                role: Role::Admin,
                password_hash: Some(cxloop_server::platform::auth::hash_password(password).unwrap()),
            })
            .await
            .unwrap();
        let token = cxloop_server::platform::crypto::new_token();
        store
            .create_token(user.id, "cluster", &cxloop_server::platform::crypto::sha256_hex(&token), user.role.permissions())
            .await
            .unwrap();

        // A session made through A is valid on B.
        let page = http.get(format!("{}/login", a.base)).send().await.unwrap();
        let login_cookie = cookie(&page, "cxloop_login").unwrap();
        let csrf = hidden(&page.text().await.unwrap(), "_csrf");
        let r = http
            .post(format!("{}/login", a.base))
            .header("cookie", format!("cxloop_login={login_cookie}"))
            .form(&[("_csrf", csrf.as_str()), ("email", "ops@example.com"), ("password", password), ("next", "/dashboard")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let session = cookie(&r, "cxloop_session").unwrap();
        let r = http.get(format!("{}/dashboard", b.base)).header("cookie", format!("cxloop_session={session}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "the session from A works on B");
        assert!(r.text().await.unwrap().contains("ops@example.com"));

        // One Idempotency-Key sent to both processes at once stores one response.
        let survey: Value = http
            .post(format!("{}/api/v1/surveys", a.base))
            .bearer_auth(&token)
            .json(&json!({"title": "Cluster", "status": "active", "questions": [{"key": "nps", "type": "nps", "text": "?"}]}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = survey["id"].as_str().unwrap().to_string();
        let mut sends = Vec::new();
        for i in 0..20 {
            let base = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
            let (http, id) = (http.clone(), id.clone());
            sends.push(tokio::spawn(async move {
                let r = http
                    .post(format!("{base}/api/v1/surveys/{id}/responses"))
                    .header("Idempotency-Key", "ticket-99")
                    .json(&json!({"answers": {"nps": 10}}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                let v: Value = r.json().await.unwrap();
                v["id"].as_str().unwrap().to_string()
            }));
        }
        let mut ids = HashSet::new();
        for s in sends {
            ids.insert(s.await.unwrap());
        }
        assert_eq!(ids.len(), 1, "every retry got the first result");
        assert_eq!(store.response_count(id.parse().unwrap()).await.unwrap(), 1, "stored once");

        // The queue: each job runs once, and both processes take part.
        let now = time::OffsetDateTime::now_utc();
        let mut jobs = Vec::new();
        for _ in 0..40 {
            let job = NewJob { kind: "probe".into(), payload: json!({"sleep_ms": 40}), run_at: now, max_attempts: 3 };
            jobs.push(store.enqueue(&job).await.unwrap());
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut workers = HashSet::new();
        for id in &jobs {
            loop {
                let rec = store.job(*id).await.unwrap();
                if rec.state == "done" {
                    assert_eq!(rec.attempts, 1, "claimed exactly once");
                    workers.insert(rec.finished_by.unwrap());
                    break;
                }
                assert!(Instant::now() < deadline, "jobs did not finish in time");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        let pids: HashSet<String> =
            workers.iter().map(|w| w.rsplit('-').nth(1).unwrap_or_default().to_string()).collect();
        assert_eq!(pids, HashSet::from([a.child.id().to_string(), b.child.id().to_string()]), "both processes worked");

        // A process killed mid-job: the other takes the job over after the lease.
        let slow = NewJob { kind: "probe".into(), payload: json!({"first_attempt_sleep_ms": 600_000}), run_at: now, max_attempts: 3 };
        let job = store.enqueue(&slow).await.unwrap();
        let holder = loop {
            let rec = store.job(job).await.unwrap();
            if let Some(w) = rec.locked_by {
                break w;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let (victim, survivor) = if holder.contains(&format!("-{}-", a.child.id())) { (&mut a, &b) } else { (&mut b, &a) };
        victim.child.kill().unwrap();
        victim.child.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        let rec = loop {
            let rec = store.job(job).await.unwrap();
            if rec.state == "done" {
                break rec;
            }
            assert!(Instant::now() < deadline, "the job was never taken over: {rec:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(rec.attempts, 2);
        assert!(rec.finished_by.unwrap().contains(&format!("-{}-", survivor.child.id())));
        let _ = pg.close().await;
    });
}

#[test]
fn migrate_data_moves_the_demo_to_postgres_losslessly() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let Some(pg) = TempDatabase::postgres().await else { return };
        let lite = TempDatabase::sqlite();
        let out = Command::new(env!("CARGO_BIN_EXE_cxloop"))
            .args(["demo", "--load-only", "--database-url", &lite.url])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let migrate = || {
            Command::new(env!("CARGO_BIN_EXE_cxloop"))
                .args(["migrate-data", "--from", &lite.url, "--to", &pg.url])
                .output()
                .unwrap()
        };
        let out = migrate();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let report = String::from_utf8(out.stdout).unwrap();
        assert!(report.contains("responses") && report.contains("verified"), "{report}");
        // A second run refuses to mix data into a non-empty target.
        let again = migrate();
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("already holds data"));

        // The same surveys, counts and KPIs on both sides.
        let (a, b) = (cxloop_store::open(&lite.url).await.unwrap(), cxloop_store::open(&pg.url).await.unwrap());
        let (sa, sb) = (a.list_surveys().await.unwrap(), b.list_surveys().await.unwrap());
        assert_eq!(sa.len(), 6);
        let year = cxloop_core::period::DateRange::new(
            time::OffsetDateTime::now_utc().date() - time::Duration::days(400),
            time::OffsetDateTime::now_utc().date(),
        )
        .unwrap();
        for (x, y) in sa.iter().zip(&sb) {
            assert_eq!((x.survey.id, x.responses), (y.survey.id, y.responses));
            for q in x.survey.questions.iter().filter(|q| q.kind.is_scored()) {
                assert_eq!(
                    a.score_histogram(x.survey.id, &q.key, year).await.unwrap(),
                    b.score_histogram(y.survey.id, &q.key, year).await.unwrap()
                );
            }
        }
        assert!(b.user_by_email("demo@cxloop.example").await.is_ok(), "logins move too");
        // Customers' attributes, events, segments and personas move too.
        assert!(!a.segments().await.unwrap().is_empty());
        let segs = |v: Vec<cxloop_store::Segment>| v.into_iter().map(|s| (s.id, s.expression)).collect::<Vec<_>>();
        assert_eq!(segs(a.segments().await.unwrap()), segs(b.segments().await.unwrap()));
        assert_eq!(a.personas().await.unwrap().len(), b.personas().await.unwrap().len());
        assert_eq!(a.attribute_defs().await.unwrap().len(), b.attribute_defs().await.unwrap().len());
        let c = a.customer_facts(None, 1).await.unwrap().remove(0).customer;
        assert_eq!(a.customer_events(c.id).await.unwrap().len(), b.customer_events(c.id).await.unwrap().len());
    });
}
