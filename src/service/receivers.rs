//! Who may receive a load (issue 10, the generator's manifest form): the facilities and
//! collection points holding one permit valid on the day that covers every waste code of it
//! (the custody rule `manifest_open` applies, `permit_scope`), with the permit's number, kind
//! and methods, and, for a receiver in another province than the issuer, whether a
//! cross-province approval is needed and which of the issuer's approvals would cover the load.
//! Read-only.

use chrono::NaiveDate;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::{Catalogue, Refusal, RefusalKind, Uscc, WasteCode};
use crate::service::approvals::{self, Approval};
use crate::store::StoreResult;

/// Most waste codes one question names.
pub const MAX_CODES: usize = 20;

/// The question: which receivers take these codes on this day, for this issuer.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReceiverQuery {
    /// Waste codes `NNN-NNN-NN`, comma-separated (1–20), each in the active catalogue.
    pub codes: Option<String>,
    /// The planned day (CST, YYYY-MM-DD); today by default.
    pub date: Option<String>,
    /// The issuer (USCC) whose province decides whether an approval is needed; the caller's
    /// enterprise by default.
    pub issuer: Option<String>,
}

/// A permit of a receiver that covers every code asked for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoveringPermit {
    pub number: String,
    /// `operating` or `collection`.
    pub kind: String,
    /// YYYY-MM-DD, both inclusive.
    pub valid_from: String,
    pub valid_until: String,
    /// The treatment methods it licenses (with `landfill` when it licenses a landfill volume);
    /// none for a collection licence.
    pub methods: Vec<String>,
}

/// A receiver that may take the load.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiverOption {
    pub uscc: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    /// Its roles (`facility`, `collection_point`, ...).
    pub roles: Vec<String>,
    pub district: String,
    /// Province code (characters 3–4 of the USCC) and name.
    pub province: String,
    pub province_name: String,
    pub address: String,
    pub contact_phone: String,
    /// Its permits valid on the day that cover every code (at least one).
    pub permits: Vec<CoveringPermit>,
    /// The methods of those permits, together.
    pub methods: Vec<String>,
    /// Whether the transfer from the issuer crosses a province boundary and so needs an approval
    /// (转移管理办法 第二十一条); false when no issuer is known.
    pub approval_needed: bool,
    /// When one is needed: the issuer's approvals naming this receiver, valid on the day and
    /// listing every code, with what is left of each (`remaining_g`).
    pub approvals: Vec<Approval>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receivers {
    pub date: NaiveDate,
    pub codes: Vec<String>,
    /// The issuer the approvals were judged for, and its province.
    pub issuer: Option<String>,
    pub issuer_province: Option<String>,
    /// In-province receivers first, then by name.
    pub receivers: Vec<ReceiverOption>,
}

