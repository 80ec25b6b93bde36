//! Items as people see them: the printable label of an item, and the public verification of a
//! scanned label (`GET /Q/<b32>`). Reads the `items` projection and the log; renders through
//! `render`.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

use crate::crypto::keys::KeyId;
use crate::crypto::label::{self, LabelError, LabelPayload, SIG_LEN};
use crate::domain::{Catalogue, Grams, HazardSet, ItemCode, PhysicalForm, Refusal};
use crate::render::hazard_text::{harmful_default, precautions_default};
use crate::render::label::LabelView;
use crate::render::verify_page::{CustodyLine, ItemSummary, Verdict, VerifyView};
use crate::store::{StoreError, StoreResult};
use crate::time::cst;

/// An item and its current custody state, as `GET /api/v1/items/<code>` answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Item {
    pub code: String,
    pub generator: String,
    pub waste_code: String,
    pub waste_name: String,
    pub mass_g: i64,
    pub form: String,
    /// Hazard letters.
    pub hazards: Vec<String>,
    pub packaging: String,
    pub container_volume_l: i64,
    pub components: String,
    pub harmful_components: String,
    pub precautions: String,
    pub storage_place: String,
    /// Device time of generation, RFC 3339 UTC.
    pub generated_at: String,
    /// Custody state: `stored` (at its generator), `released`, `in_transit`, `arrived`,
    /// `received`, `refused`, `treated`, `consolidated`, `split` or `lost`.
    pub state: String,
    /// USCC of the enterprise holding it now.
    pub holder: String,
    /// Log index of the entry that created it.
    pub created_seq: i64,
    /// Standard base64 of the signed label (payload || sig).
    pub label_b64: String,
    /// The masses and facts the custody log recorded for it.
    pub custody: Option<CustodyFacts>,
}

/// What the custody rules recorded of an item beyond its state and holder (integer grams).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustodyFacts {
    /// The mass the log holds it to have now.
    pub mass_g: u64,
    pub declared_g: u64,
    pub weighed_g: Option<u64>,
    pub accepted_g: Option<u64>,
    pub refused_g: u64,
    pub lost_g: u64,
    pub treated_g: Option<u64>,
    /// For a treatment: its method; for a landfill, the volume used in litres.
    pub treatment_method: Option<String>,
    pub volume_l: Option<u32>,
    /// The manifest it is booked on or travels under.
    pub manifest: Option<String>,
    /// The items it came from (consolidation, split, residue, refused part).
    pub inputs: Vec<String>,
    /// The items made from it (consolidation, split, residues, parts refused at a gate).
    pub outputs: Vec<String>,
    /// A weighing off by more than the tolerance; `answered` once explained or corrected.
    pub discrepancy: Option<DiscrepancyView>,
    /// When it entered its current state (RFC 3339 UTC, logged time).
    pub state_since: String,
    /// The device time of its latest event (RFC 3339 UTC): a later event may not be dated
    /// before it (`event_out_of_order`).
    pub last_at: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiscrepancyView {
    pub expected_g: u64,
    pub weighed_g: u64,
    pub answered: bool,
}

fn custody_facts(text: &str) -> Option<CustodyFacts> {
    use crate::domain::custody::Custody;
    let s = crate::store::projection::parse_state(text).ok()?;
    let codes = |v: &[ItemCode]| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    Some(CustodyFacts {
        mass_g: s.mass.0,
        declared_g: s.declared.0,
        weighed_g: s.weighed.map(|g| g.0),
        accepted_g: s.accepted.map(|g| g.0),
        refused_g: s.refused.0,
        lost_g: s.lost.0,
        treated_g: s.treated.map(|g| g.0),
        treatment_method: match &s.custody {
            Custody::Treated { method } => Some(method.code().to_owned()),
            _ => None,
        },
        volume_l: s.volume_l,
        manifest: s.manifest.as_ref().map(ToString::to_string),
        inputs: codes(&s.inputs),
        outputs: codes(&s.outputs),
        discrepancy: s.discrepancy.map(|d| DiscrepancyView {
            expected_g: d.expected.0,
            weighed_g: d.weighed.0,
            answered: d.answered,
        }),
        state_since: crate::time::rfc3339(s.state_since),
        last_at: s.last_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    })
}

