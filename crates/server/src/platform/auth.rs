//! Who is asking, and whether they may: staff sessions (cookie + CSRF
//! token), API bearer tokens with their scopes, password hashing (argon2).
//! Extractors here are the only way handlers learn the caller; [`Staff`]
//! and [`Api`] also require a permission, decided by
//! [`cxloop_core::access::decide`].

use crate::platform::crypto::{ct_eq, new_token, sha256_hex};
use crate::platform::error::AppError;
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_core::access::{Caller, Decision, Permission, Permissions, decide};
use cxloop_store::{NewSession, StoreError, User};
use std::marker::PhantomData;
use time::{Duration, OffsetDateTime};

pub const SESSION_COOKIE: &str = "cxloop_session";
pub const LOGIN_CSRF_COOKIE: &str = "cxloop_login";
pub const SESSION_DAYS: i64 = 7;

/// Hashes a password with argon2id and a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::encode_b64(&crate::platform::crypto::random_bytes::<16>())
        .map_err(|e| AppError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("hash: {e}")))
}

/// Checks a password against a stored hash; false for any malformed hash.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Rules for new passwords.
pub fn check_new_password(password: &str) -> Result<(), AppError> {
    let n = password.chars().count();
    if n < 10 {
        return Err(AppError::invalid("password", "password must be at least 10 characters"));
    }
    if n > 512 {
        return Err(AppError::invalid("password", "password must be at most 512 characters"));
    }
    Ok(())
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path /, Secure if configured.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Checks a password on the blocking pool, at most a few at a time (argon2
/// needs ~19 MiB and a core for tens of milliseconds each), so a flood of
/// logins waits for its turn instead of taking the memory and CPU of ingest.
pub async fn verify_password_bounded(state: &AppState, hash: String, password: String) -> Result<bool, AppError> {
    let _permit =
        state.limits.hashing.acquire().await.map_err(|_| AppError::Internal("password hashing is closed".into()))?;
    tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .map_err(|e| AppError::Internal(format!("password check failed: {e}")))
}

/// Checks email and password; on success opens a session and returns the
/// cookie value to set. The same error for a wrong email or password.
/// Wrong passwords are limited per account and per client address
/// (`addr`, when known): beyond the limit the answer is 429 with the wait,
/// and no password is checked at all until the minute has passed.
pub async fn log_in(
    state: &AppState,
    email: &str,
    password: &str,
    addr: Option<std::net::IpAddr>,
) -> Result<String, AppError> {
    // A hash to verify against when the email is unknown, so that the
    // answer takes as long either way.
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let email = email.trim().to_lowercase();
    let address = addr.map(crate::platform::limits::address_key);
    let limits = &state.limits;
    limits.login_account.check(&email).map_err(|retry_after| AppError::TooMany { retry_after })?;
    if let Some(a) = &address {
        limits.login_address.check(a).map_err(|retry_after| AppError::TooMany { retry_after })?;
    }
    let found = match state.store.user_by_email(&email).await {
        Ok(u) => Some(u),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let hash = match found.as_ref().and_then(|u| u.password_hash.clone()) {
        Some(h) => h,
        None => DUMMY.get_or_init(|| hash_password("cxloop timing equaliser").unwrap_or_default()).clone(),
    };
    let ok = verify_password_bounded(state, hash, password.to_string()).await?;
    // A deactivated account is refused exactly like a wrong password.
    let Some(found) = found.filter(|u| ok && u.user.active) else {
        limits.login_account.record(&email);
        if let Some(a) = &address {
            limits.login_address.record(a);
        }
        return Err(AppError::invalid("password", "that email and password do not match an account"));
    };
    limits.login_account.clear(&email);
    let token = new_token();
    state
        .store
        .create_session(&NewSession {
            id_hash: sha256_hex(&token),
            user_id: found.user.id,
            csrf: new_token(),
            expires_at: OffsetDateTime::now_utc() + Duration::days(SESSION_DAYS),
        })
        .await?;
    Ok(token)
}

/// A logged-in staff member on an HTML page. Without a session the request
/// is redirected to the login page.
#[derive(Debug, Clone)]
pub struct WebUser {
    pub user: User,
    pub csrf: String,
    pub session_hash: String,
}

impl WebUser {
    /// Whether the session's role holds `p` (for showing only the forms and
    /// links the person may use; the routes check it again).
    pub fn can(&self, p: Permission) -> bool {
        decide(Caller { role: self.user.role, scopes: None }, p) == Decision::Allow
    }

    /// Refuses a form post whose `_csrf` field does not match the session.
    pub fn check_csrf(&self, submitted: Option<&str>) -> Result<(), AppError> {
        match submitted {
            Some(t) if ct_eq(t, &self.csrf) => Ok(()),
            _ => Err(AppError::Forbidden(
                "the form expired or did not come from cxloop; reload the page and try again".into(),
            )),
        }
    }
}

async fn session_user(parts: &Parts, state: &AppState) -> Result<Option<WebUser>, AppError> {
    let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = sha256_hex(&token);
    match state.store.session(&hash, OffsetDateTime::now_utc()).await {
        Ok((user, info)) => Ok(Some(WebUser { user, csrf: info.csrf, session_hash: hash })),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Sends the browser to the login page, remembering where it was going.
pub struct LoginRedirect(String);

impl IntoResponse for LoginRedirect {
    fn into_response(self) -> Response {
        Redirect::to(&crate::ui::paths::login_then(&self.0)).into_response()
    }
}

impl FromRequestParts<AppState> for WebUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match session_user(parts, state).await {
            Ok(Some(u)) => Ok(u),
            Ok(None) => {
                let path = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/").to_string();
                Err(LoginRedirect(path).into_response())
            }
            Err(e) => Err(crate::platform::error::PageError(e).into_response()),
        }
    }
}

fn bearer(parts: &Parts) -> Option<Result<String, AppError>> {
    let value = parts.headers.get(header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    Some(token.ok_or_else(|| AppError::invalid("Authorization", "use the form: Authorization: Bearer <token>")))
}

async fn token_user(state: &AppState, token: &str) -> Result<ApiUser, AppError> {
    match state.store.user_by_token(&sha256_hex(token)).await {
        Ok((user, scopes)) => Ok(ApiUser { user, scopes: Some(scopes) }),
        Err(StoreError::NotFound) => Err(AppError::Unauthorized),
        Err(e) => Err(e.into()),
    }
}

/// A caller of the staff API: a bearer token (limited to its scopes), or a
/// browser session for safe (read-only) methods, so that dashboard links
/// can download exports. Writes with a cookie alone are refused: they would
/// be open to CSRF.
#[derive(Debug, Clone)]
pub struct ApiUser {
    pub user: User,
    /// The token's scopes; `None` for a browser session.
    pub scopes: Option<Permissions>,
}

impl ApiUser {
    /// Allows the caller to do what `p` covers, or says why not.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        let caller = Caller { role: self.user.role, scopes: self.scopes };
        match decide(caller, p) {
            Decision::Allow => Ok(()),
            Decision::RoleLacks => Err(AppError::Forbidden(role_lacks(self.user.role, p))),
            Decision::ScopeLacks => Err(AppError::Forbidden(format!(
                "this API token does not have the `{}` scope ({}); create a token with it",
                p.scope(),
                p.describe()
            ))),
        }
    }
}

fn role_lacks(role: cxloop_store::Role, p: Permission) -> String {
    format!("the {} role may not {}; ask an admin", role.as_str(), p.describe())
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(token) = bearer(parts) {
            return token_user(state, &token?).await;
        }
        if matches!(parts.method, Method::GET | Method::HEAD)
            && let Some(u) = session_user(parts, state).await?
        {
            return Ok(ApiUser { user: u.user, scopes: None });
        }
        Err(AppError::Unauthorized)
    }
}

/// A permission as a type, for [`Staff`] and [`Api`].
pub trait Needs: Send + Sync + 'static {
    const PERMISSION: Permission;
}

/// The permissions as types: `Api<can::ManageSurveys>`.
pub mod can {
    use super::{Needs, Permission};

    macro_rules! permissions {
        ($($name:ident),* $(,)?) => {$(
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Needs for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }

    permissions!(
        ViewReports,
        ExportData,
        SubmitResponses,
        ManageSurveys,
        SendInvitations,
        ManageCustomers,
        ManageSegments,
        ManageTaxonomy,
        ManageAttributes,
        ManageIntegrations,
        ManagePrivacy,
        ManageUsers,
    );
}

/// An API caller who holds permission `P`: 401 without credentials, 403
/// naming the missing permission or scope otherwise.
#[derive(Debug, Clone)]
pub struct Api<P>(pub User, pub PhantomData<P>);

impl<P: Needs> FromRequestParts<AppState> for Api<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = ApiUser::from_request_parts(parts, state).await?;
        caller.require(P::PERMISSION)?;
        Ok(Api(caller.user, PhantomData))
    }
}

/// A staff member on a page who holds permission `P`: without a session
/// the login page, without the permission a 403 page saying which.
#[derive(Debug, Clone)]
pub struct Staff<P>(pub WebUser, pub PhantomData<P>);

impl<P: Needs> FromRequestParts<AppState> for Staff<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = WebUser::from_request_parts(parts, state).await?;
        if !user.can(P::PERMISSION) {
            let e = AppError::Forbidden(role_lacks(user.user.role, P::PERMISSION));
            return Err(crate::platform::error::PageError(e).into_response());
        }
        Ok(Staff(user, PhantomData))
    }
}

