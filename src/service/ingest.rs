//! Taking in signed custody events: check the envelope and the event (in parallel, off the
//! writer), then apply it in a writer job (key still in force, nonce unused, custody rules),
//! append it to the log, and answer with its index, the checkpoint that covers it and an
//! inclusion proof, once the batch holding it is durable.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use data_encoding::BASE64;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use utoipa::ToSchema;

use crate::crypto::dsse::Envelope;
use crate::crypto::keys::KeyId;
use crate::crypto::label::{self, LabelPayload};
use crate::crypto::merkle::{hash_to_b64, inclusion_proof};
use crate::domain::custody::{self, Context, Effect, Facts, ItemState, DEFAULT_TOLERANCE_PPT};
use crate::domain::event::{check_signers, parse_event, Event, EventBody, Generate, ManifestOpen};
use crate::domain::{
    Catalogue, EnterpriseRole, Grams, HazardSet, ItemCode, ManifestNo, PhysicalForm, Plate, Refusal, RefusalKind,
    TreatmentMethod, Uscc, WasteCode,
};
use crate::log::keyring::{device_keys_by_id, DeviceKey};
use crate::log::{DbNodes, Log, Member};
use crate::service::alerts;
use crate::service::approvals;
use crate::service::AppState;
use crate::store::projection::{self, ManifestExtra};
use crate::store::{StoreError, StoreResult};
use crate::time::{cst_date, rfc3339};

/// How far ahead of the server's clock a device's clock may be.
pub const MAX_CLOCK_AHEAD_MIN: i64 = 10;
/// How long after filling a container its `generate` may still be accepted (offline devices),
/// or the offline window if that is longer.
pub const MAX_GENERATE_DELAY_DAYS: i64 = 30;
/// How long a device may stay offline by default: an event whose `at` is older is refused
/// (`event_too_old`); `Config::offline_window_days` sets it.
pub const DEFAULT_OFFLINE_WINDOW_DAYS: i64 = 7;
/// Most envelopes in one batch request.
pub const MAX_BATCH_EVENTS: usize = 1000;

/// An envelope whose signatures and event checked out, ready for the writer.
pub struct Checked {
    pub envelope: Envelope,
    pub event: Event,
    /// The signing device key (the actor's device).
    pub signer: KeyId,
    /// Every verified signature's key with its owner and device (the actor's among them;
    /// co-signers of a correction besides).
    pub signers: Vec<(KeyId, String, String)>,
    /// The enterprises whose device keys signed, the actor first, without repeats.
    pub signed_by: Vec<Uscc>,
}

fn envelope_refusal(e: crate::crypto::dsse::DsseError) -> Refusal {
    let kind = if e.code() == "unknown_key" {
        RefusalKind::Forbidden
    } else {
        RefusalKind::Invalid
    };
    Refusal::new(
        kind,
        e.code(),
        format!("envelope refused: {e}"),
        format!("签名信封被拒绝：{e}"),
    )
}

/// Checks an envelope against the device keys in force and parses its event; then who signed
/// it (only the parties it names, [`check_signers`]) and its time against the server's clock
/// and the offline window. Pure apart from the key lookup results passed in as `keys`. What
/// it refuses is not logged and does not use the nonce.
pub fn check(
    envelope: Envelope,
    catalogue: &Catalogue,
    keys: &HashMap<KeyId, Vec<DeviceKey>>,
    server_now: DateTime<Utc>,
    offline_window: Duration,
) -> Result<Checked, Refusal> {
    let payload = envelope.payload_bytes().map_err(envelope_refusal)?;
    let event = parse_event(&payload, catalogue)?;
    let actor = event.common.actor.as_str();
    let device = event.common.device.as_str();
    // The key each signature names: when two keys share a 4-byte ID, prefer the actor's own
    // device key still in force.
    let choose = |id: KeyId| -> Option<&DeviceKey> {
        let candidates = keys.get(&id)?;
        candidates
            .iter()
            .find(|k| !k.revoked && k.owner == actor && k.device == device)
            .or(candidates.first())
    };
    envelope
        .verify(|id| choose(id).map(|k| k.public_key))
        .map_err(envelope_refusal)?;
    let signers: Vec<(KeyId, &DeviceKey)> = envelope
        .signatures
        .iter()
        .filter_map(|s| KeyId::parse_hex(&s.keyid).ok())
        .filter_map(|id| choose(id).map(|k| (id, k)))
        .collect();
    if let Some((_, k)) = signers.iter().find(|(_, k)| k.revoked) {
        return Err(Refusal::forbidden(
            "key_revoked",
            format!(
                "the key of device {}/{} was revoked; events it signs are refused",
                k.owner, k.device
            ),
            format!("设备{}/{}的密钥已被吊销，其签名的事件不予接受", k.owner, k.device),
        ));
    }
    let signer = signers
        .iter()
        .find(|(_, k)| k.owner == actor && k.device == device)
        .map(|(id, _)| *id)
        .ok_or_else(|| {
            Refusal::forbidden(
                "signer_mismatch",
                format!("the event names {actor}/{device} but is not signed by that device's key"),
                format!("事件声明的设备{actor}/{device}与签名密钥不符"),
            )
        })?;
    let names: Vec<String> = signers
        .iter()
        .map(|(_, k)| format!("{}/{}", k.owner, k.device))
        .collect();
    check_signers(&event, names.iter().map(String::as_str))?;
    check_time(&event, server_now, offline_window)?;
    let mut signed_by = vec![event.common.actor.clone()];
    for (_, k) in &signers {
        if let Ok(owner) = Uscc::parse(&k.owner) {
            if !signed_by.contains(&owner) {
                signed_by.push(owner);
            }
        }
    }
    let signers = signers
        .iter()
        .map(|(id, k)| (*id, k.owner.clone(), k.device.clone()))
        .collect();
    Ok(Checked {
        envelope,
        event,
        signer,
        signers,
        signed_by,
    })
}

