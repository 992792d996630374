//! Metrics for a survey over a date range: reads the per-day rollups from
//! storage (never individual responses) and hands them to `cxloop-core`.

use crate::kernel::segments::Members;
use crate::platform::error::AppError;
use crate::state::AppState;
use cxloop_core::Survey;
use cxloop_core::metrics::{DayCount, QuestionMetrics, question_metrics};
use cxloop_core::period::{DateRange, Interval, PeriodError, fmt_date, parse_date};
use cxloop_core::stats::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use time::{Duration, OffsetDateTime};

/// Range and interval as they arrive in a query string.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RangeQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub interval: Option<String>,
}

/// Default length of a report when `from` is not given.
pub const DEFAULT_DAYS: i64 = 90;

fn period_error(e: PeriodError) -> AppError {
    let field = match &e {
        PeriodError::BadDate { field } | PeriodError::OutOfRange { field } => *field,
        PeriodError::BadInterval => "interval",
        PeriodError::Reversed | PeriodError::TooLong => "from",
    };
    AppError::invalid(field, e.to_string())
}

impl RangeQuery {
    /// The inclusive date range and bucket size: `to` defaults to today (UTC),
    /// `from` to 90 days before `to`, interval to week.
    pub fn resolve(&self) -> Result<(DateRange, Interval), AppError> {
        let blank = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let to = match blank(&self.to) {
            Some(s) => parse_date(&s, "to").map_err(period_error)?,
            None => OffsetDateTime::now_utc().date(),
        };
        let from = match blank(&self.from) {
            Some(s) => parse_date(&s, "from").map_err(period_error)?,
            None => to - Duration::days(DEFAULT_DAYS - 1),
        };
        let interval = match blank(&self.interval) {
            Some(s) => s.parse().map_err(period_error)?,
            None => Interval::Week,
        };
        let range = DateRange::new(from, to).map_err(period_error)?;
        if interval == Interval::Day && range.days() > 1000 {
            return Err(AppError::invalid("interval", "daily series are limited to 1000 days; use week or month"));
        }
        Ok((range, interval))
    }
}

/// An inclusive date range, as `YYYY-MM-DD`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RangeOut {
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
}

impl From<DateRange> for RangeOut {
    fn from(r: DateRange) -> Self {
        RangeOut { from: fmt_date(r.from), to: fmt_date(r.to) }
    }
}

/// The metrics document of the API and the dashboard.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = Metrics)]
pub struct SurveyMetrics {
    pub survey_id: cxloop_core::ids::SurveyId,
    pub range: RangeOut,
    pub previous: RangeOut,
    pub interval: Interval,
    pub questions: Vec<QuestionMetrics>,
}

/// Metrics of every scored question of `survey` over `range`.
pub async fn survey_metrics(
    state: &AppState,
    survey: &Survey,
    range: DateRange,
    interval: Interval,
) -> Result<SurveyMetrics, AppError> {
    survey_metrics_for(state, survey, range, interval, None).await
}

/// Day counts of one question, optionally only of the given customers: from
/// the survey's rollup, a saved segment's rollup, or (an expression, or a
/// segment still being built) the range's scores kept to the members.
pub async fn day_counts(
    state: &AppState,
    survey: &Survey,
    key: &str,
    range: DateRange,
    members: Option<&Members>,
) -> Result<Vec<DayCount>, AppError> {
    let Some(members) = members else {
        return Ok(state.store.daily_scores(survey.id, key, range).await?);
    };
    if let Some(id) = members.saved
        && let Some(days) = state.store.segment_day_counts(id, survey.id, key, range).await?
    {
        return Ok(days);
    }
    let mut agg: HashMap<(time::Date, i32), u64> = HashMap::new();
    for (customer, dc) in state.store.daily_scores_by_customer(survey.id, key, range).await? {
        if customer.is_some_and(|c| members.contains(&c)) {
            *agg.entry((dc.day, dc.score)).or_default() += dc.count;
        }
    }
    Ok(agg.into_iter().map(|((day, score), count)| DayCount { day, score, count }).collect())
}

