//! A cache of rendered GET responses, so that reading the portal costs a map
//! lookup instead of a handful of queries and a render.
//!
//! An entry is served only while no write of this process has committed
//! since it was rendered (the store's change counter, read *before* the
//! handler ran) and for at most `ttl`: the TTL bounds how long a write made
//! by another process (the operator's CLI on the same database) stays
//! unseen. When only the TTL has run out, one request renders the page
//! afresh while the others keep getting the previous one (for at most
//! [`STALE_FOR`] TTLs), so a popular page is never rendered by every
//! waiting request at once. Requests with an `Authorization` header are
//! never cached.
//!
//! The cache is bounded in bytes (bodies, headers and keys), evicting the
//! least used. Each route names the query parameters it reads: the key (and
//! the query the handler sees) keeps only those, in a canonical order, so
//! `?junk=1`, `?junk=2`, … are one entry, not a flood of new ones. A cached
//! response is replayed with every header it had (`Content-Disposition`,
//! `Cache-Control`, …).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use iodao_core::Store;

/// Bodies larger than this are served but not kept.
const MAX_BODY: usize = 2 << 20;

/// What an entry costs beyond its key, body and headers (its bookkeeping).
const ENTRY_OVERHEAD: u64 = 256;

/// The average entry the cache is sized for (to size its index).
const TYPICAL_ENTRY: u64 = 16 * 1024;

/// While one request refreshes an expired entry, the others may be served
/// the expired one until it is this many TTLs old (a refresh that never
/// finished, its client gone, stops counting then).
const STALE_FOR: u32 = 4;

/// Weighs an entry by the bytes it holds.
#[derive(Clone)]
struct Bytesize;

impl quick_cache::Weighter<String, Arc<Entry>> for Bytesize {
    fn weight(&self, key: &String, entry: &Arc<Entry>) -> u64 {
        key.len() as u64 + entry.weight()
    }
}

type Entries = quick_cache::sync::Cache<String, Arc<Entry>, Bytesize>;

/// The cache and what it needs to know freshness.
#[derive(Clone)]
pub struct PageCache {
    entries: Arc<Entries>,
    store: Store,
    ttl: Duration,
    /// The largest entry kept (a part of a shard of the cache, at most
    /// [`MAX_BODY`]).
    max_entry: u64,
}

struct Entry {
    changes: u64,
    at: Instant,
    /// Set by the one request that renders this entry's replacement.
    refreshing: AtomicBool,
    headers: HeaderMap,
    body: Bytes,
}

impl Entry {
    fn weight(&self) -> u64 {
        let headers: usize = self.headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 32).sum();
        self.body.len() as u64 + headers as u64 + ENTRY_OVERHEAD
    }
}

impl PageCache {
    /// A cache of at most `bytes` of responses over `store`'s changes.
    pub fn new(store: Store, bytes: u64, ttl: Duration) -> Self {
        let bytes = bytes.max(1);
        let items = usize::try_from((bytes / TYPICAL_ENTRY).clamp(64, 1 << 20)).unwrap_or(64);
        let entries = Entries::with_weighter(items, bytes, Bytesize);
        // An entry heavier than a shard's share would never be kept.
        let max_entry = (entries.shard_capacity() / 2).min(MAX_BODY as u64);
        Self { entries: Arc::new(entries), store, ttl, max_entry }
    }

    /// The middleware's state for a route that reads the query parameters
    /// `params` (and no other).
    pub fn route(&self, params: &'static [&'static str]) -> Route {
        Route { cache: self.clone(), params }
    }

    /// How many responses are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The bytes kept (bodies, headers, keys and bookkeeping).
    pub fn bytes(&self) -> u64 {
        self.entries.weight()
    }

    /// The bound on [`PageCache::bytes`].
    pub fn capacity(&self) -> u64 {
        self.entries.capacity()
    }

    /// The entry to serve, if any; `None` means this request renders.
    fn servable(&self, key: &str) -> Option<Arc<Entry>> {
        let e = self.entries.get(key)?;
        if e.changes != self.store.changes() {
            return None;
        }
        let age = e.at.elapsed();
        if age < self.ttl {
            return Some(e);
        }
        // Expired by time only: the first request to see it refreshes it.
        let someone_refreshing = e.refreshing.swap(true, Ordering::AcqRel);
        (someone_refreshing && age < self.ttl * STALE_FOR).then_some(e)
    }
}

/// A route's view of the cache: which query parameters it reads.
#[derive(Clone)]
pub struct Route {
    cache: PageCache,
    params: &'static [&'static str],
}

