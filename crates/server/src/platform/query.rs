//! Query strings with errors that name the parameter, in the documented
//! shape: a duplicated, unknown-typed or non-numeric parameter is a 422
//! `{"error": {"code": "invalid", "field": "limit", ...}}` from the API
//! ([`ApiQuery`]) and the same message on a kind page ([`PageQuery`]),
//! never axum's plain-text 400.

use crate::platform::error::{AppError, PageError};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// Parses a raw query string into `T`, naming the parameter on failure.
/// An empty parameter (`?to=`, as a form with a blank field sends) is the
/// same as leaving it out, for every parameter alike (the OpenAPI document
/// marks each optional one `allowEmptyValue`).
pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, AppError> {
    let pairs: Vec<(String, String)> =
        form_urlencoded::parse(raw.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    from_pairs(&pairs, "invalid query parameter")
}

/// Deserialises urlencoded `pairs` (a query string's or a form body's) into
/// `T`, empty values left out; a failure is `Invalid` naming the field
/// (`what: message`), whether serde knows its path (a bad number) or only
/// names it in its message (a duplicated or missing field).
pub fn from_pairs<T: DeserializeOwned>(pairs: &[(String, String)], what: &str) -> Result<T, AppError> {
    let kept = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish();
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(kept.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // serde names a duplicated or missing field in its message.
        let named = ["duplicate field `", "missing field `"]
            .iter()
            .find_map(|p| message.split_once(p).and_then(|(_, rest)| rest.split('`').next()).map(str::to_string));
        let field = if path != "." { Some(path) } else { named };
        AppError::Invalid { field, message: format!("{what}: {message}") }
    })
}

/// Query parameters for an API handler.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(ApiQuery)
    }
}

/// Query parameters for a page: the same checks, rendered as a page.
pub struct PageQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for PageQuery<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse_query(parts.uri.query().unwrap_or_default()).map(PageQuery).map_err(PageError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Q {
        limit: Option<u32>,
        from: Option<String>,
    }

    #[test]
    fn a_bad_number_names_its_parameter() {
        let e = parse_query::<Q>("limit=ten").unwrap_err();
        assert_eq!(e.field(), Some("limit"), "{e}");
        assert_eq!(e.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn a_duplicated_parameter_names_itself() {
        let e = parse_query::<Q>("from=2026-01-01&from=2026-02-01").unwrap_err();
        assert_eq!(e.field(), Some("from"), "{e}");
    }

    #[test]
    fn an_empty_parameter_is_left_out() {
        let q: Q = parse_query("limit=&from=2026-01-01").unwrap();
        assert_eq!(q.limit, None);
        assert_eq!(q.from.as_deref(), Some("2026-01-01"));
        let q: Q = parse_query("limit=&limit=5").unwrap();
        assert_eq!(q.limit, Some(5));
    }

    #[test]
    fn good_queries_parse() {
        let q = parse_query::<Q>("limit=5&from=2026-01-01").unwrap();
        assert_eq!((q.limit, q.from.as_deref()), (Some(5), Some("2026-01-01")));
    }
}
