//! The Discord bot in the real binary: `serve` with `discord.mode =
//! "endpoint"` answers signed interactions on `/discord/interactions` beside
//! the portal, refuses unsigned ones, and never logs the token.

use alloy_primitives::hex;
use ed25519_dalek::{Signer as _, SigningKey};

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
