//! Personas.

use crate::Result;
use async_trait::async_trait;
use cxloop_core::ids::{PersonaId, SegmentId};
use serde::Serialize;

/// Personas, each perhaps linked to a segment, with an optional picture.
#[async_trait]
pub trait PersonaStore: Send + Sync {
    /// Creates (id nil) or updates a persona; `Conflict { what: "name" }` on a taken name.
    async fn save_persona(&self, p: &Persona) -> Result<Persona>;
    async fn personas(&self) -> Result<Vec<Persona>>;
    async fn delete_persona(&self, id: PersonaId) -> Result<()>;
    /// Sets (or with `None` removes) a persona's picture: its content type and base64 data.
    async fn set_persona_picture(&self, id: PersonaId, picture: Option<(&str, &str)>) -> Result<()>;
    /// A persona's picture as (content type, base64 data), if it has one.
    async fn persona_picture(&self, id: PersonaId) -> Result<Option<(String, String)>>;
}

/// A persona: who the organisation designs for. Every field is always
/// sent (the schema says so); on input all but `name` may be left out.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Persona {
    #[serde(default)]
    #[schema(required = true)]
    pub id: PersonaId,
    pub name: String,
    #[serde(default)]
    #[schema(required = true)]
    pub description: String,
    /// One goal per line.
    #[serde(default)]
    #[schema(required = true)]
    pub goals: String,
    /// One pain point per line.
    #[serde(default)]
    #[schema(required = true)]
    pub pain_points: String,
    /// Shown as the persona's picture when there is no uploaded one.
    #[serde(default)]
    #[schema(required = true)]
    pub initials: String,
    #[serde(default)]
    #[schema(required = true)]
    pub segment_id: Option<SegmentId>,
    /// An uploaded picture exists (served at `/personas/{id}/picture`).
    /// Set by the store; ignored on input.
    #[serde(default)]
    #[schema(required = true)]
    pub has_picture: bool,
}
