//! Search from every page: item codes, manifest numbers, enterprise names and USCCs, among
//! what the caller may read (`service::search`).

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiQuery, Auth};
use crate::service::search::{self, SearchResults};
use crate::service::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// An item code, a manifest number or a USCC (whole or its start, at least 4 characters),
    /// or part of an enterprise's Chinese or English name; at most 60 characters.
    pub q: String,
}

/// Items (by code or its start), manifests (by number or its start) and enterprises (by USCC
/// or its start, or by name) that the caller may read: an enterprise's user its own records
/// and those of the items and manifests it is a party to, a regulator its district's, an
/// administrator all. At most 20 of each kind; `truncated` says when there were more.
#[utoipa::path(get, path = "/api/v1/search", tag = "ledger", params(SearchParams),
    responses((status = 200, body = SearchResults), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn search(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> ApiResult<Json<SearchResults>> {
    let caller = auth.caller;
    Ok(Json(st.db.read(move |conn| search::search(conn, &caller, &p.q)).await?))
}
