//! The kernel: what every feature hangs off (surveys, responses and
//! ingest, customers, segments, reports). Features may use it; it never
//! uses a feature. Being gathered here from `api/` and `web/` (issue 11).

pub mod customer_import;
pub mod customers;
pub mod ingest;
pub mod invite;
pub mod report;
pub mod segments;
pub mod surveys;
pub mod textwork;
pub mod themes_report;
