//! The registry: enterprises and their roles, their provinces (from their USCCs), permits
//! (operating and collection licences), vehicles, drivers and device public keys. Inputs are
//! checked into domain types here, at the edge of storage; the SQL below only ever sees checked
//! values.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use data_encoding::BASE64;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::crypto::keys::{parse_public_key_b64, VerifierKey};
use crate::domain::access::Scope;
use crate::domain::{
    text, CapacityPer, Catalogue, Category, DeviceName, District, EnterpriseRole, PermitKind, Plate, Refusal,
    TreatmentMethod, Uscc, VehicleType, WasteCode,
};
use crate::log::keyring::{log_key_change, KeyChange};
use crate::log::Log;
use crate::store::StoreResult;
use crate::time::{now_rfc3339, rfc3339};
use ed25519_dalek::VerifyingKey;

/// Most rows one list answer carries.
pub const MAX_LIST_ROWS: usize = 1000;

fn refuse_unknown_enterprise(uscc: &Uscc) -> Refusal {
    Refusal::not_found(
        "unknown_enterprise",
        format!("no enterprise with unified social credit code {uscc} is registered"),
        format!("未登记统一社会信用代码为{uscc}的企业"),
    )
}

/// The district of a registered enterprise, or `unknown_enterprise`.
pub fn enterprise_district(conn: &Connection, uscc: &Uscc) -> StoreResult<String> {
    conn.query_row(
        "SELECT district FROM enterprises WHERE uscc = ?1",
        [uscc.as_str()],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| refuse_unknown_enterprise(uscc).into())
}

pub fn check_district(conn: &Connection, d: &District) -> StoreResult<()> {
    let known: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM districts WHERE code = ?1)",
        [d.as_str()],
        |r| r.get(0),
    )?;
    if known {
        Ok(())
    } else {
        Err(Refusal::invalid(
            "unknown_district",
            format!("district '{d}' is not known; see GET /api/v1/reference"),
            format!("未知的区县“{d}”，请查看 GET /api/v1/reference"),
        )
        .into())
    }
}

fn roles_of(conn: &Connection, uscc: &str) -> StoreResult<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT role FROM enterprise_roles WHERE uscc = ?1 ORDER BY role")?;
    let roles = stmt.query_map([uscc], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(roles)
}

fn require_role(conn: &Connection, uscc: &Uscc, role: EnterpriseRole) -> StoreResult<()> {
    if roles_of(conn, uscc.as_str())?.iter().any(|r| r == role.code()) {
        return Ok(());
    }
    let n = role.named();
    Err(Refusal::invalid(
        "missing_enterprise_role",
        format!("enterprise {uscc} is not registered as a {}", n.name_en),
        format!("企业{uscc}未登记为{}", n.name_zh),
    )
    .into())
}

