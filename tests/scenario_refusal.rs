//! Scenario: refusals at the gate. A drum of waste oil from an auto-repair shop reaches the
//! Yunan facility, which weighs it and refuses it whole; it stays with the carrier until the
//! shop opens a return manifest naming itself as receiver, and the carrier brings it back into
//! the shop's store. A second drum is refused in part: the gate's decision must add up to what
//! it weighed; the facility keeps the accepted part, and the refused part becomes an item of its
//! own, with a new code and a signed label, held by the carrier; the shop sends it on to the
//! cement kiln under a new manifest. Every step is a signed event from a device over HTTP, and
//! at the end the auditor finds the log and the database in agreement.

mod common;

use common::cast::Cast;
use common::custody::{accepted, item, refused, stands, Fleet};
use common::{audit_clean, spawn_app_with_db, Client, TestApp, YUNAN};
use hwtrace::client::generate_fields;
use hwtrace::time::cst_date;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The seeded cement kiln, whose permit covers waste oil (HW08).
const NANTONG: &str = "91500110MA61NTHB7C";

/// The auto-repair shop, the transporter with its vehicle and driver, a stranger, and a
/// device for each, plus the gates of the seeded Yunan facility and cement kiln.
async fn cast(app: &TestApp) -> Cast {
    Cast::on(app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter(
            "carrier",
            "91500110MA6TRN031",
            Fleet::van("渝D12345", "500110198001011234"),
        )
        .seeded("yunan", YUNAN)
        .seeded("nantong", NANTONG)
        .generator("stranger", "91500110MA6XTR001")
        .build()
        .await
}

/// A drum generated at the shop and carried to Yunan's gate, where it is weighed:
/// answers its code and the manifest number.
async fn drum_at_the_gate(cast: &Cast, mass_g: u64) -> (String, String) {
    let code = cast
        .generate(
            "shop",
            generate_fields("900-214-08", mass_g, "liquid", &["T", "I"], 200),
        )
        .await;
    let number = cast.at_the_gate("shop", "carrier", "yunan", &[(&code, mass_g)]).await;
    stands(&cast.admin, &code, "arrived", &cast["carrier"].uscc).await;
    (code, number)
}

/// The item's `custody` as the API shows it.
async fn custody(c: &Client, code: &str) -> Value {
    item(c, code).await["custody"].clone()
}

#[tokio::test]
async fn a_drum_refused_at_the_gate_goes_back_and_the_part_refused_of_another_goes_on_to_the_kiln() {
    let (app, db) = spawn_app_with_db().await;
    let cast = cast(&app).await;
    let admin = &cast.admin;
    let (shop, driver, gate, kiln, stranger) = (
        &cast["shop"].device,
        &cast["carrier"].device,
        &cast["yunan"].device,
        &cast["nantong"].device,
        &cast["stranger"].device,
    );
    let (repair, carrier) = (cast["shop"].uscc.as_str(), cast["carrier"].uscc.as_str());
    let manifest = |code: &str, receiver: &str| cast.manifest("carrier", receiver, &[code]);

    // Yunan weighs the first drum and refuses all of it: it stays with the carrier.
    let (code, first) = drum_at_the_gate(&cast, 185_500).await;
    accepted(
        admin,
        gate,
        "receive",
        json!({"item": code, "decision": "refuse", "accepted_mass_g": 0, "refused_mass_g": 185_500,
               "reason": "桶内混有未申报的废溶剂"}),
    )
    .await;
    stands(admin, &code, "refused", carrier).await;
    assert_eq!(
        custody(admin, &code).await["refused_g"],
        json!(185_500),
        "a full refusal records the refused mass"
    );

    // The carrier cannot simply drive on under the manifest that brought it here: that one
    // leads to Yunan, not back.
    refused(
        admin,
        driver,
        "return",
        json!({"items": [code], "manifest": first}),
        StatusCode::FORBIDDEN,
        "bad_return_manifest",
    )
    .await;
    // Only the generator opens the manifest a refused drum leaves under: neither the carrier
    // nor anyone else can book it anywhere.
    for who in [driver, stranger] {
        refused(
            admin,
            who,
            "manifest_open",
            manifest(&code, YUNAN),
            StatusCode::FORBIDDEN,
            "bad_return_manifest",
        )
        .await;
    }

    // The shop opens the return manifest; the drum is still refused, with the carrier.
    let receipt = accepted(admin, shop, "manifest_open", manifest(&code, repair)).await;
    let back = receipt["manifest_no"].as_str().unwrap().to_owned();
    assert_ne!(back, first);
    stands(admin, &code, "refused", carrier).await;

    // Only the carrier holding the drum takes it back.
    let trip = json!({"items": [code], "manifest": back});
    refused(
        admin,
        stranger,
        "return",
        trip.clone(),
        StatusCode::FORBIDDEN,
        "not_holder",
    )
    .await;
    accepted(admin, driver, "return", trip.clone()).await;
    stands(admin, &code, "in_transit", carrier).await;

    // At the shop's gate: the carrier declares it, the shop weighs it and takes it back into
    // its store; no permit is needed to take back one's own waste.
    accepted(admin, driver, "arrive", trip).await;
    stands(admin, &code, "arrived", carrier).await;
    accepted(admin, shop, "weigh", json!({"item": code, "weighed_mass_g": 185_500})).await;
    accepted(
        admin,
        shop,
        "receive",
        json!({"item": code, "decision": "accept", "accepted_mass_g": 185_500, "refused_mass_g": 0}),
    )
    .await;
    stands(admin, &code, "stored", repair).await;

    // A second drum is refused in part. The decision must add up to the weighing.
    let (partial, trip) = drum_at_the_gate(&cast, 100_000).await;
    let decision = |accepted_g: u64, refused_g: u64| {
        json!({"item": partial, "decision": "partial", "accepted_mass_g": accepted_g,
               "refused_mass_g": refused_g, "reason": "部分桶底残渣不在许可范围"})
    };
    refused(
        admin,
        gate,
        "receive",
        decision(60_000, 30_000),
        StatusCode::UNPROCESSABLE_ENTITY,
        "mass_imbalance",
    )
    .await;
    stands(admin, &partial, "arrived", carrier).await;
    let receipt = accepted(admin, gate, "receive", decision(70_000, 30_000)).await;
    stands(admin, &partial, "received", YUNAN).await;

    // The refused 30 kg are an item of their own: a code numbered for the shop (its waste code,
    // today's date, its next serial), and a signed label the gate prints, in the receipt.
    let created = receipt["created"].as_array().unwrap();
    assert_eq!(created.len(), 1, "{receipt}");
    let part = created[0]["item_code"].as_str().unwrap().to_owned();
    assert_eq!(receipt["item_code"].as_str(), Some(part.as_str()));
    let today = cst_date(chrono::Utc::now()).format("%Y%m%d").to_string();
    assert_eq!(
        (&part[..18], &part[18..26], &part[26..34]),
        (repair, &partial[18..26], today.as_str())
    );
    let (s, item) = admin.get(&format!("/api/v1/items/{part}")).await;
    assert_eq!(s, StatusCode::OK, "{item}");
    assert_eq!(item["label_b64"], created[0]["label"]["b64"], "{item}");
    assert_eq!(
        (&item["mass_g"], &item["hazards"]),
        (&json!(30_000), &json!(["T", "I"]))
    );
    // It is refused, with the carrier; it names the drum it was part of, which lists it.
    stands(admin, &part, "refused", carrier).await;
    let (p, d) = (custody(admin, &part).await, custody(admin, &partial).await);
    assert_eq!((&p["mass_g"], &p["inputs"]), (&json!(30_000), &json!([partial])), "{p}");
    assert_eq!(
        (&d["mass_g"], &d["refused_g"], &d["outputs"]),
        (&json!(70_000), &json!(30_000), &json!([part])),
        "{d}"
    );

    // The shop sends it on to the cement kiln under a new manifest; the carrier leaves the gate
    // with it under that one, never under the manifest it was refused on.
    let trip_part = json!({"items": [part], "manifest": trip});
    refused(
        admin,
        driver,
        "return",
        trip_part,
        StatusCode::FORBIDDEN,
        "bad_return_manifest",
    )
    .await;
    let receipt = accepted(admin, shop, "manifest_open", manifest(&part, NANTONG)).await;
    let onward = json!({"items": [part], "manifest": receipt["manifest_no"]});
    accepted(admin, driver, "return", onward.clone()).await;
    stands(admin, &part, "in_transit", carrier).await;
    accepted(admin, driver, "arrive", onward).await;
    accepted(admin, kiln, "weigh", json!({"item": part, "weighed_mass_g": 30_000})).await;
    accepted(
        admin,
        kiln,
        "receive",
        json!({"item": part, "decision": "accept", "accepted_mass_g": 30_000, "refused_mass_g": 0}),
    )
    .await;
    stands(admin, &part, "received", NANTONG).await;

    // The auditor re-derives the items from the log and finds the database in agreement.
    app.stop().await;
    audit_clean(&db).await;

    // The quantities are recorded: Yunan holds 70 kg, 30 kg were refused and are at the kiln.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let custody = |code: &str| -> Value {
        let text: String = conn
            .query_row("SELECT custody FROM items WHERE code = ?1", [code], |r| r.get(0))
            .unwrap();
        serde_json::from_str(&text).unwrap()
    };
    let (d, p) = (custody(&partial), custody(&part));
    assert_eq!(
        (&d["accepted_g"], &d["refused_g"], &d["mass_g"]),
        (&json!(70_000), &json!(30_000), &json!(70_000)),
        "{d}"
    );
    assert_eq!((&p["holder"], &p["mass_g"]), (&json!(NANTONG), &json!(30_000)), "{p}");
}
