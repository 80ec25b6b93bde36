//! Public reference endpoints: health, closed lists and districts, catalogue search and the
//! whole catalogue (cacheable), the working-day calendar.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery};
use crate::domain::custody::{StateKind, DEFAULT_TOLERANCE_PPT, SCALE_SLACK_G};
use crate::domain::event::{IncidentKind, ReceiveDecision, EVENT_TYPES};
use crate::domain::hazard::hazard_names;
use crate::domain::waste::{waste_digits, MAX_SEARCH_RESULTS};
use crate::domain::{
    EnterpriseRole, Named, PermitKind, PhysicalForm, Refusal, TreatmentMethod, UserRole, VehicleType, WasteCode,
};
use crate::service::alerts::Rule;
use crate::service::items::state_names;
use crate::service::manifests;
use crate::service::reports::manifest::event_names;
use crate::service::AppState;
use crate::store::reference::{active_exemptions, exemptions_of, Exemption, ExemptionRows};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` when the writer cannot write (answered `503`).
    pub status: &'static str,
    pub version: &'static str,
    pub catalogue_version: String,
    /// The database writer: `ok` (an empty transaction committed just now), `busy` (another
    /// process holds the database's write lock), `unavailable` (disk full or failed writes),
    /// `stalled` (no answer within 5 s) or `stopped`.
    pub writer: &'static str,
    /// Entries in the custody log.
    pub log_size: u64,
}

/// How long the health check waits for the writer.
const WRITER_PROBE: std::time::Duration = std::time::Duration::from_secs(5);

/// Liveness, versions and the writer's state: the writer commits an empty transaction, so a
/// locked database, a full disk or a stopped writer turn the answer into `503`.
#[utoipa::path(get, path = "/api/v1/health", tag = "reference", responses(
    (status = 200, body = Health),
    (status = 503, description = "the writer cannot write now", body = Health)))]
pub async fn health(State(st): State<AppState>) -> (axum::http::StatusCode, Json<Health>) {
    use crate::store::StoreError;
    let probe = tokio::time::timeout(WRITER_PROBE, st.db.writer.write(|_| Ok(()))).await;
    let writer = match probe {
        Ok(Ok(())) => "ok",
        Ok(Err(StoreError::Busy(_))) => "busy",
        Ok(Err(StoreError::WriterGone)) => "stopped",
        Ok(Err(_)) => "unavailable",
        Err(_) => "stalled",
    };
    let status = if writer == "ok" { "ok" } else { "unavailable" };
    let code = if writer == "ok" {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (
        code,
        Json(Health {
            status,
            version: env!("CARGO_PKG_VERSION"),
            catalogue_version: st.catalogue().version.clone(),
            writer,
            log_size: st.log.latest().map_or(0, |c| c.size),
        }),
    )
}

#[derive(Serialize, ToSchema)]
pub struct NamedCode {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct HazardName {
    pub code: String,
    /// The bit of this hazard in the label payload (SPEC §3.1).
    pub bit: u8,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct FormName {
    pub code: String,
    /// The form byte of the label payload (SPEC §3.1).
    pub number: u8,
    pub name_zh: String,
    pub name_en: String,
}

/// A province-level division (NBS 2023): characters 3–4 of a USCC.
#[derive(Serialize, ToSchema)]
pub struct ProvinceName {
    pub code: String,
    pub name_zh: String,
}

#[derive(Serialize, ToSchema)]
pub struct Reference {
    /// Supervising districts: the deployment's, and `province_NN` for each province outside it
    /// that has registered enterprises.
    pub districts: Vec<NamedCode>,
    pub provinces: Vec<ProvinceName>,
    pub permit_kinds: Vec<NamedCode>,
    pub enterprise_roles: Vec<NamedCode>,
    pub hazards: Vec<HazardName>,
    pub forms: Vec<FormName>,
    pub treatment_methods: Vec<NamedCode>,
    pub vehicle_types: Vec<NamedCode>,
    pub user_roles: Vec<NamedCode>,
    /// Every custody state an item can be in (`stored`, `in_transit`, ...), named as the
    /// label page names them.
    pub item_states: Vec<NamedCode>,
    /// Every signed event type, in the order of the custody chain, named as the printed
    /// manifest names them.
    pub event_types: Vec<NamedCode>,
    /// Every alert rule.
    pub alert_rules: Vec<NamedCode>,
    /// The receiver's decisions at the gate (`receive` events).
    pub receive_decisions: Vec<NamedCode>,
    /// The kinds of `incident` events.
    pub incident_kinds: Vec<NamedCode>,
    /// The tolerance the custody rules weigh by: a `weigh` off the item's mass by more is a
    /// discrepancy, and `treat`, `consolidate` and `split` must balance within it.
    pub mass_tolerance: MassTolerance,
    /// A manifest's states as its list derives them from its items (`docs/field-api.md`).
    pub manifest_states: Vec<NamedCode>,
}

/// `|weighed − expected| ≤ expected × permille ÷ 1000 + slack_g` is within the tolerance.
#[derive(Serialize, ToSchema)]
pub struct MassTolerance {
    /// Parts per thousand of the expected mass (50 = 5 %).
    pub permille: u32,
    /// The scale's slack in grams, added to the tolerance.
    pub slack_g: u64,
}

/// A code with a (Chinese, English) name from one of the service's name tables.
fn pair(code: &str, (name_zh, name_en): (&str, &str)) -> NamedCode {
    NamedCode {
        code: code.into(),
        name_zh: name_zh.into(),
        name_en: name_en.into(),
    }
}

fn named(n: Named) -> NamedCode {
    NamedCode {
        code: n.code.into(),
        name_zh: n.name_zh.into(),
        name_en: n.name_en.into(),
    }
}

/// Every closed list with Chinese and English names, and the districts. Cacheable like the
/// key list (`ETag`, `304 Not Modified`).
#[utoipa::path(get, path = "/api/v1/reference", tag = "reference",
    params(("If-None-Match" = Option<String>, Header, description = "the ETag of a copy held; answered 304 while it is current")),
    responses(
        (status = 200, body = Reference, headers(("ETag" = String, description = "strong tag of the body"),
            ("Cache-Control" = String, description = "public, no-cache"))),
        (status = 304, description = "the copy named by If-None-Match is current")))]
pub async fn reference(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let provinces = st
        .db
        .read(crate::store::reference::provinces)
        .await?
        .into_iter()
        .map(|(code, name_zh)| ProvinceName { code, name_zh })
        .collect();
    let districts = st
        .db
        .read(crate::store::reference::districts)
        .await?
        .into_iter()
        .map(|(code, name_zh, name_en)| NamedCode { code, name_zh, name_en })
        .collect();
    let answer = Reference {
        districts,
        provinces,
        permit_kinds: PermitKind::ALL.iter().map(|k| named(k.named())).collect(),
        enterprise_roles: EnterpriseRole::ALL.iter().map(|r| named(r.named())).collect(),
        hazards: hazard_names()
            .into_iter()
            .map(|(n, bit)| HazardName {
                code: n.code.into(),
                bit,
                name_zh: n.name_zh.into(),
                name_en: n.name_en.into(),
            })
            .collect(),
        forms: PhysicalForm::ALL
            .iter()
            .map(|f| {
                let n = f.named();
                FormName {
                    code: n.code.into(),
                    number: f.number(),
                    name_zh: n.name_zh.into(),
                    name_en: n.name_en.into(),
                }
            })
            .collect(),
        treatment_methods: TreatmentMethod::ALL.iter().map(|m| named(m.named())).collect(),
        vehicle_types: VehicleType::ALL.iter().map(|v| named(v.named())).collect(),
        user_roles: UserRole::ALL.iter().map(|r| named(r.named())).collect(),
        item_states: StateKind::ALL
            .iter()
            .map(|s| pair(s.code(), state_names(s.code())))
            .collect(),
        event_types: EVENT_TYPES.iter().map(|t| pair(t, event_names(t))).collect(),
        alert_rules: Rule::ALL.iter().map(|r| named(r.named())).collect(),
        receive_decisions: ReceiveDecision::ALL.iter().map(|d| named(d.named())).collect(),
        incident_kinds: IncidentKind::ALL.iter().map(|k| named(k.named())).collect(),
        mass_tolerance: MassTolerance {
            permille: DEFAULT_TOLERANCE_PPT,
            slack_g: SCALE_SLACK_G,
        },
        manifest_states: manifests::STATES
            .iter()
            .map(|s| pair(s, manifests::state_names(s)))
            .collect(),
    };
    super::cache::json(&headers, &answer)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// A code prefix (`900-249`, `90024908`), a category (`HW08`) or Chinese text (`废矿物油`).
    pub q: Option<String>,
    /// At most this many results (1–500, default 50).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct CatalogueItem {
    pub code: String,
    pub category: String,
    pub category_name: String,
    pub industry: String,
    pub description: String,
    pub hazard: String,
    /// The stages at which the list's exemptions (豁免管理清单) exempt this code, with their
    /// conditions; rows naming the code itself or its whole category.
    pub exemptions: Vec<Exemption>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    pub version: String,
    /// Number of matches, of which `results` holds the first `limit`.
    pub total: usize,
    pub results: Vec<CatalogueItem>,
}

fn item(e: &crate::domain::CatalogueEntry, exemptions: &ExemptionRows) -> CatalogueItem {
    let code = e.code.to_string();
    CatalogueItem {
        exemptions: exemptions_of(exemptions, &code),
        code,
        category: e.category.clone(),
        category_name: e.category_name.clone(),
        industry: e.industry.clone(),
        description: e.description.clone(),
        hazard: e.hazard.clone(),
    }
}

/// Results returned when the request names no limit: every code of the largest category fits.
const DEFAULT_SEARCH_RESULTS: usize = 50;

/// Longest query accepted by the catalogue search.
const MAX_QUERY_CHARS: usize = 64;

/// Type-ahead search of the active national hazardous-waste list (public).
#[utoipa::path(get, path = "/api/v1/catalogue", tag = "reference", params(SearchParams),
    responses((status = 200, body = SearchResult), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(State(st): State<AppState>, ApiQuery(p): ApiQuery<SearchParams>) -> ApiResult<Json<SearchResult>> {
    let q = p.q.unwrap_or_default();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(Refusal::invalid(
            "query_too_long",
            format!("q is longer than {MAX_QUERY_CHARS} characters"),
            format!("查询词超过{MAX_QUERY_CHARS}个字符"),
        )
        .into());
    }
    let limit = p.limit.unwrap_or(DEFAULT_SEARCH_RESULTS);
    if !(1..=MAX_SEARCH_RESULTS).contains(&limit) {
        return Err(Refusal::invalid(
            "bad_limit",
            format!("limit must be 1-{MAX_SEARCH_RESULTS}"),
            format!("limit应为1-{MAX_SEARCH_RESULTS}"),
        )
        .into());
    }
    let cat = st.catalogue();
    let (total, found) = cat.search(&q, limit);
    let exemptions = st.db.read(active_exemptions).await?;
    Ok(Json(SearchResult {
        version: cat.version.clone(),
        total,
        results: found.into_iter().map(|e| item(e, &exemptions)).collect(),
    }))
}

/// The whole active list in one answer.
#[derive(Serialize, ToSchema)]
pub struct CatalogueAll {
    pub version: String,
    /// Number of codes, all of them in `codes`.
    pub count: usize,
    /// Every code of the active edition, in code order, with its exemptions.
    pub codes: Vec<CatalogueItem>,
}

/// The whole active national list in one answer (public), for a phone to keep: every code with
/// its category, description, hazards and exemptions. It changes only when another edition is
/// activated, so it carries an `ETag` (`Cache-Control: public, no-cache`) and answers `304 Not
/// Modified` to an `If-None-Match` naming the current tag.
#[utoipa::path(get, path = "/api/v1/catalogue/all", tag = "reference",
    params(("If-None-Match" = Option<String>, Header, description = "the ETag of a copy held; answered 304 while it is current")),
    responses(
        (status = 200, body = CatalogueAll, headers(("ETag" = String, description = "strong tag of the body"),
            ("Cache-Control" = String, description = "public, no-cache"))),
        (status = 304, description = "the copy named by If-None-Match is current")))]
