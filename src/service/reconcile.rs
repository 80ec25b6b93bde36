//! The regulators' numbers (PRODUCT.md "Reconciliation: capacities and disposal rates"): a
//! facility's capacity use on any date, disposal rates of a cohort of generated waste, and the
//! mass balance. Every figure is read from `item_history` (each item's custody state after
//! each entry, derived from the log and re-derived by the auditor) and the registry's permits;
//! masses are integer grams, ratios integer parts per thousand.
//!
//! Dates are China Standard Time days; a day runs from 00:00 to 24:00 CST.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::custody::Custody;
use crate::domain::{CapacityPer, ItemCode, Refusal};
use crate::store::projection::parse_state;
use crate::store::StoreResult;
use crate::time::{cst, rfc3339};

/// The UTC instant a CST day begins.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    cst()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight"))
        .single()
        .expect("CST has no gaps")
        .with_timezone(&Utc)
}

/// `[from 00:00, to+1 00:00)` as stored times, for `at >= ?1 AND at < ?2`.
fn bounds(from: NaiveDate, to: NaiveDate) -> (String, String) {
    (rfc3339(day_start(from)), rfc3339(day_start(to + Duration::days(1))))
}

/// A period of whole CST days, `from` to `to` inclusive.
pub fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), Refusal> {
    if from > to {
        return Err(Refusal::invalid(
            "bad_period",
            format!("the period's start {from} is after its end {to}"),
            format!("统计期起始日{from}晚于结束日{to}"),
        ));
    }
    if (to - from).num_days() > 3660 {
        return Err(Refusal::invalid(
            "bad_period",
            "a period is at most ten years",
            "统计期最长十年",
        ));
    }
    Ok(())
}

/// Parts per thousand, rounded down; `None` when the reference is zero.
pub fn permille(part: u64, whole: u64) -> Option<u64> {
    (whole > 0).then(|| (u128::from(part) * 1000 / u128::from(whole)) as u64)
}

// ---- capacity ------------------------------------------------------------------------------

/// The arithmetic of one method's capacity on day `day` of a year of `days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapacityUse {
    pub capacity_g: u64,
    pub treated_g: u64,
    pub day: u32,
    pub days: u32,
}

impl CapacityUse {
    /// The share of the annual capacity that the days so far account for.
    pub fn prorated_capacity_g(self) -> u64 {
        (u128::from(self.capacity_g) * u128::from(self.day) / u128::from(self.days)) as u64
    }

    /// Treated so far against the pro-rated capacity.
    pub fn utilisation_permille(self) -> Option<u64> {
        permille(self.treated_g, self.prorated_capacity_g())
    }

    /// The year's total at the rate so far.
    pub fn projected_g(self) -> u64 {
        (u128::from(self.treated_g) * u128::from(self.days) / u128::from(self.day.max(1))) as u64
    }

    pub fn projected_permille(self) -> Option<u64> {
        permille(self.projected_g(), self.capacity_g)
    }

    /// Days until the annual capacity is used up at the rate so far; `None` at rate zero or
    /// without an annual capacity.
    pub fn days_left(self) -> Option<u64> {
        if self.treated_g == 0 || self.capacity_g == 0 {
            return None;
        }
        let left = self.capacity_g.saturating_sub(self.treated_g);
        Some((u128::from(left) * u128::from(self.day) / u128::from(self.treated_g)) as u64)
    }
}

/// One treatment method of a facility on a date. A permit licenses a method per year or per
/// day: the annual figures are against the annual capacity, the daily ones against the daily.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MethodLine {
    pub method: String,
    pub method_zh: String,
    /// Licensed annual capacity (permits valid on the date that state it per year), grams per
    /// year; 0 when the method is licensed per day only.
    pub capacity_g: u64,
    pub treated_ytd_g: u64,
    pub treated_ytd_items: u64,
    /// The annual capacity pro-rated to the date (capacity × day of year ÷ days in year).
    pub prorated_capacity_g: u64,
    /// Treated year-to-date against the pro-rated capacity, ‰.
    pub utilisation_permille: Option<u64>,
    /// The year's projected total at the rate so far, and that against the annual capacity, ‰.
    pub projected_year_g: u64,
    pub projected_permille: Option<u64>,
    /// Days of annual capacity left at the rate so far (null when nothing was treated or the
    /// method has no annual capacity).
    pub days_of_capacity_left: Option<u64>,
    /// Licensed daily capacity (permits valid on the date that state it per day), grams per
    /// day; null when the method is licensed per year only.
    pub daily_capacity_g: Option<u64>,
    /// Treated on the date (by the day of each item's first treatment), and how many items.
    pub treated_on_date_g: u64,
    pub treated_on_date_items: u64,
    /// Days from 1 January to the date whose treatment exceeded the daily capacity (null
    /// without one).
    pub days_over_daily_capacity: Option<u64>,
    /// The year's busiest day so far and what was treated on it.
    pub peak_day: Option<NaiveDate>,
    pub peak_day_g: u64,
    /// Treated year-to-date against the daily capacity times the days so far, ‰: the average
    /// use of the daily capacity (null without one).
    pub daily_utilisation_permille: Option<u64>,
}

/// A collection point's collection against its collection licence: received year-to-date
/// against the licensed annual collection capacity.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CollectionLine {
    /// Licensed annual collection capacity (collection licences valid on the date), grams.
    pub capacity_g: u64,
    pub received_ytd_g: u64,
    /// The capacity pro-rated to the date.
    pub prorated_capacity_g: u64,
    /// Received against the pro-rated capacity, ‰.
    pub utilisation_permille: Option<u64>,
    pub projected_year_g: u64,
    pub projected_permille: Option<u64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InventoryLine {
    pub waste_code: String,
    pub items: u64,
    pub mass_g: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OldestItem {
    pub item: String,
    /// Its state at the end of the date: `received`, `stored` (the holder's own waste or
    /// residues) or `released` (booked, awaiting pickup).
    pub state: String,
    /// Since when the facility has held it (received it, or made it): RFC 3339 UTC.
    pub held_since: String,
    pub age_days: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Landfill {
    pub licensed_m3: u64,
    pub used_l: u64,
    pub remaining_l: i64,
    pub used_permille: Option<u64>,
}

/// A facility's capacity reconciliation on a date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacilityReconciliation {
    pub facility: String,
    pub name_zh: String,
    pub date: NaiveDate,
    /// Day of the year and days in the year, for the pro-rating.
    pub day_of_year: u32,
    pub days_in_year: u32,
    pub received_ytd_g: u64,
    pub received_ytd_items: u64,
    /// Received on the date itself (the gate's "today"), by the same rule.
    pub received_on_date_g: u64,
    pub received_on_date_items: u64,
    pub methods: Vec<MethodLine>,
    /// For a holder of a collection licence: received against its collection capacity.
    pub collection: Option<CollectionLine>,
    /// Everything the facility holds at the end of the date, whatever its state: waste
    /// received, its own waste and residues, items released but not yet picked up. Not
    /// counted: items refused at its gate (the carrier holds them).
    pub inventory: Vec<InventoryLine>,
    pub inventory_g: u64,
    pub oldest_in_store: Option<OldestItem>,
    pub landfill: Option<Landfill>,
    pub definition_zh: String,
    pub definition_en: String,
}

/// One row of `item_history`.
#[derive(Debug, Clone)]
struct Row {
    item: String,
    seq: u64,
    at: String,
    event: String,
    state: String,
    holder: String,
    mass_g: u64,
    treated_g: Option<u64>,
    method: Option<String>,
    volume_l: Option<u64>,
}

const ROW: &str = "h.item, h.seq, h.at, h.event, h.state, h.holder, h.mass_g, h.treated_g, h.method, h.volume_l";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        item: r.get(0)?,
        seq: r.get::<_, i64>(1)? as u64,
        at: r.get(2)?,
        event: r.get(3)?,
        state: r.get(4)?,
        holder: r.get(5)?,
        mass_g: r.get::<_, i64>(6)? as u64,
        treated_g: r.get::<_, Option<i64>>(7)?.map(|g| g as u64),
        method: r.get(8)?,
        volume_l: r.get::<_, Option<i64>>(9)?.map(|v| v as u64),
    })
}

