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
    // The peer's address reaches the handlers (`extract::ClientAddr`, login throttling).
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
    background.abort();
    served?;
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed by this call, not when
/// the future is first polled: axum polls it from a task of its own, which may run after the
/// first requests were answered, and a SIGTERM in between would otherwise kill the process
/// (the signal's default action) instead of letting it finish its requests and exit 0.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{signal, SignalKind};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let wait = |s: std::io::Result<tokio::signal::unix::Signal>| async move {
            match s {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = wait(interrupt) => {},
            _ = wait(terminate) => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    }
}

/// The address a bound listener actually got.
pub fn local_addr(listener: &TcpListener) -> anyhow::Result<SocketAddr> {
    Ok(listener.local_addr()?)
}
