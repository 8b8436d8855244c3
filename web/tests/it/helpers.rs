//! A real portal for tests: the router served on a free loopback port over a
//! fresh SQLite file, with stakers whose keys the tests hold.

use std::sync::Arc;

use alloy_primitives::{B256, hex, keccak256};
use alloy_signer::SignerSync as _;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct as _;
use chrono::{Duration, Utc};
use iodao_core::signed::{domain, types};
use iodao_core::{
    Actor, Address, Allocations, Amount, Body, Bps, Category, Choices, CsvStakeSource, EpochSettings, Epochs,
    Governance, LinkSettings, Links, NewProposal, Proposal, StakeSource, Store, Title, VotingMethod, Window,
};
use iodao_web::{AdminToken, AppState, Settings};

pub const ADMIN: &str = "test-admin-token-7f3a-0123456789abcdef";

/// The admin token of the tests.
pub fn admin_token() -> Option<AdminToken> {
    Some(AdminToken::new(ADMIN).expect("a long enough token"))
}
pub const CHAIN: u64 = 4689;
pub const SNAPSHOT: u64 = 7;

/// This portal's EIP-712 salt.
pub fn salt() -> B256 {
    keccak256("iodao web tests")
}

/// A staker the test can sign for.
pub struct Staker {
    pub key: PrivateKeySigner,
    pub address: Address,
    pub power: Amount,
}

impl Staker {
    fn new(seed: u8, iotx: u64) -> Self {
        let key = PrivateKeySigner::from_bytes(&[seed; 32].into()).expect("key");
        let address = Address::from(key.address().0.0);
        Self { key, address, power: Amount::from_iotx(iotx) }
    }

    /// The JSON body of a signed vote, as the portal's script posts it.
    pub fn signed_vote(&self, proposal: i64, choice: &str) -> serde_json::Value {
        self.signed_vote_at(proposal, choice, u64::try_from(Utc::now().timestamp()).expect("after 1970"))
    }

    /// The same, signed at `timestamp` (Unix seconds).
    pub fn signed_vote_at(&self, proposal: i64, choice: &str, timestamp: u64) -> serde_json::Value {
        let msg = types::Vote {
            voter: self.key.address(),
            proposal: u64::try_from(proposal).expect("positive"),
            choice: choice.into(),
            timestamp,
        };
        let sig = self.key.sign_hash_sync(&msg.eip712_signing_hash(&domain(CHAIN, salt()))).expect("sign");
        serde_json::json!({
            "voter": self.address.to_hex(),
            "proposal": proposal,
            "choice": choice,
            "timestamp": timestamp,
            "signature": hex::encode_prefixed(sig.as_bytes()),
        })
    }

    /// `personal_sign` of a text.
    pub fn personal_sign(&self, text: &str) -> String {
        hex::encode_prefixed(self.key.sign_message_sync(text.as_bytes()).expect("sign").as_bytes())
    }
}

/// The portal and the services behind it.
pub struct Portal {
    pub base: String,
    pub gov: Governance,
    pub links: Links,
    pub allocations: Allocations,
    pub epochs: Epochs,
    pub stakers: Vec<Staker>,
    pub http: reqwest::Client,
    pub db_url: String,
    pub stake: Arc<CsvStakeSource>,
    /// The portal's state (its page cache, its rate limiters).
    pub state: AppState,
    _dir: tempfile::TempDir,
}

impl Portal {
    /// With the admin token set and the default limits.
    pub async fn start() -> Self {
        Self::with(Settings { admin_token: admin_token(), ..Settings::default() }).await
    }

    pub async fn with(settings: Settings) -> Self {
        Self::with_stake(settings, |csv, _| csv).await
    }

