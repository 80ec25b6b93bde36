//! The working-day calendar: weekends and public holidays are days off, except the weekend days
//! the State Council names as make-up working days (调休上班). Deadlines counted in working days
//! use it, first the receiver's confirmation within five working days of arrival (危险废物转移
//! 管理办法 第十八条). Pure: the days come in as data (`seeds/holidays.csv`, `hwtrace calendar
//! load`), the clock's date comes in as an argument.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::domain::{code_enum, text, Refusal};

/// Working days the receiver has to confirm receipt, counted from the day after arrival
/// (转移管理办法 第十八条: 在接受之日起五个工作日内).
pub const RECEIPT_WORKING_DAYS: u32 = 5;

/// Most rows one calendar CSV may hold (one year has about 40).
pub const MAX_CALENDAR_ROWS: usize = 2000;

/// Longest holiday name, in characters.
pub const MAX_DAY_NAME_CHARS: usize = 100;

code_enum!(
    /// What a listed day is: a day off although it may be a weekday, or a working day although
    /// it may fall on a weekend.
    DayKind, "bad_day_kind", "day kind", "日期类型", {
        Holiday = "holiday", "放假", "public holiday";
        Workday = "workday", "调休上班", "make-up working day";
    }
);

/// One listed day of the official schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name_zh: String,
    pub name_en: String,
}

/// Which days are working days: Monday to Friday unless listed as a holiday, Saturday and
/// Sunday only if listed as a make-up working day. Years with no listed days count weekends only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    pub holidays: BTreeSet<NaiveDate>,
    pub workdays: BTreeSet<NaiveDate>,
}

/// A bound on the search of [`WorkCalendar::add_working_days`]: even a calendar listing every
/// day as a holiday ends the search (the answer is then that bound).
const MAX_SEARCH_DAYS: u64 = 366 * 20;

impl WorkCalendar {
    /// The calendar of the listed days (a day listed as both counts as a working day).
    pub fn from_days<'a>(days: impl IntoIterator<Item = &'a CalendarDay>) -> WorkCalendar {
        let mut cal = WorkCalendar::default();
        for d in days {
            match d.kind {
                DayKind::Holiday => cal.holidays.insert(d.date),
                DayKind::Workday => cal.workdays.insert(d.date),
            };
        }
        cal
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.workdays.contains(&d) {
            return true;
        }
        if self.holidays.contains(&d) {
            return false;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The `n`-th working day after `d` (`d` itself for `n = 0`). Saturates at the end of the
    /// representable dates and gives up after [`MAX_SEARCH_DAYS`] days without a working day.
    pub fn add_working_days(&self, d: NaiveDate, n: u32) -> NaiveDate {
        let (mut day, mut left, mut searched) = (d, n, 0u64);
        while left > 0 && searched < MAX_SEARCH_DAYS {
            let Some(next) = day.checked_add_days(Days::new(1)) else {
                return day;
            };
            day = next;
            if self.is_working_day(day) {
                left -= 1;
                searched = 0;
            } else {
                searched += 1;
            }
        }
        day
    }

    /// Working days in `(from, to]`, negative when `to` is before `from`: so
    /// `working_days_between(d, add_working_days(d, n)) == n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as i64
    }

    /// The last day on which the receiver may confirm an item that arrived on `arrived` (CST).
    pub fn receipt_due(&self, arrived: NaiveDate) -> NaiveDate {
        self.add_working_days(arrived, RECEIPT_WORKING_DAYS)
    }
}

fn row_refusal(line: usize, en: impl std::fmt::Display, zh: impl std::fmt::Display) -> Refusal {
    Refusal::invalid(
        "bad_calendar_csv",
        format!("line {line}: {en}"),
        format!("第{line}行：{zh}"),
    )
}

