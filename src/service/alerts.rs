//! Alerts (PRODUCT.md "Alerts"): each a rule, a subject, the time its condition began and a
//! state (open, acknowledged, resolved by a later event or by time). They are kept up to date
//! incrementally: the writer job that applies an entry re-evaluates the items it changed, both
//! as they were before it and as they are after (so a curing event resolves an alert in the
//! same transaction, naming its entry, and a time limit broken by an item that the entry
//! closes late is an alert opened and resolved by that entry even if no sweep saw it), and a
//! periodic sweep looks, through indexes on the projections, for conditions that time alone
//! brings about (a store turning a year old, a 48-hour limit passing). Nothing rescans the log.
//!
//! Which conditions hold for an item is a pure function of its state and a few facts
//! ([`item_conditions`]); the rest of this module stores and lists alerts.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::domain::access::Scope;
use crate::domain::calendar::WorkCalendar;
use crate::domain::custody::{ItemState, StateKind};
use crate::domain::{code_enum, ItemCode, Refusal};
use crate::service::alert_words::{self, Situation};
use crate::service::reconcile::day_start;
use crate::store::projection;
use crate::store::StoreResult;
use crate::time::{cst_date, rfc3339};

/// Waste at rest with one holder longer than this raises `storage_over_year` (the limit the
/// inventory warns against too, `domain::storage`).
pub const MAX_STORAGE_DAYS: i64 = crate::domain::storage::MAX_STORAGE_DAYS;
/// Medical waste must be disposed of within this many hours of generation.
pub const MEDICAL_HOURS: i64 = crate::domain::storage::MEDICAL_HOURS;
/// Default limit for an item released or on the road.
pub const DEFAULT_TRANSIT_HOURS: i64 = 72;
/// Treatment beyond the licensed annual capacity by more than this (‰) needs a re-application.
pub const REAPPLY_OVER_PERMILLE: u64 = 200;
/// Working days a receiver has to confirm receipt (转移管理办法 art. 20).
pub const RECEIPT_WORKING_DAYS: u32 = 5;

code_enum!(
    /// The alert rules.
    Rule, "bad_alert_rule", "alert rule", "预警规则", {
        StorageOverYear = "storage_over_year", "贮存超过一年", "stored for over a year";
        MedicalOver48h = "medical_over_48h", "医疗废物超过48小时未处置", "medical waste not disposed of within 48 hours";
        TransitTooLong = "transit_too_long", "转移运输超时", "in transit longer than the limit";
        ReceiptOverdue = "receipt_overdue", "超过5个工作日未确认接收", "receipt not confirmed within 5 working days";
        WeightDiscrepancy = "weight_discrepancy", "重量差异", "weight discrepancy";
        PermitScope = "permit_scope", "超出许可范围", "outside the permit's scope";
        CapacityExceeded = "capacity_exceeded", "超过许可处置能力", "licensed capacity exceeded";
        PermitExpired = "permit_expired", "许可证过期", "permit expired";
        KeyRevokedUse = "key_revoked_use", "使用已吊销的密钥", "a revoked key was used";
        LogIntegrity = "log_integrity", "日志完整性校验失败", "log integrity check failed";
    }
);

/// The rules evaluated per item.
pub const ITEM_RULES: [Rule; 5] = [
    Rule::StorageOverYear,
    Rule::MedicalOver48h,
    Rule::TransitTooLong,
    Rule::ReceiptOverdue,
    Rule::WeightDiscrepancy,
];

/// The item rules that time alone brings about: the sweep looks for them, and an entry that
/// ends one late records it.
pub const TIME_RULES: [Rule; 4] = [
    Rule::StorageOverYear,
    Rule::MedicalOver48h,
    Rule::TransitTooLong,
    Rule::ReceiptOverdue,
];

/// What the item rules need beyond the item's state.
#[derive(Debug, Clone)]
pub struct ItemFacts {
    /// When the log created the item.
    pub created_at: DateTime<Utc>,
    /// HW01 waste.
    pub medical: bool,
    /// Whether the holder is a licensed operator (facility or collection point), for whom the
    /// one-year limit is the law's (Solid Waste Law art. 81).
    pub holder_licensed: bool,
    /// For an arrived item: the last day to confirm receipt.
    pub receipt_due: Option<NaiveDate>,
    pub transit_limit: Duration,
}

