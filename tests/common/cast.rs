//! The cast of a story, built in one place: enterprises in their roles, each with an
//! enterprise administrator (`<name>-admin`) and a signing device (`<name>-1`), the
//! transporters' vehicles and drivers, the facilities' permits, and the other users the story
//! needs (regulators, clerks). Tests name who they need and get them back by name:
//!
//! ```ignore
//! let cast = Cast::on(&app)
//!     .generator("shop", "91500110MA5U8F4X2")
//!     .transporter("carrier", "91500110MA6TRN031", Fleet::van("渝D12345", "500110198001011234"))
//!     .seeded("yunan", YUNAN)
//!     .regulator("wansheng-reg", "wansheng")
//!     .build()
//!     .await;
//! let drum = cast.generate("shop", generate_fields("900-214-08", 185_500, "liquid", &["T"], 200)).await;
//! cast.deliver("shop", "carrier", "yunan", &[(&drum, 185_000)]).await;
//! accepted(&cast.admin, &cast["yunan"].device, "treat", fields).await;
//! ```
//!
//! Everything goes through the API, as an integrator would do it. The trip helpers
//! ([`Cast::released`], [`Cast::on_the_road`], [`Cast::at_the_gate`], [`Cast::deliver`]) sign
//! each step at the story's time: now, or the manual clock's time if the cast was given one.
#![allow(dead_code)]

use std::ops::Index;

use hwtrace::client::Device;
use hwtrace::time::Clock;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::custody::{accepted_at, add_admin_with_device, add_fleet, Fleet};
use super::{cst, enterprise, now_cst, uscc, Client, TestApp};

/// One party of the story.
pub struct Party {
    /// The name the test gave it (`shop`, `carrier`, ...).
    pub name: String,
    pub uscc: String,
    /// Its first signing device, named `<name>-1`.
    pub device: Device,
    /// Its further devices, `<name>-2`, `<name>-3`, ... (see [`CastBuilder::devices`]).
    pub spares: Vec<Device>,
    /// A session of its enterprise administrator, `<name>-admin`.
    pub client: Client,
    /// Its vehicles with their drivers, in the order registered (a transporter's).
    pub fleet: Vec<Fleet>,
    /// The service's answer to its registration; `Null` for an enterprise the service seeds.
    pub registered: Value,
}

impl Party {
    /// The vehicle and driver a manifest it carries names: its first.
    pub fn vehicle(&self) -> Fleet {
        *self
            .fleet
            .first()
            .unwrap_or_else(|| panic!("{} has no vehicle", self.name))
    }
}

struct Wanted {
    name: String,
    uscc: String,
    /// `None` for an enterprise the service seeds (a facility of the plan).
    body: Option<Value>,
    permits: Vec<Value>,
    devices: usize,
    fleets: Vec<Fleet>,
}

struct User {
    name: String,
    role: &'static str,
    enterprise: Option<String>,
    district: Option<String>,
}

/// Collects who the story needs; [`CastBuilder::build`] registers them.
pub struct CastBuilder<'a> {
    app: &'a TestApp,
    wanted: Vec<Wanted>,
    users: Vec<User>,
    clock: Option<Clock>,
}

/// The registered parties, by name, the other users' sessions, and the system administrator's.
pub struct Cast {
    pub admin: Client,
    pub parties: Vec<Party>,
    users: Vec<(String, Client)>,
    clock: Option<Clock>,
}

