//! Importing feedback gathered elsewhere in the browser: choose the survey
//! and the source, upload a CSV or JSON file, see how its columns map (and
//! change it), every problem by line or item and column and the first
//! items, then import — all or nothing, or only the valid ones.

use super::service::{FeedbackPlan, Format, TARGETS, apply, plan, suggested_mapping};
use crate::platform::auth::{Staff, WebUser, can};
use crate::platform::error::{AppError, PageError};
use crate::platform::form::StaffForm;
use crate::state::AppState;
use crate::ui::components::{column_mapping, error_summary, import_actions, row_problems};
use crate::ui::layout::{datetime, page};
use crate::ui::paths;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cxloop_core::{QuestionType, Survey};
use maud::{Markup, html};
use std::collections::HashMap;

const MAX_FILE: usize = 200 * 1024;
const TITLE: &str = "Import feedback";
const SOURCES: &[&str] = &["app-store", "product-review", "interview", "focus-group", "social", "support-chat"];

/// Surveys that can hold imported feedback (they have a free-text question).
async fn targets(state: &AppState) -> Result<Vec<Survey>, AppError> {
    Ok(state
        .store
        .list_surveys()
        .await?
        .into_iter()
        .map(|s| s.survey)
        .filter(|s| s.questions.iter().any(|q| q.kind == QuestionType::Text))
        .collect())
}

fn upload_form(user: &WebUser, surveys: &[Survey], error: Option<&str>) -> Markup {
    html! {
        h1 { (TITLE) }
        p.muted { "Reviews, interview and focus-group notes, social posts: each row (or JSON object) becomes a response of the survey you choose, marked by its source, so it counts in the same KPIs and text analytics. Columns map by name to text, date, rating, customer, author, touchpoint and source_id; you can change the mapping next." }
        @if let Some(e) = error { (error_summary(e)) }
        @if surveys.is_empty() {
            p { "No survey has a free-text question yet. " a href=(paths::SURVEY_NEW) { "Create one" } " (a rating and a text question make a good home for reviews)." }
        } @else {
            form.stack method="post" action=(paths::FEEDBACK_IMPORT) enctype="multipart/form-data" {
                input type="hidden" name="_csrf" value=(user.csrf);
                div { label for="survey" { "Into survey" }
                    select #survey name="survey" required { @for s in surveys { option value=(s.id) { (s.title) } } }
                }
                div { label for="source" { "Source (a–z, 0–9 and -)" }
                    input #source type="text" name="source" list="sources" required pattern="[a-z0-9-]{1,40}";
                    datalist #sources { @for s in SOURCES { option value=(s); } }
                }
                div { label for="file" { "CSV with a header row, or a JSON array of objects (up to 200 KB here; use cxloop import feedback for bigger files)" }
                    input #file type="file" name="file" accept=".csv,.json,text/csv,application/json" required;
                }
                button.btn type="submit" { "Preview" }
            }
        }
    }
}

fn preview(
    user: &WebUser,
    survey: &Survey,
    source: &str,
    format: Format,
    file: &str,
    p: &FeedbackPlan,
    done: Option<String>,
) -> Markup {
    html! {
        h1 { (TITLE) }
        @if let Some(d) = done { p.note role="status" { (d) } }
        p { "Into " strong { (survey.title) } " as " strong { (source) } ": " (p.rows) " rows, " strong { (p.items.len()) } " valid, " strong { (p.errors.len()) } " with problems."
            @if !p.already_imported.is_empty() { " " (p.already_imported.len()) " were imported before (same source and id) and are left out." } }
        (row_problems(&p.errors))
        form.stack method="post" action=(paths::FEEDBACK_IMPORT_CONFIRM) {
            input type="hidden" name="_csrf" value=(user.csrf);
            input type="hidden" name="survey" value=(survey.id);
            input type="hidden" name="source" value=(source);
            input type="hidden" name="format" value=(if format == Format::Json { "json" } else { "csv" });
            textarea name="file" hidden { (file) }
            (column_mapping(&p.mapping, TARGETS))
            @if !p.items.is_empty() {
                h2 { "First items" }
                table {
                    thead { tr { th { "Line" } th { "Date" } th { "Rating" } th { "Text" } th { "Customer" } } }
                    tbody {
                        @for (line, r) in p.items.iter().take(10) {
                            tr {
                                td { (line) }
                                td { (datetime(r.submitted_at)) }
                                td.num { @if let Some(q) = survey.headline_question() { @if let Some(v) = r.answers.get(&q.key) { (v.display()) } } }
                                td { @for v in r.answers.values().filter(|v| matches!(v, cxloop_core::AnswerValue::Text(_))) { (v.display()) } }
                                td.mono { (r.customer.as_ref().map_or("", |c| c.external_id.as_str())) }
                            }
                        }
                    }
                }
            }
            (import_actions())
        }
    }
}