/// The item rules whose condition holds at `now`, each with the time it began and its facts.
/// A time limit holds once it is passed ("longer than 48 hours", "past a year"): at the very
/// limit it does not yet; a receipt is overdue from the first instant after its due day.
pub fn item_conditions(s: &ItemState, f: &ItemFacts, now: DateTime<Utc>) -> Vec<(Rule, DateTime<Utc>, Value)> {
    let mut out = Vec::new();
    let kind = s.kind();
    // At rest with any holder: a generator's store, a collection point, a facility.
    let stored_limit = s.state_since + Duration::days(MAX_STORAGE_DAYS);
    if matches!(kind, StateKind::Stored | StateKind::Received) && now > stored_limit {
        out.push((
            Rule::StorageOverYear,
            stored_limit,
            json!({"holder": s.holder, "since": rfc3339(s.state_since), "licensed_holder": f.holder_licensed}),
        ));
    }
    let medical_limit = f.created_at + Duration::hours(MEDICAL_HOURS);
    if f.medical && !s.is_closed() && now > medical_limit {
        out.push((
            Rule::MedicalOver48h,
            medical_limit,
            json!({"holder": s.holder, "generated": rfc3339(f.created_at)}),
        ));
    }
    let transit_limit = s.state_since + f.transit_limit;
    if matches!(kind, StateKind::Released | StateKind::InTransit) && now > transit_limit {
        out.push((
            Rule::TransitTooLong,
            transit_limit,
            json!({"holder": s.holder, "since": rfc3339(s.state_since), "manifest": s.manifest.as_ref().map(ToString::to_string)}),
        ));
    }
    if let (StateKind::Arrived, Some(due)) = (kind, f.receipt_due) {
        let overdue_from = day_start(due + Duration::days(1));
        if now >= overdue_from {
            out.push((
                Rule::ReceiptOverdue,
                overdue_from,
                json!({"receiver_due": due, "manifest": s.manifest.as_ref().map(ToString::to_string)}),
            ));
        }
    }
    if let Some(d) = s.discrepancy.filter(|d| !d.answered) {
        out.push((
            Rule::WeightDiscrepancy,
            s.state_since.min(now),
            json!({"expected_g": d.expected.0, "weighed_g": d.weighed.0, "generator": s.generator}),
        ));
    }
    out
}

/// Opens an occurrence of `rule` for `subject` unless one is unresolved already.
#[allow(clippy::too_many_arguments)]
pub fn open(
    conn: &Connection,
    rule: Rule,
    subject: &str,
    district: Option<&str>,
    started_at: DateTime<Utc>,
    seq: Option<u64>,
    detail: &Value,
) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO alerts(rule, subject, district, started_at, started_seq, state, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, 'open', ?6)",
    )?
    .execute(params![
        rule.code(),
        subject,
        district,
        rfc3339(started_at),
        seq.map(|s| s as i64),
        detail.to_string()
    ])?;
    Ok(())
}

/// Resolves the unresolved occurrence of `rule` for `subject`, if any, at `at` (by entry `seq`).
pub fn resolve(conn: &Connection, rule: Rule, subject: &str, at: DateTime<Utc>, seq: Option<u64>) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE alerts SET state = 'resolved', resolved_at = ?3, resolved_seq = ?4
         WHERE rule = ?1 AND subject = ?2 AND state != 'resolved'",
    )?
    .execute(params![rule.code(), subject, rfc3339(at), seq.map(|s| s as i64)])?;
    Ok(())
}

/// When the item was generated: the time its generator signed in the `generate` event (or the
/// consolidation, split or refusal that made it), not when that event reached the log, so a
/// bag registered late by an offline phone does not gain time (the item's own state when the
/// projection has no row).
fn created_at(conn: &Connection, s: &ItemState) -> StoreResult<DateTime<Utc>> {
    let created_at: Option<String> = conn
        .prepare_cached("SELECT generated_at FROM items WHERE code = ?1")?
        .query_row([s.code.as_str()], |r| r.get(0))
        .optional()?;
    Ok(created_at
        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map_or(s.state_since, |t| t.with_timezone(&Utc)))
}

/// The facts of an item from the projection and registry.
fn facts(
    conn: &Connection,
    s: &ItemState,
    created_at: DateTime<Utc>,
    calendar: &WorkCalendar,
    transit: Duration,
) -> StoreResult<ItemFacts> {
    let holder_licensed: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM enterprise_roles WHERE uscc = ?1 AND role IN ('facility', 'collection_point'))",
        )?
        .query_row([s.holder.as_str()], |r| r.get(0))?;
    let receipt_due = (s.kind() == StateKind::Arrived)
        .then(|| calendar.add_working_days(cst_date(s.state_since), RECEIPT_WORKING_DAYS));
    Ok(ItemFacts {
        created_at,
        medical: s.waste_code.category().to_string() == "HW01",
        holder_licensed,
        receipt_due,
        transit_limit: transit,
    })
}

