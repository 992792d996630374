// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Responses, on either backend: batched multi-row writes that also keep the per-day
// score rollup and the survey's counters current, in the same transaction.
// Single responses go through the group-commit writer (`writer.rs`).

use super::DbRow;
use super::{Backend, uuid};
use super::{Conn, Db};
use crate::codec::{Id, Json, Ts, count, narrow};
use crate::{
    Comment, CustomerRef, Idempotency, Inserted, NewResponse, ResponseQuery, ResponseStore, Result, StoreError,
    StoredResponse, TimeWindow, ts,
};
use async_trait::async_trait;
use cxloop_core::answer::AnswerValue;
use cxloop_core::ids::SurveyId;
use cxloop_core::metrics::DayCount;
use cxloop_core::period::{DateRange, fmt_date, parse_date};
use sqlx::{QueryBuilder, Row};
use std::collections::HashMap;

const SELECT: &str =
    "SELECT r.id, r.survey_id, c.external_id, r.submitted_at, r.channel, r.touchpoint, r.answers, r.context
     FROM responses r LEFT JOIN customers c ON c.id = r.customer_id";

fn decode(row: &DbRow) -> Result<StoredResponse> {
    Ok(StoredResponse {
        id: row.try_get::<Id<_>, _>("id")?.0,
        survey_id: row.try_get::<Id<_>, _>("survey_id")?.0,
        customer_external_id: row.try_get("external_id")?,
        submitted_at: row.try_get::<Ts, _>("submitted_at")?.0,
        channel: row.try_get("channel")?,
        touchpoint: row.try_get("touchpoint")?,
        answers: row.try_get::<Json<_>, _>("answers")?.0,
        context: row.try_get::<Option<Json<_>>, _>("context")?.map(|j| j.0),
    })
}

pub(super) async fn upsert_customer(conn: &mut Conn, c: &CustomerRef) -> Result<String> {
    let id: String = sqlx::query_scalar(super::qs(format!(
        "INSERT INTO customers (id, external_id, name, email, attributes, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (external_id) DO UPDATE SET
           name = COALESCE(excluded.name, customers.name),
           email = COALESCE(excluded.email, customers.email),
           attributes = {merge}
         RETURNING id",
        merge = super::MERGE_ATTRIBUTES
    )))
    .bind(Id(uuid::Uuid::now_v7()))
    .bind(&c.external_id)
    .bind(&c.name)
    .bind(&c.email)
    .bind(Json(&c.attributes))
    .bind(Ts(time::OffsetDateTime::now_utc()))
    .fetch_one(&mut *conn)
    .await?;
    super::segment_upkeep::mark_pending(conn, std::slice::from_ref(&id)).await?;
    Ok(id)
}

/// Upserts many customers, a multi-row statement per `ROWS_PER_STATEMENT`
/// (one statement per customer made bulk loads wait on a round trip each).
/// The same external id given again with other details goes into a later
/// round, so every reference is applied in the order given, exactly as one
/// upsert at a time would. Returns each external id's customer id.
pub(super) async fn upsert_customers<'a>(
    conn: &mut Conn,
    refs: impl IntoIterator<Item = &'a CustomerRef>,
) -> Result<HashMap<&'a str, String>> {
    let mut versions: HashMap<&str, Vec<&CustomerRef>> = HashMap::new();
    let mut rounds: Vec<Vec<&CustomerRef>> = Vec::new();
    for c in refs {
        let seen = versions.entry(c.external_id.as_str()).or_default();
        if seen.last().is_some_and(|last| *last == c) {
            continue;
        }
        seen.push(c);
        if rounds.len() < seen.len() {
            rounds.push(Vec::new());
        }
        rounds[seen.len() - 1].push(c);
    }
    let mut ids = HashMap::with_capacity(versions.len());
    let now = Ts(time::OffsetDateTime::now_utc());
    for round in &rounds {
        for chunk in round.chunks(ROWS_PER_STATEMENT) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO customers (id, external_id, name, email, attributes, created_at) ",
            );
            qb.push_values(chunk, |mut b, c| {
                b.push_bind(Id(uuid::Uuid::now_v7()))
                    .push_bind(c.external_id.clone())
                    .push_bind(c.name.clone())
                    .push_bind(c.email.clone())
                    .push_bind(Json(&c.attributes))
                    .push_bind(now);
            });
            qb.push(format!(
                " ON CONFLICT (external_id) DO UPDATE SET
                   name = COALESCE(excluded.name, customers.name),
                   email = COALESCE(excluded.email, customers.email),
                   attributes = {merge}
                 RETURNING id, external_id",
                merge = super::MERGE_ATTRIBUTES
            ));
            for row in qb.build().fetch_all(&mut *conn).await? {
                let (id, external_id): (String, String) = (row.try_get("id")?, row.try_get("external_id")?);
                if let Some((key, _)) = versions.get_key_value(external_id.as_str()) {
                    ids.insert(*key, id);
                }
            }
        }
    }
    let touched: Vec<String> = ids.values().cloned().collect();
    super::segment_upkeep::mark_pending(conn, &touched).await?;
    Ok(ids)
}

