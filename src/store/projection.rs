//! The custody projection: an item's [`ItemState`] as stored in `items.custody` (JSON, with
//! `state` and `holder` kept in step for the queries that read them), and the manifests as
//! recorded in `manifests` and `manifest_items`. Used by the writer (`ingest::apply`).

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

use crate::domain::custody::{Custody, Discrepancy, ItemState, ManifestRecord};
use crate::domain::waste::waste_digits;
use crate::domain::{Grams, ItemCode, ManifestNo, Plate, TreatmentMethod, Uscc, WasteCode};
use crate::store::{StoreError, StoreResult};
use crate::time::rfc3339;

fn custody_json(c: &Custody) -> Value {
    let kind = c.kind().code();
    match c {
        Custody::Stored | Custody::Received | Custody::Lost => json!({"state": kind}),
        Custody::Released { to, manifest } => json!({"state": kind, "to": to, "manifest": manifest.as_str()}),
        Custody::InTransit { carrier, manifest } => {
            json!({"state": kind, "carrier": carrier, "manifest": manifest.as_str()})
        }
        Custody::Arrived { manifest } | Custody::Refused { manifest } => {
            json!({"state": kind, "manifest": manifest.as_str()})
        }
        Custody::Treated { method } => json!({"state": kind, "method": method.code()}),
        Custody::Consolidated { into } => json!({"state": kind, "into": into.as_str()}),
        Custody::Split { into } => {
            json!({"state": kind, "into": into.iter().map(ItemCode::as_str).collect::<Vec<_>>()})
        }
    }
}

/// The JSON stored in `items.custody`.
pub fn state_json(s: &ItemState) -> String {
    let codes = |v: &[ItemCode]| v.iter().map(ItemCode::as_str).map(String::from).collect::<Vec<_>>();
    json!({
        "code": s.code.as_str(),
        "generator": s.generator,
        "waste_code": s.waste_code,
        "holder": s.holder,
        "custody": custody_json(&s.custody),
        "manifest": s.manifest.as_ref().map(ManifestNo::as_str),
        "storage_place": s.storage_place,
        "mass_g": s.mass.0,
        "declared_g": s.declared.0,
        "weighed_g": s.weighed.map(|g| g.0),
        "weighed_by": s.weighed_by,
        "accepted_g": s.accepted.map(|g| g.0),
        "refused_g": s.refused.0,
        "lost_g": s.lost.0,
        "treated_g": s.treated.map(|g| g.0),
        "volume_l": s.volume_l,
        "inputs": codes(&s.inputs),
        "outputs": codes(&s.outputs),
        "discrepancy": s.discrepancy.map(|d| json!({
            "expected_g": d.expected.0, "weighed_g": d.weighed.0, "answered": d.answered
        })),
        "created_seq": s.created_seq,
        "last_seq": s.last_seq,
        "last_at": s.last_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        "state_since": rfc3339(s.state_since),
    })
    .to_string()
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Other(format!("stored custody state: bad {what}"))
}

struct Reader<'a>(&'a Value);

impl Reader<'_> {
    fn str(&self, k: &str) -> StoreResult<&str> {
        self.0.get(k).and_then(Value::as_str).ok_or_else(|| corrupt(k))
    }
    fn opt_str(&self, k: &str) -> Option<&str> {
        self.0.get(k).and_then(Value::as_str)
    }
    fn u64(&self, k: &str) -> StoreResult<u64> {
        self.0.get(k).and_then(Value::as_u64).ok_or_else(|| corrupt(k))
    }
    fn opt_u64(&self, k: &str) -> Option<u64> {
        self.0.get(k).and_then(Value::as_u64)
    }
    fn uscc(&self, k: &str) -> StoreResult<Uscc> {
        Uscc::parse(self.str(k)?).map_err(|_| corrupt(k))
    }
    fn manifest(&self, k: &str) -> StoreResult<ManifestNo> {
        ManifestNo::parse(self.str(k)?).map_err(|_| corrupt(k))
    }
    fn codes(&self, k: &str) -> StoreResult<Vec<ItemCode>> {
        self.0
            .get(k)
            .and_then(Value::as_array)
            .ok_or_else(|| corrupt(k))?
            .iter()
            .map(|v| {
                v.as_str()
                    .and_then(|s| ItemCode::parse(s).ok())
                    .ok_or_else(|| corrupt(k))
            })
            .collect()
    }
}