// ---------------------------------------------------------------- enterprises

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enterprise {
    pub uscc: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub roles: Vec<String>,
    /// The supervising district: whose regulators see the enterprise (`province_NN` for an
    /// enterprise outside the deployment's districts).
    pub district: String,
    /// The province of the registering authority: characters 3–4 of the USCC, e.g. `51`.
    pub province: String,
    pub province_name: String,
    /// The registering authority's division code: characters 3–8 of the USCC, e.g. `510104`.
    pub county: String,
    /// The county's name when the code is a county of the 2023 division list; null when it is a
    /// prefecture- or province-level authority (`…00`) or a code the list does not know.
    pub county_name: Option<String>,
    /// The prefecture's name (characters 3–6), when the list knows it.
    pub prefecture_name: Option<String>,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// True for demo and seed records that are not real enterprises.
    pub synthetic: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnterprise {
    pub uscc: String,
    pub name_zh: String,
    #[serde(default)]
    pub name_en: Option<String>,
    pub roles: Vec<String>,
    /// The supervising district (`GET /api/v1/reference`). Required for an enterprise in a
    /// province of the deployment's districts; for one registered elsewhere (a receiver in
    /// Sichuan) it may be left out and is then `province_NN`, the district of its province.
    #[serde(default)]
    pub district: Option<String>,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    #[serde(default)]
    pub synthetic: bool,
}

struct CheckedEnterprise {
    uscc: Uscc,
    name_zh: String,
    name_en: Option<String>,
    roles: BTreeSet<EnterpriseRole>,
    district: Option<District>,
    address: String,
    contact_name: String,
    contact_phone: String,
    synthetic: bool,
}

fn check_enterprise(n: &NewEnterprise) -> Result<CheckedEnterprise, Refusal> {
    let uscc = Uscc::parse(&n.uscc).map_err(|r| r.in_field("uscc"))?;
    let roles = n
        .roles
        .iter()
        .map(|r| EnterpriseRole::parse(r))
        .collect::<Result<BTreeSet<_>, _>>()?;
    if roles.is_empty() {
        return Err(Refusal::invalid(
            "missing_field",
            "roles must name at least one role",
            "roles至少包含一个角色",
        ));
    }
    Ok(CheckedEnterprise {
        uscc,
        name_zh: text::required("name_zh", &n.name_zh, 100)?,
        name_en: text::optional("name_en", n.name_en.as_deref(), 200)?,
        roles,
        district: n
            .district
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(District::parse)
            .transpose()?,
        address: text::required("address", &n.address, 200)?,
        contact_name: text::required("contact_name", &n.contact_name, 50)?,
        contact_phone: text::phone("contact_phone", &n.contact_phone)?,
        synthetic: n.synthetic,
    })
}

/// The prefix of the districts that stand for a whole province outside the deployment.
pub const PROVINCE_DISTRICT_PREFIX: &str = "province_";

/// The district of province `code` outside the deployment's districts: `province_51`.
pub fn province_district(code: &str) -> String {
    format!("{PROVINCE_DISTRICT_PREFIX}{code}")
}

/// The name of the province of `uscc`'s registering authority (characters 3–4), or
/// `unknown_province` when they are no province of the division list.
pub fn uscc_province(conn: &Connection, uscc: &Uscc) -> StoreResult<String> {
    let p = uscc.province_code();
    conn.prepare_cached("SELECT name_zh FROM provinces WHERE code = ?1")?
        .query_row([p], |r| r.get(0))
        .optional()?
        .ok_or_else(|| {
            Refusal::invalid(
                "unknown_province",
                format!(
                    "characters 3-4 of unified social credit code {uscc} ('{p}') are not the code of a province: \
                     the code's registering authority is unknown"
                ),
                format!("统一社会信用代码{uscc}的第3-4位（{p}）不是省级行政区划代码，无法确定登记管理机关"),
            )
            .in_field("uscc")
            .into()
        })
}

/// The supervising district of a new enterprise of province `province` (named `province_name`):
/// the one given, which must exist (a province district `province_NN` of the enterprise's own
/// province is created when first used); or, when none is given, the enterprise's province
/// district, for a province none of the deployment's districts is in.
fn resolve_district(
    conn: &Connection,
    given: Option<&District>,
    province: &str,
    province_name: &str,
) -> StoreResult<District> {
    let own = province_district(province);
    let district = match given {
        Some(d) if d.as_str() == own => d.clone(),
        Some(d) if d.as_str().starts_with(PROVINCE_DISTRICT_PREFIX) => {
            return Err(Refusal::invalid(
                "district_province_mismatch",
                format!("district {d} is for enterprises registered in another province than {province}"),
                format!("区县{d}属于其他省级行政区，而该企业登记于{province}（{province_name}）"),
            )
            .into())
        }
        Some(d) => {
            check_district(conn, d)?;
            return Ok(d.clone());
        }
        None => {
            let local: bool = conn
                .prepare_cached(
                    "SELECT EXISTS(SELECT 1 FROM districts WHERE province_code = ?1 AND code NOT GLOB 'province_*')",
                )?
                .query_row([province], |r| r.get(0))?;
            if local {
                return Err(Refusal::invalid(
                    "missing_field",
                    format!(
                        "district is required for an enterprise registered in province {province} ({province_name}), \
                         where the deployment's districts are"
                    ),
                    format!("该企业登记于{province_name}，为本系统辖区所在省份，须填写所属区县district"),
                )
                .into());
            }
            District::parse(&own)?
        }
    };
    conn.execute(
        "INSERT OR IGNORE INTO districts(code, name_zh, name_en, province_code, city_code) VALUES (?1, ?2, ?3, ?4, '00')",
        params![
            district.as_str(),
            province_name,
            format!("Province {province} (outside the deployment's districts)"),
            province
        ],
    )?;
    Ok(district)
}

pub fn create_enterprise(conn: &Connection, new: &NewEnterprise) -> StoreResult<Enterprise> {
    let e = check_enterprise(new)?;
    let province_name = uscc_province(conn, &e.uscc)?;
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM enterprises WHERE uscc = ?1)",
        [e.uscc.as_str()],
        |r| r.get(0),
    )?;
    if exists {
        return Err(Refusal::conflict(
            "enterprise_exists",
            format!("enterprise {} is already registered", e.uscc),
            format!("企业{}已登记", e.uscc),
        )
        .into());
    }
    let district = resolve_district(conn, e.district.as_ref(), e.uscc.province_code(), &province_name)?;
    conn.execute(
        "INSERT INTO enterprises(uscc, name_zh, name_en, district, address, contact_name, contact_phone, synthetic, created_at,
                                 province, county)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            e.uscc.as_str(),
            e.name_zh,
            e.name_en,
            district.as_str(),
            e.address,
            e.contact_name,
            e.contact_phone,
            e.synthetic,
            now_rfc3339(),
            e.uscc.province_code(),
            e.uscc.division_code()
        ],
    )?;
    for role in &e.roles {
        conn.execute(
            "INSERT INTO enterprise_roles(uscc, role) VALUES (?1, ?2)",
            params![e.uscc.as_str(), role.code()],
        )?;
    }
    get_enterprise(conn, &e.uscc)
}

const ENTERPRISE_COLUMNS: &str = "e.uscc, e.name_zh, e.name_en, e.district, e.address, e.contact_name, e.contact_phone,
     e.synthetic, e.created_at, coalesce(e.province, substr(e.uscc, 3, 2)), coalesce(e.county, substr(e.uscc, 3, 6)),
     coalesce(p.name_zh, ''), c.name_zh, f.name_zh";

/// The enterprises with the names of their divisions (alias `e`).
const ENTERPRISE_FROM: &str = "enterprises e
     LEFT JOIN provinces p ON p.code = coalesce(e.province, substr(e.uscc, 3, 2))
     LEFT JOIN counties c ON c.code = coalesce(e.county, substr(e.uscc, 3, 6))
     LEFT JOIN prefectures f ON f.code = substr(coalesce(e.county, substr(e.uscc, 3, 6)), 1, 4)";

