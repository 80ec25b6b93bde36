//! Reference data: districts, China's provinces, prefectures and counties, catalogue versions
//! of the national hazardous-waste list, the facilities named in the plan, and the working-day
//! calendar. The division codes, the 2021 list, the facilities and the official holiday
//! schedules ship in `seeds/`, embedded in the binary, and are loaded idempotently at every
//! start: rows already present are left alone, so a restart changes nothing (and a day changed
//! by `hwtrace calendar load` stays changed).

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

use crate::domain::calendar::{parse_calendar_csv, CalendarDay, DayKind, WorkCalendar};
use crate::domain::waste::waste_digits;
use crate::domain::{
    CapacityPer, Catalogue, CatalogueEntry, Category, EnterpriseRole, HazardSet, PermitKind, Refusal, TreatmentMethod,
    Uscc, WasteCode,
};
use crate::store::StoreResult;
use crate::time::now_rfc3339;

const SEED_DISTRICTS: &str = include_str!("../../seeds/districts.csv");
const SEED_CATALOGUE_2021: &str = include_str!("../../seeds/catalogue/2021/hw_catalog_2021.csv");
const SEED_EXEMPTIONS_2021: &str = include_str!("../../seeds/catalogue/2021/hw_exemptions_2021.csv");
const SEED_FACILITIES: &str = include_str!("../../seeds/facilities.json");
const SEED_HOLIDAYS: &str = include_str!("../../seeds/holidays.csv");
const SEED_PROVINCES: &str = include_str!("../../seeds/admin-divisions-2023/provinces.csv");
const SEED_PREFECTURES: &str = include_str!("../../seeds/admin-divisions-2023/cities.csv");
const SEED_COUNTIES: &str = include_str!("../../seeds/admin-divisions-2023/areas.csv");
const SEED_CATALOGUE_SOURCE: &str = "国家危险废物名录（2021年版）, seeds/catalogue/2021 (see seeds/SOURCES.md)";

/// Largest catalogue CSV accepted by `catalogue load` (the 2021 list is ~100 KB).
pub const MAX_CATALOGUE_ROWS: usize = 5000;

/// Loads every seed that is not yet in the database. Safe to run at every start.
pub fn load_seeds(conn: &Connection) -> StoreResult<SeedReport> {
    let mut report = SeedReport {
        districts: load_districts(conn)?,
        divisions: load_divisions(conn)?,
        ..SeedReport::default()
    };
    if !version_exists(conn, "2021")? {
        let rows = parse_catalogue_csv(SEED_CATALOGUE_2021.as_bytes())?;
        insert_catalogue(conn, "2021", SEED_CATALOGUE_SOURCE, &rows)?;
        report.catalogue_codes = rows.len();
        report.exemptions = load_exemptions(conn, "2021", SEED_EXEMPTIONS_2021)?;
    }
    let any_active: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM catalogue_versions WHERE active = 1)",
        [],
        |r| r.get(0),
    )?;
    if !any_active {
        activate(conn, "2021")?;
    }
    report.facilities = load_facilities(conn)?;
    report.calendar_days = load_holidays(conn)?;
    Ok(report)
}

/// What a seeding pass inserted (all zero on a database that is already up to date).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub districts: usize,
    /// Provinces, prefectures and counties.
    pub divisions: usize,
    pub catalogue_codes: usize,
    pub exemptions: usize,
    pub facilities: usize,
    pub calendar_days: usize,
}

fn load_districts(conn: &Connection) -> StoreResult<usize> {
    let mut rdr = csv::Reader::from_reader(SEED_DISTRICTS.as_bytes());
    let mut added = 0;
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Refusal::invalid("bad_seed", e.to_string(), e.to_string()))?;
        added += conn.execute(
            "INSERT OR IGNORE INTO districts(code, name_zh, name_en, province_code, city_code) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![&rec[0], &rec[1], &rec[2], &rec[3], &rec[4]],
        )?;
    }
    Ok(added)
}

