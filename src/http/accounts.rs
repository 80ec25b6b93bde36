//! Sessions, users and API tokens.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Auth, ClientAddr, Via, SESSION_COOKIE};
use crate::service::accounts::{self, ApiToken, CreatedToken, NewUser, User, SESSION_TTL_HOURS};
use crate::service::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    pub user: User,
    /// Send this back as the `X-CSRF-Token` header on every non-GET request of the session.
    pub csrf_token: Option<String>,
}

fn cookie(state: &AppState, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if state.config.behind_tls() { "; Secure" } else { "" };
    let c = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}");
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// Logs in: sets the HTTP-only session cookie and returns the CSRF token. Failed logins are
/// throttled per account and per client address (`429` with `Retry-After`, before the
/// password is checked).
#[utoipa::path(post, path = "/api/v1/session", tag = "accounts", request_body = Login,
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "too many failed logins; `Retry-After` gives the seconds to wait",
            headers(("Retry-After" = u64, description = "seconds to wait before trying again")))))]
pub async fn login(
    State(st): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(body): ApiJson<Login>,
) -> ApiResult<Response> {
    let attempt = st.login_throttle.begin(&body.username, client)?;
    let session = accounts::login(&st.db, body.username, body.password).await?;
    attempt.succeeded();
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        cookie(&st, &session.token, SESSION_TTL_HOURS * 3600),
    );
    let info = SessionInfo {
        user: session.user,
        csrf_token: Some(session.csrf_token),
    };
    Ok((headers, Json(info)).into_response())
}

/// Who is logged in (with the session's CSRF token).
#[utoipa::path(get, path = "/api/v1/session", tag = "accounts",
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn whoami(auth: Auth) -> Json<SessionInfo> {
    let csrf_token = match auth.via {
        Via::Session { csrf_token, .. } => Some(csrf_token),
        Via::Bearer => None,
    };
    Json(SessionInfo {
        user: auth.user,
        csrf_token,
    })
}

/// Logs out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "accounts",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = [])))]
pub async fn logout(State(st): State<AppState>, auth: Auth) -> ApiResult<Response> {
    if let Via::Session { token, .. } = auth.via {
        accounts::logout(&st.db, token).await?;
    }
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, cookie(&st, "", 0));
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
}

/// Every account (administrators only).
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts",
    responses((status = 200, body = UserList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_users(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<UserList>> {
    auth.caller.must_be_admin()?;
    let users = st.db.read(accounts::list_users).await?;
    Ok(Json(UserList { users }))
}

/// Creates an account (administrators only).
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = NewUser,
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_user(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    auth.caller.must_be_admin()?;
    let user = accounts::create_user(&st.db, body).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Serialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<ApiToken>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    pub name: String,
}

/// The caller's API tokens (without their secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "accounts",
    responses((status = 200, body = TokenList), (status = 401, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_tokens(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<TokenList>> {
    let id = auth.caller.user_id;
    let tokens = st.db.read(move |conn| accounts::list_tokens(conn, id)).await?;
    Ok(Json(TokenList { tokens }))
}

/// Creates an API bearer token for the caller; the secret is shown only in this answer.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_token(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let created = accounts::create_token(&st.db, auth.caller.user_id, &body.name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Revokes one of the caller's API tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "accounts",
    params(("id" = i64, Path, description = "token id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn revoke_token(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    let id: i64 = id.parse().map_err(|_| {
        crate::domain::Refusal::not_found(
            "unknown_token",
            format!("no API token '{id}'"),
            format!("没有API令牌“{id}”"),
        )
    })?;
    accounts::revoke_token(&st.db, auth.caller.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
