// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Saved segments, on either backend; their members and score rollups are
// kept by `segment_upkeep` (the invariant is written at its top).

use super::segment_upkeep::{ROWS, apply_pending, build_step, exact_members, in_list, pending_view, upkeep_rows};
use super::{Backend, Db, unique};
use crate::codec::{Id, Ts, count, narrow};
use crate::{Result, Segment, SegmentStore, StoreError};
use async_trait::async_trait;
use cxloop_core::ids::{CustomerId, SegmentId};
use cxloop_core::metrics::DayCount;
use cxloop_core::period::DateRange;
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;
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
            sqlx::query("DELETE FROM segment_daily WHERE segment_id = $1").bind(Id(id)).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM segment_themes WHERE segment_id = $1").bind(Id(id)).execute(&mut *tx).await?;
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
        let found = exact_members(&mut tx, Some(&key), true).await?;
        tx.commit().await?;
        Ok(found.and_then(|mut v| v.pop()).map(|(_, ids, _)| ids))
    }

    async fn segment_sizes(&self) -> Result<HashMap<SegmentId, u64>> {
        let mut tx = self.read.begin().await?;
        let found = exact_members(&mut tx, None, false).await?;
        tx.commit().await?;
        found.unwrap_or_default().into_iter().map(|(s, _, n)| Ok((crate::uuid::<SegmentId>(&s.id)?, n))).collect()
    }

    async fn segment_day_counts(
        &self,
        id: SegmentId,
        survey_id: cxloop_core::ids::SurveyId,
        question_key: &str,
        range: DateRange,
    ) -> Result<Option<Vec<DayCount>>> {
        let mut tx = self.read.begin().await?;
        let key = id.to_string();
        let Some(view) = pending_view(&mut tx, &key).await? else { return Ok(None) };
        let (from, to) = (cxloop_core::period::fmt_date(range.from), cxloop_core::period::fmt_date(range.to));
        let mut days: HashMap<(String, i64), i64> = HashMap::new();
        let rows = sqlx::query(
            "SELECT day, score, n FROM segment_daily WHERE segment_id = $1 AND survey_id = $2 AND question_key = $3
             AND day >= $4 AND day <= $5",
        )
        .bind(&key)
        .bind(Id(survey_id))
        .bind(question_key)
        .bind(&from)
        .bind(&to)
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            *days.entry((r.try_get("day")?, r.try_get("score")?)).or_default() += r.try_get::<i64, _>("n")?;
        }
        // The pending customers: their stored part out, their part now in.
        for chunk in view.ids.chunks(ROWS) {
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT r.customer_id, substr(s.submitted_at, 1, 10) AS day, s.score,
                   CAST(CASE WHEN EXISTS (SELECT 1 FROM segment_uncounted u WHERE u.customer_id = r.customer_id AND u.response_id = r.id) THEN 0 ELSE 1 END AS BIGINT) AS counted,
                   COUNT(*) AS n
                 FROM responses r CROSS JOIN answer_scores s WHERE s.response_id = r.id AND s.survey_id = ",
            );
            qb.push_bind(Id(survey_id)).push(" AND s.question_key = ").push_bind(question_key.to_string());
            qb.push(" AND s.submitted_at >= ").push_bind(Ts(range.from.midnight().assume_utc()));
            qb.push(" AND s.submitted_at < ").push_bind(Ts(cxloop_core::period::end_of(range.to)));
            qb.push(" AND r.customer_id IN ");
            in_list(&mut qb, chunk);
            qb.push(" GROUP BY r.customer_id, substr(s.submitted_at, 1, 10), s.score, counted");
            for r in qb.build().fetch_all(&mut *tx).await? {
                let customer: String = r.try_get("customer_id")?;
                let (day, score, n): (String, i64, i64) = (r.try_get("day")?, r.try_get("score")?, r.try_get("n")?);
                let counted = r.try_get::<i64, _>("counted")? == 1;
                let e = days.entry((day, score)).or_default();
                if counted && view.stored.contains(&customer) {
                    *e -= n;
                }
                if view.now.contains(&customer) {
                    *e += n;
                }
            }
        }
        tx.commit().await?;
        let mut out = Vec::with_capacity(days.len());
        for ((day, score), n) in days {
            if n > 0 {
                out.push(DayCount {
                    day: cxloop_core::period::parse_date(&day, "day").map_err(|e| StoreError::Other(e.to_string()))?,
                    score: narrow(score)?,
                    count: count(n)?,
                });
            }
        }
        out.sort_by_key(|d| (d.day, d.score));
        Ok(Some(out))
    }

    async fn segment_theme_counts(&self, id: SegmentId, version: u32) -> Result<Option<Vec<(String, u64)>>> {
        let mut tx = self.read.begin().await?;
        let Some(view) = pending_view(&mut tx, &id.to_string()).await? else { return Ok(None) };
        let themes = super::segment_themes::theme_counts(&mut tx, &view, i64::from(version)).await?;
        tx.commit().await?;
        let mut out = themes.into_iter().map(|(t, n)| Ok((t, count(n)?))).collect::<Result<Vec<_>>>()?;
        out.sort();
        Ok(Some(out))
    }
}
