//! Reports and exports over HTTP: an enterprise's HJ 1259 ledger as JSON, CSV or XLSX, its
//! periodic reports by supervision class, and the printable transfer manifest.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery, Auth};
use crate::domain::access::Caller;
use crate::domain::{ManifestNo, Refusal, Uscc};
use crate::service::registry::enterprise_district;
use crate::service::reports::export::{self, Heading, Lang};
use crate::service::reports::{self, LedgerRow, Period, PeriodReport, Stage, Supervision};
use crate::service::AppState;
use crate::store::StoreResult;
use crate::time::{cst, cst_date, now};

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

use crate::domain::day::parse as day;

/// The file formats of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Xlsx,
}

fn format_of(s: Option<&str>, allowed: &[Format]) -> Result<Format, Refusal> {
    let f = match s.unwrap_or("json") {
        "json" => Some(Format::Json),
        "csv" => Some(Format::Csv),
        "xlsx" => Some(Format::Xlsx),
        _ => None,
    };
    f.filter(|f| allowed.contains(f)).ok_or_else(|| {
        let names: Vec<&str> = allowed
            .iter()
            .map(|f| match f {
                Format::Json => "json",
                Format::Csv => "csv",
                Format::Xlsx => "xlsx",
            })
            .collect();
        Refusal::invalid(
            "bad_format",
            format!("format must be one of: {}", names.join(", ")),
            format!("format应为：{}", names.join("、")),
        )
    })
}

