//! Email invitations end to end against the test SMTP server: sending to
//! customers and addresses, bounces, opening and answering through the
//! personal link, tampered links, reminders, the contact-frequency rule and
//! unsubscribing.

use crate::helpers::{hidden, spawn_app, spawn_app_with};
use crate::smtp::SmtpSink;
use serde_json::{Value, json};

/// The personal link and the unsubscribe link in a message.
fn links(data: &str, base: &str) -> (String, String) {
    let find = |prefix: &str| {
        let at = data.find(prefix).unwrap_or_else(|| panic!("{prefix} in {data}"));
        let rest = &data[at..];
        let end = rest.find(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>').unwrap_or(rest.len());
        rest[..end].to_string()
    };
    (find(&format!("{base}/s/")), find(&format!("{base}/u/")))
}

async fn status_counts(app: &crate::helpers::TestApp, id: &str) -> Value {
    let (_, body) = app.get_json(&format!("/api/v1/surveys/{id}/invitations")).await;
    body["summary"]["counts"].clone()
}

#[tokio::test]
async fn invitations_are_sent_opened_answered_reminded_and_unsubscribed() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| {
        c.smtp_url = Some(sink.url());
        c.mail_from = "Feedback <feedback@cxloop.test>".into();
    })
    .await;
    let s = app.create_survey("Quarterly NPS").await;
    let id = s["id"].as_str().unwrap();
    let slug = s["slug"].as_str().unwrap();
    for (ext, email) in [("c1", Some("ann@example.com")), ("c2", Some("bounce@example.com")), ("c3", None)] {
        let mut body = json!({"name": format!("Customer {ext}")});
        if let Some(e) = email {
            body["email"] = e.into();
        }
        let r = app.client.put(app.url(&format!("/api/v1/customers/{ext}"))).bearer_auth(&app.token).json(&body).send();
        assert!(r.await.unwrap().status().is_success());
    }
    let path = format!("/api/v1/surveys/{id}/invitations");
    let send = |body: Value| app.client.post(app.url(&path)).bearer_auth(&app.token).json(&body).send();
    let r = send(json!({
        "customers": ["c1", "c2", "c3"],
        "emails": [{"email": "dan@example.com"}, {"email": "ANN@example.com"}],
        "reminder_after_days": 2, "max_reminders": 1,
        "context": {"campaign": "Q4"}
    }))
    .await
    .unwrap();
    assert_eq!(r.status(), 202);
    let report: Value = r.json().await.unwrap();
    assert_eq!((report["queued"].as_u64(), report["no_email"].as_u64()), (Some(3), Some(1)));
    assert_eq!(report["duplicates"], 1, "ann is asked once");

    // The worker delivers: two messages, one bounce.
    let mail = sink.wait_for(2).await;
    let mut to: Vec<&str> = mail.iter().map(|m| m.to[0].as_str()).collect();
    to.sort();
    assert_eq!(to, vec!["ann@example.com", "dan@example.com"]);
    // The server has the messages before cxloop hears its "250" and records them: wait for both.
    for _ in 0..100 {
        let c = status_counts(&app, id).await;
        if c["bounced"] == 1 && c["sent"] == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let counts = status_counts(&app, id).await;
    assert_eq!((counts["sent"].as_u64(), counts["bounced"].as_u64()), (Some(2), Some(1)), "{counts}");
    let ann = mail.iter().find(|m| m.to[0] == "ann@example.com").unwrap();
    assert!(ann.data.contains("From: Feedback <feedback@cxloop.test>"), "{}", ann.data);
    assert!(ann.data.contains("Subject: Quarterly NPS: tell us how we are doing"));
    assert!(ann.data.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let (link, unsubscribe) = links(&ann.data, &app.base);
    assert!(link.starts_with(&format!("{}/s/{slug}?i=", app.base)), "{link}");

    // A changed link: a clear notice, and the answer would be anonymous.
    let tampered = format!("{}x", &link[..link.len() - 1]);
    let page = app.client.get(&tampered).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("This invitation link is not valid"));
    assert!(!page.contains("name=\"i\""));
    let r = app
        .client
        .post(app.url(&format!("/api/v1/surveys/{id}/responses")))
        .json(&json!({"answers": {"nps": 9}, "invitation": "forged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "invitation");

    // A reminder goes to those who have not answered, once.
    let (_, listed) = app.get_json(&format!("/api/v1/surveys/{id}/invitations")).await;
    let ann_inv = listed["invitations"].as_array().unwrap().iter().find(|i| i["email"] == "ann@example.com").unwrap();
    let ann_id: cxloop_core::ids::InvitationId = ann_inv["id"].as_str().unwrap().parse().unwrap();
    let now = time::OffsetDateTime::now_utc();
    app.store.mark_invitation_sent(ann_id, now, 0, Some(now - time::Duration::seconds(1))).await.unwrap();
    let mail = sink.wait_for(3).await;
    assert!(mail[2].data.contains("Subject: Reminder: Quarterly NPS"), "{}", mail[2].data);
    assert_eq!(mail[2].to, vec!["ann@example.com"]);

    // Opening, then answering through the personal link.
    let page = app.client.get(&link).send().await.unwrap().text().await.unwrap();
    let token = hidden(&page, "i").expect("the form carries the invitation");
    assert_eq!(status_counts(&app, id).await["opened"], 1);
    let r =
        app.client.post(app.url(&format!("/s/{slug}"))).form(&[("i", token.as_str()), ("q.nps", "10")]).send().await;
    assert_eq!(r.unwrap().status(), 303);
    let (_, listed) = app.get_json(&format!("/api/v1/surveys/{id}/invitations")).await;
    assert_eq!(listed["summary"]["answered"], 1);
    assert_eq!(listed["summary"]["delivered"], 2);
    assert!((listed["summary"]["response_rate"].as_f64().unwrap() - 50.0).abs() < 1e-9);
    let (_, responses) = app.get_json(&format!("/api/v1/surveys/{id}/responses")).await;
    let answer = &responses["responses"][0];
    assert_eq!((answer["customer_external_id"].as_str(), answer["channel"].as_str()), (Some("c1"), Some("email")));
    assert_eq!(answer["context"]["campaign"], "Q4");
    assert_eq!(answer["context"]["invitation"], ann_id.to_string());
    // The same link again: already answered, nothing stored.
    let again = app.client.get(&link).send().await.unwrap();
    assert_eq!(again.status(), 409);
    let r = app.client.post(app.url(&format!("/s/{slug}"))).form(&[("i", token.as_str()), ("q.nps", "0")]).send().await;
    assert_eq!(r.unwrap().status(), 409);
    assert_eq!(app.store.response_count(id.parse().unwrap()).await.unwrap(), 1);

    // Asked again right away: the contact rule holds everyone back.
    let r = send(json!({"customers": ["c1"], "emails": [{"email": "dan@example.com"}]})).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["recently_contacted"], 2);

    // Dan unsubscribes through his link; that is honoured for good.
    let dan = sink.messages().into_iter().find(|m| m.to[0] == "dan@example.com").unwrap();
    let (_, dan_unsubscribe) = links(&dan.data, &app.base);
    let page = app.client.get(&dan_unsubscribe).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Stop all survey invitations to <strong>dan@example.com</strong>"));
    let r = app.client.post(&dan_unsubscribe).body("List-Unsubscribe=One-Click").send().await.unwrap();
    assert!(r.text().await.unwrap().contains("You are unsubscribed"));
    assert_eq!(status_counts(&app, id).await["unsubscribed"], 1);
    assert!(app.store.is_unsubscribed("dan@example.com").await.unwrap());
    assert!(unsubscribe.starts_with(&format!("{}/u/", app.base)));
    assert_eq!(app.client.get(app.url("/u/not-a-token")).send().await.unwrap().status(), 404);

    // Bad requests name their field.
    let r = send(json!({"emails": [{"email": "not-an-address"}]})).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "emails[0].email");
    let r = send(json!({"customers": ["nobody"]})).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "customers[0]");
    let r = send(json!({})).await.unwrap();
    assert_eq!(r.status(), 422);
    let r = send(json!({"customers": ["c1"], "reminder_after_days": 0, "max_reminders": 2})).await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["field"], "reminders");
}

