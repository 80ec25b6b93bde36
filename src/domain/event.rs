//! Custody events: the JSON payload a device signs inside a DSSE envelope (SPEC §4), parsed
//! into typed events. Every payload carries `type`, `actor`, `device`, `at` and `nonce`; each
//! type adds its own fields. Unknown fields are refused, and so is a member named twice in any
//! object of the payload: what a device signed must mean exactly what the server understood.
//! Who may sign an event ([`check_signers`]) is decided here too, for the service and the
//! auditor alike. Pure: the clock and the database are checked elsewhere,
//! and whether an event fits the item's custody is [`super::custody`]'s business.
//!
//! A hand-over between two transporters (联运, 转移管理办法 art. 17) is not a type of its own: it
//! is a `release` by the carrier holding the items to the next transporter named on the
//! manifest, and that transporter's `accept`. The same two signatures move custody everywhere,
//! so one rule covers the generator's pickup and every hand-over.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::mass::MAX_ITEM_MASS_G;
use super::refusal::{Refusal, RefusalKind};
use super::waste::waste_digits;
use super::{
    code_enum, text, Catalogue, DeviceName, Grams, HazardSet, ItemCode, ManifestNo, PhysicalForm, Plate,
    TreatmentMethod, Uscc, WasteCode,
};

/// Longest nonce accepted; nonces are unique per device.
pub const MAX_NONCE_LEN: usize = 64;
/// Largest event payload accepted, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024;
/// Largest container volume on a label, in litres (a 30 m³ tank).
pub const MAX_CONTAINER_VOLUME_L: u32 = 30_000;
/// Most items one event may name (a manifest, a release, an accept, a consolidation's inputs).
/// A device with more splits them over several events; the payload limit bounds them anyway.
pub const MAX_ITEMS_PER_EVENT: usize = 100;
/// Most transporters in a row on one manifest (multimodal transport, 转移管理办法 art. 17).
pub const MAX_TRANSPORTERS: usize = 5;
/// Most new items one `split` may produce.
pub const MAX_SPLIT_OUTPUTS: usize = 20;
/// Most parties that may co-sign one correction.
pub const MAX_SIGNERS: usize = 5;
/// Largest landfill volume one item may take, in litres (200 m³, far above one container).
pub const MAX_LANDFILL_VOLUME_L: u32 = 200_000;
/// Longest reason, description or explanation, in characters.
pub const MAX_REASON_CHARS: usize = 500;
/// Longest remark (备注) on a label, in characters.
pub const MAX_REMARKS_CHARS: usize = 200;
/// Longest facility code (设施编码, from the unit's pollutant discharge permit), in characters.
pub const MAX_FACILITY_CODE_CHARS: usize = 30;
/// Longest hand-over place of a relay, in characters.
pub const MAX_PLACE_CHARS: usize = 100;
/// Longest cross-province approval number, in characters.
pub const MAX_APPROVAL_CHARS: usize = 50;

/// A nonce is 1–[`MAX_NONCE_LEN`] of `A-Z a-z 0-9 - _ .` (`bad_nonce`).
pub fn check_nonce(nonce: &str) -> Result<(), Refusal> {
    let ok = !nonce.is_empty()
        && nonce.len() <= MAX_NONCE_LEN
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        return Ok(());
    }
    Err(Refusal::invalid(
        "bad_nonce",
        format!("nonce must be 1-{MAX_NONCE_LEN} letters, digits, '-', '_' or '.'"),
        format!("nonce应为1-{MAX_NONCE_LEN}个字母、数字或“-”、“_”、“.”"),
    ))
}

const COMMON_FIELDS: [&str; 5] = ["type", "actor", "device", "at", "nonce"];

/// Every event type the parser knows, in the order of the custody chain.
pub const EVENT_TYPES: [&str; 18] = [
    "generate",
    "store",
    "manifest_open",
    "manifest_amend",
    "manifest_cancel",
    "release",
    "accept",
    "arrive",
    "weigh",
    "receive",
    "return",
    "treat",
    "consolidate",
    "split",
    "correction",
    "incident",
    "explanation",
    "acknowledge",
];

/// What every event says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    pub actor: Uscc,
    pub device: DeviceName,
    /// The device's clock, with its offset.
    pub at: DateTime<FixedOffset>,
    pub nonce: String,
}

/// A typed custody event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub common: Common,
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    Generate(Generate),
    Store(Store),
    ManifestOpen(ManifestOpen),
    ManifestAmend(ManifestAmend),
    ManifestCancel(ManifestCancel),
    Release(Release),
    Accept(Accept),
    Arrive(Arrive),
    Weigh(Weigh),
    Receive(Receive),
    Return(Return),
    Treat(Treat),
    Consolidate(Consolidate),
    Split(Split),
    Correction(Correction),
    Incident(Incident),
    Explanation(Explanation),
    /// A regulator acknowledges an alert with a note (not a custody event: it concerns no item).
    Acknowledge(Acknowledge),
}

impl EventBody {
    pub fn type_name(&self) -> &'static str {
        match self {
            EventBody::Generate(_) => "generate",
            EventBody::Store(_) => "store",
            EventBody::ManifestOpen(_) => "manifest_open",
            EventBody::ManifestAmend(_) => "manifest_amend",
            EventBody::ManifestCancel(_) => "manifest_cancel",
            EventBody::Release(_) => "release",
            EventBody::Accept(_) => "accept",
            EventBody::Arrive(_) => "arrive",
            EventBody::Weigh(_) => "weigh",
            EventBody::Receive(_) => "receive",
            EventBody::Return(_) => "return",
            EventBody::Treat(_) => "treat",
            EventBody::Consolidate(_) => "consolidate",
            EventBody::Split(_) => "split",
            EventBody::Correction(_) => "correction",
            EventBody::Incident(_) => "incident",
            EventBody::Explanation(_) => "explanation",
            EventBody::Acknowledge(_) => "acknowledge",
        }
    }
}

/// A container filled at its generator: the server assigns its item code and signs its label.
/// A residue (fly ash, slag) is a `generate` whose `inputs` name the treated items it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Generate {
    pub waste_code: WasteCode,
    /// 废物名称, as printed on the label; defaults to the catalogue's description.
    pub waste_name: String,
    pub mass: Grams,
    pub form: PhysicalForm,
    pub hazards: HazardSet,
    pub packaging: String,
    pub container_volume_l: u32,
    /// 主要成分.
    pub components: String,
    /// 有害成分.
    pub harmful_components: String,
    /// 注意事项.
    pub precautions: String,
    pub storage_place: String,
    /// For residues: the treated items this one came from; empty for ordinary waste.
    pub inputs: Vec<ItemCode>,
}

/// Items moved within their holder's store.
#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    pub items: Vec<ItemCode>,
    pub storage_place: String,
}

/// A transfer manifest (转移联单) opened by the holder of the items for one vehicle trip. The
/// server assigns its number (SPEC §1.4).
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestOpen {
    /// In the order they carry the items; the first picks up from the holder.
    pub transporters: Vec<Uscc>,
    pub vehicle_plate: Plate,
    pub driver_licence: String,
    pub receiver: Uscc,
    pub items: Vec<ItemCode>,
    pub planned_date: NaiveDate,
    /// Cross-province approval number (转移管理办法 art. 21), when the receiver is in another
    /// province.
    pub approval: Option<String>,
}

/// A change to an open manifest before anything on it has left with a carrier.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestAmend {
    pub manifest: ManifestNo,
    pub transporters: Option<Vec<Uscc>>,
    pub vehicle_plate: Option<Plate>,
    pub driver_licence: Option<String>,
    pub planned_date: Option<NaiveDate>,
    pub add_items: Vec<ItemCode>,
    pub remove_items: Vec<ItemCode>,
    pub reason: String,
}

/// A manifest withdrawn before anything on it has left with a carrier.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestCancel {
    pub manifest: ManifestNo,
    pub reason: String,
}

/// The holder gives items to a named party under a manifest: the first half of a hand-over.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub items: Vec<ItemCode>,
    pub to: Uscc,
    pub manifest: ManifestNo,
}

/// A label as scanned at acceptance (SPEC §3): its item code and declared mass, and the 124
/// bytes whose signature the caller checks against the label keys.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedLabel {
    pub item: ItemCode,
    pub mass: Grams,
    pub bytes: Vec<u8>,
}

/// The named party takes the items it scanned: the second half of a hand-over.
#[derive(Debug, Clone, PartialEq)]
pub struct Accept {
    pub items: Vec<ItemCode>,
    pub manifest: ManifestNo,
    /// One per item, in the same order, when the device scanned the labels.
    pub scanned_labels: Option<Vec<ScannedLabel>>,
}

