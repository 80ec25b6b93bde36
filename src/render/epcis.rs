//! The custody log as GS1 EPCIS 2.0 events (JSON-LD), so a regulator can load hwtrace's
//! chain of custody into any EPCIS repository. Pure: an event entry of the log (its index,
//! logged time, the signed event as `domain::event` parses it, the codes of the items it
//! created and the items its `prev` names) becomes one or more EPCIS events; nothing here reads
//! a database or the clock. `export` reads the entries and hands them over.
//!
//! What an event does not say itself (who released the items a carrier accepts, which manifest
//! an item arrived under when the receiver weighs it, a manifest's receiver when its carrier
//! arrives) comes from earlier entries of the same log, followed by [`Trail`]. So the export is
//! derived from the log alone, never from the projections; `docs/epcis.md` has the mapping.
//!
//! Identifiers are URNs in hwtrace's own namespace (`urn:hwtrace:item:<37-character item code>`,
//! `urn:hwtrace:uscc:<USCC>`, ...): GS1 EPC URIs need a GS1 company prefix, which the Chinese
//! enterprises here do not have, and the EPCIS schema takes any URI. Masses are integer grams
//! in the log and decimal kilograms (`KGM`) here, converted exactly.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use crate::domain::event::{
    Accept, Arrive, Consolidate, Correction, CorrectionValue, Event, EventBody, Explanation, Generate, Incident,
    IncidentKind, ManifestAmend, ManifestCancel, ManifestOpen, Receive, ReceiveDecision, Release, Return, Split, Store,
    Treat, Weigh,
};
use crate::domain::{Grams, ItemCode, ManifestNo, Refusal, RefusalKind, TreatmentMethod, Uscc, WasteCode};

/// The GS1 EPCIS 2.0 JSON-LD context.
pub const GS1_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld";
/// The namespace of hwtrace's extension fields (`hwtrace:...`).
pub const HWTRACE_NAMESPACE: &str = "urn:hwtrace:epcis:";
/// The `schemaVersion` of the documents.
pub const SCHEMA_VERSION: &str = "2.0";
/// Most log entries one export covers (key and refusal entries count too).
pub const MAX_EXPORT_ENTRIES: u64 = 10_000;
/// The UN/ECE unit code of kilograms.
pub const KGM: &str = "KGM";

/// Earliest and latest time-zone offsets the EPCIS schema accepts, in seconds.
const MIN_OFFSET_S: i32 = -(13 * 3600 + 59 * 60);
const MAX_OFFSET_S: i32 = 14 * 3600;

// ---- identifiers ---------------------------------------------------------------------------

pub fn item_uri(code: &ItemCode) -> String {
    format!("urn:hwtrace:item:{code}")
}

pub fn party_uri(uscc: &Uscc) -> String {
    format!("urn:hwtrace:uscc:{uscc}")
}

/// The device that signed the event: the read point.
pub fn device_uri(actor: &Uscc, device: &str) -> String {
    format!("urn:hwtrace:device:{actor}:{device}")
}

/// The class of an item's contents: its code in the national list, e.g. `900-249-08`.
pub fn waste_class_uri(code: WasteCode) -> String {
    format!("urn:hwtrace:waste:{code}")
}

pub fn manifest_uri(number: &ManifestNo) -> String {
    format!("urn:hwtrace:manifest:{number}")
}

/// The log entry `seq`: the ID of its first EPCIS event; further events of the same entry add
/// `:1`, `:2`, ...
pub fn entry_uri(seq: u64) -> String {
    format!("urn:hwtrace:entry:{seq}")
}

// ---- the EPCIS vocabulary used ---------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum EventType {
    #[default]
    ObjectEvent,
    AggregationEvent,
    TransformationEvent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    Add,
    Observe,
}

/// CBV 2.0 business steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BizStep {
    Commissioning,
    Storing,
    StagingOutbound,
    VoidShipping,
    Shipping,
    Accepting,
    Arriving,
    Inspecting,
    Receiving,
    Departing,
    Destroying,
    Packing,
    Repackaging,
}

/// CBV 2.0 dispositions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Active,
    InTransit,
    NonConformant,
    Returned,
    Destroyed,
    Disposed,
    Damaged,
    Unknown,
}

/// A mass in kilograms, written as a JSON number: the integer grams divided by 1000. The
/// quotient of two exactly represented integers is the double nearest to the decimal, and
/// that double prints as the decimal (at most 9 significant digits), so nothing is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kilograms(pub Grams);

impl Serialize for Kilograms {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0 .0 as f64 / 1000.0)
    }
}

