//! The one path a response takes to disk, whether it comes from the API or
//! the public survey page: check the survey is open, validate every answer,
//! settle who the respondent is, then store it in one transaction. Nothing
//! is written unless all of it is valid.

use crate::platform::crypto::{sha256_hex, verify_customer};
use crate::platform::error::AppError;
use crate::state::AppState;
use cxloop_core::answer::{AnswerError, validate_all};
use cxloop_core::{Survey, SurveyStatus};
use cxloop_store::{CustomerRef, Idempotency, Inserted, Invitation, NewResponse};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Who the respondent says they are.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerClaim {
    pub external_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Link signature; needed when the caller has no API token.
    #[serde(default)]
    pub signature: Option<String>,
}

/// A response as submitted, before validation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    pub answers: serde_json::Value,
    #[serde(default)]
    pub customer: Option<CustomerClaim>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub submitted_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub channel: Option<String>,
    /// The token of an email invitation: the response is its customer's,
    /// carries its context (a ticket, an agent) and marks it answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<String>,
}

/// How much the submitter is trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Holds an API token: may name customers and backdate responses.
    Staff,
    /// Anonymous API caller: a customer claim must carry a valid signature.
    Public,
    /// The public page: a bad signature means "anonymous", never an error.
    Page,
}

/// A rejected submission: all the answer problems, or another error.
#[derive(Debug)]
pub enum SubmitError {
    Answers(Vec<AnswerError>),
    Other(AppError),
}

impl From<AppError> for SubmitError {
    fn from(e: AppError) -> Self {
        SubmitError::Other(e)
    }
}

impl From<SubmitError> for AppError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::Other(e) => e,
            SubmitError::Answers(mut errors) => {
                let first = errors.swap_remove(0);
                AppError::invalid(first.field(), first.to_string())
            }
        }
    }
}

fn check_channel(channel: Option<&str>, default: &str) -> Result<String, AppError> {
    let c = channel.map(str::trim).filter(|c| !c.is_empty()).unwrap_or(default);
    let ok = c.len() <= 32 && c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !ok {
        return Err(AppError::invalid("channel", "channel must be 1–32 characters of a-z, 0-9, _ or -"));
    }
    Ok(c.to_string())
}

fn check_customer(
    state: &AppState,
    survey: &Survey,
    claim: &CustomerClaim,
    trust: Trust,
) -> Result<Option<CustomerRef>, AppError> {
    let id = claim.external_id.trim();
    if id.is_empty() || id.chars().count() > 200 {
        return Err(AppError::invalid("customer.external_id", "external_id must be 1–200 characters"));
    }
    if trust != Trust::Staff {
        let signed =
            claim.signature.as_deref().is_some_and(|sig| verify_customer(&state.link_key, &survey.slug, id, sig));
        if !signed {
            return match trust {
                Trust::Page => Ok(None),
                _ => Err(AppError::Forbidden(
                    "naming a customer needs an API token or a valid link signature (customer.signature)".into(),
                )),
            };
        }
    }
    // The same rules as the customer directory.
    let email = crate::kernel::customers::optional_email("customer.email", claim.email.as_deref())?;
    let name = crate::kernel::customers::optional_name("customer.name", claim.name.as_deref())?;
    // Only staff may set identity details; a signed link proves the id alone.
    let (name, email) = if trust == Trust::Staff { (name, email) } else { (None, None) };
    Ok(Some(CustomerRef { external_id: id.to_string(), name, email, attributes: Default::default() }))
}