/// The district whose regulators see an item's alerts: its generator's.
fn district_of(conn: &Connection, uscc: &str) -> StoreResult<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT district FROM enterprises WHERE uscc = ?1")?
        .query_row([uscc], |r| r.get(0))
        .optional()?)
}

/// Re-evaluates the item rules for one item at `now` (the entry's logged time when an entry
/// changed it, naming that entry as `seq`): opens what holds, resolves what no longer does.
/// `before` is the item as it was before that entry (`None` for a new item, and for the
/// sweep): a time limit it had already broken, which the entry ends and no alert records yet
/// (an item closed before any sweep saw it late), is opened at the limit and resolved by the
/// entry, so a late close is never missed.
pub fn sync_item(
    conn: &Connection,
    before: Option<&ItemState>,
    s: &ItemState,
    calendar: &WorkCalendar,
    transit: Duration,
    now: DateTime<Utc>,
    seq: Option<u64>,
) -> StoreResult<()> {
    let created = created_at(conn, s)?;
    let f = facts(conn, s, created, calendar, transit)?;
    let holds = item_conditions(s, &f, now);
    let ended: Vec<(Rule, DateTime<Utc>, Value)> = match before {
        Some(b) => item_conditions(b, &facts(conn, b, created, calendar, transit)?, now)
            .into_iter()
            .filter(|(rule, _, _)| TIME_RULES.contains(rule) && !holds.iter().any(|(r, _, _)| r == rule))
            .collect(),
        None => Vec::new(),
    };
    let unresolved = conn
        .prepare_cached("SELECT rule FROM alerts WHERE subject = ?1 AND state != 'resolved'")?
        .query_map([s.code.as_str()], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let is_unresolved = |rule: Rule| unresolved.iter().any(|u| u == rule.code());
    if !holds.is_empty() || !ended.is_empty() {
        let district = district_of(conn, s.generator.as_str())?;
        for (rule, started, detail) in &holds {
            if !is_unresolved(*rule) {
                open(conn, *rule, s.code.as_str(), district.as_deref(), *started, seq, detail)?;
            }
        }
        for (rule, started, detail) in ended.iter().filter(|(rule, _, _)| !is_unresolved(*rule)) {
            open(conn, *rule, s.code.as_str(), district.as_deref(), *started, seq, detail)?;
            resolve(conn, *rule, s.code.as_str(), now, seq)?;
        }
    }
    for rule in ITEM_RULES {
        if is_unresolved(rule) && !holds.iter().any(|(r, _, _)| *r == rule) {
            resolve(conn, rule, s.code.as_str(), now, seq)?;
        }
    }
    Ok(())
}

/// After a `treat` of `treated_g` by `facility` with `method`: adds it to the year's and the
/// day's use (CST) and opens `capacity_exceeded` when the year's passes the licensed annual
/// capacity, or the day's the licensed daily capacity, of the permits valid on the day: each
/// limit in the unit its permit states it.
pub fn check_capacity(
    conn: &Connection,
    facility: &str,
    method: &str,
    treated_g: u64,
    at: DateTime<Utc>,
    seq: u64,
) -> StoreResult<()> {
    let date = cst_date(at);
    let year = chrono::Datelike::year(&date);
    let used: i64 = conn
        .prepare_cached(
            "INSERT INTO capacity_use(facility, method, year, treated_g) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(facility, method, year) DO UPDATE SET treated_g = treated_g + excluded.treated_g
             RETURNING treated_g",
        )?
        .query_row(params![facility, method, year, treated_g as i64], |r| r.get(0))?;
    let used_today: i64 = conn
        .prepare_cached(
            "INSERT INTO capacity_use_daily(facility, method, day, treated_g) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(facility, method, day) DO UPDATE SET treated_g = treated_g + excluded.treated_g
             RETURNING treated_g",
        )?
        .query_row(params![facility, method, date.to_string(), treated_g as i64], |r| {
            r.get(0)
        })?;
    let annual_g = crate::service::reconcile::capacities(conn, facility, date)?
        .get(method)
        .copied()
        .unwrap_or(0);
    let daily_g = crate::service::reconcile::daily_capacities(conn, facility, date)?
        .get(method)
        .copied()
        .unwrap_or(0);
    let over = |used: u64, capacity_g: u64| {
        (capacity_g > 0 && used > capacity_g)
            .then(|| crate::service::reconcile::permille(used - capacity_g, capacity_g).unwrap_or(0))
    };
    let mut exceeded = Vec::new();
    if let Some(p) = over(used.max(0) as u64, annual_g) {
        exceeded.push((
            format!("{facility}/{method}/{year}"),
            json!({"per": "year", "capacity_g": annual_g, "treated_ytd_g": used, "over_permille": p,
                   "reapplication_needed": p > REAPPLY_OVER_PERMILLE}),
        ));
    }
    if let Some(p) = over(used_today.max(0) as u64, daily_g) {
        exceeded.push((
            format!("{facility}/{method}/{date}"),
            json!({"per": "day", "capacity_g": daily_g, "treated_day_g": used_today, "over_permille": p,
                   "day": date}),
        ));
    }
    if exceeded.is_empty() {
        return Ok(());
    }
    let district = district_of(conn, facility)?;
    for (subject, detail) in exceeded {
        open(
            conn,
            Rule::CapacityExceeded,
            &subject,
            district.as_deref(),
            at,
            Some(seq),
            &detail,
        )?;
    }
    Ok(())
}

/// The items the sweep re-evaluates at `now`: those whose time limit may have passed with no
/// alert of that rule unresolved yet (found through `items_by_state`, each limit's cut-off a
/// bound that can only let in more than the rule holds for), and those with an unresolved
/// time-rule alert, in case its condition no longer holds. Items with nothing new to say are not
/// read, so the sweep costs what changed, not what is stored.
fn sweep_candidates(conn: &Connection, transit: Duration, now: DateTime<Utc>) -> StoreResult<Vec<String>> {
    // Receipt is due 5 working days after arrival, never fewer calendar days.
    let cut = |d: Duration| rfc3339(now - d);
    let codes = conn
        .prepare_cached(
            "WITH since AS (SELECT code, state, waste_code, generated_at,
                                   coalesce(json_extract(custody, '$.state_since'), generated_at) AS since
                            FROM items)
             SELECT code FROM since WHERE state IN ('released', 'in_transit') AND since <= ?1
                AND NOT EXISTS(SELECT 1 FROM alerts a WHERE a.rule = 'transit_too_long' AND a.subject = code
                               AND a.state != 'resolved')
             UNION SELECT code FROM since WHERE state = 'arrived' AND since <= ?2
                AND NOT EXISTS(SELECT 1 FROM alerts a WHERE a.rule = 'receipt_overdue' AND a.subject = code
                               AND a.state != 'resolved')
             UNION SELECT code FROM items WHERE state IN ('stored', 'received') AND generated_at <= ?3
                AND coalesce(json_extract(custody, '$.state_since'), generated_at) <= ?3
                AND NOT EXISTS(SELECT 1 FROM alerts a WHERE a.rule = 'storage_over_year' AND a.subject = code
                               AND a.state != 'resolved')
             UNION SELECT code FROM items
              WHERE state IN ('stored', 'received', 'released', 'in_transit', 'arrived', 'refused')
                AND generated_at <= ?4 AND waste_code GLOB '*-01'
                AND NOT EXISTS(SELECT 1 FROM alerts a WHERE a.rule = 'medical_over_48h' AND a.subject = code
                               AND a.state != 'resolved')
             UNION SELECT subject FROM alerts WHERE state != 'resolved'
                AND rule IN ('storage_over_year', 'medical_over_48h', 'transit_too_long', 'receipt_overdue')",
        )?
        .query_map(
            params![
                cut(transit),
                cut(Duration::days(i64::from(RECEIPT_WORKING_DAYS))),
                cut(Duration::days(MAX_STORAGE_DAYS)),
                cut(Duration::hours(MEDICAL_HOURS))
            ],
            |r| r.get::<_, String>(0),
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(codes)
}

/// The sweep: the items whose condition time alone can bring about ([`sweep_candidates`]),
/// and every permit whose holder has waste on site or on the way; opens and resolves as at
/// `now`. Reads the projections through their indexes.
pub fn sweep(conn: &Connection, calendar: &WorkCalendar, transit: Duration, now: DateTime<Utc>) -> StoreResult<u64> {
    let mut n = 0;
    for c in sweep_candidates(conn, transit, now)? {
        let Ok(code) = ItemCode::parse(&c) else { continue };
        if let Some(s) = projection::load_item(conn, &code)? {
            sync_item(conn, None, &s, calendar, transit, now, None)?;
            n += 1;
        }
    }
    // Expired permits of facilities that still hold or await waste.
    let today = cst_date(now).to_string();
    let expired = conn
        .prepare_cached(
            "SELECT p.number, p.holder, p.valid_until FROM permits p
             WHERE p.valid_until < ?1
               AND NOT EXISTS(SELECT 1 FROM permits q WHERE q.holder = p.holder AND q.valid_from <= ?1
                              AND q.valid_until >= ?1)
               AND EXISTS(SELECT 1 FROM items i WHERE (i.holder = p.holder AND i.state = 'received')
                   OR i.code IN (SELECT mi.item FROM manifest_items mi JOIN manifests m ON m.number = mi.manifest
                                 WHERE m.receiver = p.holder AND m.state = 'open'
                                   AND i.state IN ('released', 'in_transit', 'arrived')))",
        )?
        .query_map([&today], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut still = Vec::new();
    for (number, holder, until) in expired {
        let end = NaiveDate::parse_from_str(&until, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.succ_opt())
            .map_or(now, day_start);
        let district = district_of(conn, &holder)?;
        open(
            conn,
            Rule::PermitExpired,
            &number,
            district.as_deref(),
            end,
            None,
            &json!({"holder": holder, "valid_until": until}),
        )?;
        still.push(number);
    }
    let open_permits = conn
        .prepare_cached("SELECT subject FROM alerts WHERE rule = 'permit_expired' AND state != 'resolved'")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for p in open_permits.iter().filter(|p| !still.contains(p)) {
        resolve(conn, Rule::PermitExpired, p, now, None)?;
    }
    Ok(n)
}

/// An alert as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Alert {
    pub id: i64,
    pub rule: String,
    pub rule_zh: String,
    pub rule_en: String,
    pub subject: String,
    pub district: Option<String>,
    pub started_at: String,
    pub started_seq: Option<i64>,
    /// `open`, `acknowledged` or `resolved`.
    pub state: String,
    pub resolved_at: Option<String>,
    pub resolved_seq: Option<i64>,
    /// The log entry of the regulator's signed acknowledgement.
    pub acked_seq: Option<i64>,
    /// The acknowledgement's note and when it was logged (RFC 3339 UTC).
    pub ack_note: Option<String>,
    pub acked_at: Option<String>,
    pub detail: Value,
    /// Whole days since the condition began, at the service's clock.
    pub age_days: i64,
    /// What it concerns and says, in words (`service::alert_words`).
    pub situation: Situation,
}

fn alert_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Alert> {
    let rule: String = r.get(1)?;
    let named = Rule::parse(&rule).map(|x| x.named()).ok();
    let detail: String = r.get(10)?;
    Ok(Alert {
        id: r.get(0)?,
        rule_zh: named.map_or_else(String::new, |n| n.name_zh.to_owned()),
        rule_en: named.map_or_else(String::new, |n| n.name_en.to_owned()),
        rule,
        subject: r.get(2)?,
        district: r.get(3)?,
        started_at: r.get(4)?,
        started_seq: r.get(5)?,
        state: r.get(6)?,
        resolved_at: r.get(7)?,
        resolved_seq: r.get(8)?,
        acked_seq: r.get(9)?,
        ack_note: r.get(11)?,
        acked_at: r.get(12)?,
        detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
        age_days: 0,
        situation: Situation::default(),
    })
}

const ALERT_COLUMNS: &str = "id, rule, subject, district, started_at, started_seq, state, resolved_at, resolved_seq, \
                             acked_seq, detail, ack_note, acked_at";

/// The alert with its age at `now` and its situation in words, the enterprises named.
pub fn described(conn: &Connection, mut a: Alert, now: DateTime<Utc>) -> StoreResult<Alert> {
    let mut names = std::collections::BTreeMap::new();
    for u in alert_words::parties_named(&a.subject, &a.detail) {
        let name: Option<String> = conn
            .prepare_cached("SELECT name_zh FROM enterprises WHERE uscc = ?1")?
            .query_row([&u], |r| r.get(0))
            .optional()?;
        if let Some(n) = name {
            names.insert(u, n);
        }
    }
    a.situation = alert_words::situation(&a.rule, &a.subject, &a.detail, &names);
    a.age_days = DateTime::parse_from_rfc3339(&a.started_at)
        .map(|t| (now - t.with_timezone(&Utc)).num_days().max(0))
        .unwrap_or(0);
    Ok(a)
}

/// What the alert list is narrowed to.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlertQuery<'a> {
    /// `open`, `acknowledged` or `resolved`.
    pub state: Option<&'a str>,
    pub rule: Option<Rule>,
    /// Alerts concerning this enterprise (a USCC named in the subject or the facts, or the
    /// generator of the item).
    pub enterprise: Option<&'a str>,
    /// Alerts whose condition began at least this many days ago.
    pub min_age_days: Option<u32>,
    pub limit: u32,
}