/// The last carrier declares the items at the receiver's gate: its release to the receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Arrive {
    pub items: Vec<ItemCode>,
    pub manifest: ManifestNo,
}

/// An item weighed on a scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Weigh {
    pub item: ItemCode,
    pub weighed_mass: Grams,
}

code_enum!(
    /// What the receiver decides at the gate.
    ReceiveDecision, "bad_decision", "receive decision", "接收决定", {
        Accept = "accept", "接收", "accept";
        Refuse = "refuse", "拒收", "refuse";
        Partial = "partial", "部分拒收", "partly refuse";
    }
);

/// The receiver's decision on an arrived, weighed item.
#[derive(Debug, Clone, PartialEq)]
pub struct Receive {
    pub item: ItemCode,
    pub decision: ReceiveDecision,
    pub accepted_mass: Grams,
    pub refused_mass: Grams,
    /// Required when anything is refused.
    pub reason: Option<String>,
}

/// A refused item leaves the receiver's gate for its generator under a return manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Return {
    pub items: Vec<ItemCode>,
    pub manifest: ManifestNo,
}

/// An item treated by the given method.
#[derive(Debug, Clone, PartialEq)]
pub struct Treat {
    pub item: ItemCode,
    pub method: TreatmentMethod,
    pub treated_mass: Grams,
    /// Landfill volume taken, in litres: required for landfill, refused otherwise.
    pub volume_l: Option<u32>,
}

/// Many items packed into one new container; the server assigns the new item code.
#[derive(Debug, Clone, PartialEq)]
pub struct Consolidate {
    pub inputs: Vec<ItemCode>,
    pub output: Generate,
}

/// One item divided into several new containers; the server assigns their item codes.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub input: ItemCode,
    pub outputs: Vec<Generate>,
}

code_enum!(
    /// The recorded facts of an item a co-signed correction may change.
    CorrectableField, "bad_correction_field", "correctable field", "可更正字段", {
        DeclaredMass = "declared_mass_g", "申报重量", "declared mass";
        WeighedMass = "weighed_mass_g", "称重重量", "weighed mass";
        AcceptedMass = "accepted_mass_g", "接收重量", "accepted mass";
        TreatedMass = "treated_mass_g", "处置重量", "treated mass";
        StoragePlace = "storage_place", "贮存地点", "storage place";
    }
);

/// The corrected value, typed by its field.
#[derive(Debug, Clone, PartialEq)]
pub enum CorrectionValue {
    Mass(Grams),
    Text(String),
}

/// A mistake fixed, never edited away: names the entry it corrects and is co-signed by the
/// parties concerned.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    /// Log index of the entry being corrected.
    pub corrects: u64,
    pub item: ItemCode,
    pub field: CorrectableField,
    pub new_value: CorrectionValue,
    pub reason: String,
    /// Every party that must have signed the envelope; includes the actor.
    pub signers: Vec<Uscc>,
}

code_enum!(
    /// What went wrong with an item.
    IncidentKind, "bad_incident_kind", "incident kind", "事故类型", {
        Loss = "loss", "丢失", "loss";
        Spill = "spill", "泄漏", "spill";
        Other = "other", "其他", "other";
    }
);

/// An incident: loss, spill or other, with the mass that is gone (0 when none).
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub item: ItemCode,
    pub kind: IncidentKind,
    pub lost_mass: Grams,
    pub description: String,
}

/// A regulator's acknowledgement of an alert, with its note.
#[derive(Debug, Clone, PartialEq)]
pub struct Acknowledge {
    /// The alert's number (`GET /api/v1/alerts`).
    pub alert: u64,
    pub note: String,
}

/// An answer to a discrepancy, naming the entry it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub item: ItemCode,
    pub about: u64,
    pub text: String,
}

#[derive(Deserialize)]
struct RawCommon {
    actor: String,
    device: String,
    at: String,
    nonce: String,
}

#[derive(Deserialize)]
struct RawGenerate {
    waste_code: String,
    mass_g: i64,
    form: String,
    hazards: Vec<String>,
    packaging: String,
    container_volume_l: i64,
    components: String,
    storage_place: String,
    #[serde(default)]
    waste_name: Option<String>,
    #[serde(default)]
    harmful_components: Option<String>,
    #[serde(default)]
    precautions: Option<String>,
    #[serde(default)]
    remarks: Option<String>,
    #[serde(default)]
    facility_code: Option<String>,
    #[serde(default)]
    inputs: Vec<String>,
}

/// The members of a generate body: a `generate` event, a consolidation's `output`, a split's
/// `outputs`. Only a `generate` event may add `inputs`.
const GENERATE_BODY_FIELDS: [&str; 13] = [
    "waste_code",
    "mass_g",
    "form",
    "hazards",
    "packaging",
    "container_volume_l",
    "components",
    "storage_place",
    "waste_name",
    "harmful_components",
    "precautions",
    "remarks",
    "facility_code",
];

#[derive(Deserialize)]
struct RawStore {
    items: Vec<String>,
    storage_place: String,
}

#[derive(Deserialize)]
struct RawManifestOpen {
    transporters: Vec<String>,
    vehicle_plate: String,
    driver_licence: String,
    receiver: String,
    items: Vec<String>,
    planned_date: String,
    #[serde(default)]
    approval: Option<String>,
    #[serde(default)]
    emergency_measures: Option<String>,
}

#[derive(Deserialize)]
struct RawManifestAmend {
    manifest: String,
    reason: String,
    #[serde(default)]
    transporters: Option<Vec<String>>,
    #[serde(default)]
    vehicle_plate: Option<String>,
    #[serde(default)]
    driver_licence: Option<String>,
    #[serde(default)]
    planned_date: Option<String>,
    #[serde(default)]
    add_items: Vec<String>,
    #[serde(default)]
    remove_items: Vec<String>,
}

#[derive(Deserialize)]
struct RawManifestCancel {
    manifest: String,
    reason: String,
}

#[derive(Deserialize)]
struct RawRelease {
    items: Vec<String>,
    to: String,
    manifest: String,
}

#[derive(Deserialize)]
struct RawAccept {
    items: Vec<String>,
    manifest: String,
    #[serde(default)]
    scanned_labels: Option<Vec<String>>,
    #[serde(default)]
    vehicle_plate: Option<String>,
    #[serde(default)]
    driver_licence: Option<String>,
    #[serde(default)]
    handover_place: Option<String>,
}

/// `arrive` and `return`: items under a manifest.
#[derive(Deserialize)]
struct RawItemsManifest {
    items: Vec<String>,
    manifest: String,
}

#[derive(Deserialize)]
struct RawWeigh {
    item: String,
    weighed_mass_g: i64,
}

#[derive(Deserialize)]
struct RawReceive {
    item: String,
    decision: String,
    accepted_mass_g: i64,
    refused_mass_g: i64,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize)]
struct RawTreat {
    item: String,
    method: String,
    treated_mass_g: i64,
    #[serde(default)]
    volume_l: Option<i64>,
}

#[derive(Deserialize)]
struct RawConsolidate {
    inputs: Vec<String>,
    output: Map<String, Value>,
}

#[derive(Deserialize)]
struct RawSplit {
    input: String,
    outputs: Vec<Map<String, Value>>,
}

#[derive(Deserialize)]
struct RawCorrection {
    corrects: u64,
    item: String,
    field: String,
    new_value: Value,
    reason: String,
    signers: Vec<String>,
}

#[derive(Deserialize)]
struct RawIncident {
    item: String,
    kind: String,
    lost_mass_g: i64,
    description: String,
}

#[derive(Deserialize)]
struct RawAcknowledge {
    alert: u64,
    note: String,
}

#[derive(Deserialize)]
struct RawExplanation {
    item: String,
    about: u64,
    text: String,
}

fn bad_json(detail: impl std::fmt::Display) -> Refusal {
    Refusal::invalid(
        "bad_event_json",
        format!("the event payload is not a JSON object: {detail}"),
        format!("事件内容不是JSON对象：{detail}"),
    )
}

/// The start of the message a duplicated member fails the parse with (see [`unique_members`]).
const DUPLICATE: &str = "duplicate member ";

