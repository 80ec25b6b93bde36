//! The browser app: static files from `web/` and its folders (`web/vendor/`: third-party
//! browser code), embedded in the binary, served at the root with the MIME type of their
//! extension (`.js` as `text/javascript`, which module scripts need). Unknown paths get the
//! service's JSON 404.

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

fn serve(path: &str) -> Response {
    match Assets::get(path) {
        Some(file) => {
            let mime = mime_guess::from_path(path).first_or_octet_stream();
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, mime.as_ref().to_owned()),
                    (header::CACHE_CONTROL, "no-cache".to_owned()),
                ],
                file.data.into_owned(),
            )
                .into_response()
        }
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