pub async fn import_page(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ManageSurveys>,
) -> Result<Markup, PageError> {
    let surveys = targets(&state).await?;
    Ok(page(TITLE, &user, "/surveys", upload_form(&user, &surveys, None)))
}

/// The chosen survey among those that can hold feedback.
fn find_target(surveys: &[Survey], id: &str) -> Result<Survey, AppError> {
    let id: cxloop_core::ids::SurveyId = id.parse().map_err(|_| AppError::invalid("survey", "choose a survey"))?;
    surveys
        .iter()
        .find(|s| s.id == id)
        .cloned()
        .ok_or_else(|| AppError::invalid("survey", "choose a survey with a free-text question"))
}

pub async fn upload(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ManageSurveys>,
    form: Multipart,
) -> Result<Response, PageError> {
    let up = crate::platform::form::read_upload(&user, form, "file").await?;
    let (survey, source) = (up.get("survey").to_string(), up.get("source").to_string());
    let (name, file) = match up.file {
        Some((n, b)) => (n, Some(b)),
        None => (String::new(), None),
    };
    let surveys = targets(&state).await?;
    let fail = |msg: &str| {
        (StatusCode::UNPROCESSABLE_ENTITY, page(TITLE, &user, "/surveys", upload_form(&user, &surveys, Some(msg))))
            .into_response()
    };
    let target = match find_target(&surveys, &survey) {
        Ok(t) => t,
        Err(e) => return Ok(fail(&e.public_message())),
    };
    let Some(bytes) = file.filter(|b| !b.is_empty()) else { return Ok(fail("choose a CSV or JSON file")) };
    if bytes.len() > MAX_FILE {
        return Ok(fail("the file is larger than 200 KB; use cxloop import feedback"));
    }
    let format = Format::guess(&name);
    let result = suggested_mapping(&bytes, format)
        .and_then(|m| plan(&bytes, format, &target, &source, &m, time::OffsetDateTime::now_utc()));
    match result {
        Ok(mut p) => {
            super::service::skip_imported(state.store.as_ref(), &target, &mut p).await.map_err(AppError::from)?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let source = source.trim().to_lowercase();
            Ok(page(TITLE, &user, "/surveys", preview(&user, &target, &source, format, &text, &p, None))
                .into_response())
        }
        Err(e) => Ok(fail(&e.0)),
    }
}

pub async fn confirm(
    State(state): State<AppState>,
    // Untyped: the column mapping is fields `h{i}`/`t{i}`, one pair per column of the file.
    StaffForm(user, form, _): StaffForm<can::ManageSurveys>,
) -> Result<Response, PageError> {
    let target = find_target(&targets(&state).await?, form.get("survey"))?;
    let (source, file) = (form.get("source"), form.get("file"));
    let format = if form.get("format") == "json" { Format::Json } else { Format::Csv };
    let mut explicit = HashMap::new();
    for i in 0..200 {
        let h = form.get(&format!("h{i}"));
        if h.is_empty() {
            break;
        }
        explicit.insert(h.to_string(), form.get(&format!("t{i}")).to_string());
    }
    let mut p = match plan(file.as_bytes(), format, &target, source, &explicit, time::OffsetDateTime::now_utc()) {
        Ok(p) => p,
        Err(e) => {
            let surveys = targets(&state).await?;
            let body = upload_form(&user, &surveys, Some(&e.0));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page(TITLE, &user, "/surveys", body)).into_response());
        }
    };
    super::service::skip_imported(state.store.as_ref(), &target, &mut p).await.map_err(AppError::from)?;
    let show =
        |done: Option<String>| page(TITLE, &user, "/surveys", preview(&user, &target, source, format, file, &p, done));
    if form.get("action") != "import" {
        return Ok(show(None).into_response());
    }
    let all_or_nothing = form.has("all_or_nothing");
    if all_or_nothing && !p.errors.is_empty() {
        let msg = format!("Nothing was imported: {} rows have problems (all or nothing).", p.errors.len());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, show(Some(msg))).into_response());
    }
    let n = apply(&state, &p, all_or_nothing, false).await?;
    let body = html! {
        h1 { (TITLE) }
        p.note role="status" { "Imported " (n) " of " (p.rows) " rows into " strong { (target.title) } " as " strong { (source) } "." @if !p.errors.is_empty() { " " (p.errors.len()) " rows with problems were left out." } }
        p { a href=(paths::survey(target.id)) { "See the survey" } " · " a href=(paths::FEEDBACK_IMPORT) { "Import another file" } }
    };
    Ok(page(TITLE, &user, "/surveys", body).into_response())
}