/// Parses a calendar CSV with the columns `date,kind,name_zh,name_en` (others ignored): dates
/// `YYYY-MM-DD`, kind `holiday` or `workday`, both names required. The first bad row refuses the
/// whole file, as does a date listed twice.
pub fn parse_calendar_csv(data: &[u8]) -> Result<Vec<CalendarDay>, Refusal> {
    let mut rdr = csv::Reader::from_reader(data);
    let headers = rdr.headers().map_err(|e| row_refusal(1, &e, &e))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| row_refusal(1, format!("missing column '{name}'"), format!("缺少列“{name}”")))
    };
    let (c_date, c_kind, c_zh, c_en) = (col("date")?, col("kind")?, col("name_zh")?, col("name_en")?);
    let mut days = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| row_refusal(line, &e, &e))?;
        if days.len() >= MAX_CALENDAR_ROWS {
            return Err(row_refusal(
                line,
                format!("more than {MAX_CALENDAR_ROWS} rows"),
                format!("超过{MAX_CALENDAR_ROWS}行"),
            ));
        }
        let field = |c: usize| rec.get(c).unwrap_or("").trim();
        let date = NaiveDate::parse_from_str(field(c_date), "%Y-%m-%d").map_err(|_| {
            row_refusal(
                line,
                format!("date '{}' must be YYYY-MM-DD", field(c_date)),
                format!("日期“{}”应为YYYY-MM-DD", field(c_date)),
            )
        })?;
        if !seen.insert(date) {
            return Err(row_refusal(
                line,
                format!("{date} is listed twice"),
                format!("{date}重复出现"),
            ));
        }
        let in_line = |r: Refusal| row_refusal(line, r.message, r.message_zh);
        days.push(CalendarDay {
            date,
            kind: DayKind::parse(field(c_kind)).map_err(in_line)?,
            name_zh: text::required("name_zh", field(c_zh), MAX_DAY_NAME_CHARS).map_err(in_line)?,
            name_en: text::required("name_en", field(c_en), MAX_DAY_NAME_CHARS).map_err(in_line)?,
        });
    }
    if days.is_empty() {
        return Err(row_refusal(2, "the file has no rows", "文件没有数据行"));
    }
    Ok(days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEED: &str = include_str!("../../seeds/holidays.csv");

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn official() -> WorkCalendar {
        WorkCalendar::from_days(&parse_calendar_csv(SEED.as_bytes()).unwrap())
    }

    #[test]
    fn weekends_holidays_and_make_up_days() {
        let cal = official();
        assert!(cal.is_working_day(date("2026-09-30")), "a Wednesday");
        assert!(!cal.is_working_day(date("2026-10-01")), "National Day");
        assert!(!cal.is_working_day(date("2026-10-05")), "a Monday in the Golden Week");
        assert!(cal.is_working_day(date("2026-10-10")), "a Saturday worked in exchange");
        assert!(!cal.is_working_day(date("2026-10-11")), "an ordinary Sunday");
        assert!(cal.is_working_day(date("2026-09-20")), "a Sunday worked in exchange");
        assert!(
            !cal.is_working_day(date("2027-01-02")),
            "a Saturday of an unlisted year"
        );
        assert!(cal.is_working_day(date("2027-01-04")), "a Monday of an unlisted year");
    }

    #[test]
    fn five_working_days_around_national_day_2026() {
        let cal = official();
        // Arrived Tuesday 29 September: Wed 30 (1), the holiday 1-7 October, Thu 8 (2), Fri 9
        // (3), Sat 10 worked (4), Sun 11 off, Mon 12 (5).
        assert_eq!(cal.receipt_due(date("2026-09-29")), date("2026-10-12"));
        // Arrived on the first day of the holiday: Thu 8 (1), Fri 9 (2), Sat 10 (3), Mon 12 (4), Tue 13 (5).
        assert_eq!(cal.receipt_due(date("2026-10-01")), date("2026-10-13"));
        // Arrived on the Friday before the worked Sunday 20 September: Sun 20 (1), Mon 21 .. Thu 24 (5).
        assert_eq!(cal.receipt_due(date("2026-09-18")), date("2026-09-24"));
        // Arrived Wednesday 23 September: Thu 24 (1), Mid-Autumn 25-27, Mon 28 (2), Tue 29 (3),
        // Wed 30 (4), Golden Week, Thu 8 October (5).
        assert_eq!(cal.receipt_due(date("2026-09-23")), date("2026-10-08"));
        assert_eq!(cal.working_days_between(date("2026-09-30"), date("2026-10-08")), 1);
        assert_eq!(cal.working_days_between(date("2026-10-08"), date("2026-09-30")), -1);
        assert_eq!(cal.working_days_between(date("2026-09-29"), date("2026-09-29")), 0);
    }

    #[test]
    fn spring_festival_2025_and_2026() {
        let cal = official();
        // 2025: 28 January to 4 February off, Sunday 26 January and Saturday 8 February worked.
        assert!(cal.is_working_day(date("2025-01-26")));
        assert_eq!(cal.add_working_days(date("2025-01-27"), 1), date("2025-02-05"));
        assert_eq!(cal.receipt_due(date("2025-02-04")), date("2025-02-10"));
        // 2026: 15 to 23 February off, Saturdays 14 and 28 February worked.
        assert_eq!(cal.add_working_days(date("2026-02-13"), 1), date("2026-02-14"));
        assert_eq!(cal.add_working_days(date("2026-02-14"), 1), date("2026-02-24"));
        assert_eq!(cal.working_days_between(date("2026-02-13"), date("2026-02-28")), 6);
    }

    #[test]
    fn the_seeded_years_have_the_official_number_of_days_off() {
        let cal = official();
        // 2025 lists 28 days off and 5 make-up working days; 2026 lists 33 and 6. Both years
        // then have 248 working days.
        let count = |set: &BTreeSet<NaiveDate>, y: i32| set.iter().filter(|d| d.year() == y).count();
        assert_eq!((count(&cal.holidays, 2025), count(&cal.workdays, 2025)), (28, 5));
        assert_eq!((count(&cal.holidays, 2026), count(&cal.workdays, 2026)), (33, 6));
        for y in [2025, 2026] {
            let (first, last) = (date(&format!("{y}-01-01")), date(&format!("{y}-12-31")));
            let before_first = first.pred_opt().unwrap();
            assert_eq!(cal.working_days_between(before_first, last), 248, "{y}");
        }
        for d in &cal.workdays {
            assert!(matches!(d.weekday(), Weekday::Sat | Weekday::Sun), "{d} is a weekday");
        }
    }

    #[test]
    fn bad_csv_rows_are_refused_with_their_line() {
        let head = "date,kind,name_zh,name_en\n";
        let cases = [
            (format!("{head}2026-13-01,holiday,元旦,New Year\n"), "line 2"),
            (
                format!("{head}2026-01-01,holiday,元旦,x\n2026-01-02,rest,元旦,x\n"),
                "line 3",
            ),
            (format!("{head}2026-01-01,holiday,,New Year\n"), "name_zh"),
            (
                format!("{head}2026-01-01,holiday,元旦,x\n2026-01-01,workday,元旦,x\n"),
                "twice",
            ),
            ("date,kind\n2026-01-01,holiday\n".to_string(), "missing column"),
            (head.to_string(), "no rows"),
        ];
        for (csv_text, needle) in cases {
            let err = parse_calendar_csv(csv_text.as_bytes()).unwrap_err();
            assert_eq!(err.code, "bad_calendar_csv");
            assert!(err.message.contains(needle), "{} lacks {needle}", err.message);
            assert!(!err.message_zh.is_empty());
        }
    }

    #[test]
    fn a_long_run_of_holidays_is_skipped() {
        let mut cal = WorkCalendar::default();
        let start = date("2026-01-01");
        cal.holidays.extend(start.iter_days().take(400));
        let end = cal.add_working_days(start, 1);
        assert_eq!(end, date("2027-02-05"), "the first day after the listed holidays");
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0u64..3650).prop_map(|n| date("2024-01-01") + Days::new(n))
    }

    fn any_calendar() -> impl Strategy<Value = WorkCalendar> {
        (
            proptest::collection::btree_set(any_date(), 0..200),
            proptest::collection::btree_set(any_date(), 0..40),
        )
            .prop_map(|(holidays, workdays)| WorkCalendar { holidays, workdays })
    }

    proptest! {
        #[test]
        fn the_nth_working_day_is_a_working_day_after_d(cal in any_calendar(), d in any_date(), n in 1u32..40) {
            let due = cal.add_working_days(d, n);
            prop_assert!(due > d);
            prop_assert!(cal.is_working_day(due));
            prop_assert_eq!(cal.working_days_between(d, due), i64::from(n));
            // No earlier day already had n working days behind it.
            let before = due.pred_opt().unwrap();
            prop_assert_eq!(cal.working_days_between(d, before), i64::from(n) - 1);
        }

        #[test]
        fn adding_working_days_composes(cal in any_calendar(), d in any_date(), a in 0u32..20, b in 0u32..20) {
            prop_assert_eq!(cal.add_working_days(cal.add_working_days(d, a), b), cal.add_working_days(d, a + b));
        }

        #[test]
        fn between_is_antisymmetric(cal in any_calendar(), a in any_date(), b in any_date()) {
            prop_assert_eq!(cal.working_days_between(a, b), -cal.working_days_between(b, a));
        }

        #[test]
        fn garbage_csv_never_panics(s in "\\PC{0,200}") {
            let _ = parse_calendar_csv(s.as_bytes());
        }
    }
}
