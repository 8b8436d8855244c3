use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use iodao_core::{
    Actor, Address, Amount, Ballot, Body, Bps, Choices, CsvStakeSource, Governance, NewProposal, Proposal, Store,
    Title, VoteSource, VotingMethod, Window,
};

/// A governance service on a fresh SQLite file, with three stakers.
pub struct TestGov {
    pub gov: Governance,
    pub url: String,
    pub stake: Arc<CsvStakeSource>,
    _dir: tempfile::TempDir,
}

pub fn alice() -> Address {
    Address::from([0xa1; 20])
}
pub fn bob() -> Address {
    Address::from([0xb0; 20])
}
pub fn carol() -> Address {
    Address::from([0xc0; 20])
}
pub fn nobody() -> Address {
    Address::from([0x00; 20])
}

/// A fixed origin so tests never depend on the wall clock.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_900_000_000, 0).single().expect("valid") + Duration::seconds(secs)
}

impl TestGov {
    pub async fn new() -> Self {
        Self::with_stakers([
            (alice(), Amount::from_iotx(100)),
            (bob(), Amount::from_iotx(60)),
            (carol(), Amount::from_iotx(40)),
        ])
        .await
    }

    /// A service whose stake snapshot (at block 4242) holds `stakers`.
    pub async fn with_stakers(stakers: impl IntoIterator<Item = (Address, Amount)>) -> Self {
        Self::in_dir(tempfile::tempdir().expect("temp dir"), stakers).await
    }

    /// As [`TestGov::with_stakers`], with the database file in memory (for
    /// property tests; see `iodao_testkit::in_memory_dir`).
    pub async fn in_memory_fs(stakers: impl IntoIterator<Item = (Address, Amount)>) -> Self {
        Self::in_dir(iodao_testkit::in_memory_dir(), stakers).await
    }

    async fn in_dir(dir: tempfile::TempDir, stakers: impl IntoIterator<Item = (Address, Amount)>) -> Self {
        let url = format!("sqlite://{}", dir.path().join("gov.db").display());
        let stake = Arc::new(CsvStakeSource::from_entries(stakers).at_block(4242));
        let store = Store::open(&url).await.expect("open");
        Self { gov: Governance::new(store, stake.clone()), url, stake, _dir: dir }
    }

    /// Closes the database and opens it again, as a restart would.
    pub async fn restart(&mut self) {
        self.gov.store().close().await;
        let store = Store::open(&self.url).await.expect("reopen");
        self.gov = Governance::new(store, self.stake.clone());
    }

    /// A For/Against/Abstain proposal open from t(100) to t(200),
    /// quorum 100 IOTX, threshold 50 %.
    pub async fn proposal(&self) -> Proposal {
        self.gov.create_proposal(new_proposal(t(100), t(200)), &Actor::Cli, t(0)).await.expect("create")
    }

    pub async fn vote(
        &self,
        p: &Proposal,
        voter: Address,
        choice: &str,
        at: DateTime<Utc>,
    ) -> Result<iodao_core::CastVote, iodao_core::GovernanceError> {
        self.gov.cast_vote(Ballot { proposal: p.id, voter, choice: choice.into(), source: VoteSource::Cli }, at).await
    }
}

pub fn new_proposal(start: DateTime<Utc>, end: DateTime<Utc>) -> NewProposal {
    NewProposal {
        title: Title::parse("Fund device onboarding").expect("title"),
        body: Body::parse("Spend the Q4 budget on **devices**.").expect("body"),
        author: alice(),
        choices: Choices::for_against_abstain(),
        method: VotingMethod::SingleChoice,
        window: Window::new(start, end).expect("window"),
        quorum: Amount::from_iotx(100),
        threshold: Bps::new(5000).expect("bps"),
    }
}
