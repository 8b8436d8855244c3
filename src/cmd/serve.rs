//! `iodao serve`: the web server and the lifecycle timer, until a signal.

use anyhow::Context;
use chrono::Utc;
use iodao_core::Governance;
use tokio::sync::watch;

use crate::config::Config;

/// Serves until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn run(cfg: &Config, governance: Governance) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(cfg.web_bind)
        .await
        .with_context(|| format!("cannot listen on {} (config key `web.bind`)", cfg.web_bind))?;
    let addr = listener.local_addr()?;
    // Printed on stdout so scripts (and tests using port 0) can find the server.
    println!("listening on http://{addr}");
    tracing::info!(%addr, "web server started");

    let (stop_tx, stop_rx) = watch::channel(false);
    let lifecycle = tokio::spawn(lifecycle(governance.clone(), cfg.lifecycle_interval, stop_rx.clone()));
    let mut web_stop = stop_rx;
    let web = iodao_web::serve(listener, iodao_web::AppState { governance: governance.clone() }, async move {
        let _ = web_stop.wait_for(|stop| *stop).await;
    });
    let signal = async {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = stop_tx.send(true);
    };
    let (served, ()) = tokio::join!(web, signal);
    served.context("web server failed")?;
    lifecycle.await.context("lifecycle task panicked")?;
    governance.store().close().await;
    Ok(())
}

/// Opens and closes proposals as their windows start and end.
async fn lifecycle(governance: Governance, every: std::time::Duration, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.wait_for(|s| *s) => return,
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

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
