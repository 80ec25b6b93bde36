//! What an audit found: the figures of the summary, and the findings, each naming the entry
//! (and item) it is about and which check failed.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};

/// Most findings kept in a report. Checking goes on after that and the total is still counted,
/// so one systematic fault does not hide the others behind a flood, nor stop the audit.
pub const MAX_FINDINGS: usize = 1000;
/// Most distinct event types counted one by one (the rest are counted under `(other)`), so a
/// hostile log cannot grow the report without bound.
pub const MAX_EVENT_TYPES: usize = 64;

/// Which check a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    /// A checkpoint's signature, origin or size.
    Checkpoint,
    /// The Merkle tree: the root, a consistency or inclusion proof.
    Tree,
    /// An entry's format: compact JSON, `seq`, `logged_at`, `kind`.
    Entry,
    /// A `key` entry: registration, rotation, revocation.
    Key,
    /// An envelope's signatures, the signing device, nonces.
    Signature,
    /// The signed event inside an envelope.
    Event,
    /// A QR label issued by a `generate` entry.
    Label,
    /// A `prev` link.
    Prev,
    /// The custody rules.
    Custody,
    /// `--db` only: a table that disagrees with the log.
    Database,
}

impl Check {
    pub fn code(self) -> &'static str {
        match self {
            Check::Checkpoint => "checkpoint",
            Check::Tree => "tree",
            Check::Entry => "entry",
            Check::Key => "key",
            Check::Signature => "signature",
            Check::Event => "event",
            Check::Label => "label",
            Check::Prev => "prev",
            Check::Custody => "custody",
            Check::Database => "database",
        }
    }
}

/// One thing that does not check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The log entry it is about, if any.
    pub index: Option<u64>,
    /// The item it is about, if any.
    pub item: Option<String>,
    pub check: Check,
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "entry {i}")?,
            None => f.write_str("log")?,
        }
        if let Some(item) = &self.item {
            write!(f, ", item {item}")?;
        }
        write!(f, ": [{}] {}", self.check.code(), self.message)
    }
}

/// The findings collected so far: the first [`MAX_FINDINGS`], and how many there were in all.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub kept: Vec<Finding>,
    pub total: u64,
}

impl Findings {
    pub fn add(&mut self, index: Option<u64>, item: Option<&str>, check: Check, message: impl Into<String>) {
        self.total += 1;
        if self.kept.len() < MAX_FINDINGS {
            self.kept.push(Finding {
                index,
                item: item.map(str::to_owned),
                check,
                message: message.into(),
            });
        }
    }

    /// A finding about entry `index`.
    pub fn at(&mut self, index: u64, check: Check, message: impl Into<String>) {
        self.add(Some(index), None, check, message);
    }

    /// A finding about item `item` in entry `index`.
    pub fn item(&mut self, index: u64, item: &str, check: Check, message: impl Into<String>) {
        self.add(Some(index), Some(item), check, message);
    }

    /// A finding about the log as a whole.
    pub fn log(&mut self, check: Check, message: impl Into<String>) {
        self.add(None, None, check, message);
    }
}

/// Keys the log registers, by role.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyCounts {
    pub log: u64,
    pub label: u64,
    pub device: u64,
    /// Keys of any role revoked since.
    pub revoked: u64,
}

/// The outcome of an audit. [`AuditReport::ok`] is true only when every check passed.
#[derive(Debug, Clone, Default)]
pub struct AuditReport {
    /// What was audited: `db <path>` or `url <base>`.
    pub source: String,
    /// The log key the audit trusted, as a verifier-key string.
    pub log_key: String,
    /// Size and root (base64) of the latest checkpoint.
    pub checkpoint_size: u64,
    pub checkpoint_root: String,
    /// The first entry checked: 0, or the size of the saved checkpoint (`--since-checkpoint`).
    pub checked_from: u64,
    pub entries_checked: u64,
    /// Items created by the entries checked.
    pub items: u64,
    /// Events checked, by type.
    pub events: BTreeMap<String, u64>,
    /// `key` entries checked.
    pub key_entries: u64,
    /// `refusal` entries checked (signed events the service refused and logged).
    pub refusals: u64,
    /// Events whose custody rules an incremental audit could not judge: they concern items
    /// from before the saved checkpoint, whose state it does not hold (a full audit judges them).
    pub unjudged: u64,
    /// Keys registered by the whole log (including, with `--since-checkpoint`, the saved ones).
    pub keys: KeyCounts,
    /// Checkpoints whose signature and root were checked.
    pub checkpoints_checked: u64,
    /// Item histories fetched to confirm `prev` links into the part already audited.
    pub history_lookups: u64,
    pub seconds: f64,
    /// Remarks that are not failures (trust on first use, where the checkpoint was saved...).
    pub notes: Vec<String>,
    /// The first [`MAX_FINDINGS`] findings found, sorted: the whole log's first, then by entry.
    pub findings: Vec<Finding>,
    /// How many findings there were in all.
    pub findings_total: u64,
}

