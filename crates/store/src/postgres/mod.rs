//! The PostgreSQL backend, for installations that outgrow one machine: any
//! number of stateless `cxloop serve` processes share one database. The
//! schema and the queries mirror the SQLite backend (same tables, same
//! column meanings, text ids and timestamps), so both pass one contract
//! suite. Migrations run under an advisory lock, so processes starting
//! together never migrate twice; jobs are claimed with `FOR UPDATE SKIP LOCKED`.

// The backend-specific names the shared modules (`../shared/`) are written against.
type Backend = PgStore;
type Db = sqlx::Postgres;
type Conn = sqlx::PgConnection;
type Pool = PgPool;
type DbRow = sqlx::postgres::PgRow;
const GREATEST: &str = "GREATEST";
/// Merges stored customer attributes (JSON text) with new ones.
const MERGE_ATTRIBUTES: &str = "(customers.attributes::jsonb || excluded.attributes::jsonb)::text";
/// Workers in many processes skip each other's claimed rows instead of waiting.
const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
/// Locks the rows a check reads until the transaction ends.
const FOR_UPDATE: &str = " FOR UPDATE";

/// Rewrites `?` placeholders as PostgreSQL's `$1, $2, …` (the shared SQL
/// contains no literal question marks).
fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// SQL with its placeholders rewritten once per call site.
macro_rules! q {
    ($sql:literal) => {{
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| super::placeholders($sql));
        sqlx::AssertSqlSafe(SQL.as_str())
    }};
}

/// Dynamic SQL built from constants in this crate (never from input).
fn qs(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(placeholders(&sql))
}

mod accounts {
    include!("../shared/accounts.rs");
}
mod customers {
    include!("../shared/customers.rs");
}
mod channels {
    include!("../shared/channels.rs");
}
mod invitations {
    include!("../shared/invitations.rs");
}
mod jobs {
    include!("../shared/jobs.rs");
}
mod migrate {
    include!("../shared/migrate.rs");
}
mod responses {
    include!("../shared/responses.rs");
}
mod surveys {
    include!("../shared/surveys.rs");
}
mod text {
    include!("../shared/text.rs");
}
mod transfer_io {
    include!("../shared/transfer_io.rs");
}
mod writer {
    include!("../shared/writer.rs");
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(super::placeholders("a = ? AND b IN (?, ?)"), "a = $1 AND b IN ($2, $3)");
    }
}

use crate::{Result, Store, StoreError};
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

/// Migrations, in order: the same versions and names as SQLite's.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../../migrations/postgres/0001_foundation.sql")),
    (2, "jobs", include_str!("../../migrations/postgres/0002_jobs.sql")),
    (3, "text", include_str!("../../migrations/postgres/0003_text.sql")),
    (4, "customers", include_str!("../../migrations/postgres/0004_customers.sql")),
    (5, "audit", include_str!("../../migrations/postgres/0005_audit.sql")),
    (6, "personas", include_str!("../../migrations/postgres/0006_personas.sql")),
    (7, "persona_pictures", include_str!("../../migrations/postgres/0007_persona_pictures.sql")),
    (8, "channels", include_str!("../../migrations/postgres/0008_channels.sql")),
    (9, "roles", include_str!("../../migrations/postgres/0009_roles.sql")),
];

/// An arbitrary constant naming cxloop's migration lock.
const MIGRATION_LOCK: i64 = 0x6378_6c6f_6f70;

#[derive(Clone)]
pub struct PgStore {
    read: PgPool,
    write: PgPool,
    ingest: tokio::sync::mpsc::Sender<writer::Job>,
    health: std::sync::Arc<crate::health::Health>,
}

impl PgStore {
    /// Connects and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            // A connection that comes back inside a transaction (its commit or
            // rollback failed) is closed rather than handed out again.
            .after_release(|conn, _| Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) }))
            .connect(url)
            .await
            .map_err(|e| StoreError::Other(format!("cannot connect to PostgreSQL: {e}")))?;
        migrate(&pool).await?;
        let health = std::sync::Arc::new(crate::health::Health::default());
        let ingest = writer::spawn(pool.clone(), health.clone());
        Ok(Self { read: pool.clone(), write: pool, ingest, health })
    }
}

async fn migrate(pool: &PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK).execute(&mut *conn).await?;
    let result = migrate::apply(&mut conn).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&mut *conn).await;
    result?;
    unlocked?;
    Ok(())
}

pub(crate) use crate::{unique, uuid};

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
    fn health(&self) -> &crate::health::Health {
        &self.health
    }
}
