//! How long each screen of the web app takes to show its data on a real database: the time
//! from asking for the screen to the view's `data-ready` (its data on screen), in headless
//! Chromium, against a running `hwtrace serve`. A benchmark program: it prints figures and
//! asserts nothing about them.
//!
//! ```sh
//! cargo build --release
//! target/release/hwtrace demo --db /tmp/demo.db --seed 1
//! cargo bench --bench screens -- --db /tmp/demo.db [--rounds 5] [--bin target/release/hwtrace]
//! ```
//!
//! The database is copied first (serving it with `--demo` adds the demo accounts). Each demo
//! user logs in on a desktop browser (1366×900) and on a phone (390×844), then opens each of
//! their screens `rounds` times by changing the address's `#` (the app already loaded, as a
//! user clicking through it) and once by loading the page anew (`cold`: the app's modules,
//! the session and the screen's data); the median and the slowest of the warm runs and the
//! cold one are printed, in milliseconds.
//!
//! Then the log page's in-browser range audit (`#/log`, a Web Worker: every leaf hash and the
//! root recomputed, every signature checked) runs over the whole log and its rate is printed
//! in entries per second (`--audit-only` runs just that).

#[path = "../tests/browser/cdp.rs"]
mod cdp;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use cdp::{js, Browser, Launch};
use serde_json::Value;

const PASSWORD: &str = "hwtrace-demo-2026";

struct Options {
    db: PathBuf,
    bin: PathBuf,
    rounds: usize,
    audit_only: bool,
}

fn options() -> Options {
    let mut o = Options {
        db: PathBuf::from("/tmp/demo.db"),
        bin: PathBuf::from("target/release/hwtrace"),
        rounds: 5,
        audit_only: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--db" => o.db = args.next().expect("--db PATH").into(),
            "--bin" => o.bin = args.next().expect("--bin PATH").into(),
            "--rounds" => o.rounds = args.next().and_then(|n| n.parse().ok()).expect("--rounds N"),
            "--audit-only" => o.audit_only = true,
            "--bench" => {}
            other => panic!("unknown argument {other}"),
        }
    }
    o
}

/// The service on a copy of the database, on a free port; answers it and its base URL.
fn serve(o: &Options, dir: &std::path::Path) -> (Child, String) {
    let db = dir.join("screens.db");
    std::fs::copy(&o.db, &db).expect("copy the database");
    let keys = PathBuf::from(format!("{}.keys", o.db.display()));
    if keys.is_dir() {
        let to = PathBuf::from(format!("{}.keys", db.display()));
        std::fs::create_dir_all(&to).unwrap();
        // The service refuses a key directory group or others could read.
        std::fs::set_permissions(&to, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
        for f in std::fs::read_dir(&keys).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), to.join(f.file_name())).unwrap();
        }
    }
    let mut child = Command::new(&o.bin)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", o.bin.display()));
    let out = BufReader::new(child.stdout.take().unwrap());
    for line in out.lines() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("hwtrace listening on ") {
            let base = rest.split_whitespace().next().unwrap().trim_end_matches('/').to_owned();
            return (child, base);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the service stopped before listening");
}

fn log_in(b: &mut Browser, base: &str, user: &str) {
    b.open(&format!("{base}/#/login"), "login");
    b.type_into("#login-user", user);
    b.type_into("#login-pass", PASSWORD);
    b.click("#login-submit");
    b.wait_for_within(
        "!!document.querySelector('#whoami') && document.body.dataset.ready && document.body.dataset.ready !== 'login'",
        &format!("{user} logged in"),
        std::time::Duration::from_secs(120),
    );
}

/// An API answer read through the logged-in page.
fn api(b: &mut Browser, path: &str) -> Value {
    b.eval(&format!(
        "fetch({}, {{credentials: 'same-origin'}}).then((r) => r.json())",
        js(&format!("/api/v1{path}"))
    ))
}

