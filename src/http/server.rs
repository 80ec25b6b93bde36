//! Serving: bind, open the service's state (`service::open`), serve until SIGINT or SIGTERM
//! with the background sweeps, then finish in-flight requests.

use std::future::Future;
use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::http::router;
use crate::service::AppState;

/// Binds the listener (port 0 picks a free port) and returns it with the state.
pub async fn bind(config: Config) -> anyhow::Result<(TcpListener, AppState)> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let state = crate::service::open(config).await?;
    Ok((listener, state))
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let background = tokio::spawn(crate::service::alerts::run_periodically(
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