fn unknown_item(code: &str) -> Refusal {
    Refusal::not_found(
        "unknown_item",
        format!("no item {code} is registered"),
        format!("没有登记物品{code}"),
    )
}

/// The columns [`item_row`] reads, in its order.
const ITEM_COLUMNS: &str =
    "i.code, i.generator, i.waste_code, i.waste_name, i.mass_g, i.form, i.hazard_bits, i.packaging,
    i.container_volume_l, i.components, i.harmful_components, i.precautions, i.storage_place, i.generated_at, i.state,
    i.holder, i.created_seq, i.label, i.custody";

fn item_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Item> {
    let bits: u8 = r.get(6)?;
    let label: Vec<u8> = r.get(17)?;
    Ok(Item {
        code: r.get(0)?,
        generator: r.get(1)?,
        waste_code: r.get(2)?,
        waste_name: r.get(3)?,
        mass_g: r.get(4)?,
        form: r.get(5)?,
        hazards: HazardSet::from_bits(bits)
            .map(|h| h.letters())
            .unwrap_or_default()
            .into_iter()
            .map(String::from)
            .collect(),
        packaging: r.get(7)?,
        container_volume_l: r.get(8)?,
        components: r.get(9)?,
        harmful_components: r.get(10)?,
        precautions: r.get(11)?,
        storage_place: r.get(12)?,
        generated_at: r.get(13)?,
        state: r.get(14)?,
        holder: r.get(15)?,
        created_seq: r.get(16)?,
        label_b64: data_encoding::BASE64.encode(&label),
        custody: r.get::<_, Option<String>>(18)?.as_deref().and_then(custody_facts),
    })
}

pub fn get_item(conn: &Connection, code: &ItemCode) -> StoreResult<Item> {
    conn.prepare_cached(&format!("SELECT {ITEM_COLUMNS} FROM items i WHERE i.code = ?1"))?
        .query_row([code.as_str()], item_row)
        .optional()?
        .ok_or_else(|| unknown_item(code.as_str()).into())
}

/// Most items one list answer carries.
pub const MAX_ITEMS_PER_PAGE: u32 = 500;

/// Filters of the item list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemFilter {
    /// Only items in this custody state (e.g. `stored`).
    pub state: Option<String>,
    /// Only items generated on this China Standard Time date (YYYY-MM-DD).
    pub date: Option<String>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<u32>,
    /// Items before this log index (for the next page: the smallest `created_seq` seen).
    pub before: Option<i64>,
}

/// Items the caller may see (by generator or holder), newest first.
pub fn list_items(conn: &Connection, scope: &crate::domain::access::Scope, f: &ItemFilter) -> StoreResult<Vec<Item>> {
    use crate::domain::access::Scope;
    let limit = f.limit.unwrap_or(100);
    if !(1..=MAX_ITEMS_PER_PAGE).contains(&limit) {
        return Err(Refusal::invalid(
            "bad_limit",
            format!("limit must be 1-{MAX_ITEMS_PER_PAGE}"),
            format!("limit应为1-{MAX_ITEMS_PER_PAGE}"),
        )
        .into());
    }
    let day = f
        .date
        .as_deref()
        .map(|d| crate::domain::day::parse("date", d))
        .transpose()?;
    // Item codes carry the CST generation date at characters 27-34.
    let day = day.map(|d| d.format("%Y%m%d").to_string());
    let (district, uscc) = match scope {
        Scope::All => (None, None),
        Scope::District(d) => (Some(d.as_str().to_owned()), None),
        Scope::Enterprise(u) => (None, Some(u.as_str().to_owned())),
        Scope::Nothing => return Ok(Vec::new()),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ITEM_COLUMNS} FROM items i
         WHERE (?1 IS NULL OR i.generator = ?1 OR i.holder = ?1)
           AND (?2 IS NULL OR EXISTS(SELECT 1 FROM enterprises e WHERE e.district = ?2 AND e.uscc IN (i.generator, i.holder)))
           AND (?3 IS NULL OR i.state = ?3)
           AND (?4 IS NULL OR substr(i.code, 27, 8) = ?4)
           AND (?5 IS NULL OR i.created_seq < ?5)
         ORDER BY i.created_seq DESC LIMIT ?6"
    ))?;
    let items = stmt
        .query_map(params![uscc, district, f.state, day, f.before, limit], item_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(items)
}

