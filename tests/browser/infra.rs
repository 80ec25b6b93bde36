//! Tests of the browser harness itself, independent of the app's screens: the vendored QR
//! decoder on a label the service renders, a phone's fake camera playing a label video to
//! it, network emulation that also reaches service workers, two phones at once, and the
//! printed label read back from a screenshot.
//!
//! They touch no view of the app (which is being rebuilt): pages of the service's origin are
//! driven with plain JS (`/vendor/qr.js` is a neutral document of that origin), and the
//! service-worker page comes from the test's own site (`site.rs`), never from `web/`.
//! Screen tests follow the same moves through the app's own screens:
//!
//! ```ignore
//! let cast = Cast::on(&app).generator("shop", SHOP).build().await;
//! let (code, qr_text) = infra::label(&cast, "shop").await;
//! let png = infra::qr_png(&cast["shop"].client, &code).await;
//! let dir = tempfile::tempdir().unwrap();
//! let video = media::label_video(dir.path(), &png);
//! let phone = Launch::phone().camera(&video).grant_camera(&app.base);
//! with_browsers(app, [phone], move |app, [phone]| {
//!     phone.open(&format!("{}/#/scan", app.base), "scan");
//!     phone.tap("#scan-camera");
//!     phone.wait_for_within("document.querySelector('#scan-result')?.dataset.text", "a scan", infra::SCAN_DEADLINE);
//!     assert_eq!(phone.eval("document.querySelector('#scan-result').dataset.text"), json!(qr_text));
//! })
//! .await;
//! drop(dir); // the video outlives the browser
//! ```

use std::time::Duration;

use hwtrace::client::generate_fields;
use hwtrace::render::label::LabelSize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::cdp::{js, Browser, Launch, Shot, PHONE_SCALE, PHONE_VIEWPORT};
use super::common::cast::{code_of, Cast};
use super::common::{self, Client, PASSWORD};
use super::media;
use super::site::TestSite;
use super::with_browsers;

const SHOP: &str = "91500110MA5U8F4X2N";

/// Upper bound for a fake camera to deliver a frame the decoder reads (it starts in well
/// under a second; the machine is shared).
pub const SCAN_DEADLINE: Duration = Duration::from_secs(15);

/// A generator with its administrator `shop-admin` and its phone.
async fn shop(app: &common::TestApp) -> Cast {
    Cast::on(app).generator("shop", SHOP).build().await
}

/// `party` registers a 200 L drum; answers its code and its label's QR text.
pub async fn label(cast: &Cast, party: &str) -> (String, String) {
    let receipt = cast
        .accepted(
            party,
            "generate",
            generate_fields("900-249-08", 185_500, "liquid", &["T", "I"], 200),
        )
        .await;
    let qr_text = receipt["label"]["qr_text"]
        .as_str()
        .expect("the label's QR text")
        .to_owned();
    (code_of(&receipt), qr_text)
}

/// The service's PNG of an item's QR code, as `client` may read it.
pub async fn qr_png(client: &Client, code: &str) -> Vec<u8> {
    let resp = client
        .request(reqwest::Method::GET, &format!("/api/v1/items/{code}/qr.png"))
        .send()
        .await
        .expect("the QR picture");
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    resp.bytes().await.expect("PNG bytes").to_vec()
}

/// A document of the service's origin that runs none of the app: the decoder module's own
/// text. Pages of the origin can import modules, fetch with the session cookie, use
/// IndexedDB and the camera (127.0.0.1 is a secure context).
pub fn neutral_page(b: &mut Browser, base: &str) {
    b.goto(&format!("{base}/vendor/qr.js"));
}

/// Logs `username` in with the API from the page, so that the page's later requests carry
/// the session cookie.
pub fn log_in_from_page(b: &mut Browser, username: &str) {
    let status = b.eval(&format!(
        "fetch('/api/v1/session', {{ method: 'POST', headers: {{ 'Content-Type': 'application/json' }},
            body: JSON.stringify({{ username: {}, password: {} }}) }}).then((r) => r.status)",
        js(username),
        js(PASSWORD)
    ));
    assert_eq!(status, json!(200), "{username} could not log in from the page");
}

