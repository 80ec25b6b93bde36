//! Custody-scenario support shared by the scenario tests: signing and posting events as a
//! device, asserting where an item stands, reading its events, and registering an enterprise
//! administrator with a device and a transporter's vehicle and driver.
#![allow(dead_code)]

use hwtrace::client::Device;
use hwtrace::crypto::dsse::Envelope;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::{assert_refused, now_cst, Client, TestApp};

/// Signs an event at device time `at` and posts it; answers `(status, body)`.
pub async fn send_event_at(c: &Client, device: &Device, at: &str, kind: &str, fields: Value) -> (StatusCode, Value) {
    let env = device.sign_event(kind, at, fields);
    c.post("/api/v1/events", serde_json::to_value(&env).unwrap()).await
}

/// Signs and posts one event (device time now, CST); answers `(status, body)`.
pub async fn send_event(c: &Client, device: &Device, kind: &str, fields: Value) -> (StatusCode, Value) {
    send_event_at(c, device, &now_cst(), kind, fields).await
}

/// Posts an event at device time `at` that must be accepted; answers its receipt.
pub async fn accepted_at(c: &Client, device: &Device, at: &str, kind: &str, fields: Value) -> Value {
    let (s, receipt) = send_event_at(c, device, at, kind, fields).await;
    assert_eq!(s, StatusCode::CREATED, "{kind} was refused: {receipt}");
    receipt
}

/// Posts an event that must be accepted; answers its receipt.
pub async fn accepted(c: &Client, device: &Device, kind: &str, fields: Value) -> Value {
    accepted_at(c, device, &now_cst(), kind, fields).await
}

/// Posts an event that must be refused with `status` and stable error `code`; answers the body.
pub async fn refused(c: &Client, device: &Device, kind: &str, fields: Value, status: StatusCode, code: &str) -> Value {
    let answer = send_event(c, device, kind, fields).await;
    assert_refused(&answer, status, code);
    answer.1
}

/// The item as the API shows it to `c`.
pub async fn item(c: &Client, code: &str) -> Value {
    c.get_ok(&format!("/api/v1/items/{code}")).await
}

/// Asserts where the item stands: its `state` and `holder`.
pub async fn stands(c: &Client, code: &str, state: &str, holder: &str) {
    let item = item(c, code).await;
    assert_eq!(
        (item["state"].as_str(), item["holder"].as_str()),
        (Some(state), Some(holder)),
        "{item}"
    );
}

/// The payloads of the events in the item's history, in log order.
pub async fn events(c: &Client, code: &str) -> Vec<Value> {
    let history = c.get_ok(&format!("/api/v1/items/{code}/history")).await;
    history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str::<Value>(e["entry"].as_str().unwrap()).unwrap())
        .filter(|entry| entry["kind"] == "event")
        .map(|entry| {
            let env: Envelope = serde_json::from_value(entry["envelope"].clone()).unwrap();
            serde_json::from_slice(&env.payload_bytes().unwrap()).unwrap()
        })
        .collect()
}

/// The event types in the item's history, in log order.
pub async fn event_kinds(c: &Client, code: &str) -> Vec<String> {
    events(c, code)
        .await
        .iter()
        .map(|payload| payload["type"].as_str().unwrap().to_owned())
        .collect()
}

/// A transporter's vehicle and its driver.
#[derive(Clone, Copy)]
pub struct Fleet {
    pub plate: &'static str,
    pub vehicle_type: &'static str,
    /// The vehicle's road transport certificate (道路运输证号), if the story names one.
    pub road_transport_cert: Option<&'static str>,
    /// The driver: `(name, licence_no, phone)`.
    pub driver: (&'static str, &'static str, &'static str),
}

impl Fleet {
    /// A van with its driver (a synthetic name and phone).
    pub fn van(plate: &'static str, licence: &'static str) -> Fleet {
        Fleet {
            plate,
            vehicle_type: "van",
            road_transport_cert: None,
            driver: ("测试司机", licence, "13800000001"),
        }
    }

    /// The same with a vehicle of another type (`medical_waste`, `flatbed`, ...).
    pub fn of_type(self, vehicle_type: &'static str) -> Fleet {
        Fleet { vehicle_type, ..self }
    }

    /// The same with the driver's name and phone.
    pub fn driven_by(self, name: &'static str, phone: &'static str) -> Fleet {
        Fleet {
            driver: (name, self.driver.1, phone),
            ..self
        }
    }

    /// The same with a road transport certificate.
    pub fn with_cert(self, cert: &'static str) -> Fleet {
        Fleet {
            road_transport_cert: Some(cert),
            ..self
        }
    }

    /// The driver's licence number, as a manifest names it.
    pub fn licence(&self) -> &'static str {
        self.driver.1
    }
}

/// Registers the transporter's vehicle and driver through `c` (an admin of `carrier` or the
/// system admin), asserting both are created and the certificate, if any, recorded.
pub async fn add_fleet(c: &Client, carrier: &str, fleet: Fleet) {
    let (name, licence, phone) = fleet.driver;
    let mut vehicle = json!({"plate": fleet.plate, "vehicle_type": fleet.vehicle_type});
    if let Some(cert) = fleet.road_transport_cert {
        vehicle["road_transport_cert"] = json!(cert);
    }
    for (path, body) in [
        ("vehicles", vehicle),
        ("drivers", json!({"name": name, "licence_no": licence, "phone": phone})),
    ] {
        let (s, answer) = c.post(&format!("/api/v1/enterprises/{carrier}/{path}"), body).await;
        assert_eq!(s, StatusCode::CREATED, "{answer}");
        if let (Some(cert), "vehicles") = (fleet.road_transport_cert, path) {
            assert_eq!(answer["road_transport_cert"], cert, "{answer}");
        }
    }
}

/// Creates the enterprise admin `user` of `owner`, and as that user registers a new device
/// named `device`; answers the device.
pub async fn add_admin_with_device(app: &TestApp, user: &str, owner: &str, device: &str) -> Device {
    app.user(user, "enterprise_admin", Some(owner), None).await;
    let d = Device::generate(owner, device);
    app.login(user).await.register_device(&d).await;
    d
}
