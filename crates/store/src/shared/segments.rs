// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Saved segments and their members, on either backend.
//
// Membership invariant: for a segment whose `members_of` equals its
// `expression`, `segment_members` holds exactly the customers that matched it
// when they were last evaluated, and every customer whose facts changed since
// is in `segment_pending` (the change and the queue row commit together). So
// members = stored members − pending + pending that match now, at any moment.
// A segment being built holds that for the customers up to `built_to`.
// Upkeep serialises on the segments' rows (`FOR UPDATE` on PostgreSQL; the
// one writer on SQLite), so a build chunk and a pending step never interleave.

use super::{Backend, Conn, Db, unique};
use crate::codec::{Id, Ts, count};
use crate::{CustomerFacts, PENDING_LIMIT, Result, Segment, SegmentStore, StoreError};
use async_trait::async_trait;
use cxloop_core::ids::{CustomerId, SegmentId};
use cxloop_core::segment::Expr;
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;
use time::OffsetDateTime;

/// Rows per multi-row statement of member ids.
const ROWS: usize = 500;

/// Queues customers whose facts just changed for membership upkeep, in the
/// caller's transaction.
pub(super) async fn mark_pending(conn: &mut Conn, customer_ids: &[String]) -> Result<()> {
    for chunk in customer_ids.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO segment_pending (customer_id) ");
        qb.push_values(chunk, |mut b, id| {
            b.push_bind(id.clone());
        });
        qb.push(" ON CONFLICT (customer_id) DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A saved segment as upkeep sees it: its parsed expression (`None` when it
/// does not parse: nobody matches) and how far its members are built.
struct Upkeep {
    id: String,
    expression: String,
    expr: Option<Expr>,
    built: bool,
    built_to: Option<String>,
}

impl Upkeep {
    /// Whether the stored members are kept for this customer.
    fn covers(&self, customer_id: &str) -> bool {
        self.built || self.built_to.as_deref().is_some_and(|to| customer_id <= to)
    }

    fn matches(&self, f: &CustomerFacts) -> bool {
        self.expr.as_ref().is_some_and(|e| f.matches(e))
    }
}

async fn upkeep_rows(conn: &mut Conn, lock: bool) -> Result<Vec<Upkeep>> {
    let rows = sqlx::query(super::qs(format!(
        "SELECT id, expression, members_of, built_to FROM segments ORDER BY id{}",
        if lock { super::FOR_UPDATE } else { "" }
    )))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let expression: String = r.try_get("expression")?;
            let members_of: Option<String> = r.try_get("members_of")?;
            Ok(Upkeep {
                id: r.try_get("id")?,
                expr: cxloop_core::segment::parse(&expression).ok(),
                built: members_of.as_deref() == Some(expression.as_str()),
                expression,
                built_to: r.try_get("built_to")?,
            })
        })
        .collect()
}

/// The facts of the given customers (by id).
async fn facts_of(conn: &mut Conn, ids: &[String]) -> Result<Vec<CustomerFacts>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS) {
        let mut qb = super::customers::facts_query();
        qb.push(" AND c.id IN (");
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(id.clone());
        }
        qb.push(")");
        for row in qb.build().fetch_all(&mut *conn).await? {
            out.push(super::customers::decode_facts(&row)?);
        }
    }
    Ok(out)
}

