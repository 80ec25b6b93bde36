//! The alert list as regulators work from it (`GET /api/v1/alerts`, `GET /api/v1/alerts/csv`):
//! each alert's situation in words with the item, manifest and enterprises it concerns,
//! filters by enterprise and age, the acknowledgement's note, and the CSV export.

mod common;

use common::cast::Cast;
use common::custody::Fleet;
use common::{assert_refused, spawn_app, YUNAN};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The Wansheng ecology and environment bureau (seeded, role regulator).
const WANSHENG_EEB: &str = "11500110MB0WAEE01L";

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|a| a["id"].as_i64().expect("id"))
        .collect()
}

/// Scenario: two workshops each send a drum that weighs light at Yunan's gate (two weight
/// discrepancy alerts). The district's regulator reads each alert in words, filters by
/// enterprise and by age, acknowledges one with a note signed by the bureau's device, and
/// downloads the list as CSV.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_are_told_in_words_filtered_by_enterprise_and_age_and_exported_with_the_note() {
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6KWG001")
        .generator("mill", "91500110MA6KWM001")
        .transporter(
            "carrier",
            "91500110MA6KWT001",
            Fleet::van("渝D61616", "500110198606061234"),
        )
        .seeded("yunan", YUNAN)
        .seeded("eeb", WANSHENG_EEB)
        .regulator("ws-reg", "wansheng")
        .build()
        .await;
    let fields = |g: u64| hwtrace::client::generate_fields("900-249-08", g, "liquid", &["T", "I"], 200);
    let (shop, mill) = (cast["shop"].uscc.clone(), cast["mill"].uscc.clone());
    let d1 = cast.generate("shop", fields(100_000)).await;
    let m1 = cast.deliver("shop", "carrier", "yunan", &[(&d1, 80_000)]).await;
    let d2 = cast.generate("mill", fields(50_000)).await;
    cast.deliver("mill", "carrier", "yunan", &[(&d2, 45_000)]).await;
    let reg = cast.user("ws-reg");

    let list = reg.get_ok("/api/v1/alerts?rule=weight_discrepancy").await;
    let a1 = list
        .as_array()
        .and_then(|l| l.iter().find(|a| a["subject"] == json!(d1)))
        .cloned()
        .unwrap_or_else(|| panic!("no alert for {d1}: {list}"));
    let s = &a1["situation"];
    assert_eq!(s["item"], json!(d1), "{a1}");
    assert_eq!(s["enterprises"][0]["uscc"], json!(shop), "{a1}");
    assert_eq!(s["enterprises"][0]["name_zh"], "测试企业6KWG", "{a1}");
    let words = s["words_zh"].as_str().expect("words");
    assert!(
        words.contains(&d1) && words.contains("申报100 kg，称重80 kg，相差-20 kg") && words.contains("测试企业6KWG"),
        "{words}"
    );
    assert!(
        s["words_en"]
            .as_str()
            .unwrap()
            .contains("declared 100 kg and weighed 80 kg"),
        "{a1}"
    );
    assert_eq!(a1["age_days"], 0);
    let _ = m1;

    // By enterprise: each workshop's alert alone; by age: none is a day old yet.
    let only = |u: &str| format!("/api/v1/alerts?rule=weight_discrepancy&enterprise={u}");
    let shops = reg.get_ok(&only(&shop)).await;
    assert_eq!(ids(&shops), vec![a1["id"].as_i64().unwrap()]);
    let mills = reg.get_ok(&only(&mill)).await;
    assert_eq!(mills.as_array().unwrap().len(), 1);
    assert_eq!(mills[0]["subject"], json!(d2));
    assert_eq!(
        ids(&reg.get_ok("/api/v1/alerts?min_age_days=1").await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&reg
            .get_ok("/api/v1/alerts?rule=weight_discrepancy&min_age_days=0")
            .await)
        .len(),
        2
    );
    assert_refused(
        &reg.get("/api/v1/alerts?enterprise=NOT-A-USCC").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_uscc_length",
    );

    // The bureau's device acknowledges the first with a note; the list shows the note.
    let note = "已核查：桶内残液蒸发，产生单位已说明";
    let receipt = cast
        .accepted("eeb", "acknowledge", json!({"alert": a1["id"], "note": note}))
        .await;
    let acked = reg.get_ok(&format!("/api/v1/alerts/{}", a1["id"])).await;
    assert_eq!(
        (&acked["state"], &acked["acked_seq"], &acked["ack_note"]),
        (&json!("acknowledged"), &receipt["index"], &json!(note)),
        "{acked}"
    );
    assert!(acked["acked_at"].as_str().is_some(), "{acked}");

    // The CSV: BOM, a Chinese and an English header, one row per alert of the filter, in words.
    let resp = reg
        .request(reqwest::Method::GET, &format!("/api/v1/alerts/csv?enterprise={shop}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("alerts-"));
    let text = resp.text().await.unwrap();
    assert!(text.starts_with('\u{feff}'), "no BOM");
    let mut rows = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let records: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    assert_eq!(records.len(), 2, "an English header row and one alert: {text}");
    assert_eq!(&records[0][0], "id");
    let row = &records[1];
    assert_eq!(&row[0], a1["id"].to_string().as_str());
    assert_eq!(&row[6], d1.as_str());
    assert!(row[9].contains("相差-20 kg"), "{text}");
    assert_eq!(&row[11], note);
    assert!(!text.contains(&d2), "the other workshop's alert is exported: {text}");
}
