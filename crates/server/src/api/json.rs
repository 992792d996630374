//! JSON request bodies with errors that name the field: the body is read
//! once (bounded by the body limit) and deserialised with a path tracker,
//! so `questions[0].type: unknown variant` comes back as
//! `field: "questions[0].type"`.

use crate::AppState;
use crate::error::AppError;
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
/// errors by field path.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return AppError::Invalid { field: None, message: format!("malformed JSON: {inner}") };
        }
        let field = if path == "." { None } else { Some(path) };
        AppError::Invalid { field, message: format!("invalid value: {inner}") }
    })
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
    fn syntax_errors_say_where() {
        let e = parse::<Body>(b"{\"items\": [").unwrap_err();
        assert!(e.to_string().contains("malformed JSON"), "{e}");
        assert_eq!(e.field(), None);
    }
}
