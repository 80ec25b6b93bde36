//! HJ 1259 management classes (分类管理, §4.2) and the periodic reports (申报, §7, tables
//! C.1–C.3) they call for: per waste code, what a unit had in store at the start and end of a
//! month, quarter or year, and what it generated, received, treated and sent out in it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    bad_period, category_of, for_each_hist, parse_utc, utc_bounds, Hist, Lookup, Movement, Stage, HIST_COLUMNS,
};
use crate::domain::{code_enum, HazardSet, Refusal, TreatmentMethod, Uscc};
use crate::store::StoreResult;

/// Annual generation from which a unit is under key supervision (重点监管单位, HJ 1259 §4.2.1 a 1):
/// 100 t.
pub const KEY_SUPERVISION_G: u64 = 100_000_000;
/// Annual generation from which a unit is under simplified management (简化管理单位, §4.2.1 b):
/// 10 t.
pub const SIMPLIFIED_MANAGEMENT_G: u64 = 10_000_000;
/// Full years before the report's year that set a unit's annual generation (§4.2.3: the
/// largest of the last 3 years).
pub const BASIS_YEARS: i32 = 3;

code_enum!(
    /// HJ 1259 §4.2 management classes.
    SupervisionClass, "bad_supervision_class", "supervision class", "管理类别", {
        Key = "key", "危险废物环境重点监管单位", "key supervision unit";
        Simplified = "simplified", "危险废物简化管理单位", "simplified management unit";
        Registered = "registered", "危险废物登记管理单位", "registration management unit";
    }
);

code_enum!(
    /// How often a unit reports (HJ 1259 §7.2), and the kinds of report period.
    PeriodKind, "bad_period_kind", "report period", "申报周期", {
        Month = "month", "月度", "monthly";
        Quarter = "quarter", "季度", "quarterly";
        Year = "year", "年度", "annual";
    }
);

impl SupervisionClass {
    /// The shortest period the class reports for; every class also reports annually.
    pub fn report_period(self) -> PeriodKind {
        match self {
            SupervisionClass::Key => PeriodKind::Month,
            SupervisionClass::Simplified => PeriodKind::Quarter,
            SupervisionClass::Registered => PeriodKind::Year,
        }
    }
}

/// Why a unit is in its class: stable codes.
pub const REASON_GENERATION_100T: &str = "generation_100t";
pub const REASON_PERMIT: &str = "permit_holder";
pub const REASON_OWN_TREATMENT: &str = "own_treatment";
pub const REASON_GENERATION_10T: &str = "generation_10t";
pub const REASON_UNDER_10T: &str = "generation_under_10t";

/// HJ 1259 §4.2.1: key supervision for 100 t a year or more, for a unit treating its own waste
/// and for a permit holder; simplified management from 10 t; registration below. Pure.
pub fn class_of(annual_g: u64, holds_permit: bool, treats_own: bool) -> (SupervisionClass, Vec<&'static str>) {
    let mut reasons = Vec::new();
    if annual_g >= KEY_SUPERVISION_G {
        reasons.push(REASON_GENERATION_100T);
    }
    if treats_own {
        reasons.push(REASON_OWN_TREATMENT);
    }
    if holds_permit {
        reasons.push(REASON_PERMIT);
    }
    if !reasons.is_empty() {
        return (SupervisionClass::Key, reasons);
    }
    if annual_g >= SIMPLIFIED_MANAGEMENT_G {
        (SupervisionClass::Simplified, vec![REASON_GENERATION_10T])
    } else {
        (SupervisionClass::Registered, vec![REASON_UNDER_10T])
    }
}

// ---------------------------------------------------------------------------------------------
// Supervision class

/// One year's generation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearGeneration {
    pub year: i32,
    /// Declared mass of the waste the unit generated that year (CST), grams.
    pub generated_g: u64,
}

