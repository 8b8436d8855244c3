//! Request ids: every request gets one (`x-request-id`, kept from the
//! client or proxy when it is a short token, else made afresh), every
//! response carries it back, every log line of the request names it (a
//! tracing span), and every error says it, so a visitor who reports a
//! failure can be matched to its logged cause without ever being shown it.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tracing::Instrument as _;

/// The header.
pub const HEADER: &str = "x-request-id";

/// The longest id taken from a request as it is.
const MAX_LEN: usize = 64;

tokio::task_local! {
    static CURRENT: String;
}

/// The id of the request being handled, if any (errors show it).
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// An id from outside is kept only if it is a short token of letters,
/// digits, `-`, `_` and `.` (what proxies make): anything else could carry
/// markup or log lines, and is replaced.
fn acceptable(v: &HeaderValue) -> bool {
    let b = v.as_bytes();
    !b.is_empty() && b.len() <= MAX_LEN && b.iter().all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c))
}

/// Drops an unacceptable incoming id, so a new one is made.
async fn screen(mut request: Request, next: Next) -> Response {
    let headers = request.headers_mut();
    if headers.get_all(HEADER).iter().count() > 1 || headers.get(HEADER).is_some_and(|v| !acceptable(v)) {
        headers.remove(HEADER);
    }
    next.run(request).await
}

/// Runs the request in a span naming its id, with the id reachable by
/// [`current`].
async fn scope(request: Request, next: Next) -> Response {
    let id = request.headers().get(HEADER).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let span = tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path());
    CURRENT.scope(id, next.run(request).instrument(span)).await
}

/// `router` with request ids: screened, set, sent back and in scope (in
/// that order, outermost first).
pub fn apply<S: Clone + Send + Sync + 'static>(router: axum::Router<S>) -> axum::Router<S> {
    router.layer(
        tower::ServiceBuilder::new()
            .layer(axum::middleware::from_fn(screen))
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(axum::middleware::from_fn(scope)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_tokens_are_kept_from_outside() {
        let ok = |s: &str| acceptable(&HeaderValue::from_str(s).expect("header"));
        assert!(ok("4f0c1d2e-9a8b-4c7d-8e6f-5a4b3c2d1e0f"));
        assert!(ok("nginx.req_01"));
        assert!(!ok(""));
        assert!(!ok("<script>"));
        assert!(!ok("a b"));
        assert!(!ok(&"a".repeat(65)));
    }
}