/// Times the server's clock alone can judge: not more than [`MAX_CLOCK_AHEAD_MIN`] ahead of
/// it, not older than the offline window (for `generate`, [`MAX_GENERATE_DELAY_DAYS`] or the
/// window if longer). Whether an event comes after the latest of its items' is the custody
/// rules' check (`event_out_of_order`), in the writer.
fn check_time(event: &Event, server_now: DateTime<Utc>, offline_window: Duration) -> Result<(), Refusal> {
    let at = event.common.at.with_timezone(&Utc);
    if at > server_now + Duration::minutes(MAX_CLOCK_AHEAD_MIN) {
        return Err(Refusal::invalid(
            "event_in_future",
            format!(
                "the event's time {} is ahead of the server's clock; check the device's clock",
                event.common.at
            ),
            format!("事件时间{}晚于服务器时间，请检查设备时钟", event.common.at),
        ));
    }
    if matches!(event.body, EventBody::Generate(_)) {
        let window = offline_window.max(Duration::days(MAX_GENERATE_DELAY_DAYS));
        if at < server_now - window {
            let days = window.num_days();
            return Err(Refusal::invalid(
                "event_too_old",
                format!("a container must be registered within {days} days of filling"),
                format!("容器应在装入废物后{days}天内登记"),
            ));
        }
    } else if at < server_now - offline_window {
        let days = offline_window.num_days();
        return Err(Refusal::invalid(
            "event_too_old",
            format!(
                "the event's time {} is more than {days} days before the server's clock: a device may stay offline \
                 that long at most; check the device's clock",
                event.common.at
            ),
            format!(
                "事件时间{}早于服务器时间{days}天以上，超出设备离线期限，请检查设备时钟",
                event.common.at
            ),
        ));
    }
    Ok(())
}

