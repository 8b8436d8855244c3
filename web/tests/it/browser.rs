//! Real headless Chromium (Debian's chromium and chromium-driver, installed by
//! scripts/setup.sh) drives the portal: browse to a proposal, link a wallet,
//! vote, and see the tally change. The wallet is an EIP-1193 provider
//! injected into the page whose signing requests are answered here, by the
//! test's key, so the page's own script builds every message it signs.

use std::process::Stdio;

use alloy_dyn_abi::TypedData;
use alloy_primitives::hex;
use alloy_signer::SignerSync as _;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{Portal, Staker};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, stopped on drop.
struct Driver {
    _child: Child,
    url: String,
}

async fn chromedriver() -> Driver {
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "Chromium is missing: run scripts/setup.sh (it installs Debian's chromium and chromium-driver)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("free port").local_addr().expect("addr").port();
    let mut child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start chromedriver");
    // It says so on stdout once it accepts sessions.
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    while let Some(line) = lines.next_line().await.expect("read chromedriver") {
        if line.contains("started successfully") {
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Driver { _child: child, url: format!("http://127.0.0.1:{port}") }
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", profile.display()),
            ],
        }),
    );
    // chromedriver speaks plain HTTP on loopback: no TLS stack needed.
    ClientBuilder::new(HttpConnector::new()).capabilities(caps).connect(&driver.url).await.expect("a browser session")
}

/// The test wallet: answers account requests itself and queues signing
/// requests for [`answer_next`].
fn provider_script(address: &str) -> String {
    format!(
        r#"
        window.__requests = []; window.__waiters = [];
        window.ethereum = {{
          request({{ method, params }}) {{
            if (method === "eth_requestAccounts" || method === "eth_accounts") return Promise.resolve(["{address}"]);
            return new Promise((resolve, reject) => {{
              const r = {{ method, params, resolve, reject }};
              const w = window.__waiters.shift();
              if (w) w(r); else window.__requests.push(r);
            }});
          }}
        }};
        window.__next = () => new Promise((done) => {{
          const r = window.__requests.shift();
          if (r) done(r); else window.__waiters.push(done);
        }});
        "#
    )
}

/// Waits for the page's next signing request, signs it with `staker`'s key
/// as a wallet would, and hands the signature back to the page.
async fn answer_next(client: &Client, staker: &Staker) -> String {
    let req = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.__next().then((r) => { window.__current = r; done({ method: r.method, params: r.params }); });",
            vec![],
        )
        .await
        .expect("a signing request");
    let method = req["method"].as_str().expect("method").to_owned();
    let params = req["params"].as_array().expect("params");
    let signature = match method.as_str() {
        "personal_sign" => {
            let data = hex::decode(params[0].as_str().expect("hex message")).expect("hex");
            assert_eq!(params[1].as_str().map(str::to_lowercase), Some(staker.address.to_hex().to_lowercase()));
            staker.key.sign_message_sync(&data).expect("sign")
        }
        "eth_signTypedData_v4" => {
            assert_eq!(params[0].as_str().map(str::to_lowercase), Some(staker.address.to_hex().to_lowercase()));
            let typed: TypedData =
                serde_json::from_str(params[1].as_str().expect("typed data JSON")).expect("EIP-712 JSON");
            staker.key.sign_hash_sync(&typed.eip712_signing_hash().expect("hash")).expect("sign")
        }
        other => panic!("the page asked the wallet for {other}"),
    };
    let sig = hex::encode_prefixed(signature.as_bytes());
    client.execute("window.__current.resolve(arguments[0]);", vec![Value::String(sig)]).await.expect("resolve");
    method
}

async fn wait_text(client: &Client, id: &str, needle: &str) -> String {
    let xpath = format!("//*[@id='{id}'][contains(., '{needle}')]");
    let el = client.wait().for_element(Locator::XPath(&xpath)).await.unwrap_or_else(|e| {
        panic!("#{id} never said `{needle}`: {e}");
    });
    el.text().await.expect("text")
}

#[tokio::test]
async fn a_voter_links_a_wallet_and_votes_in_chromium() {
    let p = Portal::start().await;
    let prop = p.proposal("Fund ioID onboarding", "Pay **5 IOTX** per device.").await;
    let id = prop.id.get();
    let voter = &p.stakers[1];
    let account = iodao_core::ChatAccount::parse("discord:31337").expect("account");
    let challenge = p.links.challenge(&account, voter.address, chrono::Utc::now()).await.expect("challenge");

    let driver = chromedriver().await;
    let profile = tempfile::tempdir().expect("profile dir");
    let client = browser(&driver, profile.path()).await;

    // Browse: the list, then the proposal by its link.
    client.goto(&p.url("/proposals")).await.expect("open the list");
    client
        .find(Locator::LinkText("Fund ioID onboarding"))
        .await
        .expect("the proposal's link")
        .click()
        .await
        .expect("click");
    let heading = client.find(Locator::Css("h1")).await.expect("h1").text().await.expect("text");
    assert_eq!(heading, format!("#{id} · Fund ioID onboarding"));

    // Link: the page a bot's /link points to.
    client.goto(&challenge.url).await.expect("open the link page");
    let shown = client.find(Locator::Id("siwe-message")).await.expect("message").text().await.expect("text");
    assert!(shown.contains(&voter.address.to_hex()), "{shown}");
    client.execute(&provider_script(&voter.address.to_hex()), vec![]).await.expect("inject the wallet");
    client.find(Locator::Id("link-button")).await.expect("button").click().await.expect("click");
    assert_eq!(answer_next(&client, voter).await, "personal_sign");
    let status = wait_text(&client, "link-status", "Linked").await;
    assert!(status.contains("discord") && status.contains(&voter.address.to_hex()), "{status}");
    assert_eq!(p.links.address_of(&account).await.expect("read"), Some(voter.address), "the link is stored");

    // Vote: the tally on the page moves from 0 to the voter's 600 IOTX.
    client.goto(&p.url(&format!("/proposals/{id}"))).await.expect("open the proposal");
    let power = || async {
        client.find(Locator::Css("[data-choice-power='2']")).await.expect("cell").text().await.expect("text")
    };
    assert_eq!(power().await, "0");
    client.execute(&provider_script(&voter.address.to_hex()), vec![]).await.expect("inject the wallet");
    client.find(Locator::Css("input[name=choice][value='2']")).await.expect("Against").click().await.expect("pick");
    client.find(Locator::Id("vote-button")).await.expect("button").click().await.expect("click");
    assert_eq!(answer_next(&client, voter).await, "eth_signTypedData_v4");
    let status = wait_text(&client, "vote-status", "Vote recorded").await;
    assert!(status.contains("Against with 600 IOTX"), "{status}");
    client
        .wait()
        .for_element(Locator::XPath("//*[@data-choice-power='2'][text()='600']"))
        .await
        .expect("the tally shows the vote");
    assert_eq!(client.find(Locator::Id("voter-count")).await.expect("count").text().await.expect("text"), "1");

    // The server agrees, and a fresh load of the page shows it too.
    let (_, tally) = p.get_json(&format!("/api/v1/proposals/{id}/tally")).await;
    assert_eq!(tally["choices"][1]["power"], "600000000000000000000");
    client.refresh().await.expect("reload");
    assert_eq!(power().await, "600");
    client.close().await.expect("close the browser");
}
