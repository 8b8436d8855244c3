//! `iodao serve`: the web server (the portal), the lifecycle timer, the
//! epoch scheduler and the chat bots that are configured, until a signal:
//! Discord (its interactions endpoint merged into the web server, or its
//! gateway client) and Telegram (long polling, or its webhook merged in),
//! with one announcer that finds proposals opening and closing and epochs
//! allocated and paid in the store (whichever process changed it) and tells
//! every bot's chats and channels.

use anyhow::Context;
use chrono::{DateTime, Utc};
use iodao_core::{Epochs, Governance, Ran};
use tokio::sync::watch;

use crate::config::{Config, EpochConfig};
use crate::wiring;

/// Serves until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn run(cfg: &Config, governance: Governance) -> anyhow::Result<()> {
    let stop_signal = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(cfg.web_bind)
        .await
        .with_context(|| format!("cannot listen on {} (config key `web.bind`)", cfg.web_bind))?;
    let addr = listener.local_addr()?;

    let (stop_tx, stop_rx) = watch::channel(false);
    // One stake source (in `governance`) and one epoch service for every
    // part of the process.
    let epochs = wiring::epochs(cfg, governance.store().clone(), governance.stake().clone())?;
    let commands = wiring::bot_commands(cfg, &governance, epochs.clone());
    let mut routes = axum::Router::new();
    let mut gateway = None;
    let discord = super::discord::bot(cfg, &commands)?;
    if let Some((bot, d)) = &discord {
        match super::discord::start(bot, d).await? {
            super::discord::Started::Gateway(running) => gateway = Some(running),
            super::discord::Started::Endpoint(router) => routes = routes.merge(router),
        }
    }
    let bots = crate::bot::start(cfg, &commands).await?;
    let announcer = crate::bot::announce(
        cfg,
        &commands,
        bots.telegram.as_ref(),
        discord.as_ref().map(|(bot, _)| bot),
        stop_rx.clone(),
    )
    .await;

    let links = iodao_core::Links::new(governance.store().clone(), cfg.links.clone());
    let lifecycle = tokio::spawn(lifecycle(governance.clone(), links, cfg.lifecycle_interval, stop_rx.clone()));
    let scheduler = tokio::spawn(epochs_on_schedule(epochs.clone(), cfg.epochs.clone(), stop_rx.clone()));
    let mut app = iodao_web::router(wiring::portal(cfg, &governance, epochs)?).merge(routes);
    if let Some(extra) = bots.router.clone() {
        app = app.merge(extra);
    }
    // Printed on stdout so scripts (and tests using port 0) can find the
    // server, once everything is started: a change made after this line is
    // announced (the announcer has taken its first look).
    println!("listening on http://{addr}");
    tracing::info!(%addr, "web server started");
    let mut web_stop = stop_rx;
    let web = iodao_web::serve(listener, app, async move {
        let _ = web_stop.wait_for(|stop| *stop).await;
    });
    let signal = async {
        stop_signal.await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
    };
    let (served, ()) = tokio::join!(web, signal);
    served.context("web server failed")?;
    lifecycle.await.context("lifecycle task panicked")?;
    scheduler.await.context("epoch scheduler panicked")?;
    if let Some(task) = announcer {
        task.await.context("announcer panicked")?;
    }
    if let Some(running) = gateway {
        running.stop().await;
    }
    bots.stop().await;
    governance.store().close().await;
    Ok(())
}

/// How often the lifecycle timer prunes what only grows (link challenges
/// long expired, signed-message digests past their replay window).
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Opens and closes proposals as their windows start and end (the
/// announcer finds the change in the store), and every [`PRUNE_EVERY`]
/// (from the first tick) prunes.
async fn lifecycle(
    governance: Governance,
    links: iodao_core::Links,
    every: std::time::Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pruned: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if pruned.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            pruned = Some(tokio::time::Instant::now());
            prune(&governance, &links).await;
        }
        match governance.advance(Utc::now()).await {
            Ok(steps) => {
                for s in steps {
                    tracing::info!(id = %s.id, state = %s.state, "proposal moved");
                }
            }
            Err(e) => tracing::error!(error = %e, "lifecycle step failed; retrying next tick"),
        }
    }
}

