//! HJ 1259-2022 (危险废物管理计划和管理台账制定技术导则): the management ledger (管理台账) of an
//! enterprise, container by container, at each stage the standard names (production, into
//! store, out of store, own treatment, sent out); the unit's supervision class (分类管理, §4.2),
//! which decides how often it reports (§7.2); and the periodic report (申报, Appendix C) by
//! waste code. Everything is read from the custody projection (`item_history`, `items`,
//! `manifests`) and the log entries themselves: the ledger is derived from the log, never kept
//! beside it. Read-only; who may read is decided by the caller (`access`).
//!
//! Times are the entries' logged times (what the signed checkpoints cover), shown and cut into
//! days, months and years in China Standard Time. Masses are integer grams throughout.
//!
//! Here: the ledger rows (`ledger_rows`, classified by the pure `Hist::stages`); in
//! `period`: classes and reports; in `export`: CSV and XLSX; in `manifest`: the printed
//! transfer manifest's data.

pub mod export;
pub mod manifest;
mod period;

pub use period::{
    class_of, period_report, supervision_class, MethodMass, Period, PeriodKind, PeriodReport, ReportRow, SentTo,
    Supervision, SupervisionClass, YearGeneration, BASIS_YEARS, KEY_SUPERVISION_G, REASON_GENERATION_100T,
    REASON_GENERATION_10T, REASON_OWN_TREATMENT, REASON_PERMIT, REASON_UNDER_10T, SIMPLIFIED_MANAGEMENT_G,
};

use std::collections::HashMap;
use std::rc::Rc;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::crypto::dsse::Envelope;
use crate::domain::{code_enum, PhysicalForm, Refusal, TreatmentMethod, Uscc};
use crate::store::{StoreError, StoreResult};
use crate::time::{cst, rfc3339};

/// Most ledger rows one request may produce; a longer ledger is asked for in shorter periods.
pub const MAX_LEDGER_ROWS: usize = 100_000;

code_enum!(
    /// The stages of HJ 1259 §6.3 (tables B.1 to B.5).
    Stage, "bad_stage", "ledger stage", "台账环节", {
        Production = "production", "产生", "production";
        IntoStore = "into_store", "入库", "into store";
        OutOfStore = "out_of_store", "出库", "out of store";
        OwnTreatment = "own_treatment", "自行利用/处置", "own treatment";
        SentOut = "sent_out", "委外利用/处置", "sent out";
    }
);

impl Stage {
    /// The batch-code prefix HJ 1259 Appendix B suggests for the stage (产生 HWCS, 入库 HWRK,
    /// 出库 HWCK, 自行 HWZX, 委外 HWWW).
    pub fn batch_prefix(self) -> &'static str {
        match self {
            Stage::Production => "HWCS",
            Stage::IntoStore => "HWRK",
            Stage::OutOfStore => "HWCK",
            Stage::OwnTreatment => "HWZX",
            Stage::SentOut => "HWWW",
        }
    }

    /// The HJ 1259 Appendix B table of the stage.
    pub fn table(self) -> &'static str {
        match self {
            Stage::Production => "B.1",
            Stage::IntoStore => "B.2",
            Stage::OutOfStore => "B.3",
            Stage::OwnTreatment => "B.4",
            Stage::SentOut => "B.5",
        }
    }
}

code_enum!(
    /// What happened to the container at a ledger row.
    Movement, "bad_movement", "ledger movement", "台账变动", {
        Generated = "generated", "产生入库", "generated into the store";
        Repacked = "repacked", "合并/分装入库", "repacked into a new container";
        Moved = "moved", "库内移位", "moved within the store";
        Received = "received", "接收入库", "received from a transfer";
        ReleaseLapsed = "release_lapsed", "联单作废退回库存", "back in store: manifest cancelled";
        Released = "released", "放行交运", "released to the transporter";
        RepackedAway = "repacked_away", "合并/分装出库", "repacked into another container";
        TakenForTreatment = "taken_for_treatment", "出库自行利用/处置", "out of store for own treatment";
        Treated = "treated", "自行利用/处置", "treated on site";
        HandedOver = "handed_over", "承运人签收出厂", "taken over by the transporter";
    }
);

// ---------------------------------------------------------------------------------------------
// Times and quantities

/// The UTC instants (as stored) bounding CST days `from..=to`: `[from 00:00, to+1 00:00)` CST.
pub fn utc_bounds(from: NaiveDate, to: NaiveDate) -> (String, String) {
    (start_of_cst_day(from), start_of_cst_day(to.succ_opt().unwrap_or(to)))
}

fn start_of_cst_day(d: NaiveDate) -> String {
    let local = d.and_time(NaiveTime::MIN);
    let t = cst()
        .from_local_datetime(&local)
        .single()
        .expect("CST has no gaps")
        .with_timezone(&Utc);
    rfc3339(t)
}

fn parse_utc(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at).ok().map(|t| t.with_timezone(&Utc))
}

/// A stored UTC time as China Standard Time, `YYYY-MM-DD HH:MM:SS`.
pub fn cst_time(at: &str) -> String {
    parse_utc(at).map_or_else(
        || at.to_owned(),
        |t| t.with_timezone(&cst()).format("%Y-%m-%d %H:%M:%S").to_string(),
    )
}

