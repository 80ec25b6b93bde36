//! Every signed example in `docs/events.md` is real: each `<!-- example:TYPE -->` envelope is
//! exactly the documented payload signed by the documented seed keys, its signatures verify,
//! and its event parses under the 2021 catalogue. Every event type has one.
//!
//! To regenerate after changing a payload, run this test: it prints the blocks the document
//! should show.

use hwtrace::client::Device;
use hwtrace::crypto::dsse::Envelope;
use hwtrace::domain::event::{parse_event, EVENT_TYPES};
use hwtrace::domain::Catalogue;
use hwtrace::store::reference::parse_catalogue_csv;

/// The documented device keys: owner, device name, seed byte (the seed is 32 × that byte).
const KEYS: [(&str, &str, u8); 6] = [
    ("91500110MA5U8F4X2N", "phone-1", 3),  // generator (auto repair)
    ("91500110MA6TRN031U", "driver-1", 4), // first transporter
    ("91500110MA5UW0002G", "driver-2", 5), // second transporter
    ("91500110MA60YNXH0F", "gate-1", 6),   // receiving facility
    ("91500110MA5UW0001D", "phone-1", 7),  // collection point
    ("11500110MB0WAEE01L", "desk-1", 8),   // regulator (Wansheng ecology and environment bureau)
];

