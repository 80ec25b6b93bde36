//! The data of the printed transfer manifest (转移联单, `render::manifest`): the manifest as
//! recorded, its parties from the registry, one leg per carrier (vehicle, road transport
//! certificate, driver, hand-over time and place), the items with the values they had **under
//! this manifest** (read from their `item_history` rows and the entries of the manifest's
//! story, never from their state now: a refused item that later went home under a return
//! manifest prints on each manifest that manifest's masses and decision), the receiver's
//! decision and treatment method, the emergency measures, the exemptions of the national list
//! for its waste codes, and the custody events read from the log entries themselves: the
//! opening and any amendment or cancellation, each release, acceptance, arrival and return
//! under the manifest, and the weighing and reception that ended each item's transfer under it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::{category_of, cst_time, form_zh, kg, Logged, Lookup};
use crate::domain::access::Caller;
use crate::domain::calendar::WorkCalendar;
use crate::domain::custody::StateKind;
use crate::domain::{HazardSet, ManifestNo, TreatmentMethod, VehicleType};
use crate::render::hazard_text::emergency_default;
use crate::render::manifest::{EventLine, ExemptionLine, ItemLine, Leg, ManifestPrint, PartyView};
use crate::service::ledger::manifest_view;
use crate::store::reference::{active_exemptions, exemptions_of};
use crate::store::StoreResult;

/// (Chinese, English) name of an event type, as the manifest and the public label page show
/// it.
pub fn event_names(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "generate" => ("产生并贴签", "generated and labelled"),
        "store" => ("入库贮存", "stored"),
        "treat" => ("利用/处置", "treated"),
        "consolidate" => ("合并包装", "consolidated"),
        "split" => ("分装", "split"),
        "explanation" => ("差异说明", "discrepancy explained"),
        "acknowledge" => ("告警确认", "alert acknowledged"),
        "manifest_open" => ("开立联单", "manifest opened"),
        "manifest_amend" => ("变更联单", "manifest amended"),
        "manifest_cancel" => ("作废联单", "manifest cancelled"),
        "release" => ("移出放行", "released"),
        "accept" => ("承运签收", "accepted by the transporter"),
        "arrive" => ("运抵", "arrived at the receiver"),
        "weigh" => ("过磅", "weighed"),
        "receive" => ("接收确认", "receipt decided"),
        "return" => ("退回运输", "return transport"),
        "incident" => ("事故", "incident"),
        "correction" => ("更正", "correction"),
        _ => ("其他", "other"),
    }
}

fn party_view(conn: &Connection, uscc: &str, role_zh: String, role_en: String) -> StoreResult<PartyView> {
    type Row = (String, Option<String>, String, String, String);
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT name_zh, name_en, address, contact_name, contact_phone FROM enterprises WHERE uscc = ?1",
        )?
        .query_row([uscc], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .optional()?;
    let (name_zh, name_en, address, contact_name, contact_phone) = row.unwrap_or_default();
    Ok(PartyView {
        role_zh,
        role_en,
        uscc: uscc.to_owned(),
        name_zh,
        name_en: name_en.unwrap_or_default(),
        address,
        contact_name,
        contact_phone,
        extra: Vec::new(),
    })
}

fn ordinal_zh(i: usize) -> String {
    const N: [&str; 5] = ["一", "二", "三", "四", "五"];
    N.get(i).map_or_else(|| (i + 1).to_string(), |s| (*s).to_owned())
}

fn ordinal_en(i: usize) -> &'static str {
    ["first", "second", "third", "fourth", "fifth"]
        .get(i)
        .copied()
        .unwrap_or("next")
}

/// Masses, decisions and reasons an entry records, as one line of text.
fn detail(e: &Logged) -> String {
    let p = &e.payload;
    let g = |k: &str| p.get(k).and_then(Value::as_u64).map(|g| format!("{} kg", kg(g)));
    let s = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
    let parts: Vec<String> = match e.kind.as_str() {
        "weigh" => vec![g("weighed_mass_g").map(|m| format!("过磅 weighed {m}"))],
        "receive" => vec![
            s("decision").map(|d| format!("决定 decision: {d}")),
            g("accepted_mass_g").map(|m| format!("接收 accepted {m}")),
            g("refused_mass_g")
                .filter(|_| p["refused_mass_g"].as_u64() != Some(0))
                .map(|m| format!("拒收 refused {m}")),
            s("reason"),
        ],
        "release" => vec![s("to").map(|t| format!("交付 to {t}"))],
        "manifest_amend" | "manifest_cancel" => vec![s("reason")],
        _ => Vec::new(),
    }
    .into_iter()
    .flatten()
    .collect();
    parts.join("；")
}

