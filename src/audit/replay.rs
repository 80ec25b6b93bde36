//! The custody rules, replayed: a pure state machine from (item state, event) to the item's next
//! state or a refusal. No database, no HTTP, no clock: the auditor feeds it the signed events in
//! log order and keeps the states; the tests feed it by hand.
//!
//! Today the log knows one event, `generate`, which creates an item that must not exist yet;
//! nothing else touches an item. The custody workflow adds its events as arms of [`step`]
//! (and states to [`Custody`]), and so extends the audit with the service.
//!
//! Events are parsed here without the waste catalogue: an auditor must be able to check an old
//! log after the catalogue has changed, and the catalogue is the service's business, not the
//! log's.

use chrono::{DateTime, FixedOffset};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::waste::waste_digits;
use crate::domain::{DeviceName, Grams, HazardSet, PhysicalForm, Uscc, WasteCode};

/// Where an item stands in its custody.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Custody {
    /// At its generator's (or current holder's) store.
    Stored,
}

impl Custody {
    /// The code the service stores in `items.state`.
    pub fn code(self) -> &'static str {
        match self {
            Custody::Stored => "stored",
        }
    }

    pub fn parse(s: &str) -> Option<Custody> {
        match s {
            "stored" => Some(Custody::Stored),
            _ => None,
        }
    }
}

/// An item as the log made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemState {
    pub code: String,
    pub generator: Uscc,
    pub waste: WasteCode,
    pub mass: Grams,
    pub hazards: HazardSet,
    pub form: PhysicalForm,
    /// The 124 label bytes the generating entry issued.
    pub label: Vec<u8>,
    pub custody: Custody,
    pub holder: Uscc,
    /// The entry that created the item, and the last one that concerned it.
    pub created_seq: u64,
    pub last_seq: u64,
}

/// What every event says about itself (SPEC §4).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: String,
    pub actor: Uscc,
    pub device: DeviceName,
    pub at: DateTime<FixedOffset>,
    pub nonce: String,
    pub body: Body,
}

impl Event {
    /// `<USCC>/<device>`: the name of the key that must sign it.
    pub fn key_name(&self) -> String {
        self.device.key_name(&self.actor)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Generate(Generate),
    /// A type this auditor does not know; replaying it is refused.
    Unknown,
}

/// A container filled at its generator.
#[derive(Debug, Clone, PartialEq)]
pub struct Generate {
    pub waste: WasteCode,
    pub mass: Grams,
    pub hazards: HazardSet,
    pub form: PhysicalForm,
}

#[derive(Deserialize)]
struct RawCommon {
    #[serde(rename = "type")]
    kind: String,
    actor: String,
    device: String,
    at: String,
    nonce: String,
}

#[derive(Deserialize)]
struct RawGenerate {
    waste_code: String,
    mass_g: i64,
    hazards: Vec<String>,
    form: String,
}

/// Parses a signed payload: the common members, and the members the rules need for its type
/// (other members, such as the label's texts, are the service's business).
pub fn parse_event(payload: &[u8]) -> Result<Event, String> {
    let value: Value = serde_json::from_slice(payload).map_err(|e| format!("the event is not JSON: {e}"))?;
    if !value.is_object() {
        return Err("the event is not a JSON object".into());
    }
    let raw = RawCommon::deserialize(&value).map_err(|e| format!("the event lacks a common member: {e}"))?;
    let actor = Uscc::parse(&raw.actor).map_err(|r| format!("actor {:?}: {}", raw.actor, r.message))?;
    if actor.as_str() != raw.actor {
        return Err(format!("actor {:?} is not written canonically", raw.actor));
    }
    let device = DeviceName::parse(&raw.device).map_err(|r| format!("device {:?}: {}", raw.device, r.message))?;
    let at = DateTime::parse_from_rfc3339(&raw.at).map_err(|_| format!("at {:?} is not an RFC 3339 time", raw.at))?;
    if raw.nonce.is_empty() {
        return Err("the nonce is empty".into());
    }
    let body = match raw.kind.as_str() {
        "generate" => Body::Generate(parse_generate(&value)?),
        _ => Body::Unknown,
    };
    Ok(Event {
        kind: raw.kind,
        actor,
        device,
        at,
        nonce: raw.nonce,
        body,
    })
}

fn parse_generate(value: &Value) -> Result<Generate, String> {
    let raw = RawGenerate::deserialize(value).map_err(|e| format!("the generate event lacks a member: {e}"))?;
    let digits = waste_digits(&raw.waste_code).map_err(|r| r.message)?;
    Ok(Generate {
        waste: WasteCode::from_trusted_digits(digits),
        mass: Grams::item_mass(raw.mass_g).map_err(|r| r.message)?,
        hazards: HazardSet::parse(&raw.hazards).map_err(|r| r.message)?,
        form: PhysicalForm::parse(&raw.form).map_err(|r| r.message)?,
    })
}

/// Why the rules refuse an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Stable machine code, like the service's refusals.
    pub code: &'static str,
    pub message: String,
}

