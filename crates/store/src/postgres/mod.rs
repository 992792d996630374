//! The PostgreSQL backend, for installations that outgrow one machine: any
//! number of stateless `cxloop serve` processes share one database. The
//! schema and the queries mirror the SQLite backend (same tables, same
//! column meanings, text ids and timestamps), so both pass one contract
//! suite. Migrations run under an advisory lock, so processes starting
//! together never migrate twice; jobs are claimed with `FOR UPDATE SKIP LOCKED`.

// Each shared module is compiled once per backend, against that backend's
// names below: loading the same file as two modules is the point.
#![allow(clippy::duplicate_mod)]

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

/// Dynamic SQL built from constants in this crate (never from input).
fn qs(sql: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(sql)
}

#[path = "../shared/accounts.rs"]
mod accounts;
#[path = "../shared/channels.rs"]
mod channels;
#[path = "../shared/customers.rs"]
mod customers;
#[path = "../shared/invitations.rs"]
mod invitations;
#[path = "../shared/jobs.rs"]
mod jobs;
#[path = "../shared/migrate.rs"]
mod migrate;
#[path = "../shared/responses.rs"]
mod responses;
#[path = "../shared/surveys.rs"]
mod surveys;
#[path = "../shared/text.rs"]
mod text;
#[path = "../shared/transfer_io.rs"]
mod transfer_io;
#[path = "../shared/writer.rs"]
mod writer;

#[cfg(test)]
mod tests {
    /// The shared SQL numbers its placeholders (`$1`), which both drivers
    /// bind; a `?` placeholder would work on SQLite alone. Every string
    /// literal in the shared modules is checked (format specs like `{x:?}`
    /// aside), so a `?` cannot slip in, and PostgreSQL's jsonb `?` stays
    /// available to a backend's own SQL.
    #[test]
    fn shared_sql_uses_numbered_placeholders() {
        let files = [
            ("accounts", include_str!("../shared/accounts.rs")),
            ("channels", include_str!("../shared/channels.rs")),
            ("customers", include_str!("../shared/customers.rs")),
            ("invitations", include_str!("../shared/invitations.rs")),
            ("jobs", include_str!("../shared/jobs.rs")),
            ("migrate", include_str!("../shared/migrate.rs")),
            ("responses", include_str!("../shared/responses.rs")),
            ("surveys", include_str!("../shared/surveys.rs")),
            ("text", include_str!("../shared/text.rs")),
            ("transfer_io", include_str!("../shared/transfer_io.rs")),
            ("writer", include_str!("../shared/writer.rs")),
        ];
        let mut found = Vec::new();
        for (name, text) in files {
            let mut chars = text.char_indices().peekable();
            while let Some((start, c)) = chars.next() {
                if c == '/' && chars.peek().is_some_and(|&(_, n)| n == '/') {
                    for (_, c) in chars.by_ref() {
                        if c == '\n' {
                            break;
                        }
                    }
                    continue;
                }
                if c == '\'' && text[start..].chars().nth(2) == Some('\'') {
                    chars.next();
                    chars.next();
                    continue;
                }
                if c != '"' {
                    continue;
                }
                let mut lit = String::new();
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        c => lit.push(c),
                    }
                }
                let without_specs = lit.replace(":?}", "}").replace(":#?}", "}");
                if without_specs.contains('?') {
                    found.push(format!("{name}: {lit}"));
                }
            }
        }
        assert!(found.is_empty(), "SQL with `?` placeholders in the shared modules: {found:#?}");
    }
}

use crate::{Result, Store, StoreError};
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

/// This backend's SQL of a migration.
fn migration_sql(m: &crate::migrations::Migration) -> &'static str {
    m.postgres
}

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

impl PgStore {
    /// The live schema of the current schema (search path), read from the
    /// catalogue.
    pub async fn schema(&self) -> Result<crate::schema::Schema> {
        use crate::schema::{Column, ColumnType, Index, Schema, TableSchema};
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'cxloop_migrations'",
        )
        .fetch_all(&self.read)
        .await?;
        let (mut tables, mut indexes) = (Vec::new(), Vec::new());
        for name in names {
            let cols: Vec<(String, String, String)> = sqlx::query_as(
                "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
            )
            .bind(&name)
            .fetch_all(&self.read)
            .await?;
            let columns = cols
                .into_iter()
                .map(|(col, ty, nullable)| {
                    let ty = ColumnType::parse(&ty).map_err(|e| StoreError::Other(format!("{name}.{col}: {e}")))?;
                    Ok(Column { name: col, ty, nullable: nullable == "YES" })
                })
                .collect::<Result<Vec<_>>>()?;
            // Each index with its columns in key order.
            let list: Vec<(bool, bool, Vec<String>)> = sqlx::query_as(
                "SELECT i.indisprimary, i.indisunique,
                        ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord)
                 FROM pg_index i WHERE i.indrelid = $1::regclass",
            )
            .bind(&name)
            .fetch_all(&self.read)
            .await?;
            let mut primary_key = Vec::new();
            for (primary, unique, columns) in list {
                if primary {
                    primary_key = columns;
                } else {
                    indexes.push(Index { table: name.clone(), columns, unique });
                }
            }
            tables.push(TableSchema { name, columns, primary_key });
        }
        Ok(Schema::normalised(tables, indexes))
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
