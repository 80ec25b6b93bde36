//! Devices enrolled by the people who use them (issue 10). A signed-in user's browser makes an
//! Ed25519 key (WebCrypto, the private half never leaves it) and asks for its public half to
//! be enrolled as a device of the user's enterprise, or, for a regulator, of its district's
//! bureau. The enterprise's administrator (or an administrator) sees the request with its key
//! ID, compares it with the one on the requester's screen, and approves it, which registers
//! the key exactly as `POST /api/v1/enterprises/{uscc}/devices` does (a `key` entry in the
//! log), or rejects it. A request left undecided expires after [`ENROLMENT_TTL_HOURS`].
//!
//! Who may do what is decided by `domain::access` (`enrolment_owner`, `may_decide_enrolment`,
//! `may_see_enrolment`, `enrolment_scope`); this module checks the request against the
//! registry and keeps the `device_enrolments` rows.

use chrono::{DateTime, Duration, Utc};
use data_encoding::BASE64;
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::access::{Caller, EnrolmentOwner, EnrolmentScope};
use crate::domain::{text, District, Refusal, RefusalKind, Uscc};
use crate::log::Log;
use crate::service::registry::{self, NewDevice};
use crate::store::StoreResult;
use crate::time::rfc3339;

/// How long a request waits for a decision before it expires.
pub const ENROLMENT_TTL_HOURS: i64 = 24;
/// Most pending requests one user may have at a time.
pub const MAX_PENDING_PER_USER: i64 = 3;
/// Most requests one list answer carries (newest first).
pub const MAX_ENROLMENT_ROWS: u32 = 200;
/// Longest reason a rejection may give, in characters.
pub const MAX_REASON_CHARS: usize = 200;

/// A request to enrol a browser (or phone) as a device, as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Enrolment {
    pub id: i64,
    /// `pending`, `approved`, `rejected` or `expired`.
    pub state: String,
    /// USCC of the enterprise the device belongs to (a regulator's: its district's bureau).
    pub owner: String,
    pub owner_name: String,
    /// The device name the requester chose.
    pub device: String,
    /// The SPEC §2 key name `<USCC>/<device>`: the browser signs events with `actor` = the
    /// owner and `device` = this name.
    pub key_name: String,
    /// The key ID (8 hex digits) both screens show, to be compared before approving.
    pub key_id: String,
    /// The verifier-key string `name+keyid+b64(0x01||key)`.
    pub vkey: String,
    /// The public key as sent: 32 bytes, standard base64.
    pub public_key: String,
    /// User name and display name of who asked.
    pub requester: String,
    pub requester_name: String,
    /// RFC 3339 UTC.
    pub requested_at: String,
    /// A pending request expires at this time (RFC 3339 UTC).
    pub expires_at: String,
    pub decided_at: Option<String>,
    /// User name of who approved or rejected it.
    pub decided_by: Option<String>,
    /// A rejection's reason, if one was given.
    pub reason: Option<String>,
    /// Once approved: the log index of the `key` entry that registered the device key.
    pub key_seq: Option<i64>,
}

/// What a browser sends to be enrolled.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnrolment {
    /// Device name: 1–64 letters, digits, `.`, `_`, `-` (e.g. `clerk-pc-1`).
    pub device: String,
    /// The browser's Ed25519 public key, 32 bytes in standard base64 (WebCrypto `raw` export).
    pub public_key: String,
}

/// An approval or a rejection (a rejection may say why).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// Why the request is rejected (at most 200 characters); ignored on approval.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Filters of the request list.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EnrolmentFilter {
    /// `pending` (default), `approved`, `rejected`, `expired` or `all`.
    pub state: Option<String>,
    /// Only requests for devices of this enterprise (USCC).
    pub owner: Option<String>,
}

const STATES: [&str; 4] = ["pending", "approved", "rejected", "expired"];

