//! Response endpoints: submit (idempotent), list by page, stream as CSV,
//! and the metrics document.

use crate::kernel::ingest::{Submission, Trust, submit};
use crate::kernel::report::RangeQuery;
use crate::kernel::surveys::load_survey;
use crate::platform::auth::{Api, MaybeApi, can};
use crate::platform::error::AppError;
use crate::platform::json::ApiJson;
use crate::platform::query::{ApiQuery, Limit};
use crate::state::AppState;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cxloop_core::Survey;
use cxloop_core::answer::AnswerValue;
use cxloop_core::period::parse_date;
use cxloop_store::{Inserted, ResponseQuery, StoredResponse, TimeWindow};
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::HashSet;
use std::sync::Arc;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

pub async fn create_response(
    State(state): State<AppState>,
    MaybeApi(user, _): MaybeApi<can::SubmitResponses>,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(sub): ApiJson<Submission>,
) -> Result<Response, AppError> {
    // Only staff (a token that may submit responses) may name the channel.
    let trust = if user.is_some() { Trust::Staff } else { Trust::Public };
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(
            v.to_str().map_err(|_| AppError::invalid("Idempotency-Key", "Idempotency-Key must be visible ASCII"))?,
        ),
        None => None,
    };
    let (stored, replayed) = match submit(&state, &survey, &sub, key, trust, "api").await? {
        Inserted::Created(r) => (r, false),
        Inserted::Replayed(r) => (r, true),
    };
    let mut resp = (StatusCode::CREATED, Json(stored)).into_response();
    if replayed {
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(resp)
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub limit: Limit,
    pub cursor: Option<ResponseCursor>,
    pub order: Option<String>,
    /// A segment expression or a saved segment: only its customers' responses.
    pub segment: Option<String>,
    pub segment_id: Option<String>,
}

impl ListQuery {
    async fn segment(&self, state: &AppState) -> Result<Option<HashSet<String>>, AppError> {
        let seg = crate::kernel::segments::resolve_segment_external_ids(
            state,
            self.segment.as_deref(),
            self.segment_id.as_deref(),
        );
        Ok(seg.await?.map(|(_, ids)| ids))
    }
}

/// Keeps the responses of a segment's customers (all when there is no segment).
fn keep(page: Vec<StoredResponse>, members: Option<&HashSet<String>>) -> Vec<StoredResponse> {
    match members {
        None => page,
        Some(m) => {
            page.into_iter().filter(|r| r.customer_external_id.as_ref().is_some_and(|c| m.contains(c))).collect()
        }
    }
}

/// `from` and `to` as a half-open window: a date `to` includes that whole day.
fn window(from: Option<&str>, to: Option<&str>) -> Result<TimeWindow, AppError> {
    let bound = |s: &str, field: &'static str, end: bool| -> Result<OffsetDateTime, AppError> {
        let s = s.trim();
        let invalid = |e: cxloop_core::period::PeriodError| AppError::invalid(field, e.to_string());
        if s.contains('T') || s.contains('t') {
            return cxloop_core::period::parse_timestamp(s, field).map_err(invalid);
        }
        let d = parse_date(s, field).map_err(invalid)?;
        Ok(if end { cxloop_core::period::end_of(d) } else { d.midnight().assume_utc() })
    };
    let w = TimeWindow {
        from: from.filter(|s| !s.trim().is_empty()).map(|s| bound(s, "from", false)).transpose()?,
        to: to.filter(|s| !s.trim().is_empty()).map(|s| bound(s, "to", true)).transpose()?,
    };
    if let (Some(a), Some(b)) = (w.from, w.to)
        && a >= b
    {
        return Err(AppError::invalid("from", "from must be before to"));
    }
    Ok(w)
}

fn encode_cursor(r: &StoredResponse) -> String {
    format!("{}_{}", r.submitted_at.unix_timestamp_nanos() / 1000, r.id.uuid().simple())
}

/// Where a page of responses starts: the last response of the page before
/// (its time in microseconds and its id), as `next_cursor` gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseCursor(OffsetDateTime, cxloop_core::ids::ResponseId);

impl std::str::FromStr for ResponseCursor {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let (micros, id) = s.split_once('_').ok_or(())?;
        let micros: i128 = micros.parse().map_err(|_| ())?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(micros.checked_mul(1000).ok_or(())?).map_err(|_| ())?;
        Ok(ResponseCursor(at, id.parse().map_err(|_| ())?))
    }
}

impl<'de> Deserialize<'de> for ResponseCursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(|()| serde::de::Error::custom("cursor is not one this API returned"))
    }
}

