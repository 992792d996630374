//! What the benchmark harnesses share: their command-line options and a
//! fresh active survey to load.

// Each harness compiles this module on its own and uses part of it.
#![allow(dead_code)]

use cxloop_store::testing::Backend;

/// The number after `name` on the command line, or `default`.
pub fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// PostgreSQL when the command line says `postgres` (alone or after `--backend`), else SQLite.
pub fn backend() -> Backend {
    if std::env::args().any(|a| a == "postgres") { Backend::Postgres } else { Backend::Sqlite }
}

/// Creates an active survey with these questions.
pub async fn active_survey(
    store: &dyn cxloop_store::Store,
    slug: &str,
    title: &str,
    questions: Vec<cxloop_core::Question>,
) -> cxloop_core::Survey {
    let spec =
        cxloop_core::SurveySpec { title: title.into(), questions, ..Default::default() }.validate().expect("spec");
    let now = time::OffsetDateTime::now_utc();
    let survey = cxloop_core::Survey {
        id: cxloop_core::ids::SurveyId::new(),
        slug: slug.into(),
        title: spec.title,
        description: None,
        touchpoint: None,
        thank_you: None,
        status: cxloop_core::SurveyStatus::Active,
        questions: spec.questions,
        created_at: now,
        updated_at: now,
    };
    store.create_survey(&survey).await.expect("survey");
    survey
}

/// An admin account on `store` and a fresh API token for it.
pub async fn admin_token(store: &dyn cxloop_store::Store) -> String {
    let user = store
        .create_user(&cxloop_store::NewUser {
            email: "bench@example.com".into(),
            name: "bench".into(),
            role: cxloop_store::Role::Admin,
            password_hash: Some(cxloop_server::platform::auth::hash_password("bench password 123").expect("hash")),
        })
        .await
        .expect("user");
    let token = cxloop_server::platform::crypto::new_token();
    store
        .create_token(user.id, "bench", &cxloop_server::platform::crypto::sha256_hex(&token), user.role.permissions())
        .await
        .expect("token");
    token
}
