//! Alerts over HTTP: the list regulators work from, one alert, and the administrator's
//! triggers for the sweep and the self-audit (both also run periodically). Regulators
//! acknowledge an alert with a signed `acknowledge` event (`POST /api/v1/events`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery, Auth};
use crate::domain::access::Scope;
use crate::domain::Refusal;
use crate::service::alert_words;
use crate::service::alerts::{self, Alert, AlertQuery, Rule, SelfAudit};
use crate::service::AppState;
use crate::store::StoreError;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertFilter {
    /// `open`, `acknowledged` or `resolved`.
    pub state: Option<String>,
    /// A rule code, e.g. `weight_discrepancy`.
    pub rule: Option<String>,
    /// Alerts concerning this enterprise (USCC): named in the subject or the facts, or the
    /// generator of the item.
    pub enterprise: Option<String>,
    /// Alerts whose condition began at least this many days ago.
    pub min_age_days: Option<u32>,
    /// At most this many, newest first (1–1000, default 200).
    pub limit: Option<u32>,
}

impl AlertFilter {
    fn query(&self) -> Result<AlertQuery<'_>, Refusal> {
        let limit = self.limit.unwrap_or(200);
        if !(1..=1000).contains(&limit) {
            return Err(Refusal::invalid("bad_limit", "limit must be 1-1000", "limit应为1-1000"));
        }
        Ok(AlertQuery {
            state: self.state.as_deref().filter(|s| !s.is_empty()),
            rule: self
                .rule
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(Rule::parse)
                .transpose()?,
            enterprise: self.enterprise.as_deref().filter(|s| !s.is_empty()),
            min_age_days: self.min_age_days,
            limit,
        })
    }
}

/// Alerts of the caller's district (administrators: all), newest first: each with its rule,
/// subject (an item code, a permit, a facility's method and year...), when its condition
/// began and its age in days, its state, the entries that raised, resolved or acknowledged it
/// and the acknowledgement's note, and its situation in words with the item, manifest and
/// enterprises it concerns. Filters: state, rule, enterprise, minimum age.
#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(AlertFilter),
    responses((status = 200, body = Vec<Alert>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(f): ApiQuery<AlertFilter>,
) -> ApiResult<Json<Vec<Alert>>> {
    f.query()?;
    let caller = auth.caller;
    let now = st.log.now();
    Ok(Json(
        st.db
            .read(move |conn| {
                let scope = alerts::scope_of(conn, &caller)?;
                alerts::find(conn, &scope, &f.query()?, now)
            })
            .await?,
    ))
}

/// The alerts of `GET /api/v1/alerts` with the same filters, as a CSV file (UTF-8 with BOM,
/// Chinese and English header rows): one row per alert with its situation in words, the item,
/// manifest and enterprises it concerns, and the acknowledgement's note.
#[utoipa::path(get, path = "/api/v1/alerts/csv", tag = "alerts", params(AlertFilter),
    responses((status = 200, description = "CSV file", content_type = "text/csv", body = String),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn csv(State(st): State<AppState>, auth: Auth, ApiQuery(f): ApiQuery<AlertFilter>) -> ApiResult<Response> {
    f.query()?;
    let caller = auth.caller;
    let now = st.log.now();
    let list = st
        .db
        .read(move |conn| {
            let scope = alerts::scope_of(conn, &caller)?;
            alerts::find(conn, &scope, &f.query()?, now)
        })
        .await?;
    let body = alert_words::alerts_csv(&list).map_err(|e| StoreError::Other(e.to_string()))?;
    let name = format!("alerts-{}.csv", crate::time::cst_date(now));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}

/// One alert.
#[utoipa::path(get, path = "/api/v1/alerts/{id}", tag = "alerts",
    params(("id" = i64, Path, description = "The alert's number")),
    responses((status = 200, body = Alert), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn get(State(st): State<AppState>, auth: Auth, ApiPath(id): ApiPath<String>) -> ApiResult<Json<Alert>> {
    // A number that is not one names no alert: the same answer as an unknown one.
    let id: i64 = id.parse().map_err(|_| unknown_alert(&id))?;
    let caller = auth.caller;
    let now = st.log.now();
    let (scope, alert) = st
        .db
        .read(move |conn| {
            let alert = alerts::get(conn, id)?
                .map(|a| alerts::described(conn, a, now))
                .transpose()?;
            Ok((alerts::scope_of(conn, &caller)?, alert))
        })
        .await?;
    let alert = alert.ok_or_else(|| unknown_alert(&id.to_string()))?;
    let visible = match scope {
        Scope::All => true,
        Scope::District(d) => alert.district.as_deref().is_none_or(|a| a == d.as_str()),
        _ => false,
    };
    if !visible {
        return Err(Refusal::forbidden(
            "not_your_district",
            format!("alert {id} is not in your district"),
            format!("预警{id}不属于您的辖区"),
        )
        .into());
    }
    Ok(Json(alert))
}

fn admin_only(auth: &Auth) -> Result<(), Refusal> {
    if auth.caller.scope() == Scope::All {
        Ok(())
    } else {
        Err(Refusal::forbidden(
            "admin_only",
            "only an administrator may do this",
            "只有系统管理员可以执行此操作",
        ))
    }
}

/// Runs the alert sweep now (it also runs every minute): conditions that time brings about
/// (storage past a year, medical waste past 48 hours, transit past the limit, receipt past
/// 5 working days, expired permits) are opened, those no longer holding resolved. Answers
/// how many items were looked at.
#[utoipa::path(post, path = "/api/v1/alerts/sweep", tag = "alerts",
    responses((status = 200, body = u64, content_type = "application/json"), (status = 403, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn sweep(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<u64>> {
    admin_only(&auth)?;
    Ok(Json(alerts::sweep_now(&st).await?))
}

/// Audits the service's own database now (it also runs every hour), as `hwtrace audit --db`
/// does; each finding opens a `log_integrity` alert, a clean audit resolves them.
#[utoipa::path(post, path = "/api/v1/alerts/self-audit", tag = "alerts",
    responses((status = 200, body = SelfAudit), (status = 403, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn self_audit(State(st): State<AppState>, auth: Auth) -> ApiResult<Json<SelfAudit>> {
    admin_only(&auth)?;
    let report = alerts::self_audit(&st)
        .await
        .map_err(|e| StoreError::Other(format!("the self-audit could not run: {e}")))?;
    Ok(Json(report))
}

fn unknown_alert(id: &str) -> crate::http::ApiError {
    Refusal::not_found(
        "unknown_alert",
        format!("there is no alert {id}"),
        format!("没有编号为{id}的预警"),
    )
    .into()
}
