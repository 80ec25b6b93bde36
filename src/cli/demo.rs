//! The demo: `hwtrace demo` builds a deterministic simulated year of the district into a new
//! database (`cast`: who is who; `year`: what happens, through the real service; `rng`: the
//! seeded random numbers), and `hwtrace serve --demo` starts with it. [`load`] adds the demo
//! accounts (one per kind of user) and their synthetic enterprises, vehicles and drivers, so a
//! newcomer can log in and look around; it is idempotent: records that exist are left alone.
//! Everything here is marked synthetic.

mod cast;
mod rng;
mod year;

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use rusqlite::OpenFlags;
use serde::Deserialize;

use crate::config::Config;
use crate::crypto::merkle::hash_to_b64;
use crate::domain::{Refusal, Uscc};
use crate::log::serverkeys::{key_dir, ServerKeySeeds};
use crate::service::accounts::{self, NewUser};
use crate::service::registry::{self, NewDevice, NewDriver, NewEnterprise, NewPermit, NewVehicle};
use crate::service::AppState;
use crate::store::{Db, StoreError, StoreResult};
use crate::time::Clock;

pub use year::FULL_YEAR_DAYS;

const DEMO: &str = include_str!("../../seeds/demo.json");

/// Printed by `serve --demo`.
pub const LOGIN_HINT: &str = "演示账户 / demo accounts (password hwtrace-demo-2026): admin, wansheng-eeb, \
qijiang-eeb, autorepair, autorepair-clerk, chemical, hospital, transport, yunan";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Demo {
    #[allow(dead_code)]
    note: String,
    password: String,
    enterprises: Vec<NewEnterprise>,
    vehicles: Vec<Held<NewVehicle>>,
    drivers: Vec<Held<NewDriver>>,
    users: Vec<DemoUser>,
}

#[derive(Deserialize)]
struct Held<T> {
    holder: String,
    #[serde(flatten)]
    item: T,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoUser {
    username: String,
    display_name: String,
    role: String,
    #[serde(default)]
    enterprise: Option<String>,
    #[serde(default)]
    district: Option<String>,
}

fn seed_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Other(format!("demo seed: {e}"))
}

