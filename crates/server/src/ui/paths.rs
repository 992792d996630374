//! Typed links to the pages: each page path is a constant (the router
//! registers it, the role table test reads it) and a function that fills
//! it from typed values, percent-encoding text, so a link cannot name a
//! page that does not exist or put an unescaped customer id in a URL.
//! Query strings are added with [`with_query`].

use cxloop_core::ids::{HookId, PersonaId, SegmentId, SurveyId, TokenId, UserId};

pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const APP_CSS: &str = "/assets/app.css";
pub const DASHBOARD: &str = "/dashboard";
pub const SURVEY_LIST: &str = "/surveys";
pub const SURVEY_NEW: &str = "/surveys/new";
pub const SURVEY_PAGE: &str = "/surveys/{id}";
pub const SURVEY_EDIT: &str = "/surveys/{id}/edit";
pub const SURVEY_STATUS: &str = "/surveys/{id}/status";
pub const SURVEY_THEMES: &str = "/surveys/{id}/themes";
pub const SURVEY_THEMES_ADD: &str = "/surveys/{id}/themes/add";
pub const SURVEY_COMPARE: &str = "/surveys/{id}/compare";
pub const SURVEY_INVITATIONS: &str = "/surveys/{id}/invitations";
pub const COMMENT_EXPLORER: &str = "/comments";
pub const TAXONOMY_PAGE: &str = "/taxonomy";
pub const CUSTOMER_DIRECTORY: &str = "/customers";
pub const CUSTOMER_PAGE: &str = "/customers/{external_id}";
pub const CUSTOMER_PRIVACY: &str = "/customers/{external_id}/privacy";
pub const CUSTOMER_ERASE: &str = "/customers/{external_id}/erase";
pub const CUSTOMER_IMPORT: &str = "/import/customers";
pub const CUSTOMER_IMPORT_CONFIRM: &str = "/import/customers/confirm";
pub const SEGMENT_LIST: &str = "/segments";
pub const SEGMENT_PAGE: &str = "/segments/{id}";
pub const SEGMENT_DELETE: &str = "/segments/{id}/delete";
pub const PERSONA_LIST: &str = "/personas";
pub const PERSONA_PAGE: &str = "/personas/{id}";
pub const PERSONA_DELETE: &str = "/personas/{id}/delete";
pub const PERSONA_PICTURE: &str = "/personas/{id}/picture";
pub const IDEAL_PAGE: &str = "/ideal";
pub const USER_LIST: &str = "/users";
pub const USER_ROLE: &str = "/users/{id}/role";
pub const USER_ACTIVE: &str = "/users/{id}/active";
pub const USER_REMOVE: &str = "/users/{id}/remove";
pub const USER_TOKEN_REVOKE: &str = "/users/tokens/{id}/revoke";
pub const ACCOUNT_PAGE: &str = "/account";
pub const ACCOUNT_TOKENS: &str = "/account/tokens";
pub const ACCOUNT_TOKEN_REVOKE: &str = "/account/tokens/{id}/revoke";
pub const CHANNELS_PAGE: &str = "/channels";
pub const CHANNEL_HOOKS: &str = "/channels/hooks";
pub const CHANNEL_HOOK_DELETE: &str = "/channels/hooks/{id}/delete";
pub const CHANNEL_WIDGET: &str = "/channels/widget/{id}";
pub const FEEDBACK_IMPORT: &str = "/import/feedback";
pub const FEEDBACK_IMPORT_CONFIRM: &str = "/import/feedback/confirm";
pub const AUDIT_PAGE: &str = "/audit";
pub const PUBLIC_SURVEY: &str = "/s/{slug}";
pub const PUBLIC_THANKS: &str = "/s/{slug}/thanks";
pub const UNSUBSCRIBE_PAGE: &str = "/u/{token}";

/// API downloads the pages link to (the same paths as the API's
/// constants, which a test checks).
const API_RESPONSES_CSV: &str = "/api/v1/surveys/{id}/responses.csv";
const API_SURVEY_QR: &str = "/api/v1/surveys/{id}/qr";
const API_CUSTOMER_EXPORT: &str = "/api/v1/customers/{external_id}/export";
/// Every customer as CSV.
pub const CUSTOMERS_CSV: &str = "/api/v1/customers.csv";

/// A value that can stand for one `{…}` segment of a path.
pub trait Segment {
    fn segment(&self) -> String;
}

