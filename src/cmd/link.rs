//! `iodao link …`: wallet links from the command line (the bots and the
//! portal call the same service).

use anyhow::Context;
use chrono::Utc;
use iodao_core::{Address, ChatAccount};

use crate::cli::LinkCommand;
use crate::config::Config;
use crate::wiring;

/// Runs one link command.
pub async fn run(cfg: &Config, command: LinkCommand) -> anyhow::Result<()> {
    let links = wiring::links(cfg).await?;
    match command {
        LinkCommand::Challenge { account, address, json } => {
            let account = ChatAccount::parse(&account)?;
            let address = Address::parse(&address)?;
            let c = links.challenge(&account, address, Utc::now()).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else {
                println!("Sign this message with {address} (personal_sign), or open {}:\n", c.url);
                println!("{}", c.message);
            }
        }
        LinkCommand::Verify { message_file, signature } => {
            let message = std::fs::read_to_string(&message_file)
                .with_context(|| format!("cannot read --message-file {}", message_file.display()))?;
            let linked = links.verify(&message, &signature, Utc::now()).await?;
            match linked.previous {
                Some(prev) => println!("{} now votes with {} (was {prev})", linked.account, linked.address),
                None => println!("{} now votes with {}", linked.account, linked.address),
            }
        }
        LinkCommand::Show { account } => {
            let account = ChatAccount::parse(&account)?;
            match links.address_of(&account).await? {
                Some(a) => println!("{account} votes with {a} ({})", a.to_io()),
                None => println!("{account} is not linked"),
            }
        }
        LinkCommand::Remove { account } => {
            let account = ChatAccount::parse(&account)?;
            match links.unlink(&account, Utc::now()).await? {
                Some(a) => println!("{account} is no longer linked to {a}"),
                None => println!("{account} was not linked"),
            }
        }
    }
    Ok(())
}
