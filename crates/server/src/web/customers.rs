//! Customer pages: the directory filtered by a segment, one customer's
//! timeline (lifecycle events and every response with its comments), and
//! the segment editor with a live count of who matches.

use crate::kernel::segments::parse_segment;
use crate::platform::auth::{Staff, WebUser, can};
use crate::platform::error::{AppError, PageError};
use crate::platform::form::StaffForm;
use crate::platform::query::PageQuery;
use crate::state::AppState;
use crate::ui::components::error_summary;
use crate::ui::layout::{Confirm, Confirmation, datetime, page};
use crate::ui::paths;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_store::{CustomerFacts, StoreError};
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Default, Deserialize)]
pub struct DirectoryQuery {
    pub segment: Option<String>,
    pub segment_id: Option<String>,
}

fn attr(f: &CustomerFacts, k: &str) -> String {
    match f.customer.attributes.get(k) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

pub async fn directory(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
    PageQuery(q): PageQuery<DirectoryQuery>,
) -> Result<Response, PageError> {
    let segments = state.store.segments().await?;
    let defs = state.store.attribute_defs().await?;
    let expression = match (
        q.segment.as_deref().filter(|s| !s.trim().is_empty()),
        q.segment_id.as_deref().filter(|s| !s.is_empty()),
    ) {
        (Some(e), _) => Some(e.to_string()),
        (None, Some(id)) => segments.iter().find(|s| s.id.to_string() == id).map(|s| s.expression.clone()),
        _ => None,
    };
    let (expr, error) = match expression.as_deref().map(|e| parse_segment(e, &defs)) {
        Some(Ok(e)) => (Some(e), None),
        Some(Err(e)) => (None, Some(e.public_message())),
        None => (None, None),
    };
    let (customers, matched) = if error.is_some() {
        (Vec::new(), 0)
    } else {
        let (c, m) = crate::kernel::segments::matching(&state, expr.as_ref(), None, 200).await?;
        let m = if expr.is_none() { state.store.count_customers().await? } else { m };
        (c, m)
    };
    let total = state.store.count_customers().await?;
    let body = html! {
        h1 { "Customers" }
        form.stack method="get" action=(paths::CUSTOMER_DIRECTORY) aria-label="Segment" {
            div {
                label for="segment" { "Segment expression" }
                textarea #segment name="segment" rows="2" class="mono" placeholder=r#"plan in ("pro", "enterprise") and region = "EU" and last_nps <= 6"# { (expression.as_deref().unwrap_or("")) }
            }
            div.actions {
                button.btn type="submit" { "Show customers" }
                @for s in &segments { a href=(paths::customers_in(s.id)) { (s.name) } }
                a href=(paths::SEGMENT_LIST) { "Manage segments" }
                a href=(paths::IDEAL_PAGE) { "Ideal customers" }
                @if user.can(cxloop_core::access::Permission::ManageCustomers) { a href=(paths::CUSTOMER_IMPORT) { "Import CSV" } }
                @if user.can(cxloop_core::access::Permission::ExportData) { a href=(paths::CUSTOMERS_CSV) download { "Export CSV" } }
            }
        }
        @if let Some(e) = &error { (error_summary(e)) }
        p.muted {
            (matched) " of " (total) " customers match"
            @if customers.len() < matched as usize { " (showing the first " (customers.len()) ")" }
            ". Fields: external_id, name, email, stage, responses, last_nps, last_csat, last_ces, last_response_at"
            @for d in &defs { ", " (d.key) }
            "."
        }
        table {
            thead { tr { th { "Customer" } @for d in &defs { th { (d.label) } } th { "Stage" } th.num { "Responses" } th.num { "Last NPS" } } }
            tbody {
                @for f in &customers {
                    tr {
                        td { a href=(paths::customer(&f.customer.external_id)) { (f.customer.name.as_deref().unwrap_or(&f.customer.external_id)) } div.muted.mono { (f.customer.external_id) } }
                        @for d in &defs { td { (attr(f, &d.key)) } }
                        td { (f.stage.as_deref().unwrap_or("—").replace('_', " ")) }
                        td.num { (f.responses) }
                        td.num { (f.last_nps.map(|n| n.to_string()).unwrap_or_else(|| "—".into())) }
                    }
                }
            }
        }
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page("Customers", &user, "/customers", body)).into_response())
}

