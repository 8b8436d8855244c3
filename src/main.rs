//! iodao, the binary: command line, configuration and wiring of the crates.
//!
//! It turns configuration into a store, a stake source and the services, and
//! starts what is configured. Domain rules live in `iodao-core`; this crate
//! only wires and prints. Errors reach the user through `anyhow` here.

mod bot;
mod cli;
mod cmd;
mod config;
mod wiring;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

// glibc's malloc hands every block over 32 MB back to the kernel when it is
// freed, so each large allocation is faulted in afresh (~3 µs a page here):
// at a million recipients an epoch's allocation spent more time in page
// faults than in arithmetic. mimalloc keeps freed pages for reuse.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_logs(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logs(cli.json_logs);
    let explicit = cli.config.is_some();
    let path = cli.config.clone().unwrap_or_else(|| PathBuf::from("iodao.toml"));
    let result = match config::Config::load(&path, explicit) {
        Ok(cfg) => cmd::run(cli.command, cfg).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
