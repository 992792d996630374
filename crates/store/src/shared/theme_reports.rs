// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// The reads behind wows & woes and the comment explorer, on either backend.

use super::text::{decode_text, window};
use super::{Backend, Db, uuid};
use crate::codec::{Id, Json, Ts, count, narrow};
use crate::{
    AnalysedComment, CommentFilter, Result, TextRow, ThemeExample, ThemeMention, ThemeReportStore, ThemeVolume,
    TimeWindow,
};
use async_trait::async_trait;
use cxloop_core::ids::SurveyId;
use cxloop_core::period::fmt_date;
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

/// Keeps a `theme_daily` query to the days of a window: the rollup is by UTC
/// day, so a bound inside a day takes that whole day (reports pass whole days).
fn days(qb: &mut QueryBuilder<Db>, w: &TimeWindow) {
    if let Some(from) = w.from {
        qb.push(" AND day >= ").push_bind(fmt_date(from.to_offset(time::UtcOffset::UTC).date()));
    }
    if let Some(to) = w.to {
        let to = to.to_offset(time::UtcOffset::UTC);
        let last =
            if to.time() == time::Time::MIDNIGHT { to.date().previous_day().unwrap_or(to.date()) } else { to.date() };
        qb.push(" AND day <= ").push_bind(fmt_date(last));
    }
}

fn decode_example(r: &super::DbRow) -> Result<ThemeExample> {
    Ok(ThemeExample {
        response_id: r.try_get::<Id<_>, _>("response_id")?.0,
        body: r.try_get("body")?,
        sentiment: r.try_get("sentiment")?,
        score: r.try_get::<Option<i64>, _>("headline_score")?.map(narrow).transpose()?,
        submitted_at: r.try_get::<Ts, _>("submitted_at")?.0,
    })
}

/// How many examples `theme_examples` keeps per theme, day and side.
const EXAMPLES_PER_DAY: usize = 3;

/// An example candidate: a tagged, analysed text.
#[derive(Clone, PartialEq)]
struct Example {
    response: String,
    key: String,
    sentiment: f64,
    at: String,
}

/// The examples' order: the most negative (or positive) first, then the
/// newest, then by response and question (what the reports ask for).
fn example_order(negative: bool, a: &Example, b: &Example) -> std::cmp::Ordering {
    let by = if negative { a.sentiment.total_cmp(&b.sentiment) } else { b.sentiment.total_cmp(&a.sentiment) };
    by.then(b.at.cmp(&a.at)).then(a.response.cmp(&b.response)).then(a.key.cmp(&b.key))
}

/// (version, survey, theme, day): one day's examples of a theme.
type ExampleGroup = (i64, String, String, String);

