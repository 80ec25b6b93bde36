//! Browser tests of the log verified in the browser (issue 11, point 3) and the item page's
//! timeline: the regulator follows an alert to an item whose every step the page verifies
//! itself (inclusion proofs, checkpoint signature, device and label signatures); a served
//! proof changed by one byte shows as a failure; a checkpoint that is not consistent with the
//! one the browser kept shows the split view; the log page's range audit, in a Web Worker,
//! passes on a clean log and fails on a tampered one, and prints its rate.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection};
use serde_json::{json, Value};
use tempfile::TempDir;

use super::cdp::{js, Browser};
use super::common::cast::Cast;
use super::common::custody::Fleet;
use super::common::{self, TestApp, YUNAN};
use super::{block_on, log_in, shoot, with_browser};

/// How long the browser may take to verify (debug service, shared machine).
const VERIFY_WITHIN: Duration = Duration::from_secs(90);

/// A small district's story: a drum weighed 20 % light at Yunan's gate (a weight discrepancy
/// alert), another received whole and incinerated. Answers (light drum, burnt drum).
async fn story(app: &TestApp) -> (String, String) {
    let cast = Cast::on(app)
        .generator("shop", "91500110MA6BRG001")
        .transporter(
            "carrier",
            "91500110MA6BRT001",
            Fleet::van("渝D77777", "500110199207071234"),
        )
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let (light, burnt) = cast.light_and_burnt(false).await;
    (light, burnt)
}

/// Waits until the item page's verification has finished; answers its state.
fn verified_state(b: &mut Browser) -> String {
    b.wait_for_within(
        "document.body.dataset.ready === 'item' && ['verified', 'failed', 'split'].includes(document.querySelector('#item-verify')?.dataset.state)",
        "the item page's verification to finish",
        VERIFY_WITHIN,
    );
    b.eval("document.querySelector('#item-verify').dataset.state")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Each step of the history as the page judged it: (index, verified, failed checks).
fn steps(b: &mut Browser) -> Vec<(u64, String, String)> {
    let v = b.eval(
        "[...document.querySelectorAll('#item-history li.history-entry')].map((li) =>
            [Number(li.dataset.index), li.dataset.verified || '', li.dataset.failed || ''])",
    );
    serde_json::from_value(v).expect("steps")
}

/// A service on a copy of `db` (with its key directory), which an intruder then changes by
/// `change` under the running service (a database changed while stopped does not start: the
/// start-up check refuses it, `tests/tamper.rs`).
async fn tampered_while_running(db: &Path, change: impl FnOnce(&Connection)) -> (TempDir, common::TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("hwtrace.db");
    copy_db(db, &copy);
    let app = common::spawn_app_at(&copy).await;
    let conn = Connection::open(&copy).unwrap();
    change(&conn);
    drop(conn);
    (dir, app)
}

/// Copies a stopped service's database: its file, its write-ahead log if any, and its keys.
fn copy_db(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    let wal = |p: &Path| PathBuf::from(format!("{}-wal", p.display()));
    if wal(from).exists() {
        std::fs::copy(wal(from), wal(to)).unwrap();
    }
    let keys = hwtrace::log::serverkeys::key_dir(to);
    std::fs::create_dir_all(&keys).unwrap();
    // The service refuses a key directory group or others could read.
    std::fs::set_permissions(&keys, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    for e in std::fs::read_dir(hwtrace::log::serverkeys::key_dir(from)).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), keys.join(e.file_name())).unwrap();
    }
}

/// Another byte in place of the one at `at`.
fn one_byte_changed(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] = if out[at] == b'A' { b'B' } else { b'A' };
    out
}