    /// With the portal's services reading stake from `stake(csv, store)`
    /// (the stakers' CSV source, or anything wrapping or replacing it).
    pub async fn with_stake(
        settings: Settings,
        stake: impl FnOnce(Arc<CsvStakeSource>, &Store) -> Arc<dyn StakeSource>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("portal.db").display());
        let store = Store::open(&url).await.expect("open store");
        let stakers = vec![Staker::new(1, 1000), Staker::new(2, 600), Staker::new(3, 400)];
        let csv =
            Arc::new(CsvStakeSource::from_entries(stakers.iter().map(|s| (s.address, s.power))).at_block(SNAPSHOT));
        let stake = stake(csv, &store);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let base = format!("http://127.0.0.1:{port}");
        let gov = Governance::new(store.clone(), stake.clone()).with_eip712(CHAIN, salt());
        let links = Links::new(
            store.clone(),
            LinkSettings {
                domain: format!("127.0.0.1:{port}"),
                base_url: base.clone(),
                chain_id: CHAIN,
                ttl: Duration::minutes(10),
            },
        );
        let allocations = Allocations::new(store.clone(), stake.clone());
        let epochs = Epochs::new(
            store.clone(),
            stake,
            EpochSettings {
                budget: Amount::from_iotx(1000),
                policy: Default::default(),
                recipients: Default::default(),
            },
        );
        let state = AppState::new(gov.clone(), links.clone(), allocations.clone(), epochs.clone(), settings);
        let stake =
            Arc::new(CsvStakeSource::from_entries(stakers.iter().map(|s| (s.address, s.power))).at_block(SNAPSHOT));
        tokio::spawn(iodao_web::serve(listener, iodao_web::router(state.clone()), std::future::pending()));
        Self {
            base,
            gov,
            links,
            allocations,
            epochs,
            stakers,
            http: reqwest::Client::new(),
            db_url: url,
            stake,
            state,
            _dir: dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET → (status, body).
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.http.get(self.url(path)).send().await.expect("GET");
        (r.status().as_u16(), r.text().await.expect("body"))
    }

    /// GET → (status, JSON).
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let r = self.http.get(self.url(path)).send().await.expect("GET");
        (r.status().as_u16(), r.json().await.expect("JSON body"))
    }

    /// POST JSON → (status, JSON), with the admin token if `admin`.
    pub async fn post(&self, path: &str, body: &serde_json::Value, admin: bool) -> (u16, serde_json::Value) {
        let mut req = self.http.post(self.url(path)).json(body);
        if admin {
            req = req.bearer_auth(ADMIN);
        }
        let r = req.send().await.expect("POST");
        (r.status().as_u16(), r.json().await.expect("JSON body"))
    }

    /// An open single-choice For/Against/Abstain proposal.
    pub async fn proposal(&self, title: &str, body: &str) -> Proposal {
        self.proposal_with(title, body, VotingMethod::SingleChoice, Choices::for_against_abstain(), Duration::zero())
            .await
    }

    /// A new open single-choice proposal's terms.
    pub fn new_proposal(&self, title: &str) -> NewProposal {
        let start = Utc::now() - Duration::seconds(1);
        NewProposal {
            title: Title::parse(title).expect("title"),
            body: Body::parse("body").expect("body"),
            author: self.stakers[0].address,
            choices: Choices::for_against_abstain(),
            method: VotingMethod::SingleChoice,
            window: Window::new(start, start + Duration::days(1)).expect("window"),
            quorum: Amount::from_iotx(1500),
            threshold: Bps::new(5000).expect("bps"),
        }
    }

    /// A proposal opening `delay` from now, open for a day.
    pub async fn proposal_with(
        &self,
        title: &str,
        body: &str,
        method: VotingMethod,
        choices: Choices,
        delay: Duration,
    ) -> Proposal {
        let now = Utc::now();
        let start = now + delay - Duration::seconds(1);
        let new = NewProposal {
            title: Title::parse(title).expect("title"),
            body: Body::parse(body).expect("body"),
            author: self.stakers[0].address,
            choices,
            method,
            window: Window::new(start, start + Duration::days(1)).expect("window"),
            quorum: Amount::from_iotx(1500),
            threshold: Bps::new(5000).expect("bps"),
        };
        self.gov.create_proposal(new, &Actor::Cli, now).await.expect("create proposal")
    }

    /// Two recipients with allocation votes, and epoch 1 run.
    pub async fn epoch(&self) {
        let now = Utc::now();
        let add = |name, category, payout| self.allocations.add_recipient(name, category, payout, &Actor::Cli, now);
        add("solar-farms", Category::DeviceProgram, Address::from([0x5a; 20])).await.expect("add");
        add("swap-dapp", Category::Dapp, Address::from([0x5b; 20])).await.expect("add");
        self.allocations.set(self.stakers[0].address, "solar-farms=60 swap-dapp=40", now).await.expect("split");
        self.allocations.set(self.stakers[1].address, "swap-dapp=100", now).await.expect("split");
        // Schedule slots are whole seconds.
        let slot = chrono::DurationRound::duration_trunc(now, Duration::seconds(1)).expect("round");
        self.epochs.run(slot, now).await.expect("epoch");
    }
}
