//! One browser test: a respondent answers a survey in headless Chromium,
//! then a staff member signs in and sees the answer on the dashboard.
//! Talks WebDriver to chromedriver directly. Without Chromium it fails
//! under CI=true and is skipped (saying so) elsewhere.

use crate::helpers::spawn_app;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    profile: std::path::PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn find_binary(names: &[&str]) -> Option<String> {
    names.iter().find(|p| std::path::Path::new(p).exists()).map(|p| p.to_string())
}

impl Driver {
    async fn start() -> Option<Driver> {
        let chromedriver = find_binary(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
        let chromium = find_binary(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
        let (Some(chromedriver), Some(chromium)) = (chromedriver, chromium) else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but chromium/chromedriver are not installed (apt-get install chromium chromium-driver)"
                );
            }
            eprintln!("SKIPPED browser test: chromium and chromedriver are not installed");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = std::env::temp_dir().join(format!("cxloop-chrome-{}", uuid::Uuid::now_v7()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                         format!("--user-data-dir={}", profile.display()), "--window-size=1200,900"]
            }
        }}});
        let r: Value = http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session =
            r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {r}")).to_string();
        Some(Driver { child, base, session, http, profile })
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(v["value"].get("error").is_none(), "WebDriver {path}: {v}");
        v["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self.cmd(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        v[ELEMENT].as_str().unwrap().to_string()
    }

    async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/click"), Some(json!({}))).await;
    }

    async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{id}/value"), Some(json!({"text": text}))).await;
    }

    async fn source(&self) -> String {
        self.cmd(reqwest::Method::GET, "/source", None).await.as_str().unwrap_or_default().to_string()
    }

    async fn current_url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_string()
    }

    /// Waits (up to ten seconds) until the page's source contains `text`
    /// (a form posted to the same URL does not change it), and returns it.
    async fn wait_for_source(&self, text: &str) -> String {
        let mut page = String::new();
        for _ in 0..100 {
            page = self.source().await;
            if page.contains(text) {
                return page;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page never showed {text:?}; it shows: {page}");
    }

    /// Runs JavaScript in the page and returns its result.
    async fn script(&self, js: &str) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": js, "args": []}))).await
    }

    /// Waits (up to ten seconds) until `js` returns true.
    async fn wait_until(&self, js: &str) {
        for _ in 0..100 {
            if self.script(js).await == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("never true in the page: {js}");
    }

    /// Waits (up to ten seconds) until the page's URL contains `part`: a
    /// click that submits a form does not always wait for the navigation.
    async fn wait_for_url(&self, part: &str) -> String {
        let mut url = String::new();
        for _ in 0..100 {
            url = self.current_url().await;
            if url.contains(part) {
                return url;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the browser never reached a URL containing {part:?}; it is at {url}");
    }
}

#[tokio::test]
async fn respondent_answers_and_staff_sees_it_on_the_dashboard() {
    let app = spawn_app().await;
    let s = app.create_survey("Browser check").await;
    let Some(d) = Driver::start().await else {
        return;
    };

    // The respondent: pick 9 on the NPS scale, tick a choice by its label, write a comment.
    d.go(&app.url("/s/browser-check")).await;
    d.click("input[name='q.nps'][value='9']").await;
    d.click("label[for='area-1']").await;
    d.type_into("textarea[name='q.why']", "The onboarding call was superb & quick").await;
    d.click("button[type='submit']").await;
    d.wait_for_url("/s/browser-check/thanks").await;
    assert!(d.source().await.contains("Thank you"));

    // Staff: sign in and open the survey dashboard.
    d.go(&app.url(&format!("/surveys/{}", s["id"].as_str().unwrap()))).await;
    d.wait_for_url("/login").await;
    d.type_into("#email", &app.email).await;
    d.type_into("#password", &app.password).await;
    d.click("button[type='submit']").await;
    let back = d.wait_for_url(&format!("/surveys/{}", s["id"].as_str().unwrap())).await;
    assert!(!back.contains("/login"), "signed in and sent back: {back}");
    let page = d.source().await;
    assert!(page.contains("The onboarding call was superb &amp; quick"), "the comment is on the dashboard");
    assert!(page.contains("n = 1"));
    let _ = d.cmd(reqwest::Method::DELETE, "", None).await;
}

#[tokio::test]
async fn wows_and_woes_page_shows_themes_with_impact_and_escaped_verbatims() {
    let app = spawn_app().await;
    let s = app.create_survey("Woes check").await;
    let id = s["id"].as_str().unwrap().to_string();
    for (nps, why) in [
        (1, "The billing portal is a <b>mess</b> and the refund never came"),
        (3, "We were charged twice for the renewal"),
        (10, "Support answered within the hour, very friendly agent"),
        (9, "Friendly support, quick reply"),
    ] {
        let r = app
            .post_json(&format!("/api/v1/surveys/{id}/responses"), &json!({"answers": {"nps": nps, "why": why}}))
            .await;
        assert_eq!(r.status(), 201);
    }
    // Wait until the background worker has analysed the comments.
    for _ in 0..100 {
        let (_, body) = app.get_json(&format!("/api/v1/surveys/{id}/themes")).await;
        if body["analysed"] == 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some(d) = Driver::start().await else { return };
    d.go(&app.url(&format!("/surveys/{id}/themes"))).await;
    d.wait_for_url("/login").await;
    d.type_into("#email", &app.email).await;
    d.type_into("#password", &app.password).await;
    d.click("button[type='submit']").await;
    d.wait_for_url(&format!("/surveys/{id}/themes")).await;
    let woes = d
        .cmd(reqwest::Method::GET, &format!("/element/{}/text", d.find("section[aria-labelledby='woes']").await), None)
        .await;
    let woes = woes.as_str().unwrap().to_string();
    assert!(woes.contains("Billing and invoices"), "{woes}");
    assert!(woes.contains("NPS points"), "impact is shown: {woes}");
    assert!(woes.contains("The billing portal is a <b>mess</b>"), "the verbatim is shown as typed, not as markup");
    let wows = d
        .cmd(reqwest::Method::GET, &format!("/element/{}/text", d.find("section[aria-labelledby='wows']").await), None)
        .await;
    assert!(wows.as_str().unwrap().contains("Staff attitude"), "{wows}");
    let _ = d.cmd(reqwest::Method::DELETE, "", None).await;
}

#[tokio::test]
async fn segment_editor_and_customer_page() {
    let app = spawn_app().await;
    let put = |path: &str, body: Value| app.client.put(app.url(path)).bearer_auth(&app.token).json(&body).send();
    assert_eq!(
        put(
            "/api/v1/customer-attributes/plan",
            json!({"key": "plan", "label": "Plan", "type": "one_of", "options": ["starter", "pro"]})
        )
        .await
        .unwrap()
        .status(),
        200
    );
    assert_eq!(
        put("/api/v1/customers/acme", json!({"name": "Acme <Works>", "attributes": {"plan": "pro"}}))
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        put("/api/v1/customers/tiny", json!({"name": "Tiny Co", "attributes": {"plan": "starter"}}))
            .await
            .unwrap()
            .status(),
        200
    );
    let s = app.create_survey("Timeline").await;
    let r = app
        .post_json(
            &format!("/api/v1/surveys/{}/responses", s["id"].as_str().unwrap()),
            &json!({"answers": {"nps": 3, "why": "Invoices are confusing"}, "customer": {"external_id": "acme"}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(app.post_json("/api/v1/customers/acme/events", &json!({"kind": "renewed"})).await.status(), 201);
    let Some(d) = Driver::start().await else { return };
    d.go(&app.url("/segments")).await;
    d.wait_for_url("/login").await;
    d.type_into("#email", &app.email).await;
    d.type_into("#password", &app.password).await;
    d.click("button[type='submit']").await;
    d.wait_for_url("/segments").await;
    // A broken expression is refused with its position, keeping what was typed.
    d.type_into("#name", "Unhappy pro").await;
    d.type_into("#expression", "plan = pro").await;
    d.click("form[action='/segments'] button[type='submit']").await;
    let page = d.wait_for_source("line 1, column 8").await;
    assert!(page.contains("Unhappy pro"), "the name is kept");
    // Fixed: saved, counted, and its customers listed.
    let id = d.find("#expression").await;
    d.cmd(reqwest::Method::POST, &format!("/element/{id}/clear"), Some(json!({}))).await;
    d.type_into("#expression", "plan = \"pro\" and last_nps <= 6").await;
    d.click("form[action='/segments'] button[type='submit']").await;
    d.wait_for_source("last_nps &lt;= 6</td>").await;
    let table = d.cmd(reqwest::Method::GET, &format!("/element/{}/text", d.find("table").await), None).await;
    let table = table.as_str().unwrap().to_string();
    assert!(table.contains("Unhappy pro") && table.contains("plan = \"pro\" and last_nps <= 6"), "{table}");
    d.click("table a").await;
    d.wait_for_url("/customers?segment_id=").await;
    let list = d.source().await;
    assert!(list.contains("Acme &lt;Works&gt;") && !list.contains("Tiny Co"), "only the segment's customers, escaped");
    // The customer page: attributes and one timeline of events and answers.
    d.click("table a").await;
    d.wait_for_url("/customers/acme").await;
    let text = d.cmd(reqwest::Method::GET, &format!("/element/{}/text", d.find("main").await), None).await;
    let text = text.as_str().unwrap().to_string();
    assert!(
        text.contains("Acme <Works>") && text.contains("renewed") && text.contains("Invoices are confusing"),
        "{text}"
    );
    let _ = d.cmd(reqwest::Method::DELETE, "", None).await;
}

/// A customer's site on another origin, with the widget's script tag.
async fn host_page(tag: String) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let html = format!(
        "<!doctype html><html><head><title>Acme app</title></head><body><h1>Acme dashboard</h1>{tag}</body></html>"
    );
    let app = axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(html) }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

#[tokio::test]
async fn the_website_widget_asks_once_posts_and_stays_away_from_unlisted_origins() {
    let app = spawn_app().await;
    let s = app.create_survey("Widget check").await;
    let id = s["id"].as_str().unwrap().to_string();
    let link: Value = app
        .post_json(&format!("/api/v1/surveys/{id}/links"), &json!({"external_id": "visitor-1"}))
        .await
        .json()
        .await
        .unwrap();
    let sig = link["signature"].as_str().unwrap();
    let tag = format!(
        "<script src=\"{}/widget.js\" data-survey=\"{id}\" data-customer=\"visitor-1\" data-signature=\"{sig}\" async></script>",
        app.base
    );
    let port = host_page(tag).await;
    let r = app
        .client
        .put(app.url(&format!("/api/v1/surveys/{id}/widget")))
        .bearer_auth(&app.token)
        .json(&json!({"origins": [format!("http://127.0.0.1:{port}")], "every_days": 30}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let Some(d) = Driver::start().await else {
        return;
    };
    let widget = "document.querySelector('#cxloop-widget')";
    d.go(&format!("http://127.0.0.1:{port}/")).await;
    d.wait_until(&format!("return !!{widget} && !!{widget}.shadowRoot.querySelector('button[data-score=\"9\"]')"))
        .await;
    d.script(&format!("{widget}.shadowRoot.querySelector('button[data-score=\"9\"]').click()")).await;
    d.wait_until(&format!("return !!{widget}.shadowRoot.querySelector('textarea')")).await;
    d.script(&format!(
        "const t = {widget}.shadowRoot.querySelector('textarea'); t.value = 'Setup was quick <b>really</b>'; {widget}.shadowRoot.querySelector('.send').click()"
    ))
    .await;
    d.wait_until(&format!("return !!{widget} && {widget}.shadowRoot.textContent.includes('Thank you')")).await;
    let (_, list) = app.get_json(&format!("/api/v1/surveys/{id}/responses")).await;
    let r = &list["responses"][0];
    assert_eq!((r["channel"].as_str(), r["customer_external_id"].as_str()), (Some("widget"), Some("visitor-1")));
    assert_eq!(
        (r["answers"]["nps"].as_i64(), r["answers"]["why"].as_str()),
        (Some(9), Some("Setup was quick <b>really</b>"))
    );

    // The same visitor is not asked again within the display frequency.
    d.go(&format!("http://127.0.0.1:{port}/")).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(d.script(&format!("return !!{widget}")).await, Value::Bool(false));
    // On an origin the survey does not list (localhost is not 127.0.0.1), nothing shows.
    d.go(&format!("http://localhost:{port}/")).await;
    d.wait_until("return document.readyState === 'complete'").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(d.script(&format!("return !!{widget}")).await, Value::Bool(false));
    assert_eq!(list["responses"].as_array().unwrap().len(), 1);
    let _ = d.cmd(reqwest::Method::DELETE, "", None).await;
}
