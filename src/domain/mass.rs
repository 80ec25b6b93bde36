//! Masses as integer grams: never a float, so sums balance to the gram.

use std::fmt;

use super::refusal::Refusal;

/// Heaviest single item accepted: 100 t, beyond any container or tank truck, so a unit typo
/// (kg entered as g ×1000) is caught early.
pub const MAX_ITEM_MASS_G: u64 = 100_000_000;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default, serde::Serialize)]
pub struct Grams(pub u64);

impl Grams {
    /// A declared or weighed mass of one item: 1 g to 100 t.
    pub fn item_mass(g: i64) -> Result<Grams, Refusal> {
        if g <= 0 || g as u64 > MAX_ITEM_MASS_G {
            return Err(Refusal::invalid(
                "bad_mass",
                format!("mass_g must be a whole number of grams from 1 to {MAX_ITEM_MASS_G}, got {g}"),
                format!("质量mass_g应为1至{MAX_ITEM_MASS_G}之间的整数克数，实际为{g}"),
            ));
        }
        Ok(Grams(g as u64))
    }

    pub fn checked_add(self, other: Grams) -> Option<Grams> {
        self.0.checked_add(other.0).map(Grams)
    }
}

impl fmt::Display for Grams {
    /// Shown as kilograms with three decimals, computed on integers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:03} kg", self.0 / 1000, self.0 % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounds() {
        assert_eq!(Grams::item_mass(185_500).unwrap().to_string(), "185.500 kg");
        assert_eq!(Grams::item_mass(0).unwrap_err().code, "bad_mass");
        assert_eq!(Grams::item_mass(-5).unwrap_err().code, "bad_mass");
        assert_eq!(Grams::item_mass(100_000_001).unwrap_err().code, "bad_mass");
    }

    proptest! {
        #[test]
        fn valid_masses_round_trip(g in 1i64..=100_000_000) {
            prop_assert_eq!(Grams::item_mass(g).unwrap().0, g as u64);
        }

        #[test]
        fn any_integer_never_panics(g in any::<i64>()) {
            let _ = Grams::item_mass(g);
        }
    }
}
