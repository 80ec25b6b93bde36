//! The 37-character item code (危险废物数字识别码, after HJ 1276-2022), SPEC §1.3:
//! unit USCC (18) + waste code digits (8) + generation date YYYYMMDD in CST (8) + serial (3).

use std::fmt;

use chrono::NaiveDate;

use super::refusal::Refusal;
use super::uscc::Uscc;
use super::waste::{waste_digits, WasteCode};

pub const ITEM_CODE_LEN: usize = 37;
/// Serials run from 1 to this per (unit, waste code, date): a limit of the national format.
pub const MAX_SERIAL: u16 = 999;

/// A well-formed item code. The waste code is checked for syntax only: an item keeps its code
/// even after the catalogue that accepted it is replaced.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemCode(String);

fn bad(input: &str, en: &str, zh: &str) -> Refusal {
    Refusal::invalid(
        "bad_item_code",
        format!("item code '{input}' is malformed: {en}"),
        format!("危险废物数字识别码“{input}”格式错误：{zh}"),
    )
}

impl ItemCode {
    pub fn parse(input: &str) -> Result<ItemCode, Refusal> {
        let s = input.trim().to_ascii_uppercase();
        if s.len() != ITEM_CODE_LEN || !s.is_ascii() {
            return Err(bad(input, "it must be 37 ASCII characters", "应为37位字符"));
        }
        let unit = Uscc::parse(&s[..18]).map_err(|r| {
            bad(
                input,
                &format!("unit: {}", r.message),
                &format!("单位代码：{}", r.message_zh),
            )
        })?;
        let waste = waste_digits(&s[18..26]).map_err(|_| {
            bad(
                input,
                "characters 19-26 must be the 8 waste-code digits",
                "第19-26位应为8位废物代码",
            )
        })?;
        let date = NaiveDate::parse_from_str(&s[26..34], "%Y%m%d")
            .ok()
            .filter(|_| s[26..34].bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                bad(
                    input,
                    "characters 27-34 must be a date YYYYMMDD",
                    "第27-34位应为日期YYYYMMDD",
                )
            })?;
        let serial: u16 = s[34..]
            .parse()
            .ok()
            .filter(|n| (1..=MAX_SERIAL).contains(n) && s[34..].bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                bad(
                    input,
                    "the last 3 characters must be a serial 001-999",
                    "最后3位应为流水号001-999",
                )
            })?;
        ItemCode::new(&unit, WasteCode::from_trusted_digits(waste), date, serial)
    }

    /// Assembles a code from its fields; refuses a serial outside 1–999.
    pub fn new(unit: &Uscc, waste: WasteCode, date: NaiveDate, serial: u16) -> Result<ItemCode, Refusal> {
        if !(1..=MAX_SERIAL).contains(&serial) {
            return Err(Refusal::new(
                super::refusal::RefusalKind::Limit,
                "serials_exhausted",
                format!("unit {unit} has used all 999 serials for waste code {waste} on {date}; the national item-code format allows no more that day"),
                format!("单位{unit}在{date}已用完废物代码{waste}的999个流水号，国家识别码格式当日不允许更多"),
            ));
        }
        Ok(ItemCode(format!(
            "{unit}{}{}{serial:03}",
            waste.digits(),
            date.format("%Y%m%d")
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn unit(&self) -> Uscc {
        Uscc::parse(&self.0[..18]).expect("checked at parse")
    }

    pub fn waste(&self) -> WasteCode {
        WasteCode::from_trusted_digits(waste_digits(&self.0[18..26]).expect("checked at parse"))
    }

    pub fn date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[26..34], "%Y%m%d").expect("checked at parse")
    }

    pub fn serial(&self) -> u16 {
        self.0[34..].parse().expect("checked at parse")
    }
}

impl fmt::Display for ItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ItemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ItemCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spec_example_splits_into_fields() {
        let c = ItemCode::parse("91500110MA5U8F4X2N9002490820261128001").unwrap();
        assert_eq!(c.unit().as_str(), "91500110MA5U8F4X2N");
        assert_eq!(c.waste().to_string(), "900-249-08");
        assert_eq!(c.date(), NaiveDate::from_ymd_opt(2026, 11, 28).unwrap());
        assert_eq!(c.serial(), 1);
    }

    #[test]
    fn refusals() {
        for bad in [
            "91500110MA5U8F4X2N9002490820261128000",
            "91500110MA5U8F4X2A9002490820261128001",
            "91500110MA5U8F4X2N9002490820261328001",
            "91500110MA5U8F4X2N90024908202611280011",
            "91500110MA5U8F4X2N900249082026112800A",
            "91500110MA5U8F4X2N90024908+0261128001",
        ] {
            assert_eq!(ItemCode::parse(bad).unwrap_err().code, "bad_item_code", "{bad}");
        }
        let unit = Uscc::parse("91500110MA5U8F4X2N").unwrap();
        let waste = WasteCode::from_trusted_digits(*b"90024908");
        let d = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(
            ItemCode::new(&unit, waste, d, 1000).unwrap_err().code,
            "serials_exhausted"
        );
    }

    proptest! {
        #[test]
        fn round_trip(w in "[0-9]{8}", days in 0i64..40000, serial in 1u16..=999) {
            let unit = Uscc::parse("91500110MA5U8F4X2N").unwrap();
            let waste = WasteCode::from_trusted_digits(w.as_bytes().try_into().unwrap());
            let date = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(days as u64);
            let code = ItemCode::new(&unit, waste, date, serial).unwrap();
            let back = ItemCode::parse(code.as_str()).unwrap();
            prop_assert_eq!(back.waste(), waste);
            prop_assert_eq!(back.date(), date);
            prop_assert_eq!(back.serial(), serial);
            prop_assert_eq!(back, code);
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,45}") {
            let _ = ItemCode::parse(&s);
        }
    }
}