/// The licensed capacity per method of the facility's permits valid on `day` that state it
/// per `per` (`year` or `day`), grams per year or per day.
fn capacities_per(
    conn: &Connection,
    uscc: &str,
    day: NaiveDate,
    per: CapacityPer,
) -> StoreResult<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    let mut stmt = conn.prepare_cached(
        "SELECT c.method, SUM(c.capacity_t) FROM permit_capacities c JOIN permits p ON p.number = c.permit
         WHERE p.holder = ?1 AND p.valid_from <= ?2 AND p.valid_until >= ?2 AND c.per = ?3 GROUP BY c.method",
    )?;
    for r in stmt.query_map(params![uscc, day.to_string(), per.code()], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })? {
        let (m, t) = r?;
        out.insert(m, t.max(0) as u64 * 1_000_000);
    }
    Ok(out)
}

/// The licensed annual capacity per method of the facility's permits valid on `day`, grams
/// per year (capacities licensed per day are not in it: see [`daily_capacities`]).
pub fn capacities(conn: &Connection, uscc: &str, day: NaiveDate) -> StoreResult<BTreeMap<String, u64>> {
    capacities_per(conn, uscc, day, CapacityPer::Year)
}

/// The licensed daily capacity per method of the facility's permits valid on `day`, grams per day.
pub fn daily_capacities(conn: &Connection, uscc: &str, day: NaiveDate) -> StoreResult<BTreeMap<String, u64>> {
    capacities_per(conn, uscc, day, CapacityPer::Day)
}

/// The licensed annual collection capacity of the holder's collection licences valid on `day`,
/// grams; `None` when it holds none.
pub fn collection_capacity(conn: &Connection, uscc: &str, day: NaiveDate) -> StoreResult<Option<u64>> {
    let t: Option<i64> = conn
        .prepare_cached(
            "SELECT SUM(collection_t_per_year) FROM permits
             WHERE holder = ?1 AND kind = 'collection' AND valid_from <= ?2 AND valid_until >= ?2",
        )?
        .query_row(params![uscc, day.to_string()], |r| r.get(0))?;
    Ok(t.map(|t| t.max(0) as u64 * 1_000_000))
}

/// A method's treatment per CST day this year, and what the daily figures make of it.
#[derive(Debug, Default)]
struct Days {
    by_day: BTreeMap<NaiveDate, u64>,
    /// Items first treated per day.
    items_by_day: BTreeMap<NaiveDate, u64>,
}

impl Days {
    fn over(&self, limit_g: u64) -> u64 {
        self.by_day.values().filter(|&&g| g > limit_g).count() as u64
    }

    fn peak(&self) -> Option<(NaiveDate, u64)> {
        // The first of the busiest days.
        self.by_day
            .iter()
            .fold(None, |best: Option<(NaiveDate, u64)>, (&d, &g)| match best {
                Some((_, b)) if b >= g => best,
                _ => Some((d, g)),
            })
    }
}

/// Each treatment method of facility `uscc` at the end of CST day `date` against the permits
/// valid then (the `methods` of [`facility`], without the rest of its reconciliation), and the
/// landfill volume used up to the date, litres.
pub fn method_lines(conn: &Connection, uscc: &str, date: NaiveDate) -> StoreResult<(Vec<MethodLine>, u64)> {
    let year_start = NaiveDate::from_ymd_opt(date.year(), 1, 1).expect("1 January");
    let next_year = NaiveDate::from_ymd_opt(date.year() + 1, 1, 1).expect("1 January");
    let days = (next_year - year_start).num_days() as u32;
    let day = date.ordinal();
    let (start, end) = bounds(year_start, date);
    // Treated this year, by method: the item's first treated row dates it, its latest row up
    // to the date gives the mass (a correction of the treated mass counts).
    let mut treated: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut days_of: BTreeMap<String, Days> = BTreeMap::new();
    let mut landfill_used_l = 0u64;
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ROW}, f.first_at FROM item_history h
             JOIN (SELECT item, MIN(at) AS first_at, MAX(seq) AS s FROM item_history
                   WHERE holder = ?1 AND state = 'treated' AND at < ?2 GROUP BY item) f
               ON f.item = h.item AND f.s = h.seq"
        ))?;
        let rows = stmt.query_map(params![uscc, end], |r| Ok((row(r)?, r.get::<_, String>(10)?)))?;
        for r in rows {
            let (r, first_at) = r?;
            let method = r.method.clone().unwrap_or_default();
            if method == "landfill" {
                landfill_used_l += r.volume_l.unwrap_or(0);
            }
            if first_at >= start {
                let g = r.treated_g.unwrap_or(r.mass_g);
                if let Ok(t) = DateTime::parse_from_rfc3339(&first_at) {
                    let day = crate::time::cst_date(t.with_timezone(&Utc));
                    let d = days_of.entry(method.clone()).or_default();
                    *d.by_day.entry(day).or_default() += g;
                    *d.items_by_day.entry(day).or_default() += 1;
                }
                let e = treated.entry(method).or_default();
                e.0 += g;
                e.1 += 1;
            }
        }
    }

    // Licensed capacities and landfill volume of the permits valid on the date.
    let capacities = capacities(conn, uscc, date)?;
    let daily = daily_capacities(conn, uscc, date)?;
    let mut methods = Vec::new();
    let mut names: Vec<&String> = capacities.keys().chain(daily.keys()).chain(treated.keys()).collect();
    names.sort();
    names.dedup();
    let no_days = Days::default();
    for m in names {
        if m == "landfill" {
            continue;
        }
        let capacity_g = capacities.get(m).copied().unwrap_or(0);
        let (treated_g, items) = treated.get(m).copied().unwrap_or((0, 0));
        let u = CapacityUse {
            capacity_g,
            treated_g,
            day,
            days,
        };
        let daily_capacity_g = daily.get(m).copied();
        let d = days_of.get(m).unwrap_or(&no_days);
        let peak = d.peak();
        methods.push(MethodLine {
            method: m.clone(),
            method_zh: crate::domain::TreatmentMethod::parse(m)
                .map(|t| t.named().name_zh.to_owned())
                .unwrap_or_else(|_| m.clone()),
            capacity_g,
            treated_ytd_g: treated_g,
            treated_ytd_items: items,
            prorated_capacity_g: u.prorated_capacity_g(),
            utilisation_permille: u.utilisation_permille(),
            projected_year_g: u.projected_g(),
            projected_permille: u.projected_permille(),
            days_of_capacity_left: u.days_left(),
            daily_capacity_g,
            treated_on_date_g: d.by_day.get(&date).copied().unwrap_or(0),
            treated_on_date_items: d.items_by_day.get(&date).copied().unwrap_or(0),
            days_over_daily_capacity: daily_capacity_g.map(|limit| d.over(limit)),
            peak_day: peak.map(|(d, _)| d),
            peak_day_g: peak.map_or(0, |(_, g)| g),
            daily_utilisation_permille: daily_capacity_g
                .and_then(|limit| permille(treated_g, limit.saturating_mul(u64::from(day)))),
        });
    }
    Ok((methods, landfill_used_l))
}