/// Scenario: the regulator opens the alert of the light drum, follows its link to the item,
/// and the page verifies every step in the browser: each entry included in the signed
/// checkpoint, each device signature by a key registered in the log, the label's signature.
/// The timeline says who signed each step on which device, the weighing's difference and the
/// manifest's legs. The checkpoint is kept in IndexedDB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_regulator_follows_an_alert_to_an_item_verified_in_the_browser() {
    let app = common::spawn_app().await;
    let (light, _) = story(&app).await;
    app.user("reg-li", "regulator", None, Some("wansheng")).await;
    let admin = app.login("admin").await;
    let history = admin.get_ok(&format!("/api/v1/items/{light}/history")).await;
    let indices: Vec<u64> = history["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    let alert = admin
        .get_ok("/api/v1/alerts?rule=weight_discrepancy")
        .await
        .as_array()
        .and_then(|a| a.iter().find(|a| a["subject"] == json!(light)).cloned())
        .expect("a discrepancy alert for the light drum");
    let alert_id = alert["id"].as_i64().expect("id").to_string();

    with_browser(app, move |app, b| {
        log_in(b, &app.base, "reg-li", "regulator", "alerts");
        let link = format!(
            "#alert-list tr[data-id={}] a.item-link[data-code={}]",
            js(&alert_id),
            js(&light)
        );
        // The alert links the item (in its subject and in its words): follow the first link.
        assert!(b.count(&link) >= 1, "the alert does not link to the item");
        b.click(&link);
        assert_eq!(verified_state(b), "verified", "{}", b.text("#item-verify"));
        assert_eq!(b.eval("location.hash"), json!(format!("#/items/{light}")));

        // Every step of the API's history, each with a green tick.
        let seen = steps(b);
        assert_eq!(
            seen.iter().map(|s| s.0).collect::<Vec<_>>(),
            indices,
            "the steps are not the history's"
        );
        for (index, verdict, failed) in &seen {
            assert_eq!(verdict, "ok", "step {index} not verified: {failed}");
        }
        assert_eq!(b.count("#item-history .verdict.ok"), indices.len());
        assert_eq!(b.count("#item-history .verdict.failed"), 0);
        // The generate entry's label and its signer's key, checked.
        let first = indices[0];
        assert_eq!(
            b.eval(&format!(
                "document.querySelector('li[data-index=\"{first}\"]').dataset.label"
            )),
            json!("ok")
        );
        let keys = b.eval(&format!(
            "document.querySelector('li[data-index=\"{first}\"] .signer').dataset.keysVerified"
        ));
        assert!(
            keys.as_str()
                .is_some_and(|k| k.ends_with(":ok") && !k.contains("unknown")),
            "{keys}"
        );
        // The checkpoint decoded and kept in this browser.
        assert_eq!(
            b.eval("document.querySelector('#item-checkpoint').dataset.size"),
            json!(history["size"].to_string())
        );
        assert_eq!(
            b.eval("document.querySelector('#cp-kept').dataset.kept"),
            json!("first")
        );
        let kept = b.idb_records("hwtrace-log", "checkpoints");
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(kept[0]["value"]["size"], history["size"], "{kept:?}");

        // The timeline: the weighing 20 kg light, the manifest's legs, who signed on which device.
        assert_eq!(
            b.count("#item-history .weigh-diff[data-diff='-20000']"),
            1,
            "no difference at the weighing"
        );
        let diff = b.text("#item-history .weigh-diff");
        assert!(
            diff.as_str()
                .is_some_and(|d| d.contains("20 kg") && d.contains("20.0%")),
            "{diff}"
        );
        assert_eq!(
            b.count("#item-history li[data-type='manifest_open'] .legs[data-legs='1']"),
            1,
            "no manifest legs"
        );
        assert!(b
            .text("#item-history li[data-type='manifest_open'] .legs")
            .as_str()
            .unwrap()
            .contains("91500110MA6BRT001"));
        assert_eq!(b.count("#item-history .signer[data-device]"), indices.len());
        shoot(b, "item-verified-desktop");
        b.eval("document.querySelector('#item-history').scrollIntoView()");
        shoot(b, "item-verified-timeline-desktop");
        b.phone();
        b.reload("item");
        assert_eq!(verified_state(b), "verified");
        assert_eq!(
            b.eval("document.querySelector('#cp-kept').dataset.kept"),
            json!("consistent")
        );
        shoot(b, "item-verified-phone");
        b.eval("document.querySelector('#item-history li[data-type=\"weigh\"]').scrollIntoView()");
        shoot(b, "item-verified-timeline-phone");

        // In English: the verdicts in words.
        b.click("#lang-toggle");
        b.wait_for("document.documentElement.lang === 'en'", "the English page");
        assert_eq!(verified_state(b), "verified");
        let summary = b.text("#item-verify-summary");
        assert!(
            summary.as_str().is_some_and(|s| s.contains("Verified in this browser")
                && s.contains(&format!("all {} steps verified", indices.len()))),
            "{summary}"
        );
    })
    .await;
}