/// Each example: its type, the keys that sign it (indices into `KEYS`, actor first), and the
/// payload bytes.
const EXAMPLES: [(&str, &[usize], &str); 18] = [
    (
        "generate",
        &[3],
        r#"{"type":"generate","actor":"91500110MA60YNXH0F","device":"gate-1","at":"2026-12-02T15:00:00+08:00","nonce":"doc-0301","waste_code":"772-003-18","mass_g":5400,"form":"solid","hazards":["T"],"packaging":"吨袋","container_volume_l":1000,"components":"焚烧飞灰","storage_place":"飞灰暂存库","inputs":["91500110MA5U8F4X2N9002490820261128001"]}"#,
    ),
    (
        "store",
        &[0],
        r#"{"type":"store","actor":"91500110MA5U8F4X2N","device":"phone-1","at":"2026-11-28T10:00:00+08:00","nonce":"doc-0002","items":["91500110MA5U8F4X2N9002490820261128001"],"storage_place":"危废暂存间B"}"#,
    ),
    (
        "manifest_open",
        &[0],
        r#"{"type":"manifest_open","actor":"91500110MA5U8F4X2N","device":"phone-1","at":"2026-11-29T08:00:00+08:00","nonce":"doc-0003","transporters":["91500110MA6TRN031U","91500110MA5UW0002G"],"vehicle_plate":"渝D12345","driver_licence":"500110198001011234","receiver":"91500110MA60YNXH0F","items":["91500110MA5U8F4X2N9002490820261128001","91500110MA5U8F4X2N9002490820261128002"],"planned_date":"2026-11-30"}"#,
    ),
    (
        "manifest_amend",
        &[0],
        r#"{"type":"manifest_amend","actor":"91500110MA5U8F4X2N","device":"phone-1","at":"2026-11-29T09:00:00+08:00","nonce":"doc-0004","manifest":"20265001000042","remove_items":["91500110MA5U8F4X2N9002490820261128002"],"reason":"第二桶未装满，下次转移"}"#,
    ),
    (
        "manifest_cancel",
        &[0],
        r#"{"type":"manifest_cancel","actor":"91500110MA5U8F4X2N","device":"phone-1","at":"2026-11-29T09:10:00+08:00","nonce":"doc-0005","manifest":"20265001000043","reason":"车辆故障，改日重开"}"#,
    ),
    (
        "release",
        &[0],
        r#"{"type":"release","actor":"91500110MA5U8F4X2N","device":"phone-1","at":"2026-11-30T08:30:00+08:00","nonce":"doc-0006","items":["91500110MA5U8F4X2N9002490820261128001"],"to":"91500110MA6TRN031U","manifest":"20265001000042"}"#,
    ),
    (
        "accept",
        &[1],
        r#"{"type":"accept","actor":"91500110MA6TRN031U","device":"driver-1","at":"2026-11-30T08:32:00+08:00","nonce":"doc-0101","items":["91500110MA5U8F4X2N9002490820261128001"],"manifest":"20265001000042"}"#,
    ),
    (
        "arrive",
        &[2],
        r#"{"type":"arrive","actor":"91500110MA5UW0002G","device":"driver-2","at":"2026-11-30T14:05:00+08:00","nonce":"doc-0201","items":["91500110MA5U8F4X2N9002490820261128001"],"manifest":"20265001000042"}"#,
    ),
    (
        "weigh",
        &[3],
        r#"{"type":"weigh","actor":"91500110MA60YNXH0F","device":"gate-1","at":"2026-11-30T14:10:00+08:00","nonce":"doc-0302","item":"91500110MA5U8F4X2N9002490820261128001","weighed_mass_g":184900}"#,
    ),
    (
        "receive",
        &[3],
        r#"{"type":"receive","actor":"91500110MA60YNXH0F","device":"gate-1","at":"2026-11-30T14:20:00+08:00","nonce":"doc-0303","item":"91500110MA5U8F4X2N9002490820261128001","decision":"partial","accepted_mass_g":180000,"refused_mass_g":4900,"reason":"桶底含分离水层，拒收水层"}"#,
    ),
    (
        "return",
        &[1],
        r#"{"type":"return","actor":"91500110MA6TRN031U","device":"driver-1","at":"2026-12-01T09:00:00+08:00","nonce":"doc-0102","items":["91500110MA5U8F4X2N9002490820261128003"],"manifest":"20265001000051"}"#,
    ),
    (
        "treat",
        &[3],
        r#"{"type":"treat","actor":"91500110MA60YNXH0F","device":"gate-1","at":"2026-12-02T10:00:00+08:00","nonce":"doc-0304","item":"91500110MA5U8F4X2N9002490820261128001","method":"incineration","treated_mass_g":180000}"#,
    ),
    (
        "consolidate",
        &[4],
        r#"{"type":"consolidate","actor":"91500110MA5UW0001D","device":"phone-1","at":"2026-12-01T16:00:00+08:00","nonce":"doc-0401","inputs":["91500110MA5UW0003K9000523120261201001","91500222MA60T0YX189000523120261201001"],"output":{"waste_code":"900-052-31","mass_g":96000,"form":"solid","hazards":["T","C"],"packaging":"防渗漏吨箱","container_volume_l":1000,"components":"废铅蓄电池","storage_place":"收集点贮存区"}}"#,
    ),
    (
        "split",
        &[3],
        r#"{"type":"split","actor":"91500110MA60YNXH0F","device":"gate-1","at":"2026-12-02T11:00:00+08:00","nonce":"doc-0305","input":"91500110MA5U8F4X2N9002490820261128004","outputs":[{"waste_code":"900-249-08","mass_g":100000,"form":"liquid","hazards":["T","I"],"packaging":"200L钢桶","container_volume_l":200,"components":"矿物油","storage_place":"油品罐区"},{"waste_code":"900-249-08","mass_g":85000,"form":"liquid","hazards":["T","I"],"packaging":"200L钢桶","container_volume_l":200,"components":"矿物油","storage_place":"油品罐区"}]}"#,
    ),
    (
        "correction",
        &[3, 0],
        r#"{"type":"correction","actor":"91500110MA60YNXH0F","device":"gate-1","at":"2026-12-03T09:00:00+08:00","nonce":"doc-0306","corrects":118,"item":"91500110MA5U8F4X2N9002490820261128001","field":"declared_mass_g","new_value":184900,"reason":"产生单位申报时未扣除桶重","signers":["91500110MA60YNXH0F","91500110MA5U8F4X2N"]}"#,
    ),
    (
        "incident",
        &[1],
        r#"{"type":"incident","actor":"91500110MA6TRN031U","device":"driver-1","at":"2026-11-30T10:40:00+08:00","nonce":"doc-0103","item":"91500110MA5U8F4X2N9002490820261128001","kind":"spill","lost_mass_g":300,"description":"颠簸致桶盖渗漏，已用吸附棉处理"}"#,
    ),
    (
        "explanation",
        &[0],
        r#"{"type":"explanation","actor":"91500110MA5U8F4X2N","device":"phone-1","at":"2026-12-01T11:00:00+08:00","nonce":"doc-0007","item":"91500110MA5U8F4X2N9002490820261128001","about":121,"text":"申报重量含钢桶自重约15公斤"}"#,
    ),
    (
        "acknowledge",
        &[5],
        r#"{"type":"acknowledge","actor":"11500110MB0WAEE01L","device":"desk-1","at":"2026-12-01T15:00:00+08:00","nonce":"doc-0501","alert":17,"note":"已核实：称重差异系桶重未扣除，产生单位已说明"}"#,
    ),
];

