//! Serving: bind, open the service's state (`service::open`), accept connections until SIGINT
//! or SIGTERM with the background sweeps, then finish in-flight requests.
//!
//! The accept loop is the service's own (not `axum::serve`) for the limits a public service
//! needs: at most `max_connections` served at once (a semaphore taken before each accept, so
//! that beyond it clients wait in the listen queue), and each connection's header read and idle
//! timeouts (`http::connection`).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::config::Config;
use crate::http::connection::{self, Timeouts};
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

/// Serves until `shutdown` resolves, then waits for the connections to finish their requests.
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
    let timeouts = Timeouts {
        header_read: state.config.header_read_timeout,
        idle: state.config.idle_timeout,
    };
    // A semaphore counts in u32 when waiting for all its permits.
    let max = u32::try_from(state.config.max_connections.max(1)).unwrap_or(u32::MAX);
    let app = router(state);
    let permits = Arc::new(Semaphore::new(max as usize));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => (stream, peer),
                Err(e) => {
                    accept_failed(e).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (app, stopping) = (app.clone(), stopping.clone());
        tokio::spawn(async move {
            connection::serve(stream, peer, app, timeouts, stopping).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it ends.
    let _all = permits.acquire_many(max).await;
    background.abort();
    Ok(())
}

/// An accept that failed: a connection reset before it was taken is nothing; anything else (no
/// file descriptors left, say) is logged and waited out, as hyper and axum do.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(e.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset) {
        return;
    }
    tracing::error!(error = %e, "accept failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed by this call, not when
/// the future is first polled: whoever awaits it may first poll it after the first requests
/// were answered, and a SIGTERM in between would otherwise kill the process (the signal's
/// default action) instead of letting it finish its requests and exit 0.
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
