//! The Telegram adapter end to end: the real teloxide dispatcher against a
//! local stand-in of the Bot API on 127.0.0.1 that serves `getUpdates` with
//! real-format updates and records what the bot sends.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;
use chrono::Utc;
use iodao_bot::telegram::{Running, Telegram};
use iodao_core::{VoteSource, VotingMethod};
use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

use crate::helpers::*;

pub(crate) const TOKEN: &str = "123456:TEST-token_not-a-secret";
pub(crate) const GROUP: i64 = -1001;
const WAIT: Duration = Duration::from_secs(15);
/// A user who never opened a private chat with the bot: Telegram refuses
/// to let the bot message them first.
const NEVER_STARTED: i64 = 8;

#[derive(Default)]
struct Queue {
    updates: VecDeque<Value>,
    next_id: i64,
}

#[derive(Clone)]
struct Api {
    queue: Arc<Mutex<Queue>>,
    arrived: Arc<Notify>,
    calls: mpsc::UnboundedSender<(String, Value)>,
}

/// The stand-in Bot API and the calls it recorded.
pub(crate) struct StandIn {
    pub(crate) url: String,
    api: Api,
    calls: mpsc::UnboundedReceiver<(String, Value)>,
}

impl StandIn {
    pub(crate) async fn start() -> Self {
        let (tx, calls) = mpsc::unbounded_channel();
        let api = Api { queue: Arc::default(), arrived: Arc::new(Notify::new()), calls: tx };
        let app = Router::new().route("/{bot}/{method}", post(method)).with_state(api.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("stand-in server") });
        Self { url, api, calls }
    }

    /// Queues an update (its `update_id` is assigned here).
    fn push(&self, mut update: Value) {
        let mut q = self.api.queue.lock().expect("queue");
        q.next_id += 1;
        update["update_id"] = json!(q.next_id);
        q.updates.push_back(update);
        drop(q);
        self.api.arrived.notify_waiters();
    }

    /// A text message from `user` in `chat` (a private chat when equal),
    /// with a `bot_command` entity when it starts with `/`.
    fn message(&self, user: u64, chat: i64, text: &str) {
        let entities = if text.starts_with('/') {
            let len = text.split_whitespace().next().unwrap_or_default().encode_utf16().count();
            json!([{ "type": "bot_command", "offset": 0, "length": len }])
        } else {
            json!([])
        };
        self.push(json!({
            "message": {
                "message_id": 1,
                "date": Utc::now().timestamp(),
                "chat": chat_json(chat),
                "from": { "id": user, "is_bot": false, "first_name": "Tester", "username": format!("user{user}") },
                "text": text,
                "entities": entities,
            }
        }));
    }

    /// `user` presses the button carrying `data` under `message` (as the
    /// bot sent it, echoed back by the stand-in).
    fn press(&self, user: u64, message: &Value, data: &str) {
        self.push(json!({
            "callback_query": {
                "id": format!("cb{}", data.len()),
                "from": { "id": user, "is_bot": false, "first_name": "Tester" },
                "message": message,
                "chat_instance": "42",
                "data": data,
            }
        }));
    }

    /// The next recorded call; it must be `method`.
    pub(crate) async fn next(&mut self, method: &str) -> Value {
        let (m, body) = tokio::time::timeout(WAIT, self.calls.recv())
            .await
            .unwrap_or_else(|_| panic!("no {method} within {WAIT:?}"))
            .expect("stand-in running");
        assert_eq!(m, method, "{body}");
        body
    }

    /// Starts a bot over `b`'s services against this stand-in.
    async fn bot(&self, b: &TestBot) -> Running {
        let tg = Telegram::new(TOKEN, b.commands.clone()).with_api_url(&self.url).expect("url");
        tg.start_polling().await.expect("start polling")
    }
}

fn chat_json(chat: i64) -> Value {
    if chat > 0 {
        json!({ "id": chat, "type": "private", "first_name": "Tester" })
    } else {
        json!({ "id": chat, "type": "group", "title": "DAO" })
    }
}

fn bot_user() -> Value {
    json!({ "id": 1000, "is_bot": true, "first_name": "iodao", "username": "iodao_bot" })
}

