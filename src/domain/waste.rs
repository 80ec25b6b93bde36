//! Waste codes of the national hazardous-waste list (国家危险废物名录), SPEC §1.2, and the
//! in-memory catalogue they are checked against. Catalogue versions are data: the 2021 list
//! ships in `seeds/`, a later edition is loaded from CSV without a code change.

use std::fmt;

use super::refusal::Refusal;

/// `900-000-XX`: waste identified by testing that matches no listed code (名录 第六条).
const UNLISTED_PREFIX: &str = "900000";

/// A waste code known to the catalogue it was checked against, kept as its 8 digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WasteCode([u8; 8]);

/// A hazardous-waste category, `HW01`..`HW50`, kept as its number.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Category(pub u8);

impl Category {
    /// Parses `HW08` (case-insensitive).
    pub fn parse(s: &str) -> Option<Category> {
        let s = s.trim();
        let digits = s.strip_prefix("HW").or_else(|| s.strip_prefix("hw"))?;
        if digits.len() != 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u8 = digits.parse().ok()?;
        (1..=99).contains(&n).then_some(Category(n))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HW{:02}", self.0)
    }
}

/// Splits `NNN-NNN-NN` or `NNNNNNNN` into its 8 digits, or says why not.
pub fn waste_digits(input: &str) -> Result<[u8; 8], Refusal> {
    let s = input.trim();
    let compact: Vec<u8> = match s.len() {
        10 if s.as_bytes()[3] == b'-' && s.as_bytes()[7] == b'-' => s.bytes().filter(|&b| b != b'-').collect(),
        8 => s.bytes().collect(),
        _ => Vec::new(),
    };
    if compact.len() != 8 || !compact.iter().all(u8::is_ascii_digit) {
        return Err(Refusal::invalid(
            "bad_waste_code_format",
            format!("waste code '{s}' must be written NNN-NNN-NN (8 digits)"),
            format!("废物代码“{s}”格式错误，应为NNN-NNN-NN（8位数字）"),
        ));
    }
    let mut out = [0u8; 8];
    out.copy_from_slice(&compact);
    Ok(out)
}

impl WasteCode {
    /// Parses a waste code and checks it against `catalogue`.
    pub fn parse(input: &str, catalogue: &Catalogue) -> Result<WasteCode, Refusal> {
        let digits = waste_digits(input)?;
        let code = WasteCode(digits);
        if catalogue.contains(code) {
            return Ok(code);
        }
        if code.is_unlisted_form() && catalogue.has_category(code.category()) {
            return Ok(code);
        }
        Err(Refusal::invalid(
            "unknown_waste_code",
            format!(
                "waste code {code} is not in the national hazardous-waste list ({} edition)",
                catalogue.version
            ),
            format!("废物代码{code}不在《国家危险废物名录》（{}年版）中", catalogue.version),
        ))
    }

    /// Builds a code from digits whose syntax is known good, without a catalogue: for codes
    /// read back from the log or the database, which were checked when they came in.
    pub fn from_trusted_digits(digits: [u8; 8]) -> WasteCode {
        WasteCode(digits)
    }

    pub fn category(self) -> Category {
        Category((self.0[6] - b'0') * 10 + (self.0[7] - b'0'))
    }

    fn is_unlisted_form(self) -> bool {
        &self.0[..6] == UNLISTED_PREFIX.as_bytes()
    }

    /// The 8 digits without hyphens, as used in item codes.
    pub fn digits(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("00000000")
    }
}

impl fmt::Display for WasteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{}-{}-{}", &d[..3], &d[3..6], &d[6..])
    }
}

impl fmt::Debug for WasteCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WasteCode({self})")
    }
}

impl serde::Serialize for WasteCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One row of the national list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CatalogueEntry {
    pub code: WasteCode,
    pub category: String,
    pub category_name: String,
    pub industry: String,
    pub description: String,
    pub hazard: String,
}

/// One version of the national list, held in memory for checks and type-ahead search.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    pub version: String,
    entries: Vec<CatalogueEntry>,
}

/// Largest number of results a catalogue search returns.
pub const MAX_SEARCH_RESULTS: usize = 500;

