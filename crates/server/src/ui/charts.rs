//! Server-side SVG charts drawn with plotters: a trend line with its 95%
//! band, and a score distribution. They render without JavaScript; each
//! page also offers the numbers as a table.

use cxloop_core::QuestionType;
use cxloop_core::metrics::{QuestionMetrics, SeriesPoint};
use plotters::prelude::*;

const BRAND: RGBColor = RGBColor(11, 92, 173);
const GOOD: RGBColor = RGBColor(19, 115, 51);
const MID: RGBColor = RGBColor(201, 162, 39);
const BAD: RGBColor = RGBColor(179, 38, 30);
const GRID: RGBColor = RGBColor(225, 229, 234);

/// A bucket index with its value and band.
type Point = (f64, (f64, f64, f64));

/// The headline value and band of a series point.
fn headline(p: &SeriesPoint) -> Option<(f64, f64, f64)> {
    let m = p.measures.first()?;
    let v = m.value?;
    Some((v, m.low.unwrap_or(v), m.high.unwrap_or(v)))
}

fn short_date(s: &str) -> String {
    // "2026-03-09" -> "Mar 9", with the year on January.
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let parts: Vec<&str> = s.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => {
            let mi = m.parse::<usize>().unwrap_or(1).clamp(1, 12) - 1;
            let day = d.trim_start_matches('0');
            if mi == 0 { format!("{} {day} {y}", MONTHS[mi]) } else { format!("{} {day}", MONTHS[mi]) }
        }
        _ => s.to_string(),
    }
}

/// The y range for a question type's headline measure.
fn y_range(m: &QuestionMetrics) -> (f64, f64) {
    match m.kind {
        QuestionType::Nps => (-100.0, 100.0),
        QuestionType::Csat => (0.0, 100.0),
        _ => {
            let lo = m.distribution.first().map_or(0, |d| d.score);
            let hi = m.distribution.last().map_or(10, |d| d.score);
            (f64::from(lo), f64::from(hi))
        }
    }
}

/// Trend of the headline measure with its 95% band; buckets without
/// responses are gaps, not zeros.
pub fn trend_svg(m: &QuestionMetrics) -> String {
    let mut svg = String::new();
    let drawn = draw_trend(m, &mut svg);
    if drawn.is_err() { String::new() } else { svg }
}

fn draw_trend(m: &QuestionMetrics, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let n = m.series.len().max(2);
    let labels: Vec<String> = m.series.iter().map(|p| short_date(&p.start)).collect();
    let (y0, y1) = y_range(m);
    let root = SVGBackend::with_string(out, (760, 260)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(12)
        .x_label_area_size(28)
        .y_label_area_size(44)
        .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), y0..y1)?;
    let label_for = |x: &f64| -> String {
        let i = x.round();
        if (x - i).abs() > 1e-6 || i < 0.0 {
            return String::new();
        }
        labels.get(i as usize).cloned().unwrap_or_default()
    };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .x_labels(n.min(8))
        .x_label_formatter(&label_for)
        .y_labels(5)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style(("sans-serif", 12).into_font().color(&RGBColor(90, 98, 112)))
        .draw()?;
    // Contiguous runs of buckets with data get a band and a line each.
    let mut runs: Vec<Vec<Point>> = vec![Vec::new()];
    for (i, p) in m.series.iter().enumerate() {
        match headline(p) {
            Some(h) => runs.last_mut().map(|r| r.push((i as f64, h))).unwrap_or(()),
            None => runs.push(Vec::new()),
        }
    }
    for run in runs.iter().filter(|r| !r.is_empty()) {
        let mut band: Vec<(f64, f64)> = run.iter().map(|&(x, (_, _, hi))| (x, hi.clamp(y0, y1))).collect();
        band.extend(run.iter().rev().map(|&(x, (_, lo, _))| (x, lo.clamp(y0, y1))));
        chart.draw_series(std::iter::once(Polygon::new(band, BRAND.mix(0.15).filled())))?;
        chart.draw_series(LineSeries::new(run.iter().map(|&(x, (v, _, _))| (x, v)), BRAND.stroke_width(2)))?;
        chart.draw_series(run.iter().map(|&(x, (v, _, _))| Circle::new((x, v), 3, BRAND.filled())))?;
    }
    root.present()?;
    Ok(())
}

/// Bars of the score distribution, coloured by NPS group (or low/mid/high).
pub fn distribution_svg(m: &QuestionMetrics) -> String {
    let mut svg = String::new();
    if draw_distribution(m, &mut svg).is_err() { String::new() } else { svg }
}

fn bar_colour(kind: QuestionType, score: i32, lo: i32, hi: i32) -> RGBColor {
    match kind {
        QuestionType::Nps => match score {
            9..=10 => GOOD,
            7..=8 => MID,
            _ => BAD,
        },
        _ => {
            let t = f64::from(score - lo) / f64::from((hi - lo).max(1));
            if t >= 0.66 {
                GOOD
            } else if t >= 0.34 {
                MID
            } else {
                BAD
            }
        }
    }
}

fn draw_distribution(m: &QuestionMetrics, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let lo = m.distribution.first().map_or(0, |d| d.score);
    let hi = m.distribution.last().map_or(10, |d| d.score);
    let max = m.distribution.iter().map(|d| d.count).max().unwrap_or(0).max(1) as f64;
    let root = SVGBackend::with_string(out, (380, 220)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(24)
        .y_label_area_size(44)
        .build_cartesian_2d(f64::from(lo) - 0.5..f64::from(hi) + 0.5, 0f64..max * 1.08)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .x_labels((hi - lo + 1) as usize)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_labels(4)
        .y_label_formatter(&|y| format!("{y:.0}"))
        .label_style(("sans-serif", 12).into_font().color(&RGBColor(90, 98, 112)))
        .draw()?;
    chart.draw_series(m.distribution.iter().map(|d| {
        let x = f64::from(d.score);
        Rectangle::new([(x - 0.38, 0.0), (x + 0.38, d.count as f64)], bar_colour(m.kind, d.score, lo, hi).filled())
    }))?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cxloop_core::metrics::question_metrics;
    use cxloop_core::period::{DateRange, Interval};
    use cxloop_core::stats::Histogram;
    use cxloop_core::{Question, metrics::DayCount};
    use time::macros::date;

    fn metrics() -> QuestionMetrics {
        let q = Question { required: true, ..Question::new("nps", QuestionType::Nps, "?") };
        let days = [
            DayCount { day: date!(2026 - 01 - 05), score: 10, count: 4 },
            DayCount { day: date!(2026 - 01 - 20), score: 3, count: 2 },
        ];
        let range = DateRange::new(date!(2026 - 01 - 01), date!(2026 - 01 - 31)).unwrap();
        question_metrics(&q, &days, &Histogram::new(), range, Interval::Week)
    }

    #[test]
    fn charts_render_as_svg() {
        let m = metrics();
        let t = trend_svg(&m);
        assert!(t.starts_with("<svg") && t.contains("<polyline") || t.contains("<path"), "{t}");
        let d = distribution_svg(&m);
        assert!(d.starts_with("<svg") && d.contains("<rect"));
    }

    #[test]
    fn dates_are_shortened() {
        assert_eq!(short_date("2026-03-09"), "Mar 9");
        assert_eq!(short_date("2026-01-05"), "Jan 5 2026");
    }
}