/// Alerts the caller's scope covers (a district's regulators: their district's, and the log's
/// integrity alerts, which concern every district), newest first, filtered by state and rule, described at the
/// wall clock (see [`find`] for every filter and the service's clock).
pub fn list(
    conn: &Connection,
    scope: &Scope,
    state: Option<&str>,
    rule: Option<Rule>,
    limit: u32,
) -> StoreResult<Vec<Alert>> {
    let q = AlertQuery {
        state,
        rule,
        limit,
        ..AlertQuery::default()
    };
    find(conn, scope, &q, crate::time::now())
}

/// Alerts the caller's scope covers (a district's regulators: their district's, and the log's
/// integrity alerts, which concern every district), newest first, narrowed by `q`, each [`described`] at `now`.
pub fn find(conn: &Connection, scope: &Scope, q: &AlertQuery<'_>, now: DateTime<Utc>) -> StoreResult<Vec<Alert>> {
    let AlertQuery {
        state,
        rule,
        enterprise,
        min_age_days,
        limit,
    } = *q;
    let district: Option<String> = match scope {
        Scope::All => None,
        Scope::District(d) => Some(d.as_str().to_owned()),
        _ => {
            return Err(Refusal::forbidden(
                "regulators_only",
                "alerts are for regulators and administrators",
                "预警仅供监管人员和系统管理员查看",
            )
            .into())
        }
    };
    if let Some(s) = state.filter(|s| !["open", "acknowledged", "resolved"].contains(s)) {
        return Err(Refusal::invalid(
            "bad_alert_state",
            format!("unknown alert state '{s}'; expected open, acknowledged or resolved"),
            format!("未知的预警状态“{s}”，应为open、acknowledged或resolved"),
        )
        .into());
    }
    if let Some(u) = enterprise {
        crate::domain::Uscc::parse(u).map_err(|r| r.in_field("enterprise"))?;
    }
    // An age beyond the calendar's reach (u32 days) leaves an empty bound, before every time:
    // no alert is that old.
    let started_by = min_age_days.map(|d| {
        now.checked_sub_signed(Duration::days(i64::from(d)))
            .map_or_else(String::new, rfc3339)
    });
    let sql = format!(
        "SELECT {ALERT_COLUMNS} FROM alerts WHERE (?1 IS NULL OR district = ?1 OR (district IS NULL AND rule = 'log_integrity'))
         AND (?2 IS NULL OR state = ?2)
         AND (?3 IS NULL OR rule = ?3)
         AND (?5 IS NULL OR substr(subject, 1, 18) = ?5 OR json_extract(detail, '$.holder') = ?5
              OR json_extract(detail, '$.generator') = ?5 OR json_extract(detail, '$.owner') = ?5
              OR json_extract(detail, '$.actor') = ?5)
         AND (?6 IS NULL OR started_at <= ?6)
         ORDER BY id DESC LIMIT ?4"
    );
    let rows = conn
        .prepare_cached(&sql)?
        .query_map(
            params![district, state, rule.map(|r| r.code()), limit, enterprise, started_by],
            alert_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|a| described(conn, a, now)).collect()
}

