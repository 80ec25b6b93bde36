//! The JSON Schema of every event payload (SPEC §4: the JSON object inside a DSSE envelope),
//! for the OpenAPI document: one schema per event type, joined by a `oneOf` on `type`, each
//! with the signed example of `docs/events.md`. The member lists come from the parser
//! (`domain::event::members`) and the closed lists from the domain's enumerations, and
//! `tests/openapi.rs` checks every documented example against these schemas, so the description
//! cannot drift from what the service accepts.

use serde_json::{json, Map, Value};

use crate::domain::event::{common_members, generate_body_members, members, CorrectableField, IncidentKind};
use crate::domain::event::{ReceiveDecision, EVENT_TYPES};
use crate::domain::hazard::HAZARDS;
use crate::domain::{PhysicalForm, TreatmentMethod};

/// The signed examples of `docs/events.md`, one per event type.
const EVENTS_DOC: &str = include_str!("../../docs/events.md");

const USCC_PATTERN: &str = "^[0-9A-HJ-NPQRTUWXY]{18}$";
const ITEM_CODE_PATTERN: &str = "^[0-9A-HJ-NPQRTUWXY]{18}[0-9]{8}[0-9]{8}[0-9]{3}$";
const MANIFEST_PATTERN: &str = "^[0-9]{14}$";

fn uscc() -> Value {
    json!({"type": "string", "pattern": USCC_PATTERN, "description": "unified social credit code (GB 32100)"})
}

fn item_code() -> Value {
    json!({"type": "string", "pattern": ITEM_CODE_PATTERN, "description": "37-character item code (SPEC §1.3)"})
}

fn items() -> Value {
    json!({"type": "array", "items": item_code(), "minItems": 1, "maxItems": 100, "uniqueItems": true})
}

fn manifest() -> Value {
    json!({"type": "string", "pattern": MANIFEST_PATTERN, "description": "14-digit manifest number (SPEC §1.4)"})
}

fn grams(what: &str) -> Value {
    json!({"type": "integer", "minimum": 0, "maximum": 100_000_000u64, "description": format!("{what}, integer grams")})
}

fn text(what: &str) -> Value {
    json!({"type": "string", "minLength": 1, "description": what})
}

fn codes<T: Copy>(all: &[T], code: impl Fn(T) -> &'static str) -> Value {
    Value::Array(all.iter().map(|v| Value::from(code(*v))).collect())
}

/// The schema of one member, by name (the same name means the same thing in every type).
fn member(kind: &str, name: &str) -> Value {
    match name {
        "type" => json!({"const": kind}),
        "actor" | "receiver" | "to" => uscc(),
        "device" => {
            json!({"type": "string", "description": "device name; the envelope is signed by `<actor>/<device>`"})
        }
        "at" => {
            json!({"type": "string", "format": "date-time", "description": "RFC 3339 with offset, the device's clock"})
        }
        "nonce" => {
            json!({"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$", "description": "never reused by the same key"})
        }
        "waste_code" => {
            json!({"type": "string", "pattern": "^[0-9]{3}-[0-9]{3}-[0-9]{2}$", "description": "code of the national list"})
        }
        "mass_g" => grams("declared net mass"),
        "weighed_mass_g" => grams("mass on the scale"),
        "accepted_mass_g" => grams("mass accepted"),
        "refused_mass_g" => grams("mass refused"),
        "treated_mass_g" => grams("mass treated"),
        "lost_mass_g" => grams("mass lost or spilt"),
        "form" => json!({"enum": codes(PhysicalForm::ALL, PhysicalForm::code)}),
        "hazards" => json!({"type": "array", "minItems": 1,
            "items": {"enum": HAZARDS.iter().map(|h| h.0).collect::<Vec<_>>()}}),
        "container_volume_l" | "volume_l" => json!({"type": "integer", "minimum": 0, "description": "litres"}),
        "inputs" | "items" | "add_items" | "remove_items" => items(),
        "item" | "input" => item_code(),
        "manifest" => manifest(),
        "transporters" => {
            json!({"type": "array", "items": uscc(), "minItems": 1, "description": "in the order they carry"})
        }
        "signers" => {
            json!({"type": "array", "items": uscc(), "minItems": 1, "description": "every party that signs the envelope"})
        }
        "planned_date" => json!({"type": "string", "format": "date"}),
        "scanned_labels" => json!({"type": "array", "items": {"type": "string", "contentEncoding": "base64"},
            "description": "the scanned labels' 124 bytes (payload and signature), base64, one per item in order"}),
        "decision" => json!({"enum": codes(ReceiveDecision::ALL, ReceiveDecision::code)}),
        "method" => json!({"enum": codes(TreatmentMethod::ALL, TreatmentMethod::code)}),
        "field" => json!({"enum": codes(CorrectableField::ALL, CorrectableField::code)}),
        "kind" => json!({"enum": codes(IncidentKind::ALL, IncidentKind::code)}),
        "new_value" => {
            json!({"type": ["integer", "string"], "description": "grams for a mass field, text for the storage place"})
        }
        "corrects" | "about" => {
            json!({"type": "integer", "minimum": 0, "description": "the log index of the item's entry concerned"})
        }
        "alert" => json!({"type": "integer", "minimum": 1, "description": "the alert's number"}),
        "output" => json!({"$ref": "#/components/schemas/ContainerDescription"}),
        "outputs" => {
            json!({"type": "array", "minItems": 2, "items": {"$ref": "#/components/schemas/ContainerDescription"}})
        }
        other => text(other),
    }
}