/// The CST date of a stored UTC time, `YYYYMMDD` (for batch codes).
fn cst_day_digits(at: &str) -> String {
    parse_utc(at).map_or_else(
        || "00000000".to_owned(),
        |t| t.with_timezone(&cst()).format("%Y%m%d").to_string(),
    )
}

/// Grams as kilograms with three decimals, exact (`185500` → `185.500`).
pub fn kg(g: u64) -> String {
    format!("{}.{:03}", g / 1000, g % 1000)
}

/// Signed grams as kilograms with three decimals (`-1500` → `-1.500`).
pub fn kg_signed(g: i64) -> String {
    let sign = if g < 0 { "-" } else { "" };
    format!("{sign}{}", kg(g.unsigned_abs()))
}

/// The batch code of a ledger row: the stage's HJ 1259 prefix, the CST date and the log index
/// of the entry, e.g. `HWRK20261130-118`. One entry is one batch, so the code leads to it.
pub fn batch_code(stage: Stage, at: &str, seq: u64) -> String {
    format!("{}{}-{seq}", stage.batch_prefix(), cst_day_digits(at))
}

/// The form's Chinese name, or the code.
pub fn form_zh(code: &str) -> String {
    PhysicalForm::parse(code).map_or_else(|_| code.to_owned(), |f| f.named().name_zh.to_owned())
}

/// `HW08` for `900-249-08`.
pub fn category_of(waste_code: &str) -> String {
    match waste_code.rsplit('-').next() {
        Some(d) if d.len() == 2 => format!("HW{d}"),
        _ => String::new(),
    }
}

fn bad_period(en: impl Into<String>, zh: impl Into<String>) -> Refusal {
    Refusal::invalid("bad_period", en, zh)
}

