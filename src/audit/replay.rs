//! The custody rules, replayed: a pure state machine from (item state, event) to the item's next
//! state or a refusal. No database, no HTTP, no clock: the auditor feeds it the signed events in
//! log order and keeps the states; the tests feed it by hand.
//!
//! `generate` creates an item that must not exist yet; `consolidate` creates its new item (the
//! one its label names) and closes its inputs. The normal custody path (`store`,
//! `manifest_open`, `release`, `accept`, `arrive`, `weigh`, `receive`, `treat`) and the
//! `return` of a refused item are followed,
//! not yet judged: each entry moves the items of its `prev` to the state and holder the event
//! type gives them ([`Transition`]), so the `items` projection can be checked against the log,
//! but the custody rules themselves (holder, manifest, permit, masses) are not re-checked here
//! yet; that is `domain::custody`'s replay, still to come. Other types are refused.
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
    /// At its generator's store.
    Stored,
    /// Released by its holder, awaiting the named party's acceptance.
    Released,
    /// Held by a carrier.
    InTransit,
    /// Declared at the receiver's gate.
    Arrived,
    /// At rest with a holder that is not its generator.
    Received,
    /// Refused at the gate, still with the carrier.
    Refused,
    /// Treated: closed.
    Treated,
    /// Packed into a new item by `consolidate`: closed.
    Consolidated,
}

const CUSTODY_CODES: [(Custody, &str); 8] = [
    (Custody::Stored, "stored"),
    (Custody::Released, "released"),
    (Custody::InTransit, "in_transit"),
    (Custody::Arrived, "arrived"),
    (Custody::Received, "received"),
    (Custody::Refused, "refused"),
    (Custody::Treated, "treated"),
    (Custody::Consolidated, "consolidated"),
];

impl Custody {
    /// The code the service stores in `items.state` (`domain::custody::StateKind`'s codes).
    pub fn code(self) -> &'static str {
        CUSTODY_CODES
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("stored", |(_, s)| s)
    }

    pub fn parse(s: &str) -> Option<Custody> {
        CUSTODY_CODES.iter().find(|(_, code)| *code == s).map(|(c, _)| *c)
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
    /// Many items packed into one new item.
    Consolidate(Consolidate),
    /// A custody event of the normal path, applied to each item of the entry's `prev`.
    Custody(Transition),
    /// A type this auditor does not know; replaying it is refused.
    Unknown,
}

/// What a custody event of the normal path does to each item it concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// `store`, `manifest_open`, `weigh`: state and holder unchanged.
    Same,
    /// `release`, `arrive`, `treat`: a new state, same holder.
    To(Custody),
    /// `accept`: in transit, held by the actor.
    Take,
    /// `receive` accepting wholly or partly: held by the actor, received (stored when the
    /// actor is the item's generator, at the end of a return).
    Receive,
    /// `receive` refusing: refused, still with the carrier.
    Refuse,
}

/// Items packed into a new container: the codes of the inputs, and the new item as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct Consolidate {
    pub inputs: Vec<String>,
    pub output: Generate,
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
        "consolidate" => Body::Consolidate(parse_consolidate(&value)?),
        "store" | "manifest_open" | "weigh" => Body::Custody(Transition::Same),
        "release" => Body::Custody(Transition::To(Custody::Released)),
        "arrive" => Body::Custody(Transition::To(Custody::Arrived)),
        "return" => Body::Custody(Transition::To(Custody::InTransit)),
        "treat" => Body::Custody(Transition::To(Custody::Treated)),
        "accept" => Body::Custody(Transition::Take),
        "receive" => match value.get("decision").and_then(Value::as_str) {
            Some("accept" | "partial") => Body::Custody(Transition::Receive),
            Some("refuse") => Body::Custody(Transition::Refuse),
            other => {
                return Err(format!(
                    "the receive event's decision {other:?} is not accept, partial or refuse"
                ))
            }
        },
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

