//! What protects the portal and the API: security headers on every response,
//! a bearer token for admin endpoints, per-IP rate limits on writes.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
use crate::error::{ApiError, Failure};

/// Scripts and styles come only from this origin (no inline script, so an
/// injected tag cannot run); nothing may frame the portal.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The header layers every response passes through.
pub fn headers() -> [SetResponseHeaderLayer<HeaderValue>; 5] {
    let h = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    [
        h(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        h(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        h(header::X_FRAME_OPTIONS, "DENY"),
        h(header::REFERRER_POLICY, "same-origin"),
        h(HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ]
}

/// A secret the admin endpoints require as `Authorization: Bearer …`.
/// Its `Debug` never shows it.
#[derive(Clone)]
pub struct AdminToken(Arc<str>);

impl AdminToken {
    /// Wraps a token; `None` if it is empty.
    pub fn new(token: &str) -> Option<Self> {
        let t = token.trim();
        (!t.is_empty()).then(|| Self(Arc::from(t)))
    }

    /// Constant-time comparison, so the time taken reveals nothing of the token.
    fn matches(&self, given: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), given.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// Proof that a request carried the admin token.
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Some(token) = state.settings().admin_token.as_ref() else {
            return Err(ApiError(Failure::new(
                StatusCode::FORBIDDEN,
                "admin_disabled",
                "admin endpoints are disabled: set IODAO_ADMIN_TOKEN or `web.admin_token_file`",
            ))
            .into_response());
        };
        let given = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        match given {
            Some(g) if token.matches(g) => Ok(Self),
            _ => {
                let mut r = ApiError(Failure::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "this endpoint needs the admin token as `Authorization: Bearer <token>`",
                ))
                .into_response();
                r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                Err(r)
            }
        }
    }
}

/// How fast one IP may write (votes, links, proposals).
#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    /// One more request is allowed every `per`.
    pub per: Duration,
    /// How many may come at once.
    pub burst: u32,
}

impl Default for RateLimit {
    fn default() -> Self {
        Self { per: Duration::from_millis(500), burst: 20 }
    }
}

/// `routes` behind a per-IP limiter (by the TCP peer's address; behind a
/// reverse proxy, limit at the proxy). The server must be served with
/// connect info (see [`crate::serve`]).
pub fn limit_writes(routes: Router<AppState>, limit: RateLimit) -> Router<AppState> {
    let config = tower_governor::governor::GovernorConfigBuilder::default()
        .period(limit.per.max(Duration::from_nanos(1)))
        .burst_size(limit.burst.max(1))
        .finish()
        .expect("a positive period and burst make a valid limiter");
    let layer = tower_governor::GovernorLayer::new(Arc::new(config)).error_handler(|e| {
        let message = match e {
            tower_governor::GovernorError::TooManyRequests { wait_time, .. } => {
                format!("too many requests from your address; try again in {wait_time} s")
            }
            other => format!("request refused: {other}"),
        };
        ApiError(Failure::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)).into_response()
    });
    routes.layer(layer)
}

#[cfg(test)]
mod tests {
    use super::AdminToken;

    #[test]
    fn tokens_match_exactly_and_hide_in_debug() {
        let t = AdminToken::new(" s3cret ").expect("non-empty");
        assert!(t.matches("s3cret"));
        assert!(!t.matches("s3cre"));
        assert!(!t.matches("s3cret!"));
        assert!(!t.matches(""));
        assert!(!format!("{t:?}").contains("s3cret"));
        assert!(AdminToken::new("  ").is_none());
    }
}
