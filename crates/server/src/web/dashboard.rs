//! Staff dashboards: the overview of every survey's headline KPI, the
//! survey list, and one survey's page with all its KPIs, trends,
//! distributions and latest comments for a chosen date range.

use crate::kernel::report::{RangeQuery, survey_metrics};
use crate::kernel::surveys::load_survey;
use crate::platform::auth::{Staff, can};
use crate::platform::error::PageError;
use crate::platform::query::PageQuery;
use crate::state::AppState;
use crate::ui::charts;
use crate::ui::components::error_summary;
use crate::ui::layout::{datetime, measure_value, num, page};
use crate::ui::paths;
use axum::extract::{Path, State};
use cxloop_core::metrics::{MeasureWithChange, QuestionMetrics};
use cxloop_core::period::{DateRange, Interval, fmt_date};
use cxloop_core::{QuestionType, Survey, SurveyStatus};
use cxloop_store::{Comment, ResponseQuery, TimeWindow};
use maud::{Markup, PreEscaped, html};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Default, Deserialize)]
pub struct DashQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Option<String>,
    pub link_for: Option<String>,
    /// A saved segment: KPIs count only its customers' responses.
    pub segment_id: Option<String>,
}

impl DashQuery {
    fn range(&self) -> RangeQuery {
        RangeQuery { from: self.from.clone(), to: self.to.clone(), interval: self.interval.clone() }
    }
}

fn window(range: DateRange) -> TimeWindow {
    TimeWindow { from: Some(range.from.midnight().assume_utc()), to: Some(cxloop_core::period::end_of(range.to)) }
}

pub fn status_badge(s: SurveyStatus) -> Markup {
    html! { span class=(format!("badge {}", s.as_str())) { (s.as_str()) } }
}

/// The "cut by segment" form of a report page: keeps the date range, lists
/// the saved segments, "Everyone" first. Nothing when there are no segments.
pub(crate) fn segment_picker(
    action: &str,
    range: DateRange,
    interval: Interval,
    segments: &[cxloop_store::Segment],
    selected: Option<&str>,
) -> Markup {
    html! {
        @if !segments.is_empty() {
            form.filters method="get" action=(action) aria-label="Segment" {
                input type="hidden" name="from" value=(fmt_date(range.from));
                input type="hidden" name="to" value=(fmt_date(range.to));
                input type="hidden" name="interval" value=(interval.as_str());
                label { "Customers"
                    select name="segment_id" {
                        option value="" { "Everyone" }
                        @for sg in segments { option value=(sg.id) selected[selected == Some(sg.id.to_string().as_str())] { (sg.name) } }
                    }
                }
                button.btn.secondary type="submit" { "Cut by segment" }
            }
        }
    }
}

/// The date range form; a chosen segment (`segment_id`) stays chosen.
pub(crate) fn filters(
    action: &str,
    range: DateRange,
    interval: Interval,
    error: Option<&str>,
    segment_id: Option<&str>,
) -> Markup {
    html! {
        @if let Some(e) = error { (error_summary(e)) }
        form.filters method="get" action=(action) aria-label="Date range" {
            @if let Some(id) = segment_id.filter(|s| !s.is_empty()) { input type="hidden" name="segment_id" value=(id); }
            label { "From" input type="date" name="from" value=(fmt_date(range.from)); }
            label { "To" input type="date" name="to" value=(fmt_date(range.to)); }
            label { "Trend by"
                select name="interval" {
                    @for (v, l) in [("week", "Week"), ("month", "Month"), ("day", "Day")] {
                        option value=(v) selected[interval.as_str() == v] { (l) }
                    }
                }
            }
            button.btn type="submit" { "Apply" }
        }
    }
}

