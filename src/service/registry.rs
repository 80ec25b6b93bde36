//! The registry: enterprises and their roles, facility permits, vehicles, drivers and device
//! public keys. Inputs are checked into domain types here, at the edge of storage; the SQL
//! below only ever sees checked values.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use data_encoding::BASE64;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::crypto::keys::{parse_public_key_b64, VerifierKey};
use crate::domain::access::Scope;
use crate::domain::{
    text, Catalogue, Category, DeviceName, District, EnterpriseRole, Plate, Refusal, TreatmentMethod, Uscc,
    VehicleType, WasteCode,
};
use crate::log::keyring::{log_key_change, KeyChange};
use crate::log::Log;
use crate::store::StoreResult;
use crate::time::{now_rfc3339, rfc3339};

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
    pub district: String,
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
    pub district: String,
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
    district: District,
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
        district: District::parse(&n.district)?,
        address: text::required("address", &n.address, 200)?,
        contact_name: text::required("contact_name", &n.contact_name, 50)?,
        contact_phone: text::phone("contact_phone", &n.contact_phone)?,
        synthetic: n.synthetic,
    })
}

pub fn create_enterprise(conn: &Connection, new: &NewEnterprise) -> StoreResult<Enterprise> {
    let e = check_enterprise(new)?;
    check_district(conn, &e.district)?;
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
    conn.execute(
        "INSERT INTO enterprises(uscc, name_zh, name_en, district, address, contact_name, contact_phone, synthetic, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            e.uscc.as_str(),
            e.name_zh,
            e.name_en,
            e.district.as_str(),
            e.address,
            e.contact_name,
            e.contact_phone,
            e.synthetic,
            now_rfc3339()
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

const ENTERPRISE_COLUMNS: &str =
    "uscc, name_zh, name_en, district, address, contact_name, contact_phone, synthetic, created_at";

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
    })
}