fn kg(g: Grams) -> Value {
    json!(Kilograms(g))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quantity {
    pub epc_class: String,
    pub quantity: Kilograms,
    pub uom: &'static str,
}

/// `mass` of waste of class `code`, in KGM.
pub fn quantity(code: WasteCode, mass: Grams) -> Quantity {
    Quantity {
        epc_class: waste_class_uri(code),
        quantity: Kilograms(mass),
        uom: KGM,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BizTransaction {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "bizTransaction")]
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Destination {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub destination: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SensorElement {
    pub sensor_metadata: SensorMetadata,
    pub sensor_report: Vec<SensorReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SensorMetadata {
    pub time: String,
    #[serde(rename = "deviceID")]
    pub device_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensorReport {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: Kilograms,
    pub uom: &'static str,
}

/// One EPCIS event. Empty lists and absent members are left out, so one struct serves the
/// three event types; extension members (`hwtrace:...`) follow the standard ones.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EpcisEvent {
    #[serde(rename = "type")]
    pub kind: EventType,
    #[serde(rename = "eventID")]
    pub event_id: String,
    pub event_time: String,
    pub event_time_zone_offset: String,
    pub record_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    #[serde(rename = "parentID", skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub epc_list: Vec<String>,
    #[serde(rename = "childEPCs", skip_serializing_if = "Vec::is_empty")]
    pub child_epcs: Vec<String>,
    #[serde(rename = "inputEPCList", skip_serializing_if = "Vec::is_empty")]
    pub input_epc_list: Vec<String>,
    #[serde(rename = "outputEPCList", skip_serializing_if = "Vec::is_empty")]
    pub output_epc_list: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quantity_list: Vec<Quantity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub input_quantity_list: Vec<Quantity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output_quantity_list: Vec<Quantity>,
    #[serde(rename = "transformationID", skip_serializing_if = "Option::is_none")]
    pub transformation_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biz_step: Option<BizStep>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_point: Option<Place>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub biz_location: Option<Place>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub biz_transaction_list: Vec<BizTransaction>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub source_list: Vec<Source>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub destination_list: Vec<Destination>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sensor_element_list: Vec<SensorElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ilmd: Option<Map<String, Value>>,
    /// `hwtrace:...` members.
    #[serde(flatten)]
    pub extensions: BTreeMap<String, Value>,
}

impl EpcisEvent {
    fn ext(&mut self, name: &str, value: impl Into<Value>) {
        self.extensions.insert(format!("hwtrace:{name}"), value.into());
    }
}

// ---- the document --------------------------------------------------------------------------

/// The entries an export covers: `from..=to` of a log of `size` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: u64,
    /// `None`: no entry at or after `from` yet.
    pub to: Option<u64>,
    pub size: u64,
}

impl Window {
    /// The entry the next export starts at.
    pub fn next(&self) -> u64 {
        self.to.map_or(self.from, |t| t + 1)
    }
}

/// The window asked for: from `from` (default 0) to `to` (inclusive; default as far as the
/// limit reaches), at most [`MAX_EXPORT_ENTRIES`] entries, cut at the end of the log.
pub fn window(from: Option<u64>, to: Option<u64>, size: u64) -> Result<Window, Refusal> {
    let from = from.unwrap_or(0);
    let last = match to {
        Some(to) if to < from => {
            return Err(Refusal::invalid(
                "bad_export_range",
                format!("to ({to}) must not be below from ({from})"),
                format!("to（{to}）不能小于from（{from}）"),
            ))
        }
        Some(to) if to - from >= MAX_EXPORT_ENTRIES => {
            return Err(Refusal::new(
                RefusalKind::Limit,
                "export_too_large",
                format!("one export covers at most {MAX_EXPORT_ENTRIES} log entries; ask for the rest from to + 1"),
                format!("每次导出最多{MAX_EXPORT_ENTRIES}个日志条目，其余请从to + 1继续导出"),
            ))
        }
        Some(to) => to,
        None => from.saturating_add(MAX_EXPORT_ENTRIES - 1),
    };
    let to = size.checked_sub(1).map(|end| last.min(end)).filter(|t| *t >= from);
    Ok(Window { from, to, size })
}

/// An EPCIS 2.0 document (`type: EPCISDocument`) holding the events of a window of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    #[serde(rename = "@context")]
    pub context: Value,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "schemaVersion")]
    pub schema_version: &'static str,
    #[serde(rename = "creationDate")]
    pub creation_date: String,
    /// The log's origin (its checkpoints' first line): event IDs are unique within it.
    #[serde(rename = "hwtrace:log")]
    pub log: String,
    #[serde(rename = "hwtrace:from")]
    pub from: u64,
    #[serde(rename = "hwtrace:to", skip_serializing_if = "Option::is_none")]
    pub to: Option<u64>,
    #[serde(rename = "hwtrace:next")]
    pub next: u64,
    #[serde(rename = "hwtrace:logSize")]
    pub log_size: u64,
    #[serde(rename = "epcisBody")]
    pub body: Body,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Body {
    #[serde(rename = "eventList")]
    pub event_list: Vec<EpcisEvent>,
}

/// The `@context`: GS1's, and the `hwtrace` prefix of the extension members.
pub fn context() -> Value {
    json!([GS1_CONTEXT, {"hwtrace": HWTRACE_NAMESPACE}])
}

pub fn document(origin: &str, window: Window, created: DateTime<Utc>, events: Vec<EpcisEvent>) -> Document {
    Document {
        context: context(),
        kind: "EPCISDocument",
        schema_version: SCHEMA_VERSION,
        creation_date: created.to_rfc3339_opts(SecondsFormat::Secs, true),
        log: origin.to_owned(),
        from: window.from,
        to: window.to,
        next: window.next(),
        log_size: window.size,
        body: Body { event_list: events },
    }
}

// ---- one entry -----------------------------------------------------------------------------

/// An event entry of the log, as the mapping needs it.
#[derive(Debug, Clone, Copy)]
pub struct LoggedEvent<'a> {
    pub seq: u64,
    pub logged_at: DateTime<Utc>,
    pub event: &'a Event,
    /// The items the entry created, from its `label` or `labels`, in order.
    pub created: &'a [ItemCode],
    /// The items its `prev` names.
    pub concerned: &'a [ItemCode],
    /// For `manifest_open`: the number the service assigned (the entry's `manifest`).
    pub opened: Option<&'a ManifestNo>,
}

/// An item's arrival at a receiver's gate: the manifest and the carrier that declared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub manifest: ManifestNo,
    pub carrier: Uscc,
}

/// What earlier entries of the log say about an event (see [`Trail`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// `accept`: who released the items (normally one party).
    pub released_by: Vec<Uscc>,
    /// `weigh`, `receive`: the item's arrival, when it is at a gate.
    pub arrival: Option<Arrival>,
    /// `arrive`, `return`: the manifest's receiver.
    pub receiver: Option<Uscc>,
}

/// The EPCIS events of one event entry, given what earlier entries say about it.
pub fn map_entry(e: &LoggedEvent, links: &Links) -> Vec<EpcisEvent> {
    let mut events = match &e.event.body {
        EventBody::Generate(g) if g.inputs.is_empty() => {
            e.created.first().map(|c| commission(e, g, c)).into_iter().collect()
        }
        EventBody::Generate(g) => residue(e, g),
        EventBody::Store(s) => vec![store(e, s)],
        EventBody::ManifestOpen(m) => vec![manifest_open(e, m)],
        EventBody::ManifestAmend(m) => manifest_amend(e, m),
        EventBody::ManifestCancel(m) => vec![manifest_cancel(e, m)],
        EventBody::Release(r) => vec![release(e, r)],
        EventBody::Accept(a) => vec![accept(e, a, links)],
        EventBody::Arrive(a) => vec![arrive(e, a, links)],
        EventBody::Weigh(w) => vec![weigh(e, w, links)],
        EventBody::Receive(r) => std::iter::once(receive(e, r, links))
            .chain(refused_part(e, r, links))
            .collect(),
        EventBody::Return(r) => vec![send_back(e, r, links)],
        EventBody::Treat(t) => vec![treat(e, t)],
        EventBody::Consolidate(c) => consolidate(e, c),
        EventBody::Split(s) => split(e, s),
        EventBody::Correction(c) => vec![correction(e, c)],
        EventBody::Incident(i) => vec![incident(e, i)],
        EventBody::Explanation(x) => vec![explanation(e, x)],
        // A regulator's acknowledgement of an alert concerns no object: not an EPCIS event.
        EventBody::Acknowledge(_) => Vec::new(),
    };
    for (i, ev) in events.iter_mut().enumerate().skip(1) {
        ev.event_id = format!("{}:{i}", entry_uri(e.seq));
    }
    events
}

/// The event's time as the device gave it, and its offset. An offset beyond what EPCIS
/// allows (−13:59 to +14:00) is given as UTC instead.
pub fn event_time(at: &DateTime<FixedOffset>) -> (String, String) {
    let offset_s = at.offset().local_minus_utc();
    if !(MIN_OFFSET_S..=MAX_OFFSET_S).contains(&offset_s) {
        return (
            at.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "+00:00".to_owned(),
        );
    }
    let sign = if offset_s < 0 { '-' } else { '+' };
    let abs = offset_s.unsigned_abs();
    (
        at.to_rfc3339_opts(SecondsFormat::AutoSi, false),
        format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60),
    )
}

/// What every event of an entry has: IDs, times, the signing device as read point, the
/// hwtrace event type and the actor.
fn base(e: &LoggedEvent, kind: EventType) -> EpcisEvent {
    let c = &e.event.common;
    let (event_time, event_time_zone_offset) = event_time(&c.at);
    let mut ev = EpcisEvent {
        kind,
        event_id: entry_uri(e.seq),
        event_time,
        event_time_zone_offset,
        record_time: e.logged_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        read_point: Some(Place {
            id: device_uri(&c.actor, c.device.as_str()),
        }),
        ..EpcisEvent::default()
    };
    ev.ext("eventType", e.event.body.type_name());
    ev.ext("actor", party_uri(&c.actor));
    ev
}

