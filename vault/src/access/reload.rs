//! SIGHUP re-reads `--access FILE`: a broken file is logged and the document in force stays,
//! so a typo never opens or closes a vault by accident.

use super::state::Access;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Re-reads the file now, logging the outcome. What the SIGHUP task runs on each signal.
pub fn reload_now(access: &Access) {
    match access.reload() {
        Ok(true) => {
            let doc = access.doc();
            tracing::info!(
                file = %access.file().map(|p| p.display().to_string()).unwrap_or_default(),
                principals = doc.principals.len(),
                vaults = doc.vaults.len(),
                "access file reloaded"
            );
        }
        Ok(false) => tracing::info!("SIGHUP: no --access file to reload"),
        Err(e) => {
            tracing::error!(error = %e, "access file not reloaded; the previous document stays in force")
        }
    }
}

/// Waits for SIGHUP and reloads on each, until `shutdown`. Without a file (or where signals
/// cannot be installed) it just waits for shutdown.
pub async fn run(access: Arc<Access>, shutdown: CancellationToken) {
    if access.file().is_none() {
        return;
    }
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut hangups = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; the access file is read only at start");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                got = hangups.recv() => {
                    if got.is_none() {
                        return;
                    }
                    let access = access.clone();
                    // File i/o off the runtime's worker threads.
                    let _ = tokio::task::spawn_blocking(move || reload_now(&access)).await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    shutdown.cancelled().await;
}
