//! Accounts over HTTP: login with an HTTP-only cookie, CSRF on unsafe methods, bearer tokens,
//! the rules for creating users (passwords that are easy to guess refused), and failed logins
//! throttled per account and per client address.

mod common;

use std::net::IpAddr;
use std::time::Duration;

use common::{assert_refused, enterprise, spawn_app, uscc, PASSWORD};
use hwtrace::config::Config;
use hwtrace::service::throttle::LoginLimits;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn login_sets_an_http_only_cookie_and_logout_ends_the_session() {
    let app = spawn_app().await;
    app.user("admin", "admin", None, None).await;
    let anon = app.anonymous();
    let resp = anon
        .request(Method::POST, "/api/v1/session")
        .json(&json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("hwtrace_session="));
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }

    let admin = app.login("admin").await;
    let (s, body) = admin.get("/api/v1/session").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(body["user"]["username"], "admin");
    assert_eq!(body["csrf_token"].as_str().map(str::len), Some(64));

    let (s, _) = admin.delete("/api/v1/session").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_refused(
        &admin.get("/api/v1/session").await,
        StatusCode::UNAUTHORIZED,
        "not_authenticated",
    );
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_are_refused_alike() {
    let app = spawn_app().await;
    app.user("admin", "admin", None, None).await;
    let c = app.anonymous();
    let wrong = c
        .post(
            "/api/v1/session",
            json!({"username": "admin", "password": "not the password"}),
        )
        .await;
    assert_refused(&wrong, StatusCode::UNAUTHORIZED, "bad_credentials");
    let unknown = c
        .post("/api/v1/session", json!({"username": "nobody", "password": PASSWORD}))
        .await;
    assert_refused(&unknown, StatusCode::UNAUTHORIZED, "bad_credentials");
    assert_eq!(wrong.1, unknown.1, "the answer does not tell which usernames exist");
    assert_refused(
        &c.get("/api/v1/users").await,
        StatusCode::UNAUTHORIZED,
        "not_authenticated",
    );
}

#[tokio::test]
async fn cookie_sessions_need_the_csrf_token_for_writes() {
    let app = spawn_app().await;
    let mut admin = app.admin().await;
    let body = enterprise(&uscc("91500110MA6CAR001"), &["generator"], "wansheng");
    let token = admin.csrf.take();
    assert_refused(
        &admin.post("/api/v1/enterprises", body.clone()).await,
        StatusCode::FORBIDDEN,
        "csrf_mismatch",
    );
    admin.csrf = Some("0".repeat(64));
    assert_refused(
        &admin.post("/api/v1/enterprises", body.clone()).await,
        StatusCode::FORBIDDEN,
        "csrf_mismatch",
    );
    let (_, list) = admin.get("/api/v1/enterprises").await;
    assert_eq!(
        list["enterprises"].as_array().unwrap().len(),
        6,
        "nothing was created without the token"
    );
    admin.csrf = token;
    let (s, _) = admin.post("/api/v1/enterprises", body).await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test]
