//! Moving a whole installation between databases (`cxloop migrate-data`):
//! every table is copied in foreign-key order, a page at a time, in each
//! backend's own key order; then both sides are read back and compared by
//! row count and a checksum: the sum of the SHA-256 of every row, which does
//! not depend on row order (the backends collate text differently). Works
//! in either direction.

use crate::postgres::PgStore;
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

/// A table to copy: name, columns, how many leading columns are the key.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub key_len: usize,
}

const INT_COLUMNS: &[&str] = &[
    "response_count",
    "headline_score",
    "score",
    "n",
    "attempts",
    "max_attempts",
    "version",
    "taxonomy_version",
    "max_reminders",
    "reminder_days",
    "reminders",
    "every_days",
];
const REAL_COLUMNS: &[&str] = &["sentiment"];

impl Table {
    pub fn is_int(column: &str) -> bool {
        INT_COLUMNS.contains(&column)
    }

    pub fn is_real(column: &str) -> bool {
        REAL_COLUMNS.contains(&column)
    }

    pub fn key(&self) -> &'static [&'static str] {
        &self.columns[..self.key_len]
    }
}

/// Every table, parents before children.
pub const TABLES: &[Table] = &[
    Table { name: "settings", columns: &["key", "value"], key_len: 1 },
    Table {
        name: "users",
        columns: &["id", "email", "name", "role", "password_hash", "created_at", "deactivated_at"],
        key_len: 1,
    },
    Table { name: "sessions", columns: &["id_hash", "user_id", "csrf", "created_at", "expires_at"], key_len: 1 },
    Table { name: "api_tokens", columns: &["id", "user_id", "name", "token_hash", "created_at", "scopes"], key_len: 1 },
    Table {
        name: "customers",
        columns: &["id", "external_id", "name", "email", "attributes", "created_at"],
        key_len: 1,
    },
    Table {
        name: "surveys",
        columns: &[
            "id",
            "slug",
            "title",
            "description",
            "touchpoint",
            "thank_you",
            "status",
            "questions",
            "response_count",
            "last_response_at",
            "created_at",
            "updated_at",
        ],
        key_len: 1,
    },
    Table {
        name: "responses",
        columns: &[
            "id",
            "survey_id",
            "customer_id",
            "submitted_at",
            "channel",
            "touchpoint",
            "headline_score",
            "headline_type",
            "answers",
            "created_at",
            "context",
            "source_ref",
        ],
        key_len: 1,
    },
    Table {
        name: "answer_scores",
        columns: &["response_id", "question_key", "survey_id", "score", "submitted_at"],
        key_len: 2,
    },
    Table {
        name: "answer_texts",
        columns: &["response_id", "question_key", "survey_id", "body", "submitted_at"],
        key_len: 2,
    },
    Table { name: "score_daily", columns: &["survey_id", "question_key", "day", "score", "n"], key_len: 4 },
    Table {
        name: "idempotency",
        columns: &["survey_id", "key", "request_hash", "response_id", "created_at"],
        key_len: 2,
    },
    Table {
        name: "taxonomy_versions",
        columns: &["version", "taxonomy", "note", "created_by", "created_at"],
        key_len: 1,
    },
    Table {
        name: "text_analysis",
        columns: &[
            "response_id",
            "question_key",
            "survey_id",
            "submitted_at",
            "language",
            "label",
            "sentiment",
            "reasons",
            "analysed_at",
        ],
        key_len: 2,
    },
    Table {
        name: "text_themes",
        columns: &["taxonomy_version", "theme", "response_id", "question_key", "survey_id", "submitted_at"],
        key_len: 4,
    },
    Table { name: "customer_attributes", columns: &["key", "label", "definition", "created_at"], key_len: 1 },
    Table {
        name: "customer_events",
        columns: &["id", "customer_id", "kind", "occurred_at", "note", "created_at"],
        key_len: 1,
    },
    Table {
        name: "segments",
        columns: &["id", "name", "expression", "description", "created_at", "updated_at"],
        key_len: 1,
    },
    Table { name: "audit_log", columns: &["id", "at", "actor", "action", "subject", "detail"], key_len: 1 },
    Table {
        name: "personas",
        columns: &[
            "id",
            "name",
            "description",
            "goals",
            "pain_points",
            "initials",
            "segment_id",
            "created_at",
            "updated_at",
            "picture_type",
            "picture",
        ],
        key_len: 1,
    },
    Table {
        name: "invitations",
        columns: &[
            "id",
            "survey_id",
            "customer_id",
            "email",
            "token",
            "status",
            "context",
            "max_reminders",
            "reminder_days",
            "reminders",
            "next_reminder_at",
            "error",
            "response_id",
            "created_at",
            "sent_at",
            "opened_at",
            "answered_at",
        ],
        key_len: 1,
    },
    Table { name: "contact_log", columns: &["email", "last_contact_at"], key_len: 1 },
    Table { name: "unsubscribes", columns: &["email", "created_at", "via"], key_len: 1 },
    Table { name: "hooks", columns: &["id", "name", "secret", "events", "created_at"], key_len: 1 },
    Table { name: "hook_events", columns: &["hook_id", "event_id", "received_at", "outcome"], key_len: 2 },
    Table { name: "widgets", columns: &["survey_id", "origins", "every_days", "updated_at"], key_len: 1 },
    Table {
        name: "jobs",
        columns: &[
            "id",
            "kind",
            "payload",
            "run_at",
            "attempts",
            "max_attempts",
            "locked_by",
            "locked_until",
            "last_error",
            "state",
            "finished_by",
            "created_at",
            "finished_at",
        ],
        key_len: 1,
    },
];

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
    pub table: &'static str,
    pub rows: u64,
    pub checksum: String,
}

/// Copies everything from `from` into `to`, which must hold no data, then
/// verifies every table by count and checksum. `progress` hears each page.
pub async fn copy_all(from: &Endpoint, to: &Endpoint, mut progress: impl FnMut(&str, u64)) -> Result<Vec<Copied>> {
    for t in TABLES {
        if !to.read_page(t, None, 1).await?.is_empty() {
            return Err(StoreError::Other(format!(
                "the target already holds data (table {}); migrate into an empty database",
                t.name
            )));
        }
    }
    for t in TABLES {
        let mut after: Option<Vec<Cell>> = None;
        let mut n = 0;
        loop {
            let page = from.read_page(t, after.as_deref(), PAGE).await?;
            if page.is_empty() {
                break;
            }
            to.write_rows(t, &page).await?;
            n += page.len() as u64;
            progress(t.name, n);
            if page.len() < PAGE as usize {
                break;
            }
            after = page.last().map(|last| last[..t.key_len].to_vec());
        }
    }
    let mut report = Vec::new();
    for t in TABLES {
        let (a, b) = (from.checksum(t).await?, to.checksum(t).await?);
        if a != b {
            return Err(StoreError::Other(format!(
                "verification failed for {}: source {} rows ({}), target {} rows ({})",
                t.name, a.0, a.1, b.0, b.1
            )));
        }
        report.push(Copied { table: t.name, rows: a.0, checksum: a.1 });
    }
    Ok(report)
}
