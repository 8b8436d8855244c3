//! The command line: every command and its `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// iodao: governance bot and incentive allocator of an IoTeX 2.0 DAO.
#[derive(Debug, Parser)]
#[command(version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Configuration file (default: iodao.toml in the working directory, if present).
    #[arg(long, global = true, env = "IODAO_CONFIG")]
    pub config: Option<PathBuf>,

    /// Write logs as JSON lines (for log collectors) instead of text.
    #[arg(long, global = true)]
    pub json_logs: bool,

    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start everything that is configured (for now: the web server and its /healthz) and
    /// open and close proposals as their windows start and end.
    Serve,
    /// Create the database if needed and apply migrations, then exit.
    Migrate,
    /// Fill the database with demo stakers, proposals and votes (once), then serve.
    Demo(DemoArgs),
    /// Create, list, show or cancel proposals.
    #[command(subcommand)]
    Proposal(ProposalCommand),
    /// Record a vote as the operator (power read at the proposal's snapshot block).
    Vote(VoteArgs),
    /// Relay a vote signed by a wallet (EIP-712 `Vote`, see README) from a JSON file
    /// `{"voter", "proposal", "choice", "timestamp", "signature"}`.
    SignedVote(SignedVoteArgs),
    /// Print what wallets sign for this deployment as EIP-712 JSON: the domain (name, version,
    /// chainId and this deployment's salt) and the types, as GET /api/v1/eip712 serves them.
    Eip712,
    /// Show a proposal's tally: totals per choice, quorum, threshold and outcome.
    Tally(TallyArgs),
    /// Link a chat account to a wallet by a signed challenge, or remove a link.
    #[command(subcommand)]
    Link(LinkCommand),
    /// Read or verify the tamper-evident audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Add or list recipients (device programs, DePIN projects, dapps).
    #[command(subcommand)]
    Recipient(RecipientCommand),
    /// Record a voter's allocation across recipients as the operator
    /// (`3=60 solar-farms=40`; an empty string withdraws it).
    Allocate(AllocateArgs),
    /// Plan, run, show, export or verify epochs.
    #[command(subcommand)]
    Epoch(EpochCommand),
    /// Merkle trees for claim-mode payouts.
    #[command(subcommand)]
    Merkle(MerkleCommand),
    /// The Discord bot's setup.
    #[command(subcommand)]
    Discord(DiscordCommand),
}

/// `iodao discord …`.
#[derive(Debug, Subcommand)]
pub enum DiscordCommand {
    /// Install (overwrite) the slash commands: in one guild (instant), or
    /// globally (may take up to an hour to show). Needs `discord.application_id`
    /// and the token in IODAO_DISCORD_TOKEN or `discord.token_file`.
    RegisterCommands {
        /// The guild (server) id; default `discord.guild`, else global.
        #[arg(long)]
        guild: Option<u64>,
        /// Register globally even if `discord.guild` is set.
        #[arg(long, conflicts_with = "guild")]
        global: bool,
    },
}