impl Catalogue {
    /// Builds a catalogue; entries are kept sorted by code.
    pub fn new(version: impl Into<String>, mut entries: Vec<CatalogueEntry>) -> Catalogue {
        entries.sort_by_key(|e| e.code);
        entries.dedup_by_key(|e| e.code);
        Catalogue {
            version: version.into(),
            entries,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[CatalogueEntry] {
        &self.entries
    }

    pub fn contains(&self, code: WasteCode) -> bool {
        self.get(code).is_some()
    }

    pub fn get(&self, code: WasteCode) -> Option<&CatalogueEntry> {
        self.entries
            .binary_search_by_key(&code, |e| e.code)
            .ok()
            .map(|i| &self.entries[i])
    }

    pub fn has_category(&self, cat: Category) -> bool {
        self.entries.iter().any(|e| e.code.category() == cat)
    }

    /// Number of distinct categories.
    pub fn category_count(&self) -> usize {
        let mut cats: Vec<Category> = self.entries.iter().map(|e| e.code.category()).collect();
        cats.dedup();
        cats.sort();
        cats.dedup();
        cats.len()
    }

    /// Type-ahead search: a category (`HW08`), a code prefix with or without hyphens
    /// (`900-249`, `90024`), or text matched against category name, industry and description.
    /// Returns the total number of matches and at most `limit` of them, in code order.
    pub fn search(&self, query: &str, limit: usize) -> (usize, Vec<&CatalogueEntry>) {
        let q = query.trim();
        let limit = limit.clamp(1, MAX_SEARCH_RESULTS);
        let matches: Vec<&CatalogueEntry> = if q.is_empty() {
            self.entries.iter().collect()
        } else if let Some(cat) = Category::parse(q) {
            self.entries.iter().filter(|e| e.code.category() == cat).collect()
        } else if q.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
            let prefix: String = q.chars().filter(|c| *c != '-').collect();
            self.entries
                .iter()
                .filter(|e| e.code.digits().starts_with(&prefix))
                .collect()
        } else {
            let lower = q.to_lowercase();
            self.entries
                .iter()
                .filter(|e| {
                    e.description.contains(q)
                        || e.category_name.contains(q)
                        || e.industry.contains(q)
                        || e.category.to_lowercase() == lower
                })
                .collect()
        };
        let total = matches.len();
        (total, matches.into_iter().take(limit).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry(code: &str, desc: &str) -> CatalogueEntry {
        let code = WasteCode::from_trusted_digits(waste_digits(code).unwrap());
        let category_name = if code.category() == Category(1) {
            "医疗废物"
        } else {
            "废矿物油与含矿物油废物"
        };
        CatalogueEntry {
            code,
            category: code.category().to_string(),
            category_name: category_name.into(),
            industry: "非特定行业".into(),
            description: desc.into(),
            hazard: "T,I".into(),
        }
    }

    fn small() -> Catalogue {
        Catalogue::new(
            "2021",
            vec![
                entry("900-249-08", "其他生产、销售、使用过程中产生的废矿物油"),
                entry("900-214-08", "车辆维修产生的废发动机油"),
                entry("841-001-01", "感染性废物"),
            ],
        )
    }

    #[test]
    fn parses_listed_and_unlisted_codes() {
        let c = small();
        assert_eq!(WasteCode::parse("900-249-08", &c).unwrap().to_string(), "900-249-08");
        assert_eq!(WasteCode::parse("90024908", &c).unwrap().digits(), "90024908");
        assert_eq!(WasteCode::parse("900-000-08", &c).unwrap().category(), Category(8));
        assert_eq!(
            WasteCode::parse("900-000-09", &c).unwrap_err().code,
            "unknown_waste_code"
        );
        assert_eq!(
            WasteCode::parse("900-248-08", &c).unwrap_err().code,
            "unknown_waste_code"
        );
        assert_eq!(
            WasteCode::parse("900-24-908", &c).unwrap_err().code,
            "bad_waste_code_format"
        );
        assert_eq!(
            WasteCode::parse("90024908x", &c).unwrap_err().code,
            "bad_waste_code_format"
        );
    }

    #[test]
    fn search_by_category_prefix_and_text() {
        let c = small();
        assert_eq!(c.search("HW08", 20).0, 2);
        assert_eq!(c.search("hw01", 20).0, 1);
        assert_eq!(c.search("900-2", 20).0, 2);
        assert_eq!(c.search("9002", 20).0, 2);
        assert_eq!(c.search("废矿物油", 20).0, 2);
        assert_eq!(c.search("感染", 20).1[0].code.to_string(), "841-001-01");
        assert_eq!(c.search("HW08", 1).1.len(), 1);
    }

    proptest! {
        #[test]
        fn digits_round_trip(d in "[0-9]{8}") {
            let digits = waste_digits(&d).unwrap();
            let code = WasteCode::from_trusted_digits(digits);
            prop_assert_eq!(waste_digits(&code.to_string()).unwrap(), digits);
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,20}") {
            let c = small();
            let _ = WasteCode::parse(&s, &c);
            let _ = c.search(&s, 10);
            let _ = Category::parse(&s);
        }
    }
}
