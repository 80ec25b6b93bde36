//! The security headers of every answer, set by one middleware ([`headers`]) around the whole
//! router, so API JSON, the web app, the server's pages, errors and 404s all carry them:
//!
//! - `Content-Security-Policy` ([`APP_POLICY`]): scripts, styles, images, connections and
//!   workers from this origin only; no inline script or style, no `eval`, no plugins, no
//!   `<base>`, no framing.
//! - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY`.
//! - `Strict-Transport-Security` when the service is behind TLS (`Config::behind_tls`: its
//!   public URL is `https://`).
//!
//! The server's own pages (label, label sheet, printed manifest, `/Q/` verification, public
//! facility page; `render/`) are answered through [`page`]: they carry their stylesheet inline
//! (a label or a 联单 saved from the browser is one file) and are printed from a hidden frame
//! of the app, so their policy allows exactly their own `<style>` elements, by SHA-256 hash,
//! and framing by this origin (`frame-ancestors 'self'`, `X-Frame-Options: SAMEORIGIN`).
//! They run no script at all.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::service::AppState;

/// The policy of everything but the server's pages.
pub const APP_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-src 'self'; frame-ancestors 'none'";

/// HSTS for a service behind TLS: a year. Subdomains are not included: they may be other
/// services the deployment does not control.
pub const HSTS: &str = "max-age=31536000";

/// Adds the security headers to an answer that lacks them (a server page set its own policy).
pub async fn headers(State(st): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    set_headers(response.headers_mut(), st.config.behind_tls());
    response
}

fn set_headers(h: &mut HeaderMap, behind_tls: bool) {
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, APP_POLICY),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in fixed {
        set_if_absent(h, name, value);
    }
    if behind_tls {
        set_if_absent(h, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
}

fn set_if_absent(h: &mut HeaderMap, name: HeaderName, value: &'static str) {
    h.entry(name).or_insert(HeaderValue::from_static(value));
}

/// The policy of a server page whose inline stylesheets are `styles`: as [`APP_POLICY`] but
/// with no script at all, those stylesheets allowed by hash, and framing by this origin.
pub fn page_policy<'a>(styles: impl IntoIterator<Item = &'a str>) -> String {
    let hashes: String = styles
        .into_iter()
        .map(|css| {
            format!(
                " 'sha256-{}'",
                data_encoding::BASE64.encode(&Sha256::digest(css.as_bytes()))
            )
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'none'; style-src 'self'{hashes}; img-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )
}

/// The text of each `<style>` element of a page the service rendered (its own markup: text
/// from data is escaped, so `<style>` appears only where the renderer wrote it).
fn inline_styles(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<style>") {
        let after = &rest[open + "<style>".len()..];
        let Some(close) = after.find("</style>") else { break };
        out.push(&after[..close]);
        rest = &after[close..];
    }
    out
}

/// A server page (`render/`) as an answer: HTML with its own policy ([`page_policy`]).
pub fn page(html: String) -> Response {
    let policy = page_policy(inline_styles(&html));
    let mut response = axum::response::Html(html).into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_policy_allows_no_inline_script_or_style_and_no_framing() {
        for part in [
            "script-src 'self'",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(APP_POLICY.contains(part), "{part}");
        }
        assert!(!APP_POLICY.contains("unsafe"));
    }

    #[test]
    fn a_page_allows_its_own_stylesheets_by_hash_and_framing_by_the_origin() {
        let html =
            "<html><head><style>p{color:red}</style><style>b{x:1}</style></head><body>&lt;style&gt;</body></html>";
        assert_eq!(inline_styles(html), ["p{color:red}", "b{x:1}"]);
        let policy = page_policy(inline_styles(html));
        // printf 'p{color:red}' | openssl dgst -sha256 -binary | base64
        assert!(
            policy.contains("'sha256-p0bF+un5yUb9MBO6xRb8kPHlY2BdpHVtLiFkDrZPF64='"),
            "{policy}"
        );
        assert!(policy.contains("script-src 'none'"), "{policy}");
        assert!(policy.contains("frame-ancestors 'self'"), "{policy}");
        assert!(!policy.contains("unsafe"));
        let response = page(html.to_owned());
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "SAMEORIGIN");
    }

    #[test]
    fn headers_already_set_are_kept_and_hsts_needs_tls() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("x"));
        set_headers(&mut h, false);
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], "x");
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(h.get(header::STRICT_TRANSPORT_SECURITY).is_none());
        set_headers(&mut h, true);
        assert_eq!(h[header::STRICT_TRANSPORT_SECURITY], HSTS);
    }
}
