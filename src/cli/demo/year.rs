//! One simulated year of the district through the real service: every container is a signed
//! `generate` by its generator's device key, every trip a manifest, a release and an accept, an
//! arrival, a weighing and a decision at the gate, every treatment a signed `treat` within the
//! facility's permit, all taken in by [`ingest::submit_many`] exactly as the HTTP API takes
//! them. The log's clock is the simulated time: the year runs in two-hour slots, each slot's
//! events are signed at their device times and submitted in one ordered batch logged at the end
//! of the slot, so the same seed gives the same entries in the same order and the same log root.
//!
//! What happens is drawn from one seeded generator; what the regulator must see happen is
//! engineered on fixed days of the period too (a refusal at the gate and its return trip, a
//! partial refusal, discrepancies answered or not, a spill, a lost drum, a cancelled and an
//! amended manifest, a transfer point, an offline phone's conflicting accept, a breakdown, a
//! receipt left unconfirmed, a revoked phone trying again, an expired permit, waste no permit
//! covers, a facility's stock older than a year), so a short run shows them as well as a year.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anyhow::{anyhow, bail};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use serde_json::{json, Value};

use super::cast::{Cast, Dest, StreamSpec, OPENING_STOCK, PATHOLOGICAL, POINT_OUTPUTS};
use super::rng::Rng;
use crate::client::Device;
use crate::crypto::dsse::Envelope;
use crate::domain::calendar::WorkCalendar;
use crate::service::alerts;
use crate::service::ingest::{self, Receipt};
use crate::service::registry::{self, NewDevice};
use crate::service::AppState;
use crate::store::StoreError;

/// Minutes since midnight of the go-live day, China Standard Time.
type Minute = i64;
type ItemId = usize;
type TripId = usize;

const DAY: Minute = 1440;
/// The log's clock advances two hours at a time (the phones sync that often); each slot's
/// events are one ordered batch.
const SLOT: Minute = 120;
/// Most items one event names (`MAX_ITEMS_PER_EVENT`).
const MAX_ITEMS: usize = 100;

/// hwtrace goes live in the district: keys, registry, devices, Yunan's stock on hand.
pub fn go_live() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 11, 16).expect("a date")
}

/// The simulated year starts with the new permits.
pub fn year_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date")
}

/// 2026-01-01 to 2026-11-28.
pub const FULL_YEAR_DAYS: u32 = 332;

fn date(day: i64) -> NaiveDate {
    go_live() + Duration::days(day)
}

fn day_of(d: NaiveDate) -> i64 {
    (d - go_live()).num_days()
}

/// A device's `at`: RFC 3339 in China Standard Time.
fn stamp(m: Minute) -> String {
    let min = m.rem_euclid(DAY);
    format!("{}T{:02}:{:02}:00+08:00", date(m.div_euclid(DAY)), min / 60, min % 60)
}

/// The log's clock for a simulated minute.
pub fn utc(m: Minute) -> DateTime<Utc> {
    let midnight = date(m.div_euclid(DAY)).and_hms_opt(0, 0, 0).expect("midnight");
    (midnight + Duration::minutes(m.rem_euclid(DAY)) - Duration::hours(8)).and_utc()
}

pub fn minute(d: NaiveDate, hour: i64, min: i64) -> Minute {
    day_of(d) * DAY + hour * 60 + min
}

/// What the simulation did, for the summary.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    pub events: u64,
    pub generated_g: u64,
    pub residue_g: u64,
    /// Treated, residues of treatment not included.
    pub treated_g: u64,
    /// Residues treated (ash solidified, blocks landfilled).
    pub treated_residue_g: u64,
    pub landfill_l: u64,
    pub manifests: u64,
    pub trips: u64,
    pub refusals: u64,
    pub unlogged: u64,
    pub discrepancies: u64,
}

/// Where an item goes once the log has given it a code.
#[derive(Clone, Copy)]
enum Place {
    /// Its holder's store, to be shipped.
    Store,
    /// A facility's queue for a method, ready from a day.
    Queue(&'static str, i64),
    /// Nowhere: it stays where it is.
    Aside,
}

struct Item {
    code: String,
    generator: usize,
    holder: usize,
    spec: &'static StreamSpec,
    dest: Dest,
    medical: bool,
    mass_g: u64,
    weighed_g: u64,
    created_seq: u64,
    weigh_seq: u64,
    born: i64,
    place: Place,
    /// Shipped at the next planning, whatever the load.
    rush: bool,
    /// A residue of treatment (ash, sludge, solidified blocks).
    residue: bool,
    /// Kept aside by its receiver instead of being treated.
    keep: bool,
    /// The device minute of its latest reception: its treatment or packing, which may come in
    /// the same batch or the next, is not dated before it.
    received: Minute,
}

/// What may happen to a trip, decided when it is planned.
#[derive(Default, Clone)]
struct Fate {
    cancel: bool,
    amend: bool,
    conflict: bool,
    spill: bool,
    loss: bool,
    delay_days: i64,
    late_receipt_days: u32,
}

struct Trip {
    issuer: usize,
    receiver: usize,
    method: Option<&'static str>,
    /// (carrier, driver) in carrying order.
    carriers: Vec<(usize, usize)>,
    plate: String,
    licence: String,
    items: Vec<ItemId>,
    number: String,
    opened: Minute,
    leg: Minute,
    ret: bool,
    fate: Fate,
}

/// Something engineered to happen once, on a day of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Force {
    Handover,
    Discrepancy,
    Refuse,
    Partial,
    Spill,
    Loss,
    Cancel,
    Amend,
    Conflict,
    Breakdown,
    LateReceipt,
    Stuck,
    Unconfirmed,
}

