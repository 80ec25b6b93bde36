//! The browser app: static files from `web/` and its folders (`web/js/core/...`,
//! `web/js/screens/<role>/...`; `web/vendor/`: third-party browser code), embedded in the
//! binary, served at the root with the MIME type of their extension (`.js` as
//! `text/javascript`, which module scripts need; text as UTF-8, the app's strings are Chinese).
//! Unknown paths get the service's JSON 404.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use rust_embed::RustEmbed;

use super::ApiError;
use crate::service::AppState;

#[derive(RustEmbed)]
#[folder = "web/"]
struct Assets;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", axum::routing::get(|| async { serve("index.html") }))
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
    use super::content_type;

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