/// Refuses a period that ends before it starts.
pub fn check_dates(from: NaiveDate, to: NaiveDate) -> Result<(), Refusal> {
    if from > to {
        return Err(bad_period(
            format!("from ({from}) is after to ({to})"),
            format!("起始日期（{from}）晚于截止日期（{to}）"),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The item history, classified

/// One `item_history` row with what the ledger needs around it.
#[derive(Debug, Clone)]
pub(crate) struct Hist {
    pub item: String,
    pub seq: u64,
    pub at: String,
    pub event: String,
    pub state: String,
    pub holder: String,
    pub mass_g: u64,
    pub treated_g: Option<u64>,
    pub method: Option<String>,
    /// The row just before (state, holder).
    pub prev: Option<(String, String)>,
    /// The last row before with a state other than `released` (state, holder): where the item
    /// was before a pending release.
    pub base: Option<(String, String)>,
    pub created_seq: u64,
    pub generator: String,
    pub waste_code: String,
    pub waste_name: String,
    pub form: String,
    pub hazard_bits: u8,
    pub packaging: String,
}

fn at_rest(state: &str) -> bool {
    state == "stored" || state == "received"
}

impl Hist {
    fn from_row(r: &Row<'_>) -> rusqlite::Result<Hist> {
        let pair = |s: Option<String>, h: Option<String>| s.zip(h);
        Ok(Hist {
            item: r.get(0)?,
            seq: r.get::<_, i64>(1)? as u64,
            at: r.get(2)?,
            event: r.get(3)?,
            state: r.get(4)?,
            holder: r.get(5)?,
            mass_g: r.get::<_, i64>(6)?.max(0) as u64,
            treated_g: r.get::<_, Option<i64>>(7)?.map(|g| g.max(0) as u64),
            method: r.get(8)?,
            prev: pair(r.get(9)?, r.get(10)?),
            base: pair(r.get(11)?, r.get(12)?),
            created_seq: r.get::<_, i64>(13)? as u64,
            generator: r.get(14)?,
            waste_code: r.get(15)?,
            waste_name: r.get(16)?,
            form: r.get(17)?,
            hazard_bits: r.get::<_, i64>(18)? as u8,
            packaging: r.get(19)?,
        })
    }

    /// Was the item at rest in `u`'s store before this row (a pending release aside)?
    fn was_in_store_of(&self, u: &str) -> bool {
        self.base.as_ref().is_some_and(|(s, h)| at_rest(s) && h == u)
    }

    /// The ledger stages this row is for enterprise `u`, with what happened. Pure.
    pub fn stages(&self, u: &str) -> Vec<(Stage, Movement)> {
        let held = self.holder == u;
        let created = self.seq == self.created_seq;
        match self.event.as_str() {
            "generate" if created && held => vec![
                (Stage::Production, Movement::Generated),
                (Stage::IntoStore, Movement::Generated),
            ],
            "consolidate" | "split" if created && held => vec![(Stage::IntoStore, Movement::Repacked)],
            "consolidate" | "split" if held && !at_rest(&self.state) && self.was_in_store_of(u) => {
                vec![(Stage::OutOfStore, Movement::RepackedAway)]
            }
            "store" if held && at_rest(&self.state) => vec![(Stage::IntoStore, Movement::Moved)],
            "receive" if held && at_rest(&self.state) => vec![(Stage::IntoStore, Movement::Received)],
            "manifest_cancel"
                if held && at_rest(&self.state) && self.prev.as_ref().is_some_and(|(s, _)| s == "released") =>
            {
                vec![(Stage::IntoStore, Movement::ReleaseLapsed)]
            }
            "release" if held && self.state == "released" && self.was_in_store_of(u) => {
                vec![(Stage::OutOfStore, Movement::Released)]
            }
            // Treated from U's store: it leaves the store (B.3) and is treated (B.4).
            "treat" if held && self.state == "treated" && self.was_in_store_of(u) => vec![
                (Stage::OutOfStore, Movement::TakenForTreatment),
                (Stage::OwnTreatment, Movement::Treated),
            ],
            "treat" if held && self.state == "treated" => vec![(Stage::OwnTreatment, Movement::Treated)],
            "accept" if !held && self.was_in_store_of(u) => vec![(Stage::SentOut, Movement::HandedOver)],
            _ => Vec::new(),
        }
    }

    /// The quantity of the row at `stage`: the treated mass for own treatment, else the mass
    /// the log holds the item to have after the entry (declared at production, accepted at a
    /// reception).
    fn quantity(&self, stage: Stage) -> u64 {
        match stage {
            Stage::OwnTreatment => self.treated_g.unwrap_or(self.mass_g),
            _ => self.mass_g,
        }
    }
}

const HIST_COLUMNS: &str = "h.item, h.seq, h.at, h.event, h.state, h.holder, h.mass_g, h.treated_g, h.method,
    p.state, p.holder, b.state, b.holder, i.created_seq, i.generator, i.waste_code, i.waste_name, i.form,
    i.hazard_bits, i.packaging";

/// Calls `f` with every history row, logged in `[from_utc, to_utc)`, of the items `u` ever held
/// before `to_utc`, in log order.
fn for_each_hist(
    conn: &Connection,
    u: &str,
    from_utc: &str,
    to_utc: &str,
    mut f: impl FnMut(Hist) -> StoreResult<()>,
) -> StoreResult<()> {
    let sql = format!(
        "SELECT {HIST_COLUMNS}
         FROM item_history h
         JOIN items i ON i.code = h.item
         LEFT JOIN item_history p ON p.item = h.item
              AND p.seq = (SELECT MAX(q.seq) FROM item_history q WHERE q.item = h.item AND q.seq < h.seq)
         LEFT JOIN item_history b ON b.item = h.item
              AND b.seq = (SELECT MAX(q.seq) FROM item_history q
                           WHERE q.item = h.item AND q.seq < h.seq AND q.state != 'released')
         WHERE h.item IN (SELECT item FROM item_history WHERE holder = ?1 AND at < ?3)
           AND h.at >= ?2 AND h.at < ?3
         ORDER BY h.seq, h.item"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![u, from_utc, to_utc])?;
    while let Some(r) = rows.next()? {
        f(Hist::from_row(r)?)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Log entries, as the ledger reads them

/// What the ledger reads from an event entry: the signed event's members it shows.
#[derive(Debug, Clone, Default)]
pub(crate) struct Logged {
    pub kind: String,
    pub actor: String,
    pub device: String,
    /// The device's signed time (RFC 3339 with its offset).
    pub device_at: String,
    pub manifest: Option<String>,
    pub to: Option<String>,
    pub payload: Value,
    /// Key IDs of the envelope's signatures, in order.
    pub key_ids: Vec<String>,
    /// The items the entry's labels create, in order.
    pub created: Vec<String>,
}

impl Logged {
    /// `USCC/device`: the device key that signed the event for its actor.
    pub fn signer(&self) -> String {
        format!("{}/{}", self.actor, self.device)
    }

    /// The generate body that created `item`: a `generate` event itself, a `consolidate`'s
    /// output, a `split`'s output at the item's position.
    pub fn generate_body(&self, item: &str) -> Option<&Value> {
        let p = &self.payload;
        match self.kind.as_str() {
            "generate" => Some(p),
            "consolidate" => p.get("output"),
            "split" => {
                let at = self.created.iter().position(|c| c == item)?;
                p.get("outputs").and_then(|o| o.get(at))
            }
            _ => None,
        }
    }

    /// The storage place the event gives `item`: a `store`, or the generate body that created
    /// it.
    pub fn storage_place(&self, item: &str) -> Option<String> {
        let place = match self.kind.as_str() {
            "store" => self.payload.get("storage_place"),
            _ => self.generate_body(item).and_then(|b| b.get("storage_place")),
        };
        place.and_then(Value::as_str).map(str::to_owned)
    }
}

fn corrupt_entry(seq: u64, why: &str) -> StoreError {
    StoreError::Other(format!("log entry {seq}: {why}"))
}

fn label_item(b64: &str) -> Option<String> {
    let bytes = data_encoding::BASE64.decode(b64.as_bytes()).ok()?;
    let (payload, _) = crate::crypto::label::parse_label_bytes(&bytes).ok()?;
    Some(payload.item_code_str().to_owned())
}

/// Parses an event entry's bytes.
pub(crate) fn parse_logged(seq: u64, bytes: &[u8]) -> StoreResult<Logged> {
    let entry: Value = serde_json::from_slice(bytes).map_err(|_| corrupt_entry(seq, "not JSON"))?;
    let envelope = entry
        .get("envelope")
        .cloned()
        .ok_or_else(|| corrupt_entry(seq, "no envelope"))?;
    let envelope: Envelope = serde_json::from_value(envelope).map_err(|_| corrupt_entry(seq, "bad envelope"))?;
    let payload = envelope
        .payload_bytes()
        .map_err(|_| corrupt_entry(seq, "bad payload"))?;
    let payload: Value = serde_json::from_slice(&payload).map_err(|_| corrupt_entry(seq, "payload not JSON"))?;
    let created = entry
        .get("label")
        .and_then(Value::as_str)
        .into_iter()
        .chain(
            entry
                .get("labels")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str),
        )
        .filter_map(label_item)
        .collect();
    let get = |k: &str| payload.get(k).and_then(Value::as_str).map(str::to_owned);
    let manifest = entry
        .get("manifest")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| get("manifest"));
    Ok(Logged {
        kind: get("type").unwrap_or_default(),
        actor: get("actor").unwrap_or_default(),
        device: get("device").unwrap_or_default(),
        device_at: get("at").unwrap_or_default(),
        manifest,
        to: get("to"),
        key_ids: envelope.signatures.iter().map(|s| s.keyid.clone()).collect(),
        created,
        payload,
    })
}

/// Reads for the ledger, with what it looks up more than once kept at hand.
pub(crate) struct Lookup<'c> {
    conn: &'c Connection,
    entries: HashMap<u64, Rc<Logged>>,
    names: HashMap<String, String>,
    catalogue: HashMap<String, String>,
    manifests: HashMap<String, Option<(String, String)>>,
}

impl<'c> Lookup<'c> {
    pub fn new(conn: &'c Connection) -> Lookup<'c> {
        Lookup {
            conn,
            entries: HashMap::new(),
            names: HashMap::new(),
            catalogue: HashMap::new(),
            manifests: HashMap::new(),
        }
    }

    pub fn entry(&mut self, seq: u64) -> StoreResult<Rc<Logged>> {
        if let Some(e) = self.entries.get(&seq) {
            return Ok(e.clone());
        }
        let bytes: Vec<u8> = self
            .conn
            .prepare_cached("SELECT bytes FROM log_entries WHERE seq = ?1")?
            .query_row([seq as i64], |r| r.get(0))
            .optional()?
            .ok_or_else(|| corrupt_entry(seq, "missing"))?;
        let e = Rc::new(parse_logged(seq, &bytes)?);
        self.entries.insert(seq, e.clone());
        Ok(e)
    }

    /// The enterprise's Chinese name ("" if unknown).
    pub fn name(&mut self, uscc: &str) -> StoreResult<String> {
        if let Some(n) = self.names.get(uscc) {
            return Ok(n.clone());
        }
        let n: String = self
            .conn
            .prepare_cached("SELECT name_zh FROM enterprises WHERE uscc = ?1")?
            .query_row([uscc], |r| r.get(0))
            .optional()?
            .unwrap_or_default();
        self.names.insert(uscc.to_owned(), n.clone());
        Ok(n)
    }

    /// The code's name in the active national list ("" if the code is not in it).
    pub fn catalogue_name(&mut self, code: &str) -> StoreResult<String> {
        if let Some(n) = self.catalogue.get(code) {
            return Ok(n.clone());
        }
        let n: String = self
            .conn
            .prepare_cached(
                "SELECT e.description FROM catalogue_entries e
                 JOIN catalogue_versions v ON v.version = e.version AND v.active = 1
                 WHERE e.code = ?1",
            )?
            .query_row([code], |r| r.get(0))
            .optional()?
            .unwrap_or_default();
        self.catalogue.insert(code.to_owned(), n.clone());
        Ok(n)
    }

    /// A manifest's issuer and receiver.
    pub fn manifest_parties(&mut self, number: &str) -> StoreResult<Option<(String, String)>> {
        if let Some(m) = self.manifests.get(number) {
            return Ok(m.clone());
        }
        let m: Option<(String, String)> = self
            .conn
            .prepare_cached("SELECT issuer, receiver FROM manifests WHERE number = ?1")?
            .query_row([number], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        self.manifests.insert(number.to_owned(), m.clone());
        Ok(m)
    }

    /// The receiving unit's kind, after its registered roles.
    pub fn receiver_kind(&mut self, uscc: &str, generator: &str) -> StoreResult<&'static str> {
        if uscc == generator {
            return Ok("generator");
        }
        let roles: Vec<String> = self
            .conn
            .prepare_cached("SELECT role FROM enterprise_roles WHERE uscc = ?1")?
            .query_map([uscc], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(if roles.iter().any(|r| r == "facility") {
            "facility"
        } else if roles.iter().any(|r| r == "collection_point") {
            "collection_point"
        } else {
            "other"
        })
    }

    /// The permit of `holder` valid on `day` (YYYY-MM-DD), the latest issued first.
    pub fn permit_on(&self, holder: &str, day: &str) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT number FROM permits WHERE holder = ?1 AND valid_from <= ?2 AND valid_until >= ?2
                 ORDER BY valid_from DESC, number LIMIT 1",
            )?
            .query_row([holder, day], |r| r.get(0))
            .optional()?)
    }

    /// The latest history row of `item` before `seq`, held by `holder` when given, matching
    /// `condition` (SQL over `event` and `state`): `(seq, at, event)`.
    fn latest_before(
        &self,
        item: &str,
        seq: u64,
        holder: Option<&str>,
        condition: &str,
    ) -> StoreResult<Option<(u64, String, String)>> {
        let sql = format!(
            "SELECT seq, at, event FROM item_history
             WHERE item = ?1 AND seq < ?2 AND (?3 IS NULL OR holder = ?3) AND ({condition})
             ORDER BY seq DESC LIMIT 1"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![item, seq as i64, holder], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?))
            })
            .optional()?)
    }

    /// The first history row of `item` after `seq` matching `condition`: `(seq, at, event)`.
    fn first_after(&self, item: &str, seq: u64, condition: &str) -> StoreResult<Option<(u64, String, String)>> {
        let sql = format!(
            "SELECT seq, at, event FROM item_history WHERE item = ?1 AND seq > ?2 AND ({condition})
             ORDER BY seq LIMIT 1"
        );
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row(params![item, seq as i64], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?))
            })
            .optional()?)
    }

    /// The first treatment method recorded for `item` after `seq`.
    fn method_after(&self, item: &str, seq: u64) -> StoreResult<Option<String>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT method FROM item_history WHERE item = ?1 AND seq > ?2 AND event = 'treat'
                 AND method IS NOT NULL ORDER BY seq LIMIT 1",
            )?
            .query_row(params![item, seq as i64], |r| r.get(0))
            .optional()?)
    }
}

