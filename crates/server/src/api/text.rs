//! Text analytics endpoints: the versioned theme taxonomy (read, replace,
//! add a theme from an emerging phrase), emerging phrases of a survey, and
//! the comment explorer.

use crate::kernel::report::{RangeOut, RangeQuery};
use crate::kernel::surveys::load_survey;
use crate::kernel::textwork::{CommentsQuery, add_theme_from_phrase, parse_version};
use crate::platform::auth::{Api, can};
use crate::platform::error::AppError;
use crate::platform::json::ApiJson;
use crate::platform::query::ApiQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cxloop_store::StoreError;
use cxloop_text::{Taxonomy, Theme};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    pub version: Option<String>,
}

pub async fn get_taxonomy(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> Result<Json<TaxonomyAnswer>, AppError> {
    let store = state.store.as_ref();
    let (current, _) = crate::kernel::textwork::current_taxonomy(store).await?;
    let v = match parse_version(q.version.as_deref())? {
        None => current,
        Some(n) => store.taxonomy(n).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("taxonomy version"),
            other => other.into(),
        })?,
    };
    let versions = store
        .taxonomy_versions()
        .await?
        .into_iter()
        .map(|v| VersionInfo { version: v.version, note: v.note, created_by: v.created_by, created_at: v.created_at })
        .collect();
    Ok(Json(TaxonomyAnswer {
        version: v.version,
        note: v.note,
        created_by: v.created_by,
        taxonomy: v.taxonomy,
        versions,
    }))
}

/// A taxonomy version with the list of every version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaxonomyAnswer {
    pub version: u32,
    pub note: Option<String>,
    pub created_by: Option<String>,
    /// `{"themes": [Theme, …]}`.
    #[schema(value_type = Object)]
    pub taxonomy: Value,
    pub versions: Vec<VersionInfo>,
}

/// One saved version of the taxonomy.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionInfo {
    pub version: u32,
    pub note: Option<String>,
    pub created_by: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: time::OffsetDateTime,
}

/// A saved taxonomy version and the job re-tagging every comment under it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaxonomySaved {
    pub version: u32,
    pub retag_job: cxloop_core::ids::JobId,
}

/// A theme made from a phrase, saved as a new taxonomy version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThemeAdded {
    pub version: u32,
    pub retag_job: cxloop_core::ids::JobId,
    /// The new theme (a `Theme`).
    #[schema(value_type = Object)]
    pub theme: Theme,
}

/// Phrases comments mention that no theme covers, this period against the last.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmergingAnswer {
    pub taxonomy_version: u32,
    pub range: RangeOut,
    pub previous: RangeOut,
    /// Uncovered comments the counts are of, in the range and the one before.
    pub comments_counted: u64,
    pub previous_comments_counted: u64,
    /// True when a period had more than 20,000 uncovered comments: only its
    /// newest 20,000 were counted.
    pub capped: bool,
    pub phrases: Vec<crate::kernel::themes_report::Emerging>,
}

/// Comments found, newest first, with the taxonomy version their themes are from.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommentPage {
    pub taxonomy_version: u32,
    pub comments: Vec<cxloop_store::AnalysedComment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PutTaxonomy {
    pub themes: Vec<Theme>,
    #[serde(default)]
    pub note: Option<String>,
}

pub async fn put_taxonomy(
    State(state): State<AppState>,
    Api(user, _): Api<can::ManageTaxonomy>,
    ApiJson(req): ApiJson<PutTaxonomy>,
) -> Result<(StatusCode, Json<TaxonomySaved>), AppError> {
    let tax = Taxonomy { themes: req.themes };
    let (v, job) =
        crate::kernel::textwork::save_taxonomy(state.store.as_ref(), &tax, req.note.as_deref(), Some(&user.email))
            .await?;
    Ok((StatusCode::CREATED, Json(TaxonomySaved { version: v.version, retag_job: job })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddTheme {
    pub phrase: String,
    #[serde(default)]
    pub name: Option<String>,
}

pub async fn post_theme(
    State(state): State<AppState>,
    Api(user, _): Api<can::ManageTaxonomy>,
    ApiJson(req): ApiJson<AddTheme>,
) -> Result<(StatusCode, Json<ThemeAdded>), AppError> {
    let (version, job, theme) = add_theme_from_phrase(&state, &user.email, &req.phrase, req.name.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(ThemeAdded { version, retag_job: job, theme })))
}

pub async fn get_emerging(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<EmergingAnswer>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let (range, _) = q.resolve()?;
    let e = crate::kernel::themes_report::emerging(&state, &survey, range, 20).await?;
    Ok(Json(EmergingAnswer {
        taxonomy_version: e.version,
        range: RangeOut::from(range),
        previous: RangeOut::from(range.previous()),
        comments_counted: e.counted,
        previous_comments_counted: e.previous_counted,
        capped: e.capped,
        phrases: e.phrases,
    }))
}

pub async fn get_comments(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    ApiQuery(q): ApiQuery<CommentsQuery>,
) -> Result<Json<CommentPage>, AppError> {
    let f = q.filter(&state).await?;
    let comments = state.store.search_comments(&f).await?;
    Ok(Json(CommentPage { taxonomy_version: f.version, comments }))
}