fn enterprise_row(conn: &Connection, r: &rusqlite::Row<'_>) -> StoreResult<Enterprise> {
    let uscc: String = r.get(0)?;
    Ok(Enterprise {
        roles: roles_of(conn, &uscc)?,
        uscc,
        name_zh: r.get(1)?,
        name_en: r.get(2)?,
        district: r.get(3)?,
        address: r.get(4)?,
        contact_name: r.get(5)?,
        contact_phone: r.get(6)?,
        synthetic: r.get(7)?,
        created_at: r.get(8)?,
        province: r.get(9)?,
        county: r.get(10)?,
        province_name: r.get(11)?,
        county_name: r.get(12)?,
        prefecture_name: r.get(13)?,
    })
}

pub fn get_enterprise(conn: &Connection, uscc: &Uscc) -> StoreResult<Enterprise> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ENTERPRISE_COLUMNS} FROM {ENTERPRISE_FROM} WHERE e.uscc = ?1"
    ))?;
    let mut rows = stmt.query([uscc.as_str()])?;
    match rows.next()? {
        Some(r) => enterprise_row(conn, r),
        None => Err(refuse_unknown_enterprise(uscc).into()),
    }
}

/// Filters of the enterprise list.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EnterpriseFilter {
    /// Text in the Chinese or English name, or a USCC prefix.
    pub q: Option<String>,
    /// Only enterprises with this role.
    pub role: Option<String>,
    /// Only enterprises in this district.
    pub district: Option<String>,
}

pub fn list_enterprises(conn: &Connection, scope: &Scope, f: &EnterpriseFilter) -> StoreResult<Vec<Enterprise>> {
    let role = f
        .role
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(EnterpriseRole::parse)
        .transpose()?;
    let district = f
        .district
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(District::parse)
        .transpose()?;
    let q =
        f.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.to_owned());
    let (scope_district, scope_uscc) = match scope {
        Scope::All => (None, None),
        Scope::District(d) => (Some(d.as_str().to_owned()), None),
        Scope::Enterprise(u) => (None, Some(u.as_str().to_owned())),
        Scope::Nothing => return Ok(Vec::new()),
    };
    let sql = format!(
        "SELECT {ENTERPRISE_COLUMNS} FROM {ENTERPRISE_FROM}
         WHERE (?1 IS NULL OR e.district = ?1) AND (?2 IS NULL OR e.uscc = ?2)
           AND (?3 IS NULL OR e.district = ?3)
           AND (?4 IS NULL OR EXISTS(SELECT 1 FROM enterprise_roles r WHERE r.uscc = e.uscc AND r.role = ?4))
           AND (?5 IS NULL OR instr(e.name_zh, ?5) > 0 OR instr(lower(coalesce(e.name_en, '')), lower(?5)) > 0
                OR e.uscc LIKE upper(?5) || '%')
         ORDER BY e.uscc LIMIT {MAX_LIST_ROWS}"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(params![
        scope_district,
        scope_uscc,
        district.as_ref().map(District::as_str),
        role.map(|r| r.code()),
        q
    ])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(enterprise_row(conn, r)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------- permits

/// One licensed treatment capacity, in the unit the licence states it: tonnes a year or tonnes
/// a day (exactly one of the two).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    /// Treatment method code, see `GET /api/v1/reference`.
    pub method: String,
    #[serde(default)]
    pub capacity_t_per_year: Option<i64>,
    #[serde(default)]
    pub capacity_t_per_day: Option<i64>,
}

impl Capacity {
    /// A capacity of `t` tonnes per `per`.
    pub fn new(method: &str, t: i64, per: CapacityPer) -> Capacity {
        Capacity {
            method: method.to_owned(),
            capacity_t_per_year: (per == CapacityPer::Year).then_some(t),
            capacity_t_per_day: (per == CapacityPer::Day).then_some(t),
        }
    }

