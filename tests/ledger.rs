//! Ledger views over HTTP: an enterprise's items by custody state (counts, masses, storage
//! ages, the oldest per state) and a manifest with its items, each seen only by those allowed.

mod common;

use common::cast::Cast;
use common::custody::Fleet;
use common::{assert_refused, now_cst, spawn_app, uscc, Client, YUNAN};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PLATE: &str = "渝D12345";
const LICENCE: &str = "500110198001011234";

fn group<'a>(ledger: &'a Value, state: &str) -> &'a Value {
    ledger["states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["state"] == state)
        .unwrap_or_else(|| panic!("no {state} group in {ledger}"))
}

fn states(ledger: &Value) -> Vec<(String, u64, i64)> {
    ledger["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["state"].as_str().unwrap().to_owned(),
                g["count"].as_u64().unwrap(),
                g["mass_g"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn ledger_of(c: &Client, u: &str) -> Value {
    c.get_ok(&format!("/api/v1/enterprises/{u}/ledger")).await
}

#[tokio::test]
async fn ledgers_and_manifest_follow_a_drum_along_its_path() {
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter("carrier", "91500110MA6TRN031", Fleet::van(PLATE, LICENCE))
        .seeded("yunan", YUNAN)
        .generator("stranger", "91500110MA6XTR001")
        .regulator("wansheng-eeb", "wansheng")
        .regulator("qijiang-eeb", "qijiang")
        .build()
        .await;
    let admin = &cast.admin;
    let (repair, carrier, stranger) = (&cast["shop"].uscc, &cast["carrier"].uscc, &cast["stranger"].uscc);
    let today = now_cst()[..10].to_owned();

    // Two drums at the shop.
    let a = cast
        .generate(
            "shop",
            generate_fields("900-214-08", 185_500, "liquid", &["T", "I"], 200),
        )
        .await;
    let b = cast
        .generate("shop", generate_fields("900-214-08", 50_000, "liquid", &["T", "I"], 60))
        .await;

    let shop_client = &cast["shop"].client;
    let ledger = ledger_of(shop_client, repair).await;
    assert_eq!(ledger["enterprise"], repair.as_str());
    assert_eq!(states(&ledger), [("stored".to_owned(), 2, 235_500)]);
    assert_eq!(
        (ledger["total_items"].as_u64(), ledger["total_mass_g"].as_i64()),
        (Some(2), Some(235_500))
    );
    let stored = group(&ledger, "stored");
    assert_eq!(stored["oldest"]["code"], a.as_str(), "{ledger}");
    for item in stored["items"].as_array().unwrap() {
        assert!(item["storage_age_days"].as_i64().unwrap() >= 0, "{item}");
    }

    // A manifest for drum A only, released and accepted by the carrier.
    let number = cast.on_the_road("shop", "carrier", "yunan", &[&a]).await;

    let ledger = ledger_of(shop_client, repair).await;
    assert_eq!(
        states(&ledger),
        [("in_transit".to_owned(), 1, 185_500), ("stored".to_owned(), 1, 50_000)]
    );
    let moving = &group(&ledger, "in_transit")["items"][0];
    assert_eq!(
        (moving["code"].as_str(), moving["holder"].as_str()),
        (Some(a.as_str()), Some(carrier.as_str()))
    );
    assert!(
        moving["storage_age_days"].is_null(),
        "not in the shop's store: {moving}"
    );
    assert_eq!(group(&ledger, "stored")["oldest"]["code"], b.as_str());
    assert!(group(&ledger, "stored")["oldest"]["storage_age_days"].as_i64().unwrap() >= 0);

    let carrier_client = &cast["carrier"].client;
    let ledger = ledger_of(carrier_client, carrier).await;
    assert_eq!(states(&ledger), [("in_transit".to_owned(), 1, 185_500)]);

    // At Yunan: arrive, weigh 183 kg, receive; the receiver's ledger shows it in store.
    cast.arrive("carrier", &[&a], &number).await;
    cast.receive("yunan", &a, 183_000).await;
    let yunan_client = &cast["yunan"].client;
    let ledger = ledger_of(yunan_client, YUNAN).await;
    let received = group(&ledger, "received");
    assert_eq!(
        (received["count"].as_u64(), received["mass_g"].as_i64()),
        (Some(1), Some(183_000))
    );
    assert_eq!(received["oldest"]["code"], a.as_str());
    assert!(received["oldest"]["storage_age_days"].as_i64().unwrap() >= 0);
    // The regulator of the district and the administrator see the same ledger.
    let regulator = cast.user("wansheng-eeb");
    assert_eq!(states(&ledger_of(regulator, YUNAN).await), states(&ledger));
    assert_eq!(states(&ledger_of(admin, YUNAN).await), states(&ledger));

    // The manifest, for each party, the district's regulator and the administrator.
    for c in [shop_client, carrier_client, yunan_client, regulator, admin] {
        let (s, m) = c.get(&format!("/api/v1/manifests/{number}")).await;
        assert_eq!(s, StatusCode::OK, "{m}");
        assert_eq!(m["number"], number.as_str());
        assert_eq!(m["issuer"], repair.as_str());
        assert_eq!(m["transporters"], json!([carrier]));
        assert_eq!(m["vehicle_plate"], PLATE);
        assert_eq!(m["driver_licence"], LICENCE);
        assert_eq!(m["receiver"], YUNAN);
        assert_eq!(m["planned_date"], today.as_str());
        assert_eq!(m["state"], "open");
        let items = m["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{m}");
        assert_eq!(
            (
                items[0]["code"].as_str(),
                items[0]["state"].as_str(),
                items[0]["holder"].as_str()
            ),
            (Some(a.as_str()), Some("received"), Some(YUNAN))
        );
        assert_eq!(items[0]["mass_g"], 183_000);
    }

    // Refusals.
    let outsider = &cast["stranger"].client;
    let elsewhere = cast.user("qijiang-eeb");
    for c in [outsider, elsewhere] {
        assert_refused(
            &c.get(&format!("/api/v1/manifests/{number}")).await,
            StatusCode::FORBIDDEN,
            "not_your_manifest",
        );
        assert_refused(
            &c.get(&format!("/api/v1/enterprises/{repair}/ledger")).await,
            StatusCode::FORBIDDEN,
            "not_your_enterprise",
        );
    }
    assert_refused(
        &shop_client.get(&format!("/api/v1/enterprises/{carrier}/ledger")).await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    // The stranger's own ledger is empty.
    let own = ledger_of(outsider, stranger).await;
    assert_eq!(
        (own["total_items"].as_u64(), own["states"].as_array().map(Vec::len)),
        (Some(0), Some(0))
    );
    let unknown = format!("{}5001999999", &today[..4]);
    assert_refused(
        &admin.get(&format!("/api/v1/manifests/{unknown}")).await,
        StatusCode::NOT_FOUND,
        "unknown_manifest",
    );
    assert_refused(
        &admin.get("/api/v1/manifests/2026-0001").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_manifest_no",
    );
    assert_refused(
        &admin
            .get(&format!("/api/v1/enterprises/{}/ledger", uscc("91500110MA6YYY999")))
            .await,
        StatusCode::NOT_FOUND,
        "unknown_enterprise",
    );
    let anonymous = app.anonymous();
    let (s, _) = anonymous.get(&format!("/api/v1/manifests/{number}")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
