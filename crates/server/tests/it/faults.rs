//! Storage faults: a full disk, a database whose connections are killed, a
//! value one backend cannot store. The promise under test: a 2xx means the
//! response is committed, a failure says so, and writes resume by themselves.

use crate::helpers::{TestApp, spawn_app, spawn_app_on};
use cxloop_store::sqlite::SqliteStore;
use cxloop_store::testing::TempDatabase;
use cxloop_store::{Store, SurveyStore};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Posts `n` responses with a long comment from `clients` clients at once;
/// returns the ids acknowledged with 201 and a count of every other status.
async fn flood(app: &TestApp, survey: &str, clients: usize, n: usize) -> (Vec<Uuid>, HashMap<u16, usize>) {
    let path = format!("/api/v1/surveys/{survey}/responses");
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, url, token) = (app.client.clone(), app.url(&path), app.token.clone());
        tasks.push(tokio::spawn(async move {
            let mut ok: Vec<Uuid> = Vec::new();
            let mut other: HashMap<u16, usize> = HashMap::new();
            for i in 0..n {
                let body =
                    json!({"answers": {"nps": (c + i) % 11, "why": format!("{c}-{i} {}", "room to grow ".repeat(40))}});
                let r = client.post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
                let status = r.status().as_u16();
                let v: Value = r.json().await.unwrap_or(Value::Null);
                if status == 201 {
                    ok.push(v["id"].as_str().unwrap().parse().unwrap());
                } else {
                    assert!(v["error"]["code"].is_string(), "status {status} without the error shape: {v}");
                    *other.entry(status).or_default() += 1;
                }
            }
            (ok, other)
        }));
    }
    let mut ok = Vec::new();
    let mut other: HashMap<u16, usize> = HashMap::new();
    for t in tasks {
        let (o, e) = t.await.unwrap();
        ok.extend(o);
        for (k, v) in e {
            *other.entry(k).or_default() += v;
        }
    }
    (ok, other)
}

