//! CSV exports never hand a spreadsheet a formula (OWASP "CSV injection"): text a generator's
//! device signed, such as packaging, components or a storage place beginning with `=`, `+`,
//! `-` or `@`, comes out of the HJ 1259 ledger's CSV (and the reports' and alerts' CSV, which
//! use the same cell function, `render::csv::cell`) with a leading `'`; numbers stay numbers.

mod common;

use common::cast::Cast;
use common::spawn_app;
use hwtrace::client::generate_fields;

const PLANT: &str = "91500110MA6CXJ001";

/// Scenario: a clerk's device registers a drum whose packaging, components and storage place
/// are spreadsheet formulas; the ledger's CSV shows each as text (quoted), and no cell of it
/// starts a formula.
#[tokio::test]
async fn formulas_typed_into_a_container_come_out_of_the_ledger_csv_as_text() {
    let app = spawn_app().await;
    let cast = Cast::on(&app).generator("plant", PLANT).build().await;
    let hostile = [
        ("packaging", "=HYPERLINK(\"http://evil.example\",\"点我\")"),
        ("components", "+cmd|' /C calc'!A0"),
        ("storage_place", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ];
    let mut fields = generate_fields("900-249-08", 185_500, "liquid", &["T", "I"], 200);
    for (member, text) in hostile {
        fields[member] = text.into();
    }
    let code = cast.generate("plant", fields).await;
    let uscc = &cast["plant"].uscc;
    let year = &cast.today()[..4];
    let resp = cast
        .admin
        .request(
            reqwest::Method::GET,
            &format!(
                "/api/v1/enterprises/{uscc}/hj1259?from={year}-01-01&to={}&format=csv",
                cast.today()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), reqwest::StatusCode::OK);
    let body = resp.text().await.unwrap();
    let mut rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let cells: Vec<String> = rows
        .records()
        .flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert!(cells.iter().any(|c| c == &code), "the drum is in the ledger: {body}");
    // The components are not a column of the ledger; the packaging and the storage place are.
    for (member, text) in [hostile[0], hostile[2]] {
        let quoted = format!("'{text}");
        assert!(cells.contains(&quoted), "{member} is not shown as text: {body}");
    }
    let formulas: Vec<&String> = cells
        .iter()
        .filter(|c| c.starts_with(['=', '+', '@', '\t', '\r']) || (c.starts_with('-') && c.parse::<f64>().is_err()))
        .collect();
    assert!(formulas.is_empty(), "cells a spreadsheet would run: {formulas:?}");
}
