//! Search (`GET /api/v1/search`): by item code, manifest number, enterprise name or USCC,
//! whole or by its start, among what the caller may read: an enterprise's user its own
//! records and those it is a party to, a regulator its district's, an administrator all.

mod common;

use common::cast::Cast;
use common::custody::Fleet;
use common::{assert_refused, spawn_app, YUNAN};
use reqwest::StatusCode;
use serde_json::Value;

/// The `key` of every row of `kind` in a search answer.
fn keys(answer: &Value, kind: &str, key: &str) -> Vec<String> {
    answer[kind]
        .as_array()
        .unwrap_or_else(|| panic!("no {kind} in {answer}"))
        .iter()
        .map(|r| r[key].as_str().expect("a string").to_owned())
        .collect()
}

fn q(text: &str) -> String {
    format!("/api/v1/search?q={}", urlencoding(text))
}

fn urlencoding(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Scenario: a Wansheng workshop sends a drum to Yunan under a manifest; a Qijiang factory
/// keeps a drum of its own. Each user searches by item code, manifest number, USCC and name,
/// whole and by the start, and finds exactly what its own pages would show it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_items_manifests_and_enterprises_only_where_the_caller_may_read() {
    let app = spawn_app().await;
    let cast = Cast::on(&app)
        .generator("shop", "91500110MA6HRG001")
        .transporter(
            "carrier",
            "91500110MA6HRT001",
            Fleet::van("渝D51515", "500110198905051234"),
        )
        .party("far", "91500110MA6HRQ001", &["generator"], "qijiang")
        .seeded("yunan", YUNAN)
        .regulator("ws-reg", "wansheng")
        .regulator("qj-reg", "qijiang")
        .build()
        .await;
    let fields = |g: u64| hwtrace::client::generate_fields("900-249-08", g, "liquid", &["T", "I"], 200);
    let sent = cast.generate("shop", fields(100_000)).await;
    let manifest = cast.deliver("shop", "carrier", "yunan", &[(&sent, 100_000)]).await;
    let kept = cast.generate("far", fields(50_000)).await;
    let (shop, far, carrier) = (
        cast["shop"].uscc.clone(),
        cast["far"].uscc.clone(),
        cast["carrier"].uscc.clone(),
    );

    // The administrator finds everything: each item by its code, the manifest by its number.
    let admin = &cast.admin;
    let a = admin.get_ok(&q(&sent)).await;
    assert_eq!(
        (a["kind"].as_str(), keys(&a, "items", "code")),
        (Some("item_code"), vec![sent.clone()])
    );
    assert_eq!(a["items"][0]["holder"], YUNAN, "{a}");
    assert_eq!(a["items"][0]["generator_name"], "测试企业6HRG", "{a}");
    assert_eq!(
        keys(&admin.get_ok(&q(&kept)).await, "items", "code"),
        vec![kept.clone()]
    );
    let a = admin.get_ok(&q(&manifest)).await;
    assert_eq!(a["kind"], "manifest_number");
    assert_eq!(keys(&a, "manifests", "number"), vec![manifest.clone()]);
    assert_eq!(a["manifests"][0]["receiver"], YUNAN, "{a}");
    // The start of the manifest number; a USCC in small letters; a name.
    let a = admin.get_ok(&q(&manifest[..10])).await;
    assert_eq!(a["kind"], "code_prefix");
    assert!(keys(&a, "manifests", "number").contains(&manifest), "{a}");
    let a = admin.get_ok(&q(&shop.to_lowercase())).await;
    assert_eq!(a["kind"], "uscc");
    assert_eq!(keys(&a, "enterprises", "uscc"), vec![shop.clone()]);
    assert_eq!(
        keys(&a, "items", "code"),
        vec![sent.clone()],
        "a USCC also finds its items: {a}"
    );
    let a = admin.get_ok(&q("测试企业6HR")).await;
    assert_eq!(a["kind"], "name");
    let mut found = keys(&a, "enterprises", "uscc");
    found.sort();
    let mut want = vec![shop.clone(), carrier.clone(), far.clone()];
    want.sort();
    assert_eq!(found, want, "{a}");

    // The Wansheng regulator: its district's drum and manifest, not Qijiang's.
    let ws = cast.user("ws-reg");
    assert_eq!(keys(&ws.get_ok(&q(&sent)).await, "items", "code"), vec![sent.clone()]);
    assert_eq!(
        keys(&ws.get_ok(&q(&manifest)).await, "manifests", "number"),
        vec![manifest.clone()]
    );
    assert!(keys(&ws.get_ok(&q(&kept)).await, "items", "code").is_empty());
    let mut found = keys(&ws.get_ok(&q("测试企业6HR")).await, "enterprises", "uscc");
    found.sort();
    let mut want = vec![shop.clone(), carrier.clone()];
    want.sort();
    assert_eq!(found, want);
    // The Qijiang regulator: the other way round.
    let qj = cast.user("qj-reg");
    assert_eq!(keys(&qj.get_ok(&q(&kept)).await, "items", "code"), vec![kept.clone()]);
    assert!(keys(&qj.get_ok(&q(&sent)).await, "items", "code").is_empty());
    assert!(keys(&qj.get_ok(&q(&manifest)).await, "manifests", "number").is_empty());
    assert_eq!(
        keys(&qj.get_ok(&q("测试企业6HR")).await, "enterprises", "uscc"),
        vec![far.clone()]
    );

    // The workshop's own user: its drum, its manifest, itself; not the Qijiang factory's drum,
    // nor the factory by name or code.
    let own = &cast["shop"].client;
    assert_eq!(keys(&own.get_ok(&q(&sent)).await, "items", "code"), vec![sent.clone()]);
    assert_eq!(
        keys(&own.get_ok(&q(&manifest)).await, "manifests", "number"),
        vec![manifest.clone()]
    );
    assert!(keys(&own.get_ok(&q(&kept)).await, "items", "code").is_empty());
    assert_eq!(
        keys(&own.get_ok(&q("测试企业6HR")).await, "enterprises", "uscc"),
        vec![shop.clone()]
    );
    assert!(keys(&own.get_ok(&q(&far)).await, "enterprises", "uscc").is_empty());
    // Yunan, the manifest's receiver, holds the drum now: it finds both.
    let gate = &cast["yunan"].client;
    assert_eq!(keys(&gate.get_ok(&q(&sent)).await, "items", "code"), vec![sent.clone()]);
    assert_eq!(
        keys(&gate.get_ok(&q(&manifest)).await, "manifests", "number"),
        vec![manifest.clone()]
    );
    assert!(keys(&gate.get_ok(&q(&kept)).await, "items", "code").is_empty());

    // An empty or overlong query is refused; without a login there is no search.
    assert_refused(
        &admin.get(&q("  ")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_search",
    );
    assert_refused(
        &admin.get(&q(&"码".repeat(61))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "bad_search",
    );
    assert_refused(&admin.get("/api/v1/search").await, StatusCode::BAD_REQUEST, "bad_query");
    let (s, _) = app.anonymous().get(&q(&sent)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
