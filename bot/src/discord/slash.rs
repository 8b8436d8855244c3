//! The slash commands: their definitions (what `register-commands` sends)
//! and how a command interaction's options become a shared [`Command`].
//! Options are checked by the same parser text platforms use, so the same
//! input gets the same refusal everywhere.

use serenity::builder::{CreateCommand, CreateCommandOption};
use serenity::model::application::{CommandDataOption, CommandDataOptionValue, CommandOptionType};

use crate::command::{self, Command, UsageError};

/// What a slash command asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slash {
    /// A shared command.
    Run(Command),
    /// `/propose`: open the proposal modal.
    ProposeModal,
    /// `/help`: the Discord command list.
    Help,
}

/// Every slash command iodao registers.
pub fn definitions() -> Vec<CreateCommand> {
    let string = |name: &str, what: &str| CreateCommandOption::new(CommandOptionType::String, name, what);
    let id = || {
        CreateCommandOption::new(CommandOptionType::Integer, "id", "the proposal's number")
            .required(true)
            .min_int_value(1)
    };
    vec![
        CreateCommand::new("help").description("what iodao can do"),
        CreateCommand::new("link")
            .description("link your wallet by signing a one-time message")
            .add_option(
                CreateCommandOption::new(CommandOptionType::SubCommand, "wallet", "start linking this wallet")
                    .add_sub_option(string("address", "your address, 0x… or io1…").required(true)),
            )
            .add_option(
                CreateCommandOption::new(CommandOptionType::SubCommand, "verify", "paste the signature of the message")
                    .add_sub_option(string("signature", "the signature, 0x…").required(true)),
            ),
        CreateCommand::new("proposals").description("active proposals and their tallies"),
        CreateCommand::new("proposal").description("one proposal, with buttons to vote").add_option(id()),
        CreateCommand::new("vote")
            .description("vote on a proposal")
            .add_option(id())
            .add_option(string("choice", "a choice (2 or For), or approvals (1,3)"))
            .add_option(string("weights", "for weighted and quadratic proposals: 1=60 2=40")),
        CreateCommand::new("allocate").description("split your power across recipients").add_option(
            string("weights", "recipient=percent pairs (solar-farms=60 3=40), or none")
                .required(true)
                .set_autocomplete(true),
        ),
        CreateCommand::new("allocation").description("your allocation"),
        CreateCommand::new("propose").description("write a proposal (authors above the proposal threshold)"),
        CreateCommand::new("power").description("your voting power now and at each open proposal's snapshot"),
        CreateCommand::new("epoch").description("the current epoch: budget, leading recipients, next run"),
    ]
}

/// The Discord command list, for `/help`.
pub const HELP: &[(&str, &str)] = &[
    ("/link wallet address:", "link your wallet (0x… or io1…) by signing a one-time message"),
    ("/link verify signature:", "paste the signature of the message /link gave you"),
    ("/proposals", "active proposals and their tallies"),
    ("/proposal id:", "one proposal, with buttons to vote"),
    ("/vote id: choice:", "vote: a choice (2 or For) or approvals (1,3)"),
    ("/vote id: weights:", "weighted or quadratic: 1=60 2=40"),
    ("/allocate weights:", "split your power across recipients (solar-farms=60 3=40; none withdraws)"),
    ("/allocation", "your allocation"),
    ("/propose", "write a proposal"),
    ("/power", "your voting power now and at each open proposal's snapshot"),
    ("/epoch", "the current epoch: budget, leading recipients, next run"),
];

fn text(options: &[CommandDataOption], name: &str) -> Option<String> {
    options.iter().find(|o| o.name == name).and_then(|o| match &o.value {
        CommandDataOptionValue::String(s) | CommandDataOptionValue::Autocomplete { value: s, .. } => {
            Some(s.trim().to_owned())
        }
        CommandDataOptionValue::Integer(n) => Some(n.to_string()),
        _ => None,
    })
}

fn usage(command: &'static str, problem: &str, usage: &str) -> UsageError {
    UsageError::Usage { command, problem: problem.to_owned(), usage: usage.to_owned() }
}

