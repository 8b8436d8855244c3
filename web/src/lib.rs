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
pub mod request_id;
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

pub use security::{AdminToken, AdminTokenError, RateLimit, TrustedProxies};

use crate::error::{ApiError, Failure, PageError};

/// The portal's settings (from the binary's configuration).
#[derive(Clone, Debug)]
pub struct Settings {
    /// The admin endpoints' bearer token; without one they are disabled.
    pub admin_token: Option<AdminToken>,
    /// A block explorer's transaction URL prefix (`https://iotexscan.io/tx/`).
    pub explorer_tx_url: Option<String>,
    /// Per-client limit on write endpoints, and (a budget of its own) on
    /// admin endpoints.
    pub rate_limit: RateLimit,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: TrustedProxies,
    /// How often idle clients' rate-limit state is dropped.
    pub prune_every: Duration,
    /// How long a rendered GET response may be served from the cache.
    pub cache_ttl: Duration,
    /// The most the page cache holds, in bytes.
    pub cache_bytes: u64,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            admin_token: None,
            explorer_tx_url: None,
            rate_limit: RateLimit::default(),
            trusted_proxies: TrustedProxies::default(),
            prune_every: Duration::from_secs(60),
            cache_ttl: Duration::from_secs(1),
            cache_bytes: 64 << 20,
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
    cache: cache::PageCache,
    write_limits: Arc<security::Limiter>,
    admin_limits: Arc<security::Limiter>,
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
        let cache = cache::PageCache::new(governance.store().clone(), settings.cache_bytes, settings.cache_ttl);
        let limiter = || Arc::new(security::Limiter::new(settings.rate_limit, settings.trusted_proxies.clone()));
        let (write_limits, admin_limits) = (limiter(), limiter());
        Self(Arc::new(Inner { governance, links, allocations, epochs, settings, cache, write_limits, admin_limits }))
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

    /// The rendered-page cache.
    pub fn page_cache(&self) -> &cache::PageCache {
        &self.0.cache
    }

    /// How many clients the rate limiters (writes, admin) hold state for.
    pub fn rate_limited_clients(&self) -> (usize, usize) {
        (self.0.write_limits.clients(), self.0.admin_limits.clients())
    }
}

/// The query parameters each cached route reads (the rest never reach
/// the handler or the cache key).
const NONE: &[&str] = &[];
const LIST: &[&str] = &["state", "page"];
const DETAIL: &[&str] = &["voters"];
const API_LIST: &[&str] = &["state", "limit", "offset"];
const API_PAGE: &[&str] = &["limit", "offset"];

/// The whole router: pages, `/api/v1`, static assets and `/healthz`.
pub fn router(state: AppState) -> Router {
    let settings = state.settings().clone();
    let cache = state.page_cache().clone();
    let cached =
        |params: &'static [&'static str]| axum::middleware::from_fn_with_state(cache.route(params), cache::layer);
    security::prune_periodically(&[&state.0.write_limits, &state.0.admin_limits], settings.prune_every);

    let writes = Router::new()
        .route("/api/v1/votes", post(proposals::api_submit_vote))
        .route("/api/v1/proposals", post(proposals::api_submit_proposal))
        .route("/api/v1/links/verify", post(links::api_verify))
        .route_layer(axum::middleware::from_fn_with_state(state.0.write_limits.clone(), security::limit));

    let reads = Router::new()
        .route("/", get(proposals::list_page).layer(cached(LIST)))
        .route("/proposals", get(proposals::list_page).layer(cached(LIST)))
        .route("/proposals/{id}", get(proposals::page).layer(cached(DETAIL)))
        .route("/epochs", get(epochs::list_page).layer(cached(NONE)))
        .route("/epochs/{number}", get(epochs::page).layer(cached(NONE)))
        .route("/recipients", get(recipients::page).layer(cached(NONE)))
        .route("/link/{nonce}", get(links::page).layer(cached(NONE)))
        .route("/voters/{address}", get(voters::page).layer(cached(NONE)))
        .route("/static/{file}", get(assets::serve).layer(cached(NONE)))
        .route("/api/v1/openapi.json", get(api::openapi_json).layer(cached(NONE)))
        .route("/api/v1/eip712", get(proposals::api_eip712).layer(cached(NONE)))
        .route("/api/v1/proposals", get(proposals::api_list).layer(cached(API_LIST)))
        .route("/api/v1/proposals/{id}", get(proposals::api_get).layer(cached(NONE)))
        .route("/api/v1/proposals/{id}/tally", get(proposals::api_tally).layer(cached(NONE)))
        .route("/api/v1/proposals/{id}/votes", get(proposals::api_votes).layer(cached(API_PAGE)))
        .route("/api/v1/links/{nonce}", get(links::api_get).layer(cached(NONE)))
        .route("/api/v1/recipients", get(recipients::api_list).layer(cached(NONE)))
        .route("/api/v1/epochs", get(epochs::api_list).layer(cached(NONE)))
        .route("/api/v1/epochs/{number}", get(epochs::api_get).layer(cached(NONE)))
        .route("/api/v1/epochs/{number}/payouts", get(epochs::api_payouts).layer(cached(NONE)));

    // Exports are served from their stored bytes, streamed: no page cache.
    let exports = Router::new()
        .route("/epochs/{number}/bundle.json", get(epochs::bundle_download))
        .route("/epochs/{number}/claims.json", get(epochs::claims_download))
        .route("/api/v1/epochs/{number}/bundle", get(epochs::api_bundle))
        .route("/api/v1/epochs/{number}/claims", get(epochs::api_claims));

    let admin = Router::new()
        .route("/api/v1/links/challenge", post(links::api_challenge))
        .route("/api/v1/recipients", post(recipients::api_add))
        .route("/api/v1/admin/epochs/plan", post(epochs::api_plan))
        .route_layer(axum::middleware::from_fn_with_state(state.0.admin_limits.clone(), security::limit));

    let mut app = Router::new()
        .merge(reads)
        .merge(exports)
        .merge(writes)
        .merge(admin)
        .route("/healthz", get(healthz))
        .fallback(fallback);
    for layer in security::headers() {
        app = app.layer(layer);
    }
    request_id::apply(app.layer(DefaultBodyLimit::max(settings.body_limit))).with_state(state)
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
    let f = Failure::not_found(format!("there is nothing at {}", iodao_core::Quoted(uri.path())));
    if uri.path().starts_with("/api/") { ApiError(f).into_response() } else { PageError(f).into_response() }
}

/// Serves `app` ([`router`], with any routes merged into it, such as a bot's
/// webhook) on `listener` until `shutdown` resolves. Peers' addresses are
/// kept for the per-client rate limits.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