fn seed_refusal(e: impl std::fmt::Display) -> Refusal {
    Refusal::invalid("bad_seed", e.to_string(), e.to_string())
}

/// Inserts the rows of one division CSV (`code,name,...`) that are missing; `parents` names the
/// CSV column and table column of each parent code after the code and name.
fn load_division_csv(conn: &Connection, csv_text: &str, table: &str, parents: &[(usize, &str)]) -> StoreResult<usize> {
    let known: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
    let rows = csv_text.lines().skip(1).filter(|l| !l.trim().is_empty()).count();
    if usize::try_from(known).unwrap_or(0) >= rows {
        return Ok(0);
    }
    let names: Vec<&str> = parents.iter().map(|(_, n)| *n).collect();
    let marks: Vec<String> = (3..3 + parents.len()).map(|i| format!("?{i}")).collect();
    let sql = format!(
        "INSERT OR IGNORE INTO {table}(code, name_zh{}) VALUES (?1, ?2{})",
        names.iter().map(|n| format!(", {n}")).collect::<String>(),
        marks.iter().map(|m| format!(", {m}")).collect::<String>()
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let mut added = 0;
    for rec in rdr.records() {
        let rec = rec.map_err(seed_refusal)?;
        let mut values: Vec<&str> = vec![&rec[0], &rec[1]];
        values.extend(parents.iter().map(|(col, _)| &rec[*col]));
        added += stmt.execute(rusqlite::params_from_iter(values))?;
    }
    Ok(added)
}

/// China's provinces, prefectures and counties (NBS 2023): the province of an enterprise and
/// the name of its registering authority's division come from its USCC.
fn load_divisions(conn: &Connection) -> StoreResult<usize> {
    Ok(load_division_csv(conn, SEED_PROVINCES, "provinces", &[])?
        + load_division_csv(conn, SEED_PREFECTURES, "prefectures", &[(2, "province")])?
        + load_division_csv(conn, SEED_COUNTIES, "counties", &[(2, "prefecture"), (3, "province")])?)
}

/// Every province (code, name), by code.
pub fn provinces(conn: &Connection) -> StoreResult<Vec<(String, String)>> {
    let rows = conn
        .prepare_cached("SELECT code, name_zh FROM provinces ORDER BY code")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

/// Every district as `(code, name_zh, name_en)`, in the order they were added.
pub fn districts(conn: &Connection) -> StoreResult<Vec<(String, String, String)>> {
    let rows = conn
        .prepare_cached("SELECT code, name_zh, name_en FROM districts ORDER BY rowid")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

fn version_exists(conn: &Connection, version: &str) -> StoreResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM catalogue_versions WHERE version = ?1)",
        [version],
        |r| r.get(0),
    )?)
}

/// One row of a catalogue CSV, checked.
#[derive(Debug, Clone)]
pub struct CatalogueRow {
    pub entry: CatalogueEntry,
}

fn row_refusal(line: usize, en: String, zh: String) -> Refusal {
    Refusal::invalid(
        "bad_catalogue_csv",
        format!("line {line}: {en}"),
        format!("第{line}行：{zh}"),
    )
}

