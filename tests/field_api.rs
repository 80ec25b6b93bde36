//! The server side of the field app (issue 10): a party's manifests as the generator, the
//! driver's phone and the gate see them; a receiver's arrivals; the receivers whose permits
//! cover a load; what a phone caches to verify labels with no network; the inventory's storage
//! ages and warnings; and the gate's capacity panel.

mod common;

use chrono::Duration;
use common::cast::{code_of, Cast};
use common::custody::{accepted, accepted_at, Fleet};
use common::{assert_refused, spawn_app, start_with, Client, YUNAN};
use hwtrace::cli::offline::{self, KeyList, OfflineRefusal};
use hwtrace::client::generate_fields;
use hwtrace::config::Config;
use hwtrace::crypto::label;
use hwtrace::time::Clock;
use reqwest::StatusCode;
use serde_json::{json, Value};

const SHOP: &str = "91500110MA6FAG001";
const OTHER: &str = "91500110MA6FAH001";
const FENGYAN: &str = "12500110MB1FY0001C";
const PLATE: &str = "渝D77001";
const OTHER_PLATE: &str = "渝D77002";

fn oil(g: u64) -> Value {
    generate_fields("900-249-08", g, "liquid", &["T", "I"], 200)
}

fn numbers(list: &Value) -> Vec<String> {
    list["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["number"].as_str().unwrap().to_owned())
        .collect()
}

fn find<'a>(list: &'a Value, number: &str) -> &'a Value {
    list["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["number"] == number)
        .unwrap_or_else(|| panic!("{number} not in {list}"))
}