/// The request's state as of `?1` (a pending request past its time is expired, whether or not
/// the writer has marked it yet), then the columns [`enrolment_row`] reads.
const SELECT: &str = "
    SELECT d.id, CASE WHEN d.state = 'pending' AND d.expires_at <= ?1 THEN 'expired' ELSE d.state END,
           d.owner, coalesce(e.name_zh, ''), d.device, d.key_id, d.public_key, u.username, u.display_name,
           d.requested_at, d.expires_at, d.decided_at, v.username, d.reason, k.log_seq, d.requester
    FROM device_enrolments d
    JOIN users u ON u.id = d.requester
    LEFT JOIN users v ON v.id = d.decided_by
    LEFT JOIN enterprises e ON e.uscc = d.owner
    LEFT JOIN device_keys k ON k.id = d.device_key";

/// A row of [`SELECT`] and the id of its requester.
fn enrolment_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(Enrolment, i64)> {
    let owner: String = r.get(2)?;
    let device: String = r.get(4)?;
    let public_key: Vec<u8> = r.get(6)?;
    let key_name = format!("{owner}/{device}");
    let vkey = crate::crypto::keys::parse_public_key_b64(&BASE64.encode(&public_key))
        .ok()
        .and_then(|k| crate::crypto::keys::VerifierKey::new(&key_name, k).ok())
        .map(|v| v.to_string())
        .unwrap_or_default();
    Ok((
        Enrolment {
            id: r.get(0)?,
            state: r.get(1)?,
            owner,
            owner_name: r.get(3)?,
            device,
            key_name,
            key_id: r.get(5)?,
            vkey,
            public_key: BASE64.encode(&public_key),
            requester: r.get(7)?,
            requester_name: r.get(8)?,
            requested_at: r.get(9)?,
            expires_at: r.get(10)?,
            decided_at: r.get(11)?,
            decided_by: r.get(12)?,
            reason: r.get(13)?,
            key_seq: r.get(14)?,
        },
        r.get(15)?,
    ))
}

fn load(conn: &Connection, id: i64, now: DateTime<Utc>) -> StoreResult<(Enrolment, i64)> {
    conn.prepare_cached(&format!("{SELECT} WHERE d.id = ?2"))?
        .query_row(params![rfc3339(now), id], enrolment_row)
        .optional()?
        .ok_or_else(|| unknown_enrolment(&id.to_string()).into())
}

/// The refusal for a request number that names no request (or is no number).
pub fn unknown_enrolment(id: &str) -> Refusal {
    Refusal::not_found(
        "unknown_enrolment",
        format!("there is no device enrolment request {id}"),
        format!("没有编号为{id}的设备登记申请"),
    )
}

/// Marks the pending requests whose time is up as expired (in the writer, before any
/// request is checked against the pending ones).
fn expire(conn: &Connection, now: DateTime<Utc>) -> StoreResult<()> {
    conn.prepare_cached("UPDATE device_enrolments SET state = 'expired' WHERE state = 'pending' AND expires_at <= ?1")?
        .execute([rfc3339(now)])?;
    Ok(())
}

