//! Responses in SQLite: one short write transaction per response that also
//! keeps the per-day score rollup and the survey's counters current.

use super::{SqliteStore, uuid};
use crate::{
    Comment, CustomerRef, Idempotency, Inserted, NewResponse, ResponseQuery, ResponseStore, Result,
    StoreError, StoredResponse, TimeWindow, ts,
};
use async_trait::async_trait;
use cxloop_core::answer::AnswerValue;
use cxloop_core::metrics::DayCount;
use cxloop_core::period::{DateRange, fmt_date, parse_date};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

const SELECT: &str =
    "SELECT r.id, r.survey_id, c.external_id, r.submitted_at, r.channel, r.touchpoint, r.answers
     FROM responses r LEFT JOIN customers c ON c.id = r.customer_id";

fn decode(row: &SqliteRow) -> Result<StoredResponse> {
    Ok(StoredResponse {
        id: uuid(row.try_get("id")?)?,
        survey_id: uuid(row.try_get("survey_id")?)?,
        customer_external_id: row.try_get("external_id")?,
        submitted_at: ts::parse(row.try_get("submitted_at")?)?,
        channel: row.try_get("channel")?,
        touchpoint: row.try_get("touchpoint")?,
        answers: serde_json::from_str(row.try_get("answers")?)?,
    })
}