/// `party` opens a manifest for `items` to `receiver` carried by `carrier`; answers its number.
async fn opened(cast: &Cast, party: &str, carrier: &str, receiver: &str, items: &[&str]) -> String {
    let fields = cast.manifest(carrier, receiver, items);
    cast.accepted(party, "manifest_open", fields).await["manifest_no"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_generator_the_driver_and_the_gate_list_their_manifests() {
    let app = spawn_app().await;
    let shop = common::uscc(SHOP);
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .generator("other", OTHER)
        .transporter("carrier", "91500110MA6FAT001", Fleet::van(PLATE, "500110199001017701"))
        .fleet(Fleet::van(OTHER_PLATE, "500110199001017702"))
        .seeded("yunan", YUNAN)
        .regulator("wansheng-reg", "wansheng")
        .build()
        .await;
    let carrier = cast["carrier"].uscc.clone();
    app.user("driver", "enterprise_clerk", Some(&carrier), None).await;
    app.user("gate", "enterprise_clerk", Some(YUNAN), None).await;
    let (driver, gate) = (app.login("driver").await, app.login("gate").await);
    let (generator, other) = (&cast["shop"].client, &cast["other"].client);

    let [a, b, c, d, e] = [100_000, 120_000, 50_000, 80_000, 30_000];
    let mut codes = Vec::new();
    for g in [a, b, c, d, e] {
        codes.push(cast.generate("shop", oil(g)).await);
    }
    // On the road (a, b); booked, not yet loaded (c); delivered and received (d); cancelled (e).
    let moving = cast
        .on_the_road("shop", "carrier", "yunan", &[&codes[0], &codes[1]])
        .await;
    let booked = opened(&cast, "shop", "carrier", YUNAN, &[&codes[2]]).await;
    let done = cast.deliver("shop", "carrier", "yunan", &[(&codes[3], d)]).await;
    let dropped = opened(&cast, "shop", "carrier", YUNAN, &[&codes[4]]).await;
    cast.accepted(
        "shop",
        "manifest_cancel",
        json!({"manifest": dropped, "reason": "改期"}),
    )
    .await;
    // Another generator's trip in the carrier's other van.
    let elsewhere = cast.generate("other", oil(10_000)).await;
    let fields = json!({"transporters": [carrier], "vehicle_plate": OTHER_PLATE,
        "driver_licence": "500110199001017702", "receiver": YUNAN, "items": [elsewhere],
        "planned_date": cast.today()});
    let other_trip = cast.accepted("other", "manifest_open", fields).await["manifest_no"]
        .as_str()
        .unwrap()
        .to_owned();

    // The generator's list: its four manifests, each in its derived state.
    let mine = generator.get_ok("/api/v1/manifests").await;
    assert_eq!(
        numbers(&mine),
        [dropped.as_str(), done.as_str(), booked.as_str(), moving.as_str()],
        "newest first"
    );
    for (number, state) in [
        (&moving, "in_progress"),
        (&booked, "open"),
        (&done, "closed"),
        (&dropped, "cancelled"),
    ] {
        assert_eq!(find(&mine, number)["state"], state, "{number}");
    }
    let m = find(&mine, &moving);
    assert_eq!(
        (&m["items_count"], &m["declared_g"], &m["item_states"]),
        (&json!(2), &json!(a + b), &json!({"in_transit": 2})),
        "{m}"
    );
    assert_eq!(m["party_roles"], json!(["issuer"]));
    assert_eq!(
        m["legs"],
        json!([{"order": 1, "transporter": carrier,
        "transporter_name": cast["carrier"].registered["name_zh"], "holding": 2}])
    );
    assert_eq!(
        (&m["receiver_name"], &m["driver_name"]),
        (
            &json!("渝南循环经济项目（一期）危险废物集中处置中心"),
            &json!("测试司机")
        )
    );
    assert!(m["items"].is_null(), "no items without items=full");
    let open = generator.get_ok("/api/v1/manifests?state=open").await;
    assert_eq!(numbers(&open), [booked.as_str()]);
    assert_eq!(
        numbers(&generator.get_ok("/api/v1/manifests?role=receiver").await),
        Vec::<String>::new()
    );

    // The driver's phone: today's trips of its van, with every item's label to cache; the
    // other van's trip is not among them.
    let path = format!("/api/v1/manifests?vehicle={PLATE}&date={}&items=full", cast.today());
    let trips = driver.get_ok(&path).await;
    assert_eq!(
        numbers(&trips),
        [dropped.as_str(), done.as_str(), booked.as_str(), moving.as_str()]
    );
    assert!(trips["as_of"].is_string());
    let trip = find(&trips, &moving);
    assert_eq!(trip["party_roles"], json!(["carrier"]));
    let items = trip["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    for (item, code, g) in [(&items[0], &codes[0], a), (&items[1], &codes[1], b)] {
        let shown = generator.get_ok(&format!("/api/v1/items/{code}")).await;
        assert_eq!((&item["code"], &item["label_mass_g"]), (&json!(code), &json!(g)));
        assert_eq!(item["label_b64"], shown["label_b64"], "the label a scan reads");
        assert_eq!(
            (&item["state"], &item["holder"]),
            (&json!("in_transit"), &json!(carrier))
        );
    }
    let both = driver.get_ok("/api/v1/manifests").await;
    assert!(
        numbers(&both).contains(&other_trip),
        "without a vehicle: all the carrier's trips"
    );
    // Only trips still open or in progress stay listed for a later day.
    let tomorrow =
        (chrono::NaiveDate::parse_from_str(&cast.today(), "%Y-%m-%d").unwrap() + Duration::days(1)).to_string();
    let later = driver
        .get_ok(&format!("/api/v1/manifests?vehicle={PLATE}&date={tomorrow}"))
        .await;
    assert_eq!(numbers(&later), [booked.as_str(), moving.as_str()]);

    // The gate: what is on the way to it.
    let expected = gate.get_ok("/api/v1/manifests?role=receiver&state=in_progress").await;
    assert_eq!(numbers(&expected), [moving.as_str()]);
    cast.arrive("carrier", &[&codes[0]], &moving).await;
    let arrivals = gate.get_ok(&format!("/api/v1/enterprises/{YUNAN}/arrivals")).await;
    assert_eq!(
        (&arrivals["arrived"], &arrivals["on_the_way"]),
        (&json!(1), &json!(1)),
        "{arrivals}"
    );
    let first = &arrivals["items"][0];
    assert_eq!(
        (
            &first["code"],
            &first["state"],
            &first["declared_g"],
            &first["manifest"]
        ),
        (&json!(codes[0]), &json!("arrived"), &json!(a), &json!(moving)),
        "{first}"
    );
    assert_eq!((&first["carrier"], &first["issuer"]), (&json!(carrier), &json!(shop)));
    assert!(
        first["receipt_due"].is_string() && first["receipt_overdue"] == false,
        "{first}"
    );
    // The other generator's load has not left it yet: not on the way.
    assert_eq!(
        (&arrivals["items"][1]["code"], &arrivals["items"][1]["state"]),
        (&json!(codes[1]), &json!("in_transit"))
    );
    assert!(!arrivals.to_string().contains(&elsewhere));

    // The regulator sees the district's manifests; paging by created_seq.
    let regulator = cast.user("wansheng-reg");
    let all = regulator.get_ok("/api/v1/manifests?limit=2").await;
    assert_eq!(numbers(&all), [other_trip.as_str(), dropped.as_str()]);
    let seq = find(&all, &dropped)["created_seq"].as_i64().unwrap();
    let next = regulator
        .get_ok(&format!("/api/v1/manifests?limit=2&before={seq}"))
        .await;
    assert_eq!(numbers(&next), [done.as_str(), booked.as_str()]);

    // Refusals: another party's records, bad filters.
    let shop_path = format!("/api/v1/manifests?party={carrier}");
    assert_refused(
        &other.get(&shop_path).await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    assert_refused(
        &gate.get(&format!("/api/v1/enterprises/{shop}/arrivals")).await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    for (query, code) in [
        ("role=driver", "bad_manifest_role"),
        ("state=done", "bad_manifest_state"),
        ("vehicle=ABC", "bad_plate"),
        ("items=all", "bad_parameter"),
        ("date=2026-13-01", "bad_date"),
        ("limit=0", "bad_limit"),
        ("party=91500110MA6FAG00I1", "bad_uscc_char"),
    ] {
        let answer = generator.get(&format!("/api/v1/manifests?{query}")).await;
        assert_eq!(answer.1["error"], code, "{query}: {}", answer.1);
        assert_eq!(answer.0, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
    }
    assert_refused(
        &generator.get("/api/v1/manifests?colour=red").await,
        StatusCode::BAD_REQUEST,
        "bad_query",
    );
}

#[tokio::test]
async fn the_manifest_form_finds_the_receivers_whose_permits_cover_every_code() {
    let app = spawn_app().await;
    let sichuan_facility = "91510100MA6FAK001";
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .generator("other", OTHER)
        .without_district("chengdu", sichuan_facility, &["facility"])
        .permit(
            json!({"number": "SCWF-TEST-001", "valid_from": "2026-01-01", "valid_until": "2028-12-31",
            "waste_codes": ["HW08"], "capacities": [{"method": "incineration", "capacity_t_per_year": 500}],
            "landfill_volume_m3": null}),
        )
        .collection_point("point", "91500110MA6FAC001")
        .permit(
            json!({"number": "CQSJ-TEST-001", "kind": "collection", "valid_from": "2026-01-01",
            "valid_until": "2028-12-31", "waste_codes": ["900-249-08", "900-052-31"], "collection_t_per_year": 200}),
        )
        .build()
        .await;
    let (shop, chengdu) = (cast["shop"].uscc.clone(), cast["chengdu"].uscc.clone());
    let generator = &cast["shop"].client;
    // An approval from the shop to Chengdu for 900-249-08 only.
    let (s, body) = cast
        .admin
        .post(
            "/api/v1/transfer-approvals",
            json!({"number": "川环危转〔2026〕099号", "issuer": shop, "receiver": chengdu,
                   "waste_codes": ["900-249-08"], "quantity_g": 5_000_000, "valid_from": "2026-06-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    let ask = |q: &str| format!("/api/v1/receivers?{q}");
    let usccs = |answer: &Value| -> Vec<String> {
        answer["receivers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["uscc"].as_str().unwrap().to_owned())
            .collect()
    };

    // Waste oil on a day: the in-province facilities and the collection point, then Chengdu
    // with its approval.
    let oil = generator.get_ok(&ask("codes=900-249-08&date=2026-12-10")).await;
    let found = usccs(&oil);
    assert_eq!(found.last(), Some(&chengdu), "across the province line last: {oil}");
    for r in [YUNAN, "91500110MA61NTHB7C", cast["point"].uscc.as_str()] {
        assert!(found.contains(&r.to_owned()), "{r} in {found:?}");
    }
    assert!(!found.contains(&FENGYAN.to_owned()));
    assert_eq!((&oil["issuer"], &oil["issuer_province"]), (&json!(shop), &json!("50")));
    let yunan = &oil["receivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uscc"] == YUNAN)
        .unwrap();
    assert_eq!(yunan["permits"][0]["number"], "CQWF-2026-001");
    assert_eq!(yunan["permits"][0]["kind"], "operating");
    assert_eq!(
        yunan["methods"],
        json!(["incineration", "landfill", "physico_chemical", "stabilisation"])
    );
    assert_eq!(
        (&yunan["approval_needed"], &yunan["approvals"]),
        (&json!(false), &json!([]))
    );
    let point = oil["receivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uscc"] == cast["point"].uscc)
        .unwrap();
    assert_eq!(
        (&point["permits"][0]["kind"], &point["methods"]),
        (&json!("collection"), &json!([]))
    );
    let sc = oil["receivers"].as_array().unwrap().last().unwrap();
    assert_eq!((&sc["approval_needed"], &sc["province"]), (&json!(true), &json!("51")));
    assert_eq!(sc["approvals"][0]["number"], "川环危转〔2026〕099号");
    assert_eq!(sc["approvals"][0]["remaining_g"], 5_000_000);

    // Every code must be covered by one permit: oil and lead batteries only the collection
    // point (the facilities' scopes: Yunan HW31 too); a code outside the approval leaves
    // Chengdu listed without one.
    let mixed = generator
        .get_ok(&ask("codes=900-249-08,900-052-31&date=2026-12-10"))
        .await;
    assert_eq!(
        usccs(&mixed),
        [cast["point"].uscc.as_str(), YUNAN],
        "by name: 测试… before 渝南…"
    );
    let other_oil = generator.get_ok(&ask("codes=900-214-08&date=2026-12-10")).await;
    let sc = other_oil["receivers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["uscc"] == chengdu)
        .unwrap();
    assert_eq!((&sc["approval_needed"], &sc["approvals"]), (&json!(true), &json!([])));
    // Medical waste: the Fengyan station only; nobody on a day no permit is valid.
    assert_eq!(usccs(&generator.get_ok(&ask("codes=841-001-01")).await), [FENGYAN]);
    assert!(usccs(&generator.get_ok(&ask("codes=900-249-08&date=2025-06-01")).await).is_empty());
    // An administrator names the issuer; without one nothing needs an approval.
    let for_shop = cast
        .admin
        .get_ok(&ask(&format!("codes=900-249-08&issuer={shop}")))
        .await;
    assert_eq!(for_shop["issuer"], json!(shop));
    let anyone = cast.admin.get_ok(&ask("codes=900-249-08")).await;
    assert!(anyone["issuer"].is_null());
    assert!(anyone["receivers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["approval_needed"] == false));

    let many = vec!["900-249-08"; 21].join(",");
    for (query, status, code) in [
        ("date=2026-12-10", StatusCode::UNPROCESSABLE_ENTITY, "missing_field"),
        (
            &*format!("codes={many}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_codes",
        ),
        (
            "codes=900-249",
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_waste_code_format",
        ),
        (
            "codes=900-999-08",
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_waste_code",
        ),
        (
            "codes=900-249-08&date=10/12/2026",
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_date",
        ),
        (
            &*format!("codes=900-249-08&issuer={}", cast["other"].uscc),
            StatusCode::FORBIDDEN,
            "not_your_enterprise",
        ),
    ] {
        assert_refused(&generator.get(&ask(query)).await, status, code);
    }
    assert_refused(
        &app.anonymous().get(&ask("codes=900-249-08")).await,
        StatusCode::UNAUTHORIZED,
        "not_authenticated",
    );
}

/// GETs `path` as `client` with `If-None-Match: tag`; answers the status, the `ETag` and
/// `Cache-Control` headers and the body.
async fn conditional(client: &Client, path: &str, tag: Option<&str>) -> (StatusCode, String, String, String) {
    let mut rb = client.request(reqwest::Method::GET, path);
    if let Some(t) = tag {
        rb = rb.header("If-None-Match", t);
    }
    let resp = rb.send().await.unwrap();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (etag, cache) = (header("etag"), header("cache-control"));
    let status = resp.status();
    (status, etag, cache, resp.text().await.unwrap())
}

#[tokio::test]
async fn a_phone_caches_keys_and_catalogue_and_verifies_labels_with_nothing_else() {
    let app = spawn_app().await;
    let cast = Cast::on(&app).generator("shop", SHOP).build().await;
    let phone = app.anonymous();

    // The catalogue, whole, with a tag; revalidated for nothing.
    let (s, tag, cache, body) = conditional(&phone, "/api/v1/catalogue/all", None).await;
    assert_eq!((s, cache.as_str()), (StatusCode::OK, "public, no-cache"));
    let catalogue: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(catalogue["count"], 467, "the 2021 list");
    assert_eq!(catalogue["codes"].as_array().unwrap().len(), 467);
    assert_eq!(catalogue["version"], "2021");
    assert!(catalogue["codes"][0]["exemptions"].is_array());
    let (s, again, _, empty) = conditional(&phone, "/api/v1/catalogue/all", Some(&tag)).await;
    assert_eq!((s, &again, empty.as_str()), (StatusCode::NOT_MODIFIED, &tag, ""));
    let (s, _, _, _) = conditional(&phone, "/api/v1/catalogue/all", Some("\"stale\"")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, ref_tag, _, _) = conditional(&phone, "/api/v1/reference", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        conditional(&phone, "/api/v1/reference", Some(&ref_tag)).await.0,
        StatusCode::NOT_MODIFIED
    );

    // The key list: a new device key changes its tag.
    let (s, key_tag, cache, _) = conditional(&phone, "/api/v1/keys", None).await;
    assert_eq!((s, cache.as_str()), (StatusCode::OK, "public, no-cache"));
    assert_eq!(
        conditional(&phone, "/api/v1/keys", Some(&key_tag)).await.0,
        StatusCode::NOT_MODIFIED
    );
    let spare = hwtrace::client::Device::generate(&cast["shop"].uscc, "spare");
    cast["shop"].client.register_device(&spare).await;
    let (s, new_tag, _, body) = conditional(&phone, "/api/v1/keys", Some(&key_tag)).await;
    assert_eq!(s, StatusCode::OK, "the cached copy is stale");
    assert_ne!(new_tag, key_tag);
    let keys: KeyList = serde_json::from_str(&body).unwrap();

    // With that copy alone a label verifies, and a label with one character changed is forged.
    let receipt = accepted(&cast.admin, &cast["shop"].device, "generate", oil(185_500)).await;
    let drum = code_of(&receipt);
    let qr = receipt["label"]["qr_text"].as_str().unwrap();
    let payload = offline::verify(qr, &keys).expect("a genuine label verifies offline");
    assert_eq!((payload.item_code_str(), payload.mass_g), (drum.as_str(), 185_500));
    let last = qr.chars().last().unwrap();
    let forged = format!("{}{}", &qr[..qr.len() - 1], if last == 'A' { 'B' } else { 'A' });
    assert!(matches!(
        offline::verify(&forged, &keys),
        Err(OfflineRefusal::Forged(_) | OfflineRefusal::Malformed(_))
    ));
    // A character inside the signed payload (its issue time), 110 from the end of 199.
    let mut altered = qr.to_owned();
    let at = altered.len() - 110;
    let swapped = if &altered[at..=at] == "A" { "B" } else { "A" };
    altered.replace_range(at..=at, swapped);
    assert!(
        matches!(offline::verify(&altered, &keys), Err(OfflineRefusal::Forged(_))),
        "a changed payload is forged"
    );
    // The label bytes a manifest answer caches rebuild the same QR text.
    let item = cast["shop"].client.get_ok(&format!("/api/v1/items/{drum}")).await;
    let bytes = data_encoding::BASE64
        .decode(item["label_b64"].as_str().unwrap().as_bytes())
        .unwrap();
    let (p, sig) = label::parse_label_bytes(&bytes).unwrap();
    let rebuilt = label::qr_text("HTTPS://ANY.EXAMPLE", &p, &sig);
    assert_eq!(offline::verify(&rebuilt, &keys).unwrap(), payload);
}

async fn ledger(c: &Client, uscc: &str) -> Value {
    c.get_ok(&format!("/api/v1/enterprises/{uscc}/ledger")).await
}

#[tokio::test]
async fn the_inventory_warns_of_items_over_age_and_stores_over_capacity() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Clock::manual(chrono::Utc::now());
    let config = Config {
        clock: clock.clone(),
        offline_window_days: 400,
        ..Config::with_db(dir.path().join("hwtrace.db"))
    };
    let app = start_with(config, dir).await;
    let cast = Cast::on(&app)
        .clock(&clock)
        .generator("shop", SHOP)
        .generator("hospital", "12500110MB6FAH001")
        .transporter("carrier", "91500110MA6FAT001", Fleet::van(PLATE, "500110199001017701"))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let shop = cast["shop"].uscc.clone();
    app.user("shop-clerk", "enterprise_clerk", Some(&shop), None).await;
    let clerk = app.login("shop-clerk").await;
    let admin = &cast["shop"].client;
    let stored_item = |ledger: &Value, code: &str| -> Value {
        ledger["states"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["items"].as_array().unwrap().iter())
            .find(|i| i["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("{code} not in {ledger}"))
    };

    // Storage capacities: the whole store 150 kg, its store room 500 kg.
    let path = format!("/api/v1/enterprises/{shop}/storage-capacities");
    let (s, body) = admin.post(&path, json!({"capacity_g": 150_000})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, body) = admin
        .post(&path, json!({"place": "危险废物贮存库", "capacity_g": 500_000}))
        .await;
    assert_eq!(
        (s, body["capacities"].as_array().unwrap().len()),
        (StatusCode::OK, 2),
        "{body}"
    );
    assert_refused(
        &clerk.post(&path, json!({"capacity_g": 1})).await,
        StatusCode::FORBIDDEN,
        "enterprise_admin_only",
    );
    assert_refused(
        &admin.post(&path, json!({"capacity_g": 0})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_capacity",
    );
    assert_refused(
        &admin.delete(&format!("{path}?place=仓库B")).await,
        StatusCode::NOT_FOUND,
        "unknown_storage_capacity",
    );
    assert_eq!(clerk.get_ok(&path).await["capacities"].as_array().unwrap().len(), 2);

    // Within the limits: no warning.
    let drum = cast.generate("shop", oil(100_000)).await;
    let gone = cast.generate("shop", oil(40_000)).await;
    // The hospital's phone was offline: it signed the bag ten hours before the service saw it.
    let signed = common::cst(clock.now() - Duration::hours(10));
    let fields = generate_fields("841-001-01", 5_000, "solid", &["In"], 50);
    let receipt = accepted_at(&cast.admin, &cast["hospital"].device, &signed, "generate", fields).await;
    let bag = code_of(&receipt);
    let l = ledger(&clerk, &shop).await;
    assert_eq!((&l["warnings"], &l["in_store_g"]), (&json!([]), &json!(140_000)), "{l}");
    assert_eq!(
        l["storage"][0],
        json!({"place": null, "capacity_g": 150_000, "stored_g": 140_000, "items": 2, "used_permille": 933, "over": false})
    );
    let d = stored_item(&l, &drum);
    assert_eq!(
        (&d["age_rule"], &d["over_age"]),
        (&json!("generator_one_year"), &json!(false)),
        "{d}"
    );
    let h = ledger(&cast["hospital"].client, &cast["hospital"].uscc).await;
    assert_eq!(stored_item(&h, &bag)["age_rule"], "medical_48h");

    // One drum leaves for Yunan, a bigger one comes: the whole store is over its 150 kg, the
    // store room is not.
    cast.deliver("shop", "carrier", "yunan", &[(&gone, 40_000)]).await;
    cast.generate("shop", oil(60_000)).await;
    let l = ledger(&clerk, &shop).await;
    assert_eq!(l["warnings_total"], 1, "{l}");
    let w = &l["warnings"][0];
    assert_eq!(
        (&w["kind"], &w["place"], &w["capacity_g"], &w["stored_g"]),
        (&json!("over_quantity"), &Value::Null, &json!(150_000), &json!(160_000)),
        "{w}"
    );
    assert!(w["message_zh"].as_str().unwrap().contains("超过登记的贮存能力"), "{w}");

    // The medical bag passes its 48 hours at the hospital, counted from when it was signed:
    // 38 hours after the service saw it.
    clock.set(clock.now() + Duration::hours(38) - Duration::minutes(1));
    let h = ledger(&cast["hospital"].client, &cast["hospital"].uscc).await;
    assert_eq!(h["warnings_total"], 0, "48 hours less a minute: {h}");
    clock.set(clock.now() + Duration::minutes(2));
    let h = ledger(&cast["hospital"].client, &cast["hospital"].uscc).await;
    assert_eq!(h["warnings_total"], 1, "{h}");
    let w = &h["warnings"][0];
    assert_eq!(
        (&w["kind"], &w["rule"], &w["item"]),
        (&json!("over_age"), &json!("medical_48h"), &json!(bag))
    );
    assert!(w["basis_zh"].as_str().unwrap().contains("医疗废物管理条例"));
    assert_eq!(w["age_hours"], 48, "{w}");
    assert!(stored_item(&h, &bag)["over_age"] == true);
    assert_eq!(
        ledger(&clerk, &shop).await["warnings_total"],
        1,
        "oil is not over age in 2 days"
    );

    // A year on: the generator's drums by hwtrace's one-year rule, Yunan's by the law's.
    clock.set(clock.now() + Duration::days(366));
    let l = ledger(&clerk, &shop).await;
    assert_eq!(l["warnings_total"], 3, "{l}");
    let aged: Vec<&Value> = l["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["kind"] == "over_age")
        .collect();
    assert_eq!(aged.len(), 2);
    assert!(aged.iter().all(|w| w["rule"] == "generator_one_year"));
    assert!(stored_item(&l, &drum)["storage_age_days"].as_i64().unwrap() >= 366);
    let gate = ledger(&cast["yunan"].client, YUNAN).await;
    let w = gate["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["item"] == gone)
        .unwrap_or_else(|| panic!("{gate}"));
    assert_eq!(w["rule"], "licensed_one_year");
    assert!(w["basis_zh"].as_str().unwrap().contains("第八十一条"));

    // Removing the whole-store capacity removes its warning.
    let (s, body) = admin.delete(&path).await;
    assert_eq!(
        (s, body["capacities"].as_array().unwrap().len()),
        (StatusCode::OK, 1),
        "{body}"
    );
    assert_eq!(ledger(&clerk, &shop).await["warnings_total"], 2);
}

#[tokio::test]
async fn the_gates_capacity_panel_shows_today_and_the_year_per_method_to_its_own_users() {
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .generator("other", OTHER)
        .transporter("carrier", "91500110MA6FAT001", Fleet::van(PLATE, "500110199001017701"))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    app.user("gate", "enterprise_clerk", Some(YUNAN), None).await;
    let gate = app.login("gate").await;
    let [x, y] = [
        cast.generate("shop", oil(100_000)).await,
        cast.generate("shop", oil(60_000)).await,
    ];
    cast.deliver("shop", "carrier", "yunan", &[(&x, 100_000), (&y, 60_000)])
        .await;
    let treat = json!({"item": x, "method": "incineration", "treated_mass_g": 100_000});
    cast.accepted("yunan", "treat", treat).await;

    let path = format!("/api/v1/reconciliation/facilities/{YUNAN}");
    let panel = gate.get_ok(&path).await;
    assert_eq!(
        (&panel["received_on_date_g"], &panel["received_on_date_items"]),
        (&json!(160_000), &json!(2)),
        "{panel}"
    );
    assert_eq!(panel["received_ytd_g"], 160_000);
    let incineration = panel["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["method"] == "incineration")
        .unwrap();
    assert_eq!(
        (
            &incineration["treated_on_date_g"],
            &incineration["treated_on_date_items"],
            &incineration["treated_ytd_g"]
        ),
        (&json!(100_000), &json!(1), &json!(100_000))
    );
    assert_eq!(incineration["capacity_g"], 30_000u64 * 1_000_000);
    let yesterday = chrono::NaiveDate::parse_from_str(&cast.today(), "%Y-%m-%d").unwrap() - Duration::days(1);
    let before = gate.get_ok(&format!("{path}?date={yesterday}")).await;
    assert_eq!(before["received_on_date_g"], 0);
    assert_refused(
        &cast["other"].client.get(&path).await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
}

/// A phone that sent its queue and lost the answer (the connection dropped after the server
/// logged it) sends the same envelopes again, never re-signed: the service refuses them as
/// replayed, and the phone asks, by key and nonce, what became of each: an accepted event with
/// its index, or an event the rules refused with the refusal in Chinese. A nonce never used is
/// unknown; a malformed key ID or nonce is refused.
#[tokio::test]
async fn a_phone_that_lost_its_answer_finds_what_became_of_each_envelope_by_its_nonce() {
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .transporter("carrier", "91500110MA6FAT001", Fleet::van(PLATE, "500110199001017701"))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let drum = cast.generate("shop", oil(185_500)).await;
    let other = cast.generate("shop", oil(20_000)).await;
    let number = cast.released("shop", "carrier", "yunan", &[&drum]).await;
    let phone = &cast["carrier"].device;
    let accept = phone.sign_event("accept", &cast.now(), json!({"items": [drum], "manifest": number}));
    // Not released to the carrier: the rules refuse it, and the refusal is logged.
    let early = phone.sign_event("accept", &cast.now(), json!({"items": [other], "manifest": number}));
    let batch = json!({"envelopes": [accept, early]});
    let (status, first) = app.anonymous().post("/api/v1/events/batch", batch.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let index = first["results"][0]["receipt"]["index"]
        .as_u64()
        .expect("the accept's index");
    let refusal = first["results"][1]["error"].clone();
    assert_eq!(first["results"][1]["ok"], json!(false), "{first}");

    // The same bytes again: nothing is logged twice.
    let size = app.log_size().await;
    let (status, again) = app.anonymous().post("/api/v1/events/batch", batch).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    for r in again["results"].as_array().unwrap() {
        assert_eq!(r["error"]["error"], json!("replayed_nonce"), "{again}");
    }
    assert_eq!(app.log_size().await, size, "a replayed envelope was logged");

    let payload_nonce = |env: &hwtrace::crypto::dsse::Envelope| -> String {
        let bytes = env.payload_bytes().expect("payload");
        serde_json::from_slice::<Value>(&bytes).unwrap()["nonce"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let key_id = phone.key_id().to_hex();
    let path = |nonce: &str| format!("/api/v1/events/by-nonce?key_id={key_id}&nonce={nonce}");
    let (status, found) = app.anonymous().get(&path(&payload_nonce(&accept))).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        found,
        json!({"key_id": key_id, "nonce": payload_nonce(&accept), "index": index, "kind": "event", "refusal": null})
    );
    let (status, found) = app.anonymous().get(&path(&payload_nonce(&early))).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["kind"], json!("refusal"), "{found}");
    assert_eq!(
        found["refusal"], refusal,
        "the logged refusal is not the one the phone was answered with"
    );
    assert!(
        found["refusal"]["message_zh"].as_str().is_some_and(|m| !m.is_empty()),
        "{found}"
    );
    let entry = &app
        .entries(found["index"].as_u64().unwrap(), found["index"].as_u64().unwrap() + 1)
        .await[0];
    assert_eq!(entry["kind"], json!("refusal"));

    assert_refused(
        &app.anonymous().get(&path("never-used")).await,
        StatusCode::NOT_FOUND,
        "unknown_nonce",
    );
    assert_refused(
        &app.anonymous().get("/api/v1/events/by-nonce?key_id=XYZ&nonce=a").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_key_id",
    );
    assert_refused(
        &app.anonymous().get(&path("no%20spaces")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_nonce",
    );
}

/// The gate shows a weighing's difference as a discrepancy before it is signed, so the app
/// takes the tolerance from `GET /api/v1/reference`: the rule stated there is the one the
/// custody rules apply, to the gram (at the limit: none; one gram beyond: a discrepancy).
#[tokio::test]
async fn the_reference_states_the_weighing_tolerance_the_custody_rules_apply() {
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .transporter("carrier", "91500110MA6FAT001", Fleet::van(PLATE, "500110199001017701"))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let (s, reference) = app.anonymous().get("/api/v1/reference").await;
    assert_eq!(s, StatusCode::OK, "{reference}");
    let tolerance = &reference["mass_tolerance"];
    let permille = tolerance["permille"].as_u64().expect("permille");
    let slack = tolerance["slack_g"].as_u64().expect("slack_g");
    assert_eq!((permille, slack), (50, 1), "{tolerance}");

    let declared = 200_000u64;
    let limit = declared + declared * permille / 1000 + slack;
    let [at_limit, beyond] = [
        cast.generate("shop", oil(declared)).await,
        cast.generate("shop", oil(declared)).await,
    ];
    cast.at_the_gate("shop", "carrier", "yunan", &[(&at_limit, limit), (&beyond, limit + 1)])
        .await;
    let discrepancy = |item: Value| item["custody"]["discrepancy"].clone();
    let item = cast["yunan"].client.get_ok(&format!("/api/v1/items/{at_limit}")).await;
    assert_eq!(
        discrepancy(item),
        Value::Null,
        "{limit} g is within the stated tolerance of {declared} g"
    );
    let item = cast["yunan"].client.get_ok(&format!("/api/v1/items/{beyond}")).await;
    assert_eq!(
        discrepancy(item),
        json!({"expected_g": declared, "weighed_g": limit + 1, "answered": false}),
        "one gram beyond the stated tolerance is a discrepancy"
    );
}

/// Regression: the gate could not read an item arriving at it, nor print the label of the part
/// it refused (held by the carrier, generated by the shop): `not_your_item`. The parties of the
/// manifest an item travels under read it, and nobody else does.
#[tokio::test]
async fn the_receiver_reads_an_arriving_item_and_prints_the_label_of_the_part_it_refused() {
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", SHOP)
        .generator("other", OTHER)
        .transporter("carrier", "91500110MA6FAT001", Fleet::van(PLATE, "500110199001017701"))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let drum = cast.generate("shop", oil(200_000)).await;
    let gate = &cast["yunan"].client;
    let stranger = &cast["other"].client;
    assert_refused(
        &gate.get(&format!("/api/v1/items/{drum}")).await,
        StatusCode::FORBIDDEN,
        "not_your_item",
    );

    let number = cast.on_the_road("shop", "carrier", "yunan", &[&drum]).await;
    let item = gate.get_ok(&format!("/api/v1/items/{drum}")).await;
    assert_eq!(item["state"], "in_transit", "{item}");
    cast.arrive("carrier", &[&drum], &number).await;
    cast.weigh("yunan", &drum, 200_000).await;
    let receipt = cast
        .accepted(
            "yunan",
            "receive",
            json!({"item": drum, "decision": "partial", "accepted_mass_g": 150_000, "refused_mass_g": 50_000,
                   "reason": "上层为分离水"}),
        )
        .await;
    let part = receipt["created"][0]["item_code"]
        .as_str()
        .expect("the refused part")
        .to_owned();
    let item = gate.get_ok(&format!("/api/v1/items/{part}")).await;
    assert_eq!(
        (&item["state"], &item["holder"]),
        (&json!("refused"), &json!(cast["carrier"].uscc)),
        "{item}"
    );
    let page = gate
        .request(reqwest::Method::GET, &format!("/api/v1/items/{part}/label"))
        .send()
        .await
        .expect("the label page");
    assert_eq!(page.status(), StatusCode::OK);
    let qr_text = receipt["created"][0]["label"]["qr_text"]
        .as_str()
        .expect("the part's QR text")
        .to_owned();
    let html = page.text().await.expect("label HTML");
    assert!(html.contains(&part), "the label page does not name the part");
    assert!(!qr_text.is_empty());

    for path in [
        format!("/api/v1/items/{part}"),
        format!("/api/v1/items/{part}/label"),
        format!("/api/v1/items/{drum}"),
    ] {
        assert_refused(&stranger.get(&path).await, StatusCode::FORBIDDEN, "not_your_item");
    }
}