/// How an event is expected to fare.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Accepted,
    /// Refused by the rules, and logged as a refusal entry.
    Refused(&'static str),
    /// Refused before the writer (a revoked key): not logged.
    Unlogged(&'static str),
}

/// What to do with an accepted event's receipt.
enum Then {
    Nothing,
    Created(ItemId),
    Opened(TripId),
    Weighed(ItemId),
    /// A partial refusal made the refused part an item of its own, with the trip's carrier:
    /// its generator takes it back.
    PartRefused {
        part: ItemId,
        trip: TripId,
    },
}

struct Out {
    env: Envelope,
    expect: Expect,
    then: Then,
}

enum Task {
    Day,
    Opening,
    Generate { gen: usize, stream: usize, mass_g: u64 },
    Plan,
    Open(TripId),
    Amend(TripId),
    Cancel(TripId),
    Pickup(TripId),
    Handover(TripId),
    Arrive(TripId),
    Receive { trip: TripId, item: ItemId },
    ReturnOpen { trip: TripId, item: ItemId },
    ReturnGo(TripId),
    Treat { plant: usize, method: &'static str },
    Consolidate(usize),
    Explain(ItemId),
    Correct(ItemId),
    Late(Box<Envelope>, Expect),
    Pathological(usize),
    PathologicalShip(ItemId),
    OilDrum { expired: bool },
    OilShip(ItemId),
    Revoke { carrier: usize, driver: usize },
    Pilot,
}

/// A change to the registry the simulation makes between batches: a lost phone's key revoked
/// and its replacement registered.
struct Replace {
    owner: String,
    old: String,
    new: NewDevice,
}

/// The days on which things are engineered to happen.
struct Plan {
    /// The go-live pilot: small enterprises hand in batteries before the year starts.
    pilot: i64,
    start: i64,
    end_day: i64,
    end: Minute,
    oil_expiry: i64,
    oil_last_load: i64,
    kiln_stop: (i64, i64),
    steam_stop: (i64, i64),
    forced: BTreeMap<i64, Vec<Force>>,
    pathological: Vec<i64>,
    revoke: i64,
}

impl Plan {
    fn new(days: u32) -> Plan {
        let start = day_of(year_start());
        let n = i64::from(days.max(20));
        let at = |f: f64| start + (n as f64 * f) as i64;
        let end_day = start + n - 1;
        let mut forced: BTreeMap<i64, Vec<Force>> = BTreeMap::new();
        for (f, force) in [
            (0.04, Force::Handover),
            (0.08, Force::Discrepancy),
            (0.09, Force::Discrepancy),
            (0.10, Force::Discrepancy),
            (0.12, Force::Refuse),
            (0.13, Force::Partial),
            (0.20, Force::Spill),
            (0.25, Force::Cancel),
            (0.27, Force::Amend),
            (0.33, Force::Conflict),
            (0.40, Force::Loss),
            (0.45, Force::Breakdown),
            (0.50, Force::LateReceipt),
        ] {
            forced.entry(at(f)).or_default().push(force);
        }
        forced.entry(end_day - 9).or_default().push(Force::Unconfirmed);
        forced.entry(end_day - 8).or_default().push(Force::Stuck);
        Plan {
            pilot: day_of(go_live()) + 1,
            start,
            end_day,
            end: end_day * DAY + 11 * 60,
            oil_expiry: at(0.5),
            oil_last_load: at(0.4),
            kiln_stop: (at(0.2), at(0.2) + (n / 30).max(2)),
            steam_stop: (at(0.55), at(0.55) + 2),
            forced,
            pathological: vec![at(0.3), at(0.75)],
            revoke: at(0.6),
        }
    }
}

/// The last day of the oil plant's permit for a run of `days` days.
pub fn oil_permit_until(days: u32) -> NaiveDate {
    date(Plan::new(days).oil_expiry)
}

pub struct Sim {
    state: AppState,
    cast: Cast,
    calendar: Arc<WorkCalendar>,
    rng: Rng,
    plan: Plan,
    seed: u64,
    queue: BTreeMap<(Minute, u64), Task>,
    next_task: u64,
    slot_end: Minute,
    items: Vec<Item>,
    trips: Vec<Trip>,
    /// Items at rest at each party, waiting to be shipped.
    stores: Vec<Vec<ItemId>>,
    /// Each facility's queue per method: (ready day, item).
    queues: BTreeMap<(usize, &'static str), BTreeSet<(i64, ItemId)>>,
    /// Lots received at each collection point, waiting to be consolidated.
    inbox: BTreeMap<usize, Vec<ItemId>>,
    /// Per generator and stream: containers begun but not yet full.
    carry: Vec<Vec<f64>>,
    /// What is engineered to happen next (each taken once).
    forced: Vec<Force>,
    replacements: Vec<Replace>,
    pub tally: Tally,
}

impl Sim {
    pub fn new(state: AppState, cast: Cast, seed: u64, days: u32) -> Sim {
        let calendar = state.calendar();
        let parties = cast.parties.len();
        let carry = cast.generators.iter().map(|g| vec![0.0; g.streams.len()]).collect();
        let plan = Plan::new(days);
        let mut sim = Sim {
            state,
            cast,
            calendar,
            rng: Rng::new(seed, "year"),
            seed,
            queue: BTreeMap::new(),
            next_task: 0,
            slot_end: 0,
            items: Vec::new(),
            trips: Vec::new(),
            stores: vec![Vec::new(); parties],
            queues: BTreeMap::new(),
            inbox: BTreeMap::new(),
            carry,
            forced: Vec::new(),
            replacements: Vec::new(),
            tally: Tally::default(),
            plan,
        };
        sim.at(minute(go_live(), 0, 0) + 4 * DAY + 10 * 60, Task::Opening);
        sim.at(sim.plan.pilot * DAY, Task::Day);
        sim
    }

    fn at(&mut self, t: Minute, task: Task) {
        self.next_task += 1;
        self.queue.insert((t, self.next_task), task);
    }

    /// Schedules a task that needs this slot's receipts: never before the slot ends.
    fn after(&mut self, t: Minute, task: Task) {
        self.at(t.max(self.slot_end), task);
    }

    /// Runs the year slot by slot until 11:00 on the last day (trips are under way then).
    pub async fn run(&mut self, mut progress: impl FnMut(NaiveDate)) -> anyhow::Result<()> {
        let mut shown = i64::MIN;
        while let Some((&(t, _), _)) = self.queue.first_key_value() {
            if t >= self.plan.end {
                break;
            }
            self.slot_end = (t.div_euclid(SLOT) + 1) * SLOT;
            if t.div_euclid(DAY) != shown {
                shown = t.div_euclid(DAY);
                progress(date(shown));
            }
            let mut outs = Vec::new();
            while let Some(entry) = self.queue.first_entry() {
                if entry.key().0 >= self.slot_end {
                    break;
                }
                let ((t, _), task) = entry.remove_entry();
                self.run_task(t, task, &mut outs)?;
            }
            self.state.log.clock().set(utc(self.slot_end));
            // The service sweeps its alerts every minute; in simulated time nothing changes
            // between the ends of two slots, so a sweep at each slot's end, before the phones'
            // batch arrives, sees what a live service would.
            alerts::sweep_now(&self.state).await?;
            self.replace_keys().await?;
            if !outs.is_empty() {
                self.submit(outs).await?;
            }
        }
        self.state.log.clock().set(utc(self.plan.end));
        alerts::sweep_now(&self.state).await?;
        Ok(())
    }

    async fn submit(&mut self, outs: Vec<Out>) -> anyhow::Result<()> {
        let envelopes = outs.iter().map(|o| o.env.clone()).collect();
        let results = ingest::submit_many(&self.state, envelopes).await;
        self.tally.events += outs.len() as u64;
        for (out, result) in outs.into_iter().zip(results) {
            self.settle(out, result)?;
        }
        Ok(())
    }

    fn settle(&mut self, out: Out, result: Result<Receipt, StoreError>) -> anyhow::Result<()> {
        let kind = || {
            out.env
                .payload_bytes()
                .ok()
                .and_then(|p| serde_json::from_slice::<Value>(&p).ok())
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        match (out.expect, result) {
            (Expect::Accepted, Ok(r)) => self.then(out.then, &r),
            (Expect::Refused(code), Err(StoreError::Refused(r))) if r.code == code => {
                self.tally.refusals += 1;
                Ok(())
            }
            (Expect::Unlogged(code), Err(StoreError::Refused(r))) if r.code == code => {
                self.tally.unlogged += 1;
                Ok(())
            }
            (expect, Ok(_)) => bail!("expected {expect:?}, but the service accepted {}", kind()),
            (expect, Err(e)) => bail!("expected {expect:?}, but the service answered {e}: {}", kind()),
        }
    }

    fn then(&mut self, then: Then, r: &Receipt) -> anyhow::Result<()> {
        match then {
            Then::Nothing => {}
            Then::Weighed(id) => self.items[id].weigh_seq = r.index,
            Then::Created(id) => {
                let code = r
                    .item_code
                    .clone()
                    .ok_or_else(|| anyhow!("a receipt without the new item's code"))?;
                let item = &mut self.items[id];
                item.code = code;
                item.created_seq = r.index;
                let holder = item.holder;
                match item.place {
                    Place::Store => self.stores[holder].push(id),
                    Place::Queue(method, ready) => {
                        self.queues.entry((holder, method)).or_default().insert((ready, id));
                    }
                    Place::Aside => {}
                }
            }
            Then::PartRefused { part, trip } => {
                let code = r
                    .item_code
                    .clone()
                    .ok_or_else(|| anyhow!("a partial refusal's receipt without the refused part"))?;
                self.items[part].code = code;
                self.items[part].created_seq = r.index;
                let back = self.slot_end + self.rng.range(30, 90);
                self.after(back, Task::ReturnOpen { trip, item: part });
            }
            Then::Opened(trip) => {
                let number = r
                    .manifest_no
                    .clone()
                    .ok_or_else(|| anyhow!("a receipt without the manifest number"))?;
                self.tally.manifests += 1;
                let t = self.trips[trip].opened;
                let fate = self.trips[trip].fate.clone();
                self.trips[trip].number = number;
                let next = if self.trips[trip].ret {
                    (t + self.rng.range(30, 60), Task::ReturnGo(trip))
                } else if fate.cancel {
                    (t + self.rng.range(30, 50), Task::Cancel(trip))
                } else if fate.amend {
                    (t + self.rng.range(15, 25), Task::Amend(trip))
                } else {
                    (t + self.rng.range(30, 90), Task::Pickup(trip))
                };
                self.after(next.0, next.1);
            }
        }
        Ok(())
    }

    /// A lost phone's key is revoked and its replacement registered by the carrier's
    /// administrator, as `key` entries at the log's time.
    async fn replace_keys(&mut self) -> anyhow::Result<()> {
        for r in std::mem::take(&mut self.replacements) {
            let log = self.state.log.clone();
            self.state
                .db
                .write(move |conn| {
                    let owner = crate::domain::Uscc::parse(&r.owner)?;
                    registry::revoke_device(conn, &log, &owner, &r.old, "演示：驾驶员手机遗失")?;
                    registry::register_device(conn, &log, &owner, &r.new, "演示：更换手机")?;
                    Ok(())
                })
                .await?;
        }
        Ok(())
    }

    fn run_task(&mut self, t: Minute, task: Task, outs: &mut Vec<Out>) -> anyhow::Result<()> {
        match task {
            Task::Day => self.day(t),
            Task::Opening => self.opening(t, outs),
            Task::Generate { gen, stream, mass_g } => self.generate(t, gen, stream, mass_g, outs),
            Task::Plan => self.plan_trips(t),
            Task::Open(trip) => self.open(t, trip, outs),
            Task::Amend(trip) => self.amend(t, trip, outs),
            Task::Cancel(trip) => self.cancel(t, trip, outs),
            Task::Pickup(trip) => self.pickup(t, trip, outs),
            Task::Handover(trip) => self.handover(t, trip, outs),
            Task::Arrive(trip) => self.arrive(t, trip, outs),
            Task::Receive { trip, item } => self.receive_late(t, trip, item, outs),
            Task::ReturnOpen { trip, item } => self.return_open(t, trip, item, outs),
            Task::ReturnGo(trip) => self.return_go(t, trip, outs),
            Task::Treat { plant, method } => self.treat(t, plant, method, outs),
            Task::Consolidate(point) => self.consolidate(t, point, outs),
            Task::Explain(item) => self.explain(t, item, outs),
            Task::Correct(item) => self.correct(t, item, outs),
            Task::Late(env, expect) => outs.push(Out {
                env: *env,
                expect,
                then: Then::Nothing,
            }),
            Task::Pathological(gen) => self.pathological(t, gen, outs),
            Task::PathologicalShip(item) => self.pathological_ship(t, item, outs),
            Task::OilDrum { expired } => self.oil_drum(t, expired, outs),
            Task::OilShip(item) => self.oil_ship(t, item, outs),
            Task::Revoke { carrier, driver } => self.revoke(t, carrier, driver, outs),
            Task::Pilot => self.pilot(t, outs),
        }
        Ok(())
    }

    // ---- the day's work -------------------------------------------------------------------

    fn working(&self, day: i64) -> bool {
        self.calendar.is_working_day(date(day))
    }

    fn take(&mut self, f: Force) -> bool {
        match self.forced.iter().position(|&x| x == f) {
            Some(i) => {
                self.forced.remove(i);
                true
            }
            None => false,
        }
    }

    fn day(&mut self, t: Minute) {
        let d = t.div_euclid(DAY);
        self.forced
            .extend(self.plan.forced.get(&d).cloned().unwrap_or_default());
        let p = &self.cast.plants;
        let lead = p.lead;
        let treatments = [
            (p.yunan, "incineration", 0),
            (p.yunan, "physico_chemical", 5),
            (p.yunan, "stabilisation", 10),
            (p.yunan, "landfill", 15),
            (p.nantong, "cement_kiln", 20),
            (p.fengyan, "steam", 25),
            (p.oil, "utilisation", 30),
            (p.lead, "utilisation", 35),
        ];
        for (plant, method, m) in treatments {
            // Before the year only the smelter works for hwtrace (the permits of the plan's
            // facilities start with it).
            if d >= self.plan.start || plant == lead {
                self.at(t + 6 * 60 + m, Task::Treat { plant, method });
            }
        }
        // The steam line runs a second shift for what came in during the day.
        self.at(
            t + 16 * 60,
            Task::Treat {
                plant: self.cast.plants.fengyan,
                method: "steam",
            },
        );
        if d >= self.plan.start {
            self.produce(d);
        }
        if d == self.plan.pilot {
            self.at(t + 9 * 60, Task::Pilot);
        }
        self.at(t + 7 * 60 + 30, Task::Plan);
        if date(d).weekday() == Weekday::Fri && self.working(d) {
            for point in self.cast.plants.points {
                self.at(t + 14 * 60, Task::Consolidate(point));
            }
        }
        if self.plan.pathological.contains(&d) {
            let hospital = self
                .cast
                .generators
                .iter()
                .position(|g| g.industry.medical)
                .unwrap_or(0);
            self.at(t + 11 * 60, Task::Pathological(hospital));
        }
        if d == self.plan.oil_expiry + 3 {
            self.at(t + 8 * 60, Task::OilDrum { expired: true });
        }
        if d == self.plan.oil_last_load {
            self.at(t + 9 * 60, Task::OilDrum { expired: false });
        }
        if d == self.plan.revoke {
            self.at(t + 6 * 60 + 40, Task::Revoke { carrier: 0, driver: 1 });
        }
        if d < self.plan.end_day {
            self.at(t + DAY, Task::Day);
        }
    }

    /// The Spring Festival (2026: the holiday is 15–23 February, works wind down around it).
    fn festival(d: i64) -> bool {
        let day = date(d);
        day.year() == 2026 && ((2, 9)..=(3, 1)).contains(&(day.month(), day.day()))
    }

    /// Hospitals are collected every day; clinics every other day, and over the Spring
    /// Festival holiday only every third day.
    fn pickup_day(&self, party: usize, pickup_days: i64, d: i64) -> bool {
        let n = d + party as i64;
        match pickup_days {
            ..=1 => true,
            _ if Self::festival(d) && !self.working(d) => n % 3 == 0,
            _ => n % 2 == 0,
        }
    }

    /// How much a day produces against the year's average: a Spring Festival dip (2026: the
    /// holiday is 15–23 February, and works wind down around it), summer heat, National Day,
    /// the year-end push to clear stores; hospitals are busiest in the winter flu season.
    fn season(&self, d: i64, medical: bool) -> f64 {
        let m = date(d).month0() as usize;
        let festival = Self::festival(d);
        if medical {
            let month = [1.12, 1.0, 1.0, 0.97, 0.95, 0.95, 0.97, 0.97, 1.0, 1.0, 1.05, 1.12][m];
            return month * if festival { 0.85 } else { 1.0 };
        }
        let month = [1.05, 0.8, 1.0, 1.0, 0.97, 1.0, 0.93, 0.95, 1.02, 0.92, 1.15, 1.25][m];
        month * if festival { 0.55 } else { 1.0 }
    }

    /// Each generator fills its containers: on working days, or every day for medical waste
    /// (sealed in the afternoon, when the wards pack the day's bins; a clinic seals its boxes
    /// on the afternoon before it is collected, except over the Spring Festival holiday, when
    /// its staff still seal one every day and the boxes wait for the third day: past 48 hours).
    fn produce(&mut self, d: i64) {
        let working = self.working(d);
        let month = date(d).month();
        for gen in 0..self.cast.generators.len() {
            let g = &self.cast.generators[gen];
            let medical = g.industry.medical;
            if !(working || medical) {
                continue;
            }
            let season = self.season(d, medical);
            let (party, pickup_days) = (g.party, g.industry.pickup_days);
            let seal = !medical
                || pickup_days <= 1
                || (Self::festival(d) && !working)
                || self.pickup_day(party, pickup_days, d + 1);
            let streams: Vec<(&'static StreamSpec, f64)> = g.streams.clone();
            for (k, (spec, t_per_year)) in streams.into_iter().enumerate() {
                let (per_year_days, share) = match spec.months {
                    Some((from, to)) if !(from..=to).contains(&month) => continue,
                    Some((from, to)) => (250.0, 12.0 / f64::from(to - from + 1)),
                    None if medical => (365.0, 1.0),
                    None => (250.0, 1.0),
                };
                let expected = t_per_year * 1000.0 * share * season / per_year_days / spec.item_kg;
                let carry = self.carry[gen][k] + expected * self.rng.around(1.0, 0.5);
                let n = if seal { carry.floor() } else { 0.0 };
                self.carry[gen][k] = carry - n;
                for _ in 0..n as u64 {
                    let kg = self.rng.around(spec.item_kg, 0.12);
                    let mass_g = if spec.tanker() {
                        (kg * 100.0) as u64 * 10
                    } else {
                        (kg * 10.0) as u64 * 100
                    };
                    let at = if medical {
                        d * DAY + self.rng.range(14 * 60, 17 * 60 + 30)
                    } else {
                        d * DAY + self.rng.range(8 * 60, 16 * 60 + 50)
                    };
                    self.at(at, Task::Generate { gen, stream: k, mass_g });
                }
            }
        }
    }

    fn generate_fields(spec: &StreamSpec, mass_g: u64) -> Value {
        json!({
            "waste_code": spec.waste,
            "mass_g": mass_g,
            "form": spec.form,
            "hazards": spec.hazards,
            "packaging": spec.packaging,
            "container_volume_l": spec.volume_l,
            "components": spec.components,
            "storage_place": if spec.tanker() { "储罐区" } else { "危险废物贮存库" },
            "waste_name": spec.name,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn new_item(
        &mut self,
        generator: usize,
        spec: &'static StreamSpec,
        dest: Dest,
        medical: bool,
        mass_g: u64,
        born: i64,
        place: Place,
    ) -> ItemId {
        self.items.push(Item {
            code: String::new(),
            generator,
            holder: generator,
            spec,
            dest,
            medical,
            mass_g,
            weighed_g: 0,
            created_seq: 0,
            weigh_seq: 0,
            born,
            place,
            rush: false,
            residue: false,
            keep: false,
            received: 0,
        });
        self.items.len() - 1
    }

    fn generate(&mut self, t: Minute, gen: usize, stream: usize, mass_g: u64, outs: &mut Vec<Out>) {
        let g = &self.cast.generators[gen];
        let (spec, party, medical) = (g.streams[stream].0, g.party, g.industry.medical);
        let id = self.new_item(party, spec, spec.dest, medical, mass_g, t.div_euclid(DAY), Place::Store);
        let env =
            self.cast.parties[party]
                .device
                .sign_event("generate", &stamp(t), Self::generate_fields(spec, mass_g));
        self.tally.generated_g += mass_g;
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Created(id),
        });
    }

    /// Yunan registers its stock on hand at go-live: sludge received before hwtrace. Most is
    /// solidified in January; five bags stay, and are past a year in store by the end.
    fn opening(&mut self, t: Minute, outs: &mut Vec<Out>) {
        let yunan = self.cast.plants.yunan;
        for i in 0..30 {
            let mass_g = (self.rng.around(1000.0, 0.1) * 10.0) as u64 * 100;
            let place = if i < 25 {
                Place::Queue("stabilisation", self.plan.start + 1 + i / 2)
            } else {
                Place::Aside
            };
            let id = self.new_item(yunan, &OPENING_STOCK, Dest::Stabilise, false, mass_g, t / DAY, place);
            let env = self.cast.parties[yunan].device.sign_event(
                "generate",
                &stamp(t + i / 10),
                Self::generate_fields(&OPENING_STOCK, mass_g),
            );
            outs.push(Out {
                env,
                expect: Expect::Accepted,
                then: Then::Created(id),
            });
        }
    }

    // ---- trips ----------------------------------------------------------------------------

    /// Where a destination is, and the method it will be treated by there.
    fn route(&self, dest: Dest, from: usize, day: i64) -> (usize, Option<&'static str>) {
        let p = &self.cast.plants;
        match dest {
            Dest::Incinerate => (p.yunan, Some("incineration")),
            Dest::PhysChem => (p.yunan, Some("physico_chemical")),
            Dest::Stabilise => (p.yunan, Some("stabilisation")),
            Dest::Kiln => (p.nantong, Some("cement_kiln")),
            Dest::Steam => (p.fengyan, Some("steam")),
            Dest::Lead => (p.lead, Some("utilisation")),
            Dest::OilUtil if day + 3 < self.plan.oil_expiry => (p.oil, Some("utilisation")),
            Dest::OilUtil => (p.nantong, Some("cement_kiln")),
            Dest::Collect => {
                let i = match self.cast.parties[from].district {
                    "qijiang" => 1,
                    "nanchuan" => 2,
                    _ => 0,
                };
                (p.points[i], None)
            }
        }
    }

    /// The shipping rules of a party: medical (with its pickup interval), the mass that fills
    /// a load, the oldest an item may get before it goes anyway.
    fn shipping(&self, party: usize) -> (bool, i64, f64, i64) {
        match self.cast.generators.iter().find(|g| g.party == party) {
            Some(g) => (
                g.industry.medical,
                g.industry.pickup_days,
                g.industry.ship_kg,
                g.industry.max_days,
            ),
            None => (false, 0, 6000.0, 21),
        }
    }

    /// Every morning each party looks at its store and books the loads that are due.
    fn plan_trips(&mut self, t: Minute) {
        let d = t.div_euclid(DAY);
        let working = self.working(d);
        let mut parties: Vec<usize> = self.cast.generators.iter().map(|g| g.party).collect();
        parties.extend(self.cast.plants.points);
        for party in parties {
            if self.stores[party].is_empty() {
                continue;
            }
            let (medical, pickup_days, ship_kg, max_days) = self.shipping(party);
            if medical {
                if !self.pickup_day(party, pickup_days, d) {
                    continue;
                }
            } else if !working {
                continue;
            }
            let mut groups: BTreeMap<(Dest, bool), Vec<ItemId>> = BTreeMap::new();
            for &id in &self.stores[party] {
                let it = &self.items[id];
                groups.entry((it.dest, it.spec.tanker())).or_default().push(id);
            }
            for ((dest, tanker), ids) in groups {
                let total: f64 = ids.iter().map(|&i| self.items[i].mass_g as f64 / 1000.0).sum();
                let oldest = ids.iter().map(|&i| self.items[i].born).min().unwrap_or(d);
                // The collection points call on their small enterprises every month.
                let (ship_kg, max_days) = if dest == Dest::Collect {
                    (300.0, 30)
                } else {
                    (ship_kg, max_days)
                };
                let rush = ids.iter().any(|&i| self.items[i].rush);
                if !medical && total < ship_kg && d - oldest < max_days && !tanker && !rush {
                    continue;
                }
                self.book(t, d, party, dest, tanker, medical, ids);
            }
        }
    }

    /// Books loads of `ids` (in store order) on trips: one manifest per vehicle trip.
    #[allow(clippy::too_many_arguments)]
    fn book(&mut self, t: Minute, d: i64, party: usize, dest: Dest, tanker: bool, medical: bool, ids: Vec<ItemId>) {
        let (receiver, method) = self.route(dest, party, d);
        let mut loads: Vec<Vec<ItemId>> = Vec::new();
        let capacity = |kind: &str| -> u64 {
            match kind {
                "tanker" => 25_000_000,
                "flatbed" => 15_000_000,
                "medical_waste" => 3_500_000,
                _ => 8_000_000,
            }
        };
        let kind = if tanker {
            "tanker"
        } else if medical {
            "medical_waste"
        } else {
            "flatbed"
        };
        let mut load = Vec::new();
        let mut load_g = 0;
        for id in ids {
            let m = self.items[id].mass_g;
            if !load.is_empty() && (load_g + m > capacity(kind) || load.len() == MAX_ITEMS || tanker) {
                loads.push(std::mem::take(&mut load));
                load_g = 0;
            }
            load.push(id);
            load_g += m;
        }
        if !load.is_empty() {
            loads.push(load);
        }
        for load in loads.into_iter().take(4) {
            let load_g: u64 = load.iter().map(|&i| self.items[i].mass_g).sum();
            let kind = if kind == "flatbed" && load_g <= 8_000_000 {
                "van"
            } else {
                kind
            };
            self.stores[party].retain(|i| !load.contains(i));
            let trip = self.new_trip(party, receiver, method, kind, load, medical);
            let open = t + if medical {
                self.rng.range(30, 150)
            } else {
                self.rng.range(30, 210)
            };
            self.trips[trip].opened = open;
            self.at(open, Task::Open(trip));
        }
    }

    /// The carriers of a trip: medical waste by the medical carrier, tankers by the tanker
    /// company (or T1's own tanker), the rest by the district's carrier; from Qijiang and
    /// Nanchuan to the Wansheng plants, often handed over to T1 at a transfer point.
    fn carriers_for(&mut self, party: usize, receiver: usize, kind: &str) -> Vec<usize> {
        let district = self.cast.parties[party].district;
        let local = match district {
            "qijiang" => 2,
            "nanchuan" => 3,
            _ => 0,
        };
        match kind {
            "medical_waste" => vec![1],
            "tanker" if district == "wansheng" && self.rng.chance(0.3) => vec![0],
            "tanker" => vec![4],
            _ => {
                let p = &self.cast.plants;
                let far = local != 0 && [p.yunan, p.nantong].contains(&receiver);
                if far && (self.take(Force::Handover) || self.rng.chance(0.35)) {
                    vec![local, 0]
                } else {
                    vec![local]
                }
            }
        }
    }

    fn leg(&mut self, from: &str, to: &str) -> Minute {
        let (lo, hi) = match (from, to) {
            (a, b) if a == b => (25, 45),
            ("other", _) | (_, "other") => (150, 210),
            ("nanchuan", _) | (_, "nanchuan") => (80, 120),
            _ => (60, 90),
        };
        self.rng.range(lo, hi)
    }

    fn new_trip(
        &mut self,
        issuer: usize,
        receiver: usize,
        method: Option<&'static str>,
        kind: &str,
        items: Vec<ItemId>,
        medical: bool,
    ) -> TripId {
        let carriers = self.carriers_for(issuer, receiver, kind);
        let first = &self.cast.carriers[carriers[0]];
        let fits: Vec<usize> = (0..first.vehicles.len())
            .filter(|&v| first.vehicles[v].kind == kind || (kind == "van" && first.vehicles[v].kind == "flatbed"))
            .collect();
        let vehicle = *self.rng.pick(&fits);
        let crew: Vec<(usize, usize)> = carriers
            .iter()
            .map(|&c| {
                let n = self.cast.carriers[c].drivers.len() as u64;
                (c, self.rng.below(n) as usize)
            })
            .collect();
        let first = &self.cast.carriers[carriers[0]];
        let (plate, licence) = (
            first.vehicles[vehicle].plate.clone(),
            first.drivers[crew[0].1].licence.clone(),
        );
        let spare = first.drivers.len() > 1 && fits.len() > 1;
        let (from, to) = (self.cast.parties[issuer].district, self.cast.parties[receiver].district);
        let leg = self.leg(from, to);
        // One thing at a time: a cancelled trip goes nowhere, a conflict and a loss do not meet.
        let cancel = !medical && (self.take(Force::Cancel) || self.rng.chance(0.004));
        let mut fate = Fate {
            cancel,
            ..Fate::default()
        };
        // Loads for the oil plant arrive and are received on time: its permit runs out.
        let punctual = receiver == self.cast.plants.oil;
        if !medical && !cancel && !punctual {
            fate.amend = spare && (self.take(Force::Amend) || self.rng.chance(0.004));
            fate.delay_days = if self.take(Force::Stuck) {
                60
            } else if self.take(Force::Breakdown) || self.rng.chance(0.002) {
                self.rng.range(2, 4)
            } else {
                0
            };
            let late_possible = method.is_some() && fate.delay_days == 0;
            fate.late_receipt_days = if late_possible && self.take(Force::Unconfirmed) {
                60
            } else if late_possible && (self.take(Force::LateReceipt) || self.rng.chance(0.002)) {
                7
            } else {
                0
            };
            fate.spill = self.take(Force::Spill) || self.rng.chance(0.001);
        }
        // (Not on the short trips to a collection point, whose lots may be packed before the
        // offline phone syncs.)
        fate.conflict = !cancel
            && method.is_some()
            && self.cast.carriers[carriers[0]].drivers.len() > 1
            && (self.take(Force::Conflict) || self.rng.chance(0.002));
        if !medical && !cancel && !fate.conflict {
            fate.loss = items.len() > 1 && (self.take(Force::Loss) || self.rng.chance(0.0003));
        }
        self.trips.push(Trip {
            issuer,
            receiver,
            method,
            carriers: crew,
            plate,
            licence,
            items,
            number: String::new(),
            opened: 0,
            leg,
            ret: false,
            fate,
        });
        self.tally.trips += 1;
        self.trips.len() - 1
    }

    fn codes(&self, ids: &[ItemId]) -> Vec<String> {
        ids.iter().map(|&i| self.items[i].code.clone()).collect()
    }

    fn carrier_uscc(&self, c: usize) -> String {
        self.cast.parties[self.cast.carriers[c].party].uscc.clone()
    }

    fn driver(&self, crew: (usize, usize)) -> &Device {
        &self.cast.carriers[crew.0].drivers[crew.1].device
    }

    fn manifest_fields(&self, trip: &Trip, d: i64) -> Value {
        let transporters: Vec<String> = trip.carriers.iter().map(|&(c, _)| self.carrier_uscc(c)).collect();
        json!({
            "transporters": transporters,
            "vehicle_plate": trip.plate,
            "driver_licence": trip.licence,
            "receiver": self.cast.parties[trip.receiver].uscc,
            "items": self.codes(&trip.items),
            "planned_date": date(d).to_string(),
        })
    }

    fn open(&mut self, t: Minute, trip: TripId, outs: &mut Vec<Out>) {
        let tr = &self.trips[trip];
        let fields = self.manifest_fields(tr, t.div_euclid(DAY));
        let env = self.cast.parties[tr.issuer]
            .device
            .sign_event("manifest_open", &stamp(t), fields);
        self.trips[trip].opened = t;
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Opened(trip),
        });
    }

    /// The booked vehicle is down for a check: another vehicle and driver of the same carrier.
    fn amend(&mut self, t: Minute, trip: TripId, outs: &mut Vec<Out>) {
        let (c, driver) = self.trips[trip].carriers[0];
        let carrier = &self.cast.carriers[c];
        let kind = carrier
            .vehicles
            .iter()
            .find(|v| v.plate == self.trips[trip].plate)
            .map_or("van", |v| v.kind);
        let plate = carrier
            .vehicles
            .iter()
            .find(|v| v.plate != self.trips[trip].plate && (v.kind == kind || (kind == "van" && v.kind == "flatbed")))
            .map(|v| v.plate.clone())
            .unwrap_or_else(|| self.trips[trip].plate.clone());
        let other = (driver + 1) % carrier.drivers.len();
        let licence = carrier.drivers[other].licence.clone();
        let tr = &self.trips[trip];
        let env = self.cast.parties[tr.issuer].device.sign_event(
            "manifest_amend",
            &stamp(t),
            json!({"manifest": tr.number, "reason": "原定车辆临时检修，更换车辆和驾驶员",
                   "vehicle_plate": plate, "driver_licence": licence}),
        );
        let tr = &mut self.trips[trip];
        tr.plate = plate;
        tr.licence = licence;
        tr.carriers[0].1 = other;
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Nothing,
        });
        let next = t + self.rng.range(40, 80);
        self.at(next, Task::Pickup(trip));
    }

    /// The vehicle broke down before loading: the manifest is cancelled, the items stay and go
    /// another day.
    fn cancel(&mut self, t: Minute, trip: TripId, outs: &mut Vec<Out>) {
        let tr = &self.trips[trip];
        let env = self.cast.parties[tr.issuer].device.sign_event(
            "manifest_cancel",
            &stamp(t),
            json!({"manifest": tr.number, "reason": "车辆故障，本次转移取消，改日重新开具联单"}),
        );
        let (issuer, items) = (tr.issuer, tr.items.clone());
        let store = &mut self.stores[issuer];
        let rest = std::mem::take(store);
        *store = items.into_iter().chain(rest).collect();
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Nothing,
        });
    }

    fn pickup(&mut self, t: Minute, trip: TripId, outs: &mut Vec<Out>) {
        let tr = &self.trips[trip];
        let codes = self.codes(&tr.items);
        let first = tr.carriers[0];
        let release = self.cast.parties[tr.issuer].device.sign_event(
            "release",
            &stamp(t),
            json!({"items": codes, "to": self.carrier_uscc(first.0), "manifest": tr.number}),
        );
        let body = json!({"items": codes, "manifest": tr.number});
        let accept = self.driver(first).sign_event("accept", &stamp(t + 4), body.clone());
        for env in [release, accept] {
            outs.push(Out {
                env,
                expect: Expect::Accepted,
                then: Then::Nothing,
            });
        }
        if tr.fate.conflict {
            // A second driver scanned the same load on a phone with no signal; its accept
            // reaches the service hours later and is refused, and logged.
            let other = (first.0, (first.1 + 1) % self.cast.carriers[first.0].drivers.len());
            let env = self.driver(other).sign_event("accept", &stamp(t + 5), body);
            let sync = t + self.rng.range(60, 100);
            self.at(sync, Task::Late(Box::new(env), Expect::Refused("no_release_pending")));
        }
        let tr = &self.trips[trip];
        let next = if tr.carriers.len() > 1 {
            (t + self.rng.range(40, 70), Task::Handover(trip))
        } else {
            (t + tr.leg + tr.fate.delay_days * DAY, Task::Arrive(trip))
        };
        self.at(next.0, next.1);
    }

    /// At the transfer point the local carrier hands the load to T1 (联运).
    fn handover(&mut self, t: Minute, trip: TripId, outs: &mut Vec<Out>) {
        let tr = &self.trips[trip];
        let (a, b) = (tr.carriers[0], tr.carriers[1]);
        let codes = self.codes(&tr.items);
        let release = self.driver(a).sign_event(
            "release",
            &stamp(t),
            json!({"items": codes, "to": self.carrier_uscc(b.0), "manifest": tr.number}),
        );
        let accept = self
            .driver(b)
            .sign_event("accept", &stamp(t + 6), json!({"items": codes, "manifest": tr.number}));
        for env in [release, accept] {
            outs.push(Out {
                env,
                expect: Expect::Accepted,
                then: Then::Nothing,
            });
        }
        let leg = self.rng.range(30, 60);
        let tr = &self.trips[trip];
        self.at(t + leg + tr.fate.delay_days * DAY, Task::Arrive(trip));
    }

    /// Spills and losses on the road, reported by the carrier holding the load.
    fn incidents(&mut self, t: Minute, trip: TripId, outs: &mut Vec<Out>) {
        let tr = &self.trips[trip];
        let last = *tr.carriers.last().expect("a carrier");
        let (spill, loss) = (tr.fate.spill, tr.fate.loss && tr.items.len() > 1);
        if spill {
            let id = tr.items[0];
            let lost = (self.items[id].mass_g as f64 * self.rng.around(0.015, 0.6)) as u64 / 100 * 100 + 100;
            let env = self.driver(last).sign_event(
                "incident",
                &stamp(t - 2),
                json!({"item": self.items[id].code, "kind": "spill", "lost_mass_g": lost,
                       "description": "山区道路颠簸致桶盖渗漏，已用吸附棉收集处理"}),
            );
            self.items[id].mass_g -= lost;
            outs.push(Out {
                env,
                expect: Expect::Accepted,
                then: Then::Nothing,
            });
        }
        if loss {
            let id = self.trips[trip].items.pop().expect("two items or more");
            let env = self.driver(last).sign_event(
                "incident",
                &stamp(t - 1),
                json!({"item": self.items[id].code, "kind": "loss", "lost_mass_g": self.items[id].mass_g,
                       "description": "途中清点发现少一件，已报告公安和生态环境部门"}),
            );
            self.items[id].mass_g = 0;
            outs.push(Out {
                env,
                expect: Expect::Accepted,
                then: Then::Nothing,
            });
        }
    }

    /// The last carrier declares the load at the gate; the receiver weighs each item and
    /// decides: accept, refuse (it goes back), accept in part, or later.
    fn arrive(&mut self, t: Minute, trip: TripId, outs: &mut Vec<Out>) {
        self.incidents(t, trip, outs);
        let tr = &self.trips[trip];
        let last = *tr.carriers.last().expect("a carrier");
        let env = self.driver(last).sign_event(
            "arrive",
            &stamp(t),
            json!({"items": self.codes(&tr.items), "manifest": tr.number}),
        );
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Nothing,
        });
        let d = t.div_euclid(DAY);
        let (items, ret, method, late) = (tr.items.clone(), tr.ret, tr.method, tr.fate.late_receipt_days);
        let mut refused_one = false;
        for (i, id) in items.into_iter().enumerate() {
            let at = t + 3 + (i as i64).min(6);
            let checked = method.is_some() && !ret && !self.items[id].medical;
            let discrepant = checked && (self.take(Force::Discrepancy) || self.rng.chance(0.012));
            let factor = if discrepant {
                let off = self.rng.around(0.10, 0.4);
                if self.rng.chance(0.6) {
                    1.0 + off
                } else {
                    1.0 - off
                }
            } else if ret {
                1.0
            } else {
                self.rng.around(1.0, 0.015)
            };
            let w = ((self.items[id].mass_g as f64 * factor) as u64).max(1);
            self.weigh(at, trip, id, w, outs);
            if discrepant {
                self.tally.discrepancies += 1;
                self.follow_up(t, id, late == 0);
            }
            if late > 0 {
                let when = self.calendar.add_working_days(date(d), late);
                let when = minute(when, 10, 0) + i as i64 / 20;
                self.at(when, Task::Receive { trip, item: id });
                continue;
            }
            if checked && !discrepant && !refused_one && (self.take(Force::Refuse) || self.rng.chance(0.0015)) {
                refused_one = true;
                self.decide(
                    at,
                    trip,
                    id,
                    0,
                    w,
                    Some("包装桶破损渗漏，不符合接收要求，拒收退回"),
                    outs,
                );
                let back = t + self.rng.range(60, 120);
                self.at(back, Task::ReturnOpen { trip, item: id });
                continue;
            }
            if checked && !discrepant && (self.take(Force::Partial) || self.rng.chance(0.0015)) {
                let refused = (w as f64 * self.rng.around(0.12, 0.6)) as u64;
                self.decide(
                    at,
                    trip,
                    id,
                    w - refused,
                    refused,
                    Some("袋内混入不属于联单所列类别的杂物，该部分拒收"),
                    outs,
                );
                continue;
            }
            self.decide(at, trip, id, w, 0, None, outs);
        }
    }

    fn weigh(&mut self, t: Minute, trip: TripId, id: ItemId, w: u64, outs: &mut Vec<Out>) {
        let gate = &self.cast.parties[self.trips[trip].receiver].device;
        let env = gate.sign_event(
            "weigh",
            &stamp(t),
            json!({"item": self.items[id].code, "weighed_mass_g": w}),
        );
        let item = &mut self.items[id];
        item.mass_g = w;
        item.weighed_g = w;
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Weighed(id),
        });
    }

    /// A discrepancy is answered by the generator's explanation, or by a correction of the
    /// declared mass that generator and receiver co-sign (once the receiver holds the item),
    /// or left for the regulator.
    fn follow_up(&mut self, t: Minute, id: ItemId, received: bool) {
        // The first three are engineered: one explained, one corrected, one left open.
        let r = match self.tally.discrepancies {
            1 => 0.0,
            2 => 0.6,
            3 => 0.9,
            _ => self.rng.unit(),
        };
        if r < 0.5 || (r < 0.8 && !received) {
            let when = t + self.rng.range(1, 3) * DAY + self.rng.range(60, 240);
            self.at(when, Task::Explain(id));
        } else if r < 0.8 {
            let when = t + self.rng.range(2, 5) * DAY + self.rng.range(60, 240);
            self.at(when, Task::Correct(id));
        }
    }

    /// The receiver's decision on an arrived item it weighed.
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &mut self,
        t: Minute,
        trip: TripId,
        id: ItemId,
        accepted: u64,
        refused: u64,
        reason: Option<&str>,
        outs: &mut Vec<Out>,
    ) {
        let tr = &self.trips[trip];
        let (receiver, method, ret) = (tr.receiver, tr.method, tr.ret);
        let decision = match (accepted, refused) {
            (_, 0) => "accept",
            (0, _) => "refuse",
            _ => "partial",
        };
        let mut body = json!({"item": self.items[id].code, "decision": decision,
                              "accepted_mass_g": accepted, "refused_mass_g": refused});
        if let Some(reason) = reason {
            body["reason"] = json!(reason);
        }
        let env = self.cast.parties[receiver]
            .device
            .sign_event("receive", &stamp(t), body);
        let d = t.div_euclid(DAY);
        let then = if accepted > 0 && refused > 0 {
            // The refused part becomes an item of its own (the receipt gives its code).
            let it = &self.items[id];
            let (generator, spec, dest, medical) = (it.generator, it.spec, it.dest, it.medical);
            let part = self.new_item(generator, spec, dest, medical, refused, d, Place::Aside);
            Then::PartRefused { part, trip }
        } else {
            Then::Nothing
        };
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then,
        });
        if accepted == 0 {
            return;
        }
        let item = &mut self.items[id];
        item.mass_g = accepted;
        item.holder = receiver;
        item.received = t;
        let keep = item.keep;
        match method {
            _ if keep => {}
            _ if ret => {
                let store = &mut self.stores[receiver];
                store.insert(0, id);
            }
            Some(m) => {
                let lag = match m {
                    "incineration" => self.rng.range(1, 6),
                    "steam" => 0,
                    "utilisation" => self.rng.range(2, 8),
                    _ => self.rng.range(1, 4),
                };
                self.queues.entry((receiver, m)).or_default().insert((d + lag, id));
            }
            None => self.inbox.entry(receiver).or_default().push(id),
        }
    }

    fn receive_late(&mut self, t: Minute, trip: TripId, id: ItemId, outs: &mut Vec<Out>) {
        let w = self.items[id].mass_g;
        self.decide(t, trip, id, w, 0, None, outs);
    }

    /// The generator opens a return manifest naming itself as receiver, with the carrier that
    /// holds the refused item.
    fn return_open(&mut self, t: Minute, trip: TripId, id: ItemId, outs: &mut Vec<Out>) {
        let tr = &self.trips[trip];
        let last = *tr.carriers.last().expect("a carrier");
        let carrier = &self.cast.carriers[last.0];
        let (plate, licence) = if last.0 == tr.carriers[0].0 {
            (tr.plate.clone(), tr.licence.clone())
        } else {
            (
                carrier.vehicles[0].plate.clone(),
                carrier.drivers[last.1].licence.clone(),
            )
        };
        let generator = self.items[id].generator;
        let leg = tr.leg;
        self.trips.push(Trip {
            issuer: generator,
            receiver: generator,
            method: None,
            carriers: vec![last],
            plate,
            licence,
            items: vec![id],
            number: String::new(),
            opened: t,
            leg,
            ret: true,
            fate: Fate::default(),
        });
        let ret = self.trips.len() - 1;
        self.open(t, ret, outs);
    }

    fn return_go(&mut self, t: Minute, trip: TripId, outs: &mut Vec<Out>) {
        let tr = &self.trips[trip];
        let env = self.driver(tr.carriers[0]).sign_event(
            "return",
            &stamp(t),
            json!({"items": self.codes(&tr.items), "manifest": tr.number}),
        );
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Nothing,
        });
        let leg = tr.leg;
        self.at(t + leg, Task::Arrive(trip));
    }

    // ---- facilities -----------------------------------------------------------------------

    /// Kilograms a run of a method treats (the permits' yearly scale over the days the line
    /// runs; the steam line runs twice a day, 2 t a shift).
    fn daily_capacity_kg(method: &str) -> f64 {
        match method {
            "incineration" | "stabilisation" => 30_000_000.0 / 330.0,
            "physico_chemical" => 10_000_000.0 / 250.0,
            "cement_kiln" => 60_000_000.0 / 330.0,
            "steam" => 2_000.0,
            "utilisation" => 40_000.0,
            _ => 2_000_000.0,
        }
    }

    /// Every morning each line treats what is ready, oldest first, up to its day's capacity;
    /// incineration leaves ash, stabilisation solidified blocks, which go to the landfill.
    fn treat(&mut self, t: Minute, plant: usize, method: &'static str, outs: &mut Vec<Out>) {
        let d = t.div_euclid(DAY);
        let p = &self.cast.plants;
        let stopped = (plant == p.nantong && (self.plan.kiln_stop.0..self.plan.kiln_stop.1).contains(&d))
            || (plant == p.fengyan && (self.plan.steam_stop.0..self.plan.steam_stop.1).contains(&d))
            || (plant == p.oil && d + 14 >= self.plan.oil_expiry)
            || (matches!(method, "physico_chemical" | "utilisation") && !self.working(d));
        if stopped {
            return;
        }
        let capacity_g = Self::daily_capacity_kg(method) * 1000.0 * self.rng.around(1.0, 0.1);
        let Some(queue) = self.queues.get_mut(&(plant, method)) else {
            return;
        };
        let mut done = Vec::new();
        let mut total = 0u64;
        while let Some(&(ready, id)) = queue.first() {
            let received_later = self.items[id].received > t;
            if ready > d || received_later || total as f64 >= capacity_g || done.len() >= 400 {
                break;
            }
            queue.pop_first();
            total += self.items[id].mass_g;
            done.push(id);
        }
        let device = &self.cast.parties[plant].device;
        for (i, &id) in done.iter().enumerate() {
            let item = &self.items[id];
            let mut body = json!({"item": item.code, "method": method, "treated_mass_g": item.mass_g});
            if method == "landfill" {
                body["volume_l"] = json!((item.mass_g / 1600).max(1));
                self.tally.landfill_l += item.mass_g / 1600;
            }
            let env = device.sign_event("treat", &stamp(t + (i as i64) / 50), body);
            outs.push(Out {
                env,
                expect: Expect::Accepted,
                then: Then::Nothing,
            });
        }
        for &id in &done {
            let item = &self.items[id];
            match item.residue {
                true => self.tally.treated_residue_g += item.mass_g,
                false => self.tally.treated_g += item.mass_g,
            }
        }
        match method {
            "incineration" => self.residues(t, plant, &done, 0.22, 4_000_000, &ASH, "stabilisation", outs),
            "physico_chemical" => self.residues(t, plant, &done, 0.08, 5_000_000, &SLUDGE, "stabilisation", outs),
            "stabilisation" => {
                let (ash, other): (Vec<ItemId>, Vec<ItemId>) =
                    done.iter().partition(|&&id| self.items[id].spec.waste == ASH.waste);
                self.residues(t, plant, &ash, 1.3, 25_000_000, &ASH_BLOCK, "landfill", outs);
                self.residues(t, plant, &other, 1.3, 25_000_000, &BLOCK, "landfill", outs);
            }
            _ => {}
        }
    }

    /// Residues of a day's treatment: new items naming the treated items as inputs, at most
    /// `unit_g` each and 100 inputs each, queued for their next treatment from tomorrow.
    #[allow(clippy::too_many_arguments)]
    fn residues(
        &mut self,
        t: Minute,
        plant: usize,
        inputs: &[ItemId],
        ratio: f64,
        unit_g: u64,
        spec: &'static StreamSpec,
        next: &'static str,
        outs: &mut Vec<Out>,
    ) {
        if inputs.is_empty() {
            return;
        }
        let total: u64 = inputs.iter().map(|&i| self.items[i].mass_g).sum();
        let residue = (total as f64 * ratio) as u64;
        let by_mass = residue.div_ceil(unit_g) as usize;
        let by_count = inputs.len().div_ceil(MAX_ITEMS);
        let n = by_mass.max(by_count).clamp(1, inputs.len());
        let d = t.div_euclid(DAY);
        for k in 0..n {
            let group: Vec<ItemId> = inputs.iter().copied().skip(k).step_by(n).collect();
            let mass_g = (residue / n as u64 / 100 * 100).max(100);
            let id = self.new_item(
                plant,
                spec,
                Dest::Stabilise,
                false,
                mass_g,
                d,
                Place::Queue(next, d + 1),
            );
            self.items[id].residue = true;
            let mut body = Self::generate_fields(spec, mass_g);
            body["inputs"] = json!(self.codes(&group));
            let env = self.cast.parties[plant]
                .device
                .sign_event("generate", &stamp(t + 20), body);
            self.tally.residue_g += mass_g;
            outs.push(Out {
                env,
                expect: Expect::Accepted,
                then: Then::Created(id),
            });
        }
    }

    /// Every Friday a collection point packs the week's small lots into totes (batteries) and
    /// IBCs (waste oil) of up to about a tonne, each a new item naming its inputs; a lone lot
    /// waits for the next week.
    fn consolidate(&mut self, t: Minute, point: usize, outs: &mut Vec<Out>) {
        let d = t.div_euclid(DAY);
        // Lots received after this moment (the gate's clock runs a few minutes behind the
        // arrival) wait for the next packing.
        let (lots, mut left): (Vec<ItemId>, Vec<ItemId>) = self
            .inbox
            .remove(&point)
            .unwrap_or_default()
            .into_iter()
            .partition(|&i| self.items[i].received <= t);
        for (k, spec) in POINT_OUTPUTS.iter().enumerate() {
            let category = &spec.waste[8..];
            let mine: Vec<ItemId> = lots
                .iter()
                .copied()
                .filter(|&i| &self.items[i].spec.waste[8..] == category)
                .collect();
            let mut chunk: Vec<ItemId> = Vec::new();
            let mut chunk_g = 0u64;
            for id in mine {
                chunk.push(id);
                chunk_g += self.items[id].mass_g;
                if chunk_g >= 900_000 || chunk.len() == MAX_ITEMS {
                    self.pack(t, d, point, k, std::mem::take(&mut chunk), outs);
                    chunk_g = 0;
                }
            }
            if chunk.len() >= 2 {
                self.pack(t, d, point, k, chunk, outs);
            } else {
                left.extend(chunk);
            }
        }
        if !left.is_empty() {
            self.inbox.insert(point, left);
        }
    }

    fn pack(&mut self, t: Minute, d: i64, point: usize, k: usize, inputs: Vec<ItemId>, outs: &mut Vec<Out>) {
        if inputs.len() < 2 {
            self.inbox.entry(point).or_default().extend(inputs);
            return;
        }
        let spec = &POINT_OUTPUTS[k];
        let mass_g: u64 = inputs.iter().map(|&i| self.items[i].mass_g).sum();
        let id = self.new_item(point, spec, spec.dest, false, mass_g, d, Place::Store);
        if d < self.plan.start {
            // The pilot's totes go to the smelter at once; it keeps the first aside (its lead
            // content is disputed), and it is still there, over a year later, at the end.
            self.items[id].rush = true;
            self.items[id].keep = !self.items.iter().any(|i| i.keep);
        }
        let env = self.cast.parties[point].device.sign_event(
            "consolidate",
            &stamp(t),
            json!({"inputs": self.codes(&inputs), "output": Self::generate_fields(spec, mass_g)}),
        );
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Created(id),
        });
    }

    // ---- answers and episodes -------------------------------------------------------------

    fn explain(&mut self, t: Minute, id: ItemId, outs: &mut Vec<Out>) {
        let item = &self.items[id];
        let env = self.cast.parties[item.generator].device.sign_event(
            "explanation",
            &stamp(t),
            json!({"item": item.code, "about": item.weigh_seq,
                   "text": "申报重量按容器标称估算，未实际过磅；以接收单位称重为准，今后出库前过磅"}),
        );
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Nothing,
        });
    }

    fn correct(&mut self, t: Minute, id: ItemId, outs: &mut Vec<Out>) {
        let item = &self.items[id];
        let (generator, holder) = (&self.cast.parties[item.generator], &self.cast.parties[item.holder]);
        let env = generator.device.sign_event(
            "correction",
            &stamp(t),
            json!({"corrects": item.created_seq, "item": item.code, "field": "declared_mass_g",
                   "new_value": item.weighed_g, "reason": "产废单位申报时误填重量，经双方核对按过磅重量更正",
                   "signers": [generator.uscc, holder.uscc]}),
        );
        let env = holder.device.cosign(&env);
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Nothing,
        });
    }

    /// A hospital registers pathological waste, which no facility of the district may take:
    /// its manifest to Fengyan is refused (permit scope), and the box stays in its store.
    fn pathological(&mut self, t: Minute, gen: usize, outs: &mut Vec<Out>) {
        let party = self.cast.generators[gen].party;
        let id = self.new_item(party, &PATHOLOGICAL, Dest::Steam, true, 18_500, t / DAY, Place::Aside);
        let env = self.cast.parties[party].device.sign_event(
            "generate",
            &stamp(t),
            Self::generate_fields(&PATHOLOGICAL, 18_500),
        );
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Created(id),
        });
        self.after(t + 90, Task::PathologicalShip(id));
    }

    fn pathological_ship(&mut self, t: Minute, id: ItemId, outs: &mut Vec<Out>) {
        let party = self.items[id].generator;
        let carrier = &self.cast.carriers[1];
        let env = self.cast.parties[party].device.sign_event(
            "manifest_open",
            &stamp(t),
            json!({"transporters": [self.carrier_uscc(1)], "vehicle_plate": carrier.vehicles[0].plate,
                   "driver_licence": carrier.drivers[0].licence,
                   "receiver": self.cast.parties[self.cast.plants.fengyan].uscc,
                   "items": [self.items[id].code], "planned_date": date(t / DAY).to_string()}),
        );
        outs.push(Out {
            env,
            expect: Expect::Refused("permit_scope"),
            then: Then::Nothing,
        });
    }

    /// A mine fills an IBC of hydraulic oil for the oil plant. Shortly before the plant's
    /// permit expires it is sent at once (the plant stopped treating two weeks before the
    /// expiry, so it is still there when the permit lapses); after the expiry the mine tries
    /// once more: refused (permit scope), and the IBC goes to the cement kiln with a later load.
    fn oil_drum(&mut self, t: Minute, expired: bool, outs: &mut Vec<Out>) {
        let Some(gen) = self.cast.generators.iter().position(|g| g.industry.tag == 'M') else {
            return;
        };
        let g = &self.cast.generators[gen];
        let (party, spec) = (g.party, g.streams[0].0);
        let place = if expired { Place::Aside } else { Place::Store };
        let id = self.new_item(party, spec, spec.dest, false, 852_000, t / DAY, place);
        self.items[id].rush = !expired;
        let env =
            self.cast.parties[party]
                .device
                .sign_event("generate", &stamp(t), Self::generate_fields(spec, 852_000));
        self.tally.generated_g += 852_000;
        outs.push(Out {
            env,
            expect: Expect::Accepted,
            then: Then::Created(id),
        });
        if expired {
            self.after(t + 120, Task::OilShip(id));
        }
    }

    fn oil_ship(&mut self, t: Minute, id: ItemId, outs: &mut Vec<Out>) {
        let party = self.items[id].generator;
        let district = self.cast.parties[party].district;
        let c = match district {
            "qijiang" => 2,
            "nanchuan" => 3,
            _ => 0,
        };
        let carrier = &self.cast.carriers[c];
        let env = self.cast.parties[party].device.sign_event(
            "manifest_open",
            &stamp(t),
            json!({"transporters": [self.carrier_uscc(c)], "vehicle_plate": carrier.vehicles[0].plate,
                   "driver_licence": carrier.drivers[0].licence,
                   "receiver": self.cast.parties[self.cast.plants.oil].uscc,
                   "items": [self.items[id].code], "planned_date": date(t / DAY).to_string()}),
        );
        outs.push(Out {
            env,
            expect: Expect::Refused("permit_scope"),
            then: Then::Nothing,
        });
        self.stores[party].push(id);
    }

    /// The go-live pilot: small Wansheng enterprises register two crates of spent batteries
    /// each and hand them to the collection point, which packs them into totes for the smelter.
    fn pilot(&mut self, t: Minute, outs: &mut Vec<Out>) {
        let d = t.div_euclid(DAY);
        let shops: Vec<(usize, &'static StreamSpec)> = self
            .cast
            .generators
            .iter()
            .filter(|g| self.cast.parties[g.party].district == "wansheng")
            .filter_map(|g| {
                let spec = g.streams.iter().find(|(s, _)| s.waste == "900-052-31")?.0;
                Some((g.party, spec))
            })
            .take(6)
            .collect();
        for (i, (party, spec)) in shops.into_iter().enumerate() {
            for k in 0..2 {
                let mass_g = (self.rng.around(spec.item_kg, 0.12) * 10.0) as u64 * 100;
                let id = self.new_item(party, spec, spec.dest, false, mass_g, d, Place::Store);
                self.items[id].rush = true;
                let env = self.cast.parties[party].device.sign_event(
                    "generate",
                    &stamp(t + 10 * i as i64 + k),
                    Self::generate_fields(spec, mass_g),
                );
                self.tally.generated_g += mass_g;
                outs.push(Out {
                    env,
                    expect: Expect::Accepted,
                    then: Then::Created(id),
                });
            }
        }
    }

    /// A driver's phone is lost: the carrier revokes its key and registers a new phone. The
    /// lost phone still had an event queued; when it syncs the next day it is refused (a
    /// revoked key) and not logged.
    fn revoke(&mut self, t: Minute, c: usize, k: usize, _outs: &mut Vec<Out>) {
        let owner = self.carrier_uscc(c);
        let old_name = self.cast.carriers[c].drivers[k].device.device.clone();
        let new_name = format!("{old_name}-b");
        let new = super::cast::device(self.seed, &owner, &new_name);
        self.replacements.push(Replace {
            owner,
            old: old_name,
            new: NewDevice {
                device: new_name,
                public_key: new.public_key_b64(),
            },
        });
        let old = std::mem::replace(&mut self.cast.carriers[c].drivers[k].device, new);
        let recent = self
            .trips
            .iter()
            .rev()
            .find(|tr| !tr.number.is_empty() && !tr.items.is_empty());
        let body = match recent {
            Some(tr) => json!({"items": self.codes(&tr.items), "manifest": tr.number}),
            None => return,
        };
        let env = old.sign_event("arrive", &stamp(t + DAY), body);
        self.at(t + DAY + 5, Task::Late(Box::new(env), Expect::Unlogged("key_revoked")));
    }
}

