//! Starting the real app for a test, and small HTTP conveniences.

use cxloop_server::platform::{auth, crypto};
use cxloop_server::{Application, Config};
use cxloop_store::testing::{Backend, TempDatabase};
use cxloop_store::{NewUser, Role, Store};
use serde_json::{Value, json};
use std::sync::Arc;

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub token: String,
    pub store: Arc<dyn Store>,
    pub email: String,
    pub password: String,
    _db: Option<TempDatabase>,
}

/// Starts cxloop on 127.0.0.1:0 over a new temp database with one admin
/// and an API token for them. The backend is SQLite, or PostgreSQL with
/// `CXLOOP_TEST_BACKEND=postgres` (then an unreachable server is a failure).
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The same, with the configuration changed first (mail, say).
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let db = TempDatabase::new(Backend::from_env())
        .await
        .expect("CXLOOP_TEST_BACKEND=postgres but PostgreSQL is unreachable");
    let store = cxloop_store::open(&db.url).await.unwrap();
    spawn_app_on(store, Some(db), configure).await
}

/// Starts cxloop over a store the test opened itself (and `db`, kept alive
/// with the app when given).
pub async fn spawn_app_on(
    store: Arc<dyn Store>,
    db: Option<TempDatabase>,
    configure: impl FnOnce(&mut Config),
) -> TestApp {
    let email = "admin@example.com".to_string();
    let password = "a long test password".to_string();
    let user = store
        .create_user(&NewUser {
            email: email.clone(),
            name: "Admin".into(),
            role: Role::Admin,
            password_hash: Some(auth::hash_password(&password).unwrap()),
        })
        .await
        .unwrap();
    let token = crypto::new_token();
    store.create_token(user.id, "tests", &crypto::sha256_hex(&token), Role::Admin.permissions()).await.unwrap();
    let mut config = Config::new("127.0.0.1:0".parse().unwrap());
    configure(&mut config);
    let app = Application::build(store.clone(), config).await.unwrap();
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { base, client, token, store, email, password, _db: db }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(&self.token).json(body).send().await.unwrap()
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).bearer_auth(&self.token).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// A staff page's HTML, read with a session cookie (`cxloop_session=…`).
    pub async fn page(&self, path: &str, cookie: &str) -> String {
        let r = self.client.get(self.url(path)).header("cookie", cookie).send().await.unwrap();
        r.text().await.unwrap()
    }

    /// Posts an urlencoded staff form with a session cookie.
    pub async fn post_form(&self, path: &str, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client.post(self.url(path)).header("cookie", cookie).form(form).send().await.unwrap()
    }

    /// Posts a ready multipart body (`content_type` carries its boundary) with a session cookie.
    pub async fn post_multipart(
        &self,
        path: &str,
        cookie: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("cookie", cookie)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Creates an active survey with NPS, CSAT, CES, a choice and a comment.
    pub async fn create_survey(&self, title: &str) -> Value {
        let r = self
            .post_json(
                "/api/v1/surveys",
                &json!({
                    "title": title,
                    "status": "active",
                    "touchpoint": "support ticket",
                    "questions": [
                        {"key": "nps", "type": "nps", "text": "How likely are you to recommend us?", "required": true},
                        {"key": "csat", "type": "csat", "text": "How satisfied are you?"},
                        {"key": "ces", "type": "ces", "text": "How easy was it?"},
                        {"key": "area", "type": "multiple_choice", "text": "What stood out?", "options": ["Price", "Support", "Speed"]},
                        {"key": "why", "type": "text", "text": "Why?"}
                    ]
                }),
            )
            .await;
        assert_eq!(r.status(), 201);
        r.json().await.unwrap()
    }

    /// Signs in through the login form and returns the session cookie.
    pub async fn login(&self) -> String {
        self.login_as(&self.email, &self.password).await
    }

    /// Signs in as someone else.
    pub async fn login_as(&self, email: &str, password: &str) -> String {
        let r = self.post_login(email, password, "/dashboard").await;
        assert_eq!(r.status(), 303, "login should redirect");
        set_cookie(&r, "cxloop_session").expect("session cookie")
    }

    /// Fetches the login form and posts it (any outcome: redirect, 422, 429).
    pub async fn post_login(&self, email: &str, password: &str, next: &str) -> reqwest::Response {
        let page = self.client.get(self.url("/login")).send().await.unwrap();
        let csrf_cookie = set_cookie(&page, "cxloop_login").expect("login csrf cookie");
        let html = page.text().await.unwrap();
        let csrf = hidden(&html, "_csrf").expect("csrf field");
        self.client
            .post(self.url("/login"))
            .header("cookie", format!("cxloop_login={csrf_cookie}"))
            .form(&[("_csrf", csrf.as_str()), ("email", email), ("password", password), ("next", next)])
            .send()
            .await
            .unwrap()
    }
}

/// The value a response sets for a cookie.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")).map(|rest| rest.split(';').next().unwrap_or("").to_string()))
}

/// The value of the first hidden input with this name.
pub fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &html[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}
