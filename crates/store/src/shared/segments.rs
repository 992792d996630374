// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Saved segments, on either backend.

use super::{Backend, unique};
use crate::codec::{Id, Ts};
use crate::{Result, Segment, SegmentStore, StoreError};
use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

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
        let done = sqlx::query(
            "UPDATE segments SET name = $1, expression = $2, description = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(name)
        .bind(expression)
        .bind(description)
        .bind(Ts(OffsetDateTime::now_utc()))
        .bind(Id(id))
        .execute(&self.write)
        .await
        .map_err(|e| unique(e, "name"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
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
}
