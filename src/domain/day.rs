//! Calendar days given as input (`YYYY-MM-DD`): one parse for every field and query parameter,
//! which refuses days outside 1900-2199. chrono takes years from -262143 to +262142, and at
//! either end the arithmetic of periods, deadlines and a day's bounds in UTC overflows and
//! panics; no record this service keeps is from outside the range, and past this parse no code
//! re-checks a day.

use chrono::{Datelike, NaiveDate};

use super::Refusal;

/// The first year a day may be in.
pub const FIRST_YEAR: i32 = 1900;
/// The last year a day may be in.
pub const LAST_YEAR: i32 = 2199;

/// The day `s` (`YYYY-MM-DD`, spaces around it ignored) of the input `field`: `bad_date` if it
/// is not one, `date_out_of_range` outside [`FIRST_YEAR`]..=[`LAST_YEAR`].
pub fn parse(field: &str, s: &str) -> Result<NaiveDate, Refusal> {
    let day = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
        Refusal::invalid(
            "bad_date",
            format!("{field} '{s}' must be a date YYYY-MM-DD"),
            format!("{field}“{s}”应为日期YYYY-MM-DD"),
        )
    })?;
    in_range(field, day)
}

/// `day` if it is in [`FIRST_YEAR`]..=[`LAST_YEAR`], else `date_out_of_range`.
pub fn in_range(field: &str, day: NaiveDate) -> Result<NaiveDate, Refusal> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&day.year()) {
        return Ok(day);
    }
    Err(Refusal::invalid(
        "date_out_of_range",
        format!("{field} {day} is out of range: days from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31 are taken"),
        format!("{field}（{day}）超出范围：日期应在{FIRST_YEAR}-01-01至{LAST_YEAR}-12-31之间"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_within_the_range_and_extremes_are_refused() {
        assert_eq!(
            parse("date", " 2026-03-01 ").unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        assert!(parse("date", "1900-01-01").is_ok() && parse("date", "2199-12-31").is_ok());
        for s in [
            "-262143-01-01",
            "+262142-12-31",
            "1899-12-31",
            "2200-01-01",
            "0000-01-01",
        ] {
            let code = parse("date", s).map(|_| ()).unwrap_err().code;
            assert!(code == "date_out_of_range" || code == "bad_date", "{s}: {code}");
        }
        assert_eq!(parse("date", "-262143-01-01").unwrap_err().code, "date_out_of_range");
        assert_eq!(parse("date", "1899-12-31").unwrap_err().code, "date_out_of_range");
        assert_eq!(parse("date", "2026-02-30").unwrap_err().code, "bad_date");
        assert_eq!(parse("date", "yesterday").unwrap_err().code, "bad_date");
    }
}
