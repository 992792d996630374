//! KPI statistics: NPS, proportions and means with 95% intervals, and tests
//! of whether a change between two periods is statistically significant.
//!
//! Everything works from a [`Histogram`] of integer scores, which is a
//! sufficient statistic for every measure here; storage can therefore answer
//! with `GROUP BY score` counts (or rollups) instead of raw rows.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};
use statrs::function::erf::erfc;
use std::collections::BTreeMap;

/// The two-sided 95% quantile of the standard normal distribution.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Significance level used for change flags.
pub const ALPHA: f64 = 0.05;

/// Counts of each integer score.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    counts: BTreeMap<i32, u64>,
}

impl Histogram {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_scores(scores: &[i32]) -> Self {
        let mut h = Self::new();
        for &s in scores {
            h.add(s, 1);
        }
        h
    }

    pub fn add(&mut self, score: i32, count: u64) {
        if count > 0 {
            *self.counts.entry(score).or_default() += count;
        }
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (&s, &c) in &other.counts {
            self.add(s, c);
        }
    }

    pub fn n(&self) -> u64 {
        self.counts.values().sum()
    }

    /// How many scores fall in `lo..=hi`.
    pub fn count_between(&self, lo: i32, hi: i32) -> u64 {
        self.counts.range(lo..=hi).map(|(_, c)| c).sum()
    }

    pub fn iter(&self) -> impl Iterator<Item = (i32, u64)> + '_ {
        self.counts.iter().map(|(&s, &c)| (s, c))
    }

    pub fn get(&self, score: i32) -> u64 {
        self.counts.get(&score).copied().unwrap_or(0)
    }

    fn moments(&self) -> (f64, f64, f64) {
        let n = self.n() as f64;
        let sum: f64 = self.iter().map(|(s, c)| f64::from(s) * c as f64).sum();
        let mean = if n > 0.0 { sum / n } else { 0.0 };
        let ss: f64 = self.iter().map(|(s, c)| (f64::from(s) - mean).powi(2) * c as f64).sum();
        (n, mean, ss)
    }
}

/// A point estimate with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Net Promoter Score with its parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Nps {
    pub n: u64,
    pub promoters: u64,
    pub passives: u64,
    pub detractors: u64,
    /// %promoters − %detractors, in points from −100 to 100.
    pub score: f64,
    /// Half-width of the 95% interval, in points.
    pub margin: f64,
    pub low: f64,
    pub high: f64,
}

/// NPS from 0–10 scores: promoters 9–10, detractors 0–6. The margin uses the
/// variance of the per-respondent value (+1, 0, −1): p + d − (p − d)².
pub fn nps(h: &Histogram) -> Option<Nps> {
    let n = h.n();
    if n == 0 {
        return None;
    }
    let promoters = h.count_between(9, 10);
    let detractors = h.count_between(0, 6);
    let passives = h.count_between(7, 8);
    let (p, d) = (promoters as f64 / n as f64, detractors as f64 / n as f64);
    let var = (p + d - (p - d).powi(2)).max(0.0);
    let margin = Z95 * (var / n as f64).sqrt() * 100.0;
    let score = (p - d) * 100.0;
    Some(Nps {
        n,
        promoters,
        passives,
        detractors,
        score,
        margin,
        low: (score - margin).max(-100.0),
        high: (score + margin).min(100.0),
    })
}

/// A share `k / n` in percent with its Wilson score interval, which stays
/// inside 0–100 and behaves at small n and at 0% or 100%.
pub fn proportion(k: u64, n: u64) -> Option<Estimate> {
    if n == 0 || k > n {
        return None;
    }
    let (nf, p) = (n as f64, k as f64 / n as f64);
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = Z95 * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    Some(Estimate {
        value: p * 100.0,
        low: ((centre - half) * 100.0).max(0.0),
        high: ((centre + half) * 100.0).min(100.0),
    })
}

/// The two-sided t quantile for a 95% interval with `df` degrees of freedom.
fn t95(df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map(|t| t.inverse_cdf(0.975)).unwrap_or(Z95)
}

/// Mean with a Student-t 95% interval; with one observation the interval
/// is the point itself widened to nothing known, so it is omitted (None).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Mean {
    pub n: u64,
    pub mean: f64,
    /// Sample standard deviation (n − 1), absent for n < 2.
    pub sd: Option<f64>,
    pub interval: Option<(f64, f64)>,
}

