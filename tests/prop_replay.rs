//! Property: whatever devices send, the auditor's replay of the log agrees with the service.
//! Random histories are driven through the real service over HTTP: for a random item, either
//! the next step of its normal path (open, release, accept, hand-over, arrive, weigh, receive
//! or refuse, treat, split, residue, incident) by the party whose turn it is, or a random
//! event by a random party (mostly refused, and logged as such). Then `hwtrace audit --db`
//! must find nothing: every accepted event re-judged by `custody::apply` on the log's own
//! context, every item's custody state (holder, masses, manifest, discrepancy...) equal to the
//! service's, nothing left unjudged; and the mass balance of everything generated must close. Eight cases of 60–120 steps, since each starts a service.

mod common;

use std::collections::BTreeMap;

use common::cast::{Cast, Party};
use common::custody::{send_event, Fleet};
use common::{audit_clean, now_cst, spawn_app_with_db, Client, TestApp, YUNAN};
use hwtrace::client::{generate_fields, Device};
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const WASTE: &str = "900-249-08";

/// A generator, two transporters (the first one's truck and driver carry every trip) and
/// Yunan's gate, each with a device.
async fn cast(app: &TestApp) -> Cast {
    Cast::on(app)
        .generator("shop", "91500110MA6PRP001")
        .transporter("t0", "91500110MA6PRT001", Fleet::van("渝D77777", "500110199207071234"))
        .party("t1", "91500110MA6PRT002", &["transporter"], "wansheng")
        .seeded("yunan", YUNAN)
        .build()
        .await
}

/// One step of a random history: which item, whether to follow its path or send noise, and
/// random numbers for the choices the step makes.
#[derive(Debug, Clone)]
struct Step {
    item: usize,
    follow: bool,
    pick: [u8; 4],
}

fn step() -> impl Strategy<Value = Step> {
    (any::<usize>(), prop::bool::weighted(0.8), any::<[u8; 4]>()).prop_map(|(item, follow, pick)| Step {
        item,
        follow,
        pick,
    })
}

const KINDS: &[&str] = &[
    "manifest_open",
    "release",
    "accept",
    "arrive",
    "weigh",
    "receive",
    "treat",
    "incident",
    "split",
    "manifest_cancel",
];

/// What the service says of an item: state, holder, manifest, mass and its manifest's carriers.
async fn look(c: &Client, code: &str) -> (String, String, Option<String>, u64, Vec<String>) {
    let (s, item) = c.get(&format!("/api/v1/items/{code}")).await;
    assert_eq!(s, StatusCode::OK, "{item}");
    let manifest = item["custody"]["manifest"].as_str().map(str::to_owned);
    let mut carriers = Vec::new();
    if let Some(m) = &manifest {
        let (_, view) = c.get(&format!("/api/v1/manifests/{m}")).await;
        carriers = view["transporters"]
            .as_array()
            .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
    }
    (
        item["state"].as_str().unwrap_or_default().to_owned(),
        item["holder"].as_str().unwrap_or_default().to_owned(),
        manifest,
        item["custody"]["mass_g"].as_u64().unwrap_or(0),
        carriers,
    )
}