fn device(i: usize) -> Device {
    let (owner, name, seed) = KEYS[i];
    Device::from_seed(owner, name, [seed; 32])
}

/// The envelope an example should show: signed by its keys in order.
fn signed(signers: &[usize], payload: &str) -> Envelope {
    let mut env = device(signers[0]).sign_bytes(payload.as_bytes());
    for &k in &signers[1..] {
        env = device(k).cosign(&env);
    }
    env
}

/// Every `<!-- example:TYPE -->` block of the document, in order.
fn documented(doc: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(at) = rest.find("<!-- example:") {
        let after = &rest[at + "<!-- example:".len()..];
        let name_end = after.find(" -->").expect("an example marker ends with -->");
        let name = after[..name_end].to_owned();
        let body = &after[name_end..];
        let start = body.find("```json\n").expect("a json block follows the marker") + "```json\n".len();
        let end = start + body[start..].find("\n```").expect("the json block ends");
        out.push((name, body[start..end].to_owned()));
        rest = &body[end..];
    }
    out
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
fn every_documented_event_example_is_signed_and_valid() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/events.md")).unwrap();
    let blocks = documented(&doc);
    let expected: Vec<(String, String)> = EXAMPLES
        .iter()
        .map(|(kind, signers, payload)| {
            (
                kind.to_string(),
                serde_json::to_string(&signed(signers, payload)).unwrap(),
            )
        })
        .collect();
    let shown: Vec<String> = expected
        .iter()
        .map(|(k, e)| format!("<!-- example:{k} -->\n```json\n{e}\n```"))
        .collect();
    let names: Vec<&str> = blocks.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        EVENT_TYPES,
        "one example per event type, in order; docs/events.md should show:\n{}",
        shown.join("\n\n")
    );
    let catalogue = catalogue();
    for ((name, block), (kind, signers, payload)) in blocks.iter().zip(EXAMPLES) {
        assert_eq!(name, kind);
        let env: Envelope = serde_json::from_str(block).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = signed(signers, payload);
        assert_eq!(
            env,
            want,
            "docs/events.md example:{name} should be:\n{}",
            serde_json::to_string(&want).unwrap()
        );
        let devices: Vec<Device> = signers.iter().map(|&k| device(k)).collect();
        let verified = env
            .verify(|id| {
                devices
                    .iter()
                    .find(|d| d.key_id() == id)
                    .map(|d| d.verifier_key().public_key)
            })
            .unwrap_or_else(|e| panic!("{name}: a signature fails: {e}"));
        for d in &devices {
            assert!(
                verified.signers.contains(&d.key_id()),
                "{name}: not signed by {}",
                d.key_name()
            );
        }
        let event = parse_event(&verified.payload, &catalogue).unwrap_or_else(|r| panic!("{name}: {r}"));
        assert_eq!(event.body.type_name(), kind);
        assert_eq!(event.common.actor.as_str(), KEYS[signers[0]].0);
    }
}
