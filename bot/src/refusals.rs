//! Refusals: what a user is told when a service said no. Every message says
//! what was wrong and what to do; failures of the database or the stake
//! source are logged and told in general terms (their text may name hosts
//! or paths).

use iodao_core::{AllocationsError, ChatAccount, GovernanceError, LinkError};

use crate::reply::Reply;

/// The link instructions an unlinked account gets whatever it tried.
pub(crate) fn not_linked(account: &ChatAccount) -> Reply {
    Reply::error(format!("{account} is not linked to a wallet yet, so nothing was done."))
        .text("Send /link <your address> to me in a private chat, sign the message it gives you, then try again.")
}

pub(crate) fn governance_refusal(e: &GovernanceError) -> Reply {
    match e {
        GovernanceError::NotLinked(a) => not_linked(a),
        GovernanceError::Stake(s) => {
            tracing::warn!(error = %s, "voting power could not be read");
            Reply::error("Voting power cannot be read right now; nothing was counted. Try again later.")
        }
        GovernanceError::Store(s) => {
            tracing::error!(error = %s, "store failed");
            Reply::error("Something went wrong on our side; nothing was changed. Try again later.")
        }
        other => Reply::error(other.to_string()),
    }
}

pub(crate) fn link_refusal(e: &LinkError) -> Reply {
    match e {
        LinkError::Store(s) => {
            tracing::error!(error = %s, "store failed");
            Reply::error("Something went wrong on our side; nothing was changed. Try again later.")
        }
        other => Reply::error(other.to_string()),
    }
}

pub(crate) fn allocations_refusal(e: &AllocationsError) -> Reply {
    match e {
        AllocationsError::Allocation(a) => Reply::error(a.to_string())
            .text("Write recipient=percent pairs summing to at most 100, like 3=60 solar-farms=40."),
        other => {
            tracing::error!(error = %other, "allocation failed");
            Reply::error("Something went wrong on our side; nothing was changed. Try again later.")
        }
    }
}