async fn bearer_tokens_authenticate_until_revoked() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let (s, created) = admin.post("/api/v1/tokens", json!({"name": "ERP link"})).await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().unwrap();
    assert!(secret.starts_with("hwt_"));

    let api = admin.with_bearer(secret);
    let (s, body) = api.get("/api/v1/session").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        body["csrf_token"],
        serde_json::Value::Null,
        "bearer clients need no CSRF token"
    );
    let (s, _) = api
        .post(
            "/api/v1/enterprises",
            enterprise(&uscc("91500110MA6TKN001"), &["generator"], "wansheng"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "bearer writes need no CSRF token");

    let (_, list) = admin.get("/api/v1/tokens").await;
    assert_eq!(list["tokens"][0]["name"], "ERP link");
    assert!(list["tokens"][0].get("token").is_none(), "secrets are never listed");

    let id = created["id"].as_i64().unwrap();
    let (s, _) = admin.delete(&format!("/api/v1/tokens/{id}")).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_refused(&api.get("/api/v1/session").await, StatusCode::UNAUTHORIZED, "bad_token");
    assert_refused(
        &admin.delete(&format!("/api/v1/tokens/{id}")).await,
        StatusCode::NOT_FOUND,
        "unknown_token",
    );
    let basic = app
        .anonymous()
        .request(Method::GET, "/api/v1/session")
        .header("authorization", "Basic YWRtaW46eA==");
    assert_refused(
        &app.anonymous().send(basic).await,
        StatusCode::UNAUTHORIZED,
        "bad_token",
    );
    assert_refused(
        &admin.post("/api/v1/tokens", json!({"name": ""})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "missing_field",
    );
}

#[tokio::test]
async fn only_admins_create_users_and_each_mistake_has_a_code() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let facility = "91500110MA60YNXH0F";
    let user = |username: &str, role: &str| json!({"username": username, "password": PASSWORD, "display_name": "测试", "role": role});
    let (s, body) = admin
        .post("/api/v1/users", json!({"username": "yunan", "password": PASSWORD, "display_name": "渝南", "role": "enterprise_admin", "enterprise": facility}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert!(body.get("password_hash").is_none());

    let mut regulator_without_district = user("eeb", "regulator");
    regulator_without_district["enterprise"] = json!(null);
    let mut clerk_of_nobody = user("clerk", "enterprise_clerk");
    clerk_of_nobody["enterprise"] = json!(uscc("91500110MA6NBD001"));
    let mut short = user("shorty", "admin");
    short["password"] = json!("short");
    let cases = [
        (user("yunan", "admin"), StatusCode::CONFLICT, "username_taken"),
        (user("YUNAN", "admin"), StatusCode::CONFLICT, "username_taken"),
        (short, StatusCode::UNPROCESSABLE_ENTITY, "weak_password"),
        (user("a b", "admin"), StatusCode::UNPROCESSABLE_ENTITY, "bad_username"),
        (
            user("root", "superuser"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_user_role",
        ),
        (
            regulator_without_district,
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_user_scope",
        ),
        (
            user("clerk", "enterprise_clerk"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_user_scope",
        ),
        (clerk_of_nobody, StatusCode::NOT_FOUND, "unknown_enterprise"),
    ];
    for (body, status, code) in cases {
        assert_refused(&admin.post("/api/v1/users", body).await, status, code);
    }
    let (_, list) = admin.get("/api/v1/users").await;
    assert_eq!(list["users"].as_array().unwrap().len(), 2, "admin and yunan only");

    let yunan = app.login("yunan").await;
    assert_refused(
        &yunan.post("/api/v1/users", user("x-admin", "admin")).await,
        StatusCode::FORBIDDEN,
        "admin_only",
    );
}

#[tokio::test]
async fn easily_guessed_passwords_are_refused_with_the_reason() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = |username: &str, password: &str| json!({"username": username, "password": password, "display_name": "测试", "role": "admin"});
    let cases = [
        ("aaaaaaaaaa", "repeated"),
        ("abcabcabcabc", "repeated"),
        ("1234567890", "run of the alphabet, of digits or of keyboard keys"),
        ("abcdefghij", "run of the alphabet, of digits or of keyboard keys"),
        ("qwertyuiop", "run of the alphabet, of digits or of keyboard keys"),
        ("password2026", "commonest passwords"),
        ("P@ssw0rd!!", "commonest passwords"),
        ("iloveyou1314", "commonest passwords"),
        ("woaini5201314", "commonest passwords"),
        ("plant-admin-2026", "username"),
    ];
    for (password, why) in cases {
        let answer = admin.post("/api/v1/users", user("plant-admin", password)).await;
        assert_refused(&answer, StatusCode::UNPROCESSABLE_ENTITY, "weak_password");
        let message = answer.1["message"].as_str().unwrap();
        assert!(message.contains(why), "{password}: {message}");
        assert!(
            answer.1["message_zh"].as_str().unwrap().starts_with("密码"),
            "{}",
            answer.1
        );
    }
    let (s, body) = admin
        .post("/api/v1/users", user("plant-admin", "lantern river 42 stone"))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

/// A service whose login throttle has the given limits (and trusts the given proxies).
async fn throttled_app(limits: LoginLimits, trusted_proxies: Vec<IpAddr>) -> common::TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        login_limits: limits,
        trusted_proxies,
        ..Config::with_db(dir.path().join("hwtrace.db"))
    };
    common::start_with(config, dir).await
}

/// A client whose connections come from `local` (any 127.x.y.z reaches the service).
fn from_address(app: &common::TestApp, local: &str) -> common::Client {
    common::Client {
        base: app.base.clone(),
        http: reqwest::Client::builder()
            .local_address(local.parse::<IpAddr>().unwrap())
            .build()
            .unwrap(),
        csrf: None,
        bearer: None,
    }
}

/// `POST /api/v1/session` as `username` with `password` (and `X-Forwarded-For`, if given):
/// the status, the `Retry-After` header and the body.
async fn try_login(
    c: &common::Client,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> (StatusCode, Option<u64>, serde_json::Value) {
    let mut rb = c
        .request(Method::POST, "/api/v1/session")
        .json(&json!({"username": username, "password": password}));
    if let Some(f) = forwarded_for {
        rb = rb.header("x-forwarded-for", f);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry, resp.json().await.unwrap())
}

/// Asserts a throttled answer; answers its `Retry-After` seconds.
fn assert_throttled(answer: &(StatusCode, Option<u64>, serde_json::Value)) -> u64 {
    let (status, retry, body) = answer;
    assert_refused(
        &(*status, body.clone()),
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
    );
    retry.expect("a Retry-After header")
}

#[tokio::test]
async fn failed_logins_of_an_account_wait_longer_and_longer_and_a_success_starts_afresh() {
    let app = throttled_app(LoginLimits::default(), vec![]).await;
    app.user("admin", "admin", None, None).await;
    app.user("yunan-admin", "admin", None, None).await;
    let here = app.anonymous();
    for i in 0..5 {
        let answer = try_login(&here, "admin", "not the password", None).await;
        assert_eq!(answer.0, StatusCode::UNAUTHORIZED, "attempt {i}: {answer:?}");
    }
    // The sixth attempt waits, even with the right password: it is not checked.
    assert_eq!(
        assert_throttled(&try_login(&here, "admin", "not the password", None).await),
        1
    );
    assert_eq!(assert_throttled(&try_login(&here, "admin", PASSWORD, None).await), 1);
    // Other accounts log in, from this address and from another.
    assert_eq!(try_login(&here, "yunan-admin", PASSWORD, None).await.0, StatusCode::OK);
    let elsewhere = from_address(&app, "127.0.0.2");
    assert_eq!(
        try_login(&elsewhere, "yunan-admin", PASSWORD, None).await.0,
        StatusCode::OK
    );
    // After the wait one more guess; then twice as long.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        try_login(&elsewhere, "admin", "still not it", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let wait = assert_throttled(&try_login(&elsewhere, "admin", PASSWORD, None).await);
    assert_eq!(wait, 2);
    // The right password after the wait: in, and the count starts afresh.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    assert_eq!(try_login(&here, "admin", PASSWORD, None).await.0, StatusCode::OK);
    for i in 0..5 {
        let answer = try_login(&here, "admin", "not the password", None).await;
        assert_eq!(
            answer.0,
            StatusCode::UNAUTHORIZED,
            "attempt {i} after the success: {answer:?}"
        );
    }
    assert_throttled(&try_login(&here, "admin", "not the password", None).await);
}

#[tokio::test]
async fn failed_logins_from_one_address_are_throttled_whatever_the_usernames() {
    // Twenty failures per ten minutes (one comes back every 30 s), so that the test's own
    // slowness gives none back.
    let limits = LoginLimits {
        address_window: Duration::from_secs(600),
        ..LoginLimits::default()
    };
    let app = throttled_app(limits, vec![]).await;
    app.user("admin", "admin", None, None).await;
    let here = app.anonymous();
    for i in 0..20 {
        let answer = try_login(&here, &format!("guess{i}"), "not the password", None).await;
        assert_eq!(answer.0, StatusCode::UNAUTHORIZED, "attempt {i}: {answer:?}");
    }
    // Even a known account with its right password waits.
    let answer = try_login(&here, "admin", PASSWORD, None).await;
    let wait = assert_throttled(&answer);
    assert!(
        answer.2["message"].as_str().unwrap().contains("address"),
        "{:?}",
        answer.2
    );
    assert!((1..=30).contains(&wait), "{wait}");
    // Another address is not concerned.
    let elsewhere = from_address(&app, "127.0.0.3");
    assert_eq!(
        try_login(&elsewhere, "guess20", "not the password", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(try_login(&elsewhere, "admin", PASSWORD, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_client_counts_and_elsewhere_the_header_is_ignored() {
    let limits = LoginLimits {
        address_failures: 3,
        ..LoginLimits::default()
    };
    let app = throttled_app(limits, vec!["127.0.0.1".parse().unwrap()]).await;
    let proxy = app.anonymous();
    for i in 0..3 {
        let answer = try_login(
            &proxy,
            &format!("guess{i}"),
            "not it",
            Some("198.51.100.1, 203.0.113.9"),
        )
        .await;
        assert_eq!(answer.0, StatusCode::UNAUTHORIZED, "{answer:?}");
    }
    // The client the proxy saw is throttled, whatever it wrote itself further left ...
    assert_throttled(&try_login(&proxy, "guess3", "not it", Some("192.0.2.77, 203.0.113.9")).await);
    // ... and another client behind the same proxy is not.
    assert_eq!(
        try_login(&proxy, "guess3", "not it", Some("203.0.113.10")).await.0,
        StatusCode::UNAUTHORIZED
    );
    // A client that is not the proxy is judged by its own address: forging the header does
    // not buy it more guesses.
    let direct = from_address(&app, "127.0.0.4");
    for i in 0..3 {
        let forged = format!("203.0.113.{}", 100 + i);
        assert_eq!(
            try_login(&direct, &format!("other{i}"), "not it", Some(&forged))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_throttled(&try_login(&direct, "other3", "not it", Some("203.0.113.200")).await);
}