    /// The capacity in its own unit, or `bad_capacity` unless exactly one positive figure is given.
    fn amount(&self) -> Result<(i64, CapacityPer), Refusal> {
        let (t, per) = match (self.capacity_t_per_year, self.capacity_t_per_day) {
            (Some(t), None) => (t, CapacityPer::Year),
            (None, Some(t)) => (t, CapacityPer::Day),
            _ => {
                return Err(Refusal::invalid(
                    "bad_capacity",
                    format!(
                        "the capacity of {} gives exactly one of capacity_t_per_year and capacity_t_per_day",
                        self.method
                    ),
                    format!(
                        "{}的处置能力应且只应填写capacity_t_per_year或capacity_t_per_day之一",
                        self.method
                    ),
                ))
            }
        };
        if t <= 0 {
            return Err(Refusal::invalid(
                "bad_capacity",
                format!(
                    "the capacity of {} must be a positive whole number of tonnes",
                    self.method
                ),
                format!("{}的处置能力应为正整数（吨）", self.method),
            ));
        }
        Ok((t, per))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Permit {
    pub number: String,
    pub holder: String,
    /// `operating` (危险废物经营许可证: collection, storage, treatment) or `collection`
    /// (危险废物收集经营许可证 of a collection point).
    pub kind: String,
    pub valid_from: String,
    pub valid_until: String,
    /// Licensed waste codes (`NNN-NNN-NN`) or whole categories (`HWnn`).
    pub waste_codes: Vec<String>,
    /// Treatment capacities per method (operating licences; none on a collection licence).
    pub capacities: Vec<Capacity>,
    pub landfill_volume_m3: Option<i64>,
    /// Licensed annual collection capacity in tonnes (collection licences only).
    pub collection_t_per_year: Option<i64>,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPermit {
    /// `operating` (the default) or `collection`.
    #[serde(default)]
    pub kind: Option<String>,
    pub number: String,
    pub valid_from: String,
    pub valid_until: String,
    pub waste_codes: Vec<String>,
    /// An operating licence's treatment capacities; a collection licence has none.
    #[serde(default)]
    pub capacities: Vec<Capacity>,
    #[serde(default)]
    pub landfill_volume_m3: Option<i64>,
    /// A collection licence's annual collection capacity in tonnes (required there, refused on
    /// an operating licence).
    #[serde(default)]
    pub collection_t_per_year: Option<i64>,
}

/// Most scope entries one permit may list.
pub const MAX_PERMIT_SCOPES: usize = 600;

/// A date `YYYY-MM-DD` of an input field, or `bad_date` (`date_out_of_range`) naming the field.
pub(crate) fn check_date(field: &str, s: &str) -> Result<NaiveDate, Refusal> {
    crate::domain::day::parse(field, s)
}

/// One licensed scope: a listed waste code or a whole category present in the catalogue.
fn check_scope(s: &str, catalogue: &Catalogue) -> Result<String, Refusal> {
    if let Some(cat) = Category::parse(s) {
        if catalogue.has_category(cat) {
            return Ok(cat.to_string());
        }
        return Err(Refusal::invalid(
            "unknown_waste_category",
            format!(
                "category {cat} is not in the national hazardous-waste list ({} edition)",
                catalogue.version
            ),
            format!("类别{cat}不在《国家危险废物名录》（{}年版）中", catalogue.version),
        ));
    }
    Ok(WasteCode::parse(s, catalogue)?.to_string())
}

/// A permit checked: its kind, and its capacities in their own units.
struct CheckedPermit {
    kind: PermitKind,
    number: String,
    valid_from: String,
    valid_until: String,
    scopes: Vec<String>,
    capacities: Vec<(TreatmentMethod, i64, CapacityPer)>,
    landfill_volume_m3: Option<i64>,
    collection_t_per_year: Option<i64>,
}

/// An operating licence's treatment capacities: each method once, each in one unit.
fn check_capacities(n: &NewPermit) -> Result<Vec<(TreatmentMethod, i64, CapacityPer)>, Refusal> {
    let mut methods = BTreeSet::new();
    let mut out = Vec::new();
    for c in &n.capacities {
        let m = TreatmentMethod::parse(&c.method)?;
        if !methods.insert(m) {
            return Err(Refusal::invalid(
                "duplicate_method",
                format!("method {m} is listed twice"),
                format!("处置方式{m}重复"),
            ));
        }
        let (t, per) = c.amount()?;
        out.push((m, t, per));
    }
    if n.capacities.is_empty() && n.landfill_volume_m3.is_none() {
        return Err(Refusal::invalid(
            "bad_capacity",
            "an operating licence needs at least one treatment capacity or a landfill volume",
            "经营许可证至少应有一种处置能力或填埋库容",
        ));
    }
    if n.landfill_volume_m3.is_some_and(|v| v <= 0) {
        return Err(Refusal::invalid(
            "bad_capacity",
            "landfill_volume_m3 must be positive",
            "landfill_volume_m3应为正数",
        ));
    }
    if n.collection_t_per_year.is_some() {
        return Err(Refusal::invalid(
            "bad_capacity",
            "collection_t_per_year is the capacity of a collection licence (kind collection)",
            "collection_t_per_year仅用于收集经营许可证（kind为collection）",
        ));
    }
    Ok(out)
}

/// A collection licence licenses collection only: no treatment method, no landfill, and an
/// annual collection capacity.
fn check_collection(n: &NewPermit) -> Result<i64, Refusal> {
    if !n.capacities.is_empty() || n.landfill_volume_m3.is_some() {
        return Err(Refusal::invalid(
            "collection_permit_methods",
            "a collection licence (危险废物收集经营许可证) licenses no treatment: give no capacities or landfill volume",
            "收集经营许可证不许可利用处置，不应填写处置能力或填埋库容",
        ));
    }
    match n.collection_t_per_year {
        Some(t) if t > 0 => Ok(t),
        _ => Err(Refusal::invalid(
            "bad_capacity",
            "a collection licence needs collection_t_per_year, its annual collection capacity in whole tonnes",
            "收集经营许可证须填写年收集能力collection_t_per_year（正整数，吨/年）",
        )),
    }
}

fn check_permit(n: &NewPermit, catalogue: &Catalogue) -> Result<CheckedPermit, Refusal> {
    let kind = match n.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
        None => PermitKind::Operating,
        Some(k) => PermitKind::parse(k)?,
    };
    let number = n.number.trim();
    if number.is_empty() || number.len() > 40 || !number.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Refusal::invalid(
            "bad_permit_number",
            "permit number must be 1-40 printable ASCII characters without spaces",
            "许可证编号应为1-40个不含空格的ASCII字符",
        ));
    }
    let from = check_date("valid_from", &n.valid_from)?;
    let until = check_date("valid_until", &n.valid_until)?;
    if from > until {
        return Err(Refusal::invalid(
            "bad_permit_dates",
            "valid_from must not be after valid_until",
            "有效期起始日不能晚于截止日",
        ));
    }
    if n.waste_codes.is_empty() || n.waste_codes.len() > MAX_PERMIT_SCOPES {
        return Err(Refusal::invalid(
            "bad_permit_scope",
            format!("a permit lists 1-{MAX_PERMIT_SCOPES} waste codes or categories"),
            format!("许可证应列出1-{MAX_PERMIT_SCOPES}个废物代码或类别"),
        ));
    }
    let scopes = n
        .waste_codes
        .iter()
        .map(|s| check_scope(s, catalogue))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let (capacities, collection_t_per_year) = match kind {
        PermitKind::Operating => (check_capacities(n)?, None),
        PermitKind::Collection => (Vec::new(), Some(check_collection(n)?)),
    };
    Ok(CheckedPermit {
        kind,
        number: number.to_owned(),
        valid_from: from.to_string(),
        valid_until: until.to_string(),
        scopes: scopes.into_iter().collect(),
        capacities,
        landfill_volume_m3: n.landfill_volume_m3,
        collection_t_per_year,
    })
}