/// The capacity reconciliation of facility `uscc` at the end of CST day `date`.
pub fn facility(conn: &Connection, uscc: &str, date: NaiveDate) -> StoreResult<FacilityReconciliation> {
    let name_zh: String = conn
        .prepare_cached("SELECT name_zh FROM enterprises WHERE uscc = ?1")?
        .query_row([uscc], |r| r.get(0))
        .optional()?
        .ok_or_else(|| {
            Refusal::not_found(
                "unknown_enterprise",
                format!("no enterprise {uscc} is registered"),
                format!("没有登记企业{uscc}"),
            )
        })?;
    let year_start = NaiveDate::from_ymd_opt(date.year(), 1, 1).expect("1 January");
    let next_year = NaiveDate::from_ymd_opt(date.year() + 1, 1, 1).expect("1 January");
    let days = (next_year - year_start).num_days() as u32;
    let day = date.ordinal();
    let (start, end) = bounds(year_start, date);
    let day_str = date.to_string();

    // Received this year, and on the date: each item's first row received by the facility.
    let received_between = |from: &str, to: &str| -> StoreResult<(i64, i64)> {
        Ok(conn
            .prepare_cached(
                "SELECT COALESCE(SUM(h.mass_g), 0), COUNT(*) FROM item_history h
                 JOIN (SELECT item, MIN(seq) AS s FROM item_history WHERE holder = ?1 AND event = 'receive'
                       AND state = 'received' GROUP BY item) f ON f.item = h.item AND f.s = h.seq
                 WHERE h.at >= ?2 AND h.at < ?3",
            )?
            .query_row(params![uscc, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?)
    };
    let (received_g, received_items) = received_between(&start, &end)?;
    let (today_start, _) = bounds(date, date);
    let (received_today_g, received_today_items) = received_between(&today_start, &end)?;

    let (methods, landfill_used_l) = method_lines(conn, uscc, date)?;
    let licensed_m3: Option<i64> = conn
        .prepare_cached(
            "SELECT SUM(landfill_volume_m3) FROM permits WHERE holder = ?1 AND valid_from <= ?2 AND valid_until >= ?2",
        )?
        .query_row(params![uscc, day_str], |r| r.get(0))?;
    let collection = collection_capacity(conn, uscc, date)?.map(|capacity_g| {
        let u = CapacityUse {
            capacity_g,
            treated_g: received_g.max(0) as u64,
            day,
            days,
        };
        CollectionLine {
            capacity_g,
            received_ytd_g: u.treated_g,
            prorated_capacity_g: u.prorated_capacity_g(),
            utilisation_permille: u.utilisation_permille(),
            projected_year_g: u.projected_g(),
            projected_permille: u.projected_permille(),
        }
    });

    // On site at the end of the date: the items whose latest row then has the facility
    // holding them, whatever their state (received, its own waste stored, released but not
    // yet picked up); each held since the first row of its present stay with the facility.
    let mut inventory: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut oldest: Option<(String, String, String)> = None;
    {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ROW}, i.waste_code FROM item_history h JOIN items i ON i.code = h.item
             JOIN (SELECT item, MAX(seq) AS s FROM item_history
                   WHERE at < ?2 AND item IN (SELECT item FROM item_history WHERE holder = ?1) GROUP BY item) l
               ON l.item = h.item AND l.s = h.seq
             WHERE h.holder = ?1 AND h.state IN ('received', 'stored', 'released')"
        ))?;
        // The stay began after the last row up to then that had another holder, or with the
        // item itself.
        let mut since = conn.prepare_cached(
            "SELECT MIN(at) FROM item_history WHERE item = ?1 AND seq <= ?3
               AND seq > coalesce((SELECT MAX(seq) FROM item_history WHERE item = ?1 AND seq <= ?3 AND holder != ?2), -1)",
        )?;
        for r in stmt.query_map(params![uscc, end], |r| {
            Ok((row(r)?, r.get::<_, i64>(1)?, r.get::<_, String>(10)?))
        })? {
            let (r, seq, waste) = r?;
            let e = inventory.entry(waste).or_default();
            e.0 += 1;
            e.1 += r.mass_g;
            let held: Option<String> = since.query_row(params![r.item, uscc, seq], |x| x.get(0))?;
            let held = held.unwrap_or(r.at.clone());
            if oldest.as_ref().is_none_or(|(_, s, _)| held < *s) {
                oldest = Some((r.item.clone(), held, r.state.clone()));
            }
        }
    }
    let end_of_day = day_start(date + Duration::days(1));
    let oldest_in_store = oldest.map(|(item, since, state)| {
        let age = DateTime::parse_from_rfc3339(&since)
            .map(|t| (end_of_day - t.with_timezone(&Utc)).num_days())
            .unwrap_or(0);
        OldestItem {
            item,
            state,
            held_since: since,
            age_days: age,
        }
    });
    let landfill = licensed_m3.map(|m3| {
        let licensed_l = m3 as u64 * 1000;
        Landfill {
            licensed_m3: m3 as u64,
            used_l: landfill_used_l,
            remaining_l: licensed_l as i64 - landfill_used_l as i64,
            used_permille: permille(landfill_used_l, licensed_l),
        }
    });
    Ok(FacilityReconciliation {
        facility: uscc.to_owned(),
        name_zh,
        date,
        day_of_year: day,
        days_in_year: days,
        received_ytd_g: received_g as u64,
        received_ytd_items: received_items as u64,
        received_on_date_g: received_today_g.max(0) as u64,
        received_on_date_items: received_today_items.max(0) as u64,
        inventory_g: inventory.values().map(|(_, g)| g).sum(),
        inventory: inventory
            .into_iter()
            .map(|(waste_code, (items, mass_g))| InventoryLine {
                waste_code,
                items,
                mass_g,
            })
            .collect(),
        methods,
        collection,
        oldest_in_store,
        landfill,
        definition_zh: "年初至统计日（北京时间）：接收量为本单位首次接收的废物的接收重量；处置量按方式统计首次处置发生在本年的废物的处置重量；\
            按比例产能 = 许可年产能 × 已过天数 ÷ 全年天数；利用率 = 处置量 ÷ 按比例产能；年末预计 = 处置量 × 全年天数 ÷ 已过天数；\
            按日许可的处置能力以日计：统计日处置量、本年超过日处置能力的天数、日均利用率 = 处置量 ÷（日处置能力 × 已过天数）；\
            统计日接收量与各方式统计日处置量按同样规则只计该日；收集经营许可证以接收量对照年收集能力；库存为统计日结束时本单位持有的全部废物（接收的、自产的和已交付待运的），不含在本单位门口被拒收的废物。"
            .into(),
        definition_en: "Year to the date (China time): received = accepted mass of items the facility first received this \
            year; treated = treated mass, by method, of items first treated this year; pro-rated capacity = licensed \
            annual capacity × days elapsed ÷ days in the year; utilisation = treated ÷ pro-rated capacity; projected = \
            treated × days in the year ÷ days elapsed. A capacity licensed per day is judged per day: treated on the date, \
            days this year over the daily capacity, and average use = treated ÷ (daily capacity × days elapsed). Received \
            and treated on the date count that day only, by the same rules. A \
            collection licence compares received with its annual collection capacity. Inventory = everything the facility \
            holds at the end of the date (received, its own waste and residues, released awaiting pickup), not items \
            refused at its gate."
            .into(),
    })
}

