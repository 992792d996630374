//! Request guards every route shares: a URI carrying a NUL character is
//! refused before any handler sees it (no database text column can hold
//! one), the unauthenticated endpoints that do work are limited per client
//! address, and a panic anywhere becomes an opaque 500 with one log line
//! instead of a dropped connection.

use crate::platform::error::{AppError, PageError};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Refuses `%00` in the path (404: nothing can be named so) or in a query
/// parameter (422 naming the parameter).
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let api = uri.path().starts_with("/api/");
    let fail = |e: AppError| if api { e.into_response() } else { PageError(e).into_response() };
    if has_nul(uri.path()) {
        return fail(AppError::NotFound("page"));
    }
    if let Some(query) = uri.query().filter(|q| has_nul(q)) {
        let name = form_urlencoded::parse(query.as_bytes())
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
            .map_or_else(String::new, |(k, _)| k.replace('\0', ""));
        return fail(AppError::invalid(name, "contains a NUL character (U+0000)"));
    }
    next.run(req).await
}

/// Unauthenticated requests that cost work: an anonymous response (page,
/// API without a token, widget) or an inbound webhook.
fn is_public_work(req: &Request) -> bool {
    if req.method() != axum::http::Method::POST {
        return false;
    }
    let path = req.uri().path();
    let anonymous_api = path.starts_with("/api/v1/surveys/")
        && path.ends_with("/responses")
        && !req.headers().contains_key(axum::http::header::AUTHORIZATION);
    path.starts_with("/s/")
        || path.starts_with("/hooks/")
        || (path.starts_with("/api/v1/widget/") && path.ends_with("/responses"))
        || anonymous_api
}

/// Refuses public work beyond the per-address limit with 429 and `Retry-After`.
pub async fn limit_public(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    req: Request,
    next: Next,
) -> Response {
    if is_public_work(&req)
        && let Some(addr) = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        && let Err(retry_after) = state.limits.public.hit(&crate::platform::limits::address_key(addr.0.ip()))
    {
        let e = AppError::TooMany { retry_after };
        return if req.uri().path().starts_with("/api/") { e.into_response() } else { PageError(e).into_response() };
    }
    next.run(req).await
}

fn has_nul(raw: &str) -> bool {
    raw.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// The response for a handler that panicked: opaque, in the documented shape.
pub fn panicked(cause: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = cause
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| cause.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".into());
    AppError::Internal(format!("handler panicked: {message}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encoded_nul_is_found_and_other_escapes_are_not() {
        assert!(has_nul("/s/a%00b"));
        assert!(has_nul("q=x%00"));
        assert!(!has_nul("/s/a%20b%0A"));
        assert!(!has_nul("q=100%"));
    }
}
