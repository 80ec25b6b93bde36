//! How long waste may stay in a store, and how much a store may hold: the limits an
//! enterprise's inventory warns against (`service::ledger`) and the alert sweep raises alerts
//! for (`service::alerts`). Pure arithmetic over times and grams; the sources of each limit
//! are in docs/field-api.md ("Inventory warnings").

use chrono::{DateTime, Duration, Utc};

/// Waste at rest with one holder longer than this many days is over age (one year).
pub const MAX_STORAGE_DAYS: i64 = 365;
/// Medical waste must be disposed of within this many hours of its generation.
pub const MEDICAL_HOURS: i64 = 48;

/// Which limit an item's storage age is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeRule {
    /// Medical waste (category HW01): 48 hours from generation (医疗废物管理条例 第十七条:
    /// temporary storage at most 2 days).
    Medical,
    /// A licensed operator's store (a facility or a collection point): one year (Solid Waste
    /// Law art. 81).
    Licensed,
    /// A generator's store: one year, hwtrace's own rule (the same limit as the
    /// `storage_over_year` alert), not a limit the law states for generators.
    Generator,
}

impl AgeRule {
    /// The rule for an item: medical waste by its 48 hours wherever it is, other waste by the
    /// year of its holder's kind.
    pub fn of(medical: bool, holder_licensed: bool) -> AgeRule {
        match (medical, holder_licensed) {
            (true, _) => AgeRule::Medical,
            (false, true) => AgeRule::Licensed,
            (false, false) => AgeRule::Generator,
        }
    }

    /// Stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            AgeRule::Medical => "medical_48h",
            AgeRule::Licensed => "licensed_one_year",
            AgeRule::Generator => "generator_one_year",
        }
    }

    pub fn limit(self) -> Duration {
        match self {
            AgeRule::Medical => Duration::hours(MEDICAL_HOURS),
            AgeRule::Licensed | AgeRule::Generator => Duration::days(MAX_STORAGE_DAYS),
        }
    }

    /// Where the limit comes from, in Chinese and English.
    pub fn basis(self) -> (&'static str, &'static str) {
        match self {
            AgeRule::Medical => (
                "《医疗废物管理条例》第十七条：医疗废物暂时贮存的时间不得超过2天",
                "Medical Waste Regulations art. 17: temporary storage of medical waste at most 2 days",
            ),
            AgeRule::Licensed => (
                "《固体废物污染环境防治法》第八十一条：经营单位贮存危险废物不得超过一年",
                "Solid Waste Law art. 81: licensed operators store hazardous waste at most one year",
            ),
            AgeRule::Generator => (
                "本系统规则：产生单位贮存同样以一年为限（与“贮存超过一年”预警一致），并非法律对产生单位规定的期限",
                "hwtrace's rule: a generator's store is held to the same one year (as the storage_over_year alert); \
                 not a limit the law sets for generators",
            ),
        }
    }
}

/// An item's storage age against its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgeCheck {
    pub rule: AgeRule,
    /// When the limit is passed.
    pub limit_at: DateTime<Utc>,
    /// Whole hours from `since` to now (never negative).
    pub age_hours: i64,
    /// True once `now` is past `limit_at` (at the very limit it is not yet).
    pub over: bool,
}

/// The age of an item in store since `since` (for medical waste: its generation) at `now`.
pub fn check_age(rule: AgeRule, since: DateTime<Utc>, now: DateTime<Utc>) -> AgeCheck {
    let limit_at = since + rule.limit();
    AgeCheck {
        rule,
        limit_at,
        age_hours: (now - since).num_hours().max(0),
        over: now > limit_at,
    }
}

/// What a store holds against its registered capacity: per mille used, and whether it is over.
pub fn capacity_use(stored_g: u64, capacity_g: u64) -> (Option<u64>, bool) {
    let permille = (capacity_g > 0).then(|| {
        let p = u128::from(stored_g) * 1000 / u128::from(capacity_g);
        u64::try_from(p).unwrap_or(u64::MAX)
    });
    (permille, stored_g > capacity_g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    #[test]
    fn medical_waste_is_over_age_after_48_hours_anywhere_other_waste_after_a_year() {
        assert_eq!(AgeRule::of(true, false), AgeRule::Medical);
        assert_eq!(AgeRule::of(true, true), AgeRule::Medical);
        assert_eq!(AgeRule::of(false, true), AgeRule::Licensed);
        assert_eq!(AgeRule::of(false, false), AgeRule::Generator);

        let at_limit = check_age(AgeRule::Medical, t(0), t(48));
        assert_eq!(
            (at_limit.age_hours, at_limit.over),
            (48, false),
            "at the very limit: not yet"
        );
        let past = check_age(AgeRule::Medical, t(0), t(48) + Duration::seconds(1));
        assert!(past.over);
        assert_eq!(past.limit_at, t(48));

        let year = 365 * 24;
        for rule in [AgeRule::Licensed, AgeRule::Generator] {
            assert!(!check_age(rule, t(0), t(year)).over);
            assert!(check_age(rule, t(0), t(year + 1)).over);
        }
        assert_eq!(
            check_age(AgeRule::Generator, t(10), t(0)).age_hours,
            0,
            "a clock skew is no age"
        );
        for rule in [AgeRule::Medical, AgeRule::Licensed, AgeRule::Generator] {
            let (zh, en) = rule.basis();
            assert!(!zh.is_empty() && !en.is_empty() && !rule.code().is_empty());
        }
    }

    #[test]
    fn a_store_is_over_its_capacity_only_beyond_it() {
        assert_eq!(capacity_use(500, 1000), (Some(500), false));
        assert_eq!(capacity_use(1000, 1000), (Some(1000), false));
        assert_eq!(capacity_use(1001, 1000), (Some(1001), true));
        assert_eq!(capacity_use(u64::MAX, 1), (Some(u64::MAX), true));
        assert_eq!(capacity_use(1, 0), (None, true));
    }
}
