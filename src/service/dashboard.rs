//! The regulator's dashboard (docs/dashboard.md): the figures behind each of its charts, for a
//! period of CST days and a district (all districts when `None`). Masses are integer grams,
//! ratios integer parts per thousand, months CST calendar months (`YYYY-MM`).
//!
//! - capacity: each facility's use of its permit per method at the end of the period
//!   ([`reconcile::facility`]'s method lines);
//! - flows: per month, the waste generated, received and treated, by the log time of the entries;
//! - sankey: the waste generated in the period, from its district and industry through its first
//!   transporter and any collection point to the facility that holds it and the method that
//!   treated it;
//! - rates: the industrial and medical disposal rates of each month's cohort
//!   ([`reconcile::monthly_rates`], the definition of `/indicators/disposal`);
//! - alerts: open alerts by rule and age;
//! - stock: waste stored at its generators now, by storage age.
//!
//! The district of a flow is its generator's (the waste of the district's generators, wherever
//! it went); capacity is that of the district's facilities; alerts are those the district's
//! regulators see.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::custody::Custody;
use crate::domain::{Refusal, TreatmentMethod};
use crate::service::alerts::Rule;
use crate::service::reconcile::{self, check_period, day_start, MethodLine, Standing};
use crate::store::projection::parse_state;
use crate::store::StoreResult;
use crate::time::rfc3339;

/// The period and district every dashboard figure is asked for.
#[derive(Debug, Clone)]
pub struct Filter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub district: Option<String>,
}

impl Filter {
    /// `[from 00:00, to+1 00:00)` CST as stored UTC times.
    fn bounds(&self) -> (String, String) {
        (
            rfc3339(day_start(self.from)),
            rfc3339(day_start(self.to + chrono::Duration::days(1))),
        )
    }
}

/// Refuses a district that is not registered (an administrator's typing error shows as such,
/// not as an empty dashboard).
pub fn check_district(conn: &Connection, district: Option<&str>) -> StoreResult<()> {
    let Some(d) = district else { return Ok(()) };
    let known: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM districts WHERE code = ?1")?
        .query_row([d], |r| r.get(0))
        .optional()?;
    if known.is_none() {
        return Err(Refusal::invalid(
            "unknown_district",
            format!("no district '{d}' is registered"),
            format!("没有登记区县“{d}”"),
        )
        .into());
    }
    Ok(())
}