/// Parses a catalogue CSV with the columns `category,category_name,industry,code,description,hazard`
/// (others ignored). Every row is checked: code syntax, category matching the code's last two
/// digits, hazard letters; the first bad row refuses the whole file.
pub fn parse_catalogue_csv(data: &[u8]) -> Result<Vec<CatalogueRow>, Refusal> {
    let mut rdr = csv::Reader::from_reader(data);
    let headers = rdr
        .headers()
        .map_err(|e| row_refusal(1, e.to_string(), e.to_string()))?
        .clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| row_refusal(1, format!("missing column '{name}'"), format!("缺少列“{name}”")))
    };
    let (c_cat, c_name, c_ind, c_code, c_desc, c_haz) = (
        col("category")?,
        col("category_name")?,
        col("industry")?,
        col("code")?,
        col("description")?,
        col("hazard")?,
    );
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| row_refusal(line, e.to_string(), e.to_string()))?;
        if rows.len() >= MAX_CATALOGUE_ROWS {
            return Err(row_refusal(
                line,
                format!("more than {MAX_CATALOGUE_ROWS} rows"),
                format!("超过{MAX_CATALOGUE_ROWS}行"),
            ));
        }
        let field = |c: usize| rec.get(c).unwrap_or("").trim().to_owned();
        let digits = waste_digits(&field(c_code)).map_err(|r| row_refusal(line, r.message, r.message_zh))?;
        let code = WasteCode::from_trusted_digits(digits);
        let category = Category::parse(&field(c_cat))
            .filter(|c| *c == code.category())
            .ok_or_else(|| {
                row_refusal(
                    line,
                    format!("category '{}' does not match code {code}", field(c_cat)),
                    format!("类别“{}”与代码{code}不符", field(c_cat)),
                )
            })?;
        HazardSet::parse_catalogue(&field(c_haz)).map_err(|r| row_refusal(line, r.message, r.message_zh))?;
        rows.push(CatalogueRow {
            entry: CatalogueEntry {
                code,
                category: category.to_string(),
                category_name: field(c_name),
                industry: field(c_ind),
                description: field(c_desc),
                hazard: field(c_haz),
            },
        });
    }
    if rows.is_empty() {
        return Err(row_refusal(2, "the file has no rows".into(), "文件没有数据行".into()));
    }
    let mut codes: Vec<WasteCode> = rows.iter().map(|r| r.entry.code).collect();
    codes.sort();
    if let Some(w) = codes.windows(2).find(|w| w[0] == w[1]) {
        return Err(Refusal::invalid(
            "bad_catalogue_csv",
            format!("waste code {} appears twice", w[0]),
            format!("废物代码{}重复出现", w[0]),
        ));
    }
    Ok(rows)
}

/// Checks a catalogue version name: 1–32 letters, digits, `.`, `_`, `-`.
pub fn check_version_name(v: &str) -> Result<(), Refusal> {
    let ok = (1..=32).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(Refusal::invalid(
            "bad_catalogue_version",
            format!("catalogue version '{v}' must be 1-32 letters, digits, '.', '_' or '-'"),
            format!("名录版本“{v}”应为1-32个字母、数字、“.”、“_”或“-”"),
        ))
    }
}

/// Inserts a new catalogue version (refusing one that exists: versions are never edited).
pub fn insert_catalogue(conn: &Connection, version: &str, source: &str, rows: &[CatalogueRow]) -> StoreResult<()> {
    check_version_name(version)?;
    if version_exists(conn, version)? {
        return Err(Refusal::conflict(
            "catalogue_version_exists",
            format!(
                "catalogue version '{version}' is already loaded; versions are never edited, load it under a new name"
            ),
            format!("名录版本“{version}”已存在；版本不可修改，请使用新的版本名"),
        )
        .into());
    }
    conn.execute(
        "INSERT INTO catalogue_versions(version, source, loaded_at, active, code_count) VALUES (?1, ?2, ?3, 0, ?4)",
        params![version, source, now_rfc3339(), rows.len() as i64],
    )?;
    let mut stmt = conn.prepare(
        "INSERT INTO catalogue_entries(version, code, category, category_name, industry, description, hazard)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for r in rows {
        let e = &r.entry;
        stmt.execute(params![
            version,
            e.code.to_string(),
            e.category,
            e.category_name,
            e.industry,
            e.description,
            e.hazard
        ])?;
    }
    Ok(())
}

