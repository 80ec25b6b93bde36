//! Demo data for `hwtrace serve --demo`: synthetic enterprises, vehicles, drivers and one
//! account per kind of user, so a newcomer can log in and look around. Idempotent: records
//! that exist are left alone. Everything here is marked synthetic.

use serde::Deserialize;

use crate::accounts::{self, NewUser};
use crate::domain::{Refusal, Uscc};
use crate::registry::{self, NewDriver, NewEnterprise, NewVehicle};
use crate::store::{Db, StoreError, StoreResult};

const DEMO: &str = include_str!("../seeds/demo.json");

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
