//! A property test over every GET route: generated query strings (dates at
//! the ends of the calendar, huge offsets, impossible days, out-of-range
//! limits, forged cursors, broken segment expressions, duplicated and
//! non-numeric parameters) never crash a handler and never answer 5xx.
//! The generator is seeded, so a failure names the exact request to replay.

use crate::helpers::spawn_app;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

const PARAMS: &[&str] = &[
    "from",
    "to",
    "interval",
    "limit",
    "cursor",
    "segment",
    "segment_id",
    "q",
    "version",
    "theme",
    "channel",
    "days",
    "size",
    "format",
    "a",
    "b",
    "a_id",
    "b_id",
    "next",
    "sentiment",
    "survey_id",
    "offset",
    "page",
    "min",
    "sort",
    "c",
    "sig",
    "i",
    "preview",
    "visitor",
];

const VALUES: &[&str] = &[
    "",
    "9999-12-31",
    "-9999-01-01",
    "0000-01-01",
    "+10000-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "9999-12-31T23:59:59-23:59",
    "0000-01-01T00:00:00+23:59",
    "-9999-01-01T00:00:00Z",
    "2999-12-31",
    "1900-01-01",
    "1899-12-31",
    "2026-06-01T12:00:00+99:00",
    "2026-06-01T25:00:00Z",
    "1970-01-01T00:00:00Z",
    "day",
    "week",
    "month",
    "year",
    "0",
    "-1",
    "1",
    "4294967296",
    "18446744073709551616",
    "-9223372036854775809",
    "1e9",
    "NaN",
    "inf",
    "0x10",
    "10000000",
    "plan = \"pro\"",
    "((((",
    "plan = ",
    "last_nps < 7 and (",
    "not not not",
    "seats > 99999999999999999999",
    "signup_date > \"9999-12-31\"",
    "\"unterminated",
    "AAAA",
    "!!!!",
    "eyJhIjoxfQ",
    "MjAyNi0wMS0wMXx4",
    "%FF%FE",
    "%C3%28",
    "%E2%82",
    "a%2Cb",
    "support",
    "positive",
    "negative",
    "link",
    "email",
    "svg",
    "png",
    "pdf",
    "/\t/evil.example",
    "//evil.example",
    "https://evil.example",
    "%2F%2Fevil.example",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "00000000-0000-0000-0000-000000000000",
];

