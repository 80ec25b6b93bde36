//! The pass over the entries. Each entry is hashed into the tree and checked against what the
//! entries before it established: the keys in force, the items' heads, the nonces used and the
//! items' states. Entries are taken strictly in log order, one at a time, so the pass is the
//! same whether they come from a database, a URL or a test; what does not depend on the order
//! was worked out beforehand for the whole page ([`super::prepare`]).

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::keys::{KeyBook, KeyChange, KeyRecord, LabelKey, Role};
use super::prepare::{self, Guess, Prepared, PreparedEvent, PreparedLabel, RawEntry};
use super::replay::{self, Manifests};
use super::report::{Check, Findings, MAX_EVENT_TYPES};
use super::saved::SavedEntry;
use super::scratch::{ItemRow, Known, Scratch};
use crate::crypto::dsse::{DsseError, Envelope, Verified};
use crate::crypto::keys::KeyId;
use crate::crypto::keys::VerifierKey;
use crate::crypto::label::LabelPayload;
use crate::crypto::merkle::{leaf_hash, CompactRange, Hash, NewNode};
use crate::domain::custody::{self, Context, Effect, Facts, ItemState, ManifestRecord};
use crate::domain::event::{check_signers, Event, EventBody, Generate};
use crate::domain::{HazardSet, ItemCode, ManifestNo, PhysicalForm, Uscc};
use crate::time::{cst_date, rfc3339};

/// Confirms links into the part of the log an earlier audit checked (`--since-checkpoint`).
pub trait PastLog {
    /// The item's entries below the saved checkpoint's size, oldest first, each one proved to be
    /// in the log; or why they could not be had.
    fn history(&mut self, item: &str, log_key: Option<&VerifierKey>) -> Result<Vec<(u64, Vec<u8>)>, String>;

    /// Whether an item that a new entry says is new may have entries below the saved size, when
    /// that can be told cheaply (a database index); a source that cannot answers `false`, and
    /// such an item's novelty is then only checked by a full audit (one history request per
    /// new item would make the incremental audit slower than a full one).
    fn may_have_entries(&self, item: &str) -> bool;
}

/// Figures for the report.
#[derive(Debug, Default)]
pub struct Stats {
    pub entries: u64,
    pub items: u64,
    pub events: BTreeMap<String, u64>,
    pub key_entries: u64,
    /// Refusal entries (signed events the service refused and logged).
    pub refusals: u64,
    pub history_lookups: u64,
    /// Events whose custody rules an incremental audit could not judge (they concern items
    /// from before its checkpoint).
    pub unjudged: u64,
}

/// Whether an event is checked as part of the pass, or replayed from the history of one item
/// that an earlier audit checked (its signatures are not checked again, it counts in no figure,
/// and it changes only that item).
#[derive(Clone, Copy)]
enum Pass<'a> {
    Live,
    History(&'a str),
}

impl Pass<'_> {
    fn live(self) -> bool {
        matches!(self, Pass::Live)
    }

    fn touches(self, item: &str) -> bool {
        match self {
            Pass::Live => true,
            Pass::History(only) => only == item,
        }
    }
}

/// What a label member decoded to.
struct IssuedLabel {
    bytes: Vec<u8>,
    payload: Option<LabelPayload>,
}

pub struct Verifier {
    /// Entries 0 and 1 register the log and label keys, as in every hwtrace log.
    pub server_keys_first: bool,
    pub tree: CompactRange,
    pub keys: KeyBook,
    /// Every key entry seen, for the next incremental audit.
    pub key_entries: Vec<SavedEntry>,
    pub scratch: Scratch,
    /// The manifests as the log made them.
    pub manifests: Manifests,
    pub findings: Findings,
    pub stats: Stats,
    pub last_logged_at: Option<DateTime<Utc>>,
    /// Entries below this were checked by an earlier audit (0: none were).
    pub since: u64,
}

impl Verifier {
    pub fn new(server_keys_first: bool) -> rusqlite::Result<Verifier> {
        Ok(Verifier {
            server_keys_first,
            tree: CompactRange::new(),
            keys: KeyBook::default(),
            key_entries: Vec::new(),
            scratch: Scratch::new()?,
            manifests: Manifests::default(),
            findings: Findings::default(),
            stats: Stats::default(),
            last_logged_at: None,
            since: 0,
        })
    }

