//! What no visitor can do to the portal: read an internal error (each is
//! logged and answered with a request id), make a read write, bust the page
//! cache, rebuild an export per request, or dodge the rate limits.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use iodao_chain::stake::{TokenPower, TokenStake};
use iodao_core::{
    Actor, Address, Amount, CachedStake, CsvStakeSource, ExportKind, Governance, StakeError, StakeSource, export_json,
};
use iodao_web::{RateLimit, Settings, TrustedProxies};
use serde_json::json;

use crate::helpers::{ADMIN, Portal, admin_token};

/// The path of the node's URL: a provider's API key.
const SECRET: &str = "v3-key-5ecre7c0ffee";

/// A stand-in JSON-RPC node that answers every call with an error quoting
/// the path it was called at (as providers do), on a loopback port.
async fn failing_node() -> String {
    let app = axum::Router::new().fallback(|uri: axum::http::Uri| async move {
        (axum::http::StatusCode::UNAUTHORIZED, format!("{{\"error\":\"invalid project id in {}\"}}", uri.path()))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/{SECRET}/")
}

fn no_leak(what: &str, text: &str, url: &str) {
    assert!(!text.contains(SECRET), "{what} shows the secret: {text}");
    assert!(!text.contains(url.trim_end_matches('/')), "{what} shows the node's URL: {text}");
}

#[tokio::test]
async fn a_stake_rpc_url_with_a_secret_path_never_appears_in_a_response() {
    let url = failing_node().await;
    let node = TokenStake::connect(&url, Address::from([7; 20]), TokenPower::Votes)
        .expect("url")
        .with_retries(0, StdDuration::from_millis(1));
    // The source's own error does carry the secret: what must not leak.
    let raw = node.power_at(Address::from([1; 20]), 7).await.expect_err("the node refuses");
    assert!(raw.to_string().contains(SECRET), "the stand-in's answer is in the error: {raw}");

    let p = Portal::with_stake(Settings { admin_token: admin_token(), ..Settings::default() }, |_, store| {
        Arc::new(CachedStake::new(Arc::new(node), store.clone(), "erc20votes:4689:0x07"))
    })
    .await;
    // A proposal opened (its snapshot fixed) through the stakers' CSV.
    let csv_gov = Governance::new(p.gov.store().clone(), p.stake.clone());
    let prop = csv_gov.create_proposal(p.new_proposal("Leak?"), &Actor::Cli, chrono::Utc::now()).await.expect("open");
    p.allocations
        .add_recipient(
            "solar-farms",
            iodao_core::Category::DeviceProgram,
            Address::from([0x5a; 20]),
            &Actor::Cli,
            chrono::Utc::now(),
        )
        .await
        .expect("recipient");

    // A vote: power cannot be read.
    let r = p
        .http
        .post(p.url("/api/v1/votes"))
        .json(&p.stakers[0].signed_vote(prop.id.get(), "For"))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 503);
    let header_id = r.headers()["x-request-id"].to_str().expect("id").to_owned();
    let body = r.text().await.expect("body");
    no_leak("the vote's error", &body, &url);
    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(v["error"], "stake_unavailable");
    assert_eq!(v["request_id"], header_id.as_str(), "the error names its request");
    assert!(v["message"].as_str().expect("message").contains("Try again"), "{v}");

    // The admin dry run reads the current block: the same.
    let (status, plan) = p.post("/api/v1/admin/epochs/plan", &json!({}), true).await;
    assert_eq!((status, plan["error"].as_str()), (503, Some("stake_unavailable")));
    no_leak("the dry run's error", &plan.to_string(), &url);

    // Pages and reads that show power say it is unavailable, nothing more.
    let voter = p.stakers[0].address.to_hex();
    for path in [
        format!("/voters/{voter}"),
        "/recipients".into(),
        "/api/v1/recipients".into(),
        format!("/proposals/{}", prop.id.get()),
    ] {
        let (status, text) = p.get(&path).await;
        assert_eq!(status, 200, "{path}");
        no_leak(&path, &text, &url);
    }
    assert!(p.get(&format!("/voters/{voter}")).await.1.contains("unavailable"));
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_every_error_names_it() {
    let p = Portal::start().await;
    let r = p.http.get(p.url("/proposals")).send().await.expect("GET");
    let id = r.headers()["x-request-id"].to_str().expect("id").to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let r2 = p.http.get(p.url("/proposals")).send().await.expect("GET");
    assert_ne!(r2.headers()["x-request-id"], id.as_str(), "one per request, cached page or not");

    let r = p.http.get(p.url("/proposals/999")).send().await.expect("GET");
    assert_eq!(r.status(), 404);
    let id = r.headers()["x-request-id"].to_str().expect("id").to_owned();
    assert!(r.text().await.expect("page").contains(&format!("Request id: <code>{id}</code>")));

    let r =
        p.http.get(p.url("/api/v1/proposals/abc")).header("x-request-id", "proxy-req.42").send().await.expect("GET");
    assert_eq!(r.headers()["x-request-id"], "proxy-req.42", "a proxy's id is kept");
    assert_eq!(r.json::<serde_json::Value>().await.expect("json")["request_id"], "proxy-req.42");

    let r = p.http.get(p.url("/api/v1/nothing")).header("x-request-id", "<b>x</b>").send().await.expect("GET");
    let id = r.headers()["x-request-id"].to_str().expect("id").to_owned();
    assert!(id.len() == 36 && !id.contains('<'), "markup is replaced: {id}");
}

/// A real CSV source whose reads the test counts: power reads per voter,
/// current-block reads.
struct Counting {
    inner: Arc<CsvStakeSource>,
    reads: Mutex<HashMap<Address, usize>>,
    heads: AtomicUsize,
}

#[async_trait]
impl StakeSource for Counting {
    async fn current_block(&self) -> Result<u64, StakeError> {
        self.heads.fetch_add(1, Ordering::SeqCst);
        self.inner.current_block().await
    }

    async fn power_at(&self, voter: Address, block: u64) -> Result<Amount, StakeError> {
        *self.reads.lock().expect("lock").entry(voter).or_default() += 1;
        tokio::task::yield_now().await;
        self.inner.power_at(voter, block).await
    }
}

fn wal(p: &Portal) -> Vec<u8> {
    let path = p.db_url.trim_start_matches("sqlite://").to_owned() + "-wal";
    std::fs::read(path).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn anonymous_reads_write_nothing_and_read_each_voter_from_the_node_once() {
    let counting = Arc::new(std::sync::OnceLock::<Arc<Counting>>::new());
    let slot = counting.clone();
    let p = Portal::with_stake(
        Settings { cache_ttl: StdDuration::from_secs(3600), ..Settings::default() },
        |csv, store| {
            let c = Arc::new(Counting { inner: csv, reads: Mutex::default(), heads: AtomicUsize::new(0) });
            let _ = slot.set(c.clone());
            Arc::new(CachedStake::new(c, store.clone(), "counted").with_read_window(StdDuration::from_secs(3600)))
        },
    )
    .await;
    let node = counting.get().expect("source").clone();
    for i in 0..3 {
        p.proposal(&format!("Snapshot {i}"), "b").await;
    }
    p.allocations
        .add_recipient(
            "swap-dapp",
            iodao_core::Category::Dapp,
            Address::from([0x5b; 20]),
            &Actor::Cli,
            chrono::Utc::now(),
        )
        .await
        .expect("recipient");
    for s in &p.stakers {
        p.allocations.set(s.address, "swap-dapp=100", chrono::Utc::now()).await.expect("allocate");
    }
    let store = p.gov.store().clone();
    let (changes, rows, wal_before) = (store.changes(), store.stake_cache_rows().await.expect("rows"), wal(&p));
    let reads_before = node.reads.lock().expect("lock").values().sum::<usize>();
    let heads_before = node.heads.load(Ordering::SeqCst);

    // 100 views of random voter pages (25 voters, stakers among them), at once.
    let mut voters: Vec<Address> = p.stakers.iter().map(|s| s.address).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    while voters.len() < 25 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut a = [0u8; 20];
        a[..8].copy_from_slice(&seed.to_le_bytes());
        voters.push(Address::from(a));
    }
    let mut tasks = Vec::new();
    for i in 0..100 {
        let (http, url) = (p.http.clone(), p.url(&format!("/voters/{}", voters[(i * 7 + i / 25) % 25].to_io())));
        tasks.push(tokio::spawn(async move {
            let r = http.get(url).send().await.expect("GET");
            (r.status().as_u16(), r.text().await.expect("page"))
        }));
    }
    for t in tasks {
        let (status, page) = t.await.expect("task");
        assert_eq!(status, 200, "{page}");
    }
    let (_, alice) = p.get(&format!("/voters/{}", voters[0].to_hex())).await;
    assert!(alice.contains(r#"<td class="num">1000</td>"#), "the staker's power is shown: {alice}");
    // The recipients' current weights, many times.
    for _ in 0..20 {
        assert_eq!(p.get("/recipients").await.0, 200);
        assert_eq!(p.get_json("/api/v1/recipients").await.0, 200);
    }

    assert_eq!(store.changes(), changes, "no write was committed");
    assert_eq!(store.stake_cache_rows().await.expect("rows"), rows, "no stake-cache row");
    assert!(wal(&p) == wal_before, "the database's write-ahead log is untouched");
    let reads = node.reads.lock().expect("lock").clone();
    let distinct: HashSet<Address> = voters.iter().copied().collect();
    for (voter, n) in &reads {
        assert!(*n <= 1, "{voter} read {n} times in one window");
        assert!(distinct.contains(voter), "only voters asked for are read");
    }
    assert!(reads.values().sum::<usize>() - reads_before <= distinct.len());
    assert!(node.heads.load(Ordering::SeqCst) - heads_before <= 1, "the current block once per window");
}

#[tokio::test]
async fn unknown_query_parameters_never_make_a_new_cache_entry() {
    let p = Portal::with(Settings { cache_ttl: StdDuration::from_secs(3600), ..Settings::default() }).await;
    p.proposal("First", "b").await;
    let (_, before) = p.get("/proposals").await;
    let entries = p.state.page_cache().len();
    for i in 0..200 {
        assert_eq!(p.get(&format!("/proposals?utm_source={i}&x{i}=y")).await.0, 200);
    }
    assert_eq!(p.state.page_cache().len(), entries, "one entry for /proposals, whatever else is asked");
    // Served from that entry: another process's write (a second handle on
    // the file) is not seen until this process writes or the TTL ends.
    let other = Governance::new(iodao_core::Store::open(&p.db_url).await.expect("second handle"), p.stake.clone());
    other.create_proposal(p.new_proposal("Second"), &Actor::Cli, chrono::Utc::now()).await.expect("elsewhere");
    assert_eq!(p.get("/proposals?junk=after").await.1, before, "the cached entry");
    // Known parameters are part of the key, in any order.
    assert_eq!(p.get("/proposals?page=1&state=active").await.0, 200);
    assert_eq!(p.get("/proposals?state=active&page=1&junk=2").await.0, 200);
    assert_eq!(p.state.page_cache().len(), entries + 1);
}

#[tokio::test]
async fn the_page_cache_stays_within_its_byte_bound() {
    let p = Portal::with(Settings {
        cache_ttl: StdDuration::from_secs(3600),
        cache_bytes: 64 * 1024,
        ..Settings::default()
    })
    .await;
    let body = "A long body. ".repeat(300);
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(p.proposal(&format!("Proposal {i}"), &body).await.id.get());
    }
    let mut total = 0;
    for id in ids {
        let (status, page) = p.get(&format!("/proposals/{id}")).await;
        assert_eq!(status, 200);
        total += page.len();
    }
    let cache = p.state.page_cache();
    assert!(total > 2 * 64 * 1024, "the pages ({total} bytes) do not all fit");
    assert!(cache.bytes() <= 64 * 1024, "{} bytes kept", cache.bytes());
    assert!(!cache.is_empty() && cache.len() < 40, "some kept, the rest evicted: {}", cache.len());
}

#[tokio::test]
async fn exports_are_built_once_stored_and_streamed_as_the_cli_writes_them() {
    let p = Portal::start().await;
    p.epoch().await;
    assert!(p.gov.store().export(1, ExportKind::Bundle).await.expect("read").is_none(), "nothing built yet");

    let r = p.http.get(p.url("/epochs/1/bundle.json")).send().await.expect("GET");
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    let first = r.bytes().await.expect("body");
    assert_eq!(h["content-disposition"], "attachment; filename=\"epoch-1.json\"");
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(h["content-length"].to_str().expect("len"), first.len().to_string());
    assert!(h["cache-control"].to_str().expect("cc").starts_with("public"));
    let stored = p.gov.store().export(1, ExportKind::Bundle).await.expect("read").expect("stored by the first request");
    assert_eq!(h["etag"].to_str().expect("etag"), format!("\"{}\"", stored.digest));

    let bundle = p.epochs.bundle(1).await.expect("read").expect("bundle");
    assert_eq!(first, export_json(&bundle).expect("json").as_bytes(), "what `iodao epoch export` writes");
    for path in ["/epochs/1/bundle.json", "/api/v1/epochs/1/bundle", "/epochs/1/bundle.json"] {
        let again = p.http.get(p.url(path)).send().await.expect("GET").bytes().await.expect("body");
        assert_eq!(again, first, "{path}: the stored bytes");
    }
    assert_eq!(p.epochs.exports_built(), 1, "built by the first request only");
    assert_eq!(p.get("/epochs/2/bundle.json").await.0, 404);
}

async fn post_from(p: &Portal, path: &str, forwarded: &str, admin: bool) -> u16 {
    let mut r =
        p.http.post(p.url(path)).json(&json!({"message": "x", "signature": "0x"})).header("x-forwarded-for", forwarded);
    if admin {
        r = r.bearer_auth(ADMIN);
    }
    r.send().await.expect("POST").status().as_u16()
}

fn limited(burst: u32, trusted: &[&str]) -> Settings {
    Settings {
        admin_token: admin_token(),
        rate_limit: RateLimit { per: StdDuration::from_secs(3600), burst },
        trusted_proxies: TrustedProxies::parse(trusted).expect("cidrs"),
        ..Settings::default()
    }
}

#[tokio::test]
async fn x_forwarded_for_is_ignored_from_an_untrusted_peer() {
    let p = Portal::with(limited(1, &[])).await;
    assert_eq!(post_from(&p, "/api/v1/links/verify", "198.51.100.1", false).await, 400, "refused on its merits");
    assert_eq!(post_from(&p, "/api/v1/links/verify", "198.51.100.2", false).await, 429, "the same peer");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget_and_an_ipv6_64_shares_one() {
    let p = Portal::with(limited(1, &["127.0.0.1"])).await;
    let verify = "/api/v1/links/verify";
    assert_eq!(post_from(&p, verify, "198.51.100.1", false).await, 400);
    assert_eq!(post_from(&p, verify, "198.51.100.1", false).await, 429);
    assert_eq!(post_from(&p, verify, "198.51.100.2", false).await, 400, "another client");
    // A client's claim left of the proxy's entry changes nothing.
    assert_eq!(post_from(&p, verify, "203.0.113.9, 198.51.100.1", false).await, 429);
    assert_eq!(post_from(&p, verify, "2001:db8:0:1::1", false).await, 400);
    assert_eq!(post_from(&p, verify, "2001:db8:0:1:ffff::2", false).await, 429, "the same /64");
    assert_eq!(post_from(&p, verify, "2001:db8:0:2::1", false).await, 400, "another /64");
}

#[tokio::test]
async fn admin_routes_are_rate_limited_too() {
    let p = Portal::with(limited(2, &[])).await;
    let plan = "/api/v1/admin/epochs/plan";
    assert_eq!(post_from(&p, plan, "-", false).await, 401);
    assert_eq!(post_from(&p, plan, "-", true).await, 200);
    assert_eq!(post_from(&p, plan, "-", true).await, 429, "even with the token");
    let r = p.http.post(p.url(plan)).send().await.expect("POST");
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(post_from(&p, "/api/v1/links/verify", "-", false).await, 400, "writes have their own budget");
    for _ in 0..5 {
        assert_eq!(p.get_json("/api/v1/recipients").await.0, 200, "reads of an admin route's path are not limited");
    }
}

#[tokio::test]
async fn idle_clients_rate_limit_state_is_pruned() {
    let p = Portal::with(Settings {
        rate_limit: RateLimit { per: StdDuration::from_secs(1), burst: 1 },
        trusted_proxies: TrustedProxies::parse(&["127.0.0.1"]).expect("cidr"),
        prune_every: StdDuration::from_millis(50),
        ..Settings::default()
    })
    .await;
    for i in 0..20 {
        assert_eq!(post_from(&p, "/api/v1/links/verify", &format!("198.51.100.{i}"), false).await, 400);
    }
    // Each bucket is empty for a second after its request: none is idle yet.
    assert_eq!(p.state.rate_limited_clients().0, 20);
    let deadline = std::time::Instant::now() + StdDuration::from_secs(30);
    while p.state.rate_limited_clients().0 > 0 {
        assert!(std::time::Instant::now() < deadline, "idle state was never pruned");
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}
