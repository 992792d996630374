//! The page frame for staff pages, the kind message page, and formatting
//! helpers shared by the templates. Everything user-supplied goes through
//! maud's escaping; nothing here emits raw strings built from input.

use crate::auth::WebUser;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use time::OffsetDateTime;

pub const CSS: &str = include_str!("../../assets/app.css");

/// A staff page: header with navigation and logout, then `body`.
pub fn page(title: &str, user: &WebUser, current: &str, body: Markup) -> Markup {
    let mut nav = vec![
        ("/dashboard", "Overview"),
        ("/surveys", "Surveys"),
        ("/channels", "Channels"),
        ("/customers", "Customers"),
        ("/personas", "Personas"),
        ("/comments", "Comments"),
        ("/taxonomy", "Themes"),
    ];
    if user.user.role == cxloop_store::Role::Admin {
        nav.push(("/users", "Staff"));
    }
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · cxloop" }
                link rel="stylesheet" href="/assets/app.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    div.wrap {
                        a.brand href="/dashboard" { "cxloop" }
                        nav aria-label="Main" {
                            @for (href, label) in nav {
                                @if current == href {
                                    a href=(href) aria-current="page" style="margin-right:18px" { (label) }
                                } @else {
                                    a href=(href) style="margin-right:18px" { (label) }
                                }
                            }
                        }
                        form method="post" action="/logout" {
                            input type="hidden" name="_csrf" value=(user.csrf);
                            span style="margin-right:10px" { (user.user.email) }
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main #main.wrap { (body) }
            }
        }
    }
}

/// A plain page with one message, for errors and notices.
pub fn message_page(title: &str, text: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(crate::web::public::CSS)) }
            }
            body {
                main.box {
                    h1 { (title) }
                    p { (text) }
                }
            }
        }
    }
}

/// `2026-11-24 06:52 UTC`
pub fn datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", t.year(), u8::from(t.month()), t.day(), t.hour(), t.minute())
}

/// A number with one decimal, or an em dash when absent.
pub fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "—".into(),
    }
}

/// A measure's value in its unit: NPS as signed points, shares as %.
pub fn measure_value(unit: &str, v: Option<f64>) -> String {
    match (unit, v) {
        (_, None) => "—".into(),
        ("points", Some(v)) => format!("{v:+.0}"),
        ("percent", Some(v)) => format!("{v:.0}%"),
        (_, Some(v)) => format!("{v:.2}"),
    }
}

/// A value for a query string (maud escapes HTML, not URLs).
pub fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
