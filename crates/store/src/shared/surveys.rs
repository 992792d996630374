// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Surveys, on either backend.

use super::DbRow;
use super::{Backend, unique};
use crate::codec::{Id, Json, Ts, count};
use crate::{Result, StoreError, SurveyStore, SurveySummary};
use async_trait::async_trait;
use cxloop_core::Survey;
use cxloop_core::ids::SurveyId;
use sqlx::Row;

const COLUMNS: &str = "id, slug, title, description, touchpoint, thank_you, status, questions, created_at, updated_at, response_count, last_response_at";

fn decode(row: &DbRow) -> Result<Survey> {
    let status: String = row.try_get("status")?;
    Ok(Survey {
        id: row.try_get::<Id<_>, _>("id")?.0,
        slug: row.try_get("slug")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        touchpoint: row.try_get("touchpoint")?,
        thank_you: row.try_get("thank_you")?,
        status: status.parse().map_err(|e| StoreError::Other(format!("{e}")))?,
        questions: row.try_get::<Json<_>, _>("questions")?.0,
        created_at: row.try_get::<Ts, _>("created_at")?.0,
        updated_at: row.try_get::<Ts, _>("updated_at")?.0,
    })
}

#[async_trait]
impl SurveyStore for Backend {
    async fn create_survey(&self, s: &Survey) -> Result<()> {
        sqlx::query("INSERT INTO surveys (id, slug, title, description, touchpoint, thank_you, status, questions, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(Id(s.id))
        .bind(&s.slug)
        .bind(&s.title)
        .bind(&s.description)
        .bind(&s.touchpoint)
        .bind(&s.thank_you)
        .bind(s.status.as_str())
        .bind(Json(&s.questions))
        .bind(Ts(s.created_at))
        .bind(Ts(s.updated_at))
        .execute(&self.write)
        .await
        .map_err(|e| unique(e, "slug"))?;
        Ok(())
    }

    async fn update_survey(&self, s: &Survey) -> Result<()> {
        let done = sqlx::query(
            "UPDATE surveys SET slug = $1, title = $2, description = $3, touchpoint = $4, thank_you = $5, status = $6,
             questions = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(&s.slug)
        .bind(&s.title)
        .bind(&s.description)
        .bind(&s.touchpoint)
        .bind(&s.thank_you)
        .bind(s.status.as_str())
        .bind(Json(&s.questions))
        .bind(Ts(s.updated_at))
        .bind(Id(s.id))
        .execute(&self.write)
        .await
        .map_err(|e| unique(e, "slug"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn get_survey(&self, id: SurveyId) -> Result<Survey> {
        let row = sqlx::query(super::qs(format!("SELECT {COLUMNS} FROM surveys WHERE id = $1")))
            .bind(Id(id))
            .fetch_one(&self.read)
            .await?;
        decode(&row)
    }

    async fn get_survey_by_slug(&self, slug: &str) -> Result<Survey> {
        let row = sqlx::query(super::qs(format!("SELECT {COLUMNS} FROM surveys WHERE slug = $1")))
            .bind(slug)
            .fetch_one(&self.read)
            .await?;
        decode(&row)
    }

    async fn list_surveys(&self) -> Result<Vec<SurveySummary>> {
        let rows = sqlx::query(super::qs(format!("SELECT {COLUMNS} FROM surveys ORDER BY created_at DESC, id DESC")))
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(SurveySummary {
                    survey: decode(row)?,
                    responses: count(row.try_get::<i64, _>("response_count")?)?,
                    last_response_at: row.try_get::<Option<Ts>, _>("last_response_at")?.map(|t| t.0),
                })
            })
            .collect()
    }

    async fn response_count(&self, id: SurveyId) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT response_count FROM surveys WHERE id = $1")
            .bind(Id(id))
            .fetch_one(&self.read)
            .await?;
        Ok(count(n)?)
    }
}
