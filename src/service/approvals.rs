//! The register of cross-province transfer approvals (危险废物转移管理办法 第二十一条–第二十七条).
//! The authority of the province the waste leaves approves a transfer from one 移出人 to one
//! 接受人 of listed waste codes up to a quantity, valid for twelve months, and the 移出人 may
//! then transfer under it many times (第二十七条). A manifest crossing a province boundary names
//! its approval; [`check_transfer`] is the rule applied when it is opened, and the masses booked
//! on the manifests naming an approval are what it has used.
//!
//! Who records and who sees: an administrator anything; a regulator records approvals whose
//! issuer is in the province of its district and sees those leaving or entering that province;
//! an enterprise sees the approvals naming it as issuer or receiver.

use std::collections::BTreeSet;

use chrono::{Datelike, Months, NaiveDate};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::access::{Caller, Scope};
use crate::domain::event::MAX_APPROVAL_CHARS;
use crate::domain::{text, Catalogue, Grams, ManifestNo, Refusal, RefusalKind, Uscc, WasteCode};
use crate::service::registry::{check_date, MAX_LIST_ROWS};
use crate::store::{StoreError, StoreResult};
use crate::time::now_rfc3339;

/// Longest approval number: what a manifest's `approval` field can hold, so that every
/// registered approval can be named on a manifest.
pub const MAX_APPROVAL_NUMBER_CHARS: usize = MAX_APPROVAL_CHARS;
/// Most waste codes one approval may list.
pub const MAX_APPROVAL_CODES: usize = 100;
/// Largest approved quantity: 1,000,000 t, beyond any one pair of enterprises in a year, so a
/// unit typo (t entered as g) is caught.
pub const MAX_APPROVAL_QUANTITY_G: i64 = 1_000_000_000_000;
/// How long an approval is valid at most (第二十七条: 有效期为十二个月).
pub const APPROVAL_VALIDITY_MONTHS: u32 = 12;

/// An approval to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApproval {
    /// The approval's number as issued, e.g. `川环危转〔2026〕001号` (free text).
    pub number: String,
    /// USCC of the 移出人, the enterprise the waste leaves.
    pub issuer: String,
    /// USCC of the 接受人, in another province.
    pub receiver: String,
    /// The approved waste codes `NNN-NNN-NN`, each in the active catalogue.
    pub waste_codes: Vec<String>,
    /// Approved quantity in grams, over all manifests naming the approval.
    pub quantity_g: i64,
    /// First day of validity, YYYY-MM-DD.
    pub valid_from: String,
    /// Last day of validity, YYYY-MM-DD; at most (and by default) twelve months from
    /// `valid_from` less a day. An approval may end earlier (第二十七条: not beyond the requested
    /// period or the receiver's permit).
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// A recorded approval and how much of it manifests have used.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Approval {
    pub number: String,
    pub issuer: String,
    pub receiver: String,
    /// Province codes of the issuer and the receiver when it was recorded.
    pub from_province: String,
    pub to_province: String,
    pub waste_codes: Vec<String>,
    pub quantity_g: i64,
    /// YYYY-MM-DD, both inclusive.
    pub valid_from: String,
    pub valid_until: String,
    /// User name of who recorded it.
    pub approved_by: String,
    pub created_at: String,
    /// Declared masses of the items on the manifests from its issuer to its receiver that name
    /// it and are not cancelled.
    pub used_g: i64,
    /// `quantity_g - used_g`, never below zero.
    pub remaining_g: i64,
}

/// The last day of an approval valid from `from` for [`APPROVAL_VALIDITY_MONTHS`]: the day
/// before the same day of the month that many months later, or, when that month is too short
/// for it (from 29 February), its last day.
pub fn validity_end(from: NaiveDate) -> NaiveDate {
    let Some(later) = from.checked_add_months(Months::new(APPROVAL_VALIDITY_MONTHS)) else {
        return NaiveDate::MAX;
    };
    if later.day() != from.day() {
        later
    } else {
        later.pred_opt().unwrap_or(later)
    }
}

/// A [`NewApproval`] checked, without the database.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Checked {
    number: String,
    issuer: Uscc,
    receiver: Uscc,
    codes: BTreeSet<WasteCode>,
    quantity_g: i64,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
}