pub fn get(conn: &Connection, id: i64) -> StoreResult<Option<Alert>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {ALERT_COLUMNS} FROM alerts WHERE id = ?1"))?
        .query_row([id], alert_row)
        .optional()?)
}

/// Marks an alert acknowledged by the log entry `seq` (a regulator's signed `acknowledge`),
/// logged at `at` with `note`.
pub fn acknowledge(conn: &Connection, id: i64, seq: u64, note: &str, at: DateTime<Utc>) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE alerts SET acked_seq = ?2, ack_note = ?3, acked_at = ?4,
                state = CASE WHEN state = 'open' THEN 'acknowledged' ELSE state END
         WHERE id = ?1",
    )?
    .execute(params![id, seq as i64, note, rfc3339(at)])?;
    Ok(())
}

/// Runs the sweep now, in a writer job, at the log's time.
pub async fn sweep_now(state: &crate::service::AppState) -> StoreResult<u64> {
    let calendar = state.calendar();
    let transit = Duration::hours(state.config.transit_alert_hours);
    let now = state.log.now();
    state
        .db
        .writer
        .write(move |conn| sweep(conn, &calendar, transit, now))
        .await
}

/// What a self-audit found.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SelfAudit {
    pub entries: u64,
    pub findings: u64,
    /// `log_integrity` alerts opened by this audit.
    pub opened: u64,
}

