//! Login sessions and API tokens.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::{TokenId, UserId};
use serde::Serialize;
use time::OffsetDateTime;

use crate::{Permissions, User};

/// An API token as listed (never its secret, which is shown once).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    pub id: TokenId,
    pub user_id: UserId,
    pub user_email: String,
    pub name: String,
    #[serde(serialize_with = "scopes_text")]
    pub scopes: Permissions,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

fn scopes_text<S: serde::Serializer>(p: &Permissions, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(p.iter().map(|p| p.scope()))
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub id_hash: String,
    pub user_id: UserId,
    pub csrf: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub csrf: String,
    pub expires_at: OffsetDateTime,
}

/// Login sessions (by the hash of their id) and API tokens (by the hash of their secret).
#[async_trait]
pub trait CredentialStore: Send + Sync {
    async fn create_session(&self, s: &NewSession) -> Result<()>;
    /// The live (unexpired) session with this id hash, and its user.
    async fn session(&self, id_hash: &str, now: time::OffsetDateTime) -> Result<(User, SessionInfo)>;
    async fn delete_session(&self, id_hash: &str) -> Result<()>;
    async fn purge_sessions(&self, now: time::OffsetDateTime) -> Result<u64>;
    async fn create_token(&self, user_id: UserId, name: &str, token_hash: &str, scopes: Permissions)
    -> Result<TokenId>;
    /// The active account a token belongs to, and the token's scopes.
    async fn user_by_token(&self, token_hash: &str) -> Result<(User, Permissions)>;
    /// Tokens, newest first: one account's, or everyone's.
    async fn list_tokens(&self, user_id: Option<UserId>) -> Result<Vec<TokenInfo>>;
    /// Revokes a token; with `owner`, only if it is that account's.
    async fn delete_token(&self, id: TokenId, owner: Option<UserId>) -> Result<()>;
}
