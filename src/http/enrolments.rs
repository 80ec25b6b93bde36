//! Device enrolment by the people who use the devices: a signed-in user asks for its browser's
//! key to be enrolled, the enterprise's administrator (or an administrator) approves or rejects
//! it, and the requester polls the answer. Who may do what is `domain::access`'s; the rows and
//! the key registration are `service::enrolments`'.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::service::enrolments::{self, Decision, Enrolment, EnrolmentFilter, NewEnrolment};
use crate::service::AppState;

fn id_of(id: &str) -> Result<i64, crate::domain::Refusal> {
    // A number that is not one names no request: the same answer as an unknown one.
    id.parse().map_err(|_| enrolments::unknown_enrolment(id))
}

/// Asks for the browser (or phone) the caller is using to be enrolled as a device: of the
/// caller's enterprise, or, for a regulator, of its district's bureau. The answer shows the
/// key ID to compare with the approver's screen; the request waits (`pending`) for 24 hours.
#[utoipa::path(post, path = "/api/v1/device-enrolments", tag = "registry", request_body = NewEnrolment,
    responses((status = 201, body = Enrolment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn request(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewEnrolment>,
) -> ApiResult<(StatusCode, Json<Enrolment>)> {
    let (caller, now) = (auth.caller, st.log.now());
    let e = st
        .db
        .write(move |conn| enrolments::request(conn, &caller, &body, now))
        .await?;
    Ok((StatusCode::CREATED, Json(e)))
}

#[derive(Serialize, ToSchema)]
pub struct EnrolmentList {
    pub enrolments: Vec<Enrolment>,
}

/// Enrolment requests, newest first (at most 200): an administrator's all, an enterprise
/// administrator's of its enterprise, anyone else's its own. Pending ones by default.
#[utoipa::path(get, path = "/api/v1/device-enrolments", tag = "registry", params(EnrolmentFilter),
    responses((status = 200, body = EnrolmentList), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(filter): ApiQuery<EnrolmentFilter>,
) -> ApiResult<Json<EnrolmentList>> {
    let (caller, now) = (auth.caller, st.log.now());
    let enrolments = st
        .db
        .read(move |conn| enrolments::list(conn, &caller, &filter, now))
        .await?;
    Ok(Json(EnrolmentList { enrolments }))
}

/// One request and its state (the requester polls it): `pending`, `approved` (with the log
/// index of the `key` entry), `rejected` (with the reason) or `expired`.
#[utoipa::path(get, path = "/api/v1/device-enrolments/{id}", tag = "registry",
    params(("id" = i64, Path, description = "The request's number")),
    responses((status = 200, body = Enrolment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn get(State(st): State<AppState>, auth: Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Enrolment>> {
    let id = id_of(&id)?;
    let (caller, now) = (auth.caller, st.log.now());
    Ok(Json(
        st.db.read(move |conn| enrolments::get(conn, &caller, id, now)).await?,
    ))
}

/// Approves a pending request: registers its key as a device of its enterprise through the log
/// (a `key` entry approved by the caller), exactly as `POST .../devices` does. For the
/// enterprise's administrator or an administrator.
#[utoipa::path(post, path = "/api/v1/device-enrolments/{id}/approve", tag = "registry",
    params(("id" = i64, Path, description = "The request's number")),
    responses((status = 200, body = Enrolment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn approve(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Enrolment>> {
    let id = id_of(&id)?;
    let (caller, now, log) = (auth.caller, st.log.now(), st.log.clone());
    Ok(Json(
        st.db
            .write(move |conn| enrolments::approve(conn, &log, &caller, id, now))
            .await?,
    ))
}

/// Rejects a pending request, optionally saying why. For the enterprise's administrator or an
/// administrator.
#[utoipa::path(post, path = "/api/v1/device-enrolments/{id}/reject", tag = "registry", request_body = Decision,
    params(("id" = i64, Path, description = "The request's number")),
    responses((status = 200, body = Enrolment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn reject(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Decision>,
) -> ApiResult<Json<Enrolment>> {
    let id = id_of(&id)?;
    let (caller, now) = (auth.caller, st.log.now());
    Ok(Json(
        st.db
            .write(move |conn| enrolments::reject(conn, &caller, id, &body, now))
            .await?,
    ))
}
