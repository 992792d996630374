//! cxloop-server: the HTTP application.
//!
//! [`Application::build`] binds the listener (port 0 in tests) and assembles
//! the router: the JSON API under `/api/v1` ([`api`]), public survey pages
//! under `/s/` and the staff pages ([`web`]). Shared concerns live beside
//! them: [`error`] maps every failure to HTTP once, [`auth`] owns sessions,
//! tokens and CSRF, [`ingest`] is the single path a response takes to disk,
//! and [`report`] turns stored counts into metrics.

pub mod api;
pub mod auth;
pub mod crypto;
pub mod error;
pub mod features;
pub mod guard;
pub mod jobs;
pub mod json;
pub mod kernel;
pub mod limits;
pub mod mail;
pub mod qr;
pub mod query;
pub mod web;

use axum::Router;
use cxloop_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

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
    pub delivery: Option<Arc<kernel::invite::Delivery>>,
    /// Login, public-post and hashing limits of this process.
    pub limits: Arc<limits::Limits>,
}

/// The application, bound to its port but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    store: Arc<dyn Store>,
    job_lease: std::time::Duration,
    worker: String,
    delivery: Option<Arc<kernel::invite::Delivery>>,
}

impl Application {
    /// Binds `config.listen` and builds the router over `store`.
    pub async fn build(store: Arc<dyn Store>, config: Config) -> anyhow_free::Result<Application> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let fresh = crypto::hex(&crypto::random_bytes::<32>());
        let key = store.setting_or_init("link_signing_key", &fresh).await?;
        let base_url: Arc<str> =
            config.public_url.clone().unwrap_or_else(|| format!("http://{addr}")).trim_end_matches('/').into();
        let delivery = match &config.smtp_url {
            Some(url) => {
                let mailer = mail::Mailer::new(url, &config.mail_from).map_err(anyhow_free::StartError::Config)?;
                Some(Arc::new(kernel::invite::Delivery { mailer, base_url: base_url.to_string() }))
            }
            None => None,
        };
        let state = AppState {
            limits: Arc::new(limits::Limits::new(config.public_rate_limit, config.rate_window)),
            store: store.clone(),
            link_key: key.into_bytes().into(),
            config: Arc::new(config),
            base_url,
            delivery: delivery.clone(),
        };
        let job_lease = state.config.job_lease;
        Ok(Application { listener, router: router(state), addr, store, job_lease, worker: jobs::worker_id(), delivery })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// This process's background-job worker name.
    pub fn worker(&self) -> &str {
        &self.worker
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // The worker runs the queued jobs and the sweepers (invitations,
        // comment analysis, the hourly purge of expired sessions).
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(jobs::run_worker(
            self.store.clone(),
            jobs::registry(self.delivery.clone()),
            self.worker.clone(),
            self.job_lease,
            stopped,
        ));
        let app = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await;
        // Let the worker finish the job in hand; it was leased, so nothing is lost if we are killed.
        let _ = stop.send(true);
        let _ = worker.await;
        served
    }
}

/// The full router with its middleware.
pub fn router(state: AppState) -> Router {
    use axum::http::{HeaderName, HeaderValue, header};
    let hsts = state.config.secure_cookies;
    use tower_http::set_header::SetResponseHeaderLayer;
    let app = features::ALL
        .iter()
        .fold(Router::new().merge(api::routes()).merge(web::routes()), |app, f| app.merge((f.routes)()));
    app.fallback(api::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), guard::limit_public))
        .layer(axum::middleware::from_fn(guard::refuse_nul))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        // Staff pages and API answers carry personal data: no cache keeps
        // them. Assets and the widget script set their own caching.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(
                "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            // Only when served over HTTPS (secure cookies); on plain HTTP the header is meaningless.
            hsts.then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains")),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
            ),
        ))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(guard::panicked))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// Start-up failures, without pulling `anyhow` into the library.
pub mod anyhow_free {
    #[derive(Debug, thiserror::Error)]
    pub enum StartError {
        #[error("cannot listen: {0}")]
        Io(#[from] std::io::Error),
        #[error("{0}")]
        Store(#[from] cxloop_store::StoreError),
        #[error("{0}")]
        Config(String),
    }
    pub type Result<T> = std::result::Result<T, StartError>;
}