pub async fn all(State(st): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let cat = st.catalogue();
    let exemptions = st.db.read(active_exemptions).await?;
    let codes: Vec<CatalogueItem> = cat.entries().iter().map(|e| item(e, &exemptions)).collect();
    let answer = CatalogueAll {
        version: cat.version.clone(),
        count: codes.len(),
        codes,
    };
    super::cache::json(&headers, &answer)
}

/// One waste code of the active list.
#[utoipa::path(get, path = "/api/v1/catalogue/{code}", tag = "reference",
    params(("code" = String, Path, description = "waste code NNN-NNN-NN")),
    responses((status = 200, body = CatalogueItem), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn entry(State(st): State<AppState>, ApiPath(code): ApiPath<String>) -> ApiResult<Json<CatalogueItem>> {
    let digits = waste_digits(&code)?;
    let cat = st.catalogue();
    let found = cat.get(WasteCode::from_trusted_digits(digits)).ok_or_else(|| {
        let c = WasteCode::from_trusted_digits(digits);
        Refusal::not_found(
            "unknown_waste_code",
            format!(
                "waste code {c} is not in the national hazardous-waste list ({} edition)",
                cat.version
            ),
            format!("废物代码{c}不在《国家危险废物名录》（{}年版）中", cat.version),
        )
    })?;
    let found = found.clone();
    let exemptions = st.db.read(active_exemptions).await?;
    Ok(Json(item(&found, &exemptions)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CalendarParams {
    /// The year (default: this year in China Standard Time).
    pub year: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarDayView {
    /// YYYY-MM-DD.
    pub date: String,
    /// `holiday` (a day off) or `workday` (a weekend day worked in exchange, 调休上班).
    pub kind: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarYear {
    pub year: i32,
    /// Working days in the year: Monday to Friday, less holidays, plus make-up working days.
    pub working_days: i64,
    /// Working days a receiver has to confirm receipt after arrival (转移管理办法 第十八条).
    pub receipt_working_days: u32,
    /// The listed days, in date order; every other day follows the week.
    pub days: Vec<CalendarDayView>,
}

/// Years the calendar endpoint answers for.
const CALENDAR_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// The working-day calendar of a year (public): public holidays and make-up working days of the
/// State Council's schedule, as loaded (`seeds/holidays.csv`, `hwtrace calendar load`).
#[utoipa::path(get, path = "/api/v1/calendar", tag = "reference", params(CalendarParams),
    responses((status = 200, body = CalendarYear), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn calendar(
    State(st): State<AppState>,
    ApiQuery(p): ApiQuery<CalendarParams>,
) -> ApiResult<Json<CalendarYear>> {
    let year = p
        .year
        .unwrap_or_else(|| chrono::Datelike::year(&crate::time::cst_date(crate::time::now())));
    if !CALENDAR_YEARS.contains(&year) {
        return Err(Refusal::invalid(
            "bad_year",
            format!("year must be {}-{}", CALENDAR_YEARS.start(), CALENDAR_YEARS.end()),
            format!("年份应为{}-{}", CALENDAR_YEARS.start(), CALENDAR_YEARS.end()),
        )
        .into());
    }
    let days = st
        .db
        .read(move |conn| crate::store::reference::calendar_year(conn, year))
        .await?;
    let cal = crate::domain::calendar::WorkCalendar::from_days(&days);
    let (first, last) = (
        chrono::NaiveDate::from_ymd_opt(year, 1, 1),
        chrono::NaiveDate::from_ymd_opt(year, 12, 31),
    );
    let working_days = match (first.and_then(|d| d.pred_opt()), last) {
        (Some(before), Some(last)) => cal.working_days_between(before, last),
        _ => 0,
    };
    Ok(Json(CalendarYear {
        year,
        working_days,
        receipt_working_days: crate::domain::calendar::RECEIPT_WORKING_DAYS,
        days: days
            .into_iter()
            .map(|d| CalendarDayView {
                date: d.date.to_string(),
                kind: d.kind.code().to_owned(),
                name_zh: d.name_zh,
                name_en: d.name_en,
            })
            .collect(),
    }))
}