pub async fn list_responses(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ResponsePage>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let limit = q.limit.get();
    let newest_first = match q.order.as_deref() {
        None | Some("") | Some("desc") => true,
        Some("asc") => false,
        Some(_) => return Err(AppError::invalid("order", "order must be asc or desc")),
    };
    let members = q.segment(&state).await?;
    let mut query = ResponseQuery {
        survey_id: survey.id,
        window: window(q.from.as_deref(), q.to.as_deref())?,
        after: q.cursor.map(|ResponseCursor(at, id)| (at, id)),
        newest_first,
        limit,
    };
    // A segment thins each page out: read on until the page is full or the data ends.
    let mut page = Vec::new();
    let mut more = true;
    while more && page.len() < limit as usize {
        let raw = state.store.list_responses(&query).await?;
        more = raw.len() == limit as usize;
        query.after = raw.last().map(|r| (r.submitted_at, r.id));
        page.extend(keep(raw, members.as_ref()));
    }
    // The cursor is the last row returned, so rows read beyond it come again on the next page.
    page.truncate(limit as usize);
    let next = (more || page.len() == limit as usize).then(|| page.last().map(encode_cursor)).flatten();
    Ok(Json(ResponsePage { responses: page, next_cursor: next }))
}

/// One page of a survey's responses; `next_cursor` reads the next page.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ResponsePage {
    pub responses: Vec<cxloop_store::StoredResponse>,
    pub next_cursor: Option<String>,
}

/// Guards spreadsheet users: text that starts like a formula gets a leading
/// apostrophe so that Excel and friends show it instead of running it.
fn safe_cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() }
}

fn csv_chunk(survey: &Survey, rows: &[StoredResponse], header: bool) -> Result<Bytes, AppError> {
    let mut w = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 128));
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    if header {
        let mut cols = vec!["response_id", "submitted_at", "channel", "touchpoint", "customer_external_id"];
        cols.extend(survey.questions.iter().map(|q| q.key.as_str()));
        w.write_record(&cols).map_err(fail)?;
    }
    for r in rows {
        let mut rec = vec![
            r.id.to_string(),
            r.submitted_at.format(&Rfc3339).unwrap_or_default(),
            r.channel.clone(),
            r.touchpoint.clone().unwrap_or_default(),
            r.customer_external_id.as_deref().map(safe_cell).unwrap_or_default(),
        ];
        for q in &survey.questions {
            rec.push(match r.answers.get(&q.key) {
                Some(AnswerValue::Score(s)) => s.to_string(),
                Some(v) => safe_cell(&v.display()),
                None => String::new(),
            });
        }
        w.write_record(&rec).map_err(fail)?;
    }
    w.into_inner().map(Bytes::from).map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// Streams every response in the window, oldest first, a page at a time:
/// memory stays flat however many rows there are.
pub async fn export_csv(
    State(state): State<AppState>,
    _user: Api<can::ExportData>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Response, AppError> {
    const PAGE: u32 = 2000;
    let survey = Arc::new(load_survey(state.store.as_ref(), &id).await?);
    let members = Arc::new(q.segment(&state).await?);
    let query = ResponseQuery {
        survey_id: survey.id,
        window: window(q.from.as_deref(), q.to.as_deref())?,
        after: None,
        newest_first: false,
        limit: PAGE,
    };
    // Fail before the headers go out if the first page cannot be read.
    let first = state.store.list_responses(&query).await?;
    let start = first
        .last()
        .filter(|_| first.len() == PAGE as usize)
        .map(|r| ResponseQuery { after: Some((r.submitted_at, r.id)), ..query.clone() });
    let head = csv_chunk(&survey, &keep(first, members.as_ref().as_ref()), true)?;
    let store = state.store.clone();
    let page_survey = survey.clone();
    let rest = futures_util::stream::unfold(start, move |next: Option<ResponseQuery>| {
        let store = store.clone();
        let survey = page_survey.clone();
        let members = members.clone();
        async move {
            let mut query = next?;
            let page = match store.list_responses(&query).await {
                Ok(p) => p,
                Err(e) => return Some((Err(std::io::Error::other(e.to_string())), None)),
            };
            if page.is_empty() {
                return None;
            }
            let more = page.len() == PAGE as usize;
            query.after = page.last().map(|r| (r.submitted_at, r.id));
            let page = keep(page, members.as_ref().as_ref());
            let chunk = csv_chunk(&survey, &page, false).map_err(|e| std::io::Error::other(e.to_string()));
            Some((chunk, more.then_some(query)))
        }
    });
    let body = futures_util::stream::once(std::future::ready(Ok::<Bytes, std::io::Error>(head))).chain(rest);
    let filename = format!("{}-responses.csv", survey.slug);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct MetricsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Option<String>,
    /// A segment expression: only responses of its customers count.
    pub segment: Option<String>,
    pub segment_id: Option<String>,
}

impl MetricsQuery {
    fn range(&self) -> RangeQuery {
        RangeQuery { from: self.from.clone(), to: self.to.clone(), interval: self.interval.clone() }
    }
}

/// The segment an answer was restricted to: its expression or name, and
/// how many customers it held.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SegmentUsed {
    pub label: String,
    pub customers: u64,
}

