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
use std::collections::{HashMap, HashSet};

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

/// Locks the responses of the texts about to be tagged or analysed
/// (PostgreSQL; SQLite's one writer already serialises), so that two
/// processes saving tags or analyses of one response keep `theme_daily` right.
async fn lock_responses(conn: &mut Conn, ids: &[cxloop_core::ids::ResponseId]) -> Result<()> {
    if super::FOR_UPDATE.is_empty() {
        return Ok(());
    }
    let mut ids: Vec<_> = ids.to_vec();
    ids.sort();
    ids.dedup();
    for chunk in ids.chunks(500) {
        let mut qb = QueryBuilder::<Db>::new("SELECT id FROM responses WHERE id IN (");
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(Id(*id));
        }
        qb.push(format!(") ORDER BY id{}", super::FOR_UPDATE));
        qb.build().fetch_all(&mut *conn).await?;
    }
    Ok(())
}

/// A `theme_daily` row's key and its increments.
type DailyKey = (i64, String, String, String, i64);

#[derive(Default)]
struct DailyAdd {
    responses: i64,
    sentiment_sum: f64,
    sentiment_n: i64,
}

async fn add_theme_daily(conn: &mut Conn, adds: HashMap<DailyKey, DailyAdd>) -> Result<()> {
    let adds: Vec<_> = adds.into_iter().collect();
    for chunk in adds.chunks(200) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO theme_daily (taxonomy_version, survey_id, theme, day, score, responses, sentiment_sum, sentiment_n) ",
        );
        qb.push_values(chunk, |mut b, ((version, survey, theme, day, score), a)| {
            b.push_bind(*version)
                .push_bind(survey.clone())
                .push_bind(theme.clone())
                .push_bind(day.clone())
                .push_bind(*score)
                .push_bind(a.responses)
                .push_bind(a.sentiment_sum)
                .push_bind(a.sentiment_n);
        });
        qb.push(
            " ON CONFLICT (taxonomy_version, survey_id, day, theme, score) DO UPDATE SET
               responses = theme_daily.responses + excluded.responses,
               sentiment_sum = theme_daily.sentiment_sum + excluded.sentiment_sum,
               sentiment_n = theme_daily.sentiment_n + excluded.sentiment_n",
        );
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// A tag with what the rollups need of it: the day and time of its text,
/// the headline score of its response (-1: none) and, when analysed, the
/// sentiment of its text.
pub(super) struct TagFact {
    pub version: i64,
    pub response: String,
    pub customer: Option<String>,
    pub key: String,
    pub theme: String,
    pub survey: String,
    pub day: String,
    pub at: String,
    pub score: i64,
    pub sentiment: Option<f64>,
}

/// Every tag of the given responses (under `version`, or any version when `None`).
async fn tags_of(
    conn: &mut Conn,
    version: Option<u32>,
    responses: &[cxloop_core::ids::ResponseId],
) -> Result<Vec<TagFact>> {
    let mut out = Vec::new();
    for chunk in responses.chunks(500) {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT tt.taxonomy_version, tt.response_id, r.customer_id, tt.question_key, tt.theme, tt.survey_id, tt.submitted_at,
                    substr(tt.submitted_at, 1, 10) AS day, COALESCE(r.headline_score, -1) AS score, ta.sentiment
             FROM text_themes tt JOIN responses r ON r.id = tt.response_id
             LEFT JOIN text_analysis ta ON ta.response_id = tt.response_id AND ta.question_key = tt.question_key
             WHERE tt.response_id IN (",
        );
        let mut list = qb.separated(", ");
        for id in chunk {
            list.push_bind(Id(*id));
        }
        qb.push(")");
        if let Some(v) = version {
            qb.push(" AND tt.taxonomy_version = ").push_bind(i64::from(v));
        }
        for r in qb.build().fetch_all(&mut *conn).await? {
            out.push(TagFact {
                version: r.try_get("taxonomy_version")?,
                response: r.try_get("response_id")?,
                customer: r.try_get("customer_id")?,
                key: r.try_get("question_key")?,
                theme: r.try_get("theme")?,
                survey: r.try_get("survey_id")?,
                day: r.try_get("day")?,
                at: r.try_get("submitted_at")?,
                score: r.try_get("score")?,
                sentiment: r.try_get("sentiment")?,
            });
        }
    }
    Ok(out)
}

