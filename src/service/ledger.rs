//! Ledger views (read-only): an enterprise's items grouped by custody state with counts,
//! masses and storage ages, and a manifest with its items' current state and holder and, for
//! items waiting at the receiver's gate, the day by which the receiver must confirm them. The
//! caller's right to see them is decided by `access`; these functions only read.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::access::{Caller, Scope};
use crate::domain::calendar::WorkCalendar;
use crate::domain::{ManifestNo, Refusal, Uscc};
use crate::store::{StoreError, StoreResult};
use crate::time::{cst_date, rfc3339};

/// One item as the ledger lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerItem {
    pub code: String,
    pub waste_code: String,
    pub waste_name: String,
    /// Current mass in grams (the weighed or accepted mass once known).
    pub mass_g: i64,
    /// USCC of the enterprise holding it now.
    pub holder: String,
    /// Device time of generation, RFC 3339 UTC.
    pub generated_at: String,
    /// When it entered its current state (for an item stored at its generator: its
    /// generation), RFC 3339 UTC.
    pub since: String,
    /// Whole days in this enterprise's store (`stored` or `received` and held by it); absent
    /// for items not in its store.
    pub storage_age_days: Option<i64>,
}

/// The items in one custody state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StateGroup {
    pub state: String,
    pub count: u64,
    /// Total mass in grams.
    pub mass_g: i64,
    /// The item longest in this state.
    pub oldest: Option<LedgerItem>,
    /// Oldest first, at most [`MAX_LEDGER_ITEMS_PER_STATE`]; `count` and `mass_g` cover them all.
    pub items: Vec<LedgerItem>,
}

/// Most items listed per state in a ledger answer (the oldest ones, which matter most).
pub const MAX_LEDGER_ITEMS_PER_STATE: usize = 500;

/// An enterprise's ledger: its items (as generator or holder) by custody state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ledger {
    pub enterprise: String,
    /// When the ages were computed, RFC 3339 UTC.
    pub as_of: String,
    pub total_items: u64,
    pub total_mass_g: i64,
    pub states: Vec<StateGroup>,
}

fn parse_time(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t).ok().map(|t| t.with_timezone(&Utc))
}

/// The ledger of `uscc` as of `now`.
pub fn enterprise_ledger(conn: &Connection, uscc: &Uscc, now: DateTime<Utc>) -> StoreResult<Ledger> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, waste_code, waste_name, mass_g, generated_at, state, holder, custody
         FROM items WHERE generator = ?1 OR holder = ?1 ORDER BY created_seq",
    )?;
    type Row = (String, String, String, i64, String, String, String, Option<String>);
    let rows = stmt
        .query_map(params![uscc.as_str()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<Row>>>()?;
    let mut groups: BTreeMap<String, Vec<(DateTime<Utc>, LedgerItem)>> = BTreeMap::new();
    for (code, waste_code, waste_name, mass_g, generated_at, state, holder, custody) in rows {
        let custody: Option<Value> = custody.as_deref().and_then(|c| serde_json::from_str(c).ok());
        let mass_g = custody
            .as_ref()
            .and_then(|c| c.get("mass_g"))
            .and_then(Value::as_i64)
            .unwrap_or(mass_g);
        let generated =
            parse_time(&generated_at).ok_or_else(|| StoreError::Other(format!("item {code}: bad generated_at")))?;
        let state_since = custody
            .as_ref()
            .and_then(|c| c.get("state_since"))
            .and_then(Value::as_str)
            .and_then(parse_time);
        // Moving a drum within its generator's store does not restart its storage time.
        let since = match (state.as_str(), state_since) {
            ("stored", _) | (_, None) => generated,
            (_, Some(t)) => t,
        };
        let in_store = holder == uscc.as_str() && (state == "stored" || state == "received");
        let storage_age_days = in_store.then(|| (now - since).num_days().max(0));
        let item = LedgerItem {
            code,
            waste_code,
            waste_name,
            mass_g,
            holder,
            generated_at,
            since: rfc3339(since),
            storage_age_days,
        };
        groups.entry(state).or_default().push((since, item));
    }
    let mut states = Vec::with_capacity(groups.len());
    let (mut total_items, mut total_mass_g) = (0u64, 0i64);
    for (state, mut items) in groups {
        items.sort_by_key(|(since, _)| *since);
        let items: Vec<LedgerItem> = items.into_iter().map(|(_, i)| i).collect();
        let count = items.len() as u64;
        let mass_g = items.iter().map(|i| i.mass_g).sum::<i64>();
        total_items += count;
        total_mass_g += mass_g;
        let listed: Vec<LedgerItem> = items.into_iter().take(MAX_LEDGER_ITEMS_PER_STATE).collect();
        states.push(StateGroup {
            state,
            count,
            mass_g,
            oldest: listed.first().cloned(),
            items: listed,
        });
    }
    Ok(Ledger {
        enterprise: uscc.as_str().to_owned(),
        as_of: rfc3339(now),
        total_items,
        total_mass_g,
        states,
    })
}

/// An item on a manifest, where it stands now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManifestItemView {
    pub code: String,
    pub waste_code: String,
    pub waste_name: String,
    pub mass_g: i64,
    pub state: String,
    pub holder: String,
    /// For an item `arrived` at the receiver: the last day (CST, YYYY-MM-DD) on which the
    /// receiver is to confirm it, the `RECEIPT_WORKING_DAYS`-th (5th) working day after the day
    /// it arrived (转移管理办法 第十八条); null otherwise.
    pub receipt_due: Option<NaiveDate>,
    /// True when today (CST) is after `receipt_due` and the item is still `arrived`.
    pub receipt_overdue: bool,
}