/// Typed ids write as their UUID.
macro_rules! id_segments {
    ($($id:ty),*) => {
        $(impl Segment for $id {
            fn segment(&self) -> String {
                self.to_string()
            }
        })*
    };
}
id_segments!(SurveyId, SegmentId, PersonaId, UserId, TokenId, HookId);

/// Text (an external id, a slug, a token) is percent-encoded: a `/`, `?`
/// or `#` in it stays inside its segment.
impl Segment for &str {
    fn segment(&self) -> String {
        crate::ui::layout::path_segment(self)
    }
}

/// `pattern` with its `{…}` placeholders replaced, in order, by `values`.
fn fill(pattern: &str, values: &[&dyn Segment]) -> String {
    let mut out = String::with_capacity(pattern.len() + 40);
    let mut values = values.iter();
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c + 1);
        if let Some(v) = values.next() {
            out.push_str(&v.segment());
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// `path` with a query string of the pairs whose value is not empty
/// (form-encoded), e.g. `with_query(survey(id), &[("from", "2026-01-01")])`.
pub fn with_query(path: String, pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        q.append_pair(k, v);
    }
    let q = q.finish();
    if q.is_empty() { path } else { format!("{path}?{q}") }
}

pub fn login_then(next: &str) -> String {
    with_query(LOGIN.into(), &[("next", next)])
}
pub fn survey(id: SurveyId) -> String {
    fill(SURVEY_PAGE, &[&id])
}
pub fn survey_edit(id: SurveyId) -> String {
    fill(SURVEY_EDIT, &[&id])
}
pub fn survey_status(id: SurveyId) -> String {
    fill(SURVEY_STATUS, &[&id])
}
pub fn survey_themes(id: SurveyId) -> String {
    fill(SURVEY_THEMES, &[&id])
}
pub fn survey_themes_add(id: SurveyId) -> String {
    fill(SURVEY_THEMES_ADD, &[&id])
}
pub fn survey_compare(id: SurveyId) -> String {
    fill(SURVEY_COMPARE, &[&id])
}
pub fn survey_invitations(id: SurveyId) -> String {
    fill(SURVEY_INVITATIONS, &[&id])
}
pub fn customer(external_id: &str) -> String {
    fill(CUSTOMER_PAGE, &[&external_id])
}
pub fn customer_privacy(external_id: &str) -> String {
    fill(CUSTOMER_PRIVACY, &[&external_id])
}
pub fn customer_erase(external_id: &str) -> String {
    fill(CUSTOMER_ERASE, &[&external_id])
}
/// The customer directory kept to one segment's members.
pub fn customers_in(segment: SegmentId) -> String {
    with_query(CUSTOMER_DIRECTORY.into(), &[("segment_id", &segment.to_string())])
}
pub fn segment(id: SegmentId) -> String {
    fill(SEGMENT_PAGE, &[&id])
}
pub fn segment_delete(id: SegmentId) -> String {
    fill(SEGMENT_DELETE, &[&id])
}
pub fn persona(id: PersonaId) -> String {
    fill(PERSONA_PAGE, &[&id])
}
pub fn persona_delete(id: PersonaId) -> String {
    fill(PERSONA_DELETE, &[&id])
}
pub fn persona_picture(id: PersonaId) -> String {
    fill(PERSONA_PICTURE, &[&id])
}
pub fn user_role(id: UserId) -> String {
    fill(USER_ROLE, &[&id])
}
pub fn user_active(id: UserId) -> String {
    fill(USER_ACTIVE, &[&id])
}
pub fn user_remove(id: UserId) -> String {
    fill(USER_REMOVE, &[&id])
}
pub fn user_token_revoke(id: TokenId) -> String {
    fill(USER_TOKEN_REVOKE, &[&id])
}
pub fn account_token_revoke(id: TokenId) -> String {
    fill(ACCOUNT_TOKEN_REVOKE, &[&id])
}
pub fn channel_hook_delete(id: HookId) -> String {
    fill(CHANNEL_HOOK_DELETE, &[&id])
}
pub fn channel_widget(survey: SurveyId) -> String {
    fill(CHANNEL_WIDGET, &[&survey])
}
pub fn public_survey(slug: &str) -> String {
    fill(PUBLIC_SURVEY, &[&slug])
}
pub fn public_thanks(slug: &str) -> String {
    fill(PUBLIC_THANKS, &[&slug])
}
pub fn unsubscribe(token: &str) -> String {
    fill(UNSUBSCRIBE_PAGE, &[&token])
}
/// The survey's responses as CSV (add the period with [`with_query`]).
pub fn responses_csv(id: SurveyId) -> String {
    fill(API_RESPONSES_CSV, &[&id])
}
pub fn survey_qr(id: SurveyId) -> String {
    fill(API_SURVEY_QR, &[&id])
}
/// Everything held about a customer, as JSON (a privacy export).
pub fn customer_export(external_id: &str) -> String {
    fill(API_CUSTOMER_EXPORT, &[&external_id])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `link` is a path the `pattern` matches: the same literal
    /// segments, one non-empty segment per placeholder.
    fn matches(pattern: &str, link: &str) -> bool {
        let path = link.split('?').next().unwrap_or_default();
        let (p, l): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), path.split('/').collect());
        p.len() == l.len()
            && p.iter()
                .zip(&l)
                .all(|(p, l)| if p.starts_with('{') { !l.is_empty() && !l.contains('/') } else { p == l })
    }

    #[test]
    fn every_builder_fills_its_own_pattern() {
        let (s, g, p, u, t, h) =
            (SurveyId::new(), SegmentId::new(), PersonaId::new(), UserId::new(), TokenId::new(), HookId::new());
        let cases: Vec<(&str, String)> = vec![
            (SURVEY_PAGE, survey(s)),
            (SURVEY_EDIT, survey_edit(s)),
            (SURVEY_STATUS, survey_status(s)),
            (SURVEY_THEMES, survey_themes(s)),
            (SURVEY_THEMES_ADD, survey_themes_add(s)),
            (SURVEY_COMPARE, survey_compare(s)),
            (SURVEY_INVITATIONS, survey_invitations(s)),
            (CUSTOMER_PAGE, customer("acme/eu")),
            (CUSTOMER_PRIVACY, customer_privacy("c-1")),
            (CUSTOMER_ERASE, customer_erase("c-1")),
            (CUSTOMER_DIRECTORY, customers_in(g)),
            (SEGMENT_PAGE, segment(g)),
            (SEGMENT_DELETE, segment_delete(g)),
            (PERSONA_PAGE, persona(p)),
            (PERSONA_DELETE, persona_delete(p)),
            (PERSONA_PICTURE, persona_picture(p)),
            (USER_ROLE, user_role(u)),
            (USER_ACTIVE, user_active(u)),
            (USER_REMOVE, user_remove(u)),
            (USER_TOKEN_REVOKE, user_token_revoke(t)),
            (ACCOUNT_TOKEN_REVOKE, account_token_revoke(t)),
            (CHANNEL_HOOK_DELETE, channel_hook_delete(h)),
            (CHANNEL_WIDGET, channel_widget(s)),
            (PUBLIC_SURVEY, public_survey("nps")),
            (PUBLIC_THANKS, public_thanks("nps")),
            (UNSUBSCRIBE_PAGE, unsubscribe("t0k")),
            (LOGIN, login_then("/surveys")),
        ];
        for (pattern, link) in cases {
            assert!(matches(pattern, &link), "{link} does not fill {pattern}");
        }
        assert_eq!(survey(s), format!("/surveys/{s}"));
        assert_eq!(API_RESPONSES_CSV, crate::api::RESPONSES_CSV);
        assert_eq!(API_SURVEY_QR, crate::api::SURVEY_QR);
        assert_eq!(API_CUSTOMER_EXPORT, crate::features::privacy::api::CUSTOMER_EXPORT);
        assert_eq!(CUSTOMERS_CSV, crate::api::CUSTOMERS_CSV);
        assert!(matches(API_RESPONSES_CSV, &responses_csv(s)) && matches(API_SURVEY_QR, &survey_qr(s)));
        assert!(matches(API_CUSTOMER_EXPORT, &customer_export("c/1")));
    }

    #[test]
    fn text_stays_inside_its_segment_and_queries_are_encoded() {
        assert_eq!(customer("acme corp/eu+1"), "/customers/acme%20corp%2Feu%2B1");
        assert_eq!(unsubscribe("a?b#c"), "/u/a%3Fb%23c");
        assert_eq!(
            login_then("/surveys/1?from=2026-01-01&to=x"),
            "/login?next=%2Fsurveys%2F1%3Ffrom%3D2026-01-01%26to%3Dx"
        );
        assert_eq!(with_query("/comments".into(), &[("q", "a&b"), ("theme", "")]), "/comments?q=a%26b");
        assert_eq!(with_query("/comments".into(), &[("theme", "")]), "/comments");
    }
}
