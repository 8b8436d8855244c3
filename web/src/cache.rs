//! A cache of rendered GET responses, so that reading the portal costs a map
//! lookup instead of a handful of queries and a render.
//!
//! An entry is served only while no write of this process has committed
//! since it was rendered (the store's change counter, read *before* the
//! handler ran) and for at most `ttl`: the TTL bounds how long a write made
//! by another process (the operator's CLI on the same database) stays
//! unseen. Requests with an `Authorization` header are never cached.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody as _};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use iodao_core::Store;

/// Bodies larger than this are served but not kept.
const MAX_BODY: usize = 2 << 20;

/// The cache and what it needs to know freshness.
#[derive(Clone)]
pub struct PageCache {
    entries: Arc<quick_cache::sync::Cache<String, Arc<Entry>>>,
    store: Store,
    ttl: Duration,
}

struct Entry {
    changes: u64,
    at: Instant,
    content_type: Option<HeaderValue>,
    body: Bytes,
}

impl PageCache {
    /// A cache of at most `capacity` responses over `store`'s changes.
    pub fn new(store: Store, capacity: usize, ttl: Duration) -> Self {
        Self { entries: Arc::new(quick_cache::sync::Cache::new(capacity.max(1))), store, ttl }
    }

    fn fresh(&self, key: &str) -> Option<Arc<Entry>> {
        let e = self.entries.get(key)?;
        (e.changes == self.store.changes() && e.at.elapsed() < self.ttl).then_some(e)
    }
}

/// The middleware: serve a fresh entry, or run the handler and keep a 200.
pub async fn layer(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET || request.headers().contains_key(header::AUTHORIZATION) || cache.ttl.is_zero() {
        return next.run(request).await;
    }
    let key = request.uri().path_and_query().map_or_else(|| request.uri().path().to_owned(), |p| p.to_string());
    if let Some(e) = cache.fresh(&key) {
        return respond(&e);
    }
    let changes = cache.store.changes();
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    if response.body().size_hint().upper().is_none_or(|n| n > MAX_BODY as u64) {
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
        content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
        body: body.clone(),
    });
    cache.entries.insert(key, entry);
    Response::from_parts(parts, Body::from(body))
}

fn respond(e: &Entry) -> Response {
    let mut r = Response::new(Body::from(e.body.clone()));
    if let Some(ct) = &e.content_type {
        r.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    r
}
