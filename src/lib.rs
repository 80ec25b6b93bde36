//! hwtrace: a hazardous-waste chain-of-custody service.
//!
//! The folders are the layers, each using only those above it in this list:
//! - pure: `domain` (types, parsers, the custody rules, access), `crypto` (SPEC wire formats),
//!   `render` (pages, labels, QR, EPCIS documents); no SQL, HTTP, files or clock;
//! - storage: `store` (the database, the single writer, projections, reference data) and `log`
//!   (the custody log, its keys);
//! - `service`: what the HTTP handlers and the command line both call (ingest, registry,
//!   accounts, alerts, reconciliation, reports, exports), with the shared `AppState`;
//! - `audit`: the independent auditor of SPEC §5.5, reading the log and optionally the database;
//! - `http`: routes, extractors, the error mapping, the server loop;
//! - `cli`: the `hwtrace` command, the demo year and the benchmarks.
//!
//! `config`, `time` (the clock) and `client` (a device that signs events) are used across layers.

pub mod audit;
pub mod cli;
pub mod client;
pub mod config;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod log;
pub mod render;
pub mod service;
pub mod store;
pub mod time;
