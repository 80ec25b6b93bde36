//! The HTTP edge: routes, extractors, the error mapping and the OpenAPI description. Handlers
//! parse input into domain types, ask `access` whether the caller may act, and call storage.
//! Every `/api/v1` route is registered through `utoipa_axum` together with its description,
//! so the served OpenAPI document cannot drift from the routes.

mod accounts;
mod alerts;
mod approvals;
pub mod body;
mod cache;
mod catalogue;
pub mod connection;
mod dashboard;
mod enrolments;
pub mod error;
mod event_schema;
mod events;
mod export;
pub mod extract;
mod items;
mod ledger;
mod log;
mod openapi;
mod reconcile;
mod registry;
mod reports;
mod search;
pub mod security;
pub mod server;
mod web;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::middleware;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::service::AppState;
pub use error::{ApiError, ApiResult};

/// Largest request body accepted on ordinary endpoints (`body::limit_of`).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest body of a batch of events (a device's whole offline queue).
pub const MAX_BATCH_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The `/api/v1` routes and their OpenAPI description, built from the same list.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(catalogue::health))
        .routes(routes!(catalogue::reference))
        .routes(routes!(catalogue::search))
        .routes(routes!(catalogue::all))
        .routes(routes!(catalogue::entry))
        .routes(routes!(catalogue::calendar))
        .routes(routes!(accounts::login, accounts::whoami, accounts::logout))
        .routes(routes!(accounts::list_users, accounts::create_user))
        .routes(routes!(accounts::list_tokens, accounts::create_token))
        .routes(routes!(accounts::revoke_token))
        .routes(routes!(registry::list_enterprises, registry::create_enterprise))
        .routes(routes!(registry::get_enterprise))
        .routes(routes!(registry::list_permits, registry::create_permit))
        .routes(routes!(registry::list_vehicles, registry::create_vehicle))
        .routes(routes!(registry::list_drivers, registry::create_driver))
        .routes(routes!(registry::list_devices, registry::register_device))
        .routes(routes!(registry::revoke_device))
        .routes(routes!(registry::receivers))
        .routes(routes!(registry::transporters))
        .routes(routes!(
            registry::list_storage_capacities,
            registry::set_storage_capacity,
            registry::remove_storage_capacity
        ))
        .routes(routes!(enrolments::request, enrolments::list))
        .routes(routes!(enrolments::get))
        .routes(routes!(enrolments::approve))
        .routes(routes!(enrolments::reject))
        .routes(routes!(approvals::list_approvals, approvals::create_approval))
        .routes(routes!(approvals::get_approval))
        .routes(routes!(events::submit))
        .routes(routes!(events::by_nonce))
        .routes(routes!(events::submit_batch))
        .routes(routes!(items::list_items))
        .routes(routes!(items::get_item))
        .routes(routes!(items::item_events))
        .routes(routes!(items::label_page))
        .routes(routes!(items::qr_svg))
        .routes(routes!(items::qr_png))
        .routes(routes!(items::sheet))
        .routes(routes!(items::verify))
        .routes(routes!(ledger::enterprise_ledger))
        .routes(routes!(ledger::manifest))
        .routes(routes!(ledger::list_manifests))
        .routes(routes!(ledger::arrivals))
        .routes(routes!(reports::hj1259))
        .routes(routes!(reports::enterprise_reports))
        .routes(routes!(reports::manifest_print))
        .routes(routes!(reconcile::facility))
        .routes(routes!(alerts::list))
        .routes(routes!(alerts::csv))
        .routes(routes!(alerts::get))
        .routes(routes!(alerts::sweep))
        .routes(routes!(alerts::self_audit))
        .routes(routes!(reconcile::disposal))
        .routes(routes!(reconcile::mass_balance))
        .routes(routes!(reconcile::public_json))
        .routes(routes!(dashboard::capacity))
        .routes(routes!(dashboard::flows))
        .routes(routes!(dashboard::sankey))
        .routes(routes!(dashboard::rates))
        .routes(routes!(dashboard::alerts))
        .routes(routes!(dashboard::stock))
        .routes(routes!(reconcile::public_page))
        .routes(routes!(export::epcis))
        .routes(routes!(search::search))
        .routes(routes!(log::keys))
        .routes(routes!(log::history))
        .routes(routes!(log::checkpoint))
        .routes(routes!(log::entries))
        .routes(routes!(log::inclusion))
        .routes(routes!(log::consistency))
        .split_for_parts()
}

/// The whole service: API, OpenAPI document, web app, JSON errors for everything else. Every
/// request's body is read within its limit first (`body::limit`); whatever answer the framework
/// gives in another shape is put into the JSON error shape (`error::json_errors`), and a
/// handler that panics is answered `internal_error`.
pub fn router(state: AppState) -> Router {
    let (api, doc) = api();
    let doc = Arc::new(openapi::document(doc));
    Router::new()
        .merge(api)
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let doc = doc.clone();
                async move { axum::Json(doc.as_ref().clone()) }
            }),
        )
        .merge(web::routes())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        // `body::limit` has read the body within its endpoint's limit already.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(state.clone(), body::limit))
        .layer(middleware::from_fn(error::json_errors))
        .layer(CatchPanicLayer::custom(error::panicked))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn fallback(method: axum::http::Method, uri: Uri) -> axum::response::Response {
    use axum::response::IntoResponse;
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        web::static_or_404(&uri).await
    } else {
        ApiError::no_route(uri.path()).into_response()
    }
}

async fn method_not_allowed(method: axum::http::Method, uri: Uri) -> ApiError {
    ApiError::from(crate::domain::Refusal::new(
        crate::domain::RefusalKind::MethodNotAllowed,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
        format!("{}不支持{method}方法", uri.path()),
    ))
}
