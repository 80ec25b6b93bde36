//! `hwtrace bench`: programs that measure and print figures (never asserted in tests).
//!
//! Each run starts the real service in-process on a fresh temporary database, registers a
//! generator and its devices, signs every envelope before the clock starts, and then submits
//! them over HTTP from concurrent clients, exactly as phones would.
//! - `append`: durable signed events per second with group commit, and with one commit per
//!   event, on the same workload.
//! - `labels`: label issuance (generate + signed label + the QR code rendered as SVG) per second.
//! - `verify`: Ed25519 verifications per second on one core, the ceiling for signed events.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::ValueEnum;
use serde_json::Value;

use crate::client::{generate_fields, Device};
use crate::config::Config;
use crate::crypto::dsse::Envelope;
use crate::http::server;
use crate::service::registry::{self, NewDevice, NewEnterprise};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Which {
    Append,
    Labels,
    Verify,
    Audit,
}

/// Item codes allow 999 serials per unit, waste code and day: the benchmark spreads its
/// containers over these codes (all in the 2021 list) so that a run can exceed 999.
const BENCH_CODES: [&str; 20] = [
    "900-002-03",
    "900-003-04",
    "900-004-05",
    "900-005-09",
    "900-006-09",
    "900-007-09",
    "900-008-10",
    "900-009-10",
    "900-010-10",
    "900-011-10",
    "900-013-11",
    "900-014-13",
    "900-015-13",
    "900-016-13",
    "900-017-14",
    "900-019-16",
    "900-020-19",
    "900-021-23",
    "900-022-29",
    "900-023-29",
];

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(value_enum)]
    pub what: Which,
    /// Events to submit (or verifications to run).
    #[arg(long, default_value_t = 5000)]
    pub n: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Keep the benchmark's database at this path (e.g. to time `hwtrace audit --db` on it).
    #[arg(long)]
    pub keep_db: Option<PathBuf>,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        Which::Verify => verify_rate(args.n),
        Which::Append => {
            let group = submit_run(&args, crate::store::MAX_BATCH_JOBS, false, args.keep_db.clone()).await?;
            println!("append, group commit:         {group}");
            let single = submit_run(&args, 1, false, None).await?;
            println!("append, one commit per event: {single}");
            Ok(())
        }
        Which::Audit => audit_rate(&args).await,
        Which::Labels => {
            let r = submit_run(&args, crate::store::MAX_BATCH_JOBS, true, args.keep_db.clone()).await?;
            println!("label issuance (generate + signed label + QR SVG): {r}");
            Ok(())
        }
    }
}

struct RunResult {
    n: usize,
    seconds: f64,
    checkpoints: u64,
    entries: u64,
}

impl std::fmt::Display for RunResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} events in {:.2} s = {:.0}/s; {} checkpoints signed (on average {:.1} entries per commit); log size {}",
            self.n,
            self.seconds,
            self.n as f64 / self.seconds,
            self.checkpoints,
            self.entries as f64 / self.checkpoints.max(1) as f64,
            self.entries
        )
    }
}

/// Builds a log of `n` events, then audits it from the database and over HTTP.
async fn audit_rate(args: &BenchArgs) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = args.keep_db.clone().unwrap_or_else(|| dir.path().join("bench.db"));
    let (built, base) = submit_run_serving(args, crate::store::MAX_BATCH_JOBS, false, db.clone()).await?;
    println!("built: {built}");
    let report = crate::audit::run(crate::audit::AuditArgs::db(&db)).await?;
    anyhow::ensure!(report.ok(), "the audit failed: {report}");
    let s = report.seconds;
    println!(
        "audit --db:  {} entries in {s:.2} s = {:.0} entries/s",
        report.entries_checked,
        report.entries_checked as f64 / s
    );
    let vkey = std::fs::read_to_string(crate::log::serverkeys::key_dir(&db).join("log.vkey"))?;
    let report = crate::audit::run(crate::audit::AuditArgs::url(&base, vkey.trim())).await?;
    anyhow::ensure!(report.ok(), "the audit failed: {report}");
    let s = report.seconds;
    println!(
        "audit --url: {} entries in {s:.2} s = {:.0} entries/s",
        report.entries_checked,
        report.entries_checked as f64 / s
    );
    Ok(())
}

