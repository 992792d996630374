//! The JSON API end to end: create → submit → metrics → CSV, idempotency,
//! paging, and every kind of bad input (with nothing stored).

use crate::helpers::spawn_app;
use serde_json::{Value, json};

async fn submit(app: &crate::helpers::TestApp, id: &str, body: Value) -> reqwest::Response {
    app.post_json(&format!("/api/v1/surveys/{id}/responses"), &body).await
}

fn measure<'a>(metrics: &'a Value, key: &str, name: &str) -> &'a Value {
    let q = metrics["questions"].as_array().unwrap().iter().find(|q| q["key"] == key).unwrap();
    q["measures"].as_array().unwrap().iter().find(|m| m["name"] == name).unwrap()
}

#[tokio::test]
async fn survey_to_metrics_to_csv() {
    let app = spawn_app().await;
    let s = app.create_survey("Support CSAT").await;
    let id = s["id"].as_str().unwrap();
    assert!(s["url"].as_str().unwrap().ends_with("/s/support-csat"));
    // March: 4 promoters, 2 passives, 2 detractors -> NPS 25.
    for (i, nps) in [10, 9, 9, 8, 7, 6, 3, 10].iter().enumerate() {
        let mut answers = json!({"nps": nps});
        if i < 3 {
            answers["csat"] = json!([5, 4, 2][i]);
        }
        if i < 2 {
            answers["ces"] = json!([7, 5][i]);
            answers["area"] = json!(["Support", "Price"]);
        }
        if i == 0 {
            answers["why"] = json!("Fast, friendly, \"great\" support");
        }
        let at = format!("2026-03-{:02}T10:00:00Z", 2 + i * 2);
        let r = submit(
            &app,
            id,
            json!({"answers": answers, "submitted_at": at, "customer": {"external_id": format!("cust-{i}")}}),
        )
        .await;
        assert_eq!(r.status(), 201, "{:?}", r.text().await);
    }
    // February (previous period): two detractors -> NPS -100.
    for at in ["2026-02-10T09:00:00Z", "2026-02-20T09:00:00Z"] {
        assert_eq!(submit(&app, id, json!({"answers": {"nps": 2}, "submitted_at": at})).await.status(), 201);
    }

    let (status, m) =
        app.get_json(&format!("/api/v1/surveys/{id}/metrics?from=2026-03-01&to=2026-03-31&interval=week")).await;
    assert_eq!(status, 200, "{m}");
    assert_eq!(m["previous"], json!({"from": "2026-01-29", "to": "2026-02-28"}));
    let nps = measure(&m, "nps", "nps");
    assert_eq!(nps["n"], 8);
    assert!((nps["value"].as_f64().unwrap() - 25.0).abs() < 1e-9);
    // var = .5 + .25 - .25^2 = .6875; margin = 1.96 * sqrt(.6875/8) * 100 = 57.46
    assert!((nps["high"].as_f64().unwrap() - (25.0 + 57.456)).abs() < 0.01, "{nps}");
    assert!((nps["change"]["previous"].as_f64().unwrap() + 100.0).abs() < 1e-9);
    assert!((nps["change"]["delta"].as_f64().unwrap() - 125.0).abs() < 1e-9);
    let q = m["questions"].as_array().unwrap().iter().find(|q| q["key"] == "nps").unwrap();
    assert_eq!(q["nps"], json!({"promoters": 4, "passives": 2, "detractors": 2}));
    assert_eq!(q["series"].as_array().unwrap().len(), 6, "Mar 1 (Sun) .. Mar 31 spans 6 ISO weeks");
    let week_n: Vec<i64> = q["series"].as_array().unwrap().iter().map(|p| p["n"].as_i64().unwrap()).collect();
    assert_eq!(week_n.iter().sum::<i64>(), 8);
    let top2 = measure(&m, "csat", "top2");
    assert_eq!(top2["n"], 3);
    assert!((top2["value"].as_f64().unwrap() - 200.0 / 3.0).abs() < 1e-9);
    let ces = measure(&m, "ces", "mean");
    assert!((ces["value"].as_f64().unwrap() - 6.0).abs() < 1e-9);

    let csv = app
        .client
        .get(app.url(&format!("/api/v1/surveys/{id}/responses.csv")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(
        &headers,
        vec![
            "response_id",
            "submitted_at",
            "channel",
            "touchpoint",
            "customer_external_id",
            "nps",
            "csat",
            "ces",
            "area",
            "why"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 10);
    // Oldest first: the two February responses, then March in order.
    assert_eq!(&rows[0][5], "2");
    assert_eq!(&rows[2][4], "cust-0");
    assert_eq!(&rows[2][8], "Price; Support", "choices in the survey's option order");
    assert_eq!(&rows[2][9], "Fast, friendly, \"great\" support");
    assert_eq!(&rows[2][3], "support ticket");
}

#[tokio::test]
async fn csv_export_streams_many_pages() {
    let app = spawn_app().await;
    let s = app.create_survey("Big").await;
    let survey = app.store.get_survey(s["id"].as_str().unwrap().parse().unwrap()).await.unwrap();
    let base = time::macros::datetime!(2026-01-01 0:00 UTC);
    let batch: Vec<cxloop_store::NewResponse> = (0..4500)
        .map(|i| {
            let mut answers = cxloop_core::Answers::new();
            answers.insert("nps".into(), cxloop_core::AnswerValue::Score(i % 11));
            cxloop_store::NewResponse {
                id: cxloop_core::ids::ResponseId::new(),
                survey: survey.clone(),
                customer: None,
                submitted_at: base + time::Duration::minutes(i64::from(i)),
                channel: "api".into(),
                answers,
                touchpoint: None,
                context: None,
            }
        })
        .collect();
    app.store.insert_responses(&batch).await.unwrap();
    let text = app
        .client
        .get(app.url(&format!("/api/v1/surveys/{}/responses.csv", survey.id)))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let ids: std::collections::HashSet<String> = reader.records().map(|r| r.unwrap()[0].to_string()).collect();
    assert_eq!(ids.len(), 4500, "every row exactly once across pages");
}

#[tokio::test]
async fn idempotency_key_replays_and_never_duplicates() {
    let app = spawn_app().await;
    let s = app.create_survey("Idem").await;
    let id = s["id"].as_str().unwrap();
    let body = json!({"answers": {"nps": 9}});
    let send = |b: Value| {
        app.client
            .post(app.url(&format!("/api/v1/surveys/{id}/responses")))
            .header("Idempotency-Key", "ticket-4711")
            .json(&b)
            .send()
    };
    let first = send(body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send(body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    let other = send(json!({"answers": {"nps": 3}})).await.unwrap();
    assert_eq!(other.status(), 409);
    let err: Value = other.json().await.unwrap();
    assert_eq!(err["error"]["field"], "Idempotency-Key");
    assert_eq!(app.store.response_count(id.parse().unwrap()).await.unwrap(), 1);
}

#[tokio::test]
async fn responses_page_with_a_cursor() {
    let app = spawn_app().await;
    let s = app.create_survey("Paging").await;
    let id = s["id"].as_str().unwrap();
    for day in 1..=5 {
        let r = submit(&app, id, json!({"answers": {"nps": day}, "submitted_at": format!("2026-04-0{day}T12:00:00Z")}))
            .await;
        assert_eq!(r.status(), 201);
    }
    let (_, p1) = app.get_json(&format!("/api/v1/surveys/{id}/responses?limit=2")).await;
    let scores = |p: &Value| {
        p["responses"].as_array().unwrap().iter().map(|r| r["answers"]["nps"].as_i64().unwrap()).collect::<Vec<_>>()
    };
    assert_eq!(scores(&p1), vec![5, 4], "newest first");
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = app.get_json(&format!("/api/v1/surveys/{id}/responses?limit=2&cursor={cursor}")).await;
    assert_eq!(scores(&p2), vec![3, 2]);
    let (_, window) =
        app.get_json(&format!("/api/v1/surveys/{id}/responses?from=2026-04-02&to=2026-04-03&order=asc")).await;
    assert_eq!(scores(&window), vec![2, 3], "to is a whole day, inclusive");
    assert!(window["next_cursor"].is_null());
    let (status, bad) = app.get_json(&format!("/api/v1/surveys/{id}/responses?cursor=garbage")).await;
    assert_eq!((status, bad["error"]["field"].as_str()), (422, Some("cursor")));
}

async fn expect_error(r: reqwest::Response, status: u16, field: Option<&str>) -> Value {
    let got = r.status().as_u16();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    assert_eq!(body["error"]["field"].as_str(), field, "{body}");
    assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty());
    body
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_stores_nothing() {
    let app = spawn_app().await;
    let s = app.create_survey("Strict").await;
    let id = s["id"].as_str().unwrap();
    let path = format!("/api/v1/surveys/{id}/responses");

    // Malformed JSON and the wrong media type.
    let r = app
        .client
        .post(app.url(&path))
        .header("content-type", "application/json")
        .body("{\"answers\": {")
        .send()
        .await
        .unwrap();
    let body = expect_error(r, 422, None).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("malformed JSON"));
    let r = app.client.post(app.url(&path)).header("content-type", "text/plain").body("nps=9").send().await.unwrap();
    expect_error(r, 415, None).await;
    // Answers that break the survey's rules, each naming its field.
    expect_error(submit(&app, id, json!({"answers": {"nps": 11}})).await, 422, Some("answers.nps")).await;
    expect_error(submit(&app, id, json!({"answers": {"nps": -1}})).await, 422, Some("answers.nps")).await;
    expect_error(submit(&app, id, json!({"answers": {"nps": "nine"}})).await, 422, Some("answers.nps")).await;
    expect_error(submit(&app, id, json!({"answers": {"nps": 9, "csat": 6}})).await, 422, Some("answers.csat")).await;
    expect_error(submit(&app, id, json!({"answers": {"nps": 9, "bogus": 1}})).await, 422, Some("answers.bogus")).await;
    expect_error(submit(&app, id, json!({"answers": {"why": "no score"}})).await, 422, Some("answers.nps")).await;
    expect_error(submit(&app, id, json!({"answers": {"nps": 9, "area": ["Nope"]}})).await, 422, Some("answers.area"))
        .await;
    expect_error(submit(&app, id, json!({"answers": {"nps": 9}, "extra": true})).await, 422, Some("extra")).await;
    expect_error(
        submit(&app, id, json!({"answers": {"nps": 9}, "submitted_at": "yesterday"})).await,
        422,
        Some("submitted_at"),
    )
    .await;
    expect_error(
        submit(&app, id, json!({"answers": {"nps": 9}, "submitted_at": "2999-01-01T00:00:00Z"})).await,
        422,
        Some("submitted_at"),
    )
    .await;
    expect_error(submit(&app, id, json!({"answers": {"nps": 9}, "channel": "Email!"})).await, 422, Some("channel"))
        .await;
    // An oversized body.
    let huge = json!({"answers": {"nps": 9, "why": "x".repeat(300 * 1024)}});
    let r = app.client.post(app.url(&path)).json(&huge).send().await.unwrap();
    expect_error(r, 413, None).await;
    // Unknown surveys.
    expect_error(submit(&app, "00000000-0000-0000-0000-000000000000", json!({"answers": {"nps": 9}})).await, 404, None)
        .await;
    expect_error(submit(&app, "not-a-uuid", json!({"answers": {"nps": 9}})).await, 404, None).await;
    // Anonymous callers may not backdate or claim to be a customer.
    let r = app
        .client
        .post(app.url(&path))
        .json(&json!({"answers": {"nps": 9}, "submitted_at": "2026-01-01T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    expect_error(r, 403, None).await;
    let r = app
        .client
        .post(app.url(&path))
        .json(&json!({"answers": {"nps": 9}, "customer": {"external_id": "vip"}}))
        .send()
        .await
        .unwrap();
    expect_error(r, 403, None).await;
    let r = app
        .client
        .post(app.url(&path))
        .json(&json!({"answers": {"nps": 9}, "customer": {"external_id": "vip", "signature": "00"}}))
        .send()
        .await
        .unwrap();
    expect_error(r, 403, None).await;
    // A wrong token is an error, not a downgrade to anonymous.
    let r = app
        .client
        .post(app.url(&path))
        .bearer_auth("wrong")
        .json(&json!({"answers": {"nps": 9}}))
        .send()
        .await
        .unwrap();
    expect_error(r, 401, None).await;

    assert_eq!(app.store.response_count(id.parse().unwrap()).await.unwrap(), 0, "nothing was stored");

    // A closed survey refuses responses.
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/surveys/{id}")))
        .bearer_auth(&app.token)
        .json(&json!({"status": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    expect_error(submit(&app, id, json!({"answers": {"nps": 9}})).await, 409, Some("status")).await;
}

#[tokio::test]
async fn survey_definitions_are_validated() {
    let app = spawn_app().await;
    let q = |q: Value| json!({"title": "T", "questions": [q]});
    let r = app.post_json("/api/v1/surveys", &q(json!({"key": "a", "type": "stars", "text": "?"}))).await;
    expect_error(r, 422, Some("questions[0].type")).await;
    let r = app.post_json("/api/v1/surveys", &q(json!({"key": "A b", "type": "nps", "text": "?"}))).await;
    expect_error(r, 422, Some("questions[0].key")).await;
    let r = app
        .post_json(
            "/api/v1/surveys",
            &q(json!({"key": "pick", "type": "single_choice", "text": "?", "options": ["only"]})),
        )
        .await;
    expect_error(r, 422, Some("questions[0].options")).await;
    let r = app
        .post_json("/api/v1/surveys", &json!({"title": " ", "questions": [{"key": "a", "type": "nps", "text": "?"}]}))
        .await;
    expect_error(r, 422, Some("title")).await;
    let r = app.post_json("/api/v1/surveys", &json!({"title": "T", "questions": []})).await;
    expect_error(r, 422, Some("questions")).await;
    // Without a token: 401.
    let r = app
        .client
        .post(app.url("/api/v1/surveys"))
        .json(&q(json!({"key": "a", "type": "nps", "text": "?"})))
        .send()
        .await
        .unwrap();
    expect_error(r, 401, None).await;
    // Same title twice gets a fresh slug; an explicit taken slug is a conflict.
    let a = app.create_survey("Twice").await;
    let b = app.create_survey("Twice").await;
    assert_ne!(a["slug"], b["slug"]);
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"title": "X", "slug": "twice", "questions": [{"key": "a", "type": "nps", "text": "?"}]}),
        )
        .await;
    expect_error(r, 409, Some("slug")).await;
    let (_, list) = app.get_json("/api/v1/surveys").await;
    assert_eq!(list["surveys"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn edits_keep_answered_questions_intact() {
    let app = spawn_app().await;
    let s = app.create_survey("Editable").await;
    let id = s["id"].as_str().unwrap();
    assert_eq!(submit(&app, id, json!({"answers": {"nps": 9}})).await.status(), 201);
    let path = format!("/api/v1/surveys/{id}");
    let mut questions = s["questions"].clone();
    questions[0]["type"] = json!("csat");
    let r = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&app.token)
        .json(&json!({"questions": questions}))
        .send()
        .await
        .unwrap();
    expect_error(r, 422, Some("questions")).await;
    let mut questions = s["questions"].clone();
    questions[0]["text"] = json!("Would you recommend us?");
    questions
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "extra", "type": "rating", "text": "Rate the docs", "min": 1, "max": 10}));
    let r = app
        .client
        .patch(app.url(&path))
        .bearer_auth(&app.token)
        .json(&json!({"questions": questions}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, got) = app.get_json(&path).await;
    assert_eq!(got["questions"][0]["text"], "Would you recommend us?");
    assert_eq!(got["questions"][5]["max"], 10);
}

#[tokio::test]
async fn health_and_openapi_are_public() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ok");
    let r = app.client.get(app.url("/api/openapi.json")).send().await.unwrap();
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let r = app.client.get(app.url("/api/v1/nothing-here")).send().await.unwrap();
    expect_error(r, 404, None).await;
    let (status, _) = app.get_json("/api/v1/surveys/not-a-uuid/metrics?interval=year").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn comments_get_sentiment_and_themes_in_the_background() {
    let app = spawn_app().await;
    let s = app.create_survey("Themes").await;
    let id = s["id"].as_str().unwrap();
    let comments = [
        (2, "Waited four days for a reply, the support agent was rude."),
        (3, "Support never replied and the agent was unhelpful."),
        (10, "Setup took one afternoon, really easy onboarding."),
        (9, "The onboarding call was clear and practical, great setup."),
        (8, "Nothing special to report"),
        (1, "El servicio fue muy lento y la comida estaba fría."),
    ];
    for (nps, why) in comments {
        let r = app
            .post_json(
                &format!("/api/v1/surveys/{id}/responses"),
                &json!({"answers": {"nps": nps, "why": why}, "submitted_at": "2026-03-10T10:00:00Z"}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    // The worker analyses them shortly after; the POSTs did not wait for it.
    let url = format!("/api/v1/surveys/{id}/themes?from=2026-03-01&to=2026-03-31&interval=week");
    let mut report = Value::Null;
    for _ in 0..100 {
        let (status, body) = app.get_json(&url).await;
        assert_eq!(status, 200, "{body}");
        if body["analysed"] == 6 {
            report = body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(report["analysed"], 6, "all comments analysed: {report}");
    assert_eq!(report["taxonomy_version"], 1);
    assert_eq!(report["measure"]["name"], "NPS points");
    let find = |list: &str, key: &str| report[list].as_array().unwrap().iter().find(|t| t["key"] == key).cloned();
    let support = find("woes", "support").expect("support is a woe");
    assert_eq!(support["mentions"], 2);
    assert!(support["avg_sentiment"].as_f64().unwrap() < 0.0);
    // NPS of the 2 mentioning (both detractors: -100) minus the 4 others (2 P, 1 passive, 1 D: +25) = -125.
    assert!((support["impact"]["delta"].as_f64().unwrap() + 125.0).abs() < 1e-9, "{support}");
    assert_eq!(support["impact"]["n_a"], 2);
    assert_eq!(support["examples"][0]["score"], 2);
    let onboarding = find("wows", "onboarding").expect("onboarding is a wow");
    assert_eq!(onboarding["mentions"], 2);
    assert_eq!(onboarding["trend"].as_array().unwrap().iter().map(|p| p["mentions"].as_u64().unwrap()).sum::<u64>(), 2);
    // Unknown taxonomy versions are a clear error.
    let (status, body) = app.get_json(&format!("{url}&version=99")).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("version")));
}

async fn wait_analysed(app: &crate::helpers::TestApp, id: &str, n: u64) {
    for _ in 0..100 {
        let (_, body) = app.get_json(&format!("/api/v1/surveys/{id}/themes")).await;
        if body["analysed"].as_u64() == Some(n) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("comments were not analysed in time");
}

#[tokio::test]
async fn taxonomy_versions_emerging_phrases_and_the_comment_explorer() {
    let app = spawn_app().await;
    let s = app.create_survey("Portal").await;
    let id = s["id"].as_str().unwrap().to_string();
    let comments = [
        (2, "The customer portal logs me out every hour"),
        (3, "Customer portal logs out constantly, so annoying"),
        (4, "Why does the customer portal keep logging me out?"),
        (9, "Great support, friendly agent"),
    ];
    for (nps, why) in comments {
        let r = app
            .post_json(&format!("/api/v1/surveys/{id}/responses"), &json!({"answers": {"nps": nps, "why": why}}))
            .await;
        assert_eq!(r.status(), 201);
    }
    wait_analysed(&app, &id, 4).await;

    // Emerging: no theme covers the portal yet.
    let (_, em) = app.get_json(&format!("/api/v1/surveys/{id}/emerging")).await;
    let top = &em["phrases"][0];
    assert_eq!((top["phrase"].as_str(), top["count"].as_u64()), (Some("customer portal"), Some(3)), "{em}");
    assert!(top["examples"][0].as_str().unwrap().contains("portal"));
    // Counted in the three portal comments (the fourth is covered), not capped.
    assert_eq!((em["comments_counted"].as_u64(), em["capped"].as_bool()), (Some(3), Some(false)), "{em}");
    let (_, v1_report) = app.get_json(&format!("/api/v1/surveys/{id}/themes?version=1")).await;

    // Bad taxonomies are refused with the field named; nothing is saved.
    let r = app
        .client
        .put(app.url("/api/v1/taxonomy"))
        .bearer_auth(&app.token)
        .json(&json!({"themes": [{"key": "a", "name": "A", "words": ["x"], "parent": "missing"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "themes[0].parent");

    // One click: the phrase becomes a theme in version 2, and comments are re-tagged.
    let r = app.post_json("/api/v1/taxonomy/themes", &json!({"phrase": "customer portal"})).await;
    assert_eq!(r.status(), 201);
    let added: Value = r.json().await.unwrap();
    assert_eq!((added["version"].as_u64(), added["theme"]["key"].as_str()), (Some(2), Some("customer-portal")));
    let job = added["retag_job"].as_str().unwrap().parse().unwrap();
    for _ in 0..100 {
        if app.store.job(job).await.unwrap().state == "done" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.store.job(job).await.unwrap().state, "done");
    let (_, v2) = app.get_json(&format!("/api/v1/surveys/{id}/themes")).await;
    assert_eq!(v2["taxonomy_version"], 2);
    let portal = v2["woes"].as_array().unwrap().iter().find(|t| t["key"] == "customer-portal").expect("a woe now");
    assert_eq!(portal["mentions"], 3);
    // The old version's report is unchanged.
    let (_, v1_again) = app.get_json(&format!("/api/v1/surveys/{id}/themes?version=1")).await;
    assert_eq!(v1_report["woes"], v1_again["woes"]);
    assert_eq!(v1_report["wows"], v1_again["wows"]);
    let (_, tax) = app.get_json("/api/v1/taxonomy").await;
    assert_eq!(tax["version"], 2);
    assert_eq!(tax["versions"].as_array().unwrap().len(), 2);
    let (_, em) = app.get_json(&format!("/api/v1/surveys/{id}/emerging")).await;
    assert!(em["phrases"].as_array().unwrap().iter().all(|p| p["phrase"] != "customer portal"), "now covered");

    // The explorer: by theme, by sentiment, by text, by score; each with reasons and themes.
    let (_, c) = app.get_json("/api/v1/comments?theme=customer-portal").await;
    assert_eq!(c["comments"].as_array().unwrap().len(), 3);
    assert!(c["comments"][0]["reasons"].is_array());
    let (_, c) = app.get_json(&format!("/api/v1/comments?survey_id={id}&label=positive")).await;
    assert_eq!(c["comments"][0]["body"], "Great support, friendly agent");
    assert!(c["comments"][0]["themes"].as_array().unwrap().iter().any(|t| t == "staff-attitude"));
    let (_, c) = app.get_json("/api/v1/comments?q=ANNOYING&max_score=3").await;
    assert_eq!(c["comments"].as_array().unwrap().len(), 1);
    let (status, c) = app.get_json("/api/v1/comments?label=angry").await;
    assert_eq!((status, c["error"]["field"].as_str()), (422, Some("label")));
}

#[tokio::test]
async fn customers_attributes_segments_and_bad_input() {
    let app = spawn_app().await;
    let put = |path: String, body: Value| app.client.put(app.url(&path)).bearer_auth(&app.token).json(&body).send();
    // Typed attributes.
    let r = put(
        "/api/v1/customer-attributes/plan".into(),
        json!({"key": "plan", "label": "Plan", "type": "one_of", "options": ["starter", "pro", "enterprise"]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        put("/api/v1/customer-attributes/seats".into(), json!({"key": "seats", "label": "Seats", "type": "number"}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        put("/api/v1/customer-attributes/region".into(), json!({"key": "region", "label": "Region", "type": "text"}))
            .await
            .unwrap()
            .status(),
        200
    );
    let r = put("/api/v1/customer-attributes/email".into(), json!({"key": "email", "label": "E", "type": "text"}))
        .await
        .unwrap();
    expect_error(r, 422, Some("key")).await;

    // Bulk upsert is all or nothing, and errors name the row and field.
    let bulk = |customers: Value| {
        app.client
            .post(app.url("/api/v1/customers/bulk"))
            .bearer_auth(&app.token)
            .json(&json!({"customers": customers}))
            .send()
    };
    let r = bulk(json!([
        {"external_id": "c1", "name": "Harbor Analytics", "email": "ops@harbor.example", "attributes": {"plan": "Pro", "seats": 40, "region": "EU"}},
        {"external_id": "c2", "attributes": {"plan": "gold"}}
    ]))
    .await;
    expect_error(r.unwrap(), 422, Some("customers[1].attributes.plan")).await;
    expect_error(
        bulk(json!([{"external_id": "c3", "email": "not-an-email"}])).await.unwrap(),
        422,
        Some("customers[0].email"),
    )
    .await;
    expect_error(
        bulk(json!([{"external_id": "c3", "attributes": {"colour": "red"}}])).await.unwrap(),
        422,
        Some("customers[0].attributes.colour"),
    )
    .await;
    expect_error(
        bulk(json!([{"external_id": "c3"}, {"external_id": "c3"}])).await.unwrap(),
        422,
        Some("customers[1].external_id"),
    )
    .await;
    assert_eq!(app.store.count_customers().await.unwrap(), 0, "nothing half-imported");
    let r = bulk(json!([
        {"external_id": "c1", "name": "Harbor Analytics", "attributes": {"plan": "Pro", "seats": "40", "region": "EU"}},
        {"external_id": "c2", "attributes": {"plan": "starter", "seats": 3, "region": "NA"}},
        {"external_id": "c3", "attributes": {"plan": "enterprise", "seats": 900, "region": "EU"}}
    ]))
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = put("/api/v1/customers/c2".into(), json!({"email": "Lead@Corner.example", "attributes": {"seats": 5}}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let c2: Value = r.json().await.unwrap();
    assert_eq!(
        (c2["email"].as_str(), c2["attributes"]["plan"].as_str(), c2["attributes"]["seats"].as_f64()),
        (Some("lead@corner.example"), Some("starter"), Some(5.0))
    );

    // Responses and lifecycle events become facts segments can use.
    let s = app.create_survey("Facts").await;
    for (c, nps) in [("c1", 4), ("c3", 10)] {
        let r = app
            .post_json(
                &format!("/api/v1/surveys/{}/responses", s["id"].as_str().unwrap()),
                &json!({"answers": {"nps": nps}, "customer": {"external_id": c}}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let r = app
        .post_json("/api/v1/customers/c2/events", &json!({"kind": "churned", "occurred_at": "2026-05-01T00:00:00Z"}))
        .await;
    assert_eq!(r.status(), 201);
    expect_error(app.post_json("/api/v1/customers/c2/events", &json!({"kind": "left"})).await, 422, Some("kind")).await;
    expect_error(app.post_json("/api/v1/customers/nobody/events", &json!({"kind": "renewed"})).await, 404, None).await;
    let (_, one) = app.get_json("/api/v1/customers/c2").await;
    assert_eq!(
        (one["customer"]["stage"].as_str(), one["events"][0]["kind"].as_str()),
        (Some("churned"), Some("churned"))
    );

    // Segments: the brief's example, previews, listing, parse errors by line and column.
    let expr = r#"plan in ("pro", "enterprise") and region = "EU" and last_nps <= 6"#;
    let r = app.post_json("/api/v1/segments/preview", &json!({"expression": expr})).await;
    let preview: Value = r.json().await.unwrap();
    assert_eq!((preview["customers"].as_u64(), preview["of"].as_u64()), (Some(1), Some(3)));
    assert_eq!(preview["sample"], json!(["c1"]));
    let r = app.post_json("/api/v1/segments", &json!({"name": "Unhappy big EU", "expression": expr})).await;
    assert_eq!(r.status(), 201);
    let seg: Value = r.json().await.unwrap();
    let (_, got) = app.get_json(&format!("/api/v1/segments/{}", seg["id"].as_str().unwrap())).await;
    assert_eq!(got["customers"], 1);
    let (_, listed) = app.get_json(&format!("/api/v1/customers?segment_id={}", seg["id"].as_str().unwrap())).await;
    assert_eq!(listed["customers"][0]["external_id"], "c1");
    let (_, churned) = app.get_json("/api/v1/customers?segment=stage%20%3D%20%22churned%22").await;
    assert_eq!((churned["matched"].as_u64(), churned["customers"][0]["external_id"].as_str()), (Some(1), Some("c2")));
    let r = app
        .post_json("/api/v1/segments", &json!({"name": "Bad", "expression": "plan = \"pro\" and\nregion = EU"}))
        .await;
    let body = expect_error(r, 422, Some("expression")).await;
    assert!(body["error"]["message"].as_str().unwrap().starts_with("line 2, column 10"), "{body}");
    let r = app.post_json("/api/v1/segments", &json!({"name": "Unknown", "expression": "colour = \"red\""})).await;
    expect_error(r, 422, Some("expression")).await;
    expect_error(
        app.post_json("/api/v1/segments", &json!({"name": "Unhappy big EU", "expression": "seats > 1"})).await,
        409,
        Some("name"),
    )
    .await;
    let (_, all) = app.get_json("/api/v1/customers?limit=2").await;
    assert_eq!((all["matched"].as_u64(), all["next_cursor"].as_str()), (Some(3), Some("c2")));

    // KPIs cut by segment, and two segments compared.
    let sid = s["id"].as_str().unwrap();
    let (_, m) = app.get_json(&format!("/api/v1/surveys/{sid}/metrics?segment=plan%20%3D%20%22enterprise%22")).await;
    assert_eq!(m["segment"]["customers"], 1);
    let nps = &m["questions"][0]["measures"][0];
    assert_eq!((nps["n"].as_u64(), nps["value"].as_f64()), (Some(1), Some(100.0)));
    let (_, m) =
        app.get_json(&format!("/api/v1/surveys/{sid}/metrics?segment_id={}", seg["id"].as_str().unwrap())).await;
    assert_eq!(m["questions"][0]["measures"][0]["value"].as_f64(), Some(-100.0));
    let (status, bad) = app.get_json(&format!("/api/v1/surveys/{sid}/metrics?segment=plan%20%3D")).await;
    assert_eq!((status, bad["error"]["field"].as_str()), (422, Some("expression")));
    let (_, cmp) = app
        .get_json(&format!(
            "/api/v1/surveys/{sid}/compare?a_expr=region%20%3D%20%22EU%22&b_expr=plan%20%3D%20%22starter%22"
        ))
        .await;
    assert_eq!((cmp["a"]["customers"].as_u64(), cmp["b"]["customers"].as_u64()), (Some(2), Some(1)));
    assert_eq!(cmp["questions"][0]["a"][0]["n"], 2);
    assert_eq!(cmp["questions"][0]["b"][0]["n"], 0);
    assert!(cmp["questions"][0]["a_minus_b"][0]["delta"].is_null(), "no test without responses on both sides");
    let (status, bad) = app.get_json(&format!("/api/v1/surveys/{sid}/compare?a_expr=seats%20%3E%201")).await;
    assert_eq!((status, bad["error"]["field"].as_str()), (422, Some("b")));

    // CSV import over the API, then export.
    let csv_body = "external_id,Plan,seats,colour\nc9,pro,7,red\nc10,gold,1,blue\n";
    let import = |query: &str| {
        app.client
            .post(app.url(&format!("/api/v1/customers/import?{query}")))
            .bearer_auth(&app.token)
            .header("content-type", "text/csv")
            .body(csv_body)
            .send()
    };
    let r = import("map=colour:ignore&all_or_nothing=true").await.unwrap();
    assert_eq!(r.status(), 422);
    let report: Value = r.json().await.unwrap();
    assert_eq!((report["imported"].as_u64(), report["errors"][0]["line"].as_u64()), (Some(0), Some(3)));
    assert_eq!(report["errors"][0]["column"], "Plan");
    let r = import("all_or_nothing=true").await.unwrap();
    let body = expect_error(r, 422, Some("file")).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("colour"));
    let r = import("map=colour:ignore").await.unwrap();
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["imported"], 1);
    let csv = app
        .client
        .get(app.url("/api/v1/customers.csv"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        vec![
            "external_id",
            "name",
            "email",
            "stage",
            "responses",
            "last_nps",
            "last_csat",
            "last_ces",
            "plan",
            "region",
            "seats"
        ]
    );
    let all: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(all.len(), 4);
    assert!(all.iter().any(|r| &r[0] == "c9" && &r[8] == "pro"));
}

#[tokio::test]
async fn privacy_export_and_erasure_keep_aggregates_and_leave_an_audit_trail() {
    let app = spawn_app().await;
    let s = app.create_survey("Privacy").await;
    let sid = s["id"].as_str().unwrap();
    for (who, nps, why) in [("jo", 2, "My account manager Jo Example never calls back"), ("sam", 10, "Great")] {
        let r = app
            .post_json(&format!("/api/v1/surveys/{sid}/responses"), &json!({"answers": {"nps": nps, "why": why}, "customer": {"external_id": who, "name": "Person", "email": format!("{who}@example.com")}}))
            .await;
        assert_eq!(r.status(), 201);
    }
    let (_, before) = app.get_json(&format!("/api/v1/surveys/{sid}/metrics")).await;
    let (status, export) = app.get_json("/api/v1/customers/jo/export").await;
    assert_eq!(status, 200);
    assert_eq!(export["customer"]["email"], "jo@example.com");
    assert_eq!(export["responses"][0]["answers"]["why"], "My account manager Jo Example never calls back");

    let r = app.post_json("/api/v1/customers/jo/erase", &json!({})).await;
    assert_eq!(r.status(), 200);
    let (status, _) = app.get_json("/api/v1/customers/jo/export").await;
    assert_eq!(status, 404, "the identity is gone");
    let (_, list) = app.get_json(&format!("/api/v1/surveys/{sid}/responses?order=asc")).await;
    let erased = &list["responses"][0];
    assert_eq!(erased["answers"]["why"], "[erased]");
    assert_eq!(erased["answers"]["nps"], 2, "the score stays");
    assert!(erased["customer_external_id"].as_str().unwrap().starts_with("erased-"));
    let (_, comments) = app.get_json("/api/v1/comments?q=Jo%20Example").await;
    assert_eq!(comments["comments"].as_array().unwrap().len(), 0, "the free text is gone from search too");
    let (_, after) = app.get_json(&format!("/api/v1/surveys/{sid}/metrics")).await;
    assert_eq!(before["questions"][0]["measures"], after["questions"][0]["measures"], "aggregates are unchanged");
    let (_, audit) = app.get_json("/api/v1/audit").await;
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["customer.erase", "customer.export"]);
    assert_eq!(audit["entries"][0]["actor"], app.email);
    expect_error(app.post_json("/api/v1/customers/nobody/erase", &json!({})).await, 404, None).await;
}

#[tokio::test]
async fn personas_show_their_segments_live_kpis() {
    let app = spawn_app().await;
    let put = |path: &str, body: Value| app.client.put(app.url(path)).bearer_auth(&app.token).json(&body).send();
    put(
        "/api/v1/customer-attributes/plan",
        json!({"key": "plan", "label": "Plan", "type": "one_of", "options": ["starter", "pro"]}),
    )
    .await
    .unwrap();
    let s = app.create_survey("Persona KPIs").await;
    for (c, plan, nps) in [("a", "starter", 3), ("b", "starter", 10), ("c", "pro", 10)] {
        put(&format!("/api/v1/customers/{c}"), json!({"attributes": {"plan": plan}})).await.unwrap();
        let r = app
            .post_json(
                &format!("/api/v1/surveys/{}/responses", s["id"].as_str().unwrap()),
                &json!({"answers": {"nps": nps}, "customer": {"external_id": c}}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let seg: Value = app
        .post_json("/api/v1/segments", &json!({"name": "Starter", "expression": "plan = \"starter\""}))
        .await
        .json()
        .await
        .unwrap();
    let r = app
        .post_json(
            "/api/v1/personas",
            &json!({"name": "Small-team founder", "goals": "Start fast", "segment_id": seg["id"]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["initials"], "SF", "initials default from the name");
    expect_error(app.post_json("/api/v1/personas", &json!({"name": "  "})).await, 422, Some("name")).await;
    expect_error(
        app.post_json("/api/v1/personas", &json!({"name": "X", "segment_id": "00000000-0000-0000-0000-000000000001"}))
            .await,
        422,
        Some("segment_id"),
    )
    .await;
    expect_error(app.post_json("/api/v1/personas", &json!({"name": "Small-team founder"})).await, 409, Some("name"))
        .await;
    let (_, list) = app.get_json("/api/v1/personas").await;
    let card = &list["personas"][0];
    assert_eq!(card["segment"]["customers"], 2);
    // The segment's NPS: one promoter, one detractor of two = 0.
    assert_eq!(
        (card["kpis"][0]["measure"]["n"].as_u64(), card["kpis"][0]["measure"]["value"].as_f64()),
        (Some(2), Some(0.0))
    );
}

#[tokio::test]
async fn wows_and_woes_responses_and_csv_cut_by_a_segment() {
    let app = spawn_app().await;
    let s = app.create_survey("Segment themes").await;
    let id = s["id"].as_str().unwrap();
    let rows = [
        (Some("a1"), 2, "The support agent was rude."),
        (Some("a2"), 10, "Setup was easy, great onboarding."),
        (Some("a3"), 9, "The onboarding call was clear and practical."),
        (Some("b1"), 10, "Support was quick and kind."),
        (None, 0, "Support never replied."),
    ];
    for (customer, nps, why) in rows {
        let mut body = json!({"answers": {"nps": nps, "why": why}, "submitted_at": "2026-03-10T10:00:00Z"});
        if let Some(c) = customer {
            body["customer"] = json!({"external_id": c});
        }
        assert_eq!(app.post_json(&format!("/api/v1/surveys/{id}/responses"), &body).await.status(), 201);
    }
    wait_analysed(&app, id, 5).await;
    let base = format!("/api/v1/surveys/{id}/themes?from=2026-03-01&to=2026-03-31");
    let theme = |report: &Value, key: &str| {
        ["wows", "woes"]
            .iter()
            .flat_map(|l| report[*l].as_array().unwrap().iter())
            .find(|t| t["key"] == key)
            .cloned()
            .unwrap_or_else(|| panic!("{key} in {report}"))
    };
    let (_, everyone) = app.get_json(&base).await;
    assert_eq!(theme(&everyone, "support")["mentions"], 3);
    assert!(everyone.get("segment").is_none());

    let seg = "segment=external_id%20in%20(%22a1%22%2C%20%22a2%22%2C%20%22a3%22)";
    let (status, cut) = app.get_json(&format!("{base}&{seg}")).await;
    assert_eq!(status, 200, "{cut}");
    assert_eq!((cut["responses"].as_u64(), cut["segment"]["customers"].as_u64()), (Some(3), Some(3)));
    let support = theme(&cut, "support");
    assert_eq!(support["mentions"], 1);
    // One detractor mentioning it (NPS -100) against two promoters who do not (+100): -200 points.
    assert!((support["impact"]["delta"].as_f64().unwrap() + 200.0).abs() < 1e-9, "{support}");
    assert_eq!((support["impact"]["n_a"].as_u64(), support["impact"]["n_b"].as_u64()), (Some(1), Some(2)));
    let examples = support["examples"].as_array().unwrap();
    assert_eq!(examples.len(), 1);
    assert_eq!(examples[0]["body"], "The support agent was rude.");
    assert_eq!(examples[0]["score"], 2);
    assert_eq!(theme(&cut, "onboarding")["mentions"], 2);
    assert!((support["share"].as_f64().unwrap() - 100.0 / 3.0).abs() < 1e-9);

    // A saved segment works the same, and a broken expression is a clear error.
    let r = app
        .post_json(
            "/api/v1/segments",
            &json!({"name": "Group A", "expression": "external_id in (\"a1\", \"a2\", \"a3\")"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let saved: Value = r.json().await.unwrap();
    let sid = saved["id"].as_str().unwrap();
    let (_, by_id) = app.get_json(&format!("{base}&segment_id={sid}")).await;
    assert_eq!(
        (by_id["segment"]["label"].as_str(), theme(&by_id, "support")["mentions"].as_u64()),
        (Some("Group A"), Some(1))
    );
    let (status, body) = app.get_json(&format!("{base}&segment=plan%20%3D")).await;
    assert_eq!((status, body["error"]["field"].as_str()), (422, Some("expression")));

    // Listing and CSV export keep only the segment's responses; pages stay full.
    let (_, page) = app.get_json(&format!("/api/v1/surveys/{id}/responses?segment_id={sid}&limit=2")).await;
    let first: Vec<&str> =
        page["responses"].as_array().unwrap().iter().map(|r| r["customer_external_id"].as_str().unwrap()).collect();
    assert_eq!(first.len(), 2);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let (_, rest) =
        app.get_json(&format!("/api/v1/surveys/{id}/responses?segment_id={sid}&limit=2&cursor={cursor}")).await;
    let mut seen: Vec<&str> = first.clone();
    seen.extend(rest["responses"].as_array().unwrap().iter().map(|r| r["customer_external_id"].as_str().unwrap()));
    seen.sort();
    assert_eq!(seen, vec!["a1", "a2", "a3"]);
    let csv = app
        .client
        .get(app.url(&format!("/api/v1/surveys/{id}/responses.csv?segment_id={sid}")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 4, "header and three rows: {csv}");
    let mut customers: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(4).unwrap()).collect();
    customers.sort();
    assert_eq!(customers, vec!["a1", "a2", "a3"], "{csv}");
    assert!(!csv.contains("never replied"));
}

#[tokio::test]
async fn reviews_and_interview_notes_import_into_kpis_and_text_analytics() {
    let app = spawn_app().await;
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"title": "Product reviews", "status": "active", "questions": [
                {"key": "stars", "type": "rating", "text": "Stars", "min": 1, "max": 5},
                {"key": "review", "type": "text", "text": "Review"}]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let s: Value = r.json().await.unwrap();
    let id = s["id"].as_str().unwrap();
    let post = |query: &str, ctype: &str, body: &str| {
        app.client
            .post(app.url(&format!("/api/v1/surveys/{id}/feedback?{query}")))
            .bearer_auth(&app.token)
            .header("content-type", ctype)
            .body(body.to_string())
            .send()
    };
    let csv = "Review,Stars,Date,Reviewer,Review ID\n\"Support was slow, waited days\",2,2026-03-02,sam,r1\nLove the new dashboard,5,2026-03-03,kim,r2\nGreat,seven,2026-03-04,lee,r3\n";
    // All or nothing: one bad row, nothing stored; the error names line and column.
    let r = post("source=app-store&all_or_nothing=true&map=Reviewer:author", "text/csv", csv).await.unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!((body["imported"].as_u64(), body["valid"].as_u64()), (Some(0), Some(2)));
    assert_eq!((body["errors"][0]["line"].as_u64(), body["errors"][0]["column"].as_str()), (Some(4), Some("Stars")));
    assert_eq!(app.store.response_count(id.parse().unwrap()).await.unwrap(), 0);
    // Valid rows only.
    let r = post("source=app-store&map=Reviewer:author", "text/csv", csv).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["imported"], 2);
    // The same export again: the two reviews it holds are known by their ids and left out.
    let again: Value =
        post("source=app-store&map=Reviewer:author", "text/csv", csv).await.unwrap().json().await.unwrap();
    assert_eq!((again["imported"].as_u64(), again["already_imported"].as_u64()), (Some(0), Some(2)));
    let json_notes =
        r#"[{"note": "The onboarding call was clear and practical", "customer": "acme", "date": "2026-03-05"}]"#;
    let r = post("source=interview", "application/json", json_notes).await.unwrap();
    assert_eq!(r.status(), 200);
    // Bad requests: no source, wrong media type, a broken file.
    expect_error(post("", "text/csv", csv).await.unwrap(), 422, Some("source")).await;
    expect_error(post("source=x", "text/plain", csv).await.unwrap(), 415, None).await;
    expect_error(post("source=x", "application/json", "[1,").await.unwrap(), 422, Some("file")).await;

    // They count: the rating KPI, marked by source, with the author kept.
    let (_, m) = app.get_json(&format!("/api/v1/surveys/{id}/metrics?from=2026-03-01&to=2026-03-31")).await;
    let mean = &m["questions"][0]["measures"][0];
    assert_eq!((mean["n"].as_u64(), mean["value"].as_f64()), (Some(2), Some(3.5)));
    let (_, list) = app.get_json(&format!("/api/v1/surveys/{id}/responses?order=asc")).await;
    let rows = list["responses"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!((rows[0]["channel"].as_str(), rows[0]["context"]["author"].as_str()), (Some("app-store"), Some("sam")));
    assert_eq!(rows[0]["context"]["source_id"], "r1");
    assert_eq!(
        (rows[2]["channel"].as_str(), rows[2]["customer_external_id"].as_str()),
        (Some("interview"), Some("acme"))
    );
    // And the text analytics read them like any comment.
    wait_analysed(&app, id, 3).await;
    let (_, notes) = app.get_json("/api/v1/comments?channel=interview").await;
    let notes = notes["comments"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (notes[0]["channel"].as_str(), notes[0]["body"].as_str()),
        (Some("interview"), Some("The onboarding call was clear and practical"))
    );
    assert!(notes[0]["themes"].as_array().unwrap().iter().any(|t| t == "onboarding"), "{:?}", notes[0]);
}

#[tokio::test]
async fn qr_codes_of_public_and_personal_links() {
    let app = spawn_app().await;
    let s = app.create_survey("Poster").await;
    let id = s["id"].as_str().unwrap();
    let get = |q: &str| app.client.get(app.url(&format!("/api/v1/surveys/{id}/qr{q}"))).bearer_auth(&app.token).send();
    let svg = get("").await.unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let svg = svg.text().await.unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("h1v1h-1z"));
    let png = get("?format=png&scale=4").await.unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    let bytes = png.bytes().await.unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // A personal link encodes more, so its code differs from the public one.
    let personal = get("?customer=acme").await.unwrap().text().await.unwrap();
    assert_ne!(personal, svg);
    expect_error(get("?format=gif").await.unwrap(), 422, Some("format")).await;
    expect_error(get("?format=png&scale=99").await.unwrap(), 422, Some("scale")).await;
    // The scale is checked whatever the format; a blank format is the default.
    expect_error(get("?scale=41").await.unwrap(), 422, Some("scale")).await;
    assert_eq!(get("?format=&scale=").await.unwrap().headers()["content-type"], "image/svg+xml");
    let anonymous = app.client.get(app.url(&format!("/api/v1/surveys/{id}/qr"))).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn the_widget_answers_only_listed_origins() {
    let app = spawn_app().await;
    let s = app.create_survey("Widget").await;
    let id = s["id"].as_str().unwrap();
    let put = |body: Value| {
        app.client.put(app.url(&format!("/api/v1/surveys/{id}/widget"))).bearer_auth(&app.token).json(&body).send()
    };
    let r = put(json!({"origins": ["https://app.example.com", "app.example.com/path"]})).await.unwrap();
    expect_error(r, 422, Some("origins[1]")).await;
    let r = put(json!({"origins": ["HTTPS://App.Example.com/"], "every_days": 14})).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["origins"][0], "https://app.example.com");
    let (_, w) = app.get_json(&format!("/api/v1/surveys/{id}/widget")).await;
    assert!(w["snippet"].as_str().unwrap().contains(&format!("data-survey=\"{id}\"")));

    let cfg = |origin: Option<&str>| {
        let mut r = app.client.get(app.url(&format!("/api/v1/widget/{id}")));
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        r.send()
    };
    let ok = cfg(Some("https://app.example.com")).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["access-control-allow-origin"], "https://app.example.com");
    let body: Value = ok.json().await.unwrap();
    assert_eq!((body["question"]["key"].as_str(), body["every_days"].as_u64()), (Some("nps"), Some(14)));
    assert_eq!(body["follow_up"]["key"], "why");
    let refused = cfg(Some("https://evil.example")).await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("access-control-allow-origin").is_none());
    assert!(refused.json::<Value>().await.unwrap()["error"]["message"].as_str().unwrap().contains("evil.example"));
    assert_eq!(cfg(None).await.unwrap().status(), 403);

    let post = |origin: &str, body: Value| {
        app.client.post(app.url(&format!("/api/v1/widget/{id}/responses"))).header("origin", origin).json(&body).send()
    };
    let pre = app
        .client
        .request(reqwest::Method::OPTIONS, app.url(&format!("/api/v1/widget/{id}/responses")))
        .header("origin", "https://app.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(pre.status(), 204);
    assert_eq!(pre.headers()["access-control-allow-headers"], "content-type");
    let r = post("https://evil.example", json!({"answers": {"nps": 10}})).await.unwrap();
    assert_eq!(r.status(), 403);
    let r = post("https://app.example.com", json!({"answers": {"nps": 10}, "customer": {"external_id": "vip"}})).await;
    assert_eq!(r.unwrap().status(), 403, "naming a visitor needs a signature");
    let r = post("https://app.example.com", json!({"answers": {"nps": 11}})).await.unwrap();
    expect_error(r, 422, Some("answers.nps")).await;
    let r = post("https://app.example.com", json!({"answers": {"nps": 10, "why": "Lovely"}})).await.unwrap();
    assert_eq!(r.status(), 201);
    let (_, list) = app.get_json(&format!("/api/v1/surveys/{id}/responses")).await;
    assert_eq!(list["responses"].as_array().unwrap().len(), 1, "only the valid answer from a listed origin");
    // A signed visitor who answered is not asked again, on any device; an unsigned one is.
    let link: Value = app
        .post_json(&format!("/api/v1/surveys/{id}/links"), &json!({"external_id": "vip"}))
        .await
        .json()
        .await
        .unwrap();
    let sig = link["signature"].as_str().unwrap();
    let asked = |q: String| {
        app.client.get(app.url(&format!("/api/v1/widget/{id}{q}"))).header("origin", "https://app.example.com").send()
    };
    let before: Value = asked(format!("?customer=vip&signature={sig}")).await.unwrap().json().await.unwrap();
    assert_eq!(before["show"], true);
    let r = post(
        "https://app.example.com",
        json!({"answers": {"nps": 9}, "customer": {"external_id": "vip", "signature": sig}}),
    )
    .await;
    assert_eq!(r.unwrap().status(), 201);
    let after: Value = asked(format!("?customer=vip&signature={sig}")).await.unwrap().json().await.unwrap();
    assert_eq!(after["show"], false);
    let forged: Value = asked("?customer=vip&signature=00".into()).await.unwrap().json().await.unwrap();
    assert_eq!(forged["show"], true, "a bad signature proves nothing");
    assert_eq!(list["responses"][0]["channel"], "widget");
    let js = app.client.get(app.url("/widget.js")).send().await.unwrap();
    assert!(js.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(js.text().await.unwrap().contains("attachShadow"));
}

/// What the OpenAPI document calls invalid is refused, each naming its
/// field: bounded free text, a struct sent as an array, options on an
/// attribute that takes none, addresses and origins that only looked right.
#[tokio::test]
async fn the_api_refuses_what_its_document_refuses() {
    let app = spawn_app().await;
    let s = app.create_survey("Strict").await;
    let id = s["id"].as_str().unwrap();
    let send = |method: reqwest::Method, path: String, body: Value| {
        app.client.request(method, app.url(&path)).bearer_auth(&app.token).json(&body).send()
    };
    use reqwest::Method;
    let long = |n: usize| "x".repeat(n);

    let text_with_options = json!({"key": "tier", "label": "Tier", "type": "text", "options": ["a"]});
    let r = send(Method::PUT, "/api/v1/customer-attributes/tier".into(), text_with_options).await.unwrap();
    expect_error(r, 422, Some("options")).await;
    let unknown = json!({"key": "tier", "label": "Tier", "type": "text", "colour": "red"});
    let r = send(Method::PUT, "/api/v1/customer-attributes/tier".into(), unknown).await.unwrap();
    assert_eq!(r.status(), 422);
    let (_, defs) = app.get_json("/api/v1/customer-attributes").await;
    assert!(!defs.to_string().contains("tier"), "nothing was defined: {defs}");

    let survey = |field: &str, value: Value| {
        let mut body = json!({"title": "T", "questions": [{"key": "nps", "type": "nps", "text": "?"}]});
        body[field] = value;
        body
    };
    let r = send(Method::POST, "/api/v1/surveys".into(), survey("description", json!(long(2001)))).await.unwrap();
    expect_error(r, 422, Some("description")).await;
    let r = send(Method::POST, "/api/v1/surveys".into(), survey("thank_you", json!(long(1001)))).await.unwrap();
    expect_error(r, 422, Some("thank_you")).await;
    let r = send(Method::POST, "/api/v1/surveys".into(), survey("description", json!(long(2000)))).await.unwrap();
    assert_eq!(r.status(), 201, "at the limit is fine");

    let segment = json!({"name": "Big", "expression": "email contains \"@\"", "description": long(501)});
    let r = send(Method::POST, "/api/v1/segments".into(), segment).await.unwrap();
    expect_error(r, 422, Some("description")).await;

    assert_eq!(send(Method::PUT, "/api/v1/customers/c-1".into(), json!({"name": "Ana"})).await.unwrap().status(), 200);
    let r = send(Method::PUT, "/api/v1/customers/c-2".into(), json!([null, null])).await.unwrap();
    expect_error(r, 422, None).await;
    let (status, _) = app.get_json("/api/v1/customers/c-2").await;
    assert_eq!(status, 404, "an array is not a customer");
    let event = json!({"kind": "renewed", "note": long(1001)});
    let r = send(Method::POST, "/api/v1/customers/c-1/events".into(), event).await.unwrap();
    expect_error(r, 422, Some("note")).await;

    let bounce = json!({"email": "ana@example.com", "reason": long(501)});
    let r = send(Method::POST, "/api/v1/invitations/bounces".into(), bounce).await.unwrap();
    expect_error(r, 422, Some("reason")).await;

    let taxonomy = json!({"themes": [{"key": "billing", "name": "Billing", "words": ["bill"]}], "note": long(501)});
    let r = send(Method::PUT, "/api/v1/taxonomy".into(), taxonomy).await.unwrap();
    expect_error(r, 422, Some("note")).await;

    // A response's customer address follows the directory's rule.
    let response = json!({"answers": {"nps": 9}, "customer": {"external_id": "c-1", "email": "ana@"}});
    let r = send(Method::POST, format!("/api/v1/surveys/{id}/responses"), response).await.unwrap();
    expect_error(r, 422, Some("customer.email")).await;

    for origin in ["http://[", "http://[1d22a3.:bc2]", "https://a..b", "https://a.com:99999"] {
        let r = send(Method::PUT, format!("/api/v1/surveys/{id}/widget"), json!({"origins": [origin]})).await.unwrap();
        expect_error(r, 422, Some("origins[0]")).await;
    }
}

/// A KPI cut by an expression (its scores read once over both periods and
/// split) equals the same cut by the saved segment of that expression (its
/// rollup read per period): this period, the previous one, and the change.
#[tokio::test]
async fn a_cut_by_an_expression_equals_its_saved_segment_in_both_periods() {
    let app = spawn_app().await;
    let s = app.create_survey("Cuts").await;
    let survey = app.store.get_survey(s["id"].as_str().unwrap().parse().unwrap()).await.unwrap();
    let base = time::macros::datetime!(2026-02-01 0:00 UTC);
    let batch: Vec<cxloop_store::NewResponse> = (0..600i64)
        .map(|i| {
            let mut answers = cxloop_core::Answers::new();
            answers.insert("nps".into(), cxloop_core::AnswerValue::Score(((i * 7) % 11) as i32));
            let plan = if i % 3 == 0 { "pro" } else { "starter" };
            cxloop_store::NewResponse {
                id: cxloop_core::ids::ResponseId::new(),
                survey: survey.clone(),
                customer: Some(cxloop_store::CustomerRef {
                    external_id: format!("c{}", i % 45),
                    name: None,
                    email: None,
                    attributes: json!({ "plan": plan }).as_object().unwrap().clone(),
                }),
                // Every few hours over February and March: both periods of a March cut.
                submitted_at: base + time::Duration::hours(i * 5 / 2),
                channel: "api".into(),
                answers,
                touchpoint: None,
                context: None,
            }
        })
        .collect();
    app.store.insert_responses(&batch).await.unwrap();
    let plan = json!({"key": "plan", "label": "Plan", "type": "text"});
    let r =
        app.client.put(app.url("/api/v1/customer-attributes/plan")).bearer_auth(&app.token).json(&plan).send().await;
    assert_eq!(r.unwrap().status(), 200);
    let seg = app.post_json("/api/v1/segments", &json!({"name": "Pro", "expression": "plan = \"pro\""})).await;
    let seg: Value = seg.json().await.unwrap();
    while app.store.refresh_members(10_000).await.unwrap() > 0 {}
    let base_url = format!("/api/v1/surveys/{}/metrics?from=2026-03-03&to=2026-03-30", survey.id);
    let (_, by_expr) = app.get_json(&format!("{base_url}&segment=plan%20%3D%20%22pro%22")).await;
    let (_, by_saved) = app.get_json(&format!("{base_url}&segment_id={}", seg["id"].as_str().unwrap())).await;
    assert_eq!(by_expr["questions"], by_saved["questions"], "{by_expr}");
    let nps = &by_expr["questions"][0]["measures"][0];
    assert!(nps["n"].as_u64().unwrap() > 20 && nps["change"]["previous_n"].as_u64().unwrap() > 20, "{nps}");
    let (_, everyone) = app.get_json(&base_url).await;
    assert_ne!(everyone["questions"][0]["measures"][0]["n"], nps["n"], "the cut keeps to the segment");
}
