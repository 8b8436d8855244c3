//! `iodao serve` with a Telegram token: the real binary against a local
//! stand-in of the Bot API on 127.0.0.1.

use std::collections::VecDeque;
use std::process::Stdio;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;
use serde_json::{Value, json};

use crate::helpers::{Server, Workdir, serve_on_thread};

const TOKEN: &str = "4242:e2e-token";
const ALICE: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const GROUP: i64 = -1002;
const WAIT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub(crate) struct Api {
    pub(crate) updates: Arc<Mutex<VecDeque<Value>>>,
    pub(crate) sent: mpsc::Sender<Value>,
}

/// The Bot API, answered as Telegram would for the methods the bot calls;
/// `sendMessage` bodies are recorded. `getUpdates` answers at once (the
/// bot's long poll then simply asks again).
async fn method(State(api): State<Api>, Path((_, name)): Path<(String, String)>, body: Bytes) -> axum::Json<Value> {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let result = match name.to_ascii_lowercase().as_str() {
        "getme" => json!({
            "id": 1, "is_bot": true, "first_name": "iodao", "username": "iodao_bot", "can_join_groups": true,
            "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false,
        }),
        "getwebhookinfo" => json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 }),
        "getupdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            let pending = {
                let mut q = api.updates.lock().expect("queue");
                q.retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
                Value::Array(q.iter().cloned().collect())
            };
            if pending.as_array().is_some_and(Vec::is_empty) {
                // Telegram holds an empty long poll open; a short hold keeps
                // the bot from spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            pending
        }
        "sendmessage" => {
            let chat = body["chat_id"].clone();
            let _ = api.sent.send(body);
            json!({ "message_id": 5, "date": 1_700_000_000, "chat": { "id": chat, "type": "group", "title": "DAO" }, "text": "ok" })
        }
        _ => json!(true),
    };
    axum::Json(json!({ "ok": true, "result": result }))
}

/// Starts the stand-in on its own runtime thread; returns its URL.
pub(crate) fn stand_in(api: Api) -> String {
    serve_on_thread(Router::new().route("/{bot}/{method}", post(method)).with_state(api))
}

#[test]
fn serve_runs_the_telegram_bot_when_its_token_is_set_and_announces_new_proposals() {
    let w = Workdir::new();
    std::fs::write(w.file("stake.csv"), format!("address,amount\n{ALICE},700\n")).expect("stake");
    w.ok(&["proposal", "create", "--title", "<b>Solar</b> & wind", "--body", "Fund it.", "--author", ALICE]);

    let (sent_tx, sent) = mpsc::channel();
    let api = Api { updates: Arc::default(), sent: sent_tx };
    let url = stand_in(api.clone());
    let mut cmd = w.cmd(&["serve"]);
    cmd.env("IODAO_WEB__BIND", "127.0.0.1:0")
        .env("IODAO_TELEGRAM_TOKEN", TOKEN)
        .env("IODAO_TELEGRAM__API_URL", &url)
        .env("IODAO_TELEGRAM__ANNOUNCE_CHATS", GROUP.to_string())
        .env("IODAO_GOVERNANCE__LIFECYCLE_INTERVAL", "200ms")
        .stderr(Stdio::piped());
    let mut server = Server::spawn(cmd);
    let stderr = server.child.stderr.take().expect("stderr");
    let logs = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());

    api.updates.lock().expect("queue").push_back(json!({
        "update_id": 1,
        "message": {
            "message_id": 9, "date": 1_700_000_000,
            "chat": { "id": GROUP, "type": "group", "title": "DAO" },
            "from": { "id": 77, "is_bot": false, "first_name": "Tester" },
            "text": "/proposal 1", "entities": [{ "type": "bot_command", "offset": 0, "length": 9 }],
        }
    }));
    let shown = sent.recv_timeout(WAIT).expect("the bot answered /proposal");
    assert_eq!(shown["chat_id"], json!(GROUP));
    let text = shown["text"].as_str().expect("text");
    assert!(text.starts_with("<b>#1 &lt;b&gt;Solar&lt;/b&gt; &amp; wind</b>"), "{text}");
    assert_eq!(shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"], json!("v:1:1"));

    // A proposal created while serve runs is announced to the group.
    w.ok(&["proposal", "create", "--title", "Second", "--body", "More.", "--author", ALICE]);
    let announced = sent.recv_timeout(WAIT).expect("an announcement");
    assert_eq!(announced["chat_id"], json!(GROUP));
    assert!(announced["text"].as_str().expect("text").starts_with("<b>Voting opened: #2 Second</b>"), "{announced}");

    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill").success());
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "exit status {status}");
    let logs = logs.join().expect("logs");
    assert!(!logs.contains("e2e-token"), "the token is never logged:\n{logs}");
}