/// Every Bot API method the adapter calls, answered as Telegram would.
async fn method(State(api): State<Api>, Path((bot, name)): Path<(String, String)>, body: Bytes) -> axum::Json<Value> {
    assert_eq!(bot, format!("bot{TOKEN}"));
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // Method names are case-insensitive; teloxide sends them capitalised.
    let name = name.to_ascii_lowercase();
    let result = match name.as_str() {
        "getme" => {
            let mut me = bot_user();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(false);
            me["supports_inline_queries"] = json!(false);
            me["can_connect_to_business"] = json!(false);
            me["has_main_web_app"] = json!(false);
            me
        }
        "getwebhookinfo" => json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 }),
        "getupdates" => return axum::Json(json!({ "ok": true, "result": updates(&api, &body).await })),
        "sendmessage" | "editmessagereplymarkup" => {
            let chat = body["chat_id"].as_i64().expect("chat id");
            if chat == NEVER_STARTED {
                let _ = api.calls.send((format!("{name} refused"), body));
                return axum::Json(json!({
                    "ok": false, "error_code": 403,
                    "description": "Forbidden: bot can't initiate conversation with a user",
                }));
            }
            let mut m = json!({
                "message_id": 77,
                "date": Utc::now().timestamp(),
                "chat": chat_json(chat),
                "from": bot_user(),
                "text": body.get("text").cloned().unwrap_or(json!("")),
            });
            if let Some(markup) = body.get("reply_markup") {
                m["reply_markup"] = markup.clone();
            }
            let _ = api.calls.send((name.clone(), body));
            return axum::Json(json!({ "ok": true, "result": m }));
        }
        _ => {
            let _ = api.calls.send((name.clone(), body));
            json!(true)
        }
    };
    axum::Json(json!({ "ok": true, "result": result }))
}

/// Telegram's long poll: forgets updates below `offset`, answers at once
/// when some are waiting, otherwise when one arrives or `timeout` passes.
async fn updates(api: &Api, body: &Value) -> Value {
    let offset = body["offset"].as_i64().unwrap_or(0);
    let timeout = Duration::from_secs(body["timeout"].as_u64().unwrap_or(0));
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let arrived = api.arrived.notified();
        {
            let mut q = api.queue.lock().expect("queue");
            q.updates.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            if !q.updates.is_empty() || timeout.is_zero() {
                return Value::Array(q.updates.iter().cloned().collect());
            }
        }
        if tokio::time::timeout_at(deadline, arrived).await.is_err() {
            return json!([]);
        }
    }
}

fn buttons(sent: &Value) -> Vec<(String, String)> {
    sent["reply_markup"]["inline_keyboard"]
        .as_array()
        .expect("a keyboard")
        .iter()
        .flat_map(|row| row.as_array().expect("a row").iter())
        .map(|b| (b["text"].as_str().expect("text").to_owned(), b["callback_data"].as_str().expect("data").to_owned()))
        .collect()
}

/// A proposal open now (the adapter uses the wall clock).
async fn open_proposal(b: &TestBot, title: &str, choices: &[&str], method: VotingMethod) -> iodao_core::Proposal {
    let now = Utc::now();
    b.proposal_with(title, choices, method, now - chrono::Duration::minutes(1), now + chrono::Duration::hours(1), now)
        .await
}

#[tokio::test]
async fn a_linked_user_votes_by_inline_button_and_the_vote_is_stored() {
    let mut api = StandIn::start().await;
    let b = TestBot::new().await;
    b.link(42, ALICE, Utc::now()).await;
    let p =
        open_proposal(&b, "Fund device onboarding", &["For", "Against", "Abstain"], VotingMethod::SingleChoice).await;
    let running = api.bot(&b).await;

    api.message(42, GROUP, &format!("/proposal@iodao_bot {}", p.id.get()));
    let sent = api.next("sendmessage").await;
    assert_eq!(sent["chat_id"], json!(GROUP), "a proposal is shown to the group");
    assert_eq!(sent["parse_mode"], json!("HTML"));
    let kb = buttons(&sent);
    assert_eq!(kb.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["For", "Against", "Abstain"]);

    let message = json!({ "message_id": 77, "date": 1_700_000_000, "chat": chat_json(GROUP), "from": bot_user(), "text": "x", "reply_markup": sent["reply_markup"] });
    api.press(42, &message, &kb[0].1);
    let answer = api.next("answercallbackquery").await;
    let text = answer["text"].as_str().unwrap();
    assert!(text.contains("Vote recorded") && text.contains("For, with 100 IOTX at block 4242"), "{text}");
    let votes = b.gov.votes(p.id, 10, 0).await.unwrap();
    assert_eq!(votes.len(), 1);
    assert_eq!(votes[0].source, VoteSource::Telegram);
    assert_eq!(votes[0].selection.describe(&p.choices, p.method), "For");

    // Approval: a toggle edits the keyboard in place, Submit votes.
    let a = open_proposal(&b, "Pick programs", &["Solar", "Wind"], VotingMethod::Approval).await;
    api.message(42, GROUP, &format!("/proposal {}", a.id.get()));
    let sent = api.next("sendmessage").await;
    let kb = buttons(&sent);
    api.press(42, &message, &kb[1].1);
    let edit = api.next("editmessagereplymarkup").await;
    assert_eq!(edit["chat_id"], json!(GROUP));
    let kb = buttons(&edit);
    assert_eq!(kb[1].0, "✅ Wind");
    assert!(api.next("answercallbackquery").await["text"].as_str().unwrap().contains("Selected: Wind"));
    api.press(42, &message, &kb[2].1);
    assert!(api.next("answercallbackquery").await["text"].as_str().unwrap().contains("Vote recorded"));
    assert_eq!(b.gov.votes(a.id, 10, 0).await.unwrap()[0].selection.describe(&a.choices, a.method), "Wind");
    running.stop().await;
}

