//! The browser app: static files from `web/` and its folders (`web/js/core/...`,
//! `web/js/screens/<role>/...`; `web/vendor/`: third-party browser code), embedded in the
//! binary, served at the root with the MIME type of their extension (`.js` as
//! `text/javascript`, which module scripts need; text as UTF-8, the app's strings are Chinese).
//! Unknown paths get the service's JSON 404.
//!
//! The service worker (`/sw.js`, at the root so that its scope is the whole app) is served
//! with its build filled in: the list of the app's files it keeps for offline use (every file
//! of `web/` but itself and the vendored libraries' notes) and a version derived from their
//! contents, so a browser sees a new worker, and replaces its cache, exactly when a file of
//! the app changed. The dashboard's charting library (`vendor/echarts*`, 1 MB, loaded by the
//! regulators' dashboard only, which needs the network for its figures anyway) is served but
//! not kept offline: phones in the field do not download it.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use rust_embed::RustEmbed;
use sha2::{Digest, Sha256};

use super::ApiError;
use crate::service::AppState;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", axum::routing::get(|| async { serve("index.html") }))
        .route("/sw.js", axum::routing::get(|| async { service_worker() }))
        // Browsers ask for `/favicon.ico` on pages that name no icon (an old bookmark, a PDF
        // view): the app's icon, whose SVG every current browser takes under this name too.
        .route("/favicon.ico", axum::routing::get(|| async { serve("icons/icon.svg") }))
}

/// The service worker's file in `web/`.
const SW_FILE: &str = "sw.js";
/// The stand-in in `web/sw.js` that the service replaces with the build (see [`sw_build`]).
const SW_BUILD_MARK: &str = "/*BUILD*/{\"version\": \"dev\", \"shell\": []}/*END*/";

/// Whether an app file belongs in the service worker's offline copy: everything a page loads
/// (the page, modules, styles, icons, the web manifest, vendored code), not the worker itself,
/// the notes beside the vendored code, nor the dashboard's charting library (online only).
fn in_shell(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path != SW_FILE && !name.ends_with(".md") && !name.starts_with("LICENSE") && !path.starts_with("vendor/echarts")
}

/// The app's offline copy as the worker gets it: `{"version", "shell"}`, the shell being `/`
/// (the page itself) and every file of [`in_shell`] by its path, the version the first 64 bits
/// of SHA-256 over each file's path and content hash, in path order.
pub fn sw_build() -> serde_json::Value {
    let mut files: Vec<String> = Assets::iter().map(|p| p.into_owned()).filter(|p| in_shell(p)).collect();
    files.sort();
    let mut hasher = Sha256::new();
    for path in &files {
        let hash = Assets::get(path).map(|f| f.metadata.sha256_hash()).unwrap_or_default();
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update(hash);
    }
    // The worker's own text counts too: a change to its logic is a new version.
    if let Some(sw) = Assets::get(SW_FILE) {
        hasher.update(sw.metadata.sha256_hash());
    }
    let version = hex::encode(&hasher.finalize()[..8]);
    let shell: Vec<String> = std::iter::once("/".to_owned())
        .chain(files.iter().map(|p| format!("/{p}")))
        .collect();
    serde_json::json!({"version": version, "shell": shell})
}

/// `/sw.js`: the worker with its build in place of [`SW_BUILD_MARK`].
fn service_worker() -> Response {
    let Some(file) = Assets::get(SW_FILE) else {
        return ApiError::no_route("/sw.js").into_response();
    };
    let text = String::from_utf8_lossy(&file.data);
    if !text.contains(SW_BUILD_MARK) {
        tracing::error!("web/sw.js lacks its build mark; the service worker is not served");
        return ApiError::internal().into_response();
    }
    let body = text.replacen(SW_BUILD_MARK, &sw_build().to_string(), 1);
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type(SW_FILE)),
            // Checked on every update: a new app version is seen at the next start.
            (header::CACHE_CONTROL, "no-cache".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// The media type of an app file by its extension (`text/javascript` for the ES modules, which
/// a browser runs only when served as JavaScript), with `charset=utf-8` for text.
fn content_type(path: &str) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let text = mime.type_() == mime_guess::mime::TEXT
        || mime.suffix() == Some(mime_guess::mime::JSON)
        || mime.subtype() == mime_guess::mime::JSON;
    if text {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_owned()
    }
}

fn serve(path: &str) -> Response {
    match Assets::get(path) {
        Some(file) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, content_type(path)),
                (header::CACHE_CONTROL, "no-cache".to_owned()),
            ],
            file.data.into_owned(),
        )
            .into_response(),
        None => ApiError::no_route(&format!("/{path}")).into_response(),
    }
}

/// Serves an embedded file for GET paths outside the API, else the JSON 404.
pub async fn static_or_404(uri: &Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") || path.is_empty() || path.contains("..") {
        return ApiError::no_route(uri.path()).into_response();
    }
    serve(path)
}

#[cfg(test)]
mod tests {
    use super::{content_type, sw_build};

    #[test]
    fn service_worker_keeps_every_app_file_but_itself_the_vendor_notes_and_the_charts() {
        let build = sw_build();
        let shell: Vec<&str> = build["shell"]
            .as_array()
            .expect("a shell list")
            .iter()
            .map(|p| p.as_str().expect("a path"))
            .collect();
        for wanted in [
            "/",
            "/index.html",
            "/app.js",
            "/style.css",
            "/manifest.webmanifest",
            "/js/core/api.js",
            "/js/core/queue.js",
            "/js/routes.js",
            "/js/screens/driver/trips.js",
            "/js/screens/oversight/dashboard.js",
            "/vendor/qr.js",
            "/vendor/jsQR.js",
        ] {
            assert!(
                shell.contains(&wanted),
                "{wanted} is not in the worker's shell: {shell:?}"
            );
        }
        for unwanted in [
            "/sw.js",
            "/vendor/README.md",
            "/vendor/LICENSE-jsqr.txt",
            "/vendor/echarts.min.js",
            "/vendor/LICENSE-echarts.txt",
        ] {
            assert!(!shell.contains(&unwanted), "{unwanted} is in the worker's shell");
        }
        let version = build["version"].as_str().expect("a version");
        assert_eq!(version.len(), 16);
        assert!(version.chars().all(|c| c.is_ascii_hexdigit()), "{version}");
        assert_eq!(sw_build(), build, "the build is not stable");
    }

    #[test]
    fn app_files_have_their_media_type_and_text_is_utf8() {
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(
            content_type("js/screens/driver/trips.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("style.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(
            content_type("manifest.webmanifest"),
            "application/manifest+json; charset=utf-8"
        );
        assert_eq!(content_type("vendor/LICENSE.json"), "application/json; charset=utf-8");
        assert_eq!(content_type("icon.png"), "image/png");
    }
}