/// A JSON value parsed with every object, at any depth (objects in arrays too), checked for a
/// member named twice. Plain JSON parsers keep the last one, or the first: two of them could
/// read two different events from the same signed bytes, so such a payload is refused.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Unique, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Unique, E> {
        Ok(Unique(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Unique, E> {
        Ok(Unique(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Unique, E> {
        Ok(Unique(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Unique, E> {
        Ok(Unique(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique(Value::Null))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        let mut out = Vec::new();
        while let Some(Unique(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Unique(Value::Array(out)))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("{DUPLICATE}{key:?}")));
            }
            let Unique(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Unique(Value::Object(out)))
    }
}

/// Parses the payload's JSON, refusing a member named twice in any object (`duplicate_member`).
fn unique_members(payload: &[u8]) -> Result<Value, Refusal> {
    match serde_json::from_slice::<Unique>(payload) {
        Ok(Unique(v)) => Ok(v),
        Err(e) if e.is_data() && e.to_string().starts_with(DUPLICATE) => {
            let detail = e.to_string();
            let name = detail[DUPLICATE.len()..].split(" at line").next().unwrap_or_default();
            Err(Refusal::invalid(
                "duplicate_member",
                format!("the event payload names member {name} twice in one object"),
                format!("事件内容在同一对象中重复给出成员{name}"),
            ))
        }
        Err(e) => Err(bad_json(e)),
    }
}

fn typed<T: DeserializeOwned>(obj: &Map<String, Value>) -> Result<T, Refusal> {
    serde_json::from_value(Value::Object(obj.clone())).map_err(|e| {
        Refusal::invalid(
            "bad_event_field",
            format!("an event field is missing or has the wrong type: {e}"),
            format!("事件字段缺失或类型错误：{e}"),
        )
    })
}

/// Refuses any member of `obj` that is neither in `common` nor in `own`.
fn check_members(obj: &Map<String, Value>, common: &[&str], own: &[&str]) -> Result<(), Refusal> {
    match obj
        .keys()
        .find(|k| !common.contains(&k.as_str()) && !own.contains(&k.as_str()))
    {
        Some(k) => Err(Refusal::invalid(
            "unknown_event_field",
            format!("the event has a field '{k}' that its type does not define"),
            format!("事件含有其类型未定义的字段“{k}”"),
        )),
        None => Ok(()),
    }
}

fn check_fields(obj: &Map<String, Value>, own: &[&str]) -> Result<(), Refusal> {
    check_members(obj, &COMMON_FIELDS, own)
}

fn parse_common(raw: RawCommon) -> Result<Common, Refusal> {
    let actor = Uscc::parse(&raw.actor).map_err(|r| r.in_field("actor"))?;
    let device = DeviceName::parse(&raw.device)?;
    let at = DateTime::parse_from_rfc3339(&raw.at).map_err(|_| {
        Refusal::invalid(
            "bad_event_time",
            format!(
                "at '{}' must be an RFC 3339 time with offset, e.g. 2026-11-28T09:30:00+08:00",
                raw.at
            ),
            format!("at“{}”应为带时区的RFC 3339时间，例如2026-11-28T09:30:00+08:00", raw.at),
        )
    })?;
    check_nonce(&raw.nonce)?;
    Ok(Common {
        actor,
        device,
        at,
        nonce: raw.nonce,
    })
}

/// A list of distinct item codes, `min` to [`MAX_ITEMS_PER_EVENT`] long.
fn item_list(field: &str, raw: &[String], min: usize) -> Result<Vec<ItemCode>, Refusal> {
    if raw.len() < min {
        return Err(Refusal::invalid(
            "no_items",
            format!("{field} must name at least {min} item(s)"),
            format!("{field}至少应列出{min}件废物"),
        ));
    }
    if raw.len() > MAX_ITEMS_PER_EVENT {
        return Err(Refusal::new(
            RefusalKind::Limit,
            "too_many_items",
            format!(
                "{field} names {} items; one event names at most {MAX_ITEMS_PER_EVENT}",
                raw.len()
            ),
            format!("{field}列出{}件废物，单个事件最多{MAX_ITEMS_PER_EVENT}件", raw.len()),
        ));
    }
    let mut out: Vec<ItemCode> = Vec::with_capacity(raw.len());
    for s in raw {
        let code = ItemCode::parse(s).map_err(|r| r.in_field(field))?;
        if out.contains(&code) {
            return Err(Refusal::invalid(
                "duplicate_item",
                format!("{field} names item {code} twice"),
                format!("{field}重复列出废物{code}"),
            ));
        }
        out.push(code);
    }
    Ok(out)
}

fn item(field: &str, raw: &str) -> Result<ItemCode, Refusal> {
    ItemCode::parse(raw).map_err(|r| r.in_field(field))
}

fn uscc(field: &str, raw: &str) -> Result<Uscc, Refusal> {
    Uscc::parse(raw).map_err(|r| r.in_field(field))
}

fn manifest_no(raw: &str) -> Result<ManifestNo, Refusal> {
    ManifestNo::parse(raw).map_err(|r| r.in_field("manifest"))
}

/// A mass that may be zero (a refused or lost part): 0 g to [`MAX_ITEM_MASS_G`].
fn mass_or_zero(field: &str, g: i64) -> Result<Grams, Refusal> {
    if g == 0 {
        return Ok(Grams(0));
    }
    Grams::item_mass(g).map_err(|_| {
        Refusal::invalid(
            "bad_mass",
            format!("{field} must be a whole number of grams from 0 to {MAX_ITEM_MASS_G}, got {g}"),
            format!("{field}应为0至{MAX_ITEM_MASS_G}之间的整数克数，实际为{g}"),
        )
    })
}

fn mass(field: &str, g: i64) -> Result<Grams, Refusal> {
    Grams::item_mass(g).map_err(|r| r.in_field(field))
}

fn date(field: &str, raw: &str) -> Result<NaiveDate, Refusal> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .filter(|_| raw.len() == 10)
        .ok_or_else(|| {
            Refusal::invalid(
                "bad_date",
                format!("{field} '{raw}' must be a date YYYY-MM-DD"),
                format!("{field}“{raw}”应为YYYY-MM-DD格式的日期"),
            )
        })
}

/// A distinct list of enterprises, 1 to `max` long.
fn uscc_list(field: &str, raw: &[String], max: usize) -> Result<Vec<Uscc>, Refusal> {
    if raw.is_empty() || raw.len() > max {
        return Err(Refusal::invalid(
            "bad_party_count",
            format!("{field} must name 1 to {max} enterprises"),
            format!("{field}应列出1至{max}家单位"),
        ));
    }
    let mut out: Vec<Uscc> = Vec::with_capacity(raw.len());
    for s in raw {
        let u = uscc(field, s)?;
        if out.contains(&u) {
            return Err(Refusal::invalid(
                "duplicate_party",
                format!("{field} names {u} twice"),
                format!("{field}重复列出{u}"),
            ));
        }
        out.push(u);
    }
    Ok(out)
}

/// A driving licence number (驾驶证号): 12 to 18 digits or capital letters (the national ID
/// number with its check character `X`, or an older licence number).
fn driver_licence(raw: &str) -> Result<String, Refusal> {
    let s = raw.trim().to_ascii_uppercase();
    let ok = (12..=18).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    if !ok {
        return Err(Refusal::invalid(
            "bad_driver_licence",
            format!("driver_licence '{raw}' must be 12-18 digits or capital letters"),
            format!("驾驶证号“{raw}”应为12-18位数字或大写字母"),
        ));
    }
    Ok(s)
}

fn reason(field: &str, raw: &str) -> Result<String, Refusal> {
    text::required(field, raw, MAX_REASON_CHARS)
}

fn parse_generate(raw: RawGenerate, catalogue: Option<&Catalogue>) -> Result<Generate, Refusal> {
    let waste_code = match catalogue {
        Some(catalogue) => WasteCode::parse(&raw.waste_code, catalogue)?,
        None => WasteCode::from_trusted_digits(waste_digits(&raw.waste_code)?),
    };
    let listed_name = catalogue.and_then(|c| c.get(waste_code)).map(|e| e.description.clone());
    let waste_name = match raw.waste_name {
        Some(n) => text::required("waste_name", &n, 100)?,
        None => listed_name.unwrap_or_else(|| waste_code.to_string()),
    };
    let volume = u32::try_from(raw.container_volume_l)
        .ok()
        .filter(|v| (1..=MAX_CONTAINER_VOLUME_L).contains(v))
        .ok_or_else(|| {
            Refusal::invalid(
                "bad_volume",
                format!("container_volume_l must be 1-{MAX_CONTAINER_VOLUME_L} litres"),
                format!("容器容积container_volume_l应为1-{MAX_CONTAINER_VOLUME_L}升"),
            )
        })?;
    // 备注 is printed on the label, the facility code (产生危险废物设施编码) in the HJ 1259
    // ledger, both from the logged payload; the custody rules do not use them.
    text::optional("remarks", raw.remarks.as_deref(), MAX_REMARKS_CHARS)?;
    text::optional("facility_code", raw.facility_code.as_deref(), MAX_FACILITY_CODE_CHARS)?;
    Ok(Generate {
        waste_code,
        waste_name,
        mass: Grams::item_mass(raw.mass_g)?,
        form: PhysicalForm::parse(&raw.form)?,
        hazards: HazardSet::parse(&raw.hazards)?,
        packaging: text::required("packaging", &raw.packaging, 50)?,
        container_volume_l: volume,
        components: text::required("components", &raw.components, 200)?,
        harmful_components: text::optional("harmful_components", raw.harmful_components.as_deref(), 200)?
            .unwrap_or_default(),
        precautions: text::optional("precautions", raw.precautions.as_deref(), 200)?.unwrap_or_default(),
        storage_place: text::required("storage_place", &raw.storage_place, 100)?,
        inputs: item_list("inputs", &raw.inputs, 0)?,
    })
}

/// A generate body nested in a `consolidate` or `split` (no common members, no `inputs`).
fn parse_body(field: &str, obj: &Map<String, Value>, catalogue: Option<&Catalogue>) -> Result<Generate, Refusal> {
    check_members(obj, &[], &GENERATE_BODY_FIELDS).map_err(|r| r.in_field(field))?;
    parse_generate(typed(obj)?, catalogue).map_err(|r| r.in_field(field))
}

fn parse_store(raw: RawStore) -> Result<Store, Refusal> {
    Ok(Store {
        items: item_list("items", &raw.items, 1)?,
        storage_place: text::required("storage_place", &raw.storage_place, 100)?,
    })
}

fn parse_manifest_open(raw: RawManifestOpen) -> Result<ManifestOpen, Refusal> {
    let transporters = uscc_list("transporters", &raw.transporters, MAX_TRANSPORTERS)?;
    let receiver = uscc("receiver", &raw.receiver)?;
    if transporters.contains(&receiver) {
        return Err(Refusal::invalid(
            "duplicate_party",
            "the receiver cannot also be one of the transporters",
            "接受人不能同时为承运人",
        ));
    }
    // 应急措施 is printed on the manifest from the logged payload; the rules do not use it.
    text::optional(
        "emergency_measures",
        raw.emergency_measures.as_deref(),
        MAX_REASON_CHARS,
    )?;
    Ok(ManifestOpen {
        transporters,
        vehicle_plate: Plate::parse(&raw.vehicle_plate)?,
        driver_licence: driver_licence(&raw.driver_licence)?,
        receiver,
        items: item_list("items", &raw.items, 1)?,
        planned_date: date("planned_date", &raw.planned_date)?,
        approval: text::optional("approval", raw.approval.as_deref(), MAX_APPROVAL_CHARS)?,
    })
}

fn parse_manifest_amend(raw: RawManifestAmend) -> Result<ManifestAmend, Refusal> {
    let amend = ManifestAmend {
        manifest: manifest_no(&raw.manifest)?,
        transporters: raw
            .transporters
            .map(|t| uscc_list("transporters", &t, MAX_TRANSPORTERS))
            .transpose()?,
        vehicle_plate: raw.vehicle_plate.as_deref().map(Plate::parse).transpose()?,
        driver_licence: raw.driver_licence.as_deref().map(driver_licence).transpose()?,
        planned_date: raw.planned_date.map(|d| date("planned_date", &d)).transpose()?,
        add_items: item_list("add_items", &raw.add_items, 0)?,
        remove_items: item_list("remove_items", &raw.remove_items, 0)?,
        reason: reason("reason", &raw.reason)?,
    };
    if let Some(code) = amend.add_items.iter().find(|c| amend.remove_items.contains(c)) {
        return Err(Refusal::invalid(
            "duplicate_item",
            format!("item {code} is both added and removed"),
            format!("废物{code}同时被添加和移除"),
        ));
    }
    let changes_nothing = amend.transporters.is_none()
        && amend.vehicle_plate.is_none()
        && amend.driver_licence.is_none()
        && amend.planned_date.is_none()
        && amend.add_items.is_empty()
        && amend.remove_items.is_empty();
    if changes_nothing {
        return Err(Refusal::invalid(
            "empty_amendment",
            "an amendment must change at least one of transporters, vehicle_plate, driver_licence, planned_date, add_items, remove_items",
            "变更应至少修改承运人、车牌、驾驶证号、计划日期、增加或移除废物之一",
        ));
    }
    Ok(amend)
}

fn parse_accept(raw: RawAccept) -> Result<Accept, Refusal> {
    let items = item_list("items", &raw.items, 1)?;
    let scanned_labels = match raw.scanned_labels {
        None => None,
        Some(labels) if labels.len() != items.len() => {
            return Err(Refusal::invalid(
                "label_mismatch",
                format!(
                    "scanned_labels has {} labels for {} items; give one per item, in order",
                    labels.len(),
                    items.len()
                ),
                format!(
                    "scanned_labels含{}个标签，而废物有{}件，应逐件按序给出",
                    labels.len(),
                    items.len()
                ),
            ))
        }
        Some(labels) => Some(
            labels
                .iter()
                .zip(&items)
                .map(|(text, code)| scanned_label(text, code))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    // The accepting carrier's vehicle, driver and hand-over place are printed on the manifest
    // (its leg of a relay, 转移管理办法 art. 17) from the logged payload; checked for form here,
    // not used by the rules.
    raw.vehicle_plate.as_deref().map(Plate::parse).transpose()?;
    raw.driver_licence.as_deref().map(driver_licence).transpose()?;
    text::optional("handover_place", raw.handover_place.as_deref(), MAX_PLACE_CHARS)?;
    Ok(Accept {
        items,
        manifest: manifest_no(&raw.manifest)?,
        scanned_labels,
    })
}

/// Decodes a scanned label (b32 of its 124 bytes, or the whole QR text) and checks that it is
/// the label of `code`. Its signature is checked by the caller, which holds the label keys.
fn scanned_label(text: &str, code: &ItemCode) -> Result<ScannedLabel, Refusal> {
    use crate::crypto::label::{label_bytes, parse_qr_text};
    let (payload, sig) = parse_qr_text(text).map_err(|e| {
        Refusal::invalid(
            "bad_label",
            format!("a scanned label does not decode: {e}"),
            format!("扫描的标签无法解码：{e}"),
        )
    })?;
    if payload.item_code_str() != code.as_str() {
        return Err(Refusal::invalid(
            "label_mismatch",
            format!(
                "the label scanned for item {code} belongs to item {}",
                payload.item_code_str()
            ),
            format!("为废物{code}扫描的标签属于废物{}", payload.item_code_str()),
        ));
    }
    Ok(ScannedLabel {
        item: code.clone(),
        mass: Grams(payload.mass_g),
        bytes: label_bytes(&payload, &sig).to_vec(),
    })
}

fn parse_items_manifest(raw: RawItemsManifest) -> Result<(Vec<ItemCode>, ManifestNo), Refusal> {
    Ok((item_list("items", &raw.items, 1)?, manifest_no(&raw.manifest)?))
}

fn parse_receive(raw: RawReceive) -> Result<Receive, Refusal> {
    let decision = ReceiveDecision::parse(&raw.decision)?;
    let accepted = mass_or_zero("accepted_mass_g", raw.accepted_mass_g)?;
    let refused = mass_or_zero("refused_mass_g", raw.refused_mass_g)?;
    let consistent = match decision {
        ReceiveDecision::Accept => accepted.0 > 0 && refused.0 == 0,
        ReceiveDecision::Refuse => accepted.0 == 0 && refused.0 > 0,
        ReceiveDecision::Partial => accepted.0 > 0 && refused.0 > 0,
    };
    if !consistent {
        return Err(Refusal::invalid(
            "bad_receive_masses",
            format!("decision {decision} needs accepted_mass_g and refused_mass_g of: accept > 0 and 0; refuse 0 and > 0; partial both > 0"),
            format!("决定{decision}要求接收与拒收重量为：接收>0与0；拒收0与>0；部分拒收均>0"),
        ));
    }
    let reason = match decision {
        ReceiveDecision::Accept => text::optional("reason", raw.reason.as_deref(), MAX_REASON_CHARS)?,
        _ => Some(reason("reason", raw.reason.as_deref().unwrap_or(""))?),
    };
    Ok(Receive {
        item: item("item", &raw.item)?,
        decision,
        accepted_mass: accepted,
        refused_mass: refused,
        reason,
    })
}

fn parse_treat(raw: RawTreat) -> Result<Treat, Refusal> {
    let method = TreatmentMethod::parse(&raw.method)?;
    let volume_l = match (method, raw.volume_l) {
        (TreatmentMethod::Landfill, Some(v)) => Some(
            u32::try_from(v)
                .ok()
                .filter(|v| (1..=MAX_LANDFILL_VOLUME_L).contains(v))
                .ok_or_else(|| {
                    Refusal::invalid(
                        "bad_volume",
                        format!("volume_l must be 1-{MAX_LANDFILL_VOLUME_L} litres"),
                        format!("填埋体积volume_l应为1-{MAX_LANDFILL_VOLUME_L}升"),
                    )
                })?,
        ),
        (TreatmentMethod::Landfill, None) => {
            return Err(Refusal::invalid(
                "bad_volume",
                "landfill needs volume_l, the landfill volume taken in litres",
                "安全填埋须填写占用的填埋体积volume_l（升）",
            ))
        }
        (_, Some(_)) => {
            return Err(Refusal::invalid(
                "bad_volume",
                "volume_l is recorded for landfill only",
                "仅安全填埋需填写体积volume_l",
            ))
        }
        (_, None) => None,
    };
    Ok(Treat {
        item: item("item", &raw.item)?,
        method,
        treated_mass: mass("treated_mass_g", raw.treated_mass_g)?,
        volume_l,
    })
}

fn parse_consolidate(raw: RawConsolidate, catalogue: Option<&Catalogue>) -> Result<Consolidate, Refusal> {
    Ok(Consolidate {
        inputs: item_list("inputs", &raw.inputs, 2)?,
        output: parse_body("output", &raw.output, catalogue)?,
    })
}

fn parse_split(raw: RawSplit, catalogue: Option<&Catalogue>) -> Result<Split, Refusal> {
    if !(2..=MAX_SPLIT_OUTPUTS).contains(&raw.outputs.len()) {
        return Err(Refusal::invalid(
            "bad_output_count",
            format!("a split produces 2 to {MAX_SPLIT_OUTPUTS} outputs"),
            format!("分装应产生2至{MAX_SPLIT_OUTPUTS}件新废物"),
        ));
    }
    Ok(Split {
        input: item("input", &raw.input)?,
        outputs: raw
            .outputs
            .iter()
            .map(|o| parse_body("outputs", o, catalogue))
            .collect::<Result<_, _>>()?,
    })
}

fn parse_correction(raw: RawCorrection, actor: &Uscc) -> Result<Correction, Refusal> {
    let field = CorrectableField::parse(&raw.field)?;
    let new_value = match (field, &raw.new_value) {
        (CorrectableField::StoragePlace, Value::String(s)) => {
            CorrectionValue::Text(text::required("new_value", s, 100)?)
        }
        (CorrectableField::StoragePlace, _) => return Err(bad_new_value(field, "a string")),
        (_, Value::Number(n)) => CorrectionValue::Mass(mass(
            "new_value",
            n.as_i64().ok_or_else(|| bad_new_value(field, "grams"))?,
        )?),
        _ => return Err(bad_new_value(field, "a whole number of grams")),
    };
    let signers = uscc_list("signers", &raw.signers, MAX_SIGNERS)?;
    if !signers.contains(actor) {
        return Err(Refusal::invalid(
            "bad_signers",
            "signers must include the actor",
            "signers应包含事件发起单位",
        ));
    }
    Ok(Correction {
        corrects: raw.corrects,
        item: item("item", &raw.item)?,
        field,
        new_value,
        reason: reason("reason", &raw.reason)?,
        signers,
    })
}

fn bad_new_value(field: CorrectableField, what: &str) -> Refusal {
    Refusal::invalid(
        "bad_event_field",
        format!("new_value for {field} must be {what}"),
        format!("{field}的new_value类型错误，应为{what}"),
    )
}

fn parse_incident(raw: RawIncident) -> Result<Incident, Refusal> {
    let kind = IncidentKind::parse(&raw.kind)?;
    let lost_mass = mass_or_zero("lost_mass_g", raw.lost_mass_g)?;
    if kind == IncidentKind::Loss && lost_mass.0 == 0 {
        return Err(Refusal::invalid(
            "bad_mass",
            "a loss names the mass lost: lost_mass_g must be at least 1 g",
            "丢失事故应填写丢失重量，lost_mass_g至少为1克",
        ));
    }
    Ok(Incident {
        item: item("item", &raw.item)?,
        kind,
        lost_mass,
        description: reason("description", &raw.description)?,
    })
}

fn parse_explanation(raw: RawExplanation) -> Result<Explanation, Refusal> {
    Ok(Explanation {
        item: item("item", &raw.item)?,
        about: raw.about,
        text: reason("text", &raw.text)?,
    })
}

/// The members each type adds to the common ones.
/// The members a payload of type `kind` may carry besides the common ones (`type`, `actor`,
/// `device`, `at`, `nonce`): what the parser accepts, for the API description.
pub fn members(kind: &str) -> Option<&'static [&'static str]> {
    own_fields(kind)
}

/// The members of a container's description inside `consolidate` (`output`) and `split`
/// (`outputs`).
pub fn generate_body_members() -> &'static [&'static str] {
    &GENERATE_BODY_FIELDS
}

/// The members every payload carries.
pub fn common_members() -> &'static [&'static str] {
    &COMMON_FIELDS
}

fn own_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "generate" => &[
            "waste_code",
            "mass_g",
            "form",
            "hazards",
            "packaging",
            "container_volume_l",
            "components",
            "storage_place",
            "waste_name",
            "harmful_components",
            "precautions",
            "remarks",
            "facility_code",
            "inputs",
        ],
        "store" => &["items", "storage_place"],
        "manifest_open" => &[
            "transporters",
            "vehicle_plate",
            "driver_licence",
            "receiver",
            "items",
            "planned_date",
            "approval",
            "emergency_measures",
        ],
        "manifest_amend" => &[
            "manifest",
            "reason",
            "transporters",
            "vehicle_plate",
            "driver_licence",
            "planned_date",
            "add_items",
            "remove_items",
        ],
        "manifest_cancel" => &["manifest", "reason"],
        "release" => &["items", "to", "manifest"],
        "accept" => &[
            "items",
            "manifest",
            "scanned_labels",
            "vehicle_plate",
            "driver_licence",
            "handover_place",
        ],
        "arrive" | "return" => &["items", "manifest"],
        "weigh" => &["item", "weighed_mass_g"],
        "receive" => &["item", "decision", "accepted_mass_g", "refused_mass_g", "reason"],
        "treat" => &["item", "method", "treated_mass_g", "volume_l"],
        "consolidate" => &["inputs", "output"],
        "split" => &["input", "outputs"],
        "correction" => &["corrects", "item", "field", "new_value", "reason", "signers"],
        "incident" => &["item", "kind", "lost_mass_g", "description"],
        "explanation" => &["item", "about", "text"],
        "acknowledge" => &["alert", "note"],
        _ => return None,
    })
}

fn parse_body_of(
    kind: &str,
    obj: &Map<String, Value>,
    actor: &Uscc,
    catalogue: Option<&Catalogue>,
) -> Result<EventBody, Refusal> {
    Ok(match kind {
        "generate" => EventBody::Generate(parse_generate(typed(obj)?, catalogue)?),
        "store" => EventBody::Store(parse_store(typed(obj)?)?),
        "manifest_open" => EventBody::ManifestOpen(parse_manifest_open(typed(obj)?)?),
        "manifest_amend" => EventBody::ManifestAmend(parse_manifest_amend(typed(obj)?)?),
        "manifest_cancel" => {
            let raw: RawManifestCancel = typed(obj)?;
            EventBody::ManifestCancel(ManifestCancel {
                manifest: manifest_no(&raw.manifest)?,
                reason: reason("reason", &raw.reason)?,
            })
        }
        "release" => {
            let raw: RawRelease = typed(obj)?;
            EventBody::Release(Release {
                items: item_list("items", &raw.items, 1)?,
                to: uscc("to", &raw.to)?,
                manifest: manifest_no(&raw.manifest)?,
            })
        }
        "accept" => EventBody::Accept(parse_accept(typed(obj)?)?),
        "arrive" => {
            let (items, manifest) = parse_items_manifest(typed(obj)?)?;
            EventBody::Arrive(Arrive { items, manifest })
        }
        "weigh" => {
            let raw: RawWeigh = typed(obj)?;
            EventBody::Weigh(Weigh {
                item: item("item", &raw.item)?,
                weighed_mass: mass("weighed_mass_g", raw.weighed_mass_g)?,
            })
        }
        "receive" => EventBody::Receive(parse_receive(typed(obj)?)?),
        "return" => {
            let (items, manifest) = parse_items_manifest(typed(obj)?)?;
            EventBody::Return(Return { items, manifest })
        }
        "treat" => EventBody::Treat(parse_treat(typed(obj)?)?),
        "consolidate" => EventBody::Consolidate(parse_consolidate(typed(obj)?, catalogue)?),
        "split" => EventBody::Split(parse_split(typed(obj)?, catalogue)?),
        "correction" => EventBody::Correction(parse_correction(typed(obj)?, actor)?),
        "incident" => EventBody::Incident(parse_incident(typed(obj)?)?),
        "acknowledge" => {
            let raw: RawAcknowledge = typed(obj)?;
            EventBody::Acknowledge(Acknowledge {
                alert: raw.alert,
                note: reason("note", &raw.note)?,
            })
        }
        _ => EventBody::Explanation(parse_explanation(typed(obj)?)?),
    })
}

/// Who may sign an event's envelope: the device the event names, and for a `correction` besides
/// one device of each other enterprise its `signers` name. `key_names` are the SPEC §2 names
/// (`<USCC>/<device>`) of the keys whose signatures verified. A signature by anyone else, or a
/// second one by the same party, is refused (`unexpected_signature`): what the envelope says
/// was agreed must be agreed by exactly the parties the event names. Whether the named device
/// signed at all is the caller's check (`signer_mismatch`); whether every co-signer did is
/// the custody rules' (`missing_cosignature`).
pub fn check_signers<'n>(event: &Event, key_names: impl IntoIterator<Item = &'n str>) -> Result<(), Refusal> {
    let actor = &event.common.actor;
    let own = event.common.device.key_name(actor);
    let cosigners: &[Uscc] = match &event.body {
        EventBody::Correction(c) => &c.signers,
        _ => &[],
    };
    let mut seen: Vec<&str> = Vec::new();
    for name in key_names {
        let owner = name.split('/').next().unwrap_or_default();
        let named = name == own || (owner != actor.as_str() && cosigners.iter().any(|u| u.as_str() == owner));
        if !named || seen.contains(&owner) {
            let (en, zh) = if named {
                (
                    format!("{owner} signs the envelope twice; each party signs once"),
                    format!("{owner}对信封签名两次，每方只能签名一次"),
                )
            } else if cosigners.is_empty() {
                (
                    format!(
                        "the envelope carries a signature by {name}; a {} is signed by {own} alone",
                        event.body.type_name()
                    ),
                    format!("信封含有{name}的签名，{}事件只能由{own}签名", event.body.type_name()),
                )
            } else {
                (
                    format!("the envelope carries a signature by {name}, which is not the actor's named device nor a device of a party the correction names in signers"),
                    format!("信封含有{name}的签名，其既非事件声明的设备，也不属于更正所列签署方"),
                )
            };
            return Err(Refusal::forbidden("unexpected_signature", en, zh));
        }
        seen.push(owner);
    }
    Ok(())
}

