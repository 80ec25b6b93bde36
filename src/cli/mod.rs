//! The `hwtrace` command line (clap): serve, administer accounts, load catalogue versions and the
//! working-day calendar.

use std::io::BufRead;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use crate::config::{
    Config, DEFAULT_DB, DEFAULT_HEADER_READ_TIMEOUT_SECS, DEFAULT_IDLE_TIMEOUT_SECS, DEFAULT_LISTEN,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_ORIGIN, DEFAULT_PUBLIC_URL,
};
use crate::crypto::keys::KeyId;
use crate::domain::calendar as workdays;
use crate::http::server;
use crate::log::keyring;
use crate::log::serverkeys::{key_dir, ServerRole};
use crate::service::accounts::{self, NewUser};
use crate::store::reference;
use crate::store::Db;

pub mod bench;
pub mod demo;
pub mod offline;

#[derive(Parser)]
#[command(
    name = "hwtrace",
    version,
    about = "Hazardous-waste chain of custody / 危险废物全过程追溯"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (web app and API).
    Serve {
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        #[arg(long, default_value = DEFAULT_LISTEN, env = "HWTRACE_LISTEN")]
        listen: SocketAddr,
        /// Base URL printed in QR labels. `https://...` means browsers reach the service over
        /// TLS (through a reverse proxy, README "TLS"): cookies get `Secure` and answers
        /// `Strict-Transport-Security`.
        #[arg(long, default_value = DEFAULT_PUBLIC_URL, env = "HWTRACE_PUBLIC_URL")]
        public_url: String,
        /// The address of a reverse proxy in front of the service (repeatable, or comma-separated
        /// in the variable): for requests from it, the client is taken from X-Forwarded-For
        /// (login throttling). Requests from any other address are judged by their own.
        #[arg(
            long = "trusted-proxy",
            value_name = "IP",
            env = "HWTRACE_TRUSTED_PROXIES",
            value_delimiter = ','
        )]
        trusted_proxies: Vec<IpAddr>,
        /// Log origin, which names the log key.
        #[arg(long, default_value = DEFAULT_ORIGIN, env = "HWTRACE_ORIGIN")]
        origin: String,
        /// Days a device may stay offline: older events are refused (`event_too_old`).
        #[arg(long, default_value_t = crate::service::ingest::DEFAULT_OFFLINE_WINDOW_DAYS,
              env = "HWTRACE_OFFLINE_WINDOW_DAYS", value_parser = clap::value_parser!(i64).range(1..=3650))]
        offline_window_days: i64,
        /// Seconds a client has to send a request's headers, from its connection or from the
        /// first byte of a request (slow clients that trickle headers are closed).
        #[arg(long, default_value_t = DEFAULT_HEADER_READ_TIMEOUT_SECS, env = "HWTRACE_HEADER_READ_TIMEOUT_SECS",
              value_parser = clap::value_parser!(u64).range(1..=3600))]
        header_read_timeout_secs: u64,
        /// Seconds a connection may stay silent: idle between requests, stalled in a body, or not
        /// reading its answer.
        #[arg(long, default_value_t = DEFAULT_IDLE_TIMEOUT_SECS, env = "HWTRACE_IDLE_TIMEOUT_SECS",
              value_parser = clap::value_parser!(u64).range(1..=86400))]
        idle_timeout_secs: u64,
        /// Connections served at once; more wait in the listen queue until one closes.
        #[arg(long, default_value_t = DEFAULT_MAX_CONNECTIONS as u32, env = "HWTRACE_MAX_CONNECTIONS",
              value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        max_connections: u32,
        /// Start with the demo: on a new database, first build the simulated year (seed 1, as
        /// `hwtrace demo`); then add the demo accounts (idempotent) and print how to log in.
        #[arg(long)]
        demo: bool,
        /// Days of the demo year to simulate on a new database (at least 20).
        #[arg(long, requires = "demo", default_value_t = demo::FULL_YEAR_DAYS)]
        demo_days: u32,
        /// Scale of the demo year's tonnages.
        #[arg(long, requires = "demo", default_value_t = 1.0)]
        demo_scale: f64,
    },
    /// Build a deterministic simulated year of the district (2026-01-01 to 2026-11-28) into a
    /// new database, through the real custody rules and log; print its size.
    Demo {
        /// The database to create (refused if it already has a log).
        #[arg(long)]
        db: PathBuf,
        /// The same seed gives the same log, byte for byte.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Days simulated from 2026-01-01 (at least 20).
        #[arg(long, default_value_t = demo::FULL_YEAR_DAYS)]
        days: u32,
        /// Multiplies every generator's tonnage (0.1: a tenth of the waste, ten times quicker).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Log origin, which names the log key.
        #[arg(long, default_value = DEFAULT_ORIGIN, env = "HWTRACE_ORIGIN")]
        origin: String,
    },
    /// Manage accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Manage versions of the national hazardous-waste list.
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Manage the working-day calendar (public holidays and make-up working days).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Rotate or revoke the server's log and label keys (with the service stopped).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Measure throughput (prints figures): append, labels, verify.
    Bench(crate::cli::bench::BenchArgs),
    /// Verify a label offline: exit 0 if genuine, 1 with the reason otherwise.
    VerifyLabel {
        /// The QR text, e.g. HTTPS://HW.EXAMPLE.CN/Q/AEB2...
        qr_text: Option<String>,
        /// Read the QR code from a picture (PNG) instead.
        #[arg(long, conflicts_with = "qr_text")]
        image: Option<PathBuf>,
        /// The published key list saved from GET /api/v1/keys.
        #[arg(long, required_unless_present = "keys_url")]
        keys: Option<PathBuf>,
        /// Fetch the key list from a running service, e.g. http://127.0.0.1:8080/api/v1/keys.
        #[arg(long, conflicts_with = "keys")]
        keys_url: Option<String>,
    },
    /// Back up the database and its key directory into one archive (mode 0600: it holds the
    /// private keys) while the service runs.
    Backup {
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        /// The archive to write (refused if it exists).
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup archive as the database (the service stopped): checked and audited
    /// first; the replaced database is kept beside it; a backup older than what this service
    /// already signed is refused unless --accept-rollback.
    Restore {
        /// The archive written by `hwtrace backup`.
        #[arg(long)]
        from: PathBuf,
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        /// Restore a backup behind the checkpoint kept beside the keys, knowingly: entries
        /// signed after the backup are lost, item codes issued after it are never issued again.
        #[arg(long)]
        accept_rollback: bool,
    },
    /// Check the custody log from outside (SPEC §5.5): exit 0 only if everything checks.
    Audit(crate::audit::AuditArgs),
    /// Export the custody events for other systems.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Print a facility's capacity reconciliation on a date (docs/reconciliation.md). Reads the
    /// database read-only; the service may keep running.
    Reconcile {
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        /// The facility's USCC (default: the Yunan treatment centre).
        #[arg(long, default_value = "91500110MA60YNXH0F")]
        facility: String,
        /// The day (China Standard Time, YYYY-MM-DD); today by default.
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Write the custody events as one EPCIS 2.0 JSON-LD document to standard output
    /// (docs/epcis.md). Reads the database read-only; the service may keep running.
    Epcis {
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        /// First log index (default 0).
        #[arg(long)]
        from: Option<u64>,
        /// Last log index, inclusive (default: the last entry of the latest checkpoint).
        #[arg(long)]
        to: Option<u64>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Replace the active log or label key by a new one; the old one stays valid for what it signed.
    Rotate {
        /// log or label
        #[arg(long)]
        role: String,
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        /// Who approves the change (recorded in the log).
        #[arg(long, default_value = "operator")]
        approved_by: String,
    },
    /// Revoke a retired server key (rotate it out first).
    Revoke {
        key_id: String,
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        #[arg(long, default_value = "operator")]
        approved_by: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account; the password is read from standard input (first line).
    CreateUser {
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// admin, regulator, enterprise_admin or enterprise_clerk
        #[arg(long, default_value = "admin")]
        role: String,
        /// The user's enterprise (enterprise roles).
        #[arg(long)]
        enterprise: Option<String>,
        /// The regulator's district.
        #[arg(long)]
        district: Option<String>,
    },
    /// List accounts.
    ListUsers {
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
    },
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// Load a catalogue CSV (columns category,category_name,industry,code,description,hazard) as a new version.
    Load {
        csv: PathBuf,
        #[arg(long)]
        version: String,
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        /// Load without making it the version new inputs are checked against.
        #[arg(long)]
        no_activate: bool,
    },
    /// Make a loaded version the active one.
    Activate {
        version: String,
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Add days from a CSV (columns date,kind,name_zh,name_en; kind holiday or workday), replacing
    /// any already recorded for the same dates. Used at the next start of the service.
    Load {
        csv: PathBuf,
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
    },
}

/// Runs the command line given to the process.
pub async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        // A log line that cannot be written (stderr a closed pipe, a full disk) is dropped: the
        // default reports it with `eprintln!`, which panics, and a panic in the writer thread
        // would stop the service's writes.
        .log_internal_errors(false)
        .init();
    match Cli::parse().command {
        Command::Serve {
            db,
            listen,
            public_url,
            trusted_proxies,
            origin,
            offline_window_days,
            header_read_timeout_secs,
            idle_timeout_secs,
            max_connections,
            demo,
            demo_days,
            demo_scale,
        } => {
            let config = Config {
                listen,
                public_base_url: public_url,
                trusted_proxies,
                origin,
                offline_window_days,
                header_read_timeout: std::time::Duration::from_secs(header_read_timeout_secs),
                idle_timeout: std::time::Duration::from_secs(idle_timeout_secs),
                max_connections: max_connections as usize,
                ..Config::with_db(db)
            };
            let year = demo.then_some(demo::YearOptions {
                seed: 1,
                days: demo_days,
                scale: demo_scale,
            });
            serve(config, year).await
        }
        Command::Demo {
            db,
            seed,
            days,
            scale,
            origin,
        } => {
            let config = Config {
                origin,
                ..Config::with_db(db)
            };
            let summary = demo::build_year(&config, &demo::YearOptions { seed, days, scale }).await?;
            println!("{summary}");
            Ok(())
        }
        Command::Admin { command } => admin(command).await,
        Command::Catalogue { command } => catalogue(command).await,
        Command::Calendar { command } => calendar(command).await,
        Command::Keys { command } => keys(command).await,
        Command::Bench(args) => crate::cli::bench::run(args).await,
        Command::VerifyLabel {
            qr_text,
            image,
            keys,
            keys_url,
        } => verify_label(qr_text, image, keys, keys_url).await,
        Command::Backup { db, to } => {
            let r = tokio::task::spawn_blocking(move || crate::service::backup::backup(&db, &to)).await??;
            println!(
                "backed up {} entries of log {} (root {}) in {:.1} s: {} bytes",
                r.manifest.size, r.manifest.origin, r.manifest.root, r.seconds, r.bytes
            );
            Ok(())
        }
        Command::Restore {
            from,
            db,
            accept_rollback,
        } => {
            let r = crate::service::backup::restore(&from, &db, accept_rollback).await?;
            println!(
                "restored {} entries of log {} (backup made {}), audited {} entries, in {:.1} s",
                r.manifest.size, r.manifest.origin, r.manifest.made_at, r.audited_entries, r.seconds
            );
            if let Some(aside) = &r.replaced {
                println!("the replaced database is kept as {}", aside.display());
            }
            if let Some(from) = r.rolled_back_from {
                println!(
                    "ROLLBACK ACCEPTED: the log went back from {from} to {} entries; {} serial counters raised so that no issued code is issued again",
                    r.manifest.size, r.serials_raised
                );
            }
            Ok(())
        }
        Command::Audit(args) => {
            let quiet = args.quiet;
            let report = crate::audit::run(args).await?;
            let mut out = std::io::stdout().lock();
            report.print(&mut out, quiet)?;
            std::io::Write::flush(&mut out)?;
            if !report.ok() {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Export {
            command: ExportCommand::Epcis { db, from, to },
        } => export_epcis(db, from, to).await,
        Command::Reconcile { db, facility, date } => reconcile(db, facility, date).await,
    }
}

/// `reconcile`: the facility's reconciliation table on standard output.
async fn reconcile(db: PathBuf, facility: String, date: Option<chrono::NaiveDate>) -> anyhow::Result<()> {
    use crate::audit::{DbSource, Source};
    let date = date.unwrap_or_else(|| crate::time::cst_date(crate::time::now()));
    let date = crate::domain::day::in_range("--date", date).map_err(|r| anyhow::anyhow!("{}", r.message))?;
    let text = tokio::task::spawn_blocking(move || -> anyhow::Result<String> {
        let source = DbSource::open(&db)?;
        let conn = source.database().context("the database source has no connection")?;
        let r = crate::service::reconcile::facility(conn, &facility, date).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(crate::service::reconcile::table(&r))
    })
    .await??;
    print!("{text}");
    Ok(())
}

/// `export epcis`: one document of the whole range, written as it is read.
async fn export_epcis(db: PathBuf, from: Option<u64>, to: Option<u64>) -> anyhow::Result<()> {
    use crate::audit::{DbSource, Source};
    tokio::task::spawn_blocking(move || {
        let source = DbSource::open(&db)?;
        let conn = source.database().context("the database source has no connection")?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        crate::service::export::write_document(conn, from, to, crate::time::now(), &mut out)?;
        std::io::Write::flush(&mut out)?;
        Ok(())
    })
    .await?
}

async fn serve(config: Config, demo_year: Option<demo::YearOptions>) -> anyhow::Result<()> {
    if let Some(year) = &demo_year {
        if !demo::has_log(&config.db_path)? {
            println!("building the demo year into {} …", config.db_path.display());
            let summary = demo::build_year(&config, year)
                .await
                .context("building the demo year")?;
            println!("{summary}");
        }
    }
    let (listener, state) = server::bind(config).await?;
    if demo_year.is_some() {
        demo::load(&state.db).await.context("loading demo data")?;
        println!("{}", demo::LOGIN_HINT);
    }
    let addr = server::local_addr(&listener)?;
    // SIGTERM and SIGINT are ours before anyone can learn that we listen.
    let shutdown = server::shutdown_signal();
    println!(
        "hwtrace listening on http://{addr}/  (数据库 {})",
        state.db.path.display()
    );
    server::serve(listener, state, shutdown).await
}

async fn open_db(db: PathBuf) -> anyhow::Result<Db> {
    let state = crate::service::open(Config::with_db(db)).await?;
    Ok(state.db)
}

async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateUser {
            db,
            username,
            display_name,
            role,
            enterprise,
            district,
        } => {
            let db = open_db(db).await?;
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let new = NewUser {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                password,
                role,
                enterprise,
                district,
            };
            match accounts::create_user(&db, new).await {
                Ok(u) => println!("created user {} (id {}, role {})", u.username, u.id, u.role),
                Err(e) => bail!("{e}"),
            }
        }
        AdminCommand::ListUsers { db } => {
            let db = open_db(db).await?;
            for u in db.read(accounts::list_users).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.id,
                    u.username,
                    u.role,
                    u.enterprise.or(u.district).unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

async fn catalogue(command: CatalogueCommand) -> anyhow::Result<()> {
    match command {
        CatalogueCommand::Load {
            csv,
            version,
            db,
            no_activate,
        } => {
            let data = std::fs::read(&csv).with_context(|| format!("reading {}", csv.display()))?;
            let rows = reference::parse_catalogue_csv(&data).map_err(|r| anyhow::anyhow!("{r}"))?;
            let n = rows.len();
            let db = open_db(db).await?;
            let source = format!("loaded from {}", csv.display());
            let v = version.clone();
            db.write(move |conn| {
                reference::insert_catalogue(conn, &v, &source, &rows)?;
                if !no_activate {
                    reference::activate(conn, &v)?;
                }
                Ok(())
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let state = if no_activate { "loaded" } else { "loaded and active" };
            println!("catalogue {version}: {n} codes {state}; a running server picks it up at its next start");
        }
        CatalogueCommand::Activate { version, db } => {
            let db = open_db(db).await?;
            let v = version.clone();
            db.write(move |conn| reference::activate(conn, &v))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("catalogue {version} is now active");
        }
    }
    Ok(())
}

async fn calendar(command: CalendarCommand) -> anyhow::Result<()> {
    match command {
        CalendarCommand::Load { csv, db } => {
            let data = std::fs::read(&csv).with_context(|| format!("reading {}", csv.display()))?;
            let days = workdays::parse_calendar_csv(&data).map_err(|r| anyhow::anyhow!("{r}"))?;
            let holidays = days.iter().filter(|d| d.kind == workdays::DayKind::Holiday).count();
            let (first, last) = (
                days.iter().map(|d| d.date).min().unwrap_or_default(),
                days.iter().map(|d| d.date).max().unwrap_or_default(),
            );
            let n = days.len();
            let db = open_db(db).await?;
            db.write(move |conn| reference::upsert_calendar_days(conn, &days))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "calendar: {n} days loaded from {first} to {last} ({holidays} holidays, {} make-up working days); \
                 a running server picks them up at its next start",
                n - holidays
            );
        }
    }
    Ok(())
}

async fn keys(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Rotate { role, db, approved_by } => {
            let role = ServerRole::parse(&role).ok_or_else(|| anyhow::anyhow!("--role must be log or label"))?;
            let state = crate::service::open(Config::with_db(db.clone())).await?;
            let (log, dir) = (state.log.clone(), key_dir(&db));
            let key = state
                .db
                .write(move |conn| keyring::rotate(conn, &log, &dir, role, &approved_by))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "new {} key {} is active; the old one stays valid for what it signed",
                role.code(),
                key.vkey
            );
        }
        KeysCommand::Revoke {
            key_id,
            db,
            approved_by,
        } => {
            let id = KeyId::parse_hex(&key_id).map_err(|e| anyhow::anyhow!("{e}"))?;
            let state = crate::service::open(Config::with_db(db)).await?;
            let log = state.log.clone();
            state
                .db
                .write(move |conn| keyring::revoke_server_key(conn, &log, id, &approved_by))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("key {key_id} is revoked");
        }
    }
    Ok(())
}

async fn verify_label(
    qr_text: Option<String>,
    image: Option<PathBuf>,
    keys: Option<PathBuf>,
    keys_url: Option<String>,
) -> anyhow::Result<()> {
    let list: offline::KeyList = match (keys, keys_url) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not a key list", path.display()))?
        }
        (None, Some(url)) => reqwest::get(&url).await?.error_for_status()?.json().await?,
        (None, None) => bail!("give --keys FILE or --keys-url URL"),
    };
    let texts = match (qr_text, image) {
        (Some(t), _) => vec![t],
        (None, Some(path)) => {
            let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let found = crate::render::qr::decode_png(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
            if found.is_empty() {
                eprintln!("no QR code found in {} / 图片中未找到二维码", path.display());
                std::process::exit(1);
            }
            found
        }
        (None, None) => bail!("give the QR text or --image PNG"),
    };
    let mut all_good = true;
    for text in texts {
        match offline::verify(&text, &list) {
            Ok(payload) => println!("{}", offline::describe(&payload)),
            Err(e) => {
                all_good = false;
                println!("{e}");
            }
        }
    }
    if !all_good {
        std::process::exit(1);
    }
    Ok(())
}