fn object(e: &LoggedEvent, action: Action, items: &[ItemCode], step: BizStep) -> EpcisEvent {
    EpcisEvent {
        action: Some(action),
        epc_list: items.iter().map(item_uri).collect(),
        biz_step: Some(step),
        ..base(e, EventType::ObjectEvent)
    }
}

/// The actor's site: where the items are after an event at it.
fn at_actor(e: &LoggedEvent) -> Option<Place> {
    Some(Place {
        id: party_uri(&e.event.common.actor),
    })
}

fn manifest_transaction(number: &ManifestNo) -> Vec<BizTransaction> {
    vec![BizTransaction {
        kind: "desadv",
        id: manifest_uri(number),
    }]
}

fn possessing_source(party: &Uscc) -> Source {
    Source {
        kind: "possessing_party",
        source: party_uri(party),
    }
}

fn possessing_destination(party: &Uscc) -> Destination {
    Destination {
        kind: "possessing_party",
        destination: party_uri(party),
    }
}

/// The instance master data of a new item, from its generate body.
fn ilmd(g: &Generate) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(format!("hwtrace:{k}"), v);
    };
    put("wasteCode", json!(g.waste_code.to_string()));
    put("wasteCategory", json!(g.waste_code.category().to_string()));
    // Without the catalogue a name the device did not sign defaults to the code: not a name.
    if g.waste_name != g.waste_code.to_string() {
        put("wasteName", json!(g.waste_name));
    }
    put("physicalForm", json!(g.form.code()));
    put("hazards", json!(g.hazards.letters()));
    put("packaging", json!(g.packaging));
    put("containerVolumeL", json!(g.container_volume_l));
    put("components", json!(g.components));
    if !g.harmful_components.is_empty() {
        put("harmfulComponents", json!(g.harmful_components));
    }
    if !g.precautions.is_empty() {
        put("precautions", json!(g.precautions));
    }
    put("storagePlace", json!(g.storage_place));
    m
}

/// A new item filled at its maker: ObjectEvent ADD, `commissioning`, its declared mass.
fn commission(e: &LoggedEvent, g: &Generate, code: &ItemCode) -> EpcisEvent {
    EpcisEvent {
        quantity_list: vec![quantity(g.waste_code, g.mass)],
        disposition: Some(Disposition::Active),
        biz_location: at_actor(e),
        ilmd: Some(ilmd(g)),
        ..object(e, Action::Add, std::slice::from_ref(code), BizStep::Commissioning)
    }
}

/// A residue of treatment: TransformationEvent from the treated items to the residue.
fn residue(e: &LoggedEvent, g: &Generate) -> Vec<EpcisEvent> {
    let Some(code) = e.created.first() else {
        return Vec::new();
    };
    vec![EpcisEvent {
        input_epc_list: g.inputs.iter().map(item_uri).collect(),
        output_epc_list: vec![item_uri(code)],
        output_quantity_list: vec![quantity(g.waste_code, g.mass)],
        biz_step: Some(BizStep::Commissioning),
        disposition: Some(Disposition::Active),
        biz_location: at_actor(e),
        ilmd: Some(ilmd(g)),
        ..base(e, EventType::TransformationEvent)
    }]
}

fn store(e: &LoggedEvent, s: &Store) -> EpcisEvent {
    let mut ev = EpcisEvent {
        disposition: Some(Disposition::Active),
        biz_location: at_actor(e),
        ..object(e, Action::Observe, &s.items, BizStep::Storing)
    };
    ev.ext("storagePlace", s.storage_place.as_str());
    ev
}

fn manifest_open(e: &LoggedEvent, m: &ManifestOpen) -> EpcisEvent {
    let mut ev = EpcisEvent {
        disposition: Some(Disposition::Active),
        biz_location: at_actor(e),
        biz_transaction_list: e.opened.map(manifest_transaction).unwrap_or_default(),
        source_list: vec![possessing_source(&e.event.common.actor)],
        destination_list: vec![possessing_destination(&m.receiver)],
        ..object(e, Action::Observe, &m.items, BizStep::StagingOutbound)
    };
    ev.ext("transporters", m.transporters.iter().map(party_uri).collect::<Vec<_>>());
    ev.ext("plannedDate", m.planned_date.to_string());
    if let Some(a) = &m.approval {
        ev.ext("approval", a.as_str());
    }
    ev
}

/// The manifest's items after the change are staged (again); removed items are taken off.
fn manifest_amend(e: &LoggedEvent, m: &ManifestAmend) -> Vec<EpcisEvent> {
    let staged: Vec<ItemCode> = e
        .concerned
        .iter()
        .filter(|i| !m.remove_items.contains(i))
        .cloned()
        .collect();
    let with_manifest = |mut ev: EpcisEvent| {
        ev.biz_transaction_list = manifest_transaction(&m.manifest);
        ev.ext("reason", m.reason.as_str());
        ev
    };
    let mut out = Vec::new();
    if !staged.is_empty() {
        let mut ev = with_manifest(object(e, Action::Observe, &staged, BizStep::StagingOutbound));
        ev.disposition = Some(Disposition::Active);
        if let Some(t) = &m.transporters {
            ev.ext("transporters", t.iter().map(party_uri).collect::<Vec<_>>());
        }
        if let Some(d) = m.planned_date {
            ev.ext("plannedDate", d.to_string());
        }
        out.push(ev);
    }
    if !m.remove_items.is_empty() {
        out.push(with_manifest(object(
            e,
            Action::Observe,
            &m.remove_items,
            BizStep::VoidShipping,
        )));
    }
    out
}

fn manifest_cancel(e: &LoggedEvent, m: &ManifestCancel) -> EpcisEvent {
    let mut ev = EpcisEvent {
        biz_transaction_list: manifest_transaction(&m.manifest),
        ..object(e, Action::Observe, e.concerned, BizStep::VoidShipping)
    };
    ev.ext("reason", m.reason.as_str());
    ev
}

/// The holder hands the items to the named party: `shipping`, from holder to party.
fn release(e: &LoggedEvent, r: &Release) -> EpcisEvent {
    EpcisEvent {
        disposition: Some(Disposition::InTransit),
        biz_transaction_list: manifest_transaction(&r.manifest),
        source_list: vec![possessing_source(&e.event.common.actor)],
        destination_list: vec![possessing_destination(&r.to)],
        ..object(e, Action::Observe, &r.items, BizStep::Shipping)
    }
}

/// The carrier takes the items: `accepting`, possession moves to it.
fn accept(e: &LoggedEvent, a: &Accept, links: &Links) -> EpcisEvent {
    EpcisEvent {
        disposition: Some(Disposition::InTransit),
        biz_transaction_list: manifest_transaction(&a.manifest),
        source_list: links.released_by.iter().map(possessing_source).collect(),
        destination_list: vec![possessing_destination(&e.event.common.actor)],
        ..object(e, Action::Observe, &a.items, BizStep::Accepting)
    }
}

