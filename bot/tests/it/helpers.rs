use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::hex;
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use chrono::{DateTime, Duration, TimeZone, Utc};
use iodao_bot::{Commands, Origin, Reply};
use iodao_core::{
    Actor, Address, Allocations, Amount, Body, Bps, Category, ChatAccount, Choices, CsvStakeSource, EpochSettings,
    Epochs, Governance, LinkSettings, Links, NewProposal, Platform, Proposal, StakeSource, Store, Title, VotingMethod,
    Window,
};

/// A fixed origin so command tests never depend on the wall clock.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_900_000_000, 0).single().expect("valid") + Duration::seconds(secs)
}

/// A wallet from a seed byte.
pub fn wallet(seed: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&[seed; 32].into()).expect("key")
}

pub fn address(w: &PrivateKeySigner) -> Address {
    Address::from(w.address())
}

pub fn sign(w: &PrivateKeySigner, message: &str) -> String {
    hex::encode_prefixed(w.sign_message_sync(message.as_bytes()).expect("sign").as_bytes())
}

pub fn tg(user: u64) -> ChatAccount {
    ChatAccount::new(Platform::Telegram, user)
}

pub fn private(user: u64) -> Origin {
    Origin { account: tg(user), private: true }
}

pub fn group(user: u64) -> Origin {
    Origin { account: tg(user), private: false }
}

/// Alice (seed 1) holds 100 IOTX, Bob (seed 2) 60; Zed (seed 9) holds none.
pub const ALICE: u8 = 1;
pub const BOB: u8 = 2;
pub const ZED: u8 = 9;

/// The services and the command layer over a fresh SQLite file.
pub struct TestBot {
    pub commands: Commands,
    pub gov: Governance,
    pub links: Links,
    pub allocations: Allocations,
    pub epochs: Epochs,
    pub url: String,
    stake: Arc<CsvStakeSource>,
    _dir: Arc<tempfile::TempDir>,
}

impl TestBot {
    pub async fn new() -> Self {
        Self::in_dir(tempfile::tempdir().expect("temp dir")).await
    }

    /// As [`TestBot::new`], with the database file in memory (for property
    /// tests; see `iodao_testkit::in_memory_dir`).
    pub async fn in_memory_fs() -> Self {
        Self::in_dir(iodao_testkit::in_memory_dir()).await
    }

    async fn in_dir(dir: tempfile::TempDir) -> Self {
        let url = format!("sqlite://{}", dir.path().join("bot.db").display());
        let stake = Arc::new(
            CsvStakeSource::from_entries([
                (address(&wallet(ALICE)), Amount::from_iotx(100)),
                (address(&wallet(BOB)), Amount::from_iotx(60)),
            ])
            .at_block(4242),
        );
        Self::open(url, stake, Arc::new(dir), |csv, _| csv).await
    }

    /// With the services reading stake from `wrap(csv, store)` (the
    /// stakers' CSV source, or anything wrapping or replacing it).
    pub async fn with_stake(wrap: impl FnOnce(Arc<CsvStakeSource>, &Store) -> Arc<dyn StakeSource>) -> Self {
        let new = Self::new().await;
        new.gov.store().close().await;
        Self::open(new.url.clone(), new.stake.clone(), new._dir.clone(), wrap).await
    }

    async fn open(
        url: String,
        csv: Arc<CsvStakeSource>,
        dir: Arc<tempfile::TempDir>,
        wrap: impl FnOnce(Arc<CsvStakeSource>, &Store) -> Arc<dyn StakeSource>,
    ) -> Self {
        let store = Store::open(&url).await.expect("open");
        let stake = wrap(csv.clone(), &store);
        let gov = Governance::new(store.clone(), stake.clone());
        let links = Links::new(
            store.clone(),
            LinkSettings {
                domain: "dao.example.org".into(),
                base_url: "https://dao.example.org".into(),
                chain_id: 4689,
                ttl: Duration::minutes(10),
            },
        );
        let allocations = Allocations::new(store.clone(), stake.clone());
        let settings =
            EpochSettings { budget: Amount::from_iotx(1000), policy: Default::default(), recipients: BTreeMap::new() };
        let epochs = Epochs::new(store, stake.clone(), settings);
        let commands = Commands::new(gov.clone(), links.clone(), allocations.clone(), epochs.clone(), stake.clone())
            .with_schedule(Arc::new(|now| Some(now + Duration::days(2))));
        Self { commands, gov, links, allocations, epochs, url, stake: csv, _dir: dir }
    }