/// Into-store rows, as SQL over an `item_history` row.
const INTO_STORE_SQL: &str =
    "state IN ('stored', 'received') AND event IN ('generate', 'store', 'receive', 'consolidate', 'split')";

// ---------------------------------------------------------------------------------------------
// The ledger

/// One row of the HJ 1259 ledger: one container at one stage, from one log entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerRow {
    /// `production`, `into_store`, `out_of_store`, `own_treatment` or `sent_out`.
    #[schema(value_type = String)]
    pub stage: Stage,
    /// What happened: `generated`, `repacked`, `moved`, `received`, `release_lapsed`,
    /// `released`, `repacked_away`, `treated`, `handed_over`.
    #[schema(value_type = String)]
    pub movement: Movement,
    /// Batch code (批次编码): stage prefix, CST date, log index, e.g. `HWRK20261130-118`.
    pub batch: String,
    /// Log index of the entry (日志序号).
    pub seq: u64,
    /// The entry's logged time, RFC 3339 UTC.
    pub at: String,
    /// The same in China Standard Time, `YYYY-MM-DD HH:MM:SS`.
    pub time_cst: String,
    /// The item code (容器/包装编码).
    pub item: String,
    /// Container or packaging (容器/包装类型).
    pub packaging: String,
    /// The unit's own name of the waste (行业俗称/单位内部名称).
    pub waste_name: String,
    /// The name in the national list (国家危险废物名录名称), "" if not listed.
    pub catalogue_name: String,
    /// `HW08`.
    pub category: String,
    pub waste_code: String,
    /// The quantity at this stage, in grams.
    pub mass_g: u64,
    /// Storage place (贮存场所) the container went to, or left from; hwtrace uses its text as
    /// the storage facility's code (贮存设施编码).
    pub storage_place: Option<String>,
    /// The storage facility's type after GB 18597 (贮存设施类型: 贮存库, 贮存场, 贮存池,
    /// 贮存罐区), read from the storage place's name; null when the name does not say.
    pub storage_type: Option<String>,
    /// The facility code (设施编码): for production (B.1) the code the generate body declared
    /// (`facility_code`), for a residue without one, and for own treatment (B.4), the
    /// licensed treatment line `<permit>/<method>`.
    pub facility_code: Option<String>,
    /// The device key that signed the entry, `USCC/device` (经办人).
    pub signer: String,
    /// 运送部门经办人 (B.2, B.3): who moved the container: at a reception the last carrier's
    /// device that declared it at the gate, at a release the carrier's device that accepted
    /// it, else the entry's own signer.
    pub transport_signer: Option<String>,
    /// The other party: the source of a reception (移出人), the receiver of a release or of
    /// what was sent out (接收单位).
    pub counterpart: Option<String>,
    pub counterpart_name: Option<String>,
    /// For what was sent out: `facility`, `collection_point`, `generator` (a return) or `other`.
    pub counterpart_kind: Option<String>,
    /// The transporter that took or brought the container.
    pub carrier: Option<String>,
    pub carrier_name: Option<String>,
    /// Transfer manifest number (转移联单号).
    pub manifest: Option<String>,
    /// Treatment method: own treatment, or what the receiver recorded later for what was sent
    /// out (`incineration`, ...).
    pub method: Option<String>,
    /// The receiver's permit valid on the day (许可证编码), for what was sent out.
    pub permit: Option<String>,
    /// The batch this row follows: production for into-store, into-store for out-of-store and
    /// own treatment, out-of-store for sent out.
    pub source_batch: Option<String>,
}