fn parse_consolidate(value: &Value) -> Result<Consolidate, String> {
    let inputs = value
        .get("inputs")
        .and_then(Value::as_array)
        .ok_or("the consolidate event lacks its inputs")?
        .iter()
        .map(|v| v.as_str().map(str::to_owned).ok_or("an input is not an item code"))
        .collect::<Result<Vec<_>, _>>()?;
    let output = value.get("output").ok_or("the consolidate event lacks its output")?;
    Ok(Consolidate {
        inputs,
        output: parse_generate(output).map_err(|e| format!("output: {e}"))?,
    })
}

/// A new item as its creating entry (`generate`, or the output of `consolidate`) declares it,
/// held and generated by the actor.
fn created(g: &Generate, event: &Event, ctx: &Context<'_>) -> ItemState {
    ItemState {
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
    }
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
    /// The label bytes the entry carries (`generate`, `consolidate`), empty when none decodes.
    pub label: &'a [u8],
}

/// Applies `event` to the item's state (`None`: the item does not exist), giving its next state.
pub fn step(state: Option<&ItemState>, event: &Event, ctx: &Context<'_>) -> Result<ItemState, Refused> {
    match (&event.body, state) {
        (Body::Generate(g), None) => Ok(created(g, event, ctx)),
        (Body::Consolidate(c), None) if !c.inputs.iter().any(|i| i == ctx.item) => Ok(created(&c.output, event, ctx)),
        (Body::Consolidate(c), Some(s)) if c.inputs.iter().any(|i| i == ctx.item) => Ok(ItemState {
            custody: Custody::Consolidated,
            last_seq: ctx.seq,
            ..s.clone()
        }),
        (Body::Consolidate(_), None) => Err(Refused {
            code: "unknown_item",
            message: format!(
                "a consolidate event packs item {}, which no earlier entry created",
                ctx.item
            ),
        }),
        (Body::Generate(_) | Body::Consolidate(_), Some(s)) => Err(Refused {
            code: "item_exists",
            message: format!(
                "creates item {}, which already exists (generated at entry {})",
                s.code, s.created_seq
            ),
        }),
        (Body::Custody(t), Some(s)) => {
            let mut next = s.clone();
            next.last_seq = ctx.seq;
            match t {
                Transition::Same => {}
                Transition::To(c) => next.custody = *c,
                Transition::Take => {
                    next.custody = Custody::InTransit;
                    next.holder = event.actor.clone();
                }
                Transition::Receive => {
                    next.custody = if event.actor == s.generator {
                        Custody::Stored
                    } else {
                        Custody::Received
                    };
                    next.holder = event.actor.clone();
                }
                Transition::Refuse => next.custody = Custody::Refused,
            }
            Ok(next)
        }
        (Body::Custody(_), None) if ctx.item.is_empty() => Err(Refused {
            code: "no_item",
            message: format!("a {} event must concern items, but its prev names none", event.kind),
        }),
        (Body::Custody(_), None) => Err(Refused {
            code: "unknown_item",
            message: format!(
                "a {} event concerns item {}, which no earlier entry generated",
                event.kind, ctx.item
            ),
        }),
        (Body::Unknown, _) => Err(Refused {
            code: "unknown_event_type",
            message: format!(
                "unknown event type {:?}; this auditor knows: generate, consolidate, store, manifest_open, release, accept, arrive, weigh, receive, return, treat",
                event.kind
            ),
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
    fn the_normal_path_moves_state_and_holder() {
        const CARRIER: &str = "91500110MA6TRN031U";
        const FACILITY: &str = "91500110MA60YNXH0F";
        let mut s = step(None, &parse(&generate()).unwrap(), &ctx(1)).unwrap();
        let by = |actor: &str, kind: &str, extra: Value| {
            let mut v = json!({"type": kind, "actor": actor, "device": "d-1",
                "at": "2026-11-28T10:00:00+08:00", "nonce": kind});
            v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            parse(&v).unwrap()
        };
        let path = [
            (by(ACTOR, "manifest_open", json!({})), Custody::Stored, ACTOR),
            (by(ACTOR, "release", json!({})), Custody::Released, ACTOR),
            (by(CARRIER, "accept", json!({})), Custody::InTransit, CARRIER),
            (by(CARRIER, "arrive", json!({})), Custody::Arrived, CARRIER),
            (by(FACILITY, "weigh", json!({})), Custody::Arrived, CARRIER),
            (
                by(FACILITY, "receive", json!({"decision": "accept"})),
                Custody::Received,
                FACILITY,
            ),
            (by(FACILITY, "treat", json!({})), Custody::Treated, FACILITY),
        ];
        for (i, (e, custody, holder)) in path.iter().enumerate() {
            s = step(Some(&s), e, &ctx(2 + i as u64)).unwrap();
            assert_eq!(
                (s.custody, s.holder.as_str(), s.last_seq),
                (*custody, *holder, 2 + i as u64)
            );
            assert_eq!(Custody::parse(s.custody.code()), Some(*custody));
        }
        assert_eq!(s.created_seq, 1);
        let refuse = by(FACILITY, "receive", json!({"decision": "refuse"}));
        assert_eq!(refuse.body, Body::Custody(Transition::Refuse));
        assert!(parse(&json!({"type": "receive", "actor": ACTOR, "device": "d-1",
            "at": "2026-11-28T10:00:00+08:00", "nonce": "x", "decision": "maybe"}))
        .is_err());
        assert_eq!(step(None, &path[1].0, &ctx(9)).unwrap_err().code, "unknown_item");
    }

    #[test]
    fn a_return_takes_a_refused_item_back_on_the_road() {
        const CARRIER: &str = "91500110MA6TRN031U";
        let mut s = step(None, &parse(&generate()).unwrap(), &ctx(1)).unwrap();
        s.custody = Custody::Refused;
        s.holder = Uscc::parse(CARRIER).unwrap();
        let back = parse(&json!({"type": "return", "actor": CARRIER, "device": "d-1",
            "at": "2026-11-28T10:00:00+08:00", "nonce": "r"}))
        .unwrap();
        let s = step(Some(&s), &back, &ctx(2)).unwrap();
        assert_eq!(
            (s.custody, s.holder.as_str(), s.last_seq),
            (Custody::InTransit, CARRIER, 2)
        );
    }

    #[test]
    fn consolidate_creates_the_labelled_item_and_closes_the_inputs() {
        const POINT: &str = "91500110MA6CLP0015";
        const TOTE: &str = "91500110MA6CLP00159000523120261128001";
        let input = step(None, &parse(&generate()).unwrap(), &ctx(1)).unwrap();
        let e = parse(&json!({"type": "consolidate", "actor": POINT, "device": "d-1",
            "at": "2026-11-28T10:00:00+08:00", "nonce": "c", "inputs": [ITEM],
            "output": {"waste_code": "900-052-31", "mass_g": 185000, "form": "solid", "hazards": ["T", "C"]}}))
        .unwrap();
        let Body::Consolidate(c) = &e.body else { panic!("{e:?}") };
        assert_eq!(
            (c.inputs.as_slice(), c.output.mass),
            (&[ITEM.to_owned()][..], Grams(185_000))
        );
        let closed = step(Some(&input), &e, &ctx(5)).unwrap();
        assert_eq!(
            (closed.custody, closed.last_seq, closed.created_seq),
            (Custody::Consolidated, 5, 1)
        );
        assert_eq!(Custody::parse("consolidated"), Some(Custody::Consolidated));
        let tote_ctx = Context {
            seq: 5,
            item: TOTE,
            label: b"tote",
        };
        let tote = step(None, &e, &tote_ctx).unwrap();
        assert_eq!(
            (tote.holder.as_str(), tote.custody, tote.label.as_slice()),
            (POINT, Custody::Stored, &b"tote"[..])
        );
        assert_eq!(tote.waste.to_string(), "900-052-31");
        assert_eq!(step(Some(&tote), &e, &tote_ctx).unwrap_err().code, "item_exists");
        assert_eq!(step(None, &e, &ctx(5)).unwrap_err().code, "unknown_item");
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
