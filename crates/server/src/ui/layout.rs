//! The page frame for staff pages, the kind message page, and formatting
//! helpers shared by the templates. Everything user-supplied goes through
//! maud's escaping; nothing here emits raw strings built from input.

use crate::platform::auth::WebUser;
use crate::ui::paths;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use time::OffsetDateTime;

/// The staff pages' stylesheet, served at `/assets/app.css`.
pub const CSS: &str = include_str!("../../assets/app.css");

/// The respondent pages' styles, inlined into each (one request, no flash
/// of an unstyled form on a slow phone).
pub const PUBLIC_CSS: &str = include_str!("../../assets/public.css");

/// Which styles a page carries.
#[derive(Clone, Copy)]
pub enum Sheet {
    /// Staff pages and sign-in: the cached stylesheet.
    Staff,
    /// Respondent and message pages: [`PUBLIC_CSS`] inline.
    Public,
}

/// The one HTML document frame every page is rendered in: doctype,
/// language, viewport, title, styles, then `body`.
pub fn shell(title: &str, sheet: Sheet, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                @match sheet {
                    Sheet::Staff => link rel="stylesheet" href=(paths::APP_CSS);,
                    Sheet::Public => style { (PreEscaped(PUBLIC_CSS)) },
                }
            }
            body { (body) }
        }
    }
}

/// The body of a destructive form: its button on the confirm page sends
/// `confirm=yes`. The first post of such a form shows [`Confirm::page`]
/// instead of acting, so it asks first without JavaScript.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Confirmation {
    confirm: String,
}

impl Confirmation {
    /// Whether this post came from the confirm page's button.
    pub fn confirmed(&self) -> bool {
        Self::is_yes(&self.confirm)
    }

    /// The confirm button's value, for a form that carries `confirm` among its own fields.
    pub fn is_yes(confirm: &str) -> bool {
        confirm == "yes"
    }
}

/// "Are you sure?": what will happen, and a form that posts to `action`
/// again with `confirm=yes` and `fields`, or a way back.
pub struct Confirm<'a> {
    pub question: &'a str,
    pub consequence: Markup,
    pub action: &'a str,
    /// Hidden fields the confirmed post must carry (e.g. the new status).
    pub fields: &'a [(&'a str, &'a str)],
}

impl Confirm<'_> {
    pub fn page(self, user: &WebUser, current: &str, button: &str, cancel: &str) -> Markup {
        page(
            self.question,
            user,
            current,
            html! {
                h1 { (self.question) }
                div.confirm { (self.consequence) }
                form.inline method="post" action=(self.action) {
                    input type="hidden" name="_csrf" value=(user.csrf);
                    input type="hidden" name="confirm" value="yes";
                    @for (k, v) in self.fields { input type="hidden" name=(k) value=(v); }
                    button.btn.danger type="submit" { (button) }
                    " "
                    a.btn.secondary href=(cancel) { "Cancel" }
                }
            },
        )
    }
}

/// A staff page: header with navigation and logout, then `body`.
pub fn page(title: &str, user: &WebUser, current: &str, body: Markup) -> Markup {
    let mut nav = vec![
        ("/dashboard", "Overview"),
        ("/surveys", "Surveys"),
        ("/customers", "Customers"),
        ("/comments", "Comments"),
        ("/taxonomy", "Themes"),
    ];
    for n in crate::features::ALL.iter().filter_map(|f| f.nav.as_ref()) {
        let at = nav.iter().position(|(href, _)| *href == n.after).map_or(nav.len(), |i| i + 1);
        nav.insert(at, (n.href, n.label));
    }
    if user.can(cxloop_core::access::Permission::ManageUsers) {
        nav.push(("/users", "Staff"));
    }
    let body = html! {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    div.wrap {
                        a.brand href=(paths::DASHBOARD) { "cxloop" }
                        nav aria-label="Main" {
                            @for (href, label) in nav {
                                @if current == href {
                                    a href=(href) aria-current="page" { (label) }
                                } @else {
                                    a href=(href) { (label) }
                                }
                            }
                        }
                        form method="post" action=(paths::LOGOUT) {
                            input type="hidden" name="_csrf" value=(user.csrf);
                            a href=(paths::ACCOUNT_PAGE) title="Your account and API tokens" { (user.user.email) }
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main #main.wrap { (body) }
    };
    shell(&format!("{title} · cxloop"), Sheet::Staff, body)
}

/// A plain page with one message, for errors and notices.
pub fn message_page(title: &str, text: &str) -> Markup {
    shell(title, Sheet::Public, html! { main.box { h1 { (title) } p { (text) } } })
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

/// Characters of a comment shown before "Read all".
pub const SHORT_TEXT: usize = 600;

/// Text someone typed, shortened to [`SHORT_TEXT`] characters with the
/// whole of it one click away (a `<details>`, so without JavaScript too).
/// Wrapping of unbroken text is in the stylesheet (`overflow-wrap: anywhere`).
pub fn long_text(body: &str) -> maud::Markup {
    let n = body.chars().count();
    if n <= SHORT_TEXT {
        return maud::html! { p.text { (body) } };
    }
    let short: String = body.chars().take(SHORT_TEXT).collect();
    maud::html! {
        p.text { (short) "…" }
        details.text { summary { "Read all (" (n) " characters)" } p { (body) } }
    }
}

/// A value for one path segment: everything but the unreserved characters
/// is percent-encoded (a query string's `+` for a space would stay a `+`
/// in a path, and `/` would split the segment).
pub fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_encode_spaces_slashes_and_plus_signs() {
        assert_eq!(super::path_segment("acme corp/eu+1"), "acme%20corp%2Feu%2B1");
        assert_eq!(super::path_segment("c-1.b_~"), "c-1.b_~");
        assert_eq!(super::path_segment("é"), "%C3%A9");
    }

    #[test]
    fn long_text_is_shortened_with_the_rest_one_click_away_and_escaped() {
        let body = format!("<b>{}", "x".repeat(10_000));
        let html = super::long_text(&body).into_string();
        assert!(html.contains("Read all (10003 characters)"), "{}", &html[..200]);
        assert!(!html.contains("<b>"), "typed text stays escaped");
        assert_eq!(super::long_text("short").into_string(), "<p class=\"text\">short</p>");
    }
}