/// Writes theme tags under `version`, 500 a statement; a tag already there
/// is left as it is. The new tags go into `theme_daily` in the same
/// transaction (their sentiments, of analysed texts, and each response the
/// first time one of its texts is tagged with a theme, which is also then
/// untallied for the segments' theme counts) and, when analysed,
/// are candidates for `theme_examples`.
async fn insert_tags(conn: &mut Conn, version: u32, tags: &[Tag<'_>]) -> Result<()> {
    let responses: Vec<_> = tags.iter().map(|t| t.0).collect();
    lock_responses(conn, &responses).await?;
    let mut new: HashSet<(String, String, String)> = HashSet::new();
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
        qb.push(" ON CONFLICT DO NOTHING RETURNING response_id, question_key, theme");
        for r in qb.build().fetch_all(&mut *conn).await? {
            new.insert((r.try_get("response_id")?, r.try_get("question_key")?, r.try_get("theme")?));
        }
    }
    if new.is_empty() {
        return Ok(());
    }
    let mut touched: Vec<_> =
        tags.iter().filter(|t| new.contains(&(t.0.to_string(), t.1.clone(), t.4.clone()))).map(|t| t.0).collect();
    touched.sort();
    touched.dedup();
    let all = tags_of(conn, Some(version), &touched).await?;
    let is_new = |t: &TagFact| new.contains(&(t.response.clone(), t.key.clone(), t.theme.clone()));
    // Tags per (response, theme) now, and how many of them are new.
    let mut per_pair: HashMap<(&str, &str), (u32, u32)> = HashMap::new();
    for t in &all {
        let e = per_pair.entry((t.response.as_str(), t.theme.as_str())).or_default();
        e.0 += 1;
        if is_new(t) {
            e.1 += 1;
        }
    }
    let mut adds: HashMap<DailyKey, DailyAdd> = HashMap::new();
    let mut counted: HashSet<(&str, &str)> = HashSet::new();
    let mut first = Vec::new();
    for t in all.iter().filter(|t| is_new(t)) {
        let a = adds.entry((t.version, t.survey.clone(), t.theme.clone(), t.day.clone(), t.score)).or_default();
        if let Some(s) = t.sentiment {
            a.sentiment_sum += s;
            a.sentiment_n += 1;
        }
        let pair = (t.response.as_str(), t.theme.as_str());
        // First tagged with this theme: every tag of the pair is new.
        if per_pair.get(&pair).is_some_and(|(all, new)| all == new) && counted.insert(pair) {
            a.responses += 1;
            if let Some(customer) = &t.customer {
                first.push((customer.clone(), t.response.clone(), t.version, t.theme.clone()));
            }
        }
    }
    add_theme_daily(conn, adds).await?;
    super::segment_themes::untallied(conn, &first).await?;
    let candidates: Vec<&TagFact> = all.iter().filter(|t| t.sentiment.is_some() && is_new(t)).collect();
    super::theme_reports::keep_examples(conn, &candidates).await
}

/// Texts just analysed that were tagged before (a re-tag ran first): their
/// sentiment joins `theme_daily` under every version that tagged them, and
/// they become candidates for `theme_examples`.
async fn add_late_sentiments(
    conn: &mut Conn,
    analysed: &HashSet<(cxloop_core::ids::ResponseId, String)>,
) -> Result<()> {
    let responses: Vec<_> = analysed.iter().map(|(r, _)| *r).collect::<HashSet<_>>().into_iter().collect();
    let mut adds: HashMap<DailyKey, DailyAdd> = HashMap::new();
    let mut late = Vec::new();
    for t in tags_of(conn, None, &responses).await? {
        let Some(s) = t.sentiment else { continue };
        let id: cxloop_core::ids::ResponseId = super::uuid(&t.response)?;
        if analysed.contains(&(id, t.key.clone())) {
            let a = adds.entry((t.version, t.survey.clone(), t.theme.clone(), t.day.clone(), t.score)).or_default();
            a.sentiment_sum += s;
            a.sentiment_n += 1;
            late.push(t);
        }
    }
    add_theme_daily(conn, adds).await?;
    let candidates: Vec<&TagFact> = late.iter().collect();
    super::theme_reports::keep_examples(conn, &candidates).await
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
            let ids: Vec<_> = chunk.iter().map(|r| r.response_id).collect();
            lock_responses(&mut tx, &ids).await?;
            let mut inserted = std::collections::HashSet::new();
            for row in qb.build().fetch_all(&mut *tx).await? {
                let id: cxloop_core::ids::ResponseId = row.try_get::<Id<_>, _>("response_id")?.0;
                inserted.insert((id, row.try_get::<String, _>("question_key")?));
            }
            add_late_sentiments(&mut tx, &inserted).await?;
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