    /// Closes the store and opens every service again on the same file, as a
    /// restarted process would.
    pub async fn restart(self) -> Self {
        self.gov.store().close().await;
        Self::open(self.url.clone(), self.stake.clone(), self._dir.clone(), |csv, _| csv).await
    }

    /// Links Telegram user `user` to the wallet of `seed` through the real
    /// challenge and signature.
    pub async fn link(&self, user: u64, seed: u8, now: DateTime<Utc>) {
        let w = wallet(seed);
        let c = self.links.challenge(&tg(user), address(&w), now).await.expect("challenge");
        self.links.verify(&c.message, &sign(&w, &c.message), now).await.expect("verify");
    }

    /// A proposal open over [start, end) with these choices and method.
    pub async fn proposal_with(
        &self,
        title: &str,
        choices: &[&str],
        method: VotingMethod,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Proposal {
        self.gov
            .create_proposal(new_proposal(title, choices, method, start, end), &Actor::Cli, now)
            .await
            .expect("create")
    }

    /// The governance service of another process on the same database file
    /// (its own store handle), as `iodao proposal create` or `iodao epoch
    /// execute` run beside `serve` would have.
    pub async fn other_process(&self) -> Governance {
        Governance::new(Store::open(&self.url).await.expect("open"), self.stake.clone())
    }

    /// A For/Against/Abstain single-choice proposal open from t(0) to t(1000).
    pub async fn proposal(&self) -> Proposal {
        self.proposal_with(
            "Fund device onboarding",
            &["For", "Against", "Abstain"],
            VotingMethod::SingleChoice,
            t(0),
            t(1000),
            t(0),
        )
        .await
    }

    pub async fn recipients(&self) {
        for (name, category, seed) in
            [("solar-farms", Category::DepinProject, 0x51), ("weather-dapp", Category::Dapp, 0x52)]
        {
            self.allocations
                .add_recipient(name, category, Address::from([seed; 20]), &Actor::Cli, t(0))
                .await
                .expect("recipient");
        }
    }

    pub async fn text(&self, from: &Origin, text: &str, now: DateTime<Utc>) -> Reply {
        self.commands.on_text(from, text, Some("iodao_bot"), now).await.expect("a reply")
    }
}

/// Alice's proposal with these choices and method, open over [start, end).
pub fn new_proposal(
    title: &str,
    choices: &[&str],
    method: VotingMethod,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> NewProposal {
    NewProposal {
        title: Title::parse(title).expect("title"),
        body: Body::parse("Spend the Q4 budget on <devices> & _more_.").expect("body"),
        author: address(&wallet(ALICE)),
        choices: Choices::parse(choices).expect("choices"),
        method,
        window: Window::new(start, end).expect("window"),
        quorum: Amount::from_iotx(100),
        threshold: Bps::new(5000).expect("bps"),
    }
}

/// Marks epoch `n` paid by one batch sent in transaction `tx`, through
/// `store` (the payout journal's own calls, as `iodao epoch execute` makes them).
pub async fn pay(store: &Store, n: u64, tx: &str, now: DateTime<Utc>) {
    store.plan_batches(n, "0x00000000000000000000000000000000000000d1", &["[]".to_owned()], now).await.expect("plan");
    store.batch_sent(n, 0, tx, 7, now).await.expect("sent");
    store.batch_confirmed(n, 0, None, Some(99), Some(21_000), now).await.expect("confirmed");
}
