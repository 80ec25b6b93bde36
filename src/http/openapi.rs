//! The OpenAPI 3.1 document's frame: title, tags and security schemes. Paths are added by
//! `utoipa_axum` from the same list that builds the router.

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hwtrace",
        description = "Hazardous-waste chain of custody: registry, signed labels and a verifiable custody log. \
                       危险废物全过程追溯：登记、签名标签与可验证的转移日志。"
    ),
    modifiers(&Security),
    tags(
        (name = "reference", description = "Catalogue and closed lists (public)"),
        (name = "accounts", description = "Sessions, users and API tokens"),
        (name = "registry", description = "Enterprises, permits, vehicles, drivers and device keys"),
        (name = "approvals", description = "Cross-province transfer approvals (转移管理办法 art. 21-27) and their use"),
        (name = "items", description = "Items, printable labels, QR codes and public label verification"),
        (name = "ledger", description = "Ledger views: an enterprise's items by custody state, manifests and their items"),
        (name = "alerts", description = "Alerts: open, acknowledged by a regulator's signed event, resolved"),
        (name = "reconciliation", description = "Capacity reconciliation, disposal rates, mass balance, public disclosure"),
        (name = "reports", description = "HJ 1259 ledgers (CSV, XLSX), periodic reports by supervision class, the printable transfer manifest"),
        (name = "events", description = "Signed custody events (DSSE envelopes, SPEC §4)"),
        (name = "export", description = "The custody events as an EPCIS 2.0 JSON-LD document (administrators, regulators)"),
        (name = "log", description = "The verifiable custody log (SPEC §5): checkpoints, entries, proofs, keys"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::extract::SESSION_COOKIE,
                "browser session; non-GET requests also need the X-CSRF-Token header",
            ))),
        );
    }
}

/// Adds the document's own route, which cannot be registered through `routes!` because it
/// serves the document that registration produces.
pub fn describe_itself(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::ResponseBuilder;
    let op = OperationBuilder::new()
        .tag("reference")
        .summary(Some("This OpenAPI 3.1 document"))
        .response(
            "200",
            ResponseBuilder::new().description("the OpenAPI document").build(),
        )
        .build();
    doc.paths
        .paths
        .insert("/api/v1/openapi.json".into(), PathItem::new(HttpMethod::Get, op));
}