fn check_number(number: &str) -> Result<String, Refusal> {
    text::required("number", number, MAX_APPROVAL_NUMBER_CHARS).map_err(|r| {
        Refusal::invalid(
            "bad_approval_number",
            format!(
                "{} (an approval number is 1-{MAX_APPROVAL_NUMBER_CHARS} characters)",
                r.message
            ),
            format!("{}（批准编号应为1-{MAX_APPROVAL_NUMBER_CHARS}个字符）", r.message_zh),
        )
    })
}

fn check_new(n: &NewApproval, catalogue: &Catalogue) -> Result<Checked, Refusal> {
    let number = check_number(&n.number)?;
    let issuer = Uscc::parse(&n.issuer).map_err(|r| r.in_field("issuer"))?;
    let receiver = Uscc::parse(&n.receiver).map_err(|r| r.in_field("receiver"))?;
    if n.waste_codes.is_empty() || n.waste_codes.len() > MAX_APPROVAL_CODES {
        return Err(Refusal::invalid(
            "bad_approval_scope",
            format!("an approval lists 1-{MAX_APPROVAL_CODES} waste codes"),
            format!("批准应列出1-{MAX_APPROVAL_CODES}个废物代码"),
        ));
    }
    let codes = n
        .waste_codes
        .iter()
        .map(|c| WasteCode::parse(c, catalogue).map_err(|r| r.in_field("waste_codes")))
        .collect::<Result<BTreeSet<_>, _>>()?;
    if n.quantity_g <= 0 || n.quantity_g > MAX_APPROVAL_QUANTITY_G {
        return Err(Refusal::invalid(
            "bad_quantity",
            format!(
                "quantity_g must be a whole number of grams from 1 to {MAX_APPROVAL_QUANTITY_G}, got {}",
                n.quantity_g
            ),
            format!(
                "批准数量quantity_g应为1至{MAX_APPROVAL_QUANTITY_G}之间的整数克数，实际为{}",
                n.quantity_g
            ),
        ));
    }
    let valid_from = check_date("valid_from", &n.valid_from)?;
    let longest = validity_end(valid_from);
    let valid_until = match n.valid_until.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => longest,
        Some(s) => check_date("valid_until", s)?,
    };
    if valid_until < valid_from || valid_until > longest {
        return Err(Refusal::invalid(
            "bad_approval_dates",
            format!(
                "valid_until must be from valid_from ({valid_from}) to {longest}: an approval is valid at most {APPROVAL_VALIDITY_MONTHS} months"
            ),
            format!("有效期截止日应在{valid_from}至{longest}之间：批准有效期最长{APPROVAL_VALIDITY_MONTHS}个月"),
        ));
    }
    Ok(Checked {
        number,
        issuer,
        receiver,
        codes,
        quantity_g: n.quantity_g,
        valid_from,
        valid_until,
    })
}

fn unknown_enterprise(uscc: &Uscc, field: &str) -> Refusal {
    Refusal::not_found(
        "unknown_enterprise",
        format!("no enterprise with unified social credit code {uscc} is registered"),
        format!("未登记统一社会信用代码为{uscc}的企业"),
    )
    .in_field(field)
}

/// The province of a registered enterprise: its registering authority's, characters 3–4 of
/// its USCC (whatever its supervising district); `None` if it is not registered.
fn province_of(conn: &Connection, uscc: &Uscc) -> StoreResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT coalesce(province, substr(uscc, 3, 2)) FROM enterprises WHERE uscc = ?1")?
        .query_row([uscc.as_str()], |r| r.get(0))
        .optional()?)
}

/// The province of the caller's district (regulators), `None` for everyone else.
fn caller_province(conn: &Connection, caller: &Caller) -> StoreResult<Option<String>> {
    let Some(district) = &caller.district else {
        return Ok(None);
    };
    Ok(conn
        .prepare_cached("SELECT province_code FROM districts WHERE code = ?1")?
        .query_row([district.as_str()], |r| r.get(0))
        .optional()?)
}

