//! Browser tests of the driver's phone (issue 10, point 2): the installable app that works
//! with no network. A driver's phone (390×844, touch) enrols, chooses its vehicle, opens the
//! day's trip and scans labels (through the camera path: Chromium's fake camera playing a video
//! of the label; a keyboard-wedge scanner; the item code typed), checks each label's signature
//! on the phone, and signs `accept`, `release` and `arrive` events into its queue, which sends
//! them when the network allows. Each story ends with the events in the log, signed by the
//! phone's own key.

use std::time::Duration;

use serde_json::{json, Value};

use super::cdp::{js, Browser, Launch, PHONE_VIEWPORT};
use super::common::cast::Cast;
use super::common::custody::{accepted, stands, Fleet};
use super::common::{self, TestApp, YUNAN};
use super::enrol::{approve_by_api, approve_in_browser, request_enrolment, wait_enrolled};
use super::infra::{label, qr_png, SCAN_DEADLINE};
use super::{block_on, has_cjk, log_in, media, shoot, with_browsers};

const SHOP: &str = "91500110MA6GEN001";
const CARRIER: &str = "91500110MA6CAR001";
const RELAY: &str = "91500110MA6REL001";
const PLATE: &str = "渝D56001";
const LICENCE: &str = "500110199002025601";
const RELAY_PLATE: &str = "渝D56002";
const RELAY_LICENCE: &str = "500110199003035602";

/// Upper bound for a queue to send what it holds once the network is back (it sends on the
/// browser's `online` event; the machine is shared).
const SYNC_DEADLINE: Duration = Duration::from_secs(30);
/// Upper bound for the service worker to install (it fetches every file of the app and the
/// public lists) and take control; generous, as browsers of other tests install theirs too.
const INSTALL_DEADLINE: Duration = Duration::from_secs(60);

/// The story's parties: a generator, the first carrier (its vehicle and driver), the relay
/// carrier, the Yunan centre; the drivers as users of their transporters.
async fn cast(app: &TestApp) -> Cast {
    let cast = Cast::on(app)
        .generator("shop", SHOP)
        .transporter("carrier", CARRIER, Fleet::van(PLATE, LICENCE))
        .transporter("relay", RELAY, Fleet::van(RELAY_PLATE, RELAY_LICENCE))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    app.user("driver-li", "enterprise_clerk", Some(&cast["carrier"].uscc), None)
        .await;
    app.user("driver-wang", "enterprise_clerk", Some(&cast["relay"].uscc), None)
        .await;
    cast
}

/// The shop opens a manifest for `items` carried by the carrier, then (when `relay`) by the
/// relay carrier, to Yunan, and releases them to the carrier; answers its number.
async fn released(cast: &Cast, items: &[&str], relay: bool) -> String {
    let mut transporters = vec![cast["carrier"].uscc.clone()];
    if relay {
        transporters.push(cast["relay"].uscc.clone());
    }
    let opened = cast
        .accepted(
            "shop",
            "manifest_open",
            json!({"transporters": transporters, "vehicle_plate": PLATE, "driver_licence": LICENCE,
                   "receiver": YUNAN, "items": items, "planned_date": cast.today()}),
        )
        .await;
    let number = opened["manifest_no"].as_str().expect("a manifest number").to_owned();
    cast.accepted(
        "shop",
        "release",
        json!({"items": items, "to": cast["carrier"].uscc, "manifest": number}),
    )
    .await;
    number
}

/// The phone (logged in) enrols as `device`, approved over the API by `approver`; answers its
/// key ID.
fn enrolled(phone: &mut Browser, app: &TestApp, device: &str, approver: &str) -> String {
    let key_id = request_enrolment(phone, device);
    approve_by_api(app, approver, &key_id);
    wait_enrolled(phone, &key_id);
    key_id
}