/// One KPI tile: value, 95% interval, n and the change against the
/// previous period with its significance.
pub fn tile(m: &MeasureWithChange, period_days: i64) -> Markup {
    let mm = &m.measure;
    let c = &m.change;
    let unit = if mm.unit == "mean" {
        ""
    } else if mm.unit == "percent" {
        " pts"
    } else {
        ""
    };
    html! {
        div.card.tile {
            div.label { (mm.label) }
            div.value { (measure_value(mm.unit, mm.value)) }
            @if let (Some(lo), Some(hi)) = (mm.low, mm.high) {
                div.ci { "95% CI " (measure_value(mm.unit, Some(lo))) " to " (measure_value(mm.unit, Some(hi))) }
            }
            div.n { "n = " (mm.n) }
            @match c.delta {
                Some(d) => {
                    @let cls = if !c.significant { "flat" } else if d > 0.0 { "up" } else { "down" };
                    div class=(format!("delta {cls}")) {
                        (if d > 0.0 { "▲ " } else if d < 0.0 { "▼ " } else { "■ " })
                        (format!("{d:+.1}")) (unit) " vs previous " (period_days) " days"
                        @if c.significant { " " span.badge.sig title=(format!("p = {}", num(c.p_value, 3))) { "significant" } }
                        @else { span.muted { " (not significant, p = " (num(c.p_value, 2)) ")" } }
                    }
                }
                None => { div.delta.flat { "No comparison (previous period n = " (c.previous_n) ")" } }
            }
        }
    }
}

fn comment_class(kind: Option<QuestionType>, score: Option<i32>) -> &'static str {
    match (kind, score) {
        (Some(QuestionType::Nps), Some(s)) => {
            if s >= 9 {
                "pos"
            } else if s >= 7 {
                "mid"
            } else {
                "neg"
            }
        }
        (Some(QuestionType::Csat), Some(s)) => {
            if s >= 4 {
                "pos"
            } else if s == 3 {
                "mid"
            } else {
                "neg"
            }
        }
        (Some(QuestionType::Ces), Some(s)) => {
            if s >= 5 {
                "pos"
            } else if s == 4 {
                "mid"
            } else {
                "neg"
            }
        }
        _ => "",
    }
}

fn comments(list: &[Comment], kinds: &HashMap<cxloop_core::ids::SurveyId, QuestionType>, show_survey: bool) -> Markup {
    html! {
        @if list.is_empty() { p.muted { "No comments in this period." } }
        @for c in list {
            @let kind = kinds.get(&c.survey_id).copied();
            blockquote class=(format!("comment {}", comment_class(kind, c.score))) {
                (crate::ui::layout::long_text(&c.body))
                div.meta {
                    @if let Some(s) = c.score { "Score " strong { (s) } " · " }
                    (datetime(c.submitted_at))
                    @if show_survey { " · " a href=(paths::survey(c.survey_id)) { (c.survey_title) } }
                }
            }
        }
    }
}

fn headline_kinds(surveys: &[Survey]) -> HashMap<cxloop_core::ids::SurveyId, QuestionType> {
    surveys.iter().filter_map(|s| s.headline_question().map(|q| (s.id, q.kind))).collect()
}

pub async fn overview(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
    PageQuery(q): PageQuery<DashQuery>,
) -> Result<Markup, PageError> {
    let (resolved, error) = match q.range().resolve() {
        Ok(r) => (r, None),
        Err(e) => (RangeQuery::default().resolve()?, Some(e.to_string())),
    };
    let (range, interval) = resolved;
    let summaries = state.store.list_surveys().await?;
    let surveys: Vec<Survey> = summaries.iter().map(|s| s.survey.clone()).collect();
    let mut cards = Vec::new();
    for s in summaries.iter().filter(|s| s.survey.status != SurveyStatus::Draft) {
        let metrics = survey_metrics(&state, &s.survey, range, interval).await?;
        cards.push((s, metrics.questions.into_iter().next()));
    }
    let latest = state.store.latest_comments(None, &window(range), 12).await?;
    let kinds = headline_kinds(&surveys);
    let body = html! {
        h1 { "Overview" }
        p.muted { "Headline KPI of every live survey, " (fmt_date(range.from)) " to " (fmt_date(range.to)) ", with 95% intervals and the change against the previous " (range.days()) " days." }
        (filters("/dashboard", range, interval, error.as_deref(), None))
        @if summaries.is_empty() {
            div.card {
                p { "No surveys yet." }
                @if user.can(cxloop_core::access::Permission::ManageSurveys) { a.btn href=(paths::SURVEY_NEW) { "Create your first survey" } }
            }
        }
        div.grid {
            @for (s, m) in &cards {
                div.card.stack {
                    div { a href=(paths::with_query(paths::survey(s.survey.id), &[("from", &fmt_date(range.from)), ("to", &fmt_date(range.to)), ("interval", interval.as_str())])) { strong { (s.survey.title) } } " " (status_badge(s.survey.status)) }
                    @if let Some(tp) = &s.survey.touchpoint { div.muted { "Touchpoint: " (tp) } }
                    @match m.as_ref().and_then(|m| m.measures.first()) {
                        Some(first) => (tile(first, range.days())),
                        None => p.muted { "No scored questions." },
                    }
                    div.muted { (s.responses) " responses in total" }
                }
            }
        }
        h2 { "Latest comments" }
        (comments(&latest, &kinds, true))
    };
    Ok(page("Overview", &user, "/dashboard", body))
}

