//! Public survey pages and staff pages over HTTP: validation that keeps
//! what was typed, signed links, login with CSRF, escaping.

use crate::helpers::{hidden, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn public_page_validates_keeps_input_and_thanks() {
    let app = spawn_app().await;
    let s = app.create_survey("Public").await;
    let page = app.client.get(app.url("/s/public")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.len() < 16 * 1024, "the page stays small: {} bytes", html.len());
    assert!(html.contains("<legend>How likely are you to recommend us?"));
    assert!(!html.contains("<script"), "no JavaScript needed");

    // Missing the required score: 422, the typed comment is kept, the error links to the question.
    let r =
        app.client.post(app.url("/s/public")).form(&[("q.why", "Kept <text>"), ("q.csat", "9")]).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Kept &lt;text&gt;"), "typed text is kept, escaped");
    assert!(html.contains("href=\"#q-nps\""));
    assert!(html.contains("href=\"#q-csat\""), "every problem is listed");
    assert_eq!(app.store.response_count(s["id"].as_str().unwrap().parse().unwrap()).await.unwrap(), 0);

    let r = app
        .client
        .post(app.url("/s/public"))
        .form(&[("q.nps", "10"), ("q.area", "Price"), ("q.area", "Speed"), ("q.why", "Lovely")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/s/public/thanks");
    let (_, list) = app.get_json(&format!("/api/v1/surveys/{}/responses", s["id"].as_str().unwrap())).await;
    let stored = &list["responses"][0];
    assert_eq!(stored["answers"], json!({"nps": 10, "area": ["Price", "Speed"], "why": "Lovely"}));
    assert_eq!(stored["channel"], "link");
    assert!(stored.get("customer_external_id").is_none());
    let thanks = app.client.get(app.url("/s/public/thanks")).send().await.unwrap().text().await.unwrap();
    assert!(thanks.contains("Thank you"));
}

#[tokio::test]
async fn signed_links_identify_and_tampered_links_stay_anonymous() {
    let app = spawn_app().await;
    let s = app.create_survey("Linked").await;
    let id = s["id"].as_str().unwrap();
    let r = app.post_json(&format!("/api/v1/surveys/{id}/links"), &json!({"external_id": "cust-42"})).await;
    let link: Value = r.json().await.unwrap();
    let url = link["url"].as_str().unwrap();
    let sig = link["signature"].as_str().unwrap();
    let page = app.client.get(url).send().await.unwrap().text().await.unwrap();
    assert_eq!(hidden(&page, "c").as_deref(), Some("cust-42"));
    let post = |c: &str, sig: &str| {
        app.client.post(app.url("/s/linked")).form(&[("q.nps", "7"), ("c", c), ("sig", sig)]).send()
    };
    assert_eq!(post("cust-42", sig).await.unwrap().status(), 303);
    assert_eq!(post("cust-99", sig).await.unwrap().status(), 303, "a tampered link still records the answer");
    let (_, list) = app.get_json(&format!("/api/v1/surveys/{id}/responses?order=asc")).await;
    let who: Vec<Option<&str>> =
        list["responses"].as_array().unwrap().iter().map(|r| r["customer_external_id"].as_str()).collect();
    assert_eq!(who, vec![Some("cust-42"), None], "never attributed to someone else");
    // The tampered page does not even carry the claim.
    let page =
        app.client.get(app.url(&format!("/s/linked?c=cust-99&sig={sig}"))).send().await.unwrap().text().await.unwrap();
    assert_eq!(hidden(&page, "c"), None);
}

#[tokio::test]
async fn closed_and_draft_surveys_are_not_answerable() {
    let app = spawn_app().await;
    let r = app
        .post_json(
            "/api/v1/surveys",
            &json!({"title": "Draft one", "questions": [{"key": "nps", "type": "nps", "text": "?"}]}),
        )
        .await;
    let draft: Value = r.json().await.unwrap();
    assert_eq!(draft["status"], "draft");
    assert_eq!(app.client.get(app.url("/s/draft-one")).send().await.unwrap().status(), 404);
    let s = app.create_survey("Closing").await;
    let id = s["id"].as_str().unwrap();
    app.client
        .patch(app.url(&format!("/api/v1/surveys/{id}")))
        .bearer_auth(&app.token)
        .json(&json!({"status": "closed"}))
        .send()
        .await
        .unwrap();
    let r = app.client.get(app.url("/s/closing")).send().await.unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.text().await.unwrap().contains("closed"));
    let r = app.client.post(app.url("/s/closing")).form(&[("q.nps", "9")]).send().await.unwrap();
    assert_eq!(r.status(), 410);
    assert_eq!(app.client.get(app.url("/s/no-such-survey")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn staff_pages_need_login_and_csrf() {
    let app = spawn_app().await;
    let s = app.create_survey("Staff view").await;
    let id = s["id"].as_str().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/surveys/{id}/responses"),
            &json!({"answers": {"nps": 2, "why": "<script>alert(1)</script> too slow"}}),
        )
        .await;
    assert_eq!(r.status(), 201);

    let r = app.client.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert!(r.headers()["location"].to_str().unwrap().starts_with("/login?next="));

    // A login post without the matching CSRF cookie is refused.
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("_csrf", "x"), ("email", app.email.as_str()), ("password", app.password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A wrong password is refused with the same message as an unknown email.
    let page = app.client.get(app.url("/login")).send().await.unwrap();
    let cookie = crate::helpers::set_cookie(&page, "cxloop_login").unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "_csrf").unwrap();
    let r = app
        .client
        .post(app.url("/login"))
        .header("cookie", format!("cxloop_login={cookie}"))
        .form(&[("_csrf", csrf.as_str()), ("email", app.email.as_str()), ("password", "wrong password!")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("do not match"));

    let session = app.login().await;
    let get =
        |path: String| app.client.get(app.url(&path)).header("cookie", format!("cxloop_session={session}")).send();
    let html = get(format!("/surveys/{id}")).await.unwrap().text().await.unwrap();
    assert!(html.contains("Staff view"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; too slow"), "comments are escaped");
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("<svg"), "charts are inline SVG");
    let overview = get("/dashboard".into()).await.unwrap().text().await.unwrap();
    assert!(overview.contains("Staff view"));
    // The CSV link works with the session (read-only).
    assert_eq!(get(format!("/api/v1/surveys/{id}/responses.csv")).await.unwrap().status(), 200);

    // Forms without the session's CSRF token are refused and change nothing.
    let r = app
        .client
        .post(app.url(&format!("/surveys/{id}/status")))
        .header("cookie", format!("cxloop_session={session}"))
        .form(&[("status", "closed"), ("_csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (_, got) = app.get_json(&format!("/api/v1/surveys/{id}")).await;
    assert_eq!(got["status"], "active");
    // An API write with only a cookie is refused (it would be open to CSRF).
    let r = app
        .client
        .post(app.url("/api/v1/surveys"))
        .header("cookie", format!("cxloop_session={session}"))
        .json(&json!({"title": "x", "questions": [{"key": "a", "type": "nps", "text": "?"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // With the token from the page, closing asks first (no JavaScript
    // needed), and closes only when confirmed.
    let csrf = hidden(&html, "_csrf").unwrap();
    let close = |fields: Vec<(&'static str, String)>| {
        app.client
            .post(app.url(&format!("/surveys/{id}/status")))
            .header("cookie", format!("cxloop_session={session}"))
            .form(&fields)
            .send()
    };
    let r = close(vec![("status", "closed".into()), ("_csrf", csrf.clone())]).await.unwrap();
    assert_eq!(r.status(), 200);
    let ask = r.text().await.unwrap();
    assert!(ask.contains("Close ") && ask.contains("responses stay"), "{ask}");
    assert_eq!(hidden(&ask, "status").as_deref(), Some("closed"), "the confirm form carries the status");
    let (_, got) = app.get_json(&format!("/api/v1/surveys/{id}")).await;
    assert_eq!(got["status"], "active", "asking changed nothing");
    let r = close(vec![("status", "closed".into()), ("_csrf", csrf.clone()), ("confirm", "yes".into())]).await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, got) = app.get_json(&format!("/api/v1/surveys/{id}")).await;
    assert_eq!(got["status"], "closed");

    // Logout ends the session.
    let r = app
        .client
        .post(app.url("/logout"))
        .header("cookie", format!("cxloop_session={session}"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(get("/dashboard".into()).await.unwrap().status(), 303);
}

#[tokio::test]
async fn survey_builder_creates_and_reports_errors_by_row() {
    let app = spawn_app().await;
    let session = app.login().await;
    let cookie = format!("cxloop_session={session}");
    let form_page = app
        .client
        .get(app.url("/surveys/new?template=nps"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&form_page, "_csrf").unwrap();
    // A choice question with one option is refused, naming the row; input is kept.
    let bad = [
        ("_csrf", csrf.as_str()),
        ("rows", "2"),
        ("title", "Built in the UI"),
        ("status", "active"),
        ("q0_type", "nps"),
        ("q0_text", "Recommend us?"),
        ("q0_required", "on"),
        ("q1_type", "single_choice"),
        ("q1_text", "Pick one"),
        ("q1_options", "Only one"),
        ("action", "save"),
    ];
    let r = app.client.post(app.url("/surveys/new")).header("cookie", &cookie).form(&bad).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("#row-1"));
    assert!(html.contains("value=\"Built in the UI\""));
    // "Add question" keeps everything and adds a row.
    let mut add = bad.to_vec();
    add.retain(|(k, _)| *k != "action");
    add.push(("action", "add"));
    let html = app
        .client
        .post(app.url("/surveys/new"))
        .header("cookie", &cookie)
        .form(&add)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("name=\"q2_text\""));
    assert!(html.contains("Only one"));
    // Fixed: saved, keys derived from the type, then visible in the API.
    let good = [
        ("_csrf", csrf.as_str()),
        ("rows", "3"),
        ("title", "Built in the UI"),
        ("status", "active"),
        ("q0_type", "nps"),
        ("q0_text", "Recommend us?"),
        ("q0_required", "on"),
        ("q1_type", "single_choice"),
        ("q1_text", "Pick one"),
        ("q1_options", "Yes\nNo"),
        ("q2_type", "nps"),
        ("q2_text", ""),
        ("q2_key", ""),
        ("action", "save"),
    ];
    let r = app.client.post(app.url("/surveys/new")).header("cookie", &cookie).form(&good).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let (_, list) = app.get_json("/api/v1/surveys").await;
    let s = &list["surveys"][0];
    assert_eq!(s["title"], "Built in the UI");
    assert_eq!(s["status"], "active");
    let keys: Vec<&str> = s["questions"].as_array().unwrap().iter().map(|q| q["key"].as_str().unwrap()).collect();
    assert_eq!(keys, vec!["nps", "single_choice"]);
    assert_eq!(s["questions"][1]["options"], json!(["Yes", "No"]));
}

#[tokio::test]
async fn only_admins_manage_staff_accounts() {
    let app = spawn_app().await;
    let admin = app.login().await;
    let cookie = format!("cxloop_session={admin}");
    let html = app.client.get(app.url("/users")).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&html, "_csrf").unwrap();
    let add = |email: &'static str, password: &'static str| {
        app.client
            .post(app.url("/users"))
            .header("cookie", &cookie)
            .form(&[
                ("_csrf", csrf.as_str()),
                ("email", email),
                ("name", "Support lead"),
                ("role", "member"),
                ("password", password),
            ])
            .send()
    };
    let r = add("lead@example.com", "short").await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("at least 10 characters"));
    assert_eq!(add("lead@example.com", "a long enough password").await.unwrap().status(), 303);
    let r = add("LEAD@example.com", "a long enough password").await.unwrap();
    assert_eq!(r.status(), 422, "emails are unique, case-insensitively");
    // The member signs in, sees dashboards, but not the staff page.
    let member = app.login_as("lead@example.com", "a long enough password").await;
    let mcookie = format!("cxloop_session={member}");
    assert_eq!(app.client.get(app.url("/dashboard")).header("cookie", &mcookie).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(app.url("/users")).header("cookie", &mcookie).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn ideal_customers_plots_value_against_satisfaction() {
    let app = spawn_app().await;
    let put = |path: &str, body: Value| app.client.put(app.url(path)).bearer_auth(&app.token).json(&body).send();
    put("/api/v1/customer-attributes/revenue", json!({"key": "revenue", "label": "Annual revenue", "type": "number"}))
        .await
        .unwrap();
    let s = app.create_survey("Value").await;
    for (c, revenue, nps) in [("big", 90000, 3), ("mid", 20000, 9), ("small", 1000, 10)] {
        put(&format!("/api/v1/customers/{c}"), json!({"attributes": {"revenue": revenue}})).await.unwrap();
        let r = app
            .post_json(
                &format!("/api/v1/surveys/{}/responses", s["id"].as_str().unwrap()),
                &json!({"answers": {"nps": nps}, "customer": {"external_id": c}}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    app.post_json("/api/v1/segments", &json!({"name": "Large", "expression": "revenue >= 10000"})).await;
    let session = app.login().await;
    let html = app
        .client
        .get(app.url("/ideal"))
        .header("cookie", format!("cxloop_session={session}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("3 customers have both Annual revenue"), "{html}");
    assert!(html.contains("<strong>1</strong> high-value detractors"), "the big unhappy account is flagged");
    assert!(html.contains("<svg") && html.contains("<circle"));
    assert!(html.contains("<td>Large</td>"));
}

#[tokio::test]
async fn the_survey_dashboard_cuts_kpis_by_segment() {
    let app = spawn_app().await;
    let put = |path: &str, body: Value| app.client.put(app.url(path)).bearer_auth(&app.token).json(&body).send();
    put(
        "/api/v1/customer-attributes/plan",
        json!({"key": "plan", "label": "Plan", "type": "one_of", "options": ["starter", "pro"]}),
    )
    .await
    .unwrap();
    let s = app.create_survey("Cut").await;
    let sid = s["id"].as_str().unwrap();
    for (c, plan, nps) in [("a", "pro", 10), ("b", "starter", 2), ("c", "starter", 3)] {
        put(&format!("/api/v1/customers/{c}"), json!({"attributes": {"plan": plan}})).await.unwrap();
        let r = app
            .post_json(
                &format!("/api/v1/surveys/{sid}/responses"),
                &json!({"answers": {"nps": nps}, "customer": {"external_id": c}}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let seg: Value = app
        .post_json("/api/v1/segments", &json!({"name": "Pro <plan>", "expression": "plan = \"pro\""}))
        .await
        .json()
        .await
        .unwrap();
    let session = app.login().await;
    let get = |q: String| {
        app.client
            .get(app.url(&format!("/surveys/{sid}{q}")))
            .header("cookie", format!("cxloop_session={session}"))
            .send()
    };
    let everyone = get(String::new()).await.unwrap().text().await.unwrap();
    assert!(everyone.contains("n = 3"));
    let cut = get(format!("?segment_id={}", seg["id"].as_str().unwrap())).await.unwrap().text().await.unwrap();
    assert!(
        cut.contains("count only responses from the segment <strong>Pro &lt;plan&gt;</strong> (1 customers)"),
        "{cut}"
    );
    assert!(cut.contains("n = 1") && !cut.contains("n = 3"));
}

#[tokio::test]
async fn csv_import_in_the_browser_previews_maps_and_imports() {
    let app = spawn_app().await;
    let put = |path: &str, body: Value| app.client.put(app.url(path)).bearer_auth(&app.token).json(&body).send();
    put(
        "/api/v1/customer-attributes/plan",
        json!({"key": "plan", "label": "Plan", "type": "one_of", "options": ["starter", "pro"]}),
    )
    .await
    .unwrap();
    let session = app.login().await;
    let cookie = format!("cxloop_session={session}");
    let form_page = app
        .client
        .get(app.url("/import/customers"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&form_page, "_csrf").unwrap();
    let file = "id,Company,Plan,Colour\nx1,Acme,pro,red\nx2,Tiny,gold,blue\n";
    let boundary = "cxloopboundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let r = app
        .client
        .post(app.url("/import/customers"))
        .header("cookie", &cookie)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("not external_id, name, email or a defined attribute"),
        "Colour must be mapped first: {html}"
    );
    // Map through the confirm form: Colour ignored, the rest by name.
    let confirm = |action: &'static str, all: bool| {
        let mut fields = vec![
            ("_csrf", csrf.clone()),
            ("csv", file.to_string()),
            ("h0", "id".into()),
            ("t0", "external_id".into()),
            ("h1", "Company".into()),
            ("t1", "name".into()),
            ("h2", "Plan".into()),
            ("t2", "plan".into()),
            ("h3", "Colour".into()),
            ("t3", "ignore".into()),
            ("action", action.into()),
        ];
        if all {
            fields.push(("all_or_nothing", "on".into()));
        }
        app.client.post(app.url("/import/customers/confirm")).header("cookie", &cookie).form(&fields).send()
    };
    let html = confirm("preview", true).await.unwrap().text().await.unwrap();
    assert!(html.contains("line 3, column &quot;Plan&quot;"), "{html}");
    assert!(html.contains("x1") && html.contains("Acme"), "the first rows are previewed");
    let r = confirm("import", true).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Nothing was imported"));
    assert_eq!(app.store.count_customers().await.unwrap(), 0);
    let html = confirm("import", false).await.unwrap().text().await.unwrap();
    assert!(html.contains("Imported 1 customers; 1 rows with problems were skipped."), "{html}");
    assert_eq!(app.store.customer_by_external_id("x1").await.unwrap().attributes["plan"], "pro");
}

/// A multipart body of text fields and one file field.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "cxloopboundary7";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").bytes());
    }
    if let Some((name, ctype, bytes)) = file {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"f\"\r\nContent-Type: {ctype}\r\n\r\n")
                .bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn segments_and_personas_are_edited_pictured_and_deleted_in_the_browser() {
    let app = spawn_app().await;
    let seg: Value = app
        .post_json("/api/v1/segments", &json!({"name": "Promoters", "expression": "last_nps >= 9"}))
        .await
        .json()
        .await
        .unwrap();
    let seg_id = seg["id"].as_str().unwrap();
    let persona: Value = app
        .post_json("/api/v1/personas", &json!({"name": "Operations lead", "segment_id": seg_id}))
        .await
        .json()
        .await
        .unwrap();
    let pid = persona["id"].as_str().unwrap();
    let session = app.login().await;
    let cookie = format!("cxloop_session={session}");
    let get = |path: String| app.client.get(app.url(&path)).header("cookie", &cookie).send();
    let edit = get(format!("/segments/{seg_id}")).await.unwrap().text().await.unwrap();
    assert!(edit.contains("last_nps &gt;= 9") && edit.contains("Operations lead"), "{edit}");
    let csrf = hidden(&edit, "_csrf").unwrap();
    let post = |path: String, form: Vec<(&'static str, String)>| {
        app.client.post(app.url(&path)).header("cookie", &cookie).form(&form).send()
    };
    // A broken expression is shown where it is, and nothing changes.
    let r = post(
        format!("/segments/{seg_id}"),
        vec![("_csrf", csrf.clone()), ("name", "Promoters".into()), ("expression", "last_nps >=".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("line 1"));
    let r = post(
        format!("/segments/{seg_id}"),
        vec![("_csrf", csrf.clone()), ("name", "Loyal".into()), ("expression", "last_nps >= 10".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let (_, saved) = app.get_json(&format!("/api/v1/segments/{seg_id}")).await;
    let saved = &saved["segment"];
    assert_eq!((saved["name"].as_str(), saved["expression"].as_str()), (Some("Loyal"), Some("last_nps >= 10")));

    // The persona: rename, picture (checked by its bytes), delete.
    let r = post(
        format!("/personas/{pid}"),
        vec![("_csrf", csrf.clone()), ("name", "Head of operations".into()), ("goals", "Uptime\nFewer tickets".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
    let path = format!("/personas/{pid}/picture");
    let upload = |file: (&'static str, &'static str, &'static [u8])| {
        let (ctype, body) = multipart(&[("_csrf", &csrf)], Some(file));
        let (app, path, cookie) = (&app, &path, &cookie);
        async move { app.post_multipart(path, cookie, &ctype, body).await }
    };
    let r = upload(("picture", "image/svg+xml", b"<svg onload=\"alert(1)\"/>")).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("PNG, JPEG, GIF or WebP"));
    let r = upload(("picture", "application/octet-stream", png)).await;
    assert_eq!(r.status(), 303);
    let pic = get(format!("/personas/{pid}/picture")).await.unwrap();
    assert_eq!(pic.headers()["content-type"], "image/png");
    assert_eq!(pic.headers()["x-content-type-options"], "nosniff");
    assert_eq!(&pic.bytes().await.unwrap()[..], png);
    let list = get("/personas".into()).await.unwrap().text().await.unwrap();
    assert!(list.contains(&format!("src=\"/personas/{pid}/picture\"")) && list.contains("Head of operations"));
    // The API sees the same picture.
    let api = app.client.get(app.url(&format!("/api/v1/personas/{pid}/picture"))).bearer_auth(&app.token).send();
    assert_eq!(&api.await.unwrap().bytes().await.unwrap()[..], png);

    // Deleting the segment unlinks the persona; deleting the persona removes it.
    let ask = post(format!("/segments/{seg_id}/delete"), vec![("_csrf", csrf.clone())]).await.unwrap();
    assert_eq!(ask.status(), 200, "deleting asks first");
    let ask = ask.text().await.unwrap();
    assert!(ask.contains("Delete the segment Loyal?") && ask.contains("Customers stay as they are"), "{ask}");
    let yes = || vec![("_csrf", csrf.clone()), ("confirm", "yes".to_string())];
    assert_eq!(post(format!("/segments/{seg_id}/delete"), yes()).await.unwrap().status(), 303);
    let (_, personas) = app.get_json("/api/v1/personas").await;
    assert!(personas["personas"][0]["segment_id"].is_null());
    // Linking the deleted segment is the same 422 on the page as in the API.
    let relink =
        vec![("_csrf", csrf.clone()), ("name", "Head of operations".into()), ("segment_id", seg_id.to_string())];
    let r = post(format!("/personas/{pid}"), relink).await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("there is no such segment"));
    let api = app.client.put(app.url(&format!("/api/v1/personas/{pid}"))).bearer_auth(&app.token);
    let r = api.json(&json!({"name": "Head of operations", "segment_id": seg_id})).send().await.unwrap();
    assert_eq!(r.status(), 422);
    let r = post(
        "/personas".into(),
        vec![("_csrf", csrf.clone()), ("name", "New".into()), ("segment_id", "nonsense".into())],
    );
    assert_eq!(r.await.unwrap().status(), 422, "a segment id that is not one is refused, not ignored");
    assert_eq!(post(format!("/personas/{pid}/delete"), vec![("_csrf", csrf.clone())]).await.unwrap().status(), 200);
    assert_eq!(app.get_json("/api/v1/personas").await.1["personas"].as_array().unwrap().len(), 1, "only asked");
    assert_eq!(post(format!("/personas/{pid}/delete"), yes()).await.unwrap().status(), 303);
    let (_, personas) = app.get_json("/api/v1/personas").await;
    assert_eq!(personas["personas"].as_array().unwrap().len(), 0);
    assert_eq!(get(format!("/personas/{pid}")).await.unwrap().status(), 404);
    // Without the CSRF token nothing is deleted.
    assert_eq!(post(format!("/personas/{pid}/delete"), vec![]).await.unwrap().status(), 403);
}

#[tokio::test]
async fn two_segments_are_compared_with_significance_and_any_customer_id_opens() {
    let app = spawn_app().await;
    let s = app.create_survey("Compare").await;
    let sid = s["id"].as_str().unwrap();
    for (c, nps) in [("import", 10), ("b", 2), ("c", 3)] {
        let r = app
            .post_json(
                &format!("/api/v1/surveys/{sid}/responses"),
                &json!({"answers": {"nps": nps}, "customer": {"external_id": c}}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let a: Value = app
        .post_json("/api/v1/segments", &json!({"name": "Fans", "expression": "last_nps >= 9"}))
        .await
        .json()
        .await
        .unwrap();
    let b: Value = app
        .post_json("/api/v1/segments", &json!({"name": "Critics", "expression": "last_nps <= 6"}))
        .await
        .json()
        .await
        .unwrap();
    let session = app.login().await;
    let get =
        |path: String| app.client.get(app.url(&path)).header("cookie", format!("cxloop_session={session}")).send();
    let dash = get(format!("/surveys/{sid}")).await.unwrap().text().await.unwrap();
    assert!(dash.contains(&format!("/surveys/{sid}/compare?")));
    let html = get(format!("/surveys/{sid}/compare?a={}&b={}", a["id"].as_str().unwrap(), b["id"].as_str().unwrap()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // NPS +100 (n 1) against -100 (n 2): A − B = +200 points.
    assert!(
        html.contains("<strong>Fans</strong> (1 customers)") && html.contains("<strong>Critics</strong> (2 customers)")
    );
    assert!(html.contains("+200.0"), "{html}");
    let bad = get(format!("/surveys/{sid}/compare?a=nope&b={}", b["id"].as_str().unwrap())).await.unwrap();
    assert!(bad.text().await.unwrap().contains("segment_id is not a segment id"));
    // A customer whose id is "import" has a page like everyone else.
    let page = get("/customers/import".into()).await.unwrap().text().await.unwrap();
    assert!(page.contains("import") && !page.contains("CSV file with a header row"), "{page}");
}

#[tokio::test]
async fn feedback_import_in_the_browser_previews_maps_and_imports() {
    let app = spawn_app().await;
    let s = app.create_survey("Interviews").await;
    let sid = s["id"].as_str().unwrap();
    let session = app.login().await;
    let cookie = format!("cxloop_session={session}");
    let form_page = app
        .client
        .get(app.url("/import/feedback"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form_page.contains("Interviews"));
    let csrf = hidden(&form_page, "_csrf").unwrap();
    let file = b"Notes,Score,Colour\n\"Pricing <b>confusing</b>\",3,red\nLoved the setup call,9,blue\n";
    let (ctype, body) =
        multipart(&[("_csrf", &csrf), ("survey", sid), ("source", "interview")], Some(("file", "text/csv", file)));
    let html = app.post_multipart("/import/feedback", &cookie, &ctype, body).await.text().await.unwrap();
    assert!(html.contains("2 rows, <strong>2</strong> valid"), "{html}");
    assert!(html.contains("Pricing &lt;b&gt;confusing&lt;/b&gt;"), "escaped: {html}");
    assert!(!html.contains("<b>confusing</b>"));
    // Import with one change to the mapping: Colour becomes the touchpoint.
    let text = hidden(&html, "h0").unwrap();
    assert_eq!(text, "Notes");
    let form: Vec<(&str, String)> = vec![
        ("_csrf", csrf.clone()),
        ("survey", sid.to_string()),
        ("source", "interview".into()),
        ("format", "csv".into()),
        ("file", String::from_utf8(file.to_vec()).unwrap()),
        ("h0", "Notes".into()),
        ("t0", "text".into()),
        ("h1", "Score".into()),
        ("t1", "rating".into()),
        ("h2", "Colour".into()),
        ("t2", "touchpoint".into()),
        ("all_or_nothing", "on".into()),
        ("action", "import".into()),
    ];
    let r = app.client.post(app.url("/import/feedback/confirm")).header("cookie", &cookie).form(&form).send().await;
    let html = r.unwrap().text().await.unwrap();
    assert!(html.contains("Imported 2 of 2 rows"), "{html}");
    let (_, list) = app.get_json(&format!("/api/v1/surveys/{sid}/responses")).await;
    let rows = list["responses"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r["channel"] == "interview"));
    let mut got: Vec<(i64, &str)> =
        rows.iter().map(|r| (r["answers"]["nps"].as_i64().unwrap(), r["touchpoint"].as_str().unwrap())).collect();
    got.sort();
    assert_eq!(got, vec![(3, "red"), (9, "blue")]);
}

#[tokio::test]
async fn the_channels_page_makes_webhooks_and_widgets() {
    let app = spawn_app().await;
    let s = app.create_survey("Channel <check>").await;
    let sid = s["id"].as_str().unwrap();
    let session = app.login().await;
    let cookie = format!("cxloop_session={session}");
    let page = app.page("/channels", &cookie).await;
    assert!(page.contains("No webhooks yet.") && page.contains("Email is not set up"));
    assert!(page.contains("Channel &lt;check&gt;"));
    let csrf = hidden(&page, "_csrf").unwrap();
    let post = |path: String, form: Vec<(&'static str, String)>| {
        app.client.post(app.url(&path)).header("cookie", &cookie).form(&form).send()
    };
    let r = post(
        "/channels/hooks".into(),
        vec![
            ("_csrf", csrf.clone()),
            ("name", "Helpdesk".into()),
            ("event", "ticket solved!".into()),
            ("survey_id", sid.into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let html = post(
        "/channels/hooks".into(),
        vec![
            ("_csrf", csrf.clone()),
            ("name", "Helpdesk".into()),
            ("event", "ticket.solved".into()),
            ("survey_id", sid.into()),
        ],
    )
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(html.contains("Its secret is shown this once"), "{html}");
    let (_, hooks) = app.get_json("/api/v1/hooks").await;
    let hook_id = hooks["hooks"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(hooks["hooks"][0]["events"]["ticket.solved"], sid);
    let again = app.page("/channels", &cookie).await;
    assert!(!again.contains("Its secret is shown this once"));

    let r = post(
        format!("/channels/widget/{sid}"),
        vec![
            ("_csrf", csrf.clone()),
            ("origins", "https://ok.example\nnot an origin".into()),
            ("every_days", "7".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("not an origin"));
    let r = post(
        format!("/channels/widget/{sid}"),
        vec![("_csrf", csrf.clone()), ("origins", "https://ok.example\n".into()), ("every_days", "7".into())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 303);
    let page = app.page("/channels", &cookie).await;
    assert!(page.contains(&format!("/widget.js&quot; data-survey=&quot;{sid}&quot;")), "the escaped tag to paste");
    let ask = post(format!("/channels/hooks/{hook_id}/delete"), vec![("_csrf", csrf.clone())]).await.unwrap();
    assert_eq!(ask.status(), 200, "deleting asks first");
    assert!(ask.text().await.unwrap().contains("will be refused from now on"));
    assert_eq!(app.get_json("/api/v1/hooks").await.1["hooks"].as_array().unwrap().len(), 1, "only asked");
    let yes = vec![("_csrf", csrf), ("confirm", "yes".to_string())];
    assert_eq!(post(format!("/channels/hooks/{hook_id}/delete"), yes).await.unwrap().status(), 303);
    let (_, hooks) = app.get_json("/api/v1/hooks").await;
    assert!(hooks["hooks"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_survey_page_breaks_responses_down_by_channel() {
    let app = spawn_app().await;
    let s = app.create_survey("Channels mix").await;
    let sid = s["id"].as_str().unwrap();
    for nps in [10, 9, 3] {
        let r = app.post_json(&format!("/api/v1/surveys/{sid}/responses"), &json!({"answers": {"nps": nps}})).await;
        assert_eq!(r.status(), 201);
    }
    let r = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{sid}/feedback?source=g2&map=stars:rating")))
        .bearer_auth(&app.token)
        .header("content-type", "text/csv")
        .body("text,stars\nSlow and buggy,2\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["imported"], 1);
    let session = app.login().await;
    let html = app.page(&format!("/surveys/{sid}"), &format!("cxloop_session={session}")).await;
    let at = html.find("By channel").expect("a channel table");
    let table = &html[at..at + html[at..].find("</table>").unwrap()];
    // api: 2 promoters and 1 detractor of 3 = NPS +33; g2: one detractor = -100.
    assert!(table.contains("<td>api</td><td class=\"num\">3</td><td class=\"num\">+33"), "{table}");
    assert!(table.contains("<td>g2</td><td class=\"num\">1</td><td class=\"num\">-100"), "{table}");
    assert!(table.find("<td>api</td>").unwrap() < table.find("<td>g2</td>").unwrap(), "most responses first");
}

#[tokio::test]
async fn a_customer_id_with_a_space_links_to_its_page_and_a_long_comment_is_shortened() {
    let app = spawn_app().await;
    let cookie = format!("cxloop_session={}", app.login().await);
    let r = app
        .client
        .put(app.url("/api/v1/customers/acme%20corp%2Beu"))
        .bearer_auth(&app.token)
        .json(&serde_json::json!({"name": "Acme"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let directory = app.page("/customers", &cookie).await;
    assert!(directory.contains("href=\"/customers/acme%20corp%2Beu\""), "the link encodes the space and the plus");
    let r = app.client.get(app.url("/customers/acme%20corp%2Beu")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let s = app.create_survey("Long").await;
    let id = s["id"].as_str().unwrap();
    let long = "x".repeat(10_000);
    let r = app
        .post_json(&format!("/api/v1/surveys/{id}/responses"), &serde_json::json!({"answers": {"nps": 3, "why": long}}))
        .await;
    assert_eq!(r.status(), 201);
    let overview = app.page("/dashboard", &cookie).await;
    assert!(overview.contains("Read all (10000 characters)"), "the overview shortens it");

    let builder = app.page("/surveys/new", &cookie).await;
    assert!(builder.contains("value=\"add\" formnovalidate"), "adding a question skips the title check");
}

/// Staff forms arrive as typed structs: a field sent twice is a 422 page
/// naming it, and nothing is written; the same form sent once is saved.
#[tokio::test]
async fn a_typed_staff_form_refuses_a_field_sent_twice_and_writes_nothing() {
    let app = spawn_app().await;
    let session = app.login().await;
    let cookie = format!("cxloop_session={session}");
    let page = app.client.get(app.url("/segments")).header("cookie", &cookie).send().await.unwrap();
    let csrf = hidden(&page.text().await.unwrap(), "_csrf").unwrap();
    let twice = [("_csrf", csrf.as_str()), ("name", "Big"), ("name", "Bigger"), ("expression", "last_nps <= 6")];
    let r = app.post_form("/segments", &cookie, &twice).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("duplicate field `name`"), "{body}");
    assert!(app.store.segments().await.unwrap().is_empty(), "nothing written");
    let once = [("_csrf", csrf.as_str()), ("name", "Big"), ("expression", "last_nps <= 6"), ("description", "")];
    let r = app.post_form("/segments", &cookie, &once).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let saved = app.store.segments().await.unwrap();
    assert_eq!((saved.len(), saved[0].name.as_str(), saved[0].description.as_deref()), (1, "Big", None));
}
