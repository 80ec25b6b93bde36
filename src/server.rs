//! Start-up and shutdown: open the database, load seeds (idempotent), read the active
//! catalogue, bind, serve until SIGINT or SIGTERM, then finish in-flight requests.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::http::{router, AppState};
use crate::reference;
use crate::store::Db;

/// Opens the database and prepares the state every handler shares.
pub async fn open(config: Config) -> anyhow::Result<AppState> {
    let path = config.db_path.clone();
    let db = tokio::task::spawn_blocking(move || Db::open(&path))
        .await?
        .with_context(|| format!("opening database {}", config.db_path.display()))?;
    let report = db.write(reference::load_seeds).await.context("loading seeds")?;
    if report != reference::SeedReport::default() {
        tracing::info!(?report, "seeded reference data");
    }
    let catalogue = db.read(reference::active_catalogue).await?;
    tracing::info!(version = %catalogue.version, codes = catalogue.len(), "catalogue loaded");
    Ok(AppState::new(db, config, catalogue))
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
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
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
