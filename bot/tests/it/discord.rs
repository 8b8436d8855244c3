//! The Discord adapter end to end: interactions signed with a test Ed25519
//! key in Discord's wire format, posted to the real endpoint router on a
//! loopback port over a temporary SQLite store; deferred responses,
//! announcements and command registration go to a local stand-in of
//! Discord's REST API on 127.0.0.1 that records every request.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, Uri};
use chrono::Utc;
use ed25519_dalek::{Signer as _, SigningKey};
use iodao_bot::discord::Discord;
use iodao_core::{Actor, Amount, Body, Bps, Choices, Governance, NewProposal, Proposal, ProposalRules, Title};
use iodao_core::{CsvStakeSource, VoteSource, VotingMethod, Window};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::helpers::*;

pub(crate) const TOKEN: &str = "MTAwMA.test.discord-token-not-a-secret";
pub(crate) const APP: u64 = 4_200;
const GUILD: u64 = 77;
const CHANNEL: u64 = 880;
const WAIT: Duration = Duration::from_secs(15);

/// A request the stand-in received.
#[derive(Debug)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) path: String,
    auth: String,
    pub(crate) body: Value,
}

/// The stand-in REST API.
pub(crate) struct Rest {
    pub(crate) url: String,
    calls: mpsc::UnboundedReceiver<Call>,
    refuse_edits: Arc<AtomicUsize>,
    gateway: Arc<std::sync::Mutex<String>>,
}

fn message_json(channel: &str) -> Value {
    json!({
        "id": "9001", "channel_id": channel, "content": "", "timestamp": "2026-12-01T00:00:00.000000+00:00",
        "edited_timestamp": null, "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0, "components": [],
        "author": { "id": APP.to_string(), "username": "iodao", "discriminator": "0", "global_name": null, "avatar": null, "bot": true },
    })
}

#[derive(Clone)]
struct RestState {
    calls: mpsc::UnboundedSender<Call>,
    /// Answer this many edits of an original response with Discord's 404
    /// "Unknown Webhook" before accepting one.
    refuse_edits: Arc<AtomicUsize>,
    /// What `GET /gateway` names as the gateway's address.
    gateway: Arc<std::sync::Mutex<String>>,
}

async fn rest(
    State(state): State<RestState>,
    method: Method,
    uri: Uri,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let path = uri.path().to_owned();
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let refuse = path.ends_with("/messages/@original")
        && state.refuse_edits.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if path.ends_with("/callback") {
        let _ = state.calls.send(Call { method, path, auth, body });
        return axum::http::StatusCode::NO_CONTENT.into_response();
    }
    let answer = if path.ends_with("/gateway") {
        json!({ "url": *state.gateway.lock().expect("gateway") })
    } else if path.ends_with("/commands") {
        // Bulk overwrite: echo the commands as Discord stores them.
        let mut cmds = body.as_array().cloned().unwrap_or_default();
        for (i, c) in cmds.iter_mut().enumerate() {
            c["id"] = json!((1000 + i).to_string());
            c["application_id"] = json!(APP.to_string());
            c["version"] = json!("1");
            c["type"] = json!(1);
        }
        Value::Array(cmds)
    } else {
        let channel = path.split('/').nth(4).unwrap_or("1").to_owned();
        message_json(&channel)
    };
    let _ = state.calls.send(Call { method, path, auth, body });
    if refuse {
        let unknown = json!({ "message": "Unknown Webhook", "code": 10015 });
        return (axum::http::StatusCode::NOT_FOUND, axum::Json(unknown)).into_response();
    }
    axum::Json(answer).into_response()
}

impl Rest {
    pub(crate) async fn start() -> Self {
        let (tx, calls) = mpsc::unbounded_channel();
        let refuse_edits = Arc::new(AtomicUsize::new(0));
        let gateway = Arc::new(std::sync::Mutex::new("wss://gateway.invalid".to_owned()));
        let state = RestState { calls: tx, refuse_edits: refuse_edits.clone(), gateway: gateway.clone() };
        let app = Router::new().fallback(rest).with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("stand-in") });
        Self { url, calls, refuse_edits, gateway }
    }

    /// Names `url` as the gateway's address from now on.
    pub(crate) fn set_gateway(&self, url: &str) {
        url.clone_into(&mut self.gateway.lock().expect("gateway"));
    }

    pub(crate) async fn next(&mut self) -> Call {
        tokio::time::timeout(WAIT, self.calls.recv()).await.expect("a REST call in time").expect("stand-in running")
    }

    pub(crate) fn nothing_more(&mut self) {
        assert!(self.calls.try_recv().is_err(), "no further REST call");
    }
}