async fn run(steps: Vec<Step>) {
    let (app, db) = spawn_app_with_db().await;
    let c = cast(&app).await;
    let admin = &c.admin;
    let shop = &c["shop"].device;
    let (y, gate) = (&c["yunan"].uscc, &c["yunan"].device);
    let transporters: [&Party; 2] = [&c["t0"], &c["t1"]];
    let mut items: Vec<String> = Vec::new();
    let mut sent: BTreeMap<&'static str, (u32, u32)> = BTreeMap::new();
    for s in steps {
        let p = s.pick.map(u64::from);
        if items.is_empty() || (s.follow && p[0] % 5 == 0) {
            let (st, r) = send_event(
                admin,
                shop,
                "generate",
                generate_fields(WASTE, 10_000 + p[1] * 1000, "liquid", &["T"], 200),
            )
            .await;
            assert_eq!(st, StatusCode::CREATED, "{r}");
            items.push(r["item_code"].as_str().unwrap().to_owned());
            continue;
        }
        let code = items[s.item % items.len()].clone();
        let (state, holder, manifest, mass, carriers) = look(admin, &code).await;
        let carrier_device = |u: &str| transporters.iter().find(|t| t.uscc == u).map(|t| &t.device);
        let next_carrier = |after: Option<&str>| -> Option<String> {
            let at = match after {
                None => 0,
                Some(h) => carriers.iter().position(|t| t == h)? + 1,
            };
            carriers.get(at).cloned()
        };
        let m = manifest.clone().unwrap_or_default();
        let (kind, device, fields): (&'static str, &Device, Value) = if s.follow {
            match state.as_str() {
                "stored" if manifest.is_none() => {
                    let ts: Vec<&str> = transporters
                        .iter()
                        .take(1 + (p[1] % 2) as usize)
                        .map(|t| t.uscc.as_str())
                        .collect();
                    let mut f = c.manifest("t0", y, &[&code]);
                    f["transporters"] = json!(ts);
                    ("manifest_open", shop, f)
                }
                "stored" if p[2] % 6 == 0 => ("manifest_cancel", shop, json!({"manifest": m, "reason": "计划变更"})),
                "stored" => {
                    let to = next_carrier(None).unwrap_or_default();
                    ("release", shop, json!({"items": [code], "to": to, "manifest": m}))
                }
                "released" => {
                    // The first carrier, or the next one at a hand-over: try either.
                    let d = &transporters[(p[1] % 2) as usize].device;
                    ("accept", d, json!({"items": [code], "manifest": m}))
                }
                "in_transit" => {
                    let d = carrier_device(&holder).unwrap_or(shop);
                    match next_carrier(Some(&holder)) {
                        Some(to) => ("release", d, json!({"items": [code], "to": to, "manifest": m})),
                        None if p[1] % 7 == 0 => (
                            "incident",
                            d,
                            json!({"item": code, "kind": "spill", "lost_mass_g": mass.min(1 + p[2] * 10),
                                   "description": "途中泄漏"}),
                        ),
                        None => ("arrive", d, json!({"items": [code], "manifest": m})),
                    }
                }
                "arrived" if p[1] % 3 == 0 => {
                    let w = mass * (90 + p[2] % 20) / 100;
                    ("weigh", gate, json!({"item": code, "weighed_mass_g": w.max(1)}))
                }
                "arrived" => {
                    let f = match p[2] % 4 {
                        0 => json!({"item": code, "decision": "refuse", "accepted_mass_g": 0,
                                    "refused_mass_g": mass, "reason": "包装破损"}),
                        _ => json!({"item": code, "decision": "accept", "accepted_mass_g": mass,
                                    "refused_mass_g": 0}),
                    };
                    ("receive", gate, f)
                }
                "received" if p[1] % 3 == 0 => {
                    let half = mass / 2;
                    let out = |g: u64| generate_fields(WASTE, g.max(1), "liquid", &["T"], 100);
                    (
                        "split",
                        gate,
                        json!({"input": code, "outputs": [out(half), out(mass - half)]}),
                    )
                }
                "received" => (
                    "treat",
                    gate,
                    json!({"item": code, "method": "incineration", "treated_mass_g": mass}),
                ),
                "treated" => {
                    let mut f = generate_fields("772-003-18", 1 + mass / 20, "solid", &["T"], 200);
                    f["inputs"] = json!([code]);
                    ("generate", gate, f)
                }
                _ => (
                    "incident",
                    carrier_device(&holder).unwrap_or(shop),
                    json!({"item": code, "kind": "other", "lost_mass_g": 0, "description": "检查"}),
                ),
            }
        } else {
            // Noise: a random type by a random party, with this item and manifest.
            let kind = KINDS[(p[1] as usize) % KINDS.len()];
            let device = match p[2] % 4 {
                0 => shop,
                1 => &transporters[0].device,
                2 => &transporters[1].device,
                _ => gate,
            };
            let to = &transporters[(p[3] % 2) as usize].uscc;
            let f = json!({"items": [code], "item": code, "manifest": m, "to": to, "weighed_mass_g": mass.max(1),
                           "decision": "accept", "accepted_mass_g": mass, "refused_mass_g": 0,
                           "method": "incineration", "treated_mass_g": mass.max(1), "kind": "loss",
                           "lost_mass_g": mass, "description": "x", "reason": "x"});
            // Keep only the members the type takes (unknown members are refused at parsing,
            // which would test nothing here).
            let keep: &[&str] = match kind {
                "release" => &["items", "to", "manifest"],
                "accept" | "arrive" => &["items", "manifest"],
                "weigh" => &["item", "weighed_mass_g"],
                "receive" => &["item", "decision", "accepted_mass_g", "refused_mass_g"],
                "treat" => &["item", "method", "treated_mass_g"],
                "incident" => &["item", "kind", "lost_mass_g", "description"],
                "manifest_cancel" => &["manifest", "reason"],
                _ => &[],
            };
            if keep.is_empty() || (m.is_empty() && keep.contains(&"manifest")) {
                continue;
            }
            let f: serde_json::Map<String, Value> = f
                .as_object()
                .unwrap()
                .iter()
                .filter(|(k, _)| keep.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            (kind, device, Value::Object(f))
        };
        let (st, r) = send_event(admin, device, kind, fields).await;
        let tally = sent.entry(kind).or_default();
        if st == StatusCode::CREATED {
            tally.0 += 1;
            for created in r["created"].as_array().into_iter().flatten() {
                items.push(created["item_code"].as_str().unwrap().to_owned());
            }
        } else {
            tally.1 += 1;
            assert!(st.is_client_error(), "{kind}: {st} {r}");
        }
    }
    // The mass balance of everything generated closes: every gram is somewhere or has a
    // recorded cause.
    let today = &now_cst()[..10];
    let (st, b) = admin
        .get(&format!("/api/v1/indicators/mass-balance?from={today}&to={today}"))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!((&b["closes"], &b["difference_g"]), (&json!(true), &json!(0)), "{b}");
    let places: u64 = [
        "at_generator_g",
        "in_transit_g",
        "at_facility_g",
        "treated_g",
        "repacked_g",
    ]
    .iter()
    .map(|k| b[k].as_u64().unwrap())
    .sum();
    let changes: i64 = [
        "weighing_g",
        "refused_at_gate_g",
        "lost_g",
        "treatment_g",
        "correction_g",
    ]
    .iter()
    .map(|k| b[k].as_i64().unwrap())
    .sum();
    assert_eq!(
        b["generated_g"].as_u64().unwrap() as i64,
        places as i64 + changes,
        "{b}"
    );
    app.stop().await;
    eprintln!("accepted/refused by type: {sent:?}");
    let report = audit_clean(&db).await;
    assert_eq!((report.findings_total, report.unjudged), (0, 0), "{report}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, max_shrink_iters: 20, ..ProptestConfig::default() })]

    #[test]
    fn the_auditors_replay_agrees_with_the_service(steps in prop::collection::vec(step(), 60..120)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(run(steps));
    }
}
