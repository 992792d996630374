//! The personas service: the rules behind the API and the pages. A
//! persona is checked and saved here, and only here; its card's live
//! figures are computed here. Transport-free: it takes the state and plain
//! values and answers typed results or an `AppError`.

use crate::platform::error::AppError;
use crate::state::AppState;
use cxloop_store::{Persona, PersonaStore, SegmentStore, StoreError};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Kpi {
    pub survey_id: cxloop_core::ids::SurveyId,
    pub survey: String,
    pub measure: cxloop_core::metrics::MeasureWithChange,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonaCard {
    #[serde(flatten)]
    pub persona: Persona,
    pub segment: Option<CardSegment>,
    pub kpis: Vec<Kpi>,
    pub top_themes: Vec<TopTheme>,
}

/// The segment a persona stands for, with its size now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CardSegment {
    pub id: cxloop_core::ids::SegmentId,
    pub name: String,
    pub customers: u64,
}

/// A theme the persona's customers mention, by the number of mentions.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TopTheme {
    pub key: String,
    pub name: String,
    pub mentions: u64,
}

/// Validates a persona's fields; errors name the field.
pub fn check(p: &mut Persona) -> Result<(), AppError> {
    p.name = p.name.trim().to_string();
    if p.name.is_empty() || p.name.chars().count() > 100 {
        return Err(AppError::invalid("name", "name must be 1–100 characters"));
    }
    for (field, v, max) in
        [("description", &p.description, 2000), ("goals", &p.goals, 2000), ("pain_points", &p.pain_points, 2000)]
    {
        if v.chars().count() > max {
            return Err(AppError::invalid(field, format!("{field} is longer than {max} characters")));
        }
    }
    p.initials = p.initials.trim().to_uppercase();
    if p.initials.is_empty() {
        p.initials =
            p.name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect::<String>().to_uppercase();
    }
    if p.initials.chars().count() > 3 {
        return Err(AppError::invalid("initials", "initials are at most 3 characters"));
    }
    Ok(())
}

/// Every persona with its live figures.
pub async fn cards(state: &AppState) -> Result<Vec<PersonaCard>, AppError> {
    let personas = state.store.personas().await?;
    let segments = state.store.segments().await?;
    let (version, tax) = crate::kernel::textwork::current_taxonomy(state.store.as_ref()).await?;
    let surveys: Vec<_> = state
        .store
        .list_surveys()
        .await?
        .into_iter()
        .filter(|s| s.survey.status != cxloop_core::SurveyStatus::Draft && s.survey.headline_question().is_some())
        .collect();
    let (range, interval) = crate::kernel::report::RangeQuery::default().resolve()?;
    let mut out = Vec::new();
    for p in personas {
        let seg = p.segment_id.and_then(|id| segments.iter().find(|s| s.id == id));
        let (mut kpis, mut top_themes, mut segment) = (Vec::new(), Vec::new(), None);
        if let Some(seg) = seg {
            let sid = seg.id.to_string();
            if let Some((_, members)) = crate::kernel::segments::resolve_segment(state, None, Some(&sid)).await? {
                segment = Some(CardSegment { id: seg.id, name: seg.name.clone(), customers: members.len() as u64 });
                for s in &surveys {
                    let m =
                        crate::kernel::report::survey_metrics_for(state, &s.survey, range, interval, Some(&members))
                            .await?;
                    if let Some(first) = m.questions.first().and_then(|q| q.measures.first()) {
                        kpis.push(Kpi {
                            survey_id: s.survey.id,
                            survey: s.survey.title.clone(),
                            measure: first.clone(),
                        });
                    }
                }
                // The segment's kept theme counts; its members' tags while they are not kept.
                let theme_counts = match state.store.segment_theme_counts(seg.id, version.version).await? {
                    Some(counts) => counts,
                    None => {
                        let members: Vec<_> = members.ids.into_iter().collect();
                        state.store.theme_counts_of(version.version, &members).await?
                    }
                };
                let mut list: Vec<(&str, u64)> = theme_counts
                    .iter()
                    .filter(|(theme, _)| tax.themes.iter().any(|t| &t.key == theme && t.parent.is_some()))
                    .map(|(theme, n)| (theme.as_str(), *n))
                    .collect();
                list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                top_themes = list
                    .into_iter()
                    .filter(|(_, n)| *n > 0)
                    .take(5)
                    .map(|(k, n)| TopTheme {
                        name: tax.themes.iter().find(|t| t.key == k).map_or(k, |t| t.name.as_str()).to_string(),
                        key: k.to_string(),
                        mentions: n,
                    })
                    .collect();
            }
        }
        out.push(PersonaCard { persona: p, segment, kpis, top_themes });
    }
    Ok(out)
}

