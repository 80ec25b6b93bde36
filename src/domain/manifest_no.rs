//! Transfer manifest number (转移联单编号, 危险废物转移管理办法 art. 15), SPEC §1.4:
//! year (4) + province code (2) + city code (2) + sequence (6) per city and year.

use std::fmt;

use super::refusal::{Refusal, RefusalKind};

pub const MANIFEST_NO_LEN: usize = 14;
pub const MAX_MANIFEST_SEQ: u32 = 999_999;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ManifestNo(String);

impl ManifestNo {
    pub fn parse(input: &str) -> Result<ManifestNo, Refusal> {
        let s = input.trim();
        let bad = |en: &str, zh: &str| {
            Refusal::invalid(
                "bad_manifest_no",
                format!("manifest number '{s}' is malformed: {en}"),
                format!("转移联单编号“{s}”格式错误：{zh}"),
            )
        };
        if s.len() != MANIFEST_NO_LEN || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("it must be 14 digits", "应为14位数字"));
        }
        let year: u32 = s[..4].parse().map_err(|_| bad("bad year", "年份错误"))?;
        if !(2000..=2999).contains(&year) {
            return Err(bad("the year must be 2000-2999", "年份应在2000-2999之间"));
        }
        if &s[8..] == "000000" {
            return Err(bad("the sequence starts at 000001", "序号从000001开始"));
        }
        if &s[4..6] == "00" || &s[6..8] == "00" {
            return Err(bad("province and city codes cannot be 00", "省、市代码不能为00"));
        }
        Ok(ManifestNo(s.to_owned()))
    }

    /// Builds the number for a sequence within a city and year.
    pub fn new(year: u32, province: &str, city: &str, seq: u32) -> Result<ManifestNo, Refusal> {
        if seq > MAX_MANIFEST_SEQ {
            return Err(Refusal::new(
                RefusalKind::Limit,
                "manifest_numbers_exhausted",
                format!("all 999999 manifest numbers of {year} for city {province}{city} are used"),
                format!("{year}年{province}{city}的999999个联单编号已用完"),
            ));
        }
        ManifestNo::parse(&format!("{year:04}{province}{city}{seq:06}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn year(&self) -> u32 {
        self.0[..4].parse().expect("checked at parse")
    }

    pub fn sequence(&self) -> u32 {
        self.0[8..].parse().expect("checked at parse")
    }
}

impl fmt::Display for ManifestNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ManifestNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManifestNo({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn chongqing_example() {
        let m = ManifestNo::new(2026, "50", "01", 42).unwrap();
        assert_eq!(m.as_str(), "20265001000042");
        assert_eq!(m.year(), 2026);
        assert_eq!(m.sequence(), 42);
        for bad in [
            "2026500100004",
            "2026500100004A",
            "20265001000000",
            "19995001000001",
            "20260001000001",
        ] {
            assert_eq!(ManifestNo::parse(bad).unwrap_err().code, "bad_manifest_no", "{bad}");
        }
        assert_eq!(
            ManifestNo::new(2026, "50", "01", 1_000_000).unwrap_err().code,
            "manifest_numbers_exhausted"
        );
    }

    proptest! {
        #[test]
        fn round_trip(year in 2000u32..3000, seq in 1u32..=999_999) {
            let m = ManifestNo::new(year, "50", "01", seq).unwrap();
            prop_assert_eq!(ManifestNo::parse(m.as_str()).unwrap(), m.clone());
            prop_assert_eq!(m.sequence(), seq);
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,20}") {
            let _ = ManifestNo::parse(&s);
        }
    }
}