/// Keeps `theme_examples` to the best three a side per theme and day, with
/// the given newly analysed tags as candidates, in the caller's transaction.
pub(super) async fn keep_examples(conn: &mut super::Conn, candidates: &[&super::text::TagFact]) -> Result<()> {
    let mut groups: HashMap<ExampleGroup, Vec<Example>> = HashMap::new();
    for t in candidates {
        let Some(sentiment) = t.sentiment else { continue };
        groups.entry((t.version, t.survey.clone(), t.theme.clone(), t.day.clone())).or_default().push(Example {
            response: t.response.clone(),
            key: t.key.clone(),
            sentiment,
            at: t.at.clone(),
        });
    }
    let keys: Vec<ExampleGroup> = groups.keys().cloned().collect();
    let mut existing: HashMap<(ExampleGroup, bool), Vec<Example>> = HashMap::new();
    for chunk in keys.chunks(100) {
        // Both sides named: the primary key's whole prefix (side comes before
        // day), so each group is a few rows found by the index, not every
        // day of its theme.
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT taxonomy_version, survey_id, theme, side, day, response_id, question_key, sentiment, submitted_at
             FROM theme_examples WHERE (taxonomy_version, survey_id, theme, side, day) IN (VALUES ",
        );
        let mut sep = qb.separated(", ");
        for (v, survey, theme, day) in chunk {
            for side in ["negative", "positive"] {
                sep.push("(").push_bind_unseparated(*v).push_unseparated(", ");
                sep.push_bind_unseparated(survey.clone()).push_unseparated(", ");
                sep.push_bind_unseparated(theme.clone()).push_unseparated(", ");
                sep.push_bind_unseparated(side).push_unseparated(", ");
                sep.push_bind_unseparated(day.clone()).push_unseparated(")");
            }
        }
        qb.push(")");
        for r in qb.build().fetch_all(&mut *conn).await? {
            let group =
                (r.try_get("taxonomy_version")?, r.try_get("survey_id")?, r.try_get("theme")?, r.try_get("day")?);
            let negative = r.try_get::<String, _>("side")? == "negative";
            existing.entry((group, negative)).or_default().push(Example {
                response: r.try_get("response_id")?,
                key: r.try_get("question_key")?,
                sentiment: r.try_get("sentiment")?,
                at: r.try_get("submitted_at")?,
            });
        }
    }
    let (mut inserts, mut deletes) = (Vec::new(), Vec::new());
    for (group, fresh) in &groups {
        for negative in [true, false] {
            let old = existing.remove(&(group.clone(), negative)).unwrap_or_default();
            let mut best = old.clone();
            for c in fresh {
                if !best.iter().any(|e| e.response == c.response && e.key == c.key) {
                    best.push(c.clone());
                }
            }
            best.sort_by(|a, b| example_order(negative, a, b));
            best.truncate(EXAMPLES_PER_DAY);
            for e in old.iter().filter(|e| !best.contains(e)) {
                deletes.push((group.clone(), negative, e.clone()));
            }
            for e in best.into_iter().filter(|e| !old.contains(e)) {
                inserts.push((group.clone(), negative, e));
            }
        }
    }
    let side = |negative: bool| if negative { "negative" } else { "positive" };
    for chunk in deletes.chunks(200) {
        let mut qb = QueryBuilder::<Db>::new(
            "DELETE FROM theme_examples WHERE (taxonomy_version, survey_id, theme, side, day, response_id, question_key) IN (VALUES ",
        );
        let mut sep = qb.separated(", ");
        for ((v, survey, theme, day), negative, e) in chunk {
            sep.push("(").push_bind_unseparated(*v).push_unseparated(", ");
            for text in [survey.clone(), theme.clone(), side(*negative).to_string(), day.clone(), e.response.clone()] {
                sep.push_bind_unseparated(text).push_unseparated(", ");
            }
            sep.push_bind_unseparated(e.key.clone()).push_unseparated(")");
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in inserts.chunks(200) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO theme_examples (taxonomy_version, survey_id, theme, side, day, response_id, question_key, sentiment, submitted_at) ",
        );
        qb.push_values(chunk, |mut b, ((v, survey, theme, day), negative, e)| {
            b.push_bind(*v)
                .push_bind(survey.clone())
                .push_bind(theme.clone())
                .push_bind(side(*negative))
                .push_bind(day.clone())
                .push_bind(e.response.clone())
                .push_bind(e.key.clone())
                .push_bind(e.sentiment)
                .push_bind(e.at.clone());
        });
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether a window's bounds fall on UTC midnights (what `theme_examples`,
/// kept per day, can answer exactly).
fn whole_days(w: &TimeWindow) -> bool {
    let midnight = |t: time::OffsetDateTime| t.to_offset(time::UtcOffset::UTC).time() == time::Time::MIDNIGHT;
    w.from.is_none_or(midnight) && w.to.is_none_or(midnight)
}

#[async_trait]
impl ThemeReportStore for Backend {
    async fn theme_score_counts(
        &self,
        version: u32,
        survey_id: SurveyId,
        w: &TimeWindow,
    ) -> Result<Vec<(String, Option<i32>, u64)>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT theme, score, CAST(SUM(responses) AS BIGINT) AS n FROM theme_daily WHERE taxonomy_version = ",
        );
        qb.push_bind(i64::from(version)).push(" AND survey_id = ").push_bind(Id(survey_id));
        days(&mut qb, w);
        qb.push(" GROUP BY theme, score HAVING SUM(responses) > 0");
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                let score: i64 = r.try_get("score")?;
                Ok((
                    r.try_get("theme")?,
                    (score >= 0).then(|| narrow(score)).transpose()?,
                    count(r.try_get::<i64, _>("n")?)?,
                ))
            })
            .collect()
    }

    async fn headline_counts(&self, survey_id: SurveyId, w: &TimeWindow) -> Result<Vec<(Option<i32>, u64)>> {
        Ok(self
            .headline_counts_by_channel(survey_id, w)
            .await?
            .into_iter()
            .fold(std::collections::BTreeMap::new(), |mut m, (_, score, n)| {
                *m.entry(score).or_default() += n;
                m
            })
            .into_iter()
            .collect())
    }

    async fn theme_volumes(&self, version: u32, survey_id: SurveyId, w: &TimeWindow) -> Result<Vec<ThemeVolume>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT theme, CAST(SUM(responses) AS BIGINT) AS n, SUM(sentiment_sum) AS s, CAST(SUM(sentiment_n) AS BIGINT) AS k FROM theme_daily
             WHERE taxonomy_version = ",
        );
        qb.push_bind(i64::from(version)).push(" AND survey_id = ").push_bind(Id(survey_id));
        days(&mut qb, w);
        // A theme counts once one of its texts in the period is analysed.
        qb.push(" GROUP BY theme HAVING SUM(sentiment_n) > 0");
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                let k = count(r.try_get::<i64, _>("k")?)?;
                Ok(ThemeVolume {
                    theme: r.try_get("theme")?,
                    mentions: count(r.try_get::<i64, _>("n")?)?,
                    avg_sentiment: r.try_get::<f64, _>("s")? / k as f64,
                })
            })
            .collect()
    }

    async fn theme_days(
        &self,
        version: u32,
        survey_id: SurveyId,
        w: &TimeWindow,
    ) -> Result<Vec<(String, String, u64)>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT theme, day, CAST(SUM(responses) AS BIGINT) AS n FROM theme_daily WHERE taxonomy_version = ",
        );
        qb.push_bind(i64::from(version)).push(" AND survey_id = ").push_bind(Id(survey_id));
        days(&mut qb, w);
        qb.push(" GROUP BY theme, day HAVING SUM(responses) > 0");
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter().map(|r| Ok((r.try_get("theme")?, r.try_get("day")?, count(r.try_get::<i64, _>("n")?)?))).collect()
    }

    async fn theme_examples(
        &self,
        version: u32,
        survey_id: SurveyId,
        w: &TimeWindow,
        theme: &str,
        most_negative: bool,
        limit: u32,
    ) -> Result<Vec<ThemeExample>> {
        let order = if most_negative { "sentiment ASC" } else { "sentiment DESC" };
        if limit as usize <= EXAMPLES_PER_DAY && whole_days(w) {
            // The best of a period are among the best of its days.
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT t.response_id, t.body, e.sentiment, r.headline_score, t.submitted_at FROM (
                   SELECT response_id, question_key, sentiment, submitted_at FROM theme_examples
                   WHERE taxonomy_version = ",
            );
            qb.push_bind(i64::from(version))
                .push(" AND survey_id = ")
                .push_bind(Id(survey_id))
                .push(" AND theme = ")
                .push_bind(theme.to_string())
                .push(" AND side = ")
                .push_bind(if most_negative { "negative" } else { "positive" });
            days(&mut qb, w);
            qb.push(format!(" ORDER BY {order}, submitted_at DESC, response_id, question_key LIMIT "))
                .push_bind(i64::from(limit))
                .push(
                    ") e
                 JOIN answer_texts t ON t.response_id = e.response_id AND t.question_key = e.question_key
                 JOIN responses r ON r.id = e.response_id",
                );
            qb.push(format!(" ORDER BY e.{order}, e.submitted_at DESC, e.response_id, e.question_key"));
            let rows = qb.build().fetch_all(&self.read).await?;
            return rows.iter().map(decode_example).collect();
        }
        // The few texts first (the theme's tags and their sentiment only), then
        // their bodies and scores: joining every tag of the period to its body
        // and response before sorting cost a lookup of each.
        let order = if most_negative { "ta.sentiment ASC" } else { "ta.sentiment DESC" };
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT t.response_id, t.body, ta.sentiment, r.headline_score, t.submitted_at FROM (
               SELECT tt.response_id, tt.question_key FROM text_themes tt
               JOIN text_analysis ta ON ta.response_id = tt.response_id AND ta.question_key = tt.question_key
               WHERE tt.taxonomy_version = ",
        );
        qb.push_bind(i64::from(version))
            .push(" AND tt.survey_id = ")
            .push_bind(Id(survey_id))
            .push(" AND tt.theme = ")
            .push_bind(theme.to_string());
        window(&mut qb, "tt.submitted_at", w);
        qb.push(format!(" ORDER BY {order}, tt.submitted_at DESC, tt.response_id, tt.question_key LIMIT "))
            .push_bind(i64::from(limit))
            .push(
                ") top
             JOIN answer_texts t ON t.response_id = top.response_id AND t.question_key = top.question_key
             JOIN text_analysis ta ON ta.response_id = top.response_id AND ta.question_key = top.question_key
             JOIN responses r ON r.id = top.response_id",
            );
        qb.push(format!(" ORDER BY {order}, t.submitted_at DESC, t.response_id, t.question_key"));
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter().map(decode_example).collect()
    }

    async fn theme_mentions(&self, version: u32, survey_id: SurveyId, w: &TimeWindow) -> Result<Vec<ThemeMention>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT tt.theme, tt.response_id, tt.question_key, r.customer_id, r.headline_score, tt.submitted_at, ta.sentiment
             FROM text_themes tt
             JOIN text_analysis ta ON ta.response_id = tt.response_id AND ta.question_key = tt.question_key
             JOIN responses r ON r.id = tt.response_id
             WHERE tt.taxonomy_version = ",
        );
        qb.push_bind(i64::from(version)).push(" AND tt.survey_id = ").push_bind(Id(survey_id));
        window(&mut qb, "tt.submitted_at", w);
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok(ThemeMention {
                    theme: r.try_get("theme")?,
                    response_id: r.try_get::<Id<_>, _>("response_id")?.0,
                    question_key: r.try_get("question_key")?,
                    customer_id: r.try_get::<Option<String>, _>("customer_id")?.as_deref().map(uuid).transpose()?,
                    score: r.try_get::<Option<i64>, _>("headline_score")?.map(narrow).transpose()?,
                    submitted_at: r.try_get::<Ts, _>("submitted_at")?.0,
                    sentiment: r.try_get("sentiment")?,
                })
            })
            .collect()
    }

    async fn headline_counts_by_customer(
        &self,
        survey_id: SurveyId,
        w: &TimeWindow,
    ) -> Result<Vec<(Option<cxloop_core::ids::CustomerId>, Option<i32>, u64)>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT customer_id, headline_score, COUNT(*) AS n FROM responses WHERE survey_id = ",
        );
        qb.push_bind(Id(survey_id));
        window(&mut qb, "submitted_at", w);
        qb.push(" GROUP BY customer_id, headline_score");
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<Option<String>, _>("customer_id")?.as_deref().map(uuid).transpose()?,
                    r.try_get::<Option<i64>, _>("headline_score")?.map(narrow).transpose()?,
                    count(r.try_get::<i64, _>("n")?)?,
                ))
            })
            .collect()
    }

    async fn headline_counts_by_channel(
        &self,
        survey_id: SurveyId,
        w: &TimeWindow,
    ) -> Result<Vec<(String, Option<i32>, u64)>> {
        // Whole days from the rollup kept on ingest; any other window from the responses.
        let mut qb = if whole_days(w) {
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT channel, score, CAST(SUM(n) AS BIGINT) AS n FROM channel_daily WHERE survey_id = ",
            );
            qb.push_bind(Id(survey_id));
            days(&mut qb, w);
            qb
        } else {
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT channel, COALESCE(headline_score, -1) AS score, COUNT(*) AS n FROM responses WHERE survey_id = ",
            );
            qb.push_bind(Id(survey_id));
            window(&mut qb, "submitted_at", w);
            qb
        };
        qb.push(" GROUP BY channel, score");
        let rows = qb.build().fetch_all(&self.read).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let (score, n): (i64, i64) = (r.try_get("score")?, r.try_get("n")?);
            if n > 0 {
                out.push((r.try_get("channel")?, (score >= 0).then(|| narrow(score)).transpose()?, count(n)?));
            }
        }
        out.sort();
        Ok(out)
    }

    async fn uncovered_texts(
        &self,
        version: u32,
        survey_id: Option<SurveyId>,
        w: &TimeWindow,
        limit: u32,
    ) -> Result<Vec<TextRow>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT t.response_id, t.question_key, t.survey_id, t.submitted_at, t.body FROM answer_texts t
             JOIN text_analysis a ON a.response_id = t.response_id AND a.question_key = t.question_key
             WHERE a.label <> 'not_analysed'
             AND NOT EXISTS (SELECT 1 FROM text_themes tt WHERE tt.response_id = t.response_id
                             AND tt.question_key = t.question_key AND tt.taxonomy_version = ",
        );
        qb.push_bind(i64::from(version)).push(")");
        if let Some(id) = survey_id {
            qb.push(" AND t.survey_id = ").push_bind(Id(id));
        }
        window(&mut qb, "t.submitted_at", w);
        qb.push(" ORDER BY t.submitted_at DESC LIMIT ").push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter().map(decode_text).collect()
    }

    async fn search_comments(&self, f: &CommentFilter) -> Result<Vec<AnalysedComment>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT t.response_id, t.question_key, t.survey_id, s.title, r.channel, t.body, r.headline_score, t.submitted_at,
                    a.label, a.sentiment, a.language, a.reasons
             FROM answer_texts t JOIN responses r ON r.id = t.response_id JOIN surveys s ON s.id = t.survey_id
             LEFT JOIN text_analysis a ON a.response_id = t.response_id AND a.question_key = t.question_key
             WHERE 1 = 1",
        );
        if let Some(id) = f.survey_id {
            qb.push(" AND t.survey_id = ").push_bind(Id(id));
        }
        window(&mut qb, "t.submitted_at", &f.window);
        if let Some(theme) = &f.theme {
            qb.push(
                " AND EXISTS (SELECT 1 FROM text_themes tt WHERE tt.response_id = t.response_id
                  AND tt.question_key = t.question_key AND tt.taxonomy_version = ",
            )
            .push_bind(i64::from(f.version))
            .push(" AND tt.theme = ")
            .push_bind(theme.clone())
            .push(")");
        }
        if let Some(label) = &f.label {
            qb.push(" AND a.label = ").push_bind(label.clone());
        }
        if let Some(channel) = &f.channel {
            qb.push(" AND r.channel = ").push_bind(channel.clone());
        }
        if let Some(min) = f.min_score {
            qb.push(" AND r.headline_score >= ").push_bind(i64::from(min));
        }
        if let Some(max) = f.max_score {
            qb.push(" AND r.headline_score <= ").push_bind(i64::from(max));
        }
        if let Some(c) = f.contains.as_ref().filter(|c| !c.is_empty()) {
            let escaped = c.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            qb.push(" AND LOWER(t.body) LIKE ").push_bind(format!("%{escaped}%")).push(" ESCAPE '\\'");
        }
        qb.push(" ORDER BY t.submitted_at DESC LIMIT ").push_bind(i64::from(f.limit.clamp(1, 500)));
        let rows = qb.build().fetch_all(&self.read).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(AnalysedComment {
                response_id: r.try_get::<Id<_>, _>("response_id")?.0,
                question_key: r.try_get("question_key")?,
                survey_id: r.try_get::<Id<_>, _>("survey_id")?.0,
                survey_title: r.try_get("title")?,
                channel: r.try_get("channel")?,
                body: r.try_get("body")?,
                score: r.try_get::<Option<i64>, _>("headline_score")?.map(narrow).transpose()?,
                submitted_at: r.try_get::<Ts, _>("submitted_at")?.0,
                label: r.try_get("label")?,
                sentiment: r.try_get("sentiment")?,
                language: r.try_get("language")?,
                reasons: r.try_get::<Option<Json<_>>, _>("reasons")?.map_or(serde_json::Value::Null, |j| j.0),
                themes: Vec::new(),
            });
        }
        // Themes of the page's comments, in one query.
        if !out.is_empty() {
            // `+taxonomy_version`: no index on the version term, so SQLite looks
            // the page's responses up by their index instead of walking every
            // tag of the version through the primary key (0.4 s at 1M).
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT response_id, question_key, theme FROM text_themes WHERE +taxonomy_version = ",
            );
            qb.push_bind(i64::from(f.version)).push(" AND response_id IN (");
            let mut sep = qb.separated(", ");
            for c in &out {
                sep.push_bind(Id(c.response_id));
            }
            qb.push(") ORDER BY theme");
            for r in qb.build().fetch_all(&self.read).await? {
                let (id, key, theme): (String, String, String) =
                    (r.try_get("response_id")?, r.try_get("question_key")?, r.try_get("theme")?);
                if let Some(c) = out.iter_mut().find(|c| c.response_id.to_string() == id && c.question_key == key) {
                    c.themes.push(theme);
                }
            }
        }
        Ok(out)
    }
}