/// A manifest (转移联单) and its items.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManifestView {
    pub number: String,
    pub issuer: String,
    /// In carrying order.
    pub transporters: Vec<String>,
    pub vehicle_plate: String,
    pub driver_licence: String,
    pub receiver: String,
    /// YYYY-MM-DD.
    pub planned_date: String,
    /// Cross-province approval, if any.
    pub approval: Option<String>,
    /// `open` or `cancelled`.
    pub state: String,
    /// Log index of the `manifest_open` entry.
    pub created_seq: i64,
    /// The earliest `receipt_due` of its items, null when none is waiting at the receiver.
    pub receipt_due: Option<NaiveDate>,
    pub items: Vec<ManifestItemView>,
}

/// The receipt deadline of an item in `state` since `since`, and whether it has passed on
/// `today`: only an `arrived` item awaits the receiver's confirmation.
fn receipt_deadline(
    state: &str,
    since: Option<DateTime<Utc>>,
    calendar: &WorkCalendar,
    today: NaiveDate,
) -> (Option<NaiveDate>, bool) {
    match (state, since) {
        ("arrived", Some(since)) => {
            let due = calendar.receipt_due(cst_date(since));
            (Some(due), today > due)
        }
        _ => (None, false),
    }
}

fn unknown_manifest(number: &ManifestNo) -> Refusal {
    Refusal::not_found(
        "unknown_manifest",
        format!("no manifest {} is recorded", number.as_str()),
        format!("没有转移联单{}", number.as_str()),
    )
}

fn not_your_manifest(number: &ManifestNo) -> Refusal {
    Refusal::forbidden(
        "not_your_manifest",
        format!("you are not a party to manifest {}", number.as_str()),
        format!("您不是转移联单{}的相关方", number.as_str()),
    )
}

