//! Platform: what every feature and the kernel hang off, with nothing
//! domain-specific in it. [`error`] maps every failure to HTTP once;
//! [`auth`] owns sessions, tokens, CSRF and the policy extractors; [`json`],
//! [`query`] and [`form`] are the extractors (field paths in every error);
//! [`jobs`] is the worker with its registry; [`mail`], [`crypto`], [`qr`];
//! [`guard`] and [`limits`] protect every route; [`openapi`] merges the
//! served API document.

pub mod auth;
pub mod crypto;
pub mod error;
pub mod form;
pub mod guard;
pub mod jobs;
pub mod json;
pub mod limits;
pub mod mail;
pub mod openapi;
pub mod qr;
pub mod query;