/// The codes of the question, checked against `catalogue` (`missing_field`, `too_many_codes`,
/// `bad_waste_code_format`, `unknown_waste_code`).
pub fn parse_codes(codes: Option<&str>, catalogue: &Catalogue) -> Result<Vec<WasteCode>, Refusal> {
    let listed: Vec<&str> = codes
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    if listed.is_empty() {
        return Err(Refusal::invalid(
            "missing_field",
            "codes: name at least one waste code NNN-NNN-NN",
            "codes：请至少填写一个废物代码（NNN-NNN-NN）",
        ));
    }
    if listed.len() > MAX_CODES {
        return Err(Refusal::new(
            RefusalKind::Limit,
            "too_many_codes",
            format!("codes names {} waste codes; at most {MAX_CODES}", listed.len()),
            format!("codes列出{}个废物代码，最多{MAX_CODES}个", listed.len()),
        ));
    }
    let mut out: Vec<WasteCode> = Vec::with_capacity(listed.len());
    for c in listed {
        let code = WasteCode::parse(c, catalogue).map_err(|r| r.in_field("codes"))?;
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

/// A permit valid on the day, with its holder and what it licenses.
struct ValidPermit {
    number: String,
    holder: String,
    kind: String,
    valid_from: String,
    valid_until: String,
    scopes: Vec<String>,
    methods: Vec<String>,
}

fn valid_permits(conn: &Connection, day: &str) -> StoreResult<Vec<ValidPermit>> {
    let mut permits = conn
        .prepare_cached(
            "SELECT p.number, p.holder, p.kind, p.valid_from, p.valid_until, p.landfill_volume_m3 IS NOT NULL
             FROM permits p
             WHERE p.valid_from <= ?1 AND p.valid_until >= ?1
               AND EXISTS(SELECT 1 FROM enterprise_roles r WHERE r.uscc = p.holder
                          AND r.role IN ('facility', 'collection_point'))
             ORDER BY p.holder, p.number",
        )?
        .query_map([day], |r| {
            let landfill: bool = r.get(5)?;
            Ok(ValidPermit {
                number: r.get(0)?,
                holder: r.get(1)?,
                kind: r.get(2)?,
                valid_from: r.get(3)?,
                valid_until: r.get(4)?,
                scopes: Vec::new(),
                methods: if landfill {
                    vec!["landfill".to_owned()]
                } else {
                    Vec::new()
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut scopes = conn.prepare_cached("SELECT scope FROM permit_scopes WHERE permit = ?1 ORDER BY scope")?;
    let mut methods = conn.prepare_cached("SELECT method FROM permit_capacities WHERE permit = ?1 ORDER BY method")?;
    for p in &mut permits {
        p.scopes = scopes
            .query_map([&p.number], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let licensed: Vec<String> = methods
            .query_map([&p.number], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        p.methods.extend(licensed);
        p.methods.sort();
    }
    Ok(permits)
}

/// A permit's scopes (codes `NNN-NNN-NN` or categories `HWnn`) cover every code.
fn covers(scopes: &[String], codes: &[WasteCode]) -> bool {
    codes
        .iter()
        .all(|c| scopes.contains(&c.to_string()) || scopes.contains(&c.category().to_string()))
}

/// The receivers that may take `codes` on `day`, judged for `issuer` when one is given.
pub fn receivers(
    conn: &Connection,
    codes: &[WasteCode],
    day: NaiveDate,
    issuer: Option<&Uscc>,
) -> StoreResult<Receivers> {
    let issuer_province = issuer
        .map(|u| crate::service::registry::get_enterprise(conn, u).map(|e| e.province))
        .transpose()?;
    let mut found: Vec<ReceiverOption> = Vec::new();
    for p in valid_permits(conn, &day.to_string())? {
        if !covers(&p.scopes, codes) {
            continue;
        }
        let permit = CoveringPermit {
            number: p.number,
            kind: p.kind,
            valid_from: p.valid_from,
            valid_until: p.valid_until,
            methods: p.methods,
        };
        if let Some(r) = found.iter_mut().find(|r| r.uscc == p.holder) {
            r.permits.push(permit);
            continue;
        }
        let holder = Uscc::parse(&p.holder)?;
        let e = crate::service::registry::get_enterprise(conn, &holder)?;
        let approval_needed = issuer_province.as_deref().is_some_and(|ip| ip != e.province);
        let approvals = match (issuer, approval_needed) {
            (Some(i), true) => approvals::covering(conn, i, &holder, codes, day)?,
            _ => Vec::new(),
        };
        found.push(ReceiverOption {
            uscc: e.uscc,
            name_zh: e.name_zh,
            name_en: e.name_en,
            roles: e.roles,
            district: e.district,
            province: e.province,
            province_name: e.province_name,
            address: e.address,
            contact_phone: e.contact_phone,
            permits: vec![permit],
            methods: Vec::new(),
            approval_needed,
            approvals,
        });
    }
    for r in &mut found {
        let mut methods: Vec<String> = r.permits.iter().flat_map(|p| p.methods.iter().cloned()).collect();
        methods.sort();
        methods.dedup();
        r.methods = methods;
    }
    found.sort_by(|a, b| (a.approval_needed, &a.name_zh).cmp(&(b.approval_needed, &b.name_zh)));
    Ok(Receivers {
        date: day,
        codes: codes.iter().map(ToString::to_string).collect(),
        issuer: issuer.map(|u| u.as_str().to_owned()),
        issuer_province,
        receivers: found,
    })
}
