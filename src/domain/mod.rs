//! The domain: identifiers, quantities and classifications of hazardous-waste custody, each a
//! type that can only hold a valid value and is built by a parse function that explains its
//! refusal. Pure: this module knows nothing of SQL, HTTP, files or the clock.

pub mod access;
pub mod calendar;
pub mod custody;
pub mod day;
pub mod event;
pub mod hazard;
pub mod item_code;
pub mod manifest_no;
pub mod mass;
pub mod password;
pub mod refusal;
pub mod refusals;
pub mod registry;
pub mod storage;
pub mod text;
pub mod uscc;
pub mod waste;

pub use hazard::{HazardSet, PhysicalForm};
pub use item_code::ItemCode;
pub use manifest_no::ManifestNo;
pub use mass::Grams;
pub use refusal::{Refusal, RefusalKind};
pub use registry::{
    CapacityPer, DeviceName, District, EnterpriseRole, PermitKind, Plate, TreatmentMethod, UserRole, VehicleType,
};
pub use uscc::Uscc;
pub use waste::{Catalogue, CatalogueEntry, Category, WasteCode};

/// A code, a Chinese and an English name: how every closed list is shown and served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Named {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub name_en: &'static str,
}

/// Declares a closed list whose members have a wire code and Chinese/English names, with a
/// `parse` that refuses unknown codes under the given refusal code.
macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident, $refusal:literal, $what_en:literal, $what_zh:literal,
     { $($variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn named(self) -> $crate::domain::Named {
                match self {
                    $($name::$variant => $crate::domain::Named { code: $code, name_zh: $zh, name_en: $en }),+
                }
            }

            pub fn code(self) -> &'static str {
                self.named().code
            }

            pub fn parse(s: &str) -> Result<$name, $crate::domain::Refusal> {
                $name::ALL.iter().copied().find(|v| v.code() == s).ok_or_else(|| {
                    let known: Vec<&str> = $name::ALL.iter().map(|v| v.code()).collect();
                    $crate::domain::Refusal::invalid(
                        $refusal,
                        format!("unknown {} '{}'; expected one of: {}", $what_en, s, known.join(", ")),
                        format!("未知的{}“{}”，应为：{}", $what_zh, s, known.join("、")),
                    )
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::parse(&s).map_err(|r| serde::de::Error::custom(r.message))
            }
        }
    };
}
pub(crate) use code_enum;
