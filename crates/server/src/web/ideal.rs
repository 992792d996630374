//! "Ideal customers": customers plotted by value (a numeric attribute the
//! organisation picks) against satisfaction (their latest NPS answer), so
//! the team sees whom to protect (high value, low score) and whom to grow;
//! and each saved segment's average value against its NPS with n and a 95%
//! interval.

use crate::kernel::segments::{matching_ids, parse_segment};
use crate::platform::auth::{Staff, can};
use crate::platform::error::PageError;
use crate::platform::query::PageQuery;
use crate::state::AppState;
use crate::ui::layout::{num, page};
use crate::ui::paths;
use axum::extract::State;
use cxloop_core::customer::AttrType;
use cxloop_core::stats::{self, Histogram};
use maud::{Markup, PreEscaped, html};
use plotters::prelude::*;
use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct IdealQuery {
    pub value: Option<String>,
}

/// Columns the value axis is cut into: customers with the same answer and a
/// value in the same column are drawn as one dot sized by how many they are,
/// so the chart stays readable (and small) at any number of customers.
const COLUMNS: usize = 48;

/// Customers grouped by value column and answer: (column centre, answer, how many).
fn bins(points: &[(f64, i32)], max: f64) -> Vec<(f64, i32, usize)> {
    let width = max / COLUMNS as f64;
    let mut counts: std::collections::BTreeMap<(usize, i32), usize> = std::collections::BTreeMap::new();
    for &(x, y) in points {
        let col = ((x.max(0.0) / width) as usize).min(COLUMNS - 1);
        *counts.entry((col, y)).or_default() += 1;
    }
    counts.into_iter().map(|((col, y), n)| ((col as f64 + 0.5) * width, y, n)).collect()
}

fn scatter(points: &[(f64, i32)], median: f64, label: &str) -> String {
    let mut svg = String::new();
    let max = points.iter().map(|p| p.0).fold(1.0f64, f64::max) * 1.05;
    let dots = bins(points, max);
    let most = dots.iter().map(|d| d.2).max().unwrap_or(1) as f64;
    let drawn = (|| -> Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::with_string(&mut svg, (760, 360)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(0f64..max, -0.5f64..10.5f64)?;
        chart
            .configure_mesh()
            .light_line_style(WHITE)
            .x_desc(label)
            .y_desc("latest NPS answer")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style(("sans-serif", 12).into_font().color(&RGBColor(90, 98, 112)))
            .draw()?;
        // Quadrant guides: the median value, and the passive/promoter line.
        chart.draw_series(LineSeries::new([(median, -0.5), (median, 10.5)], RGBColor(150, 150, 150)))?;
        chart.draw_series(LineSeries::new([(0.0, 6.5), (max, 6.5)], RGBColor(150, 150, 150)))?;
        chart.draw_series(dots.iter().map(|&(x, y, n)| {
            let colour = if y >= 9 {
                RGBColor(19, 115, 51)
            } else if y >= 7 {
                RGBColor(201, 162, 39)
            } else {
                RGBColor(179, 38, 30)
            };
            // Area grows with the number of customers: radius 2 to 9 pixels.
            let radius = 2.0 + 7.0 * (n as f64 / most).sqrt();
            Circle::new((x, f64::from(y)), radius.round() as i32, colour.mix(0.6).filled())
        }))?;
        root.present()?;
        Ok(())
    })();
    if drawn.is_err() { String::new() } else { svg }
}

