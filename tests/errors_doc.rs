//! The one list of refusals (`src/domain/refusals.rs`) is complete and `docs/errors.md` is
//! generated from it: every code the source writes where a refusal is made is listed, every
//! listed code is used, and the page is current.

use std::collections::BTreeSet;
use std::path::Path;

use hwtrace::domain::refusals::LIST;

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
        }
    }
}

/// The string literal that opens `text` (after spaces), if it is a snake_case code.
fn leading_code(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('"')?;
    let code = &rest[..rest.find('"')?];
    let snake = !code.is_empty()
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    snake.then_some(code)
}

/// The codes written where refusals are made: the first string argument of the refusal
/// constructors (after a kind, when one is given), and the code of each closed list.
fn codes_in(text: &str) -> Vec<String> {
    const CALLS: [&str; 9] = [
        "Refusal::new(",
        "Refusal::invalid(",
        "Refusal::not_found(",
        "Refusal::conflict(",
        "Refusal::forbidden(",
        "refuse(",
        "unauthenticated(",
        "role(ctx, ",
        "code_enum!(",
    ];
    let mut found = Vec::new();
    for call in CALLS {
        for (at, _) in text.match_indices(call) {
            let mut args = &text[at + call.len()..];
            // Skip a kind, a doc comment and a type name before the code.
            for _ in 0..6 {
                if leading_code(args).is_some() {
                    break;
                }
                match args.find([',', '\n']) {
                    Some(i) => args = &args[i + 1..],
                    None => break,
                }
            }
            if let Some(code) = leading_code(args) {
                found.push(code.to_owned());
            }
        }
    }
    found
}

#[test]
fn every_refusal_code_the_source_writes_is_listed_and_every_listed_code_is_used() {
    let mut files = Vec::new();
    sources(Path::new("src"), &mut files);
    let listed: BTreeSet<&str> = LIST.iter().map(|l| l.code).collect();
    assert_eq!(listed.len(), LIST.len(), "a code is listed twice");
    let mut unlisted = BTreeSet::new();
    let mut written = BTreeSet::new();
    for (path, text) in &files {
        if path.ends_with("refusals.rs") {
            continue;
        }
        for code in codes_in(text) {
            if !listed.contains(code.as_str()) {
                unlisted.insert(format!("{code} ({path})"));
            }
        }
        for code in &listed {
            if text.contains(&format!("\"{code}\"")) {
                written.insert(*code);
            }
        }
    }
    assert!(
        unlisted.is_empty(),
        "codes missing from src/domain/refusals.rs: {unlisted:?}"
    );
    let unused: Vec<&&str> = listed.difference(&written).collect();
    assert!(unused.is_empty(), "listed codes no source writes: {unused:?}");
    assert!(LIST.len() > 150, "only {} codes listed", LIST.len());
}

#[test]
fn docs_errors_md_is_generated_from_the_list() {
    let generated = hwtrace::http::error::errors_markdown();
    let path = Path::new("docs/errors.md");
    if std::env::var_os("HWTRACE_BLESS").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/errors.md is not what src/domain/refusals.rs generates; run HWTRACE_BLESS=1 cargo test --test errors_doc"
    );
    for l in LIST {
        assert!(on_disk.contains(&format!("| `{}` |", l.code)), "{} missing", l.code);
    }
}
