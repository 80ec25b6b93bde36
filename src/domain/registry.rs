//! Classifications and names of the registry: enterprise and user roles, districts,
//! treatment methods, vehicles and their plates, device names.

use std::fmt;

use super::code_enum;
use super::refusal::Refusal;

code_enum!(
    /// What an enterprise does in the custody chain; an enterprise may have several roles.
    EnterpriseRole, "bad_enterprise_role", "enterprise role", "企业角色", {
        Generator = "generator", "产废单位", "generator";
        CollectionPoint = "collection_point", "小微企业收集点", "collection point";
        Transporter = "transporter", "运输单位", "transporter";
        Facility = "facility", "利用处置单位", "treatment facility";
        Regulator = "regulator", "生态环境主管部门", "regulator";
    }
);

code_enum!(
    /// What a user account may do: decides what it sees.
    UserRole, "bad_user_role", "user role", "用户角色", {
        Admin = "admin", "系统管理员", "administrator";
        Regulator = "regulator", "监管人员", "regulator";
        EnterpriseAdmin = "enterprise_admin", "企业管理员", "enterprise administrator";
        EnterpriseClerk = "enterprise_clerk", "企业操作员", "enterprise clerk";
    }
);

impl UserRole {
    pub fn is_enterprise(self) -> bool {
        matches!(self, UserRole::EnterpriseAdmin | UserRole::EnterpriseClerk)
    }
}

code_enum!(
    /// Treatment methods of a facility permit and of `treat` events.
    TreatmentMethod, "bad_treatment_method", "treatment method", "处置方式", {
        Incineration = "incineration", "焚烧", "incineration";
        PhysicoChemical = "physico_chemical", "物化处理", "physico-chemical treatment";
        Stabilisation = "stabilisation", "稳定化/固化", "stabilisation/solidification";
        Landfill = "landfill", "安全填埋", "secure landfill";
        CementKiln = "cement_kiln", "水泥窑协同处置", "cement-kiln co-processing";
        Steam = "steam", "高温蒸汽处理", "high-temperature steam";
        Utilisation = "utilisation", "综合利用", "utilisation";
    }
);

code_enum!(
    /// The two kinds of licence of 危险废物经营许可证管理办法 art. 3: the operating licence for
    /// collection, storage and treatment (its scope, and capacities per treatment method), and
    /// the collection licence of a collection point (its scope and an annual collection
    /// capacity; it treats nothing).
    PermitKind, "bad_permit_kind", "permit kind", "许可证类别", {
        Operating = "operating", "危险废物经营许可证（收集、贮存、利用、处置）", "hazardous-waste operating licence";
        Collection = "collection", "危险废物收集经营许可证", "hazardous-waste collection licence";
    }
);

impl PermitKind {
    /// The enterprise role a holder of this kind of licence must have.
    pub fn holder_role(self) -> EnterpriseRole {
        match self {
            PermitKind::Operating => EnterpriseRole::Facility,
            PermitKind::Collection => EnterpriseRole::CollectionPoint,
        }
    }
}

code_enum!(
    /// The period a licensed treatment capacity is stated for: tonnes a year, or tonnes a day
    /// (a medical-waste station's 3 t/day). Landfill is licensed by total volume instead.
    CapacityPer, "bad_capacity_unit", "capacity unit", "处置能力单位", {
        Year = "year", "吨/年", "tonnes per year";
        Day = "day", "吨/日", "tonnes per day";
    }
);

code_enum!(
    /// Vehicle types for hazardous-goods road transport.
    VehicleType, "bad_vehicle_type", "vehicle type", "车辆类型", {
        Van = "van", "厢式危险货物运输车", "box van for dangerous goods";
        Tanker = "tanker", "罐式危险货物运输车", "tanker";
        Flatbed = "flatbed", "栏板式危险货物运输车", "flatbed";
        MedicalWaste = "medical_waste", "医疗废物转运车", "medical-waste vehicle";
    }
);

/// A district code: lower-case ASCII slug; whether it exists is checked against the
/// districts table, which is data so that more districts can be added.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct District(String);