/// Today's trips: the driver picks the vehicle (the first time), then the manifest's card.
fn open_trip(phone: &mut Browser, base: &str, plate: &str, number: &str) {
    phone.open(&format!("{base}/#/trips"), "trips");
    let choice = format!("#vehicle-list button[data-plate={}]", js(plate));
    if phone.count(&choice) == 1 {
        phone.tap(&choice);
    }
    let card = format!("a.trip-card[data-number={}]", js(number));
    phone.wait_for(
        &format!(
            "document.body.dataset.ready === 'trips' && !!document.querySelector({})",
            js(&card)
        ),
        "the manifest's card on today's trips",
    );
    phone.tap(&card);
    phone.wait_for(
        &format!(
            "document.body.dataset.ready === 'trip' && document.querySelector('#trip')?.dataset.number === {}",
            js(number)
        ),
        "the trip page",
    );
}

/// Waits until the service worker controls the app and keeps, for offline use, the day's
/// manifests, the key list and the session; then opens the trip again (through the worker).
fn ready_for_offline(phone: &mut Browser, base: &str, number: &str) {
    phone.wait_for_within(
        "document.documentElement.dataset.sw === 'ready' && !!navigator.serviceWorker.controller",
        "the service worker to control the app",
        INSTALL_DEADLINE,
    );
    phone.open(&format!("{base}/#/trips/{number}"), "trip");
    phone.wait_for(
        "(async () => {
            const data = await caches.open('hwtrace-data-v1');
            const paths = (await data.keys()).map((r) => new URL(r.url).pathname);
            window.__kept = ['/api/v1/manifests', '/api/v1/keys', '/api/v1/session', '/api/v1/reference']
              .every((p) => paths.includes(p));
        })() && window.__kept",
        "the day's manifests, the keys and the session kept by the worker",
    );
}

/// Scans `text` with a keyboard-wedge scanner into the trip's scan field; answers the result's
/// verdict.
fn wedge_scan(phone: &mut Browser, text: &str) -> String {
    let before = phone.eval("document.querySelector('#scan-result').dataset.seq || '0'");
    phone.tap("#scan-input");
    phone.keyboard_scan(text);
    phone.wait_for(
        &format!(
            "(document.querySelector('#scan-result').dataset.seq || '0') !== {before} && document.querySelector('#scan-result').dataset.text === {}",
            js(text)
        ),
        "the scan's result",
    );
    verdict(phone)
}

