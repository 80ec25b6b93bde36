//! A small Chrome DevTools Protocol client for the browser tests: it starts Debian's headless
//! Chromium with a fresh profile, talks CDP over one WebSocket (flattened sessions), and offers
//! the page operations the tests need. Every wait has a deadline, and running into it is a
//! test failure that shows where the page was; nothing here ever passes by timing out.
//!
//! What a screen test can ask for (each browser is its own Chromium process, with its own
//! profile directory and DevTools port, so several run side by side):
//!
//! - **A device.** [`Launch::desktop`] (1366×900) or [`Launch::phone`] (390×844 CSS px at 3×,
//!   `mobile`, touch with `(pointer: coarse)`, an Android Chrome user agent); [`Browser::launch`]
//!   is the desktop.
//! - **A camera.** [`Launch::camera`] plays a Y4M file (`media::label_video`) as the only
//!   camera and answers every permission prompt; [`Launch::grant_camera`] grants the origin
//!   the camera permission up front (`navigator.permissions` says `granted`).
//! - **No network.** [`Browser::set_offline`] emulates a lost connection for the page *and*
//!   for every service worker (and shared worker) of the browser, including a worker started
//!   or restarted later; [`Browser::stop_service_workers`] stops them as a phone does to save
//!   power. (A starting worker waits, paused, until this client next talks to Chromium, which
//!   a test does all the time: any `eval`, `wait_for`, ...; a worker's errors count as the
//!   page's.) One thing escapes: the browser's own update check of a service worker's script
//!   (about two seconds after a navigation) is fetched by the browser process, which DevTools
//!   emulation does not reach, so a server may still see `GET /sw.js` while "offline".
//! - **Hands.** [`Browser::click`] (mouse), [`Browser::tap`] (a touch: touchstart, touchend,
//!   then the click a phone makes of it), [`Browser::type_into`], [`Browser::select`],
//!   [`Browser::keyboard_scan`] (a USB scanner in keyboard mode: key by key, then Enter).
//! - **Eyes.** [`Browser::screenshot`] of the viewport, the full page or one element, at any
//!   scale; [`Browser::save_screenshot_as`] writes it to a path; [`Browser::idb_records`] reads
//!   an IndexedDB object store through the page (CryptoKeys and bytes made JSON-safe).
//! - **Downloads.** [`Browser::download`] clicks a download link and answers the saved file.
//! - **A printer.** [`Browser::capture_prints`] makes `window.print()` (in any frame) record
//!   the printed document instead of opening a dialog; [`Browser::printed_png`] renders the
//!   page with print media (as the printer gets it) to a PNG whose QR codes
//!   `media::decode_qr` reads; [`Browser::print_pdf`] answers Chromium's PDF of it.
//! - **The page's policy.** Every document of the page (frames included) reports each
//!   Content-Security-Policy violation (`securitypolicyviolation`) to this client; a violation
//!   fails the test as a JS error does ([`Browser::assert_no_js_errors`], which every story
//!   runs at its end), and [`Browser::csp_violations`] takes the ones so far.
//! - **Patience.** [`Browser::wait_for`] (20 s) and [`Browser::wait_for_within`] (any
//!   deadline), [`Browser::wait_ready`] for the app's `data-ready` hook, [`Browser::goto`] for
//!   a page that is not the app.
//!
//! ```ignore
//! with_browsers(app, [Launch::phone(), Launch::phone()], |app, [driver, next]| {
//!     driver.open(&format!("{}/#/trips", app.base), "trips");
//!     driver.set_offline(true);
//!     driver.reload("trips"); // the app's service worker serves it
//!     driver.tap("#scan-start");
//!     let queued = driver.idb_records("hwtrace", "queue");
//!     next.open(&format!("{}/#/trips", app.base), "trips");
//!     driver.set_offline(false);
//! })
//! .await;
//! ```
//!
//! Why not `Network.setBlockedURLs` for offline: it blocks a controlled page's requests
//! before its service worker sees them, which no real loss of network does.

#![allow(dead_code)] // a harness: some helpers wait for the screen tests that will use them

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, ErrorKind};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tempfile::TempDir;
use tungstenite::{Message, WebSocket};

/// Where Debian installs Chromium (`apt-get install chromium`).
const CHROMIUM: &str = "/usr/bin/chromium";

/// The flags every test browser runs with; the DevTools port and profile are added per launch.
const FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
];

/// The flags of a browser with a fake camera: Chromium's fake capture device (playing the file
/// given with `--use-file-for-fake-video-capture`) and a permission prompt that always allows.
const CAMERA_FLAGS: &[&str] = &["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"];

/// Upper bound for Chromium to print its DevTools address.
const LAUNCH_DEADLINE: Duration = Duration::from_secs(30);
/// Upper bound for one CDP command to be answered.
const COMMAND_DEADLINE: Duration = Duration::from_secs(30);
/// Upper bound for Chromium to exit when asked to close.
const CLOSE_DEADLINE: Duration = Duration::from_secs(5);
/// Upper bound for a page condition to become true (generous: the machine is shared).
pub const WAIT_DEADLINE: Duration = Duration::from_secs(20);
/// Pause between two checks of a page condition.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

/// A desktop's window, in CSS pixels.
pub const DESKTOP_VIEWPORT: (u32, u32) = (1366, 900);
/// A phone's screen, in CSS pixels (held upright).
pub const PHONE_VIEWPORT: (u32, u32) = (390, 844);
/// Device pixels per CSS pixel of the phone.
pub const PHONE_SCALE: u32 = 3;
/// Touch points the phone reports (`navigator.maxTouchPoints`).
const PHONE_TOUCH_POINTS: u32 = 5;

/// The Chromium binary: `/usr/bin/chromium`, or `chromium` found on `PATH`.
fn chromium_binary() -> PathBuf {
    let default = PathBuf::from(CHROMIUM);
    if default.is_file() {
        return default;
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file());
    on_path.unwrap_or_else(|| {
        panic!(
            "Chromium is not installed (no {CHROMIUM} and no `chromium` on PATH); the browser tests need it: \
             apt-get install chromium (CI's .ci/run installs it)"
        )
    })
}