/// The last carrier at the receiver's gate: `arriving`.
fn arrive(e: &LoggedEvent, a: &Arrive, links: &Links) -> EpcisEvent {
    EpcisEvent {
        disposition: Some(Disposition::InTransit),
        biz_transaction_list: manifest_transaction(&a.manifest),
        source_list: vec![possessing_source(&e.event.common.actor)],
        destination_list: links.receiver.iter().map(possessing_destination).collect(),
        ..object(e, Action::Observe, &a.items, BizStep::Arriving)
    }
}

/// A weighing: `inspecting`, with the mass as a sensor reading in KGM.
fn weigh(e: &LoggedEvent, w: &Weigh, links: &Links) -> EpcisEvent {
    let c = &e.event.common;
    EpcisEvent {
        biz_location: at_actor(e),
        biz_transaction_list: links
            .arrival
            .as_ref()
            .map(|a| manifest_transaction(&a.manifest))
            .unwrap_or_default(),
        sensor_element_list: vec![SensorElement {
            sensor_metadata: SensorMetadata {
                time: event_time(&c.at).0,
                device_id: device_uri(&c.actor, c.device.as_str()),
            },
            sensor_report: vec![SensorReport {
                kind: "Mass",
                value: Kilograms(w.weighed_mass),
                uom: KGM,
            }],
        }],
        ..object(e, Action::Observe, std::slice::from_ref(&w.item), BizStep::Inspecting)
    }
}

/// The receiver's decision: `receiving`; accepted (in whole or part) the item is `active` at
/// the receiver with the accepted mass, refused it is `non_conformant` with the refused mass.
fn receive(e: &LoggedEvent, r: &Receive, links: &Links) -> EpcisEvent {
    let refused = r.decision == ReceiveDecision::Refuse;
    let code = r.item.waste();
    let mut ev = EpcisEvent {
        quantity_list: vec![quantity(code, if refused { r.refused_mass } else { r.accepted_mass })],
        disposition: Some(if refused {
            Disposition::NonConformant
        } else {
            Disposition::Active
        }),
        biz_location: if refused { None } else { at_actor(e) },
        biz_transaction_list: links
            .arrival
            .as_ref()
            .map(|a| manifest_transaction(&a.manifest))
            .unwrap_or_default(),
        source_list: links.arrival.iter().map(|a| possessing_source(&a.carrier)).collect(),
        destination_list: if refused {
            Vec::new()
        } else {
            vec![possessing_destination(&e.event.common.actor)]
        },
        ..object(e, Action::Observe, std::slice::from_ref(&r.item), BizStep::Receiving)
    };
    ev.ext("decision", r.decision.code());
    ev.ext("acceptedMassKg", kg(r.accepted_mass));
    ev.ext("refusedMassKg", kg(r.refused_mass));
    if let Some(reason) = &r.reason {
        ev.ext("reason", reason.as_str());
    }
    ev
}

/// The part refused at a partial refusal, an item of its own left with the carrier:
/// TransformationEvent from the item (the refused mass) to the part, `repackaging`,
/// `non_conformant`, on the manifest it arrived under.
fn refused_part(e: &LoggedEvent, r: &Receive, links: &Links) -> Option<EpcisEvent> {
    if r.decision != ReceiveDecision::Partial {
        return None;
    }
    let part = e.created.first()?;
    Some(EpcisEvent {
        input_epc_list: vec![item_uri(&r.item)],
        input_quantity_list: vec![quantity(r.item.waste(), r.refused_mass)],
        output_epc_list: vec![item_uri(part)],
        output_quantity_list: vec![quantity(part.waste(), r.refused_mass)],
        transformation_id: Some(entry_uri(e.seq)),
        biz_step: Some(BizStep::Repackaging),
        disposition: Some(Disposition::NonConformant),
        biz_transaction_list: links
            .arrival
            .as_ref()
            .map(|a| manifest_transaction(&a.manifest))
            .unwrap_or_default(),
        ..base(e, EventType::TransformationEvent)
    })
}

/// A refused item leaves the gate for its generator: `departing`, `returned`.
fn send_back(e: &LoggedEvent, r: &Return, links: &Links) -> EpcisEvent {
    EpcisEvent {
        disposition: Some(Disposition::Returned),
        biz_transaction_list: manifest_transaction(&r.manifest),
        source_list: vec![possessing_source(&e.event.common.actor)],
        destination_list: links.receiver.iter().map(possessing_destination).collect(),
        ..object(e, Action::Observe, &r.items, BizStep::Departing)
    }
}

/// Treatment ends the item: TransformationEvent with the item and its treated mass as input
/// and no output (a residue is its own event, naming the item as input).
fn treat(e: &LoggedEvent, t: &Treat) -> EpcisEvent {
    let mut ev = EpcisEvent {
        input_epc_list: vec![item_uri(&t.item)],
        input_quantity_list: vec![quantity(t.item.waste(), t.treated_mass)],
        transformation_id: Some(entry_uri(e.seq)),
        biz_step: Some(BizStep::Destroying),
        disposition: Some(if t.method == TreatmentMethod::Landfill {
            Disposition::Disposed
        } else {
            Disposition::Destroyed
        }),
        biz_location: at_actor(e),
        ..base(e, EventType::TransformationEvent)
    };
    ev.ext("treatmentMethod", t.method.code());
    if let Some(v) = t.volume_l {
        ev.ext("landfillVolumeL", v);
    }
    ev
}

/// The new container is commissioned, then the inputs are packed into it (AggregationEvent
/// ADD, parent = the new item).
fn consolidate(e: &LoggedEvent, c: &Consolidate) -> Vec<EpcisEvent> {
    let Some(code) = e.created.first() else {
        return Vec::new();
    };
    let packed = EpcisEvent {
        action: Some(Action::Add),
        parent_id: Some(item_uri(code)),
        child_epcs: c.inputs.iter().map(item_uri).collect(),
        biz_step: Some(BizStep::Packing),
        disposition: Some(Disposition::Active),
        biz_location: at_actor(e),
        ..base(e, EventType::AggregationEvent)
    };
    vec![commission(e, &c.output, code), packed]
}

/// One item into several: TransformationEvent, `repackaging`; the i-th output quantity is the
/// i-th output's declared mass.
fn split(e: &LoggedEvent, s: &Split) -> Vec<EpcisEvent> {
    if e.created.len() != s.outputs.len() {
        return Vec::new();
    }
    vec![EpcisEvent {
        input_epc_list: vec![item_uri(&s.input)],
        output_epc_list: e.created.iter().map(item_uri).collect(),
        output_quantity_list: s.outputs.iter().map(|o| quantity(o.waste_code, o.mass)).collect(),
        biz_step: Some(BizStep::Repackaging),
        disposition: Some(Disposition::Active),
        biz_location: at_actor(e),
        ..base(e, EventType::TransformationEvent)
    }]
}

/// A co-signed correction: an OBSERVE of the item naming the corrected entry's event.
fn correction(e: &LoggedEvent, c: &Correction) -> EpcisEvent {
    let mut ev = object(e, Action::Observe, std::slice::from_ref(&c.item), BizStep::Inspecting);
    ev.biz_step = None;
    ev.ext("corrects", entry_uri(c.corrects));
    ev.ext("field", c.field.code());
    match &c.new_value {
        CorrectionValue::Mass(g) => ev.ext("newMassKg", kg(*g)),
        CorrectionValue::Text(t) => ev.ext("newStoragePlace", t.as_str()),
    }
    ev.ext("reason", c.reason.as_str());
    ev.ext("signers", c.signers.iter().map(party_uri).collect::<Vec<_>>());
    ev
}

