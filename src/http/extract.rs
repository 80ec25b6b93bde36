//! Extractors that refuse bad requests in the service's own error shape: JSON bodies (malformed,
//! unknown field, wrong type, not JSON), query strings, path parameters (not UTF-8, say), the
//! authenticated caller (session cookie with CSRF check, or bearer token), and the client's
//! address. Handlers use these, never axum's `Json`, `Query` or `Path` extractors, whose
//! refusals are plain text (`tests/layers.rs` checks it). A body's size and read time are
//! limited before any extractor runs (`http::body`).

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, Method};
use axum::Json;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::access::Caller;
use crate::domain::{Refusal, RefusalKind};
use crate::service::accounts::{self, User};
use crate::service::AppState;

pub const SESSION_COOKIE: &str = "hwtrace_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// A JSON body, refused with `malformed_json`, `unknown_field`, `bad_field`,
/// `unsupported_media_type` or `bad_body` (a body over its limit is refused before, by
/// `http::body`).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> ApiError {
    let detail = rej.body_text();
    match rej {
        JsonRejection::MissingJsonContentType(_) => ApiError::from(Refusal::new(
            RefusalKind::UnsupportedMedia,
            "unsupported_media_type",
            "the body must be JSON with Content-Type: application/json",
            "请求体须为JSON，并带有 Content-Type: application/json",
        )),
        JsonRejection::JsonSyntaxError(_) => ApiError::from(Refusal::new(
            RefusalKind::Malformed,
            "malformed_json",
            format!("the body is not valid JSON: {detail}"),
            format!("请求体不是有效的JSON：{detail}"),
        )),
        JsonRejection::JsonDataError(_) if detail.contains("unknown field") => ApiError::from(Refusal::new(
            RefusalKind::Malformed,
            "unknown_field",
            format!("the body has a field this endpoint does not know: {detail}"),
            format!("请求体含有本接口不认识的字段：{detail}"),
        )),
        JsonRejection::JsonDataError(_) => ApiError::from(Refusal::new(
            RefusalKind::Malformed,
            "bad_field",
            format!("a field is missing or has the wrong type: {detail}"),
            format!("字段缺失或类型错误：{detail}"),
        )),
        _ => ApiError::from(Refusal::new(
            RefusalKind::Malformed,
            "bad_body",
            format!("the body could not be read: {detail}"),
            format!("无法读取请求体：{detail}"),
        )),
    }
}

/// A query string, refused with `bad_query` (unknown parameters included).
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(ApiQuery(v)),
            Err(rej) => Err(query_rejection(rej)),
        }
    }
}

fn query_rejection(rej: QueryRejection) -> ApiError {
    let detail = rej.body_text();
    ApiError::from(Refusal::new(
        RefusalKind::Malformed,
        "bad_query",
        format!("bad query string: {detail}"),
        format!("查询参数错误：{detail}"),
    ))
}

/// The parameters of a route's path, refused with `bad_path` (a percent-encoding that is not
/// UTF-8, a value of the wrong type).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(v)) => Ok(ApiPath(v)),
            Err(rej) => Err(path_rejection(rej)),
        }
    }
}

fn path_rejection(rej: PathRejection) -> ApiError {
    let detail = rej.body_text();
    if rej.status().is_server_error() {
        // A route whose parameters do not fit its handler: the service's fault, not the caller's.
        tracing::error!(%detail, "path parameters do not fit the handler");
        return ApiError::internal();
    }
    ApiError::from(Refusal::new(
        RefusalKind::Malformed,
        "bad_path",
        format!("bad path: {detail}"),
        format!("路径参数错误：{detail}"),
    ))
}

/// How the caller authenticated.
#[derive(Debug, Clone)]
pub enum Via {
    /// A browser session; carries the cookie secret and the session's CSRF token.
    Session {
        token: String,
        csrf_token: String,
    },
    Bearer,
}

/// The authenticated caller of a request.
pub struct Auth {
    pub caller: Caller,
    pub user: User,
    pub via: Via,
}

fn unauthenticated(code: &'static str, en: &str, zh: &str) -> ApiError {
    ApiError::from(Refusal::new(RefusalKind::Unauthenticated, code, en, zh))
}

