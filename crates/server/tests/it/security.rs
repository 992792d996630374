//! Security defects found by review: open redirects after login, headers,
//! anonymous callers choosing their channel, JSON with trailing garbage.

use crate::helpers::{spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn login_never_redirects_off_the_site() {
    let app = spawn_app().await;
    for next in ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example", "/\n/evil.example"] {
        let r = app.post_login(&app.email, &app.password, next).await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/dashboard", "next={next:?}");
    }
}

#[tokio::test]
async fn pages_and_api_answers_are_not_cached_and_carry_the_policies() {
    let app = spawn_app().await;
    let cookie = format!("cxloop_session={}", app.login().await);
    let r = app.client.get(app.url("/dashboard")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.headers()["permissions-policy"].to_str().unwrap().contains("camera=()"));
    assert!(r.headers().get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    let r = app.client.get(app.url("/api/v1/customers")).bearer_auth(&app.token).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
    let r = app.client.get(app.url("/assets/app.css")).send().await.unwrap();
    assert_ne!(r.headers()["cache-control"], "no-store", "assets may be cached");

    let secure = spawn_app_with(|c| c.secure_cookies = true).await;
    let r = secure.client.get(secure.url("/login")).send().await.unwrap();
    assert!(r.headers()["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
}

#[tokio::test]
async fn anonymous_callers_cannot_choose_their_channel_and_staff_can() {
    let app = spawn_app().await;
    let s = app.create_survey("Channels").await;
    let id = s["id"].as_str().unwrap();
    let path = app.url(&format!("/api/v1/surveys/{id}/responses"));
    let r = app.client.post(&path).json(&json!({"answers": {"nps": 9}, "channel": "email"})).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = app.client.post(&path).json(&json!({"answers": {"nps": 9}})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["channel"], "api");
    let r = app
        .post_json(&format!("/api/v1/surveys/{id}/responses"), &json!({"answers": {"nps": 9}, "channel": "kiosk"}))
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn json_with_trailing_text_is_refused() {
    let app = spawn_app().await;
    let s = app.create_survey("Trailing").await;
    let id = s["id"].as_str().unwrap();
    let r = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{id}/responses")))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body(r#"{"answers": {"nps": 9}} {"answers": {"nps": 0}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(app.store.response_count(id.parse().unwrap()).await.unwrap(), 0);
}