/// The vendored jsQR is the file npm serves for jsqr 1.4.0, unmodified: its SHA-256 is the
/// one the vendor README records, and its licence file is there.
#[test]
fn vendored_jsqr_is_the_published_file_with_its_licence() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/vendor");
    let jsqr = std::fs::read(dir.join("jsQR.js")).expect("web/vendor/jsQR.js");
    let sum = hex::encode(Sha256::digest(&jsqr));
    let readme = std::fs::read_to_string(dir.join("README.md")).expect("web/vendor/README.md");
    assert!(
        readme.contains(&sum),
        "jsQR.js (sha256 {sum}) is not the file the vendor README records"
    );
    assert!(
        readme.contains("jsqr@1.4.0"),
        "the README does not name the package and version"
    );
    let licence = std::fs::read_to_string(dir.join("LICENSE-jsqr.txt")).expect("web/vendor/LICENSE-jsqr.txt");
    assert!(licence.contains("Apache License") && licence.contains("Version 2.0"));
}

/// The service serves the vendored decoder as JavaScript (a module script of another type
/// is refused by the browser) and its licence as text; in a page, `/vendor/qr.js` decodes
/// the label's QR picture the service renders (fetched with the session, drawn on a canvas)
/// to the label's QR text, and finds nothing on a blank canvas. A keyboard-wedge scanner's
/// keystrokes bring the same text into a field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vendored_qr_decoder_reads_the_label_qr_png_the_service_renders() {
    let app = common::spawn_app().await;
    let cast = shop(&app).await;
    let (code, qr_text) = label(&cast, "shop").await;
    for (path, wanted) in [
        ("/vendor/qr.js", "text/javascript"),
        ("/vendor/jsQR.js", "text/javascript"),
        ("/vendor/LICENSE-jsqr.txt", "text/plain"),
    ] {
        let resp = reqwest::get(format!("{}{path}", app.base)).await.expect(path);
        assert_eq!(resp.status(), reqwest::StatusCode::OK, "{path}");
        let ct = resp.headers()["content-type"]
            .to_str()
            .expect("a content type")
            .to_owned();
        assert!(ct.starts_with(wanted), "{path} is served as {ct}, not {wanted}");
    }

    with_browsers(app, [Launch::desktop()], move |app, [b]| {
        neutral_page(b, &app.base);
        log_in_from_page(b, "shop-admin");
        let found = b.eval(&format!(
            r#"(async () => {{
                const {{ decode }} = await import('/vendor/qr.js');
                const res = await fetch({url});
                if (!res.ok) return {{ err: 'HTTP ' + res.status }};
                const bitmap = await createImageBitmap(await res.blob());
                const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
                const ctx = canvas.getContext('2d');
                ctx.drawImage(bitmap, 0, 0);
                const text = decode(ctx.getImageData(0, 0, bitmap.width, bitmap.height));
                const blank = new OffscreenCanvas(200, 200).getContext('2d');
                blank.fillStyle = '#fff';
                blank.fillRect(0, 0, 200, 200);
                return {{ text, blank: decode(blank.getImageData(0, 0, 200, 200)), global: typeof self.jsQR }};
            }})()"#,
            url = js(&format!("/api/v1/items/{code}/qr.png"))
        ));
        assert_eq!(
            found["text"],
            json!(qr_text),
            "the vendored decoder misread the label: {found}"
        );
        assert_eq!(
            found["blank"],
            Value::Null,
            "a blank canvas decoded to something: {found}"
        );
        assert_eq!(found["global"], json!("function"));

        // The same text from a keyboard-wedge scanner: key by key into a field, then Enter.
        b.eval(
            "(() => { const i = document.createElement('input'); i.id = 'wedge'; document.body.prepend(i);
                window.__keys = 0; window.__entered = null;
                i.addEventListener('keydown', (e) => { __keys += 1; if (e.key === 'Enter') __entered = i.value; }); })()",
        );
        b.click("#wedge");
        b.keyboard_scan(&qr_text);
        b.wait_for("window.__entered !== null", "Enter after the scanned text");
        assert_eq!(b.eval("window.__entered"), json!(qr_text));
        assert_eq!(b.eval("window.__keys"), json!(qr_text.len() + 1), "not one keydown per character");
    })
    .await;
}

