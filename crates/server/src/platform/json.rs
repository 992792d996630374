//! JSON request bodies with errors that name the field: the body is read
//! once (bounded by the body limit) and deserialised with a path tracker,
//! so `questions[0].type: unknown variant` comes back as
//! `field: "questions[0].type"`.

use crate::platform::error::AppError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_json =
            req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
                v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(AppError::UnsupportedMediaType(
                "send the body as JSON with Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge { limit: crate::MAX_BODY_BYTES }
            } else {
                AppError::Invalid { field: None, message: format!("could not read the body: {rejection}") }
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Deserialises JSON, reporting syntax errors by line and column and type
/// errors by field path. Text after the value is refused, and so is a NUL
/// character in any string (PostgreSQL cannot store it; refusing it here
/// keeps both backends alike and the writer free of values it would reject).
///
/// Every body is an object: serde would otherwise read a struct from an
/// array of its fields in order (`[null, null]` as a customer), which the
/// OpenAPI document does not allow.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(AppError::Invalid { field: None, message: "invalid value: the body must be a JSON object".into() });
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return AppError::Invalid { field: None, message: format!("malformed JSON: {inner}") };
        }
        let field = if path == "." { None } else { Some(path) };
        AppError::Invalid { field, message: format!("invalid value: {inner}") }
    })?;
    de.end().map_err(|e| AppError::Invalid { field: None, message: format!("malformed JSON: {e}") })?;
    // A NUL can only arrive escaped; parse again to find its path only then.
    if bytes.windows(6).any(|w| w == br"\u0000")
        && let Ok(tree) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(path) = nul_path(&tree, String::new())
    {
        let field = if path.is_empty() { None } else { Some(path) };
        return Err(AppError::Invalid {
            field,
            message: "contains a NUL character (U+0000), which cannot be stored".into(),
        });
    }
    Ok(value)
}

/// The path (as `a.b[2].c`) of the first string or key holding a NUL.
fn nul_path(v: &serde_json::Value, at: String) -> Option<String> {
    match v {
        serde_json::Value::String(s) => s.contains('\0').then_some(at),
        serde_json::Value::Array(items) => {
            items.iter().enumerate().find_map(|(i, item)| nul_path(item, format!("{at}[{i}]")))
        }
        serde_json::Value::Object(map) => map.iter().find_map(|(k, item)| {
            let here = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
            if k.contains('\0') { Some(here) } else { nul_path(item, here) }
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        items: Vec<Item>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Item {
        n: u8,
    }

    #[test]
    fn type_errors_name_the_path() {
        let e = parse::<Body>(br#"{"items": [{"n": 1}, {"n": "x"}]}"#).unwrap_err();
        assert_eq!(e.field(), Some("items[1].n"));
    }

    #[test]
    fn text_after_the_value_is_refused() {
        let e = parse::<Body>(br#"{"items": []} trailing"#).unwrap_err();
        assert!(e.to_string().contains("malformed JSON"), "{e}");
        assert!(parse::<Body>(b"{\"items\": []}  \n").is_ok(), "whitespace after the value is fine");
    }

    #[test]
    fn a_nul_is_refused_by_its_path_and_an_escaped_backslash_is_not_a_nul() {
        let e = parse::<serde_json::Value>(br#"{"answers": {"nps": 3, "why": ["ok", "a\u0000b"]}}"#).unwrap_err();
        assert_eq!(e.field(), Some("answers.why[1]"));
        assert!(parse::<serde_json::Value>(br#"{"why": "a\\u0000b"}"#).is_ok());
    }

    #[test]
    fn a_struct_is_not_read_from_an_array() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Loose {
            a: Option<String>,
            b: Option<String>,
        }
        assert!(serde_json::from_slice::<Loose>(b"[null, null]").is_ok(), "serde alone would take it");
        let e = parse::<Loose>(b" [null, null]").unwrap_err();
        assert!(e.to_string().contains("must be a JSON object"), "{e}");
    }

    #[test]
    fn syntax_errors_say_where() {
        let e = parse::<Body>(b"{\"items\": [").unwrap_err();
        assert!(e.to_string().contains("malformed JSON"), "{e}");
        assert_eq!(e.field(), None);
    }
}
