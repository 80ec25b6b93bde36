//! Crash safety of the real binary: `hwtrace serve` runs under a load of signed events from
//! several devices and is killed with SIGKILL at random moments, then restarted, at least 30
//! times. Afterwards every acknowledged entry is in the log at its index with the same bytes,
//! every checkpoint handed out before a kill is a prefix of the final log (same root), no item
//! code was issued twice, and the audit passes.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use common::cast::Cast;
use common::spawn_app_at;
use hwtrace::client::{generate_fields, Device};
use hwtrace::crypto::merkle::CompactRange;
use serde_json::Value;

/// SIGKILLs per run.
const KILLS: usize = 32;
const SENDERS: usize = 4;

fn serve(db: &Path) -> (Child, String) {
    common::binary::serve(db, |_| {})
}

/// What a device was told: the receipt of an acknowledged event.
struct Ack {
    index: u64,
    entry: String,
    item: String,
    checkpoint: String,
}

/// A small deterministic generator (SplitMix64) for the kill moments.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % n
    }
}

/// One device sends `generate` events one after another until the server stops answering;
/// answers the receipts it got.
async fn send_until_killed(base: &str, device: &Device, waste: &'static str) -> Vec<Ack> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut acks = Vec::new();
    loop {
        let env = device.sign_event(
            "generate",
            &common::now_cst(),
            generate_fields(waste, 12_000, "solid", &["T"], 30),
        );
        let answer = http.post(format!("{base}/api/v1/events")).json(&env).send().await;
        let Ok(answer) = answer else { return acks };
        if answer.status() != reqwest::StatusCode::CREATED {
            let status = answer.status();
            let body = answer.text().await.unwrap_or_default();
            assert!(status.is_server_error() || body.is_empty(), "refused: {status} {body}");
            return acks;
        }
        let Ok(receipt) = answer.json::<Value>().await else {
            return acks;
        };
        acks.push(Ack {
            index: receipt["index"].as_u64().unwrap(),
            entry: receipt["entry"].as_str().unwrap().to_owned(),
            item: receipt["item_code"].as_str().unwrap().to_owned(),
            checkpoint: receipt["checkpoint"].as_str().unwrap().to_owned(),
        });
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_entries_survive_sigkill_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hwtrace.db");
    // Four generators, each with a device, registered through the API.
    let app = spawn_app_at(&db).await;
    let cast = Cast::on(&app)
        .generator("g0", "91500110MA6CRA001")
        .generator("g1", "91500110MA6CRB001")
        .generator("g2", "91500110MA6CRC001")
        .generator("g3", "91500110MA6CRD001")
        .build()
        .await;
    let devices: Vec<&Device> = (0..SENDERS).map(|i| &cast[&format!("g{i}")].device).collect();
    app.stop().await; // the binary takes the database's lock from here on

    let mut rng = Rng(7);
    let mut acks: Vec<Ack> = Vec::new();
    let started = Instant::now();
    for round in 0..KILLS {
        let (mut child, base) = serve(&db);
        let wait = Duration::from_millis(20 + rng.below(400));
        let killer = async {
            // Kill at a random moment: early (start-up, first batches) or under full load.
            tokio::time::sleep(wait).await;
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        };
        let send = |i: usize| send_until_killed(&base, devices[i], ["900-249-08", "900-252-12"][i % 2]);
        let ((), a, b, c, d) = tokio::join!(killer, send(0), send(1), send(2), send(3));
        for got in [a, b, c, d] {
            acks.extend(got);
        }
        assert!(
            round < 3 || !acks.is_empty(),
            "nothing acknowledged after {round} rounds"
        );
    }

    // The last start: the database opens (the start-up checks pass) and is audited.
    let (mut child, base) = serve(&db);
    let size: u64 = reqwest::get(format!("{base}/log/checkpoint"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();

    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut stmt = conn
        .prepare("SELECT seq, bytes, leaf_hash FROM log_entries ORDER BY seq")
        .unwrap();
    let stored: Vec<(u64, Vec<u8>, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(stored.len() as u64, size);
    // Every acknowledged entry at its index, byte for byte; no index acknowledged twice.
    let mut seen = BTreeMap::new();
    for a in &acks {
        let (_, bytes, _) = &stored[a.index as usize];
        assert_eq!(bytes, a.entry.as_bytes(), "entry {} changed after a kill", a.index);
        assert!(
            seen.insert(a.index, &a.item).is_none(),
            "index {} acknowledged twice",
            a.index
        );
    }
    // No item code issued twice.
    let codes: HashSet<&str> = acks.iter().map(|a| a.item.as_str()).collect();
    assert_eq!(codes.len(), acks.len(), "an item code was issued twice");
    let rows: i64 = conn
        .query_row("SELECT count(DISTINCT code) FROM items", [], |r| r.get(0))
        .unwrap();
    assert!(rows as usize >= codes.len());
    // Every checkpoint handed out is a prefix of the final log: the root of its first entries.
    let mut roots = BTreeMap::new();
    let mut tree = CompactRange::default();
    for (_, _, leaf) in &stored {
        tree.append(leaf.as_slice().try_into().unwrap());
        roots.insert(tree.size(), tree.root());
    }
    let mut checkpoints = HashSet::new();
    for a in &acks {
        let mut lines = a.checkpoint.lines().skip(1);
        let cp_size: u64 = lines.next().unwrap().parse().unwrap();
        let cp_root = hwtrace::crypto::merkle::hash_from_b64(lines.next().unwrap()).unwrap();
        assert_eq!(
            roots.get(&cp_size),
            Some(&cp_root),
            "checkpoint of size {cp_size} was forked"
        );
        checkpoints.insert(cp_size);
    }
    drop(stmt);
    drop(conn);
    let report = common::audit_clean(&db).await;
    println!(
        "crash: kills={KILLS} acknowledged={} lost=0 checkpoints_checked={} entries={size} audited={} seconds={:.1}",
        acks.len(),
        checkpoints.len(),
        report.entries_checked,
        started.elapsed().as_secs_f64()
    );
}