fn parse_custody(v: &Value) -> StoreResult<Custody> {
    let r = Reader(v);
    Ok(match r.str("state")? {
        "stored" => Custody::Stored,
        "received" => Custody::Received,
        "lost" => Custody::Lost,
        "released" => Custody::Released {
            to: r.uscc("to")?,
            manifest: r.manifest("manifest")?,
        },
        "in_transit" => Custody::InTransit {
            carrier: r.uscc("carrier")?,
            manifest: r.manifest("manifest")?,
        },
        "arrived" => Custody::Arrived {
            manifest: r.manifest("manifest")?,
        },
        "refused" => Custody::Refused {
            manifest: r.manifest("manifest")?,
        },
        "treated" => Custody::Treated {
            method: TreatmentMethod::parse(r.str("method")?).map_err(|_| corrupt("method"))?,
        },
        "consolidated" => Custody::Consolidated {
            into: ItemCode::parse(r.str("into")?).map_err(|_| corrupt("into"))?,
        },
        "split" => Custody::Split { into: r.codes("into")? },
        _ => return Err(corrupt("state")),
    })
}

/// Reads back what [`state_json`] wrote.
pub fn parse_state(text: &str) -> StoreResult<ItemState> {
    let v: Value = serde_json::from_str(text).map_err(|_| corrupt("JSON"))?;
    let r = Reader(&v);
    let waste = WasteCode::from_trusted_digits(waste_digits(r.str("waste_code")?).map_err(|_| corrupt("waste_code"))?);
    let discrepancy = match v.get("discrepancy") {
        Some(d) if d.is_object() => {
            let d = Reader(d);
            Some(Discrepancy {
                expected: Grams(d.u64("expected_g")?),
                weighed: Grams(d.u64("weighed_g")?),
                answered: d.0.get("answered").and_then(Value::as_bool).unwrap_or(false),
            })
        }
        _ => None,
    };
    Ok(ItemState {
        code: ItemCode::parse(r.str("code")?).map_err(|_| corrupt("code"))?,
        generator: r.uscc("generator")?,
        waste_code: waste,
        holder: r.uscc("holder")?,
        custody: parse_custody(v.get("custody").ok_or_else(|| corrupt("custody"))?)?,
        manifest: r
            .opt_str("manifest")
            .map(ManifestNo::parse)
            .transpose()
            .map_err(|_| corrupt("manifest"))?,
        storage_place: r.str("storage_place")?.to_owned(),
        mass: Grams(r.u64("mass_g")?),
        declared: Grams(r.u64("declared_g")?),
        weighed: r.opt_u64("weighed_g").map(Grams),
        weighed_by: r
            .opt_str("weighed_by")
            .map(Uscc::parse)
            .transpose()
            .map_err(|_| corrupt("weighed_by"))?,
        accepted: r.opt_u64("accepted_g").map(Grams),
        refused: Grams(r.u64("refused_g")?),
        lost: Grams(r.u64("lost_g")?),
        treated: r.opt_u64("treated_g").map(Grams),
        volume_l: r.opt_u64("volume_l").and_then(|l| u32::try_from(l).ok()),
        inputs: r.codes("inputs")?,
        // Absent in rows written before outputs were projected: none recorded then.
        outputs: if v.get("outputs").is_some() {
            r.codes("outputs")?
        } else {
            Vec::new()
        },
        discrepancy,
        created_seq: r.u64("created_seq")?,
        last_seq: r.u64("last_seq")?,
        // Absent in rows written before event times were ordered: the state's logged time
        // is the nearest bound the row holds.
        last_at: DateTime::parse_from_rfc3339(r.opt_str("last_at").unwrap_or(r.str("state_since")?))
            .map_err(|_| corrupt("last_at"))?
            .with_timezone(&Utc),
        state_since: DateTime::parse_from_rfc3339(r.str("state_since")?)
            .map_err(|_| corrupt("state_since"))?
            .with_timezone(&Utc),
    })
}