/// A unit's HJ 1259 management class for a year and what it rests on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Supervision {
    pub year: i32,
    /// `key` (重点监管), `simplified` (简化管理) or `registered` (登记管理).
    #[schema(value_type = String)]
    pub class: SupervisionClass,
    pub class_zh: String,
    pub class_en: String,
    /// The shortest report period of the class: `month`, `quarter` or `year` (every class also
    /// reports annually).
    #[schema(value_type = String)]
    pub report_period: PeriodKind,
    /// The annual generation the class rests on, grams.
    pub annual_generation_g: u64,
    /// `previous_years`: the largest of the 3 full years before `year` (HJ 1259 §4.2.3);
    /// `current_year`: nothing was generated in them, so `year` itself so far.
    pub basis: String,
    /// The years counted, with what was generated in each.
    pub years: Vec<YearGeneration>,
    /// Holds a hazardous-waste operating permit valid during the year.
    pub holds_permit: bool,
    /// Recorded a treatment of waste it held, in the years counted or this one.
    pub treats_own_waste: bool,
    /// Why: `generation_100t`, `own_treatment`, `permit_holder`, `generation_10t`,
    /// `generation_under_10t`.
    pub reasons: Vec<String>,
}

fn year_bounds(year: i32) -> Result<(NaiveDate, NaiveDate), Refusal> {
    match (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) {
        (Some(a), Some(b)) if (2000..=2100).contains(&year) => Ok((a, b)),
        _ => Err(Refusal::invalid(
            "bad_year",
            format!("year must be from 2000 to 2100, got {year}"),
            format!("年份应在2000至2100之间，实际为{year}"),
        )),
    }
}

/// Declared mass generated by `u` in the CST days `from..=to`.
fn generated_between(conn: &Connection, u: &str, from: NaiveDate, to: NaiveDate) -> StoreResult<u64> {
    let (a, b) = utc_bounds(from, to);
    let g: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(SUM(h.mass_g), 0) FROM items i
             JOIN item_history h ON h.item = i.code AND h.seq = i.created_seq
             WHERE i.generator = ?1 AND h.event = 'generate' AND h.at >= ?2 AND h.at < ?3",
        )?
        .query_row(params![u, a, b], |r| r.get(0))?;
    Ok(g.max(0) as u64)
}