/// The first self-audit after start-up comes this soon.
const FIRST_SELF_AUDIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Most `log_integrity` alerts one self-audit opens.
pub const MAX_INTEGRITY_ALERTS: usize = 100;

/// Audits the service's own database as `hwtrace audit --db` does (one read snapshot, the
/// log key from its key file) and turns each finding into a `log_integrity` alert; a clean
/// audit resolves the open ones. Tampering with the database is found this way.
pub async fn self_audit(state: &crate::service::AppState) -> anyhow::Result<SelfAudit> {
    let report = crate::audit::run(crate::audit::AuditArgs::db(&state.config.db_path)).await?;
    let now = state.log.now();
    let findings: Vec<(String, Value)> = report
        .findings
        .iter()
        .take(MAX_INTEGRITY_ALERTS)
        .map(|f| {
            let subject = format!(
                "{}:{}:{}",
                f.check.code(),
                f.index.map_or_else(|| "-".into(), |i| i.to_string()),
                f.item.clone().unwrap_or_default()
            );
            (
                subject,
                json!({"check": f.check.code(), "index": f.index, "item": f.item, "message": f.message}),
            )
        })
        .collect();
    let opened = findings.len() as u64;
    let clean = report.ok();
    state
        .db
        .writer
        .write(move |conn| {
            for (subject, detail) in &findings {
                open(conn, Rule::LogIntegrity, subject, None, now, None, detail)?;
            }
            if clean {
                conn.prepare_cached(
                    "UPDATE alerts SET state = 'resolved', resolved_at = ?1 WHERE rule = 'log_integrity' AND state != 'resolved'",
                )?
                .execute([rfc3339(now)])?;
            }
            Ok(())
        })
        .await?;
    Ok(SelfAudit {
        entries: report.entries_checked,
        findings: report.findings_total,
        opened,
    })
}