/// The item's custody state, `None` if no such item exists. An item that has seen nothing
/// but its `generate` has no stored state yet: it is stored at its generator.
pub fn load_item(conn: &Connection, code: &ItemCode) -> StoreResult<Option<ItemState>> {
    type Row = (Option<String>, String, String, String, i64, String, String, i64, i64);
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT custody, generator, waste_code, holder, mass_g, storage_place, generated_at, created_seq, last_seq
             FROM items WHERE code = ?1",
        )?
        .query_row([code.as_str()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })
        .optional()?;
    let Some((custody, generator, waste, holder, mass, place, generated_at, created, last)) = row else {
        return Ok(None);
    };
    if let Some(text) = custody {
        return parse_state(&text).map(Some);
    }
    let mass = Grams(u64::try_from(mass).map_err(|_| corrupt("mass_g"))?);
    let generated_at = DateTime::parse_from_rfc3339(&generated_at)
        .map_err(|_| corrupt("generated_at"))?
        .with_timezone(&Utc);
    Ok(Some(ItemState {
        code: code.clone(),
        generator: Uscc::parse(&generator).map_err(|_| corrupt("generator"))?,
        waste_code: WasteCode::from_trusted_digits(waste_digits(&waste).map_err(|_| corrupt("waste_code"))?),
        holder: Uscc::parse(&holder).map_err(|_| corrupt("holder"))?,
        custody: Custody::Stored,
        manifest: None,
        storage_place: place,
        mass,
        declared: mass,
        weighed: None,
        weighed_by: None,
        accepted: None,
        refused: Grams(0),
        lost: Grams(0),
        treated: None,
        volume_l: None,
        inputs: Vec::new(),
        outputs: Vec::new(),
        discrepancy: None,
        created_seq: created as u64,
        last_seq: last as u64,
        last_at: generated_at,
        state_since: generated_at,
    }))
}

/// Writes an item's new custody state, keeping `state`, `holder`, `storage_place` and
/// `last_seq` in step.
pub fn store_item(conn: &Connection, s: &ItemState) -> StoreResult<()> {
    let n = conn
        .prepare_cached(
            "UPDATE items SET custody = ?2, state = ?3, holder = ?4, storage_place = ?5, last_seq = ?6 WHERE code = ?1",
        )?
        .execute(params![
            s.code.as_str(),
            state_json(s),
            s.kind().code(),
            s.holder.as_str(),
            s.storage_place,
            s.last_seq as i64
        ])?;
    if n != 1 {
        return Err(StoreError::Other(format!("no items row for {}", s.code)));
    }
    Ok(())
}

/// Records the item's state after entry `seq`, logged at `at`, in its history.
pub fn record_history(conn: &Connection, s: &ItemState, seq: u64, at: DateTime<Utc>, event: &str) -> StoreResult<()> {
    let method = match &s.custody {
        Custody::Treated { method } => Some(method.code()),
        _ => None,
    };
    conn.prepare_cached(
        "INSERT INTO item_history(item, seq, at, event, state, holder, mass_g, treated_g, method, volume_l)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        s.code.as_str(),
        seq as i64,
        crate::time::rfc3339(at),
        event,
        s.kind().code(),
        s.holder.as_str(),
        s.mass.0 as i64,
        s.treated.map(|g| g.0 as i64),
        method,
        s.volume_l
    ])?;
    Ok(())
}