pub fn mean(h: &Histogram) -> Option<Mean> {
    let (n, m, ss) = h.moments();
    if n == 0.0 {
        return None;
    }
    if n < 2.0 {
        return Some(Mean { n: n as u64, mean: m, sd: None, interval: None });
    }
    let sd = (ss / (n - 1.0)).sqrt();
    let half = t95(n - 1.0) * sd / n.sqrt();
    Some(Mean { n: n as u64, mean: m, sd: Some(sd), interval: Some((m - half, m + half)) })
}

/// The outcome of testing whether a measure changed between two periods.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChangeTest {
    /// Current minus previous, in the measure's unit.
    pub delta: f64,
    /// Two-sided p-value of "no change".
    pub p_value: f64,
    pub significant: bool,
}

fn normal_two_sided(z: f64) -> f64 {
    erfc(z.abs() / std::f64::consts::SQRT_2)
}

fn from_z(delta: f64, se: f64) -> ChangeTest {
    let p_value = if se > 0.0 {
        normal_two_sided(delta / se)
    } else if delta == 0.0 {
        1.0
    } else {
        0.0
    };
    ChangeTest { delta, p_value, significant: p_value < ALPHA }
}

/// Change in NPS points, tested with a z-test on the pooled variance of the
/// per-respondent value (the null hypothesis is "same distribution").
pub fn nps_change(cur: &Histogram, prev: &Histogram) -> Option<ChangeTest> {
    let (a, b) = (nps(cur)?, nps(prev)?);
    let n = (a.n + b.n) as f64;
    let p = (a.promoters + b.promoters) as f64 / n;
    let d = (a.detractors + b.detractors) as f64 / n;
    let var = (p + d - (p - d).powi(2)).max(0.0);
    let se = (var * (1.0 / a.n as f64 + 1.0 / b.n as f64)).sqrt() * 100.0;
    Some(from_z(a.score - b.score, se))
}

/// Change in a percentage, tested with the pooled two-proportion z-test.
pub fn proportion_change(k1: u64, n1: u64, k0: u64, n0: u64) -> Option<ChangeTest> {
    if n1 == 0 || n0 == 0 || k1 > n1 || k0 > n0 {
        return None;
    }
    let pooled = (k1 + k0) as f64 / (n1 + n0) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n0 as f64)).sqrt() * 100.0;
    let delta = (k1 as f64 / n1 as f64 - k0 as f64 / n0 as f64) * 100.0;
    Some(from_z(delta, se))
}

/// Change in a mean, tested with Welch's t-test (unequal variances).
/// Needs at least two observations in each period.
pub fn mean_change(cur: &Histogram, prev: &Histogram) -> Option<ChangeTest> {
    let (a, b) = (mean(cur)?, mean(prev)?);
    let (sa, sb) = (a.sd?, b.sd?);
    let (va, vb) = (sa * sa / a.n as f64, sb * sb / b.n as f64);
    let delta = a.mean - b.mean;
    let se = (va + vb).sqrt();
    if se == 0.0 {
        return Some(from_z(delta, 0.0));
    }
    let df = (va + vb).powi(2) / (va * va / (a.n as f64 - 1.0) + vb * vb / (b.n as f64 - 1.0));
    let t = delta / se;
    let p_value =
        StudentsT::new(0.0, 1.0, df).map(|d| 2.0 * (1.0 - d.cdf(t.abs()))).unwrap_or_else(|_| normal_two_sided(t));
    Some(ChangeTest { delta, p_value, significant: p_value < ALPHA })
}

/// A difference between two independent groups with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Difference {
    /// Group A minus group B, in the measure's unit.
    pub delta: f64,
    pub low: f64,
    pub high: f64,
    pub n_a: u64,
    pub n_b: u64,
}

fn difference_from(delta: f64, half: f64, n_a: u64, n_b: u64) -> Difference {
    Difference { delta, low: delta - half, high: delta + half, n_a, n_b }
}

/// NPS of group A minus NPS of group B, in points; the interval uses the
/// unpooled variances (p + d − (p − d)²) of the two groups.
pub fn nps_difference(a: &Histogram, b: &Histogram) -> Option<Difference> {
    let (x, y) = (nps(a)?, nps(b)?);
    let var = |r: &Nps| {
        let (p, d) = (r.promoters as f64 / r.n as f64, r.detractors as f64 / r.n as f64);
        (p + d - (p - d).powi(2)).max(0.0) / r.n as f64
    };
    let se = (var(&x) + var(&y)).sqrt() * 100.0;
    Some(difference_from(x.score - y.score, Z95 * se, x.n, y.n))
}

