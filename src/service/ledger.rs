//! Ledger views (read-only): an enterprise's items grouped by custody state with counts,
//! masses and storage ages, with warnings for items stored past their limit and stores over
//! their registered capacity (`domain::storage`); and a manifest with its items' current state
//! and holder and, for items waiting at the receiver's gate, the day by which the receiver must
//! confirm them. The caller's right to see them is decided by `access`; these functions only
//! read.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::access::{Caller, Scope};
use crate::domain::calendar::WorkCalendar;
use crate::domain::storage::{capacity_use, check_age, AgeCheck, AgeRule};
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
    /// Where it is kept, as declared at generation.
    pub storage_place: String,
    /// Device time of generation, RFC 3339 UTC.
    pub generated_at: String,
    /// When it entered its current state (for an item stored at its generator: its
    /// generation), RFC 3339 UTC.
    pub since: String,
    /// Whole days in this enterprise's store (`stored` or `received` and held by it); absent
    /// for items not in its store.
    pub storage_age_days: Option<i64>,
    /// The same in whole hours (medical waste: from its generation, wherever it is stored).
    pub storage_age_hours: Option<i64>,
    /// For an item in store: the limit its age is judged by (`medical_48h`,
    /// `licensed_one_year`, `generator_one_year`), when it is passed (RFC 3339 UTC), and
    /// whether it is.
    pub age_rule: Option<String>,
    pub age_limit_at: Option<String>,
    pub over_age: bool,
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
/// Most warnings listed in a ledger answer (`warnings_total` counts them all).
pub const MAX_LEDGER_WARNINGS: usize = 500;

/// A registered storage capacity against what is in store now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StorageLine {
    /// The storage place (as items name it), or null for the whole store.
    pub place: Option<String>,
    pub capacity_g: i64,
    /// Mass in store there now (`stored` and `received` items held by the enterprise).
    pub stored_g: i64,
    pub items: u64,
    /// `stored_g` against `capacity_g`, ‰.
    pub used_permille: Option<u64>,
    pub over: bool,
}

/// Something in store that breaks a limit, said in words for the screen.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StorageWarning {
    /// `over_age` (an item stored longer than its limit) or `over_quantity` (a store holding
    /// more than its registered capacity).
    pub kind: String,
    /// The limit broken: `medical_48h`, `licensed_one_year`, `generator_one_year` or
    /// `storage_capacity`.
    pub rule: String,
    /// Where the limit comes from.
    pub basis_zh: String,
    pub basis_en: String,
    /// What is wrong, in words.
    pub message_zh: String,
    pub message_en: String,
    /// For `over_age`: the item, its waste code, its age in hours and when its limit passed.
    pub item: Option<String>,
    pub waste_code: Option<String>,
    pub age_hours: Option<i64>,
    pub limit_at: Option<String>,
    /// For `over_quantity`: the place (null for the whole store), its capacity and what it holds.
    pub place: Option<String>,
    pub capacity_g: Option<i64>,
    pub stored_g: Option<i64>,
}

/// An enterprise's ledger: its items (as generator or holder) by custody state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ledger {
    pub enterprise: String,
    /// When the ages were computed, RFC 3339 UTC.
    pub as_of: String,
    pub total_items: u64,
    pub total_mass_g: i64,
    pub states: Vec<StateGroup>,
    /// Mass and items in store now (`stored` and `received`, held by the enterprise).
    pub in_store_g: i64,
    pub in_store_items: u64,
    /// The registered storage capacities (`/storage-capacities`) against what is in store.
    pub storage: Vec<StorageLine>,
    /// Over-quantity warnings first, then over-age items, oldest first; at most 500.
    pub warnings: Vec<StorageWarning>,
    pub warnings_total: u64,
}

pub(crate) fn parse_time(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t).ok().map(|t| t.with_timezone(&Utc))
}

/// One row of the ledger's query.
struct LedgerRow {
    code: String,
    waste_code: String,
    waste_name: String,
    mass_g: i64,
    generated_at: String,
    state: String,
    holder: String,
    custody: Option<String>,
    storage_place: String,
}