fn load_exemptions(conn: &Connection, version: &str, csv_text: &str) -> StoreResult<usize> {
    let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
    let mut n = 0;
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| Refusal::invalid("bad_seed", e.to_string(), e.to_string()))?;
        let seq: i64 = rec[0]
            .parse()
            .map_err(|_| Refusal::invalid("bad_seed", "bad exemption seq", "豁免序号错误"))?;
        n += conn.execute(
            "INSERT INTO catalogue_exemptions(version, row_no, seq, category_or_code, codes, waste, exempt_stage, condition, exemption)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![version, i as i64 + 1, seq, &rec[1], &rec[2], &rec[3], &rec[4], &rec[5], &rec[6]],
        )?;
    }
    Ok(n)
}

/// One exemption of the national list (《国家危险废物名录》附录《危险废物豁免管理清单》) as it
/// applies to a waste code: at which stage, under which condition, what is exempt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Exemption {
    /// The stage as the list writes it: 全部环节, 收集, 运输, 利用, 处置 or 利用、处置.
    pub stage: String,
    /// The same in English: `all stages`, `collection`, `transport`, `utilisation`,
    /// `disposal`, `utilisation and disposal`.
    pub stage_en: String,
    /// What the row names: the code itself (`code`) or its whole category (`category`).
    pub applies_to: String,
    /// The waste the row describes.
    pub waste: String,
    /// 豁免条件: the condition under which the stage is exempt.
    pub condition: String,
    /// 豁免内容: what is exempt (e.g. 运输过程不按危险废物进行运输).
    pub exemption: String,
}

/// Exemption rows as [`active_exemptions`] answers them: (codes named, category named, the
/// exemption).
pub type ExemptionRows = Vec<(Vec<String>, Option<String>, Exemption)>;

/// The English name of an exemption stage of the list.
pub fn exemption_stage_en(stage: &str) -> &'static str {
    match stage {
        "全部环节" => "all stages",
        "收集" => "collection",
        "运输" => "transport",
        "利用" => "utilisation",
        "处置" => "disposal",
        "利用、处置" => "utilisation and disposal",
        _ => "other",
    }
}

/// Every exemption row of the active catalogue version that names a waste code or a category:
/// `(codes named, category named, exemption)`. Rows that name a kind of waste only (household
/// waste, waste of an environmental emergency, historical waste) apply to no code by
/// themselves and are left out.
pub fn active_exemptions(conn: &Connection) -> StoreResult<ExemptionRows> {
    let mut stmt = conn.prepare_cached(
        "SELECT x.category_or_code, x.codes, x.waste, x.exempt_stage, x.condition, x.exemption
         FROM catalogue_exemptions x JOIN catalogue_versions v ON v.version = x.version AND v.active = 1
         ORDER BY x.row_no",
    )?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(named, codes, waste, stage, condition, exemption)| {
            let codes: Vec<String> = codes.split_whitespace().map(str::to_owned).collect();
            let category = (codes.is_empty() && is_category(&named)).then_some(named);
            if codes.is_empty() && category.is_none() {
                return None;
            }
            let applies_to = if category.is_some() { "category" } else { "code" };
            Some((
                codes,
                category,
                Exemption {
                    stage_en: exemption_stage_en(&stage).to_owned(),
                    stage,
                    applies_to: applies_to.to_owned(),
                    waste,
                    condition,
                    exemption,
                },
            ))
        })
        .collect())
}

fn is_category(s: &str) -> bool {
    s.len() == 4 && s.starts_with("HW") && s[2..].bytes().all(|b| b.is_ascii_digit())
}

/// The exemptions of `code` (`NNN-NNN-NN`) among `rows` ([`active_exemptions`]).
pub fn exemptions_of(rows: &ExemptionRows, code: &str) -> Vec<Exemption> {
    let category = code.rsplit('-').next().map(|d| format!("HW{d}"));
    rows.iter()
        .filter(|(codes, cat, _)| codes.iter().any(|c| c == code) || (cat.is_some() && *cat == category))
        .map(|(_, _, x)| x.clone())
        .collect()
}