/// Records that a revoked device key signed a submission (refused, and not logged).
pub async fn note_revoked_key(state: &crate::service::AppState, actor: String, device: String) {
    let now = state.log.now();
    let job = state.db.writer.write(move |conn| {
        let district = district_of(conn, &actor)?;
        open(
            conn,
            Rule::KeyRevokedUse,
            &format!("{actor}/{device}"),
            district.as_deref(),
            now,
            None,
            &json!({"owner": actor, "device": device}),
        )
    });
    if let Err(e) = job.await {
        tracing::warn!(error = %e, "could not record the use of a revoked key");
    }
}

/// The background work: a sweep every `sweep_every`, a self-audit every `audit_every`.
pub async fn run_periodically(
    state: crate::service::AppState,
    sweep_every: std::time::Duration,
    audit_every: std::time::Duration,
) {
    // Not at once: a service that has just started has nothing new to say.
    let start = tokio::time::Instant::now();
    let mut sweep_tick = tokio::time::interval_at(start + sweep_every, sweep_every);
    let mut audit_tick = tokio::time::interval_at(start + FIRST_SELF_AUDIT.min(audit_every), audit_every);
    loop {
        tokio::select! {
            _ = sweep_tick.tick() => {
                if let Err(e) = sweep_now(&state).await {
                    tracing::warn!(error = %e, "alert sweep failed");
                }
            }
            _ = audit_tick.tick() => {
                match self_audit(&state).await {
                    Ok(a) if a.findings > 0 => tracing::error!(findings = a.findings, "the self-audit found problems"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "self-audit could not run"),
                }
            }
        }
    }
}

