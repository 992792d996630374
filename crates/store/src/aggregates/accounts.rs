//! Staff accounts and instance settings.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::UserId;
use serde::Serialize;

/// Staff accounts and instance settings.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Fails with `Conflict { what: "email" }` when the email is taken.
    async fn create_user(&self, user: &NewUser) -> Result<User>;
    async fn user_by_email(&self, email: &str) -> Result<UserWithPassword>;
    async fn user(&self, id: UserId) -> Result<User>;
    async fn count_users(&self) -> Result<u64>;
    async fn list_users(&self) -> Result<Vec<User>>;
    /// Changes an account's role or whether it is active, recording it in
    /// the audit log as done by `actor` in the same transaction.
    /// Deactivating ends its sessions. Fails with
    /// `Conflict { what: "last_admin" }` when the change would leave no
    /// active admin.
    async fn update_user(&self, id: UserId, change: UserChange, actor: &str) -> Result<User>;
    /// Removes an account with its sessions and tokens, audited likewise;
    /// the same `last_admin` conflict as [`AccountStore::update_user`].
    async fn delete_user(&self, id: UserId, actor: &str) -> Result<()>;
    /// Reads a setting, or stores `init` under `key` if there is none yet and
    /// returns it (first writer wins, so processes agree).
    async fn setting_or_init(&self, key: &str, init: &str) -> Result<String>;
    /// Commits a small write that needs fresh pages (a row of a few
    /// kilobytes, written and removed in one transaction), to learn whether
    /// the storage takes writes now. Updates [`Store::health`].
    async fn probe_write(&self) -> Result<()>;
}

pub use cxloop_core::access::{Permissions, Role};

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// False once an admin has deactivated the account: it can neither log
    /// in nor use its tokens, and its sessions are gone.
    pub active: bool,
}

/// One change to a staff account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChange {
    Role(Role),
    Active(bool),
}

#[derive(Debug, Clone)]
pub struct UserWithPassword {
    pub user: User,
    pub password_hash: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub password_hash: Option<String>,
}
