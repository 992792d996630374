//! Listening channels at volume: importing N reviews from a CSV export
//! (checking every row, then writing them in one transaction), importing
//! the same export again (every row recognised by its id and left out), and
//! queueing N email invitations under the contact rule and unsubscribes.
//!
//! cargo bench -p cxloop-server --bench channels -- [--backend sqlite|postgres] [--n 100000]

// A harness, not product code: any failure should stop it loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use cxloop_server::features::feedback::service::{Format, plan, skip_imported};
use cxloop_store::NewInvitation;
use cxloop_store::testing::TempDatabase;
use std::collections::HashMap;
use std::time::Instant;

mod support;

const REVIEWS: [&str; 5] = [
    "Support answered within the hour and solved it",
    "The dashboard takes ages to load in the mornings, please fix",
    "We were charged twice after the renewal",
    "Getting started was confusing; the docs skip steps",
    "It just works, day after day",
];

fn main() {
    let n = support::arg("--n", 100_000);
    let backend = support::backend();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async move {
        let db = TempDatabase::new(backend).await.expect("PostgreSQL is unreachable");
        let store = cxloop_store::open(&db.url).await.expect("store");
        let mut stars = cxloop_core::Question::new("stars", cxloop_core::QuestionType::Rating, "Stars");
        (stars.min, stars.max) = (Some(1), Some(5));
        let questions = vec![stars, cxloop_core::Question::new("review", cxloop_core::QuestionType::Text, "Review")];
        let survey = support::active_survey(store.as_ref(), "reviews", "Reviews", questions).await;
        let now = time::OffsetDateTime::now_utc();

        let mut csv = String::from("Review ID,Date,Rating,Review,Reviewer\n");
        for i in 0..n {
            let day = time::Date::from_ordinal_date(2026, (i % 300) as u16 + 1).unwrap();
            csv.push_str(&format!("r{i},{day},{},\"{} #{i}\",user{}\n", i % 5 + 1, REVIEWS[i % 5], i % 977));
        }
        let map = HashMap::from([("Reviewer".to_string(), "author".to_string())]);
        let started = Instant::now();
        let mut p = plan(csv.as_bytes(), Format::Csv, &survey, "app-store", &map, now).expect("plan");
        let checked = started.elapsed();
        skip_imported(store.as_ref(), &survey, &mut p).await.expect("known ids");
        let items: Vec<_> = p.items.into_iter().map(|(_, r)| r).collect();
        store.insert_responses(&items).await.expect("insert");
        let total = started.elapsed();
        println!(
            "{} feedback import of {n} reviews ({:.1} MB CSV): checked in {:.2}s, imported in {:.2}s = {:.0} rows/s",
            store.backend(),
            csv.len() as f64 / 1e6,
            checked.as_secs_f64(),
            total.as_secs_f64(),
            n as f64 / total.as_secs_f64()
        );
        let started = Instant::now();
        let mut again = plan(csv.as_bytes(), Format::Csv, &survey, "app-store", &map, now).expect("plan");
        skip_imported(store.as_ref(), &survey, &mut again).await.expect("known ids");
        assert_eq!((again.items.len(), again.already_imported.len()), (0, n));
        println!(
            "{} the same export again: all {n} recognised and left out in {:.2}s",
            store.backend(),
            started.elapsed().as_secs_f64()
        );

        let batch: Vec<NewInvitation> = (0..n)
            .map(|i| NewInvitation {
                id: cxloop_core::ids::InvitationId::new(),
                token: format!("{:064x}", i),
                email: format!("person{i}@example.com"),
                customer_id: None,
                context: None,
                max_reminders: 1,
                reminder_days: 3,
            })
            .collect();
        for i in (0..n).step_by(50) {
            store.unsubscribe(&format!("person{i}@example.com"), "bench", now).await.expect("unsubscribe");
        }
        let started = Instant::now();
        let mut queued = 0;
        for chunk in batch.chunks(1000) {
            let out = store
                .create_invitations(survey.id, chunk, now - time::Duration::days(30), now)
                .await
                .expect("invitations");
            queued += out.iter().filter(|o| **o == cxloop_store::InviteOutcome::Queued).count();
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "{} queued {queued} of {n} invitations (2% unsubscribed) in {secs:.2}s = {:.0}/s",
            store.backend(),
            n as f64 / secs
        );
    });
}
