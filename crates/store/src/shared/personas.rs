// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Personas and their pictures, on either backend.

use super::{Backend, unique, uuid};
use crate::codec::{Id, Ts};
use crate::{Persona, PersonaStore, Result, StoreError};
use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

#[async_trait]
impl PersonaStore for Backend {
    async fn save_persona(&self, p: &Persona) -> Result<Persona> {
        let now = Ts(OffsetDateTime::now_utc());
        let id = if p.id.is_nil() { cxloop_core::ids::PersonaId::new() } else { p.id };
        let done = if p.id.is_nil() {
            sqlx::query("INSERT INTO personas (id, name, description, goals, pain_points, initials, segment_id, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(Id(id))
            .bind(&p.name)
            .bind(&p.description)
            .bind(&p.goals)
            .bind(&p.pain_points)
            .bind(&p.initials)
            .bind(p.segment_id.map(Id))
            .bind(now)
            .bind(now)
            .execute(&self.write)
            .await
        } else {
            sqlx::query("UPDATE personas SET name = $1, description = $2, goals = $3, pain_points = $4, initials = $5, segment_id = $6, updated_at = $7
                 WHERE id = $8")
            .bind(&p.name)
            .bind(&p.description)
            .bind(&p.goals)
            .bind(&p.pain_points)
            .bind(&p.initials)
            .bind(p.segment_id.map(Id))
            .bind(now)
            .bind(Id(id))
            .execute(&self.write)
            .await
        }
        .map_err(|e| unique(e, "name"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // Whether it has a picture is the store's to say, never the caller's.
        let has_picture = !p.id.is_nil()
            && sqlx::query("SELECT picture_type FROM personas WHERE id = $1")
                .bind(Id(id))
                .fetch_one(&self.write)
                .await?
                .try_get::<Option<String>, _>("picture_type")?
                .is_some();
        Ok(Persona { id, has_picture, ..p.clone() })
    }

    async fn personas(&self) -> Result<Vec<Persona>> {
        let rows = sqlx::query("SELECT id, name, description, goals, pain_points, initials, segment_id, picture_type FROM personas ORDER BY name")
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let seg: Option<String> = r.try_get("segment_id")?;
                Ok(Persona {
                    id: r.try_get::<Id<_>, _>("id")?.0,
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                    goals: r.try_get("goals")?,
                    pain_points: r.try_get("pain_points")?,
                    initials: r.try_get("initials")?,
                    segment_id: seg.as_deref().map(uuid).transpose()?,
                    has_picture: r.try_get::<Option<String>, _>("picture_type")?.is_some(),
                })
            })
            .collect()
    }

    async fn delete_persona(&self, id: cxloop_core::ids::PersonaId) -> Result<()> {
        let done = sqlx::query("DELETE FROM personas WHERE id = $1").bind(Id(id)).execute(&self.write).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_persona_picture(&self, id: cxloop_core::ids::PersonaId, picture: Option<(&str, &str)>) -> Result<()> {
        let done = sqlx::query("UPDATE personas SET picture_type = $1, picture = $2, updated_at = $3 WHERE id = $4")
            .bind(picture.map(|p| p.0))
            .bind(picture.map(|p| p.1))
            .bind(Ts(OffsetDateTime::now_utc()))
            .bind(Id(id))
            .execute(&self.write)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn persona_picture(&self, id: cxloop_core::ids::PersonaId) -> Result<Option<(String, String)>> {
        let row: Option<(Option<String>, Option<String>)> =
            sqlx::query_as("SELECT picture_type, picture FROM personas WHERE id = $1")
                .bind(Id(id))
                .fetch_optional(&self.read)
                .await?;
        match row {
            None => Err(StoreError::NotFound),
            Some((Some(t), Some(data))) => Ok(Some((t, data))),
            Some(_) => Ok(None),
        }
    }
}
