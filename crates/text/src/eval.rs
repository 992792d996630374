//! Evaluation: reading labelled sentences, k-fold cross-validation, and
//! accuracy / macro-F1 with a binary mapping of three-class answers (a
//! neutral answer counts by the sign of its score, ties positive — the same
//! mapping the VADER baseline figures use).

use crate::model::{Model, Train};
use crate::sentiment::{Analyzer, extract};

/// One labelled sentence.
#[derive(Debug, Clone)]
pub struct Example {
    pub text: String,
    pub positive: bool,
}

/// Parses `sentence<TAB>label` lines (label 0 or 1, after the last tab);
/// lines are split on `\n` only. Errors name the line.
pub fn parse_labelled(content: &str) -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    for (n, line) in content.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let (text, label) = line.rsplit_once('\t').ok_or_else(|| format!("line {}: no TAB before the label", n + 1))?;
        let positive = match label.trim() {
            "1" => true,
            "0" => false,
            other => return Err(format!("line {}: label {other:?} is not 0 or 1", n + 1)),
        };
        out.push(Example { text: text.trim().to_string(), positive });
    }
    Ok(out)
}

/// Accuracy and macro-F1 of binary predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub n: usize,
    pub accuracy: f64,
    pub macro_f1: f64,
}

pub fn score(pairs: &[(bool, bool)]) -> Scores {
    let n = pairs.len();
    let count = |p: bool, y: bool| pairs.iter().filter(|(pp, yy)| *pp == p && *yy == y).count() as f64;
    let (tp, tn, fp, fneg) = (count(true, true), count(false, false), count(true, false), count(false, true));
    let f1 = |tp: f64, fp: f64, fneg: f64| if tp == 0.0 { 0.0 } else { 2.0 * tp / (2.0 * tp + fp + fneg) };
    Scores {
        n,
        accuracy: if n == 0 { 0.0 } else { (tp + tn) / n as f64 },
        macro_f1: (f1(tp, fp, fneg) + f1(tn, fneg, fp)) / 2.0,
    }
}

/// The binary answer: positive unless the score is below zero.
pub fn predict_positive(analyzer: &Analyzer, text: &str) -> bool {
    analyzer.analyze(text).score >= 0.0
}

/// Trains a model on examples.
pub fn train(examples: &[&Example], t: Train) -> Model {
    let data: Vec<_> = examples.iter().map(|e| (extract(&e.text).features, e.positive)).collect();
    Model::train(&data, t)
}

/// Cross-validated scores per set: for each of `k` folds of each set, a
/// model is trained on every other example (the other sets and the other
/// folds) and scored on the held-out fold only.
pub fn cross_validate(sets: &[(String, Vec<Example>)], k: usize, t: Train) -> Vec<(String, Scores)> {
    let k = k.max(2);
    let mut preds: Vec<Vec<(bool, bool)>> = sets.iter().map(|_| Vec::new()).collect();
    for fold in 0..k {
        let train_set: Vec<&Example> = sets
            .iter()
            .flat_map(|(_, ex)| ex.iter().enumerate().filter(|(i, _)| i % k != fold).map(|(_, e)| e))
            .collect();
        let analyzer = Analyzer::with_model(train(&train_set, t));
        for (s, (_, ex)) in sets.iter().enumerate() {
            for e in ex.iter().enumerate().filter(|(i, _)| i % k == fold).map(|(_, e)| e) {
                preds[s].push((predict_positive(&analyzer, &e.text), e.positive));
            }
        }
    }
    sets.iter().zip(preds).map(|((name, _), p)| (name.clone(), score(&p))).collect()
}

/// Scores of one fixed analyzer per set (no training involved).
pub fn evaluate(analyzer: &Analyzer, sets: &[(String, Vec<Example>)]) -> Vec<(String, Scores)> {
    sets.iter()
        .map(|(name, ex)| {
            let p: Vec<(bool, bool)> = ex.iter().map(|e| (predict_positive(analyzer, &e.text), e.positive)).collect();
            (name.clone(), score(&p))
        })
        .collect()
}

/// Three-class accuracy and macro-F1 (positive, neutral, negative) of
/// `(predicted, gold)` labels.
pub fn score3(pairs: &[(&str, &str)]) -> Scores {
    let n = pairs.len();
    let correct = pairs.iter().filter(|(p, g)| p == g).count();
    let f1 = |c: &str| {
        let tp = pairs.iter().filter(|(p, g)| *p == c && *g == c).count() as f64;
        let fp = pairs.iter().filter(|(p, g)| *p == c && *g != c).count() as f64;
        let fneg = pairs.iter().filter(|(p, g)| *p != c && *g == c).count() as f64;
        if tp == 0.0 { 0.0 } else { 2.0 * tp / (2.0 * tp + fp + fneg) }
    };
    Scores {
        n,
        accuracy: if n == 0 { 0.0 } else { correct as f64 / n as f64 },
        macro_f1: (f1("positive") + f1("neutral") + f1("negative")) / 3.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labelled_lines_parse_and_errors_name_the_line() {
        let ex = parse_labelled("Good case, Excellent value.\t1\nA very slow movie.  \t0\n").unwrap();
        assert_eq!(ex.len(), 2);
        assert_eq!(ex[1].text, "A very slow movie.");
        assert!(!ex[1].positive);
        assert_eq!(parse_labelled("ok\t1\nbad line\n").unwrap_err(), "line 2: no TAB before the label");
        assert!(parse_labelled("x\t2").unwrap_err().contains("line 1"));
    }

    #[test]
    fn three_class_scores_match_hand_computation() {
        // gold pos,pos,neu,neg; predicted pos,neu,neu,pos: accuracy 2/4.
        // F1 pos: tp1 fp1 fn1 = .5; neu: tp1 fp1 fn0 = 2/3; neg: 0. macro = (1/2 + 2/3) / 3.
        let s = score3(&[
            ("positive", "positive"),
            ("neutral", "positive"),
            ("neutral", "neutral"),
            ("positive", "negative"),
        ]);
        assert!((s.accuracy - 0.5).abs() < 1e-12);
        assert!((s.macro_f1 - (0.5 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn accuracy_and_macro_f1_match_hand_computation() {
        // 3 TP, 1 FN, 1 FP, 5 TN: accuracy 8/10; F1+ = 6/8 = .75, F1- = 10/12 = .8333.
        let mut p = vec![(true, true); 3];
        p.push((false, true));
        p.push((true, false));
        p.extend(vec![(false, false); 5]);
        let s = score(&p);
        assert!((s.accuracy - 0.8).abs() < 1e-12);
        assert!((s.macro_f1 - (0.75 + 10.0 / 12.0) / 2.0).abs() < 1e-12);
    }
}
