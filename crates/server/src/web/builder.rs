//! The survey builder: create and edit surveys with plain forms (no
//! JavaScript needed). Each question is a row; "Add question" re-renders
//! with another blank row and keeps everything typed; errors name the row.

use crate::kernel::surveys::load_survey;
use crate::kernel::surveys::{UpdateSurveyRequest, apply_update, create};
use crate::platform::auth::{Staff, WebUser, can};
use crate::platform::error::{AppError, PageError};
use crate::platform::form::FormData;
use crate::platform::form::StaffForm;
use crate::platform::query::PageQuery;
use crate::state::AppState;
use crate::ui::layout::{Confirm, Confirmation, page};
use crate::ui::paths;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_core::{Question, QuestionType, SurveySpec, SurveyStatus};
use maud::{Markup, html};
use serde::Deserialize;

/// What the form holds, as typed.
#[derive(Debug, Clone, Default)]
struct Draft {
    title: String,
    description: String,
    touchpoint: String,
    thank_you: String,
    status: String,
    rows: Vec<Row>,
}

#[derive(Debug, Clone, Default)]
struct Row {
    key: String,
    kind: String,
    text: String,
    required: bool,
    options: String,
    min: String,
    max: String,
    min_label: String,
    max_label: String,
    locked: bool,
}

impl Row {
    fn blank() -> Row {
        Row { kind: "nps".into(), ..Default::default() }
    }

    fn from_question(q: &Question, locked: bool) -> Row {
        Row {
            key: q.key.clone(),
            kind: q.kind.as_str().into(),
            text: q.text.clone(),
            required: q.required,
            options: q.options.join("\n"),
            min: q.min.map(|v| v.to_string()).unwrap_or_default(),
            max: q.max.map(|v| v.to_string()).unwrap_or_default(),
            min_label: q.min_label.clone().unwrap_or_default(),
            max_label: q.max_label.clone().unwrap_or_default(),
            locked,
        }
    }

    fn is_blank(&self) -> bool {
        self.key.trim().is_empty() && self.text.trim().is_empty()
    }
}

fn template(name: &str) -> Draft {
    let q = |key: &str, kind: &str, text: &str, required: bool| Row {
        key: key.into(),
        kind: kind.into(),
        text: text.into(),
        required,
        ..Default::default()
    };
    let (title, rows) = match name {
        "nps" => (
            "Relationship NPS",
            vec![
                q("nps", "nps", "How likely are you to recommend us to a friend or colleague?", true),
                q("reason", "text", "What is the main reason for your score?", false),
            ],
        ),
        "csat" => (
            "Support satisfaction",
            vec![
                q("csat", "csat", "How satisfied are you with the support you received?", true),
                q("comment", "text", "What could we have done better?", false),
            ],
        ),
        "ces" => (
            "Onboarding effort",
            vec![
                q("ces", "ces", "How easy was it to get started with us?", true),
                q("comment", "text", "What made it easy or hard?", false),
            ],
        ),
        _ => ("", vec![Row::blank()]),
    };
    Draft { title: title.into(), status: "draft".into(), rows, ..Default::default() }
}

