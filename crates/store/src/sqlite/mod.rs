//! The embedded SQLite backend: WAL, foreign keys, a busy timeout, one
//! writer connection (so writes never fight over the lock) and a small pool
//! of readers. `synchronous=FULL`, so a committed response survives a power
//! cut, not just a crash; single responses are group-committed (`writer`)
//! so that one fsync covers every response waiting at that moment.

// Each shared module is compiled once per backend, against that backend's
// names below: loading the same file as two modules is the point.
#![allow(clippy::duplicate_mod)]

// The backend-specific names the shared modules (`../shared/`) are written against.
type Backend = SqliteStore;
type Db = sqlx::Sqlite;
type Conn = sqlx::SqliteConnection;
type Pool = SqlitePool;
type DbRow = sqlx::sqlite::SqliteRow;
/// SQLite's two-argument scalar maximum.
const GREATEST: &str = "MAX";
/// Merges stored customer attributes (JSON text) with new ones.
const MERGE_ATTRIBUTES: &str = "json_patch(customers.attributes, excluded.attributes)";
/// Claims need no row locks: the single writer connection serialises them.
const SKIP_LOCKED: &str = "";
/// No row locks needed: the single writer connection serialises writes.
const FOR_UPDATE: &str = "";

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

use crate::health::Health;
use crate::{Result, Store, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// This backend's SQL of a migration.
fn migration_sql(m: &crate::migrations::Migration) -> &'static str {
    m.sqlite
}

#[derive(Clone)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
    /// Queue of the group-commit writer for single responses.
    ingest: tokio::sync::mpsc::Sender<writer::Job>,
    health: Arc<Health>,
    /// The cap on the file's size in pages (`PRAGMA max_page_count`) that
    /// every writer connection gets, 0 for SQLite's own limit.
    max_pages: Arc<AtomicU64>,
}

impl SqliteStore {
    /// Opens or creates the database file and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
        }
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("temp_store", "memory");
        let max_pages = Arc::new(AtomicU64::new(0));
        let cap = max_pages.clone();
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                let cap = cap.clone();
                Box::pin(async move { apply_max_pages(conn, cap.load(Ordering::Acquire)).await })
            })
            // A connection that comes back still inside a transaction (a
            // commit or rollback failed) is closed, never handed out again.
            .after_release(|conn, _| Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) }))
            .connect_with(opts.clone())
            .await?;
        migrate(&write).await?;
        let read = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.read_only(true))
            .await?;
        let health = Arc::new(Health::default());
        let ingest = writer::spawn(write.clone(), health.clone());
        Ok(Self { read, write, ingest, health, max_pages })
    }

    /// Caps the database file at `pages` pages (SQLite's `max_page_count`),
    /// or lifts the cap with `None`: a size quota for an operator, and for
    /// tests a real "database or disk is full" without filling a disk. A cap
    /// below the current size holds the file at its current size.
    pub async fn set_max_pages(&self, pages: Option<u64>) -> Result<()> {
        let pages = pages.unwrap_or(0);
        self.max_pages.store(pages, Ordering::Release);
        let mut conn = self.write.acquire().await?;
        apply_max_pages(&mut conn, pages).await?;
        Ok(())
    }

    /// The live schema, read from SQLite's catalogue.
    pub async fn schema(&self) -> Result<crate::schema::Schema> {
        use crate::schema::{Column, ColumnType, Index, Schema, TableSchema};
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'cxloop_migrations'",
        )
        .fetch_all(&self.read)
        .await?;
        let (mut tables, mut indexes) = (Vec::new(), Vec::new());
        for name in names {
            let cols: Vec<(String, String, i64, i64)> =
                sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid")
                    .bind(&name)
                    .fetch_all(&self.read)
                    .await?;
            let mut pk: Vec<(i64, String)> = cols.iter().filter(|c| c.3 > 0).map(|c| (c.3, c.0.clone())).collect();
            pk.sort();
            let columns = cols
                .into_iter()
                .map(|(col, ty, notnull, _)| {
                    let ty = ColumnType::parse(&ty).map_err(|e| StoreError::Other(format!("{name}.{col}: {e}")))?;
                    Ok(Column { name: col, ty, nullable: notnull == 0 })
                })
                .collect::<Result<Vec<_>>>()?;
            let list: Vec<(String, i64, String)> =
                sqlx::query_as("SELECT name, \"unique\", origin FROM pragma_index_list($1)")
                    .bind(&name)
                    .fetch_all(&self.read)
                    .await?;
            for (index, unique, _) in list.into_iter().filter(|i| i.2 != "pk") {
                let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                    .bind(&index)
                    .fetch_all(&self.read)
                    .await?;
                indexes.push(Index { table: name.clone(), columns, unique: unique != 0 });
            }
            tables.push(TableSchema { name, columns, primary_key: pk.into_iter().map(|p| p.1).collect() });
        }
        Ok(Schema::normalised(tables, indexes))
    }

    /// Writes a consistent copy of the database to `dest` (`VACUUM INTO`).
    pub async fn backup(&self, dest: &Path) -> Result<()> {
        sqlx::query("VACUUM INTO ?").bind(dest.to_string_lossy().to_string()).execute(&self.write).await?;
        Ok(())
    }
}

/// SQLite's own limit, used when no cap is set.
const SQLITE_MAX_PAGES: u64 = 4_294_967_294;

async fn apply_max_pages(conn: &mut sqlx::SqliteConnection, pages: u64) -> std::result::Result<(), sqlx::Error> {
    let pages = if pages == 0 { SQLITE_MAX_PAGES } else { pages };
    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {pages}"))).execute(conn).await?;
    Ok(())
}

async fn migrate(pool: &SqlitePool) -> Result<()> {
    let mut conn = pool.acquire().await?;
    migrate::apply(&mut conn).await
}

pub(crate) use crate::{unique, uuid};

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }
    fn health(&self) -> &Health {
        &self.health
    }
}