/// The answer to an accepted event.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Receipt {
    /// The entry's index in the log.
    pub index: u64,
    /// The (first) item the event created: for `generate` and `consolidate`, the new item; for
    /// `split`, the first output; for a partial `receive`, the refused part.
    pub item_code: Option<String>,
    /// The manifest number the server assigned (for `manifest_open`).
    pub manifest_no: Option<String>,
    /// The entry's exact bytes.
    pub entry: String,
    /// Lower-case hex leaf hash of the entry.
    pub leaf_hash: String,
    /// The signed checkpoint that includes the entry.
    pub checkpoint: String,
    pub inclusion_proof: InclusionProof,
    /// The signed label of `item_code`.
    pub label: Option<IssuedLabel>,
    /// Every item the event created with its signed label, in order (one for `generate` and
    /// `consolidate`, one per output for `split`, the refused part for a partial `receive`).
    pub created: Vec<CreatedItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedItem {
    pub item_code: String,
    pub label: IssuedLabel,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    pub hashes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuedLabel {
    /// The QR text (SPEC §3.3).
    pub qr_text: String,
    /// Standard base64 of the 124 bytes `payload || sig`.
    pub b64: String,
}

/// What a writer job produced.
struct Applied {
    seq: u64,
    leaf_hash: [u8; 32],
    entry: String,
    manifest_no: Option<String>,
    created: Vec<CreatedItem>,
}

/// What the writer needs of the deployment's settings.
#[derive(Clone)]
struct Settings {
    base_url: String,
    province: String,
    city: String,
    calendar: std::sync::Arc<crate::domain::calendar::WorkCalendar>,
    transit: Duration,
}

/// Reads the device keys named by the envelope's signatures.
fn lookup_keys(conn: &Connection, envelope: &Envelope) -> StoreResult<HashMap<KeyId, Vec<DeviceKey>>> {
    let mut keys = HashMap::new();
    for s in &envelope.signatures {
        if let Ok(id) = KeyId::parse_hex(&s.keyid) {
            keys.insert(id, device_keys_by_id(conn, id)?);
        }
    }
    Ok(keys)
}

/// Checks, applies and answers one envelope.
pub async fn submit(state: &AppState, envelope: Envelope) -> StoreResult<Receipt> {
    let checked = prepare(state, envelope).await?;
    let applied = enqueue(state, checked).await?;
    receipt(state, applied).await
}

/// Checks, applies and answers many envelopes (a print run, an offline queue): the checks run
/// in parallel, then the envelopes that passed them are applied in the order of their events'
/// times (`at`, ties in the order sent), so a phone's queue synced out of order is applied as
/// it happened and none of it is refused for its order. Serials follow that order too. The
/// answers are in the order sent.
pub async fn submit_many(state: &AppState, envelopes: Vec<Envelope>) -> Vec<StoreResult<Receipt>> {
    let checks: Vec<_> = envelopes
        .into_iter()
        .map(|env| {
            let st = state.clone();
            tokio::spawn(async move { prepare(&st, env).await })
        })
        .collect();
    let mut checked = Vec::with_capacity(checks.len());
    for check in checks {
        checked.push(
            check
                .await
                .map_err(|e| StoreError::Other(e.to_string()))
                .and_then(|c| c),
        );
    }
    // Writer jobs run in the order they are queued: queue by (at, position).
    let mut order: Vec<(DateTime<Utc>, usize)> = checked
        .iter()
        .enumerate()
        .filter_map(|(i, c)| Some((c.as_ref().ok()?.event.common.at.with_timezone(&Utc), i)))
        .collect();
    order.sort_unstable();
    let mut slots: Vec<Option<StoreResult<Checked>>> = checked.into_iter().map(Some).collect();
    let mut queued: Vec<Option<_>> = slots.iter().map(|_| None).collect();
    for (_, i) in order {
        if let Some(Ok(c)) = slots[i].take() {
            queued[i] = Some(enqueue(state, c));
        }
    }
    let mut out = Vec::with_capacity(slots.len());
    for (slot, job) in slots.into_iter().zip(queued) {
        out.push(match (job, slot) {
            (Some(job), _) => match job.await {
                Ok(a) => receipt(state, a).await,
                Err(e) => Err(e),
            },
            (None, Some(Err(e))) => Err(e),
            (None, _) => Err(StoreError::Other("an envelope of the batch was not queued".into())),
        });
    }
    out
}

/// The checks that need no writer: device keys looked up, envelope and event checked.
async fn prepare(state: &AppState, envelope: Envelope) -> StoreResult<Checked> {
    let payload = envelope.payload_bytes().ok();
    let checked = check_off_writer(state, envelope).await;
    if let (Err(StoreError::Refused(r)), Some(p)) = (&checked, payload) {
        if r.code == "key_revoked" {
            // Who signed with a revoked key is an alert, though the submission is not logged.
            let v: serde_json::Value = serde_json::from_slice(&p).unwrap_or_default();
            let field = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or_default().to_owned();
            alerts::note_revoked_key(state, field("actor"), field("device")).await;
        }
    }
    checked
}

async fn check_off_writer(state: &AppState, envelope: Envelope) -> StoreResult<Checked> {
    let env = envelope.clone();
    let keys = state.db.read(move |conn| lookup_keys(conn, &env)).await?;
    let catalogue = state.catalogue();
    let server_now = state.log.now();
    let window = Duration::days(state.config.offline_window_days);
    Ok(
        tokio::task::spawn_blocking(move || check(envelope, &catalogue, &keys, server_now, window))
            .await
            .map_err(|e| StoreError::Other(e.to_string()))??,
    )
}

/// Queues the writer half now; the answer comes once its batch is durable.
fn enqueue(state: &AppState, checked: Checked) -> impl std::future::Future<Output = StoreResult<Applied>> + use<> {
    let log = state.log.clone();
    let settings = Settings {
        base_url: state.config.public_base_url.clone(),
        province: state.config.province_code.clone(),
        city: state.config.city_code.clone(),
        calendar: state.calendar(),
        transit: Duration::hours(state.config.transit_alert_hours),
    };
    let job = state
        .db
        .writer
        .enqueue(move |conn| apply(conn, &log, &settings, &checked));
    async move {
        match job.await? {
            Outcome::Accepted(applied) => Ok(applied),
            // The refusal entry is durable by now; the device is answered with the refusal.
            Outcome::Refused(refusal) => Err(refusal.into()),
        }
    }
}

async fn receipt(state: &AppState, applied: Applied) -> StoreResult<Receipt> {
    let cp = state
        .log
        .latest()
        .filter(|c| c.size > applied.seq)
        .ok_or_else(|| StoreError::Other("no checkpoint covers a committed entry".into()))?;
    let (seq, size) = (applied.seq, cp.size);
    let hashes = state
        .db
        .read(move |conn| inclusion_proof(&DbNodes(conn), seq, size).map_err(|e| StoreError::Other(format!("{e:?}"))))
        .await?;
    Ok(Receipt {
        index: applied.seq,
        item_code: applied.created.first().map(|c| c.item_code.clone()),
        manifest_no: applied.manifest_no,
        entry: applied.entry,
        leaf_hash: hex::encode(applied.leaf_hash),
        checkpoint: cp.note,
        inclusion_proof: InclusionProof {
            index: seq,
            size,
            hashes: hashes.iter().map(hash_to_b64).collect(),
        },
        label: applied.created.first().map(|c| c.label.clone()),
        created: applied.created,
    })
}

/// The writer half: re-checks what may have changed since [`check`], then applies the event.
fn apply(conn: &Connection, log: &Log, settings: &Settings, c: &Checked) -> StoreResult<Outcome> {
    let common = &c.event.common;
    for (id, owner, device) in &c.signers {
        let in_force: bool = conn
            .prepare_cached(
                "SELECT EXISTS(SELECT 1 FROM device_keys WHERE key_id = ?1 AND owner = ?2 AND device = ?3 AND revoked_at IS NULL)",
            )?
            .query_row(params![id.to_hex(), owner, device], |r| r.get(0))?;
        if !in_force {
            return Err(Refusal::forbidden(
                "key_revoked",
                format!("the key of device {owner}/{device} was revoked before this event was logged"),
                format!("设备{owner}/{device}的密钥在事件记录前已被吊销"),
            )
            .into());
        }
    }
    let used: Option<i64> = conn
        .prepare_cached("SELECT seq FROM nonces WHERE key_id = ?1 AND nonce = ?2")?
        .query_row(params![c.signer.to_hex(), common.nonce], |r| r.get(0))
        .optional()?;
    if let Some(seq) = used {
        return Err(Refusal::conflict(
            "replayed_nonce",
            format!(
                "this device already used nonce {} (log entry {seq}); a replayed envelope is refused",
                common.nonce
            ),
            format!(
                "该设备已使用过nonce {}（日志条目{seq}），重放的签名信封被拒绝",
                common.nonce
            ),
        )
        .into());
    }
    // From here on the device's submission is genuine: a refusal by the rules is logged too.
    // The event is applied inside its own savepoint so that a refusal undoes whatever it wrote
    // (a serial taken, say) while the job itself goes on to log the refusal.
    let size_before = log.size();
    conn.execute_batch("SAVEPOINT ingest_event")?;
    let outcome = apply_event(conn, log, settings, c);
    let (applied, refused) = match outcome {
        Ok(applied) => {
            conn.execute_batch("RELEASE ingest_event")?;
            (applied, None)
        }
        // The rules run before anything is appended; a refusal after an append (which should
        // not happen) fails the whole job instead, so the log never holds both.
        Err(StoreError::Refused(refusal)) if log.size() == size_before => {
            conn.execute_batch("ROLLBACK TO ingest_event; RELEASE ingest_event")?;
            let logged = log_refusal(conn, log, c, &refusal)?;
            if refusal.code == "permit_scope" {
                let district = crate::service::registry::enterprise_district(conn, &common.actor).ok();
                alerts::open(
                    conn,
                    alerts::Rule::PermitScope,
                    &format!("entry {}", logged.seq),
                    district.as_deref(),
                    log.now(),
                    Some(logged.seq),
                    &serde_json::json!({"actor": common.actor, "type": c.event.body.type_name(),
                                        "message": refusal.message}),
                )?;
            }
            (logged, Some(refusal))
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO ingest_event; RELEASE ingest_event")?;
            return Err(e);
        }
    };
    conn.prepare_cached("INSERT INTO nonces(key_id, nonce, seq) VALUES (?1, ?2, ?3)")?
        .execute(params![c.signer.to_hex(), common.nonce, applied.seq as i64])?;
    Ok(match refused {
        None => Outcome::Accepted(applied),
        Some(refusal) => Outcome::Refused(refusal),
    })
}

/// What the writer job made of a genuinely signed event.
enum Outcome {
    /// Applied and logged as an `event` entry.
    Accepted(Applied),
    /// Refused by the custody rules or their context checks, and logged as a `refusal` entry.
    Refused(Refusal),
}

/// The refusal as a `refusal` entry records it.
#[derive(Serialize)]
struct LoggedRefusal<'a> {
    error: &'a str,
    message: &'a str,
    message_zh: &'a str,
}