/// Registers a permit: an operating licence for an enterprise with the facility role, a
/// collection licence for one with the collection-point role (`missing_enterprise_role`).
pub fn create_permit(conn: &Connection, holder: &Uscc, new: &NewPermit, catalogue: &Catalogue) -> StoreResult<Permit> {
    let p = check_permit(new, catalogue)?;
    enterprise_district(conn, holder)?;
    require_role(conn, holder, p.kind.holder_role())?;
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM permits WHERE number = ?1)",
        [&p.number],
        |r| r.get(0),
    )?;
    if exists {
        return Err(Refusal::conflict(
            "permit_exists",
            format!("permit {} is already registered", p.number),
            format!("许可证{}已登记", p.number),
        )
        .into());
    }
    conn.execute(
        "INSERT INTO permits(number, holder, valid_from, valid_until, landfill_volume_m3, created_at, kind,
                             collection_t_per_year)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            p.number,
            holder.as_str(),
            p.valid_from,
            p.valid_until,
            p.landfill_volume_m3,
            now_rfc3339(),
            p.kind.code(),
            p.collection_t_per_year
        ],
    )?;
    for s in &p.scopes {
        conn.execute(
            "INSERT INTO permit_scopes(permit, scope) VALUES (?1, ?2)",
            params![p.number, s],
        )?;
    }
    for (method, t, per) in &p.capacities {
        conn.execute(
            "INSERT INTO permit_capacities(permit, method, capacity_t, per) VALUES (?1, ?2, ?3, ?4)",
            params![p.number, method.code(), t, per.code()],
        )?;
    }
    let mut permits = list_permits(conn, holder)?;
    permits.retain(|x| x.number == p.number);
    permits
        .pop()
        .ok_or_else(|| crate::store::StoreError::Other("permit vanished".into()))
}

