//! The comment explorer (search and filter every comment, with its
//! sentiment reasons and themes) and the theme taxonomy page (versions,
//! themes, and a JSON editor that saves a new version).

use crate::kernel::textwork::CommentsQuery;
use crate::platform::auth::{Staff, WebUser, can};
use crate::platform::error::{AppError, PageError};
use crate::platform::form::StaffForm;
use crate::platform::query::PageQuery;
use crate::state::AppState;
use crate::ui::components::error_summary;
use crate::ui::layout::{datetime, page};
use crate::ui::paths;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_text::{Reason, Taxonomy};
use maud::{Markup, html};

fn reason_text(r: &Reason) -> String {
    match r {
        Reason::Word { word, weight } => format!("“{word}” {weight:+.2}"),
        Reason::Negation { negator, word } => format!("“{negator}” negates “{word}”"),
        Reason::Intensifier { modifier, word } => format!("“{modifier}” scales “{word}”"),
        Reason::Contrast { word } => format!("“{word}”: the later clause counts more"),
        Reason::Caps { word } => format!("CAPS on “{word}”"),
        Reason::Exclamation { count } => format!("{count} exclamation mark(s)"),
        Reason::Emote { emote, weight } => format!("{emote} {weight:+.1}"),
    }
}

pub async fn explorer(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
    PageQuery(q): PageQuery<CommentsQuery>,
) -> Result<Response, PageError> {
    let surveys = state.store.list_surveys().await?;
    let (_, tax) = crate::kernel::textwork::current_taxonomy(state.store.as_ref()).await?;
    let (comments, error) = match q.filter(&state).await {
        Ok(f) => (state.store.search_comments(&f).await?, None),
        Err(e @ AppError::Invalid { .. }) => (Vec::new(), Some(e.public_message())),
        Err(e) => return Err(PageError(e)),
    };
    let sel = |v: &Option<String>, x: &str| v.as_deref() == Some(x);
    let theme_name = |k: &str| tax.themes.iter().find(|t| t.key == k).map_or(k.to_string(), |t| t.name.clone());
    let body = html! {
        h1 { "Comments" }
        @if let Some(e) = &error { (error_summary(e)) }
        form.filters method="get" action=(paths::COMMENT_EXPLORER) aria-label="Filter comments" {
            label { "Search" input type="search" name="q" value=(q.q.as_deref().unwrap_or("")); }
            label { "Survey"
                select name="survey_id" {
                    option value="" { "All surveys" }
                    @for s in &surveys { option value=(s.survey.id) selected[sel(&q.survey_id, &s.survey.id.to_string())] { (s.survey.title) } }
                }
            }
            label { "Theme"
                select name="theme" {
                    option value="" { "Any theme" }
                    @for t in &tax.themes { option value=(t.key) selected[sel(&q.theme, &t.key)] { @if t.parent.is_some() { "— " } (t.name) } }
                }
            }
            label { "Sentiment"
                select name="label" {
                    option value="" { "Any" }
                    @for l in ["positive", "neutral", "negative", "not_analysed"] { option value=(l) selected[sel(&q.label, l)] { (l.replace('_', " ")) } }
                }
            }
            label { "Channel" input.short type="text" name="channel" list="channels" value=(q.channel.as_deref().unwrap_or(""));
                datalist #channels { @for c in ["link", "email", "widget", "api", "app-store", "interview", "focus-group"] { option value=(c); } }
            }
            label { "Score from" input.tiny type="number" name="min_score" value=(q.min_score.as_deref().unwrap_or("")); }
            label { "to" input.tiny type="number" name="max_score" value=(q.max_score.as_deref().unwrap_or("")); }
            label { "From" input type="date" name="from" value=(q.from.as_deref().unwrap_or("")); }
            label { "To" input type="date" name="to" value=(q.to.as_deref().unwrap_or("")); }
            button.btn type="submit" { "Filter" }
        }
        p.muted { (comments.len()) " comments shown (newest first, at most 100)." }
        @for c in &comments {
            @let cls = match c.label.as_deref() { Some("positive") => "pos", Some("negative") => "neg", Some("neutral") => "mid", _ => "" };
            article class=(format!("comment {cls}")) {
                (crate::ui::layout::long_text(&c.body))
                div.meta {
                    @if let Some(s) = c.score { "Score " strong { (s) } " · " }
                    @match (c.label.as_deref(), c.sentiment) {
                        (Some("not_analysed"), _) => { "not analysed (" (c.language.as_deref().unwrap_or("?")) ")" }
                        (Some(l), Some(v)) => { (l) " " (format!("{v:+.2}")) }
                        _ => { "waiting for analysis" }
                    }
                    " · " (datetime(c.submitted_at)) " · " a href=(paths::survey(c.survey_id)) { (c.survey_title) } " · via " (c.channel)
                }
                @if !c.themes.is_empty() {
                    div.meta { "Themes: " @for (i, t) in c.themes.iter().enumerate() { @if i > 0 { ", " } span.badge { (theme_name(t)) } } }
                }
                @if let Ok(reasons) = serde_json::from_value::<Vec<Reason>>(c.reasons.clone()) {
                    @if !reasons.is_empty() {
                        div.meta { "Why: " (reasons.iter().map(reason_text).collect::<Vec<_>>().join(" · ")) }
                    }
                }
            }
        }
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page("Comments", &user, "/comments", body)).into_response())
}

