//! Exports for other systems: the custody events as an EPCIS 2.0 JSON-LD document
//! (`crate::render::epcis`, `docs/epcis.md`), for administrators and regulators.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiQuery, Auth};
use crate::domain::Refusal;
use crate::render::epcis::MAX_EXPORT_ENTRIES;
use crate::service::AppState;

/// The media type of an EPCIS 2.0 JSON-LD document.
pub const LD_JSON: &str = "application/ld+json";

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EpcisParams {
    /// First log index (default 0).
    pub from: Option<u64>,
    /// Last log index, inclusive (default: as far as the limit reaches); at most 10,000 entries
    /// from `from`, cut at the end of the log.
    pub to: Option<u64>,
    /// Instead of indexes, a period: the entries logged from this China Standard Time day
    /// (YYYY-MM-DD)...
    pub since: Option<String>,
    /// ...to this one, inclusive (today by default). `hwtrace:next` continues a period longer
    /// than 10,000 entries (pass it as `from` with the same `to`).
    pub until: Option<String>,
}

use crate::domain::day::parse as day;

/// The custody events of log entries `from..=to` (at most 10,000 entries) as an EPCIS 2.0
/// JSON-LD document (`EPCISDocument`) that validates against the GS1 EPCIS 2.0 JSON schema.
/// Key and refusal entries are not exported. `hwtrace:next` is where the next export starts.
/// For administrators and regulators.
#[utoipa::path(get, path = "/api/v1/export/epcis", tag = "export", params(EpcisParams),
    responses((status = 200, description = "EPCIS 2.0 document (see docs/epcis.md)", content_type = "application/ld+json"),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn epcis(State(st): State<AppState>, auth: Auth, ApiQuery(p): ApiQuery<EpcisParams>) -> ApiResult<Response> {
    auth.caller.may_export_events()?;
    let now = crate::time::now();
    let period = match (&p.since, &p.until) {
        (None, None) => None,
        (since, until) => {
            if p.from.is_some() || p.to.is_some() {
                return Err(Refusal::invalid(
                    "bad_parameter",
                    "give log indexes (from, to) or days (since, until), not both",
                    "日志序号（from、to）与日期（since、until）只能选一种",
                )
                .into());
            }
            let today = crate::time::cst_date(now);
            let since = since.as_deref().map(|s| day("since", s)).transpose()?.unwrap_or(today);
            let until = until.as_deref().map(|s| day("until", s)).transpose()?.unwrap_or(today);
            if until < since {
                return Err(
                    Refusal::invalid("bad_export_range", "until is before since", "结束日期早于开始日期").into(),
                );
            }
            Some((since, until))
        }
    };
    let doc = st
        .db
        .read(move |conn| {
            let (from, to) = match period {
                Some((since, until)) => match crate::service::export::days_window(conn, since, until)? {
                    // The first 10,000 entries of a longer period; `hwtrace:next` goes on.
                    (from, Some(to)) => (Some(from), Some(to.min(from + MAX_EXPORT_ENTRIES - 1))),
                    // No entry on those days: an empty window past the end of the log.
                    (_, None) => (Some(crate::service::export::log_size(conn)?), None),
                },
                None => (p.from, p.to),
            };
            crate::service::export::document(conn, from, to, now)
        })
        .await?;
    let body = serde_json::to_vec(&doc).map_err(|e| {
        tracing::error!(error = %e, "serialising an EPCIS document");
        ApiError::internal()
    })?;
    Ok(([(header::CONTENT_TYPE, LD_JSON)], body).into_response())
}