/// The bureau of `district`: the one enterprise with the `regulator` role supervised there
/// (`no_bureau` when there is none, or several).
pub fn bureau_of(conn: &Connection, district: &District) -> StoreResult<Uscc> {
    let found = conn
        .prepare_cached(
            "SELECT e.uscc FROM enterprises e JOIN enterprise_roles r ON r.uscc = e.uscc AND r.role = 'regulator'
             WHERE e.district = ?1 ORDER BY e.uscc",
        )?
        .query_map([district.as_str()], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    match found.as_slice() {
        [one] => Ok(Uscc::parse(one)?),
        _ => Err(Refusal::not_found(
            "no_bureau",
            format!(
                "district {district} has {} enterprises with the regulator role, not one bureau a regulator's device could belong to; \
                 an administrator registers the bureau first",
                found.len()
            ),
            format!("辖区{district}登记的监管部门单位数为{}，无法确定设备所属的生态环境部门；请系统管理员先登记该部门", found.len()),
        )
        .into()),
    }
}

/// Records `caller`'s request to enrol the device `new` at `now` (a writer job). Refused for an
/// administrator (`no_device_owner`), a malformed name or key, a device name with a key in
/// force or a key already registered (`device_exists`, `public_key_in_use`), a name or key
/// already waiting (`enrolment_pending`), or a user with [`MAX_PENDING_PER_USER`] requests
/// waiting (`too_many_enrolments`).
pub fn request(conn: &Connection, caller: &Caller, new: &NewEnrolment, now: DateTime<Utc>) -> StoreResult<Enrolment> {
    let wanted = caller.enrolment_owner()?;
    let (device, key) = registry::parse_device_key(&new.device, &new.public_key)?;
    let owner = match wanted {
        EnrolmentOwner::Enterprise(u) => {
            registry::enterprise_district(conn, &u)?;
            u
        }
        EnrolmentOwner::Bureau(d) => bureau_of(conn, &d)?,
    };
    let vkey = registry::device_vkey(&owner, &device, key)?;
    registry::check_device_free(conn, &owner, &vkey, &device)?;
    expire(conn, now)?;
    let waiting: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM device_enrolments WHERE state = 'pending'
                           AND ((owner = ?1 AND device = ?2) OR public_key = ?3))",
        )?
        .query_row(
            params![owner.as_str(), device.as_str(), key.as_bytes().as_slice()],
            |r| r.get(0),
        )?;
    if waiting {
        return Err(Refusal::conflict(
            "enrolment_pending",
            format!(
                "a request to enrol device {} or this public key is already waiting for a decision",
                vkey.name
            ),
            format!("设备{}或该公钥已有待审批的登记申请", vkey.name),
        )
        .into());
    }
    let mine: i64 = conn
        .prepare_cached("SELECT count(*) FROM device_enrolments WHERE requester = ?1 AND state = 'pending'")?
        .query_row([caller.user_id], |r| r.get(0))?;
    if mine >= MAX_PENDING_PER_USER {
        return Err(Refusal::new(
            RefusalKind::Limit,
            "too_many_enrolments",
            format!(
                "you have {mine} device enrolment requests waiting; at most {MAX_PENDING_PER_USER} may wait at a time"
            ),
            format!("您已有{mine}个待审批的设备登记申请，最多{MAX_PENDING_PER_USER}个"),
        )
        .into());
    }
    conn.prepare_cached(
        "INSERT INTO device_enrolments(requester, owner, device, public_key, key_id, state, requested_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)",
    )?
    .execute(params![
        caller.user_id,
        owner.as_str(),
        device.as_str(),
        key.as_bytes().as_slice(),
        vkey.key_id.to_hex(),
        rfc3339(now),
        rfc3339(now + Duration::hours(ENROLMENT_TTL_HOURS))
    ])?;
    Ok(load(conn, conn.last_insert_rowid(), now)?.0)
}

/// One request, if `caller` may see it: its requester, or whoever may decide it.
pub fn get(conn: &Connection, caller: &Caller, id: i64, now: DateTime<Utc>) -> StoreResult<Enrolment> {
    let (e, requester) = load(conn, id, now)?;
    caller.may_see_enrolment(requester, &Uscc::parse(&e.owner)?)?;
    Ok(e)
}

