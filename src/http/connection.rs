//! One client connection (HTTP/1.1, hyper), closed when the client keeps it without using it:
//!
//! - **header read timeout**: a request's headers must be complete within it, counted from the
//!   connection's start or from the first byte of a request after an idle spell (slowloris:
//!   partial headers trickled one byte at a time, or a connection that says nothing);
//! - **idle timeout**: between requests (keep-alive), and while an answer is being written but
//!   the client reads none of it, a connection may stay silent this long.
//!
//! While a handler runs there is no deadline here: a body that stops arriving is refused by
//! `http::body` after the idle timeout, and the handler's own work is bounded by what it does.
//!
//! The connection's phase is kept by the three places that see it change: the socket wrapper
//! ([`Watched`]: bytes read or written), the service (a request starts, its answer is ready) and
//! the answer's body (dropped by hyper once written). One timer per connection wakes at the
//! phase's deadline (or after the shorter timeout, whichever is first) and closes the
//! connection if the phase has not moved on.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::response::Response;
use axum::Router;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tower::ServiceExt;

/// The timeouts of every connection (from `Config`).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header_read: Duration,
    pub idle: Duration,
}

/// Where a connection is in its request-answer cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request's headers, since the connection opened or a request's first byte.
    Head { since: Instant },
    /// A handler is running (reading the body included).
    Busy,
    /// The answer is being written; the last time the client took some of it.
    Writing { last: Instant },
    /// Between requests since then.
    Idle { since: Instant },
}

impl Phase {
    /// When the phase closes the connection if nothing changes; `None` while a handler runs.
    fn deadline(self, t: Timeouts) -> Option<Instant> {
        match self {
            Phase::Head { since } => Some(since + t.header_read),
            Phase::Busy => None,
            Phase::Writing { last } => Some(last + t.idle),
            Phase::Idle { since } => Some(since + t.idle),
        }
    }

    fn why(self) -> &'static str {
        match self {
            Phase::Head { .. } => "its request headers did not arrive in time",
            Phase::Busy => "",
            Phase::Writing { .. } => "the client stopped reading its answer",
            Phase::Idle { .. } => "it stayed idle",
        }
    }
}

/// The phase, shared by the socket wrapper, the service, the answer's body and the timer.
#[derive(Debug)]
struct Activity(Mutex<Phase>);

impl Activity {
    fn get(&self) -> Phase {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, f: impl FnOnce(Phase) -> Phase) {
        let mut phase = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *phase = f(*phase);
    }

    fn bytes_read(&self) {
        self.update(|p| match p {
            Phase::Idle { .. } => Phase::Head { since: Instant::now() },
            other => other,
        });
    }

    fn bytes_written(&self) {
        self.update(|p| match p {
            Phase::Writing { .. } => Phase::Writing { last: Instant::now() },
            other => other,
        });
    }
}

/// Serves one connection with `app` until it ends, its phase's deadline passes, or `shutdown`
/// turns true: then a connection between requests closes at once, one in a request once it is
/// answered.
pub async fn serve(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    app: Router,
    timeouts: Timeouts,
    mut shutdown: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity(Mutex::new(Phase::Head { since: Instant::now() })));
    let io = TokioIo::new(Watched {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
            let (app, activity) = (app.clone(), activity.clone());
            async move {
                activity.update(|_| Phase::Busy);
                // The peer's address reaches the handlers (`extract::ClientAddr`, login throttling).
                let mut req = req.map(Body::new);
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                let answer = app.oneshot(req).await?;
                activity.update(|_| Phase::Writing { last: Instant::now() });
                Ok::<Response, Infallible>(answer.map(|body| Body::new(Answer { body, activity })))
            }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new().serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = false;
    // The phase may change to one with an earlier deadline while the timer sleeps: it looks
    // again at least this often.
    let recheck = timeouts.header_read.min(timeouts.idle);
    loop {
        let later = Instant::now() + recheck;
        let wake = activity.get().deadline(timeouts).map_or(later, |d| d.min(later));
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = tokio::time::sleep_until(wake) => {
                let phase = activity.get();
                if phase.deadline(timeouts).is_some_and(|d| d <= Instant::now()) {
                    tracing::debug!("closing a connection: {}", phase.why());
                    return;
                }
            }
            _ = shutdown.wait_for(|stop| *stop), if !draining => {
                if matches!(activity.get(), Phase::Head { .. } | Phase::Idle { .. }) {
                    return;
                }
                conn.as_mut().graceful_shutdown();
                draining = true;
            }
        }
    }
}

/// The socket, telling the connection's [`Activity`] when bytes pass.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.bytes_written();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.bytes_written();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// An answer's body: when hyper has taken all of it (and drops it), the connection is idle.
struct Answer {
    body: Body,
    activity: Arc<Activity>,
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.activity.update(|p| match p {
            Phase::Writing { .. } => Phase::Idle { since: Instant::now() },
            other => other,
        });
    }
}

impl HttpBody for Answer {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_phase_has_its_deadline() {
        let t = Timeouts {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
        };
        let now = Instant::now();
        assert_eq!(Phase::Head { since: now }.deadline(t), Some(now + t.header_read));
        assert_eq!(Phase::Idle { since: now }.deadline(t), Some(now + t.idle));
        assert_eq!(Phase::Writing { last: now }.deadline(t), Some(now + t.idle));
        assert_eq!(Phase::Busy.deadline(t), None);
    }

    #[test]
    fn a_first_byte_after_idling_starts_the_header_clock_and_writes_only_move_a_writing_phase() {
        let a = Activity(Mutex::new(Phase::Idle { since: Instant::now() }));
        a.bytes_written();
        assert!(matches!(a.get(), Phase::Idle { .. }));
        a.bytes_read();
        assert!(matches!(a.get(), Phase::Head { .. }));
        a.update(|_| Phase::Busy);
        a.bytes_read();
        a.bytes_written();
        assert_eq!(a.get(), Phase::Busy);
    }
}
