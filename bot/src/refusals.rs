//! Refusals: what a user is told when a service said no. Every message says
//! what was wrong and what to do. A failure inside (the database, the stake
//! source, the epochs) is logged with a short reference and told in general
//! terms with that reference, never its text: it may name a node's URL with
//! its API key, a path, or quote a node's answer.

use iodao_core::{AllocationsError, ChatAccount, GovernanceError, LinkError, StakeError};

use crate::reply::Reply;

/// A short reference for a failure inside, logged with its cause and shown
/// to the user, who can quote it to the operators.
pub(crate) fn reference() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    id[..10].to_owned()
}

/// The stake source failed: logged, told without its text. `unchanged`
/// says what did not happen ("nothing was counted").
pub(crate) fn stake_unavailable(e: &StakeError, unchanged: &str) -> Reply {
    let r = reference();
    tracing::warn!(reference = %r, error = %e, "voting power could not be read");
    Reply::error(format!("Voting power could not be read right now; {unchanged}. Try again later (ref {r})."))
}

/// Anything else inside failed (the database, the epochs): logged, told
/// in general terms.
pub(crate) fn failed_inside(e: &dyn std::fmt::Display) -> Reply {
    let r = reference();
    tracing::error!(reference = %r, error = %e, "request failed inside");
    Reply::error(format!("Something went wrong on our side; nothing was changed. Try again later (ref {r})."))
}

/// The link instructions an unlinked account gets whatever it tried.
pub(crate) fn not_linked(account: &ChatAccount) -> Reply {
    Reply::error(format!("{account} is not linked to a wallet yet, so nothing was done."))
        .text("Send /link <your address> to me in a private chat, sign the message it gives you, then try again.")
}

pub(crate) fn governance_refusal(e: &GovernanceError) -> Reply {
    match e {
        GovernanceError::NotLinked(a) => not_linked(a),
        GovernanceError::Stake(s) => stake_unavailable(s, "nothing was counted"),
        GovernanceError::Store(s) => failed_inside(s),
        other => Reply::error(other.to_string()),
    }
}

pub(crate) fn link_refusal(e: &LinkError) -> Reply {
    match e {
        LinkError::Store(s) => failed_inside(s),
        other => Reply::error(other.to_string()),
    }
}

pub(crate) fn allocations_refusal(e: &AllocationsError) -> Reply {
    match e {
        AllocationsError::Allocation(a) => Reply::error(a.to_string())
            .text("Write recipient=percent pairs summing to at most 100, like 3=60 solar-farms=40."),
        AllocationsError::Stake(s) => stake_unavailable(s, "nothing was changed"),
        other => failed_inside(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stake_failure_is_told_with_a_reference_and_without_its_text() {
        let e = StakeError::Unavailable("http://127.0.0.1:9/key-0xs3cr3t/ refused".into());
        let text = stake_unavailable(&e, "nothing was counted").plain_text();
        assert!(text.contains("could not be read right now; nothing was counted. Try again later (ref "), "{text}");
        assert!(!text.contains("s3cr3t") && !text.contains("127.0.0.1"), "{text}");
        assert_ne!(reference(), reference(), "each failure its own reference");
    }
}