fn query(rng: &mut SmallRng) -> String {
    let n = rng.random_range(0..6);
    let mut parts = Vec::new();
    for _ in 0..n {
        // Half the time one of the parameters most routes read.
        let k = if rng.random_bool(0.5) {
            PARAMS[rng.random_range(0..7)]
        } else {
            PARAMS[rng.random_range(0..PARAMS.len())]
        };
        let v = if rng.random_bool(0.1) {
            "x".repeat(rng.random_range(1..5000))
        } else {
            VALUES[rng.random_range(0..VALUES.len())].to_string()
        };
        // Values are sent mostly encoded, sometimes raw (the server must cope with both).
        let v = if v.starts_with('%') || rng.random_bool(0.2) {
            v.replace(' ', "%20").replace('"', "%22").replace('\t', "%09").replace('<', "%3C").replace('>', "%3E")
        } else {
            form_urlencoded::byte_serialize(v.as_bytes()).collect()
        };
        parts.push(format!("{k}={v}"));
        if rng.random_bool(0.1) {
            parts.push(format!("{k}={v}"));
        }
    }
    parts.join("&")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_query_strings_never_crash_a_get_route() {
    let app = spawn_app().await;
    let cookie = format!("cxloop_session={}", app.login().await);
    let survey = app.create_survey("Fuzz").await;
    let id = survey["id"].as_str().unwrap().to_string();
    let slug = survey["slug"].as_str().unwrap().to_string();
    for nps in [0, 6, 9, 10] {
        let r = app
            .post_json(
                &format!("/api/v1/surveys/{id}/responses"),
                &json!({"answers": {"nps": nps, "why": "slow support"}}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let r = app.post_json("/api/v1/segments", &json!({"name": "Pro", "expression": "last_nps >= 9"})).await;
    let segment: serde_json::Value = r.json().await.unwrap();
    let seg = segment["id"].as_str().unwrap_or("00000000-0000-0000-0000-000000000000").to_string();
    let routes: Vec<String> = vec![
        "/api/v1/surveys".into(),
        format!("/api/v1/surveys/{id}"),
        format!("/api/v1/surveys/{id}/qr"),
        format!("/api/v1/surveys/{id}/invitations"),
        "/api/v1/hooks".into(),
        format!("/api/v1/surveys/{id}/widget"),
        format!("/api/v1/widget/{id}"),
        "/widget.js".into(),
        format!("/api/v1/surveys/{id}/responses"),
        format!("/api/v1/surveys/{id}/responses.csv"),
        format!("/api/v1/surveys/{id}/metrics"),
        format!("/api/v1/surveys/{id}/themes"),
        format!("/api/v1/surveys/{id}/emerging"),
        format!("/api/v1/surveys/{id}/compare"),
        "/api/v1/taxonomy".into(),
        "/api/v1/comments".into(),
        "/api/v1/customer-attributes".into(),
        "/api/v1/customers".into(),
        "/api/v1/customers.csv".into(),
        "/api/v1/customers/c-1".into(),
        "/api/v1/customers/c-1/export".into(),
        "/api/v1/audit".into(),
        "/api/v1/personas".into(),
        "/api/v1/segments".into(),
        format!("/api/v1/segments/{seg}"),
        "/healthz".into(),
        "/api/openapi.json".into(),
        "/login".into(),
        "/dashboard".into(),
        "/surveys".into(),
        "/surveys/new".into(),
        format!("/surveys/{id}"),
        format!("/surveys/{id}/edit"),
        format!("/surveys/{id}/themes"),
        format!("/surveys/{id}/compare"),
        format!("/surveys/{id}/invitations"),
        "/comments".into(),
        "/customers".into(),
        "/customers/c-1".into(),
        "/import/customers".into(),
        "/import/feedback".into(),
        "/segments".into(),
        format!("/segments/{seg}"),
        "/channels".into(),
        "/personas".into(),
        "/ideal".into(),
        "/taxonomy".into(),
        "/users".into(),
        "/account".into(),
        "/audit".into(),
        "/customers/c-1/privacy".into(),
        format!("/s/{slug}"),
        format!("/s/{slug}/thanks"),
        "/u/not-a-token".into(),
    ];
    let seed: u64 = std::env::var("CXLOOP_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261201);
    let rounds: usize = std::env::var("CXLOOP_FUZZ_ROUNDS").ok().and_then(|s| s.parse().ok()).unwrap_or(12);
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut statuses: std::collections::BTreeMap<u16, usize> = std::collections::BTreeMap::new();
    // First every route with each calendar edge in each date parameter, then random queries.
    let edges = ["9999-12-31", "-9999-01-01", "9999-12-31T23:59:59-23:59", "0000-01-01T00:00:00+23:59", "2026-02-30"];
    let mut fixed: Vec<String> = Vec::new();
    for k in ["from", "to", "day"] {
        for v in edges {
            let v: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
            fixed.push(format!("{k}={v}"));
            fixed.push(format!("{k}={v}&interval=day"));
        }
    }
    fixed.push("limit=18446744073709551616&from=2026-01-01&from=2026-02-01".into());
    let fixed_rounds = fixed.len();
    for round in 0..fixed_rounds + rounds {
        for route in &routes {
            let q = fixed.get(round).cloned().unwrap_or_else(|| query(&mut rng));
            let url = format!("{}?{q}", app.url(route));
            let r = app
                .client
                .get(&url)
                .bearer_auth(&app.token)
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap_or_else(|e| panic!("round {round}, seed {seed}: GET {url} dropped the connection: {e}"));
            let status = r.status().as_u16();
            let is_json = r
                .headers()
                .get("content-type")
                .is_some_and(|v| v.to_str().unwrap_or("").starts_with("application/json"));
            let body = r.text().await.unwrap();
            *statuses.entry(status).or_default() += 1;
            assert!(status < 500, "round {round}, seed {seed}: GET {url} answered {status}: {body:.300}");
            if route.starts_with("/api/") && status >= 400 {
                assert!(is_json, "GET {url}: a {status} must be JSON in the error shape: {body:.300}");
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert!(v["error"]["code"].is_string(), "GET {url}: {body:.300}");
            }
        }
    }
    let rounds = fixed_rounds + rounds;
    eprintln!("statuses over {} requests: {statuses:?}", rounds * routes.len());
    // The generator must reach the handlers, not only be turned away at the door.
    assert!(statuses.get(&200).is_some_and(|n| *n * 4 > rounds * routes.len()), "{statuses:?}");
    assert!(statuses.get(&422).is_some_and(|n| *n * 20 > rounds * routes.len()), "{statuses:?}");
}