pub async fn ideal(
    State(state): State<AppState>,
    Staff(user, _): Staff<can::ViewReports>,
    PageQuery(q): PageQuery<IdealQuery>,
) -> Result<Markup, PageError> {
    let defs = state.store.attribute_defs().await?;
    let numeric: Vec<_> = defs.iter().filter(|d| d.kind == AttrType::Number).collect();
    let chosen = q.value.as_deref().and_then(|v| numeric.iter().find(|d| d.key == v)).or(numeric.first()).copied();
    // Each customer's value and latest NPS answer: two columns, not every fact.
    let all = match chosen {
        Some(d) => state.store.value_points(&d.key).await?,
        None => Vec::new(),
    };
    let points: Vec<(f64, i32)> = all.iter().filter_map(|(_, v, s)| Some(((*v)?, (*s)?))).collect();
    let mut values: Vec<f64> = points.iter().map(|p| p.0).collect();
    values.sort_by(f64::total_cmp);
    let median = values.get(values.len() / 2).copied().unwrap_or(0.0);
    let protect = points.iter().filter(|(v, s)| *v >= median && *s <= 6).count();
    let mut rows = Vec::new();
    if chosen.is_some() {
        let by_id: std::collections::HashMap<_, _> = all.iter().map(|(id, v, s)| (*id, (*v, *s))).collect();
        for seg in state.store.segments().await? {
            let Ok(expr) = parse_segment(&seg.expression, &defs) else { continue };
            // Kept members where built; else the expression over every customer.
            let members: Vec<cxloop_core::ids::CustomerId> = match state.store.segment_members(seg.id).await? {
                Some(ids) => ids,
                None => matching_ids(&state, &expr).await?.into_iter().map(|(id, _)| id).collect(),
            };
            let (mut sum, mut with_value, mut h) = (0.0, 0usize, Histogram::new());
            for (v, s) in members.iter().filter_map(|id| by_id.get(id)) {
                if let Some(v) = v {
                    sum += v;
                    with_value += 1;
                }
                if let Some(s) = s {
                    h.add(*s, 1);
                }
            }
            let avg = (with_value > 0).then(|| sum / with_value as f64);
            rows.push((seg.name, members.len(), avg, stats::nps(&h)));
        }
    }
    let label = chosen.map_or("value", |d| d.label.as_str());
    let body = html! {
        h1 { "Ideal customers" }
        @if numeric.is_empty() {
            p { "Define a number attribute (for example annual revenue or seats) to plot customers by value." }
        } @else {
            form.filters method="get" action=(paths::IDEAL_PAGE) {
                label { "Value"
                    select name="value" { @for d in &numeric { option value=(d.key) selected[chosen.is_some_and(|c| c.key == d.key)] { (d.label) } } }
                }
                button.btn type="submit" { "Show" }
            }
            p.muted {
                (points.len()) " customers have both " (label) " and an NPS answer. Lines: the median " (label) " (" (num(Some(median), 0)) ") and the detractor line (6). "
                strong { (protect) } " high-value detractors (bottom right) to protect."
            }
            figure.card.chart {
                (PreEscaped(scatter(&points, median, label)))
                figcaption { "Each dot is the customers with one answer and a similar " (label) " (one of " (COLUMNS) " columns); a bigger dot is more customers. Green promoters, amber passives, red detractors." }
            }
            h2 { "Segments by value and satisfaction" }
            table {
                thead { tr { th { "Segment" } th.num { "Customers" } th.num { "Average " (label) } th.num { "NPS" } th.num { "95% CI" } th.num { "n" } } }
                tbody {
                    @for (name, n, avg, nps) in &rows {
                        tr {
                            td { (name) } td.num { (n) } td.num { (num(*avg, 0)) }
                            td.num { (nps.map(|x| format!("{:+.0}", x.score)).unwrap_or_else(|| "—".into())) }
                            td.num { (nps.map(|x| format!("{:+.0} to {:+.0}", x.low, x.high)).unwrap_or_else(|| "—".into())) }
                            td.num { (nps.map_or(0, |x| x.n)) }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Ideal customers", &user, "/customers", body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_with_one_answer_and_a_close_value_share_a_dot() {
        let points = [(1.0, 9), (1.5, 9), (1.9, 3), (95.0, 9), (96.0, 9), (96.0, 10)];
        let dots = bins(&points, 96.0);
        assert_eq!(dots.iter().map(|d| d.2).sum::<usize>(), points.len(), "every customer is in a dot");
        assert_eq!(dots.iter().map(|d| (d.1, d.2)).collect::<Vec<_>>(), vec![(3, 1), (9, 2), (9, 2), (10, 1)]);
        assert!(dots.iter().all(|d| d.0 > 0.0 && d.0 < 96.0));
    }

    #[test]
    fn the_chart_stays_small_with_many_customers() {
        let points: Vec<(f64, i32)> = (0..100_000).map(|i| (f64::from(i % 5000), i % 11)).collect();
        let svg = scatter(&points, 2500.0, "seats");
        assert!(svg.contains("<svg"));
        assert!(svg.len() < 200_000, "{} bytes", svg.len());
    }
}