/// `uri` with only the query parameters in `params`, sorted by name (the
/// values of a repeated one in their order), re-encoded canonically.
fn canonical(uri: &Uri, params: &[&str]) -> Uri {
    let path = uri.path();
    let mut kept: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                .filter(|(k, _)| params.contains(&k.as_ref()))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    if kept.is_empty() {
        return path.parse().unwrap_or_else(|_| uri.clone());
    }
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(kept).finish();
    format!("{path}?{query}").parse().unwrap_or_else(|_| uri.clone())
}

/// The middleware: serve a fresh entry, or run the handler and keep a 200.
/// The handler sees the canonical query the entry is kept under.
pub async fn layer(State(route): State<Route>, mut request: Request, next: Next) -> Response {
    let cache = &route.cache;
    if request.method() != Method::GET || request.headers().contains_key(header::AUTHORIZATION) || cache.ttl.is_zero() {
        return next.run(request).await;
    }
    let uri = canonical(request.uri(), route.params);
    let key = uri.to_string();
    *request.uri_mut() = uri;
    if let Some(e) = cache.servable(&key) {
        return respond(&e);
    }
    let changes = cache.store.changes();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    if response.body().size_hint().upper().is_none_or(|n| n > cache.max_entry) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "response too large to cache or failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let entry = Arc::new(Entry {
        changes,
        at: Instant::now(),
        refreshing: AtomicBool::new(false),
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    if key.len() as u64 + entry.weight() <= cache.max_entry {
        cache.entries.insert(key, entry);
    }
    Response::from_parts(parts, Body::from(body))
}

fn respond(e: &Entry) -> Response {
    let mut r = Response::new(Body::from(e.body.clone()));
    *r.headers_mut() = e.headers.clone();
    r
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    /// A loopback server of one cached route whose handler counts its runs
    /// and sets the headers a download has; its URL and the counter.
    async fn serve_counted(cache: &PageCache) -> (String, Arc<AtomicUsize>) {
        let runs = Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        let handler = move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                (
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (header::CONTENT_DISPOSITION, "attachment; filename=\"epoch-1.json\""),
                        (header::CACHE_CONTROL, "public, max-age=300"),
                        (header::ETAG, "\"v1\""),
                    ],
                    format!("{{\"render\": {n}}}"),
                )
            }
        };
        let app = axum::Router::new().route(
            "/f",
            axum::routing::get(handler).layer(axum::middleware::from_fn_with_state(cache.route(&["page"]), layer)),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/f", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, runs)
    }

    #[tokio::test]
    async fn a_cached_response_is_replayed_with_every_header() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&format!("sqlite://{}", dir.path().join("c.db").display())).await.expect("store");
        let cache = PageCache::new(store, 1 << 20, Duration::from_secs(3600));
        let (url, runs) = serve_counted(&cache).await;
        let http = reqwest::Client::new();
        let first = http.get(&url).send().await.expect("GET");
        let first_headers = first.headers().clone();
        let first_body = first.text().await.expect("body");
        for query in ["", "?junk=1", "?utm=x&other=y"] {
            let r = http.get(format!("{url}{query}")).send().await.expect("GET");
            for name in ["content-type", "content-disposition", "cache-control", "etag"] {
                assert_eq!(r.headers()[name], first_headers[name], "{name} kept");
            }
            assert_eq!(r.text().await.expect("body"), first_body);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1, "rendered once, replayed from the cache");
        assert_eq!(http.get(format!("{url}?page=2")).send().await.expect("GET").status(), 200);
        assert_eq!(runs.load(Ordering::SeqCst), 2, "a known parameter is another entry");
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn unknown_parameters_are_dropped_and_known_ones_ordered() {
        let c = |u: &str, p: &[&str]| canonical(&u.parse().expect("uri"), p).to_string();
        assert_eq!(c("/proposals?junk=1", &["state", "page"]), "/proposals");
        assert_eq!(c("/proposals?page=2&junk=1&state=active", &["state", "page"]), "/proposals?page=2&state=active");
        assert_eq!(c("/proposals?state=active&page=2", &["state", "page"]), "/proposals?page=2&state=active");
        assert_eq!(c("/proposals?page=%32", &["page"]), "/proposals?page=2", "decoded, then encoded one way");
        assert_eq!(c("/p?page=1&page=2", &["page"]), "/p?page=1&page=2", "a repeat is kept (and refused)");
        assert_eq!(c("/recipients?x=1", &[]), "/recipients");
        assert_eq!(c("/p?q=a+b%26c", &["q"]), "/p?q=a+b%26c");
    }
}