impl LedgerRow {
    /// 去向/来源 in Chinese.
    pub fn direction_zh(&self) -> String {
        let party = |u: &Option<String>, n: &Option<String>| match (u, n) {
            (Some(u), Some(n)) if !n.is_empty() => format!("{n}（{u}）"),
            (Some(u), _) => u.clone(),
            _ => String::new(),
        };
        let place = self.storage_place.as_deref().unwrap_or("");
        match self.movement {
            Movement::Generated => format!("贮存：{place}"),
            Movement::Repacked => format!("合并/分装入库：{place}"),
            Movement::Moved => format!("库内移位至：{place}"),
            Movement::Received => format!("来源：{}", party(&self.counterpart, &self.counterpart_name)),
            Movement::ReleaseLapsed => "联单作废，退回库存".to_owned(),
            Movement::Released | Movement::HandedOver => format!(
                "承运：{}；接收：{}",
                party(&self.carrier, &self.carrier_name),
                party(&self.counterpart, &self.counterpart_name)
            ),
            Movement::RepackedAway => "合并/分装为新容器".to_owned(),
            Movement::TakenForTreatment | Movement::Treated => format!(
                "自行{}",
                self.method
                    .as_deref()
                    .and_then(|m| TreatmentMethod::parse(m).ok())
                    .map_or("利用/处置", |m| m.named().name_zh)
            ),
        }
    }

