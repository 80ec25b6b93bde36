//! Time at the edge: the clock is read here and nowhere in the domain. Stored times are
//! RFC 3339 UTC; people are shown China Standard Time (UTC+8).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

/// China Standard Time, UTC+8, no daylight saving.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("constant offset")
}

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Where the log reads the time: the system clock, or a clock its owner sets (the demo drives
/// simulated time through a year with it, so the same seed gives the same log). Each `Log` holds
/// its own, so tests in one process never share one.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    /// Seconds since the epoch of a set clock; `None` for the system clock.
    set: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock (the default).
    pub fn system() -> Clock {
        Clock { set: None }
    }

    /// A clock that shows `start` until it is set again.
    pub fn manual(start: DateTime<Utc>) -> Clock {
        Clock {
            set: Some(Arc::new(AtomicI64::new(start.timestamp()))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.set {
            None => now(),
            Some(secs) => DateTime::from_timestamp(secs.load(Ordering::SeqCst), 0).unwrap_or(DateTime::<Utc>::MIN_UTC),
        }
    }

    /// Sets a manual clock to `t` (whole seconds); the system clock cannot be set and stays as
    /// it is. Answers whether the clock was set.
    pub fn set(&self, t: DateTime<Utc>) -> bool {
        match &self.set {
            None => false,
            Some(secs) => {
                secs.store(t.timestamp(), Ordering::SeqCst);
                true
            }
        }
    }

    pub fn is_manual(&self) -> bool {
        self.set.is_some()
    }
}

/// Now, as stored: RFC 3339 UTC with second precision and a `Z`.
pub fn now_rfc3339() -> String {
    rfc3339(now())
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The calendar date in China Standard Time, as printed on labels and item codes.
pub fn cst_date(t: DateTime<Utc>) -> chrono::NaiveDate {
    t.with_timezone(&cst()).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_shows_what_it_was_set_to_and_the_system_clock_cannot_be_set() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T08:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::manual(start);
        let copy = clock.clone();
        assert_eq!(copy.now(), start);
        assert!(clock.set(start + chrono::Duration::hours(3)));
        assert_eq!(rfc3339(copy.now()), "2026-01-01T03:00:00Z", "clones share the time");
        let system = Clock::system();
        assert!(!system.set(start));
        assert!(!system.is_manual() && clock.is_manual());
    }
}