/// Metrics restricted to responses from `members` (a segment) when given.
pub async fn survey_metrics_for(
    state: &AppState,
    survey: &Survey,
    range: DateRange,
    interval: Interval,
    members: Option<&Members>,
) -> Result<SurveyMetrics, AppError> {
    let previous = range.previous();
    let mut questions = Vec::new();
    for q in survey.questions.iter().filter(|q| q.kind.is_scored()) {
        let days = day_counts(state, survey, &q.key, range, members).await?;
        let mut prev = Histogram::new();
        for dc in day_counts(state, survey, &q.key, previous, members).await? {
            prev.add(dc.score, dc.count);
        }
        questions.push(question_metrics(q, &days, &prev, range, interval));
    }
    Ok(SurveyMetrics { survey_id: survey.id, range: range.into(), previous: previous.into(), interval, questions })
}

/// One measure of one question in two segments, and whether A − B is significant.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeasureTest {
    pub measure: &'static str,
    pub delta: Option<f64>,
    pub p_value: Option<f64>,
    pub significant: bool,
}

/// A scored question's measures in segment A and in segment B.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionComparison {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: cxloop_core::QuestionType,
    pub text: String,
    pub a: Vec<cxloop_core::metrics::Measure>,
    pub b: Vec<cxloop_core::metrics::Measure>,
    pub a_minus_b: Vec<MeasureTest>,
}

/// Every scored question of `survey` over `range` in two segments, with the
/// significance of each difference (the same tests as period changes).
pub async fn compare_segments(
    state: &AppState,
    survey: &Survey,
    range: DateRange,
    a: &Members,
    b: &Members,
) -> Result<Vec<QuestionComparison>, AppError> {
    use cxloop_core::metrics::measures;
    use cxloop_core::stats;
    let mut out = Vec::new();
    for question in survey.questions.iter().filter(|x| x.kind.is_scored()) {
        let hist = |days: Vec<DayCount>| {
            let mut h = Histogram::new();
            for d in days {
                h.add(d.score, d.count);
            }
            h
        };
        let ha = hist(day_counts(state, survey, &question.key, range, Some(a)).await?);
        let hb = hist(day_counts(state, survey, &question.key, range, Some(b)).await?);
        let (ma, mb) = (measures(question.kind, &ha), measures(question.kind, &hb));
        let a_minus_b = ma
            .iter()
            .map(|m| {
                let t = match m.name {
                    "nps" => stats::nps_change(&ha, &hb),
                    "top2" => stats::proportion_change(ha.count_between(4, 5), ha.n(), hb.count_between(4, 5), hb.n()),
                    "easy" => stats::proportion_change(ha.count_between(5, 7), ha.n(), hb.count_between(5, 7), hb.n()),
                    _ => stats::mean_change(&ha, &hb),
                };
                MeasureTest {
                    measure: m.name,
                    delta: t.map(|t| t.delta),
                    p_value: t.map(|t| t.p_value),
                    significant: t.is_some_and(|t| t.significant),
                }
            })
            .collect();
        out.push(QuestionComparison {
            key: question.key.clone(),
            kind: question.kind,
            text: question.text.clone(),
            a: ma,
            b: mb,
            a_minus_b,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_ninety_days_by_week() {
        let (r, i) = RangeQuery::default().resolve().unwrap();
        assert_eq!(r.days(), DEFAULT_DAYS);
        assert_eq!(i, Interval::Week);
    }

    #[test]
    fn bad_values_name_their_field() {
        let q = RangeQuery { from: Some("soon".into()), ..Default::default() };
        assert_eq!(q.resolve().unwrap_err().field(), Some("from"));
        let q = RangeQuery { interval: Some("year".into()), ..Default::default() };
        assert_eq!(q.resolve().unwrap_err().field(), Some("interval"));
        let q = RangeQuery { from: Some("2026-02-01".into()), to: Some("2026-01-01".into()), ..Default::default() };
        assert_eq!(q.resolve().unwrap_err().field(), Some("from"));
    }
}