/// Appends a `refusal` entry: `prev` is `{}` (it changes no item), then the envelope as
/// received and the refusal.
fn log_refusal(conn: &Connection, log: &Log, c: &Checked, refusal: &Refusal) -> StoreResult<Applied> {
    let logged = LoggedRefusal {
        error: refusal.code,
        message: &refusal.message,
        message_zh: &refusal.message_zh,
    };
    let appended = log.append(
        conn,
        "refusal",
        &[],
        &[Member::new("envelope", &c.envelope), Member::new("refusal", &logged)],
    )?;
    Ok(Applied {
        seq: appended.seq,
        leaf_hash: appended.leaf_hash,
        entry: appended.bytes,
        manifest_no: None,
        created: Vec::new(),
    })
}

/// The next serial for (unit, waste code, day); never reused because the counter only grows
/// and commits with the item that took it.
fn next_serial(conn: &Connection, unit: &str, waste: &str, day: &str) -> StoreResult<u16> {
    let last: Option<i64> = conn
        .prepare_cached("SELECT last FROM serials WHERE unit = ?1 AND waste = ?2 AND day = ?3")?
        .query_row(params![unit, waste, day], |r| r.get(0))
        .optional()?;
    let next = last.unwrap_or(0) + 1;
    if next > i64::from(crate::domain::item_code::MAX_SERIAL) {
        // Let ItemCode::new produce the standard refusal.
        return Ok(1000);
    }
    conn.prepare_cached(
        "INSERT INTO serials(unit, waste, day, last) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(unit, waste, day) DO UPDATE SET last = excluded.last",
    )?
    .execute(params![unit, waste, day, next])?;
    Ok(next as u16)
}

/// A new item's code and signed label: the next serial for (unit, waste code, the event's date
/// in China time), and the label over code, mass, hazards and form. The unit is the actor, or
/// for a part refused at the gate the item's generator. Shared by every event that creates an
/// item (`generate`, `consolidate`, `split`, a partial `receive`), so every item the server
/// creates is numbered and labelled alike.
struct NewItem {
    code: ItemCode,
    label_bytes: Vec<u8>,
    issued: IssuedLabel,
}

