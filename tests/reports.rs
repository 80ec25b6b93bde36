//! HJ 1259 ledgers, period reports and the printed manifest, on a story with known answers,
//! told over HTTP on a clock the test sets. On 31 March 2026 (CST) a paint shop fills drum A
//! (185.5 kg of waste mineral oil), drum B (50 kg of paint waste) and drum C (20 kg of waste
//! oil), then moves C to another store room. On 1 April A and B leave under one manifest
//! with a transporter for the Yunan facility, which weighs A at 183 kg, receives both and
//! incinerates A. C stays at the shop. Every row and figure below is worked out by hand.

mod common;

use common::cast::Cast;
use common::custody::{accepted_at, Fleet};
use common::{assert_refused, start_with, Client, TestApp, YUNAN};
use hwtrace::client::generate_fields;
use hwtrace::config::Config;
use hwtrace::time::Clock;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PLATE: &str = "渝D55501";
const LICENCE: &str = "500110198505051234";
const YUNAN_PERMIT: &str = "CQWF-2026-001";
/// The paint shop's spraying line, as its discharge permit codes it.
const FACILITY: &str = "MF0003";

/// A device time on the test's clock: sets the clock to `cst` (China Standard Time) and
/// answers it as a device writes it.
fn at(clock: &Clock, cst: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(&format!("{cst}+08:00")).unwrap();
    assert!(clock.set(t.with_timezone(&chrono::Utc)));
    t.to_rfc3339()
}