/// The members of a container's description the parser gives a default.
fn optional_in_description(name: &str) -> bool {
    matches!(
        name,
        "waste_name" | "harmful_components" | "precautions" | "remarks" | "facility_code" | "inputs"
    )
}

fn object_schema(kind: &str, names: &[&str], required: impl Fn(&str) -> bool) -> Value {
    let mut properties = Map::new();
    for name in names {
        properties.insert((*name).to_owned(), member(kind, name));
    }
    let required: Vec<&str> = names.iter().copied().filter(|n| required(n)).collect();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// Whether `name` is required in a payload of type `kind`: every member but those the parser
/// gives a default.
fn required_in(kind: &str, name: &str) -> bool {
    if common_members().contains(&name) {
        return true;
    }
    match kind {
        "generate" => !optional_in_description(name),
        "manifest_open" => !matches!(name, "approval" | "emergency_measures"),
        "manifest_amend" => matches!(name, "manifest" | "reason"),
        "accept" => matches!(name, "items" | "manifest"),
        "receive" => name != "reason",
        "treat" => name != "volume_l",
        _ => true,
    }
}

/// The name of the component schema of an event type.
pub fn schema_name(kind: &str) -> String {
    let camel: String = kind
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect();
    format!("{camel}Event")
}

/// The signed example envelope of `kind` in `docs/events.md`: the first JSON block of its
/// section.
pub fn documented_example(kind: &str) -> Option<Value> {
    let heading = format!("\n## `{kind}`\n");
    let section = &EVENTS_DOC[EVENTS_DOC.find(&heading)? + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let block = &section[section.find("```json\n")? + 8..];
    serde_json::from_str(&block[..block.find("```")?]).ok()
}

/// The decoded payload of an envelope.
pub fn payload_of(envelope: &Value) -> Option<Value> {
    use data_encoding::BASE64;
    let bytes = BASE64.decode(envelope["payload"].as_str()?.as_bytes()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Every component schema: one per event type, `ContainerDescription`, and `EventPayload`,
/// the `oneOf` on `type`.
pub fn component_schemas() -> Map<String, Value> {
    let mut schemas = Map::new();
    let mut one_of = Vec::new();
    let mut mapping = Map::new();
    for kind in EVENT_TYPES {
        let own = members(kind).unwrap_or_default();
        let names: Vec<&str> = common_members().iter().chain(own).copied().collect();
        let mut schema = object_schema(kind, &names, |n| required_in(kind, n));
        if let Some(payload) = documented_example(kind).as_ref().and_then(payload_of) {
            schema["examples"] = json!([payload]);
        }
        let name = schema_name(kind);
        let reference = format!("#/components/schemas/{name}");
        one_of.push(json!({"$ref": reference}));
        mapping.insert(kind.to_owned(), Value::from(reference));
        schemas.insert(name, schema);
    }
    schemas.insert(
        "ContainerDescription".into(),
        object_schema("generate", generate_body_members(), |n| !optional_in_description(n)),
    );
    schemas.insert(
        "EventPayload".into(),
        json!({
            "description": "The JSON object a DSSE envelope carries as its payload (SPEC §4), one schema per event type; see docs/events.md",
            "oneOf": one_of,
            "discriminator": {"propertyName": "type", "mapping": mapping},
        }),
    );
    schemas
}

/// The documented signed envelopes, as OpenAPI examples of the events request body.
pub fn envelope_examples() -> Map<String, Value> {
    EVENT_TYPES
        .iter()
        .filter_map(|kind| {
            documented_example(kind).map(|env| {
                let example = json!({"summary": format!("a signed `{kind}` event"), "value": env});
                ((*kind).to_owned(), example)
            })
        })
        .collect()
}