fn new_item(
    conn: &Connection,
    log: &Log,
    base_url: &str,
    c: &Checked,
    unit: &Uscc,
    g: &Generate,
) -> StoreResult<NewItem> {
    let common = &c.event.common;
    let day = cst_date(common.at.with_timezone(&Utc));
    let serial = next_serial(
        conn,
        unit.as_str(),
        g.waste_code.digits(),
        &day.format("%Y%m%d").to_string(),
    )?;
    let code = ItemCode::new(unit, g.waste_code, day, serial)?;
    log.note_issued(code.as_str());
    let label_key = log.label_key();
    let payload = LabelPayload::new(
        label_key.key_id(),
        code.as_str(),
        g.mass.0,
        g.hazards.bits(),
        g.form.number(),
        log.now().timestamp() as u64,
    )
    .map_err(|e| StoreError::Other(format!("label payload: {e}")))?;
    let sig = payload.sign(&label_key.signing);
    let label_bytes = label::label_bytes(&payload, &sig).to_vec();
    let issued = IssuedLabel {
        qr_text: label::qr_text(base_url, &payload, &sig),
        b64: BASE64.encode(&label_bytes),
    };
    Ok(NewItem {
        code,
        label_bytes,
        issued,
    })
}

/// The `items` row of a new item of `generator` (the unit that numbered it), created by entry
/// `seq`; its state is the rules' and is stored with the effects.
fn insert_item(
    conn: &Connection,
    c: &Checked,
    generator: &Uscc,
    g: &Generate,
    item: &NewItem,
    seq: u64,
) -> StoreResult<()> {
    let common = &c.event.common;
    conn.prepare_cached(
        "INSERT INTO items(code, generator, waste_code, waste_name, mass_g, form, hazard_bits, packaging,
            container_volume_l, components, harmful_components, precautions, storage_place, generated_at,
            label, state, holder, created_seq, last_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 'stored', ?2, ?16, ?16)",
    )?
    .execute(params![
        item.code.as_str(),
        generator.as_str(),
        g.waste_code.to_string(),
        g.waste_name,
        g.mass.0 as i64,
        g.form.code(),
        g.hazards.bits(),
        g.packaging,
        g.container_volume_l,
        g.components,
        g.harmful_components,
        g.precautions,
        g.storage_place,
        rfc3339(common.at.with_timezone(&Utc)),
        &item.label_bytes[..],
        seq as i64
    ])?;
    Ok(())
}

/// What the label and row of a part refused at the gate say: the item's waste, name, form,
/// hazards, packaging and texts, with the refused mass, naming the item as its input.
fn refused_part_body(conn: &Connection, s: &ItemState, refused: Grams) -> StoreResult<Generate> {
    type Row = (String, String, u8, String, u32, String, String, String);
    let (name, form, bits, packaging, volume_l, components, harmful, precautions): Row = conn
        .prepare_cached(
            "SELECT waste_name, form, hazard_bits, packaging, container_volume_l, components, harmful_components,
                precautions
             FROM items WHERE code = ?1",
        )?
        .query_row([s.code.as_str()], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })?;
    Ok(Generate {
        waste_code: s.waste_code,
        waste_name: name,
        mass: refused,
        form: PhysicalForm::parse(&form)?,
        hazards: HazardSet::from_bits(bits)?,
        packaging,
        container_volume_l: volume_l,
        components,
        harmful_components: harmful,
        precautions,
        storage_place: s.storage_place.clone(),
        inputs: vec![s.code.clone()],
    })
}

/// Writes the items' new states (their `state_since` is the entry's logged time, which the
/// rules were given by `Log::next_entry`).
fn store_effects(conn: &Connection, effects: &[Effect], seq: u64, at: DateTime<Utc>, event: &str) -> StoreResult<()> {
    for effect in effects {
        if let Effect::Update(s) | Effect::Create(s) = effect {
            projection::store_item(conn, s)?;
            projection::record_history(conn, s, seq, at, event)?;
        }
    }
    Ok(())
}

