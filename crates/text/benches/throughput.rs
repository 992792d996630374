//! Text analytics throughput on one core: customer comments per second for
//! sentiment with explanations, and for sentiment plus themes (what the
//! product computes for every comment).
//!
//! cargo bench -p cxloop-text --bench throughput -- [--n 200000]

use cxloop_text::Analyzer;
use std::time::Instant;

const PARTS: [&str; 12] = [
    "Support answered within the hour and solved it",
    "The dashboard takes ages to load in the mornings",
    "Fair price, no surprises at renewal",
    "Getting started was confusing; the docs skip steps",
    "I had to explain my issue three times",
    "Not bad at all, really easy to set up",
    "The new billing portal is a mess!!",
    "Great product but too expensive for a team our size",
    "Invoice arrived on Monday",
    "LOVE the new reports :)",
    "Nobody got back to me after the first reply",
    "It just works, day after day",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args
        .iter()
        .position(|a| a == "--n")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    // Distinct texts: pairs of parts with a counter, so nothing is cached.
    let texts: Vec<String> = (0..n)
        .map(|i| format!("{}. {} #{i}", PARTS[i % PARTS.len()], PARTS[(i / PARTS.len()) % PARTS.len()]))
        .collect();
    let words: usize = texts.iter().map(|t| t.split_whitespace().count()).sum();
    let analyzer = Analyzer::default();
    analyzer.analyze("warm up the lexicon and the model");
    let started = Instant::now();
    let mut positive = 0usize;
    for t in &texts {
        if analyzer.analyze(t).score > 0.0 {
            positive += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let tax = cxloop_text::Taxonomy::default_cx();
    let matcher = tax.compile();
    let started = Instant::now();
    let mut tagged = 0usize;
    for t in &texts {
        let (s, themes) = analyzer.analyze_with_themes(t, Some(&matcher));
        tagged += themes.len() + usize::from(s.score > 0.0);
    }
    let both = started.elapsed().as_secs_f64();
    println!(
        "sentiment with reasons + themes: {n} comments in {both:.2}s on one core: {:.0} comments/s ({tagged} tags)",
        n as f64 / both
    );
    // Short comments: one sentence each.
    let short: Vec<String> = (0..n).map(|i| format!("{} #{i}", PARTS[i % PARTS.len()])).collect();
    let short_words: usize = short.iter().map(|t| t.split_whitespace().count()).sum();
    let started = Instant::now();
    let mut tags = 0usize;
    for t in &short {
        tags += analyzer.analyze_with_themes(t, Some(&matcher)).1.len();
    }
    let secs_short = started.elapsed().as_secs_f64();
    println!(
        "short comments ({:.1} words each), sentiment with reasons + themes: {:.0} comments/s on one core ({tags} tags)",
        short_words as f64 / n as f64,
        n as f64 / secs_short
    );
    println!(
        "sentiment with reasons: {n} comments ({:.1} words each) in {secs:.2}s on one core: {:.0} comments/s ({positive} positive)",
        words as f64 / n as f64,
        n as f64 / secs
    );
}