/// The CST months a period touches, in order.
pub fn months(from: NaiveDate, to: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let (mut y, mut m) = (from.year(), from.month());
    while (y, m) <= (to.year(), to.month()) {
        out.push(format!("{y:04}-{m:02}"));
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
    out
}

// ---- capacity ------------------------------------------------------------------------------

/// One method of one facility against its permit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapacityRow {
    pub facility: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub district: String,
    #[serde(flatten)]
    pub line: MethodLine,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CapacityChart {
    /// The day the figures stand at: the period's last day.
    pub date: NaiveDate,
    pub district: Option<String>,
    pub rows: Vec<CapacityRow>,
}

/// Every licensed facility of the district, each method at the end of the period's last day.
pub fn capacity(conn: &Connection, f: &Filter) -> StoreResult<CapacityChart> {
    check_period(f.from, f.to)?;
    let facilities = conn
        .prepare_cached(
            "SELECT e.uscc, e.name_zh, e.name_en, e.district FROM enterprises e
             WHERE EXISTS(SELECT 1 FROM enterprise_roles r WHERE r.uscc = e.uscc AND r.role = 'facility')
               AND EXISTS(SELECT 1 FROM permits p WHERE p.holder = e.uscc AND p.kind = 'operating')
               AND (?1 IS NULL OR e.district = ?1)
             ORDER BY e.uscc",
        )?
        .query_map([&f.district], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<Vec<(String, String, Option<String>, String)>>>()?;
    let mut rows = Vec::new();
    for (uscc, name_zh, name_en, district) in facilities {
        let (methods, _) = reconcile::method_lines(conn, &uscc, f.to)?;
        for line in methods {
            rows.push(CapacityRow {
                facility: uscc.clone(),
                name_zh: name_zh.clone(),
                name_en: name_en.clone(),
                district: district.clone(),
                line,
            });
        }
    }
    Ok(CapacityChart {
        date: f.to,
        district: f.district.clone(),
        rows,
    })
}

// ---- monthly flows -------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct FlowMonth {
    /// CST month, `YYYY-MM`.
    pub month: String,
    /// Declared mass of the items generators registered (`generate`).
    pub generated_g: u64,
    /// Mass accepted at receivers' gates (`receive` that took the item in).
    pub received_g: u64,
    /// Mass treated (`treat`).
    pub treated_g: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Flows {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub district: Option<String>,
    pub months: Vec<FlowMonth>,
}

/// Per CST month of the period: generated, received and treated, by the log time of the
/// entries, of the items of the district's generators.
pub fn flows(conn: &Connection, f: &Filter) -> StoreResult<Flows> {
    check_period(f.from, f.to)?;
    let mut by_month: BTreeMap<String, FlowMonth> = months(f.from, f.to)
        .into_iter()
        .map(|m| {
            (
                m.clone(),
                FlowMonth {
                    month: m,
                    ..FlowMonth::default()
                },
            )
        })
        .collect();
    // The daily sums the writer keeps (schema/0009_dashboard.sql), by CST day.
    let mut stmt = conn.prepare_cached(
        "SELECT substr(d.day, 1, 7) AS month, SUM(d.generated_g), SUM(d.received_g), SUM(d.treated_g)
         FROM dashboard_flows d
         WHERE d.day >= ?1 AND d.day <= ?2
           AND (?3 IS NULL OR d.generator IN (SELECT uscc FROM enterprises WHERE district = ?3))
         GROUP BY month",
    )?;
    let rows = stmt.query_map(params![f.from.to_string(), f.to.to_string(), f.district], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (month, g, rcv, t) = row?;
        let line = by_month.entry(month.clone()).or_insert_with(|| FlowMonth {
            month,
            ..FlowMonth::default()
        });
        line.generated_g += g.max(0) as u64;
        line.received_g += rcv.max(0) as u64;
        line.treated_g += t.max(0) as u64;
    }
    Ok(Flows {
        from: f.from,
        to: f.to,
        district: f.district.clone(),
        months: by_month.into_values().collect(),
    })
}

// ---- sankey --------------------------------------------------------------------------------

/// A node of the Sankey: `id` is `<stage>:<key>`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SankeyNode {
    pub id: String,
    /// district, industry, transporter, collection_point, facility, method, or `waiting`
    /// (still at the generator).
    pub stage: String,
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SankeyLink {
    pub source: String,
    pub target: String,
    pub mass_g: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sankey {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub district: Option<String>,
    /// Declared mass of the waste generated in the period (each item's path carries it whole).
    pub generated_g: u64,
    pub nodes: Vec<SankeyNode>,
    pub links: Vec<SankeyLink>,
}

/// One leg of an item's journey: the manifest's first transporter and its receiver.
struct Leg {
    transporter: String,
    receiver: String,
}

/// The waste generated in the period by the district's generators, item by item along its
/// path: district → industry (the catalogue's industry of its waste code) → the first
/// transporter → the collection point, if one received it → the facility that received it
/// (from the collection point: of the item or of what it was consolidated or split into) → the
/// method that treated it. An item never shipped goes from its industry to its own generator
/// as the facility and the method when it was treated where it arose (a facility's residue),
/// else to `waiting`; each link carries the items' declared mass.
pub fn sankey(conn: &Connection, f: &Filter) -> StoreResult<Sankey> {
    check_period(f.from, f.to)?;
    let (start, end) = f.bounds();
    let members = conn
        .prepare_cached(
            "SELECT i.code, e.district, i.waste_code, i.mass_g, i.generator FROM item_history h
             JOIN items i ON i.code = h.item JOIN enterprises e ON e.uscc = i.generator
             WHERE h.event = 'generate' AND h.at >= ?1 AND h.at < ?2 AND h.seq = i.created_seq
               AND (?3 IS NULL OR e.district = ?3)
             ORDER BY i.code",
        )?
        .query_map(params![start, end, f.district], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?.max(0) as u64,
                r.get::<_, String>(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;

    let industries: HashMap<String, String> = conn
        .prepare_cached("SELECT code, MIN(industry) FROM catalogue_entries GROUP BY code")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let collection_points: HashSet<String> = conn
        .prepare_cached("SELECT uscc FROM enterprise_roles WHERE role = 'collection_point'")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    // Every open manifest's legs, in the order the manifests were opened (one pass over the
    // table is cheaper than looking up each item's).
    let mut legs: HashMap<String, Vec<Leg>> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT mi.item, json_extract(m.transporters, '$[0]'), m.receiver FROM manifest_items mi
             JOIN manifests m ON m.number = mi.manifest
             WHERE m.state = 'open' ORDER BY m.created_seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        for row in rows {
            let (item, transporter, receiver) = row?;
            legs.entry(item).or_default().push(Leg {
                transporter: transporter.unwrap_or_default(),
                receiver,
            });
        }
    }
    // Repacked items: what they went into (the first output carries the path on).
    let mut outputs: HashMap<String, String> = HashMap::new();
    {
        let mut stmt =
            conn.prepare_cached("SELECT code, custody FROM items WHERE state IN ('consolidated', 'split')")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)))?;
        for row in rows {
            let (code, custody) = row?;
            let into = match custody.as_deref().map(parse_state) {
                Some(Ok(s)) => match s.custody {
                    Custody::Consolidated { into } => Some(into),
                    Custody::Split { into } => into.into_iter().next(),
                    _ => None,
                },
                _ => None,
            };
            if let Some(o) = into {
                outputs.insert(code, o.as_str().to_owned());
            }
        }
    }
    // The method each item was treated by (its `treat`, or its `generate` for a residue
    // treated where it arose).
    let methods: HashMap<String, String> = conn
        .prepare_cached(
            "SELECT item, method FROM item_history WHERE event IN ('treat', 'generate') AND method IS NOT NULL",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;

    let mut links: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut used: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut generated_g = 0u64;
    let mut add = |path: &[(&str, &str)], g: u64| {
        for (stage, key) in path {
            used.entry(format!("{stage}:{key}"))
                .or_insert_with(|| ((*stage).to_owned(), (*key).to_owned()));
        }
        for w in path.windows(2) {
            let k = (format!("{}:{}", w[0].0, w[0].1), format!("{}:{}", w[1].0, w[1].1));
            *links.entry(k).or_default() += g;
        }
    };
    for (code, district, waste_code, g, generator) in &members {
        generated_g += g;
        let industry = industries.get(waste_code).map_or("", String::as_str);
        let mut path: Vec<(&str, &str)> = vec![("district", district), ("industry", industry)];
        let own = legs.get(code).map(Vec::as_slice).unwrap_or(&[]);
        let Some(first) = own.first() else {
            // Never shipped: treated where it arose (a facility's residue), or still waiting.
            match methods.get(code) {
                Some(m) => path.extend([("facility", generator.as_str()), ("method", m.as_str())]),
                None => path.push(("waiting", "at_generator")),
            }
            add(&path, *g);
            continue;
        };
        path.push(("transporter", &first.transporter));
        // Where the item, or what it became, was last sent: the facility, or a collection point.
        let mut holder = code.as_str();
        let mut last = own.last().map(|l| l.receiver.as_str());
        if let Some(cp) = own.iter().find(|l| collection_points.contains(&l.receiver)) {
            path.push(("collection_point", &cp.receiver));
            let after: Vec<&Leg> = own.iter().skip_while(|l| l.receiver != cp.receiver).skip(1).collect();
            last = after.last().map(|l| l.receiver.as_str());
            if last.is_none() {
                if let Some(o) = outputs.get(code.as_str()) {
                    holder = o.as_str();
                    last = legs.get(o).and_then(|l| l.last()).map(|l| l.receiver.as_str());
                }
            }
        }
        if let Some(fac) = last.filter(|r| !collection_points.contains(*r)) {
            path.push(("facility", fac));
            let method = methods
                .get(holder)
                .or_else(|| outputs.get(holder).and_then(|o| methods.get(o)));
            if let Some(m) = method {
                path.push(("method", m));
            }
        }
        add(&path, *g);
    }

    let mut nodes = Vec::with_capacity(used.len());
    for (id, (stage, key)) in used {
        let (name_zh, name_en) = node_name(conn, &stage, &key)?;
        nodes.push(SankeyNode {
            id,
            stage,
            key,
            name_zh,
            name_en,
        });
    }
    Ok(Sankey {
        from: f.from,
        to: f.to,
        district: f.district.clone(),
        generated_g,
        nodes,
        links: links
            .into_iter()
            .map(|((source, target), mass_g)| SankeyLink { source, target, mass_g })
            .collect(),
    })
}

fn node_name(conn: &Connection, stage: &str, key: &str) -> StoreResult<(String, String)> {
    let both = |s: &str| (s.to_owned(), s.to_owned());
    Ok(match stage {
        "district" => conn
            .prepare_cached("SELECT name_zh, name_en FROM districts WHERE code = ?1")?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or_else(|| both(key)),
        "transporter" | "collection_point" | "facility" => conn
            .prepare_cached("SELECT name_zh, COALESCE(name_en, name_zh) FROM enterprises WHERE uscc = ?1")?
            .query_row([key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .unwrap_or_else(|| both(key)),
        "method" => TreatmentMethod::parse(key)
            .map(|m| (m.named().name_zh.to_owned(), m.named().name_en.to_owned()))
            .unwrap_or_else(|_| both(key)),
        "waiting" => ("尚未转移".to_owned(), "not yet shipped".to_owned()),
        "industry" if key.is_empty() => ("行业不详".to_owned(), "industry unknown".to_owned()),
        _ => both(key),
    })
}

// ---- disposal rates by month ---------------------------------------------------------------

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RateMonth {
    /// CST month of generation, `YYYY-MM`.
    pub month: String,
    pub industrial: Standing,
    pub medical: Standing,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MonthlyRates {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Where each month's cohort stands: now (RFC 3339 UTC).
    pub as_of: String,
    pub district: Option<String>,
    /// The target, ‰ (100 %).
    pub target_permille: u64,
    pub months: Vec<RateMonth>,
}

/// The industrial and medical disposal rates of each CST month's cohort of the period, as the
/// cohorts stand at `as_of` (the definition of `/indicators/disposal`, month by month).
pub fn rates(conn: &Connection, f: &Filter, as_of: DateTime<Utc>) -> StoreResult<MonthlyRates> {
    check_period(f.from, f.to)?;
    let mut by_month: BTreeMap<String, (Standing, Standing)> = months(f.from, f.to)
        .into_iter()
        .map(|m| (m, Default::default()))
        .collect();
    for (month, industrial, medical) in reconcile::monthly_rates(conn, f.from, f.to, as_of, f.district.as_deref())? {
        by_month.insert(month, (industrial, medical));
    }
    Ok(MonthlyRates {
        from: f.from,
        to: f.to,
        as_of: rfc3339(as_of),
        district: f.district.clone(),
        target_permille: 1000,
        months: by_month
            .into_iter()
            .map(|(month, (industrial, medical))| RateMonth {
                month,
                industrial,
                medical,
            })
            .collect(),
    })
}

// ---- alerts by rule and age ----------------------------------------------------------------

/// Age bands in days, `[min, max)`; the last has no end.
pub const ALERT_AGE_DAYS: [(u64, Option<u64>); 4] = [(0, Some(1)), (1, Some(7)), (7, Some(30)), (30, None)];
pub const STOCK_AGE_DAYS: [(u64, Option<u64>); 6] = [
    (0, Some(2)),
    (2, Some(30)),
    (30, Some(90)),
    (90, Some(180)),
    (180, Some(365)),
    (365, None),
];

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgeBand {
    /// `<min>-<max>` days, or `<min>+`.
    pub key: String,
    pub min_days: u64,
    pub max_days: Option<u64>,
}

fn bands(list: &[(u64, Option<u64>)]) -> Vec<AgeBand> {
    list.iter()
        .map(|&(min_days, max_days)| AgeBand {
            key: max_days.map_or_else(|| format!("{min_days}+"), |m| format!("{min_days}-{m}")),
            min_days,
            max_days,
        })
        .collect()
}

fn band_of(list: &[(u64, Option<u64>)], days: u64) -> usize {
    list.iter()
        .position(|&(min, max)| days >= min && max.is_none_or(|m| days < m))
        .unwrap_or(list.len() - 1)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertRuleAges {
    pub rule: String,
    pub rule_zh: String,
    pub rule_en: String,
    /// Open alerts per age band, in the order of `bands`.
    pub counts: Vec<u64>,
    pub total: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertAges {
    /// The time ages are counted to (RFC 3339 UTC).
    pub as_of: String,
    pub district: Option<String>,
    pub bands: Vec<AgeBand>,
    pub rules: Vec<AlertRuleAges>,
}

/// The alerts open (not acknowledged, not resolved) at `now`, by rule and by days since the
/// condition began. Rules with none open are left out.
pub fn alerts(conn: &Connection, district: Option<&str>, now: DateTime<Utc>) -> StoreResult<AlertAges> {
    let mut by_rule: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut stmt = conn
        .prepare_cached("SELECT rule, started_at FROM alerts WHERE state = 'open' AND (?1 IS NULL OR district = ?1)")?;
    let rows = stmt.query_map([district], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (rule, started) = row?;
        let started = DateTime::parse_from_rfc3339(&started)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now);
        let days = (now - started).num_days().max(0) as u64;
        by_rule.entry(rule).or_insert_with(|| vec![0; ALERT_AGE_DAYS.len()])[band_of(&ALERT_AGE_DAYS, days)] += 1;
    }
    Ok(AlertAges {
        as_of: rfc3339(now),
        district: district.map(str::to_owned),
        bands: bands(&ALERT_AGE_DAYS),
        rules: by_rule
            .into_iter()
            .map(|(rule, counts)| {
                let named = Rule::parse(&rule).map(|r| r.named()).ok();
                AlertRuleAges {
                    rule_zh: named.map_or_else(|| rule.clone(), |n| n.name_zh.to_owned()),
                    rule_en: named.map_or_else(|| rule.clone(), |n| n.name_en.to_owned()),
                    rule,
                    total: counts.iter().sum(),
                    counts,
                }
            })
            .collect(),
    })
}

// ---- stock at generators by storage age ----------------------------------------------------

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct StockBand {
    pub band: String,
    pub industrial_items: u64,
    pub industrial_g: u64,
    pub medical_items: u64,
    pub medical_g: u64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stock {
    /// The time ages are counted to (RFC 3339 UTC).
    pub as_of: String,
    pub district: Option<String>,
    pub bands: Vec<AgeBand>,
    pub lines: Vec<StockBand>,
    pub items: u64,
    pub mass_g: u64,
}

/// The waste stored at its own generator at `now` (generators of the district), by whole days
/// since it was generated (its event time); medical waste (HW01) apart.
pub fn stock(conn: &Connection, district: Option<&str>, now: DateTime<Utc>) -> StoreResult<Stock> {
    let band_list = bands(&STOCK_AGE_DAYS);
    let mut lines: Vec<StockBand> = band_list
        .iter()
        .map(|b| StockBand {
            band: b.key.clone(),
            ..StockBand::default()
        })
        .collect();
    let mut stmt = conn.prepare_cached(
        "SELECT i.waste_code, i.mass_g, i.generated_at FROM items i
         WHERE i.state = 'stored' AND i.holder = i.generator
           AND (?1 IS NULL OR i.generator IN (SELECT uscc FROM enterprises WHERE district = ?1))",
    )?;
    let rows = stmt.query_map([district], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
    })?;
    let (mut items, mut mass_g) = (0u64, 0u64);
    for row in rows {
        let (waste_code, g, generated) = row?;
        let g = g.max(0) as u64;
        let at = DateTime::parse_from_rfc3339(&generated)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now);
        let line = &mut lines[band_of(&STOCK_AGE_DAYS, (now - at).num_days().max(0) as u64)];
        if waste_code.ends_with("-01") {
            line.medical_items += 1;
            line.medical_g += g;
        } else {
            line.industrial_items += 1;
            line.industrial_g += g;
        }
        items += 1;
        mass_g += g;
    }
    Ok(Stock {
        as_of: rfc3339(now),
        district: district.map(str::to_owned),
        bands: band_list,
        lines,
        items,
        mass_g,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_of_a_period_cross_the_year() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            months(d("2025-11-30"), d("2026-02-01")),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(months(d("2026-03-05"), d("2026-03-06")), ["2026-03"]);
    }

    #[test]
    fn ages_fall_in_half_open_bands() {
        assert_eq!(band_of(&STOCK_AGE_DAYS, 0), 0);
        assert_eq!(band_of(&STOCK_AGE_DAYS, 1), 0);
        assert_eq!(band_of(&STOCK_AGE_DAYS, 2), 1);
        assert_eq!(band_of(&STOCK_AGE_DAYS, 364), 4);
        assert_eq!(band_of(&STOCK_AGE_DAYS, 365), 5);
        assert_eq!(band_of(&ALERT_AGE_DAYS, 7), 2);
        assert_eq!(bands(&ALERT_AGE_DAYS)[3].key, "30+");
        assert_eq!(bands(&ALERT_AGE_DAYS)[0].key, "0-1");
    }
}