/// The unit's HJ 1259 §4.2 class for `year`.
///
/// The annual generation is the largest yearly declared mass generated in the [`BASIS_YEARS`]
/// (3) full calendar years (CST) before `year`, as §4.2.3 counts it; a unit with nothing
/// recorded in those years (new, or new to hwtrace) is judged on `year` itself so far, where
/// §4.2.3 would use its environmental-impact estimate, which hwtrace does not hold. A unit is
/// under key supervision from 100 t, or when it holds a permit valid in `year`, or when it
/// treated waste it held (in those years or `year`); simplified management from 10 t;
/// registration below.
pub fn supervision_class(conn: &Connection, uscc: &Uscc, year: i32) -> StoreResult<Supervision> {
    let (start, end) = year_bounds(year)?;
    let u = uscc.as_str();
    let mut years = Vec::new();
    for y in (year - BASIS_YEARS)..year {
        let (a, b) = year_bounds(y).unwrap_or((start, start));
        years.push(YearGeneration {
            year: y,
            generated_g: if b < start {
                generated_between(conn, u, a, b)?
            } else {
                0
            },
        });
    }
    let mut annual = years.iter().map(|y| y.generated_g).max().unwrap_or(0);
    let basis = if annual > 0 {
        "previous_years"
    } else {
        let g = generated_between(conn, u, start, end)?;
        years = vec![YearGeneration { year, generated_g: g }];
        annual = g;
        "current_year"
    };
    let basis_start = NaiveDate::from_ymd_opt(year - BASIS_YEARS, 1, 1).unwrap_or(start);
    let (a, b) = utc_bounds(basis_start, end);
    let treats_own: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM item_history WHERE holder = ?1 AND state = 'treated' AND event = 'treat'
             AND at >= ?2 AND at < ?3)",
        )?
        .query_row(params![u, a, b], |r| r.get(0))?;
    let holds_permit: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM permits WHERE holder = ?1 AND valid_from <= ?3 AND valid_until >= ?2)",
        )?
        .query_row(params![u, start.to_string(), end.to_string()], |r| r.get(0))?;
    let (class, reasons) = class_of(annual, holds_permit, treats_own);
    Ok(Supervision {
        year,
        class,
        class_zh: class.named().name_zh.to_owned(),
        class_en: class.named().name_en.to_owned(),
        report_period: class.report_period(),
        annual_generation_g: annual,
        basis: basis.to_owned(),
        years,
        holds_permit,
        treats_own_waste: treats_own,
        reasons: reasons.into_iter().map(str::to_owned).collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Periodic reports

/// A report period of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month(u32),
    Quarter(u32),
    Year,
}

impl Period {
    /// `year`, `q1`–`q4`, `m1`–`m12` (or `m01`), any case.
    pub fn parse(s: &str) -> Result<Period, Refusal> {
        let s = s.trim().to_ascii_lowercase();
        let number = |rest: &str, max: u32| rest.parse::<u32>().ok().filter(|n| (1..=max).contains(n));
        let p = if s == "year" {
            Some(Period::Year)
        } else if let Some(q) = s.strip_prefix('q') {
            number(q, 4).map(Period::Quarter)
        } else if let Some(m) = s.strip_prefix('m') {
            number(m, 12).map(Period::Month)
        } else {
            None
        };
        p.ok_or_else(|| {
            bad_period(
                format!("unknown period '{s}'; expected year, q1-q4 or m1-m12"),
                format!("未知的申报期间“{s}”，应为year、q1-q4或m1-m12"),
            )
        })
    }

    pub fn kind(self) -> PeriodKind {
        match self {
            Period::Month(_) => PeriodKind::Month,
            Period::Quarter(_) => PeriodKind::Quarter,
            Period::Year => PeriodKind::Year,
        }
    }

    /// Every period of a kind in a year, in order.
    pub fn all(kind: PeriodKind) -> Vec<Period> {
        match kind {
            PeriodKind::Month => (1..=12).map(Period::Month).collect(),
            PeriodKind::Quarter => (1..=4).map(Period::Quarter).collect(),
            PeriodKind::Year => vec![Period::Year],
        }
    }

    pub fn code(self) -> String {
        match self {
            Period::Month(m) => format!("m{m}"),
            Period::Quarter(q) => format!("q{q}"),
            Period::Year => "year".to_owned(),
        }
    }

    /// The first and last CST day of the period in `year`.
    pub fn days(self, year: i32) -> Result<(NaiveDate, NaiveDate), Refusal> {
        let (jan1, dec31) = year_bounds(year)?;
        let (first, last_month) = match self {
            Period::Month(m) => (m, m),
            Period::Quarter(q) => (3 * q - 2, 3 * q),
            Period::Year => return Ok((jan1, dec31)),
        };
        let from = NaiveDate::from_ymd_opt(year, first, 1).expect("valid month");
        let to = if last_month == 12 {
            dec31
        } else {
            NaiveDate::from_ymd_opt(year, last_month + 1, 1)
                .expect("valid month")
                .pred_opt()
                .expect("not the first day")
        };
        Ok((from, to))
    }

    pub fn label_zh(self, year: i32) -> String {
        match self {
            Period::Month(m) => format!("{year}年{m}月"),
            Period::Quarter(q) => format!("{year}年第{q}季度"),
            Period::Year => format!("{year}年度"),
        }
    }

    pub fn label_en(self, year: i32) -> String {
        match self {
            Period::Month(m) => format!("{year}-{m:02}"),
            Period::Quarter(q) => format!("{year} Q{q}"),
            Period::Year => format!("{year}"),
        }
    }
}

/// Grams of one method of own treatment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MethodMass {
    pub method: String,
    pub method_zh: String,
    pub mass_g: u64,
}

/// What went to one receiver in the period (委托外单位利用/处置).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SentTo {
    pub receiver: String,
    pub name: String,
    /// The receiver's district (its 省/市 in the HJ table).
    pub district: String,
    /// Its permit valid on the last day of the period, if any.
    pub permit: Option<String>,
    pub mass_g: u64,
    pub items: u64,
}

