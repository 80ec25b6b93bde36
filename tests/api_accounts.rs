//! Accounts over HTTP: login with an HTTP-only cookie, CSRF on unsafe methods, bearer tokens,
//! and the rules for creating users.

mod common;

use common::{assert_refused, enterprise, spawn_app, uscc, PASSWORD};
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
