//! What the generator's screens need from the server besides docs/field-api.md's first
//! answers (issue 10, point 4): the registered transporters with their vehicles and drivers
//! (a generator may not read other enterprises' registry records), one manifest of the list by
//! its number, the names of a manifest's states, and an item's history in words for its page.

mod common;

use common::cast::Cast;
use common::custody::Fleet;
use common::{assert_refused, spawn_app, YUNAN};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PLANT: &str = "91500110MA6GNR001";
const OTHER: &str = "91500110MA6GNP001";
const CARRIER: &str = "91500110MA6GNT001";
const RELAY: &str = "91500110MA6GNU001";

fn oil(g: u64) -> Value {
    generate_fields("900-249-08", g, "liquid", &["T", "I"], 200)
}

async fn story(app: &common::TestApp) -> Cast {
    Cast::on(app)
        .generator("plant", PLANT)
        .generator("other", OTHER)
        .transporter(
            "carrier",
            CARRIER,
            Fleet::van("渝D66001", "500110199001016601").driven_by("张师傅", "13800006601"),
        )
        .fleet(Fleet::van("渝D66002", "500110199001016602").driven_by("李师傅", "13800006602"))
        .transporter("relay", RELAY, Fleet::van("渝D66009", "500110199001016609"))
        .seeded("yunan", YUNAN)
        .build()
        .await
}

