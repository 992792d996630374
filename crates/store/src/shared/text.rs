// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Text analytics storage: taxonomy versions, analyses and theme tags, on
// either backend (the reports over them are `theme_reports`).

use super::{Backend, Conn, Db};
use crate::codec::{Id, Json, Ts, count, narrow};
use crate::{Result, StoreError, TaxonomyVersion, TextAnalysis, TextRow, TextStore, TimeWindow};
use async_trait::async_trait;
use sqlx::{QueryBuilder, Row};

pub(super) fn window(qb: &mut QueryBuilder<Db>, column: &str, w: &TimeWindow) {
    if let Some(from) = w.from {
        qb.push(format!(" AND {column} >= ")).push_bind(Ts(from));
    }
    if let Some(to) = w.to {
        qb.push(format!(" AND {column} < ")).push_bind(Ts(to));
    }
}

fn decode_version(row: &super::DbRow) -> Result<TaxonomyVersion> {
    Ok(TaxonomyVersion {
        version: narrow(row.try_get::<i64, _>("version")?)?,
        taxonomy: row.try_get::<Json<_>, _>("taxonomy")?.0,
        note: row.try_get("note")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get::<Ts, _>("created_at")?.0,
    })
}

pub(super) fn decode_text(row: &super::DbRow) -> Result<TextRow> {
    Ok(TextRow {
        response_id: row.try_get::<Id<_>, _>("response_id")?.0,
        question_key: row.try_get("question_key")?,
        survey_id: row.try_get::<Id<_>, _>("survey_id")?.0,
        submitted_at: row.try_get::<Ts, _>("submitted_at")?.0,
        body: row.try_get("body")?,
    })
}

const VERSION_COLUMNS: &str = "version, taxonomy, note, created_by, created_at";

/// A theme tag of a text: (response, question, survey, time, theme).
type Tag<'a> = (cxloop_core::ids::ResponseId, &'a String, cxloop_core::ids::SurveyId, time::OffsetDateTime, &'a String);