    /// Destination or source in English.
    pub fn direction_en(&self) -> String {
        let party = |u: &Option<String>| u.clone().unwrap_or_default();
        let place = self.storage_place.as_deref().unwrap_or("");
        match self.movement {
            Movement::Generated => format!("stored at {place}"),
            Movement::Repacked => format!("repacked, stored at {place}"),
            Movement::Moved => format!("moved to {place}"),
            Movement::Received => format!("from {}", party(&self.counterpart)),
            Movement::ReleaseLapsed => "manifest cancelled, back in store".to_owned(),
            Movement::Released | Movement::HandedOver => format!(
                "carrier {}; receiver {}",
                party(&self.carrier),
                party(&self.counterpart)
            ),
            Movement::RepackedAway => "repacked into a new container".to_owned(),
            Movement::TakenForTreatment | Movement::Treated => {
                format!("treated on site: {}", self.method.as_deref().unwrap_or(""))
            }
        }
    }
}

/// The HJ 1259 ledger of `uscc` for the CST days `from..=to`, at one stage or all: one row per
/// container and stage, in log order, and within an entry by stage (production before
/// into-store) and item code.
/// Refused (`ledger_too_large`) beyond [`MAX_LEDGER_ROWS`] rows.
pub fn ledger_rows(
    conn: &Connection,
    uscc: &Uscc,
    from: NaiveDate,
    to: NaiveDate,
    stage: Option<Stage>,
) -> StoreResult<Vec<LedgerRow>> {
    check_dates(from, to)?;
    let u = uscc.as_str();
    let (from_utc, to_utc) = utc_bounds(from, to);
    let mut hits: Vec<(Hist, Stage, Movement)> = Vec::new();
    for_each_hist(conn, u, &from_utc, &to_utc, |h| {
        for (s, m) in h.stages(u) {
            if stage.is_none_or(|want| want == s) {
                if hits.len() == MAX_LEDGER_ROWS {
                    return Err(too_large().into());
                }
                hits.push((h.clone(), s, m));
            }
        }
        Ok(())
    })?;
    // Within one entry: by stage, then by container.
    hits.sort_by(|(a, sa, _), (b, sb, _)| (a.seq, sa, &a.item).cmp(&(b.seq, sb, &b.item)));
    let mut look = Lookup::new(conn);
    hits.iter()
        .map(|(h, s, m)| ledger_row(&mut look, u, h, *s, *m))
        .collect()
}

fn too_large() -> Refusal {
    Refusal::new(
        crate::domain::RefusalKind::Limit,
        "ledger_too_large",
        format!("the ledger has more than {MAX_LEDGER_ROWS} rows; ask for a shorter period or one stage"),
        format!("台账超过{MAX_LEDGER_ROWS}行，请缩短期间或只导出一个环节"),
    )
}

