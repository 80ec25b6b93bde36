//! The custody log over HTTP: generation through signed envelopes, labels, checkpoints,
//! entries, proofs, item history, keys, refusals, restarts and concurrency.

mod common;

use std::collections::HashSet;

use common::cast::Cast;
use common::{assert_refused, enterprise, spawn_app, uscc, Client, TestApp};
use hwtrace::client::{generate_fields, Device};
use hwtrace::crypto::keys::VerifierKey;
use hwtrace::crypto::label;
use hwtrace::crypto::merkle::{hash_from_b64, leaf_hash, root_of, verify_consistency, verify_inclusion, Hash};
use hwtrace::crypto::note::Checkpoint;
use reqwest::StatusCode;
use serde_json::{json, Value};

const GENERATOR: &str = "91500110MA5U8F4X2N";

/// A generator, `gen`, with an admin account (`gen-admin`) and a registered phone.
async fn generator(app: &TestApp) -> Cast {
    Cast::on(app).generator("gen", GENERATOR).build().await
}

fn drum(d: &Device) -> hwtrace::crypto::dsse::Envelope {
    d.sign_event(
        "generate",
        &common::now_cst(),
        generate_fields("900-249-08", 185_500, "liquid", &["T", "I"], 200),
    )
}

async fn keys(c: &Client) -> Vec<Value> {
    let (s, body) = c.get("/api/v1/keys").await;
    assert_eq!(s, StatusCode::OK);
    body["keys"].as_array().unwrap().clone()
}

async fn server_key(c: &Client, role: &str) -> VerifierKey {
    let k = keys(c)
        .await
        .into_iter()
        .find(|k| k["role"] == role && k["valid_until"].is_null())
        .unwrap();
    VerifierKey::parse(k["vkey"].as_str().unwrap()).unwrap_or_else(|e| panic!("{e}: {k}"))
}

fn b64s(v: &Value) -> Vec<Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| hash_from_b64(h.as_str().unwrap()).unwrap())
        .collect()
}

/// Checks a receipt as an outsider would: the checkpoint is signed by the log key and the
/// entry is included in it.
fn check_receipt(receipt: &Value, log_key: &VerifierKey) -> Checkpoint {
    let cp = Checkpoint::open(receipt["checkpoint"].as_str().unwrap(), log_key).expect("checkpoint verifies");
    let index = receipt["index"].as_u64().unwrap();
    let leaf = leaf_hash(receipt["entry"].as_str().unwrap().as_bytes());
    assert_eq!(hex::encode(leaf), receipt["leaf_hash"]);
    assert_eq!(receipt["inclusion_proof"]["size"], cp.size);
    verify_inclusion(
        index,
        cp.size,
        &leaf,
        &b64s(&receipt["inclusion_proof"]["hashes"]),
        &cp.root,
    )
    .expect("the entry is included in the checkpoint");
    cp
}