/// A spill is `damaged`, a loss `unknown` (where the lost part went); other incidents leave the
/// disposition unsaid.
fn incident(e: &LoggedEvent, i: &Incident) -> EpcisEvent {
    let mut ev = object(e, Action::Observe, std::slice::from_ref(&i.item), BizStep::Inspecting);
    ev.biz_step = None;
    ev.disposition = match i.kind {
        IncidentKind::Spill => Some(Disposition::Damaged),
        IncidentKind::Loss => Some(Disposition::Unknown),
        IncidentKind::Other => None,
    };
    ev.ext("incidentKind", i.kind.code());
    ev.ext("lostMassKg", kg(i.lost_mass));
    ev.ext("description", i.description.as_str());
    ev
}

fn explanation(e: &LoggedEvent, x: &Explanation) -> EpcisEvent {
    let mut ev = object(e, Action::Observe, std::slice::from_ref(&x.item), BizStep::Inspecting);
    ev.biz_step = None;
    ev.ext("about", entry_uri(x.about));
    ev.ext("text", x.text.as_str());
    ev
}

// ---- what earlier entries say --------------------------------------------------------------

/// Whether an event leaves the hand-over state of its items as it was: a weighing, an
/// incident, a correction or an explanation. Between a `release` and its `accept`, or an
/// `arrive` and its `receive`, an item's history holds nothing else.
pub fn is_neutral(body: &EventBody) -> bool {
    matches!(
        body,
        EventBody::Weigh(_) | EventBody::Incident(_) | EventBody::Correction(_) | EventBody::Explanation(_)
    )
}

/// Follows the log in order for what the mapping needs beyond the event itself: the releases
/// not yet accepted, the arrivals not yet received, and the manifests' receivers. An item the
/// trail has not followed yet (its last hand-over came before the exported window) is
/// [`Trail::wants`]ed: the caller finds the item's last entry that is not neutral and gives it
/// to [`Trail::record_item`], and a manifest's `manifest_open` entry to [`Trail::record_opened`].
#[derive(Debug, Clone, Default)]
pub struct Trail {
    receivers: BTreeMap<ManifestNo, Uscc>,
    released_by: BTreeMap<ItemCode, Uscc>,
    arrivals: BTreeMap<ItemCode, Arrival>,
    /// Items whose hand-over state the trail knows.
    followed: BTreeSet<ItemCode>,
}

/// What the trail lacks to link an event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wants {
    pub items: Vec<ItemCode>,
    pub manifests: Vec<ManifestNo>,
}

impl Trail {
    /// What the trail knows about `e` (from the entries before it).
    pub fn links(&self, e: &LoggedEvent) -> Links {
        let arrival = |item: &ItemCode| self.arrivals.get(item).cloned();
        match &e.event.body {
            EventBody::Accept(a) => {
                let mut by: Vec<Uscc> = Vec::new();
                for u in a.items.iter().filter_map(|i| self.released_by.get(i)) {
                    if !by.contains(u) {
                        by.push(u.clone());
                    }
                }
                Links {
                    released_by: by,
                    ..Links::default()
                }
            }
            EventBody::Weigh(w) => Links {
                arrival: arrival(&w.item),
                ..Links::default()
            },
            EventBody::Receive(r) => Links {
                arrival: arrival(&r.item),
                ..Links::default()
            },
            EventBody::Arrive(Arrive { manifest, .. }) | EventBody::Return(Return { manifest, .. }) => Links {
                receiver: self.receivers.get(manifest).cloned(),
                ..Links::default()
            },
            _ => Links::default(),
        }
    }

    /// The items and manifests `e` needs that the trail has not followed.
    pub fn wants(&self, e: &LoggedEvent) -> Wants {
        let items: Vec<ItemCode> = match &e.event.body {
            EventBody::Accept(a) => a.items.clone(),
            EventBody::Weigh(w) => vec![w.item.clone()],
            EventBody::Receive(r) => vec![r.item.clone()],
            _ => Vec::new(),
        };
        let manifests = match &e.event.body {
            EventBody::Arrive(Arrive { manifest, .. }) | EventBody::Return(Return { manifest, .. }) => {
                vec![manifest.clone()]
            }
            _ => Vec::new(),
        };
        Wants {
            items: items.into_iter().filter(|i| !self.followed.contains(i)).collect(),
            manifests: manifests
                .into_iter()
                .filter(|m| !self.receivers.contains_key(m))
                .collect(),
        }
    }

    /// Takes in the next entry of the log.
    pub fn record(&mut self, e: &LoggedEvent) {
        self.record_opened(e);
        for item in e.concerned {
            self.record_item(e, item);
        }
    }

    /// Takes in what `e` says about one item's hand-over (a neutral event says nothing).
    pub fn record_item(&mut self, e: &LoggedEvent, item: &ItemCode) {
        if is_neutral(&e.event.body) {
            return;
        }
        let actor = &e.event.common.actor;
        self.released_by.remove(item);
        self.arrivals.remove(item);
        match &e.event.body {
            EventBody::Release(r) if r.items.contains(item) => {
                self.released_by.insert(item.clone(), actor.clone());
            }
            EventBody::Arrive(a) if a.items.contains(item) => {
                let arrival = Arrival {
                    manifest: a.manifest.clone(),
                    carrier: actor.clone(),
                };
                self.arrivals.insert(item.clone(), arrival);
            }
            _ => {}
        }
        self.followed.insert(item.clone());
    }