/// `iodao merkle …`.
#[derive(Debug, Subcommand)]
pub enum MerkleCommand {
    /// Build the tree of a payouts CSV (lines `address,amount_wei`, 0x… or io1…):
    /// prints the root; writes every claim with its proof as JSON.
    Build {
        /// The payouts file.
        payouts: PathBuf,
        /// Where to write the claims (default: claims.json beside the payouts).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `iodao recipient …`.
#[derive(Debug, Subcommand)]
pub enum RecipientCommand {
    /// Add an active recipient.
    Add {
        /// Its unique name (how voters refer to it).
        name: String,
        /// device-program, depin-project or dapp.
        #[arg(long)]
        category: String,
        /// Where its payouts go (0x… or io1…).
        #[arg(long)]
        payout: String,
    },
    /// List recipients with their current weight.
    List,
    /// The devices a device program shares its payouts with (by ioID
    /// device address, each with a score).
    #[command(subcommand)]
    Devices(DevicesCommand),
}

/// `iodao recipient devices …`.
#[derive(Debug, Subcommand)]
pub enum DevicesCommand {
    /// List devices under a device program, or change their score. Each
    /// epoch splits the program's payout across its devices registered in
    /// the ioID registry (`chain.ioid_registry`) by score, paid to each
    /// device's ioID owner.
    Add {
        /// The device program, by number or name.
        program: String,
        /// Device addresses (0x… or io1…).
        #[arg(required = true)]
        devices: Vec<String>,
        /// Each device's share weight (equal scores: an equal split).
        #[arg(long, default_value_t = 1)]
        score: u32,
    },
    /// Stop paying devices of a device program.
    Remove {
        /// The device program, by number or name.
        program: String,
        /// Device addresses (0x… or io1…).
        #[arg(required = true)]
        devices: Vec<String>,
    },
    /// A device program's devices and scores.
    List {
        /// The device program, by number or name.
        program: String,
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `iodao allocate`.
#[derive(Debug, Args)]
pub struct AllocateArgs {
    /// The voter (0x… or io1…).
    pub voter: String,
    /// recipient=percent pairs, by number or name.
    pub weights: String,
}

/// `iodao epoch …`.
#[derive(Debug, Subcommand)]
pub enum EpochCommand {
    /// Dry run: the allocation the current slot's epoch would make now. Stores nothing.
    Plan {
        /// Print the bundle as JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Run the epoch of the schedule's latest slot now (once per slot).
    Run,
    /// List epochs, newest first.
    List,
    /// One epoch: totals and the payout table.
    Show {
        /// The epoch number.
        number: u64,
    },
    /// Write an epoch's bundle (inputs and result) as JSON, for anyone to verify.
    Export {
        /// The epoch number.
        number: u64,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Pay an epoch on-chain through the configured Distributor, in journaled
    /// batches; run again to resume after a crash (nothing is paid twice).
    /// With --claim: publish the epoch's Merkle root on a claim-mode
    /// Distributor (once) and write every recipient's proof as JSON.
    Execute {
        /// The epoch number.
        number: u64,
        /// Print the batches (or the root) without sending anything.
        #[arg(long)]
        dry_run: bool,
        /// Claim mode: `setRoot(epoch, root, total)`, then export the claims.
        #[arg(long)]
        claim: bool,
        /// Where claim mode writes the claims (default claims-N.json).
        #[arg(long, requires = "claim")]
        out: Option<PathBuf>,
    },
    /// Recompute an exported bundle and check it to the wei.
    Verify {
        /// The bundle file.
        file: PathBuf,
    },
}

/// `iodao link …`.
#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Issue a Sign-In with Ethereum challenge for ACCOUNT to prove ADDRESS;
    /// prints the message to sign (personal_sign) and the portal URL.
    Challenge {
        /// discord:<user id> or telegram:<user id>.
        account: String,
        /// The wallet to link (0x… or io1…).
        address: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a signed challenge and make the link.
    Verify {
        /// A file holding the exact message that was signed.
        #[arg(long)]
        message_file: PathBuf,
        /// The signature, 0x-prefixed hex (65 bytes).
        #[arg(long)]
        signature: String,
    },
    /// Show the address an account votes with.
    Show {
        /// discord:<user id> or telegram:<user id>.
        account: String,
    },
    /// Remove an account's link.
    Remove {
        /// discord:<user id> or telegram:<user id>.
        account: String,
    },
}

/// `iodao audit …`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of the whole log; exits non-zero if a row was
    /// edited, removed or replaced, and prints the head hash to publish.
    Verify,
    /// Print entries, oldest first.
    Log(AuditLogArgs),
}

/// `iodao audit log`.
#[derive(Debug, Args)]
pub struct AuditLogArgs {
    /// Start after this entry number.
    #[arg(long, default_value_t = 0)]
    pub after: u64,
    /// At most this many.
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `iodao demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed the demo data and exit instead of serving.
    #[arg(long)]
    pub no_serve: bool,
}

/// `iodao proposal …`.
#[derive(Debug, Subcommand)]
pub enum ProposalCommand {
    /// Create a proposal.
    Create(Box<CreateArgs>),
    /// List proposals, newest first.
    List(ListArgs),
    /// Show one proposal with its live tally.
    Show(ShowArgs),
    /// Cancel a pending or active proposal.
    Cancel(ShowArgs),
}

/// `iodao proposal create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// One line, at most 200 characters.
    #[arg(long)]
    pub title: String,
    /// Markdown body, at most 20 000 characters.
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Read the body from this file.
    #[arg(long)]
    pub body_file: Option<PathBuf>,
    /// The proposing address (0x… or io1…).
    #[arg(long)]
    pub author: String,
    /// A choice; repeat for each (2 to 20). Default: For, Against, Abstain.
    #[arg(long = "choice")]
    pub choices: Vec<String>,
    /// How votes are cast and counted: single-choice, approval, weighted or quadratic.
    #[arg(long, default_value = "single-choice")]
    pub method: String,
    /// Time until voting opens, like 0s, 2h or 1day (default: governance.voting_delay).
    #[arg(long)]
    pub delay: Option<String>,
    /// How long voting stays open, like 3days (default: governance.voting_period).
    #[arg(long)]
    pub period: Option<String>,
    /// Quorum in IOTX (default: governance.quorum).
    #[arg(long)]
    pub quorum: Option<String>,
    /// Pass threshold in percent of non-abstain power (default: governance.threshold).
    #[arg(long)]
    pub threshold: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `iodao proposal list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only proposals in this state: pending, active, passed, rejected,
    /// quorum-not-met, executed, cancelled.
    #[arg(long)]
    pub state: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Skip this many (for paging).
    #[arg(long, default_value_t = 0)]
    pub offset: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A command that names one proposal.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The proposal's number (12 or #12).
    pub id: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `iodao vote`.
#[derive(Debug, Args)]
pub struct VoteArgs {
    /// The proposal's number.
    pub id: String,
    /// The choice: its number or its label.
    pub choice: String,
    /// The voter's address (0x… or io1…).
    #[arg(long)]
    pub voter: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `iodao signed-vote`.
#[derive(Debug, Args)]
pub struct SignedVoteArgs {
    /// The JSON file (`-` for standard input).
    pub file: PathBuf,
}

/// `iodao tally`.
#[derive(Debug, Args)]
pub struct TallyArgs {
    /// The proposal's number.
    pub id: String,
    /// Count afresh from every stored vote instead of reading the live tally.
    #[arg(long)]
    pub recount: bool,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}
