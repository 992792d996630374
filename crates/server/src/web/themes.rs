//! The wows & woes page of a survey: its themes split into what delights
//! and what hurts, each with volume, sentiment, impact on the headline KPI
//! with its interval, trend and example comments (escaped like all input).

use super::dashboard::{DashQuery, filters, segment_picker};
use crate::kernel::report::RangeQuery;
use crate::kernel::surveys::load_survey;
use crate::kernel::themes_report::{ThemeRow, WowsWoes, wows_and_woes};
use crate::platform::auth::{Staff, can};
use crate::platform::error::PageError;
use crate::platform::query::PageQuery;
use crate::state::AppState;
use crate::ui::layout::{datetime, num, page};
use crate::ui::paths;
use axum::extract::{Path, State};
use maud::{Markup, html};

fn impact_text(r: &ThemeRow, w: &WowsWoes) -> Markup {
    let unit = w.measure.as_ref().map_or("", |m| m.name);
    html! {
        @match r.impact {
            Some(d) => {
                strong { (format!("{:+.1}", d.delta)) } " " (unit)
                span.muted { " (95% CI " (format!("{:+.1}", d.low)) " to " (format!("{:+.1}", d.high)) "; n " (d.n_a) " mentioning vs " (d.n_b) " not)" }
                @if d.low > 0.0 || d.high < 0.0 { " " span.badge.sig { "significant" } }
            }
            None => span.muted { "impact not measurable (too few scored responses)" },
        }
    }
}

fn theme_card(r: &ThemeRow, w: &WowsWoes, woe: bool) -> Markup {
    html! {
        article.card.stack.woe[woe].wow[!woe] {
            div {
                strong { (r.name) }
                @if let Some(p) = &r.parent { span.muted { " · under " (p) } }
            }
            div { (r.mentions) " responses mention it (" (num(Some(r.share), 1)) "%) · average sentiment " (format!("{:+.2}", r.avg_sentiment)) }
            div { "Impact: " (impact_text(r, w)) }
            @for e in &r.examples {
                blockquote class=(format!("comment {}", if e.sentiment < 0.0 { "neg" } else { "pos" })) {
                    (crate::ui::layout::long_text(&e.body))
                    div.meta {
                        @if let Some(s) = e.score { "Score " strong { (s) } " · " }
                        "sentiment " (format!("{:+.2}", e.sentiment)) " · " (datetime(e.submitted_at))
                    }
                }
            }
            details.data {
                summary { "Mentions by period" }
                table {
                    thead { tr { th { "Period from" } th.num { "Mentions" } } }
                    tbody { @for p in &r.trend { tr { td { (p.start) } td.num { (p.mentions) } } } }
                }
            }
        }
    }
}

pub async fn survey_themes(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<DashQuery>,
) -> Result<Markup, PageError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let (resolved, error) =
        match (RangeQuery { from: q.from.clone(), to: q.to.clone(), interval: q.interval.clone() }).resolve() {
            Ok(r) => (r, None),
            Err(e) => (RangeQuery::default().resolve()?, Some(e.to_string())),
        };
    let (range, interval) = resolved;
    let segments = state.store.segments().await?;
    let segment =
        crate::kernel::segments::resolve_segment(&state, None, q.segment_id.as_deref().filter(|s| !s.is_empty()))
            .await?;
    let w = wows_and_woes(&state, &survey, range, interval, None, segment.as_ref().map(|(_, m)| &m.ids)).await?;
    let found = crate::kernel::themes_report::emerging(&state, &survey, range, 12).await?;
    let emerging = &found.phrases;
    let body = html! {
        div.actions {
            h1.grow { "Wows & woes: " (survey.title) }
            a.btn.secondary href=(paths::survey(survey.id)) { "Back to the survey" }
        }
        p.muted {
            "Themes from taxonomy version " (w.taxonomy_version) " · " (w.responses) " responses in the period · "
            (w.analysed) " of " (w.texts) " comments analysed"
            @if let Some(m) = &w.measure { " · impact is the difference in " (m.name) " between responses that mention a theme and those that do not" }
        }
        (filters(&paths::survey_themes(survey.id), range, interval, error.as_deref(), q.segment_id.as_deref()))
        (segment_picker(&paths::survey_themes(survey.id), range, interval, &segments, q.segment_id.as_deref()))
        @if let Some((name, members)) = &segment {
            p.note role="status" { "Themes, impact, trends and examples count only responses from the segment " strong { (name) } " (" (members.len()) " customers). Emerging phrases are everyone's." }
        }
        div.grid.halves {
            section.stack aria-labelledby="woes" {
                h2 #woes { "Woes: what hurts" }
                @if w.woes.is_empty() { p.muted { "No negative themes in this period." } }
                @for r in &w.woes { (theme_card(r, &w, true)) }
            }
            section.stack aria-labelledby="wows" {
                h2 #wows { "Wows: what delights" }
                @if w.wows.is_empty() { p.muted { "No positive themes in this period." } }
                @for r in &w.wows { (theme_card(r, &w, false)) }
            }
        }
        section aria-labelledby="emerging" {
            h2 #emerging { "Emerging: what no theme covers yet" }
            p.muted {
                "Words and word pairs in comments that no theme of version " (w.taxonomy_version) " covers, with the count in the previous " (range.days()) " days ("
                (found.counted) " and " (found.previous_counted) " uncovered comments)."
                @if found.capped { " A period had more than " (crate::kernel::themes_report::EMERGING_SAMPLE) " uncovered comments: only its newest " (crate::kernel::themes_report::EMERGING_SAMPLE) " are counted, so compare counts within this table, not with the period's totals." }
            }
            @if emerging.is_empty() { p.muted { "Nothing uncovered comes up three times or more in this period." } }
            @if !emerging.is_empty() {
                table {
                    thead { tr { th { "Phrase" } th.num { "Comments" } th.num { "Before" } th { "Examples" } th { "" } } }
                    tbody {
                        @for e in emerging {
                            tr {
                                td { strong { (e.phrase) } }
                                td.num { (e.count) }
                                td.num { (e.previous) @if let Some(g) = e.growth { " (×" (num(Some(g), 1)) ")" } @else { " (new)" } }
                                td { @for x in &e.examples { div.muted { "“" (x) "”" } } }
                                td {
                                    @if user.can(cxloop_core::access::Permission::ManageTaxonomy) {
                                    form method="post" action=(paths::survey_themes_add(survey.id)) {
                                        input type="hidden" name="_csrf" value=(user.csrf);
                                        input type="hidden" name="phrase" value=(e.phrase);
                                        button.btn.secondary type="submit" { "Make this a theme" }
                                    }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&format!("Wows & woes: {}", survey.title), &user, "/surveys", body))
}

/// The emerging phrase to make a theme.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct PhraseForm {
    phrase: String,
}

/// "Make this a theme": a new taxonomy version with the phrase as a theme;
/// comments are re-tagged in the background.
pub async fn add_theme(
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::platform::form::StaffForm(user, form, _): crate::platform::form::StaffForm<can::ManageTaxonomy, PhraseForm>,
) -> Result<axum::response::Response, PageError> {
    use axum::response::{IntoResponse, Redirect};
    let survey = load_survey(state.store.as_ref(), &id).await?;
    crate::kernel::textwork::add_theme_from_phrase(&state, &user.user.email, &form.phrase, None).await?;
    Ok(Redirect::to(&paths::survey_themes(survey.id)).into_response())
}
