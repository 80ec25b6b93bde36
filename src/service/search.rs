//! Search from every page of the app: one box that takes an item code, a manifest number, an
//! enterprise's name or its USCC (whole, or the start of one), and answers the items,
//! manifests and enterprises that match and that the caller may read, under the same rules as
//! their own pages: an item by its generator, its holder or a party of its manifest
//! ([`items::item_parties`]); a manifest by its issuer, carriers or receiver; an enterprise by
//! itself. So an enterprise's user finds its own records, a regulator those of its district, an
//! administrator everything.
//!
//! Codes are matched on their start (an index range on the key, so the cost is what matches, not
//! what is stored); names anywhere in the Chinese or English name. Matches the caller may not
//! read are left out silently: a search does not reveal that they exist.

use rusqlite::{params, Connection};
use serde::Serialize;
use utoipa::ToSchema;

use super::items;
use super::registry::enterprise_district;
use crate::domain::access::Caller;
use crate::domain::{Refusal, Uscc};
use crate::store::StoreResult;

/// Most rows of each kind one answer carries.
pub const MAX_PER_KIND: usize = 20;
/// Longest query taken, in characters.
pub const MAX_QUERY_CHARS: usize = 60;
/// Candidates of each kind read before the access check, so that rows the caller may not read
/// do not crowd out those it may.
const CANDIDATES: u32 = 400;

/// What the query was taken as: the form of its text decides which kinds are looked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QueryKind {
    /// 37 characters of an item code.
    ItemCode,
    /// 14 digits.
    ManifestNumber,
    /// 18 characters of a USCC.
    Uscc,
    /// The start of a code (digits and capitals): items, manifests and USCCs starting so.
    CodePrefix,
    /// Anything else: enterprises by name.
    Name,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemHit {
    pub code: String,
    pub waste_code: String,
    pub waste_name: String,
    pub mass_g: i64,
    pub state: String,
    pub state_zh: String,
    pub state_en: String,
    pub generator: String,
    pub generator_name: String,
    pub holder: String,
    pub holder_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManifestHit {
    pub number: String,
    pub issuer: String,
    pub issuer_name: String,
    pub receiver: String,
    pub receiver_name: String,
    pub planned_date: String,
    /// `open` or `cancelled` (the stored state; the manifest page derives the rest).
    pub state: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EnterpriseHit {
    pub uscc: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub district: String,
    /// The enterprise's roles (`generator`, `transporter`, `facility`...).
    pub roles: Vec<String>,
}

/// What a search found, each kind capped at [`MAX_PER_KIND`].
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    /// The query as taken (trimmed; codes in capitals).
    pub q: String,
    pub kind: QueryKind,
    pub items: Vec<ItemHit>,
    pub manifests: Vec<ManifestHit>,
    pub enterprises: Vec<EnterpriseHit>,
    /// Whether some kind had more readable matches than it shows.
    pub truncated: bool,
}

fn bad_query(en: &str, zh: &str) -> Refusal {
    Refusal::invalid("bad_search", en, zh).in_field("q")
}

/// The query trimmed and classified; codes in capitals.
pub fn classify(q: &str) -> Result<(String, QueryKind), Refusal> {
    let q = q.trim();
    if q.is_empty() {
        return Err(bad_query(
            "type an item code, a manifest number, a name or a USCC",
            "请输入物品编码、联单编号、企业名称或统一社会信用代码",
        ));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(bad_query(
            &format!("a search is at most {MAX_QUERY_CHARS} characters"),
            &format!("搜索内容最多{MAX_QUERY_CHARS}个字符"),
        ));
    }
    let upper = q.to_ascii_uppercase();
    let code_like = upper.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    if !code_like || upper.len() < 4 {
        return Ok((q.to_owned(), QueryKind::Name));
    }
    let kind = match upper.len() {
        37 => QueryKind::ItemCode,
        14 if upper.chars().all(|c| c.is_ascii_digit()) => QueryKind::ManifestNumber,
        18 => QueryKind::Uscc,
        _ => QueryKind::CodePrefix,
    };
    Ok((upper, kind))
}

/// The upper bound of the key range of the codes starting with `prefix` (codes are ASCII
/// digits and capitals, so `prefix` followed by `~` sorts after every one of them).
fn upper_bound(prefix: &str) -> String {
    format!("{prefix}~")
}

/// Whether `caller` may read the records of one of `parties`.
fn may_read_any(conn: &Connection, caller: &Caller, parties: &[String]) -> StoreResult<bool> {
    for p in parties {
        let Ok(u) = Uscc::parse(p) else { continue };
        let district = enterprise_district(conn, &u)?;
        if caller.may_read(&u, &district).is_ok() {
            return Ok(true);
        }
    }
    Ok(false)
}

fn name_of(conn: &Connection, uscc: &str) -> StoreResult<String> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT name_zh FROM enterprises WHERE uscc = ?1")?
        .query_row([uscc], |r| r.get(0))
        .optional()?
        .unwrap_or_default())
}