fn roles_of(conn: &Connection, uscc: &Uscc) -> StoreResult<Vec<EnterpriseRole>> {
    let roles = conn
        .prepare_cached("SELECT role FROM enterprise_roles WHERE uscc = ?1 ORDER BY role")?
        .query_map([uscc.as_str()], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(roles.iter().filter_map(|r| EnterpriseRole::parse(r).ok()).collect())
}

/// Whether `holder` holds one permit valid on `day` whose scopes (codes or categories) cover
/// every code of `codes` and, when given, that lists `method` among its capacities.
fn permit_covers(
    conn: &Connection,
    holder: &Uscc,
    day: chrono::NaiveDate,
    codes: &[WasteCode],
    method: Option<TreatmentMethod>,
) -> StoreResult<bool> {
    let day = day.to_string();
    let permits = conn
        .prepare_cached(
            "SELECT number FROM permits WHERE holder = ?1 AND valid_from <= ?2 AND valid_until >= ?2 ORDER BY number",
        )?
        .query_map(params![holder.as_str(), day], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for p in permits {
        let scopes = conn
            .prepare_cached("SELECT scope FROM permit_scopes WHERE permit = ?1")?
            .query_map([&p], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<std::collections::HashSet<_>>>()?;
        let covered = codes
            .iter()
            .all(|c| scopes.contains(&c.to_string()) || scopes.contains(&c.category().to_string()));
        let method_ok = match method {
            None => true,
            // A landfill is licensed by its volume, not by a yearly tonnage.
            Some(TreatmentMethod::Landfill) => conn
                .prepare_cached("SELECT landfill_volume_m3 IS NOT NULL FROM permits WHERE number = ?1")?
                .query_row([&p], |r| r.get(0))?,
            Some(m) => conn
                .prepare_cached("SELECT EXISTS(SELECT 1 FROM permit_capacities WHERE permit = ?1 AND method = ?2)")?
                .query_row(params![p, m.code()], |r| r.get(0))?,
        };
        if covered && method_ok {
            return Ok(true);
        }
    }
    Ok(false)
}

fn has_any_role(conn: &Connection, uscc: &Uscc, roles: &[EnterpriseRole]) -> StoreResult<bool> {
    Ok(roles_of(conn, uscc)?.iter().any(|r| roles.contains(r)))
}

/// The registry facts a manifest names: registered parties in their roles, a vehicle and a
/// driver of one of its transporters.
fn check_manifest_parties(conn: &Connection, actor: &Uscc, e: &ManifestOpen) -> StoreResult<()> {
    crate::service::registry::enterprise_district(conn, &e.receiver)?;
    check_receiver(conn, actor, e)?;
    check_carriers(conn, &e.transporters, &e.vehicle_plate, &e.driver_licence)
}

fn check_receiver(conn: &Connection, actor: &Uscc, e: &ManifestOpen) -> StoreResult<()> {
    let receives = [EnterpriseRole::Facility, EnterpriseRole::CollectionPoint];
    if &e.receiver != actor && !has_any_role(conn, &e.receiver, &receives)? {
        return Err(Refusal::forbidden(
            "not_a_receiver",
            format!(
                "{} is not registered as a treatment facility or collection point",
                e.receiver
            ),
            format!("{}未登记为利用处置单位或收集点", e.receiver),
        )
        .into());
    }
    Ok(())
}

/// The transporters are registered as such, and the vehicle and driver belong to one of them.
fn check_carriers(conn: &Connection, transporters: &[Uscc], plate: &Plate, driver: &str) -> StoreResult<()> {
    for t in transporters {
        crate::service::registry::enterprise_district(conn, t)?;
        if !has_any_role(conn, t, &[EnterpriseRole::Transporter])? {
            return Err(Refusal::forbidden(
                "not_a_transporter",
                format!("{t} is not registered as a transporter"),
                format!("{t}未登记为运输单位"),
            )
            .into());
        }
    }
    let carriers: Vec<&str> = transporters.iter().map(Uscc::as_str).collect();
    let carriers = serde_json::to_string(&carriers).map_err(|err| StoreError::Other(err.to_string()))?;
    let vehicle: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM vehicles WHERE plate = ?1 AND holder IN (SELECT value FROM json_each(?2)))",
        )?
        .query_row(params![plate.as_str(), carriers], |r| r.get(0))?;
    if !vehicle {
        return Err(Refusal::invalid(
            "unknown_vehicle",
            format!(
                "vehicle {} is not registered with a transporter of this manifest",
                plate.as_str()
            ),
            format!("车辆{}未登记在该联单的运输单位名下", plate.as_str()),
        )
        .into());
    }
    let driver: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM drivers WHERE licence_no = ?1 AND holder IN (SELECT value FROM json_each(?2)))",
        )?
        .query_row(params![driver, carriers], |r| r.get(0))?;
    if !driver {
        return Err(Refusal::invalid(
            "unknown_driver",
            format!(
                "driver licence {} is not registered with a transporter of this manifest",
                driver
            ),
            format!("驾驶员证件{driver}未登记在该联单的运输单位名下"),
        )
        .into());
    }
    Ok(())
}

/// A scanned label must be the very label issued for the item.
fn check_scanned_labels(
    conn: &Connection,
    states: &BTreeMap<ItemCode, ItemState>,
    body: &EventBody,
) -> StoreResult<()> {
    let EventBody::Accept(a) = body else {
        return Ok(());
    };
    for l in a.scanned_labels.iter().flatten() {
        if !states.contains_key(&l.item) {
            continue;
        }
        let issued: Vec<u8> = conn
            .prepare_cached("SELECT label FROM items WHERE code = ?1")?
            .query_row([l.item.as_str()], |r| r.get(0))?;
        if issued != l.bytes {
            return Err(Refusal::invalid(
                "bad_label",
                format!("the scanned label is not the label issued for item {}", l.item),
                format!("扫描的标签不是为废物{}签发的标签", l.item),
            )
            .into());
        }
    }
    Ok(())
}

/// The waste codes and present masses of the items (those the projection knows).
fn masses_of(states: &BTreeMap<ItemCode, ItemState>, items: &[ItemCode]) -> Vec<(WasteCode, Grams)> {
    items
        .iter()
        .filter_map(|c| states.get(c).map(|s| (s.waste_code, s.mass)))
        .collect()
}