/// Parses a signed payload. `catalogue` checks waste codes.
pub fn parse_event(payload: &[u8], catalogue: &Catalogue) -> Result<Event, Refusal> {
    parse_with(payload, Some(catalogue))
}

/// Parses a payload that the log holds, as an auditor does: exactly as [`parse_event`] but
/// without the waste catalogue (a well-formed waste code is taken as it is), so an old log can
/// be checked after the catalogue changed; whether a code was listed was the service's check
/// at the time.
pub fn parse_logged_event(payload: &[u8]) -> Result<Event, Refusal> {
    parse_with(payload, None)
}

fn parse_with(payload: &[u8], catalogue: Option<&Catalogue>) -> Result<Event, Refusal> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(Refusal::invalid(
            "event_too_large",
            format!("an event payload is at most {MAX_PAYLOAD_BYTES} bytes"),
            format!("事件内容不能超过{MAX_PAYLOAD_BYTES}字节"),
        ));
    }
    let value = unique_members(payload)?;
    let Value::Object(obj) = value else {
        return Err(bad_json("not an object"));
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let common = parse_common(typed::<RawCommon>(&obj)?)?;
    let own = own_fields(&kind).ok_or_else(|| {
        Refusal::invalid(
            "unknown_event_type",
            format!("unknown event type '{kind}'"),
            format!("未知的事件类型“{kind}”"),
        )
    })?;
    check_fields(&obj, own)?;
    let body = parse_body_of(&kind, &obj, &common.actor, catalogue)?;
    Ok(Event { common, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CatalogueEntry;
    use proptest::prelude::*;
    use serde_json::json;

    fn catalogue() -> Catalogue {
        let code = WasteCode::from_trusted_digits(waste_digits("900-249-08").unwrap());
        Catalogue::new(
            "2021",
            vec![CatalogueEntry {
                code,
                category: "HW08".into(),
                category_name: "废矿物油与含矿物油废物".into(),
                industry: "非特定行业".into(),
                description: "其他生产、销售、使用过程中产生的废矿物油".into(),
                hazard: "T,I".into(),
            }],
        )
    }

    fn generate() -> Value {
        json!({
            "type": "generate", "actor": "91500110MA5U8F4X2N", "device": "phone-1",
            "at": "2026-11-28T09:30:00+08:00", "nonce": "0000000000000001",
            "waste_code": "900-249-08", "mass_g": 185500, "form": "liquid", "hazards": ["T", "I"],
            "packaging": "200L钢桶", "container_volume_l": 200, "components": "矿物油",
            "storage_place": "危废暂存间A"
        })
    }

    fn parse(v: &Value) -> Result<Event, Refusal> {
        parse_event(v.to_string().as_bytes(), &catalogue())
    }

    #[test]
    fn a_generate_event_parses() {
        let e = parse(&generate()).unwrap();
        assert_eq!(e.common.actor.as_str(), "91500110MA5U8F4X2N");
        let EventBody::Generate(g) = e.body else {
            panic!("not a generate")
        };
        assert_eq!(g.mass, Grams(185_500));
        assert_eq!(g.hazards.bits(), 0x05);
        assert_eq!(g.form.number(), 3);
        assert_eq!(g.waste_name, "其他生产、销售、使用过程中产生的废矿物油");
    }

    #[test]
    fn each_mistake_has_its_code() {
        let with = |k: &str, v: Value| {
            let mut g = generate();
            g[k] = v;
            g
        };
        let cases = [
            (with("type", json!("teleport")), "unknown_event_type"),
            (with("colour", json!("red")), "unknown_event_field"),
            (with("mass_g", json!("heavy")), "bad_event_field"),
            (with("mass_g", json!(0)), "bad_mass"),
            (with("waste_code", json!("900-248-08")), "unknown_waste_code"),
            (with("actor", json!("91500110MA5U8F4X2A")), "bad_uscc_check"),
            (with("at", json!("yesterday")), "bad_event_time"),
            (with("nonce", json!("")), "bad_nonce"),
            (with("hazards", json!(["X"])), "bad_hazard"),
            (with("form", json!("plasma")), "bad_form"),
            (with("container_volume_l", json!(0)), "bad_volume"),
            (with("packaging", json!(" ")), "missing_field"),
            (with("device", json!("a/b")), "bad_device_name"),
        ];
        for (v, code) in cases {
            assert_eq!(parse(&v).unwrap_err().code, code, "{v}");
        }
        assert_eq!(parse_event(b"[1]", &catalogue()).unwrap_err().code, "bad_event_json");
        assert_eq!(parse_event(b"{", &catalogue()).unwrap_err().code, "bad_event_json");
    }

    /// The members the printed label and manifest read from the logged payload: optional, so
    /// payloads without them stay valid; checked for form when given.
    #[test]
    fn printed_only_members_are_optional_and_checked() {
        let mut g = generate();
        g["remarks"] = json!("桶身轻微锈蚀，已套外包装");
        assert!(parse(&g).is_ok());
        g["remarks"] = json!("备".repeat(MAX_REMARKS_CHARS + 1));
        assert_eq!(parse(&g).unwrap_err().code, "field_too_long");
        g["remarks"] = json!("");
        g["facility_code"] = json!("MF0012");
        assert!(parse(&g).is_ok());
        g["facility_code"] = json!("M".repeat(MAX_FACILITY_CODE_CHARS + 1));
        assert_eq!(parse(&g).unwrap_err().code, "field_too_long");
        let accept = |extra: Value| {
            let mut v = json!({"type": "accept", "actor": "91500110MA5UW0002G", "device": "driver-2",
                "at": "2026-11-30T11:00:00+08:00", "nonce": "n-1",
                "items": ["91500110MA5U8F4X2N9002490820261128001"], "manifest": "20265001000042"});
            for (k, x) in extra.as_object().unwrap() {
                v[k] = x.clone();
            }
            parse(&v)
        };
        assert!(accept(json!({})).is_ok());
        assert!(accept(
            json!({"vehicle_plate": "渝D67890", "driver_licence": "500110198202021234",
            "handover_place": "万盛危废转运站"})
        )
        .is_ok());
        assert_eq!(accept(json!({"vehicle_plate": "XYZ"})).unwrap_err().code, "bad_plate");
        assert_eq!(
            accept(json!({"driver_licence": "12"})).unwrap_err().code,
            "bad_driver_licence"
        );
        assert_eq!(
            accept(json!({"handover_place": "站\u{7}台"})).unwrap_err().code,
            "bad_text"
        );
    }

    const G: &str = "91500110MA5U8F4X2N";
    const T: &str = "91500110MA6TRN031U";
    const F: &str = "91500110MA60YNXH0F";
    const ITEM: &str = "91500110MA5U8F4X2N9002490820261128001";
    const ITEM2: &str = "91500110MA5U8F4X2N9002490820261128002";
    const MANIFEST: &str = "20265001000042";

    /// A payload of `kind` signed by `actor` with `fields`.
    fn event(kind: &str, actor: &str, fields: Value) -> Value {
        let mut v = json!({
            "type": kind, "actor": actor, "device": "phone-1",
            "at": "2026-11-29T10:00:00+08:00", "nonce": "n-1"
        });
        v.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        v
    }

    fn body() -> Value {
        let mut g = generate();
        for k in COMMON_FIELDS {
            g.as_object_mut().unwrap().remove(k);
        }
        g
    }

    /// One valid payload of every type.
    fn examples() -> Vec<Value> {
        vec![
            generate(),
            event("generate", G, {
                let mut b = body();
                b["inputs"] = json!([ITEM]);
                b
            }),
            event("store", G, json!({"items": [ITEM], "storage_place": "危废暂存间B"})),
            event(
                "manifest_open",
                G,
                json!({
                    "transporters": [T], "vehicle_plate": "渝D12345", "driver_licence": "500110198001011234",
                    "receiver": F, "items": [ITEM, ITEM2], "planned_date": "2026-11-30"
                }),
            ),
            event(
                "manifest_amend",
                G,
                json!({"manifest": MANIFEST, "remove_items": [ITEM2], "reason": "未装车"}),
            ),
            event(
                "manifest_cancel",
                G,
                json!({"manifest": MANIFEST, "reason": "车辆故障"}),
            ),
            event("release", G, json!({"items": [ITEM], "to": T, "manifest": MANIFEST})),
            event("accept", T, json!({"items": [ITEM], "manifest": MANIFEST})),
            event("arrive", T, json!({"items": [ITEM], "manifest": MANIFEST})),
            event("weigh", F, json!({"item": ITEM, "weighed_mass_g": 185000})),
            event(
                "receive",
                F,
                json!({"item": ITEM, "decision": "accept", "accepted_mass_g": 185000, "refused_mass_g": 0}),
            ),
            event("return", T, json!({"items": [ITEM], "manifest": MANIFEST})),
            event(
                "treat",
                F,
                json!({"item": ITEM, "method": "incineration", "treated_mass_g": 185000}),
            ),
            event("consolidate", G, json!({"inputs": [ITEM, ITEM2], "output": body()})),
            event("split", G, json!({"input": ITEM, "outputs": [body(), body()]})),
            event(
                "correction",
                F,
                json!({
                    "corrects": 7, "item": ITEM, "field": "declared_mass_g", "new_value": 180000,
                    "reason": "申报时误填", "signers": [F, G]
                }),
            ),
            event(
                "incident",
                T,
                json!({"item": ITEM, "kind": "spill", "lost_mass_g": 500, "description": "装车时少量泄漏"}),
            ),
            event("explanation", G, json!({"item": ITEM, "about": 9, "text": "称重误差"})),
            event("acknowledge", G, json!({"alert": 3, "note": "已通知产生单位核实"})),
        ]
    }

    #[test]
    fn every_type_parses_and_names_itself() {
        let mut seen = Vec::new();
        for v in examples() {
            let e = parse(&v).unwrap_or_else(|r| panic!("{v}: {r}"));
            assert_eq!(e.body.type_name(), v["type"].as_str().unwrap());
            seen.push(e.body.type_name());
        }
        seen.dedup();
        assert_eq!(seen, EVENT_TYPES);
    }

    #[test]
    fn every_type_refuses_unknown_fields() {
        for mut v in examples() {
            v["colour"] = json!("red");
            assert_eq!(parse(&v).unwrap_err().code, "unknown_event_field", "{v}");
        }
        let mut c = examples()[13].clone();
        c["output"]["inputs"] = json!([ITEM]);
        assert_eq!(parse(&c).unwrap_err().code, "unknown_event_field");
        c["output"] = json!({"type": "generate"});
        assert_eq!(parse(&c).unwrap_err().code, "unknown_event_field");
    }

    #[test]
    fn typed_fields_come_out_right() {
        let ex = examples();
        let EventBody::ManifestOpen(m) = parse(&ex[3]).unwrap().body else {
            panic!()
        };
        assert_eq!(m.transporters[0].as_str(), T);
        assert_eq!(m.vehicle_plate.as_str(), "渝D12345");
        assert_eq!(m.planned_date.to_string(), "2026-11-30");
        assert_eq!((m.items.len(), m.approval), (2, None));
        let EventBody::Generate(r) = parse(&ex[1]).unwrap().body else {
            panic!()
        };
        assert_eq!(r.inputs[0].as_str(), ITEM);
        let EventBody::Correction(c) = parse(&ex[15]).unwrap().body else {
            panic!()
        };
        assert_eq!(
            (c.field, c.new_value, c.corrects),
            (CorrectableField::DeclaredMass, CorrectionValue::Mass(Grams(180_000)), 7)
        );
        let EventBody::Split(s) = parse(&ex[14]).unwrap().body else {
            panic!()
        };
        assert_eq!(s.outputs.len(), 2);
        let EventBody::Incident(i) = parse(&ex[16]).unwrap().body else {
            panic!()
        };
        assert_eq!((i.kind, i.lost_mass), (IncidentKind::Spill, Grams(500)));
    }

    fn label_text(code: &str, mass_g: u64) -> String {
        use crate::crypto::label::{qr_text, LabelPayload};
        let key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let p = LabelPayload::new(crate::crypto::keys::KeyId([1, 2, 3, 4]), code, mass_g, 5, 3, 0).unwrap();
        let text = qr_text("https://hw.example.cn", &p, &p.sign(&key));
        text.rsplit('/').next().unwrap().to_owned()
    }

    #[test]
    fn scanned_labels_must_be_the_items_labels() {
        let mut v = examples()[7].clone();
        v["scanned_labels"] = json!([label_text(ITEM, 185_500)]);
        let EventBody::Accept(a) = parse(&v).unwrap().body else {
            panic!()
        };
        let l = &a.scanned_labels.unwrap()[0];
        assert_eq!((l.item.as_str(), l.mass, l.bytes.len()), (ITEM, Grams(185_500), 124));
        v["scanned_labels"] = json!([label_text(ITEM2, 185_500)]);
        assert_eq!(parse(&v).unwrap_err().code, "label_mismatch");
        v["scanned_labels"] = json!([]);
        assert_eq!(parse(&v).unwrap_err().code, "label_mismatch");
        v["scanned_labels"] = json!(["NOTALABEL"]);
        assert_eq!(parse(&v).unwrap_err().code, "bad_label");
    }

    #[test]
    fn each_new_field_mistake_has_its_code() {
        let ex = examples();
        let with = |i: usize, k: &str, val: Value| {
            let mut v = ex[i].clone();
            v[k] = val;
            v
        };
        let many: Vec<String> = (1..=101)
            .map(|n| format!("91500110MA5U8F4X2N90024908202611{:05}", n))
            .collect();
        let cases = [
            (with(2, "items", json!([])), "no_items"),
            (with(2, "items", json!(many)), "too_many_items"),
            (with(2, "items", json!([ITEM, ITEM])), "duplicate_item"),
            (with(2, "items", json!(["X"])), "bad_item_code"),
            (with(1, "inputs", json!(["X"])), "bad_item_code"),
            (with(3, "transporters", json!([])), "bad_party_count"),
            (with(3, "transporters", json!([T, T])), "duplicate_party"),
            (with(3, "transporters", json!([F])), "duplicate_party"),
            (with(3, "receiver", json!("91500110MA60YNXH0A")), "bad_uscc_check"),
            (with(3, "vehicle_plate", json!("A12345")), "bad_plate"),
            (with(3, "driver_licence", json!("12")), "bad_driver_licence"),
            (with(3, "planned_date", json!("2026-13-01")), "bad_date"),
            (with(3, "approval", json!("x".repeat(51))), "field_too_long"),
            (with(4, "remove_items", json!([])), "empty_amendment"),
            (with(4, "add_items", json!([ITEM2])), "duplicate_item"),
            (with(4, "manifest", json!("123")), "bad_manifest_no"),
            (with(5, "reason", json!(" ")), "missing_field"),
            (with(6, "to", json!("nobody")), "bad_uscc_length"),
            (with(9, "weighed_mass_g", json!(0)), "bad_mass"),
            (with(10, "decision", json!("maybe")), "bad_decision"),
            (with(10, "refused_mass_g", json!(5)), "bad_receive_masses"),
            (with(10, "accepted_mass_g", json!(-1)), "bad_mass"),
            (with(12, "method", json!("burying")), "bad_treatment_method"),
            (with(12, "volume_l", json!(3)), "bad_volume"),
            (with(13, "inputs", json!([ITEM])), "no_items"),
            (with(14, "outputs", json!([body()])), "bad_output_count"),
            (with(15, "field", json!("colour")), "bad_correction_field"),
            (with(15, "new_value", json!("heavy")), "bad_event_field"),
            (with(15, "signers", json!([G])), "bad_signers"),
            (with(15, "corrects", json!(-1)), "bad_event_field"),
            (with(16, "kind", json!("theft")), "bad_incident_kind"),
            (with(16, "lost_mass_g", json!(-3)), "bad_mass"),
            (with(17, "text", json!("")), "missing_field"),
        ];
        for (v, code) in cases {
            assert_eq!(parse(&v).unwrap_err().code, code, "{v}");
        }
        let mut refuse = with(10, "decision", json!("refuse"));
        refuse["accepted_mass_g"] = json!(0);
        refuse["refused_mass_g"] = json!(185000);
        assert_eq!(
            parse(&refuse).unwrap_err().code,
            "missing_field",
            "a refusal gives its reason"
        );
        refuse["reason"] = json!("包装破损");
        assert!(parse(&refuse).is_ok());
        let mut landfill = with(12, "method", json!("landfill"));
        assert_eq!(parse(&landfill).unwrap_err().code, "bad_volume");
        landfill["volume_l"] = json!(150);
        let EventBody::Treat(t) = parse(&landfill).unwrap().body else {
            panic!()
        };
        assert_eq!(t.volume_l, Some(150));
        let mut loss = with(16, "kind", json!("loss"));
        loss["lost_mass_g"] = json!(0);
        assert_eq!(parse(&loss).unwrap_err().code, "bad_mass");
    }

    #[test]
    fn only_the_parties_an_event_names_sign_it() {
        let ex = examples();
        let name = |owner: &str, device: &str| format!("{owner}/{device}");
        let (g, g2, t, f, f2) = (
            name(G, "phone-1"),
            name(G, "phone-2"),
            name(T, "driver-1"),
            name(F, "phone-1"),
            name(F, "gate-2"),
        );
        let store = parse(&ex[2]).unwrap();
        assert!(check_signers(&store, [g.as_str()]).is_ok());
        for extra in [&t, &g2] {
            let r = check_signers(&store, [g.as_str(), extra.as_str()]).unwrap_err();
            assert_eq!(r.code, "unexpected_signature", "{extra}: {r}");
        }
        // A correction by F naming F and G as signers.
        let c = parse(&ex[15]).unwrap();
        assert!(check_signers(&c, [f.as_str(), g.as_str()]).is_ok());
        assert!(
            check_signers(&c, [g2.as_str(), f.as_str()]).is_ok(),
            "any device of a co-signer"
        );
        for extra in [&t, &g2, &f2] {
            let r = check_signers(&c, [f.as_str(), g.as_str(), extra.as_str()]).unwrap_err();
            assert_eq!(r.code, "unexpected_signature", "{extra}: {r}");
        }
        assert_eq!(
            check_signers(&c, [f2.as_str(), g.as_str()]).unwrap_err().code,
            "unexpected_signature",
            "the actor signs with the device the event names"
        );
    }

    /// Compact JSON text of `v` in which the `nth` object met (depth first, objects inside
    /// arrays included) names its first member twice, the second time with `again`; `None`
    /// when `v` has fewer objects.
    fn with_duplicate(v: &Value, nth: usize, again: &Value) -> Option<String> {
        fn write(v: &Value, nth: usize, again: &Value, seen: &mut usize, out: &mut String) -> bool {
            match v {
                Value::Object(m) => {
                    let me = *seen;
                    *seen += 1;
                    let mut hit = me == nth && !m.is_empty();
                    out.push('{');
                    for (i, (k, x)) in m.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        out.push_str(&format!("{}:", Value::String(k.clone())));
                        hit |= write(x, nth, again, seen, out);
                    }
                    if me == nth {
                        if let Some(k) = m.keys().next() {
                            out.push_str(&format!(",{}:{again}", Value::String(k.clone())));
                        }
                    }
                    out.push('}');
                    hit
                }
                Value::Array(a) => {
                    out.push('[');
                    let mut hit = false;
                    for (i, x) in a.iter().enumerate() {
                        if i > 0 {
                            out.push(',');
                        }
                        hit |= write(x, nth, again, seen, out);
                    }
                    out.push(']');
                    hit
                }
                other => {
                    out.push_str(&other.to_string());
                    false
                }
            }
        }
        let mut out = String::new();
        write(v, nth, again, &mut 0, &mut out).then_some(out)
    }

    #[test]
    fn a_member_named_twice_is_refused_at_any_depth() {
        let ex = examples();
        let consolidate = &ex[13];
        let split = &ex[14];
        let cases = [
            // The last one would win: the device signed 1 kg, a lenient parser reads 100 t.
            (
                r#"{"type":"generate","mass_g":1000,"mass_g":100000000}"#.to_owned(),
                "top level",
            ),
            (
                with_duplicate(&ex[0], 0, &json!("store")).unwrap(),
                "a common member, top level",
            ),
            (
                with_duplicate(consolidate, 1, &json!(1)).unwrap(),
                "the consolidation's output",
            ),
            (
                with_duplicate(split, 1, &json!(1)).unwrap(),
                "a split's first output, in an array",
            ),
            (
                with_duplicate(split, 2, &json!(1)).unwrap(),
                "a split's second output, in an array",
            ),
            (r#"{"a":[{"b":{"c":1,"c":1}}]}"#.to_owned(), "deep inside an array"),
            (r#"{"a":1,"\u0061":2}"#.to_owned(), "the same name escaped"),
        ];
        for (text, what) in cases {
            for parsed in [
                parse_event(text.as_bytes(), &catalogue()),
                parse_logged_event(text.as_bytes()),
            ] {
                let r = parsed.expect_err(what);
                assert_eq!(r.code, "duplicate_member", "{what}: {text}: {r}");
            }
        }
        // The same name in two different objects is no duplicate.
        let mut ok = split.clone();
        ok["outputs"][1]["mass_g"] = json!(85_000);
        assert!(parse(&ok).is_ok());
        assert!(with_duplicate(&ex[2], 9, &json!(1)).is_none(), "store has two objects");
    }

    proptest! {
        #[test]
        fn any_duplicated_member_is_refused(example in 0usize..19, nth in 0usize..4, again in any::<i32>()) {
            let v = &examples()[example];
            if let Some(text) = with_duplicate(v, nth, &json!(again)) {
                prop_assert_eq!(parse_event(text.as_bytes(), &catalogue()).unwrap_err().code, "duplicate_member");
                prop_assert_eq!(parse_logged_event(text.as_bytes()).unwrap_err().code, "duplicate_member");
            }
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_event(&bytes, &catalogue());
        }

        #[test]
        fn masses_round_trip(mass in 1i64..=100_000_000) {
            let mut g = generate();
            g["mass_g"] = json!(mass);
            let EventBody::Generate(p) = parse(&g).unwrap().body else {
                panic!("not a generate")
            };
            prop_assert_eq!(p.mass.0, mass as u64);
        }
    }
}
