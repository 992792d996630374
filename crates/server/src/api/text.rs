//! Text analytics endpoints: the versioned theme taxonomy (read, replace,
//! add a theme from an emerging phrase), emerging phrases of a survey, and
//! the comment explorer.

use crate::kernel::report::RangeQuery;
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
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    pub version: Option<String>,
}

pub async fn get_taxonomy(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> Result<Json<Value>, AppError> {
    let store = state.store.as_ref();
    let (current, _) = crate::kernel::textwork::current_taxonomy(store).await?;
    let v = match parse_version(q.version.as_deref())? {
        None => current,
        Some(n) => store.taxonomy(n).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound("taxonomy version"),
            other => other.into(),
        })?,
    };
    let versions: Vec<Value> = store
        .taxonomy_versions()
        .await?
        .into_iter()
        .map(|v| json!({"version": v.version, "note": v.note, "created_by": v.created_by, "created_at": v.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()}))
        .collect();
    Ok(Json(json!({
        "version": v.version,
        "note": v.note,
        "created_by": v.created_by,
        "taxonomy": v.taxonomy,
        "versions": versions,
    })))
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
) -> Result<(StatusCode, Json<Value>), AppError> {
    let tax = Taxonomy { themes: req.themes };
    let (v, job) =
        crate::kernel::textwork::save_taxonomy(state.store.as_ref(), &tax, req.note.as_deref(), Some(&user.email))
            .await?;
    Ok((StatusCode::CREATED, Json(json!({"version": v.version, "retag_job": job}))))
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
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (version, job, theme) = add_theme_from_phrase(&state, &user.email, &req.phrase, req.name.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(json!({"version": version, "retag_job": job, "theme": theme}))))
}

pub async fn get_emerging(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<RangeQuery>,
) -> Result<Json<Value>, AppError> {
    let survey = load_survey(&state, &id).await?;
    let (range, _) = q.resolve()?;
    let (version, phrases) = crate::kernel::themes_report::emerging(&state, &survey, range, 20).await?;
    Ok(Json(
        json!({"taxonomy_version": version, "range": crate::kernel::report::RangeOut::from(range), "previous": crate::kernel::report::RangeOut::from(range.previous()), "phrases": phrases}),
    ))
}

pub async fn get_comments(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    ApiQuery(q): ApiQuery<CommentsQuery>,
) -> Result<Json<Value>, AppError> {
    let f = q.filter(&state).await?;
    let comments = state.store.search_comments(&f).await?;
    Ok(Json(json!({"taxonomy_version": f.version, "comments": comments})))
}