pub async fn list_surveys(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
) -> Result<Markup, PageError> {
    let surveys = state.store.list_surveys().await?;
    let body = html! {
        div.actions { h1.grow { "Surveys" } @if user.can(cxloop_core::access::Permission::ManageSurveys) { a.btn.secondary href=(paths::FEEDBACK_IMPORT) { "Import feedback" } a.btn href=(paths::SURVEY_NEW) { "New survey" } } }
        table {
            thead { tr { th { "Title" } th { "Status" } th { "Touchpoint" } th.num { "Responses" } th { "Last response" } th { "Public link" } } }
            tbody {
                @for s in &surveys {
                    tr {
                        td { a href=(paths::survey(s.survey.id)) { (s.survey.title) } }
                        td { (status_badge(s.survey.status)) }
                        td { (s.survey.touchpoint.as_deref().unwrap_or("—")) }
                        td.num { (s.responses) }
                        td { (s.last_response_at.map(datetime).unwrap_or_else(|| "—".into())) }
                        td { a.mono href=(paths::public_survey(&s.survey.slug)) { "/s/" (s.survey.slug) } }
                    }
                }
                @if surveys.is_empty() { tr { td colspan="6" { "No surveys yet." } } }
            }
        }
    };
    Ok(page("Surveys", &user, "/surveys", body))
}

fn data_table(m: &QuestionMetrics) -> Markup {
    html! {
        details.data {
            summary { "Show the numbers" }
            table {
                thead { tr { th { "Period" } th.num { "n" } @for x in m.series.first().map(|p| p.measures.as_slice()).unwrap_or(&[]) { th.num { (x.label) } th.num { "95% CI" } } } }
                tbody {
                    @for p in &m.series {
                        tr {
                            td { (p.start) " – " (p.end) }
                            td.num { (p.n) }
                            @for x in &p.measures {
                                td.num { (measure_value(x.unit, x.value)) }
                                td.num { (measure_value(x.unit, x.low)) " – " (measure_value(x.unit, x.high)) }
                            }
                        }
                    }
                }
            }
            table {
                thead { tr { th { "Score" } th.num { "Responses" } } }
                tbody { @for d in &m.distribution { tr { td { (d.score) } td.num { (d.count) } } } }
            }
        }
    }
}

fn question_section(m: &QuestionMetrics, days: i64) -> Markup {
    html! {
        section aria-labelledby=(format!("h-{}", m.key)) {
            h2 #(format!("h-{}", m.key)) { (m.text) " " span.muted { "(" (m.kind.label()) ")" } }
            div.grid { @for x in &m.measures { (tile(x, days)) } }
            @if let Some(p) = &m.nps {
                p.muted { "Promoters " (p.promoters) " · Passives " (p.passives) " · Detractors " (p.detractors) }
            }
            div.grid.wide-narrow {
                figure.card.chart {
                    (PreEscaped(charts::trend_svg(m)))
                    figcaption { "Trend of " (m.measures.first().map_or("", |x| x.measure.label)) " with its 95% interval (shaded); gaps are periods without responses." }
                }
                figure.card.chart {
                    (PreEscaped(charts::distribution_svg(m)))
                    figcaption { "Distribution of scores" }
                }
            }
            (data_table(m))
        }
    }
}

