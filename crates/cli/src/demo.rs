//! The demo organisation: a software company's year of feedback, generated
//! deterministically (fixed seed) relative to today so the dashboards are
//! always current. Seasonality, a billing-migration incident about seven
//! months ago with its dip and recovery, and real segment differences
//! (plan, region) are built into the score model; comments are composed
//! from topic sentences whose tone follows the score.

mod channels;
pub mod scale;

use anyhow::Result;
use cxloop_core::answer::{AnswerValue, Answers};
use cxloop_core::{Question, QuestionType, Survey, SurveySpec, SurveyStatus};
use cxloop_store::{CustomerRef, Lifecycle, NewCustomerEvent, NewResponse, Store};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use time::{Duration, OffsetDateTime, Time};

pub const EMAIL: &str = "demo@cxloop.example";
pub const PASSWORD: &str = "cxloop-demo-2026";

/// Loads the demo once (an existing demo is kept) and makes sure the demo
/// login exists. Returns the login.
pub async fn load(store: &dyn Store) -> Result<(String, String)> {
    if store.user_by_email(EMAIL).await.is_err() {
        crate::add_user(store, EMAIL, Some("Demo admin"), "admin", PASSWORD).await?;
    }
    if store.list_surveys().await?.is_empty() {
        let started = std::time::Instant::now();
        let n = generate(store, OffsetDateTime::now_utc(), 2026).await?;
        eprintln!("loaded the demo organisation: {n} responses in {:.1}s", started.elapsed().as_secs_f64());
    }
    Ok((EMAIL.to_string(), PASSWORD.to_string()))
}

/// Builds the scale data set of `n` responses once (an existing installation
/// is kept as it is) and makes sure the demo login exists.
pub async fn load_scale(store: &dyn Store, n: u64) -> Result<(String, String)> {
    if store.user_by_email(EMAIL).await.is_err() {
        crate::add_user(store, EMAIL, Some("Demo admin"), "admin", PASSWORD).await?;
    }
    if store.list_surveys().await?.is_empty() {
        let mut last = std::time::Instant::now();
        let mut report = |written: u64| {
            if last.elapsed().as_secs() >= 5 || written == n {
                eprintln!("  {written} of {n} responses");
                last = std::time::Instant::now();
            }
        };
        let built = scale::generate(store, OffsetDateTime::now_utc(), n, 2026, &mut report).await?;
        eprintln!(
            "built the scale data set: {} responses, {} customers, {} lifecycle events in {:.1}s ({:.0} responses/s; \
             writing the responses {:.1}s, {:.0}/s)",
            built.responses,
            built.customers,
            built.events,
            built.seconds,
            built.responses as f64 / built.seconds.max(1e-9),
            built.writing_seconds,
            built.responses as f64 / built.writing_seconds.max(1e-9),
        );
    }
    Ok((EMAIL.to_string(), PASSWORD.to_string()))
}

fn q(key: &str, kind: QuestionType, text: &str, required: bool, options: &[&str]) -> Question {
    Question { required, options: options.iter().map(|o| o.to_string()).collect(), ..Question::new(key, kind, text) }
}

async fn make_survey(
    store: &dyn Store,
    slug: &str,
    spec: SurveySpec,
    status: SurveyStatus,
    created: OffsetDateTime,
) -> Result<Survey> {
    let spec = spec.validate()?;
    let s = Survey {
        id: cxloop_core::ids::SurveyId::new(),
        slug: slug.into(),
        title: spec.title,
        description: spec.description,
        touchpoint: spec.touchpoint,
        thank_you: spec.thank_you,
        status,
        questions: spec.questions,
        created_at: created,
        updated_at: created,
    };
    store.create_survey(&s).await?;
    Ok(s)
}

struct Customer {
    external_id: String,
    name: String,
    plan: &'static str,
    region: &'static str,
    signup: time::Date,
    seats: u32,
}

