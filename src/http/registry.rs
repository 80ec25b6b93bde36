//! Registry endpoints: enterprises, permits, vehicles, drivers, device keys, storage
//! capacities, and the receivers whose permits cover a load. Reads are scoped by `access`;
//! writes go through the single writer.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use crate::domain::access::Caller;
use crate::domain::Uscc;
use crate::service::receivers::{self as rcv, ReceiverQuery, Receivers};
use crate::service::registry::{
    self as reg, Device, Driver, Enterprise, EnterpriseFilter, NewDevice, NewDriver, NewEnterprise, NewPermit,
    NewStorageCapacity, NewVehicle, Permit, StorageCapacity, Vehicle,
};
use crate::service::transporters::{self as carriers, Transporters};
use crate::service::AppState;

/// Parses the path's USCC and checks that the caller may read that enterprise.
async fn readable(st: &AppState, caller: &Caller, uscc: &str) -> ApiResult<Uscc> {
    let uscc = Uscc::parse(uscc)?;
    let u = uscc.clone();
    let district = st.db.read(move |conn| reg::enterprise_district(conn, &u)).await?;
    caller.may_read(&uscc, &district)?;
    Ok(uscc)
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseList {
    pub enterprises: Vec<Enterprise>,
}

/// Enterprises the caller may see: all (admin), its district (regulator) or its own.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "registry", params(EnterpriseFilter),
    responses((status = 200, body = EnterpriseList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_enterprises(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(filter): ApiQuery<EnterpriseFilter>,
) -> ApiResult<Json<EnterpriseList>> {
    let scope = auth.caller.scope();
    let enterprises = st
        .db
        .read(move |conn| reg::list_enterprises(conn, &scope, &filter))
        .await?;
    Ok(Json(EnterpriseList { enterprises }))
}

/// Registers an enterprise (administrators only).
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "registry", request_body = NewEnterprise,
    responses((status = 201, body = Enterprise), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_enterprise(
    State(st): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<NewEnterprise>,
) -> ApiResult<(StatusCode, Json<Enterprise>)> {
    auth.caller.must_be_admin()?;
    let e = st.db.write(move |conn| reg::create_enterprise(conn, &body)).await?;
    Ok((StatusCode::CREATED, Json(e)))
}

/// One enterprise.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}", tag = "registry",
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 200, body = Enterprise), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn get_enterprise(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<Enterprise>> {
    let uscc = readable(&st, &auth.caller, &uscc).await?;
    Ok(Json(st.db.read(move |conn| reg::get_enterprise(conn, &uscc)).await?))
}

#[derive(Serialize, ToSchema)]
pub struct PermitList {
    pub permits: Vec<Permit>,
}

/// A facility's operating permits (危险废物经营许可证).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/permits", tag = "registry",
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 200, body = PermitList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_permits(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<PermitList>> {
    let uscc = readable(&st, &auth.caller, &uscc).await?;
    let permits = st.db.read(move |conn| reg::list_permits(conn, &uscc)).await?;
    Ok(Json(PermitList { permits }))
}

/// Registers a permit of a facility (administrators only).
#[utoipa::path(post, path = "/api/v1/enterprises/{uscc}/permits", tag = "registry", request_body = NewPermit,
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 201, body = Permit), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_permit(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
    ApiJson(body): ApiJson<NewPermit>,
) -> ApiResult<(StatusCode, Json<Permit>)> {
    auth.caller.must_be_admin()?;
    let uscc = Uscc::parse(&uscc)?;
    let cat = st.catalogue();
    let p = st
        .db
        .write(move |conn| reg::create_permit(conn, &uscc, &body, &cat))
        .await?;
    Ok((StatusCode::CREATED, Json(p)))
}

#[derive(Serialize, ToSchema)]
pub struct VehicleList {
    pub vehicles: Vec<Vehicle>,
}

/// A transporter's vehicles.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/vehicles", tag = "registry",
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 200, body = VehicleList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_vehicles(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<VehicleList>> {
    let uscc = readable(&st, &auth.caller, &uscc).await?;
    let vehicles = st.db.read(move |conn| reg::list_vehicles(conn, &uscc)).await?;
    Ok(Json(VehicleList { vehicles }))
}

/// Registers a vehicle of a transporter (its administrator, or an administrator).
#[utoipa::path(post, path = "/api/v1/enterprises/{uscc}/vehicles", tag = "registry", request_body = NewVehicle,
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 201, body = Vehicle), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_vehicle(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
    ApiJson(body): ApiJson<NewVehicle>,
) -> ApiResult<(StatusCode, Json<Vehicle>)> {
    let uscc = Uscc::parse(&uscc)?;
    auth.caller.may_manage_assets(&uscc)?;
    let v = st.db.write(move |conn| reg::create_vehicle(conn, &uscc, &body)).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[derive(Serialize, ToSchema)]
pub struct DriverList {
    pub drivers: Vec<Driver>,
}

/// A transporter's drivers.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/drivers", tag = "registry",
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 200, body = DriverList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_drivers(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<DriverList>> {
    let uscc = readable(&st, &auth.caller, &uscc).await?;
    let drivers = st.db.read(move |conn| reg::list_drivers(conn, &uscc)).await?;
    Ok(Json(DriverList { drivers }))
}

/// Registers a driver of a transporter (its administrator, or an administrator).
#[utoipa::path(post, path = "/api/v1/enterprises/{uscc}/drivers", tag = "registry", request_body = NewDriver,
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 201, body = Driver), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn create_driver(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
    ApiJson(body): ApiJson<NewDriver>,
) -> ApiResult<(StatusCode, Json<Driver>)> {
    let uscc = Uscc::parse(&uscc)?;
    auth.caller.may_manage_assets(&uscc)?;
    let d = st.db.write(move |conn| reg::create_driver(conn, &uscc, &body)).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

#[derive(Serialize, ToSchema)]
pub struct DeviceList {
    pub devices: Vec<Device>,
}

/// An enterprise's device keys, revoked ones included.
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/devices", tag = "registry",
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 200, body = DeviceList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_devices(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<DeviceList>> {
    let uscc = readable(&st, &auth.caller, &uscc).await?;
    let devices = st.db.read(move |conn| reg::list_devices(conn, &uscc)).await?;
    Ok(Json(DeviceList { devices }))
}

/// Registers a device's Ed25519 public key under the name `<USCC>/<device>` (SPEC §2).
#[utoipa::path(post, path = "/api/v1/enterprises/{uscc}/devices", tag = "registry", request_body = NewDevice,
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 201, body = Device), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn register_device(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
    ApiJson(body): ApiJson<NewDevice>,
) -> ApiResult<(StatusCode, Json<Device>)> {
    let uscc = Uscc::parse(&uscc)?;
    auth.caller.may_manage_assets(&uscc)?;
    let (log, by) = (st.log.clone(), auth.caller.username.clone());
    let d = st
        .db
        .write(move |conn| reg::register_device(conn, &log, &uscc, &body, &by))
        .await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// Revokes a device's key in force; events it signs afterwards are refused.
#[utoipa::path(post, path = "/api/v1/enterprises/{uscc}/devices/{device}/revoke", tag = "registry",
    params(("uscc" = String, Path, description = "unified social credit code"), ("device" = String, Path, description = "device name")),
    responses((status = 200, body = Device), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn revoke_device(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath((uscc, device)): ApiPath<(String, String)>,
) -> ApiResult<Json<Device>> {
    let uscc = Uscc::parse(&uscc)?;
    auth.caller.may_manage_assets(&uscc)?;
    let (log, by) = (st.log.clone(), auth.caller.username.clone());
    let d = st
        .db
        .write(move |conn| reg::revoke_device(conn, &log, &uscc, &device, &by))
        .await?;
    Ok(Json(d))
}

/// The facilities and collection points that may receive a load of these waste codes on a day:
/// those holding a permit valid on it that covers every code (operating or collection
/// licence), each with the permit's number, kind and methods, its province, and whether the
/// transfer from the issuer needs a cross-province approval, with the issuer's approvals that
/// would cover it. For the generator's manifest form; any signed-in user.
#[utoipa::path(get, path = "/api/v1/receivers", tag = "registry", params(ReceiverQuery),
    responses((status = 200, body = Receivers), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn receivers(
    State(st): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ReceiverQuery>,
) -> ApiResult<Json<Receivers>> {
    let codes = rcv::parse_codes(q.codes.as_deref(), &st.catalogue())?;
    let day = match q.date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => reg::check_date("date", d)?,
        None => crate::time::cst_date(st.log.now()),
    };
    let named = q
        .issuer
        .as_deref()
        .filter(|i| !i.is_empty())
        .map(|i| Uscc::parse(i).map_err(|r| r.in_field("issuer")))
        .transpose()?;
    let caller = auth.caller;
    Ok(Json(
        st.db
            .read(move |conn| {
                let issuer = match named {
                    Some(u) => {
                        let district = reg::enterprise_district(conn, &u)?;
                        caller.may_read(&u, &district)?;
                        Some(u)
                    }
                    None => caller.enterprise.clone(),
                };
                rcv::receivers(conn, &codes, day, issuer.as_ref())
            })
            .await?,
    ))
}

/// The registered transporters, each with its vehicles (plate, type) and drivers (name,
/// qualification number), the choices a manifest may name. For the generator's manifest form;
/// any signed-in user.
#[utoipa::path(get, path = "/api/v1/transporters", tag = "registry",
    responses((status = 200, body = Transporters), (status = 401, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn transporters(State(st): State<AppState>, _auth: Auth) -> ApiResult<Json<Transporters>> {
    Ok(Json(st.db.read(carriers::transporters).await?))
}

#[derive(Serialize, ToSchema)]
pub struct StorageCapacityList {
    pub capacities: Vec<StorageCapacity>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlaceParam {
    /// The storage place whose capacity is removed; absent for the whole store's.
    pub place: Option<String>,
}

/// The registered storage capacities of an enterprise's store (optional; the ledger warns when
/// what is in store exceeds one).
#[utoipa::path(get, path = "/api/v1/enterprises/{uscc}/storage-capacities", tag = "registry",
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 200, body = StorageCapacityList), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn list_storage_capacities(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
) -> ApiResult<Json<StorageCapacityList>> {
    let uscc = readable(&st, &auth.caller, &uscc).await?;
    let capacities = st
        .db
        .read(move |conn| reg::list_storage_capacities(conn, &uscc))
        .await?;
    Ok(Json(StorageCapacityList { capacities }))
}

/// Sets the storage capacity (grams) of the whole store or of one storage place, replacing the
/// one set before (the enterprise's administrator, or an administrator); answers them all.
#[utoipa::path(post, path = "/api/v1/enterprises/{uscc}/storage-capacities", tag = "registry",
    request_body = NewStorageCapacity,
    params(("uscc" = String, Path, description = "unified social credit code")),
    responses((status = 200, body = StorageCapacityList), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn set_storage_capacity(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
    ApiJson(body): ApiJson<NewStorageCapacity>,
) -> ApiResult<Json<StorageCapacityList>> {
    let uscc = Uscc::parse(&uscc)?;
    auth.caller.may_manage_assets(&uscc)?;
    let by = auth.caller.username.clone();
    let capacities = st
        .db
        .write(move |conn| reg::set_storage_capacity(conn, &uscc, &body, &by))
        .await?;
    Ok(Json(StorageCapacityList { capacities }))
}

/// Removes a storage capacity (`place` absent: the whole store's); answers those left.
#[utoipa::path(delete, path = "/api/v1/enterprises/{uscc}/storage-capacities", tag = "registry",
    params(("uscc" = String, Path, description = "unified social credit code"), PlaceParam),
    responses((status = 200, body = StorageCapacityList), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("session" = []), ("bearer" = [])))]
pub async fn remove_storage_capacity(
    State(st): State<AppState>,
    auth: Auth,
    ApiPath(uscc): ApiPath<String>,
    ApiQuery(p): ApiQuery<PlaceParam>,
) -> ApiResult<Json<StorageCapacityList>> {
    let uscc = Uscc::parse(&uscc)?;
    auth.caller.may_manage_assets(&uscc)?;
    let capacities = st
        .db
        .write(move |conn| reg::remove_storage_capacity(conn, &uscc, p.place.as_deref()))
        .await?;
    Ok(Json(StorageCapacityList { capacities }))
}
