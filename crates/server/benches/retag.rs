//! Re-tagging after a taxonomy edit: loads N responses with a comment each,
//! saves a new taxonomy version, and times the re-tagging of every stored
//! comment under it (what the `retag` background job runs).
//!
//! cargo bench -p cxloop-server --bench retag -- [--backend sqlite|postgres] [--n 1000000]

// A harness, not product code: any failure should stop it loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use cxloop_store::NewResponse;
use cxloop_store::testing::TempDatabase;
use std::time::Instant;

mod support;

const COMMENTS: [&str; 6] = [
    "Support answered within the hour and solved it",
    "The dashboard takes ages to load in the mornings",
    "We were charged twice after the renewal",
    "Getting started was confusing; the docs skip steps",
    "The customer portal logs me out every hour",
    "It just works, day after day",
];

fn main() {
    let n = support::arg("--n", 200_000);
    let backend = support::backend();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async move {
        let db = TempDatabase::new(backend).await.expect("PostgreSQL is unreachable");
        let store = cxloop_store::open(&db.url).await.expect("store");
        let questions = vec![
            cxloop_core::Question::new("nps", cxloop_core::QuestionType::Nps, "Recommend?"),
            cxloop_core::Question::new("why", cxloop_core::QuestionType::Text, "Why?"),
        ];
        let survey = support::active_survey(store.as_ref(), "retag", "Retag", questions).await;
        let now = time::OffsetDateTime::now_utc();
        let started = Instant::now();
        let mut done = 0;
        while done < n {
            let batch: Vec<NewResponse> = (done..(done + 10_000).min(n))
                .map(|i| {
                    let mut answers = cxloop_core::Answers::new();
                    answers.insert("nps".into(), cxloop_core::AnswerValue::Score((i % 11) as i32));
                    answers.insert("why".into(), cxloop_core::AnswerValue::Text(format!("{} #{i}", COMMENTS[i % 6])));
                    NewResponse {
                        id: cxloop_core::ids::ResponseId::new(),
                        survey: survey.clone(),
                        customer: None,
                        submitted_at: now - time::Duration::seconds(i as i64 * 30),
                        channel: "import".into(),
                        answers,
                        touchpoint: None,
                        context: None,
                    }
                })
                .collect();
            done += store.insert_responses(&batch).await.expect("load") as usize;
        }
        println!(
            "backend {}: loaded {n} commented responses in {:.1}s",
            store.backend(),
            started.elapsed().as_secs_f64()
        );
        let mut tax = cxloop_text::Taxonomy::default_cx();
        tax.themes.push(cxloop_text::Theme {
            key: "customer-portal".into(),
            name: "Customer portal".into(),
            parent: None,
            words: vec![],
            phrases: vec!["customer portal".into()],
            exclude: vec![],
        });
        let v =
            store.save_taxonomy(&serde_json::to_value(&tax).expect("json"), Some("bench"), None).await.expect("save");
        let started = Instant::now();
        let tagged = cxloop_server::kernel::textwork::retag(store.as_ref(), v.version).await.expect("retag");
        let secs = started.elapsed().as_secs_f64();
        println!(
            "re-tagged {tagged} comments under version {} in {secs:.1}s: {:.0} comments/s",
            v.version,
            tagged as f64 / secs
        );
    });
}
