//! One announcer for every platform: news another process wrote to the
//! store reaches Discord's and Telegram's stand-ins alike.

use std::sync::Arc;
use std::time::Duration;

use iodao_bot::Announcer;
use iodao_bot::discord::Discord;
use iodao_bot::telegram::Telegram;
use iodao_core::VotingMethod;

use crate::discord::{self as dc, Rest};
use crate::helpers::*;
use crate::telegram::{self as tg, StandIn};

const CHANNEL: u64 = 880;
const EXPLORER: &str = "https://iotexscan.io/tx/";

#[tokio::test]
async fn a_proposal_opened_and_an_epoch_paid_by_another_process_reach_discord_and_telegram() {
    let b = TestBot::new().await;
    b.recipients().await;
    b.link(1, ALICE, t(0)).await;
    b.text(&private(1), "/allocate solar-farms=100", t(1)).await;
    b.epochs.run(t(100), t(100)).await.expect("epoch");

    let mut rest = Rest::start().await;
    let mut api = StandIn::start().await;
    let commands = b.commands.clone().with_explorer_tx_url(Some(EXPLORER));
    let discord = Discord::new(dc::TOKEN, dc::APP, commands.clone())
        .with_api_url(&rest.url)
        .with_announce_channels(vec![CHANNEL]);
    let telegram = Telegram::new(tg::TOKEN, commands.clone())
        .with_api_url(&api.url)
        .expect("url")
        .with_announce_chats(vec![tg::GROUP]);
    let mut announcer = Announcer::new(commands).with_sink(Arc::new(discord)).with_sink(Arc::new(telegram));
    assert_eq!(announcer.look().await, 0, "the first look only remembers what is there");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(announcer.run(Duration::from_millis(20), async {
        let _ = stopped.await;
    }));

    let other = b.other_process().await;
    let now = chrono::Utc::now();
    let new = new_proposal(
        "Open at once",
        &["For", "Against"],
        VotingMethod::SingleChoice,
        now - chrono::Duration::minutes(1),
        now + chrono::Duration::hours(1),
    );
    let p = other.create_proposal(new, &iodao_core::Actor::Cli, now).await.expect("create");

    let opened = rest.next().await;
    assert_eq!(opened.path, format!("/api/v10/channels/{CHANNEL}/messages"));
    assert_eq!(opened.body["embeds"][0]["title"], format!("Voting opened: #{} Open at once", p.id.get()));
    let sent = api.next("sendmessage").await;
    assert_eq!(sent["chat_id"], tg::GROUP);
    let text = sent["text"].as_str().expect("text");
    assert!(text.contains(&format!("Voting opened: #{} Open at once", p.id.get())), "{text}");

    pay(other.store(), 1, "0xabc", t(300)).await;
    let paid = rest.next().await;
    let t = dc::text(&paid.body["embeds"][0]);
    assert!(t.starts_with("Epoch 1 executed"), "{t}");
    assert!(t.contains("Transaction 1") && t.contains("https://iotexscan.io/tx/0xabc"), "{t}");
    let sent = api.next("sendmessage").await;
    let text = sent["text"].as_str().expect("text");
    assert!(text.contains("Epoch 1 executed") && text.contains("https://iotexscan.io/tx/0xabc"), "{text}");

    stop.send(()).expect("announcer running");
    running.await.expect("announcer stopped");
    rest.nothing_more();
}
