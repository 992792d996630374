//! Form extractors of the staff pages: [`StaffForm`] (session, permission,
//! CSRF token, then the body as a typed struct), [`SessionForm`] (signed in,
//! CSRF), [`read_upload`] (multipart, CSRF) and [`form_outcome`], the end of
//! a form's POST. Page handlers get form bodies only through these.

use crate::state::AppState;
use axum::response::{IntoResponse, Redirect};
use std::collections::HashMap;

/// A staff form post, taken apart before the handler runs: the session
/// (the login page without one), the permission `P` (a 403 page without
/// it), the urlencoded body (a NUL refused by field), its CSRF token, and
/// the body deserialised into `T`: a typed struct of the form's fields
/// (a field of the wrong kind, or sent twice, is a 422 page naming it), or
/// [`FormData`] for a form whose fields are not known in advance (the
/// builder's `q{i}_…`). An empty field counts as a missing one, as in
/// queries. Pages get form bodies only through this (or [`SessionForm`],
/// or [`read_upload`], which checks the token too), so the check cannot be
/// forgotten: the body is parsed only here.
pub struct StaffForm<P, T = FormData>(pub crate::platform::auth::WebUser, pub T, pub std::marker::PhantomData<P>);

/// A form post from anyone signed in (no permission needed, e.g. signing
/// out), with its CSRF token checked.
pub struct SessionForm<T = FormData>(pub crate::platform::auth::WebUser, pub T);

async fn checked_form<T: serde::de::DeserializeOwned>(
    user: &crate::platform::auth::WebUser,
    parts: axum::http::request::Parts,
    body: axum::body::Body,
    state: &AppState,
) -> Result<T, axum::response::Response> {
    use axum::extract::FromRequest;
    let request = axum::extract::Request::from_parts(parts, body);
    let bytes = axum::body::Bytes::from_request(request, state).await.map_err(IntoResponse::into_response)?;
    let page = |e| crate::platform::error::PageError(e).into_response();
    let pairs = form_pairs(&bytes).map_err(page)?;
    let csrf = pairs.iter().find(|(k, _)| k == "_csrf").map(|(_, v)| v.as_str());
    user.check_csrf(csrf).map_err(page)?;
    crate::platform::query::from_pairs(&pairs, "invalid form field").map_err(page)
}

/// The fields of an urlencoded body, in order; a field holding a NUL
/// character (which no database text column takes) is refused by name.
pub(crate) fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, crate::platform::error::AppError> {
    let mut pairs = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        if k.contains('\0') || v.contains('\0') {
            return Err(crate::platform::error::AppError::invalid(
                k.replace('\0', ""),
                "contains a NUL character (U+0000), which cannot be stored",
            ));
        }
        pairs.push((k.into_owned(), v.into_owned()));
    }
    Ok(pairs)
}

impl<P: crate::platform::auth::Needs, T: serde::de::DeserializeOwned> axum::extract::FromRequest<AppState>
    for StaffForm<P, T>
{
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let crate::platform::auth::Staff(user, _) =
            crate::platform::auth::Staff::<P>::from_request_parts(&mut parts, state).await?;
        let form = checked_form(&user, parts, body, state).await?;
        Ok(StaffForm(user, form, std::marker::PhantomData))
    }
}

impl<T: serde::de::DeserializeOwned> axum::extract::FromRequest<AppState> for SessionForm<T> {
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let user = crate::platform::auth::WebUser::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = checked_form(&user, parts, body, state).await?;
        Ok(SessionForm(user, form))
    }
}

/// The body of a form that sends nothing but its CSRF token (a revoke
/// button, signing out).
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoFields {}

/// An urlencoded form body whose fields are not known in advance: every
/// value per field, in order.
#[derive(Debug, Default)]
pub struct FormData(pub HashMap<String, Vec<String>>);

impl<'de> serde::Deserialize<'de> for FormData {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = FormData;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("form fields")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<FormData, A::Error> {
                let mut fields: HashMap<String, Vec<String>> = HashMap::new();
                while let Some((k, v)) = map.next_entry::<String, String>()? {
                    fields.entry(k).or_default().push(v);
                }
                Ok(FormData(fields))
            }
        }
        d.deserialize_map(Fields)
    }
}

impl FormData {
    /// The first value of a field, or "".
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).and_then(|v| v.first()).map_or("", String::as_str)
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Whether the post came from a confirm page's button (see
    /// [`crate::ui::layout::Confirmation`], the typed forms' field).
    pub fn confirmed(&self) -> bool {
        crate::ui::layout::Confirmation::is_yes(self.get("confirm"))
    }
}

