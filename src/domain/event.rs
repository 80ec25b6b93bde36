//! Custody events: the JSON payload a device signs inside a DSSE envelope (SPEC §4), parsed
//! into typed events. Every payload carries `type`, `actor`, `device`, `at` and `nonce`; each
//! type adds its own fields. Unknown fields are refused: what a device signed must mean
//! exactly what the server understood. Pure: the clock and the database are checked elsewhere.

use chrono::{DateTime, FixedOffset};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::refusal::Refusal;
use super::{text, Catalogue, DeviceName, Grams, HazardSet, PhysicalForm, Uscc, WasteCode};

/// Longest nonce accepted; nonces are unique per device.
pub const MAX_NONCE_LEN: usize = 64;
/// Largest event payload accepted, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 16 * 1024;
/// Largest container volume on a label, in litres (a 30 m³ tank).
pub const MAX_CONTAINER_VOLUME_L: u32 = 30_000;

const COMMON_FIELDS: [&str; 5] = ["type", "actor", "device", "at", "nonce"];

/// What every event says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    pub actor: Uscc,
    pub device: DeviceName,
    /// The device's clock, with its offset.
    pub at: DateTime<FixedOffset>,
    pub nonce: String,
}

/// A typed custody event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub common: Common,
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventBody {
    Generate(Generate),
}

impl EventBody {
    pub fn type_name(&self) -> &'static str {
        match self {
            EventBody::Generate(_) => "generate",
        }
    }
}

/// A container filled at its generator: the server assigns its item code and signs its label.
#[derive(Debug, Clone, PartialEq)]
pub struct Generate {
    pub waste_code: WasteCode,
    /// 废物名称, as printed on the label; defaults to the catalogue's description.
    pub waste_name: String,
    pub mass: Grams,
    pub form: PhysicalForm,
    pub hazards: HazardSet,
    pub packaging: String,
    pub container_volume_l: u32,
    /// 主要成分.
    pub components: String,
    /// 有害成分.
    pub harmful_components: String,
    /// 注意事项.
    pub precautions: String,
    pub storage_place: String,
}

#[derive(Deserialize)]
struct RawCommon {
    actor: String,
    device: String,
    at: String,
    nonce: String,
}

#[derive(Deserialize)]
struct RawGenerate {
    waste_code: String,
    mass_g: i64,
    form: String,
    hazards: Vec<String>,
    packaging: String,
    container_volume_l: i64,
    components: String,
    storage_place: String,
    #[serde(default)]
    waste_name: Option<String>,
    #[serde(default)]
    harmful_components: Option<String>,
    #[serde(default)]
    precautions: Option<String>,
}

const GENERATE_FIELDS: [&str; 11] = [
    "waste_code",
    "mass_g",
    "form",
    "hazards",
    "packaging",
    "container_volume_l",
    "components",
    "storage_place",
    "waste_name",
    "harmful_components",
    "precautions",
];

fn bad_json(detail: impl std::fmt::Display) -> Refusal {
    Refusal::invalid(
        "bad_event_json",
        format!("the event payload is not a JSON object: {detail}"),
        format!("事件内容不是JSON对象：{detail}"),
    )
}

fn typed<T: DeserializeOwned>(obj: &Map<String, Value>) -> Result<T, Refusal> {
    serde_json::from_value(Value::Object(obj.clone())).map_err(|e| {
        Refusal::invalid(
            "bad_event_field",
            format!("an event field is missing or has the wrong type: {e}"),
            format!("事件字段缺失或类型错误：{e}"),
        )
    })
}

fn check_fields(obj: &Map<String, Value>, own: &[&str]) -> Result<(), Refusal> {
    match obj
        .keys()
        .find(|k| !COMMON_FIELDS.contains(&k.as_str()) && !own.contains(&k.as_str()))
    {
        Some(k) => Err(Refusal::invalid(
            "unknown_event_field",
            format!("the event has a field '{k}' that its type does not define"),
            format!("事件含有其类型未定义的字段“{k}”"),
        )),
        None => Ok(()),
    }
}

fn parse_common(raw: RawCommon) -> Result<Common, Refusal> {
    let actor = Uscc::parse(&raw.actor).map_err(|r| r.in_field("actor"))?;
    let device = DeviceName::parse(&raw.device)?;
    let at = DateTime::parse_from_rfc3339(&raw.at).map_err(|_| {
        Refusal::invalid(
            "bad_event_time",
            format!(
                "at '{}' must be an RFC 3339 time with offset, e.g. 2026-11-28T09:30:00+08:00",
                raw.at
            ),
            format!("at“{}”应为带时区的RFC 3339时间，例如2026-11-28T09:30:00+08:00", raw.at),
        )
    })?;
    let nonce_ok = !raw.nonce.is_empty()
        && raw.nonce.len() <= MAX_NONCE_LEN
        && raw
            .nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !nonce_ok {
        return Err(Refusal::invalid(
            "bad_nonce",
            format!("nonce must be 1-{MAX_NONCE_LEN} letters, digits, '-', '_' or '.'"),
            format!("nonce应为1-{MAX_NONCE_LEN}个字母、数字或“-”、“_”、“.”"),
        ));
    }
    Ok(Common {
        actor,
        device,
        at,
        nonce: raw.nonce,
    })
}