fn ledger_row(look: &mut Lookup<'_>, u: &str, h: &Hist, stage: Stage, movement: Movement) -> StoreResult<LedgerRow> {
    let entry = look.entry(h.seq)?;
    let mut row = LedgerRow {
        stage,
        movement,
        batch: batch_code(stage, &h.at, h.seq),
        seq: h.seq,
        at: h.at.clone(),
        time_cst: cst_time(&h.at),
        item: h.item.clone(),
        packaging: h.packaging.clone(),
        waste_name: h.waste_name.clone(),
        catalogue_name: look.catalogue_name(&h.waste_code)?,
        category: category_of(&h.waste_code),
        waste_code: h.waste_code.clone(),
        mass_g: h.quantity(stage),
        storage_place: None,
        storage_type: None,
        facility_code: None,
        signer: entry.signer(),
        transport_signer: None,
        counterpart: None,
        counterpart_name: None,
        counterpart_kind: None,
        carrier: None,
        carrier_name: None,
        manifest: None,
        method: None,
        permit: None,
        source_batch: None,
    };
    match movement {
        Movement::Generated | Movement::Repacked | Movement::Moved => {
            row.storage_place = entry.storage_place(&h.item);
            row.transport_signer = Some(entry.signer());
            if stage == Stage::Production {
                row.facility_code = production_facility(look, &entry, h)?;
            }
            if stage == Stage::IntoStore && movement == Movement::Generated {
                row.source_batch = Some(batch_code(Stage::Production, &h.at, h.seq));
            }
        }
        Movement::Received => {
            // The reception ends the transfer the last `arrive` declared.
            if let Some((arrive, _, _)) = look.latest_before(&h.item, h.seq, None, "event = 'arrive'")? {
                let arrived = look.entry(arrive)?;
                row.carrier = Some(arrived.actor.clone());
                row.transport_signer = Some(arrived.signer());
                row.manifest = arrived.manifest.clone();
                if let Some((issuer, _)) = arrived
                    .manifest
                    .as_deref()
                    .map(|m| look.manifest_parties(m))
                    .transpose()?
                    .flatten()
                {
                    row.counterpart = Some(issuer);
                }
            }
        }
        Movement::ReleaseLapsed => row.manifest = entry.manifest.clone(),
        Movement::Released | Movement::HandedOver => {
            row.manifest = entry.manifest.clone();
            row.carrier = Some(if movement == Movement::Released {
                entry.to.clone().unwrap_or_default()
            } else {
                h.holder.clone()
            });
            if let Some((_, receiver)) = entry
                .manifest
                .as_deref()
                .map(|m| look.manifest_parties(m))
                .transpose()?
                .flatten()
            {
                row.counterpart_kind = Some(look.receiver_kind(&receiver, &h.generator)?.to_owned());
                row.counterpart = Some(receiver);
            }
        }
        Movement::RepackedAway | Movement::TakenForTreatment | Movement::Treated => {
            row.transport_signer = Some(entry.signer());
        }
    }
    if movement == Movement::Released {
        // The carrier's device that took it over under the same manifest.
        if let Some((accept, _, _)) = look.first_after(&h.item, h.seq, "event = 'accept'")? {
            let accepted = look.entry(accept)?;
            if accepted.manifest == entry.manifest {
                row.transport_signer = Some(accepted.signer());
            }
        }
    }
    match stage {
        Stage::OutOfStore | Stage::OwnTreatment => {
            if let Some((seq, at, event)) = look.latest_before(&h.item, h.seq, Some(u), INTO_STORE_SQL)? {
                row.source_batch = Some(batch_code(Stage::IntoStore, &at, seq));
                let into = look.entry(seq)?;
                if event != "receive" {
                    row.storage_place = into.storage_place(&h.item);
                }
            }
            if movement == Movement::TakenForTreatment {
                row.method = h.method.clone();
            }
            if stage == Stage::OwnTreatment {
                row.method = h.method.clone();
                row.facility_code = treatment_line(look, u, &h.at, h.method.as_deref())?;
                // B.4 names the out-of-store batch it follows (产生批次编码/出库批次编码).
                if h.was_in_store_of(u) {
                    row.source_batch = Some(batch_code(Stage::OutOfStore, &h.at, h.seq));
                }
            }
        }
        Stage::SentOut => {
            if let Some((seq, at, _)) = look.latest_before(&h.item, h.seq, Some(u), "event = 'release'")? {
                row.source_batch = Some(batch_code(Stage::OutOfStore, &at, seq));
            }
            row.method = look.method_after(&h.item, h.seq)?;
            if let Some(receiver) = row.counterpart.clone() {
                let day = cst_time(&h.at)[..10].to_owned();
                row.permit = look.permit_on(&receiver, &day)?;
            }
        }
        Stage::Production | Stage::IntoStore => {}
    }
    if let Some(c) = row.counterpart.clone() {
        row.counterpart_name = Some(look.name(&c)?);
    }
    row.storage_type = row.storage_place.as_deref().and_then(storage_type).map(str::to_owned);
    if let Some(c) = row.carrier.clone() {
        row.carrier_name = Some(look.name(&c)?);
    }
    Ok(row)
}

/// The storage facility type of GB 18597 a storage place's name says (贮存库, 贮存场, 贮存池,
/// 贮存罐区), or None. Pure.
pub fn storage_type(place: &str) -> Option<&'static str> {
    if place.contains('罐') {
        Some("贮存罐区")
    } else if place.contains('池') {
        Some("贮存池")
    } else if place.contains('场') || place.contains("堆放区") {
        Some("贮存场")
    } else if ['库', '间', '仓', '房', '室', '区'].iter().any(|c| place.contains(*c)) {
        Some("贮存库")
    } else {
        None
    }
}

