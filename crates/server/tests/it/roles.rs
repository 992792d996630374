//! The route × role table: every route the server has, called as each role
//! (API with a token holding the role's permissions, pages with a session,
//! API reads also with a session), with an admin token limited to `read`,
//! and with no credentials. The expected answers come from the two
//! documents people read: the permission × role table in README.md and the
//! route table in docs/roles.md. The routes come from the router's source,
//! so a route added without a line in docs/roles.md fails here.

use crate::helpers::spawn_app;
use cxloop_core::access::{Permission, Permissions, Role};
use cxloop_server::platform::crypto;
use cxloop_store::{NewSession, NewUser};
use std::collections::{BTreeMap, BTreeSet};

const README: &str = include_str!("../../../../README.md");
const ROLES_DOC: &str = include_str!("../../../../docs/roles.md");
/// Every Rust source file of the server, read at test time, so routes are
/// found wherever a module (the API, the pages, a feature folder) declares
/// them.
fn server_sources() -> Vec<(std::path::PathBuf, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut out = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// What a route needs, as docs/roles.md says.
#[derive(Debug, Clone, PartialEq)]
enum Needs {
    Public,
    /// Public, but a token that is sent must hold this permission.
    PublicOrToken(Permission),
    SignedIn,
    Permission(Permission),
}

fn scope(cell: &str) -> Permission {
    let name = cell.split('`').nth(1).unwrap_or_else(|| panic!("no `scope` in {cell:?}"));
    Permission::from_scope(name).unwrap_or_else(|| panic!("{name:?} is not a scope"))
}

/// The README's table: role → the scopes it holds.
fn readme_roles() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let section = README.split("### Roles and permissions").nth(1).expect("README has a Roles and permissions section");
    let mut lines = section.lines().skip_while(|l| !l.starts_with("| permission"));
    let header: Vec<&str> = lines.next().expect("the table's header").split('|').map(str::trim).collect();
    let roles: Vec<&str> = header[3..header.len() - 1].to_vec();
    assert_eq!(roles, ["admin", "analyst", "agent", "viewer"]);
    let mut out: BTreeMap<&str, BTreeSet<&str>> = roles.iter().map(|r| (*r, BTreeSet::new())).collect();
    for line in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`');
        for (role, mark) in roles.iter().zip(&cells[3..cells.len() - 1]) {
            match *mark {
                "✓" => {
                    out.get_mut(role).unwrap().insert(name);
                }
                "—" => {}
                other => panic!("README role table: {other:?} for {name} × {role}"),
            }
        }
    }
    out
}

/// docs/roles.md: (method, path) → what it needs.
fn documented_routes() -> BTreeMap<(String, String), Needs> {
    let mut out = BTreeMap::new();
    for line in ROLES_DOC.lines().filter(|l| l.starts_with("| ") && !l.starts_with("| Method")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (method, path, needs) = (cells[1], cells[2].trim_matches('`'), cells[3]);
        let needs = if needs == "public" {
            Needs::Public
        } else if needs.starts_with("public;") {
            Needs::PublicOrToken(scope(needs))
        } else if needs == "signed in" {
            Needs::SignedIn
        } else {
            Needs::Permission(scope(needs))
        };
        let fresh = out.insert((method.to_string(), path.to_string()), needs);
        assert!(fresh.is_none(), "docs/roles.md lists {method} {path} twice");
    }
    out
}