/// Records an approval, answering it as stored. Refused, changing nothing, when the input is
/// bad, a party is not registered, both parties are in one province, the caller may not record
/// approvals from the issuer's province, or the number is taken.
pub fn register(conn: &Connection, caller: &Caller, new: &NewApproval, catalogue: &Catalogue) -> StoreResult<Approval> {
    caller.may_record_approvals()?;
    let a = check_new(new, catalogue)?;
    let from = province_of(conn, &a.issuer)?.ok_or_else(|| unknown_enterprise(&a.issuer, "issuer"))?;
    let to = province_of(conn, &a.receiver)?.ok_or_else(|| unknown_enterprise(&a.receiver, "receiver"))?;
    caller.may_record_approval_from(&from, caller_province(conn, caller)?.as_deref())?;
    if from == to {
        return Err(Refusal::invalid(
            "approval_same_province",
            format!("issuer and receiver are both in province {from}: a transfer within a province needs no approval"),
            format!("移出人与接受人均位于省级行政区{from}：省内转移无需跨省转移批准"),
        )
        .into());
    }
    if load_record(conn, &a.number)?.is_some() {
        return Err(Refusal::conflict(
            "approval_exists",
            format!("approval {} is already recorded", a.number),
            format!("跨省转移批准{}已登记", a.number),
        )
        .into());
    }
    conn.execute(
        "INSERT INTO transfer_approvals(number, issuer, receiver, from_province, to_province, quantity_g, valid_from,
                                        valid_until, approved_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            a.number,
            a.issuer.as_str(),
            a.receiver.as_str(),
            from,
            to,
            a.quantity_g,
            a.valid_from.to_string(),
            a.valid_until.to_string(),
            caller.user_id,
            now_rfc3339()
        ],
    )?;
    let mut stmt = conn.prepare_cached("INSERT INTO transfer_approval_codes(approval, waste_code) VALUES (?1, ?2)")?;
    for code in &a.codes {
        stmt.execute(params![a.number, code.to_string()])?;
    }
    get(conn, caller, &a.number)
}

const APPROVAL_SELECT: &str = "
    SELECT a.number, a.issuer, a.receiver, a.from_province, a.to_province, a.quantity_g, a.valid_from,
           a.valid_until, coalesce(u.username, ''), a.created_at,
           coalesce((SELECT sum(i.mass_g) FROM manifests m
                     JOIN manifest_items mi ON mi.manifest = m.number
                     JOIN items i ON i.code = mi.item
                     WHERE m.approval = a.number AND m.state <> 'cancelled'
                       AND m.issuer = a.issuer AND m.receiver = a.receiver), 0)
    FROM transfer_approvals a LEFT JOIN users u ON u.id = a.approved_by";

fn approval_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Approval> {
    let quantity_g: i64 = r.get(5)?;
    let used_g: i64 = r.get(10)?;
    Ok(Approval {
        number: r.get(0)?,
        issuer: r.get(1)?,
        receiver: r.get(2)?,
        from_province: r.get(3)?,
        to_province: r.get(4)?,
        waste_codes: Vec::new(),
        quantity_g,
        valid_from: r.get(6)?,
        valid_until: r.get(7)?,
        approved_by: r.get(8)?,
        created_at: r.get(9)?,
        used_g,
        remaining_g: quantity_g.saturating_sub(used_g).max(0),
    })
}