pub async fn customer_page(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
    Path(external_id): Path<String>,
) -> Result<Markup, PageError> {
    let c = state.store.customer_by_external_id(&external_id).await.map_err(|e| match e {
        StoreError::NotFound => PageError(AppError::NotFound("customer")),
        other => other.into(),
    })?;
    let events = state.store.customer_events(c.id).await?;
    let responses = state.store.customer_responses(c.id, 200).await?;
    let surveys: HashMap<cxloop_core::ids::SurveyId, cxloop_core::Survey> =
        state.store.list_surveys().await?.into_iter().map(|s| (s.survey.id, s.survey)).collect();
    // One timeline, newest first: lifecycle events and responses.
    enum Item<'a> {
        Event(&'a cxloop_store::CustomerEvent),
        Response(&'a cxloop_store::StoredResponse),
    }
    let mut items: Vec<(time::OffsetDateTime, Item)> = events.iter().map(|e| (e.occurred_at, Item::Event(e))).collect();
    items.extend(responses.iter().map(|r| (r.submitted_at, Item::Response(r))));
    items.sort_by_key(|i| std::cmp::Reverse(i.0));
    let title = c.name.clone().unwrap_or_else(|| c.external_id.clone());
    let body = html! {
        h1 { (title) }
        p.muted.mono { (c.external_id) @if let Some(e) = &c.email { " · " (e) } }
        @if user.can(cxloop_core::access::Permission::ManagePrivacy) {
            p { a href=(paths::customer_privacy(&c.external_id)) { "Privacy request: export or erase" } }
        }
        table.narrow {
            tbody { @for (k, v) in &c.attributes { tr { th { (k) } td { (v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())) } } } }
        }
        h2 { "Timeline" }
        @if items.is_empty() { p.muted { "Nothing yet." } }
        @for (at, item) in &items {
            @match item {
                Item::Event(e) => {
                    div.comment { strong { (e.kind.as_str().replace('_', " ")) } @if let Some(n) = &e.note { " — " (n) } div.meta { (datetime(*at)) } }
                }
                Item::Response(r) => {
                    @let survey = surveys.get(&r.survey_id);
                    blockquote.comment {
                        div { "Answered " a href=(paths::survey(r.survey_id)) { (survey.map_or("a survey", |s| s.title.as_str())) } }
                        @if let Some(s) = survey {
                            @for q in &s.questions {
                                @if let Some(a) = r.answers.get(&q.key) {
                                    div { span.muted { (q.text) " " } strong { (a.display()) } }
                                }
                            }
                        }
                        div.meta { (datetime(*at)) " · " (r.channel) }
                    }
                }
            }
        }
    };
    Ok(page(&title, &user, "/customers", body))
}

async fn render_segments(
    state: &AppState,
    user: &WebUser,
    form: Option<&SegmentForm>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let segments = state.store.segments().await?;
    let empty = SegmentForm::default();
    let form = form.unwrap_or(&empty);
    let counts: Vec<u64> = crate::kernel::segments::segment_sizes(state, &segments)
        .await?
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();

    Ok(page(
        "Segments",
        user,
        "/customers",
        html! {
            h1 { "Segments" }
            table {
                thead { tr { th { "Segment" } th { "Expression" } th.num { "Customers" } th { "" } } }
                tbody {
                    @for (s, n) in segments.iter().zip(&counts) {
                        tr {
                            td { strong { (s.name) } @if let Some(d) = &s.description { div.muted { (d) } } }
                            td.mono { (s.expression) }
                            td.num { (n) }
                            td { a href=(paths::customers_in(s.id)) { "Customers" } @if user.can(cxloop_core::access::Permission::ManageSegments) { " · " a href=(paths::segment(s.id)) { "Edit" } } }
                        }
                    }
                }
            }
            @if user.can(cxloop_core::access::Permission::ManageSegments) {
            h2 { "New segment" }
            @if let Some(e) = error { (error_summary(e)) }
            form.stack method="post" action=(paths::SEGMENT_LIST) {
                input type="hidden" name="_csrf" value=(user.csrf);
                div { label for="name" { "Name" } input #name type="text" name="name" value=(form.name) required; }
                div {
                    label for="expression" { "Expression" }
                    textarea #expression name="expression" rows="3" class="mono" required { (form.expression) }
                    p.muted { "Compare fields with = != < <= > >= contains, lists with in (\"a\", \"b\"), blanks with is empty; combine with and, or, not and parentheses. Text goes in quotes; dates as \"YYYY-MM-DD\"." }
                }
                div { label for="description" { "Description (optional)" } input #description type="text" name="description" value=(form.description); }
                button.btn type="submit" { "Save segment" }
            }
            }
        },
    ))
}

pub async fn segments_page(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
) -> Result<Markup, PageError> {
    render_segments(&state, &user, None, None).await
}

/// The new-segment and edit-segment form.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct SegmentForm {
    name: String,
    expression: String,
    description: String,
}

impl SegmentForm {
    fn of(seg: &cxloop_store::Segment) -> SegmentForm {
        SegmentForm {
            name: seg.name.clone(),
            expression: seg.expression.clone(),
            description: seg.description.clone().unwrap_or_default(),
        }
    }
}

/// A segment form's name, expression and description, checked.
async fn segment_fields(state: &AppState, form: &SegmentForm) -> Result<(String, String, Option<String>), AppError> {
    crate::kernel::segments::check_segment(state, &form.name, &form.expression, Some(&form.description)).await
}

fn name_taken(name: &str) -> impl Fn(StoreError) -> AppError + '_ {
    move |e| match e {
        StoreError::Conflict { .. } => {
            AppError::Conflict { field: Some("name".into()), message: format!("a segment named {name:?} exists") }
        }
        StoreError::NotFound => AppError::NotFound("segment"),
        other => other.into(),
    }
}