/// Scenario: the service serves a copy of the database in which one byte of one hash of a
/// proof was changed (the leaf hash of the entry beside the burnt drum's generation, which is
/// the first hash of that entry's inclusion proof). The item page shows that step failed. In
/// the same copy one byte of the light drum's label signature in its generation entry was
/// changed: that step fails its inclusion proof and its label, and the next one its `prev`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proof_changed_by_one_byte_shows_as_failed_on_the_item_page() {
    let (app, db) = common::spawn_app_with_db().await;
    let (light, burnt) = story(&app).await;
    let admin = app.login("admin").await;
    let clean = admin.get_ok(&format!("/api/v1/items/{burnt}/history")).await;
    let light_history = admin.get_ok(&format!("/api/v1/items/{light}/history")).await;
    let light_steps: Vec<u64> = light_history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    let size = clean["size"].as_u64().unwrap();
    let generated = clean["entries"][0]["index"].as_u64().unwrap();
    let sibling = generated ^ 1;
    assert!(sibling < size);
    app.stop().await;
    let (_dir, app) = tampered_while_running(&db, |c| {
        let leaf: Vec<u8> = c
            .query_row(
                "SELECT leaf_hash FROM log_entries WHERE seq = ?1",
                [sibling as i64],
                |r| r.get(0),
            )
            .unwrap();
        c.execute(
            "UPDATE log_entries SET leaf_hash = ?1 WHERE seq = ?2",
            params![one_byte_changed(&leaf, 7), sibling as i64],
        )
        .unwrap();
        let bytes: Vec<u8> = c
            .query_row(
                "SELECT bytes FROM log_entries WHERE seq = ?1",
                [light_steps[0] as i64],
                |r| r.get(0),
            )
            .unwrap();
        // In the label's signature (base64 characters 80-168 of the label).
        let at = String::from_utf8_lossy(&bytes).find("\"label\":\"").unwrap() + 9 + 120;
        c.execute(
            "UPDATE log_entries SET bytes = ?1 WHERE seq = ?2",
            params![one_byte_changed(&bytes, at), light_steps[0] as i64],
        )
        .unwrap();
    })
    .await;
    let served = app
        .login("admin")
        .await
        .get_ok(&format!("/api/v1/items/{burnt}/history"))
        .await;
    assert_ne!(
        served["entries"][0]["inclusion_proof"][0], clean["entries"][0]["inclusion_proof"][0],
        "the tampering did not change the served proof"
    );
    assert_eq!(served["entries"][0]["entry"], clean["entries"][0]["entry"]);

    with_browser(app, move |app, b| {
        log_in(b, &app.base, "admin", "admin", "enterprises");
        b.open(&format!("{}/#/items/{burnt}", app.base), "item");
        assert_eq!(verified_state(b), "failed");
        for (index, verdict, failed) in steps(b) {
            if index == generated {
                assert_eq!(
                    (verdict.as_str(), failed.as_str()),
                    ("failed", "inclusion"),
                    "step {index}"
                );
            } else {
                assert_eq!(verdict, "ok", "step {index}: {failed}");
            }
        }
        let text = b.text(&format!("li[data-index=\"{generated}\"] .verdict"));
        assert!(text.as_str().is_some_and(|t| t.contains("包含证明不成立")), "{text}");
        assert_eq!(
            b.eval("document.querySelector('#item-verify-verdict').dataset.verified"),
            json!("failed")
        );
        shoot(b, "item-verified-failed-desktop");

        b.open(&format!("{}/#/items/{light}", app.base), "item");
        assert_eq!(verified_state(b), "failed");
        let seen = steps(b);
        assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), light_steps);
        assert_eq!(
            (seen[0].1.as_str(), seen[0].2.as_str()),
            ("failed", "inclusion label"),
            "{seen:?}"
        );
        assert_eq!((seen[1].1.as_str(), seen[1].2.as_str()), ("failed", "prev"), "{seen:?}");
        assert!(seen[2..].iter().all(|s| s.1 == "ok"), "{seen:?}");
        assert_eq!(
            b.eval(&format!(
                "document.querySelector('li[data-index=\"{}\"]').dataset.label",
                light_steps[0]
            )),
            json!("failed")
        );
    })
    .await;
}

/// Registers a new device key for the seeded Yunan facility: one more `key` entry in the log.
async fn grow(app: &TestApp, name: &str) {
    let d = hwtrace::client::Device::generate(YUNAN, name);
    app.login("admin").await.register_device(&d).await;
}