fn event_line(
    look: &mut Lookup<'_>,
    seq: u64,
    logged_at: &str,
    e: &Logged,
    items: Vec<String>,
) -> StoreResult<EventLine> {
    let (zh, en) = event_names(&e.kind);
    let device_cst = chrono::DateTime::parse_from_rfc3339(&e.device_at)
        .map(|t| {
            t.with_timezone(&crate::time::cst())
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| e.device_at.clone());
    Ok(EventLine {
        seq,
        kind_zh: zh.to_owned(),
        kind_en: en.to_owned(),
        logged_cst: cst_time(logged_at),
        device_cst,
        signer_name: look.name(&e.actor)?,
        signer: e.signer(),
        key_ids: e.key_ids.join(", "),
        items,
        detail: detail(e),
    })
}

/// One `item_history` row of an item while it was under the manifest.
#[derive(Debug, Clone)]
struct StoryRow {
    seq: u64,
    at: String,
    event: String,
    state: String,
    mass_g: u64,
}

/// The manifest's story: the entries that belong to it (`seq` → (logged at, the manifest's
/// items it concerns)), and each item's history rows among them, in log order.
struct Story {
    entries: BTreeMap<u64, (String, BTreeSet<String>)>,
    rows: HashMap<String, Vec<StoryRow>>,
}

fn story(
    conn: &Connection,
    look: &mut Lookup<'_>,
    number: &str,
    created_seq: u64,
    items: &[String],
) -> StoreResult<Story> {
    let mut entries: BTreeMap<u64, (String, BTreeSet<String>)> = BTreeMap::new();
    let mut rows_of: HashMap<String, Vec<StoryRow>> = HashMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at, event, state, mass_g FROM item_history WHERE item = ?1 AND seq >= ?2 ORDER BY seq",
    )?;
    for item in items {
        let rows: Vec<StoryRow> = stmt
            .query_map(params![item, created_seq as i64], |r| {
                Ok(StoryRow {
                    seq: r.get::<_, i64>(0)? as u64,
                    at: r.get(1)?,
                    event: r.get(2)?,
                    state: r.get(3)?,
                    mass_g: r.get::<_, i64>(4)?.max(0) as u64,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        // While the item travels under this manifest (from an entry naming it until the
        // reception or the cancellation), its weighings, incidents, corrections and its
        // reception belong to the manifest's story too.
        let mut on = false;
        let mine = rows_of.entry(item.clone()).or_default();
        for row in rows {
            let e = look.entry(row.seq)?;
            let under = e.manifest.as_deref() == Some(number);
            let belongs = under || (on && matches!(e.kind.as_str(), "weigh" | "receive" | "incident" | "correction"));
            if e.manifest.is_some() {
                on = under && e.kind != "manifest_cancel";
            }
            if e.kind == "receive" {
                on = false;
            }
            if belongs || row.seq == created_seq {
                entries
                    .entry(row.seq)
                    .or_insert_with(|| (row.at.clone(), BTreeSet::new()))
                    .1
                    .insert(item.clone());
                mine.push(row);
            }
        }
    }
    Ok(Story { entries, rows: rows_of })
}

/// The receiver's decision in Chinese, with the reason of a refusal.
fn decision_zh(payload: &Value) -> String {
    let reason = payload.get("reason").and_then(Value::as_str).unwrap_or("");
    let with_reason = |d: &str| {
        if reason.is_empty() {
            d.to_owned()
        } else {
            format!("{d}：{reason}")
        }
    };
    match payload.get("decision").and_then(Value::as_str) {
        Some("accept") => "接收".to_owned(),
        Some("refuse") => with_reason("拒收"),
        Some("partial") => with_reason("部分接收"),
        _ => String::new(),
    }
}

/// What the receiver did with an accepted item after the reception at `seq`: the method of its
/// treatment, or its repacking ("" while it waits).
fn receiver_method(conn: &Connection, item: &str, receiver: &str, seq: u64) -> StoreResult<String> {
    let next: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "SELECT event, method FROM item_history WHERE item = ?1 AND seq > ?2 AND holder = ?3
             AND event IN ('treat', 'consolidate', 'split') ORDER BY seq LIMIT 1",
        )?
        .query_row(params![item, seq as i64, receiver], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match next {
        Some((event, Some(m))) if event == "treat" => {
            TreatmentMethod::parse(&m).map_or(m, |t| t.named().name_zh.to_owned())
        }
        Some((event, _)) if event == "consolidate" => "合并包装（待处置）".to_owned(),
        Some((event, _)) if event == "split" => "分装（待处置）".to_owned(),
        _ => String::new(),
    })
}

/// The item's line: its values under this manifest, from its story rows and their entries;
/// with the masses booked and accepted (grams) and its hazard bits.
fn item_line(
    conn: &Connection,
    look: &mut Lookup<'_>,
    it: &crate::service::ledger::ManifestItemView,
    rows: &[StoryRow],
    receiver: &str,
) -> StoreResult<(ItemLine, u64, u64, u8)> {
    type Row = (String, i64, String, i64);
    let (form, hazard_bits, packaging, mass_now): Row = conn
        .prepare_cached("SELECT form, hazard_bits, packaging, mass_g FROM items WHERE code = ?1")?
        .query_row([&it.code], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    // As booked: the mass the log held at the first entry of the story; an item booked before
    // the story starts (none) falls back to its registered mass.
    let declared = rows.first().map_or(mass_now.max(0) as u64, |r| r.mass_g);
    let weighed = rows.iter().rev().find(|r| r.event == "weigh").map(|r| r.mass_g);
    let mut line = ItemLine {
        code: it.code.clone(),
        waste_code: it.waste_code.clone(),
        waste_name: it.waste_name.clone(),
        category: category_of(&it.waste_code),
        form: form_zh(&form),
        hazards: HazardSet::from_bits(hazard_bits as u8)
            .map(|h| h.to_string())
            .unwrap_or_default(),
        packaging,
        declared: kg(declared),
        weighed: weighed.map(kg).unwrap_or_default(),
        ..ItemLine::default()
    };
    let mut accepted_g = 0;
    if let Some(r) = rows.iter().rev().find(|r| r.event == "receive") {
        let e = look.entry(r.seq)?;
        let g = |k: &str| e.payload.get(k).and_then(Value::as_u64);
        accepted_g = g("accepted_mass_g").unwrap_or(0);
        line.accepted = g("accepted_mass_g").filter(|g| *g > 0).map(kg).unwrap_or_default();
        line.refused = g("refused_mass_g").filter(|g| *g > 0).map(kg).unwrap_or_default();
        line.decision = decision_zh(&e.payload);
        if accepted_g > 0 {
            line.method = receiver_method(conn, &it.code, receiver, r.seq)?;
        }
    }
    line.state = rows.last().map_or_else(
        || it.state.clone(),
        |r| StateKind::parse(&r.state).map_or_else(|_| r.state.clone(), |k| k.named().name_zh.to_owned()),
    );
    Ok((line, declared, accepted_g, hazard_bits as u8))
}

/// The vehicle's type (Chinese) and road transport certificate number from the registry.
fn vehicle_of(conn: &Connection, plate: &str) -> StoreResult<(String, String)> {
    let row: Option<(String, Option<String>)> = conn
        .prepare_cached("SELECT vehicle_type, road_transport_cert FROM vehicles WHERE plate = ?1")?
        .query_row([plate], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(row
        .map(|(t, cert)| {
            (
                VehicleType::parse(&t).map_or(t, |v| v.named().name_zh.to_owned()),
                cert.unwrap_or_default(),
            )
        })
        .unwrap_or_default())
}

/// The driver's name and phone from the registry.
fn driver_of(conn: &Connection, licence: &str) -> StoreResult<(String, String)> {
    Ok(conn
        .prepare_cached("SELECT name, phone FROM drivers WHERE licence_no = ?1")?
        .query_row([licence], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_default())
}

/// Where a return manifest's items were refused: the address of the refusing receiver.
fn refused_at(conn: &Connection, look: &mut Lookup<'_>, items: &[String], before: u64) -> StoreResult<Option<String>> {
    for item in items {
        let seq: Option<i64> = conn
            .prepare_cached(
                "SELECT seq FROM item_history WHERE item = ?1 AND seq < ?2 AND event = 'receive' AND state = 'refused'
                 ORDER BY seq DESC LIMIT 1",
            )?
            .query_row(params![item, before as i64], |r| r.get(0))
            .optional()?;
        if let Some(seq) = seq {
            let actor = look.entry(seq as u64)?.actor.clone();
            return Ok(Some(address_of(conn, &actor)?));
        }
    }
    Ok(None)
}

fn address_of(conn: &Connection, uscc: &str) -> StoreResult<String> {
    Ok(conn
        .prepare_cached("SELECT address FROM enterprises WHERE uscc = ?1")?
        .query_row([uscc], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

/// The licensed methods of the receiver's permit valid on `day`, Chinese, joined.
fn permit_methods(conn: &Connection, permit: &str) -> StoreResult<String> {
    let mut stmt = conn.prepare_cached("SELECT method FROM permit_capacities WHERE permit = ?1 ORDER BY method")?;
    let methods: Vec<String> = stmt
        .query_map([permit], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(|m| TreatmentMethod::parse(&m).map_or(m, |t| t.named().name_zh.to_owned()))
        .collect();
    let landfill: bool = conn
        .prepare_cached("SELECT landfill_volume_m3 IS NOT NULL FROM permits WHERE number = ?1")?
        .query_row([permit], |r| r.get(0))
        .optional()?
        .unwrap_or(false);
    let mut all = methods;
    let landfill_zh = TreatmentMethod::Landfill.named().name_zh;
    if landfill && !all.iter().any(|m| m == landfill_zh) {
        all.push(landfill_zh.to_owned());
    }
    Ok(all.join("、"))
}

fn opt_cst(at: Option<&String>) -> String {
    at.map(|a| cst_time(a)).unwrap_or_default()
}

/// One leg per transporter: its vehicle and driver (the first from the manifest unless its
/// acceptance names others, the next ones from their acceptance under the manifest), when
/// and where it took the items over, and where its leg ends.
#[allow(clippy::too_many_arguments)]
fn legs(
    conn: &Connection,
    look: &mut Lookup<'_>,
    view: &crate::service::ledger::ManifestView,
    story: &Story,
    start_place: &str,
    end_place: &str,
    first_pickup: &str,
) -> StoreResult<Vec<Leg>> {
    let n = view.transporters.len();
    let mut legs = Vec::with_capacity(n);
    for (i, t) in view.transporters.iter().enumerate() {
        let (zh, en) = if n == 1 {
            ("承运人".to_owned(), "Transporter".to_owned())
        } else {
            (
                format!("第{}承运人", ordinal_zh(i)),
                format!("{} transporter", ordinal_en(i)),
            )
        };
        let carrier = party_view(conn, t, zh, en)?;
        // The carrier's first taking-over under this manifest: its `accept`, or for the first
        // carrier of a return manifest its `return`.
        let mut taken: Option<(String, Value)> = None;
        for (seq, (at, _)) in &story.entries {
            let e = look.entry(*seq)?;
            if &e.actor == t && (e.kind == "accept" || (i == 0 && e.kind == "return")) {
                taken = Some((at.clone(), e.payload.clone()));
                break;
            }
        }
        let named = |k: &str| {
            taken
                .as_ref()
                .and_then(|(_, p)| p.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let plate = named("vehicle_plate").or_else(|| (i == 0).then(|| view.vehicle_plate.clone()));
        let licence = named("driver_licence").or_else(|| (i == 0).then(|| view.driver_licence.clone()));
        let (vehicle_type, road_transport_cert) = match &plate {
            Some(p) => vehicle_of(conn, p)?,
            None => Default::default(),
        };
        let (driver_name, driver_phone) = match &licence {
            Some(l) => driver_of(conn, l)?,
            None => Default::default(),
        };
        let handover_place =
            named("handover_place").unwrap_or_else(|| if i == 0 { first_pickup.to_owned() } else { String::new() });
        legs.push(Leg {
            carrier,
            vehicle_plate: plate.unwrap_or_default(),
            vehicle_type,
            road_transport_cert,
            driver_name,
            driver_licence: licence.unwrap_or_default(),
            driver_phone,
            from_place: String::new(),
            to_place: String::new(),
            handover_cst: opt_cst(taken.as_ref().map(|(at, _)| at)),
            handover_place,
        });
    }
    // A leg runs from its hand-over place to the next one's; the first from the route's start,
    // the last to the route's end.
    for i in 0..legs.len() {
        legs[i].from_place = if i == 0 {
            start_place.to_owned()
        } else {
            legs[i].handover_place.clone()
        };
        legs[i].to_place = match legs.get(i + 1) {
            Some(next) => next.handover_place.clone(),
            None => end_place.to_owned(),
        };
    }
    Ok(legs)
}

/// The printed manifest `number`, if `caller` may see it (as `GET /api/v1/manifests/{number}`
/// decides), as of `today` (CST) and `printed_cst`.
pub fn manifest_print(
    conn: &Connection,
    caller: &Caller,
    number: &ManifestNo,
    calendar: &WorkCalendar,
    today: NaiveDate,
    printed_cst: String,
    log_origin: &str,
) -> StoreResult<ManifestPrint> {
    let view = manifest_view(conn, caller, number, calendar, today)?;
    let is_return = view.issuer == view.receiver;
    let issuer = party_view(conn, &view.issuer, "移出人".into(), "Consignor (issuer)".into())?;
    let mut receiver = party_view(conn, &view.receiver, "接受人".into(), "Receiver".into())?;
    let mut look = Lookup::new(conn);
    let permit = look.permit_on(&view.receiver, &view.planned_date)?;
    let receiver_methods = match &permit {
        Some(p) => permit_methods(conn, p)?,
        None => String::new(),
    };
    if let Some(permit) = permit {
        receiver
            .extra
            .push(("危险废物经营许可证编号".into(), "Permit".into(), permit));
    }

    let codes: Vec<String> = view.items.iter().map(|i| i.code.clone()).collect();
    let created_seq = view.created_seq.max(0) as u64;
    let story = story(conn, &mut look, number.as_str(), created_seq, &codes)?;

    // The route: from the consignor's address (for a return: where the items were refused)
    // to the receiver's.
    let route_start = if is_return {
        refused_at(conn, &mut look, &codes, created_seq)?.unwrap_or_else(|| issuer.address.clone())
    } else {
        issuer.address.clone()
    };
    let route_end = receiver.address.clone();
    let legs = legs(conn, &mut look, &view, &story, &route_start, &route_end, &route_start)?;

    let mut items = Vec::with_capacity(view.items.len());
    let (mut total_declared, mut total_accepted) = (0u64, 0u64);
    let mut hazard_bits = 0u8;
    let mut receipt_due: Option<NaiveDate> = None;
    for it in &view.items {
        let rows = story.rows.get(&it.code).map(Vec::as_slice).unwrap_or_default();
        let (line, declared, accepted, bits) = item_line(conn, &mut look, it, rows, &view.receiver)?;
        hazard_bits |= bits;
        total_declared += declared;
        total_accepted += accepted;
        // Waiting at the gate under this manifest: receipt is due within the working days.
        if let Some(last) = rows.last().filter(|r| r.state == "arrived") {
            if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&last.at) {
                let due = calendar.receipt_due(crate::time::cst_date(t.with_timezone(&chrono::Utc)));
                receipt_due = Some(receipt_due.map_or(due, |d| d.min(due)));
            }
        }
        items.push(line);
    }

    let mut events = Vec::new();
    let (mut departed, mut arrived, mut received) = (None, None, None);
    let mut declared_measures = None;
    for (seq, (at, concerned)) in &story.entries {
        let e = look.entry(*seq)?;
        match e.kind.as_str() {
            "manifest_open" if *seq == created_seq => {
                declared_measures = e
                    .payload
                    .get("emergency_measures")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            "accept" | "return" => {
                departed.get_or_insert(at.clone());
            }
            "arrive" => {
                arrived.get_or_insert(at.clone());
            }
            "receive" => received = Some(at.clone()),
            _ => {}
        }
        events.push(event_line(
            &mut look,
            *seq,
            at,
            &e,
            concerned.iter().cloned().collect(),
        )?);
    }
    let letters = HazardSet::from_bits(hazard_bits)
        .map(|h| h.letters())
        .unwrap_or_default();
    let emergency_declared = declared_measures.is_some();
    let emergency_measures = declared_measures.unwrap_or_else(|| emergency_default(&letters));

    let exemption_rows = active_exemptions(conn)?;
    let mut exemptions = Vec::new();
    let waste_codes: BTreeSet<&str> = view.items.iter().map(|i| i.waste_code.as_str()).collect();
    for code in waste_codes {
        for x in exemptions_of(&exemption_rows, code) {
            exemptions.push(ExemptionLine {
                waste_code: code.to_owned(),
                stage_zh: x.stage,
                stage_en: x.stage_en,
                exemption: x.exemption,
                condition: x.condition,
            });
        }
    }

    Ok(ManifestPrint {
        number: view.number,
        cancelled: view.state == "cancelled",
        is_return,
        issuer,
        receiver,
        legs,
        route_start,
        route_end,
        planned_date: view.planned_date,
        approval: view.approval.unwrap_or_default(),
        opened_cst: story
            .entries
            .get(&created_seq)
            .map(|(at, _)| cst_time(at))
            .unwrap_or_default(),
        departed_cst: opt_cst(departed.as_ref()),
        arrived_cst: opt_cst(arrived.as_ref()),
        received_cst: opt_cst(received.as_ref()),
        emergency_measures,
        emergency_declared,
        receiver_methods,
        created_seq,
        receipt_due: receipt_due.map(|d| d.to_string()).unwrap_or_default(),
        items,
        total_declared: kg(total_declared),
        total_accepted: if total_accepted > 0 {
            kg(total_accepted)
        } else {
            String::new()
        },
        exemptions,
        events,
        printed_cst,
        log_origin: log_origin.to_owned(),
    })
}
