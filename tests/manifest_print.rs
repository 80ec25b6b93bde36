//! The printed transfer manifest (转移联单, `GET /api/v1/manifests/{number}/print`) carries what
//! 转移管理办法 (Order 23) asks of it, each value as it was under that manifest:
//!
//! - a drum refused at the Yunan gate and taken home under a return manifest prints, on each of
//!   its two manifests, that manifest's weighing, decision and state, never the other's;
//! - a relay of two carriers prints both legs: each carrier's vehicle with its road transport
//!   certificate, its driver, when and where it took the load over; the route's start and end;
//!   the emergency measures (declared, or derived from the hazards); the receiver's permit, its
//!   licensed methods, its decision and the treatment method it recorded; the exemptions of the
//!   national list for the codes on it.
//!
//! Both stories end with an audit that finds the log and the database in agreement.

mod common;

use common::cast::Cast;
use common::custody::{accepted, Fleet};
use common::{audit_clean, spawn_app_with_db, Client, YUNAN};
use hwtrace::client::generate_fields;
use reqwest::StatusCode;
use serde_json::{json, Value};

const PLATE_A: &str = "渝D55601";
const LICENCE_A: &str = "500110198505051111";
const CERT_A: &str = "渝交运管字500110055601号";
const PLATE_B: &str = "渝D55602";
const LICENCE_B: &str = "500110198606062222";
const CERT_B: &str = "渝交运管字500110055602号";
const YUNAN_ADDRESS: &str = "重庆市万盛经开区（合成地址）";
const TEST_ADDRESS: &str = "重庆市万盛经开区测试路1号";