impl District {
    pub fn parse(s: &str) -> Result<District, Refusal> {
        let ok = (2..=32).contains(&s.len())
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(Refusal::invalid(
                "bad_district",
                format!("district '{s}' must be a code such as wansheng, qijiang, nanchuan or other"),
                format!("区县“{s}”应为代码，如wansheng、qijiang、nanchuan或other"),
            ));
        }
        Ok(District(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for District {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Province abbreviations that open a Chinese licence plate.
const PROVINCES: &str = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼";

/// A Chinese licence plate such as `渝A12345` or `渝AD12345` (new energy), stored without the
/// middle dot or spaces.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Plate(String);

impl Plate {
    pub fn parse(input: &str) -> Result<Plate, Refusal> {
        let s: String = input
            .chars()
            .filter(|c| !matches!(c, '·' | '•' | ' ' | '-'))
            .collect::<String>()
            .to_uppercase();
        let mut chars = s.chars();
        let province_ok = chars.next().is_some_and(|c| PROVINCES.contains(c));
        let letter_ok = chars.next().is_some_and(|c| c.is_ascii_uppercase());
        let rest: Vec<char> = chars.collect();
        let (body, suffix) = match rest.last() {
            Some('挂' | '学' | '警') => (&rest[..rest.len() - 1], true),
            _ => (&rest[..], false),
        };
        // Trailers (挂), coach (学) and police (警) plates carry four characters before the suffix.
        let body_len_ok = if suffix {
            body.len() == 4
        } else {
            body.len() == 5 || body.len() == 6
        };
        let body_ok = body
            .iter()
            .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !matches!(c, 'I' | 'O')));
        if !(province_ok && letter_ok && body_len_ok && body_ok) {
            return Err(Refusal::invalid(
                "bad_plate",
                format!("'{input}' is not a Chinese licence plate such as 渝A12345"),
                format!("“{input}”不是有效的车牌号，例如渝A12345"),
            ));
        }
        Ok(Plate(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest device name; a device key name is `<USCC>/<device-name>` (SPEC §2).
pub const MAX_DEVICE_NAME_LEN: usize = 64;

/// The device part of a device key name: letters, digits, `.`, `_`, `-`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct DeviceName(String);

impl DeviceName {
    pub fn parse(s: &str) -> Result<DeviceName, Refusal> {
        let ok = !s.is_empty()
            && s.len() <= MAX_DEVICE_NAME_LEN
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(Refusal::invalid(
                "bad_device_name",
                format!("device name '{s}' must be 1-{MAX_DEVICE_NAME_LEN} letters, digits, '.', '_' or '-'"),
                format!("设备名“{s}”应为1-{MAX_DEVICE_NAME_LEN}个字母、数字、“.”、“_”或“-”"),
            ));
        }
        Ok(DeviceName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SPEC §2 key name of this device of enterprise `owner`.
    pub fn key_name(&self, owner: &super::Uscc) -> String {
        format!("{owner}/{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn closed_lists() {
        assert_eq!(EnterpriseRole::parse("facility").unwrap(), EnterpriseRole::Facility);
        assert_eq!(
            EnterpriseRole::parse("factory").unwrap_err().code,
            "bad_enterprise_role"
        );
        assert_eq!(TreatmentMethod::parse("landfill").unwrap().named().name_zh, "安全填埋");
        assert_eq!(UserRole::parse("root").unwrap_err().code, "bad_user_role");
        assert_eq!(
            PermitKind::parse("collection").unwrap().holder_role(),
            EnterpriseRole::CollectionPoint
        );
        assert_eq!(PermitKind::parse("disposal").unwrap_err().code, "bad_permit_kind");
        assert_eq!(CapacityPer::parse("day").unwrap(), CapacityPer::Day);
        assert_eq!(District::parse("wansheng").unwrap().as_str(), "wansheng");
        assert_eq!(District::parse("Wan Sheng").unwrap_err().code, "bad_district");
    }

    #[test]
    fn plates() {
        assert_eq!(Plate::parse("渝A·12345").unwrap().as_str(), "渝A12345");
        assert_eq!(Plate::parse("渝ad12345").unwrap().as_str(), "渝AD12345");
        assert_eq!(Plate::parse("渝B1234挂").unwrap().as_str(), "渝B1234挂");
        for bad in ["A12345", "渝112345", "渝A1234", "渝A1234567", "渝AI2345", "XA12345"] {
            assert_eq!(Plate::parse(bad).unwrap_err().code, "bad_plate", "{bad}");
        }
    }

    #[test]
    fn device_names() {
        let owner = crate::domain::Uscc::parse("91500110MA5U8F4X2N").unwrap();
        assert_eq!(
            DeviceName::parse("phone-1").unwrap().key_name(&owner),
            "91500110MA5U8F4X2N/phone-1"
        );
        for bad in ["", "a b", "a/b", "a+b", &"x".repeat(65)] {
            assert_eq!(DeviceName::parse(bad).unwrap_err().code, "bad_device_name");
        }
    }

    proptest! {
        #[test]
        fn plates_round_trip(letter in "[A-Z]", body in "[0-9A-HJ-NP-Z]{5,6}") {
            let p = Plate::parse(&format!("渝{letter}{body}")).unwrap();
            prop_assert_eq!(Plate::parse(p.as_str()).unwrap(), p);
        }

        #[test]
        fn garbage_never_panics(s in "\\PC{0,70}") {
            let _ = Plate::parse(&s);
            let _ = DeviceName::parse(&s);
            let _ = District::parse(&s);
            let _ = TreatmentMethod::parse(&s);
        }
    }
}