impl Cast {
    pub fn on(app: &TestApp) -> CastBuilder<'_> {
        CastBuilder {
            app,
            wanted: Vec::new(),
            users: Vec::new(),
            clock: None,
        }
    }

    /// The party named `name`, if the story has one.
    pub fn get(&self, name: &str) -> Option<&Party> {
        self.parties.iter().find(|p| p.name == name)
    }

    /// The session of the user `name` the story asked for ([`CastBuilder::regulator`],
    /// [`CastBuilder::user`]).
    pub fn user(&self, name: &str) -> &Client {
        self.users
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
            .unwrap_or_else(|| panic!("the cast has no user named {name}"))
    }

    /// The story's time as a device writes it: the manual clock's, or now.
    pub fn now(&self) -> String {
        match &self.clock {
            Some(clock) => cst(clock.now()),
            None => now_cst(),
        }
    }

    /// The story's date, `YYYY-MM-DD` in China Standard Time.
    pub fn today(&self) -> String {
        self.now()[..10].to_owned()
    }

    /// `party`'s device signs an event at the story's time, which must be accepted; answers
    /// its receipt.
    pub async fn accepted(&self, party: &str, kind: &str, fields: Value) -> Value {
        accepted_at(&self.admin, &self[party].device, &self.now(), kind, fields).await
    }

    /// `party` registers an item with `fields` (see `generate_fields`); answers its code.
    pub async fn generate(&self, party: &str, fields: Value) -> String {
        code_of(&self.accepted(party, "generate", fields).await)
    }

    /// The fields of a one-trip manifest for `items` to `receiver` (a USCC), carried by the
    /// transporter `carrier` with its first vehicle and driver, planned for the story's day.
    pub fn manifest(&self, carrier: &str, receiver: &str, items: &[impl AsRef<str>]) -> Value {
        let (carrier, fleet) = (&self[carrier], self[carrier].vehicle());
        json!({"transporters": [carrier.uscc], "vehicle_plate": fleet.plate,
               "driver_licence": fleet.licence(), "receiver": receiver,
               "items": codes(items), "planned_date": self.today()})
    }

    /// `from` opens a manifest for `items` to the party `receiver` carried by `carrier`, and
    /// releases them to the carrier; answers the manifest's number.
    pub async fn released(&self, from: &str, carrier: &str, receiver: &str, items: &[impl AsRef<str>]) -> String {
        let fields = self.manifest(carrier, &self[receiver].uscc, items);
        let number = self.accepted(from, "manifest_open", fields).await["manifest_no"]
            .as_str()
            .expect("a manifest number")
            .to_owned();
        let release = json!({"items": codes(items), "to": self[carrier].uscc, "manifest": number});
        self.accepted(from, "release", release).await;
        number
    }

    /// As [`Cast::released`], and the carrier's driver accepts them: they are on the road.
    pub async fn on_the_road(&self, from: &str, carrier: &str, receiver: &str, items: &[impl AsRef<str>]) -> String {
        let number = self.released(from, carrier, receiver, items).await;
        self.accepted(carrier, "accept", json!({"items": codes(items), "manifest": number}))
            .await;
        number
    }

    /// `carrier` declares `items` at the gate of the manifest's receiver; answers the entry's
    /// index.
    pub async fn arrive(&self, carrier: &str, items: &[impl AsRef<str>], manifest: &str) -> u64 {
        let r = self
            .accepted(carrier, "arrive", json!({"items": codes(items), "manifest": manifest}))
            .await;
        index_of(&r)
    }

    /// As [`Cast::on_the_road`], then the carrier arrives at `receiver`'s gate, which weighs
    /// each item at the mass given with it; answers the manifest's number.
    pub async fn at_the_gate(
        &self,
        from: &str,
        carrier: &str,
        receiver: &str,
        items: &[(impl AsRef<str>, u64)],
    ) -> String {
        let only: Vec<&str> = items.iter().map(|(c, _)| c.as_ref()).collect();
        let number = self.on_the_road(from, carrier, receiver, &only).await;
        self.arrive(carrier, &only, &number).await;
        for (code, g) in items {
            self.weigh(receiver, code.as_ref(), *g).await;
        }
        number
    }

    /// The oversight stories' day (alerts, indicators, the dashboard, verification): `shop`
    /// registers a 100 kg drum of paint waste (900-252-12) and a 200 kg drum of waste oil
    /// (900-249-08); with `more`, also a 50 kg drum it keeps and a 10 kg bag of medical waste
    /// at `hospital`. `carrier` takes both drums to `yunan`: the first weighs 80 kg at the gate
    /// (a discrepancy), the second is accepted and incinerated. Answers (light, burnt).
    pub async fn light_and_burnt(&self, more: bool) -> (String, String) {
        let drum = |waste, g| hwtrace::client::generate_fields(waste, g, "solid", &["T", "I"], 200);
        let light = self.generate("shop", drum("900-252-12", 100_000)).await;
        let burnt = self.generate("shop", drum("900-249-08", 200_000)).await;
        if more {
            self.generate("shop", drum("900-252-12", 50_000)).await;
            let bag = hwtrace::client::generate_fields("841-001-01", 10_000, "solid", &["In"], 50);
            self.generate("hospital", bag).await;
        }
        self.deliver("shop", "carrier", "yunan", &[(&light, 80_000)]).await;
        self.deliver("shop", "carrier", "yunan", &[(&burnt, 200_000)]).await;
        let treat = json!({"item": burnt, "method": "incineration", "treated_mass_g": 200_000});
        accepted_at(&self.admin, &self["yunan"].device, &now_cst(), "treat", treat).await;
        (light, burnt)
    }

    /// As [`Cast::at_the_gate`], and the receiver accepts each item whole, at its weighed
    /// mass; answers the manifest's number.
    pub async fn deliver(&self, from: &str, carrier: &str, receiver: &str, items: &[(impl AsRef<str>, u64)]) -> String {
        let number = self.at_the_gate(from, carrier, receiver, items).await;
        for (code, g) in items {
            self.accept_whole(receiver, code.as_ref(), *g).await;
        }
        number
    }

    /// `gate` weighs `item` at `g` grams; answers the entry's index.
    pub async fn weigh(&self, gate: &str, item: &str, g: u64) -> u64 {
        index_of(
            &self
                .accepted(gate, "weigh", json!({"item": item, "weighed_mass_g": g}))
                .await,
        )
    }

    /// `gate` accepts `item` whole, `g` grams; answers the entry's index.
    pub async fn accept_whole(&self, gate: &str, item: &str, g: u64) -> u64 {
        let decision = json!({"item": item, "decision": "accept", "accepted_mass_g": g, "refused_mass_g": 0});
        index_of(&self.accepted(gate, "receive", decision).await)
    }

    /// `gate` weighs `item` at `g` grams and accepts it whole; answers the receipt's index.
    pub async fn receive(&self, gate: &str, item: &str, g: u64) -> u64 {
        self.weigh(gate, item, g).await;
        self.accept_whole(gate, item, g).await
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
    pub fn party(self, name: &str, code: &str, roles: &[&str], district: &str) -> Self {
        let uscc = full(code);
        let body = enterprise(&uscc, roles, district);
        self.wanting(name, uscc, Some(body))
    }

    /// An enterprise registered without a district, as one outside the deployment's districts
    /// is: the service supervises it by the province its USCC names.
    pub fn without_district(self, name: &str, code: &str, roles: &[&str]) -> Self {
        let uscc = full(code);
        let mut body = enterprise(&uscc, roles, "");
        body.as_object_mut().expect("an object").remove("district");
        self.wanting(name, uscc, Some(body))
    }

    /// An enterprise registered with a body of the test's own (for fields `enterprise()` does
    /// not set); its `uscc` member names it.
    pub fn party_with(self, name: &str, body: Value) -> Self {
        let uscc = body["uscc"].as_str().expect("the body names a uscc").to_owned();
        self.wanting(name, uscc, Some(body))
    }

    /// A generating enterprise in Wansheng.
    pub fn generator(self, name: &str, code: &str) -> Self {
        self.party(name, code, &["generator"], "wansheng")
    }

    /// A transporter in Wansheng with its vehicle and driver.
    pub fn transporter(self, name: &str, code: &str, fleet: Fleet) -> Self {
        self.party(name, code, &["transporter"], "wansheng").fleet(fleet)
    }

    /// A treatment facility in Wansheng; its permit follows ([`CastBuilder::permit`]).
    pub fn facility(self, name: &str, code: &str) -> Self {
        self.party(name, code, &["facility"], "wansheng")
    }

    /// A collection point for small enterprises in Wansheng; its collection licence follows
    /// ([`CastBuilder::permit`]).
    pub fn collection_point(self, name: &str, code: &str) -> Self {
        self.party(name, code, &["collection_point"], "wansheng")
    }

    /// An enterprise the service seeds (the plan's facilities, the bureaus): only its
    /// administrator and device are created.
    pub fn seeded(self, name: &str, code: &str) -> Self {
        self.wanting(name, code.to_owned(), None)
    }

    /// Another vehicle and driver for the transporter added last.
    pub fn fleet(mut self, fleet: Fleet) -> Self {
        self.last("a fleet").fleets.push(fleet);
        self
    }

    /// A permit (operating or collection licence, the body `POST .../permits` takes) for the
    /// enterprise added last.
    pub fn permit(mut self, permit: Value) -> Self {
        self.last("a permit").permits.push(permit);
        self
    }

    /// The address of the enterprise added last, instead of the synthetic one in Wansheng.
    pub fn address(mut self, address: &str) -> Self {
        let w = self.last("an address");
        w.body.as_mut().expect("a registered enterprise")["address"] = json!(address);
        self
    }

    /// `n` signing devices for the enterprise added last instead of one: `<name>-1` to
    /// `<name>-n`.
    pub fn devices(mut self, n: usize) -> Self {
        assert!(n >= 1, "a party signs with at least one device");
        self.last("devices").devices = n;
        self
    }

    /// A regulator of `district`.
    pub fn regulator(self, name: &str, district: &str) -> Self {
        self.user(name, "regulator", None, Some(district))
    }

    /// Another user with `role`, of `enterprise` (a USCC) or `district`.
    pub fn user(mut self, name: &str, role: &'static str, enterprise: Option<&str>, district: Option<&str>) -> Self {
        self.users.push(User {
            name: name.into(),
            role,
            enterprise: enterprise.map(Into::into),
            district: district.map(Into::into),
        });
        self
    }

    /// The service's manual clock: the trip helpers sign at its time.
    pub fn clock(mut self, clock: &Clock) -> Self {
        self.clock = Some(clock.clone());
        self
    }

    fn wanting(mut self, name: &str, uscc: String, body: Option<Value>) -> Self {
        self.wanted.push(Wanted {
            name: name.into(),
            uscc,
            body,
            permits: Vec::new(),
            devices: 1,
            fleets: Vec::new(),
        });
        self
    }

    fn last(&mut self, what: &str) -> &mut Wanted {
        self.wanted
            .last_mut()
            .unwrap_or_else(|| panic!("{what} follows its enterprise"))
    }

    /// Registers every party through the API: the enterprise and its permits (by the system
    /// administrator), its administrator account and devices, its vehicles and drivers; then
    /// the other users.
    pub async fn build(self) -> Cast {
        let admin = self.app.admin().await;
        let mut registered = Vec::with_capacity(self.wanted.len());
        for w in &self.wanted {
            let answer = match &w.body {
                Some(body) => {
                    let (s, answer) = admin.post("/api/v1/enterprises", body.clone()).await;
                    assert_eq!(s, StatusCode::CREATED, "registering {}: {answer}", w.name);
                    answer
                }
                None => Value::Null,
            };
            for permit in &w.permits {
                let path = format!("/api/v1/enterprises/{}/permits", w.uscc);
                let (s, answer) = admin.post(&path, permit.clone()).await;
                assert_eq!(s, StatusCode::CREATED, "a permit of {}: {answer}", w.name);
            }
            registered.push(answer);
        }
        let mut parties = Vec::with_capacity(self.wanted.len());
        for (w, registered) in self.wanted.into_iter().zip(registered) {
            let user = format!("{}-admin", w.name);
            let device = add_admin_with_device(self.app, &user, &w.uscc, &format!("{}-1", w.name)).await;
            let client = self.app.login(&user).await;
            let mut spares = Vec::new();
            for n in 2..=w.devices {
                let spare = Device::generate(&w.uscc, &format!("{}-{n}", w.name));
                client.register_device(&spare).await;
                spares.push(spare);
            }
            for fleet in &w.fleets {
                add_fleet(&client, &w.uscc, *fleet).await;
            }
            parties.push(Party {
                name: w.name,
                uscc: w.uscc,
                device,
                spares,
                client,
                fleet: w.fleets,
                registered,
            });
        }
        let mut users = Vec::with_capacity(self.users.len());
        for u in self.users {
            self.app
                .user(&u.name, u.role, u.enterprise.as_deref(), u.district.as_deref())
                .await;
            users.push((u.name.clone(), self.app.login(&u.name).await));
        }
        Cast {
            admin,
            parties,
            users,
            clock: self.clock,
        }
    }
}

/// The item code a receipt names.
pub fn code_of(receipt: &Value) -> String {
    receipt["item_code"].as_str().expect("an item code").to_owned()
}

/// The log index of a receipt's entry.
pub fn index_of(receipt: &Value) -> u64 {
    receipt["index"].as_u64().expect("an entry index")
}

fn codes(items: &[impl AsRef<str>]) -> Vec<&str> {
    items.iter().map(AsRef::as_ref).collect()
}

fn full(code: &str) -> String {
    match code.len() {
        17 => uscc(code),
        _ => code.to_owned(),
    }
}