pub fn list_permits(conn: &Connection, holder: &Uscc) -> StoreResult<Vec<Permit>> {
    let mut stmt = conn.prepare_cached(
        "SELECT number, holder, valid_from, valid_until, landfill_volume_m3, created_at, kind, collection_t_per_year
         FROM permits WHERE holder = ?1 ORDER BY number",
    )?;
    let mut permits: Vec<Permit> = stmt
        .query_map([holder.as_str()], |r| {
            Ok(Permit {
                number: r.get(0)?,
                holder: r.get(1)?,
                kind: r.get(6)?,
                valid_from: r.get(2)?,
                valid_until: r.get(3)?,
                waste_codes: Vec::new(),
                capacities: Vec::new(),
                landfill_volume_m3: r.get(4)?,
                collection_t_per_year: r.get(7)?,
                created_at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut scopes = conn.prepare_cached("SELECT scope FROM permit_scopes WHERE permit = ?1 ORDER BY scope")?;
    let mut caps =
        conn.prepare_cached("SELECT method, capacity_t, per FROM permit_capacities WHERE permit = ?1 ORDER BY method")?;
    for p in &mut permits {
        p.waste_codes = scopes
            .query_map([&p.number], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        p.capacities = caps
            .query_map([&p.number], |r| {
                let (method, t, per): (String, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
                let per = if per == CapacityPer::Day.code() {
                    CapacityPer::Day
                } else {
                    CapacityPer::Year
                };
                Ok(Capacity::new(&method, t, per))
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(permits)
}

// ---------------------------------------------------------------- vehicles and drivers

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Vehicle {
    pub plate: String,
    pub holder: String,
    pub vehicle_type: String,
    /// Road transport operating certificate number (道路运输证号), printed on manifests; null
    /// when not registered.
    pub road_transport_cert: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVehicle {
    pub plate: String,
    pub vehicle_type: String,
    /// Road transport operating certificate number (道路运输证号), optional, at most 40
    /// characters.
    #[serde(default)]
    pub road_transport_cert: Option<String>,
}

/// Longest road transport operating certificate number, in characters.
pub const MAX_ROAD_TRANSPORT_CERT_CHARS: usize = 40;

pub fn create_vehicle(conn: &Connection, holder: &Uscc, new: &NewVehicle) -> StoreResult<Vehicle> {
    let plate = Plate::parse(&new.plate)?;
    let vtype = VehicleType::parse(&new.vehicle_type)?;
    let cert = text::optional(
        "road_transport_cert",
        new.road_transport_cert.as_deref(),
        MAX_ROAD_TRANSPORT_CERT_CHARS,
    )?;
    enterprise_district(conn, holder)?;
    require_role(conn, holder, EnterpriseRole::Transporter)?;
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM vehicles WHERE plate = ?1)",
        [plate.as_str()],
        |r| r.get(0),
    )?;
    if exists {
        return Err(Refusal::conflict(
            "vehicle_exists",
            format!("vehicle {} is already registered", plate.as_str()),
            format!("车辆{}已登记", plate.as_str()),
        )
        .into());
    }
    let created_at = now_rfc3339();
    conn.execute(
        "INSERT INTO vehicles(plate, holder, vehicle_type, road_transport_cert, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![plate.as_str(), holder.as_str(), vtype.code(), cert, created_at],
    )?;
    Ok(Vehicle {
        plate: plate.as_str().to_owned(),
        holder: holder.to_string(),
        vehicle_type: vtype.code().to_owned(),
        road_transport_cert: cert,
        created_at,
    })
}

pub fn list_vehicles(conn: &Connection, holder: &Uscc) -> StoreResult<Vec<Vehicle>> {
    let mut stmt = conn.prepare_cached(
        "SELECT plate, holder, vehicle_type, road_transport_cert, created_at FROM vehicles WHERE holder = ?1
         ORDER BY plate",
    )?;
    let rows = stmt
        .query_map([holder.as_str()], |r| {
            Ok(Vehicle {
                plate: r.get(0)?,
                holder: r.get(1)?,
                vehicle_type: r.get(2)?,
                road_transport_cert: r.get(3)?,
                created_at: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Driver {
    pub id: i64,
    pub holder: String,
    pub name: String,
    /// Dangerous-goods driver qualification certificate number.
    pub licence_no: String,
    pub phone: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDriver {
    pub name: String,
    pub licence_no: String,
    pub phone: String,
}

pub fn create_driver(conn: &Connection, holder: &Uscc, new: &NewDriver) -> StoreResult<Driver> {
    let name = text::required("name", &new.name, 50)?;
    let licence_no = text::required("licence_no", &new.licence_no, 40)?;
    let phone = text::phone("phone", &new.phone)?;
    enterprise_district(conn, holder)?;
    require_role(conn, holder, EnterpriseRole::Transporter)?;
    let exists: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM drivers WHERE licence_no = ?1)",
        [&licence_no],
        |r| r.get(0),
    )?;
    if exists {
        return Err(Refusal::conflict(
            "driver_exists",
            format!("a driver with licence {licence_no} is already registered"),
            format!("资格证号为{licence_no}的驾驶员已登记"),
        )
        .into());
    }
    let created_at = now_rfc3339();
    conn.execute(
        "INSERT INTO drivers(holder, name, licence_no, phone, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![holder.as_str(), name, licence_no, phone, created_at],
    )?;
    Ok(Driver {
        id: conn.last_insert_rowid(),
        holder: holder.to_string(),
        name,
        licence_no,
        phone,
        created_at,
    })
}

pub fn list_drivers(conn: &Connection, holder: &Uscc) -> StoreResult<Vec<Driver>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, holder, name, licence_no, phone, created_at FROM drivers WHERE holder = ?1 ORDER BY id",
    )?;
    let rows = stmt
        .query_map([holder.as_str()], |r| {
            Ok(Driver {
                id: r.get(0)?,
                holder: r.get(1)?,
                name: r.get(2)?,
                licence_no: r.get(3)?,
                phone: r.get(4)?,
                created_at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows)
}

// ---------------------------------------------------------------- device keys

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Device {
    /// The SPEC §2 key name `<USCC>/<device-name>`.
    pub name: String,
    pub owner: String,
    pub device: String,
    pub key_id: String,
    /// The verifier-key string `name+keyid+b64(0x01||key)`.
    pub vkey: String,
    pub registered_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    /// Device name: letters, digits, `.`, `_`, `-`.
    pub device: String,
    /// The device's Ed25519 public key, 32 bytes in standard base64.
    pub public_key: String,
}

fn device_row(r: &rusqlite::Row<'_>) -> StoreResult<Device> {
    let owner: String = r.get(0)?;
    let device: String = r.get(1)?;
    let pk: Vec<u8> = r.get(3)?;
    let name = format!("{owner}/{device}");
    let key = parse_public_key_b64(&BASE64.encode(&pk))
        .map_err(|e| crate::store::StoreError::Other(format!("stored key of {name}: {e}")))?;
    let vkey = VerifierKey::new(&name, key).map_err(|e| crate::store::StoreError::Other(e.to_string()))?;
    Ok(Device {
        name,
        owner,
        device,
        key_id: r.get(2)?,
        vkey: vkey.to_string(),
        registered_at: r.get(4)?,
        revoked_at: r.get(5)?,
    })
}

const DEVICE_COLUMNS: &str = "owner, device, key_id, public_key, registered_at, revoked_at";

/// A device name and its Ed25519 public key (standard base64), checked (`bad_device_name`,
/// `bad_public_key`).
pub fn parse_device_key(device: &str, public_key_b64: &str) -> Result<(DeviceName, VerifyingKey), Refusal> {
    let device = DeviceName::parse(device)?;
    let key = parse_public_key_b64(public_key_b64.trim()).map_err(|e| {
        Refusal::invalid(
            "bad_public_key",
            e.to_string(),
            "公钥应为32字节Ed25519公钥的标准base64编码",
        )
    })?;
    Ok((device, key))
}

/// The device's SPEC §2 verifier key `<owner>/<device>` (`bad_device_name` when the name
/// cannot be a key name).
pub fn device_vkey(owner: &Uscc, device: &DeviceName, key: VerifyingKey) -> Result<VerifierKey, Refusal> {
    VerifierKey::new(&device.key_name(owner), key)
        .map_err(|e| Refusal::invalid("bad_device_name", e.to_string(), "设备密钥名称不合法"))
}

/// Refuses a device key that could not be registered now: the device name of `owner` already
/// has a key in force (`device_exists`), or the public key is registered already
/// (`public_key_in_use`).
pub fn check_device_free(conn: &Connection, owner: &Uscc, vkey: &VerifierKey, device: &DeviceName) -> StoreResult<()> {
    let in_force: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM device_keys WHERE owner = ?1 AND device = ?2 AND revoked_at IS NULL)",
        params![owner.as_str(), device.as_str()],
        |r| r.get(0),
    )?;
    if in_force {
        return Err(Refusal::conflict(
            "device_exists",
            format!("device {} already has a key in force; revoke it first", vkey.name),
            format!("设备{}已有有效密钥，请先撤销", vkey.name),
        )
        .into());
    }
    let key_used: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM device_keys WHERE public_key = ?1)",
        [vkey.public_key.as_bytes().as_slice()],
        |r| r.get(0),
    )?;
    if key_used {
        return Err(Refusal::conflict(
            "public_key_in_use",
            "this public key is already registered; every device needs its own key",
            "该公钥已登记；每台设备须使用自己的密钥",
        )
        .into());
    }
    Ok(())
}

/// Registers a device key, as a `key` entry of the log approved by `approved_by`.
pub fn register_device(
    conn: &Connection,
    log: &Log,
    owner: &Uscc,
    new: &NewDevice,
    approved_by: &str,
) -> StoreResult<Device> {
    register_device_row(conn, log, owner, new, approved_by).map(|(_, d)| d)
}

/// As [`register_device`], answering also the `device_keys` row it made.
pub fn register_device_row(
    conn: &Connection,
    log: &Log,
    owner: &Uscc,
    new: &NewDevice,
    approved_by: &str,
) -> StoreResult<(i64, Device)> {
    let (device, key) = parse_device_key(&new.device, &new.public_key)?;
    enterprise_district(conn, owner)?;
    let vkey = device_vkey(owner, &device, key)?;
    check_device_free(conn, owner, &vkey, &device)?;
    let change = KeyChange {
        vkey: vkey.to_string(),
        role: "device",
        owner: Some(owner.as_str()),
        action: "register",
        approved_by,
        replaces: None,
    };
    let at = log_key_change(conn, log, &change)?;
    conn.execute(
        "INSERT INTO device_keys(owner, device, key_id, public_key, registered_at, log_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            owner.as_str(),
            device.as_str(),
            vkey.key_id.to_hex(),
            key.as_bytes().as_slice(),
            rfc3339(at.logged_at),
            at.seq as i64
        ],
    )?;
    let id = conn.last_insert_rowid();
    let mut stmt = conn.prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM device_keys WHERE id = ?1"))?;
    let mut rows = stmt.query([id])?;
    let device = device_row(
        rows.next()?
            .ok_or_else(|| crate::store::StoreError::Other("device vanished".into()))?,
    )?;
    Ok((id, device))
}

/// Revokes a device key in force, as a `key` entry of the log approved by `approved_by`.
pub fn revoke_device(
    conn: &Connection,
    log: &Log,
    owner: &Uscc,
    device: &str,
    approved_by: &str,
) -> StoreResult<Device> {
    let device = DeviceName::parse(device)?;
    let id: Option<i64> = conn
        .query_row(
            "SELECT id FROM device_keys WHERE owner = ?1 AND device = ?2 AND revoked_at IS NULL",
            params![owner.as_str(), device.as_str()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = id else {
        return Err(Refusal::not_found(
            "unknown_device",
            format!("device {} has no key in force", device.key_name(owner)),
            format!("设备{}没有有效密钥", device.key_name(owner)),
        )
        .into());
    };
    let current = list_devices(conn, owner)?
        .into_iter()
        .find(|d| d.device == device.as_str() && d.revoked_at.is_none())
        .ok_or_else(|| crate::store::StoreError::Other("device key vanished".into()))?;
    let change = KeyChange {
        vkey: current.vkey,
        role: "device",
        owner: Some(owner.as_str()),
        action: "revoke",
        approved_by,
        replaces: None,
    };
    let at = log_key_change(conn, log, &change)?;
    conn.execute(
        "UPDATE device_keys SET revoked_at = ?1, revoke_seq = ?2 WHERE id = ?3",
        params![rfc3339(at.logged_at), at.seq as i64, id],
    )?;
    let mut stmt = conn.prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM device_keys WHERE id = ?1"))?;
    let mut rows = stmt.query([id])?;
    device_row(
        rows.next()?
            .ok_or_else(|| crate::store::StoreError::Other("device vanished".into()))?,
    )
}

pub fn list_devices(conn: &Connection, owner: &Uscc) -> StoreResult<Vec<Device>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {DEVICE_COLUMNS} FROM device_keys WHERE owner = ?1 ORDER BY device, id"
    ))?;
    let mut rows = stmt.query([owner.as_str()])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(device_row(r)?);
    }
    Ok(out)
}

// ---------------------------------------------------------------- storage capacities

/// Most storage capacities one enterprise registers.
pub const MAX_STORAGE_PLACES: i64 = 50;
/// Largest storage capacity accepted, in grams (1,000,000 t).
pub const MAX_STORAGE_CAPACITY_G: i64 = 1_000_000_000_000;
/// Longest storage place name, in characters.
pub const MAX_STORAGE_PLACE_CHARS: usize = 64;

/// A registered storage capacity (设计贮存能力) of an enterprise's store.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StorageCapacity {
    /// The storage place it is for, exactly as items name it (`storage_place`), or null for the
    /// whole store.
    pub place: Option<String>,
    pub capacity_g: i64,
    /// User name of who set it, and when (RFC 3339 UTC).
    pub set_by: String,
    pub set_at: String,
}

/// A storage capacity to set (replacing the one of the same place).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewStorageCapacity {
    /// The storage place, as items name it; null or absent for the whole store.
    #[serde(default)]
    pub place: Option<String>,
    /// Grams, 1 to 10^12 (1,000,000 t).
    pub capacity_g: i64,
}

fn storage_place(place: Option<&str>) -> Result<String, Refusal> {
    Ok(text::optional("place", place, MAX_STORAGE_PLACE_CHARS)?.unwrap_or_default())
}

pub fn list_storage_capacities(conn: &Connection, uscc: &Uscc) -> StoreResult<Vec<StorageCapacity>> {
    let rows = conn
        .prepare_cached(
            "SELECT place, capacity_g, set_by, set_at FROM storage_capacities WHERE uscc = ?1 ORDER BY place",
        )?
        .query_map([uscc.as_str()], |r| {
            let place: String = r.get(0)?;
            Ok(StorageCapacity {
                place: (!place.is_empty()).then_some(place),
                capacity_g: r.get(1)?,
                set_by: r.get(2)?,
                set_at: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// Sets a storage capacity of `uscc` (`bad_capacity`, `too_many_storage_places`).
pub fn set_storage_capacity(
    conn: &Connection,
    uscc: &Uscc,
    new: &NewStorageCapacity,
    set_by: &str,
) -> StoreResult<Vec<StorageCapacity>> {
    let place = storage_place(new.place.as_deref())?;
    if !(1..=MAX_STORAGE_CAPACITY_G).contains(&new.capacity_g) {
        return Err(Refusal::invalid(
            "bad_capacity",
            format!("capacity_g must be a whole number of grams from 1 to {MAX_STORAGE_CAPACITY_G}"),
            format!("capacity_g应为1至{MAX_STORAGE_CAPACITY_G}的整数克"),
        )
        .into());
    }
    enterprise_district(conn, uscc)?;
    let (count, exists): (i64, bool) = conn
        .prepare_cached("SELECT count(*), coalesce(max(place = ?2), 0) FROM storage_capacities WHERE uscc = ?1")?
        .query_row(params![uscc.as_str(), place], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if !exists && count >= MAX_STORAGE_PLACES {
        return Err(Refusal::new(
            crate::domain::RefusalKind::Limit,
            "too_many_storage_places",
            format!("enterprise {uscc} has {count} storage capacities registered; at most {MAX_STORAGE_PLACES}"),
            format!("企业{uscc}已登记{count}个贮存能力，最多{MAX_STORAGE_PLACES}个"),
        )
        .into());
    }
    conn.prepare_cached(
        "INSERT INTO storage_capacities(uscc, place, capacity_g, set_by, set_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(uscc, place) DO UPDATE SET capacity_g = ?3, set_by = ?4, set_at = ?5",
    )?
    .execute(params![uscc.as_str(), place, new.capacity_g, set_by, now_rfc3339()])?;
    list_storage_capacities(conn, uscc)
}

/// Removes the storage capacity of `place` (null: the whole store's) of `uscc`
/// (`unknown_storage_capacity`).
pub fn remove_storage_capacity(
    conn: &Connection,
    uscc: &Uscc,
    place: Option<&str>,
) -> StoreResult<Vec<StorageCapacity>> {
    let place = storage_place(place)?;
    let n = conn
        .prepare_cached("DELETE FROM storage_capacities WHERE uscc = ?1 AND place = ?2")?
        .execute(params![uscc.as_str(), place])?;
    if n == 0 {
        return Err(Refusal::not_found(
            "unknown_storage_capacity",
            format!("enterprise {uscc} has no storage capacity registered for '{place}'"),
            format!("企业{uscc}未登记“{place}”的贮存能力"),
        )
        .into());
    }
    list_storage_capacities(conn, uscc)
}

/// The enterprise's Chinese name.
pub fn enterprise_name(conn: &Connection, uscc: &Uscc) -> StoreResult<String> {
    Ok(conn
        .prepare_cached("SELECT name_zh FROM enterprises WHERE uscc = ?1")?
        .query_row([uscc.as_str()], |r| r.get(0))?)
}
