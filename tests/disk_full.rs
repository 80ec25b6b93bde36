//! A full disk: on a small filesystem (a tmpfs of a few MiB) filled to the brim, writes are
//! refused with `503 storage_unavailable` and `Retry-After`, never `500`; nothing is half
//! written; reads keep working; and once space returns, writing resumes and the log audits
//! clean with every acknowledged entry in it.
//!
//! Mounting a tmpfs needs root (CI runs as root); where the mount is refused the test says so
//! on its output and does nothing else.

mod common;

use std::path::Path;
use std::process::Command;

use common::cast::Cast;
use common::custody::send_event;
use common::spawn_app_at;
use hwtrace::client::generate_fields;
use reqwest::StatusCode;

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

fn mount_tmpfs(at: &Path, size: &str) -> Option<Mount> {
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(at)
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| Mount(at.to_owned()))
}

/// Fills the filesystem of `dir` with a file until the disk is full.
fn fill(dir: &Path) -> std::path::PathBuf {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    path
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_503_and_writing_resumes_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let Some(_mount) = mount_tmpfs(dir.path(), "24m") else {
        println!("disk_full: SKIPPED: cannot mount a tmpfs here (needs root)");
        return;
    };
    let db = dir.path().join("hwtrace.db");
    let app = spawn_app_at(&db).await;
    let cast = Cast::on(&app).generator("plant", "91500110MA6DFL001").build().await;
    let device = &cast["plant"].device;
    let drum = || generate_fields("900-249-08", 50_000, "solid", &["T"], 60);
    let mut acknowledged = vec![cast.generate("plant", drum()).await];

    let filler = fill(dir.path());
    let (mut refused, mut accepted_while_full) = (0, 0);
    for _ in 0..60 {
        let env = device.sign_event("generate", &common::now_cst(), drum());
        let answer = cast
            .admin
            .request(reqwest::Method::POST, "/api/v1/events")
            .json(&env)
            .send()
            .await
            .unwrap();
        match answer.status() {
            StatusCode::CREATED => {
                let receipt: serde_json::Value = answer.json().await.unwrap();
                acknowledged.push(receipt["item_code"].as_str().unwrap().to_owned());
                accepted_while_full += 1;
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                assert!(answer.headers().contains_key("retry-after"));
                let body: serde_json::Value = answer.json().await.unwrap();
                assert_eq!(body["error"], "storage_unavailable", "{body}");
                refused += 1;
            }
            other => panic!(
                "a write on a full disk answered {other}: {}",
                answer.text().await.unwrap()
            ),
        }
    }
    assert!(refused > 0, "the disk never filled ({accepted_while_full} accepted)");
    // Reads keep working.
    let (status, _) = cast.admin.get(&format!("/api/v1/items/{}", acknowledged[0])).await;
    assert_eq!(status, StatusCode::OK);
    let checkpoint = reqwest::get(format!("{}/log/checkpoint", app.base)).await.unwrap();
    assert_eq!(checkpoint.status(), StatusCode::OK);

    std::fs::remove_file(filler).unwrap();
    let (status, body) = send_event(&cast.admin, device, "generate", drum()).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "writing resumes when space returns: {body}"
    );
    acknowledged.push(body["item_code"].as_str().unwrap().to_owned());
    for code in &acknowledged {
        let (status, _) = cast.admin.get(&format!("/api/v1/items/{code}")).await;
        assert_eq!(status, StatusCode::OK, "{code} was acknowledged");
    }
    println!(
        "disk_full: writes_refused={refused} accepted_while_filling={accepted_while_full} acknowledged={} lost=0",
        acknowledged.len()
    );
    app.stop().await;
    common::audit_clean(&db).await;
}