pub fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(|t| t.trim().to_owned())
                .ok_or_else(|| {
                    unauthenticated(
                        "bad_token",
                        "Authorization must be 'Bearer <token>'",
                        "Authorization 头应为“Bearer <令牌>”",
                    )
                })?;
            let t = token.clone();
            let found = state.db.read(move |conn| accounts::token_caller(conn, &t)).await?;
            let (caller, user, stale) = found.ok_or_else(|| {
                unauthenticated(
                    "bad_token",
                    "the API token is unknown or revoked",
                    "API令牌无效或已撤销",
                )
            })?;
            if stale {
                let db = state.db.clone();
                tokio::spawn(async move { accounts::touch_token(&db, token).await });
            }
            return Ok(Auth {
                caller,
                user,
                via: Via::Bearer,
            });
        }
        let token =
            session_cookie(parts).ok_or_else(|| unauthenticated("not_authenticated", "log in first", "请先登录"))?;
        let t = token.clone();
        let found = state.db.read(move |conn| accounts::session_caller(conn, &t)).await?;
        let (caller, user, csrf_token) = found.ok_or_else(|| {
            unauthenticated(
                "session_expired",
                "your session has expired; log in again",
                "会话已过期，请重新登录",
            )
        })?;
        if !is_safe(&parts.method) {
            let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
            if sent != Some(csrf_token.as_str()) {
                return Err(ApiError::from(Refusal::new(
                    RefusalKind::Forbidden,
                    "csrf_mismatch",
                    "missing or wrong X-CSRF-Token header",
                    "缺少或错误的 X-CSRF-Token 请求头",
                )));
            }
        }
        Ok(Auth {
            caller,
            user,
            via: Via::Session { token, csrf_token },
        })
    }
}

/// The client's address, which login throttling counts failures by: the peer of the TCP
/// connection, unless that peer is one of `Config::trusted_proxies`; then the right-most
/// address of `X-Forwarded-For` that is not itself a trusted proxy (what the nearest trusted
/// proxy saw; whatever the client wrote further left is ignored). A peer that is a trusted
/// proxy but sends no usable `X-Forwarded-For` counts as itself.
pub struct ClientAddr(pub IpAddr);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Served without connection information (a router called directly), every request
        // counts as one unknown address.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        Ok(ClientAddr(client_address(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

/// [`ClientAddr`]'s rule.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|t| same_ip(t, ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all(X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .map(|s| s.parse::<IpAddr>().ok())
        .collect::<Option<Vec<_>>>()
        .unwrap_or_default();
    forwarded.into_iter().rev().find(|ip| !is_trusted(ip)).unwrap_or(peer)
}

/// Equal addresses, an IPv4 address and its IPv6-mapped form included.
fn same_ip(a: &IpAddr, b: &IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append(X_FORWARDED_FOR, v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_peer_is_the_client_unless_it_is_a_trusted_proxy() {
        let proxy = ip("10.0.0.2");
        let forged = headers(&["203.0.113.9"]);
        assert_eq!(client_address(ip("198.51.100.7"), &forged, &[]), ip("198.51.100.7"));
        assert_eq!(
            client_address(ip("198.51.100.7"), &forged, &[proxy]),
            ip("198.51.100.7")
        );
        assert_eq!(client_address(proxy, &forged, &[proxy]), ip("203.0.113.9"));
        assert_eq!(
            client_address(ip("::ffff:10.0.0.2"), &forged, &[proxy]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn what_the_client_wrote_left_of_the_proxies_is_ignored() {
        let (outer, inner) = (ip("10.0.0.1"), ip("10.0.0.2"));
        // The client claimed 1.2.3.4; the outer proxy appended what it saw, 203.0.113.9.
        let h = headers(&["1.2.3.4, 203.0.113.9", "10.0.0.1"]);
        assert_eq!(client_address(inner, &h, &[outer, inner]), ip("203.0.113.9"));
        // Garbage or nothing: the proxy itself.
        assert_eq!(client_address(inner, &headers(&["nonsense"]), &[inner]), inner);
        assert_eq!(client_address(inner, &headers(&[]), &[inner]), inner);
    }
}