/// The approvals register's verdict as the rules' fact: no approval where one is needed is
/// the rules' `approval_required`; an approval that does not fit (unknown, expired, other
/// parties, codes or quantity beyond it) is refused here with the register's own code.
fn approved(check: StoreResult<()>) -> StoreResult<bool> {
    match check {
        Ok(()) => Ok(true),
        Err(StoreError::Refused(r)) if r.code == "approval_required" => Ok(false),
        Err(e) => Err(e),
    }
}

/// An acknowledged alert must exist and be one the regulator's district sees.
fn check_acknowledge(conn: &Connection, actor: &Uscc, alert: u64) -> StoreResult<()> {
    let found = i64::try_from(alert)
        .ok()
        .map(|id| alerts::get(conn, id))
        .transpose()?
        .flatten();
    let Some(a) = found else {
        return Err(Refusal::not_found(
            "unknown_alert",
            format!("there is no alert {alert}"),
            format!("没有编号为{alert}的预警"),
        )
        .into());
    };
    let own = crate::service::registry::enterprise_district(conn, actor)?;
    if a.district.as_deref().is_some_and(|d| d != own) {
        return Err(Refusal::forbidden(
            "not_your_district",
            format!(
                "alert {alert} concerns district {}, not {own}",
                a.district.unwrap_or_default()
            ),
            format!("预警{alert}不属于{own}辖区"),
        )
        .into());
    }
    Ok(())
}

fn load_states(conn: &Connection, states: &mut BTreeMap<ItemCode, ItemState>, codes: &[ItemCode]) -> StoreResult<()> {
    for code in codes {
        if !states.contains_key(code) {
            if let Some(s) = projection::load_item(conn, code)? {
                states.insert(code.clone(), s);
            }
        }
    }
    Ok(())
}