async fn insert_members(conn: &mut Conn, rows: &[(String, String)]) -> Result<()> {
    for chunk in rows.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO segment_members (segment_id, customer_id) ");
        qb.push_values(chunk, |mut b, (segment, customer)| {
            b.push_bind(segment.clone()).push_bind(customer.clone());
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Evaluates the claimed pending customers against every segment that keeps
/// members for them.
async fn apply_pending(conn: &mut Conn, segments: &[Upkeep], claimed: &[String]) -> Result<()> {
    for chunk in claimed.chunks(ROWS) {
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM segment_members WHERE customer_id IN (");
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(id.clone());
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await?;
    }
    let facts = facts_of(conn, claimed).await?;
    let mut rows = Vec::new();
    for f in &facts {
        let id = f.customer.id.to_string();
        for s in segments.iter().filter(|s| s.covers(&id) && s.matches(f)) {
            rows.push((s.id.clone(), id.clone()));
        }
    }
    insert_members(conn, &rows).await
}

/// Builds the next `limit` customers of a segment being built.
async fn build_step(conn: &mut Conn, s: &Upkeep, limit: u32) -> Result<u64> {
    let mut qb = super::customers::facts_query();
    if let Some(after) = &s.built_to {
        qb.push(" AND c.id > ").push_bind(after.clone());
    }
    qb.push(" ORDER BY c.id LIMIT ").push_bind(i64::from(limit));
    let facts: Vec<CustomerFacts> =
        qb.build().fetch_all(&mut *conn).await?.iter().map(super::customers::decode_facts).collect::<Result<_>>()?;
    let rows: Vec<(String, String)> =
        facts.iter().filter(|f| s.matches(f)).map(|f| (s.id.clone(), f.customer.id.to_string())).collect();
    insert_members(conn, &rows).await?;
    let last = facts.last().map(|f| f.customer.id.to_string());
    if facts.len() < limit as usize {
        sqlx::query("UPDATE segments SET members_of = $1, built_to = NULL WHERE id = $2")
            .bind(&s.expression)
            .bind(&s.id)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query("UPDATE segments SET built_to = $1 WHERE id = $2")
            .bind(last)
            .bind(&s.id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(facts.len().max(1) as u64)
}

/// The exact members of built segments, in one snapshot: stored members not
/// pending, plus pending customers that match now. `None` when too many wait.
async fn exact_members(conn: &mut Conn, only: Option<&str>) -> Result<Option<Vec<(Upkeep, Vec<CustomerId>)>>> {
    if !super::SNAPSHOT.is_empty() {
        sqlx::query(super::SNAPSHOT).execute(&mut *conn).await?;
    }
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM segment_pending").fetch_one(&mut *conn).await?;
    if count(pending)? > PENDING_LIMIT {
        return Ok(None);
    }
    let segments: Vec<Upkeep> =
        upkeep_rows(conn, false).await?.into_iter().filter(|s| s.built && only.is_none_or(|o| o == s.id)).collect();
    let pending_ids: Vec<String> =
        sqlx::query_scalar("SELECT customer_id FROM segment_pending").fetch_all(&mut *conn).await?;
    let pending_facts = facts_of(conn, &pending_ids).await?;
    let mut out = Vec::with_capacity(segments.len());
    for s in segments {
        let stored: Vec<Id<CustomerId>> = sqlx::query_scalar(
            "SELECT m.customer_id FROM segment_members m WHERE m.segment_id = $1
             AND NOT EXISTS (SELECT 1 FROM segment_pending p WHERE p.customer_id = m.customer_id)",
        )
        .bind(&s.id)
        .fetch_all(&mut *conn)
        .await?;
        let mut ids: Vec<CustomerId> = stored.into_iter().map(|i| i.0).collect();
        ids.extend(pending_facts.iter().filter(|f| s.matches(f)).map(|f| f.customer.id));
        out.push((s, ids));
    }
    Ok(Some(out))
}

fn decode_segment(row: &super::DbRow) -> Result<Segment> {
    Ok(Segment {
        id: row.try_get::<Id<_>, _>("id")?.0,
        name: row.try_get("name")?,
        expression: row.try_get("expression")?,
        description: row.try_get("description")?,
        created_at: row.try_get::<Ts, _>("created_at")?.0,
        updated_at: row.try_get::<Ts, _>("updated_at")?.0,
    })
}

const SEGMENT_COLUMNS: &str = "id, name, expression, description, created_at, updated_at";

#[async_trait]
impl SegmentStore for Backend {
    async fn create_segment(&self, name: &str, expression: &str, description: Option<&str>) -> Result<Segment> {
        let id = cxloop_core::ids::SegmentId::new();
        let now = Ts(OffsetDateTime::now_utc());
        sqlx::query("INSERT INTO segments (id, name, expression, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(Id(id))
        .bind(name)
        .bind(expression)
        .bind(description)
        .bind(now)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(|e| unique(e, "name"))?;
        self.segment(id).await
    }

    async fn update_segment(
        &self,
        id: cxloop_core::ids::SegmentId,
        name: &str,
        expression: &str,
        description: Option<&str>,
    ) -> Result<Segment> {
        let mut tx = self.write.begin().await?;
        let old: Option<String> = sqlx::query_scalar(super::qs(format!(
            "SELECT expression FROM segments WHERE id = $1{}",
            super::FOR_UPDATE
        )))
        .bind(Id(id))
        .fetch_optional(&mut *tx)
        .await?;
        let Some(old) = old else { return Err(StoreError::NotFound) };
        sqlx::query("UPDATE segments SET name = $1, expression = $2, description = $3, updated_at = $4 WHERE id = $5")
            .bind(name)
            .bind(expression)
            .bind(description)
            .bind(Ts(OffsetDateTime::now_utc()))
            .bind(Id(id))
            .execute(&mut *tx)
            .await
            .map_err(|e| unique(e, "name"))?;
        if old != expression {
            // Other members now: built again by the upkeep, from the first customer.
            sqlx::query("DELETE FROM segment_members WHERE segment_id = $1").bind(Id(id)).execute(&mut *tx).await?;
            sqlx::query("UPDATE segments SET members_of = NULL, built_to = NULL WHERE id = $1")
                .bind(Id(id))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.segment(id).await
    }

    async fn delete_segment(&self, id: cxloop_core::ids::SegmentId) -> Result<()> {
        let done = sqlx::query("DELETE FROM segments WHERE id = $1").bind(Id(id)).execute(&self.write).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn segment(&self, id: cxloop_core::ids::SegmentId) -> Result<Segment> {
        let row = sqlx::query(super::qs(format!("SELECT {SEGMENT_COLUMNS} FROM segments WHERE id = $1")))
            .bind(Id(id))
            .fetch_one(&self.write)
            .await?;
        decode_segment(&row)
    }

    async fn segments(&self) -> Result<Vec<Segment>> {
        let rows = sqlx::query(super::qs(format!("SELECT {SEGMENT_COLUMNS} FROM segments ORDER BY name")))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(decode_segment).collect()
    }

    async fn refresh_members(&self, limit: u32) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let segments = upkeep_rows(&mut tx, true).await?;
        let claimed: Vec<String> = sqlx::query_scalar(super::qs(format!(
            "DELETE FROM segment_pending WHERE customer_id IN
               (SELECT customer_id FROM segment_pending ORDER BY customer_id LIMIT $1{})
             RETURNING customer_id",
            super::SKIP_LOCKED
        )))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        let done = if !claimed.is_empty() {
            apply_pending(&mut tx, &segments, &claimed).await?;
            claimed.len() as u64
        } else if let Some(s) = segments.iter().find(|s| !s.built) {
            build_step(&mut tx, s, limit.max(1)).await?
        } else {
            0
        };
        tx.commit().await?;
        Ok(done)
    }

    async fn segment_members(&self, id: SegmentId) -> Result<Option<Vec<CustomerId>>> {
        let mut tx = self.read.begin().await?;
        let key = id.to_string();
        let found = exact_members(&mut tx, Some(&key)).await?;
        tx.commit().await?;
        Ok(found.and_then(|mut v| v.pop()).map(|(_, ids)| ids))
    }

    async fn segment_sizes(&self) -> Result<HashMap<SegmentId, u64>> {
        let mut tx = self.read.begin().await?;
        let found = exact_members(&mut tx, None).await?;
        tx.commit().await?;
        found
            .unwrap_or_default()
            .into_iter()
            .map(|(s, ids)| Ok((crate::uuid::<SegmentId>(&s.id)?, ids.len() as u64)))
            .collect()
    }
}
