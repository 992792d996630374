//! The demo's other listening channels: app-store and product reviews, and
//! notes from customer interviews and focus groups, each written as the
//! CSV or JSON file an organisation would export from its tools and
//! imported through the same code as `cxloop import feedback`.

use super::{Customer, Topic, comment, day_weights, incident, make_survey, moment, normal, pick, q, weighted};
use anyhow::{Result, bail};
use cxloop_core::{QuestionType, SurveySpec, SurveyStatus};
use cxloop_server::features::feedback::service::{Format, plan};
use cxloop_store::Store;
use rand::Rng;
use rand::rngs::SmallRng;
use std::collections::HashMap;
use time::OffsetDateTime;

const HANDLES: [&str; 12] = [
    "mapleops", "dev_kai", "rinat", "lowtide", "qa-petra", "sunny.ly", "orbit9", "jonas_w", "mira", "tt_ops", "bea",
    "nk",
];

/// Loads the reviews and the interview notes; returns how many items.
pub async fn generate(store: &dyn Store, custs: &[Customer], rng: &mut SmallRng, now: OffsetDateTime) -> Result<u64> {
    use QuestionType::*;
    let created = now - time::Duration::days(380);
    let mut stars = q("stars", Rating, "Stars", true, &[]);
    (stars.min, stars.max, stars.min_label, stars.max_label) =
        (Some(1), Some(5), Some("1 star".into()), Some("5 stars".into()));
    let reviews = make_survey(
        store,
        "product-reviews",
        SurveySpec {
            title: "App and product reviews".into(),
            description: Some("Reviews from the app stores and review sites, imported weekly.".into()),
            touchpoint: Some("public reviews".into()),
            thank_you: None,
            questions: vec![stars, q("review", Text, "Review", true, &[])],
        },
        SurveyStatus::Closed,
        created,
    )
    .await?;
    let mut overall = q("overall", Rating, "Overall tone of the conversation", false, &[]);
    (overall.min, overall.max) = (Some(1), Some(5));
    let notes = make_survey(
        store,
        "interview-notes",
        SurveySpec {
            title: "Customer interviews and focus groups".into(),
            description: Some("Notes from research interviews and focus groups, one row per finding.".into()),
            touchpoint: Some("customer research".into()),
            thank_you: None,
            questions: vec![q("note", Text, "Finding", true, &[]), overall],
        },
        SurveyStatus::Closed,
        created,
    )
    .await?;

    // Reviews as an app-store export (CSV): stars follow the same story as
    // the surveys, including the incident's dip.
    let weights = day_weights(now.date());
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["Review ID", "Date", "Rating", "Review", "Reviewer"])?;
    let topics = [
        (Topic::Usability, 2.0),
        (Topic::Reliability, 1.5),
        (Topic::Speed, 1.2),
        (Topic::Price, 1.0),
        (Topic::Quality, 1.5),
    ];
    let mut lines = Vec::new();
    for i in 0..260 {
        let ago = weighted(rng, &weights);
        let s = 0.9 + normal(rng) - 1.2 * incident(ago);
        let rating = (3.6 + 1.1 * s).round().clamp(1.0, 5.0) as i32;
        let tone = if rating >= 4 {
            1
        } else if rating == 3 {
            0
        } else {
            -1
        };
        let at = moment(rng, now, ago);
        lines.push((at, i, rating, comment(rng, &topics, tone), *pick(rng, &HANDLES)));
    }
    lines.sort_by_key(|l| l.0);
    for (at, i, rating, text, who) in &lines {
        let date = at.format(&time::format_description::well_known::Rfc3339)?;
        csv.write_record([format!("r-{i:04}"), date, rating.to_string(), text.clone(), who.to_string()])?;
    }
    let file = csv.into_inner()?;
    let map = HashMap::from([("Reviewer".to_string(), "author".to_string())]);
    let mut n = import(store, &file, Format::Csv, &reviews, "app-store", &map, now).await?;

    // Research notes as JSON from a notes tool: interviews with named
    // customers, focus groups without.
    let mut items = Vec::new();
    let note_topics = [(Topic::Onboarding, 2.0), (Topic::Billing, 1.5), (Topic::Support, 1.2), (Topic::Usability, 1.5)];
    for i in 0..48 {
        let ago = rng.random_range(1..300);
        let tone = [-1, 0, 1][rng.random_range(0..3)];
        let at = moment(rng, now, ago);
        let focus_group = i % 4 == 3;
        let mut item = serde_json::json!({
            "id": format!("n-{i:03}"),
            "date": at.format(&time::format_description::well_known::Rfc3339)?,
            "note": comment(rng, &note_topics, tone),
            "overall": (3 + tone + rng.random_range(-1..=1)).clamp(1, 5),
            "interviewer": if focus_group { "research team" } else { "customer success" },
            "kind": if focus_group { "focus-group" } else { "interview" },
        });
        if !focus_group {
            // Interviewees are customers already in the directory.
            for _ in 0..50 {
                let c = pick(rng, custs);
                if store.customer_by_external_id(&c.external_id).await.is_ok() {
                    item["customer"] = c.external_id.clone().into();
                    break;
                }
            }
        }
        items.push(item);
    }
    for kind in ["interview", "focus-group"] {
        let these: Vec<&serde_json::Value> = items.iter().filter(|i| i["kind"] == kind).collect();
        let file = serde_json::to_vec(&these)?;
        let map = HashMap::from([
            ("overall".to_string(), "rating".to_string()),
            ("interviewer".to_string(), "author".to_string()),
            ("kind".to_string(), "ignore".to_string()),
        ]);
        n += import(store, &file, Format::Json, &notes, kind, &map, now).await?;
    }
    Ok(n)
}

