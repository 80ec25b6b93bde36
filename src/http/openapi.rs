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
        (name = "dashboard", description = "The regulator's dashboard: the figures of each chart for a period and a district"),
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
fn describe_itself(doc: &mut utoipa::openapi::OpenApi) {
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

/// Adds to every operation the error answers that the service's shared machinery can give, so
/// the document lists every status an operation can answer, not only those its handler names:
/// 500 for any failure; 400 for a malformed query string where there are query parameters; 400,
/// 404 and 422 where a path names something (unreadable, unknown, or malformed); 400, 408, 413,
/// 415 and 422 where there is a JSON body (malformed, stalled, too large, not JSON, invalid
/// content); 401 and 403 where a
/// session or token is required. An answer the handler already describes is kept as it is.
fn complete_responses(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::path::ParameterIn;
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for op in operations.into_iter().flatten() {
            let params = op.parameters.as_deref().unwrap_or_default();
            let in_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
            let in_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
            let body = op.request_body.is_some();
            let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
            let mut wanted = vec![(
                "500",
                "internal error; logged, answered without details (`internal_error`)",
            )];
            if in_query {
                wanted.push(("400", "malformed query string or unknown query parameter (`bad_query`)"));
            }
            if in_path {
                wanted.push((
                    "400",
                    "a path parameter that cannot be read, e.g. not UTF-8 (`bad_path`)",
                ));
                wanted.push(("404", "nothing of that name"));
                wanted.push(("422", "a malformed value in the path or the query"));
            }
            if body {
                wanted.push(("400", "malformed JSON, unknown member, missing member or wrong type (`malformed_json`, `unknown_field`, `bad_field`, `bad_body`)"));
                wanted.push(("408", "the body stopped arriving for the idle timeout (`body_timeout`)"));
                wanted.push((
                    "413",
                    "request body over the endpoint's limit, given in bytes (`body_too_large`)",
                ));
                wanted.push(("415", "the body is not `application/json` (`unsupported_media_type`)"));
                wanted.push(("422", "well-formed but invalid content (the refusal's own code)"));
            }
            if secured {
                wanted.push((
                    "401",
                    "no valid session or token (`not_authenticated`, `session_expired`, ...)",
                ));
                wanted.push((
                    "403",
                    "the caller may not do this, or a session's write lacks its CSRF token (`csrf_mismatch`)",
                ));
            }
            for (status, why) in wanted {
                op.responses
                    .responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error_response(why));
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

/// The served document: the routes' description, this document's own route, every error answer
/// (`complete_responses`), and the event payloads' schemas with the signed examples of
/// `docs/events.md` (`event_schema`): the envelope's `payload` is described as base64 of an
/// `EventPayload`, and the events request bodies carry one example envelope per event type.
pub fn document(mut doc: utoipa::openapi::OpenApi) -> serde_json::Value {
    use serde_json::{json, Value};
    describe_itself(&mut doc);
    complete_responses(&mut doc);
    let mut value = serde_json::to_value(&doc).expect("the OpenAPI document serialises");
    if let Some(schemas) = value["components"]["schemas"].as_object_mut() {
        schemas.extend(super::event_schema::component_schemas());
        if let Some(payload) = schemas
            .get_mut("EnvelopeDoc")
            .and_then(|e| e["properties"].get_mut("payload"))
        {
            *payload = json!({
                "type": "string",
                "description": "base64 of the event's JSON bytes, exactly as signed",
                "contentEncoding": "base64",
                "contentMediaType": "application/vnd.hwtrace.event+json",
                "contentSchema": {"$ref": "#/components/schemas/EventPayload"},
            });
        }
    }
    let examples = Value::Object(super::event_schema::envelope_examples());
    if let Some(content) =
        value["paths"]["/api/v1/events"]["post"]["requestBody"]["content"].get_mut("application/json")
    {
        content["examples"] = examples;
    }
    value
}
