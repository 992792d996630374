//! cxloop-server: the HTTP application.
//!
//! [`Application::build`] binds the listener (port 0 in tests) and assembles
//! the router: the platform's layers ([`platform`]), the kernel's API
//! ([`api`]) and pages ([`web`]), and one line per feature
//! ([`features::ALL`]). The kernel's rules live in [`kernel`], the page
//! shell and components in [`ui`], the shared state in [`state`].

pub mod api;
pub mod features;
pub mod kernel;
#[cfg(test)]
mod openapi_check;
pub mod platform;
pub mod state;
pub mod ui;
pub mod web;

pub use state::{AppState, Config};

use axum::Router;
use cxloop_store::Store;
use platform::{crypto, guard, jobs, limits, mail};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

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
            job_registry(self.delivery.clone()),
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

/// The registry of a `serve` process: one line per job kind and sweeper.
/// Invitation delivery is registered only when mail is configured.
pub fn job_registry(delivery: Option<Arc<crate::kernel::invite::Delivery>>) -> jobs::Registry {
    let mut r = jobs::Registry::default().job(jobs::Probe).job(crate::kernel::textwork::Retag);
    if let Some(d) = delivery {
        r = r.sweeper(crate::kernel::invite::DeliverInvitations(d));
    }
    r.sweeper(crate::kernel::textwork::AnalysePending::default())
        .sweeper(crate::kernel::segments::RefreshMembers)
        .sweeper(crate::platform::auth::PurgeSessions)
}

/// The kernel's part of the OpenAPI document: its paths, the shared
/// schemas, parameters and responses.
pub const KERNEL_OPENAPI: &str = include_str!("api/openapi.json");

/// The served OpenAPI document: the kernel's part merged with every
/// feature's, once (the parts are compiled in and the tests merge them, so
/// the error is for a build that skipped them).
static OPENAPI: std::sync::LazyLock<Result<String, String>> = std::sync::LazyLock::new(|| {
    let parts: Vec<(&str, &str)> = features::ALL.iter().map(|f| (f.name, f.openapi)).collect();
    let mut doc = platform::openapi::merge(KERNEL_OPENAPI, &parts)?;
    platform::openapi::add_generated(&mut doc, generated_schemas(), WRITTEN_SCHEMAS)?;
    serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())
});

/// Schemas the document keeps as written although the code generates them
/// too: they are request bodies as well (their patterns and bounds are what
/// the handlers check), and `openapi_check` holds each to its type.
const WRITTEN_SCHEMAS: &[&str] = &["Response", "Error", "Persona", "Measure"];

/// The answer schemas generated from the code (utoipa): these types are
/// described only by their `ToSchema` derive, and the document refers to
/// them by name.
fn generated_schemas() -> Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)> {
    use platform::openapi::generate;
    let mut out = Vec::new();
    generate::<api::customers::CustomerList>(&mut out);
    generate::<api::customers::CustomerDetail>(&mut out);
    generate::<cxloop_store::Customer>(&mut out);
    generate::<api::customers::SegmentList>(&mut out);
    generate::<api::customers::SegmentDetail>(&mut out);
    generate::<api::customers::SegmentPreview>(&mut out);
    generate::<api::customers::Upserted>(&mut out);
    generate::<api::customers::EventCreated>(&mut out);
    generate::<api::text::TaxonomyAnswer>(&mut out);
    generate::<api::text::TaxonomySaved>(&mut out);
    generate::<api::text::EmergingAnswer>(&mut out);
    generate::<api::text::CommentPage>(&mut out);
    generate::<features::privacy::service::CustomerData>(&mut out);
    generate::<features::privacy::api::Erased>(&mut out);
    generate::<features::privacy::api::AuditLog>(&mut out);
    generate::<features::integrations::hooks::HookView>(&mut out);
    generate::<features::integrations::hooks::HookList>(&mut out);
    generate::<features::integrations::hooks::EventOutcome>(&mut out);
    generate::<kernel::invite::InviteReport>(&mut out);
    generate::<features::invitations::api::InvitationList>(&mut out);
    generate::<features::invitations::api::Bounced>(&mut out);
    generate::<api::Health>(&mut out);
    generate::<api::responses::MetricsAnswer>(&mut out);
    generate::<api::responses::Comparison>(&mut out);
    generate::<api::customers::AttributeList>(&mut out);
    generate::<api::customers::CustomerImport>(&mut out);
    generate::<features::feedback::api::FeedbackImport>(&mut out);
    generate::<features::integrations::widget::WidgetSettings>(&mut out);
    generate::<features::integrations::widget::WidgetConfig>(&mut out);
    generate::<features::integrations::widget::WidgetStored>(&mut out);
    generate::<features::personas::api::PersonaCards>(&mut out);
    out
}

/// The merged OpenAPI document's text, served at `/api/openapi.json`.
pub fn openapi_document() -> Result<&'static str, platform::error::AppError> {
    OPENAPI.as_deref().map_err(|e| platform::error::AppError::Internal(format!("the OpenAPI document: {e}")))
}

async fn openapi_json() -> Result<impl axum::response::IntoResponse, platform::error::AppError> {
    Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], openapi_document()?))
}

/// The full router with its middleware.
pub fn router(state: AppState) -> Router {
    use axum::http::{HeaderName, HeaderValue, header};
    let hsts = state.config.secure_cookies;
    use tower_http::set_header::SetResponseHeaderLayer;
    let app = features::ALL
        .iter()
        .fold(Router::new().merge(api::routes()).merge(web::routes()), |app, f| app.merge((f.routes)()))
        .route(api::OPENAPI, axum::routing::get(openapi_json));
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