/// The reconciliation as a plain-text table (the CLI's `hwtrace reconcile`).
pub fn table(r: &FacilityReconciliation) -> String {
    use crate::render::public::{percent, tonnes};
    let mut out = format!(
        "{} {}  {} (day {} of {})\nreceived this year: {} t in {} items; on site: {} t\n\n",
        r.facility,
        r.name_zh,
        r.date,
        r.day_of_year,
        r.days_in_year,
        tonnes(r.received_ytd_g),
        r.received_ytd_items,
        tonnes(r.inventory_g)
    );
    out.push_str(&format!(
        "{:<18} {:>12} {:>12} {:>8} {:>12} {:>12} {:>10} {:>10}\n",
        "method", "capacity t", "treated t", "items", "pro-rated t", "utilisation", "projected", "days left"
    ));
    for m in &r.methods {
        // A line licensed per day shows its daily limit here; its figures follow below.
        let capacity = match m.daily_capacity_g {
            Some(day) if m.capacity_g == 0 => format!("{}/day", tonnes(day)),
            _ => tonnes(m.capacity_g),
        };
        out.push_str(&format!(
            "{:<18} {:>12} {:>12} {:>8} {:>12} {:>12} {:>10} {:>10}\n",
            m.method,
            capacity,
            tonnes(m.treated_ytd_g),
            m.treated_ytd_items,
            tonnes(m.prorated_capacity_g),
            percent(m.utilisation_permille),
            percent(m.projected_permille),
            m.days_of_capacity_left
                .map_or_else(|| "-".to_owned(), |d| d.to_string())
        ));
    }
    for m in &r.methods {
        if let Some(limit) = m.daily_capacity_g {
            out.push_str(&format!(
                "{}: daily capacity {} t; {} t on the date; {} days over it this year; average use {}; busiest day {} ({} t)\n",
                m.method,
                tonnes(limit),
                tonnes(m.treated_on_date_g),
                m.days_over_daily_capacity.unwrap_or(0),
                percent(m.daily_utilisation_permille),
                m.peak_day.map_or_else(|| "-".to_owned(), |d| d.to_string()),
                tonnes(m.peak_day_g)
            ));
        }
    }
    if let Some(c) = &r.collection {
        out.push_str(&format!(
            "collection licence: {} t a year; received {} t ({} of the pro-rated capacity)\n",
            tonnes(c.capacity_g),
            tonnes(c.received_ytd_g),
            percent(c.utilisation_permille)
        ));
    }
    if let Some(l) = &r.landfill {
        out.push_str(&format!(
            "landfill: {} m³ licensed, {} m³ used ({}), {} m³ remaining\n",
            l.licensed_m3,
            l.used_l / 1000,
            percent(l.used_permille),
            l.remaining_l / 1000
        ));
    }
    if !r.inventory.is_empty() {
        out.push_str("\ninventory by waste code:\n");
        for i in &r.inventory {
            out.push_str(&format!(
                "  {}  {:>6} items  {:>10} t\n",
                i.waste_code,
                i.items,
                tonnes(i.mass_g)
            ));
        }
    }
    if let Some(o) = &r.oldest_in_store {
        out.push_str(&format!(
            "oldest in store: {} ({}) held since {} ({} days)\n",
            o.item, o.state, o.held_since, o.age_days
        ));
    }
    out
}

// ---- public disclosure -------------------------------------------------------------------

/// One facility as the public sees it: no enterprise-private data.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicFacility {
    pub uscc: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub district: String,
    /// The district's names (the code itself when the district is not in the reference list).
    pub district_zh: String,
    pub district_en: String,
    pub reconciliation: PublicFigures,
}

/// The public part of a reconciliation: capacities and their use.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PublicFigures {
    pub date: NaiveDate,
    pub methods: Vec<MethodLine>,
    pub received_ytd_g: u64,
    pub inventory_g: u64,
    pub landfill: Option<Landfill>,
}

/// A facility row of the disclosure: (USCC, names), (district code, names).
type PublicRow = ((String, String, Option<String>), (String, String, String));

/// Every licensed facility's capacities and their use this year (public disclosure, no login).
pub fn public_facilities(conn: &Connection, date: NaiveDate) -> StoreResult<Vec<PublicFacility>> {
    let rows = conn
        .prepare_cached(
            "SELECT e.uscc, e.name_zh, e.name_en, e.district, COALESCE(d.name_zh, e.district),
                    COALESCE(d.name_en, e.district)
             FROM enterprises e LEFT JOIN districts d ON d.code = e.district
             WHERE EXISTS(SELECT 1 FROM enterprise_roles r WHERE r.uscc = e.uscc AND r.role = 'facility')
               AND EXISTS(SELECT 1 FROM permits p WHERE p.holder = e.uscc)
             ORDER BY e.uscc",
        )?
        .query_map([], |r| {
            Ok(((r.get(0)?, r.get(1)?, r.get(2)?), (r.get(3)?, r.get(4)?, r.get(5)?)))
        })?
        .collect::<rusqlite::Result<Vec<PublicRow>>>()?;
    let mut out = Vec::with_capacity(rows.len());
    for ((uscc, name_zh, name_en), (district, district_zh, district_en)) in rows {
        let r = facility(conn, &uscc, date)?;
        out.push(PublicFacility {
            uscc,
            name_zh,
            name_en,
            district,
            district_zh,
            district_en,
            reconciliation: PublicFigures {
                date,
                methods: r.methods,
                received_ytd_g: r.received_ytd_g,
                inventory_g: r.inventory_g,
                landfill: r.landfill,
            },
        });
    }
    Ok(out)
}

