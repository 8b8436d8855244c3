//! Commands as every platform can express them, and how text becomes one.
//!
//! Text platforms (Telegram) call [`parse`] on a message; Discord builds a
//! [`Command`] from a slash command's options. Edge values (proposal ids,
//! addresses) are parsed here, once; selections and weights are checked by
//! core against the proposal or the recipients.

use iodao_core::{Address, ProposalId, Quoted};

/// A chat command, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// What the bot can do.
    Help,
    /// Ask for a link challenge for this address.
    Link(Address),
    /// Answer the newest link challenge with this signature.
    Verify(String),
    /// Active proposals with their tallies.
    Proposals,
    /// One proposal, with its vote buttons.
    Proposal(ProposalId),
    /// Vote: the selection as typed (`2`, `For`, `1,3`, `1=60 2=40`).
    Vote(ProposalId, String),
    /// Set one's allocation (`3=60 solar-farms=40`); empty withdraws it.
    Allocate(String),
    /// Show one's allocation.
    Allocation,
    /// Start writing a proposal (a guided dialogue).
    Propose,
    /// Stop the dialogue.
    Cancel,
    /// One's voting power now and at each active proposal's snapshot.
    Power,
    /// The current epoch.
    Epoch,
}

/// Each command's name, arguments and purpose, as help and usage show them.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    ("link", "<address>", "link your wallet (0x… or io1…) by signing a one-time message"),
    ("verify", "<signature>", "paste the signature of the message /link gave you"),
    ("proposals", "", "active proposals and their tallies"),
    ("proposal", "<id>", "one proposal, with buttons to vote"),
    ("vote", "<id> <choice>", "vote: a choice (2 or For), approvals (1,3) or weights (1=60 2=40)"),
    ("allocate", "<recipient=percent …>", "split your power across recipients (3=60 solar-farms=40; `none` withdraws)"),
    ("allocation", "", "your allocation"),
    ("propose", "", "write a proposal step by step (/cancel stops)"),
    ("power", "", "your voting power now and at each open proposal's snapshot"),
    ("epoch", "", "the current epoch: budget, leading recipients, next run"),
    ("help", "", "this list"),
];

/// The usage line of a command, e.g. `/vote <id> <choice>`.
pub fn usage(name: &str) -> String {
    COMMANDS.iter().find(|(n, _, _)| *n == name).map_or_else(
        || format!("/{name}"),
        |(n, args, _)| if args.is_empty() { format!("/{n}") } else { format!("/{n} {args}") },
    )
}

/// Why a message is not a valid command. Nothing was done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsageError {
    /// No command has this name.
    #[error("{} is not a command: send /help for the list", Quoted(&format!("/{}", .0)))]
    Unknown(String),
    /// The arguments are missing or malformed.
    #[error("{problem}. Usage: {usage}")]
    Usage {
        /// The command.
        command: &'static str,
        /// What was wrong.
        problem: String,
        /// The usage line.
        usage: String,
    },
}

fn bad(command: &'static str, problem: impl Into<String>) -> UsageError {
    UsageError::Usage { command, problem: problem.into(), usage: usage(command) }
}

/// Parses `/name[@bot] args…`. `None` when the text is not a command, or a
/// command addressed to another bot (`/vote@other_bot`). `bot` is this bot's
/// username, if the platform has one.
pub fn parse(text: &str, bot: Option<&str>) -> Option<Result<Command, UsageError>> {
    let text = text.trim();
    let rest = text.strip_prefix('/')?;
    let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let (name, to) = head.split_once('@').map_or((head, None), |(n, b)| (n, Some(b)));
    if let (Some(to), Some(me)) = (to, bot)
        && !to.eq_ignore_ascii_case(me)
    {
        return None;
    }
    Some(command(&name.to_ascii_lowercase(), args.trim()))
}