/// A GET answering status, headers and the raw body.
async fn raw(c: &Client, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = c.request(Method::GET, path).send().await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

/// A CSV answer's records after its byte-order mark, header rows included.
fn records(body: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("CSV starts with a byte-order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// The records as maps from the (first) header row's names to values.
fn rows(body: &[u8]) -> Vec<std::collections::HashMap<String, String>> {
    let recs = records(body);
    recs[1..]
        .iter()
        .map(|r| recs[0].iter().cloned().zip(r.iter().cloned()).collect())
        .collect()
}

struct Story {
    shop: String,
    carrier: String,
    drums: [String; 3],
    /// Log indexes: generation of A, B, C; the move of C; the manifest; the releases of A
    /// and B; the carrier's acceptance; its arrival; the receipts of A and B; the treatment.
    gen: [u64; 3],
    moved: u64,
    opened: u64,
    released: [u64; 2],
    accepted: u64,
    arrived: u64,
    received: [u64; 2],
    treated: u64,
    /// Yunan splits drum B into two: the entry, and the new containers.
    split: u64,
    parts: [String; 2],
    manifest: String,
}

/// The paint shop, its transporter with the vehicle and driver of the story, a stranger, and
/// the Yunan facility's gate, each with a device; two regulators.
async fn cast(app: &TestApp) -> Cast {
    Cast::on(app)
        .generator("shop", "91500110MA6RPT001")
        .transporter(
            "carrier",
            "91500110MA6RPC001",
            Fleet::van(PLATE, LICENCE).driven_by("钱师傅", "13800000055"),
        )
        .seeded("yunan", YUNAN)
        .generator("stranger", "91500110MA6RPX001")
        .regulator("qijiang-reg", "qijiang")
        .regulator("wansheng-reg", "wansheng")
        .build()
        .await
}

async fn story(cast: &Cast, clock: &Clock) -> Story {
    let admin = &cast.admin;
    let (phone, driver, gate) = (&cast["shop"].device, &cast["carrier"].device, &cast["yunan"].device);
    let (shop, carrier) = (cast["shop"].uscc.clone(), cast["carrier"].uscc.clone());

    let mut drums = Vec::new();
    let mut gen = Vec::new();
    for (code, mass, form, hazards) in [
        ("900-214-08", 185_500u64, "liquid", &["T", "I"][..]),
        ("900-252-12", 50_000, "semi_solid", &["T", "I"][..]),
        ("900-214-08", 20_000, "liquid", &["T", "I"][..]),
    ] {
        let mut fields = generate_fields(code, mass, form, hazards, 200);
        fields["facility_code"] = json!(FACILITY);
        let r = accepted_at(admin, phone, &at(clock, "2026-03-31T22:10:00"), "generate", fields).await;
        drums.push(r["item_code"].as_str().unwrap().to_owned());
        gen.push(r["index"].as_u64().unwrap());
    }
    let moved = accepted_at(
        admin,
        phone,
        &at(clock, "2026-03-31T22:20:00"),
        "store",
        json!({"items": [drums[2]], "storage_place": "危废暂存间B"}),
    )
    .await["index"]
        .as_u64()
        .unwrap();

    let r = accepted_at(
        admin,
        phone,
        &at(clock, "2026-04-01T09:00:00"),
        "manifest_open",
        json!({"transporters": [carrier], "vehicle_plate": PLATE, "driver_licence": LICENCE,
               "receiver": YUNAN, "items": [drums[0], drums[1]], "planned_date": "2026-04-01"}),
    )
    .await;
    let manifest = r["manifest_no"].as_str().unwrap().to_owned();
    let opened = r["index"].as_u64().unwrap();
    let mut released = Vec::new();
    for d in &drums[..2] {
        let r = accepted_at(
            admin,
            phone,
            &at(clock, "2026-04-01T09:05:00"),
            "release",
            json!({"items": [d], "to": carrier, "manifest": manifest}),
        )
        .await;
        released.push(r["index"].as_u64().unwrap());
    }
    let both = json!({"items": [drums[0], drums[1]], "manifest": manifest});
    let accepted = accepted_at(admin, driver, &at(clock, "2026-04-01T09:10:00"), "accept", both.clone()).await["index"]
        .as_u64()
        .unwrap();
    let arrived = accepted_at(admin, driver, &at(clock, "2026-04-01T11:30:00"), "arrive", both).await["index"]
        .as_u64()
        .unwrap();
    let mut received = Vec::new();
    for (d, g) in [(&drums[0], 183_000u64), (&drums[1], 50_000)] {
        let t = at(clock, "2026-04-01T11:40:00");
        accepted_at(admin, gate, &t, "weigh", json!({"item": d, "weighed_mass_g": g})).await;
        let r = accepted_at(
            admin,
            gate,
            &t,
            "receive",
            json!({"item": d, "decision": "accept", "accepted_mass_g": g, "refused_mass_g": 0}),
        )
        .await;
        received.push(r["index"].as_u64().unwrap());
    }
    let treated = accepted_at(
        admin,
        gate,
        &at(clock, "2026-04-02T10:00:00"),
        "treat",
        json!({"item": drums[0], "method": "incineration", "treated_mass_g": 183_000}),
    )
    .await["index"]
        .as_u64()
        .unwrap();
    let part = |mass_g: u64, place: &str| {
        json!({"waste_code": "900-252-12", "mass_g": mass_g, "form": "semi_solid", "hazards": ["T", "I"],
               "packaging": "100L 容器", "container_volume_l": 100, "components": "漆渣", "storage_place": place})
    };
    let r = accepted_at(
        admin,
        gate,
        &at(clock, "2026-04-03T15:00:00"),
        "split",
        json!({"input": drums[1], "outputs": [part(30_000, "暂存区1"), part(20_000, "暂存区2")]}),
    )
    .await;
    let split = r["index"].as_u64().unwrap();
    let parts: Vec<String> = r["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["item_code"].as_str().unwrap().to_owned())
        .collect();
    Story {
        shop,
        carrier,
        drums: drums.try_into().unwrap(),
        gen: gen.try_into().unwrap(),
        moved,
        opened,
        released: released.try_into().unwrap(),
        accepted,
        arrived,
        received: received.try_into().unwrap(),
        treated,
        split,
        parts: parts.try_into().unwrap(),
        manifest,
    }
}

#[tokio::test]
async fn the_hj1259_ledger_reports_and_printed_manifest_match_the_hand_worked_story() {
    let dir = tempfile::tempdir().unwrap();
    // The log's time never goes back: it starts before the story.
    let clock = Clock::manual(
        chrono::DateTime::parse_from_rfc3339("2026-03-31T20:00:00+08:00")
            .unwrap()
            .into(),
    );
    let config = Config {
        clock: clock.clone(),
        ..Config::with_db(dir.path().join("hwtrace.db"))
    };
    let app = start_with(config, dir).await;
    let cast = cast(&app).await;
    let admin = &cast.admin;
    let s = story(&cast, &clock).await;
    let [a, b, c] = &s.drums;
    let shop_name = format!("测试企业{}", &s.shop[10..14]);
    let carrier_name = format!("测试企业{}", &s.carrier[10..14]);
    let yunan_name = "渝南循环经济项目（一期）危险废物集中处置中心";
    let base = format!("/api/v1/enterprises/{}/hj1259?from=2026-03-01&to=2026-04-30", s.shop);

    // Production (table B.1): the three drums, declared masses, in kg from integer grams.
    let (st, headers, body) = raw(admin, &format!("{base}&stage=production&format=csv")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        format!(
            "attachment; filename=\"hj1259-{}-2026-03-01-2026-04-30-production.csv\"",
            s.shop
        )
        .as_str()
    );
    let recs = records(&body);
    assert_eq!(
        recs[0],
        [
            "序号",
            "产生批次编码",
            "产生时间",
            "危险废物名称（行业俗称/单位内部名称）",
            "国家危险废物名录名称",
            "危险废物类别",
            "危险废物代码",
            "产生量",
            "计量单位",
            "容器/包装编码",
            "容器/包装类型",
            "容器/包装数量",
            "产生危险废物设施编码",
            "产生部门经办人（签名设备）",
            "去向",
            "日志序号"
        ]
    );
    let shop_device = format!("{}/shop-1", s.shop);
    assert_eq!(recs.len(), 4, "{recs:?}");
    for (i, (drum, kg, code)) in [
        (a, "185.500", "900-214-08"),
        (b, "50.000", "900-252-12"),
        (c, "20.000", "900-214-08"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = &recs[i + 1];
        assert_eq!(r[0], (i + 1).to_string());
        assert_eq!(r[1], format!("HWCS20260331-{}", s.gen[i]));
        assert_eq!(r[2], "2026-03-31 22:10:00");
        assert_eq!(r[5], format!("HW{}", &code[8..]));
        assert_eq!(
            (&r[6], &r[7], &r[8], &r[9]),
            (&code.to_owned(), &kg.to_owned(), &"kg".to_owned(), drum)
        );
        assert_eq!((&r[10], &r[11]), (&"200L 容器".to_owned(), &"1".to_owned()));
        assert_eq!(r[12], FACILITY);
        assert_eq!(r[13], shop_device);
        assert_eq!(r[14], "贮存：危险废物贮存库");
        assert_eq!(r[15], s.gen[i].to_string());
        assert!(!r[4].is_empty(), "the national list's name of {code}");
    }

    // Into store (B.2): the three drums as generated, then C moved to the other store room.
    let (_, _, body) = raw(admin, &format!("{base}&stage=into_store&format=csv")).await;
    let into = rows(&body);
    assert_eq!(into.len(), 4);
    assert_eq!(
        into.iter()
            .map(|r| (
                r["容器/包装编码"].as_str(),
                r["入库量"].as_str(),
                r["贮存设施编码"].as_str()
            ))
            .collect::<Vec<_>>(),
        [
            (a.as_str(), "185.500", "危险废物贮存库"),
            (b.as_str(), "50.000", "危险废物贮存库"),
            (c.as_str(), "20.000", "危险废物贮存库"),
            (c.as_str(), "20.000", "危废暂存间B"),
        ]
    );
    assert_eq!(into[0]["产生批次编码"], format!("HWCS20260331-{}", s.gen[0]));
    assert_eq!(into[0]["入库批次编码"], format!("HWRK20260331-{}", s.gen[0]));
    assert_eq!(into[3]["变动类型"], "库内移位");
    assert_eq!(into[3]["入库时间"], "2026-03-31 22:20:00");
    assert_eq!(into[3]["日志序号"], s.moved.to_string());
    // GB 18597 types from the places' names; the shop's own device moved and stored them.
    assert!(into.iter().all(|r| r["贮存设施类型"] == "贮存库"));
    assert!(into.iter().all(|r| r["运送部门经办人（签名设备）"] == shop_device));
    assert_eq!(into[0]["贮存部门经办人（签名设备）"], shop_device);

    // Out of store (B.3): A and B released on 1 April, from the store room they went into.
    let (_, _, body) = raw(admin, &format!("{base}&stage=out_of_store&format=csv")).await;
    let out = rows(&body);
    assert_eq!(out.len(), 2);
    for (i, r) in out.iter().enumerate() {
        assert_eq!(r["容器/包装编码"], s.drums[i]);
        assert_eq!(r["出库批次编码"], format!("HWCK20260401-{}", s.released[i]));
        assert_eq!(r["出库时间"], "2026-04-01 09:05:00");
        assert_eq!(r["入库批次编码"], format!("HWRK20260331-{}", s.gen[i]));
        assert_eq!(r["贮存设施编码"], "危险废物贮存库");
        assert_eq!(r["贮存设施类型"], "贮存库");
        assert_eq!(r["出库部门经办人（签名设备）"], shop_device);
        // The carrier's driver took it over: 运送部门经办人.
        assert_eq!(r["运送部门经办人（签名设备）"], format!("{}/carrier-1", s.carrier));
        assert_eq!(r["转移联单编号"], s.manifest);
        assert_eq!(
            r["去向"],
            format!("承运：{carrier_name}（{}）；接收：{yunan_name}（{YUNAN}）", s.carrier)
        );
    }
    assert_eq!(
        (out[0]["出库量"].as_str(), out[1]["出库量"].as_str()),
        ("185.500", "50.000")
    );

    // Own treatment (B.4): none at the shop; just the header.
    let (_, _, body) = raw(admin, &format!("{base}&stage=own_treatment&format=csv")).await;
    assert_eq!(records(&body).len(), 1);

    // Sent out (B.5): A and B leave with the transporter at its acceptance; Yunan's permit;
    // A's method, recorded later by Yunan, is known; B's is not yet.
    let (_, _, body) = raw(admin, &format!("{base}&stage=sent_out&format=csv")).await;
    let sent = rows(&body);
    assert_eq!(sent.len(), 2);
    for (i, r) in sent.iter().enumerate() {
        assert_eq!(r["委外利用/处置批次编码"], format!("HWWW20260401-{}", s.accepted));
        assert_eq!(r["出厂时间"], "2026-04-01 09:10:00");
        assert_eq!(
            r["产生批次编码/出库批次编码"],
            format!("HWCK20260401-{}", s.released[i])
        );
        assert_eq!(r["利用/处置单位名称"], yunan_name);
        assert_eq!(r["利用/处置单位统一社会信用代码"], YUNAN);
        assert_eq!(r["接收单位类型"], "利用处置单位");
        assert_eq!(r["危险废物经营许可证编码"], YUNAN_PERMIT);
        assert_eq!(r["运输单位"], format!("{carrier_name}（{}）", s.carrier));
        assert_eq!(r["承运人经办人（签名设备）"], format!("{}/carrier-1", s.carrier));
        assert_eq!(r["转移联单编号"], s.manifest);
        // Yunan holds a permit and nothing leaves the country: the exempt-unit and export
        // columns of B.5 are there, empty.
        for col in [
            "危险废物利用处置环节豁免管理单位名称",
            "境外危险废物利用处置单位名称",
            "出口核准通知单编号",
        ] {
            assert_eq!(r[col], "", "{col}");
        }
    }
    assert_eq!(
        sent.iter()
            .map(|r| (r["委外利用/处置量"].as_str(), r["利用/处置方式"].as_str()))
            .collect::<Vec<_>>(),
        [("185.500", "焚烧"), ("50.000", "")]
    );

    // All stages at once, with English headers: 3 + 4 + 2 + 0 + 2 rows in log order.
    let (_, _, body) = raw(admin, &format!("{base}&format=csv&lang=en")).await;
    let recs = records(&body);
    assert_eq!(recs[0][..3], ["No.", "Stage", "Batch code"]);
    let stages: Vec<&str> = recs[1..].iter().map(|r| r[1].as_str()).collect();
    assert_eq!(
        stages,
        [
            "production",
            "into store",
            "production",
            "into store",
            "production",
            "into store",
            "into store",
            "out of store",
            "out of store",
            "sent out",
            "sent out"
        ]
    );
    let (_, _, body) = raw(admin, &format!("{base}&stage=production&format=csv&lang=both")).await;
    let recs = records(&body);
    assert_eq!(
        (recs[0][0].as_str(), recs[1][0].as_str(), recs.len()),
        ("序号", "No.", 5)
    );

    // March alone has no hand-overs; a day in CST starts at 16:00 UTC the day before.
    let march = admin
        .get_ok(&format!(
            "/api/v1/enterprises/{}/hj1259?from=2026-03-01&to=2026-03-31",
            s.shop
        ))
        .await;
    assert_eq!(march["rows"].as_array().unwrap().len(), 7, "{march}");
    assert_eq!(march["name"], shop_name.as_str());
    assert_eq!(march["rows"][0]["at"], "2026-03-31T14:10:00Z");
    assert_eq!(march["rows"][0]["mass_g"], 185_500);

    // The receiver's side: two receptions from the shop, one incineration, and drum B split
    // into two containers that go to two store places.
    let yunan = admin
        .get_ok(&format!(
            "/api/v1/enterprises/{YUNAN}/hj1259?from=2026-04-01&to=2026-04-30"
        ))
        .await;
    let yrows = yunan["rows"].as_array().unwrap();
    assert_eq!(yrows.len(), 7, "{yunan}");
    let split_rows: Vec<_> = yrows[4..]
        .iter()
        .map(|r| {
            (
                r["stage"].as_str().unwrap(),
                r["movement"].as_str().unwrap(),
                r["item"].as_str().unwrap(),
                r["mass_g"].as_u64().unwrap(),
                r["storage_place"].as_str(),
                r["seq"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        split_rows,
        [
            (
                "into_store",
                "repacked",
                s.parts[0].as_str(),
                30_000,
                Some("暂存区1"),
                s.split
            ),
            (
                "into_store",
                "repacked",
                s.parts[1].as_str(),
                20_000,
                Some("暂存区2"),
                s.split
            ),
            ("out_of_store", "repacked_away", b.as_str(), 50_000, None, s.split),
        ]
    );
    assert_eq!(
        yrows[6]["source_batch"],
        format!("HWRK20260401-{}", s.received[1]).as_str()
    );
    for (i, r) in yrows[..2].iter().enumerate() {
        assert_eq!(
            (&r["stage"], &r["movement"], &r["item"], &r["seq"]),
            (
                &json!("into_store"),
                &json!("received"),
                &json!(s.drums[i]),
                &json!(s.received[i])
            )
        );
        assert_eq!((&r["counterpart"], &r["carrier"]), (&json!(s.shop), &json!(s.carrier)));
        assert_eq!(r["manifest"], s.manifest.as_str());
    }
    assert_eq!(
        (&yrows[0]["mass_g"], &yrows[1]["mass_g"]),
        (&json!(183_000), &json!(50_000))
    );
    // The incineration takes A out of the store (B.3) and treats it (B.4), whose source is
    // that out-of-store batch (产生批次编码/出库批次编码), on Yunan's licensed line.
    assert_eq!(
        (&yrows[2]["stage"], &yrows[2]["movement"], &yrows[2]["seq"]),
        (&json!("out_of_store"), &json!("taken_for_treatment"), &json!(s.treated))
    );
    assert_eq!(
        yrows[2]["source_batch"],
        format!("HWRK20260401-{}", s.received[0]).as_str()
    );
    assert_eq!(
        (
            &yrows[3]["stage"],
            &yrows[3]["mass_g"],
            &yrows[3]["method"],
            &yrows[3]["time_cst"]
        ),
        (
            &json!("own_treatment"),
            &json!(183_000),
            &json!("incineration"),
            &json!("2026-04-02 10:00:00")
        )
    );
    assert_eq!(yrows[3]["source_batch"], format!("HWCK20260402-{}", s.treated).as_str());
    assert_eq!(yrows[3]["batch"], format!("HWZX20260402-{}", s.treated).as_str());
    assert_eq!(
        yrows[3]["facility_code"],
        format!("{YUNAN_PERMIT}/incineration").as_str()
    );
    // Yunan's own-treatment table: the standard's headers, read back from the CSV.
    let (_, _, body) = raw(
        admin,
        &format!("/api/v1/enterprises/{YUNAN}/hj1259?from=2026-04-01&to=2026-04-30&stage=own_treatment&format=csv"),
    )
    .await;
    let b4 = rows(&body);
    assert_eq!(b4.len(), 1);
    assert_eq!(b4[0]["自行利用/处置设施编码"], format!("{YUNAN_PERMIT}/incineration"));
    assert_eq!(
        b4[0]["产生批次编码/出库批次编码"],
        format!("HWCK20260402-{}", s.treated)
    );
    assert_eq!(b4[0]["自行利用/处置方式"], "焚烧");

    // XLSX: a zip with one sheet per stage; the cells hold the same values.
    let (st, headers, body) = raw(admin, &format!("{base}&format=xlsx")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(headers["content-disposition"].to_str().unwrap().ends_with(".xlsx\""));
    assert_eq!(&body[..4], b"PK\x03\x04", "a zip file");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(body)).unwrap();
    let mut read = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    let workbook = read("xl/workbook.xml");
    for name in [
        "B.1 产生",
        "B.2 入库",
        "B.3 出库",
        "B.4 自行利用处置",
        "B.5 委外利用处置",
    ] {
        assert!(workbook.contains(&format!("name=\"{name}\"")), "{workbook}");
    }
    let strings = read("xl/sharedStrings.xml");
    for text in [
        a.as_str(),
        c.as_str(),
        YUNAN_PERMIT,
        "危废暂存间B",
        FACILITY,
        "贮存库",
        "贮存设施编码",
        "运送部门经办人（签名设备）",
        "出口核准通知单编号",
        "No.",
        "委外利用/处置量",
        &s.manifest,
    ] {
        assert!(strings.contains(text), "{text} not in the workbook");
    }
    let sent_sheet = read("xl/worksheets/sheet5.xml");
    assert!(
        sent_sheet.contains("<v>185.5</v>") && sent_sheet.contains("<v>50</v>"),
        "{sent_sheet}"
    );

    // Period reports. The shop generated 255.5 kg this year and had nothing before: a
    // registration unit (登记管理), reporting annually.
    let r = admin
        .get_ok(&format!("/api/v1/enterprises/{}/reports?year=2026", s.shop))
        .await;
    assert_eq!(
        (
            &r["supervision"]["class"],
            &r["supervision"]["report_period"],
            &r["supervision"]["basis"]
        ),
        (&json!("registered"), &json!("year"), &json!("current_year")),
        "{r}"
    );
    assert_eq!(r["supervision"]["annual_generation_g"], 255_500);
    assert_eq!(r["period_kind"], "year");
    let reports = r["reports"].as_array().unwrap();
    assert_eq!(reports.len(), 1);
    let row = |report: &Value, code: &str| {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["waste_code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no {code} in {report}"))
    };
    let figures = |r: &Value| {
        [
            "stored_start_g",
            "generated_g",
            "received_g",
            "own_treated_g",
            "sent_out_g",
            "other_g",
            "stored_end_g",
        ]
        .map(|k| r[k].as_i64().unwrap())
    };
    let oil = row(&reports[0], "900-214-08");
    assert_eq!(figures(&oil), [0, 205_500, 0, 0, 185_500, 0, 20_000], "{oil}");
    assert_eq!(oil["generated_items"], 2);
    assert_eq!(
        oil["sent_out"],
        json!([{"receiver": YUNAN, "name": yunan_name, "district": "万盛经济技术开发区",
                "permit": YUNAN_PERMIT, "mass_g": 185_500, "items": 1}])
    );
    assert_eq!(oil["hazards"], json!(["T", "I"]));
    let paint = row(&reports[0], "900-252-12");
    assert_eq!(figures(&paint), [0, 50_000, 0, 0, 50_000, 0, 0], "{paint}");
    // March and April: the store at the end of March is the store at the start of April.
    let m3 = admin
        .get_ok(&format!("/api/v1/enterprises/{}/reports?year=2026&period=m3", s.shop))
        .await;
    let m4 = admin
        .get_ok(&format!("/api/v1/enterprises/{}/reports?year=2026&period=M04", s.shop))
        .await;
    assert_eq!(m3["period_kind"], "month");
    assert_eq!(m3["reports"][0]["from"], "2026-03-01");
    assert_eq!(m3["reports"][0]["to"], "2026-03-31");
    assert_eq!(m3["reports"][0]["complete"], true, "March is over on the test's clock");
    assert_eq!(m4["reports"][0]["complete"], false, "April is not");
    assert_eq!(
        figures(&row(&m3["reports"][0], "900-214-08")),
        [0, 205_500, 0, 0, 0, 0, 205_500]
    );
    assert_eq!(
        figures(&row(&m4["reports"][0], "900-214-08")),
        [205_500, 0, 0, 0, 185_500, 0, 20_000]
    );
    assert_eq!(
        figures(&row(&m4["reports"][0], "900-252-12")),
        [50_000, 0, 0, 0, 50_000, 0, 0]
    );

    // Yunan holds a permit: key supervision, monthly. April: received 233 kg, incinerated A,
    // B still in store. March: nothing.
    let y = admin
        .get_ok(&format!("/api/v1/enterprises/{YUNAN}/reports?year=2026"))
        .await;
    assert_eq!(
        (
            &y["supervision"]["class"],
            &y["supervision"]["reasons"],
            &y["period_kind"]
        ),
        (
            &json!("key"),
            &json!(["own_treatment", "permit_holder"]),
            &json!("month")
        ),
        "{}",
        y["supervision"]
    );
    let months = y["reports"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert_eq!(months[2]["rows"], json!([]));
    let april_oil = row(&months[3], "900-214-08");
    assert_eq!(figures(&april_oil), [0, 0, 183_000, 183_000, 0, 0, 0], "{april_oil}");
    assert_eq!(
        april_oil["own_treatment"],
        json!([{"method": "incineration", "method_zh": "焚烧", "mass_g": 183_000}])
    );
    assert_eq!(figures(&row(&months[3], "900-252-12")), [0, 0, 50_000, 0, 0, 0, 50_000]);
    assert_eq!(figures(&row(&months[4], "900-252-12")), [50_000, 0, 0, 0, 0, 0, 50_000]);
    // The same as CSV.
    let (st, headers, body) = raw(
        admin,
        &format!("/api/v1/enterprises/{}/reports?year=2026&period=m4&format=csv", s.shop),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"hj1259-report-"));
    let report_rows = rows(&body);
    let oil_csv = report_rows.iter().find(|r| r["危险废物代码"] == "900-214-08").unwrap();
    assert_eq!(
        (
            oil_csv["申报期间"].as_str(),
            oil_csv["上期末剩余贮存量"].as_str(),
            oil_csv["委托外单位利用/处置量"].as_str(),
            oil_csv["本期末剩余贮存量"].as_str()
        ),
        ("2026年4月", "205.500", "185.500", "20.000")
    );

    // The printed manifest: every field, the custody events with CST times, signers and log
    // indexes.
    let (st, headers, page) = raw(admin, &format!("/api/v1/manifests/{}/print", s.manifest)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let page = String::from_utf8(page).unwrap();
    for text in [
        "危险废物转移联单",
        s.manifest.as_str(),
        "移出人",
        "承运人",
        "接受人",
        shop_name.as_str(),
        s.shop.as_str(),
        carrier_name.as_str(),
        s.carrier.as_str(),
        yunan_name,
        YUNAN,
        YUNAN_PERMIT,
        "重庆市万盛经开区测试路1号",
        "测试联系人",
        "023-48000000",
        PLATE,
        "厢式危险货物运输车",
        "钱师傅",
        LICENCE,
        "13800000055",
        "2026-04-01",
        "省内转移",
        a.as_str(),
        b.as_str(),
        "900-214-08",
        "185.500",
        "183.000",
        "半固态",
        "T,I",
        "2026-04-01<br>09:05:00",
        "2026-04-01<br>09:10:00",
        "2026-04-01<br>11:30:00",
        "2026-04-01<br>11:40:00",
        "移出放行",
        "承运签收",
        "运抵",
        "过磅",
        "接收确认",
        &format!("{}/carrier-1", s.carrier),
        &format!("{YUNAN}/yunan-1"),
        "size:A4",
    ] {
        assert!(page.contains(text), "the manifest page lacks {text}");
    }
    for seq in [
        s.opened,
        s.released[0],
        s.released[1],
        s.accepted,
        s.arrived,
        s.received[0],
        s.received[1],
    ] {
        assert!(
            page.contains(&format!("<td class=\"num\">{seq}</td>")),
            "log index {seq}"
        );
    }
    assert!(!page.contains(c.as_str()), "drum C is not on the manifest");
    assert!(
        !page.contains(&format!("<td class=\"num\">{}</td>", s.treated)),
        "the treatment is not part of the transfer"
    );

    // Who may see what: the shop its own, the carrier the manifest it carries, a stranger
    // and another district's regulator nothing of it.
    let shop_admin = &cast["shop"].client;
    assert_eq!(raw(shop_admin, &format!("{base}&format=xlsx")).await.0, StatusCode::OK);
    let carrier_admin = &cast["carrier"].client;
    assert_eq!(
        raw(carrier_admin, &format!("/api/v1/manifests/{}/print", s.manifest))
            .await
            .0,
        StatusCode::OK
    );
    let stranger = &cast["stranger"].client;
    assert_refused(&stranger.get(&base).await, StatusCode::FORBIDDEN, "not_your_enterprise");
    assert_refused(
        &stranger.get(&format!("/api/v1/enterprises/{}/reports", s.shop)).await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    assert_refused(
        &stranger.get(&format!("/api/v1/manifests/{}/print", s.manifest)).await,
        StatusCode::FORBIDDEN,
        "not_your_manifest",
    );
    assert_refused(
        &carrier_admin.get(&format!("{base}&format=csv")).await,
        StatusCode::FORBIDDEN,
        "not_your_enterprise",
    );
    let qijiang = cast.user("qijiang-reg");
    assert_refused(&qijiang.get(&base).await, StatusCode::FORBIDDEN, "not_your_enterprise");
    let wansheng = cast.user("wansheng-reg");
    assert_eq!(wansheng.get(&base).await.0, StatusCode::OK);

    // Bad requests, each with its stable code.
    for (query, code) in [
        ("stage=storage", "bad_stage"),
        ("format=pdf", "bad_format"),
        ("format=csv&lang=fr", "bad_lang"),
        ("from=2026-05-01&to=2026-04-30", "bad_period"),
        ("to=2026-13-01", "bad_date"),
    ] {
        assert_refused(
            &admin
                .get(&format!("/api/v1/enterprises/{}/hj1259?{query}", s.shop))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        );
    }
    for (query, code) in [
        ("period=m13", "bad_period"),
        ("year=1999", "bad_year"),
        ("format=xlsx", "bad_format"),
    ] {
        assert_refused(
            &admin
                .get(&format!("/api/v1/enterprises/{}/reports?{query}", s.shop))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
        );
    }
    assert_refused(
        &admin.get("/api/v1/manifests/20265001999999/print").await,
        StatusCode::NOT_FOUND,
        "unknown_manifest",
    );
    app.stop().await;
}