pub async fn create_segment(
    State(state): State<AppState>,
    StaffForm(user, form, _): StaffForm<can::ManageSegments, SegmentForm>,
) -> Result<Response, PageError> {
    let result = async {
        let (name, expression, description) = segment_fields(&state, &form).await?;
        state.store.create_segment(&name, &expression, description.as_deref()).await.map_err(name_taken(&name))
    }
    .await;
    crate::platform::form::form_outcome(result, "/segments", |m| async move {
        render_segments(&state, &user, Some(&form), Some(&m)).await
    })
    .await
}

async fn find_segment(state: &AppState, id: &str) -> Result<cxloop_store::Segment, AppError> {
    let id: cxloop_core::ids::SegmentId = id.parse().map_err(|_| AppError::NotFound("segment"))?;
    state.store.segment(id).await.map_err(|e| match e {
        StoreError::NotFound => AppError::NotFound("segment"),
        other => other.into(),
    })
}

async fn render_edit_segment(
    state: &AppState,
    user: &WebUser,
    seg: &cxloop_store::Segment,
    form: Option<&SegmentForm>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let form = form.cloned().unwrap_or_else(|| SegmentForm::of(seg));
    let count = crate::kernel::segments::segment_sizes(state, std::slice::from_ref(seg)).await?.pop().flatten();
    let personas: Vec<String> =
        state.store.personas().await?.into_iter().filter(|p| p.segment_id == Some(seg.id)).map(|p| p.name).collect();
    Ok(page(
        &format!("Segment: {}", seg.name),
        user,
        "/customers",
        html! {
            div.actions { h1.grow { "Segment: " (seg.name) } a.btn.secondary href=(paths::SEGMENT_LIST) { "All segments" } }
            p.muted {
                @if let Some(n) = count { a href=(paths::customers_in(seg.id)) { (n) " customers" } " match it now." }
                @if !personas.is_empty() { " Linked to the personas: " (personas.join(", ")) "." }
            }
            @if let Some(e) = error { (error_summary(e)) }
            form.stack method="post" action=(paths::segment(seg.id)) {
                input type="hidden" name="_csrf" value=(user.csrf);
                div { label for="name" { "Name" } input #name type="text" name="name" value=(form.name) required; }
                div { label for="expression" { "Expression" } textarea #expression name="expression" rows="3" class="mono" required { (form.expression) } }
                div { label for="description" { "Description (optional)" } input #description type="text" name="description" value=(form.description); }
                button.btn type="submit" { "Save changes" }
            }
            h2 { "Delete" }
            p.muted { "Personas linked to it keep their other details and show no segment." }
            form method="post" action=(paths::segment_delete(seg.id)) {
                input type="hidden" name="_csrf" value=(user.csrf);
                button.btn.danger type="submit" { "Delete this segment" }
            }
        },
    ))
}

pub async fn edit_segment(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ManageSegments>,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let seg = find_segment(&state, &id).await?;
    render_edit_segment(&state, &user, &seg, None, None).await
}

pub async fn update_segment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManageSegments, SegmentForm>,
) -> Result<Response, PageError> {
    let seg = find_segment(&state, &id).await?;
    let result = async {
        let (name, expression, description) = segment_fields(&state, &form).await?;
        state.store.update_segment(seg.id, &name, &expression, description.as_deref()).await.map_err(name_taken(&name))
    }
    .await;
    crate::platform::form::form_outcome(result, "/segments", |m| async move {
        render_edit_segment(&state, &user, &seg, Some(&form), Some(&m)).await
    })
    .await
}

pub async fn delete_segment(
    State(state): State<AppState>,
    Path(id): Path<String>,
    StaffForm(user, form, _): StaffForm<can::ManageSegments, Confirmation>,
) -> Result<Response, PageError> {
    let seg = find_segment(&state, &id).await?;
    if !form.confirmed() {
        let personas: Vec<String> = state
            .store
            .personas()
            .await?
            .into_iter()
            .filter(|p| p.segment_id == Some(seg.id))
            .map(|p| p.name)
            .collect();
        let consequence = html! {
            p { "Customers stay as they are; only this saved definition goes. Links and reports that name it will no longer find it." }
            @if !personas.is_empty() {
                p { "Personas built on it lose their live figures until given another segment: " (personas.join(", ")) "." }
            }
        };
        let question = format!("Delete the segment {}?", seg.name);
        let action = paths::segment_delete(seg.id);
        let back = paths::segment(seg.id);
        let ask = Confirm { question: &question, consequence, action: &action, fields: &[] };
        return Ok(ask.page(&user, "/customers", "Delete segment", &back).into_response());
    }
    state.store.delete_segment(seg.id).await.map_err(AppError::from)?;
    Ok(Redirect::to(paths::SEGMENT_LIST).into_response())
}
