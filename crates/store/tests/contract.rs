//! The storage contract: every test here runs on both backends through the
//! `Store` trait, on a fresh temp SQLite file and on a freshly created,
//! uniquely named PostgreSQL database that is dropped afterwards.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use cxloop_core::answer::{AnswerValue, Answers};
use cxloop_core::period::DateRange;
use cxloop_core::{Question, QuestionType, Survey, SurveyStatus};
use cxloop_store::testing::{Backend, TempDatabase};
use cxloop_store::*;
use std::sync::Arc;
use time::macros::{date, datetime};
use uuid::Uuid;

/// Runs a contract test on SQLite and on PostgreSQL.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            async fn run(backend: Backend) {
                let Some(db) = TempDatabase::new(backend).await else { return };
                let store = open(&db.url).await.unwrap();
                super::$name(store).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    )*};
}

contract!(
    surveys_round_trip,
    responses_keep_rollups_and_idempotency,
    concurrent_inserts_are_group_committed_exactly_once,
    accounts_sessions_and_tokens,
    jobs_are_claimed_once_and_leases_expire,
    failed_jobs_retry_then_give_up,
    text_analyses_and_theme_aggregates,
    customers_attributes_events_and_segments,
    personas_with_pictures_and_segments,
    invitations_honour_unsubscribes_and_the_contact_rule,
    hooks_record_each_event_once_and_widgets_keep_their_origins,
    imported_items_are_known_by_source_and_id,
    lifecycle_events_are_written_in_bulk_by_external_id,
    a_batch_applies_each_customers_details_in_order,
    saved_segments_keep_exact_members,
    the_store_evaluates_expressions_as_the_facts_do,
);

fn survey(slug: &str) -> Survey {
    let q = |key: &str, kind| Question::new(key, kind, "?");
    Survey {
        id: cxloop_core::ids::SurveyId::new(),
        slug: slug.into(),
        title: "Relationship NPS".into(),
        description: None,
        touchpoint: Some("quarterly check-in".into()),
        thank_you: None,
        status: SurveyStatus::Active,
        questions: vec![q("nps", QuestionType::Nps), q("why", QuestionType::Text)],
        created_at: datetime!(2026-01-01 0:00 UTC),
        updated_at: datetime!(2026-01-01 0:00 UTC),
    }
}

fn response(
    s: &Survey,
    score: i32,
    at: time::OffsetDateTime,
    text: Option<&str>,
    customer: Option<&str>,
) -> NewResponse {
    let mut answers = Answers::new();
    answers.insert("nps".into(), AnswerValue::Score(score));
    if let Some(t) = text {
        answers.insert("why".into(), AnswerValue::Text(t.into()));
    }
    NewResponse {
        id: Uuid::now_v7().into(),
        survey: s.clone(),
        customer: customer.map(|c| CustomerRef {
            external_id: c.into(),
            name: None,
            email: None,
            attributes: Default::default(),
        }),
        submitted_at: at,
        channel: "api".into(),
        answers,
        touchpoint: None,
        context: None,
    }
}

async fn surveys_round_trip(store: Arc<dyn Store>) {
    let s = survey("rel-nps");
    store.create_survey(&s).await.unwrap();
    assert_eq!(store.get_survey(s.id).await.unwrap(), s);
    assert_eq!(store.get_survey_by_slug("rel-nps").await.unwrap().id, s.id);
    let dup = survey("rel-nps");
    assert!(matches!(store.create_survey(&dup).await, Err(StoreError::Conflict { what: "slug" })));
    let mut edited = s.clone();
    edited.status = SurveyStatus::Closed;
    store.update_survey(&edited).await.unwrap();
    assert_eq!(store.get_survey(s.id).await.unwrap().status, SurveyStatus::Closed);
    assert!(matches!(store.get_survey(cxloop_core::ids::SurveyId::new()).await, Err(StoreError::NotFound)));
    assert_eq!(store.list_surveys().await.unwrap().len(), 1);
}

async fn responses_keep_rollups_and_idempotency(store: Arc<dyn Store>) {
    let s = survey("support-csat");
    store.create_survey(&s).await.unwrap();
    let key = Idempotency { key: "k1".into(), request_hash: "h1".into() };
    let first = response(&s, 10, datetime!(2026-03-02 10:00 UTC), Some("Great <b>support</b>"), Some("cust-1"));
    let Inserted::Created(a) = store.insert_response(&first, Some(&key)).await.unwrap() else { panic!("not created") };
    let retry = response(&s, 10, datetime!(2026-03-02 10:00 UTC), Some("Great <b>support</b>"), Some("cust-1"));
    let Inserted::Replayed(b) = store.insert_response(&retry, Some(&key)).await.unwrap() else {
        panic!("not replayed")
    };
    assert_eq!(a.id, b.id);
    let other = Idempotency { key: "k1".into(), request_hash: "different".into() };
    assert!(matches!(store.insert_response(&retry, Some(&other)).await, Err(StoreError::Conflict { .. })));

    let later = vec![
        response(&s, 3, datetime!(2026-03-02 23:59 UTC), Some("Too slow"), None),
        response(&s, 8, datetime!(2026-03-05 09:00 UTC), None, Some("cust-1")),
        response(&s, 9, datetime!(2026-04-01 09:00 UTC), None, None),
    ];
    assert_eq!(store.insert_responses(&later).await.unwrap(), 3);

    let march = DateRange::new(date!(2026 - 03 - 01), date!(2026 - 03 - 31)).unwrap();
    let h = store.score_histogram(s.id, "nps", march).await.unwrap();
    assert_eq!(h.n(), 3, "the replay stored nothing and April is outside");
    assert_eq!((h.get(10), h.get(3), h.get(8)), (1, 1, 1));
    let days = store.daily_scores(s.id, "nps", march).await.unwrap();
    assert_eq!(days.iter().filter(|d| d.day == date!(2026 - 03 - 02)).map(|d| d.count).sum::<u64>(), 2);

    let summary = &store.list_surveys().await.unwrap()[0];
    assert_eq!(summary.responses, 4);

    // Paging in both orders with a cursor.
    let mut q =
        ResponseQuery { survey_id: s.id, window: TimeWindow::default(), after: None, newest_first: false, limit: 3 };
    let page1 = store.list_responses(&q).await.unwrap();
    assert_eq!(page1.len(), 3);
    assert_eq!(page1[0].customer_external_id.as_deref(), Some("cust-1"));
    let last = page1.last().unwrap();
    q.after = Some((last.submitted_at, last.id));
    let page2 = store.list_responses(&q).await.unwrap();
    assert_eq!(page2.len(), 1);
    assert_eq!(page2[0].submitted_at, datetime!(2026-04-01 09:00 UTC));
    q.after = None;
    q.newest_first = true;
    q.window = TimeWindow { from: Some(datetime!(2026-03-02 12:00 UTC)), to: Some(datetime!(2026-04-01 09:00 UTC)) };
    let windowed = store.list_responses(&q).await.unwrap();
    assert_eq!(windowed.len(), 2, "from is inclusive, to is exclusive");
    assert_eq!(windowed[0].submitted_at, datetime!(2026-03-05 09:00 UTC));

    let comments = store.latest_comments(Some(s.id), &TimeWindow::default(), 10).await.unwrap();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0].body, "Too slow");
    assert_eq!(comments[0].score, Some(3));
    assert_eq!(comments[1].body, "Great <b>support</b>", "stored verbatim; escaping is the page's job");
    assert_eq!(store.count_customers().await.unwrap(), 1);
}

async fn concurrent_inserts_are_group_committed_exactly_once(store: Arc<dyn Store>) {
    let s = survey("burst");
    store.create_survey(&s).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..300 {
        let store = store.clone();
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            // Every third request shares one of ten keys with others.
            let idem =
                (i % 3 == 0).then(|| Idempotency { key: format!("k{}", i % 10), request_hash: format!("h{}", i % 10) });
            let r = response(&s, i % 11, datetime!(2026-06-01 12:00 UTC), Some("burst"), Some(&format!("c{}", i % 7)));
            store.insert_response(&r, idem.as_ref()).await.unwrap()
        }));
    }
    let mut created = 0;
    let mut by_key: std::collections::HashMap<String, std::collections::HashSet<cxloop_core::ids::ResponseId>> =
        Default::default();
    for (i, t) in tasks.into_iter().enumerate() {
        let (Inserted::Created(r) | Inserted::Replayed(r)) = t.await.unwrap();
        if i % 3 == 0 {
            by_key.entry(format!("k{}", i % 10)).or_default().insert(r.id);
        }
        created += 1;
    }
    assert_eq!(created, 300);
    assert!(by_key.values().all(|ids| ids.len() == 1), "one response per idempotency key");
    // 200 without a key + one per key (10 keys).
    assert_eq!(store.response_count(s.id).await.unwrap(), 210);
    let june = DateRange::new(date!(2026 - 06 - 01), date!(2026 - 06 - 01)).unwrap();
    assert_eq!(store.score_histogram(s.id, "nps", june).await.unwrap().n(), 210, "the rollup agrees with the rows");
    assert_eq!(store.count_customers().await.unwrap(), 7);
}

async fn accounts_sessions_and_tokens(store: Arc<dyn Store>) {
    let new = NewUser {
        email: "cx@example.com".into(),
        name: "CX lead".into(),
        role: Role::Admin,
        password_hash: Some("h".into()),
    };
    let u = store.create_user(&new).await.unwrap();
    assert!(matches!(store.create_user(&new).await, Err(StoreError::Conflict { what: "email" })));
    assert_eq!(store.user_by_email("cx@example.com").await.unwrap().password_hash.as_deref(), Some("h"));
    let now = datetime!(2026-05-01 12:00 UTC);
    store
        .create_session(&NewSession {
            id_hash: "s1".into(),
            user_id: u.id,
            csrf: "c1".into(),
            expires_at: now + time::Duration::hours(1),
        })
        .await
        .unwrap();
    let (who, info) = store.session("s1", now).await.unwrap();
    assert_eq!((who.id, info.csrf.as_str()), (u.id, "c1"));
    assert!(matches!(store.session("s1", now + time::Duration::hours(2)).await, Err(StoreError::NotFound)));
    assert_eq!(store.purge_sessions(now + time::Duration::hours(2)).await.unwrap(), 1);
    let scopes = Permissions::parse_scopes("read surveys").unwrap();
    let tok = store.create_token(u.id, "ci", "tokhash", scopes).await.unwrap();
    let (who, got) = store.user_by_token("tokhash").await.unwrap();
    assert_eq!((who.email.as_str(), got), ("cx@example.com", scopes));
    assert!(matches!(store.user_by_token("nope").await, Err(StoreError::NotFound)));

    // Roles, deactivation and the last admin.
    assert!(matches!(
        store.update_user(u.id, UserChange::Role(Role::Viewer), "admin@test").await,
        Err(StoreError::Conflict { what: "last_admin" })
    ));
    assert!(matches!(
        store.update_user(u.id, UserChange::Active(false), "admin@test").await,
        Err(StoreError::Conflict { .. })
    ));
    assert!(matches!(store.delete_user(u.id, "admin@test").await, Err(StoreError::Conflict { what: "last_admin" })));
    let agent = store
        .create_user(&NewUser {
            email: "agent@example.com".into(),
            name: "Agent".into(),
            role: Role::Agent,
            password_hash: None,
        })
        .await
        .unwrap();
    store.create_token(agent.id, "agent", "agenthash", Permissions::read_only()).await.unwrap();
    store
        .create_session(&NewSession {
            id_hash: "s2".into(),
            user_id: agent.id,
            csrf: "c2".into(),
            expires_at: now + time::Duration::hours(1),
        })
        .await
        .unwrap();
    let off = store.update_user(agent.id, UserChange::Active(false), "admin@test").await.unwrap();
    assert!(!off.active);
    assert!(matches!(store.session("s2", now).await, Err(StoreError::NotFound)), "deactivation ends sessions");
    assert!(matches!(store.user_by_token("agenthash").await, Err(StoreError::NotFound)), "and stops its tokens");
    assert!(!store.user_by_email("agent@example.com").await.unwrap().user.active);
    assert!(store.update_user(agent.id, UserChange::Active(true), "admin@test").await.unwrap().active);
    assert!(store.user_by_token("agenthash").await.is_ok(), "a reactivated account's tokens work again");
    // With a second admin the first may step down, and the second may not.
    assert_eq!(
        store.update_user(agent.id, UserChange::Role(Role::Admin), "admin@test").await.unwrap().role,
        Role::Admin
    );
    assert_eq!(
        store.update_user(u.id, UserChange::Role(Role::Analyst), "admin@test").await.unwrap().role,
        Role::Analyst
    );
    assert!(matches!(
        store.delete_user(agent.id, "admin@test").await,
        Err(StoreError::Conflict { what: "last_admin" })
    ));
    // Tokens: listed newest first without secrets, revoked by their owner only.
    let all = store.list_tokens(None).await.unwrap();
    assert_eq!(all.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["agent", "ci"]);
    assert_eq!(store.list_tokens(Some(u.id)).await.unwrap().len(), 1);
    assert!(matches!(store.delete_token(tok, Some(agent.id)).await, Err(StoreError::NotFound)));
    store.delete_token(tok, Some(u.id)).await.unwrap();
    assert!(matches!(store.user_by_token("tokhash").await, Err(StoreError::NotFound)));
    assert!(matches!(store.delete_token(tok, None).await, Err(StoreError::NotFound)));
    // Removing an account takes its tokens with it.
    store.update_user(u.id, UserChange::Role(Role::Admin), "admin@test").await.unwrap();
    store.delete_user(agent.id, "admin@test").await.unwrap();
    assert!(matches!(store.user_by_token("agenthash").await, Err(StoreError::NotFound)));
    assert!(store.list_tokens(None).await.unwrap().is_empty());
    assert_eq!(store.list_users().await.unwrap().len(), 1);
    let audited: Vec<String> = store.audit_log(50).await.unwrap().iter().map(|e| e.action.clone()).collect();
    assert!(
        audited.iter().filter(|a| *a == "user.active").count() == 2 && audited.contains(&"user.remove".to_string())
    );
    assert_eq!(audited.iter().filter(|a| *a == "user.role").count(), 3, "refused changes leave no entry: {audited:?}");
    assert_eq!(store.setting_or_init("secret", "a").await.unwrap(), "a");
    assert_eq!(store.setting_or_init("secret", "b").await.unwrap(), "a", "first writer wins");
}

