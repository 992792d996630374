//! Moving a whole installation between databases (`cxloop migrate-data`):
//! the two schemas are read from the databases and must be equal; then
//! every table is copied in foreign-key order, a page at a time, in each
//! backend's own key order, each column as the type the schema declares; then both sides are read back and compared by
//! row count and a checksum: the sum of the SHA-256 of every row, which does
//! not depend on row order (the backends collate text differently). Works
//! in either direction.

use crate::postgres::PgStore;
use crate::schema::{Column, Schema, TableSchema};
use crate::sqlite::SqliteStore;
use crate::{Result, StoreError};
use sha2::{Digest, Sha256};

/// A cell of a copied row. Every column is text or a 64-bit integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    /// A float, carried as its bit pattern so that rows compare exactly.
    Real(u64),
    Text(String),
}

/// A table to copy, as the live schema describes it: its key's columns
/// first (pages are read in key order), then the others.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    pub key_len: usize,
}

impl Table {
    fn from_schema(t: &TableSchema) -> Result<Table> {
        if t.primary_key.is_empty() {
            return Err(StoreError::Other(format!("table {} has no primary key to copy it by", t.name)));
        }
        let mut columns: Vec<Column> = Vec::with_capacity(t.columns.len());
        for k in &t.primary_key {
            columns.extend(t.columns.iter().find(|c| &c.name == k).cloned());
        }
        columns.extend(t.columns.iter().filter(|c| !t.primary_key.contains(&c.name)).cloned());
        Ok(Table { name: t.name.clone(), columns, key_len: t.primary_key.len() })
    }

    pub fn column_list(&self) -> String {
        self.columns.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    pub fn key(&self) -> String {
        self.columns[..self.key_len].iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Every table, parents before children: the one thing about the schema
/// that is declared here rather than read from the database (a contract
/// test checks it against the foreign keys, and `tables` refuses a table
/// missing from it).
pub const ORDER: &[&str] = &[
    "settings",
    "users",
    "sessions",
    "api_tokens",
    "customers",
    "surveys",
    "responses",
    "answer_scores",
    "answer_texts",
    "score_daily",
    "channel_daily",
    "idempotency",
    "taxonomy_versions",
    "text_analysis",
    "text_themes",
    "text_pending",
    "theme_daily",
    "theme_examples",
    "customer_attributes",
    "customer_events",
    "segments",
    "segment_members",
    "segment_pending",
    "segment_daily",
    "segment_uncounted",
    "segment_themes",
    "segment_untallied",
    "audit_log",
    "personas",
    "invitations",
    "contact_log",
    "unsubscribes",
    "hooks",
    "hook_events",
    "widgets",
    "jobs",
];

/// The tables of a schema in copy order, with their columns and types as
/// the database declares them.
pub fn tables(schema: &Schema) -> Result<Vec<Table>> {
    if let Some(t) = schema.tables.iter().find(|t| !ORDER.contains(&t.name.as_str())) {
        return Err(StoreError::Other(format!(
            "table {} is not in transfer::ORDER; add it after the tables it references",
            t.name
        )));
    }
    ORDER
        .iter()
        .map(|name| {
            let t = schema.table(name).ok_or_else(|| {
                StoreError::Other(format!("transfer::ORDER names table {name}, which does not exist"))
            })?;
            Table::from_schema(t)
        })
        .collect()
}

/// Either backend, opened directly (not through `dyn Store`).
pub enum Endpoint {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Endpoint {
    pub async fn open(url: &str) -> Result<Endpoint> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Endpoint::Postgres(PgStore::connect(url).await?));
        }
        match url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
            Some(path) => Ok(Endpoint::Sqlite(SqliteStore::open(std::path::Path::new(path)).await?)),
            None => {
                Err(StoreError::Other(format!("unsupported database URL {url:?}; use sqlite:PATH or postgres://…")))
            }
        }
    }