/// B.1's facility code: the generate body's declared `facility_code`; for a residue without
/// one, the treatment line that made it (`<permit>/<method>` of its first input's treatment).
fn production_facility(look: &mut Lookup<'_>, entry: &Logged, h: &Hist) -> StoreResult<Option<String>> {
    let declared = entry
        .generate_body(&h.item)
        .and_then(|b| b.get("facility_code"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    if declared.is_some() {
        return Ok(declared);
    }
    let first_input = entry
        .payload
        .get("inputs")
        .and_then(Value::as_array)
        .and_then(|i| i.first())
        .and_then(Value::as_str)
        .filter(|_| entry.kind == "generate");
    match first_input {
        Some(input) => {
            let method = look.method_after(input, 0)?;
            treatment_line(look, &h.holder, &h.at, method.as_deref())
        }
        None => Ok(None),
    }
}

/// The licensed treatment line of `u` on the CST day of `at`: `<permit>/<method>`.
fn treatment_line(look: &mut Lookup<'_>, u: &str, at: &str, method: Option<&str>) -> StoreResult<Option<String>> {
    let day = cst_time(at)[..10].to_owned();
    Ok(match (look.permit_on(u, &day)?, method) {
        (Some(permit), Some(m)) => Some(format!("{permit}/{m}")),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn cst_days_start_at_16_00_utc_the_day_before() {
        assert_eq!(
            utc_bounds(d("2026-03-01"), d("2026-03-31")),
            ("2026-02-28T16:00:00Z".to_owned(), "2026-03-31T16:00:00Z".to_owned())
        );
        assert_eq!(cst_time("2026-11-30T16:30:00Z"), "2026-12-01 00:30:00");
        assert_eq!(
            batch_code(Stage::IntoStore, "2026-11-30T16:30:00Z", 118),
            "HWRK20261201-118"
        );
        assert_eq!(
            check_dates(d("2026-02-01"), d("2026-01-31")).unwrap_err().code,
            "bad_period"
        );
    }

    #[test]
    fn storage_types_follow_the_places_names() {
        assert_eq!(storage_type("危险废物贮存库"), Some("贮存库"));
        assert_eq!(storage_type("危废暂存间B"), Some("贮存库"));
        assert_eq!(storage_type("废酸储罐T-3"), Some("贮存罐区"));
        assert_eq!(storage_type("废液收集池"), Some("贮存池"));
        assert_eq!(storage_type("炉渣堆放场"), Some("贮存场"));
        assert_eq!(storage_type("北门"), None);
    }

    #[test]
    fn masses_format_from_integers() {
        assert_eq!(kg(185_500), "185.500");
        assert_eq!(kg(7), "0.007");
        assert_eq!(kg_signed(-1_500), "-1.500");
        assert_eq!(category_of("900-249-08"), "HW08");
    }

    fn hist(event: &str, state: &str, holder: &str, base: Option<(&str, &str)>) -> Hist {
        Hist {
            item: "I".into(),
            seq: 9,
            at: "2026-01-01T00:00:00Z".into(),
            event: event.into(),
            state: state.into(),
            holder: holder.into(),
            mass_g: 10,
            treated_g: None,
            method: None,
            prev: base.map(|(s, h)| (s.to_owned(), h.to_owned())),
            base: base.map(|(s, h)| (s.to_owned(), h.to_owned())),
            created_seq: 1,
            generator: "G".into(),
            waste_code: "900-249-08".into(),
            waste_name: "废矿物油".into(),
            form: "liquid".into(),
            hazard_bits: 1,
            packaging: "桶".into(),
        }
    }

    #[test]
    fn each_entry_is_classified_from_the_ledger_keepers_side() {
        let g = |e, s, h, b| hist(e, s, h, b).stages("G");
        let generated = Hist {
            created_seq: 9,
            ..hist("generate", "stored", "G", None)
        };
        assert_eq!(
            generated.stages("G"),
            [
                (Stage::Production, Movement::Generated),
                (Stage::IntoStore, Movement::Generated)
            ]
        );
        assert!(generated.stages("T").is_empty());
        assert_eq!(
            g("release", "released", "G", Some(("stored", "G"))),
            [(Stage::OutOfStore, Movement::Released)]
        );
        // A carrier's release to the next transporter is no one's out-of-store.
        assert!(hist("release", "released", "T", Some(("in_transit", "T")))
            .stages("T")
            .is_empty());
        assert_eq!(
            g("accept", "in_transit", "T", Some(("stored", "G"))),
            [(Stage::SentOut, Movement::HandedOver)]
        );
        assert!(hist("accept", "in_transit", "T2", Some(("in_transit", "T")))
            .stages("T")
            .is_empty());
        assert_eq!(
            hist("receive", "received", "F", Some(("arrived", "T"))).stages("F"),
            [(Stage::IntoStore, Movement::Received)]
        );
        assert!(hist("receive", "refused", "T", Some(("arrived", "T")))
            .stages("F")
            .is_empty());
        // Treated from the store: out of the store (B.3) and own treatment (B.4).
        assert_eq!(
            hist("treat", "treated", "F", Some(("received", "F"))).stages("F"),
            [
                (Stage::OutOfStore, Movement::TakenForTreatment),
                (Stage::OwnTreatment, Movement::Treated)
            ]
        );
        assert_eq!(
            g("store", "stored", "G", Some(("stored", "G"))),
            [(Stage::IntoStore, Movement::Moved)]
        );
        assert_eq!(
            g("manifest_cancel", "stored", "G", Some(("released", "G"))),
            [(Stage::IntoStore, Movement::ReleaseLapsed)]
        );
        assert!(g("manifest_cancel", "stored", "G", Some(("stored", "G"))).is_empty());
        assert_eq!(
            hist("consolidate", "consolidated", "C", Some(("received", "C"))).stages("C"),
            [(Stage::OutOfStore, Movement::RepackedAway)]
        );
        assert!(g("weigh", "stored", "G", Some(("stored", "G"))).is_empty());
    }
}