/// migrate-data reads tables, columns and types from the live schema; the
/// copy order is the one thing declared (`transfer::ORDER`). It must name
/// every table, and put each after the tables its foreign keys reference,
/// or a copy would fail half-way.
#[tokio::test]
async fn the_transfer_order_covers_the_schema_parents_first() {
    let db = TempDatabase::sqlite();
    let store = sqlite::SqliteStore::open(std::path::Path::new(db.url.trim_start_matches("sqlite:"))).await.unwrap();
    let schema = store.schema().await.unwrap();
    let tables = cxloop_store::transfer::tables(&schema).unwrap();
    assert_eq!(tables.len(), schema.tables.len(), "every table is copied");
    let path = db.url.trim_start_matches("sqlite:");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await.unwrap();
    let order = cxloop_store::transfer::ORDER;
    for (i, t) in order.iter().enumerate() {
        let parents: Vec<String> = sqlx::query_scalar("SELECT \"table\" FROM pragma_foreign_key_list($1)")
            .bind(t)
            .fetch_all(&pool)
            .await
            .unwrap();
        for p in parents.iter().filter(|p| p.as_str() != *t) {
            let at = order.iter().position(|o| o == p).unwrap_or(usize::MAX);
            assert!(at < i, "{t} references {p}, which ORDER puts after it");
        }
    }
    let users = tables.iter().find(|t| t.name == "users").unwrap();
    assert_eq!(users.key(), "id");
    let scores = tables.iter().find(|t| t.name == "score_daily").unwrap();
    assert_eq!(scores.key_len, 4, "a composite key is read from the schema");
}

/// Both backends' migrations make the same schema: the same tables and
/// columns, the same types (TEXT, 64-bit integers,
/// doubles), nullability, primary keys and indexes. A migration written for
/// one backend and not the other, or with a different type, fails here.
#[tokio::test]
async fn both_backends_migrate_to_the_same_schema() {
    let Some(pg) = TempDatabase::postgres().await else { return };
    let lite = TempDatabase::sqlite();
    let lite = sqlite::SqliteStore::open(std::path::Path::new(lite.url.trim_start_matches("sqlite:"))).await.unwrap();
    let pgs = postgres::PgStore::connect(&pg.url).await.unwrap();
    let (a, b) = (lite.schema().await.unwrap(), pgs.schema().await.unwrap());
    assert!(a.tables.len() >= 25, "read {} tables", a.tables.len());
    assert!(a.indexes.len() >= 10, "read {} indexes", a.indexes.len());
    let differences = a.differences(&b);
    assert!(differences.is_empty(), "SQLite and PostgreSQL schemas differ: {differences:#?}");
}

/// migrate-data refuses two databases whose schemas differ (an older
/// cxloop on one side, a hand-made column on the other) before it copies
/// anything, naming the difference.
#[tokio::test]
async fn migrate_data_refuses_databases_whose_schemas_differ() {
    use cxloop_store::transfer::{Endpoint, copy_all};
    let Some(pg) = TempDatabase::postgres().await else { return };
    let lite = TempDatabase::sqlite();
    let from = Endpoint::open(&lite.url).await.unwrap();
    let to = Endpoint::open(&pg.url).await.unwrap();
    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(&pg.url).await.unwrap();
    sqlx::raw_sql("ALTER TABLE customers ADD COLUMN nickname TEXT").execute(&mut c).await.unwrap();
    let err = copy_all(&from, &to, |_, _| {}).await.unwrap_err().to_string();
    assert!(err.contains("schemas differ") && err.contains("customers.nickname"), "{err}");
}

#[tokio::test]
async fn unknown_url_schemes_are_refused() {
    let err = open("mysql://localhost/db").await.err().unwrap();
    assert!(err.to_string().contains("mysql"));
}

fn job(kind: &str, run_at: time::OffsetDateTime, max_attempts: u32) -> NewJob {
    NewJob { kind: kind.into(), payload: serde_json::json!({"n": 1}), run_at, max_attempts }
}

async fn jobs_are_claimed_once_and_leases_expire(store: Arc<dyn Store>) {
    let now = time::OffsetDateTime::now_utc();
    let lease = time::Duration::seconds(30);
    let mut ids = std::collections::HashSet::new();
    for _ in 0..40 {
        ids.insert(store.enqueue(&job("probe", now - time::Duration::seconds(1), 3)).await.unwrap());
    }
    let later = store.enqueue(&job("probe", now + time::Duration::hours(1), 3)).await.unwrap();
    // Eight workers race for the jobs: each is claimed exactly once.
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(j) = store.claim_job(&format!("w{w}"), now, lease).await.unwrap() {
                assert_eq!(j.attempts, 1);
                assert!(store.complete_job(j.id, &format!("w{w}"), now).await.unwrap());
                got.push(j.id);
            }
            got
        }));
    }
    let mut claimed = Vec::new();
    for t in tasks {
        claimed.extend(t.await.unwrap());
    }
    assert_eq!(claimed.len(), 40, "every due job claimed");
    assert_eq!(claimed.iter().collect::<std::collections::HashSet<_>>().len(), 40, "none twice");
    assert!(!claimed.contains(&later), "jobs not yet due wait");
    assert_eq!(store.job(claimed[0]).await.unwrap().state, "done");

    // A worker that dies keeps its lease only until it runs out.
    let id = store.enqueue(&job("probe", now, 3)).await.unwrap();
    let first = store.claim_job("dies", now, lease).await.unwrap().unwrap();
    assert_eq!(first.id, id);
    assert!(store.claim_job("other", now + time::Duration::seconds(10), lease).await.unwrap().is_none());
    let again = store.claim_job("other", now + time::Duration::seconds(31), lease).await.unwrap().unwrap();
    assert_eq!((again.id, again.attempts), (id, 2));
    assert!(!store.complete_job(id, "dies", now).await.unwrap(), "the old worker lost it");
    assert!(store.complete_job(id, "other", now).await.unwrap());
    let rec = store.job(id).await.unwrap();
    assert_eq!((rec.state.as_str(), rec.attempts, rec.finished_by.as_deref()), ("done", 2, Some("other")));
}

async fn failed_jobs_retry_then_give_up(store: Arc<dyn Store>) {
    let now = time::OffsetDateTime::now_utc();
    let lease = time::Duration::seconds(30);
    let id = store.enqueue(&job("probe", now, 2)).await.unwrap();
    let j = store.claim_job("w", now, lease).await.unwrap().unwrap();
    store.fail_job(j.id, "w", "boom", now + time::Duration::seconds(4)).await.unwrap();
    assert!(store.claim_job("w", now + time::Duration::seconds(1), lease).await.unwrap().is_none(), "backoff");
    let j = store.claim_job("w", now + time::Duration::seconds(5), lease).await.unwrap().unwrap();
    assert_eq!(j.attempts, 2);
    store.fail_job(j.id, "w", "boom again", now + time::Duration::seconds(20)).await.unwrap();
    let rec = store.job(id).await.unwrap();
    assert_eq!((rec.state.as_str(), rec.attempts, rec.last_error.as_deref()), ("failed", 2, Some("boom again")));
    assert!(store.claim_job("w", now + time::Duration::hours(1), lease).await.unwrap().is_none());
}