#[tokio::test]
async fn an_unlinked_user_gets_the_link_instructions_privately() {
    let mut api = StandIn::start().await;
    let b = TestBot::new().await;
    let p = open_proposal(&b, "Fund", &["For", "Against"], VotingMethod::SingleChoice).await;
    let running = api.bot(&b).await;
    api.message(7, GROUP, &format!("/vote {} For", p.id.get()));
    let sent = api.next("sendmessage").await;
    assert_eq!(sent["chat_id"], json!(7), "to the user, not to the group");
    let text = sent["text"].as_str().unwrap();
    assert!(text.contains("telegram:7 is not linked to a wallet"), "{text}");
    assert!(text.contains("Send /link &lt;your address&gt; to me in a private chat"), "{text}");
    assert!(b.gov.votes(p.id, 10, 0).await.unwrap().is_empty());

    // A button press by the same user: the instructions as an alert.
    let message =
        json!({ "message_id": 77, "date": 1_700_000_000, "chat": chat_json(GROUP), "from": bot_user(), "text": "x" });
    api.press(7, &message, &iodao_bot::Action::Vote { id: p.id, choice: 1 }.encode());
    let answer = api.next("answercallbackquery").await;
    assert_eq!(answer["show_alert"], json!(true));
    assert!(answer["text"].as_str().unwrap().contains("/link <your address>"));
    running.stop().await;
}

#[tokio::test]
async fn private_replies_to_group_commands_go_to_the_user_or_ask_them_to_start_the_bot() {
    let mut api = StandIn::start().await;
    let b = TestBot::new().await;
    let running = api.bot(&b).await;
    let alice = address(&wallet(ALICE)).to_string();
    api.message(7, GROUP, &format!("/link {alice}"));
    let sent = api.next("sendmessage").await;
    assert_eq!(sent["chat_id"], json!(7), "the challenge goes to the user only");
    let text = sent["text"].as_str().unwrap();
    assert!(
        text.contains("<a href=\"https://dao.example.org/link/") && text.contains("<pre>dao.example.org wants you"),
        "{text}"
    );

    api.message(8, GROUP, &format!("/link {alice}"));
    assert_eq!(api.next("sendmessage refused").await["chat_id"], json!(NEVER_STARTED));
    let note = api.next("sendmessage").await;
    assert_eq!(note["chat_id"], json!(GROUP));
    let text = note["text"].as_str().unwrap();
    assert!(text.contains("I cannot message you privately yet") && !text.contains("wants you to sign"), "{text}");
    running.stop().await;
}

#[tokio::test]
async fn a_malformed_command_gets_a_usage_message() {
    let mut api = StandIn::start().await;
    let b = TestBot::new().await;
    let running = api.bot(&b).await;
    api.message(5, 5, "/vote");
    let text = api.next("sendmessage").await["text"].as_str().unwrap().to_owned();
    assert!(text.contains("Usage: /vote &lt;id&gt; &lt;choice&gt;"), "{text}");
    api.message(5, 5, "/proposal twelve");
    let text = api.next("sendmessage").await["text"].as_str().unwrap().to_owned();
    assert!(text.contains("`twelve` is not a proposal id") && text.contains("Usage: /proposal &lt;id&gt;"), "{text}");
    running.stop().await;
}

#[tokio::test]
async fn a_multi_byte_address_is_refused_and_the_dispatcher_keeps_answering_everyone() {
    // `/link ioé1abc` once panicked in Address::parse and killed teloxide's
    // dispatcher: polling stopped for every user.
    let mut api = StandIn::start().await;
    let b = TestBot::new().await;
    let running = api.bot(&b).await;
    api.message(5, 5, "/link ioé1abc");
    let text = api.next("sendmessage").await["text"].as_str().unwrap().to_owned();
    assert!(text.contains("`ioé1abc` is not an address") && text.contains("Usage: /link"), "{text}");
    api.message(5, 5, "/help");
    let text = api.next("sendmessage").await["text"].as_str().unwrap().to_owned();
    assert!(text.contains("/proposals"), "{text}");
    api.message(6, 6, "/help");
    assert_eq!(api.next("sendmessage").await["chat_id"], 6);
    running.stop().await;
}

