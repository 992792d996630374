//! The state every handler shares ([`AppState`]) and how the server is
//! run ([`Config`]).

use cxloop_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;

/// How the server is run.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Base URL used in links shown to staff (survey links, signed links).
    pub public_url: Option<String>,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// How long a claimed background job is leased to this process.
    pub job_lease: std::time::Duration,
    /// Outgoing mail: `smtp://host:port`, `smtps://user:pass@host`, … (none: no invitations).
    pub smtp_url: Option<String>,
    /// The sender of invitations, e.g. `Acme feedback <feedback@acme.example>`.
    pub mail_from: String,
    /// Nobody is asked again within this many days, across all surveys.
    pub contact_frequency_days: u32,
    /// Unauthenticated posts (survey answers, widget, webhooks) one client
    /// address may make per minute.
    pub public_rate_limit: u32,
    /// The window every rate limit counts in (a minute; shorter in tests).
    pub rate_window: std::time::Duration,
}

impl Config {
    /// Defaults for a server listening on `listen`.
    pub fn new(listen: SocketAddr) -> Config {
        Config {
            listen,
            public_url: None,
            secure_cookies: false,
            job_lease: std::time::Duration::from_secs(300),
            smtp_url: None,
            mail_from: "cxloop <cxloop@localhost>".into(),
            contact_frequency_days: 30,
            public_rate_limit: 120,
            rate_window: std::time::Duration::from_secs(60),
        }
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Key for signed customer links; one per installation, kept in the database.
    pub link_key: Arc<[u8]>,
    pub config: Arc<Config>,
    pub base_url: Arc<str>,
    /// Email delivery, when `smtp_url` is set.
    pub delivery: Option<Arc<crate::kernel::invite::Delivery>>,
    /// Login, public-post and hashing limits of this process.
    pub limits: Arc<crate::platform::limits::Limits>,
}