#[tokio::test]
async fn generation_issues_a_signed_label_and_a_logged_entry() {
    let app = spawn_app().await;
    let cast = generator(&app).await;
    let (admin, phone) = (&cast.admin, &cast["gen"].device);
    let log_key = server_key(admin, "log").await;
    let label_key = server_key(admin, "label").await;
    assert_eq!(log_key.name, "hwtrace.wansheng.example/log");
    assert_eq!(label_key.name, "hwtrace.wansheng.example/log/label");

    let (s, receipt) = admin
        .post("/api/v1/events", serde_json::to_value(drum(phone)).unwrap())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{receipt}");
    let code = receipt["item_code"].as_str().unwrap();
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    assert_eq!(code, format!("{GENERATOR}90024908{}001", today.format("%Y%m%d")));
    let cp = check_receipt(&receipt, &log_key);
    assert_eq!(
        receipt["index"], 3,
        "entries 0-1 are the server keys, 2 the phone's registration"
    );
    assert_eq!(cp.size, 4);

    // The label verifies offline with the label key, and says what was declared.
    let qr = receipt["label"]["qr_text"].as_str().unwrap();
    assert!(qr.starts_with("HTTP://127.0.0.1:8080/Q/"), "{qr}");
    let payload = label::verify_qr_text(qr, |id| (id == label_key.key_id).then_some(label_key.public_key)).unwrap();
    assert_eq!(payload.item_code_str(), code);
    assert_eq!((payload.mass_g, payload.hazard_bits, payload.form), (185_500, 0x05, 3));

    // The entry carries the envelope as received and the label, and chains the item.
    let entry: Value = serde_json::from_str(receipt["entry"].as_str().unwrap()).unwrap();
    assert_eq!(entry["kind"], "event");
    assert_eq!(entry["prev"], json!({ code: "" }));
    assert_eq!(entry["label"], receipt["label"]["b64"]);
    assert_eq!(
        entry["envelope"],
        serde_json::to_value(drum_payload_of(&entry)).unwrap()
    );

    // A second drum the same day takes serial 002 and chains nothing from the first.
    let (_, second) = admin
        .post("/api/v1/events", serde_json::to_value(drum(phone)).unwrap())
        .await;
    assert!(second["item_code"].as_str().unwrap().ends_with("002"));
    check_receipt(&second, &log_key);
}

/// The envelope member of an entry, parsed back (to compare with what was sent).
fn drum_payload_of(entry: &Value) -> hwtrace::crypto::dsse::Envelope {
    serde_json::from_value(entry["envelope"].clone()).unwrap()
}

#[tokio::test]
async fn entries_proofs_and_history_verify_against_the_checkpoint() {
    let app = spawn_app().await;
    let cast = generator(&app).await;
    let (admin, phone) = (&cast.admin, &cast["gen"].device);
    let log_key = server_key(admin, "log").await;
    let (_, first) = admin
        .post("/api/v1/events", serde_json::to_value(drum(phone)).unwrap())
        .await;
    let old = check_receipt(&first, &log_key);
    for _ in 0..5 {
        let (s, _) = admin
            .post("/api/v1/events", serde_json::to_value(drum(phone)).unwrap())
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }
    let anon = app.anonymous();
    let resp = reqwest::get(format!("{}/log/checkpoint", app.base)).await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    let cp = Checkpoint::open(&resp.text().await.unwrap(), &log_key).unwrap();
    assert_eq!(cp.size, 9);

    let resp = reqwest::get(format!("{}/log/entries?start=0&end={}", app.base, cp.size))
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    let text = resp.text().await.unwrap();
    let leaves: Vec<Hash> = text.lines().map(|l| leaf_hash(l.as_bytes())).collect();
    assert_eq!(leaves.len() as u64, cp.size);
    assert_eq!(root_of(&leaves), cp.root, "the entries served hash to the signed root");
    for (i, line) in text.lines().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["seq"], i, "entry {i} knows its index");
    }

    let (s, proof) = anon
        .get(&format!("/log/proof/inclusion?index=4&size={}", cp.size))
        .await;
    assert_eq!(s, StatusCode::OK);
    verify_inclusion(4, cp.size, &leaves[4], &b64s(&proof["hashes"]), &cp.root).unwrap();
    let (s, proof) = anon
        .get(&format!("/log/proof/consistency?old={}&new={}", old.size, cp.size))
        .await;
    assert_eq!(s, StatusCode::OK);
    verify_consistency(old.size, cp.size, &old.root, &cp.root, &b64s(&proof["hashes"])).unwrap();

    let code = first["item_code"].as_str().unwrap();
    let (s, history) = anon.get(&format!("/api/v1/items/{code}/history")).await;
    assert_eq!(s, StatusCode::OK, "{history}");
    let hcp = Checkpoint::open(history["checkpoint"].as_str().unwrap(), &log_key).unwrap();
    let entries = history["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let e = &entries[0];
    let leaf = leaf_hash(e["entry"].as_str().unwrap().as_bytes());
    verify_inclusion(
        e["index"].as_u64().unwrap(),
        hcp.size,
        &leaf,
        &b64s(&e["inclusion_proof"]),
        &hcp.root,
    )
    .unwrap();

    let limits = [
        ("/log/entries?start=5&end=5", "bad_range"),
        ("/log/entries?start=0&end=1001", "bad_range"),
        ("/log/entries?start=0&end=99", "bad_range"),
        ("/log/proof/inclusion?index=9&size=9", "bad_range"),
        ("/log/proof/consistency?old=0&new=9", "bad_range"),
        ("/log/proof/consistency?old=5&new=99", "bad_range"),
        ("/log/entries?start=0", "bad_query"),
    ];
    for (path, code) in limits {
        assert_refused(&anon.get(path).await, StatusCode::BAD_REQUEST, code);
    }
    let unknown = format!("{GENERATOR}9002490820200101999");
    assert_refused(
        &anon.get(&format!("/api/v1/items/{unknown}/history")).await,
        StatusCode::NOT_FOUND,
        "unknown_item",
    );
    assert_refused(
        &anon.get("/api/v1/items/nonsense/history").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_item_code",
    );
}