/// A recorded manifest, `None` if the number was never assigned.
pub fn load_manifest(conn: &Connection, number: &ManifestNo) -> StoreResult<Option<ManifestRecord>> {
    type Row = (String, String, String, String, String);
    let row: Option<Row> = conn
        .prepare_cached("SELECT issuer, transporters, vehicle_plate, receiver, state FROM manifests WHERE number = ?1")?
        .query_row([number.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((issuer, transporters, plate, receiver, state)) = row else {
        return Ok(None);
    };
    let transporters: Vec<String> = serde_json::from_str(&transporters).map_err(|_| corrupt("transporters"))?;
    let items = conn
        .prepare_cached("SELECT item FROM manifest_items WHERE manifest = ?1 ORDER BY position")?
        .query_map([number.as_str()], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(ManifestRecord {
        number: number.clone(),
        issuer: Uscc::parse(&issuer).map_err(|_| corrupt("issuer"))?,
        transporters: transporters
            .iter()
            .map(|t| Uscc::parse(t).map_err(|_| corrupt("transporters")))
            .collect::<StoreResult<_>>()?,
        receiver: Uscc::parse(&receiver).map_err(|_| corrupt("receiver"))?,
        items: items
            .iter()
            .map(|c| ItemCode::parse(c).map_err(|_| corrupt("manifest item")))
            .collect::<StoreResult<_>>()?,
        vehicle_plate: Plate::parse(&plate).map_err(|_| corrupt("vehicle_plate"))?,
        cancelled: state == "cancelled",
    }))
}

/// What `manifest_open` records beside the rules' [`ManifestRecord`].
pub struct ManifestExtra<'a> {
    pub driver_licence: &'a str,
    pub planned_date: chrono::NaiveDate,
    pub approval: Option<&'a str>,
    pub created_seq: u64,
}

/// Records a new manifest and its items.
pub fn insert_manifest(conn: &Connection, m: &ManifestRecord, extra: &ManifestExtra<'_>) -> StoreResult<()> {
    let transporters: Vec<&str> = m.transporters.iter().map(Uscc::as_str).collect();
    conn.prepare_cached(
        "INSERT INTO manifests(number, issuer, transporters, vehicle_plate, driver_licence, receiver, planned_date,
            approval, state, created_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open', ?9)",
    )?
    .execute(params![
        m.number.as_str(),
        m.issuer.as_str(),
        serde_json::to_string(&transporters).map_err(|e| StoreError::Other(e.to_string()))?,
        m.vehicle_plate.as_str(),
        extra.driver_licence,
        m.receiver.as_str(),
        extra.planned_date.to_string(),
        extra.approval,
        extra.created_seq as i64
    ])?;
    let mut stmt = conn.prepare_cached("INSERT INTO manifest_items(manifest, item, position) VALUES (?1, ?2, ?3)")?;
    for (i, item) in m.items.iter().enumerate() {
        stmt.execute(params![m.number.as_str(), item.as_str(), i as i64])?;
    }
    Ok(())
}

/// Records an accepted amendment: the rules' new record (items, transporters, vehicle) and
/// the driver and date when the amendment gives them.
pub fn amend_manifest(
    conn: &Connection,
    m: &ManifestRecord,
    driver_licence: Option<&str>,
    planned_date: Option<chrono::NaiveDate>,
) -> StoreResult<()> {
    let transporters: Vec<&str> = m.transporters.iter().map(Uscc::as_str).collect();
    conn.prepare_cached(
        "UPDATE manifests SET transporters = ?2, vehicle_plate = ?3,
            driver_licence = COALESCE(?4, driver_licence), planned_date = COALESCE(?5, planned_date)
         WHERE number = ?1",
    )?
    .execute(params![
        m.number.as_str(),
        serde_json::to_string(&transporters).map_err(|e| StoreError::Other(e.to_string()))?,
        m.vehicle_plate.as_str(),
        driver_licence,
        planned_date.map(|d| d.to_string())
    ])?;
    conn.prepare_cached("DELETE FROM manifest_items WHERE manifest = ?1")?
        .execute([m.number.as_str()])?;
    let mut stmt = conn.prepare_cached("INSERT INTO manifest_items(manifest, item, position) VALUES (?1, ?2, ?3)")?;
    for (i, item) in m.items.iter().enumerate() {
        stmt.execute(params![m.number.as_str(), item.as_str(), i as i64])?;
    }
    Ok(())
}

/// Marks a manifest cancelled (its items stay listed, as the paper form would show them).
pub fn cancel_manifest(conn: &Connection, number: &ManifestNo) -> StoreResult<()> {
    conn.prepare_cached("UPDATE manifests SET state = 'cancelled' WHERE number = ?1")?
        .execute([number.as_str()])?;
    Ok(())
}

/// The planned date, approval number and driver recorded with a manifest.
pub fn manifest_plan(
    conn: &Connection,
    number: &ManifestNo,
) -> StoreResult<Option<(chrono::NaiveDate, Option<String>, String)>> {
    let row: Option<(String, Option<String>, String)> = conn
        .prepare_cached("SELECT planned_date, approval, driver_licence FROM manifests WHERE number = ?1")?
        .query_row([number.as_str()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    row.map(|(d, a, driver)| Ok((d.parse().map_err(|_| corrupt("planned_date"))?, a, driver)))
        .transpose()
}

/// The next manifest number for (province, city, year); the counter commits with the
/// manifest that took it, so a refused event leaves no gap.
pub fn next_manifest_no(conn: &Connection, province: &str, city: &str, year: u32) -> StoreResult<ManifestNo> {
    let last: Option<i64> = conn
        .prepare_cached("SELECT last FROM manifest_numbers WHERE province = ?1 AND city = ?2 AND year = ?3")?
        .query_row(params![province, city, year], |r| r.get(0))
        .optional()?;
    let next = last.unwrap_or(0) + 1;
    let number = ManifestNo::new(year, province, city, u32::try_from(next).unwrap_or(u32::MAX))?;
    conn.prepare_cached(
        "INSERT INTO manifest_numbers(province, city, year, last) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(province, city, year) DO UPDATE SET last = excluded.last",
    )?
    .execute(params![province, city, year, next])?;
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn custody_states_round_trip_through_json() {
        let u = |s: &str| Uscc::parse(s).unwrap();
        let code = ItemCode::parse("91500110MA5U8F4X2N9002490820261128001").unwrap();
        let m = ManifestNo::parse("20265001000042").unwrap();
        let base = ItemState {
            code: code.clone(),
            generator: u("91500110MA5U8F4X2N"),
            waste_code: WasteCode::from_trusted_digits(*b"90024908"),
            holder: u("91500110MA60YNXH0F"),
            custody: Custody::Stored,
            manifest: Some(m.clone()),
            storage_place: "贮存库".into(),
            mass: Grams(183_000),
            declared: Grams(185_500),
            weighed: Some(Grams(183_000)),
            weighed_by: Some(u("91500110MA60YNXH0F")),
            accepted: None,
            refused: Grams(0),
            lost: Grams(0),
            treated: None,
            volume_l: Some(12),
            inputs: vec![code.clone()],
            outputs: vec![code.clone()],
            discrepancy: Some(Discrepancy {
                expected: Grams(1),
                weighed: Grams(2),
                answered: true,
            }),
            created_seq: 3,
            last_seq: 9,
            // Sub-second device times survive the round trip.
            last_at: Utc.with_ymd_and_hms(2026, 11, 29, 1, 2, 3).unwrap() + chrono::Duration::milliseconds(250),
            state_since: Utc.with_ymd_and_hms(2026, 11, 29, 1, 2, 3).unwrap(),
        };
        for custody in [
            Custody::Stored,
            Custody::Received,
            Custody::Lost,
            Custody::Released {
                to: u("91500110MA60YNXH0F"),
                manifest: m.clone(),
            },
            Custody::InTransit {
                carrier: u("91500110MA60YNXH0F"),
                manifest: m.clone(),
            },
            Custody::Arrived { manifest: m.clone() },
            Custody::Refused { manifest: m.clone() },
            Custody::Treated {
                method: TreatmentMethod::Incineration,
            },
            Custody::Consolidated { into: code.clone() },
            Custody::Split {
                into: vec![code.clone(), code.clone()],
            },
        ] {
            let s = ItemState {
                custody,
                ..base.clone()
            };
            assert_eq!(parse_state(&state_json(&s)).unwrap(), s);
        }
        // A row written before `outputs` and `last_at` were projected still reads, so an
        // upgraded service keeps serving its items.
        let mut old: serde_json::Value = serde_json::from_str(&state_json(&base)).unwrap();
        old.as_object_mut().unwrap().remove("outputs");
        old.as_object_mut().unwrap().remove("last_at");
        let read = parse_state(&old.to_string()).unwrap();
        assert_eq!((read.outputs, read.last_at), (vec![], base.state_since));
    }
}