#[tokio::test]
async fn without_smtp_invitations_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let s = app.create_survey("No mail").await;
    let r = app
        .post_json(
            &format!("/api/v1/surveys/{}/invitations", s["id"].as_str().unwrap()),
            &json!({"emails": [{"email": "a@example.com"}]}),
        )
        .await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["field"], "smtp");
    assert!(body["error"]["message"].as_str().unwrap().contains("--smtp-url"));
}

#[tokio::test]
async fn the_invitations_page_sends_to_a_list_and_shows_statuses() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| c.smtp_url = Some(sink.url())).await;
    let s = app.create_survey("Onboarding CES").await;
    let id = s["id"].as_str().unwrap();
    let session = app.login().await;
    let cookie = format!("cxloop_session={session}");
    let page = app.page(&format!("/surveys/{id}/invitations"), &cookie).await;
    assert!(page.contains("No invitations yet."));
    let csrf = hidden(&page, "_csrf").unwrap();
    let path = format!("/surveys/{id}/invitations");
    let post = |emails: &'static str| {
        let form = [("_csrf", csrf.as_str()), ("emails", emails), ("reminder_after_days", "2"), ("max_reminders", "1")];
        let (app, path, cookie) = (&app, &path, &cookie);
        async move { app.post_form(path, cookie, &form).await }
    };
    let r = post("kim@example.com\n\nlee@example.com\nbroken-address").await;
    assert_eq!(r.status(), 422, "a bad address is named");
    assert!(r.text().await.unwrap().contains("line 4 of the addresses: &quot;broken-address&quot;"));
    let html = post("kim@example.com\n<b>x@y").await;
    assert_eq!(html.status(), 422);
    let html = html.text().await.unwrap();
    assert!(html.contains("&lt;b&gt;x@y") && !html.contains("<b>x@y"), "escaped");
    let html = post("kim@example.com\nlee@example.com").await.text().await.unwrap();
    assert!(html.contains("2 invitations queued"), "{html}");
    sink.wait_for(2).await;
    for _ in 0..100 {
        let page = app.page(&path, &cookie).await;
        // The counts and the list are two reads: the page may catch the second
        // invitation between them, so wait until both agree.
        if page.matches("<span class=\"badge\">sent</span>").count() == 2 && page.contains("0 answered of 2 delivered")
        {
            // The provider reports a bounce later.
            let r = app
                .post_json(
                    "/api/v1/invitations/bounces",
                    &json!({"email": "Kim@example.com", "reason": "mailbox full"}),
                )
                .await;
            assert_eq!(r.json::<Value>().await.unwrap()["invitations"], 1);
            let counts = status_counts(&app, id).await;
            assert_eq!((counts["bounced"].as_u64(), counts["sent"].as_u64()), (Some(1), Some(1)));
            let r = app.post_json("/api/v1/invitations/bounces", &json!({"email": "nope"})).await;
            assert_eq!(r.status(), 422);
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the page never showed both invitations as sent");
}

#[tokio::test]
async fn a_signed_helpdesk_event_sends_the_mapped_survey_with_ticket_and_agent() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| c.smtp_url = Some(sink.url())).await;
    let s = app.create_survey("Support CSAT").await;
    let (id, slug) = (s["id"].as_str().unwrap(), s["slug"].as_str().unwrap());
    let r = app.post_json("/api/v1/hooks", &json!({"name": "Helpdesk", "events": {"ticket.solved": id}})).await;
    assert_eq!(r.status(), 201);
    let hook: Value = r.json().await.unwrap();
    let secret = hook["secret"].as_str().unwrap().to_string();
    let url = hook["url"].as_str().unwrap().to_string();
    let bad = app.post_json("/api/v1/hooks", &json!({"name": "X", "events": {"ticket.solved": "nope"}})).await;
    assert_eq!(bad.json::<Value>().await.unwrap()["error"]["field"], "events.ticket.solved");
    let (_, listed) = app.get_json("/api/v1/hooks").await;
    assert!(listed["hooks"][0].get("secret").is_none(), "the secret is shown once");

    let post = |body: Value, sign_with: &str| {
        let bytes = serde_json::to_vec(&body).unwrap();
        let sig = cxloop_server::platform::crypto::sign_body(sign_with, &bytes);
        app.client.post(&url).header("x-cxloop-signature", format!("sha256={sig}")).body(bytes).send()
    };
    let event = json!({
        "id": "evt-1001", "event": "ticket.solved",
        "customer": {"external_id": "acme", "email": "help@acme.example", "name": "Acme"},
        "ticket": {"id": "T-4711", "subject": "Export fails"}, "agent": {"name": "Sam Park", "id": "a-7"}
    });
    assert_eq!(post(event.clone(), "wrong secret").await.unwrap().status(), 403);
    let unknown =
        post(json!({"id": "e2", "event": "ticket.opened", "customer": {"external_id": "acme"}}), &secret).await;
    let unknown = unknown.unwrap();
    assert_eq!(unknown.status(), 422);
    let body: Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["field"], "event");
    assert!(body["error"]["message"].as_str().unwrap().contains("ticket.solved"));
    let missing = post(json!({"id": "e3", "event": "ticket.solved"}), &secret).await.unwrap();
    assert_eq!(missing.status(), 422);

    let r = post(event.clone(), &secret).await.unwrap();
    assert_eq!(r.status(), 202);
    assert_eq!(r.json::<Value>().await.unwrap()["outcome"], "invited");
    let again = post(event.clone(), &secret).await.unwrap();
    assert_eq!(again.json::<Value>().await.unwrap()["outcome"], "duplicate");

    // The customer answers through the email; ticket and agent are on the response.
    let mail = sink.wait_for(1).await;
    assert_eq!(mail[0].to, vec!["help@acme.example"]);
    let (link, _) = links(&mail[0].data, &app.base);
    let page = app.client.get(&link).send().await.unwrap().text().await.unwrap();
    let token = hidden(&page, "i").unwrap();
    let r = app.client.post(app.url(&format!("/s/{slug}"))).form(&[("i", token.as_str()), ("q.nps", "9")]).send().await;
    assert_eq!(r.unwrap().status(), 303);
    let (_, responses) = app.get_json(&format!("/api/v1/surveys/{id}/responses")).await;
    let ctx = &responses["responses"][0]["context"];
    assert_eq!((ctx["ticket"]["id"].as_str(), ctx["agent"]["name"].as_str()), (Some("T-4711"), Some("Sam Park")));
    assert_eq!((ctx["source"].as_str(), ctx["event"].as_str()), (Some("Helpdesk"), Some("ticket.solved")));
    assert_eq!(responses["responses"][0]["customer_external_id"], "acme");
    assert_eq!(sink.messages().len(), 1, "nobody was surveyed twice");
}

