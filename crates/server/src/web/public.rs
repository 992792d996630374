//! The respondent's survey page at `/s/{slug}`: server-rendered, usable
//! without JavaScript, mobile-first, a few kilobytes. Errors re-render the
//! form with what was typed and a summary that links to each question.

use crate::kernel::ingest::{CustomerClaim, Submission, SubmitError, Trust, submit};
use crate::platform::auth::MaybeWebUser;
use crate::platform::crypto::verify_customer;
use crate::platform::error::{AppError, PageError};
use crate::platform::query::PageQuery;
use crate::state::AppState;
use crate::ui::paths;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cxloop_core::answer::AnswerError;
use cxloop_core::{Question, QuestionType, Survey, SurveyStatus};
use cxloop_store::StoreError;
use maud::{Markup, html};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Debug, Default, Deserialize)]
pub struct LinkParams {
    pub c: Option<String>,
    pub sig: Option<String>,
    /// An email invitation's token.
    pub i: Option<String>,
}

/// Form values by question key, as typed.
type Values = HashMap<String, Vec<String>>;

/// A respondent page: the public styles and one centred column.
pub(crate) fn shell(title: &str, body: Markup) -> Markup {
    crate::ui::layout::shell(title, crate::ui::layout::Sheet::Public, html! { main.box { (body) } })
}

fn scale(q: &Question, lo: i32, hi: i32, chosen: Option<&str>, err: bool) -> Markup {
    let name = format!("q.{}", q.key);
    html! {
        div.scale role="presentation" {
            @for v in lo..=hi {
                @let value = v.to_string();
                label {
                    input type="radio" name=(name) value=(value) checked[chosen == Some(value.as_str())]
                        aria-invalid=[err.then_some("true")] aria-describedby=[err.then(|| format!("e-{}", q.key))];
                    span { (v) }
                }
            }
        }
        @if !q.low_label().is_empty() || !q.high_label().is_empty() {
            div.ends aria-hidden="true" { span { (lo) " = " (q.low_label()) } span { (hi) " = " (q.high_label()) } }
        }
    }
}

fn question(q: &Question, values: &Values, error: Option<&AnswerError>) -> Markup {
    let name = format!("q.{}", q.key);
    let given = values.get(&q.key).map(Vec::as_slice).unwrap_or(&[]);
    let first = given.first().map(String::as_str);
    let err = error.is_some();
    html! {
        fieldset #(format!("q-{}", q.key)) class=[err.then_some("has-err")] {
            legend {
                (q.text) " "
                @if q.required { span.opt { "(required)" } } @else { span.opt { "(optional)" } }
            }
            @if let Some(e) = error {
                p.err id=(format!("e-{}", q.key)) { (friendly(e)) }
            }
            @match q.kind {
                QuestionType::Nps | QuestionType::Csat | QuestionType::Ces | QuestionType::Rating => {
                    @let (lo, hi) = q.range().unwrap_or((0, 10));
                    (scale(q, lo, hi, first, err))
                }
                QuestionType::SingleChoice => {
                    @for (i, o) in q.options.iter().enumerate() {
                        @let id = format!("{}-{i}", q.key);
                        div.choice {
                            input type="radio" id=(id) name=(name) value=(o) checked[first == Some(o.as_str())];
                            label for=(id) { (o) }
                        }
                    }
                }
                QuestionType::MultipleChoice => {
                    @for (i, o) in q.options.iter().enumerate() {
                        @let id = format!("{}-{i}", q.key);
                        div.choice {
                            input type="checkbox" id=(id) name=(name) value=(o) checked[given.iter().any(|g| g == o)];
                            label for=(id) { (o) }
                        }
                    }
                }
                QuestionType::Text => {
                    label.opt for=(format!("t-{}", q.key)) { "Your answer" }
                    textarea id=(format!("t-{}", q.key)) name=(name) maxlength="10000"
                        aria-invalid=[err.then_some("true")] aria-describedby=[err.then(|| format!("e-{}", q.key))] { (first.unwrap_or("")) }
                }
            }
        }
    }
}

fn friendly(e: &AnswerError) -> String {
    match e {
        AnswerError::Missing { .. } => "Please answer this question.".into(),
        AnswerError::Invalid { message, .. } => format!("Please check this answer: {message}."),
        other => other.to_string(),
    }
}