/// One waste code in a period report (HJ 1259 Appendix C, tables C.1–C.3).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReportRow {
    pub waste_code: String,
    pub category: String,
    /// The unit's own names for it, as registered on its items.
    pub waste_names: Vec<String>,
    pub catalogue_name: String,
    /// Physical forms (`solid`, `liquid`, ...).
    pub forms: Vec<String>,
    /// Hazard characteristics (T, C, I, R, In) of its items.
    pub hazards: Vec<String>,
    /// In store at the start of the period (上期末剩余贮存量), grams.
    pub stored_start_g: u64,
    /// Generated in the period (产生量): declared mass, grams, and containers.
    pub generated_g: u64,
    pub generated_items: u64,
    /// Received into store from transfers in the period, grams.
    pub received_g: u64,
    /// Treated on site in the period (自行利用/处置量), grams, and by method.
    pub own_treated_g: u64,
    pub own_treatment: Vec<MethodMass>,
    /// Taken over by transporters in the period (委托外单位利用/处置量), grams, and by receiver.
    pub sent_out_g: u64,
    pub sent_out: Vec<SentTo>,
    /// Every other change of the store: repacking (consolidation, split), weighings and
    /// corrections while in store, losses, the difference between mass in store and mass
    /// treated. `stored_end_g = stored_start_g + generated_g + received_g - own_treated_g -
    /// sent_out_g + other_g`.
    pub other_g: i64,
    /// In store at the end of the period (本期末剩余贮存量), grams.
    pub stored_end_g: u64,
}

/// A unit's report for one period.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeriodReport {
    /// `year`, `q1`–`q4`, `m1`–`m12`.
    pub period: String,
    #[schema(value_type = String)]
    pub period_kind: PeriodKind,
    pub label_zh: String,
    pub label_en: String,
    /// First and last CST day.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The period ended before `as_of`: its figures are final, since entries logged later
    /// count in later periods. Otherwise the figures so far.
    pub complete: bool,
    pub rows: Vec<ReportRow>,
}

#[derive(Default)]
struct Acc {
    names: BTreeSet<String>,
    forms: BTreeSet<String>,
    hazard_bits: u8,
    start: u64,
    generated: u64,
    generated_items: u64,
    received: u64,
    treated: u64,
    methods: BTreeMap<String, u64>,
    sent: u64,
    sent_to: BTreeMap<String, (u64, u64)>,
    end: u64,
}

impl Acc {
    fn item(&mut self, h: &Hist) {
        self.names.insert(h.waste_name.clone());
        self.forms.insert(h.form.clone());
        self.hazard_bits |= h.hazard_bits;
    }
}

/// What `u` holds in store at `instant` (RFC 3339 UTC): per waste code, grams. Items at rest
/// (`stored`, `received`) and items released from its store that no transporter has taken
/// yet are still on its site.
fn in_store_at(
    conn: &Connection,
    u: &str,
    instant: &str,
    acc: &mut BTreeMap<String, Acc>,
) -> StoreResult<Vec<(String, u64)>> {
    let sql = format!(
        "SELECT {HIST_COLUMNS}
         FROM item_history h
         JOIN items i ON i.code = h.item
         LEFT JOIN item_history p ON p.item = h.item
              AND p.seq = (SELECT MAX(q.seq) FROM item_history q WHERE q.item = h.item AND q.seq < h.seq)
         LEFT JOIN item_history b ON b.item = h.item
              AND b.seq = (SELECT MAX(q.seq) FROM item_history q
                           WHERE q.item = h.item AND q.seq < h.seq AND q.state != 'released')
         WHERE h.item IN (SELECT item FROM item_history WHERE holder = ?1 AND at < ?2)
           AND h.seq = (SELECT MAX(q.seq) FROM item_history q WHERE q.item = h.item AND q.at < ?2)
           AND h.holder = ?1 AND h.state IN ('stored', 'received', 'released')"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(params![u, instant], Hist::from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for h in rows {
        if h.state == "released" && !h.was_in_store_of(u) {
            continue;
        }
        acc.entry(h.waste_code.clone()).or_default().item(&h);
        out.push((h.waste_code.clone(), h.mass_g));
    }
    Ok(out)
}