const NAME_A: [&str; 24] = [
    "Harbor",
    "Blue Pine",
    "Northgate",
    "Copperleaf",
    "Silverline",
    "Redwood",
    "Bright Path",
    "Clearwater",
    "Ironbridge",
    "Maple Row",
    "Summit",
    "Lakeside",
    "Granite",
    "Open Field",
    "Riverbend",
    "Tall Oak",
    "Westwind",
    "Keystone",
    "Brookside",
    "Stonehill",
    "Sunridge",
    "Cedar",
    "Fairway",
    "Old Mill",
];
const NAME_B: [&str; 16] = [
    "Analytics",
    "Logistics",
    "Retail",
    "Health",
    "Software",
    "Foods",
    "Energy",
    "Studios",
    "Consulting",
    "Labs",
    "Travel",
    "Finance",
    "Education",
    "Media",
    "Manufacturing",
    "Legal",
];

fn pick<'a, T>(rng: &mut SmallRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn pick_str(rng: &mut SmallRng, items: &[&'static str]) -> &'static str {
    items[rng.random_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut SmallRng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for &(item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

fn normal(rng: &mut SmallRng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn customers(rng: &mut SmallRng, today: time::Date, count: u64) -> Vec<Customer> {
    (0..count)
        .map(|i| {
            let plan = weighted(rng, &[("starter", 0.5), ("pro", 0.35), ("enterprise", 0.15)]);
            let seats = match plan {
                "starter" => rng.random_range(2..15),
                "pro" => rng.random_range(10..80),
                _ => rng.random_range(60..900),
            };
            Customer {
                external_id: format!("C-{}", 10001 + i),
                name: format!("{} {}", pick(rng, &NAME_A), pick(rng, &NAME_B)),
                plan,
                region: weighted(rng, &[("EU", 0.4), ("NA", 0.35), ("APAC", 0.15), ("LATAM", 0.1)]),
                signup: today - Duration::days(rng.random_range(20..2200)),
                seats,
            }
        })
        .collect()
}

/// Relative response volume of a day: seasons, weekends, holidays.
fn volume(day: time::Date) -> f64 {
    use time::Weekday::*;
    let season =
        [1.15, 1.1, 1.1, 1.0, 0.95, 0.9, 0.8, 0.7, 1.05, 1.15, 1.2, 0.75][usize::from(u8::from(day.month())) - 1];
    let weekday = match day.weekday() {
        Saturday | Sunday => 0.35,
        Friday => 0.85,
        _ => 1.0,
    };
    season * weekday
}

/// The billing migration incident: 0 before it, peaks two weeks in, gone
/// after about two months.
fn incident(days_ago: i64) -> f64 {
    let since = 215 - days_ago;
    match since {
        ..0 => 0.0,
        0..14 => since as f64 / 14.0,
        14..63 => 1.0 - (since - 14) as f64 / 49.0,
        _ => 0.0,
    }
}

fn plan_effect(plan: &str) -> f64 {
    match plan {
        "starter" => -0.35,
        "enterprise" => 0.45,
        _ => 0.05,
    }
}

fn region_effect(region: &str, support: bool) -> f64 {
    match (region, support) {
        ("APAC", true) => -0.45,
        ("APAC", false) => -0.1,
        ("LATAM", _) => -0.1,
        ("EU", _) => 0.1,
        _ => 0.0,
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Topic {
    Price,
    Support,
    Speed,
    Quality,
    Onboarding,
    Reliability,
    Usability,
    Billing,
}

fn sentences(topic: Topic, positive: bool) -> &'static [&'static str] {
    use Topic::*;
    match (topic, positive) {
        (Price, true) => &[
            "Pricing is fair for what we get.",
            "Good value compared to the tools we used before.",
            "The pro plan pays for itself in the hours it saves us.",
            "Fair price, no surprises at renewal.",
        ],
        (Price, false) => &[
            "The price went up at renewal and nobody explained why.",
            "Too expensive for a team our size.",
            "We pay for seats we barely use; the pricing does not fit small teams.",
            "Hard to justify the cost to our finance team this year.",
            "Cheaper tools do 80% of this.",
        ],
        (Support, true) => &[
            "Support answered within the hour and actually solved the problem.",
            "The agent was friendly and understood what I needed right away.",
            "Big thanks to the support team, they followed up without me asking.",
            "Every time I contact support I get a real answer, not a script.",
            "Support walked me through the fix patiently.",
        ],
        (Support, false) => &[
            "I had to explain my issue three times to three different people.",
            "Waited four days for a reply to an urgent ticket.",
            "Support closed my ticket without fixing anything.",
            "The chat bot goes in circles and I can never reach a person.",
            "Nobody got back to me after the first reply.",
        ],
        (Speed, true) => &[
            "Everything is fast, even with our biggest projects.",
            "Reports load in a second now.",
            "Search is instant, which my team loves.",
        ],
        (Speed, false) => &[
            "The dashboard takes ages to load in the mornings.",
            "Exports are painfully slow.",
            "Pages hang for several seconds when we have many users online.",
        ],
        (Quality, true) => &[
            "The product does exactly what it promises.",
            "Solid, well thought-out features.",
            "The last release fixed the things we actually asked for.",
            "It just works, day after day.",
        ],
        (Quality, false) => &[
            "Too many small bugs in the last releases.",
            "The new editor feels unfinished.",
            "Features we rely on break after updates.",
            "Reporting is missing basics like filtering by team.",
        ],
        (Onboarding, true) => &[
            "Setup took us one afternoon.",
            "The onboarding call was clear and practical.",
            "The checklists made getting started easy.",
            "Our onboarding manager knew our industry, which helped a lot.",
        ],
        (Onboarding, false) => &[
            "Getting started was confusing; the docs skip important steps.",
            "We needed three calls to get the integration working.",
            "Importing our data was harder than it should be.",
            "Nobody told us which settings mattered until week three.",
        ],
        (Reliability, true) => &["Not a single outage this year.", "Rock solid, even on our busiest days."],
        (Reliability, false) => &[
            "We had two outages during our busiest week.",
            "Sync failed silently after the migration and we lost a day of work.",
            "Logins kept failing on Monday mornings.",
        ],
        (Usability, true) => &[
            "Clean interface; my team picked it up without training.",
            "Easy to use, even for our part-time staff.",
            "Everything is where you expect it to be.",
        ],
        (Usability, false) => {
            &["Settings are buried three menus deep.", "The mobile app is clumsy.", "Too many clicks for simple tasks."]
        }
        (Billing, true) => &["Invoices are clear and arrive on time.", "Changing our plan took two minutes."],
        (Billing, false) => &[
            "Our invoice was wrong twice after the billing change.",
            "We were charged for seats we had already removed.",
            "The new billing portal is a mess and refunds take weeks.",
            "Got billed in the wrong currency after the migration.",
        ],
    }
}

fn comment(rng: &mut SmallRng, topics: &[(Topic, f64)], tone: i32) -> String {
    const OPEN_POS: [&str; 6] = [
        "Love it.",
        "Great experience overall.",
        "Really happy so far.",
        "Very satisfied.",
        "Works well for us.",
        "Impressed.",
    ];
    const OPEN_NEG: [&str; 5] = [
        "Disappointed.",
        "Honestly frustrated.",
        "Not great lately.",
        "Mixed feelings, mostly negative.",
        "This used to be better.",
    ];
    const CLOSE_POS: [&str; 5] =
        ["Keep it up!", "Thanks!", "Would recommend to other teams.", "Thank you, team.", "Happy to be a reference."];
    const CLOSE_NEG: [&str; 5] = [
        "Please fix this.",
        "Considering alternatives if this continues.",
        "Hope this gets better soon.",
        "Not what we signed up for.",
        "Please look into it.",
    ];
    let first = weighted(rng, topics);
    let mut parts: Vec<&str> = Vec::new();
    let positive = tone > 0;
    if rng.random_bool(0.35) {
        parts.push(if positive { pick_str(rng, &OPEN_POS) } else { pick_str(rng, &OPEN_NEG) });
    }
    if tone == 0 {
        // Passives: usually a bit of both.
        let good = weighted(rng, topics);
        let bad = weighted(rng, topics);
        let a = pick_str(rng, sentences(good, true)).trim_end_matches('.');
        let b = pick_str(rng, sentences(bad, false));
        let b_lower = format!("{}{}", &b[..1].to_lowercase(), &b[1..]);
        return format!("{a}, but {b_lower}");
    }
    parts.push(pick_str(rng, sentences(first, positive)));
    if rng.random_bool(0.35) {
        let second = weighted(rng, topics);
        if second != first {
            parts.push(pick_str(rng, sentences(second, positive)));
        }
    }
    if rng.random_bool(0.3) {
        parts.push(if positive { pick_str(rng, &CLOSE_POS) } else { pick_str(rng, &CLOSE_NEG) });
    }
    parts.join(" ")
}

fn day_weights(today: time::Date) -> Vec<(i64, f64)> {
    (0..365).map(|ago| (ago, volume(today - Duration::days(ago)))).collect()
}

fn moment(rng: &mut SmallRng, now: OffsetDateTime, ago: i64) -> OffsetDateTime {
    let day = now.date() - Duration::days(ago);
    let secs = rng.random_range(7 * 3600..21 * 3600);
    let t = day.with_time(Time::MIDNIGHT).assume_utc() + Duration::seconds(secs);
    // Today: never in the future.
    if t > now { now - Duration::minutes(rng.random_range(1..120)) } else { t }
}

/// Generates the demo into an empty store; returns the number of responses.
/// The relationship NPS survey (score, reason, focus area).
fn relationship_nps() -> SurveySpec {
    use QuestionType::*;
    SurveySpec {
        title: "Relationship NPS".into(),
        description: Some(
            "Two minutes to tell us how we are doing. Your answers go straight to the team that can act on them."
                .into(),
        ),
        touchpoint: Some("quarterly relationship check-in".into()),
        thank_you: Some("Thank you! Someone from our team reads every answer.".into()),
        questions: vec![
            q("nps", Nps, "How likely are you to recommend us to a friend or colleague?", true, &[]),
            q("reason", Text, "What is the main reason for your score?", false, &[]),
            q(
                "focus",
                SingleChoice,
                "Which area matters most to you right now?",
                false,
                &["Price", "Product quality", "Support", "Speed", "Ease of use"],
            ),
        ],
    }
}

/// The post-support CSAT survey (score, what the agent did well, comment).
fn support_csat() -> SurveySpec {
    use QuestionType::*;
    SurveySpec {
        title: "Post-support CSAT".into(),
        description: Some("You recently contacted our support team. How did it go?".into()),
        touchpoint: Some("support ticket".into()),
        thank_you: None,
        questions: vec![
            q("csat", Csat, "How satisfied are you with the support you received?", true, &[]),
            q(
                "agent",
                MultipleChoice,
                "What did the agent do well?",
                false,
                &["Friendly", "Helpful", "Understood my problem", "Resolved it quickly"],
            ),
            q("comment", Text, "What could we have done better?", false, &[]),
        ],
    }
}

pub async fn generate(store: &dyn Store, now: OffsetDateTime, seed: u64) -> Result<u64> {
    use QuestionType::*;
    let mut rng = SmallRng::seed_from_u64(seed);
    let today = now.date();
    let created = now - Duration::days(380);
    let custs = customers(&mut rng, today, 1400);
    let nps = make_survey(store, "relationship-nps", relationship_nps(), SurveyStatus::Active, created).await?;
    let csat = make_survey(store, "support-csat", support_csat(), SurveyStatus::Active, created).await?;
    let ces = make_survey(
        store,
        "onboarding-ces",
        SurveySpec {
            title: "Onboarding effort".into(),
            description: Some("You have just finished onboarding. We want it to be effortless.".into()),
            touchpoint: Some("onboarding call".into()),
            thank_you: None,
            questions: vec![
                q("ces", Ces, "How easy was it to get started with us?", true, &[]),
                q("comment", Text, "What made it easy or hard?", false, &[]),
            ],
        },
        SurveyStatus::Active,
        created,
    )
    .await?;
    make_survey(
        store,
        "win-loss",
        SurveySpec {
            title: "Win/loss interview (prospects)".into(),
            description: Some("For prospects at the end of the sales process.".into()),
            touchpoint: Some("sales decision".into()),
            thank_you: None,
            questions: vec![
                q(
                    "decision",
                    SingleChoice,
                    "What did you decide?",
                    true,
                    &["Chose us", "Chose another vendor", "Postponed"],
                ),
                q("ease", Rating, "How easy was it to evaluate our product?", false, &[]),
                q("why", Text, "What tipped the decision?", false, &[]),
            ],
        },
        SurveyStatus::Draft,
        created,
    )
    .await?;

    let weights = day_weights(today);
    let mut all = Vec::new();
    // Relationship NPS: every customer segment, email channel.
    for _ in 0..2700 {
        let ago = weighted(&mut rng, &weights);
        let c = pick(&mut rng, &custs);
        let a = nps_answers(&mut rng, c, ago);
        all.push(response(&nps, c, moment(&mut rng, now, ago), "email", a));
    }
    // Post-support CSAT: region matters (APAC support is understaffed).
    for _ in 0..2100 {
        let ago = weighted(&mut rng, &weights);
        let c = pick(&mut rng, &custs);
        let a = csat_answers(&mut rng, c, ago);
        let identified = rng.random_bool(0.8);
        let mut r = response(&csat, c, moment(&mut rng, now, ago), "helpdesk", a);
        if !identified {
            r.customer = None;
            r.channel = "link".into();
        }
        all.push(r);
    }
    // Onboarding CES: newer customers; onboarding got better after spring.
    for _ in 0..900 {
        let ago = weighted(&mut rng, &weights);
        let c = pick(&mut rng, &custs);
        let improved = if ago < 150 { 0.45 } else { 0.0 };
        let s = 0.6 * plan_effect(c.plan) + improved + normal(&mut rng);
        let score = (5.1 + 1.15 * s).round().clamp(1.0, 7.0) as i32;
        let mut a = Answers::new();
        a.insert("ces".into(), AnswerValue::Score(score));
        let topics = [(Topic::Onboarding, 4.0), (Topic::Usability, 1.2), (Topic::Support, 0.8)];
        let tone = if score >= 5 {
            1
        } else if score == 4 {
            0
        } else {
            -1
        };
        if rng.random_bool(0.45) {
            a.insert("comment".into(), AnswerValue::Text(comment(&mut rng, &topics, tone)));
        }
        all.push(response(&ces, c, moment(&mut rng, now, ago), "link", a));
    }
    all.sort_by_key(|r| r.submitted_at);
    let n = store.insert_responses(&all).await?;
    directory(store, &custs, &mut rng, today).await?;
    let imported = channels::generate(store, &custs, &mut rng, now).await?;
    let invited = channels::invitations(store, &mut rng, now).await?;
    channels::integrations(store, now).await?;
    Ok(n + imported + invited)
}

/// A relationship NPS answer from customer `c`, `ago` days back: plan and
/// region effects, the incident's dip, a slow upward trend; a comment whose
/// topics and tone follow the score.
fn nps_answers(rng: &mut SmallRng, c: &Customer, ago: i64) -> Answers {
    let trend = 0.3 * (1.0 - ago as f64 / 365.0);
    let s = plan_effect(c.plan) + region_effect(c.region, false) - 1.5 * incident(ago) + trend + normal(rng);
    let score = (8.0 + 1.7 * s).round().clamp(0.0, 10.0) as i32;
    let mut a = Answers::new();
    a.insert("nps".into(), AnswerValue::Score(score));
    let inc = incident(ago);
    let topics = [
        (Topic::Price, if c.plan == "starter" { 2.0 } else { 1.0 }),
        (Topic::Support, 1.4),
        (Topic::Speed, 0.8),
        (Topic::Quality, 1.5),
        (Topic::Usability, 1.0),
        (Topic::Reliability, 0.4 + 3.0 * inc),
        (Topic::Billing, 0.2 + 4.0 * inc),
    ];
    let tone = if score >= 9 {
        1
    } else if score >= 7 {
        0
    } else {
        -1
    };
    if rng.random_bool(0.62) {
        a.insert("reason".into(), AnswerValue::Text(comment(rng, &topics, tone)));
    }
    if rng.random_bool(0.7) {
        let focus = weighted(
            rng,
            &[("Price", 1.2), ("Product quality", 1.5), ("Support", 1.0), ("Speed", 0.6), ("Ease of use", 0.8)],
        );
        a.insert("focus".into(), AnswerValue::Choice(focus.into()));
    }
    a
}

/// A post-support CSAT answer: region matters (APAC support is understaffed).
fn csat_answers(rng: &mut SmallRng, c: &Customer, ago: i64) -> Answers {
    let s = 0.5 * plan_effect(c.plan) + region_effect(c.region, true) - 1.0 * incident(ago) + normal(rng);
    let score = (4.1 + 0.95 * s).round().clamp(1.0, 5.0) as i32;
    let mut a = Answers::new();
    a.insert("csat".into(), AnswerValue::Score(score));
    if score >= 4 && rng.random_bool(0.75) {
        let mut picked: Vec<String> = ["Friendly", "Helpful", "Understood my problem", "Resolved it quickly"]
            .iter()
            .filter(|_| rng.random_bool(0.45))
            .map(|s| s.to_string())
            .collect();
        if picked.is_empty() {
            picked.push("Helpful".into());
        }
        a.insert("agent".into(), AnswerValue::Choices(picked));
    }
    let topics = [
        (Topic::Support, 4.0),
        (Topic::Speed, 0.6),
        (Topic::Billing, 0.3 + 3.0 * incident(ago)),
        (Topic::Quality, 0.5),
    ];
    let tone = if score >= 4 {
        1
    } else if score == 3 {
        0
    } else {
        -1
    };
    if rng.random_bool(0.5) {
        a.insert("comment".into(), AnswerValue::Text(comment(rng, &topics, tone)));
    }
    a
}

/// Attribute definitions, lifecycle events and saved segments of the demo.
async fn directory(store: &dyn Store, custs: &[Customer], rng: &mut SmallRng, today: time::Date) -> Result<()> {
    attribute_defs(store).await?;
    store.add_customer_events(&lifecycle(custs, rng, today)).await?;
    segments_and_personas(store, today).await
}

/// The customer attributes the demo defines: plan, region, signup date, seats.
async fn attribute_defs(store: &dyn Store) -> Result<()> {
    use cxloop_core::customer::{AttrType, AttributeDef};
    let one_of = |key: &str, label: &str, options: &[&str]| AttributeDef {
        key: key.into(),
        label: label.into(),
        kind: AttrType::OneOf { options: options.iter().map(|o| o.to_string()).collect() },
    };
    for def in [
        one_of("plan", "Plan", &["starter", "pro", "enterprise"]),
        one_of("region", "Region", &["EU", "NA", "APAC", "LATAM"]),
        AttributeDef { key: "signup_date".into(), label: "Signup date".into(), kind: AttrType::Date },
        AttributeDef { key: "seats".into(), label: "Seats".into(), kind: AttrType::Number },
    ] {
        store.put_attribute_def(&def).await?;
    }
    Ok(())
}

/// Each customer's signup, then a renewal, upgrade or churn every year
/// (churn likelier on smaller plans).
fn lifecycle(custs: &[Customer], rng: &mut SmallRng, today: time::Date) -> Vec<NewCustomerEvent> {
    let at = |d: time::Date| d.with_time(Time::from_hms(9, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_utc();
    let event = |c: &Customer, kind, day, note: Option<&str>| NewCustomerEvent {
        external_id: c.external_id.clone(),
        kind,
        at: at(day),
        note: note.map(str::to_string),
    };
    let mut out = Vec::new();
    for c in custs {
        out.push(event(c, Lifecycle::SignedUp, c.signup, None));
        let mut renewal = c.signup + Duration::days(365);
        let churn_risk = match c.plan {
            "starter" => 0.14,
            "pro" => 0.07,
            _ => 0.03,
        };
        while renewal < today {
            if rng.random_bool(churn_risk) {
                out.push(event(c, Lifecycle::Churned, renewal, Some("did not renew")));
                break;
            }
            let kind =
                if c.plan != "enterprise" && rng.random_bool(0.12) { Lifecycle::Upgraded } else { Lifecycle::Renewed };
            out.push(event(c, kind, renewal, None));
            renewal += Duration::days(365);
        }
    }
    out
}

/// The demo's saved segments and the two personas that stand for them.
async fn segments_and_personas(store: &dyn Store, today: time::Date) -> Result<()> {
    let recent = cxloop_core::period::fmt_date(today - Duration::days(90));
    for (name, expr, description) in [
        ("Enterprise EU", r#"plan = "enterprise" and region = "EU""#.to_string(), "Our largest European accounts"),
        (
            "Unhappy paying customers",
            r#"plan in ("pro", "enterprise") and last_nps <= 6"#.to_string(),
            "Detractors on paid plans: protect them",
        ),
        ("Churned", r#"stage = "churned""#.to_string(), "Customers who did not renew"),
        ("New customers", format!(r#"signup_date >= "{recent}""#), "Signed up in the last 90 days"),
        ("APAC", r#"region = "APAC""#.to_string(), "Asia-Pacific, where support is stretched"),
        ("Starter plan", r#"plan = "starter""#.to_string(), "Small teams on the entry plan"),
    ] {
        store.create_segment(name, &expr, Some(description)).await?;
    }
    let segments = store.segments().await?;
    let seg = |name: &str| segments.iter().find(|s| s.name == name).map(|s| s.id);
    for (name, initials, description, goals, pains, segment) in [
        (
            "Enterprise operations lead",
            "EO",
            "Runs operations for a few hundred seats across European offices; answers to a procurement team.",
            "Predictable invoices\nNo downtime in business hours\nOne contact who knows the account",
            "Billing changes that nobody announced\nSlow answers to urgent tickets",
            seg("Enterprise EU"),
        ),
        (
            "Small-team founder",
            "SF",
            "Runs a team of under fifteen people and sets everything up alone, usually in an evening.",
            "Get started in one afternoon\nPay only for what the team uses",
            "Price increases at renewal\nDocs that skip steps",
            seg("Starter plan"),
        ),
    ] {
        let p = cxloop_store::Persona {
            id: cxloop_core::ids::PersonaId::nil(),
            name: name.into(),
            description: description.into(),
            goals: goals.into(),
            pain_points: pains.into(),
            initials: initials.into(),
            segment_id: segment,
            has_picture: false,
        };
        store.save_persona(&p).await?;
    }
    Ok(())
}

/// The directory entry of a demo customer.
fn customer_ref(c: &Customer) -> CustomerRef {
    let mut attributes = serde_json::Map::new();
    attributes.insert("plan".into(), c.plan.into());
    attributes.insert("region".into(), c.region.into());
    attributes.insert("signup_date".into(), cxloop_core::period::fmt_date(c.signup).into());
    attributes.insert("seats".into(), c.seats.into());
    let slug = c.name.to_lowercase().replace(' ', "-");
    CustomerRef {
        external_id: c.external_id.clone(),
        name: Some(c.name.clone()),
        email: Some(format!("ops@{slug}.example")),
        attributes,
    }
}

fn response(survey: &Survey, c: &Customer, at: OffsetDateTime, channel: &str, answers: Answers) -> NewResponse {
    NewResponse {
        id: cxloop_core::ids::ResponseId::new(),
        survey: survey.clone(),
        customer: Some(customer_ref(c)),
        submitted_at: at,
        channel: channel.into(),
        answers,
        touchpoint: None,
        context: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cxloop_core::period::DateRange;
    use cxloop_core::stats;

    #[tokio::test]
    async fn the_demo_is_a_believable_year() {
        let dir = std::env::temp_dir().join(format!("cxloop-demo-test-{}", uuid::Uuid::now_v7()));
        let store = cxloop_store::open(&format!("sqlite:{}", dir.join("d.db").display())).await.unwrap();
        let now = time::macros::datetime!(2026-11-24 12:00 UTC);
        let n = generate(store.as_ref(), now, 7).await.unwrap();
        assert!(n >= 5000, "{n} responses");
        let surveys = store.list_surveys().await.unwrap();
        assert_eq!(surveys.len(), 6);
        // Reviews and research notes came in through the feedback import, marked by source.
        let reviews = surveys.iter().find(|s| s.survey.slug == "product-reviews").unwrap();
        assert_eq!(reviews.responses, 260);
        let stars = store
            .score_histogram(
                reviews.survey.id,
                "stars",
                DateRange::new(now.date() - Duration::days(400), now.date()).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(stars.n(), 260);
        let notes = surveys.iter().find(|s| s.survey.slug == "interview-notes").unwrap();
        let page = store
            .list_responses(&cxloop_store::ResponseQuery {
                survey_id: notes.survey.id,
                window: Default::default(),
                after: None,
                newest_first: true,
                limit: 100,
            })
            .await
            .unwrap();
        assert_eq!(page.len(), 48);
        assert_eq!(page.iter().filter(|r| r.channel == "focus-group").count(), 12);
        // Last month's invitation: every status, answers linked to real responses.
        let nps = surveys.iter().find(|s| s.survey.slug == "relationship-nps").unwrap();
        let counts: std::collections::HashMap<cxloop_store::InvitationStatus, u64> =
            store.invitation_counts(nps.survey.id).await.unwrap().into_iter().collect();
        for status in ["sent", "opened", "answered", "bounced", "unsubscribed"] {
            let status = cxloop_store::InvitationStatus::parse(status).unwrap();
            assert!(counts.get(&status).copied().unwrap_or(0) > 0, "{status:?}: {counts:?}");
        }
        assert_eq!(store.hooks().await.unwrap()[0].name, "Helpdesk");
        assert_eq!(store.widget(nps.survey.id).await.unwrap().every_days, 90);
        let answered = store.invitations(nps.survey.id, 1000).await.unwrap();
        let one = answered.iter().find(|i| i.status == cxloop_store::InvitationStatus::Answered).unwrap();
        let r = store.get_response(one.response_id.unwrap()).await.unwrap();
        assert_eq!((r.channel.as_str(), r.customer_external_id.as_ref()), ("email", one.customer_external_id.as_ref()));
        assert!(page.iter().filter(|r| r.channel == "interview").all(|r| r.customer_external_id.is_some()));
        let nps = surveys.iter().find(|s| s.survey.slug == "relationship-nps").unwrap();
        let year = DateRange::new(now.date() - Duration::days(364), now.date()).unwrap();
        let all = store.score_histogram(nps.survey.id, "nps", year).await.unwrap();
        // The incident: its worst weeks score clearly, significantly lower.
        let worst = DateRange::new(now.date() - Duration::days(205), now.date() - Duration::days(185)).unwrap();
        let dip = store.score_histogram(nps.survey.id, "nps", worst).await.unwrap();
        let (a, d) = (stats::nps(&all).unwrap(), stats::nps(&dip).unwrap());
        assert!(a.score > 0.0 && d.score < a.score - 25.0, "year {} vs dip {}", a.score, d.score);
        assert!(stats::nps_change(&dip, &all).unwrap().significant);
        // Nothing in the future, comments present.
        let comments = store.latest_comments(None, &Default::default(), 5).await.unwrap();
        assert_eq!(comments.len(), 5);
        assert!(comments.iter().all(|c| c.submitted_at <= now));
        assert!(store.count_customers().await.unwrap() > 1000);
        assert_eq!(store.segments().await.unwrap().len(), 6);
        assert_eq!(store.personas().await.unwrap().len(), 2);
        assert_eq!(store.attribute_defs().await.unwrap().len(), 4);
        let facts = store.customer_facts(None, 1000).await.unwrap();
        assert!(facts.iter().any(|f| f.stage.as_deref() == Some("churned")), "some customers churned");
        assert!(facts.iter().all(|f| f.stage.is_some()), "every customer has signed up");
        let _ = std::fs::remove_dir_all(dir);
    }
}
