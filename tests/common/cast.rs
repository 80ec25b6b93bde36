//! The cast of a custody story, built in one place: enterprises in their roles, each with an
//! enterprise administrator (`<name>-admin`) and one signing device, and the transporters'
//! vehicles and drivers. Scenario tests name who they need and get them back by name:
//!
//! ```ignore
//! let cast = Cast::on(&app)
//!     .generator("shop", "91500110MA5U8F4X2")
//!     .transporter("carrier", "91500110MA6TRN031", Fleet::van("渝D12345", "500110198001011234"))
//!     .seeded("yunan", YUNAN)
//!     .build()
//!     .await;
//! accepted(&cast.admin, &cast["shop"].device, "generate", fields).await;
//! ```
//!
//! Everything goes through the API, as an integrator would do it.
#![allow(dead_code)]

use std::ops::Index;

use hwtrace::client::Device;
use serde_json::Value;

use super::custody::{add_admin_with_device, add_fleet, Fleet};
use super::{enterprise, uscc, Client, TestApp};

/// One party of the story.
pub struct Party {
    /// The name the test gave it (`shop`, `carrier`, ...).
    pub name: String,
    pub uscc: String,
    /// Its first signing device, named `<name>-1`.
    pub device: Device,
    /// A session of its enterprise administrator, `<name>-admin`.
    pub client: Client,
}

struct Wanted {
    name: String,
    uscc: String,
    /// `None` for an enterprise the service seeds (a facility of the plan).
    body: Option<Value>,
    fleets: Vec<Fleet<'static>>,
}

/// Collects who the story needs; [`CastBuilder::build`] registers them.
pub struct CastBuilder<'a> {
    app: &'a TestApp,
    wanted: Vec<Wanted>,
}

/// The registered parties, by name, and the system administrator's session.
pub struct Cast {
    pub admin: Client,
    pub parties: Vec<Party>,
}

impl Cast {
    pub fn on(app: &TestApp) -> CastBuilder<'_> {
        CastBuilder {
            app,
            wanted: Vec::new(),
        }
    }

    /// The party named `name`, if the story has one.
    pub fn get(&self, name: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.name == name)
    }
}

impl Index<&str> for Cast {
    type Output = Party;

    fn index(&self, name: &str) -> &Party {
        self.get(name)
            .unwrap_or_else(|| panic!("the cast has no party named {name}"))
    }
}

impl<'a> CastBuilder<'a> {
    /// An enterprise with the given roles in `district`, described by `enterprise()`; `first17`
    /// gets its check character, a full 18-character code is taken as it is.
    pub fn party(mut self, name: &str, code: &str, roles: &[&str], district: &str) -> Self {
        let uscc = full(code);
        let body = enterprise(&uscc, roles, district);
        self.wanted.push(Wanted {
            name: name.into(),
            uscc,
            body: Some(body),
            fleets: Vec::new(),
        });
        self
    }

    /// An enterprise registered with a body of the test's own (for fields `enterprise()` does
    /// not set); its `uscc` member names it.
    pub fn party_with(mut self, name: &str, body: Value) -> Self {
        let uscc = body["uscc"].as_str().expect("the body names a uscc").to_owned();
        self.wanted.push(Wanted {
            name: name.into(),
            uscc,
            body: Some(body),
            fleets: Vec::new(),
        });
        self
    }

    /// A generating enterprise in Wansheng.
    pub fn generator(self, name: &str, code: &str) -> Self {
        self.party(name, code, &["generator"], "wansheng")
    }

    /// A transporter in Wansheng with its vehicle and driver.
    pub fn transporter(self, name: &str, code: &str, fleet: Fleet<'static>) -> Self {
        self.party(name, code, &["transporter"], "wansheng").fleet(fleet)
    }

    /// Another vehicle and driver for the transporter added last.
    pub fn fleet(mut self, fleet: Fleet<'static>) -> Self {
        self.wanted
            .last_mut()
            .expect("a fleet follows its transporter")
            .fleets
            .push(fleet);
        self
    }

    /// An enterprise the service seeds (the plan's facilities): only its administrator and
    /// device are created.
    pub fn seeded(mut self, name: &str, code: &str) -> Self {
        self.wanted.push(Wanted {
            name: name.into(),
            uscc: code.into(),
            body: None,
            fleets: Vec::new(),
        });
        self
    }

    /// Registers every party through the API: the enterprise (by the system administrator),
    /// its administrator account and device, its vehicles and drivers.
    pub async fn build(self) -> Cast {
        let admin = self.app.admin().await;
        for w in &self.wanted {
            if let Some(body) = &w.body {
                let (s, answer) = admin.post("/api/v1/enterprises", body.clone()).await;
                assert_eq!(s, reqwest::StatusCode::CREATED, "registering {}: {answer}", w.name);
            }
        }
        let mut parties = Vec::with_capacity(self.wanted.len());
        for w in self.wanted {
            let user = format!("{}-admin", w.name);
            let device = add_admin_with_device(self.app, &user, &w.uscc, &format!("{}-1", w.name)).await;
            let client = self.app.login(&user).await;
            for fleet in w.fleets {
                add_fleet(&client, &w.uscc, fleet).await;
            }
            parties.push(Party {
                name: w.name,
                uscc: w.uscc,
                device,
                client,
            });
        }
        Cast { admin, parties }
    }
}

impl Fleet<'static> {
    /// A van with its driver (a synthetic name and phone).
    pub fn van(plate: &'static str, licence: &'static str) -> Fleet<'static> {
        Fleet {
            plate,
            vehicle_type: "van",
            driver: ("测试司机", licence, "13800000001"),
        }
    }
}

fn full(code: &str) -> String {
    match code.len() {
        17 => uscc(code),
        _ => code.to_owned(),
    }
}