/// A phone whose camera films a printed label: the page gets 640×480 frames from Chromium's
/// fake capture device playing the label video, and the vendored decoder reads the label's
/// QR text from them. The phone is a phone (390×844 at 3×, touch, a mobile user agent), the
/// camera permission is granted up front, and a tap reaches the page as a touch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_camera_feeds_the_label_video_to_the_vendored_decoder() {
    let app = common::spawn_app().await;
    let cast = shop(&app).await;
    let (code, qr_text) = label(&cast, "shop").await;
    let png = qr_png(&cast["shop"].client, &code).await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let video = media::label_video(dir.path(), &png);
    // The video itself: 10 frames of 640×480 I420, and rqrr reads the label in its pictures.
    let size = std::fs::metadata(&video).expect("the video").len();
    let frame_bytes = 640 * 480 * 3 / 2 + "FRAME\n".len() as u64;
    let header = std::fs::read(&video).expect("the video")[..64].to_vec();
    assert!(
        header.starts_with(b"YUV4MPEG2 W640 H480 F10:1 "),
        "{:?}",
        String::from_utf8_lossy(&header)
    );
    let header_len = header.iter().position(|&c| c == b'\n').expect("a header line") as u64 + 1;
    assert_eq!(size, header_len + 10 * frame_bytes);
    for frame in [0, 9] {
        let picture = media::png_of_luma(&media::y4m_frame_luma(&video, frame));
        assert_eq!(
            media::decode_qr(&picture),
            [qr_text.as_str()],
            "frame {frame} of the video"
        );
    }

    let phone = Launch::phone().camera(&video).grant_camera(&app.base);
    with_browsers(app, [phone], move |app, [b]| {
        neutral_page(b, &app.base);
        // A page for phones says so (the app's index.html does); this text document does not.
        b.eval(
            "(() => { const m = document.createElement('meta'); m.name = 'viewport';
                m.content = 'width=device-width, initial-scale=1'; document.head.append(m); })()",
        );
        b.wait_for(&format!("innerWidth === {}", PHONE_VIEWPORT.0), "the page laid out for the phone");
        let device = b.eval(
            "({ w: innerWidth, h: innerHeight, sw: screen.width, sh: screen.height, dpr: devicePixelRatio, touch: navigator.maxTouchPoints,
                coarse: matchMedia('(pointer: coarse)').matches, ua: navigator.userAgent,
                mobile: navigator.userAgentData.mobile })",
        );
        assert_eq!(device["w"], json!(PHONE_VIEWPORT.0), "{device}");
        assert_eq!(device["h"], json!(PHONE_VIEWPORT.1), "{device}");
        assert_eq!(device["sw"], json!(PHONE_VIEWPORT.0), "{device}");
        assert_eq!(device["sh"], json!(PHONE_VIEWPORT.1), "{device}");
        assert_eq!(device["dpr"], json!(PHONE_SCALE), "{device}");
        assert_eq!(device["touch"], json!(5), "{device}");
        assert_eq!(device["coarse"], json!(true), "{device}");
        assert_eq!(device["mobile"], json!(true), "{device}");
        assert!(device["ua"].as_str().is_some_and(|ua| ua.contains("Android") && ua.contains("Mobile")), "{device}");

        // Granted before the page asks.
        assert_eq!(
            b.eval("navigator.permissions.query({ name: 'camera' }).then((p) => p.state)"),
            json!("granted")
        );

        // What a scan screen does: open the back camera, draw frames, decode each.
        b.eval(
            r#"(async () => {
                const { decode } = await import('/vendor/qr.js');
                const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
                const video = document.createElement('video');
                video.muted = true;
                video.playsInline = true;
                video.srcObject = stream;
                await video.play();
                const canvas = document.createElement('canvas');
                const ctx = canvas.getContext('2d', { willReadFrequently: true });
                window.__scan = { frames: 0 };
                const tick = () => {
                    if (video.videoWidth) {
                        canvas.width = video.videoWidth;
                        canvas.height = video.videoHeight;
                        ctx.drawImage(video, 0, 0);
                        window.__scan.frames += 1;
                        window.__scan.size = [canvas.width, canvas.height];
                        const text = decode(ctx.getImageData(0, 0, canvas.width, canvas.height));
                        if (text) {
                            window.__scan.text = text;
                            stream.getTracks().forEach((t) => t.stop());
                            return;
                        }
                    }
                    setTimeout(tick, 50);
                };
                tick();
            })()"#,
        );
        b.wait_for_within("window.__scan.text", "the camera to show a readable label", SCAN_DEADLINE);
        let scan = b.eval("window.__scan");
        assert_eq!(scan["text"], json!(qr_text), "the camera path read another text: {scan}");
        assert_eq!(scan["size"], json!([640, 480]), "{scan}");

        // A tap is a touch, then a click.
        b.eval(
            "(() => { const btn = document.createElement('button'); btn.id = 'probe'; btn.textContent = 'tap';
                btn.style = 'position:fixed;left:100px;top:300px;width:150px;height:60px';
                window.__events = [];
                for (const t of ['touchstart', 'touchend', 'click'])
                    btn.addEventListener(t, (e) => __events.push(t + (e.pointerType ? ':' + e.pointerType : '')));
                document.body.append(btn); })()",
        );
        b.tap("#probe");
        b.wait_for("window.__events.includes('click:touch')", "the tap's click");
        assert_eq!(b.eval("window.__events"), json!(["touchstart", "touchend", "click:touch"]));
    })
    .await;
    drop(dir);
}