#[tokio::test]
async fn a_user_written_title_with_markup_arrives_escaped() {
    let mut api = StandIn::start().await;
    let b = TestBot::new().await;
    let p =
        open_proposal(&b, "<b>Free</b> money_for_all & more", &["For", "Against"], VotingMethod::SingleChoice).await;
    let running = api.bot(&b).await;
    api.message(5, GROUP, &format!("/proposal {}", p.id.get()));
    let text = api.next("sendmessage").await["text"].as_str().unwrap().to_owned();
    assert!(
        text.starts_with(&format!("<b>#{} &lt;b&gt;Free&lt;/b&gt; money_for_all &amp; more</b>", p.id.get())),
        "{text}"
    );
    assert!(text.contains("Spend the Q4 budget on &lt;devices&gt; &amp; _more_."), "{text}");
    assert!(!text.contains("<b>Free"), "{text}");
    running.stop().await;
}

#[tokio::test]
async fn a_restart_in_the_middle_of_propose_resumes_the_dialogue() {
    let mut api = StandIn::start().await;
    let b = TestBot::new().await;
    b.link(42, ALICE, Utc::now()).await;
    let running = api.bot(&b).await;
    api.message(42, 42, "/propose");
    assert!(api.next("sendmessage").await["text"].as_str().unwrap().contains("(1/3)"));
    api.message(42, 42, "Fund <i>rooftop</i> solar");
    assert!(api.next("sendmessage").await["text"].as_str().unwrap().contains("(2/3)"));

    // A real restart: the dispatcher stops, the store closes, and a new
    // process's services and dispatcher start on the same database.
    running.stop().await;
    let b = b.restart().await;
    let running = api.bot(&b).await;
    api.message(42, 42, "Panels on every roof.");
    assert!(api.next("sendmessage").await["text"].as_str().unwrap().contains("(3/3)"));
    api.message(42, 42, "For, Against, Abstain");
    let text = api.next("sendmessage").await["text"].as_str().unwrap().to_owned();
    assert!(text.contains("Proposal #1 created") && text.contains("Fund &lt;i&gt;rooftop&lt;/i&gt; solar"), "{text}");
    let p = b.gov.proposal(iodao_core::ProposalId::parse("1").unwrap()).await.unwrap();
    assert_eq!(p.title.as_str(), "Fund <i>rooftop</i> solar");
    assert_eq!(p.body.as_str(), "Panels on every roof.");
    running.stop().await;
}

#[tokio::test]
async fn the_webhook_takes_updates_only_with_the_secret_header() {
    let mut api = StandIn::start().await;
    let b = TestBot::new().await;
    let tg = Telegram::new(TOKEN, b.commands.clone()).with_api_url(&api.url).expect("url");
    let router = tg.webhook_router("https://dao.example.org/telegram/webhook", "s3cret-token").await.expect("webhook");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("webhook server") });

    let update = json!({
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 0, "chat": chat_json(5),
            "from": { "id": 5, "is_bot": false, "first_name": "T" },
            "text": "/help", "entities": [{ "type": "bot_command", "offset": 0, "length": 5 }],
        }
    });
    let post = |secret: Option<&'static str>| {
        let update = update.clone();
        async move {
            let mut req = http_post(addr, "/telegram/webhook", &update.to_string());
            if let Some(s) = secret {
                req = req.replace("\r\n\r\n", &format!("\r\nX-Telegram-Bot-Api-Secret-Token: {s}\r\n\r\n"));
            }
            raw(addr, &req).await
        }
    };
    assert!(post(None).await.starts_with("HTTP/1.1 401"));
    assert!(post(Some("wrong")).await.starts_with("HTTP/1.1 401"));
    assert!(post(Some("s3cret-token")).await.starts_with("HTTP/1.1 200"));
    let text = api.next("sendmessage").await["text"].as_str().unwrap().to_owned();
    assert!(text.contains("/vote &lt;id&gt; &lt;choice&gt;"), "{text}");
}

fn http_post(addr: std::net::SocketAddr, path: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

async fn raw(addr: std::net::SocketAddr, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request.as_bytes()).await.expect("write");
    let mut out = String::new();
    tokio::time::timeout(WAIT, s.read_to_string(&mut out)).await.expect("answer in time").expect("read");
    out
}