/// Ignores "already there" refusals, so loading twice changes nothing.
fn ignore_existing<T>(r: StoreResult<T>) -> StoreResult<()> {
    match r {
        Ok(_) => Ok(()),
        Err(StoreError::Refused(Refusal {
            kind: crate::domain::RefusalKind::Conflict,
            ..
        })) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Loads the demo records that are missing.
pub async fn load(db: &Db) -> StoreResult<()> {
    let demo: Demo = serde_json::from_str(DEMO).map_err(seed_error)?;
    let Demo {
        enterprises,
        vehicles,
        drivers,
        users,
        password,
        ..
    } = demo;
    db.write(move |conn| {
        for e in &enterprises {
            ignore_existing(registry::create_enterprise(conn, e))?;
        }
        for v in &vehicles {
            ignore_existing(registry::create_vehicle(conn, &Uscc::parse(&v.holder)?, &v.item))?;
        }
        for d in &drivers {
            ignore_existing(registry::create_driver(conn, &Uscc::parse(&d.holder)?, &d.item))?;
        }
        Ok(())
    })
    .await?;
    for u in users {
        let new = NewUser {
            username: u.username,
            password: password.clone(),
            display_name: u.display_name,
            role: u.role,
            enterprise: u.enterprise,
            district: u.district,
        };
        ignore_existing(accounts::create_user(db, new).await)?;
    }
    Ok(())
}

/// What `hwtrace demo` simulates.
#[derive(Debug, Clone)]
pub struct YearOptions {
    /// The same seed gives the same log, byte for byte.
    pub seed: u64,
    /// Days from 2026-01-01 ([`FULL_YEAR_DAYS`]: to 2026-11-28; at least 20).
    pub days: u32,
    /// Multiplies every generator's tonnage.
    pub scale: f64,
}

/// What a demo year built.
#[derive(Debug, Clone)]
pub struct YearSummary {
    pub seed: u64,
    pub days: u32,
    pub items: u64,
    /// Items by custody state.
    pub states: Vec<(String, u64)>,
    /// Alerts raised over the period, by rule.
    pub alerts: Vec<(String, u64)>,
    pub entries: u64,
    pub refusal_entries: u64,
    pub events: u64,
    pub manifests: u64,
    pub discrepancies: u64,
    /// By the generators (residues of treatment and consolidated lots not counted again).
    pub generated_t: f64,
    /// Residues of treatment: incinerator ash, physico-chemical sludge, solidified blocks.
    pub residue_t: f64,
    /// Treated, residues not included.
    pub treated_t: f64,
    pub treated_residue_t: f64,
    pub landfill_m3: f64,
    pub seconds: f64,
    /// The latest checkpoint's root, standard base64.
    pub root: String,
}

impl std::fmt::Display for YearSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let states: Vec<String> = self.states.iter().map(|(s, n)| format!("{s} {n}")).collect();
        writeln!(
            f,
            "demo year (seed {}, {} days from 2026-01-01): {} items ({}), {} log entries ({} refusals), \
             {} events submitted, {} manifests, {} discrepancies",
            self.seed,
            self.days,
            self.items,
            states.join(", "),
            self.entries,
            self.refusal_entries,
            self.events,
            self.manifests,
            self.discrepancies
        )?;
        writeln!(
            f,
            "tonnes: {:.1} generated, {:.1} treated; residues of treatment {:.1} made, {:.1} treated; \
             landfill {:.0} m³",
            self.generated_t, self.treated_t, self.residue_t, self.treated_residue_t, self.landfill_m3
        )?;
        let alerts: Vec<String> = self.alerts.iter().map(|(r, n)| format!("{r} {n}")).collect();
        writeln!(f, "alerts raised: {}", alerts.join(", "))?;
        write!(
            f,
            "checkpoint root {} ({} entries); built in {:.1} s",
            self.root, self.entries, self.seconds
        )
    }
}

/// Whether the database at `path` already holds a custody log.
pub fn has_log(path: &Path) -> anyhow::Result<bool> {
    if !path.exists() {
        return Ok(false);
    }
    let conn = rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", path.display()))?;
    let tables: i64 = conn.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'log_entries'",
        [],
        |r| r.get(0),
    )?;
    if tables == 0 {
        return Ok(false);
    }
    let entries: i64 = conn.query_row("SELECT count(*) FROM log_entries", [], |r| r.get(0))?;
    Ok(entries > 0)
}

/// Builds the demo year into the new database of `config`, then adds the demo accounts.
/// Refuses a database that already has a log. The same options and origin give the same log.
pub async fn build_year(config: &Config, opts: &YearOptions) -> anyhow::Result<YearSummary> {
    let path = &config.db_path;
    if has_log(path)? {
        bail!(
            "database {} already has a custody log; the demo builds a new one: give a new --db path",
            path.display()
        );
    }
    if key_dir(path).exists() {
        bail!(
            "key directory {} already exists; remove it (and the database) or give a new --db path",
            key_dir(path).display()
        );
    }
    if !(opts.scale > 0.0 && opts.scale <= 10.0) {
        bail!("--scale must be above 0 and at most 10");
    }
    let started = Instant::now();
    let days = opts.days.max(20);
    let clock = Clock::manual(year::utc(year::minute(year::go_live(), 9, 0)));
    let config = Config {
        clock: clock.clone(),
        key_seeds: Some(ServerKeySeeds {
            log: rng::Rng::new(opts.seed, "server log key").bytes32(),
            label: rng::Rng::new(opts.seed, "server label key").bytes32(),
        }),
        ..config.clone()
    };
    let state = crate::service::open(config).await?;
    let cast = cast::cast(opts.seed, opts.scale, DEMO, year::oil_permit_until(days));
    clock.set(year::utc(year::minute(year::go_live(), 10, 0)));
    register(&state, &cast).await.context("registering the demo district")?;
    let mut sim = year::Sim::new(state.clone(), cast, opts.seed, days);
    sim.run(|d| {
        if chrono::Datelike::day(&d) == 1 {
            eprintln!("demo: {}", d.format("%Y-%m"));
        }
    })
    .await?;
    let tally = sim.tally.clone();
    drop(sim);
    load(&state.db).await.context("adding the demo accounts")?;
    summarise(&state, opts.seed, days, &tally, started).await
}