    /// Checks the entry at `index`, prepared by [`prepare::prepare_page`] (or
    /// [`Verifier::prepare`]), and appends it to the tree. Returns the tree nodes the append
    /// completed, its leaf hash first.
    pub fn entry(
        &mut self,
        index: u64,
        bytes: &[u8],
        prepared: Prepared,
        past: Option<&mut (dyn PastLog + '_)>,
    ) -> rusqlite::Result<Vec<NewNode>> {
        let nodes = self.tree.append(prepared.leaf);
        self.stats.entries += 1;
        let leaf = prepared.leaf;
        let event = prepared.event;
        let Some(raw) = self.parse(index, prepared.compact, prepared.raw) else {
            return Ok(nodes);
        };
        self.links(index, &leaf, &raw, past)?;
        if self.server_keys_first && index < 2 && raw.kind != "key" {
            let role = if index == 0 { "log" } else { "label" };
            self.findings.at(
                index,
                Check::Key,
                format!("entry {index} must register the server's {role} key"),
            );
        }
        match (raw.kind.as_str(), event) {
            ("key", _) => self.key_entry(index, bytes, &raw, true),
            ("event", Some(event)) => self.event_entry(index, &raw, event, Pass::Live)?,
            ("refusal", Some(event)) => self.refusal_entry(index, &raw, event)?,
            (other, _) => self.findings.at(
                index,
                Check::Entry,
                format!("unknown kind {other:?} (this auditor knows key, event and refusal)"),
            ),
        }
        Ok(nodes)
    }

    /// Prepares one entry against the keys in force now.
    pub fn prepare(&self, bytes: &[u8]) -> Prepared {
        prepare::prepare(bytes, &self.keys)
    }

    /// Replays a key entry an earlier audit checked (from a saved checkpoint).
    pub fn saved_key_entry(&mut self, index: u64, bytes: &[u8]) {
        let prepared = self.prepare(bytes);
        if let Some(raw) = self.parse(index, prepared.compact, prepared.raw) {
            self.key_entry(index, bytes, &raw, false);
        }
    }

    fn parse(&mut self, index: u64, compact: bool, raw: Result<RawEntry, String>) -> Option<RawEntry> {
        if !compact {
            self.findings.at(
                index,
                Check::Entry,
                "the entry is not compact JSON (whitespace outside strings)",
            );
        }
        let raw = match raw {
            Ok(raw) => raw,
            Err(e) => {
                self.findings
                    .at(index, Check::Entry, format!("the entry is not a valid log entry: {e}"));
                return None;
            }
        };
        if raw.seq != index {
            self.findings.at(
                index,
                Check::Entry,
                format!("the entry says seq {}, but it is entry {index} of the log", raw.seq),
            );
        }
        self.check_time(index, &raw.logged_at);
        Some(raw)
    }

    fn check_time(&mut self, index: u64, logged_at: &str) {
        let utc = DateTime::parse_from_rfc3339(logged_at)
            .ok()
            .filter(|t| t.offset().local_minus_utc() == 0 && logged_at.ends_with('Z'))
            .map(|t| t.with_timezone(&Utc));
        let Some(t) = utc else {
            self.findings.at(
                index,
                Check::Entry,
                format!("logged_at {logged_at:?} is not an RFC 3339 UTC time"),
            );
            return;
        };
        if let Some(last) = self.last_logged_at.filter(|last| t < *last) {
            self.findings.at(
                index,
                Check::Entry,
                format!("logged_at {logged_at} is before the previous entry's {}", rfc3339(last)),
            );
            return;
        }
        self.last_logged_at = Some(t);
    }

    /// Checks every `prev` link of the entry, then makes the entry each item's head.
    fn links(
        &mut self,
        index: u64,
        leaf: &Hash,
        raw: &RawEntry,
        mut past: Option<&mut (dyn PastLog + '_)>,
    ) -> rusqlite::Result<()> {
        for (item, value) in &raw.prev {
            let valid = ItemCode::parse(item).is_ok_and(|c| c.as_str() == item);
            if !valid {
                self.findings.item(
                    index,
                    item,
                    Check::Prev,
                    "prev names something that is not an item code",
                );
            }
            let mut head = self.scratch.head(item)?;
            if head.is_none() && valid && self.since > 0 {
                // A link into the part already audited is confirmed from the item's history. A
                // first entry ("") is looked up only where that is cheap (see `PastLog`).
                let p = past
                    .as_deref_mut()
                    .filter(|p| !value.is_empty() || p.may_have_entries(item));
                if let Some(p) = p {
                    match self.confirm_earlier(index, item, p)? {
                        Some(found) => head = found,
                        None => {
                            // Could not be confirmed (already reported): take the link as given.
                            self.scratch.advance(item, leaf, index)?;
                            continue;
                        }
                    }
                }
            }
            match head {
                Some((h, seq)) if *value != hex::encode(h) => self.findings.item(
                    index,
                    item,
                    Check::Prev,
                    format!(
                        "prev is {value:?}, but the item's previous entry is {seq}, whose leaf hash is {}",
                        hex::encode(h)
                    ),
                ),
                None if !value.is_empty() => self.findings.item(
                    index,
                    item,
                    Check::Prev,
                    format!("prev is {value:?}, but the item has no earlier entry (a first entry has prev \"\")"),
                ),
                _ => {}
            }
            self.scratch.advance(item, leaf, index)?;
        }
        Ok(())
    }

    /// Fetches the history of an item the entries checked so far do not know, and replays it.
    /// `Some(head)`: the item's newest entry before the saved size, if it has one; `None`: the
    /// history could not be confirmed (reported).
    fn confirm_earlier(
        &mut self,
        index: u64,
        item: &str,
        past: &mut (dyn PastLog + '_),
    ) -> rusqlite::Result<Option<Option<(Hash, u64)>>> {
        self.stats.history_lookups += 1;
        let log_key = self.keys.active(Role::Log).map(|r| r.vkey.clone());
        match past.history(item, log_key.as_ref()) {
            Ok(entries) => self.replay_history(item, &entries).map(Some),
            Err(e) => {
                self.findings.item(
                    index,
                    item,
                    Check::Prev,
                    format!("the item's entries before the saved checkpoint could not be confirmed: {e}"),
                );
                Ok(None)
            }
        }
    }

    /// Walks an item's earlier entries: each must link to the one before, down to `""`, so the
    /// history is complete; their events are replayed to rebuild the item's state.
    fn replay_history(&mut self, item: &str, entries: &[(u64, Vec<u8>)]) -> rusqlite::Result<Option<(Hash, u64)>> {
        let mut head: Option<(Hash, u64)> = None;
        for (seq, bytes) in entries {
            let leaf = leaf_hash(bytes);
            let Prepared { raw, event, .. } = self.prepare(bytes);
            let Ok(raw) = raw else {
                self.findings
                    .item(*seq, item, Check::Prev, "an entry of the item's history does not parse");
                continue;
            };
            let expected = head.map(|(h, _)| hex::encode(h)).unwrap_or_default();
            match raw.prev.get(item) {
                Some(v) if *v == expected => {}
                Some(v) => self.findings.item(
                    *seq,
                    item,
                    Check::Prev,
                    format!("in the item's history, prev is {v:?} where the chain needs {expected:?}"),
                ),
                None => self.findings.item(
                    *seq,
                    item,
                    Check::Prev,
                    "an entry of the item's history does not concern the item",
                ),
            }
            if let Some(event) = event {
                self.event_entry(*seq, &raw, event, Pass::History(item))?;
            }
            self.scratch.advance(item, &leaf, *seq)?;
            head = Some((leaf, *seq));
        }
        Ok(head)
    }

    fn key_entry(&mut self, index: u64, bytes: &[u8], raw: &RawEntry, live: bool) {
        if live {
            self.stats.key_entries += 1;
        }
        self.key_entries.push(SavedEntry {
            index,
            entry: String::from_utf8_lossy(bytes).into_owned(),
        });
        if !raw.prev.is_empty() {
            self.findings
                .at(index, Check::Key, "a key entry concerns no item: its prev must be {}");
        }
        let Some(member) = &raw.key else {
            self.findings.at(index, Check::Key, "a key entry has no key member");
            return;
        };
        let change = match KeyChange::deserialize(member) {
            Ok(c) => c,
            Err(e) => {
                self.findings
                    .at(index, Check::Key, format!("the key member is malformed: {e}"));
                return;
            }
        };
        if let Err(e) = self.keys.apply(index, &raw.logged_at, &change, self.server_keys_first) {
            self.findings.at(index, Check::Key, e);
        }
    }

    /// An event entry: its labels, its envelope's signatures, its event, and the custody rules.
    fn event_entry(
        &mut self,
        index: u64,
        raw: &RawEntry,
        prepared: PreparedEvent,
        pass: Pass<'_>,
    ) -> rusqlite::Result<()> {
        let labels: Vec<IssuedLabel> = prepared.labels.into_iter().map(|l| self.label(index, raw, l)).collect();
        let envelope = match prepared.envelope {
            None => {
                self.findings.at(index, Check::Entry, "an event entry has no envelope");
                return Ok(());
            }
            Some(Err(e)) => {
                self.findings
                    .at(index, Check::Signature, format!("the envelope is malformed: {e}"));
                return Ok(());
            }
            Some(Ok(envelope)) => envelope,
        };
        let Some(event) = prepared.event else {
            return Ok(());
        };
        let signed_by = if pass.live() {
            self.signatures(index, &envelope, event.as_ref().ok(), prepared.dsse)?
        } else {
            self.signers_of(&envelope, event.as_ref().ok())
        };
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                self.findings.at(index, Check::Event, e);
                return Ok(());
            }
        };
        if pass.live() {
            self.count_event(event.body.type_name());
        }
        self.custody(index, raw, &event, &labels, signed_by, pass)
    }

    /// A refusal entry: a genuinely signed event the service refused and logged. Its envelope's
    /// signatures and nonce are checked exactly as for an event entry; it has no custody effect,
    /// so it concerns no item and issues no label. Whether the refusal was justified is not
    /// re-derived here.
    fn refusal_entry(&mut self, index: u64, raw: &RawEntry, prepared: PreparedEvent) -> rusqlite::Result<()> {
        if !raw.prev.is_empty() {
            self.findings.at(
                index,
                Check::Entry,
                "a refusal entry changes no item: its prev must be {}",
            );
        }
        if !prepared.labels.is_empty() {
            self.findings.at(
                index,
                Check::Label,
                "a refusal entry issues no label, but this one carries one",
            );
        }
        let code = raw
            .refusal
            .as_ref()
            .and_then(|r| r.get("error"))
            .and_then(serde_json::Value::as_str)
            .filter(|c| !c.is_empty());
        if code.is_none() {
            self.findings.at(
                index,
                Check::Entry,
                "a refusal entry must carry a refusal member with its error code",
            );
        }
        let envelope = match prepared.envelope {
            None => {
                self.findings.at(index, Check::Entry, "a refusal entry has no envelope");
                return Ok(());
            }
            Some(Err(e)) => {
                self.findings
                    .at(index, Check::Signature, format!("the envelope is malformed: {e}"));
                return Ok(());
            }
            Some(Ok(envelope)) => envelope,
        };
        let Some(event) = prepared.event else {
            return Ok(());
        };
        self.signatures(index, &envelope, event.as_ref().ok(), prepared.dsse)?;
        if let Err(e) = event {
            self.findings.at(index, Check::Event, e);
        }
        self.stats.refusals += 1;
        Ok(())
    }

    fn count_event(&mut self, kind: &str) {
        let events = &mut self.stats.events;
        let key = if events.contains_key(kind) || events.len() < MAX_EVENT_TYPES {
            kind
        } else {
            "(other)"
        };
        *events.entry(key.to_owned()).or_default() += 1;
    }

    /// Every signature must verify against a device key registered before the entry and not
    /// revoked; one of them must be the key of the device the event names; its nonce must be new.
    fn signatures(
        &mut self,
        index: u64,
        envelope: &Envelope,
        event: Option<&Event>,
        guess: Option<Guess<Result<Verified, DsseError>>>,
    ) -> rusqlite::Result<Vec<Uscc>> {
        let actor = event.map(replay::key_name);
        let keys = &self.keys;
        let pick = |id| keys.device_key(id, actor.as_deref());
        let outcome = match guess {
            Some(g) if g.keys == prepare::dsse_keys(envelope, actor.as_deref(), keys) => g.outcome,
            _ => prepare::check_dsse(envelope, actor.as_deref(), keys),
        };
        let verified = match outcome {
            Ok(v) => v,
            Err(e) => {
                let message = match e {
                    DsseError::UnknownKey(id) => {
                        format!("signed by key {id}, which is not a device key registered before this entry")
                    }
                    DsseError::BadSignature(id) => {
                        format!("the signature by key {id} does not verify: the envelope is forged or altered")
                    }
                    other => format!("the envelope is refused: {other}"),
                };
                self.findings.at(index, Check::Signature, message);
                return Ok(Vec::new());
            }
        };
        let mut actor_key = None;
        let mut problems = Vec::new();
        for id in &verified.signers {
            let Some(record) = pick(*id) else { continue };
            if let Some((seq, _)) = &record.revoked {
                problems.push(format!(
                    "signed by {} ({id}), whose key was revoked at entry {seq}",
                    record.vkey.name
                ));
            } else if Some(&record.vkey.name) == actor.as_ref() {
                actor_key = Some(*id);
            }
        }
        if let (None, Some(name)) = (actor_key, &actor) {
            problems.push(format!(
                "not signed by a key in force of {name}, the device the event names"
            ));
        }
        if let Some(e) = event {
            let names = verified
                .signers
                .iter()
                .filter_map(|id| pick(*id))
                .map(|r| r.vkey.name.as_str());
            if let Err(r) = check_signers(e, names) {
                problems.push(format!("{} ({})", r.message, r.code));
            }
        }
        for p in problems {
            self.findings.at(index, Check::Signature, p);
        }
        if let (Some(id), Some(e)) = (actor_key, event) {
            if let Some(before) = self.scratch.use_nonce(&id.to_hex(), &e.common.nonce, index)? {
                self.findings.at(
                    index,
                    Check::Signature,
                    format!(
                        "nonce {:?} of key {id} was already used at entry {before}: a replayed envelope",
                        e.common.nonce
                    ),
                );
            }
        }
        Ok(owners(verified.signers.iter().filter_map(|id| pick(*id)), event))
    }

    /// The owners of the keys that signed an envelope an earlier audit checked.
    fn signers_of(&self, envelope: &Envelope, event: Option<&Event>) -> Vec<Uscc> {
        let actor = event.map(replay::key_name);
        let records = envelope
            .signatures
            .iter()
            .filter_map(|s| KeyId::parse_hex(&s.keyid).ok())
            .filter_map(|id| self.keys.device_key(id, actor.as_deref()));
        owners(records, event)
    }

    /// Checks a label's signature by the label key in use at this entry, and that it labels the
    /// entry's item.
    fn label(&mut self, index: u64, raw: &RawEntry, label: PreparedLabel) -> IssuedLabel {
        let (payload, sig) = match label.decoded {
            Ok(decoded) => decoded,
            Err(e) => {
                self.findings.at(index, Check::Label, e);
                return IssuedLabel {
                    bytes: label.bytes,
                    payload: None,
                };
            }
        };
        let id = payload.key_id;
        let problem = match self.keys.label_key(id) {
            LabelKey::Active(k) => {
                let ok = match label.guess {
                    Some((pk, ok)) if pk == *k.vkey.public_key.as_bytes() => ok,
                    _ => prepare::label_check(&payload, &sig, &self.keys).is_some_and(|(_, ok)| ok),
                };
                (!ok).then(|| "the label's signature does not verify: the label is forged or altered".to_owned())
            }
            LabelKey::Retired(k) => Some(format!(
                "the label is signed by label key {id}, which was {} before this entry",
                match (&k.revoked, &k.superseded) {
                    (Some((seq, _)), _) => format!("revoked at entry {seq}"),
                    (None, Some((seq, _))) => format!("replaced at entry {seq}"),
                    (None, None) => "retired".to_owned(),
                }
            )),
            LabelKey::Unknown => Some(format!(
                "the label is signed by key {id}, which is not a label key registered before this entry"
            )),
        };
        if let Some(p) = problem {
            self.findings.at(index, Check::Label, p);
        }
        let named = payload.item_code_str();
        if !raw.prev.contains_key(named) {
            self.findings.at(
                index,
                Check::Label,
                format!("the label names item {named}, which is not an item of the entry's prev"),
            );
        }
        IssuedLabel {
            bytes: label.bytes,
            payload: Some(payload),
        }
    }

    /// Replays the custody rules ([`custody::apply`], the service's own function) on the event
    /// with the context the log gives, and records the effects; or, when an item it concerns is
    /// not known (an incremental audit meeting an item from before its checkpoint), follows it
    /// unjudged.
    fn custody(
        &mut self,
        index: u64,
        raw: &RawEntry,
        event: &Event,
        labels: &[IssuedLabel],
        signed_by: Vec<Uscc>,
        pass: Pass<'_>,
    ) -> rusqlite::Result<()> {
        let body = &event.body;
        let kind = body.type_name();
        let outputs = self.declared(event, labels)?;
        if labels.len() != outputs.len() {
            self.findings.at(
                index,
                Check::Label,
                format!(
                    "a {kind} entry must issue {} label(s), one per new item; it issues {}",
                    outputs.len(),
                    labels.len()
                ),
            );
            return Ok(());
        }
        let mut new_items = Vec::with_capacity(outputs.len());
        for (label, (unit, g)) in labels.iter().zip(&outputs) {
            let Some(p) = &label.payload else {
                return Ok(()); // reported by `label`
            };
            let Ok(code) = ItemCode::parse(p.item_code_str()) else {
                self.findings.at(
                    index,
                    Check::Label,
                    format!("the label names {:?}, which is not an item code", p.item_code_str()),
                );
                return Ok(());
            };
            if pass.touches(code.as_str()) {
                self.label_says(index, code.as_str(), p, event, unit, g);
            }
            new_items.push(code);
        }
        let Ok(logged_at) = DateTime::parse_from_rfc3339(&raw.logged_at) else {
            return Ok(()); // reported by `check_time`
        };
        let mut ctx = Context::new(index, logged_at.with_timezone(&Utc));
        ctx.new_items = new_items;
        ctx.signed_by = signed_by;
        match raw.facts.as_ref().map(Facts::deserialize) {
            Some(Ok(facts)) => facts.fill(&mut ctx),
            Some(Err(e)) => {
                self.findings
                    .at(index, Check::Entry, format!("the entry's facts are malformed: {e}"));
                return Ok(());
            }
            None => {
                self.findings.at(
                    index,
                    Check::Entry,
                    "an event entry must carry the facts the custody rules judged by",
                );
                return Ok(());
            }
        }
        // The items' states as the entries before made them.
        let mut states = BTreeMap::new();
        let mut unknown = Vec::new();
        self.load(&custody::named_items(body), &mut states, &mut unknown)?;
        ctx.manifest = match body {
            EventBody::ManifestOpen(e) => {
                let Some(number) = raw.manifest.as_deref().and_then(|n| ManifestNo::parse(n).ok()) else {
                    self.findings.at(
                        index,
                        Check::Entry,
                        "a manifest_open entry must carry the manifest number the service assigned",
                    );
                    return Ok(());
                };
                Some(custody::opened(number, &event.common.actor, e))
            }
            _ => custody::manifest_number(body, |c| states.get(c)).and_then(|n| self.manifests.get(&n).cloned()),
        };
        if let (EventBody::ManifestAmend(_) | EventBody::ManifestCancel(_), Some(m)) = (body, &ctx.manifest) {
            let items = m.items.clone();
            self.load(&items, &mut states, &mut unknown)?;
        }
        let new = ctx.new_items.clone();
        self.load(&new, &mut states, &mut unknown)?;
        if !unknown.is_empty() || !pass.live() {
            return self.unjudged(index, raw, event, labels, &outputs, &ctx, pass);
        }
        let mut verdict = custody::apply(|c| states.get(c), event, &ctx);
        if let (Ok(_), Some((item, seq))) = (&verdict, custody::entry_reference(body)) {
            if !self.scratch.has_entry(item.as_str(), seq)? {
                verdict = Err(custody::not_an_entry_of(item, seq));
            }
        }
        let effects = match verdict {
            Ok(effects) => effects,
            Err(r) => {
                let message = format!("the custody rules refuse this {kind}: {} ({})", r.message, r.code);
                match raw.prev.keys().collect::<Vec<_>>()[..] {
                    [only] => self.findings.item(index, only, Check::Custody, message),
                    _ => self.findings.at(index, Check::Custody, message),
                }
                return Ok(());
            }
        };
        let concerned = custody::concerned(body, ctx.manifest.as_ref(), &ctx.new_items);
        let mut expected: Vec<&str> = concerned.iter().map(ItemCode::as_str).collect();
        expected.sort_unstable();
        let named: Vec<&str> = raw.prev.keys().map(String::as_str).collect();
        if named != expected {
            self.findings.at(
                index,
                Check::Event,
                format!(
                    "a {kind} entry's prev must name exactly the items it concerns ({}), but names {}",
                    expected.join(", "),
                    named.join(", ")
                ),
            );
        }
        let at = crate::time::rfc3339(ctx.logged_at);
        for effect in &effects {
            if let Effect::Create(s) | Effect::Update(s) = effect {
                self.scratch.record_history(s, index, &at, kind)?;
            }
            match effect {
                Effect::Create(s) => {
                    let at = ctx.new_items.iter().position(|c| *c == s.code).unwrap_or(0);
                    let label = labels.get(at).map(|l| l.bytes.as_slice()).unwrap_or_default();
                    self.scratch.create_item(&ItemRow::created(s, &outputs[at].1, label))?;
                    self.stats.items += 1;
                }
                Effect::Update(s) => self.scratch.update_state(s)?,
                _ => {}
            }
        }
        self.record_manifest(event, &ctx);
        Ok(())
    }

    /// What the labels of the items an event creates must state, in order, each with the unit
    /// that numbers it: the declared bodies of a `generate`, `consolidate` or `split` (unit: the
    /// actor); for a partial `receive`, the refused part: the item's generator and waste code,
    /// the refused mass, and the item's hazards and form as its row holds them (as the label
    /// shows them when the replay does not know the item: the rules refuse it then).
    fn declared<'e>(&self, event: &'e Event, labels: &[IssuedLabel]) -> rusqlite::Result<Declared<'e>> {
        let actor = &event.common.actor;
        let mut out: Declared<'e> = custody::outputs(&event.body)
            .into_iter()
            .map(|g| (actor.clone(), Cow::Borrowed(g)))
            .collect();
        let Some((item, refused)) = custody::refused_part(&event.body) else {
            return Ok(out);
        };
        let row = self.scratch.row(item.as_str())?;
        let shown = labels.get(out.len()).and_then(|l| l.payload.as_ref());
        let bits = row
            .as_ref()
            .map(|r| r.hazard_bits as u8)
            .or(shown.map(|p| p.hazard_bits));
        let form = match &row {
            Some(r) => PhysicalForm::parse(&r.form).ok(),
            None => shown.and_then(|p| PhysicalForm::from_number(p.form)),
        };
        let (Some(hazards), Some(form)) = (bits.and_then(|b| HazardSet::from_bits(b).ok()), form) else {
            // No label to check it against: the count of labels is the finding.
            return Ok(out);
        };
        let unit = row
            .and_then(|r| Uscc::parse(&r.generator).ok())
            .unwrap_or_else(|| item.unit());
        out.push((
            unit,
            Cow::Owned(Generate {
                waste_code: item.waste(),
                waste_name: String::new(),
                mass: refused,
                form,
                hazards,
                packaging: String::new(),
                container_volume_l: 0,
                components: String::new(),
                harmful_components: String::new(),
                precautions: String::new(),
                storage_place: String::new(),
                inputs: vec![item.clone()],
            }),
        ));
        Ok(out)
    }

    /// Loads the states of `codes` not yet in `states`; those the replay cannot know go to
    /// `unknown`.
    fn load(
        &self,
        codes: &[ItemCode],
        states: &mut BTreeMap<ItemCode, ItemState>,
        unknown: &mut Vec<ItemCode>,
    ) -> rusqlite::Result<()> {
        for code in codes {
            if states.contains_key(code) || unknown.contains(code) {
                continue;
            }
            match self.scratch.known(code.as_str())? {
                Known::State(s) => {
                    states.insert(code.clone(), *s);
                }
                Known::Unknown => unknown.push(code.clone()),
                // No entry so far created it (a full history was fetched for every item with
                // earlier entries): the rules refuse it as unknown, or create it.
                Known::Absent => {}
            }
        }
        Ok(())
    }

    /// The manifests change as the accepted event says.
    fn record_manifest(&mut self, event: &Event, ctx: &Context) {
        match (&event.body, &ctx.manifest) {
            (EventBody::ManifestOpen(_), Some(m)) => self.manifests.put(m.clone()),
            (EventBody::ManifestAmend(e), Some(m)) => self.manifests.put(custody::amended(m, e)),
            (EventBody::ManifestCancel(_), Some(m)) => self.manifests.put(ManifestRecord {
                cancelled: true,
                ..m.clone()
            }),
            _ => {}
        }
    }

    /// An event the replay cannot judge: an incremental audit met an item whose earlier state
    /// it does not hold, or it walks an item's history below the saved checkpoint (judged by
    /// the earlier audit). New items are recorded as declared, and the items it concerns are
    /// followed no further; the rules are judged again on a full audit.
    #[allow(clippy::too_many_arguments)]
    fn unjudged(
        &mut self,
        index: u64,
        raw: &RawEntry,
        event: &Event,
        labels: &[IssuedLabel],
        outputs: &Declared<'_>,
        ctx: &Context,
        pass: Pass<'_>,
    ) -> rusqlite::Result<()> {
        if pass.live() {
            self.stats.unjudged += 1;
        }
        for code in raw.prev.keys().filter(|c| pass.touches(c)) {
            match ctx.new_items.iter().position(|n| n.as_str() == code) {
                Some(at) => {
                    let (unit, g) = &outputs[at];
                    let created = self.scratch.known(code)?;
                    if !matches!(created, Known::Absent) && pass.live() {
                        self.findings.item(
                            index,
                            code,
                            Check::Custody,
                            format!(
                                "the {} creates item {code}, which already exists",
                                event.body.type_name()
                            ),
                        );
                    }
                    let row = ItemRow {
                        code: code.clone(),
                        generator: unit.to_string(),
                        waste_code: g.waste_code.to_string(),
                        mass_g: g.mass.0 as i64,
                        hazard_bits: i64::from(g.hazards.bits()),
                        form: g.form.code().to_owned(),
                        label: labels[at].bytes.clone(),
                        state: "?".into(),
                        holder: "?".into(),
                        created_seq: index as i64,
                        last_seq: index as i64,
                        custody: None,
                    };
                    self.scratch.create_item(&row)?;
                    if pass.live() {
                        self.stats.items += 1;
                    }
                }
                None => self.scratch.forget_state(code, index)?,
            }
        }
        if let (EventBody::ManifestOpen(_), Some(m)) = (&event.body, &ctx.manifest) {
            self.manifests.put(m.clone());
        }
        Ok(())
    }

    /// The label must say what the event declared: item, mass, hazards, form; and the item code
    /// must be the unit's (the actor's, or for a refused part the item's generator), for the
    /// declared waste code, on the event's date (China time).
    fn label_says(&mut self, index: u64, code: &str, p: &LabelPayload, event: &Event, unit: &Uscc, g: &Generate) {
        let mut wrong = Vec::new();
        if p.mass_g != g.mass.0 {
            wrong.push(format!("the label says {} g, the event {} g", p.mass_g, g.mass.0));
        }
        if p.hazard_bits != g.hazards.bits() {
            wrong.push(format!(
                "the label's hazard bits are {:#04x}, the event's {:#04x} ({})",
                p.hazard_bits,
                g.hazards.bits(),
                g.hazards
            ));
        }
        if p.form != g.form.number() {
            wrong.push(format!(
                "the label's form is {}, the event's {} ({})",
                p.form,
                g.form.number(),
                g.form
            ));
        }
        if let Ok(item) = ItemCode::parse(code) {
            if item.unit() != *unit {
                wrong.push(format!(
                    "the item code's unit is {}, but it must be {unit}",
                    item.unit()
                ));
            }
            if item.waste() != g.waste_code {
                wrong.push(format!(
                    "the item code's waste code is {}, the event's {}",
                    item.waste(),
                    g.waste_code
                ));
            }
            let day = cst_date(event.common.at.with_timezone(&Utc));
            if item.date() != day {
                wrong.push(format!(
                    "the item code's date is {}, but the event happened on {day} (China time)",
                    item.date()
                ));
            }
        }
        for w in wrong {
            self.findings.item(index, code, Check::Label, w);
        }
    }
}

/// The items an event creates: the unit that numbers each, and what its label must state.
type Declared<'e> = Vec<(Uscc, Cow<'e, Generate>)>;

/// The enterprises owning the keys that signed, the event's actor first, without repeats.
fn owners<'k>(records: impl Iterator<Item = &'k KeyRecord>, event: Option<&Event>) -> Vec<Uscc> {
    let mut out: Vec<Uscc> = event.map(|e| e.common.actor.clone()).into_iter().collect();
    for r in records {
        let owner = r.vkey.name.split('/').next().and_then(|o| Uscc::parse(o).ok());
        if let Some(o) = owner.filter(|o| !out.contains(o)) {
            out.push(o);
        }
    }
    out
}
