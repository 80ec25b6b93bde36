//! The one place where refusals and failures become HTTP answers: a status code and the JSON
//! body `{"error", "message", "message_zh"}`. Internal details are logged, never sent.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{Refusal, RefusalKind};
use crate::service::throttle::Throttled;
use crate::store::StoreError;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine code, e.g. `bad_uscc_check`.
    pub error: String,
    /// English message.
    pub message: String,
    /// Chinese message.
    pub message_zh: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub message_zh: String,
    /// Seconds for the `Retry-After` header of a throttled (`429`) or unavailable (`503`) answer.
    pub retry_after_s: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn internal() -> ApiError {
        Refusal::new(
            RefusalKind::Internal,
            "internal_error",
            "internal error; it has been logged",
            "服务器内部错误，已记录日志",
        )
        .into()
    }

    pub fn no_route(path: &str) -> ApiError {
        Refusal::new(
            RefusalKind::NotFound,
            "no_route",
            format!("there is no endpoint at {path}; see /api/v1/openapi.json"),
            format!("不存在接口{path}；请查看 /api/v1/openapi.json"),
        )
        .into()
    }
}

/// The HTTP status of each kind of refusal: the one place statuses are chosen.
pub fn status_of(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::Invalid | RefusalKind::Limit => StatusCode::UNPROCESSABLE_ENTITY,
        RefusalKind::NotFound => StatusCode::NOT_FOUND,
        RefusalKind::Conflict => StatusCode::CONFLICT,
        RefusalKind::Forbidden => StatusCode::FORBIDDEN,
        RefusalKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        RefusalKind::Malformed => StatusCode::BAD_REQUEST,
        RefusalKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        RefusalKind::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        RefusalKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        RefusalKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        RefusalKind::Throttled => StatusCode::TOO_MANY_REQUESTS,
        RefusalKind::Timeout => StatusCode::REQUEST_TIMEOUT,
        RefusalKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}
impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        ApiError {
            status: status_of(r.kind),
            code: r.code,
            message: r.message,
            message_zh: r.message_zh,
            retry_after_s: None,
        }
    }
}

impl From<Throttled> for ApiError {
    fn from(t: Throttled) -> ApiError {
        ApiError {
            retry_after_s: Some(t.retry_after_s()),
            ..t.refusal().into()
        }
    }
}

/// Seconds to wait before retrying a write the database was too busy for.
pub const BUSY_RETRY_AFTER_S: u64 = 2;
/// Seconds to wait before retrying a write the disk could not take.
pub const UNAVAILABLE_RETRY_AFTER_S: u64 = 30;

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Refused(r) => r.into(),
            StoreError::Busy(detail) => {
                tracing::warn!(%detail, "database busy");
                ApiError {
                    retry_after_s: Some(BUSY_RETRY_AFTER_S),
                    ..Refusal::new(
                        RefusalKind::Unavailable,
                        "database_busy",
                        format!("the database is locked by another process; nothing was written; try again in {BUSY_RETRY_AFTER_S} s"),
                        format!("数据库正被其他进程锁定，未写入任何内容；请{BUSY_RETRY_AFTER_S}秒后重试"),
                    )
                    .into()
                }
            }
            StoreError::Unavailable(detail) => {
                tracing::error!(%detail, "database cannot write");
                ApiError {
                    retry_after_s: Some(UNAVAILABLE_RETRY_AFTER_S),
                    ..Refusal::new(
                        RefusalKind::Unavailable,
                        "storage_unavailable",
                        format!("the database cannot write now (disk full or a failed write); nothing of this request was written and reads still work; try again in {UNAVAILABLE_RETRY_AFTER_S} s"),
                        format!("数据库暂时无法写入（磁盘已满或写入失败），本次请求未写入任何内容，查询不受影响；请{UNAVAILABLE_RETRY_AFTER_S}秒后重试"),
                    )
                    .into()
                }
            }
            StoreError::WriterGone => {
                tracing::error!("the database writer has stopped");
                ApiError {
                    retry_after_s: Some(UNAVAILABLE_RETRY_AFTER_S),
                    ..Refusal::new(
                        RefusalKind::Unavailable,
                        "storage_unavailable",
                        "the database writer is restarting; nothing of this request was written; try again shortly",
                        "数据库写入程序正在重启，本次请求未写入任何内容，请稍后重试",
                    )
                    .into()
                }
            }
            other => {
                tracing::error!(error = %other, "storage failure");
                ApiError::internal()
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.to_owned(),
            message: self.message,
            message_zh: self.message_zh,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(s) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}

