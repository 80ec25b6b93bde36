//! The signed examples in `docs/` are real: each envelope verifies with the key it names and
//! its event parses under the 2021 catalogue.

use hwtrace::client::Device;
use hwtrace::crypto::dsse::Envelope;
use hwtrace::domain::event::parse_event;
use hwtrace::domain::Catalogue;
use hwtrace::store::reference::parse_catalogue_csv;

/// The payload of the documented `generate` example.
const GENERATE_PAYLOAD: &str = r#"{"type":"generate","actor":"91500110MA5U8F4X2N","device":"phone-1","at":"2026-11-28T09:30:00+08:00","nonce":"doc-0001","waste_code":"900-249-08","mass_g":185500,"form":"liquid","hazards":["T","I"],"packaging":"200L钢桶","container_volume_l":200,"components":"矿物油","storage_place":"危废暂存间A"}"#;

fn example(doc: &str, name: &str) -> String {
    let marker = format!("<!-- example:{name} -->\n```json\n");
    let start = doc.find(&marker).unwrap_or_else(|| panic!("no example {name}")) + marker.len();
    let end = start + doc[start..].find("\n```").unwrap();
    doc[start..end].to_owned()
}

fn catalogue() -> Catalogue {
    let csv = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/seeds/catalogue/2021/hw_catalog_2021.csv"
    ))
    .unwrap();
    Catalogue::new(
        "2021",
        parse_catalogue_csv(&csv)
            .unwrap()
            .into_iter()
            .map(|r| r.entry)
            .collect(),
    )
}

#[test]
fn the_documented_generate_example_is_signed_and_valid() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/log-format.md")).unwrap();
    let device = Device::from_seed("91500110MA5U8F4X2N", "phone-1", [3; 32]);
    let expected = device.sign_bytes(GENERATE_PAYLOAD.as_bytes());
    let documented: Envelope = serde_json::from_str(&example(&doc, "generate")).unwrap();
    assert_eq!(
        documented,
        expected,
        "docs/log-format.md should show:\n{}",
        serde_json::to_string(&expected).unwrap()
    );
    let key = device.verifier_key().public_key;
    let verified = documented.verify(|id| (id == device.key_id()).then_some(key)).unwrap();
    let event = parse_event(&verified.payload, &catalogue()).unwrap();
    assert_eq!(event.common.nonce, "doc-0001");
}