/// Searches what `caller` may read for `q` (see the module's comment).
pub fn search(conn: &Connection, caller: &Caller, q: &str) -> StoreResult<SearchResults> {
    let (q, kind) = classify(q)?;
    let mut truncated = false;
    let items = match kind {
        QueryKind::ItemCode | QueryKind::CodePrefix | QueryKind::Uscc => {
            let (found, more) = find_items(conn, caller, &q)?;
            truncated |= more;
            found
        }
        _ => Vec::new(),
    };
    let manifests = match kind {
        QueryKind::ManifestNumber | QueryKind::CodePrefix => {
            let (found, more) = find_manifests(conn, caller, &q)?;
            truncated |= more;
            found
        }
        _ => Vec::new(),
    };
    let enterprises = match kind {
        QueryKind::Uscc | QueryKind::CodePrefix | QueryKind::Name => {
            let (found, more) = find_enterprises(conn, caller, &q, kind)?;
            truncated |= more;
            found
        }
        _ => Vec::new(),
    };
    Ok(SearchResults {
        q,
        kind,
        items,
        manifests,
        enterprises,
        truncated,
    })
}

/// Items whose code starts with `prefix`, newest code first, that the caller may read.
fn find_items(conn: &Connection, caller: &Caller, prefix: &str) -> StoreResult<(Vec<ItemHit>, bool)> {
    let codes = conn
        .prepare_cached("SELECT code FROM items WHERE code >= ?1 AND code < ?2 ORDER BY code DESC LIMIT ?3")?
        .query_map(params![prefix, upper_bound(prefix), CANDIDATES], |r| {
            r.get::<_, String>(0)
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for code in codes {
        let Ok(code) = crate::domain::ItemCode::parse(&code) else {
            continue;
        };
        let item = items::get_item(conn, &code)?;
        if !may_read_any(conn, caller, &items::item_parties(conn, &item)?)? {
            continue;
        }
        if out.len() == MAX_PER_KIND {
            return Ok((out, true));
        }
        let (state_zh, state_en) = items::state_names(&item.state);
        out.push(ItemHit {
            generator_name: name_of(conn, &item.generator)?,
            holder_name: name_of(conn, &item.holder)?,
            code: item.code,
            waste_code: item.waste_code,
            waste_name: item.waste_name,
            mass_g: item.mass_g,
            state: item.state,
            state_zh: state_zh.to_owned(),
            state_en: state_en.to_owned(),
            generator: item.generator,
            holder: item.holder,
        });
    }
    Ok((out, false))
}

/// Manifests whose number starts with `prefix`, newest first, that the caller may read.
fn find_manifests(conn: &Connection, caller: &Caller, prefix: &str) -> StoreResult<(Vec<ManifestHit>, bool)> {
    if !prefix.chars().all(|c| c.is_ascii_digit()) || prefix.len() > 14 {
        return Ok((Vec::new(), false));
    }
    type Row = (String, String, String, String, String, String);
    let rows = conn
        .prepare_cached(
            "SELECT number, issuer, transporters, receiver, planned_date, state FROM manifests
             WHERE number >= ?1 AND number < ?2 ORDER BY number DESC LIMIT ?3",
        )?
        .query_map(params![prefix, upper_bound(prefix), CANDIDATES], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })?
        .collect::<rusqlite::Result<Vec<Row>>>()?;
    let mut out = Vec::new();
    for (number, issuer, transporters, receiver, planned_date, state) in rows {
        let mut parties: Vec<String> = serde_json::from_str(&transporters).unwrap_or_default();
        parties.push(issuer.clone());
        parties.push(receiver.clone());
        if !may_read_any(conn, caller, &parties)? {
            continue;
        }
        if out.len() == MAX_PER_KIND {
            return Ok((out, true));
        }
        out.push(ManifestHit {
            issuer_name: name_of(conn, &issuer)?,
            receiver_name: name_of(conn, &receiver)?,
            number,
            issuer,
            receiver,
            planned_date,
            state,
        });
    }
    Ok((out, false))
}

/// Enterprises by the start of their USCC, or by a name containing `q`, that the caller may
/// read.
fn find_enterprises(
    conn: &Connection,
    caller: &Caller,
    q: &str,
    kind: QueryKind,
) -> StoreResult<(Vec<EnterpriseHit>, bool)> {
    type Row = (String, String, Option<String>, String);
    let row = |r: &rusqlite::Row<'_>| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?));
    let rows: Vec<Row> = if kind == QueryKind::Name {
        let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        conn.prepare_cached(
            "SELECT uscc, name_zh, name_en, district FROM enterprises
             WHERE name_zh LIKE ?1 ESCAPE '\\' OR name_en LIKE ?1 ESCAPE '\\'
             ORDER BY instr(name_zh, ?2) = 0, length(name_zh), uscc LIMIT ?3",
        )?
        .query_map(params![pattern, q, CANDIDATES], row)?
        .collect::<rusqlite::Result<_>>()?
    } else {
        conn.prepare_cached(
            "SELECT uscc, name_zh, name_en, district FROM enterprises
             WHERE uscc >= ?1 AND uscc < ?2 ORDER BY uscc LIMIT ?3",
        )?
        .query_map(params![q, upper_bound(q), CANDIDATES], row)?
        .collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::new();
    for (uscc, name_zh, name_en, district) in rows {
        let readable = Uscc::parse(&uscc).is_ok_and(|u| caller.may_read(&u, &district).is_ok());
        if !readable {
            continue;
        }
        if out.len() == MAX_PER_KIND {
            return Ok((out, true));
        }
        let roles = conn
            .prepare_cached("SELECT role FROM enterprise_roles WHERE uscc = ?1 ORDER BY role")?
            .query_map([&uscc], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        out.push(EnterpriseHit {
            uscc,
            name_zh,
            name_en,
            district,
            roles,
        });
    }
    Ok((out, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_of_the_query_decides_what_is_searched() {
        let kind = |q: &str| classify(q).map(|(_, k)| k).unwrap();
        assert_eq!(kind("91500110MA5U8F4X2N8410010120261128001"), QueryKind::ItemCode);
        assert_eq!(kind(" 20261128000001 "), QueryKind::ManifestNumber);
        assert_eq!(kind("91500110ma5u8f4x2n"), QueryKind::Uscc);
        assert_eq!(kind("915001"), QueryKind::CodePrefix);
        assert_eq!(kind("渝南"), QueryKind::Name);
        assert_eq!(kind("Yunan Env"), QueryKind::Name);
        assert_eq!(kind("915"), QueryKind::Name, "too short to be a code");
        assert_eq!(classify("91500110ma5u8f4x2n").unwrap().0, "91500110MA5U8F4X2N");
        assert_eq!(classify("  ").unwrap_err().code, "bad_search");
        assert_eq!(classify(&"码".repeat(61)).unwrap_err().code, "bad_search");
    }

    #[test]
    fn a_prefix_range_holds_every_code_that_starts_with_it() {
        let hi = upper_bound("9150");
        for code in ["9150", "91500110MA5U8F4X2N", "9150ZZZZ"] {
            assert!(code >= "9150" && code < hi.as_str(), "{code}");
        }
        assert!("9151" >= hi.as_str());
    }
}