fn is_medical(waste_code: &str) -> bool {
    crate::domain::waste::waste_digits(waste_code)
        .map(|d| crate::domain::WasteCode::from_trusted_digits(d).category().to_string() == "HW01")
        .unwrap_or(false)
}

fn over_age_warning(item: &LedgerItem, check: &AgeCheck) -> StorageWarning {
    let (basis_zh, basis_en) = check.rule.basis();
    let (limit_zh, limit_en) = match check.rule {
        AgeRule::Medical => ("48小时", "48 hours"),
        AgeRule::Licensed | AgeRule::Generator => ("一年", "a year"),
    };
    StorageWarning {
        kind: "over_age".into(),
        rule: check.rule.code().into(),
        basis_zh: basis_zh.into(),
        basis_en: basis_en.into(),
        message_zh: format!(
            "{}（{}）已贮存{}小时，超过{limit_zh}期限",
            item.code, item.waste_name, check.age_hours
        ),
        message_en: format!(
            "{} ({}) has been stored {} hours, past its limit of {limit_en}",
            item.code, item.waste_code, check.age_hours
        ),
        item: Some(item.code.clone()),
        waste_code: Some(item.waste_code.clone()),
        age_hours: Some(check.age_hours),
        limit_at: Some(rfc3339(check.limit_at)),
        place: None,
        capacity_g: None,
        stored_g: None,
    }
}

fn over_quantity_warning(line: &StorageLine) -> StorageWarning {
    let where_zh = line
        .place
        .as_deref()
        .map_or("贮存设施".to_owned(), |p| format!("贮存场所“{p}”"));
    let where_en = line
        .place
        .as_deref()
        .map_or("the store".to_owned(), |p| format!("storage place '{p}'"));
    StorageWarning {
        kind: "over_quantity".into(),
        rule: "storage_capacity".into(),
        basis_zh: "企业登记的贮存设施设计贮存能力".into(),
        basis_en: "the storage capacity the enterprise registered".into(),
        message_zh: format!(
            "{where_zh}现贮存{} kg，超过登记的贮存能力{} kg",
            line.stored_g / 1000,
            line.capacity_g / 1000
        ),
        message_en: format!(
            "{where_en} holds {} kg, more than its registered capacity of {} kg",
            line.stored_g / 1000,
            line.capacity_g / 1000
        ),
        item: None,
        waste_code: None,
        age_hours: None,
        limit_at: None,
        place: line.place.clone(),
        capacity_g: Some(line.capacity_g),
        stored_g: Some(line.stored_g),
    }
}