fn read_draft(form: &FormData) -> Draft {
    let rows = form.get("rows").parse::<usize>().unwrap_or(0).min(100);
    let mut out = Draft {
        title: form.get("title").into(),
        description: form.get("description").into(),
        touchpoint: form.get("touchpoint").into(),
        thank_you: form.get("thank_you").into(),
        status: form.get("status").into(),
        rows: Vec::new(),
    };
    for i in 0..rows {
        if form.has(&format!("q{i}_remove")) {
            continue;
        }
        let f = |name: &str| form.get(&format!("q{i}_{name}")).to_string();
        out.rows.push(Row {
            key: f("key"),
            kind: f("type"),
            text: f("text"),
            required: form.has(&format!("q{i}_required")),
            options: f("options"),
            min: f("min"),
            max: f("max"),
            min_label: f("min_label"),
            max_label: f("max_label"),
            locked: form.has(&format!("q{i}_locked")),
        });
    }
    out
}

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// Turns the typed rows into questions; blank rows are skipped and a
/// missing key is derived from the type. Errors name the row.
fn to_spec(d: &Draft) -> Result<SurveySpec, AppError> {
    let mut questions: Vec<Question> = Vec::new();
    for (i, r) in d.rows.iter().enumerate().filter(|(_, r)| !r.is_blank()) {
        let kind: QuestionType = r.kind.parse().map_err(|_| {
            AppError::invalid(format!("questions[{i}].type"), format!("question {}: choose a question type", i + 1))
        })?;
        let mut key = r.key.trim().to_lowercase();
        if key.is_empty() {
            key = kind.as_str().to_string();
            let mut n = 2;
            while questions.iter().any(|q| q.key == key) || d.rows.iter().any(|o| o.key.trim() == key) {
                key = format!("{}_{n}", kind.as_str());
                n += 1;
            }
        }
        let int = |s: &str, field: &str| -> Result<Option<i32>, AppError> {
            opt(s)
                .map(|v| {
                    v.parse::<i32>().map_err(|_| {
                        AppError::invalid(
                            format!("questions[{i}].{field}"),
                            format!("question {}: {field} must be a whole number", i + 1),
                        )
                    })
                })
                .transpose()
        };
        questions.push(Question {
            key,
            kind,
            text: r.text.clone(),
            required: r.required,
            options: r.options.lines().map(str::to_string).collect(),
            min: int(&r.min, "min")?,
            max: int(&r.max, "max")?,
            min_label: opt(&r.min_label),
            max_label: opt(&r.max_label),
        });
    }
    Ok(SurveySpec {
        title: d.title.clone(),
        description: opt(&d.description),
        touchpoint: opt(&d.touchpoint),
        thank_you: opt(&d.thank_you),
        questions,
    })
}

fn row_markup(i: usize, r: &Row, error_row: Option<usize>) -> Markup {
    let p = |name: &str| format!("q{i}_{name}");
    html! {
        fieldset.question-row #(format!("row-{i}")) style=[(error_row == Some(i)).then_some("border:2px solid #b3261e")] {
            legend { "Question " (i + 1) }
            div.cols {
                label { "Question text" input.wide type="text" name=(p("text")) value=(r.text); }
                label { "Type"
                    select name=(p("type")) disabled[r.locked] {
                        @for t in QuestionType::ALL { option value=(t.as_str()) selected[r.kind == t.as_str()] { (t.label()) } }
                    }
                }
                @if r.locked { input type="hidden" name=(p("type")) value=(r.kind); input type="hidden" name=(p("locked")) value="1"; }
                label { "Key (for exports and the API)" input type="text" name=(p("key")) value=(r.key) placeholder="derived from the type" readonly[r.locked]; }
                label { span { input type="checkbox" name=(p("required")) checked[r.required]; " Required" } }
            }
            details open[!r.options.is_empty() || !r.min.is_empty() || !r.min_label.is_empty()] {
                summary { "Options and scale" }
                div.cols {
                    label { "Choices, one per line (choice questions)" textarea name=(p("options")) rows="3" { (r.options) } }
                    label { "Scale from (rating)" input type="number" name=(p("min")) value=(r.min) readonly[r.locked]; }
                    label { "Scale to (rating)" input type="number" name=(p("max")) value=(r.max) readonly[r.locked]; }
                    label { "Low-end label" input type="text" name=(p("min_label")) value=(r.min_label); }
                    label { "High-end label" input type="text" name=(p("max_label")) value=(r.max_label); }
                }
            }
            @if !r.locked { label { input type="checkbox" name=(p("remove")); " Remove this question" } }
        }
    }
}

