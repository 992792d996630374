// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Login sessions and API tokens, on either backend.

use super::accounts::{decode_scopes, decode_user};
use super::{Backend, unique};
use crate::codec::{Id, Ts};
use crate::{CredentialStore, NewSession, Permissions, Result, SessionInfo, StoreError, TokenInfo, User};
use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

#[async_trait]
impl CredentialStore for Backend {
    async fn create_session(&self, s: &NewSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&s.id_hash)
        .bind(Id(s.user_id))
        .bind(&s.csrf)
        .bind(Ts(OffsetDateTime::now_utc()))
        .bind(Ts(s.expires_at))
        .execute(&self.write)
        .await
        .map_err(|e| unique(e, "session"))?;
        Ok(())
    }

    async fn session(&self, id_hash: &str, now: OffsetDateTime) -> Result<(User, SessionInfo)> {
        let row = sqlx::query("SELECT u.id, u.email, u.name, u.role, u.deactivated_at, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.deactivated_at IS NULL")
        .bind(id_hash)
        .bind(Ts(now))
        .fetch_one(&self.read)
        .await?;
        let info = SessionInfo { csrf: row.try_get("csrf")?, expires_at: row.try_get::<Ts, _>("expires_at")?.0 };
        Ok((decode_user(&row)?, info))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(&self.write).await?;
        Ok(())
    }

    async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(Ts(now)).execute(&self.write).await?;
        Ok(done.rows_affected())
    }

    async fn create_token(
        &self,
        user_id: cxloop_core::ids::UserId,
        name: &str,
        token_hash: &str,
        scopes: Permissions,
    ) -> Result<cxloop_core::ids::TokenId> {
        let id = cxloop_core::ids::TokenId::new();
        sqlx::query("INSERT INTO api_tokens (id, user_id, name, token_hash, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Id(id))
            .bind(Id(user_id))
            .bind(name)
            .bind(token_hash)
            .bind(scopes.to_scopes())
            .bind(Ts(OffsetDateTime::now_utc()))
            .execute(&self.write)
            .await
            .map_err(|e| unique(e, "token"))?;
        Ok(id)
    }

    async fn user_by_token(&self, token_hash: &str) -> Result<(User, Permissions)> {
        let row = sqlx::query("SELECT u.id, u.email, u.name, u.role, u.deactivated_at, t.scopes FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND u.deactivated_at IS NULL")
        .bind(token_hash)
        .fetch_one(&self.read)
        .await?;
        let scopes: String = row.try_get("scopes")?;
        Ok((decode_user(&row)?, decode_scopes(&scopes)?))
    }

    async fn list_tokens(&self, user_id: Option<cxloop_core::ids::UserId>) -> Result<Vec<TokenInfo>> {
        let rows = sqlx::query("SELECT t.id, t.user_id, u.email, t.name, t.scopes, t.created_at FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE ($1 IS NULL OR t.user_id = $2) ORDER BY t.created_at DESC, t.id DESC")
        .bind(user_id.map(Id))
        .bind(user_id.map(Id))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let scopes: String = row.try_get("scopes")?;
                Ok(TokenInfo {
                    id: row.try_get::<Id<_>, _>("id")?.0,
                    user_id: row.try_get::<Id<_>, _>("user_id")?.0,
                    user_email: row.try_get("email")?,
                    name: row.try_get("name")?,
                    scopes: decode_scopes(&scopes)?,
                    created_at: row.try_get::<Ts, _>("created_at")?.0,
                })
            })
            .collect()
    }

    async fn delete_token(&self, id: cxloop_core::ids::TokenId, owner: Option<cxloop_core::ids::UserId>) -> Result<()> {
        let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND ($2 IS NULL OR user_id = $3)")
            .bind(Id(id))
            .bind(owner.map(Id))
            .bind(owner.map(Id))
            .execute(&self.write)
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }
}
