//! iodao-web: the web portal and JSON API, one axum router.
//!
//! Handlers are small translations: an HTTP request becomes a call to a core
//! service and the result becomes HTML (askama templates in the top-level
//! `templates/`) or JSON. This crate never writes SQL and never talks to the
//! chain; it holds no secrets in pages or errors.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use iodao_core::Governance;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The governance service.
    pub governance: Governance,
}

/// The whole router.
pub fn router(state: AppState) -> Router {
    Router::new().route("/healthz", get(healthz)).with_state(state)
}

/// `ok` once the store answers; 503 with a short reason otherwise.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.governance.store().ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
