//! The EPCIS 2.0 export (`GET /api/v1/export/epcis`, `hwtrace export epcis`): a custody story
//! told over HTTP to the real service comes out as an EPCIS document that the official GS1
//! EPCIS 2.0 JSON schema (vendored in `tests/vectors/epcis/`, see `tests/vectors/SOURCE.md`)
//! accepts, with the event types, business steps, parties, manifest and masses the log holds;
//! a window of the log links its events to what came before it; broken documents fail the same
//! schema, so the validation is not vacuous.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use common::cast::{code_of, index_of, Cast};
use common::custody::{accepted, send_event, Fleet};
use common::{assert_refused, spawn_app, Client, YUNAN};
use hwtrace::client::generate_fields;
use jsonschema::Validator;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const OIL: &str = "900-249-08";
const FLY_ASH: &str = "772-003-18";
const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/epcis");

fn read_json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The GS1 schema, with `format` (uri, date-time) checked too.
fn schema() -> Validator {
    let schema = read_json(&format!("{VECTORS}/EPCIS-JSON-Schema.json"));
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the GS1 schema compiles")
}

fn errors(v: &Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

fn assert_valid(v: &Validator, doc: &Value) {
    let errs = errors(v, doc);
    assert!(errs.is_empty(), "not valid EPCIS 2.0: {errs:#?}\n{doc:#}");
}

#[test]
fn the_gs1_examples_pass_and_broken_documents_fail() {
    let v = schema();
    let examples: Vec<_> = std::fs::read_dir(format!("{VECTORS}/examples"))
        .unwrap()
        .map(|f| f.unwrap().path())
        .collect();
    assert_eq!(examples.len(), 4);
    for path in &examples {
        assert_valid(&v, &read_json(path.to_str().unwrap()));
    }

    let good = read_json(&format!("{VECTORS}/examples/Example_9.6.1-ObjectEvent.jsonld"));
    type Breaks = fn(&mut Value);
    let broken: [(&str, Breaks); 8] = [
        ("an event without type", |d| {
            d["epcisBody"]["eventList"][0].as_object_mut().unwrap().remove("type");
        }),
        ("a bad action", |d| {
            d["epcisBody"]["eventList"][0]["action"] = json!("MOVE")
        }),
        ("an ObjectEvent without action", |d| {
            d["epcisBody"]["eventList"][0].as_object_mut().unwrap().remove("action");
        }),
        ("a document without @context", |d| {
            d.as_object_mut().unwrap().remove("@context");
        }),
        ("a document without type", |d| {
            d.as_object_mut().unwrap().remove("type");
        }),
        ("a quantity as a string", |d| {
            d["epcisBody"]["eventList"][0]["quantityList"] =
                json!([{"epcClass": "urn:hwtrace:waste:900-249-08", "quantity": "185.5", "uom": "KGM"}]);
        }),
        ("an unknown business step", |d| {
            d["epcisBody"]["eventList"][0]["bizStep"] = json!("teleporting")
        }),
        ("an EPC that is not a URI", |d| {
            d["epcisBody"]["eventList"][0]["epcList"] = json!(["drum 1"]);
        }),
    ];
    for (what, breaks) in broken {
        let mut doc = good.clone();
        breaks(&mut doc);
        assert!(!errors(&v, &doc).is_empty(), "{what} passed the schema");
    }
}

/// Everything the export tests look at: the service, its clients, the parties and the items.
struct Story {
    app: common::TestApp,
    admin: Client,
    plant: String,
    carrier: String,
    manifest: String,
    drums: [String; 3],
    ash: String,
    tote: String,
    halves: Vec<String>,
    /// The 400 g refused of drum B at the gate, an item of its own.
    part: String,
    /// Log index of the named entries.
    seq: std::collections::BTreeMap<&'static str, u64>,
}

/// A plant sends three drums of waste oil to Yunan; one is burnt (leaving fly ash), two are
/// consolidated into a tote, which is split; one half spills. One submission is refused.
async fn story() -> Story {
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .generator("plant", "91500110MA6CHM002")
        .transporter(
            "carrier",
            "91500110MA6TRN034",
            Fleet::van("渝D44444", "500110199004041234"),
        )
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let admin = &cast.admin;
    let (shop, driver, gate) = (&cast["plant"].device, &cast["carrier"].device, &cast["yunan"].device);
    let mut seq = std::collections::BTreeMap::new();

    let mut drums = Vec::new();
    for mass_g in [210_500u64, 100_400, 50_001] {
        let fields = generate_fields(OIL, mass_g, "liquid", &["T", "I"], 200);
        drums.push(cast.generate("plant", fields).await);
    }
    let drums: [String; 3] = drums.try_into().unwrap();
    let receipt = accepted(admin, shop, "manifest_open", cast.manifest("carrier", YUNAN, &drums)).await;
    let manifest = receipt["manifest_no"].as_str().unwrap().to_owned();
    let trip = json!({"items": drums, "manifest": manifest});
    let r = accepted(
        admin,
        shop,
        "release",
        json!({"items": drums, "to": cast["carrier"].uscc, "manifest": manifest}),
    )
    .await;
    seq.insert("release", index_of(&r));
    seq.insert(
        "accept",
        index_of(&accepted(admin, driver, "accept", trip.clone()).await),
    );
    // Accepting twice is refused, and the refusal is logged: it is not a custody event.
    let (s, body) = send_event(admin, driver, "accept", trip.clone()).await;
    assert!(s.is_client_error(), "{body}");
    seq.insert("arrive", index_of(&accepted(admin, driver, "arrive", trip).await));

    let mut part = String::new();
    let receipts = [
        (
            &drums[0],
            210_500u64,
            json!({"decision": "accept", "accepted_mass_g": 210_500, "refused_mass_g": 0}),
        ),
        (
            &drums[1],
            100_400,
            json!({"decision": "partial", "accepted_mass_g": 100_000, "refused_mass_g": 400, "reason": "桶底含水"}),
        ),
        (
            &drums[2],
            50_001,
            json!({"decision": "accept", "accepted_mass_g": 50_001, "refused_mass_g": 0}),
        ),
    ];
    for (i, (drum, weighed, mut decision)) in receipts.into_iter().enumerate() {
        let r = accepted(admin, gate, "weigh", json!({"item": drum, "weighed_mass_g": weighed})).await;
        if i == 1 {
            seq.insert("weigh", index_of(&r));
        }
        decision["item"] = json!(drum);
        let r = accepted(admin, gate, "receive", decision).await;
        if i == 1 {
            seq.insert("receive", index_of(&r));
            part = code_of(&r);
        }
    }

    accepted(
        admin,
        gate,
        "treat",
        json!({"item": drums[0], "method": "incineration", "treated_mass_g": 210_500}),
    )
    .await;
    let mut residue = generate_fields(FLY_ASH, 9_000, "solid", &["T"], 1000);
    residue["inputs"] = json!([drums[0]]);
    let ash = code_of(&accepted(admin, gate, "generate", residue).await);
    let output = generate_fields(OIL, 150_001, "liquid", &["T", "I"], 1000);
    let receipt = accepted(
        admin,
        gate,
        "consolidate",
        json!({"inputs": [drums[1], drums[2]], "output": output}),
    )
    .await;
    let tote = code_of(&receipt);
    let half = |g: u64| generate_fields(OIL, g, "liquid", &["T", "I"], 200);
    let receipt = accepted(
        admin,
        gate,
        "split",
        json!({"input": tote, "outputs": [half(75_000), half(75_001)]}),
    )
    .await;
    let halves: Vec<String> = receipt["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["item_code"].as_str().unwrap().to_owned())
        .collect();
    accepted(
        admin,
        gate,
        "incident",
        json!({"item": halves[0], "kind": "spill", "lost_mass_g": 500, "description": "转运时桶盖渗漏"}),
    )
    .await;
    let (plant, carrier) = (cast["plant"].uscc.clone(), cast["carrier"].uscc.clone());
    Story {
        app,
        admin: cast.admin,
        plant,
        carrier,
        manifest,
        drums,
        ash,
        tote,
        halves,
        part,
        seq,
    }
}

/// GET an export as `c`: the status, the content type and the body.
async fn export(c: &Client, query: &str) -> (StatusCode, String, Value) {
    let resp = c
        .request(Method::GET, &format!("/api/v1/export/epcis{query}"))
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    (status, ct, body)
}

fn item(code: &str) -> Value {
    json!(format!("urn:hwtrace:item:{code}"))
}

fn party(uscc: &str) -> Value {
    json!(format!("urn:hwtrace:uscc:{uscc}"))
}

fn events(doc: &Value) -> &Vec<Value> {
    doc["epcisBody"]["eventList"].as_array().unwrap()
}

/// The events of one hwtrace event type, in log order.
fn of_type<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
    events(doc).iter().filter(|e| e["hwtrace:eventType"] == kind).collect()
}

/// The log index an event ID names.
fn seq_of(event: &Value) -> u64 {
    let id = event["eventID"].as_str().unwrap();
    let rest = id.strip_prefix("urn:hwtrace:entry:").unwrap();
    rest.split(':').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_custody_story_exports_as_valid_epcis_with_its_parties_manifest_and_masses() {
    let s = story().await;
    let v = schema();
    let (status, content_type, doc) = export(&s.admin, "").await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!(content_type, "application/ld+json");
    assert_valid(&v, &doc);
    for (member, bad) in [
        ("action", json!("MOVE")),
        ("eventTimeZoneOffset", Value::Null),
        ("type", Value::Null),
    ] {
        let mut broken = doc.clone();
        broken["epcisBody"]["eventList"][0][member] = bad;
        assert!(
            !errors(&v, &broken).is_empty(),
            "the export with a bad {member} passed the schema"
        );
    }
    assert_eq!(
        (&doc["type"], &doc["schemaVersion"]),
        (&json!("EPCISDocument"), &json!("2.0"))
    );
    assert_eq!(
        doc["@context"][0],
        "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    );
    let size = doc["hwtrace:logSize"].as_u64().unwrap();
    assert_eq!(
        (&doc["hwtrace:from"], &doc["hwtrace:to"], &doc["hwtrace:next"]),
        (&json!(0), &json!(size - 1), &json!(size))
    );

    // Every event entry and nothing else: key and refusal entries are not exported.
    let (_, lines) = s.admin.get(&format!("/log/entries?start=0&end={size}")).await;
    let entries: Vec<Value> = lines
        .as_str()
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds = |k: &str| -> BTreeSet<u64> {
        entries
            .iter()
            .filter(|e| e["kind"] == k)
            .map(|e| e["seq"].as_u64().unwrap())
            .collect()
    };
    assert_eq!(kinds("refusal").len(), 1, "the refused accept is logged");
    let exported: BTreeSet<u64> = events(&doc).iter().map(seq_of).collect();
    assert_eq!(exported, kinds("event"));
    let ids: BTreeSet<&str> = events(&doc).iter().map(|e| e["eventID"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events(&doc).len(), "event IDs are unique");

    // The story, step by step: EPCIS event type and business step of each.
    let steps: Vec<(String, String, String)> = events(&doc)
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or("-").to_owned();
            (s("hwtrace:eventType"), s("type"), s("bizStep"))
        })
        .collect();
    let expected: Vec<(&str, &str, &str)> = [
        vec![("generate", "ObjectEvent", "commissioning"); 3],
        vec![
            ("manifest_open", "ObjectEvent", "staging_outbound"),
            ("release", "ObjectEvent", "shipping"),
            ("accept", "ObjectEvent", "accepting"),
            ("arrive", "ObjectEvent", "arriving"),
        ],
        vec![
            ("weigh", "ObjectEvent", "inspecting"),
            ("receive", "ObjectEvent", "receiving"),
            ("weigh", "ObjectEvent", "inspecting"),
            ("receive", "ObjectEvent", "receiving"),
            // Drum B's refused part, an item of its own.
            ("receive", "TransformationEvent", "repackaging"),
            ("weigh", "ObjectEvent", "inspecting"),
            ("receive", "ObjectEvent", "receiving"),
        ],
        vec![
            ("treat", "TransformationEvent", "destroying"),
            ("generate", "TransformationEvent", "commissioning"),
            ("consolidate", "ObjectEvent", "commissioning"),
            ("consolidate", "AggregationEvent", "packing"),
            ("split", "TransformationEvent", "repackaging"),
            ("incident", "ObjectEvent", "-"),
        ],
    ]
    .concat();
    let steps: Vec<(&str, &str, &str)> = steps
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_str()))
        .collect();
    assert_eq!(steps, expected);

    // Generation: the declared masses in KGM, exactly.
    let generated = of_type(&doc, "generate");
    for (e, (drum, kg)) in generated.iter().zip(s.drums.iter().zip([210.5, 100.4, 50.001])) {
        assert_eq!((&e["action"], &e["epcList"]), (&json!("ADD"), &json!([item(drum)])));
        assert_eq!(
            e["quantityList"],
            json!([{"epcClass": "urn:hwtrace:waste:900-249-08", "quantity": kg, "uom": "KGM"}])
        );
        assert_eq!(e["bizLocation"]["id"], party(&s.plant));
        assert_eq!(e["ilmd"]["hwtrace:wasteCode"], OIL);
    }

    // Shipping and receiving: the manifest on every step, possession from party to party.
    let manifest = json!([{"type": "desadv", "bizTransaction": format!("urn:hwtrace:manifest:{}", s.manifest)}]);
    for kind in ["manifest_open", "release", "accept", "arrive", "weigh", "receive"] {
        for e in of_type(&doc, kind) {
            assert_eq!(e["bizTransactionList"], manifest, "{kind}: {e}");
        }
    }
    let drums: Vec<Value> = s.drums.iter().map(|d| item(d)).collect();
    let release = of_type(&doc, "release")[0];
    assert_eq!(release["epcList"], json!(drums));
    assert_eq!(
        release["sourceList"][0],
        json!({"type": "possessing_party", "source": party(&s.plant)})
    );
    assert_eq!(
        release["destinationList"][0],
        json!({"type": "possessing_party", "destination": party(&s.carrier)})
    );
    let accept = of_type(&doc, "accept")[0];
    assert_eq!(accept["sourceList"][0]["source"], party(&s.plant));
    assert_eq!(accept["destinationList"][0]["destination"], party(&s.carrier));
    let arrive = of_type(&doc, "arrive")[0];
    assert_eq!(arrive["sourceList"][0]["source"], party(&s.carrier));
    assert_eq!(arrive["destinationList"][0]["destination"], party(YUNAN));
    for (e, kg) in of_type(&doc, "weigh").iter().zip([210.5, 100.4, 50.001]) {
        assert_eq!(
            e["sensorElementList"][0]["sensorReport"][0],
            json!({"type": "Mass", "value": kg, "uom": "KGM"})
        );
    }
    let (received, parts): (Vec<&Value>, Vec<&Value>) = of_type(&doc, "receive")
        .into_iter()
        .partition(|e| e["type"] == "ObjectEvent");
    assert_eq!(received.len(), 3);
    for (e, kg) in received.iter().zip([210.5, 100.0, 50.001]) {
        assert_eq!(e["quantityList"][0]["quantity"], json!(kg));
        assert_eq!(e["sourceList"][0]["source"], party(&s.carrier));
        assert_eq!(e["destinationList"][0]["destination"], party(YUNAN));
        assert_eq!(e["disposition"], "active");
    }
    assert_eq!(
        (&received[1]["hwtrace:decision"], &received[1]["hwtrace:refusedMassKg"]),
        (&json!("partial"), &json!(0.4))
    );
    // The refused 400 g are an item of their own: transformed out of drum B, non-conformant.
    assert_eq!(parts.len(), 1, "{parts:?}");
    assert_eq!(
        (
            &parts[0]["inputEPCList"],
            &parts[0]["outputEPCList"],
            &parts[0]["disposition"]
        ),
        (
            &json!([item(&s.drums[1])]),
            &json!([item(&s.part)]),
            &json!("non_conformant")
        )
    );
    assert_eq!(parts[0]["outputQuantityList"][0]["quantity"], json!(0.4));

    // Treatment, residue, consolidation and split.
    let treat = of_type(&doc, "treat")[0];
    assert_eq!(treat["inputEPCList"], json!([item(&s.drums[0])]));
    assert_eq!(treat["inputQuantityList"][0]["quantity"], json!(210.5));
    assert_eq!(
        (&treat["disposition"], &treat["hwtrace:treatmentMethod"]),
        (&json!("destroyed"), &json!("incineration"))
    );
    let residue = of_type(&doc, "generate")[3];
    assert_eq!(residue["inputEPCList"], json!([item(&s.drums[0])]));
    assert_eq!(residue["outputEPCList"], json!([item(&s.ash)]));
    assert_eq!(
        residue["outputQuantityList"],
        json!([{"epcClass": "urn:hwtrace:waste:772-003-18", "quantity": 9.0, "uom": "KGM"}])
    );
    let consolidated = of_type(&doc, "consolidate");
    assert_eq!(consolidated[0]["epcList"], json!([item(&s.tote)]));
    assert_eq!(consolidated[0]["quantityList"][0]["quantity"], json!(150.001));
    assert_eq!(consolidated[1]["parentID"], item(&s.tote));
    assert_eq!(
        consolidated[1]["childEPCs"],
        json!([item(&s.drums[1]), item(&s.drums[2])])
    );
    assert_eq!(
        seq_of(consolidated[0]),
        seq_of(consolidated[1]),
        "one entry, two events"
    );
    let split = of_type(&doc, "split")[0];
    assert_eq!(split["inputEPCList"], json!([item(&s.tote)]));
    assert_eq!(split["outputEPCList"], json!([item(&s.halves[0]), item(&s.halves[1])]));
    let halves: Vec<&Value> = split["outputQuantityList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| &q["quantity"])
        .collect();
    assert_eq!(halves, [&json!(75.0), &json!(75.001)]);
    let spill = of_type(&doc, "incident")[0];
    assert_eq!(
        (&spill["disposition"], &spill["hwtrace:lostMassKg"]),
        (&json!("damaged"), &json!(0.5))
    );

    // A window of one entry links it to the entries before it: who released, the manifest's
    // receiver, the manifest an item arrived under and its carrier.
    for (name, check) in [
        ("accept", "sourceList"),
        ("arrive", "destinationList"),
        ("weigh", "bizTransactionList"),
        ("receive", "sourceList"),
    ] {
        let at = s.seq[name];
        let (status, _, window) = export(&s.admin, &format!("?from={at}&to={at}")).await;
        assert_eq!(status, StatusCode::OK, "{window}");
        assert_valid(&v, &window);
        let full: Vec<&Value> = events(&doc).iter().filter(|e| seq_of(e) == at).collect();
        assert_eq!(events(&window).iter().collect::<Vec<_>>(), full, "{name} alone");
        assert!(
            full[0][check].as_array().is_some_and(|l| !l.is_empty()),
            "{name}: {check}"
        );
        assert_eq!(
            (&window["hwtrace:to"], &window["hwtrace:next"]),
            (&json!(at), &json!(at + 1))
        );
    }

    // The command line writes the same events from the database file, the service running.
    let db = s.app.dir.path().join("hwtrace.db");
    let cli = |args: &[&str]| -> Value {
        let out = Command::new(env!("CARGO_BIN_EXE_hwtrace"))
            .args(["export", "epcis", "--db", db.to_str().unwrap()])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let written = cli(&[]);
    assert_valid(&v, &written);
    assert_eq!(events(&written), events(&doc));
    assert_eq!(written["hwtrace:to"], doc["hwtrace:to"]);
    let receive = s.seq["receive"].to_string();
    let written = cli(&["--from", &s.seq["release"].to_string(), "--to", &receive]);
    assert_valid(&v, &written);
    let part: Vec<&Value> = events(&doc)
        .iter()
        .filter(|e| (s.seq["release"]..=s.seq["receive"]).contains(&seq_of(e)))
        .collect();
    assert_eq!(events(&written).iter().collect::<Vec<_>>(), part);
}

#[tokio::test]
async fn the_export_is_for_regulators_and_admins_and_is_bounded() {
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .regulator("wansheng-eeb", "wansheng")
        .user("yunan-clerk", "enterprise_clerk", Some(YUNAN), None)
        .build()
        .await;
    let admin = &cast.admin;
    let (status, _, doc) = export(cast.user("wansheng-eeb"), "").await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_valid(&schema(), &doc);
    assert_eq!(events(&doc), &Vec::<Value>::new(), "a new log holds only key entries");
    let (status, _, body) = export(cast.user("yunan-clerk"), "").await;
    assert_refused(&(status, body), StatusCode::FORBIDDEN, "regulator_or_admin_only");
    let (status, _, body) = export(&app.anonymous(), "").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");

    let (status, _, body) = export(admin, "?from=5&to=4").await;
    assert_refused(&(status, body), StatusCode::UNPROCESSABLE_ENTITY, "bad_export_range");
    let (status, _, body) = export(admin, "?from=0&to=10000").await;
    assert_refused(&(status, body), StatusCode::UNPROCESSABLE_ENTITY, "export_too_large");
    let (status, _, body) = export(admin, "?after=0").await;
    assert_refused(&(status, body), StatusCode::BAD_REQUEST, "bad_query");
    let (status, _, body) = export(admin, "?since=0").await;
    assert_refused(&(status, body), StatusCode::UNPROCESSABLE_ENTITY, "bad_date");
    let (status, _, doc) = export(admin, "?from=0&to=9999").await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    // Past the end: nothing yet, and the next export starts where this one asked.
    let (status, _, doc) = export(admin, "?from=1000").await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert_eq!((&doc["hwtrace:next"], doc.get("hwtrace:to")), (&json!(1000), None));
    assert_valid(&schema(), &doc);
}

/// The export for a period (`since`/`until`, China Standard Time days) holds exactly the events
/// of the entries logged on those days: today's story in full, nothing for yesterday; days and
/// indexes are not mixed, and a period ending before it starts is refused.
#[tokio::test]
async fn a_period_of_days_exports_the_events_logged_on_them() {
    let s = story().await;
    let today = common::now_cst()[..10].to_owned();
    let yesterday =
        (chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap() - chrono::Duration::days(1)).to_string();
    let (_, _, all) = export(&s.admin, "").await;
    let (status, _, doc) = export(&s.admin, &format!("?since={today}&until={today}")).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    let ids = |d: &Value| events(d).iter().map(|e| e["eventID"].clone()).collect::<Vec<_>>();
    assert!(!events(&all).is_empty());
    assert_eq!(ids(&doc), ids(&all), "today's export is not the whole story");
    assert_valid(&schema(), &doc);
    let (status, _, doc) = export(&s.admin, &format!("?since={yesterday}&until={yesterday}")).await;
    assert_eq!(status, StatusCode::OK, "{doc}");
    assert!(events(&doc).is_empty(), "yesterday had no entries: {doc}");
    let (status, _, doc) = export(&s.admin, &format!("?since={today}&from=0")).await;
    assert_eq!(
        (status, &doc["error"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("bad_parameter"))
    );
    let (status, _, doc) = export(&s.admin, &format!("?since={today}&until={yesterday}")).await;
    assert_eq!(
        (status, &doc["error"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("bad_export_range"))
    );
}
