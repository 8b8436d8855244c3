//! The Discord bot in the real binary: `serve` with `discord.mode =
//! "endpoint"` answers signed interactions on `/discord/interactions` beside
//! the portal, refuses unsigned ones, and never logs the token; with
//! `"gateway"` it connects to the gateway that `discord.api_url` names (a
//! loopback stand-in of both) and answers a slash command over REST.

use std::sync::mpsc;
use std::time::Duration;

use alloy_primitives::hex;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use ed25519_dalek::{Signer as _, SigningKey};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{Server, Workdir};

const TOKEN: &str = "MTAwMA.e2e.discord-token-must-not-be-logged";

fn post(server: &Server, headers: &[(&str, &str)], body: &str) -> (u16, String) {
    let mut all = vec![("Content-Type", "application/json")];
    all.extend_from_slice(headers);
    server.request("POST", "/discord/interactions", &all, body)
}

#[test]
fn serve_answers_signed_discord_interactions_and_refuses_unsigned_ones() {
    let w = Workdir::new();
    let key = SigningKey::from_bytes(&[7; 32]);
    std::fs::write(
        w.file("iodao.toml"),
        format!(
            "[discord]\napplication_id = 4200\nmode = \"endpoint\"\npublic_key = \"{}\"\n",
            hex::encode(key.verifying_key().as_bytes())
        ),
    )
    .expect("config");
    let log = std::fs::File::create(w.file("stderr.log")).expect("log file");
    let mut cmd = w.cmd(&["serve"]);
    cmd.env("IODAO_WEB__BIND", "127.0.0.1:0").env("IODAO_DISCORD_TOKEN", TOKEN).env("RUST_LOG", "debug").stderr(log);
    let server = Server::spawn(cmd);

    let ping = r#"{"id":"1","application_id":"4200","type":1,"token":"t","version":1}"#;
    let ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs().to_string();
    let sig = hex::encode(key.sign(format!("{ts}{ping}").as_bytes()).to_bytes());
    let (status, body) = post(&server, &[("X-Signature-Ed25519", &sig), ("X-Signature-Timestamp", &ts)], ping);
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(answer["type"], 1, "{body}");
    let wrong = hex::encode(SigningKey::from_bytes(&[8; 32]).sign(format!("{ts}{ping}").as_bytes()).to_bytes());
    assert_eq!(post(&server, &[("X-Signature-Ed25519", &wrong), ("X-Signature-Timestamp", &ts)], ping).0, 401);
    assert_eq!(post(&server, &[], ping).0, 401);
    drop(server);
    let log = std::fs::read_to_string(w.file("stderr.log")).expect("log");
    assert!(log.contains("interactions endpoint"), "{log}");
    assert!(!log.contains(TOKEN) && !log.contains("must-not-be-logged"), "the token was logged:\n{log}");
}

#[test]
fn register_commands_says_what_is_missing() {
    let w = Workdir::new();
    assert!(w.fails(&["discord", "register-commands"]).contains("discord.application_id"));
    std::fs::write(w.file("iodao.toml"), "[discord]\napplication_id = 4200\n").expect("config");
    let e = w.fails(&["discord", "register-commands", "--guild", "77"]);
    assert!(e.contains("IODAO_DISCORD_TOKEN"), "{e}");
}

const APP: u64 = 4200;
const WAIT: Duration = Duration::from_secs(30);

#[derive(Clone)]
struct Rest {
    gateway: String,
    calls: mpsc::Sender<(String, String, Value)>,
}