/// An optional bearer token: absent means anonymous; a token that is
/// present must be valid (never a silent downgrade) and hold `P`.
#[derive(Debug, Clone)]
pub struct MaybeApi<P>(pub Option<User>, pub PhantomData<P>);

impl<P: Needs> FromRequestParts<AppState> for MaybeApi<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match bearer(parts) {
            Some(token) => {
                let caller = token_user(state, &token?).await?;
                caller.require(P::PERMISSION)?;
                Ok(MaybeApi(Some(caller.user), PhantomData))
            }
            None => Ok(MaybeApi(None, PhantomData)),
        }
    }
}

/// An optional staff session on a page (e.g. to show "back to dashboard").
pub struct MaybeWebUser(pub Option<WebUser>);

impl FromRequestParts<AppState> for MaybeWebUser {
    type Rejection = crate::platform::error::PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(MaybeWebUser(session_user(parts, state).await?))
    }
}

/// The sweeper that deletes expired sessions, hourly.
pub struct PurgeSessions;

#[async_trait::async_trait]
impl crate::platform::jobs::Sweeper for PurgeSessions {
    fn name(&self) -> &'static str {
        "purge sessions"
    }

    fn interval(&self) -> std::time::Duration {
        std::time::Duration::from_secs(3600)
    }

    async fn sweep(&self, ctx: &crate::platform::jobs::JobContext) -> Result<usize, String> {
        let n = ctx.store.purge_sessions(time::OffsetDateTime::now_utc()).await.map_err(|e| e.to_string())?;
        if n > 0 {
            tracing::info!(sessions = n, "purged expired sessions");
        }
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_with_the_right_secret() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "wrong horse battery"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; cxloop_session=abc; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("long enough pass").is_ok());
    }
}
