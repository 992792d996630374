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

/// A page size from `limit=N`: 1 to `MAX`, 100 when left out. Parsed with
/// the rest of the query, so a bad one is a 422 naming `limit` before the
/// handler runs, and every list reads it the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit<const MAX: u32 = 1000>(u32);

impl<const MAX: u32> Limit<MAX> {
    pub fn get(self) -> u32 {
        self.0
    }

    pub fn rows(self) -> usize {
        self.0 as usize
    }
}

impl<const MAX: u32> Default for Limit<MAX> {
    fn default() -> Self {
        Limit(100.min(MAX))
    }
}

impl<'de, const MAX: u32> serde::Deserialize<'de> for Limit<MAX> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Query strings carry text; a JSON-ish number is taken too.
        struct V<const MAX: u32>;
        impl<const MAX: u32> serde::de::Visitor<'_> for V<MAX> {
            type Value = Limit<MAX>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                write!(f, "a whole number from 1 to {MAX}")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Self::Value, E> {
                match u32::try_from(n) {
                    Ok(n) if (1..=MAX).contains(&n) => Ok(Limit(n)),
                    _ => Err(E::custom(format!("limit must be 1–{MAX}"))),
                }
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Self::Value, E> {
                self.visit_u64(u64::try_from(n).unwrap_or(0))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
                s.trim()
                    .parse::<u64>()
                    .map_err(|_| E::custom(format!("limit must be 1–{MAX}")))
                    .and_then(|n| self.visit_u64(n))
            }
        }
        d.deserialize_any(V::<MAX>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Listing {
        #[serde(default)]
        limit: Limit,
        #[serde(default)]
        small: Limit<500>,
    }

    #[test]
    fn a_limit_is_one_to_its_maximum_and_100_when_left_out() {
        let q: Listing = parse_query("").unwrap();
        assert_eq!((q.limit.get(), q.small.get()), (100, 100));
        let q: Listing = parse_query("limit=1000&small=500").unwrap();
        assert_eq!((q.limit.get(), q.small.get()), (1000, 500));
        let q: Listing = parse_query("limit=&small=%207%20").unwrap();
        assert_eq!((q.limit.get(), q.small.get()), (100, 7));
        for (query, field, message) in [
            ("limit=0", "limit", "limit must be 1–1000"),
            ("limit=1001", "limit", "limit must be 1–1000"),
            ("limit=-3", "limit", "limit must be 1–1000"),
            ("limit=ten", "limit", "limit must be 1–1000"),
            ("limit=99999999999", "limit", "limit must be 1–1000"),
            ("small=501", "small", "limit must be 1–500"),
        ] {
            let e = parse_query::<Listing>(query).unwrap_err();
            assert_eq!(e.field(), Some(field), "{query}: {e}");
            assert!(e.to_string().contains(message), "{query}: {e}");
        }
    }

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
