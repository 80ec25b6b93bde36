//! Hazard characteristics (T/C/I/R/In) and physical forms, with the bit and number encodings
//! used in the QR label payload (SPEC §3.1).

use std::fmt;

use super::refusal::Refusal;
use super::Named;

/// The five hazard characteristics of the national list, with their label bits.
pub const HAZARDS: [(&str, u8, &str, &str); 5] = [
    ("T", 0x01, "毒性", "toxicity"),
    ("C", 0x02, "腐蚀性", "corrosivity"),
    ("I", 0x04, "易燃性", "ignitability"),
    ("R", 0x08, "反应性", "reactivity"),
    ("In", 0x10, "感染性", "infectivity"),
];

/// A non-empty set of hazard characteristics, as the label's hazard byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct HazardSet(u8);

impl HazardSet {
    /// Parses a list of letters such as `["T", "I"]`; order and repeats do not matter.
    pub fn parse<S: AsRef<str>>(letters: &[S]) -> Result<HazardSet, Refusal> {
        let mut bits = 0u8;
        for l in letters {
            let l = l.as_ref().trim();
            let (_, bit, _, _) = HAZARDS.iter().find(|(c, ..)| *c == l).ok_or_else(|| {
                Refusal::invalid(
                    "bad_hazard",
                    format!("unknown hazard characteristic '{l}'; expected T, C, I, R or In"),
                    format!("未知的危险特性“{l}”，应为T、C、I、R或In"),
                )
            })?;
            bits |= bit;
        }
        HazardSet::from_bits(bits)
    }

    /// Parses the catalogue notation `T,I` or `T/C/I/R` (either separator).
    pub fn parse_catalogue(s: &str) -> Result<HazardSet, Refusal> {
        let letters: Vec<&str> = s.split([',', '/', '，']).filter(|x| !x.trim().is_empty()).collect();
        HazardSet::parse(&letters)
    }

    pub fn from_bits(bits: u8) -> Result<HazardSet, Refusal> {
        if bits == 0 || bits & !0x1F != 0 {
            return Err(Refusal::invalid(
                "bad_hazard",
                "a hazardous waste has at least one of the characteristics T, C, I, R, In",
                "危险废物至少具有T、C、I、R、In中的一种危险特性",
            ));
        }
        Ok(HazardSet(bits))
    }

    pub fn bits(self) -> u8 {
        self.0
    }

    pub fn letters(self) -> Vec<&'static str> {
        HAZARDS
            .iter()
            .filter(|(_, b, ..)| self.0 & b != 0)
            .map(|(c, ..)| *c)
            .collect()
    }
}

impl fmt::Display for HazardSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.letters().join(","))
    }
}

super::code_enum!(
    /// Physical form, numbered as in the label payload.
    PhysicalForm, "bad_form", "physical form", "废物形态", {
        Solid = "solid", "固态", "solid";
        SemiSolid = "semi_solid", "半固态", "semi-solid";
        Liquid = "liquid", "液态", "liquid";
        Gas = "gas", "气态", "gas";
    }
);

impl PhysicalForm {
    /// The label payload's form byte (1 solid, 2 semi-solid, 3 liquid, 4 gas).
    pub fn number(self) -> u8 {
        match self {
            PhysicalForm::Solid => 1,
            PhysicalForm::SemiSolid => 2,
            PhysicalForm::Liquid => 3,
            PhysicalForm::Gas => 4,
        }
    }

    pub fn from_number(n: u8) -> Option<PhysicalForm> {
        PhysicalForm::ALL.iter().copied().find(|f| f.number() == n)
    }
}

/// Hazards as served by the reference endpoint.
pub fn hazard_names() -> Vec<(Named, u8)> {
    HAZARDS
        .iter()
        .map(|&(code, bit, zh, en)| {
            (
                Named {
                    code,
                    name_zh: zh,
                    name_en: en,
                },
                bit,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parse_and_bits() {
        assert_eq!(HazardSet::parse(&["T", "I"]).unwrap().bits(), 0x05);
        assert_eq!(HazardSet::parse_catalogue("T/C/I/R").unwrap().bits(), 0x0F);
        assert_eq!(HazardSet::parse_catalogue("In").unwrap().bits(), 0x10);
        assert_eq!(HazardSet::parse(&["X"]).unwrap_err().code, "bad_hazard");
        assert_eq!(HazardSet::parse::<&str>(&[]).unwrap_err().code, "bad_hazard");
        assert_eq!(PhysicalForm::parse("liquid").unwrap().number(), 3);
        assert_eq!(PhysicalForm::parse("plasma").unwrap_err().code, "bad_form");
    }

    proptest! {
        #[test]
        fn bits_round_trip(bits in 1u8..=0x1F) {
            let h = HazardSet::from_bits(bits).unwrap();
            prop_assert_eq!(HazardSet::parse(&h.letters()).unwrap(), h);
            prop_assert_eq!(HazardSet::parse_catalogue(&h.to_string()).unwrap(), h);
        }

        #[test]
        fn forms_round_trip(n in 1u8..=4) {
            let f = PhysicalForm::from_number(n).unwrap();
            prop_assert_eq!(PhysicalForm::parse(f.code()).unwrap(), f);
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,12}", b in any::<u8>()) {
            let _ = HazardSet::parse_catalogue(&s);
            let _ = HazardSet::from_bits(b);
            let _ = PhysicalForm::parse(&s);
        }
    }
}
