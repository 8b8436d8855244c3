//! `iodao audit verify` and `iodao audit log`.

use crate::cli::AuditLogArgs;
use crate::config::Config;
use crate::wiring;

/// Verifies the chain; an error (non-zero exit) names the first bad entry.
pub async fn verify(cfg: &Config) -> anyhow::Result<()> {
    let gov = wiring::governance(cfg).await?;
    let count = gov.verify_audit().await?;
    let head = match count {
        0 => "none".to_owned(),
        n => gov.audit_entries(n - 1, 1).await?.first().map_or_else(|| "none".to_owned(), |e| e.hash.to_string()),
    };
    println!("audit log intact: {count} entries, head {head}");
    Ok(())
}

/// Prints entries, oldest first.
pub async fn log(cfg: &Config, a: AuditLogArgs) -> anyhow::Result<()> {
    let gov = wiring::governance(cfg).await?;
    let entries = gov.audit_entries(a.after, a.limit).await?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(());
    }
    for e in entries {
        println!(
            "{:>6}  {}  {:<18}  {:<14}  {:<44}  {}",
            e.seq,
            e.at.format("%Y-%m-%d %H:%M:%S"),
            e.action,
            e.subject,
            e.actor,
            e.detail
        );
    }
    Ok(())
}
