//! The PostgreSQL backend, for installations that outgrow one machine: any
//! number of stateless `cxloop serve` processes share one database. The
//! schema and the queries mirror the SQLite backend (same tables, same
//! column meanings, text ids and timestamps), so both pass one contract
//! suite. Migrations run under an advisory lock, so processes starting
//! together never migrate twice; jobs are claimed with `FOR UPDATE SKIP LOCKED`.

mod accounts;
mod jobs;
mod responses;
mod surveys;
mod writer;

use crate::{Result, Store, StoreError};
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

/// Migrations, in order: the same versions and names as SQLite's.
pub(crate) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../../migrations/postgres/0001_foundation.sql")),
    (2, "jobs", include_str!("../../migrations/postgres/0002_jobs.sql")),
];

/// An arbitrary constant naming cxloop's migration lock.
const MIGRATION_LOCK: i64 = 0x6378_6c6f_6f70;

#[derive(Clone)]
pub struct PgStore {
    read: PgPool,
    write: PgPool,
    ingest: tokio::sync::mpsc::Sender<writer::Job>,
}

impl PgStore {
    /// Connects and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await
            .map_err(|e| StoreError::Other(format!("cannot connect to PostgreSQL: {e}")))?;
        migrate(&pool).await?;
        let ingest = writer::spawn(pool.clone());
        Ok(Self { read: pool.clone(), write: pool, ingest })
    }
}

async fn migrate(pool: &PgPool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK).execute(&mut *conn).await?;
    let result = apply(&mut conn).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&mut *conn).await;
    result?;
    unlocked?;
    Ok(())
}

async fn apply(conn: &mut sqlx::PgConnection) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS cxloop_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    for &(version, name, sql) in MIGRATIONS {
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let done: Option<i64> = sqlx::query_scalar("SELECT version FROM cxloop_migrations WHERE version = $1")
            .bind(version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            continue;
        }
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO cxloop_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(version)
            .bind(name)
            .bind(crate::ts::fmt(time::OffsetDateTime::now_utc()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}

/// Turns a unique-constraint violation into `Conflict { what }`.
pub(crate) fn unique(e: sqlx::Error, what: &'static str) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict { what },
        _ => e.into(),
    }
}

pub(crate) fn uuid(s: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(s).map_err(|e| StoreError::Other(format!("bad stored id {s:?}: {e}")))
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
}

impl PgStore {
    /// A page of raw rows for `transfer`, in key order.
    pub(crate) async fn read_page(
        &self,
        t: &crate::transfer::Table,
        after: Option<&[crate::transfer::Cell]>,
        limit: u32,
    ) -> Result<Vec<Vec<crate::transfer::Cell>>> {
        use crate::transfer::{Cell, Table};
        use sqlx::Row;
        let key = t.key().join(", ");
        let mut qb =
            sqlx::QueryBuilder::<sqlx::Postgres>::new(format!("SELECT {} FROM {}", t.columns.join(", "), t.name));
        if let Some(after) = after {
            qb.push(format!(" WHERE ({key}) > ("));
            let mut sep = qb.separated(", ");
            for cell in after {
                match cell {
                    Cell::Int(i) => sep.push_bind(*i),
                    Cell::Text(s) => sep.push_bind(s.clone()),
                    Cell::Null => sep.push_bind(None::<String>),
                };
            }
            qb.push(")");
        }
        qb.push(format!(" ORDER BY {key} LIMIT ")).push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                t.columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        Ok(if Table::is_int(c) {
                            row.try_get::<Option<i64>, _>(i)?.map_or(Cell::Null, Cell::Int)
                        } else {
                            row.try_get::<Option<String>, _>(i)?.map_or(Cell::Null, Cell::Text)
                        })
                    })
                    .collect()
            })
            .collect()
    }

    /// Inserts raw rows for `transfer` in one transaction.
    pub(crate) async fn write_rows(
        &self,
        t: &crate::transfer::Table,
        rows: &[Vec<crate::transfer::Cell>],
    ) -> Result<()> {
        use crate::transfer::Cell;
        let mut tx = self.write.begin().await?;
        let per = (30_000 / t.columns.len()).max(1);
        for chunk in rows.chunks(per) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!(
                "INSERT INTO {} ({}) ",
                t.name,
                t.columns.join(", ")
            ));
            qb.push_values(chunk, |mut b, row| {
                for cell in row {
                    match cell {
                        Cell::Int(i) => b.push_bind(*i),
                        Cell::Text(s) => b.push_bind(s.clone()),
                        Cell::Null => b.push_bind(None::<String>),
                    };
                }
            });
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
