//! Manifests as the people in the field need them (issue 10), read-only: a party's manifests
//! (the generator's list, the driver's "today's trips for my vehicle", the gate's expected
//! loads), each with its legs and its items' states, or with every item's label data for a
//! phone to cache before it goes offline; and a receiver's arrivals, the items on the road to
//! it or waiting at its gate. Who may ask is `domain::access`'s; these functions only read.
//!
//! A manifest's state is derived from its items: `open` while every item is still with its
//! issuer, `closed` once none travels under it any more (received, returned under another
//! manifest, treated...), `in_progress` in between, `cancelled` when it was cancelled.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::calendar::WorkCalendar;
use crate::domain::{ManifestNo, Plate, Refusal, Uscc};
use crate::service::ledger::{parse_time, receipt_deadline};
use crate::store::{StoreError, StoreResult};
use crate::time::rfc3339;

/// Most manifests one list answer carries.
pub const MAX_MANIFESTS_PER_PAGE: u32 = 500;
/// Manifests listed when the request names no limit.
pub const DEFAULT_MANIFESTS_PER_PAGE: u32 = 100;
/// Most items one arrivals answer carries (the oldest first).
pub const MAX_ARRIVALS: u32 = 1000;

/// Filters of the manifest list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ManifestFilter {
    /// The party (USCC) whose manifests are listed; the caller's enterprise by default. An
    /// administrator or a regulator who names none gets every manifest it may see.
    pub party: Option<String>,
    /// The party's role on them: `issuer`, `carrier` (any transporter) or `receiver`; any by
    /// default.
    pub role: Option<String>,
    /// Only manifests of this vehicle (licence plate).
    pub vehicle: Option<String>,
    /// A day (CST, YYYY-MM-DD): manifests planned for it, and those planned earlier that are
    /// still `open` or `in_progress`.
    pub date: Option<String>,
    /// Only manifests in this state: `open`, `in_progress`, `closed` or `cancelled`.
    pub state: Option<String>,
    /// `summary` (default: counts and states of the items) or `full` (besides, every item with
    /// its label, for a phone to cache).
    pub items: Option<String>,
    /// Only the manifest with this number (14 digits), if the party is named on it.
    pub number: Option<String>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<u32>,
    /// Manifests opened before this log index (for the next page: the smallest `created_seq`
    /// seen).
    pub before: Option<i64>,
}

/// One carrier of a manifest, in carrying order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Leg {
    /// 1 for the first carrier.
    pub order: u32,
    pub transporter: String,
    pub transporter_name: String,
    /// Items of the manifest this carrier holds now (released by it, on the road, at the gate
    /// or refused there).
    pub holding: u64,
}

/// An item of a manifest as a phone caches it: what its label says and where it stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManifestItemLine {
    /// The 37-character item code the label carries.
    pub code: String,
    pub waste_code: String,
    pub waste_name: String,
    /// The declared mass printed in the label's signed payload (grams).
    pub label_mass_g: i64,
    /// The mass the log holds it to have now (grams).
    pub mass_g: i64,
    pub state: String,
    pub holder: String,
    /// Standard base64 of the signed label (payload || signature, 124 bytes, SPEC §3): a
    /// scanned QR code decodes to exactly these bytes.
    pub label_b64: String,
}

/// A manifest in a party's list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManifestLine {
    pub number: String,
    pub issuer: String,
    pub issuer_name: String,
    pub receiver: String,
    pub receiver_name: String,
    /// The party's roles on it (`issuer`, `carrier`, `receiver`), when a party was asked for.
    pub party_roles: Vec<String>,
    pub legs: Vec<Leg>,
    pub vehicle_plate: String,
    pub driver_licence: String,
    /// The driver's name as registered with a transporter, if it is.
    pub driver_name: Option<String>,
    /// YYYY-MM-DD.
    pub planned_date: String,
    pub approval: Option<String>,
    /// `open`, `in_progress`, `closed` or `cancelled` (see the module's description).
    pub state: String,
    /// Log index of the `manifest_open` entry.
    pub created_seq: i64,
    pub items_count: u64,
    /// Total declared mass of its items (grams).
    pub declared_g: i64,
    /// How many of its items are in each custody state.
    pub item_states: BTreeMap<String, u64>,
    /// With `items=full`: every item, in manifest order.
    pub items: Option<Vec<ManifestItemLine>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManifestList {
    /// When the list was read (RFC 3339 UTC): a phone shows how old its copy is.
    pub as_of: String,
    pub manifests: Vec<ManifestLine>,
}

