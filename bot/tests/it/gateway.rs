//! The Discord gateway transport end to end: serenity's real client against
//! a local stand-in of Discord's gateway (a websocket server on 127.0.0.1
//! speaking the gateway protocol in plain JSON text frames) whose address
//! the REST stand-in hands out at `GET /api/v10/gateway`, as Discord does.
//! The interaction arrives as an `INTERACTION_CREATE` dispatch; the answer
//! goes back over REST to `POST /interactions/{id}/{token}/callback`.

use std::time::Duration;

use axum::http::Method;
use futures_util::{SinkExt as _, StreamExt as _};
use iodao_bot::discord::Discord;
use iodao_core::{VoteSource, VotingMethod};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::discord::{self as dc, Rest};
use crate::helpers::*;

const WAIT: Duration = Duration::from_secs(15);
/// Short, so the test sees heartbeats (Discord's is about 41 s).
const HEARTBEAT_MS: u64 = 150;

/// What the stand-in gateway saw.
#[derive(Debug)]
enum Seen {
    /// The upgrade request's path and query.
    Connected(String),
    /// A payload the client sent.
    Op(Value),
    /// The client closed the connection.
    Closed,
}

/// The stand-in gateway: HELLO on connect, READY after IDENTIFY, an ACK
/// for every heartbeat, and any dispatch the test queues.
struct Gateway {
    url: String,
    seen: mpsc::UnboundedReceiver<Seen>,
    dispatch: mpsc::UnboundedSender<(&'static str, Value)>,
}

impl Gateway {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("ws://{}", listener.local_addr().expect("addr"));
        let (seen_tx, seen) = mpsc::unbounded_channel();
        let (dispatch, mut queued) = mpsc::unbounded_channel::<(&'static str, Value)>();
        let resume = url.clone();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("a gateway connection");
            #[expect(clippy::result_large_err, reason = "the signature tungstenite's handshake callback has")]
            let on_upgrade = |req: &tokio_tungstenite::tungstenite::handshake::server::Request, res| {
                let target = req.uri().path_and_query().map(ToString::to_string).unwrap_or_default();
                let _ = seen_tx.send(Seen::Connected(target));
                Ok(res)
            };
            let mut ws = tokio_tungstenite::accept_hdr_async(stream, on_upgrade).await.expect("websocket handshake");
            let send = |v: Value| Message::Text(v.to_string());
            ws.send(send(json!({ "op": 10, "d": { "heartbeat_interval": HEARTBEAT_MS } }))).await.expect("hello");
            let mut seq = 0u64;
            loop {
                tokio::select! {
                    msg = ws.next() => {
                        let v: Value = match msg {
                            Some(Ok(Message::Text(t))) => serde_json::from_str(&t).expect("json from the client"),
                            Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                            Some(Ok(_)) => continue,
                        };
                        match v["op"].as_u64() {
                            Some(1) => ws.send(send(json!({ "op": 11 }))).await.expect("ack"),
                            Some(2) => {
                                seq += 1;
                                ws.send(send(json!({ "op": 0, "s": seq, "t": "READY", "d": ready(&resume) })))
                                    .await
                                    .expect("ready");
                            }
                            _ => {}
                        }
                        let _ = seen_tx.send(Seen::Op(v));
                    }
                    Some((t, d)) = queued.recv() => {
                        seq += 1;
                        ws.send(send(json!({ "op": 0, "s": seq, "t": t, "d": d }))).await.expect("dispatch");
                    }
                }
            }
            let _ = seen_tx.send(Seen::Closed);
        });
        Self { url, seen, dispatch }
    }

    async fn next(&mut self) -> Seen {
        tokio::time::timeout(WAIT, self.seen.recv()).await.expect("the gateway saw something in time").expect("open")
    }

    /// The next payload with opcode `op`, skipping others (heartbeats come
    /// whenever they are due).
    async fn next_op(&mut self, op: u64) -> Value {
        loop {
            match self.next().await {
                Seen::Op(v) if v["op"] == op => return v,
                Seen::Op(_) => {}
                other => panic!("expected op {op}, saw {other:?}"),
            }
        }
    }
}

/// A READY dispatch for the test application's bot user.
fn ready(resume: &str) -> Value {
    json!({
        "v": 10,
        "user": { "id": dc::APP.to_string(), "username": "iodao", "discriminator": "0", "global_name": null, "avatar": null, "bot": true },
        "guilds": [],
        "session_id": "stand-in-session",
        "resume_gateway_url": resume,
        "shard": [0, 1],
        "application": { "id": dc::APP.to_string(), "flags": 0 },
    })
}

#[tokio::test]
async fn the_gateway_client_identifies_heartbeats_and_answers_a_slash_command_over_rest() {
    let b = TestBot::new().await;
    let mut rest = Rest::start().await;
    let mut gw = Gateway::start().await;
    rest.set_gateway(&gw.url);
    dc::link(&b, 11, ALICE).await;
    let p = dc::open(&b, "Fund gateways", &["For", "Against"], VotingMethod::SingleChoice).await;

    let d = Discord::new(dc::TOKEN, dc::APP, b.commands.clone()).with_api_url(&rest.url);
    let running = d.start_gateway().await.expect("the gateway client starts");
    let call = rest.next().await;
    assert_eq!((call.method, call.path.as_str()), (Method::GET, "/api/v10/gateway"));

    let Seen::Connected(target) = gw.next().await else { panic!("a connection first") };
    assert!(target.contains("v=10"), "{target}");
    let identify = gw.next_op(2).await;
    // serenity identifies with the REST form of the token, which Discord accepts.
    assert_eq!(identify["d"]["token"], format!("Bot {}", dc::TOKEN));
    assert_eq!(identify["d"]["intents"], 1, "GUILDS only: no privileged intent");
    assert_eq!(identify["d"]["shard"], json!([0, 1]));
    // Acknowledged heartbeats keep the connection: a second one comes.
    gw.next_op(1).await;
    gw.next_op(1).await;

    let data = json!({ "id": "1", "name": "vote", "type": 1, "options": [
        dc::opt("id", 4, json!(p.id.get())), dc::opt("choice", 3, json!("For")),
    ] });
    gw.dispatch.send(("INTERACTION_CREATE", dc::interaction_json(1, 2, 11, data))).expect("queued");
    let call = rest.next().await;
    assert_eq!(call.method, Method::POST);
    assert_eq!(call.path, "/api/v10/interactions/5001/interaction-token-1/callback");
    assert_eq!(call.body["type"], 4, "{}", call.body);
    assert_eq!(call.body["data"]["flags"], 64, "a vote's confirmation is private");
    let t = dc::text(&call.body["data"]["embeds"][0]);
    assert!(t.contains("Vote recorded") && t.contains("For, with 100 IOTX at block 4242"), "{t}");
    let votes = b.gov.votes(p.id, 10, 0).await.expect("votes");
    assert_eq!((votes.len(), votes[0].source), (1, VoteSource::Discord));

    running.stop().await;
    loop {
        match gw.next().await {
            Seen::Closed => break,
            Seen::Op(v) => assert_eq!(v["op"], 1, "only heartbeats until the close: {v}"),
            Seen::Connected(t) => panic!("no reconnection expected: {t}"),
        }
    }
}