/// Where an event applies: its entry, the item, and what the entry issued with it.
pub struct Context<'a> {
    pub seq: u64,
    pub item: &'a str,
    /// The label bytes the entry carries (`generate`), empty when none decodes.
    pub label: &'a [u8],
}

/// Applies `event` to the item's state (`None`: the item does not exist), giving its next state.
pub fn step(state: Option<&ItemState>, event: &Event, ctx: &Context<'_>) -> Result<ItemState, Refused> {
    match (&event.body, state) {
        (Body::Generate(g), None) => Ok(ItemState {
            code: ctx.item.to_owned(),
            generator: event.actor.clone(),
            waste: g.waste,
            mass: g.mass,
            hazards: g.hazards,
            form: g.form,
            label: ctx.label.to_vec(),
            custody: Custody::Stored,
            holder: event.actor.clone(),
            created_seq: ctx.seq,
            last_seq: ctx.seq,
        }),
        (Body::Generate(_), Some(s)) => Err(Refused {
            code: "item_exists",
            message: format!(
                "generates item {}, which already exists (generated at entry {})",
                s.code, s.created_seq
            ),
        }),
        (Body::Unknown, _) => Err(Refused {
            code: "unknown_event_type",
            message: format!("unknown event type {:?}; this auditor knows: generate", event.kind),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ACTOR: &str = "91500110MA5U8F4X2N";
    const ITEM: &str = "91500110MA5U8F4X2N9002490820261128001";

    fn generate() -> Value {
        json!({
            "type": "generate", "actor": ACTOR, "device": "phone-1",
            "at": "2026-11-28T09:30:00+08:00", "nonce": "n-1",
            "waste_code": "900-249-08", "mass_g": 185500, "form": "liquid", "hazards": ["T", "I"],
            "packaging": "200L钢桶", "container_volume_l": 200
        })
    }

    fn parse(v: &Value) -> Result<Event, String> {
        parse_event(v.to_string().as_bytes())
    }

    fn ctx(seq: u64) -> Context<'static> {
        Context {
            seq,
            item: ITEM,
            label: b"label",
        }
    }

    #[test]
    fn generate_creates_an_item_once() {
        let e = parse(&generate()).unwrap();
        assert_eq!(e.key_name(), format!("{ACTOR}/phone-1"));
        let s = step(None, &e, &ctx(3)).unwrap();
        assert_eq!((s.mass, s.hazards.bits(), s.form.number()), (Grams(185_500), 0x05, 3));
        assert_eq!((s.created_seq, s.last_seq, s.custody), (3, 3, Custody::Stored));
        assert_eq!(s.holder.as_str(), ACTOR);
        assert_eq!(s.waste.to_string(), "900-249-08");
        let again = step(Some(&s), &e, &ctx(9)).unwrap_err();
        assert_eq!(again.code, "item_exists");
        assert!(again.message.contains("generated at entry 3"), "{}", again.message);
    }

    #[test]
    fn unknown_types_are_refused_by_the_rules_not_the_parser() {
        let mut v = generate();
        v["type"] = json!("teleport");
        let e = parse(&v).unwrap();
        assert_eq!(e.body, Body::Unknown);
        assert_eq!(step(None, &e, &ctx(1)).unwrap_err().code, "unknown_event_type");
    }

    #[test]
    fn malformed_events_say_why() {
        let with = |k: &str, val: Value| {
            let mut v = generate();
            v[k] = val;
            parse(&v).unwrap_err()
        };
        assert!(with("mass_g", json!(0)).contains("mass_g"));
        assert!(with("form", json!("plasma")).contains("plasma"));
        assert!(with("at", json!("noon")).contains("RFC 3339"));
        assert!(with("actor", json!("91500110MA5U8F4X2A")).contains("actor"));
        assert!(with("nonce", json!("")).contains("nonce"));
        let mut v = generate();
        v.as_object_mut().unwrap().remove("hazards");
        assert!(parse(&v).unwrap_err().contains("hazards"));
        assert!(parse_event(b"[]").unwrap_err().contains("object"));
    }
}