use super::cast::s as residue;

/// Incinerator ash (bottom ash and fly ash), before solidification.
static ASH: StreamSpec = residue(
    "772-003-18",
    "焚烧残渣（飞灰、炉渣）",
    "危险废物焚烧飞灰和炉渣",
    "solid",
    &["T"],
    "渣斗（4立方米）",
    4000,
    4000.0,
    0.0,
    Dest::Stabilise,
);

/// Solidified ash, for the landfill.
static ASH_BLOCK: StreamSpec = residue(
    "772-003-18",
    "固化飞灰（固化体）",
    "水泥固化后的焚烧飞灰",
    "solid",
    &["T"],
    "固化体（填埋批次）",
    30000,
    25000.0,
    0.0,
    Dest::Stabilise,
);

/// Solidified sludge and physico-chemical residues, for the landfill.
static BLOCK: StreamSpec = residue(
    "772-006-49",
    "稳定化/固化残渣（固化体）",
    "稳定化固化后的污泥和处理残渣",
    "solid",
    &["T"],
    "固化体（填埋批次）",
    30000,
    25000.0,
    0.0,
    Dest::Stabilise,
);

/// Sludge of the physico-chemical line.
static SLUDGE: StreamSpec = residue(
    "772-006-49",
    "物化处理污泥",
    "中和沉淀污泥",
    "semi_solid",
    &["T"],
    "吨袋",
    1000,
    1000.0,
    0.0,
    Dest::Stabilise,
);
