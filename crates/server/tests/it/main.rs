//! Integration tests: the real application on port 0 with a fresh SQLite
//! file, driven over HTTP (and, in `browser`, through headless Chromium).

mod api;
mod browser;
mod helpers;
mod pages;