fn attachment(content_type: &'static str, filename: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// The enterprise's Chinese name, if `caller` may read its records.
fn readable_enterprise(conn: &rusqlite::Connection, caller: &Caller, uscc: &Uscc) -> StoreResult<String> {
    let district = enterprise_district(conn, uscc)?;
    caller.may_read(uscc, &district)?;
    crate::service::registry::enterprise_name(conn, uscc)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LedgerParams {
    /// First day (China Standard Time, YYYY-MM-DD); 1 January of this year by default.
    pub from: Option<String>,
    /// Last day (CST, YYYY-MM-DD); today by default.
    pub to: Option<String>,
    /// One stage: production, into_store, out_of_store, own_treatment, sent_out; all by default.
    pub stage: Option<String>,
    /// json (default), csv or xlsx.
    pub format: Option<String>,
    /// CSV header language: zh (default), en, or both (a Chinese then an English header row).
    pub lang: Option<String>,
}

/// An enterprise's HJ 1259 ledger as JSON.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerExport {
    pub enterprise: String,
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The stage asked for, or null for all.
    pub stage: Option<String>,
    pub rows: Vec<LedgerRow>,
}

/// The HJ 1259-2022 management ledger (管理台账) of an enterprise for a period: one row per
/// container and stage (production, into store, out of store, own treatment, sent out), after
/// tables B.1–B.5, derived from the custody log. As JSON, CSV (UTF-8 with BOM; `lang` chooses
/// the header language) or XLSX (one sheet per stage, Chinese and English header rows); CSV
/// and XLSX come as attachments. For administrators, the district's regulators and the
/// enterprise itself; at most 100,000 rows (`ledger_too_large`).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/hj1259", tag = "reports",
    params(("uscc" = String, Path, description = "18-character unified social credit code"), LedgerParams),
    responses((status = 200, description = "the ledger", content(
            (LedgerExport = "application/json"),
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn hj1259(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
    ApiQuery(p): ApiQuery<LedgerParams>,
) -> ApiResult<Response> {
    let uscc = Uscc::parse(&uscc)?;
    let today = cst_date(now());
    let from = match p.from.as_deref() {
        Some(d) => day("from", d)?,
        None => NaiveDate::from_ymd_opt(today.year(), 1, 1).expect("1 January"),
    };
    let to = match p.to.as_deref() {
        Some(d) => day("to", d)?,
        None => today,
    };
    reports::check_dates(from, to)?;
    let stage = p.stage.as_deref().map(Stage::parse).transpose()?;
    let format = format_of(p.format.as_deref(), &[Format::Json, Format::Csv, Format::Xlsx])?;
    let lang = Lang::parse(p.lang.as_deref().unwrap_or("zh"))?;
    let caller = auth.caller;
    let enterprise = uscc.as_str().to_owned();
    let (name, rows, file) = st
        .db
        .read(move |conn| {
            let name = readable_enterprise(conn, &caller, &uscc)?;
            let rows = reports::ledger_rows(conn, &uscc, from, to, stage)?;
            let file = match format {
                Format::Json => None,
                Format::Csv => Some(export::ledger_csv(&rows, stage, lang)?),
                Format::Xlsx => Some(export::ledger_xlsx(
                    &rows,
                    stage,
                    &Heading {
                        enterprise: uscc.as_str(),
                        name: &name,
                        from: &from.to_string(),
                        to: &to.to_string(),
                    },
                )?),
            };
            Ok((name, rows, file))
        })
        .await?;
    let stem = format!(
        "hj1259-{enterprise}-{from}-{to}{}",
        stage.map(|s| format!("-{}", s.code())).unwrap_or_default()
    );
    Ok(match (format, file) {
        (Format::Csv, Some(bytes)) => attachment(CSV, format!("{stem}.csv"), bytes),
        (Format::Xlsx, Some(bytes)) => attachment(XLSX, format!("{stem}.xlsx"), bytes),
        _ => Json(LedgerExport {
            enterprise,
            name,
            from,
            to,
            stage: stage.map(|s| s.code().to_owned()),
            rows,
        })
        .into_response(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// The year (CST); this year by default.
    pub year: Option<i32>,
    /// One period: year, q1–q4 or m1–m12; by default every period of the kind the unit's
    /// class reports (months for key supervision, quarters for simplified management, the
    /// year for registration).
    pub period: Option<String>,
    /// json (default) or csv.
    pub format: Option<String>,
    /// CSV header language: zh (default), en or both.
    pub lang: Option<String>,
}

/// An enterprise's reports for a year.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reports {
    pub enterprise: String,
    pub name: String,
    pub year: i32,
    /// The unit's HJ 1259 class for the year and what it rests on.
    pub supervision: Supervision,
    /// The kind of the periods answered: month, quarter or year.
    pub period_kind: String,
    pub reports: Vec<PeriodReport>,
}

/// An enterprise's periodic reports (申报, HJ 1259 §7 and Appendix C): its management class
/// for the year (key supervision from 100 t a year, or a permit, or own treatment: monthly;
/// simplified from 10 t: quarterly; otherwise annual) and, for each period, per waste code:
/// in store at the start, generated, received, treated on site, sent out (by receiver), other
/// changes and in store at the end. JSON, or CSV as an attachment.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/reports", tag = "reports",
    params(("uscc" = String, Path, description = "18-character unified social credit code"), ReportParams),
    responses((status = 200, description = "the reports", content(
            (Reports = "application/json"), (String = "text/csv"))),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn enterprise_reports(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
    ApiQuery(p): ApiQuery<ReportParams>,
) -> ApiResult<Response> {
    let uscc = Uscc::parse(&uscc)?;
    let year = p.year.unwrap_or_else(|| cst_date(now()).year());
    let period = p.period.as_deref().map(Period::parse).transpose()?;
    let format = format_of(p.format.as_deref(), &[Format::Json, Format::Csv])?;
    let lang = Lang::parse(p.lang.as_deref().unwrap_or("zh"))?;
    let caller = auth.caller;
    let as_of = st.log.now();
    let answer = st
        .db
        .read(move |conn| {
            let name = readable_enterprise(conn, &caller, &uscc)?;
            let supervision = reports::supervision_class(conn, &uscc, year)?;
            let periods = match period {
                Some(p) => vec![p],
                None => Period::all(supervision.report_period),
            };
            let kind = periods[0].kind();
            let reports = periods
                .into_iter()
                .map(|p| reports::period_report(conn, &uscc, year, p, as_of))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Reports {
                enterprise: uscc.as_str().to_owned(),
                name,
                year,
                supervision,
                period_kind: kind.code().to_owned(),
                reports,
            })
        })
        .await?;
    if format == Format::Csv {
        let bytes = export::reports_csv(&answer.reports, lang)?;
        let which = period.map(|p| format!("-{}", p.code())).unwrap_or_default();
        return Ok(attachment(
            CSV,
            format!("hj1259-report-{}-{year}{which}.csv", answer.enterprise),
            bytes,
        ));
    }
    Ok(Json(answer).into_response())
}

/// The transfer manifest (危险废物转移联单) as a printable A4 page: number, consignor,
/// transporters in order and receiver with names, codes, addresses and contacts; vehicle,
/// driver, planned date, approval; the items with declared, weighed, accepted and refused
/// masses; the custody events (opening, releases, acceptances, arrival, weighing, receipt)
/// with their China Standard Time, who signed them and their log indexes. Access as for
/// `GET /api/v1/manifests/{number}`.
#[utoipa::path(get, path = "/api/v1/manifests/{number}/print", tag = "reports",
    params(("number" = String, Path, description = "14-digit manifest number")),
    responses((status = 200, description = "printable page", content_type = "text/html", body = String),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn manifest_print(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(number): ApiPath<String>,
) -> ApiResult<Response> {
    let number = ManifestNo::parse(&number)?;
    let caller = auth.caller;
    let calendar = st.calendar();
    let t = now();
    let printed = t.with_timezone(&cst()).format("%Y-%m-%d %H:%M:%S").to_string();
    let origin = st.config.origin.clone();
    let view = st
        .db
        .read(move |conn| {
            reports::manifest::manifest_print(conn, &caller, &number, &calendar, cst_date(t), printed, &origin)
        })
        .await?;
    Ok(super::security::page(crate::render::manifest::manifest_page(&view)))
}
