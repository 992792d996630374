//! `cxloop text …`: sentiment for files of texts, and the evaluation and
//! training of the shipped sentiment model against labelled sentence sets.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use cxloop_text::eval::{Example, cross_validate, evaluate, parse_labelled, train};
use cxloop_text::model::{Model, Train};
use cxloop_text::{Analyzer, Label};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum TextCommand {
    /// Prints `label<TAB>score` for each input line, in order.
    Sentiment {
        /// One text per line; `-` reads standard input.
        #[arg(long)]
        input: String,
        /// Also print the reasons (words and rules) as JSON.
        #[arg(long)]
        explain: bool,
    },
    /// Prints the themes of each input line (default taxonomy), comma-separated.
    Themes {
        /// One text per line; `-` reads standard input.
        #[arg(long)]
        input: String,
    },
    /// Accuracy and macro-F1 per labelled set: the shipped rules without
    /// learning, and the learned model by k-fold cross-validation.
    Eval {
        /// Folder of `*_labelled.txt` files (`sentence<TAB>0|1` lines).
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value_t = 10)]
        folds: usize,
        /// A three-class check set (`sentence<TAB>positive|neutral|negative`).
        #[arg(long, default_value = "crates/text/eval/cx-check.tsv")]
        check: PathBuf,
    },
    /// Trains the sentiment model on every labelled set and writes it.
    Train {
        #[arg(long)]
        data: PathBuf,
        /// Where to write the model (the shipped one is crates/text/model/sentiment.tsv).
        #[arg(long)]
        out: PathBuf,
    },
}

fn read_sets(dir: &Path) -> Result<Vec<(String, Vec<Example>)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("_labelled.txt")))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no *_labelled.txt files in {}", dir.display());
    }
    files
        .iter()
        .map(|f| {
            let content = std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
            let examples = parse_labelled(&content).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?;
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("?").trim_end_matches("_labelled.txt");
            Ok((name.split('_').next().unwrap_or(name).to_string(), examples))
        })
        .collect()
}

fn print_table(title: &str, rows: &[(String, cxloop_text::eval::Scores)]) {
    println!("{title}");
    println!("  {:<10} {:>6} {:>9} {:>9}", "set", "n", "accuracy", "macro-F1");
    for (name, s) in rows {
        println!("  {:<10} {:>6} {:>8.1}% {:>9.3}", name, s.n, s.accuracy * 100.0, s.macro_f1);
    }
    let n: usize = rows.iter().map(|(_, s)| s.n).sum();
    let acc: f64 = rows.iter().map(|(_, s)| s.accuracy * s.n as f64).sum::<f64>() / n.max(1) as f64;
    println!("  {:<10} {:>6} {:>8.1}%", "pooled", n, acc * 100.0);
}

fn open_input(input: &str) -> Result<Box<dyn BufRead>> {
    Ok(if input == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(input).with_context(|| format!("cannot open {input}"))?))
    })
}

pub fn run(cmd: TextCommand) -> Result<()> {
    match cmd {
        TextCommand::Themes { input } => {
            let tax = cxloop_text::Taxonomy::default_cx();
            let matcher = tax.compile();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for (n, line) in open_input(&input)?.split(b'\n').enumerate() {
                let line = line.with_context(|| format!("cannot read line {}", n + 1))?;
                let text = String::from_utf8_lossy(&line);
                let names: Vec<&str> = matcher.tag(&text).into_iter().map(|i| tax.themes[i].name.as_str()).collect();
                writeln!(out, "{}", names.join(","))?;
            }
            out.flush()?;
            Ok(())
        }
        TextCommand::Sentiment { input, explain } => {
            let analyzer = Analyzer::default();
            let reader = open_input(&input)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for (n, line) in reader.split(b'\n').enumerate() {
                let line = line.with_context(|| format!("cannot read line {}", n + 1))?;
                let text = String::from_utf8_lossy(&line);
                let s = analyzer.analyze(text.trim_end_matches('\r'));
                let label = if s.label == Label::NotAnalysed { "not_analysed" } else { s.label.as_str() };
                if explain {
                    writeln!(out, "{label}\t{:.3}\t{}", s.score, serde_json::to_string(&s.reasons)?)?;
                } else {
                    writeln!(out, "{label}\t{:.3}", s.score)?;
                }
            }
            out.flush()?;
            Ok(())
        }
        TextCommand::Eval { data, folds, check } => {
            let sets = read_sets(&data)?;
            let started = std::time::Instant::now();
            print_table(
                "rules and lexicon only (no learning):",
                &evaluate(&Analyzer::with_model(Model::lexicon_only()), &sets),
            );
            print_table(
                &format!(
                    "rules + learned model, {folds}-fold cross-validation (each fold scored by a model that never saw it):"
                ),
                &cross_validate(&sets, folds, Train::default()),
            );
            println!(
                "(binary mapping: neutral answers count by the sign of their score, ties positive; {:.1}s)",
                started.elapsed().as_secs_f64()
            );
            match std::fs::read_to_string(&check) {
                Ok(content) => {
                    let analyzer = Analyzer::default();
                    let mut pairs = Vec::new();
                    for (n, line) in content.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                        let (text, gold) = line
                            .rsplit_once('\t')
                            .ok_or_else(|| anyhow::anyhow!("{}: line {}: no TAB", check.display(), n + 1))?;
                        let gold = gold.trim().to_string();
                        if !["positive", "neutral", "negative"].contains(&gold.as_str()) {
                            bail!(
                                "{}: line {}: label {gold:?} is not positive, neutral or negative",
                                check.display(),
                                n + 1
                            );
                        }
                        pairs.push((analyzer.analyze(text).label.as_str().to_string(), gold));
                    }
                    let refs: Vec<(&str, &str)> = pairs.iter().map(|(p, g)| (p.as_str(), g.as_str())).collect();
                    let s = cxloop_text::eval::score3(&refs);
                    println!(
                        "shipped model, three classes, on {} ({} customer-feedback sentences written for this project \
                         and looked at during development, so not a held-out measure):",
                        check.display(),
                        s.n
                    );
                    println!("  accuracy {:.1}%, macro-F1 {:.3}", s.accuracy * 100.0, s.macro_f1);
                }
                Err(_) => println!("(no three-class check set at {})", check.display()),
            }
            Ok(())
        }
        TextCommand::Train { data, out } => {
            let sets = read_sets(&data)?;
            let all: Vec<&Example> = sets.iter().flat_map(|(_, e)| e.iter()).collect();
            let model = train(&all, Train::default());
            std::fs::write(&out, model.to_tsv()).with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "trained on {} sentences; {} weights written to {}",
                all.len(),
                model.weights.len(),
                out.display()
            );
            Ok(())
        }
    }
}
