//! Time at the edge: the clock is read here and nowhere in the domain. Stored times are
//! RFC 3339 UTC; people are shown China Standard Time (UTC+8).

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};

/// China Standard Time, UTC+8, no daylight saving.
pub fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("constant offset")
}

pub fn now() -> DateTime<Utc> {
    Utc::now()
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
