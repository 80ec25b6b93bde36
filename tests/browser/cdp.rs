//! A small Chrome DevTools Protocol client for the browser tests: it starts Debian's headless
//! Chromium with a fresh profile, talks CDP over one WebSocket (flattened sessions), and offers
//! the few page operations the tests need. Every wait has a deadline, and running into it is a
//! test failure that shows where the page was; nothing here ever passes by timing out.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, ErrorKind};
use std::net::TcpStream;
use std::path::PathBuf;
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

/// Upper bound for Chromium to print its DevTools address.
const LAUNCH_DEADLINE: Duration = Duration::from_secs(30);
/// Upper bound for one CDP command to be answered.
const COMMAND_DEADLINE: Duration = Duration::from_secs(30);
/// Upper bound for a page condition to become true (generous: the machine is shared).
pub const WAIT_DEADLINE: Duration = Duration::from_secs(20);
/// Pause between two checks of a page condition.
const POLL_INTERVAL: Duration = Duration::from_millis(25);

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

/// A running headless Chromium with one page attached. Dropping it closes the browser (killing
/// it if it does not go) and removes the profile, also when a test panics.
pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    /// Uncaught exceptions, unhandled rejections and `console.error` calls of the page.
    js_errors: Vec<String>,
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    // Last: removed after the browser is gone.
    _profile: TempDir,
}

impl Browser {
    /// Starts Chromium, opens a blank page and attaches to it with the Runtime domain on.
    pub fn launch() -> Browser {
        let binary = chromium_binary();
        let profile = tempfile::tempdir().expect("temporary Chromium profile");
        let mut child = Command::new(&binary)
            .args(FLAGS)
            .arg("--remote-debugging-port=0")
            .arg(format!("--user-data-dir={}", profile.path().display()))
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
            session: String::new(),
            next_id: 0,
            js_errors: Vec::new(),
            stderr_tail: tail,
            _profile: profile,
        };
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
        // A desktop window (headless defaults to a small one).
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false}),
        );
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

    // ------------------------------------------------------------------ protocol

    /// Sends one command (to the browser, or to a page session) and returns its result.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
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
            let Some(incoming) = self.read_until(deadline) else {
                panic!(
                    "CDP {method}: no answer within {COMMAND_DEADLINE:?}{}",
                    self.stderr_hint()
                );
            };
            if incoming["id"].as_u64() == Some(id) {
                if let Some(err) = incoming.get("error") {
                    panic!("CDP {method} failed: {err}");
                }
                return incoming["result"].clone();
            }
            if incoming.get("method").is_some() {
                self.event(incoming);
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

    /// Looks at an event: page errors are recorded, a crash or detach is fatal, the rest is
    /// of no interest to these tests.
    fn event(&mut self, ev: Value) {
        let method = ev["method"].as_str().unwrap_or_default();
        let params = &ev["params"];
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
                self.js_errors.push(format!("uncaught exception at {at}: {what}"));
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
                    "console.{}: {}",
                    params["type"].as_str().unwrap_or(""),
                    args.join(" ")
                ));
            }
            "Inspector.targetCrashed" => panic!("the page crashed{}", self.stderr_hint()),
            "Target.detachedFromTarget" if params["sessionId"].as_str() == Some(&self.session) => {
                panic!("the page was detached ({params}){}", self.stderr_hint())
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
        let deadline = Instant::now() + WAIT_DEADLINE;
        let probe = format!("(() => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }})()");
        loop {
            if self.eval(&probe) == Value::Bool(true) {
                return;
            }
            if Instant::now() >= deadline {
                let page = self.snapshot();
                panic!(
                    "timed out after {WAIT_DEADLINE:?} waiting for {what}\n  condition: {condition}\n{page}\n  JS errors: {:?}",
                    self.js_errors
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

    /// Clicks the element like a person: scrolls it into view, checks that it is visible,
    /// enabled and not covered, and sends a real mouse press and release at the centre of
    /// its (first) box.
    pub fn click(&mut self, selector: &str) {
        let (x, y) = self.point_at(selector, "click");
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

    /// Taps the element with a finger (after [`Browser::phone`]): the same checks as
    /// [`Browser::click`], then a touch start and end at the centre of its box.
    pub fn tap(&mut self, selector: &str) {
        let (x, y) = self.point_at(selector, "tap");
        let point = json!([{"x": x, "y": y}]);
        self.send(
            "Input.dispatchTouchEvent",
            json!({"type": "touchStart", "touchPoints": point}),
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

    /// Saves a PNG of what the viewport shows at `path`.
    pub fn screenshot(&mut self, path: &std::path::Path) {
        let shot = self.send("Page.captureScreenshot", json!({"format": "png"}));
        let png = shot["data"]
            .as_str()
            .and_then(|d| data_encoding::BASE64.decode(d.as_bytes()).ok())
            .expect("a PNG screenshot");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    /// Where a person would press the element: scrolled into view, visible, enabled and not
    /// covered; fails the test (`doing` it) otherwise.
    fn point_at(&mut self, selector: &str, doing: &str) -> (Value, Value) {
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
            panic!("cannot {doing} `{selector}`: {err}\n{page}");
        }
        (at["x"].clone(), at["y"].clone())
    }

    /// Types `text` into a text field as a keyboard would (focus by click, select what is
    /// there, insert the text: the page sees `input` events), then checks the field's value.
    pub fn type_into(&mut self, selector: &str, text: &str) {
        self.click(selector);
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

    /// Chooses the option with `value` in a `<select>` (as picking it does: `input` and
    /// `change` events); the option must exist.
    pub fn select(&mut self, selector: &str, value: &str) {
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

    /// Fails the test if the page threw, rejected a promise unhandled, or logged an error.
    pub fn assert_no_js_errors(&mut self) {
        self.pump();
        assert!(
            self.js_errors.is_empty(),
            "the page reported JS errors: {:#?}",
            self.js_errors
        );
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask Chromium to close (it then ends its helper processes), give it a moment, then
        // kill it by its own process id. Nothing here may panic: this also runs while a
        // failing test unwinds.
        let close = json!({"id": u64::MAX, "method": "Browser.close"}).to_string();
        let _ = self.ws.send(Message::text(close));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                _ => break,
            }
        }
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