/// A page served by the test site, controlled by a service worker that caches the page
/// itself and fetches `/data` from the network (answering 503 itself when that fails).
const SW_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>offline probe</title></head>
<body><h1 id="marker">served</h1>
<script>
  navigator.serviceWorker.register('/sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then(() => { document.body.dataset.sw = 'ready'; });
</script></body></html>"#;

const SW_SCRIPT: &str = r#"
self.addEventListener('install', (event) => {
  event.waitUntil(caches.open('shell').then((c) => c.add('/page.html')).then(() => self.skipWaiting()));
});
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  const path = new URL(event.request.url).pathname;
  if (path === '/page.html') {
    event.respondWith(caches.match('/page.html'));
  } else if (path === '/data') {
    event.respondWith(fetch(event.request).catch((e) => new Response('worker: ' + e, { status: 503 })));
  }
  // Anything else goes to the network as if there were no worker.
});
"#;

/// What the page gets for `fetch(path)`: `{status, body}`, or `{error}` if it rejected.
fn page_fetch(b: &mut Browser, path: &str) -> Value {
    b.eval(&format!(
        "fetch({}).then(async (r) => ({{ status: r.status, body: await r.text() }}), (e) => ({{ error: String(e) }}))",
        js(path)
    ))
}

/// Offline emulation reaches the service worker: after `set_offline(true)` the page's own
/// fetches fail, the worker's fetches fail too (it answers its own 503: emulation on the page
/// alone would have let them through), a reload is served by the worker's cache without a
/// request reaching the server, a worker stopped and started again is still offline, and a
/// page nobody cached shows the browser's network error. Back online, the same fetch
/// reaches the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_reaches_the_service_worker_and_a_reload_comes_from_its_cache() {
    let app = common::spawn_app().await;
    let site = TestSite::start(&[
        ("/page.html", "text/html; charset=utf-8", SW_PAGE),
        ("/sw.js", "text/javascript", SW_SCRIPT),
        ("/data", "text/plain", "from the server"),
        ("/elsewhere.html", "text/html", "<p>never cached</p>"),
    ])
    .await;
    with_browsers(app, [Launch::phone()], move |_, [b]| {
        let page = format!("{}/page.html", site.base);
        b.goto(&page);
        b.wait_for(
            "document.body.dataset.sw === 'ready' && !!navigator.serviceWorker.controller",
            "the service worker to control the page",
        );
        assert!(b.worker_count() >= 1, "no service worker attached");
        assert_eq!(
            page_fetch(b, "/data"),
            json!({"status": 200, "body": "from the server"})
        );

        let mark = site.requests().len();
        b.set_offline(true);
        assert!(b.is_offline());
        assert_eq!(b.eval("navigator.onLine"), json!(false));
        let through_worker = page_fetch(b, "/data");
        assert_eq!(
            through_worker["status"],
            json!(503),
            "the worker's fetch was not cut: {through_worker}"
        );
        assert!(
            through_worker["body"].as_str().is_some_and(|t| t.contains("TypeError")),
            "{through_worker}"
        );
        let past_worker = page_fetch(b, "/elsewhere.html");
        assert!(
            past_worker["error"].as_str().is_some_and(|e| e.contains("TypeError")),
            "{past_worker}"
        );

        b.reload_page();
        assert_eq!(b.text("#marker"), json!("served"));
        assert_eq!(b.eval("!!navigator.serviceWorker.controller"), json!(true));

        // A worker the phone stopped starts again for the next fetch, still offline.
        b.stop_service_workers();
        let restarted = page_fetch(b, "/data");
        assert_eq!(
            restarted["status"],
            json!(503),
            "the restarted worker reached the network: {restarted}"
        );

        let err = b
            .navigate(&format!("{}/elsewhere.html", site.base))
            .expect_err("a page nobody cached loaded offline");
        assert!(err.contains("ERR_INTERNET_DISCONNECTED"), "{err}");
        b.goto(&page);
        assert_eq!(b.text("#marker"), json!("served"));

        // Nothing of the page's or the worker's reached the server; only the browser's own
        // update check of the worker script may have (see cdp.rs).
        let seen: Vec<String> = site.requests()[mark..].to_vec();
        assert!(
            seen.iter().all(|r| r == "GET /sw.js"),
            "requests reached the server offline: {seen:?}"
        );

        b.set_offline(false);
        assert_eq!(b.eval("navigator.onLine"), json!(true));
        assert_eq!(
            page_fetch(b, "/data"),
            json!({"status": 200, "body": "from the server"})
        );
        assert_eq!(site.requests().last().map(String::as_str), Some("GET /data"));
    })
    .await;
}