/// The device a browser plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Device {
    /// [`DESKTOP_VIEWPORT`], a mouse, the headless user agent.
    Desktop,
    /// [`PHONE_VIEWPORT`] at [`PHONE_SCALE`], `mobile`, touch, an Android Chrome user agent.
    Phone,
}

/// How to start a browser: the device, and optionally a fake camera and permissions.
#[derive(Clone, Debug)]
pub struct Launch {
    device: Device,
    camera: Option<PathBuf>,
    camera_origins: Vec<String>,
}

impl Launch {
    /// A desktop PC.
    pub fn desktop() -> Launch {
        Launch {
            device: Device::Desktop,
            camera: None,
            camera_origins: Vec::new(),
        }
    }

    /// A phone held in one hand.
    pub fn phone() -> Launch {
        Launch {
            device: Device::Phone,
            ..Launch::desktop()
        }
    }

    /// The browser's only camera plays `y4m` (see `media::label_video`) in a loop, and every
    /// camera prompt is answered "allow".
    pub fn camera(mut self, y4m: &Path) -> Launch {
        assert!(y4m.is_file(), "no camera video at {}", y4m.display());
        self.camera = Some(y4m.to_owned());
        self
    }

    /// Grants `origin` (e.g. the app's base URL) the camera permission before any page asks.
    pub fn grant_camera(mut self, origin: &str) -> Launch {
        self.camera_origins.push(origin.trim_end_matches('/').to_owned());
        self
    }

    /// Starts the browser.
    pub fn launch(&self) -> Browser {
        Browser::start(self)
    }
}

/// A running headless Chromium with one page attached. Dropping it closes the browser (killing
/// it if it does not go) and removes the profile, also when a test panics.
pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    devtools_url: String,
    device: Device,
    session: String,
    next_id: u64,
    /// Answers read while waiting for another one (a command sent while handling an event).
    answers: HashMap<u64, Value>,
    /// Sessions of the service and shared workers the browser runs (attached automatically).
    workers: Vec<String>,
    offline: bool,
    /// Uncaught exceptions, unhandled rejections and `console.error` calls of the page and of
    /// its workers.
    js_errors: Vec<String>,
    /// Content-Security-Policy violations reported by the page's documents ([`CSP_HOOK`]).
    csp_violations: Vec<String>,
    /// Downloads the browser finished since [`Browser::download`] last looked (their guids).
    downloads: Vec<String>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    /// What the user's hands did so far (the clicks a story needs are counted, not guessed).
    gestures: Gestures,
    // Last: removed after the browser is gone.
    profile: TempDir,
}

/// The user's gestures on one browser: clicks and taps (a field focused to type in counts
/// as typing, not as a click), fields typed into, labels scanned by the keyboard-wedge
/// scanner, choices made in a `<select>`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gestures {
    pub clicks: u32,
    pub taps: u32,
    pub typed: u32,
    pub scans: u32,
    pub selects: u32,
}

impl std::fmt::Display for Gestures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} clicks or taps ({} clicks, {} taps), {} fields typed, {} scans, {} choices",
            self.clicks + self.taps,
            self.clicks,
            self.taps,
            self.typed,
            self.scans,
            self.selects
        )
    }
}

impl Browser {
    /// Starts a desktop Chromium ([`Launch::desktop`]).
    pub fn launch() -> Browser {
        Launch::desktop().launch()
    }

    fn start(launch: &Launch) -> Browser {
        let binary = chromium_binary();
        let profile = tempfile::tempdir().expect("temporary Chromium profile");
        let mut cmd = Command::new(&binary);
        cmd.args(FLAGS)
            .arg("--remote-debugging-port=0")
            .arg(format!("--user-data-dir={}", profile.path().display()));
        if let Some(video) = &launch.camera {
            cmd.args(CAMERA_FLAGS)
                .arg(format!("--use-file-for-fake-video-capture={}", video.display()));
        }
        let mut child = cmd
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} ({e}); apt-get install chromium", binary.display()));