/// The command a slash command's name and options ask for.
pub fn parse(name: &str, options: &[CommandDataOption]) -> Result<Slash, UsageError> {
    let arg = |n: &str| text(options, n).unwrap_or_default();
    match name {
        "help" => Ok(Slash::Help),
        "propose" => Ok(Slash::ProposeModal),
        "link" => {
            let Some((sub, inner)) = options.first().and_then(|o| match &o.value {
                CommandDataOptionValue::SubCommand(inner) => Some((o.name.as_str(), inner.as_slice())),
                _ => None,
            }) else {
                return Err(usage(
                    "link",
                    "choose wallet or verify",
                    "/link wallet address: or /link verify signature:",
                ));
            };
            let value = text(inner, if sub == "verify" { "signature" } else { "address" }).unwrap_or_default();
            match sub {
                "wallet" => command::command("link", &value).map(Slash::Run),
                "verify" => command::command("verify", &value).map(Slash::Run),
                other => Err(UsageError::Unknown(format!("link {other}"))),
            }
        }
        "vote" => {
            let id = arg("id");
            let selection = match (text(options, "choice"), text(options, "weights")) {
                (Some(c), None) | (None, Some(c)) if !c.is_empty() => c,
                (Some(_), Some(_)) => {
                    return Err(usage(
                        "vote",
                        "give either choice or weights, not both",
                        "/vote id: choice: or /vote id: weights:",
                    ));
                }
                _ => {
                    return Err(usage(
                        "vote",
                        "give your choice (or weights for a weighted proposal)",
                        "/vote id: choice: or /vote id: weights:",
                    ));
                }
            };
            command::command("vote", &format!("{id} {selection}")).map(Slash::Run)
        }
        "proposal" | "allocate" | "proposals" | "allocation" | "power" | "epoch" => {
            let args = match name {
                "proposal" => arg("id"),
                "allocate" => arg("weights"),
                _ => String::new(),
            };
            command::command(name, &args).map(Slash::Run)
        }
        other => Err(UsageError::Unknown(other.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use iodao_core::{Address, ProposalId};
    use serde_json::json;

    use super::*;

    fn options(v: serde_json::Value) -> Vec<CommandDataOption> {
        serde_json::from_value(v).expect("options")
    }

    #[test]
    fn options_become_the_shared_commands() {
        let id = ProposalId::parse("3").unwrap();
        let o = options(json!([{"name": "id", "type": 4, "value": 3}, {"name": "choice", "type": 3, "value": "For"}]));
        assert_eq!(parse("vote", &o), Ok(Slash::Run(Command::Vote(id, "For".into()))));
        let o = options(
            json!([{"name": "id", "type": 4, "value": 3}, {"name": "weights", "type": 3, "value": "1=60 2=40"}]),
        );
        assert_eq!(parse("vote", &o), Ok(Slash::Run(Command::Vote(id, "1=60 2=40".into()))));
        let a = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
        let o =
            options(json!([{"name": "wallet", "type": 1, "options": [{"name": "address", "type": 3, "value": a}]}]));
        assert_eq!(parse("link", &o), Ok(Slash::Run(Command::Link(Address::parse(a).unwrap()))));
        let o = options(
            json!([{"name": "verify", "type": 1, "options": [{"name": "signature", "type": 3, "value": "0xab"}]}]),
        );
        assert_eq!(parse("link", &o), Ok(Slash::Run(Command::Verify("0xab".into()))));
        let o = options(json!([{"name": "weights", "type": 3, "value": "none"}]));
        assert_eq!(parse("allocate", &o), Ok(Slash::Run(Command::Allocate(String::new()))));
        assert_eq!(parse("power", &[]), Ok(Slash::Run(Command::Power)));
        assert_eq!(parse("propose", &[]), Ok(Slash::ProposeModal));
    }

    #[test]
    fn bad_options_are_refused_with_their_usage() {
        let o = options(json!([{"name": "id", "type": 4, "value": 3}]));
        assert!(parse("vote", &o).unwrap_err().to_string().contains("give your choice"));
        let o = options(json!([
            {"name": "id", "type": 4, "value": 3},
            {"name": "choice", "type": 3, "value": "1"},
            {"name": "weights", "type": 3, "value": "1=1"}
        ]));
        assert!(parse("vote", &o).unwrap_err().to_string().contains("not both"));
        let o = options(
            json!([{"name": "wallet", "type": 1, "options": [{"name": "address", "type": 3, "value": "0x12"}]}]),
        );
        assert!(parse("link", &o).unwrap_err().to_string().contains("is not a valid 0x address"));
        assert_eq!(parse("frobnicate", &[]), Err(UsageError::Unknown("frobnicate".into())));
    }

    #[test]
    fn every_command_is_defined_once_with_discords_name_rules() {
        let defs = serde_json::to_value(definitions()).unwrap();
        let names: Vec<&str> = defs.as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
        for n in ["link", "proposals", "proposal", "vote", "allocate", "allocation", "propose", "power", "epoch"] {
            assert_eq!(names.iter().filter(|x| **x == n).count(), 1, "{n}");
        }
        for d in defs.as_array().unwrap() {
            let desc = d["description"].as_str().unwrap();
            assert!((1..=100).contains(&desc.chars().count()), "{desc}");
        }
        let allocate = defs.as_array().unwrap().iter().find(|d| d["name"] == "allocate").unwrap();
        assert_eq!(allocate["options"][0]["autocomplete"], true);
    }
}