/// Whose manifests a list is of, as decided by `access`.
#[derive(Debug, Clone)]
pub enum Listing {
    /// One party's (in a role, if given).
    Party(Uscc),
    /// Every manifest naming a party of this district (a regulator's view).
    District(String),
    /// Every manifest (an administrator's view).
    All,
}

const ROLES: [&str; 3] = ["issuer", "carrier", "receiver"];
/// Every state a manifest's list shows, in the order of a transfer.
pub const STATES: [&str; 4] = ["open", "in_progress", "closed", "cancelled"];

/// (Chinese, English) name of a manifest's state, as `GET /api/v1/reference` names it.
pub fn state_names(state: &str) -> (&'static str, &'static str) {
    match state {
        "open" => ("待起运", "not yet picked up"),
        "in_progress" => ("转移中", "in progress"),
        "closed" => ("已完成", "closed"),
        "cancelled" => ("已作废", "cancelled"),
        _ => ("其他", "other"),
    }
}

/// The checked filters.
struct Checked {
    role: Option<&'static str>,
    vehicle: Option<String>,
    date: Option<String>,
    state: Option<&'static str>,
    number: Option<String>,
    full: bool,
    limit: u32,
}

fn one_of(
    value: Option<&str>,
    allowed: &[&'static str],
    refuse: fn(&str) -> Refusal,
) -> Result<Option<&'static str>, Refusal> {
    value
        .filter(|v| !v.is_empty())
        .map(|v| allowed.iter().copied().find(|a| *a == v).ok_or_else(|| refuse(v)))
        .transpose()
}

fn check(f: &ManifestFilter) -> Result<Checked, Refusal> {
    let role = one_of(f.role.as_deref(), &ROLES, |v| {
        Refusal::invalid(
            "bad_manifest_role",
            format!("role '{v}' is not issuer, carrier or receiver"),
            format!("角色“{v}”应为issuer、carrier或receiver"),
        )
    })?;
    let state = one_of(f.state.as_deref(), &STATES, |v| {
        Refusal::invalid(
            "bad_manifest_state",
            format!("state '{v}' is not open, in_progress, closed or cancelled"),
            format!("联单状态“{v}”应为open、in_progress、closed或cancelled"),
        )
    })?;
    let full = match f.items.as_deref() {
        None | Some("" | "summary") => false,
        Some("full") => true,
        Some(other) => {
            return Err(Refusal::invalid(
                "bad_parameter",
                format!("items must be summary or full, not '{other}'"),
                format!("items应为summary或full，而非“{other}”"),
            ))
        }
    };
    let limit = f.limit.unwrap_or(DEFAULT_MANIFESTS_PER_PAGE);
    if !(1..=MAX_MANIFESTS_PER_PAGE).contains(&limit) {
        return Err(Refusal::invalid(
            "bad_limit",
            format!("limit must be 1-{MAX_MANIFESTS_PER_PAGE}"),
            format!("limit应为1-{MAX_MANIFESTS_PER_PAGE}"),
        ));
    }
    let date = f
        .date
        .as_deref()
        .filter(|d| !d.is_empty())
        .map(|d| crate::domain::day::parse("date", d).map(|d| d.to_string()))
        .transpose()?;
    let vehicle = f
        .vehicle
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| Plate::parse(v).map(|p| p.as_str().to_owned()))
        .transpose()?;
    let number = f
        .number
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(|n| ManifestNo::parse(n).map(|n| n.as_str().to_owned()))
        .transpose()?;
    Ok(Checked {
        role,
        vehicle,
        date,
        state,
        number,
        full,
        limit,
    })
}

