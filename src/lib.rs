//! hwtrace: a hazardous-waste chain-of-custody service.

pub mod access;
pub mod accounts;
pub mod approvals;
pub mod audit;
pub mod bench;
pub mod calendar;
pub mod client;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod domain;
pub mod http;
pub mod ingest;
pub mod items;
pub mod keyring;
pub mod ledger;
pub mod log;
pub mod offline;
pub mod projection;
pub mod reference;
pub mod registry;
pub mod render;
pub mod server;
pub mod serverkeys;
pub mod store;
pub mod time;