/// A response flattened to the values of its `responses` row.
struct ResponseRow {
    id: String,
    survey_id: String,
    customer_id: Option<String>,
    at: String,
    channel: String,
    touchpoint: Option<String>,
    context: Option<String>,
    source_ref: Option<String>,
    headline: Option<i32>,
    headline_type: Option<&'static str>,
    answers: String,
}

/// A scored or free-text answer row: response id, survey id, key, value, time.
type AnswerRow<T> = (String, String, String, T, String);

/// Rows per multi-row INSERT (SQLite allows 32766 parameters).
const ROWS_PER_STATEMENT: usize = 200;

/// Writes many responses with multi-row INSERTs and one rollup upsert per
/// (survey, question, day, score): a few statements per hundred responses.
/// The caller owns the transaction.
pub(super) async fn insert_batch(conn: &mut Conn, rs: &[&NewResponse]) -> Result<()> {
    if rs.is_empty() {
        return Ok(());
    }
    let customers = upsert_customers(conn, rs.iter().filter_map(|r| r.customer.as_ref())).await?;
    let mut rows = Vec::with_capacity(rs.len());
    let mut scores: Vec<(AnswerRow<i32>, Option<String>)> = Vec::new();
    let mut texts: Vec<AnswerRow<String>> = Vec::new();
    let mut daily: HashMap<(String, String, String, i32), i64> = HashMap::new();
    let mut channels: HashMap<(String, String, String, i32), i64> = HashMap::new();
    let mut counters: HashMap<String, (i64, String)> = HashMap::new();
    for r in rs {
        let customer_id = match &r.customer {
            Some(c) => Some(
                customers
                    .get(c.external_id.as_str())
                    .cloned()
                    .ok_or_else(|| StoreError::Other(format!("customer {:?} was not written", c.external_id)))?,
            ),
            None => None,
        };
        let at = ts::fmt(r.submitted_at);
        let day = fmt_date(r.submitted_at.to_offset(time::UtcOffset::UTC).date());
        let id = r.id.to_string();
        let survey_id = r.survey.id.to_string();
        for (key, value) in &r.answers {
            match value {
                AnswerValue::Score(score) => {
                    scores
                        .push(((id.clone(), survey_id.clone(), key.clone(), *score, at.clone()), customer_id.clone()));
                    *daily.entry((survey_id.clone(), key.clone(), day.clone(), *score)).or_default() += 1;
                }
                AnswerValue::Text(body) => {
                    texts.push((id.clone(), survey_id.clone(), key.clone(), body.clone(), at.clone()))
                }
                AnswerValue::Choice(_) | AnswerValue::Choices(_) => {}
            }
        }
        let headline = r.survey.headline_question().and_then(|q| r.answers.get(&q.key)).and_then(AnswerValue::score);
        *channels.entry((survey_id.clone(), r.channel.clone(), day.clone(), headline.unwrap_or(-1))).or_default() += 1;
        let c = counters.entry(survey_id.clone()).or_insert((0, String::new()));
        c.0 += 1;
        if at > c.1 {
            c.1 = at.clone();
        }
        rows.push(ResponseRow {
            id,
            survey_id,
            customer_id,
            at,
            channel: r.channel.clone(),
            touchpoint: r.touchpoint.clone().or_else(|| r.survey.touchpoint.clone()),
            context: r.context.as_ref().map(|c| serde_json::Value::Object(c.clone()).to_string()),
            source_ref: r
                .context
                .as_ref()
                .and_then(|c| c.get("source_id"))
                .and_then(|v| v.as_str())
                .map(str::to_string),
            headline,
            headline_type: r.survey.headline_question().map(|q| q.kind.as_str()),
            answers: serde_json::to_string(&r.answers)?,
        });
    }
    let now = Ts(time::OffsetDateTime::now_utc());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO responses (id, survey_id, customer_id, submitted_at, channel, touchpoint, context, source_ref, headline_score, headline_type, answers, created_at) ",
        );
        qb.push_values(chunk, |mut b, r| {
            b.push_bind(r.id.clone())
                .push_bind(r.survey_id.clone())
                .push_bind(r.customer_id.clone())
                .push_bind(r.at.clone())
                .push_bind(r.channel.clone())
                .push_bind(r.touchpoint.clone())
                .push_bind(r.context.clone())
                .push_bind(r.source_ref.clone())
                .push_bind(r.headline)
                .push_bind(r.headline_type)
                .push_bind(r.answers.clone())
                .push_bind(now);
        });
        qb.build().execute(&mut *conn).await.map_err(|e| super::unique(e, "response id or imported item"))?;
    }
    update_facts(conn, &rows).await?;
    // Each response of a known customer waits to be counted in its segments' rollups.
    let known: Vec<(&str, &str)> =
        rows.iter().filter_map(|r| r.customer_id.as_deref().map(|c| (r.id.as_str(), c))).collect();
    for chunk in known.chunks(ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO segment_uncounted (response_id, customer_id) ");
        qb.push_values(chunk, |mut b, (id, customer)| {
            b.push_bind(id.to_string()).push_bind(customer.to_string());
        });
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in scores.chunks(ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO answer_scores (response_id, survey_id, question_key, score, submitted_at, customer_id) ",
        );
        qb.push_values(chunk, |mut b, ((id, survey, key, score, at), customer)| {
            b.push_bind(id.clone())
                .push_bind(survey.clone())
                .push_bind(key.clone())
                .push_bind(*score)
                .push_bind(at.clone())
                .push_bind(customer.clone());
        });
        qb.build().execute(&mut *conn).await?;
    }
    for chunk in texts.chunks(ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO answer_texts (response_id, survey_id, question_key, body, submitted_at) ",
        );
        qb.push_values(chunk, |mut b, (id, survey, key, body, at)| {
            b.push_bind(id.clone())
                .push_bind(survey.clone())
                .push_bind(key.clone())
                .push_bind(body.clone())
                .push_bind(at.clone());
        });
        qb.build().execute(&mut *conn).await?;
        // Each text waits for the comment sweeper.
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO text_pending (response_id, question_key) ");
        qb.push_values(chunk, |mut b, (id, _, key, _, _)| {
            b.push_bind(id.clone()).push_bind(key.clone());
        });
        qb.build().execute(&mut *conn).await?;
    }
    let daily: Vec<_> = daily.into_iter().collect();
    for chunk in daily.chunks(ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO score_daily (survey_id, question_key, day, score, n) ");
        qb.push_values(chunk, |mut b, ((survey, key, day, score), n)| {
            b.push_bind(survey.clone()).push_bind(key.clone()).push_bind(day.clone()).push_bind(*score).push_bind(*n);
        });
        qb.push(" ON CONFLICT (survey_id, question_key, day, score) DO UPDATE SET n = score_daily.n + excluded.n");
        qb.build().execute(&mut *conn).await?;
    }
    let channels: Vec<_> = channels.into_iter().collect();
    for chunk in channels.chunks(ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Db>::new("INSERT INTO channel_daily (survey_id, channel, day, score, n) ");
        qb.push_values(chunk, |mut b, ((survey, channel, day, score), n)| {
            b.push_bind(survey.clone())
                .push_bind(channel.clone())
                .push_bind(day.clone())
                .push_bind(*score)
                .push_bind(*n);
        });
        qb.push(" ON CONFLICT (survey_id, channel, day, score) DO UPDATE SET n = channel_daily.n + excluded.n");
        qb.build().execute(&mut *conn).await?;
    }
    for (survey_id, (n, last)) in counters {
        sqlx::query(super::qs(format!("UPDATE surveys SET response_count = response_count + $1, last_response_at = {greatest}(COALESCE(last_response_at, ''), $2) WHERE id = $3", greatest = super::GREATEST)))
        .bind(n)
        .bind(last)
        .bind(survey_id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A customer's facts as one batch changes them: how many responses, the
/// latest time, and per headline kind the latest (time, score).
#[derive(Default)]
struct FactsDelta {
    n: i64,
    at: String,
    latest: [Option<(String, Option<i32>)>; 3],
}

/// The headline kinds kept as customer facts, in `FactsDelta::latest` order.
const FACT_KINDS: [&str; 3] = ["nps", "csat", "ces"];

/// Keeps the customers' fact columns (migration 0012) current with a batch of
/// responses, in the caller's transaction: one multi-row UPDATE per 200
/// customers. A later response wins; an earlier one (an import of old
/// feedback) only adds to the count.
async fn update_facts(conn: &mut Conn, rows: &[ResponseRow]) -> Result<()> {
    let mut by_customer: HashMap<&str, FactsDelta> = HashMap::new();
    for r in rows {
        let Some(customer) = r.customer_id.as_deref() else { continue };
        let d = by_customer.entry(customer).or_default();
        d.n += 1;
        if r.at >= d.at {
            d.at = r.at.clone();
        }
        if let Some(i) = r.headline_type.and_then(|k| FACT_KINDS.iter().position(|f| *f == k))
            && d.latest[i].as_ref().is_none_or(|(at, _)| r.at >= *at)
        {
            d.latest[i] = Some((r.at.clone(), r.headline));
        }
    }
    let deltas: Vec<_> = by_customer.into_iter().collect();
    for chunk in deltas.chunks(ROWS_PER_STATEMENT) {
        let mut qb = QueryBuilder::<Db>::new("WITH v (id, n, at, nps_at, nps, csat_at, csat, ces_at, ces) AS (");
        qb.push_values(chunk, |mut b, (customer, d)| {
            b.push_bind(customer.to_string()).push_bind(d.n).push_bind(d.at.clone());
            for latest in &d.latest {
                b.push_bind(latest.as_ref().map(|(at, _)| at.clone()))
                    .push_bind(latest.as_ref().and_then(|(_, s)| s.map(i64::from)));
            }
        });
        qb.push(") UPDATE customers SET response_count = customers.response_count + v.n, ");
        qb.push(format!(
            "last_response_at = {greatest}(COALESCE(customers.last_response_at, ''), v.at)",
            greatest = super::GREATEST
        ));
        for kind in FACT_KINDS {
            let newer = format!(
                "v.{kind}_at IS NOT NULL AND (customers.last_{kind}_at IS NULL OR v.{kind}_at >= customers.last_{kind}_at)"
            );
            qb.push(format!(
                ", last_{kind} = CASE WHEN {newer} THEN v.{kind} ELSE customers.last_{kind} END, \
                 last_{kind}_at = CASE WHEN {newer} THEN v.{kind}_at ELSE customers.last_{kind}_at END"
            ));
        }
        qb.push(" FROM v WHERE customers.id = v.id");
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// The stored form of a response that was just written.
pub(super) fn stored(r: &NewResponse) -> StoredResponse {
    StoredResponse {
        id: r.id,
        survey_id: r.survey.id,
        customer_external_id: r.customer.as_ref().map(|c| c.external_id.clone()),
        submitted_at: r.submitted_at,
        channel: r.channel.clone(),
        touchpoint: r.touchpoint.clone().or_else(|| r.survey.touchpoint.clone()),
        answers: r.answers.clone(),
        context: r.context.clone(),
    }
}

pub(super) async fn fetch_response(conn: &mut Conn, id: &str) -> Result<StoredResponse> {
    let row = sqlx::query(super::qs(format!("{SELECT} WHERE r.id = $1"))).bind(id).fetch_one(&mut *conn).await?;
    decode(&row)
}

fn push_window(qb: &mut QueryBuilder<Db>, column: &str, w: &TimeWindow) {
    if let Some(from) = w.from {
        qb.push(format!(" AND {column} >= ")).push_bind(Ts(from));
    }
    if let Some(to) = w.to {
        qb.push(format!(" AND {column} < ")).push_bind(Ts(to));
    }
}

#[async_trait]
impl ResponseStore for Backend {
    async fn insert_response(&self, r: &NewResponse, idem: Option<&Idempotency>) -> Result<Inserted> {
        super::writer::submit(&self.ingest, r.clone(), idem.cloned()).await
    }

    async fn insert_responses(&self, rs: &[NewResponse]) -> Result<u64> {
        // One transaction for the whole call: an import is all there or not at all.
        let mut tx = self.write.begin().await?;
        for chunk in rs.chunks(5000) {
            insert_batch(&mut tx, &chunk.iter().collect::<Vec<_>>()).await?;
        }
        tx.commit().await?;
        Ok(rs.len() as u64)
    }

    async fn existing_source_refs(
        &self,
        survey_id: SurveyId,
        channel: &str,
        refs: &[String],
    ) -> Result<std::collections::HashSet<String>> {
        if refs.is_empty() {
            return Ok(std::collections::HashSet::new());
        }
        // `source_ref IS NOT NULL` matches the partial unique index. A long
        // list reads the source's refs once (one index scan) rather than many
        // IN lists, which a planner without fresh statistics runs as scans.
        let mut qb = sqlx::QueryBuilder::<super::Db>::new("SELECT source_ref FROM responses WHERE survey_id = ");
        qb.push_bind(Id(survey_id)).push(" AND channel = ").push_bind(channel.to_string());
        qb.push(" AND source_ref IS NOT NULL");
        if refs.len() <= 500 {
            qb.push(" AND source_ref IN (");
            let mut sep = qb.separated(", ");
            for r in refs {
                sep.push_bind(r.clone());
            }
            qb.push(")");
        }
        let wanted: std::collections::HashSet<&str> = refs.iter().map(String::as_str).collect();
        let mut out = std::collections::HashSet::new();
        for row in qb.build().fetch_all(&self.read).await? {
            let r: String = row.try_get("source_ref")?;
            if wanted.contains(r.as_str()) {
                out.insert(r);
            }
        }
        Ok(out)
    }

    async fn get_response(&self, id: cxloop_core::ids::ResponseId) -> Result<StoredResponse> {
        let row =
            sqlx::query(super::qs(format!("{SELECT} WHERE r.id = $1"))).bind(Id(id)).fetch_one(&self.read).await?;
        decode(&row)
    }

    async fn list_responses(&self, q: &ResponseQuery) -> Result<Vec<StoredResponse>> {
        let mut qb = QueryBuilder::<Db>::new(SELECT);
        qb.push(" WHERE r.survey_id = ").push_bind(Id(q.survey_id));
        push_window(&mut qb, "r.submitted_at", &q.window);
        let (cmp, dir) = if q.newest_first { ("<", "DESC") } else { (">", "ASC") };
        if let Some((at, id)) = q.after {
            // A row-value comparison walks the (survey_id, submitted_at, id) index.
            qb.push(format!(" AND (r.submitted_at, r.id) {cmp} ("))
                .push_bind(Ts(at))
                .push(", ")
                .push_bind(Id(id))
                .push(")");
        }
        qb.push(format!(" ORDER BY r.submitted_at {dir}, r.id {dir} LIMIT ")).push_bind(i64::from(q.limit));
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter().map(decode).collect()
    }

    async fn daily_scores(&self, survey_id: SurveyId, key: &str, range: DateRange) -> Result<Vec<DayCount>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as("SELECT day, score, n FROM score_daily WHERE survey_id = $1 AND question_key = $2 AND day >= $3 AND day <= $4")
        .bind(Id(survey_id))
        .bind(key)
        .bind(fmt_date(range.from))
        .bind(fmt_date(range.to))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(day, score, n)| {
                Ok(DayCount {
                    day: parse_date(&day, "day").map_err(|e| StoreError::Other(e.to_string()))?,
                    score: i32::try_from(score).map_err(|e| StoreError::Other(e.to_string()))?,
                    count: count(n)?,
                })
            })
            .collect()
    }

    async fn customer_response_count(&self, customer_id: cxloop_core::ids::CustomerId) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM responses WHERE customer_id = $1")
            .bind(Id(customer_id))
            .fetch_one(&self.read)
            .await?;
        Ok(count(n)?)
    }

    async fn customer_responses(
        &self,
        customer_id: cxloop_core::ids::CustomerId,
        limit: u32,
    ) -> Result<Vec<StoredResponse>> {
        let rows =
            sqlx::query(super::qs(format!("{SELECT} WHERE r.customer_id = $1 ORDER BY r.submitted_at DESC LIMIT $2")))
                .bind(Id(customer_id))
                .bind(i64::from(limit))
                .fetch_all(&self.read)
                .await?;
        rows.iter().map(decode).collect()
    }

    async fn daily_scores_by_customer(
        &self,
        survey_id: SurveyId,
        key: &str,
        range: DateRange,
    ) -> Result<Vec<(Option<cxloop_core::ids::CustomerId>, DayCount)>> {
        let from = range.from.midnight().assume_utc();
        let to = cxloop_core::period::end_of(range.to);
        let rows: Vec<(Option<String>, String, i64, i64)> = sqlx::query_as(
            // The customer is on the score (migration 0019): one range of the
            // covering index `answer_scores_by_customer`, no lookups.
            "SELECT s.customer_id, substr(s.submitted_at, 1, 10) AS day, s.score, COUNT(*) AS n
             FROM answer_scores s
             WHERE s.survey_id = $1 AND s.question_key = $2 AND s.submitted_at >= $3 AND s.submitted_at < $4
             GROUP BY s.customer_id, substr(s.submitted_at, 1, 10), s.score",
        )
        .bind(Id(survey_id))
        .bind(key)
        .bind(Ts(from))
        .bind(Ts(to))
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(c, day, score, n)| {
                Ok((
                    c.as_deref().map(uuid).transpose()?,
                    DayCount {
                        day: parse_date(&day, "day").map_err(|e| StoreError::Other(e.to_string()))?,
                        score: i32::try_from(score).map_err(|e| StoreError::Other(e.to_string()))?,
                        count: count(n)?,
                    },
                ))
            })
            .collect()
    }

    async fn latest_comments(&self, survey_id: Option<SurveyId>, w: &TimeWindow, limit: u32) -> Result<Vec<Comment>> {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT t.response_id, t.survey_id, s.title, t.question_key, t.body, r.headline_score, t.submitted_at
             FROM answer_texts t JOIN responses r ON r.id = t.response_id JOIN surveys s ON s.id = t.survey_id WHERE 1 = 1",
        );
        if let Some(id) = survey_id {
            qb.push(" AND t.survey_id = ").push_bind(Id(id));
        }
        push_window(&mut qb, "t.submitted_at", w);
        qb.push(" ORDER BY t.submitted_at DESC LIMIT ").push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(Comment {
                    response_id: row.try_get::<Id<_>, _>("response_id")?.0,
                    survey_id: row.try_get::<Id<_>, _>("survey_id")?.0,
                    survey_title: row.try_get("title")?,
                    question_key: row.try_get("question_key")?,
                    body: row.try_get("body")?,
                    score: row.try_get::<Option<i64>, _>("headline_score")?.map(narrow).transpose()?,
                    submitted_at: row.try_get::<Ts, _>("submitted_at")?.0,
                })
            })
            .collect()
    }
}