/// The requests `caller` may list (its scope), newest first, filtered by state (pending by
/// default) and owner.
pub fn list(
    conn: &Connection,
    caller: &Caller,
    f: &EnrolmentFilter,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Enrolment>> {
    let state = f.state.as_deref().unwrap_or("pending");
    if state != "all" && !STATES.contains(&state) {
        return Err(Refusal::invalid(
            "bad_enrolment_state",
            format!("unknown enrolment state '{state}'; expected pending, approved, rejected, expired or all"),
            format!("未知的申请状态“{state}”，应为pending、approved、rejected、expired或all"),
        )
        .into());
    }
    let owner = f
        .owner
        .as_deref()
        .filter(|o| !o.is_empty())
        .map(Uscc::parse)
        .transpose()?;
    let (scope_owner, scope_requester) = match caller.enrolment_scope() {
        EnrolmentScope::All => (None, None),
        EnrolmentScope::Enterprise(u) => (Some(u.as_str().to_owned()), None),
        EnrolmentScope::Requester(id) => (None, Some(id)),
    };
    let rows = conn
        .prepare_cached(&format!(
            "{SELECT} WHERE (?2 = 'all' OR ?2 = CASE WHEN d.state = 'pending' AND d.expires_at <= ?1 THEN 'expired' ELSE d.state END)
               AND (?3 IS NULL OR d.owner = ?3) AND (?4 IS NULL OR d.owner = ?4) AND (?5 IS NULL OR d.requester = ?5)
             ORDER BY d.id DESC LIMIT {MAX_ENROLMENT_ROWS}"
        ))?
        .query_map(
            params![
                rfc3339(now),
                state,
                scope_owner,
                owner.as_ref().map(Uscc::as_str),
                scope_requester
            ],
            enrolment_row,
        )?
        .map(|r| r.map(|(e, _)| e))
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The request `id` as a decision needs it: it exists, `caller` may decide it, and it is still
/// pending (`enrolment_expired`, `enrolment_decided`).
fn decidable(conn: &Connection, caller: &Caller, id: i64, now: DateTime<Utc>) -> StoreResult<(Enrolment, Uscc)> {
    expire(conn, now)?;
    let (e, _) = load(conn, id, now)?;
    let owner = Uscc::parse(&e.owner)?;
    caller.may_decide_enrolment(&owner)?;
    match e.state.as_str() {
        "pending" => Ok((e, owner)),
        "expired" => Err(Refusal::conflict(
            "enrolment_expired",
            format!(
                "request {id} expired at {} without a decision; the browser asks again",
                e.expires_at
            ),
            format!("申请{id}已于{}过期未审批，请在浏览器上重新申请", e.expires_at),
        )
        .into()),
        other => Err(Refusal::conflict(
            "enrolment_decided",
            format!("request {id} is already {other}"),
            format!("申请{id}已{}", if other == "approved" { "批准" } else { "驳回" }),
        )
        .into()),
    }
}

/// Approves request `id` (a writer job): registers its key as a device of its owner through
/// the log, approved by `caller`, exactly as a direct registration does.
pub fn approve(conn: &Connection, log: &Log, caller: &Caller, id: i64, now: DateTime<Utc>) -> StoreResult<Enrolment> {
    let (e, owner) = decidable(conn, caller, id, now)?;
    let new = NewDevice {
        device: e.device.clone(),
        public_key: e.public_key.clone(),
    };
    let (device_key, _) = registry::register_device_row(conn, log, &owner, &new, &caller.username)?;
    conn.prepare_cached(
        "UPDATE device_enrolments SET state = 'approved', decided_at = ?2, decided_by = ?3, device_key = ?4 WHERE id = ?1",
    )?
    .execute(params![id, rfc3339(now), caller.user_id, device_key])?;
    Ok(load(conn, id, now)?.0)
}

/// Rejects request `id` (a writer job), with an optional reason.
pub fn reject(
    conn: &Connection,
    caller: &Caller,
    id: i64,
    decision: &Decision,
    now: DateTime<Utc>,
) -> StoreResult<Enrolment> {
    let reason = text::optional("reason", decision.reason.as_deref(), MAX_REASON_CHARS)?;
    decidable(conn, caller, id, now)?;
    conn.prepare_cached(
        "UPDATE device_enrolments SET state = 'rejected', decided_at = ?2, decided_by = ?3, reason = ?4 WHERE id = ?1",
    )?
    .execute(params![id, rfc3339(now), caller.user_id, reason])?;
    Ok(load(conn, id, now)?.0)
}
