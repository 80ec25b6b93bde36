//! The data of the printed transfer manifest (转移联单, `render::manifest`): the manifest as
//! recorded, its parties, vehicle and driver from the registry, its items' masses from their
//! custody state, and the custody events read from the log entries themselves: the opening
//! and any amendment or cancellation, each release, acceptance, arrival and return under the
//! manifest, and the weighing and reception that ended each item's transfer under it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

use super::{category_of, cst_time, form_zh, kg, Logged, Lookup};
use crate::domain::access::Caller;
use crate::domain::calendar::WorkCalendar;
use crate::domain::custody::StateKind;
use crate::domain::{HazardSet, ManifestNo, VehicleType};
use crate::render::manifest::{EventLine, ItemLine, ManifestPrint, PartyView};
use crate::service::ledger::manifest_view;
use crate::store::StoreResult;

/// (Chinese, English) name of an event type as the manifest shows it.
pub fn event_names(kind: &str) -> (&'static str, &'static str) {
    match kind {
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

/// The entries of the manifest's story: `(seq, logged at, item codes of the manifest it
/// concerns)`, in log order.
fn manifest_entries(
    conn: &Connection,
    look: &mut Lookup<'_>,
    number: &str,
    created_seq: u64,
    items: &[String],
) -> StoreResult<BTreeMap<u64, (String, BTreeSet<String>)>> {
    let mut out: BTreeMap<u64, (String, BTreeSet<String>)> = BTreeMap::new();
    let mut stmt =
        conn.prepare_cached("SELECT h.seq, h.at FROM item_history h WHERE h.item = ?1 AND h.seq >= ?2 ORDER BY h.seq")?;
    for item in items {
        let rows: Vec<(i64, String)> = stmt
            .query_map(params![item, created_seq as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        // While the item travels under this manifest (from an entry naming it until the
        // reception or the cancellation), its weighings, incidents, corrections and its
        // reception belong to the manifest's story too.
        let mut on = false;
        for (seq, at) in rows {
            let seq = seq as u64;
            let e = look.entry(seq)?;
            let under = e.manifest.as_deref() == Some(number);
            let belongs = under || (on && matches!(e.kind.as_str(), "weigh" | "receive" | "incident" | "correction"));
            if e.manifest.is_some() {
                on = under && e.kind != "manifest_cancel";
            }
            if e.kind == "receive" {
                on = false;
            }
            if belongs || seq == created_seq {
                out.entry(seq)
                    .or_insert_with(|| (at, BTreeSet::new()))
                    .1
                    .insert(item.clone());
            }
        }
    }
    Ok(out)
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
    let issuer = party_view(conn, &view.issuer, "移出人".into(), "Consignor (issuer)".into())?;
    let mut transporters = Vec::with_capacity(view.transporters.len());
    for (i, t) in view.transporters.iter().enumerate() {
        let (zh, en) = if view.transporters.len() == 1 {
            ("承运人".to_owned(), "Transporter".to_owned())
        } else {
            (
                format!("第{}承运人", ordinal_zh(i)),
                format!("{} transporter", ordinal_en(i)),
            )
        };
        transporters.push(party_view(conn, t, zh, en)?);
    }
    let mut receiver = party_view(conn, &view.receiver, "接受人".into(), "Receiver".into())?;
    let look = Lookup::new(conn);
    if let Some(permit) = look.permit_on(&view.receiver, &view.planned_date)? {
        receiver
            .extra
            .push(("危险废物经营许可证编号".into(), "Permit".into(), permit));
    }
    let vehicle_type: String = conn
        .prepare_cached("SELECT vehicle_type FROM vehicles WHERE plate = ?1")?
        .query_row([&view.vehicle_plate], |r| r.get::<_, String>(0))
        .optional()?
        .map(|t| VehicleType::parse(&t).map_or(t, |v| v.named().name_zh.to_owned()))
        .unwrap_or_default();
    let (driver_name, driver_phone): (String, String) = conn
        .prepare_cached("SELECT name, phone FROM drivers WHERE licence_no = ?1")?
        .query_row([&view.driver_licence], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .unwrap_or_default();

    let mut items = Vec::with_capacity(view.items.len());
    let (mut total_declared, mut total_accepted) = (0u64, 0u64);
    for it in &view.items {
        type Row = (String, i64, String, i64, Option<String>);
        let (form, hazard_bits, packaging, mass_g, custody): Row = conn
            .prepare_cached("SELECT form, hazard_bits, packaging, mass_g, custody FROM items WHERE code = ?1")?
            .query_row([&it.code], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
        let state = custody
            .as_deref()
            .map(crate::store::projection::parse_state)
            .transpose()?;
        let declared = state.as_ref().map_or(mass_g.max(0) as u64, |s| s.declared.0);
        let opt_kg = |g: Option<u64>| g.map(kg).unwrap_or_default();
        let accepted = state.as_ref().and_then(|s| s.accepted).map(|g| g.0);
        total_declared += declared;
        total_accepted += accepted.unwrap_or(0);
        items.push(ItemLine {
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
            weighed: opt_kg(state.as_ref().and_then(|s| s.weighed).map(|g| g.0)),
            accepted: opt_kg(accepted),
            refused: opt_kg(state.as_ref().map(|s| s.refused.0).filter(|g| *g > 0)),
            state: StateKind::parse(&it.state).map_or_else(|_| it.state.clone(), |k| k.named().name_zh.to_owned()),
        });
    }

    let mut look = look;
    let codes: Vec<String> = view.items.iter().map(|i| i.code.clone()).collect();
    let created_seq = view.created_seq.max(0) as u64;
    let mut events = Vec::new();
    for (seq, (at, concerned)) in manifest_entries(conn, &mut look, number.as_str(), created_seq, &codes)? {
        let e = look.entry(seq)?;
        events.push(event_line(&mut look, seq, &at, &e, concerned.into_iter().collect())?);
    }
    Ok(ManifestPrint {
        number: view.number,
        cancelled: view.state == "cancelled",
        issuer,
        transporters,
        receiver,
        vehicle_plate: view.vehicle_plate,
        vehicle_type,
        driver_name,
        driver_licence: view.driver_licence,
        driver_phone,
        planned_date: view.planned_date,
        approval: view.approval.unwrap_or_default(),
        created_seq,
        receipt_due: view.receipt_due.map(|d| d.to_string()).unwrap_or_default(),
        items,
        total_declared: kg(total_declared),
        total_accepted: if total_accepted > 0 {
            kg(total_accepted)
        } else {
            String::new()
        },
        events,
        printed_cst,
        log_origin: log_origin.to_owned(),
    })
}