/// Last month's email invitation of the relationship NPS survey to 320
/// customers, with what became of each: bounced, unsubscribed, opened,
/// reminded, answered (the answers are real responses linked to it).
pub async fn invitations(store: &dyn Store, rng: &mut SmallRng, now: OffsetDateTime) -> Result<u64> {
    use cxloop_core::answer::{AnswerValue, Answers};
    use cxloop_store::{CustomerRef, InviteOutcome, NewInvitation, NewResponse};
    let survey = store.get_survey_by_slug("relationship-nps").await?;
    let facts = store.customer_facts(None, 2000).await?;
    let sent_at = now - time::Duration::days(21);
    let batch: Vec<NewInvitation> = facts
        .iter()
        .filter(|f| f.customer.email.is_some() && f.stage.as_deref() != Some("churned"))
        .step_by(3)
        .take(320)
        .map(|f| NewInvitation {
            id: cxloop_core::ids::InvitationId::new(),
            token: cxloop_server::platform::crypto::new_token(),
            email: f.customer.email.clone().unwrap_or_default(),
            customer_id: Some(f.customer.id),
            context: Some(
                serde_json::json!({"campaign": "Q3 relationship check-in"}).as_object().cloned().unwrap_or_default(),
            ),
            max_reminders: 1,
            reminder_days: 4,
        })
        .collect();
    let outcomes = store.create_invitations(survey.id, &batch, sent_at - time::Duration::days(30), sent_at).await?;
    let mut answers = Vec::new();
    let mut answered = Vec::new();
    for (inv, outcome) in batch.iter().zip(outcomes) {
        if outcome != InviteOutcome::Queued {
            continue;
        }
        let at = sent_at + time::Duration::minutes(rng.random_range(0..90));
        let roll: f64 = rng.random();
        if roll < 0.06 {
            store
                .mark_invitation_failed(inv.id, cxloop_store::DeliveryFailure::Bounced, "550 5.1.1 mailbox unavailable")
                .await?;
            continue;
        }
        let reminded = roll >= 0.40 && rng.random_bool(0.8);
        let next = (!reminded).then(|| at + time::Duration::days(4));
        store.mark_invitation_sent(inv.id, at, 0, next).await?;
        if reminded {
            store.mark_invitation_sent(inv.id, at + time::Duration::days(4), 1, None).await?;
        }
        if roll < 0.09 {
            store.unsubscribe(&inv.email, "link", at + time::Duration::hours(rng.random_range(1..48))).await?;
        } else if roll < 0.47 {
            let when = at + time::Duration::hours(rng.random_range(1..(if reminded { 130 } else { 60 })));
            let when = when.min(now);
            let f = facts.iter().find(|f| Some(f.customer.id) == inv.customer_id);
            let score = (7.6 + 2.2 * normal(rng)).round().clamp(0.0, 10.0) as i32;
            let mut a = Answers::new();
            a.insert("nps".into(), AnswerValue::Score(score));
            let mut context = inv.context.clone().unwrap_or_default();
            context.insert("invitation".into(), inv.id.to_string().into());
            let r = NewResponse {
                id: cxloop_core::ids::ResponseId::new(),
                survey: survey.clone(),
                customer: f.map(|f| CustomerRef {
                    external_id: f.customer.external_id.clone(),
                    name: None,
                    email: None,
                    attributes: Default::default(),
                }),
                submitted_at: when,
                channel: "email".into(),
                answers: a,
                touchpoint: None,
                context: Some(context),
            };
            answered.push((inv.id, r.id, when));
            answers.push(r);
        } else if roll < 0.64 {
            store.mark_invitation_opened(inv.id, at + time::Duration::hours(rng.random_range(1..72))).await?;
        }
    }
    let n = store.insert_responses(&answers).await?;
    for (id, rid, when) in answered {
        store.mark_invitation_answered(id, rid, when).await?;
    }
    Ok(n)
}

/// The helpdesk webhook (ticket solved → support CSAT) and the website
/// widget of the relationship NPS survey, as an organisation would set them.
pub async fn integrations(store: &dyn Store, now: OffsetDateTime) -> Result<()> {
    let csat = store.get_survey_by_slug("support-csat").await?;
    let nps = store.get_survey_by_slug("relationship-nps").await?;
    store
        .create_hook(&cxloop_store::Hook {
            id: cxloop_core::ids::HookId::new(),
            name: "Helpdesk".into(),
            secret: cxloop_server::platform::crypto::new_token(),
            events: [("ticket.solved".to_string(), csat.id)].into_iter().collect(),
            created_at: now - time::Duration::days(200),
        })
        .await?;
    store
        .put_widget(&cxloop_store::Widget {
            survey_id: nps.id,
            origins: vec!["https://app.cxloop-demo.example".into()],
            every_days: 90,
        })
        .await?;
    Ok(())
}

async fn import(
    store: &dyn Store,
    file: &[u8],
    format: Format,
    survey: &cxloop_core::Survey,
    source: &str,
    map: &HashMap<String, String>,
    now: OffsetDateTime,
) -> Result<u64> {
    let p = plan(file, format, survey, source, map, now).map_err(|e| anyhow::anyhow!("demo {source}: {e}"))?;
    if let Some(e) = p.errors.first() {
        bail!("demo {source}: {e}");
    }
    let items: Vec<_> = p.items.into_iter().map(|(_, r)| r).collect();
    Ok(store.insert_responses(&items).await?)
}
