//! Throw-away databases for tests, on either backend: a temp SQLite file,
//! or a uniquely named PostgreSQL database created on the server named by
//! `CXLOOP_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! and dropped afterwards. When PostgreSQL cannot be reached, a test fails
//! under `CI=true` and is skipped (saying so) elsewhere: it never passes silently.

use sqlx::Connection;

pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `CXLOOP_TEST_BACKEND=postgres` selects PostgreSQL; SQLite otherwise.
    pub fn from_env() -> Backend {
        match std::env::var("CXLOOP_TEST_BACKEND").as_deref() {
            Ok("postgres") => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

/// A database that exists for as long as this value does.
pub struct TempDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Postgres { admin: String, name: String },
}

fn admin_url() -> String {
    std::env::var("CXLOOP_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_string())
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

impl TempDatabase {
    /// A database on `backend`; `None` only outside CI when PostgreSQL is unreachable.
    pub async fn new(backend: Backend) -> Option<TempDatabase> {
        match backend {
            Backend::Sqlite => Some(TempDatabase::sqlite()),
            Backend::Postgres => TempDatabase::postgres().await,
        }
    }

    pub fn sqlite() -> TempDatabase {
        let dir = std::env::temp_dir().join(format!("cxloop-test-{}", uuid::Uuid::now_v7()));
        TempDatabase { url: format!("sqlite:{}", dir.join("cxloop.db").display()), cleanup: Cleanup::Dir(dir) }
    }

    pub async fn postgres() -> Option<TempDatabase> {
        let admin = admin_url();
        let mut conn = match sqlx::PgConnection::connect(&admin).await {
            Ok(c) => c,
            Err(e) if in_ci() => panic!("CI=true but PostgreSQL at {admin} is unreachable: {e}"),
            Err(e) => {
                eprintln!("SKIPPED PostgreSQL test: {admin} is unreachable ({e})");
                return None;
            }
        };
        let name = format!("cxloop_test_{}", uuid::Uuid::now_v7().simple());
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = conn.close().await;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Some(TempDatabase { url: format!("{base}/{name}"), cleanup: Cleanup::Postgres { admin, name } })
    }
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin, name } => {
                let (admin, name) = (admin.clone(), name.clone());
                // Drop may run inside a runtime; use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                        return;
                    };
                    rt.block_on(async {
                        if let Ok(mut c) = sqlx::PgConnection::connect(&admin).await {
                            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut c).await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
