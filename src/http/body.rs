//! Request bodies, before any handler sees them: each is read whole, up to its endpoint's limit
//! ([`limit_of`]: 1 MiB, 32 MiB for a batch of events), and refused in the service's error
//! shape when it is larger (`body_too_large`, 413, naming the limit in bytes) or when the client
//! stops sending it for the idle timeout (`body_timeout`, 408).
//!
//! An oversize body is read to its end (and dropped, up to [`MAX_DRAINED_BYTES`]) before the
//! answer: a server that answers and closes while the client is still sending resets the
//! connection, and the client never reads why. A client that asked `Expect: 100-continue` has
//! not sent its body yet and is answered at once.

use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use super::error::ApiError;
use super::{MAX_BATCH_BODY_BYTES, MAX_BODY_BYTES};
use crate::domain::{Refusal, RefusalKind};
use crate::service::AppState;

/// The most bytes of an oversize body read and dropped so that its client hears the `413`;
/// beyond it the connection is closed without more reading.
pub const MAX_DRAINED_BYTES: u64 = 64 * 1024 * 1024;

/// The largest body the endpoint at `path` takes.
pub fn limit_of(path: &str) -> usize {
    if path == "/api/v1/events/batch" {
        MAX_BATCH_BODY_BYTES
    } else {
        MAX_BODY_BYTES
    }
}

/// The middleware: the body read whole within its limit, or the request refused.
pub async fn limit(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    if body.is_end_stream() {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let limit = limit_of(parts.uri.path());
    let declared = declared_length(&parts.headers);
    let over = declared.is_some_and(|n| n > limit as u64);
    if over && (expects_continue(&parts.headers) || declared > Some(MAX_DRAINED_BYTES)) {
        return closing(too_large(limit));
    }
    match read(body, limit, st.config.idle_timeout).await {
        Read::Whole(bytes) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Read::TooLarge => closing(too_large(limit)),
        Read::Stalled => closing(stalled(st.config.idle_timeout)),
        Read::Failed(detail) => closing(ApiError::from(Refusal::new(
            RefusalKind::Malformed,
            "bad_body",
            format!("the body could not be read: {detail}"),
            format!("无法读取请求体：{detail}"),
        ))),
    }
}

enum Read {
    Whole(Bytes),
    TooLarge,
    Stalled,
    Failed(String),
}

/// Reads `body` to its end, keeping at most `limit` bytes; a body that sends nothing for
/// `stall` is given up.
async fn read(mut body: Body, limit: usize, stall: Duration) -> Read {
    let mut kept: Vec<u8> = Vec::new();
    let mut seen: u64 = 0;
    loop {
        let frame = match tokio::time::timeout(stall, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            Ok(None) => break,
            Ok(Some(Err(e))) if seen <= limit as u64 => return Read::Failed(e.to_string()),
            Err(_) if seen <= limit as u64 => return Read::Stalled,
            // The client gave up or stalled while we drained what we refuse anyway.
            Ok(Some(Err(_))) | Err(_) => return Read::TooLarge,
        };
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        seen += data.len() as u64;
        if seen > limit as u64 {
            kept = Vec::new();
            if seen > limit as u64 + MAX_DRAINED_BYTES {
                return Read::TooLarge;
            }
        } else {
            kept.extend_from_slice(&data);
        }
    }
    if seen > limit as u64 {
        Read::TooLarge
    } else {
        Read::Whole(Bytes::from(kept))
    }
}

fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

fn too_large(limit: usize) -> ApiError {
    ApiError::from(Refusal::new(
        RefusalKind::TooLarge,
        "body_too_large",
        format!("the body is larger than this endpoint's limit of {limit} bytes"),
        format!("请求体超过本接口的上限{limit}字节"),
    ))
}

fn stalled(idle: Duration) -> ApiError {
    let secs = idle.as_secs_f64();
    ApiError::from(Refusal::new(
        RefusalKind::Timeout,
        "body_timeout",
        format!("the body stopped arriving: nothing came for {secs} s"),
        format!("请求体中断：{secs}秒内未收到数据"),
    ))
}

/// The answer, with the connection closed after it: the rest of a refused body is not read.
fn closing(e: ApiError) -> Response {
    let mut r = e.into_response();
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}