/// The share of scores in `lo..=hi` in group A minus group B, in points,
/// with a Wald interval on the unpooled variances.
pub fn share_difference(a: &Histogram, b: &Histogram, lo: i32, hi: i32) -> Option<Difference> {
    let (na, nb) = (a.n(), b.n());
    if na == 0 || nb == 0 {
        return None;
    }
    let (pa, pb) = (a.count_between(lo, hi) as f64 / na as f64, b.count_between(lo, hi) as f64 / nb as f64);
    let se = (pa * (1.0 - pa) / na as f64 + pb * (1.0 - pb) / nb as f64).sqrt() * 100.0;
    Some(difference_from((pa - pb) * 100.0, Z95 * se, na, nb))
}

/// Mean of group A minus mean of group B, with a Welch t interval. Needs
/// two scores in each group.
pub fn mean_difference(a: &Histogram, b: &Histogram) -> Option<Difference> {
    let (x, y) = (mean(a)?, mean(b)?);
    let (sx, sy) = (x.sd?, y.sd?);
    let (vx, vy) = (sx * sx / x.n as f64, sy * sy / y.n as f64);
    let se = (vx + vy).sqrt();
    let t = if se > 0.0 {
        let df = (vx + vy).powi(2) / (vx * vx / (x.n as f64 - 1.0) + vy * vy / (y.n as f64 - 1.0));
        t95(df)
    } else {
        Z95
    };
    Some(difference_from(x.mean - y.mean, t * se, x.n, y.n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) {
        assert!((a - b).abs() <= tol, "{a} is not within {tol} of {b}");
    }

    fn nps_hist(promoters: u64, passives: u64, detractors: u64) -> Histogram {
        let mut h = Histogram::new();
        h.add(10, promoters);
        h.add(7, passives);
        h.add(3, detractors);
        h
    }

    #[test]
    fn nps_matches_a_hand_computed_example() {
        // 5 promoters, 3 passives, 2 detractors: NPS 30; var = .5+.2-.3² = .61;
        // margin = 1.96 * sqrt(.61/10) * 100 = 48.41.
        let r = nps(&nps_hist(5, 3, 2)).unwrap();
        assert_eq!((r.n, r.promoters, r.passives, r.detractors), (10, 5, 3, 2));
        close(r.score, 30.0, 1e-9);
        close(r.margin, 48.408, 0.01);
        close(r.low, -18.408, 0.01);
        close(r.high, 78.408, 0.01);
    }

    #[test]
    fn nps_counts_the_boundaries_right() {
        let h = Histogram::from_scores(&[0, 6, 7, 8, 9, 10]);
        let r = nps(&h).unwrap();
        assert_eq!((r.detractors, r.passives, r.promoters), (2, 2, 2));
        close(r.score, 0.0, 1e-12);
    }

    #[test]
    fn nps_of_nothing_is_absent_and_all_promoters_has_no_margin() {
        assert!(nps(&Histogram::new()).is_none());
        let r = nps(&nps_hist(4, 0, 0)).unwrap();
        close(r.score, 100.0, 1e-12);
        close(r.margin, 0.0, 1e-12);
        assert_eq!(r.high, 100.0);
    }

    #[test]
    fn nps_interval_is_clamped_to_the_scale() {
        let r = nps(&nps_hist(2, 0, 1)).unwrap();
        assert!(r.high <= 100.0 && r.low >= -100.0);
    }

    #[test]
    fn wilson_interval_matches_a_hand_computed_example() {
        // 8 of 10: Wilson 95% interval (49.02%, 94.33%).
        let e = proportion(8, 10).unwrap();
        close(e.value, 80.0, 1e-9);
        close(e.low, 49.02, 0.01);
        close(e.high, 94.33, 0.01);
    }

    #[test]
    fn wilson_interval_handles_zero_and_all() {
        let e = proportion(0, 5).unwrap();
        assert_eq!(e.low, 0.0);
        assert!(e.high > 0.0 && e.high < 100.0);
        let e = proportion(5, 5).unwrap();
        assert_eq!(e.high, 100.0);
        assert!(e.low > 0.0);
        assert!(proportion(0, 0).is_none());
    }

    #[test]
    fn mean_interval_uses_student_t() {
        // 1..5: mean 3, sd sqrt(2.5), t(.975, 4) = 2.776445, half = 1.963243.
        let m = mean(&Histogram::from_scores(&[1, 2, 3, 4, 5])).unwrap();
        close(m.mean, 3.0, 1e-12);
        close(m.sd.unwrap(), 2.5f64.sqrt(), 1e-12);
        let (lo, hi) = m.interval.unwrap();
        close(lo, 1.036757, 1e-5);
        close(hi, 4.963243, 1e-5);
    }

    #[test]
    fn mean_of_one_has_no_interval() {
        let m = mean(&Histogram::from_scores(&[4])).unwrap();
        assert_eq!(m.interval, None);
        assert!(mean(&Histogram::new()).is_none());
    }

    #[test]
    fn welch_test_matches_a_hand_computed_example() {
        // Means 5 and 3, both variance 2.5 with n 5: se 1, t 2, df 8, p 0.0805.
        let t =
            mean_change(&Histogram::from_scores(&[3, 4, 5, 6, 7]), &Histogram::from_scores(&[1, 2, 3, 4, 5])).unwrap();
        close(t.delta, 2.0, 1e-12);
        close(t.p_value, 0.0805, 0.0005);
        assert!(!t.significant);
    }

    #[test]
    fn two_proportion_test_matches_a_hand_computed_example() {
        // 60/100 vs 45/100: pooled .525, se .070622, z 2.124, p 0.0337.
        let t = proportion_change(60, 100, 45, 100).unwrap();
        close(t.delta, 15.0, 1e-9);
        close(t.p_value, 0.0337, 0.0005);
        assert!(t.significant);
    }

    #[test]
    fn nps_change_matches_a_hand_computed_example() {
        // Now 50 P / 10 D of 100 (NPS 40), before 30 P / 30 D of 100 (NPS 0).
        // Pooled p .4, d .2, var .56, se sqrt(.56*.02) = .10583, z 3.7796, p 0.000157.
        let t = nps_change(&nps_hist(50, 40, 10), &nps_hist(30, 40, 30)).unwrap();
        close(t.delta, 40.0, 1e-9);
        close(t.p_value, 0.000157, 0.00001);
        assert!(t.significant);
    }

    #[test]
    fn no_change_is_never_significant() {
        let h = nps_hist(3, 3, 3);
        let t = nps_change(&h, &h).unwrap();
        assert_eq!(t.delta, 0.0);
        assert!(!t.significant);
        let same = Histogram::from_scores(&[4, 4, 4]);
        assert!(!mean_change(&same, &same).unwrap().significant);
        assert!(nps_change(&h, &Histogram::new()).is_none());
    }

    #[test]
    fn nps_difference_matches_a_hand_computed_example() {
        // A: 50 P, 10 D of 100 (NPS 40, var .6 - .16 = .44); B: 30 P, 30 D of 100 (NPS 0, var .6).
        // se = sqrt(.44/100 + .6/100) * 100 = 10.198; half = 1.96 * 10.198 = 19.99.
        let d = nps_difference(&nps_hist(50, 40, 10), &nps_hist(30, 40, 30)).unwrap();
        close(d.delta, 40.0, 1e-9);
        close(d.high - d.delta, 19.988, 0.01);
        assert_eq!((d.n_a, d.n_b), (100, 100));
        assert!(nps_difference(&nps_hist(1, 0, 0), &Histogram::new()).is_none());
    }

    #[test]
    fn share_and_mean_differences_match_hand_computed_examples() {
        // 60/100 vs 45/100: se = sqrt(.24/100 + .2475/100) * 100 = 6.982; half = 13.68.
        let mut a = Histogram::new();
        a.add(5, 60);
        a.add(1, 40);
        let mut b = Histogram::new();
        b.add(5, 45);
        b.add(1, 55);
        let d = share_difference(&a, &b, 4, 5).unwrap();
        close(d.delta, 15.0, 1e-9);
        close(d.high - d.delta, 13.685, 0.01);
        // Means 5 and 3, variances 2.5, n 5: se 1, Welch df 8, t(.975, 8) = 2.306.
        let m = mean_difference(&Histogram::from_scores(&[3, 4, 5, 6, 7]), &Histogram::from_scores(&[1, 2, 3, 4, 5]))
            .unwrap();
        close(m.delta, 2.0, 1e-12);
        close(m.high - m.delta, 2.306, 0.001);
    }

    #[test]
    fn small_samples_are_not_flagged() {
        // 2/3 vs 1/3 is a big swing on tiny n: not significant.
        let t = proportion_change(2, 3, 1, 3).unwrap();
        assert!(!t.significant);
    }
}
