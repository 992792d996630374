//! Survey metrics: for each scored question, its KPI measures over a date
//! range with intervals, the change against the previous period, and a trend
//! series, all computed from per-day score counts.

use crate::period::{DateRange, Interval, fmt_date};
use crate::stats::{self, Histogram};
use crate::survey::{Question, QuestionType};
use serde::Serialize;
use time::Date;

/// How many responses gave `score` on `day` (from a rollup or a GROUP BY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayCount {
    pub day: Date,
    pub score: i32,
    pub count: u64,
}

/// One measure (NPS, CSAT top-2-box, a mean ...) with its 95% interval.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Measure {
    /// Stable name: `nps`, `top2`, `easy`, `mean`.
    pub name: &'static str,
    pub label: &'static str,
    /// `points` (NPS), `percent` or `mean`.
    pub unit: &'static str,
    pub n: u64,
    pub value: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// A measure's change against the previous period of equal length.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub previous: Option<f64>,
    pub previous_n: u64,
    pub delta: Option<f64>,
    pub p_value: Option<f64>,
    /// p < 0.05 (NPS: pooled z-test; shares: two-proportion z-test; means: Welch t-test).
    pub significant: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MeasureWithChange {
    #[serde(flatten)]
    pub measure: Measure,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NpsParts {
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ScoreCount {
    pub score: i32,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SeriesPoint {
    #[schema(format = Date)]
    pub start: String,
    #[schema(format = Date)]
    pub end: String,
    pub n: u64,
    pub measures: Vec<Measure>,
}

/// Everything the API and dashboard show about one scored question.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QuestionMetrics {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub text: String,
    pub n: u64,
    pub measures: Vec<MeasureWithChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<NpsParts>,
    pub distribution: Vec<ScoreCount>,
    pub series: Vec<SeriesPoint>,
}

fn measure(name: &'static str, label: &'static str, unit: &'static str, n: u64) -> Measure {
    Measure { name, label, unit, n, value: None, low: None, high: None }
}

fn share_measure(name: &'static str, label: &'static str, h: &Histogram, lo: i32, hi: i32) -> Measure {
    let n = h.n();
    let mut m = measure(name, label, "percent", n);
    if let Some(e) = stats::proportion(h.count_between(lo, hi), n) {
        (m.value, m.low, m.high) = (Some(e.value), Some(e.low), Some(e.high));
    }
    m
}

fn mean_measure(h: &Histogram) -> Measure {
    let mut m = measure("mean", "Mean", "mean", h.n());
    if let Some(r) = stats::mean(h) {
        m.value = Some(r.mean);
        if let Some((lo, hi)) = r.interval {
            (m.low, m.high) = (Some(lo), Some(hi));
        }
    }
    m
}

/// The measures reported for a question type, headline first.
pub fn measures(kind: QuestionType, h: &Histogram) -> Vec<Measure> {
    match kind {
        QuestionType::Nps => {
            let mut m = measure("nps", "NPS", "points", h.n());
            if let Some(r) = stats::nps(h) {
                (m.value, m.low, m.high) = (Some(r.score), Some(r.low), Some(r.high));
            }
            vec![m, mean_measure(h)]
        }
        QuestionType::Csat => vec![share_measure("top2", "CSAT (top-2-box)", h, 4, 5), mean_measure(h)],
        QuestionType::Ces => vec![mean_measure(h), share_measure("easy", "Easy (5–7)", h, 5, 7)],
        _ => vec![mean_measure(h)],
    }
}

fn change(name: &str, kind: QuestionType, cur: &Histogram, prev: &Histogram) -> Change {
    let previous = measures(kind, prev).into_iter().find(|m| m.name == name).and_then(|m| m.value);
    let test = match name {
        "nps" => stats::nps_change(cur, prev),
        "top2" => stats::proportion_change(cur.count_between(4, 5), cur.n(), prev.count_between(4, 5), prev.n()),
        "easy" => stats::proportion_change(cur.count_between(5, 7), cur.n(), prev.count_between(5, 7), prev.n()),
        _ => stats::mean_change(cur, prev),
    };
    Change {
        previous,
        previous_n: prev.n(),
        delta: test.map(|t| t.delta),
        p_value: test.map(|t| t.p_value),
        significant: test.is_some_and(|t| t.significant),
    }
}

/// Builds a question's metrics. `current` holds the day counts inside
/// `range` (others are ignored); `previous` is the histogram of the previous
/// period of equal length.
pub fn question_metrics(
    q: &Question,
    current: &[DayCount],
    previous: &Histogram,
    range: DateRange,
    interval: Interval,
) -> QuestionMetrics {
    let buckets = interval.buckets(range);
    let mut per_bucket = vec![Histogram::new(); buckets.len()];
    let mut total = Histogram::new();
    for dc in current.iter().filter(|dc| range.contains(dc.day)) {
        total.add(dc.score, dc.count);
        let start = interval.bucket_start(dc.day);
        // Buckets are sorted by start; the first one may begin before range.from.
        let i = buckets.partition_point(|b| interval.bucket_start(b.from) < start);
        if let Some(h) = per_bucket.get_mut(i) {
            h.add(dc.score, dc.count);
        }
    }
    let measures = measures(q.kind, &total)
        .into_iter()
        .map(|m| {
            let change = change(m.name, q.kind, &total, previous);
            MeasureWithChange { measure: m, change }
        })
        .collect();
    let nps = (q.kind == QuestionType::Nps).then(|| NpsParts {
        promoters: total.count_between(9, 10),
        passives: total.count_between(7, 8),
        detractors: total.count_between(0, 6),
    });
    let (lo, hi) = q.range().unwrap_or((0, 10));
    let distribution = (lo..=hi).map(|score| ScoreCount { score, count: total.get(score) }).collect();
    let series = buckets
        .iter()
        .zip(&per_bucket)
        .map(|(b, h)| SeriesPoint {
            start: fmt_date(b.from),
            end: fmt_date(b.to),
            n: h.n(),
            measures: self::measures(q.kind, h),
        })
        .collect();
    QuestionMetrics {
        key: q.key.clone(),
        kind: q.kind,
        text: q.text.clone(),
        n: total.n(),
        measures,
        nps,
        distribution,
        series,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn nps_question() -> Question {
        Question { required: true, ..Question::new("nps", QuestionType::Nps, "Recommend?") }
    }

    #[test]
    fn metrics_split_days_into_buckets_and_total_them() {
        let range = DateRange::new(date!(2026 - 11 - 04), date!(2026 - 11 - 17)).unwrap();
        let days = [
            DayCount { day: date!(2026 - 11 - 04), score: 10, count: 3 },
            DayCount { day: date!(2026 - 11 - 10), score: 2, count: 1 },
            DayCount { day: date!(2026 - 11 - 16), score: 9, count: 1 },
            DayCount { day: date!(2026 - 10 - 01), score: 0, count: 99 },
        ];
        let mut prev = Histogram::new();
        prev.add(0, 5);
        let m = question_metrics(&nps_question(), &days, &prev, range, Interval::Week);
        assert_eq!(m.n, 5);
        let nps = &m.measures[0];
        assert_eq!(nps.measure.name, "nps");
        // 4 promoters, 1 detractor of 5: NPS 60. Previous: all detractors, -100.
        assert!((nps.measure.value.unwrap() - 60.0).abs() < 1e-9);
        assert_eq!(nps.change.previous, Some(-100.0));
        assert!((nps.change.delta.unwrap() - 160.0).abs() < 1e-9);
        assert_eq!(m.series.len(), 3);
        assert_eq!(m.series.iter().map(|p| p.n).collect::<Vec<_>>(), vec![3, 1, 1]);
        assert_eq!(m.distribution.len(), 11);
        assert_eq!(m.distribution[10].count, 3);
    }

    #[test]
    fn empty_metrics_have_no_values_and_no_change() {
        let range = DateRange::new(date!(2026 - 11 - 01), date!(2026 - 11 - 30)).unwrap();
        let m = question_metrics(&nps_question(), &[], &Histogram::new(), range, Interval::Month);
        assert_eq!(m.n, 0);
        assert_eq!(m.measures[0].measure.value, None);
        assert!(!m.measures[0].change.significant);
        assert_eq!(m.series.len(), 1);
    }
}