async fn health(app: &TestApp) -> (u16, Value) {
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Every acknowledged id is readable through `store`.
async fn all_stored(store: &dyn Store, ids: &[Uuid]) {
    for id in ids {
        store
            .get_response((*id).into())
            .await
            .unwrap_or_else(|e| panic!("acknowledged response {id} is not stored: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_sqlite_database_acknowledges_only_what_it_stored_and_recovers_without_a_restart() {
    let db = TempDatabase::sqlite();
    let path = std::path::PathBuf::from(db.url.strip_prefix("sqlite:").unwrap());
    let sqlite = SqliteStore::open(&path).await.unwrap();
    let app = spawn_app_on(Arc::new(sqlite.clone()), Some(db), |_| {}).await;
    let survey = app.create_survey("Disk").await;
    let id = survey["id"].as_str().unwrap().to_string();
    let (before, errors) = flood(&app, &id, 4, 25).await;
    assert_eq!((before.len(), errors.len()), (100, 0));
    assert_eq!(health(&app).await.0, 200);

    // The file may not grow any more: SQLite answers SQLITE_FULL.
    sqlite.set_max_pages(Some(1)).await.unwrap();
    let (during, errors) = flood(&app, &id, 8, 60).await;
    let refused: usize = errors.values().sum();
    assert!(refused > 0, "a full database refused nothing ({} acknowledged)", during.len());
    assert_eq!(errors.keys().copied().collect::<Vec<_>>(), vec![503], "refusals are 503s: {errors:?}");
    let (status, body) = health(&app).await;
    assert_eq!(status, 503, "{body}");
    assert!(body["reason"].as_str().unwrap().contains("full"), "{body}");
    // Other write paths refuse too, with the same shape.
    // (A survey of 30 long questions: larger than what space is left.)
    let questions: Vec<Value> =
        (0..30).map(|i| json!({"key": format!("q{i}"), "type": "text", "text": "d".repeat(1000)})).collect();
    let big = json!({"title": "Full", "questions": questions});
    let r = app.post_json("/api/v1/surveys", &big).await;
    assert_eq!(r.status(), 503, "{}", r.text().await.unwrap());

    // Space returns: writes resume in the same process.
    sqlite.set_max_pages(None).await.unwrap();
    let (after, errors) = flood(&app, &id, 4, 25).await;
    assert_eq!((after.len(), errors.len()), (100, 0), "{errors:?}");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(health(&app).await.0, 200);

    // What a restart sees: a second store opened on the same file.
    let reopened = SqliteStore::open(&path).await.unwrap();
    let acknowledged: Vec<Uuid> = before.iter().chain(&during).chain(&after).copied().collect();
    all_stored(&reopened, &acknowledged).await;
    let count = reopened.response_count(id.parse().unwrap()).await.unwrap();
    assert_eq!(count as usize, acknowledged.len(), "stored exactly what was acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_postgres_connections_lose_no_acknowledged_response() {
    let Some(db) = TempDatabase::postgres().await else { return };
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let admin =
        std::env::var("CXLOOP_TEST_POSTGRES").unwrap_or_else(|_| cxloop_store::testing::DEFAULT_POSTGRES.into());
    let store = cxloop_store::open(&db.url).await.unwrap();
    let app = spawn_app_on(store, Some(db), |_| {}).await;
    let survey = app.create_survey("Killed").await;
    let id = survey["id"].as_str().unwrap().to_string();
    let killer = tokio::spawn(async move {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
        let mut killed = 0i64;
        for _ in 0..6 {
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            )
            .bind(&name)
            .fetch_one(&mut conn)
            .await
            .unwrap();
            killed += n;
        }
        killed
    });
    let (acknowledged, errors) = flood(&app, &id, 8, 80).await;
    let killed = killer.await.unwrap();
    assert!(killed > 0, "no connection was killed");
    assert!(errors.keys().all(|s| *s == 503), "refusals are 503s: {errors:?}");
    // Writes resume once the pool has reconnected.
    let mut resumed = false;
    for _ in 0..50 {
        let r = app.post_json(&format!("/api/v1/surveys/{id}/responses"), &json!({"answers": {"nps": 9}})).await;
        if r.status() == 201 {
            resumed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(resumed, "writes did not resume");
    all_stored(app.store.as_ref(), &acknowledged).await;
    let count = app.store.response_count(id.parse().unwrap()).await.unwrap();
    assert_eq!(count as usize, acknowledged.len() + 1, "stored exactly what was acknowledged");
}

#[tokio::test]
async fn a_nul_character_is_refused_by_field_on_every_backend_and_spoils_nothing_else() {
    let app = spawn_app().await;
    let survey = app.create_survey("Nul").await;
    let id = survey["id"].as_str().unwrap();
    let path = format!("/api/v1/surveys/{id}/responses");
    let bad = json!({"answers": {"nps": 3, "why": "bad\u{0}byte"}});
    let (good, poisoned) = tokio::join!(flood(&app, id, 4, 20), app.post_json(&path, &bad));
    assert_eq!(good.0.len(), 80, "valid responses beside the poisoned one: {:?}", good.1);
    assert_eq!(poisoned.status(), 422);
    let err: Value = poisoned.json().await.unwrap();
    assert_eq!(err["error"]["field"], "answers.why", "{err}");
    // Anonymous page posts and other writes name their field too.
    let r = app
        .client
        .post(app.url(&format!("/s/{}", survey["slug"].as_str().unwrap())))
        .form(&[("q.nps", "9"), ("q.why", "a\u{0}b")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = app.post_json("/api/v1/surveys", &json!({"title": "T\u{0}", "questions": []})).await;
    assert_eq!(r.status(), 422);
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["field"], "title", "{err}");
    let r = app
        .client
        .put(app.url("/api/v1/customers/c-1"))
        .bearer_auth(&app.token)
        .json(&json!({"email": "a@b.c", "attributes": {"plan": "p\u{0}"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let (status, err) = app.get_json(&format!("/api/v1/surveys/{id}/comments?q=a%00b")).await;
    assert_eq!((status, err["error"]["field"].as_str()), (422, Some("q")), "{err}");
    let r = app.client.get(app.url("/s/a%00b")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(app.store.response_count(id.parse().unwrap()).await.unwrap(), 80);
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// `None` (saying so) when this process may not mount; under CI a failure.
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = std::env::temp_dir().join(format!("cxloop-disk-{}", Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(SmallDisk(dir));
        }
        let _ = std::fs::remove_dir(&dir);
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but this test cannot mount a tmpfs (it needs root)");
        }
        eprintln!("SKIPPED real disk-full test: mounting a tmpfs needs root");
        None
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir(&self.0);
    }
}

/// The fault as it happens in production: the file system has no space
/// left, so SQLite's commit itself fails (max_page_count fails a statement
/// instead). Before the writer closed a connection whose commit failed, this
/// acknowledged thousands of responses and stored none of them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_file_system_acknowledges_only_what_it_stored_and_recovers_when_space_returns() {
    let Some(disk) = SmallDisk::mount(8) else { return };
    let filler = disk.0.join("filler");
    std::fs::write(&filler, vec![0u8; 6 * 1024 * 1024]).unwrap();
    let path = disk.0.join("data/cxloop.db");
    let sqlite = SqliteStore::open(&path).await.unwrap();
    let app = spawn_app_on(Arc::new(sqlite), None, |_| {}).await;
    let survey = app.create_survey("Disk").await;
    let id = survey["id"].as_str().unwrap().to_string();
    let (during, errors) = flood(&app, &id, 8, 300).await;
    assert!(errors.get(&503).is_some_and(|n| *n > 0), "the disk never filled: {} acknowledged", during.len());
    assert_eq!(errors.len(), 1, "refusals are 503s: {errors:?}");
    // The last batches of the flood may have fitted; while the disk is
    // full, the next refusal turns the health check to 503.
    let mut more: Vec<Uuid> = Vec::new();
    let mut refused = false;
    for i in 0..200 {
        let body = json!({"answers": {"nps": 5, "why": format!("more {i} {}", "still no room ".repeat(60))}});
        let r = app.post_json(&format!("/api/v1/surveys/{id}/responses"), &body).await;
        match r.status().as_u16() {
            201 => more.push(r.json::<Value>().await.unwrap()["id"].as_str().unwrap().parse().unwrap()),
            503 => {
                refused = true;
                break;
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert!(refused, "the disk is still full, yet {} more were acknowledged", more.len());
    let (status, body) = health(&app).await;
    assert_eq!(status, 503, "{body}");

    std::fs::remove_file(&filler).unwrap();
    // With no traffic, the health check itself finds that writes work again.
    tokio::time::sleep(cxloop_store::health::HOLD + std::time::Duration::from_millis(1100)).await;
    assert_eq!(health(&app).await.0, 200);
    let (after, errors) = flood(&app, &id, 4, 25).await;
    assert_eq!((after.len(), errors.len()), (100, 0), "{errors:?}");

    let reopened = SqliteStore::open(&path).await.unwrap();
    let acknowledged: Vec<Uuid> = during.iter().chain(&more).chain(&after).copied().collect();
    all_stored(&reopened, &acknowledged).await;
    let count = reopened.response_count(id.parse().unwrap()).await.unwrap();
    assert_eq!(count as usize, acknowledged.len(), "stored exactly what was acknowledged");
    drop(reopened);
    drop(app);
}
