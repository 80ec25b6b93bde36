//! Items and their labels: the item with its custody state, the printable label (HTML with
//! print CSS), its QR code as SVG or PNG, a sheet of many labels for one print run, and the
//! public verification page a phone camera opens when it scans a label (`/Q/<b32>`).

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiPath, ApiQuery, Auth};
use super::security;
use crate::domain::access::Caller;
use crate::domain::{ItemCode, Refusal, Uscc};
use crate::render::{self, label::LabelView};
use crate::service::item_story::{self, ItemStory};
use crate::service::items::{self, Item};
use crate::service::registry::enterprise_district;
use crate::service::AppState;
use crate::store::StoreError;

/// Most labels on one sheet.
pub const MAX_SHEET_LABELS: usize = 500;
/// Pixels per QR module of the PNG rendering.
const PNG_MODULE_PX: u32 = 8;

/// Reads an item the caller may see: in the records of its generator, its holder or a party of
/// its manifest (`items::item_parties`).
async fn readable_item(st: &AppState, caller: &Caller, code: &str) -> ApiResult<Item> {
    let code = ItemCode::parse(code)?;
    let caller = caller.clone();
    Ok(st
        .db
        .read(move |conn| {
            let item = items::get_item(conn, &code)?;
            let allowed = items::item_parties(conn, &item)?.iter().any(|u| {
                Uscc::parse(u)
                    .ok()
                    .and_then(|u| {
                        enterprise_district(conn, &u)
                            .ok()
                            .map(|d| caller.may_read(&u, &d).is_ok())
                    })
                    .unwrap_or(false)
            });
            if allowed {
                Ok(item)
            } else {
                Err(Refusal::forbidden(
                    "not_your_item",
                    format!("item {} belongs to another enterprise", item.code),
                    format!("物品{}属于其他企业", item.code),
                )
                .into())
            }
        })
        .await?)
}

fn render_error(e: render::RenderError) -> ApiError {
    tracing::error!(error = %e, "label rendering failed");
    ApiError::internal()
}