/// The manifest `number` if `caller` may see it: an administrator; a regulator of the district
/// of any party named on it; the issuer, a transporter or the receiver. Receipt deadlines are
/// counted on `calendar`, and overdue when `today` (CST) is past them.
pub fn manifest_view(
    conn: &Connection,
    caller: &Caller,
    number: &ManifestNo,
    calendar: &WorkCalendar,
    today: NaiveDate,
) -> StoreResult<ManifestView> {
    type Row = (
        String,
        String,
        String,
        String,
        String,
        String,
        Option<String>,
        String,
        i64,
    );
    let row: Option<Row> = conn
        .prepare_cached(
            "SELECT issuer, transporters, vehicle_plate, driver_licence, receiver, planned_date, approval, state,
                    created_seq
             FROM manifests WHERE number = ?1",
        )?
        .query_row([number.as_str()], |r| {
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
    let Some((issuer, transporters, vehicle_plate, driver_licence, receiver, planned_date, approval, state, seq)) = row
    else {
        return Err(unknown_manifest(number).into());
    };
    let transporters: Vec<String> = serde_json::from_str(&transporters)
        .map_err(|_| StoreError::Other(format!("manifest {}: bad transporters", number.as_str())))?;
    let parties: Vec<&str> = std::iter::once(issuer.as_str())
        .chain(transporters.iter().map(String::as_str))
        .chain(std::iter::once(receiver.as_str()))
        .collect();
    let allowed = match caller.scope() {
        Scope::All => true,
        Scope::Enterprise(u) => parties.contains(&u.as_str()),
        Scope::District(d) => {
            let mut stmt = conn.prepare_cached("SELECT district FROM enterprises WHERE uscc = ?1")?;
            let mut any = false;
            for p in &parties {
                let district: Option<String> = stmt.query_row([p], |r| r.get(0)).optional()?;
                if district.as_deref() == Some(d.as_str()) {
                    any = true;
                    break;
                }
            }
            any
        }
        Scope::Nothing => false,
    };
    if !allowed {
        return Err(not_your_manifest(number).into());
    }
    let items = conn
        .prepare_cached(
            "SELECT i.code, i.waste_code, i.waste_name, i.mass_g, i.state, i.holder, i.custody
             FROM manifest_items m JOIN items i ON i.code = m.item
             WHERE m.manifest = ?1 ORDER BY m.position",
        )?
        .query_map([number.as_str()], |r| {
            let custody: Option<Value> = r
                .get::<_, Option<String>>(6)?
                .and_then(|c| serde_json::from_str::<Value>(&c).ok());
            let stored_mass: i64 = r.get(3)?;
            let mass_g = custody
                .as_ref()
                .and_then(|c| c.get("mass_g").and_then(Value::as_i64))
                .unwrap_or(stored_mass);
            let since = custody
                .as_ref()
                .and_then(|c| c.get("state_since"))
                .and_then(Value::as_str)
                .and_then(parse_time);
            let state: String = r.get(4)?;
            let (receipt_due, receipt_overdue) = receipt_deadline(&state, since, calendar, today);
            Ok(ManifestItemView {
                code: r.get(0)?,
                waste_code: r.get(1)?,
                waste_name: r.get(2)?,
                mass_g,
                state,
                holder: r.get(5)?,
                receipt_due,
                receipt_overdue,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let receipt_due = items.iter().filter_map(|i| i.receipt_due).min();
    Ok(ManifestView {
        number: number.as_str().to_owned(),
        issuer,
        transporters,
        vehicle_plate,
        driver_licence,
        receiver,
        planned_date,
        approval,
        state,
        created_seq: seq,
        receipt_due,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn an_arrived_item_is_due_five_working_days_after_its_cst_arrival_date() {
        let mut cal = WorkCalendar::default();
        cal.holidays.extend(date("2026-10-01").iter_days().take(7));
        cal.workdays.insert(date("2026-10-10"));
        // 17:00 UTC on 28 September is 01:00 CST on Tuesday 29 September.
        let arrived = Utc.with_ymd_and_hms(2026, 9, 28, 17, 0, 0).unwrap();
        let on = |today| receipt_deadline("arrived", Some(arrived), &cal, date(today));
        assert_eq!(on("2026-10-12"), (Some(date("2026-10-12")), false), "due that day");
        assert_eq!(
            on("2026-10-13"),
            (Some(date("2026-10-12")), true),
            "overdue the day after"
        );
        // One second earlier it arrived on Monday 28 September (CST): due a working day earlier.
        let monday = Utc.with_ymd_and_hms(2026, 9, 28, 15, 59, 59).unwrap();
        assert_eq!(
            receipt_deadline("arrived", Some(monday), &cal, date("2026-10-12")),
            (Some(date("2026-10-10")), true)
        );
        for state in ["received", "in_transit", "refused", "treated"] {
            assert_eq!(
                receipt_deadline(state, Some(arrived), &cal, date("2027-01-01")),
                (None, false)
            );
        }
    }
}