    /// The live schema.
    pub async fn schema(&self) -> Result<Schema> {
        match self {
            Endpoint::Sqlite(s) => s.schema().await,
            Endpoint::Postgres(s) => s.schema().await,
        }
    }

    /// Up to `limit` rows after `after` (a key), in key order.
    pub async fn read_page(&self, t: &Table, after: Option<&[Cell]>, limit: u32) -> Result<Vec<Vec<Cell>>> {
        match self {
            Endpoint::Sqlite(s) => s.read_page(t, after, limit).await,
            Endpoint::Postgres(s) => s.read_page(t, after, limit).await,
        }
    }

    /// Inserts rows in one transaction.
    pub async fn write_rows(&self, t: &Table, rows: &[Vec<Cell>]) -> Result<()> {
        match self {
            Endpoint::Sqlite(s) => s.write_rows(t, rows).await,
            Endpoint::Postgres(s) => s.write_rows(t, rows).await,
        }
    }

    /// Row count and an order-independent checksum of every row.
    pub async fn checksum(&self, t: &Table) -> Result<(u64, String)> {
        let mut sum = 0u128;
        let mut n = 0u64;
        let mut after: Option<Vec<Cell>> = None;
        loop {
            let page = self.read_page(t, after.as_deref(), PAGE).await?;
            for row in &page {
                let mut hash = Sha256::new();
                for cell in row {
                    match cell {
                        Cell::Null => hash.update(b"N"),
                        Cell::Int(i) => hash.update(format!("I{i}")),
                        Cell::Real(bits) => hash.update(format!("R{bits}")),
                        Cell::Text(s) => hash.update(format!("T{}:{s}", s.len())),
                    }
                }
                let digest = hash.finalize();
                let mut first = [0u8; 16];
                first.copy_from_slice(&digest[..16]);
                sum = sum.wrapping_add(u128::from_be_bytes(first));
                n += 1;
            }
            match page.last() {
                Some(last) if page.len() == PAGE as usize => after = Some(last[..t.key_len].to_vec()),
                _ => break,
            }
        }
        Ok((n, format!("{sum:032x}")))
    }
}

const PAGE: u32 = 5000;

/// What was copied, per table.
#[derive(Debug, Clone)]
pub struct Copied {
    pub table: String,
    pub rows: u64,
    pub checksum: String,
}

/// Copies everything from `from` into `to`, which must hold no data, then
/// verifies every table by count and checksum. `progress` hears each page.
pub async fn copy_all(from: &Endpoint, to: &Endpoint, mut progress: impl FnMut(&str, u64)) -> Result<Vec<Copied>> {
    let schema = from.schema().await?;
    let differences = schema.differences(&to.schema().await?);
    if !differences.is_empty() {
        return Err(StoreError::Other(format!(
            "the two databases' schemas differ (is one of them an older cxloop?): {}",
            differences.join("; ")
        )));
    }
    let tables = tables(&schema)?;
    for t in &tables {
        if !to.read_page(t, None, 1).await?.is_empty() {
            return Err(StoreError::Other(format!(
                "the target already holds data (table {}); migrate into an empty database",
                t.name
            )));
        }
    }
    for t in &tables {
        let mut after: Option<Vec<Cell>> = None;
        let mut n = 0;
        loop {
            let page = from.read_page(t, after.as_deref(), PAGE).await?;
            if page.is_empty() {
                break;
            }
            to.write_rows(t, &page).await?;
            n += page.len() as u64;
            progress(&t.name, n);
            if page.len() < PAGE as usize {
                break;
            }
            after = page.last().map(|last| last[..t.key_len].to_vec());
        }
    }
    let mut report = Vec::new();
    for t in &tables {
        let (a, b) = (from.checksum(t).await?, to.checksum(t).await?);
        if a != b {
            return Err(StoreError::Other(format!(
                "verification failed for {}: source {} rows ({}), target {} rows ({})",
                t.name, a.0, a.1, b.0, b.1
            )));
        }
        report.push(Copied { table: t.name.clone(), rows: a.0, checksum: a.1 });
    }
    Ok(report)
}
