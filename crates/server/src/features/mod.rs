//! Features: each capability in its own folder, with its service (the
//! rules, transport-free), its API handlers, its pages and its routes and
//! navigation entry. Features build on the kernel (surveys, responses and
//! ingest, customers, segments, reports) and the platform (errors, auth and
//! policy, extractors, jobs, mail, UI components); they never import each
//! other. ARCHITECTURE.md has the recipe for adding one.

use crate::state::AppState;
use axum::Router;

pub mod feedback;
pub mod integrations;
pub mod invitations;
pub mod personas;
pub mod privacy;

/// Every feature, in the order its navigation entry and routes are taken:
/// the one line a new feature adds here (with its `pub mod`).
pub const ALL: &[Feature] =
    &[personas::FEATURE, integrations::FEATURE, invitations::FEATURE, privacy::FEATURE, feedback::FEATURE];

/// What a feature gives the application: the router merges its `routes`,
/// the staff navigation shows its `nav`, and the OpenAPI document is the
/// kernel's merged with every feature's `openapi` part, whose paths must be
/// exactly its `api_paths` (tests in `api::openapi`).
pub struct Feature {
    pub name: &'static str,
    /// Every route of the feature, API and pages.
    pub routes: fn() -> Router<AppState>,
    pub nav: Option<Nav>,
    /// The documented paths it routes (each a constant its handlers' routes use).
    pub api_paths: &'static [&'static str],
    /// Its part of the OpenAPI document (`openapi.json` in its folder): its
    /// paths, and the schemas only they use.
    pub openapi: &'static str,
}

/// An entry in the staff navigation, placed after the entry at `after`.
pub struct Nav {
    pub href: &'static str,
    pub label: &'static str,
    pub after: &'static str,
}