#[tokio::test]
async fn a_failed_event_can_be_delivered_again() {
    let app = spawn_app().await;
    let s = app.create_survey("No mail yet").await;
    let hook: Value = app
        .post_json("/api/v1/hooks", &json!({"name": "CRM", "events": {"deal.won": s["id"]}}))
        .await
        .json()
        .await
        .unwrap();
    let (secret, url) = (hook["secret"].as_str().unwrap(), hook["url"].as_str().unwrap());
    let bytes = serde_json::to_vec(
        &json!({"id": "d-1", "event": "deal.won", "customer": {"external_id": "z", "email": "z@example.com"}}),
    )
    .unwrap();
    let sig = format!("sha256={}", cxloop_server::platform::crypto::sign_body(secret, &bytes));
    for _ in 0..2 {
        let r = app.client.post(url).header("x-cxloop-signature", &sig).body(bytes.clone()).send().await.unwrap();
        assert_eq!(r.status(), 409, "no SMTP: refused, and the retry is not taken for a duplicate");
    }
    let r =
        app.client.delete(app.url(&format!("/api/v1/hooks/{}", hook["id"].as_str().unwrap()))).bearer_auth(&app.token);
    assert_eq!(r.send().await.unwrap().status(), 204);
    let r = app.client.post(url).header("x-cxloop-signature", &sig).body(bytes).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn one_invitation_takes_one_answer_even_when_sent_at_once() {
    let sink = SmtpSink::start().await;
    let app = spawn_app_with(|c| c.smtp_url = Some(sink.url())).await;
    let s = app.create_survey("Race").await;
    let id = s["id"].as_str().unwrap();
    let r = app
        .post_json(&format!("/api/v1/surveys/{id}/invitations"), &json!({"emails": [{"email": "sol@example.com"}]}))
        .await;
    assert_eq!(r.status(), 202);
    let mail = sink.wait_for(1).await;
    let (link, _) = links(&mail[0].data, &app.base);
    let token = link.split("?i=").nth(1).unwrap().to_string();
    let answers = (0..6).map(|n| {
        let (client, url, token) =
            (app.client.clone(), app.url(&format!("/api/v1/surveys/{id}/responses")), token.clone());
        tokio::spawn(async move {
            client
                .post(url)
                .json(&json!({"answers": {"nps": n}, "invitation": token}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let mut codes = Vec::new();
    for a in answers {
        codes.push(a.await.unwrap());
    }
    codes.sort();
    assert_eq!(codes, vec![201, 409, 409, 409, 409, 409]);
    assert_eq!(app.store.response_count(id.parse().unwrap()).await.unwrap(), 1);
}
