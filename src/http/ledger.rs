//! Ledger views: an enterprise's items by custody state (with storage ages and warnings), a
//! manifest with its items, a party's manifests, and a receiver's arrivals.

use axum::extract::State;
use axum::Json;

use super::error::{ApiResult, ErrorBody};
use super::extract::Auth;
use super::extract::{ApiPath, ApiQuery};
use crate::domain::access::{Caller, Scope};
use crate::domain::{ManifestNo, Uscc};
use crate::service::ledger::{self, Ledger, ManifestView};
use crate::service::manifests::{self, Arrivals, Listing, ManifestFilter, ManifestList};
use crate::service::registry::enterprise_district;
use crate::service::AppState;
use crate::store::StoreResult;

/// The enterprise's items (as generator or holder) grouped by custody state, with counts,
/// total mass, each stored item's storage age (days and hours) against its limit (medical
/// waste 48 hours, other waste a year) and the oldest item per state; what is in store against
/// the registered storage capacities; and the warnings, in words, for items over age and stores
/// over capacity. Ages are taken at the service's clock.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/ledger", tag = "ledger",
    params(("uscc" = String, Path, description = "18-character unified social credit code")),
    responses((status = 200, body = Ledger), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn enterprise_ledger(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<Ledger>> {
    let uscc = Uscc::parse(&uscc)?;
    let caller = auth.caller;
    let now = st.log.now();
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
    ApiPath(number): ApiPath<String>,
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

/// Whose manifests `caller` lists: the party it names, if it may read that party's records;
/// else its own enterprise's, its district's (a regulator) or all (an administrator).
fn listing(conn: &rusqlite::Connection, caller: &Caller, party: Option<&str>) -> StoreResult<Listing> {
    if let Some(p) = party.filter(|p| !p.is_empty()) {
        let uscc = Uscc::parse(p).map_err(|r| r.in_field("party"))?;
        let district = enterprise_district(conn, &uscc)?;
        caller.may_read(&uscc, &district)?;
        return Ok(Listing::Party(uscc));
    }
    Ok(match caller.scope() {
        Scope::All => Listing::All,
        Scope::District(d) => Listing::District(d.as_str().to_owned()),
        Scope::Enterprise(u) => Listing::Party(u),
        Scope::Nothing => Listing::District(String::new()),
    })
}

/// A party's manifests, newest first, each with its legs (carriers in order and what each
/// holds), its items' count, declared mass and states, and a state derived from its items
/// (`open`, `in_progress`, `closed`, `cancelled`). `party` defaults to the caller's enterprise;
/// `role`, `vehicle`, `date` (planned that day, or earlier and still open or in progress) and
/// `state` narrow it; `items=full` adds every item with its signed label (what a driver's phone
/// caches before it goes offline).
#[utoipa::path(get, path = "/api/v1/manifests", tag = "ledger", params(ManifestFilter),
    responses((status = 200, body = ManifestList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_manifests(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(filter): ApiQuery<ManifestFilter>,
) -> ApiResult<Json<ManifestList>> {
    let caller = auth.caller;
    let now = st.log.now();
    Ok(Json(
        st.db
            .read(move |conn| {
                let listing = listing(conn, &caller, filter.party.as_deref())?;
                manifests::list(conn, &listing, &filter, now)
            })
            .await?,
    ))
}

/// The items on the road to a receiver or waiting at its gate (the gate's arrivals): `arrived`
/// first, then `in_transit` (and `released` from one carrier to the next), each with its
/// declared and last mass, its manifest, issuer, carrier and vehicle, and for an arrived item
/// the day by which receipt is to be confirmed.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/arrivals", tag = "ledger",
    params(("uscc" = String, Path, description = "the receiver's unified social credit code")),
    responses((status = 200, body = Arrivals), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn arrivals(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<Arrivals>> {
    let uscc = Uscc::parse(&uscc)?;
    let caller = auth.caller;
    let (calendar, now) = (st.calendar(), st.log.now());
    Ok(Json(
        st.db
            .read(move |conn| {
                let district = enterprise_district(conn, &uscc)?;
                caller.may_read(&uscc, &district)?;
                manifests::arrivals(conn, &uscc, &calendar, now)
            })
            .await?,
    ))
}