/// Scenario: two services sign two different histories under one log key (a copy of the
/// database taken at one point, each then logging other entries) and are served one after the
/// other at the same address. The browser keeps the first checkpoint it verified, accepts a
/// later one of the same history (consistency proof checked), and shows the other history's
/// checkpoint as a split view on the log page and on the item page, keeping its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkpoint_of_another_history_is_shown_as_a_split_view() {
    let (first, db) = common::spawn_app_with_db().await;
    let (_, burnt) = story(&first).await;
    first.stop().await;
    let fork_dir = tempfile::tempdir().unwrap();
    let fork = fork_dir.path().join("hwtrace.db");
    copy_db(&db, &fork);
    let holder = common::spawn_app().await;

    with_browser(holder, move |_, b| {
        let a = block_on(common::spawn_app_at(&db));
        let addr = a.addr;
        let base = a.base.clone();
        block_on(grow(&a, "fork-a1"));
        b.open(&format!("{base}/#/log"), "log");
        assert_eq!(
            b.eval("document.querySelector('#log-page').dataset.state"),
            json!("verified")
        );
        let kept_size = block_on(a.log_size());
        assert_eq!(
            b.eval("document.querySelector('#log-checkpoint').dataset.size"),
            json!(kept_size.to_string())
        );
        assert_eq!(
            b.eval("document.querySelector('#log-latest').dataset.verified"),
            json!("ok")
        );

        // The same history, grown: consistent, and the newer checkpoint is kept.
        block_on(grow(&a, "fork-a2"));
        let kept_size = block_on(a.log_size());
        b.reload("log");
        assert_eq!(
            b.eval("document.querySelector('#log-page').dataset.state"),
            json!("verified")
        );
        assert_eq!(
            b.eval("document.querySelector('#cp-kept').dataset.kept"),
            json!("consistent")
        );
        assert_eq!(
            b.idb_records("hwtrace-log", "checkpoints")[0]["value"]["size"],
            json!(kept_size)
        );
        shoot(b, "log-desktop");
        block_on(a.stop());

        // Another history under the same key, at the same address, and longer.
        let other = block_on(common::spawn_app_on(&fork, addr));
        for name in ["fork-b1", "fork-b2", "fork-b3", "fork-b4"] {
            block_on(grow(&other, name));
        }
        let served = block_on(other.log_size());
        assert!(served > kept_size);
        b.reload("log");
        assert_eq!(
            b.eval("document.querySelector('#log-page').dataset.state"),
            json!("split")
        );
        assert_eq!(
            b.eval("document.querySelector('#split-view').dataset.kept"),
            json!(kept_size.to_string())
        );
        assert_eq!(
            b.eval("document.querySelector('#split-view').dataset.served"),
            json!(served.to_string())
        );
        assert_eq!(b.count("#audit-run"), 0, "an audit is offered on a split log");
        assert_eq!(
            b.idb_records("hwtrace-log", "checkpoints")[0]["value"]["size"],
            json!(kept_size),
            "the kept checkpoint was replaced"
        );
        shoot(b, "log-split-desktop");
        b.phone();
        b.reload("log");
        shoot(b, "log-split-phone");
        b.desktop(1366, 900);

        // The item page too.
        log_in(b, &other.base, "admin", "admin", "enterprises");
        b.open(&format!("{}/#/items/{burnt}", other.base), "item");
        assert_eq!(verified_state(b), "split");
        assert_eq!(b.count("#item-verify #split-view"), 1);
        assert!(
            steps(b).iter().all(|s| s.1 == "failed" && s.2 == "split"),
            "a step of a split history is ticked"
        );
        shoot(b, "item-verified-split-desktop");
        block_on(other.stop());
    })
    .await;
}

/// Runs the log page's range audit over entries `range` (the whole log when None); answers
/// `#audit-result`'s dataset.
fn run_audit(b: &mut Browser, base: &str, range: Option<(u64, u64)>) -> Value {
    b.open(&format!("{base}/#/log"), "log");
    if let Some((start, end)) = range {
        b.type_into("#audit-start", &start.to_string());
        b.type_into("#audit-end", &end.to_string());
    }
    b.click("#audit-run");
    b.wait_for_within(
        "['passed', 'failed'].includes(document.querySelector('#audit-result').dataset.state)",
        "the range audit to finish",
        Duration::from_secs(300),
    );
    b.eval("({...document.querySelector('#audit-result').dataset, progress: document.querySelector('#audit-progress').value, max: document.querySelector('#audit-progress').max})")
}