/// The report of `uscc` for `period` of `year` as the log stands at `as_of`: per waste code,
/// what was in store at the start, generated, received, treated on site, sent out, otherwise
/// changed and in store at the end.
pub fn period_report(
    conn: &Connection,
    uscc: &Uscc,
    year: i32,
    period: Period,
    as_of: DateTime<Utc>,
) -> StoreResult<PeriodReport> {
    let (from, to) = period.days(year)?;
    let u = uscc.as_str();
    let (from_utc, to_utc) = utc_bounds(from, to);
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    for (code, g) in in_store_at(conn, u, &from_utc, &mut acc)? {
        acc.entry(code).or_default().start += g;
    }
    for (code, g) in in_store_at(conn, u, &to_utc, &mut acc)? {
        acc.entry(code).or_default().end += g;
    }
    let mut look = Lookup::new(conn);
    for_each_hist(conn, u, &from_utc, &to_utc, |h| {
        for (stage, movement) in h.stages(u) {
            let a = acc.entry(h.waste_code.clone()).or_default();
            let g = h.quantity(stage);
            match (stage, movement) {
                (Stage::Production, _) => {
                    a.item(&h);
                    a.generated += g;
                    a.generated_items += 1;
                }
                (Stage::IntoStore, Movement::Received) => {
                    a.item(&h);
                    a.received += g;
                }
                (Stage::OwnTreatment, _) => {
                    a.item(&h);
                    a.treated += g;
                    *a.methods.entry(h.method.clone().unwrap_or_default()).or_default() += g;
                }
                (Stage::SentOut, _) => {
                    a.item(&h);
                    a.sent += g;
                    let entry = look.entry(h.seq)?;
                    let receiver = match entry.manifest.as_deref() {
                        Some(m) => look.manifest_parties(m)?.map(|(_, r)| r).unwrap_or_default(),
                        None => String::new(),
                    };
                    let to = acc
                        .get_mut(&h.waste_code)
                        .expect("entry made above")
                        .sent_to
                        .entry(receiver)
                        .or_default();
                    to.0 += g;
                    to.1 += 1;
                }
                _ => {}
            }
        }
        Ok(())
    })?;
    let last_day = to.to_string();
    let mut rows = Vec::with_capacity(acc.len());
    for (code, a) in acc {
        let mut sent_out = Vec::with_capacity(a.sent_to.len());
        for (receiver, (g, n)) in a.sent_to {
            let district: String = conn
                .prepare_cached(
                    "SELECT COALESCE(d.name_zh, e.district) FROM enterprises e
                     LEFT JOIN districts d ON d.code = e.district WHERE e.uscc = ?1",
                )?
                .query_row([&receiver], |r| r.get(0))
                .optional()?
                .unwrap_or_default();
            sent_out.push(SentTo {
                name: look.name(&receiver)?,
                permit: look.permit_on(&receiver, &last_day)?,
                receiver,
                district,
                mass_g: g,
                items: n,
            });
        }
        let other =
            a.end as i64 - a.start as i64 - a.generated as i64 - a.received as i64 + a.treated as i64 + a.sent as i64;
        rows.push(ReportRow {
            category: category_of(&code),
            catalogue_name: look.catalogue_name(&code)?,
            waste_names: a.names.into_iter().collect(),
            forms: a.forms.into_iter().collect(),
            hazards: HazardSet::from_bits(a.hazard_bits)
                .map(|h| h.letters().into_iter().map(str::to_owned).collect())
                .unwrap_or_default(),
            stored_start_g: a.start,
            generated_g: a.generated,
            generated_items: a.generated_items,
            received_g: a.received,
            own_treated_g: a.treated,
            own_treatment: a
                .methods
                .into_iter()
                .map(|(method, mass_g)| MethodMass {
                    method_zh: TreatmentMethod::parse(&method)
                        .map_or("", |m| m.named().name_zh)
                        .to_owned(),
                    method,
                    mass_g,
                })
                .collect(),
            sent_out_g: a.sent,
            sent_out,
            other_g: other,
            stored_end_g: a.end,
            waste_code: code,
        });
    }
    Ok(PeriodReport {
        period: period.code(),
        period_kind: period.kind(),
        label_zh: period.label_zh(year),
        label_en: period.label_en(year),
        from,
        to,
        complete: parse_utc(&to_utc).is_some_and(|end| end <= as_of),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_class_thresholds_are_100_t_and_10_t_and_permits_and_own_treatment_make_a_key_unit() {
        assert_eq!(class_of(100_000_000, false, false).0, SupervisionClass::Key);
        assert_eq!(class_of(100_000_000, false, false).1, [REASON_GENERATION_100T]);
        assert_eq!(class_of(99_999_999, false, false).0, SupervisionClass::Simplified);
        assert_eq!(class_of(10_000_000, false, false).0, SupervisionClass::Simplified);
        assert_eq!(class_of(9_999_999, false, false).0, SupervisionClass::Registered);
        assert_eq!(class_of(0, false, false).1, [REASON_UNDER_10T]);
        assert_eq!(class_of(0, true, false), (SupervisionClass::Key, vec![REASON_PERMIT]));
        assert_eq!(
            class_of(5, false, true),
            (SupervisionClass::Key, vec![REASON_OWN_TREATMENT])
        );
        assert_eq!(
            class_of(200_000_000, true, true).1,
            [REASON_GENERATION_100T, REASON_OWN_TREATMENT, REASON_PERMIT]
        );
        assert_eq!(SupervisionClass::Key.report_period(), PeriodKind::Month);
        assert_eq!(SupervisionClass::Simplified.report_period(), PeriodKind::Quarter);
        assert_eq!(SupervisionClass::Registered.report_period(), PeriodKind::Year);
    }

    #[test]
    fn periods_parse_and_cover_their_cst_days() {
        assert_eq!(Period::parse("M3").unwrap(), Period::Month(3));
        assert_eq!(Period::parse("m03").unwrap(), Period::Month(3));
        assert_eq!(Period::parse("q4").unwrap(), Period::Quarter(4));
        assert_eq!(Period::parse("year").unwrap(), Period::Year);
        for bad in ["m0", "m13", "q5", "q0", "annual", "", "m-1"] {
            assert_eq!(Period::parse(bad).unwrap_err().code, "bad_period", "{bad}");
        }
        assert_eq!(Period::Month(2).days(2028).unwrap(), (d("2028-02-01"), d("2028-02-29")));
        assert_eq!(
            Period::Quarter(4).days(2026).unwrap(),
            (d("2026-10-01"), d("2026-12-31"))
        );
        assert_eq!(
            Period::Quarter(1).days(2026).unwrap(),
            (d("2026-01-01"), d("2026-03-31"))
        );
        assert_eq!(Period::Year.days(2026).unwrap(), (d("2026-01-01"), d("2026-12-31")));
        assert_eq!(Period::Year.days(1999).unwrap_err().code, "bad_year");
        assert_eq!(Period::all(PeriodKind::Month).len(), 12);
        assert_eq!(Period::Quarter(2).label_zh(2026), "2026年第2季度");
    }

    /// An in-memory database with the schema.
    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrations().to_latest(&mut conn).unwrap();
        // Bare rows without the registry and log they would reference.
        conn.pragma_update(None, "foreign_keys", false).unwrap();
        conn
    }

    /// Records a container generated by `u` at `at` (UTC), and optionally treated by it.
    fn generated(conn: &Connection, seq: i64, u: &str, at: &str, mass_g: i64, treated: bool) {
        let code = format!("ITEM{seq}");
        for s in [seq, seq + 1] {
            conn.execute(
                "INSERT INTO log_entries(seq, bytes, leaf_hash, kind, logged_at) VALUES (?1, x'00', zeroblob(32), 'event', ?2)",
                params![s, at],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO items(code, generator, waste_code, waste_name, mass_g, form, hazard_bits, packaging,
                container_volume_l, components, harmful_components, precautions, storage_place, generated_at, label,
                state, holder, created_seq, last_seq)
             VALUES (?1, ?2, '900-249-08', '废油', ?3, 'liquid', 1, '桶', 200, '', '', '', '库', ?4, zeroblob(124),
                'stored', ?2, ?5, ?5)",
            params![code, u, mass_g, at, seq],
        )
        .unwrap();
        let history =
            "INSERT INTO item_history(item, seq, at, event, state, holder, mass_g, treated_g, method, volume_l)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, NULL, NULL)";
        conn.execute(history, params![code, seq, at, "generate", "stored", u, mass_g])
            .unwrap();
        if treated {
            conn.execute(history, params![code, seq + 1, at, "treat", "treated", u, mass_g])
                .unwrap();
        }
    }

    #[test]
    fn the_class_rests_on_the_largest_of_the_three_years_before_or_on_this_year_for_a_newcomer() {
        let conn = db();
        let u = Uscc::parse("91500110MA5U8F4X2N").unwrap();
        // 150 t in 2022, 60 t in 2024, 5 t in 2025 (CST years: 31 Dec 2024 20:00 UTC is 2025).
        generated(&conn, 10, u.as_str(), "2022-06-01T00:00:00Z", 100_000_000, false);
        generated(&conn, 12, u.as_str(), "2022-07-01T00:00:00Z", 50_000_000, false);
        generated(&conn, 14, u.as_str(), "2024-03-01T00:00:00Z", 60_000_000, false);
        generated(&conn, 16, u.as_str(), "2024-12-31T20:00:00Z", 5_000_000, false);
        let c = supervision_class(&conn, &u, 2026).unwrap();
        assert_eq!(
            (c.class, c.annual_generation_g, c.basis.as_str()),
            (SupervisionClass::Simplified, 60_000_000, "previous_years")
        );
        assert_eq!(
            c.years.iter().map(|y| (y.year, y.generated_g)).collect::<Vec<_>>(),
            [(2023, 0), (2024, 60_000_000), (2025, 5_000_000)]
        );
        assert_eq!(c.report_period, PeriodKind::Quarter);
        let c = supervision_class(&conn, &u, 2025).unwrap();
        assert_eq!((c.class, c.annual_generation_g), (SupervisionClass::Key, 150_000_000));
        assert_eq!(c.reasons, [REASON_GENERATION_100T]);
        assert_eq!(
            supervision_class(&conn, &u, 2029).unwrap().class,
            SupervisionClass::Registered,
            "nothing since 2025: this year, 0 t"
        );

        // A newcomer is judged on this year so far.
        let v = Uscc::parse("91500110MA60YNXH0F").unwrap();
        generated(&conn, 20, v.as_str(), "2026-02-01T00:00:00Z", 9_999_999, false);
        let c = supervision_class(&conn, &v, 2026).unwrap();
        assert_eq!(
            (c.class, c.basis.as_str(), c.annual_generation_g),
            (SupervisionClass::Registered, "current_year", 9_999_999)
        );
        generated(&conn, 22, v.as_str(), "2026-03-01T00:00:00Z", 1, false);
        assert_eq!(
            supervision_class(&conn, &v, 2026).unwrap().class,
            SupervisionClass::Simplified
        );

        // Treating its own waste, or holding a permit, makes a small unit a key one.
        let w = Uscc::parse("91500110MA6TRN031U").unwrap();
        generated(&conn, 30, w.as_str(), "2026-02-01T00:00:00Z", 1_000, true);
        let c = supervision_class(&conn, &w, 2026).unwrap();
        assert_eq!((c.class, c.treats_own_waste), (SupervisionClass::Key, true));
        assert_eq!(c.reasons, [REASON_OWN_TREATMENT]);
        conn.execute(
            "INSERT INTO permits(number, holder, valid_from, valid_until, created_at) VALUES ('P1', ?1, '2026-07-01', '2027-06-30', '')",
            [v.as_str()],
        )
        .unwrap();
        let c = supervision_class(&conn, &v, 2026).unwrap();
        assert_eq!(
            (c.class, c.holds_permit, c.report_period),
            (SupervisionClass::Key, true, PeriodKind::Month)
        );
        assert!(!supervision_class(&conn, &v, 2028).unwrap().holds_permit);
        assert_eq!(
            supervision_class(&conn, &v, 1999).unwrap_err().to_string(),
            "bad_year (year must be from 2000 to 2100, got 1999 / 年份应在2000至2100之间，实际为1999)"
        );
    }
}