fn verdict(phone: &mut Browser) -> String {
    phone
        .eval("document.querySelector('#scan-result').dataset.verdict")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Types an item code by hand and presses OK; answers the verdict.
fn typed_scan(phone: &mut Browser, code: &str) -> String {
    let before = phone.eval("document.querySelector('#scan-result').dataset.seq || '0'");
    phone.type_into("#scan-input", code);
    phone.tap("#scan-submit");
    phone.wait_for(
        &format!("(document.querySelector('#scan-result').dataset.seq || '0') !== {before}"),
        "the typed code's result",
    );
    verdict(phone)
}

/// Taps the action button `id` and answers the queue id of the event it signed (#trip-last).
fn sign(phone: &mut Browser, id: &str) -> String {
    let before = phone.eval("document.querySelector('#trip-last')?.dataset.id || ''");
    phone.tap(id);
    phone.wait_for(
        &format!(
            "!!document.querySelector('#trip-last') && document.querySelector('#trip-last').dataset.id !== {before}"
        ),
        &format!("the event signed by {id}"),
    );
    phone
        .eval("document.querySelector('#trip-last').dataset.id")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The phone's queue, in signing order: `{id, status, type, index, refusal, items, nonce}`.
fn queue_records(phone: &mut Browser) -> Vec<Value> {
    phone
        .idb_records("hwtrace-queue", "events")
        .into_iter()
        .map(|r| {
            let v = &r["value"];
            json!({"id": v["id"], "status": v["status"], "type": v["type"], "index": v["index"],
                   "refusal": v["refusal"], "items": v["items"], "nonce": v["nonce"], "key_id": v["key_id"]})
        })
        .collect()
}

/// The log entry at `index`.
fn entry(app: &TestApp, index: u64) -> Value {
    block_on(app.entries(index, index + 1)).remove(0)
}

/// The event a log entry holds (its envelope's payload).
fn payload(entry: &Value) -> Value {
    let b64 = entry["envelope"]["payload"].as_str().expect("an envelope");
    let bytes = data_encoding::BASE64.decode(b64.as_bytes()).expect("base64");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// With `HWTRACE_SCREENSHOTS` set: the phone's screen, and the same page at the desktop's size,
/// each scrolled to the top, or to `at` (a selector) when given.
fn shoot_both(b: &mut Browser, name: &str, at: Option<&str>) {
    if std::env::var_os("HWTRACE_SCREENSHOTS").is_none() {
        return;
    }
    let scroll = match at {
        Some(sel) => format!(
            "document.querySelector({}).scrollIntoView({{ block: 'start' }}); scrollBy(0, -8)",
            js(sel)
        ),
        None => "scrollTo(0, 0)".to_owned(),
    };
    let settle = "new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))";
    b.eval(&scroll);
    b.eval(settle);
    shoot(b, &format!("{name}-phone"));
    b.desktop(1366, 900);
    b.eval(&scroll);
    b.eval(settle);
    shoot(b, &format!("{name}-desktop"));
    let (w, h) = PHONE_VIEWPORT;
    b.send(
        "Emulation.setDeviceMetricsOverride",
        json!({"width": w, "height": h, "deviceScaleFactor": 3, "mobile": true}),
    );
    b.send(
        "Emulation.setTouchEmulationEnabled",
        json!({"enabled": true, "maxTouchPoints": 5}),
    );
}

/// Story 1: a driver's phone enrols (the carrier's administrator approves it from his own
/// session, the key ID the same on both screens), the driver chooses the vehicle once, opens
/// the day's trip, scans the drum's label with the phone's camera (the fake camera plays a
/// video of the label's QR picture; the vendored decoder reads it, as no BarcodeDetector is
/// there), sees it genuine and on the manifest, and accepts custody with one tap. The accept
/// reaches the log, signed by the phone's own key, with the scanned label, and the drum is in
/// transit with the carrier.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drivers_phone_enrols_and_accepts_a_drum_scanned_through_the_camera() {
    let app = common::spawn_app().await;
    let cast = cast(&app).await;
    let (drum, qr_text) = label(&cast, "shop").await;
    let number = released(&cast, &[&drum], false).await;
    let png = qr_png(&cast["shop"].client, &drum).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let video = media::label_video(dir.path(), &png);
    let phone = Launch::phone().camera(&video).grant_camera(&app.base);
    let carrier = cast["carrier"].uscc.clone();
    with_browsers(app, [phone, Launch::desktop()], move |app, [phone, admin]| {
        log_in(phone, &app.base, "driver-li", "enterprise_clerk", "trips");
        let key_id = request_enrolment(phone, "li-phone");
        log_in(admin, &app.base, "carrier-admin", "enterprise_admin", "trips");
        approve_in_browser(admin, &key_id);
        wait_enrolled(phone, &key_id);

        phone.open(&format!("{}/#/trips", app.base), "trips");
        assert_eq!(
            phone.count("#vehicle-list button[data-plate]"),
            1,
            "the carrier's one vehicle to choose"
        );
        shoot_both(phone, "trips-vehicle", None);
        open_trip(phone, &app.base, PLATE, &number);
        // The choice is remembered: the list opens on the vehicle's trips.
        phone.open(&format!("{}/#/trips", app.base), "trips");
        assert_eq!(phone.text("#trips-plate"), json!(PLATE));
        assert_eq!(phone.count("#vehicle-list"), 0);
        assert_eq!(
            phone.eval(&format!(
                "document.querySelector('a.trip-card[data-number={}] [data-step=accept]')?.dataset.count",
                js(&number)
            )),
            json!("1"),
            "the card says one item waits to be accepted"
        );
        shoot_both(phone, "trips", None);
        phone.tap(&format!("a.trip-card[data-number={}]", js(&number)));
        phone.wait_ready("trip");
        assert_eq!(
            phone.eval(&format!(
                "document.querySelector('#trip-items li[data-code={}]').dataset.step",
                js(&drum)
            )),
            json!("accept")
        );

        phone.tap("#scan-camera");
        phone.wait_for_within(
            "document.querySelector('#scan-result')?.dataset.source === 'camera'",
            "the camera to read the label",
            SCAN_DEADLINE,
        );
        assert_eq!(
            phone.eval("document.querySelector('#scan-frame').dataset.decoder"),
            json!("jsqr")
        );
        assert_eq!(
            phone.eval("document.querySelector('#scan-result').dataset.text"),
            json!(qr_text)
        );
        assert_eq!(verdict(phone), "genuine");
        assert_eq!(
            phone.eval("document.querySelector('#scan-result').dataset.code"),
            json!(drum)
        );
        let shown = phone.text("#scan-result .verdict");
        assert!(shown.as_str().is_some_and(has_cjk), "the verdict in Chinese: {shown}");
        assert_eq!(phone.count(&format!("#basket-list li[data-code={}]", js(&drum))), 1);
        shoot_both(phone, "scan-genuine", Some(".trip-work"));
        phone.tap("#scan-camera-stop");
        assert_eq!(phone.eval("document.querySelector('#scan-frame').hidden"), json!(true));

        assert_eq!(phone.text("#act-accept").as_str().map(|s| s.contains('1')), Some(true));
        let id = sign(phone, "#act-accept");
        phone.wait_for(
            "document.querySelector('#trip-last')?.dataset.status === 'logged'",
            "the accept logged",
        );
        let index: u64 = phone
            .eval("document.querySelector('#trip-last').dataset.index")
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("the entry's index");
        assert_eq!(
            phone.eval(&format!(
                "document.querySelector('#trip-items li[data-code={}]').dataset.step",
                js(&drum)
            )),
            json!("arrive"),
            "the drum, now the carrier's, next goes to the gate"
        );

        let logged = entry(app, index);
        assert_eq!(logged["kind"], json!("event"));
        assert_eq!(
            logged["envelope"]["signatures"][0]["keyid"],
            json!(key_id),
            "signed by the phone's key"
        );
        let event = payload(&logged);
        assert_eq!(event["type"], json!("accept"));
        assert_eq!(event["actor"], json!(carrier));
        assert_eq!(event["device"], json!("li-phone"));
        assert_eq!(event["items"], json!([drum]));
        assert_eq!(event["manifest"], json!(number));
        let b32 = qr_text.rsplit('/').next().unwrap();
        assert_eq!(
            event["scanned_labels"],
            json!([b32]),
            "the scanned label goes with the accept"
        );
        let records = queue_records(phone);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0]["id"].to_string(), id);
        assert_eq!(records[0]["status"], json!("logged"));
        assert_eq!(records[0]["index"], json!(index));
        block_on(stands(&cast["carrier"].client, &drum, "in_transit", &carrier));
    })
    .await;
    drop(dir);
}