/// Scenario: the range audit in the browser's Web Worker passes on the story's clean log (every
/// leaf hash and the root recomputed, every signature checked, the progress bar full) and
/// fails on a copy where one byte of an entry's signature was changed. Prints the rate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_range_audit_in_the_browser_passes_on_a_clean_log_and_fails_on_a_tampered_one() {
    let (app, db) = common::spawn_app_with_db().await;
    let (_, burnt) = story(&app).await;
    let size = app.log_size().await;
    let generated = app
        .login("admin")
        .await
        .get_ok(&format!("/api/v1/items/{burnt}/history"))
        .await["entries"][0]["index"]
        .as_u64()
        .unwrap();
    with_browser(app, move |app, b| {
        let result = run_audit(b, &app.base, None);
        assert_eq!(result["state"], "passed", "{result}");
        assert_eq!(result["hashed"], json!(size.to_string()), "{result}");
        assert_eq!(result["checked"], json!(size.to_string()), "{result}");
        assert_eq!(result["progress"].as_f64(), Some(size as f64), "{result}");
        println!(
            "benchmark: in-browser range audit, clean log of {size} entries: {} entries/s",
            result["rate"].as_str().unwrap()
        );
        shoot(b, "log-audit-desktop");
        // A range inside the log: entries 0..8 hashed and proved a prefix of the checkpoint's
        // tree by a consistency proof, entries 3..8 judged.
        let part = run_audit(b, &app.base, Some((3, 8)));
        assert_eq!(part["state"], "passed", "{part}");
        assert_eq!(
            (part["checked"].as_str(), part["hashed"].as_str()),
            (Some("5"), Some("8")),
            "{part}"
        );
        b.phone();
        b.reload("log");
        shoot(b, "log-phone");
    })
    .await;

    let (_dir, app) = tampered_while_running(&db, |c| {
        let bytes: Vec<u8> = c
            .query_row(
                "SELECT bytes FROM log_entries WHERE seq = ?1",
                [generated as i64],
                |r| r.get(0),
            )
            .unwrap();
        let at = String::from_utf8_lossy(&bytes).find("\"sig\":\"").unwrap() + 7 + 10;
        c.execute(
            "UPDATE log_entries SET bytes = ?1 WHERE seq = ?2",
            params![one_byte_changed(&bytes, at), generated as i64],
        )
        .unwrap();
    })
    .await;
    with_browser(app, move |app, b| {
        let result = run_audit(b, &app.base, None);
        assert_eq!(result["state"], "failed", "{result}");
        let findings = result["findings"].as_str().unwrap_or_default().to_owned();
        assert!(findings.contains(&format!("{generated}:signature")), "{findings}");
        assert!(findings.contains("tree:root"), "{findings}");
        println!(
            "benchmark: in-browser range audit, tampered log: {} entries/s",
            result["rate"].as_str().unwrap()
        );
        shoot(b, "log-audit-failed-desktop");
        // A range that ends before the changed entry passes; one that starts after it still
        // fails: on the recomputed root (every entry from 0 is hashed), and on the next entry
        // of the drum, whose `prev` names the entry's hash as it was logged.
        let before = run_audit(b, &app.base, Some((0, generated)));
        assert_eq!(before["state"], "passed", "{before}");
        let after = run_audit(b, &app.base, Some((generated + 1, size)));
        assert_eq!(after["state"], "failed", "{after}");
        let findings = after["findings"].as_str().unwrap_or_default();
        assert!(findings.contains("tree:root") && findings.contains(":prev"), "{after}");
        assert!(!findings.contains(&format!("{generated}:")), "{after}");
    })
    .await;
}

/// Every JSON case under `dir` (recursively), as (file, case).
fn cases(dir: &Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(cases(&p));
        } else if p.extension().is_some_and(|x| x == "json") {
            let case = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            out.push((p.display().to_string(), case));
        }
    }
    out
}