/// Writes theme tags under `version`, 500 a statement; a tag already there is left as it is.
async fn insert_tags(conn: &mut Conn, version: u32, tags: &[Tag<'_>]) -> Result<()> {
    for chunk in tags.chunks(500) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO text_themes (taxonomy_version, theme, response_id, question_key, survey_id, submitted_at) ",
        );
        qb.push_values(chunk, |mut b, (response, key, survey, at, theme)| {
            b.push_bind(i64::from(version))
                .push_bind((*theme).clone())
                .push_bind(Id(*response))
                .push_bind((*key).clone())
                .push_bind(Id(*survey))
                .push_bind(Ts(*at));
        });
        qb.push(" ON CONFLICT DO NOTHING");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

#[async_trait]
impl TextStore for Backend {
    async fn current_taxonomy(&self) -> Result<Option<TaxonomyVersion>> {
        let row = sqlx::query(super::qs(format!(
            "SELECT {VERSION_COLUMNS} FROM taxonomy_versions ORDER BY version DESC LIMIT 1"
        )))
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(decode_version).transpose()
    }

    async fn taxonomy(&self, version: u32) -> Result<TaxonomyVersion> {
        let row = sqlx::query(super::qs(format!("SELECT {VERSION_COLUMNS} FROM taxonomy_versions WHERE version = $1")))
            .bind(i64::from(version))
            .fetch_one(&self.read)
            .await?;
        decode_version(&row)
    }

    async fn init_taxonomy(&self, taxonomy: &serde_json::Value) -> Result<TaxonomyVersion> {
        sqlx::query("INSERT INTO taxonomy_versions (version, taxonomy, note, created_by, created_at) VALUES (1, $1, $2, NULL, $3)
             ON CONFLICT (version) DO NOTHING")
        .bind(Json(taxonomy))
        .bind("the default customer-experience taxonomy")
        .bind(Ts(time::OffsetDateTime::now_utc()))
        .execute(&self.write)
        .await?;
        let row = sqlx::query(super::qs(format!(
            "SELECT {VERSION_COLUMNS} FROM taxonomy_versions ORDER BY version DESC LIMIT 1"
        )))
        .fetch_one(&self.write)
        .await?;
        decode_version(&row)
    }

    async fn save_taxonomy(
        &self,
        taxonomy: &serde_json::Value,
        note: Option<&str>,
        by: Option<&str>,
    ) -> Result<TaxonomyVersion> {
        // The primary key settles a race between two editors: one of them retries.
        for _ in 0..5 {
            let next: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM taxonomy_versions")
                .fetch_one(&self.write)
                .await?;
            let done = sqlx::query("INSERT INTO taxonomy_versions (version, taxonomy, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (version) DO NOTHING")
            .bind(next)
            .bind(Json(taxonomy))
            .bind(note)
            .bind(by)
            .bind(Ts(time::OffsetDateTime::now_utc()))
            .execute(&self.write)
            .await?;
            if done.rows_affected() == 1 {
                return self.taxonomy(narrow(next)?).await;
            }
        }
        Err(StoreError::Conflict { what: "taxonomy version" })
    }

    async fn unanalysed_texts(&self, limit: u32) -> Result<Vec<TextRow>> {
        let rows = sqlx::query(
            // CROSS JOIN: SQLite then walks the (small) queue and looks each
            // text up, where a plain join may scan every text to find none.
            "SELECT t.response_id, t.question_key, t.survey_id, t.submitted_at, t.body FROM text_pending p
             CROSS JOIN answer_texts t WHERE t.response_id = p.response_id AND t.question_key = p.question_key
             LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode_text).collect()
    }

    async fn texts_after(
        &self,
        after: Option<(cxloop_core::ids::ResponseId, String)>,
        limit: u32,
    ) -> Result<Vec<TextRow>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT response_id, question_key, survey_id, submitted_at, body FROM answer_texts WHERE 1 = 1",
        );
        if let Some((id, key)) = after {
            // A row-value comparison walks the primary key index on both backends.
            qb.push(" AND (response_id, question_key) > (").push_bind(Id(id)).push(", ").push_bind(key).push(")");
        }
        qb.push(" ORDER BY response_id, question_key LIMIT ").push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter().map(decode_text).collect()
    }

    async fn save_analyses(&self, version: u32, rows: &[TextAnalysis]) -> Result<()> {
        // Nine parameters a row: 200 rows a statement stays under either database's limit.
        const ROWS: usize = 200;
        let mut tx = self.write.begin().await?;
        let now = Ts(time::OffsetDateTime::now_utc());
        for chunk in rows.chunks(ROWS) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO text_analysis (response_id, question_key, survey_id, submitted_at, language, label, sentiment, reasons, analysed_at) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(Id(r.response_id))
                    .push_bind(r.question_key.clone())
                    .push_bind(Id(r.survey_id))
                    .push_bind(Ts(r.submitted_at))
                    .push_bind(r.language.clone())
                    .push_bind(r.label.clone())
                    .push_bind(r.sentiment)
                    .push_bind(Json(&r.reasons))
                    .push_bind(now);
            });
            // A text another process analysed first keeps that analysis, and its tags.
            qb.push(" ON CONFLICT (response_id, question_key) DO NOTHING RETURNING response_id, question_key");
            let mut inserted = std::collections::HashSet::new();
            for row in qb.build().fetch_all(&mut *tx).await? {
                let id: cxloop_core::ids::ResponseId = row.try_get::<Id<_>, _>("response_id")?.0;
                inserted.insert((id, row.try_get::<String, _>("question_key")?));
            }
            let tags: Vec<Tag> = chunk
                .iter()
                .filter(|r| inserted.contains(&(r.response_id, r.question_key.clone())))
                .flat_map(|r| {
                    r.themes.iter().map(move |t| (r.response_id, &r.question_key, r.survey_id, r.submitted_at, t))
                })
                .collect();
            insert_tags(&mut tx, version, &tags).await?;
            // Analysed here or before: no longer waiting.
            let mut qb =
                QueryBuilder::<Db>::new("DELETE FROM text_pending WHERE (response_id, question_key) IN (VALUES ");
            let mut sep = qb.separated(", ");
            for r in chunk {
                sep.push("(").push_bind_unseparated(Id(r.response_id)).push_unseparated(", ");
                sep.push_bind_unseparated(r.question_key.clone()).push_unseparated(")");
            }
            qb.push(")");
            qb.build().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn save_themes(&self, version: u32, rows: &[(TextRow, Vec<String>)]) -> Result<()> {
        let mut tx = self.write.begin().await?;
        // A version's tags of a text never change, so writing them again is a no-op.
        let tags: Vec<Tag> = rows
            .iter()
            .flat_map(|(t, themes)| {
                themes.iter().map(move |th| (t.response_id, &t.question_key, t.survey_id, t.submitted_at, th))
            })
            .collect();
        insert_tags(&mut tx, version, &tags).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn text_bodies(
        &self,
        ids: &[(cxloop_core::ids::ResponseId, String)],
    ) -> Result<Vec<(cxloop_core::ids::ResponseId, String, String)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(200) {
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT response_id, question_key, body FROM answer_texts WHERE response_id IN (",
            );
            let mut sep = qb.separated(", ");
            for (id, _) in chunk {
                sep.push_bind(Id(*id));
            }
            qb.push(")");
            for r in qb.build().fetch_all(&self.read).await? {
                let id = r.try_get::<Id<_>, _>("response_id")?.0;
                let key: String = r.try_get("question_key")?;
                if chunk.iter().any(|(i, k)| *i == id && *k == key) {
                    out.push((id, key, r.try_get("body")?));
                }
            }
        }
        Ok(out)
    }

    async fn taxonomy_versions(&self) -> Result<Vec<TaxonomyVersion>> {
        let rows = sqlx::query("SELECT version, '{}' AS taxonomy, note, created_by, created_at FROM taxonomy_versions ORDER BY version DESC")
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(decode_version).collect()
    }

    async fn analysis_progress(&self) -> Result<(u64, u64)> {
        let texts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM answer_texts").fetch_one(&self.read).await?;
        let done: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM text_analysis").fetch_one(&self.read).await?;
        Ok((count(texts)?, count(done)?))
    }
}