async fn text_analyses_and_theme_aggregates(store: Arc<dyn Store>) {
    let s = survey("texts");
    store.create_survey(&s).await.unwrap();
    assert!(store.current_taxonomy().await.unwrap().is_none());
    let v1 = store.init_taxonomy(&serde_json::json!({"themes": []})).await.unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(
        store.init_taxonomy(&serde_json::json!({"other": 1})).await.unwrap().taxonomy,
        serde_json::json!({"themes": []})
    );
    let v2 =
        store.save_taxonomy(&serde_json::json!({"themes": [1]}), Some("added"), Some("cx@example.com")).await.unwrap();
    assert_eq!((v2.version, v2.note.as_deref()), (2, Some("added")));
    assert_eq!(store.current_taxonomy().await.unwrap().unwrap().version, 2);
    assert_eq!(store.taxonomy(1).await.unwrap().version, 1);

    let at = datetime!(2026-05-05 10:00 UTC);
    let rs = vec![
        response(&s, 10, at, Some("Fast support"), Some("cust-fast")),
        response(&s, 2, at, Some("Slow support and rude"), Some("cust-slow")),
        response(&s, 9, at, None, None),
        response(&s, 3, at + time::Duration::days(1), Some("Billing was wrong"), None),
    ];
    store.insert_responses(&rs).await.unwrap();
    let todo = store.unanalysed_texts(10).await.unwrap();
    assert_eq!(todo.len(), 3);
    assert_eq!(store.analysis_progress().await.unwrap(), (3, 0));
    let analyse = |t: &TextRow, sentiment: f64, themes: &[&str]| TextAnalysis {
        response_id: t.response_id,
        question_key: t.question_key.clone(),
        survey_id: t.survey_id,
        submitted_at: t.submitted_at,
        language: "en".into(),
        label: if sentiment > 0.0 { "positive".into() } else { "negative".into() },
        sentiment,
        reasons: serde_json::json!([]),
        themes: themes.iter().map(|t| t.to_string()).collect(),
    };
    let by_body = |b: &str| todo.iter().find(|t| t.body == b).unwrap();
    let batch = vec![
        analyse(by_body("Fast support"), 0.8, &["support", "speed"]),
        analyse(by_body("Slow support and rude"), -0.9, &["support", "speed"]),
        analyse(by_body("Billing was wrong"), -0.6, &["billing"]),
    ];
    store.save_analyses(2, &batch).await.unwrap();
    store.save_analyses(2, &batch[..1]).await.unwrap();
    assert_eq!(store.analysis_progress().await.unwrap(), (3, 3), "saving twice keeps one analysis");
    assert!(store.unanalysed_texts(10).await.unwrap().is_empty());
    // A second analysis of a text (another process was first) changes nothing: not its tags either.
    store.save_analyses(2, &[analyse(by_body("Fast support"), -1.0, &["billing"])]).await.unwrap();

    let all = TimeWindow::default();
    let mut vols = store.theme_volumes(2, s.id, &all).await.unwrap();
    vols.sort_by(|a, b| a.theme.cmp(&b.theme));
    assert_eq!(vols.len(), 3);
    assert_eq!((vols[2].theme.as_str(), vols[2].mentions), ("support", 2));
    assert!((vols[2].avg_sentiment - (-0.05)).abs() < 1e-9);
    let mut counts = store.theme_score_counts(2, s.id, &all).await.unwrap();
    counts.sort();
    assert_eq!(counts[0], ("billing".to_string(), Some(3), 1));
    let mut base = store.headline_counts(s.id, &all).await.unwrap();
    base.sort();
    assert_eq!(base, vec![(Some(2), 1), (Some(3), 1), (Some(9), 1), (Some(10), 1)]);
    let days = store.theme_days(2, s.id, &all).await.unwrap();
    assert!(days.contains(&("billing".to_string(), "2026-05-06".to_string(), 1)));
    let worst = store.theme_examples(2, s.id, &all, "support", true, 1).await.unwrap();
    assert_eq!((worst[0].body.as_str(), worst[0].score), ("Slow support and rude", Some(2)));
    assert!(store.theme_score_counts(1, s.id, &all).await.unwrap().is_empty(), "versions are separate");

    // The raw rows behind a segment cut: one per (theme, text), with the customer and score.
    let mentions = store.theme_mentions(2, s.id, &all).await.unwrap();
    assert_eq!(mentions.len(), 5);
    let slow = store.customer_by_external_id("cust-slow").await.unwrap().id;
    let of_slow: Vec<&ThemeMention> = mentions.iter().filter(|m| m.customer_id == Some(slow)).collect();
    assert_eq!(of_slow.len(), 2);
    let slow_responses = store.customer_responses(slow, 1000).await.unwrap().len() as u64;
    assert!(slow_responses > 0);
    assert_eq!(store.customer_response_count(slow).await.unwrap(), slow_responses, "the count agrees with the rows");
    assert!(of_slow.iter().all(|m| m.score == Some(2) && (m.sentiment + 0.9).abs() < 1e-9));
    let fast = store.customer_by_external_id("cust-fast").await.unwrap().id;
    assert_eq!(
        store.theme_counts_of(2, &[slow, fast]).await.unwrap(),
        vec![("speed".to_string(), 2), ("support".to_string(), 2)],
        "themes among these customers' responses"
    );
    assert_eq!(store.theme_counts_of(2, &[slow]).await.unwrap().len(), 2);
    assert!(store.theme_counts_of(1, &[slow]).await.unwrap().is_empty());
    assert!(mentions.iter().any(|m| m.theme == "billing" && m.customer_id.is_none() && m.score == Some(3)));
    let mut by_customer = store.headline_counts_by_customer(s.id, &all).await.unwrap();
    by_customer.sort();
    assert_eq!(by_customer.iter().filter(|(c, _, _)| c.is_none()).map(|r| r.2).sum::<u64>(), 2);
    assert!(by_customer.contains(&(Some(slow), Some(2), 1)));
    let bodies = store
        .text_bodies(&[(of_slow[0].response_id, "why".to_string()), (of_slow[0].response_id, "other".to_string())])
        .await
        .unwrap();
    assert_eq!(bodies, vec![(of_slow[0].response_id, "why".to_string(), "Slow support and rude".to_string())]);

    // Re-tagging under a new version leaves the old version's tags alone.
    let texts = store.texts_after(None, 2).await.unwrap();
    let rest = store.texts_after(Some((texts[1].response_id, texts[1].question_key.clone())), 10).await.unwrap();
    assert_eq!(texts.len() + rest.len(), 3);
    let v3 = store.save_taxonomy(&serde_json::json!({"themes": [2]}), None, None).await.unwrap();
    let retag: Vec<(TextRow, Vec<String>)> =
        texts.into_iter().chain(rest).map(|t| (t, vec!["everything".to_string()])).collect();
    store.save_themes(v3.version, &retag).await.unwrap();
    assert_eq!(store.theme_volumes(3, s.id, &all).await.unwrap()[0].mentions, 3);
    assert_eq!(store.theme_volumes(2, s.id, &all).await.unwrap().len(), 3);
    store.save_themes(v3.version, &retag).await.unwrap();
    assert_eq!(store.theme_volumes(3, s.id, &all).await.unwrap()[0].mentions, 3, "re-tagging twice changes nothing");
    assert_eq!(store.taxonomy_versions().await.unwrap().iter().map(|v| v.version).collect::<Vec<_>>(), vec![3, 2, 1]);

    // Comments no theme of version 2 covers: none; under an empty version 4: all three.
    assert!(store.uncovered_texts(2, Some(s.id), &all, 10).await.unwrap().is_empty());
    assert_eq!(store.uncovered_texts(4, None, &all, 10).await.unwrap().len(), 3);

    // The comment explorer's filters.
    let f = |theme: Option<&str>, label: Option<&str>, contains: Option<&str>, max_score: Option<i32>| CommentFilter {
        survey_id: Some(s.id),
        theme: theme.map(Into::into),
        version: 2,
        label: label.map(Into::into),
        contains: contains.map(Into::into),
        max_score,
        limit: 50,
        channel: None,
        ..Default::default()
    };
    let hits = store.search_comments(&f(Some("support"), None, None, None)).await.unwrap();
    assert_eq!(hits.len(), 2);
    assert!(hits.iter().all(|c| c.themes.contains(&"support".to_string())));
    assert_eq!(store.search_comments(&f(None, Some("negative"), None, None)).await.unwrap().len(), 2);
    let by = |channel: &str| CommentFilter { channel: Some(channel.into()), ..f(None, None, None, None) };
    let api = store.search_comments(&by("api")).await.unwrap();
    assert_eq!((api.len(), api[0].channel.as_str()), (3, "api"));
    assert!(store.search_comments(&by("email")).await.unwrap().is_empty());
    let rude = store.search_comments(&f(None, None, Some("RUDE"), None)).await.unwrap();
    assert_eq!((rude.len(), rude[0].score, rude[0].label.as_deref()), (1, Some(2), Some("negative")));
    assert_eq!(
        store.search_comments(&f(None, None, Some("100%_"), None)).await.unwrap().len(),
        0,
        "wildcards are literal"
    );
    assert_eq!(store.search_comments(&f(None, None, None, Some(3))).await.unwrap().len(), 2);
}