/// The endpoint under test.
struct Endpoint {
    addr: SocketAddr,
    key: SigningKey,
    next_id: u64,
}

impl Endpoint {
    async fn start(discord: &Discord) -> Self {
        let key = SigningKey::from_bytes(&[7; 32]);
        let public = hex(key.verifying_key().as_bytes());
        let router = discord.endpoint_router(&public).expect("router");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, router).await.expect("endpoint") });
        Self { addr, key, next_id: 0 }
    }

    /// Posts `body` signed with `key` (headers as Discord sends them); the
    /// status and the JSON answer.
    async fn post_signed(&self, key: &SigningKey, body: &str) -> (u16, Value) {
        let ts = Utc::now().timestamp().to_string();
        let sig = hex(&key.sign(format!("{ts}{body}").as_bytes()).to_bytes());
        self.post(&[("X-Signature-Ed25519", &sig), ("X-Signature-Timestamp", &ts)], body).await
    }

    async fn post(&self, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let extra: String = headers.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
        let req = format!(
            "POST /discord/interactions HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        let mut s = tokio::net::TcpStream::connect(self.addr).await.expect("connect");
        s.write_all(req.as_bytes()).await.expect("write");
        let mut out = String::new();
        tokio::time::timeout(WAIT, s.read_to_string(&mut out)).await.expect("answer in time").expect("read");
        let status = out.get(9..12).and_then(|s| s.parse().ok()).expect("status");
        let body = out.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())))
    }

    /// An interaction of `kind` with `data` from Discord user `user` in the guild.
    async fn send(&mut self, kind: u8, user: u64, data: Value, message: Option<Value>) -> Value {
        let body = self.payload(kind, user, data, message);
        let (status, answer) = self.post_signed(&self.key.clone(), &body).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    fn payload(&mut self, kind: u8, user: u64, data: Value, message: Option<Value>) -> String {
        self.next_id += 1;
        let mut p = interaction_json(self.next_id, kind, user, data);
        if let Some(m) = message {
            p["message"] = m;
        }
        p.to_string()
    }

    /// `/name` with these options (type 2).
    async fn command(&mut self, user: u64, name: &str, options: Value) -> Value {
        let data = json!({ "id": "1", "name": name, "type": 1, "options": options });
        self.send(2, user, data, None).await
    }

    /// Presses the button (or chooses in the menu) `custom_id` (type 3).
    async fn component(&mut self, user: u64, custom_id: &str, values: Option<Vec<&str>>) -> Value {
        let data = match &values {
            Some(v) => json!({ "custom_id": custom_id, "component_type": 3, "values": v }),
            None => json!({ "custom_id": custom_id, "component_type": 2 }),
        };
        self.send(3, user, data, Some(message_json(&CHANNEL.to_string()))).await
    }
}

