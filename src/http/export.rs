//! Exports for other systems: the custody events as an EPCIS 2.0 JSON-LD document
//! (`crate::render::epcis`, `docs/epcis.md`), for administrators and regulators.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiQuery, Auth};
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
}

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
    let doc = st
        .db
        .read(move |conn| crate::service::export::document(conn, p.from, p.to, now))
        .await?;
    let body = serde_json::to_vec(&doc).map_err(|e| {
        tracing::error!(error = %e, "serialising an EPCIS document");
        ApiError::internal()
    })?;
    Ok(([(header::CONTENT_TYPE, LD_JSON)], body).into_response())
}
