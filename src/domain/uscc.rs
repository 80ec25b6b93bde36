//! Unified social credit code (统一社会信用代码, GB 32100-2015), SPEC §1.1.

use std::fmt;

use super::refusal::Refusal;

/// The 31 symbols of GB 32100-2015; a symbol's value is its position.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
pub const USCC_LEN: usize = 18;

/// An 18-character USCC whose check character is right. Always upper case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

fn value_of(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == b).map(|p| p as u32)
}

/// The check character for the first 17 characters (already known to be in the alphabet).
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| value_of(b).unwrap_or(0) * w)
        .sum();
    ALPHABET[((31 - sum % 31) % 31) as usize] as char
}

impl Uscc {
    /// Parses a USCC: lower case is upper-cased first, then length, alphabet and check
    /// character are checked, each with its own refusal.
    pub fn parse(input: &str) -> Result<Uscc, Refusal> {
        let s = input.trim().to_ascii_uppercase();
        if s.chars().count() != USCC_LEN {
            return Err(Refusal::invalid(
                "bad_uscc_length",
                format!(
                    "a unified social credit code has 18 characters, got {}",
                    s.chars().count()
                ),
                format!("统一社会信用代码应为18位，实际为{}位", s.chars().count()),
            ));
        }
        if let Some((i, c)) = s
            .char_indices()
            .find(|&(_, c)| !c.is_ascii() || value_of(c as u8).is_none())
        {
            return Err(Refusal::invalid(
                "bad_uscc_char",
                format!("character '{c}' at position {} is not allowed in a unified social credit code (I, O, Z, S, V are never used)", i + 1),
                format!("统一社会信用代码第{}位的字符“{c}”不合法（不使用I、O、Z、S、V）", i + 1),
            ));
        }
        let bytes = s.as_bytes();
        let want = check_char(&bytes[..17]);
        if bytes[17] as char != want {
            return Err(Refusal::invalid(
                "bad_uscc_check",
                format!("the check character of unified social credit code {s} is wrong: expected {want}"),
                format!("统一社会信用代码{s}的校验码错误，应为{want}"),
            ));
        }
        Ok(Uscc(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Characters 3–8: the administrative division code (GB/T 2260) of the authority that
    /// registered the enterprise, e.g. `500110` (綦江区) or `510100` (成都市).
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }

    /// Characters 3–4: the province of the registering authority, e.g. `50` (重庆市).
    pub fn province_code(&self) -> &str {
        &self.0[2..4]
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.0)
    }
}

impl serde::Serialize for Uscc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spec_examples() {
        for ok in ["91500110MA5U8F4X2N", "91350100M000100Y43", "12500110450912345Q"] {
            assert_eq!(Uscc::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(
            Uscc::parse("91500110ma5u8f4x2n").unwrap().as_str(),
            "91500110MA5U8F4X2N"
        );
        let cases = [
            ("91500110MA5U8F4X2A", "bad_uscc_check"),
            ("91500110MA5U8F4X2", "bad_uscc_length"),
            ("91500110MA5U8F4X2NN", "bad_uscc_length"),
            ("91500110MA5U8F4XIN", "bad_uscc_char"),
            ("915001I0MA5U8F4X2N", "bad_uscc_char"),
        ];
        for (bad, code) in cases {
            assert_eq!(Uscc::parse(bad).unwrap_err().code, code, "{bad}");
        }
    }

    #[test]
    fn the_registering_authority_is_in_characters_3_to_8() {
        let qijiang = Uscc::parse("91500110MA5U8F4X2N").unwrap();
        assert_eq!((qijiang.province_code(), qijiang.division_code()), ("50", "500110"));
        let fuzhou = Uscc::parse("91350100M000100Y43").unwrap();
        assert_eq!((fuzhou.province_code(), fuzhou.division_code()), ("35", "350100"));
    }

    fn body() -> impl Strategy<Value = String> {
        proptest::collection::vec(0usize..31, 17).prop_map(|v| v.into_iter().map(|i| ALPHABET[i] as char).collect())
    }

    proptest! {
        #[test]
        fn completed_codes_round_trip(b in body()) {
            let code = format!("{b}{}", check_char(b.as_bytes()));
            let parsed = Uscc::parse(&code).unwrap();
            prop_assert_eq!(parsed.as_str(), code.as_str());
            prop_assert_eq!(Uscc::parse(&code.to_lowercase()).unwrap(), parsed);
        }

        #[test]
        fn any_other_check_char_is_refused(b in body(), k in 1usize..31) {
            let right = check_char(b.as_bytes()) as u8;
            let pos = ALPHABET.iter().position(|&a| a == right).unwrap();
            let wrong = ALPHABET[(pos + k) % 31] as char;
            prop_assert_eq!(Uscc::parse(&format!("{b}{wrong}")).unwrap_err().code, "bad_uscc_check");
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,40}") {
            let _ = Uscc::parse(&s);
        }
    }
}