/// Each manifest picked with its items counted by where they stand, and its derived state.
const LIST_SQL: &str = "
WITH picked AS (
    SELECT m.number, m.issuer, m.transporters, m.vehicle_plate, m.driver_licence, m.receiver, m.planned_date,
           m.approval, m.state, m.created_seq
    FROM manifests m
    WHERE (?1 IS NULL OR ((?2 IS NULL OR ?2 = 'issuer') AND m.issuer = ?1)
                      OR ((?2 IS NULL OR ?2 = 'receiver') AND m.receiver = ?1)
                      OR ((?2 IS NULL OR ?2 = 'carrier') AND EXISTS(SELECT 1 FROM json_each(m.transporters) t WHERE t.value = ?1)))
      AND (?3 IS NULL OR EXISTS(SELECT 1 FROM enterprises e WHERE e.district = ?3
              AND (e.uscc IN (m.issuer, m.receiver) OR e.uscc IN (SELECT t.value FROM json_each(m.transporters) t))))
      AND (?4 IS NULL OR m.vehicle_plate = ?4)
      AND (?5 IS NULL OR m.created_seq < ?5)
      AND (?6 IS NULL OR m.planned_date <= ?6)
      AND (?9 IS NULL OR m.number = ?9)
), counted AS (
    SELECT p.*, count(i.code) AS n, coalesce(sum(i.mass_g), 0) AS declared,
           coalesce(sum(json_extract(i.custody, '$.manifest') IS p.number AND i.holder = p.issuer), 0) AS waiting,
           coalesce(sum(json_extract(i.custody, '$.manifest') IS p.number AND i.holder <> p.issuer), 0) AS moving
    FROM picked p
    LEFT JOIN manifest_items mi ON mi.manifest = p.number
    LEFT JOIN items i ON i.code = mi.item
    GROUP BY p.number
), stated AS (
    SELECT *, CASE WHEN state = 'cancelled' THEN 'cancelled'
                   WHEN n = waiting THEN 'open'
                   WHEN waiting + moving = 0 THEN 'closed'
                   ELSE 'in_progress' END AS derived
    FROM counted
)
SELECT number, issuer, transporters, vehicle_plate, driver_licence, receiver, planned_date, approval, derived,
       created_seq, n, declared
FROM stated
WHERE (?7 IS NULL OR derived = ?7)
  AND (?6 IS NULL OR planned_date = ?6 OR derived IN ('open', 'in_progress'))
ORDER BY created_seq DESC
LIMIT ?8";

/// Names of enterprises, looked up once each.
struct Names<'c> {
    conn: &'c Connection,
    known: HashMap<String, String>,
}

impl Names<'_> {
    fn of(&mut self, uscc: &str) -> StoreResult<String> {
        if let Some(n) = self.known.get(uscc) {
            return Ok(n.clone());
        }
        let name: String = self
            .conn
            .prepare_cached("SELECT name_zh FROM enterprises WHERE uscc = ?1")?
            .query_row([uscc], |r| r.get(0))
            .optional()?
            .unwrap_or_default();
        self.known.insert(uscc.to_owned(), name.clone());
        Ok(name)
    }
}

