//! iodao-web: the web portal and JSON API, one axum router.
//!
//! Handlers are small translations: an HTTP request becomes a call to a core
//! service and the result becomes HTML (askama templates in the top-level
//! `templates/`, auto-escaped) or JSON (`/api/v1`, described by an OpenAPI
//! document generated from the handlers). This crate never writes SQL and
//! never talks to the chain; no secret (the admin token) reaches a page, a
//! log or an error.
//!
//! Module per domain: [`proposals`] (pages, tally, votes), [`links`],
//! [`epochs`], [`recipients`], [`voters`]; [`api`] gathers the OpenAPI
//! document, [`security`] the headers, admin token and rate limits, and
//! [`cache`] the rendered-page cache that keeps reads cheap.

pub mod api;
mod assets;
pub mod cache;
pub mod epochs;
pub mod error;
pub mod links;
pub mod markdown;
pub mod proposals;
pub mod recipients;
pub mod security;
mod view;
pub mod voters;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use iodao_core::{Allocations, Epochs, Governance, Links};

pub use security::{AdminToken, RateLimit};

use crate::error::{ApiError, Failure, PageError};

/// The portal's settings (from the binary's configuration).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The admin endpoints' bearer token; without one they are disabled.
    pub admin_token: Option<AdminToken>,
    /// A block explorer's transaction URL prefix (`https://iotexscan.io/tx/`).
    pub explorer_tx_url: Option<String>,
    /// Per-IP limit on write endpoints.
    pub rate_limit: RateLimit,
    /// How long a rendered GET response may be served from the cache.
    pub cache_ttl: Duration,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            admin_token: None,
            explorer_tx_url: None,
            rate_limit: RateLimit::default(),
            cache_ttl: Duration::from_secs(1),
            body_limit: 64 * 1024,
        }
    }
}

/// What every handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    governance: Governance,
    links: Links,
    allocations: Allocations,
    epochs: Epochs,
    settings: Settings,
}

impl AppState {
    /// The state over the services of one process.
    pub fn new(
        governance: Governance,
        links: Links,
        allocations: Allocations,
        epochs: Epochs,
        settings: Settings,
    ) -> Self {
        Self(Arc::new(Inner { governance, links, allocations, epochs, settings }))
    }

    /// The governance service.
    pub fn governance(&self) -> &Governance {
        &self.0.governance
    }

    /// The wallet-link service.
    pub fn links(&self) -> &Links {
        &self.0.links
    }

    /// Recipients and allocation votes.
    pub fn allocations(&self) -> &Allocations {
        &self.0.allocations
    }

    /// Epochs.
    pub fn epochs(&self) -> &Epochs {
        &self.0.epochs
    }

    /// The portal's settings.
    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }
}

/// The whole router: pages, `/api/v1`, static assets and `/healthz`.
pub fn router(state: AppState) -> Router {
    let settings = state.settings().clone();
    let cache = cache::PageCache::new(state.governance().store().clone(), 4096, settings.cache_ttl);

    let writes = Router::new()
        .route("/api/v1/votes", post(proposals::api_submit_vote))
        .route("/api/v1/proposals", post(proposals::api_submit_proposal))
        .route("/api/v1/links/verify", post(links::api_verify));
    let writes = security::limit_writes(writes, settings.rate_limit);

    let reads = Router::new()
        .route("/", get(proposals::list_page))
        .route("/proposals", get(proposals::list_page))
        .route("/proposals/{id}", get(proposals::page))
        .route("/epochs", get(epochs::list_page))
        .route("/epochs/{number}", get(epochs::page))
        .route("/epochs/{number}/bundle.json", get(epochs::bundle_download))
        .route("/epochs/{number}/claims.json", get(epochs::claims_download))
        .route("/recipients", get(recipients::page))
        .route("/link/{nonce}", get(links::page))
        .route("/voters/{address}", get(voters::page))
        .route("/static/{file}", get(assets::serve))
        .route("/api/v1/openapi.json", get(api::openapi_json))
        .route("/api/v1/eip712", get(proposals::api_eip712))
        .route("/api/v1/proposals", get(proposals::api_list))
        .route("/api/v1/proposals/{id}", get(proposals::api_get))
        .route("/api/v1/proposals/{id}/tally", get(proposals::api_tally))
        .route("/api/v1/proposals/{id}/votes", get(proposals::api_votes))
        .route("/api/v1/links/{nonce}", get(links::api_get))
        .route("/api/v1/recipients", get(recipients::api_list))
        .route("/api/v1/epochs", get(epochs::api_list))
        .route("/api/v1/epochs/{number}", get(epochs::api_get))
        .route("/api/v1/epochs/{number}/payouts", get(epochs::api_payouts))
        .route("/api/v1/epochs/{number}/bundle", get(epochs::api_bundle))
        .route("/api/v1/epochs/{number}/claims", get(epochs::api_claims))
        .layer(axum::middleware::from_fn_with_state(cache, cache::layer));

    let admin = Router::new()
        .route("/api/v1/links/challenge", post(links::api_challenge))
        .route("/api/v1/recipients", post(recipients::api_add))
        .route("/api/v1/admin/epochs/plan", post(epochs::api_plan));

    let mut app =
        Router::new().merge(reads).merge(writes).merge(admin).route("/healthz", get(healthz)).fallback(fallback);
    for layer in security::headers() {
        app = app.layer(layer);
    }
    app.layer(DefaultBodyLimit::max(settings.body_limit)).with_state(state)
}

/// `ok` once the store answers; 503 with a short reason otherwise.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.governance().store().ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    }
}

/// Unknown paths: JSON under `/api`, a page elsewhere.
async fn fallback(uri: Uri) -> Response {
    let f = Failure::not_found(format!("there is nothing at {}", uri.path()));
    if uri.path().starts_with("/api/") { ApiError(f).into_response() } else { PageError(f).into_response() }
}

/// Serves `app` ([`router`], with any routes merged into it, such as a bot's
/// webhook) on `listener` until `shutdown` resolves. Peers' addresses are
/// kept for the per-IP rate limits.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
