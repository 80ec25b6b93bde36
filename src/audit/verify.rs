//! The pass over the entries. Each entry is hashed into the tree and checked against what the
//! entries before it established: the keys in force, the items' heads, the nonces used and the
//! items' states. Entries are taken strictly in log order, one at a time, so the pass is the
//! same whether they come from a database, a URL or a test; what does not depend on the order
//! was worked out beforehand for the whole page ([`super::prepare`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::keys::{KeyBook, KeyChange, LabelKey, Role};
use super::prepare::{self, Guess, Prepared, PreparedEvent, PreparedLabel, RawEntry};
use super::replay::{self, Body, Consolidate, Context, Event, Generate};
use super::report::{Check, Findings, MAX_EVENT_TYPES};
use super::saved::SavedEntry;
use super::scratch::Scratch;
use crate::crypto::dsse::{DsseError, Envelope, Verified};
use crate::crypto::keys::VerifierKey;
use crate::crypto::label::LabelPayload;
use crate::crypto::merkle::{leaf_hash, CompactRange, Hash, NewNode};
use crate::domain::ItemCode;
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

    /// An event entry: its label, its envelope's signatures, its event, and the custody rules.
    fn event_entry(
        &mut self,
        index: u64,
        raw: &RawEntry,
        prepared: PreparedEvent,
        pass: Pass<'_>,
    ) -> rusqlite::Result<()> {
        let label = prepared.label.map(|l| self.label(index, raw, l));
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
        if pass.live() {
            self.signatures(index, &envelope, event.as_ref().ok(), prepared.dsse)?;
        }
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                self.findings.at(index, Check::Event, e);
                return Ok(());
            }
        };
        if pass.live() {
            self.count_event(&event.kind);
        }
        self.custody(index, raw, &event, label.as_ref(), pass)
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
        if prepared.label.is_some() {
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
    ) -> rusqlite::Result<()> {
        let actor = event.map(Event::key_name);
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
                return Ok(());
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
        for p in problems {
            self.findings.at(index, Check::Signature, p);
        }
        if let (Some(id), Some(e)) = (actor_key, event) {
            if let Some(before) = self.scratch.use_nonce(&id.to_hex(), &e.nonce, index)? {
                self.findings.at(
                    index,
                    Check::Signature,
                    format!(
                        "nonce {:?} of key {id} was already used at entry {before}: a replayed envelope",
                        e.nonce
                    ),
                );
            }
        }
        Ok(())
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
                format!("the label names item {named}, which is not the item of the entry's prev"),
            );
        }
        IssuedLabel {
            bytes: label.bytes,
            payload: Some(payload),
        }
    }

    /// Applies an event to the items it concerns, under the custody rules.
    fn custody(
        &mut self,
        index: u64,
        raw: &RawEntry,
        event: &Event,
        label: Option<&IssuedLabel>,
        pass: Pass<'_>,
    ) -> rusqlite::Result<()> {
        if let Body::Generate(g) = &event.body {
            let items: Vec<&String> = raw.prev.keys().collect();
            let [code] = items[..] else {
                self.findings.at(
                    index,
                    Check::Event,
                    format!(
                        "a generate entry concerns exactly one item, but its prev names {}",
                        items.len()
                    ),
                );
                return Ok(());
            };
            if !pass.touches(code) {
                return Ok(());
            }
            match label {
                None => self
                    .findings
                    .item(index, code, Check::Label, "a generate entry must issue a label"),
                Some(IssuedLabel { payload: Some(p), .. }) => self.label_says(index, code, p, event, g),
                Some(_) => {}
            }
            let bytes = label.map(|l| l.bytes.as_slice()).unwrap_or_default();
            return self.apply(index, code, event, bytes, pass);
        }
        if let Body::Consolidate(c) = &event.body {
            return self.consolidate(index, raw, event, c, label, pass);
        }
        if label.is_some() {
            self.findings.at(
                index,
                Check::Label,
                format!(
                    "a {} entry issues a label; only generate and consolidate do",
                    event.kind
                ),
            );
        }
        if raw.prev.is_empty() && pass.live() {
            let refused = replay::step(
                None,
                event,
                &Context {
                    seq: index,
                    item: "",
                    label: &[],
                },
            );
            if let Err(r) = refused {
                self.findings.at(index, Check::Custody, r.message);
            }
        }
        for code in raw.prev.keys().filter(|c| pass.touches(c)) {
            self.apply(index, code, event, &[], pass)?;
        }
        Ok(())
    }

    /// A consolidate entry: its label names the new item, its `prev` names exactly the inputs
    /// and the new item; the new item is created like a generated one, the inputs close.
    fn consolidate(
        &mut self,
        index: u64,
        raw: &RawEntry,
        event: &Event,
        c: &Consolidate,
        label: Option<&IssuedLabel>,
        pass: Pass<'_>,
    ) -> rusqlite::Result<()> {
        let Some(IssuedLabel {
            payload: Some(p),
            bytes,
        }) = label
        else {
            if label.is_none() {
                self.findings.at(
                    index,
                    Check::Label,
                    "a consolidate entry must issue a label for its new item",
                );
            }
            return Ok(());
        };
        let output = p.item_code_str().to_owned();
        let mut expected: Vec<&str> = c.inputs.iter().map(String::as_str).collect();
        expected.push(&output);
        expected.sort_unstable();
        let named: Vec<&str> = raw.prev.keys().map(String::as_str).collect();
        if named != expected || c.inputs.contains(&output) {
            self.findings.at(
                index,
                Check::Event,
                format!(
                    "a consolidate entry's prev must name its inputs and its new item {output}, but names {}",
                    named.join(", ")
                ),
            );
            return Ok(());
        }
        if pass.touches(&output) {
            self.label_says(index, &output, p, event, &c.output);
        }
        for code in named.into_iter().filter(|c| pass.touches(c)) {
            let bytes = if code == output { bytes.as_slice() } else { &[] };
            self.apply(index, code, event, bytes, pass)?;
        }
        Ok(())
    }

    /// The label must say what the event declared: item, mass, hazards, form; and the item code
    /// must be the actor's, for the event's waste code, on the event's date (China time).
    fn label_says(&mut self, index: u64, code: &str, p: &LabelPayload, event: &Event, g: &Generate) {
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
            if item.unit() != event.actor {
                wrong.push(format!(
                    "the item code's unit is {}, but the event's actor is {}",
                    item.unit(),
                    event.actor
                ));
            }
            if item.waste() != g.waste {
                wrong.push(format!(
                    "the item code's waste code is {}, the event's {}",
                    item.waste(),
                    g.waste
                ));
            }
            let day = cst_date(event.at.with_timezone(&Utc));
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

    fn apply(&mut self, index: u64, code: &str, event: &Event, label: &[u8], pass: Pass<'_>) -> rusqlite::Result<()> {
        let prior = self.scratch.item(code)?;
        let ctx = Context {
            seq: index,
            item: code,
            label,
        };
        match replay::step(prior.as_ref(), event, &ctx) {
            Ok(next) => {
                if prior.is_none() && pass.live() {
                    self.stats.items += 1;
                }
                self.scratch.put_item(&next)?;
            }
            Err(r) => self.findings.item(index, code, Check::Custody, r.message),
        }
        Ok(())
    }
}
