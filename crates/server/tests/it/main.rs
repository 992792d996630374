//! Integration tests: the real application on port 0 with a fresh SQLite
//! file, driven over HTTP (and, in `browser`, through headless Chromium).

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api;
mod browser;
mod faults;
mod fuzz;
mod helpers;
mod invitations;
mod limits;
mod pages;
mod roles;
mod security;
mod smtp;
mod structure;