// ---- cohorts: disposal rates and mass balance ----------------------------------------------

/// Where a share of a generated item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Still at its generator.
    AtGenerator,
    /// Released, on the road, at the receiver's gate, or refused and travelling back.
    InTransit,
    /// Received by a facility or collection point, not yet treated.
    AtFacility,
    /// Treated: disposed of or utilised.
    Treated,
    /// Lost in an incident.
    Lost,
}

fn bucket(state: &str, holder: &str, generator: &str) -> Bucket {
    match state {
        "treated" => Bucket::Treated,
        "lost" => Bucket::Lost,
        "released" | "in_transit" | "arrived" | "refused" => Bucket::InTransit,
        _ if holder == generator => Bucket::AtGenerator,
        _ => Bucket::AtFacility,
    }
}

/// A generated item of a cohort.
struct Member {
    code: String,
    generator: String,
    district: String,
    waste_code: String,
    declared_g: u64,
    /// The logged time of its `generate` (RFC 3339 UTC).
    at: String,
}

/// The items `generate` created (residues included; items repacked by `consolidate` or
/// `split` are not new waste) by generators of `district` (all if `None`) in the period.
fn cohort(conn: &Connection, from: NaiveDate, to: NaiveDate, district: Option<&str>) -> StoreResult<Vec<Member>> {
    let (start, end) = bounds(from, to);
    let mut stmt = conn.prepare_cached(
        "SELECT i.code, i.generator, e.district, i.waste_code, i.mass_g, h.at FROM item_history h
         JOIN items i ON i.code = h.item JOIN enterprises e ON e.uscc = i.generator
         WHERE h.seq = i.created_seq AND h.event = 'generate' AND h.at >= ?1 AND h.at < ?2
           AND (?3 IS NULL OR e.district = ?3)
         ORDER BY i.code",
    )?;
    let rows = stmt.query_map(params![start, end, district], |r| {
        Ok(Member {
            code: r.get(0)?,
            generator: r.get(1)?,
            district: r.get(2)?,
            waste_code: r.get(3)?,
            declared_g: r.get::<_, i64>(4)? as u64,
            at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Reads items' latest rows up to a time, and follows repacked items into their outputs.
struct Fates<'c> {
    conn: &'c Connection,
    until: String,
    cache: HashMap<String, BTreeMap<Bucket, u64>>,
    /// The items that parts refused at a gate were made of (the inputs of the items a `receive`
    /// created), read once: only these can have refused parts, so the others need no look.
    parted: Option<HashSet<String>>,
}

impl Fates<'_> {
    /// Whether `item` may have parts refused of it.
    fn may_have_parts(&mut self, item: &str) -> StoreResult<bool> {
        if self.parted.is_none() {
            let set = self
                .conn
                .prepare_cached(
                    "SELECT DISTINCT j.value FROM items p, json_each(p.custody, '$.inputs') j
                     WHERE EXISTS(SELECT 1 FROM item_history h
                                  WHERE h.item = p.code AND h.seq = p.created_seq AND h.event = 'receive')",
                )?
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<HashSet<String>>>()?;
            self.parted = Some(set);
        }
        Ok(self.parted.as_ref().is_some_and(|p| p.contains(item)))
    }

    fn latest(&self, item: &str) -> StoreResult<Option<Row>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {ROW} FROM item_history h WHERE h.item = ?1 AND h.at <= ?2 ORDER BY h.seq DESC LIMIT 1"
            ))?
            .query_row(params![item, self.until], row)
            .optional()?)
    }

    /// Where `weight` grams of `item` stand, by bucket: its own state, or for an item packed
    /// into others (consolidate, split), its outputs' fates in proportion to its share; and the
    /// fates of the parts refused of it at a gate, in proportion to their masses.
    fn fate(&mut self, item: &str, generator: &str, weight: u64, depth: u32) -> StoreResult<BTreeMap<Bucket, u64>> {
        let shares = match self.cache.get(item) {
            Some(s) => s.clone(),
            None => {
                let s = self.shares(item, generator, depth)?;
                self.cache.insert(item.to_owned(), s.clone());
                s
            }
        };
        Ok(allocate(weight, &shares))
    }

    /// The item's fate in grams (any positive weights).
    fn shares(&mut self, item: &str, generator: &str, depth: u32) -> StoreResult<BTreeMap<Bucket, u64>> {
        let Some(r) = self.latest(item)? else {
            return Ok(BTreeMap::from([(Bucket::AtGenerator, 1)]));
        };
        let own = self.own_shares(item, &r, generator, depth)?;
        let parts = match depth < 8 && self.may_have_parts(item)? {
            true => refused_parts(self.conn, item, &self.until)?,
            false => Vec::new(),
        };
        if parts.is_empty() {
            return Ok(own);
        }
        // In grams of the item's declared mass: each part carries its own, the item the rest.
        let declared: i64 = self
            .conn
            .prepare_cached("SELECT mass_g FROM items WHERE code = ?1")?
            .query_row([item], |x| x.get(0))?;
        let kept = (declared as u64).saturating_sub(parts.iter().map(|p| p.declared_g).sum());
        let mut out = allocate(kept.max(1), &own);
        for p in parts {
            for (b, w) in self.fate(&p.code, generator, p.declared_g, depth + 1)? {
                *out.entry(b).or_default() += w;
            }
        }
        Ok(out)
    }

    /// The fate of what the item itself holds (not its refused parts).
    fn own_shares(&mut self, item: &str, r: &Row, generator: &str, depth: u32) -> StoreResult<BTreeMap<Bucket, u64>> {
        if (r.state == "consolidated" || r.state == "split") && depth < 8 {
            let custody: Option<String> = self
                .conn
                .prepare_cached("SELECT custody FROM items WHERE code = ?1")?
                .query_row([item], |x| x.get(0))?;
            let outputs = match custody.as_deref().map(parse_state) {
                Some(Ok(s)) => match s.custody {
                    Custody::Consolidated { into } => vec![into],
                    Custody::Split { into } => into,
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            let mut out = BTreeMap::new();
            for o in &outputs {
                let g = self.output_share(o, item)?;
                for (b, w) in self.fate(o.as_str(), generator, g, depth + 1)? {
                    *out.entry(b).or_default() += w;
                }
            }
            if !out.is_empty() {
                return Ok(out);
            }
        }
        let b = bucket(&r.state, &r.holder, generator);
        Ok(BTreeMap::from([(b, r.mass_g.max(1))]))
    }

    /// The grams of output `o` that input `input` accounts for: the output's declared mass in
    /// proportion to the input's mass among the output's inputs.
    fn output_share(&self, o: &ItemCode, input: &str) -> StoreResult<u64> {
        let (declared, custody): (i64, Option<String>) = self
            .conn
            .prepare_cached("SELECT mass_g, custody FROM items WHERE code = ?1")?
            .query_row([o.as_str()], |x| Ok((x.get(0)?, x.get(1)?)))?;
        let inputs = custody
            .as_deref()
            .and_then(|c| parse_state(c).ok())
            .map(|s| s.inputs)
            .unwrap_or_default();
        let mut total = 0u64;
        let mut mine = 0u64;
        for i in &inputs {
            let m = self.latest(i.as_str())?.map_or(0, |r| r.mass_g);
            total += m;
            if i.as_str() == input {
                mine = m;
            }
        }
        Ok(if total == 0 {
            declared as u64
        } else {
            (u128::from(declared as u64) * u128::from(mine) / u128::from(total)) as u64
        })
    }
}

/// A part refused of an item at a gate: an item of its own, made by a partial `receive`.
struct Part {
    code: String,
    /// Its declared mass: the refused mass.
    declared_g: u64,
    /// The entry of the `receive` that made it.
    seq: u64,
}

/// The parts refused of `item` at a gate by `until`, in the order they were made.
fn refused_parts(conn: &Connection, item: &str, until: &str) -> StoreResult<Vec<Part>> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.code, p.mass_g, p.created_seq FROM items x, json_each(x.custody, '$.outputs') o
         JOIN items p ON p.code = o.value
         JOIN item_history h ON h.item = p.code AND h.seq = p.created_seq
         WHERE x.code = ?1 AND h.event = 'receive' AND h.at <= ?2
         ORDER BY p.created_seq, p.code",
    )?;
    let rows = stmt.query_map(params![item, until], |r| {
        Ok(Part {
            code: r.get(0)?,
            declared_g: r.get::<_, i64>(1)? as u64,
            seq: r.get::<_, i64>(2)? as u64,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Splits `weight` over the buckets in proportion to `shares`, exactly (the remainder goes
/// to the largest share).
fn allocate(weight: u64, shares: &BTreeMap<Bucket, u64>) -> BTreeMap<Bucket, u64> {
    let total: u128 = shares.values().map(|&w| u128::from(w)).sum();
    let mut out = BTreeMap::new();
    if total == 0 {
        return out;
    }
    let mut given = 0u64;
    for (b, w) in shares {
        let g = (u128::from(weight) * u128::from(*w) / total) as u64;
        given += g;
        out.insert(*b, g);
    }
    if let Some((b, _)) = shares.iter().max_by_key(|(_, w)| **w) {
        *out.entry(*b).or_default() += weight - given;
    }
    out
}

/// How a cohort is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    District,
    Generator,
    Category,
    Code,
}

impl GroupBy {
    pub fn parse(s: &str) -> Result<GroupBy, Refusal> {
        Ok(match s {
            "district" => GroupBy::District,
            "generator" => GroupBy::Generator,
            "category" => GroupBy::Category,
            "code" => GroupBy::Code,
            other => {
                return Err(Refusal::invalid(
                    "bad_group_by",
                    format!("unknown grouping '{other}'; expected district, generator, category or code"),
                    format!("未知的分组“{other}”，应为district、generator、category或code"),
                ))
            }
        })
    }
}

/// A cohort's standing, by bucket.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Standing {
    pub items: u64,
    /// Declared mass generated.
    pub generated_g: u64,
    pub treated_g: u64,
    pub at_generator_g: u64,
    pub in_transit_g: u64,
    pub at_facility_g: u64,
    pub lost_g: u64,
    /// Treated ÷ generated, ‰ (null for an empty cohort).
    pub disposal_permille: Option<u64>,
}

impl Standing {
    fn add(&mut self, declared: u64, fate: &BTreeMap<Bucket, u64>) {
        self.items += 1;
        self.generated_g += declared;
        for (b, g) in fate {
            *match b {
                Bucket::Treated => &mut self.treated_g,
                Bucket::AtGenerator => &mut self.at_generator_g,
                Bucket::InTransit => &mut self.in_transit_g,
                Bucket::AtFacility => &mut self.at_facility_g,
                Bucket::Lost => &mut self.lost_g,
            } += g;
        }
        self.disposal_permille = permille(self.treated_g, self.generated_g);
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GroupLine {
    pub key: String,
    pub name: String,
    #[serde(flatten)]
    pub standing: Standing,
}

/// Disposal rates of the waste generated in a period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DisposalRates {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Where the cohort stands: at the end of this time (RFC 3339 UTC).
    pub as_of: String,
    pub district: Option<String>,
    /// Industrial hazardous waste (every category but HW01): the safe-disposal rate.
    pub industrial: Standing,
    /// Medical waste (HW01): the centralised disposal rate.
    pub medical: Standing,
    pub groups: Vec<GroupLine>,
    pub definition_zh: String,
    pub definition_en: String,
}

/// Disposal rates of the cohort generated from `from` to `to` (CST days) by generators of
/// `district`, as the cohort stands at `as_of`.
pub fn disposal_rates(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
    as_of: DateTime<Utc>,
    district: Option<&str>,
    by: GroupBy,
) -> StoreResult<DisposalRates> {
    check_period(from, to)?;
    let members = cohort(conn, from, to, district)?;
    let mut fates = Fates {
        conn,
        until: rfc3339(as_of),
        cache: HashMap::new(),
        parted: None,
    };
    let mut industrial = Standing::default();
    let mut medical = Standing::default();
    let mut groups: BTreeMap<String, Standing> = BTreeMap::new();
    for m in &members {
        let fate = fates.fate(&m.code, &m.generator, m.declared_g, 0)?;
        let medical_waste = m.waste_code.ends_with("-01");
        if medical_waste {
            medical.add(m.declared_g, &fate);
        } else {
            industrial.add(m.declared_g, &fate);
        }
        let key = match by {
            GroupBy::District => m.district.clone(),
            GroupBy::Generator => m.generator.clone(),
            GroupBy::Category => format!("HW{}", &m.waste_code[m.waste_code.len() - 2..]),
            GroupBy::Code => m.waste_code.clone(),
        };
        groups.entry(key).or_default().add(m.declared_g, &fate);
    }
    let mut lines = Vec::with_capacity(groups.len());
    for (key, standing) in groups {
        let name = match by {
            GroupBy::District => conn
                .prepare_cached("SELECT name_zh FROM districts WHERE code = ?1")?
                .query_row([&key], |r| r.get(0))
                .optional()?,
            GroupBy::Generator => conn
                .prepare_cached("SELECT name_zh FROM enterprises WHERE uscc = ?1")?
                .query_row([&key], |r| r.get(0))
                .optional()?,
            GroupBy::Code => conn
                .prepare_cached("SELECT description FROM catalogue_entries WHERE code = ?1 LIMIT 1")?
                .query_row([&key], |r| r.get(0))
                .optional()
                .unwrap_or(None),
            GroupBy::Category => None,
        };
        lines.push(GroupLine {
            name: name.unwrap_or_else(|| key.clone()),
            key,
            standing,
        });
    }
    Ok(DisposalRates {
        from,
        to,
        as_of: rfc3339(as_of),
        district: district.map(str::to_owned),
        industrial,
        medical,
        groups: lines,
        definition_zh: "对象：统计期内（北京时间）由产废单位登记（generate，含处置残渣；合并、分装产生的新容器不重复计）的危险废物，按申报重量计；\
            状态取截至as_of的日志记录；合并或分装的废物按其在新容器中的份额跟踪。处置率 = 已处置（treat）重量 ÷ 产生重量；\
            仍在产废单位贮存、运输途中或在接收单位未处置的部分分别列出，不计为已处置。工业危险废物为HW01以外各类，医疗废物为HW01。"
            .into(),
        definition_en: "Cohort: hazardous waste registered by generators (`generate`, residues included; containers \
            made by consolidate or split are not counted again) in the period (China time), by declared mass; where it \
            stands as the log says at as_of; consolidated or split items are followed into their new containers in \
            proportion. Disposal rate = treated mass ÷ generated mass; what is still at the generator, in transit or \
            untreated at a receiver is shown as such, never counted as disposed. Industrial = every category but HW01; \
            medical = HW01."
            .into(),
    })
}

/// The industrial and medical standings of the cohort of each CST month (`YYYY-MM`) of the
/// period that generated any waste, by the month of each item's `generate`, as the cohorts
/// stand at `as_of`: [`disposal_rates`] month by month.
pub fn monthly_rates(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
    as_of: DateTime<Utc>,
    district: Option<&str>,
) -> StoreResult<Vec<(String, Standing, Standing)>> {
    check_period(from, to)?;
    let members = cohort(conn, from, to, district)?;
    let mut fates = Fates {
        conn,
        until: rfc3339(as_of),
        cache: HashMap::new(),
        parted: None,
    };
    let mut months: BTreeMap<String, (Standing, Standing)> = BTreeMap::new();
    for m in &members {
        let fate = fates.fate(&m.code, &m.generator, m.declared_g, 0)?;
        let month = DateTime::parse_from_rfc3339(&m.at)
            .map(|t| t.with_timezone(&cst()).format("%Y-%m").to_string())
            .unwrap_or_else(|_| m.at.chars().take(7).collect());
        let (industrial, medical) = months.entry(month).or_default();
        if m.waste_code.ends_with("-01") {
            medical.add(m.declared_g, &fate);
        } else {
            industrial.add(m.declared_g, &fate);
        }
    }
    Ok(months.into_iter().map(|(m, (i, d))| (m, i, d)).collect())
}

/// One item whose mass moved other than by being carried, or a part refused of one at a gate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalanceLine {
    pub item: String,
    /// For a part refused at a gate (an item of its own): the generated item it was part of.
    pub part_of: Option<String>,
    pub declared_g: u64,
    /// Where its mass is at as_of (`treated` counts the treated mass).
    pub bucket: String,
    pub mass_g: u64,
    /// Changes by cause, grams (positive: the mass went down).
    pub weighing_g: i64,
    /// What a decision at a gate took off the item beyond the parts refused of it (the scale's
    /// slack of accepted + refused = weighed ± 1 g).
    pub refused_at_gate_g: i64,
    /// What the item handed to the parts refused of it at a gate: each is an item of its own,
    /// with its own line (`part_of`), and counts where it is.
    pub refused_parts_g: i64,
    pub lost_g: i64,
    pub treatment_g: i64,
    pub correction_g: i64,
    /// A change no event explains, or a first mass that is not the declared one: these
    /// items do not close.
    pub unexplained_g: i64,
}

/// The mass balance of a cohort.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MassBalance {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub as_of: String,
    pub district: Option<String>,
    pub items: u64,
    pub generated_g: u64,
    pub at_generator_g: u64,
    pub in_transit_g: u64,
    pub at_facility_g: u64,
    pub treated_g: u64,
    /// Mass of items repacked into new containers (consolidate, split).
    pub repacked_g: u64,
    /// Mass refused at gates and followed as items of their own (the refused parts of partial
    /// refusals): their places are in the figures above, their changes in those below.
    pub refused_parts_g: u64,
    /// Recorded changes, grams (positive: the mass went down).
    pub weighing_g: i64,
    pub refused_at_gate_g: i64,
    pub lost_g: i64,
    pub treatment_g: i64,
    pub correction_g: i64,
    pub unexplained_g: i64,
    /// generated − (the places + the recorded changes): zero when the balance closes.
    pub difference_g: i64,
    pub closes: bool,
    /// Every item with a recorded change or that does not close (at most 1,000, those that do
    /// not close first).
    pub lines: Vec<BalanceLine>,
    pub lines_total: u64,
    pub definition_zh: String,
    pub definition_en: String,
}

/// Most lines a mass balance lists.
pub const MAX_BALANCE_LINES: usize = 1000;

/// generated = at generators + in transit + at facilities + treated + repacked ± the recorded
/// changes (weighing differences, the scale's slack at the gate, losses, treatment differences,
/// corrections), for the cohort of the period, item by item from their histories up to `as_of`;
/// the parts refused at a gate are followed as items of their own, each on its own line.
pub fn mass_balance(
    conn: &Connection,
    from: NaiveDate,
    to: NaiveDate,
    as_of: DateTime<Utc>,
    district: Option<&str>,
) -> StoreResult<MassBalance> {
    check_period(from, to)?;
    let members = cohort(conn, from, to, district)?;
    let until = rfc3339(as_of);
    let mut b = MassBalance {
        from,
        to,
        as_of: until.clone(),
        district: district.map(str::to_owned),
        items: members.len() as u64,
        generated_g: 0,
        at_generator_g: 0,
        in_transit_g: 0,
        at_facility_g: 0,
        treated_g: 0,
        repacked_g: 0,
        refused_parts_g: 0,
        weighing_g: 0,
        refused_at_gate_g: 0,
        lost_g: 0,
        treatment_g: 0,
        correction_g: 0,
        unexplained_g: 0,
        difference_g: 0,
        closes: true,
        lines: Vec::new(),
        lines_total: 0,
        definition_zh: "对象同处置率。每件废物：申报重量 = 截至as_of所在位置的重量（产废单位、运输途中、接收单位、已处置的处置重量、合并或分装转入新容器的重量）\
            + 日志记录的变化（称重差异、接收时的计量误差、事故损失、处置差异、更正）+ 部分拒收时分出的拒收部分。拒收部分是独立的废物（有自己的编码和标签），\
            单列一行（part_of）并按其所在位置计入。无事件可解释的变化列为不平衡。"
            .into(),
        definition_en: "Cohort as for the disposal rates. For each item: declared mass = its mass where it is at as_of \
            (at the generator, in transit, at a receiver, the treated mass, or repacked into new containers) + the \
            changes the log records (weighing differences, the scale's slack at a gate decision, losses, treatment \
            differences, corrections) + the parts refused of it at a gate. A refused part is an item of its own (its \
            own code and label), with a line of its own (part_of), counted where it is. A change no event explains \
            does not close."
            .into(),
    };
    let mut lines = Vec::new();
    for m in &members {
        // The item, then the parts refused of it at gates (and of them), each on its own line.
        let mut walk = vec![(m.code.clone(), m.declared_g, None::<String>, 0u32)];
        while let Some((code, declared_g, part_of, depth)) = walk.pop() {
            let parts = match depth < 8 {
                true => refused_parts(conn, &code, &until)?,
                false => Vec::new(),
            };
            let Some(line) = balance_line(conn, &code, declared_g, part_of, &parts, &m.generator, &until)? else {
                continue;
            };
            if depth == 0 {
                b.generated_g += m.declared_g;
            }
            for p in parts.into_iter().rev() {
                walk.push((p.code, p.declared_g, Some(m.code.clone()), depth + 1));
            }
            match line.bucket.as_str() {
                "repacked" => b.repacked_g += line.mass_g,
                "at_generator" => b.at_generator_g += line.mass_g,
                "in_transit" => b.in_transit_g += line.mass_g,
                "at_facility" => b.at_facility_g += line.mass_g,
                "treated" => b.treated_g += line.mass_g,
                _ => {}
            }
            if line.part_of.is_some() {
                b.refused_parts_g += line.declared_g;
            }
            b.weighing_g += line.weighing_g;
            b.refused_at_gate_g += line.refused_at_gate_g;
            b.lost_g += line.lost_g;
            b.treatment_g += line.treatment_g;
            b.correction_g += line.correction_g;
            b.unexplained_g += line.unexplained_g;
            let changed = line.weighing_g != 0
                || line.refused_at_gate_g != 0
                || line.refused_parts_g != 0
                || line.lost_g != 0
                || line.treatment_g != 0
                || line.correction_g != 0
                || line.unexplained_g != 0
                || line.part_of.is_some();
            if changed {
                lines.push(line);
            }
        }
    }
    let places = b.at_generator_g + b.in_transit_g + b.at_facility_g + b.treated_g + b.repacked_g;
    let changes = b.weighing_g + b.refused_at_gate_g + b.lost_g + b.treatment_g + b.correction_g + b.unexplained_g;
    b.difference_g = b.generated_g as i64 - places as i64 - changes;
    b.closes = b.difference_g == 0 && b.unexplained_g == 0 && lines.iter().all(|l| l.unexplained_g == 0);
    lines.sort_by_key(|l| (l.unexplained_g == 0, l.item.clone()));
    b.lines_total = lines.len() as u64;
    lines.truncate(MAX_BALANCE_LINES);
    b.lines = lines;
    Ok(b)
}

/// One item's line of the mass balance from its history up to `until`: where it is and the
/// changes its entries recorded. What it handed to `parts` (refused at a gate, items of their
/// own) is not a change: it is `refused_parts_g`, and the parts have lines of their own.
#[allow(clippy::too_many_arguments)]
fn balance_line(
    conn: &Connection,
    code: &str,
    declared_g: u64,
    part_of: Option<String>,
    parts: &[Part],
    generator: &str,
    until: &str,
) -> StoreResult<Option<BalanceLine>> {
    let rows = conn
        .prepare_cached(&format!(
            "SELECT {ROW} FROM item_history h WHERE h.item = ?1 AND h.at <= ?2 ORDER BY h.seq"
        ))?
        .query_map(params![code, until], row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let Some(last) = rows.last() else {
        return Ok(None);
    };
    let mut line = BalanceLine {
        item: code.to_owned(),
        part_of,
        declared_g,
        bucket: String::new(),
        mass_g: last.mass_g,
        weighing_g: 0,
        refused_at_gate_g: 0,
        refused_parts_g: 0,
        lost_g: 0,
        treatment_g: 0,
        correction_g: 0,
        unexplained_g: declared_g as i64 - rows[0].mass_g as i64,
    };
    for pair in rows.windows(2) {
        let mut delta = pair[0].mass_g as i64 - pair[1].mass_g as i64;
        if pair[1].event == "receive" {
            let handed: u64 = parts
                .iter()
                .filter(|p| p.seq == pair[1].seq)
                .map(|p| p.declared_g)
                .sum();
            line.refused_parts_g += handed as i64;
            delta -= handed as i64;
        }
        *match pair[1].event.as_str() {
            "weigh" => &mut line.weighing_g,
            "receive" => &mut line.refused_at_gate_g,
            "incident" => &mut line.lost_g,
            "treat" => &mut line.treatment_g,
            "correction" => &mut line.correction_g,
            _ => &mut line.unexplained_g,
        } += delta;
    }
    let place = match last.state.as_str() {
        "consolidated" | "split" => "repacked",
        s => match bucket(s, &last.holder, generator) {
            Bucket::AtGenerator => "at_generator",
            Bucket::InTransit => "in_transit",
            Bucket::AtFacility => "at_facility",
            Bucket::Treated => "treated",
            Bucket::Lost => "lost",
        },
    };
    // A lost item keeps no mass: what it lost is in the changes.
    if place == "lost" {
        line.unexplained_g += last.mass_g as i64;
    }
    line.bucket = place.to_owned();
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_arithmetic() {
        // Yunan's incinerator, 30,000 t/yr; on 1 July (day 182 of 365) 15,000 t treated.
        let u = CapacityUse {
            capacity_g: 30_000_000_000,
            treated_g: 15_000_000_000,
            day: 182,
            days: 365,
        };
        assert_eq!(u.prorated_capacity_g(), 14_958_904_109);
        assert_eq!(u.utilisation_permille(), Some(1002));
        assert_eq!(u.projected_g(), 30_082_417_582);
        assert_eq!(u.projected_permille(), Some(1002));
        assert_eq!(u.days_left(), Some(182));
        let idle = CapacityUse { treated_g: 0, ..u };
        assert_eq!((idle.days_left(), idle.utilisation_permille()), (None, Some(0)));
        assert_eq!(permille(1, 0), None);
    }

    #[test]
    fn allocation_is_exact() {
        let shares = BTreeMap::from([(Bucket::Treated, 2), (Bucket::InTransit, 1)]);
        let out = allocate(100, &shares);
        assert_eq!(out.values().sum::<u64>(), 100);
        assert_eq!((out[&Bucket::Treated], out[&Bucket::InTransit]), (67, 33));
        assert!(allocate(5, &BTreeMap::new()).is_empty());
    }

    #[test]
    fn day_bounds_are_china_time() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(rfc3339(day_start(d)), "2025-12-31T16:00:00Z");
        assert_eq!(
            bounds(d, d),
            ("2025-12-31T16:00:00Z".to_owned(), "2026-01-01T16:00:00Z".to_owned())
        );
        assert!(check_period(d, d - Duration::days(1)).is_err());
    }
}