fn verify_rate(n: usize) -> anyhow::Result<()> {
    let d = Device::generate(&bench_generator(0), "bench");
    let env = d.sign_event(
        "generate",
        "2026-11-28T09:30:00+08:00",
        generate_fields("900-249-08", 1000, "solid", &["T"], 20),
    );
    let key = d.verifier_key().public_key;
    let start = Instant::now();
    for _ in 0..n {
        env.verify(|_| Some(key)).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let s = start.elapsed().as_secs_f64();
    println!(
        "envelope verification (DSSE PAE + Ed25519 verify_strict), one core: {n} in {s:.2} s = {:.0}/s",
        n as f64 / s
    );
    Ok(())
}

/// Runs one submission benchmark and reports it.
async fn submit_run(
    args: &BenchArgs,
    max_batch: usize,
    render_svg: bool,
    keep: Option<PathBuf>,
) -> anyhow::Result<RunResult> {
    let dir = tempfile::tempdir()?;
    let db = keep.unwrap_or_else(|| dir.path().join("bench.db"));
    Ok(submit_run_serving(args, max_batch, render_svg, db).await?.0)
}

/// Like [`submit_run`], leaving the service running; also answers its base URL.
async fn submit_run_serving(
    args: &BenchArgs,
    max_batch: usize,
    render_svg: bool,
    db: PathBuf,
) -> anyhow::Result<(RunResult, String)> {
    let config = Config {
        listen: "127.0.0.1:0".parse()?,
        max_batch_jobs: max_batch,
        ..Config::with_db(db)
    };
    let (listener, state) = server::bind(config).await?;
    let base = format!("http://{}", listener.local_addr()?);
    let devices = register_devices(&state, args.clients).await?;
    let serving = state.clone();
    tokio::spawn(async move { server::serve(listener, serving, std::future::pending()).await });

    let now = chrono::Utc::now().with_timezone(&crate::time::cst()).to_rfc3339();
    let queues: Vec<Vec<Envelope>> = devices
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let share = args.n / devices.len() + usize::from(i < args.n % devices.len());
            (0..share)
                .map(|k| {
                    let code = BENCH_CODES[(i + k * devices.len()) % BENCH_CODES.len()];
                    d.sign_event("generate", &now, generate_fields(code, 185_500, "solid", &["T"], 200))
                })
                .collect()
        })
        .collect();
    let before = state.log.latest().map_or(0, |c| c.size);
    let http = reqwest::Client::new();
    let start = Instant::now();
    let tasks: Vec<_> = queues
        .into_iter()
        .map(|queue| {
            let (http, base) = (http.clone(), base.clone());
            tokio::spawn(async move { submit_queue(http, base, queue, render_svg).await })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    let seconds = start.elapsed().as_secs_f64();
    let after = state.log.latest().map_or(0, |c| c.size);
    let checkpoints = state
        .db
        .read(move |conn| {
            Ok(conn.query_row(
                "SELECT count(*) FROM checkpoints WHERE size > ?1",
                [before as i64],
                |r| r.get::<_, i64>(0),
            )?)
        })
        .await? as u64;
    Ok((
        RunResult {
            n: args.n,
            seconds,
            checkpoints,
            entries: after - before,
        },
        base,
    ))
}

async fn submit_queue(
    http: reqwest::Client,
    base: String,
    queue: Vec<Envelope>,
    render_svg: bool,
) -> anyhow::Result<()> {
    for env in queue {
        let resp = http.post(format!("{base}/api/v1/events")).json(&env).send().await?;
        let status = resp.status();
        let body: Value = resp.json().await?;
        anyhow::ensure!(status.is_success(), "event refused: {body}");
        if render_svg {
            let qr = body["label"]["qr_text"]
                .as_str()
                .context("receipt without a label")?
                .to_owned();
            tokio::task::spawn_blocking(move || crate::render::qr::qr_svg(&qr, 4)).await??;
        }
    }
    Ok(())
}

/// The synthetic generator of bench client `i`: one enterprise per client, as in a district
/// where many enterprises label at once (and each has its own 999 serials per code and day).
fn bench_generator(i: usize) -> String {
    let body = format!("91500110MA6B{:05}", i % 100_000);
    format!("{body}{}", crate::domain::uscc::check_char(body.as_bytes()))
}

/// Registers one generator and one device per client, directly through the writer.
async fn register_devices(state: &crate::service::AppState, n: usize) -> anyhow::Result<Vec<Arc<Device>>> {
    let devices: Vec<Arc<Device>> = (0..n.max(1))
        .map(|i| Arc::new(Device::generate(&bench_generator(i), "bench-phone")))
        .collect();
    let log = state.log.clone();
    let regs: Vec<(String, String, String)> = devices
        .iter()
        .map(|d| (d.owner.clone(), d.device.clone(), d.public_key_b64()))
        .collect();
    state
        .db
        .write(move |conn| {
            for (uscc, device, public_key) in &regs {
                let owner = crate::domain::Uscc::parse(uscc)?;
                let ent = NewEnterprise {
                    uscc: uscc.clone(),
                    name_zh: format!("（基准测试）产废单位{uscc}"),
                    name_en: None,
                    roles: vec!["generator".into()],
                    district: Some("wansheng".into()),
                    address: "基准测试".into(),
                    contact_name: "基准测试".into(),
                    contact_phone: "023-00000000".into(),
                    synthetic: true,
                };
                registry::create_enterprise(conn, &ent)?;
                let new = NewDevice {
                    device: device.clone(),
                    public_key: public_key.clone(),
                };
                registry::register_device(conn, &log, &owner, &new, "bench")?;
            }
            Ok(())
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(devices)
}
