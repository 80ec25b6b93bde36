//! Deployment settings, with the embedded defaults that let `hwtrace serve` run on a fresh
//! machine with no configuration at all.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use crate::log::serverkeys::ServerKeySeeds;
use crate::service::throttle::LoginLimits;
use crate::time::Clock;

pub const DEFAULT_DB: &str = "hwtrace.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";
pub const DEFAULT_ORIGIN: &str = "hwtrace.wansheng.example/log";
/// Seconds a client has to send a request's headers, from its connection or its first byte.
pub const DEFAULT_HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Seconds a connection may stay silent: idle between requests, or stalled in a body or in
/// reading its answer.
pub const DEFAULT_IDLE_TIMEOUT_SECS: u64 = 60;
/// Connections served at once; more wait in the listen queue until one closes.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct Config {
    pub db_path: PathBuf,
    pub listen: SocketAddr,
    /// The base URL printed in QR labels. When it is `https://`, the service is behind TLS (its
    /// own reverse proxy's, README "TLS"): cookies get `Secure` and answers
    /// `Strict-Transport-Security`.
    pub public_base_url: String,
    /// The log origin, which names the log key (SPEC §2).
    pub origin: String,
    /// Province and city codes of manifest numbers (SPEC §1.4); Chongqing is 50, 01.
    pub province_code: String,
    pub city_code: String,
    /// Most writes committed together (group commit); 1 commits every write on its own.
    pub max_batch_jobs: usize,
    /// The log's clock: the system clock, or the demo's simulated time.
    pub clock: Clock,
    /// Hours an item may stay released or on the road before `transit_too_long` is raised.
    pub transit_alert_hours: i64,
    /// Days a device may stay offline: an event whose `at` is older than this (30 days for a
    /// `generate`, or this if longer) is refused `event_too_old`.
    pub offline_window_days: i64,
    /// Failed logins allowed per account and per client address (`service::throttle`).
    pub login_limits: LoginLimits,
    /// Reverse proxies whose `X-Forwarded-For` names the client (for login throttling); a
    /// request from any other address is judged by its own address, whatever it says.
    pub trusted_proxies: Vec<IpAddr>,
    /// Seeds of a new log's first keys (the demo's reproducible logs); `None`: random keys.
    pub key_seeds: Option<ServerKeySeeds>,
    /// Time to send a request's headers (`http::server`).
    pub header_read_timeout: Duration,
    /// Time a connection may stay silent (`http::server`, `http::body`).
    pub idle_timeout: Duration,
    /// Connections served at once (`http::server`).
    pub max_connections: usize,
}

impl Config {
    /// Defaults for a database at `db_path`.
    pub fn with_db(db_path: PathBuf) -> Config {
        Config {
            db_path,
            listen: DEFAULT_LISTEN.parse().expect("constant address"),
            public_base_url: DEFAULT_PUBLIC_URL.into(),
            origin: DEFAULT_ORIGIN.into(),
            province_code: "50".into(),
            city_code: "01".into(),
            max_batch_jobs: crate::store::MAX_BATCH_JOBS,
            clock: Clock::system(),
            transit_alert_hours: crate::service::alerts::DEFAULT_TRANSIT_HOURS,
            offline_window_days: crate::service::ingest::DEFAULT_OFFLINE_WINDOW_DAYS,
            key_seeds: None,
            login_limits: LoginLimits::default(),
            trusted_proxies: Vec::new(),
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECS),
            idle_timeout: Duration::from_secs(DEFAULT_IDLE_TIMEOUT_SECS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// Whether browsers reach the service over HTTPS (its public URL says so).
    pub fn behind_tls(&self) -> bool {
        self.public_base_url.to_ascii_lowercase().starts_with("https://")
    }
}