/// Checks and stores a persona (new when its id is nil): the one path the
/// API and the persona pages both take, so a bad segment is a 422 on each.
pub async fn save<S: PersonaStore + SegmentStore + ?Sized>(store: &S, mut p: Persona) -> Result<Persona, AppError> {
    check(&mut p)?;
    if let Some(id) = p.segment_id
        && store.segment(id).await.is_err()
    {
        return Err(AppError::invalid("segment_id", "there is no such segment"));
    }
    store.save_persona(&p).await.map_err(|e| match e {
        StoreError::Conflict { .. } => {
            AppError::Conflict { field: Some("name".into()), message: format!("a persona named {:?} exists", p.name) }
        }
        StoreError::NotFound => AppError::NotFound("persona"),
        other => other.into(),
    })
}

/// Largest persona picture accepted.
pub const MAX_PICTURE: usize = 200 * 1024;

/// The content type of an uploaded picture, told by its first bytes (never
/// by what the uploader claims): PNG, JPEG, GIF or WebP. SVG is refused, as
/// it can carry script.
pub fn picture_type(bytes: &[u8]) -> Result<&'static str, AppError> {
    if bytes.is_empty() {
        return Err(AppError::invalid("picture", "the picture is empty"));
    }
    if bytes.len() > MAX_PICTURE {
        return Err(AppError::invalid("picture", "the picture is larger than 200 KB"));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Ok("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Ok("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else {
        Err(AppError::invalid("picture", "the picture must be a PNG, JPEG, GIF or WebP image"))
    }
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("persona"),
        other => other.into(),
    }
}

/// One persona by its id (as given in a path).
pub async fn find(store: &dyn PersonaStore, id: &str) -> Result<Persona, AppError> {
    let id: cxloop_core::ids::PersonaId = id.parse().map_err(|_| AppError::NotFound("persona"))?;
    store.personas().await?.into_iter().find(|p| p.id == id).ok_or(AppError::NotFound("persona"))
}

/// Deletes a persona; its segment and customers stay.
pub async fn delete(store: &dyn PersonaStore, id: cxloop_core::ids::PersonaId) -> Result<(), AppError> {
    store.delete_persona(id).await.map_err(not_found)
}

/// Takes the persona's picture away (its initials show again).
pub async fn remove_picture(store: &dyn PersonaStore, id: cxloop_core::ids::PersonaId) -> Result<(), AppError> {
    store.set_persona_picture(id, None).await.map_err(not_found)
}

/// The persona's picture: its checked content type and its bytes.
pub async fn picture(store: &dyn PersonaStore, id: cxloop_core::ids::PersonaId) -> Result<(String, Vec<u8>), AppError> {
    use base64::Engine;
    let (kind, data) = store.persona_picture(id).await.map_err(not_found)?.ok_or(AppError::NotFound("picture"))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| AppError::Internal(format!("picture: {e}")))?;
    Ok((kind, bytes))
}

/// Stores `bytes` as the persona's picture after checking what it is.
pub async fn store_picture(
    store: &dyn PersonaStore,
    id: cxloop_core::ids::PersonaId,
    bytes: &[u8],
) -> Result<(), AppError> {
    use base64::Engine;
    let kind = picture_type(bytes)?;
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    store.set_persona_picture(id, Some((kind, &data))).await.map_err(not_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_recognised_by_their_first_bytes() {
        assert_eq!(picture_type(b"\x89PNG\r\n\x1a\n....").unwrap(), "image/png");
        assert_eq!(picture_type(&[0xff, 0xd8, 0xff, 0xe0, 0, 0]).unwrap(), "image/jpeg");
        assert_eq!(picture_type(b"GIF89a....").unwrap(), "image/gif");
        assert_eq!(picture_type(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), "image/webp");
        for bad in [&b"<svg onload=alert(1)>"[..], b"", b"RIFF1234WAVEfmt "] {
            assert_eq!(picture_type(bad).unwrap_err().field(), Some("picture"));
        }
        assert!(picture_type(&vec![0xff; MAX_PICTURE + 1]).is_err());
    }
}
