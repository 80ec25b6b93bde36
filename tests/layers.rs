//! The folders are the layers (ARCHITECTURE.md): the pure modules use no storage, web, file or
//! clock, the services and everything below them know nothing of HTTP, and no SQL is written
//! in the HTTP handlers. A change that crosses a layer fails here, not in review.

use std::path::Path;

/// Every `.rs` file under `dir` with its text, test modules cut off (tests may use files).
fn sources(dir: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = match text.find("#[cfg(test)]") {
                    Some(i) => text[..i].to_owned(),
                    None => text,
                };
                out.push((path.display().to_string(), code));
            }
        }
    }
    let mut out = Vec::new();
    walk(Path::new(dir), &mut out);
    assert!(!out.is_empty(), "no sources under {dir}");
    out
}

fn offenders(dirs: &[&str], forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for dir in dirs {
        for (path, text) in sources(dir) {
            for f in forbidden {
                if text.contains(f) {
                    found.push(format!("{path}: {f}"));
                }
            }
        }
    }
    found
}

#[test]
fn the_pure_layers_use_no_storage_web_files_or_clock() {
    let found = offenders(
        &["src/domain", "src/crypto", "src/render"],
        &[
            "rusqlite",
            "axum",
            "tokio",
            "reqwest",
            "std::fs",
            "Utc::now",
            "Local::now",
            "SystemTime",
        ],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn nothing_below_the_http_layer_knows_http() {
    let found = offenders(
        &[
            "src/domain",
            "src/crypto",
            "src/render",
            "src/store",
            "src/log",
            "src/service",
            "src/audit",
        ],
        &["crate::http", "axum::"],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_http_handlers_write_no_sql() {
    let found = offenders(
        &["src/http"],
        &[
            "SELECT ",
            "INSERT ",
            "UPDATE ",
            "DELETE FROM",
            "prepare(",
            "prepare_cached(",
            "query_row(",
        ],
    );
    assert!(found.is_empty(), "{found:#?}");
}

/// Handlers take their input through the service's extractors (`http::extract`), whose
/// refusals are the JSON error shape, never through axum's, whose refusals are plain text.
#[test]
fn the_http_handlers_use_the_services_extractors() {
    let found: Vec<String> = sources("src/http")
        .into_iter()
        .filter(|(path, _)| !path.ends_with("extract.rs"))
        .flat_map(|(path, text)| {
            let text = text
                .replace("ApiJson", "")
                .replace("ApiPath", "")
                .replace("ApiQuery", "");
            [
                "): Json<",
                "): Path<",
                "): Query<",
                "): Form<",
                "extract::Path",
                "extract::Query",
            ]
            .into_iter()
            .filter(|f| text.contains(f))
            .map(|f| format!("{path}: {f}"))
            .collect::<Vec<_>>()
        })
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}
