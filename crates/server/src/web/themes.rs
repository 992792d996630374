//! The wows & woes page of a survey: its themes split into what delights
//! and what hurts, each with volume, sentiment, impact on the headline KPI
//! with its interval, trend and example comments (escaped like all input).

use super::dashboard::{DashQuery, filters};
use super::layout::{datetime, num, page};
use crate::AppState;
use crate::api::load_survey;
use crate::auth::WebUser;
use crate::error::PageError;
use crate::report::RangeQuery;
use crate::themes_report::{ThemeRow, WowsWoes, wows_and_woes};
use axum::extract::{Path, Query, State};
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
        article.card.stack style=(if woe { "border-left: 4px solid #b3261e" } else { "border-left: 4px solid #137333" }) {
            div {
                strong { (r.name) }
                @if let Some(p) = &r.parent { span.muted { " · under " (p) } }
            }
            div { (r.mentions) " responses mention it (" (num(Some(r.share), 1)) "%) · average sentiment " (format!("{:+.2}", r.avg_sentiment)) }
            div { "Impact: " (impact_text(r, w)) }
            @for e in &r.examples {
                blockquote class=(format!("comment {}", if e.sentiment < 0.0 { "neg" } else { "pos" })) {
                    p { (e.body) }
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
    user: WebUser,
    Path(id): Path<String>,
    Query(q): Query<DashQuery>,
) -> Result<Markup, PageError> {
    let survey = load_survey(&state, &id).await?;
    let (resolved, error) =
        match (RangeQuery { from: q.from.clone(), to: q.to.clone(), interval: q.interval.clone() }).resolve() {
            Ok(r) => (r, None),
            Err(e) => (RangeQuery::default().resolve()?, Some(e.to_string())),
        };
    let (range, interval) = resolved;
    let w = wows_and_woes(&state, &survey, range, interval, None).await?;
    let body = html! {
        div.actions {
            h1 style="margin-right:auto" { "Wows & woes: " (survey.title) }
            a.btn.secondary href=(format!("/surveys/{}", survey.id)) { "Back to the survey" }
        }
        p.muted {
            "Themes from taxonomy version " (w.taxonomy_version) " · " (w.responses) " responses in the period · "
            (w.analysed) " of " (w.texts) " comments analysed"
            @if let Some(m) = &w.measure { " · impact is the difference in " (m.name) " between responses that mention a theme and those that do not" }
        }
        (filters(&format!("/surveys/{}/themes", survey.id), range, interval, error.as_deref()))
        div.grid style="grid-template-columns: 1fr 1fr; align-items: start" {
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
    };
    Ok(page(&format!("Wows & woes: {}", survey.title), &user, "/surveys", body))
}