/// The end of a staff form's POST: on success a redirect to `to`; a mistake
/// the person can fix (invalid, conflict) shows the form again, 422, with
/// the message from `rerender`; anything else is an error page.
pub(crate) async fn form_outcome<T, Fut>(
    result: Result<T, crate::platform::error::AppError>,
    to: &str,
    rerender: impl FnOnce(String) -> Fut,
) -> Result<axum::response::Response, crate::platform::error::PageError>
where
    Fut: std::future::Future<Output = Result<maud::Markup, crate::platform::error::PageError>>,
{
    use crate::platform::error::AppError;
    match result {
        Ok(_) => Ok(Redirect::to(to).into_response()),
        Err(e @ (AppError::Invalid { .. } | AppError::Conflict { .. })) => {
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, rerender(e.public_message()).await?).into_response())
        }
        Err(e) => Err(crate::platform::error::PageError(e)),
    }
}

/// A multipart form read whole: its text fields, and its file field's name
/// and bytes when one was sent.
pub(crate) struct Upload {
    pub fields: HashMap<String, String>,
    pub file: Option<(String, axum::body::Bytes)>,
}

impl Upload {
    pub fn get(&self, key: &str) -> &str {
        self.fields.get(key).map_or("", String::as_str)
    }
}

/// Reads a multipart form whose file field is `file_field`; an unreadable
/// upload (too large, cut short) is an error naming that field.
/// Its CSRF token (`_csrf`) is checked here, against `user`'s session, so
/// an upload handler cannot forget it.
pub(crate) async fn read_upload(
    user: &crate::platform::auth::WebUser,
    mut form: axum::extract::Multipart,
    file_field: &str,
) -> Result<Upload, crate::platform::error::AppError> {
    use crate::platform::error::AppError;
    let mut up = Upload { fields: HashMap::new(), file: None };
    let fail = |e: &dyn std::fmt::Display| AppError::invalid(file_field, format!("could not read the upload: {e}"));
    while let Some(field) = form.next_field().await.map_err(|e| fail(&e))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == file_field {
            let file_name = field.file_name().unwrap_or_default().to_string();
            up.file = Some((file_name, field.bytes().await.map_err(|e| fail(&e))?));
        } else {
            up.fields.insert(name, field.text().await.map_err(|e| fail(&e))?);
        }
    }
    user.check_csrf(up.fields.get("_csrf").map(String::as_str))?;
    Ok(up)
}

#[cfg(test)]
mod tests {
    use super::{FormData, NoFields, form_pairs};
    use crate::platform::query::from_pairs;

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(default)]
    struct Segment {
        name: String,
        description: String,
    }

    fn pairs(body: &str) -> Vec<(String, String)> {
        form_pairs(body.as_bytes()).unwrap()
    }

    #[test]
    fn a_typed_form_takes_its_fields_and_ignores_the_token() {
        let f: Segment =
            from_pairs(&pairs("_csrf=t&name=Key+accounts&description=a%26b"), "invalid form field").unwrap();
        assert_eq!((f.name.as_str(), f.description.as_str()), ("Key accounts", "a&b"));
        let f: Segment = from_pairs(&pairs("_csrf=t&name="), "invalid form field").unwrap();
        assert_eq!(f.name, "", "an empty field is a missing one");
    }

    #[test]
    fn a_field_sent_twice_is_refused_by_name() {
        let e = from_pairs::<Segment>(&pairs("name=a&name=b"), "invalid form field").unwrap_err();
        assert_eq!(e.field(), Some("name"), "{e}");
        assert!(e.public_message().starts_with("invalid form field: duplicate field"), "{}", e.public_message());
    }

    #[test]
    fn untyped_forms_keep_every_value_and_a_nul_is_refused_by_field() {
        let f: FormData = from_pairs(&pairs("scope=read&scope=write&q0_text=Why%3F"), "invalid form field").unwrap();
        assert_eq!(f.0["scope"], ["read", "write"]);
        assert_eq!(f.get("q0_text"), "Why?");
        assert_eq!(f.get("absent"), "");
        let _: NoFields = from_pairs(&pairs("_csrf=t&anything=else"), "invalid form field").unwrap();
        let e = form_pairs(b"name=a%00b").unwrap_err();
        assert_eq!(e.field(), Some("name"));
    }
}
