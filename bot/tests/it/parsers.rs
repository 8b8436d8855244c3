//! What chat users send, fed hostile text (multi-byte, controls, bidi
//! marks, up to 10 kB; at least 10 000 cases each): Telegram commands and
//! dialogue answers through the whole command layer on a real SQLite file,
//! button data, Discord slash-command options, and the two renderers. A
//! reply always comes back, readable and within the platform's limits, and
//! no hostile input ever reaches the "went wrong on our side" path.

use iodao_bot::discord::{render as discord_render, slash};
use iodao_bot::telegram::render as telegram_render;
use iodao_bot::{Action, Button, Reply, Tone, command};
use iodao_testkit::hostile::{self, check, readable};
use proptest::prelude::*;
use serde_json::{Value, json};
use serenity::model::application::CommandDataOption;

use crate::helpers::*;

/// What the command layer says when something of ours failed: hostile input
/// must never get there.
const INTERNAL: &str = "went wrong on our side";

const COMMANDS: &[&str] = &[
    "/vote 1 For",
    "/vote 1 2",
    "/link ioé1abc",
    "/link 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "/link io1t2htvpfl862vnwdqnuekd9p4ulh3h6hdf9mua7",
    "/verify 0xab",
    "/allocate solar-farms=60 weather-dapp=40",
    "/allocate none",
    "/proposal #1",
    "/proposals",
    "/propose",
    "/cancel",
    "/power",
    "/epoch",
    "/allocation",
    "/help@iodao_bot",
    "/vote@other_bot 1 2",
];

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// Checks a reply as every platform would show it.
fn shown(reply: &Reply) -> Result<(), TestCaseError> {
    let text = reply.plain_text();
    prop_assert!(!text.contains(INTERNAL), "an internal failure: {:?}", text);
    if reply.tone == Tone::Error {
        readable(&text)?;
    }
    rendered(reply)
}

/// Both renderers keep within their platform's limits.
fn rendered(reply: &Reply) -> Result<(), TestCaseError> {
    let html = telegram_render::html(reply);
    prop_assert!(html.chars().count() <= 4096, "{} characters for Telegram", html.chars().count());
    prop_assert!(telegram_render::toast(reply).chars().count() <= 200);
    let embed = serde_json::to_value(discord_render::embed(reply)).expect("embed JSON");
    let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    prop_assert!(len(&embed["title"]) <= 256);
    prop_assert!(len(&embed["description"]) <= 4096);
    let fields = embed["fields"].as_array().cloned().unwrap_or_default();
    prop_assert!(fields.len() <= 25);
    let mut total = len(&embed["title"]) + len(&embed["description"]);
    for f in &fields {
        prop_assert!(len(&f["name"]) <= 256 && len(&f["value"]) <= 1024);
        total += len(&f["name"]) + len(&f["value"]);
    }
    prop_assert!(total <= 6000, "an embed of {} characters", total);
    for row in discord_render::components(&reply.buttons) {
        let row = serde_json::to_value(row).expect("row JSON");
        for c in row["components"].as_array().cloned().unwrap_or_default() {
            prop_assert!(len(&c["label"]) <= 80);
        }
    }
    Ok(())
}

#[test]
fn telegram_commands_parse_or_are_refused_with_their_usage() {
    check("telegram command", hostile::words(COMMANDS), |s| {
        match command::parse(&s, Some("iodao_bot")) {
            None => prop_assert!(!s.trim().starts_with('/') || s.contains('@')),
            Some(Ok(_)) => {}
            Some(Err(e)) => readable(&e.to_string())?,
        }
        Ok(())
    });
}

#[test]
fn hostile_messages_through_the_whole_command_layer_get_a_readable_reply() {
    let rt = runtime();
    let bot = rt.block_on(async {
        let bot = TestBot::in_memory_fs().await;
        bot.recipients().await;
        bot.proposal().await;
        bot.link(1, ALICE, t(0)).await;
        bot
    });
    check("telegram message through the command layer", hostile::words(COMMANDS), |s| {
        rt.block_on(async {
            for from in [private(1), group(2)] {
                if let Some(reply) = bot.commands.on_text(&from, &s, Some("iodao_bot"), t(10)).await {
                    shown(&reply)?;
                }
            }
            Ok(())
        })
    });
}