/// The enterprises whose records hold `item`: its generator, its holder, and the parties of
/// the manifest it is booked on or travels under (issuer, carriers, receiver). So the gate of
/// the receiver reads an item arriving there, and prints the label of a part it refused,
/// which its carrier holds.
pub fn item_parties(conn: &Connection, item: &Item) -> StoreResult<Vec<String>> {
    let mut parties = vec![item.generator.clone(), item.holder.clone()];
    let manifest = item.custody.as_ref().and_then(|c| c.manifest.as_deref());
    if let Some(number) = manifest {
        let row: Option<(String, String, String)> = conn
            .prepare_cached("SELECT issuer, transporters, receiver FROM manifests WHERE number = ?1")?
            .query_row([number], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((issuer, transporters, receiver)) = row {
            let carriers: Vec<String> =
                serde_json::from_str(&transporters).map_err(|e| StoreError::Other(e.to_string()))?;
            parties.push(issuer);
            parties.extend(carriers);
            parties.push(receiver);
        }
    }
    parties.sort();
    parties.dedup();
    Ok(parties)
}

/// (Chinese, English) name of a custody state.
pub fn state_names(state: &str) -> (&'static str, &'static str) {
    match state {
        "stored" => ("在产生单位贮存", "stored at its generator"),
        "released" => ("待交接", "released, awaiting acceptance"),
        "in_transit" => ("运输中", "in transit"),
        "arrived" => ("已运抵", "arrived at the receiver"),
        "received" => ("已接收", "received"),
        "refused" => ("已拒收", "refused at the gate"),
        "treated" => ("已处置", "treated"),
        "consolidated" => ("已合并", "consolidated"),
        "split" => ("已分装", "split"),
        "lost" => ("已丢失", "lost"),
        _ => ("未知状态", "unknown state"),
    }
}

fn enterprise_contact(conn: &Connection, uscc: &str) -> StoreResult<(String, String, String)> {
    Ok(conn
        .prepare_cached("SELECT name_zh, contact_name, contact_phone FROM enterprises WHERE uscc = ?1")?
        .query_row([uscc], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .unwrap_or_else(|| (uscc.to_owned(), String::new(), String::new())))
}

fn cst_day(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&cst()).format("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| rfc3339.to_owned())
}

fn cst_minute(t: &str) -> String {
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&cst()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| t.to_owned())
}

fn mass_text(g: i64) -> String {
    let g = Grams(g.max(0) as u64);
    if g.0.is_multiple_of(1000) {
        format!("{} kg", g.0 / 1000)
    } else {
        g.to_string()
    }
}

/// The QR text of a stored label under `base_url`.
pub fn qr_text_of(label_b64: &str, base_url: &str) -> StoreResult<String> {
    let bytes = data_encoding::BASE64
        .decode(label_b64.as_bytes())
        .map_err(|e| StoreError::Other(format!("stored label: {e}")))?;
    let (payload, sig) =
        label::parse_label_bytes(&bytes).map_err(|e| StoreError::Other(format!("stored label: {e}")))?;
    Ok(label::qr_text(base_url, &payload, &sig))
}

/// Everything the printed label shows: 有害成分 and 注意事项 as declared or, when the generator
/// declared none, derived from the hazards; 备注 from the generate body's `remarks` and the
/// exemptions of the national list for the code; 收集单位 for a consolidated or split container.
pub fn label_view(conn: &Connection, item: &Item, catalogue: &Catalogue, base_url: &str) -> StoreResult<LabelView> {
    let (generator_name, contact_name, contact_phone) = enterprise_contact(conn, &item.generator)?;
    let code = ItemCode::parse(&item.code)?;
    let category = code.waste().category();
    let category_name = catalogue
        .entries()
        .iter()
        .find(|e| e.code.category() == category)
        .map(|e| e.category_name.clone())
        .unwrap_or_default();
    let form_zh = PhysicalForm::parse(&item.form).map(|f| f.named().name_zh).unwrap_or("");
    // The entry that made the container: a consolidation or split makes a collected one, and
    // its generate body may carry a remark (备注).
    let made = crate::service::reports::Lookup::new(conn).entry(item.created_seq.max(0) as u64)?;
    let collected = matches!(made.kind.as_str(), "consolidate" | "split");
    let remarks = made
        .generate_body(&item.code)
        .and_then(|b| b.get("remarks"))
        .and_then(serde_json::Value::as_str)
        .map(|r| r.trim().to_owned())
        .unwrap_or_default();
    let mut exempt_stages: Vec<String> = Vec::new();
    let rows = crate::store::reference::active_exemptions(conn)?;
    for x in crate::store::reference::exemptions_of(&rows, &item.waste_code) {
        if !exempt_stages.contains(&x.stage) {
            exempt_stages.push(x.stage);
        }
    }
    let or_default = |declared: &str, default: fn(&[String]) -> String| {
        if declared.is_empty() {
            default(&item.hazards)
        } else {
            declared.to_owned()
        }
    };
    Ok(LabelView {
        waste_name: item.waste_name.clone(),
        category: category.to_string(),
        category_name,
        waste_code: item.waste_code.clone(),
        form_zh: form_zh.to_owned(),
        hazards: item.hazards.clone(),
        main_components: item.components.clone(),
        harmful_components: or_default(&item.harmful_components, harmful_default),
        precautions: or_default(&item.precautions, precautions_default),
        generator_name,
        collected,
        remarks,
        exempt_stages,
        contact_name,
        contact_phone,
        generated_on: cst_day(&item.generated_at),
        mass_text: mass_text(item.mass_g),
        item_code: item.code.clone(),
        qr_text: qr_text_of(&item.label_b64, base_url)?,
        container_volume_l: u32::try_from(item.container_volume_l).unwrap_or(0),
    })
}

/// A label key as the verifier needs it.
struct LabelKey {
    public_key: ed25519_dalek::VerifyingKey,
    revoked_at: Option<String>,
}

fn label_key(conn: &Connection, id: KeyId) -> StoreResult<Option<LabelKey>> {
    let row: Option<(Vec<u8>, Option<String>)> = conn
        .prepare_cached("SELECT public_key, revoked_at FROM server_keys WHERE role = 'label' AND key_id = ?1")?
        .query_row([id.to_hex()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(pk, revoked_at)| {
        let pk: [u8; 32] = pk
            .try_into()
            .map_err(|_| StoreError::Other("stored key is not 32 bytes".into()))?;
        let public_key = ed25519_dalek::VerifyingKey::from_bytes(&pk).map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(LabelKey { public_key, revoked_at })
    })
    .transpose()
}

fn verdict(verdict: Verdict, en: &str, zh: &str) -> VerifyView {
    VerifyView {
        verdict,
        reason_en: en.into(),
        reason_zh: zh.into(),
        item: None,
        custody: Vec::new(),
    }
}

/// Verifies a scanned label (the last path segment of its QR text) against every label key
/// this service ever used. A label whose signature fails, or that names a key this service
/// never had, is forged: the service knows all of its keys.
pub fn verify_label(conn: &Connection, b32: &str) -> StoreResult<VerifyView> {
    let (payload, sig) = match label::parse_qr_text(b32) {
        Ok(p) => p,
        // Right length and version but impossible field values: the data was altered after
        // signing, which is forgery, not a stray QR code.
        Err(LabelError::BadItemCode | LabelError::BadHazardBits(_) | LabelError::BadForm(_)) => {
            return Ok(verdict(
                Verdict::Forged,
                "the label's data was altered: a field holds an impossible value",
                "标签数据被篡改：字段值不可能出现",
            ))
        }
        Err(e) => {
            return Ok(verdict(
                Verdict::Malformed,
                &format!("not an hwtrace label: {e}"),
                "不是本系统的标签二维码",
            ))
        }
    };
    let Some(key) = label_key(conn, payload.key_id)? else {
        return Ok(verdict(
            Verdict::Forged,
            "signed by a key this service never used",
            "签名密钥不属于本系统",
        ));
    };
    if let Err(e) = label::verify(&payload, &sig, |id| (id == payload.key_id).then_some(key.public_key)) {
        let en = match e {
            LabelError::BadSignature => "the signature does not match the printed data".to_owned(),
            other => other.to_string(),
        };
        return Ok(verdict(Verdict::Forged, &en, "签名与标签数据不符"));
    }
    if let Some(revoked) = &key.revoked_at {
        let issued = DateTime::<Utc>::from_timestamp(payload.issued_at as i64, 0).unwrap_or_default();
        let revoked_t = DateTime::parse_from_rfc3339(revoked)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        if issued >= revoked_t {
            return Ok(verdict(
                Verdict::Forged,
                "signed after its label key was revoked",
                "标签签发于签名密钥吊销之后",
            ));
        }
    }
    genuine_view(conn, &payload, &sig)
}

fn genuine_view(conn: &Connection, payload: &LabelPayload, sig: &[u8; SIG_LEN]) -> StoreResult<VerifyView> {
    let code = ItemCode::parse(payload.item_code_str())?;
    let item = match get_item(conn, &code) {
        Ok(item) => item,
        Err(StoreError::Refused(_)) => {
            return Ok(verdict(
                Verdict::Forged,
                "the signature verifies but no such item was ever issued",
                "签名有效，但本系统从未签发该物品",
            ))
        }
        Err(e) => return Err(e),
    };
    let stored = data_encoding::BASE64.encode(&label::label_bytes(payload, sig));
    if stored != item.label_b64 {
        return Ok(verdict(
            Verdict::Forged,
            "a validly signed label, but not the one issued for this item",
            "签名有效，但不是为该物品签发的标签",
        ));
    }
    let (generator_name, ..) = enterprise_contact(conn, &item.generator)?;
    let (holder_name, ..) = enterprise_contact(conn, &item.holder)?;
    let (state_zh, state_en) = state_names(&item.state);
    let form_zh = PhysicalForm::parse(&item.form).map(|f| f.named().name_zh).unwrap_or("");
    let summary = ItemSummary {
        item_code: item.code.clone(),
        waste_code: item.waste_code.clone(),
        waste_name: item.waste_name.clone(),
        mass_text: mass_text(item.mass_g),
        hazards: item.hazards.clone(),
        form_zh: form_zh.into(),
        generator_name,
        generated_on: cst_day(&item.generated_at),
        state_zh: state_zh.into(),
        state_en: state_en.into(),
        holder_name,
    };
    Ok(VerifyView {
        verdict: Verdict::Genuine,
        reason_en: "the label is signed by this service and matches the item it issued".into(),
        reason_zh: "标签由本系统签发，且与所登记物品一致".into(),
        item: Some(summary),
        custody: custody_lines(conn, &item.code)?,
    })
}

/// The item's log entries as timeline lines: each event's type in words, the enterprise that
/// signed it, its own time and the time the log recorded it (both CST).
fn custody_lines(conn: &Connection, code: &str) -> StoreResult<Vec<CustodyLine>> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.seq, e.logged_at, e.kind FROM item_entries i JOIN log_entries e ON e.seq = i.seq
         WHERE i.item = ?1 ORDER BY e.seq",
    )?;
    let rows = stmt
        .query_map(params![code], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut look = crate::service::reports::Lookup::new(conn);
    let mut lines = Vec::with_capacity(rows.len());
    for (seq, logged_at, kind) in rows {
        let logged_cst = cst_minute(&logged_at);
        let event = if kind == "event" {
            Some(look.entry(seq.max(0) as u64)?)
        } else {
            None
        };
        let line = match event {
            Some(e) => {
                let (zh, en) = crate::service::reports::manifest::event_names(&e.kind);
                CustodyLine {
                    at_cst: cst_minute(&e.device_at),
                    logged_cst,
                    event: e.kind.clone(),
                    what_zh: zh.into(),
                    what_en: en.into(),
                    by: look.name(&e.actor)?,
                    by_uscc: e.actor.clone(),
                }
            }
            None => CustodyLine {
                at_cst: logged_cst.clone(),
                logged_cst,
                event: String::new(),
                what_zh: "日志记录".into(),
                what_en: "log entry".into(),
                by: String::new(),
                by_uscc: String::new(),
            },
        };
        lines.push(line);
    }
    Ok(lines)
}