/// Makes a non-extractable Ed25519 key pair in the page and keeps it in IndexedDB under
/// `name`, as the app's device enrolment does.
fn keep_a_key(b: &mut Browser, name: &str) {
    b.eval(&format!(
        r#"(async () => {{
            const pair = await crypto.subtle.generateKey({{ name: 'Ed25519' }}, false, ['sign', 'verify']);
            const db = await new Promise((resolve, reject) => {{
                const req = indexedDB.open('probe', 1);
                req.onupgradeneeded = () => req.result.createObjectStore('keys', {{ keyPath: 'name' }});
                req.onsuccess = () => resolve(req.result);
                req.onerror = () => reject(req.error);
            }});
            await new Promise((resolve, reject) => {{
                const tx = db.transaction('keys', 'readwrite');
                tx.objectStore('keys').put({{ name: {name}, key: pair.privateKey, raw: new Uint8Array([1, 2, 255]), at: new Date(0) }});
                tx.oncomplete = resolve;
                tx.onerror = () => reject(tx.error);
            }});
            db.close();
        }})()"#,
        name = js(name)
    ));
}

/// Two phones run at once, each its own Chromium with its own profile and DevTools port:
/// each keeps its own key in its own IndexedDB (read back through the page), one goes
/// offline while the other stays online, and each takes its own taps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_phones_run_at_once_each_with_its_own_profile() {
    let app = common::spawn_app().await;
    with_browsers(app, [Launch::phone(), Launch::phone()], |app, [first, second]| {
        assert_ne!(first.pid(), second.pid());
        assert_ne!(first.devtools_port(), second.devtools_port());
        assert_ne!(first.profile_dir(), second.profile_dir());

        neutral_page(first, &app.base);
        neutral_page(second, &app.base);
        keep_a_key(first, "first-phone");
        keep_a_key(second, "second-phone");
        for (b, name) in [(&mut *first, "first-phone"), (&mut *second, "second-phone")] {
            assert_eq!(b.idb_databases(), [json!({"name": "probe", "version": 1})]);
            let records = b.idb_records("probe", "keys");
            assert_eq!(
                records,
                [json!({
                    "key": name,
                    "value": {
                        "name": name,
                        "key": {"$cryptoKey": {"type": "private", "algorithm": "Ed25519", "extractable": false, "usages": ["sign"]}},
                        "raw": {"$bytes": "AQL/"},
                        "at": {"$date": "1970-01-01T00:00:00.000Z"},
                    },
                })],
                "{name} sees other keys than its own"
            );
        }

        first.set_offline(true);
        let cut = page_fetch(first, "/api/v1/catalogue?q=HW08");
        assert!(cut.get("error").is_some(), "the offline phone reached the service: {cut}");
        let reached = page_fetch(second, "/api/v1/catalogue?q=HW08");
        assert_eq!(reached["status"], json!(200), "the other phone lost its network too: {reached}");
        first.set_offline(false);

        for b in [&mut *first, &mut *second] {
            b.eval(
                "(() => { const btn = document.createElement('button'); btn.id = 'probe'; btn.textContent = 'tap';
                    btn.style = 'position:fixed;left:20px;top:500px;width:200px;height:80px';
                    window.__taps = 0; btn.addEventListener('click', () => { __taps += 1; });
                    document.body.append(btn); })()",
            );
        }
        first.tap("#probe");
        first.tap("#probe");
        second.tap("#probe");
        first.wait_for("window.__taps === 2", "two taps on the first phone");
        second.wait_for("window.__taps === 1", "one tap on the second phone");
    })
    .await;
}

