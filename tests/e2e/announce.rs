//! `iodao serve` with both bots announcing: a proposal created open and an
//! epoch paid by other processes (`iodao proposal create`, `iodao epoch
//! execute` on a real node) reach the Discord channel and the Telegram
//! group, each through its local stand-in API on 127.0.0.1.

use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::Uri;
use ed25519_dalek::SigningKey;
use serde_json::{Value, json};

use crate::helpers::{Server, serve_on_thread};
use crate::node;
use crate::payouts::{Mode, executor_key, funded_epoch};
use crate::telegram::{Api, stand_in};

const DISCORD_TOKEN: &str = "MTAwMA.e2e.announce-token-must-not-be-logged";
const TELEGRAM_TOKEN: &str = "4343:e2e-announce-token";
const CHANNEL: u64 = 880;
const GROUP: i64 = -1003;
const WAIT: Duration = Duration::from_secs(30);

/// Discord's REST API as far as announcements need it: every message posted
/// to a channel is recorded as (path, body) and answered as Discord would.
async fn discord(State(sent): State<mpsc::Sender<(String, Value)>>, uri: Uri, body: Bytes) -> axum::Json<Value> {
    let path = uri.path().to_owned();
    let channel = path.split('/').nth(4).unwrap_or("1").to_owned();
    let _ = sent.send((path, serde_json::from_slice(&body).unwrap_or(Value::Null)));
    axum::Json(json!({
        "id": "9001", "channel_id": channel, "content": "", "timestamp": "2026-12-01T00:00:00.000000+00:00",
        "edited_timestamp": null, "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0, "components": [],
        "author": { "id": "4200", "username": "iodao", "discriminator": "0", "global_name": null, "avatar": null, "bot": true },
    }))
}

/// Starts the Discord stand-in on its own runtime thread; returns its URL.
fn discord_stand_in(sent: mpsc::Sender<(String, Value)>) -> String {
    serve_on_thread(Router::new().fallback(discord).with_state(sent))
}

/// An embed's title, description and fields as one text.
fn embed_text(body: &Value) -> String {
    let e = &body["embeds"][0];
    let mut t =
        format!("{}\n{}", e["title"].as_str().unwrap_or_default(), e["description"].as_str().unwrap_or_default());
    for f in e["fields"].as_array().into_iter().flatten() {
        t += &format!("\n{}: {}", f["name"].as_str().unwrap_or_default(), f["value"].as_str().unwrap_or_default());
    }
    t
}

#[tokio::test(flavor = "multi_thread")]
async fn what_other_processes_change_is_announced_on_discord_and_telegram() {
    let anvil = node::anvil();
    let (_p, d, w) = funded_epoch(&anvil, Mode::Push).await;

    let (discord_tx, discord_sent) = mpsc::channel();
    let discord_url = discord_stand_in(discord_tx);
    let (telegram_tx, telegram_sent) = mpsc::channel();
    let telegram_url = stand_in(Api { updates: Default::default(), sent: telegram_tx });
    let key = SigningKey::from_bytes(&[7; 32]);
    std::fs::write(
        w.file("iodao.toml"),
        format!(
            "[discord]\napplication_id = 4200\nmode = \"endpoint\"\npublic_key = \"{}\"\nannounce_channels = [{CHANNEL}]\napi_url = \"{discord_url}\"\n",
            alloy_primitives::hex::encode(key.verifying_key().as_bytes())
        ),
    )
    .expect("config");
    let log = std::fs::File::create(w.file("stderr.log")).expect("log file");
    let mut cmd = w.cmd(&["serve"]);
    cmd.env("IODAO_WEB__BIND", "127.0.0.1:0")
        .env("IODAO_WEB__EXPLORER_TX_URL", "https://iotexscan.io/tx/")
        .env("IODAO_GOVERNANCE__LIFECYCLE_INTERVAL", "100ms")
        .env("IODAO_DISCORD_TOKEN", DISCORD_TOKEN)
        .env("IODAO_TELEGRAM_TOKEN", TELEGRAM_TOKEN)
        .env("IODAO_TELEGRAM__API_URL", &telegram_url)
        .env("IODAO_TELEGRAM__ANNOUNCE_CHATS", GROUP.to_string())
        .env("RUST_LOG", "debug")
        .stderr(log);
    // Once it says it listens, the announcer has taken its first look: epoch 1
    // (allocated before) is remembered, and what changes now is news.
    let server = Server::spawn(cmd);

    w.ok(&["proposal", "create", "--title", "Open at once", "--body", "Now.", "--author", crate::payouts::ALICE]);
    let (path, body) = discord_sent.recv_timeout(WAIT).expect("a Discord announcement");
    assert_eq!(path, format!("/api/v10/channels/{CHANNEL}/messages"));
    assert_eq!(body["embeds"][0]["title"], "Voting opened: #1 Open at once");
    let sent = telegram_sent.recv_timeout(WAIT).expect("a Telegram announcement");
    assert_eq!(sent["chat_id"], json!(GROUP));
    assert!(sent["text"].as_str().expect("text").starts_with("<b>Voting opened: #1 Open at once</b>"), "{sent}");

    let out = w
        .cmd(&["epoch", "execute", "1"])
        .env("IODAO_CHAIN__RPC_URL", anvil.endpoint())
        .env("IODAO_CHAIN__DISTRIBUTOR", d.to_string())
        .env("IODAO_EXECUTOR_KEY", executor_key(&anvil))
        .stderr(Stdio::inherit())
        .output()
        .expect("execute");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    let tx = printed
        .lines()
        .find_map(|l| l.strip_prefix("batch 0 sent: "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("a sent batch in:\n{printed}"))
        .to_owned();
    let link = format!("https://iotexscan.io/tx/{tx}");

    let (_, body) = discord_sent.recv_timeout(WAIT).expect("the Discord payment announcement");
    let text = embed_text(&body);
    assert!(text.starts_with("Epoch 1 executed"), "{text}");
    assert!(text.contains(&format!("Transaction 1: {link}")), "{text}");
    let sent = telegram_sent.recv_timeout(WAIT).expect("the Telegram payment announcement");
    let text = sent["text"].as_str().expect("text");
    assert!(text.contains("Epoch 1 executed") && text.contains(&link), "{text}");

    drop(server);
    assert!(discord_sent.try_recv().is_err(), "each piece of news is announced once");
    let log = std::fs::read_to_string(w.file("stderr.log")).expect("log");
    assert!(!log.contains(DISCORD_TOKEN) && !log.contains(TELEGRAM_TOKEN), "a token was logged:\n{log}");
    // Governance, epochs, the portal and both bots share one stake source.
    assert_eq!(log.matches("stake from CSV").count(), 1, "{log}");
}
