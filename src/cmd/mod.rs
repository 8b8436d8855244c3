//! One function per command.

mod audit;
mod demo;
mod link;
mod proposal;
pub mod serve;

use crate::cli::{AuditCommand, Command, ProposalCommand};
use crate::config::Config;
use crate::wiring;

/// Runs `command` with `cfg`.
pub async fn run(command: Command, cfg: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve::run(&cfg, wiring::governance(&cfg).await?).await,
        Command::Migrate => {
            let store = wiring::store(&cfg).await?;
            store.close().await;
            println!("database {} is up to date", cfg.database_url);
            Ok(())
        }
        Command::Demo(args) => demo::run(&cfg, &args).await,
        Command::Proposal(p) => match p {
            ProposalCommand::Create(a) => proposal::create(&cfg, *a).await,
            ProposalCommand::List(a) => proposal::list(&cfg, a).await,
            ProposalCommand::Show(a) => proposal::show(&cfg, a).await,
            ProposalCommand::Cancel(a) => proposal::cancel(&cfg, a).await,
        },
        Command::Vote(a) => proposal::vote(&cfg, a).await,
        Command::SignedVote(a) => proposal::signed_vote(&cfg, a).await,
        Command::Tally(a) => proposal::tally(&cfg, a).await,
        Command::Link(l) => link::run(&cfg, l).await,
        Command::Audit(AuditCommand::Verify) => audit::verify(&cfg).await,
        Command::Audit(AuditCommand::Log(a)) => audit::log(&cfg, a).await,
    }
}
