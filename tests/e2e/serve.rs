use std::io::Read;
use std::process::Stdio;

use crate::helpers::{Server, Workdir};

/// Starts `iodao ARGS` on port 0.
fn start(w: &Workdir, args: &[&str]) -> Server {
    let mut cmd = w.cmd(args);
    cmd.env("IODAO_WEB__BIND", "127.0.0.1:0").stderr(Stdio::inherit());
    Server::spawn(cmd)
}

#[test]
fn serve_answers_healthz_once_the_store_is_ready() {
    let w = Workdir::new();
    let server = start(&w, &["serve"]);
    let (status, body) = server.get("/healthz");
    assert_eq!(status, 200);
    assert_eq!(body, "ok");
    assert!(w.file("iodao.db").exists(), "the default database was created");
}

#[test]
fn demo_seeds_then_serves() {
    let w = Workdir::new();
    let server = start(&w, &["demo"]);
    assert_eq!(server.get("/healthz"), (200, "ok".to_owned()));
    drop(server);
    let list = w.json(&["proposal", "list", "--json"]);
    assert_eq!(list.as_array().map(Vec::len), Some(6));
}

#[test]
fn serve_stops_cleanly_on_sigterm() {
    let w = Workdir::new();
    let mut server = start(&w, &["serve"]);
    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
    assert!(killed.success());
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn the_demo_portal_serves_pages_and_an_admin_api_whose_token_never_shows() {
    const TOKEN: &str = "e2e-admin-secret-91c4-5d7e0a8b3f6c";
    let w = Workdir::new();
    let mut cmd = w.cmd(&["demo"]);
    cmd.env("IODAO_WEB__BIND", "127.0.0.1:0")
        .env("IODAO_ADMIN_TOKEN", TOKEN)
        .env("RUST_LOG", "debug,sqlx=warn")
        .stderr(Stdio::piped());
    let mut server = Server::spawn(cmd);
    let post = |token: Option<&str>, body: &str| {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        server.request("POST", "/api/v1/recipients", &headers, body)
    };

    let (status, home) = server.get("/proposals");
    assert_eq!(status, 200);
    assert!(home.contains("/proposals/1"), "the demo's proposals are listed");
    assert_eq!(server.get("/epochs/1").0, 200, "the demo's epoch");
    assert_eq!(server.get("/proposals/12345").0, 404);

    let new = r#"{"name": "e2e-dapp", "category": "dapp", "payout": "0x00000000000000000000000000000000000000e2"}"#;
    assert_eq!(post(None, new).0, 401);
    let (status, body) = post(Some("wrong"), new);
    assert_eq!(status, 401);
    assert!(!body.contains(TOKEN));
    let (status, body) = post(Some(TOKEN), new);
    assert_eq!(status, 201, "{body}");
    assert!(server.get("/recipients").1.contains("e2e-dapp"));

    let _ = server.child.kill();
    let mut stderr = String::new();
    server.child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("read stderr");
    assert!(stderr.contains("web server started"), "debug logs were captured: {stderr}");
    assert!(!stderr.contains(TOKEN), "the admin token appeared in the logs");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_prunes_link_challenges_a_day_past_their_expiry() {
    use chrono::{Duration, Utc};
    use iodao_core::store::StoredChallenge;
    use iodao_core::{Address, ChatAccount, Store};
    let w = Workdir::new();
    let url = format!("sqlite://{}", w.file("iodao.db").display());
    let store = Store::open(&url).await.expect("open");
    let now = Utc::now();
    let challenge = |nonce: &str, expires_at| StoredChallenge {
        nonce: nonce.into(),
        account: ChatAccount::parse("telegram:5").expect("account"),
        address: Address::from([5; 20]),
        message: "sign me".into(),
        issued_at: expires_at - Duration::minutes(10),
        expires_at,
        used_at: None,
    };
    store.insert_challenge(&challenge("longexpired1", now - Duration::days(2))).await.expect("insert");
    store.insert_challenge(&challenge("justexpired1", now - Duration::minutes(1))).await.expect("insert");
    store.insert_challenge(&challenge("stillopen001", now + Duration::minutes(5))).await.expect("insert");

    let server = start(&w, &["serve"]);
    // The lifecycle timer prunes at its first tick.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while store.challenge("longexpired1").await.expect("read").is_some() {
        assert!(std::time::Instant::now() < deadline, "serve never pruned the challenge that expired two days ago");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(server);
    assert!(store.challenge("justexpired1").await.expect("read").is_some(), "kept a day past expiry");
    assert!(store.challenge("stillopen001").await.expect("read").is_some());
}

#[test]
fn a_short_admin_token_stops_serve_at_start_without_printing_it() {
    const SHORT: &str = "hunter2-but-longer";
    let w = Workdir::new();
    let out =
        w.cmd(&["serve"]).env("IODAO_WEB__BIND", "127.0.0.1:0").env("IODAO_ADMIN_TOKEN", SHORT).output().expect("run");
    assert!(!out.status.success(), "serve must refuse a short admin token");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains("listening on"), "it never listened: {stdout}");
    assert!(stderr.contains("IODAO_ADMIN_TOKEN") && stderr.contains("web.admin_token_file"), "{stderr}");
    assert!(stderr.contains("is 18 characters long; it needs at least 32"), "{stderr}");
    assert!(!stderr.contains(SHORT) && !stdout.contains(SHORT), "the token was printed");
}

#[test]
fn the_portal_serves_the_bundle_iodao_epoch_export_writes() {
    let w = Workdir::new();
    let server = start(&w, &["demo"]);
    let (status, served) = server.get("/epochs/1/bundle.json");
    assert_eq!(status, 200);
    drop(server);
    w.ok(&["epoch", "export", "1", "--out", "epoch-1.json"]);
    let written = std::fs::read_to_string(w.file("epoch-1.json")).expect("export");
    assert_eq!(served, written, "the same bytes, stored once");
    std::fs::write(w.file("served.json"), &served).expect("write");
    assert!(w.ok(&["epoch", "verify", "served.json"]).contains("epoch 1 verifies"));
}