impl SegmentUsed {
    fn new(label: &str, members: &std::collections::HashSet<cxloop_core::ids::CustomerId>) -> Self {
        SegmentUsed { label: label.to_string(), customers: members.len() as u64 }
    }
}

/// The metrics of a survey, with the segment they were cut by, if any.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct MetricsAnswer {
    #[serde(flatten)]
    pub metrics: crate::kernel::report::SurveyMetrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<SegmentUsed>,
}

pub async fn get_metrics(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<MetricsQuery>,
) -> Result<Json<MetricsAnswer>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let (range, interval) = q.range().resolve()?;
    let segment =
        crate::kernel::segments::resolve_segment(&state, q.segment.as_deref(), q.segment_id.as_deref()).await?;
    let metrics =
        crate::kernel::report::survey_metrics_for(&state, &survey, range, interval, segment.as_ref().map(|(_, m)| m))
            .await?;
    let segment = segment.as_ref().map(|(label, members)| SegmentUsed::new(label, members));
    Ok(Json(MetricsAnswer { metrics, segment }))
}

#[derive(Debug, Default, Deserialize)]
pub struct CompareQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// Saved segment ids (or `a_expr` / `b_expr` expressions).
    pub a: Option<String>,
    pub b: Option<String>,
    pub a_expr: Option<String>,
    pub b_expr: Option<String>,
}

/// Two segments compared on every scored question of a survey.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Comparison {
    pub survey_id: cxloop_core::ids::SurveyId,
    pub range: crate::kernel::report::RangeOut,
    pub a: SegmentUsed,
    pub b: SegmentUsed,
    pub questions: Vec<crate::kernel::report::QuestionComparison>,
}

/// Two segments side by side on every scored question, with the
/// significance of each difference (same tests as period changes).
pub async fn compare_segments(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<CompareQuery>,
) -> Result<Json<Comparison>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let (range, _) = RangeQuery { from: q.from.clone(), to: q.to.clone(), interval: None }.resolve()?;
    let seg = |e: &Option<String>, i: &Option<String>, field: &'static str| {
        let (e, i) = (e.clone(), i.clone());
        let state = state.clone();
        async move {
            crate::kernel::segments::resolve_segment(&state, e.as_deref(), i.as_deref())
                .await?
                .ok_or_else(|| AppError::invalid(field, format!("give {field} (a segment id) or {field}_expr")))
        }
    };
    let (a_label, a) = seg(&q.a_expr, &q.a, "a").await?;
    let (b_label, b) = seg(&q.b_expr, &q.b, "b").await?;
    let questions = crate::kernel::report::compare_segments(&state, &survey, range, &a, &b).await?;
    Ok(Json(Comparison {
        survey_id: survey.id,
        range: range.into(),
        a: SegmentUsed::new(&a_label, &a),
        b: SegmentUsed::new(&b_label, &b),
        questions,
    }))
}

#[derive(Debug, Default, Deserialize)]
pub struct ThemesQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Option<String>,
    pub version: Option<String>,
    /// A segment expression or a saved segment: only its customers' responses count.
    pub segment: Option<String>,
    pub segment_id: Option<String>,
}

impl ThemesQuery {
    pub fn range(&self) -> RangeQuery {
        RangeQuery { from: self.from.clone(), to: self.to.clone(), interval: self.interval.clone() }
    }

    pub fn version(&self) -> Result<Option<u32>, AppError> {
        match self.version.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| AppError::invalid("version", "version must be a whole number")),
        }
    }
}

pub async fn get_themes(
    State(state): State<AppState>,
    _user: Api<can::ViewReports>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ThemesQuery>,
) -> Result<Json<crate::kernel::themes_report::WowsWoes>, AppError> {
    let survey = load_survey(state.store.as_ref(), &id).await?;
    let (range, interval) = q.range().resolve()?;
    let segment =
        crate::kernel::segments::resolve_segment(&state, q.segment.as_deref(), q.segment_id.as_deref()).await?;
    let mut report = crate::kernel::themes_report::wows_and_woes(
        &state,
        &survey,
        range,
        interval,
        q.version()?,
        segment.as_ref().map(|(_, m)| &m.ids),
    )
    .await?;
    report.segment = segment.map(|(label, m)| crate::kernel::themes_report::SegmentOut { label, customers: m.len() });
    Ok(Json(report))
}
