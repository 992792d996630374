//! Features: each capability in its own folder, with its service (the
//! rules, transport-free), its API handlers, its pages and its routes and
//! navigation entry. Features build on the kernel (surveys, responses and
//! ingest, customers, segments, reports) and the platform (errors, auth and
//! policy, extractors, jobs, mail, UI components); they never import each
//! other. ARCHITECTURE.md has the recipe for adding one.

pub mod feedback;
pub mod integrations;
pub mod invitations;
pub mod personas;
pub mod privacy;