async fn render_taxonomy(
    state: &AppState,
    user: &WebUser,
    draft: Option<&str>,
    error: Option<&str>,
) -> Result<Markup, PageError> {
    let (current, tax) = crate::kernel::textwork::current_taxonomy(state.store.as_ref()).await?;
    let versions = state.store.taxonomy_versions().await?;
    let json = serde_json::to_string_pretty(&tax).unwrap_or_default();
    let (texts, analysed) = state.store.analysis_progress().await?;
    Ok(page(
        "Themes",
        user,
        "/taxonomy",
        html! {
            h1 { "Themes" }
            p.muted { "Taxonomy version " (current.version) " · " (analysed) " of " (texts) " comments analysed. Saving creates a new version and re-tags every comment in the background; reports name the version they use, so earlier months stay comparable." }
            table {
                thead { tr { th { "Theme" } th { "Key" } th { "Words" } th { "Phrases" } th { "Excludes" } } }
                tbody {
                    @for t in &tax.themes {
                        tr {
                            td { @if t.parent.is_some() { "— " } (t.name) }
                            td.mono { (t.key) }
                            td { (t.words.join(", ")) }
                            td { (t.phrases.join(", ")) }
                            td { (t.exclude.join(", ")) }
                        }
                    }
                }
            }
            @if user.can(cxloop_core::access::Permission::ManageTaxonomy) {
            h2 { "Edit" }
            @if let Some(e) = error { (error_summary(e)) }
            form.stack method="post" action=(paths::TAXONOMY_PAGE) {
                input type="hidden" name="_csrf" value=(user.csrf);
                div {
                    label for="taxonomy" { "Taxonomy (JSON: themes with key, name, parent, words, phrases, exclude)" }
                    textarea #taxonomy name="taxonomy" rows="24" class="mono" { (draft.unwrap_or(&json)) }
                }
                div { label for="note" { "What changed (optional)" } input #note type="text" name="note"; }
                button.btn type="submit" { "Save as a new version" }
            }
            }
            h2 { "Versions" }
            table {
                thead { tr { th.num { "Version" } th { "Saved" } th { "By" } th { "Note" } } }
                tbody { @for v in &versions { tr { td.num { (v.version) } td { (datetime(v.created_at)) } td { (v.created_by.as_deref().unwrap_or("cxloop")) } td { (v.note.as_deref().unwrap_or("")) } } } }
            }
        },
    ))
}

pub async fn taxonomy_page(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
) -> Result<Markup, PageError> {
    render_taxonomy(&state, &user, None, None).await
}

/// A taxonomy draft (JSON) with a note on what changed.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct TaxonomyForm {
    taxonomy: String,
    note: String,
}

pub async fn save_taxonomy(
    State(state): State<AppState>,
    StaffForm(user, form, _): StaffForm<can::ManageTaxonomy, TaxonomyForm>,
) -> Result<Response, PageError> {
    let draft = form.taxonomy.as_str();
    let parsed: Result<Taxonomy, AppError> = crate::platform::json::parse(draft.as_bytes());
    let note = Some(form.note.trim()).filter(|n| !n.is_empty());
    let result = match parsed {
        Ok(tax) => crate::kernel::textwork::save_taxonomy(state.store.as_ref(), &tax, note, Some(&user.user.email))
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Ok(Redirect::to(paths::TAXONOMY_PAGE).into_response()),
        Err(e @ AppError::Invalid { .. }) => {
            let msg = match e.field() {
                Some(f) => format!("{f}: {}", e.public_message()),
                None => e.public_message(),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render_taxonomy(&state, &user, Some(draft), Some(&msg)).await?)
                .into_response())
        }
        Err(e) => Err(PageError(e)),
    }
}