/// Makes `version` the catalogue new inputs are checked against.
pub fn activate(conn: &Connection, version: &str) -> StoreResult<()> {
    if !version_exists(conn, version)? {
        return Err(Refusal::not_found(
            "unknown_catalogue_version",
            format!("catalogue version '{version}' is not loaded"),
            format!("名录版本“{version}”未加载"),
        )
        .into());
    }
    conn.execute(
        "UPDATE catalogue_versions SET active = 0 WHERE active = 1 AND version <> ?1",
        [version],
    )?;
    conn.execute(
        "UPDATE catalogue_versions SET active = 1 WHERE version = ?1 AND active = 0",
        [version],
    )?;
    Ok(())
}

/// Reads the active catalogue into memory.
pub fn active_catalogue(conn: &Connection) -> StoreResult<Catalogue> {
    let version: Option<String> = conn
        .query_row("SELECT version FROM catalogue_versions WHERE active = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let Some(version) = version else {
        return Ok(Catalogue::default());
    };
    let mut stmt = conn.prepare(
        "SELECT code, category, category_name, industry, description, hazard FROM catalogue_entries WHERE version = ?1",
    )?;
    let entries = stmt
        .query_map([&version], |r| {
            let code: String = r.get(0)?;
            Ok((code, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?
        .map(|row| {
            let (code, category, category_name, industry, description, hazard) = row?;
            let digits = waste_digits(&code)?;
            Ok(CatalogueEntry {
                code: WasteCode::from_trusted_digits(digits),
                category,
                category_name,
                industry,
                description,
                hazard,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Catalogue::new(version, entries))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FacilitySeeds {
    #[allow(dead_code)]
    note: String,
    enterprises: Vec<SeedEnterprise>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedEnterprise {
    uscc: String,
    name_zh: String,
    name_en: String,
    roles: Vec<String>,
    district: String,
    address: String,
    contact_name: String,
    contact_phone: String,
    permits: Vec<SeedPermit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedPermit {
    number: String,
    valid_from: String,
    valid_until: String,
    scopes: Vec<String>,
    capacities: Vec<SeedCapacity>,
    landfill_volume_m3: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedCapacity {
    method: String,
    #[serde(default)]
    capacity_t_per_year: Option<i64>,
    #[serde(default)]
    capacity_t_per_day: Option<i64>,
}

impl SeedCapacity {
    /// The capacity in its own unit: exactly one of the two is given.
    fn amount(&self) -> Result<(i64, CapacityPer), Refusal> {
        match (self.capacity_t_per_year, self.capacity_t_per_day) {
            (Some(t), None) => Ok((t, CapacityPer::Year)),
            (None, Some(t)) => Ok((t, CapacityPer::Day)),
            _ => Err(seed_refusal(format!(
                "seed capacity of {} must give one of capacity_t_per_year and capacity_t_per_day",
                self.method
            ))),
        }
    }
}

fn load_facilities(conn: &Connection) -> StoreResult<usize> {
    let seeds: FacilitySeeds = serde_json::from_str(SEED_FACILITIES)
        .map_err(|e| Refusal::invalid("bad_seed", e.to_string(), e.to_string()))?;
    let now = now_rfc3339();
    let mut added = 0;
    for e in seeds.enterprises {
        let uscc = Uscc::parse(&e.uscc)?;
        let exists: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM enterprises WHERE uscc = ?1)",
            [uscc.as_str()],
            |r| r.get(0),
        )?;
        if exists {
            continue;
        }
        conn.execute(
            "INSERT INTO enterprises(uscc, name_zh, name_en, district, address, contact_name, contact_phone, synthetic,
                                     created_at, province, county)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10)",
            params![
                uscc.as_str(),
                e.name_zh,
                e.name_en,
                e.district,
                e.address,
                e.contact_name,
                e.contact_phone,
                now,
                uscc.province_code(),
                uscc.division_code()
            ],
        )?;
        for role in &e.roles {
            let role = EnterpriseRole::parse(role)?;
            conn.execute(
                "INSERT INTO enterprise_roles(uscc, role) VALUES (?1, ?2)",
                params![uscc.as_str(), role.code()],
            )?;
        }
        for p in &e.permits {
            conn.execute(
                "INSERT INTO permits(number, holder, valid_from, valid_until, landfill_volume_m3, created_at, kind)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    p.number,
                    uscc.as_str(),
                    p.valid_from,
                    p.valid_until,
                    p.landfill_volume_m3,
                    now,
                    PermitKind::Operating.code()
                ],
            )?;
            for s in &p.scopes {
                conn.execute(
                    "INSERT INTO permit_scopes(permit, scope) VALUES (?1, ?2)",
                    params![p.number, s],
                )?;
            }
            for c in &p.capacities {
                let method = TreatmentMethod::parse(&c.method)?;
                let (t, per) = c.amount()?;
                conn.execute(
                    "INSERT INTO permit_capacities(permit, method, capacity_t, per) VALUES (?1, ?2, ?3, ?4)",
                    params![p.number, method.code(), t, per.code()],
                )?;
            }
        }
        added += 1;
    }
    Ok(added)
}

// ---------------------------------------------------------------- working-day calendar

fn load_holidays(conn: &Connection) -> StoreResult<usize> {
    let days = parse_calendar_csv(SEED_HOLIDAYS.as_bytes())?;
    let mut stmt = conn
        .prepare_cached("INSERT OR IGNORE INTO calendar_days(day, kind, name_zh, name_en) VALUES (?1, ?2, ?3, ?4)")?;
    let mut added = 0;
    for d in &days {
        added += stmt.execute(params![d.date.to_string(), d.kind.code(), d.name_zh, d.name_en])?;
    }
    Ok(added)
}

/// Adds the listed days, replacing any already recorded for the same dates (`hwtrace calendar
/// load`). Answers how many rows were written.
pub fn upsert_calendar_days(conn: &Connection, days: &[CalendarDay]) -> StoreResult<usize> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO calendar_days(day, kind, name_zh, name_en) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(day) DO UPDATE SET kind = excluded.kind, name_zh = excluded.name_zh, name_en = excluded.name_en",
    )?;
    for d in days {
        stmt.execute(params![d.date.to_string(), d.kind.code(), d.name_zh, d.name_en])?;
    }
    Ok(days.len())
}

fn calendar_rows(conn: &Connection, from: &str, until: &str) -> StoreResult<Vec<CalendarDay>> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, kind, name_zh, name_en FROM calendar_days WHERE day >= ?1 AND day <= ?2 ORDER BY day",
    )?;
    let rows = stmt
        .query_map([from, until], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?))
        })?
        .collect::<rusqlite::Result<Vec<(String, String, String, String)>>>()?;
    rows.into_iter()
        .map(|(day, kind, name_zh, name_en)| {
            let date = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                .map_err(|_| crate::store::StoreError::Other(format!("calendar_days: bad date {day}")))?;
            let kind = DayKind::parse(&kind)
                .map_err(|_| crate::store::StoreError::Other(format!("calendar_days: bad kind of {day}")))?;
            Ok(CalendarDay {
                date,
                kind,
                name_zh,
                name_en,
            })
        })
        .collect()
}

