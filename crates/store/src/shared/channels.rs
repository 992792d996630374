// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Inbound webhooks (with the event ids already handled) and website
// widget settings.

use super::Backend;
use crate::codec::{Id, Json, Ts, narrow};
use crate::{ChannelStore, Hook, Result, StoreError, Widget};
use async_trait::async_trait;
use cxloop_core::ids::SurveyId;
use sqlx::Row;
use time::OffsetDateTime;

fn decode_hook(row: &super::DbRow) -> Result<Hook> {
    Ok(Hook {
        id: row.try_get::<Id<_>, _>("id")?.0,
        name: row.try_get("name")?,
        secret: row.try_get("secret")?,
        events: row.try_get::<Json<_>, _>("events")?.0,
        created_at: row.try_get::<Ts, _>("created_at")?.0,
    })
}

#[async_trait]
impl ChannelStore for Backend {
    async fn create_hook(&self, hook: &Hook) -> Result<()> {
        sqlx::query("INSERT INTO hooks (id, name, secret, events, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(Id(hook.id))
            .bind(&hook.name)
            .bind(&hook.secret)
            .bind(Json(&hook.events))
            .bind(Ts(hook.created_at))
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
            .bind(Id(id))
            .fetch_one(&self.read)
            .await?;
        decode_hook(&row)
    }

    async fn delete_hook(&self, id: cxloop_core::ids::HookId) -> Result<()> {
        let done = sqlx::query("DELETE FROM hooks WHERE id = $1").bind(Id(id)).execute(&self.write).await?;
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
        .bind(Id(hook_id))
        .bind(event_id)
        .bind(Ts(OffsetDateTime::now_utc()))
        .bind(outcome)
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn forget_hook_event(&self, hook_id: cxloop_core::ids::HookId, event_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM hook_events WHERE hook_id = $1 AND event_id = $2")
            .bind(Id(hook_id))
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
        .bind(Id(w.survey_id))
        .bind(Json(&w.origins))
        .bind(i64::from(w.every_days))
        .bind(Ts(OffsetDateTime::now_utc()))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn widget(&self, survey_id: SurveyId) -> Result<Widget> {
        let row = sqlx::query("SELECT survey_id, origins, every_days FROM widgets WHERE survey_id = $1")
            .bind(Id(survey_id))
            .fetch_one(&self.read)
            .await?;
        Ok(Widget {
            survey_id: row.try_get::<Id<_>, _>("survey_id")?.0,
            origins: row.try_get::<Json<_>, _>("origins")?.0,
            every_days: narrow(row.try_get::<i64, _>("every_days")?)?,
        })
    }
}
