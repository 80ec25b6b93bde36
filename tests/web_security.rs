//! The security headers over HTTP (issue 12, point 6): every kind of answer, API JSON, the web
//! app and its service worker, errors and 404s, and the server's own pages (the `/Q/`
//! verification page, the public facility page, a label, the printed 联单), carries a
//! Content-Security-Policy without inline script, `X-Content-Type-Options: nosniff`,
//! `Referrer-Policy` and framing rules; the server's pages allow exactly their own inline
//! stylesheets (by hash) and framing by the site itself, which prints them from a hidden frame.
//! `Strict-Transport-Security` is sent only when the service is behind TLS.

mod common;

use common::cast::Cast;
use common::custody::Fleet;
use common::{spawn_app, Client, YUNAN};
use data_encoding::BASE64;
use hwtrace::client::generate_fields;
use hwtrace::config::Config;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

/// What an answer is: the app's (anything but a server page) or a server page.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    App,
    Page,
}

/// A header's value, or a failure naming the answer.
fn header<'a>(h: &'a HeaderMap, name: &str, what: &str) -> &'a str {
    h.get(name)
        .unwrap_or_else(|| panic!("{what}: no {name} header in {h:?}"))
        .to_str()
        .unwrap()
}

/// The directives of a policy by name.
fn directive<'a>(policy: &'a str, name: &str) -> Option<&'a str> {
    policy
        .split(';')
        .map(str::trim)
        .find(|d| d.split_whitespace().next() == Some(name))
}

/// Asserts the headers every answer carries, and those of its kind; `body` is the answer's
/// text (a page's `<style>` elements must be allowed by hash).
fn assert_secured(what: &str, h: &HeaderMap, kind: Kind, body: &str) {
    assert_eq!(header(h, "x-content-type-options", what), "nosniff", "{what}");
    assert_eq!(header(h, "referrer-policy", what), "no-referrer", "{what}");
    assert!(h.get("strict-transport-security").is_none(), "{what}: HSTS without TLS");
    let policy = header(h, "content-security-policy", what);
    assert!(!policy.contains("unsafe-"), "{what}: {policy}");
    assert_eq!(
        directive(policy, "object-src"),
        Some("object-src 'none'"),
        "{what}: {policy}"
    );
    assert_eq!(
        directive(policy, "base-uri"),
        Some("base-uri 'none'"),
        "{what}: {policy}"
    );
    assert_eq!(
        directive(policy, "default-src"),
        Some("default-src 'self'"),
        "{what}: {policy}"
    );
    match kind {
        Kind::App => {
            assert_eq!(
                directive(policy, "script-src"),
                Some("script-src 'self'"),
                "{what}: {policy}"
            );
            assert_eq!(
                directive(policy, "style-src"),
                Some("style-src 'self'"),
                "{what}: {policy}"
            );
            assert_eq!(
                directive(policy, "frame-ancestors"),
                Some("frame-ancestors 'none'"),
                "{what}: {policy}"
            );
            assert_eq!(header(h, "x-frame-options", what), "DENY", "{what}");
        }
        Kind::Page => {
            assert_eq!(
                directive(policy, "script-src"),
                Some("script-src 'none'"),
                "{what}: {policy}"
            );
            assert_eq!(
                directive(policy, "frame-ancestors"),
                Some("frame-ancestors 'self'"),
                "{what}: {policy}"
            );
            assert_eq!(header(h, "x-frame-options", what), "SAMEORIGIN", "{what}");
            let styles = directive(policy, "style-src").unwrap_or_else(|| panic!("{what}: no style-src"));
            let mut rest = body;
            let mut found = 0;
            while let Some(at) = rest.find("<style>") {
                let css = &rest[at + 7..];
                let end = css.find("</style>").expect("a closed <style>");
                let hash = format!("'sha256-{}'", BASE64.encode(&Sha256::digest(&css.as_bytes()[..end])));
                assert!(
                    styles.contains(&hash),
                    "{what}: its stylesheet {hash} is not allowed: {styles}"
                );
                found += 1;
                rest = &css[end..];
            }
            assert!(found > 0, "{what}: a page without its stylesheet");
            assert!(
                !body.contains("style=\""),
                "{what}: a style attribute the policy refuses"
            );
            assert!(!body.contains("<script"), "{what}: a script in a page that runs none");
        }
    }
}

/// Sends `method path` and checks the answer's headers; answers its status.
async fn check(c: &Client, method: Method, path: &str, kind: Kind) -> StatusCode {
    let resp = c.request(method.clone(), path).send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let body = resp.text().await.unwrap();
    assert_secured(&format!("{method} {path} ({status})"), &headers, kind, &body);
    status
}

