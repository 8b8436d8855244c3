//! One function per command.

mod audit;
mod demo;
mod discord;
mod epoch;
mod link;
mod merkle;
mod proposal;
mod recipient;
pub mod serve;

use crate::cli::{
    AuditCommand, Command, DevicesCommand, DiscordCommand, EpochCommand, MerkleCommand, ProposalCommand,
    RecipientCommand,
};
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
        Command::Eip712 => proposal::eip712(&cfg).await,
        Command::Tally(a) => proposal::tally(&cfg, a).await,
        Command::Link(l) => link::run(&cfg, l).await,
        Command::Audit(AuditCommand::Verify) => audit::verify(&cfg).await,
        Command::Audit(AuditCommand::Log(a)) => audit::log(&cfg, a).await,
        Command::Recipient(RecipientCommand::Add { name, category, payout }) => {
            recipient::add(&cfg, &name, &category, &payout).await
        }
        Command::Recipient(RecipientCommand::List) => recipient::list(&cfg).await,
        Command::Recipient(RecipientCommand::Devices(d)) => match d {
            DevicesCommand::Add { program, devices, score } => {
                recipient::add_devices(&cfg, &program, &devices, score).await
            }
            DevicesCommand::Remove { program, devices } => recipient::remove_devices(&cfg, &program, &devices).await,
            DevicesCommand::List { program, json } => recipient::list_devices(&cfg, &program, json).await,
        },
        Command::Allocate(a) => recipient::allocate(&cfg, &a.voter, &a.weights).await,
        Command::Epoch(e) => match e {
            EpochCommand::Plan { json } => epoch::plan(&cfg, json).await,
            EpochCommand::Run => epoch::run(&cfg).await,
            EpochCommand::List => epoch::list(&cfg).await,
            EpochCommand::Show { number } => epoch::show(&cfg, number).await,
            EpochCommand::Export { number, out } => epoch::export(&cfg, number, out.as_deref()).await,
            EpochCommand::Verify { file } => epoch::verify(&file),
            EpochCommand::Execute { number, dry_run, claim: false, .. } => epoch::execute(&cfg, number, dry_run).await,
            EpochCommand::Execute { number, dry_run, claim: true, out } => {
                epoch::execute_claims(&cfg, number, dry_run, out.as_deref()).await
            }
        },
        Command::Merkle(MerkleCommand::Build { payouts, out }) => merkle::build(&payouts, out.as_deref()),
        Command::Discord(DiscordCommand::RegisterCommands { guild, global }) => {
            discord::register_commands(&cfg, guild, global).await
        }
    }
}