fn parse_generate(raw: RawGenerate, catalogue: &Catalogue) -> Result<Generate, Refusal> {
    let waste_code = WasteCode::parse(&raw.waste_code, catalogue)?;
    let listed_name = catalogue.get(waste_code).map(|e| e.description.clone());
    let waste_name = match raw.waste_name {
        Some(n) => text::required("waste_name", &n, 100)?,
        None => listed_name.unwrap_or_else(|| waste_code.to_string()),
    };
    let volume = u32::try_from(raw.container_volume_l)
        .ok()
        .filter(|v| (1..=MAX_CONTAINER_VOLUME_L).contains(v))
        .ok_or_else(|| {
            Refusal::invalid(
                "bad_volume",
                format!("container_volume_l must be 1-{MAX_CONTAINER_VOLUME_L} litres"),
                format!("容器容积container_volume_l应为1-{MAX_CONTAINER_VOLUME_L}升"),
            )
        })?;
    Ok(Generate {
        waste_code,
        waste_name,
        mass: Grams::item_mass(raw.mass_g)?,
        form: PhysicalForm::parse(&raw.form)?,
        hazards: HazardSet::parse(&raw.hazards)?,
        packaging: text::required("packaging", &raw.packaging, 50)?,
        container_volume_l: volume,
        components: text::required("components", &raw.components, 200)?,
        harmful_components: text::optional("harmful_components", raw.harmful_components.as_deref(), 200)?
            .unwrap_or_default(),
        precautions: text::optional("precautions", raw.precautions.as_deref(), 200)?.unwrap_or_default(),
        storage_place: text::required("storage_place", &raw.storage_place, 100)?,
    })
}

/// Parses a signed payload. `catalogue` checks waste codes.
pub fn parse_event(payload: &[u8], catalogue: &Catalogue) -> Result<Event, Refusal> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(Refusal::invalid(
            "event_too_large",
            format!("an event payload is at most {MAX_PAYLOAD_BYTES} bytes"),
            format!("事件内容不能超过{MAX_PAYLOAD_BYTES}字节"),
        ));
    }
    let value: Value = serde_json::from_slice(payload).map_err(bad_json)?;
    let Value::Object(obj) = value else {
        return Err(bad_json("not an object"));
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or_default().to_owned();
    let common = parse_common(typed::<RawCommon>(&obj)?)?;
    let body = match kind.as_str() {
        "generate" => {
            check_fields(&obj, &GENERATE_FIELDS)?;
            EventBody::Generate(parse_generate(typed(&obj)?, catalogue)?)
        }
        other => {
            return Err(Refusal::invalid(
                "unknown_event_type",
                format!("unknown event type '{other}'"),
                format!("未知的事件类型“{other}”"),
            ))
        }
    };
    Ok(Event { common, body })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::waste::waste_digits;
    use crate::domain::CatalogueEntry;
    use proptest::prelude::*;
    use serde_json::json;

    fn catalogue() -> Catalogue {
        let code = WasteCode::from_trusted_digits(waste_digits("900-249-08").unwrap());
        Catalogue::new(
            "2021",
            vec![CatalogueEntry {
                code,
                category: "HW08".into(),
                category_name: "废矿物油与含矿物油废物".into(),
                industry: "非特定行业".into(),
                description: "其他生产、销售、使用过程中产生的废矿物油".into(),
                hazard: "T,I".into(),
            }],
        )
    }

    fn generate() -> Value {
        json!({
            "type": "generate", "actor": "91500110MA5U8F4X2N", "device": "phone-1",
            "at": "2026-11-28T09:30:00+08:00", "nonce": "0000000000000001",
            "waste_code": "900-249-08", "mass_g": 185500, "form": "liquid", "hazards": ["T", "I"],
            "packaging": "200L钢桶", "container_volume_l": 200, "components": "矿物油",
            "storage_place": "危废暂存间A"
        })
    }

    fn parse(v: &Value) -> Result<Event, Refusal> {
        parse_event(v.to_string().as_bytes(), &catalogue())
    }

    #[test]
    fn a_generate_event_parses() {
        let e = parse(&generate()).unwrap();
        assert_eq!(e.common.actor.as_str(), "91500110MA5U8F4X2N");
        let EventBody::Generate(g) = e.body;
        assert_eq!(g.mass, Grams(185_500));
        assert_eq!(g.hazards.bits(), 0x05);
        assert_eq!(g.form.number(), 3);
        assert_eq!(g.waste_name, "其他生产、销售、使用过程中产生的废矿物油");
    }

    #[test]
    fn each_mistake_has_its_code() {
        let with = |k: &str, v: Value| {
            let mut g = generate();
            g[k] = v;
            g
        };
        let cases = [
            (with("type", json!("teleport")), "unknown_event_type"),
            (with("colour", json!("red")), "unknown_event_field"),
            (with("mass_g", json!("heavy")), "bad_event_field"),
            (with("mass_g", json!(0)), "bad_mass"),
            (with("waste_code", json!("900-248-08")), "unknown_waste_code"),
            (with("actor", json!("91500110MA5U8F4X2A")), "bad_uscc_check"),
            (with("at", json!("yesterday")), "bad_event_time"),
            (with("nonce", json!("")), "bad_nonce"),
            (with("hazards", json!(["X"])), "bad_hazard"),
            (with("form", json!("plasma")), "bad_form"),
            (with("container_volume_l", json!(0)), "bad_volume"),
            (with("packaging", json!(" ")), "missing_field"),
            (with("device", json!("a/b")), "bad_device_name"),
        ];
        for (v, code) in cases {
            assert_eq!(parse(&v).unwrap_err().code, code, "{v}");
        }
        assert_eq!(parse_event(b"[1]", &catalogue()).unwrap_err().code, "bad_event_json");
        assert_eq!(parse_event(b"{", &catalogue()).unwrap_err().code, "bad_event_json");
    }

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_event(&bytes, &catalogue());
        }

        #[test]
        fn masses_round_trip(mass in 1i64..=100_000_000) {
            let mut g = generate();
            g["mass_g"] = json!(mass);
            let EventBody::Generate(p) = parse(&g).unwrap().body;
            prop_assert_eq!(p.mass.0, mass as u64);
        }
    }
}
