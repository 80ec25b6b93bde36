//! The regulators' numbers over HTTP: a facility's capacity reconciliation, disposal rates,
//! the mass balance, and the public disclosure of facility capacities.

use axum::extract::State;
use axum::response::Response;
use axum::Json;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery, Auth};
use crate::domain::access::{Caller, Scope};
use crate::domain::{Refusal, Uscc};
use crate::service::reconcile::{
    self, public_facilities, DisposalRates, FacilityReconciliation, GroupBy, MassBalance, PublicFacility,
};
use crate::service::registry::enterprise_district;
use crate::service::AppState;
use crate::time::{cst_date, now};

use crate::domain::day::parse as day;

fn instant(s: &str) -> Result<DateTime<Utc>, Refusal> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            Refusal::invalid(
                "bad_time",
                "as_of must be an RFC 3339 time with offset",
                "as_of应为带时区的RFC 3339时间",
            )
        })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DateParam {
    /// The day (China Standard Time, YYYY-MM-DD); today by default.
    pub date: Option<String>,
}

impl DateParam {
    /// The day asked for, or today (China Standard Time).
    fn day(&self) -> Result<NaiveDate, Refusal> {
        self.date
            .as_deref()
            .map_or_else(|| Ok(cst_date(now())), |d| day("date", d))
    }
}

/// A facility's capacity reconciliation at the end of a day: licensed capacity per method,
/// received and treated year-to-date, utilisation pro-rated and projected to year end, days
/// of capacity left, inventory on site by waste code, the oldest item in store, landfill
/// volume used and remaining. For administrators, the district's regulators and the facility.
#[utoipa::path(get, path = "/api/v1/reconciliation/facilities/{uscc}", tag = "reconciliation",
    params(("uscc" = String, Path, description = "The facility's USCC"), DateParam),
    responses((status = 200, body = FacilityReconciliation), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn facility(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
    ApiQuery(p): ApiQuery<DateParam>,
) -> ApiResult<Json<FacilityReconciliation>> {
    let uscc = Uscc::parse(&uscc)?;
    let date = p.day()?;
    let caller = auth.caller;
    Ok(Json(
        st.db
            .read(move |conn| {
                let district = enterprise_district(conn, &uscc)?;
                caller.may_read(&uscc, &district)?;
                reconcile::facility(conn, uscc.as_str(), date)
            })
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CohortParams {
    /// First day of the period (CST, YYYY-MM-DD); 1 January of this year by default.
    pub from: Option<String>,
    /// Last day of the period (CST, YYYY-MM-DD); today by default.
    pub to: Option<String>,
    /// Where the cohort stands at this time (RFC 3339); now by default.
    pub as_of: Option<String>,
    /// District code; a regulator's own district by default (and only that).
    pub district: Option<String>,
    /// Grouping of the disposal rates: district, generator, category (default) or code.
    pub by: Option<String>,
}

pub(super) struct Cohort {
    pub(super) from: NaiveDate,
    pub(super) to: NaiveDate,
    pub(super) as_of: DateTime<Utc>,
    pub(super) district: Option<String>,
}

fn regulators_only() -> Refusal {
    Refusal::forbidden(
        "regulators_only",
        "district figures are for regulators and administrators",
        "区域统计仅供监管人员和系统管理员查看",
    )
}

/// The period, time and district a caller may ask for.
pub(super) fn cohort(caller: &Caller, p: &CohortParams) -> Result<Cohort, Refusal> {
    let today = cst_date(now());
    let from = match p.from.as_deref() {
        Some(d) => day("from", d)?,
        None => NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).expect("1 January"),
    };
    let to = match p.to.as_deref() {
        Some(d) => day("to", d)?,
        None => today,
    };
    reconcile::check_period(from, to)?;
    let as_of = match p.as_of.as_deref() {
        Some(t) => instant(t)?,
        None => now(),
    };
    let district = match (caller.scope(), p.district.clone()) {
        (Scope::All, d) => d,
        (Scope::District(own), None) => Some(own.as_str().to_owned()),
        (Scope::District(own), Some(d)) if d == own.as_str() => Some(d),
        (Scope::District(own), Some(d)) => {
            return Err(Refusal::forbidden(
                "not_your_district",
                format!("a regulator of {} may not see the figures of {d}", own.as_str()),
                format!("{}的监管人员无权查看{d}的统计", own.as_str()),
            ))
        }
        _ => return Err(regulators_only()),
    };
    Ok(Cohort {
        from,
        to,
        as_of,
        district,
    })
}

/// Disposal rates of the waste generated in a period: the industrial hazardous-waste
/// safe-disposal rate and the medical-waste centralised disposal rate, with what is still at
/// generators, in transit or untreated at receivers shown as such, grouped by district,
/// generator, category or code; the cohort definition comes with the numbers.
#[utoipa::path(get, path = "/api/v1/indicators/disposal", tag = "reconciliation", params(CohortParams),
    responses((status = 200, body = DisposalRates), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn disposal(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<CohortParams>,
) -> ApiResult<Json<DisposalRates>> {
    let c = cohort(&auth.caller, &p)?;
    let by = GroupBy::parse(p.by.as_deref().unwrap_or("category"))?;
    Ok(Json(
        st.db
            .read(move |conn| reconcile::disposal_rates(conn, c.from, c.to, c.as_of, c.district.as_deref(), by))
            .await?,
    ))
}

/// The mass balance of the waste generated in a period: generated = at generators + in
/// transit + at facilities + treated + repacked ± the recorded changes, item by item.
#[utoipa::path(get, path = "/api/v1/indicators/mass-balance", tag = "reconciliation", params(CohortParams),
    responses((status = 200, body = MassBalance), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn mass_balance(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(p): ApiQuery<CohortParams>,
) -> ApiResult<Json<MassBalance>> {
    if p.by.is_some() {
        return Err(Refusal::invalid("bad_parameter", "the mass balance takes no grouping", "物料平衡不分组").into());
    }
    let c = cohort(&auth.caller, &p)?;
    Ok(Json(
        st.db
            .read(move |conn| reconcile::mass_balance(conn, c.from, c.to, c.as_of, c.district.as_deref()))
            .await?,
    ))
}

/// Public disclosure: every licensed facility's capacities and utilisation this year, as
/// JSON. No login; no enterprise-private data (no items, generators or contacts).
#[utoipa::path(get, path = "/api/v1/public/facilities", tag = "reconciliation", params(DateParam),
    responses((status = 200, body = Vec<PublicFacility>), (status = 422, body = ErrorBody)))]
pub async fn public_json(
    State(st): State<AppState>,
    ApiQuery(p): ApiQuery<DateParam>,
) -> ApiResult<Json<Vec<PublicFacility>>> {
    let date = p.day()?;
    Ok(Json(st.db.read(move |conn| public_facilities(conn, date)).await?))
}

/// The public disclosure page (Chinese first, English beside): facility capacities and
/// their use this year.
#[utoipa::path(get, path = "/public/facilities", tag = "reconciliation", params(DateParam),
    responses((status = 200, description = "HTML page", content_type = "text/html"), (status = 422, body = ErrorBody)))]
pub async fn public_page(State(st): State<AppState>, ApiQuery(p): ApiQuery<DateParam>) -> ApiResult<Response> {
    let date = p.day()?;
    let facilities = st.db.read(move |conn| public_facilities(conn, date)).await?;
    Ok(super::security::page(crate::render::public::page(date, &facilities)))
}