#[tokio::test]
async fn every_kind_of_answer_carries_the_security_headers() {
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6HDR001")
        .transporter(
            "carrier",
            "91500110MA6HDR002",
            Fleet::van("渝D77771", "500110199001011235"),
        )
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let receipt = cast
        .accepted(
            "shop",
            "generate",
            generate_fields("900-249-08", 20_000, "liquid", &["T", "I"], 200),
        )
        .await;
    let code = common::cast::code_of(&receipt);
    let qr = receipt["label"]["qr_text"].as_str().unwrap().to_owned();
    let b32 = qr.rsplit('/').next().unwrap().to_owned();
    let manifest = cast.at_the_gate("shop", "carrier", "yunan", &[(&code, 20_000)]).await;
    let anon = app.anonymous();
    let shop = &cast["shop"].client;

    let answers = [
        // API JSON, the app and its worker.
        (
            &anon,
            Method::GET,
            "/api/v1/health".to_owned(),
            Kind::App,
            StatusCode::OK,
        ),
        (
            shop,
            Method::GET,
            format!("/api/v1/items/{code}"),
            Kind::App,
            StatusCode::OK,
        ),
        (&anon, Method::GET, "/".to_owned(), Kind::App, StatusCode::OK),
        (&anon, Method::GET, "/app.js".to_owned(), Kind::App, StatusCode::OK),
        (&anon, Method::GET, "/style.css".to_owned(), Kind::App, StatusCode::OK),
        (&anon, Method::GET, "/sw.js".to_owned(), Kind::App, StatusCode::OK),
        (
            shop,
            Method::GET,
            format!("/api/v1/items/{code}/qr.svg"),
            Kind::App,
            StatusCode::OK,
        ),
        (
            &anon,
            Method::GET,
            "/log/checkpoint".to_owned(),
            Kind::App,
            StatusCode::OK,
        ),
        // Errors.
        (
            &anon,
            Method::GET,
            "/api/v1/no-such-thing".to_owned(),
            Kind::App,
            StatusCode::NOT_FOUND,
        ),
        (
            &anon,
            Method::GET,
            "/no-such-file.js".to_owned(),
            Kind::App,
            StatusCode::NOT_FOUND,
        ),
        (
            &anon,
            Method::DELETE,
            "/api/v1/health".to_owned(),
            Kind::App,
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            &anon,
            Method::GET,
            "/api/v1/users".to_owned(),
            Kind::App,
            StatusCode::UNAUTHORIZED,
        ),
        (
            &anon,
            Method::POST,
            "/api/v1/session".to_owned(),
            Kind::App,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        // The server's pages.
        (&anon, Method::GET, format!("/Q/{b32}"), Kind::Page, StatusCode::OK),
        (
            &anon,
            Method::GET,
            "/public/facilities".to_owned(),
            Kind::Page,
            StatusCode::OK,
        ),
        (
            shop,
            Method::GET,
            format!("/api/v1/items/{code}/label"),
            Kind::Page,
            StatusCode::OK,
        ),
        (
            shop,
            Method::GET,
            format!("/api/v1/labels/sheet?items={code}"),
            Kind::Page,
            StatusCode::OK,
        ),
        (
            shop,
            Method::GET,
            format!("/api/v1/manifests/{manifest}/print"),
            Kind::Page,
            StatusCode::OK,
        ),
    ];
    for (client, method, path, kind, status) in answers {
        assert_eq!(check(client, method, &path, kind).await, status, "{path}");
    }
    // A refused login, and a throttled one (429 with Retry-After).
    for _ in 0..5 {
        let (s, _) = anon
            .post(
                "/api/v1/session",
                serde_json::json!({"username": "x-admin", "password": "wrong one"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let resp = anon
        .request(Method::POST, "/api/v1/session")
        .json(&serde_json::json!({"username": "x-admin", "password": "wrong one"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_secured("a throttled login", resp.headers(), Kind::App, "");
}

#[tokio::test]
async fn strict_transport_security_only_behind_tls() {
    let app = spawn_app().await;
    let resp = reqwest::get(format!("{}/", app.base)).await.unwrap();
    assert!(resp.headers().get("strict-transport-security").is_none());

    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        public_base_url: "https://hw.example.cn".into(),
        ..Config::with_db(dir.path().join("hwtrace.db"))
    };
    let tls = common::start_with(config, dir).await;
    for path in ["/", "/api/v1/health", "/api/v1/no-such-thing", "/public/facilities"] {
        let resp = reqwest::get(format!("{}{path}", tls.base)).await.unwrap();
        assert_eq!(
            resp.headers()
                .get("strict-transport-security")
                .map(|v| v.to_str().unwrap()),
            Some("max-age=31536000"),
            "{path}"
        );
    }
}