/// The manifests of `listing` that the filters select, newest first.
pub fn list(conn: &Connection, listing: &Listing, f: &ManifestFilter, now: DateTime<Utc>) -> StoreResult<ManifestList> {
    let c = check(f)?;
    let (party, district) = match listing {
        Listing::Party(u) => (Some(u.as_str().to_owned()), None),
        Listing::District(d) => (None, Some(d.clone())),
        Listing::All => (None, None),
    };
    type Row = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        i64,
        i64,
        i64,
    );
    let rows = conn
        .prepare_cached(LIST_SQL)?
        .query_map(
            params![party, c.role, district, c.vehicle, f.before, c.date, c.state, c.limit, c.number],
            |r| {
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
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<Row>>>()?;
    let mut names = Names {
        conn,
        known: HashMap::new(),
    };
    let mut manifests = Vec::with_capacity(rows.len());
    for (number, issuer, transporters, plate, licence, receiver, planned, approval, state, seq, n, declared) in rows {
        let transporters: Vec<String> = serde_json::from_str(&transporters)
            .map_err(|_| StoreError::Other(format!("manifest {number}: bad transporters")))?;
        let items = manifest_items(conn, &number)?;
        let mut item_states: BTreeMap<String, u64> = BTreeMap::new();
        for i in &items {
            *item_states.entry(i.line.state.clone()).or_default() += 1;
        }
        let mut legs = Vec::with_capacity(transporters.len());
        for (k, t) in transporters.iter().enumerate() {
            legs.push(Leg {
                order: k as u32 + 1,
                transporter: t.clone(),
                transporter_name: names.of(t)?,
                holding: items
                    .iter()
                    .filter(|i| &i.line.holder == t && i.travelling_under.as_deref() == Some(number.as_str()))
                    .count() as u64,
            });
        }
        let party_roles = party.as_deref().map_or_else(Vec::new, |p| {
            let mut roles = Vec::new();
            if issuer == p {
                roles.push("issuer".to_owned());
            }
            if transporters.iter().any(|t| t == p) {
                roles.push("carrier".to_owned());
            }
            if receiver == p {
                roles.push("receiver".to_owned());
            }
            roles
        });
        let driver_name: Option<String> = conn
            .prepare_cached("SELECT name FROM drivers WHERE licence_no = ?1")?
            .query_row([&licence], |r| r.get(0))
            .optional()?;
        manifests.push(ManifestLine {
            issuer_name: names.of(&issuer)?,
            receiver_name: names.of(&receiver)?,
            number,
            issuer,
            receiver,
            party_roles,
            legs,
            vehicle_plate: plate,
            driver_licence: licence,
            driver_name,
            planned_date: planned,
            approval,
            state,
            created_seq: seq,
            items_count: n as u64,
            declared_g: declared,
            item_states,
            items: c.full.then(|| items.into_iter().map(|i| i.line).collect()),
        });
    }
    Ok(ManifestList {
        as_of: rfc3339(now),
        manifests,
    })
}

/// An item of a manifest and the manifest it travels under now.
struct ItemOn {
    line: ManifestItemLine,
    travelling_under: Option<String>,
}

fn custody_of(text: Option<String>) -> Option<Value> {
    text.as_deref().and_then(|c| serde_json::from_str(c).ok())
}

fn manifest_items(conn: &Connection, number: &str) -> StoreResult<Vec<ItemOn>> {
    let rows = conn
        .prepare_cached(
            "SELECT i.code, i.waste_code, i.waste_name, i.mass_g, i.state, i.holder, i.custody, i.label
             FROM manifest_items mi JOIN items i ON i.code = mi.item
             WHERE mi.manifest = ?1 ORDER BY mi.position",
        )?
        .query_map([number], |r| {
            let custody = custody_of(r.get(6)?);
            let label_mass_g: i64 = r.get(3)?;
            let label: Vec<u8> = r.get(7)?;
            Ok(ItemOn {
                travelling_under: custody
                    .as_ref()
                    .and_then(|c| c.get("manifest"))
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                line: ManifestItemLine {
                    code: r.get(0)?,
                    waste_code: r.get(1)?,
                    waste_name: r.get(2)?,
                    label_mass_g,
                    mass_g: custody
                        .as_ref()
                        .and_then(|c| c.get("mass_g"))
                        .and_then(Value::as_i64)
                        .unwrap_or(label_mass_g),
                    state: r.get(4)?,
                    holder: r.get(5)?,
                    label_b64: data_encoding::BASE64.encode(&label),
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// An item on the road to a receiver or waiting at its gate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Arrival {
    pub code: String,
    pub waste_code: String,
    pub waste_name: String,
    /// `released` (handed from one carrier to the next), `in_transit` or `arrived`.
    pub state: String,
    /// The declared mass (grams): as declared at generation or corrected.
    pub declared_g: i64,
    /// The mass the log holds it to have now (grams): declared, or as weighed last.
    pub mass_g: i64,
    /// The weighed mass, once weighed at the gate.
    pub weighed_g: Option<i64>,
    pub manifest: String,
    pub issuer: String,
    pub issuer_name: String,
    /// The carrier holding it now.
    pub carrier: String,
    pub carrier_name: String,
    pub vehicle_plate: String,
    /// When it entered its state (RFC 3339 UTC).
    pub since: String,
    /// For an `arrived` item: the last day (CST) to confirm receipt, and whether it is past.
    pub receipt_due: Option<NaiveDate>,
    pub receipt_overdue: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Arrivals {
    pub receiver: String,
    /// When the list was read (RFC 3339 UTC).
    pub as_of: String,
    /// How many items wait at the gate and how many are on the road (all of them, also when
    /// `items` is cut at its limit).
    pub arrived: u64,
    pub on_the_way: u64,
    /// Arrived items first, then those on the road; the longest waiting first in each; at most
    /// 1,000.
    pub items: Vec<Arrival>,
}

/// The items travelling to `receiver` under its manifests (held by a carrier: `released` to a
/// next carrier, `in_transit`, `arrived`), at most [`MAX_ARRIVALS`].
pub fn arrivals(
    conn: &Connection,
    receiver: &Uscc,
    calendar: &WorkCalendar,
    now: DateTime<Utc>,
) -> StoreResult<Arrivals> {
    type Row = (
        String,
        String,
        String,
        String,
        i64,
        Option<String>,
        String,
        String,
        String,
        String,
    );
    let rows = conn
        .prepare_cached(
            "SELECT i.code, i.waste_code, i.waste_name, i.state, i.mass_g, i.custody, i.holder, m.number, m.issuer,
                    m.vehicle_plate
             FROM items i JOIN manifests m ON m.number = json_extract(i.custody, '$.manifest')
             WHERE i.state IN ('released', 'in_transit', 'arrived') AND m.receiver = ?1 AND i.holder <> m.issuer",
        )?
        .query_map([receiver.as_str()], |r| {
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
                r.get(9)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<Row>>>()?;
    let mut names = Names {
        conn,
        known: HashMap::new(),
    };
    let today = crate::time::cst_date(now);
    let mut items = Vec::with_capacity(rows.len());
    for (code, waste_code, waste_name, state, stored_g, custody, holder, manifest, issuer, plate) in rows {
        let custody = custody_of(custody);
        let get = |k: &str| custody.as_ref().and_then(|c| c.get(k)).and_then(Value::as_i64);
        let since = custody
            .as_ref()
            .and_then(|c| c.get("state_since"))
            .and_then(Value::as_str)
            .and_then(parse_time);
        let (receipt_due, receipt_overdue) = receipt_deadline(&state, since, calendar, today);
        items.push(Arrival {
            declared_g: get("declared_g").unwrap_or(stored_g),
            mass_g: get("mass_g").unwrap_or(stored_g),
            weighed_g: get("weighed_g"),
            issuer_name: names.of(&issuer)?,
            carrier_name: names.of(&holder)?,
            since: since.map(rfc3339).unwrap_or_default(),
            code,
            waste_code,
            waste_name,
            state,
            manifest,
            issuer,
            carrier: holder,
            vehicle_plate: plate,
            receipt_due,
            receipt_overdue,
        });
    }
    items.sort_by(|a, b| (a.state != "arrived", &a.since, &a.code).cmp(&(b.state != "arrived", &b.since, &b.code)));
    let arrived = items.iter().filter(|i| i.state == "arrived").count() as u64;
    let on_the_way = items.len() as u64 - arrived;
    items.truncate(MAX_ARRIVALS as usize);
    Ok(Arrivals {
        receiver: receiver.as_str().to_owned(),
        as_of: rfc3339(now),
        arrived,
        on_the_way,
        items,
    })
}
