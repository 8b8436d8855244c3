//! Group commit for votes: one task owns vote writes and commits every vote
//! that is waiting in one transaction, so a burst of votes costs one disk
//! sync instead of one each. A caller's vote is acknowledged only after the
//! commit that holds it has returned: never before it is durable.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::domain::{Proposal, Vote};
use crate::store::{RecordedVote, Store, StoreError};

/// The most votes one commit takes; more wait for the next one.
const MAX_BATCH: usize = 4096;

struct Job {
    proposal: Proposal,
    vote: Vote,
    reply: oneshot::Sender<Result<RecordedVote, Arc<StoreError>>>,
}

/// A handle to the writer task; cheap to clone. The task ends when every
/// handle is dropped.
#[derive(Clone, Debug)]
pub(crate) struct VoteWriter {
    jobs: mpsc::Sender<Job>,
}

impl VoteWriter {
    /// Starts the writer on a thread of its own. On a shared runtime it would
    /// queue behind every task verifying signatures, and each of its awaits
    /// would wait for that whole queue (measured: a 100-vote commit took
    /// 250 ms under load); on its own thread the OS shares the cores fairly.
    pub(crate) fn spawn(store: Store) -> Self {
        let (jobs, rx) = mpsc::channel(MAX_BATCH * 2);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
        match runtime {
            Ok(runtime) => {
                let started = std::thread::Builder::new()
                    .name("iodao-vote-writer".into())
                    .spawn(move || runtime.block_on(run(store, rx)));
                if let Err(e) = started {
                    // Without its thread the writer is gone: every vote says so.
                    tracing::error!(error = %e, "cannot start the vote writer thread");
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot build the vote writer's runtime"),
        }
        Self { jobs }
    }

    /// Records `vote`; returns once it is committed.
    pub(crate) async fn record(&self, proposal: Proposal, vote: Vote) -> Result<RecordedVote, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { proposal, vote, reply }).await.map_err(|_| StoreError::WriterGone)?;
        match answer.await {
            Ok(Ok(recorded)) => Ok(recorded),
            Ok(Err(e)) => Err(StoreError::Shared(e)),
            Err(_) => Err(StoreError::WriterGone),
        }
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Job>) {
    let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let items: Vec<(&Proposal, &Vote)> = batch.iter().map(|j| (&j.proposal, &j.vote)).collect();
        let outcome = store.record_batch(&items).await;
        match outcome {
            Ok(results) => {
                for (job, result) in batch.drain(..).zip(results) {
                    // A caller that gave up waiting still had its vote stored.
                    let _ = job.reply.send(Ok(result));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, votes = batch.len(), "a vote batch failed; nothing in it was stored");
                let shared = Arc::new(e);
                for job in batch.drain(..) {
                    let _ = job.reply.send(Err(shared.clone()));
                }
            }
        }
    }
}
