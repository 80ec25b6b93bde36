//! A web site the test itself serves, for pages that must never ship in `web/` (a service
//! worker written only to prove the browser harness, a page poking at a browser feature). It
//! listens on its own port on 127.0.0.1 (a secure context, so service workers and the camera
//! are allowed), answers every file with `Cache-Control: no-store` (nothing comes back from
//! the HTTP cache behind a test's back), and records every request it sees, so a test can
//! prove which loads did and did not reach the network.
//!
//! Screen tests use the real service instead; this is for testing the harness:
//!
//! ```ignore
//! let site = TestSite::start(&[
//!     ("/page.html", "text/html", PAGE),
//!     ("/sw.js", "text/javascript", WORKER),
//! ])
//! .await;
//! with_browsers(app, [Launch::desktop()], move |_, [b]| {
//!     b.goto(&format!("{}/page.html", site.base));
//!     let mark = site.requests().len();
//!     b.set_offline(true);
//!     // ...
//!     assert!(site.requests()[mark..].is_empty(), "the network was reached offline");
//! })
//! .await;
//! ```
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// A running test site; it stops when dropped.
pub struct TestSite {
    /// `http://127.0.0.1:<port>`
    pub base: String,
    log: Arc<Mutex<Vec<String>>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TestSite {
    /// Serves `files` (path, content type, body) on a fresh port; any other path is a 404.
    pub async fn start(files: &[(&str, &str, &str)]) -> TestSite {
        let files: Arc<HashMap<String, (String, String)>> = Arc::new(
            files
                .iter()
                .map(|(path, ct, body)| ((*path).to_owned(), ((*ct).to_owned(), (*body).to_owned())))
                .collect(),
        );
        let log = Arc::new(Mutex::new(Vec::new()));
        let app = {
            let log = log.clone();
            Router::new().fallback(move |method: axum::http::Method, uri: Uri| {
                let (files, log) = (files.clone(), log.clone());
                async move {
                    log.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(format!("{method} {}", uri.path()));
                    serve(&files, uri.path())
                }
            })
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the test site");
        let base = format!("http://{}", listener.local_addr().expect("its address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
        });
        TestSite { base, log, _stop: stop }
    }

    /// Every request seen so far, as `METHOD /path`, in order.
    pub fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn serve(files: &HashMap<String, (String, String)>, path: &str) -> Response {
    match files.get(path) {
        Some((ct, body)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, ct.clone()),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            body.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "not here").into_response(),
    }
}