async fn view_of(st: &AppState, item: Item) -> ApiResult<LabelView> {
    let catalogue = st.catalogue();
    let base = st.config.public_base_url.clone();
    Ok(st
        .db
        .read(move |conn| items::label_view(conn, &item, &catalogue, &base))
        .await?)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ItemList {
    pub items: Vec<Item>,
}

/// Items the caller may see (as generator or holder; a regulator's district; all for an
/// administrator), newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/items", tag = "items", params(items::ItemFilter),
    responses((status = 200, body = ItemList), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_items(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(filter): ApiQuery<items::ItemFilter>,
) -> ApiResult<Json<ItemList>> {
    let scope = auth.caller.scope();
    let items = st.db.read(move |conn| items::list_items(conn, &scope, &filter)).await?;
    Ok(Json(ItemList { items }))
}

/// One item with its custody state, for the parties whose records hold it: its generator, its
/// holder, and the parties of the manifest it is booked on or travels under (the gate reads
/// what arrives, and the part it refused). The label, QR and sheet endpoints allow the same.
#[utoipa::path(get, path = "/api/v1/items/{code}", tag = "items",
    params(("code" = String, Path, description = "37-character item code")),
    responses((status = 200, body = Item), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn get_item(State(st): State<AppState>, auth: Auth, ApiPath(code): ApiPath<String>) -> ApiResult<Json<Item>> {
    Ok(Json(readable_item(&st, &auth.caller, &code).await?))
}

/// The item's history in words, for its page: every log entry that concerns it, in log order,
/// with its event type, who signed it (enterprise and device, key IDs), the device's and the
/// log's times, the item's state, holder and mass after it, and the masses, manifest,
/// decision, party and reason it states. Access as for the item. The verifiable form is
/// `GET /api/v1/items/{code}/history`.
#[utoipa::path(get, path = "/api/v1/items/{code}/events", tag = "items",
    params(("code" = String, Path, description = "37-character item code")),
    responses((status = 200, body = ItemStory), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn item_events(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(code): ApiPath<String>,
) -> ApiResult<Json<ItemStory>> {
    let item = readable_item(&st, &auth.caller, &code).await?;
    let code = ItemCode::parse(&item.code)?;
    Ok(Json(st.db.read(move |conn| item_story::item_story(conn, &code)).await?))
}

/// The printable label (HTML, print CSS; 100, 150 or 200 mm by container volume).
#[utoipa::path(get, path = "/api/v1/items/{code}/label", tag = "items",
    params(("code" = String, Path, description = "37-character item code")),
    responses((status = 200, description = "label page", content_type = "text/html", body = String),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn label_page(State(st): State<AppState>, auth: Auth, ApiPath(code): ApiPath<String>) -> ApiResult<Response> {
    let item = readable_item(&st, &auth.caller, &code).await?;
    let view = view_of(&st, item).await?;
    Ok(security::page(render::label::label_page(&view).map_err(render_error)?))
}

/// The label's QR code as SVG.
#[utoipa::path(get, path = "/api/v1/items/{code}/qr.svg", tag = "items",
    params(("code" = String, Path, description = "37-character item code")),
    responses((status = 200, description = "QR code", content_type = "image/svg+xml", body = String),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn qr_svg(State(st): State<AppState>, auth: Auth, ApiPath(code): ApiPath<String>) -> ApiResult<Response> {
    let item = readable_item(&st, &auth.caller, &code).await?;
    let text = items::qr_text_of(&item.label_b64, &st.config.public_base_url)?;
    let svg = render::qr::qr_svg(&text, 4).map_err(render_error)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// The label's QR code as PNG.
#[utoipa::path(get, path = "/api/v1/items/{code}/qr.png", tag = "items",
    params(("code" = String, Path, description = "37-character item code")),
    responses((status = 200, description = "QR code", content_type = "image/png", body = Vec<u8>),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn qr_png(State(st): State<AppState>, auth: Auth, ApiPath(code): ApiPath<String>) -> ApiResult<Response> {
    let item = readable_item(&st, &auth.caller, &code).await?;
    let text = items::qr_text_of(&item.label_b64, &st.config.public_base_url)?;
    let png = tokio::task::spawn_blocking(move || render::qr::qr_png(&text, PNG_MODULE_PX))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(render_error)?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SheetParams {
    /// Item codes separated by commas (at most 500).
    pub items: String,
}

/// A sheet of labels for one print run: one page per label, each page sized for its label.
#[utoipa::path(get, path = "/api/v1/labels/sheet", tag = "items", params(SheetParams),
    responses((status = 200, description = "label sheet", content_type = "text/html", body = String),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn sheet(State(st): State<AppState>, auth: Auth, ApiQuery(p): ApiQuery<SheetParams>) -> ApiResult<Response> {
    let codes: Vec<&str> = p.items.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
    if codes.is_empty() || codes.len() > MAX_SHEET_LABELS {
        return Err(Refusal::invalid(
            "bad_sheet_size",
            format!("a sheet holds 1-{MAX_SHEET_LABELS} labels"),
            format!("每张标签单应包含1-{MAX_SHEET_LABELS}个标签"),
        )
        .into());
    }
    let mut views = Vec::with_capacity(codes.len());
    for code in codes {
        let item = readable_item(&st, &auth.caller, code).await?;
        views.push(view_of(&st, item).await?);
    }
    let html = tokio::task::spawn_blocking(move || render::label::label_sheet(&views))
        .await
        .map_err(|_| ApiError::internal())?
        .map_err(render_error)?;
    Ok(security::page(html))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// Public verification of a scanned label: a page in Chinese (English beneath), or JSON with
/// `Accept: application/json`. A forged label is shown as forged, loudly.
#[utoipa::path(get, path = "/Q/{b32}", tag = "items",
    params(("b32" = String, Path, description = "base32 of the label payload and signature")),
    responses((status = 200, description = "verification page or JSON", content_type = "text/html", body = String)))]
pub async fn verify(
    State(st): State<AppState>,
    headers: HeaderMap,
    ApiPath(b32): ApiPath<String>,
) -> ApiResult<Response> {
    let view = st
        .db
        .read(move |conn| items::verify_label(conn, &b32))
        .await
        .map_err(|e: StoreError| ApiError::from(e))?;
    if wants_json(&headers) {
        return Ok(Json(view).into_response());
    }
    let status = StatusCode::OK;
    Ok((status, security::page(render::verify_page::verify_page(&view))).into_response())
}