fn with_codes(conn: &Connection, mut a: Approval) -> StoreResult<Approval> {
    a.waste_codes = conn
        .prepare_cached("SELECT waste_code FROM transfer_approval_codes WHERE approval = ?1 ORDER BY waste_code")?
        .query_map([&a.number], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(a)
}

/// What part of the register a caller sees, as SQL parameters: (everything, province, enterprise).
fn visibility(conn: &Connection, caller: &Caller) -> StoreResult<(bool, Option<String>, Option<String>)> {
    Ok(match caller.scope() {
        Scope::All => (true, None, None),
        Scope::District(_) => (false, caller_province(conn, caller)?, None),
        Scope::Enterprise(u) => (false, None, Some(u.as_str().to_owned())),
        Scope::Nothing => (false, None, None),
    })
}

const VISIBLE: &str = "(?1 OR a.from_province = ?2 OR a.to_province = ?2 OR a.issuer = ?3 OR a.receiver = ?3)";

/// The approvals the caller may see, latest validity first, at most [`MAX_LIST_ROWS`].
pub fn list(conn: &Connection, caller: &Caller) -> StoreResult<Vec<Approval>> {
    let (all, province, uscc) = visibility(conn, caller)?;
    let sql = format!("{APPROVAL_SELECT} WHERE {VISIBLE} ORDER BY a.valid_until DESC, a.number LIMIT {MAX_LIST_ROWS}");
    let rows = conn
        .prepare(&sql)?
        .query_map(params![all, province, uscc], approval_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|a| with_codes(conn, a)).collect()
}

/// The approvals from `issuer` to `receiver` valid on `day` that list every code of `codes`,
/// with what manifests have used of each: those a manifest of these codes could name.
pub fn covering(
    conn: &Connection,
    issuer: &Uscc,
    receiver: &Uscc,
    codes: &[WasteCode],
    day: NaiveDate,
) -> StoreResult<Vec<Approval>> {
    let day = day.to_string();
    let rows = conn
        .prepare_cached(&format!(
            "{APPROVAL_SELECT} WHERE a.issuer = ?1 AND a.receiver = ?2 AND a.valid_from <= ?3 AND a.valid_until >= ?3
             ORDER BY a.valid_until DESC, a.number"
        ))?
        .query_map(params![issuer.as_str(), receiver.as_str(), day], approval_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for a in rows {
        let a = with_codes(conn, a)?;
        if codes.iter().all(|c| a.waste_codes.contains(&c.to_string())) {
            out.push(a);
        }
    }
    Ok(out)
}

fn unknown_approval(number: &str, kind: RefusalKind) -> Refusal {
    Refusal::new(
        kind,
        "unknown_approval",
        format!("no cross-province transfer approval {number} is recorded"),
        format!("未登记跨省转移批准{number}"),
    )
}

/// One approval, if the caller may see it (`unknown_approval`, `not_your_approval`).
pub fn get(conn: &Connection, caller: &Caller, number: &str) -> StoreResult<Approval> {
    let number = number.trim();
    let found = conn
        .prepare_cached(&format!("{APPROVAL_SELECT} WHERE a.number = ?1"))?
        .query_row([number], approval_row)
        .optional()?
        .ok_or_else(|| unknown_approval(number, RefusalKind::NotFound))?;
    let (all, province, uscc) = visibility(conn, caller)?;
    let sees = all
        || province
            .as_deref()
            .is_some_and(|p| p == found.from_province || p == found.to_province)
        || uscc
            .as_deref()
            .is_some_and(|u| u == found.issuer || u == found.receiver);
    if !sees {
        return Err(Refusal::forbidden(
            "not_your_approval",
            format!("you may not see approval {number}"),
            format!("您无权查看跨省转移批准{number}"),
        )
        .into());
    }
    with_codes(conn, found)
}

/// An approval as the transfer rule needs it.
struct Record {
    issuer: String,
    receiver: String,
    quantity_g: i64,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
}

fn load_record(conn: &Connection, number: &str) -> StoreResult<Option<Record>> {
    let row: Option<(String, String, i64, String, String)> = conn
        .prepare_cached(
            "SELECT issuer, receiver, quantity_g, valid_from, valid_until FROM transfer_approvals WHERE number = ?1",
        )?
        .query_row([number], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((issuer, receiver, quantity_g, from, until)) = row else {
        return Ok(None);
    };
    let date = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map_err(|_| StoreError::Other(format!("transfer approval {number}: bad date {s}")))
    };
    Ok(Some(Record {
        issuer,
        receiver,
        quantity_g,
        valid_from: date(&from)?,
        valid_until: date(&until)?,
    }))
}

fn refuse(code: &'static str, en: String, zh: String) -> StoreError {
    Refusal::new(RefusalKind::Forbidden, code, en, zh).into()
}

/// The rule for opening a manifest from `issuer` to `receiver` carrying `items` (waste code and
/// declared mass) on `day` (CST), naming `approval`. Within one province it holds with or
/// without an approval. Across a province boundary the approval must be recorded
/// (`approval_required`, `unknown_approval`), name the same issuer and receiver
/// (`approval_parties`), be valid on `day` (`approval_expired`), list every item's waste code
/// (`approval_scope`), and the declared masses of the items already on manifests between its
/// parties naming it that are not cancelled, plus these items, must not exceed its quantity
/// (`approval_exceeded`).
/// Every refusal is `Forbidden`. Call it before the new manifest is recorded, so that its
/// items are not counted twice.
pub fn check_transfer(
    conn: &Connection,
    approval: Option<&str>,
    issuer: &Uscc,
    receiver: &Uscc,
    items: &[(WasteCode, Grams)],
    day: NaiveDate,
) -> StoreResult<()> {
    check_transfer_except(conn, approval, issuer, receiver, items, day, None)
}

/// [`check_transfer`] for a manifest already recorded (an amendment): the items currently on
/// `except` are not counted as used, since `items` replaces them.
pub fn check_transfer_except(
    conn: &Connection,
    approval: Option<&str>,
    issuer: &Uscc,
    receiver: &Uscc,
    items: &[(WasteCode, Grams)],
    day: NaiveDate,
    except: Option<&ManifestNo>,
) -> StoreResult<()> {
    let from = province_of(conn, issuer)?.ok_or_else(|| unknown_enterprise(issuer, "issuer"))?;
    let to = province_of(conn, receiver)?.ok_or_else(|| unknown_enterprise(receiver, "receiver"))?;
    if from == to {
        return Ok(());
    }
    let Some(number) = approval.map(str::trim).filter(|n| !n.is_empty()) else {
        return Err(refuse(
            "approval_required",
            format!("this transfer crosses from province {from} to province {to} and names no approval"),
            format!("该转移从省级行政区{from}跨省转入{to}，未填写跨省转移批准"),
        ));
    };
    let Some(a) = load_record(conn, number)? else {
        return Err(unknown_approval(number, RefusalKind::Forbidden).into());
    };
    if a.issuer != issuer.as_str() || a.receiver != receiver.as_str() {
        return Err(refuse(
            "approval_parties",
            format!(
                "approval {number} is for transfers from {} to {}, not from {issuer} to {receiver}",
                a.issuer, a.receiver
            ),
            format!(
                "跨省转移批准{number}批准的是{}向{}的转移，而非{issuer}向{receiver}",
                a.issuer, a.receiver
            ),
        ));
    }
    if day < a.valid_from || day > a.valid_until {
        return Err(refuse(
            "approval_expired",
            format!(
                "approval {number} is valid from {} to {}, not on {day}",
                a.valid_from, a.valid_until
            ),
            format!(
                "跨省转移批准{number}的有效期为{}至{}，{day}不在其内",
                a.valid_from, a.valid_until
            ),
        ));
    }
    uncovered(conn, number, items)?;
    let used_g: i64 = conn
        .prepare_cached(
            "SELECT coalesce(sum(i.mass_g), 0) FROM manifests m
             JOIN manifest_items mi ON mi.manifest = m.number
             JOIN items i ON i.code = mi.item
             WHERE m.approval = ?1 AND m.state <> 'cancelled' AND m.issuer = ?2 AND m.receiver = ?3
               AND (?4 IS NULL OR m.number <> ?4)",
        )?
        .query_row(
            params![number, a.issuer, a.receiver, except.map(ManifestNo::as_str)],
            |r| r.get(0),
        )?;
    let adding: u128 = items.iter().map(|(_, g)| u128::from(g.0)).sum();
    let used = u128::try_from(used_g.max(0)).unwrap_or(0);
    let quantity = u128::try_from(a.quantity_g.max(0)).unwrap_or(0);
    if used + adding > quantity {
        return Err(refuse(
            "approval_exceeded",
            format!(
                "approval {number} covers {quantity} g; {used} g are on earlier manifests and these items add {adding} g"
            ),
            format!("跨省转移批准{number}批准数量为{quantity}克；已转移{used}克，本次再加{adding}克将超出"),
        ));
    }
    Ok(())
}

/// Refuses with `approval_scope` when an item's waste code is not listed on the approval.
fn uncovered(conn: &Connection, number: &str, items: &[(WasteCode, Grams)]) -> StoreResult<()> {
    let listed: BTreeSet<String> = conn
        .prepare_cached("SELECT waste_code FROM transfer_approval_codes WHERE approval = ?1")?
        .query_map([number], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let missing: BTreeSet<String> = items
        .iter()
        .map(|(code, _)| code.to_string())
        .filter(|c| !listed.contains(c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let missing: Vec<String> = missing.into_iter().collect();
    Err(refuse(
        "approval_scope",
        format!("approval {number} does not cover waste code(s) {}", missing.join(", ")),
        format!("跨省转移批准{number}未包含废物代码{}", missing.join("、")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{District, UserRole};

    /// A generator in Guang'an (Sichuan, simulated) and the seeded Yunan facility in Wansheng.
    const SHOP: &str = "91511600MA6ABC001M";
    const YUNAN: &str = "91500110MA60YNXH0F";
    const OTHER: &str = "91500110MA5U8F4X2N";

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn catalogue(conn: &Connection) -> Catalogue {
        crate::store::reference::active_catalogue(conn).unwrap()
    }

    fn admin() -> Caller {
        Caller {
            user_id: 1,
            username: "admin".into(),
            role: UserRole::Admin,
            enterprise: None,
            district: None,
        }
    }

    fn user(role: UserRole, enterprise: Option<&str>, district: Option<&str>) -> Caller {
        Caller {
            user_id: 1,
            username: "u".into(),
            role,
            enterprise: enterprise.map(|e| Uscc::parse(e).unwrap()),
            district: district.map(|d| District::parse(d).unwrap()),
        }
    }

    /// A migrated, seeded database with a Sichuan district and a generator there.
    fn db() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrations().to_latest(&mut conn).unwrap();
        crate::store::reference::load_seeds(&conn).unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO districts VALUES ('guangan', '广安市', 'Guang''an', '51', '16');
             INSERT INTO users(id, username, display_name, password_hash, role, created_at)
                 VALUES (1, 'admin', 'admin', 'x', 'admin', '2026-01-01T00:00:00Z');
             INSERT INTO enterprises(uscc, name_zh, district, address, contact_name, contact_phone, created_at)
                 VALUES ('{SHOP}', '广安修理厂', 'guangan', '广安', '王', '0826-1234567', '2026-01-01T00:00:00Z'),
                        ('{OTHER}', '万盛修理厂', 'wansheng', '万盛', '李', '023-48000000', '2026-01-01T00:00:00Z');"
        ))
        .unwrap();
        conn
    }

    fn new(number: &str) -> NewApproval {
        NewApproval {
            number: number.into(),
            issuer: SHOP.into(),
            receiver: YUNAN.into(),
            waste_codes: vec!["900-214-08".into(), "900-249-08".into()],
            quantity_g: 1_000_000,
            valid_from: "2026-03-01".into(),
            valid_until: None,
        }
    }

    /// Books items of `masses` on a manifest `no` naming `approval`, in `state`. The rows point
    /// at log entries this test does not write, so foreign keys are off while they go in.
    fn booked(conn: &Connection, no: &str, approval: &str, state: &str, masses: &[i64]) {
        conn.pragma_update(None, "foreign_keys", "OFF").unwrap();
        conn.execute(
            "INSERT INTO manifests(number, issuer, transporters, vehicle_plate, driver_licence, receiver, planned_date,
                                   approval, state, created_seq)
             VALUES (?1, ?2, '[]', '渝D12345', 'x', ?3, '2026-03-02', ?4, ?5, 1)",
            params![no, SHOP, YUNAN, approval, state],
        )
        .unwrap();
        for (i, g) in masses.iter().enumerate() {
            let code = format!("{no}-{i}");
            conn.execute(
                "INSERT INTO items(code, generator, waste_code, waste_name, mass_g, form, hazard_bits, packaging,
                                   container_volume_l, components, harmful_components, precautions, storage_place,
                                   generated_at, label, state, holder, created_seq, last_seq)
                 VALUES (?1, ?2, '900-214-08', '废矿物油', ?3, 'liquid', 1, '桶', 200, '', '', '', 'A',
                         '2026-03-01T00:00:00Z', zeroblob(124), 'released', ?2, 1, 1)",
                params![code, SHOP, g],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO manifest_items(manifest, item, position) VALUES (?1, ?2, ?3)",
                params![no, code, i as i64],
            )
            .unwrap();
        }
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    }

    fn code(conn: &Connection, s: &str) -> WasteCode {
        WasteCode::parse(s, &catalogue(conn)).unwrap()
    }

    #[test]
    fn twelve_months_less_a_day() {
        assert_eq!(validity_end(date("2026-03-01")), date("2027-02-28"));
        assert_eq!(validity_end(date("2026-01-01")), date("2026-12-31"));
        assert_eq!(validity_end(date("2027-03-01")), date("2028-02-29"));
        assert_eq!(validity_end(date("2028-02-29")), date("2029-02-28"));
        assert_eq!(validity_end(date("2026-12-31")), date("2027-12-30"));
    }

    #[test]
    fn registration_checks_and_stores() {
        let conn = db();
        let a = register(&conn, &admin(), &new("川环危转〔2026〕001号"), &catalogue(&conn)).unwrap();
        assert_eq!(
            (a.from_province.as_str(), a.to_province.as_str(), a.valid_until.as_str()),
            ("51", "50", "2027-02-28")
        );
        assert_eq!(a.waste_codes, ["900-214-08", "900-249-08"]);
        assert_eq!(
            (a.used_g, a.remaining_g, a.approved_by.as_str()),
            (0, 1_000_000, "admin")
        );

        let cat = catalogue(&conn);
        let with = |f: &dyn Fn(&mut NewApproval)| {
            let mut n = new("川环危转〔2026〕002号");
            f(&mut n);
            register(&conn, &admin(), &n, &cat).unwrap_err()
        };
        let code = |e: StoreError| match e {
            StoreError::Refused(r) => r.code,
            other => panic!("{other}"),
        };
        assert_eq!(code(with(&|n| n.number = " ".into())), "bad_approval_number");
        assert_eq!(code(with(&|n| n.number = "号".repeat(51))), "bad_approval_number");
        assert_eq!(
            code(with(&|n| n.issuer = "91511600MA6ABC001X".into())),
            "bad_uscc_check"
        );
        assert_eq!(code(with(&|n| n.waste_codes.clear())), "bad_approval_scope");
        assert_eq!(
            code(with(&|n| n.waste_codes = vec!["900-249-09".into()])),
            "unknown_waste_code"
        );
        assert_eq!(code(with(&|n| n.quantity_g = 0)), "bad_quantity");
        assert_eq!(code(with(&|n| n.valid_from = "2026-02-30".into())), "bad_date");
        assert_eq!(
            code(with(&|n| n.valid_until = Some("2027-03-01".into()))),
            "bad_approval_dates"
        );
        assert_eq!(
            code(with(&|n| n.valid_until = Some("2026-02-28".into()))),
            "bad_approval_dates"
        );
        let unregistered = format!(
            "91500110MA6YYY999{}",
            crate::domain::uscc::check_char(b"91500110MA6YYY999")
        );
        assert_eq!(code(with(&|n| n.receiver = unregistered.clone())), "unknown_enterprise");
        assert_eq!(code(with(&|n| n.issuer = OTHER.into())), "approval_same_province");
        assert_eq!(
            code(register(&conn, &admin(), &new("川环危转〔2026〕001号"), &cat).unwrap_err()),
            "approval_exists"
        );
        // Nothing of the refused ones was stored.
        let n: i64 = conn
            .query_row("SELECT count(*) FROM transfer_approvals", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn check_transfer_applies_every_rule() {
        let conn = db();
        let cat = catalogue(&conn);
        let number = "川环危转〔2026〕001号";
        register(&conn, &admin(), &new(number), &cat).unwrap();
        let (shop, yunan, other) = (
            Uscc::parse(SHOP).unwrap(),
            Uscc::parse(YUNAN).unwrap(),
            Uscc::parse(OTHER).unwrap(),
        );
        let oil = code(&conn, "900-214-08");
        let day = date("2026-06-01");
        let check =
            |approval: Option<&str>, from: &Uscc, to: &Uscc, items: &[(WasteCode, Grams)], day| match check_transfer(
                &conn, approval, from, to, items, day,
            ) {
                Ok(()) => "ok",
                Err(StoreError::Refused(r)) => {
                    assert_eq!(r.kind, RefusalKind::Forbidden, "{r}");
                    r.code
                }
                Err(e) => panic!("{e}"),
            };
        let drum = [(oil, Grams(400_000))];
        // Within Chongqing no approval is needed, whatever is named.
        assert_eq!(check(None, &other, &yunan, &drum, day), "ok");
        assert_eq!(check(Some("nonsense"), &other, &yunan, &drum, day), "ok");
        // Across the boundary.
        assert_eq!(check(None, &shop, &yunan, &drum, day), "approval_required");
        assert_eq!(check(Some("  "), &shop, &yunan, &drum, day), "approval_required");
        assert_eq!(
            check(Some("川环危转〔2026〕999号"), &shop, &yunan, &drum, day),
            "unknown_approval"
        );
        assert_eq!(check(Some(number), &yunan, &shop, &drum, day), "approval_parties");
        assert_eq!(
            check(Some(number), &shop, &yunan, &drum, date("2026-02-28")),
            "approval_expired"
        );
        assert_eq!(
            check(Some(number), &shop, &yunan, &drum, date("2027-03-01")),
            "approval_expired"
        );
        assert_eq!(check(Some(number), &shop, &yunan, &drum, date("2027-02-28")), "ok");
        let acid = code(&conn, "900-300-34");
        assert_eq!(
            check(Some(number), &shop, &yunan, &[(oil, Grams(1)), (acid, Grams(1))], day),
            "approval_scope"
        );
        assert_eq!(
            check(Some(number), &shop, &yunan, &[(oil, Grams(1_000_000))], day),
            "ok"
        );
        assert_eq!(
            check(Some(number), &shop, &yunan, &[(oil, Grams(1_000_001))], day),
            "approval_exceeded"
        );

        // 700 kg already booked under the approval (a cancelled manifest does not count).
        booked(&conn, "20265116000001", number, "open", &[400_000, 300_000]);
        booked(&conn, "20265116000002", number, "cancelled", &[900_000]);
        booked(&conn, "20265116000003", "川环危转〔2026〕999号", "open", &[900_000]);
        booked(&conn, "20265001000004", number, "open", &[900_000]);
        conn.execute(
            "UPDATE manifests SET issuer = ?1 WHERE number = '20265001000004'",
            [OTHER],
        )
        .unwrap();
        assert_eq!(check(Some(number), &shop, &yunan, &[(oil, Grams(300_000))], day), "ok");
        assert_eq!(
            check(
                Some(number),
                &shop,
                &yunan,
                &[(oil, Grams(200_000)), (oil, Grams(100_001))],
                day
            ),
            "approval_exceeded"
        );
        let a = get(&conn, &admin(), number).unwrap();
        assert_eq!((a.used_g, a.remaining_g), (700_000, 300_000));
        // Amending the open manifest replaces its 700 kg: up to 1000 kg may be on it.
        let open = ManifestNo::parse("20265116000001").unwrap();
        let amended =
            |g| check_transfer_except(&conn, Some(number), &shop, &yunan, &[(oil, Grams(g))], day, Some(&open));
        assert!(amended(1_000_000).is_ok());
        assert!(amended(1_000_001).is_err());
    }

    #[test]
    fn who_records_and_who_sees() {
        let conn = db();
        let cat = catalogue(&conn);
        let number = "川环危转〔2026〕001号";
        let refused = |caller: &Caller| match register(&conn, caller, &new(number), &cat) {
            Err(StoreError::Refused(r)) => r.code,
            other => panic!("{other:?}"),
        };
        let chongqing_eeb = user(UserRole::Regulator, None, Some("wansheng"));
        assert_eq!(refused(&chongqing_eeb), "not_your_province");
        assert_eq!(
            refused(&user(UserRole::EnterpriseAdmin, Some(SHOP), None)),
            "approval_authority_only"
        );
        let sichuan_eeb = user(UserRole::Regulator, None, Some("guangan"));
        register(&conn, &sichuan_eeb, &new(number), &cat).unwrap();

        let sees = |caller: &Caller| list(&conn, caller).unwrap().len() == 1 && get(&conn, caller, number).is_ok();
        for caller in [
            &admin(),
            &sichuan_eeb,
            &chongqing_eeb,
            &user(UserRole::EnterpriseClerk, Some(SHOP), None),
            &user(UserRole::EnterpriseAdmin, Some(YUNAN), None),
        ] {
            assert!(sees(caller), "{caller:?}");
        }
        let outsider = user(UserRole::EnterpriseAdmin, Some(OTHER), None);
        assert!(list(&conn, &outsider).unwrap().is_empty());
        match get(&conn, &outsider, number) {
            Err(StoreError::Refused(r)) => assert_eq!(r.code, "not_your_approval"),
            other => panic!("{other:?}"),
        }
        match get(&conn, &admin(), "no such") {
            Err(StoreError::Refused(r)) => assert_eq!((r.code, r.kind), ("unknown_approval", RefusalKind::NotFound)),
            other => panic!("{other:?}"),
        }
    }
}
