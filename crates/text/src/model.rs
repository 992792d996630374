//! A logistic-regression model over the features of `sentiment::extract`,
//! trained by this crate's own code (AdaGrad with L2), serialised as
//! `feature<TAB>weight` lines. The shipped model (`model/sentiment.tsv`) is
//! compiled into the binary; `cxloop text train` rebuilds it and
//! `cxloop text eval` reports cross-validated accuracy.

use std::collections::HashMap;
use std::sync::OnceLock;

pub type Weights = crate::lexicon::FastMap<String, f32>;

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub bias: f32,
    pub weights: Weights,
}

const SHIPPED: &str = include_str!("../model/sentiment.tsv");

/// Training settings.
#[derive(Debug, Clone, Copy)]
pub struct Train {
    pub epochs: usize,
    pub rate: f32,
    pub l2: f32,
    /// Features seen in fewer training texts are dropped.
    pub min_count: usize,
    pub seed: u64,
}

impl Default for Train {
    fn default() -> Self {
        Train { epochs: 25, rate: 0.3, l2: 1e-4, min_count: 2, seed: 42 }
    }
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

impl Model {
    /// The model compiled into the binary (lexicon-only if it is empty).
    pub fn shipped() -> &'static Model {
        static M: OnceLock<Model> = OnceLock::new();
        M.get_or_init(|| Model::parse(SHIPPED).unwrap_or_else(|_| Model::lexicon_only()))
    }

    /// A model that uses only the rule-based lexicon score.
    pub fn lexicon_only() -> Model {
        Model { bias: 0.0, weights: [("lex".to_string(), 4.0)].into_iter().collect() }
    }

    /// The logit and each fired feature's contribution to it (by index).
    pub fn explain(&self, features: &[(String, f32)]) -> (f32, Vec<(usize, f32)>) {
        let mut z = self.bias;
        let mut out = Vec::with_capacity(features.len());
        for (i, (f, x)) in features.iter().enumerate() {
            if let Some(w) = self.weights.get(f) {
                z += w * x;
                out.push((i, w * x));
            }
        }
        (z, out)
    }

    pub fn logit(&self, features: &[(String, f32)]) -> f32 {
        self.bias + features.iter().filter_map(|(f, x)| self.weights.get(f).map(|w| w * x)).sum::<f32>()
    }

    /// Fits weights to `(features, positive?)` examples.
    pub fn train(examples: &[(Vec<(String, f32)>, bool)], t: Train) -> Model {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (fs, _) in examples {
            for (f, _) in fs {
                *counts.entry(f.as_str()).or_default() += 1;
            }
        }
        let keep = |f: &str| f == "lex" || counts.get(f).is_some_and(|&n| n >= t.min_count);
        let mut m = Model::default();
        let mut g2: Weights = Weights::default();
        let mut bias_g2 = 0.0f32;
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut state = t.seed.max(1);
        for _ in 0..t.epochs {
            // Fisher–Yates with a xorshift generator: deterministic per seed.
            for i in (1..order.len()).rev() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                order.swap(i, (state % (i as u64 + 1)) as usize);
            }
            for &i in &order {
                let (fs, y) = &examples[i];
                let p = sigmoid(m.logit(fs));
                let err = p - if *y { 1.0 } else { 0.0 };
                bias_g2 += err * err;
                m.bias -= t.rate * err / (bias_g2.sqrt() + 1e-8);
                for (f, x) in fs.iter().filter(|(f, _)| keep(f)) {
                    let w = m.weights.entry(f.clone()).or_insert(0.0);
                    let g = err * x + t.l2 * *w;
                    let acc = g2.entry(f.clone()).or_insert(0.0);
                    *acc += g * g;
                    *w -= t.rate * g / (acc.sqrt() + 1e-8);
                }
            }
        }
        m.weights.retain(|_, w| w.abs() > 1e-3);
        m
    }

    /// `bias<TAB>b` then `feature<TAB>weight` lines, sorted for stable diffs.
    pub fn to_tsv(&self) -> String {
        let mut lines: Vec<(&String, &f32)> = self.weights.iter().collect();
        lines.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = format!("#bias\t{:.5}\n", self.bias);
        for (f, w) in lines {
            out.push_str(&format!("{f}\t{w:.5}\n"));
        }
        out
    }

    pub fn parse(tsv: &str) -> Result<Model, String> {
        let mut m = Model::default();
        for (n, line) in tsv.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let (f, w) = line.rsplit_once('\t').ok_or_else(|| format!("line {}: no tab", n + 1))?;
            let w: f32 = w.trim().parse().map_err(|_| format!("line {}: bad weight", n + 1))?;
            if f == "#bias" {
                m.bias = w;
            } else {
                m.weights.insert(f.to_string(), w);
            }
        }
        if m.weights.is_empty() {
            return Err("the model has no weights".into());
        }
        Ok(m)
    }
}
