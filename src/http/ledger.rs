//! Ledger views: an enterprise's items by custody state, and a manifest with its items.

use axum::extract::{Path, State};
use axum::Json;

use super::error::{ApiResult, ErrorBody};
use super::extract::Auth;
use crate::domain::{ManifestNo, Uscc};
use crate::service::ledger::{self, Ledger, ManifestView};
use crate::service::registry::enterprise_district;
use crate::service::AppState;

/// The enterprise's items (as generator or holder) grouped by custody state, with counts,
/// total mass, each stored item's storage age in days and the oldest item per state.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/ledger", tag = "ledger",
    params(("uscc" = String, Path, description = "18-character unified social credit code")),
    responses((status = 200, body = Ledger), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn enterprise_ledger(
    State(st): State<AppState>,
    auth: Auth,
    Path(uscc): Path<String>,
) -> ApiResult<Json<Ledger>> {
    let uscc = Uscc::parse(&uscc)?;
    let caller = auth.caller;
    let now = crate::time::now();
    Ok(Json(
        st.db
            .read(move |conn| {
                let district = enterprise_district(conn, &uscc)?;
                caller.may_read(&uscc, &district)?;
                ledger::enterprise_ledger(conn, &uscc, now)
            })
            .await?,
    ))
}

/// A manifest (issuer, transporters in order, vehicle, driver, receiver, planned date, state)
/// and its items with their current state and holder; items waiting at the receiver carry the
/// day by which receipt is to be confirmed (5 working days) and whether that is past. For
/// administrators, regulators of a party's district, and the parties named on it.
#[utoipa::path(get, path = "/api/v1/manifests/{number}", tag = "ledger",
    params(("number" = String, Path, description = "14-digit manifest number")),
    responses((status = 200, body = ManifestView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn manifest(
    State(st): State<AppState>,
    auth: Auth,
    Path(number): Path<String>,
) -> ApiResult<Json<ManifestView>> {
    let number = ManifestNo::parse(&number)?;
    let caller = auth.caller;
    let calendar = st.calendar();
    let today = crate::time::cst_date(crate::time::now());
    Ok(Json(
        st.db
            .read(move |conn| ledger::manifest_view(conn, &caller, &number, &calendar, today))
            .await?,
    ))
}