/// The listed days of `year` (holidays and make-up working days), in date order.
pub fn calendar_year(conn: &Connection, year: i32) -> StoreResult<Vec<CalendarDay>> {
    calendar_rows(conn, &format!("{year:04}-01-01"), &format!("{year:04}-12-31"))
}

/// The whole working-day calendar, for deadlines counted in working days.
pub fn load_calendar(conn: &Connection) -> StoreResult<WorkCalendar> {
    Ok(WorkCalendar::from_days(&calendar_rows(
        conn,
        "0000-01-01",
        "9999-12-31",
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_2021_list_has_467_codes_in_46_categories() {
        let rows = parse_catalogue_csv(SEED_CATALOGUE_2021.as_bytes()).unwrap();
        let cat = Catalogue::new("2021", rows.into_iter().map(|r| r.entry).collect());
        assert_eq!(cat.len(), 467);
        assert_eq!(cat.category_count(), 46);
    }

    #[test]
    fn holidays_are_seeded_once_and_a_loaded_day_replaces_its_date() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrations().to_latest(&mut conn).unwrap();
        let first = load_seeds(&conn).unwrap();
        assert_eq!(first.calendar_days, 72);
        assert_eq!(first.divisions, 31 + 342 + 2978, "the NBS 2023 list");
        assert_eq!(
            load_seeds(&conn).unwrap(),
            SeedReport::default(),
            "a second pass adds nothing"
        );
        let national_day = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        assert!(!load_calendar(&conn).unwrap().is_working_day(national_day));

        let replaced = parse_calendar_csv(
            "date,kind,name_zh,name_en\n2026-10-01,workday,测试,test\n2027-01-01,holiday,元旦,New Year's Day\n"
                .as_bytes(),
        )
        .unwrap();
        assert_eq!(upsert_calendar_days(&conn, &replaced).unwrap(), 2);
        let cal = load_calendar(&conn).unwrap();
        assert!(cal.is_working_day(national_day));
        assert!(!cal.is_working_day(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()));
        assert_eq!(calendar_year(&conn, 2027).unwrap(), replaced[1..]);
        assert_eq!(calendar_year(&conn, 2026).unwrap().len(), 39);
        // The seed does not undo an operator's change at the next start.
        assert_eq!(load_seeds(&conn).unwrap(), SeedReport::default());
        assert!(load_calendar(&conn).unwrap().is_working_day(national_day));
    }

    #[test]
    fn fengyan_is_licensed_per_day() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrations().to_latest(&mut conn).unwrap();
        load_seeds(&conn).unwrap();
        let steam: (i64, String) = conn
            .query_row(
                "SELECT capacity_t, per FROM permit_capacities WHERE permit = 'CQWF-2026-003' AND method = 'steam'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(steam, (3, "day".to_owned()));
        let (sichuan, chengdu, qijiang): (String, String, String) = conn
            .query_row(
                "SELECT (SELECT name_zh FROM provinces WHERE code = '51'),
                        (SELECT name_zh FROM prefectures WHERE code = '5101'),
                        (SELECT name_zh FROM counties WHERE code = '500110')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!(
            (sichuan.as_str(), chengdu.as_str(), qijiang.as_str()),
            ("四川省", "成都市", "綦江区")
        );
    }

    #[test]
    fn bad_csv_rows_are_refused_with_their_line() {
        let head = "category,category_name,industry,code,description,hazard\n";
        let cases = [
            (format!("{head}HW08,x,y,900-249-09,d,T\n"), "line 2"),
            (
                format!("{head}HW08,x,y,900-249-08,d,T\nHW08,x,y,900-24-08,d,T\n"),
                "line 3",
            ),
            (format!("{head}HW08,x,y,900-249-08,d,Q\n"), "line 2"),
            (
                format!("{head}HW08,x,y,900-249-08,d,T\nHW08,x,y,900-249-08,d,T\n"),
                "twice",
            ),
            ("category,code\nHW08,900-249-08\n".to_string(), "missing column"),
            (head.to_string(), "no rows"),
        ];
        for (csv_text, needle) in cases {
            let err = parse_catalogue_csv(csv_text.as_bytes()).unwrap_err();
            assert_eq!(err.code, "bad_catalogue_csv");
            assert!(err.message.contains(needle), "{} lacks {needle}", err.message);
        }
    }
}
