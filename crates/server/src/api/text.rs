//! Text analytics endpoints: the versioned theme taxonomy (read, replace,
//! add a theme from an emerging phrase), emerging phrases of a survey, and
//! the comment explorer.

use crate::AppState;
use crate::auth::{Api, can};
use crate::error::AppError;
use crate::json::ApiJson;
use crate::kernel::surveys::load_survey;
use crate::query::ApiQuery;
use crate::report::RangeQuery;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use cxloop_store::{CommentFilter, StoreError, TimeWindow};
use cxloop_text::{Taxonomy, Theme};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Default, Deserialize)]
pub struct VersionQuery {
    pub version: Option<String>,
}

fn parse_version(v: Option<&str>) -> Result<Option<u32>, AppError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| AppError::invalid("version", "version must be a whole number")),
    }
}

pub async fn get_taxonomy(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> Result<Json<Value>, AppError> {
    let store = state.store.as_ref();
    let (current, _) = crate::textwork::current_taxonomy(store).await?;
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
        crate::textwork::save_taxonomy(state.store.as_ref(), &tax, req.note.as_deref(), Some(&user.email)).await?;
    Ok((StatusCode::CREATED, Json(json!({"version": v.version, "retag_job": job}))))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddTheme {
    pub phrase: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// Adds a theme made from a phrase as a new taxonomy version.
pub async fn add_theme_from_phrase(
    state: &AppState,
    by: &str,
    phrase: &str,
    name: Option<&str>,
) -> Result<(u32, uuid::Uuid, Theme), AppError> {
    let (_, mut tax) = crate::textwork::current_taxonomy(state.store.as_ref()).await?;
    let theme = crate::themes_report::theme_from_phrase(&tax, phrase, name)?;
    tax.themes.push(theme.clone());
    let note = format!("added theme {:?} from an emerging phrase", theme.name);
    let (v, job) = crate::textwork::save_taxonomy(state.store.as_ref(), &tax, Some(&note), Some(by)).await?;
    Ok((v.version, job, theme))
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
    let (version, phrases) = crate::themes_report::emerging(&state, &survey, range, 20).await?;
    Ok(Json(
        json!({"taxonomy_version": version, "range": crate::report::RangeOut::from(range), "previous": crate::report::RangeOut::from(range.previous()), "phrases": phrases}),
    ))
}

#[derive(Debug, Default, Deserialize)]
pub struct CommentsQuery {
    pub survey_id: Option<String>,
    pub theme: Option<String>,
    pub label: Option<String>,
    pub min_score: Option<String>,
    pub max_score: Option<String>,
    pub q: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub version: Option<String>,
    pub limit: Option<String>,
    pub channel: Option<String>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl CommentsQuery {
    /// The store filter, with every bad value named.
    pub async fn filter(&self, state: &AppState) -> Result<CommentFilter, AppError> {
        let survey_id = blank(&self.survey_id)
            .map(|s| {
                uuid::Uuid::parse_str(s).map_err(|_| AppError::invalid("survey_id", "survey_id is not a survey id"))
            })
            .transpose()?;
        let label = blank(&self.label).map(str::to_string);
        if let Some(l) = &label
            && !["positive", "neutral", "negative", "not_analysed"].contains(&l.as_str())
        {
            return Err(AppError::invalid("label", "label must be positive, neutral, negative or not_analysed"));
        }
        let score = |s: &Option<String>, f: &'static str| {
            blank(s)
                .map(|v| v.parse::<i32>().map_err(|_| AppError::invalid(f, format!("{f} must be a whole number"))))
                .transpose()
        };
        let limit = match blank(&self.limit) {
            None => 100,
            Some(l) => l
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| AppError::invalid("limit", "limit must be 1–500"))?,
        };
        let version = match parse_version(self.version.as_deref())? {
            Some(v) => v,
            None => crate::textwork::current_taxonomy(state.store.as_ref()).await?.0.version,
        };
        let day = |s: &Option<String>, f: &'static str| {
            blank(s)
                .map(|v| cxloop_core::period::parse_date(v, f).map_err(|e| AppError::invalid(f, e.to_string())))
                .transpose()
        };
        let window = TimeWindow {
            from: day(&self.from, "from")?.map(|d| d.midnight().assume_utc()),
            to: day(&self.to, "to")?.map(cxloop_core::period::end_of),
        };
        let contains = blank(&self.q).map(str::to_string);
        if contains.as_ref().is_some_and(|c| c.chars().count() > 200) {
            return Err(AppError::invalid("q", "search text is longer than 200 characters"));
        }
        Ok(CommentFilter {
            survey_id,
            window,
            theme: blank(&self.theme).map(str::to_string),
            version,
            label,
            min_score: score(&self.min_score, "min_score")?,
            max_score: score(&self.max_score, "max_score")?,
            contains,
            channel: blank(&self.channel).map(str::to_string),
            limit,
        })
    }
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
