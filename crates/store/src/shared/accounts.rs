// Shared by both backends: included into `sqlite` and `postgres`, where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow`, `q!` and `qs` are defined.
//
// Staff accounts, sessions, API tokens, settings and customers, on either backend.

use super::{Backend, unique, uuid};
use crate::{
    AccountStore, NewSession, NewUser, Result, Role, SessionInfo, StoreError,
    User, UserWithPassword, ts,
};
use async_trait::async_trait;
use sqlx::Row;
use super::DbRow;
use time::OffsetDateTime;

fn decode_user(row: &DbRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: uuid(row.try_get("id")?)?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Other(format!("bad stored role {role:?}")))?,
    })
}

#[async_trait]
impl AccountStore for Backend {
    async fn create_user(&self, u: &NewUser) -> Result<User> {
        let id = uuid::Uuid::now_v7();
        sqlx::query(q!("INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)"))
            .bind(id.to_string())
            .bind(&u.email)
            .bind(&u.name)
            .bind(u.role.as_str())
            .bind(&u.password_hash)
            .bind(ts::fmt(OffsetDateTime::now_utc()))
            .execute(&self.write)
            .await
            .map_err(|e| unique(e, "email"))?;
        Ok(User { id, email: u.email.clone(), name: u.name.clone(), role: u.role })
    }

    async fn user_by_email(&self, email: &str) -> Result<UserWithPassword> {
        let row = sqlx::query(q!("SELECT id, email, name, role, password_hash FROM users WHERE email = ?"))
            .bind(email)
            .fetch_one(&self.read)
            .await?;
        Ok(UserWithPassword { user: decode_user(&row)?, password_hash: row.try_get("password_hash")? })
    }

    async fn user(&self, id: uuid::Uuid) -> Result<User> {
        let row = sqlx::query(q!("SELECT id, email, name, role FROM users WHERE id = ?"))
            .bind(id.to_string())
            .fetch_one(&self.read)
            .await?;
        decode_user(&row)
    }

    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(q!("SELECT COUNT(*) FROM users")).fetch_one(&self.read).await?;
        Ok(n.max(0) as u64)
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(q!("SELECT id, email, name, role FROM users ORDER BY email")).fetch_all(&self.read).await?;
        rows.iter().map(decode_user).collect()
    }

    async fn create_session(&self, s: &NewSession) -> Result<()> {
        sqlx::query(q!("INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"))
            .bind(&s.id_hash)
            .bind(s.user_id.to_string())
            .bind(&s.csrf)
            .bind(ts::fmt(OffsetDateTime::now_utc()))
            .bind(ts::fmt(s.expires_at))
            .execute(&self.write)
            .await
            .map_err(|e| unique(e, "session"))?;
        Ok(())
    }

    async fn session(&self, id_hash: &str, now: OffsetDateTime) -> Result<(User, SessionInfo)> {
        let row = sqlx::query(q!("SELECT u.id, u.email, u.name, u.role, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.id_hash = ? AND s.expires_at > ?"))
        .bind(id_hash)
        .bind(ts::fmt(now))
        .fetch_one(&self.read)
        .await?;
        let info = SessionInfo { csrf: row.try_get("csrf")?, expires_at: ts::parse(row.try_get("expires_at")?)? };
        Ok((decode_user(&row)?, info))
    }

    async fn delete_session(&self, id_hash: &str) -> Result<()> {
        sqlx::query(q!("DELETE FROM sessions WHERE id_hash = ?")).bind(id_hash).execute(&self.write).await?;
        Ok(())
    }

    async fn purge_sessions(&self, now: OffsetDateTime) -> Result<u64> {
        let done =
            sqlx::query(q!("DELETE FROM sessions WHERE expires_at <= ?")).bind(ts::fmt(now)).execute(&self.write).await?;
        Ok(done.rows_affected())
    }

    async fn create_token(&self, user_id: uuid::Uuid, name: &str, token_hash: &str) -> Result<uuid::Uuid> {
        let id = uuid::Uuid::now_v7();
        sqlx::query(q!("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?, ?)"))
            .bind(id.to_string())
            .bind(user_id.to_string())
            .bind(name)
            .bind(token_hash)
            .bind(ts::fmt(OffsetDateTime::now_utc()))
            .execute(&self.write)
            .await
            .map_err(|e| unique(e, "token"))?;
        Ok(id)
    }

    async fn user_by_token(&self, token_hash: &str) -> Result<User> {
        let row = sqlx::query(q!("SELECT u.id, u.email, u.name, u.role FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?"))
        .bind(token_hash)
        .fetch_one(&self.read)
        .await?;
        decode_user(&row)
    }

    async fn setting_or_init(&self, key: &str, init: &str) -> Result<String> {
        sqlx::query(q!("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"))
            .bind(key)
            .bind(init)
            .execute(&self.write)
            .await?;
        Ok(sqlx::query_scalar(q!("SELECT value FROM settings WHERE key = ?")).bind(key).fetch_one(&self.write).await?)
    }

    async fn probe_write(&self) -> Result<()> {
        // 8 KB spans several pages, so the probe needs room as a response would.
        let padding = "x".repeat(8192);
        let outcome: Result<()> = async {
            let mut tx = self.write.begin().await?;
            sqlx::query(q!("INSERT INTO settings (key, value) VALUES ('health_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"))
                .bind(&padding)
                .execute(&mut *tx)
                .await?;
            sqlx::query(q!("DELETE FROM settings WHERE key = 'health_probe'")).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        match &outcome {
            Ok(()) => self.health.probe_succeeded(),
            Err(StoreError::Unavailable(reason)) => self.health.failed(reason),
            Err(_) => {}
        }
        outcome
    }
}
