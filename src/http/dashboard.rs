//! The regulator's dashboard over HTTP (docs/dashboard.md): one endpoint per chart, each for a
//! period of CST days and a district, for administrators and the district's regulators. The
//! figures come from `service::dashboard`.

use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiQuery, Auth};
use super::reconcile::{cohort, CohortParams};
use crate::domain::access::Caller;
use crate::service::dashboard::{self, AlertAges, CapacityChart, Filter, Flows, MonthlyRates, Sankey, Stock};
use crate::service::AppState;
use crate::store::StoreResult;
use crate::time::now;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardParams {
    /// First day of the period (CST, YYYY-MM-DD); 1 January of this year by default.
    pub from: Option<String>,
    /// Last day of the period (CST, YYYY-MM-DD); today by default.
    pub to: Option<String>,
    /// District code; a regulator's own district by default (and only that); all districts
    /// for an administrator by default.
    pub district: Option<String>,
}

/// The caller's filter: regulators of the district and administrators only, a valid period,
/// a registered district.
fn filter(caller: &Caller, p: DashboardParams) -> Result<Filter, super::ApiError> {
    let c = cohort(
        caller,
        &CohortParams {
            from: p.from,
            to: p.to,
            as_of: None,
            district: p.district,
            by: None,
        },
    )?;
    Ok(Filter {
        from: c.from,
        to: c.to,
        district: c.district,
    })
}

/// Runs `f` on a reader after checking the filter's district is registered.
async fn figures<T, F>(st: &AppState, f: Filter, compute: F) -> ApiResult<Json<T>>
where
    F: FnOnce(&rusqlite::Connection, &Filter) -> StoreResult<T> + Send + 'static,
    T: Send + 'static,
{
    Ok(Json(
        st.db
            .read(move |conn| {
                // One snapshot for all the chart's queries (they agree with each other), and one
                // read lock instead of one per statement.
                let snapshot = conn.unchecked_transaction()?;
                dashboard::check_district(conn, f.district.as_deref())?;
                let out = compute(conn, &f)?;
                snapshot.finish()?;
                Ok(out)
            })
            .await?,
    ))
}

/// Capacity use per facility and method against the permits valid on the period's last day:
/// treated this year against the annual capacity and its pro-rata share, and, where a permit
/// licenses a method per day, the daily capacity, the busiest day and the days over it.
#[utoipa::path(get, path = "/api/v1/dashboard/capacity", tag = "dashboard", params(DashboardParams),
    responses((status = 200, body = CapacityChart), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn capacity(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> ApiResult<Json<CapacityChart>> {
    let f = filter(&auth.caller, p)?;
    figures(&st, f, dashboard::capacity).await
}

/// Monthly flows (CST months): generated, received and treated, of the waste of the district's
/// generators, by the log time of the entries.
#[utoipa::path(get, path = "/api/v1/dashboard/flows", tag = "dashboard", params(DashboardParams),
    responses((status = 200, body = Flows), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn flows(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> ApiResult<Json<Flows>> {
    let f = filter(&auth.caller, p)?;
    figures(&st, f, dashboard::flows).await
}

/// The tonnes generated in the period as a Sankey: districts and industries through
/// transporters and collection points to facilities and treatment methods.
#[utoipa::path(get, path = "/api/v1/dashboard/sankey", tag = "dashboard", params(DashboardParams),
    responses((status = 200, body = Sankey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn sankey(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> ApiResult<Json<Sankey>> {
    let f = filter(&auth.caller, p)?;
    figures(&st, f, dashboard::sankey).await
}

/// The industrial and medical disposal rates of each month's cohort against the 100 % target,
/// as the cohorts stand now.
#[utoipa::path(get, path = "/api/v1/dashboard/rates", tag = "dashboard", params(DashboardParams),
    responses((status = 200, body = MonthlyRates), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn rates(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> ApiResult<Json<MonthlyRates>> {
    let f = filter(&auth.caller, p)?;
    let as_of = now();
    figures(&st, f, move |conn, f| dashboard::rates(conn, f, as_of)).await
}

/// Open alerts by rule and by days since their condition began (now; the period does not
/// apply, the district does).
#[utoipa::path(get, path = "/api/v1/dashboard/alerts", tag = "dashboard", params(DashboardParams),
    responses((status = 200, body = AlertAges), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn alerts(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> ApiResult<Json<AlertAges>> {
    let f = filter(&auth.caller, p)?;
    let at = now();
    figures(&st, f, move |conn, f| {
        dashboard::alerts(conn, f.district.as_deref(), at)
    })
    .await
}

/// Waste stored at its generators now, by days since it was generated, industrial and medical
/// apart (the period does not apply, the district does).
#[utoipa::path(get, path = "/api/v1/dashboard/stock", tag = "dashboard", params(DashboardParams),
    responses((status = 200, body = Stock), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn stock(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> ApiResult<Json<Stock>> {
    let f = filter(&auth.caller, p)?;
    let at = now();
    figures(&st, f, move |conn, f| dashboard::stock(conn, f.district.as_deref(), at)).await
}