/// Every event type: the states of the items it concerns from the projection, the rules'
/// context from the registry (and the manifests), [`custody::apply`], one entry, then the
/// effects written to the projection. The entry's `prev` is [`custody::concerned`]; after the
/// envelope it carries the assigned manifest number (`manifest_open`), the new items' labels
/// (`label`, or `labels` for a split) and the registry `facts` the rules judged by.
fn apply_event(conn: &Connection, log: &Log, settings: &Settings, c: &Checked) -> StoreResult<Applied> {
    let actor = &c.event.common.actor;
    let body = &c.event.body;
    let mut states = BTreeMap::new();
    load_states(conn, &mut states, &custody::named_items(body))?;
    check_scanned_labels(conn, &states, body)?;
    if let Some((item, seq)) = custody::entry_reference(body) {
        let concerns: bool = conn
            .prepare_cached("SELECT EXISTS(SELECT 1 FROM item_entries WHERE item = ?1 AND seq = ?2)")?
            .query_row(params![item.as_str(), seq as i64], |r| r.get(0))?;
        if !concerns && states.contains_key(item) {
            return Err(custody::not_an_entry_of(item, seq).into());
        }
    }
    if let EventBody::Acknowledge(a) = body {
        check_acknowledge(conn, actor, a.alert)?;
    }
    let (seq, logged_at) = log.next_entry();
    let today = cst_date(logged_at);
    let mut ctx = Context::new(seq, logged_at);
    ctx.roles = roles_of(conn, actor)?;
    ctx.tolerance_ppt = DEFAULT_TOLERANCE_PPT;
    ctx.signed_by = c.signed_by.clone();
    let mut assigned = None;
    if let EventBody::ManifestOpen(e) = body {
        check_manifest_parties(conn, actor, e)?;
        let year = u32::try_from(chrono::Datelike::year(&today)).unwrap_or(0);
        let number = projection::next_manifest_no(conn, &settings.province, &settings.city, year)?;
        let wastes: Vec<WasteCode> = e.items.iter().map(ItemCode::waste).collect();
        ctx.permit_ok = e.receiver == *actor || permit_covers(conn, &e.receiver, e.planned_date, &wastes, None)?;
        let masses = masses_of(&states, &e.items);
        ctx.transfer_approved = approved(approvals::check_transfer(
            conn,
            e.approval.as_deref(),
            actor,
            &e.receiver,
            &masses,
            e.planned_date,
        ))?;
        assigned = Some(number.clone());
        ctx.manifest = Some(custody::opened(number, actor, e));
    } else if let Some(n) = custody::manifest_number(body, |code| states.get(code)) {
        ctx.manifest = projection::load_manifest(conn, &n)?;
    }
    let mut amendment = None;
    match body {
        EventBody::ManifestAmend(e) => {
            if let Some(m) = &ctx.manifest {
                let (planned, approval, driver) = projection::manifest_plan(conn, &m.number)?
                    .ok_or_else(|| StoreError::Other(format!("manifest {} has no row", m.number)))?;
                let after = custody::amended(m, e);
                let added = e.add_items.clone();
                load_states(conn, &mut states, &added)?;
                let masses = masses_of(&states, &after.items);
                // Items added to a cross-province trip must fit its approval too.
                ctx.transfer_approved = e.add_items.is_empty()
                    || approved(approvals::check_transfer_except(
                        conn,
                        approval.as_deref(),
                        &m.issuer,
                        &m.receiver,
                        &masses,
                        e.planned_date.unwrap_or(planned),
                        Some(&m.number),
                    ))?;
                let driver = e.driver_licence.clone().unwrap_or(driver);
                check_carriers(conn, &after.transporters, &after.vehicle_plate, &driver)?;
                let wastes: Vec<WasteCode> = after.items.iter().map(ItemCode::waste).collect();
                let day = e.planned_date.unwrap_or(planned);
                ctx.permit_ok = m.receiver == m.issuer || permit_covers(conn, &m.receiver, day, &wastes, None)?;
                amendment = Some(after);
            }
        }
        EventBody::Receive(e) => {
            // At the end of a return trip the generator takes its own waste back: no permit.
            let own = states.get(&e.item).is_some_and(|s| &s.generator == actor);
            ctx.permit_ok = own || permit_covers(conn, actor, today, &[e.item.waste()], None)?;
        }
        EventBody::Treat(e) => {
            ctx.permit_ok = permit_covers(conn, actor, today, &[e.item.waste()], Some(e.method))?;
        }
        _ => {}
    }
    if let (EventBody::ManifestAmend(_) | EventBody::ManifestCancel(_), Some(m)) = (body, &ctx.manifest) {
        let items = m.items.clone();
        load_states(conn, &mut states, &items)?;
    }
    // The items the event creates, each with the unit that numbers it and what its label says.
    let mut outputs: Vec<(Uscc, Cow<'_, Generate>)> = custody::outputs(body)
        .into_iter()
        .map(|g| (actor.clone(), Cow::Borrowed(g)))
        .collect();
    if let Some((item, refused)) = custody::refused_part(body) {
        if let Some(s) = states.get(item) {
            outputs.push((s.generator.clone(), Cow::Owned(refused_part_body(conn, s, refused)?)));
        }
    }
    let mut made = Vec::with_capacity(outputs.len());
    for (unit, g) in &outputs {
        made.push(new_item(conn, log, &settings.base_url, c, unit, g)?);
    }
    ctx.new_items = made.iter().map(|m| m.code.clone()).collect();
    // Serials are never reused, but should a code be taken the rules refuse with `item_exists`.
    let new_items = ctx.new_items.clone();
    load_states(conn, &mut states, &new_items)?;
    let effects = custody::apply(|code| states.get(code), &c.event, &ctx)?;
    let concerned = custody::concerned(body, ctx.manifest.as_ref(), &ctx.new_items);
    let prev: Vec<&str> = concerned.iter().map(ItemCode::as_str).collect();
    let facts = Facts::of(&ctx);
    let number = assigned.as_ref().map(ManifestNo::to_string);
    let mut members = vec![Member::new("envelope", &c.envelope)];
    if let Some(number) = &number {
        members.push(Member::new("manifest", number));
    }
    let labels: Vec<&str> = made.iter().map(|m| m.issued.b64.as_str()).collect();
    match (body, labels.as_slice()) {
        (EventBody::Split(_), _) => members.push(Member::new("labels", &labels)),
        (_, [one]) => members.push(Member::new("label", one)),
        _ => {}
    }
    members.push(Member::new("facts", &facts));
    let appended = log.append_at(conn, logged_at, "event", &prev, &members)?;
    if appended.seq != ctx.seq {
        return Err(StoreError::Other(format!(
            "the entry took index {}, the rules were told {}",
            appended.seq, ctx.seq
        )));
    }
    for (item, (unit, g)) in made.iter().zip(&outputs) {
        insert_item(conn, c, unit, g, item, appended.seq)?;
    }
    store_effects(conn, &effects, appended.seq, logged_at, body.type_name())?;
    // Alerts follow the entry in the same transaction: what it cures is resolved by it, and a
    // time limit the item broke before it (judged on its state before) is recorded as ended by it.
    for effect in &effects {
        if let Effect::Update(s) | Effect::Create(s) = effect {
            alerts::sync_item(
                conn,
                states.get(&s.code),
                s,
                &settings.calendar,
                settings.transit,
                logged_at,
                Some(appended.seq),
            )?;
        }
    }
    match body {
        EventBody::Treat(e) => alerts::check_capacity(
            conn,
            actor.as_str(),
            e.method.code(),
            e.treated_mass.0,
            logged_at,
            appended.seq,
        )?,
        EventBody::Acknowledge(a) => alerts::acknowledge(conn, a.alert as i64, appended.seq, &a.note, logged_at)?,
        _ => {}
    }
    match body {
        EventBody::ManifestOpen(e) => {
            if let Some(record) = &ctx.manifest {
                projection::insert_manifest(
                    conn,
                    record,
                    &ManifestExtra {
                        driver_licence: &e.driver_licence,
                        planned_date: e.planned_date,
                        approval: e.approval.as_deref(),
                        created_seq: appended.seq,
                    },
                )?;
            }
        }
        EventBody::ManifestAmend(e) => {
            if let Some(after) = &amendment {
                projection::amend_manifest(conn, after, e.driver_licence.as_deref(), e.planned_date)?;
            }
        }
        EventBody::ManifestCancel(e) => projection::cancel_manifest(conn, &e.manifest)?,
        _ => {}
    }
    Ok(Applied {
        seq: appended.seq,
        leaf_hash: appended.leaf_hash,
        entry: appended.bytes,
        manifest_no: number,
        created: made
            .into_iter()
            .map(|m| CreatedItem {
                item_code: m.code.to_string(),
                label: m.issued,
            })
            .collect(),
    })
}
