//! One mapping from failures to HTTP. API handlers return [`AppError`],
//! rendered as `{"error": {"code", "message", "field"}}` with a stable code;
//! staff and public pages wrap it in [`PageError`] to render the same
//! failure as a kind HTML page. 5xx bodies are opaque; the cause is logged
//! once, here.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cxloop_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request is malformed or a value is invalid; `field` names it.
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict { field: Option<String>, message: String },
    #[error("the request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The storage cannot take the request now (disk full, database down):
    /// nothing was written; the client may retry. Logged by the store once
    /// per change of state, not per request.
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
    /// Too many attempts from one client or for one account; retry after the seconds given.
    #[error("too many attempts; try again in {retry_after} seconds")]
    TooMany { retry_after: u64 },
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid { field: Some(field.into()), message: message.into() }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid { .. } => "invalid",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Conflict { .. } => "conflict",
            AppError::TooLarge { .. } => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Unavailable(_) => "unavailable",
            AppError::TooMany { .. } => "too_many_requests",
            AppError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } | AppError::Conflict { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The message shown to the client (opaque for 5xx).
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => "internal error; the cause has been logged".into(),
            AppError::Unavailable(_) => {
                "storage is unavailable right now and nothing was saved; try again shortly".into()
            }
            other => other.to_string(),
        }
    }

    /// Seconds a client should wait before trying again, for 429 and 503.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooMany { retry_after } => Some(*retry_after),
            AppError::Unavailable(_) => Some(5),
            _ => None,
        }
    }

    fn log(&self) {
        match self {
            AppError::Internal(cause) => tracing::error!(%cause, "request failed"),
            AppError::Unavailable(cause) => tracing::debug!(%cause, "request refused: storage unavailable"),
            _ => {}
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound("record"),
            StoreError::Conflict { what } => {
                AppError::Conflict { field: Some(what.to_string()), message: format!("{what} already exists") }
            }
            StoreError::Unavailable(cause) => AppError::Unavailable(cause),
            StoreError::Other(cause) => AppError::Internal(cause),
        }
    }
}

/// The one JSON shape of every API failure.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable code (`invalid`, `not_found`, …).
    pub code: String,
    pub message: String,
    /// The field at fault, as a path (`answers.nps`, `questions[0].type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.public_message(),
                field: self.field().map(str::to_string),
            },
        };
        let mut resp = (self.status(), axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after() {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        if matches!(self, AppError::Unauthorized) {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"cxloop\""),
            );
        }
        resp
    }
}

/// The same failure, rendered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        e.log();
        let (title, text) = match &e {
            AppError::NotFound(_) => {
                ("Not found", "We could not find that page. It may have moved or been removed.".to_string())
            }
            AppError::Internal(_) => (
                "Something went wrong",
                "Sorry, something went wrong on our side. Please try again in a moment.".to_string(),
            ),
            AppError::Unauthorized => ("Please sign in", "You need to sign in to see this page.".to_string()),
            AppError::Unavailable(_) => (
                "Not saved",
                "We cannot save anything right now, so nothing was saved. Please try again in a few minutes."
                    .to_string(),
            ),
            other => ("That did not work", other.public_message()),
        };
        let mut resp = (e.status(), crate::ui::layout::message_page(title, &text)).into_response();
        if let Some(secs) = e.retry_after() {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        resp
    }
}
