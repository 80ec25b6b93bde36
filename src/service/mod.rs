//! The services: what the HTTP handlers and the command line both call. Each module takes
//! domain types, applies the rules and access decisions, and reads or writes through `store`
//! and `log`; none knows HTTP. `AppState` is what a running service shares: the database, the
//! log, the deployment settings, and the reference data read at start-up.

pub mod accounts;
pub mod alert_words;
pub mod alerts;
pub mod approvals;
pub mod backup;
pub mod dashboard;
pub mod enrolments;
pub mod export;
pub mod ingest;
pub mod item_story;
pub mod items;
pub mod ledger;
pub mod manifests;
pub mod receivers;
pub mod reconcile;
pub mod registry;
pub mod reports;
pub mod search;
pub mod throttle;
pub mod transporters;

use std::sync::Arc;

use anyhow::Context as _;

use crate::config::Config;
use crate::domain::calendar::WorkCalendar;
use crate::domain::Catalogue;
use crate::log::keyring;
use crate::log::serverkeys::key_dir;
use crate::log::Log;
use crate::store::reference;
use crate::store::{Db, StoreError};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub log: Arc<Log>,
    pub config: Arc<Config>,
    /// The catalogue version active at start-up (`catalogue load` takes effect at the next start).
    catalogue: Arc<Catalogue>,
    /// The working-day calendar as at start-up (`calendar load` needs the service stopped).
    calendar: Arc<WorkCalendar>,
    /// Failed logins per account and per address, in memory.
    pub login_throttle: Arc<throttle::LoginThrottle>,
}

impl AppState {
    pub fn new(db: Db, log: Arc<Log>, config: Config, catalogue: Catalogue, calendar: WorkCalendar) -> AppState {
        AppState {
            db,
            log,
            login_throttle: Arc::new(throttle::LoginThrottle::new(config.login_limits.clone())),
            config: Arc::new(config),
            catalogue: Arc::new(catalogue),
            calendar: Arc::new(calendar),
        }
    }

    /// The active catalogue version (cheap: an `Arc` clone).
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.catalogue.clone()
    }

    /// The working-day calendar (cheap: an `Arc` clone).
    pub fn calendar(&self) -> Arc<WorkCalendar> {
        self.calendar.clone()
    }
}

/// Opens the database and prepares the state every handler shares.
pub async fn open(config: Config) -> anyhow::Result<AppState> {
    let base = config.public_base_url.to_ascii_uppercase();
    if !crate::crypto::label::is_qr_alphanumeric(&base) || base.len() > 64 {
        anyhow::bail!("public URL {base} cannot go into a QR label: use at most 64 characters of A-Z 0-9 $%*+-./:");
    }
    let path = config.db_path.clone();
    let origin = config.origin.clone();
    let max_batch = config.max_batch_jobs;
    let (clock, seeds) = (config.clock.clone(), config.key_seeds.clone());
    let (db, log) = tokio::task::spawn_blocking(move || {
        let mut log = None;
        let db = Db::open_with_hook(&path, max_batch, |conn| {
            let opened = keyring::open_log(conn, &key_dir(&path), &origin, clock, seeds.as_ref())?;
            let hook = opened.hook();
            log = Some(opened);
            Ok(hook)
        })?;
        let log = log.ok_or_else(|| StoreError::Other("the log was not opened".into()))?;
        Ok::<_, StoreError>((db, log))
    })
    .await?
    .with_context(|| format!("opening database {}", config.db_path.display()))?;
    check_before_serving(&db, &log).await?;
    let report = db.write(reference::load_seeds).await.context("loading seeds")?;
    if report != reference::SeedReport::default() {
        tracing::info!(?report, "seeded reference data");
    }
    let catalogue = db.read(reference::active_catalogue).await?;
    tracing::info!(version = %catalogue.version, codes = catalogue.len(), "catalogue loaded");
    let calendar = db.read(reference::load_calendar).await?;
    tracing::info!(
        holidays = calendar.holidays.len(),
        workdays = calendar.workdays.len(),
        "working-day calendar loaded"
    );
    tracing::info!(origin = %log.origin, size = log.size(), "log opened");
    Ok(AppState::new(db, log, config, catalogue, calendar))
}

/// Refuses to serve a database whose log, checkpoint or keys were changed behind the service's
/// back (`audit::startup`): it would sign new checkpoints over them and accept events signed
/// with keys the log never registered.
async fn check_before_serving(db: &Db, log: &Log) -> anyhow::Result<()> {
    let (log_key, label_key) = (log.log_key().vkey, log.label_key().vkey);
    let started = std::time::Instant::now();
    let kept = crate::log::kept::read(&key_dir(&db.path))?;
    let outcome = db
        .read(move |conn| Ok(crate::audit::startup::check(conn, &log_key, &label_key, kept.as_ref())?))
        .await?;
    match outcome {
        Ok(checked) => {
            tracing::info!(
                entries = checked.entries,
                keys = checked.keys,
                ms = started.elapsed().as_millis() as u64,
                "log, latest checkpoint and keys checked"
            );
            Ok(())
        }
        Err(findings) => {
            let list: Vec<String> = findings.iter().take(10).map(ToString::to_string).collect();
            anyhow::bail!(
                "refusing to start: the database {} does not agree with its own signed log ({} finding(s)):\n  {}\n\
                 Run `hwtrace audit --db {}` for the full report, and restore the database from a backup.",
                db.path.display(),
                findings.len(),
                list.join("\n  "),
                db.path.display()
            )
        }
    }
}