/// Discord's REST API as far as the gateway client needs it: the gateway's
/// address, and interaction callbacks recorded as (method, path, body).
async fn rest(State(r): State<Rest>, method: axum::http::Method, uri: Uri, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let _ = r.calls.send((method.to_string(), path.clone(), body));
    if path == "/api/v10/gateway" {
        axum::Json(json!({ "url": r.gateway })).into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// One gateway session: HELLO, READY after IDENTIFY (whose token it
/// reports), an ACK per heartbeat, and right after READY the interaction
/// `/proposal id:1` from user 11.
async fn gateway(listener: tokio::net::TcpListener, identified: mpsc::Sender<Value>) {
    let (stream, _) = listener.accept().await.expect("a gateway connection");
    let mut ws = tokio_tungstenite::accept_async(stream).await.expect("websocket handshake");
    let text = |v: Value| Message::Text(v.to_string());
    ws.send(text(json!({ "op": 10, "d": { "heartbeat_interval": 45_000 } }))).await.expect("hello");
    while let Some(Ok(msg)) = ws.next().await {
        let Message::Text(t) = msg else { continue };
        let v: Value = serde_json::from_str(&t).expect("json");
        match v["op"].as_u64() {
            Some(1) => ws.send(text(json!({ "op": 11 }))).await.expect("ack"),
            Some(2) => {
                let _ = identified.send(v);
                let user = json!({ "id": "11", "username": "user11", "discriminator": "0", "global_name": null, "avatar": null });
                let ready = json!({
                    "v": 10, "guilds": [], "session_id": "s", "resume_gateway_url": "ws://127.0.0.1:9", "shard": [0, 1],
                    "user": { "id": APP.to_string(), "username": "iodao", "discriminator": "0", "global_name": null, "avatar": null, "bot": true },
                    "application": { "id": APP.to_string(), "flags": 0 },
                });
                ws.send(text(json!({ "op": 0, "s": 1, "t": "READY", "d": ready }))).await.expect("ready");
                let interaction = json!({
                    "id": "5001", "application_id": APP.to_string(), "type": 2, "token": "gateway-token-1", "version": 1,
                    "data": { "id": "1", "name": "proposal", "type": 1, "options": [{ "name": "id", "type": 4, "value": 1 }] },
                    "guild_id": "77", "channel_id": "880", "channel": { "id": "880", "type": 0 },
                    "member": { "user": user, "roles": [], "joined_at": "2026-01-01T00:00:00.000000+00:00", "deaf": false,
                        "mute": false, "flags": 0, "pending": false, "permissions": "2147483647" },
                    "app_permissions": "2147483647", "locale": "en-US", "guild_locale": "en-US", "entitlements": [],
                    "authorizing_integration_owners": { "0": "77" }, "context": 0, "attachment_size_limit": 10_485_760,
                });
                ws.send(text(json!({ "op": 0, "s": 2, "t": "INTERACTION_CREATE", "d": interaction })))
                    .await
                    .expect("dispatch");
            }
            _ => {}
        }
    }
}

/// Starts both stand-ins on their own runtime thread; returns the REST URL.
fn stand_ins(calls: mpsc::Sender<(String, String, Value)>, identified: mpsc::Sender<Value>) -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async move {
            let ws = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let gateway_url = format!("ws://{}", ws.local_addr().expect("addr"));
            tokio::spawn(gateway(ws, identified));
            let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
            tx.send(http.local_addr().expect("addr")).expect("send addr");
            let app = Router::new().fallback(rest).with_state(Rest { gateway: gateway_url, calls });
            axum::serve(http, app).await.expect("stand-in");
        });
    });
    format!("http://{}", rx.recv_timeout(WAIT).expect("stand-ins started"))
}

#[test]
fn serve_in_gateway_mode_answers_a_slash_command_from_the_gateway_over_rest() {
    let w = Workdir::new();
    std::fs::write(w.file("stake.csv"), format!("address,amount\n{},100\n", crate::payouts::ALICE)).expect("stake");
    w.ok(&[
        "proposal",
        "create",
        "--title",
        "Gateway",
        "--body",
        "Over the websocket.",
        "--author",
        crate::payouts::ALICE,
    ]);
    let (calls_tx, calls) = mpsc::channel();
    let (identified_tx, identified) = mpsc::channel();
    let url = stand_ins(calls_tx, identified_tx);
    std::fs::write(w.file("iodao.toml"), format!("[discord]\napplication_id = {APP}\napi_url = \"{url}/\"\n"))
        .expect("config");
    let log = std::fs::File::create(w.file("stderr.log")).expect("log file");
    let mut cmd = w.cmd(&["serve"]);
    cmd.env("IODAO_WEB__BIND", "127.0.0.1:0").env("IODAO_DISCORD_TOKEN", TOKEN).env("RUST_LOG", "debug").stderr(log);
    let mut server = Server::spawn(cmd);

    let (method, path, _) = calls.recv_timeout(WAIT).expect("the gateway's address asked");
    assert_eq!((method.as_str(), path.as_str()), ("GET", "/api/v10/gateway"));
    let identify = identified.recv_timeout(WAIT).expect("IDENTIFY");
    assert_eq!(identify["d"]["intents"], 1, "GUILDS only");
    let (method, path, body) = calls.recv_timeout(WAIT).expect("the interaction answered");
    assert_eq!((method.as_str(), path.as_str()), ("POST", "/api/v10/interactions/5001/gateway-token-1/callback"));
    assert_eq!(body["type"], 4, "{body}");
    assert_eq!(body["data"]["embeds"][0]["title"], "#1 Gateway", "{body}");
    assert_eq!(body["data"]["components"][0]["components"][0]["custom_id"], "v:1:1", "{body}");

    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "exit status {status}");
    let log = std::fs::read_to_string(w.file("stderr.log")).expect("log");
    assert!(log.contains("discord gateway connected"), "{log}");
    assert!(!log.contains("must-not-be-logged"), "the token was logged:\n{log}");
}