/// Interaction number `n` of `kind` with `data` from Discord user `user` in
/// the guild, in Discord's wire format (id 5000 + n, token
/// `interaction-token-{n}`); a PING when `kind` is 1.
pub(crate) fn interaction_json(n: u64, kind: u8, user: u64, data: Value) -> Value {
    if kind == 1 {
        return json!({ "id": "1", "application_id": APP.to_string(), "type": 1, "token": "t", "version": 1 });
    }
    json!({
        "id": (5000 + n).to_string(),
        "application_id": APP.to_string(),
        "type": kind,
        "data": data,
        "guild_id": GUILD.to_string(),
        "channel_id": CHANNEL.to_string(),
        "channel": { "id": CHANNEL.to_string(), "type": 0 },
        "member": {
            "user": { "id": user.to_string(), "username": format!("user{user}"), "discriminator": "0", "global_name": null, "avatar": null },
            "roles": [], "joined_at": "2026-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false,
            "flags": 0, "pending": false, "permissions": "2147483647"
        },
        "token": format!("interaction-token-{n}"),
        "version": 1,
        "app_permissions": "2147483647",
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": { "0": GUILD.to_string() },
        "context": 0,
        "attachment_size_limit": 10_485_760,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn opt(name: &str, kind: u8, value: Value) -> Value {
    json!({ "name": name, "type": kind, "value": value })
}

/// The embed of an immediate (type 4) answer.
fn embed(answer: &Value) -> &Value {
    assert_eq!(answer["type"], 4, "{answer}");
    &answer["data"]["embeds"][0]
}

pub(crate) fn text(embed: &Value) -> String {
    let mut out = vec![embed["title"].as_str().unwrap_or_default().to_owned()];
    out.push(embed["description"].as_str().unwrap_or_default().to_owned());
    for f in embed["fields"].as_array().into_iter().flatten() {
        out.push(format!("{}: {}", f["name"].as_str().unwrap_or_default(), f["value"].as_str().unwrap_or_default()));
    }
    out.join("\n")
}

fn ephemeral(answer: &Value) -> bool {
    answer["data"]["flags"].as_u64().is_some_and(|f| f & 64 != 0)
}

/// Links Discord user `user` to the wallet of `seed` (real challenge, real signature).
pub(crate) async fn link(b: &TestBot, user: u64, seed: u8) {
    let w = wallet(seed);
    let account = iodao_core::ChatAccount::new(iodao_core::Platform::Discord, user);
    let c = b.links.challenge(&account, address(&w), Utc::now()).await.expect("challenge");
    b.links.verify(&c.message, &sign(&w, &c.message), Utc::now()).await.expect("verify");
}

/// A proposal open now.
pub(crate) async fn open(b: &TestBot, title: &str, choices: &[&str], method: VotingMethod) -> Proposal {
    let now = Utc::now();
    b.proposal_with(title, choices, method, now - chrono::Duration::minutes(1), now + chrono::Duration::hours(1), now)
        .await
}

async fn setup() -> (TestBot, Rest, Endpoint) {
    let b = TestBot::new().await;
    let rest = Rest::start().await;
    let d = Discord::new(TOKEN, APP, b.commands.clone()).with_api_url(&rest.url);
    let e = Endpoint::start(&d).await;
    (b, rest, e)
}

#[tokio::test]
async fn a_ping_gets_a_pong_and_a_bad_signature_gets_401_and_changes_nothing() {
    let (b, mut rest, mut e) = setup().await;
    let ping = e.payload(1, 0, Value::Null, None);
    let (status, answer) = e.post_signed(&e.key.clone(), &ping).await;
    assert_eq!((status, &answer["type"]), (200, &json!(1)), "a PONG: {answer}");

    let p = open(&b, "Fund devices", &["For", "Against"], VotingMethod::SingleChoice).await;
    link(&b, 11, ALICE).await;
    let vote = e.payload(
        2,
        11,
        json!({ "id": "1", "name": "vote", "type": 1, "options": [opt("id", 4, json!(p.id.get())), opt("choice", 3, json!("For"))] }),
        None,
    );
    // Signed by another key, or over another body, or without headers: 401.
    let stranger = SigningKey::from_bytes(&[8; 32]);
    assert_eq!(e.post_signed(&stranger, &vote).await.0, 401);
    let ts = Utc::now().timestamp().to_string();
    let sig = hex(&e.key.sign(format!("{ts}{{}}").as_bytes()).to_bytes());
    assert_eq!(e.post(&[("X-Signature-Ed25519", &sig), ("X-Signature-Timestamp", &ts)], &vote).await.0, 401);
    assert_eq!(e.post(&[], &vote).await.0, 401);
    // Correctly signed but an hour old: a replay, 401.
    let old = (Utc::now().timestamp() - 3600).to_string();
    let sig = hex(&e.key.sign(format!("{old}{vote}").as_bytes()).to_bytes());
    assert_eq!(e.post(&[("X-Signature-Ed25519", &sig), ("X-Signature-Timestamp", &old)], &vote).await.0, 401);
    assert!(b.gov.votes(p.id, 10, 0).await.unwrap().is_empty(), "nothing was counted");
    rest.nothing_more();
}

#[tokio::test]
async fn slash_commands_vote_and_a_second_vote_replaces_the_first() {
    let (b, _rest, mut e) = setup().await;
    let p = open(&b, "Fund <devices> & **more**", &["For", "Against", "Abstain"], VotingMethod::SingleChoice).await;
    let id = p.id.get();

    // Not linked: told how to link, nothing stored.
    let a = e.command(11, "vote", json!([opt("id", 4, json!(id)), opt("choice", 3, json!("For"))])).await;
    assert!(ephemeral(&a));
    let t = text(embed(&a));
    assert!(t.contains("discord:11 is not linked") && t.contains("/link wallet address:"), "{t}");

    link(&b, 11, ALICE).await;
    let a = e.command(11, "vote", json!([opt("id", 4, json!(id)), opt("choice", 3, json!("For"))])).await;
    assert!(ephemeral(&a), "a vote's confirmation is private");
    let t = text(embed(&a));
    assert!(t.contains("Vote recorded") && t.contains("For, with 100 IOTX at block 4242"), "{t}");
    let a = e.command(11, "vote", json!([opt("id", 4, json!(id)), opt("choice", 3, json!("2"))])).await;
    assert!(text(embed(&a)).contains("replaces your vote For"));
    let votes = b.gov.votes(p.id, 10, 0).await.unwrap();
    assert_eq!(votes.len(), 1);
    assert_eq!(votes[0].source, VoteSource::Discord);
    assert_eq!(votes[0].selection.describe(&p.choices, p.method), "Against");

    // Unknown proposal, bad choice, no power: refusals, nothing changes.
    let a = e.command(11, "vote", json!([opt("id", 4, json!(99)), opt("choice", 3, json!("For"))])).await;
    assert!(text(embed(&a)).contains("proposal #99 does not exist"));
    let a = e.command(11, "vote", json!([opt("id", 4, json!(id)), opt("choice", 3, json!("Maybe"))])).await;
    assert!(text(embed(&a)).contains("\\`Maybe\\` is not a choice"));
    link(&b, 19, ZED).await;
    let a = e.command(19, "vote", json!([opt("id", 4, json!(id)), opt("choice", 3, json!("For"))])).await;
    assert!(text(embed(&a)).contains("had no voting power at block 4242"));
    assert_eq!(b.gov.votes(p.id, 10, 0).await.unwrap().len(), 1);

    // The proposal, public, with one Vote button per choice; user text escaped.
    let a = e.command(12, "proposal", json!([opt("id", 4, json!(id))])).await;
    assert!(!ephemeral(&a));
    let em = embed(&a);
    assert_eq!(em["title"], format!("#{id} Fund \\<devices\\> & \\*\\*more\\*\\*"));
    let buttons = &a["data"]["components"][0]["components"];
    assert_eq!(buttons.as_array().unwrap().len(), 3);
    assert_eq!(buttons[1]["label"], "Against");
    assert_eq!(buttons[1]["custom_id"], format!("v:{id}:2"));
    let a = e.command(12, "proposals", json!([])).await;
    assert!(text(embed(&a)).contains("Against 100 IOTX (100.00%)"), "{}", text(embed(&a)));
}

#[tokio::test]
async fn buttons_and_the_approval_menu_vote_and_weighted_votes_are_checked() {
    let (b, _rest, mut e) = setup().await;
    link(&b, 11, ALICE).await;
    let single = open(&b, "One", &["For", "Against"], VotingMethod::SingleChoice).await;
    let approval = open(&b, "Pick", &["Solar", "Wind", "Rain"], VotingMethod::Approval).await;
    let weighted = open(&b, "Split", &["A", "B"], VotingMethod::Weighted).await;

    let a = e.component(11, &format!("v:{}:1", single.id.get()), None).await;
    assert!(ephemeral(&a));
    assert!(text(embed(&a)).contains("For, with 100 IOTX"));
    assert_eq!(b.gov.votes(single.id, 10, 0).await.unwrap().len(), 1);

    let a = e.command(12, "proposal", json!([opt("id", 4, json!(approval.id.get()))])).await;
    let menu = &a["data"]["components"][0]["components"][0];
    assert_eq!(menu["type"], 3);
    let custom = menu["custom_id"].as_str().unwrap().to_owned();
    let a = e.component(11, &custom, Some(vec!["1", "3"])).await;
    assert!(text(embed(&a)).contains("Solar, Rain"), "{}", text(embed(&a)));
    let votes = b.gov.votes(approval.id, 10, 0).await.unwrap();
    assert_eq!(votes[0].selection.describe(&approval.choices, approval.method), "Solar, Rain");

    // Weighted: /vote id: weights:, over 100 % and malformed refused.
    let w = weighted.id.get();
    let a = e.command(12, "proposal", json!([opt("id", 4, json!(w))])).await;
    assert!(text(embed(&a)).contains(&format!("/vote id:{w} weights: followed by")), "{}", text(embed(&a)));
    let a = e.command(11, "vote", json!([opt("id", 4, json!(w)), opt("weights", 3, json!("1=60 2=50"))])).await;
    assert!(text(embed(&a)).contains("110.00%, more than 100%"));
    let a = e.command(11, "vote", json!([opt("id", 4, json!(w)), opt("weights", 3, json!("1:60"))])).await;
    assert!(text(embed(&a)).contains("is not a choice=percent pair"));
    assert!(b.gov.votes(weighted.id, 10, 0).await.unwrap().is_empty());
    let a = e.command(11, "vote", json!([opt("id", 4, json!(w)), opt("weights", 3, json!("1=60 2=40"))])).await;
    assert!(text(embed(&a)).contains("A 60%, B 40%"));
    // A button of something else.
    let a = e.component(11, "garbage", None).await;
    assert!(text(embed(&a)).contains("not one of mine"));
}

#[tokio::test]
async fn a_closed_window_is_refused() {
    let (b, _rest, mut e) = setup().await;
    link(&b, 11, ALICE).await;
    let now = Utc::now();
    let p = b
        .proposal_with(
            "Past",
            &["For", "Against"],
            VotingMethod::SingleChoice,
            now - chrono::Duration::hours(2),
            now - chrono::Duration::hours(1),
            now - chrono::Duration::hours(2),
        )
        .await;
    let a = e.command(11, "vote", json!([opt("id", 4, json!(p.id.get())), opt("choice", 3, json!("For"))])).await;
    assert!(text(embed(&a)).contains("closed at"), "{}", text(embed(&a)));
    assert!(b.gov.votes(p.id, 10, 0).await.unwrap().is_empty());
}

#[tokio::test]
async fn link_allocate_with_autocomplete_allocation_power_and_epoch() {
    let (b, _rest, mut e) = setup().await;
    b.recipients().await;
    let w = wallet(BOB);
    let a = e
        .command(
            21,
            "link",
            json!([{ "name": "wallet", "type": 1, "options": [opt("address", 3, json!(address(&w).to_io()))] }]),
        )
        .await;
    assert!(ephemeral(&a));
    let em = embed(&a);
    let d = em["description"].as_str().unwrap();
    assert!(d.contains("](https://dao.example.org/link/"), "{d}");
    assert!(d.contains("/link verify signature:"), "{d}");
    let message = d.split("```\n").nth(1).and_then(|m| m.split("\n```").next()).expect("the SIWE text").to_owned();
    assert!(message.starts_with("dao.example.org wants you to sign in"), "{message}");
    let verify = |sig: String| json!([{ "name": "verify", "type": 1, "options": [opt("signature", 3, json!(sig))] }]);
    let a = e.command(21, "link", verify(sign(&wallet(ALICE), &message))).await;
    assert!(text(embed(&a)).contains("not by"));
    let a = e.command(21, "link", verify(sign(&w, &message))).await;
    assert!(text(embed(&a)).contains(&format!("You now vote with {}", address(&w))), "{}", text(embed(&a)));

    // Autocomplete (type 4) of the weights being typed.
    let data = json!({ "id": "1", "name": "allocate", "type": 1, "options": [
        { "name": "weights", "type": 3, "value": "solar-farms=60 we", "focused": true }
    ]});
    let a = e.send(4, 21, data, None).await;
    assert_eq!(
        a,
        json!({ "type": 8, "data": { "choices": [
            { "name": "solar-farms=60 weather-dapp=", "value": "solar-farms=60 weather-dapp=" }
        ]}})
    );

    let a = e.command(21, "allocate", json!([opt("weights", 3, json!("solar-farms=60 weather-dapp=50"))])).await;
    assert!(text(embed(&a)).contains("110.00%, more than 100%"));
    let a = e.command(21, "allocate", json!([opt("weights", 3, json!("solar-farms:60"))])).await;
    assert!(text(embed(&a)).contains("is not a recipient=percent pair"));
    assert!(b.allocations.of(address(&w)).await.unwrap().is_empty(), "refusals change nothing");
    let a = e.command(21, "allocate", json!([opt("weights", 3, json!("solar-farms=60 weather-dapp=40"))])).await;
    assert!(ephemeral(&a));
    assert!(text(embed(&a)).contains("solar-farms 60.00%, weather-dapp 40.00%"));
    let a = e.command(21, "allocation", json!([])).await;
    assert!(text(embed(&a)).contains("solar-farms 60.00%"));
    let a = e.command(21, "power", json!([])).await;
    assert!(text(embed(&a)).contains("Now (block 4242): 60 IOTX"), "{}", text(embed(&a)));
    let a = e.command(21, "epoch", json!([])).await;
    assert!(!ephemeral(&a));
    assert!(text(embed(&a)).contains("Budget per epoch: 1000 IOTX"));
    let a = e.command(21, "help", json!([])).await;
    assert!(text(embed(&a)).contains("/vote id: weights:"));
}

#[tokio::test]
async fn propose_opens_a_modal_whose_submission_creates_the_proposal() {
    let (b, _rest, mut e) = setup().await;
    let a = e.command(31, "propose", json!([])).await;
    assert!(text(embed(&a)).contains("is not linked"), "an unlinked user gets no modal");
    link(&b, 31, ALICE).await;
    let a = e.command(31, "propose", json!([])).await;
    assert_eq!(a["type"], 9, "a modal: {a}");
    assert_eq!(a["data"]["custom_id"], "propose");
    let ids: Vec<&str> = a["data"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["components"][0]["custom_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["title", "body", "choices"]);

    let submit = |title: &str, body: &str, choices: &str| {
        let input =
            |id: &str, v: &str| json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": v }] });
        json!({ "custom_id": "propose", "components": [input("title", title), input("body", body), input("choices", choices)] })
    };
    let a = e.send(5, 31, submit("A title", "A body", "Only one"), None).await;
    assert!(text(embed(&a)).contains("2 to 20 choices"), "{}", text(embed(&a)));
    let a = e.send(5, 31, submit("Fund <b>solar</b>", "Panels for every rooftop.", "Yes\nNo\nAbstain"), None).await;
    assert!(ephemeral(&a));
    let t = text(embed(&a));
    assert!(t.contains("Proposal #1 created") && t.contains("/proposal id:1"), "{t}");
    let p = b.gov.proposal(iodao_core::ProposalId::parse("1").unwrap()).await.unwrap();
    assert_eq!(p.title.as_str(), "Fund <b>solar</b>");
    assert_eq!(p.choices.labels().collect::<Vec<_>>(), ["Yes", "No", "Abstain"]);
    assert_eq!(p.author, address(&wallet(ALICE)));
}

#[tokio::test]
async fn an_author_below_the_proposal_threshold_is_refused() {
    let b = TestBot::new().await;
    let stake = Arc::new(
        CsvStakeSource::from_entries([
            (address(&wallet(ALICE)), Amount::from_iotx(100)),
            (address(&wallet(BOB)), Amount::from_iotx(60)),
        ])
        .at_block(4242),
    );
    let rules = ProposalRules { proposal_threshold: Amount::from_iotx(80), ..ProposalRules::default() };
    let gov = Governance::new(b.gov.store().clone(), stake.clone()).with_rules(rules);
    let commands =
        iodao_bot::Commands::new(gov, b.links.clone(), b.allocations.clone(), b.epochs.clone(), stake.clone());
    let rest = Rest::start().await;
    let mut e = Endpoint::start(&Discord::new(TOKEN, APP, commands).with_api_url(&rest.url)).await;
    link(&b, 41, BOB).await;
    let input = |id: &str, v: &str| json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": v }] });
    let data = json!({ "custom_id": "propose", "components": [input("title", "T"), input("body", "B"), input("choices", "")] });
    let a = e.send(5, 41, data, None).await;
    let t = text(embed(&a));
    assert!(t.contains("has 60 IOTX of voting power") && t.contains("proposing needs at least 80 IOTX"), "{t}");
    assert!(b.gov.proposals(Default::default()).await.unwrap().is_empty(), "nothing was created");
}

#[tokio::test]
async fn a_slow_vote_is_deferred_and_the_answer_edited_in() {
    let b = TestBot::new().await;
    let mut rest = Rest::start().await;
    let d = Discord::new(TOKEN, APP, b.commands.clone()).with_api_url(&rest.url).with_deadline(Duration::ZERO);
    let mut e = Endpoint::start(&d).await;
    let p = open(&b, "Slow", &["For", "Against"], VotingMethod::SingleChoice).await;
    link(&b, 11, ALICE).await;
    let a = e.command(11, "vote", json!([opt("id", 4, json!(p.id.get())), opt("choice", 3, json!("For"))])).await;
    assert_eq!((&a["type"], &a["data"]["flags"]), (&json!(5), &json!(64)), "deferred, ephemeral: {a}");
    let call = rest.next().await;
    assert_eq!(call.method, Method::PATCH);
    assert_eq!(call.path, format!("/api/v10/webhooks/{APP}/interaction-token-1/messages/@original"));
    assert!(text(&call.body["embeds"][0]).contains("For, with 100 IOTX at block 4242"), "{}", call.body);
    assert_eq!(b.gov.votes(p.id, 10, 0).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_deferred_edit_that_discord_does_not_know_yet_is_tried_again() {
    let b = TestBot::new().await;
    let mut rest = Rest::start().await;
    rest.refuse_edits.store(1, Ordering::SeqCst);
    let d = Discord::new(TOKEN, APP, b.commands.clone()).with_api_url(&rest.url).with_deadline(Duration::ZERO);
    let mut e = Endpoint::start(&d).await;
    link(&b, 11, ALICE).await;
    let a = e.command(11, "power", json!([])).await;
    assert_eq!(a["type"], 5, "{a}");
    let first = rest.next().await;
    let second = rest.next().await;
    assert_eq!(first.path, second.path);
    assert_eq!(first.body, second.body, "the same edit, sent again");
    assert!(text(&second.body["embeds"][0]).contains("Now (block 4242): 100 IOTX"), "{}", second.body);
}

#[tokio::test]
async fn votes_past_the_cooldown_are_refused_and_not_counted() {
    let b = TestBot::new().await;
    let rest = Rest::start().await;
    let d = Discord::new(TOKEN, APP, b.commands.clone())
        .with_api_url(&rest.url)
        .with_vote_cooldown(NonZeroU32::new(2).unwrap(), Duration::from_secs(600));
    let mut e = Endpoint::start(&d).await;
    let p = open(&b, "Spam", &["For", "Against"], VotingMethod::SingleChoice).await;
    link(&b, 11, ALICE).await;
    let id = p.id.get();
    e.component(11, &format!("v:{id}:1"), None).await;
    e.command(11, "vote", json!([opt("id", 4, json!(id)), opt("choice", 3, json!("Against"))])).await;
    let a = e.component(11, &format!("v:{id}:1"), None).await;
    assert!(text(embed(&a)).contains("voting too fast"), "{}", text(embed(&a)));
    let votes = b.gov.votes(p.id, 10, 0).await.unwrap();
    assert_eq!(votes[0].selection.describe(&p.choices, p.method), "Against", "the third vote was not counted");
    // Reading is not limited.
    let a = e.command(11, "proposal", json!([opt("id", 4, json!(id))])).await;
    assert!(!ephemeral(&a));
}

#[tokio::test]
async fn announcements_post_embeds_to_every_configured_channel() {
    let b = TestBot::new().await;
    let mut rest = Rest::start().await;
    let d = Discord::new(TOKEN, APP, b.commands.clone()).with_api_url(&rest.url).with_announce_channels(vec![111, 222]);
    let announcer = iodao_bot::Announcer::new(b.commands.clone()).with_sink(Arc::new(d));

    let now = Utc::now();
    let p = b
        .gov
        .create_proposal(
            NewProposal {
                title: Title::parse("Fund _wind_").unwrap(),
                body: Body::parse("Turbines.").unwrap(),
                author: address(&wallet(ALICE)),
                choices: Choices::parse(["For", "Against"]).unwrap(),
                method: VotingMethod::SingleChoice,
                window: Window::new(now - chrono::Duration::minutes(1), now + chrono::Duration::hours(1)).unwrap(),
                quorum: Amount::from_iotx(10),
                threshold: Bps::new(5000).unwrap(),
            },
            &Actor::Cli,
            now,
        )
        .await
        .unwrap();
    announcer.announce(&iodao_bot::Event::ProposalOpened(p.id)).await;
    for channel in [111, 222] {
        let call = rest.next().await;
        assert_eq!(call.method, Method::POST);
        assert_eq!(call.path, format!("/api/v10/channels/{channel}/messages"));
        assert_eq!(call.auth, format!("Bot {TOKEN}"));
        let em = &call.body["embeds"][0];
        assert_eq!(em["title"], format!("Voting opened: #{} Fund \\_wind\\_", p.id.get()));
        assert_eq!(call.body["components"][0]["components"][0]["custom_id"], format!("v:{}:1", p.id.get()));
        assert_eq!(call.body["allowed_mentions"]["parse"], json!([]));
    }

    link(&b, 11, ALICE).await;
    b.gov
        .cast_chat_vote(&iodao_core::ChatAccount::new(iodao_core::Platform::Discord, 11), p.id, "For", now)
        .await
        .unwrap();
    b.gov.advance(now + chrono::Duration::hours(2)).await.unwrap();
    announcer.announce(&iodao_bot::Event::ProposalClosed(p.id)).await;
    for _ in 0..2 {
        let call = rest.next().await;
        let em = &call.body["embeds"][0];
        assert_eq!(em["title"], format!("Voting closed: #{} Fund \\_wind\\_ (passed)", p.id.get()));
        assert!(call.body["components"].as_array().is_none_or(Vec::is_empty), "no buttons on a closed vote");
    }

    b.recipients().await;
    b.allocations.set(address(&wallet(ALICE)), "solar-farms=100", now).await.unwrap();
    // Epoch slots are whole seconds (cron).
    let slot = chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap();
    b.epochs.run(slot, slot).await.unwrap();
    announcer.announce(&iodao_bot::Event::EpochExecuted(1, vec!["https://iotexscan.io/tx/0xab".into()])).await;
    for _ in 0..2 {
        let call = rest.next().await;
        let em = &call.body["embeds"][0];
        let t = text(em);
        assert!(t.starts_with("Epoch 1 executed"), "{t}");
        assert!(t.contains("solar\\-farms: 1000 IOTX") || t.contains("solar-farms: 1000 IOTX"), "{t}");
        assert!(t.contains("Transaction 1") && t.contains("https://iotexscan.io/tx/0xab"), "{t}");
    }
    rest.nothing_more();
}

#[tokio::test]
async fn register_commands_overwrites_the_global_or_guild_set() {
    let b = TestBot::new().await;
    let mut rest = Rest::start().await;
    let d = Discord::new(TOKEN, APP, b.commands.clone()).with_api_url(&rest.url);
    let n = d.register_commands(Some(GUILD)).await.expect("registered");
    let call = rest.next().await;
    assert_eq!(call.method, Method::PUT);
    assert_eq!(call.path, format!("/api/v10/applications/{APP}/guilds/{GUILD}/commands"));
    assert_eq!(call.body.as_array().unwrap().len(), n);
    let names: Vec<&str> = call.body.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"vote") && names.contains(&"propose") && names.contains(&"allocate"), "{names:?}");
    d.register_commands(None).await.expect("registered");
    assert_eq!(rest.next().await.path, format!("/api/v10/applications/{APP}/commands"));
}
