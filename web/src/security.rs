//! What protects the portal and the API: security headers on every response,
//! a bearer token for admin endpoints, per-client rate limits on writes and
//! admin calls.
//!
//! A client is its IP address (IPv6 by its /64, what one subscriber gets):
//! the TCP peer's, or, when the peer is a trusted reverse proxy
//! (`web.trusted_proxies`), the right-most address of `X-Forwarded-For`
//! that is not a trusted proxy (the left part is whatever the client wrote,
//! so it is never believed). Idle clients' state is pruned.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
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

/// Why an admin token is refused. Neither says the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AdminTokenError {
    /// Nothing but whitespace.
    #[error("is empty")]
    Empty,
    /// Shorter than [`AdminToken::MIN_CHARS`]: guessable.
    #[error(
        "is {0} characters long; it needs at least {min} (make one with `openssl rand -hex 32`)",
        min = AdminToken::MIN_CHARS
    )]
    TooShort(usize),
}

impl AdminToken {
    /// The fewest characters a token may have.
    pub const MIN_CHARS: usize = 32;

    /// Wraps a token (surrounding whitespace dropped); refuses an empty one
    /// or one shorter than [`AdminToken::MIN_CHARS`].
    pub fn new(token: &str) -> Result<Self, AdminTokenError> {
        let t = token.trim();
        match t.chars().count() {
            0 => Err(AdminTokenError::Empty),
            n if n < Self::MIN_CHARS => Err(AdminTokenError::TooShort(n)),
            _ => Ok(Self(Arc::from(t))),
        }
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

/// How fast one client may write (votes, links, proposals) or call the
/// admin API (each its own budget).
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

/// The reverse proxies whose `X-Forwarded-For` is believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// From CIDRs (`10.0.0.0/8`, `::1/128`) or single addresses.
    pub fn parse<S: AsRef<str>>(list: &[S]) -> Result<Self, String> {
        list.iter()
            .map(|s| {
                let s = s.as_ref().trim();
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map(|n| n.trunc())
                    .map_err(|_| format!("`{s}` is not an IP address or a CIDR such as 10.0.0.0/8"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }
}

/// An address as one client: IPv4 as it is, IPv6 by its /64 (an IPv4
/// address mapped into IPv6 is the IPv4 one).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(v6.to_bits() & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

/// One entry of `X-Forwarded-For`: an address, perhaps with a port.
fn forwarded_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>().ok().or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// Who a request comes from: the peer, unless the peer is a trusted proxy;
/// then the right-most address of `X-Forwarded-For` that is not a trusted
/// proxy (each proxy appends the address it received from). If every entry
/// is trusted, or one does not parse, the nearest trusted hop is the client.
pub fn client_of(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let entries: Vec<&str> =
        headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).collect();
    let mut client = peer;
    for entry in entries.iter().rev() {
        match forwarded_ip(entry).map(|ip| ip.to_canonical()) {
            Some(ip) if trusted.contains(ip) => client = ip,
            Some(ip) => return ip,
            None => break,
        }
    }
    client
}

/// A per-client token bucket.
pub struct Limiter {
    buckets: DefaultKeyedRateLimiter<IpAddr>,
    trusted: TrustedProxies,
}

impl Limiter {
    /// `limit` per client, clients found through `trusted` proxies.
    pub fn new(limit: RateLimit, trusted: TrustedProxies) -> Self {
        let burst = NonZeroU32::new(limit.burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(limit.per.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst);
        Self { buckets: RateLimiter::keyed(quota), trusted }
    }

    /// How many clients it holds state for.
    pub fn clients(&self) -> usize {
        self.buckets.len()
    }

    /// Forgets clients whose bucket has refilled: they are as if never seen.
    pub fn prune(&self) {
        self.buckets.retain_recent();
        self.buckets.shrink_to_fit();
    }

    /// Takes one request from `client`'s bucket, or says how long to wait.
    fn check(&self, client: IpAddr) -> Result<(), Duration> {
        self.buckets.check_key(&client_key(client)).map_err(|n| n.wait_time_from(self.buckets.clock().now()))
    }
}

/// Prunes each limiter every `every`, while any of them lives (so a
/// router dropped in a test stops its task). Needs a Tokio runtime; without
/// one, state is pruned by nobody (and a warning says so).
pub fn prune_periodically(limiters: &[&Arc<Limiter>], every: Duration) {
    let weak: Vec<Weak<Limiter>> = limiters.iter().map(|l| Arc::downgrade(l)).collect();
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no runtime: idle rate-limit state will not be pruned");
        return;
    };
    runtime.spawn(async move {
        let mut tick = tokio::time::interval(every.max(Duration::from_millis(1)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let alive: Vec<Arc<Limiter>> = weak.iter().filter_map(Weak::upgrade).collect();
            if alive.is_empty() {
                return;
            }
            for l in alive {
                l.prune();
            }
        }
    });
}

/// The middleware: one request from the client's bucket, or 429 with
/// `Retry-After`. A server run without connect info (never [`crate::serve`])
/// counts every request against one shared client.
pub async fn limit(State(limiter): State<Arc<Limiter>>, request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
    let client = client_of(peer, request.headers(), &limiter.trusted);
    match limiter.check(client) {
        Ok(()) => next.run(request).await,
        Err(wait) => {
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut r = ApiError(Failure::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests from your address; try again in {secs} s"),
            ))
            .into_response();
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cret-0123456789abcdef0123456789";

    #[test]
    fn tokens_match_exactly_and_hide_in_debug() {
        let t = AdminToken::new(&format!(" {SECRET} ")).expect("long enough");
        assert!(t.matches(SECRET));
        assert!(!t.matches(&SECRET[1..]));
        assert!(!t.matches(&format!("{SECRET}!")));
        assert!(!t.matches(""));
        assert!(!format!("{t:?}").contains(SECRET));
    }

    #[test]
    fn empty_and_short_tokens_are_refused_without_saying_them() {
        assert_eq!(AdminToken::new("  ").unwrap_err(), AdminTokenError::Empty);
        let e = AdminToken::new("hunter2-hunter2").unwrap_err();
        assert_eq!(e, AdminTokenError::TooShort(15));
        assert!(e.to_string().contains("at least 32") && !e.to_string().contains("hunter2"), "{e}");
        assert!(AdminToken::new(&"é".repeat(32)).is_ok(), "characters, not bytes");
        assert!(AdminToken::new(&"x".repeat(31)).is_err());
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy_and_only_its_untrusted_right_end() {
        let trusted = TrustedProxies::parse(&["10.0.0.0/8", "::1"]).expect("cidrs");
        let h = xff(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(client_of(ip("198.51.100.1"), &h, &trusted), ip("198.51.100.1"), "an untrusted peer is the client");
        assert_eq!(client_of(ip("10.1.2.3"), &h, &trusted), ip("203.0.113.7"), "the address the proxy saw");
        // Two proxies in a row; the left part is the client's own claim.
        let h = xff(&["6.6.6.6", "203.0.113.7, 10.9.9.9"]);
        assert_eq!(client_of(ip("10.1.2.3"), &h, &trusted), ip("203.0.113.7"));
        assert_eq!(client_of(ip("::1"), &xff(&["[2001:db8::1]:443"]), &trusted), ip("2001:db8::1"));
        assert_eq!(client_of(ip("10.1.2.3"), &xff(&["10.2.2.2"]), &trusted), ip("10.2.2.2"), "all trusted");
        assert_eq!(client_of(ip("10.1.2.3"), &xff(&["junk"]), &trusted), ip("10.1.2.3"), "unparsable");
        assert_eq!(client_of(ip("10.1.2.3"), &HeaderMap::new(), &trusted), ip("10.1.2.3"));
        assert_eq!(client_of(ip("::ffff:10.1.2.3"), &h, &trusted), ip("203.0.113.7"), "a mapped IPv4 peer");
        assert!(TrustedProxies::parse(&["10.0.0.0/33"]).is_err());
        assert!(TrustedProxies::parse(&["proxy.local"]).is_err());
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_and_ipv4_by_the_address() {
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), client_key(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(client_key(ip("2001:db8:1:2::1")), client_key(ip("2001:db8:1:3::1")));
        assert_ne!(client_key(ip("192.0.2.1")), client_key(ip("192.0.2.2")));
        assert_eq!(client_key(ip("::ffff:192.0.2.1")), ip("192.0.2.1"));
    }
}