    /// Takes in the receiver of a manifest `e` opens (nothing for other events).
    pub fn record_opened(&mut self, e: &LoggedEvent) {
        if let (EventBody::ManifestOpen(m), Some(number)) = (&e.event.body, e.opened) {
            self.receivers.insert(number.clone(), m.receiver.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::event::parse_logged_event;
    use chrono::TimeZone;
    use proptest::prelude::*;

    const GEN: &str = "91500110MA5U8F4X2N";
    const CARRIER: &str = "91500110MA6TRN031U";
    const FACILITY: &str = "91500110MA60YNXH0F";
    const DRUM: &str = "91500110MA5U8F4X2N9002490820261128001";
    const MANIFEST: &str = "20265001000042";

    fn drum() -> String {
        DRUM.to_owned()
    }

    fn event(kind: &str, actor: &str, fields: Value) -> Event {
        let mut v = json!({"type": kind, "actor": actor, "device": "phone-1",
                           "at": "2026-11-28T09:30:00.5+08:00", "nonce": "n-1"});
        for (k, x) in fields.as_object().unwrap() {
            v[k] = x.clone();
        }
        parse_logged_event(v.to_string().as_bytes()).unwrap()
    }

    fn generate_body(mass_g: u64) -> Value {
        json!({"waste_code": "900-249-08", "mass_g": mass_g, "form": "liquid", "hazards": ["T", "I"],
               "packaging": "200L钢桶", "container_volume_l": 200, "components": "矿物油",
               "storage_place": "危废暂存间A"})
    }

    fn codes(list: &[&str]) -> Vec<ItemCode> {
        list.iter().map(|c| ItemCode::parse(c).unwrap()).collect()
    }

    fn logged<'a>(seq: u64, event: &'a Event, created: &'a [ItemCode], concerned: &'a [ItemCode]) -> LoggedEvent<'a> {
        LoggedEvent {
            seq,
            logged_at: Utc.with_ymd_and_hms(2026, 11, 28, 1, 30, 2).unwrap(),
            event,
            created,
            concerned,
            opened: None,
        }
    }

    fn json_of(ev: &EpcisEvent) -> Value {
        serde_json::to_value(ev).unwrap()
    }

    #[test]
    fn kilograms_are_the_exact_decimal_of_the_grams() {
        for (g, text) in [
            (1, "0.001"),
            (185_500, "185.5"),
            (184_900, "184.9"),
            (100_000_000, "100000.0"),
            (99_999_999, "99999.999"),
            (4_900, "4.9"),
        ] {
            assert_eq!(serde_json::to_string(&Kilograms(Grams(g))).unwrap(), text);
        }
    }

    proptest! {
        #[test]
        fn any_item_mass_prints_as_its_decimal(g in 1u64..=crate::domain::mass::MAX_ITEM_MASS_G) {
            let text = serde_json::to_string(&Kilograms(Grams(g))).unwrap();
            let (int, frac) = text.split_once('.').unwrap();
            let frac_g: u64 = format!("{frac:0<3}").parse().unwrap();
            prop_assert_eq!(int.parse::<u64>().unwrap() * 1000 + frac_g, g, "{}", text);
            prop_assert!(frac.len() <= 3);
        }
    }

    #[test]
    fn event_time_keeps_the_device_offset_within_what_epcis_allows() {
        let at = DateTime::parse_from_rfc3339("2026-11-28T09:30:00+08:00").unwrap();
        assert_eq!(event_time(&at), ("2026-11-28T09:30:00+08:00".into(), "+08:00".into()));
        let at = DateTime::parse_from_rfc3339("2026-11-28T09:30:00.250-03:30").unwrap();
        assert_eq!(
            event_time(&at),
            ("2026-11-28T09:30:00.250-03:30".into(), "-03:30".into())
        );
        let at = DateTime::parse_from_rfc3339("2026-11-28T09:30:00Z").unwrap();
        assert_eq!(event_time(&at).1, "+00:00");
        let at = DateTime::parse_from_rfc3339("2026-11-28T20:30:00+15:00").unwrap();
        assert_eq!(event_time(&at), ("2026-11-28T05:30:00Z".into(), "+00:00".into()));
    }

    #[test]
    fn the_window_is_bounded_and_cut_at_the_end_of_the_log() {
        assert_eq!(
            window(None, None, 25).unwrap(),
            Window {
                from: 0,
                to: Some(24),
                size: 25
            }
        );
        let w = window(Some(10), Some(12), 25).unwrap();
        assert_eq!((w.to, w.next()), (Some(12), 13));
        let w = window(Some(30), None, 25).unwrap();
        assert_eq!((w.to, w.next()), (None, 30));
        assert_eq!(window(None, None, 0).unwrap().to, None);
        let w = window(Some(5), None, 1_000_000).unwrap();
        assert_eq!(w.to, Some(5 + MAX_EXPORT_ENTRIES - 1));
        assert!(window(Some(0), Some(MAX_EXPORT_ENTRIES - 1), 5).is_ok());
        assert_eq!(
            window(Some(0), Some(MAX_EXPORT_ENTRIES), 5).unwrap_err().code,
            "export_too_large"
        );
        assert_eq!(window(Some(3), Some(2), 5).unwrap_err().code, "bad_export_range");
        assert_eq!(window(Some(u64::MAX), None, 5).unwrap().to, None);
    }

    #[test]
    fn generate_commissions_the_item_with_its_declared_mass() {
        let e = event("generate", GEN, generate_body(185_500));
        let created = codes(&[&drum()]);
        let evs = map_entry(&logged(7, &e, &created, &created), &Links::default());
        assert_eq!(evs.len(), 1);
        let v = json_of(&evs[0]);
        assert_eq!(v["type"], "ObjectEvent");
        assert_eq!(v["eventID"], "urn:hwtrace:entry:7");
        assert_eq!(v["action"], "ADD");
        assert_eq!(v["bizStep"], "commissioning");
        assert_eq!(v["disposition"], "active");
        assert_eq!(v["epcList"], json!([format!("urn:hwtrace:item:{}", drum())]));
        assert_eq!(
            v["quantityList"],
            json!([{"epcClass": "urn:hwtrace:waste:900-249-08", "quantity": 185.5, "uom": "KGM"}])
        );
        assert_eq!(v["eventTime"], "2026-11-28T09:30:00.500+08:00");
        assert_eq!(v["eventTimeZoneOffset"], "+08:00");
        assert_eq!(v["recordTime"], "2026-11-28T01:30:02Z");
        assert_eq!(v["readPoint"]["id"], format!("urn:hwtrace:device:{GEN}:phone-1"));
        assert_eq!(v["bizLocation"]["id"], format!("urn:hwtrace:uscc:{GEN}"));
        assert_eq!(v["ilmd"]["hwtrace:wasteCategory"], "HW08");
        assert_eq!(v["ilmd"]["hwtrace:hazards"], json!(["T", "I"]));
        assert!(v["ilmd"].get("hwtrace:wasteName").is_none(), "no name was signed: {v}");
        let mut named = generate_body(185_500);
        named["waste_name"] = json!("废矿物油");
        let e = event("generate", GEN, named);
        let v = json_of(&map_entry(&logged(7, &e, &created, &created), &Links::default())[0]);
        assert_eq!(v["ilmd"]["hwtrace:wasteName"], "废矿物油");
        assert_eq!(v["hwtrace:eventType"], "generate");
        assert!(v.get("sourceList").is_none() && v.get("inputEPCList").is_none(), "{v}");
    }

    #[test]
    fn a_residue_is_a_transformation_from_the_treated_items() {
        let mut body = generate_body(9_000);
        body["waste_code"] = json!("772-003-18");
        body["inputs"] = json!([drum()]);
        let e = event("generate", FACILITY, body);
        let ash = codes(&["91500110MA60YNXH0F7720031820261128001"]);
        let concerned = [codes(&[&drum()]), ash.clone()].concat();
        let v = json_of(&map_entry(&logged(9, &e, &ash, &concerned), &Links::default())[0]);
        assert_eq!(v["type"], "TransformationEvent");
        assert_eq!(v["inputEPCList"], json!([format!("urn:hwtrace:item:{}", drum())]));
        assert_eq!(v["outputEPCList"], json!([item_uri(&ash[0])]));
        assert_eq!(v["outputQuantityList"][0]["quantity"], json!(9.0));
        assert!(v.get("action").is_none(), "a TransformationEvent has no action: {v}");
    }

    #[test]
    fn a_hand_over_names_both_parties_and_the_manifest() {
        let items = codes(&[&drum()]);
        let release = event(
            "release",
            GEN,
            json!({"items": [drum()], "to": CARRIER, "manifest": MANIFEST}),
        );
        let accept = event("accept", CARRIER, json!({"items": [drum()], "manifest": MANIFEST}));
        let mut trail = Trail::default();
        let r = logged(10, &release, &[], &items);
        let v = json_of(&map_entry(&r, &trail.links(&r))[0]);
        assert_eq!(
            (&v["bizStep"], &v["disposition"], &v["action"]),
            (&json!("shipping"), &json!("in_transit"), &json!("OBSERVE"))
        );
        assert_eq!(
            v["bizTransactionList"],
            json!([{"type": "desadv", "bizTransaction": format!("urn:hwtrace:manifest:{MANIFEST}")}])
        );
        assert_eq!(
            v["destinationList"][0]["destination"],
            format!("urn:hwtrace:uscc:{CARRIER}")
        );
        trail.record(&r);
        let a = logged(11, &accept, &[], &items);
        assert!(trail.wants(&a).items.is_empty());
        let v = json_of(&map_entry(&a, &trail.links(&a))[0]);
        assert_eq!(v["bizStep"], "accepting");
        assert_eq!(
            v["sourceList"],
            json!([{"type": "possessing_party", "source": format!("urn:hwtrace:uscc:{GEN}")}])
        );
        assert_eq!(
            v["destinationList"][0]["destination"],
            format!("urn:hwtrace:uscc:{CARRIER}")
        );
        trail.record(&a);
        assert_eq!(
            trail.links(&a).released_by,
            Vec::<Uscc>::new(),
            "the release is used up"
        );
    }

    #[test]
    fn the_gate_knows_the_arrival_from_the_trail() {
        let items = codes(&[&drum()]);
        let manifest = ManifestNo::parse(MANIFEST).unwrap();
        let open = event(
            "manifest_open",
            GEN,
            json!({"transporters": [CARRIER], "vehicle_plate": "渝D12345", "driver_licence": "500110198001011234",
                   "receiver": FACILITY, "items": [drum()], "planned_date": "2026-11-30"}),
        );
        let arrive = event("arrive", CARRIER, json!({"items": [drum()], "manifest": MANIFEST}));
        let weigh = event("weigh", FACILITY, json!({"item": drum(), "weighed_mass_g": 184_900}));
        let receive = event(
            "receive",
            FACILITY,
            json!({"item": drum(), "decision": "partial", "accepted_mass_g": 180_000,
                   "refused_mass_g": 4_900, "reason": "桶底含水"}),
        );
        let mut trail = Trail::default();
        let o = LoggedEvent {
            opened: Some(&manifest),
            ..logged(3, &open, &[], &items)
        };
        let v = json_of(&map_entry(&o, &trail.links(&o))[0]);
        assert_eq!(v["bizStep"], "staging_outbound");
        assert_eq!(v["bizTransactionList"][0]["bizTransaction"], manifest_uri(&manifest));
        assert_eq!(
            v["destinationList"][0]["destination"],
            party_uri(&Uscc::parse(FACILITY).unwrap())
        );
        trail.record(&o);

        let a = logged(4, &arrive, &[], &items);
        assert_eq!(trail.wants(&a), Wants::default());
        let v = json_of(&map_entry(&a, &trail.links(&a))[0]);
        assert_eq!(v["bizStep"], "arriving");
        assert_eq!(
            v["destinationList"][0]["destination"],
            format!("urn:hwtrace:uscc:{FACILITY}")
        );
        trail.record(&a);

        let w = logged(5, &weigh, &[], &items);
        let v = json_of(&map_entry(&w, &trail.links(&w))[0]);
        assert_eq!(v["bizStep"], "inspecting");
        assert_eq!(v["bizTransactionList"][0]["bizTransaction"], manifest_uri(&manifest));
        let report = &v["sensorElementList"][0]["sensorReport"][0];
        assert_eq!(report, &json!({"type": "Mass", "value": 184.9, "uom": "KGM"}));
        trail.record(&w);

        let r = logged(6, &receive, &[], &items);
        let v = json_of(&map_entry(&r, &trail.links(&r))[0]);
        assert_eq!(
            (&v["bizStep"], &v["disposition"]),
            (&json!("receiving"), &json!("active"))
        );
        assert_eq!(v["quantityList"][0]["quantity"], json!(180.0));
        assert_eq!(v["hwtrace:refusedMassKg"], json!(4.9));
        assert_eq!(v["sourceList"][0]["source"], format!("urn:hwtrace:uscc:{CARRIER}"));
        assert_eq!(v["bizLocation"]["id"], format!("urn:hwtrace:uscc:{FACILITY}"));
        trail.record(&r);
        assert_eq!(trail.links(&r).arrival, None, "received: no longer at the gate");
    }

    #[test]
    fn a_trail_that_starts_late_asks_for_what_it_lacks() {
        let items = codes(&[&drum()]);
        let receive = event(
            "receive",
            FACILITY,
            json!({"item": drum(), "decision": "refuse", "accepted_mass_g": 0,
                   "refused_mass_g": 185_000, "reason": "包装破损"}),
        );
        let arrive = event("arrive", CARRIER, json!({"items": [drum()], "manifest": MANIFEST}));
        let trail = Trail::default();
        let r = logged(40, &receive, &[], &items);
        assert_eq!(trail.wants(&r).items, items);
        let a = logged(30, &arrive, &[], &items);
        assert_eq!(trail.wants(&a).manifests, vec![ManifestNo::parse(MANIFEST).unwrap()]);

        // The caller finds the item's last hand-over before the window and hands it over.
        let mut trail = Trail::default();
        trail.record_item(&a, &items[0]);
        let v = json_of(&map_entry(&r, &trail.links(&r))[0]);
        assert_eq!(
            (&v["bizStep"], &v["disposition"]),
            (&json!("receiving"), &json!("non_conformant"))
        );
        assert_eq!(v["quantityList"][0]["quantity"], json!(185.0));
        assert!(v.get("bizLocation").is_none(), "refused: still with the carrier");
        assert_eq!(
            v["bizTransactionList"][0]["bizTransaction"],
            format!("urn:hwtrace:manifest:{MANIFEST}")
        );
        assert!(trail.wants(&r).items.is_empty());
    }

    #[test]
    fn neutral_events_do_not_end_a_hand_over() {
        let items = codes(&[&drum()]);
        let release = event(
            "release",
            GEN,
            json!({"items": [drum()], "to": CARRIER, "manifest": MANIFEST}),
        );
        let incident = event(
            "incident",
            GEN,
            json!({"item": drum(), "kind": "spill", "lost_mass_g": 300, "description": "桶盖渗漏"}),
        );
        let accept = event("accept", CARRIER, json!({"items": [drum()], "manifest": MANIFEST}));
        let mut trail = Trail::default();
        trail.record(&logged(1, &release, &[], &items));
        let i = logged(2, &incident, &[], &items);
        let v = json_of(&map_entry(&i, &trail.links(&i))[0]);
        assert_eq!(v["disposition"], "damaged");
        assert_eq!(v["hwtrace:lostMassKg"], json!(0.3));
        assert!(v.get("bizStep").is_none());
        trail.record(&i);
        let a = logged(3, &accept, &[], &items);
        assert_eq!(trail.links(&a).released_by, vec![Uscc::parse(GEN).unwrap()]);
    }

    #[test]
    fn treatment_destroys_and_landfill_disposes() {
        let items = codes(&[&drum()]);
        for (method, extra, disposition) in [
            ("incineration", json!({}), "destroyed"),
            ("landfill", json!({"volume_l": 9}), "disposed"),
        ] {
            let mut fields = json!({"item": drum(), "method": method, "treated_mass_g": 180_000});
            for (k, x) in extra.as_object().unwrap() {
                fields[k] = x.clone();
            }
            let e = event("treat", FACILITY, fields);
            let v = json_of(&map_entry(&logged(20, &e, &[], &items), &Links::default())[0]);
            assert_eq!(v["type"], "TransformationEvent");
            assert_eq!(
                (&v["bizStep"], &v["disposition"]),
                (&json!("destroying"), &json!(disposition))
            );
            assert_eq!(v["inputEPCList"], json!([item_uri(&items[0])]));
            assert_eq!(v["inputQuantityList"][0]["quantity"], json!(180.0));
            assert_eq!(v["transformationID"], "urn:hwtrace:entry:20");
            assert_eq!(v["hwtrace:treatmentMethod"], method);
            assert!(v.get("outputEPCList").is_none());
        }
    }

    #[test]
    fn consolidation_commissions_the_tote_and_aggregates_the_inputs() {
        let inputs = [
            "91500110MA5U8F4X2N9000523120261201001".to_owned(),
            "91500110MA5U8F4X2N9000523120261201002".to_owned(),
        ];
        let tote = codes(&["91500110MA60YNXH0F9000523120261201001"]);
        let mut output = generate_body(37_000);
        output["waste_code"] = json!("900-052-31");
        let e = event("consolidate", FACILITY, json!({"inputs": inputs, "output": output}));
        let concerned = [codes(&[&inputs[0], &inputs[1]]), tote.clone()].concat();
        let evs = map_entry(&logged(50, &e, &tote, &concerned), &Links::default());
        let v: Vec<Value> = evs.iter().map(json_of).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(
            (&v[0]["type"], &v[0]["bizStep"]),
            (&json!("ObjectEvent"), &json!("commissioning"))
        );
        assert_eq!(v[0]["quantityList"][0]["quantity"], json!(37.0));
        assert_eq!(v[1]["type"], "AggregationEvent");
        assert_eq!((&v[1]["action"], &v[1]["bizStep"]), (&json!("ADD"), &json!("packing")));
        assert_eq!(v[1]["parentID"], item_uri(&tote[0]));
        assert_eq!(v[1]["childEPCs"].as_array().unwrap().len(), 2);
        assert_eq!(
            (&v[0]["eventID"], &v[1]["eventID"]),
            (&json!("urn:hwtrace:entry:50"), &json!("urn:hwtrace:entry:50:1"))
        );
    }

    #[test]
    fn a_split_transforms_one_item_into_its_outputs_in_order() {
        let outputs = codes(&[
            "91500110MA60YNXH0F9002490820261202001",
            "91500110MA60YNXH0F9002490820261202002",
        ]);
        let e = event(
            "split",
            FACILITY,
            json!({"input": drum(), "outputs": [generate_body(100_000), generate_body(85_001)]}),
        );
        let concerned = [codes(&[&drum()]), outputs.clone()].concat();
        let v = json_of(&map_entry(&logged(60, &e, &outputs, &concerned), &Links::default())[0]);
        assert_eq!(
            (&v["type"], &v["bizStep"]),
            (&json!("TransformationEvent"), &json!("repackaging"))
        );
        assert_eq!(
            v["outputEPCList"],
            json!([item_uri(&outputs[0]), item_uri(&outputs[1])])
        );
        let q: Vec<&Value> = v["outputQuantityList"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| &q["quantity"])
            .collect();
        assert_eq!(q, [&json!(100.0), &json!(85.001)]);
        // A split whose labels do not match its outputs is not guessed at.
        assert!(map_entry(&logged(60, &e, &outputs[..1], &concerned), &Links::default()).is_empty());
    }

    #[test]
    fn manifest_changes_stage_and_void() {
        let second = "91500110MA5U8F4X2N9002490820261128002".to_owned();
        let items = codes(&[&drum(), &second]);
        let amend = event(
            "manifest_amend",
            GEN,
            json!({"manifest": MANIFEST, "remove_items": [second], "reason": "第二桶未装满"}),
        );
        let evs = map_entry(&logged(70, &amend, &[], &items), &Links::default());
        let v: Vec<Value> = evs.iter().map(json_of).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0]["bizStep"], "staging_outbound");
        assert_eq!(v[0]["epcList"], json!([item_uri(&items[0])]));
        assert_eq!(v[1]["bizStep"], "void_shipping");
        assert_eq!(v[1]["epcList"], json!([item_uri(&items[1])]));
        let cancel = event(
            "manifest_cancel",
            GEN,
            json!({"manifest": MANIFEST, "reason": "车辆故障"}),
        );
        let v = json_of(&map_entry(&logged(71, &cancel, &[], &items[..1]), &Links::default())[0]);
        assert_eq!(v["bizStep"], "void_shipping");
        assert_eq!(v["hwtrace:reason"], "车辆故障");
    }

    #[test]
    fn corrections_and_explanations_name_the_entry_they_concern() {
        let items = codes(&[&drum()]);
        let correction = event(
            "correction",
            FACILITY,
            json!({"corrects": 118, "item": drum(), "field": "declared_mass_g", "new_value": 184_900,
                   "reason": "未扣除桶重", "signers": [FACILITY, GEN]}),
        );
        let v = json_of(&map_entry(&logged(80, &correction, &[], &items), &Links::default())[0]);
        assert_eq!(v["hwtrace:corrects"], "urn:hwtrace:entry:118");
        assert_eq!(v["hwtrace:newMassKg"], json!(184.9));
        assert_eq!(v["hwtrace:signers"].as_array().unwrap().len(), 2);
        let explanation = event(
            "explanation",
            GEN,
            json!({"item": drum(), "about": 121, "text": "含桶重"}),
        );
        let v = json_of(&map_entry(&logged(81, &explanation, &[], &items), &Links::default())[0]);
        assert_eq!(v["hwtrace:about"], "urn:hwtrace:entry:121");
        assert_eq!(v["action"], "OBSERVE");
    }

    #[test]
    fn the_document_carries_its_context_and_window() {
        let w = window(Some(3), Some(9), 8).unwrap();
        let created = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let v = serde_json::to_value(document("hwtrace.example/log", w, created, Vec::new())).unwrap();
        assert_eq!(v["@context"][0], GS1_CONTEXT);
        assert_eq!(v["@context"][1]["hwtrace"], HWTRACE_NAMESPACE);
        assert_eq!(
            (&v["type"], &v["schemaVersion"]),
            (&json!("EPCISDocument"), &json!("2.0"))
        );
        assert_eq!(v["creationDate"], "2026-12-01T00:00:00Z");
        assert_eq!(
            (&v["hwtrace:from"], &v["hwtrace:to"], &v["hwtrace:next"]),
            (&json!(3), &json!(7), &json!(8))
        );
        assert_eq!(v["epcisBody"]["eventList"], json!([]));
    }
}