        // Read stderr for the DevTools address, then keep draining it (a full pipe would stall
        // Chromium) and remember the last lines for failure messages.
        let stderr = child.stderr.take().expect("piped stderr");
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let (found_tx, found_rx) = mpsc::channel();
        {
            let tail = tail.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(at) = line.find("ws://") {
                        if line.contains("DevTools listening on") {
                            let _ = found_tx.send(line[at..].trim().to_owned());
                        }
                    }
                    let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                    if t.len() == 20 {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            });
        }
        let url = match found_rx.recv_timeout(LAUNCH_DEADLINE) {
            Ok(url) => url,
            Err(_) => {
                let status = child.try_wait().ok().flatten();
                let _ = child.kill();
                let _ = child.wait();
                let lines: Vec<String> = tail.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
                panic!(
                    "Chromium ({}) did not print its DevTools address within {LAUNCH_DEADLINE:?} (exit status {status:?}); \
                     stderr ends with:\n{}",
                    binary.display(),
                    lines.join("\n")
                );
            }
        };

        let ws = connect(&url);
        let mut browser = Browser {
            child,
            ws,
            devtools_url: url,
            device: launch.device,
            session: String::new(),
            next_id: 0,
            answers: HashMap::new(),
            workers: Vec::new(),
            offline: false,
            js_errors: Vec::new(),
            csp_violations: Vec::new(),
            downloads: Vec::new(),
            stderr_tail: tail,
            gestures: Gestures::default(),
            profile,
        };
        // Every service or shared worker the browser starts (or restarts) is attached paused,
        // given the network conditions of the moment, and only then let run (see `event`).
        browser.call(
            None,
            "Target.setAutoAttach",
            json!({
                "autoAttach": true,
                "waitForDebuggerOnStart": true,
                "flatten": true,
                "filter": [{"type": "service_worker"}, {"type": "shared_worker"}, {"exclude": true}],
            }),
        );
        for origin in &launch.camera_origins {
            browser.call(
                None,
                "Browser.grantPermissions",
                json!({"origin": origin, "permissions": ["videoCapture"]}),
            );
        }
        let target = browser.call(None, "Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().expect("targetId").to_owned();
        let attached = browser.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().expect("sessionId").to_owned();
        browser.send("Runtime.enable", json!({}));
        browser.send("Page.enable", json!({}));
        // Every document (and frame) from now on reports its policy violations.
        browser.send("Runtime.addBinding", json!({"name": CSP_BINDING}));
        browser.send("Page.addScriptToEvaluateOnNewDocument", json!({"source": CSP_HOOK}));
        // Network emulation only applies to a session with the Network domain on.
        browser.send("Network.enable", json!({}));
        browser.emulate_device();
        browser
    }

    /// Makes the page a phone held upright: 390×844 CSS pixels, a mobile viewport, touch.
    pub fn phone(&mut self) {
        self.send(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true}),
        );
        self.send(
            "Emulation.setTouchEmulationEnabled",
            json!({"enabled": true, "maxTouchPoints": 5}),
        );
    }

    /// Makes the page a desktop window of `width`×`height`, with a mouse.
    pub fn desktop(&mut self, width: u32, height: u32) {
        self.send("Emulation.setTouchEmulationEnabled", json!({"enabled": false}));
        self.send(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
    }

    /// The window size, and for a phone the touch screen and a phone's user agent. Headless
    /// Chromium's own window is small; these overrides hold for every document of the page.
    fn emulate_device(&mut self) {
        match self.device {
            Device::Desktop => {
                let (width, height) = DESKTOP_VIEWPORT;
                self.send(
                    "Emulation.setDeviceMetricsOverride",
                    json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
                );
            }
            Device::Phone => {
                let (width, height) = PHONE_VIEWPORT;
                self.send(
                    "Emulation.setDeviceMetricsOverride",
                    json!({
                        "width": width, "height": height, "deviceScaleFactor": PHONE_SCALE, "mobile": true,
                        "screenOrientation": {"type": "portraitPrimary", "angle": 0},
                    }),
                );
                self.send(
                    "Emulation.setTouchEmulationEnabled",
                    json!({"enabled": true, "maxTouchPoints": PHONE_TOUCH_POINTS}),
                );
                // Chrome on Android, with the reduced user agent it sends today.
                let version = self.call(None, "Browser.getVersion", json!({}));
                let major = version["product"]
                    .as_str()
                    .and_then(|p| p.strip_prefix("Chrome/"))
                    .and_then(|v| v.split('.').next())
                    .unwrap_or("120")
                    .to_owned();
                self.send(
                    "Emulation.setUserAgentOverride",
                    json!({
                        "userAgent": format!(
                            "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) \
                             Chrome/{major}.0.0.0 Mobile Safari/537.36"
                        ),
                        "platform": "Linux armv8l",
                        "userAgentMetadata": {
                            "brands": [{"brand": "Chromium", "version": major}],
                            "platform": "Android", "platformVersion": "10.0.0",
                            "architecture": "", "model": "K", "mobile": true,
                        },
                    }),
                );
            }
        }
    }

    /// The device this browser plays.
    pub fn device(&self) -> Device {
        self.device
    }

    /// Chromium's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The DevTools WebSocket address.
    pub fn devtools_url(&self) -> &str {
        &self.devtools_url
    }

    /// The DevTools port (Chromium picks a free one per browser).
    pub fn devtools_port(&self) -> u16 {
        self.devtools_url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .and_then(|host_port| host_port.rsplit(':').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in the DevTools address {}", self.devtools_url))
    }

    /// The profile directory (cookies, IndexedDB, service workers, caches).
    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }

    // ------------------------------------------------------------------ protocol

    /// Sends one command (to the browser, or to a session) and returns its result; a CDP
    /// error fails the test.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        match self.try_call(session, method, params) {
            Ok(result) => result,
            Err(err) => panic!("CDP {method} failed: {err}{}", self.stderr_hint()),
        }
    }

    /// Sends one command and returns its result, or the error CDP answered.
    fn try_call(&mut self, session: Option<&str>, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .unwrap_or_else(|e| panic!("CDP {method}: cannot send ({e}){}", self.stderr_hint()));
        let deadline = Instant::now() + COMMAND_DEADLINE;
        loop {
            // Handling an event may have sent commands of its own, whose reading may have
            // come across this answer.
            if let Some(answer) = self.answers.remove(&id) {
                return unwrap_answer(answer);
            }
            let Some(incoming) = self.read_until(deadline) else {
                panic!(
                    "CDP {method}: no answer within {COMMAND_DEADLINE:?}{}",
                    self.stderr_hint()
                );
            };
            match incoming["id"].as_u64() {
                Some(got) if got == id => return unwrap_answer(incoming),
                Some(other) => {
                    self.answers.insert(other, incoming);
                }
                None if incoming.get("method").is_some() => self.event(incoming),
                None => {}
            }
        }
    }

    /// Sends a command to the attached page.
    pub fn send(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.call(Some(&session), method, params)
    }

    /// Reads one message, or None at the deadline.
    fn read_until(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            self.ws.get_mut().set_read_timeout(Some(left)).expect("read timeout");
            match self.ws.read() {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(text.as_str()).expect("CDP sends JSON"));
                }
                Ok(Message::Close(frame)) => {
                    panic!(
                        "Chromium closed the DevTools connection ({frame:?}){}",
                        self.stderr_hint()
                    )
                }
                Ok(_) => continue,
                Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    continue
                }
                Err(e) => panic!("DevTools connection failed: {e}{}", self.stderr_hint()),
            }
        }
    }

    /// Looks at an event: page and worker errors are recorded, a new worker gets the network
    /// conditions before it runs, a crash or detach of the page is fatal, the rest is of no
    /// interest to these tests.
    fn event(&mut self, ev: Value) {
        let method = ev["method"].as_str().unwrap_or_default();
        let params = &ev["params"];
        let from = ev["sessionId"].as_str().unwrap_or_default().to_owned();
        let on_page = from == self.session;
        let source = if on_page { "" } else { "worker: " };
        match method {
            "Runtime.exceptionThrown" => {
                let d = &params["exceptionDetails"];
                let what = d["exception"]["description"]
                    .as_str()
                    .or(d["text"].as_str())
                    .unwrap_or("?");
                let at = format!(
                    "{}:{}:{}",
                    d["url"].as_str().unwrap_or(""),
                    d["lineNumber"].as_i64().unwrap_or(-1) + 1,
                    d["columnNumber"].as_i64().unwrap_or(-1) + 1
                );
                self.js_errors
                    .push(format!("{source}uncaught exception at {at}: {what}"));
            }
            "Runtime.consoleAPICalled" if params["type"] == "error" || params["type"] == "assert" => {
                let args: Vec<String> = params["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        a["value"].as_str().map(str::to_owned).unwrap_or_else(|| {
                            a["description"]
                                .as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| a["value"].to_string())
                        })
                    })
                    .collect();
                self.js_errors.push(format!(
                    "{source}console.{}: {}",
                    params["type"].as_str().unwrap_or(""),
                    args.join(" ")
                ));
            }
            "Runtime.bindingCalled" if params["name"] == CSP_BINDING => {
                let report = params["payload"].as_str().unwrap_or_default();
                self.csp_violations.push(format!("{source}{report}"));
            }
            "Browser.downloadProgress" if params["state"] == "completed" => {
                self.downloads
                    .push(params["guid"].as_str().unwrap_or_default().to_owned());
            }
            "Target.attachedToTarget" => {
                let session = params["sessionId"].as_str().unwrap_or_default().to_owned();
                let kind = params["targetInfo"]["type"].as_str().unwrap_or_default();
                if matches!(kind, "service_worker" | "shared_worker") {
                    self.workers.push(session.clone());
                    // The worker may already be gone again: not an error of the test.
                    let _ = self.try_call(Some(&session), "Runtime.enable", json!({}));
                    let _ = self.try_call(Some(&session), "Network.enable", json!({}));
                    let _ = self.try_call(
                        Some(&session),
                        "Network.emulateNetworkConditions",
                        network_conditions(self.offline),
                    );
                }
                if params["waitingForDebugger"] == json!(true) {
                    let _ = self.try_call(Some(&session), "Runtime.runIfWaitingForDebugger", json!({}));
                }
            }
            // A stopped service worker starting again keeps its session (and its network
            // conditions) and waits to be let run, as on its first start.
            "Inspector.targetReloadedAfterCrash" if self.workers.contains(&from) => {
                let _ = self.try_call(Some(&from), "Runtime.runIfWaitingForDebugger", json!({}));
            }
            "Inspector.targetCrashed" if on_page => panic!("the page crashed{}", self.stderr_hint()),
            "Target.detachedFromTarget" if params["sessionId"].as_str() == Some(&self.session) => {
                panic!("the page was detached ({params}){}", self.stderr_hint())
            }
            "Target.detachedFromTarget" => {
                let gone = params["sessionId"].as_str().unwrap_or_default();
                self.workers.retain(|w| w != gone);
            }
            _ => {}
        }
    }

    /// Reads the events that have already arrived, without waiting.
    fn pump(&mut self) {
        loop {
            self.ws.get_mut().set_nonblocking(true).expect("nonblocking");
            let got = self.ws.read();
            self.ws.get_mut().set_nonblocking(false).expect("blocking");
            match got {
                Ok(Message::Text(text)) => {
                    let v: Value = serde_json::from_str(text.as_str()).expect("CDP sends JSON");
                    if v.get("method").is_some() {
                        self.event(v);
                    }
                }
                Ok(Message::Close(_)) => panic!("Chromium closed the DevTools connection{}", self.stderr_hint()),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e)) if e.kind() == ErrorKind::WouldBlock => return,
                Err(e) => panic!("DevTools connection failed: {e}{}", self.stderr_hint()),
            }
        }
    }

    fn stderr_hint(&self) -> String {
        let lines: Vec<String> = self
            .stderr_tail
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect();
        if lines.is_empty() {
            String::new()
        } else {
            format!("\nChromium's stderr ends with:\n{}", lines.join("\n"))
        }
    }

    // ------------------------------------------------------------------ network

    /// Cuts the network (or gives it back) for the page and every service or shared worker,
    /// as a phone losing its signal: `navigator.onLine` turns false and `offline` fires, the
    /// page's and the workers' fetches fail with a network error, a navigation to a page no
    /// service worker answers shows the browser's error page. What a service worker serves
    /// from its caches still loads. (The browser process's own update check of a worker's
    /// script is not covered; see the module comment.)
    pub fn set_offline(&mut self, offline: bool) {
        self.offline = offline;
        let conditions = network_conditions(offline);
        self.send("Network.emulateNetworkConditions", conditions.clone());
        for worker in self.workers.clone() {
            let _ = self.try_call(Some(&worker), "Network.emulateNetworkConditions", conditions.clone());
        }
    }

    /// Whether [`Browser::set_offline`] last cut the network.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// How many service and shared workers are attached (running, or stopped and startable).
    pub fn worker_count(&mut self) -> usize {
        self.pump();
        self.workers.len()
    }

    /// Stops every running service worker, as a phone does with an idle one; the next event
    /// for it starts it again (offline still, if the network is cut).
    pub fn stop_service_workers(&mut self) {
        self.send("ServiceWorker.enable", json!({}));
        self.send("ServiceWorker.stopAllWorkers", json!({}));
        self.send("ServiceWorker.disable", json!({}));
    }

    // ------------------------------------------------------------------ page

    /// Evaluates a JS expression in the page (awaiting a promise) and returns its JSON value
    /// (null for undefined). An exception in the expression fails the test.
    pub fn eval(&mut self, expression: &str) -> Value {
        let answer = self.send(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(d) = answer.get("exceptionDetails") {
            let what = d["exception"]["description"]
                .as_str()
                .or(d["text"].as_str())
                .unwrap_or("?");
            panic!("evaluating `{expression}` threw: {what}");
        }
        answer["result"]["value"].clone()
    }

    /// Polls `condition` (a JS expression) until it is truthy. Not getting there within
    /// [`WAIT_DEADLINE`] fails the test, with `what` and a snapshot of the page.
    pub fn wait_for(&mut self, condition: &str, what: &str) {
        self.wait_for_within(condition, what, WAIT_DEADLINE);
    }

    /// [`Browser::wait_for`] with another deadline (a camera finding a code, a queue that
    /// drains on a timer).
    pub fn wait_for_within(&mut self, condition: &str, what: &str, deadline: Duration) {
        let until = Instant::now() + deadline;
        let probe = format!("(() => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }})()");
        loop {
            if self.eval(&probe) == Value::Bool(true) {
                return;
            }
            if Instant::now() >= until {
                let page = self.snapshot();
                panic!(
                    "timed out after {deadline:?} waiting for {what}\n  condition: {condition}\n{page}\n  JS errors: {:?}\n  CSP violations: {:?}",
                    self.js_errors, self.csp_violations
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Waits for `document.body.dataset.ready` to name `view` (the app's "rendered" hook).
    pub fn wait_ready(&mut self, view: &str) {
        self.wait_for(
            &format!("document.body && document.body.dataset.ready === {}", js(view)),
            &format!("view `{view}` to be ready"),
        );
    }

    /// Where the page is, for failure messages: URL, ready hook, error box, start of the view,
    /// and a screenshot saved under the target directory.
    pub fn snapshot(&mut self) -> String {
        let shot = self.save_screenshot();
        let v = self.eval(
            r#"(() => {
                const b = document.body;
                const err = document.querySelector('#error');
                const view = document.querySelector('#view') || b;
                return {
                    url: location.href,
                    ready: b ? b.dataset.ready : null,
                    error: err && !err.hidden ? err.dataset.code + ': ' + err.textContent : null,
                    dom: view ? view.outerHTML.slice(0, 2000) : null,
                };
            })()"#,
        );
        format!(
            "  url: {}\n  ready: {}\n  #error: {}\n  screenshot: {shot}\n  DOM: {}",
            v["url"], v["ready"], v["error"], v["dom"]
        )
    }

    /// Saves a PNG of the page in the target directory; answers its path (or why not).
    fn save_screenshot(&mut self) -> String {
        let shot = self.send("Page.captureScreenshot", json!({"format": "png"}));
        let Some(png) = shot["data"]
            .as_str()
            .and_then(|d| data_encoding::BASE64.decode(d.as_bytes()).ok())
        else {
            return "none (capture failed)".into();
        };
        let path =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("browser-failure-{}.png", self.child.id()));
        match std::fs::write(&path, png) {
            Ok(()) => path.display().to_string(),
            Err(e) => format!("none ({e})"),
        }
    }

    /// Loads `url` as a new document (via about:blank, so that even a URL differing only in
    /// its fragment is a real load) and waits for the app's view `view` to be ready.
    pub fn open(&mut self, url: &str, view: &str) {
        self.send("Page.navigate", json!({"url": "about:blank"}));
        self.wait_for("location.href === 'about:blank'", "about:blank");
        let nav = self.send("Page.navigate", json!({"url": url}));
        if let Some(err) = nav.get("errorText") {
            panic!("navigating to {url} failed: {err}");
        }
        self.wait_ready(view);
    }

    /// Reloads the page and waits for the app's view `view` to be ready in the new document.
    pub fn reload(&mut self, view: &str) {
        self.eval("window.__hwtraceOldDocument = true");
        self.send("Page.reload", json!({}));
        self.wait_for(
            &format!(
                "!window.__hwtraceOldDocument && document.body && document.body.dataset.ready === {}",
                js(view)
            ),
            &format!("reloaded view `{view}`"),
        );
    }

    /// Tries to load `url` as a new document (via about:blank, like [`Browser::open`]);
    /// answers the browser's error (`net::ERR_INTERNET_DISCONNECTED`, ...) if it got none.
    /// Does not wait for the document to finish loading.
    pub fn navigate(&mut self, url: &str) -> Result<(), String> {
        self.send("Page.navigate", json!({"url": "about:blank"}));
        self.wait_for("location.href === 'about:blank'", "about:blank");
        let nav = self.send("Page.navigate", json!({"url": url}));
        match nav.get("errorText").and_then(Value::as_str) {
            Some(err) if !err.is_empty() => Err(err.to_owned()),
            _ => Ok(()),
        }
    }

    /// Loads `url` (a page that is not the app, or the app without waiting for a view) and
    /// waits until it has loaded.
    pub fn goto(&mut self, url: &str) {
        if let Err(err) = self.navigate(url) {
            panic!("navigating to {url} failed: {err}");
        }
        self.wait_for(
            "location.href !== 'about:blank' && document.readyState === 'complete'",
            &format!("{url} to load"),
        );
    }

    /// Reloads the page and waits until the new document has loaded (for pages that are not
    /// the app; the app's views: [`Browser::reload`]).
    pub fn reload_page(&mut self) {
        self.eval("window.__hwtraceOldDocument = true");
        self.send("Page.reload", json!({}));
        self.wait_for(
            "!window.__hwtraceOldDocument && document.readyState === 'complete'",
            "the reloaded document",
        );
    }

    /// Clicks the element like a person: scrolls it into view, checks that it is visible,
    /// enabled and not covered, and sends a real mouse press and release at the centre of
    /// its (first) box.
    pub fn click(&mut self, selector: &str) {
        self.gestures.clicks += 1;
        self.press(selector);
    }

    /// The mouse press and release of [`Browser::click`], not counted as a gesture.
    fn press(&mut self, selector: &str) {
        let (x, y) = self.target_point(selector, "click");
        self.send(
            "Input.dispatchMouseEvent",
            json!({"type": "mouseMoved", "x": x, "y": y}),
        );
        for kind in ["mousePressed", "mouseReleased"] {
            self.send(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1}),
            );
        }
    }

    /// Taps the element with a finger, with the checks of [`Browser::click`]: a touch starts
    /// and ends at the centre of its box. The page gets `pointerdown`/`touchstart`,
    /// `pointerup`/`touchend`, then the `click` a phone makes of a tap (its `pointerType` is
    /// `touch`). Meant for [`Launch::phone`].
    pub fn tap(&mut self, selector: &str) {
        self.gestures.taps += 1;
        let (x, y) = self.target_point(selector, "tap");
        self.send(
            "Input.dispatchTouchEvent",
            json!({"type": "touchStart", "touchPoints": [{"x": x, "y": y, "radiusX": 4, "radiusY": 4, "force": 1}]}),
        );
        self.send(
            "Input.dispatchTouchEvent",
            json!({"type": "touchEnd", "touchPoints": []}),
        );
    }

    /// Is the element there, with a box of its own inside the viewport?
    pub fn visible(&mut self, selector: &str) -> bool {
        self.eval(&format!(
            r#"(() => {{
                const el = document.querySelector({sel});
                if (!el) return false;
                const r = [...el.getClientRects()].find((b) => b.width > 0 && b.height > 0);
                return !!r && r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight;
            }})()"#,
            sel = js(selector)
        )) == Value::Bool(true)
    }

    /// The viewport point at the centre of the element's first box, after scrolling it into
    /// view; fails the test if the element is missing, hidden, disabled or covered.
    fn target_point(&mut self, selector: &str, action: &str) -> (f64, f64) {
        let at = self.eval(&format!(
            r#"(() => {{
                const el = document.querySelector({sel});
                if (!el) return {{ err: 'no element' }};
                el.scrollIntoView({{ block: 'center', inline: 'center' }});
                // The first box: a link wrapped over two lines is clicked on its first line.
                const r = [...el.getClientRects()].find((b) => b.width > 0 && b.height > 0);
                if (!r) return {{ err: 'not visible' }};
                if (el.disabled) return {{ err: 'disabled' }};
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                const hit = document.elementFromPoint(x, y);
                if (!hit || !(hit === el || el.contains(hit)))
                    return {{ err: 'covered by ' + (hit ? hit.outerHTML.slice(0, 200) : 'nothing') }};
                return {{ x, y }};
            }})()"#,
            sel = js(selector)
        ));
        if let Some(err) = at.get("err") {
            let page = self.snapshot();
            panic!("cannot {action} `{selector}`: {err}\n{page}");
        }
        (
            at["x"].as_f64().expect("an x coordinate"),
            at["y"].as_f64().expect("a y coordinate"),
        )
    }

    /// Types `text` into a text field as a keyboard would (focus by click, select what is
    /// there, insert the text: the page sees `input` events), then checks the field's value.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        self.gestures.typed += 1;
        self.press(selector);
        let focused = self.eval(&format!(
            "(() => {{ const el = document.querySelector({sel}); el.select(); return document.activeElement === el; }})()",
            sel = js(selector)
        ));
        assert_eq!(
            focused,
            Value::Bool(true),
            "`{selector}` did not take the focus when clicked"
        );
        self.send("Input.insertText", json!({"text": text}));
        let value = self.eval(&format!("document.querySelector({}).value", js(selector)));
        assert_eq!(value, json!(text), "`{selector}` does not hold the typed text");
    }

    /// Types `text` key by key into whatever has the focus, then presses Enter: what a
    /// barcode scanner in keyboard mode (a "wedge") does at a gate PC. Unlike
    /// [`Browser::type_into`], the page sees `keydown`/`keyup` for every character.
    pub fn keyboard_scan(&mut self, text: &str) {
        self.gestures.scans += 1;
        for ch in text.chars() {
            let key = ch.to_string();
            self.send(
                "Input.dispatchKeyEvent",
                json!({"type": "keyDown", "key": key, "text": key, "unmodifiedText": key}),
            );
            self.send("Input.dispatchKeyEvent", json!({"type": "keyUp", "key": key}));
        }
        let enter = json!({"key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13});
        let mut down = enter.clone();
        down["type"] = json!("keyDown");
        down["text"] = json!("\r");
        self.send("Input.dispatchKeyEvent", down);
        let mut up = enter;
        up["type"] = json!("keyUp");
        self.send("Input.dispatchKeyEvent", up);
    }

    /// Chooses the option with `value` in a `<select>` (as picking it does: `input` and
    /// `change` events); the option must exist.
    pub fn select(&mut self, selector: &str, value: &str) {
        self.gestures.selects += 1;
        let ok = self.eval(&format!(
            r#"(() => {{
                const el = document.querySelector({sel});
                if (!el || ![...el.options].some((o) => o.value === {val})) return false;
                el.value = {val};
                el.dispatchEvent(new Event('input', {{ bubbles: true }}));
                el.dispatchEvent(new Event('change', {{ bubbles: true }}));
                return true;
            }})()"#,
            sel = js(selector),
            val = js(value)
        ));
        assert_eq!(ok, Value::Bool(true), "`{selector}` has no option `{value}`");
    }

    /// The user's gestures on this browser so far.
    pub fn gestures(&self) -> Gestures {
        self.gestures
    }

    /// The trimmed text of the first element matching `selector` (null if none).
    pub fn text(&mut self, selector: &str) -> Value {
        self.eval(&format!(
            "(() => {{ const el = document.querySelector({}); return el ? el.textContent.trim() : null; }})()",
            js(selector)
        ))
    }

    /// How many elements match `selector`.
    pub fn count(&mut self, selector: &str) -> usize {
        let n = self.eval(&format!("document.querySelectorAll({}).length", js(selector)));
        n.as_u64().expect("a count") as usize
    }

    // ------------------------------------------------------------------ pictures

    /// A PNG of `shot`, rendered at `scale` times the device's own resolution (2 or 4 for a
    /// QR code that must stay readable when the page draws it small).
    pub fn screenshot(&mut self, shot: Shot<'_>, scale: f64) -> Vec<u8> {
        let clip = match shot {
            Shot::Viewport => {
                let m = self.send("Page.getLayoutMetrics", json!({}));
                let v = &m["cssVisualViewport"];
                json!({"x": v["pageX"], "y": v["pageY"], "width": v["clientWidth"], "height": v["clientHeight"]})
            }
            Shot::FullPage => {
                let m = self.send("Page.getLayoutMetrics", json!({}));
                let c = &m["cssContentSize"];
                json!({"x": 0, "y": 0, "width": c["width"], "height": c["height"]})
            }
            Shot::Element(selector) => {
                let r = self.eval(&format!(
                    r#"(() => {{
                        const el = document.querySelector({sel});
                        if (!el) return null;
                        const r = el.getBoundingClientRect();
                        return {{ x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height }};
                    }})()"#,
                    sel = js(selector)
                ));
                if r.is_null() || r["width"] == json!(0) || r["height"] == json!(0) {
                    let page = self.snapshot();
                    panic!("cannot take a screenshot of `{selector}`: no such element, or an empty box\n{page}");
                }
                r
            }
        };
        let mut clip = clip;
        clip["scale"] = json!(scale);
        let shot = self.send(
            "Page.captureScreenshot",
            json!({"format": "png", "clip": clip, "captureBeyondViewport": true}),
        );
        let data = shot["data"].as_str().expect("screenshot data");
        data_encoding::BASE64.decode(data.as_bytes()).expect("base64 PNG")
    }

    /// Takes a [`Browser::screenshot`] at the device's resolution and writes it to `path`
    /// (its directory is created); answers the PNG.
    pub fn save_screenshot_as(&mut self, path: &Path, shot: Shot<'_>) -> Vec<u8> {
        let png = self.screenshot(shot, 1.0);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        }
        std::fs::write(path, &png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        png
    }

    // ------------------------------------------------------------------ storage

    /// The IndexedDB databases of the page's origin, as `{name, version}`.
    pub fn idb_databases(&mut self) -> Vec<Value> {
        let v =
            self.eval("indexedDB.databases().then((dbs) => dbs.map((d) => ({ name: d.name, version: d.version })))");
        serde_json::from_value(v).expect("a list of databases")
    }

    /// Every record of object store `store` of database `db` of the page's origin, in key
    /// order, as `{key, value}`. Values are made JSON: a CryptoKey becomes `{"$cryptoKey":
    /// {type, algorithm, extractable, usages}}`, bytes `{"$bytes": base64}`, a Date
    /// `{"$date": ISO}`, a Blob `{"$blob": {size, type}}`. A missing database or store fails
    /// the test (nothing is created by looking).
    pub fn idb_records(&mut self, db: &str, store: &str) -> Vec<Value> {
        let v = self.eval(&format!("({READ_IDB})({}, {})", js(db), js(store)));
        if let Some(err) = v.get("err") {
            let page = self.snapshot();
            panic!("cannot read IndexedDB {db}/{store}: {err}\n{page}");
        }
        serde_json::from_value(v["records"].clone()).expect("a list of records")
    }

    // ------------------------------------------------------------------ downloads

    /// Clicks the download link `selector` (from script, so a link out of sight works too)
    /// and answers the bytes of the file the browser saved: what the user gets.
    pub fn download(&mut self, selector: &str) -> Vec<u8> {
        let dir = self.profile.path().join("downloads");
        std::fs::create_dir_all(&dir).expect("a downloads folder");
        self.call(
            None,
            "Browser.setDownloadBehavior",
            json!({"behavior": "allowAndName", "downloadPath": dir, "eventsEnabled": true}),
        );
        self.pump();
        self.downloads.clear();
        self.eval(&format!("document.querySelector({}).click()", js(selector)));
        let until = Instant::now() + WAIT_DEADLINE;
        loop {
            self.pump();
            if let Some(guid) = self.downloads.pop() {
                return std::fs::read(dir.join(&guid)).unwrap_or_else(|e| panic!("the download of {selector}: {e}"));
            }
            if Instant::now() >= until {
                panic!(
                    "no download from {selector} within {WAIT_DEADLINE:?}\n{}",
                    self.snapshot()
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    // ------------------------------------------------------------------ printing

    /// From now on (this document and every later one, in every frame), `window.print()`
    /// does not open a print dialog (a headless browser has none) but records that it was
    /// called, and by which document: see [`Browser::print_requests`].
    pub fn capture_prints(&mut self) {
        self.send("Page.addScriptToEvaluateOnNewDocument", json!({"source": PRINT_HOOK}));
        self.eval(PRINT_HOOK);
    }

    /// The documents (URLs) that called `window.print()` since the top document loaded, in
    /// order (needs [`Browser::capture_prints`]). To see what a hidden iframe printed, `goto`
    /// its URL (same cookies) and take [`Browser::printed_png`] there; a document opened in a
    /// new window is another target, which this client does not follow.
    pub fn print_requests(&mut self) -> Vec<String> {
        let v = self.eval("(window.__hwtracePrints || []).slice()");
        serde_json::from_value(v).expect("a list of URLs")
    }

    /// The page as the printer gets it: laid out with print media (the print CSS applies,
    /// screen-only parts go), the whole document, as a PNG at `scale` times the device's
    /// resolution (2 on a desktop, 192 dpi, reads a label's QR code; a larger scale costs
    /// seconds of decoding). `@page` sizes are not applied to a screen rendering;
    /// [`Browser::print_pdf`] has them.
    pub fn printed_png(&mut self, scale: f64) -> Vec<u8> {
        self.send("Emulation.setEmulatedMedia", json!({"media": "print"}));
        let png = self.screenshot(Shot::FullPage, scale);
        self.send("Emulation.setEmulatedMedia", json!({"media": ""}));
        png
    }

    /// Chromium's PDF of the page (`@page` sizes honoured, backgrounds printed): what it would
    /// send to a printer. Nothing here rasterises PDF: read QR codes from
    /// [`Browser::printed_png`].
    pub fn print_pdf(&mut self) -> Vec<u8> {
        let pdf = self.send(
            "Page.printToPDF",
            json!({"printBackground": true, "preferCSSPageSize": true}),
        );
        let data = pdf["data"].as_str().expect("PDF data");
        data_encoding::BASE64.decode(data.as_bytes()).expect("base64 PDF")
    }

    /// Fails the test if the page threw, rejected a promise unhandled, logged an error, or
    /// broke its Content-Security-Policy.
    pub fn assert_no_js_errors(&mut self) {
        self.pump();
        assert!(
            self.js_errors.is_empty(),
            "the page reported JS errors: {:#?}",
            self.js_errors
        );
        assert!(
            self.csp_violations.is_empty(),
            "the page broke its Content-Security-Policy: {:#?}",
            self.csp_violations
        );
    }

    /// The Content-Security-Policy violations reported since the last call (taken: they no
    /// longer fail [`Browser::assert_no_js_errors`]). Each is `{directive, blocked, source,
    /// sample, document}` as JSON text.
    pub fn csp_violations(&mut self) -> Vec<String> {
        self.pump();
        std::mem::take(&mut self.csp_violations)
    }
}

impl Browser {
    /// Closes the browser: asks Chromium to close (it then ends its helper processes) and
    /// waits up to [`CLOSE_DEADLINE`] for it to exit. Answers whether it exited by itself
    /// (dropping the browser kills it if it did not).
    pub fn close(mut self) -> bool {
        self.shut_down()
    }

    fn shut_down(&mut self) -> bool {
        if let Ok(Some(_)) = self.child.try_wait() {
            return true;
        }
        // A command id Chromium accepts: it refuses ids beyond 32 bits and then never closes.
        self.next_id += 1;
        let close = json!({"id": self.next_id, "method": "Browser.close"}).to_string();
        let _ = self.ws.send(Message::text(close));
        let deadline = Instant::now() + CLOSE_DEADLINE;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Ok(Some(_)) => return true,
                Err(_) => return false,
            }
        }
        false
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Close, then kill whatever is left by Chromium's own process id. Nothing here may
        // panic: this also runs while a failing test unwinds.
        self.shut_down();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A JS string literal holding `s`.
pub fn js(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// Opens the DevTools WebSocket at `ws://host:port/path`.
fn connect(url: &str) -> WebSocket<TcpStream> {
    let rest = url
        .strip_prefix("ws://")
        .unwrap_or_else(|| panic!("unexpected DevTools address {url}"));
    let host_port = rest.split('/').next().unwrap_or_default();
    let stream = TcpStream::connect(host_port).unwrap_or_else(|e| panic!("cannot connect to DevTools at {url}: {e}"));
    stream.set_read_timeout(Some(COMMAND_DEADLINE)).expect("read timeout");
    let (ws, _) =
        tungstenite::client(url, stream).unwrap_or_else(|e| panic!("DevTools WebSocket handshake with {url}: {e}"));
    ws
}

/// What [`Browser::screenshot`] takes.
#[derive(Clone, Copy, Debug)]
pub enum Shot<'a> {
    /// What is on screen.
    Viewport,
    /// The whole document, also what is scrolled out of view.
    FullPage,
    /// The box of the first element matching a selector.
    Element(&'a str),
}

/// Network conditions for `Network.emulateNetworkConditions`: cut, or unthrottled.
fn network_conditions(offline: bool) -> Value {
    json!({"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
}

/// The result of a CDP answer, or its error.
fn unwrap_answer(answer: Value) -> Result<Value, Value> {
    match answer.get("error") {
        Some(err) => Err(err.clone()),
        None => Ok(answer["result"].clone()),
    }
}

/// Replaces `window.print` in a document by a recorder; the record is kept by the top
/// document (same origin), or by the frame itself.
/// The binding through which documents report policy violations.
const CSP_BINDING: &str = "__hwtraceCspViolation";

/// Run in every document before its own scripts: each `securitypolicyviolation` (an inline
/// script or style refused, a resource from elsewhere, a frame...) goes to [`CSP_BINDING`].
const CSP_HOOK: &str = r#"(() => {
    window.addEventListener('securitypolicyviolation', (e) => {
        const report = JSON.stringify({
            directive: e.effectiveDirective, blocked: e.blockedURI,
            source: e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber,
            sample: e.sample, document: location.href,
        });
        try { window.__hwtraceCspViolation(report); } catch (err) { console.error('CSP violation: ' + report); }
    }, true);
})()"#;

const PRINT_HOOK: &str = r#"(() => {
    const record = () => {
        let top = window;
        try { if (window.top && window.top.document) top = window.top; } catch (e) { /* another origin */ }
        (top.__hwtracePrints = top.__hwtracePrints || []).push(location.href);
    };
    window.print = record;
})()"#;

/// Reads one object store; `{records}` or `{err}`. Opening an existing database without a
/// version never upgrades it; the connection is closed at once so the app's own upgrades are
/// not blocked.
const READ_IDB: &str = r#"async (dbName, storeName) => {
    const known = await indexedDB.databases();
    if (!known.some((d) => d.name === dbName)) return { err: 'no database ' + dbName + ' (have: ' + known.map((d) => d.name).join(', ') + ')' };
    const db = await new Promise((resolve, reject) => {
        const req = indexedDB.open(dbName);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
    });
    try {
        if (!db.objectStoreNames.contains(storeName)) return { err: 'no store ' + storeName + ' (have: ' + [...db.objectStoreNames].join(', ') + ')' };
        const store = db.transaction(storeName, 'readonly').objectStore(storeName);
        const all = (req) => new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
        const [keys, values] = await Promise.all([all(store.getAllKeys()), all(store.getAll())]);
        const bytes = (b) => btoa(String.fromCharCode(...new Uint8Array(b.buffer ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : b)));
        const plain = (v) => {
            if (v === null || v === undefined) return null;
            if (typeof CryptoKey !== 'undefined' && v instanceof CryptoKey)
                return { $cryptoKey: { type: v.type, algorithm: v.algorithm.name, extractable: v.extractable, usages: [...v.usages] } };
            if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return { $bytes: bytes(v) };
            if (v instanceof Date) return { $date: v.toISOString() };
            if (v instanceof Blob) return { $blob: { size: v.size, type: v.type } };
            if (v instanceof Map) return [...v].map(([k, x]) => [plain(k), plain(x)]);
            if (v instanceof Set) return [...v].map(plain);
            if (Array.isArray(v)) return v.map(plain);
            if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
            return v;
        };
        return { records: keys.map((k, i) => ({ key: plain(k), value: plain(values[i]) })) };
    } finally {
        db.close();
    }
}"#;