pub fn get_enterprise(conn: &Connection, uscc: &Uscc) -> StoreResult<Enterprise> {
    let mut stmt = conn.prepare_cached(&format!("SELECT {ENTERPRISE_COLUMNS} FROM enterprises WHERE uscc = ?1"))?;
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
        "SELECT {ENTERPRISE_COLUMNS} FROM enterprises e
         WHERE (?1 IS NULL OR district = ?1) AND (?2 IS NULL OR uscc = ?2)
           AND (?3 IS NULL OR district = ?3)
           AND (?4 IS NULL OR EXISTS(SELECT 1 FROM enterprise_roles r WHERE r.uscc = e.uscc AND r.role = ?4))
           AND (?5 IS NULL OR instr(name_zh, ?5) > 0 OR instr(lower(coalesce(name_en, '')), lower(?5)) > 0
                OR uscc LIKE upper(?5) || '%')
         ORDER BY uscc LIMIT {MAX_LIST_ROWS}"
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

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Capacity {
    /// Treatment method code, see `GET /api/v1/reference`.
    pub method: String,
    pub capacity_t_per_year: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Permit {
    pub number: String,
    pub holder: String,
    pub valid_from: String,
    pub valid_until: String,
    /// Licensed waste codes (`NNN-NNN-NN`) or whole categories (`HWnn`).
    pub waste_codes: Vec<String>,
    pub capacities: Vec<Capacity>,
    pub landfill_volume_m3: Option<i64>,
    pub created_at: String,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPermit {
    pub number: String,
    pub valid_from: String,
    pub valid_until: String,
    pub waste_codes: Vec<String>,
    pub capacities: Vec<Capacity>,
    #[serde(default)]
    pub landfill_volume_m3: Option<i64>,
}

/// Most scope entries one permit may list.
pub const MAX_PERMIT_SCOPES: usize = 600;

/// A date `YYYY-MM-DD` of an input field, or `bad_date` naming the field.
pub(crate) fn check_date(field: &str, s: &str) -> Result<NaiveDate, Refusal> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Refusal::invalid(
            "bad_date",
            format!("{field} '{s}' must be a date YYYY-MM-DD"),
            format!("{field}“{s}”应为日期YYYY-MM-DD"),
        )
    })
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

fn check_permit(n: &NewPermit, catalogue: &Catalogue) -> Result<NewPermit, Refusal> {
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
    let mut methods = BTreeSet::new();
    for c in &n.capacities {
        let m = TreatmentMethod::parse(&c.method)?;
        if !methods.insert(m) {
            return Err(Refusal::invalid(
                "duplicate_method",
                format!("method {m} is listed twice"),
                format!("处置方式{m}重复"),
            ));
        }
        if c.capacity_t_per_year <= 0 {
            return Err(Refusal::invalid(
                "bad_capacity",
                "capacity_t_per_year must be a positive whole number of tonnes",
                "capacity_t_per_year应为正整数（吨/年）",
            ));
        }
    }
    if n.capacities.is_empty() && n.landfill_volume_m3.is_none() {
        return Err(Refusal::invalid(
            "bad_capacity",
            "a permit needs at least one treatment capacity or a landfill volume",
            "许可证至少应有一种处置能力或填埋库容",
        ));
    }
    if n.landfill_volume_m3.is_some_and(|v| v <= 0) {
        return Err(Refusal::invalid(
            "bad_capacity",
            "landfill_volume_m3 must be positive",
            "landfill_volume_m3应为正数",
        ));
    }
    Ok(NewPermit {
        number: number.to_owned(),
        valid_from: from.to_string(),
        valid_until: until.to_string(),
        waste_codes: scopes.into_iter().collect(),
        capacities: n.capacities.clone(),
        landfill_volume_m3: n.landfill_volume_m3,
    })
}

pub fn create_permit(conn: &Connection, holder: &Uscc, new: &NewPermit, catalogue: &Catalogue) -> StoreResult<Permit> {
    let p = check_permit(new, catalogue)?;
    enterprise_district(conn, holder)?;
    require_role(conn, holder, EnterpriseRole::Facility)?;
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
        "INSERT INTO permits(number, holder, valid_from, valid_until, landfill_volume_m3, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![p.number, holder.as_str(), p.valid_from, p.valid_until, p.landfill_volume_m3, now_rfc3339()],
    )?;
    for s in &p.waste_codes {
        conn.execute(
            "INSERT INTO permit_scopes(permit, scope) VALUES (?1, ?2)",
            params![p.number, s],
        )?;
    }
    for c in &p.capacities {
        conn.execute(
            "INSERT INTO permit_capacities(permit, method, capacity_t_per_year) VALUES (?1, ?2, ?3)",
            params![p.number, c.method, c.capacity_t_per_year],
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
        "SELECT number, holder, valid_from, valid_until, landfill_volume_m3, created_at FROM permits WHERE holder = ?1 ORDER BY number",
    )?;
    let mut permits: Vec<Permit> = stmt
        .query_map([holder.as_str()], |r| {
            Ok(Permit {
                number: r.get(0)?,
                holder: r.get(1)?,
                valid_from: r.get(2)?,
                valid_until: r.get(3)?,
                waste_codes: Vec::new(),
                capacities: Vec::new(),
                landfill_volume_m3: r.get(4)?,
                created_at: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut scopes = conn.prepare_cached("SELECT scope FROM permit_scopes WHERE permit = ?1 ORDER BY scope")?;
    let mut caps = conn.prepare_cached(
        "SELECT method, capacity_t_per_year FROM permit_capacities WHERE permit = ?1 ORDER BY method",
    )?;
    for p in &mut permits {
        p.waste_codes = scopes
            .query_map([&p.number], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        p.capacities = caps
            .query_map([&p.number], |r| {
                Ok(Capacity {
                    method: r.get(0)?,
                    capacity_t_per_year: r.get(1)?,
                })
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

/// Registers a device key, as a `key` entry of the log approved by `approved_by`.
pub fn register_device(
    conn: &Connection,
    log: &Log,
    owner: &Uscc,
    new: &NewDevice,
    approved_by: &str,
) -> StoreResult<Device> {
    let device = DeviceName::parse(&new.device)?;
    let key = parse_public_key_b64(new.public_key.trim()).map_err(|e| {
        Refusal::invalid(
            "bad_public_key",
            e.to_string(),
            "公钥应为32字节Ed25519公钥的标准base64编码",
        )
    })?;
    enterprise_district(conn, owner)?;
    let vkey = VerifierKey::new(&device.key_name(owner), key)
        .map_err(|e| Refusal::invalid("bad_device_name", e.to_string(), "设备密钥名称不合法"))?;
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
        [key.as_bytes().as_slice()],
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
    device_row(
        rows.next()?
            .ok_or_else(|| crate::store::StoreError::Other("device vanished".into()))?,
    )
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