#[tokio::test]
async fn a_generator_lists_the_registered_transporters_with_their_vehicles_and_drivers() {
    let app = spawn_app().await;
    let cast = story(&app).await;
    let answer = cast["plant"].client.get_ok("/api/v1/transporters").await;
    let list = answer["transporters"].as_array().unwrap();
    assert_eq!(answer["total"], 2, "{answer}");
    let usccs: Vec<&str> = list.iter().map(|t| t["uscc"].as_str().unwrap()).collect();
    assert_eq!(usccs.len(), 2, "only the transporters: {usccs:?}");
    let carrier = list
        .iter()
        .find(|t| t["uscc"] == cast["carrier"].uscc)
        .expect("the carrier");
    assert_eq!(
        carrier["vehicles"],
        json!([{"plate": "渝D66001", "vehicle_type": "van"}, {"plate": "渝D66002", "vehicle_type": "van"}])
    );
    assert_eq!(
        carrier["drivers"],
        json!([{"name": "张师傅", "licence_no": "500110199001016601"},
               {"name": "李师傅", "licence_no": "500110199001016602"}])
    );
    // The drivers' phones are not shown to other enterprises.
    assert!(!answer.to_string().contains("13800006601"), "{answer}");
    // The same records are refused to the generator one by one: this list is what it sees.
    assert_refused(
        &cast["plant"]
            .client
            .get(&format!("/api/v1/enterprises/{}/drivers", cast["carrier"].uscc))
            .await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    let (status, _) = app.anonymous().get("/api/v1/transporters").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn one_manifest_of_the_list_by_its_number_for_the_parties_only() {
    let app = spawn_app().await;
    let cast = story(&app).await;
    let drum = cast.generate("plant", oil(185_500)).await;
    let other = cast.generate("plant", oil(90_000)).await;
    let first = cast.released("plant", "carrier", "yunan", &[&drum]).await;
    let fields = cast.manifest("carrier", YUNAN, &[&other]);
    let second = cast.accepted("plant", "manifest_open", fields).await["manifest_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let plant = &cast["plant"].client;
    let one = plant
        .get_ok(&format!("/api/v1/manifests?number={first}&items=full"))
        .await;
    let list = one["manifests"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{one}");
    assert_eq!(list[0]["number"], first.as_str());
    assert_eq!(list[0]["items"][0]["code"], drum.as_str());
    assert_eq!(list[0]["items"][0]["state"], "released");
    assert_eq!(list[0]["driver_name"], "张师傅");
    let two = plant.get_ok(&format!("/api/v1/manifests?number={second}")).await;
    assert_eq!(two["manifests"][0]["number"], second.as_str(), "{two}");
    // The carrier sees it; another generator does not (its list is its own).
    let carrier = cast["carrier"]
        .client
        .get_ok(&format!("/api/v1/manifests?number={first}"))
        .await;
    assert_eq!(carrier["manifests"][0]["party_roles"], json!(["carrier"]), "{carrier}");
    let stranger = cast["other"]
        .client
        .get_ok(&format!("/api/v1/manifests?number={first}"))
        .await;
    assert_eq!(stranger["manifests"], json!([]), "{stranger}");
    assert_refused(
        &plant.get("/api/v1/manifests?number=2026").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_manifest_no",
    );
    // Each state a list shows has its names.
    let reference = app.anonymous().get_ok("/api/v1/reference").await;
    let open = reference["manifest_states"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "open")
        .cloned();
    assert_eq!(
        open,
        Some(json!({"code": "open", "name_zh": "待起运", "name_en": "not yet picked up"}))
    );
}

#[tokio::test]
async fn an_items_history_in_words_names_each_signer_the_times_the_masses_and_the_state_after() {
    let app = spawn_app().await;
    let cast = story(&app).await;
    let drum = cast.generate("plant", oil(185_500)).await;
    let number = cast.on_the_road("plant", "carrier", "yunan", &[&drum]).await;
    let carrier = cast["carrier"].uscc.clone();
    cast.arrive("carrier", &[&drum], &number).await;
    cast.weigh("yunan", &drum, 184_900).await;
    cast.accept_whole("yunan", &drum, 184_900).await;

    let story = cast["plant"]
        .client
        .get_ok(&format!("/api/v1/items/{drum}/events"))
        .await;
    assert_eq!(story["item"], drum.as_str());
    let entries = story["entries"].as_array().unwrap();
    let types: Vec<&str> = entries.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "generate",
            "manifest_open",
            "release",
            "accept",
            "arrive",
            "weigh",
            "receive"
        ],
        "{story}"
    );
    let plant = cast["plant"].uscc.as_str();
    let generate = &entries[0];
    assert_eq!(generate["actor"]["uscc"], plant);
    assert!(
        generate["actor"]["name_zh"].as_str().is_some_and(|n| !n.is_empty()),
        "{generate}"
    );
    assert_eq!(generate["device"], "plant-1");
    assert_eq!(generate["key_ids"], json!([cast["plant"].device.key_id().to_hex()]));
    assert_eq!(generate["masses"]["declared_g"], 185_500);
    assert_eq!(
        (&generate["state"], &generate["holder"]["uscc"]),
        (&json!("stored"), &json!(plant))
    );
    assert_eq!(generate["storage_place"], "危险废物贮存库");
    assert!(
        generate["at"].as_str().unwrap().ends_with("+08:00"),
        "the device's time: {generate}"
    );
    assert!(
        generate["logged_at"].as_str().unwrap().ends_with('Z'),
        "the log's time: {generate}"
    );
    let release = &entries[2];
    assert_eq!(
        (&release["to"]["uscc"], &release["manifest"]),
        (&json!(carrier), &json!(number))
    );
    assert_eq!(
        (&release["state"], &release["holder"]["uscc"]),
        (&json!("released"), &json!(plant))
    );
    let accept = &entries[3];
    assert_eq!(
        (&accept["actor"]["uscc"], &accept["device"]),
        (&json!(carrier), &json!("carrier-1"))
    );
    assert_eq!(
        (&accept["state"], &accept["holder"]["uscc"]),
        (&json!("in_transit"), &json!(carrier))
    );
    assert_eq!(entries[5]["masses"]["weighed_g"], 184_900);
    assert_eq!(entries[5]["mass_g"], 184_900);
    let receive = &entries[6];
    assert_eq!(
        (&receive["decision"], &receive["masses"]["accepted_g"]),
        (&json!("accept"), &json!(184_900))
    );
    assert_eq!(
        (&receive["state"], &receive["holder"]["uscc"]),
        (&json!("received"), &json!(YUNAN))
    );
    // In log order, each index an entry of the item's verifiable history.
    let history = cast["plant"]
        .client
        .get_ok(&format!("/api/v1/items/{drum}/history"))
        .await;
    let indexes: Vec<&Value> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["index"])
        .collect();
    let listed: Vec<&Value> = entries.iter().map(|e| &e["index"]).collect();
    assert_eq!(listed, indexes);

    // The holder sees it too; another generator does not.
    cast["yunan"]
        .client
        .get_ok(&format!("/api/v1/items/{drum}/events"))
        .await;
    assert_refused(
        &cast["other"].client.get(&format!("/api/v1/items/{drum}/events")).await,
        StatusCode::FORBIDDEN,
        "not_your_item",
    );
}