/// Deletes what can never be used again; a failure is logged and retried
/// at the next round.
async fn prune(governance: &Governance, links: &iodao_core::Links) {
    let now = Utc::now();
    match links.prune_challenges(now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "pruned expired link challenges"),
        Err(e) => tracing::error!(error = %e, "pruning link challenges failed; retrying later"),
    }
    match governance.prune_signed_messages(now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "pruned signed-message digests past their replay window"),
        Err(e) => tracing::error!(error = %e, "pruning signed-message digests failed; retrying later"),
    }
}

/// Runs each epoch at its slot. A slot runs once (the store refuses a
/// second epoch for it); after downtime the latest missed slot runs at
/// start, a run a crash interrupted resumes from the state it reached
/// (open or tallied), and a run that fails (a node down) is stored as failed
/// with its reason and retried afresh until it succeeds or the next slot
/// comes: after 30 s, then twice as long each time the slot fails again, up
/// to an hour and never past the next slot (each retry is audited as a run
/// opened afresh). With no epoch yet, the first is the first slot after the
/// server started.
async fn epochs_on_schedule(epochs: Epochs, cfg: EpochConfig, mut stop: watch::Receiver<bool>) {
    const RETRY: std::time::Duration = std::time::Duration::from_secs(30);
    const MOST: std::time::Duration = std::time::Duration::from_secs(3600);
    // The slot failing, and how long to wait before its next try.
    let mut failing: Option<(DateTime<Utc>, std::time::Duration)> = None;
    let started = Utc::now() - chrono::Duration::seconds(1);
    loop {
        let now = Utc::now();
        let last = match epochs.list().await {
            Ok(list) => list.first().map(|e| e.slot),
            Err(e) => {
                tracing::error!(error = %e, "cannot read epochs; retrying");
                if sleep_or_stop(RETRY, &mut stop).await {
                    return;
                }
                continue;
            }
        };
        let due = cfg.latest_slot(now).filter(|d| last.map_or(*d >= started, |l| *d > l));
        if let Some(slot) = due {
            match epochs.run(slot, now).await {
                Ok(Ran::New(e)) => {
                    failing = None;
                    // On stdout, like "listening on", for scripts and tests; a
                    // closed stdout must not stop the scheduler.
                    use std::io::Write;
                    let _ = writeln!(
                        std::io::stdout(),
                        "epoch {} allocated for slot {}: spent {} IOTX",
                        e.number,
                        e.slot,
                        e.spent.to_iotx_string()
                    );
                }
                Ok(Ran::Existing(_)) => {}
                Err(e) => {
                    let backoff = match failing {
                        Some((s, b)) if s == slot => (b * 2).min(MOST),
                        _ => RETRY,
                    };
                    failing = Some((slot, backoff));
                    let until_next = cfg.next_slot(Utc::now()).and_then(|n| (n - Utc::now()).to_std().ok());
                    let wait = until_next.map_or(backoff, |u| backoff.min(u));
                    tracing::error!(error = %e, %slot, retry_in = ?wait, "epoch run failed");
                    if sleep_or_stop(wait, &mut stop).await {
                        return;
                    }
                    continue;
                }
            }
        }
        let Some(next) = cfg.next_slot(Utc::now()) else {
            tracing::warn!(schedule = %cfg.schedule_text, "the epoch schedule has no further slot");
            return;
        };
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        if sleep_or_stop(wait, &mut stop).await {
            return;
        }
    }
}

/// Sleeps; true if asked to stop meanwhile.
async fn sleep_or_stop(d: std::time::Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => false,
        _ = stop.wait_for(|s| *s) => true,
    }
}

/// Registers for SIGINT and SIGTERM now (before "listening on" is printed,
/// so a signal sent as soon as the server answers is never missed) and
/// returns a future that ends at the first of them.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
        let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