/// The browser's verifier (web/js/core/verify.js, in Chromium's WebCrypto) against the fixed
/// vectors: every RFC 6962 / 9162 inclusion and consistency case of the Merkle vectors
/// (each `wantErr` case refused), and SPEC v1's key IDs, checkpoint signature, leaf hashes,
/// root, DSSE signature and label signature, each also refused with one byte changed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browsers_verifier_agrees_with_the_spec_and_merkle_vectors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let inclusion = cases(&root.join("merkle/inclusion"));
    let consistency = cases(&root.join("merkle/consistency"));
    assert!(inclusion.len() > 20 && consistency.len() > 20);
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(root.join("spec-v1.json")).unwrap()).unwrap();
    let app = common::spawn_app().await;
    with_browser(app, move |app, b| {
        b.open(&format!("{}/#/", app.base), "home");
        let wrong = b.eval(&format!(
            "(async () => {{
               const v = await import('/js/core/verify.js');
               const B = (s) => {{ try {{ return Uint8Array.from(atob(s || ''), (c) => c.charCodeAt(0)); }} catch {{ return new Uint8Array(); }} }};
               const H = (s) => Uint8Array.from(s.match(/../g), (x) => parseInt(x, 16));
               const wrong = [];
               for (const [file, c] of {inc}) {{
                 const ok = await v.verifyInclusion(c.leafIdx, c.treeSize, B(c.leafHash), (c.proof || []).map(B), B(c.root));
                 if (ok === c.wantErr) wrong.push(file);
               }}
               for (const [file, c] of {con}) {{
                 const ok = await v.verifyConsistency(c.size1, c.size2, B(c.root1), B(c.root2), (c.proof || []).map(B));
                 if (ok === c.wantErr) wrong.push(file);
               }}
               const s = {spec};
               const keys = {{}};
               for (const [role, k] of Object.entries(s.keys)) {{
                 keys[role] = await v.parseVkey(k.vkey);
                 if (keys[role]?.keyId !== k.key_id) wrong.push(`key ${{role}}`);
               }}
               if (await v.parseVkey(s.keys.log.vkey.replace(s.keys.log.key_id, '00000000'))) wrong.push('a wrong key id accepted');
               const enc = new TextEncoder();
               const leaves = [];
               for (const e of s.log.entries) leaves.push(await v.leafHash(enc.encode(e)));
               if (leaves.map(v.hex).join() !== s.log.leaf_hashes_hex.join()) wrong.push('leaf hashes');
               if (v.hex(await v.rootOf(leaves)) !== s.log.root_hex) wrong.push('root');
               const tree = new v.TreeBuilder();
               for (const l of leaves) await tree.push(l);
               if (v.hex(await tree.root()) !== s.log.root_hex) wrong.push('tree builder root');
               const many = await Promise.all(Array.from({{ length: 2500 }}, (_, i) => v.sha256(enc.encode(String(i)))));
               const blocks = new v.TreeBuilder();
               await blocks.pushBlock(many.slice(0, 1024));
               await blocks.pushBlock(many.slice(1024, 2048));
               for (const l of many.slice(2048)) await blocks.push(l);
               if (blocks.size !== 2500 || v.hex(await blocks.root()) !== v.hex(await v.rootOf(many))) wrong.push('block builder root');
               if (!(await v.verifyCheckpoint(s.log.checkpoint, [keys.log])).ok) wrong.push('checkpoint');
               const bent = s.log.checkpoint.replace('\\n' + s.log.entries.length + '\\n', '\\n' + (s.log.entries.length + 1) + '\\n');
               if ((await v.verifyCheckpoint(bent, [keys.log])).ok) wrong.push('a changed checkpoint accepted');
               if ((await v.verifyCheckpoint(s.log.checkpoint, [keys.label])).ok) wrong.push('a checkpoint by another key accepted');
               const byId = (id) => Object.values(keys).find((k) => k.keyId === id) || null;
               if (v.hex(v.pae(s.dsse.envelope.payloadType, enc.encode(s.dsse.payload_utf8))) !== s.dsse.pae_hex) wrong.push('pae');
               if (!(await v.verifyEnvelope(s.dsse.envelope, byId)).every((x) => x.ok)) wrong.push('envelope');
               const sig = B(s.dsse.envelope.signatures[0].sig); sig[5] ^= 1;
               const forged = {{ ...s.dsse.envelope, signatures: [{{ keyid: s.dsse.envelope.signatures[0].keyid, sig: btoa(String.fromCharCode(...sig)) }}] }};
               if ((await v.verifyEnvelope(forged, byId)).some((x) => x.ok)) wrong.push('a forged envelope accepted');
               const label = btoa(String.fromCharCode(...H(s.label.payload_hex), ...H(s.label.sig_hex)));
               if (!(await v.verifyLabelB64(label, byId)).ok) wrong.push('label');
               const bad = H(s.label.payload_hex); bad[45] ^= 1;
               const badLabel = btoa(String.fromCharCode(...bad, ...H(s.label.sig_hex)));
               if ((await v.verifyLabelB64(badLabel, byId)).ok) wrong.push('a changed label accepted');
               return {{ wrong, checked: {n} }};
             }})()",
            inc = serde_json::to_string(&inclusion).unwrap(),
            con = serde_json::to_string(&consistency).unwrap(),
            spec = spec,
            n = inclusion.len() + consistency.len(),
        ));
        assert_eq!(wrong["wrong"], json!([]), "{wrong}");
    })
    .await;
}