fn form_page(
    survey: &Survey,
    link: &LinkParams,
    values: &Values,
    errors: &[AnswerError],
    preview: bool,
    notice: Option<&str>,
) -> Markup {
    let by_key: HashMap<&str, &AnswerError> = errors.iter().filter_map(|e| e.key().map(|k| (k, e))).collect();
    let general: Vec<&AnswerError> = errors.iter().filter(|e| e.key().is_none()).collect();
    let title = if errors.is_empty() { survey.title.clone() } else { format!("Error: {}", survey.title) };
    shell(
        &title,
        html! {
            @if preview {
                p.note { "Preview of a draft survey. It accepts no responses until it is activated." }
            }
            h1 { (survey.title) }
            @if let Some(d) = &survey.description { p.muted { (d) } }
            @if let Some(n) = notice { p.note role="status" { (n) } }
            @if !errors.is_empty() {
                div.summary role="alert" tabindex="-1" #errors {
                    p { strong { "Please fix the following:" } }
                    ul {
                        @for e in errors {
                            @if let Some(k) = e.key() {
                                li { a href=(format!("#q-{k}")) { (survey.question(k).map(|q| q.text.as_str()).unwrap_or(k)) ": " (friendly(e)) } }
                            }
                        }
                        @for e in &general { li { (friendly(e)) } }
                    }
                }
            }
            form method="post" action=(paths::public_survey(&survey.slug)) novalidate {
                @if let (Some(c), Some(sig)) = (&link.c, &link.sig) {
                    input type="hidden" name="c" value=(c);
                    input type="hidden" name="sig" value=(sig);
                }
                @if let Some(i) = &link.i { input type="hidden" name="i" value=(i); }
                @for q in &survey.questions {
                    (question(q, values, by_key.get(q.key.as_str()).copied()))
                }
                button type="submit" { "Send" }
            }
        },
    )
}

async fn load(state: &AppState, slug: &str) -> Result<Survey, PageError> {
    state.store.get_survey_by_slug(slug).await.map_err(|e| match e {
        StoreError::NotFound => PageError(AppError::NotFound("survey")),
        other => other.into(),
    })
}

fn closed_page(survey: &Survey) -> Response {
    (
        StatusCode::GONE,
        shell(
            &survey.title,
            html! {
                h1 { (survey.title) }
                p { "This survey is closed and no longer accepts answers. Thank you for your interest." }
            },
        ),
    )
        .into_response()
}