#[test]
fn hostile_answers_to_the_propose_dialogue_are_taken_or_asked_again() {
    let rt = runtime();
    let bot = rt.block_on(async {
        let bot = TestBot::in_memory_fs().await;
        bot.link(1, ALICE, t(0)).await;
        bot
    });
    let answers = prop::collection::vec(hostile::text(&["A title", "A body\nwith lines", "Yes, No", "A\nB\nC"]), 3);
    check("propose dialogue answers", answers, |answers| {
        rt.block_on(async {
            let me = private(1);
            shown(&bot.text(&me, "/propose", t(10)).await)?;
            for a in &answers {
                // A message that is itself a command is a command, not an answer.
                if let Some(reply) = bot.commands.on_text(&me, a, Some("iodao_bot"), t(11)).await {
                    shown(&reply)?;
                }
            }
            bot.commands.on_text(&me, "/cancel", Some("iodao_bot"), t(12)).await;
            Ok(())
        })
    });
}

#[test]
fn button_data_decodes_to_an_action_or_is_refused() {
    let rt = runtime();
    let bot = rt.block_on(async {
        let bot = TestBot::in_memory_fs().await;
        bot.proposal().await;
        bot.link(1, ALICE, t(0)).await;
        bot
    });
    check("button data", hostile::text(&["v:1:2", "t:1:5:3", "s:1:5", "v:1:33", "t:1:ffffffff:1"]), |s| {
        if let Some(a) = Action::decode(&s) {
            prop_assert_eq!(Action::decode(&a.encode()), Some(a));
        }
        rt.block_on(async {
            let answer = bot.commands.on_action(&tg(1), &s, t(10)).await;
            shown(&answer.answer)
        })
    });
}

/// Discord's options for a command, with hostile values and names.
fn options(name: &str, value: &str, other: &str) -> Value {
    match name {
        "link" => json!([{"name": other, "type": 1, "options": [
            {"name": "address", "type": 3, "value": value},
            {"name": "signature", "type": 3, "value": value}]}]),
        "vote" => json!([
            {"name": "id", "type": 4, "value": value.len()},
            {"name": "choice", "type": 3, "value": value},
            {"name": other, "type": 3, "value": other}]),
        _ => json!([
            {"name": "id", "type": 3, "value": value},
            {"name": "weights", "type": 3, "value": value},
            {"name": other, "type": 3, "value": other}]),
    }
}

#[test]
fn discord_slash_options_parse_or_are_refused_with_their_usage() {
    const NAMES: [&str; 8] = ["link", "vote", "proposal", "allocate", "power", "epoch", "help", "propose"];
    let case = (
        prop::sample::select(&NAMES[..]),
        hostile::text(&["For", "1=60 2=40", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "ioé1abc"]),
        hostile::text(&["wallet", "verify", "weights", "choice"]),
    );
    check("discord slash options", case, |(name, value, other)| {
        let Ok(opts) = serde_json::from_value::<Vec<CommandDataOption>>(options(name, &value, &other)) else {
            return Ok(());
        };
        for n in [name, other.as_str()] {
            if let Err(e) = slash::parse(n, &opts) {
                readable(&e.to_string())?;
            }
        }
        Ok(())
    });
}

#[test]
fn replies_built_from_hostile_text_render_within_each_platform_s_limits() {
    let texts = prop::collection::vec(hostile::text(&["<b>bold</b> & co", "```", "/vote 3 For", "# heading"]), 7);
    check("renderers", texts, |t| {
        let buttons = t.iter().map(|l| Button { label: l.clone(), data: "v:1:1".into() }).collect();
        let reply = Reply::public()
            .title(t[0].clone())
            .text(t[1].clone())
            .code(t[2].clone())
            .link(t[3].clone(), t[4].clone())
            .field(t[5].clone(), t[6].clone())
            .buttons(buttons);
        rendered(&reply)?;
        rendered(&Reply::error(t[1].clone()).text(t[2].clone()))
    });
}