/// Validates and stores a response.
pub async fn submit(
    state: &AppState,
    survey: &Survey,
    sub: &Submission,
    idempotency_key: Option<&str>,
    trust: Trust,
    default_channel: &str,
) -> Result<Inserted, SubmitError> {
    if survey.status != SurveyStatus::Active {
        let what = if survey.status == SurveyStatus::Closed { "closed" } else { "not open yet" };
        return Err(AppError::Conflict {
            field: Some("status".into()),
            message: format!("this survey is {what} and accepts no responses"),
        }
        .into());
    }
    let now = OffsetDateTime::now_utc();
    let submitted_at = match sub.submitted_at {
        None => now,
        Some(_) if trust != Trust::Staff => {
            return Err(AppError::Forbidden("submitted_at may only be set with an API token".into()).into());
        }
        Some(t) if t > now + time::Duration::minutes(5) => {
            return Err(AppError::invalid("submitted_at", "submitted_at is in the future").into());
        }
        Some(t) if t.year() < 2000 => {
            return Err(AppError::invalid("submitted_at", "submitted_at is before the year 2000").into());
        }
        Some(t) => t,
    };
    let invitation = match sub.invitation.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(token) => Some(open_invitation(state, survey, token).await?),
        None => None,
    };
    // Only staff name the channel: an anonymous caller choosing it would
    // skew the "by channel" figures.
    if trust == Trust::Public && sub.channel.as_deref().is_some_and(|c| !c.trim().is_empty()) {
        return Err(AppError::Forbidden("channel may only be set with an API token".into()).into());
    }
    let channel = match &invitation {
        Some(_) => check_channel(sub.channel.as_deref(), "email")?,
        None => check_channel(sub.channel.as_deref(), default_channel)?,
    };
    let customer = match (&invitation, &sub.customer) {
        (Some(inv), _) => inv.customer_external_id.as_ref().map(|id| CustomerRef {
            external_id: id.clone(),
            name: None,
            email: None,
            attributes: Default::default(),
        }),
        (None, Some(c)) => check_customer(state, survey, c, trust)?,
        (None, None) => None,
    };
    let context = invitation.as_ref().map(|inv| {
        let mut c = inv.context.clone().unwrap_or_default();
        c.insert("invitation".into(), inv.id.to_string().into());
        c
    });
    let answers = validate_all(survey, &sub.answers).map_err(SubmitError::Answers)?;
    let idem = match idempotency_key {
        Some(k) => {
            let k = k.trim();
            if k.is_empty() || k.len() > 200 {
                return Err(AppError::invalid("Idempotency-Key", "Idempotency-Key must be 1–200 characters").into());
            }
            let canonical = serde_json::to_string(sub).map_err(|e| AppError::Internal(e.to_string()))?;
            Some(Idempotency { key: k.to_string(), request_hash: sha256_hex(&canonical) })
        }
        None => None,
    };
    let record = NewResponse {
        id: cxloop_core::ids::ResponseId::new(),
        survey: survey.clone(),
        customer,
        submitted_at,
        channel,
        answers,
        touchpoint: None,
        context,
    };
    // The invitation is claimed before the answer is stored, so two answers
    // through one link at once cannot both land.
    if let Some(inv) = &invitation
        && !state.store.claim_invitation_answer(inv.id, now).await.map_err(AppError::from)?
    {
        return Err(AppError::Conflict {
            field: Some("invitation".into()),
            message: "this invitation was already answered; thank you".into(),
        }
        .into());
    }
    let inserted = state.store.insert_response(&record, idem.as_ref()).await;
    if let (Some(inv), Err(_)) = (&invitation, &inserted) {
        state.store.release_invitation_answer(inv.id).await.map_err(AppError::from)?;
    }
    let inserted = inserted.map_err(|e| match e {
        cxloop_store::StoreError::Conflict { what: "Idempotency-Key" } => AppError::Conflict {
            field: Some("Idempotency-Key".into()),
            message: "this Idempotency-Key was already used for a different request".into(),
        }
        .into(),
        other => SubmitError::Other(other.into()),
    })?;
    if let (Some(inv), Inserted::Created(r)) = (&invitation, &inserted) {
        state.store.mark_invitation_answered(inv.id, r.id, now).await.map_err(AppError::from)?;
    }
    Ok(inserted)
}

/// The invitation a token names, if it belongs to `survey` and is still
/// open; otherwise an error naming `invitation`.
pub async fn open_invitation(state: &AppState, survey: &Survey, token: &str) -> Result<Invitation, AppError> {
    let invalid = || AppError::invalid("invitation", "this invitation link is not valid; it may have been changed");
    if token.len() > 100 {
        return Err(invalid());
    }
    let inv = state.store.invitation_by_token(token).await.map_err(|e| match e {
        cxloop_store::StoreError::NotFound => invalid(),
        other => other.into(),
    })?;
    if inv.survey_id != survey.id {
        return Err(invalid());
    }
    if inv.status == cxloop_store::InvitationStatus::Answered {
        return Err(AppError::Conflict {
            field: Some("invitation".into()),
            message: "this invitation was already answered; thank you".into(),
        });
    }
    Ok(inv)
}
