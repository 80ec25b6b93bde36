//! Who may carry a load (issue 10, the generator's manifest form): the registered transporters
//! with the vehicles and drivers registered with each, the choices `manifest_open` accepts
//! (`not_a_transporter`, `unknown_vehicle`, `unknown_driver`). A generator's users may not read
//! another enterprise's registry records, so this is the one list of them they see: names,
//! plates and drivers' names with their qualification numbers, never their phones. Read-only.

use rusqlite::Connection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::StoreResult;

/// Most transporters one answer lists (by name).
pub const MAX_TRANSPORTERS: usize = 500;

/// A vehicle a manifest may name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VehicleOption {
    pub plate: String,
    /// A code of the reference list `vehicle_types`.
    pub vehicle_type: String,
}

/// A driver a manifest may name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DriverOption {
    pub name: String,
    /// The dangerous-goods driver qualification number a manifest's `driver_licence` names.
    pub licence_no: String,
}

/// A registered transporter with what it may put on the road.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TransporterOption {
    pub uscc: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    pub district: String,
    pub contact_phone: String,
    /// By plate.
    pub vehicles: Vec<VehicleOption>,
    /// In the order registered.
    pub drivers: Vec<DriverOption>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Transporters {
    /// By Chinese name, at most [`MAX_TRANSPORTERS`].
    pub transporters: Vec<TransporterOption>,
    /// How many transporters are registered in all.
    pub total: u64,
}

/// The registered transporters, each with its vehicles and drivers.
pub fn transporters(conn: &Connection) -> StoreResult<Transporters> {
    let total: i64 = conn
        .prepare_cached("SELECT count(*) FROM enterprise_roles WHERE role = 'transporter'")?
        .query_row([], |r| r.get(0))?;
    let mut found: Vec<TransporterOption> = conn
        .prepare_cached(
            "SELECT e.uscc, e.name_zh, e.name_en, e.district, e.contact_phone
             FROM enterprises e JOIN enterprise_roles r ON r.uscc = e.uscc AND r.role = 'transporter'
             ORDER BY e.name_zh, e.uscc LIMIT ?1",
        )?
        .query_map([MAX_TRANSPORTERS as i64], |r| {
            Ok(TransporterOption {
                uscc: r.get(0)?,
                name_zh: r.get(1)?,
                name_en: r.get(2)?,
                district: r.get(3)?,
                contact_phone: r.get(4)?,
                vehicles: Vec::new(),
                drivers: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut vehicles =
        conn.prepare_cached("SELECT plate, vehicle_type FROM vehicles WHERE holder = ?1 ORDER BY plate")?;
    let mut drivers = conn.prepare_cached("SELECT name, licence_no FROM drivers WHERE holder = ?1 ORDER BY id")?;
    for t in &mut found {
        t.vehicles = vehicles
            .query_map([&t.uscc], |r| {
                Ok(VehicleOption {
                    plate: r.get(0)?,
                    vehicle_type: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        t.drivers = drivers
            .query_map([&t.uscc], |r| {
                Ok(DriverOption {
                    name: r.get(0)?,
                    licence_no: r.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(Transporters {
        transporters: found,
        total: total.max(0) as u64,
    })
}