async fn summarise(
    state: &AppState,
    seed: u64,
    days: u32,
    tally: &year::Tally,
    started: Instant,
) -> anyhow::Result<YearSummary> {
    let (states, refusal_entries, alerts) = state
        .db
        .read(|conn| {
            let states = conn
                .prepare("SELECT state, count(*) FROM items GROUP BY state ORDER BY count(*) DESC, state")?
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let refusals: i64 = conn.query_row("SELECT count(*) FROM log_entries WHERE kind = 'refusal'", [], |r| {
                r.get(0)
            })?;
            let alerts = conn
                .prepare("SELECT rule, count(*) FROM alerts GROUP BY rule ORDER BY count(*) DESC, rule")?
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((states, refusals as u64, alerts))
        })
        .await?;
    let cp = state.log.latest().context("the demo log has no checkpoint")?;
    let tonnes = |g: u64| g as f64 / 1e6;
    Ok(YearSummary {
        seed,
        days,
        items: states.iter().map(|(_, n)| n).sum(),
        states,
        alerts,
        entries: cp.size,
        refusal_entries,
        events: tally.events,
        manifests: tally.manifests,
        discrepancies: tally.discrepancies,
        generated_t: tonnes(tally.generated_g),
        residue_t: tonnes(tally.residue_g),
        treated_t: tonnes(tally.treated_g),
        treated_residue_t: tonnes(tally.treated_residue_g),
        landfill_m3: tally.landfill_l as f64 / 1000.0,
        seconds: started.elapsed().as_secs_f64(),
        root: hash_to_b64(&cp.root),
    })
}

/// Registers the cast as an administrator would: enterprises, the synthetic facilities'
/// permits, vehicles and drivers, and every device key (logged as `key` entries).
async fn register(state: &AppState, cast: &cast::Cast) -> StoreResult<()> {
    let records: Vec<NewEnterprise> = cast.parties.iter().filter_map(|p| p.record.clone()).collect();
    let permits: Vec<(String, NewPermit)> = cast
        .permits
        .iter()
        .map(|p| (cast.parties[p.party].uscc.clone(), p.permit.clone()))
        .collect();
    let fleets: Vec<(String, Vec<NewVehicle>, Vec<NewDriver>)> = cast
        .carriers
        .iter()
        .map(|c| {
            (
                cast.parties[c.party].uscc.clone(),
                c.vehicle_records(),
                c.driver_records(),
            )
        })
        .collect();
    let mut devices: Vec<(String, NewDevice)> = cast
        .parties
        .iter()
        .map(|p| (p.uscc.clone(), new_device(&p.device)))
        .collect();
    for c in &cast.carriers {
        let owner = &cast.parties[c.party].uscc;
        devices.extend(c.drivers.iter().map(|d| (owner.clone(), new_device(&d.device))));
    }
    let catalogue = state.catalogue();
    let log = state.log.clone();
    state
        .db
        .write(move |conn| {
            for e in &records {
                registry::create_enterprise(conn, e)?;
            }
            for (holder, p) in &permits {
                registry::create_permit(conn, &Uscc::parse(holder)?, p, &catalogue)?;
            }
            for (holder, vehicles, drivers) in &fleets {
                let holder = Uscc::parse(holder)?;
                for v in vehicles {
                    registry::create_vehicle(conn, &holder, v)?;
                }
                for d in drivers {
                    registry::create_driver(conn, &holder, d)?;
                }
            }
            for (owner, d) in &devices {
                registry::register_device(conn, &log, &Uscc::parse(owner)?, d, "演示：上线登记")?;
            }
            Ok(())
        })
        .await
}

fn new_device(d: &crate::client::Device) -> NewDevice {
    NewDevice {
        device: d.device.clone(),
        public_key: d.public_key_b64(),
    }
}