#[tokio::test]
async fn bad_envelopes_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let cast = generator(&app).await;
    let (admin, phone) = (&cast.admin, &cast["gen"].device);
    let env = drum(phone);
    let (s, _) = admin.post("/api/v1/events", serde_json::to_value(&env).unwrap()).await;
    assert_eq!(s, StatusCode::CREATED);
    let size = |c: &Client| {
        let c = c.base.clone();
        async move {
            let text = reqwest::get(format!("{c}/log/checkpoint"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            text.lines().nth(1).unwrap().parse::<u64>().unwrap()
        }
    };
    let before = size(admin).await;

    assert_refused(
        &admin.post("/api/v1/events", serde_json::to_value(&env).unwrap()).await,
        StatusCode::CONFLICT,
        "replayed_nonce",
    );

    let mut forged = drum(phone);
    let mut payload = forged.payload_bytes().unwrap();
    let pos = payload.windows(6).position(|w| w == b"185500").unwrap();
    payload[pos] = b'9';
    forged.payload = data_encoding::BASE64.encode(&payload);
    assert_refused(
        &admin
            .post("/api/v1/events", serde_json::to_value(&forged).unwrap())
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_signature",
    );

    let stranger = Device::generate(GENERATOR, "phone-9");
    assert_refused(
        &admin
            .post("/api/v1/events", serde_json::to_value(drum(&stranger)).unwrap())
            .await,
        StatusCode::FORBIDDEN,
        "unknown_key",
    );

    // A device of the generator signing an event that names another device.
    let other = Device::generate(GENERATOR, "phone-2");
    let ent = &cast["gen"].client;
    ent.register_device(&other).await;
    let mut lying = serde_json::to_value(drum(&other)).unwrap();
    let mut p: Value = serde_json::from_slice(
        &data_encoding::BASE64
            .decode(lying["payload"].as_str().unwrap().as_bytes())
            .unwrap(),
    )
    .unwrap();
    p["device"] = json!(phone.device);
    let resigned = other.sign_bytes(p.to_string().as_bytes());
    lying = serde_json::to_value(resigned).unwrap();
    assert_refused(
        &admin.post("/api/v1/events", lying).await,
        StatusCode::FORBIDDEN,
        "signer_mismatch",
    );

    let late = phone.sign_event(
        "generate",
        "2020-01-01T08:00:00+08:00",
        generate_fields("900-249-08", 1000, "solid", &["T"], 20),
    );
    assert_refused(
        &admin.post("/api/v1/events", serde_json::to_value(late).unwrap()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "event_too_old",
    );
    let ahead = phone.sign_event(
        "generate",
        "2099-01-01T08:00:00+08:00",
        generate_fields("900-249-08", 1000, "solid", &["T"], 20),
    );
    assert_refused(
        &admin.post("/api/v1/events", serde_json::to_value(ahead).unwrap()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "event_in_future",
    );
    let unknown = phone.sign_event(
        "generate",
        &common::now_cst(),
        generate_fields("900-999-08", 1000, "solid", &["T"], 20),
    );
    assert_refused(
        &admin
            .post("/api/v1/events", serde_json::to_value(unknown).unwrap())
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown_waste_code",
    );
    let mut wrong_type = serde_json::to_value(drum(phone)).unwrap();
    wrong_type["payloadType"] = json!("application/json");
    assert_refused(
        &admin.post("/api/v1/events", wrong_type).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "wrong_payload_type",
    );

    // A transporter's device may not generate items: a genuinely signed event refused by the
    // rules' context checks, so the refusal itself is logged.
    let carrier = uscc("91500110MA6TRN031");
    let (s, _) = admin
        .post(
            "/api/v1/enterprises",
            enterprise(&carrier, &["transporter"], "wansheng"),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let truck = Device::generate(&carrier, "truck-phone");
    admin.register_device(&truck).await;
    assert_refused(
        &admin
            .post("/api/v1/events", serde_json::to_value(drum(&truck)).unwrap())
            .await,
        StatusCode::FORBIDDEN,
        "not_a_generator",
    );

    // A revoked key is recognised and refused as such.
    let (s, _) = ent
        .post(
            &format!("/api/v1/enterprises/{GENERATOR}/devices/phone-2/revoke"),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_refused(
        &admin
            .post("/api/v1/events", serde_json::to_value(drum(&other)).unwrap())
            .await,
        StatusCode::FORBIDDEN,
        "key_revoked",
    );

    assert_eq!(
        size(admin).await,
        before + 4,
        "only phone-2, the truck, the truck's refused event and the revocation were logged"
    );
    let kinds: Vec<Value> = keys(admin).await;
    assert_eq!(kinds.iter().filter(|k| k["role"] == "device").count(), 3);
    assert!(kinds
        .iter()
        .any(|k| k["role"] == "device" && !k["revoked_at"].is_null()));
}

#[tokio::test]
async fn a_batch_is_answered_per_envelope() {
    let app = spawn_app().await;
    let cast = generator(&app).await;
    let (admin, phone) = (&cast.admin, &cast["gen"].device);
    let repeated = drum(phone);
    let envelopes: Vec<Value> = vec![
        serde_json::to_value(drum(phone)).unwrap(),
        serde_json::to_value(&repeated).unwrap(),
        serde_json::to_value(&repeated).unwrap(),
        serde_json::to_value(drum(phone)).unwrap(),
    ];
    let (s, body) = admin
        .post("/api/v1/events/batch", json!({ "envelopes": envelopes }))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(
        (body["accepted"].as_u64(), body["refused"].as_u64()),
        (Some(3), Some(1))
    );
    let refused: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ok"] == false)
        .collect();
    assert_eq!(refused[0]["error"]["error"], "replayed_nonce");
    assert_eq!(body["results"][2]["ok"], false, "the second copy is the one refused");
    let serials: Vec<String> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ok"] == true)
        .map(|r| r["receipt"]["item_code"].as_str().unwrap()[34..].to_owned())
        .collect();
    // `repeated` was signed first: the batch is applied in the order of the events' times
    // (ties in the order sent), so it took the first serial; the answers stay in the order sent.
    assert_eq!(serials, ["002", "001", "003"], "serials follow the events' times");
    assert_refused(
        &admin.post("/api/v1/events/batch", json!({"envelopes": []})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_batch_size",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_clients_get_distinct_codes_and_indexes() {
    let app = spawn_app().await;
    let cast = generator(&app).await;
    let (admin, ent) = (&cast.admin, &cast["gen"].client);
    let log_key = server_key(admin, "log").await;
    let mut phones = Vec::new();
    for i in 0..50 {
        let d = Device::generate(GENERATOR, &format!("phone-c{i}"));
        ent.register_device(&d).await;
        phones.push(d);
    }
    let tasks: Vec<_> = phones
        .into_iter()
        .map(|d| {
            let base = app.base.clone();
            tokio::spawn(async move {
                let env = d.sign_event(
                    "generate",
                    &common::now_cst(),
                    generate_fields("900-249-08", 10_000, "liquid", &["T", "I"], 20),
                );
                let resp = reqwest::Client::new()
                    .post(format!("{base}/api/v1/events"))
                    .json(&env)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), StatusCode::CREATED);
                resp.json::<Value>().await.unwrap()
            })
        })
        .collect();
    let mut codes = HashSet::new();
    let mut indexes = HashSet::new();
    let mut checkpoints = HashSet::new();
    for t in tasks {
        let receipt = t.await.unwrap();
        check_receipt(&receipt, &log_key);
        codes.insert(receipt["item_code"].as_str().unwrap().to_owned());
        indexes.insert(receipt["index"].as_u64().unwrap());
        checkpoints.insert(receipt["checkpoint"].as_str().unwrap().to_owned());
    }
    assert_eq!(codes.len(), 50, "distinct item codes");
    assert_eq!(indexes.len(), 50, "distinct indexes");
    let serials: HashSet<String> = codes.iter().map(|c| c[34..].to_owned()).collect();
    assert_eq!(serials.len(), 50, "serials 001-050 each used once");
    println!(
        "50 concurrent generations were committed under {} checkpoints",
        checkpoints.len()
    );
}

#[tokio::test]
async fn a_restart_continues_the_log_and_the_serials() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    let (code1, cp1) = {
        let app = common::spawn_app_at(&db).await;
        let cast = generator(&app).await;
        let (admin, phone) = (&cast.admin, &cast["gen"].device);
        let (_, r) = admin
            .post("/api/v1/events", serde_json::to_value(drum(phone)).unwrap())
            .await;
        let cp = r["checkpoint"].as_str().unwrap().to_owned();
        let code = r["item_code"].as_str().unwrap().to_owned();
        app.stop().await;
        (code, cp)
    };
    let app = common::spawn_app_at(&db).await;
    let text = reqwest::get(format!("{}/log/checkpoint", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, cp1, "the restarted log serves the same checkpoint");
    let admin = app.login("admin").await;
    let phone = Device::generate(GENERATOR, "phone-after-restart");
    let ent = app.login("gen-admin").await;
    ent.register_device(&phone).await;
    let (s, r) = admin
        .post("/api/v1/events", serde_json::to_value(drum(&phone)).unwrap())
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(r["index"], 5);
    assert_eq!(&r["item_code"].as_str().unwrap()[..34], &code1[..34]);
    assert!(
        r["item_code"].as_str().unwrap().ends_with("002"),
        "serials continue after a restart"
    );
    let log_key = server_key(&admin, "log").await;
    let new = check_receipt(&r, &log_key);
    let old_cp = Checkpoint::open(&cp1, &log_key).unwrap();
    let (_, proof) = admin
        .get(&format!("/log/proof/consistency?old={}&new={}", old_cp.size, new.size))
        .await;
    verify_consistency(old_cp.size, new.size, &old_cp.root, &new.root, &b64s(&proof["hashes"])).unwrap();
}

/// The key list names, for every key, the log entry that registered it (`log_seq`), so a
/// verifier (the browser's item page) takes the key from the log rather than from the list.
#[tokio::test]
async fn the_key_list_names_each_keys_registration_entry() {
    let app = spawn_app().await;
    generator(&app).await;
    let list = keys(&app.anonymous()).await;
    assert!(list.iter().any(|k| k["role"] == "device"), "{list:?}");
    for role in ["log", "label", "device"] {
        assert!(list.iter().any(|k| k["role"] == role), "no {role} key: {list:?}");
    }
    for k in &list {
        let seq = k["log_seq"].as_u64().unwrap_or_else(|| panic!("no log_seq: {k}"));
        let entry = app.entries(seq, seq + 1).await.remove(0);
        assert_eq!(entry["kind"], "key", "{entry}");
        assert_eq!(entry["key"]["vkey"], k["vkey"], "{entry}");
        assert_eq!(entry["key"]["role"], k["role"], "{entry}");
        assert_eq!(entry["key"]["action"], "register", "{entry}");
    }
}
