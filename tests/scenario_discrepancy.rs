//! Scenario: a weight discrepancy at the gate, answered by a co-signed correction. A paint
//! factory declares two drums of paint sludge (HW12 900-252-12) at 200 kg and 100 kg; the
//! Yunan weighbridge finds 180 kg and 90 kg, both more than 5 % short. The regulator sees both
//! discrepancies on the items. The factory finds it had entered the first drum's gross mass by
//! mistake and corrects its declared mass to 181 kg: a correction changes the record, so it
//! must carry the signatures of the generator and of the item's holder (the transporter, while
//! the drum waits at the gate). The second drum it answers with an explanation (evaporation in
//! storage). The auditor then checks both signatures and replays the rules on the log.

mod common;

use common::cast::{index_of, Cast};
use common::custody::{accepted, item, refused, stands, Fleet};
use common::{assert_refused, audit_clean, now_cst, spawn_app_with_db, Client, YUNAN};
use hwtrace::client::{generate_fields, Device};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A correction signed by `signer` and, if given, co-signed by `cosigner`.
async fn correction(c: &Client, signer: &Device, cosigner: Option<&Device>, fields: Value) -> (StatusCode, Value) {
    let mut env = signer.sign_event("correction", &now_cst(), fields);
    if let Some(d) = cosigner {
        env = d.cosign(&env);
    }
    c.post("/api/v1/events", serde_json::to_value(&env).unwrap()).await
}

#[tokio::test]
async fn a_weight_discrepancy_is_answered_by_a_co_signed_correction() {
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("factory", "91500110MA6PNT001")
        .transporter(
            "carrier",
            "91500110MA6TRN034",
            Fleet::van("渝D44444", "500110199004041234"),
        )
        .seeded("yunan", YUNAN)
        .regulator("wansheng-regulator", "wansheng")
        .build()
        .await;
    let admin = &cast.admin;
    let (shop, driver, gate) = (&cast["factory"].device, &cast["carrier"].device, &cast["yunan"].device);
    let (factory, carrier) = (cast["factory"].uscc.as_str(), cast["carrier"].uscc.as_str());
    let regulator = cast.user("wansheng-regulator");

    let mut drums = Vec::new();
    for mass in [200_000u64, 100_000] {
        let r = cast
            .accepted(
                "factory",
                "generate",
                generate_fields("900-252-12", mass, "semi_solid", &["T", "I"], 200),
            )
            .await;
        drums.push((r["item_code"].as_str().unwrap().to_owned(), index_of(&r)));
    }
    let codes: Vec<&str> = drums.iter().map(|(c, _)| c.as_str()).collect();
    let number = cast.on_the_road("factory", "carrier", "yunan", &codes).await;
    cast.arrive("carrier", &codes, &number).await;

    // The weighbridge: 180 kg and 90 kg, each 10 % short of the declaration.
    let mut weighings = Vec::new();
    for ((code, _), g) in drums.iter().zip([180_000u64, 90_000]) {
        weighings.push(cast.weigh("yunan", code, g).await);
    }
    let (a, a_generated) = (&drums[0].0, drums[0].1);
    let b = &drums[1].0;
    // The district's regulator sees both discrepancies, unanswered.
    for (code, expected, weighed) in [(a, 200_000, 180_000), (b, 100_000, 90_000)] {
        let seen = item(regulator, code).await;
        assert_eq!(
            seen["custody"]["discrepancy"],
            json!({"expected_g": expected, "weighed_g": weighed, "answered": false}),
            "{seen}"
        );
    }

    // The factory corrects drum A's declared mass. Naming only itself is refused: the holder
    // (the carrier, until the gate receives it) must co-sign; naming the carrier without its
    // signature is refused too.
    let fix = |signers: &[&str]| {
        json!({"corrects": a_generated, "item": a, "field": "declared_mass_g", "new_value": 181_000,
               "reason": "申报时误填毛重（含桶重19 kg）", "signers": signers})
    };
    assert_refused(
        &correction(admin, shop, None, fix(&[factory])).await,
        StatusCode::FORBIDDEN,
        "cosigner_required",
    );
    assert_refused(
        &correction(admin, shop, None, fix(&[factory, carrier])).await,
        StatusCode::FORBIDDEN,
        "missing_cosignature",
    );
    // A co-signer's signature does not stand in for the actor's device.
    let stranger = Device::generate(carrier, "driver-9");
    assert_refused(
        &correction(admin, shop, Some(&stranger), fix(&[factory, carrier])).await,
        StatusCode::FORBIDDEN,
        "unknown_key",
    );
    // A correction must name one of the item's own entries.
    let mut wrong = fix(&[factory, carrier]);
    wrong["corrects"] = json!(drums[1].1);
    assert_refused(
        &correction(admin, shop, Some(driver), wrong).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_event_reference",
    );
    // Every signature must be a named signer's: one more, by the gate (a party at the gate, but
    // not among the signers), is refused, and not logged.
    let extra = gate.cosign(&driver.cosign(&shop.sign_event("correction", &now_cst(), fix(&[factory, carrier]))));
    assert_refused(
        &admin
            .post("/api/v1/events", serde_json::to_value(&extra).unwrap())
            .await,
        StatusCode::FORBIDDEN,
        "unexpected_signature",
    );
    let (s, receipt) = correction(admin, shop, Some(driver), fix(&[factory, carrier])).await;
    assert_eq!(s, StatusCode::CREATED, "{receipt}");
    let entry: Value = serde_json::from_str(receipt["entry"].as_str().unwrap()).unwrap();
    assert_eq!(entry["envelope"]["signatures"].as_array().unwrap().len(), 2, "{entry}");
    let seen = item(regulator, a).await;
    assert_eq!(
        (&seen["custody"]["declared_g"], &seen["custody"]["discrepancy"]),
        (&json!(181_000), &Value::Null),
        "181 kg declared, 180 kg weighed: within 5 %, no discrepancy left: {seen}"
    );

    // Drum B: an explanation answers its discrepancy; drum A has none left to explain.
    let explain = |code: &str, about: u64| json!({"item": code, "about": about, "text": "贮存期间水分蒸发"});
    refused(
        admin,
        shop,
        "explanation",
        explain(a, weighings[0]),
        StatusCode::CONFLICT,
        "no_discrepancy",
    )
    .await;
    // The gate is neither the drum's generator nor (yet) its holder.
    refused(
        admin,
        gate,
        "explanation",
        explain(b, weighings[1]),
        StatusCode::FORBIDDEN,
        "not_party",
    )
    .await;
    accepted(admin, shop, "explanation", explain(b, weighings[1])).await;
    let seen = item(regulator, b).await;
    assert_eq!(seen["custody"]["discrepancy"]["answered"], true, "{seen}");

    // The gate receives both at their weighed masses.
    for ((code, _), g) in drums.iter().zip([180_000u64, 90_000]) {
        accepted(
            admin,
            gate,
            "receive",
            json!({"item": code, "decision": "accept", "accepted_mass_g": g, "refused_mass_g": 0}),
        )
        .await;
        stands(admin, code, "received", YUNAN).await;
    }

    app.stop().await;
    let report = audit_clean(&db).await;
    assert_eq!(report.events.get("correction"), Some(&1), "{report}");
    assert_eq!(report.events.get("explanation"), Some(&1), "{report}");
}
