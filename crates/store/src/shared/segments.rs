// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Saved segments, on either backend.

use super::{Backend, unique, uuid};
use crate::{Result, Segment, SegmentStore, StoreError, ts};
use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

fn decode_segment(row: &super::DbRow) -> Result<Segment> {
    Ok(Segment {
        id: uuid(row.try_get("id")?)?,
        name: row.try_get("name")?,
        expression: row.try_get("expression")?,
        description: row.try_get("description")?,
        created_at: ts::parse(row.try_get("created_at")?)?,
        updated_at: ts::parse(row.try_get("updated_at")?)?,
    })
}

const SEGMENT_COLUMNS: &str = "id, name, expression, description, created_at, updated_at";

#[async_trait]
impl SegmentStore for Backend {
    async fn create_segment(&self, name: &str, expression: &str, description: Option<&str>) -> Result<Segment> {
        let id = cxloop_core::ids::SegmentId::new();
        let now = ts::fmt(OffsetDateTime::now_utc());
        sqlx::query("INSERT INTO segments (id, name, expression, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id.to_string())
        .bind(name)
        .bind(expression)
        .bind(description)
        .bind(&now)
        .bind(&now)
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
        .bind(ts::fmt(OffsetDateTime::now_utc()))
        .bind(id.to_string())
        .execute(&self.write)
        .await
        .map_err(|e| unique(e, "name"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        self.segment(id).await
    }

    async fn delete_segment(&self, id: cxloop_core::ids::SegmentId) -> Result<()> {
        let done = sqlx::query("DELETE FROM segments WHERE id = $1").bind(id.to_string()).execute(&self.write).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn segment(&self, id: cxloop_core::ids::SegmentId) -> Result<Segment> {
        let row = sqlx::query(super::qs(format!("SELECT {SEGMENT_COLUMNS} FROM segments WHERE id = $1")))
            .bind(id.to_string())
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