/// Story 2: the phone that took a drum over goes offline in the mountains. Reloaded, the app
/// still opens (the service worker serves it and the day's trip). The driver scans three more
/// drums with the keyboard-wedge scanner and accepts them, types a fourth drum's code and
/// accepts it too, though another phone of the carrier already took that one, and hands the
/// three over to the relay carrier's driver: a release signed on this phone, an accept signed
/// on the second phone (offline as well) after it scanned them. All of it waits in the phones'
/// queues. Back online, the first phone's queue goes as one batch in signing order: the three
/// events reach the log, each shown with its index, and the accept of the drum taken by the
/// other phone is shown refused with the service's Chinese reason; then the second phone's
/// accept reaches the log. Every entry is signed by the key of the phone that made it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_phone_reloads_hands_over_to_a_second_phone_and_syncs_with_one_refusal() {
    let app = common::spawn_app().await;
    let cast = cast(&app).await;
    let mut drums = Vec::new();
    for _ in 0..4 {
        drums.push(label(&cast, "shop").await);
    }
    let codes: Vec<String> = drums.iter().map(|(c, _)| c.clone()).collect();
    let refs: Vec<&str> = codes.iter().map(String::as_str).collect();
    let number = released(&cast, &refs, true).await;
    let (carrier, relay) = (cast["carrier"].uscc.clone(), cast["relay"].uscc.clone());
    with_browsers(app, [Launch::phone(), Launch::phone()], move |app, [first, second]| {
        log_in(first, &app.base, "driver-li", "enterprise_clerk", "trips");
        let first_key = enrolled(first, app, "li-phone", "carrier-admin");
        open_trip(first, &app.base, PLATE, &number);
        ready_for_offline(first, &app.base, &number);
        log_in(second, &app.base, "driver-wang", "enterprise_clerk", "trips");
        let second_key = enrolled(second, app, "wang-phone", "relay-admin");
        open_trip(second, &app.base, RELAY_PLATE, &number);
        ready_for_offline(second, &app.base, &number);

        // No network, and the app is reloaded: it opens, with the trip as kept.
        first.set_offline(true);
        first.reload("trip");
        assert_eq!(first.eval("navigator.onLine"), json!(false));
        assert_eq!(first.count("#trip-items li[data-code]"), 4, "the trip's items, offline");
        assert_eq!(first.eval("document.querySelector('#net-status').dataset.online"), json!("no"));

        // Meanwhile the carrier's other device takes the fourth drum over.
        let taken = codes[3].to_owned();
        block_on(accepted(
            &cast.admin,
            &cast["carrier"].device,
            "accept",
            json!({"items": [taken], "manifest": number}),
        ));

        for (code, qr) in &drums[..3] {
            assert_eq!(wedge_scan(first, qr), "genuine", "{code}");
        }
        assert_eq!(first.text("#act-accept").as_str().map(|s| s.contains('3')), Some(true));
        sign(first, "#act-accept");
        assert_eq!(typed_scan(first, &taken), "typed");
        sign(first, "#act-accept");
        for (_, qr) in &drums[..3] {
            wedge_scan(first, qr);
        }
        assert_eq!(
            first.eval("document.querySelector('#act-handover').dataset.count"),
            json!("3"),
            "the three drums scanned at the hand-over"
        );
        shoot_both(first, "trip", None);
        sign(first, "#act-handover");
        let queued = queue_records(first);
        assert_eq!(
            queued.iter().map(|r| (r["type"].as_str().unwrap().to_owned(), r["status"].as_str().unwrap().to_owned())).collect::<Vec<_>>(),
            [("accept", "queued"), ("accept", "queued"), ("release", "queued")].map(|(a, b)| (a.to_owned(), b.to_owned())),
            "three events wait on the first phone"
        );

        // The relay's driver, offline too, scans the three and accepts them.
        second.set_offline(true);
        second.reload("trip");
        for (code, qr) in &drums[..3] {
            assert_eq!(wedge_scan(second, qr), "genuine", "{code}");
        }
        sign(second, "#act-accept");
        assert_eq!(queue_records(second)[0]["status"], json!("queued"));

        // The queue screen, still offline: the header's indicator says so and leads there.
        // (Not `open`: a document loaded anew is not offline at once under DevTools' emulation.)
        assert_eq!(first.eval("document.querySelector('#net-status').dataset.pending"), json!("3"));
        first.tap("#net-status");
        first.wait_ready("queue");
        assert_eq!(first.count("#queue-list li[data-status=queued]"), 3);
        shoot_both(first, "queue-offline", None);

        // Back online: the first phone's queue goes, then the second's.
        first.set_offline(false);
        first.wait_for_within(
            "document.querySelectorAll('#queue-list li[data-status=logged], #queue-list li[data-status=refused]').length === 3",
            "the first phone's queue answered",
            SYNC_DEADLINE,
        );
        second.set_offline(false);
        second.wait_for_within(
            "document.querySelector('#trip-last')?.dataset.status === 'logged'",
            "the second phone's accept logged",
            SYNC_DEADLINE,
        );
        shoot_both(first, "queue", None);

        let records = queue_records(first);
        let statuses: Vec<&str> = records.iter().map(|r| r["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, ["logged", "refused", "logged"], "{records:?}");
        let refused = &records[1];
        assert_eq!(refused["items"], json!([taken]));
        let reason = refused["refusal"]["message_zh"].as_str().expect("the reason in Chinese").to_owned();
        assert!(has_cjk(&reason), "{reason}");
        let row = format!("#queue-list li[data-id='{}']", refused["id"]);
        let shown = first.text(&format!("{row} .queue-badge"));
        assert!(
            shown.as_str().is_some_and(|s| s.contains(&reason)),
            "the refusal shown with its Chinese reason: {shown}"
        );
        for r in [&records[0], &records[2]] {
            let index = r["index"].as_u64().expect("an index");
            let shown = first.text(&format!("#queue-list li[data-id='{}'] .queue-badge", r["id"]));
            assert!(
                shown.as_str().is_some_and(|s| s.contains(&format!("#{index}"))),
                "a logged event shown with its index: {shown}"
            );
            let logged = entry(app, index);
            assert_eq!(logged["kind"], json!("event"));
            assert_eq!(logged["envelope"]["signatures"][0]["keyid"], json!(first_key));
            let event = payload(&logged);
            assert_eq!(event["nonce"], r["nonce"]);
            assert_eq!(event["items"], json!(codes[..3]));
        }
        assert_eq!(payload(&entry(app, records[2]["index"].as_u64().unwrap()))["to"], json!(relay));
        let second_records = queue_records(second);
        assert_eq!(second_records.len(), 1);
        let index = second_records[0]["index"].as_u64().expect("the second phone's accept logged");
        let logged = entry(app, index);
        assert_eq!(logged["envelope"]["signatures"][0]["keyid"], json!(second_key));
        let event = payload(&logged);
        assert_eq!((event["type"].clone(), event["actor"].clone()), (json!("accept"), json!(relay)));
        assert_eq!(event["vehicle_plate"], json!(RELAY_PLATE), "the relay's own vehicle goes with its accept");

        for code in &codes[..3] {
            block_on(stands(&cast["relay"].client, code, "in_transit", &relay));
        }
        block_on(stands(&cast["carrier"].client, &taken, "in_transit", &carrier));
    })
    .await;
}

/// Story 3: with the network off, a label whose QR text has one character changed is shown as
/// forged, in red, on the trip page (the phone checks the signature against the keys it keeps);
/// the genuine label next to it is shown genuine. Nothing forged gets into the basket.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_label_turns_red_on_the_phone_with_the_network_off() {
    let app = common::spawn_app().await;
    let cast = cast(&app).await;
    let (drum, qr_text) = label(&cast, "shop").await;
    let number = released(&cast, &[&drum], false).await;
    // One character of the item code's part of the label changed (payload bytes 5–41 are
    // characters 8–66 of the base32).
    let at = qr_text.rfind('/').unwrap() + 1 + 30;
    let original = qr_text.as_bytes()[at] as char;
    let replacement = if original == 'A' { 'B' } else { 'A' };
    let forged = format!("{}{replacement}{}", &qr_text[..at], &qr_text[at + 1..]);
    assert_ne!(forged, qr_text);
    // The service agrees: the changed text is a forged label, the original a genuine one.
    let verified = app.verified(forged.rsplit('/').next().unwrap()).await;
    assert_eq!(verified["verdict"], json!("forged"), "{verified}");
    assert_eq!(
        app.verified(qr_text.rsplit('/').next().unwrap()).await["verdict"],
        json!("genuine")
    );
    with_browsers(app, [Launch::phone()], move |app, [phone]| {
        log_in(phone, &app.base, "driver-li", "enterprise_clerk", "trips");
        open_trip(phone, &app.base, PLATE, &number);
        ready_for_offline(phone, &app.base, &number);
        phone.set_offline(true);
        phone.reload("trip");

        assert_eq!(wedge_scan(phone, &forged), "forged");
        let colour = phone.eval("getComputedStyle(document.querySelector('#scan-result')).backgroundColor");
        assert_eq!(colour, json!("rgb(176, 42, 55)"), "a forged label is shown red");
        let shown = phone.text("#scan-result .verdict");
        assert!(shown.as_str().is_some_and(|s| s.contains("伪造")), "{shown}");
        assert_eq!(
            phone.count("#basket-list li"),
            0,
            "a forged label never gets into the basket"
        );
        shoot_both(phone, "scan-forged", Some(".trip-work"));

        assert_eq!(wedge_scan(phone, &qr_text), "genuine");
        assert_eq!(phone.count(&format!("#basket-list li[data-code={}]", js(&drum))), 1);
        assert_eq!(phone.eval("navigator.onLine"), json!(false));
    })
    .await;
}