/// What alerts a caller sees: an administrator all, a regulator its district, and the users of
/// a bureau (an enterprise with the regulator role, whose devices sign acknowledgements) the
/// bureau's district.
pub fn scope_of(conn: &rusqlite::Connection, caller: &crate::domain::access::Caller) -> StoreResult<Scope> {
    let scope = caller.scope();
    if let Scope::Enterprise(u) = &scope {
        let bureau: Option<String> = conn
            .prepare_cached(
                "SELECT e.district FROM enterprises e JOIN enterprise_roles r ON r.uscc = e.uscc
                 WHERE e.uscc = ?1 AND r.role = 'regulator'",
            )?
            .query_row([u.as_str()], |r| r.get(0))
            .optional()?;
        if let Some(d) = bureau {
            return Ok(Scope::District(crate::domain::District::parse(&d)?));
        }
    }
    Ok(scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::custody::{Custody, Discrepancy};
    use crate::domain::{Grams, ManifestNo, Uscc, WasteCode};
    use chrono::TimeZone;

    fn item(custody: Custody, since: DateTime<Utc>) -> ItemState {
        let u = Uscc::parse("91500110MA5U8F4X2N").unwrap();
        ItemState {
            code: ItemCode::parse("91500110MA5U8F4X2N8410010120261128001").unwrap(),
            generator: u.clone(),
            waste_code: WasteCode::from_trusted_digits(*b"84100101"),
            holder: u,
            custody,
            manifest: None,
            storage_place: "库".into(),
            mass: Grams(10),
            declared: Grams(10),
            weighed: None,
            weighed_by: None,
            accepted: None,
            refused: Grams(0),
            lost: Grams(0),
            treated: None,
            volume_l: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            discrepancy: None,
            created_seq: 1,
            last_seq: 1,
            last_at: since,
            state_since: since,
        }
    }

    fn facts(created: DateTime<Utc>) -> ItemFacts {
        ItemFacts {
            created_at: created,
            medical: false,
            holder_licensed: false,
            receipt_due: None,
            transit_limit: Duration::hours(DEFAULT_TRANSIT_HOURS),
        }
    }

    fn rules(v: &[(Rule, DateTime<Utc>, Value)]) -> Vec<Rule> {
        v.iter().map(|(r, _, _)| *r).collect()
    }

    #[test]
    fn each_item_rule_holds_from_its_time_and_not_before() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap();
        let m = ManifestNo::parse("20265001000001").unwrap();
        // Medical waste: 48 hours after creation, until closed.
        let mut f = facts(t0);
        f.medical = true;
        let s = item(Custody::Stored, t0);
        assert!(
            item_conditions(&s, &f, t0 + Duration::hours(48)).is_empty(),
            "not longer than 48 hours"
        );
        let holds = item_conditions(&s, &f, t0 + Duration::hours(48) + Duration::seconds(1));
        assert_eq!(rules(&holds), [Rule::MedicalOver48h]);
        assert_eq!(holds[0].1, t0 + Duration::hours(48));
        let treated = item(
            Custody::Treated {
                method: crate::domain::TreatmentMethod::Steam,
            },
            t0,
        );
        assert!(item_conditions(&treated, &f, t0 + Duration::hours(100)).is_empty());
        // Storage with any holder: a year after reception or generation.
        let f = facts(t0);
        for at_rest in [Custody::Received, Custody::Stored] {
            let s = item(at_rest, t0);
            assert!(item_conditions(&s, &f, t0 + Duration::days(365)).is_empty());
            assert_eq!(
                rules(&item_conditions(
                    &s,
                    &f,
                    t0 + Duration::days(365) + Duration::seconds(1)
                )),
                [Rule::StorageOverYear]
            );
        }
        // In transit past the limit.
        let s = item(
            Custody::InTransit {
                carrier: s.holder.clone(),
                manifest: m.clone(),
            },
            t0,
        );
        assert!(item_conditions(&s, &facts(t0), t0 + Duration::hours(72)).is_empty());
        assert_eq!(
            rules(&item_conditions(&s, &facts(t0), t0 + Duration::hours(73))),
            [Rule::TransitTooLong]
        );
        // Arrived: overdue the day after the due date (China time).
        let mut f = facts(t0);
        f.receipt_due = Some(NaiveDate::from_ymd_opt(2026, 1, 12).unwrap());
        let s = item(Custody::Arrived { manifest: m }, t0);
        let due_end = Utc.with_ymd_and_hms(2026, 1, 12, 16, 0, 0).unwrap();
        assert!(item_conditions(&s, &f, due_end - Duration::seconds(1)).is_empty());
        assert_eq!(rules(&item_conditions(&s, &f, due_end)), [Rule::ReceiptOverdue]);
        // An unanswered discrepancy, until answered.
        let mut s = item(Custody::Received, t0);
        s.discrepancy = Some(Discrepancy {
            expected: Grams(10),
            weighed: Grams(8),
            answered: false,
        });
        assert_eq!(rules(&item_conditions(&s, &facts(t0), t0)), [Rule::WeightDiscrepancy]);
        s.discrepancy = Some(Discrepancy {
            expected: Grams(10),
            weighed: Grams(8),
            answered: true,
        });
        assert!(item_conditions(&s, &facts(t0), t0).is_empty());
    }
}