/// The safety net under the extractors: an answer of 400 or more whose body is not JSON (the
/// framework's own refusals are plain text) is put into the JSON error shape, with the text as
/// its detail, keeping its other headers. Handlers refuse through `ApiError` and the extractors
/// of `http::extract`, so an answer that lands here was written by nobody: it is logged, to be
/// given its own refusal.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let answer = next.run(req).await;
    let status = answer.status();
    if status.as_u16() < 400 || is_json(answer.headers()) {
        return answer;
    }
    let (parts, body) = answer.into_parts();
    let text = axum::body::to_bytes(body, 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    tracing::warn!(%status, %path, %text, "an answer not in the JSON error shape was put into it");
    let refusal = |kind, code, en: String, zh: String| ApiError::from(Refusal::new(kind, code, en, zh));
    let error = match status {
        StatusCode::NOT_FOUND => ApiError::no_route(&path),
        StatusCode::METHOD_NOT_ALLOWED => refusal(
            RefusalKind::MethodNotAllowed,
            "method_not_allowed",
            format!("the endpoint {path} does not take this method"),
            format!("{path}不支持此方法"),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = super::body::limit_of(&path);
            refusal(
                RefusalKind::TooLarge,
                "body_too_large",
                format!("the body is larger than this endpoint's limit of {limit} bytes"),
                format!("请求体超过本接口的上限{limit}字节"),
            )
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => refusal(
            RefusalKind::UnsupportedMedia,
            "unsupported_media_type",
            format!("the body is not of a type this endpoint takes: {text}"),
            format!("请求体类型不被本接口接受：{text}"),
        ),
        s if s.is_server_error() => ApiError::internal(),
        _ => refusal(
            RefusalKind::Malformed,
            "bad_request",
            format!("the request could not be read: {text}"),
            format!("无法解析请求：{text}"),
        ),
    };
    let mut json = error.into_response();
    for (name, value) in parts.headers.iter() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            json.headers_mut().append(name.clone(), value.clone());
        }
    }
    json
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// A handler that panicked: logged, answered `internal_error` (instead of a connection closed
/// without an answer).
pub fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %what, "a handler panicked");
    ApiError::internal().into_response()
}

/// `docs/errors.md`: every refusal code of `domain::refusals::LIST` with its HTTP status, what
/// it means and whether a refused event is logged. Generated, so it cannot drift from the code
/// (`tests/errors_doc.rs` compares the file with this).
pub fn errors_markdown() -> String {
    use crate::domain::refusals::LIST;
    use std::fmt::Write;
    let mut out = String::from(
        "# Refusal codes / 拒绝代码\n\n\
         Generated from `src/domain/refusals.rs` (the one list of refusals) by `tests/errors_doc.rs`; do not edit by hand\n\
         (`HWTRACE_BLESS=1 cargo test --test errors_doc` rewrites it).\n\n\
         Every error answer of the service has the body `{\"error\": \"<code>\", \"message\": \"<English>\", \"message_zh\": \"<中文>\"}`.\n\
         The code is stable; the messages say what was wrong in the case at hand. The HTTP status follows from the code's\n\
         kind (`src/http/error.rs`). **Logged** says whether a signed event refused with the code leaves a `refusal` entry\n\
         in the custody log (docs/log-format.md): refusals by the custody rules and the writer's checks come after the\n\
         device's key and nonce were checked, so they are logged and the nonce is used; refusals before that (the envelope,\n\
         the payload's shape, the clock) log nothing and leave the nonce unused.\n\n\
         | code | HTTP | meaning | 含义 | logged |\n| --- | --- | --- | --- | --- |\n",
    );
    for l in LIST {
        let (logged, _) = l.logged.describe();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            l.code,
            l.kinds
                .iter()
                .map(|k| status_of(*k).as_u16().to_string())
                .collect::<Vec<_>>()
                .join(" / "),
            l.en,
            l.zh,
            logged
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::extract::Path;
    use axum::routing::get;
    use tower::ServiceExt;

    /// An extractor's plain-text refusal (axum's own `Path`, which the service's handlers do not
    /// use) still reaches the client in the JSON error shape.
    #[tokio::test]
    async fn plain_text_refusals_of_the_framework_are_put_into_the_json_shape() {
        let app = axum::Router::new()
            .route("/n/{n}", get(|Path(n): Path<u32>| async move { n.to_string() }))
            .layer(axum::middleware::from_fn(json_errors));
        let answer = app
            .oneshot(Request::get("/n/abc").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        assert!(is_json(answer.headers()));
        let body = axum::body::to_bytes(answer.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "bad_request");
        assert!(body["message"].as_str().unwrap().contains("abc"), "{body}");
        assert!(!body["message_zh"].as_str().unwrap().is_empty());
    }
}