fn ledger_rows(conn: &Connection, uscc: &Uscc) -> StoreResult<Vec<LedgerRow>> {
    let rows = conn
        .prepare_cached(
            "SELECT code, waste_code, waste_name, mass_g, generated_at, state, holder, custody, storage_place
             FROM items WHERE generator = ?1 OR holder = ?1 ORDER BY created_seq",
        )?
        .query_map(params![uscc.as_str()], |r| {
            Ok(LedgerRow {
                code: r.get(0)?,
                waste_code: r.get(1)?,
                waste_name: r.get(2)?,
                mass_g: r.get(3)?,
                generated_at: r.get(4)?,
                state: r.get(5)?,
                holder: r.get(6)?,
                custody: r.get(7)?,
                storage_place: r.get(8)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The registered storage capacities of `uscc`: (place, '' for the whole store; grams).
fn capacities(conn: &Connection, uscc: &Uscc) -> StoreResult<Vec<(String, i64)>> {
    let rows = conn
        .prepare_cached("SELECT place, capacity_g FROM storage_capacities WHERE uscc = ?1 ORDER BY place")?
        .query_map([uscc.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The ledger of `uscc` as of `now`, with each stored item's age against its limit
/// (`domain::storage`) and the stores against their registered capacities.
pub fn enterprise_ledger(conn: &Connection, uscc: &Uscc, now: DateTime<Utc>) -> StoreResult<Ledger> {
    let licensed: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM enterprise_roles WHERE uscc = ?1 AND role IN ('facility', 'collection_point'))",
        )?
        .query_row([uscc.as_str()], |r| r.get(0))?;
    let mut groups: BTreeMap<String, Vec<(DateTime<Utc>, LedgerItem)>> = BTreeMap::new();
    let mut over_age: Vec<(DateTime<Utc>, StorageWarning)> = Vec::new();
    let mut in_store: Vec<(String, i64)> = Vec::new();
    for row in ledger_rows(conn, uscc)? {
        let custody: Option<Value> = row.custody.as_deref().and_then(|c| serde_json::from_str(c).ok());
        let mass_g = custody
            .as_ref()
            .and_then(|c| c.get("mass_g"))
            .and_then(Value::as_i64)
            .unwrap_or(row.mass_g);
        let code = &row.code;
        let generated =
            parse_time(&row.generated_at).ok_or_else(|| StoreError::Other(format!("item {code}: bad generated_at")))?;
        let state_since = custody
            .as_ref()
            .and_then(|c| c.get("state_since"))
            .and_then(Value::as_str)
            .and_then(parse_time);
        // Moving a drum within its generator's store does not restart its storage time.
        let since = match (row.state.as_str(), state_since) {
            ("stored", _) | (_, None) => generated,
            (_, Some(t)) => t,
        };
        let stored_here = row.holder == uscc.as_str() && (row.state == "stored" || row.state == "received");
        // Medical waste counts from the generation its generator signed (as the
        // medical_over_48h alert), wherever it is stored now.
        let rule = AgeRule::of(is_medical(&row.waste_code), licensed);
        let check = stored_here.then(|| {
            let from = if rule == AgeRule::Medical { generated } else { since };
            check_age(rule, from, now)
        });
        let item = LedgerItem {
            code: row.code,
            waste_code: row.waste_code,
            waste_name: row.waste_name,
            mass_g,
            holder: row.holder,
            storage_place: row.storage_place,
            generated_at: row.generated_at,
            since: rfc3339(since),
            storage_age_days: stored_here.then(|| (now - since).num_days().max(0)),
            storage_age_hours: check.map(|c| c.age_hours),
            age_rule: check.map(|c| c.rule.code().to_owned()),
            age_limit_at: check.map(|c| rfc3339(c.limit_at)),
            over_age: check.is_some_and(|c| c.over),
        };
        if let Some(c) = check {
            in_store.push((item.storage_place.clone(), item.mass_g));
            if c.over {
                over_age.push((c.limit_at, over_age_warning(&item, &c)));
            }
        }
        groups.entry(row.state).or_default().push((since, item));
    }
    let storage: Vec<StorageLine> = capacities(conn, uscc)?
        .into_iter()
        .map(|(place, capacity_g)| {
            let here: Vec<i64> = in_store
                .iter()
                .filter(|(p, _)| place.is_empty() || *p == place)
                .map(|(_, g)| *g)
                .collect();
            let stored_g: i64 = here.iter().sum();
            let (used_permille, over) = capacity_use(stored_g.max(0) as u64, capacity_g.max(0) as u64);
            StorageLine {
                place: (!place.is_empty()).then_some(place),
                capacity_g,
                stored_g,
                items: here.len() as u64,
                used_permille,
                over,
            }
        })
        .collect();
    over_age.sort_by_key(|(limit_at, _)| *limit_at);
    let mut warnings: Vec<StorageWarning> = storage
        .iter()
        .filter(|l| l.over)
        .map(over_quantity_warning)
        .chain(over_age.into_iter().map(|(_, w)| w))
        .collect();
    let warnings_total = warnings.len() as u64;
    warnings.truncate(MAX_LEDGER_WARNINGS);
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
        in_store_g: in_store.iter().map(|(_, g)| g).sum(),
        in_store_items: in_store.len() as u64,
        storage,
        warnings,
        warnings_total,
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
pub(crate) fn receipt_deadline(
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