fn form_markup(
    user: &WebUser,
    action: &str,
    d: &Draft,
    error: Option<&AppError>,
    is_new: bool,
    has_responses: bool,
) -> Markup {
    let error_row = error
        .and_then(|e| e.field())
        .and_then(|f| f.strip_prefix("questions["))
        .and_then(|f| f.split(']').next())
        .and_then(|n| n.parse().ok());
    html! {
        @if let Some(e) = error {
            div.error-summary role="alert" {
                p.field-error { (e.public_message()) }
                @if let Some(i) = error_row { p { a href=(format!("#row-{i}")) { "Go to question " (i + 1usize) } } }
            }
        }
        @if is_new {
            p.muted { "Start from a template: "
                a href=(paths::with_query(paths::SURVEY_NEW.into(), &[("template", "nps")])) { "NPS" } " · "
                a href=(paths::with_query(paths::SURVEY_NEW.into(), &[("template", "csat")])) { "CSAT" } " · "
                a href=(paths::with_query(paths::SURVEY_NEW.into(), &[("template", "ces")])) { "CES" } " · "
                a href=(paths::SURVEY_NEW) { "blank" }
            }
        }
        @if has_responses {
            p.muted { "This survey has responses: existing questions keep their key, type and scale and cannot be removed. You can reword them, add options and add questions." }
        }
        form.stack method="post" action=(action) {
            input type="hidden" name="_csrf" value=(user.csrf);
            input type="hidden" name="rows" value=(d.rows.len());
            div { label for="title" { "Title" } input #title type="text" name="title" value=(d.title) required; }
            div { label for="description" { "Introduction shown to respondents (optional)" } textarea #description name="description" rows="2" { (d.description) } }
            div { label for="touchpoint" { "Touchpoint (optional), e.g. support ticket, onboarding call" } input #touchpoint type="text" name="touchpoint" value=(d.touchpoint); }
            div { label for="thank_you" { "Thank-you message (optional)" } input #thank_you type="text" name="thank_you" value=(d.thank_you); }
            @if is_new {
                div { label for="status" { "Status" }
                    select #status name="status" {
                        option value="draft" selected[d.status != "active"] { "Draft (not yet open)" }
                        option value="active" selected[d.status == "active"] { "Active (accepting responses)" }
                    }
                }
            }
            h2 { "Questions" }
            @for (i, r) in d.rows.iter().enumerate() { (row_markup(i, r, error_row)) }
            div.actions {
                button.btn type="submit" name="action" value="save" { "Save survey" }
                // Adding a row only re-renders the form: the browser's
                // required-field check (an empty title) must not block it.
                button.btn.secondary type="submit" name="action" value="add" formnovalidate { "Add question" }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct TemplateQuery {
    pub template: Option<String>,
}

pub async fn new_survey(Staff(user, _): Staff<can::ManageSurveys>, PageQuery(q): PageQuery<TemplateQuery>) -> Markup {
    let d = template(q.template.as_deref().unwrap_or(""));
    page(
        "New survey",
        &user,
        "/surveys",
        html! { h1 { "New survey" } (form_markup(&user, "/surveys/new", &d, None, true, false)) },
    )
}

pub async fn create_survey(
    State(state): State<AppState>,
    // Untyped: the question rows are fields `q{i}_…` for each row shown.
    StaffForm(user, form, _): StaffForm<can::ManageSurveys>,
) -> Result<Response, PageError> {
    let mut d = read_draft(&form);
    let render = |d: &Draft, e: Option<&AppError>, status| {
        (
            status,
            page(
                "New survey",
                &user,
                "/surveys",
                html! { h1 { "New survey" } (form_markup(&user, "/surveys/new", d, e, true, false)) },
            ),
        )
            .into_response()
    };
    if form.get("action") == "add" {
        d.rows.push(Row::blank());
        return Ok(render(&d, None, StatusCode::OK));
    }
    let status = if d.status == "active" { SurveyStatus::Active } else { SurveyStatus::Draft };
    let result = match to_spec(&d) {
        Ok(spec) => create(&state, spec, status, None).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(s) => Ok(Redirect::to(&paths::survey(s.id)).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            Ok(render(&d, Some(&e), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(PageError(e)),
    }
}

pub async fn edit_survey(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ManageSurveys>,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let has_responses = state.store.response_count(survey.id).await? > 0;
    let d = Draft {
        title: survey.title.clone(),
        description: survey.description.clone().unwrap_or_default(),
        touchpoint: survey.touchpoint.clone().unwrap_or_default(),
        thank_you: survey.thank_you.clone().unwrap_or_default(),
        status: survey.status.as_str().into(),
        rows: survey.questions.iter().map(|q| Row::from_question(q, has_responses)).collect(),
    };
    let action = paths::survey_edit(survey.id);
    Ok(page(
        "Edit survey",
        &user,
        "/surveys",
        html! { h1 { "Edit: " (survey.title) } (form_markup(&user, &action, &d, None, false, has_responses)) },
    ))
}

pub async fn update_survey(
    State(state): State<AppState>,
    Path(id): Path<String>,
    // Untyped: the question rows are fields `q{i}_…` for each row shown.
    StaffForm(user, form, _): StaffForm<can::ManageSurveys>,
) -> Result<Response, PageError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let has_responses = state.store.response_count(survey.id).await? > 0;
    let mut d = read_draft(&form);
    let action = paths::survey_edit(survey.id);
    let render = |d: &Draft, e: Option<&AppError>, status| {
        (
            status,
            page(
                "Edit survey",
                &user,
                "/surveys",
                html! { h1 { "Edit: " (survey.title) } (form_markup(&user, &action, d, e, false, has_responses)) },
            ),
        )
            .into_response()
    };
    if form.get("action") == "add" {
        d.rows.push(Row::blank());
        return Ok(render(&d, None, StatusCode::OK));
    }
    let result = match to_spec(&d) {
        Ok(spec) => {
            let req = UpdateSurveyRequest {
                title: Some(spec.title),
                description: Some(spec.description.unwrap_or_default()),
                touchpoint: Some(spec.touchpoint.unwrap_or_default()),
                thank_you: Some(spec.thank_you.unwrap_or_default()),
                status: None,
                questions: Some(spec.questions),
            };
            apply_update(state.store.as_ref(), survey.clone(), req).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(s) => Ok(Redirect::to(&paths::survey(s.id)).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            Ok(render(&d, Some(&e), StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(PageError(e)),
    }
}

/// A survey's new status; closing asks first ([`Confirmation`]'s `confirm`).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct StatusForm {
    status: String,
    confirm: String,
}

pub async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManageSurveys, StatusForm>,
) -> Result<Response, PageError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let status: SurveyStatus =
        form.status.parse().map_err(|e: cxloop_core::SurveyError| AppError::invalid("status", e.to_string()))?;
    if status == SurveyStatus::Closed && survey.status != SurveyStatus::Closed && !Confirmation::is_yes(&form.confirm) {
        let responses = state.store.response_count(survey.id).await?;
        let consequence = html! {
            p { "Its link, QR code, widget and invitations stop taking answers at once; people who open them are told the survey is closed." }
            p { "Its " (responses) " responses stay, and you can reopen it at any time." }
        };
        let question = format!("Close {}?", survey.title);
        let action = paths::survey_status(survey.id);
        let back = paths::survey(survey.id);
        let ask = Confirm { question: &question, consequence, action: &action, fields: &[("status", "closed")] };
        return Ok(ask.page(&user, "/surveys", "Close survey", &back).into_response());
    }
    let req = UpdateSurveyRequest { status: Some(status), ..Default::default() };
    let survey = apply_update(state.store.as_ref(), survey, req).await?;
    Ok(Redirect::to(&paths::survey(survey.id)).into_response())
}