impl AuditReport {
    /// Whether everything checked.
    pub fn ok(&self) -> bool {
        self.findings_total == 0
    }

    pub fn entries_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.entries_checked as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Findings about entry `index`.
    pub fn findings_at(&self, index: u64) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.index == Some(index))
    }

    /// Prints the summary and the findings; `quiet` prints only the verdict and the findings.
    pub fn print(&self, out: &mut dyn Write, quiet: bool) -> io::Result<()> {
        if !quiet {
            self.print_summary(out)?;
        }
        if self.ok() {
            writeln!(out, "OK: every check passed / 审计通过")?;
            return Ok(());
        }
        writeln!(
            out,
            "FAILED: {} finding{} / 审计未通过",
            self.findings_total,
            if self.findings_total == 1 { "" } else { "s" }
        )?;
        for f in &self.findings {
            writeln!(out, "  {f}")?;
        }
        let hidden = self.findings_total - self.findings.len() as u64;
        if hidden > 0 {
            writeln!(
                out,
                "  ... and {hidden} more (only the first {MAX_FINDINGS} are listed)"
            )?;
        }
        Ok(())
    }

    fn print_summary(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "hwtrace audit of {}", self.source)?;
        writeln!(out, "  log key      {}", self.log_key)?;
        writeln!(
            out,
            "  checkpoint   size {}, root {}",
            self.checkpoint_size, self.checkpoint_root
        )?;
        writeln!(
            out,
            "  entries      {} checked ({}..{}) in {:.2} s, {:.0} entries/s",
            self.entries_checked,
            self.checked_from,
            self.checked_from + self.entries_checked,
            self.seconds,
            self.entries_per_second()
        )?;
        let events: Vec<String> = self.events.iter().map(|(t, n)| format!("{t} {n}")).collect();
        let events = if events.is_empty() {
            "none".to_owned()
        } else {
            events.join(", ")
        };
        writeln!(out, "  items        {} created; events: {events}", self.items)?;
        if self.unjudged > 0 {
            writeln!(
                out,
                "  unjudged     {} events concern items from before the saved checkpoint; their custody rules are judged by a full audit",
                self.unjudged
            )?;
        }
        if self.refusals > 0 {
            writeln!(out, "  refusals     {} refused events logged", self.refusals)?;
        }
        let k = &self.keys;
        writeln!(
            out,
            "  keys         {} key entries checked; the log registers {} log, {} label, {} device keys ({} revoked)",
            self.key_entries, k.log, k.label, k.device, k.revoked
        )?;
        writeln!(out, "  checkpoints  {} checked", self.checkpoints_checked)?;
        if self.history_lookups > 0 {
            writeln!(out, "  histories    {} items confirmed", self.history_lookups)?;
        }
        for note in &self.notes {
            writeln!(out, "  note: {note}")?;
        }
        Ok(())
    }
}

impl fmt::Display for AuditReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Vec::new();
        self.print(&mut buf, false).map_err(|_| fmt::Error)?;
        f.write_str(&String::from_utf8_lossy(&buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_are_capped_but_counted() {
        let mut f = Findings::default();
        for i in 0..(MAX_FINDINGS as u64 + 5) {
            f.at(i, Check::Prev, "x");
        }
        assert_eq!(f.kept.len(), MAX_FINDINGS);
        assert_eq!(f.total, MAX_FINDINGS as u64 + 5);
        let report = AuditReport {
            findings: f.kept,
            findings_total: f.total,
            ..AuditReport::default()
        };
        let text = report.to_string();
        assert!(text.contains("FAILED: 1005 findings"), "{text}");
        assert!(text.contains("... and 5 more"), "{text}");
        assert!(text.contains("entry 3: [prev] x"), "{text}");
    }

    #[test]
    fn a_finding_names_its_entry_and_item() {
        let f = Finding {
            index: Some(7),
            item: Some("ITEM".into()),
            check: Check::Label,
            message: "forged".into(),
        };
        assert_eq!(f.to_string(), "entry 7, item ITEM: [label] forged");
        let f = Finding {
            index: None,
            item: None,
            check: Check::Tree,
            message: "root".into(),
        };
        assert_eq!(f.to_string(), "log: [tree] root");
    }
}