/// Milliseconds from setting the address's `#` to `view` being ready.
fn warm(b: &mut Browser, hash: &str, view: &str) -> f64 {
    let v = b.eval(&format!(
        "new Promise((done) => {{
           document.body.dataset.ready = '';
           const t0 = performance.now();
           const check = () => document.body.dataset.ready === {view}
             ? done(performance.now() - t0) : requestAnimationFrame(check);
           location.hash = {hash};
           requestAnimationFrame(check);
         }})",
        view = js(view),
        hash = js(hash)
    ));
    v.as_f64().expect("a time")
}

/// Milliseconds from loading the page anew (the `#` set) to `view` being ready.
fn cold(b: &mut Browser, base: &str, hash: &str, view: &str) -> f64 {
    let t0 = Instant::now();
    b.navigate(&format!("{base}/{hash}")).expect("navigate");
    b.wait_for_within(
        &format!("document.body.dataset.ready === {}", js(view)),
        view,
        std::time::Duration::from_secs(120),
    );
    t0.elapsed().as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// The screens each demo user opens: (user, [(route name, hash)]).
fn screens(b: &mut Browser, user: &str) -> Vec<(String, String)> {
    let me = b.eval("fetch('/api/v1/session').then((r) => r.json())");
    let uscc = me["user"]["enterprise"].as_str().unwrap_or_default().to_owned();
    let s = |name: &str, hash: &str| (name.to_owned(), hash.to_owned());
    let mut list = vec![s("home", "#/"), s("catalogue", "#/catalogue?q=HW08")];
    match user {
        "autorepair-clerk" => {
            list.push(s("items", "#/items"));
            list.push(s("items-new", "#/items/new"));
            list.push(s("manifests", "#/manifests"));
            list.push(s("manifest-new", "#/manifests/new"));
            let m = api(b, &format!("/manifests?party={uscc}&role=issuer&limit=1"));
            if let Some(n) = m["manifests"][0]["number"].as_str() {
                list.push(s("manifest", &format!("#/manifests/{n}")));
            }
            let l = api(b, &format!("/enterprises/{uscc}/ledger"));
            let code = l["states"][0]["items"][0]["code"].as_str();
            if let Some(code) = code {
                list.push(s("item", &format!("#/items/{code}")));
            }
        }
        "transport" => {
            list.push(s("trips", "#/trips"));
            let m = api(b, &format!("/manifests?party={uscc}&role=carrier&limit=1"));
            if let Some(n) = m["manifests"][0]["number"].as_str() {
                list.push(s("trip", &format!("#/trips/{n}")));
            }
            list.push(s("queue", "#/queue"));
        }
        "yunan" => {
            list.push(s("gate", "#/gate"));
            let m = api(b, &format!("/manifests?party={uscc}&role=receiver&limit=1"));
            if let Some(n) = m["manifests"][0]["number"].as_str() {
                list.push(s("gate-load", &format!("#/gate/load/{n}")));
            }
            list.push(s("gate-treatment", "#/gate/treatment"));
            list.push(s("gate-capacity", "#/gate/capacity"));
            list.push(s("items", "#/items"));
        }
        "wansheng-eeb" => {
            list.push(s("alerts", "#/alerts"));
            list.push(s("indicators", "#/indicators"));
            list.push(s("facilities", "#/facilities"));
            for chart in ["capacity", "flows", "sankey", "rates", "alerts", "stock"] {
                list.push(s(&format!("dashboard-{chart}"), &format!("#/dashboard/{chart}")));
            }
        }
        "admin" => {
            list.push(s("enterprises", "#/enterprises"));
            let e = api(b, "/enterprises");
            if let Some(u) = e["enterprises"][0]["uscc"].as_str() {
                list.push(s("enterprise", &format!("#/enterprises/{u}")));
            }
            list.push(s("users", "#/users"));
        }
        _ => {}
    }
    list
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("a scratch directory");
    let (mut child, base) = serve(&o, dir.path());
    println!(
        "screens on {} ({} warm rounds each), ms: median / slowest warm, cold load",
        o.db.display(),
        o.rounds
    );
    println!(
        "{:<8} {:<18} {:<16} {:>8} {:>8} {:>8}",
        "device", "user", "screen", "median", "slowest", "cold"
    );
    let devices = if o.audit_only {
        vec![]
    } else {
        vec![("desktop", Launch::desktop()), ("phone", Launch::phone())]
    };
    for (device, launch) in devices {
        for user in ["autorepair-clerk", "transport", "yunan", "wansheng-eeb", "admin"] {
            let mut b = launch.launch();
            log_in(&mut b, &base, user);
            if user == "transport" {
                // The driver's first visit asks for the vehicle: the first one.
                b.open(&format!("{base}/#/trips"), "trips");
                if b.count("#vehicle-list button[data-plate]") > 0 {
                    b.click("#vehicle-list button[data-plate]");
                    b.wait_for("!!document.querySelector('#trips-plate')", "the vehicle chosen");
                }
            }
            for (view, hash) in screens(&mut b, user) {
                warm(&mut b, &hash, &view); // the first visit warms the caches; not counted
                let runs: Vec<f64> = (0..o.rounds)
                    .map(|_| {
                        warm(&mut b, "#/catalogue", "catalogue");
                        warm(&mut b, &hash, &view)
                    })
                    .collect();
                let slowest = runs.iter().cloned().fold(0.0, f64::max);
                let c = cold(&mut b, &base, &hash, &view);
                println!(
                    "{device:<8} {user:<18} {view:<16} {:>8.0} {:>8.0} {:>8.0}",
                    median(runs),
                    slowest,
                    c
                );
            }
            b.close();
        }
    }
    item_pages(&base);
    log_audit(&base);
    let _ = child.kill();
    let _ = child.wait();
}

/// The item pages of the items the regulator's alerts name (at most 10): the time from asking
/// for the page to every step verified in the browser, and the outcome.
fn item_pages(base: &str) {
    let mut b = Launch::desktop().launch();
    log_in(&mut b, base, "wansheng-eeb");
    let alerts = api(&mut b, "/alerts?limit=200");
    let mut codes: Vec<String> = alerts
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|a| a["subject"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    codes.retain(|c| c.len() == 37);
    codes.dedup();
    codes.truncate(10);
    for code in codes {
        let t0 = Instant::now();
        b.navigate(&format!("{base}/#/items/{code}")).expect("navigate");
        b.wait_for_within(
            "['verified', 'failed', 'split'].includes(document.querySelector('#item-verify')?.dataset.state)",
            "the item verified",
            std::time::Duration::from_secs(300),
        );
        let state = b.eval("document.querySelector('#item-verify').dataset.state");
        let steps = b.count("#item-history li.history-entry");
        println!(
            "item page verified in the browser: {code} {steps} steps {} in {:.0} ms",
            state.as_str().unwrap_or("?"),
            t0.elapsed().as_secs_f64() * 1000.0
        );
    }
    b.close();
}

/// The log page's range audit over the whole log, on a desktop browser: prints its rate.
fn log_audit(base: &str) {
    let mut b = Launch::desktop().launch();
    b.open(&format!("{base}/#/log"), "log");
    let size = b.eval("Number(document.querySelector('#log-page').dataset.size)");
    let t0 = Instant::now();
    b.click("#audit-run");
    b.wait_for_within(
        "['passed', 'failed'].includes(document.querySelector('#audit-result').dataset.state)",
        "the range audit",
        std::time::Duration::from_secs(3600),
    );
    let r = b.eval("({...document.querySelector('#audit-result').dataset})");
    println!(
        "log audit in the browser: {} entries, {}, {:.1} s, {} entries/s (findings: {})",
        size,
        r["state"].as_str().unwrap_or("?"),
        t0.elapsed().as_secs_f64(),
        r["rate"].as_str().unwrap_or("?"),
        r["findings"].as_str().unwrap_or("")
    );
    b.close();
}