/// What a link says about the respondent, checked.
enum Checked {
    /// Valid (or no) identity: answer with these parameters.
    Ok(LinkParams),
    /// A changed or unknown invitation: answer anonymously, told why.
    Anonymous(&'static str),
    /// The invitation was answered already.
    Answered,
}

const BAD_INVITATION: &str = "This invitation link is not valid (it may have been changed). You can still answer; your answer will be anonymous.";

/// Keeps a customer link only when its signature is valid, and an
/// invitation only when it belongs to this survey, so that a tampered link
/// is treated as anonymous and never as someone else.
async fn checked_link(
    state: &AppState,
    survey: &Survey,
    link: LinkParams,
) -> Result<(Checked, Option<cxloop_core::ids::InvitationId>), PageError> {
    if let Some(token) = link.i.as_deref().filter(|t| !t.is_empty()) {
        return match crate::kernel::ingest::open_invitation(state, survey, token).await {
            Ok(inv) => Ok((Checked::Ok(LinkParams { i: Some(token.to_string()), ..Default::default() }), Some(inv.id))),
            Err(AppError::Conflict { .. }) => Ok((Checked::Answered, None)),
            Err(AppError::Invalid { .. }) => Ok((Checked::Anonymous(BAD_INVITATION), None)),
            Err(e) => Err(PageError(e)),
        };
    }
    Ok(match (&link.c, &link.sig) {
        (Some(c), Some(sig)) if verify_customer(&state.link_key, &survey.slug, c, sig) => {
            (Checked::Ok(LinkParams { i: None, ..link }), None)
        }
        _ => (Checked::Ok(LinkParams::default()), None),
    })
}

fn answered_page(survey: &Survey) -> Response {
    (
        StatusCode::CONFLICT,
        shell(
            &survey.title,
            html! {
                h1 { (survey.title) }
                p { "You have already answered this survey. Thank you — we read every answer." }
            },
        ),
    )
        .into_response()
}

pub async fn show_survey(
    State(state): State<AppState>,
    MaybeWebUser(staff): MaybeWebUser,
    Path(slug): Path<String>,
    PageQuery(link): PageQuery<LinkParams>,
) -> Result<Response, PageError> {
    let survey = load(&state, &slug).await?;
    match survey.status {
        SurveyStatus::Closed => return Ok(closed_page(&survey)),
        SurveyStatus::Draft if staff.is_none() => {
            return Err(PageError(AppError::NotFound("survey")));
        }
        _ => {}
    }
    let preview = survey.status == SurveyStatus::Draft;
    match checked_link(&state, &survey, link).await? {
        (Checked::Ok(link), invitation) => {
            if let Some(id) = invitation {
                state
                    .store
                    .mark_invitation_opened(id, time::OffsetDateTime::now_utc())
                    .await
                    .map_err(AppError::from)?;
            }
            Ok(form_page(&survey, &link, &Values::new(), &[], preview, None).into_response())
        }
        (Checked::Anonymous(why), _) => {
            Ok(form_page(&survey, &LinkParams::default(), &Values::new(), &[], preview, Some(why)).into_response())
        }
        (Checked::Answered, _) => Ok(answered_page(&survey)),
    }
}

/// Reads an urlencoded form into values per question and the link fields.
fn read_form(body: &[u8]) -> (Values, LinkParams) {
    let mut values = Values::new();
    let mut link = LinkParams::default();
    for (k, v) in form_urlencoded::parse(body) {
        // A link field with a NUL was not made by cxloop: treat it as absent.
        // (A NUL in an answer is refused by the answer check, by question.)
        if v.contains('\0') && !k.starts_with("q.") {
            continue;
        }
        match k.as_ref() {
            "c" => link.c = Some(v.into_owned()),
            "sig" => link.sig = Some(v.into_owned()),
            "i" => link.i = Some(v.into_owned()),
            k => {
                if let Some(key) = k.strip_prefix("q.") {
                    values.entry(key.to_string()).or_default().push(v.into_owned());
                }
            }
        }
    }
    (values, link)
}

fn to_answers(survey: &Survey, values: &Values) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for q in &survey.questions {
        let Some(given) = values.get(&q.key) else {
            continue;
        };
        let v = if q.kind == QuestionType::MultipleChoice {
            serde_json::Value::from(given.clone())
        } else {
            given.first().cloned().map(serde_json::Value::from).unwrap_or(serde_json::Value::Null)
        };
        map.insert(q.key.clone(), v);
    }
    serde_json::Value::Object(map)
}

pub async fn submit_survey(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Response, PageError> {
    let survey = load(&state, &slug).await?;
    let body = body.map_err(|_| PageError(AppError::TooLarge { limit: crate::MAX_BODY_BYTES }))?;
    match survey.status {
        SurveyStatus::Closed => return Ok(closed_page(&survey)),
        SurveyStatus::Draft => return Err(PageError(AppError::NotFound("survey"))),
        SurveyStatus::Active => {}
    }
    let (values, link) = read_form(&body);
    let (link, notice) = match checked_link(&state, &survey, link).await? {
        (Checked::Ok(link), _) => (link, None),
        (Checked::Anonymous(why), _) => (LinkParams::default(), Some(why)),
        (Checked::Answered, _) => return Ok(answered_page(&survey)),
    };
    let sub = Submission {
        answers: to_answers(&survey, &values),
        customer: link.c.clone().map(|external_id| CustomerClaim {
            external_id,
            signature: link.sig.clone(),
            ..Default::default()
        }),
        submitted_at: None,
        channel: if link.i.is_some() { Some("email".into()) } else { Some("link".into()) },
        invitation: link.i.clone(),
    };
    match submit(&state, &survey, &sub, None, Trust::Page, "link").await {
        Ok(_) => Ok(Redirect::to(&paths::public_thanks(&survey.slug)).into_response()),
        Err(SubmitError::Answers(errors)) => {
            Ok((StatusCode::UNPROCESSABLE_ENTITY, form_page(&survey, &link, &values, &errors, false, notice))
                .into_response())
        }
        Err(SubmitError::Other(e)) => Err(PageError(e)),
    }
}

pub async fn thanks(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Markup, PageError> {
    let survey = load(&state, &slug).await?;
    let text = survey.thank_you.clone().unwrap_or_else(|| "Your answers have been received. We read every one.".into());
    Ok(shell(
        "Thank you",
        html! {
            h1 { "Thank you!" }
            p { (text) }
        },
    ))
}
