//! The integrations' rules, transport-free: checking, saving and deleting
//! webhooks; checking and saving a survey's widget (its origins
//! normalised). The API (`hooks`, `widget`) and the Channels page call
//! these and nothing else writes.

use crate::platform::error::AppError;
use cxloop_core::Survey;
use cxloop_store::{ChannelStore, Hook, StoreError, SurveyStore, Widget};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HookRequest {
    pub name: String,
    /// Event name → survey id.
    pub events: BTreeMap<String, String>,
}

/// Checks a hook definition; every survey must exist.
pub async fn check_hook(surveys: &dyn SurveyStore, req: &HookRequest) -> Result<Hook, AppError> {
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "name must be 1–100 characters"));
    }
    if req.events.is_empty() {
        return Err(AppError::invalid("events", "map at least one event to a survey"));
    }
    let mut events = BTreeMap::new();
    for (event, survey) in &req.events {
        let field = format!("events.{event}");
        let ok = !event.is_empty()
            && event.len() <= 64
            && event.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-:".contains(&b));
        if !ok {
            return Err(AppError::invalid(field, "event names are 1–64 characters of letters, digits and . _ - :"));
        }
        let id = survey
            .trim()
            .parse::<cxloop_core::ids::SurveyId>()
            .map_err(|_| AppError::invalid(field.clone(), "is not a survey id"))?;
        surveys.get_survey(id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::invalid(field.clone(), "there is no such survey"),
            other => other.into(),
        })?;
        events.insert(event.clone(), id);
    }
    Ok(Hook {
        id: cxloop_core::ids::HookId::new(),
        name: name.to_string(),
        secret: crate::platform::crypto::new_token(),
        events,
        created_at: time::OffsetDateTime::now_utc(),
    })
}

/// Saves a hook, naming a taken name as a conflict.
pub async fn save_hook(store: &dyn ChannelStore, hook: &Hook) -> Result<(), AppError> {
    store.create_hook(hook).await.map_err(|e| match e {
        StoreError::Conflict { .. } => {
            AppError::Conflict { field: Some("name".into()), message: format!("a hook named {:?} exists", hook.name) }
        }
        other => other.into(),
    })
}

/// A hook by the id a path gives (malformed or unknown: 404).
pub async fn find_hook(store: &dyn ChannelStore, id: &str) -> Result<Hook, AppError> {
    store.hook(hook_id(id)?).await.map_err(hook_not_found)
}

/// Deletes a hook: its URL refuses events from then on.
pub async fn delete_hook(store: &dyn ChannelStore, id: &str) -> Result<(), AppError> {
    store.delete_hook(hook_id(id)?).await.map_err(hook_not_found)
}

fn hook_id(id: &str) -> Result<cxloop_core::ids::HookId, AppError> {
    id.parse().map_err(|_| AppError::NotFound("hook"))
}

fn hook_not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("hook"),
        other => other.into(),
    }
}

/// `scheme://host[:port]`, lowercased; anything else (a path, a query, no
/// scheme, an empty label, a malformed IPv6 literal, a port beyond 65535) is
/// refused. The host is a dotted name of a-z, 0-9 and `-`, or `[v6]`.
pub fn normalise_origin(s: &str) -> Option<String> {
    let s = s.trim().trim_end_matches('/').to_ascii_lowercase();
    let (scheme, rest) = s.split_once("://")?;
    if !(scheme == "https" || scheme == "http") {
        return None;
    }
    let (host_ok, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (inside, after) = v6.split_once(']')?;
        let ok = inside.parse::<std::net::Ipv6Addr>().is_ok();
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (ok, port)
    } else {
        let (host, port) = match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        let label = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        (host.len() <= 253 && host.split('.').all(label), port)
    };
    let port_ok = port.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n))
    });
    (host_ok && port_ok).then_some(s)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WidgetRequest {
    pub origins: Vec<String>,
    #[serde(default)]
    pub every_days: Option<u32>,
}

/// Checks a widget definition; errors name the origin at fault.
pub fn check_widget(survey: &Survey, req: &WidgetRequest) -> Result<Widget, AppError> {
    if survey.headline_question().is_none() {
        return Err(AppError::invalid("survey", "the widget needs a survey with an NPS, CSAT, CES or rating question"));
    }
    if req.origins.len() > 50 {
        return Err(AppError::invalid("origins", "at most 50 origins"));
    }
    let mut origins = Vec::new();
    for (i, o) in req.origins.iter().enumerate() {
        let n = normalise_origin(o).ok_or_else(|| {
            AppError::invalid(format!("origins[{i}]"), format!("{o:?} is not an origin like https://www.example.com"))
        })?;
        if !origins.contains(&n) {
            origins.push(n);
        }
    }
    let every_days = req.every_days.unwrap_or(30);
    if every_days > 365 {
        return Err(AppError::invalid("every_days", "every_days must be 0–365"));
    }
    Ok(Widget { survey_id: survey.id, origins, every_days })
}

/// Checks and stores a survey's widget settings.
pub async fn save_widget(store: &dyn ChannelStore, survey: &Survey, req: &WidgetRequest) -> Result<Widget, AppError> {
    let w = check_widget(survey, req)?;
    store.put_widget(&w).await?;
    Ok(w)
}