async fn customers_attributes_events_and_segments(store: Arc<dyn Store>) {
    use cxloop_core::customer::{AttrType, AttributeDef};
    let plan = AttributeDef {
        key: "plan".into(),
        label: "Plan".into(),
        kind: AttrType::OneOf { options: vec!["starter".into(), "pro".into()] },
    };
    store.put_attribute_def(&plan).await.unwrap();
    store
        .put_attribute_def(&AttributeDef { key: "plan".into(), label: "Plan tier".into(), ..plan.clone() })
        .await
        .unwrap();
    let defs = store.attribute_defs().await.unwrap();
    assert_eq!((defs.len(), defs[0].label.as_str()), (1, "Plan tier"));

    let c = |id: &str, plan: &str| CustomerRef {
        external_id: id.into(),
        name: Some(format!("Company {id}")),
        email: None,
        attributes: serde_json::json!({"plan": plan}).as_object().unwrap().clone(),
    };
    assert_eq!(store.upsert_customers(&[c("a", "pro"), c("b", "starter"), c("c", "pro")]).await.unwrap(), 3);
    assert_eq!(store.count_customers().await.unwrap(), 3);
    let s = survey("facts");
    store.create_survey(&s).await.unwrap();
    store
        .insert_responses(&[
            response(&s, 3, datetime!(2026-01-01 0:00 UTC), None, Some("a")),
            response(&s, 9, datetime!(2026-02-01 0:00 UTC), None, Some("a")),
        ])
        .await
        .unwrap();
    let a = store.customer_by_external_id("a").await.unwrap();
    store.add_customer_event(a.id, Lifecycle::SignedUp, datetime!(2025-01-01 0:00 UTC), None).await.unwrap();
    store.add_customer_event(a.id, Lifecycle::Renewed, datetime!(2026-01-01 0:00 UTC), Some("2 years")).await.unwrap();
    assert_eq!(
        store.customer_events(a.id).await.unwrap().iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        vec!["signed_up", "renewed"]
    );
    let facts = store.customer_facts(None, 2).await.unwrap();
    assert_eq!(facts.len(), 2);
    assert_eq!((facts[0].customer.external_id.as_str(), facts[0].responses, facts[0].last_nps), ("a", 2, Some(9)));
    assert_eq!(facts[0].stage.as_deref(), Some("renewed"));
    assert_eq!(facts[1].last_nps, None);
    let rest = store.customer_facts(Some("b"), 10).await.unwrap();
    assert_eq!(rest.len(), 1);
    let one = store.customer_fact("a").await.unwrap();
    assert_eq!((one.responses, one.last_nps, one.stage.as_deref()), (2, Some(9), Some("renewed")));
    assert!(matches!(store.customer_fact("nobody").await, Err(StoreError::NotFound)));

    // Value points: a JSON number (integer or not) counts, text or a missing
    // value does not; customers with neither a value nor an NPS answer are left out.
    let seats = |id: &str, v: serde_json::Value| CustomerRef {
        external_id: id.into(),
        name: None,
        email: None,
        attributes: serde_json::json!({"seats": v}).as_object().unwrap().clone(),
    };
    store
        .upsert_customers(&[
            seats("a", serde_json::json!(12)),
            seats("b", serde_json::json!(2.5)),
            seats("c", serde_json::json!("40")),
        ])
        .await
        .unwrap();
    let mut points: Vec<_> = store
        .value_points("seats")
        .await
        .unwrap()
        .into_iter()
        .map(|(id, v, s)| (facts_id(&facts, &rest, id), v, s))
        .collect();
    points.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(points, vec![("a".to_string(), Some(12.0), Some(9)), ("b".to_string(), Some(2.5), None)]);
    assert_eq!(store.value_points("plan").await.unwrap().len(), 1, "text is no number: only a, by its answer");

    let seg = store.create_segment("Pro", r#"plan = "pro""#, Some("paying more")).await.unwrap();
    assert!(matches!(store.create_segment("Pro", "x = 1", None).await, Err(StoreError::Conflict { what: "name" })));
    let seg = store.update_segment(seg.id, "Pro plans", r#"plan = "pro""#, None).await.unwrap();
    assert_eq!(store.segments().await.unwrap()[0].name, "Pro plans");
    store.delete_segment(seg.id).await.unwrap();
    assert!(matches!(store.segment(seg.id).await, Err(StoreError::NotFound)));
}

/// A customer's external id, from facts read before.
fn facts_id(a: &[CustomerFacts], b: &[CustomerFacts], id: cxloop_core::ids::CustomerId) -> String {
    a.iter().chain(b).find(|f| f.customer.id == id).map(|f| f.customer.external_id.clone()).unwrap()
}

async fn personas_with_pictures_and_segments(store: Arc<dyn Store>) {
    let seg = store.create_segment("Enterprise", r#"plan = "enterprise""#, None).await.unwrap();
    let p = Persona {
        id: cxloop_core::ids::PersonaId::nil(),
        name: "Operations lead".into(),
        description: "Runs the rollout".into(),
        goals: "Uptime".into(),
        pain_points: "Outages".into(),
        initials: "OL".into(),
        segment_id: Some(seg.id),
        has_picture: false,
    };
    let saved = store.save_persona(&p).await.unwrap();
    assert!(!saved.id.is_nil());
    assert!(matches!(store.save_persona(&p).await, Err(StoreError::Conflict { what: "name" })));
    let renamed = store.save_persona(&Persona { name: "Head of operations".into(), ..saved.clone() }).await.unwrap();
    assert_eq!(store.personas().await.unwrap()[0].name, "Head of operations");
    assert!(store.persona_picture(renamed.id).await.unwrap().is_none());
    store.set_persona_picture(renamed.id, Some(("image/png", "iVBORw0KGgo="))).await.unwrap();
    assert!(store.personas().await.unwrap()[0].has_picture);
    // Saving says what the store holds, whatever the caller claimed.
    let claimed = Persona { has_picture: false, ..renamed.clone() };
    assert!(store.save_persona(&claimed).await.unwrap().has_picture, "a saved persona keeps its picture");
    let fresh =
        Persona { name: "Analyst".into(), id: cxloop_core::ids::PersonaId::nil(), has_picture: true, ..p.clone() };
    let fresh = store.save_persona(&fresh).await.unwrap();
    assert!(!fresh.has_picture, "a new persona has no picture");
    store.delete_persona(fresh.id).await.unwrap();
    assert_eq!(
        store.persona_picture(renamed.id).await.unwrap(),
        Some(("image/png".to_string(), "iVBORw0KGgo=".to_string()))
    );
    store.set_persona_picture(renamed.id, None).await.unwrap();
    assert!(!store.personas().await.unwrap()[0].has_picture);
    assert!(matches!(
        store.set_persona_picture(cxloop_core::ids::PersonaId::new(), None).await,
        Err(StoreError::NotFound)
    ));
    // Deleting the segment unlinks it; deleting the persona removes it.
    store.delete_segment(seg.id).await.unwrap();
    assert_eq!(store.personas().await.unwrap()[0].segment_id, None);
    store.delete_persona(renamed.id).await.unwrap();
    assert!(store.personas().await.unwrap().is_empty());
    assert!(matches!(store.persona_picture(renamed.id).await, Err(StoreError::NotFound)));
}

async fn invitations_honour_unsubscribes_and_the_contact_rule(store: Arc<dyn Store>) {
    let s = survey("invite");
    store.create_survey(&s).await.unwrap();
    let other = survey("invite-2");
    store.create_survey(&other).await.unwrap();
    let now = datetime!(2026-06-01 9:00 UTC);
    let inv = |email: &str, token: &str| NewInvitation {
        id: Uuid::now_v7().into(),
        token: token.into(),
        email: email.into(),
        customer_id: None,
        context: Some(serde_json::json!({"ticket": "T-1"}).as_object().unwrap().clone()),
        max_reminders: 1,
        reminder_days: 3,
    };
    store.unsubscribe("Gone@Example.com ", "link", now).await.unwrap();
    assert!(store.is_unsubscribed("gone@example.com").await.unwrap());
    let month_ago = now - time::Duration::days(30);
    let out = store
        .create_invitations(
            s.id,
            &[inv("a@example.com", "t-a"), inv("gone@example.com", "t-g"), inv("A@example.com", "t-a2")],
            month_ago,
            now,
        )
        .await
        .unwrap();
    assert_eq!(out, vec![InviteOutcome::Queued, InviteOutcome::Unsubscribed, InviteOutcome::RecentlyContacted]);
    // Another survey a week later: the rule spans surveys. Six weeks later it is allowed.
    let later = now + time::Duration::days(7);
    let out = store
        .create_invitations(other.id, &[inv("a@example.com", "t-b")], later - time::Duration::days(30), later)
        .await
        .unwrap();
    assert_eq!(out, vec![InviteOutcome::RecentlyContacted]);
    let much_later = now + time::Duration::days(42);
    let out = store
        .create_invitations(other.id, &[inv("a@example.com", "t-c")], much_later - time::Duration::days(30), much_later)
        .await
        .unwrap();
    assert_eq!(out, vec![InviteOutcome::Queued]);

    // Delivery, opening, reminders, answering.
    let queued = store.queued_invitations(now, 10).await.unwrap();
    assert_eq!(queued.len(), 2);
    let first = queued.iter().find(|i| i.token == "t-a").unwrap().clone();
    assert_eq!((first.status.as_str(), first.context.as_ref().unwrap()["ticket"].as_str()), ("queued", Some("T-1")));
    // One process takes a delivery; a second cannot, until the first has been gone 15 minutes.
    assert!(store.claim_delivery(first.id, None, now).await.unwrap());
    assert!(!store.claim_delivery(first.id, None, now + time::Duration::minutes(1)).await.unwrap());
    assert_eq!(store.queued_invitations(now + time::Duration::minutes(1), 10).await.unwrap().len(), 1);
    assert_eq!(store.queued_invitations(now + time::Duration::minutes(16), 10).await.unwrap().len(), 2);
    let due = now + time::Duration::days(3);
    store.mark_invitation_sent(first.id, now, 0, Some(due)).await.unwrap();
    store.mark_invitation_opened(first.id, now + time::Duration::hours(1)).await.unwrap();
    assert!(store.due_reminders(now + time::Duration::days(2), 10).await.unwrap().is_empty());
    let reminders = store.due_reminders(due, 10).await.unwrap();
    assert_eq!((reminders.len(), reminders[0].status.as_str()), (1, "opened"));
    assert!(store.claim_delivery(first.id, Some(due), due).await.unwrap());
    assert!(!store.claim_delivery(first.id, Some(due), due).await.unwrap(), "a reminder is taken once");
    store.mark_invitation_sent(first.id, due, 1, None).await.unwrap();
    assert!(store.due_reminders(due + time::Duration::days(30), 10).await.unwrap().is_empty(), "one reminder at most");
    let by_token = store.invitation_by_token("t-a").await.unwrap();
    assert_eq!((by_token.status.as_str(), by_token.reminders, by_token.sent_at), ("opened", 1, Some(now)));
    let rid: cxloop_core::ids::ResponseId = Uuid::now_v7().into();
    // Answering is claimed first: once only; a failed store gives the claim back.
    assert!(store.claim_invitation_answer(first.id, due).await.unwrap());
    assert!(!store.claim_invitation_answer(first.id, due).await.unwrap());
    store.release_invitation_answer(first.id).await.unwrap();
    assert_eq!(store.invitation_by_token("t-a").await.unwrap().status, InvitationStatus::Opened);
    assert!(store.claim_invitation_answer(first.id, due).await.unwrap());
    store.mark_invitation_answered(first.id, rid, due + time::Duration::hours(2)).await.unwrap();
    store.release_invitation_answer(first.id).await.unwrap();
    assert_eq!(
        store.invitation_by_token("t-a").await.unwrap().status,
        InvitationStatus::Answered,
        "a stored answer keeps its claim"
    );
    let done = store.invitation_by_token("t-a").await.unwrap();
    assert_eq!((done.status.as_str(), done.response_id), ("answered", Some(rid)));
    assert!(matches!(store.invitation_by_token("forged").await, Err(StoreError::NotFound)));

    // A bounce, then an unsubscribe stops what is still open.
    let second = queued.iter().find(|i| i.token == "t-c").unwrap();
    store.mark_invitation_failed(second.id, DeliveryFailure::Bounced, "550 no such user").await.unwrap();
    assert_eq!(store.invitation_by_token("t-c").await.unwrap().error.as_deref(), Some("550 no such user"));
    store.unsubscribe("a@example.com", "link", much_later).await.unwrap();
    assert_eq!(
        store.invitation_by_token("t-a").await.unwrap().status,
        InvitationStatus::Answered,
        "answers stay answers"
    );
    let mut counts = store.invitation_counts(s.id).await.unwrap();
    counts.sort();
    assert_eq!(counts, vec![(InvitationStatus::Answered, 1)]);
    assert_eq!(
        store.invitations(other.id, 10).await.unwrap()[0].status,
        InvitationStatus::Bounced,
        "a bounce stays a bounce"
    );

    // A large batch goes in chunks; each rule holds across chunk boundaries.
    store.unsubscribe("p400@example.com", "link", now).await.unwrap();
    let big: Vec<NewInvitation> = (0..650)
        .map(|i| {
            let who = if i == 320 { 10 } else { i };
            inv(&format!("p{who}@example.com"), &format!("big-{i}"))
        })
        .collect();
    let out = store.create_invitations(s.id, &big, month_ago, now).await.unwrap();
    assert_eq!(out.iter().filter(|o| **o == InviteOutcome::Queued).count(), 648);
    assert_eq!(
        (out[400], out[320], out[10]),
        (InviteOutcome::Unsubscribed, InviteOutcome::RecentlyContacted, InviteOutcome::Queued)
    );
    assert_eq!(store.invitation_by_token("big-649").await.unwrap().email, "p649@example.com");
    assert!(store.is_unsubscribed("A@example.com").await.unwrap());
}

async fn hooks_record_each_event_once_and_widgets_keep_their_origins(store: Arc<dyn Store>) {
    let s = survey("hooked");
    store.create_survey(&s).await.unwrap();
    let hook = Hook {
        id: Uuid::now_v7().into(),
        name: "Helpdesk".into(),
        secret: "s3cret".into(),
        events: [("ticket.solved".to_string(), s.id)].into_iter().collect(),
        created_at: datetime!(2026-06-01 0:00 UTC),
    };
    store.create_hook(&hook).await.unwrap();
    assert!(matches!(
        store.create_hook(&Hook { id: Uuid::now_v7().into(), ..hook.clone() }).await,
        Err(StoreError::Conflict { what: "name" })
    ));
    let back = store.hook(hook.id).await.unwrap();
    assert_eq!((back.secret.as_str(), back.events["ticket.solved"]), ("s3cret", s.id));
    assert_eq!(store.hooks().await.unwrap().len(), 1);
    assert!(store.record_hook_event(hook.id, "evt-1", "invited").await.unwrap());
    assert!(!store.record_hook_event(hook.id, "evt-1", "invited").await.unwrap(), "a redelivery is seen");
    store.forget_hook_event(hook.id, "evt-1").await.unwrap();
    assert!(store.record_hook_event(hook.id, "evt-1", "invited").await.unwrap(), "a forgotten event is new again");
    store.delete_hook(hook.id).await.unwrap();
    assert!(matches!(store.hook(hook.id).await, Err(StoreError::NotFound)));

    assert!(matches!(store.widget(s.id).await, Err(StoreError::NotFound)));
    let w = Widget { survey_id: s.id, origins: vec!["https://app.example.com".into()], every_days: 30 };
    store.put_widget(&w).await.unwrap();
    store.put_widget(&Widget { every_days: 14, ..w.clone() }).await.unwrap();
    assert_eq!(store.widget(s.id).await.unwrap(), Widget { every_days: 14, ..w });
}

async fn imported_items_are_known_by_source_and_id(store: Arc<dyn Store>) {
    let s = survey("imported");
    store.create_survey(&s).await.unwrap();
    let item = |source: &str, id: &str| {
        let mut r = response(&s, 9, datetime!(2026-04-01 9:00 UTC), Some("Imported"), None);
        r.channel = source.into();
        r.touchpoint = Some("app store".into());
        r.context = Some(serde_json::json!({"source": source, "source_id": id}).as_object().unwrap().clone());
        r
    };
    store.insert_responses(&[item("app-store", "r1"), item("app-store", "r2"), item("g2", "r1")]).await.unwrap();
    let ids = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let known = store.existing_source_refs(s.id, "app-store", &ids(&["r1", "r3"])).await.unwrap();
    assert_eq!(known.into_iter().collect::<Vec<_>>(), vec!["r1".to_string()]);
    assert_eq!(store.existing_source_refs(s.id, "g2", &ids(&["r2"])).await.unwrap().len(), 0);
    assert!(store.existing_source_refs(s.id, "g2", &[]).await.unwrap().is_empty());
    // A long list (read another way) gives the same answer.
    let mut long: Vec<String> = (0..600).map(|i| format!("x{i}")).collect();
    long.push("r2".into());
    assert_eq!(
        store.existing_source_refs(s.id, "app-store", &long).await.unwrap().into_iter().collect::<Vec<_>>(),
        vec!["r2".to_string()]
    );
    // The same item twice is refused whole: nothing of the batch lands.
    let before = store.response_count(s.id).await.unwrap();
    assert!(matches!(
        store.insert_responses(&[item("app-store", "r9"), item("app-store", "r1")]).await,
        Err(StoreError::Conflict { .. })
    ));
    assert_eq!(store.response_count(s.id).await.unwrap(), before);
    let page = store
        .list_responses(&ResponseQuery {
            survey_id: s.id,
            window: Default::default(),
            after: None,
            newest_first: true,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(page[0].touchpoint.as_deref(), Some("app store"));
    let mut by_channel = store.headline_counts_by_channel(s.id, &TimeWindow::default()).await.unwrap();
    by_channel.sort();
    assert_eq!(by_channel, vec![("app-store".to_string(), Some(9), 2), ("g2".to_string(), Some(9), 1)]);
    let g2 = page.iter().find(|r| r.channel == "g2").unwrap();
    assert_eq!(g2.context.as_ref().unwrap()["source_id"], "r1");
}

/// A database made before migration 0009 (two roles, tokens without
/// scopes) upgrades in place: members become agents, admins stay admins,
/// sessions and tokens survive, and old tokens keep every scope.
async fn upgrade_from_two_roles(backend: Backend) {
    let Some(db) = TempDatabase::new(backend).await else { return };
    let before = |sql: fn(&cxloop_store::migrations::Migration) -> &'static str| -> Vec<(i64, &'static str)> {
        cxloop_store::migrations::MIGRATIONS.iter().filter(|m| m.version < 9).map(|m| (m.version, sql(m))).collect()
    };
    let old = before(|m| m.sqlite);
    let old_pg = before(|m| m.postgres);
    let rows = [
        "CREATE TABLE cxloop_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
        "INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES
            ('0190aaaa-0000-7000-8000-000000000001', 'boss@example.com', 'Boss', 'admin', NULL, '2026-01-01T00:00:00.000000Z'),
            ('0190aaaa-0000-7000-8000-000000000002', 'member@example.com', 'Member', 'member', NULL, '2026-01-01T00:00:00.000000Z')",
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES
            ('0190aaaa-0000-7000-8000-000000000003', '0190aaaa-0000-7000-8000-000000000002', 'old', 'oldhash', '2026-01-01T00:00:00.000000Z')",
        "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES
            ('oldsession', '0190aaaa-0000-7000-8000-000000000002', 'c', '2026-01-01T00:00:00.000000Z', '2999-01-01T00:00:00.000000Z')",
    ];
    let record = |v: i64| format!("INSERT INTO cxloop_migrations (version, name, applied_at) VALUES ({v}, 'old', 'x')");
    match backend {
        Backend::Sqlite => {
            use sqlx::Connection;
            let path = db.url.trim_start_matches("sqlite:");
            std::fs::create_dir_all(std::path::Path::new(path).parent().unwrap()).unwrap();
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}?mode=rwc")).await.unwrap();
            for (_, sql) in &old {
                sqlx::raw_sql(sqlx::AssertSqlSafe(*sql)).execute(&mut c).await.unwrap();
            }
            for sql in rows {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.unwrap();
            }
            for (v, _) in &old {
                sqlx::raw_sql(sqlx::AssertSqlSafe(record(*v))).execute(&mut c).await.unwrap();
            }
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&db.url).await.unwrap();
            for (_, sql) in &old_pg {
                sqlx::raw_sql(sqlx::AssertSqlSafe(*sql)).execute(&mut c).await.unwrap();
            }
            for sql in rows {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await.unwrap();
            }
            for (v, _) in &old_pg {
                sqlx::raw_sql(sqlx::AssertSqlSafe(record(*v))).execute(&mut c).await.unwrap();
            }
        }
    }
    let store = open(&db.url).await.unwrap();
    let users = store.list_users().await.unwrap();
    let roles: Vec<(&str, Role, bool)> = users.iter().map(|u| (u.email.as_str(), u.role, u.active)).collect();
    assert_eq!(roles, [("boss@example.com", Role::Admin, true), ("member@example.com", Role::Agent, true)]);
    let (who, scopes) = store.user_by_token("oldhash").await.unwrap();
    assert_eq!(who.email, "member@example.com");
    assert_eq!(scopes, Role::Admin.permissions(), "an old token keeps every scope");
    assert!(store.session("oldsession", datetime!(2026-06-01 0:00 UTC)).await.is_ok(), "sessions survive");
    // The new roles are accepted by the schema.
    let id = users[1].id;
    assert_eq!(store.update_user(id, UserChange::Role(Role::Viewer), "admin@test").await.unwrap().role, Role::Viewer);
}

#[tokio::test]
async fn a_two_role_database_upgrades_on_sqlite() {
    upgrade_from_two_roles(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_two_role_database_upgrades_on_postgres() {
    upgrade_from_two_roles(Backend::Postgres).await;
}

/// The database itself holds status and kind columns to the values the code
/// knows (migration 0010): a write of any other value is refused on both
/// backends, and the rows written through the store keep their values.
async fn statuses_and_kinds_are_checked_by_the_database(backend: Backend) {
    let Some(db) = TempDatabase::new(backend).await else { return };
    let store = open(&db.url).await.unwrap();
    let s = survey("checked");
    store.create_survey(&s).await.unwrap();
    let now = datetime!(2026-06-01 9:00 UTC);
    let inv = NewInvitation {
        id: Uuid::now_v7().into(),
        token: "t-checked".into(),
        email: "a@example.com".into(),
        customer_id: None,
        context: None,
        max_reminders: 1,
        reminder_days: 3,
    };
    store.create_invitations(s.id, &[inv], now - time::Duration::days(30), now).await.unwrap();
    let one = CustomerRef { external_id: "c-1".into(), name: None, email: None, attributes: serde_json::Map::new() };
    store.upsert_customer(&one).await.unwrap();
    let c = store.customer_by_external_id("c-1").await.unwrap();
    store.add_customer_event(c.id, Lifecycle::Churned, now, None).await.unwrap();
    let statements = [
        ("UPDATE invitations SET status = 'lost'", false),
        ("UPDATE invitations SET status = 'opened'", true),
        ("UPDATE customer_events SET kind = 'promoted'", false),
        ("UPDATE customer_events SET kind = 'reactivated'", true),
    ];
    for (sql, allowed) in statements {
        let outcome = raw(backend, &db, sql).await;
        assert_eq!(outcome.is_ok(), allowed, "{sql}: {outcome:?}");
    }
    assert_eq!(store.invitation_by_token("t-checked").await.unwrap().status, InvitationStatus::Opened);
    assert_eq!(store.customer_events(c.id).await.unwrap()[0].kind, Lifecycle::Reactivated);
}

#[tokio::test]
async fn statuses_and_kinds_are_checked_by_sqlite() {
    statuses_and_kinds_are_checked_by_the_database(Backend::Sqlite).await;
}

#[tokio::test]
async fn statuses_and_kinds_are_checked_by_postgres() {
    statuses_and_kinds_are_checked_by_the_database(Backend::Postgres).await;
}

/// Runs one statement on the test database behind the store's back.
async fn raw(backend: Backend, db: &TempDatabase, sql: &str) -> std::result::Result<(), sqlx::Error> {
    use sqlx::Connection;
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match backend {
        Backend::Sqlite => {
            let path = db.url.trim_start_matches("sqlite:");
            let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{path}")).await?;
            sqlx::raw_sql(sql).execute(&mut c).await.map(|_| ())
        }
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(&db.url).await?;
            sqlx::raw_sql(sql).execute(&mut c).await.map(|_| ())
        }
    }
}

/// The column codecs refuse what does not read back as its type: a stored
/// timestamp, id or JSON text that is not one, or a tally beyond its width,
/// is an error naming the column, never a silent default or a wrapped number.
async fn a_value_that_does_not_read_back_is_an_error(backend: Backend) {
    let Some(db) = TempDatabase::new(backend).await else { return };
    let store = open(&db.url).await.unwrap();
    let s = survey("codecs");
    store.create_survey(&s).await.unwrap();
    let now = datetime!(2026-06-01 9:00 UTC);
    let inv = NewInvitation {
        id: Uuid::now_v7().into(),
        token: "t-codecs".into(),
        email: "a@example.com".into(),
        customer_id: None,
        context: Some(serde_json::Map::from_iter([("plan".to_string(), serde_json::json!("pro"))])),
        max_reminders: 1,
        reminder_days: 3,
    };
    store.create_invitations(s.id, &[inv], now - time::Duration::days(30), now).await.unwrap();
    let read = store.invitations(s.id, 10).await.unwrap();
    assert_eq!(read[0].context.as_ref().and_then(|c| c.get("plan")), Some(&serde_json::json!("pro")));
    for (sql, named) in [
        ("UPDATE invitations SET context = '{not json'", "\"context\""),
        ("UPDATE invitations SET context = NULL, id = 'not-a-uuid'", "\"id\""),
        (
            "UPDATE invitations SET id = '0190aaaa-0000-7000-8000-000000000001', reminder_days = -1",
            "does not fit in u32",
        ),
    ] {
        raw(backend, &db, sql).await.unwrap();
        let e = store.invitations(s.id, 10).await.expect_err(sql);
        assert!(e.to_string().contains(named), "{sql}: {e}");
    }
    let survey_row = format!("UPDATE surveys SET created_at = 'yesterday' WHERE id = '{}'", s.id);
    raw(backend, &db, &survey_row).await.unwrap();
    let e = store.get_survey(s.id).await.expect_err("a bad timestamp");
    assert!(e.to_string().contains("\"created_at\""), "{e}");
}

#[tokio::test]
async fn a_value_that_does_not_read_back_is_an_error_on_sqlite() {
    a_value_that_does_not_read_back_is_an_error(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_value_that_does_not_read_back_is_an_error_on_postgres() {
    a_value_that_does_not_read_back_is_an_error(Backend::Postgres).await;
}

/// Bulk lifecycle events land on the customer each names (more than one
/// statement's worth of rows), in order, with their notes; an unknown
/// external id is left out and not counted.
async fn lifecycle_events_are_written_in_bulk_by_external_id(store: Arc<dyn Store>) {
    let refs: Vec<CustomerRef> = (0..700)
        .map(|i| CustomerRef {
            external_id: format!("c-{i}"),
            name: None,
            email: None,
            attributes: serde_json::Map::new(),
        })
        .collect();
    assert_eq!(store.upsert_customers(&refs).await.unwrap(), 700);
    let mut events: Vec<NewCustomerEvent> = (0..700)
        .map(|i| NewCustomerEvent {
            external_id: format!("c-{i}"),
            kind: Lifecycle::SignedUp,
            at: datetime!(2025-01-01 9:00 UTC),
            note: None,
        })
        .collect();
    events.push(NewCustomerEvent {
        external_id: "c-5".into(),
        kind: Lifecycle::Churned,
        at: datetime!(2026-01-01 9:00 UTC),
        note: Some("did not renew".into()),
    });
    events.push(NewCustomerEvent {
        external_id: "nobody".into(),
        kind: Lifecycle::Churned,
        at: datetime!(2026-01-01 9:00 UTC),
        note: None,
    });
    assert_eq!(store.add_customer_events(&events).await.unwrap(), 701);
    let c5 = store.customer_by_external_id("c-5").await.unwrap();
    let got: Vec<_> =
        store.customer_events(c5.id).await.unwrap().into_iter().map(|e| (e.kind, e.occurred_at, e.note)).collect();
    assert_eq!(
        got,
        vec![
            (Lifecycle::SignedUp, datetime!(2025-01-01 9:00 UTC), None),
            (Lifecycle::Churned, datetime!(2026-01-01 9:00 UTC), Some("did not renew".to_string())),
        ]
    );
    let c699 = store.customer_by_external_id("c-699").await.unwrap();
    assert_eq!(store.customer_events(c699.id).await.unwrap().len(), 1);
    assert_eq!(store.customer_fact("c-5").await.unwrap().stage.as_deref(), Some("churned"));
}

/// A batch that names the same customer several times with different
/// details leaves what applying them one by one, in order, would: later
/// names and emails win, attributes merge (later values win), a missing
/// name keeps the known one; every response points at the one customer.
async fn a_batch_applies_each_customers_details_in_order(store: Arc<dyn Store>) {
    let s = survey("customers-in-order");
    store.create_survey(&s).await.unwrap();
    let at = datetime!(2026-03-01 9:00 UTC);
    let with = |r: &mut NewResponse, name: Option<&str>, attrs: serde_json::Value| {
        let c = r.customer.as_mut().unwrap();
        c.name = name.map(str::to_string);
        c.attributes = attrs.as_object().unwrap().clone();
    };
    let mut batch: Vec<NewResponse> = (0..450).map(|i| response(&s, 7, at, None, Some(&format!("k-{i}")))).collect();
    let mut a = response(&s, 3, at, None, Some("k-1"));
    with(&mut a, Some("First"), serde_json::json!({ "plan": "starter", "region": "EU" }));
    let mut b = response(&s, 9, at, None, Some("k-1"));
    with(&mut b, Some("Second"), serde_json::json!({ "plan": "pro" }));
    let mut c = response(&s, 8, at, None, Some("k-1"));
    with(&mut c, None, serde_json::json!({ "seats": 12 }));
    batch.extend([a, b, c]);
    assert_eq!(store.insert_responses(&batch).await.unwrap(), 453);
    let k1 = store.customer_by_external_id("k-1").await.unwrap();
    assert_eq!(k1.name.as_deref(), Some("Second"));
    assert_eq!(
        serde_json::Value::Object(k1.attributes.clone()),
        serde_json::json!({ "plan": "pro", "region": "EU", "seats": 12 })
    );
    assert_eq!(store.customer_response_count(k1.id).await.unwrap(), 4);
    assert_eq!(store.count_customers().await.unwrap(), 450);
}

/// A small deterministic generator for the randomised contract tests.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// The customer facts segments filter on (columns since migration 0012) are
/// what the rows say: on a random history of responses to NPS, CSAT and CES
/// surveys (single, batched, out of time order, some skipping the headline
/// question, some anonymous) and lifecycle events (single and in bulk), each
/// customer's count, latest time, latest score per kind and stage equal a
/// model computed here from what was written; and the migration's backfill,
/// run again over the same rows, computes the same columns.
async fn customer_facts_follow_every_write(backend: Backend) {
    let Some(db) = TempDatabase::new(backend).await else { return };
    let store = open(&db.url).await.unwrap();
    let mut rng = Lcg(12);
    let kinds = [("nps", QuestionType::Nps, 11), ("csat", QuestionType::Csat, 5), ("ces", QuestionType::Ces, 7)];
    let surveys: Vec<(Survey, &str, u64)> = kinds
        .iter()
        .map(|(name, kind, range)| {
            let mut s = survey(&format!("facts-{name}"));
            s.questions = vec![Question::new("score", *kind, "?"), Question::new("why", QuestionType::Text, "?")];
            (s, *name, *range)
        })
        .collect();
    for (s, _, _) in &surveys {
        store.create_survey(s).await.unwrap();
    }
    type Model = (u64, Option<time::OffsetDateTime>, [Option<(time::OffsetDateTime, Option<i32>)>; 3]);
    let mut model: std::collections::BTreeMap<String, Model> = Default::default();
    let start = datetime!(2025-01-01 0:00 UTC);
    let mut used_minutes = std::collections::HashSet::new();
    let mut batch = Vec::new();
    for i in 0..1500u64 {
        // Distinct times (the latest response is then well defined), in random order.
        let minute = loop {
            let m = rng.below(600_000);
            if used_minutes.insert(m) {
                break m;
            }
        };
        let at = start + time::Duration::minutes(minute as i64);
        let which = rng.below(3) as usize;
        let (s, _, range) = &surveys[which];
        let customer = (rng.below(10) != 0).then(|| format!("f-{}", rng.below(120)));
        let mut r = response(s, 0, at, None, customer.as_deref());
        r.answers.clear();
        let score = (rng.below(8) != 0).then(|| rng.below(*range) as i32 + 1);
        if let Some(v) = score {
            r.answers.insert("score".into(), AnswerValue::Score(v));
        }
        r.answers.insert("why".into(), AnswerValue::Text(format!("comment {i}")));
        if let Some(c) = &customer {
            let m = model.entry(c.clone()).or_default();
            m.0 += 1;
            m.1 = m.1.max(Some(at));
            if m.2[which].is_none_or(|(t, _)| at > t) {
                m.2[which] = Some((at, score));
            }
        }
        if rng.below(5) == 0 {
            store.insert_response(&r, None).await.unwrap();
        } else {
            batch.push(r);
        }
        if batch.len() >= 300 || i == 1499 {
            store.insert_responses(&batch).await.unwrap();
            batch.clear();
        }
    }
    let mut stages: std::collections::BTreeMap<String, (time::OffsetDateTime, Lifecycle)> = Default::default();
    let mut bulk = Vec::new();
    for _ in 0..400 {
        let c = format!("f-{}", rng.below(120));
        if !model.contains_key(&c) {
            continue;
        }
        let at = start + time::Duration::hours(rng.below(20_000) as i64);
        let kind = Lifecycle::ALL[rng.below(6) as usize];
        if stages.get(&c).is_none_or(|(t, _)| at > *t) {
            stages.insert(c.clone(), (at, kind));
        }
        if rng.below(4) == 0 {
            let id = store.customer_by_external_id(&c).await.unwrap().id;
            store.add_customer_event(id, kind, at, None).await.unwrap();
        } else {
            bulk.push(NewCustomerEvent { external_id: c, kind, at, note: None });
        }
    }
    store.add_customer_events(&bulk).await.unwrap();

    let check = |facts: Vec<CustomerFacts>| {
        assert_eq!(facts.len(), model.len());
        for f in facts {
            let (n, last, latest) = &model[&f.customer.external_id];
            assert_eq!(f.responses, *n, "{}", f.customer.external_id);
            assert_eq!(f.last_response_at, *last, "{}", f.customer.external_id);
            let score = |k: usize| latest[k].and_then(|(_, s)| s);
            assert_eq!((f.last_nps, f.last_csat, f.last_ces), (score(0), score(1), score(2)));
            let stage = stages.get(&f.customer.external_id).map(|(_, k)| k.as_str().to_string());
            assert_eq!(f.stage, stage, "{}", f.customer.external_id);
        }
    };
    let facts = store.customer_facts(None, 1000).await.unwrap();
    assert!(facts.iter().any(|f| f.last_nps.is_none() && f.responses > 0), "some latest answers skipped the score");
    check(facts);

    // The migration's backfill, from zeroed columns, gives the same facts.
    let migration = include_str!("../migrations/0012_customer_facts.sql");
    let backfill = &migration[migration.find("UPDATE").unwrap()..];
    let zero = "UPDATE customers SET response_count = 0, last_response_at = NULL, last_nps = NULL, last_nps_at = NULL,
        last_csat = NULL, last_csat_at = NULL, last_ces = NULL, last_ces_at = NULL, stage = NULL, stage_at = NULL;";
    raw(backend, &db, zero).await.unwrap();
    assert!(store.customer_facts(None, 1000).await.unwrap().iter().all(|f| f.responses == 0));
    raw(backend, &db, backfill).await.unwrap();
    check(store.customer_facts(None, 1000).await.unwrap());

    // Scores carry their customer (migration 0019): per customer they add up
    // to the survey's rollup, and the migration's backfill gives the same.
    let range = DateRange::new(date!(2020 - 01 - 01), date!(2030 - 12 - 31)).unwrap();
    let mut before = Vec::new();
    for (s, _, _) in &surveys {
        let by_customer = store.daily_scores_by_customer(s.id, "score", range).await.unwrap();
        assert!(by_customer.iter().any(|(c, _)| c.is_some()), "{by_customer:?}");
        let mut summed: std::collections::BTreeMap<(time::Date, i32), u64> = Default::default();
        for (_, d) in &by_customer {
            *summed.entry((d.day, d.score)).or_default() += d.count;
        }
        let rollup: std::collections::BTreeMap<_, _> = store
            .daily_scores(s.id, "score", range)
            .await
            .unwrap()
            .into_iter()
            .map(|d| ((d.day, d.score), d.count))
            .collect();
        assert_eq!(summed, rollup);
        before.push(by_customer);
    }
    let migration = include_str!("../migrations/0019_scores_by_customer.sql");
    let start = migration.find("UPDATE").unwrap();
    let backfill = &migration[start..start + migration[start..].find(';').unwrap() + 1];
    raw(backend, &db, "UPDATE answer_scores SET customer_id = NULL").await.unwrap();
    raw(backend, &db, backfill).await.unwrap();
    for ((s, _, _), want) in surveys.iter().zip(before) {
        let mut got = store.daily_scores_by_customer(s.id, "score", range).await.unwrap();
        let mut want = want;
        let key =
            |x: &(Option<cxloop_core::ids::CustomerId>, cxloop_core::metrics::DayCount)| (x.0, x.1.day, x.1.score);
        got.sort_by_key(key);
        want.sort_by_key(key);
        assert_eq!(got, want);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn customer_facts_follow_every_write_on_sqlite() {
    customer_facts_follow_every_write(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn customer_facts_follow_every_write_on_postgres() {
    customer_facts_follow_every_write(Backend::Postgres).await;
}

/// Members by evaluating every customer's facts: what the kept members must equal.
async fn evaluated(store: &Arc<dyn Store>, expression: &str) -> Vec<cxloop_core::ids::CustomerId> {
    let expr = cxloop_core::segment::parse(expression).unwrap();
    let mut ids: Vec<_> = store
        .customer_facts(None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.matches(&expr))
        .map(|f| f.customer.id)
        .collect();
    ids.sort();
    ids
}

/// A segment's scores per day from its rollup, and the same counted from the
/// raw rows of the customers the expression selects.
async fn cut_both(
    store: &Arc<dyn Store>,
    seg: &Segment,
    survey: &Survey,
) -> (Option<Vec<cxloop_core::metrics::DayCount>>, Vec<cxloop_core::metrics::DayCount>) {
    let range = DateRange::new(date!(2025 - 12 - 20), date!(2026 - 01 - 20)).unwrap();
    let kept = store.segment_day_counts(seg.id, survey.id, "nps", range).await.unwrap();
    let members: std::collections::HashSet<_> = evaluated(store, &seg.expression).await.into_iter().collect();
    let mut raw: std::collections::BTreeMap<(time::Date, i32), u64> = Default::default();
    for (c, d) in store.daily_scores_by_customer(survey.id, "nps", range).await.unwrap() {
        if c.is_some_and(|c| members.contains(&c)) {
            *raw.entry((d.day, d.score)).or_default() += d.count;
        }
    }
    let raw =
        raw.into_iter().map(|((day, score), count)| cxloop_core::metrics::DayCount { day, score, count }).collect();
    (kept, raw)
}

/// Tags a random half of the texts, under versions 1 and 2, with a random
/// theme each (a text may gain a theme it lacked, or get one it has again).
async fn tag_randomly(store: &Arc<dyn Store>, rng: &mut Lcg) {
    let texts = store.texts_after(None, 100_000).await.unwrap();
    let themes = ["price", "speed", "support"];
    for version in [1u32, 2] {
        let mut rows: Vec<(TextRow, Vec<String>)> = Vec::new();
        for t in &texts {
            if rng.below(2) == 0 {
                rows.push((t.clone(), vec![themes[rng.below(3) as usize].to_string()]));
            }
        }
        store.save_themes(version, &rows).await.unwrap();
    }
}

/// A saved segment's scores and theme counts from its rollups equal the same
/// counted from the raw rows of the customers its expression selects.
async fn assert_rollups(store: &Arc<dyn Store>, seg: &Segment, survey: &Survey, when: &str) {
    let (rollup, raw) = cut_both(store, seg, survey).await;
    assert!(!raw.is_empty(), "{when}: {}", seg.expression);
    assert_eq!(rollup, Some(raw), "{when}: scores of {}", seg.expression);
    let members = evaluated(store, &seg.expression).await;
    for version in [1, 2] {
        let raw = store.theme_counts_of(version, &members).await.unwrap();
        assert!(!raw.is_empty(), "{when}: {}", seg.expression);
        let kept = store.segment_theme_counts(seg.id, version).await.unwrap();
        assert_eq!(kept, Some(raw), "{when}: themes of {} under version {version}", seg.expression);
    }
}

async fn kept(store: &Arc<dyn Store>, id: cxloop_core::ids::SegmentId) -> Option<Vec<cxloop_core::ids::CustomerId>> {
    store.segment_members(id).await.unwrap().map(|mut v| {
        v.sort();
        v
    })
}

/// Saved segments' kept members equal the expression evaluated over every
/// customer: after the build (in small steps, with reads refused until it is
/// done), after random responses, attribute changes, lifecycle events and an
/// erasure both before upkeep has run (pending customers evaluated at read
/// time) and after; an edited expression is built again; sizes agree. Their
/// score and theme rollups equal the raw rows, with texts tagged before the
/// build, between rounds and while customers are pending.
async fn saved_segments_keep_exact_members(store: Arc<dyn Store>) {
    let s = survey("members");
    store.create_survey(&s).await.unwrap();
    store.init_taxonomy(&serde_json::json!({"themes": []})).await.unwrap();
    store.save_taxonomy(&serde_json::json!({"themes": [2]}), None, None).await.unwrap();
    let mut rng = Lcg(7);
    let plans = ["starter", "pro", "enterprise"];
    let with_attrs = |r: &mut NewResponse, plan: &str, seats: u64| {
        let c = r.customer.as_mut().unwrap();
        c.attributes = serde_json::json!({ "plan": plan, "seats": seats }).as_object().unwrap().clone();
    };
    let at = |m: u64| datetime!(2026-01-01 0:00 UTC) + time::Duration::minutes(m as i64);
    let mut batch = Vec::new();
    for i in 0..900u64 {
        let text = (rng.below(2) == 0).then_some("a comment");
        let mut r = response(&s, rng.below(11) as i32, at(i), text, Some(&format!("m-{}", rng.below(300))));
        with_attrs(&mut r, plans[rng.below(3) as usize], rng.below(100));
        batch.push(r);
    }
    store.insert_responses(&batch).await.unwrap();
    tag_randomly(&store, &mut rng).await;
    let exprs = [
        r#"plan = "pro""#,
        "last_nps <= 6",
        r#"plan in ("pro", "enterprise") and seats >= 50 or responses > 4"#,
        r#"not (stage = "churned")"#,
    ];
    let mut segs = Vec::new();
    for (i, e) in exprs.iter().enumerate() {
        segs.push(store.create_segment(&format!("s{i}"), e, None).await.unwrap());
    }
    assert_eq!(kept(&store, segs[0].id).await, None, "not built yet: the caller evaluates");
    assert!(store.segment_sizes().await.unwrap().is_empty());
    // Upkeep in small steps: first the 300 pending customers, then each build.
    let mut steps = 0;
    while store.refresh_members(64).await.unwrap() > 0 {
        steps += 1;
        assert!(steps < 1000);
    }
    assert!(steps >= 4 * (300 / 64), "built a step at a time ({steps} steps)");
    for (seg, e) in segs.iter().zip(exprs) {
        assert_eq!(kept(&store, seg.id).await, Some(evaluated(&store, e).await), "{e}");
        assert_rollups(&store, seg, &s, "built").await;
    }

    // Changes: reads are exact before upkeep runs and after.
    for round in 0..3u64 {
        let mut batch = Vec::new();
        for i in 0..150u64 {
            let text = (rng.below(2) == 0).then_some("another comment");
            let mut r = response(
                &s,
                rng.below(11) as i32,
                at(10_000 * (round + 1) + i),
                text,
                Some(&format!("m-{}", rng.below(340))),
            );
            with_attrs(&mut r, plans[rng.below(3) as usize], rng.below(100));
            batch.push(r);
        }
        store.insert_responses(&batch).await.unwrap();
        tag_randomly(&store, &mut rng).await;
        let c = store.customer_by_external_id(&format!("m-{}", rng.below(300))).await;
        if let Ok(c) = c {
            store.add_customer_event(c.id, Lifecycle::Churned, at(99_999), None).await.unwrap();
        }
        if round == 1 {
            let c = store.customer_by_external_id("m-3").await.unwrap();
            store.erase_customer(c.id, "test").await.unwrap();
        }
        for (seg, e) in segs.iter().zip(exprs) {
            assert_eq!(kept(&store, seg.id).await, Some(evaluated(&store, e).await), "round {round}, pending: {e}");
            assert_rollups(&store, seg, &s, &format!("round {round}, pending")).await;
            let size = store.segment_sizes().await.unwrap()[&seg.id];
            assert_eq!(size, evaluated(&store, e).await.len() as u64, "round {round}, pending: size of {e}");
        }
        // Half way: some customers evaluated, some still pending.
        store.refresh_members(40).await.unwrap();
        for seg in &segs {
            assert_rollups(&store, seg, &s, &format!("round {round}, part refreshed")).await;
        }
        // Tagged while part of them wait.
        tag_randomly(&store, &mut rng).await;
        for seg in &segs {
            assert_rollups(&store, seg, &s, &format!("round {round}, tagged while pending")).await;
        }
        while store.refresh_members(100).await.unwrap() > 0 {}
        let sizes = store.segment_sizes().await.unwrap();
        for (seg, e) in segs.iter().zip(exprs) {
            let want = evaluated(&store, e).await;
            assert_eq!(sizes[&seg.id], want.len() as u64, "{e}");
            assert_eq!(kept(&store, seg.id).await, Some(want), "round {round}, refreshed: {e}");
            assert_rollups(&store, seg, &s, &format!("round {round}, refreshed")).await;
        }
    }

    // An edited expression is built again; a renamed one keeps its members.
    store.update_segment(segs[1].id, "s1 renamed", "last_nps <= 6", None).await.unwrap();
    assert!(kept(&store, segs[1].id).await.is_some(), "same expression: members kept");
    store.update_segment(segs[1].id, "s1", "last_nps >= 9", None).await.unwrap();
    assert_eq!(kept(&store, segs[1].id).await, None, "edited: being built");
    assert_eq!(store.segment_theme_counts(segs[1].id, 1).await.unwrap(), None, "edited: being built");
    assert_eq!(
        store
            .segment_day_counts(
                segs[1].id,
                s.id,
                "nps",
                DateRange::new(date!(2026 - 01 - 01), date!(2026 - 01 - 02)).unwrap()
            )
            .await
            .unwrap(),
        None
    );
    while store.refresh_members(100).await.unwrap() > 0 {}
    assert_eq!(kept(&store, segs[1].id).await, Some(evaluated(&store, "last_nps >= 9").await));
    let edited = store.segment(segs[1].id).await.unwrap();
    assert_rollups(&store, &edited, &s, "edited and built again").await;
    store.delete_segment(segs[0].id).await.unwrap();
    assert_eq!(store.segment_sizes().await.unwrap().len(), 3);
}

/// Wows & woes read the `theme_daily` rollup (migration 0014); on a random
/// data set its figures equal the same figures counted from the raw tags:
/// responses with two texts tagged alike, responses without a score, texts
/// re-tagged under a new version before they were analysed, analyses saved
/// twice, over all time and over a window of whole days; and the migration's
/// backfill, run again over the same rows, gives the same rollup.
async fn theme_rollup_equals_the_raw_tags(backend: Backend) {
    use std::collections::{BTreeMap, BTreeSet};
    let Some(db) = TempDatabase::new(backend).await else { return };
    let store = open(&db.url).await.unwrap();
    let mut s = survey("rollup");
    s.questions.push(Question::new("other", QuestionType::Text, "?"));
    store.create_survey(&s).await.unwrap();
    store.init_taxonomy(&serde_json::json!({"themes": []})).await.unwrap();
    store.save_taxonomy(&serde_json::json!({"themes": [2]}), None, None).await.unwrap();
    let mut rng = Lcg(99);
    let start = datetime!(2026-03-01 0:00 UTC);
    let mut rs = Vec::new();
    for i in 0..400u64 {
        let at = start + time::Duration::minutes(rng.below(60 * 24 * 60) as i64);
        let mut r = response(&s, rng.below(11) as i32, at, Some(&format!("text {i}")), None);
        if rng.below(6) == 0 {
            r.answers.remove("nps");
        }
        if rng.below(3) == 0 {
            r.answers.insert("other".into(), AnswerValue::Text(format!("more {i}")));
        }
        rs.push(r);
    }
    store.insert_responses(&rs).await.unwrap();
    let score_of: std::collections::HashMap<_, _> = rs
        .iter()
        .map(|r| (r.id, r.answers.get("nps").and_then(|a| if let AnswerValue::Score(v) = a { Some(*v) } else { None })))
        .collect();
    let texts = store.texts_after(None, 10_000).await.unwrap();
    let themes = ["price", "speed", "support", "billing", "onboarding"];
    let pick = |rng: &mut Lcg| -> Vec<String> {
        let mut t: BTreeSet<String> = BTreeSet::new();
        for _ in 0..rng.below(3) {
            t.insert(themes[rng.below(5) as usize].to_string());
        }
        t.into_iter().collect()
    };
    // Version 2 first tags a third of the texts before they are analysed (a re-tag ran first).
    let mut tags: BTreeSet<(u32, ResponseIdKey, String)> = BTreeSet::new();
    type ResponseIdKey = (cxloop_core::ids::ResponseId, String);
    let mut early: Vec<(TextRow, Vec<String>)> = Vec::new();
    for t in &texts {
        if rng.below(3) == 0 {
            early.push((t.clone(), pick(&mut rng)));
        }
    }
    store.save_themes(2, &early).await.unwrap();
    for (t, th) in &early {
        for x in th {
            tags.insert((2, (t.response_id, t.question_key.clone()), x.clone()));
        }
    }
    // Analyses under version 1 in batches (one saved twice), then version 2 tags the rest.
    let mut sentiment: std::collections::HashMap<ResponseIdKey, f64> = Default::default();
    let mut analyses = Vec::new();
    for t in &texts {
        let v = (rng.below(200) as f64 - 100.0) / 100.0;
        let th = pick(&mut rng);
        for x in &th {
            tags.insert((1, (t.response_id, t.question_key.clone()), x.clone()));
        }
        sentiment.insert((t.response_id, t.question_key.clone()), v);
        analyses.push(TextAnalysis {
            response_id: t.response_id,
            question_key: t.question_key.clone(),
            survey_id: t.survey_id,
            submitted_at: t.submitted_at,
            language: "en".into(),
            label: "neutral".into(),
            sentiment: v,
            reasons: serde_json::json!([]),
            themes: th,
        });
    }
    for chunk in analyses.chunks(70) {
        store.save_analyses(1, chunk).await.unwrap();
    }
    store.save_analyses(1, &analyses[..50]).await.unwrap();
    let late: Vec<(TextRow, Vec<String>)> = texts.iter().map(|t| (t.clone(), pick(&mut rng))).collect();
    store.save_themes(2, &late).await.unwrap();
    for (t, th) in &late {
        // A tag already there is left as it is; the others are added.
        for x in th {
            tags.insert((2, (t.response_id, t.question_key.clone()), x.clone()));
        }
    }
    let at_of: std::collections::HashMap<_, _> = rs.iter().map(|r| (r.id, r.submitted_at)).collect();

    let check = async |store: &Arc<dyn Store>, tags: &BTreeSet<(u32, ResponseIdKey, String)>| {
        let windows = [
            TimeWindow::default(),
            TimeWindow { from: Some(start + time::Duration::days(10)), to: Some(start + time::Duration::days(41)) },
        ];
        for version in [1u32, 2] {
            for w in &windows {
                let inside = |t: time::OffsetDateTime| w.from.is_none_or(|f| t >= f) && w.to.is_none_or(|x| t < x);
                let mut counts: BTreeMap<(String, Option<i32>), BTreeSet<cxloop_core::ids::ResponseId>> =
                    BTreeMap::new();
                let mut days: BTreeMap<(String, String), BTreeSet<cxloop_core::ids::ResponseId>> = BTreeMap::new();
                let mut vols: BTreeMap<String, (BTreeSet<cxloop_core::ids::ResponseId>, f64, u32)> = BTreeMap::new();
                for (v, (rid, key), theme) in tags {
                    let at = at_of[rid];
                    if *v != version || !inside(at) {
                        continue;
                    }
                    counts.entry((theme.clone(), score_of[rid])).or_default().insert(*rid);
                    days.entry((theme.clone(), cxloop_core::period::fmt_date(at.date()))).or_default().insert(*rid);
                    let e = vols.entry(theme.clone()).or_default();
                    e.0.insert(*rid);
                    e.1 += sentiment[&(*rid, key.clone())];
                    e.2 += 1;
                }
                let mut got = store.theme_score_counts(version, s.id, w).await.unwrap();
                got.sort();
                let want: Vec<_> = counts.into_iter().map(|((t, sc), ids)| (t, sc, ids.len() as u64)).collect();
                assert_eq!(got, want, "score counts, version {version}");
                let mut got = store.theme_days(version, s.id, w).await.unwrap();
                got.sort();
                let want: Vec<_> = days.into_iter().map(|((t, d), ids)| (t, d, ids.len() as u64)).collect();
                assert_eq!(got, want, "days, version {version}");
                // Examples: the most negative (positive) first, then the newest, then by response and question.
                for theme in themes {
                    for (negative, limit) in [(true, 3u32), (false, 3), (true, 5)] {
                        let mut rows: Vec<(f64, time::OffsetDateTime, String, String)> = tags
                            .iter()
                            .filter(|(v, (rid, _), t)| *v == version && t == theme && inside(at_of[rid]))
                            .map(|(_, (rid, key), _)| {
                                (sentiment[&(*rid, key.clone())], at_of[rid], rid.to_string(), key.clone())
                            })
                            .collect();
                        rows.sort_by(|a, b| {
                            let by = if negative { a.0.total_cmp(&b.0) } else { b.0.total_cmp(&a.0) };
                            by.then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3))
                        });
                        rows.truncate(limit as usize);
                        let want: Vec<(String, f64)> = rows.into_iter().map(|r| (r.2, r.0)).collect();
                        let got: Vec<(String, f64)> = store
                            .theme_examples(version, s.id, w, theme, negative, limit)
                            .await
                            .unwrap()
                            .into_iter()
                            .map(|e| (e.response_id.to_string(), e.sentiment))
                            .collect();
                        assert_eq!(
                            got, want,
                            "examples of {theme}, version {version}, negative {negative}, limit {limit}"
                        );
                    }
                }
                let mut got = store.theme_volumes(version, s.id, w).await.unwrap();
                got.sort_by(|a, b| a.theme.cmp(&b.theme));
                assert_eq!(got.len(), vols.len());
                for (g, (theme, (ids, sum, n))) in got.iter().zip(vols) {
                    assert_eq!((g.theme.as_str(), g.mentions), (theme.as_str(), ids.len() as u64));
                    assert!((g.avg_sentiment - sum / f64::from(n)).abs() < 1e-9, "{theme}");
                }
            }
        }
    };
    assert!(
        tags.iter().any(|(v, (r, _), t)| *v == 1
            && tags.iter().any(|(v2, (r2, k2), t2)| *v2 == 1 && r2 == r && t2 == t && k2 != "why"))
    );
    check(&store, &tags).await;

    // The migration's backfill over an emptied rollup gives the same figures.
    raw(backend, &db, "DELETE FROM theme_daily").await.unwrap();
    assert!(store.theme_days(1, s.id, &TimeWindow::default()).await.unwrap().is_empty());
    let migration = include_str!("../migrations/0014_theme_daily.sql");
    let start_sql = migration.find("INSERT INTO theme_daily").unwrap();
    let end_sql = migration[start_sql..].find(';').unwrap() + start_sql + 1;
    raw(backend, &db, &migration[start_sql..end_sql]).await.unwrap();
    check(&store, &tags).await;
    raw(backend, &db, "DELETE FROM theme_examples").await.unwrap();
    let examples = include_str!("../migrations/0016_theme_examples.sql");
    raw(backend, &db, &examples[examples.find("INSERT INTO theme_examples").unwrap()..]).await.unwrap();
    check(&store, &tags).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn theme_rollup_equals_the_raw_tags_on_sqlite() {
    theme_rollup_equals_the_raw_tags(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn theme_rollup_equals_the_raw_tags_on_postgres() {
    theme_rollup_equals_the_raw_tags(Backend::Postgres).await;
}

/// The channel breakdown and the wows & woes baseline (headline score counts
/// per channel, kept in `channel_daily` on ingest, migration 0018) equal the
/// responses counted one by one: over all time, a window of whole days (the
/// rollup) and a window that is not (the responses), with responses without
/// a headline answer, written in several batches; and the migration's
/// backfill, run again from an empty rollup, gives the same.
async fn headline_counts_per_channel_follow_the_responses(backend: Backend) {
    use std::collections::BTreeMap;
    let Some(db) = TempDatabase::new(backend).await else { return };
    let store = open(&db.url).await.unwrap();
    let s = survey("channels");
    store.create_survey(&s).await.unwrap();
    let other = survey("elsewhere");
    store.create_survey(&other).await.unwrap();
    let mut rng = Lcg(5);
    let start = datetime!(2026-05-01 0:00 UTC);
    let channels = ["link", "email", "widget"];
    let mut written = Vec::new();
    for _ in 0..4 {
        let mut batch = Vec::new();
        for _ in 0..120 {
            let at = start + time::Duration::minutes(rng.below(60 * 24 * 30) as i64);
            let target = if rng.below(5) == 0 { &other } else { &s };
            let mut r = response(target, rng.below(11) as i32, at, None, None);
            if rng.below(4) == 0 {
                r.answers.remove("nps");
            }
            r.channel = channels[rng.below(3) as usize].to_string();
            batch.push(r);
        }
        store.insert_responses(&batch).await.unwrap();
        written.extend(batch);
    }
    let windows = [
        TimeWindow::default(),
        TimeWindow { from: Some(start + time::Duration::days(3)), to: Some(start + time::Duration::days(17)) },
        TimeWindow {
            from: Some(start + time::Duration::hours(30)),
            to: Some(start + time::Duration::days(12) + time::Duration::minutes(7)),
        },
    ];
    let check = async |store: &Arc<dyn Store>| {
        for w in &windows {
            let mut want: BTreeMap<(String, Option<i32>), u64> = BTreeMap::new();
            for r in written.iter().filter(|r| r.survey.id == s.id) {
                if w.from.is_none_or(|f| r.submitted_at >= f) && w.to.is_none_or(|t| r.submitted_at < t) {
                    let score = match r.answers.get("nps") {
                        Some(AnswerValue::Score(v)) => Some(*v),
                        _ => None,
                    };
                    *want.entry((r.channel.clone(), score)).or_default() += 1;
                }
            }
            assert!(want.keys().any(|k| k.1.is_none()), "some responses have no headline answer");
            let got = store.headline_counts_by_channel(s.id, w).await.unwrap();
            let want_list: Vec<_> = want.iter().map(|((c, sc), n)| (c.clone(), *sc, *n)).collect();
            assert_eq!(got, want_list, "{w:?}");
            let mut totals: BTreeMap<Option<i32>, u64> = BTreeMap::new();
            for ((_, sc), n) in &want {
                *totals.entry(*sc).or_default() += n;
            }
            assert_eq!(store.headline_counts(s.id, w).await.unwrap(), totals.into_iter().collect::<Vec<_>>(), "{w:?}");
        }
    };
    check(&store).await;
    // The migration's backfill, from an empty rollup, gives the same.
    let migration = include_str!("../migrations/0018_channel_daily.sql");
    let backfill = &migration[migration.find("INSERT").unwrap()..];
    raw(backend, &db, "DELETE FROM channel_daily").await.unwrap();
    assert!(store.headline_counts(s.id, &windows[0]).await.unwrap().is_empty());
    raw(backend, &db, backfill).await.unwrap();
    check(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn headline_counts_per_channel_follow_the_responses_on_sqlite() {
    headline_counts_per_channel_follow_the_responses(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn headline_counts_per_channel_follow_the_responses_on_postgres() {
    headline_counts_per_channel_follow_the_responses(Backend::Postgres).await;
}

/// `matching_customers` (the expression over the columns it names) selects
/// exactly the customers `CustomerFacts::matches` selects over every
/// customer's full facts: random directories (text in mixed case and
/// Unicode, numbers as integers, decimals and numeric text, true/false,
/// null, lists, missing values; customers with and without responses and
/// lifecycle stages) against random expressions over every kind of field
/// and operator; and from a cursor.
async fn the_store_evaluates_expressions_as_the_facts_do(store: Arc<dyn Store>) {
    use cxloop_core::segment::{Expr, Op, Value};
    let mut rng = Lcg(2024);
    let texts = ["pro", "Pro", "PRO", " pro", "starter", "Été", "été", "ÉTÉ", "40", " 40 ", "4e1", "", "  ", "zürich"];
    let pick_json = |rng: &mut Lcg| -> Option<serde_json::Value> {
        match rng.below(9) {
            0 => None,
            1 => Some(serde_json::Value::Null),
            2 => Some(serde_json::json!(rng.below(100))),
            3 => Some(serde_json::json!(rng.below(1000) as f64 / 8.0)),
            4 => Some(serde_json::json!(rng.below(2) == 0)),
            5 => Some(serde_json::json!(["pro"])),
            _ => Some(serde_json::json!(texts[rng.below(texts.len() as u64) as usize])),
        }
    };
    let keys = ["plan", "seats", "city", "vip"];
    let mut customers = Vec::new();
    for i in 0..240u64 {
        let mut attributes = serde_json::Map::new();
        for k in keys {
            if let Some(v) = pick_json(&mut rng) {
                attributes.insert(k.to_string(), v);
            }
        }
        let name = match rng.below(3) {
            0 => None,
            _ => Some(texts[rng.below(texts.len() as u64) as usize].to_string()),
        };
        customers.push(CustomerRef {
            external_id: format!("c-{i:03}"),
            name,
            email: (rng.below(2) == 0).then(|| format!("c{i}@example.com")),
            attributes,
        });
    }
    store.upsert_customers(&customers).await.unwrap();
    let s = survey("evaluate");
    store.create_survey(&s).await.unwrap();
    let mut batch = Vec::new();
    for i in 0..300u64 {
        let c = format!("c-{:03}", rng.below(240));
        batch.push(response(
            &s,
            rng.below(11) as i32,
            datetime!(2026-02-01 0:00 UTC) + time::Duration::hours(i as i64),
            None,
            Some(&c),
        ));
    }
    store.insert_responses(&batch).await.unwrap();
    for i in 0..40u64 {
        let c = store.customer_by_external_id(&format!("c-{:03}", rng.below(240))).await.unwrap();
        let kind = [Lifecycle::SignedUp, Lifecycle::Renewed, Lifecycle::Churned][rng.below(3) as usize];
        store
            .add_customer_event(c.id, kind, datetime!(2026-03-01 0:00 UTC) + time::Duration::hours(i as i64), None)
            .await
            .unwrap();
    }
    let all = store.customer_facts(None, 10_000).await.unwrap();
    assert_eq!(all.len(), 240);
    let fields = [
        "plan",
        "seats",
        "city",
        "vip",
        "missing",
        "name",
        "email",
        "external_id",
        "stage",
        "responses",
        "last_nps",
        "last_csat",
        "last_response_at",
        "created_at",
    ];
    let value = |rng: &mut Lcg| -> Value {
        match rng.below(5) {
            0 => Value::Number(rng.below(12) as f64),
            1 => Value::Number(rng.below(1000) as f64 / 8.0),
            2 => Value::Bool(rng.below(2) == 0),
            3 => Value::Text("2026-02-05".into()),
            _ => Value::Text(texts[rng.below(texts.len() as u64) as usize].to_string()),
        }
    };
    fn random(rng: &mut Lcg, depth: u32, fields: &[&str], value: &dyn Fn(&mut Lcg) -> Value) -> Expr {
        let field = fields[rng.below(fields.len() as u64) as usize].to_string();
        match if depth == 0 { 3 + rng.below(3) } else { rng.below(6) } {
            0 => Expr::And {
                left: Box::new(random(rng, depth - 1, fields, value)),
                right: Box::new(random(rng, depth - 1, fields, value)),
            },
            1 => Expr::Or {
                left: Box::new(random(rng, depth - 1, fields, value)),
                right: Box::new(random(rng, depth - 1, fields, value)),
            },
            2 => Expr::Not { expr: Box::new(random(rng, depth - 1, fields, value)) },
            3 => Expr::In { field, values: (0..1 + rng.below(3)).map(|_| value(rng)).collect() },
            4 => Expr::Empty { field, negated: rng.below(2) == 0 },
            _ => {
                let op = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge, Op::Contains][rng.below(7) as usize];
                Expr::Compare { field, op, value: value(rng) }
            }
        }
    }
    let mut selective = 0;
    for round in 0..300 {
        let expr = random(&mut rng, 2, &fields, &value);
        let want: Vec<(cxloop_core::ids::CustomerId, String)> =
            all.iter().filter(|f| f.matches(&expr)).map(|f| (f.customer.id, f.customer.external_id.clone())).collect();
        if !want.is_empty() && want.len() < all.len() {
            selective += 1;
        }
        assert_eq!(store.matching_customers(&expr, None).await.unwrap(), want, "round {round}: {expr:?}");
        let after: Vec<_> = want.iter().filter(|(_, e)| e.as_str() > "c-120").cloned().collect();
        assert_eq!(
            store.matching_customers(&expr, Some("c-120")).await.unwrap(),
            after,
            "round {round}, after: {expr:?}"
        );
    }
    assert!(selective > 100, "most expressions select some customers, not all ({selective})");
    let ids: Vec<_> = all.iter().rev().take(5).map(|f| f.customer.id).collect();
    let facts = store.facts_by_ids(&ids).await.unwrap();
    assert_eq!(
        facts.iter().map(|f| f.customer.external_id.as_str()).collect::<Vec<_>>(),
        ["c-235", "c-236", "c-237", "c-238", "c-239"]
    );
}
