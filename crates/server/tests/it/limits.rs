//! Floods: wrong passwords per account and per address, and anonymous posts
//! per address, are refused with 429 and `Retry-After` beyond their limits,
//! and served again once the window has passed.

use crate::helpers::{TestApp, spawn_app_with};
use serde_json::{Value, json};
use std::time::Duration;

async fn try_login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_login(email, password, "/dashboard").await
}

#[tokio::test]
async fn wrong_passwords_are_limited_per_account_and_the_right_one_works_after_the_window() {
    let app = spawn_app_with(|c| c.rate_window = Duration::from_secs(2)).await;
    let (email, password) = (app.email.clone(), app.password.clone());
    for _ in 0..cxloop_server::platform::limits::LOGIN_PER_ACCOUNT {
        assert_eq!(try_login(&app, &email, "wrong password!").await.status(), 422);
    }
    let r = try_login(&app, &email, &password).await;
    assert_eq!(r.status(), 429, "even the right password waits out the window");
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert!(r.text().await.unwrap().contains("Too many wrong passwords"));
    // Another account from the same address is not locked by this one.
    assert_eq!(try_login(&app, "someone@example.com", "wrong password!").await.status(), 422);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(try_login(&app, &email, &password).await.status(), 303);
}

#[tokio::test]
async fn wrong_passwords_are_limited_per_address_across_accounts() {
    let app = spawn_app_with(|c| c.rate_window = Duration::from_secs(30)).await;
    for i in 0..cxloop_server::platform::limits::LOGIN_PER_ADDRESS {
        let r = try_login(&app, &format!("guess{i}@example.com"), "wrong password!").await;
        assert_eq!(r.status(), 422);
    }
    let r = try_login(&app, "guess-last@example.com", "wrong password!").await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn anonymous_posts_are_limited_per_address_and_token_holders_are_not() {
    let app = spawn_app_with(|c| {
        c.public_rate_limit = 5;
        c.rate_window = Duration::from_secs(30);
    })
    .await;
    let survey = app.create_survey("Limited").await;
    let id = survey["id"].as_str().unwrap();
    let path = app.url(&format!("/api/v1/surveys/{id}/responses"));
    for _ in 0..5 {
        let r = app.client.post(&path).json(&json!({"answers": {"nps": 9}})).send().await.unwrap();
        assert_eq!(r.status(), 201);
    }
    let r = app.client.post(&path).json(&json!({"answers": {"nps": 9}})).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let err: Value = r.json().await.unwrap();
    assert_eq!(err["error"]["code"], "too_many_requests");
    // The page shares the address's budget and says so kindly.
    let page = app
        .client
        .post(app.url(&format!("/s/{}", survey["slug"].as_str().unwrap())))
        .form(&[("q.nps", "9")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 429);
    // An integration with a token is not an anonymous flood.
    let r = app.post_json(&format!("/api/v1/surveys/{id}/responses"), &json!({"answers": {"nps": 9}})).await;
    assert_eq!(r.status(), 201);
}