/// Builds the command `name` from its argument text.
pub fn command(name: &str, args: &str) -> Result<Command, UsageError> {
    let words: Vec<&str> = args.split_whitespace().collect();
    let none = |c: &'static str, cmd: Command| {
        if words.is_empty() { Ok(cmd) } else { Err(bad(c, format!("/{c} takes no arguments"))) }
    };
    match name {
        "start" | "help" => Ok(Command::Help),
        "link" => match words.as_slice() {
            [] => Err(bad("link", "give the address you want to vote with")),
            [a] => Address::parse(a).map(Command::Link).map_err(|e| bad("link", e.to_string())),
            _ => Err(bad("link", "give one address")),
        },
        "verify" => match words.as_slice() {
            [] => Err(bad("verify", "paste the signature (0x…) of the message /link gave you")),
            [s] => Ok(Command::Verify((*s).to_owned())),
            _ => Err(bad("verify", "paste only the signature, one 0x… word")),
        },
        "proposals" => none("proposals", Command::Proposals),
        "proposal" => match words.as_slice() {
            [id] => ProposalId::parse(id).map(Command::Proposal).map_err(|e| bad("proposal", e.to_string())),
            [] => Err(bad("proposal", "give the proposal's number")),
            _ => Err(bad("proposal", "give one proposal number")),
        },
        "vote" => match words.as_slice() {
            [] | [_] => Err(bad("vote", "give the proposal's number and your choice")),
            [id, ..] => {
                let id = ProposalId::parse(id).map_err(|e| bad("vote", e.to_string()))?;
                let choice = args.trim_start().split_once(char::is_whitespace).map_or("", |(_, c)| c.trim());
                Ok(Command::Vote(id, choice.to_owned()))
            }
        },
        "allocate" => match words.as_slice() {
            [] => Err(bad("allocate", "give recipient=percent pairs, or `none` to withdraw")),
            [w] if w.eq_ignore_ascii_case("none") => Ok(Command::Allocate(String::new())),
            _ => Ok(Command::Allocate(args.to_owned())),
        },
        "allocation" => none("allocation", Command::Allocation),
        "propose" => none("propose", Command::Propose),
        "cancel" => Ok(Command::Cancel),
        "power" => none("power", Command::Power),
        "epoch" => none("epoch", Command::Epoch),
        other => Err(UsageError::Unknown(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Command {
        parse(text, Some("iodao_bot")).expect("a command").expect("valid")
    }

    fn err(text: &str) -> String {
        parse(text, Some("iodao_bot")).expect("a command").expect_err("invalid").to_string()
    }

    #[test]
    fn commands_parse_with_and_without_the_bots_name() {
        assert_eq!(ok("/vote 3 For"), Command::Vote(ProposalId::parse("3").unwrap(), "For".into()));
        assert_eq!(
            ok("/vote@iodao_bot #3 1=60 2=40"),
            Command::Vote(ProposalId::parse("3").unwrap(), "1=60 2=40".into())
        );
        assert_eq!(ok("/PROPOSALS"), Command::Proposals);
        assert_eq!(ok("/allocate none"), Command::Allocate(String::new()));
        assert_eq!(ok("/allocate 1=60 solar=40"), Command::Allocate("1=60 solar=40".into()));
        assert_eq!(ok("/start"), Command::Help);
    }

    #[test]
    fn text_that_is_not_a_command_or_is_for_another_bot_is_ignored() {
        assert_eq!(parse("hello", Some("iodao_bot")), None);
        assert_eq!(parse("/vote@other_bot 1 For", Some("iodao_bot")), None);
    }

    #[test]
    fn malformed_commands_get_their_usage() {
        assert_eq!(err("/vote"), "give the proposal's number and your choice. Usage: /vote <id> <choice>");
        assert!(err("/vote x For").contains("`x` is not a proposal id"));
        assert!(err("/proposal").ends_with("Usage: /proposal <id>"));
        assert!(err("/link 0x1234").contains("is not a valid 0x address"));
        assert!(err("/link").ends_with("Usage: /link <address>"));
        assert!(err("/power now").contains("/power takes no arguments"));
        assert!(err("/allocate").contains("Usage: /allocate"));
        assert_eq!(err("/frobnicate"), "`/frobnicate` is not a command: send /help for the list");
    }
}