pub async fn survey_dashboard(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<DashQuery>,
) -> Result<Markup, PageError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let (resolved, error) = match q.range().resolve() {
        Ok(r) => (r, None),
        Err(e) => (RangeQuery::default().resolve()?, Some(e.to_string())),
    };
    let (range, interval) = resolved;
    let segments = state.store.segments().await?;
    let segment =
        crate::kernel::segments::resolve_segment(&state, None, q.segment_id.as_deref().filter(|s| !s.is_empty()))
            .await?;
    let metrics =
        crate::kernel::report::survey_metrics_for(&state, &survey, range, interval, segment.as_ref().map(|(_, m)| m))
            .await?;
    let latest = state.store.latest_comments(Some(survey.id), &window(range), 20).await?;
    let channels = by_channel(&state, &survey, range).await?;
    let recent = state
        .store
        .list_responses(&ResponseQuery {
            survey_id: survey.id,
            window: window(range),
            after: None,
            newest_first: true,
            limit: 10,
        })
        .await?;
    let kinds = headline_kinds(std::slice::from_ref(&survey));
    let headline_key = survey.headline_question().map(|q| q.key.clone());
    let link = q
        .link_for
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty() && c.chars().count() <= 200)
        .map(|c| (c.to_string(), crate::kernel::surveys::surveys_link(&state, &survey, c)));
    let public_url = format!("{}{}", state.base_url, paths::public_survey(&survey.slug));
    let seg = match (&segment, q.segment_id.as_deref()) {
        (Some(_), Some(id)) => id,
        _ => "",
    };
    let (from, to) = (fmt_date(range.from), fmt_date(range.to));
    let period = [("from", from.as_str()), ("to", to.as_str()), ("segment_id", seg)];
    let csv = paths::with_query(paths::responses_csv(survey.id), &period);
    let next_status = match survey.status {
        SurveyStatus::Draft => Some(("active", "Activate")),
        SurveyStatus::Active => Some(("closed", "Close survey")),
        SurveyStatus::Closed => Some(("active", "Reopen")),
    };
    let body = html! {
        div.actions {
            h1.grow { (survey.title) " " (status_badge(survey.status)) }
            a.btn.secondary href=(paths::public_survey(&survey.slug)) { "Open survey page" }
            a.btn.secondary href=(paths::with_query(paths::survey_themes(survey.id), &period)) { "Wows & woes" }
            @if segments.len() >= 2 { a.btn.secondary href=(paths::with_query(paths::survey_compare(survey.id), &[("from", &fmt_date(range.from)), ("to", &fmt_date(range.to))])) { "Compare segments" } }
            a.btn.secondary href=(paths::survey_invitations(survey.id)) { "Invitations" }
            @if user.can(cxloop_core::access::Permission::ManageSurveys) { a.btn.secondary href=(paths::survey_edit(survey.id)) { "Edit" } }
            @if user.can(cxloop_core::access::Permission::ExportData) { a.btn.secondary href=(csv) download { "Export CSV" } }
            @if let Some((status, label)) = next_status.filter(|_| user.can(cxloop_core::access::Permission::ManageSurveys)) {
                form method="post" action=(paths::survey_status(survey.id)) {
                    input type="hidden" name="_csrf" value=(user.csrf);
                    input type="hidden" name="status" value=(status);
                    button.btn type="submit" { (label) }
                }
            }
        }
        p.muted {
            @if let Some(tp) = &survey.touchpoint { "Touchpoint: " (tp) " · " }
            "Public link: " a.mono href=(public_url) { (public_url) }
        }
        (filters(&paths::survey(survey.id), range, interval, error.as_deref(), q.segment_id.as_deref()))
        (segment_picker(&paths::survey(survey.id), range, interval, &segments, q.segment_id.as_deref()))
        @if let Some((name, members)) = &segment {
            p.note role="status" { "KPIs, trends, distributions and the CSV export count only responses from the segment " strong { (name) } " (" (members.len()) " customers). Comments and recent responses are everyone's." }
        }
        @if metrics.questions.is_empty() { p.muted { "This survey has no scored questions." } }
        @for m in &metrics.questions { (question_section(m, range.days())) }
        @if !channels.is_empty() {
            section aria-labelledby="by-channel" {
                h2 #by-channel { "By channel" }
                p.muted { "Where this period's responses came from: the survey link, email invitations, the website widget, the API, imports by their source. Everyone's, whatever the segment." }
                table {
                    thead { tr { th { "Channel" } th.num { "Responses" } @if let Some(q) = survey.headline_question() { th.num { (q.kind.label()) " (95% interval)" } } } }
                    tbody {
                        @for (ch, n, m) in &channels {
                            tr {
                                td { (ch) }
                                td.num { (n) }
                                @if let Some(m) = m {
                                    td.num { (measure_value(m.unit, m.value)) span.muted { " [" (measure_value(m.unit, m.low)) ", " (measure_value(m.unit, m.high)) "] n " (m.n) } }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Latest comments" }
        (comments(&latest, &kinds, false))
        h2 { "Recent responses" }
        table {
            thead { tr { th { "Submitted" } th { "Channel" } th { "Customer" } th.num { "Score" } } }
            tbody {
                @for r in &recent {
                    tr {
                        td { (datetime(r.submitted_at)) }
                        td { (r.channel) }
                        td { (r.customer_external_id.as_deref().unwrap_or("anonymous")) }
                        td.num { (headline_key.as_ref().and_then(|k| r.answers.get(k)).map(|a| a.display()).unwrap_or_else(|| "—".into())) }
                    }
                }
                @if recent.is_empty() { tr { td colspan="4" { "No responses in this period." } } }
            }
        }
        h2 { "Personal link" }
        form.filters method="get" action=(paths::survey(survey.id)) {
            input type="hidden" name="from" value=(fmt_date(range.from));
            input type="hidden" name="to" value=(fmt_date(range.to));
            label { "Customer external id" input type="text" name="link_for" value=(q.link_for.as_deref().unwrap_or("")); }
            button.btn.secondary type="submit" { "Make signed link" }
        }
        @if let Some((c, url)) = &link {
            p { "Link for " strong { (c) } ": " code { (url) } }
            p.muted { "Answers through this link are attributed to this customer. A changed link counts as anonymous." }
        }
        h2 { "QR code" }
        @let qr = paths::survey_qr(survey.id);
        @let who = link.as_ref().map(|(c, _)| format!("&customer={}", crate::ui::layout::url_encode(c))).unwrap_or_default();
        div.actions {
            img src=(format!("{qr}?format=svg{who}")) alt=(format!("QR code of the {} link", if link.is_some() { "personal" } else { "public" })) width="160" height="160";
            div.stack {
                p.muted { "For posters, receipts and packaging: it opens " @if let Some((c, _)) = &link { (c) "'s personal link" } @else { "the public survey page" } "." }
                a.btn.secondary href=(format!("{qr}?format=png&scale=10{who}")) download { "Download PNG" }
                a.btn.secondary href=(format!("{qr}?format=svg{who}")) download { "Download SVG" }
            }
        }
    };
    Ok(page(&survey.title, &user, "/surveys", body))
}

/// Responses per channel in the range, most first, each with the headline
/// question's first measure (NPS, top-2-box, mean …) and its interval.
async fn by_channel(
    state: &AppState,
    survey: &Survey,
    range: DateRange,
) -> Result<Vec<(String, u64, Option<cxloop_core::metrics::Measure>)>, PageError> {
    let mut per: HashMap<String, (u64, cxloop_core::stats::Histogram)> = HashMap::new();
    for (ch, score, n) in state.store.headline_counts_by_channel(survey.id, &window(range)).await? {
        let e = per.entry(ch).or_default();
        e.0 += n;
        if let Some(s) = score {
            e.1.add(s, n);
        }
    }
    let kind = survey.headline_question().map(|q| q.kind);
    let mut out: Vec<_> = per
        .into_iter()
        .map(|(ch, (n, h))| (ch, n, kind.and_then(|k| cxloop_core::metrics::measures(k, &h).into_iter().next())))
        .collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

#[derive(Debug, Default, Deserialize)]
pub struct CompareQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub a: Option<String>,
    pub b: Option<String>,
}

/// Two saved segments side by side on every scored question of a survey,
/// each difference with its p-value and a "significant" flag at p < 0.05.
pub async fn compare_page(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
    Path(id): Path<String>,
    PageQuery(q): PageQuery<CompareQuery>,
) -> Result<Markup, PageError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let rq = RangeQuery { from: q.from.clone(), to: q.to.clone(), interval: None };
    let (range, mut error) = match rq.resolve() {
        Ok((r, _)) => (r, None),
        Err(e) => (RangeQuery::default().resolve()?.0, Some(e.public_message())),
    };
    let segments = state.store.segments().await?;
    let pick = |v: &Option<String>| v.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    let (a_id, b_id) = (pick(&q.a), pick(&q.b));
    let mut result = None;
    if let (Some(a), Some(b)) = (&a_id, &b_id) {
        let sa = crate::kernel::segments::resolve_segment(&state, None, Some(a)).await;
        let sb = crate::kernel::segments::resolve_segment(&state, None, Some(b)).await;
        match (sa, sb) {
            (Ok(Some(sa)), Ok(Some(sb))) => {
                let rows = crate::kernel::report::compare_segments(&state, &survey, range, &sa.1, &sb.1).await?;
                result = Some((sa, sb, rows));
            }
            (Err(e), _) | (_, Err(e)) => error = Some(e.public_message()),
            _ => {}
        }
    }
    let fmt = |unit: &str, v: Option<f64>| measure_value(unit, v);
    let body = html! {
        div.actions {
            h1.grow { "Compare segments: " (survey.title) }
            a.btn.secondary href=(paths::survey(survey.id)) { "Back to the survey" }
        }
        @if let Some(e) = &error { (error_summary(e)) }
        @if segments.len() < 2 {
            p.muted { "Save at least two segments on the " a href=(paths::SEGMENT_LIST) { "Segments" } " page to compare them." }
        } @else {
            form.filters method="get" action=(paths::survey_compare(survey.id)) aria-label="Segments to compare" {
                label { "From" input type="date" name="from" value=(fmt_date(range.from)); }
                label { "To" input type="date" name="to" value=(fmt_date(range.to)); }
                @for (name, label, chosen) in [("a", "Segment A", &a_id), ("b", "Segment B", &b_id)] {
                    label { (label)
                        select name=(name) required {
                            option value="" { "Choose…" }
                            @for sg in &segments { option value=(sg.id) selected[chosen.as_deref() == Some(sg.id.to_string().as_str())] { (sg.name) } }
                        }
                    }
                }
                button.btn type="submit" { "Compare" }
            }
        }
        @if let Some(((a_name, a), (b_name, b), rows)) = &result {
            p.muted {
                "A: " strong { (a_name) } " (" (a.len()) " customers) · B: " strong { (b_name) } " (" (b.len()) " customers) · "
                (fmt_date(range.from)) " to " (fmt_date(range.to)) ". A difference is marked significant when p < 0.05."
            }
            @if rows.is_empty() { p.muted { "This survey has no scored questions." } }
            @for r in rows {
                h2 { (r.text) }
                table {
                    thead { tr { th { "Measure" } th.num { "A" } th.num { "B" } th.num { "A − B" } th.num { "p" } th { "" } } }
                    tbody {
                        @for ((ma, mb), t) in r.a.iter().zip(&r.b).zip(&r.a_minus_b) {
                            tr {
                                td { (ma.label) }
                                td.num { (fmt(ma.unit, ma.value)) span.muted { " [" (fmt(ma.unit, ma.low)) ", " (fmt(ma.unit, ma.high)) "] n " (ma.n) } }
                                td.num { (fmt(mb.unit, mb.value)) span.muted { " [" (fmt(mb.unit, mb.low)) ", " (fmt(mb.unit, mb.high)) "] n " (mb.n) } }
                                td.num { @match t.delta { Some(d) => (format!("{d:+.1}")), None => span.muted { "—" } } }
                                td.num { @match t.p_value { Some(p) if p < 0.001 => "< 0.001", Some(p) => (format!("{p:.3}")), None => span.muted { "—" } } }
                                td { @if t.significant { span.badge.sig { "significant" } } @else if t.delta.is_some() { span.muted { "not significant" } } @else { span.muted { "too few answers" } } }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(&format!("Compare segments: {}", survey.title), &user, "/surveys", body))
}
