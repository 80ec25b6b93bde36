//! The register of cross-province transfer approvals: recorded by administrators and by the
//! regulators of the issuer's province, seen by the regulators of either province and by the
//! two parties.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, Auth};
use crate::service::approvals::{self, Approval, NewApproval};
use crate::service::AppState;

#[derive(Serialize, ToSchema)]
pub struct ApprovalList {
    pub approvals: Vec<Approval>,
}

/// Records a cross-province transfer approval (转移管理办法 第二十一条–第二十七条): its number,
/// issuer and receiver in different provinces, waste codes, quantity and validity (12 months
/// less a day from `valid_from` unless `valid_until` ends it earlier). Administrators, and
/// regulators for issuers in the province of their district.
#[utoipa::path(post, path = "/api/v1/transfer-approvals", tag = "approvals", request_body = NewApproval,
    responses((status = 201, body = Approval), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_approval(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewApproval>,
) -> ApiResult<(StatusCode, Json<Approval>)> {
    auth.caller.may_record_approvals()?;
    let caller = auth.caller;
    let cat = st.catalogue();
    let a = st
        .db
        .write(move |conn| approvals::register(conn, &caller, &body, &cat))
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// The approvals the caller may see, with what manifests have used of each: all
/// (administrators), those leaving or entering the province of the district (regulators), or
/// those naming the caller's enterprise as issuer or receiver.
#[utoipa::path(get, path = "/api/v1/transfer-approvals", tag = "approvals",
    responses((status = 200, body = ApprovalList), (status = 401, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_approvals(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<ApprovalList>> {
    let caller = auth.caller;
    let approvals = st.db.read(move |conn| approvals::list(conn, &caller)).await?;
    Ok(Json(ApprovalList { approvals }))
}

/// One approval, with `used_g` (declared masses on the manifests naming it that are not
/// cancelled) and `remaining_g`.
#[utoipa::path(get, path = "/api/v1/transfer-approvals/{number}", tag = "approvals",
    params(("number" = String, Path, description = "the approval number as issued (URL-encoded)")),
    responses((status = 200, body = Approval), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn get_approval(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(number): ApiPath<String>,
) -> ApiResult<Json<Approval>> {
    let caller = auth.caller;
    Ok(Json(
        st.db.read(move |conn| approvals::get(conn, &caller, &number)).await?,
    ))
}