pub(super) async fn upsert_customer(
    conn: &mut SqliteConnection,
    c: &CustomerRef,
) -> Result<String> {
    let id: String = sqlx::query_scalar(
        "INSERT INTO customers (id, external_id, name, email, attributes, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (external_id) DO UPDATE SET
           name = COALESCE(excluded.name, customers.name),
           email = COALESCE(excluded.email, customers.email),
           attributes = json_patch(customers.attributes, excluded.attributes)
         RETURNING id",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(&c.external_id)
    .bind(&c.name)
    .bind(&c.email)
    .bind(serde_json::to_string(&c.attributes)?)
    .bind(ts::fmt(time::OffsetDateTime::now_utc()))
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

async fn insert_one(conn: &mut SqliteConnection, r: &NewResponse) -> Result<()> {
    let customer_id = match &r.customer {
        Some(c) => Some(upsert_customer(conn, c).await?),
        None => None,
    };
    let at = ts::fmt(r.submitted_at);
    let day = fmt_date(r.submitted_at.to_offset(time::UtcOffset::UTC).date());
    let id = r.id.to_string();
    let survey_id = r.survey.id.to_string();
    let headline = r
        .survey
        .headline_question()
        .and_then(|q| r.answers.get(&q.key))
        .and_then(AnswerValue::score);
    sqlx::query(
        "INSERT INTO responses (id, survey_id, customer_id, submitted_at, channel, touchpoint, headline_score, answers, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&id)
    .bind(&survey_id)
    .bind(customer_id)
    .bind(&at)
    .bind(&r.channel)
    .bind(&r.survey.touchpoint)
    .bind(headline)
    .bind(serde_json::to_string(&r.answers)?)
    .bind(ts::fmt(time::OffsetDateTime::now_utc()))
    .execute(&mut *conn)
    .await
    .map_err(|e| super::unique(e, "response id"))?;
    for (key, value) in &r.answers {
        match value {
            AnswerValue::Score(score) => {
                sqlx::query(
                    "INSERT INTO answer_scores (response_id, survey_id, question_key, score, submitted_at) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&id)
                .bind(&survey_id)
                .bind(key)
                .bind(score)
                .bind(&at)
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "INSERT INTO score_daily (survey_id, question_key, day, score, n) VALUES (?, ?, ?, ?, 1)
                     ON CONFLICT (survey_id, question_key, day, score) DO UPDATE SET n = n + 1",
                )
                .bind(&survey_id)
                .bind(key)
                .bind(&day)
                .bind(score)
                .execute(&mut *conn)
                .await?;
            }
            AnswerValue::Text(body) => {
                sqlx::query(
                    "INSERT INTO answer_texts (response_id, survey_id, question_key, body, submitted_at) VALUES (?, ?, ?, ?, ?)",
                )
                .bind(&id)
                .bind(&survey_id)
                .bind(key)
                .bind(body)
                .bind(&at)
                .execute(&mut *conn)
                .await?;
            }
            AnswerValue::Choice(_) | AnswerValue::Choices(_) => {}
        }
    }
    sqlx::query(
        "UPDATE surveys SET response_count = response_count + 1,
         last_response_at = MAX(COALESCE(last_response_at, ''), ?) WHERE id = ?",
    )
    .bind(&at)
    .bind(&survey_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn push_window(qb: &mut QueryBuilder<Sqlite>, column: &str, w: &TimeWindow) {
    if let Some(from) = w.from {
        qb.push(format!(" AND {column} >= "))
            .push_bind(ts::fmt(from));
    }
    if let Some(to) = w.to {
        qb.push(format!(" AND {column} < ")).push_bind(ts::fmt(to));
    }
}

#[async_trait]
impl ResponseStore for SqliteStore {
    async fn insert_response(
        &self,
        r: &NewResponse,
        idem: Option<&Idempotency>,
    ) -> Result<Inserted> {
        let mut tx = self.write.begin().await?;
        if let Some(k) = idem {
            let prior: Option<(String, String)> = sqlx::query_as(
                "SELECT request_hash, response_id FROM idempotency WHERE survey_id = ? AND key = ?",
            )
            .bind(r.survey.id.to_string())
            .bind(&k.key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((hash, response_id)) = prior {
                drop(tx);
                if hash != k.request_hash {
                    return Err(StoreError::Conflict {
                        what: "Idempotency-Key",
                    });
                }
                return Ok(Inserted::Replayed(
                    self.get_response(uuid(&response_id)?).await?,
                ));
            }
        }
        insert_one(&mut tx, r).await?;
        if let Some(k) = idem {
            sqlx::query(
                "INSERT INTO idempotency (survey_id, key, request_hash, response_id, created_at) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(r.survey.id.to_string())
            .bind(&k.key)
            .bind(&k.request_hash)
            .bind(r.id.to_string())
            .bind(ts::fmt(time::OffsetDateTime::now_utc()))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Inserted::Created(StoredResponse {
            id: r.id,
            survey_id: r.survey.id,
            customer_external_id: r.customer.as_ref().map(|c| c.external_id.clone()),
            submitted_at: r.submitted_at,
            channel: r.channel.clone(),
            touchpoint: r.survey.touchpoint.clone(),
            answers: r.answers.clone(),
        }))
    }

    async fn insert_responses(&self, rs: &[NewResponse]) -> Result<u64> {
        let mut n = 0;
        for chunk in rs.chunks(2000) {
            let mut tx = self.write.begin().await?;
            for r in chunk {
                insert_one(&mut tx, r).await?;
                n += 1;
            }
            tx.commit().await?;
        }
        Ok(n)
    }

    async fn get_response(&self, id: uuid::Uuid) -> Result<StoredResponse> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.id = ?")))
            .bind(id.to_string())
            .fetch_one(&self.read)
            .await?;
        decode(&row)
    }

    async fn list_responses(&self, q: &ResponseQuery) -> Result<Vec<StoredResponse>> {
        let mut qb = QueryBuilder::<Sqlite>::new(SELECT);
        qb.push(" WHERE r.survey_id = ")
            .push_bind(q.survey_id.to_string());
        push_window(&mut qb, "r.submitted_at", &q.window);
        let (cmp, dir) = if q.newest_first {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some((at, id)) = q.after {
            let at = ts::fmt(at);
            qb.push(format!(" AND (r.submitted_at {cmp} "))
                .push_bind(at.clone())
                .push(" OR (r.submitted_at = ")
                .push_bind(at)
                .push(format!(" AND r.id {cmp} "))
                .push_bind(id.to_string())
                .push("))");
        }
        qb.push(format!(" ORDER BY r.submitted_at {dir}, r.id {dir} LIMIT "))
            .push_bind(i64::from(q.limit));
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter().map(decode).collect()
    }

    async fn daily_scores(
        &self,
        survey_id: uuid::Uuid,
        key: &str,
        range: DateRange,
    ) -> Result<Vec<DayCount>> {
        let rows: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT day, score, n FROM score_daily WHERE survey_id = ? AND question_key = ? AND day >= ? AND day <= ?",
        )
        .bind(survey_id.to_string())
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
                    count: n.max(0) as u64,
                })
            })
            .collect()
    }

    async fn latest_comments(
        &self,
        survey_id: Option<uuid::Uuid>,
        w: &TimeWindow,
        limit: u32,
    ) -> Result<Vec<Comment>> {
        let mut qb = QueryBuilder::<Sqlite>::new(
            "SELECT t.response_id, t.survey_id, s.title, t.question_key, t.body, r.headline_score, t.submitted_at
             FROM answer_texts t JOIN responses r ON r.id = t.response_id JOIN surveys s ON s.id = t.survey_id WHERE 1 = 1",
        );
        if let Some(id) = survey_id {
            qb.push(" AND t.survey_id = ").push_bind(id.to_string());
        }
        push_window(&mut qb, "t.submitted_at", w);
        qb.push(" ORDER BY t.submitted_at DESC LIMIT ")
            .push_bind(i64::from(limit));
        let rows = qb.build().fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok(Comment {
                    response_id: uuid(row.try_get("response_id")?)?,
                    survey_id: uuid(row.try_get("survey_id")?)?,
                    survey_title: row.try_get("title")?,
                    question_key: row.try_get("question_key")?,
                    body: row.try_get("body")?,
                    score: row
                        .try_get::<Option<i64>, _>("headline_score")?
                        .map(|s| s as i32),
                    submitted_at: ts::parse(row.try_get("submitted_at")?)?,
                })
            })
            .collect()
    }
}
