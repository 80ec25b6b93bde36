//! Scenario: incineration leaves fly ash, which is solidified and landfilled. A chemical plant
//! sends a drum of distillation residue (HW11 900-013-11) to the Yunan facility, which burns
//! it. The incinerator's fly ash (HW18 772-003-18) is registered as a residue naming the drum
//! as its input; the ash is solidified, the solidified block is registered as a residue of the
//! ash, and the block goes to the landfill, taking its volume. Every residue carries its own
//! signed label, each input's history shows the residue that came from it, and the auditor
//! finds the log and the database in agreement.

mod common;

use common::cast::{code_of, Cast};
use common::custody::{accepted, event_kinds, refused, send_event, stands, Fleet};
use common::{audit_clean, spawn_app_with_db, YUNAN};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::{json, Value};

const FLY_ASH: &str = "772-003-18";

#[tokio::test]
async fn fly_ash_from_the_incinerator_is_solidified_and_landfilled() {
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("plant", "91500110MA6CHM001")
        .transporter(
            "carrier",
            "91500110MA6TRN033",
            Fleet::van("渝D33333", "500110198803031234"),
        )
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let (admin, shop, gate) = (&cast.admin, &cast["plant"].device, &cast["yunan"].device);

    // The drum travels to Yunan and is received in full.
    let drum = cast
        .generate(
            "plant",
            generate_fields("900-013-11", 210_000, "semi_solid", &["T"], 200),
        )
        .await;
    cast.deliver("plant", "carrier", "yunan", &[(&drum, 209_000)]).await;

    // A residue of an item not yet treated is refused; so is one its maker does not hold.
    let residue = |inputs: &[&str], waste: &str, mass_g: u64, volume_l: u32| {
        let mut g = generate_fields(waste, mass_g, "solid", &["T"], volume_l);
        g["inputs"] = json!(inputs);
        g["packaging"] = json!("吨袋");
        g
    };
    refused(
        admin,
        gate,
        "generate",
        residue(&[&drum], FLY_ASH, 9_000, 1000),
        StatusCode::CONFLICT,
        "wrong_state",
    )
    .await;

    // The incinerator burns the drum.
    accepted(
        admin,
        gate,
        "treat",
        json!({"item": drum, "method": "incineration", "treated_mass_g": 209_000}),
    )
    .await;
    stands(admin, &drum, "treated", YUNAN).await;
    refused(
        admin,
        shop,
        "generate",
        residue(&[&drum], FLY_ASH, 9_000, 1000),
        StatusCode::FORBIDDEN,
        "not_holder",
    )
    .await;

    // 9 kg of fly ash, a residue naming the drum.
    let receipt = accepted(admin, gate, "generate", residue(&[&drum], FLY_ASH, 9_000, 1000)).await;
    let ash = receipt["item_code"].as_str().unwrap().to_owned();
    assert!(ash.starts_with(&format!("{YUNAN}77200318")), "{ash}");
    let entry: Value = serde_json::from_str(receipt["entry"].as_str().unwrap()).unwrap();
    assert_eq!(entry["prev"][&ash], "", "the ash's first entry");
    assert!(entry["prev"][&drum].as_str().is_some_and(|h| h.len() == 64), "{entry}");
    stands(admin, &ash, "stored", YUNAN).await;
    let (_, item) = admin.get(&format!("/api/v1/items/{ash}")).await;
    assert_eq!(item["custody"]["inputs"], json!([drum]), "{item}");
    // The treated drum lists the residue it left among its outputs (the projection the auditor
    // re-derives: it compares the custody JSON at the end).
    let (_, item) = admin.get(&format!("/api/v1/items/{drum}")).await;
    assert_eq!(item["custody"]["outputs"], json!([ash]), "{item}");
    assert_eq!(
        event_kinds(admin, &drum).await.last().map(String::as_str),
        Some("generate"),
        "the drum's history ends with the residue it left"
    );

    // The ash is solidified (stabilisation), and the 14 kg block it makes is a residue of it.
    accepted(
        admin,
        gate,
        "treat",
        json!({"item": ash, "method": "stabilisation", "treated_mass_g": 9_000}),
    )
    .await;
    let block = code_of(&accepted(admin, gate, "generate", residue(&[&ash], FLY_ASH, 14_000, 1000)).await);

    // A landfill without its volume is refused at parsing; with it, the block is landfilled.
    let (s, body) = send_event(
        admin,
        gate,
        "treat",
        json!({"item": block, "method": "landfill", "treated_mass_g": 14_000}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    accepted(
        admin,
        gate,
        "treat",
        json!({"item": block, "method": "landfill", "treated_mass_g": 14_000, "volume_l": 9}),
    )
    .await;
    stands(admin, &block, "treated", YUNAN).await;
    let (_, item) = admin.get(&format!("/api/v1/items/{block}")).await;
    let c = &item["custody"];
    assert_eq!(
        (&c["treatment_method"], &c["volume_l"], &c["treated_g"], &c["inputs"]),
        (&json!("landfill"), &json!(9), &json!(14_000), &json!([ash])),
        "{item}"
    );

    // The chain from drum to landfill is in the log, and the auditor agrees with the database.
    app.stop().await;
    let report = audit_clean(&db).await;
    assert_eq!((report.items, report.unjudged), (3, 0));
}
