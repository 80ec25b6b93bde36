//! Start-up and shutdown: open the database, load seeds (idempotent), read the active
//! catalogue and the working-day calendar, bind, serve until SIGINT or SIGTERM, then finish
//! in-flight requests.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::http::{router, AppState};
use crate::keyring;
use crate::reference;
use crate::serverkeys::key_dir;
use crate::store::{Db, StoreError};

/// Opens the database and prepares the state every handler shares.
pub async fn open(config: Config) -> anyhow::Result<AppState> {
    let base = config.public_base_url.to_ascii_uppercase();
    if !crate::crypto::label::is_qr_alphanumeric(&base) || base.len() > 64 {
        anyhow::bail!("public URL {base} cannot go into a QR label: use at most 64 characters of A-Z 0-9 $%*+-./:");
    }
    let path = config.db_path.clone();
    let origin = config.origin.clone();
    let max_batch = config.max_batch_jobs;
    let (clock, seeds) = (config.clock.clone(), config.key_seeds.clone());
    let (db, log) = tokio::task::spawn_blocking(move || {
        let mut log = None;
        let db = Db::open_with_hook(&path, max_batch, |conn| {
            let opened = keyring::open_log(conn, &key_dir(&path), &origin, clock, seeds.as_ref())?;
            let hook = opened.hook();
            log = Some(opened);
            Ok(hook)
        })?;
        let log = log.ok_or_else(|| StoreError::Other("the log was not opened".into()))?;
        Ok::<_, StoreError>((db, log))
    })
    .await?
    .with_context(|| format!("opening database {}", config.db_path.display()))?;
    let report = db.write(reference::load_seeds).await.context("loading seeds")?;
    if report != reference::SeedReport::default() {
        tracing::info!(?report, "seeded reference data");
    }
    let catalogue = db.read(reference::active_catalogue).await?;
    tracing::info!(version = %catalogue.version, codes = catalogue.len(), "catalogue loaded");
    let calendar = db.read(reference::load_calendar).await?;
    tracing::info!(
        holidays = calendar.holidays.len(),
        workdays = calendar.workdays.len(),
        "working-day calendar loaded"
    );
    tracing::info!(origin = %log.origin, size = log.size(), "log opened");
    Ok(AppState::new(db, log, config, catalogue, calendar))
}

/// Binds the listener (port 0 picks a free port) and returns it with the state.
pub async fn bind(config: Config) -> anyhow::Result<(TcpListener, AppState)> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let state = open(config).await?;
    Ok((listener, state))
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let background = tokio::spawn(crate::alerts::run_periodically(
        state.clone(),
        std::time::Duration::from_secs(60),
        std::time::Duration::from_secs(3600),
    ));
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    background.abort();
    served?;
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The address a bound listener actually got.
pub fn local_addr(listener: &TcpListener) -> anyhow::Result<SocketAddr> {
    Ok(listener.local_addr()?)
}