/// Every (method, path) the router source registers.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let sources = server_sources();
    // Path constants by (file, name): two modules may use one name
    // (`api::CUSTOMER_ERASE`, `paths::CUSTOMER_ERASE`) for different paths.
    let mut consts: BTreeMap<(std::path::PathBuf, String), String> = BTreeMap::new();
    for (file, text) in &sources {
        for line in text.lines() {
            if let Some(rest) = line.trim().strip_prefix("pub const ")
                && let Some((name, value)) = rest.split_once(": &str = ")
            {
                let value = value.trim_end_matches(';').trim_matches('"').to_string();
                consts.insert((file.clone(), name.to_string()), value);
            }
        }
    }
    // `module::NAME` is the constant in a file of that module (`paths.rs`
    // or `paths/mod.rs`), the nearest to the file naming it; a bare `NAME`
    // is the file's own.
    let resolve = |file: &std::path::Path, target: &str| -> String {
        let (module, name) = match target.rsplit_once("::") {
            Some((m, n)) => (m.rsplit("::").next(), n),
            None => (None, target),
        };
        let in_module = |f: &std::path::Path| match module {
            None => f == file,
            Some(m) => {
                f.file_stem().is_some_and(|s| s == m)
                    || f.file_stem().is_some_and(|s| s == "mod")
                        && f.parent().and_then(|d| d.file_name()).is_some_and(|d| d == m)
            }
        };
        let mut hits: Vec<_> = consts.iter().filter(|((f, n), _)| n == name && in_module(f)).collect();
        let dir = file.parent().unwrap();
        if hits.len() > 1 {
            hits.retain(|((f, _), _)| f.starts_with(dir));
        }
        assert_eq!(hits.len(), 1, "path constant {target} in {} resolves to {hits:?}", file.display());
        hits[0].1.clone()
    };
    let mut out = BTreeSet::new();
    for (file, text) in &sources {
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix(".route(") else { continue };
            let (target, handlers) = rest.split_once(',').expect("a route and its handlers");
            let path = match target.trim().strip_prefix('"') {
                Some(p) => p.trim_end_matches('"').to_string(),
                None => resolve(file, target.trim()),
            };
            for method in ["get", "post", "put", "patch", "delete", "options"] {
                // `get(` as a routing function, not `get_survey(`.
                let call = format!("{method}(");
                let hits = handlers.match_indices(&call).filter(|(i, _)| {
                    *i == 0 || !handlers.as_bytes()[i - 1].is_ascii_alphanumeric() && handlers.as_bytes()[i - 1] != b'_'
                });
                if hits.count() > 0 {
                    out.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    out
}

fn concrete(path: &str) -> String {
    path.replace("{slug}", "no-such-survey")
        .replace("{token}", "not-a-token")
        .replace("{external_id}", "nobody-here")
        .replace("{key}", "no_such_key")
        .replace("{id}", "01890a5d-ac96-774b-bcce-b302099a8057")
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/hooks/") || path == "/healthz" || path == "/widget.js"
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Nobody,
    /// The role's token (all its permissions) or, on pages, its session.
    Role(Role),
    /// The role's session on an API read.
    Session(Role),
    /// An admin's token with only the `read` scope.
    ReadToken,
}

#[tokio::test]
async fn every_route_answers_every_role_as_documented() {
    // The documents agree with the code's roles…
    let readme = readme_roles();
    for role in Role::ALL {
        let documented = &readme[role.as_str()];
        let actual: BTreeSet<&str> = role.permissions().iter().map(Permission::scope).collect();
        assert_eq!(documented, &actual, "README's role table for {}", role.as_str());
    }
    // …and name every route.
    let documented = documented_routes();
    let source = routes_in_source();
    let keys: BTreeSet<_> = documented.keys().cloned().collect();
    let missing: Vec<_> = source.difference(&keys).collect();
    let stale: Vec<_> = keys.difference(&source).collect();
    assert!(missing.is_empty(), "routes missing from docs/roles.md: {missing:?}");
    assert!(stale.is_empty(), "docs/roles.md lists routes the server does not have: {stale:?}");
    assert!(source.len() > 100, "the route scan found only {} routes", source.len());
    // The OpenAPI document names the same permission for each staff call.
    let openapi: serde_json::Value = serde_json::from_str(cxloop_server::openapi_document().unwrap()).unwrap();
    for ((method, path), needs) in &documented {
        let op = &openapi["paths"][path.as_str()][method.to_lowercase()];
        if op.is_null() {
            continue; // a page
        }
        let expected = match needs {
            Needs::Permission(p) => Some(p.scope()),
            _ => None,
        };
        assert_eq!(op["x-cxloop-permission"].as_str(), expected, "x-cxloop-permission of {method} {path}");
    }

    let app = spawn_app().await;
    let mut tokens = BTreeMap::new();
    let mut users = BTreeMap::new();
    for role in Role::ALL {
        let user = app
            .store
            .create_user(&NewUser {
                email: format!("{}.table@example.com", role.as_str()),
                name: role.as_str().into(),
                role,
                password_hash: None,
            })
            .await
            .unwrap();
        let token = crypto::new_token();
        app.store.create_token(user.id, "table", &crypto::sha256_hex(&token), role.permissions()).await.unwrap();
        tokens.insert(role.as_str(), token);
        users.insert(role.as_str(), user.id);
    }
    let read_token = crypto::new_token();
    let admin = app.store.user_by_email(&app.email).await.unwrap().user;
    app.store.create_token(admin.id, "read", &crypto::sha256_hex(&read_token), Permissions::read_only()).await.unwrap();

    let mut checked = 0;
    let mut public_status = BTreeMap::new();
    for ((method, path), needs) in &documented {
        let api = is_api(path);
        let mut callers = vec![Who::Nobody];
        callers.extend(Role::ALL.map(Who::Role));
        if api && method == "GET" && path.starts_with("/api/v1/") {
            callers.extend(Role::ALL.map(Who::Session));
        }
        if api {
            callers.push(Who::ReadToken);
        }
        for who in callers {
            // A fresh session per call: logging out, say, ends only its own.
            let session = match who {
                Who::Role(r) | Who::Session(r) if !api || matches!(who, Who::Session(_)) => {
                    let secret = crypto::new_token();
                    let csrf = crypto::new_token();
                    app.store
                        .create_session(&NewSession {
                            id_hash: crypto::sha256_hex(&secret),
                            user_id: users[r.as_str()],
                            csrf: csrf.clone(),
                            expires_at: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
                        })
                        .await
                        .unwrap();
                    Some((secret, csrf))
                }
                _ => None,
            };
            let url = app.url(&concrete(path));
            let mut req = app.client.request(method.parse().unwrap(), url);
            match who {
                Who::Role(r) if api => req = req.bearer_auth(&tokens[r.as_str()]),
                Who::ReadToken => req = req.bearer_auth(&read_token),
                _ => {}
            }
            if let Some((secret, _)) = &session {
                req = req.header("cookie", format!("cxloop_session={secret}"));
            }
            if matches!(method.as_str(), "POST" | "PUT" | "PATCH") {
                req = if api {
                    req.header("content-type", "application/json").body("{}")
                } else {
                    let csrf = session.as_ref().map_or("", |(_, c)| c.as_str());
                    req.header("content-type", "application/x-www-form-urlencoded").body(format!("_csrf={csrf}"))
                };
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let location = resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let body = resp.text().await.unwrap_or_default();
            // The extractor's "sign in first" carries where the caller was
            // going; logging out also ends on the login page, without it.
            let to_login = status == 303 && location.starts_with("/login?next=");
            let call = format!("{method} {path} as {who:?}: {status} {location} {}", &body[..body.len().min(300)]);
            assert!(status < 500, "{call}");
            checked += 1;

            let holds = |p: Permission| match who {
                Who::Nobody => false,
                Who::Role(r) | Who::Session(r) => r.permissions().contains(p),
                Who::ReadToken => p == Permission::ViewReports,
            };
            match needs {
                // Public routes may refuse for other reasons (the login
                // form's own CSRF check, a widget's origin), but alike for
                // everyone: no role is asked for.
                Needs::Public => {
                    assert!(status != 401 && !to_login, "public: {call}");
                    let first = *public_status.entry((method.clone(), path.clone())).or_insert(status);
                    assert_eq!(status, first, "a public route answers every caller alike: {call}");
                }
                Needs::PublicOrToken(p) => match who {
                    Who::Nobody => assert!(status != 401 && status != 403, "anonymous allowed: {call}"),
                    _ if holds(*p) => assert!(status != 401 && status != 403, "allowed: {call}"),
                    _ => assert_eq!(status, 403, "a token without {p:?}: {call}"),
                },
                Needs::SignedIn => match who {
                    Who::Nobody if api => assert_eq!(status, 401, "{call}"),
                    Who::Nobody => assert!(to_login, "to the login page: {call}"),
                    _ => assert!(status != 401 && status != 403 && !to_login, "any staff: {call}"),
                },
                Needs::Permission(p) => match who {
                    Who::Nobody if api => {
                        assert_eq!(status, 401, "{call}");
                        assert!(body.contains("\"unauthorized\""), "JSON error: {call}");
                    }
                    Who::Nobody => assert!(to_login, "to the login page: {call}"),
                    _ if holds(*p) => assert!(status != 401 && status != 403 && !to_login, "allowed: {call}"),
                    Who::ReadToken => {
                        assert_eq!(status, 403, "{call}");
                        assert!(body.contains(&format!("`{}` scope", p.scope())), "names the scope: {call}");
                    }
                    _ => {
                        assert_eq!(status, 403, "{call}");
                        assert!(body.contains("role may not"), "says why: {call}");
                        if api {
                            assert!(body.contains("\"forbidden\""), "JSON error: {call}");
                        }
                    }
                },
            }
        }
    }
    assert!(checked > 600, "only {checked} calls were made");
}

/// Every staff form, as an admin whose session holds every permission,
/// refuses a post without the session's CSRF token or with a forged one:
/// pages get form bodies only through `StaffForm`, `SessionForm` or
/// `read_upload`, which check it before the handler runs or looks anything
/// up. Uploads are sent as multipart, everything else urlencoded.
#[tokio::test]
async fn every_staff_form_refuses_a_missing_or_forged_csrf_token() {
    let app = spawn_app().await;
    let cookie = format!("cxloop_session={}", app.login().await);
    let uploads = ["/import/customers", "/import/feedback", "/personas/{id}/picture"];
    let mut checked = 0;
    for ((method, path), needs) in documented_routes() {
        if method != "POST" || is_api(&path) || matches!(needs, Needs::Public | Needs::PublicOrToken(_)) {
            continue;
        }
        for token in [None, Some("forged")] {
            let r = if uploads.contains(&path.as_str()) {
                let boundary = "cxloopcsrf";
                let mut body = String::new();
                if let Some(t) = token {
                    body.push_str(&format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{t}\r\n"
                    ));
                }
                body.push_str(&format!("--{boundary}--\r\n"));
                let content_type = format!("multipart/form-data; boundary={boundary}");
                app.post_multipart(&concrete(&path), &cookie, &content_type, body.into_bytes()).await
            } else {
                let form: Vec<(&str, &str)> = token.map(|t| ("_csrf", t)).into_iter().collect();
                app.post_form(&concrete(&path), &cookie, &form).await
            };
            let status = r.status().as_u16();
            let text = r.text().await.unwrap_or_default();
            assert_eq!(status, 403, "POST {path} with _csrf {token:?}: {}", &text[..text.len().min(200)]);
            assert!(text.contains("did not come from cxloop"), "POST {path}: the CSRF refusal, not another");
            checked += 1;
        }
    }
    assert!(checked >= 50, "checked only {checked} posts (29 staff forms, twice each, when written)");
}

#[tokio::test]
async fn a_token_never_gets_more_than_its_scopes_or_its_role() {
    let app = spawn_app().await;
    let cookie = format!("cxloop_session={}", app.login().await);
    let page = app.page("/account", &cookie).await;
    let csrf = crate::helpers::hidden(&page, "_csrf").unwrap();
    // The form offers the admin's scopes with only `read` ticked.
    assert!(page.contains(r#"name="scope" value="read" checked"#), "read is the default");
    assert!(page.contains(r#"name="scope" value="users""#) && !page.contains(r#"value="users" checked"#));

    // No scope ticked, or an unknown one, is refused by field.
    let r = app.post_form("/account/tokens", &cookie, &[("_csrf", &csrf), ("name", "none")]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("tick at least one scope"));
    let r = app.post_form("/account/tokens", &cookie, &[("_csrf", &csrf), ("name", "x"), ("scope", "root")]).await;
    assert_eq!(r.status(), 422);

    // A read token, shown once, reads and cannot write.
    let r = app.post_form("/account/tokens", &cookie, &[("_csrf", &csrf), ("name", "reader"), ("scope", "read")]).await;
    assert_eq!(r.status(), 201);
    let html = r.text().await.unwrap();
    let secret = html.split(r#"<p class="token-secret">"#).nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(secret.len(), 64, "{secret}");
    assert!(!app.page("/account", &cookie).await.contains(&secret), "the secret is not shown again");
    let read = app.client.get(app.url("/api/v1/surveys")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(read.status(), 200);
    let write = app
        .client
        .post(app.url("/api/v1/surveys"))
        .bearer_auth(&secret)
        .json(&serde_json::json!({"title": "x", "questions": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 403);

    // A viewer cannot make a token with a scope their role lacks.
    let viewer = app
        .store
        .create_user(&NewUser {
            email: "viewer@example.com".into(),
            name: "Viewer".into(),
            role: Role::Viewer,
            password_hash: Some(cxloop_server::platform::auth::hash_password("viewer password long").unwrap()),
        })
        .await
        .unwrap();
    let vcookie = format!("cxloop_session={}", app.login_as("viewer@example.com", "viewer password long").await);
    let vpage = app.page("/account", &vcookie).await;
    assert!(!vpage.contains(r#"value="surveys""#), "only the role's scopes are offered");
    let vcsrf = crate::helpers::hidden(&vpage, "_csrf").unwrap();
    let r = app
        .post_form("/account/tokens", &vcookie, &[("_csrf", &vcsrf), ("name", "sneaky"), ("scope", "surveys")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("does not allow the surveys scope"));
    assert!(app.store.list_tokens(Some(viewer.id)).await.unwrap().is_empty());

    // Revoking: one's own works at once; someone else's is not found.
    let tokens = app.store.list_tokens(None).await.unwrap();
    let reader = tokens.iter().find(|t| t.name == "reader").unwrap();
    let r = app.post_form(&format!("/account/tokens/{}/revoke", reader.id), &vcookie, &[("_csrf", &vcsrf)]).await;
    assert_eq!(r.status(), 404, "a viewer cannot revoke the admin's token");
    let r = app.post_form(&format!("/account/tokens/{}/revoke", reader.id), &cookie, &[("_csrf", &csrf)]).await;
    assert_eq!(r.status(), 303);
    let gone = app.client.get(app.url("/api/v1/surveys")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(gone.status(), 401);
}

#[tokio::test]
async fn admins_change_roles_deactivate_and_remove_accounts_but_never_the_last_admin() {
    let app = spawn_app().await;
    let cookie = format!("cxloop_session={}", app.login().await);
    let admin = app.store.user_by_email(&app.email).await.unwrap().user;
    let agent = app
        .store
        .create_user(&NewUser {
            email: "agent@example.com".into(),
            name: "Agent".into(),
            role: Role::Agent,
            password_hash: Some(cxloop_server::platform::auth::hash_password("agent password long").unwrap()),
        })
        .await
        .unwrap();
    let acookie = format!("cxloop_session={}", app.login_as("agent@example.com", "agent password long").await);
    let page = app.page("/users", &cookie).await;
    let csrf = crate::helpers::hidden(&page, "_csrf").unwrap();
    assert!(!page.contains(&format!("/users/{}/remove", admin.id)), "no way to remove oneself");

    // An agent may not touch accounts; nor see the Staff page.
    let r = app.post_form(&format!("/users/{}/role", admin.id), &acookie, &[("role", "viewer")]).await;
    assert_eq!(r.status(), 403);
    assert!(!app.page("/dashboard", &acookie).await.contains(r#"href="/users""#));

    // The only admin cannot step down.
    let r =
        app.post_form(&format!("/users/{}/role", admin.id), &cookie, &[("_csrf", &csrf), ("role", "analyst")]).await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("at least one active admin"));
    // An unknown role is refused by field.
    let r = app.post_form(&format!("/users/{}/role", agent.id), &cookie, &[("_csrf", &csrf), ("role", "owner")]).await;
    assert_eq!(r.status(), 422);
    // Promote the agent to analyst: the agent's session gains the pages at once.
    assert_eq!(app.client.get(app.url("/surveys/new")).header("cookie", &acookie).send().await.unwrap().status(), 403);
    let r =
        app.post_form(&format!("/users/{}/role", agent.id), &cookie, &[("_csrf", &csrf), ("role", "analyst")]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("agent@example.com is now analyst"));
    assert_eq!(app.client.get(app.url("/surveys/new")).header("cookie", &acookie).send().await.unwrap().status(), 200);

    // Deactivate: the session ends, logging in fails like a wrong password.
    let r =
        app.post_form(&format!("/users/{}/active", agent.id), &cookie, &[("_csrf", &csrf), ("active", "false")]).await;
    assert_eq!(r.status(), 200);
    let r = app.client.get(app.url("/dashboard")).header("cookie", &acookie).send().await.unwrap();
    assert_eq!(r.status(), 303, "the session is gone");
    let r = app.post_login("agent@example.com", "agent password long", "/dashboard").await;
    assert_eq!(r.status(), 422, "a deactivated account cannot log in");
    // One cannot deactivate oneself.
    let r =
        app.post_form(&format!("/users/{}/active", admin.id), &cookie, &[("_csrf", &csrf), ("active", "false")]).await;
    assert_eq!(r.status(), 409);
    // Reactivate, then remove: it asks first, then the account is gone.
    let r =
        app.post_form(&format!("/users/{}/active", agent.id), &cookie, &[("_csrf", &csrf), ("active", "true")]).await;
    assert_eq!(r.status(), 200);
    let r = app.post_form(&format!("/users/{}/remove", agent.id), &cookie, &[("_csrf", &csrf)]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Remove agent@example.com?"));
    assert_eq!(app.store.list_users().await.unwrap().len(), 2, "asking removed nothing");
    let r =
        app.post_form(&format!("/users/{}/remove", agent.id), &cookie, &[("_csrf", &csrf), ("confirm", "yes")]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.store.list_users().await.unwrap().len(), 1);

    // Each change is in the audit log, which has a page.
    let audit = app.page("/audit", &cookie).await;
    for action in ["user.role", "user.active", "user.remove"] {
        assert!(audit.contains(action), "{action} is audited");
    }
}

/// The post forms on a page: their actions.
fn post_actions(html: &str) -> Vec<String> {
    html.split("<form")
        .skip(1)
        .filter(|f| f[..f.find('>').unwrap_or(f.len())].contains(r#"method="post""#))
        .filter_map(|f| f.split(r#"action=""#).nth(1).and_then(|a| a.split('"').next()).map(str::to_string))
        .collect()
}

#[tokio::test]
async fn pages_offer_only_the_actions_the_role_may_take() {
    let app = spawn_app().await;
    let survey = app.create_survey("Support CSAT").await;
    let id = survey["id"].as_str().unwrap();
    let r =
        app.post_json("/api/v1/segments", &serde_json::json!({"name": "All", "expression": "name is not empty"})).await;
    assert_eq!(r.status(), 201);
    let r =
        app.post_json("/api/v1/hooks", &serde_json::json!({"name": "Helpdesk", "events": {"ticket.solved": id}})).await;
    assert_eq!(r.status(), 201);
    let r = app.post_json("/api/v1/personas", &serde_json::json!({"name": "Ops lead"})).await;
    assert_eq!(r.status(), 201);
    let pages = [
        "/dashboard".to_string(),
        "/surveys".into(),
        format!("/surveys/{id}"),
        format!("/surveys/{id}/themes"),
        format!("/surveys/{id}/invitations"),
        "/channels".into(),
        "/customers".into(),
        "/segments".into(),
        "/personas".into(),
        "/comments".into(),
        "/taxonomy".into(),
    ];
    let admin = format!("cxloop_session={}", app.login().await);
    for role in [Role::Viewer, Role::Agent, Role::Analyst] {
        let email = format!("{}.pages@example.com", role.as_str());
        app.store
            .create_user(&NewUser {
                email: email.clone(),
                name: role.as_str().into(),
                role,
                password_hash: Some(cxloop_server::platform::auth::hash_password("a long password here").unwrap()),
            })
            .await
            .unwrap();
        let cookie = format!("cxloop_session={}", app.login_as(&email, "a long password here").await);
        for path in &pages {
            let html = app.page(path, &cookie).await;
            assert!(html.contains("Log out"), "{path} as {role:?} renders");
            for action in post_actions(&html) {
                let needs = documented_routes()
                    .into_iter()
                    .find(|((m, p), _)| m == "POST" && route_matches(p, &action))
                    .map(|(_, n)| n)
                    .unwrap_or_else(|| panic!("{path}: a form posts to {action}, which docs/roles.md does not list"));
                let ok = match needs {
                    Needs::Permission(p) => role.permissions().contains(p),
                    _ => true,
                };
                assert!(ok, "{path} as {role:?} offers a form to {action}, which needs {needs:?}");
            }
        }
    }
    // The admin sees the forms the others did not.
    let html = app.page("/channels", &admin).await;
    assert!(post_actions(&html).iter().any(|a| a == "/channels/hooks"), "the admin can add a webhook");
    let html = app.page(&format!("/surveys/{id}"), &admin).await;
    assert!(post_actions(&html).iter().any(|a| a.ends_with("/status")), "the admin can close the survey");
}

/// Whether a concrete path matches a route pattern with `{…}` segments.
fn route_matches(pattern: &str, path: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.starts_with('{') || x == y)
}

#[tokio::test]
async fn a_privacy_request_is_exported_and_erased_from_the_pages_and_audited() {
    let app = spawn_app().await;
    let survey = app.create_survey("Support CSAT").await;
    let id = survey["id"].as_str().unwrap();
    let body = serde_json::json!({"answers": {"nps": 3, "why": "Nobody called back"}, "customer": {"external_id": "ada lovelace", "name": "Ada"}});
    assert_eq!(app.post_json(&format!("/api/v1/surveys/{id}/responses"), &body).await.status(), 201);
    let cookie = format!("cxloop_session={}", app.login().await);
    let customer = app.page("/customers/ada%20lovelace", &cookie).await;
    assert!(customer.contains(r#"href="/customers/ada%20lovelace/privacy""#), "the customer page links the request");
    let page = app.page("/customers/ada%20lovelace/privacy", &cookie).await;
    assert!(page.contains("0 lifecycle events and 1 responses"), "{page}");
    let csrf = crate::helpers::hidden(&page, "_csrf").unwrap();
    // The download is the API's export, through the session.
    let export = app.client.get(app.url("/api/v1/customers/ada%20lovelace/export")).header("cookie", &cookie).send();
    let export: serde_json::Value = export.await.unwrap().json().await.unwrap();
    assert_eq!(export["responses"].as_array().unwrap().len(), 1);
    // Erasing asks first, then erases.
    let r = app.post_form("/customers/ada%20lovelace/erase", &cookie, &[("_csrf", &csrf)]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Erase Ada?"));
    assert!(app.store.customer_by_external_id("ada lovelace").await.is_ok(), "asking erased nothing");
    let r = app.post_form("/customers/ada%20lovelace/erase", &cookie, &[("_csrf", &csrf), ("confirm", "yes")]).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("1 comments were erased"));
    assert!(app.store.customer_by_external_id("ada lovelace").await.is_err(), "the identity is gone");
    let audit = app.page("/audit", &cookie).await;
    assert!(audit.contains("customer.export") && audit.contains("customer.erase"), "{audit}");
}
