//! Answers a phone keeps for when it has no network (the key list, the catalogue, the closed
//! lists): a strong `ETag` over the exact bytes of the body, `Cache-Control: no-cache` (keep it,
//! but ask again before using it while online), and `304 Not Modified` with no body when the
//! request's `If-None-Match` names the current tag, so a service worker revalidates its copy
//! for the price of a header.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::ApiError;

/// The `Cache-Control` of a cacheable answer: any cache may keep it, and must revalidate it
/// (a conditional request) before using it again.
pub const REVALIDATE: &str = "public, no-cache";

/// The strong entity tag of `body`: the first 128 bits of its SHA-256, quoted.
pub fn etag_of(body: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(body))[..32])
}

/// Whether `If-None-Match` names `etag` (or `*`); weak tags compare by their opaque part.
fn matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// `value` as JSON with its `ETag` and [`REVALIDATE`], or `304 Not Modified` when the request
/// already holds it.
pub fn json<T: Serialize>(headers: &HeaderMap, value: &T) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(|e| {
        tracing::error!(error = %e, "serialising a cacheable answer");
        ApiError::internal()
    })?;
    let etag = etag_of(&body);
    let tag = HeaderValue::from_str(&etag).map_err(|_| ApiError::internal())?;
    let common = [
        (header::ETAG, tag),
        (header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE)),
    ];
    if matches(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    Ok((
        common,
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_names_the_tag_among_others_or_weakly_or_as_a_star() {
        let tag = etag_of(b"{}");
        assert_eq!(tag.len(), 34);
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
            matches(&h, &tag)
        };
        assert!(with(&tag));
        assert!(with(&format!("\"x\", {tag}")));
        assert!(with(&format!("W/{tag}")));
        assert!(with("*"));
        assert!(!with("\"0123\""));
        assert!(!matches(&HeaderMap::new(), &tag));
        assert_ne!(etag_of(b"{}"), etag_of(b"{ }"), "a tag per body");
    }
}
