// Shared by both backends: a module of `sqlite` and of `postgres` (by
// `#[path]`, so rustfmt and the compiler see it as its own file), where
// `Backend`, `Db`, `Conn`, `Pool`, `DbRow` and `qs` are defined.
//
// Staff accounts and instance settings, on either backend (sessions and
// tokens are `credentials`).

use super::DbRow;
use super::{Backend, unique};
use crate::codec::{Id, Json, Ts, count};
use crate::{AccountStore, NewUser, Permissions, Result, Role, StoreError, User, UserChange, UserWithPassword};
use async_trait::async_trait;
use sqlx::Row;
use time::OffsetDateTime;

pub(super) fn decode_user(row: &DbRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get::<Id<_>, _>("id")?.0,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Other(format!("bad stored role {role:?}")))?,
        active: row.try_get::<Option<String>, _>("deactivated_at")?.is_none(),
    })
}

pub(super) fn decode_scopes(text: &str) -> Result<Permissions> {
    Permissions::parse_scopes(text).map_err(|bad| StoreError::Other(format!("bad stored token scope {bad:?}")))
}

/// Records an action in the audit log on `conn` (inside the caller's
/// transaction when it has one): the one INSERT every audited action uses.
pub(super) async fn audit_in(
    conn: &mut super::Conn,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<()> {
    sqlx::query("INSERT INTO audit_log (id, at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(Id(uuid::Uuid::now_v7()))
        .bind(Ts(OffsetDateTime::now_utc()))
        .bind(actor)
        .bind(action)
        .bind(subject)
        .bind(Json(detail))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Inside a write transaction: fails with `last_admin` unless some active
/// admin other than `except` remains. Locks the admins' rows (PostgreSQL) so
/// that two admins demoting each other at once cannot both succeed.
async fn keep_an_admin(conn: &mut super::Conn, except: cxloop_core::ids::UserId) -> Result<()> {
    let others: Vec<String> = sqlx::query_scalar(super::qs(format!(
        "SELECT id FROM users WHERE role = 'admin' AND deactivated_at IS NULL AND id <> $1{lock}",
        lock = super::FOR_UPDATE
    )))
    .bind(Id(except))
    .fetch_all(&mut *conn)
    .await?;
    if others.is_empty() { Err(StoreError::Conflict { what: "last_admin" }) } else { Ok(()) }
}

#[async_trait]
impl AccountStore for Backend {
    async fn create_user(&self, u: &NewUser) -> Result<User> {
        let id = cxloop_core::ids::UserId::new();
        sqlx::query(
            "INSERT INTO users (id, email, name, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Id(id))
        .bind(&u.email)
        .bind(&u.name)
        .bind(u.role.as_str())
        .bind(&u.password_hash)
        .bind(Ts(OffsetDateTime::now_utc()))
        .execute(&self.write)
        .await
        .map_err(|e| unique(e, "email"))?;
        Ok(User { id, email: u.email.clone(), name: u.name.clone(), role: u.role, active: true })
    }

    async fn user_by_email(&self, email: &str) -> Result<UserWithPassword> {
        let row =
            sqlx::query("SELECT id, email, name, role, deactivated_at, password_hash FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(&self.read)
                .await?;
        Ok(UserWithPassword { user: decode_user(&row)?, password_hash: row.try_get("password_hash")? })
    }

    async fn user(&self, id: cxloop_core::ids::UserId) -> Result<User> {
        let row = sqlx::query("SELECT id, email, name, role, deactivated_at FROM users WHERE id = $1")
            .bind(Id(id))
            .fetch_one(&self.read)
            .await?;
        decode_user(&row)
    }

    async fn count_users(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.read).await?;
        Ok(count(n)?)
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query("SELECT id, email, name, role, deactivated_at FROM users ORDER BY email")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(decode_user).collect()
    }

    async fn update_user(&self, id: cxloop_core::ids::UserId, change: UserChange, actor: &str) -> Result<User> {
        let mut tx = self.write.begin().await?;
        let current = sqlx::query("SELECT id, email, name, role, deactivated_at FROM users WHERE id = $1")
            .bind(Id(id))
            .fetch_one(&mut *tx)
            .await?;
        let current = decode_user(&current)?;
        let stays_admin = match change {
            UserChange::Role(r) => r == Role::Admin && current.active,
            UserChange::Active(a) => a && current.role == Role::Admin,
        };
        if current.role == Role::Admin && current.active && !stays_admin {
            keep_an_admin(&mut tx, id).await?;
        }
        match change {
            UserChange::Role(r) => {
                sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                    .bind(r.as_str())
                    .bind(Id(id))
                    .execute(&mut *tx)
                    .await?;
            }
            UserChange::Active(true) => {
                sqlx::query("UPDATE users SET deactivated_at = NULL WHERE id = $1")
                    .bind(Id(id))
                    .execute(&mut *tx)
                    .await?;
            }
            UserChange::Active(false) => {
                sqlx::query("UPDATE users SET deactivated_at = $1 WHERE id = $2 AND deactivated_at IS NULL")
                    .bind(Ts(OffsetDateTime::now_utc()))
                    .bind(Id(id))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(Id(id)).execute(&mut *tx).await?;
            }
        }
        let row = sqlx::query("SELECT id, email, name, role, deactivated_at FROM users WHERE id = $1")
            .bind(Id(id))
            .fetch_one(&mut *tx)
            .await?;
        let user = decode_user(&row)?;
        let (action, detail) = match change {
            UserChange::Role(r) => ("user.role", serde_json::json!({ "email": user.email, "role": r.as_str() })),
            UserChange::Active(a) => ("user.active", serde_json::json!({ "email": user.email, "active": a })),
        };
        audit_in(&mut tx, actor, action, &user.id.to_string(), &detail).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn delete_user(&self, id: cxloop_core::ids::UserId, actor: &str) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("SELECT id, email, name, role, deactivated_at FROM users WHERE id = $1")
            .bind(Id(id))
            .fetch_one(&mut *tx)
            .await?;
        let user = decode_user(&row)?;
        if user.role == Role::Admin && user.active {
            keep_an_admin(&mut tx, id).await?;
        }
        // Sessions and tokens go with the account (ON DELETE CASCADE), but
        // deleting them first does not depend on foreign keys being enforced.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(Id(id)).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM api_tokens WHERE user_id = $1").bind(Id(id)).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM users WHERE id = $1").bind(Id(id)).execute(&mut *tx).await?;
        let detail = serde_json::json!({ "email": user.email, "role": user.role.as_str() });
        audit_in(&mut tx, actor, "user.remove", &id.to_string(), &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn setting_or_init(&self, key: &str, init: &str) -> Result<String> {
        sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(init)
            .execute(&self.write)
            .await?;
        Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1").bind(key).fetch_one(&self.write).await?)
    }

    async fn probe_write(&self) -> Result<()> {
        // 8 KB spans several pages, so the probe needs room as a response would.
        let padding = "x".repeat(8192);
        let outcome: Result<()> = async {
            let mut tx = self.write.begin().await?;
            sqlx::query("INSERT INTO settings (key, value) VALUES ('health_probe', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind(&padding)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM settings WHERE key = 'health_probe'").execute(&mut *tx).await?;
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