async fn page(c: &Client, number: &str) -> String {
    let resp = c
        .request(reqwest::Method::GET, &format!("/api/v1/manifests/{number}/print"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    resp.text().await.unwrap()
}

/// The values of every `<th>{zh} ...</th><td>value</td>` row of the page, in order.
fn fields(page: &str, zh: &str) -> Vec<String> {
    let key = format!("<th>{zh} <span");
    page.match_indices(&key)
        .map(|(at, _)| {
            let rest = &page[at..];
            let td = rest.find("<td").unwrap();
            let open = td + rest[td..].find('>').unwrap() + 1;
            let close = open + rest[open..].find("</td>").unwrap();
            rest[open..close].to_owned()
        })
        .collect()
}

/// The cells of the waste table's row of `code`.
fn item_cells(page: &str, code: &str) -> Vec<String> {
    let at = page
        .find(&format!("<td class=\"code\">{code}</td>"))
        .unwrap_or_else(|| panic!("no row for {code}"));
    let start = page[..at].rfind("<tr>").unwrap();
    let end = at + page[at..].find("</tr>").unwrap();
    page[start + 4..end]
        .split("</td>")
        .filter_map(|c| c.find('>').map(|i| c[i + 1..].to_owned()))
        .collect()
}

#[tokio::test]
async fn a_refused_manifest_prints_its_own_values_not_those_of_the_return_manifest() {
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter("carrier", "91500110MA6TRN031", Fleet::van(PLATE_A, LICENCE_A))
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let admin = &cast.admin;
    let (shop, driver, gate) = (&cast["shop"].device, &cast["carrier"].device, &cast["yunan"].device);
    let (repair, carrier) = (cast["shop"].uscc.clone(), cast["carrier"].uscc.clone());

    let code = cast
        .generate(
            "shop",
            generate_fields("900-214-08", 100_000, "liquid", &["T", "I"], 200),
        )
        .await;
    let open = |receiver: &str, extra: Value| {
        let mut m = json!({"transporters": [carrier], "vehicle_plate": PLATE_A, "driver_licence": LICENCE_A,
            "receiver": receiver, "items": [code], "planned_date": "2026-04-01"});
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        m
    };
    let first = accepted(admin, shop, "manifest_open", open(YUNAN, json!({}))).await["manifest_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let trip = json!({"items": [code], "manifest": first});
    accepted(
        admin,
        shop,
        "release",
        json!({"items": [code], "to": carrier, "manifest": first}),
    )
    .await;
    accepted(admin, driver, "accept", trip.clone()).await;
    accepted(admin, driver, "arrive", trip).await;
    accepted(admin, gate, "weigh", json!({"item": code, "weighed_mass_g": 98_000})).await;
    accepted(
        admin,
        gate,
        "receive",
        json!({"item": code, "decision": "refuse", "accepted_mass_g": 0, "refused_mass_g": 98_000,
               "reason": "含水率超标"}),
    )
    .await;

    // The shop takes it back under a return manifest, declaring its own emergency measures.
    let measures = "泄漏时用吸油毡收集，联系万盛生态环境局值班电话";
    let back = accepted(
        admin,
        shop,
        "manifest_open",
        open(&repair, json!({"emergency_measures": measures})),
    )
    .await["manifest_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let home = json!({"items": [code], "manifest": back});
    accepted(admin, driver, "return", home.clone()).await;
    accepted(admin, driver, "arrive", home).await;
    accepted(admin, shop, "weigh", json!({"item": code, "weighed_mass_g": 97_500})).await;
    accepted(
        admin,
        shop,
        "receive",
        json!({"item": code, "decision": "accept", "accepted_mass_g": 97_500, "refused_mass_g": 0}),
    )
    .await;

    // The refused manifest: booked at 100 kg, weighed 98 kg, refused, with the carrier.
    let p1 = page(admin, &first).await;
    let cells = item_cells(&p1, &code);
    assert_eq!(
        cells[5..12],
        ["100.000", "98.000", "", "98.000", "拒收：含水率超标", "", "已拒收"],
        "{cells:?}"
    );
    assert!(
        !p1.contains("97.500"),
        "the return's weighing is not on the refused manifest"
    );
    assert_eq!(fields(&p1, "运输起点"), [TEST_ADDRESS]);
    assert_eq!(fields(&p1, "运输终点"), [YUNAN_ADDRESS]);
    assert!(!p1.contains("退回联单"));
    // No measures declared: derived from T and I, and said so.
    let derived = p1.split("Emergency measures").nth(1).unwrap();
    assert!(derived.contains("毒性：") && derived.contains("易燃性：") && derived.contains("12369"));
    assert!(derived.contains("the consignor declared none"));

    // The return manifest: booked at the 98 kg it was refused with, weighed 97.5 kg at home and
    // accepted; from Yunan back to the shop; the shop's own measures.
    let p2 = page(admin, &back).await;
    let cells = item_cells(&p2, &code);
    assert_eq!(
        cells[5..12],
        ["98.000", "97.500", "97.500", "", "接收", "", "贮存中"],
        "{cells:?}"
    );
    assert!(p2.contains("退回联单"));
    assert_eq!(fields(&p2, "运输起点"), [YUNAN_ADDRESS]);
    assert!(p2.contains(measures));
    assert!(!p2.contains("the consignor declared none"));
    assert!(!p2.contains("含水率超标"), "the refusal belongs to the first manifest");

    app.stop().await;
    audit_clean(&db).await;
}

#[tokio::test]
async fn a_relay_prints_both_carriers_legs_and_every_field_order_23_asks() {
    let (app, db) = spawn_app_with_db().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA5U8F4X2")
        .transporter(
            "first",
            "91500110MA6TRN031",
            Fleet::van(PLATE_A, LICENCE_A)
                .driven_by("赵师傅", "13800000011")
                .with_cert(CERT_A),
        )
        .transporter(
            "second",
            "91500110MA5UW0002",
            Fleet::van(PLATE_B, LICENCE_B)
                .driven_by("钱师傅", "13800000022")
                .with_cert(CERT_B),
        )
        .seeded("yunan", YUNAN)
        .build()
        .await;
    let admin = &cast.admin;
    let (shop, d1, d2, gate) = (
        &cast["shop"].device,
        &cast["first"].device,
        &cast["second"].device,
        &cast["yunan"].device,
    );
    let (t1, t2) = (cast["first"].uscc.clone(), cast["second"].uscc.clone());
    // The registry answers the certificate, and describes it; a bad one is refused.
    let (_, list) = cast["first"]
        .client
        .get(&format!("/api/v1/enterprises/{t1}/vehicles"))
        .await;
    assert_eq!(list["vehicles"][0]["road_transport_cert"], CERT_A, "{list}");
    let (_, doc) = admin.get("/api/v1/openapi.json").await;
    for schema in ["Vehicle", "NewVehicle"] {
        assert!(
            doc["components"]["schemas"][schema]["properties"]["road_transport_cert"].is_object(),
            "{schema}"
        );
    }
    let (s, v) = cast["first"]
        .client
        .post(
            &format!("/api/v1/enterprises/{t1}/vehicles"),
            json!({"plate": "渝D55609", "vehicle_type": "van", "road_transport_cert": "证".repeat(41)}),
        )
        .await;
    assert_eq!(
        (s, v["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("field_too_long"))
    );

    let code = cast
        .generate(
            "shop",
            generate_fields("900-249-08", 185_500, "liquid", &["T", "I"], 200),
        )
        .await;
    let number = accepted(
        admin,
        shop,
        "manifest_open",
        json!({"transporters": [t1, t2], "vehicle_plate": PLATE_A, "driver_licence": LICENCE_A,
               "receiver": YUNAN, "items": [code], "planned_date": "2026-04-01"}),
    )
    .await["manifest_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let trip = json!({"items": [code], "manifest": number});
    accepted(
        admin,
        shop,
        "release",
        json!({"items": [code], "to": t1, "manifest": number}),
    )
    .await;
    accepted(admin, d1, "accept", trip.clone()).await;
    accepted(
        admin,
        d1,
        "release",
        json!({"items": [code], "to": t2, "manifest": number}),
    )
    .await;
    // The second carrier's phone names its vehicle, its driver and the hand-over place.
    let mut relay = trip.clone();
    relay["vehicle_plate"] = json!(PLATE_B);
    relay["driver_licence"] = json!(LICENCE_B);
    relay["handover_place"] = json!("綦江危废中转站");
    accepted(admin, d2, "accept", relay).await;
    accepted(admin, d2, "arrive", trip).await;
    accepted(admin, gate, "weigh", json!({"item": code, "weighed_mass_g": 185_000})).await;
    accepted(
        admin,
        gate,
        "receive",
        json!({"item": code, "decision": "accept", "accepted_mass_g": 185_000, "refused_mass_g": 0}),
    )
    .await;
    accepted(
        admin,
        gate,
        "treat",
        json!({"item": code, "method": "incineration", "treated_mass_g": 185_000}),
    )
    .await;

    let p = page(admin, &number).await;
    // Both legs, in carrying order, each with its own vehicle, certificate and driver.
    let first = p.find("第一承运人").expect("the first leg");
    let second = p.find("第二承运人").expect("the second leg");
    assert!(first < second);
    assert_eq!(
        fields(&p, "车牌号（车辆类型）"),
        [
            format!("{PLATE_A}（厢式危险货物运输车）"),
            format!("{PLATE_B}（厢式危险货物运输车）")
        ]
    );
    assert_eq!(fields(&p, "道路运输证号"), [CERT_A, CERT_B]);
    assert_eq!(fields(&p, "驾驶员"), ["赵师傅", "钱师傅"]);
    assert_eq!(fields(&p, "驾驶员从业资格证号"), [LICENCE_A, LICENCE_B]);
    assert_eq!(fields(&p, "驾驶员电话"), ["13800000011", "13800000022"]);
    assert_eq!(fields(&p, "交接地点"), [TEST_ADDRESS, "綦江危废中转站"]);
    let handed = fields(&p, "交接时间（北京时间）");
    assert!(
        handed.iter().all(|t| t.len() == 19 && t.starts_with("20")),
        "{handed:?}"
    );
    // The route, and each leg's ends: the second leg starts where the first ends.
    assert_eq!(fields(&p, "运输起点"), [TEST_ADDRESS]);
    assert_eq!(fields(&p, "运输终点"), [YUNAN_ADDRESS]);
    assert_eq!(fields(&p, "本段起点"), [TEST_ADDRESS, "綦江危废中转站"]);
    assert_eq!(fields(&p, "本段终点"), ["綦江危废中转站", YUNAN_ADDRESS]);
    // The receiver: its permit, its licensed methods, its decision and the method it recorded.
    assert_eq!(fields(&p, "危险废物经营许可证编号").len(), 1);
    let methods = &fields(&p, "许可利用/处置方式")[0];
    assert!(methods.contains("焚烧") && methods.contains("安全填埋"), "{methods}");
    let cells = item_cells(&p, &code);
    assert_eq!(
        cells[2..12],
        [
            format!("900-249-08 HW08<br>{}", cells[2].split("<br>").nth(1).unwrap()),
            "液态<br>T,I".to_owned(),
            "200L 容器<br>1 件".to_owned(),
            "185.500".to_owned(),
            "185.000".to_owned(),
            "185.000".to_owned(),
            String::new(),
            "接收".to_owned(),
            "焚烧".to_owned(),
            "已接收".to_owned(),
        ],
        "{cells:?}"
    );
    // Dates, emergency measures, the exemption of 900-249-08 (its utilisation), events.
    for label in ["计划转移日期", "联单开立时间", "起运时间", "运抵时间", "接收确认时间"] {
        let v = fields(&p, label);
        assert!(v.len() == 1 && !v[0].is_empty() && v[0] != "—", "{label}: {v:?}");
    }
    assert!(p.contains("突发环境事件防范和应急措施"));
    let exemptions = p
        .split("Exemptions of the national list")
        .nth(1)
        .expect("an exemption section");
    assert!(
        exemptions.contains("900-249-08") && exemptions.contains("利用"),
        "{exemptions}"
    );
    for kind in ["开立联单", "移出放行", "承运签收", "运抵", "过磅", "接收确认"] {
        assert!(p.contains(kind), "{kind}");
    }

    app.stop().await;
    audit_clean(&db).await;
}