/// The label as printed: `window.print()` on the label page is recorded (in the page and in
/// an iframe), the page rendered with print media decodes (rqrr) to the label's QR text, so
/// does a screenshot of the QR element alone, a screenshot is saved where asked, and
/// Chromium's PDF of the label is one page of the label's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn printed_label_decodes_to_the_label_text() {
    let app = common::spawn_app().await;
    let cast = shop(&app).await;
    let (code, qr_text) = label(&cast, "shop").await;
    with_browsers(app, [Launch::desktop()], move |app, [b]| {
        neutral_page(b, &app.base);
        log_in_from_page(b, "shop-admin");
        b.capture_prints();
        let label_url = format!("{}/api/v1/items/{code}/label", app.base);
        b.goto(&label_url);
        assert_eq!(b.print_requests(), Vec::<String>::new());
        b.eval("window.print()");
        assert_eq!(b.print_requests(), [label_url.as_str()]);

        let printed = b.printed_png(2.0);
        assert_eq!(
            media::decode_qr(&printed),
            [qr_text.as_str()],
            "the printed label does not read back"
        );
        let qr_only = b.screenshot(Shot::Element(".qr svg"), 2.0);
        assert_eq!(media::decode_qr(&qr_only), [qr_text.as_str()]);

        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("label-{}.png", b.pid()));
        let saved = b.save_screenshot_as(&path, Shot::FullPage);
        assert_eq!(std::fs::read(&path).expect("the saved screenshot"), saved);
        assert!(saved.starts_with(b"\x89PNG\r\n\x1a\n"));
        let _ = std::fs::remove_file(&path);

        let pdf = b.print_pdf();
        assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
        let text = String::from_utf8_lossy(&pdf);
        let pages = text.matches("/Type /Page\n").count() + text.matches("/Type /Page/").count();
        assert_eq!(pages, 1, "the label prints on {pages} pages");
        // A 200 L drum has the 150 mm label; the page is its size (in points, to a pixel).
        let side_mm = LabelSize::for_volume_l(200).side_mm();
        let media_box: Vec<f64> = text
            .split("/MediaBox [")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .expect("a MediaBox")
            .split_whitespace()
            .map(|n| n.parse().expect("a number"))
            .collect();
        let side_pt = f64::from(side_mm) * 72.0 / 25.4;
        assert!(
            media_box.len() == 4 && (media_box[2] - side_pt).abs() < 1.0 && (media_box[3] - side_pt).abs() < 1.0,
            "the PDF page {media_box:?} is not the {side_mm} mm label"
        );

        // A label printed from an iframe (how a screen can print without leaving itself).
        neutral_page(b, &app.base);
        b.eval(&format!(
            "new Promise((resolve) => {{ const f = document.createElement('iframe'); f.src = {url};
                f.onload = resolve; document.body.append(f); }})",
            url = js(&label_url)
        ));
        b.eval("document.querySelector('iframe').contentWindow.print()");
        assert_eq!(b.print_requests(), [label_url]);
    })
    .await;
}

/// Regression: a dropped browser was sent `Browser.close` with the command id `u64::MAX`,
/// which Chromium refuses (ids must fit 32 bits), so it never closed: every browser test
/// waited five seconds per browser before killing it.
#[test]
fn browser_closes_when_asked_instead_of_being_killed_after_five_seconds() {
    let b = Browser::launch();
    assert!(b.close(), "Chromium did not exit when asked to close");
}
