//! The one place where refusals and failures become HTTP answers: a status code and the JSON
//! body `{"error", "message", "message_zh"}`. Internal details are logged, never sent.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{Refusal, RefusalKind};
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
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: en.into(),
            message_zh: zh.into(),
        }
    }

    pub fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "internal error; it has been logged",
            "服务器内部错误，已记录日志",
        )
    }

    pub fn no_route(path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_route",
            format!("there is no endpoint at {path}; see /api/v1/openapi.json"),
            format!("不存在接口{path}；请查看 /api/v1/openapi.json"),
        )
    }
}

fn status_of(kind: RefusalKind) -> StatusCode {
    match kind {
        RefusalKind::Invalid | RefusalKind::Limit => StatusCode::UNPROCESSABLE_ENTITY,
        RefusalKind::NotFound => StatusCode::NOT_FOUND,
        RefusalKind::Conflict => StatusCode::CONFLICT,
        RefusalKind::Forbidden => StatusCode::FORBIDDEN,
        RefusalKind::Unauthenticated => StatusCode::UNAUTHORIZED,
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        ApiError {
            status: status_of(r.kind),
            code: r.code,
            message: r.message,
            message_zh: r.message_zh,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Refused(r) => r.into(),
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
        (self.status, Json(body)).into_response()
    }
}
