// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Inbound webhooks (with the event ids already handled) and website
// widget settings.

use super::{Backend, uuid};
use crate::{ChannelStore, Hook, Result, StoreError, Widget, ts};
use async_trait::async_trait;
use cxloop_core::ids::SurveyId;
use sqlx::Row;
use time::OffsetDateTime;

fn decode_hook(row: &super::DbRow) -> Result<Hook> {
    Ok(Hook {
        id: uuid(row.try_get("id")?)?,
        name: row.try_get("name")?,
        secret: row.try_get("secret")?,
        events: serde_json::from_str(row.try_get("events")?)?,
        created_at: ts::parse(row.try_get("created_at")?)?,
    })
}

#[async_trait]
impl ChannelStore for Backend {
    async fn create_hook(&self, hook: &Hook) -> Result<()> {
        sqlx::query("INSERT INTO hooks (id, name, secret, events, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(hook.id.to_string())
            .bind(&hook.name)
            .bind(&hook.secret)
            .bind(serde_json::to_string(&hook.events)?)
            .bind(ts::fmt(hook.created_at))
            .execute(&self.write)
            .await
            .map_err(|e| crate::unique(e, "name"))?;
        Ok(())
    }

    async fn hooks(&self) -> Result<Vec<Hook>> {
        let rows = sqlx::query("SELECT id, name, secret, events, created_at FROM hooks ORDER BY name")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(decode_hook).collect()
    }

    async fn hook(&self, id: cxloop_core::ids::HookId) -> Result<Hook> {
        let row = sqlx::query("SELECT id, name, secret, events, created_at FROM hooks WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&self.read)
            .await?;
        decode_hook(&row)
    }

    async fn delete_hook(&self, id: cxloop_core::ids::HookId) -> Result<()> {
        let done = sqlx::query("DELETE FROM hooks WHERE id = $1").bind(id.to_string()).execute(&self.write).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn record_hook_event(
        &self,
        hook_id: cxloop_core::ids::HookId,
        event_id: &str,
        outcome: &str,
    ) -> Result<bool> {
        let done = sqlx::query("INSERT INTO hook_events (hook_id, event_id, received_at, outcome) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(hook_id.to_string())
        .bind(event_id)
        .bind(ts::fmt(OffsetDateTime::now_utc()))
        .bind(outcome)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn forget_hook_event(&self, hook_id: cxloop_core::ids::HookId, event_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM hook_events WHERE hook_id = $1 AND event_id = $2")
            .bind(hook_id.to_string())
            .bind(event_id)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn put_widget(&self, w: &Widget) -> Result<()> {
        sqlx::query(
            "INSERT INTO widgets (survey_id, origins, every_days, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (survey_id) DO UPDATE SET origins = excluded.origins, every_days = excluded.every_days,
             updated_at = excluded.updated_at",
        )
        .bind(w.survey_id.to_string())
        .bind(serde_json::to_string(&w.origins)?)
        .bind(i64::from(w.every_days))
        .bind(ts::fmt(OffsetDateTime::now_utc()))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn widget(&self, survey_id: SurveyId) -> Result<Widget> {
        let row = sqlx::query("SELECT survey_id, origins, every_days FROM widgets WHERE survey_id = $1")
            .bind(survey_id.to_string())
            .fetch_one(&self.read)
            .await?;
        Ok(Widget {
            survey_id: uuid(row.try_get("survey_id")?)?,
            origins: serde_json::from_str(row.try_get("origins")?)?,
            every_days: row.try_get::<i64, _>("every_days")?.clamp(0, i64::from(u32::MAX)) as u32,
        })
    }
}
